//! The expanded memory manager (LIM EMS 4.0, INT 67h).
//!
//! Detected by the device name "EMMXXXX0" at offset 0Ah of the segment the
//! INT 67h vector points to (the spec's "get interrupt vector" method), so
//! no INT 67h call is made when nothing is installed there; until
//! [`detect`] has found a manager every function here fails with
//! [`EmsError::NO_DRIVER`] instead of calling INT 67h. Every function
//! returns a status in AH (0 = success): `ems_result` is the one adapter.
//!
//! Each EMM function has one function here calling it in one `asm!` block.
//! Above those, [`PageMap`] saves and restores the whole mapping context
//! (function 4Eh), [`copy_to_ems`] / [`copy_from_ems`] move bytes between
//! conventional memory and a handle's pages through the page frame and put
//! the application's mapping back exactly as it was, and [`EmsBlock`] owns
//! a handle, deallocating it when dropped.

use core::arch::asm;
use core::fmt;
use core::mem::MaybeUninit;

use super::far::{near_offset, FarPtr, Segment};
use super::Plain;

mod block;
pub use block::EmsBlock;

/// An EMS status code (AH after a call), LIM EMS 4.0 spec.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct EmsError(pub u8);

impl EmsError {
    /// 80h: internal error in the EMM software.
    pub const SOFTWARE: Self = Self(0x80);
    /// 81h: malfunction in the expanded memory hardware.
    pub const HARDWARE: Self = Self(0x81);
    /// 83h: no EMM handle matches.
    pub const INVALID_HANDLE: Self = Self(0x83);
    /// 84h: the function is not defined.
    pub const UNDEFINED_FUNCTION: Self = Self(0x84);
    /// 85h: all EMM handles are in use.
    pub const OUT_OF_HANDLES: Self = Self(0x85);
    /// 86h: error in save or restore of the mapping context.
    pub const SAVE_RESTORE: Self = Self(0x86);
    /// 87h: more pages asked for than exist.
    pub const NOT_ENOUGH_PAGES_TOTAL: Self = Self(0x87);
    /// 88h: more pages asked for than are free.
    pub const NOT_ENOUGH_PAGES: Self = Self(0x88);
    /// 89h: zero pages asked for (function 43h). The layer returns it
    /// itself, without calling the EMM.
    pub const ZERO_PAGES: Self = Self(0x89);
    /// 8Ah: logical page out of the handle's range. The layer also returns
    /// it for copies that run past the end of an [`EmsBlock`].
    pub const BAD_LOGICAL_PAGE: Self = Self(0x8A);
    /// 8Bh: physical page out of range.
    pub const BAD_PHYSICAL_PAGE: Self = Self(0x8B);
    /// 8Dh: the handle already has a saved map (function 47h).
    pub const MAP_ALREADY_SAVED: Self = Self(0x8D);
    /// 8Eh: the handle has no saved map (function 48h).
    pub const NO_SAVED_MAP: Self = Self(0x8E);
    /// 8Fh: the subfunction is not defined.
    pub const UNDEFINED_SUBFUNCTION: Self = Self(0x8F);
    /// Not an EMS code: no expanded memory manager is installed.
    pub const NO_DRIVER: Self = Self(0x00);
    /// Not an EMS code: a conventional address range given to a copy runs
    /// past real-mode memory or overlaps the page frame the copy maps
    /// pages into. Nothing was copied.
    pub const BAD_ADDRESS: Self = Self(0x01);
    /// Not an EMS code: the EMM reports a mapping context (function 4E03h)
    /// that [`PageMap`] cannot hold (0 bytes: nothing that could be put
    /// back; the spec's AL cannot say more than 255, which fits), or more
    /// mappable pages (function 5801h) than the first megabyte has. Nothing
    /// is saved or restored then, so no copy through the frame runs.
    pub const MAP_TOO_LARGE: Self = Self(0x02);
}

impl fmt::Debug for EmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmsError({:02X}h)", self.0)
    }
}

/// The one adapter for the EMS convention: AH = 0 success, else the status.
fn ems_result(ax: u16) -> Result<(), EmsError> {
    match (ax >> 8) as u8 {
        0 => Ok(()),
        s => Err(EmsError(s)),
    }
}

/// Bytes in one EMS page.
pub const PAGE_BYTES: u32 = 16 * 1024;

/// An EMM handle (DX of functions 43h-51h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct EmsHandle(pub u16);

/// A 16 KB page of a handle, numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct LogicalPage(pub u16);

impl LogicalPage {
    /// FFFFh: mapping it unmaps the physical page (LIM EMS 4.0, function 44h).
    pub const UNMAP: Self = Self(0xFFFF);
}

/// A 16 KB window of the page frame (0-3 in a LIM 3.2 frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct PhysicalPage(pub u8);

/// Set by [`detect`] when an EMM is installed.
static PRESENT: Plain<bool> = Plain::new(false);

fn present() -> Result<(), EmsError> {
    if PRESENT.get() {
        Ok(())
    } else {
        Err(EmsError::NO_DRIVER)
    }
}

/// Whether an EMM is installed: the INT 67h vector (INT 21h AH=35h) points
/// into a segment whose device header has the name "EMMXXXX0" at 0Ah, and
/// the EMM's status (function 40h) is good.
pub fn detect() -> bool {
    let seg: u16;
    // SAFETY: INT 21h AH=35h returns the vector in ES:BX; ES is saved and
    // restored inside the block.
    unsafe {
        asm!("push es", "int 0x21", "mov {seg:x}, es", "pop es",
             seg = out(reg) seg, inout("ax") 0x3567u16 => _, out("bx") _);
    }
    if seg == 0 {
        return false;
    }
    // SAFETY: any segment:000A..0011 is readable real-mode memory. (Read
    // as two doublewords where it lies: no copy into a near buffer.)
    let name = unsafe { FarPtr::new(Segment::new(seg), 0x0A).read_u32_pair() };
    let emm = (u32::from_le_bytes(*b"EMMX"), u32::from_le_bytes(*b"XXX0"));
    let found = name == emm && raw_status().is_ok();
    PRESENT.set(found);
    found
}

/// Whether the copies of this module ([`copy_to_ems`], [`copy_from_ems`])
/// can work with the installed EMM: it is there, it has a page frame
/// (function 41h; Jemm386 with `FRAME=NONE` answers 80h), and its mapping
/// context can be saved (function 4Eh, into a [`PageMap`]). The error says
/// which step failed; a swap store must not be opened on an EMM that fails
/// here, since every transfer through it would fail.
// Not inlined: its 256-byte `PageMap` would stay in the caller's frame
// (`_vheapinit`'s) for the whole call, on top of the disk store's opening.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
pub fn copy_ready() -> Result<(), EmsError> {
    if !detect() {
        return Err(EmsError::NO_DRIVER);
    }
    page_frame()?;
    PageMap::save().map(drop)
}

/// Function 40h, called only once the device name was seen.
fn raw_status() -> Result<(), EmsError> {
    let ax: u16;
    // SAFETY: INT 67h AH=40h changes only AX.
    unsafe { asm!("int 0x67", inout("ax") 0x4000u16 => ax) };
    ems_result(ax)
}

/// Function 40h: get status.
pub fn status() -> Result<(), EmsError> {
    present()?;
    raw_status()
}

/// Function 41h: the page frame segment.
pub fn page_frame() -> Result<Segment, EmsError> {
    present()?;
    let (ax, bx): (u16, u16);
    // SAFETY: INT 67h AH=41h returns AH status, BX segment.
    unsafe { asm!("int 0x67", inout("ax") 0x4100u16 => ax, out("bx") bx) };
    ems_result(ax).map(|()| Segment::new(bx))
}

/// Function 42h: (free pages, total pages), 16 KB each.
pub fn page_counts() -> Result<(u16, u16), EmsError> {
    present()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: INT 67h AH=42h returns AH status, BX free, DX total.
    unsafe { asm!("int 0x67", inout("ax") 0x4200u16 => ax, out("bx") bx, out("dx") dx) };
    ems_result(ax).map(|()| (bx, dx))
}

/// Function 43h: allocates `pages` pages under a new handle.
///
/// LIM EMS 4.0, function 43h: zero pages is an error (89h; function 5Ah is
/// the one that may allocate none). It is refused here without calling the
/// EMM.
pub fn allocate(pages: u16) -> Result<EmsHandle, EmsError> {
    present()?;
    if pages == 0 {
        return Err(EmsError::ZERO_PAGES);
    }
    let (ax, dx): (u16, u16);
    // SAFETY: INT 67h AH=43h: BX = pages; returns AH status, DX handle.
    unsafe { asm!("int 0x67", inout("ax") 0x4300u16 => ax, in("bx") pages, out("dx") dx) };
    ems_result(ax).map(|()| EmsHandle(dx))
}

/// Function 44h: maps logical page `page` of `handle` into physical page
/// `phys` of the page frame; [`LogicalPage::UNMAP`] unmaps it instead.
pub fn map(phys: PhysicalPage, handle: EmsHandle, page: LogicalPage) -> Result<(), EmsError> {
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AH=44h: AL = physical page, BX = logical page, DX =
    // handle; returns AH status. It changes what the page frame shows, which
    // no Rust reference covers.
    unsafe {
        asm!("int 0x67", inout("ax") 0x4400u16 | u16::from(phys.0) => ax,
             in("bx") page.0, in("dx") handle.0);
    }
    ems_result(ax)
}

/// Unmaps physical page `phys` (function 44h with logical page FFFFh,
/// LIM EMS 4.0; `handle` is one of the caller's handles).
pub fn unmap(phys: PhysicalPage, handle: EmsHandle) -> Result<(), EmsError> {
    map(phys, handle, LogicalPage::UNMAP)
}

/// Function 45h: deallocates `handle` and its pages.
pub fn deallocate(handle: EmsHandle) -> Result<(), EmsError> {
    present()?;
    // Tried up to RELEASE_TRIES times (`released`).
    super::released(|| {
        let ax: u16;
        // SAFETY: INT 67h AH=45h: DX = handle; returns AH status.
        unsafe { asm!("int 0x67", inout("ax") 0x4500u16 => ax, in("dx") handle.0) };
        ems_result(ax)
    })
}

/// Function 46h: the EMM's version, BCD in one byte (40h = 4.0).
pub fn version() -> Result<u8, EmsError> {
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AH=46h returns AH status, AL version.
    unsafe { asm!("int 0x67", inout("ax") 0x4600u16 => ax) };
    ems_result(ax).map(|()| ax as u8)
}

/// Function 47h: saves the page frame's mapping in the EMM, under `handle`
/// (one save per handle; see [`PageMap`] for a save that needs no handle).
pub fn save_page_map(handle: EmsHandle) -> Result<(), EmsError> {
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AH=47h: DX = handle; returns AH status.
    unsafe { asm!("int 0x67", inout("ax") 0x4700u16 => ax, in("dx") handle.0) };
    ems_result(ax)
}

/// Function 48h: restores the mapping saved by [`save_page_map`].
pub fn restore_page_map(handle: EmsHandle) -> Result<(), EmsError> {
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AH=48h: DX = handle; returns AH status.
    unsafe { asm!("int 0x67", inout("ax") 0x4800u16 => ax, in("dx") handle.0) };
    ems_result(ax)
}

/// Function 4Bh: the number of open EMM handles (the OS handle included).
pub fn handle_count() -> Result<u16, EmsError> {
    present()?;
    let (ax, bx): (u16, u16);
    // SAFETY: INT 67h AH=4Bh returns AH status, BX count.
    unsafe { asm!("int 0x67", inout("ax") 0x4B00u16 => ax, out("bx") bx) };
    ems_result(ax).map(|()| bx)
}

/// Function 4Ch: the number of pages `handle` has.
pub fn handle_pages(handle: EmsHandle) -> Result<u16, EmsError> {
    present()?;
    let (ax, bx): (u16, u16);
    // SAFETY: INT 67h AH=4Ch: DX = handle; returns AH status, BX pages.
    unsafe { asm!("int 0x67", inout("ax") 0x4C00u16 => ax, out("bx") bx, in("dx") handle.0) };
    ems_result(ax).map(|()| bx)
}

/// Function 4E00h: copies the mapping context, `len` bytes as
/// [`page_map_size`] reports, to `buf`.
///
/// # Safety
/// `buf` must be valid for `len` bytes of writes, and `len` must be what
/// [`page_map_size`] returns.
pub unsafe fn get_page_map_unchecked(buf: *mut u8, len: u8) -> Result<(), EmsError> {
    debug_assert!(page_map_size().map_or(true, |n| n == len));
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AX=4E00h: ES:DI = buffer (ES = DS = our segment in the
    // tiny model), valid for the context's `len` bytes by the caller's
    // promise; returns AH status.
    unsafe {
        asm!("int 0x67", inout("ax") 0x4E00u16 => ax, in("edi") near_offset(buf));
    }
    ems_result(ax)
}

/// Function 4E01h: sets the mapping context from `buf`.
///
/// # Safety
/// `buf` must hold at least [`page_map_size`] bytes of a context that
/// [`get_page_map_unchecked`] returned.
pub unsafe fn set_page_map_unchecked(buf: &[u8]) -> Result<(), EmsError> {
    debug_assert!(page_map_size().map_or(true, |n| buf.len() >= usize::from(n)));
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AX=4E01h: DS:SI = buffer (DS is our segment; SI is
    // saved and restored inside the block because LLVM reserves it);
    // returns AH status.
    unsafe {
        asm!("push esi", "mov esi, {p:e}", "int 0x67", "pop esi",
             p = in(reg) near_offset(buf.as_ptr()), inout("ax") 0x4E01u16 => ax);
    }
    ems_result(ax)
}

/// Function 4E03h: the size in bytes of the mapping context that 4E00h and
/// 4E01h move (AL: at most 255 by the spec).
///
/// The size grows with the number of mappable physical pages: DOSBox has the
/// four pages of the frame (16 bytes), Jemm386 5.79 with default options
/// also makes conventional memory 4000h-9FFFh mappable (28 pages, 116
/// bytes).
pub fn page_map_size() -> Result<u8, EmsError> {
    present()?;
    let ax: u16;
    // SAFETY: INT 67h AX=4E03h returns AH status, AL size.
    unsafe { asm!("int 0x67", inout("ax") 0x4E03u16 => ax) };
    ems_result(ax).map(|()| ax as u8)
}

/// One entry of the mappable physical address array (function 5800h): a
/// physical page and the segment where it appears.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct MappablePage {
    /// The segment of the page's first byte.
    pub segment: u16,
    /// Its physical page number (AL of function 44h).
    pub page: u16,
}

const _: () = assert!(core::mem::size_of::<MappablePage>() == 4);

/// The most mappable pages there can be: all of the first megabyte.
pub const MAX_MAPPABLE: usize = 64;

/// Function 5801h: the number of mappable physical pages.
pub fn mappable_count() -> Result<u16, EmsError> {
    present()?;
    let (ax, cx): (u16, u16);
    // SAFETY: INT 67h AX=5801h returns AH status, CX count.
    unsafe { asm!("int 0x67", inout("ax") 0x5801u16 => ax, out("cx") cx) };
    ems_result(ax).map(|()| cx)
}

/// Function 5800h: the mappable physical pages (sorted by segment, the spec
/// says) into `buf`; returns how many there are. Fails with
/// [`EmsError::MAP_TOO_LARGE`] if the EMM reports more than
/// [`MAX_MAPPABLE`], without asking for the array.
pub fn mappable_pages(buf: &mut [MappablePage; MAX_MAPPABLE]) -> Result<usize, EmsError> {
    let n = usize::from(mappable_count()?);
    if n > MAX_MAPPABLE {
        return Err(EmsError::MAP_TOO_LARGE);
    }
    let ax: u16;
    // SAFETY: INT 67h AX=5800h writes CX entries of 4 bytes at ES:DI (ES =
    // DS = our segment in the tiny model); the buffer holds MAX_MAPPABLE >=
    // CX entries (checked above). Returns AH status, CX count.
    unsafe {
        asm!("int 0x67", inout("ax") 0x5800u16 => ax, out("cx") _,
             in("edi") near_offset(buf.as_mut_ptr()));
    }
    ems_result(ax).map(|()| n)
}

/// Function 51h: gives `handle` exactly `pages` pages, keeping the contents
/// of the pages it keeps; returns the new count.
pub fn reallocate(handle: EmsHandle, pages: u16) -> Result<u16, EmsError> {
    present()?;
    let (ax, bx): (u16, u16);
    // SAFETY: INT 67h AH=51h: DX = handle, BX = pages; returns AH status,
    // BX = pages now allocated.
    unsafe {
        asm!("int 0x67", inout("ax") 0x5100u16 => ax, inout("bx") pages => bx, in("dx") handle.0);
    }
    ems_result(ax).map(|()| bx)
}

/// A saved mapping context (function 4E00h), to be put back with
/// [`restore`](Self::restore): the application's own mapping, exactly.
///
/// Only the first `len` bytes are ever written (by the EMM) or read: the
/// rest of the buffer stays uninitialised, so saving a 16-byte context does
/// not clear 255 bytes first (every EMS transfer of the VMM saves one).
pub struct PageMap {
    len: u8,
    bytes: [MaybeUninit<u8>; Self::CAPACITY],
}

impl PageMap {
    /// The largest context it holds: 255 bytes, all that function 4E03h can
    /// report in AL (LIM EMS 4.0), so every conforming EMM's context fits
    /// (DOSBox's is 16 bytes, Jemm386's with default options 116). A
    /// `PageMap` lives on the stack only while a copy runs: 256 bytes.
    pub const CAPACITY: usize = 255;

    /// Saves the current mapping context.
    ///
    /// Fails with [`EmsError::MAP_TOO_LARGE`] if the EMM reports a size of
    /// 0 (no context to save, so none could be put back).
    pub fn save() -> Result<Self, EmsError> {
        let mut map = Self::empty();
        map.save_here()?;
        Ok(map)
    }

    /// A map that holds no context yet (for [`save_here`](Self::save_here)).
    const fn empty() -> Self {
        Self {
            len: 0,
            bytes: [MaybeUninit::uninit(); Self::CAPACITY],
        }
    }

    /// [`save`](Self::save) into `self`, where it lies (the copies save one
    /// per transfer: no 256-byte moves of the result).
    fn save_here(&mut self) -> Result<(), EmsError> {
        let len = page_map_size()?;
        if len == 0 || usize::from(len) > Self::CAPACITY {
            return Err(EmsError::MAP_TOO_LARGE);
        }
        // SAFETY: the buffer holds CAPACITY >= page_map_size() bytes; 4E00h
        // writes exactly that many, which `len` then marks initialised.
        unsafe { get_page_map_unchecked(self.bytes.as_mut_ptr().cast(), len) }?;
        self.len = len;
        Ok(())
    }

    /// Puts the saved mapping back.
    pub fn restore(&self) -> Result<(), EmsError> {
        // SAFETY: the first page_map_size() bytes hold a context that 4E00h
        // returned.
        unsafe { set_page_map_unchecked(self.as_bytes()) }
    }

    /// The context's bytes, as the EMM wrote them.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the EMM wrote the first `len` bytes (`save_here`).
        unsafe { core::slice::from_raw_parts(self.bytes.as_ptr().cast(), usize::from(self.len)) }
    }
}

impl PartialEq for PageMap {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for PageMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{:02X}", b)?;
        }
        Ok(())
    }
}

/// Restores a saved mapping when dropped (also on an early `?` return).
struct MapGuard<'a>(&'a PageMap);

impl MapGuard<'_> {
    fn finish(self) -> Result<(), EmsError> {
        let r = self.0.restore();
        core::mem::forget(self);
        r
    }
}

impl Drop for MapGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.restore();
    }
}

/// The physical page the copies map pages into: the first page of the frame
/// (LIM EMS 4.0, function 58h: "physical page zero contains the segment
/// returned by function 41h", also where conventional memory is mappable
/// too and the array lists those pages first).
const COPY_WINDOW: PhysicalPage = PhysicalPage(0);

/// Copies `len` bytes between conventional memory at `far` and `handle`'s
/// memory from byte `offset` of logical page `page` on, through physical
/// page 0 of the frame, one logical page at a time.
///
/// # Safety
/// As [`copy_to_ems`] or [`copy_from_ems`].
unsafe fn frame_copy(
    handle: EmsHandle,
    page: LogicalPage,
    offset: u32,
    far: FarPtr,
    len: u32,
    to_ems: bool,
) -> Result<(), EmsError> {
    let frame = page_frame()?;
    // The conventional range must exist and stay clear of the frame (64 KB),
    // whose contents change under it during the copy.
    let start = far.linear();
    if len != 0 && far.offset(len - 1).is_none() {
        return Err(EmsError::BAD_ADDRESS);
    }
    let frame_start = frame.linear();
    if start < frame_start + 4 * PAGE_BYTES && frame_start < start + len {
        return Err(EmsError::BAD_ADDRESS);
    }
    let mut pos = u32::from(page.0) * PAGE_BYTES + offset;
    let mut saved = PageMap::empty();
    saved.save_here()?;
    let guard = MapGuard(&saved);
    let mut done = 0;
    while done < len {
        let logical = pos / PAGE_BYTES;
        if logical >= 0xFFFF {
            return Err(EmsError::BAD_LOGICAL_PAGE);
        }
        let in_page = pos % PAGE_BYTES;
        let n = (len - done).min(PAGE_BYTES - in_page);
        map(COPY_WINDOW, handle, LogicalPage(logical as u16))?;
        let window = FarPtr::new(
            frame,
            (u32::from(COPY_WINDOW.0) * PAGE_BYTES + in_page) as u16,
        );
        let conv = far.offset(done).ok_or(EmsError::BAD_ADDRESS)?;
        // One call for both directions (one copy of it in the C library).
        let (src, dst) = if to_ems {
            (conv, window)
        } else {
            (window, conv)
        };
        // SAFETY: `window` is n <= 16 KB of the mapped page within the
        // frame; `conv` is normalised (offset < 16) and valid for the rest of
        // the range by the caller's promise; the two do not overlap (checked
        // above).
        unsafe { src.copy_to(dst, n as u16) }
        done += n;
        pos += n;
    }
    guard.finish()
}

/// Copies `len` bytes of conventional memory at `src` into `handle`'s
/// memory, starting at byte `offset` of logical page `page` (the offset may
/// run past 16 KB), through the page frame. The mapping of the frame is
/// exactly as before afterwards, also when the copy fails.
///
/// # Safety
/// `src` must point to `len` readable bytes outside the page frame.
pub unsafe fn copy_to_ems(
    src: FarPtr,
    handle: EmsHandle,
    page: LogicalPage,
    offset: u32,
    len: u32,
) -> Result<(), EmsError> {
    // SAFETY: forwarded to the caller.
    unsafe { frame_copy(handle, page, offset, src, len, true) }
}

/// Copies `len` bytes of `handle`'s memory, from byte `offset` of logical
/// page `page` on, to conventional memory at `dst`, through the page frame.
/// The mapping of the frame is exactly as before afterwards.
///
/// # Safety
/// `dst` must point to `len` writable bytes outside the page frame that no
/// Rust reference covers.
pub unsafe fn copy_from_ems(
    handle: EmsHandle,
    page: LogicalPage,
    offset: u32,
    dst: FarPtr,
    len: u32,
) -> Result<(), EmsError> {
    // SAFETY: forwarded to the caller.
    unsafe { frame_copy(handle, page, offset, dst, len, false) }
}
