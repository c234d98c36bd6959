//! Host implementations of the backend traits over `Vec<u8>`, with
//! injectable failures, for the tests and the trace simulator.
//! Included with `#[path]` (the library itself is `no_std`).
#![allow(dead_code)]

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::rc::Rc;
use vmemory::vmm::{
    Arena, ArenaAddr, ArenaIo, BackendError, Backends, Bytes, Store, StoreAddr, StoreKind,
    VmHandle, Vmm,
};

/// Failure plan shared by the backends and every store they opened.
#[derive(Debug, Default)]
pub struct Plan {
    /// Store operations (grow, read, write) so far.
    pub ops: u64,
    /// Fail exactly this operation number (counted in `ops`).
    pub fail_at: Option<u64>,
    /// Fail each operation with probability 1/`one_in` (0: never).
    pub one_in: u32,
    /// Every grow fails.
    pub fail_grows: bool,
    /// Every write fails.
    pub fail_writes: bool,
    /// Every read fails.
    pub fail_reads: bool,
    /// xorshift state for `one_in`.
    pub rng: u64,
    /// Failures injected so far.
    pub injected: u64,
}

impl Plan {
    fn fails(&mut self, is_grow: bool, is_read: bool) -> bool {
        self.ops += 1;
        let mut f = self.fail_at == Some(self.ops)
            || (is_grow && self.fail_grows)
            || (!is_grow && is_read && self.fail_reads)
            || (!is_grow && !is_read && self.fail_writes);
        if self.one_in > 0 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            f |= self.rng.is_multiple_of(u64::from(self.one_in));
        }
        if f {
            self.injected += 1;
        }
        f
    }

    /// Adds failure `kind` to the plan (the property tests draw it): 0 one
    /// operation in `n` fails, 1 every write, 2 every read, 3 every grow,
    /// otherwise the `n`th operation from now.
    pub fn inject(&mut self, kind: u8, n: u32) {
        match kind {
            0 => self.one_in = n,
            1 => self.fail_writes = true,
            2 => self.fail_reads = true,
            3 => self.fail_grows = true,
            _ => self.fail_at = Some(self.ops + u64::from(n)),
        }
    }

    /// No failures from now on.
    pub fn clear(&mut self) {
        self.fail_at = None;
        self.one_in = 0;
        self.fail_grows = false;
        self.fail_writes = false;
        self.fail_reads = false;
    }
}

/// The cache arena.
pub struct VecArena {
    pub bytes: Vec<u8>,
}

impl VecArena {
    fn check(&self, at: u32, len: u32) {
        assert!(
            at as usize + len as usize <= self.bytes.len(),
            "arena access {at}+{len} out of {}",
            self.bytes.len()
        );
    }
    /// Bytes at `at` (test access through a `_vload` pointer).
    pub fn slice(&self, at: u32, len: usize) -> &[u8] {
        &self.bytes[at as usize..at as usize + len]
    }
    /// Mutable bytes at `at`.
    pub fn slice_mut(&mut self, at: u32, len: usize) -> &mut [u8] {
        &mut self.bytes[at as usize..at as usize + len]
    }
}

impl Arena for VecArena {
    fn paras(&self) -> u16 {
        (self.bytes.len() / 16) as u16
    }
    fn read_u16(&self, at: ArenaAddr) -> u16 {
        let at = at.offset();
        self.check(at, 2);
        u16::from_le_bytes([self.bytes[at as usize], self.bytes[at as usize + 1]])
    }
    fn write_u16(&mut self, at: ArenaAddr, value: u16) {
        let at = at.offset();
        self.check(at, 2);
        self.bytes[at as usize..at as usize + 2].copy_from_slice(&value.to_le_bytes());
    }
    fn fill(&mut self, at: ArenaAddr, len: Bytes, byte: u8) {
        let (at, len) = (at.offset(), len.get());
        self.check(at, len);
        self.bytes[at as usize..(at + len) as usize].fill(byte);
    }
    fn copy(&mut self, from: ArenaAddr, to: ArenaAddr, len: Bytes) {
        let (from, to, len) = (from.offset(), to.offset(), len.get());
        self.check(from, len);
        self.check(to, len);
        self.bytes
            .copy_within(from as usize..(from + len) as usize, to as usize);
    }
}

/// A swap store.
pub struct VecStore {
    pub kind: StoreKind,
    pub bytes: Vec<u8>,
    /// Largest size it may grow to.
    pub cap: u32,
    pub plan: Rc<RefCell<Plan>>,
}

impl Store<VecArena> for VecStore {
    fn size(&self) -> Bytes {
        Bytes::new(self.bytes.len() as u32)
    }
    fn grow(&mut self, min_size: Bytes) -> Result<Bytes, BackendError> {
        let min_size = min_size.get();
        assert!(min_size.is_multiple_of(16));
        if self.plan.borrow_mut().fails(true, false) || min_size > self.cap {
            return Err(BackendError::FULL);
        }
        if min_size as usize > self.bytes.len() {
            self.bytes.resize(min_size as usize, 0xA5);
        }
        Ok(Bytes::new(self.bytes.len() as u32))
    }
    fn transfer(
        &mut self,
        at: StoreAddr,
        arena: ArenaIo<'_, VecArena>,
        arena_at: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        match arena {
            ArenaIo::Into(a) => self.read(at, a, arena_at, len),
            ArenaIo::OutOf(a) => self.write(at, a, arena_at, len),
        }
    }
}

impl VecStore {
    fn read(
        &mut self,
        at: StoreAddr,
        arena: &mut VecArena,
        to: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        let (from, to, len) = (at.offset(), to.offset(), len.get());
        assert!(
            from.is_multiple_of(16) && to.is_multiple_of(16) && len.is_multiple_of(16) && len > 0
        );
        assert!(
            (from + len) as usize <= self.bytes.len(),
            "store read past end"
        );
        arena.check(to, len);
        if self.plan.borrow_mut().fails(false, true) {
            // A failed read may have clobbered the destination.
            arena.bytes[to as usize..(to + len.min(16)) as usize].fill(0xEE);
            return Err(BackendError::IO);
        }
        arena.bytes[to as usize..(to + len) as usize]
            .copy_from_slice(&self.bytes[from as usize..(from + len) as usize]);
        Ok(())
    }
    fn write(
        &mut self,
        at: StoreAddr,
        arena: &VecArena,
        from: ArenaAddr,
        len: Bytes,
    ) -> Result<(), BackendError> {
        let (from, to, len) = (from.offset(), at.offset(), len.get());
        assert!(
            from.is_multiple_of(16) && to.is_multiple_of(16) && len.is_multiple_of(16) && len > 0
        );
        assert!(
            (to + len) as usize <= self.bytes.len(),
            "store write past end"
        );
        arena.check(from, len);
        if self.plan.borrow_mut().fails(false, false) {
            // A failed write may have written part of the data.
            let l = (len / 2) as usize & !15;
            self.bytes[to as usize..to as usize + l].fill(0xDD);
            return Err(BackendError::IO);
        }
        self.bytes[to as usize..(to + len) as usize]
            .copy_from_slice(&arena.bytes[from as usize..(from + len) as usize]);
        Ok(())
    }
}

/// The backends: a pool of "DOS memory" and three optional stores.
pub struct VecBackends {
    /// Paragraphs of DOS memory available for the arena.
    pub dos_paras: u16,
    /// Which stores exist, and their caps in bytes (XMS, EMS, disk).
    pub caps: [Option<u32>; 3],
    pub plan: Rc<RefCell<Plan>>,
    /// Arenas and stores currently open (must be 0 after `_vheapterm`).
    pub open: i32,
    /// The `upper` argument of the last `open_arena` (`None`: not called).
    pub last_upper: Option<bool>,
}

impl VecBackends {
    /// Backends with `dos_paras` of DOS memory and the given stores.
    pub fn new(dos_paras: u16, caps: [Option<u32>; 3]) -> Self {
        Self {
            dos_paras,
            caps,
            plan: Rc::new(RefCell::new(Plan {
                rng: 0x9E37_79B9_7F4A_7C15,
                ..Plan::default()
            })),
            open: 0,
            last_upper: None,
        }
    }
}

impl Backends for VecBackends {
    type Arena = VecArena;
    type Store = VecStore;
    fn open_arena(
        &mut self,
        min_paras: u16,
        max_paras: u16,
        upper: bool,
    ) -> Result<VecArena, BackendError> {
        self.last_upper = Some(upper);
        if min_paras > self.dos_paras {
            return Err(BackendError::FULL);
        }
        let n = if max_paras == 0 {
            self.dos_paras
        } else {
            max_paras.min(self.dos_paras)
        };
        self.open += 1;
        Ok(VecArena {
            bytes: vec![0x5A; n as usize * 16],
        })
    }
    fn close_arena(&mut self, _arena: VecArena) {
        self.open -= 1;
    }
    fn open_store(&mut self, kind: StoreKind, slot: &mut MaybeUninit<Option<VecStore>>) {
        let store = self.caps[kind.index()].map(|cap| {
            self.open += 1;
            VecStore {
                kind,
                bytes: Vec::new(),
                cap,
                plan: self.plan.clone(),
            }
        });
        slot.write(store);
    }
    fn close_store(&mut self, _kind: StoreKind, slot: &mut Option<VecStore>) {
        if slot.take().is_some() {
            self.open -= 1;
        }
    }
}

/// Writes `byte(i)` into the first `len` bytes of block `h` through a
/// dirty load (panics if it does not load).
pub fn write_block(v: &mut Vmm<VecBackends>, h: VmHandle, len: usize, byte: impl Fn(usize) -> u8) {
    let at = v
        .load(h, true)
        .unwrap_or_else(|e| panic!("load of {h:#x} for writing: {e:?} {:?}", v.status()))
        .offset();
    let a = v.arena_mut().unwrap();
    for (i, b) in a.slice_mut(at, len).iter_mut().enumerate() {
        *b = byte(i);
    }
}

/// Whether block `h` loads clean and its first `len` bytes are `byte(i)`.
pub fn block_holds(
    v: &mut Vmm<VecBackends>,
    h: VmHandle,
    len: usize,
    byte: impl Fn(usize) -> u8,
) -> bool {
    let Some(at) = v.vload(h, 0) else {
        return false;
    };
    let a = v.arena_mut().unwrap();
    a.slice(at.offset(), len)
        .iter()
        .enumerate()
        .all(|(i, &b)| b == byte(i))
}
