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
//!
//! Typed access: both views read and write values and slices of any
//! [`Plain`] type at a byte offset (`read_val`, `write_val`, `read_slice`,
//! `write_slice`), bounds-checked against the block ([`Error::BadSize`] when
//! the range does not fit). [`VArray`] is a growable array over the virtual
//! heap that commits one block per page as it grows (the reserve/commit
//! dynamic array).

mod array;
pub use array::VArray;

use core::fmt;
use core::marker::PhantomData;
use core::mem::size_of;

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

/// A type that can be copied to and from a block as raw bytes: `Copy`, no
/// padding bytes, no pointers or references, and every bit pattern a valid
/// value (a fresh block reads as zeros; a block holds whatever was last
/// written at each byte). `T: Copy` alone is not enough: a `bool`, `char`,
/// enum or reference read back from arbitrary bytes would be undefined
/// behaviour.
///
/// Implemented for the integer types, `f32`, `f64`, [`Handle`] and arrays
/// of `Plain` types.
///
/// # Safety
/// Implement it only for types meeting the conditions above, e.g. a
/// `#[repr(C)]` struct of `Plain` fields laid out without padding:
///
/// ```ignore
/// #[derive(Clone, Copy)]
/// #[repr(C)]
/// struct Point { x: i32, y: i32 }
/// // SAFETY: two i32 fields, no padding, every bit pattern is a Point.
/// unsafe impl vmemory::vm::Plain for Point {}
/// ```
pub unsafe trait Plain: Copy + 'static {}

macro_rules! plain {
    ($($t:ty),*) => {
        // SAFETY: primitive numbers: no padding, every bit pattern valid.
        $(unsafe impl Plain for $t {})*
    };
}
plain!(u8, i8, u16, i16, u32, i32, u64, i64, u128, i128, usize, isize, f32, f64);
// SAFETY: an array of Plain elements has no padding between them (the size
// of a type is a multiple of its alignment) and no invalid bit patterns.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}
// SAFETY: `Handle` is a `u32` newtype; any value is a handle (invalid ones
// are rejected by every call, never trusted).
unsafe impl Plain for Handle {}

/// The bytes of `v` (for [`Plain`] values only).
fn bytes_of<T: Plain>(v: &[T]) -> &[u8] {
    // SAFETY: `T: Plain` has no padding, so every byte is initialised; the
    // slice covers exactly the values' memory and borrows it.
    unsafe { core::slice::from_raw_parts(v.as_ptr().cast::<u8>(), core::mem::size_of_val(v)) }
}

/// The bytes of `v`, writable (for [`Plain`] values only).
fn bytes_of_mut<T: Plain>(v: &mut [T]) -> &mut [u8] {
    // SAFETY: as in `bytes_of`; any bytes written are a valid `T` (Plain).
    unsafe {
        core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), core::mem::size_of_val(v))
    }
}

/// What `_vheapinit` gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Least DOS memory for the cache, in paragraphs.
    pub dos_min_paras: u16,
    /// Most DOS memory for the cache, in paragraphs; 0 = all conventional
    /// memory DOS has. In an upper memory block when one holds all of it
    /// (see `upper_memory`).
    pub dos_max_paras: u16,
    /// Swap to XMS (if a driver is present).
    pub xms: bool,
    /// Swap to EMS (if a manager is present).
    pub ems: bool,
    /// Swap to a file in `%TMP%` (if set).
    pub disk: bool,
    /// Put a bounded cache in upper memory when one upper memory block
    /// holds it (`false`: conventional memory only, as MSC 7.0, the C
    /// library's `_VM_NOUMB`).
    pub upper_memory: bool,
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
            upper_memory: true,
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
            | area(config.disk, SwapAreas::DISK)
            | area(!config.upper_memory, SwapAreas::NO_UMB);
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

    fn read_slice<T: Plain>(&self, offset: u32, dst: &mut [T]) -> Result<(), Error> {
        self.read(offset, bytes_of_mut(dst))
    }

    fn write_slice<T: Plain>(&self, offset: u32, src: &[T]) -> Result<(), Error> {
        self.write(offset, bytes_of(src))
    }

    fn read_val<T: Plain>(&self, offset: u32) -> Result<T, Error> {
        let mut v = [zeroed::<T>()];
        self.read_slice(offset, &mut v)?;
        Ok(v[0])
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

/// A `Plain` value of all zero bytes (the start value of a typed read).
fn zeroed<T: Plain>() -> T {
    // SAFETY: every bit pattern, all zeros included, is a valid `T: Plain`.
    unsafe { core::mem::zeroed() }
}

/// The byte offset of element `index` of a `T` array, if it fits 32 bits.
fn elem_offset<T>(index: u32) -> Result<u32, Error> {
    index
        .checked_mul(size_of::<T>() as u32)
        .ok_or(Error::BadSize)
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

    /// Reads the `T` at byte `offset` ([`Error::BadSize`] if it does not
    /// lie inside the block).
    pub fn read_val<T: Plain>(&self, offset: u32) -> Result<T, Error> {
        self.view.read_val(offset)
    }

    /// Writes `v` at byte `offset` (bounds-checked). Load with
    /// [`Dirty::Yes`] when you write.
    pub fn write_val<T: Plain>(&mut self, offset: u32, v: T) -> Result<(), Error> {
        self.view.write_slice(offset, &[v])
    }

    /// Fills `dst` with the `T`s starting at byte `offset` (bounds-checked).
    pub fn read_slice<T: Plain>(&self, offset: u32, dst: &mut [T]) -> Result<(), Error> {
        self.view.read_slice(offset, dst)
    }

    /// Writes the `T`s of `src` starting at byte `offset` (bounds-checked).
    pub fn write_slice<T: Plain>(&mut self, offset: u32, src: &[T]) -> Result<(), Error> {
        self.view.write_slice(offset, src)
    }

    /// Reads element `index` of the block seen as an array of `T`.
    pub fn get<T: Plain>(&self, index: u32) -> Result<T, Error> {
        self.read_val(elem_offset::<T>(index)?)
    }

    /// Writes element `index` of the block seen as an array of `T`.
    pub fn set<T: Plain>(&mut self, index: u32, v: T) -> Result<(), Error> {
        self.write_val(elem_offset::<T>(index)?, v)
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

    /// Reads the `T` at byte `offset` (bounds-checked).
    pub fn read_val<T: Plain>(&self, offset: u32) -> Result<T, Error> {
        self.still_locked()?;
        self.view.read_val(offset)
    }

    /// Writes `v` at byte `offset` (bounds-checked), and marks the block dirty.
    pub fn write_val<T: Plain>(&mut self, offset: u32, v: T) -> Result<(), Error> {
        self.write_slice(offset, &[v])
    }

    /// Fills `dst` with the `T`s starting at byte `offset` (bounds-checked).
    pub fn read_slice<T: Plain>(&self, offset: u32, dst: &mut [T]) -> Result<(), Error> {
        self.still_locked()?;
        self.view.read_slice(offset, dst)
    }

    /// Writes the `T`s of `src` starting at byte `offset` (bounds-checked),
    /// and marks the block dirty.
    pub fn write_slice<T: Plain>(&mut self, offset: u32, src: &[T]) -> Result<(), Error> {
        self.write(offset, bytes_of(src))
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        heap::vunlock(self.handle.0, u16::from(self.dirty));
    }
}
