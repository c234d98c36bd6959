//! The units the core counts in: bytes, paragraphs, positions in the cache
//! arena and in a swap store. Each is a newtype with a private field, so a
//! paragraph count cannot be passed where a byte count or a position is
//! expected, and this module is the only place that converts between them
//! (the only `<< 4` and `>> 4` of the core live here).
//!
//! Belongs here: the unit types, their constructors and their arithmetic.
//! Does not belong here: what the values mean for a data structure (header
//! fields, handle bits, swap locations: see `header`, `handle`, `swap`).
//!
//! Constructors follow one pattern: `new` takes a value that cannot be out
//! of range (or checks it with `debug_assert!` where the core computed it
//! itself); `try_new` checks and returns `None`. `ArenaPara` is 16 bits (an
//! arena has at most 0xFFFF paragraphs; this also gives `Option<ArenaPara>`
//! a register-sized layout); `Paras` is 32 bits because store sizes need
//! them, but sizes inside the arena (regions, blocks, free space) fit 16
//! bits: they are `RegionParas`, whose arithmetic needs no operand-size
//! prefix on the code16 target (a 32-bit operation costs one byte more
//! there).

use core::ops::{Add, AddAssign, Sub, SubAssign};

/// Bytes in a paragraph.
const PARA_SHIFT: u32 = 4;

/// A length in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Bytes(u32);

impl Bytes {
    /// No bytes.
    pub const ZERO: Self = Self(0);

    /// `n` bytes.
    pub const fn new(n: u32) -> Self {
        Self(n)
    }

    /// The number of bytes.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The paragraphs needed to hold this many bytes (rounded up).
    pub const fn paras_ceil(self) -> Paras {
        Paras(self.0.div_ceil(1 << PARA_SHIFT))
    }

    /// The paragraphs needed to hold a block of this many bytes (1..=65 536),
    /// rounded up, counted in 16 bits.
    pub const fn region_paras_ceil(self) -> RegionParas {
        debug_assert!(self.0 >= 1 && self.0 <= 0x10000);
        RegionParas((((self.0 - 1) as u16) >> PARA_SHIFT) + 1)
    }

    /// The whole paragraphs in this many bytes (rounded down).
    pub const fn paras_floor(self) -> Paras {
        Paras(self.0 >> PARA_SHIFT)
    }

    /// The smaller of two lengths.
    pub fn min(self, other: Self) -> Self {
        Ord::min(self, other)
    }
}

/// A count of paragraphs (16 bytes): a block, region or extent size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Paras(u32);

impl Paras {
    /// No paragraphs.
    pub const ZERO: Self = Self(0);

    /// `n` paragraphs.
    pub const fn new(n: u32) -> Self {
        Self(n)
    }

    /// The number of paragraphs.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The same length in bytes. The core's paragraph counts stay below
    /// 2^28 (1 MiB of arena, 4 GiB of store), so this is exact.
    pub const fn bytes(self) -> Bytes {
        debug_assert!(self.0 < 1 << (32 - PARA_SHIFT));
        Bytes(self.0 << PARA_SHIFT)
    }

    /// The same count as a size inside the arena; the core only converts
    /// counts that fit (block sizes, parts of the arena's layout): the
    /// arena has at most 0xFFFF paragraphs.
    pub const fn to_region(self) -> RegionParas {
        debug_assert!(self.0 <= 0xFFFF);
        RegionParas(self.0 as u16)
    }
}

impl From<u16> for Paras {
    fn from(n: u16) -> Self {
        Self(u32::from(n))
    }
}

macro_rules! additive {
    ($t:ty) => {
        impl Add for $t {
            type Output = $t;
            fn add(self, o: $t) -> $t {
                Self(self.0 + o.0)
            }
        }
        impl Sub for $t {
            type Output = $t;
            fn sub(self, o: $t) -> $t {
                Self(self.0 - o.0)
            }
        }
        impl AddAssign for $t {
            fn add_assign(&mut self, o: $t) {
                self.0 += o.0
            }
        }
        impl SubAssign for $t {
            fn sub_assign(&mut self, o: $t) {
                self.0 -= o.0
            }
        }
    };
}
/// A count of paragraphs inside the cache arena: a region's, a block's,
/// the free space's, the data heap's. At most 0xFFFF (the largest arena),
/// so 16 bits: placement and policy arithmetic on these needs no 32-bit
/// operations. [`Paras`] is the same unit where it may be larger (swap
/// stores).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct RegionParas(u16);

impl RegionParas {
    /// No paragraphs.
    pub const ZERO: Self = Self(0);

    /// `n` paragraphs.
    pub const fn new(n: u16) -> Self {
        Self(n)
    }

    /// The number of paragraphs (a header field's value).
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The same count where a store size is expected.
    pub const fn paras(self) -> Paras {
        Paras(self.0 as u32)
    }

    /// The same length in bytes (up to 0xFFFF0: 32 bits).
    pub const fn bytes(self) -> Bytes {
        Bytes((self.0 as u32) << PARA_SHIFT)
    }
}

additive!(Bytes);
additive!(Paras);
additive!(RegionParas);

/// A paragraph of the cache arena, counted from its start: where a region
/// (header + block) begins. At most 0xFFFF (the arena's largest size).
/// Paragraph 0 is the scratch paragraph, never a region, so
/// [`ArenaPara::NIL`] serves as "none" in every link stored in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct ArenaPara(u16);

impl ArenaPara {
    /// "No region": the scratch paragraph.
    pub const NIL: Self = Self(0);

    /// Paragraph `n` (a 16-bit value is always in range).
    pub const fn new(n: u16) -> Self {
        Self(n)
    }

    /// Paragraph `n`, or `None` past the largest arena.
    pub const fn try_new(n: u32) -> Option<Self> {
        if n <= u16::MAX as u32 {
            Some(Self(n as u16))
        } else {
            None
        }
    }

    /// Whether this is [`ArenaPara::NIL`].
    pub const fn is_nil(self) -> bool {
        self.0 == 0
    }

    /// The value stored in a 16-bit link field.
    pub const fn to_u16(self) -> u16 {
        self.0
    }

    /// The byte position of this paragraph's first byte.
    pub const fn addr(self) -> ArenaAddr {
        ArenaAddr((self.0 as u32) << PARA_SHIFT)
    }
}

impl Add<Paras> for ArenaPara {
    type Output = ArenaPara;
    /// The paragraph `n` further; the core only adds sizes of regions that
    /// end inside the arena, so the sum fits.
    fn add(self, n: Paras) -> ArenaPara {
        let sum = self.0 as u32 + n.0;
        debug_assert!(sum <= u16::MAX as u32);
        ArenaPara(sum as u16)
    }
}

impl Sub<Paras> for ArenaPara {
    type Output = ArenaPara;
    fn sub(self, n: Paras) -> ArenaPara {
        ArenaPara((self.0 as u32 - n.0) as u16)
    }
}

impl Add<RegionParas> for ArenaPara {
    type Output = ArenaPara;
    /// The paragraph `n` further; the core only adds sizes of regions that
    /// end inside the arena, so the sum fits (checked in debug builds).
    fn add(self, n: RegionParas) -> ArenaPara {
        ArenaPara(self.0 + n.0)
    }
}

impl Sub<RegionParas> for ArenaPara {
    type Output = ArenaPara;
    fn sub(self, n: RegionParas) -> ArenaPara {
        ArenaPara(self.0 - n.0)
    }
}

impl Sub for ArenaPara {
    /// The distance between two paragraphs.
    type Output = RegionParas;
    fn sub(self, o: ArenaPara) -> RegionParas {
        RegionParas(self.0 - o.0)
    }
}

/// A byte position in the cache arena, counted from its start. The DOS layer
/// makes it a far pointer; a position [`ArenaPara::addr`] gives is
/// paragraph aligned (`segment:0000`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct ArenaAddr(u32);

impl ArenaAddr {
    /// The arena's first byte (the scratch paragraph).
    pub const START: Self = Self(0);
    /// Bytes of the largest arena (0xFFFF paragraphs).
    const LIMIT: u32 = 0xFFFF << PARA_SHIFT;

    /// Byte `offset` of the arena, or `None` past the largest arena.
    pub const fn try_new(offset: u32) -> Option<Self> {
        if offset <= Self::LIMIT {
            Some(Self(offset))
        } else {
            None
        }
    }

    /// The byte offset from the arena's start.
    pub const fn offset(self) -> u32 {
        self.0
    }

    /// The even position at or just below this one (where the 16-bit word
    /// holding this byte starts).
    pub const fn word_aligned(self) -> Self {
        Self(self.0 & !1)
    }

    /// Whether this position is paragraph aligned.
    pub const fn is_aligned(self) -> bool {
        self.0 & ((1 << PARA_SHIFT) - 1) == 0
    }
}

impl Add<Bytes> for ArenaAddr {
    type Output = ArenaAddr;
    fn add(self, n: Bytes) -> ArenaAddr {
        debug_assert!(self.0 + n.0 <= Self::LIMIT);
        ArenaAddr(self.0 + n.0)
    }
}

impl AddAssign<Bytes> for ArenaAddr {
    fn add_assign(&mut self, n: Bytes) {
        *self = *self + n
    }
}

impl Sub for ArenaAddr {
    /// The distance between two positions.
    type Output = Bytes;
    fn sub(self, o: ArenaAddr) -> Bytes {
        Bytes(self.0 - o.0)
    }
}

/// A byte position in a swap store, counted from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct StoreAddr(u32);

impl StoreAddr {
    /// Byte `offset` of a store.
    pub const fn new(offset: u32) -> Self {
        Self(offset)
    }

    /// The byte offset from the store's start.
    pub const fn offset(self) -> u32 {
        self.0
    }

    /// The position of paragraph `n` of a store.
    pub const fn of_para(n: Paras) -> Self {
        Self(n.bytes().0)
    }
}

impl Add<Bytes> for StoreAddr {
    type Output = StoreAddr;
    fn add(self, n: Bytes) -> StoreAddr {
        StoreAddr(self.0 + n.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(Bytes::new(65530).paras_ceil(), Paras::new(4096));
        assert_eq!(Bytes::new(16).paras_ceil(), Paras::new(1));
        assert_eq!(Bytes::new(17).paras_ceil(), Paras::new(2));
        assert_eq!(Paras::new(3).bytes(), Bytes::new(48));
        assert_eq!(ArenaPara::new(5).addr().offset(), 80);
        assert_eq!(ArenaPara::new(9) - ArenaPara::new(5), RegionParas::new(4));
        assert_eq!(
            Bytes::new(65536).region_paras_ceil(),
            RegionParas::new(4096)
        );
        assert_eq!(
            Bytes::new(65530).region_paras_ceil(),
            RegionParas::new(4096)
        );
        assert_eq!(Bytes::new(16).region_paras_ceil(), RegionParas::new(1));
        assert_eq!(Bytes::new(17).region_paras_ceil(), RegionParas::new(2));
        assert_eq!(Bytes::new(1).region_paras_ceil(), RegionParas::new(1));
        assert_eq!(RegionParas::new(0xFFFF).bytes(), Bytes::new(0xFFFF0));
        assert_eq!(RegionParas::new(7).paras(), Paras::new(7));
        assert_eq!(ArenaPara::try_new(0x10000), None);
        assert_eq!(ArenaAddr::try_new(0xFFFF0), ArenaAddr::try_new(0xFFFF0));
        assert_eq!(ArenaAddr::try_new(0xFFFF1), None);
        assert!(ArenaPara::new(2).addr().is_aligned());
        assert_eq!(StoreAddr::of_para(Paras::new(2)).offset(), 32);
    }
}
