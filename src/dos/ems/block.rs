//! [`EmsBlock`]: an owned EMS allocation over the functions of
//! [`super`], freed when dropped.

use super::*;

/// An owned EMM handle with its pages, deallocated when dropped.
#[derive(Debug)]
pub struct EmsBlock {
    handle: EmsHandle,
    pages: u16,
}

impl EmsBlock {
    /// Allocates `pages` pages (function 43h; 0 is refused with 89h).
    pub fn new(pages: u16) -> Result<Self, EmsError> {
        allocate(pages).map(|handle| Self { handle, pages })
    }

    /// Takes ownership of a handle of `pages` pages.
    ///
    /// # Safety
    /// `handle` must be an allocated handle of that many pages which nothing
    /// else deallocates.
    pub unsafe fn from_raw(handle: EmsHandle, pages: u16) -> Self {
        Self { handle, pages }
    }

    /// Gives up ownership: the handle is no longer deallocated on drop.
    pub fn into_raw(self) -> EmsHandle {
        let h = self.handle;
        core::mem::forget(self);
        h
    }

    /// The handle.
    pub fn handle(&self) -> EmsHandle {
        self.handle
    }

    /// The number of pages.
    pub fn pages(&self) -> u16 {
        self.pages
    }

    /// The size in bytes.
    pub fn size_bytes(&self) -> u32 {
        u32::from(self.pages) * PAGE_BYTES
    }

    fn check(&self, offset: u32, len: usize) -> Result<(), EmsError> {
        match offset.checked_add(len as u32) {
            Some(end) if end <= self.size_bytes() => Ok(()),
            _ => Err(EmsError::BAD_LOGICAL_PAGE),
        }
    }

    /// Copies `src` into the block at byte `offset` (through the page
    /// frame, whose mapping is restored).
    pub fn write(&mut self, offset: u32, src: &[u8]) -> Result<(), EmsError> {
        self.check(offset, src.len())?;
        // SAFETY: `src` is readable and lies in our own segment, which is
        // conventional memory below the frame (the copy checks the overlap).
        unsafe {
            copy_to_ems(
                FarPtr::from_near(src.as_ptr()),
                self.handle,
                LogicalPage(0),
                offset,
                src.len() as u32,
            )
        }
    }

    /// Copies bytes of the block from byte `offset` into `dst`.
    pub fn read(&self, offset: u32, dst: &mut [u8]) -> Result<(), EmsError> {
        self.check(offset, dst.len())?;
        let p = FarPtr::from_near(dst.as_mut_ptr());
        // SAFETY: `dst` is ours to write, borrowed mutably for the call.
        unsafe { copy_from_ems(self.handle, LogicalPage(0), offset, p, dst.len() as u32) }
    }

    /// Copies `len` bytes of conventional memory at `src` into the block at
    /// byte `offset`.
    ///
    /// # Safety
    /// As [`copy_to_ems`].
    pub unsafe fn write_from(
        &mut self,
        offset: u32,
        src: FarPtr,
        len: u32,
    ) -> Result<(), EmsError> {
        self.check(offset, len as usize)?;
        // SAFETY: forwarded to the caller.
        unsafe { copy_to_ems(src, self.handle, LogicalPage(0), offset, len) }
    }

    /// Copies `len` bytes of the block from byte `offset` to conventional
    /// memory at `dst`.
    ///
    /// # Safety
    /// As [`copy_from_ems`].
    pub unsafe fn read_into(&self, offset: u32, dst: FarPtr, len: u32) -> Result<(), EmsError> {
        self.check(offset, len as usize)?;
        // SAFETY: forwarded to the caller.
        unsafe { copy_from_ems(self.handle, LogicalPage(0), offset, dst, len) }
    }

    /// Resizes the block to `pages` pages (function 51h); the pages it keeps
    /// keep their contents.
    pub fn resize(&mut self, pages: u16) -> Result<(), EmsError> {
        let now = reallocate(self.handle, pages)?;
        self.pages = now;
        Ok(())
    }

    /// Maps logical page `page` of the block into physical page `phys`, for
    /// the caller's own use of the frame.
    pub fn map(&self, phys: PhysicalPage, page: LogicalPage) -> Result<(), EmsError> {
        map(phys, self.handle, page)
    }
}

impl Drop for EmsBlock {
    fn drop(&mut self) {
        let _ = deallocate(self.handle);
    }
}
