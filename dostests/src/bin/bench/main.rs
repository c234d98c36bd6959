//! BENCH.EXE: the first DOS benchmark of the VMM, through the MSC-shaped
//! functions of `vmemory::heap` (what C programs call).
//!
//! Re-creates three published workloads and times them with the PIT
//! ([`vmemory::dos::timer`]), in emulated seconds when DOSBox runs at
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
#![no_std]
#![no_main]

use core::fmt;
use core::hint::black_box;

use dostests::timer::{Instant, PitClock};
use vmemory::dos::ems::{self, EmsBlock, LogicalPage, PageMap, PhysicalPage};
use vmemory::dos::far::FarPtr;
use vmemory::dos::file::{SeekFrom, TempFile, TmpDir};
use vmemory::dos::mem::{DosBlock, Paragraphs};
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::XmsBlock;
use vmemory::heap;
use vmemory::vmm::{StoreKind, StoreStats, VM_ALLDOS, VM_DISK, VM_EMS, VM_XMS};
use vmemory::{dos_main, print, println};

dos_main!(main);

// Published figures, real 386/20 (not measured here): seconds.
/// MS VMM (MSC 7.0), churn with all DOS memory as the cache.
const PUB_MS_CHURN_ALL: u32 = 210;
/// MS VMM, churn with a 16 KB cache.
const PUB_MS_CHURN_16K: u32 = 2150;
/// MS VMM, fill: 1381 s to reach 4.15 MB.
const PUB_MS_FILL: u32 = 1381;
/// The MB (x100) the published fill reached.
const PUB_FILL_MB_X100: u32 = 415;
/// Best commercial peer, churn with all DOS memory: 70 to 144 s.
const PUB_PEER_CHURN_ALL: (u32, u32) = (70, 144);
/// Best peer, churn with a 16 KB cache.
const PUB_PEER_CHURN_16K: u32 = 166;
/// Best peer, fill of the same 4.15 MB: about 70 s.
const PUB_PEER_FILL: u32 = 70;

/// Block size of the stream test.
const STREAM_BLOCK: u32 = 8192;

/// Workload sizes.
struct Sizes {
    churn_slots: usize,
    churn_passes: u32,
    churn_ops: u32,
    fill_cache_paras: u16,
    fill_swap: u16,
    /// Stop the fill after this many blocks even if `_vmalloc` still works.
    fill_cap: u32,
    vload_calls: u32,
    stream_bytes: u32,
}

/// The workloads exactly as published.
const FULL: Sizes = Sizes {
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
const QUICK: Sizes = Sizes {
    churn_slots: 200,
    churn_passes: 5,
    churn_ops: 400,
    fill_cache_paras: 1024,
    fill_swap: VM_XMS | VM_EMS | VM_DISK,
    fill_cap: 600,
    vload_calls: 200,
    stream_bytes: 256 * 1024,
};

/// Checks: logged to `RESULT.TXT` in quick mode; in a full run only the
/// failures are printed (and make the exit code nonzero).
struct Checks {
    log: Option<TestLog>,
    failed: u16,
}

impl Checks {
    /// Records check `name`; on failure says `why`, with the number `n`
    /// that shows what went wrong.
    #[inline(never)]
    fn check(&mut self, name: &str, ok: bool, why: &str, n: u32) -> bool {
        let why = format_args!("{} ({})", why, n);
        match self.log.as_mut() {
            Some(log) => {
                log.check(name, ok, why);
            }
            None if !ok => println!("CHECK FAILED {}: {}", name, why),
            None => {}
        }
        if !ok {
            self.failed += 1;
        }
        ok
    }
}

/// Xorshift32 (Marsaglia 2003): the churn's deterministic random numbers.
struct XorShift32(u32);

impl XorShift32 {
    const SEED: u32 = 0x2545_F491;

    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

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

/// Microseconds between two readings (at most 71 minutes).
#[inline(never)]
fn us(t0: Instant, t1: Instant) -> u32 {
    t1.micros_since(t0).min(u64::from(u32::MAX)) as u32
}

/// Counters of one swap store.
#[inline(never)]
fn store(kind: StoreKind) -> StoreStats {
    heap::with_vmm(|v| v.store_stats(kind))
}

/// Writes `bytes` at the start of a block loaded at `p`.
#[inline(never)]
fn put(p: FarPtr, bytes: &[u8]) {
    // SAFETY: `p` is a `_vload` pointer (offset 0 of a paragraph) of a
    // block of at least `bytes.len()` bytes, valid until the next VMM call;
    // no Rust reference covers the cache.
    unsafe { p.write_bytes(bytes) }
}

/// Reads the first `N` bytes of a block loaded at `p`.
#[inline(never)]
fn get<const N: usize>(p: FarPtr) -> [u8; N] {
    let mut b = [0u8; N];
    // SAFETY: as in `put`.
    unsafe { p.read_bytes(&mut b) };
    b
}

fn pair(a: u32, b: u32) -> [u8; 8] {
    let mut x = [0u8; 8];
    x[..4].copy_from_slice(&a.to_le_bytes());
    x[4..].copy_from_slice(&b.to_le_bytes());
    x
}

fn unpair(x: [u8; 8]) -> (u32, u32) {
    (
        u32::from_le_bytes([x[0], x[1], x[2], x[3]]),
        u32::from_le_bytes([x[4], x[5], x[6], x[7]]),
    )
}

// ---------------------------------------------------------------- churn

/// Handle arrays (the churn's slots, the stream's blocks) in a DOS memory
/// block: 4 KB of stack would leave the VMM too little in the 64 KiB
/// segment the program shares with its code.
struct Slots {
    block: DosBlock,
    n: usize,
}

impl Slots {
    fn new(n: usize) -> Option<Self> {
        let block = DosBlock::new(Paragraphs((n * 4).div_ceil(16) as u16)).ok()?;
        let mut s = Self { block, n };
        s.clear();
        Some(s)
    }

    fn clear(&mut self) {
        let p = FarPtr::new(self.block.segment(), 0);
        // SAFETY: the block is ours and holds `n` * 4 bytes (< 64 KiB).
        unsafe { p.fill(0, (self.n * 4) as u16) };
    }

    #[inline(never)]
    fn get(&self, i: usize) -> u32 {
        debug_assert!(i < self.n);
        let p = FarPtr::new(self.block.segment(), (i * 4) as u16);
        let q = FarPtr::new(self.block.segment(), (i * 4 + 2) as u16);
        // SAFETY: slot `i` < `n` is inside the block we own.
        unsafe { u32::from(p.read_u16()) | u32::from(q.read_u16()) << 16 }
    }

    #[inline(never)]
    fn set(&mut self, i: usize, h: u32) {
        debug_assert!(i < self.n);
        let p = FarPtr::new(self.block.segment(), (i * 4) as u16);
        let q = FarPtr::new(self.block.segment(), (i * 4 + 2) as u16);
        // SAFETY: as in `get`; no Rust reference covers the block.
        unsafe {
            p.write_u16(h as u16);
            q.write_u16((h >> 16) as u16);
        }
    }
}

struct Churn {
    us: u32,
    allocs: u32,
    frees: u32,
    fails: u32,
    /// Swap traffic over EMS and disk: handle-table pages in and out,
    /// block KB in and out.
    table_in: u32,
    table_out: u32,
    kb_in: u32,
    kb_out: u32,
}

/// The churn with a cache of `dosmax` paragraphs, swap areas EMS + disk.
fn churn(
    clock: &PitClock,
    s: &Sizes,
    slots: &mut Slots,
    dosmax: u16,
    name: &str,
    c: &mut Checks,
) -> Option<Churn> {
    let n = s.churn_slots;
    debug_assert!(n <= slots.n);
    slots.clear();
    if !c.check(
        name,
        heap::vheapinit(0, dosmax, VM_EMS | VM_DISK) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    let mut rng = XorShift32(XorShift32::SEED);
    let (mut allocs, mut frees, mut fails) = (0, 0, 0);
    let t0 = clock.now();
    for _ in 0..s.churn_passes {
        for _ in 0..s.churn_ops {
            let i = (rng.next() % n as u32) as usize;
            let h = slots.get(i);
            if h != 0 {
                heap::vfree(h);
                slots.set(i, 0);
                frees += 1;
            } else {
                let size = 5 + rng.next() % 508;
                let h = heap::vmalloc(size);
                if h == 0 {
                    fails += 1;
                } else {
                    slots.set(i, h);
                    allocs += 1;
                }
            }
        }
    }
    let t1 = clock.now();
    // Untimed checks: every live block is there with its size, and the VMM
    // counts as many live handles as there are filled slots.
    let live = (0..n).filter(|&i| slots.get(i) != 0).count() as u32;
    let sized = (0..n).all(|i| {
        let h = slots.get(i);
        h == 0 || (5..512 + 16).contains(&heap::vmsize(h))
    });
    let vmm_live = heap::with_vmm(|v| v.status().live_handles);
    c.check(name, fails == 0, "_vmalloc calls failed", fails);
    c.check(name, sized, "a live block's _vmsize is outside 5..=527", 0);
    c.check(
        name,
        vmm_live == live,
        "VMM live-handle count differs from the slots'",
        vmm_live,
    );
    let (e, d) = (store(StoreKind::Ems), store(StoreKind::Disk));
    let r = Churn {
        us: us(t0, t1),
        allocs,
        frees,
        fails,
        table_in: e.table_ins + d.table_ins,
        table_out: e.table_outs + d.table_outs,
        kb_in: (e.bytes_in + d.bytes_in) / 1024,
        kb_out: (e.bytes_out + d.bytes_out) / 1024,
    };
    heap::vheapterm();
    Some(r)
}

/// The churn's loop without VMM calls: the baseline.
#[inline(never)]
fn churn_empty(clock: &PitClock, s: &Sizes, slots: &mut Slots) -> u32 {
    let n = s.churn_slots;
    debug_assert!(n <= slots.n);
    slots.clear();
    let mut rng = XorShift32(XorShift32::SEED);
    let t0 = clock.now();
    for _ in 0..s.churn_passes {
        for _ in 0..s.churn_ops {
            let i = (rng.next() % n as u32) as usize;
            let h = slots.get(i);
            if h != 0 {
                black_box(h);
                slots.set(i, 0);
            } else {
                let size = 5 + rng.next() % 508;
                slots.set(i, black_box(size));
            }
        }
    }
    let t1 = clock.now();
    us(t0, t1)
}

// ----------------------------------------------------------------- fill

struct Fill {
    blocks: u32,
    /// The fill ended with `_vload` NULL on a block `_vmalloc` had just
    /// handed out (instead of `_vmalloc` returning `_VM_NULL`).
    ended_by_load: bool,
    fill_us: u32,
    walk_us: u32,
    /// KB written out to the swap stores during the fill.
    out_kb: u32,
}

#[inline(never)]
fn fill(clock: &PitClock, s: &Sizes, c: &mut Checks) -> Option<Fill> {
    let name = "fill";
    if !c.check(
        name,
        heap::vheapinit(0, s.fill_cache_paras, s.fill_swap) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    let (mut prev, mut n, mut null_loads) = (0u32, 0u32, 0u32);
    let t0 = clock.now();
    while n < s.fill_cap {
        let h = heap::vmalloc(256);
        if h == 0 {
            break;
        }
        let p = heap::vload(h, 1);
        if p.is_null() {
            null_loads += 1;
            heap::vfree(h);
            break;
        }
        put(p, &pair(prev, n));
        prev = h;
        n += 1;
    }
    let t1 = clock.now();
    let out_kb = StoreKind::ALL
        .iter()
        .map(|&k| store(k).bytes_out / 1024)
        .sum();
    // Walk back: each block names its predecessor and its own index.
    let (mut h, mut k, mut bad) = (prev, n, 0u32);
    while h != 0 && k > 0 {
        let p = heap::vload(h, 0);
        if p.is_null() {
            bad += 1;
            break;
        }
        let (before, idx) = unpair(get(p));
        k -= 1;
        if idx != k {
            bad += 1;
        }
        heap::vfree(h);
        h = before;
    }
    let t2 = clock.now();
    // The quick run stops at its cap, long before the stores are full, so
    // every load must work there; the full run reports how it ended.
    let quick = s.fill_cap != u32::MAX;
    c.check(
        name,
        n > 0 && (!quick || (null_loads == 0 && n == s.fill_cap)),
        "too few blocks, or a NULL _vload; blocks",
        n,
    );
    c.check(
        name,
        bad == 0 && k == 0 && h == 0,
        "handle chain broken; bad links",
        bad + k,
    );
    let live = heap::with_vmm(|v| v.status().live_handles);
    c.check(name, live == 0, "handles left after the walk", live);
    heap::vheapterm();
    Some(Fill {
        blocks: n,
        ended_by_load: null_loads != 0,
        fill_us: us(t0, t1),
        walk_us: us(t1, t2),
        out_kb,
    })
}

// ---------------------------------------------------------- _vload cost

struct VloadCost {
    calls: u32,
    same_us: u32,
    turn_us: u32,
    empty_us: u32,
}

/// `_vload(h, 0)` on resident blocks: one block over and over, and 64
/// blocks in turn; minus an empty loop of the same shape.
#[inline(never)]
fn vload_cost(clock: &PitClock, s: &Sizes, hs: &mut Slots, c: &mut Checks) -> Option<VloadCost> {
    let name = "_vload resident";
    if !c.check(
        name,
        heap::vheapinit(0, VM_ALLDOS, VM_XMS | VM_EMS | VM_DISK) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    for i in 0..64 {
        let h = heap::vmalloc(256);
        hs.set(i, h);
        heap::vload(h, 1);
    }
    let n = s.vload_calls;
    let h0 = hs.get(0);
    let p0 = heap::vload(h0, 0);
    let misses = heap::with_vmm(|v| v.cache_stats().misses);
    let mut same = true;
    let t0 = clock.now();
    for _ in 0..n {
        same &= heap::vload(h0, 0) == p0;
    }
    let t1 = clock.now();
    for i in 0..n {
        black_box(heap::vload(hs.get(i as usize & 63), 0));
    }
    let t2 = clock.now();
    for i in 0..n {
        black_box(hs.get(i as usize & 63));
    }
    let t3 = clock.now();
    let more = heap::with_vmm(|v| v.cache_stats().misses) - misses;
    c.check(name, !p0.is_null() && same, "pointer NULL or changed", 0);
    c.check(name, more == 0, "blocks not resident; misses", more);
    heap::vheapterm();
    Some(VloadCost {
        calls: n,
        same_us: us(t0, t1),
        turn_us: us(t1, t2),
        empty_us: us(t2, t3),
    })
}

// --------------------------------------------------------------- stream

/// The raw side of the stream test: one store's own calls.
enum Raw {
    Xms(XmsBlock),
    Ems(EmsBlock, vmemory::dos::Segment),
    Disk(TempFile),
}

impl Raw {
    fn open(kind: StoreKind, bytes: u32) -> Option<Raw> {
        match kind {
            StoreKind::Xms => XmsBlock::new(bytes / 1024).ok().map(Raw::Xms),
            StoreKind::Ems => {
                let frame = ems::page_frame().ok()?;
                EmsBlock::new((bytes / ems::PAGE_BYTES) as u16)
                    .ok()
                    .map(|b| Raw::Ems(b, frame))
            }
            StoreKind::Disk => {
                let mut t = TempFile::create_in(&TmpDir::from_env()?).ok()?;
                let f = t.file();
                // Grow to full size first, as the VMM's store is by then:
                // with real zeros, as the VMM does (a seek past the end and
                // a 0-byte write do not grow a file on DOSBox's FAT images).
                let zeros = [0u8; 512];
                let mut grown = true;
                let mut at = 0;
                while grown && at < bytes {
                    let n = (bytes - at).min(512) as usize;
                    grown = f.write(&zeros[..n]) == Ok(n);
                    at += n as u32;
                }
                grown &= f.seek(SeekFrom::End, 0) == Ok(bytes);
                let r = Raw::Disk(t);
                if grown {
                    Some(r)
                } else {
                    r.close();
                    None
                }
            }
        }
    }

    /// Moves `len` bytes between conventional memory at `buf` and byte
    /// `at` of the store.
    fn transfer(&mut self, at: u32, buf: FarPtr, len: u32, to_store: bool) -> bool {
        match self {
            // SAFETY: `buf` is the benchmark's own DOS block of at least
            // `len` bytes, which no Rust reference covers.
            Raw::Xms(b) => unsafe {
                if to_store {
                    b.write_from(at, buf, len).is_ok()
                } else {
                    b.read_into(at, buf, len).is_ok()
                }
            },
            Raw::Ems(b, frame) => {
                // Function 44h maps the page into physical page 0, then the
                // CPU copies through the frame (8 KB pieces never straddle
                // a 16 KB page).
                let page = LogicalPage((at / ems::PAGE_BYTES) as u16);
                if b.map(PhysicalPage(0), page).is_err() {
                    return false;
                }
                let window = FarPtr::new(*frame, (at % ems::PAGE_BYTES) as u16);
                // SAFETY: `window` is `len` bytes of the mapped page;
                // `buf` is our own block below the frame.
                unsafe {
                    if to_store {
                        buf.copy_to(window, len as u16);
                    } else {
                        window.copy_to(buf, len as u16);
                    }
                }
                true
            }
            Raw::Disk(t) => {
                let f = t.file();
                if f.seek(SeekFrom::Start, at as i32).is_err() {
                    return false;
                }
                // SAFETY: as for XMS.
                let done = unsafe {
                    if to_store {
                        f.write_far(buf, len as u16)
                    } else {
                        f.read_far(buf, len as u16)
                    }
                };
                done == Ok(len as usize)
            }
        }
    }

    fn close(self) {
        if let Raw::Disk(t) = self {
            t.close();
        }
    }
}

struct Stream {
    vmm_us: u32,
    raw_us: u32,
    bytes_in: u32,
    bytes_out: u32,
    /// Page-ins plus page-outs, and the store's free-list link operations
    /// plus handle-table page transfers, during the timed pass.
    pages: u32,
    meta: u32,
}

/// What `stream` found.
enum StreamResult {
    Done(Stream),
    Absent,
    Failed,
}

/// Streams `s.stream_bytes` in 8 KB blocks through a 64 KB cache swapping
/// to `kind` only: after a pass that writes every block once (so they all
/// live in the store), one timed pass loads each block dirty in turn, so
/// each load pages one block out and one in. Then the same bytes in and
/// out are moved with the store's own calls, in the same 8 KB pieces.
#[inline(never)]
fn stream(
    clock: &PitClock,
    s: &Sizes,
    hs: &mut Slots,
    kind: StoreKind,
    name: &str,
    c: &mut Checks,
) -> StreamResult {
    let n = (s.stream_bytes / STREAM_BLOCK) as usize;
    debug_assert!(n <= hs.n);
    hs.clear();
    if heap::vheapinit(4096, 4096, kind.swap_area().bits()) == 0 {
        c.check(name, false, "_vheapinit with a 64 KB cache failed", 0);
        return StreamResult::Failed;
    }
    let st = heap::status();
    let off = match kind {
        StoreKind::Xms => st.f_vm_disable_xms,
        StoreKind::Ems => st.f_vm_disable_ems,
        StoreKind::Disk => st.f_vm_disable_disk,
    };
    if off != 0 {
        heap::vheapterm();
        return StreamResult::Absent;
    }
    let mut ok = true;
    for i in 0..n {
        let h = heap::vmalloc(STREAM_BLOCK);
        hs.set(i, h);
        let p = heap::vload(h, 1);
        ok &= !p.is_null();
        if !p.is_null() {
            put(p, &pair(i as u32, 0));
        }
    }
    if !c.check(
        name,
        ok,
        "could not allocate and write all blocks",
        n as u32,
    ) {
        heap::vheapterm();
        return StreamResult::Failed;
    }
    let before = store(kind);
    let t0 = clock.now();
    for i in 0..n {
        let p = heap::vload(hs.get(i), 1);
        if p.is_null() {
            ok = false;
            break;
        }
        put(p, &pair(i as u32, 1));
    }
    let t1 = clock.now();
    let after = store(kind);
    let (bytes_in, bytes_out) = (
        after.bytes_in - before.bytes_in,
        after.bytes_out - before.bytes_out,
    );
    let pages = after.page_ins + after.page_outs - before.page_ins - before.page_outs;
    let meta = after.meta_ops + after.table_ins + after.table_outs
        - before.meta_ops
        - before.table_ins
        - before.table_outs;
    // Untimed: every block holds what the timed pass wrote.
    for i in 0..n {
        let p = heap::vload(hs.get(i), 0);
        ok &= !p.is_null() && unpair(get(p)) == (i as u32, 1);
    }
    c.check(
        name,
        ok,
        "a block did not read back what the stream wrote",
        0,
    );
    c.check(
        name,
        bytes_in > 0 && bytes_out > 0,
        "no paging in and out; KB in",
        bytes_in / 1024,
    );
    heap::vheapterm();

    let Some(raw_us) = raw_stream(clock, s, kind, name, c, bytes_in, bytes_out) else {
        return StreamResult::Failed;
    };
    StreamResult::Done(Stream {
        vmm_us: us(t0, t1),
        raw_us,
        bytes_in,
        bytes_out,
        pages,
        meta,
    })
}

/// The raw side of [`stream`]: `bytes_out` then `bytes_in` moved in 8 KB
/// pieces, alternately, with the store's own calls (its own function, so
/// that the raw side's buffers are not on the stack while the VMM runs).
#[inline(never)]
fn raw_stream(
    clock: &PitClock,
    s: &Sizes,
    kind: StoreKind,
    name: &str,
    c: &mut Checks,
    bytes_in: u32,
    bytes_out: u32,
) -> Option<u32> {
    let (Some(mut raw), Ok(buf)) = (
        Raw::open(kind, s.stream_bytes),
        DosBlock::new(Paragraphs(STREAM_BLOCK as u16 / 16)),
    ) else {
        c.check(
            name,
            false,
            "cannot allocate the raw transfer's store or buffer",
            0,
        );
        return None;
    };
    let far = FarPtr::new(buf.segment(), 0);
    let mut ok = true;
    let saved = if kind == StoreKind::Ems {
        PageMap::save().ok()
    } else {
        None
    };
    let (pieces_in, pieces_out) = (
        bytes_in.div_ceil(STREAM_BLOCK),
        bytes_out.div_ceil(STREAM_BLOCK),
    );
    let (mut left_in, mut left_out) = (bytes_in, bytes_out);
    let t2 = clock.now();
    for j in 0..pieces_in.max(pieces_out) {
        let at = j * STREAM_BLOCK % s.stream_bytes;
        if left_out > 0 {
            // Even lengths only (XMS function 0Bh).
            let len = left_out.min(STREAM_BLOCK).next_multiple_of(2);
            ok &= raw.transfer(at, far, len, true);
            left_out = left_out.saturating_sub(len);
        }
        if left_in > 0 {
            let len = left_in.min(STREAM_BLOCK).next_multiple_of(2);
            ok &= raw.transfer((at + STREAM_BLOCK) % s.stream_bytes, far, len, false);
            left_in = left_in.saturating_sub(len);
        }
    }
    let t3 = clock.now();
    if let Some(m) = saved {
        let _ = m.restore();
    }
    raw.close();
    c.check(name, ok, "a raw transfer failed", 0)
        .then(|| us(t2, t3))
}

// ---------------------------------------------------------------- stack

extern "C" {
    /// End of `.bss` (src/dos/exe.ld): the stack grows down towards it.
    static __bss_end: u8;
}

/// Byte painted into the unused stack.
const PAINT: u8 = 0x5A;

/// Paints the stack below the caller's frame (minus a margin) so that
/// [`stack_unused`] can tell how deep it ever grew.
#[inline(never)]
fn paint_stack() {
    let here = 0u8;
    let top = core::ptr::addr_of!(here) as usize - 256;
    let mut p = core::ptr::addr_of!(__bss_end) as usize;
    while p < top {
        // SAFETY: the bytes between the end of `.bss` and the current stack
        // frame belong to no Rust object: they are the unused stack.
        unsafe { core::ptr::write_volatile(p as *mut u8, PAINT) };
        p += 1;
    }
}

/// Bytes of stack above `.bss` that were never written since
/// [`paint_stack`].
fn stack_unused() -> usize {
    let start = core::ptr::addr_of!(__bss_end) as usize;
    let mut p = start;
    // SAFETY: reads the unused stack below this frame (as in `paint_stack`).
    while unsafe { core::ptr::read_volatile(p as *const u8) } == PAINT {
        p += 1;
    }
    p - start
}

// ----------------------------------------------------------------- main

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
fn report(
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
