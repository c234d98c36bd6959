//! The XMS driver (HIMEM.SYS or DOSBox's built-in one), eXtended Memory
//! Specification 3.0.
//!
//! Detected through INT 2Fh AX=4300h; its entry point comes from AX=4310h
//! and is far-called with the function number in AH. Every function returns
//! AX = 1 on success, or AX = 0 with an error code in BL: `xms_result` is
//! the one adapter for that convention.
//!
//! Each driver function has one function here, named after it and calling
//! it in one `asm!` block. Above those, [`query_free_kb`], [`allocate_kb`],
//! [`reallocate_kb`] and [`info`] pick the XMS 3.0 function (32-bit sizes)
//! when the driver reports version 3.00 or later and the 2.0 one otherwise,
//! and [`XmsBlock`] owns an extended memory block (EMB), freeing it when
//! dropped.
//!
//! The layer enforces the spec's rules itself, so that every driver behaves
//! like the strictest one: move lengths must be even (function 0Bh; DOSBox
//! 0.74 would copy odd lengths, DOSBox-X and HIMEM.SYS refuse them with
//! A7h), a locked EMB is never freed (function 0Ah; DOSBox 0.74 would free
//! it, DOSBox-X refuses with ABh), and a lock count never overflows
//! (function 0Ch; DOSBox saturates it at 255 instead of returning ACh).

use core::arch::asm;
use core::fmt;
use core::num::NonZeroU16;

use super::far::{near_offset, FarPtr, Segment};
use super::mem::Paragraphs;
use super::Plain;

mod block;
pub use block::{release_emb, XmsBlock};

/// An XMS error code (BL after a failed call), XMS 3.0 spec appendix.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct XmsError(pub u8);

impl XmsError {
    /// 80h: function not implemented.
    pub const NOT_IMPLEMENTED: Self = Self(0x80);
    /// 81h: a VDISK device is detected.
    pub const VDISK_DETECTED: Self = Self(0x81);
    /// 82h: an A20 error occurred.
    pub const A20_ERROR: Self = Self(0x82);
    /// A0h: all extended memory is allocated.
    pub const OUT_OF_MEMORY: Self = Self(0xA0);
    /// A1h: all available extended memory handles are allocated.
    pub const OUT_OF_HANDLES: Self = Self(0xA1);
    /// A2h: invalid handle.
    pub const INVALID_HANDLE: Self = Self(0xA2);
    /// A3h: the move's source handle is invalid.
    pub const INVALID_SOURCE_HANDLE: Self = Self(0xA3);
    /// A4h: the move's source offset is invalid.
    pub const INVALID_SOURCE_OFFSET: Self = Self(0xA4);
    /// A5h: the move's destination handle is invalid.
    pub const INVALID_DEST_HANDLE: Self = Self(0xA5);
    /// A6h: the move's destination offset is invalid.
    pub const INVALID_DEST_OFFSET: Self = Self(0xA6);
    /// A7h: invalid length (odd, or past the end of a block). The layer
    /// returns it itself for odd move lengths, before calling the driver.
    pub const INVALID_LENGTH: Self = Self(0xA7);
    /// A8h: the move has an invalid overlap.
    pub const INVALID_OVERLAP: Self = Self(0xA8);
    /// A9h: a parity error occurred.
    pub const PARITY_ERROR: Self = Self(0xA9);
    /// AAh: the block is not locked (function 0Dh).
    pub const BLOCK_NOT_LOCKED: Self = Self(0xAA);
    /// ABh: the block is locked. The layer returns it itself when asked to
    /// free a locked block.
    pub const BLOCK_LOCKED: Self = Self(0xAB);
    /// ACh: the block's lock count would overflow. The layer returns it
    /// itself at 255 locks.
    pub const LOCK_COUNT_OVERFLOW: Self = Self(0xAC);
    /// ADh: the lock failed.
    pub const LOCK_FAILED: Self = Self(0xAD);
    /// B0h: only a smaller upper memory block is free (function 10h; DX
    /// says its size).
    pub const SMALLER_UMB: Self = Self(0xB0);
    /// B1h: no upper memory block is free.
    pub const NO_UMB: Self = Self(0xB1);
    /// Not an XMS code: no XMS driver is installed.
    pub const NO_DRIVER: Self = Self(0x00);
    /// Not an XMS code: a size of 64 MB or more (65536 KB) was asked of a
    /// driver that cannot take it (an XMS 2.0 driver, or one that cuts the
    /// 32-bit sizes of functions 89h/8Fh to 16 bits, as DOSBox 0.74 does).
    /// The driver was not asked.
    pub const SIZE_TOO_LARGE: Self = Self(0x01);
}

impl fmt::Debug for XmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XmsError({:02X}h)", self.0)
    }
}

/// The one adapter for the XMS convention: AX = 1 success, else BL = error.
fn xms_result(ax: u16, bl: u8) -> Result<(), XmsError> {
    if ax == 1 {
        Ok(())
    } else {
        Err(XmsError(bl))
    }
}

/// An EMB handle (DX of functions 09h-0Fh). Never 0: in a move structure
/// (function 0Bh) handle 0 means conventional memory, so a handle that
/// could be 0 would let an offset be taken for a far pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct XmsHandle(NonZeroU16);

impl XmsHandle {
    /// The handle with number `raw`, or `None` for 0.
    pub const fn new(raw: u16) -> Option<Self> {
        match NonZeroU16::new(raw) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The handle number the driver uses.
    pub const fn raw(self) -> u16 {
        self.0.get()
    }

    /// The handle with number `n` (never 0).
    pub const fn of(n: NonZeroU16) -> Self {
        Self(n)
    }

    /// The handle number, as the never-0 value it is.
    pub const fn get(self) -> NonZeroU16 {
        self.0
    }
}

/// The driver entry (seg << 16 | off), 0 until [`detect`] found one.
static ENTRY: Plain<u32> = Plain::new(0);
/// Whether the driver reports XMS 3.00 or later (set by [`detect`]).
static V3: Plain<bool> = Plain::new(false);
/// Whether functions 89h/8Fh take sizes of 64 MB and more: 0 not known yet,
/// 1 yes, 2 no (see [`wide_sizes`]).
static WIDE: Plain<u8> = Plain::new(0);

/// Whether an XMS driver is installed (INT 2Fh AX=4300h returns AL=80h);
/// if so, fetches and remembers its entry point (AX=4310h, ES:BX) and
/// whether it speaks XMS 3.0.
pub fn detect() -> bool {
    let al: u16;
    // SAFETY: the multiplex interrupt's installation check changes only AX.
    unsafe { asm!("int 0x2f", inout("ax") 0x4300u16 => al) };
    if al & 0xFF != 0x80 {
        return false;
    }
    let (seg, off): (u16, u16);
    // SAFETY: AX=4310h returns the entry in ES:BX; ES is saved and restored
    // inside the block.
    unsafe {
        asm!("push es", "int 0x2f", "mov {seg:x}, es", "pop es",
             seg = out(reg) seg, inout("ax") 0x4310u16 => _, out("bx") off);
    }
    ENTRY.set((u32::from(seg) << 16) | u32::from(off));
    let v3 = matches!(version(), Ok((v, _, _)) if v >= 0x0300);
    V3.set(v3);
    true
}

/// Whether the detected driver reports XMS 3.00 or later, so that the
/// 32-bit functions 88h, 89h, 8Eh and 8Fh exist.
pub fn is_v3() -> bool {
    V3.get()
}

/// Whether [`detect`] found a driver: then the calls below far-call it
/// through [`ENTRY`] where it lies (`lcallw *ENTRY`: it holds the far
/// pointer in memory layout, offset first), with no copy of it on the
/// stack (about 14 bytes of code less at each call).
fn entry() -> Result<(), XmsError> {
    match ENTRY.get() {
        0 => Err(XmsError::NO_DRIVER),
        _ => Ok(()),
    }
}

/// The driver's version: (XMS version BCD, driver revision BCD, HMA exists)
/// from function 00h.
pub fn version() -> Result<(u16, u16, bool), XmsError> {
    entry()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call into the XMS driver, function 00h: returns AX, BX, DX.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") 0x0000u16 => ax, out("bx") bx, out("dx") dx,
             options(att_syntax));
    }
    Ok((ax, bx, dx == 1))
}

/// Free extended memory in KB: (largest block, total), function 08h.
pub fn query_free() -> Result<(u16, u16), XmsError> {
    entry()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call, function 08h: AX = largest, DX = total, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") 0x0800u16 => ax, out("bx") bx, out("dx") dx,
             options(att_syntax));
    }
    // Function 08h reports "no free memory" as AX = 0 with BL = A0h, which
    // for a query is an answer, not a failure. Other BL values are errors.
    match xms_result(u16::from(ax != 0 || bx as u8 == 0), bx as u8) {
        Ok(()) | Err(XmsError::OUT_OF_MEMORY) => Ok((ax, dx)),
        Err(e) => Err(e),
    }
}

/// Free extended memory in KB beyond 64 MB: (largest block, total), XMS 3.0
/// function 88h (32-bit sizes in EAX/EDX).
pub fn query_free_any() -> Result<(u32, u32), XmsError> {
    entry()?;
    let (eax, ebx, edx): (u32, u32, u32);
    // SAFETY: far call, function 88h: EAX = largest, EDX = total, ECX =
    // highest address, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("eax") 0x8800u32 => eax, out("ebx") ebx, out("ecx") _, out("edx") edx,
             options(att_syntax));
    }
    // As for 08h, BL = A0h only says that nothing is free.
    match ebx as u8 {
        0 | 0xA0 => Ok((eax, edx)),
        e => Err(XmsError(e)),
    }
}

/// Free extended memory in KB, (largest block, total): function 88h on an
/// XMS 3.0 driver, else 08h.
pub fn query_free_kb() -> Result<(u32, u32), XmsError> {
    if is_v3() {
        query_free_any()
    } else {
        query_free().map(|(l, t)| (u32::from(l), u32::from(t)))
    }
}

/// Allocates an EMB of `size_kb` KB, function 09h.
pub fn allocate(size_kb: u16) -> Result<XmsHandle, XmsError> {
    allocate_with(0x0900, u32::from(size_kb))
}

/// Allocates an EMB of `size_kb` KB given in 32 bits, XMS 3.0 function 89h.
///
/// Some drivers (DOSBox 0.74) use only the low 16 bits of EDX here:
/// [`allocate_kb`] guards against that, this raw call does not.
pub fn allocate_any(size_kb: u32) -> Result<XmsHandle, XmsError> {
    allocate_with(0x8900, size_kb)
}

/// Function 09h (AX = 0900h, size in DX) or 89h (AX = 8900h, size in
/// EDX): the two differ only in how much of EDX the driver reads, so they
/// share one call (one copy of it in the C library).
fn allocate_with(function: u16, size_kb: u32) -> Result<XmsHandle, XmsError> {
    entry()?;
    let (ax, bx, dx): (u16, u16, u32);
    // SAFETY: far call, function 09h/89h: DX/EDX = size in KB; returns AX =
    // status, DX = handle, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") function => ax, out("bx") bx, inout("edx") size_kb => dx,
             options(att_syntax));
    }
    xms_result(ax, bx as u8)?;
    // A driver that says success with handle 0 is broken; 0 is not a handle.
    XmsHandle::new(dx as u16).ok_or(XmsError::INVALID_HANDLE)
}

/// Whether functions 89h/8Fh really take sizes of 64 MB and more. Found
/// once, by asking 89h for exactly 65536 KB: a driver that cuts EDX to 16
/// bits grants a 0 KB block (DOSBox 0.74), one that does not either grants
/// 65536 KB or says A0h. The probe block is freed at once.
fn wide_sizes() -> Result<bool, XmsError> {
    match WIDE.get() {
        1 => return Ok(true),
        2 => return Ok(false),
        _ => {}
    }
    if !is_v3() {
        return Ok(false);
    }
    let wide = match allocate_any(0x1_0000) {
        Ok(h) => {
            let size = handle_info_any(h).map(|i| i.size_kb);
            // SAFETY: the probe block was allocated just now and never locked.
            unsafe { free_unchecked(h) }?;
            size? == 0x1_0000
        }
        Err(XmsError::OUT_OF_MEMORY) => true,
        Err(e) => return Err(e),
    };
    WIDE.set(if wide { 1 } else { 2 });
    Ok(wide)
}

/// Allocates an EMB of `size_kb` KB: function 89h on an XMS 3.0 driver,
/// else 09h. Sizes of 64 MB and more are refused with
/// [`XmsError::SIZE_TOO_LARGE`] when the driver cannot take them.
pub fn allocate_kb(size_kb: u32) -> Result<XmsHandle, XmsError> {
    entry()?;
    if size_kb > 0xFFFF && !wide_sizes()? {
        return Err(XmsError::SIZE_TOO_LARGE);
    }
    // (Below 64 MB on a 2.0 driver: the size fits DX.)
    allocate_with(if is_v3() { 0x8900 } else { 0x0900 }, size_kb)
}

/// Frees an EMB, function 0Ah, unless it is locked.
///
/// XMS 3.0, function 0Ah: a locked block is not freed and the driver
/// answers ABh. DOSBox 0.74 frees it anyway, so the lock count is checked
/// here first (function 0Eh/8Eh) and a locked block is refused with
/// [`XmsError::BLOCK_LOCKED`] on every driver.
pub fn free(handle: XmsHandle) -> Result<(), XmsError> {
    if info(handle)?.lock_count != 0 {
        return Err(XmsError::BLOCK_LOCKED);
    }
    // SAFETY: the block is not locked (just checked).
    unsafe { free_unchecked(handle) }
}

/// Frees an EMB, function 0Ah, without checking its lock count.
///
/// # Safety
/// The block must not be locked: some drivers free a locked block, whose
/// linear address its locker may still use.
pub unsafe fn free_unchecked(handle: XmsHandle) -> Result<(), XmsError> {
    debug_assert!(info(handle).map_or(true, |i| i.lock_count == 0));
    entry()?;
    // Tried up to RELEASE_TRIES times (`released`).
    super::released(|| {
        let (ax, bx): (u16, u16);
        // SAFETY: far call, function 0Ah: DX = handle; AX = status, BL = error.
        unsafe {
            asm!("lcallw *{entry}", entry = sym ENTRY,
                 inout("ax") 0x0A00u16 => ax, out("bx") bx, in("dx") handle.raw(),
                 options(att_syntax));
        }
        xms_result(ax, bx as u8)
    })
}

/// One end of an XMS move: conventional memory or a place in an EMB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmsAddr {
    /// Real-mode memory at a far pointer (handle 0 in the move structure).
    Conventional(FarPtr),
    /// Byte `offset` (32 bits) of the EMB `handle`.
    Emb(XmsHandle, u32),
}

impl XmsAddr {
    /// (handle, offset) as the move structure holds them: handle 0 with
    /// `seg:off` as a far pointer (offset word first), or the EMB's.
    fn raw(self) -> (u16, u32) {
        match self {
            Self::Conventional(p) => (0, (u32::from(p.seg.value()) << 16) | u32::from(p.off)),
            Self::Emb(h, off) => (h.raw(), off),
        }
    }
}

/// The extended memory move structure of function 0Bh (XMS 3.0), laid out
/// as the driver reads it at DS:SI.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
pub struct MoveBlock {
    /// Number of bytes to move (must be even).
    pub length: u32,
    /// Source handle, 0 for conventional memory.
    pub src_handle: u16,
    /// Offset into the source EMB, or `seg:off` (offset word first).
    pub src_offset: u32,
    /// Destination handle, 0 for conventional memory.
    pub dst_handle: u16,
    /// Offset into the destination EMB, or `seg:off`.
    pub dst_offset: u32,
}

const _: () = assert!(core::mem::size_of::<MoveBlock>() == 16);

impl MoveBlock {
    /// The structure for moving `length` bytes from `src` to `dst`.
    pub fn new(length: u32, src: XmsAddr, dst: XmsAddr) -> Self {
        let (src_handle, src_offset) = src.raw();
        let (dst_handle, dst_offset) = dst.raw();
        Self {
            length,
            src_handle,
            src_offset,
            dst_handle,
            dst_offset,
        }
    }
}

/// Moves memory as `m` says, function 0Bh. An odd length is refused with
/// [`XmsError::INVALID_LENGTH`] without calling the driver (XMS 3.0: "Length
/// must be even"); a length of 0 moves nothing and succeeds.
///
/// # Safety
/// A conventional source must be `m.length` readable bytes; a conventional
/// destination must be `m.length` writable bytes that no Rust reference
/// covers (other than a `&mut` the caller holds for this call). EMB ends
/// are checked by the driver.
pub unsafe fn move_block(m: &MoveBlock) -> Result<(), XmsError> {
    if m.length & 1 != 0 {
        return Err(XmsError::INVALID_LENGTH);
    }
    entry()?;
    let (ax, bx): (u16, u16);
    // SAFETY: far call, function 0Bh: DS:SI = the move structure (DS is our
    // segment; SI is saved and restored inside the block because LLVM
    // reserves it); AX = status, BL = error. The allocator may put an
    // `in(reg)` operand in ESI, so the structure's offset, the only one
    // (the driver is called through `ENTRY` in memory), is loaded into SI
    // after the push. The memory the driver writes is valid by the
    // caller's promise.
    unsafe {
        asm!("pushl %esi",
             "movl {m:e}, %esi",
             "lcallw *{entry}",
             "popl %esi",
             m = in(reg) near_offset(m as *const MoveBlock),
             entry = sym ENTRY,
             inout("ax") 0x0B00u16 => ax, out("bx") bx,
             options(att_syntax));
    }
    xms_result(ax, bx as u8)
}

/// Copies `src` into the EMB `handle` at byte `offset`, function 0Bh.
/// `src.len()` must be even.
pub fn write(handle: XmsHandle, offset: u32, src: &[u8]) -> Result<(), XmsError> {
    let m = MoveBlock::new(
        src.len() as u32,
        XmsAddr::Conventional(FarPtr::from_near(src.as_ptr())),
        XmsAddr::Emb(handle, offset),
    );
    // SAFETY: the conventional end is `src`, readable for its length.
    unsafe { move_block(&m) }
}

/// Copies bytes of the EMB `handle` from byte `offset` into `dst`, function
/// 0Bh. `dst.len()` must be even.
pub fn read(handle: XmsHandle, offset: u32, dst: &mut [u8]) -> Result<(), XmsError> {
    let m = MoveBlock::new(
        dst.len() as u32,
        XmsAddr::Emb(handle, offset),
        XmsAddr::Conventional(FarPtr::from_near(dst.as_mut_ptr())),
    );
    // SAFETY: the conventional end is `dst`, which we borrow mutably.
    unsafe { move_block(&m) }
}

/// Copies `length` bytes between two places in EMBs, function 0Bh.
/// `length` must be even.
pub fn copy(src: (XmsHandle, u32), dst: (XmsHandle, u32), length: u32) -> Result<(), XmsError> {
    let m = MoveBlock::new(
        length,
        XmsAddr::Emb(src.0, src.1),
        XmsAddr::Emb(dst.0, dst.1),
    );
    // SAFETY: both ends are EMBs, which the driver checks; no conventional
    // memory is touched.
    unsafe { move_block(&m) }
}

/// Locks an EMB, function 0Ch, and returns its 32-bit linear address.
///
/// XMS 3.0, function 0Ch: lock counts overflow with ACh. DOSBox silently
/// stops counting at 255, so the count is checked here first.
pub fn lock(handle: XmsHandle) -> Result<u32, XmsError> {
    if info(handle)?.lock_count == 0xFF {
        return Err(XmsError::LOCK_COUNT_OVERFLOW);
    }
    entry()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call, function 0Ch: DX = handle; AX = status, DX:BX =
    // linear address, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") 0x0C00u16 => ax, out("bx") bx, inout("dx") handle.raw() => dx,
             options(att_syntax));
    }
    xms_result(ax, bx as u8)?;
    Ok((u32::from(dx) << 16) | u32::from(bx))
}

/// Unlocks an EMB, function 0Dh ([`XmsError::BLOCK_NOT_LOCKED`] if it was
/// not locked).
pub fn unlock(handle: XmsHandle) -> Result<(), XmsError> {
    entry()?;
    let (ax, bx): (u16, u16);
    // SAFETY: far call, function 0Dh: DX = handle; AX = status, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") 0x0D00u16 => ax, out("bx") bx, in("dx") handle.raw(),
             options(att_syntax));
    }
    xms_result(ax, bx as u8)
}

/// What function 0Eh/8Eh says of an EMB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandleInfo {
    /// The block's lock count.
    pub lock_count: u8,
    /// Free EMB handles left in the driver.
    pub free_handles: u16,
    /// The block's size in KB.
    pub size_kb: u32,
}

/// Information on an EMB, function 0Eh (16-bit size, at most 255 free
/// handles reported).
pub fn handle_info(handle: XmsHandle) -> Result<HandleInfo, XmsError> {
    info_with(0x0E00, handle)
}

/// Information on an EMB, XMS 3.0 function 8Eh (32-bit size).
pub fn handle_info_any(handle: XmsHandle) -> Result<HandleInfo, XmsError> {
    info_with(0x8E00, handle)
}

/// Information on an EMB: function 8Eh on an XMS 3.0 driver, else 0Eh.
pub fn info(handle: XmsHandle) -> Result<HandleInfo, XmsError> {
    info_with(if is_v3() { 0x8E00 } else { 0x0E00 }, handle)
}

/// Function 0Eh (AX = 0E00h) or 8Eh (AX = 8E00h) in one call, as
/// [`allocate_with`]: they differ in where the answers are.
fn info_with(function: u16, handle: XmsHandle) -> Result<HandleInfo, XmsError> {
    entry()?;
    let (ax, bx, cx, edx): (u16, u16, u16, u32);
    // SAFETY: far call, function 0Eh/8Eh: DX = handle; AX = status, BH =
    // lock count, BL = error; 0Eh: BL = free handles, DX = size in KB (CX
    // untouched); 8Eh: CX = free handles, EDX = size in KB.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") function => ax, out("bx") bx, out("cx") cx,
             inout("edx") u32::from(handle.raw()) => edx,
             options(att_syntax));
    }
    xms_result(ax, bx as u8)?;
    let wide = function == 0x8E00;
    Ok(HandleInfo {
        lock_count: (bx >> 8) as u8,
        free_handles: if wide { cx } else { bx & 0xFF },
        // 0Eh answers in DX only: the upper half of EDX is not its answer.
        size_kb: if wide { edx } else { edx & 0xFFFF },
    })
}

/// Resizes an unlocked EMB to `size_kb` KB, function 0Fh; its contents up
/// to the smaller size stay.
pub fn reallocate(handle: XmsHandle, size_kb: u16) -> Result<(), XmsError> {
    reallocate_with(0x0F00, handle, u32::from(size_kb))
}

/// Resizes an unlocked EMB to `size_kb` KB given in 32 bits, XMS 3.0
/// function 8Fh. Like 89h, DOSBox 0.74 uses only the low 16 bits:
/// [`reallocate_kb`] guards against that, this raw call does not.
pub fn reallocate_any(handle: XmsHandle, size_kb: u32) -> Result<(), XmsError> {
    reallocate_with(0x8F00, handle, size_kb)
}

/// Function 0Fh (AX = 0F00h, size in BX) or 8Fh (AX = 8F00h, size in
/// EBX), in one call as [`allocate_with`].
fn reallocate_with(function: u16, handle: XmsHandle, size_kb: u32) -> Result<(), XmsError> {
    entry()?;
    let (ax, ebx): (u16, u32);
    // SAFETY: far call, function 0Fh/8Fh: DX = handle, BX/EBX = new size in
    // KB; AX = status, BL = error.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") function => ax, inout("ebx") size_kb => ebx, in("dx") handle.raw(),
             options(att_syntax));
    }
    xms_result(ax, ebx as u8)
}

/// Resizes an unlocked EMB: function 8Fh on an XMS 3.0 driver, else 0Fh.
/// Sizes of 64 MB and more are refused with [`XmsError::SIZE_TOO_LARGE`]
/// when the driver cannot take them (so a cut size never shrinks a block).
pub fn reallocate_kb(handle: XmsHandle, size_kb: u32) -> Result<(), XmsError> {
    entry()?;
    if size_kb > 0xFFFF && !wide_sizes()? {
        return Err(XmsError::SIZE_TOO_LARGE);
    }
    // (Below 64 MB on a 2.0 driver: the size fits BX.)
    reallocate_with(if is_v3() { 0x8F00 } else { 0x0F00 }, handle, size_kb)
}

/// Requests an upper memory block of `size` paragraphs, function 10h:
/// its segment and size. On failure the error and DX: the driver answers
/// B0h with the size of the largest free block when only a smaller one is
/// free (so `size` FFFFh asks for that size), B1h when none is (also when
/// DOS owns every UMB, `DOS=UMB`). A UMB belongs to no program: give it
/// back with [`release_umb`] (Jemm386 keeps it taken after the program
/// ends).
pub fn request_umb(size: Paragraphs) -> Result<(Segment, Paragraphs), (XmsError, Paragraphs)> {
    entry().map_err(|e| (e, Paragraphs(0)))?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call, function 10h: DX = paragraphs; returns AX = status,
    // BX = segment (BL = error), DX = size or the largest free.
    unsafe {
        asm!("lcallw *{entry}", entry = sym ENTRY,
             inout("ax") 0x1000u16 => ax, out("bx") bx, inout("dx") size.0 => dx,
             options(att_syntax));
    }
    match xms_result(ax, bx as u8) {
        Ok(()) => Ok((Segment::new(bx), Paragraphs(dx))),
        Err(e) => Err((e, Paragraphs(dx))),
    }
}

/// Gives back an upper memory block got with [`request_umb`], function 11h.
pub fn release_umb(seg: Segment) -> Result<(), XmsError> {
    entry()?;
    // Tried up to RELEASE_TRIES times (`released`).
    super::released(|| {
        let (ax, bx): (u16, u16);
        // SAFETY: far call, function 11h: DX = segment; AX = status, BL = error.
        unsafe {
            asm!("lcallw *{entry}", entry = sym ENTRY,
                 inout("ax") 0x1100u16 => ax, out("bx") bx, in("dx") seg.value(),
                 options(att_syntax));
        }
        xms_result(ax, bx as u8)
    })
}

/// Takes the largest free upper memory block whole if it has at least
/// `size` paragraphs (function 10h twice: its size, then the block):
/// its segment. Whole, not `size` of it: Jemm386 and JemmEx do not merge
/// the pieces of a block they split once the pieces are released, so a
/// block asked for in part stays cut in two until the machine reboots
/// (measured: after 2,048 of 3,576 paragraphs came and went, 3,500 could
/// no longer be had).
#[cfg_attr(feature = "dos", optimize(size))]
pub fn request_umb_whole(size: Paragraphs) -> Option<Segment> {
    let largest = match request_umb(Paragraphs(0xFFFF)) {
        Err((XmsError::SMALLER_UMB, largest)) => largest,
        _ => return None,
    };
    if largest < size {
        return None;
    }
    request_umb(largest).ok().map(|(seg, _)| seg)
}
