//! Files through INT 21h handles: create, create-unique, open, read, write,
//! seek, close, delete, redirect, and [`TempFile`], a file with a unique name
//! in the `TMP` directory. Every call turns DOS's carry + AX convention into
//! a `Result` through `dos::error::dos_result`.

use core::arch::asm;

use super::far::{near_offset, FarPtr};
use super::{dos_result, env, DosError};

/// A DOS file handle that is closed when dropped.
#[derive(Debug)]
pub struct File {
    handle: u16,
}

/// How [`File::open`] opens a file (INT 21h AH=3Dh access mode in AL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Access {
    /// Read only.
    Read = 0,
    /// Write only.
    Write = 1,
    /// Read and write.
    ReadWrite = 2,
}

/// Where [`File::seek`] counts from (INT 21h AH=42h origin in AL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SeekFrom {
    /// From the start of the file.
    Start = 0,
    /// From the current position.
    Current = 1,
    /// From the end of the file.
    End = 2,
}

/// The longest ASCIZ path this layer passes to DOS (64 + drive + name + NUL).
pub const MAX_PATH: usize = 80;

/// Whether `s` holds a NUL byte. A byte loop, not `contains(&0)`: that
/// links core's word-wise memchr (about 250 bytes with its callers) into
/// the C library.
#[allow(clippy::manual_contains)]
pub fn has_nul(s: &[u8]) -> bool {
    s.iter().any(|&b| b == 0)
}

/// An ASCIZ copy of `path` in a near buffer, as DOS wants it in DS:DX.
fn asciiz(path: &[u8], buf: &mut [u8; MAX_PATH]) -> Result<u32, DosError> {
    if path.len() >= MAX_PATH || has_nul(path) {
        return Err(DosError::BAD_ARGUMENT);
    }
    buf[..path.len()].copy_from_slice(path);
    buf[path.len()] = 0;
    Ok(near_offset(buf.as_ptr()))
}

impl File {
    /// Creates (or truncates) `path` (INT 21h AH=3Ch, attribute 0).
    pub fn create(path: &[u8]) -> Result<Self, DosError> {
        let mut buf = [0u8; MAX_PATH];
        let name = asciiz(path, &mut buf)?;
        let (ax, carry): (u16, u8);
        // SAFETY: DS:DX = ASCIZ name in our segment; DOS returns AX and carry.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x3C00u16 => ax, in("cx") 0u16, in("edx") name);
        }
        dos_result(carry, ax).map(|handle| Self { handle })
    }

    /// Creates a new file with a unique name in directory `dir` (INT 21h
    /// AH=5Ah, DOS 3.0+). `dir` must end with a backslash or be empty for the
    /// current directory; the full name DOS chose is written to `name_out`
    /// (ASCIZ) and its length without the NUL returned with the handle.
    pub fn create_unique(
        dir: &[u8],
        name_out: &mut [u8; MAX_PATH],
    ) -> Result<(Self, usize), DosError> {
        if dir.len() + 14 > MAX_PATH {
            return Err(DosError::BAD_ARGUMENT);
        }
        *name_out = [0; MAX_PATH];
        name_out[..dir.len()].copy_from_slice(dir);
        Self::create_unique_at(name_out, dir.len())
    }

    /// [`create_unique`](Self::create_unique) in one buffer: `path` holds
    /// the directory in its first `dir_len` bytes, and DOS appends the name
    /// it chose there (ASCIZ); returns the handle and the full name's
    /// length without the NUL. What follows the directory is overwritten,
    /// and the buffer's last byte is 0 afterwards (the name DOS writes ends
    /// before it).
    pub fn create_unique_at(
        path: &mut [u8; MAX_PATH],
        dir_len: usize,
    ) -> Result<(Self, usize), DosError> {
        // A directory with a NUL in it; `create_unique_after` checks its
        // length (one that leaves no room for the name).
        if path.get(..dir_len).is_none_or(has_nul) {
            return Err(DosError::BAD_ARGUMENT);
        }
        Self::create_unique_after(path, dir_len)
    }

    /// [`create_unique_at`](Self::create_unique_at) for a directory known
    /// to hold no NUL (not looked for again): one that
    /// [`tmp_dir_into`] wrote, from an environment string, which ends at
    /// its first NUL. (The swap file's; the look was 25 bytes of the C
    /// library.)
    pub(crate) fn create_unique_after(
        path: &mut [u8; MAX_PATH],
        dir_len: usize,
    ) -> Result<(Self, usize), DosError> {
        // DOS appends a 12-byte name (8 characters + ".") plus NUL to the path
        // in place, so the buffer must have room for it.
        // (Not `dir_len + 14 > MAX_PATH`, which could wrap: this way the
        // indexing below is provably in bounds, with no panic path.)
        if dir_len > MAX_PATH - 14 {
            return Err(DosError::BAD_ARGUMENT);
        }
        debug_assert!(!has_nul(&path[..dir_len]));
        // The directory made ASCIZ, and the last byte 0 (not the whole
        // rest cleared: the C library would carry `memset` for that).
        path[dir_len] = 0;
        path[MAX_PATH - 1] = 0;
        let name = near_offset(path.as_ptr());
        let (ax, carry): (u16, u8);
        // SAFETY: DS:DX = ASCIZ directory in a buffer with room for the name
        // DOS appends; CX = attribute 0 (normal file).
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x5A00u16 => ax, in("cx") 0u16, in("edx") name);
        }
        let handle = dos_result(carry, ax)?;
        let len = path.iter().position(|&b| b == 0).unwrap_or(MAX_PATH);
        Ok((Self { handle }, len))
    }

    /// Opens an existing file (INT 21h AH=3Dh).
    pub fn open(path: &[u8], access: Access) -> Result<Self, DosError> {
        let mut buf = [0u8; MAX_PATH];
        let name = asciiz(path, &mut buf)?;
        let (ax, carry): (u16, u8);
        // SAFETY: DS:DX = ASCIZ name; AL = access mode.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x3D00u16 | access as u16 => ax, in("edx") name);
        }
        dos_result(carry, ax).map(|handle| Self { handle })
    }

    /// Wraps an already open handle (e.g. 1 = stdout) without taking
    /// ownership of closing it.
    pub const fn from_raw(handle: u16) -> core::mem::ManuallyDrop<Self> {
        core::mem::ManuallyDrop::new(Self { handle })
    }

    /// The DOS handle number.
    pub fn handle(&self) -> u16 {
        self.handle
    }

    /// Reads up to `buf.len()` bytes (INT 21h AH=3Fh); returns how many were
    /// read (0 at end of file).
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, DosError> {
        let count = u16::try_from(buf.len()).map_err(|_| DosError::BAD_ARGUMENT)?;
        // SAFETY: DS:DX = `buf`, which is writable and CX bytes long.
        unsafe { self.read_far(FarPtr::from_near(buf.as_mut_ptr()), count) }
    }

    /// Reads up to `count` bytes into far memory at `dst` (INT 21h AH=3Fh).
    ///
    /// # Safety
    /// `dst` must point to `count` writable bytes that no Rust reference covers.
    pub unsafe fn read_far(&mut self, dst: FarPtr, count: u16) -> Result<usize, DosError> {
        // SAFETY: forwarded to the caller.
        unsafe { self.read_or_write_far(true, dst, count) }
    }

    /// Reads into `far` (`read`, INT 21h AH=3Fh) or writes from it (AH=40h)
    /// `count` bytes: the two calls take the same registers, so a caller
    /// that chooses the direction at run time carries one copy of the call.
    ///
    /// # Safety
    /// `far` must point to `count` readable bytes, and for a read writable
    /// ones that no Rust reference covers.
    pub unsafe fn read_or_write_far(
        &mut self,
        read: bool,
        far: FarPtr,
        count: u16,
    ) -> Result<usize, DosError> {
        let function: u16 = if read { 0x3F00 } else { 0x4000 };
        let (ax, carry): (u16, u8);
        // SAFETY: DS:DX = far (by the caller's promise), BX = handle, CX =
        // count. DS is saved and restored inside the block.
        unsafe {
            asm!("push ds", "mov ds, {seg:x}", "int 0x21", "pop ds", "setc {c}",
                 seg = in(reg) far.seg.value(), c = lateout(reg_byte) carry,
                 inout("ax") function => ax, in("bx") self.handle, in("cx") count,
                 in("edx") far.off as u32);
        }
        dos_result(carry, ax).map(usize::from)
    }

    /// Writes `buf` (INT 21h AH=40h); returns how many bytes DOS stored,
    /// which is less than asked when the disk is full.
    pub fn write(&mut self, buf: &[u8]) -> Result<usize, DosError> {
        let count = u16::try_from(buf.len()).map_err(|_| DosError::BAD_ARGUMENT)?;
        // SAFETY: DS:DX = `buf`, readable, CX bytes long.
        unsafe { self.write_far(FarPtr::from_near(buf.as_ptr()), count) }
    }

    /// Writes `count` bytes from far memory at `src` (INT 21h AH=40h).
    ///
    /// # Safety
    /// `src` must point to `count` readable bytes.
    pub unsafe fn write_far(&mut self, src: FarPtr, count: u16) -> Result<usize, DosError> {
        // SAFETY: forwarded to the caller.
        unsafe { self.read_or_write_far(false, src, count) }
    }

    /// Writes all of `buf`, failing with [`DosError::SHORT_WRITE`] if DOS
    /// stores fewer bytes (disk full).
    pub fn write_all(&mut self, buf: &[u8]) -> Result<(), DosError> {
        match self.write(buf)? {
            n if n == buf.len() => Ok(()),
            _ => Err(DosError::SHORT_WRITE),
        }
    }

    /// Reads exactly `buf.len()` bytes, failing with
    /// [`DosError::SHORT_READ`] at end of file.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), DosError> {
        match self.read(buf)? {
            n if n == buf.len() => Ok(()),
            _ => Err(DosError::SHORT_READ),
        }
    }

    /// Moves the file pointer (INT 21h AH=42h); returns the new position.
    pub fn seek(&mut self, from: SeekFrom, offset: i32) -> Result<u32, DosError> {
        let off = offset as u32;
        let (ax, dx, carry): (u16, u16, u8);
        // SAFETY: BX = handle, CX:DX = offset, AL = origin; DOS returns DX:AX.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x4200u16 | from as u16 => ax, in("bx") self.handle,
                 in("cx") (off >> 16) as u16, inout("dx") off as u16 => dx);
        }
        dos_result(carry, ax).map(|lo| (u32::from(dx) << 16) | u32::from(lo))
    }

    /// Closes the handle (INT 21h AH=3Eh), reporting DOS's answer.
    pub fn close(self) -> Result<(), DosError> {
        let handle = self.handle;
        core::mem::forget(self);
        close_handle(handle)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // Errors on drop have nowhere to go; `close` reports them.
        let _ = close_handle(self.handle);
    }
}

// Tried up to RELEASE_TRIES times (`released`).
fn close_handle(handle: u16) -> Result<(), DosError> {
    super::released(|| {
        let (ax, carry): (u16, u8);
        // SAFETY: BX = handle; no memory is touched.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x3E00u16 => ax, in("bx") handle);
        }
        dos_result(carry, ax).map(|_| ())
    })
}

/// Makes handle `target` refer to the same file as `source` (INT 21h
/// AH=46h, "force duplicate"), e.g. to send stderr to a file.
pub fn redirect_handle(source: u16, target: u16) -> Result<(), DosError> {
    let (ax, carry): (u16, u8);
    // SAFETY: BX = existing handle, CX = handle to redirect; no memory touched.
    unsafe {
        asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
             inout("ax") 0x4600u16 => ax, in("bx") source, in("cx") target);
    }
    dos_result(carry, ax).map(|_| ())
}

/// Deletes a file (INT 21h AH=41h).
pub fn delete(path: &[u8]) -> Result<(), DosError> {
    let mut buf = [0u8; MAX_PATH];
    asciiz(path, &mut buf)?;
    delete_asciz(&buf)
}

/// Deletes the file named by the ASCIZ string at the start of `name` (INT
/// 21h AH=41h), where it lies: for a name already held in a buffer (the
/// swap file's), no copy of it on the stack. Refused unless the buffer's
/// last byte is 0, so that DOS reads no further than the buffer.
pub fn delete_asciz(name: &[u8; MAX_PATH]) -> Result<(), DosError> {
    if name[MAX_PATH - 1] != 0 {
        return Err(DosError::BAD_ARGUMENT);
    }
    let name = near_offset(name.as_ptr());
    // Tried up to RELEASE_TRIES times (`released`).
    super::released(|| {
        let (ax, carry): (u16, u8);
        // SAFETY: DS:DX = ASCIZ name.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x4100u16 => ax, in("edx") name);
        }
        dos_result(carry, ax).map(|_| ())
    })
}

/// The current disk transfer area (INT 21h AH=2Fh, ES:BX).
fn get_dta() -> FarPtr {
    let (seg, off): (u16, u16);
    // SAFETY: AH=2Fh returns ES:BX; ES is saved and restored in the block.
    unsafe {
        asm!("push es", "int 0x21", "mov {seg:x}, es", "pop es",
             seg = out(reg) seg, inout("ax") 0x2F00u16 => _, out("bx") off);
    }
    FarPtr::new(super::Segment::new(seg), off)
}

/// Sets the disk transfer area (INT 21h AH=1Ah, DS:DX).
///
/// # Safety
/// `dta` must stay valid (128 bytes writable) for as long as DOS may write
/// search results there.
unsafe fn set_dta(dta: FarPtr) {
    // SAFETY: DS:DX = dta; DS is restored in the block.
    unsafe {
        asm!("push ds", "mov ds, {seg:x}", "int 0x21", "pop ds",
             seg = in(reg) dta.seg.value(), inout("ax") 0x1A00u16 => _, in("dx") dta.off);
    }
}

/// Whether any file matches `pattern` (wildcards allowed, e.g.
/// `C:\TMP\*.*`), by INT 21h AH=4Eh "find first" with normal, hidden and
/// system files. The search writes into a transfer area of its own and
/// puts the previous one back, so the command tail at PSP:80h (DOS's
/// default transfer area) is not overwritten.
pub fn any_match(pattern: &[u8]) -> Result<bool, DosError> {
    let mut buf = [0u8; MAX_PATH];
    let name = asciiz(pattern, &mut buf)?;
    let mut dta = [0u8; 128];
    let old = get_dta();
    // SAFETY: `dta` outlives the search below, after which the old DTA is back.
    unsafe { set_dta(FarPtr::from_near(dta.as_mut_ptr())) };
    let (ax, carry): (u16, u8);
    // SAFETY: AH=4Eh: CX = attributes (hidden + system), DS:DX = ASCIZ
    // pattern; DOS writes the match into the DTA set above.
    unsafe {
        asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
             inout("ax") 0x4E00u16 => ax, in("cx") 6u16, in("edx") name);
    }
    // SAFETY: `old` is the DTA DOS had before.
    unsafe { set_dta(old) };
    match dos_result(carry, ax) {
        Ok(_) => Ok(true),
        Err(DosError::NO_MORE_FILES) | Err(DosError::FILE_NOT_FOUND) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many files match `pattern` (wildcards allowed), by INT 21h AH=4Eh
/// "find first" and AH=4Fh "find next" with normal, hidden and system files,
/// in a transfer area of its own (the previous one is put back).
pub fn count_matches(pattern: &[u8]) -> Result<u16, DosError> {
    let mut buf = [0u8; MAX_PATH];
    let name = asciiz(pattern, &mut buf)?;
    let mut dta = [0u8; 128];
    let old = get_dta();
    // SAFETY: `dta` outlives the search below, after which the old DTA is back.
    unsafe { set_dta(FarPtr::from_near(dta.as_mut_ptr())) };
    let (mut ax, mut carry): (u16, u8);
    // SAFETY: AH=4Eh: CX = attributes (hidden + system), DS:DX = ASCIZ
    // pattern; DOS writes the match into the DTA set above.
    unsafe {
        asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
             inout("ax") 0x4E00u16 => ax, in("cx") 6u16, in("edx") name);
    }
    let mut count = 0u16;
    while carry == 0 {
        count += 1;
        // SAFETY: AH=4Fh continues the search kept in the DTA set above.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x4F00u16 => ax);
        }
    }
    // SAFETY: `old` is the DTA DOS had before.
    unsafe { set_dta(old) };
    match dos_result(carry, ax) {
        Err(DosError::NO_MORE_FILES) | Err(DosError::FILE_NOT_FOUND) => Ok(count),
        Err(e) => Err(e),
        Ok(_) => Ok(count),
    }
}

/// The directory named by the `TMP` environment variable, as a path prefix
/// ending in a separator (a backslash is added unless it ends in `\`, `/`
/// or `:`), with room left for the 13-byte name INT 21h AH=5Ah appends.
#[derive(Clone, Copy, Debug)]
pub struct TmpDir {
    dir: [u8; MAX_PATH],
    len: usize,
}

impl TmpDir {
    /// `TMP` from the environment, or `None` if it is not set, empty or too
    /// long.
    pub fn from_env() -> Option<Self> {
        let mut dir = [0u8; MAX_PATH];
        let len = tmp_dir_into(&mut dir)?;
        Some(Self { dir, len })
    }

    /// The prefix, separator included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.dir[..self.len]
    }

    /// The drive the directory is on, as INT 21h AH=36h numbers it:
    /// 1 = A:, ... from a leading `X:`, else 0 (the current drive).
    pub fn drive(&self) -> u8 {
        drive_of(self.as_bytes())
    }

    /// The path of `name` in the directory, and its length; `None` if it
    /// does not fit [`MAX_PATH`] with its NUL.
    pub fn path(&self, name: &[u8]) -> Option<([u8; MAX_PATH], usize)> {
        let start = self.len;
        let len = start + name.len();
        if len >= MAX_PATH {
            return None;
        }
        let mut p = self.dir;
        p[start..len].copy_from_slice(name);
        Some((p, len))
    }
}

/// [`TmpDir::from_env`] into `buf`, where the caller wants it (the swap
/// file is created in that same buffer, see [`File::create_unique_at`]):
/// the prefix's length, or `None`.
pub fn tmp_dir_into(buf: &mut [u8; MAX_PATH]) -> Option<usize> {
    // `min`: `len` is at most MAX_PATH - 14, but that is `env::var`'s
    // promise; said here, the indexing below needs no checks.
    let mut len = env::var(b"TMP", &mut buf[..MAX_PATH - 14])?.min(MAX_PATH - 14);
    let last = buf[len.checked_sub(1)?];
    if !matches!(last, b'\\' | b'/' | b':') {
        buf[len] = b'\\';
        len += 1;
    }
    Some(len)
}

/// [`TmpDir::drive`] of a directory prefix `dir`.
pub fn drive_of(dir: &[u8]) -> u8 {
    match dir {
        // A letter's low five bits are its place in the alphabet, in either
        // case: 'A' and 'a' are 1. (What a non-letter gives is no drive
        // either way: DOS refuses a path on it before its space matters.)
        [d, b':', ..] => d & 0x1F,
        _ => 0,
    }
}

/// A file with a unique name that DOS chose in a directory (INT 21h
/// AH=5Ah), kept open, and deleted by [`close`](Self::close). Dropping it
/// only closes the handle (as [`File`] does) and leaves the file: its owner
/// deletes it, or records the [`name`](Self::name) with the exit guard.
#[derive(Debug)]
pub struct TempFile {
    name: [u8; MAX_PATH],
    file: File,
    /// A byte, so that the type costs its owner no padding.
    name_len: u8,
}

impl TempFile {
    /// Creates a new empty file in `dir`.
    pub fn create_in(dir: &TmpDir) -> Result<Self, DosError> {
        let mut name = [0u8; MAX_PATH];
        let (file, name_len) = File::create_unique(dir.as_bytes(), &mut name)?;
        Ok(Self {
            file,
            name,
            // `create_unique` returns a length below MAX_PATH (80).
            name_len: name_len as u8,
        })
    }

    /// The full name DOS chose (without NUL).
    pub fn name(&self) -> &[u8] {
        &self.name[..usize::from(self.name_len)]
    }

    /// The open file.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The DOS handle number.
    pub fn handle(&self) -> u16 {
        self.file.handle()
    }

    /// Closes the file and deletes it; errors have nowhere to go (the
    /// handle and name are the file's own).
    pub fn close(self) {
        let Self {
            file,
            name,
            name_len,
        } = self;
        let _ = file.close();
        let _ = delete(&name[..usize::from(name_len)]);
    }
}
