//! [`VArray`]: a growable array in the virtual heap that commits one block
//! per page as it grows (the reserve/commit dynamic array of the Win32
//! VirtualAlloc examples, `examples/vmarray.c` in C).

use core::marker::PhantomData;
use core::mem::size_of;

use super::{Dirty, Error, Handle, Plain, VHeap};

/// Bytes of one page of a [`VArray`] (or one element, if larger).
pub const PAGE_BYTES: u32 = 4096;

/// A growable array of `T` over the virtual heap.
///
/// The array reserves `PAGES` pages (a table of handles in near memory,
/// 8 bytes a page) and commits them one by one: a page becomes a block of
/// the virtual heap (`_vmalloc`) only when the array first grows into it,
/// and is freed again when the array shrinks below it. A page holds
/// `PAGE_BYTES / size_of::<T>()` elements (at least one), so the reserved
/// capacity is `PAGES` times that; pushing beyond it fails with
/// [`Error::NoRoom`] and changes nothing.
///
/// Every access goes through the heap (`_vload`, one per page touched), so
/// the methods take the [`VHeap`] by `&mut`: the borrow checker then rules
/// out a [`Loaded`](super::Loaded) view living across them. Indexes past
/// the end give [`Error::BadSize`]. Other errors are the heap's (e.g.
/// [`Error::NoSwap`] when a page must be swapped out and no store has room);
/// the array is unchanged after a failed call.
///
/// Dropping the array does not free its blocks (that needs the heap): call
/// [`free`](Self::free), or they stay allocated until `_vheapterm`.
pub struct VArray<T: Plain, const PAGES: usize = 64> {
    pages: [Option<Handle>; PAGES],
    committed: usize,
    len: u32,
    _elem: PhantomData<T>,
}

impl<T: Plain, const PAGES: usize> Default for VArray<T, PAGES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Plain, const PAGES: usize> VArray<T, PAGES> {
    /// Elements per page.
    pub const PER_PAGE: u32 = {
        assert!(size_of::<T>() > 0, "VArray of a zero-sized type");
        assert!(
            size_of::<T>() <= 65530,
            "VArray element larger than a block"
        );
        let n = PAGE_BYTES / size_of::<T>() as u32;
        if n == 0 {
            1
        } else {
            n
        }
    };

    /// Bytes of the block that holds one page.
    const BLOCK_BYTES: u32 = Self::PER_PAGE * size_of::<T>() as u32;

    /// An empty array: reserves its pages, commits none (no heap call).
    pub const fn new() -> Self {
        Self {
            pages: [None; PAGES],
            committed: 0,
            len: 0,
            _elem: PhantomData,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most elements the reservation can hold.
    pub fn capacity(&self) -> u32 {
        (PAGES as u32).saturating_mul(Self::PER_PAGE)
    }

    /// Pages committed (blocks of the virtual heap in use).
    pub fn committed_pages(&self) -> usize {
        self.committed
    }

    /// The page holding element `index`, and the element's index in it.
    fn slot(&self, index: u32) -> Result<(Handle, u32), Error> {
        if index >= self.len {
            return Err(Error::BadSize);
        }
        let page = (index / Self::PER_PAGE) as usize;
        let h = self.pages[page].ok_or(Error::InvalidHandle)?;
        Ok((h, index % Self::PER_PAGE))
    }

    /// Commits pages until `len` elements fit.
    fn commit_for(&mut self, heap: &mut VHeap, len: u32) -> Result<(), Error> {
        let need = len.div_ceil(Self::PER_PAGE) as usize;
        if need > PAGES {
            return Err(Error::NoRoom);
        }
        while self.committed < need {
            self.pages[self.committed] = Some(heap.alloc(Self::BLOCK_BYTES)?);
            self.committed += 1;
        }
        Ok(())
    }

    /// Frees the committed pages that `len` elements do not need.
    fn decommit_beyond(&mut self, heap: &mut VHeap, len: u32) {
        let need = len.div_ceil(Self::PER_PAGE) as usize;
        while self.committed > need {
            self.committed -= 1;
            if let Some(h) = self.pages[self.committed].take() {
                // Our own unlocked block: only an invalid handle (the heap
                // was terminated and made again) can fail, and then there
                // is nothing left to free.
                let _ = heap.free(h);
            }
        }
    }

    /// Appends `value`, committing a new page when the last one is full.
    pub fn push(&mut self, heap: &mut VHeap, value: T) -> Result<(), Error> {
        self.extend_from_slice(heap, &[value])
    }

    /// Appends every element of `src`, one `_vload` per page touched. On
    /// failure nothing is appended (pages committed for it are freed again).
    pub fn extend_from_slice(&mut self, heap: &mut VHeap, src: &[T]) -> Result<(), Error> {
        let new_len = u32::try_from(src.len())
            .ok()
            .and_then(|n| self.len.checked_add(n))
            .ok_or(Error::NoRoom)?;
        let old_len = self.len;
        let result = self.commit_for(heap, new_len).and_then(|()| {
            self.len = new_len;
            self.write_run(heap, old_len, src)
        });
        if result.is_err() {
            self.len = old_len;
            self.decommit_beyond(heap, old_len);
        }
        result
    }

    /// Writes `src` over elements `start..start + src.len()` (all below `len`).
    fn write_run(&mut self, heap: &mut VHeap, start: u32, src: &[T]) -> Result<(), Error> {
        let mut index = start;
        let mut rest = src;
        while !rest.is_empty() {
            let (h, in_page) = self.slot(index)?;
            let n = ((Self::PER_PAGE - in_page) as usize).min(rest.len());
            let offset = in_page * size_of::<T>() as u32;
            heap.load(h, Dirty::Yes)?.write_slice(offset, &rest[..n])?;
            rest = &rest[n..];
            index += n as u32;
        }
        Ok(())
    }

    /// Element `index`.
    pub fn get(&self, heap: &mut VHeap, index: u32) -> Result<T, Error> {
        let (h, in_page) = self.slot(index)?;
        heap.load(h, Dirty::No)?.get(in_page)
    }

    /// Replaces element `index`.
    pub fn set(&mut self, heap: &mut VHeap, index: u32, value: T) -> Result<(), Error> {
        let (h, in_page) = self.slot(index)?;
        heap.load(h, Dirty::Yes)?.set(in_page, value)
    }

    /// Copies elements `start..start + dst.len()` into `dst` (all of them
    /// must exist), one `_vload` per page touched.
    pub fn read_into(&self, heap: &mut VHeap, start: u32, dst: &mut [T]) -> Result<(), Error> {
        let n = u32::try_from(dst.len()).map_err(|_| Error::BadSize)?;
        match start.checked_add(n) {
            Some(end) if end <= self.len => {}
            _ => return Err(Error::BadSize),
        }
        let mut index = start;
        let mut rest = dst;
        while !rest.is_empty() {
            let (h, in_page) = self.slot(index)?;
            let n = ((Self::PER_PAGE - in_page) as usize).min(rest.len());
            let (head, tail) = rest.split_at_mut(n);
            heap.load(h, Dirty::No)?
                .read_slice(in_page * size_of::<T>() as u32, head)?;
            rest = tail;
            index += n as u32;
        }
        Ok(())
    }

    /// Removes and returns the last element (`None` if empty); frees its
    /// page when it was the page's last element.
    pub fn pop(&mut self, heap: &mut VHeap) -> Result<Option<T>, Error> {
        if self.len == 0 {
            return Ok(None);
        }
        let v = self.get(heap, self.len - 1)?;
        self.truncate(heap, self.len - 1);
        Ok(Some(v))
    }

    /// Shortens the array to `len` elements (no effect if it is not
    /// longer), freeing the pages no longer needed.
    pub fn truncate(&mut self, heap: &mut VHeap, len: u32) {
        if len < self.len {
            self.len = len;
            self.decommit_beyond(heap, len);
        }
    }

    /// Removes every element and frees every page.
    pub fn clear(&mut self, heap: &mut VHeap) {
        self.truncate(heap, 0);
    }

    /// Frees every page and the array.
    pub fn free(mut self, heap: &mut VHeap) {
        self.clear(heap);
    }
}
