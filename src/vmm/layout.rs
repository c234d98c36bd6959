//! The arena's layout: how a cache of a given size is divided between the
//! scratch paragraph, the table directory, the resident index, the sketch,
//! the table slots and the data heap.
//!
//! Two layouts: the *default* one ([`Layout::of`]), whose parts grow with
//! the cache (a directory for 1/4 handle per paragraph, an index bucket per
//! 16 paragraphs, sketch counters per 4, 2 to 8 table slots), and the
//! *lean* one ([`Layout::LEAN`]) for a block the default data heap cannot
//! hold: a 16-bucket index, a 64-counter sketch, no table slot and no
//! directory (it waits in a swap store). The heap takes the lean layout
//! only while it holds such a block (`lean`).
//!
//! Belongs here: the sizes and positions of those parts and the reasons for
//! them. Does not belong here: what each part does (its own module).

use super::handle::HandleIdx;
use super::index::ResidentIndex;
use super::sketch::Sketch;
use super::table::{Table, MAX_SLOTS, PAGE_PARAS};
use super::units::{ArenaPara, RegionParas};

/// The lean layout's resident index: 16 buckets (32 bytes).
const LEAN_BUCKETS: u32 = 16;
/// The lean layout's sketch rows, also the default layout's narrowest:
/// 64 counters (128 bytes).
const LEAN_WIDTH: u32 = 64;

// Every arena holds the lean layout's bookkeeping and a data heap.
const _: () = assert!(Layout::LEAN.heap.to_u16() < crate::vmm::MIN_ARENA_PARAS);

/// The smallest data heap worth having.
const MIN_HEAP: RegionParas = RegionParas::new(64);

/// Where each part of an arena of a given size goes. The counts are `u16`
/// (every one fits): the heap keeps the default layout, and 16-bit fields
/// halve it and its accesses need no operand-size prefix on DOS.
#[derive(Clone, Copy)]
pub struct Layout {
    /// Handle-table pages the directory covers.
    pub dir_pages: u16,
    /// The directory (after the scratch paragraph).
    pub dir: ArenaPara,
    /// Buckets of the resident index (a power of two).
    pub buckets: u16,
    /// The resident index.
    pub index: ArenaPara,
    /// Counters per sketch row (a power of two).
    pub sketch_width: u16,
    /// The sketch.
    pub sketch: ArenaPara,
    /// Cached table pages.
    pub slots: u16,
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
    pub fn of(arena: RegionParas) -> Option<Self> {
        let p = u32::from(arena.get());
        // One directory entry per 4 paragraphs of arena (1/16 of it).
        let dir_pages = (p / 4).clamp(16, HandleIdx::PAGES);
        let buckets = pow2_at_least((p / 16).max(16));
        // Frequency sketch: two rows of byte counters, one counter per 4
        // paragraphs of arena (about 4 per 256-byte block the heap holds).
        // The simulator measured 1/8, 1/4, 1/2 and 1 counter per paragraph
        // and halving every 4, 8 and 16 x width accesses: wider rows gain a
        // little on zipf traces but cost cache; 1/4 with 16 x is kept.
        let sketch_width = pow2_at_least((p / 4).max(LEAN_WIDTH));
        let slots = ((p / 2048) as usize).clamp(2, MAX_SLOTS);
        Self::place(
            arena,
            dir_pages as u16,
            buckets as u16,
            sketch_width as u16,
            slots as u16,
        )
        .filter(|l| arena >= (l.heap - ArenaPara::NIL) + MIN_HEAP)
    }

    /// The lean layout (the same for every arena): the scratch paragraph,
    /// the table's window paragraph (in `slots_at`: no slot), a 16-bucket
    /// index, a 64-counter sketch and the data heap (12 paragraphs of
    /// bookkeeping). The directory is in a swap store meanwhile (`lean`).
    /// A constant, not built per call: the layout changes pass a reference
    /// to one copy (built on the stack at each, it took about 35 bytes of
    /// code there).
    pub const LEAN: Self = {
        let window = 1;
        let index = window + 1;
        let sketch = index
            + ResidentIndex::bytes(LEAN_BUCKETS)
                .paras_ceil()
                .to_region()
                .get();
        let heap = sketch + Sketch::bytes(LEAN_WIDTH).paras_ceil().to_region().get();
        Self {
            dir_pages: 0,
            dir: ArenaPara::new(window),
            buckets: LEAN_BUCKETS as u16,
            index: ArenaPara::new(index),
            sketch_width: LEAN_WIDTH as u16,
            sketch: ArenaPara::new(sketch),
            slots: 0,
            slots_at: ArenaPara::new(window),
            heap: ArenaPara::new(heap),
        }
    };

    /// The parts of these sizes, one after the other from paragraph 1;
    /// `None` if they leave no room for a data heap.
    fn place(
        arena: RegionParas,
        dir_pages: u16,
        buckets: u16,
        sketch_width: u16,
        slots: u16,
    ) -> Option<Self> {
        let mut at = ArenaPara::new(1); // paragraph 0: scratch
        let dir = at;
        at = at
            + Table::dir_bytes(u32::from(dir_pages))
                .paras_ceil()
                .to_region();
        let index = at;
        at = at
            + ResidentIndex::bytes(u32::from(buckets))
                .paras_ceil()
                .to_region();
        let sketch = at;
        at = at
            + Sketch::bytes(u32::from(sketch_width))
                .paras_ceil()
                .to_region();
        let slots_at = at;
        at = at + RegionParas::new(slots * PAGE_PARAS.get());
        if arena <= at - ArenaPara::NIL {
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
            if let Some(l) = Layout::of(RegionParas::new(p as u16)) {
                assert!(l.buckets.is_power_of_two() && l.buckets <= 0x8000, "{p}");
                assert!(u32::from(l.index.to_u16()) < p, "{p}");
            }
        }
    }
}
