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
//! result comes back in `EAX`. After every call the shim copies
//! [`STATUS`](struct@StatusBlock) (18 bytes) over the caller's status globals.
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

mod function;
pub use function::Function;

/// The status values of KB402074 in the order and C types of the caller's
/// globals (`_cPageDos` ... `_fVmInitialized`, contiguous in `_DATA`; see
/// `include/vmemory.h`). Every value is one 16-bit word: `unsigned int` for
/// the counts, `int` for the segment (as KB402074 declares it), `fhVm` and
/// the flags. The three
/// `fVmDisable*` flags are declared `char` in C, as Microsoft's own code
/// declared them; the low byte of each word is that `char` and the high byte
/// is always 0, so a declaration as `int` reads the same value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct StatusBlock {
    /// `cPageDos`: 4 KiB pages of DOS memory in the cache.
    pub c_page_dos: u16,
    /// `fVmSwapping`: nonzero while some swap store is usable.
    pub f_vm_swapping: i16,
    /// `fVmDisableDisk`: nonzero when disk swapping is off (also while the
    /// swap file cannot grow).
    pub f_vm_disable_disk: i16,
    /// `fhVm`: DOS handle of the swap file, -1 when there is none.
    pub fh_vm: i16,
    /// `fVmDisableEms`: nonzero when EMS swapping is off.
    pub f_vm_disable_ems: i16,
    /// `fVmDisableXms`: nonzero when XMS swapping is off.
    pub f_vm_disable_xms: i16,
    /// `segVmDos`: segment of the cache's DOS memory block, 0 when none.
    pub seg_vm_dos: u16,
    /// `cVmPage`: 4 KiB pages of swap space in use (saturating at 65535).
    pub c_vm_page: u16,
    /// `fVmInitialized`: nonzero between `_vheapinit` and `_vheapterm`.
    pub f_vm_initialized: i16,
}

/// The size the shim copies; `asm/vmemory.asm` has the same number.
pub const STATUS_BYTES: usize = 18;
const _: () = assert!(core::mem::size_of::<StatusBlock>() == STATUS_BYTES);

impl StatusBlock {
    /// The block of an uninitialized VMM (what the globals hold before the
    /// first call): everything 0 except `fhVm` = -1 and the three disable
    /// flags, which are set while no store is open.
    pub const IDLE: Self = Self {
        c_page_dos: 0,
        f_vm_swapping: 0,
        f_vm_disable_disk: 1,
        fh_vm: -1,
        f_vm_disable_ems: 1,
        f_vm_disable_xms: 1,
        seg_vm_dos: 0,
        c_vm_page: 0,
        f_vm_initialized: 0,
    };

    /// Converts the DOS layer's status values, normalising every flag to 0 or 1.
    pub fn from_heap(s: &heap::Status) -> Self {
        let flag = |v: u16| i16::from(v != 0);
        Self {
            c_page_dos: s.c_page_dos,
            f_vm_swapping: flag(s.f_vm_swapping),
            f_vm_disable_disk: flag(s.f_vm_disable_disk),
            fh_vm: s.fh_vm,
            f_vm_disable_ems: flag(s.f_vm_disable_ems),
            f_vm_disable_xms: flag(s.f_vm_disable_xms),
            seg_vm_dos: s.seg_vm_dos,
            c_vm_page: s.c_vm_page,
            f_vm_initialized: flag(s.f_vm_initialized),
        }
    }
}

/// The status block the shim copies out (its offset is in the image header).
#[repr(transparent)]
pub struct Status(UnsafeCell<StatusBlock>);

// SAFETY: DOS programs are single-threaded and the shim never runs two
// calls at once, so the cell is never accessed concurrently.
unsafe impl Sync for Status {}

/// The one status block; `image.ld` puts its address in the image header.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static __cabi_status: Status = Status(UnsafeCell::new(StatusBlock::IDLE));

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
    // SAFETY: the shim copied `f.arg_bytes()` bytes to `args`.
    let result = unsafe { run(f, args) };
    refresh_status();
    result
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
#[inline(never)]
fn vload(h: u32, dirty: u16) -> FarPtr {
    heap::vload(h, dirty)
}
#[inline(never)]
fn vlock(h: u32) -> FarPtr {
    heap::vlock(h)
}
#[inline(never)]
fn vunlock(h: u32, dirty: u16) {
    heap::vunlock(h, dirty)
}
#[inline(never)]
fn vlockcnt(h: u32) -> u16 {
    heap::vlockcnt(h)
}

/// Copies the DOS layer's status values into the block the shim reads.
#[inline(never)]
fn refresh_status() {
    let status = StatusBlock::from_heap(&heap::status());
    // SAFETY: single-threaded; no reference to the block is alive (the shim
    // reads it only after the dispatcher has returned).
    unsafe { *__cabi_status.0.get() = status };
}
