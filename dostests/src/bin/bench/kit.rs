//! What the workloads share: the checks (RESULT.TXT in a quick run), the
//! microseconds between two clock readings, a swap store's counters, bytes
//! in and out of a loaded block, and the handle slots in a DOS block.
//!
//! What belongs here: small helpers more than one workload uses. What does
//! not: a workload (one module each), the report's formatting (`report`).

use dostests::timer::Instant;
use vmemory::dos::far::FarPtr;
use vmemory::dos::mem::{DosBlock, Paragraphs};
use vmemory::dos::testlog::TestLog;
use vmemory::heap;
use vmemory::println;
use vmemory::vmm::{StoreKind, StoreStats};

/// Checks: logged to `RESULT.TXT` in quick mode; in a full run only the
/// failures are printed (and make the exit code nonzero).
pub struct Checks {
    pub log: Option<TestLog>,
    pub failed: u16,
}

impl Checks {
    /// Records check `name`; on failure says `why`, with the number `n`
    /// that shows what went wrong.
    #[inline(never)]
    pub fn check(&mut self, name: &str, ok: bool, why: &str, n: u32) -> bool {
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

/// Microseconds between two readings (at most 71 minutes).
#[inline(never)]
pub fn us(t0: Instant, t1: Instant) -> u32 {
    t1.micros_since(t0).min(u64::from(u32::MAX)) as u32
}

/// Counters of one swap store.
#[inline(never)]
pub fn store(kind: StoreKind) -> StoreStats {
    heap::with_vmm(|v| v.store_stats(kind))
}

/// Writes `bytes` at the start of a block loaded at `p`.
#[inline(never)]
pub fn put(p: FarPtr, bytes: &[u8]) {
    // SAFETY: `p` is a `_vload` pointer (offset 0 of a paragraph) of a
    // block of at least `bytes.len()` bytes, valid until the next VMM call;
    // no Rust reference covers the cache.
    unsafe { p.write_bytes(bytes) }
}

/// Reads the first `N` bytes of a block loaded at `p`.
#[inline(never)]
pub fn get<const N: usize>(p: FarPtr) -> [u8; N] {
    let mut b = [0u8; N];
    // SAFETY: as in `put`.
    unsafe { p.read_bytes(&mut b) };
    b
}

pub fn pair(a: u32, b: u32) -> [u8; 8] {
    let mut x = [0u8; 8];
    x[..4].copy_from_slice(&a.to_le_bytes());
    x[4..].copy_from_slice(&b.to_le_bytes());
    x
}

pub fn unpair(x: [u8; 8]) -> (u32, u32) {
    (
        u32::from_le_bytes([x[0], x[1], x[2], x[3]]),
        u32::from_le_bytes([x[4], x[5], x[6], x[7]]),
    )
}

/// Handle arrays (the churn's slots, the stream's blocks) in a DOS memory
/// block: 4 KB of stack would leave the VMM too little in the 64 KiB
/// segment the program shares with its code.
pub struct Slots {
    pub block: DosBlock,
    pub n: usize,
}

impl Slots {
    pub fn new(n: usize) -> Option<Self> {
        let block = DosBlock::new(Paragraphs((n * 4).div_ceil(16) as u16)).ok()?;
        let mut s = Self { block, n };
        s.clear();
        Some(s)
    }

    pub fn clear(&mut self) {
        let p = FarPtr::new(self.block.segment(), 0);
        // SAFETY: the block is ours and holds `n` * 4 bytes (< 64 KiB).
        unsafe { p.fill(0, (self.n * 4) as u16) };
    }

    #[inline(never)]
    pub fn get(&self, i: usize) -> u32 {
        debug_assert!(i < self.n);
        let p = FarPtr::new(self.block.segment(), (i * 4) as u16);
        let q = FarPtr::new(self.block.segment(), (i * 4 + 2) as u16);
        // SAFETY: slot `i` < `n` is inside the block we own.
        unsafe { u32::from(p.read_u16()) | u32::from(q.read_u16()) << 16 }
    }

    #[inline(never)]
    pub fn set(&mut self, i: usize, h: u32) {
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
