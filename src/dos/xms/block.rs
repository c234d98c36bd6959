//! [`XmsBlock`]: an owned XMS allocation over the functions of
//! [`super`], freed when dropped.

use super::*;

/// An owned EMB, freed when dropped (after undoing any locks on it, since a
/// locked block is never freed).
#[derive(Debug)]
pub struct XmsBlock {
    handle: XmsHandle,
    size_kb: u32,
}

impl XmsBlock {
    /// Allocates a block of `size_kb` KB ([`allocate_kb`]).
    pub fn new(size_kb: u32) -> Result<Self, XmsError> {
        allocate_kb(size_kb).map(|handle| Self { handle, size_kb })
    }

    /// Takes ownership of an EMB of `size_kb` KB.
    ///
    /// # Safety
    /// `handle` must be an EMB of that size which nothing else frees.
    pub unsafe fn from_raw(handle: XmsHandle, size_kb: u32) -> Self {
        Self { handle, size_kb }
    }

    /// Gives up ownership: the block is no longer freed on drop.
    pub fn into_raw(self) -> XmsHandle {
        let h = self.handle;
        core::mem::forget(self);
        h
    }

    /// The block's handle.
    pub fn handle(&self) -> XmsHandle {
        self.handle
    }

    /// The block's size in KB.
    pub fn size_kb(&self) -> u32 {
        self.size_kb
    }

    /// What the driver says of the block (function 0Eh/8Eh).
    pub fn info(&self) -> Result<HandleInfo, XmsError> {
        info(self.handle)
    }

    /// Copies `src` (even length) into the block at byte `offset`.
    pub fn write(&mut self, offset: u32, src: &[u8]) -> Result<(), XmsError> {
        write(self.handle, offset, src)
    }

    /// Copies bytes from byte `offset` of the block into `dst` (even length).
    pub fn read(&self, offset: u32, dst: &mut [u8]) -> Result<(), XmsError> {
        read(self.handle, offset, dst)
    }

    /// Copies `length` (even) bytes of conventional memory at `src` into
    /// the block at byte `offset`.
    ///
    /// # Safety
    /// `src` must point to `length` readable bytes.
    pub unsafe fn write_from(
        &mut self,
        offset: u32,
        src: FarPtr,
        length: u32,
    ) -> Result<(), XmsError> {
        let m = MoveBlock::new(
            length,
            XmsAddr::Conventional(src),
            XmsAddr::Emb(self.handle, offset),
        );
        // SAFETY: forwarded to the caller.
        unsafe { move_block(&m) }
    }

    /// Copies `length` (even) bytes of the block from byte `offset` to
    /// conventional memory at `dst`.
    ///
    /// # Safety
    /// `dst` must point to `length` writable bytes that no Rust reference
    /// covers.
    pub unsafe fn read_into(&self, offset: u32, dst: FarPtr, length: u32) -> Result<(), XmsError> {
        let m = MoveBlock::new(
            length,
            XmsAddr::Emb(self.handle, offset),
            XmsAddr::Conventional(dst),
        );
        // SAFETY: forwarded to the caller.
        unsafe { move_block(&m) }
    }

    /// Resizes the block ([`reallocate_kb`]); its contents up to the
    /// smaller size stay. Fails with ABh while the block is locked.
    /// (Out of line: 16 bytes less in the C library.)
    #[inline(never)]
    pub fn resize(&mut self, size_kb: u32) -> Result<(), XmsError> {
        reallocate_kb(self.handle, size_kb)?;
        self.size_kb = size_kb;
        Ok(())
    }

    /// Locks the block and returns its linear address ([`lock`]).
    pub fn lock(&mut self) -> Result<u32, XmsError> {
        lock(self.handle)
    }

    /// Undoes one [`lock`](Self::lock).
    pub fn unlock(&mut self) -> Result<(), XmsError> {
        unlock(self.handle)
    }
}

impl Drop for XmsBlock {
    fn drop(&mut self) {
        let _ = release_emb(self.handle);
    }
}

/// Gives an EMB back, whoever holds it: what dropping an [`XmsBlock`]
/// does, with the driver's answer (the exit guard keeps a refused one).
///
/// Never frees a locked EMB: undoes every lock the driver counts first;
/// if it cannot say, or an unlock fails, the block stays (as `free` would
/// refuse it). Then no second look at the lock count, as `free` takes: one
/// copy less of the driver call in the C library.
pub fn release_emb(handle: XmsHandle) -> Result<(), XmsError> {
    let i = info(handle)?;
    for _ in 0..i.lock_count {
        unlock(handle)?;
    }
    // SAFETY: the driver counted `lock_count` locks, and each was undone.
    unsafe { free_unchecked(handle) }
}
