//! The processor's mode, as a program sees it.

use core::arch::asm;

/// Whether the processor runs in protected mode, which for a DOS program
/// means virtual-8086 mode under a memory manager such as Jemm386 or
/// EMM386 (every EMS 4.0 manager on a 386 works that way; DOSBox and
/// DOSBox-X run programs in real mode).
///
/// Read with SMSW, the one instruction that shows CR0's PE bit without
/// privilege: in V86 mode it does not fault (MOV from CR0 would).
pub fn protected_mode() -> bool {
    let msw: u16;
    // SAFETY: SMSW only writes its register; it is allowed at any privilege
    // level and in V86 mode.
    unsafe { asm!("smsw {0:x}", out(reg) msw, options(nomem, nostack, preserves_flags)) };
    msw & 1 != 0
}
