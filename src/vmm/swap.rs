//! Swap-space allocator: sub-allocates block-sized extents from a few large,
//! growing backend allocations (one per store), so that the number of XMS/EMS
//! handles and file handles stays constant however many blocks there are.
//!
//! Extents are counted in paragraphs and rounded up to a *size class*:
//! exact for 1..=16 paragraphs (up to 256 bytes), then eight classes per
//! power of two up to 4096 paragraphs (64 KiB), so rounding wastes at most
//! 1/8. (Exact up to 64 paragraphs was 32 more classes: 128 bytes of list
//! heads per store, 384 of the C library's resident `.bss`, to save at most
//! 3 paragraphs of swap space per extent of 33..64.)
//! Every store keeps one LIFO free list per class. The lists are threaded
//! through the free extents themselves (the first 4 bytes of a free extent in
//! the store hold the next free extent), so the allocator's own state is a
//! fixed 80 list heads per store however fragmented the swap space is.
//! Allocation pops a list head (one 16-byte store read) or bumps the store's
//! top (growing the store in [`GROW_STEP_PARAS`] steps); freeing pushes (one
//! 16-byte store write). Both are O(1). Free extents are not coalesced; when
//! a store cannot grow any more, a request is split off a larger free extent.
//!
//! Belongs here: size classes, [`SwapLoc`], the per-store allocator state and
//! its free lists. Does not belong here: choosing a store or moving block
//! contents (`stores`), and anything about the cache.

use core::ptr::addr_of_mut;

use super::backend::{Arena, ArenaIo, Store, StoreKind};
use super::stats::StoreStats;
use super::units::{ArenaAddr, Bytes, Paras, StoreAddr};

/// Classes 0..EXACT are 1..=EXACT paragraphs; above, eight per power of
/// two (exact again up to 16: the steps there are one paragraph).
const EXACT: u32 = 8;
/// Number of size classes.
pub const CLASSES: usize = 80;
/// How much a store grows at least each time it must grow (256 KiB), so that
/// growing is rare and backend allocations stay few.
pub const GROW_STEP_PARAS: Paras = Paras::new(256 * 64);
/// Largest store size the location encoding can address (29 bits of
/// paragraphs, less the top 8,192 that would read as a charge: almost
/// 8 GiB, twice what XMS 3.0 can hand out).
const MAX_STORE_PARAS: u32 = PARA_BITS - CHARGE_NEED;
/// The paragraph bits of a location (29).
const PARA_BITS: u32 = (1 << 29) - 1;
/// The low bits of a charge: the paragraphs it holds (an extent's size,
/// at most 4,096: 13 bits); the paragraph bits above them are all ones.
const CHARGE_NEED: u32 = (1 << 13) - 1;
/// The bit of a location that was reserved and never written: reading it
/// gives zeros (a fresh block), not the store's bytes.
const FRESH: u32 = 1 << 29;
/// End of a free list (a free-list link is the paragraph of the next extent).
const NIL: u32 = u32::MAX;
/// The size of a free-list link transfer: one paragraph (4 bytes used).
const LINK_BYTES: Bytes = Bytes::new(16);
/// Largest extent: a 65 536-byte block.
const MAX_EXTENT: Paras = Paras::new(4096);

/// Where a swap extent lives: store kind in bits 30..31, paragraph offset in
/// bits 0..28, and bit 29 set while the extent was never written (a block
/// reserved its space but never left the cache dirty: it reads as zeros).
/// A *charge* is a fresh location whose paragraph bits are all ones above
/// the low 13, which hold the size of the extent it stands for: the block
/// has no extent yet, but its store holds that room for one untouched
/// above its top (`StoreSpace::charged`), so the extent can always be had
/// when the block must leave. (The size in the location spares `_vfree`
/// computing it again from the block's size: a churn's every call.) [`SwapLoc::NONE`] means "no swap space" (a heap with
/// no store). Stored as this `u32` in block headers, handle-table entries
/// and the table directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct SwapLoc(u32);

impl SwapLoc {
    /// No swap space.
    pub const NONE: Self = Self(u32::MAX);

    /// A location in `kind` at paragraph `para` (below 2^30).
    pub fn new(kind: StoreKind, para: Paras) -> Self {
        debug_assert!(para.get() < MAX_STORE_PARAS);
        Self(((kind as u32) << 30) | para.get())
    }
    /// A charge of `need` paragraphs (an extent's size, 1..=4096) on store
    /// `kind` (see the type's doc).
    pub const fn charge(kind: StoreKind, need: Paras) -> Self {
        Self::charge_on(kind as usize, need)
    }
    /// A charge of `need` paragraphs on the store of index `i` (below 3,
    /// [`StoreKind::index`]).
    #[inline(always)]
    pub const fn charge_on(i: usize, need: Paras) -> Self {
        Self(((i as u32) << 30) | FRESH | (PARA_BITS & !CHARGE_NEED) | need.get())
    }
    /// Whether this is a charge (no extent yet).
    pub fn is_charge(self) -> bool {
        self.charge_store().is_some()
    }
    /// The store index of a charge (below 3), `None` if this is none. An
    /// or, a rotate, an add and one compare (`_vfree`'s discharge is
    /// inline, every call): a charge with its size bits set, its store
    /// bits rotated to the bottom under 30 ones, is `0xFFFF_FFFC + i`, plus
    /// 4 is `i`; anything else (the store bits 3 of `NONE` among them)
    /// lands at 3 or above.
    #[inline(always)]
    pub fn charge_store(self) -> Option<usize> {
        let i = (self.0 | CHARGE_NEED).rotate_left(2).wrapping_add(4);
        (i < 3).then_some(i as usize)
    }
    /// The paragraphs a charge holds on its store (for a charge only).
    #[inline(always)]
    pub fn charge_need(self) -> Paras {
        debug_assert!(self.is_charge());
        Paras::new(self.0 & CHARGE_NEED)
    }
    /// Whether the extent holds the block's bytes (written at least once).
    pub fn is_written(self) -> bool {
        self.0 & FRESH == 0
    }
    /// The same extent, marked never written.
    pub const fn fresh(self) -> Self {
        Self(self.0 | FRESH)
    }
    /// The same extent, marked written.
    pub const fn written(self) -> Self {
        Self(self.0 & !FRESH)
    }
    /// A location as stored in the arena (any value the core wrote there).
    pub const fn from_raw(raw: u32) -> Self {
        Self(raw)
    }
    /// The value to store in the arena.
    pub const fn raw(self) -> u32 {
        self.0
    }
    /// The location `paras` further in the same store.
    pub fn plus(self, paras: Paras) -> Self {
        Self(self.0 + paras.get())
    }
    /// Whether this is a real location.
    pub fn is_some(self) -> bool {
        self != Self::NONE
    }
    /// The store index 0..3 (see [`StoreKind::index`]).
    pub fn store(self) -> usize {
        (self.0 >> 30) as usize
    }
    /// The byte position in the store.
    pub fn addr(self) -> StoreAddr {
        StoreAddr::of_para(self.para())
    }
    /// The paragraph in the store.
    fn para(self) -> Paras {
        Paras::new(self.0 & PARA_BITS)
    }
}

/// The size class of an extent of `paras` paragraphs (1..=4096).
// Out of line, as `class_paras`: the allocator's every use was a copy of
// it (the call is nothing next to the store transfer that follows).
#[inline(never)]
pub fn class_of(paras: Paras) -> usize {
    let paras = paras.get();
    debug_assert!((1..=4096).contains(&paras));
    if paras <= EXACT {
        return (paras - 1) as usize;
    }
    let n = paras - 1;
    let msb = 31 - n.leading_zeros();
    let sub = (n >> (msb - 3)) & 7;
    (EXACT + (msb - 3) * 8 + sub) as usize
}

/// The size of every extent of class `class`.
#[inline(never)]
pub fn class_paras(class: usize) -> Paras {
    if class < EXACT as usize {
        return Paras::new(class as u32 + 1);
    }
    let c = class as u32 - EXACT;
    let msb = c / 8 + 3;
    let sub = c % 8;
    Paras::new((9 + sub) << (msb - 3))
}

/// The size of the extents of the class of `paras` (1..=4096): `paras`
/// rounded up to its class, as `class_paras(class_of(paras))`, computed
/// inline (a bit scan and two shifts) for the charge of every `_vmalloc`
/// and `_vfree`, where the two calls cost a churn 10% of its time. The
/// shift is the top bit of `n / 8 | 1` (0 below 16 paragraphs, whose
/// classes are exact): one bit scan and no clamp (the clamp of a
/// `leading_zeros` form took three instructions more).
#[inline(always)]
pub fn extent_paras(paras: Paras) -> Paras {
    let n = paras.get() - 1;
    let shift = ((n >> 3) | 1).ilog2();
    Paras::new(((n >> shift) + 1) << shift)
}

/// Allocator state of one store (near data: about 460 bytes).
pub struct StoreSpace {
    /// Whether the store is open.
    pub present: bool,
    /// Takes no new blocks: always while the store is closed (so that
    /// "takes blocks" is this one flag, one compare in every `_vmalloc`'s
    /// charge), and an open store after it refused to grow, until space
    /// is freed in it.
    pub full: bool,
    size: Paras,
    /// Extents are bumped from here (everything above is untouched).
    top: Paras,
    /// Per class: the paragraph of the first free extent, or `NIL`.
    heads: [u32; CLASSES],
    /// Paragraphs handed out and not freed.
    pub used: Paras,
    /// Paragraphs charged: room above `top` kept for blocks that hold a
    /// charge on this store ([`SwapLoc::charge`]). Always `top + charged
    /// <= size`: the store was grown for them when they were charged, so
    /// taking their extents later never needs the store to grow.
    pub charged: Paras,
}

impl StoreSpace {
    /// A closed store.
    pub const CLOSED: Self = Self {
        present: false,
        full: true,
        size: Paras::ZERO,
        top: Paras::ZERO,
        heads: [NIL; CLASSES],
        used: Paras::ZERO,
        charged: Paras::ZERO,
    };

    /// State of a freshly opened, empty store of `size`.
    pub fn open(size: Bytes) -> Self {
        Self {
            present: true,
            full: false,
            size: size.paras_floor(),
            ..Self::CLOSED
        }
    }

    /// Writes at `p` the state of a freshly opened, empty store of `size`,
    /// or of a closed one for `None`, in place (see `Stores::init_at`).
    ///
    /// # Safety
    /// `p` must be valid for writes and aligned; whatever it holds is
    /// overwritten without being dropped.
    pub unsafe fn init_at(p: *mut Self, size: Option<Bytes>) {
        // SAFETY: `p` and so its fields and the elements of `heads` are
        // valid for writes (the caller's promise).
        unsafe {
            addr_of_mut!((*p).present).write(size.is_some());
            addr_of_mut!((*p).full).write(size.is_none());
            addr_of_mut!((*p).size).write(size.unwrap_or(Bytes::ZERO).paras_floor());
            addr_of_mut!((*p).top).write(Paras::ZERO);
            addr_of_mut!((*p).used).write(Paras::ZERO);
            addr_of_mut!((*p).charged).write(Paras::ZERO);
            // Volatile writes, so that this stays a loop: recognised as a
            // fill, it became a call of `memset`, which the DOS library
            // image would then carry (177 bytes) for this one use.
            let heads = addr_of_mut!((*p).heads).cast::<u32>();
            for c in 0..CLASSES {
                heads.add(c).write_volatile(NIL);
            }
        }
    }

    /// Current backend size.
    pub fn size(&self) -> Paras {
        self.size
    }

    /// Whether the charge invariant holds: the charged room is there,
    /// untouched, above the top (for the invariant check).
    pub fn charge_backed(&self) -> bool {
        self.top + self.charged <= self.size
    }
}

/// The arena paragraph free-list links pass through (the allocator may
/// overwrite it). A constant, not a field of [`StoreIo`]: the link
/// transfers then address it directly.
pub const SCRATCH: ArenaAddr = ArenaAddr::START;

/// What the allocator needs to reach one store: the store, its counters,
/// and the arena (whose paragraph [`SCRATCH`] free-list links pass through).
pub struct StoreIo<'a, A, S> {
    /// The store.
    pub store: &'a mut S,
    /// Its counters.
    pub stats: &'a mut StoreStats,
    /// The cache arena.
    pub arena: &'a mut A,
}

/// Allocates an extent of class `class` in store `kind` (open: `sp` is
/// its state), or returns `None` (store full, its backend failed, or
/// `class` is no class; nothing changed then except that a failed grow
/// marks the store full).
pub fn alloc_in<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    kind: StoreKind,
    class: usize,
    allow_split: bool,
) -> Option<SwapLoc> {
    // `class_paras` needs a class. (`alloc_sized` checks again: that check
    // is what keeps the library's path, which comes there directly, free
    // of an out-of-range index of `heads`.)
    if class >= CLASSES {
        return None;
    }
    alloc_sized(sp, io, kind, class, class_paras(class), allow_split)
}

/// [`alloc_in`] for a `class` below [`CLASSES`] whose extents are `need`
/// paragraphs (so that a caller trying several stores finds `need` once).
pub(super) fn alloc_sized<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    kind: StoreKind,
    class: usize,
    need: Paras,
    allow_split: bool,
) -> Option<SwapLoc> {
    if class >= CLASSES {
        return None;
    }
    let at = alloc_para(sp, io, class, need, allow_split)?;
    sp.used += need;
    Some(SwapLoc::new(kind, at))
}

/// The paragraph of a new extent of `need` paragraphs (class `class`,
/// below [`CLASSES`]) in the store of `sp`: see [`alloc_in`].
fn alloc_para<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    class: usize,
    need: Paras,
    allow_split: bool,
) -> Option<Paras> {
    // 1. Exact free list.
    if let Some(at) = pop_class(sp, io, class) {
        return Some(at);
    }
    // 2. Bump the top (below the charged room), growing the store if
    // needed.
    let want = sp.top + need;
    if room_for(sp, io, want + sp.charged) {
        let at = sp.top;
        sp.top = want;
        return Some(at);
    }
    // 3. Split a larger free extent.
    if allow_split {
        for big in class + 1..CLASSES {
            if sp.heads[big] == NIL {
                continue;
            }
            let Some(at) = pop(io, &mut sp.heads[big]) else {
                continue;
            };
            give_back_rest(sp, io, at + need, class_paras(big) - need);
            return Some(at);
        }
    }
    None
}

/// Grows the store of `sp` so that it holds `want` paragraphs, unless it
/// does already or refused before (`full`): a step first, then exactly
/// what is needed (both only below the largest size a location can
/// address). A refusal marks the store full. Whether it holds `want`.
fn room_for<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    want: Paras,
) -> bool {
    if want > sp.size && !sp.full {
        let max = Paras::new(MAX_STORE_PARAS);
        let mut target = (sp.size + GROW_STEP_PARAS).min(max).max(want);
        let mut grown = false;
        for _ in 0..2 {
            if target <= max {
                io.stats.grows += 1;
                match io.store.grow(target.bytes()) {
                    Ok(new_size) => {
                        sp.size = new_size.paras_floor().min(max);
                        grown = sp.size >= want;
                        if grown {
                            break;
                        }
                    }
                    Err(_) => io.stats.failures += 1,
                }
            }
            target = want;
        }
        if !grown {
            sp.full = true;
        }
    }
    want <= sp.size
}

/// Gives `rest` paragraphs from `free` on back to the free lists, in the
/// largest classes that fit (the tail of a split or shrunk extent).
fn give_back_rest<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    mut free: Paras,
    mut rest: Paras,
) {
    while rest > Paras::ZERO {
        let mut c = class_of(rest.min(MAX_EXTENT));
        if class_paras(c) > rest {
            c -= 1;
        }
        let cp = class_paras(c);
        // `c` is a class (`class_of` of 1..=4096 paragraphs).
        if let Some(head) = sp.heads.get_mut(c) {
            link(io, head, free, Some(cp));
        }
        free += cp;
        rest -= cp;
    }
}

/// Charges `need` paragraphs on the store of `sp` (growing it so that the
/// room is there above the top); whether it could. Nothing changes on
/// failure except that a refused grow marks the store full.
pub fn charge_in<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    need: Paras,
) -> bool {
    if !room_for(sp, io, sp.top + sp.charged + need) {
        return false;
    }
    sp.charged += need;
    true
}

/// [`charge_in`] when the store of `sp` has the room already (no grow):
/// whether it had (nothing changed if not).
#[inline(always)]
pub fn charge_quick(sp: &mut StoreSpace, need: Paras) -> bool {
    let charged = sp.charged + need;
    if sp.top + charged > sp.size {
        return false;
    }
    sp.charged = charged;
    true
}

/// Gives back a charge of `need` paragraphs (its block was freed or moved
/// to an extent): the room is free for anything again.
pub fn discharge(sp: &mut StoreSpace, need: Paras) {
    sp.charged -= need;
    sp.full = false;
}

/// The extent of a block charged on store `kind` (`need` paragraphs, class
/// `class`): a free extent of its class if there is one, else bumped from
/// the charged room above the top, which is there (so this never fails).
/// The charge is used up. Popping first keeps the top down: bumped every
/// time, the top rose with every new block that ever left the cache while
/// the extents freed behind it piled up on the free lists, until a 16 MB
/// store was all top and free pieces and new charges were refused (found
/// by the DOS soak, issue 25; `tests/vmm_charge.rs`).
pub fn take_charged<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    kind: StoreKind,
    class: usize,
    need: Paras,
) -> SwapLoc {
    debug_assert!(sp.charged >= need && sp.charge_backed());
    sp.charged -= need;
    sp.used += need;
    if let Some(at) = pop_class(sp, io, class) {
        return SwapLoc::new(kind, at);
    }
    let at = sp.top;
    sp.top += need;
    SwapLoc::new(kind, at)
}

/// Shrinks the extent at `loc` from class `old` to class `new` (smaller)
/// in place: its first paragraphs stay the block's (so a written copy
/// keeps the bytes the block keeps), the rest goes back to the free lists.
pub fn shrink_in<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    loc: SwapLoc,
    old: usize,
    new: usize,
) {
    let (from, to) = (class_paras(old), class_paras(new));
    sp.used -= from - to;
    sp.full = false;
    // The extent just below the top gives its tail back by lowering the
    // top: no pieces of other classes on the free lists (which are never
    // coalesced), no store transfer.
    if loc.para() + from == sp.top {
        sp.top = loc.para() + to;
        return;
    }
    give_back_rest(sp, io, loc.para() + to, from - to);
}

/// The first free extent of class `class`, popped; `None` if its list is
/// empty (looked at first: while it is, as in a growing heap, no call of
/// `pop`) or the link could not be read.
#[inline(always)]
fn pop_class<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    class: usize,
) -> Option<Paras> {
    let head = sp.heads.get_mut(class)?;
    if *head == NIL {
        return None;
    }
    pop(io, head)
}

/// Pops the first extent of the free list at `head` (not empty).
fn pop<A: Arena, S: Store<A>>(io: &mut StoreIo<A, S>, head: &mut u32) -> Option<Paras> {
    let at = Paras::new(*head);
    link(io, head, at, None).then_some(at)
}

/// The one store transfer of a push (`Some(extent size)`: the list head
/// written into the free extent at `at`, which becomes the head) or a pop
/// (`None`: the link read out of `at`, the head, becomes the head). One
/// function for both: they were two near-copies (about 200 bytes of
/// conventional memory).
fn link<A: Arena, S: Store<A>>(
    io: &mut StoreIo<A, S>,
    head: &mut u32,
    at: Paras,
    push: Option<Paras>,
) -> bool {
    let arena = if push.is_some() {
        io.arena.write_u32(SCRATCH, *head);
        ArenaIo::OutOf(&*io.arena)
    } else {
        ArenaIo::Into(&mut *io.arena)
    };
    let done = io
        .store
        .transfer(StoreAddr::of_para(at), arena, SCRATCH, LINK_BYTES);
    if done.is_err() {
        io.stats.failures += 1;
        if let Some(extent) = push {
            // The extent is lost until `_vheapterm`; contents of live
            // blocks are not affected.
            io.stats.leaked_paras += extent.get();
        }
        return false;
    }
    io.stats.meta_ops += 1;
    *head = match push {
        Some(_) => at.get(),
        None => io.arena.read_u32(SCRATCH),
    };
    true
}

/// Returns an extent of class `class` to its store's free list (nothing
/// for a `class` that is no class).
pub fn free_in<A: Arena, S: Store<A>>(
    sp: &mut StoreSpace,
    io: &mut StoreIo<A, S>,
    loc: SwapLoc,
    class: usize,
) {
    if let Some(head) = sp.heads.get_mut(class) {
        let extent = class_paras(class);
        sp.used -= extent;
        sp.full = false;
        // The extent just below the top (as one that a failed write-out
        // just bumped) goes back by lowering the top: no store transfer,
        // which, failing, would lose the extent until `_vheapterm`. Found by
        // the DOS fault walk (T_FAULT, issue 25): with every EMS map
        // failing, each retried write-out bumped and leaked a new extent
        // until the EMM was full, and the heap could not swap again after
        // the faults stopped.
        if loc.para() + extent == sp.top {
            sp.top = loc.para();
            return;
        }
        link(io, head, loc.para(), Some(extent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_by_at_most_an_eighth() {
        let mut last = 0;
        for p in 1..=4096u32 {
            let c = class_of(Paras::new(p));
            let cp = class_paras(c).get();
            assert!(cp >= p, "{p} -> {cp}");
            assert!(cp - p <= p / 8, "{p} -> {cp}");
            assert!(c >= last && c < CLASSES);
            assert_eq!(class_of(Paras::new(cp)), c);
            last = c;
        }
        assert_eq!(class_of(MAX_EXTENT), CLASSES - 1);
    }

    #[test]
    fn extent_paras_is_the_class_size() {
        for p in 1..=4096u32 {
            let p = Paras::new(p);
            assert_eq!(extent_paras(p), class_paras(class_of(p)), "{p:?}");
        }
    }
}
