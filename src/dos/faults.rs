//! The control side of the test suite's fault injector, `FAULTINJ.COM`
//! (`harness/faultinj.asm`): a resident program that hooks INT 21h, INT 67h
//! and the XMS entry and makes the Nth call of one kind fail the way the
//! driver fails. This module only talks to it, through its private INT 2Fh
//! function AH=F9h; what the kinds are is the test's business
//! (`dostests/src/faults.rs`).
//!
//! What belongs here: the one `asm!` per injector function. What does not:
//! anything the library itself uses (feature `faults`, test programs only).

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU16, Ordering};

/// How an injected failure looks to the caller (the injector's styles).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Style {
    /// XMS: AX=0, BL=code.
    Xms = 1,
    /// EMS: AH=code.
    Ems = 2,
    /// INT 21h: carry set, AX=code.
    Carry = 3,
    /// INT 21h read or write: DOS moves at most `code` bytes and says so.
    Short = 4,
    /// INT 21h: AX=code, no carry (AH=36h's "invalid drive").
    Ax = 5,
    /// INT 21h: a real critical error through the INT 24h vector, drive in
    /// the code's high byte, error code (DI) in its low byte; the answer
    /// decides (Retry: the call goes to DOS; Fail: carry, AX=53h).
    Critical = 6,
}

/// One armed fault: the `nth` call of `kind` from now fails (and every
/// later one too if `sticky`), in `style` with `code`.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// The injector's kind number (its table `kinds`).
    pub kind: u8,
    /// 1 = the first call of that kind after arming.
    pub nth: u16,
    /// How it fails.
    pub style: Style,
    /// Failing from then on, not once.
    pub sticky: bool,
    /// The error code (or the short count).
    pub code: u16,
}

/// Whether the injector is resident (installation check, AL=00h).
pub fn present() -> bool {
    let (ax, bx): (u16, u16);
    // SAFETY: INT 2Fh AX=F900h: the injector answers AL=FFh, BX='FI'; an
    // unhooked multiplex returns AL=00h and changes nothing else we keep.
    unsafe { asm!("int 0x2f", inout("ax") 0xF900u16 => ax, inout("bx") 0u16 => bx) };
    ax & 0xFF == 0xFF && bx == u16::from_le_bytes(*b"FI")
}

/// Arms `fault`, zeroes the injector's counts and starts counting.
pub fn arm(fault: Fault) {
    // SAFETY: INT 2Fh AX=F901h reads BL, CX, DL, DH, SI; the injector keeps
    // every register but AX. SI is saved around it (LLVM reserves it).
    unsafe {
        asm!("xchg {code:x}, si", "int 0x2f", "xchg {code:x}, si",
             code = inout(reg) fault.code => _,
             inout("ax") 0xF901u16 => _, in("bx") u16::from(fault.kind),
             in("cx") fault.nth,
             in("dx") u16::from(fault.style as u8) | (u16::from(fault.sticky) << 8));
    }
}

/// Counts the calls of every kind from now on, failing none (kind FFh).
pub fn count_only() {
    arm(Fault {
        kind: 0xFF,
        nth: 0,
        style: Style::Carry,
        sticky: false,
        code: 0,
    });
}

/// Stops (`false`) or resumes (`true`) counting: the test's own DOS calls
/// between VMM calls are not counted.
pub fn counting(on: bool) {
    let ax = if on { 0xF903u16 } else { 0xF902u16 };
    // SAFETY: INT 2Fh AX=F902h/F903h changes only AX... and not even that.
    unsafe { asm!("int 0x2f", inout("ax") ax => _) };
}

/// The calls of `kind` counted since arming, and the faults made.
pub fn read(kind: u8) -> (u16, u16) {
    let (ax, dx): (u16, u16);
    // SAFETY: INT 2Fh AX=F904h reads BL, returns AX and DX.
    unsafe {
        asm!("int 0x2f", inout("ax") 0xF904u16 => ax, in("bx") u16::from(kind),
             out("dx") dx);
    }
    (ax, dx)
}

/// Critical errors the injector raised since arming (style
/// [`Style::Critical`]): INT 24h calls made, the last answer (FFh: none),
/// and programs it ended on an Abort answer. Kept resident, so a parent
/// can ask after its child was ended.
pub fn critical_seen() -> (u16, u8, u8) {
    let (ax, bx): (u16, u16);
    // SAFETY: INT 2Fh AX=F906h returns AX and BX and changes nothing else.
    unsafe { asm!("int 0x2f", inout("ax") 0xF906u16 => ax, out("bx") bx) };
    (ax, bx as u8, (bx >> 8) as u8)
}

/// Nothing fails any more (counting goes on).
pub fn disarm() {
    // SAFETY: INT 2Fh AX=F905h changes nothing but the injector's state.
    unsafe { asm!("int 0x2f", inout("ax") 0xF905u16 => _) };
}

/// The segment of DOS's first memory control block (INT 21h AH=52h, "list
/// of lists": the word at ES:[BX-2]), for a test that adds up what the
/// program owns: a DOS block the VMM could not give back.
pub fn first_mcb() -> super::Segment {
    let seg: u16;
    // SAFETY: AH=52h returns ES:BX (ES saved and restored in the block) and
    // the word before it is DOS's first MCB segment (DOS 3.1+, FreeDOS,
    // DOSBox); reading it changes nothing.
    unsafe {
        asm!("push es", "int 0x21", "mov {s:x}, es:[bx-2]", "pop es",
             s = out(reg) seg, inout("ax") 0x5200u16 => _, out("bx") _);
    }
    super::Segment::new(seg)
}

/// What the test's critical error handler ([`install_int24`]) saw and
/// does: calls, AX and DI of the first call, Retry answers still to give
/// (then Fail). Read and written by the handler through CS (the tiny
/// model's one segment).
#[no_mangle]
static __vmemory_faults_int24_state: [AtomicU16; 4] = [
    AtomicU16::new(0),
    AtomicU16::new(0),
    AtomicU16::new(0),
    AtomicU16::new(0),
];

extern "C" {
    /// The handler (below); only its address is used.
    fn __vmemory_faults_int24();
}

// A user program's INT 24h handler, as DOS calls it: counts the call,
// keeps AX (flags, drive) and DI (error code) of the first, answers Retry
// (AL=01h) while retries are left, then Fail (AL=03h). It keeps every
// other register (DOS wants SS, SP, DS, ES, BX, CX, DX kept).
global_asm!(
    ".section .text.__vmemory_faults_int24, \"ax\"",
    ".globl __vmemory_faults_int24",
    "__vmemory_faults_int24:",
    "    cmpw $0, %cs:__vmemory_faults_int24_state",
    "    jne 1f",
    "    movw %ax, %cs:__vmemory_faults_int24_state+2",
    "    movw %di, %cs:__vmemory_faults_int24_state+4",
    "1:  incw %cs:__vmemory_faults_int24_state",
    "    movb $3, %al",
    "    cmpw $0, %cs:__vmemory_faults_int24_state+6",
    "    je 2f",
    "    decw %cs:__vmemory_faults_int24_state+6",
    "    movb $1, %al",
    "2:  iretw",
    options(att_syntax)
);

/// Installs the handler as the program's INT 24h (INT 21h AH=25h, as a
/// program does) answering Retry `retries` times, then Fail; zeroes what it
/// saw. Returns the vector it replaced (`seg << 16 | off`), for
/// [`restore_int24`]; DOS also puts the PSP's copy back when the program
/// ends.
pub fn install_int24(retries: u16) -> u32 {
    let st = &__vmemory_faults_int24_state;
    st[0].store(0, Ordering::Relaxed);
    st[3].store(retries, Ordering::Relaxed);
    let (seg, off): (u16, u16);
    // SAFETY: INT 21h AX=3524h returns the vector in ES:BX; ES is saved
    // and restored in the block.
    unsafe {
        asm!("push es", "int 0x21", "mov {s:x}, es", "pop es",
             s = out(reg) seg, inout("ax") 0x3524u16 => _, out("bx") off);
    }
    let handler = __vmemory_faults_int24 as *const () as usize as u32;
    // SAFETY: INT 21h AX=2524h, DS:DX = the handler (DS is the program's
    // segment, where the handler lives).
    unsafe { asm!("int 0x21", inout("ax") 0x2524u16 => _, in("edx") handler) };
    u32::from(seg) << 16 | u32::from(off)
}

/// Puts back the INT 24h vector `old` from [`install_int24`].
pub fn restore_int24(old: u32) {
    // SAFETY: INT 21h AX=2524h, DS:DX = the old vector; DS is saved and
    // restored in the block.
    unsafe {
        asm!("push ds", "mov ds, {s:x}", "int 0x21", "pop ds",
             s = in(reg) (old >> 16) as u16, inout("ax") 0x2524u16 => _, in("dx") old as u16);
    }
}

/// What the handler saw since [`install_int24`]: its calls, and AX and DI
/// of the first.
pub fn int24_seen() -> (u16, u16, u16) {
    let st = &__vmemory_faults_int24_state;
    (
        st[0].load(Ordering::Relaxed),
        st[1].load(Ordering::Relaxed),
        st[2].load(Ordering::Relaxed),
    )
}
