//! The resident index: a chained hash in the arena from a handle's slot
//! index to the region of its resident block, so a cache hit never touches
//! the handle table. Buckets are 16-bit region paragraphs; chains run
//! through the headers' `hash_next` field.
//!
//! Belongs here: finding, adding and removing resident blocks and fixing
//! a chain after a region moved. Does not belong here: the handle table
//! (`table`) or deciding what is resident (`calls`, `place`).

use super::handle::HandleIdx;
use super::header::{hash_next_addr, Regions};
use super::units::{ArenaAddr, ArenaPara, Bytes};

/// The bucket array's place in the arena.
pub struct ResidentIndex {
    /// Bucket 0; bucket `i` is 2 x `i` bytes further.
    buckets: ArenaAddr,
    /// Buckets - 1 (their number is a power of two).
    mask: u32,
}

impl ResidentIndex {
    /// An index of `buckets` (a power of two) empty buckets at `at`; the
    /// buckets must be zero.
    pub fn new(at: ArenaAddr, buckets: u32) -> Self {
        debug_assert!(buckets.is_power_of_two());
        Self {
            buckets: at,
            mask: buckets - 1,
        }
    }

    /// Bytes `buckets` buckets take in the arena.
    pub const fn bytes(buckets: u32) -> Bytes {
        Bytes::new(buckets * 2)
    }

    /// Bucket 0 and the mask of a slot index's bucket number.
    pub fn place(&self) -> (ArenaAddr, u32) {
        (self.buckets, self.mask)
    }

    fn bucket(&self, idx: HandleIdx) -> ArenaAddr {
        self.buckets + Bytes::new((idx.get() & self.mask) * 2)
    }

    /// The region of the resident block with slot `idx`, if any. Inline:
    /// the first step of `_vfree` and of every other call but `_vmalloc`
    /// (`resolve`), a call more of each as a function.
    #[inline(always)]
    pub fn find<A: Regions>(&self, a: &A, idx: HandleIdx) -> Option<ArenaPara> {
        let mut p = ArenaPara::new(a.read_u16(self.bucket(idx)));
        while !p.is_nil() {
            if a.handle(p).index() == idx {
                return Some(p);
            }
            p = a.hash_next(p);
        }
        None
    }

    /// Adds region `p` (its header holds the handle).
    pub fn insert<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        let b = self.bucket(a.handle(p).index());
        let head = ArenaPara::new(a.read_u16(b));
        a.set_hash_next(p, head);
        a.write_u16(b, p.to_u16());
    }

    /// Removes region `p`.
    pub fn remove<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        let next = a.hash_next(p);
        self.relink(a, a.handle(p).index(), p, next);
    }

    /// After the region of slot `idx` was copied from `old` to `new`, makes
    /// its chain lead to `new`.
    pub fn moved<A: Regions>(&mut self, a: &mut A, old: ArenaPara, new: ArenaPara) {
        self.relink(a, a.handle(new).index(), old, new);
    }

    /// Replaces the link to `old` in the chain of `idx` by `new`.
    fn relink<A: Regions>(&mut self, a: &mut A, idx: HandleIdx, old: ArenaPara, new: ArenaPara) {
        let mut link = self.bucket(idx);
        loop {
            let cur = ArenaPara::new(a.read_u16(link));
            debug_assert!(!cur.is_nil(), "region not in its hash chain");
            if cur == old || cur.is_nil() {
                a.write_u16(link, new.to_u16());
                return;
            }
            link = hash_next_addr(cur);
        }
    }
}
