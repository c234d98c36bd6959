//! BENCH.EXE: the first DOS benchmark of the VMM, through the MSC-shaped
//! functions of `vmemory::heap` (what C programs call).
//!
//! Re-creates three published workloads and times them with the PIT
//! ([`dostests::timer`]), in emulated seconds when DOSBox runs at
//! `cycles=fixed 3000` (about a 386 at 20 MHz):
//!
//! - churn: 1000 handle slots, 250 passes x 1000 operations; each picks a
//!   random slot and frees its block if it has one, else allocates 5..512
//!   bytes. Once with all DOS memory as the cache, once with 16 KB (1024
//!   paragraphs); swap areas EMS + disk.
//! - fill: 128 KB cache (8192 paragraphs); 256-byte blocks are allocated
//!   until `_vmalloc` fails, each loaded dirty and given the previous
//!   handle; then the chain is walked back, each block loaded clean, read
//!   and freed. Swap areas XMS + EMS (disk would make "until it fails"
//!   mean "until the host disk is full"), so extended memory (the
//!   `memsize` of `conf/bench.conf`) bounds it.
//! - the churn loop with no VMM calls, as the baseline.
//!
//! and prints them beside the published figures for the MS VMM and the
//! best commercial peer of the time (constants below, labelled so). It also
//! measures `_vload` on a resident block, and per swap store the time to
//! stream 4 MB through a 64 KB cache divided by the time the store's own
//! calls take to move the same bytes.
//!
//! `BENCH.EXE quick` runs every workload at a tiny size and checks the
//! results (blocks read back what was written, the fill chain is intact),
//! logging to `RESULT.TXT` for the DOS test harness.
//!
//! One module per workload (`churn`, `fill`, `resident`: `_vload` on
//! resident blocks, `stream`), the published figures (`published`), what
//! they share (`kit`), the stack painting (`stack`) and the report
//! (`report`, whose format `tools/benchchart` reads). This file holds the
//! sizes of the full and the quick run and the order of the run.
#![no_std]
#![no_main]

mod churn;
mod fill;
mod kit;
mod published;
mod report;
mod resident;
mod stack;
mod stream;

use dostests::timer::PitClock;
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::vmm::{StoreKind, VM_ALLDOS, VM_DISK, VM_EMS, VM_XMS};
use vmemory::{dos_main, println};

use churn::{churn, churn_empty};
use fill::fill;
use kit::{Checks, Slots};
use report::report;
use resident::vload_cost;
use stack::{paint_stack, stack_unused};
use stream::{stream, STREAM_BLOCK};

dos_main!(main);

/// Workload sizes.
pub struct Sizes {
    pub churn_slots: usize,
    pub churn_passes: u32,
    pub churn_ops: u32,
    pub fill_cache_paras: u16,
    pub fill_swap: u16,
    /// Stop the fill after this many blocks even if `_vmalloc` still works.
    pub fill_cap: u32,
    pub vload_calls: u32,
    pub stream_bytes: u32,
}

/// The workloads exactly as published.
pub const FULL: Sizes = Sizes {
    churn_slots: 1000,
    churn_passes: 250,
    churn_ops: 1000,
    fill_cache_paras: 8192,
    fill_swap: VM_XMS | VM_EMS,
    fill_cap: u32::MAX,
    vload_calls: 20_000,
    stream_bytes: 4 * 1024 * 1024,
};

/// Smoke test: every workload, tiny. The fill uses a 16 KB cache and every
/// swap area so that it swaps under any configuration, and stops at 600
/// blocks (150 KB).
pub const QUICK: Sizes = Sizes {
    churn_slots: 200,
    churn_passes: 5,
    churn_ops: 400,
    fill_cache_paras: 1024,
    fill_swap: VM_XMS | VM_EMS | VM_DISK,
    fill_cap: 600,
    vload_calls: 200,
    stream_bytes: 256 * 1024,
};

/// The command line: `None` (full run), `Some(true)` ("quick"), or
/// `Some(false)` (anything else).
#[inline(never)]
fn quick_arg() -> Option<bool> {
    let mut arg = [0u8; 127];
    let n = rt::command_line(&mut arg);
    (n != 0).then(|| arg[..n].eq_ignore_ascii_case(b"quick"))
}

fn main() -> u8 {
    let quick = match quick_arg() {
        None => false,
        Some(true) => true,
        Some(false) => {
            println!("usage: BENCH [quick]");
            return 2;
        }
    };
    let s = if quick { &QUICK } else { &FULL };
    paint_stack();

    let mut c = Checks {
        log: if quick { Some(TestLog::create()) } else { None },
        failed: 0,
    };
    let clock = PitClock::start();
    println!(
        "vmemory benchmark{}",
        if quick {
            " (quick: tiny sizes, figures not comparable)"
        } else {
            ""
        }
    );

    // Room for the churn's slots and the stream's handles.
    let words = s.churn_slots.max((s.stream_bytes / STREAM_BLOCK) as usize);
    let Some(mut slots) = Slots::new(words) else {
        println!("no DOS memory for the churn's handle slots");
        return 2;
    };
    let empty = churn_empty(&clock, s, &mut slots);
    let all = churn(
        &clock,
        s,
        &mut slots,
        VM_ALLDOS,
        "churn, all DOS memory",
        &mut c,
    );
    let small = churn(&clock, s, &mut slots, 1024, "churn, 16 KB cache", &mut c);
    let filled = fill(&clock, s, &mut c);
    let vl = vload_cost(&clock, s, &mut slots, &mut c);
    let streams = [
        stream(&clock, s, &mut slots, StoreKind::Xms, "stream XMS", &mut c),
        stream(&clock, s, &mut slots, StoreKind::Ems, "stream EMS", &mut c),
        stream(
            &clock,
            s,
            &mut slots,
            StoreKind::Disk,
            "stream disk",
            &mut c,
        ),
    ];
    drop((clock, slots));
    report(s, quick, empty, [&all, &small], &filled, &vl, &streams);
    // The stack shares the 64 KiB segment with code and data: make sure a
    // margin was left.
    let unused = stack_unused();
    println!("stack: {} bytes never used", unused);
    c.check(
        "stack margin",
        unused >= 1024,
        "too little stack never used",
        unused as u32,
    );

    match c.log.take() {
        Some(log) => log.finish(),
        None => {
            println!(
                "{}",
                if c.failed == 0 {
                    "all checks passed"
                } else {
                    "SOME CHECKS FAILED"
                }
            );
            u8::from(c.failed != 0)
        }
    }
}
