//! The expanded memory manager (LIM EMS 4.0, INT 67h).
//!
//! Detected by the device name "EMMXXXX0" at offset 0Ah of the segment the
//! INT 67h vector points to (the spec's "get interrupt vector" method), so
//! no INT 67h call is made when nothing is installed there. Every function
//! returns a status in AH (0 = success): [`ems_result`] is the one adapter.

use core::arch::asm;
use core::fmt;

use super::far::{FarPtr, Segment};

/// An EMS status code (AH after a call), LIM EMS 4.0 spec.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct EmsError(pub u8);

impl EmsError {
    /// 80h: internal error in the EMM software.
    pub const SOFTWARE: Self = Self(0x80);
    /// 83h: no EMM handle matches.
    pub const INVALID_HANDLE: Self = Self(0x83);
    /// 85h: all EMM handles are in use.
    pub const OUT_OF_HANDLES: Self = Self(0x85);
    /// 87h: more pages asked for than exist.
    pub const NOT_ENOUGH_PAGES_TOTAL: Self = Self(0x87);
    /// 88h: more pages asked for than are free.
    pub const NOT_ENOUGH_PAGES: Self = Self(0x88);
    /// 89h: zero pages asked for (function 43h).
    pub const ZERO_PAGES: Self = Self(0x89);
    /// 8Ah: logical page out of the handle's range.
    pub const BAD_LOGICAL_PAGE: Self = Self(0x8A);
    /// Not an EMS code: no expanded memory manager is installed.
    pub const NO_DRIVER: Self = Self(0x00);
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

/// Whether an EMM is installed: the INT 67h vector (INT 21h AH=35h) points
/// into a segment whose device header has the name "EMMXXXX0" at 0Ah.
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
    let mut name = [0u8; 8];
    // SAFETY: any segment:000A..0011 is readable real-mode memory.
    unsafe { FarPtr::new(Segment::new(seg), 0x0A).read_bytes(&mut name) };
    &name == b"EMMXXXX0" && status().is_ok()
}

/// Function 40h: get status.
pub fn status() -> Result<(), EmsError> {
    let ax: u16;
    // SAFETY: INT 67h AH=40h changes only AX.
    unsafe { asm!("int 0x67", inout("ax") 0x4000u16 => ax) };
    ems_result(ax)
}

/// Function 41h: the page frame segment.
pub fn page_frame() -> Result<Segment, EmsError> {
    let (ax, bx): (u16, u16);
    // SAFETY: INT 67h AH=41h returns AH status, BX segment.
    unsafe { asm!("int 0x67", inout("ax") 0x4100u16 => ax, out("bx") bx) };
    ems_result(ax).map(|()| Segment::new(bx))
}

/// Function 42h: (free pages, total pages), 16 KB each.
pub fn page_counts() -> Result<(u16, u16), EmsError> {
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: INT 67h AH=42h returns AH status, BX free, DX total.
    unsafe { asm!("int 0x67", inout("ax") 0x4200u16 => ax, out("bx") bx, out("dx") dx) };
    ems_result(ax).map(|()| (bx, dx))
}

/// Function 46h: the EMM's version, BCD in one byte (40h = 4.0).
pub fn version() -> Result<u8, EmsError> {
    let ax: u16;
    // SAFETY: INT 67h AH=46h returns AH status, AL version.
    unsafe { asm!("int 0x67", inout("ax") 0x4600u16 => ax) };
    ems_result(ax).map(|()| ax as u8)
}
