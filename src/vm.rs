//! The safe Rust API for DOS programs: a virtual heap, handles, load views
//! checked by the borrow checker, and lock guards that unlock on drop.
//!
//! ```ignore
//! let mut heap = VHeap::init(Config::default())?;      // _vheapinit
//! let h = heap.alloc(1000)?;                            // _vmalloc
//! heap.load(h, Dirty::Yes)?.write(0, b"hello");         // _vload: valid until the next call
//! {
//!     let g = heap.lock(h)?;                            // _vlock: stays put
//!     let other = heap.alloc(50)?;                      // other calls are fine while locked
//!     let mut buf = [0u8; 5];
//!     g.read(0, &mut buf)?;
//! }                                                     // _vunlock on drop
//! heap.free(h)?;                                        // _vfree
//! // _vheapterm when `heap` is dropped
//! ```
//!
//! A [`Loaded`] view borrows the heap mutably, so the compiler rejects any
//! other heap call while it lives (the `_vload` pointer is valid only until
//! the next call). A [`Locked`] guard does not borrow the heap: a locked
//! block never moves, so other calls may run; each of its accesses checks
//! that the lock still stands (a guard that outlived its heap reports
//! [`Error::InvalidHandle`] instead of touching memory DOS got back).

use core::fmt;
use core::marker::PhantomData;

use crate::dos::far::FarPtr;
use crate::heap;
pub use crate::vmm::{CacheStats, StoreKind, StoreStats};
use crate::vmm::{SwapAreas, VmError};

/// Why a call failed (the core's [`VmError`]).
pub type Error = VmError;

/// A handle to a block of the virtual heap (`_vmhnd_t`). Copyable: freeing
/// one copy makes the others invalid, which every call detects.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle(u32);

impl Handle {
    /// The raw `_vmhnd_t` value, e.g. to hand to C code.
    pub fn raw(self) -> u32 {
        self.0
    }

    /// A handle from a raw `_vmhnd_t` value; invalid values are detected
    /// by every call, so this is safe.
    pub fn from_raw(raw: u32) -> Self {
        Self(raw)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({:#010x})", self.0)
    }
}

/// Whether a load or unlock changed the block (`_VM_DIRTY`) or not
/// (`_VM_CLEAN`: the cached copy may be dropped without writing it back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dirty {
    /// `_VM_CLEAN`.
    No,
    /// `_VM_DIRTY`.
    Yes,
}

/// What `_vheapinit` gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Least conventional memory for the cache, in paragraphs.
    pub dos_min_paras: u16,
    /// Most conventional memory for the cache, in paragraphs; 0 = all DOS has.
    pub dos_max_paras: u16,
    /// Swap to XMS (if a driver is present).
    pub xms: bool,
    /// Swap to EMS (if a manager is present).
    pub ems: bool,
    /// Swap to a file in `%TMP%` (if set).
    pub disk: bool,
}

impl Default for Config {
    /// 64 KiB minimum, all DOS memory at most, every swap store.
    fn default() -> Self {
        Self {
            dos_min_paras: 4096,
            dos_max_paras: 0,
            xms: true,
            ems: true,
            disk: true,
        }
    }
}

/// The program's virtual heap: `_vheapinit` on [`init`](Self::init),
/// `_vheapterm` on drop. There is at most one at a time.
pub struct VHeap {
    // Not Send/Sync: DOS is single-threaded, and the heap is a global.
    _not_send: PhantomData<*mut ()>,
}

impl VHeap {
    /// Initializes the heap (`_vheapinit`). Fails with
    /// [`Error::AlreadyInitialized`] if a heap exists (also one made through
    /// the C API), or [`Error::NoDosMemory`] if `dos_min_paras` is not there.
    pub fn init(config: Config) -> Result<Self, Error> {
        let area = |on: bool, a: SwapAreas| if on { a } else { SwapAreas::NONE };
        let swap = area(config.xms, SwapAreas::XMS)
            | area(config.ems, SwapAreas::EMS)
            | area(config.disk, SwapAreas::DISK);
        heap::with_vmm(|v| v.init(config.dos_min_paras, config.dos_max_paras, swap))?;
        Ok(Self {
            _not_send: PhantomData,
        })
    }

    /// Allocates a block of `size` bytes (1..=65530), reading as zeros.
    pub fn alloc(&mut self, size: u32) -> Result<Handle, Error> {
        heap::with_vmm(|v| v.alloc(size)).map(Handle)
    }

    /// Frees a block. A locked block is refused ([`Error::Locked`]) and stays.
    pub fn free(&mut self, h: Handle) -> Result<(), Error> {
        heap::with_vmm(|v| v.free(h.0))
    }

    /// Resizes a block, keeping its contents up to the smaller size; on
    /// failure the block is intact. Returns the (possibly new) handle.
    pub fn realloc(&mut self, h: Handle, size: u32) -> Result<Handle, Error> {
        if size == 0 {
            return Err(Error::BadSize); // freeing is `free`'s job here
        }
        heap::with_vmm(|v| v.realloc(h.0, size)).map(Handle)
    }

    /// The usable size of a block in bytes.
    pub fn size(&mut self, h: Handle) -> Result<u32, Error> {
        heap::with_vmm(|v| v.size(h.0))
    }

    /// The number of locks on a block.
    pub fn lock_count(&mut self, h: Handle) -> Result<u8, Error> {
        heap::with_vmm(|v| v.lock_count(h.0))
    }

    /// Brings a block into the cache (`_vload`). The view is valid until the
    /// next heap call, which the borrow enforces.
    pub fn load(&mut self, h: Handle, dirty: Dirty) -> Result<Loaded<'_>, Error> {
        let (ptr, len) = heap::with_vmm(|v| {
            let a = v.load(h.0, dirty == Dirty::Yes)?;
            let len = v.size(h.0)?;
            Ok::<_, Error>((heap::arena_far(v, Some(a)), len))
        })?;
        Ok(Loaded {
            view: FarView { ptr, len },
            _heap: PhantomData,
        })
    }

    /// Loads and locks a block (`_vlock`); the guard unlocks it when dropped
    /// (`_vunlock`, dirty if [`Locked::set_dirty`] was called or the guard
    /// was written through).
    pub fn lock(&mut self, h: Handle) -> Result<Locked, Error> {
        let (ptr, len) = heap::with_vmm(|v| {
            let a = v.lock(h.0)?;
            let len = v.size(h.0)?;
            Ok::<_, Error>((heap::arena_far(v, Some(a)), len))
        })?;
        Ok(Locked {
            handle: h,
            view: FarView { ptr, len },
            dirty: false,
        })
    }

    /// The MS VMM status values.
    pub fn status(&self) -> heap::Status {
        heap::status()
    }

    /// Transfer counters of one swap store.
    pub fn store_stats(&self, kind: StoreKind) -> StoreStats {
        heap::with_vmm(|v| v.store_stats(kind))
    }

    /// Cache counters (hits, misses, zero fills, clean drops, compactions).
    pub fn cache_stats(&self) -> CacheStats {
        heap::with_vmm(|v| v.cache_stats())
    }
}

impl Drop for VHeap {
    fn drop(&mut self) {
        heap::vheapterm();
    }
}

/// Bytes of a resident block, reached by copies (never a Rust reference
/// into another segment).
#[derive(Clone, Copy, Debug)]
struct FarView {
    ptr: FarPtr,
    len: u32,
}

impl FarView {
    fn range(&self, offset: u32, n: usize) -> Result<FarPtr, Error> {
        let end = offset.checked_add(n as u32).ok_or(Error::BadSize)?;
        if end > self.len {
            return Err(Error::BadSize);
        }
        self.ptr.offset(offset).ok_or(Error::BadSize)
    }

    fn read(&self, offset: u32, dst: &mut [u8]) -> Result<(), Error> {
        let p = self.range(offset, dst.len())?;
        // SAFETY: the range lies inside a resident block (checked above)
        // whose pointer is still valid (the caller's borrow or lock check);
        // `p` is normalised, and a near slice is shorter than 64 KiB - 16.
        unsafe { p.read_bytes(dst) };
        Ok(())
    }

    fn write(&self, offset: u32, src: &[u8]) -> Result<(), Error> {
        let p = self.range(offset, src.len())?;
        // SAFETY: as in `read`; no Rust reference covers the block.
        unsafe { p.write_bytes(src) };
        Ok(())
    }

    fn fill(&self, byte: u8) {
        let mut done = 0;
        while done < self.len {
            let n = (self.len - done).min(0x8000);
            if let Some(p) = self.ptr.offset(done) {
                // SAFETY: inside the block, normalised, at most 32 KiB.
                unsafe { p.fill(byte, n as u16) };
            }
            done += n;
        }
    }
}

/// A loaded block (`_vload`), valid while it borrows the heap.
pub struct Loaded<'h> {
    view: FarView,
    _heap: PhantomData<&'h mut VHeap>,
}

impl Loaded<'_> {
    /// The block's size in bytes.
    pub fn len(&self) -> u32 {
        self.view.len
    }

    /// Whether the block is empty (never: blocks have at least one byte).
    pub fn is_empty(&self) -> bool {
        self.view.len == 0
    }

    /// Copies bytes from `offset` into `dst`.
    pub fn read(&self, offset: u32, dst: &mut [u8]) -> Result<(), Error> {
        self.view.read(offset, dst)
    }

    /// Copies `src` into the block at `offset`. Load with [`Dirty::Yes`]
    /// when you write, or the change may be dropped.
    pub fn write(&mut self, offset: u32, src: &[u8]) -> Result<(), Error> {
        self.view.write(offset, src)
    }

    /// Sets every byte of the block to `byte`.
    pub fn fill(&mut self, byte: u8) {
        self.view.fill(byte)
    }

    /// The far pointer to the block's first byte, for code that needs it
    /// (valid only while this view lives).
    pub fn as_far_ptr(&self) -> FarPtr {
        self.view.ptr
    }
}

/// A locked block (`_vlock`): does not move or leave the cache until the
/// guard is dropped (`_vunlock`).
pub struct Locked {
    handle: Handle,
    view: FarView,
    dirty: bool,
}

impl Locked {
    /// The locked block's handle.
    pub fn handle(&self) -> Handle {
        self.handle
    }

    /// The block's size in bytes.
    pub fn len(&self) -> u32 {
        self.view.len
    }

    /// Whether the block is empty (never).
    pub fn is_empty(&self) -> bool {
        self.view.len == 0
    }

    /// Marks the block dirty: it is written back when it leaves the cache.
    pub fn set_dirty(&mut self) {
        self.dirty = true;
    }

    fn still_locked(&self) -> Result<(), Error> {
        // A guard that outlived `_vheapterm` (or whose block was unlocked
        // through the C API) must not touch memory the heap gave back.
        match heap::with_vmm(|v| v.lock_count(self.handle.0)) {
            Ok(n) if n > 0 => Ok(()),
            Ok(_) => Err(Error::InvalidHandle),
            Err(e) => Err(e),
        }
    }

    /// Copies bytes from `offset` into `dst`.
    pub fn read(&self, offset: u32, dst: &mut [u8]) -> Result<(), Error> {
        self.still_locked()?;
        self.view.read(offset, dst)
    }

    /// Copies `src` into the block at `offset`, and marks it dirty.
    pub fn write(&mut self, offset: u32, src: &[u8]) -> Result<(), Error> {
        self.still_locked()?;
        self.dirty = true;
        self.view.write(offset, src)
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        heap::vunlock(self.handle.0, u16::from(self.dirty));
    }
}
