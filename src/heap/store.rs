//! The swap stores as one type for the core: XMS, EMS or the disk file.

use core::mem::MaybeUninit;

use super::arena::DosArena;
use super::chunked::{Chunked, Driver};
use super::disk::DiskStore;
use crate::dos::{ems, exitguard, xms};
use crate::vmm::backend::ArenaIo;
use crate::vmm::{ArenaAddr, BackendError, Bytes, Store, StoreAddr, StoreKind};

/// One open swap store.
#[derive(Debug)]
pub enum DosStore {
    /// Extended memory (a few EMBs) or expanded memory (a few EMS
    /// handles), by the store's [`Driver`].
    Chunked(Chunked),
    /// The swap file.
    Disk(DiskStore),
}

impl DosStore {
    /// Opens the store of `kind` into `slot`, or writes `None` there if the
    /// machine has none. Nothing is allocated from the driver until the
    /// store first grows. (Each case writes the slot itself: with one
    /// write of the value the cases chose, the value was built in this
    /// frame and copied.)
    pub fn open_in(kind: StoreKind, slot: &mut MaybeUninit<Option<Self>>) {
        let driver = match kind {
            StoreKind::Xms if xms::detect() => Driver::Xms,
            // An EMM whose frame or mapping context cannot be used is no
            // store: fVmDisableEms then says so.
            StoreKind::Ems if ems::copy_ready().is_ok() => Driver::Ems,
            StoreKind::Disk => {
                slot.write(DiskStore::open().ok().map(Self::Disk));
                return;
            }
            _ => {
                slot.write(None);
                return;
            }
        };
        // One store built for both drivers (one copy of that code).
        slot.write(Some(Self::Chunked(Chunked::new(driver))));
    }

    /// Releases everything the store in `slot` holds and leaves `None`
    /// there: dropping it in place frees the chunks' EMBs and EMS handles
    /// (and takes them off the exit guard's record) or closes the swap
    /// file, which is then deleted (by the name the exit guard holds, as
    /// [`DiskStore::close`] does).
    pub fn close_in(slot: &mut Option<Self>) {
        let disk = matches!(slot, Some(Self::Disk(_)));
        *slot = None;
        if disk {
            let _ = exitguard::delete_tracked_file();
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
            Self::Chunked(c) => c.size(),
            Self::Disk(d) => d.size(),
        })
    }

    fn grow(&mut self, min_size: Bytes) -> Result<Bytes, BackendError> {
        let min_size = min_size.get();
        match self {
            Self::Chunked(c) => c.grow(min_size),
            Self::Disk(d) => d.grow(min_size),
        }
        .map(Bytes::new)
    }

    fn transfer(
        &mut self,
        at: StoreAddr,
        arena: ArenaIo<'_, DosArena>,
        arena_at: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        let (dir, arena) = match arena {
            ArenaIo::Into(a) => (Dir::ToArena, &*a),
            ArenaIo::OutOf(a) => (Dir::FromArena, a),
        };
        self.copy(dir, at, arena, arena_at, len)
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
    /// Both directions of [`Store::transfer`] in one copy of the code
    /// (conventional memory).
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
            Self::Chunked(c) => c.copy(dir, arena, at, arena_at, len),
            Self::Disk(d) => d.copy(dir, arena, at, arena_at, len),
        }
    }
}
