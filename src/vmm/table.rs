//! The handle table: one 8-byte entry per handle slot, in 1 KiB pages that
//! live in the swap stores like blocks, a few of them cached in the arena's
//! table slots (LRU), found through the directory (one swap location per
//! page, pinned in the arena). Free slots form a LIFO list threaded through
//! the entries.
//!
//! Besides its fixed slots the table borrows *extra slots* from the data
//! heap's free space when it misses (a region each, locked, on no list),
//! and gives them all back when placement finds no room for a block, before
//! any block is evicted: so a small cache whose blocks leave the heap empty
//! (lazy writing) holds many table pages, and a block never waits for one.
//! Only pages with swap space go to an extra slot, so giving one back never
//! needs an allocation.
//!
//! In the lean layout (`lean`) the table has no slot and its directory is in
//! a swap store: an entry is found by reading the directory's paragraph for
//! its page, then the entry's paragraph of the page is held in a *window*
//! paragraph of the arena (slot 0's place and dirty flag, written back
//! before another paragraph comes in), so no call needs room in the cache
//! for the table.
//!
//! Belongs here: entries, paging table pages in and out, the table's slots,
//! handing out and taking back handle slots. Does not belong here: the
//! handle bit layout (`handle`), resident blocks (`index`), or what a call
//! does with an entry (`calls`).

use super::backend::{Arena, Store};
use super::handle::{Gen, Handle, HandleIdx};
use super::header::{Flags, Regions, HDR_PARAS};
use super::heap::fill_seldom;
use super::place::Placement;
use super::stores::Stores;
use super::swap::SwapLoc;
use super::units::{ArenaAddr, ArenaPara, Bytes, Paras, RegionParas};
use super::VmError;

/// A table page: 1 KiB, 128 entries of 8 bytes.
pub const PAGE_PARAS: RegionParas = RegionParas::new(64);
const PAGE_BYTES: Bytes = PAGE_PARAS.bytes();
const ENTRY_BYTES: u32 = 8;
/// A directory entry: one swap location.
const DIR_ENTRY_BYTES: u32 = 4;
/// The bytes a store moves at least: the window's paragraph.
const PARA: Bytes = Bytes::new(16);
/// The live bit of an entry's generation word.
const LIVE: u16 = 0x8000;
/// Most cached table pages (fixed and extra slots).
pub const MAX_SLOTS: usize = 8;
/// An extra slot's region: a header and a page.
const EXTRA_PARAS: RegionParas = RegionParas::new(HDR_PARAS.get() + PAGE_PARAS.get());
const EMPTY_SLOT: u32 = u32::MAX;
/// Table pages with a memo of their slot (see [`Table::memo`]): page `p`
/// shares entry `p % MEMO_PAGES`.
const MEMO_PAGES: usize = 8;
// A memo entry masked to a slot number is always a slot index.
const _: () = assert!(MAX_SLOTS.is_power_of_two() && MEMO_PAGES.is_power_of_two());

/// The second doubleword of a live entry of generation `gen` and size
/// `paras` (the first is its swap location).
#[inline(always)]
fn live_high(gen: Gen, paras: RegionParas) -> u32 {
    u32::from(gen.get() | LIVE) | u32::from(paras.get()) << 16
}

/// A handle-table entry.
#[derive(Clone, Copy, Debug)]
pub enum Entry {
    /// A live handle: its block's swap copy (if any) and size.
    Live {
        /// The slot's current generation.
        gen: Gen,
        /// The block's swap space, [`SwapLoc::NONE`] before the first write-out.
        loc: SwapLoc,
        /// The block's size.
        paras: RegionParas,
    },
    /// A free slot on the free-slot list.
    Free {
        /// The generation the next handle of this slot gets.
        gen: Gen,
        /// The next free slot, [`HandleIdx::NONE`] at the end.
        next: HandleIdx,
    },
}

impl Entry {
    /// The live entry of handle `h`, or `None` if `h` is stale.
    pub fn live_for(self, h: Handle) -> Option<(SwapLoc, RegionParas)> {
        match self {
            Entry::Live { gen, loc, paras } if gen == h.gen() => Some((loc, paras)),
            _ => None,
        }
    }
}

/// One cached table page.
#[derive(Clone, Copy)]
struct Slot {
    page: u32,
    dirty: bool,
    stamp: u32,
    /// Where the page is cached (an extra slot's region is a header below).
    at: ArenaPara,
}

/// The table's state (near data) and its places in the arena.
pub struct Table {
    /// The directory: one [`SwapLoc`] per table page.
    dir: ArenaAddr,
    slots: [Slot; MAX_SLOTS],
    /// Slots in use: the fixed ones, then the extra ones.
    nslots: usize,
    /// Fixed slots (in the default layout's table-slot area, never given
    /// back by [`Self::give_back`]); the slots after them are regions of
    /// the data heap.
    nfixed: usize,
    /// Table pages the directory covers.
    dir_pages: u32,
    /// The directory's swap copy while there is no slot (the lean layout);
    /// [`SwapLoc::NONE`] while the directory is in the arena.
    dir_swap: SwapLoc,
    /// The swap space kept for the directory's copy in the lean layout,
    /// reserved when the first block that needs that layout is allocated
    /// (so taking the layout never needs an allocation); kept until
    /// `_vheapterm`. [`SwapLoc::NONE`] before.
    pub(super) dir_slot: SwapLoc,
    /// Without a slot: the paragraph of a page's swap copy held in the
    /// window paragraph (slot 0's place; its dirty flag says whether the
    /// window was changed), [`SwapLoc::NONE`] if none.
    window: SwapLoc,
    /// Where a table page was found last: entry `p % MEMO_PAGES` is the
    /// slot that held a page `p` (a guess, checked against the slot before
    /// use: `give_back` moves slots about), so that an entry of a cached
    /// page is found without a search (`_vmalloc` and `_vfree` of a C
    /// program's churn).
    memo: [u8; MEMO_PAGES],
    /// The slot `entry_at` used last (a call reads an entry and then
    /// writes it back: the second access finds its page here).
    last: usize,
    clock: u32,
    /// One past the highest slot ever handed out.
    hwm: HandleIdx,
    /// The first free slot.
    free_head: HandleIdx,
    /// Live handles.
    pub(super) live: u32,
    /// Slots the directory can reach (slot 0 included, which is never used).
    pub(super) max_handles: u32,
    /// The generation of slots handed out for the first time.
    gen_base: Gen,
}

impl Table {
    /// Directory bytes for `pages` table pages.
    pub const fn dir_bytes(pages: u32) -> Bytes {
        Bytes::new(pages * DIR_ENTRY_BYTES)
    }

    /// A table with a directory of `pages` entries at `dir` (set to
    /// [`SwapLoc::NONE`] here) and no slot yet ([`Self::relayout`] gives
    /// them).
    pub fn new<A: Arena>(a: &mut A, dir: ArenaAddr, pages: u32, gen_base: Gen) -> Self {
        // `SwapLoc::NONE` is all ones.
        fill_seldom(a, dir, Self::dir_bytes(pages), 0xFF);
        let slots = [Slot {
            page: EMPTY_SLOT,
            dirty: false,
            stamp: 0,
            at: ArenaPara::NIL,
        }; MAX_SLOTS];
        Self {
            dir,
            slots,
            nslots: 0,
            nfixed: 0,
            dir_pages: pages,
            dir_swap: SwapLoc::NONE,
            dir_slot: SwapLoc::NONE,
            window: SwapLoc::NONE,
            memo: [0; MEMO_PAGES],
            last: 0,
            clock: 0,
            hwm: HandleIdx::FIRST,
            free_head: HandleIdx::NONE,
            live: 0,
            max_handles: HandleIdx::slots_in(pages),
            gen_base,
        }
    }

    /// Whether `idx` was ever handed out (so it has an entry).
    pub fn in_use_range(&self, idx: HandleIdx) -> bool {
        !idx.is_none() && idx < self.hwm
    }

    fn dir_at(&self, page: u32) -> ArenaAddr {
        self.dir + Self::dir_bytes(page)
    }

    /// Slot `i`, always below [`MAX_SLOTS`]: the mask only lets the
    /// compiler drop the bounds check (a panic path of about 25 bytes at
    /// each use on the DOS target).
    fn slot(&self, i: usize) -> &Slot {
        &self.slots[i & (MAX_SLOTS - 1)]
    }

    /// Slot `i`, mutable (see [`Self::slot`]).
    fn slot_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.slots[i & (MAX_SLOTS - 1)]
    }

    fn slot_at(&self, i: usize) -> ArenaAddr {
        self.slot(i).at.addr()
    }

    fn dir_get<A: Arena>(&self, a: &A, page: u32) -> SwapLoc {
        SwapLoc::from_raw(a.read_u32(self.dir_at(page)))
    }

    fn dir_set<A: Arena>(&self, a: &mut A, page: u32, loc: SwapLoc) {
        a.write_u32(self.dir_at(page), loc.raw())
    }

    /// Writes cached page `i` back to its swap space (every page with a
    /// handle has some, from its first handle on; without, `NoSwap`).
    /// Size-optimized: a table page leaves the cache rarely.
    #[cfg_attr(feature = "dos", optimize(size))]
    fn writeback<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        i: usize,
    ) -> Result<(), VmError> {
        let page = self.slot(i).page;
        let base = self.slot_at(i);
        let loc = self.dir_get(a, page);
        st.write(loc, a, base, PAGE_BYTES)?;
        // (`get_mut`: `loc` names a store, and no panic path is needed.)
        if let Some(c) = st.stats.get_mut(loc.store()) {
            c.table_outs += 1;
        }
        self.slot_mut(i).dirty = false;
        Ok(())
    }

    /// Cached page `i` is used now: where it is.
    #[inline(always)]
    fn touch(&mut self, i: usize, dirty: bool) -> ArenaAddr {
        self.clock = self.clock.wrapping_add(1);
        self.last = i;
        self.slot_mut(i).stamp = self.clock;
        self.slot_mut(i).dirty |= dirty;
        self.slot_at(i)
    }

    /// Pages table page `page` (not cached) in: into an empty slot, else a
    /// new extra slot from `room`'s free space (if given), else the least
    /// recently used slot's. Returns the slot, clean and not yet touched,
    /// as a `u16` (a `Result` of a `usize` goes through memory, of a `u16`
    /// in a register). Not inlined and size-optimized: the miss path, out
    /// of the way of the hits.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn page_in<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: Option<&mut Placement>,
        page: u32,
    ) -> Result<u16, VmError> {
        debug_assert!(self.nslots > 0, "a page-in without a slot");
        let loc = self.dir_get(a, page);
        // A page without swap space (of a heap with no store: it can
        // never be written back) goes to a fixed slot only.
        let n = if loc.is_some() {
            self.nslots
        } else {
            self.nfixed
        };
        let mut victim = 0;
        for i in 0..n {
            let s = self.slot(i);
            let v = self.slot(victim);
            // Empty first, then least recently used.
            if v.page != EMPTY_SLOT
                && (s.page == EMPTY_SLOT
                    || self.clock.wrapping_sub(s.stamp) > self.clock.wrapping_sub(v.stamp))
            {
                victim = i;
            }
        }
        let mut i = victim;
        if self.slot(i).page != EMPTY_SLOT && loc.is_some() && self.nslots < MAX_SLOTS {
            // Free space no block uses: an extra slot, locked so that
            // compaction leaves it where it is. Only while half the data
            // heap stays free: room that blocks will soon need is not lent
            // (a loan given back costs a write and, later, a read; with a
            // full cache the loans only moved blocks about: tracesim's
            // churn wrote 0.2% more).
            if let Some(room) = room
                .filter(|r| r.free_paras >= EXTRA_PARAS + RegionParas::new(r.capacity().get() / 2))
            {
                if let Some(p) = room.fit(a, EXTRA_PARAS) {
                    let p = room.carve(a, p, EXTRA_PARAS);
                    a.set_state(p, Flags::USED, 1);
                    i = self.nslots;
                    self.nslots += 1;
                    self.slot_mut(i).at = p + HDR_PARAS;
                }
            }
        }
        if self.slot(i).page != EMPTY_SLOT && self.slot(i).dirty {
            self.writeback(a, st, i)?;
        }
        self.slot_mut(i).page = EMPTY_SLOT;
        let base = self.slot_at(i);
        if loc.is_some() {
            st.read(loc, a, base, PAGE_BYTES)?;
            if let Some(c) = st.stats.get_mut(loc.store()) {
                c.table_ins += 1;
            }
        } else {
            fill_seldom(a, base, PAGE_BYTES, 0);
        }
        let s = self.slot_mut(i);
        (s.page, s.dirty) = (page, false);
        Ok(i as u16)
    }

    /// Whether the table holds extra slots (that [`Self::give_back`] may
    /// give back).
    #[inline(always)]
    pub fn has_extra(&self) -> bool {
        self.nslots > self.nfixed
    }

    /// Gives every extra slot back to `room` (its page written back first if
    /// dirty; a slot whose write fails stays). Whether any was given back.
    /// Not inlined and size-optimized: placement calls it only while extra
    /// slots exist.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn give_back<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: &mut Placement,
    ) -> bool {
        let mut any = false;
        let mut i = self.nfixed;
        while i < self.nslots {
            if self.slot(i).dirty && self.writeback(a, st, i).is_err() {
                i += 1;
                continue;
            }
            room.release(a, self.slot(i).at - HDR_PARAS);
            self.nslots -= 1;
            let n = self.nslots;
            *self.slot_mut(i) = *self.slot(n);
            // An empty slot is clean (`writeback` must never see it).
            (self.slot_mut(n).page, self.slot_mut(n).dirty) = (EMPTY_SLOT, false);
            any = true;
        }
        any
    }

    /// Writes every changed cached page back (a page without swap space
    /// gets some), and the window. Stops at the first failure.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn flush<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
    ) -> Result<(), VmError> {
        if self.nslots == 0 {
            if self.slots[0].dirty {
                st.write(self.window, a, self.slot_at(0), PARA)?;
                self.slots[0].dirty = false;
            }
            return Ok(());
        }
        for i in 0..self.nslots {
            if self.slot(i).dirty {
                self.writeback(a, st, i)?;
            }
        }
        Ok(())
    }

    /// Forgets every cached page (all written back: [`Self::flush`]), for
    /// a new layout of the arena (the data heap starts over, so the slots
    /// that are its regions need no giving back).
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn drop_slots(&mut self) {
        for s in self.slots.iter_mut() {
            (s.page, s.dirty) = (EMPTY_SLOT, false);
        }
        (self.nslots, self.last, self.window) = (0, 0, SwapLoc::NONE);
    }

    /// Where the directory is in the arena (while it is there) and its
    /// size in whole paragraphs (what stores move).
    pub fn dir_place(&self) -> (ArenaAddr, Paras) {
        (self.dir, Self::dir_bytes(self.dir_pages).paras_ceil())
    }

    /// The directory's swap copy (without a slot, see [`Self::relayout`]).
    pub fn dir_swap(&self) -> SwapLoc {
        self.dir_swap
    }

    /// After [`Self::drop_slots`]: `nslots` fixed slots from `slots_at`
    /// and the directory in the arena (`dir_swap` [`SwapLoc::NONE`]), or
    /// (the lean layout) no slot, the directory at `dir_swap` in a swap
    /// store and the window paragraph at `slots_at`.
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn relayout(&mut self, dir_swap: SwapLoc, slots_at: ArenaPara, nslots: usize) {
        debug_assert!(self.nslots == 0 && !self.slots[0].dirty);
        self.dir_swap = dir_swap;
        let mut at = slots_at;
        for s in self.slots.iter_mut().take(nslots.max(1)) {
            s.at = at;
            at = at + PAGE_PARAS;
        }
        (self.nslots, self.nfixed) = (nslots, nslots);
    }

    /// Without a slot: the paragraph of the directory's swap copy that
    /// holds page `page`'s location, read into the scratch paragraph, and
    /// where the location is there.
    fn dir_direct<A: Arena, S: Store<A>>(
        &self,
        a: &mut A,
        st: &mut Stores<S>,
        page: u32,
    ) -> Result<(SwapLoc, ArenaAddr), VmError> {
        let at = Self::dir_bytes(page).get();
        let para = self.dir_swap.plus(Paras::new(at / 16));
        st.read(para, a, ArenaAddr::START, PARA)?;
        Ok((para, ArenaAddr::START + Bytes::new(at % 16)))
    }

    /// Without a slot: page `page`'s swap location, from the directory's
    /// swap copy.
    #[inline(never)]
    fn dir_read<A: Arena, S: Store<A>>(
        &self,
        a: &mut A,
        st: &mut Stores<S>,
        page: u32,
    ) -> Result<SwapLoc, VmError> {
        let (_, at) = self.dir_direct(a, st, page)?;
        Ok(SwapLoc::from_raw(a.read_u32(at)))
    }

    /// Without a slot: table page `page` gets its swap space, recorded in
    /// the directory's swap copy. Its entries past the last slot handed out
    /// are never read, so the copy needs no zeros. Inlined into its one
    /// caller, [`Self::new_page`].
    #[inline(always)]
    fn new_page_direct<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        page: u32,
    ) -> Result<(), VmError> {
        let loc = st.alloc(a, PAGE_PARAS.paras())?;
        let put = match self.dir_direct(a, st, page) {
            Ok((para, at)) => {
                a.write_u32(at, loc.raw());
                st.write(para, a, ArenaAddr::START, PARA)
            }
            Err(e) => Err(e),
        };
        if put.is_err() {
            st.free(a, loc, PAGE_PARAS.paras());
        }
        put
    }

    /// Without a slot: where the entry of slot `idx` is in the window, its
    /// paragraph brought in (the one there written back first if changed);
    /// the window marked changed if `dirty`. Slot 0 is left in `last`, so
    /// the callers mark a change as they do with a cached page.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn window_for<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        idx: HandleIdx,
        dirty: bool,
    ) -> Result<ArenaAddr, VmError> {
        let off = idx.in_page() * ENTRY_BYTES;
        let para = self.dir_read(a, st, idx.page())?.plus(Paras::new(off / 16));
        if para != self.window {
            self.flush(a, st)?;
            // A failed read leaves no window.
            self.window = SwapLoc::NONE;
            st.read(para, a, self.slot_at(0), PARA)?;
            self.window = para;
        }
        self.last = 0;
        self.slots[0].dirty |= dirty;
        Ok(self.slot_at(0) + Bytes::new(off % 16))
    }

    /// Whether region `p` is one of the extra slots (for the invariant check).
    pub fn holds_region(&self, p: ArenaPara) -> bool {
        self.slots[self.nfixed..self.nslots]
            .iter()
            .any(|s| s.at - HDR_PARAS == p)
    }

    /// Panics if the slots are inconsistent: an empty slot marked dirty, a
    /// page cached twice, a page without swap space in an extra slot, an
    /// extra slot's region not locked,
    /// or a slot past the ones in use that is not empty.
    pub fn check<A: Arena>(&self, a: &A) {
        let window = self.nslots == 0;
        assert!(self.window.is_some() || !(window && self.slots[0].dirty));
        for (i, s) in self.slots.iter().enumerate() {
            // Without a slot, slot 0's flag is the window's.
            let flag_is_window = window && i == 0;
            assert!(
                s.page != EMPTY_SLOT || !s.dirty || flag_is_window,
                "empty slot {i} dirty"
            );
            if i >= self.nslots {
                assert_eq!(s.page, EMPTY_SLOT, "slot {i} past the used ones");
                continue;
            }
            if s.page == EMPTY_SLOT {
                continue;
            }
            let others = &self.slots[..self.nslots];
            assert_eq!(others.iter().filter(|o| o.page == s.page).count(), 1);
            let has_swap = self.dir_get(a, s.page).is_some();
            if i >= self.nfixed {
                assert!(has_swap, "page {} in an extra slot has no swap", s.page);
                let p = s.at - HDR_PARAS;
                assert!(a.is_used(p) && a.locks(p) == 1 && a.size(p) >= EXTRA_PARAS);
            }
        }
    }

    /// Where the entry of slot `idx` is if its page is cached in the slot
    /// its memo names (marked dirty if `dirty`); `None` otherwise, nothing
    /// changed. Inline, a few instructions: `_vmalloc` and `_vfree` try it
    /// before [`Self::entry_at`] (a shared inline wrapper of the two cost
    /// 112 bytes of code).
    #[inline(always)]
    fn entry_cached(&mut self, idx: HandleIdx, dirty: bool) -> Option<ArenaAddr> {
        let page = idx.page();
        let i = usize::from(self.memo[page as usize & (MEMO_PAGES - 1)]) & (MAX_SLOTS - 1);
        if self.slot(i).page != page {
            return None;
        }
        Some(self.touch(i, dirty) + Bytes::new(idx.in_page() * ENTRY_BYTES))
    }

    /// Where the entry of slot `idx` is, its page cached (and marked dirty
    /// if `dirty`). One copy, not inlined: every entry access goes through
    /// it (the resident size), and a call visits an entry once.
    #[inline(never)]
    fn entry_at<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: Option<&mut Placement>,
        idx: HandleIdx,
        dirty: bool,
    ) -> Result<ArenaAddr, VmError> {
        if self.nslots == 0 {
            return self.window_for(a, st, idx, dirty);
        }
        let page = idx.page();
        // The page used last needs no search: a call that reads an entry
        // and then writes it back (`evict`) finds it there. (`_vmalloc` and
        // `_vfree` try the memo first, `entry_cached`.)
        let i = if self.slot(self.last).page == page {
            self.last
        } else {
            let i = match (0..self.nslots).find(|&i| self.slot(i).page == page) {
                Some(i) => i,
                None => usize::from(self.page_in(a, st, room, page)?),
            };
            self.memo[page as usize & (MEMO_PAGES - 1)] = i as u8;
            i
        };
        Ok(self.touch(i, dirty) + Bytes::new(idx.in_page() * ENTRY_BYTES))
    }

    /// Where the entry of slot `idx` is, its page cached (no extra slot is
    /// taken: placement is making room), for [`Self::set_loc`] with no
    /// table access in between.
    pub fn locate<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        idx: HandleIdx,
    ) -> Result<ArenaAddr, VmError> {
        self.entry_at(a, st, None, idx, false)
    }

    /// Gives the live entry at `at` (from [`Self::locate`], the last table
    /// access) swap location `loc`; its generation and size stay.
    pub fn set_loc<A: Arena>(&mut self, a: &mut A, at: ArenaAddr, loc: SwapLoc) {
        // `entry_at` left the entry's slot in `last`.
        self.slot_mut(self.last).dirty = true;
        a.write_u32(at, loc.raw());
    }

    /// The entry in the two doublewords at `at` (from [`Self::locate`], or
    /// a table access): the first word, then generation and size.
    #[inline(always)]
    pub fn load<A: Arena>(a: &A, at: ArenaAddr) -> Entry {
        let (word, high) = a.read_u32_pair(at);
        let g = high as u16;
        let gen = Gen::new_truncate(g);
        if g & LIVE != 0 {
            Entry::Live {
                gen,
                loc: SwapLoc::from_raw(word),
                paras: RegionParas::new((high >> 16) as u16),
            }
        } else {
            Entry::Free {
                gen,
                next: HandleIdx::new(word),
            }
        }
    }

    /// Writes `e` as the two doublewords at `at` (the format of [`Self::load`]).
    #[inline(always)]
    fn store<A: Arena>(a: &mut A, at: ArenaAddr, e: Entry) {
        let (word, high) = match e {
            Entry::Live { gen, loc, paras } => (loc.raw(), live_high(gen, paras)),
            Entry::Free { gen, next } => (next.get(), u32::from(gen.get())),
        };
        a.write_u32_pair(at, word, high);
    }

    /// The entry of slot `idx` (handed out before). Inlined into its one
    /// caller (`Heap::entry`, itself out of line).
    #[inline(always)]
    pub fn get<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: Option<&mut Placement>,
        idx: HandleIdx,
    ) -> Result<Entry, VmError> {
        let at = self.entry_at(a, st, room, idx, false)?;
        Ok(Self::load(a, at))
    }

    /// Writes the entry of slot `idx`.
    #[inline(always)]
    pub fn put<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: Option<&mut Placement>,
        idx: HandleIdx,
        e: Entry,
    ) -> Result<(), VmError> {
        let at = self.entry_at(a, st, room, idx, true)?;
        Self::store(a, at, e);
        Ok(())
    }

    /// Before the first handle of a table page (slot `idx`, never used) is
    /// handed out: the page gets its swap space (`NoSwap` if no store can
    /// give it). Out of line and size-optimized: once per 128 handles.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn new_page<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        idx: HandleIdx,
    ) -> Result<(), VmError> {
        let page = idx.page();
        if self.nslots == 0 {
            // Without a slot (the lean layout, so with a store): the page
            // gets its swap space before its entry is read.
            if !self.dir_read(a, st, page)?.is_some() {
                self.new_page_direct(a, st, page)?;
            }
            return Ok(());
        }
        // First handle of a table page: give the page its swap space now,
        // so that writing a table page back never needs an allocation
        // (otherwise a full swap space could make `_vfree`, or the
        // eviction a `_vload` needs, impossible). The page is cached dirty
        // and zero-filled, so the store copy is written before it is ever
        // read. No store can give it space: the handle is refused (the
        // commit charge: every page of handles has its space, as every
        // block). (No extra slot: the page has no swap space.)
        // `entry_at` leaves the page's slot in `last`.
        self.entry_at(a, st, None, idx, true)?;
        let slot = self.last;
        match st.alloc(a, PAGE_PARAS.paras()) {
            Ok(loc) => {
                self.dir_set(a, page, loc);
                Ok(())
            }
            Err(e) => {
                // Nothing is written to the page yet: it may leave clean.
                self.slot_mut(slot).dirty = false;
                Err(e)
            }
        }
    }

    /// A new handle for a block of `paras` whose swap space is `loc` (its
    /// reservation): the most recently freed slot, else a slot never used.
    pub fn alloc<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: &mut Placement,
        paras: RegionParas,
        loc: SwapLoc,
    ) -> Result<Handle, VmError> {
        // The most recently freed slot (its page has swap space since its
        // first handle, with a store), else a slot never used.
        let from_free = !self.free_head.is_none();
        let idx = if from_free {
            self.free_head
        } else if self.hwm.get() < self.max_handles {
            self.hwm
        } else {
            return Err(VmError::NoHandles);
        };
        // A page's first handle: without a slot (the lean layout) the
        // directory is in a store, so only the first two slots of a page
        // (slot 0 is never handed out) ask it. A freed slot's page has its
        // swap space already: the directory is not read
        // (a far read is never skipped once written, and the churn reuses
        // freed slots at almost every call: 4% of C_BENCH's churn).
        let first = !from_free
            && if self.nslots == 0 {
                idx.in_page() <= 1
            } else {
                !self.dir_get(a, idx.page()).is_some() && st.any()
            };
        if first {
            self.new_page(a, st, idx)?;
        }
        // One visit to the entry: its page is found once, a free entry
        // read (the raw words, the format of `load`/`store`: its next slot,
        // then its generation with the live bit clear) and the live one
        // written over it.
        let at = match self.entry_cached(idx, true) {
            Some(at) => at,
            None => self.entry_at(a, st, Some(room), idx, true)?,
        };
        let gen = if from_free {
            let (next, high) = a.read_u32_pair(at);
            debug_assert!(high as u16 & LIVE == 0, "live slot on the free list");
            self.free_head = HandleIdx::new(next);
            Gen::new_truncate(high as u16)
        } else {
            self.hwm = self.hwm.next();
            self.gen_base
        };
        a.write_u32_pair(at, loc.raw(), live_high(gen, paras));
        self.live += 1;
        Ok(Handle::new(idx, gen))
    }

    /// Frees the slot of handle `h` if its entry is live in `h`'s
    /// generation (`InvalidHandle` otherwise, nothing written): the block's
    /// swap copy and size. One visit to the entry: the page is found once,
    /// the live entry read and the free one written over it.
    pub fn release<A: Arena, S: Store<A>>(
        &mut self,
        a: &mut A,
        st: &mut Stores<S>,
        room: &mut Placement,
        h: Handle,
    ) -> Result<(SwapLoc, RegionParas), VmError> {
        let idx = h.index();
        // Clean until the handle is known valid: a refused handle leaves
        // the page as it was.
        let at = match self.entry_cached(idx, false) {
            Some(at) => at,
            None => self.entry_at(a, st, Some(room), idx, false)?,
        };
        // The raw words (the format of `load`/`store`): live in `h`'s
        // generation is the live bit and that generation in the low half.
        let (word, high) = a.read_u32_pair(at);
        if high as u16 != h.gen().get() | LIVE {
            return Err(VmError::InvalidHandle);
        }
        let (loc, paras) = (
            SwapLoc::from_raw(word),
            RegionParas::new((high >> 16) as u16),
        );
        // `entry_cached` or `entry_at` left the entry's slot in `last`.
        self.slots[self.last & (MAX_SLOTS - 1)].dirty = true;
        // Free: the next free slot, the next generation.
        let free = Entry::Free {
            gen: h.gen().next(),
            next: self.free_head,
        };
        Self::store(a, at, free);
        self.free_head = idx;
        self.live -= 1;
        Ok((loc, paras))
    }
}
