//! The report: the table of our times beside the published ones, the
//! details of each workload, and the `FIG` lines `tools/benchchart` draws
//! the chart from (`make bench`). Its format is what `tools/benchchart`
//! and README.md's figures read: change both together.
//!
//! What belongs here: printing. What does not: measuring (the workload
//! modules) and the published constants (`published`).

use core::fmt;

use vmemory::vmm::VM_DISK;
use vmemory::{print, println};

use crate::churn::Churn;
use crate::fill::Fill;
use crate::published::{
    PUB_FILL_MB_X100, PUB_MS_CHURN_16K, PUB_MS_CHURN_ALL, PUB_MS_FILL, PUB_PEER_CHURN_16K,
    PUB_PEER_CHURN_ALL, PUB_PEER_FILL,
};
use crate::resident::VloadCost;
use crate::stream::StreamResult;
use crate::Sizes;

/// Microseconds printed as seconds, right-aligned in the formatter's
/// width, with its precision in decimals (three if none is given).
struct Secs(u32);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / 1000;
        let p = f.precision().unwrap_or(3).min(3);
        let unit = 10u32.pow(3 - p as u32);
        let v = (ms + unit / 2) / unit;
        let scale = 10u32.pow(p as u32);
        let w = f.width().unwrap_or(0).saturating_sub(p + 1);
        write!(f, "{:>w$}.{:0p$}", v / scale, v % scale)
    }
}

/// `num / den` with one decimal, right-aligned ("-" if `den` is 0).
struct Ratio(u32, u32);

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 == 0 {
            return f.pad("-");
        }
        let (a, b) = (u64::from(self.0), u64::from(self.1));
        let x10 = ((a * 10 + b / 2) / b) as u32;
        let w = f.width().unwrap_or(0).saturating_sub(2);
        write!(f, "{:>w$}.{}", x10 / 10, x10 % 10)
    }
}

/// One row of the table: our time against the published ones (seconds;
/// `peer_hi` above `peer` for a published range).
fn row(label: &str, ours_us: Option<u32>, ms: u32, peer: u32, peer_hi: u32) {
    let Some(t) = ours_us else {
        println!("{:<30}      (failed)", label);
        return;
    };
    print!(
        "{:<30} {:>9} {:>10.1} {:>7.1}",
        label,
        Secs(t),
        Secs(ms),
        Secs(peer)
    );
    if peer_hi > peer {
        print!("-{:.1}", Secs(peer_hi));
    } else {
        print!("      ");
    }
    print!(" {:>7}x {:>6}x", Ratio(ms, t), Ratio(peer, t));
    if peer_hi > peer {
        print!("-{}x", Ratio(peer_hi, t));
    }
    println!();
}

/// One machine-readable line for `tools/benchchart` (`make bench` draws
/// the chart from them): `FIG key v1 v2 ...`, `-` for a figure that failed.
fn fig(key: &str, values: &[Option<u32>]) {
    print!("FIG {}", key);
    for v in values {
        match v {
            Some(v) => print!(" {}", v),
            None => print!(" -"),
        }
    }
    println!();
}

/// Seconds as microseconds.
const fn sec(s: u32) -> u32 {
    s * 1_000_000
}

#[inline(never)]
pub fn report(
    s: &Sizes,
    quick: bool,
    empty: u32,
    runs: [&Option<Churn>; 2],
    filled: &Option<Fill>,
    vl: &Option<VloadCost>,
    streams: &[StreamResult; 3],
) {
    println!();
    println!(
        "workload                        ours (s) MS VMM (s) best peer (s)  MS/ours peer/ours"
    );
    row(
        "churn, heap = all DOS memory",
        runs[0].as_ref().map(|r| r.us),
        sec(PUB_MS_CHURN_ALL),
        sec(PUB_PEER_CHURN_ALL.0),
        sec(PUB_PEER_CHURN_ALL.1),
    );
    row(
        "churn, heap = 16 KB",
        runs[1].as_ref().map(|r| r.us),
        sec(PUB_MS_CHURN_16K),
        sec(PUB_PEER_CHURN_16K),
        0,
    );
    // Fill: seconds per MB (2^20 bytes), against 1381 s and about 70 s
    // for the published 4.15 MB.
    let per_mb = filled
        .as_ref()
        .filter(|f| f.blocks > 0)
        .map(|f| (f.fill_us + f.walk_us) / f.blocks * 4096);
    let mb = |s: u32| s * (100_000_000 / PUB_FILL_MB_X100);
    row(
        "fill 256-byte blocks, s per MB",
        per_mb,
        mb(PUB_MS_FILL),
        mb(PUB_PEER_FILL),
        0,
    );
    println!("{:<30} {:>9}", "empty loop, churn shape", Secs(empty));
    println!(
        "Published figures (real 386/20, from the literature, not measured here): MS VMM 210 s,"
    );
    println!(
        "2150 s, 1381 s for 4.15 MB; best peer 70-144 s, 166 s, about 70 s. MS/ours, peer/ours:"
    );
    println!("how many times less time we take. Ours: emulated seconds, this run.");
    println!();
    for (r, label) in runs.iter().zip(["churn, all DOS", "churn, 16 KB"]) {
        if let Some(r) = r {
            println!(
                "{}: {} allocs, {} frees, {} failed; {} s net of the empty loop",
                label,
                r.allocs,
                r.frees,
                r.fails,
                Secs(r.us.saturating_sub(empty))
            );
            println!(
                "  swap (EMS + disk): handle-table pages in/out {}/{}, blocks in/out {}/{} KB",
                r.table_in, r.table_out, r.kb_in, r.kb_out
            );
        }
    }
    if let Some(f) = filled {
        println!(
            "fill: {} blocks = {} KB, until {}; {} KB cache, swap {}",
            f.blocks,
            f.blocks / 4,
            if f.blocks == s.fill_cap {
                "the quick run's cap"
            } else if f.ended_by_load {
                "_vload returned NULL for a block _vmalloc had just given"
            } else {
                "_vmalloc returned _VM_NULL"
            },
            s.fill_cache_paras / 64,
            if s.fill_swap & VM_DISK != 0 {
                "XMS+EMS+disk"
            } else {
                "XMS+EMS"
            }
        );
        println!(
            "  fill {} s, walk back {} s; {} KB swapped out during the fill",
            Secs(f.fill_us),
            Secs(f.walk_us),
            f.out_kb
        );
    }
    if let Some(v) = vl {
        // Hundredths of a microsecond per call.
        let per = |t: u32| t.saturating_sub(v.empty_us) * 100 / v.calls;
        let (a, b) = (per(v.same_us), per(v.turn_us));
        println!(
            "_vload(h, 0) on a resident block: {}.{:02} us per call (same block), {}.{:02} us",
            a / 100,
            a % 100,
            b / 100,
            b % 100
        );
        println!(
            "  (64 blocks in turn); {} calls each, empty loop subtracted",
            v.calls
        );
    }
    println!(
        "stream {} KB through a 64 KB cache in 8 KB blocks (one dirty pass): VMM time / raw time",
        s.stream_bytes / 1024
    );
    println!("of the same bytes in and out with the store's own calls");
    for (r, label) in streams.iter().zip([
        "XMS  (raw: 0Bh moves)       ",
        "EMS  (raw: 44h map + copy)  ",
        "disk (raw: 42h + 3Fh/40h)   ",
    ]) {
        match r {
            StreamResult::Done(t) => println!(
                "  {} VMM {} s, raw {} s, ratio {}\n      in/out {}/{} KB, {} page-ins + outs, {} free-list + table ops",
                label,
                Secs(t.vmm_us),
                Secs(t.raw_us),
                Ratio(t.vmm_us, t.raw_us),
                t.bytes_in / 1024,
                t.bytes_out / 1024,
                t.pages,
                t.meta
            ),
            StreamResult::Absent => println!("  {} not available in this configuration", label),
            StreamResult::Failed => println!("  {} failed (see above)", label),
        }
    }

    // The figures above once more, machine-readable (microseconds; the
    // published ones as the table scales them; _vload in hundredths of a
    // microsecond per call).
    println!();
    fig("quick", &[Some(u32::from(quick))]);
    fig(
        "churn_all",
        &[
            runs[0].as_ref().map(|r| r.us),
            Some(sec(PUB_MS_CHURN_ALL)),
            Some(sec(PUB_PEER_CHURN_ALL.0)),
            Some(sec(PUB_PEER_CHURN_ALL.1)),
        ],
    );
    fig(
        "churn_16k",
        &[
            runs[1].as_ref().map(|r| r.us),
            Some(sec(PUB_MS_CHURN_16K)),
            Some(sec(PUB_PEER_CHURN_16K)),
            Some(sec(PUB_PEER_CHURN_16K)),
        ],
    );
    fig(
        "fill_per_mb",
        &[
            per_mb,
            Some(mb(PUB_MS_FILL)),
            Some(mb(PUB_PEER_FILL)),
            Some(mb(PUB_PEER_FILL)),
        ],
    );
    let per_call = |t: fn(&VloadCost) -> u32| {
        vl.as_ref()
            .map(|v| t(v).saturating_sub(v.empty_us) * 100 / v.calls)
    };
    fig("vload", &[per_call(|v| v.same_us), per_call(|v| v.turn_us)]);
    for (r, key) in streams
        .iter()
        .zip(["stream_xms", "stream_ems", "stream_disk"])
    {
        match r {
            StreamResult::Done(t) => fig(key, &[Some(t.vmm_us), Some(t.raw_us)]),
            _ => fig(key, &[None, None]),
        }
    }
}
