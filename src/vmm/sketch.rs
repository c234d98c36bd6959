//! The access-frequency sketch of W-TinyLFU: two rows of byte counters in
//! the arena (count-min, conservative update), halved every 16 x width
//! accesses so the counts describe the recent past.
//!
//! Belongs here: counting accesses and estimating counts. Does not belong
//! here: the duel that uses the estimates (`policy`).

use super::backend::Arena;
use super::handle::Handle;
use super::units::{ArenaAddr, Bytes};

/// The sketch's place in the arena and its sampling state.
pub struct Sketch {
    /// Row 0 starts here, row 1 `width` bytes later.
    base: ArenaAddr,
    /// Counters per row (a power of two).
    width: u32,
    /// `32 - log2(width)`: a hash shifted right by this is a counter number.
    shift: u32,
    /// Accesses since the last halving.
    samples: u32,
}

impl Sketch {
    /// A sketch of `width` counters per row (a power of two) at `base`;
    /// the counters must be zero.
    pub fn new(base: ArenaAddr, width: u32) -> Self {
        debug_assert!(width.is_power_of_two());
        Self {
            base,
            width,
            shift: 32 - width.trailing_zeros(),
            samples: 0,
        }
    }

    /// Bytes the sketch takes in the arena.
    pub const fn bytes(width: u32) -> Bytes {
        Bytes::new(width * 2)
    }

    /// Positions of the two counters of `h` (one per row).
    fn counters(&self, h: Handle) -> (ArenaAddr, ArenaAddr) {
        let h = h.raw();
        let a = h.wrapping_mul(0x9E37_79B1) >> self.shift;
        let b = (h ^ (h >> 15)).wrapping_mul(0x85EB_CA77) >> self.shift;
        (
            self.base + Bytes::new(a),
            self.base + Bytes::new(self.width + b),
        )
    }

    /// Estimated recent access count of `h` (the smaller counter).
    pub fn freq<A: Arena>(&self, a: &A, h: Handle) -> u32 {
        let (x, y) = self.counters(h);
        read_u8(a, x).min(read_u8(a, y))
    }

    /// Counts an access of `h` (conservative update: only the smaller
    /// counters grow). Every 16 x width accesses all counters are halved.
    pub fn count<A: Arena>(&mut self, a: &mut A, h: Handle) {
        let (xa, ya) = self.counters(h);
        let (x, y) = (read_u8(a, xa), read_u8(a, ya));
        let m = x.min(y);
        if m < 255 {
            if x == m {
                write_u8(a, xa, m + 1);
            }
            if y == m {
                write_u8(a, ya, m + 1);
            }
        }
        self.samples += 1;
        if self.samples >= self.width * 16 {
            self.samples = 0;
            let end = self.base + Self::bytes(self.width);
            let mut at = self.base;
            while at < end {
                let w = a.read_u16(at);
                a.write_u16(at, (w >> 1) & 0x7F7F);
                at += Bytes::new(2);
            }
        }
    }
}

/// The even position holding byte `at` and whether `at` is its high byte.
fn word_of(at: ArenaAddr) -> (ArenaAddr, bool) {
    (at.word_aligned(), at.offset() & 1 != 0)
}

fn read_u8<A: Arena>(a: &A, at: ArenaAddr) -> u32 {
    let (w, high) = word_of(at);
    let w = u32::from(a.read_u16(w));
    if high {
        w >> 8
    } else {
        w & 0xFF
    }
}

fn write_u8<A: Arena>(a: &mut A, at: ArenaAddr, v: u32) {
    let (at, high) = word_of(at);
    let w = u32::from(a.read_u16(at));
    let w = if high {
        (w & 0x00FF) | (v << 8)
    } else {
        (w & 0xFF00) | v
    };
    a.write_u16(at, w as u16);
}
