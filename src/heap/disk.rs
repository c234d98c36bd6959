//! The disk swap store: one file with a unique name (INT 21h AH=5Ah) in the
//! directory named by `TMP`, grown on demand, deleted at `_vheapterm` (or,
//! through the exit guard, when the program ends without it).

use super::arena::DosArena;
use crate::dos::env;
use crate::dos::exitguard;
use crate::dos::file::{self, File, SeekFrom, MAX_PATH};
use crate::dos::rt;
use crate::vmm::BackendError;

/// The swap file.
#[derive(Debug)]
pub struct DiskStore {
    file: File,
    name: [u8; MAX_PATH],
    name_len: usize,
    size: u32,
    drive: u8,
}

/// Growth step: DOS allocates clusters as the file grows; asking in 64 KiB
/// steps keeps the number of calls (and of FAT updates) small.
const GROW_STEP: u32 = 0x1_0000;

/// The largest piece one INT 21h read or write moves (a multiple of 16, so
/// arena pointers stay paragraph aligned).
const PIECE: u32 = 0x8000;

impl DiskStore {
    /// Creates the swap file in `%TMP%`; fails with `ABSENT` if `TMP` is not
    /// set or the directory is not usable.
    pub fn open() -> Result<Self, BackendError> {
        let mut dir = [0u8; MAX_PATH];
        let n = env::var(b"TMP", &mut dir[..MAX_PATH - 14]).ok_or(BackendError::ABSENT)?;
        if n == 0 {
            return Err(BackendError::ABSENT);
        }
        let mut len = n;
        if dir[len - 1] != b'\\' && dir[len - 1] != b'/' && dir[len - 1] != b':' {
            dir[len] = b'\\';
            len += 1;
        }
        let mut name = [0u8; MAX_PATH];
        let (file, name_len) =
            File::create_unique(&dir[..len], &mut name).map_err(|_| BackendError::ABSENT)?;
        // Deleted by name if the program ends before `_vheapterm`.
        exitguard::track_file(&name[..name_len]);
        // The drive whose free space limits the file: "X:..." or the current one.
        let drive = if len >= 2 && dir[1] == b':' {
            dir[0].to_ascii_uppercase().wrapping_sub(b'A') + 1
        } else {
            0
        };
        Ok(Self {
            file,
            name,
            name_len,
            size: 0,
            drive,
        })
    }

    /// Closes and deletes the swap file.
    pub fn close(self) {
        let Self {
            file,
            name,
            name_len,
            ..
        } = self;
        let _ = file.close();
        let _ = file::delete(&name[..name_len]);
        exitguard::untrack_file();
    }

    /// The DOS handle of the swap file (`fhVm`).
    pub fn handle(&self) -> u16 {
        self.file.handle()
    }

    /// Current size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Grows the file to at least `min_size` bytes.
    pub fn grow(&mut self, min_size: u32) -> Result<u32, BackendError> {
        if min_size <= self.size {
            return Ok(self.size);
        }
        let new = min_size
            .div_ceil(GROW_STEP)
            .saturating_mul(GROW_STEP)
            .max(min_size);
        // Writing zero bytes at a position sets the file's size there, but
        // DOS may not say when the disk has no room for it: ask first.
        if let Some(free) = rt::disk_free_bytes(self.drive) {
            if free < new - self.size {
                return Err(BackendError::FULL);
            }
        }
        self.file
            .seek(SeekFrom::Start, new as i32)
            .map_err(|_| BackendError::IO)?;
        self.file.write(&[]).map_err(|_| BackendError::FULL)?;
        let end = self
            .file
            .seek(SeekFrom::End, 0)
            .map_err(|_| BackendError::IO)?;
        if end < new {
            return Err(BackendError::FULL);
        }
        self.size = new;
        Ok(new)
    }

    /// Copies `len` bytes from file offset `from` to arena offset `to`.
    pub fn read(
        &mut self,
        arena: &mut DosArena,
        from: u32,
        to: u32,
        len: u32,
    ) -> Result<(), BackendError> {
        self.file
            .seek(SeekFrom::Start, from as i32)
            .map_err(|_| BackendError::IO)?;
        let mut done = 0;
        while done < len {
            let n = (len - done).min(PIECE);
            // SAFETY: the arena range is inside the cache (core contract),
            // which no Rust reference covers.
            let got = unsafe { self.file.read_far(arena.far(to + done), n as u16) };
            if got != Ok(n as usize) {
                return Err(BackendError::IO);
            }
            done += n;
        }
        Ok(())
    }

    /// Copies `len` bytes from arena offset `from` to file offset `to`.
    pub fn write(
        &mut self,
        arena: &DosArena,
        from: u32,
        to: u32,
        len: u32,
    ) -> Result<(), BackendError> {
        self.file
            .seek(SeekFrom::Start, to as i32)
            .map_err(|_| BackendError::IO)?;
        let mut done = 0;
        while done < len {
            let n = (len - done).min(PIECE);
            // SAFETY: the arena range is inside the cache (core contract).
            let put = unsafe { self.file.write_far(arena.far(from + done), n as u16) };
            match put {
                Ok(w) if w == n as usize => {}
                Ok(_) => return Err(BackendError::FULL),
                Err(_) => return Err(BackendError::IO),
            }
            done += n;
        }
        Ok(())
    }
}
