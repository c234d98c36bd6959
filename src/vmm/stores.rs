//! The swap space of one heap: the open stores, the allocator state of each
//! ([`swap`](super::swap)) and their counters, with the transfers between a
//! store and the arena.
//!
//! Belongs here: choosing a store for new swap space (XMS, then EMS, then
//! disk), freeing it, moving bytes and counting failures. Does not belong
//! here: size classes and free lists (`swap`), or when a block moves
//! (`place`, `calls`).

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use super::backend::{Arena, ArenaIo, Store, StoreKind};
use super::stats::StoreStats;
use super::swap::{self, class_of, StoreIo, StoreSpace, SwapLoc};
use super::units::{ArenaAddr, Bytes, Paras};
use super::VmError;

/// The stores of one heap.
pub struct Stores<S> {
    /// The open stores, by [`StoreKind::index`].
    pub(super) open: [Option<S>; 3],
    /// Allocator state per store.
    pub(super) space: [StoreSpace; 3],
    /// Counters per store.
    pub(super) stats: [StoreStats; 3],
    /// Changes with every allocation and release of swap space (wrapping):
    /// the status values can change only then, or at init and term (see
    /// `Vmm::status_stamp`).
    pub(super) changes: u16,
    /// Without any store: the paragraphs of the cache that the live blocks
    /// would take all resident (data and header each), charged at
    /// `_vmalloc` against the data heap (a block of such a heap can never
    /// leave the cache once written).
    pub(super) cache_charged: Paras,
}

impl<S> Stores<S> {
    /// Opens the stores (`open_store` by kind, in [`StoreKind::ALL`] order,
    /// each writing its store or `None` into its slot)
    /// straight into the new state at `p` (about 1.8 KB: built and returned
    /// by value it would be copied through the stack, see
    /// [`HeapSlot`](super::heap::HeapSlot)).
    ///
    /// # Safety
    /// `p` must be valid for writes and aligned; whatever it holds is
    /// overwritten without being dropped.
    ///
    /// Out of line, so that a store being opened is not held in the frame
    /// of the whole heap setup (the C library's stack is conventional
    /// memory).
    #[inline(never)]
    pub unsafe fn init_at<A: Arena>(
        p: *mut Self,
        mut open_store: impl FnMut(StoreKind, &mut MaybeUninit<Option<S>>),
    ) where
        S: Store<A>,
    {
        // SAFETY: `p` is valid for writes (the caller's promise).
        unsafe {
            addr_of_mut!((*p).changes).write(0);
            addr_of_mut!((*p).cache_charged).write(Paras::ZERO);
        }
        // By reference: the kinds are read where they are, not copied into
        // this frame first.
        for &kind in &StoreKind::ALL {
            let i = kind.index();
            // SAFETY: `p` is valid for writes (the caller's promise), so
            // are its fields and their elements (`i` < 3).
            unsafe {
                let open = addr_of_mut!((*p).open).cast::<Option<S>>().add(i);
                // Opened straight into its slot (no copy through this frame).
                open_store(kind, &mut *open.cast::<MaybeUninit<Option<S>>>());
                StoreSpace::init_at(
                    addr_of_mut!((*p).space).cast::<StoreSpace>().add(i),
                    (*open).as_ref().map(Store::size),
                );
                addr_of_mut!((*p).stats)
                    .cast::<StoreStats>()
                    .add(i)
                    .write(StoreStats::default());
            }
        }
    }

    /// Whether any store is open.
    pub fn any(&self) -> bool {
        self.open.iter().any(Option::is_some)
    }

    /// Counts a block brought in from `loc`.
    pub fn count_page_in(&mut self, loc: SwapLoc, len: Bytes) {
        // `get_mut` (as for the counting below): no panic path at the
        // call sites this is inlined into.
        if let Some(st) = self.stats.get_mut(loc.store()) {
            st.page_ins += 1;
            st.bytes_in = st.bytes_in.wrapping_add(len.get());
        }
    }

    /// Counts a block written out to `loc`.
    pub fn count_page_out(&mut self, loc: SwapLoc, len: Bytes) {
        if let Some(st) = self.stats.get_mut(loc.store()) {
            st.page_outs += 1;
            st.bytes_out = st.bytes_out.wrapping_add(len.get());
        }
    }

    /// Reads `len` bytes from `loc` into the arena at `to`.
    #[inline(never)]
    pub fn read<A: Arena>(
        &mut self,
        loc: SwapLoc,
        arena: &mut A,
        to: ArenaAddr,
        len: Bytes,
    ) -> Result<(), VmError>
    where
        S: Store<A>,
    {
        self.transfer(loc, ArenaIo::Into(arena), to, len)
    }

    /// Writes `len` bytes of the arena at `from` to `loc`.
    #[inline(never)]
    pub fn write<A: Arena>(
        &mut self,
        loc: SwapLoc,
        arena: &A,
        from: ArenaAddr,
        len: Bytes,
    ) -> Result<(), VmError>
    where
        S: Store<A>,
    {
        self.transfer(loc, ArenaIo::OutOf(arena), from, len)
    }

    /// Moves `len` bytes between `loc` and `arena` at `arena_at`, in the
    /// direction `arena` says; a failure is counted and becomes
    /// [`VmError::Backend`]. One function out of line for page-ins and
    /// page-outs: inlined at each they took 224 bytes more, as two
    /// functions (`read`, `write`) about 130 bytes more, and a call is
    /// nothing next to the transfer.
    #[inline(never)]
    fn transfer<A: Arena>(
        &mut self,
        loc: SwapLoc,
        arena: ArenaIo<'_, A>,
        arena_at: ArenaAddr,
        len: Bytes,
    ) -> Result<(), VmError>
    where
        S: Store<A>,
    {
        let i = loc.store();
        // `get_mut`: a location of no store (`NONE`) is no swap rather than
        // a panic path.
        let st = self
            .open
            .get_mut(i)
            .and_then(Option::as_mut)
            .ok_or(VmError::NoSwap)?;
        st.transfer(loc.addr(), arena, arena_at, len).map_err(|e| {
            self.stats[i].failures += 1;
            VmError::Backend(e)
        })
    }

    /// Swap space for `paras`: XMS, then EMS, then disk; splitting larger
    /// free extents only when no store can serve it otherwise.
    pub fn alloc<A: Arena>(&mut self, arena: &mut A, paras: Paras) -> Result<SwapLoc, VmError>
    where
        S: Store<A>,
    {
        self.changes = self.changes.wrapping_add(1);
        let class = class_of(paras);
        let need = swap::class_paras(class);
        // A store that refused to grow is skipped until space is freed in it;
        // the last pass retries the grows anyway before giving up (a refusal
        // may have been transient).
        for pass in 0..3 {
            let split = pass > 0;
            if pass == 2 {
                let mut any = false;
                for sp in self.space.iter_mut() {
                    any |= sp.present && sp.full;
                    // (A closed store stays full: it takes nothing.)
                    sp.full = !sp.present;
                }
                if !any {
                    break;
                }
            }
            for kind in StoreKind::ALL {
                let i = kind.index();
                if let Some(st) = self.open[i].as_mut() {
                    let mut io = StoreIo {
                        store: st,
                        stats: &mut self.stats[i],
                        arena: &mut *arena,
                    };
                    if let Some(loc) =
                        swap::alloc_sized(&mut self.space[i], &mut io, kind, class, need, split)
                    {
                        return Ok(loc);
                    }
                }
            }
        }
        Err(VmError::NoSwap)
    }

    /// Reserves the swap space of a new block of `paras` (the commit
    /// charge): a charge on the first store (XMS, then EMS, then disk)
    /// that has or can grow the room above its top, else a free extent
    /// (split off a larger one if need be), marked never written.
    /// `NoSwap` when no store can back the block; nothing changed then
    /// (but a store that refused to grow is marked full).
    pub fn reserve<A: Arena>(&mut self, arena: &mut A, paras: Paras) -> Result<SwapLoc, VmError>
    where
        S: Store<A>,
    {
        if let Some(loc) = self.charge_quick(paras) {
            return Ok(loc);
        }
        let need = swap::extent_paras(paras);
        for kind in StoreKind::ALL {
            let i = kind.index();
            if let Some(st) = self.open[i].as_mut() {
                let mut io = StoreIo {
                    store: st,
                    stats: &mut self.stats[i],
                    arena: &mut *arena,
                };
                let sp = &mut self.space[i];
                let was_full = sp.full;
                let charged = swap::charge_in(sp, &mut io, need);
                // A charge changes no status value (a churn that never
                // swaps keeps its stamp), unless a refused grow marked
                // the store full.
                if sp.full != was_full {
                    self.changes = self.changes.wrapping_add(1);
                }
                if charged {
                    return Ok(SwapLoc::charge(kind, need));
                }
            }
        }
        self.alloc(arena, paras).map(SwapLoc::fresh)
    }

    /// The common case of [`Self::reserve`], with no call: the first store
    /// that takes blocks (open, not full) has the room already (a churn's
    /// every `_vmalloc`: the whole of `reserve` took C_BENCH's churn from
    /// 16.2 s to 24.0 s). `None` (nothing changed) otherwise.
    #[inline(always)]
    pub fn charge_quick(&mut self, paras: Paras) -> Option<SwapLoc> {
        // The first store that takes blocks, unrolled (no loop, no index
        // multiply: constant addresses); a closed store is full.
        let takes = |sp: &StoreSpace| !sp.full;
        let [s0, s1, s2] = &mut self.space;
        let (i, sp) = if takes(s0) {
            (0, s0)
        } else if takes(s1) {
            (1, s1)
        } else if takes(s2) {
            (2, s2)
        } else {
            return None;
        };
        let need = swap::extent_paras(paras);
        swap::charge_quick(sp, need).then_some(SwapLoc::charge_on(i, need))
    }

    /// Gives back the charge `loc`, if it is one (inline: a churn's every
    /// `_vfree`); whether it was.
    #[inline(always)]
    pub fn discharge(&mut self, loc: SwapLoc) -> bool {
        let Some(i) = loc.charge_store() else {
            return false;
        };
        if let Some(sp) = self.space.get_mut(i) {
            // As in `reserve`: the stamp moves only if the store was full
            // (an add, no branch).
            self.changes = self.changes.wrapping_add(u16::from(sp.full));
            swap::discharge(sp, loc.charge_need());
        }
        true
    }

    /// The extent of a block of `paras` that holds a charge on `loc`'s
    /// store (see [`Self::reserve`]): a free extent of its class, else the
    /// charged room; never fails.
    pub fn take<A: Arena>(&mut self, arena: &mut A, loc: SwapLoc, paras: Paras) -> SwapLoc
    where
        S: Store<A>,
    {
        self.changes = self.changes.wrapping_add(1);
        let i = loc.store();
        match (self.space.get_mut(i), self.open.get_mut(i)) {
            (Some(sp), Some(Some(st))) => {
                let class = class_of(paras);
                debug_assert_eq!(loc.charge_need(), swap::class_paras(class));
                let mut io = StoreIo {
                    store: st,
                    stats: &mut self.stats[i],
                    arena,
                };
                swap::take_charged(sp, &mut io, StoreKind::ALL[i], class, loc.charge_need())
            }
            _ => loc,
        }
    }

    /// Returns the swap space of `paras` at `loc`: a charge, or an extent
    /// (written or not).
    pub fn free<A: Arena>(&mut self, arena: &mut A, loc: SwapLoc, paras: Paras)
    where
        S: Store<A>,
    {
        let i = loc.store();
        // `get_mut`: no panic path for a location of no store.
        if self.discharge(loc) {
            return;
        }
        if let Some(Some(st)) = self.open.get_mut(i) {
            let class = class_of(paras);
            self.changes = self.changes.wrapping_add(1);
            let mut io = StoreIo {
                store: st,
                stats: &mut self.stats[i],
                arena,
            };
            swap::free_in(&mut self.space[i], &mut io, loc, class);
        }
    }

    /// The swap space at `loc` of a block of `old` paragraphs made one of
    /// `new` (fewer): a charge of the smaller class (the caller writes the
    /// block's location again: a charge says its size,
    /// [`SwapLoc::charge_need`]), or the same extent with its tail given
    /// back (its bytes up to `new` stay). Never fails.
    pub fn shrink<A: Arena>(&mut self, arena: &mut A, loc: SwapLoc, old: Paras, new: Paras)
    where
        S: Store<A>,
    {
        let (oc, nc) = (class_of(old), class_of(new));
        let i = loc.store();
        if oc == nc {
            return;
        }
        self.changes = self.changes.wrapping_add(1);
        if let Some(Some(st)) = self.open.get_mut(i) {
            let sp = &mut self.space[i];
            if loc.is_charge() {
                swap::discharge(sp, swap::class_paras(oc) - swap::class_paras(nc));
                return;
            }
            let mut io = StoreIo {
                store: st,
                stats: &mut self.stats[i],
                arena,
            };
            swap::shrink_in(sp, &mut io, loc, oc, nc);
        }
    }
}
