//! What a handle is made of: a slot index in the handle table and a
//! generation. This is the one place that knows the bit layout.
//!
//! Belongs here: packing and unpacking handles, the index and generation
//! types. Does not belong here: the table itself (`table`) or the checks a
//! call makes on a handle (`calls`).

use super::VmHandle;

/// Bits of the slot index (the low bits of a handle).
const IDX_BITS: u32 = 20;
const IDX_MASK: u32 = (1 << IDX_BITS) - 1;
/// Bits of the generation (the high bits of a handle).
const GEN_MASK: u16 = 0xFFF;
/// Entries in a handle-table page (1 KiB of 8-byte entries).
const PAGE_SHIFT: u32 = 7;
const PAGE_MASK: u32 = (1 << PAGE_SHIFT) - 1;

/// A handle as the core sees it: [`HandleIdx`] in bits 0..19,
/// [`Gen`] in bits 20..31; `_VM_NULL` (0) has index 0, which no slot has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Handle(u32);

impl Handle {
    /// The handle a program passed (any value; the calls validate it).
    pub const fn from_raw(h: VmHandle) -> Self {
        Self(h)
    }

    /// The handle of slot `idx` in generation `gen`.
    pub const fn new(idx: HandleIdx, gen: Gen) -> Self {
        Self(((gen.0 as u32) << IDX_BITS) | idx.0)
    }

    /// The value handed to the program.
    pub const fn raw(self) -> VmHandle {
        self.0
    }

    /// The slot index (may be 0 or out of range for a forged handle).
    pub const fn index(self) -> HandleIdx {
        HandleIdx(self.0 & IDX_MASK)
    }

    /// The generation.
    pub const fn gen(self) -> Gen {
        Gen((self.0 >> IDX_BITS) as u16)
    }
}

/// A slot of the handle table, 1..2^20 (0 means "none").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct HandleIdx(u32);

impl HandleIdx {
    /// "No slot" (the end of the free-slot list).
    pub const NONE: Self = Self(0);
    /// The first slot handed out.
    pub const FIRST: Self = Self(1);
    /// One past the largest slot index.
    pub const LIMIT: u32 = IDX_MASK + 1;

    /// Slot `n` (taken from a table entry the core wrote).
    pub const fn new(n: u32) -> Self {
        debug_assert!(n <= IDX_MASK);
        Self(n & IDX_MASK)
    }

    /// The slot number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether this is [`HandleIdx::NONE`].
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The next slot.
    pub const fn next(self) -> Self {
        Self::new(self.0 + 1)
    }

    /// The handle-table page holding this slot.
    pub const fn page(self) -> u32 {
        self.0 >> PAGE_SHIFT
    }

    /// The entry number of this slot inside its page.
    pub const fn in_page(self) -> u32 {
        self.0 & PAGE_MASK
    }

    /// Slots in `pages` table pages, at most [`HandleIdx::LIMIT`].
    pub const fn slots_in(pages: u32) -> u32 {
        let n = pages << PAGE_SHIFT;
        if n < Self::LIMIT {
            n
        } else {
            Self::LIMIT
        }
    }

    /// Table pages needed to reach every slot.
    pub const PAGES: u32 = Self::LIMIT >> PAGE_SHIFT;
}

/// The generation of a handle slot: 12 bits that change on every free and
/// advance by 256 at every `_vheapinit`, so stale and earlier-cycle handles
/// are refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(transparent)]
pub struct Gen(u16);

impl Gen {
    /// Generation `n` (the low 12 bits are kept).
    pub const fn new_truncate(n: u16) -> Self {
        Self(n & GEN_MASK)
    }

    /// The 12-bit value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The generation after a free of the slot.
    pub const fn next(self) -> Self {
        Self::new_truncate(self.0 + 1)
    }

    /// The base generation of the next `_vheapinit` cycle.
    pub const fn next_cycle(self) -> Self {
        Self::new_truncate(self.0 + 0x100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing() {
        let h = Handle::new(HandleIdx::new(0x12345), Gen::new_truncate(0xABC));
        assert_eq!(h.raw(), 0xABC1_2345);
        assert_eq!(h.index(), HandleIdx::new(0x12345));
        assert_eq!(h.gen(), Gen::new_truncate(0xABC));
        assert_eq!(HandleIdx::new(0x12345).page(), 0x12345 >> 7);
        assert_eq!(HandleIdx::new(0x12345).in_page(), 0x45);
        assert_eq!(Gen::new_truncate(0xFFF).next(), Gen::new_truncate(0));
        assert_eq!(HandleIdx::slots_in(1 << 20), HandleIdx::LIMIT);
    }
}
