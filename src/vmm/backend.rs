//! The traits through which the core moves bytes: the conventional-memory
//! cache arena and the swap stores (XMS, EMS, disk).
//!
//! The core never touches memory itself. The DOS layer implements these traits
//! over real far memory and driver calls; the host tests implement them over
//! `Vec<u8>` with injectable failures (see `tests/support/fakes.rs`).

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

    /// The `_vheapinit` `swaparea` bit that enables this store
    /// (`_VM_EMS` = 1, `_VM_XMS` = 2, `_VM_DISK` = 4 in `<vmemory.h>`).
    pub const fn swaparea_bit(self) -> u16 {
        match self {
            StoreKind::Ems => 1,
            StoreKind::Xms => 2,
            StoreKind::Disk => 4,
        }
    }

    /// Index 0..3 (XMS, EMS, disk), used for per-store arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// The conventional-memory cache: one contiguous range of DOS memory of
/// `paras()` paragraphs, addressed by a linear byte offset from its start
/// (offset 0 is paragraph aligned). The DOS layer turns an offset `o` into
/// the far pointer `(base_seg + o / 16):(o % 16)`.
///
/// Accesses never fail: the arena is ordinary memory. The core only uses
/// offsets inside the arena; implementations may `debug_assert!` that.
pub trait Arena {
    /// Size of the arena in paragraphs (16 bytes). At most 0xFFFF.
    fn paras(&self) -> u16;
    /// Reads a little-endian `u16` at byte offset `at`.
    fn read_u16(&self, at: u32) -> u16;
    /// Writes a little-endian `u16` at byte offset `at`.
    fn write_u16(&mut self, at: u32, value: u16);
    /// Reads a little-endian `u32` at byte offset `at`.
    fn read_u32(&self, at: u32) -> u32 {
        u32::from(self.read_u16(at)) | (u32::from(self.read_u16(at + 2)) << 16)
    }
    /// Writes a little-endian `u32` at byte offset `at`.
    fn write_u32(&mut self, at: u32, value: u32) {
        self.write_u16(at, value as u16);
        self.write_u16(at + 2, (value >> 16) as u16);
    }
    /// Sets `len` bytes from `at` to `byte`.
    fn fill(&mut self, at: u32, len: u32, byte: u8);
    /// Copies `len` bytes from `from` to `to`; the ranges may overlap
    /// (memmove semantics). Used to compact the cache.
    fn copy(&mut self, from: u32, to: u32, len: u32);
}

/// A swap store: a linear space of `size()` bytes that can grow, holding
/// the bytes of blocks that left the cache.
///
/// All offsets and lengths the core passes are multiples of 16 (so XMS move
/// lengths are always even), and every store range lies below `size()`.
/// Transfers go directly between the store and the arena `A`, without a
/// bounce buffer in near memory.
pub trait Store<A: Arena> {
    /// Current size in bytes.
    fn size(&self) -> u32;
    /// Grows the store to at least `min_size` bytes (a multiple of 16) and
    /// returns the new size. On failure the store keeps its old size and
    /// contents.
    fn grow(&mut self, min_size: u32) -> Result<u32, BackendError>;
    /// Copies `len` bytes from store offset `from` to arena offset `to`.
    fn read(&mut self, arena: &mut A, from: u32, to: u32, len: u32) -> Result<(), BackendError>;
    /// Copies `len` bytes from arena offset `from` to store offset `to`.
    /// On failure the store range may hold anything; the arena is unchanged.
    fn write(&mut self, arena: &A, from: u32, to: u32, len: u32) -> Result<(), BackendError>;
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
    /// `min_paras` is not available.
    fn open_arena(&mut self, min_paras: u16, max_paras: u16) -> Result<Self::Arena, BackendError>;
    /// Releases the cache memory.
    fn close_arena(&mut self, arena: Self::Arena);
    /// Opens a swap store of the given kind with size 0, or fails if it is
    /// not present (no driver, no disk). Absence is not an error for
    /// `_vheapinit`; the store is then simply not used.
    fn open_store(&mut self, kind: StoreKind) -> Result<Self::Store, BackendError>;
    /// Releases everything the store holds (XMS/EMS handles, swap file).
    fn close_store(&mut self, kind: StoreKind, store: Self::Store);
}
