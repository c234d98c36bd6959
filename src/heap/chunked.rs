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
use crate::dos::far::FarPtr;
use crate::vmm::BackendError;

/// Most driver allocations one store uses.
pub const MAX_CHUNKS: usize = 8;

/// Smallest growth step, in bytes.
const MIN_STEP: u32 = 256 * 1024;

/// One driver allocation.
pub trait Chunk: Sized {
    /// The driver's allocation unit in bytes (XMS: 1 KB, EMS: a 16 KB page).
    const UNIT: u32;
    /// Most units of one allocation.
    const MAX_UNITS: u32;
    /// Allocates `units` units.
    fn alloc(units: u32) -> Result<Self, BackendError>;
    /// Resizes to `units` units, keeping the contents; on failure unchanged.
    fn resize(&mut self, units: u32) -> Result<(), BackendError>;
    /// Current size in units.
    fn units(&self) -> u32;
    /// Copies `len` bytes between `offset` and conventional memory at
    /// `far`, in direction `dir`.
    ///
    /// # Safety
    /// `far` must point to `len` readable bytes, and for
    /// [`Dir::ToArena`] writable ones no Rust reference covers.
    unsafe fn copy(
        &mut self,
        dir: Dir,
        offset: u32,
        far: FarPtr,
        len: u32,
    ) -> Result<(), BackendError>;
}

/// The store: chunks in offset order.
#[derive(Debug)]
pub struct Chunked<C: Chunk> {
    chunks: [Option<C>; MAX_CHUNKS],
    count: usize,
    size: u32,
}

impl<C: Chunk> Default for Chunked<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Chunk> Chunked<C> {
    /// An empty store (no driver allocation yet).
    pub fn new() -> Self {
        Self {
            chunks: [const { None }; MAX_CHUNKS],
            count: 0,
            size: 0,
        }
    }

    /// Current size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Number of driver allocations in use.
    pub fn chunk_count(&self) -> usize {
        self.count
    }

    /// Grows to at least `min_size` bytes: by half the current size or
    /// 256 KB, whichever is more, and by exactly what is needed when the
    /// driver cannot give that much. Out of line: inlined, both stores'
    /// copies sat in the swap allocator's `Stores::alloc` (160 bytes more).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn grow(&mut self, min_size: u32) -> Result<u32, BackendError> {
        if min_size <= self.size {
            return Ok(self.size);
        }
        let need = (min_size - self.size).div_ceil(C::UNIT);
        let want = need.max((self.size / 2).max(MIN_STEP) / C::UNIT);
        for add in [want, need] {
            if let Some(last) = self
                .count
                .checked_sub(1)
                .and_then(|i| self.chunks[i].as_mut())
            {
                let units = last.units() + add;
                if units <= C::MAX_UNITS && last.resize(units).is_ok() {
                    self.size += add * C::UNIT;
                    return Ok(self.size);
                }
            }
            if self.count < MAX_CHUNKS && add <= C::MAX_UNITS {
                if let Ok(c) = C::alloc(add) {
                    self.chunks[self.count] = Some(c);
                    self.count += 1;
                    self.size += add * C::UNIT;
                    return Ok(self.size);
                }
            }
        }
        Err(BackendError::FULL)
    }

    /// Calls `f(chunk, offset in chunk, arena offset, length)` for each piece
    /// of the store range `at..at + len`, split at chunk boundaries.
    fn pieces(
        &mut self,
        at: u32,
        arena_at: u32,
        len: u32,
        mut f: impl FnMut(&mut C, u32, u32, u32) -> Result<(), BackendError>,
    ) -> Result<(), BackendError> {
        let Some(last) = at.checked_add(len).filter(|&end| end <= self.size) else {
            return Err(BackendError::IO);
        };
        // Most stores are one allocation (drivers resize it): one piece.
        if let Some(first) = self.chunks[0].as_mut() {
            if last <= first.units() * C::UNIT {
                return f(first, at, arena_at, len);
            }
        }
        let (mut pos, mut done, mut start) = (at, 0u32, 0u32);
        for chunk in self.chunks[..self.count].iter_mut().flatten() {
            let end = start + chunk.units() * C::UNIT;
            while done < len && pos < end {
                let n = (len - done).min(end - pos);
                f(chunk, pos - start, arena_at + done, n)?;
                pos += n;
                done += n;
            }
            start = end;
        }
        Ok(())
    }

    /// Copies `len` bytes between store offset `store_at` and arena offset
    /// `arena_at`, in direction `dir`. One function for both directions:
    /// the code is the same but for the driver call, and bytes of code are
    /// conventional memory.
    pub fn copy(
        &mut self,
        dir: Dir,
        arena: &DosArena,
        store_at: u32,
        arena_at: u32,
        len: u32,
    ) -> Result<(), BackendError> {
        self.pieces(store_at, arena_at, len, |c, off, a, n| {
            // SAFETY: the arena range is inside the cache (core contract),
            // which no Rust reference covers.
            unsafe { c.copy(dir, off, arena.far(a), n) }
        })
    }
}
