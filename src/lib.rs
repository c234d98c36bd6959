//! vmemory: a virtual memory manager for real-mode DOS.
//!
//! Rooms (each change belongs in exactly one of them):
//! - [`vmm`]: the portable core. No asm, no target cfg; backends behind traits;
//!   built and tested on the host too.
//! - `dos`: the real-mode layer (DOS, XMS, EMS, far memory, program runtime).
//!   All `asm!` lives there. Built only for the DOS target.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod vmm;

#[cfg(target_os = "none")]
pub mod dos;

#[cfg(target_os = "none")]
pub mod heap;
