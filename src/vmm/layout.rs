//! The arena's layout: how a cache of a given size is divided between the
//! scratch paragraph, the table directory, the resident index, the sketch,
//! the table slots and the data heap.
//!
//! Belongs here: the sizes and positions of those parts and the reasons for
//! them. Does not belong here: what each part does (its own module).

use super::handle::HandleIdx;
use super::index::ResidentIndex;
use super::sketch::Sketch;
use super::table::{Table, MAX_SLOTS, PAGE_PARAS};
use super::units::{ArenaPara, Paras};

/// The smallest data heap worth having.
const MIN_HEAP: Paras = Paras::new(64);

/// Where each part of an arena of a given size goes.
pub struct Layout {
    /// Handle-table pages the directory covers.
    pub dir_pages: u32,
    /// The directory (after the scratch paragraph).
    pub dir: ArenaPara,
    /// Buckets of the resident index (a power of two).
    pub buckets: u32,
    /// The resident index.
    pub index: ArenaPara,
    /// Counters per sketch row (a power of two).
    pub sketch_width: u32,
    /// The sketch.
    pub sketch: ArenaPara,
    /// Cached table pages.
    pub slots: usize,
    /// The first table slot.
    pub slots_at: ArenaPara,
    /// The data heap: from here to the arena's end.
    pub heap: ArenaPara,
}

fn pow2_at_least(n: u32) -> u32 {
    let mut p = 1;
    while p < n {
        p <<= 1;
    }
    p
}

impl Layout {
    /// The layout of an arena of `arena` paragraphs, or `None` if the
    /// bookkeeping leaves less than a minimal data heap.
    pub fn of(arena: Paras) -> Option<Self> {
        let p = arena.get();
        let mut at = ArenaPara::new(1); // paragraph 0: scratch
                                        // One directory entry per 4 paragraphs of arena (1/16 of it).
        let dir_pages = (p / 4).clamp(16, HandleIdx::PAGES);
        let dir = at;
        at = at + Table::dir_bytes(dir_pages).paras_ceil();
        let buckets = pow2_at_least((p / 16).max(16));
        let index = at;
        at = at + ResidentIndex::bytes(buckets).paras_ceil();
        // Frequency sketch: two rows of byte counters, one counter per 4
        // paragraphs of arena (about 4 per 256-byte block the heap holds).
        // The simulator measured 1/8, 1/4, 1/2 and 1 counter per paragraph
        // and halving every 4, 8 and 16 x width accesses: wider rows gain a
        // little on zipf traces but cost cache; 1/4 with 16 x is kept.
        let sketch_width = pow2_at_least((p / 4).max(64));
        let sketch = at;
        at = at + Sketch::bytes(sketch_width).paras_ceil();
        let slots = ((p / 2048) as usize).clamp(2, MAX_SLOTS);
        let slots_at = at;
        at = at + Paras::new(slots as u32 * PAGE_PARAS.get());
        if arena < (at - ArenaPara::NIL) + MIN_HEAP {
            return None;
        }
        Some(Self {
            dir_pages,
            dir,
            buckets,
            index,
            sketch_width,
            sketch,
            slots,
            slots_at,
            heap: at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the C ABI publishes to its shim without a check: for every
    /// arena size, the resident index starts at a paragraph (it is an
    /// `ArenaPara`) and its buckets fit the shim's 16-bit offsets.
    #[test]
    fn index_fits_the_shims_walk() {
        for p in 0..=u32::from(u16::MAX) {
            if let Some(l) = Layout::of(Paras::new(p)) {
                assert!(l.buckets.is_power_of_two() && l.buckets <= 0x8000, "{p}");
                assert!(u32::from(l.index.to_u16()) < p, "{p}");
            }
        }
    }
}
