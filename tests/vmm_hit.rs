//! The hit path against the slow path: two VMMs over identical backends get
//! the same random calls; one answers `_vload`, `_vlock` and `_vunlock`
//! through `Vmm::hit` first, or as the C ABI's shim does on its own (found
//! through the index place `Vmm::index_place` gave when the heap opened or
//! the status stamp last moved, which is when the C ABI publishes it,
//! header changed in the arena, then
//! `Vmm::hits_elsewhere`), the other only through the ordinary calls. Every
//! result, every byte of the arenas (blocks, headers, lists, sketch), the
//! status values and every counter (hits, misses, page-ins and page-outs, so
//! the replacement policy chose the same victims) must be the same.

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
    /// `_vload(h, dirty)`, then write a byte at an offset when dirty.
    Load(usize, bool, u16, u8),
    /// A `_vload` (dirty or not), `_vlock` or `_vunlock` (dirty or not)
    /// of a live (or, for a multiple of 4, freed) handle, as the shim
    /// answers it on the fast side.
    Shim(usize, u8),
    Lock(usize),
    Unlock(usize, bool),
    LockCount(usize),
    Size(usize),
    Dead(usize),
    Forged(u32),
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![8 => 1u32..700, 2 => 700u32..9000, 1 => Just(0u32)];
    prop_oneof![
        4 => size.clone().prop_map(Op::Alloc),
        2 => any::<usize>().prop_map(Op::Free),
        1 => (any::<usize>(), size).prop_map(|(i, s)| Op::Realloc(i, s)),
        10 => (any::<usize>(), any::<bool>(), any::<u16>(), any::<u8>())
            .prop_map(|(i, d, o, b)| Op::Load(i, d, o, b)),
        8 => (any::<usize>(), 0u8..5).prop_map(|(i, k)| Op::Shim(i, k)),
        2 => any::<usize>().prop_map(Op::Lock),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(i, d)| Op::Unlock(i, d)),
        1 => any::<usize>().prop_map(Op::LockCount),
        1 => any::<usize>().prop_map(Op::Size),
        1 => any::<usize>().prop_map(Op::Dead),
        1 => any::<u32>().prop_map(Op::Forged),
    ]
}

struct Twins {
    fast: Vmm<VecBackends>,
    slow: Vmm<VecBackends>,
    live: Vec<VmHandle>,
    dead: Vec<VmHandle>,
    /// Loads and locks the shim's model answered.
    shim_hits: u32,
    /// Where the index was when the heap opened or the status stamp last
    /// moved: the C ABI publishes it to the shim only then, so it must stay
    /// there while the stamp does.
    published: IndexPlace,
    /// The status stamp when `published` was read.
    stamp: Option<u16>,
}

impl Twins {
    fn new(dos_paras: u16, caps: [Option<u32>; 3]) -> Self {
        let mut fast = Vmm::new(VecBackends::new(dos_paras, caps));
        let mut slow = Vmm::new(VecBackends::new(dos_paras, caps));
        assert_eq!(fast.vheapinit(0, 0, VM_ALLSWAP), 1);
        assert_eq!(slow.vheapinit(0, 0, VM_ALLSWAP), 1);
        let published = fast.index_place().expect("an open heap has an index");
        let stamp = fast.status_stamp();
        Twins {
            fast,
            slow,
            live: vec![],
            dead: vec![],
            shim_hits: 0,
            published,
            stamp,
        }
    }

    fn pick(&self, i: usize) -> VmHandle {
        if self.live.is_empty() {
            0x0010_0001
        } else {
            self.live[i % self.live.len()]
        }
    }

    /// One `_vload`/`_vlock`/`_vunlock` on each side; the fast side tries
    /// the hit path first. Returns the (equal) results.
    fn call(&mut self, h: VmHandle, call: Hit) -> Option<ArenaAddr> {
        let fast = match self.fast.hit(h, call) {
            Some(at) => match call {
                Hit::Unlock { .. } => None,
                _ => Some(at),
            },
            None => msc(&mut self.fast, h, call),
        };
        let slow = msc(&mut self.slow, h, call);
        assert_eq!(fast, slow, "{call:?} of {h:#x}");
        fast
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::Alloc(size) => {
                let h = self.fast.vmalloc(size);
                assert_eq!(h, self.slow.vmalloc(size), "vmalloc({size})");
                if h != VM_NULL {
                    self.live.push(h);
                }
            }
            Op::Free(i) => {
                let h = self.pick(i);
                let r = self.fast.free(h);
                assert_eq!(r, self.slow.free(h), "free({h:#x})");
                if r.is_ok() {
                    self.live.retain(|&x| x != h);
                    self.dead.push(h);
                }
                self.compare_arenas();
            }
            Op::Realloc(i, size) => {
                let h = self.pick(i);
                let r = self.fast.vrealloc(h, size);
                assert_eq!(r, self.slow.vrealloc(h, size), "vrealloc({h:#x}, {size})");
                if size == 0 && self.fast.vmsize(h) == 0 {
                    self.live.retain(|&x| x != h);
                    self.dead.push(h);
                }
                assert_eq!(self.fast.vmsize(h), self.slow.vmsize(h));
                self.compare_arenas();
            }
            Op::Load(i, dirty, off, byte) => {
                let h = self.pick(i);
                if let Some(at) = self.call(h, Hit::Load { dirty }) {
                    if dirty {
                        let n = self.fast.vmsize(h);
                        assert_eq!(n, self.slow.vmsize(h));
                        let at = self.fast.vload(h, VM_DIRTY).unwrap();
                        assert_eq!(Some(at), self.slow.vload(h, VM_DIRTY));
                        let o = at.offset() + u32::from(off) % n;
                        for v in [&mut self.fast, &mut self.slow] {
                            v.arena_mut().unwrap().slice_mut(o, 1)[0] = byte;
                        }
                    } else {
                        let _ = at;
                    }
                }
            }
            Op::Shim(i, k) => {
                let h = match self.dead.len() {
                    n if i % 4 == 0 && n > 0 => self.dead[i / 4 % n],
                    _ => self.pick(i),
                };
                let call = [
                    Hit::Load { dirty: false },
                    Hit::Load { dirty: true },
                    Hit::Lock,
                    Hit::Unlock { dirty: false },
                    Hit::Unlock { dirty: true },
                ][usize::from(k)];
                let Some(hdr) = shim_find(&mut self.fast, self.published, h) else {
                    // Not resident (or not valid): the shim calls the library.
                    self.call(h, call);
                    return self.compare();
                };
                let st = STATE_WORD;
                let (flags, refs) = (hdr + u32::from(st.flags), hdr + u32::from(st.refs));
                let at = hdr + u32::from(st.paras) * 16;
                let a = self.fast.arena_mut().unwrap();
                let (f, locks, n) = (
                    a.slice(flags, 1)[0],
                    a.slice(flags + 1, 1)[0],
                    a.slice(refs, 1)[0],
                );
                let (access, dirty, locks) = match k {
                    0 | 1 => (true, k == 1, locks),
                    2 if locks < 255 => (true, false, locks + 1),
                    3 | 4 if locks > 0 => (false, k == 4, locks - 1),
                    _ => {
                        // A 256th lock or an unlock of an unlocked block: the
                        // shim calls the library.
                        self.call(h, call);
                        return self.compare();
                    }
                };
                a.slice_mut(flags + 1, 1)[0] = locks;
                if dirty {
                    a.slice_mut(flags, 1)[0] = f | st.dirty;
                }
                if access {
                    a.slice_mut(refs, 1)[0] = n.saturating_add(1);
                    self.fast.hits_elsewhere(1);
                    self.shim_hits += 1;
                }
                let slow = &mut self.slow;
                match k {
                    0 | 1 => assert_eq!(slow.vload(h, i16::from(k)).map(|x| x.offset()), Some(at)),
                    2 => assert_eq!(slow.vlock(h).map(|x| x.offset()), Some(at)),
                    _ => slow.vunlock(h, i16::from(k == 4)),
                }
            }
            Op::Lock(i) => {
                let h = self.pick(i);
                self.call(h, Hit::Lock);
            }
            Op::Unlock(i, dirty) => {
                let h = self.pick(i);
                self.call(h, Hit::Unlock { dirty });
            }
            Op::LockCount(i) => {
                let h = self.pick(i);
                assert_eq!(self.fast.vlockcnt(h), self.slow.vlockcnt(h));
                self.compare_arenas();
            }
            Op::Size(i) => {
                let h = self.pick(i);
                assert_eq!(self.fast.vmsize(h), self.slow.vmsize(h));
                self.compare_arenas();
            }
            Op::Dead(i) => {
                if self.dead.is_empty() {
                    return;
                }
                let h = self.dead[i % self.dead.len()];
                self.call(h, Hit::Load { dirty: false });
                self.call(h, Hit::Lock);
                self.call(h, Hit::Unlock { dirty: true });
            }
            Op::Forged(h) => {
                self.call(h, Hit::Load { dirty: true });
                self.call(h, Hit::Lock);
            }
        }
        self.compare();
    }

    /// Everything the two sides can be asked without changing them.
    fn compare(&mut self) {
        if self.fast.status_stamp() != self.stamp {
            // What the C ABI does after a call that moved the stamp.
            self.stamp = self.fast.status_stamp();
            self.published = self.fast.index_place().expect("open");
        }
        assert_eq!(
            self.fast.index_place(),
            Some(self.published),
            "the index moved without a new status stamp"
        );
        assert_eq!(self.fast.status(), self.slow.status());
        assert_eq!(self.fast.status_block(), self.slow.status_block());
        assert_eq!(self.fast.cache_stats(), self.slow.cache_stats());
        for kind in StoreKind::ALL {
            assert_eq!(self.fast.store_stats(kind), self.slow.store_stats(kind));
        }
    }

    /// The whole arenas, byte for byte (bookkeeping, sketch, lists and
    /// blocks): a hit has the same effect on either path.
    fn compare_arenas(&mut self) {
        let n = usize::from(self.fast.arena_mut().unwrap().paras()) * 16;
        let x = self.fast.arena_mut().unwrap().slice(0, n).to_vec();
        let y = self.slow.arena_mut().unwrap().slice(0, n).to_vec();
        if let Some(i) = (0..n).find(|&i| x[i] != y[i]) {
            panic!("arenas differ at byte {i:#x}");
        }
    }

    /// Every block's bytes, loaded on both sides (a call: ends the hits).
    fn finish(&mut self) {
        for &h in &self.live.clone() {
            let a = self.fast.vload(h, VM_CLEAN);
            let b = self.slow.vload(h, VM_CLEAN);
            assert_eq!(a, b);
            if let Some(at) = a {
                let n = self.fast.vmsize(h) as usize;
                let x = self
                    .fast
                    .arena_mut()
                    .unwrap()
                    .slice(at.offset(), n)
                    .to_vec();
                let y = self
                    .slow
                    .arena_mut()
                    .unwrap()
                    .slice(at.offset(), n)
                    .to_vec();
                assert!(x == y, "contents of {h:#x} differ");
            }
        }
        self.compare();
        self.compare_arenas();
        self.fast.check_invariants();
        self.slow.check_invariants();
    }
}

/// The shim's lookup (`asm/vmemory.asm`), over the arena's bytes, through
/// the index place `ip` published when the heap opened: the header's byte
/// offset of `h`'s block if it is resident. As the shim, it takes the
/// bucket from the handle's low word.
fn shim_find(v: &mut Vmm<VecBackends>, ip: IndexPlace, h: VmHandle) -> Option<u32> {
    assert!(ip.mask < 0x8000 && ip.buckets.offset().is_multiple_of(16));
    let st = STATE_WORD;
    let a = v.arena_mut().unwrap();
    let word = |o: u32| u16::from_le_bytes([a.slice(o, 1)[0], a.slice(o + 1, 1)[0]]);
    let bucket = u32::from(h as u16) & ip.mask;
    let mut p = word(ip.buckets.offset() + 2 * bucket);
    while p != 0 {
        let hdr = u32::from(p) * 16;
        let o = hdr + u32::from(st.handle);
        if u32::from(word(o)) | u32::from(word(o + 2)) << 16 == h {
            return Some(hdr);
        }
        p = word(hdr + u32::from(st.hash_next));
    }
    None
}

/// The ordinary call.
fn msc(v: &mut Vmm<VecBackends>, h: VmHandle, call: Hit) -> Option<ArenaAddr> {
    match call {
        Hit::Load { dirty } => v.vload(h, i16::from(dirty)),
        Hit::Lock => v.vlock(h),
        Hit::Unlock { dirty } => {
            v.vunlock(h, i16::from(dirty));
            None
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn hit_path_equals_slow_path(
        dos_paras in prop_oneof![Just(256u16), Just(600), Just(1024), Just(4600)],
        caps in prop_oneof![
            Just([None, None, None]),
            Just([Some(64u32 << 20), None, None]),
            Just([None, Some(48u32 << 10), Some(64u32 << 20)]),
        ],
        ops in prop::collection::vec(op(), 1..600),
    ) {
        let mut t = Twins::new(dos_paras, caps);
        for op in ops {
            t.run(op);
        }
        t.finish();
    }
}

/// A long run of hits in a small cache: hit counts saturate, hits span
/// sketch halvings, and evictions fold them in.
#[test]
fn long_runs_of_hits() {
    let mut t = Twins::new(600, [Some(64 << 20), None, None]);
    for i in 0..40u32 {
        t.run(Op::Alloc(200 + i * 37));
    }
    for round in 0..3000usize {
        t.run(Op::Load(
            round % 7,
            round % 3 == 0,
            round as u16,
            round as u8,
        ));
        for k in 0..(round % 5) {
            t.run(Op::Shim(round + k, (round + k) as u8 % 5));
        }
        if round % 11 == 0 {
            t.run(Op::Load(round * 13 % 40, false, 0, 0));
        }
        if round % 97 == 0 {
            t.run(Op::Alloc(3000));
        }
    }
    assert!(t.shim_hits > 500, "{} shim hits", t.shim_hits);
    t.finish();
}
