//! How deep the stack grew: painted with a byte at the start, the bytes
//! still painted counted at the end. The stack shares the 64 KiB segment
//! with code and data (`__min_stack` in `src/dos/exe.ld`), so the run
//! checks that a margin was left.
//!
//! What belongs here: the painting and the count. What does not: the
//! stack's size (the linker script's).

extern "C" {
    /// End of `.bss` (src/dos/exe.ld): the stack grows down towards it.
    static __bss_end: u8;
}

/// Byte painted into the unused stack.
const PAINT: u8 = 0x5A;

/// Paints the stack below the caller's frame (minus a margin) so that
/// [`stack_unused`] can tell how deep it ever grew.
#[inline(never)]
pub fn paint_stack() {
    let here = 0u8;
    let top = core::ptr::addr_of!(here) as usize - 256;
    let mut p = core::ptr::addr_of!(__bss_end) as usize;
    while p < top {
        // SAFETY: the bytes between the end of `.bss` and the current stack
        // frame belong to no Rust object: they are the unused stack.
        unsafe { core::ptr::write_volatile(p as *mut u8, PAINT) };
        p += 1;
    }
}

/// Bytes of stack above `.bss` that were never written since
/// [`paint_stack`].
pub fn stack_unused() -> usize {
    let start = core::ptr::addr_of!(__bss_end) as usize;
    let mut p = start;
    // SAFETY: reads the unused stack below this frame (as in `paint_stack`).
    while unsafe { core::ptr::read_volatile(p as *const u8) } == PAINT {
        p += 1;
    }
    p - start
}
