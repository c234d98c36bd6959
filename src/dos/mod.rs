//! The real-mode layer: DOS (INT 21h), XMS, EMS and far memory.
//!
//! All `asm!` of the project lives below this module, one block per
//! interrupt or driver function, each naming every register it reads or
//! writes. Each API's return convention is turned into a `Result` in exactly
//! one place each (`error::dos_result` for INT 21h, `xms_result`,
//! `ems_result`).
//!
//! What belongs here: the library's access to DOS and the drivers, and the
//! program runtime. What does not: the VMM's logic (`vmm`, `heap`), and
//! what only the test programs need (the `dostests` package; the RESULT.TXT
//! log `testlog` is here, behind the feature `testlog`, because vmemory's
//! own demo and examples write it too).
//!
//! The whole layer assumes the tiny model the DOS programs run in: CS = DS =
//! ES = SS = the program's segment, so a Rust near pointer is an offset in
//! that segment (its high 16 bits are always zero).

pub mod console;
pub mod cpu;
pub mod disk;
pub mod ems;
pub mod env;
pub mod exitguard;
pub mod far;
#[cfg(feature = "faults")]
pub mod faults;
pub mod file;
pub mod mem;
pub mod rt;
pub mod system;
#[cfg(feature = "testlog")]
pub mod testlog;
pub mod xms;

mod error;

pub(crate) use error::{dos_result, released};
pub use error::{DosError, RELEASE_TRIES};
pub use far::{FarPtr, Segment};

use core::cell::UnsafeCell;

/// A value of the layer's own (what driver was found, and where): a plain
/// cell, not an atomic, so that a test of it is one compare with memory
/// (an atomic's load went through a register, 3 or 4 bytes more at every
/// driver call that looks). Transparent: the XMS calls far-call through
/// one where it lies.
#[repr(transparent)]
pub(crate) struct Plain<T>(UnsafeCell<T>);

// SAFETY: DOS programs have one thread. Besides the program's own flow,
// only the exit guard's clean-up reads these cells (it frees EMBs and EMS
// handles when the program ends, perhaps in the middle of a call); the
// cells are written only when the layer looks for its drivers or probes
// what one can do (XMS `wide_sizes`), by stores that are not DOS calls
// (Ctrl-Break and critical errors reach the exit guard only through DOS
// calls), so the clean-up never runs in the middle of one and sees the old
// value or the new one. `get` and `set` copy the value (no reference
// escapes).
unsafe impl<T: Copy> Sync for Plain<T> {}

impl<T: Copy> Plain<T> {
    /// A cell holding `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// The value.
    pub(crate) fn get(&self) -> T {
        // SAFETY: single-threaded (see the `Sync` impl); no reference into
        // the cell is alive.
        unsafe { *self.0.get() }
    }

    /// Replaces the value.
    pub(crate) fn set(&self, value: T) {
        // SAFETY: as in `get`.
        unsafe { *self.0.get() = value }
    }
}
