//! The CPU's state as a program sees it: the interrupt flag and stack
//! pointer (the near heap's critical sections, `crate::near_heap`, and its
//! check that the stack has not grown into the heap's space), and the
//! processor's mode (real or virtual-8086).

use core::arch::asm;

/// The FLAGS bit IF (interrupts enabled).
const FLAGS_IF: u16 = 1 << 9;

/// Disables maskable interrupts (CLI) and returns whether they were enabled,
/// to hand to [`restore_interrupts`].
pub fn disable_interrupts() -> bool {
    let flags: u16;
    // SAFETY: PUSHF/POP reads FLAGS through the stack (balanced inside the
    // block); CLI only masks interrupts, which `restore_interrupts` undoes.
    unsafe { asm!("pushf", "pop {f:x}", "cli", f = out(reg) flags, options(nomem)) };
    flags & FLAGS_IF != 0
}

/// Enables interrupts again (STI) if `were_enabled`, the value
/// [`disable_interrupts`] returned; otherwise leaves them disabled.
pub fn restore_interrupts(were_enabled: bool) {
    if were_enabled {
        // SAFETY: STI sets IF, which was set before the matching CLI.
        unsafe { asm!("sti", options(nomem, nostack)) };
    }
}

/// Runs `f` with maskable interrupts disabled, then restores the
/// interrupt flag as it was.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    let were_enabled = disable_interrupts();
    let r = f();
    restore_interrupts(were_enabled);
    r
}

/// The current stack pointer (an offset in the program's segment).
pub fn stack_pointer() -> u16 {
    let sp: u16;
    // SAFETY: copying SP into a register has no side effect.
    unsafe { asm!("mov {0:x}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

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
