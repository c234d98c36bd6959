//! Program runtime: the `_start` entry of a DOS .EXE, the PSP, the command
//! line, exit through INT 21h AH=4Ch, and the panic reports that the panic
//! handler of [`dos_main!`](crate::dos_main) calls.
//!
//! DOS enters `_start` (see `exe.ld`) with CS = SS = the image segment and
//! DS = ES = the PSP segment. `_start` makes DS, ES and SS equal CS (the tiny
//! model Rust code16 needs), sets the stack, zeroes `.bss`, and calls
//! `__vmemory_start` with the PSP segment, which runs the program's
//! `__vmemory_main` (defined by [`dos_main!`](crate::dos_main)) and exits
//! with its result.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU16, AtomicU32, Ordering};

use super::far::{FarPtr, Segment};

global_asm!(
    ".section .startup, \"ax\"",
    ".globl _start",
    "_start:",
    "    movw %ds, %bx", // PSP segment
    "    movw %cs, %ax",
    "    movw %ax, %ds",
    "    movw %ax, %es",
    "    cli",
    "    movw %ax, %ss",
    "    movl $__stack_top, %esp",
    "    sti",
    "    cld",
    "    movl $__bss_start, %edi",
    "    movl $__bss_end, %ecx",
    "    subl %edi, %ecx",
    "    xorl %eax, %eax",
    "    rep stosb",
    "    xorl %ebp, %ebp",
    "    movzwl %bx, %ebx",
    "    pushl %ebx",
    // code16 Rust functions return with a 32-bit `retl`, so call with `calll`.
    "    calll __vmemory_start",
    "0:  hlt",
    "    jmp 0b",
    options(att_syntax)
);

static PSP_SEGMENT: AtomicU16 = AtomicU16::new(0);

extern "Rust" {
    /// The program's main function, defined by [`dos_main!`](crate::dos_main).
    fn __vmemory_main() -> u8;
}

/// Called by `_start` once the segments and stack are set.
#[no_mangle]
extern "C" fn __vmemory_start(psp: u32) -> ! {
    PSP_SEGMENT.store(psp as u16, Ordering::Relaxed);
    // SAFETY: `__vmemory_main` is the program's main, defined by `dos_main!`.
    let code = unsafe { __vmemory_main() };
    exit(code)
}

/// Defines the program's entry: `dos_main!(main)` with `fn main() -> u8`,
/// whose result becomes the exit code (ERRORLEVEL), and the program's panic
/// handler ([`panic_report`]: message and location on stderr, exit code
/// [`PANIC_EXIT_CODE`]).
///
/// `dos_main!(main, panic: lean)` gives a handler without `core::fmt`
/// ([`panic_report_lean`]): an image that formats nothing else (the C
/// library) then carries none of the formatting machinery.
#[macro_export]
macro_rules! dos_main {
    ($main:path) => {
        $crate::dos_main!(@entry $main);
        #[panic_handler]
        fn __vmemory_panic(info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::dos::rt::panic_report(info)
        }
    };
    ($main:path, panic: lean) => {
        $crate::dos_main!(@entry $main);
        #[panic_handler]
        fn __vmemory_panic(info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::dos::rt::panic_report_lean(info)
        }
    };
    (@entry $main:path) => {
        #[no_mangle]
        fn __vmemory_main() -> u8 {
            $main()
        }
    };
}

/// The program segment prefix of the running program.
///
/// A DOS program built on this runtime knows it from `_start`; the C ABI's
/// library image has no `_start` (it runs inside someone else's program),
/// so there DOS is asked each time (INT 21h AH=62h, DOS 3.0+).
pub fn psp() -> Segment {
    match PSP_SEGMENT.load(Ordering::Relaxed) {
        0 => {
            let bx: u16;
            // SAFETY: AH=62h returns the current PSP segment in BX and
            // changes nothing else.
            unsafe { asm!("int 0x21", inout("ax") 0x6200u16 => _, out("bx") bx) };
            Segment::new(bx)
        }
        seg => Segment::new(seg),
    }
}

/// Copies the command tail (the text after the program name, PSP:80h) into
/// `buf` without the leading blanks; returns its length.
pub fn command_line(buf: &mut [u8; 127]) -> usize {
    // SAFETY: PSP:80h is the tail's length byte, followed by up to 127 bytes.
    let len = unsafe { FarPtr::new(psp(), 0x80).read_u8() }.min(127) as usize;
    // SAFETY: as above; `len` <= 127.
    unsafe { FarPtr::new(psp(), 0x81).read_bytes(&mut buf[..len]) };
    let start = buf[..len]
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(len);
    buf.copy_within(start..len, 0);
    len - start
}

/// Ends the program with exit code `code` (INT 21h AH=4Ch).
pub fn exit(code: u8) -> ! {
    // SAFETY: AH=4Ch does not return; DOS frees the program's memory.
    unsafe { asm!("int 0x21", in("ax") 0x4C00u16 | code as u16, options(noreturn)) }
}

/// The exit code of a panic.
pub const PANIC_EXIT_CODE: u8 = 255;

/// Writes a panic's message and location to stderr and ends the program
/// with [`PANIC_EXIT_CODE`]: the panic handler [`dos_main!`](crate::dos_main)
/// defines.
pub fn panic_report(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(loc) => crate::eprintln!(
            "panic: {} at {}:{}:{}",
            info.message(),
            loc.file(),
            loc.line(),
            loc.column()
        ),
        None => crate::eprintln!("panic: {}", info.message()),
    }
    exit(PANIC_EXIT_CODE)
}

/// [`panic_report`] without `core::fmt`: a fixed line, then the exit.
/// Neither message nor location is read: reading the panic's information at
/// all keeps every formatting function its message names in the image
/// (about 3.5 KB of `core::fmt` in the C library, which formats nothing
/// else). A panic in the library is a bug in it; the line says where to
/// look.
pub fn panic_report_lean(_info: &core::panic::PanicInfo<'_>) -> ! {
    let mut err = super::file::File::from_raw(super::console::STDERR);
    let _ = err.write_all(b"vmemory: internal error (panic); program ended\r\n");
    exit(PANIC_EXIT_CODE)
}

/// Offset in the PSP where [`exit_int21_00`] writes its two instructions:
/// the first default FCB (PSP:5Ch), which this runtime never uses.
const PSP_SCRATCH_CODE: u16 = 0x5C;

/// Ends the program with INT 20h, as DOS 1 programs did: far jumps to
/// PSP:0000, which holds `INT 20h`, so that CS is the PSP as INT 20h
/// requires (DOSBox takes the program to end from the caller's CS).
/// Exit code 0.
pub fn exit_int20() -> ! {
    let psp = psp().value();
    // SAFETY: PSP:0000 holds INT 20h (CD 20), put there by DOS; it does not
    // return. Nothing after the far return runs.
    unsafe {
        asm!("pushw {psp:x}", "pushw $0", "lretw", psp = in(reg) psp,
             options(att_syntax, noreturn));
    }
}

/// Ends the program with INT 21h AH=00h (DOS 1's terminate), run with CS =
/// the PSP as the function requires: writes `MOV AH,0` / `INT 21h` into the
/// PSP's first default FCB and far jumps there. Exit code 0.
pub fn exit_int21_00() -> ! {
    let psp = psp();
    // B4 00 = MOV AH,00h; CD 21 = INT 21h.
    // SAFETY: PSP:5Ch..5Fh is the first default FCB, ours and unused.
    unsafe { FarPtr::new(psp, PSP_SCRATCH_CODE).write_u32(0x21CD_00B4) };
    // SAFETY: the bytes just written end the program; the far return jumps
    // to them and nothing after it runs.
    unsafe {
        asm!("pushw {psp:x}", "pushw {off:x}", "lretw", psp = in(reg) psp.value(),
             off = in(reg) PSP_SCRATCH_CODE, options(att_syntax, noreturn));
    }
}

/// The size of the program's memory block (from the PSP's MCB), what
/// [`keep`] keeps to stay resident whole.
pub fn program_paras() -> u16 {
    let mcb = Segment::new(psp().value() - 1);
    // SAFETY: the MCB (16 bytes) right below the PSP holds the block's size
    // in paragraphs at offset 3.
    unsafe { FarPtr::new(mcb, 3).read_u16() }
}

/// Terminates and stays resident (INT 21h AH=31h), keeping `paras`
/// paragraphs from the PSP on, with exit code `code`.
pub fn keep(paras: u16, code: u8) -> ! {
    // SAFETY: AH=31h does not return; DOS resizes the program's block to
    // DX paragraphs and keeps it and every other block it owns.
    unsafe {
        asm!("int 0x21", in("ax") 0x3100u16 | code as u16, in("dx") paras,
             options(noreturn))
    }
}

/// Terminates and stays resident the DOS 1 way (INT 27h, DX = bytes to keep
/// from the PSP on, at most FFF0h), run with CS = the PSP as INT 27h
/// requires (through `INT 27h` written into the PSP's first default FCB).
pub fn keep_int27(bytes: u16) -> ! {
    let psp = psp();
    // CD 27 = INT 27h (and two NOPs).
    // SAFETY: PSP:5Ch..5Fh is the first default FCB, ours and unused.
    unsafe { FarPtr::new(psp, PSP_SCRATCH_CODE).write_u32(0x9090_27CD) };
    // SAFETY: the far return jumps to INT 27h, which does not return.
    unsafe {
        asm!("pushw {psp:x}", "pushw {off:x}", "lretw", psp = in(reg) psp.value(),
             off = in(reg) PSP_SCRATCH_CODE, in("dx") bytes, options(att_syntax, noreturn));
    }
}

/// Where [`spawn`] keeps the stack pointer across EXEC (DOS 2 keeps no
/// register but CS:IP across it).
static EXEC_ESP: AtomicU32 = AtomicU32::new(0);
/// EXEC's AX and carry, stored before the registers are restored.
static EXEC_AX: AtomicU16 = AtomicU16::new(0);
static EXEC_CARRY: AtomicU16 = AtomicU16::new(0);

/// Runs the program `path` (INT 21h AX=4B00h) with the command tail `tail`
/// (at most 126 bytes) and this program's environment, and waits for it.
/// Returns its exit code and termination type (INT 21h AH=4Dh: AL, AH).
pub fn spawn(path: &[u8], tail: &[u8]) -> Result<(u8, u8), super::DosError> {
    if path.len() >= 80 || tail.len() > 126 {
        return Err(super::DosError::BAD_ARGUMENT);
    }
    let mut name = [0u8; 80];
    name[..path.len()].copy_from_slice(path);
    let mut cmd = [0u8; 128];
    cmd[0] = tail.len() as u8;
    cmd[1..=tail.len()].copy_from_slice(tail);
    cmd[tail.len() + 1] = b'\r';
    let psp = psp().value();
    let seg = Segment::data().value();
    // EXEC parameter block: environment (0 = ours), command tail, FCB 1, FCB 2.
    let block: [u16; 7] = [
        0,
        super::far::near_offset(cmd.as_ptr()) as u16,
        seg,
        0x5C,
        psp,
        0x6C,
        psp,
    ];
    // SAFETY: AX=4B00h: DS:DX = ASCIZ path, ES:BX = parameter block, both
    // in our segment (DS = ES = CS here). Every register is saved on our
    // stack and SS:ESP in EXEC_ESP, and restored from CS afterwards; AX and
    // the carry are stored before that. The child runs in memory DOS gives
    // it, none of ours.
    unsafe {
        asm!(
            "pushad", "push ds", "push es", "push fs", "push gs",
            "mov dword ptr cs:[{sp}], esp",
            "int 0x21",
            "mov word ptr cs:[{ax}], ax",
            "setc byte ptr cs:[{cf}]",
            "mov ax, cs",
            "mov ss, ax",
            "mov esp, dword ptr cs:[{sp}]",
            "pop gs", "pop fs", "pop es", "pop ds", "popad",
            sp = sym EXEC_ESP, ax = sym EXEC_AX, cf = sym EXEC_CARRY,
            in("ax") 0x4B00u16,
            in("edx") super::far::near_offset(name.as_ptr()),
            in("bx") super::far::near_offset(block.as_ptr()) as u16,
        );
    }
    // `setc` stored the carry in the low byte.
    super::dos_result(
        EXEC_CARRY.load(Ordering::Relaxed) as u8,
        EXEC_AX.load(Ordering::Relaxed),
    )?;
    let ax: u16;
    // SAFETY: AH=4Dh returns AL = exit code, AH = how the child ended.
    unsafe { asm!("int 0x21", inout("ax") 0x4D00u16 => ax) };
    Ok((ax as u8, (ax >> 8) as u8))
}

/// Sets interrupt vector `n` (INT 21h AH=25h). DOS restores vectors 22h,
/// 23h and 24h from the PSP when the program ends.
///
/// # Safety
/// `handler` must be code that serves interrupt `n` for as long as the
/// vector points at it.
pub unsafe fn set_vector(n: u8, handler: FarPtr) {
    // SAFETY: AH=25h: AL = vector, DS:DX = handler; DS is restored in the block.
    unsafe {
        asm!("push ds", "mov ds, {seg:x}", "int 0x21", "pop ds",
             seg = in(reg) handler.seg.value(), in("ax") 0x2500u16 | u16::from(n),
             in("dx") handler.off);
    }
}

/// Does what the BIOS does when Ctrl-Break is pressed: INT 1Bh, whose DOS
/// handler notes the break for the next DOS call that checks for it.
pub fn raise_ctrl_break() {
    // SAFETY: INT 1Bh changes no register (a handler that does is broken).
    unsafe { asm!("int 0x1b") };
}

/// Whether a character is waiting on standard input (INT 21h AH=0Bh); like
/// every console function it checks for Ctrl-C first.
pub fn stdin_ready() -> bool {
    let ax: u16;
    // SAFETY: AH=0Bh returns AL = FFh if a character is waiting, 00h if not.
    unsafe { asm!("int 0x21", inout("ax") 0x0B00u16 => ax) };
    ax as u8 != 0
}

/// The PSP's first default FCB (PSP:5Ch, unused by this runtime) as scratch
/// space for a few bytes of code that must run with CS = the PSP or that a
/// test points a vector at.
pub fn psp_scratch() -> FarPtr {
    FarPtr::new(psp(), PSP_SCRATCH_CODE)
}

/// Sets DOS's extended Ctrl-Break checking (INT 21h AX=3301h, the BREAK
/// command): when on, DOS checks for a break on every call, not only on
/// console I/O.
pub fn set_break_checking(on: bool) {
    // SAFETY: AX=3301h: DL = 0 off, 1 on; changes only DL's meaning.
    unsafe { asm!("int 0x21", inout("ax") 0x3301u16 => _, inout("dx") u16::from(on) => _) };
}
