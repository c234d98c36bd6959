//! The disk swap store: one file with a unique name (INT 21h AH=5Ah) in the
//! directory named by `TMP`, grown on demand, deleted at `_vheapterm` (or,
//! through the exit guard, when the program ends without it).

use super::arena::DosArena;
use super::store::Dir;
use crate::dos::disk;
use crate::dos::exitguard;
use crate::dos::far::{FarPtr, Segment};
use crate::dos::file::{self, File, SeekFrom};
use crate::vmm::BackendError;

/// The swap file. Its name is kept only in the exit guard's record, which
/// holds it anyway while the heap is open (a second copy here was 80 bytes
/// of each store slot in the C library's `.bss`, and of the stack frames
/// that open one: `_vheapinit`'s path is the library's deepest).
#[derive(Debug)]
pub struct DiskStore {
    file: File,
    size: u32,
    drive: u8,
}

/// Growth step: DOS allocates clusters as the file grows; asking in 64 KiB
/// steps keeps the number of calls (and of FAT updates) small.
const GROW_STEP: u32 = 0x1_0000;
const _: () = assert!(GROW_STEP.is_power_of_two());

/// The first piece written when the file is created: one sector.
const FIRST_SECTOR: u32 = 512;

/// The largest piece one INT 21h read or write moves (a multiple of 16, so
/// arena pointers stay paragraph aligned).
const PIECE: u32 = 0x8000;

impl DiskStore {
    /// Creates the swap file in `%TMP%` and writes its first sector; fails
    /// with `ABSENT` (leaving no file behind) if `TMP` is not set, the
    /// directory is not usable or the file cannot hold that sector.
    // Not inlined: inside `_vheapinit`'s large frame the same code takes
    // about 260 bytes more (measured with `make cabi`).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn open() -> Result<Self, BackendError> {
        // DOS writes the new file's name after the directory, in place:
        // in the exit guard's record, which deletes the file by that name at
        // `close`, or if the program ends before `_vheapterm`.
        let mut drive = 0;
        let file = exitguard::track_new_file(|path| {
            let dir_len = file::tmp_dir_into(path)?;
            // The drive whose free space limits the file.
            drive = file::drive_of(&path[..dir_len]);
            File::create_unique_after(path, dir_len).ok()
        })
        .ok_or(BackendError::ABSENT)?;
        let mut store = Self {
            file,
            size: 0,
            drive,
        };
        // A file that cannot hold one sector (full drive, or one that does
        // not store what is written) is no swap store: say so now, as the
        // status flags (`fVmDisableDisk`, `fhVm`), rather than at the first
        // block that needs it. The free space is asked first: DOSBox 0.74's
        // FAT image driver reports a write to an empty file on a full drive
        // as done.
        let room = disk::disk_free_bytes(drive).is_none_or(|free| free >= FIRST_SECTOR);
        let end = if room {
            store.write_filler(FIRST_SECTOR).unwrap_or(0)
        } else {
            0
        };
        if end < FIRST_SECTOR {
            store.close();
            return Err(BackendError::ABSENT);
        }
        store.size = end;
        Ok(store)
    }

    /// Closes and deletes the swap file (by the name the exit guard holds).
    pub fn close(self) {
        let _ = self.file.close();
        let _ = exitguard::delete_tracked_file();
    }

    /// The DOS handle of the swap file (`fhVm`).
    pub fn handle(&self) -> u16 {
        self.file.handle()
    }

    /// Current size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Grows the file to at least `min_size` bytes and returns its new size:
    /// the next 64 KiB step, or less when the drive has less room, but at
    /// least `min_size`. Fails with `FULL` if the drive cannot hold
    /// `min_size` bytes; the file may then have grown part of the way
    /// (kept: [`size`](Self::size) is what the file system reports, and a
    /// later call starts from there), and its old contents are unchanged.
    ///
    /// The file grows by writing real bytes from its end (see
    /// `write_filler`), and its size is then taken
    /// from the file system (seek to the
    /// end, INT 21h 4202h). Not by seeking past the end and writing 0 bytes
    /// there: MS-DOS extends a file that way, but DOSBox 0.74's FAT image
    /// driver answers such a seek with the old end and ignores the write,
    /// and a library must not depend on one file system's leniency.
    // Out of line: inlined into the swap allocator it took 32 bytes more.
    #[inline(never)]
    pub fn grow(&mut self, min_size: u32) -> Result<u32, BackendError> {
        if min_size <= self.size {
            return Ok(self.size);
        }
        // The next step boundary (a power of two: a mask), or the largest
        // size when there is none.
        let mut target = min_size
            .checked_add(GROW_STEP - 1)
            .map_or(u32::MAX, |end| end & !(GROW_STEP - 1));
        // Ask for no more than the drive has (whole paragraphs), so a nearly
        // full drive still gives what it has instead of refusing the step.
        if let Some(free) = disk::disk_free_bytes(self.drive) {
            let room = self.size.saturating_add(free & !15);
            if room < min_size {
                return Err(BackendError::FULL);
            }
            target = target.min(room);
        }
        let end = self.write_filler(target)?;
        self.size = end;
        if end >= min_size {
            Ok(end)
        } else {
            Err(BackendError::FULL)
        }
    }

    /// Writes bytes from the end of the file up to `target` bytes, stopping
    /// early when DOS stores less than asked (disk full), and returns the
    /// size the file system then reports.
    ///
    /// What is written does not matter: the core writes every piece of swap
    /// space before it reads it (a block never written out is zero-filled
    /// in the cache without I/O). So the bytes come from the program's own
    /// segment, in pieces of up to 32 KiB: no buffer on the stack (the C
    /// library's stack is conventional memory: a 512-byte buffer of zeros
    /// here was the deepest frame of `_vheapinit`) and 2 calls per 64 KiB
    /// step instead of 128.
    fn write_filler(&mut self, target: u32) -> Result<u32, BackendError> {
        let filler = FarPtr::new(Segment::data(), 0);
        let mut at = self
            .file
            .seek(SeekFrom::Start, self.size as i32)
            .map_err(|_| BackendError::IO)?;
        while at < target {
            let n = (target - at).min(PIECE) as u16;
            // SAFETY: any 32 KiB from offset 0 of the program's own segment
            // are readable memory, and DOS only reads them.
            match unsafe { self.file.write_far(filler, n) } {
                Ok(w) => {
                    at += w as u32;
                    if w < usize::from(n) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        self.file
            .seek(SeekFrom::End, 0)
            .map_err(|_| BackendError::IO)
    }

    /// Copies `len` bytes between file offset `file_at` and arena offset
    /// `arena_at`, in direction `dir`. A short write means the disk is full.
    pub fn copy(
        &mut self,
        dir: Dir,
        arena: &DosArena,
        file_at: u32,
        arena_at: u32,
        len: u32,
    ) -> Result<(), BackendError> {
        let file = &mut self.file;
        file.seek(SeekFrom::Start, file_at as i32)
            .map_err(|_| BackendError::IO)?;
        let mut done = 0;
        while done < len {
            let n = (len - done).min(PIECE);
            let far = arena.far(arena_at + done);
            // SAFETY: the arena range is inside the cache (core contract),
            // which no Rust reference covers.
            let moved = unsafe { file.read_or_write_far(dir == Dir::ToArena, far, n as u16) };
            match moved {
                Ok(m) if m == n as usize => {}
                Ok(_) if dir == Dir::FromArena => return Err(BackendError::FULL),
                _ => return Err(BackendError::IO),
            }
            done += n;
        }
        Ok(())
    }
}
