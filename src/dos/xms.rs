//! The XMS driver (HIMEM.SYS or DOSBox's built-in one), eXtended Memory
//! Specification 3.0.
//!
//! Detected through INT 2Fh AX=4300h; its entry point comes from AX=4310h
//! and is far-called with the function number in AH. Every function returns
//! AX = 1 on success, or AX = 0 with an error code in BL: [`xms_result`] is
//! the one adapter for that convention.

use core::arch::asm;
use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use super::far::FarPtr;

/// An XMS error code (BL after a failed call), XMS 3.0 spec appendix.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct XmsError(pub u8);

impl XmsError {
    /// 80h: function not implemented.
    pub const NOT_IMPLEMENTED: Self = Self(0x80);
    /// A0h: all extended memory is allocated.
    pub const OUT_OF_MEMORY: Self = Self(0xA0);
    /// A1h: all available extended memory handles are allocated.
    pub const OUT_OF_HANDLES: Self = Self(0xA1);
    /// A2h: invalid handle.
    pub const INVALID_HANDLE: Self = Self(0xA2);
    /// A7h: invalid length (odd move length).
    pub const INVALID_LENGTH: Self = Self(0xA7);
    /// ABh: block is locked.
    pub const BLOCK_LOCKED: Self = Self(0xAB);
    /// Not an XMS code: no XMS driver is installed.
    pub const NO_DRIVER: Self = Self(0x00);
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

/// The driver entry (seg << 16 | off), 0 until [`detect`] found one.
static ENTRY: AtomicU32 = AtomicU32::new(0);

/// Whether an XMS driver is installed (INT 2Fh AX=4300h returns AL=80h);
/// if so, fetches and remembers its entry point (AX=4310h, ES:BX).
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
    ENTRY.store((u32::from(seg) << 16) | u32::from(off), Ordering::Relaxed);
    true
}

fn entry() -> Result<FarPtr, XmsError> {
    match ENTRY.load(Ordering::Relaxed) {
        0 => Err(XmsError::NO_DRIVER),
        e => Ok(FarPtr::new(super::Segment::new((e >> 16) as u16), e as u16)),
    }
}

/// The driver's version: (XMS version BCD, driver revision BCD, HMA exists)
/// from function 00h.
pub fn version() -> Result<(u16, u16, bool), XmsError> {
    let entry = entry()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call into the XMS driver, function 00h: returns AX, BX, DX.
    unsafe {
        asm!("lcallw *({p:e})", p = in(reg) &entry as *const FarPtr,
             inout("ax") 0x0000u16 => ax, out("bx") bx, out("dx") dx,
             options(att_syntax));
    }
    Ok((ax, bx, dx == 1))
}

/// Free extended memory in KB: (largest block, total), function 08h.
pub fn query_free() -> Result<(u16, u16), XmsError> {
    let entry = entry()?;
    let (ax, bx, dx): (u16, u16, u16);
    // SAFETY: far call, function 08h: AX = largest, DX = total, BL = error.
    unsafe {
        asm!("lcallw *({p:e})", p = in(reg) &entry as *const FarPtr,
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
    let entry = entry()?;
    let (eax, ebx, edx): (u32, u32, u32);
    // SAFETY: far call, function 88h: EAX = largest, EDX = total, ECX =
    // highest address, BL = error.
    unsafe {
        asm!("lcallw *({p:e})", p = in(reg) &entry as *const FarPtr,
             inout("eax") 0x8800u32 => eax, out("ebx") ebx, out("ecx") _, out("edx") edx,
             options(att_syntax));
    }
    if ebx & 0xFF != 0 {
        return Err(XmsError(ebx as u8));
    }
    Ok((eax, edx))
}
