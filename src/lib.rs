//! vmemory: a virtual memory manager for real-mode DOS.
//!
//! Rooms (each change belongs in exactly one of them):
//! - [`vmm`]: the portable core. No asm, no target cfg; backends behind traits;
//!   built and tested on the host too.
//! - `dos`: the real-mode layer (DOS, XMS, EMS, far memory, program runtime).
//!   All `asm!` lives there. Built only for the DOS target.
//! - `heap`: the core over the real-mode backends: one program-wide VMM
//!   with the ten MSC functions (what the C ABI calls).
//! - `vm`: the safe Rust API (heap, handles, load views, lock guards).
//! - `cabi`: the Rust side of the C ABI (far Pascal shim in `asm/`).
//! - `near_heap` (feature `alloc`): a global allocator over the program
//!   segment's free space, for `Vec`, `Box` and `String`.
//!
//! Not in the library: the DOS test programs, the benchmark and their
//! helpers (the `dostests` package of the workspace, which depends on this
//! one). The RESULT.TXT log the test suite reads (`dos::testlog`) is here
//! only with the feature `testlog`.
#![cfg_attr(not(test), no_std)]
// Per-function `#[optimize(size)]` on cold code (init, term, exit, open):
// the DOS build only (the host build of the core runs on a stable compiler).
#![cfg_attr(feature = "dos", feature(optimize_attribute))]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod vmm;

#[cfg(target_os = "none")]
pub mod dos;

#[cfg(target_os = "none")]
pub mod heap;

#[cfg(target_os = "none")]
pub mod vm;

#[cfg(target_os = "none")]
pub mod cabi;

#[cfg(all(target_os = "none", feature = "alloc"))]
pub mod near_heap;
