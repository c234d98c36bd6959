//! Placement in the data heap: a chain of regions (each header holds its
//! size and the previous region's, so neighbours coalesce in O(1)), a free
//! list, first fit, and compaction of the stretch between two locked
//! blocks.
//!
//! Belongs here: carving, splitting, releasing and sliding regions.
//! Does not belong here: choosing what to evict (`policy`), writing blocks
//! out (`evict`), or the links other structures hold to a region: a move is
//! reported to the caller so it can fix them.

use super::header::{Flags, Regions};
use super::list::List;
use super::stats::CacheStats;
use super::units::{ArenaPara, RegionParas};

/// Smallest free region worth splitting off.
pub(super) const MIN_SPLIT: RegionParas = RegionParas::new(3);

/// The data heap's bounds and free space.
pub struct Placement {
    /// The first region.
    pub(super) start: ArenaPara,
    /// One past the last region (the arena's end).
    pub(super) end: ArenaPara,
    /// Free regions, most recently freed first.
    pub(super) free: List,
    /// Paragraphs in free regions.
    pub(super) free_paras: RegionParas,
}

impl Placement {
    /// No data heap (before the arena is laid out).
    pub const EMPTY: Self = Self {
        start: ArenaPara::NIL,
        end: ArenaPara::NIL,
        free: List::EMPTY,
        free_paras: RegionParas::ZERO,
    };

    /// The data heap `[start, end)` as one free region.
    pub fn new<A: Regions>(a: &mut A, start: ArenaPara, end: ArenaPara) -> Self {
        let mut me = Self {
            start,
            end,
            free: List::EMPTY,
            free_paras: end - start,
        };
        a.set_size(start, end - start);
        a.set_prev_size(start, RegionParas::ZERO);
        a.set_state(start, Flags::FREE, 0);
        me.free.push_front(a, start);
        me
    }

    /// The data heap's size.
    pub fn capacity(&self) -> RegionParas {
        self.end - self.start
    }

    /// Tells the region above `[p, p + size)` its new lower neighbour size.
    fn set_next_prev<A: Regions>(&self, a: &mut A, p: ArenaPara, size: RegionParas) {
        if p + size < self.end {
            a.set_prev_size(p + size, size);
        }
    }

    /// The first free region of at least `need`.
    pub fn fit<A: Regions>(&self, a: &A, need: RegionParas) -> Option<ArenaPara> {
        self.free.find_forward(a, |a, p| a.size(p) >= need)
    }

    /// Takes `need` from the start of free region `p`; marks it used (no
    /// locks, no flags but `USED`).
    pub fn carve<A: Regions>(&mut self, a: &mut A, p: ArenaPara, need: RegionParas) -> ArenaPara {
        let r = a.size(p);
        self.free.unlink(a, p);
        if r - need >= MIN_SPLIT {
            a.set_size(p, need);
            let q = p + need;
            a.set_size(q, r - need);
            a.set_prev_size(q, need);
            a.set_state(q, Flags::FREE, 0);
            self.set_next_prev(a, q, r - need);
            self.free.push_front(a, q);
        }
        a.set_state(p, Flags::USED, 0);
        self.free_paras -= a.size(p);
        p
    }

    /// Cuts used region `p` down to `keep` if enough is left over to be
    /// worth a region, and releases the rest. Returns what was cut off.
    pub fn shrink<A: Regions>(
        &mut self,
        a: &mut A,
        p: ArenaPara,
        keep: RegionParas,
    ) -> RegionParas {
        let r = a.size(p);
        if r - keep < MIN_SPLIT {
            return RegionParas::ZERO;
        }
        let q = p + keep;
        a.set_size(p, keep);
        a.set_size(q, r - keep);
        a.set_prev_size(q, keep);
        a.set_state(q, Flags::USED, 0);
        self.release(a, q);
        r - keep
    }

    /// Returns region `p` to the free space, coalescing with its neighbours.
    pub fn release<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        let mut p = p;
        let mut size = a.size(p);
        a.set_state(p, Flags::FREE, 0);
        self.free_paras += size;
        let n = p + size;
        if n < self.end && !a.is_used(n) {
            self.free.unlink(a, n);
            size += a.size(n);
            a.set_size(p, size);
        }
        let prev = a.prev_size(p);
        let merged = prev != RegionParas::ZERO && !a.is_used(p - prev);
        if merged {
            p = p - prev;
            size += a.size(p);
            a.set_size(p, size);
        }
        self.set_next_prev(a, p, size);
        if !merged {
            self.free.push_front(a, p);
        }
    }

    /// Slides the used regions of `[start, end)` (no locked block inside)
    /// down, leaving one free region at the end; returns it. `moved(a, old,
    /// new)` is told of every region that moved, after its bytes did.
    fn compact<A: Regions>(
        &mut self,
        a: &mut A,
        start: ArenaPara,
        end: ArenaPara,
        stats: &mut CacheStats,
        moved: &mut impl FnMut(&mut A, ArenaPara, ArenaPara),
    ) -> ArenaPara {
        stats.compactions += 1;
        let mut wp = start;
        let mut prev_size = a.prev_size(start);
        let mut p = start;
        while p < end {
            let s = a.size(p);
            if !a.is_used(p) {
                self.free.unlink(a, p);
                self.free_paras -= s;
            } else {
                if p != wp {
                    a.copy(p.addr(), wp.addr(), s.bytes());
                    stats.bytes_compacted = stats.bytes_compacted.wrapping_add(s.bytes().get());
                    moved(a, p, wp);
                }
                a.set_prev_size(wp, prev_size);
                prev_size = s;
                wp = wp + s;
            }
            p = p + s;
        }
        debug_assert!(wp < end);
        a.set_size(wp, end - wp);
        a.set_prev_size(wp, prev_size);
        a.set_state(wp, Flags::FREE, 0);
        self.free_paras += end - wp;
        self.free.push_front(a, wp);
        self.set_next_prev(a, wp, end - wp);
        wp
    }

    /// Compacts the first stretch between locked blocks whose free space is
    /// at least `need`; returns the free region it made.
    pub fn compact_for<A: Regions>(
        &mut self,
        a: &mut A,
        need: RegionParas,
        stats: &mut CacheStats,
        mut moved: impl FnMut(&mut A, ArenaPara, ArenaPara),
    ) -> Option<ArenaPara> {
        let mut start = self.start;
        let mut free = RegionParas::ZERO;
        let mut p = self.start;
        loop {
            // A locked block, or the end of the data heap, ends a stretch
            // (one call of `compact` for both).
            let (s, ends) = if p < self.end {
                let s = a.size(p);
                // One read of the state word for both tests.
                let (f, locks) = a.state(p);
                if !f.has(Flags::USED) {
                    free += s;
                }
                (s, f.has(Flags::USED) && locks > 0)
            } else {
                (RegionParas::ZERO, true)
            };
            if ends {
                if free >= need {
                    return Some(self.compact(a, start, p, stats, &mut moved));
                }
                if p >= self.end {
                    return None;
                }
                start = p + s;
                free = RegionParas::ZERO;
            }
            p = p + s;
        }
    }
}
