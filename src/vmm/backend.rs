//! The traits through which the core moves bytes: the DOS-memory
//! cache arena and the swap stores (XMS, EMS, disk).
//!
//! The core never touches memory itself. The DOS layer implements these traits
//! over real far memory and driver calls; the host tests implement them over
//! `Vec<u8>` with injectable failures (see `tests/support/fakes.rs`).
//!
//! Belongs here: the traits, the store kinds and the `swaparea` flags that
//! name them. Does not belong here: anything that decides what to move.

use super::units::{ArenaAddr, ArenaPara, Bytes, StoreAddr};
use core::mem::MaybeUninit;
use core::ops::BitOr;

/// Why a backend operation failed. The core never interprets the value beyond
/// counting it; every failure is handled the same way (the operation that
/// needed it fails, every block stays intact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackendError(pub u16);

impl BackendError {
    /// The backend has no memory, handles or disk space left.
    pub const FULL: Self = Self(1);
    /// The device refused the transfer (driver or DOS error).
    pub const IO: Self = Self(2);
    /// The store is not present (e.g. no XMS driver).
    pub const ABSENT: Self = Self(3);
}

/// One of the three swap stores, in order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum StoreKind {
    /// Extended memory through an XMS driver (`_VM_XMS`).
    Xms = 0,
    /// Expanded memory through an EMS driver (`_VM_EMS`).
    Ems = 1,
    /// A swap file (`_VM_DISK`).
    Disk = 2,
}

impl StoreKind {
    /// All stores in order of preference: XMS, then EMS, then disk.
    pub const ALL: [StoreKind; 3] = [StoreKind::Xms, StoreKind::Ems, StoreKind::Disk];

    /// The `_vheapinit` `swaparea` flag that enables this store.
    pub const fn swap_area(self) -> SwapAreas {
        match self {
            StoreKind::Ems => SwapAreas::EMS,
            StoreKind::Xms => SwapAreas::XMS,
            StoreKind::Disk => SwapAreas::DISK,
        }
    }

    /// Index 0..3 (XMS, EMS, disk), used for per-store arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A set of swap areas: the `swaparea` argument of `_vheapinit` and the
/// store sets of [`Status`](super::Status). The bit values are
/// `<vmemory.h>`'s (`_VM_EMS` 1, `_VM_XMS` 2, `_VM_DISK` 4); other bits are
/// dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(transparent)]
pub struct SwapAreas(u16);

impl SwapAreas {
    /// No swap area.
    pub const NONE: Self = Self(0);
    /// EMS (`_VM_EMS`).
    pub const EMS: Self = Self(1);
    /// XMS (`_VM_XMS`).
    pub const XMS: Self = Self(2);
    /// A swap file (`_VM_DISK`).
    pub const DISK: Self = Self(4);
    /// All three (`_VM_ALLSWAP`).
    pub const ALL: Self = Self(7);
    /// Not a swap area: `_VM_NOUMB`, the placement switch that travels in
    /// the same C argument. With it the cache is taken from conventional
    /// memory only, as MSC 7.0 did; without it upper memory comes first
    /// ([`Backends::open_arena`]).
    pub const NO_UMB: Self = Self(0x100);

    /// The areas named by a C `swaparea` value, and [`SwapAreas::NO_UMB`];
    /// unknown bits are ignored.
    pub const fn from_bits_truncate(bits: u16) -> Self {
        Self(bits & (Self::ALL.0 | Self::NO_UMB.0))
    }

    /// The `<vmemory.h>` bit value.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every area of `other` is in this set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// This set with the areas of `other` added.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl BitOr for SwapAreas {
    type Output = Self;
    fn bitor(self, other: Self) -> Self {
        self.with(other)
    }
}

/// The cache: one contiguous range of DOS memory (conventional or upper) of
/// `paras()` paragraphs, addressed by [`ArenaAddr`], a byte position from
/// its start (position 0 is paragraph aligned). The DOS layer turns a
/// position `o` into the far pointer `(base_seg + o / 16):(o % 16)`.
///
/// Accesses never fail: the arena is ordinary memory. The core only uses
/// offsets inside the arena; implementations may `debug_assert!` that.
pub trait Arena {
    /// Size of the arena in paragraphs (16 bytes). At most 0xFFFF.
    fn paras(&self) -> u16;
    /// Reads a little-endian `u16` at `at`.
    fn read_u16(&self, at: ArenaAddr) -> u16;
    /// Writes a little-endian `u16` at `at`.
    fn write_u16(&mut self, at: ArenaAddr, value: u16);
    /// Reads the byte at `at`.
    fn read_u8(&self, at: ArenaAddr) -> u8 {
        let w = self.read_u16(at.word_aligned());
        if at.offset().is_multiple_of(2) {
            w as u8
        } else {
            (w >> 8) as u8
        }
    }
    /// Writes the byte at `at`.
    fn write_u8(&mut self, at: ArenaAddr, value: u8) {
        let even = at.word_aligned();
        let w = self.read_u16(even);
        let w = if at.offset().is_multiple_of(2) {
            (w & 0xFF00) | u16::from(value)
        } else {
            (w & 0x00FF) | (u16::from(value) << 8)
        };
        self.write_u16(even, w)
    }
    /// Reads a little-endian `u32` at `at`.
    fn read_u32(&self, at: ArenaAddr) -> u32 {
        u32::from(self.read_u16(at)) | (u32::from(self.read_u16(at + Bytes::new(2))) << 16)
    }
    /// Writes a little-endian `u32` at `at`.
    fn write_u32(&mut self, at: ArenaAddr, value: u32) {
        self.write_u16(at, value as u16);
        self.write_u16(at + Bytes::new(2), (value >> 16) as u16);
    }
    /// Reads the two little-endian `u32`s at `at` and `at + 4` (a handle
    /// entry). Implementations may do it with one far access.
    fn read_u32_pair(&self, at: ArenaAddr) -> (u32, u32) {
        (self.read_u32(at), self.read_u32(at + Bytes::new(4)))
    }
    /// Writes `lo` at `at` and `hi` at `at + 4` (as [`Arena::read_u32_pair`]).
    fn write_u32_pair(&mut self, at: ArenaAddr, lo: u32, hi: u32) {
        self.write_u32(at, lo);
        self.write_u32(at + Bytes::new(4), hi);
    }
    /// Reads the `u16` at byte `field` of paragraph `p` (`field` below 64:
    /// a header field). Implementations may address it from `p`'s segment
    /// without normalising a linear position.
    fn read_field_u16(&self, p: ArenaPara, field: Bytes) -> u16 {
        self.read_u16(p.addr() + field)
    }
    /// Writes the `u16` at byte `field` of paragraph `p`.
    fn write_field_u16(&mut self, p: ArenaPara, field: Bytes, value: u16) {
        self.write_u16(p.addr() + field, value)
    }
    /// Reads the `u32` at byte `field` of paragraph `p`.
    fn read_field_u32(&self, p: ArenaPara, field: Bytes) -> u32 {
        self.read_u32(p.addr() + field)
    }
    /// Writes the `u32` at byte `field` of paragraph `p`.
    fn write_field_u32(&mut self, p: ArenaPara, field: Bytes, value: u32) {
        self.write_u32(p.addr() + field, value)
    }
    /// Sets `len` bytes from `at` to `byte`.
    fn fill(&mut self, at: ArenaAddr, len: Bytes, byte: u8);
    /// Copies `len` bytes from `from` to `to`; the ranges may overlap
    /// (memmove semantics). Used to compact the cache.
    fn copy(&mut self, from: ArenaAddr, to: ArenaAddr, len: Bytes);
    /// The segment of the arena's first byte, for `segVmDos` (0 where the
    /// arena is not DOS memory).
    fn dos_segment(&self) -> u16 {
        0
    }
}

/// A swap store: a linear space of `size()` bytes that can grow, holding
/// the bytes of blocks that left the cache.
///
/// All positions and lengths the core passes are multiples of 16 (so XMS
/// move lengths are always even), and every store range lies below
/// `size()`. Transfers go directly between the store and the arena `A`,
/// without a bounce buffer in near memory.
pub trait Store<A: Arena> {
    /// Current size.
    fn size(&self) -> Bytes;
    /// Grows the store to at least `min_size` (a multiple of 16) and
    /// returns the new size. On failure the store keeps its old size and
    /// contents.
    fn grow(&mut self, min_size: Bytes) -> Result<Bytes, BackendError>;
    /// Copies `len` bytes between the store at `at` and the arena at
    /// `arena_at`, the way `arena` says: into the arena (a read; on failure
    /// the arena range may hold anything) or out of it (a write; on failure
    /// the store range may hold anything, the arena is unchanged). One
    /// method for both directions: the core chooses the direction at run
    /// time in places (a free-list link is pushed or popped) and carries
    /// one call, and one copy of its code, for both.
    fn transfer(
        &mut self,
        at: StoreAddr,
        arena: ArenaIo<'_, A>,
        arena_at: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError>;
    /// The DOS file handle of a swap file, for `fhVm` (`None` for every
    /// other store).
    fn dos_handle(&self) -> Option<u16> {
        None
    }
}

/// The arena of a store transfer, which also says its direction: bytes
/// go into the arena (a read from the store) or out of it (a write).
pub enum ArenaIo<'a, A> {
    /// A read: the store's bytes go into the arena.
    Into(&'a mut A),
    /// A write: the arena's bytes go out to the store.
    OutOf(&'a A),
}

/// The factory of arenas and stores: what `_vheapinit` opens and
/// `_vheapterm` closes.
pub trait Backends {
    /// The cache arena type.
    type Arena: Arena;
    /// The swap store type (one type for all three kinds; the DOS layer may
    /// make it an enum).
    type Store: Store<Self::Arena>;

    /// Allocates the cache: at least `min_paras` paragraphs and at most
    /// `max_paras` (0 = as much as there is, `_VM_ALLDOS`). Fails if
    /// `min_paras` is not available. With `upper`, a bounded cache is
    /// taken from upper memory when one upper block holds all `max_paras`
    /// (the DOS layer's choice; conventional memory otherwise).
    fn open_arena(
        &mut self,
        min_paras: u16,
        max_paras: u16,
        upper: bool,
    ) -> Result<Self::Arena, BackendError>;
    /// Releases the cache memory.
    fn close_arena(&mut self, arena: Self::Arena);
    /// Opens a swap store of the given kind, holding no block (its size
    /// may be above 0: the swap file opens one sector long), into `slot`,
    /// the heap's store slot, or writes `None` there if it is not present
    /// (no driver, no disk). Absence is not an error for `_vheapinit`; the
    /// store is then simply not used. (Written into the slot, not
    /// returned: a returned store was built in the caller's frame and then
    /// copied into the slot; an `Option`, not a `Result`, for the same
    /// reason.)
    fn open_store(&mut self, kind: StoreKind, slot: &mut MaybeUninit<Option<Self::Store>>);
    /// Releases everything the store in `slot` holds (XMS/EMS handles,
    /// swap file) and leaves `None` there. (In its slot, not moved out: a
    /// store moved out was copied through the caller's frame first.)
    fn close_store(&mut self, kind: StoreKind, slot: &mut Option<Self::Store>);
}
