//! DOS test: the capacity rule (issue 12). A cache of `dosmax` paragraphs
//! with a swap store loads any one block of up to
//! min(65 530, dosmax x 16 - 512) bytes (the core's lean layout,
//! `vmm::lean`); without a store it loads the largest block its status
//! promises. For each size: `_vheapinit(0, dosmax, swap)`, 300 small
//! blocks written, `_vmalloc` and `_vload` of the largest block, every byte
//! written, a small block loaded beside it and freed, the big block read
//! back through a second `_vload`, and every small block read back. Then
//! (issue 23) in caches of 1,024, 2,048 and 4,096 paragraphs one block is
//! grown by `_vrealloc` from 16 bytes in steps to that limit, its bytes
//! kept at every step, with 300 small blocks in the heap beside it.
#![no_std]
#![no_main]

use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::{MAX_BLOCK_SIZE, VM_ALLSWAP, VM_DIRTY};

dos_main!(main);

/// The cache sizes of the issue (8 KB to 66 KB of conventional memory).
const SIZES: [u16; 5] = [512, 1024, 2048, 4096, 4128];
/// Small blocks beside the big one, in three table pages.
const SMALL: usize = 300;

/// The largest block a cache of `dosmax` paragraphs promises.
fn promised(dosmax: u16) -> u32 {
    (u32::from(dosmax) * 16 - 512).min(MAX_BLOCK_SIZE)
}

/// Piece `k` of a block with seed `seed`: its number up front, then a
/// pattern.
fn piece(buf: &mut [u8; 512], seed: u32, k: u32) {
    for (j, x) in buf.iter_mut().enumerate() {
        *x = (j as u32).wrapping_mul(7).wrapping_add(k ^ seed) as u8;
    }
    buf[..4].copy_from_slice(&k.to_le_bytes());
}

/// Writes (`check` false) or compares (`check` true) the `size` bytes at
/// `p`; the number of 512-byte pieces that differ.
fn pass(p: FarPtr, size: u32, seed: u32, check: bool) -> u32 {
    let (mut buf, mut got) = ([0u8; 512], [0u8; 512]);
    let mut bad = 0;
    let mut at = 0;
    while at < size {
        let n = (size - at).min(512) as usize;
        piece(&mut buf, seed, at / 512);
        // Normalised, so a piece never crosses the segment's end.
        let lin = p.seg.linear() + u32::from(p.off) + at;
        let q = FarPtr::new(Segment::new((lin >> 4) as u16), (lin & 15) as u16);
        if check {
            // SAFETY: inside the block's _vload pointer (`at + n <= size`),
            // valid until the next call.
            unsafe { q.read_bytes(&mut got[..n]) };
            bad += u32::from(got[..n] != buf[..n]);
        } else {
            // SAFETY: as above.
            unsafe { q.write_bytes(&buf[..n]) };
        }
        at += n as u32;
    }
    bad
}

/// Loads block `h` (`dirty`: for writing) and writes or checks `size`
/// bytes of pattern `seed`; the pieces that differ (`u32::MAX`: no load).
fn visit(h: u32, size: u32, seed: u32, write: bool) -> u32 {
    let p = heap::vload(h, if write { VM_DIRTY as u16 } else { 0 });
    if p.is_null() {
        return u32::MAX;
    }
    pass(p, size, seed, !write)
}

/// One heap of `dosmax` paragraphs with swap areas `swap`.
fn one(log: &mut TestLog, dosmax: u16, swap: u16) {
    if heap::vheapinit(0, dosmax, swap) == 0 {
        log.check("vheapinit", false, format_args!("dosmax {dosmax}"));
        return;
    }
    let st = heap::with_vmm(|v| v.status());
    log.check_eq("cache size", st.dos_paras, dosmax);
    let stores = st.stores_open.bits() != 0;
    // Without a store the rule does not hold (nothing can leave the
    // cache): the largest block the status gives must load.
    let want = if stores {
        promised(dosmax)
    } else {
        st.largest_block
    };
    log.check(
        "status: largest block",
        st.largest_block >= want,
        format_args!("dosmax {dosmax}: {} < {want}", st.largest_block),
    );
    let mut small = [0u32; SMALL];
    let n = if stores { SMALL } else { 0 };
    let mut bad = 0;
    for (i, h) in small.iter_mut().enumerate().take(n) {
        *h = heap::vmalloc(48);
        bad += visit(*h, 48, i as u32, true).min(1);
    }
    log.check_eq("small blocks written", bad, 0);
    let h = heap::vmalloc(want);
    let wrote = visit(h, want, 0x5A, true);
    if !log.check(
        "largest block allocated and loaded",
        h != 0 && wrote == 0,
        format_args!("dosmax {dosmax}, swap {swap}: {want} bytes, handle {h:#x}"),
    ) {
        heap::vheapterm();
        return;
    }
    // A block beside it, then gone (it may push the big one out).
    let other = heap::vmalloc(100);
    let _ = heap::vload(other, VM_DIRTY as u16);
    heap::vfree(other);
    let bad = visit(h, want, 0x5A, false);
    log.check(
        "every byte back",
        bad == 0,
        format_args!("dosmax {dosmax}, swap {swap}: {bad} pieces differ"),
    );
    let mut bad = 0;
    for (i, &s) in small.iter().enumerate().take(n) {
        bad += visit(s, 48, i as u32, false).min(1);
    }
    log.check_eq("small blocks kept", bad, 0);
    let lean = heap::with_vmm(|v| v.cache_stats().lean_layouts);
    heap::vfree(h);
    heap::vheapterm();
    log.note(format_args!(
        "dosmax {dosmax}, swap {swap}: {want} bytes, {lean} lean layouts"
    ));
}

/// One block grown by `_vrealloc` from 16 bytes, in steps of about half
/// its size, to the largest block a cache of `dosmax` paragraphs promises
/// (issue 23), with the small blocks resident beside it: after each step
/// the bytes it had are there, and then every byte of the new size is
/// written; at the end every small block reads back.
fn grown(log: &mut TestLog, dosmax: u16, swap: u16) {
    if heap::vheapinit(0, dosmax, swap) == 0 {
        log.check("vheapinit (grow)", false, format_args!("dosmax {dosmax}"));
        return;
    }
    let want = promised(dosmax);
    let mut small = [0u32; SMALL];
    let mut bad = 0;
    for (i, h) in small.iter_mut().enumerate() {
        *h = heap::vmalloc(48);
        bad += visit(*h, 48, i as u32, true).min(1);
    }
    log.check_eq("small blocks written (grow)", bad, 0);
    let mut size = 16;
    let mut h = heap::vmalloc(size);
    let mut steps = 0;
    let mut ok = h != 0 && visit(h, size, 0xA5, true) == 0;
    while ok && size < want {
        // A small block loaded dirty first, so the cache holds others.
        let _ = visit(small[steps % SMALL], 48, (steps % SMALL) as u32, true);
        let next = (size + size / 2 + 16).min(want);
        let h2 = heap::vrealloc(h, next);
        ok = log.check(
            "vrealloc grows the block",
            h2 != 0,
            format_args!("dosmax {dosmax}, swap {swap}: {size} -> {next} bytes refused"),
        ) && log.check(
            "vrealloc keeps the bytes",
            visit(h2, size, 0xA5, false) == 0,
            format_args!("dosmax {dosmax}, swap {swap}: {size} -> {next} bytes"),
        ) && log.check(
            "the grown block written",
            visit(h2, next, 0xA5, true) == 0,
            format_args!("dosmax {dosmax}, swap {swap}: {next} bytes"),
        );
        h = h2;
        size = next;
        steps += 1;
    }
    log.check(
        "grown to the capacity limit",
        ok && size == want && visit(h, want, 0xA5, false) == 0,
        format_args!("dosmax {dosmax}, swap {swap}: {size} of {want} bytes"),
    );
    let mut bad = 0;
    for (i, &s) in small.iter().enumerate() {
        bad += visit(s, 48, i as u32, false).min(1);
    }
    log.check_eq("small blocks kept (grow)", bad, 0);
    heap::vheapterm();
    log.note(format_args!(
        "grown: dosmax {dosmax}, swap {swap}: 16 -> {size} bytes in {steps} steps"
    ));
}

fn main() -> u8 {
    let mut log = TestLog::create();
    for dosmax in SIZES {
        one(&mut log, dosmax, VM_ALLSWAP);
        one(&mut log, dosmax, 0);
    }
    // The sizes of issue 23's test: grown with every store the machine has.
    for dosmax in [1024, 2048, 4096] {
        grown(&mut log, dosmax, VM_ALLSWAP);
    }
    log.finish()
}
