//! A swap store made of a few driver allocations (XMS EMBs or EMS handles),
//! grown on demand: the last allocation is resized when the driver allows,
//! otherwise another one is added. Store offsets run through the
//! allocations in order.
//!
//! Drivers have few handles (XMS: 32-128 in all, DOSBox 0.74 50; EMS: DOSBox
//! 200, LIM 255 at most), so growth is geometric and the store uses at most
//! [`MAX_CHUNKS`] of them.

use super::arena::DosArena;
use super::store::Dir;
use crate::dos::ems::{self, EmsBlock, EmsHandle, LogicalPage};
use crate::dos::exitguard;
use crate::dos::far::FarPtr;
use crate::dos::xms::{self, XmsBlock, XmsHandle};
use crate::vmm::BackendError;

/// Most driver allocations one store uses.
pub const MAX_CHUNKS: usize = 8;

// The guard records at least as many as a store uses.
const _: () = assert!(MAX_CHUNKS <= exitguard::CAPACITY);

/// Smallest growth step, in bytes.
const MIN_STEP: u32 = 256 * 1024;

/// The driver a store's allocations come from. One store type for both,
/// with the driver calls chosen by this value rather than a type
/// parameter: generic, the growth and the transfers were compiled twice
/// (about 600 bytes of the C library, which is conventional memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// XMS EMBs, sized in KB.
    Xms,
    /// EMS handles, sized in 16 KB pages.
    Ems,
}

/// One driver allocation of a store: an EMB or an EMS handle, by the
/// store's [`Driver`], owned by the store (given back when it drops).
// Packed: 6 bytes, not 8, in each store slot of the C library's `.bss`.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
struct Chunk {
    /// The driver's handle number: an [`XmsHandle`] (never 0) or an
    /// [`EmsHandle`].
    handle: u16,
    /// Its size in the driver's units.
    units: u32,
}

impl Driver {
    /// The driver's allocation unit as a power of two: 1 KB for XMS, a
    /// 16 KB page for EMS.
    fn unit_shift(self) -> u32 {
        match self {
            Self::Xms => 10,
            Self::Ems => ems::PAGE_BYTES.trailing_zeros(),
        }
    }

    /// Most units of one allocation. XMS 2.0 sizes are 16-bit KB counts,
    /// XMS 3.0 (89h/8Fh) 32-bit ones; `allocate_kb`/`reallocate_kb` refuse
    /// 64 MB and more on a driver that cannot take them, and
    /// [`Chunked::grow`] then adds a chunk instead. Store offsets are u32
    /// bytes, which bounds a store below 4 GB. EMS counts pages in 16 bits.
    fn max_units(self) -> u32 {
        match self {
            Self::Xms => 0x003F_FFFF,
            Self::Ems => 0x7FFF,
        }
    }

    /// Allocates `units` units, recorded by the exit guard (so that they
    /// are given back however the program ends).
    fn alloc(self, units: u32) -> Result<Chunk, BackendError> {
        let handle = match self {
            Self::Xms => {
                let block = XmsBlock::new(units).map_err(xms_error)?;
                exitguard::track_xms(block.handle());
                block.into_raw().raw()
            }
            Self::Ems => {
                let block = EmsBlock::new(units as u16).map_err(ems_error)?;
                exitguard::track_ems(block.handle());
                block.into_raw().0
            }
        };
        Ok(Chunk { handle, units })
    }

    /// Resizes `chunk` to `units` units, keeping the contents; on failure
    /// unchanged.
    fn resize(self, chunk: &mut Chunk, units: u32) -> Result<(), BackendError> {
        chunk.units = match self {
            Self::Xms => {
                let h = XmsHandle::new(chunk.handle).ok_or(BackendError::IO)?;
                xms::reallocate_kb(h, units).map_err(xms_error)?;
                units
            }
            // What the EMM says the handle has now (function 51h, BX).
            Self::Ems => u32::from(
                ems::reallocate(EmsHandle(chunk.handle), units as u16).map_err(ems_error)?,
            ),
        };
        Ok(())
    }

    /// Gives `chunk` back to the driver through the exit guard, which
    /// forgets it once the driver took it and tries a refused one again
    /// later (the store frees each chunk only here, once: it is dropping).
    fn free(self, chunk: Chunk) {
        match self {
            Self::Xms => {
                if let Some(h) = XmsHandle::new(chunk.handle) {
                    exitguard::release_xms(h);
                }
            }
            Self::Ems => {
                exitguard::release_ems(EmsHandle(chunk.handle));
            }
        }
    }

    /// Copies `len` bytes between byte `offset` of `chunk` and conventional
    /// memory at `far`, in direction `dir`.
    ///
    /// # Safety
    /// `far` must point to `len` readable bytes, and for [`Dir::ToArena`]
    /// writable ones no Rust reference covers.
    unsafe fn copy(
        self,
        chunk: &Chunk,
        dir: Dir,
        offset: u32,
        far: FarPtr,
        len: u32,
    ) -> Result<(), BackendError> {
        let done = match self {
            Self::Xms => {
                // The move structure straight from the raw handle (never 0:
                // `alloc` got it from the driver as an `XmsHandle`) and the
                // far pointer: this is the hot path of every XMS transfer.
                let conv = (u32::from(far.seg.value()) << 16) | u32::from(far.off);
                let mut m = xms::MoveBlock {
                    length: len,
                    src_handle: 0,
                    src_offset: conv,
                    dst_handle: chunk.handle,
                    dst_offset: offset,
                };
                if dir == Dir::ToArena {
                    (m.src_handle, m.dst_handle) = (m.dst_handle, 0);
                    (m.src_offset, m.dst_offset) = (offset, conv);
                }
                // SAFETY: forwarded to the caller; `len` is a multiple of
                // 16, so even as XMS function 0Bh requires.
                unsafe { xms::move_block(&m) }.is_ok()
            }
            Self::Ems => {
                let h = EmsHandle(chunk.handle);
                // SAFETY: forwarded to the caller; the copy restores the
                // page mapping the application had, also when it fails.
                unsafe {
                    match dir {
                        Dir::FromArena => ems::copy_to_ems(far, h, LogicalPage(0), offset, len),
                        Dir::ToArena => ems::copy_from_ems(h, LogicalPage(0), offset, far, len),
                    }
                }
                .is_ok()
            }
        };
        if done {
            Ok(())
        } else {
            Err(BackendError::IO)
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

/// The EMS status codes that mean "no room".
fn ems_error(e: ems::EmsError) -> BackendError {
    match e {
        ems::EmsError::OUT_OF_HANDLES
        | ems::EmsError::NOT_ENOUGH_PAGES
        | ems::EmsError::NOT_ENOUGH_PAGES_TOTAL => BackendError::FULL,
        _ => BackendError::IO,
    }
}

/// The store: chunks in offset order (the first `count` of `chunks`).
#[derive(Debug)]
pub struct Chunked {
    driver: Driver,
    /// A byte (at most [`MAX_CHUNKS`]), beside `driver`: no padding.
    count: u8,
    size: u32,
    chunks: [Chunk; MAX_CHUNKS],
}

impl Drop for Chunked {
    fn drop(&mut self) {
        // `take`, not a slice: no bounds check and panic path.
        for &c in self.chunks.iter().take(usize::from(self.count)) {
            self.driver.free(c);
        }
    }
}

impl Chunked {
    /// An empty store of `driver` (no driver allocation yet).
    pub fn new(driver: Driver) -> Self {
        Self {
            driver,
            count: 0,
            size: 0,
            chunks: [Chunk {
                handle: 0,
                units: 0,
            }; MAX_CHUNKS],
        }
    }

    /// Current size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Number of driver allocations in use.
    pub fn chunk_count(&self) -> usize {
        usize::from(self.count)
    }

    /// Grows to at least `min_size` bytes: by half the current size or
    /// 256 KB, whichever is more, and by exactly what is needed when the
    /// driver cannot give that much. Out of line: inlined, it sat in the
    /// swap allocator's `Stores::alloc` (160 bytes more).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn grow(&mut self, min_size: u32) -> Result<u32, BackendError> {
        if min_size <= self.size {
            return Ok(self.size);
        }
        let (driver, shift) = (self.driver, self.driver.unit_shift());
        // Rounded up (`min_size` is above `size`, so the difference is 1 or more).
        let need = ((min_size - self.size - 1) >> shift) + 1;
        let want = need.max((self.size / 2).max(MIN_STEP) >> shift);
        for add in [want, need] {
            // The last chunk in use, if any (`get_mut`: no panic path).
            let last = usize::from(self.count).checked_sub(1);
            if let Some(last) = last.and_then(|i| self.chunks.get_mut(i)) {
                let units = last.units + add;
                if units <= driver.max_units() && driver.resize(last, units).is_ok() {
                    self.size += add << shift;
                    return Ok(self.size);
                }
            }
            if usize::from(self.count) < MAX_CHUNKS && add <= driver.max_units() {
                if let Ok(c) = driver.alloc(add) {
                    self.chunks[usize::from(self.count)] = c;
                    self.count += 1;
                    self.size += add << shift;
                    return Ok(self.size);
                }
            }
        }
        Err(BackendError::FULL)
    }

    /// Copies `len` bytes between store offset `store_at` and arena offset
    /// `arena_at`, in direction `dir`, split at chunk boundaries. One
    /// function for both directions: the code is the same but for the
    /// driver call, and bytes of code are conventional memory.
    pub fn copy(
        &mut self,
        dir: Dir,
        arena: &DosArena,
        store_at: u32,
        arena_at: u32,
        len: u32,
    ) -> Result<(), BackendError> {
        if store_at.checked_add(len).is_none_or(|end| end > self.size) {
            return Err(BackendError::IO);
        }
        let (driver, shift) = (self.driver, self.driver.unit_shift());
        // No path of its own for the usual store of one allocation (drivers
        // resize it): the loop makes one driver call for it as well, and
        // with the one call site the driver code is inlined here once.
        let (mut pos, mut done, mut start) = (store_at, 0u32, 0u32);
        for chunk in self.chunks.iter().take(usize::from(self.count)) {
            let end = start + (chunk.units << shift);
            if pos < end {
                // Up to the end of this chunk: the rest, if any, starts
                // the next one.
                let n = (len - done).min(end - pos);
                // SAFETY: the arena range is inside the cache (core
                // contract), which no Rust reference covers.
                unsafe { driver.copy(chunk, dir, pos - start, arena.far(arena_at + done), n) }?;
                done += n;
                if done == len {
                    break;
                }
                pos += n;
            }
            start = end;
        }
        Ok(())
    }
}
