//! Hits not yet told to the replacement policy: a short log that the hit
//! path appends to, replayed in order (sketch count, then the move to the
//! most recent end of its list) before anything else looks at the policy.
//!
//! The replay gives exactly the state that counting and touching at every
//! hit would have given: the log keeps the order of the hits, and a run of
//! hits on one block is one entry with a count (the sketch adds a run in one
//! step, [`Sketch::count_times`]; touching a block again at once changes
//! nothing). Entries are regions, valid because only the hit path runs
//! while the log is not empty: every other call replays it first
//! (`Vmm::heap`), and hits move no region.
//!
//! It also remembers the last block hit (handle and region), so that a hit
//! on the same block again needs no index lookup; every call that is not a
//! hit forgets it (it may move or free the block).
//!
//! Belongs here: the log, its replay and the last hit. Does not belong here: deciding
//! what a hit is (`calls`) or what the policy does with it (`policy`,
//! `sketch`).

use super::handle::Handle;
use super::header::Regions;
use super::policy::Policy;
use super::sketch::Sketch;
use super::units::ArenaPara;

/// Entries before the log is replayed by the hit path itself.
const LEN: usize = 16;

/// The log of hits not yet replayed.
pub struct Recent {
    regions: [ArenaPara; LEN],
    /// Hits of the entry's region in a row.
    runs: [u16; LEN],
    len: u8,
    /// The last block hit and its region (handle 0: none).
    last: (Handle, ArenaPara),
}

impl Recent {
    /// An empty log.
    pub const EMPTY: Self = Self {
        regions: [ArenaPara::NIL; LEN],
        runs: [0; LEN],
        len: 0,
        last: (Handle::from_raw(0), ArenaPara::NIL),
    };

    /// The region of `h` if it is the last block hit (and no call but hits
    /// came since).
    pub fn last_hit(&self, h: Handle) -> Option<ArenaPara> {
        (self.last.0 == h && h.raw() != 0).then_some(self.last.1)
    }

    /// Remembers that `h` was hit in region `p`.
    pub fn remember(&mut self, h: Handle, p: ArenaPara) {
        self.last = (h, p);
    }

    /// Forgets the last hit: a call that is not a hit may move or free it.
    pub fn forget(&mut self) {
        self.last.0 = Handle::from_raw(0);
    }

    /// Whether no hit waits for a replay.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `n` more hits on `p` fit in the last entry (its run).
    fn extends(&self, p: ArenaPara, n: u16) -> bool {
        let len = self.len as usize;
        len > 0 && self.regions[len - 1] == p && self.runs[len - 1] <= u16::MAX - n
    }

    /// Whether `n` hits on `p` can be logged without a replay first.
    pub fn can_log(&self, p: ArenaPara, n: u16) -> bool {
        self.extends(p, n) || (self.len as usize) < LEN
    }

    /// Logs `n` hits in a row on region `p` (see [`can_log`](Self::can_log)).
    pub fn log(&mut self, p: ArenaPara, n: u16) {
        let len = self.len as usize;
        if self.extends(p, n) {
            self.runs[len - 1] += n;
            return;
        }
        debug_assert!(len < LEN, "log full");
        self.regions[len] = p;
        self.runs[len] = n;
        self.len += 1;
    }

    /// The region of the last block hit, if it is still remembered.
    pub fn last_region(&self) -> Option<ArenaPara> {
        (self.last.0.raw() != 0).then_some(self.last.1)
    }

    /// Counts and touches every logged hit in order, and empties the log.
    pub fn replay<A: Regions>(&mut self, a: &mut A, sketch: &mut Sketch, policy: &mut Policy) {
        for i in 0..self.len as usize {
            let p = self.regions[i];
            sketch.count_times(a, a.handle(p), u32::from(self.runs[i]));
            policy.touch(a, p);
        }
        self.len = 0;
    }
}
