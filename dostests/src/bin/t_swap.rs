//! DOS test: where blocks go when they leave the cache.
//!
//! - swap order: XMS before EMS before disk; a store of lower preference is
//!   used only when every store before it is full or absent;
//! - `swaparea` flags: with one flag only that store is used; with none,
//!   loads fail cleanly once the cache is full of dirty blocks;
//! - spill-over when XMS has no handles left (EMS then takes the blocks);
//! - `_VM_ALLDOS` takes all conventional memory and term gives it back;
//! - the application's own EMS mapping is exactly as it was.
//!
//! Every phase checks every byte it wrote.
#![no_std]
#![no_main]

use vmemory::dos::ems::{self, EmsBlock, LogicalPage, PageMap, PhysicalPage};
use vmemory::dos::far::FarPtr;
use vmemory::dos::mem;
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{self, XmsBlock};
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::{StoreKind, StoreStats, VM_DISK as DISK, VM_EMS as EMS, VM_XMS as XMS};

dos_main!(main);

const CACHE: u16 = 8192; // 128 KiB
const BLOCK: u32 = 6000;
const MAX_BLOCKS: usize = 400;

fn byte(h: u32, i: u32) -> u8 {
    (h ^ (h >> 11)).wrapping_add(i.wrapping_mul(0x9D)) as u8
}

struct Run {
    written: usize,
    intact: bool,
    outs: [u32; 3],
    full: u16,
}

/// Writes `bytes` in 6000-byte blocks through a 128 KiB cache with
/// `swaparea`, reads all back, frees, terms. Stops writing at the first
/// allocation or load failure (counted in `written`).
fn run(log: &mut TestLog, swaparea: u16, bytes: u32) -> Option<Run> {
    if heap::vheapinit(CACHE, CACHE, swaparea) == 0 {
        log.check("vheapinit", false, format_args!("swaparea {}", swaparea));
        return None;
    }
    let mut hs = [0u32; MAX_BLOCKS];
    let n = ((bytes / BLOCK) as usize).min(MAX_BLOCKS);
    let mut written = 0;
    let mut buf = [0u8; 600];
    for (i, slot) in hs.iter_mut().enumerate().take(n) {
        let h = heap::vmalloc(BLOCK);
        if h == 0 {
            break;
        }
        let p = heap::vload(h, 1);
        if p.is_null() {
            heap::vfree(h);
            break;
        }
        for part in 0..10 {
            for (j, b) in buf.iter_mut().enumerate() {
                *b = byte(h, part * 600 + j as u32);
            }
            // SAFETY: `p` is the _vload pointer of a 6000-byte block, valid
            // until the next VMM call.
            unsafe { FarPtr::new(p.seg, part as u16 * 600).write_bytes(&buf) };
        }
        *slot = h;
        written = i + 1;
    }
    let mut intact = true;
    for &h in &hs[..written] {
        let p = heap::vload(h, 0);
        if p.is_null() {
            intact = false;
            break;
        }
        for part in 0..10 {
            // SAFETY: as above.
            unsafe { FarPtr::new(p.seg, part as u16 * 600).read_bytes(&mut buf) };
            intact &= buf
                .iter()
                .enumerate()
                .all(|(j, &b)| b == byte(h, part * 600 + j as u32));
        }
    }
    let outs = heap::with_vmm(|v| {
        [StoreKind::Xms, StoreKind::Ems, StoreKind::Disk].map(|k| {
            let s: StoreStats = v.store_stats(k);
            s.page_outs
        })
    });
    let full = heap::with_vmm(|v| v.status().stores_full.bits());
    for &h in &hs[..written] {
        heap::vfree(h);
    }
    heap::vheapterm();
    Some(Run {
        written,
        intact,
        outs,
        full,
    })
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let have_xms = xms::detect();
    let have_ems = ems::detect();
    log.note(format_args!("XMS {}, EMS {}", have_xms, have_ems));

    // Swap order with every store allowed: 1.5 MB through 128 KiB.
    if let Some(r) = run(&mut log, XMS | EMS | DISK, 1_500_000) {
        log.note(format_args!(
            "all stores: {} blocks, page-outs XMS {} EMS {} disk {}, full {:#x}",
            r.written, r.outs[0], r.outs[1], r.outs[2], r.full
        ));
        log.check_eq("all stores: every block written", r.written, 250);
        log.check(
            "all stores: every byte back",
            r.intact,
            format_args!("differs"),
        );
        let first = if have_xms {
            0
        } else if have_ems {
            1
        } else {
            2
        };
        log.check(
            "all stores: preferred store used",
            r.outs[first] > 0,
            format_args!("{:?}", r.outs),
        );
        // A later store only when every earlier present one is full.
        let xms_full = !have_xms || r.full & XMS != 0;
        let ems_full = !have_ems || r.full & EMS != 0;
        log.check(
            "all stores: EMS only after XMS is full",
            r.outs[1] == 0 || xms_full,
            format_args!("{:?}", r.outs),
        );
        log.check(
            "all stores: disk only after XMS and EMS are full",
            r.outs[2] == 0 || (xms_full && ems_full),
            format_args!("{:?}", r.outs),
        );
    }

    // One swaparea flag at a time: only that store is used.
    for (name, flag, idx, present) in [
        ("XMS", XMS, 0, have_xms),
        ("EMS", EMS, 1, have_ems),
        ("disk", DISK, 2, true),
    ] {
        let Some(r) = run(&mut log, flag, 600_000) else {
            continue;
        };
        log.note(format_args!(
            "{} only: {} blocks, page-outs {:?}",
            name, r.written, r.outs
        ));
        log.check(
            "single store: bytes back",
            r.intact,
            format_args!("{} differs", name),
        );
        let others = (0..3).filter(|&k| k != idx).all(|k| r.outs[k] == 0);
        log.check(
            "single store: no other store used",
            others,
            format_args!("{} {:?}", name, r.outs),
        );
        if present {
            // The small configuration may run out of memory before 600 KB.
            log.check(
                "single store: it was used",
                r.outs[idx] > 0,
                format_args!("{} {:?}", name, r.outs),
            );
        } else {
            log.check_eq("absent store: cache only", r.outs, [0, 0, 0]);
        }
    }

    // No swap at all: the cache fills, then loads fail cleanly.
    if let Some(r) = run(&mut log, 0, 600_000) {
        log.note(format_args!("no swap: {} blocks fit", r.written));
        log.check(
            "no swap: fewer blocks than asked",
            r.written < 100 && r.written > 5,
            format_args!("{}", r.written),
        );
        log.check(
            "no swap: the blocks that fit are intact",
            r.intact,
            format_args!("differs"),
        );
    }

    // XMS with no handles left: blocks go to EMS instead.
    if have_xms && have_ems {
        let mut hogs: [Option<XmsBlock>; 128] = [const { None }; 128];
        let mut taken = 0;
        for slot in hogs.iter_mut() {
            match XmsBlock::new(1) {
                Ok(b) => {
                    *slot = Some(b);
                    taken += 1;
                }
                Err(_) => break,
            }
        }
        log.note(format_args!("took {} XMS handles", taken));
        if let Some(r) = run(&mut log, XMS | EMS | DISK, 600_000) {
            log.check(
                "XMS out of handles: spilled to EMS",
                r.outs[0] == 0 && r.outs[1] > 0,
                format_args!("{:?}", r.outs),
            );
            log.check(
                "XMS out of handles: bytes back",
                r.intact,
                format_args!("differs"),
            );
        }
        drop(hogs);
    }

    // _VM_ALLDOS: everything, then all of it back.
    let before = mem::largest_free();
    if heap::vheapinit(0, 0, XMS | EMS | DISK) != 0 {
        let st = heap::status();
        let during = mem::largest_free();
        log.note(format_args!(
            "_VM_ALLDOS: {} paragraphs free before, cache {} pages, {} free during",
            before.0, st.c_page_dos, during.0
        ));
        log.check(
            "_VM_ALLDOS takes all DOS memory",
            u32::from(st.c_page_dos) * 256 + 256 > u32::from(before.0) && during.0 < 256,
            format_args!("{} pages, {} left", st.c_page_dos, during.0),
        );
        heap::vheapterm();
        log.check_eq(
            "_VM_ALLDOS: term gives it back",
            mem::largest_free(),
            before,
        );
    } else {
        log.check("_VM_ALLDOS init", false, format_args!("failed"));
    }
    log.check_eq(
        "dosmin above what DOS has",
        heap::vheapinit(before.0 + 1, 0, DISK),
        0,
    );

    // The application's EMS mapping survives VMM calls that swap via EMS.
    if have_ems {
        match EmsBlock::new(4) {
            Ok(mine) => {
                let frame = ems::page_frame().unwrap();
                for p in 0..4u8 {
                    let _ = mine.map(PhysicalPage(p), LogicalPage(u16::from(3 - p)));
                    // SAFETY: physical page p of the frame shows our page now.
                    unsafe { FarPtr::new(frame, u16::from(p) * 16384).write_bytes(b"MINE") };
                }
                let before = PageMap::save();
                let r = run(&mut log, EMS, 400_000);
                let after = PageMap::save();
                log.check(
                    "EMS map unchanged after VMM calls",
                    before.is_ok() && after.is_ok() && before.ok() == after.ok(),
                    format_args!("differs"),
                );
                let mut seen = true;
                for p in 0..4u16 {
                    let mut b = [0u8; 4];
                    // SAFETY: the frame still shows our pages if the map is kept.
                    unsafe { FarPtr::new(frame, p * 16384).read_bytes(&mut b) };
                    seen &= &b == b"MINE";
                }
                log.check(
                    "our EMS pages still in the frame",
                    seen,
                    format_args!("replaced"),
                );
                log.check(
                    "EMS swapping really happened",
                    r.is_some_and(|r| r.outs[1] > 0 && r.intact),
                    format_args!("no EMS page-outs"),
                );
            }
            Err(e) => {
                log.check("allocate our own EMS pages", false, format_args!("{:?}", e));
            }
        }
    }
    log.finish()
}
