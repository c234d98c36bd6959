//! DOS test: every way a program ends gives back its XMS, EMS and swap file
//! (the exit guard, `vmemory::dos::exitguard`), and a TSR keeps them.
//!
//! `T_EXITS.EXE <how>` writes a snapshot - free XMS KB, free EMS pages,
//! open EMS handles, files in `%TMP%` - to EXITS.TXT, opens a heap with a
//! 64 KB cache and every swap store (`vm::VHeap`), swaps 2 MB out through
//! it, writes what the machine shows then, and ends as `<how>` says:
//!
//! | how | ending |
//! |---|---|
//! | `term` | the heap dropped (`_vheapterm`), then INT 21h AH=4Ch: the control |
//! | `exit` | INT 21h AH=4Ch with the heap open (`exit` without `_vheapterm`) |
//! | `panic` | a panic (exit code 255) with the heap open |
//! | `int20` | INT 20h with the heap open |
//! | `fn00` | INT 21h AH=00h with the heap open |
//! | `break` | Ctrl-Break as the BIOS raises it (INT 1Bh), then a console call; the INT 23h handler answers "end the program" (RETF, carry set) |
//! | `breakvm` | the same, but noticed inside the VMM's own DOS call (BREAK ON, a swap file read) |
//! | `criterr` | a critical error (drive B: without a disk), answered Abort by the INT 24h handler |
//! | `tsr` | INT 21h AH=31h: stays resident and keeps its heap |
//! | `tsr27` | INT 27h: the same, DOS 1 style |
//! | `cycles` | three init/term cycles, `_vheapterm` twice, then a heap left open at INT 21h AH=4Ch |
//! | `spawn` | runs `T_EXITS idle` (no heap) and `T_EXITS child` (its own heap, ended without term), checking after each that its own heap reads back intact and that the child left nothing; then ends with the heap open |
//!
//! `T_EXITS.EXE check`, run next in the same DOS session, finds the first
//! snapshot again (or, after a TSR, the second one) and checks that the
//! work really used a swap store.
//!
//! `T_EXITS.EXE snap` writes only the first snapshot, for a first program
//! that cannot (tests/c/exits.c, built with Open Watcom by `make test-watcom`).
//!
//! `T_EXITS.EXE cabi <m>` tests the C library the same way, as the parent
//! of `C_EXITS.EXE <m>` (asm/c_exits.asm, calling the library as compiled C
//! does): snapshot, run it, check its exit code, its status block (it swapped
//! 2 MB out) and the snapshot after it.
#![no_std]
#![no_main]

use core::fmt::Write;

use dostests::resources::ResourceSnapshot as Snapshot;
use dostests::text::Text;
use vmemory::dos::file::{self, Access, File};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::{exitguard, rt, FarPtr};
use vmemory::vm::{Config, Dirty, Handle, VHeap};
use vmemory::{dos_main, println};

dos_main!(main);

fn snapshot() -> Snapshot {
    Snapshot::take()
}

/// The snapshot file of the first program.
const SNAP_FILE: &[u8] = b"EXITS.TXT";

fn write_snapshots(before: Snapshot, held: Option<Snapshot>) -> bool {
    let mut t = Text::new();
    let s = before.0;
    let _ = write!(t, "{} {} {} {}", s[0], s[1], s[2], s[3]);
    if let Some(h) = held {
        let h = h.0;
        let _ = write!(t, " {} {} {} {}", h[0], h[1], h[2], h[3]);
    }
    File::create(SNAP_FILE)
        .and_then(|mut f| f.write_all(t.as_bytes()))
        .is_ok()
}

/// Reads back (before, held); held is `None` after `snap`, the whole result
/// `None` if the file is not there or garbled.
fn read_snapshots() -> Option<(Snapshot, Option<Snapshot>)> {
    let mut text = [0u8; 128];
    let n = File::open(SNAP_FILE, Access::Read)
        .and_then(|mut f| f.read(&mut text))
        .ok()?;
    let mut v = [0u32; 8];
    let mut got = 0;
    for (slot, word) in v
        .iter_mut()
        .zip(text[..n].split(|&b| b == b' ').filter(|w| !w.is_empty()))
    {
        *slot = core::str::from_utf8(word).ok()?.parse().ok()?;
        got += 1;
    }
    let before = Snapshot([v[0], v[1], v[2], v[3]]);
    match got {
        4 => Some((before, None)),
        8 => Some((before, Some(Snapshot([v[4], v[5], v[6], v[7]])))),
        _ => None,
    }
}

/// Blocks of the work and their size: 64 x 32 KB = 2 MB through a 64 KB cache.
const BLOCKS: usize = 64;
const BLOCK_BYTES: u32 = 32 * 1024;

fn open_heap() -> Result<VHeap, vmemory::vm::Error> {
    VHeap::init(Config {
        dos_min_paras: 4096,
        dos_max_paras: 4096,
        xms: true,
        ems: true,
        disk: true,
        upper_memory: true,
    })
}

/// Allocates the blocks, each filled with its own byte, so that 2 MB leave
/// the cache; false if any call failed.
fn fill(heap: &mut VHeap, handles: &mut [Option<Handle>; BLOCKS]) -> bool {
    for (i, slot) in handles.iter_mut().enumerate() {
        let Ok(h) = heap.alloc(BLOCK_BYTES) else {
            println!("_vmalloc {} failed", i);
            return false;
        };
        match heap.load(h, Dirty::Yes) {
            Ok(mut view) => view.fill(0x40 + i as u8),
            Err(e) => {
                println!("_vload {} failed: {:?}", i, e);
                return false;
            }
        }
        *slot = Some(h);
    }
    true
}

/// Index of the first block that does not read back as written.
fn first_bad(heap: &mut VHeap, handles: &[Option<Handle>; BLOCKS]) -> Option<usize> {
    for (i, h) in handles.iter().enumerate() {
        let mut ends = [0u8; 2];
        let ok = h.is_some_and(|h| {
            heap.load(h, Dirty::No).is_ok_and(|v| {
                let mut b = [0u8; 1];
                let first = v.read(0, &mut b).is_ok();
                ends[0] = b[0];
                let last = v.read(BLOCK_BYTES - 1, &mut b).is_ok();
                ends[1] = b[0];
                first && last
            })
        });
        if !ok || ends != [0x40 + i as u8; 2] {
            return Some(i);
        }
    }
    None
}

/// The first program: snapshot, heap, 2 MB out, snapshot, then `how`.
fn first(how: &[u8]) -> u8 {
    let before = snapshot();
    if !write_snapshots(before, None) {
        println!("cannot write EXITS.TXT");
        return 3;
    }
    if how == b"cycles" {
        // Init/term cycles and a second term leave the guard as they found
        // it: the PSP's terminate address hooked only while a heap is open.
        let parent = terminate_address();
        for _ in 0..3 {
            match open_heap() {
                Ok(mut heap) => {
                    if terminate_address() == parent {
                        println!("the terminate address is not hooked while the heap is open");
                        return 5;
                    }
                    let mut hs = [None; BLOCKS];
                    if !fill(&mut heap, &mut hs) {
                        return 4;
                    }
                }
                Err(e) => {
                    println!("init failed: {:?}", e);
                    return 4;
                }
            }
            if exitguard::is_armed() {
                println!("the guard is still armed after _vheapterm");
                return 5;
            }
            vmemory::heap::vheapterm(); // a second _vheapterm: nothing to do
            if terminate_address() != parent {
                println!("_vheapterm left the terminate address hooked");
                return 5;
            }
        }
        if snapshot() != before {
            println!("init/term cycles left something: {:?}", snapshot());
            return 5;
        }
    }
    let mut heap = match open_heap() {
        Ok(h) => h,
        Err(e) => {
            println!("init failed: {:?}", e);
            return 4;
        }
    };
    let mut handles = [None; BLOCKS];
    if !fill(&mut heap, &mut handles) {
        return 4;
    }
    let held = snapshot();
    if !write_snapshots(before, Some(held)) {
        return 3;
    }
    println!("before {:?}, holding {:?}", before, held);
    match how {
        b"term" => {
            drop(heap);
            rt::exit(0)
        }
        b"exit" | b"cycles" => rt::exit(0),
        b"panic" => {
            let v = [1u8, 2, 3];
            let i = core::hint::black_box(3 + how.len());
            core::hint::black_box(v[i]);
            0
        }
        b"int20" => rt::exit_int20(),
        b"fn00" => rt::exit_int21_00(),
        b"break" => {
            break_ends_program();
            rt::raise_ctrl_break();
            let _ = rt::stdin_ready();
            println!("Ctrl-Break did not end the program (the engine does not raise INT 23h)");
            3
        }
        b"breakvm" => {
            // The break is noticed inside the VMM's own DOS call (BREAK ON:
            // every call checks): the swap file read of the first block.
            break_ends_program();
            rt::set_break_checking(true);
            rt::raise_ctrl_break();
            let loaded = handles[0].map(|h| heap.load(h, Dirty::No).is_ok());
            rt::set_break_checking(false);
            println!(
                "the VMM call came back ({:?}): no break inside it (needs the swap file and BREAK ON)",
                loaded
            );
            3
        }
        b"criterr" => {
            // MOV AL,2 / IRET: answer Abort.
            let handler = rt::psp_scratch();
            // SAFETY: as above; three bytes of a complete INT 24h handler.
            unsafe {
                handler.write_u32(0x00CF_02B0);
                rt::set_vector(0x24, handler);
            }
            let _ = File::open(b"B:\\EXITS.TXT", Access::Read);
            println!("no critical error (the engine has no empty drive B:)");
            3
        }
        b"tsr" => rt::keep(rt::program_paras(), 0),
        b"tsr27" => rt::keep_int27(0xFFF0),
        b"spawn" => spawn_children(heap, handles),
        _ => 2,
    }
}

/// Points INT 23h at `STC` / `RETF` in the PSP's first FCB: "end the
/// program", the answer with which DOS terminates the program on a break.
fn break_ends_program() {
    let handler = rt::psp_scratch();
    // SAFETY: the PSP's first FCB is ours and unused; the two bytes are a
    // complete INT 23h handler, and DOS puts the old vector back from the
    // PSP when the program ends.
    unsafe {
        handler.write_u16(0xCBF9);
        rt::set_vector(0x23, handler);
    }
}

/// The program's terminate address (PSP:0Ah), where the exit guard hooks in.
fn terminate_address() -> u32 {
    // SAFETY: PSP:0Ah is a far pointer in our own PSP; reading has no effect.
    unsafe { FarPtr::new(rt::psp(), 0x0A).read_u32() }
}

/// `spawn`: the children end while this heap is open.
fn spawn_children(mut heap: VHeap, handles: [Option<Handle>; BLOCKS]) -> u8 {
    let mut log = TestLog::create();
    for (child, want) in [(&b"idle"[..], 7u8), (&b"child"[..], 9)] {
        let mine = snapshot();
        let ran = rt::spawn(b"T_EXITS.EXE", child);
        log.check(
            "the child ran and ended with its code",
            ran.is_ok_and(|(code, kind)| code == want && kind == 0),
            format_args!("{:?}", ran),
        );
        log.check_eq(
            "the child left nothing (snapshot as before it)",
            snapshot(),
            mine,
        );
        log.check_eq("the guard is still armed", exitguard::is_armed(), true);
        log.check_eq(
            "every block reads back intact after the child",
            first_bad(&mut heap, &handles),
            None,
        );
    }
    let failed = log.failed() != 0;
    log.finish();
    if failed {
        return 1;
    }
    // The follow-up check finds what this program holds given back.
    rt::exit(0)
}

/// `child`: a heap of its own, ended without term (exit code 9).
fn child() -> u8 {
    let Ok(mut heap) = open_heap() else {
        return 4;
    };
    let mut hs = [None; BLOCKS];
    if !fill(&mut heap, &mut hs) {
        return 4;
    }
    core::mem::forget(heap);
    9
}

/// The second program.
fn check() -> u8 {
    let mut log = TestLog::create();
    let Some((before, held)) = read_snapshots() else {
        log.check("EXITS.TXT holds both snapshots", false, format_args!(""));
        return log.finish();
    };
    let now = snapshot();
    log.note(format_args!(
        "before {:?}, held {:?}, now {:?}",
        before, held, now
    ));
    // The work must have taken something, or the test proves nothing. (After
    // `snap` the first program, a C one, reports its work itself.)
    if let Some(held) = held {
        log.check(
            "the first program held XMS, EMS or a swap file",
            held != before,
            format_args!("held {:?} = before", held),
        );
    }
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    if &tail[..n] == b"check kept" {
        log.check_eq("a TSR keeps everything it held", Some(now), held);
    } else {
        log.check_eq("XMS free KB as before", now.0[0], before.0[0]);
        log.check_eq("EMS free pages as before", now.0[1], before.0[1]);
        log.check_eq("EMS handles as before", now.0[2], before.0[2]);
        log.check_eq("files in TMP as before", now.0[3], before.0[3]);
    }
    log.finish()
}

/// `cabi <m>`: the C library's program as a child.
fn cabi(mode: &[u8]) -> u8 {
    let mut log = TestLog::create();
    let before = snapshot();
    let _ = file::delete(b"CSTATUS.BIN");
    let ran = rt::spawn(b"C_EXITS.EXE", mode);
    let now = snapshot();
    log.note(format_args!(
        "C_EXITS: {:?}; before {:?}, now {:?}",
        ran, before, now
    ));
    if mode == b"e" {
        // Ended by DOS after the Abort: exit code 0, where the client's own
        // path past the failed read ends with 3. MS-DOS reports termination
        // type 2 (critical error); FreeDOS 2040 reports 0, so the type is
        // not checked.
        log.check(
            "C_EXITS ended by DOS after Abort (exit code 0, not 3)",
            ran.is_ok_and(|(code, how)| code == 0 && (how == 0 || how == 2)),
            format_args!("{:?}", ran),
        );
    } else {
        log.check(
            "C_EXITS ran and did its work (exit code 0)",
            ran.is_ok_and(|(code, _)| code == 0),
            format_args!("{:?}", ran),
        );
    }
    // The status block (18 bytes) the client saved after its work.
    let mut status = [0u8; 18];
    let got = File::open(b"CSTATUS.BIN", Access::Read).and_then(|mut f| f.read(&mut status));
    let word = |i: usize| u16::from_le_bytes([status[2 * i], status[2 * i + 1]]);
    log.check(
        "the client swapped 2 MB out (cVmPage >= 448, fVmSwapping)",
        got == Ok(18) && word(7) >= 448 && word(1) != 0,
        format_args!("{:?} {:?}", got, status),
    );
    if mode == b"k" {
        log.check(
            "a TSR keeps what it held",
            now != before,
            format_args!("now {:?} = before", now),
        );
    } else {
        log.check_eq("nothing left behind", now, before);
    }
    log.finish()
}

fn main() -> u8 {
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let arg = &tail[..n];
    match arg {
        b"check" | b"check kept" => check(),
        b"snap" => {
            if write_snapshots(snapshot(), None) {
                0
            } else {
                3
            }
        }
        b"idle" => 7,
        b"child" => child(),
        _ if arg.starts_with(b"cabi ") => cabi(&arg[5..]),
        _ => first(arg),
    }
}
