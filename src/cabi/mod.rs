//! The C ABI: the Rust side of the far-call shim in `asm/vmemory.asm`.
//!
//! C programs call `_VMALLOC` & co. as `__far __pascal` functions. The shim
//! saves the caller's registers, switches to the library image's own segment
//! and private stack, copies the Pascal argument block onto that stack and
//! far-calls [`ENTRY`](self#image-layout) with
//!
//! | register | value |
//! |---|---|
//! | `EAX` | the call word: function number (bits 0-3), return kind (bits 4-5), argument bytes (bits 8-15), upper half 0 |
//! | `EDX` | near pointer to the copy of the argument block (upper half 0) |
//! | `CS = DS = ES = SS` | the image segment; `ESP` below the image's stack top, upper half 0; `DF` clear |
//!
//! The entry stub (below) zeroes `.bss` on the first call, calls
//! [`vmemory_cabi_dispatch`] and returns with a 16-bit far return; the
//! result comes back in `EAX`. After a call that changed the status values
//! the shim copies [`__cabi_status`] (18 bytes) over the caller's status
//! globals.
//!
//! `_vload`, `_vlock` and `_vunlock` of a resident block never get here:
//! the shim answers them itself, finding the block through the core's
//! resident index (published in [`StatusOut`] after every call) and doing
//! what the core's hit path ([`crate::vmm::Vmm::hit`]) would; the calls
//! that reach the dispatcher are not hits (or would be a 256th lock or an
//! unlock of an unlocked block).
//!
//! # Image layout
//! The image (`src/cabi/image.ld`, linked at offset 0, no MZ header) starts
//! with a 16-byte header the shim reads at run time, so that it holds no
//! addresses of the image itself:
//!
//! | offset | word |
//! |---|---|
//! | 0 | magic `0x4D56` ("VM") |
//! | 2 | layout version (1) |
//! | 4 | offset of the entry stub |
//! | 6 | top of the private stack (initial `SP`) |
//! | 8 | size of the image file (code + data) |
//! | 10 | start of `.bss` (zeroed by the entry stub) |
//! | 12 | end of `.bss` = bottom of the private stack |
//! | 14 | offset of the status block |
//!
//! # The argument block
//! Pascal pushes arguments left to right, so the block in memory holds the
//! *last* argument first; a `long` is low word first. `_vrealloc(h, size)`
//! arrives as `[size.lo, size.hi, h.lo, h.hi]`.

use core::arch::global_asm;
use core::cell::UnsafeCell;

use crate::dos::far::FarPtr;
use crate::heap;
use crate::vmm::{ArenaAddr, StatusBlock, STATE_WORD, STATUS_BYTES};

mod function;
pub use function::Function;

/// What the shim reads (its offset is in the image header): the status
/// block the shim copies out, a word saying it changed since the shim last
/// copied it (the shim copies only then, and clears the word), and where
/// the resident index is, for the shim's hit path (`asm/vmemory.asm`: a
/// `_vload`, `_vlock` or `_vunlock` of a resident block answered in the
/// shim, which changes the lock count and dirty flag in the block's header
/// ([`STATE_WORD`]), counts the hit there and counts loads and locks in
/// `hits`).
#[repr(C)]
pub struct Status(UnsafeCell<StatusOut>);

/// What [`Status`] holds (offsets in `asm/vmemory.asm`, `VMS_*`).
#[repr(C)]
pub struct StatusOut {
    /// The status values, as the caller's globals hold them.
    pub block: StatusBlock,
    /// Nonzero: `block` differs from the caller's globals.
    pub changed: u16,
    /// The segment of the header the shim found last, tried first (0:
    /// none); cleared at every call the dispatcher runs, which may move or
    /// free blocks.
    pub hint: u16,
    /// The segment of bucket 0 of the resident index; 0 when the shim must
    /// not look (no heap, or an index it cannot address: see
    /// `publish_index`).
    pub index_seg: u16,
    /// Buckets - 1: a handle's bucket is its low word ANDed with this.
    pub index_mask: u16,
    /// The segment of the arena's paragraph 0 (a region paragraph in a
    /// bucket or chain is added to it).
    pub arena_seg: u16,
    /// Loads and locks the shim answered since the dispatcher last ran.
    pub hits: u16,
}

// The offsets `asm/vmemory.asm` names (VMS_*).
const _: () = assert!(
    core::mem::offset_of!(StatusOut, changed) == STATUS_BYTES
        && core::mem::offset_of!(StatusOut, hint) == STATUS_BYTES + 2
        && core::mem::offset_of!(StatusOut, index_seg) == STATUS_BYTES + 4
        && core::mem::offset_of!(StatusOut, index_mask) == STATUS_BYTES + 6
        && core::mem::offset_of!(StatusOut, arena_seg) == STATUS_BYTES + 8
        && core::mem::offset_of!(StatusOut, hits) == STATUS_BYTES + 10
);

// The header layout `asm/vmemory.asm` names (HDR_*).
const _: () = assert!(
    STATE_WORD.paras == 2
        && STATE_WORD.flags == 4
        && STATE_WORD.dirty == 2
        && STATE_WORD.hash_next == 6
        && STATE_WORD.handle == 8
        && STATE_WORD.refs == 20
);

// SAFETY: DOS programs are single-threaded and the shim never runs two
// calls at once, so the cell is never accessed concurrently.
unsafe impl Sync for Status {}

/// The one status block; `image.ld` puts its address in the image header.
/// It starts as the caller's globals do (an uninitialized VMM).
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static __cabi_status: Status = Status(UnsafeCell::new(StatusOut {
    block: StatusBlock::IDLE,
    changed: 0,
    hint: 0,
    index_seg: 0,
    index_mask: 0,
    arena_seg: 0,
    hits: 0,
}));

// The entry stub, at the offset the header names. On the first call it
// zeroes `.bss` (the shim's object file reserves the space but nothing
// clears it), then it passes EAX (call word) and EDX (argument block) to the
// dispatcher with the code16 C convention (32-bit slots, `calll`/`retl`) and
// returns to the shim with a 16-bit far return. It keeps EAX as the result.
global_asm!(
    ".section .cabi.entry, \"ax\"",
    ".globl __cabi_entry",
    "__cabi_entry:",
    "    cmpb $0, __cabi_ready",
    "    jne 1f",
    "    pushl %eax",
    "    pushl %edx",
    "    movl $__bss_start, %edi",
    "    movl $__bss_end, %ecx",
    "    subl %edi, %ecx",
    "    xorl %eax, %eax",
    "    rep stosb",
    "    popl %edx",
    "    popl %eax",
    "    movb $1, __cabi_ready",
    "1:  pushl %edx",
    "    pushl %eax",
    "    calll vmemory_cabi_dispatch",
    "    addl $8, %esp",
    "    lretw",
    ".section .data.__cabi_ready, \"aw\"",
    "__cabi_ready: .byte 0",
    options(att_syntax)
);

/// Reads word `i` of the argument block.
///
/// # Safety
/// `args` must point to at least `2 * (i + 1)` readable bytes.
unsafe fn word(args: *const u16, i: usize) -> u16 {
    // SAFETY: forwarded to the caller.
    unsafe { args.add(i).read_unaligned() }
}

/// Reads the `long` at words `i`, `i + 1` of the argument block.
///
/// # Safety
/// `args` must point to at least `2 * (i + 2)` readable bytes.
unsafe fn long(args: *const u16, i: usize) -> u32 {
    // SAFETY: forwarded to the caller.
    unsafe { u32::from(word(args, i)) | u32::from(word(args, i + 1)) << 16 }
}

/// A far pointer as C returns it in `DX:AX`.
fn far(p: FarPtr) -> u32 {
    u32::from(p.seg.value()) << 16 | u32::from(p.off)
}

/// Runs one MSC function for the shim and refreshes the status block.
///
/// `call` is the shim's call word (function number in bits 0-3); `args`
/// points to the copy of the caller's Pascal argument block. Returns the
/// value for `AX` (16-bit results, zero-extended) or `DX:AX`.
///
/// # Safety
/// `args` must point to [`Function::arg_bytes`] readable bytes for the
/// function `call` names; only the shim's entry stub calls this.
#[no_mangle]
pub unsafe extern "C" fn vmemory_cabi_dispatch(call: u32, args: *const u16) -> u32 {
    let f = Function((call & 0x0F) as u8);
    // SAFETY: single-threaded; the shim reads the block only after this
    // returns, and no other reference to it is alive.
    let out = unsafe { &mut *__cabi_status.0.get() };
    if out.hits != 0 {
        let n = core::mem::take(&mut out.hits);
        heap::with_vmm(|v| v.hits_elsewhere(n));
    }
    // SAFETY: the shim copied `f.arg_bytes()` bytes to `args`.
    let result = unsafe { run(f, args) };
    publish_index(out);
    refresh_status(out, f);
    result
}

/// Tells the shim where the resident index is now (any call may have
/// opened, closed or changed it) and clears its hint. The shim walks it with 16-bit offsets
/// from one segment: an index whose buckets are not paragraph aligned or
/// take more than 64 KiB is not published, and every call goes to the
/// library.
#[inline(never)]
fn publish_index(out: &mut StatusOut) {
    out.hint = 0;
    out.index_seg = 0;
    heap::with_vmm(|v| {
        let (Some(ip), Some(arena)) = (v.index_place(), v.arena()) else {
            return;
        };
        if ip.mask < 0x8000 && ip.buckets.is_aligned() {
            out.index_mask = ip.mask as u16;
            out.arena_seg = arena.far_para(ArenaAddr::START).seg.value();
            out.index_seg = arena.far_para(ip.buckets).seg.value();
        }
    });
}

/// Calls the DOS layer's function `f` with the arguments at `args`.
///
/// Kept out of line, and each arm calls one function of [`heap`], so that
/// the private stack needs the deepest single function, not the sum of them
/// inlined into one frame.
///
/// # Safety
/// `args` must point to `f.arg_bytes()` readable bytes.
#[inline(never)]
unsafe fn run(f: Function, args: *const u16) -> u32 {
    // SAFETY: every arm reads only within the `f.arg_bytes()` bytes at
    // `args`, which the caller promises are readable.
    unsafe {
        match f {
            Function::VHEAPINIT => vheapinit(word(args, 2), word(args, 1), word(args, 0)),
            Function::VHEAPTERM => {
                vheapterm();
                0
            }
            Function::VMALLOC => vmalloc(long(args, 0)),
            Function::VFREE => {
                vfree(long(args, 0));
                0
            }
            Function::VREALLOC => vrealloc(long(args, 2), long(args, 0)),
            Function::VMSIZE => vmsize(long(args, 0)),
            Function::VLOAD => far(vload(long(args, 1), word(args, 0))),
            Function::VLOCK => far(vlock(long(args, 0))),
            Function::VUNLOCK => {
                vunlock(long(args, 1), word(args, 0));
                0
            }
            Function::VLOCKCNT => u32::from(vlockcnt(long(args, 0))),
            _ => 0,
        }
    }
}

// One out-of-line wrapper per function (see `run`).
#[inline(never)]
fn vheapinit(dosmin: u16, dosmax: u16, swaparea: u16) -> u32 {
    u32::from(heap::vheapinit(dosmin, dosmax, swaparea))
}
#[inline(never)]
fn vheapterm() {
    heap::vheapterm()
}
#[inline(never)]
fn vmalloc(size: u32) -> u32 {
    heap::vmalloc(size)
}
#[inline(never)]
fn vfree(h: u32) {
    heap::vfree(h)
}
#[inline(never)]
fn vrealloc(h: u32, size: u32) -> u32 {
    heap::vrealloc(h, size)
}
#[inline(never)]
fn vmsize(h: u32) -> u32 {
    heap::vmsize(h)
}
// The shim tried the hit path before the dispatcher: these three go
// straight to the ordinary calls.
#[inline(never)]
fn vload(h: u32, dirty: u16) -> FarPtr {
    heap::after_miss::vload(h, dirty)
}
#[inline(never)]
fn vlock(h: u32) -> FarPtr {
    heap::after_miss::vlock(h)
}
#[inline(never)]
fn vunlock(h: u32, dirty: u16) {
    heap::after_miss::vunlock(h, dirty)
}
#[inline(never)]
fn vlockcnt(h: u32) -> u16 {
    heap::vlockcnt(h)
}

/// The heap's status stamp ([`crate::vmm::Vmm::status_stamp`]) when
/// [`refresh_status`] last computed the block.
struct Stamp(UnsafeCell<Option<u16>>);

// SAFETY: as for `Status`: one thread, one call at a time.
unsafe impl Sync for Stamp {}

static STAMP: Stamp = Stamp(UnsafeCell::new(None));

/// Brings the block the shim reads up to date after call `f`, and marks it
/// changed when it is. The block is computed again only when it may have
/// changed: after `_vheapinit` or `_vheapterm`, or when the heap's status
/// stamp moved (swap space was allocated or released). Most `_vmalloc`s
/// and `_vfree`s change neither, and then this is a compare.
#[inline(always)]
fn refresh_status(out: &mut StatusOut, f: Function) {
    // SAFETY: single-threaded; only this function touches `STAMP`.
    let last = unsafe { &mut *STAMP.0.get() };
    let stamp = heap::status_stamp();
    if stamp == *last && f != Function::VHEAPINIT && f != Function::VHEAPTERM {
        return;
    }
    *last = stamp;
    recompute_status(out);
}

/// The block computed again (see [`refresh_status`]).
#[inline(never)]
fn recompute_status(out: &mut StatusOut) {
    let now = heap::status();
    if out.block != now {
        out.block = now;
        out.changed = 1;
    }
}
