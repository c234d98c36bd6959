//! DOS memory blocks (INT 21h AH=48h/49h/4Ah) and the owned [`DosBlock`].

use core::arch::asm;

use super::far::{FarPtr, Segment};
use super::{dos_result, DosError};

/// A size in paragraphs (16 bytes each), the unit DOS memory calls use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Paragraphs(pub u16);

impl Paragraphs {
    /// The size in bytes.
    pub const fn bytes(self) -> u32 {
        (self.0 as u32) << 4
    }

    /// The paragraphs needed to hold `bytes` bytes (rounded up), if that fits
    /// a 16-bit count.
    pub const fn for_bytes(bytes: u32) -> Option<Self> {
        let paras = bytes.div_ceil(16);
        if paras > 0xFFFF {
            None
        } else {
            Some(Self(paras as u16))
        }
    }
}

/// Allocates `size` paragraphs (INT 21h AH=48h). On failure DOS also says
/// how many paragraphs the largest free block has.
pub fn allocate(size: Paragraphs) -> Result<Segment, (DosError, Paragraphs)> {
    let (ax, bx, carry): (u16, u16, u8);
    // SAFETY: BX = paragraphs; DOS returns AX = segment or error, BX = largest.
    unsafe {
        asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
             inout("ax") 0x4800u16 => ax, inout("bx") size.0 => bx);
    }
    dos_result(carry, ax)
        .map(Segment::new)
        .map_err(|e| (e, Paragraphs(bx)))
}

/// The size of the largest free block of conventional memory.
pub fn largest_free() -> Paragraphs {
    match allocate(Paragraphs(0xFFFF)) {
        // Nobody has 1 MiB free; should DOS grant it, give it back.
        Ok(seg) => {
            // SAFETY: `seg` was allocated just now and is referenced by nothing.
            let _ = unsafe { free(seg) };
            Paragraphs(0xFFFF)
        }
        Err((_, largest)) => largest,
    }
}

/// Frees a block (INT 21h AH=49h).
///
/// # Safety
/// `seg` must be a block this program allocated and no longer uses.
pub unsafe fn free(seg: Segment) -> Result<(), DosError> {
    // Tried up to RELEASE_TRIES times (`released`).
    super::released(|| {
        let (ax, carry): (u16, u8);
        // SAFETY: ES = block; ES is restored inside the block.
        unsafe {
            asm!("push es", "mov es, {seg:x}", "int 0x21", "pop es", "setc {c}",
                 seg = in(reg) seg.value(), c = lateout(reg_byte) carry,
                 inout("ax") 0x4900u16 => ax);
        }
        dos_result(carry, ax).map(|_| ())
    })
}

/// Resizes a block in place (INT 21h AH=4Ah). On failure DOS says the most
/// the block could grow to.
///
/// # Safety
/// `seg` must be a block this program owns; if it shrinks, nothing may use
/// the paragraphs given back.
pub unsafe fn resize(seg: Segment, size: Paragraphs) -> Result<(), (DosError, Paragraphs)> {
    let (ax, bx, carry): (u16, u16, u8);
    // SAFETY: ES = block, BX = new size; ES is restored inside the block.
    unsafe {
        asm!("push es", "mov es, {seg:x}", "int 0x21", "pop es", "setc {c}",
             seg = in(reg) seg.value(), c = lateout(reg_byte) carry,
             inout("ax") 0x4A00u16 => ax, inout("bx") size.0 => bx);
    }
    dos_result(carry, ax)
        .map(|_| ())
        .map_err(|e| (e, Paragraphs(bx)))
}

/// An owned DOS memory block, freed when dropped. Its bytes are reached
/// through bounds-checked copies, never through Rust references.
#[derive(Debug)]
pub struct DosBlock {
    seg: Segment,
    size: Paragraphs,
}

impl DosBlock {
    /// Allocates a block of `size` paragraphs.
    pub fn new(size: Paragraphs) -> Result<Self, DosError> {
        allocate(size)
            .map(|seg| Self { seg, size })
            .map_err(|(e, _)| e)
    }

    /// The block's segment.
    pub fn segment(&self) -> Segment {
        self.seg
    }

    /// The block's size.
    pub fn size(&self) -> Paragraphs {
        self.size
    }

    /// The far pointer to byte `offset` of the block, or `None` if `len`
    /// bytes from there do not fit in it.
    pub fn ptr(&self, offset: u32, len: usize) -> Option<FarPtr> {
        let end = offset.checked_add(u32::try_from(len).ok()?)?;
        if end > self.size.bytes() {
            return None;
        }
        FarPtr::new(self.seg, 0).offset(offset)
    }

    /// Copies bytes of the block from `offset` into `dst`; `false` if the
    /// range is outside the block.
    pub fn read(&self, offset: u32, dst: &mut [u8]) -> bool {
        match self.ptr(offset, dst.len()) {
            // SAFETY: the range lies inside the block we own (checked by
            // `ptr`), normalised so its offset plus a near slice's length
            // cannot pass 10000h.
            Some(p) => unsafe { p.read_bytes(dst) },
            None => return false,
        }
        true
    }

    /// Copies `src` into the block at `offset`; `false` if the range is
    /// outside the block.
    pub fn write(&mut self, offset: u32, src: &[u8]) -> bool {
        match self.ptr(offset, src.len()) {
            // SAFETY: as in `read`; no Rust reference covers far memory.
            Some(p) => unsafe { p.write_bytes(src) },
            None => return false,
        }
        true
    }

    /// Resizes the block in place.
    pub fn resize(&mut self, size: Paragraphs) -> Result<(), (DosError, Paragraphs)> {
        // SAFETY: we own the block, and after a shrink no accessor reaches past
        // the new size because `self.size` is updated with it.
        unsafe { resize(self.seg, size) }?;
        self.size = size;
        Ok(())
    }
}

impl Drop for DosBlock {
    fn drop(&mut self) {
        // SAFETY: the block is ours and this is its last use.
        let _ = unsafe { free(self.seg) };
    }
}

/// DOS's memory allocation strategy (INT 21h AX=5800h/5801h, DOS 3.0+):
/// which free block AH=48h takes memory from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Strategy(pub u16);

impl Strategy {
    /// 00h: the first block that is large enough (DOS's default).
    pub const FIRST_FIT: Self = Self(0);
    /// 02h: the last block that is large enough, from its high end.
    pub const LAST_FIT: Self = Self(2);
    /// 41h: the smallest block that is large enough, in upper memory only
    /// (DOS 5.0+). Only while the UMB link is on: without an upper memory
    /// chain DOS answers from conventional memory (FreeDOS, DOSBox).
    pub const UPPER_BEST_FIT: Self = Self(0x41);

    /// The current strategy (AX=5800h).
    pub fn get() -> Self {
        let ax: u16;
        // SAFETY: AX=5800h returns the strategy in AX and changes nothing.
        unsafe { asm!("int 0x21", inout("ax") 0x5800u16 => ax) };
        Self(ax)
    }

    /// Sets the strategy (AX=5801h, BX = strategy).
    pub fn set(self) -> Result<(), DosError> {
        let (ax, carry): (u16, u8);
        // SAFETY: AX=5801h, BX = strategy; returns carry + AX on error.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x5801u16 => ax, in("bx") self.0);
        }
        dos_result(carry, ax).map(|_| ())
    }
}

/// Allocates `size` paragraphs from the top of the highest free block that
/// fits (last fit), then puts DOS's strategy back. Memory right after the
/// program then stays free for the program's own block to grow into (a C
/// program's near heap grows that way).
pub fn allocate_high(size: Paragraphs) -> Result<Segment, (DosError, Paragraphs)> {
    allocate_where(size, true)
}

/// [`allocate_high`] (`high`) or [`allocate`]: one call of AH=48h for a
/// caller that wants either (the C library's cache).
pub fn allocate_where(size: Paragraphs, high: bool) -> Result<Segment, (DosError, Paragraphs)> {
    let old = Strategy::get();
    let changed = high && Strategy::LAST_FIT.set().is_ok();
    let r = allocate(size);
    if changed {
        let _ = old.set();
    }
    r
}

/// Whether upper memory blocks are part of DOS's memory chain (INT 21h
/// AX=5802h/5803h, DOS 5.0+): AH=48h sees them only while the link is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct UmbLink(pub u8);

impl UmbLink {
    /// 00h: upper memory is not linked (DOS's default).
    pub const OFF: Self = Self(0);
    /// 01h: upper memory is linked.
    pub const ON: Self = Self(1);

    /// The current link state (AX=5802h: AL). A DOS without the call
    /// (before 5.0) has no upper memory chain: read as [`UmbLink::OFF`].
    pub fn get() -> Self {
        let (ax, carry): (u16, u8);
        // SAFETY: AX=5802h returns the link state in AL and changes nothing.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x5802u16 => ax);
        }
        Self(if carry != 0 { 0 } else { ax as u8 })
    }

    /// Sets the link state (AX=5803h, BX = state). Fails (AX=1) when DOS
    /// has no upper memory chain: no `DOS=UMB`, no UMB provider, or DOS
    /// before 5.0.
    pub fn set(self) -> Result<(), DosError> {
        let (ax, carry): (u16, u8);
        // SAFETY: AX=5803h, BX = state; returns carry + AX on error.
        unsafe {
            asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
                 inout("ax") 0x5803u16 => ax, in("bx") u16::from(self.0));
        }
        dos_result(carry, ax).map(|_| ())
    }
}

/// The first segment of upper memory: a block below it is conventional.
pub const UPPER_START: Segment = Segment::new(0xA000);

/// Allocates `size` paragraphs of upper memory through DOS (AH=48h with
/// the UMB link on and strategy 41h), or `None` if DOS has no upper block
/// that large. DOS's link state and strategy are put back as they were,
/// also if the program ends in the middle (the exit guard holds them
/// meanwhile). Strategy 41h hands out conventional memory when there is no
/// upper memory chain (seen in FreeDOS and DOSBox), so a block below
/// A000h is given back, not taken for upper memory.
#[cfg_attr(feature = "dos", optimize(size))]
pub fn allocate_upper(size: Paragraphs) -> Option<Segment> {
    super::exitguard::hold_dos_alloc(Strategy::get(), UmbLink::get());
    let mut got = None;
    if UmbLink::ON.set().is_ok() && Strategy::UPPER_BEST_FIT.set().is_ok() {
        got = allocate(size).ok();
    }
    // (The exit guard's code puts them back: one copy for both.)
    super::exitguard::put_back_dos_alloc();
    let seg = got?;
    if seg < UPPER_START {
        // SAFETY: allocated just now and referenced by nothing.
        let _ = unsafe { free(seg) };
        return None;
    }
    Some(seg)
}
