//! DOS itself: which version runs (INT 21h AH=30h).

use core::arch::asm;

/// The DOS version (major, minor), INT 21h AH=30h.
pub fn dos_version() -> (u8, u8) {
    let ax: u16;
    // SAFETY: AH=30h returns AL = major, AH = minor; BX and CX carry the OEM
    // and serial numbers, which are declared clobbered.
    unsafe { asm!("int 0x21", inout("ax") 0x3000u16 => ax, out("bx") _, out("cx") _) };
    (ax as u8, (ax >> 8) as u8)
}
