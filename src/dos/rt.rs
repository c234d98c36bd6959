//! Program runtime: the `_start` entry of a DOS .EXE, the PSP, the command
//! line, exit through INT 21h AH=4Ch, and the panic handler.
//!
//! DOS enters `_start` (see `exe.ld`) with CS = SS = the image segment and
//! DS = ES = the PSP segment. `_start` makes DS, ES and SS equal CS (the tiny
//! model Rust code16 needs), sets the stack, zeroes `.bss`, and calls
//! `__vmemory_start` with the PSP segment, which runs the program's
//! `__vmemory_main` (defined by [`dos_main!`](crate::dos_main)) and exits
//! with its result.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU16, Ordering};

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
/// whose result becomes the exit code (ERRORLEVEL).
#[macro_export]
macro_rules! dos_main {
    ($main:path) => {
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

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
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

/// The DOS version (major, minor), INT 21h AH=30h.
pub fn dos_version() -> (u8, u8) {
    let ax: u16;
    // SAFETY: AH=30h returns AL = major, AH = minor; BX and CX carry the OEM
    // and serial numbers, which are declared clobbered.
    unsafe { asm!("int 0x21", inout("ax") 0x3000u16 => ax, out("bx") _, out("cx") _) };
    (ax as u8, (ax >> 8) as u8)
}

/// Makes handle `target` refer to the same file as `source` (INT 21h
/// AH=46h, "force duplicate"), e.g. to send stderr to a file.
pub fn redirect_handle(source: u16, target: u16) -> Result<(), super::DosError> {
    let (ax, carry): (u16, u8);
    // SAFETY: BX = existing handle, CX = handle to redirect; no memory touched.
    unsafe {
        asm!("int 0x21", "setc {c}", c = lateout(reg_byte) carry,
             inout("ax") 0x4600u16 => ax, in("bx") source, in("cx") target);
    }
    if carry != 0 {
        Err(super::DosError(ax))
    } else {
        Ok(())
    }
}

/// Space on a drive as DOS counts it (INT 21h AH=36h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes per cluster, the unit in which files take space.
    pub cluster_bytes: u32,
    /// Free clusters.
    pub free_clusters: u16,
    /// Clusters on the drive.
    pub total_clusters: u16,
}

impl DiskSpace {
    /// Free bytes (saturating at 4 GB).
    pub fn free_bytes(&self) -> u32 {
        self.cluster_bytes
            .saturating_mul(u32::from(self.free_clusters))
    }
}

/// Space on `drive` (0 = current, 1 = A:, ...), INT 21h AH=36h, or `None`
/// if DOS does not know the drive.
pub fn disk_space(drive: u8) -> Option<DiskSpace> {
    let (ax, bx, cx, dx): (u16, u16, u16, u16);
    // SAFETY: AH=36h returns AX = sectors per cluster (FFFFh: bad drive),
    // BX = free clusters, CX = bytes per sector, DX = total clusters.
    unsafe {
        asm!("int 0x21", inout("ax") 0x3600u16 => ax, out("bx") bx, out("cx") cx,
             inout("dx") u16::from(drive) => dx);
    }
    if ax == 0xFFFF {
        return None;
    }
    Some(DiskSpace {
        cluster_bytes: u32::from(ax).saturating_mul(u32::from(cx)),
        free_clusters: bx,
        total_clusters: dx,
    })
}

/// Free bytes on `drive` (0 = current, 1 = A:, ...), or `None` if DOS does
/// not know the drive.
pub fn disk_free_bytes(drive: u8) -> Option<u32> {
    disk_space(drive).map(|s| s.free_bytes())
}
