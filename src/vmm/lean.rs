//! The two layouts of the arena (`layout`) and the switch between them.
//!
//! The default layout sets bookkeeping aside in proportion to the cache
//! (about a seventh of it: directory, index, sketch, table slots), which
//! makes hits and table accesses cheap when the cache holds many blocks. A
//! block that its data heap cannot hold is still loaded: every other block
//! leaves, the table's pages and the directory go to swap space, and the
//! arena takes the *lean* layout, whose bookkeeping is 12 paragraphs. So a
//! cache of `n` paragraphs loads one block of up to `n` x 16 - 224 bytes
//! (65,530 from 4,110 paragraphs on). The arena goes back to the default
//! layout when a block the default one holds is loaded and the others can
//! leave (`maybe_leave_lean`).
//!
//! The lean layout caches no table page: a table access reads the page's
//! location from the directory's swap copy, then holds the entry's
//! paragraph of the page in the window paragraph (written back before
//! another one comes in; `table`), so no call ever needs room in the cache
//! for the table. That is slower, and lasts only while a block the default
//! layout cannot hold is resident.
//!
//! Belongs here: when and how the layout changes. Does not belong here: the
//! sizes of the parts (`layout`) or what they hold.

use super::backend::{Arena, Store};
use super::header::HDR_PARAS;
use super::heap::{fill_seldom, Heap};
use super::index::ResidentIndex;
use super::layout::Layout;
use super::place::Placement;
use super::policy::Policy;
use super::sketch::Sketch;
use super::swap::SwapLoc;
use super::units::{ArenaPara, Bytes, RegionParas};
use super::VmError;

impl<A: Arena, S: Store<A>> Heap<A, S> {
    /// Whether a region of `need` fits the lean layout's data heap (only
    /// with a swap store: the directory and the table's pages go there).
    fn lean_holds(&self, need: RegionParas) -> bool {
        self.stores.any() && need <= self.lean_heap()
    }

    /// The lean layout's data heap.
    fn lean_heap(&self) -> RegionParas {
        ArenaPara::new(self.arena.paras()) - Layout::LEAN.heap
    }

    /// Whether a block of `paras` that the default layout's data heap
    /// cannot hold could be loaded in the lean layout; if so, the swap
    /// space the directory then needs is reserved (once, kept until
    /// `_vheapterm`; `NoSwap` if no store can give it). `NoRoom` if the
    /// block is too large for either layout. Out of line: the cold path of
    /// `_vmalloc` and `_vrealloc`.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub(super) fn reserve_lean(&mut self, paras: RegionParas) -> Result<(), VmError> {
        let need = paras + HDR_PARAS;
        if need <= ArenaPara::new(self.arena.paras()) - self.layout.heap {
            return Ok(());
        }
        if !self.lean_holds(need) {
            return Err(VmError::NoRoom);
        }
        if !self.table.dir_slot.is_some() {
            let (_, size) = self.table.dir_place();
            self.table.dir_slot = self.stores.alloc(&mut self.arena, size)?;
        }
        Ok(())
    }

    /// Bytes of the largest block `_vrealloc` makes: as `_vmalloc`'s (the
    /// block is copied through its swap space when old and new do not fit
    /// in the cache together).
    pub(super) fn resize_room(&self) -> Bytes {
        (self.largest_region() - HDR_PARAS).bytes()
    }

    /// The largest region a block may take: the data heap, or the lean
    /// layout's if there is a swap store.
    pub(super) fn largest_region(&self) -> RegionParas {
        let mut room = self.place.capacity();
        if self.stores.any() {
            room = room.max(self.lean_heap());
        }
        room
    }

    /// Evicts every unlocked block; whether no block is left resident.
    /// (Room for the whole data heap: placement's own loop, so the policy's
    /// victim search stays inlined there, once.)
    #[cfg_attr(feature = "dos", optimize(size))]
    fn evict_all(&mut self) -> Result<bool, VmError> {
        match self.alloc_region(self.place.capacity()) {
            Ok(p) => {
                self.place.release(&mut self.arena, p);
                Ok(true)
            }
            Err(VmError::NoRoom) => Ok(self.policy.is_empty()),
            Err(e) => Err(e),
        }
    }

    /// Takes the lean layout for a region of `need` (a block and its
    /// header) that the data heap cannot hold: every block leaves, the
    /// table's cached pages and the directory go to swap space. Fails with
    /// nothing lost when a block is locked, the region is too large even
    /// so, or a store fails.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub(super) fn go_lean(&mut self, need: RegionParas) -> Result<(), VmError> {
        if !self.lean_holds(need) || !self.evict_all()? {
            return Err(VmError::NoRoom);
        }
        let (a, st) = (&mut self.arena, &mut self.stores);
        self.table.flush(a, st)?;
        let mut dir_swap = self.table.dir_swap();
        if !self.lean {
            let (dir, size) = self.table.dir_place();
            // Reserved with the block that needs this layout (`reserve_dir`).
            dir_swap = self.table.dir_slot;
            st.write(dir_swap, a, dir, size.bytes())?;
        }
        self.table.drop_slots();
        self.relayout(&Layout::LEAN, dir_swap, true);
        self.cstats.lean_layouts += 1;
        Ok(())
    }

    /// Goes back to the default layout if no block is resident and its data
    /// heap holds a region of `need`; whether it did. The directory comes
    /// back from its swap copy (if that fails, the arena stays lean).
    #[cfg_attr(feature = "dos", optimize(size))]
    fn leave_lean(&mut self, need: RegionParas) -> bool {
        let l = self.layout;
        let heap = ArenaPara::new(self.arena.paras()) - l.heap;
        if !self.lean || !self.policy.is_empty() || need > heap {
            return false;
        }
        let (a, st) = (&mut self.arena, &mut self.stores);
        if self.table.flush(a, st).is_err() {
            return false;
        }
        self.table.drop_slots();
        let dir_swap = self.table.dir_swap();
        let (dir, size) = self.table.dir_place();
        if st.read(dir_swap, a, dir, size.bytes()).is_err() {
            // The read may have written over the lean parts: the (empty)
            // lean arena laid out again.
            self.relayout(&Layout::LEAN, dir_swap, true);
            return false;
        }
        // The directory's swap space stays reserved (`reserve_dir`).
        self.relayout(&l, SwapLoc::NONE, false);
        true
    }

    /// Before loading a region of `need` in the lean layout: the default
    /// layout back if its data heap holds the region and no block is
    /// resident, or the region does not fit in free space (then every
    /// unlocked block leaves first). A lean arena holds the blocks the
    /// default one cannot; the others are faster there.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub(super) fn maybe_leave_lean(&mut self, need: RegionParas) {
        if self.policy.is_empty()
            || self.place.fit(&self.arena, need).is_none() && self.evict_all() == Ok(true)
        {
            self.leave_lean(need);
        }
    }

    /// Lays the empty arena (no resident block, no table slot) out as `l`,
    /// the directory at `dir_swap` (in the arena: [`SwapLoc::NONE`]);
    /// `lean` says whether `l` is the lean layout. The largest block
    /// `_vmalloc` charges inline is one the data heap holds, in the
    /// default layout only (the lean layout's look is in `reserve`).
    #[cfg_attr(feature = "dos", optimize(size))]
    pub(super) fn relayout(&mut self, l: &Layout, dir_swap: SwapLoc, lean: bool) {
        let a = &mut self.arena;
        let end = ArenaPara::new(a.paras());
        self.table
            .relayout(dir_swap, l.slots_at, usize::from(l.slots));
        fill_seldom(a, l.index.addr(), l.heap.addr() - l.index.addr(), 0);
        self.index = ResidentIndex::new(l.index.addr(), u32::from(l.buckets));
        self.sketch = Sketch::new(l.sketch.addr(), u32::from(l.sketch_width));
        self.place = Placement::new(a, l.heap, end);
        self.policy = Policy::new(self.place.capacity());
        self.lean = lean;
        self.inline_max = if lean {
            RegionParas::ZERO
        } else {
            RegionParas::new(self.place.capacity().get().saturating_sub(HDR_PARAS.get()))
        };
        // The resident index moved: a new status stamp has the C ABI
        // publish its place again.
        self.stores.changes = self.stores.changes.wrapping_add(1);
    }
}
