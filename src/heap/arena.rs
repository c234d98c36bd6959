//! The cache arena: one block of DOS memory of dosmin..dosmax paragraphs,
//! in upper memory when one upper memory block holds it all, else in
//! conventional memory; addressed by the core with linear offsets.
//!
//! Where a bounded cache (`dosmax` not 0) goes, first that holds it:
//! 1. an upper memory block from DOS (INT 21h AH=48h with the UMB link on
//!    and strategy 41h, both put back: `mem::allocate_upper`), where DOS
//!    owns upper memory (`DOS=UMB`, DOSBox `umb=true`);
//! 2. an upper memory block from the XMS driver (function 10h), where it
//!    does not (FreeDOS or MS-DOS without `DOS=UMB` under Jemm386, JemmEx
//!    or EMM386): the largest one, whole (`xms::request_umb_whole`: the
//!    drivers do not merge a split block again), of which the cache uses
//!    `dosmax` paragraphs; the exit guard records it, since no program
//!    owns it;
//! 3. conventional memory, as MSC 7.0 (the only place with `_VM_NOUMB`,
//!    and for `_VM_ALLDOS`, which means all conventional memory).
//!
//! One block, so the cache is one linear range and a block of up to 65,530
//! bytes is contiguous wherever it lands; a cache larger than the largest
//! upper block stays in conventional memory whole (it is not split).

use crate::dos::exitguard;
use crate::dos::far::{FarPtr, Segment};
use crate::dos::mem::{self, Paragraphs};
use crate::dos::xms;
use crate::vmm::{Arena, ArenaAddr, ArenaPara, BackendError, Bytes};

/// The cache: a DOS memory block owned by the VMM between `_vheapinit` and
/// `_vheapterm`. Offset `o` is the far pointer `(base + o / 16):(o % 16)`.
#[derive(Debug)]
pub struct DosArena {
    base: Segment,
    paras: u16,
    /// Whether the block is an upper memory block of the XMS driver
    /// (released with function 11h), not a DOS memory block.
    xms_umb: bool,
}

/// The largest piece a single far copy moves. Pointers are normalised
/// (offset below 16) first, so a piece never wraps its segment.
const PIECE: u32 = 0x8000;

impl DosArena {
    /// Allocates the cache: `max_paras` (0 = all there is), but no less than
    /// `min_paras`; with `upper` a bounded cache in upper memory first (the
    /// module doc). The exit guard must be armed (it holds DOS's
    /// allocation state and an XMS upper block).
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn open(min_paras: u16, max_paras: u16, upper: bool) -> Result<Self, BackendError> {
        if upper && max_paras != 0 {
            let size = Paragraphs(max_paras);
            if let Some(base) = mem::allocate_upper(size) {
                return Ok(Self {
                    base,
                    paras: max_paras,
                    xms_umb: false,
                });
            }
            if xms::detect() {
                if let Some(base) = xms::request_umb_whole(size) {
                    exitguard::track_umb(base);
                    return Ok(Self {
                        base,
                        paras: max_paras,
                        xms_umb: true,
                    });
                }
            }
        }
        let largest = mem::largest_free().0;
        let want = if max_paras == 0 {
            largest
        } else {
            max_paras.min(largest)
        };
        if want < min_paras || want == 0 {
            return Err(BackendError::FULL);
        }
        // A bounded cache goes to the top of memory (last fit), so the
        // memory right after the program stays free for it to grow into
        // (a C program's near heap, `_nheapgrow`); `_VM_ALLDOS` takes the
        // largest block anyway.
        let base = mem::allocate_where(Paragraphs(want), max_paras != 0)
            .map_err(|_| BackendError::FULL)?;
        Ok(Self {
            base,
            paras: want,
            xms_umb: false,
        })
    }

    /// Gives the block back to DOS or the XMS driver. (Out of line: 16
    /// bytes less.)
    #[inline(never)]
    pub fn close(self) {
        if self.xms_umb {
            // Released before it is forgotten: a program ended in between
            // has it released twice, which the driver refuses harmlessly.
            // One still refused stays recorded: the exit guard tries again.
            if xms::release_umb(self.base).is_ok() {
                exitguard::untrack_umb();
            }
            return;
        }
        // SAFETY: the block is ours; after `_vheapterm` nothing refers to it
        // (every handle is invalid and `_vload` pointers expired).
        let _ = unsafe { mem::free(self.base) };
    }

    /// The segment of the arena's first byte (`segVmDos`).
    pub fn base(&self) -> Segment {
        self.base
    }

    /// The far pointer to byte `field` of paragraph `p`: `(base + p):field`.
    /// No normalising: a header field is a few bytes into its paragraph, and
    /// the arena lies below 1 MB (conventional or upper memory), so `base +
    /// p` does not wrap.
    fn field(&self, p: ArenaPara, field: Bytes) -> FarPtr {
        debug_assert!(p.to_u16() < self.paras && field.get() < 64);
        let seg = Segment::new(self.base.value().wrapping_add(p.to_u16()));
        FarPtr::new(seg, field.get() as u16)
    }

    /// The far pointer `segment:0000` to the paragraph-aligned arena
    /// position `at` (where every block's data starts).
    pub fn far_para(&self, at: ArenaAddr) -> FarPtr {
        debug_assert!(at.is_aligned() && at.offset() <= u32::from(self.paras) << 4);
        let seg = self.base.value().wrapping_add((at.offset() >> 4) as u16);
        FarPtr::new(Segment::new(seg), 0)
    }

    /// The normalised far pointer to arena offset `at`: `(base + at / 16):
    /// (at % 16)`. The arena is a DOS block or an upper memory block, below
    /// 1 MB, so the segment does not wrap (no check needed: every bookkeeping access of
    /// the core passes here).
    pub fn far(&self, at: u32) -> FarPtr {
        debug_assert!(at <= u32::from(self.paras) << 4);
        let seg = self.base.value().wrapping_add((at >> 4) as u16);
        FarPtr::new(Segment::new(seg), (at & 15) as u16)
    }
}

impl Arena for DosArena {
    fn paras(&self) -> u16 {
        self.paras
    }

    fn dos_segment(&self) -> u16 {
        self.base.value()
    }

    fn read_u8(&self, at: ArenaAddr) -> u8 {
        // SAFETY: `at` is inside the arena (the core's contract), a block we own.
        unsafe { self.far(at.offset()).read_u8() }
    }

    fn write_u8(&mut self, at: ArenaAddr, value: u8) {
        // SAFETY: as in `read_u8`; no Rust reference covers the arena.
        unsafe { self.far(at.offset()).write_u8(value) }
    }

    fn read_u16(&self, at: ArenaAddr) -> u16 {
        // SAFETY: `at` is inside the arena (the core's contract), a block we own.
        unsafe { self.far(at.offset()).read_u16() }
    }

    fn write_u16(&mut self, at: ArenaAddr, value: u16) {
        // SAFETY: as in `read_u16`; no Rust reference covers the arena.
        unsafe { self.far(at.offset()).write_u16(value) }
    }

    fn read_u32(&self, at: ArenaAddr) -> u32 {
        // SAFETY: as in `read_u16`.
        unsafe { self.far(at.offset()).read_u32() }
    }

    fn write_u32(&mut self, at: ArenaAddr, value: u32) {
        // SAFETY: as in `write_u16`.
        unsafe { self.far(at.offset()).write_u32(value) }
    }

    fn read_u32_pair(&self, at: ArenaAddr) -> (u32, u32) {
        // SAFETY: as in `read_u16`; the core passes an 8-byte entry inside
        // the arena, and `far` leaves an offset below 16.
        unsafe { self.far(at.offset()).read_u32_pair() }
    }

    fn write_u32_pair(&mut self, at: ArenaAddr, lo: u32, hi: u32) {
        // SAFETY: as in `read_u32_pair`; no Rust reference covers the arena.
        unsafe { self.far(at.offset()).write_u32_pair(lo, hi) }
    }

    fn read_field_u16(&self, p: ArenaPara, field: Bytes) -> u16 {
        // SAFETY: `p` is a paragraph of the arena and `field` a header field
        // inside its region (the core's contract).
        unsafe { self.field(p, field).read_u16() }
    }

    fn write_field_u16(&mut self, p: ArenaPara, field: Bytes, value: u16) {
        // SAFETY: as in `read_field_u16`; no Rust reference covers the arena.
        unsafe { self.field(p, field).write_u16(value) }
    }

    fn read_field_u32(&self, p: ArenaPara, field: Bytes) -> u32 {
        // SAFETY: as in `read_field_u16`.
        unsafe { self.field(p, field).read_u32() }
    }

    fn write_field_u32(&mut self, p: ArenaPara, field: Bytes, value: u32) {
        // SAFETY: as in `write_field_u16`.
        unsafe { self.field(p, field).write_u32(value) }
    }

    // Inlined at its callers (heap setup, zeroing new and never-written
    // blocks). Out of line it was 240 bytes less, but C_BENCH's churn with
    // all DOS memory took 0.7% longer (25.60 -> 25.78 s): kept inline
    // (forced since the lean layout's relayout is one more caller).
    #[inline(always)]
    fn fill(&mut self, at: ArenaAddr, len: Bytes, byte: u8) {
        let (at, len) = (at.offset(), len.get());
        let mut done = 0;
        while done < len {
            let n = (len - done).min(PIECE);
            // SAFETY: the range is inside the arena; pieces are normalised.
            unsafe { self.far(at + done).fill(byte, n as u16) };
            done += n;
        }
    }

    fn copy(&mut self, from: ArenaAddr, to: ArenaAddr, len: Bytes) {
        let (from, to, len) = (from.offset(), to.offset(), len.get());
        if from == to || len == 0 {
            return;
        }
        if to < from {
            // Lowest piece first: each piece reads before it is overwritten.
            let mut done = 0;
            while done < len {
                let n = (len - done).min(PIECE);
                // SAFETY: both ranges are inside the arena; with `to` below
                // `from` a forward copy is correct even where they overlap.
                unsafe { self.far(from + done).copy_to(self.far(to + done), n as u16) };
                done += n;
            }
        } else {
            // Highest piece first, each copied backwards.
            let mut left = len;
            while left > 0 {
                let n = left.min(PIECE);
                left -= n;
                // SAFETY: as above, with `to` above `from` and a backward copy.
                unsafe {
                    self.far(from + left)
                        .copy_backward_to(self.far(to + left), n as u16)
                };
            }
        }
    }
}
