//! The 32-byte header in front of every region of the data heap (a free
//! region or a resident block), and typed access to its fields.
//!
//! Belongs here: the header layout and one getter/setter per field.
//! Does not belong here: what the lists, the hash or the placement do with
//! the fields (`list`, `index`, `place`).

use super::backend::Arena;
use super::handle::Handle;
use super::swap::SwapLoc;
use super::units::{ArenaAddr, ArenaPara, Bytes, RegionParas};

/// Header size: 2 paragraphs in front of the block's data.
pub const HDR_PARAS: RegionParas = RegionParas::new(2);

/// Where a resident block's header fields are, from outside the core (the
/// C ABI's shim finds resident blocks through the index and changes lock
/// counts, the dirty flag and the hit count itself): the header starts
/// `paras` paragraphs before the block's data, the flag byte is at byte
/// `flags` of it and the lock count in the byte after; `dirty` is the flag
/// bit of a dirty block; `refs`, `handle` and `hash_next` are the offsets
/// of the hit count, the handle and the index chain's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateWord {
    /// Paragraphs from the header to the data.
    pub paras: u16,
    /// Byte offset of the flag byte in the header (the lock count follows).
    pub flags: u16,
    /// The dirty flag bit.
    pub dirty: u8,
    /// Byte offset of the hit count (a byte, saturating at 255).
    pub refs: u16,
    /// Byte offset of the handle (a dword).
    pub handle: u16,
    /// Byte offset of the next region in the same index bucket (a word).
    pub hash_next: u16,
}

/// The state word of this layout.
pub const STATE_WORD: StateWord = StateWord {
    paras: HDR_PARAS.get(),
    flags: H_FLAGS.get() as u16,
    dirty: Flags::DIRTY.0,
    refs: H_REFS.get() as u16,
    handle: H_HANDLE.get() as u16,
    hash_next: H_HNEXT.get() as u16,
};

// Field positions inside the header.
const H_SIZE: Bytes = Bytes::new(0); // u16 region size in paragraphs, header included
const H_PREV: Bytes = Bytes::new(2); // u16 size of the previous region (0: first region)
const H_FLAGS: Bytes = Bytes::new(4); // u16: flags in the low byte, lock count in the high byte
const H_HNEXT: Bytes = Bytes::new(6); // u16 next region in the hash bucket
const H_HANDLE: Bytes = Bytes::new(8); // u32 handle
const H_SWAP: Bytes = Bytes::new(12); // u32 swap location (valid with `Flags::SWAP`)
const H_LPREV: Bytes = Bytes::new(16); // u16 previous in main list / window / free list
const H_LNEXT: Bytes = Bytes::new(18); // u16 next in main list / window / free list
const H_REFS: Bytes = Bytes::new(20); // u16: hits the policy has not looked at yet (low byte; high byte 0)
const H_BPARAS: Bytes = Bytes::new(24); // u16 block size in paragraphs

/// The flag byte of a region header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    /// A free region.
    pub const FREE: Self = Self(0);
    /// No flag (for [`Regions::update_flags`]).
    pub const NONE: Self = Self(0);
    /// The region holds a block.
    pub const USED: Self = Self(1);
    /// The block differs from its swap copy (or has none and was written).
    pub const DIRTY: Self = Self(2);
    /// The block is in the policy's main list (else in the window).
    pub const MAIN: Self = Self(4);
    /// The block owns swap space (the header's swap field is valid).
    pub const SWAP: Self = Self(8);

    /// Whether every flag of `f` is set.
    pub const fn has(self, f: Self) -> bool {
        self.0 & f.0 == f.0
    }
    /// These flags with `f` set.
    pub const fn with(self, f: Self) -> Self {
        Self(self.0 | f.0)
    }
    /// These flags with `f` cleared.
    pub const fn without(self, f: Self) -> Self {
        Self(self.0 & !f.0)
    }
}

/// Header access for every arena. `p` is always the first paragraph of a
/// region the core laid out.
pub trait Regions: Arena {
    /// Region size, header included.
    fn size(&self, p: ArenaPara) -> RegionParas {
        RegionParas::new(self.read_field_u16(p, H_SIZE))
    }
    /// Sets the region size.
    fn set_size(&mut self, p: ArenaPara, n: RegionParas) {
        self.write_field_u16(p, H_SIZE, n.get())
    }
    /// Size of the region just below (zero for the first region).
    fn prev_size(&self, p: ArenaPara) -> RegionParas {
        RegionParas::new(self.read_field_u16(p, H_PREV))
    }
    /// Sets the size of the region just below.
    fn set_prev_size(&mut self, p: ArenaPara, n: RegionParas) {
        self.write_field_u16(p, H_PREV, n.get())
    }
    /// The flags.
    fn flags(&self, p: ArenaPara) -> Flags {
        Flags(self.read_field_u16(p, H_FLAGS) as u8)
    }
    /// The lock count.
    fn locks(&self, p: ArenaPara) -> u8 {
        (self.read_field_u16(p, H_FLAGS) >> 8) as u8
    }
    /// The flags and the lock count, in one read of their word.
    fn state(&self, p: ArenaPara) -> (Flags, u8) {
        let w = self.read_field_u16(p, H_FLAGS);
        (Flags(w as u8), (w >> 8) as u8)
    }
    /// Sets flags and lock count together.
    fn set_state(&mut self, p: ArenaPara, f: Flags, locks: u8) {
        self.write_field_u16(p, H_FLAGS, u16::from(f.0) | (u16::from(locks) << 8))
    }
    /// Sets the flags in `set` and clears those in `clear`, keeping the
    /// rest and the lock count: one read of their word (`flags` and then
    /// a `set_flags` read it twice; an arena access is a far access on
    /// DOS).
    fn update_flags(&mut self, p: ArenaPara, set: Flags, clear: Flags) {
        let (f, l) = self.state(p);
        self.set_state(p, f.without(clear).with(set), l)
    }
    /// Sets the lock count, keeping the flags.
    fn set_locks(&mut self, p: ArenaPara, locks: u8) {
        let f = self.flags(p);
        self.set_state(p, f, locks)
    }
    /// Whether the region holds a block.
    fn is_used(&self, p: ArenaPara) -> bool {
        self.flags(p).has(Flags::USED)
    }
    /// Whether the block is in the main list.
    fn in_main(&self, p: ArenaPara) -> bool {
        self.flags(p).has(Flags::MAIN)
    }
    /// The next region in the same hash bucket.
    fn hash_next(&self, p: ArenaPara) -> ArenaPara {
        ArenaPara::new(self.read_field_u16(p, H_HNEXT))
    }
    /// Sets the next region in the same hash bucket.
    fn set_hash_next(&mut self, p: ArenaPara, q: ArenaPara) {
        self.write_field_u16(p, H_HNEXT, q.to_u16())
    }
    /// The block's handle.
    fn handle(&self, p: ArenaPara) -> Handle {
        Handle::from_raw(self.read_field_u32(p, H_HANDLE))
    }
    /// Sets the block's handle.
    fn set_handle(&mut self, p: ArenaPara, h: Handle) {
        self.write_field_u32(p, H_HANDLE, h.raw())
    }
    /// The block's swap location (meaningful with `Flags::SWAP`).
    fn swap_loc(&self, p: ArenaPara) -> SwapLoc {
        SwapLoc::from_raw(self.read_field_u32(p, H_SWAP))
    }
    /// Sets the block's swap location.
    fn set_swap_loc(&mut self, p: ArenaPara, loc: SwapLoc) {
        self.write_field_u32(p, H_SWAP, loc.raw())
    }
    /// The previous region in the list the region is on.
    fn list_prev(&self, p: ArenaPara) -> ArenaPara {
        ArenaPara::new(self.read_field_u16(p, H_LPREV))
    }
    /// The next region in the list the region is on.
    fn list_next(&self, p: ArenaPara) -> ArenaPara {
        ArenaPara::new(self.read_field_u16(p, H_LNEXT))
    }
    /// Sets the previous-region link.
    fn set_list_prev(&mut self, p: ArenaPara, q: ArenaPara) {
        self.write_field_u16(p, H_LPREV, q.to_u16())
    }
    /// Sets the next-region link.
    fn set_list_next(&mut self, p: ArenaPara, q: ArenaPara) {
        self.write_field_u16(p, H_LNEXT, q.to_u16())
    }
    /// Hits on the block since the policy last looked at it (at most 255).
    fn refs(&self, p: ArenaPara) -> u8 {
        self.read_field_u16(p, H_REFS) as u8
    }
    /// Sets the hits the policy has not looked at yet.
    fn set_refs(&mut self, p: ArenaPara, n: u8) {
        self.write_field_u16(p, H_REFS, u16::from(n))
    }
    /// The block's size (data only).
    fn block_paras(&self, p: ArenaPara) -> RegionParas {
        RegionParas::new(self.read_field_u16(p, H_BPARAS))
    }
    /// Sets the block's size.
    fn set_block_paras(&mut self, p: ArenaPara, n: RegionParas) {
        self.write_field_u16(p, H_BPARAS, n.get())
    }
}

impl<A: Arena> Regions for A {}

/// Where the data of the block in region `p` starts.
pub fn data_addr(p: ArenaPara) -> ArenaAddr {
    (p + HDR_PARAS).addr()
}

/// Where region `p` stores its link to the next region of its hash bucket.
pub fn hash_next_addr(p: ArenaPara) -> ArenaAddr {
    p.addr() + H_HNEXT
}
