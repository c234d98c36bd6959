//! dostests: the DOS test programs and the benchmark of vmemory, and what
//! they share. Not part of the library: nothing here ships, and vmemory
//! does not depend on it.
//!
//! What belongs here (built only for the DOS target, `make`):
//! - `src/bin/t_*.rs`: one DOS test program each, run by `harness/dostest.sh`
//!   as `harness/tests.list` says; cargo finds them by themselves, and the
//!   Makefile builds `build/T_*.EXE` from whatever is in `src/bin`.
//! - `src/bin/bench/`: the benchmark (`BENCH.EXE`), one module per workload.
//! - This library: the helpers those programs share ([`faults`], [`pieces`],
//!   [`resources`], [`rng`], [`text`], [`timer`], [`require`]).
//!
//! What does not: anything the library's users or its C image need (that is
//! `vmemory`), the demo and the Rust examples (they are vmemory's own
//! programs), and the RESULT.TXT log itself (`vmemory::dos::testlog`, which
//! the demo and the examples write too).
#![no_std]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod faults;
pub mod pieces;
pub mod resources;
pub mod rng;
pub mod text;
pub mod timer;

use core::fmt;

use vmemory::dos::testlog::TestLog;

/// The value of `r`, or `None` after recording check `name` as failed with
/// the error (a step a test cannot go on without; success records nothing).
pub fn require<T, E: fmt::Debug>(log: &mut TestLog, name: &str, r: Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            log.check(name, false, format_args!("{:?}", e));
            None
        }
    }
}
