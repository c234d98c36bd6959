//! DOS error codes (INT 21h, carry set, code in AX) and the one adapter
//! from that convention to a `Result`, [`dos_result`].

use core::fmt;

/// An INT 21h error code as DOS returns it in AX with the carry flag set
/// (Ralf Brown's Interrupt List, table 01680 "DOS error codes").
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct DosError(pub u16);

impl DosError {
    /// 01h: function number invalid.
    pub const INVALID_FUNCTION: Self = Self(0x01);
    /// 02h: file not found.
    pub const FILE_NOT_FOUND: Self = Self(0x02);
    /// 03h: path not found.
    pub const PATH_NOT_FOUND: Self = Self(0x03);
    /// 04h: too many open files (no handles left).
    pub const TOO_MANY_OPEN_FILES: Self = Self(0x04);
    /// 05h: access denied.
    pub const ACCESS_DENIED: Self = Self(0x05);
    /// 06h: invalid handle.
    pub const INVALID_HANDLE: Self = Self(0x06);
    /// 07h: memory control block destroyed.
    pub const MCB_DESTROYED: Self = Self(0x07);
    /// 08h: insufficient memory.
    pub const INSUFFICIENT_MEMORY: Self = Self(0x08);
    /// 09h: memory block address invalid.
    pub const INVALID_BLOCK: Self = Self(0x09);
    /// 12h: no more files (a search found nothing more).
    pub const NO_MORE_FILES: Self = Self(0x12);
    /// 50h: file exists.
    pub const FILE_EXISTS: Self = Self(0x50);
    /// Not a DOS code: a write stored fewer bytes than asked (disk full).
    pub const SHORT_WRITE: Self = Self(0xFF00);
    /// Not a DOS code: a read returned fewer bytes than asked (end of file).
    pub const SHORT_READ: Self = Self(0xFF01);
    /// Not a DOS code: an argument the layer refuses before calling DOS
    /// (a buffer that does not fit a 16-bit offset, a name too long...).
    pub const BAD_ARGUMENT: Self = Self(0xFF02);

    /// The spec's name for the code, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::INVALID_FUNCTION => "invalid function",
            Self::FILE_NOT_FOUND => "file not found",
            Self::PATH_NOT_FOUND => "path not found",
            Self::TOO_MANY_OPEN_FILES => "too many open files",
            Self::ACCESS_DENIED => "access denied",
            Self::INVALID_HANDLE => "invalid handle",
            Self::MCB_DESTROYED => "memory control block destroyed",
            Self::INSUFFICIENT_MEMORY => "insufficient memory",
            Self::INVALID_BLOCK => "invalid memory block address",
            Self::NO_MORE_FILES => "no more files",
            Self::FILE_EXISTS => "file exists",
            Self::SHORT_WRITE => "short write (disk full)",
            Self::SHORT_READ => "short read (end of file)",
            Self::BAD_ARGUMENT => "bad argument",
            _ => "DOS error",
        }
    }
}

/// The one adapter from INT 21h's return convention to a `Result`: carry
/// set means AX holds an error code, carry clear means AX holds the result.
/// `carry` is the byte `setc` writes right after `int 0x21` (0 = clear).
#[inline]
pub(crate) fn dos_result(carry: u8, ax: u16) -> Result<u16, DosError> {
    if carry != 0 {
        Err(DosError(ax))
    } else {
        Ok(ax)
    }
}

impl fmt::Debug for DosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DosError({:#04x}: {})", self.0, self.name())
    }
}

impl fmt::Display for DosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:02X}h)", self.name(), self.0)
    }
}

/// How many times a release (XMS free and release UMB, EMS deallocate,
/// DOS close, delete and free memory) is tried before its refusal is
/// reported: a driver or DOS that refuses once (a busy EMM, a transient
/// critical error answered Fail) gets a second and a third chance at once,
/// and what is still refused stays recorded by the exit guard
/// ([`exitguard`](super::exitguard)) to be tried again later.
pub const RELEASE_TRIES: u8 = 3;

/// Runs the release `call` until it succeeds, at most [`RELEASE_TRIES`]
/// times; the last answer. A release may be repeated: one the driver took
/// answers an error the second time (an unknown handle), never frees
/// something else, and the answer that counts is the first success.
#[inline(always)]
pub(crate) fn released<E>(mut call: impl FnMut() -> Result<(), E>) -> Result<(), E> {
    let mut left = RELEASE_TRIES;
    loop {
        let r = call();
        left -= 1;
        if r.is_ok() || left == 0 {
            return r;
        }
    }
}
