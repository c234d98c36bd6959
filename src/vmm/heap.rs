//! The state of one virtual heap (between `_vheapinit` and `_vheapterm`):
//! the arena, the swap space and one value per concern, each in its own
//! module. See the module docs of [`super`] for the design.
//!
//! Belongs here: building the state, taking it apart, the status values and
//! the invariant check that spans the concerns. Does not belong here: the
//! calls (`calls`), making room (`evict`), or any one concern's logic.

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use super::backend::{Arena, Store, StoreKind};
use super::handle::Gen;
use super::header::{Flags, Regions, HDR_PARAS};
use super::index::ResidentIndex;
use super::layout::Layout;
use super::place::Placement;
use super::policy::Policy;
use super::sketch::Sketch;
use super::stats::{CacheStats, Status, StatusBlock};
use super::stores::Stores;
use super::swap::SwapLoc;
use super::table::Table;
use super::units::{ArenaAddr, ArenaPara, Bytes, Paras, RegionParas};
use super::{VmError, MAX_BLOCK_SIZE};

/// Paragraphs in one of the MS VMM's 4 KiB pages.
const VM_PAGE_PARAS: u32 = 256;

/// [`Arena::fill`] out of line, for the callers that run seldom (heap
/// setup, layout changes, a table page's first use): the DOS arena's fill
/// is inlined at every call (for the zero fill of new blocks, a hot path),
/// and each inlined copy took about 90 bytes.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
pub(super) fn fill_seldom<A: Arena>(a: &mut A, at: ArenaAddr, len: Bytes, byte: u8) {
    a.fill(at, len, byte)
}

/// State of one initialized heap.
pub struct Heap<A, S> {
    pub(super) arena: A,
    pub(super) stores: Stores<S>,
    pub(super) cstats: CacheStats,
    pub(super) table: Table,
    pub(super) index: ResidentIndex,
    pub(super) sketch: Sketch,
    pub(super) place: Placement,
    pub(super) policy: Policy,
    /// Whether the arena has the lean layout (`lean`).
    pub(super) lean: bool,
    /// The largest block whose commit charge `_vmalloc` makes inline (see
    /// `Heap::charge_quick`): one the data heap holds, in the default
    /// layout; 0 in the lean layout. Set at every layout change, so that
    /// the fast path's test is one compare (three tests took 8
    /// instructions a call).
    pub(super) inline_max: RegionParas,
    /// Why the last `_vmalloc` that failed failed (see `Heap::alloc_raw`).
    pub(super) alloc_why: VmError,
    /// The default layout (kept: computing it again took more code than
    /// its 18 bytes).
    pub(super) layout: Layout,
}

/// The place of the heap between `_vheapinit` and `_vheapterm`: an
/// `Option<Heap>` that [`Heap::init_in`] builds in place, field by field.
///
/// Why not `Option<Heap>`: the heap is about 1.9 KB (most of it the swap
/// allocator's free-list heads), and LLVM builds a struct literal (and the
/// arrays inside it) in stack temporaries before copying it into an
/// `Option`: `_vheapinit` took 4 KB of stack that way, and in the C library
/// the stack is conventional memory set aside for good.
pub struct HeapSlot<A, S> {
    heap: MaybeUninit<Heap<A, S>>,
    /// Whether `heap` holds a value (every field written).
    open: bool,
}

impl<A, S> HeapSlot<A, S> {
    /// No heap.
    pub const EMPTY: Self = Self {
        heap: MaybeUninit::uninit(),
        open: false,
    };

    /// Whether a heap is there.
    pub fn is_some(&self) -> bool {
        self.open
    }

    /// The heap, if there is one.
    pub fn as_ref(&self) -> Option<&Heap<A, S>> {
        // SAFETY: `open` is set only after `init_in` wrote every field.
        self.open.then(|| unsafe { self.heap.assume_init_ref() })
    }

    /// The heap, mutable, if there is one.
    pub fn as_mut(&mut self) -> Option<&mut Heap<A, S>> {
        // SAFETY: as in `as_ref`.
        self.open.then(|| unsafe { self.heap.assume_init_mut() })
    }

    /// Takes the heap apart for closing: hands each open store to
    /// `close_store` (by kind, in [`StoreKind::ALL`] order) and returns the
    /// arena (the rest of the heap needs no drop). One store at a time,
    /// straight from its place: the three moved out together took about
    /// 300 bytes of `_vheapterm`'s stack, which in the C library is
    /// conventional memory set aside for good.
    pub fn take_apart(
        &mut self,
        mut close_store: impl FnMut(StoreKind, &mut Option<S>),
    ) -> Option<A> {
        if !self.open {
            return None;
        }
        self.open = false;
        let p = self.heap.as_mut_ptr();
        for &kind in &StoreKind::ALL {
            // SAFETY: the heap was initialized (`open`) and is now marked
            // empty, so each store (`index` < 3) is closed exactly once, in
            // its slot (which `close_store` leaves `None`, nothing to drop).
            let store = unsafe {
                &mut *addr_of_mut!((*p).stores.open)
                    .cast::<Option<S>>()
                    .add(kind.index())
            };
            if store.is_some() {
                close_store(kind, store);
            }
        }
        // SAFETY: as for the stores; the other fields have no drop glue
        // (asserted below), so forgetting them is what dropping them would do.
        Some(unsafe { addr_of_mut!((*p).arena).read() })
    }
}

impl<A, S> Drop for HeapSlot<A, S> {
    fn drop(&mut self) {
        if self.open {
            // SAFETY: initialized (`open`), dropped once.
            unsafe { self.heap.assume_init_drop() }
        }
    }
}

// What `take_apart` leaves behind must need no drop.
const _: () = {
    use core::mem::needs_drop;
    assert!(!needs_drop::<CacheStats>() && !needs_drop::<Table>());
    assert!(!needs_drop::<ResidentIndex>() && !needs_drop::<Sketch>());
    assert!(!needs_drop::<Placement>() && !needs_drop::<Policy>());
    assert!(!needs_drop::<super::swap::StoreSpace>());
    assert!(!needs_drop::<super::stats::StoreStats>());
};

impl<A: Arena, S: Store<A>> Heap<A, S> {
    /// Lays out the arena and builds the new heap in `slot`, with the
    /// stores `open_store` opens (by kind, in [`StoreKind::ALL`] order).
    /// Fails (handing the arena back, `slot` untouched, no store opened) if
    /// the arena is too small for the bookkeeping plus a minimal data heap,
    /// or `slot` holds a heap.
    pub fn init_in(
        slot: &mut HeapSlot<A, S>,
        mut arena: A,
        gen_base: Gen,
        open_store: impl FnMut(StoreKind, &mut MaybeUninit<Option<S>>),
    ) -> Result<(), A> {
        let size = RegionParas::new(arena.paras());
        let Some(l) = Layout::of(size) else {
            return Err(arena);
        };
        if slot.open {
            return Err(arena);
        }
        // The scratch paragraph; the rest is done by `relayout` below.
        fill_seldom(&mut arena, ArenaAddr::START, Bytes::new(16), 0);
        let table = Table::new(&mut arena, l.dir.addr(), u32::from(l.dir_pages), gen_base);
        let p = slot.heap.as_mut_ptr();
        // SAFETY: `p` is valid and aligned for a `Heap` (a `MaybeUninit`
        // of one), holds no value (`!open`), and nothing reads it before
        // `open` is set; every field is written exactly once here (the
        // exhaustive pattern in `all_fields` fails to compile when a field
        // is added, as a reminder to write it here too).
        unsafe {
            addr_of_mut!((*p).arena).write(arena);
            Stores::init_at(addr_of_mut!((*p).stores), open_store);
            addr_of_mut!((*p).cstats).write(CacheStats::default());
            addr_of_mut!((*p).table).write(table);
            // Empty until `relayout` lays the arena out (one copy of that
            // code for `_vheapinit` and the layout changes).
            addr_of_mut!((*p).index).write(ResidentIndex::new(l.index.addr(), 1));
            addr_of_mut!((*p).sketch).write(Sketch::new(l.sketch.addr(), 1));
            addr_of_mut!((*p).place).write(Placement::EMPTY);
            addr_of_mut!((*p).policy).write(Policy::new(RegionParas::ZERO));
            addr_of_mut!((*p).lean).write(false);
            addr_of_mut!((*p).inline_max).write(RegionParas::ZERO);
            addr_of_mut!((*p).alloc_why).write(VmError::NoRoom);
            addr_of_mut!((*p).layout).write(l);
        }
        slot.open = true;
        // SAFETY: every field was written above.
        let heap = unsafe { slot.heap.assume_init_mut() };
        heap.relayout(&l, SwapLoc::NONE, false);
        Ok(())
    }

    /// Never called: names every field, so that adding one to `Heap` fails
    /// to compile until `init_in` writes it too.
    #[allow(dead_code)]
    fn all_fields(self) {
        let Self {
            arena: _,
            stores: _,
            cstats: _,
            table: _,
            index: _,
            sketch: _,
            place: _,
            policy: _,
            lean: _,
            inline_max: _,
            alloc_why: _,
            layout: _,
        } = self;
    }

    /// The MS VMM status values.
    pub fn status(&self) -> Status {
        let largest = (self.largest_region() - HDR_PARAS).bytes();
        let mut s = Status {
            initialized: true,
            dos_paras: self.arena.paras(),
            dos_pages: self.arena.paras() / VM_PAGE_PARAS as u16,
            largest_block: largest.get().min(MAX_BLOCK_SIZE),
            largest_resize: self.resize_room().get().min(MAX_BLOCK_SIZE),
            live_handles: self.table.live,
            max_handles: self.table.max_handles - 1,
            ..Status::default()
        };
        let mut used = Paras::ZERO;
        for kind in StoreKind::ALL {
            let i = kind.index();
            let sp = &self.stores.space[i];
            if sp.present {
                s.stores_open = s.stores_open | kind.swap_area();
                if sp.full {
                    s.stores_full = s.stores_full | kind.swap_area();
                } else {
                    s.swapping = true;
                }
            }
            used += sp.used;
            s.store_used_bytes[i] = sp.used.bytes().get();
            s.store_size_bytes[i] = sp.size().bytes().get();
        }
        s.vm_pages = used.get().div_ceil(VM_PAGE_PARAS);
        s
    }

    /// The KB402074 block (see `Vmm::status_block`): what `status` says,
    /// in the words C programs read, computed from the few fields they need.
    pub fn status_block(&self) -> StatusBlock {
        let mut b = StatusBlock::IDLE;
        self.write_status_block(&mut b);
        b
    }

    /// [`Self::status_block`] written word by word into `b` (the C ABI's
    /// copy of it): no 18-byte value built on the stack and copied, which
    /// took the C ABI's `republish` about 100 more bytes of code.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn write_status_block(&self, b: &mut StatusBlock) {
        b.c_page_dos = self.arena.paras() / VM_PAGE_PARAS as u16;
        b.seg_vm_dos = self.arena.dos_segment();
        b.f_vm_initialized = 1;
        let mut used = Paras::ZERO;
        let mut swapping = false;
        // A store is off (1) while it is full, as a closed store always is.
        let mut off = |sp: &super::swap::StoreSpace| {
            used += sp.used;
            swapping |= !sp.full;
            u16::from(sp.full)
        };
        let [xms, ems, disk] = &self.stores.space;
        b.f_vm_disable_xms = off(xms);
        b.f_vm_disable_ems = off(ems);
        b.f_vm_disable_disk = off(disk);
        b.f_vm_swapping = u16::from(swapping);
        b.fh_vm = match &self.stores.open[StoreKind::Disk.index()] {
            Some(st) => st.dos_handle().map_or(-1, |f| f as i16),
            None => -1,
        };
        b.c_vm_page = used.get().div_ceil(VM_PAGE_PARAS).min(0xFFFF) as u16;
    }

    /// Panics if an internal invariant is broken.
    pub fn check(&self) {
        let a = &self.arena;
        let mut p = self.place.start;
        let mut prev_size = RegionParas::ZERO;
        let mut prev_free = false;
        let (mut free, mut nfree, mut nused, mut main) =
            (RegionParas::ZERO, 0, 0, RegionParas::ZERO);
        while p < self.place.end {
            let s = a.size(p);
            assert!(s >= RegionParas::new(1), "empty region at {p:?}");
            assert_eq!(a.prev_size(p), prev_size, "prev size at {p:?}");
            let used = a.is_used(p);
            if used && self.table.holds_region(p) {
                // An extra table slot: on no list, in no index.
            } else if used {
                nused += 1;
                let h = a.handle(p);
                assert_eq!(self.index.find(a, h.index()), Some(p), "hash of {p:?}");
                assert!(a.block_paras(p) + HDR_PARAS <= s);
                if a.in_main(p) {
                    main += s;
                }
            } else {
                assert!(!prev_free, "adjacent free regions at {p:?}");
                free += s;
                nfree += 1;
            }
            prev_free = !used;
            prev_size = s;
            p = p + s;
        }
        assert_eq!(p, self.place.end);
        assert_eq!(free, self.place.free_paras, "free paragraphs");
        assert_eq!(main, self.policy.main_paras, "main paragraphs");
        let mut n = 0;
        let mut q = self.place.free.head();
        while !q.is_nil() {
            assert!(!a.is_used(q));
            n += 1;
            q = a.list_next(q);
        }
        assert_eq!(n, nfree, "free list length");
        let mut n = 0;
        for (list, want_main) in [(&self.policy.main, true), (&self.policy.window, false)] {
            let mut q = list.head();
            let mut back = ArenaPara::NIL;
            while !q.is_nil() {
                assert_eq!(a.in_main(q), want_main);
                assert_eq!(a.list_prev(q), back);
                assert!(a.flags(q).has(Flags::USED));
                n += 1;
                back = q;
                q = a.list_next(q);
            }
            assert_eq!(back, list.tail());
        }
        assert_eq!(n, nused, "policy lists cover the resident blocks");
        self.table.check(a);
        for sp in &self.stores.space {
            assert!(sp.charge_backed(), "a store's charge is not backed");
        }
    }

    /// Panics unless the commit charge adds up: every live block has swap
    /// space reserved (with a store) or a place charged in the cache
    /// (without), the charges on each store are the sum of its blocks'
    /// size classes and lie within the store, the cache charge within the
    /// data heap, and a resident block's header names its entry's space.
    /// Visits every entry (table pages come in as a call would bring
    /// them): for tests.
    pub fn audit_charges(&mut self) {
        use super::handle::HandleIdx;
        use super::swap::{class_of, class_paras};
        use super::table::Entry;
        let mut charged = [Paras::ZERO; 3];
        let mut cache = Paras::ZERO;
        let any = self.stores.any();
        let mut idx = HandleIdx::FIRST;
        while self.table.in_use_range(idx) {
            let e = self.table.get(&mut self.arena, &mut self.stores, None, idx);
            if let Ok(Entry::Live { loc, paras, .. }) = e {
                assert_eq!(loc.is_some(), any, "slot {idx:?}: swap space iff a store");
                if loc.is_charge() {
                    let need = class_paras(class_of(paras.paras()));
                    assert_eq!(loc.charge_need(), need, "slot {idx:?}: a charge's size");
                    charged[loc.store()] += need;
                } else if !loc.is_some() {
                    cache += super::calls::cache_footprint(paras);
                }
                if let Some(p) = self.index.find(&self.arena, idx) {
                    assert_eq!(
                        self.arena.swap_loc(p),
                        loc,
                        "slot {idx:?}: header and entry"
                    );
                    assert_eq!(self.arena.block_paras(p), paras, "slot {idx:?}: size");
                }
            } else {
                assert!(e.is_ok(), "slot {idx:?}: {e:?}");
            }
            idx = idx.next();
        }
        for (sp, c) in self.stores.space.iter().zip(charged) {
            assert_eq!(sp.charged, c, "charges on a store");
            assert!(sp.charge_backed(), "a store's charge is not backed");
        }
        assert_eq!(self.stores.cache_charged, cache, "the cache charge");
        let slack = super::place::MIN_SPLIT.paras() - Paras::new(1);
        assert!(
            cache <= self.place.capacity().paras() + slack,
            "cache overcharged"
        );
    }
}
