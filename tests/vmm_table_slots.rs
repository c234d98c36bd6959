//! The handle table's extra slots (table pages cached in the data heap's
//! free space, given back before a block is evicted): model-based runs with
//! tiny caches, hundreds of handles (many table pages), injected store
//! failures and locked blocks; no byte is lost, the table stays consistent
//! (`check_invariants` checks the slots and their regions after every
//! call, and every entry is read back at the end), and a block that fits
//! the cache is never refused because table pages hold its room.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::VecBackends;
use proptest::prelude::*;
use vmemory::vmm::*;

#[derive(Clone, Debug)]
enum Op {
    /// `_vmalloc` of a small block (lazy: it takes no cache space).
    Alloc(u32),
    Free(usize),
    /// Load dirty and write one byte pattern over the whole block.
    Write(usize, u8),
    Check(usize),
    /// Load a block as large as the cache can hold: every extra table
    /// slot must be given back for it.
    Big(u8),
    Lock(usize),
    Unlock(usize),
    Faults(u8, u32),
    NoFaults,
}

fn op() -> impl Strategy<Value = Op> {
    let i = any::<usize>();
    prop_oneof![
        40 => (1u32..400).prop_map(Op::Alloc),
        14 => i.prop_map(Op::Free),
        12 => (i, any::<u8>()).prop_map(|(k, b)| Op::Write(k, b)),
        10 => i.prop_map(Op::Check),
        2 => any::<u8>().prop_map(Op::Big),
        2 => i.prop_map(Op::Lock),
        3 => i.prop_map(Op::Unlock),
        2 => (0u8..4, 2u32..30).prop_map(|(m, n)| Op::Faults(m, n)),
        5 => Just(Op::NoFaults),
    ]
}

struct Block {
    h: VmHandle,
    data: Vec<u8>,
    locks: u8,
}

struct Run {
    v: Vm,
    live: Vec<Block>,
    dead: Vec<VmHandle>,
    faults: bool,
    unlimited: bool,
}

type Vm = Vmm<VecBackends>;

impl Run {
    fn new(dos_paras: u16, caps: [Option<u32>; 3]) -> Self {
        let mut v = Vmm::new(VecBackends::new(dos_paras, caps));
        assert_eq!(v.vheapinit(0, 0, VM_ALLSWAP), 1);
        Run {
            v,
            live: vec![],
            dead: vec![],
            faults: false,
            unlimited: caps.contains(&Some(64 << 20)),
        }
    }

    /// Whether a load of a block that fits the cache must succeed.
    fn strict(&self) -> bool {
        !self.faults && self.unlimited && self.live.iter().all(|b| b.locks == 0)
    }

    fn pick(&self, i: usize) -> Option<usize> {
        (!self.live.is_empty()).then(|| i % self.live.len())
    }

    fn bytes(&mut self, at: ArenaAddr, n: usize) -> &mut [u8] {
        self.v.arena_mut().unwrap().slice_mut(at.offset(), n)
    }

    fn check(&mut self, k: usize) {
        let (h, n) = (self.live[k].h, self.live[k].data.len());
        match self.v.vload(h, VM_CLEAN) {
            Some(at) => {
                let got = self.bytes(at, n).to_vec();
                assert!(got == self.live[k].data, "{h:#x} lost bytes");
            }
            None => assert!(!self.strict(), "load of {h:#x} failed"),
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Alloc(size) => match self.v.vmalloc(size) {
                VM_NULL => assert!(!self.strict(), "vmalloc({size}) failed"),
                h => {
                    let n = ((size + 15) & !15) as usize;
                    self.live.push(Block {
                        h,
                        data: vec![0; n],
                        locks: 0,
                    });
                }
            },
            Op::Free(i) => {
                if let Some(k) = self.pick(i) {
                    let h = self.live[k].h;
                    match self.v.free(h) {
                        Ok(()) => {
                            assert_eq!(self.live[k].locks, 0, "a locked block was freed");
                            self.live.swap_remove(k);
                            self.dead.push(h);
                        }
                        Err(VmError::Locked) => assert!(self.live[k].locks > 0),
                        Err(e) => assert!(self.faults, "free of {h:#x}: {e:?}"),
                    }
                }
            }
            Op::Write(i, b) => {
                if let Some(k) = self.pick(i) {
                    let (h, n) = (self.live[k].h, self.live[k].data.len());
                    match self.v.vload(h, VM_DIRTY) {
                        Some(at) => {
                            self.bytes(at, n).fill(b);
                            self.live[k].data.fill(b);
                        }
                        None => assert!(!self.strict(), "load of {h:#x} failed"),
                    }
                }
            }
            Op::Check(i) => {
                if let Some(k) = self.pick(i) {
                    self.check(k);
                }
            }
            Op::Big(b) => {
                let largest = self.v.status().largest_block;
                match self.v.vmalloc(largest) {
                    VM_NULL => assert!(!self.strict(), "vmalloc({largest}) failed"),
                    h => match self.v.vload(h, VM_DIRTY) {
                        Some(at) => {
                            let n = largest as usize;
                            self.bytes(at, n).fill(b);
                            self.live.push(Block {
                                h,
                                data: vec![b; n],
                                locks: 0,
                            });
                        }
                        None => {
                            assert!(!self.strict(), "a {largest}-byte block did not fit");
                            self.live.push(Block {
                                h,
                                data: vec![0; largest as usize],
                                locks: 0,
                            });
                        }
                    },
                }
            }
            Op::Lock(i) => {
                if let Some(k) = self.pick(i) {
                    if self.live[k].locks < 3 && self.v.vlock(self.live[k].h).is_some() {
                        self.live[k].locks += 1;
                    }
                }
            }
            Op::Unlock(i) => {
                let locked: Vec<usize> = (0..self.live.len())
                    .filter(|&k| self.live[k].locks > 0)
                    .collect();
                if !locked.is_empty() {
                    let k = locked[i % locked.len()];
                    self.v.vunlock(self.live[k].h, VM_CLEAN);
                    self.live[k].locks -= 1;
                }
            }
            Op::Faults(mode, n) => {
                // No read failures here: one in n, writes, grows, the nth.
                let kind = [0, 1, 3, 4][usize::from(mode & 3)];
                self.v.backends().plan.borrow_mut().inject(kind, n);
                self.faults = true;
            }
            Op::NoFaults => {
                self.v.backends().plan.borrow_mut().clear();
                self.faults = false;
            }
        }
        self.v.check_invariants();
    }

    /// No failures from here: every block reads back as written, every
    /// entry holds its size, every freed handle is refused, and freeing
    /// everything gives every byte of swap space back.
    fn finish(mut self) {
        self.v.backends().plan.borrow_mut().clear();
        self.faults = false;
        for k in 0..self.live.len() {
            while self.live[k].locks > 0 {
                self.v.vunlock(self.live[k].h, VM_CLEAN);
                self.live[k].locks -= 1;
            }
        }
        for k in 0..self.live.len() {
            let (h, n) = (self.live[k].h, self.live[k].data.len());
            assert_eq!(self.v.vmsize(h) as usize, n, "entry of {h:#x}");
            if self.unlimited {
                self.check(k);
            }
        }
        for &h in &self.dead {
            assert_eq!(self.v.vmsize(h), 0, "freed handle {h:#x} still valid");
        }
        assert_eq!(self.v.status().live_handles as usize, self.live.len());
        for b in std::mem::take(&mut self.live) {
            assert_eq!(self.v.free(b.h), Ok(()));
        }
        self.v.check_invariants();
        let st = self.v.status();
        assert_eq!(st.live_handles, 0);
        self.v.vheapterm();
        assert_eq!(self.v.backends().open, 0, "term released everything");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn extra_table_slots(
        dos in prop_oneof![Just(256u16), Just(512), Just(1024), Just(2048)],
        caps in prop_oneof![
            3 => Just([Some(64u32 << 20), None, None]),
            1 => Just([Some(48u32 << 10), None, Some(64 << 20)]),
            1 => Just([Some(48u32 << 10), None, None]),
        ],
        ops in prop::collection::vec(op(), 1000..2500),
    ) {
        let mut run = Run::new(dos, caps);
        for op in ops {
            run.apply(op);
        }
        run.finish();
    }
}

/// The churn of C_BENCH at dosmax 1024 (1000 slots, lazy blocks that never
/// take cache space): the table pages stay cached in extra slots instead of
/// paging in at almost every call (95 018 page-ins with the two fixed slots
/// alone); a block as large as the cache can hold still loads afterwards.
#[test]
fn churn_keeps_table_pages_cached() {
    let mut v = Vmm::new(VecBackends::new(
        40000,
        [None, Some(64 << 20), Some(64 << 20)],
    ));
    assert_eq!(v.vheapinit(0, 1024, VM_EMS | VM_DISK), 1);
    let mut slots = [VM_NULL; 1000];
    let mut seed: u32 = 0x2545_F491;
    let mut rng = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..50_000 {
        let i = (rng() % 1000) as usize;
        if slots[i] != VM_NULL {
            v.vfree(slots[i]);
            slots[i] = VM_NULL;
        } else {
            slots[i] = v.vmalloc(rng() % 508 + 5);
            assert_ne!(slots[i], VM_NULL);
        }
    }
    v.check_invariants();
    let ins: u32 = StoreKind::ALL
        .iter()
        .map(|&k| v.store_stats(k).table_ins)
        .sum();
    assert!(ins < 100, "{ins} table page-ins");
    let big = v.vmalloc(v.status().largest_block);
    assert!(v.vload(big, VM_DIRTY).is_some(), "the table kept the room");
    v.check_invariants();
    for h in slots.into_iter().filter(|&h| h != VM_NULL) {
        assert!(v.vmsize(h) > 0);
    }
}
