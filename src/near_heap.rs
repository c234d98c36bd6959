//! `alloc` for DOS programs: a global allocator over the free space of the
//! program's own 64 KiB segment, so `Vec`, `Box` and `String` work in
//! conventional memory (feature `alloc`; the program builds `alloc` with
//! `-Zbuild-std=core,alloc`).
//!
//! ```ignore
//! extern crate alloc;
//! use vmemory::near_heap::NearHeap;
//!
//! #[global_allocator]
//! static HEAP: NearHeap = NearHeap::empty();
//!
//! fn main() -> u8 {
//!     HEAP.init(NearHeap::DEFAULT_STACK_BYTES).expect("near heap");
//!     let v: alloc::vec::Vec<u32> = (0..100).collect();
//!     // ...
//! }
//! ```
//!
//! # Where the memory comes from, and why it does not fight the VMM's cache
//!
//! A program built on vmemory is a tiny-model .EXE (`vmemory.ld`): code,
//! data, `.bss` and the stack share one 64 KiB segment, and Rust's near
//! pointers reach nothing else. The .EXE header asks DOS for exactly that
//! segment, so when the program starts, DOS has already given it every byte
//! between the end of `.bss` and the top of the stack, and every other
//! paragraph of conventional memory is in DOS's free pool. This heap takes
//! the first part (from the end of `.bss` up to the stack's reserve); the
//! VMM's cache is a separate DOS memory block taken from the free pool by
//! `_vheapinit` (`dos_min_paras`..`dos_max_paras`, 0 = all of it). Neither
//! can take the other's memory, whatever sizes are chosen, and
//! `_VM_ALLDOS` leaves this heap intact.
//!
//! The sizes: heap = 64 KiB - (code + data + `.bss`) - stack reserve. The
//! stack reserve is the argument of [`NearHeap::init`]: at least
//! [`NearHeap::MIN_STACK_BYTES`] (what the linker script guarantees), and
//! [`NearHeap::DEFAULT_STACK_BYTES`] covers the VMM's deepest call
//! (`_vheapinit`, about 4 KiB) with room for the program. Real mode has no
//! guard page: a stack deeper than its reserve overwrites the top of the
//! heap, so size it for the program's deepest call. The cache size is then
//! chosen freely by `Config`.
//!
//! The allocator is `embedded-alloc`'s linked-list first-fit heap (`LlffHeap`);
//! its critical sections disable interrupts (`dos::cpu`), so an interrupt
//! handler may allocate too. This module is the program's implementation
//! of the `critical-section` crate (`critical_section::set_impl!`), so the
//! program and its other dependencies must not provide another one. Allocation failure returns null to `alloc`
//! (`try_reserve` reports it; `Vec::push` and friends end the program
//! through the panic handler, exit code 255).

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, Ordering};

use embedded_alloc::LlffHeap;

use crate::dos::cpu;

extern "C" {
    /// End of `.bss` (defined by the linker script).
    static __bss_end: u8;
    /// Top of the stack, where SP starts (defined by the linker script).
    static __stack_top: u8;
}

/// Why [`NearHeap::init`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearHeapError {
    /// `init` was called before.
    AlreadyInitialized,
    /// The stack reserve is below [`NearHeap::MIN_STACK_BYTES`].
    StackTooSmall,
    /// Code, data, `.bss` and the stack reserve leave no room for a heap.
    NoSpace,
    /// The stack already reaches below its reserve (init was called from
    /// too deep a call, or the reserve is smaller than the stack in use).
    StackInUse,
}

/// The program's near heap: a [`GlobalAlloc`] over the free space of its
/// segment. Empty until [`init`](Self::init); allocations before that fail
/// (null).
pub struct NearHeap {
    heap: LlffHeap,
    initialized: AtomicBool,
}

/// Start and end (exclusive) of the bytes a heap with a stack reserve of
/// `stack_bytes` would get, 16-byte aligned, or `None` if there are none.
fn region(stack_bytes: u16) -> Option<(usize, usize)> {
    // Only the addresses of the linker's symbols are taken (safe).
    let bss_end = core::ptr::addr_of!(__bss_end) as usize;
    let stack_top = core::ptr::addr_of!(__stack_top) as usize;
    let start = bss_end.checked_add(15)? & !15;
    let end = stack_top.checked_sub(usize::from(stack_bytes))? & !15;
    (end > start).then_some((start, end))
}

impl NearHeap {
    /// The least stack reserve: what `vmemory.ld` guarantees every program.
    pub const MIN_STACK_BYTES: u16 = 0x1800;

    /// A stack reserve for programs that use the VMM (its deepest call,
    /// `_vheapinit`, takes about 4 KiB) with room for their own calls.
    pub const DEFAULT_STACK_BYTES: u16 = 0x2000;

    /// An empty heap, for the `#[global_allocator]` static.
    pub const fn empty() -> Self {
        Self {
            heap: LlffHeap::empty(),
            initialized: AtomicBool::new(false),
        }
    }

    /// Gives the heap every byte of the segment from the end of `.bss` up to
    /// `stack_bytes` below the stack's top; returns the heap's size in bytes.
    /// Call it once, early in `main` (the stack must not already reach into
    /// that space).
    pub fn init(&self, stack_bytes: u16) -> Result<usize, NearHeapError> {
        if stack_bytes < Self::MIN_STACK_BYTES {
            return Err(NearHeapError::StackTooSmall);
        }
        let (start, end) = region(stack_bytes).ok_or(NearHeapError::NoSpace)?;
        if usize::from(cpu::stack_pointer()) <= end {
            return Err(NearHeapError::StackInUse);
        }
        // `swap` is an XCHG, which the 386 has (no CMPXCHG needed).
        if self.initialized.swap(true, Ordering::AcqRel) {
            return Err(NearHeapError::AlreadyInitialized);
        }
        // SAFETY: start..end lies in the program's segment, between `.bss`
        // and the stack (checked just above against SP), memory DOS gave
        // the program and nothing else uses; this runs once (the flag).
        unsafe { self.heap.init(start, end - start) };
        Ok(end - start)
    }

    /// Bytes in use (an estimate: the allocator's own count).
    pub fn used(&self) -> usize {
        self.heap.used()
    }

    /// Bytes free (an estimate: free space, possibly fragmented).
    pub fn free(&self) -> usize {
        self.heap.free()
    }
}

// SAFETY: delegates to `LlffHeap`, a correct allocator; before `init` it
// has no memory and returns null.
unsafe impl GlobalAlloc for NearHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's `GlobalAlloc` contract, passed on.
        unsafe { self.heap.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's `GlobalAlloc` contract, passed on.
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}

/// `critical-section`'s implementation for DOS (one CPU): interrupts off
/// inside, the interrupt flag put back as it was afterwards.
struct DosCriticalSection;
critical_section::set_impl!(DosCriticalSection);

// SAFETY: with interrupts disabled nothing else runs on a single-CPU DOS
// machine; `release` gets the state `acquire` returned.
unsafe impl critical_section::Impl for DosCriticalSection {
    unsafe fn acquire() -> critical_section::RawRestoreState {
        cpu::disable_interrupts()
    }

    unsafe fn release(were_enabled: critical_section::RawRestoreState) {
        cpu::restore_interrupts(were_enabled)
    }
}
