//! The CPU's interrupt flag and stack pointer, for code that must know
//! them: the critical sections of the near heap (`crate::near_heap`) and
//! its check that the stack has not already grown into the heap's space.

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
