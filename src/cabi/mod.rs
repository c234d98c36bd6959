//! The C ABI: the Rust side of the far-call shim in `asm/vmemory.asm`.
//!
//! C programs call `_VMALLOC` & co. as `__far __pascal` functions. The shim
//! saves the caller's registers, switches to the library image's own segment
//! and private stack, reads the Pascal argument block into registers and
//! far-calls the entry stub (through the [image header](self#image-layout)) with
//!
//! | register | value |
//! |---|---|
//! | `EBX` | the call word: function number (bits 0-3), return kind (bits 4-5), argument bytes (bits 8-15), upper half 0 |
//! | `EDX` | the first 4 bytes of the argument block (when it has them) |
//! | `ECX` | the bytes after them: a word (upper half undefined) or a dword |
//! | `EBX`, `ESI`, `EDI`, `EBP` | kept (the shim holds the call word, the caller's `SS:ESP` and its frame there) |
//! | `CS = DS = ES = SS` | the image segment; `ESP` below the image's stack top, upper half 0; `DF` clear |
//!
//! The entry stub (below) zeroes `.bss` on the first call, calls
//! [`vmemory_cabi_vmalloc`], [`vmemory_cabi_vfree`] or (the other calls)
//! [`vmemory_cabi_dispatch`] and returns with a 16-bit far return; the
//! result comes back in `EAX`, and `EDX` is nonzero when the status values
//! changed: then the shim copies [`__cabi_status`] (18 bytes) over the
//! caller's status globals.
//!
//! `_vload`, `_vlock` and `_vunlock` of a resident block never get here:
//! the shim answers them itself, finding the block through the core's
//! resident index (published in [`StatusOut`] when a heap opens or changes
//! layout) and doing
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
//! | 2 | offset of the entry stub (the stub of the first call, which zeroes `.bss` and then writes the offset of the stub of every later call here) |
//! | 4 | segment of the entry stub: 0 in the file; the shim writes the image's segment there and far-calls through words 2-4 |
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
use crate::heap::{self, DosVmm};
use crate::vmm::{ArenaAddr, Hit, StatusBlock, STATE_WORD, STATUS_BYTES, VM_CLEAN};

mod function;
pub use function::Function;

/// What the shim reads (its offset is in the image header): the status
/// block the shim copies out (when the dispatcher says it changed, in
/// `EDX`), and where the resident index is, for the shim's hit path (`asm/vmemory.asm`: a
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
    /// The segment of the header the shim found last, tried first (0:
    /// none); cleared at every call the dispatcher runs, which may move or
    /// free blocks.
    pub hint: u16,
    /// The segment of bucket 0 of the resident index; 0 when the shim must
    /// not look (no heap, or an index it cannot address: see
    /// `publish_index`). Set when a heap is opened or closed, and when the
    /// status stamp moved (a change of the cache's layout moves the index
    /// and moves the stamp).
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
    core::mem::offset_of!(StatusOut, hint) == STATUS_BYTES
        && core::mem::offset_of!(StatusOut, index_seg) == STATUS_BYTES + 2
        && core::mem::offset_of!(StatusOut, index_mask) == STATUS_BYTES + 4
        && core::mem::offset_of!(StatusOut, arena_seg) == STATUS_BYTES + 6
        && core::mem::offset_of!(StatusOut, hits) == STATUS_BYTES + 8
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
    hint: 0,
    index_seg: 0,
    index_mask: 0,
    arena_seg: 0,
    hits: 0,
}));

// The entry stub, at the offset the header names: first `__cabi_first`,
// which zeroes `.bss` (the shim's object file reserves the space but
// nothing clears it; ECX, EDX and EDI are kept, the shim holds the caller's
// ESP in EDI: `rep stosb` with 16-bit addresses changes only CX and DI)
// and then makes the header name `__cabi_entry` (a data word of the image,
// so every later call goes straight there). `__cabi_entry`
// hands the hits the shim answered to the core when there are any
// (`vmemory_cabi_fold_hits`, ECX and EDX kept around it); then `_vmalloc`
// and `_vfree` (told by the call word's low byte in BL) go to their own
// entries, and the others: it pushes EBX (call word) and calls the
// `fastcall` dispatcher. Each is called with ECX and EDX as the shim set
// them and returns to the shim with a 16-bit far return, the result in EAX
// and the status flag in EDX. (`_vmalloc` and `_vfree` by the thousand are
// a C program's churn: their own entries spare them the dispatcher's
// decoding of the call word, about 6 instructions each.)
global_asm!(
    ".section .cabi.entry, \"ax\"",
    ".globl __cabi_first",
    "__cabi_first:",
    "    pushw %cx",
    "    pushw %di",
    "    movw $__bss_start, %di",
    "    movw $__bss_bytes, %cx",
    "    xorb %al, %al",
    "    rep stosb",
    "    popw %di",
    "    popw %cx",
    "    movw $__cabi_entry, 2",
    ".globl __cabi_entry",
    "__cabi_entry:",
    "    cmpw $0, {status}+{hits}",
    "    jne 2f",
    "1:  cmpb ${vmalloc}, %bl",
    "    je 3f",
    "    cmpb ${vfree}, %bl",
    "    je 4f",
    "    pushl %ebx",
    "    calll vmemory_cabi_dispatch",
    "    lretw",
    "2:  pushl %ecx",
    "    pushl %edx",
    "    calll vmemory_cabi_fold_hits",
    "    popl %edx",
    "    popl %ecx",
    "    jmp 1b",
    "3:  calll vmemory_cabi_vmalloc",
    "    lretw",
    "4:  calll vmemory_cabi_vfree",
    "    lretw",
    status = sym __cabi_status,
    hits = const core::mem::offset_of!(StatusOut, hits),
    vmalloc = const Function::VMALLOC.call_byte(),
    vfree = const Function::VFREE.call_byte(),
    options(att_syntax)
);

/// A far pointer as C returns it in `DX:AX`.
fn far(p: FarPtr) -> u32 {
    u32::from(p.seg.value()) << 16 | u32::from(p.off)
}

/// The handle of `_vload(h, dirty)` and `_vunlock(h, dirty)`: words 1 and
/// 2 of their argument block, which arrive as the high word of `first` and
/// the low word of `rest`.
fn handle_after_word(first: u32, rest: u32) -> u32 {
    first >> 16 | rest << 16
}

/// Runs one MSC function for the shim and refreshes the status block.
///
/// The arguments arrive in registers, as the shim read them from the
/// caller's Pascal argument block (no copy of it on the private stack):
/// `first` is its first 4 bytes, `rest` the bytes after them (a word or a
/// dword; what lies beyond the block is not read, so the upper half is then
/// undefined). `call` is the shim's call word (function number in bits
/// 0-3). Returns the value for `AX` (16-bit results, zero-extended) or
/// `DX:AX` in the low half, and in the high half (`EDX`) nonzero when the
/// status block changed since the shim last copied it, so that the shim
/// copies it without looking. `fastcall` (`rest` in `ECX`, `first` in
/// `EDX`, `call` on the stack, popped here): the entry stub pushes only
/// `call`.
///
/// What runs besides the call itself is what every call needs and no more
/// (the entry stub has handed the shim's hits to the core when there were
/// any): the shim's hint cleared (the call may move or free the block it
/// names), and a compare of the heap's status stamp; the status block and
/// the index's place are computed again only when that stamp moved or the
/// heap was opened or closed. `_vmalloc` and `_vfree`, a C program's churn,
/// do not come here: the entry stub calls [`vmemory_cabi_vmalloc`] and
/// [`vmemory_cabi_vfree`], the same steps for one call each.
#[no_mangle]
pub extern "fastcall" fn vmemory_cabi_dispatch(rest: u32, first: u32, call: u32) -> u64 {
    forget_hint();
    let (result, stamp) = heap::with_vmm(|v| {
        let result = run(v, Function((call & 0x0F) as u8), first, rest);
        (result, v.status_stamp())
    });
    answer(result, stamp)
}

/// Clears the shim's hint before a call the dispatcher or an entry runs:
/// the call may move or free the block it names.
#[inline(always)]
fn forget_hint() {
    // SAFETY: single-threaded; the shim reads the block only after the
    // entry returns, and no other reference to it is alive.
    unsafe { (*__cabi_status.0.get()).hint = 0 };
}

/// `_vmalloc(size)` from the entry stub: as [`vmemory_cabi_dispatch`]
/// (`first` = the size), without the call word.
#[no_mangle]
pub extern "fastcall" fn vmemory_cabi_vmalloc(_rest: u32, first: u32) -> u64 {
    forget_hint();
    let (result, stamp) = heap::with_vmm(|v| v.vmalloc_stamped(first));
    answer(result, stamp)
}

/// `_vfree(h)` from the entry stub: as [`vmemory_cabi_dispatch`] (`first`
/// = the handle), without the call word.
#[no_mangle]
pub extern "fastcall" fn vmemory_cabi_vfree(_rest: u32, first: u32) -> u64 {
    forget_hint();
    let stamp = heap::with_vmm(|v| v.vfree_stamped(first));
    answer(0, stamp)
}

/// The hits the shim answered since the last call, handed to the core
/// before the call, as if the core had answered them itself: the entry
/// stub calls this when there are any (a run of `_vmalloc` and `_vfree`
/// has none), so that the dispatcher does not look.
#[no_mangle]
pub extern "C" fn vmemory_cabi_fold_hits() {
    // SAFETY: single-threaded; called by the entry stub before the
    // dispatcher, while no other reference to the block is alive.
    let out = unsafe { &mut *__cabi_status.0.get() };
    heap::with_vmm(|v| v.hits_elsewhere(core::mem::take(&mut out.hits)));
}

/// The heap's status stamp ([`crate::vmm::Vmm::status_stamp`]) when
/// [`answer`] last computed the block, widened so that "no heap" is a
/// value of its own ([`NO_STAMP`]) and the test is one compare.
struct Stamp(UnsafeCell<u32>);

/// [`Stamp`] with no heap open.
const NO_STAMP: u32 = u32::MAX;
/// [`Stamp`] after `_vheapinit` or `_vheapterm`: no heap's stamp, so that
/// [`answer`] computes everything again.
const STALE_STAMP: u32 = 0x1_0000;

// SAFETY: as for `Status`: one thread, one call at a time.
unsafe impl Sync for Stamp {}

static STAMP: Stamp = Stamp(UnsafeCell::new(NO_STAMP));

/// Makes the next [`answer`] compute the block and the index's place
/// again: a heap was opened or closed (the index and the arena are
/// elsewhere, or gone).
fn stamp_stale() {
    // SAFETY: single-threaded; no reference to `STAMP` is alive.
    unsafe { *STAMP.0.get() = STALE_STAMP };
}

/// After a call: the entry's answer, `result` for `EAX` and in the high
/// half (`EDX`) nonzero when the status block changed (the shim then
/// copies it). The block and the index's place are computed again
/// ([`republish`]) only when they may have changed: after `_vheapinit` or
/// `_vheapterm` ([`stamp_stale`]), or when the heap's status stamp
/// (`stamp`, `None` without a heap) moved (swap space was allocated or
/// released, or the cache changed layout and its index moved). Most calls
/// change neither, and then this is a compare; the other case is a jump to
/// [`answer_changed`], which holds the result meanwhile (kept here across
/// the call, it cost a churn's every `_vmalloc` 8 instructions of saving
/// and moving registers).
#[inline(always)]
fn answer(result: u32, stamp: Option<u16>) -> u64 {
    let stamp = stamp.map_or(NO_STAMP, u32::from);
    // SAFETY: single-threaded; only this function, `answer_changed` and
    // `stamp_stale`, never at the same time, touch `STAMP`.
    if stamp == unsafe { *STAMP.0.get() } {
        return u64::from(result);
    }
    answer_changed(stamp, result)
}

/// [`answer`] when the stamp moved: the block published again, and the
/// status flag set. `fastcall` (both in registers), so that `answer`'s
/// call is a jump.
#[inline(never)]
extern "fastcall" fn answer_changed(stamp: u32, result: u32) -> u64 {
    // SAFETY: single-threaded; no other reference to `STAMP` is alive
    // (the entries call this after their core call).
    unsafe { *STAMP.0.get() = stamp };
    // SAFETY: as for `STAMP`: no other reference to the status block is
    // alive, and the shim reads it only after this returns.
    let out = unsafe { &mut *__cabi_status.0.get() };
    heap::with_vmm(|v| republish(out, v));
    u64::from(result) | 1 << 32
}

/// The status block and the index's place computed again (see
/// [`answer`]). The shim then copies the block (not compared with the
/// last one: this runs seldom, and the copy is 9 words).
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
fn republish(out: &mut StatusOut, v: &DosVmm) {
    publish_index(out, v);
    v.write_status_block(&mut out.block);
}

/// Tells the shim where the resident index is (the heap was opened or
/// closed or its status stamp moved, see [`answer`]: between two such
/// calls the index stays where it is; 0: no heap). The shim walks it with 16-bit offsets from one segment: the core
/// lays the buckets out at a paragraph, at most 4,096 of them for the
/// largest arena (`tests/vmm_hit.rs` checks what it publishes).
fn publish_index(out: &mut StatusOut, v: &DosVmm) {
    out.index_seg = 0;
    let (Some(ip), Some(arena)) = (v.index_place(), v.arena()) else {
        return;
    };
    debug_assert!(ip.mask < 0x8000 && ip.buckets.is_aligned());
    out.index_mask = ip.mask as u16;
    out.arena_seg = arena.far_para(ArenaAddr::START).seg.value();
    out.index_seg = arena.far_para(ip.buckets).seg.value();
}

/// The calls [`vmemory_cabi_dispatch`] makes: [`access`] or [`other`],
/// one out-of-line function each, so that the dispatcher's frame stays
/// small and the private stack needs the deepest single call, not the sum
/// of them inlined into one frame (`T_CABI.EXE` checks it keeps a quarter
/// free).
#[inline(always)]
fn run(v: &mut DosVmm, f: Function, first: u32, rest: u32) -> u32 {
    match f {
        Function::VLOAD | Function::VLOCK | Function::VUNLOCK => access(v, f, first, rest),
        _ => other(v, f, first, rest),
    }
}

/// `_vload`, `_vlock` and `_vunlock` that are not hits (see [`other`]):
/// one core call for the three ([`crate::vmm::Vmm::vaccess`]), from a
/// small frame of its own, not from `other`'s (which holds `_vrealloc`'s
/// locals): a miss that evicts to EMS is the library's deepest call.
#[inline(never)]
fn access(v: &mut DosVmm, f: Function, first: u32, rest: u32) -> u32 {
    // Block: [dirty, h.lo, h.hi] for _vload and _vunlock, [h.lo, h.hi]
    // for _vlock.
    let dirty = first as i16 != VM_CLEAN;
    let (h, call) = match f {
        Function::VLOCK => (first, Hit::Lock),
        Function::VLOAD => (handle_after_word(first, rest), Hit::Load { dirty }),
        _ => (handle_after_word(first, rest), Hit::Unlock { dirty }),
    };
    let a = v.vaccess(h, call);
    far(heap::arena_far(v, a))
}

/// The calls that are not `_vload`, `_vlock` or `_vunlock` ([`access`]),
/// out of the dispatcher's frame. `_vheapinit` and `_vheapterm`, the
/// deepest and the widest, have a frame of their own; the others need
/// little stack.
#[inline(never)]
fn other(v: &mut DosVmm, f: Function, first: u32, rest: u32) -> u32 {
    // `_vheapinit` (0) and `_vheapterm` (1) open or close a heap. Apart
    // from the others: with them in one `match` of five cases, the choice
    // was a jump table of ten 4-byte entries (with the three calls that
    // never come here); three are compares.
    const _: () = assert!(Function::VHEAPINIT.0 == 0 && Function::VHEAPTERM.0 == 1);
    if f.0 < 2 {
        stamp_stale();
        if f == Function::VHEAPINIT {
            return vheapinit(v, first, rest);
        }
        vheapterm(v);
        return 0;
    }
    match f {
        // Block: [size.lo, size.hi, h.lo, h.hi].
        Function::VREALLOC => v.vrealloc(rest, first),
        Function::VMSIZE => v.vmsize(first),
        Function::VLOCKCNT => u32::from(v.vlockcnt(first)),
        _ => 0,
    }
}

/// Block: `[swaparea, dosmax, dosmin]`.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
fn vheapinit(v: &mut DosVmm, first: u32, rest: u32) -> u32 {
    u32::from(v.vheapinit(rest as u16, (first >> 16) as u16, first as u16) as u16)
}
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
fn vheapterm(v: &mut DosVmm) {
    v.vheapterm()
}
