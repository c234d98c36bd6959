//! The swap stores as one type for the core: XMS, EMS or the disk file.

use super::arena::DosArena;
use super::disk::DiskStore;
use crate::vmm::{BackendError, Store, StoreKind};

/// One open swap store.
#[derive(Debug)]
pub enum DosStore {
    /// The swap file.
    Disk(DiskStore),
}

impl DosStore {
    /// Opens the store of `kind`, or `ABSENT` if the machine has none.
    pub fn open(kind: StoreKind) -> Result<Self, BackendError> {
        match kind {
            StoreKind::Disk => DiskStore::open().map(Self::Disk),
            // XMS and EMS stores are not wired in yet.
            StoreKind::Xms | StoreKind::Ems => Err(BackendError::ABSENT),
        }
    }

    /// Releases everything the store holds.
    pub fn close(self) {
        match self {
            Self::Disk(d) => d.close(),
        }
    }
}

impl Store<DosArena> for DosStore {
    fn size(&self) -> u32 {
        match self {
            Self::Disk(d) => d.size(),
        }
    }

    fn grow(&mut self, min_size: u32) -> Result<u32, BackendError> {
        match self {
            Self::Disk(d) => d.grow(min_size),
        }
    }

    fn read(&mut self, arena: &mut DosArena, from: u32, to: u32, len: u32) -> Result<(), BackendError> {
        match self {
            Self::Disk(d) => d.read(arena, from, to, len),
        }
    }

    fn write(&mut self, arena: &DosArena, from: u32, to: u32, len: u32) -> Result<(), BackendError> {
        match self {
            Self::Disk(d) => d.write(arena, from, to, len),
        }
    }
}

/// Runs one VMM call. The EMS store will save the application's EMS page
/// mapping before and restore it after, here.
pub fn around_call<R>(f: impl FnOnce() -> R) -> R {
    f()
}
