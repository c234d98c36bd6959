//! The state of one virtual heap (between `_vheapinit` and `_vheapterm`):
//! arena layout, handle table paging, cache placement, W-TinyLFU replacement and
//! the calls themselves. See the module docs of [`super`] for the design.

use super::backend::{Arena, Store, StoreKind};
use super::stats::{CacheStats, Status, StoreStats};
use super::swap::{self, class_of, StoreSpace, SwapLoc};
use super::{ArenaAddr, VmError, VmHandle, MAX_BLOCK_SIZE, MAX_LOCKS};

/// Handle: slot index in bits 0..19, generation in bits 20..31.
const IDX_BITS: u32 = 20;
const IDX_MASK: u32 = (1 << IDX_BITS) - 1;
const GEN_MASK: u16 = 0xFFF;
/// Handle-table page: 1 KiB, 128 entries of 8 bytes.
const TP_BYTES: u32 = 1024;
const TP_PARAS: u32 = TP_BYTES / 16;
const TP_SHIFT: u32 = 7;
const TP_MASK: u32 = (1 << TP_SHIFT) - 1;
const HTE_BYTES: u32 = 8;
const HTE_LIVE: u16 = 0x8000;
/// Most cached table pages.
const MAX_SLOTS: usize = 8;
const EMPTY_SLOT: u32 = u32::MAX;
/// Block header: 2 paragraphs in front of the data.
const HDR_PARAS: u32 = 2;
/// Smallest free region worth splitting off.
const MIN_SPLIT: u32 = 3;
/// The main list may fill all but 1/WINDOW_SHARE of the data heap; the
/// window uses the rest. 1% as in W-TinyLFU; the simulator measured 1/32
/// too, which lost on loops and was equal elsewhere.
const WINDOW_SHARE: u32 = 100;

/// Paragraph 0 of the arena is the scratch paragraph, so 0 can mean "none"
/// in every paragraph-valued link.
const NIL: u32 = 0;

// Region header fields (byte offsets inside the 32-byte header).
const H_SIZE: u32 = 0; // u16 region size in paragraphs, header included
const H_PREV: u32 = 2; // u16 size of the previous region (0: first region)
const H_FLAGS: u32 = 4; // u16: flags in the low byte, lock count in the high byte
const H_HNEXT: u32 = 6; // u16 next region in the hash bucket
const H_HANDLE: u32 = 8; // u32 handle
const H_SWAP: u32 = 12; // u32 swap location (valid with F_SWAP)
const H_LPREV: u32 = 16; // u16 previous in main list / window / free list
const H_LNEXT: u32 = 18; // u16 next in main list / window / free list
const H_BPARAS: u32 = 24; // u16 block size in paragraphs

const F_USED: u32 = 1;
const F_DIRTY: u32 = 2;
const F_MAIN: u32 = 4;
const F_SWAP: u32 = 8;

/// A handle-table entry.
#[derive(Clone, Copy, Debug)]
struct Hte {
    /// Swap location (live) or next free slot index (free).
    loc: u32,
    gen: u16,
    live: bool,
    paras: u32,
}

/// One cached table page (near data).
#[derive(Clone, Copy)]
struct TSlot {
    page: u32,
    dirty: bool,
    /// A page that got no swap space (see `Heap::alloc`): it stays cached
    /// while any other slot can be replaced.
    pinned: bool,
    stamp: u32,
}

enum Res {
    /// Resident, region paragraph.
    Resident(u32),
    /// Not resident: its table entry.
    Away(Hte),
}

fn pow2_at_least(n: u32) -> u32 {
    let mut p = 1;
    while p < n {
        p <<= 1;
    }
    p
}

/// Bytes → paragraphs, rounded up.
fn paras_of(bytes: u32) -> u32 {
    (bytes + 15) >> 4
}

/// State of one initialized heap.
pub struct Heap<A, S> {
    pub(super) arena: A,
    stores: [Option<S>; 3],
    space: [StoreSpace; 3],
    pub(super) sstats: [StoreStats; 3],
    pub(super) cstats: CacheStats,
    // Layout (byte offsets / counts).
    scratch: u32,
    dir: u32,
    rb: u32,
    rb_mask: u32,
    fsk: u32,
    fshift: u32,
    fwidth: u32,
    fsamples: u32,
    tslot_base: u32,
    slots: [TSlot; MAX_SLOTS],
    nslots: usize,
    tclock: u32,
    heap_start: u32,
    heap_end: u32,
    // Handles.
    hwm: u32,
    free_head: u32,
    live: u32,
    max_handles: u32,
    gen_base: u16,
    // Cache heap.
    free_list: u32,
    free_paras: u32,
    // Replacement: window and main list.
    main_head: u32,
    main_tail: u32,
    win_head: u32,
    win_tail: u32,
    main_paras: u32,
    main_target: u32,
}

impl<A: Arena, S: Store<A>> Heap<A, S> {
    /// Lays out the arena and puts the new heap into `slot`. Fails (handing
    /// everything back, `slot` untouched) if the arena is too small for the
    /// bookkeeping plus a minimal data heap.
    ///
    /// The heap is built in `slot` itself rather than returned: it is about
    /// 1.7 KB, and every by-value move of it costs that much stack, which in
    /// the C library is a private stack in conventional memory.
    #[allow(clippy::type_complexity)]
    pub fn init_in(
        slot: &mut Option<Self>,
        mut arena: A,
        stores: [Option<S>; 3],
        gen_base: u16,
    ) -> Result<(), (A, [Option<S>; 3])> {
        let p = u32::from(arena.paras());
        let mut at = 1u32; // paragraph 0: scratch
        let dir_entries = (p / 4).clamp(16, (1 << IDX_BITS) >> TP_SHIFT);
        let dir = at;
        at += paras_of(dir_entries * 4);
        let nb = pow2_at_least((p / 16).max(16));
        let rb = at;
        at += paras_of(nb * 2);
        // Frequency sketch: two rows of byte counters, one counter per 4
        // paragraphs of arena (about 4 per 256-byte block the heap holds).
        // The simulator measured 1/8, 1/4, 1/2 and 1 counter per paragraph
        // and halving every 4, 8 and 16 x width accesses: wider rows gain a
        // little on zipf traces but cost cache; 1/4 with 16 x is kept.
        let fwidth = pow2_at_least((p / 4).max(64));
        let fsk = at;
        at += paras_of(fwidth * 2);
        let nslots = ((p / 2048) as usize).clamp(2, MAX_SLOTS);
        let tslot_base = at;
        at += nslots as u32 * TP_PARAS;
        let heap_start = at;
        if p < heap_start + 64 {
            return Err((arena, stores));
        }
        arena.fill(0, heap_start << 4, 0);
        arena.fill(dir << 4, dir_entries * 4, 0xFF);
        let heap_paras = p - heap_start;
        let h = slot.insert(Self {
            arena,
            stores,
            space: [StoreSpace::CLOSED, StoreSpace::CLOSED, StoreSpace::CLOSED],
            sstats: [StoreStats::default(); 3],
            cstats: CacheStats::default(),
            scratch: 0,
            dir: dir << 4,
            rb: rb << 4,
            rb_mask: nb - 1,
            fsk: fsk << 4,
            fshift: 32 - fwidth.trailing_zeros(),
            fwidth,
            fsamples: 0,
            tslot_base,
            slots: [TSlot {
                page: EMPTY_SLOT,
                dirty: false,
                pinned: false,
                stamp: 0,
            }; MAX_SLOTS],
            nslots,
            tclock: 0,
            heap_start,
            heap_end: p,
            hwm: 1,
            free_head: 0,
            live: 0,
            max_handles: (dir_entries << TP_SHIFT).min(IDX_MASK + 1),
            gen_base,
            free_list: NIL,
            free_paras: 0,
            main_head: NIL,
            main_tail: NIL,
            win_head: NIL,
            win_tail: NIL,
            main_paras: 0,
            main_target: heap_paras - heap_paras / WINDOW_SHARE,
        });
        for (sp, st) in h.space.iter_mut().zip(h.stores.iter()) {
            if let Some(st) = st {
                *sp = StoreSpace::open(st.size());
            }
        }
        h.w16(heap_start, H_SIZE, heap_paras);
        h.w16(heap_start, H_PREV, 0);
        h.set_fl(heap_start, 0, 0);
        h.fl_insert(heap_start);
        h.free_paras = heap_paras;
        Ok(())
    }

    /// Hands back the arena and stores for closing.
    pub fn into_parts(self) -> (A, [Option<S>; 3]) {
        (self.arena, self.stores)
    }

    // ---------------------------------------------------------------- arena words

    fn r16(&self, p: u32, off: u32) -> u32 {
        u32::from(self.arena.read_u16((p << 4) + off))
    }
    fn w16(&mut self, p: u32, off: u32, v: u32) {
        debug_assert!(v <= 0xFFFF);
        self.arena.write_u16((p << 4) + off, v as u16)
    }
    fn r32(&self, p: u32, off: u32) -> u32 {
        self.arena.read_u32((p << 4) + off)
    }
    fn w32(&mut self, p: u32, off: u32, v: u32) {
        self.arena.write_u32((p << 4) + off, v)
    }
    fn rsize(&self, p: u32) -> u32 {
        self.r16(p, H_SIZE)
    }
    fn flags(&self, p: u32) -> u32 {
        self.r16(p, H_FLAGS) & 0xFF
    }
    fn locks(&self, p: u32) -> u32 {
        self.r16(p, H_FLAGS) >> 8
    }
    fn set_fl(&mut self, p: u32, flags: u32, locks: u32) {
        self.w16(p, H_FLAGS, flags | (locks << 8))
    }
    fn set_flags(&mut self, p: u32, flags: u32) {
        let l = self.locks(p);
        self.set_fl(p, flags, l)
    }
    fn set_locks(&mut self, p: u32, locks: u32) {
        let f = self.flags(p);
        self.set_fl(p, f, locks)
    }
    fn handle_at(&self, p: u32) -> u32 {
        self.r32(p, H_HANDLE)
    }
    fn lprev(&self, p: u32) -> u32 {
        self.r16(p, H_LPREV)
    }
    fn lnext(&self, p: u32) -> u32 {
        self.r16(p, H_LNEXT)
    }
    fn data_addr(p: u32) -> u32 {
        (p + HDR_PARAS) << 4
    }

    // ---------------------------------------------------------------- swap I/O

    fn store_read(&mut self, loc: SwapLoc, to: u32, len: u32) -> Result<(), VmError> {
        let i = loc.store();
        let st = self.stores[i].as_mut().ok_or(VmError::NoSwap)?;
        st.read(&mut self.arena, loc.byte_offset(), to, len)
            .map_err(|e| {
                self.sstats[i].failures += 1;
                VmError::Backend(e)
            })
    }

    fn store_write(&mut self, loc: SwapLoc, from: u32, len: u32) -> Result<(), VmError> {
        let i = loc.store();
        let st = self.stores[i].as_mut().ok_or(VmError::NoSwap)?;
        st.write(&self.arena, from, loc.byte_offset(), len)
            .map_err(|e| {
                self.sstats[i].failures += 1;
                VmError::Backend(e)
            })
    }

    /// Swap space for `paras` paragraphs: XMS, then EMS, then disk; splitting
    /// larger free extents only when no store can serve it otherwise.
    fn swap_alloc(&mut self, paras: u32) -> Result<SwapLoc, VmError> {
        let class = class_of(paras);
        // A store that refused to grow is skipped until space is freed in it;
        // the last pass retries the grows anyway before giving up (a refusal
        // may have been transient).
        for pass in 0..3 {
            let split = pass > 0;
            if pass == 2 {
                let mut any = false;
                for sp in self.space.iter_mut() {
                    any |= sp.full;
                    sp.full = false;
                }
                if !any {
                    break;
                }
            }
            for kind in StoreKind::ALL {
                let i = kind.index();
                if let Some(st) = self.stores[i].as_mut() {
                    if let Some(loc) = swap::alloc_in(
                        &mut self.space[i],
                        st,
                        &mut self.sstats[i],
                        &mut self.arena,
                        self.scratch,
                        kind,
                        class,
                        split,
                    ) {
                        return Ok(loc);
                    }
                }
            }
        }
        Err(VmError::NoSwap)
    }

    fn swap_free(&mut self, loc: SwapLoc, paras: u32) {
        let i = loc.store();
        if let Some(st) = self.stores[i].as_mut() {
            swap::free_in(
                &mut self.space[i],
                st,
                &mut self.sstats[i],
                &mut self.arena,
                self.scratch,
                loc,
                class_of(paras),
            );
        }
    }

    // ---------------------------------------------------------------- handle table

    fn has_stores(&self) -> bool {
        self.stores.iter().any(Option::is_some)
    }

    fn dir_get(&self, page: u32) -> SwapLoc {
        SwapLoc(self.arena.read_u32(self.dir + page * 4))
    }

    fn slot_base(&self, i: usize) -> u32 {
        (self.tslot_base + i as u32 * TP_PARAS) << 4
    }

    fn table_writeback(&mut self, i: usize) -> Result<(), VmError> {
        let page = self.slots[i].page;
        let mut loc = self.dir_get(page);
        let fresh = !loc.is_some();
        if fresh {
            loc = self.swap_alloc(TP_PARAS)?;
        }
        let base = self.slot_base(i);
        if let Err(e) = self.store_write(loc, base, TP_BYTES) {
            if fresh {
                self.swap_free(loc, TP_PARAS);
            }
            return Err(e);
        }
        self.sstats[loc.store()].table_outs += 1;
        self.arena.write_u32(self.dir + page * 4, loc.0);
        self.slots[i].dirty = false;
        Ok(())
    }

    /// Byte address of the cached table page `page`, loading it if needed.
    fn slot_for(&mut self, page: u32, dirty: bool) -> Result<u32, VmError> {
        self.tclock = self.tclock.wrapping_add(1);
        let mut victim = 0;
        for i in 0..self.nslots {
            if self.slots[i].page == page {
                self.slots[i].stamp = self.tclock;
                self.slots[i].dirty |= dirty;
                return Ok(self.slot_base(i));
            }
            let s = &self.slots[i];
            let v = &self.slots[victim];
            // Empty first, then least recently used, a pinned page last.
            if v.page != EMPTY_SLOT
                && (s.page == EMPTY_SLOT
                    || (v.pinned, self.tclock.wrapping_sub(s.stamp))
                        > (s.pinned, self.tclock.wrapping_sub(v.stamp)))
            {
                victim = i;
            }
        }
        let i = victim;
        if self.slots[i].page != EMPTY_SLOT && self.slots[i].dirty {
            self.table_writeback(i)?;
        }
        self.slots[i].page = EMPTY_SLOT;
        let base = self.slot_base(i);
        let loc = self.dir_get(page);
        if loc.is_some() {
            self.store_read(loc, base, TP_BYTES)?;
            self.sstats[loc.store()].table_ins += 1;
        } else {
            self.arena.fill(base, TP_BYTES, 0);
        }
        self.slots[i] = TSlot {
            page,
            dirty,
            pinned: false,
            stamp: self.tclock,
        };
        Ok(base)
    }

    fn hte_get(&mut self, idx: u32) -> Result<Hte, VmError> {
        let a = self.slot_for(idx >> TP_SHIFT, false)? + (idx & TP_MASK) * HTE_BYTES;
        let g = self.arena.read_u16(a + 4);
        Ok(Hte {
            loc: self.arena.read_u32(a),
            gen: g & GEN_MASK,
            live: g & HTE_LIVE != 0,
            paras: u32::from(self.arena.read_u16(a + 6)),
        })
    }

    fn hte_put(&mut self, idx: u32, e: Hte) -> Result<(), VmError> {
        let a = self.slot_for(idx >> TP_SHIFT, true)? + (idx & TP_MASK) * HTE_BYTES;
        self.arena.write_u32(a, e.loc);
        let g = e.gen | if e.live { HTE_LIVE } else { 0 };
        self.arena.write_u16(a + 4, g);
        self.arena.write_u16(a + 6, e.paras as u16);
        Ok(())
    }

    // ---------------------------------------------------------------- resident hash

    fn bucket(&self, idx: u32) -> u32 {
        self.rb + (idx & self.rb_mask) * 2
    }

    fn find_idx(&self, idx: u32) -> u32 {
        let mut p = u32::from(self.arena.read_u16(self.bucket(idx)));
        while p != NIL {
            if self.handle_at(p) & IDX_MASK == idx {
                return p;
            }
            p = self.r16(p, H_HNEXT);
        }
        NIL
    }

    fn hash_insert(&mut self, p: u32) {
        let b = self.bucket(self.handle_at(p) & IDX_MASK);
        let head = u32::from(self.arena.read_u16(b));
        self.w16(p, H_HNEXT, head);
        self.arena.write_u16(b, p as u16);
    }

    /// Replaces the link to `old` in its bucket chain by `new` (`new` = the
    /// next region in the chain to unlink `old`).
    fn hash_relink(&mut self, idx: u32, old: u32, new: u32) {
        let b = self.bucket(idx);
        let mut link = b;
        loop {
            let cur = u32::from(self.arena.read_u16(link));
            debug_assert!(cur != NIL, "region not in its hash chain");
            if cur == old || cur == NIL {
                self.arena.write_u16(link, new as u16);
                return;
            }
            link = (cur << 4) + H_HNEXT;
        }
    }

    fn hash_remove(&mut self, p: u32) {
        let next = self.r16(p, H_HNEXT);
        self.hash_relink(self.handle_at(p) & IDX_MASK, p, next);
    }

    // ---------------------------------------------------------------- frequency sketch

    /// Byte addresses of the two counters of handle `h` (one per row).
    fn fslots(&self, h: u32) -> (u32, u32) {
        let a = h.wrapping_mul(0x9E37_79B1) >> self.fshift;
        let b = (h ^ (h >> 15)).wrapping_mul(0x85EB_CA77) >> self.fshift;
        (self.fsk + a, self.fsk + self.fwidth + b)
    }

    fn rd8(&self, at: u32) -> u32 {
        let w = u32::from(self.arena.read_u16(at & !1));
        if at & 1 == 0 {
            w & 0xFF
        } else {
            w >> 8
        }
    }

    fn wr8(&mut self, at: u32, v: u32) {
        let w = u32::from(self.arena.read_u16(at & !1));
        let w = if at & 1 == 0 {
            (w & 0xFF00) | v
        } else {
            (w & 0x00FF) | (v << 8)
        };
        self.arena.write_u16(at & !1, w as u16);
    }

    /// Estimated recent access count of `h` (count-min over two rows).
    fn freq(&self, h: u32) -> u32 {
        let (a, b) = self.fslots(h);
        self.rd8(a).min(self.rd8(b))
    }

    /// Counts an access of `h` (conservative update: only the smaller
    /// counters grow). Every 16 x width accesses all counters are halved, so
    /// the counts describe the recent past.
    fn count_access(&mut self, h: u32) {
        let (a, b) = self.fslots(h);
        let (x, y) = (self.rd8(a), self.rd8(b));
        let m = x.min(y);
        if m < 255 {
            if x == m {
                self.wr8(a, m + 1);
            }
            if y == m {
                self.wr8(b, m + 1);
            }
        }
        self.fsamples += 1;
        if self.fsamples >= self.fwidth * 16 {
            self.fsamples = 0;
            let mut at = self.fsk;
            while at < self.fsk + 2 * self.fwidth {
                let w = self.arena.read_u16(at);
                self.arena.write_u16(at, (w >> 1) & 0x7F7F);
                at += 2;
            }
        }
    }

    // ---------------------------------------------------------------- policy lists

    fn lists_unlink(&mut self, p: u32) {
        let (pr, nx) = (self.lprev(p), self.lnext(p));
        let in_main = self.flags(p) & F_MAIN != 0;
        if pr != NIL {
            self.w16(pr, H_LNEXT, nx);
        } else if in_main {
            self.main_head = nx;
        } else {
            self.win_head = nx;
        }
        if nx != NIL {
            self.w16(nx, H_LPREV, pr);
        } else if in_main {
            self.main_tail = pr;
        } else {
            self.win_tail = pr;
        }
    }

    /// Pushes `p` on the MRU end of the main list (flag set by the caller).
    fn main_push(&mut self, p: u32) {
        self.w16(p, H_LPREV, NIL);
        self.w16(p, H_LNEXT, self.main_head);
        if self.main_head != NIL {
            self.w16(self.main_head, H_LPREV, p);
        } else {
            self.main_tail = p;
        }
        self.main_head = p;
    }

    /// Appends `p` to the MRU end of the window (flag cleared by the caller).
    fn win_push(&mut self, p: u32) {
        self.w16(p, H_LNEXT, NIL);
        self.w16(p, H_LPREV, self.win_tail);
        if self.win_tail != NIL {
            self.w16(self.win_tail, H_LNEXT, p);
        } else {
            self.win_head = p;
        }
        self.win_tail = p;
    }

    fn make_main(&mut self, p: u32) {
        let f = self.flags(p);
        self.set_flags(p, f | F_MAIN);
        self.main_paras += self.rsize(p);
        self.main_push(p);
        // Move least recent main blocks to the window until the main list fits.
        while self.main_paras > self.main_target && self.main_tail != p {
            let q = self.main_tail;
            self.lists_unlink(q);
            let fq = self.flags(q);
            self.set_flags(q, fq & !F_MAIN);
            self.main_paras -= self.rsize(q);
            self.win_push(q);
        }
    }

    /// A hit on resident block `p`: to the MRU end of its list.
    fn touch(&mut self, p: u32) {
        self.lists_unlink(p);
        if self.flags(p) & F_MAIN != 0 {
            self.main_push(p);
        } else {
            self.win_push(p);
        }
    }

    /// Enters freshly loaded block `p` into the policy: the main list while
    /// it has room (cold start), else the window.
    fn policy_insert(&mut self, p: u32) {
        let f = self.flags(p) & !F_MAIN;
        self.set_flags(p, f);
        if self.main_paras + self.rsize(p) <= self.main_target {
            self.make_main(p);
        } else {
            self.win_push(p);
        }
    }

    fn policy_remove(&mut self, p: u32) {
        self.lists_unlink(p);
        if self.flags(p) & F_MAIN != 0 {
            self.main_paras -= self.rsize(p);
        }
    }

    /// The next block to evict. The candidate is the oldest unlocked block of
    /// the window; it duels the least recent unlocked block of the main list:
    /// if the sketch counts more recent accesses for the candidate, the two
    /// swap places (the candidate joins the main list, the main block goes).
    /// Otherwise the candidate goes. Without a window block, the least recent
    /// main block goes.
    fn victim(&mut self) -> Option<u32> {
        let mut p = self.win_head;
        while p != NIL && self.locks(p) != 0 {
            p = self.lnext(p);
        }
        if p != NIL {
            let mut v = self.main_tail;
            while v != NIL && self.locks(v) != 0 {
                v = self.lprev(v);
            }
            if v != NIL && self.freq(self.handle_at(p)) > self.freq(self.handle_at(v)) {
                self.lists_unlink(v);
                let fv = self.flags(v);
                self.set_flags(v, fv & !F_MAIN);
                self.main_paras -= self.rsize(v);
                self.win_push(v);
                self.lists_unlink(p);
                self.make_main(p);
                return Some(v);
            }
            return Some(p);
        }
        p = self.main_tail;
        while p != NIL {
            if self.locks(p) == 0 {
                return Some(p);
            }
            p = self.lprev(p);
        }
        None
    }

    // ---------------------------------------------------------------- regions

    fn fl_insert(&mut self, p: u32) {
        self.w16(p, H_LPREV, NIL);
        self.w16(p, H_LNEXT, self.free_list);
        if self.free_list != NIL {
            self.w16(self.free_list, H_LPREV, p);
        }
        self.free_list = p;
    }

    fn fl_remove(&mut self, p: u32) {
        let (pr, nx) = (self.lprev(p), self.lnext(p));
        if pr != NIL {
            self.w16(pr, H_LNEXT, nx);
        } else {
            self.free_list = nx;
        }
        if nx != NIL {
            self.w16(nx, H_LPREV, pr);
        }
    }

    fn fit(&self, need: u32) -> Option<u32> {
        let mut p = self.free_list;
        while p != NIL {
            if self.rsize(p) >= need {
                return Some(p);
            }
            p = self.lnext(p);
        }
        None
    }

    /// Takes `need` paragraphs from the start of free region `p`; marks it
    /// used (no locks, no flags but `F_USED`).
    fn carve(&mut self, p: u32, need: u32) -> u32 {
        let r = self.rsize(p);
        self.fl_remove(p);
        if r - need >= MIN_SPLIT {
            self.w16(p, H_SIZE, need);
            let q = p + need;
            self.w16(q, H_SIZE, r - need);
            self.w16(q, H_PREV, need);
            self.set_fl(q, 0, 0);
            if q + (r - need) < self.heap_end {
                self.w16(q + (r - need), H_PREV, r - need);
            }
            self.fl_insert(q);
        }
        self.set_fl(p, F_USED, 0);
        self.free_paras -= self.rsize(p);
        p
    }

    /// Returns region `p` to the free space, coalescing with its neighbours.
    fn release(&mut self, p: u32) {
        let mut p = p;
        let mut size = self.rsize(p);
        self.set_fl(p, 0, 0);
        self.free_paras += size;
        let n = p + size;
        if n < self.heap_end && self.flags(n) & F_USED == 0 {
            self.fl_remove(n);
            size += self.rsize(n);
            self.w16(p, H_SIZE, size);
        }
        let prev = self.r16(p, H_PREV);
        let merged = prev != 0 && self.flags(p - prev) & F_USED == 0;
        if merged {
            p -= prev;
            size += self.rsize(p);
            self.w16(p, H_SIZE, size);
        }
        if p + size < self.heap_end {
            self.w16(p + size, H_PREV, size);
        }
        if !merged {
            self.fl_insert(p);
        }
    }

    /// Fixes every link to a region that compaction moved from `old` to `new`.
    fn moved(&mut self, old: u32, new: u32) {
        let idx = self.handle_at(new) & IDX_MASK;
        self.hash_relink(idx, old, new);
        let (pr, nx) = (self.lprev(new), self.lnext(new));
        let in_main = self.flags(new) & F_MAIN != 0;
        if pr != NIL {
            self.w16(pr, H_LNEXT, new);
        } else if in_main {
            self.main_head = new;
        } else {
            self.win_head = new;
        }
        if nx != NIL {
            self.w16(nx, H_LPREV, new);
        } else if in_main {
            self.main_tail = new;
        } else {
            self.win_tail = new;
        }
    }

    /// Slides the unlocked blocks of `[start, end)` (no locked block inside)
    /// down, leaving one free region at the end; returns it.
    fn compact(&mut self, start: u32, end: u32) -> u32 {
        self.cstats.compactions += 1;
        let mut wp = start;
        let mut prev_size = self.r16(start, H_PREV);
        let mut p = start;
        while p < end {
            let s = self.rsize(p);
            if self.flags(p) & F_USED == 0 {
                self.fl_remove(p);
                self.free_paras -= s;
            } else {
                if p != wp {
                    self.arena.copy(p << 4, wp << 4, s << 4);
                    self.cstats.bytes_compacted = self.cstats.bytes_compacted.wrapping_add(s << 4);
                    self.moved(p, wp);
                }
                self.w16(wp, H_PREV, prev_size);
                prev_size = s;
                wp += s;
            }
            p += s;
        }
        debug_assert!(wp < end);
        self.w16(wp, H_SIZE, end - wp);
        self.w16(wp, H_PREV, prev_size);
        self.set_fl(wp, 0, 0);
        self.free_paras += end - wp;
        self.fl_insert(wp);
        if end < self.heap_end {
            self.w16(end, H_PREV, end - wp);
        }
        wp
    }

    /// Compacts the first stretch between locked blocks whose free space is
    /// at least `need`.
    fn compact_for(&mut self, need: u32) -> Option<u32> {
        let mut start = self.heap_start;
        let mut free = 0;
        let mut p = self.heap_start;
        while p < self.heap_end {
            let s = self.rsize(p);
            let f = self.flags(p);
            if f & F_USED != 0 && self.locks(p) > 0 {
                if free >= need {
                    return Some(self.compact(start, p));
                }
                start = p + s;
                free = 0;
            } else if f & F_USED == 0 {
                free += s;
            }
            p += s;
        }
        if free >= need {
            return Some(self.compact(start, self.heap_end));
        }
        None
    }

    /// A used region of `need` paragraphs, evicting and compacting as needed.
    fn alloc_region(&mut self, need: u32) -> Result<u32, VmError> {
        if need > self.heap_end - self.heap_start {
            return Err(VmError::NoRoom);
        }
        loop {
            if let Some(p) = self.fit(need) {
                return Ok(self.carve(p, need));
            }
            if self.free_paras >= need {
                if let Some(p) = self.compact_for(need) {
                    if self.rsize(p) >= need {
                        return Ok(self.carve(p, need));
                    }
                }
            }
            let v = self.victim().ok_or(VmError::NoRoom)?;
            if let Err(e) = self.evict(v) {
                // The policy's victim could not be written out (no swap space
                // left, or a store refused). A clean block, or a dirty one that
                // already owns swap space, can still leave: try those before
                // failing, so a full store does not make every load fail.
                let other = self.fallback_victim(v).ok_or(e)?;
                self.evict(other)?;
            }
        }
    }

    /// An unlocked resident block other than `not` that can leave the cache
    /// without new swap space: clean first, else dirty with committed space.
    /// Walks the policy's lists in [`victim`](Self::victim)'s order: O(resident
    /// blocks), and only after an eviction failed.
    fn fallback_victim(&self, not: u32) -> Option<u32> {
        let mut committed = None;
        let mut consider = |p: u32| -> bool {
            let f = self.flags(p);
            if p == not || self.locks(p) != 0 {
                return false;
            }
            if f & F_DIRTY == 0 {
                return true;
            }
            if f & F_SWAP != 0 && committed.is_none() {
                committed = Some(p);
            }
            false
        };
        let mut p = self.win_head;
        while p != NIL {
            if consider(p) {
                return Some(p);
            }
            p = self.lnext(p);
        }
        p = self.main_tail;
        while p != NIL {
            if consider(p) {
                return Some(p);
            }
            p = self.lprev(p);
        }
        committed
    }

    /// Removes unlocked resident block `p` from the cache, writing it out
    /// first if it is dirty (committing swap space if it has none).
    fn evict(&mut self, p: u32) -> Result<(), VmError> {
        debug_assert!(self.locks(p) == 0);
        let f = self.flags(p);
        let h = self.handle_at(p);
        let bparas = self.r16(p, H_BPARAS);
        let (data, len) = (Self::data_addr(p), bparas << 4);
        if f & F_DIRTY != 0 {
            let loc = if f & F_SWAP != 0 {
                let loc = SwapLoc(self.r32(p, H_SWAP));
                self.store_write(loc, data, len)?;
                loc
            } else {
                // Lazy commit: the block gets swap space now.
                let idx = h & IDX_MASK;
                let mut e = self.hte_get(idx)?;
                debug_assert!(e.live && u32::from(e.gen) == h >> IDX_BITS);
                let loc = self.swap_alloc(bparas)?;
                if let Err(err) = self.store_write(loc, data, len) {
                    self.swap_free(loc, bparas);
                    return Err(err);
                }
                e.loc = loc.0;
                if let Err(err) = self.hte_put(idx, e) {
                    self.swap_free(loc, bparas);
                    return Err(err);
                }
                loc
            };
            let st = &mut self.sstats[loc.store()];
            st.page_outs += 1;
            st.bytes_out = st.bytes_out.wrapping_add(len);
        } else {
            self.cstats.clean_drops += 1;
        }
        self.policy_remove(p);
        self.hash_remove(p);
        self.release(p);
        Ok(())
    }

    // ---------------------------------------------------------------- calls

    /// Validates `h`: resident (found by the hash without touching the table)
    /// or not (entry read from the table).
    fn resolve(&mut self, h: VmHandle) -> Result<Res, VmError> {
        let idx = h & IDX_MASK;
        if idx == 0 || idx >= self.hwm {
            return Err(VmError::InvalidHandle);
        }
        let p = self.find_idx(idx);
        if p != NIL {
            return if self.handle_at(p) == h {
                Ok(Res::Resident(p))
            } else {
                Err(VmError::InvalidHandle)
            };
        }
        let e = self.hte_get(idx)?;
        if !e.live || u32::from(e.gen) != h >> IDX_BITS {
            return Err(VmError::InvalidHandle);
        }
        Ok(Res::Away(e))
    }

    /// Sets up the header of fresh region `p` for block `h`.
    fn init_header(&mut self, p: u32, h: VmHandle, loc: SwapLoc, bparas: u32, dirty: bool) {
        let mut f = F_USED;
        if loc.is_some() {
            f |= F_SWAP;
        }
        if dirty {
            f |= F_DIRTY;
        }
        self.set_fl(p, f, 0);
        self.w32(p, H_HANDLE, h);
        self.w32(p, H_SWAP, loc.0);
        self.w16(p, H_BPARAS, bparas);
    }

    fn make_resident(&mut self, h: VmHandle) -> Result<u32, VmError> {
        match self.resolve(h)? {
            Res::Resident(p) => {
                self.cstats.hits += 1;
                self.count_access(h);
                self.touch(p);
                Ok(p)
            }
            Res::Away(e) => {
                self.cstats.misses += 1;
                let p = self.alloc_region(e.paras + HDR_PARAS)?;
                let loc = SwapLoc(e.loc);
                self.init_header(p, h, loc, e.paras, false);
                let (data, len) = (Self::data_addr(p), e.paras << 4);
                if loc.is_some() {
                    if let Err(err) = self.store_read(loc, data, len) {
                        self.release(p);
                        return Err(err);
                    }
                    let st = &mut self.sstats[loc.store()];
                    st.page_ins += 1;
                    st.bytes_in = st.bytes_in.wrapping_add(len);
                } else {
                    self.arena.fill(data, len, 0);
                    self.cstats.zero_fills += 1;
                }
                self.hash_insert(p);
                self.count_access(h);
                self.policy_insert(p);
                Ok(p)
            }
        }
    }

    /// Whether a block of `paras` paragraphs could ever be resident: a block
    /// larger than the cache's data heap could be allocated but never loaded,
    /// so `_vmalloc` and `_vrealloc` refuse it ([`VmError::NoRoom`]).
    fn fits_cache(&self, paras: u32) -> bool {
        paras + HDR_PARAS <= self.heap_end - self.heap_start
    }

    pub fn alloc(&mut self, size: u32) -> Result<VmHandle, VmError> {
        if size == 0 || size > MAX_BLOCK_SIZE {
            return Err(VmError::BadSize);
        }
        let paras = paras_of(size);
        if !self.fits_cache(paras) {
            return Err(VmError::NoRoom);
        }
        let (idx, gen, reused) = if self.free_head != 0 {
            let e = self.hte_get(self.free_head)?;
            (self.free_head, e.gen, Some(e.loc))
        } else if self.hwm < self.max_handles {
            (self.hwm, self.gen_base, None)
        } else {
            return Err(VmError::NoHandles);
        };
        let page = idx >> TP_SHIFT;
        if reused.is_none() && !self.dir_get(page).is_some() && self.has_stores() {
            // First handle of a table page: give the page its swap space now,
            // so that writing a table page back never needs an allocation
            // (otherwise a full swap space could make `_vfree` impossible).
            // The page is cached dirty and zero-filled, so the store copy is
            // written before it is ever read.
            let base = self.slot_for(page, true)?;
            let slot = ((base >> 4) - self.tslot_base) / TP_PARAS;
            match self.swap_alloc(TP_PARAS) {
                Ok(loc) => {
                    self.arena.write_u32(self.dir + page * 4, loc.0);
                    // A page pinned earlier has swap space from now on.
                    self.slots[slot as usize].pinned = false;
                }
                // No store can give it space now (the only store cannot
                // grow): the page stays in the cache, pinned, as long as
                // another slot is left to page the table pages that have
                // swap space. So blocks that fit in the cache can still be
                // allocated, and `_vfree` never needs new swap space.
                Err(e) if !self.slots[slot as usize].pinned => {
                    let pinned = self.slots.iter().filter(|s| s.pinned).count();
                    if pinned + 1 >= self.nslots {
                        // Nothing is written to the page yet: it may leave clean.
                        self.slots[slot as usize].dirty = false;
                        return Err(e);
                    }
                    self.slots[slot as usize].pinned = true;
                }
                // Pinned by an earlier handle of the page.
                Err(_) => {}
            }
        }
        let e = Hte {
            loc: SwapLoc::NONE.0,
            gen,
            live: true,
            paras,
        };
        self.hte_put(idx, e)?;
        match reused {
            Some(next) => self.free_head = next,
            None => self.hwm += 1,
        }
        self.live += 1;
        Ok((u32::from(gen) << IDX_BITS) | idx)
    }

    pub fn free(&mut self, h: VmHandle) -> Result<(), VmError> {
        let r = self.resolve(h)?;
        let idx = h & IDX_MASK;
        let e = match r {
            Res::Resident(p) if self.locks(p) > 0 => return Err(VmError::Locked),
            Res::Resident(_) => self.hte_get(idx)?,
            Res::Away(e) => e,
        };
        let dead = Hte {
            loc: self.free_head,
            gen: (e.gen + 1) & GEN_MASK,
            live: false,
            paras: 0,
        };
        self.hte_put(idx, dead)?;
        self.free_head = idx;
        self.live -= 1;
        let loc = SwapLoc(e.loc);
        if loc.is_some() {
            self.swap_free(loc, e.paras);
        }
        if let Res::Resident(_) = r {
            // The table access above may not move regions, so `p` is still good;
            // look it up again anyway to keep the invariant obvious.
            let p = self.find_idx(idx);
            self.policy_remove(p);
            self.hash_remove(p);
            self.release(p);
        }
        Ok(())
    }

    pub fn realloc(&mut self, h: VmHandle, size: u32) -> Result<VmHandle, VmError> {
        if h == 0 {
            return self.alloc(size);
        }
        let r = self.resolve(h)?;
        if size == 0 {
            self.free(h)?;
            return Ok(0);
        }
        if size > MAX_BLOCK_SIZE {
            return Err(VmError::BadSize);
        }
        if !self.fits_cache(paras_of(size)) {
            return Err(VmError::NoRoom);
        }
        if let Res::Resident(p) = r {
            if self.locks(p) > 0 {
                return Err(VmError::Locked);
            }
        }
        let idx = h & IDX_MASK;
        let newp = paras_of(size);
        let e = match r {
            Res::Resident(_) => self.hte_get(idx)?,
            Res::Away(e) => e,
        };
        if newp == e.paras {
            return Ok(h);
        }
        let new_e = Hte {
            loc: SwapLoc::NONE.0,
            paras: newp,
            ..e
        };
        let old_loc = SwapLoc(e.loc);
        if let Res::Resident(p) = r {
            if newp < e.paras {
                // Shrink in place; the old swap copy no longer fits the size class.
                self.hte_put(idx, new_e)?;
                if old_loc.is_some() {
                    self.swap_free(old_loc, e.paras);
                }
                let f = self.flags(p);
                self.set_flags(p, (f & !F_SWAP) | F_DIRTY);
                self.w32(p, H_SWAP, SwapLoc::NONE.0);
                self.w16(p, H_BPARAS, newp);
                let r_size = self.rsize(p);
                let need = newp + HDR_PARAS;
                if r_size - need >= MIN_SPLIT {
                    if f & F_MAIN != 0 {
                        self.main_paras -= r_size - need;
                    }
                    let q = p + need;
                    self.w16(p, H_SIZE, need);
                    self.w16(q, H_SIZE, r_size - need);
                    self.w16(q, H_PREV, need);
                    self.set_fl(q, F_USED, 0);
                    self.release(q);
                }
                return Ok(h);
            }
            // Grow inside the cache: pin the old block, copy.
            self.set_locks(p, 1);
            let got = self.alloc_region(newp + HDR_PARAS);
            self.set_locks(p, 0);
            if let Ok(q) = got {
                let old_len = e.paras << 4;
                self.arena
                    .copy(Self::data_addr(p), Self::data_addr(q), old_len);
                self.arena
                    .fill(Self::data_addr(q) + old_len, (newp << 4) - old_len, 0);
                self.init_header(q, h, SwapLoc::NONE, newp, true);
                if let Err(err) = self.hte_put(idx, new_e) {
                    self.release(q);
                    return Err(err);
                }
                if old_loc.is_some() {
                    self.swap_free(old_loc, e.paras);
                }
                self.policy_remove(p);
                self.hash_remove(p);
                self.release(p);
                self.hash_insert(q);
                self.policy_insert(q);
                return Ok(h);
            }
            // Not enough room for both copies: go through swap.
            self.evict(p)?;
        }
        // The block is not resident: read what is kept into a new region.
        let e = self.hte_get(idx)?;
        let old_loc = SwapLoc(e.loc);
        let q = self.alloc_region(newp + HDR_PARAS)?;
        let keep = e.paras.min(newp) << 4;
        let data = Self::data_addr(q);
        if old_loc.is_some() {
            if let Err(err) = self.store_read(old_loc, data, keep) {
                self.release(q);
                return Err(err);
            }
            let st = &mut self.sstats[old_loc.store()];
            st.page_ins += 1;
            st.bytes_in = st.bytes_in.wrapping_add(keep);
        } else {
            self.arena.fill(data, keep, 0);
        }
        self.arena.fill(data + keep, (newp << 4) - keep, 0);
        self.init_header(q, h, SwapLoc::NONE, newp, true);
        if let Err(err) = self.hte_put(idx, new_e) {
            self.release(q);
            return Err(err);
        }
        if old_loc.is_some() {
            self.swap_free(old_loc, e.paras);
        }
        self.hash_insert(q);
        self.policy_insert(q);
        Ok(h)
    }

    pub fn size(&mut self, h: VmHandle) -> Result<u32, VmError> {
        let paras = match self.resolve(h)? {
            Res::Resident(p) => self.r16(p, H_BPARAS),
            Res::Away(e) => e.paras,
        };
        Ok((paras << 4).min(MAX_BLOCK_SIZE))
    }

    pub fn load(&mut self, h: VmHandle, dirty: bool) -> Result<ArenaAddr, VmError> {
        let p = self.make_resident(h)?;
        if dirty {
            let f = self.flags(p);
            self.set_flags(p, f | F_DIRTY);
        }
        Ok(ArenaAddr(Self::data_addr(p)))
    }

    pub fn lock(&mut self, h: VmHandle) -> Result<ArenaAddr, VmError> {
        if let Res::Resident(p) = self.resolve(h)? {
            if self.locks(p) >= u32::from(MAX_LOCKS) {
                return Err(VmError::LockOverflow);
            }
        }
        let p = self.make_resident(h)?;
        let l = self.locks(p);
        self.set_locks(p, l + 1);
        Ok(ArenaAddr(Self::data_addr(p)))
    }

    pub fn unlock(&mut self, h: VmHandle, dirty: bool) -> Result<(), VmError> {
        if let Res::Resident(p) = self.resolve(h)? {
            let l = self.locks(p);
            if l > 0 {
                self.set_locks(p, l - 1);
                if dirty {
                    let f = self.flags(p);
                    self.set_flags(p, f | F_DIRTY);
                }
            }
        }
        Ok(())
    }

    pub fn lock_count(&mut self, h: VmHandle) -> Result<u8, VmError> {
        Ok(match self.resolve(h)? {
            Res::Resident(p) => self.locks(p) as u8,
            Res::Away(..) => 0,
        })
    }

    pub fn status(&self) -> Status {
        let mut s = Status {
            initialized: true,
            dos_paras: self.arena.paras(),
            dos_pages: self.arena.paras() / 256,
            largest_block: ((self.heap_end - self.heap_start - HDR_PARAS) << 4).min(MAX_BLOCK_SIZE),
            live_handles: self.live,
            max_handles: self.max_handles - 1,
            ..Status::default()
        };
        let mut used_paras = 0u32;
        for kind in StoreKind::ALL {
            let i = kind.index();
            let sp = &self.space[i];
            if sp.present {
                s.stores_open |= kind.swaparea_bit();
                if sp.full {
                    s.stores_full |= kind.swaparea_bit();
                } else {
                    s.swapping = true;
                }
            }
            used_paras += sp.used_paras;
            s.store_used_bytes[i] = sp.used_paras << 4;
            s.store_size_bytes[i] = sp.size_paras() << 4;
        }
        s.vm_pages = used_paras.div_ceil(256);
        s
    }

    /// Panics if an internal invariant is broken.
    pub fn check(&self) {
        let mut p = self.heap_start;
        let mut prev_size = 0;
        let mut prev_free = false;
        let (mut free, mut nfree, mut nused, mut main) = (0, 0, 0, 0);
        while p < self.heap_end {
            let s = self.rsize(p);
            assert!(s >= 1, "empty region at {p}");
            assert_eq!(self.r16(p, H_PREV), prev_size, "prev size at {p}");
            let used = self.flags(p) & F_USED != 0;
            if used {
                nused += 1;
                let h = self.handle_at(p);
                assert_eq!(self.find_idx(h & IDX_MASK), p, "hash of {p}");
                assert!(self.r16(p, H_BPARAS) + HDR_PARAS <= s);
                if self.flags(p) & F_MAIN != 0 {
                    main += s;
                }
            } else {
                assert!(!prev_free, "adjacent free regions at {p}");
                free += s;
                nfree += 1;
            }
            prev_free = !used;
            prev_size = s;
            p += s;
        }
        assert_eq!(p, self.heap_end);
        assert_eq!(free, self.free_paras, "free paragraphs");
        assert_eq!(main, self.main_paras, "main paragraphs");
        let mut n = 0;
        let mut q = self.free_list;
        while q != NIL {
            assert!(self.flags(q) & F_USED == 0);
            n += 1;
            q = self.lnext(q);
        }
        assert_eq!(n, nfree, "free list length");
        let mut n = 0;
        for (head, want_main) in [(self.main_head, true), (self.win_head, false)] {
            let mut q = head;
            let mut back = NIL;
            while q != NIL {
                assert_eq!(self.flags(q) & F_MAIN != 0, want_main);
                assert_eq!(self.lprev(q), back);
                assert!(self.flags(q) & F_USED != 0);
                n += 1;
                back = q;
                q = self.lnext(q);
            }
            assert_eq!(
                back,
                if want_main {
                    self.main_tail
                } else {
                    self.win_tail
                }
            );
        }
        assert_eq!(n, nused, "policy lists cover the resident blocks");
    }
}
