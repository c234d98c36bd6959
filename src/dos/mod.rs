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
pub mod file;
pub mod mem;
pub mod rt;
pub mod system;
#[cfg(feature = "testlog")]
pub mod testlog;
pub mod xms;

mod error;

pub(crate) use error::dos_result;
pub use error::DosError;
pub use far::{FarPtr, Segment};
