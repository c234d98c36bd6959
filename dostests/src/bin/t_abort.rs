//! DOS test: a critical error answered Abort ends a program in the middle
//! of the VMM's swap-file call, and the exit guard gives back everything
//! the VMM held (issue 25).
//!
//! Runs behind `FAULTINJ.COM` (`harness/faultinj.asm`), loaded first by the
//! same RUN.BAT. `T_ABORT.EXE parent KIND CODE FLAGS` spawns `T_ABORT.EXE
//! victim SEG OFF KIND CODE FLAGS`, which opens a heap with swap areas
//! FLAGS (`_vheapinit`'s; 7 all, 4 the swap file alone) and a 56 KB cache
//! (in upper memory where the machine has it), writes 64 blocks of 32 KB
//! (2 MB: more than the XMS and EMS of `small` and `emm2`, so the swap
//! file holds blocks too), points INT 24h at a handler that answers
//! Abort (AL=02h), arms the first call of injector kind KIND (13 DOS read,
//! 14 DOS write, 15 DOS seek) to fail as a critical error with CODE (the
//! drive times 256 plus the INT 24h error code) and goes on loading and
//! writing every block, so that blocks move between the cache and the
//! swap file. The
//! injector raises the critical error through the INT 24h vector and, on
//! the answer Abort, ends the child from inside the VMM's call (INT 21h
//! AX=4CFFh; DOS's own Abort ends a program on the same path, through the
//! PSP's terminate address, where the exit guard hooks in).
//!
//! The parent then checks that the child was ended that way (exit code FFh
//! and type 0 by INT 21h AH=4Dh, as EXEC returns them; the injector saw one
//! critical error answered 02h and ended one program; the child's work
//! never came back), that the child held the swap file then (and XMS or
//! EMS where FLAGS names one), that its cache was in the upper block if
//! the machine had one, and that XMS,
//! EMS pages and handles, `%TMP%`, the upper block the cache was in, DOS's
//! allocation strategy, UMB link and largest free conventional block are
//! as before it ran. The child tells the parent how far it got and what it
//! held by writing into the parent's memory (`SEG:OFF`, [`MARK`]): after
//! the Abort it can write nothing else.
#![no_std]
#![no_main]

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

use dostests::resources::{same_state, upper_block, DosState, ResourceSnapshot};
use dostests::text::{numbers, Text};
use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::faults::{self, Fault, Style};
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::{VM_ALLSWAP, VM_DIRTY, VM_EMS, VM_XMS};

dos_main!(main);

/// The child's cache (paragraphs): the size `T_UMB` finds room for in
/// every engine's upper block.
const CACHE_PARAS: u16 = 3500;
/// The child's blocks: 64 x 32 KB = 2 MB.
const BLOCKS: usize = 64;
const BLOCK_BYTES: u16 = 32 * 1024;

/// What the child tells its parent, written into the parent's memory by
/// the child (the address is on its command line; this memory stays the
/// parent's while the child runs): dword 0 how far it got (`STAGE_*`),
/// dwords 1-4 the [`ResourceSnapshot`] it held just before the fault was
/// armed, dword 5 its cache's segment (`segVmDos`).
static MARK: [AtomicU32; 6] = [const { AtomicU32::new(0) }; 6];
/// The child has its heap open and its blocks written.
const STAGE_HELD: u32 = 1;
/// The fault is armed and the child is at work.
const STAGE_ARMED: u32 = 2;
/// The work came back: the program was not ended.
const STAGE_CAME_BACK: u32 = 3;

/// The child's exit codes when the Abort did not end it.
const CHILD_CAME_BACK: u8 = 3;
const CHILD_NO_HEAP: u8 = 4;
const CHILD_NO_BLOCK: u8 = 5;
const CHILD_WRONG: u8 = 6;
/// The exit code with which the injector ends a program on Abort.
const INJECTOR_ABORT_CODE: u8 = 0xFF;
/// The INT 24h answer "Abort" (AL=02h).
const ANSWER_ABORT: u8 = 2;

/// The byte block `i` holds after round `round`.
fn block_byte(round: u32, i: usize) -> u8 {
    (round * 64 + i as u32) as u8 ^ 0x5A
}

/// The parent: runs the child and checks what it left.
fn parent(log: &mut TestLog, kind: u8, code: u16, flags: u16) {
    faults::disarm();
    faults::counting(false);
    let before = ResourceSnapshot::take();
    let dos_before = DosState::now();
    let upper_before = upper_block(CACHE_PARAS);
    let mark_off = MARK.as_ptr() as usize;
    let mut tail = Text::new();
    let _ = write!(
        tail,
        "victim {} {} {} {} {}",
        Segment::data().value(),
        mark_off,
        kind,
        code,
        flags
    );
    let ran = rt::spawn(b"T_ABORT.EXE", tail.as_bytes());
    // The child's fault may still be armed: nothing may fail from here on.
    faults::disarm();
    faults::counting(false);
    let (raised, answer, aborted) = faults::critical_seen();
    let (_, made) = faults::read(kind);
    let stage = MARK[0].load(Ordering::Relaxed);
    let held = ResourceSnapshot([1, 2, 3, 4].map(|i| MARK[i].load(Ordering::Relaxed)));
    let cache_seg = MARK[5].load(Ordering::Relaxed);
    let after = ResourceSnapshot::take();
    log.note(format_args!(
        "child {:?}, stage {}, critical errors {}, last answer {}, programs ended {}, faults {}; before {:?} held {:?} after {:?}; upper block {:04X}h, cache at {:04X}h",
        ran, stage, raised, answer, aborted, made, before, held, after, upper_before, cache_seg
    ));
    log.check(
        "the child was ended by the Abort (exit code FFh, type 0)",
        ran.is_ok_and(|(rc, how)| rc == INJECTOR_ABORT_CODE && how == 0),
        format_args!(
            "{:?} (the child's own codes: {} came back, {} no heap, {} no block, {} read back wrong)",
            ran, CHILD_CAME_BACK, CHILD_NO_HEAP, CHILD_NO_BLOCK, CHILD_WRONG
        ),
    );
    log.check(
        "the fault reached the INT 24h handler, which answered Abort",
        made >= 1 && raised >= 1 && answer == ANSWER_ABORT && aborted == 1,
        format_args!(
            "faults {} critical errors {} last answer {} programs ended {}",
            made, raised, answer, aborted
        ),
    );
    log.check_eq("the child's work never came back", stage, STAGE_ARMED);
    // XMS or EMS, where FLAGS names one and the machine has it: the
    // first store fills, then the swap file (the two share extended
    // memory in every engine, so EMS takes what XMS leaves).
    if flags & (VM_XMS | VM_EMS) != 0 && (before.0[0] != 0 || before.0[1] != 0) {
        log.check(
            "the child held XMS or EMS when it was ended",
            held.0[..3] != before.0[..3],
            format_args!("before {:?} held {:?}", before, held),
        );
    }
    log.check(
        "the child held the swap file when it was ended",
        held.0[3] == before.0[3] + 1,
        format_args!("files in TMP {} then {}", before.0[3], held.0[3]),
    );
    // Where the machine has an upper block the cache's size, the cache
    // must have been in it (as T_UMB checks), or its return proves nothing.
    log.check(
        "the cache was in the upper block, if there was one",
        upper_before == 0 || cache_seg >= 0xA000,
        format_args!(
            "upper block {:04X}h, cache at {:04X}h",
            upper_before, cache_seg
        ),
    );
    log.check_eq("XMS, EMS, TMP as before", after, before);
    same_state(
        log,
        "link, strategy, largest conventional as before",
        DosState::now(),
        dos_before,
    );
    log.check_eq(
        "the upper block back (0: none)",
        upper_block(CACHE_PARAS),
        upper_before,
    );
}

/// The child: fills a heap, arms the fault and works on until the Abort
/// ends it. Returns only if it was not ended.
fn victim(mark: FarPtr, kind: u8, code: u16, flags: u16) -> u8 {
    let tell = |word: u16, v: u32| {
        // SAFETY: `mark` is the parent's `MARK` (six dwords), memory the
        // parent keeps while this program runs.
        unsafe { mark.offset(u32::from(4 * word)).unwrap().write_u32(v) }
    };
    faults::disarm();
    faults::counting(false);
    if heap::vheapinit(CACHE_PARAS, CACHE_PARAS, flags) == 0 {
        return CHILD_NO_HEAP;
    }
    let mut handles = [0u32; BLOCKS];
    for (i, h) in handles.iter_mut().enumerate() {
        *h = heap::vmalloc(u32::from(BLOCK_BYTES));
        let p = heap::vload(*h, VM_DIRTY as u16);
        if p.is_null() {
            return CHILD_NO_BLOCK;
        }
        // SAFETY: a block of BLOCK_BYTES just loaded dirty.
        unsafe { p.fill(block_byte(0, i), BLOCK_BYTES) };
    }
    for (i, v) in ResourceSnapshot::take().0.into_iter().enumerate() {
        tell(1 + i as u16, v);
    }
    tell(5, u32::from(heap::status().seg_vm_dos));
    tell(0, STAGE_HELD);
    let handler = rt::psp_scratch();
    // SAFETY: MOV AL,2 / IRET (B0 02 CF): a complete INT 24h handler that
    // answers Abort, in the PSP's unused first FCB; DOS puts the old vector
    // back from the PSP when the program ends.
    unsafe {
        handler.write_u32(0x00CF_02B0);
        rt::set_vector(0x24, handler);
    }
    faults::arm(Fault {
        kind,
        nth: 1,
        style: Style::Critical,
        sticky: false,
        code,
    });
    tell(0, STAGE_ARMED);
    // Each load evicts a dirty block to its store: those homed in the swap
    // file are written there, and read (after a seek) when loaded again.
    for round in 1..4u32 {
        for (i, &h) in handles.iter().enumerate() {
            let p = heap::vload(h, VM_DIRTY as u16);
            if p.is_null() {
                return CHILD_NO_BLOCK;
            }
            let last = p.offset(u32::from(BLOCK_BYTES) - 1).unwrap();
            // SAFETY: both ends of a block of BLOCK_BYTES just loaded dirty.
            let ends = unsafe { [p.read_u8(), last.read_u8()] };
            if ends != [block_byte(round - 1, i); 2] {
                return CHILD_WRONG;
            }
            // SAFETY: as above.
            unsafe { p.fill(block_byte(round, i), BLOCK_BYTES) };
        }
    }
    tell(0, STAGE_CAME_BACK);
    faults::disarm();
    heap::vheapterm();
    CHILD_CAME_BACK
}

fn main() -> u8 {
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let tail = &tail[..n];
    if tail.starts_with(b"victim ") {
        // No log of its own: RESULT.TXT is the parent's, open meanwhile.
        let mut a = [0u32; 5];
        numbers(tail, &mut a);
        let mark = FarPtr::new(Segment::new(a[0] as u16), a[1] as u16);
        return victim(mark, a[2] as u8, a[3] as u16, a[4] as u16);
    }
    let mut log = TestLog::create();
    if log.check(
        "FAULTINJ.COM resident",
        faults::present(),
        format_args!("run it before this program"),
    ) {
        // parent KIND CODE FLAGS (default: the first swap-file write
        // fails with a write fault on C:, every swap area).
        let mut a = [14u32, 0x20A, u32::from(VM_ALLSWAP)];
        numbers(tail, &mut a);
        parent(&mut log, a[0] as u8, a[1] as u16, a[2] as u16);
    }
    log.finish()
}
