//! Model-based property tests: random sequences of the ten calls against a
//! plain model (handle -> bytes), with tiny caches, every mix of swap
//! stores, and injected backend failures.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::VecBackends;
use proptest::prelude::*;
use vmemory::vmm::*;

#[derive(Clone, Debug)]
enum Op {
    Alloc(u32),
    Free(usize),
    Realloc(usize, u32),
    LoadWrite(usize, u16, u16, u8),
    Check(usize),
    Lock(usize),
    LockMany(usize),
    Unlock(usize, bool),
    WriteLocked(usize, u8),
    Query(usize),
    Dead(usize),
    Forged(u32),
    Faults(u8, u32),
    NoFaults,
    Cycle,
}

fn size() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 1u32..600,
        3 => 600u32..6000,
        1 => 6000u32..=65530,
        1 => Just(0u32),
        1 => prop_oneof![Just(65531u32), Just(u32::MAX), 65531u32..200000],
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let i = any::<usize>();
    prop_oneof![
        30 => size().prop_map(Op::Alloc),
        8 => i.prop_map(Op::Free),
        8 => (i, size()).prop_map(|(a, b)| Op::Realloc(a, b)),
        40 => (i, any::<u16>(), any::<u16>(), any::<u8>())
            .prop_map(|(a, b, c, d)| Op::LoadWrite(a, b, c, d)),
        25 => i.prop_map(Op::Check),
        5 => i.prop_map(Op::Lock),
        1 => i.prop_map(Op::LockMany),
        15 => (i, any::<bool>()).prop_map(|(a, b)| Op::Unlock(a, b)),
        6 => (i, any::<u8>()).prop_map(|(a, b)| Op::WriteLocked(a, b)),
        6 => i.prop_map(Op::Query),
        3 => i.prop_map(Op::Dead),
        2 => any::<u32>().prop_map(Op::Forged),
        3 => (0u8..5, 2u32..40).prop_map(|(a, b)| Op::Faults(a, b)),
        6 => Just(Op::NoFaults),
        1 => Just(Op::Cycle),
    ]
}

#[derive(Clone, Copy, Debug)]
struct Config {
    dos_paras: u16,
    caps: [Option<u32>; 3],
}

fn config() -> impl Strategy<Value = Config> {
    let cap = prop_oneof![
        2 => Just(None),
        1 => Just(Some(48u32 << 10)),
        2 => Just(Some(64u32 << 20)),
    ];
    (
        prop_oneof![
            Just(256u16),
            Just(512),
            Just(600),
            Just(1024),
            Just(2048),
            Just(4600)
        ],
        [cap.clone(), cap.clone(), cap],
    )
        .prop_map(|(dos_paras, caps)| Config { dos_paras, caps })
}

struct Entry {
    h: VmHandle,
    data: Vec<u8>,
    locks: u8,
    lock_at: u32,
    /// Written while locked and no dirty unlock since.
    pending: bool,
}

struct Harness {
    v: Vmm<VecBackends>,
    live: Vec<Entry>,
    dead: Vec<VmHandle>,
    faults: bool,
    unlimited: bool,
    /// The status stamp and block after the last op.
    stamp: Option<u16>,
    block: StatusBlock,
}

fn rounded(size: u32) -> usize {
    (((size + 15) & !15).min(MAX_BLOCK_SIZE)) as usize
}

impl Harness {
    fn new(cfg: Config) -> Self {
        let mut v = Vmm::new(VecBackends::new(cfg.dos_paras, cfg.caps));
        assert_eq!(v.vheapinit(0, 0, VM_ALLSWAP), 1);
        Harness {
            v,
            live: vec![],
            dead: vec![],
            faults: false,
            unlimited: cfg.caps.contains(&Some(64 << 20)),
            stamp: None,
            block: StatusBlock::IDLE,
        }
    }

    /// No injected failures and unlimited swap: only the cache size and
    /// locks may make a call fail.
    fn strict(&self) -> bool {
        !self.faults && self.unlimited
    }

    fn any_locked(&self) -> bool {
        self.live.iter().any(|e| e.locks > 0)
    }

    /// Whether a block of `len` bytes must be loadable now: whenever no
    /// failure is injected and no block is locked, however full the
    /// stores are (the commit charge reserved its swap space at
    /// `_vmalloc`, issue 23), whatever failed before.
    fn must_fit(&self, len: usize) -> bool {
        !self.faults && !self.any_locked() && len as u32 <= self.v.status().largest_block
    }

    fn is_live(&self, h: VmHandle) -> bool {
        self.live.iter().any(|e| e.h == h)
    }

    fn pick(&self, i: usize) -> Option<usize> {
        if self.live.is_empty() {
            None
        } else {
            Some(i % self.live.len())
        }
    }

    fn arena(&mut self) -> &mut fakes::VecArena {
        self.v.arena_mut().unwrap()
    }

    fn check_entry(&mut self, k: usize) {
        let (h, n) = (self.live[k].h, self.live[k].data.len());
        match self.v.vload(h, VM_CLEAN) {
            Some(at) => {
                assert_eq!(at.offset() % 16, 0);
                if self.live[k].locks > 0 {
                    assert_eq!(at.offset(), self.live[k].lock_at, "a locked block moved");
                }
                let got = self.arena().slice(at.offset(), n).to_vec();
                assert!(
                    got == self.live[k].data,
                    "contents of {h:#x} differ from the model"
                );
            }
            None => assert!(!self.must_fit(n), "load of {h:#x} ({n} bytes) failed"),
        }
    }

    fn run(&mut self, op: Op) {
        let cycle = matches!(op, Op::Cycle);
        self.apply(op);
        // The C ABI computes the status block again only when the stamp
        // moved (or after init and term): it must not change otherwise.
        let (stamp, block) = (self.v.status_stamp(), self.v.status_block());
        if !cycle && stamp == self.stamp {
            assert_eq!(block, self.block, "the status changed, its stamp did not");
        }
        (self.stamp, self.block) = (stamp, block);
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Alloc(size) => {
                let largest = self.v.status().largest_block;
                let h = self.v.vmalloc(size);
                if size == 0 || size > MAX_BLOCK_SIZE {
                    assert_eq!(h, VM_NULL);
                } else if rounded(size) as u32 > largest {
                    // Could never be loaded into this cache: refused.
                    assert_eq!(
                        h, VM_NULL,
                        "vmalloc({size}) above the cache's largest block"
                    );
                } else if h == VM_NULL {
                    assert!(!self.strict(), "vmalloc({size}) failed");
                } else {
                    assert!(!self.is_live(h), "duplicate handle");
                    let n = rounded(size);
                    self.live.push(Entry {
                        h,
                        data: vec![0; n],
                        locks: 0,
                        lock_at: 0,
                        pending: false,
                    });
                }
            }
            Op::Free(i) => {
                let Some(k) = self.pick(i) else { return };
                let h = self.live[k].h;
                let r = self.v.free(h);
                if self.live[k].locks > 0 {
                    assert_eq!(r, Err(VmError::Locked));
                } else if r.is_ok() {
                    self.live.swap_remove(k);
                    self.dead.push(h);
                } else {
                    assert!(!self.strict(), "free failed: {r:?}");
                    assert!(
                        matches!(r, Err(VmError::Backend(_)) | Err(VmError::NoSwap)),
                        "{r:?}"
                    );
                }
            }
            Op::Realloc(i, size) => {
                let Some(k) = self.pick(i) else { return };
                let h = self.live[k].h;
                let largest = self.v.status().largest_resize;
                let res = self.v.realloc(h, size);
                let r = res.unwrap_or(VM_NULL);
                if self.live[k].locks > 0
                    || size > MAX_BLOCK_SIZE
                    || (size != 0 && rounded(size) as u32 > largest)
                {
                    assert_eq!(r, VM_NULL);
                } else if size == 0 {
                    assert_eq!(r, VM_NULL);
                    if self.v.vmsize(h) == 0 && !self.faults {
                        self.live.swap_remove(k);
                        self.dead.push(h);
                    } else if self.faults {
                        // Either freed or not: find out with failures off.
                        self.v.backends().plan.borrow_mut().clear();
                        self.faults = false;
                        if self.v.vmsize(h) == 0 {
                            self.live.swap_remove(k);
                            self.dead.push(h);
                        }
                    }
                } else if r == VM_NULL {
                    let fit = rounded(size) as u32 <= largest && self.must_fit(rounded(size));
                    // Growing may be refused only for its charge: the
                    // stores (or, without one, the cache) cannot back it.
                    let charge = matches!(res, Err(VmError::NoSwap) | Err(VmError::NoRoom));
                    assert!(
                        !fit || (charge && !self.unlimited),
                        "realloc to {size} failed: {res:?}"
                    );
                } else {
                    let e = &mut self.live[k];
                    e.h = r;
                    e.data.resize(rounded(size), 0);
                }
            }
            Op::LoadWrite(i, off, len, byte) => {
                let Some(k) = self.pick(i) else { return };
                let (h, n) = (self.live[k].h, self.live[k].data.len());
                match self.v.vload(h, VM_DIRTY) {
                    Some(at) => {
                        if self.live[k].locks > 0 {
                            assert_eq!(at.offset(), self.live[k].lock_at, "a locked block moved");
                        }
                        let off = off as usize % n;
                        let len = (len as usize % 700).min(n - off);
                        self.arena()
                            .slice_mut(at.offset() + off as u32, len)
                            .fill(byte);
                        self.live[k].data[off..off + len].fill(byte);
                    }
                    None => assert!(!self.must_fit(n), "vload({h:#x}, {n}) failed"),
                }
            }
            Op::Check(i) => {
                if let Some(k) = self.pick(i) {
                    self.check_entry(k);
                }
            }
            Op::Lock(i) => {
                let Some(k) = self.pick(i) else { return };
                self.lock(k);
            }
            Op::LockMany(i) => {
                let Some(k) = self.pick(i) else { return };
                while self.live[k].locks < 255 {
                    if !self.lock(k) {
                        return;
                    }
                }
                assert_eq!(self.v.vlock(self.live[k].h), None, "256th lock");
                assert_eq!(self.v.vlockcnt(self.live[k].h), 255);
                // Back down, so that locked blocks do not pile up.
                for j in 0..254 {
                    self.run(Op::Unlock(k, j % 7 == 0));
                }
            }
            Op::Unlock(i, dirty) => {
                let Some(k) = self.pick(i) else { return };
                let h = self.live[k].h;
                self.v.vunlock(h, if dirty { VM_DIRTY } else { VM_CLEAN });
                let e = &mut self.live[k];
                if e.locks > 0 {
                    e.locks -= 1;
                    if dirty {
                        e.pending = false;
                    }
                    if e.locks == 0 && e.pending {
                        // Nothing was unlocked dirty since the write: mark it
                        // dirty now (it is still resident: no call in between).
                        let at = self
                            .v
                            .vload(h, VM_DIRTY)
                            .expect("block just unlocked is resident");
                        assert_eq!(at.offset(), self.live[k].lock_at);
                        self.live[k].pending = false;
                    }
                }
                let e = &self.live[k];
                let c = self.v.vlockcnt(h);
                assert!(c == u16::from(e.locks) || (c == 0 && self.faults && e.locks == 0));
            }
            Op::WriteLocked(i, byte) => {
                let Some(k) = self.pick(i) else { return };
                if self.live[k].locks == 0 {
                    return;
                }
                let (at, n) = (self.live[k].lock_at, self.live[k].data.len());
                let len = n.min(1 + byte as usize * 3);
                self.arena().slice_mut(at, len).fill(byte);
                let e = &mut self.live[k];
                e.data[..len].fill(byte);
                e.pending = true;
            }
            Op::Query(i) => {
                let Some(k) = self.pick(i) else { return };
                let h = self.live[k].h;
                let s = self.v.vmsize(h);
                assert!(
                    s as usize == self.live[k].data.len() || (s == 0 && self.faults),
                    "vmsize {s}"
                );
                let c = self.v.vlockcnt(h);
                assert!(
                    c == u16::from(self.live[k].locks) || (c == 0 && self.faults),
                    "vlockcnt {c}"
                );
            }
            Op::Dead(i) => {
                if self.dead.is_empty() {
                    return;
                }
                let h = self.dead[i % self.dead.len()];
                self.invalid(h);
            }
            Op::Forged(h) => self.invalid(h),
            Op::Faults(mode, n) => {
                self.v.backends().plan.borrow_mut().inject(mode, n);
                self.faults = true;
            }
            Op::NoFaults => {
                self.v.backends().plan.borrow_mut().clear();
                self.faults = false;
            }
            Op::Cycle => {
                self.v.vheapterm();
                assert_eq!(self.v.backends().open, 0, "term released everything");
                assert_eq!(self.v.vheapinit(0, 0, VM_ALLSWAP), 1);
                for e in self.live.drain(..) {
                    self.dead.push(e.h);
                }
            }
        }
        self.v.check_invariants();
        if !self.faults {
            self.v.audit_charges();
        }
    }

    fn lock(&mut self, k: usize) -> bool {
        let h = self.live[k].h;
        let n = self.live[k].data.len();
        let full = self.live[k].locks == 255;
        match self.v.vlock(h) {
            Some(at) => {
                assert!(!full, "256th lock succeeded");
                let e = &mut self.live[k];
                if e.locks > 0 {
                    assert_eq!(at.offset(), e.lock_at, "a locked block moved");
                }
                e.locks += 1;
                e.lock_at = at.offset();
                true
            }
            None => {
                assert!(full || !self.must_fit(n), "vlock({h:#x}, {n}) failed");
                false
            }
        }
    }

    fn invalid(&mut self, h: VmHandle) {
        if self.is_live(h) {
            return;
        }
        assert_eq!(self.v.vmsize(h), 0);
        assert_eq!(self.v.vlockcnt(h), 0);
        assert_eq!(self.v.vload(h, VM_DIRTY), None);
        assert_eq!(self.v.vlock(h), None);
        let r = self.v.free(h);
        if self.faults {
            assert!(r.is_err());
        } else {
            assert_eq!(r, Err(VmError::InvalidHandle));
        }
        if h != VM_NULL {
            assert_eq!(self.v.vrealloc(h, 100), VM_NULL);
        }
    }

    fn finish(&mut self) {
        if std::env::var_os("VMM_MODEL_STATS").is_some() {
            let s: Vec<_> = StoreKind::ALL
                .iter()
                .map(|&k| self.v.store_stats(k))
                .collect();
            eprintln!(
                "live {} dead {} injected {} cache {:?} ins {} outs {} table {}/{} fails {}",
                self.live.len(),
                self.dead.len(),
                self.v.backends().plan.borrow().injected,
                self.v.cache_stats(),
                s.iter().map(|x| x.page_ins).sum::<u32>(),
                s.iter().map(|x| x.page_outs).sum::<u32>(),
                s.iter().map(|x| x.table_ins).sum::<u32>(),
                s.iter().map(|x| x.table_outs).sum::<u32>(),
                s.iter().map(|x| x.failures).sum::<u32>(),
            );
        }
        self.v.backends().plan.borrow_mut().clear();
        self.faults = false;
        for k in 0..self.live.len() {
            while self.live[k].locks > 0 {
                let h = self.live[k].h;
                self.run(Op::Unlock(k, true));
                let _ = h;
            }
        }
        for k in 0..self.live.len() {
            self.check_entry(k);
        }
        // Free everything: all swap space comes back.
        for e in std::mem::take(&mut self.live) {
            assert_eq!(self.v.free(e.h), Ok(()));
        }
        let st = self.v.status();
        assert_eq!(st.live_handles, 0);
        self.v.vheapterm();
        assert_eq!(self.v.backends().open, 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn model(cfg in config(), ops in prop::collection::vec(op(), 1..400)) {
        let mut t = Harness::new(cfg);
        for op in ops {
            t.run(op);
        }
        t.finish();
    }
}

/// The status stamp: the same while only the table and the cache change,
/// moved by every allocation and release of swap space.
#[test]
fn status_stamp_moves_with_swap_space() {
    let mut v = Vmm::new(VecBackends::new(256, [Some(64 << 20), None, None]));
    assert_eq!(v.status_stamp(), None);
    assert_eq!(v.vheapinit(0, 0, VM_XMS), 1);
    let s0 = v.status_stamp().unwrap();
    // The first handle gives its table page swap space.
    let first = v.vmalloc(100);
    let s1 = v.status_stamp().unwrap();
    assert_ne!(s1, s0);
    // More handles of that page, a free of a block never written out: the
    // swap space and the stamp stay.
    let hs: Vec<_> = (0..40).map(|_| v.vmalloc(1000)).collect();
    assert!(hs.iter().all(|&h| h != VM_NULL));
    v.vfree(first);
    assert_eq!(v.status_stamp(), Some(s1));
    let block = v.status_block();
    // 40 KB of dirty blocks through a 4 KB cache: written out, swap space
    // allocated, the stamp and the used pages move.
    for &h in &hs {
        assert!(v.vload(h, VM_DIRTY).is_some());
    }
    assert_ne!(v.status_stamp(), Some(s1));
    assert_ne!(v.status_block().c_vm_page, block.c_vm_page);
    // Frees give swap space back: the stamp moves again.
    let s2 = v.status_stamp();
    for &h in &hs {
        v.vfree(h);
    }
    assert_ne!(v.status_stamp(), s2);
    assert_eq!(
        v.status_block().c_vm_page,
        1,
        "the table page's swap space is left"
    );
    v.vheapterm();
    assert_eq!(v.status_stamp(), None);
}

/// `vmalloc_stamped` and `vfree_stamped` (the C ABI's `_vmalloc` and
/// `_vfree`) answer as `vmalloc`, `vfree` and `status_stamp` after them, on
/// a twin heap: with no heap, bad sizes and handles, and swap space moving.
#[test]
fn stamped_calls_equal_the_plain_ones() {
    let backends = || VecBackends::new(256, [Some(64 << 20), None, None]);
    let (mut a, mut b) = (Vmm::new(backends()), Vmm::new(backends()));
    assert_eq!(a.vmalloc_stamped(100), (VM_NULL, None));
    assert_eq!(a.vfree_stamped(0x0010_0001), None);
    assert_eq!(a.vheapinit(0, 0, VM_XMS), 1);
    assert_eq!(b.vheapinit(0, 0, VM_XMS), 1);
    let mut live = Vec::new();
    for size in [100, 0, 65531, 1000, 4000, 70_000, 16, 2000, 65530] {
        let (h, stamp) = a.vmalloc_stamped(size);
        assert_eq!(h, b.vmalloc(size), "_vmalloc({size})");
        assert_eq!(stamp, b.status_stamp());
        if h != VM_NULL {
            live.push(h);
        }
    }
    // Dirty blocks through a 4 KB cache: swap space moves the stamp.
    for &h in &live {
        assert_eq!(a.vload(h, VM_DIRTY), b.vload(h, VM_DIRTY));
    }
    for h in live.iter().copied().chain([live[0], 0, 0xFFFF_FFFF]) {
        assert_eq!(a.vfree_stamped(h), {
            b.vfree(h);
            b.status_stamp()
        });
    }
    assert_eq!(a.status_block(), b.status_block());
}

/// Long runs with a tiny cache and no `_vheapterm`: heavy eviction traffic,
/// hundreds of live handles (the handle table pages in and out).
#[test]
fn long_run_small_cache() {
    use proptest::test_runner::{Config as PC, TestRunner};
    let mut runner = TestRunner::new(PC {
        cases: 8,
        ..PC::default()
    });
    let strategy = (
        prop_oneof![Just(256u16), Just(512), Just(700)],
        prop::collection::vec(op(), 2000..3000),
    );
    runner
        .run(&strategy, |(dos, ops)| {
            let mut t = Harness::new(Config {
                dos_paras: dos,
                caps: [Some(64 << 10), None, Some(64 << 20)],
            });
            for op in ops {
                if !matches!(op, Op::Cycle) {
                    t.run(op);
                }
            }
            t.finish();
            Ok(())
        })
        .unwrap();
}
