//! The calls of `<vmemory.h>` on an initialized heap, in core types:
//! validating the handle, then combining the table, the index, placement,
//! policy and swap space.
//!
//! Belongs here: what each call does and the order of its steps (which
//! decides what is left intact when a step fails). Does not belong here:
//! the MSC return values (`Vmm` in the parent module) or any one
//! structure's bookkeeping.

use super::backend::{Arena, Store};
use super::handle::Handle;
use super::header::{data_addr, Flags, Regions, HDR_PARAS};
use super::heap::Heap;
use super::place::MIN_SPLIT;
use super::swap::{class_of, extent_paras, SwapLoc};
use super::table::Entry;
use super::units::{ArenaAddr, ArenaPara, Bytes, Paras, RegionParas};
use super::{Hit, VmError, VmHandle, MAX_BLOCK_SIZE, MAX_LOCKS, VM_NULL};

/// Where a valid handle's block is.
enum Res {
    /// Resident in this region.
    Resident(ArenaPara),
    /// Not resident: its swap copy (if any) and size from the table. The
    /// size as [`Paras`], not [`RegionParas`]: a `Res` of a `u32` and a
    /// `u16` is 8 bytes, which LLVM moves as an `i64` through 8-byte
    /// aligned stack slots (`make_resident` was 123 bytes longer so).
    Away(SwapLoc, Paras),
}

/// A `_vrealloc` in progress: the block, its swap copy and size before,
/// and its new size.
struct Resize {
    h: Handle,
    old_loc: SwapLoc,
    oldp: RegionParas,
    newp: RegionParas,
}

impl Hit {
    /// The flags and lock count of a resident block after this call, from
    /// `f` and `locks` before it: the one mapping for the hit path and the
    /// slow path. `None` when the call changes neither: a `_vunlock` of an
    /// unlocked block, or what would be a 256th lock (which fails).
    #[inline(always)]
    fn new_state(self, f: Flags, locks: u8) -> Option<(Flags, u8)> {
        let (dirty, locks) = match self {
            Hit::Load { dirty } => (dirty, locks),
            Hit::Lock if locks == MAX_LOCKS => return None,
            Hit::Lock => (false, locks + 1),
            Hit::Unlock { dirty } if locks > 0 => (dirty, locks - 1),
            Hit::Unlock { .. } => return None,
        };
        Some((if dirty { f.with(Flags::DIRTY) } else { f }, locks))
    }
}

/// What a block of `paras` takes of the data heap at most, resident: its
/// header and data, and the remainder too small to split off that its
/// region may keep (the cache charge of a heap without a store).
pub(super) fn cache_footprint(paras: RegionParas) -> Paras {
    (paras + HDR_PARAS + MIN_SPLIT).paras() - Paras::new(1)
}

/// The size in paragraphs of a valid block size (1..=65 530 bytes).
fn block_paras(size: u32) -> Result<RegionParas, VmError> {
    if size == 0 || size > MAX_BLOCK_SIZE {
        return Err(VmError::BadSize);
    }
    Ok(Bytes::new(size).region_paras_ceil())
}

impl<A: Arena, S: Store<A>> Heap<A, S> {
    /// Validates `h`: resident (found by the index without touching the
    /// table) or not (entry read from the table). Out of line: many
    /// callers (the resident size).
    #[inline(never)]
    fn resolve(&mut self, h: Handle) -> Result<Res, VmError> {
        Ok(match self.resident(h)? {
            Some(p) => Res::Resident(p),
            None => {
                let (loc, paras) = self.entry(h)?;
                Res::Away(loc, paras.paras())
            }
        })
    }

    /// The region of `h`'s block if it is resident, `None` if it is not
    /// (the handle may still be stale then: only its table entry tells),
    /// `InvalidHandle` if the slot was never handed out or the resident
    /// block of that slot belongs to another handle. The handle table is not
    /// touched. Inline: `resolve` and `_vfree` (a churn's every call).
    #[inline(always)]
    fn resident(&self, h: Handle) -> Result<Option<ArenaPara>, VmError> {
        let idx = h.index();
        if !self.table.in_use_range(idx) {
            return Err(VmError::InvalidHandle);
        }
        match self.index.find(&self.arena, idx) {
            Some(p) if self.arena.handle(p) != h => Err(VmError::InvalidHandle),
            found => Ok(found),
        }
    }

    /// The table entry of valid handle `h`: its swap copy and size.
    fn entry(&mut self, h: Handle) -> Result<(SwapLoc, RegionParas), VmError> {
        let e = self.table.get(
            &mut self.arena,
            &mut self.stores,
            Some(&mut self.place),
            h.index(),
        )?;
        e.live_for(h).ok_or(VmError::InvalidHandle)
    }

    /// Sets up the header of fresh region `p` for block `h`.
    fn init_header(
        &mut self,
        p: ArenaPara,
        h: Handle,
        loc: SwapLoc,
        paras: RegionParas,
        dirty: bool,
    ) {
        let mut f = Flags::USED;
        if loc.is_some() {
            f = f.with(Flags::SWAP);
        }
        if dirty {
            f = f.with(Flags::DIRTY);
        }
        let a = &mut self.arena;
        a.set_state(p, f, 0);
        a.set_refs(p, 0);
        a.set_handle(p, h);
        a.set_swap_loc(p, loc);
        a.set_block_paras(p, paras);
    }

    /// Enters fresh region `p`, its header set up, into the index and the
    /// policy. One copy, out of line: a miss and `_vrealloc` enter blocks.
    #[inline(never)]
    fn enter(&mut self, p: ArenaPara) {
        self.index.insert(&mut self.arena, p);
        self.policy.insert(&mut self.arena, p);
    }

    /// Reads `keep` bytes of the block at `loc` (zeros unless written
    /// there) into the data of region `p`, zero-filling the rest of `len`;
    /// gives the region back on failure.
    fn fill_from(
        &mut self,
        p: ArenaPara,
        loc: SwapLoc,
        keep: Bytes,
        len: Bytes,
    ) -> Result<(), VmError> {
        let data = data_addr(p);
        let mut zero_from = data;
        if loc.is_written() {
            if let Err(err) = self.stores.read(loc, &mut self.arena, data, keep) {
                self.place.release(&mut self.arena, p);
                return Err(err);
            }
            self.stores.count_page_in(loc, keep);
            zero_from = data + keep;
        }
        let rest = len - (zero_from - data);
        if rest > Bytes::ZERO {
            self.arena.fill(zero_from, rest, 0);
        }
        Ok(())
    }

    /// Makes `h`'s block, which is not resident (its swap copy at `loc`,
    /// `paras` long), resident for a `_vload` or a `_vlock`: a miss.
    #[inline(always)]
    fn page_in_block(
        &mut self,
        h: Handle,
        loc: SwapLoc,
        paras: Paras,
    ) -> Result<ArenaPara, VmError> {
        let paras = paras.to_region();
        self.cstats.misses += 1;
        let need = paras + HDR_PARAS;
        if self.lean {
            self.maybe_leave_lean(need);
        }
        // A block the data heap cannot hold: the lean layout, then one
        // more try (one call of `alloc_region` for both tries).
        let mut lean_tried = false;
        let p = loop {
            match self.alloc_region(need) {
                Err(VmError::NoRoom) if !lean_tried => {
                    lean_tried = true;
                    self.go_lean(need)?;
                }
                got => break got?,
            }
        };
        self.init_header(p, h, loc, paras, false);
        let len = paras.bytes();
        self.fill_from(p, loc, len, len)?;
        if !loc.is_written() {
            self.cstats.zero_fills += 1;
        }
        self.enter(p);
        self.sketch.count(&mut self.arena, h);
        Ok(p)
    }

    /// `_vmalloc`.
    #[inline(always)]
    pub fn alloc(&mut self, size: u32) -> Result<Handle, VmError> {
        match self.alloc_raw(size) {
            VM_NULL => Err(self.alloc_why),
            h => Ok(Handle::from_raw(h)),
        }
    }

    /// `_vmalloc` with the handle as C gets it, [`VM_NULL`] on failure
    /// (and why in `alloc_why`): the one copy of its steps, with
    /// the result in a register (a `Result` of a handle would go through
    /// memory, and so did an out parameter for why: five instructions of
    /// every call, for the C ABI, which never asks why). The block's swap
    /// space is reserved first (the commit charge), and given back if no
    /// handle can be had.
    #[inline(never)]
    fn alloc_raw(&mut self, size: u32) -> VmHandle {
        let paras = match block_paras(size) {
            Ok(paras) => paras,
            Err(e) => {
                self.alloc_why = e;
                return VM_NULL;
            }
        };
        // The charge: inline when the first store has the room (a churn's
        // every call), else the whole of `reserve`.
        let loc = match self.charge_quick(paras) {
            Some(loc) => loc,
            None => match self.reserve(paras) {
                Ok(loc) => loc,
                Err(e) => {
                    self.alloc_why = e;
                    return VM_NULL;
                }
            },
        };
        match self.table.alloc(
            &mut self.arena,
            &mut self.stores,
            &mut self.place,
            paras,
            loc,
        ) {
            Ok(h) => h.raw(),
            Err(e) => {
                self.unreserve(loc, paras);
                self.alloc_why = e;
                VM_NULL
            }
        }
    }

    /// The commit charge of a new block of `paras`: its swap space
    /// reserved (a charge on a store, or a free extent; with the lean
    /// layout's directory space if the block needs that layout), or
    /// without any store its place in the cache ([`SwapLoc::NONE`]; the
    /// blocks of such a heap must all fit in the data heap together).
    /// `NoSwap`/`NoRoom` when it cannot be backed; nothing changed then.
    #[inline(never)]
    fn reserve(&mut self, paras: RegionParas) -> Result<SwapLoc, VmError> {
        // Only a block larger than the data heap needs the lean layout's
        // look (the data heap is the default layout's unless lean).
        if self.lean || paras + HDR_PARAS > self.place.capacity() {
            self.reserve_lean(paras)?;
        }
        if self.stores.any() {
            return self.stores.reserve(&mut self.arena, paras.paras());
        }
        self.charge_cache(RegionParas::ZERO, paras)?;
        Ok(SwapLoc::NONE)
    }

    /// Without a store: a block of `old` paragraphs (none: a new one)
    /// becomes one of `new`, charged in the cache: header and data, all
    /// blocks within the data heap. `NoRoom` (nothing changed) otherwise.
    /// Out of line and size-optimized: heaps without a store are rare.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn charge_cache(&mut self, old: RegionParas, new: RegionParas) -> Result<(), VmError> {
        let fp = cache_footprint;
        let was = if old == RegionParas::ZERO {
            Paras::ZERO
        } else {
            fp(old)
        };
        let now = self.stores.cache_charged - was + fp(new);
        // The block being placed needs no slack of its own (it takes what
        // the others left): the heap plus one slack.
        let slack = MIN_SPLIT.paras() - Paras::new(1);
        if now > self.place.capacity().paras() + slack {
            return Err(VmError::NoRoom);
        }
        self.stores.cache_charged = now;
        Ok(())
    }

    /// [`Self::reserve`]'s common case, inline: a block the data heap
    /// holds in the default layout (the bound [`Self::relayout`] gives the
    /// stores), charged on the first store that takes blocks, which has
    /// the room already. `None` (nothing changed) otherwise.
    #[inline(always)]
    fn charge_quick(&mut self, paras: RegionParas) -> Option<SwapLoc> {
        if paras > self.inline_max {
            return None;
        }
        self.stores.charge_quick(paras.paras())
    }

    /// Gives back the commit charge of a block of `paras` whose swap space
    /// is `loc` ([`Self::reserve`]). Out of line (`_vfree` tries the inline
    /// [`Stores::discharge`](super::stores::Stores::discharge) first: 816
    /// bytes of resident code when this was inlined everywhere).
    #[inline(never)]
    fn unreserve(&mut self, loc: SwapLoc, paras: RegionParas) {
        if loc.is_some() {
            self.stores.free(&mut self.arena, loc, paras.paras());
        } else {
            self.stores.cache_charged -= cache_footprint(paras);
        }
    }

    /// `_vfree`. Its own copy of [`Self::resolve`]'s first step, not a
    /// call of it: `_vfree` visits the handle's table entry once, resident
    /// or not (the table validates, reads and frees the slot together).
    /// (One function for both, with `_vfree` behind an `Option` of where
    /// to put the answer, cost a churn's `_vfree` 8 instructions.)
    #[inline(never)]
    pub fn free(&mut self, h: Handle) -> Result<(), VmError> {
        let r = self.resident(h)?;
        if let Some(p) = r {
            if self.arena.locks(p) > 0 {
                return Err(VmError::Locked);
            }
        }
        let (loc, paras) =
            self.table
                .release(&mut self.arena, &mut self.stores, &mut self.place, h)?;
        // A charge inline (a churn's every `_vfree`), anything else out of line.
        if !self.stores.discharge(loc) {
            self.unreserve(loc, paras);
        }
        if let Some(p) = r {
            // Table and swap-space accesses never move regions, so `p` is
            // still the block's region.
            self.drop_resident(p);
        }
        Ok(())
    }

    /// `_vrealloc`. Size-optimized on DOS (see `lib.rs`): not a hot call.
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn realloc(&mut self, h: Handle, size: u32) -> Result<Handle, VmError> {
        if h.raw() == 0 {
            return self.alloc(size);
        }
        let r = self.resolve(h)?;
        if size == 0 {
            self.free(h)?;
            return Ok(Handle::from_raw(0));
        }
        let newp = block_paras(size)?;
        if let Res::Resident(p) = r {
            if self.arena.locks(p) > 0 {
                return Err(VmError::Locked);
            }
        }
        let (old_loc, oldp) = match r {
            Res::Resident(_) => self.entry(h)?,
            Res::Away(loc, paras) => (loc, paras.to_region()),
        };
        if newp == oldp {
            return Ok(h);
        }
        let mut rs = Resize {
            h,
            old_loc,
            oldp,
            newp,
        };
        let resident = match r {
            Res::Resident(p) => Some(p),
            Res::Away(..) => None,
        };
        if newp < oldp {
            return self.shrink(&rs, resident).map(|()| h);
        }
        // The new size's charge first (nothing changed if it cannot be
        // had): a new reservation when the size class changes; the same
        // swap space when it does not.
        self.reserve_lean(newp)?;
        let same = !old_loc.is_some() || class_of(oldp.paras()) == class_of(newp.paras());
        let new_loc = if same {
            if !old_loc.is_some() {
                self.charge_cache(oldp, newp)?;
            }
            old_loc
        } else {
            self.reserve(newp)?
        };
        let got = self.grow(&mut rs, resident, same, new_loc);
        if got.is_err() {
            if same {
                if !old_loc.is_some() {
                    // Cannot fail: back to what it was.
                    let _ = self.charge_cache(newp, oldp);
                }
            } else {
                self.unreserve(new_loc, newp);
            }
        }
        got.map(|()| h)
    }

    /// The steps of a growing `_vrealloc` once the new size is charged
    /// (its swap space `new_loc`, the old block's own if `same`): a new
    /// region, the resident block copied into it in the cache (pinned
    /// meanwhile), or if both do not fit together the block sent to its
    /// swap space and read back from there, the lean layout taken if the
    /// new size needs it; then the table updated and the old swap space
    /// given back. On failure the block is as it was (perhaps sent out).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn grow(
        &mut self,
        rs: &mut Resize,
        mut resident: Option<ArenaPara>,
        same: bool,
        mut new_loc: SwapLoc,
    ) -> Result<(), VmError> {
        let need = rs.newp + HDR_PARAS;
        let mut lean_tried = false;
        let q = loop {
            if let Some(p) = resident {
                self.arena.set_locks(p, 1);
            }
            let got = self.alloc_region(need);
            if let Some(p) = resident {
                self.arena.set_locks(p, 0);
            }
            match (got, resident) {
                (Ok(q), _) => break q,
                (Err(_), Some(p)) => {
                    // Not enough room for both copies: through swap (a
                    // charge becomes an extent as the block leaves).
                    self.evict(p)?;
                    (rs.old_loc, rs.oldp) = self.entry(rs.h)?;
                    if same {
                        new_loc = rs.old_loc;
                    }
                    resident = None;
                }
                (Err(VmError::NoRoom), None) if !lean_tried => {
                    lean_tried = true;
                    self.go_lean(need)?;
                }
                (Err(e), None) => return Err(e),
            }
        };
        // Zeros, then the resident copy over them; or what is kept of
        // the swap copy, zero-filled after it.
        let (loc, keep) = match resident {
            Some(_) => (SwapLoc::NONE, Bytes::ZERO),
            None => (rs.old_loc, rs.oldp.bytes()),
        };
        self.fill_from(q, loc, keep, rs.newp.bytes())?;
        if let Some(p) = resident {
            self.arena.copy(data_addr(p), data_addr(q), rs.oldp.bytes());
        }
        self.init_header(q, rs.h, new_loc, rs.newp, true);
        if let Err(err) = self.put_resized(rs, new_loc) {
            self.place.release(&mut self.arena, q);
            return Err(err);
        }
        if !same {
            self.unreserve(rs.old_loc, rs.oldp);
        }
        if let Some(p) = resident {
            self.drop_resident(p);
        }
        self.enter(q);
        Ok(())
    }

    /// Writes the live entry of `rs.h` with swap space `loc` and size
    /// `rs.newp`: the one table write of `_vrealloc` (out of line: a copy
    /// each for growing and shrinking took more code).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn put_resized(&mut self, rs: &Resize, loc: SwapLoc) -> Result<(), VmError> {
        let e = Entry::Live {
            gen: rs.h.gen(),
            loc,
            paras: rs.newp,
        };
        self.table.put(
            &mut self.arena,
            &mut self.stores,
            Some(&mut self.place),
            rs.h.index(),
            e,
        )
    }

    /// A shrinking `_vrealloc`. A block with an extent of a larger size
    /// class is re-homed when it can be: brought into the cache if its
    /// bytes are only in the extent, given a charge of the new class, and
    /// its whole old extent freed to its own class's list. Cut in place,
    /// the extent's tail went back as pieces of other classes, and since
    /// free extents are never coalesced, a long run of shrinks turned a
    /// 16 MB store into pieces too small for the larger classes, until
    /// every growing call was refused (found by the DOS soak, issue 25;
    /// `tests/vmm_charge.rs`). Where it cannot be re-homed (no room in the
    /// cache, no charge to be had), as before: the table entry first (the
    /// one step that may fail), then the swap space shrunk in place (a
    /// smaller charge, or the extent's tail given back), and a resident
    /// block's region.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn shrink(&mut self, rs: &Resize, mut resident: Option<ArenaPara>) -> Result<(), VmError> {
        let old = rs.old_loc;
        let mut loc = old;
        // Whether the block moves to a new extent (re-homed, below).
        let mut rehomed = false;
        if let Some(i) = old.charge_store() {
            // A charge says its size: the smaller one's from now on (the
            // store gives back the difference below).
            loc = SwapLoc::charge_on(i, extent_paras(rs.newp.paras()));
        } else if old.is_some() && class_of(rs.oldp.paras()) != class_of(rs.newp.paras()) {
            // Through `access_raw`, the C library's one copy of the
            // load steps (`load` would link in a second, 700 bytes).
            let mut why = VmError::NoRoom;
            if old.is_written() && resident.is_none() {
                if let Some(data) = self.access_raw(rs.h, Hit::Load { dirty: true }, &mut why) {
                    // The region's header is just below its data.
                    resident = Some(ArenaPara::new((data.offset() >> 4) as u16) - HDR_PARAS);
                }
            }
            if resident.is_some() || !old.is_written() {
                if let Ok(new) = self.stores.reserve(&mut self.arena, rs.newp.paras()) {
                    loc = new;
                    rehomed = true;
                }
            }
        }
        if let Err(err) = self.put_resized(rs, loc) {
            if rehomed {
                self.unreserve(loc, rs.newp);
            }
            return Err(err);
        }
        if rehomed {
            self.unreserve(old, rs.oldp);
        } else if old.is_some() {
            self.stores
                .shrink(&mut self.arena, old, rs.oldp.paras(), rs.newp.paras());
        } else {
            // Smaller: cannot fail.
            let _ = self.charge_cache(rs.oldp, rs.newp);
        }
        if let Some(p) = resident {
            let a = &mut self.arena;
            if loc != old {
                a.set_swap_loc(p, loc);
            }
            if rehomed {
                // Its only copy is now the cache's.
                let f = a.flags(p).with(Flags::DIRTY);
                a.set_state(p, f, 0);
            }
            a.set_block_paras(p, rs.newp);
            let cut = self.place.shrink(a, p, rs.newp + HDR_PARAS);
            self.policy.shrunk(&self.arena, p, cut);
        }
        Ok(())
    }

    /// `_vmsize`, in bytes.
    pub fn size(&mut self, h: Handle) -> Result<u32, VmError> {
        let r = self.resolve(h)?;
        Ok(self.block_bytes(r))
    }

    /// The size in bytes of the block `r` finds (`_vmsize`'s value).
    fn block_bytes(&self, r: Res) -> u32 {
        let paras = match r {
            Res::Resident(p) => self.arena.block_paras(p),
            Res::Away(_, paras) => paras.to_region(),
        };
        paras.bytes().get().min(MAX_BLOCK_SIZE)
    }

    /// The lock count of the block `r` finds (0 when not resident).
    fn block_locks(&self, r: Res) -> u8 {
        match r {
            Res::Resident(p) => self.arena.locks(p),
            Res::Away(..) => 0,
        }
    }

    /// `_vload`.
    pub fn load(&mut self, h: Handle, dirty: bool) -> Result<ArenaAddr, VmError> {
        self.access(h, Hit::Load { dirty })
    }

    /// `_vlock`.
    pub fn lock(&mut self, h: Handle) -> Result<ArenaAddr, VmError> {
        self.access(h, Hit::Lock)
    }

    /// `_vunlock`.
    pub fn unlock(&mut self, h: Handle, dirty: bool) -> Result<(), VmError> {
        self.access(h, Hit::Unlock { dirty }).map(|_| ())
    }

    /// `_vload`, `_vlock` or `_vunlock` (`call`) on the slow path: the block
    /// made resident first (not for `_vunlock`, which changes nothing on a
    /// block that is not), then the call's change of the dirty flag and
    /// lock count, as [`hit`](Self::hit) makes it. One copy of these steps
    /// for the three calls (and one in [`access_raw`](Self::access_raw),
    /// which the C ABI's dispatcher calls for all three). Returns the block's
    /// data address (anything for a `_vunlock`). Its own copy of the
    /// steps, out of line: a Rust program (which has no other) has no call
    /// more on its slow path than before there was `access_raw`, and none
    /// of that path's stack slots in its `_vload`, whose hit path (tried
    /// first, in the same frame) they cost 2 us.
    #[inline(never)]
    pub fn access(&mut self, h: Handle, call: Hit) -> Result<ArenaAddr, VmError> {
        self.access_steps(h, call)
    }

    /// [`access`](Self::access) with its address in registers: `None` on
    /// failure, and why in `why` (a `Result` of an address goes through
    /// memory, as `alloc_raw` says).
    #[inline(never)]
    pub(super) fn access_raw(
        &mut self,
        h: Handle,
        call: Hit,
        why: &mut VmError,
    ) -> Option<ArenaAddr> {
        match self.access_steps(h, call) {
            Ok(a) => Some(a),
            Err(e) => {
                *why = e;
                None
            }
        }
    }

    /// The steps of [`access`](Self::access), inlined into it and into
    /// [`access_raw`](Self::access_raw) (the C library has only the latter).
    #[inline(always)]
    fn access_steps(&mut self, h: Handle, call: Hit) -> Result<ArenaAddr, VmError> {
        // One look at the handle for the three calls.
        let p = match self.resolve(h)? {
            Res::Resident(p) => {
                match call {
                    Hit::Lock if self.arena.locks(p) == MAX_LOCKS => {
                        return Err(VmError::LockOverflow)
                    }
                    Hit::Unlock { .. } => {}
                    _ => self.bump(p),
                }
                p
            }
            Res::Away(..) if matches!(call, Hit::Unlock { .. }) => return Ok(ArenaAddr::START),
            Res::Away(loc, paras) => self.page_in_block(h, loc, paras)?,
        };
        let (f, locks) = self.arena.state(p);
        // A 256th lock was refused above.
        if let Some((f, locks)) = call.new_state(f, locks) {
            self.arena.set_state(p, f, locks);
        }
        Ok(data_addr(p))
    }

    /// `_vload`, `_vlock` or `_vunlock` of a resident block, done with only
    /// what such a call needs: the handle checked against the block's header
    /// (found through the resident index by `resident`, as `resolve` finds
    /// it), the dirty flag or lock count changed, the access counted in the
    /// header for the policy ([`bump`](Self::bump)). `None`, with nothing
    /// changed, when the slow path must answer: the block is not resident,
    /// the handle is not valid, or it would be the 256th lock. Otherwise the
    /// call's whole effect is done and the block's data address is returned.
    pub fn hit(&mut self, h: Handle, call: Hit) -> Option<ArenaAddr> {
        let p = self.resident(h).ok()??;
        let (f, locks) = self.arena.state(p);
        let state = call.new_state(f, locks);
        match call {
            Hit::Lock if state.is_none() => return None,
            Hit::Unlock { .. } => {}
            _ => self.bump(p),
        }
        if let Some((nf, locks)) = state {
            if nf != f || !matches!(call, Hit::Load { .. }) {
                self.arena.set_state(p, nf, locks);
            }
        }
        Some(data_addr(p))
    }

    /// A `_vload` or `_vlock` of resident block `p`: counted in its header
    /// (saturating; the policy folds the count in when it next looks at
    /// the block) and as a sample of the sketch, which halves its counters
    /// by the number of accesses.
    fn bump(&mut self, p: ArenaPara) {
        let n = self.arena.refs(p);
        if n < u8::MAX {
            self.arena.set_refs(p, n + 1);
        }
        self.hits_elsewhere(1);
    }

    /// `n` more `_vload`s or `_vlock`s of resident blocks, answered
    /// elsewhere (the C ABI's shim), which counted each in its block's
    /// header as [`bump`](Self::bump) does: counted as hits and samples.
    pub fn hits_elsewhere(&mut self, n: u16) {
        self.cstats.hits += u32::from(n);
        self.sketch.sample(&mut self.arena, u32::from(n));
    }

    /// `_vmsize` as C gets it: 0 for an invalid handle. Not through
    /// [`size`](Self::size): a `Result` unpacked again took the C ABI's
    /// dispatcher more code.
    pub fn size_or_zero(&mut self, h: Handle) -> u32 {
        self.resolve(h).map_or(0, |r| self.block_bytes(r))
    }

    /// `_vlockcnt` as C gets it: 0 for an invalid handle (see
    /// [`size_or_zero`](Self::size_or_zero)).
    pub fn lock_count_or_zero(&mut self, h: Handle) -> u8 {
        self.resolve(h).map_or(0, |r| self.block_locks(r))
    }

    /// `_vlockcnt`.
    pub fn lock_count(&mut self, h: Handle) -> Result<u8, VmError> {
        let r = self.resolve(h)?;
        Ok(self.block_locks(r))
    }
}
