//! DOS test: every XMS, EMS and DOS call the VMM makes can fail, and no
//! byte is lost (issue 25).
//!
//! Runs behind `FAULTINJ.COM` (`harness/faultinj.asm`), loaded first by the
//! same RUN.BAT. `T_FAULT.EXE walk K SEED`: for each swap store the machine
//! has (XMS, EMS, disk, each alone), a dry run of a seeded workload (alloc,
//! load clean and dirty, realloc, free, with a small cache so blocks are
//! evicted and swapped in) counts the calls of every kind
//! (`dostests::faults::KINDS`); then for each kind and each of its first K
//! calls, the same workload runs again with that call failing the way the
//! driver fails (the code, and once or from then on, picked by the seed).
//! After the failing call every block that can be loaded reads back exactly
//! (a failing call may only answer with its documented failure value: 0,
//! NULL); once the faults stop, every block loads and reads back exactly,
//! the heap goes on working, and `_vheapterm` gives back all XMS, EMS pages
//! and handles and the swap file (`dostests::resources`).
//!
//! `T_FAULT.EXE soak OPS SEED FLAGS [SECONDS]`: the shadow-model random
//! soak, no faults: OPS operations on 48 slots through one heap with swap
//! area FLAGS, or as many as SECONDS allow (BIOS ticks; 0 or none: no time
//! limit), every block checked every 4096 operations and at the end; logs
//! `# report SOAK ops=DONE of=OPS secs=S ...` (harness/soak.sh sums it up).
#![no_std]
#![no_main]

use dostests::faults::{Kind, KINDS, SHORT_COUNTS};
use dostests::resources::ResourceSnapshot;
use dostests::rng::XorShift32 as Rng;
use dostests::text::numbers;
use dostests::timer::{Stopwatch, Ticks};
use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::faults::{self, Fault, Style};
use vmemory::dos::mem::UmbLink;
use vmemory::dos::testlog::TestLog;
use vmemory::dos::{ems, env, exitguard, rt, xms};
use vmemory::heap;
use vmemory::{dos_main, println};

dos_main!(main);

/// The size of a workload: cache paragraphs, largest block, steps.
#[derive(Clone, Copy)]
struct Shape {
    cache_paras: u16,
    max_block: u32,
    steps: u32,
}

/// A 16 KiB cache and blocks up to 6000 bytes: evictions at every turn,
/// within the swap stores' first allocation.
const SMALL: Shape = Shape {
    cache_paras: 1024,
    max_block: 6000,
    steps: 96,
};
/// A 64 KiB cache and blocks up to 60,000 bytes: more than the stores'
/// first 256 KiB, so they grow (XMS and EMS reallocate, more swap file).
const LARGE: Shape = Shape {
    cache_paras: 4110,
    max_block: 60000,
    steps: 40,
};
/// The soak's cache (16 KiB).
const CACHE_PARAS: u16 = 1024;
/// `_VM_EMS`, `_VM_XMS`, `_VM_DISK`.
const VM_EMS: u16 = 1;
const VM_XMS: u16 = 2;
const VM_DISK: u16 = 4;

/// What a slot's block must hold: bytes `0..known` follow generation `gen`.
#[derive(Clone, Copy, Default)]
struct Shadow {
    handle: u32,
    size: u32,
    gen: u32,
    known: u32,
}

/// `_vmsize` of a block of `size` bytes: rounded up to 16 (at most 65530).
fn rounded(size: u32) -> u32 {
    ((size + 15) & !15).min(65530)
}

/// The bytes of generation `gen`: 256 pseudo-random bytes, piece `c` of a
/// block (bytes `256c..256c+255`) holding them XORed with `c`, so that a
/// piece in the wrong place or of another write shows. Made and compared
/// four bytes at a time (every byte still checked): the soak's speed is
/// the VMM's, not the pattern's.
struct Pattern([u32; 64]);

impl Pattern {
    fn new(gen: u32) -> Self {
        let mut rng = Rng(gen.wrapping_mul(0x9E37_79B9) | 1);
        let mut t = [0u32; 64];
        for w in t.iter_mut() {
            *w = rng.next_u32();
        }
        Self(t)
    }

    fn piece(&self, c: u32, buf: &mut [u32; 64]) {
        let x = u32::from(c as u8 ^ (c >> 8) as u8) * 0x0101_0101;
        for (b, t) in buf.iter_mut().zip(self.0.iter()) {
            *b = t ^ x;
        }
    }
}

/// The bytes of a piece (a `[u32; 64]` seen as the 256 bytes it holds in
/// memory, little-endian as the pattern's bytes are defined).
fn bytes(w: &[u32; 64]) -> &[u8; 256] {
    // SAFETY: [u32; 64] and [u8; 256] have the same size, and u8's
    // alignment is 1.
    unsafe { &*(w as *const [u32; 64]).cast::<[u8; 256]>() }
}

fn bytes_mut(w: &mut [u32; 64]) -> &mut [u8; 256] {
    // SAFETY: as in `bytes`; every bit pattern is a valid u32.
    unsafe { &mut *(w as *mut [u32; 64]).cast::<[u8; 256]>() }
}

/// A VMM call with the injector counting (and only then: the test's own
/// DOS calls, its log, are not the VMM's).
fn vm<R>(f: impl FnOnce() -> R) -> R {
    faults::counting(true);
    let r = f();
    faults::counting(false);
    r
}

fn write_block(p: FarPtr, gen: u32, n: u32) {
    let pat = Pattern::new(gen);
    let mut buf = [0u32; 64];
    let mut done = 0;
    while done < n {
        let k = (n - done).min(256);
        pat.piece(done / 256, &mut buf);
        // SAFETY: `p` is a `_vload` pointer of a block of at least `n`
        // bytes, valid until the next VMM call.
        unsafe {
            p.offset(done)
                .unwrap()
                .write_bytes(&bytes(&buf)[..k as usize])
        };
        done += k;
    }
}

/// The first offset below `n` that does not hold generation `gen`.
fn first_bad(p: FarPtr, gen: u32, n: u32) -> Option<u32> {
    let pat = Pattern::new(gen);
    let mut want = [0u32; 64];
    let mut buf = [0u32; 64];
    let mut done = 0;
    while done < n {
        let k = (n - done).min(256);
        pat.piece(done / 256, &mut want);
        // SAFETY: as in `write_block`.
        unsafe {
            p.offset(done)
                .unwrap()
                .read_bytes(&mut bytes_mut(&mut buf)[..k as usize])
        };
        // Whole words first (a tail of 1-3 bytes byte by byte).
        let words = k as usize / 4;
        let (got, exp) = (bytes(&buf), bytes(&want));
        let diff = buf[..words]
            .iter()
            .zip(&want[..words])
            .fold(0, |d, (g, w)| d | (g ^ w));
        if diff != 0 || got[words * 4..k as usize] != exp[words * 4..k as usize] {
            let j = (0..k)
                .find(|&j| got[j as usize] != exp[j as usize])
                .unwrap_or(0);
            return Some(done + j);
        }
        done += k;
    }
    None
}

/// One heap's workload with a shadow of every block.
struct Work<const N: usize> {
    slots: [Shadow; N],
    rng: Rng,
    /// Faults may be armed: a call may answer with its failure value
    /// (`_vmsize` 0 included: it cannot read the handle's entry).
    faulting: bool,
    max_block: u32,
    next_gen: u32,
    /// Blocks that read back wrong (or had the wrong size): never allowed.
    wrong: u32,
    /// Calls that answered with their failure value.
    refused: u32,
    /// The first wrong block, for the log.
    first_wrong: Option<(usize, u32)>,
}

impl<const N: usize> Work<N> {
    fn new(seed: u32, max_block: u32) -> Self {
        Self {
            slots: [Shadow::default(); N],
            rng: Rng(seed | 1),
            faulting: false,
            max_block,
            next_gen: seed.wrapping_mul(7919),
            wrong: 0,
            refused: 0,
            first_wrong: None,
        }
    }

    fn wrong_at(&mut self, slot: usize, at: u32) {
        self.wrong += 1;
        self.first_wrong.get_or_insert((slot, at));
    }

    /// Records `_vmsize` of slot `i` (`got`): its rounded size, or 0 (the
    /// failure value) while faults are armed.
    fn size_is(&mut self, i: usize, got: u32) {
        if self.faulting && got == 0 {
            self.refused += 1;
        } else if got != rounded(self.slots[i].size) {
            self.wrong_at(i, 0xFFFF_0000 | got);
        }
    }

    /// One random operation on a random slot.
    fn step(&mut self) {
        let i = (self.rng.next_u32() % N as u32) as usize;
        let op = self.rng.next_u32() % 10;
        let s = self.slots[i];
        if s.handle == 0 {
            let size = 16 + self.rng.next_u32() % (self.max_block - 16);
            let h = vm(|| heap::vmalloc(size));
            if h == 0 {
                self.refused += 1;
            } else {
                self.next_gen += 1;
                // A new block's bytes are undefined: nothing known yet.
                self.slots[i] = Shadow {
                    handle: h,
                    size,
                    gen: self.next_gen,
                    known: 0,
                };
            }
            return;
        }
        match op {
            3 => {
                // Locked, written, unlocked dirty.
                let p = vm(|| heap::vlock(s.handle));
                if self.rewrite(i, p) {
                    vm(|| heap::vunlock(s.handle, 1));
                }
            }
            0..=2 => {
                let p = vm(|| heap::vload(s.handle, 1));
                self.rewrite(i, p);
            }
            4..=6 => {
                self.check(i);
            }
            7 | 8 => {
                let size = 16 + self.rng.next_u32() % (self.max_block - 16);
                let h = vm(|| heap::vrealloc(s.handle, size));
                if h == 0 {
                    // Refused: the old block stays as it was.
                    self.refused += 1;
                } else {
                    self.slots[i].handle = h;
                    self.slots[i].size = size;
                    self.slots[i].known = s.known.min(size);
                }
                let got = vm(|| heap::vmsize(self.slots[i].handle));
                self.size_is(i, got);
            }
            _ => {
                vm(|| heap::vfree(s.handle));
                self.slots[i] = Shadow::default();
            }
        }
    }

    /// Given slot `i`'s pointer from a dirty `_vload` or a `_vlock`: checks
    /// what it holds and writes a new generation; false if the call was
    /// refused (NULL: the block must still hold what it held).
    fn rewrite(&mut self, i: usize, p: FarPtr) -> bool {
        let s = self.slots[i];
        if p.is_null() {
            self.refused += 1;
            return false;
        }
        if let Some(at) = first_bad(p, s.gen, s.known) {
            self.wrong_at(i, at);
        }
        self.next_gen += 1;
        write_block(p, self.next_gen, s.size);
        self.slots[i].gen = self.next_gen;
        self.slots[i].known = s.size;
        true
    }

    /// Loads slot `i` clean and compares it with its shadow; a refused load
    /// counts as refused (the caller decides whether that is allowed).
    fn check(&mut self, i: usize) -> bool {
        let s = self.slots[i];
        if s.handle == 0 {
            return true;
        }
        let p = vm(|| heap::vload(s.handle, 0));
        if p.is_null() {
            self.refused += 1;
            return false;
        }
        if let Some(at) = first_bad(p, s.gen, s.known) {
            self.wrong_at(i, at);
        }
        true
    }

    /// Checks every block; the number that could not be loaded.
    fn check_all(&mut self) -> u32 {
        let mut unloaded = 0;
        for i in 0..N {
            if !self.check(i) {
                unloaded += 1;
            }
            let s = self.slots[i];
            if s.handle != 0 {
                let got = vm(|| heap::vmsize(s.handle));
                self.size_is(i, got);
            }
        }
        unloaded
    }

    fn free_all(&mut self) {
        for i in 0..N {
            let h = self.slots[i].handle;
            if h != 0 {
                vm(|| heap::vfree(h));
                self.slots[i] = Shadow::default();
            }
        }
    }
}

/// What one trial saw.
struct Outcome {
    /// Calls of each kind before the faults stopped.
    counts: [u16; 32],
    /// Faults the injector made.
    made: u16,
    init_refused: bool,
    /// The heap came up without its swap store.
    no_swap: bool,
    /// Blocks still locked once the faults stopped.
    locked: u32,
    /// Once the faults stopped: fVmSwapping, fVmDisableXms, Ems, Disk, cVmPage.
    status: [u16; 5],
    wrong: u32,
    first_wrong: Option<(usize, u32)>,
    /// Blocks that would not load after the faults stopped.
    lost: u32,
    /// The heap refused work after the faults stopped.
    stuck: bool,
    leak: Option<(Held, Held)>,
    /// Calls of each kind through `_vheapterm` (releases are made there).
    term_counts: [u16; 32],
    /// The exit guard still hooked once everything was given back.
    hooked: bool,
    /// A critical error did not reach the INT 24h handler as DOS raises it.
    crit_wrong: bool,
}

/// What a trial must give back: XMS, EMS, `%TMP%` ([`ResourceSnapshot`]),
/// the paragraphs of DOS memory the program owns (conventional and upper,
/// by the MCB chain) and its open file handles (its PSP's handle table).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Held {
    res: ResourceSnapshot,
    dos_paras: u32,
    handles: u16,
}

impl Held {
    fn take() -> Self {
        // Upper memory blocks are in the chain only while DOS links them.
        let link = UmbLink::get();
        let _ = UmbLink(1).set();
        let me = rt::psp().value();
        let mut mcb = faults::first_mcb().value();
        let mut dos_paras = 0u32;
        for _ in 0..1000 {
            // SAFETY: an MCB's type, owner and size (bytes 0, 1-2, 3-4),
            // read in DOS's chain from its first MCB on.
            let (kind, owner, size) = unsafe {
                let p = FarPtr::new(Segment::new(mcb), 0);
                (
                    p.read_u8(),
                    p.offset(1).unwrap().read_u16(),
                    p.offset(3).unwrap().read_u16(),
                )
            };
            if owner == me {
                dos_paras += u32::from(size);
            }
            if kind != b'M' {
                break;
            }
            mcb = mcb.wrapping_add(size).wrapping_add(1);
        }
        let _ = link.set();
        // SAFETY: PSP:32h is the handle table's size, PSP:34h its far
        // address (DOS 3.0+); entry FFh is a free handle.
        let handles = unsafe {
            let psp = FarPtr::new(rt::psp(), 0);
            let n = psp.offset(0x32).unwrap().read_u16();
            let table = psp.offset(0x34).unwrap().read_u32();
            let table = FarPtr::new(Segment::new((table >> 16) as u16), table as u16);
            (0..n)
                .filter(|&i| table.offset(u32::from(i)).unwrap().read_u8() != 0xFF)
                .count() as u16
        };
        Self {
            res: ResourceSnapshot::take(),
            dos_paras,
            handles,
        }
    }
}

/// One trial: the seeded workload on a fresh heap with swap area `flags`,
/// `fault` armed (or only counting).
fn trial(shape: Shape, flags: u16, seed: u32, fault: Option<Fault>, retries: u16) -> Outcome {
    let before = Held::take();
    // A critical error goes to the program's own INT 24h handler, as a
    // program that handles them installs it (Retry `retries` times, then
    // Fail).
    let critical = fault.filter(|f| f.style == Style::Critical);
    let old24 = critical.map(|_| faults::install_int24(retries));
    // A release's fault stays armed through `_vheapterm`, where releases
    // are made.
    let release = fault.is_some_and(|f| KINDS[usize::from(f.kind)].release);
    match fault {
        Some(f) => faults::arm(f),
        None => faults::count_only(),
    }
    faults::counting(false);
    let mut work = Work::<16>::new(seed, shape.max_block);
    work.faulting = fault.is_some();
    let mut init_refused = false;
    let mut no_swap = false;
    if vm(|| heap::vheapinit(shape.cache_paras, shape.cache_paras, flags)) == 0 {
        init_refused = true;
    } else {
        // A store whose set-up failed is not used for this heap's life
        // (`fVmDisableXms`/`Ems`/`Disk`, `fVmSwapping` 0): the heap then
        // holds what its cache holds and refuses the rest, by its
        // documented values (NULL, 0), however the faults go on.
        no_swap = heap::status().f_vm_swapping == 0;
        let mut made = 0;
        for _ in 0..shape.steps {
            work.step();
            let now = faults::read(0).1;
            if now != made {
                // A call just failed: every other block that loads reads
                // back exactly (a refused load is allowed while faults go on).
                made = now;
                work.check_all();
            }
        }
    }
    let mut counts = [0u16; 32];
    for (k, c) in counts.iter_mut().enumerate() {
        *c = faults::read(k as u8).0;
    }
    let mut made = faults::read(0).1;
    if !release {
        faults::disarm();
    }
    work.faulting = false;
    // Every `_vunlock` of the workload followed its `_vlock`: none may be
    // left locked (`_vunlock` has no failure value to report one).
    let locked = work
        .slots
        .iter()
        .filter(|s| s.handle != 0 && heap::vlockcnt(s.handle) != 0)
        .count() as u32;
    let st = heap::status();
    let status = [
        st.f_vm_swapping,
        st.f_vm_disable_xms,
        st.f_vm_disable_ems,
        st.f_vm_disable_disk,
        st.c_vm_page,
    ];
    let mut lost = 0;
    let mut stuck = false;
    // A refused init must hold nothing (a leak shows in the counts below)
    // and must work once the faults stop.
    let mut go_on = true;
    if init_refused {
        go_on = Held::take() == before;
        stuck = go_on && vm(|| heap::vheapinit(shape.cache_paras, shape.cache_paras, flags)) == 0;
    } else {
        lost = work.check_all();
    }
    if no_swap {
        lost = 0;
    }
    if go_on && !stuck {
        // The heap goes on working: more of the same workload, all checked.
        let refused = work.refused;
        for _ in 0..16 {
            work.step();
        }
        let unloaded = work.check_all();
        if !no_swap {
            lost += unloaded;
        }
        // A full cache of 16 KiB and 16 blocks of 6 KB at most over a store
        // with room: nothing may be refused now.
        stuck = work.refused != refused && !no_swap;
        work.free_all();
        vm(heap::vheapterm);
    }
    let mut term_counts = [0u16; 32];
    for (k, c) in term_counts.iter_mut().enumerate() {
        *c = faults::read(k as u8).0;
    }
    if release {
        made = faults::read(0).1;
        faults::disarm();
        // Released once refused, still refused: the exit guard keeps what
        // it could not give back and tries again at the next `_vheapinit`
        // and `_vheapterm` (and at the program's end): one more cycle,
        // now that the driver takes releases again, gives back the rest.
        if fault.is_some_and(|f| f.sticky) && !stuck && !init_refused {
            stuck = vm(|| heap::vheapinit(shape.cache_paras, shape.cache_paras, flags)) == 0;
            vm(heap::vheapterm);
        }
    }
    let hooked = exitguard::is_armed();
    // Each critical error reached the handler with DOS's registers: AH
    // Retry and Fail allowed, data area, the write bit for a write; AL
    // the drive; DI the error code.
    let mut crit_wrong = false;
    if let (Some(f), Some(old)) = (critical, old24) {
        let (calls, ax, di) = faults::int24_seen();
        let write = u16::from(f.kind == 14) << 8;
        crit_wrong = calls < made
            || (made > 0 && (ax != (0x1E00 | write | (f.code >> 8)) || di != f.code & 0xFF));
        faults::restore_int24(old);
    }
    let after = Held::take();
    Outcome {
        counts,
        made,
        init_refused,
        no_swap,
        locked,
        status,
        wrong: work.wrong,
        first_wrong: work.first_wrong,
        lost,
        stuck,
        leak: (after != before).then_some((before, after)),
        term_counts,
        hooked,
        crit_wrong,
    }
}

/// Whether a trial with `f` armed ended as it must: no block wrong or
/// lost, none locked, the heap working, nothing hooked, and everything
/// given back - except what a release refused from then on keeps until the
/// program ends, when DOS gives it back itself: a file handle DOS would
/// not close (one more open handle) and a DOS memory block it would not
/// free (more paragraphs owned), nothing else.
fn passed(f: &Fault, o: &Outcome) -> bool {
    let given_back = match o.leak {
        None => true,
        Some((b, a)) if f.sticky && f.kind == 17 => {
            a.res == b.res && a.dos_paras == b.dos_paras && a.handles == b.handles + 1
        }
        Some((b, a)) if f.sticky && f.kind == 21 => {
            a.res == b.res && a.handles == b.handles && a.dos_paras > b.dos_paras
        }
        Some(_) => false,
    };
    o.wrong == 0
        && o.lost == 0
        && o.locked == 0
        && !o.stuck
        && !o.hooked
        && !o.crit_wrong
        && given_back
}

/// The fault the seed picks for the `k`th call of `kind`.
/// The fault the seed picks for the `k`th call of `kind`, and how many
/// times the test's INT 24h handler answers Retry before Fail (for a
/// critical error).
fn fault_for(kind: &Kind, k: u16, seed: u32) -> (Fault, u16) {
    let pick = seed
        .wrapping_add(u32::from(k) * 7)
        .wrapping_add(u32::from(kind.id));
    let sticky = pick % 4 == 3;
    let mut f = Fault {
        kind: kind.id,
        nth: k,
        style: kind.style,
        sticky,
        code: kind.codes[pick as usize % kind.codes.len()],
    };
    let retries = (pick / 3 % 3) as u16;
    match (kind.id, pick % 3) {
        (13 | 14, 0) => {
            f.style = Style::Short;
            f.code = SHORT_COUNTS[(pick / 3) as usize % SHORT_COUNTS.len()];
        }
        (13..=16, 1) => {
            f.style = Style::Critical;
            f.code = critical_code(kind.id);
        }
        _ => {}
    }
    (f, retries)
}

/// A critical error's code for the injector: the drive of `%TMP%` (high
/// byte; 0 = A:) and the error code DOS puts in DI (RBIL table 02545): a
/// read fault, write fault, seek error, or general failure for a create.
fn critical_code(kind: u8) -> u16 {
    let mut tmp = [0u8; 4];
    let drive = match env::var(b"TMP", &mut tmp) {
        Some(n) if n >= 2 && tmp[1] == b':' => tmp[0].to_ascii_uppercase().wrapping_sub(b'A'),
        _ => 2,
    };
    let err = match kind {
        13 => 0x0B,
        14 => 0x0A,
        15 => 0x06,
        _ => 0x0C,
    };
    u16::from(drive) << 8 | err
}

fn store_name(flags: u16) -> &'static str {
    match flags {
        VM_XMS => "XMS",
        VM_EMS => "EMS",
        _ => "disk",
    }
}

fn walk(log: &mut TestLog, max_k: u16, seed: u32, max_k_large: u16) {
    let mut stores = [0u16; 3];
    let mut n = 0;
    if xms::detect() {
        stores[n] = VM_XMS;
        n += 1;
    }
    if ems::copy_ready().is_ok() {
        stores[n] = VM_EMS;
        n += 1;
    }
    stores[n] = VM_DISK;
    n += 1;
    let mut trials = 0u32;
    for (&flags, (shape, size, max_k)) in stores[..n].iter().flat_map(|f| {
        [
            (f, (SMALL, "small", max_k)),
            (f, (LARGE, "large", max_k_large)),
        ]
    }) {
        let dry = trial(shape, flags, seed, None, 0);
        let name = store_name(flags);
        log.check(
            "dry run",
            dry.wrong == 0
                && dry.lost == 0
                && !dry.stuck
                && dry.leak.is_none()
                && !dry.hooked
                && !dry.init_refused,
            format_args!(
                "{} {}: wrong {} lost {} stuck {} leak {:?}",
                name, size, dry.wrong, dry.lost, dry.stuck, dry.leak
            ),
        );
        for kind in KINDS {
            // A release's calls through `_vheapterm`, where they are made.
            let calls = if kind.release {
                dry.term_counts[kind.id as usize]
            } else {
                dry.counts[kind.id as usize]
            };
            log.note(format_args!(
                "{} {} {}: {} calls",
                name, size, kind.name, calls
            ));
            for k in 1..=max_k.min(calls) {
                let (f, retries) = fault_for(kind, k, seed);
                let o = trial(shape, flags, seed, Some(f), retries);
                trials += 1;
                let ok = o.made >= 1 && passed(&f, &o);
                log.check(
                    "fault",
                    ok,
                    format_args!(
                        "{} {} {} #{} {:?} code {:X}h{}: made {} init refused {} no swap {} wrong {} (first {:?}) lost {} locked {} stuck {} hooked {} critical error wrong {} (retries {}) leak {:?} status {:?}",
                        name,
                        size,
                        kind.name,
                        k,
                        f.style,
                        f.code,
                        if f.sticky { " from then on" } else { "" },
                        o.made,
                        o.init_refused,
                        o.no_swap,
                        o.wrong,
                        o.first_wrong,
                        o.lost,
                        o.locked,
                        o.stuck,
                        o.hooked,
                        o.crit_wrong,
                        retries,
                        o.leak,
                        o.status
                    ),
                );
            }
        }
    }
    log.note(format_args!("{} trials with a fault", trials));
    println!("walk: {} trials, seed {}, K {}", trials, seed, max_k);
}

/// The compare can fail: one block written, one byte of it flipped (at a
/// seeded offset, in each of the word loop and the tail), and `first_bad`
/// must name that offset.
fn pattern_selfcheck(log: &mut TestLog, seed: u32) {
    let h = heap::vmalloc(4003);
    let p = heap::vload(h, 1);
    let mut caught = !p.is_null();
    for at in [seed % 4000, 4001] {
        if p.is_null() {
            break;
        }
        write_block(p, seed, 4003);
        let q = p.offset(at).unwrap();
        // SAFETY: `at` < 4003, inside the block just loaded dirty.
        unsafe { q.write_u8(q.read_u8() ^ 0x10) };
        caught &= first_bad(p, seed, 4003) == Some(at);
    }
    heap::vfree(h);
    log.check(
        "soak: the pattern check sees a flipped byte",
        caught,
        format_args!("seed {}", seed),
    );
}

/// The soak: `ops` random operations, or fewer if `seconds` (when not 0)
/// run out first; either way every block is checked at the end and the
/// heap is given back. Logs the operations done and the time they took
/// (`# report SOAK ...`, which harness/soak.sh sums up).
fn soak(log: &mut TestLog, ops: u32, seed: u32, flags: u16, seconds: u32) {
    faults::disarm();
    faults::counting(false);
    let before = ResourceSnapshot::take();
    if !log.check(
        "soak init",
        heap::vheapinit(CACHE_PARAS, CACHE_PARAS, flags) != 0,
        format_args!("flags {}", flags),
    ) {
        return;
    }
    let mut work = Work::<48>::new(seed, 6000);
    pattern_selfcheck(log, seed);
    let clock = Stopwatch::start();
    let limit = (seconds != 0).then(|| Ticks::from_seconds(seconds));
    let mut lost = 0;
    let mut done = 0;
    while done < ops {
        // The clock is read once per 64 operations (a far load; an
        // operation takes 0.2-2 ms), so a run stops within a tick or so.
        if done % 64 == 0 && limit.is_some_and(|l| clock.elapsed() >= l) {
            break;
        }
        work.step();
        done += 1;
        if done % 4096 == 0 {
            lost += work.check_all();
        }
    }
    let worked = clock.elapsed();
    lost += work.check_all();
    work.free_all();
    heap::vheapterm();
    let after = ResourceSnapshot::take();
    log.check(
        "soak: operations done",
        done == ops || (limit.is_some() && done > 0),
        format_args!("{} of {} in {} ticks", done, ops, worked.0),
    );
    log.check_eq("soak: blocks read back wrong", work.wrong, 0);
    log.check_eq("soak: blocks that would not load", lost, 0);
    log.check_eq("soak: calls refused", work.refused, 0);
    log.check_eq("soak: resources as before", after, before);
    let tenths = worked.tenths();
    log.note(format_args!(
        "report SOAK ops={} of={} secs={}.{} flags={} wrong={} lost={} refused={}",
        done,
        ops,
        tenths / 10,
        tenths % 10,
        flags,
        work.wrong,
        lost,
        work.refused
    ));
}

fn main() -> u8 {
    let mut log = TestLog::create();
    if !log.check(
        "FAULTINJ.COM resident",
        faults::present(),
        format_args!("run it before this program"),
    ) {
        return log.finish();
    }
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let tail = &tail[..n];
    let word = tail
        .split(|&b| b == b' ')
        .find(|w| !w.is_empty())
        .unwrap_or(b"");
    match word {
        b"walk" => {
            // walk K SEED [K_LARGE]: K_LARGE calls per kind in the large
            // shape (default K), whose trials take the longest.
            let mut a = [3u32, 1, u32::MAX];
            numbers(tail, &mut a);
            walk(&mut log, a[0] as u16, a[1], a[2].min(a[0]) as u16);
        }
        b"one" => {
            // One trial, its outcome in the log: one LARGE(1)/SMALL(0) FLAGS
            // KIND K CODE STICKY STYLE SEED [RETRIES] (a failure of the
            // walk, alone; style 6, a critical error: CODE = drive * 256 +
            // DI, the INT 24h handler answering Retry RETRIES times, then
            // Fail).
            let mut a = [1u32, 1, 8, 2, 0x8A, 1, 2, 1, 0];
            numbers(tail, &mut a);
            let shape = if a[0] == 1 { LARGE } else { SMALL };
            let style = match a[6] {
                1 => Style::Xms,
                2 => Style::Ems,
                4 => Style::Short,
                5 => Style::Ax,
                6 => Style::Critical,
                _ => Style::Carry,
            };
            let f = Fault {
                kind: a[2] as u8,
                nth: a[3] as u16,
                style,
                sticky: a[5] != 0,
                code: a[4] as u16,
            };
            let o = trial(shape, a[1] as u16, a[7], Some(f), a[8] as u16);
            log.check(
                "one",
                o.made >= 1 && passed(&f, &o),
                format_args!(
                    "{:?}: made {} wrong {} {:?} lost {} locked {} stuck {} hooked {} critical error wrong {} {:?} leak {:?} status {:?}",
                    f, o.made, o.wrong, o.first_wrong, o.lost, o.locked, o.stuck, o.hooked, o.crit_wrong, faults::int24_seen(), o.leak, o.status
                ),
            );
        }
        b"soak" => {
            // soak OPS SEED FLAGS [SECONDS]: stop at OPS operations or
            // after SECONDS (0: no time limit), whichever comes first.
            let mut a = [10_000u32, 1, 7, 0];
            numbers(tail, &mut a);
            soak(&mut log, a[0], a[1], a[2] as u16, a[3]);
        }
        _ => {
            log.check(
                "command",
                false,
                format_args!("walk K SEED | soak OPS SEED FLAGS [SECONDS]"),
            );
        }
    }
    log.finish()
}
