//! The swap stores as one type for the core: XMS, EMS or the disk file.

use super::arena::DosArena;
use super::chunked::{Chunk, Chunked};
use super::disk::DiskStore;
use crate::dos::ems::{self, EmsBlock, LogicalPage};
use crate::dos::exitguard;
use crate::dos::far::FarPtr;
use crate::dos::xms::{self, XmsBlock};
use crate::vmm::{ArenaAddr, BackendError, Bytes, Store, StoreAddr, StoreKind};

/// One open swap store.
#[derive(Debug)]
pub enum DosStore {
    /// Extended memory: a few EMBs.
    Xms(Chunked<SwapEmb>),
    /// Expanded memory: a few EMS handles.
    Ems(Chunked<SwapEms>),
    /// The swap file.
    Disk(DiskStore),
}

impl DosStore {
    /// Opens the store of `kind`, or `ABSENT` if the machine has none.
    /// Nothing is allocated from the driver until the store first grows.
    pub fn open(kind: StoreKind) -> Result<Self, BackendError> {
        match kind {
            StoreKind::Xms if xms::detect() => Ok(Self::Xms(Chunked::new())),
            // An EMM whose frame or mapping context cannot be used is no
            // store: fVmDisableEms then says so.
            StoreKind::Ems if ems::copy_ready().is_ok() => Ok(Self::Ems(Chunked::new())),
            StoreKind::Disk => DiskStore::open().map(Self::Disk),
            _ => Err(BackendError::ABSENT),
        }
    }

    /// Releases everything the store holds (dropping the chunks frees the
    /// EMBs and EMS handles and takes them off the exit guard's record).
    pub fn close(self) {
        if let Self::Disk(d) = self {
            d.close();
        }
    }
}

impl Store<DosArena> for DosStore {
    fn dos_handle(&self) -> Option<u16> {
        match self {
            Self::Disk(d) => Some(d.handle()),
            _ => None,
        }
    }

    fn size(&self) -> Bytes {
        Bytes::new(match self {
            Self::Xms(c) => c.size(),
            Self::Ems(c) => c.size(),
            Self::Disk(d) => d.size(),
        })
    }

    fn grow(&mut self, min_size: Bytes) -> Result<Bytes, BackendError> {
        let min_size = min_size.get();
        match self {
            Self::Xms(c) => c.grow(min_size),
            Self::Ems(c) => c.grow(min_size),
            Self::Disk(d) => d.grow(min_size),
        }
        .map(Bytes::new)
    }

    fn read(
        &mut self,
        at: StoreAddr,
        arena: &mut DosArena,
        to: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        self.copy(Dir::ToArena, at, arena, to, len)
    }

    fn write(
        &mut self,
        at: StoreAddr,
        arena: &DosArena,
        from: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        self.copy(Dir::FromArena, at, arena, from, len)
    }
}

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From the store into the arena (a page-in).
    ToArena,
    /// From the arena into the store (a page-out).
    FromArena,
}

impl DosStore {
    /// Both directions of [`Store::read`] and [`Store::write`] in one copy
    /// of the code (conventional memory).
    #[inline(never)]
    fn copy(
        &mut self,
        dir: Dir,
        at: StoreAddr,
        arena: &DosArena,
        arena_at: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        let (at, arena_at, len) = (at.offset(), arena_at.offset(), len.get());
        match self {
            Self::Xms(c) => c.copy(dir, arena, at, arena_at, len),
            Self::Ems(c) => c.copy(dir, arena, at, arena_at, len),
            Self::Disk(d) => d.copy(dir, arena, at, arena_at, len),
        }
    }
}

/// The XMS error codes that mean "no room", as opposed to a failed transfer.
fn xms_error(e: xms::XmsError) -> BackendError {
    match e {
        xms::XmsError::OUT_OF_MEMORY | xms::XmsError::OUT_OF_HANDLES => BackendError::FULL,
        _ => BackendError::IO,
    }
}

/// An EMB of the XMS store, recorded by the exit guard while it exists (so
/// it is freed however the program ends); freed when dropped.
#[derive(Debug)]
pub struct SwapEmb(XmsBlock);

impl Drop for SwapEmb {
    fn drop(&mut self) {
        // The inner block frees the EMB right after this.
        exitguard::untrack_xms(self.0.handle());
    }
}

// The guard records at least as many as a store uses.
const _: () = assert!(super::chunked::MAX_CHUNKS <= exitguard::CAPACITY);

impl Chunk for SwapEmb {
    const UNIT: u32 = 1024;
    // XMS 2.0 sizes are 16-bit KB counts, XMS 3.0 (89h/8Fh) 32-bit ones;
    // `allocate_kb`/`reallocate_kb` refuse 64 MB and more on a driver that
    // cannot take them, and `Chunked::grow` then adds a chunk instead. Store
    // offsets are u32 bytes, which bounds a store below 4 GB.
    const MAX_UNITS: u32 = 0x003F_FFFF;

    fn alloc(units: u32) -> Result<Self, BackendError> {
        let block = XmsBlock::new(units).map_err(xms_error)?;
        exitguard::track_xms(block.handle());
        Ok(Self(block))
    }

    fn resize(&mut self, units: u32) -> Result<(), BackendError> {
        self.0.resize(units).map_err(xms_error)
    }

    fn units(&self) -> u32 {
        self.0.size_kb()
    }

    unsafe fn copy(
        &mut self,
        dir: Dir,
        offset: u32,
        far: FarPtr,
        len: u32,
    ) -> Result<(), BackendError> {
        // SAFETY: forwarded to the caller; `len` is a multiple of 16, so even
        // as XMS function 0Bh requires.
        unsafe {
            match dir {
                Dir::FromArena => self.0.write_from(offset, far, len),
                Dir::ToArena => self.0.read_into(offset, far, len),
            }
        }
        .map_err(|_| BackendError::IO)
    }
}

/// The EMS status codes that mean "no room".
fn ems_error(e: ems::EmsError) -> BackendError {
    match e {
        ems::EmsError::OUT_OF_HANDLES
        | ems::EmsError::NOT_ENOUGH_PAGES
        | ems::EmsError::NOT_ENOUGH_PAGES_TOTAL => BackendError::FULL,
        _ => BackendError::IO,
    }
}

/// An EMS handle of the EMS store, recorded by the exit guard while it
/// exists; deallocated when dropped.
#[derive(Debug)]
pub struct SwapEms(EmsBlock);

impl Drop for SwapEms {
    fn drop(&mut self) {
        // The inner block deallocates the handle right after this.
        exitguard::untrack_ems(self.0.handle());
    }
}

impl Chunk for SwapEms {
    const UNIT: u32 = ems::PAGE_BYTES;
    const MAX_UNITS: u32 = 0x7FFF;

    fn alloc(units: u32) -> Result<Self, BackendError> {
        let block = EmsBlock::new(units as u16).map_err(ems_error)?;
        exitguard::track_ems(block.handle());
        Ok(Self(block))
    }

    fn resize(&mut self, units: u32) -> Result<(), BackendError> {
        self.0.resize(units as u16).map_err(ems_error)
    }

    fn units(&self) -> u32 {
        u32::from(self.0.pages())
    }

    unsafe fn copy(
        &mut self,
        dir: Dir,
        offset: u32,
        far: FarPtr,
        len: u32,
    ) -> Result<(), BackendError> {
        let handle = self.0.handle();
        // SAFETY: forwarded to the caller; the copy restores the page
        // mapping the application had, also when it fails.
        unsafe {
            match dir {
                Dir::FromArena => ems::copy_to_ems(far, handle, LogicalPage(0), offset, len),
                Dir::ToArena => ems::copy_from_ems(handle, LogicalPage(0), offset, far, len),
            }
        }
        .map_err(|_| BackendError::IO)
    }
}
