//! Making room in the cache: a region for a block, found by first fit,
//! compaction, or evicting the policy's victims (writing dirty ones out to
//! the swap space reserved for them at `_vmalloc`).
//!
//! Belongs here: the loop that combines placement, policy and swap space to
//! get a region, and evicting one block. Does not belong here: how regions
//! are carved (`place`) or victims chosen (`policy`).

use super::backend::{Arena, Store};
use super::header::{data_addr, Flags, Regions};
use super::heap::Heap;
use super::table::Table;
use super::units::{ArenaPara, RegionParas};
use super::VmError;

impl<A: Arena, S: Store<A>> Heap<A, S> {
    /// A used region of `need`, evicting and compacting as needed.
    pub(super) fn alloc_region(&mut self, need: RegionParas) -> Result<ArenaPara, VmError> {
        if need > self.place.capacity() {
            return Err(VmError::NoRoom);
        }
        loop {
            // One carve for a fit and for what compaction made.
            let mut found = self.place.fit(&self.arena, need);
            if found.is_none() {
                // The table's extra slots are free space lent out: back
                // before compaction or eviction.
                if self.table.has_extra()
                    && self
                        .table
                        .give_back(&mut self.arena, &mut self.stores, &mut self.place)
                {
                    continue;
                }
                if self.place.free_paras >= need {
                    let (index, policy) = (&mut self.index, &mut self.policy);
                    found = self
                        .place
                        .compact_for(&mut self.arena, need, &mut self.cstats, |a, old, new| {
                            index.moved(a, old, new);
                            policy.moved(a, new);
                        })
                        .filter(|&p| self.arena.size(p) >= need);
                }
            }
            if let Some(p) = found {
                return Ok(self.place.carve(&mut self.arena, p, need));
            }
            let v = self
                .policy
                .victim(&mut self.arena, &mut self.sketch)
                .ok_or(VmError::NoRoom)?;
            if let Err(e) = self.evict(v) {
                // The policy's victim could not be written out (no swap space
                // left, or a store refused). A clean block, or a dirty one that
                // already owns swap space, can still leave: try those before
                // failing, so a full store does not make every load fail.
                let other = self.policy.fallback_victim(&self.arena, v).ok_or(e)?;
                self.evict(other)?;
            }
        }
    }

    /// Removes unlocked resident block `p` from the cache, writing it out
    /// first if it is dirty (to its reserved swap space).
    pub(super) fn evict(&mut self, p: ArenaPara) -> Result<(), VmError> {
        let a = &mut self.arena;
        debug_assert!(a.locks(p) == 0);
        let f = a.flags(p);
        if f.has(Flags::DIRTY) {
            let bparas = a.block_paras(p);
            let (data, len) = (data_addr(p), bparas.bytes());
            let loc = a.swap_loc(p);
            if !loc.is_some() {
                // A heap without a store: its blocks stay (all fit, see
                // `Heap::reserve`).
                return Err(VmError::NoSwap);
            }
            let loc = if loc.is_written() {
                self.stores.write(loc, a, data, len)?;
                loc
            } else {
                // The first write-out, to the space reserved at
                // `_vmalloc` (a charge becomes an extent: never for lack
                // of space), recorded in the entry with one visit (no
                // table access in between, so the entry stays where it
                // is). A failed write keeps the extent, never written.
                let h = a.handle(p);
                let at = self.table.locate(a, &mut self.stores, h.index())?;
                debug_assert!(Table::load(a, at).live_for(h) == Some((loc, bparas)));
                let real = if loc.is_charge() {
                    self.stores.take(a, loc, bparas.paras())
                } else {
                    loc.written()
                };
                let done = self.stores.write(real, a, data, len);
                let now = if done.is_ok() { real } else { real.fresh() };
                if now != loc {
                    self.table.set_loc(a, at, now);
                    a.set_swap_loc(p, now);
                }
                done?;
                real
            };
            self.stores.count_page_out(loc, len);
        } else {
            self.cstats.clean_drops += 1;
        }
        // Hits the policy did not look at yet (a fallback victim) still
        // count when the block comes back.
        let n = self.arena.refs(p);
        if n > 0 {
            let h = self.arena.handle(p);
            self.sketch.add(&mut self.arena, h, n);
        }
        self.drop_resident(p);
        Ok(())
    }

    /// Forgets resident block `p`: off the policy's lists, out of the
    /// index, its region freed.
    pub(super) fn drop_resident(&mut self, p: ArenaPara) {
        self.policy.remove(&mut self.arena, p);
        self.index.remove(&mut self.arena, p);
        self.place.release(&mut self.arena, p);
    }
}
