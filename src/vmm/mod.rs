//! The portable VMM core: Microsoft C 7.0 `<vmemory.h>` semantics, cache
//! placement, the commit charge with lazy writing, and replacement, with no asm and no target
//! cfg. It moves bytes only through the traits in [`backend`]; the DOS layer
//! implements them over real memory, the host tests over `Vec<u8>`.
//!
//! # Rooms
//!
//! | module | what belongs there |
//! |---|---|
//! | [`units`] | `Bytes`, `Paras`, `RegionParas`, `ArenaPara`, `ArenaAddr`, `StoreAddr`: the only unit conversions |
//! | `handle` | the handle bit layout: `Handle`, `HandleIdx`, `Gen` |
//! | [`backend`] | the `Arena` and `Store` traits, `StoreKind`, the `SwapAreas` flags |
//! | `layout` | how an arena of a given size is divided |
//! | `lean` | switching between the default and the lean layout |
//! | `header` | the 32-byte region header and one accessor per field |
//! | `list` | the one intrusive list (window, main list, free list) |
//! | `table` | the paged handle table, its directory and free-slot list |
//! | `index` | the resident index (handle slot -> region) |
//! | `sketch` | the access-frequency sketch |
//! | `policy` | W-TinyLFU: window, main list, victims |
//! | `place` | regions of the data heap: first fit, split, coalesce, compaction |
//! | `evict` | making room: the loop over placement, policy and swap space |
//! | [`swap`] | size classes and the per-store extent allocator |
//! | `stores` | the open stores: choosing one, transfers, counters |
//! | `calls` | the ten calls in core types, step by step, and the hit path |
//! | `heap` | the state of one heap: building it, status, the invariant check |
//! | [`stats`] | counters and the status values (the one KB402074 block) |
//! | this module | `Vmm` (init/term and the calls over the state), the MSC return values and status block |
//!
//! # Where everything lives
//!
//! Near memory (the 64 KiB code/data/stack segment on DOS) holds only the
//! fixed-size [`Vmm`] value: layout offsets, counters, list heads, the swap
//! allocator's 80 free-list heads per store and the table-slot map: 1 636
//! bytes on the DOS target (the C library's bss), however many blocks there
//! are, built in place by `_vheapinit` (`heap::HeapSlot`) so that no copy
//! of it passes through the stack. The core's code is about 14.2 KB there
//! (code16, `opt-level = "s"`, LTO; `make size`) and uses no 64-bit
//! arithmetic. Everything that grows with the number of blocks lives in the
//! cache arena or in the swap stores:
//!
//! ```text
//! arena (dosmin..dosmax paragraphs, one DOS block)
//! +---------+-----------+--------------+-------------+-------------+------------------------+
//! | scratch | directory | resident hash| freq sketch | table slots | data heap: [hdr|block]…|
//! | 16 B    | u32/page  | u16/bucket   | 2 x u8 rows | K x 1 KiB   | 32-byte header + data  |
//! +---------+-----------+--------------+-------------+-------------+------------------------+
//! ```
//!
//! For a 128 KiB arena: directory 8 KiB, hash 1 KiB, sketch 4 KiB, 4 table
//! slots; the data heap is 110 KiB.
//!
//! * **Handle table.** One 8-byte entry per handle (swap location, 12-bit
//!   generation, live flag, size in paragraphs), in 1 KiB *table pages* of
//!   128 entries. Table pages live in the swap stores like blocks do; K of
//!   them (2..=8, by arena size) are cached in the arena's table slots (LRU).
//!   On a miss the table also borrows *extra slots* (up to 8 slots in all)
//!   from the data heap's free space, while half of it stays free: a
//!   region each, locked, on no list. Placement takes them all back
//!   (writing dirty pages to their swap copies) before it compacts or
//!   evicts a block, so they hold only room no block needs. Only pages
//!   with swap space go there, so giving one back never allocates. A small
//!   cache whose blocks are mostly away (lazy writing) keeps its table pages
//!   cached: C_BENCH's 16 KB churn paged 95 018 table pages in, now 3.
//!   The *directory* (pinned in the arena, one `u32` swap location per table
//!   page, 1/16 of the arena) finds them: 262 143 handles for a 128 KiB
//!   arena, up to 2^20 - 1. A table page gets its swap space when its first
//!   handle is allocated (or the handle is refused; the page stays cached
//!   and dirty until then, so the store copy is written before it is read);
//!   so writing a table page back never needs an allocation, and `_vfree`
//!   works even when the swap space is full. Without any swap store, table
//!   pages cannot leave the arena, which limits the handles to K x 128. Free handle slots form a LIFO list
//!   threaded through the entries. Allocating and freeing touch one entry:
//!   O(1), plus at most one table-page transfer each way.
//! * **Resident blocks** carry a 32-byte header in front of their data in the
//!   arena (handle, swap location, lock count, dirty, policy links and time),
//!   and are found by handle index through a chained hash in the arena. So a
//!   cache hit, `_vlock`, `_vunlock` and `_vlockcnt` of a resident block never
//!   touch the handle table, and neither does evicting a block that already
//!   has swap space: the table is written only by `_vmalloc`, `_vfree`,
//!   `_vrealloc` and the first write-out of a block (lazy writing).
//! * **Two layouts** (`layout`, `lean`). The parts above are sized for a
//!   cache of many blocks, about a seventh of the arena. A block that the
//!   data heap cannot hold still loads when a swap store is open: every
//!   other unlocked block leaves, the cached table pages and the directory
//!   go to swap space, and the arena takes the *lean* layout: scratch, a
//!   window paragraph, a 16-bucket index, a 64-counter sketch (12
//!   paragraphs), the rest the data heap. So a cache of `n` paragraphs
//!   loads a block of `n` x 16 - 224 bytes (65 530 from 4 110 paragraphs
//!   on). Meanwhile no table page is cached: an entry's paragraph is read
//!   from its page's swap copy (through the directory's) into the window
//!   and written back before another one comes in, so no table access
//!   needs room in the cache. The default layout comes back when a block
//!   that fits it is loaded and the others can leave. The directory's swap
//!   space is reserved with the first block that needs the lean layout.
//!   `_vrealloc` grows a block to the same limit (through its swap space
//!   when old and new do not fit together).
//! * **Placement.** The data heap is a chain of regions (header size and the
//!   previous region's size, so neighbours coalesce in O(1)) with a free
//!   list; first fit. Every block is contiguous and 16-byte aligned, so one
//!   far pointer `seg:0000` covers it (up to 65 536 bytes). When no free
//!   region is large enough but enough space is free between two locked
//!   blocks, that stretch is compacted (unlocked blocks may move: a `_vload`
//!   pointer is valid only until the next VMM call). Otherwise the policy
//!   evicts victims until it is. If the policy's victim cannot leave (dirty,
//!   no swap space left, or a store refused the write), a clean block or a
//!   dirty one that already owns swap space is evicted instead.
//! * **Replacement: W-TinyLFU** (Einziger, Friedman & Manes, "TinyLFU",
//!   ACM ToS 2017), with sizes in paragraphs. Resident blocks are in a small
//!   *window* (1% of the heap) or the *main* list (the rest); both are LRU
//!   lists threaded through the block headers. New blocks enter the window
//!   (the main list while it still has room). An access-frequency sketch in
//!   the arena (two rows of byte counters, count-min, conservative update,
//!   halved every 16 x width accesses) counts every `_vload`/`_vlock`: a
//!   hit only counts itself in its block's header (the C shim does that
//!   without the library), and the policy folds the counts into the sketch
//!   and the list order when a victim search passes the block (CLOCK's
//!   second chance), so a hit costs a few instructions. When
//!   room is needed, the oldest window block duels the least recent main
//!   block: if the sketch counts more recent accesses for it, the two swap
//!   places and the main block leaves; otherwise the window block leaves.
//!   Why: a scan's blocks are seen once, so they never win a duel and only
//!   pass through the window (scan resistant); under a loop larger than the
//!   cache all blocks have equal counts, so the main list keeps its blocks
//!   and they hit on every round (LRU, and also ARC and 2Q, evict every
//!   block of such a loop before its reuse); on skewed (zipf) traffic the
//!   duels keep the most frequently used blocks, close to the A0 frequency
//!   oracle; every step is O(1) and the state is a few KB of arena.
//!   `examples/tracesim.rs` measures it against LRU, Belady's OPT and A0.
//!   LIRS was implemented first (timestamps + ghost ring) and measured:
//!   as good on loops and scans, but 1.73x OPT instead of 1.50x on zipf.
//! * **Swap space** ([`swap`]): sub-allocated in paragraph size classes from
//!   one growing allocation per store; XMS first, then EMS, then disk. A
//!   store that refused to grow is skipped until space is freed in it, but
//!   every grow is retried once before an allocation fails.
//! * **The commit charge** (issue 23). `_vmalloc` reserves a block's swap
//!   space before it hands out the handle: a *charge* on the first store
//!   that holds (or grows to hold) room for the block's size class above
//!   its allocated top (`StoreSpace::charged`; `top + charged <= size`
//!   always), else a free extent of the class, marked never written
//!   ([`swap::SwapLoc`]); `NoSwap` if no store can back it. The block's
//!   first write-out takes its extent out of the charged room, which is
//!   there, so no eviction and no load ever needs new swap space: a
//!   `_vload`/`_vlock` fails only when locked blocks leave no room in the
//!   cache (or a store's driver fails). Writing stays lazy: a charge costs
//!   no I/O, a block never written still zero-fills, a clean one drops.
//!   Without a store the charge is in the cache: all blocks (header and
//!   data) must fit in the data heap together. `_vfree` gives the charge
//!   back; a shrinking `_vrealloc` shrinks it in place (a charge of the
//!   smaller class, or the extent's tail given back, its head still the
//!   block's copy); a growing one reserves the new class first.
//!
//! # Semantics choices (MSC 7.0 leaves these open)
//! * Sizes are rounded up to 16 bytes; `_vmsize` reports the rounded size,
//!   at most 65 530.
//! * `_vfree` of a locked block is refused: nothing changes and the handle
//!   stays valid. `_vrealloc` keeps the handle.
//! * A fresh block reads as zeros; `_vrealloc` zero-fills a grown tail.
//!   `_vrealloc` copies inside the cache when old and new fit together, and
//!   otherwise goes through swap (writing the old block out first if needed,
//!   to the space it reserved), so it only needs room for the new size.
//! * `dosmin` below [`MIN_ARENA_PARAS`] (4 KiB) is raised to it; a nonzero
//!   `dosmax` below `dosmin` or below that minimum fails.
//! * Handles: bits 0..19 slot index (never 0), bits 20..31 a generation that
//!   changes on every free and advances by 256 at every `_vheapinit`, so
//!   stale, forged and earlier-cycle handles are rejected (until a slot is
//!   reused 4096 times, or 256 times for a handle of the previous cycle).
//! * Any backend failure fails only the call that needed the transfer, with
//!   its documented value; every block keeps its contents. When the swap
//!   space is full, `_vmalloc` and growing `_vrealloc`s fail; every block
//!   allocated still loads.

pub mod backend;
mod calls;
mod evict;
mod handle;
mod header;
mod heap;
mod index;
mod layout;
mod lean;
mod list;
mod place;
mod policy;
mod sketch;
pub mod stats;
mod stores;
pub mod swap;
mod table;
pub mod units;

pub use backend::{Arena, ArenaIo, BackendError, Backends, Store, StoreKind, SwapAreas};
pub use header::{StateWord, STATE_WORD};
pub use stats::{CacheStats, Status, StatusBlock, StoreStats, STATUS_BYTES};
pub use units::{ArenaAddr, ArenaPara, Bytes, Paras, RegionParas, StoreAddr};

use core::mem::MaybeUninit;
use handle::{Gen, Handle};
use heap::{Heap, HeapSlot};

/// A virtual memory handle (`_vmhnd_t`, an `unsigned long`).
pub type VmHandle = u32;

/// The null handle (`_VM_NULL`).
pub const VM_NULL: VmHandle = 0;
/// `dosmax` meaning "all available DOS memory" (`_VM_ALLDOS`).
pub const VM_ALLDOS: u16 = 0;
/// `swaparea` bit: EMS (`_VM_EMS`).
pub const VM_EMS: u16 = SwapAreas::EMS.bits();
/// `swaparea` bit: XMS (`_VM_XMS`).
pub const VM_XMS: u16 = SwapAreas::XMS.bits();
/// `swaparea` bit: disk (`_VM_DISK`).
pub const VM_DISK: u16 = SwapAreas::DISK.bits();
/// All swap areas (`_VM_ALLSWAP`).
pub const VM_ALLSWAP: u16 = SwapAreas::ALL.bits();
/// `swaparea` bit: the cache in conventional memory only, as MSC 7.0 put
/// it (`_VM_NOUMB`); without it upper memory comes first.
pub const VM_NOUMB: u16 = SwapAreas::NO_UMB.bits();
/// `_vload`/`_vunlock` flag: the block was not changed (`_VM_CLEAN`).
pub const VM_CLEAN: i16 = 0;
/// `_vload`/`_vunlock` flag: the block was changed (`_VM_DIRTY`).
pub const VM_DIRTY: i16 = 1;
/// Largest block size `_vmalloc` accepts.
pub const MAX_BLOCK_SIZE: u32 = 65530;
/// Most nested locks of one block.
pub const MAX_LOCKS: u8 = 255;
/// Smallest cache the core works with (4 KiB: bookkeeping, two table slots
/// and a 1.5 KiB data heap). A smaller `dosmin` is raised to this; a nonzero
/// `dosmax` below it makes `_vheapinit` fail (the core never takes more DOS
/// memory than `dosmax` allows).
pub const MIN_ARENA_PARAS: u16 = 256;

/// Why a call failed. Each maps to one MSC failure value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmError {
    /// Called before `_vheapinit` or after `_vheapterm`.
    NotInitialized,
    /// `_vheapinit` while already initialized.
    AlreadyInitialized,
    /// The cache could not get `dosmin` paragraphs (or the minimum).
    NoDosMemory,
    /// Zero, freed, stale, forged or earlier-cycle handle.
    InvalidHandle,
    /// Size 0 or above 65 530.
    BadSize,
    /// The block is locked (free, realloc refused).
    Locked,
    /// The block already has 255 locks.
    LockOverflow,
    /// The cache cannot hold the block (everything else locked, or too big).
    NoRoom,
    /// No swap space could be found for a block or table page that must
    /// leave the cache.
    NoSwap,
    /// Every handle slot is in use (limit set by the cache size).
    NoHandles,
    /// A backend transfer failed.
    Backend(BackendError),
}

/// Where the resident index is in the arena, for finding a resident block
/// outside the core: the handle with slot index `idx` (bits 0..19) is
/// resident iff the chain that starts at the `u16` at `buckets + 2 x (idx &
/// mask)` holds a region whose header's handle is that handle exactly. The
/// chain's entries are region paragraphs (0 ends it) and each header's
/// link to the next is at [`STATE_WORD`]`.hash_next`. The place stays the
/// same from `_vheapinit` to `_vheapterm` (the C ABI tells its shim once,
/// when the heap opens); the chains change with every call that is not a
/// hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexPlace {
    /// Bucket 0 (paragraph aligned).
    pub buckets: ArenaAddr,
    /// Buckets - 1 (their number is a power of two).
    pub mask: u32,
}

/// A call that [`Vmm::hit`] can complete on a resident block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// `_vload`; `dirty` marks the block for write-back.
    Load {
        /// `_VM_DIRTY` (any nonzero `dirty` argument).
        dirty: bool,
    },
    /// `_vlock`.
    Lock,
    /// `_vunlock`; `dirty` marks the block for write-back.
    Unlock {
        /// `_VM_DIRTY` (any nonzero `dirty` argument).
        dirty: bool,
    },
}

/// The VMM: one per program. Holds the backends and, between `init` and
/// `term`, the state of one virtual heap.
pub struct Vmm<B: Backends> {
    backends: B,
    heap: HeapSlot<B::Arena, B::Store>,
    gen_base: Gen,
}

impl<B: Backends> Vmm<B> {
    /// A VMM that is not initialized yet.
    pub const fn new(backends: B) -> Self {
        Self {
            backends,
            heap: HeapSlot::EMPTY,
            gen_base: Gen::new_truncate(0),
        }
    }

    /// The backends.
    pub fn backends(&self) -> &B {
        &self.backends
    }

    /// The backends, mutable (e.g. to inject failures in tests).
    pub fn backends_mut(&mut self) -> &mut B {
        &mut self.backends
    }

    /// The cache arena while initialized (the DOS layer needs its base).
    pub fn arena(&self) -> Option<&B::Arena> {
        self.heap.as_ref().map(|h| &h.arena)
    }

    /// The cache arena while initialized, mutable (tests write through it
    /// the way a program writes through the `_vload` pointer).
    pub fn arena_mut(&mut self) -> Option<&mut B::Arena> {
        self.heap.as_mut().map(|h| &mut h.arena)
    }

    /// Whether `init` succeeded and `term` was not called since.
    pub fn is_initialized(&self) -> bool {
        self.heap.is_some()
    }

    /// The heap, for a call.
    fn heap(&mut self) -> Result<&mut Heap<B::Arena, B::Store>, VmError> {
        self.heap.as_mut().ok_or(VmError::NotInitialized)
    }

    /// The fast path of `_vload`, `_vlock` and `_vunlock`: completes `call`
    /// when `h` is a valid handle of a resident block (and, for `_vlock`,
    /// has fewer than 255 locks), with exactly the effect and result of
    /// [`load`](Self::load), [`lock`](Self::lock) or [`unlock`](Self::unlock):
    /// the block's data address. `None` when it cannot (nothing changed):
    /// then the ordinary call gives the answer. A hit changes none of the
    /// status values.
    pub fn hit(&mut self, h: VmHandle, call: Hit) -> Option<ArenaAddr> {
        self.heap.as_mut()?.hit(Handle::from_raw(h), call)
    }

    /// `_vheapinit`: opens the cache (`dosmin..=dosmax` paragraphs, `dosmax`
    /// 0 = all; in upper memory first unless `swaparea` has
    /// [`SwapAreas::NO_UMB`]) and the swap stores named in `swaparea` that
    /// are present.
    pub fn init(&mut self, dosmin: u16, dosmax: u16, swaparea: SwapAreas) -> Result<(), VmError> {
        if self.heap.is_some() {
            return Err(VmError::AlreadyInitialized);
        }
        let min = dosmin.max(MIN_ARENA_PARAS);
        let max = if dosmax == VM_ALLDOS {
            0
        } else {
            dosmax.max(min)
        };
        if dosmax != VM_ALLDOS && (dosmax < dosmin || dosmax < MIN_ARENA_PARAS) {
            return Err(VmError::NoDosMemory);
        }
        let arena = self
            .backends
            .open_arena(min, max, !swaparea.contains(SwapAreas::NO_UMB))
            .map_err(|_| VmError::NoDosMemory)?;
        if arena.paras() < min {
            self.backends.close_arena(arena);
            return Err(VmError::NoDosMemory);
        }
        self.gen_base = self.gen_base.next_cycle();
        let backends = &mut self.backends;
        // The stores open straight into the new heap (after the arena is
        // known to be large enough), so nothing of them is copied around.
        let open_store = |kind: StoreKind, slot: &mut MaybeUninit<Option<_>>| {
            if swaparea.contains(kind.swap_area()) {
                backends.open_store(kind, slot);
            } else {
                slot.write(None);
            }
        };
        match Heap::init_in(&mut self.heap, arena, self.gen_base, open_store) {
            Ok(()) => Ok(()),
            Err(arena) => {
                self.backends.close_arena(arena);
                Err(VmError::NoDosMemory)
            }
        }
    }

    /// `_vheapterm`: releases the cache and every store; all handles become
    /// invalid. Does nothing when not initialized.
    pub fn term(&mut self) {
        let backends = &mut self.backends;
        if let Some(arena) = self
            .heap
            .take_apart(|kind, s| backends.close_store(kind, s))
        {
            self.backends.close_arena(arena);
        }
    }

    /// `_vmalloc`: a new block of `size` bytes (1..=65530), reading as zeros.
    pub fn alloc(&mut self, size: u32) -> Result<VmHandle, VmError> {
        self.heap()?.alloc(size).map(Handle::raw)
    }

    /// `_vfree`: frees an unlocked block; a locked block is refused
    /// ([`VmError::Locked`]) and stays valid.
    pub fn free(&mut self, h: VmHandle) -> Result<(), VmError> {
        self.heap()?.free(Handle::from_raw(h))
    }

    /// `_vrealloc`: `VM_NULL` allocates, size 0 frees (returns `VM_NULL`),
    /// otherwise resizes keeping the contents up to the smaller size. On
    /// failure the old block is intact.
    pub fn realloc(&mut self, h: VmHandle, size: u32) -> Result<VmHandle, VmError> {
        self.heap()?
            .realloc(Handle::from_raw(h), size)
            .map(Handle::raw)
    }

    /// `_vmsize`: the usable size in bytes (rounded up to 16, at most 65530).
    pub fn size(&mut self, h: VmHandle) -> Result<u32, VmError> {
        self.heap()?.size(Handle::from_raw(h))
    }

    /// `_vload`: makes the block resident and returns where it is; valid
    /// until the next call. `dirty` marks it for write-back.
    pub fn load(&mut self, h: VmHandle, dirty: bool) -> Result<ArenaAddr, VmError> {
        self.heap()?.load(Handle::from_raw(h), dirty)
    }

    /// `_vlock`: loads and locks (at most 255 nested locks; the 256th fails
    /// and changes nothing). A locked block does not move.
    pub fn lock(&mut self, h: VmHandle) -> Result<ArenaAddr, VmError> {
        self.heap()?.lock(Handle::from_raw(h))
    }

    /// `_vunlock`: one lock less; `dirty` marks the block dirty. Unlocking an
    /// unlocked block changes nothing.
    pub fn unlock(&mut self, h: VmHandle, dirty: bool) -> Result<(), VmError> {
        self.heap()?.unlock(Handle::from_raw(h), dirty)
    }

    /// `_vlockcnt`: the number of locks.
    pub fn lock_count(&mut self, h: VmHandle) -> Result<u8, VmError> {
        self.heap()?.lock_count(Handle::from_raw(h))
    }

    /// The MS VMM status values.
    pub fn status(&self) -> Status {
        match self.heap.as_ref() {
            Some(h) => h.status(),
            None => Status::default(),
        }
    }

    /// `n` more `_vload`s or `_vlock`s of resident blocks, answered by the
    /// caller (the C ABI's shim) as [`hit`](Self::hit) would have: it found
    /// the block through [`index_place`](Self::index_place), changed the
    /// lock count and dirty flag and counted the hit in the block's header
    /// itself ([`STATE_WORD`]); here they count as hits and sketch samples.
    pub fn hits_elsewhere(&mut self, n: u16) {
        if let Some(h) = self.heap.as_mut() {
            h.hits_elsewhere(n);
        }
    }

    /// Where the resident index is while initialized, for a hit answered
    /// outside the core (see [`IndexPlace`]).
    pub fn index_place(&self) -> Option<IndexPlace> {
        let (buckets, mask) = self.heap.as_ref()?.index.place();
        Some(IndexPlace { buckets, mask })
    }

    /// The KB402074 status values as C programs see them: the one mapping
    /// of the core's state to `cPageDos` ... `fVmInitialized`. A store is
    /// off (`fVmDisable*` 1) when it is not open, and also while it refuses
    /// to grow (disk full, XMS or EMS exhausted): then only space it already
    /// holds is reused and blocks go to the next store; it is back on when
    /// space is freed in it.
    pub fn status_block(&self) -> StatusBlock {
        self.heap
            .as_ref()
            .map_or(StatusBlock::IDLE, |h| h.status_block())
    }

    /// [`status_block`](Self::status_block) written into `b` in place (for
    /// the C ABI, whose copy of the block is static).
    pub fn write_status_block(&self, b: &mut StatusBlock) {
        match self.heap.as_ref() {
            Some(h) => h.write_status_block(b),
            None => b.set_idle(),
        }
    }

    /// A value that stays the same as long as [`status_block`](Self::status_block)
    /// does, while the heap stays initialized (or not): it changes with every
    /// allocation and release of swap space, the only steps that change the
    /// status values of an open heap. `None` when not initialized. So a
    /// caller that keeps a copy of the block (the C ABI) need not compute it
    /// again after a call that left the stamp, and the heap, as they were.
    pub fn status_stamp(&self) -> Option<u16> {
        self.heap.as_ref().map(|h| h.stores.changes)
    }

    /// Transfer counters of a store (zero when not initialized).
    pub fn store_stats(&self, kind: StoreKind) -> StoreStats {
        self.heap
            .as_ref()
            .map(|h| h.stores.stats[kind.index()])
            .unwrap_or_default()
    }

    /// Cache counters (zero when not initialized).
    pub fn cache_stats(&self) -> CacheStats {
        self.heap.as_ref().map(|h| h.cstats).unwrap_or_default()
    }

    /// Checks the internal invariants of the cache (lists, hash, regions)
    /// and panics with a message if one is broken. For tests; O(cache size).
    pub fn check_invariants(&self) {
        if let Some(h) = self.heap.as_ref() {
            h.check();
        }
    }

    /// Checks the commit charge against every live handle's table entry
    /// and panics if it does not add up (see the issue 23 promise in the
    /// module doc). For tests; O(handles), pages the table in.
    pub fn audit_charges(&mut self) {
        if let Some(h) = self.heap.as_mut() {
            h.audit_charges();
        }
    }

    // ---- MSC return-value mapping: the C ABI calls these. ----

    /// `int _vheapinit(unsigned dosmin, unsigned dosmax, unsigned swaparea)`:
    /// nonzero on success, 0 on failure (also when already initialized).
    pub fn vheapinit(&mut self, dosmin: u16, dosmax: u16, swaparea: u16) -> i16 {
        i16::from(
            self.init(dosmin, dosmax, SwapAreas::from_bits_truncate(swaparea))
                .is_ok(),
        )
    }

    /// `void _vheapterm(void)`.
    pub fn vheapterm(&mut self) {
        self.term()
    }

    /// `_vmhnd_t _vmalloc(unsigned long size)`: `_VM_NULL` on failure.
    pub fn vmalloc(&mut self, size: u32) -> VmHandle {
        self.alloc(size).unwrap_or(VM_NULL)
    }

    /// `void _vfree(_vmhnd_t)`: invalid handles and locked blocks are ignored.
    pub fn vfree(&mut self, h: VmHandle) {
        let _ = self.free(h);
    }

    /// [`vmalloc`](Self::vmalloc), and the [`status_stamp`](Self::status_stamp)
    /// after it: for a caller that keeps a copy of the status block (the C
    /// ABI), one look at whether a heap is open for both.
    #[inline(always)]
    pub fn vmalloc_stamped(&mut self, size: u32) -> (VmHandle, Option<u16>) {
        match self.heap.as_mut() {
            Some(h) => {
                let r = h.alloc(size).map_or(VM_NULL, Handle::raw);
                (r, Some(h.stores.changes))
            }
            None => (VM_NULL, None),
        }
    }

    /// [`vfree`](Self::vfree), and the [`status_stamp`](Self::status_stamp)
    /// after it (see [`vmalloc_stamped`](Self::vmalloc_stamped)).
    #[inline(always)]
    pub fn vfree_stamped(&mut self, h: VmHandle) -> Option<u16> {
        let heap = self.heap.as_mut()?;
        let _ = heap.free(Handle::from_raw(h));
        Some(heap.stores.changes)
    }

    /// `_vmhnd_t _vrealloc(_vmhnd_t, unsigned long size)`: `_VM_NULL` on
    /// failure (old block intact) and after freeing with size 0.
    pub fn vrealloc(&mut self, h: VmHandle, size: u32) -> VmHandle {
        self.realloc(h, size).unwrap_or(VM_NULL)
    }

    /// `unsigned long _vmsize(_vmhnd_t)`: 0 for an invalid handle.
    pub fn vmsize(&mut self, h: VmHandle) -> u32 {
        self.heap
            .as_mut()
            .map_or(0, |heap| heap.size_or_zero(Handle::from_raw(h)))
    }

    /// `void __far *_vload(_vmhnd_t, int dirty)`: `None` is the NULL pointer.
    pub fn vload(&mut self, h: VmHandle, dirty: i16) -> Option<ArenaAddr> {
        self.load(h, dirty != VM_CLEAN).ok()
    }

    /// `_vload`, `_vlock` or `_vunlock` (`call`) in one call, for a caller
    /// that dispatches them together (the C ABI): the address of the
    /// block's data, `None` on failure (and for a `_vunlock`, whose result
    /// is ignored).
    pub fn vaccess(&mut self, h: VmHandle, call: Hit) -> Option<ArenaAddr> {
        let mut why = VmError::NoRoom;
        let a = self
            .heap
            .as_mut()?
            .access_raw(Handle::from_raw(h), call, &mut why)?;
        (!matches!(call, Hit::Unlock { .. })).then_some(a)
    }

    /// `void __far *_vlock(_vmhnd_t)`: `None` is the NULL pointer.
    pub fn vlock(&mut self, h: VmHandle) -> Option<ArenaAddr> {
        self.lock(h).ok()
    }

    /// `void _vunlock(_vmhnd_t, int dirty)`.
    pub fn vunlock(&mut self, h: VmHandle, dirty: i16) {
        let _ = self.unlock(h, dirty != VM_CLEAN);
    }

    /// `unsigned _vlockcnt(_vmhnd_t)`: 0 for an invalid handle.
    pub fn vlockcnt(&mut self, h: VmHandle) -> u16 {
        self.heap.as_mut().map_or(0, |heap| {
            u16::from(heap.lock_count_or_zero(Handle::from_raw(h)))
        })
    }
}
