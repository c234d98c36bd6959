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

    /// Estimated recent access count of `h` (the smaller counter). Out of
    /// line: a duel compares two.
    #[inline(never)]
    pub fn freq<A: Arena>(&self, a: &A, h: Handle) -> u8 {
        let (x, y) = self.counters(h);
        a.read_u8(x).min(a.read_u8(y))
    }

    /// Counts an access of `h` (conservative update: only the smaller
    /// counters grow). Every 16 x width accesses all counters are halved.
    pub fn count<A: Arena>(&mut self, a: &mut A, h: Handle) {
        self.add(a, h, 1);
        self.sample(a, 1);
    }

    /// Adds `n` accesses of `h` to its counters without counting them as
    /// samples (the hits a resident block took, counted as samples by
    /// [`sample`](Self::sample) when they happened, folded in later).
    pub fn add<A: Arena>(&mut self, a: &mut A, h: Handle, n: u8) {
        let (xa, ya) = self.counters(h);
        let (x, y) = (a.read_u8(xa), a.read_u8(ya));
        let to = x.min(y).saturating_add(n);
        if x < to {
            a.write_u8(xa, to);
        }
        if y < to {
            a.write_u8(ya, to);
        }
    }

    /// Counts `n` accesses towards the next halving (without counting them
    /// for any handle: see [`add`](Self::add)).
    pub fn sample<A: Arena>(&mut self, a: &mut A, n: u32) {
        let period = self.width * 16;
        self.samples += n;
        while self.samples >= period {
            self.samples -= period;
            self.halve(a);
        }
    }

    /// Halves every counter.
    fn halve<A: Arena>(&self, a: &mut A) {
        let end = self.base + Self::bytes(self.width);
        let mut at = self.base;
        while at < end {
            let w = a.read_u16(at);
            a.write_u16(at, (w >> 1) & 0x7F7F);
            at += Bytes::new(2);
        }
    }
}
