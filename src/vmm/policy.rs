//! Replacement: W-TinyLFU over the resident blocks. A small window (1% of
//! the data heap) and the main list are LRU lists (most recent at the
//! window's tail and the main list's head); the oldest window block duels
//! the least recent main block on the [`Sketch`]'s counts. See the module
//! docs of [`super`] for why.
//!
//! A hit does not move its block: it only counts itself in the block's
//! header (`refs`, which the C shim can do without the library). The
//! policy folds those counts in when it looks at a block while choosing a
//! victim: the block's sketch counters grow by them and it moves to the
//! most recent end of its list (a second chance, as in CLOCK), so a hit is
//! O(1) and a few instructions, and the lists keep LRU order among the
//! blocks a victim search passes.
//!
//! Belongs here: which list a resident block is on, its place in it, and
//! the choice of a victim. Does not belong here: evicting it (`place`),
//! counting accesses (`sketch`).

use super::header::{Flags, Regions};
use super::list::List;
use super::sketch::Sketch;
use super::units::{ArenaPara, RegionParas};

/// The main list may fill all but 1/WINDOW_SHARE of the data heap; the
/// window uses the rest. 1% as in W-TinyLFU; the simulator measured 1/32
/// too, which lost on loops and was equal elsewhere.
const WINDOW_SHARE: u16 = 100;

/// The policy's lists.
pub struct Policy {
    /// New blocks, oldest at the head.
    pub(super) window: List,
    /// Blocks that won a duel (or came while it had room), least recent at
    /// the tail.
    pub(super) main: List,
    /// Region paragraphs on the main list.
    pub(super) main_paras: RegionParas,
    /// The most the main list may hold.
    main_target: RegionParas,
}

impl Policy {
    /// Empty lists for a data heap of `heap`.
    pub fn new(heap: RegionParas) -> Self {
        Self {
            window: List::EMPTY,
            main: List::EMPTY,
            main_paras: RegionParas::ZERO,
            main_target: heap - RegionParas::new(heap.get() / WINDOW_SHARE),
        }
    }

    fn list_of<A: Regions>(&mut self, a: &A, p: ArenaPara) -> &mut List {
        if a.in_main(p) {
            &mut self.main
        } else {
            &mut self.window
        }
    }

    /// Moves `p` (off every list) to the main list's head, then moves the
    /// least recent main blocks to the window until the main list fits.
    fn make_main<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        a.update_flags(p, Flags::MAIN, Flags::NONE);
        self.main_paras += a.size(p);
        self.main.push_front(a, p);
        while self.main_paras > self.main_target && self.main.tail() != p {
            let q = self.main.tail();
            self.demote(a, q);
        }
    }

    /// Moves main block `q` to the window's tail.
    fn demote<A: Regions>(&mut self, a: &mut A, q: ArenaPara) {
        self.main.unlink(a, q);
        a.update_flags(q, Flags::NONE, Flags::MAIN);
        self.main_paras -= a.size(q);
        self.window.push_back(a, q);
    }

    /// Resident block `p` to the most recent end of its list.
    fn touch<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        if a.in_main(p) {
            self.main.unlink(a, p);
            self.main.push_front(a, p);
        } else {
            self.window.unlink(a, p);
            self.window.push_back(a, p);
        }
    }

    /// Folds the hits `p` took since the policy last looked at it into its
    /// sketch counters and moves it to the most recent end of its list;
    /// whether it had any.
    fn fold<A: Regions>(&mut self, a: &mut A, sketch: &mut Sketch, p: ArenaPara) -> bool {
        let n = a.refs(p);
        if n == 0 {
            return false;
        }
        a.set_refs(p, 0);
        sketch.add(a, a.handle(p), n);
        self.touch(a, p);
        true
    }

    /// Enters freshly loaded block `p`: the main list while it has room
    /// (cold start), else the window.
    pub fn insert<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        a.update_flags(p, Flags::NONE, Flags::MAIN);
        if self.main_paras + a.size(p) <= self.main_target {
            self.make_main(a, p);
        } else {
            self.window.push_back(a, p);
        }
    }

    /// Takes resident block `p` off its list.
    pub fn remove<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        let main = a.in_main(p);
        self.list_of(a, p).unlink(a, p);
        if main {
            self.main_paras -= a.size(p);
        }
    }

    /// Block `p`, on the main list, shrank by `by`.
    pub fn shrunk<A: Regions>(&mut self, a: &A, p: ArenaPara, by: RegionParas) {
        if a.in_main(p) {
            self.main_paras -= by;
        }
    }

    /// After block `old` was copied to `new`, links its list to `new`.
    pub fn moved<A: Regions>(&mut self, a: &mut A, new: ArenaPara) {
        self.list_of(a, new).moved(a, new);
    }

    /// Whether no block is resident.
    pub fn is_empty(&self) -> bool {
        self.window.head().is_nil() && self.main.head().is_nil()
    }

    /// The next block to evict. The candidate is the oldest unlocked block
    /// of the window that took no hit since the policy last looked at it;
    /// it duels the least recent such block of the main list (blocks with
    /// hits passed on the way get them folded in: see the module doc): if
    /// the sketch counts more recent accesses for the candidate, the two
    /// swap places (the candidate joins the main list, the main block
    /// goes). Otherwise the candidate goes. Without a window block, the
    /// main block goes.
    pub fn victim<A: Regions>(&mut self, a: &mut A, sketch: &mut Sketch) -> Option<ArenaPara> {
        // Each walk folds a block at most once (folding clears its count
        // and moves it behind the walk's end), so it ends. A block folded
        // at the walk's end stays there, with no hits now: the one found.
        let p = self.walk(a, sketch, self.window.head(), true);
        let v = self.walk(a, sketch, self.main.tail(), false);
        if p.is_nil() {
            return (!v.is_nil()).then_some(v);
        }
        if !v.is_nil() && sketch.freq(a, a.handle(p)) > sketch.freq(a, a.handle(v)) {
            self.demote(a, v);
            self.window.unlink(a, p);
            self.make_main(a, p);
            return Some(v);
        }
        Some(p)
    }

    /// From `p` on (towards the tail if `forward`, else the head), the
    /// first unlocked block without hits, folding those passed on the way;
    /// the last one folded if all had hits, `NIL` if none is unlocked.
    /// One copy for both of [`victim`](Self::victim)'s walks.
    #[inline(never)]
    fn walk<A: Regions>(
        &mut self,
        a: &mut A,
        sketch: &mut Sketch,
        mut p: ArenaPara,
        forward: bool,
    ) -> ArenaPara {
        while !p.is_nil() {
            let next = if forward {
                a.list_next(p)
            } else {
                a.list_prev(p)
            };
            if a.locks(p) == 0 && (!self.fold(a, sketch, p) || next.is_nil()) {
                break;
            }
            p = next;
        }
        p
    }

    /// An unlocked resident block other than `not` that can leave the cache
    /// without new swap space: clean first, else dirty with committed
    /// space. Walks the lists in [`victim`](Self::victim)'s order:
    /// O(resident blocks), and only after an eviction failed: out of line
    /// and size-optimized.
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    pub fn fallback_victim<A: Regions>(&self, a: &A, not: ArenaPara) -> Option<ArenaPara> {
        let mut committed = None;
        // The window from its head, then the main list from its tail.
        for (mut p, forward) in [(self.window.head(), true), (self.main.tail(), false)] {
            while !p.is_nil() {
                let (f, locks) = a.state(p);
                if p != not && locks == 0 {
                    if !f.has(Flags::DIRTY) {
                        return Some(p);
                    }
                    if f.has(Flags::SWAP) && committed.is_none() {
                        committed = Some(p);
                    }
                }
                p = if forward {
                    a.list_next(p)
                } else {
                    a.list_prev(p)
                };
            }
        }
        committed
    }
}
