//! DOS test: the cache in upper memory (issue 24).
//!
//! - `T_UMB.EXE upper` (machines with upper memory: DOSBox and DOSBox-X
//!   `umb=true`, FreeDOS with Jemm386 or JemmEx, with `DOS=UMB` and
//!   without): for caches of 2,048 and 3,500 paragraphs (55 KB fit every
//!   engine's upper block), `_vheapinit` takes no conventional memory (the
//!   largest free block is the same before and after), `segVmDos` is at
//!   A000h or above and `cPageDos` the size asked, every block loaded lies
//!   in the cache there and reads back what was written (through swapping,
//!   and one block of the capacity rule's size), DOS's UMB link state and
//!   strategy are unchanged after init and after term, and after
//!   `_vheapterm` the same upper block can be had again and XMS, EMS and
//!   `%TMP%` are as before. With `_VM_NOUMB` the cache is in conventional
//!   memory and costs its size there, as with MSC 7.0.
//! - `T_UMB.EXE conv` (no upper memory: DOSBox `umb=false`, FreeDOS with
//!   HimemX alone): the machine really has no upper block, and the cache
//!   is in conventional memory with the link state and strategy unchanged
//!   (strategy 41h hands out conventional memory there).
//! - `T_UMB.EXE exit | T_UMB.EXE check` (and `int20`, `fn00`): a program
//!   that ends (AH=4Ch, INT 20h, AH=00h) with its cache in upper memory and
//!   no `_vheapterm`; the next one finds
//!   the link state, strategy, conventional memory, the upper block (an XMS
//!   UMB under Jemm386 is not freed by DOS: the exit guard's) and XMS, EMS
//!   and `%TMP%` as before.
#![no_std]
#![no_main]

use core::fmt::Write;

use dostests::resources::{same_state, upper_block, DosState, ResourceSnapshot as Snapshot};
use dostests::text::Text;
use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::file::{Access, File};
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::{VM_ALLSWAP, VM_DIRTY, VM_NOUMB};

dos_main!(main);

/// The cache sizes that go to upper memory in every engine measured.
const SIZES: [u16; 2] = [2048, 3500];
/// Blocks of the work and their size: 40 x 4,000 bytes through the cache.
const BLOCKS: usize = 40;
const BLOCK_BYTES: u32 = 4000;
/// The state file between `exit` and `check`.
const STATE_FILE: &[u8] = b"UMBSTATE.TXT";

/// Notes where a cache of `paras` went and the largest free conventional
/// block before and after.
fn placed(log: &mut TestLog, what: &str, paras: u16, seg: u16, before: u16, after: u16) {
    log.note(format_args!(
        "dosmax {paras}{what}: segVmDos {seg:04X}h, largest conventional {before} -> {after} paragraphs"
    ));
}

/// Whether `seg` is in upper memory.
fn upper(seg: u16) -> bool {
    seg >= 0xA000
}

/// The byte of block `i` at offset `j`.
fn pattern(i: usize, j: u32) -> u8 {
    (j as u8).wrapping_mul(31) ^ (i as u8).wrapping_mul(7) ^ 0x5A
}

/// Writes (`write`) or checks `len` bytes of pattern `i` at `p`; the
/// bytes that differ.
fn pass(p: FarPtr, i: usize, len: u32, write: bool) -> u32 {
    let mut bad = 0;
    let mut buf = [0u8; 500];
    let mut at = 0;
    while at < len {
        let n = (len - at).min(500);
        let lin = p.seg.linear() + u32::from(p.off) + at;
        let q = FarPtr::new(Segment::new((lin >> 4) as u16), (lin & 15) as u16);
        if write {
            for (k, b) in buf[..n as usize].iter_mut().enumerate() {
                *b = pattern(i, at + k as u32);
            }
            // SAFETY: inside the block's `_vload` pointer, valid until the
            // next VMM call.
            unsafe { q.write_bytes(&buf[..n as usize]) };
        } else {
            // SAFETY: as above.
            unsafe { q.read_bytes(&mut buf[..n as usize]) };
            for (k, b) in buf[..n as usize].iter().enumerate() {
                bad += u32::from(*b != pattern(i, at + k as u32));
            }
        }
        at += n;
    }
    bad
}

/// Blocks through a cache at `seg` of `paras`: each written, then each read
/// back; checks that every load lies in the cache.
fn work(log: &mut TestLog, seg: u16, paras: u16) {
    let mut h = [0u32; BLOCKS];
    let (lo, hi) = (
        u32::from(seg) << 4,
        (u32::from(seg) + u32::from(paras)) << 4,
    );
    let mut outside = 0;
    let mut bad = 0;
    let mut failed = 0;
    for write in [true, false] {
        for (i, slot) in h.iter_mut().enumerate() {
            if write {
                *slot = heap::vmalloc(BLOCK_BYTES);
            }
            let p = heap::vload(*slot, if write { VM_DIRTY as u16 } else { 0 });
            if p.is_null() {
                failed += 1;
                continue;
            }
            let lin = p.seg.linear() + u32::from(p.off);
            outside += u32::from(lin < lo || lin + BLOCK_BYTES > hi);
            bad += pass(p, i, BLOCK_BYTES, write);
        }
    }
    log.check_eq("every load succeeds", failed, 0);
    log.check_eq("every load lies in the cache", outside, 0);
    log.check_eq("blocks read back (bytes differing)", bad, 0);
    for x in h {
        heap::vfree(x);
    }
    // One block of the capacity rule's size (n x 16 - 224): in one piece
    // inside the upper block.
    let big = u32::from(paras) * 16 - 224;
    let b = heap::vmalloc(big);
    let p = heap::vload(b, VM_DIRTY as u16);
    let ok = !p.is_null() && {
        let lin = p.seg.linear() + u32::from(p.off);
        lin >= lo && lin + big <= hi
    };
    log.check(
        "a block of n x 16 - 224 bytes loads in the cache",
        ok,
        format_args!("{big} bytes"),
    );
    if ok {
        pass(p, 99, big, true);
        let q = heap::vload(b, 0);
        log.check_eq(
            "and reads back (bytes differing)",
            !q.is_null() && pass(q, 99, big, false) == 0,
            true,
        );
    }
    heap::vfree(b);
}

/// The cache of `paras` in upper memory, then with `_VM_NOUMB`.
fn upper_one(log: &mut TestLog, paras: u16) {
    let before = DosState::now();
    let res = Snapshot::take();
    let had = upper_block(paras);
    log.check(
        "the machine has an upper block of the size",
        had != 0,
        format_args!("{paras} paragraphs"),
    );
    if heap::vheapinit(0, paras, VM_ALLSWAP) == 0 {
        log.check("vheapinit", false, format_args!("dosmax {paras}"));
        return;
    }
    let st = heap::status();
    let inited = DosState::now();
    placed(log, "", paras, st.seg_vm_dos, before.2, inited.2);
    log.check(
        "segVmDos in upper memory",
        upper(st.seg_vm_dos),
        format_args!("{:04X}h", st.seg_vm_dos),
    );
    log.check_eq("segVmDos the upper block there was", st.seg_vm_dos, had);
    log.check_eq("cPageDos", st.c_page_dos, paras / 256);
    same_state(
        log,
        "link, strategy, largest conventional after init",
        inited,
        before,
    );
    work(log, st.seg_vm_dos, paras);
    heap::vheapterm();
    same_state(
        log,
        "link, strategy, largest conventional after term",
        DosState::now(),
        before,
    );
    log.check_eq("the upper block back after term", upper_block(paras), had);
    log.check_eq("XMS, EMS, TMP after term", Snapshot::take(), res);

    // The way back to MSC's placement.
    if heap::vheapinit(0, paras, VM_ALLSWAP | VM_NOUMB) == 0 {
        log.check("vheapinit _VM_NOUMB", false, format_args!("dosmax {paras}"));
        return;
    }
    let st = heap::status();
    let low = DosState::now();
    placed(log, " _VM_NOUMB", paras, st.seg_vm_dos, before.2, low.2);
    log.check(
        "_VM_NOUMB: segVmDos in conventional memory",
        !upper(st.seg_vm_dos),
        format_args!("{:04X}h", st.seg_vm_dos),
    );
    log.check(
        "_VM_NOUMB: the cache costs conventional memory",
        low.2 + paras <= before.2,
        format_args!("{} -> {}", before.2, low.2),
    );
    log.check_eq(
        "_VM_NOUMB: link and strategy",
        (low.0, low.1),
        (before.0, before.1),
    );
    log.check_eq(
        "_VM_NOUMB: the upper block untouched",
        upper_block(paras),
        had,
    );
    work(log, st.seg_vm_dos, paras);
    heap::vheapterm();
    same_state(
        log,
        "_VM_NOUMB: all back after term",
        DosState::now(),
        before,
    );
}

/// A 64 KB cache: where it goes, and what conventional memory it costs
/// (figures for the README; in upper memory only where a block that large
/// is free).
fn note_64k(log: &mut TestLog) {
    let before = DosState::now().2;
    let had = upper_block(4096);
    if heap::vheapinit(0, 4096, VM_ALLSWAP) != 0 {
        let st = heap::status();
        let after = DosState::now().2;
        log.note(format_args!(
            "64 KB cache: segVmDos {:04X}h, conventional memory it costs: {} paragraphs",
            st.seg_vm_dos,
            before - after
        ));
        log.check_eq(
            "64 KB cache in upper memory exactly when a block is free",
            upper(st.seg_vm_dos),
            had != 0,
        );
        heap::vheapterm();
    }
}

fn conv(log: &mut TestLog) {
    let before = DosState::now();
    log.check_eq("the machine has no upper block", upper_block(256), 0);
    for paras in SIZES {
        if heap::vheapinit(0, paras, VM_ALLSWAP) == 0 {
            log.check("vheapinit", false, format_args!("dosmax {paras}"));
            continue;
        }
        let st = heap::status();
        let inited = DosState::now();
        log.check(
            "segVmDos in conventional memory",
            !upper(st.seg_vm_dos),
            format_args!("{:04X}h", st.seg_vm_dos),
        );
        log.check_eq(
            "link and strategy after init",
            (inited.0, inited.1),
            (before.0, before.1),
        );
        log.check(
            "the cache costs conventional memory",
            inited.2 + paras <= before.2,
            format_args!("{} -> {}", before.2, inited.2),
        );
        work(log, st.seg_vm_dos, paras);
        heap::vheapterm();
        same_state(log, "all back after term", DosState::now(), before);
    }
}

/// Saves what `check` compares, opens a cache in upper memory, writes a
/// block and ends without `_vheapterm`, the way `how` says: AH=4Ch
/// (`exit`), INT 20h (`int20`) or AH=00h (`fn00`).
fn exit_without_term(mut log: TestLog, how: &[u8]) -> u8 {
    let s = DosState::now();
    let r = Snapshot::take().0;
    let had = upper_block(SIZES[1]);
    let mut t = Text::new();
    let _ = write!(
        t,
        "{} {} {} {} {} {} {} {}",
        s.0, s.1, s.2, had, r[0], r[1], r[2], r[3]
    );
    let saved = File::create(STATE_FILE)
        .and_then(|mut f| f.write_all(t.as_bytes()))
        .is_ok();
    log.check("state saved", saved, format_args!(""));
    if heap::vheapinit(0, SIZES[1], VM_ALLSWAP) == 0 {
        log.check("vheapinit", false, format_args!(""));
        return 1;
    }
    let seg = heap::status().seg_vm_dos;
    log.check(
        "segVmDos in upper memory",
        upper(seg),
        format_args!("{seg:04X}h"),
    );
    let h = heap::vmalloc(BLOCK_BYTES);
    let p = heap::vload(h, VM_DIRTY as u16);
    log.check("a block loads", !p.is_null(), format_args!(""));
    // Ends with the heap open: the exit guard's work.
    let code = log.finish();
    match how {
        b"int20" => rt::exit_int20(),
        b"fn00" => rt::exit_int21_00(),
        _ => rt::exit(code),
    }
}

fn check(log: &mut TestLog) {
    let mut text = [0u8; 96];
    let n = File::open(STATE_FILE, Access::Read)
        .and_then(|mut f| f.read(&mut text))
        .unwrap_or(0);
    let mut v = [0u32; 8];
    let mut got = 0;
    for (slot, word) in v
        .iter_mut()
        .zip(text[..n].split(|&b| b == b' ').filter(|w| !w.is_empty()))
    {
        *slot = core::str::from_utf8(word)
            .ok()
            .and_then(|w| w.parse().ok())
            .unwrap_or(u32::MAX);
        got += 1;
    }
    if !log.check_eq("state file read", got, 8) {
        return;
    }
    let before = DosState(v[0] as u16, v[1] as u16, v[2] as u16);
    same_state(
        log,
        "link, strategy, largest conventional after the exit",
        DosState::now(),
        before,
    );
    log.check_eq(
        "the upper block back after the exit",
        upper_block(SIZES[1]),
        v[3] as u16,
    );
    log.check_eq(
        "XMS, EMS, TMP after the exit",
        Snapshot::take().0,
        [v[4], v[5], v[6], v[7]],
    );
    let _ = vmemory::dos::file::delete(STATE_FILE);
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    match &tail[..n] {
        b"upper" => {
            for paras in SIZES {
                upper_one(&mut log, paras);
            }
            note_64k(&mut log);
        }
        b"conv" => conv(&mut log),
        how @ (b"exit" | b"int20" | b"fn00") => return exit_without_term(log, how),
        b"check" => check(&mut log),
        _ => {
            log.check(
                "argument: upper, conv, exit or check",
                false,
                format_args!(""),
            );
        }
    }
    log.finish()
}
