//! The state of one virtual heap (between `_vheapinit` and `_vheapterm`):
//! the arena, the swap space and one value per concern, each in its own
//! module. See the module docs of [`super`] for the design.
//!
//! Belongs here: building the state, taking it apart, the status values and
//! the invariant check that spans the concerns. Does not belong here: the
//! calls (`calls`), making room (`evict`), or any one concern's logic.

use super::backend::{Arena, Store, StoreKind};
use super::handle::Gen;
use super::header::{Flags, Regions, HDR_PARAS};
use super::index::ResidentIndex;
use super::layout::Layout;
use super::place::Placement;
use super::policy::Policy;
use super::recent::Recent;
use super::sketch::Sketch;
use super::stats::{CacheStats, Status, StatusBlock};
use super::stores::Stores;
use super::table::Table;
use super::units::{ArenaAddr, ArenaPara, Paras};
use super::MAX_BLOCK_SIZE;

/// Paragraphs in one of the MS VMM's 4 KiB pages.
const VM_PAGE_PARAS: u32 = 256;

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
    /// Hits the policy has not been told of yet (see `recent`).
    pub(super) recent: Recent,
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
        gen_base: Gen,
    ) -> Result<(), (A, [Option<S>; 3])> {
        let size = Paras::from(arena.paras());
        let Some(l) = Layout::of(size) else {
            return Err((arena, stores));
        };
        let end = ArenaPara::new(arena.paras());
        arena.fill(ArenaAddr::START, l.heap.addr() - ArenaAddr::START, 0);
        let table = Table::new(
            &mut arena,
            l.dir.addr(),
            l.dir_pages,
            l.slots_at,
            l.slots,
            gen_base,
        );
        let place = Placement::new(&mut arena, l.heap, end);
        let _ = slot.insert(Self {
            stores: Stores::new::<A>(stores),
            cstats: CacheStats::default(),
            table,
            index: ResidentIndex::new(l.index.addr(), l.buckets),
            sketch: Sketch::new(l.sketch.addr(), l.sketch_width),
            policy: Policy::new(place.capacity()),
            recent: Recent::EMPTY,
            place,
            arena,
        });
        Ok(())
    }

    /// Tells the policy of the hits logged so far.
    #[inline(never)]
    pub fn settle(&mut self) {
        self.recent
            .replay(&mut self.arena, &mut self.sketch, &mut self.policy);
    }

    /// What every call but a hit does first: the hits logged since the last
    /// such call are told to the policy, and the last hit is forgotten.
    #[inline(never)]
    pub fn begin_call(&mut self) {
        if !self.recent.is_empty() {
            self.settle();
        }
        self.recent.forget();
    }

    /// Hands back the arena and stores for closing.
    pub fn into_parts(self) -> (A, [Option<S>; 3]) {
        (self.arena, self.stores.open)
    }

    /// The MS VMM status values.
    pub fn status(&self) -> Status {
        let largest = (self.place.capacity() - HDR_PARAS).bytes();
        let mut s = Status {
            initialized: true,
            dos_paras: self.arena.paras(),
            dos_pages: self.arena.paras() / VM_PAGE_PARAS as u16,
            largest_block: largest.get().min(MAX_BLOCK_SIZE),
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
        let mut b = StatusBlock {
            c_page_dos: self.arena.paras() / VM_PAGE_PARAS as u16,
            seg_vm_dos: self.arena.dos_segment(),
            f_vm_initialized: 1,
            ..StatusBlock::IDLE
        };
        let mut used = Paras::ZERO;
        let mut off = [1u16; 3];
        for (i, sp) in self.stores.space.iter().enumerate() {
            used += sp.used;
            if sp.present {
                off[i] = u16::from(sp.full);
                b.f_vm_swapping |= u16::from(!sp.full);
            }
        }
        [b.f_vm_disable_xms, b.f_vm_disable_ems, b.f_vm_disable_disk] = off;
        if let Some(st) = &self.stores.open[StoreKind::Disk.index()] {
            b.fh_vm = st.dos_handle().map_or(-1, |f| f as i16);
        }
        b.c_vm_page = used.get().div_ceil(VM_PAGE_PARAS).min(0xFFFF) as u16;
        b
    }

    /// Panics if an internal invariant is broken.
    pub fn check(&self) {
        let a = &self.arena;
        let mut p = self.place.start;
        let mut prev_size = Paras::ZERO;
        let mut prev_free = false;
        let (mut free, mut nfree, mut nused, mut main) = (Paras::ZERO, 0, 0, Paras::ZERO);
        while p < self.place.end {
            let s = a.size(p);
            assert!(s >= Paras::new(1), "empty region at {p:?}");
            assert_eq!(a.prev_size(p), prev_size, "prev size at {p:?}");
            let used = a.is_used(p);
            if used {
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
    }
}
