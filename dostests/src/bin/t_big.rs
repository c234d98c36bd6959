//! DOS test (DOSBox-X, memsize 160): a virtual heap beyond 64 MB of XMS.
//!
//! First a 64 MB EMB of the test's own is allocated with XMS 3.0 function
//! 89h and locked (0Ch) to learn where it lies; every block the VMM then
//! swaps out lands in extended memory above it, so past the 64 MB line.
//! The VMM fills a heap of 8 MB there, every byte is checked, freed, and
//! the heap ends. Then, without the hog, a 66 MB heap (more than 64 MB in
//! one store, grown with 8Fh) is filled, checked and freed.
#![no_std]
#![no_main]

use vmemory::dos::far::FarPtr;
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{self, XmsBlock};
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::{StoreKind, VM_EMS as EMS, VM_XMS as XMS};

dos_main!(main);

const BLOCK: u32 = 65_520;
const MAX_BLOCKS: usize = 1200;

/// The bytes of block `b` (the same in each 512-byte piece of it).
fn base(buf: &mut [u8; 512], b: u32) {
    for (j, x) in buf.iter_mut().enumerate() {
        *x = (j as u32).wrapping_mul(3).wrapping_add(b.wrapping_mul(131)) as u8;
    }
}

/// Piece `k` of block `b`: the base with the block and piece numbers up
/// front, so a piece in the wrong place or block is caught too.
fn stamp(buf: &mut [u8; 512], b: u32, k: u32) {
    buf[..4].copy_from_slice(&b.to_le_bytes());
    buf[4..8].copy_from_slice(&k.to_le_bytes());
}

/// Fills `mb` MB of heap, checks it all, frees it; returns (blocks, bad, XMS page-outs).
fn fill(log: &mut TestLog, label: &str, mb: u32) -> (usize, usize, u32) {
    if heap::vheapinit(8192, 8192, XMS | EMS) == 0 {
        log.check(label, false, format_args!("vheapinit failed"));
        return (0, 0, 0);
    }
    let n = ((mb << 20) / BLOCK + 1) as usize;
    let mut hs = [0u32; MAX_BLOCKS];
    let mut buf = [0u8; 512];
    let mut made = 0;
    for (b, slot) in hs.iter_mut().enumerate().take(n.min(MAX_BLOCKS)) {
        let h = heap::vmalloc(BLOCK);
        let p = if h != 0 {
            heap::vload(h, 1)
        } else {
            FarPtr::NULL
        };
        if p.is_null() {
            log.check(
                label,
                false,
                format_args!("block {} not allocated/loaded", b),
            );
            break;
        }
        base(&mut buf, b as u32);
        for k in 0..BLOCK / 512 {
            stamp(&mut buf, b as u32, k);
            // SAFETY: inside the block's _vload pointer, valid until the next call.
            unsafe { FarPtr::new(p.seg, (k * 512) as u16).write_bytes(&buf) };
        }
        *slot = h;
        made = b + 1;
    }
    let mut bad = 0;
    let mut got = [0u8; 512];
    for (b, &h) in hs[..made].iter().enumerate() {
        let p = heap::vload(h, 0);
        if p.is_null() {
            bad += 1;
            continue;
        }
        base(&mut buf, b as u32);
        for k in 0..BLOCK / 512 {
            stamp(&mut buf, b as u32, k);
            // SAFETY: as above.
            unsafe { FarPtr::new(p.seg, (k * 512) as u16).read_bytes(&mut got) };
            if got != buf {
                bad += 1;
                break;
            }
        }
    }
    let outs = heap::with_vmm(|v| v.store_stats(StoreKind::Xms).page_outs);
    for &h in &hs[..made] {
        heap::vfree(h);
    }
    heap::vheapterm();
    (made, bad, outs)
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let have = xms::detect();
    log.check("XMS driver", have, format_args!("none"));
    let free = xms::query_free_kb().unwrap_or((0, 0));
    log.note(format_args!(
        "XMS free: {} KB total, {} KB largest",
        free.1, free.0
    ));
    log.check(
        "more than 100 MB of XMS",
        free.1 > 100 * 1024,
        format_args!("{} KB", free.1),
    );

    // The hog: 64 MB in one EMB (89h), locked to learn its address.
    match XmsBlock::new(65_536) {
        Ok(mut hog) => {
            let at = hog.lock();
            log.check("64 MB EMB locked", at.is_ok(), format_args!("{:?}", at));
            let at = at.unwrap_or(0);
            log.note(format_args!("hog at {:#x}..{:#x}", at, at + (64 << 20)));
            log.check(
                "hog starts below 2 MB, so what follows is above 64 MB",
                at < (2 << 20),
                format_args!("{:#x}", at),
            );
            let (made, bad, outs) = fill(&mut log, "above 64 MB", 8);
            log.note(format_args!(
                "above the hog: {} blocks of {} bytes, {} XMS page-outs",
                made, BLOCK, outs
            ));
            log.check_eq(
                "8 MB above the 64 MB line: blocks",
                made,
                ((8u32 << 20) / BLOCK + 1) as usize,
            );
            log.check_eq("8 MB above the 64 MB line: every byte back", bad, 0);
            log.check(
                "8 MB above the 64 MB line: swapped through XMS",
                outs as usize >= made - 3,
                format_args!("{} page-outs", outs),
            );
            let _ = hog.unlock();
        }
        Err(e) => {
            log.check("64 MB EMB (XMS 3.0 89h)", false, format_args!("{:?}", e));
        }
    }
    // The store alone past 64 MB: one heap of 66 MB.
    let (made, bad, outs) = fill(&mut log, "66 MB heap", 66);
    log.note(format_args!(
        "66 MB heap: {} blocks, {} XMS page-outs",
        made, outs
    ));
    log.check_eq(
        "66 MB heap: blocks",
        made,
        ((66u32 << 20) / BLOCK + 1) as usize,
    );
    log.check_eq("66 MB heap: every byte back", bad, 0);
    let after = xms::query_free_kb().unwrap_or((0, 0));
    log.check_eq("all XMS free again", after.1, free.1);
    log.finish()
}
