//! Segments and far pointers, and the few primitives that touch far memory.
//!
//! Everything outside the program's own 64 KiB segment is reached through a
//! [`FarPtr`] and one of the primitives here (read, write, copy, fill). Each
//! is a single `asm!` block. Copy and fill load DS or ES, move bytes with a
//! `rep` string instruction and restore the register before the block ends,
//! so Rust code never runs with DS or ES pointing elsewhere (the compiler
//! itself copies and fills with `rep movs`/`stos` through ES).
//!
//! The scalar reads and writes go through FS, which no compiled code uses:
//! it is loaded and not restored (a `push es`/`pop es` pair at each of some
//! 270 accesses was 2 bytes each). Whoever enters this code on behalf of a
//! caller that expects FS kept saves it once: the C shim around each call,
//! the exit guard's hook, the interrupt handlers of `rt`.
//!
//! ESI cannot be named as an `asm!` operand on this target, yet the register
//! allocator may still put any `in(reg)` operand in it. So a block that
//! needs SI saves it, reads every other operand first, and loads SI last.

use core::arch::asm;

/// A real-mode segment value (a paragraph number: linear address / 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Segment(u16);

impl Segment {
    /// The segment with paragraph number `paragraph`.
    pub const fn new(paragraph: u16) -> Self {
        Self(paragraph)
    }

    /// The paragraph number.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The linear address of the segment's first byte.
    pub const fn linear(self) -> u32 {
        (self.0 as u32) << 4
    }

    /// The segment `paras` paragraphs further on, if it is still below 1 MiB
    /// plus the HMA (the segment arithmetic of real mode wraps at FFFFh).
    pub fn add_paras(self, paras: u16) -> Option<Self> {
        self.0.checked_add(paras).map(Self)
    }

    /// The program's own segment (DS, equal to CS, ES and SS in the tiny model).
    pub fn data() -> Self {
        let ds: u16;
        // SAFETY: reading DS has no side effect.
        unsafe { asm!("mov {0:x}, ds", out(reg) ds, options(nomem, nostack, preserves_flags)) };
        Self(ds)
    }
}

/// A real-mode far pointer, laid out as in memory and as C compilers pass it:
/// offset first, then segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct FarPtr {
    /// Offset within the segment.
    pub off: u16,
    /// The segment.
    pub seg: Segment,
}

const _: () = assert!(core::mem::size_of::<FarPtr>() == 4);

/// A load and a store of one scalar type at a far pointer: one `asm!` each,
/// a single move through FS (loaded, not restored: see the module doc).
/// `$size` is the operand size, `$v` the value register as the template
/// names it.
///
/// The offset is in DI, a 16-bit base register: an access through a 32-bit
/// register (`[{off:e}]`) took an address-size prefix and a zero
/// extension each time, 416 bytes of the C library in all. (BX, SI and BP
/// cannot be named here.)
macro_rules! far_scalar {
    (
        $(#[$read_doc:meta])* $read:ident,
        $(#[$write_doc:meta])* $write:ident: $t:ty, $size:literal, $v:literal, $class:ident
    ) => {
        $(#[$read_doc])*
        pub unsafe fn $read(self) -> $t {
            let v: $t;
            // SAFETY: one load through FS, which no compiled code uses;
            // readable by the caller's promise.
            unsafe {
                asm!("mov fs, {seg:x}",
                     concat!("mov ", $v, ", ", $size, " ptr fs:[di]"),
                     seg = in(reg) self.seg.0, in("di") self.off, v = out($class) v,
                     options(readonly, preserves_flags));
            }
            v
        }

        $(#[$write_doc])*
        pub unsafe fn $write(self, v: $t) {
            // SAFETY: one store through FS, which no compiled code uses;
            // writable by the caller's promise, and no Rust reference covers
            // far memory.
            unsafe {
                asm!("mov fs, {seg:x}",
                     concat!("mov ", $size, " ptr fs:[di], ", $v),
                     seg = in(reg) self.seg.0, in("di") self.off, v = in($class) v,
                     options(preserves_flags));
            }
        }
    };
}

impl FarPtr {
    /// The null far pointer 0000:0000.
    pub const NULL: Self = Self {
        off: 0,
        seg: Segment(0),
    };

    /// `seg:off`.
    pub const fn new(seg: Segment, off: u16) -> Self {
        Self { off, seg }
    }

    /// Whether this is 0000:0000.
    pub const fn is_null(self) -> bool {
        self.off == 0 && self.seg.0 == 0
    }

    /// The 20-bit (21 with the HMA) linear address.
    pub const fn linear(self) -> u32 {
        self.seg.linear() + self.off as u32
    }

    /// The normalised pointer to `linear` (offset below 16), or `None` past
    /// FFFF:000F.
    pub const fn from_linear(linear: u32) -> Option<Self> {
        if linear >= 0x10_0000 + 0xFFF0 {
            return None;
        }
        Some(Self {
            off: (linear & 15) as u16,
            seg: Segment((linear >> 4) as u16),
        })
    }

    /// The same address with the offset reduced below 16, so that up to
    /// 65520 bytes from here are reachable without the offset wrapping.
    pub const fn normalized(self) -> Self {
        match Self::from_linear(self.linear()) {
            Some(p) => p,
            None => self,
        }
    }

    /// The normalised pointer `bytes` further on, or `None` past the end of
    /// real-mode memory.
    pub const fn offset(self, bytes: u32) -> Option<Self> {
        Self::from_linear(self.linear() + bytes)
    }

    /// The far pointer to a near address of the program's own segment.
    ///
    /// This is the one place a near pointer becomes a far one: it checks
    /// (in debug builds, as `near_offset`: the linker scripts already
    /// guarantee it) the tiny-model invariant that near addresses fit 16
    /// bits.
    pub fn from_near<T>(p: *const T) -> Self {
        let addr = p as usize;
        debug_assert!(addr <= 0xFFFF, "near pointer outside the 64 KiB segment");
        Self {
            off: addr as u16,
            seg: Segment::data(),
        }
    }

    /// Copies `dst.len()` bytes from far memory at `self` into `dst`.
    ///
    /// # Safety
    /// `self` must point to `dst.len()` readable bytes, and `self.off +
    /// dst.len()` must not pass 10000h (normalise first).
    pub unsafe fn read_bytes(self, dst: &mut [u8]) {
        debug_assert!(self.off as usize + dst.len() <= 0x10000);
        // SAFETY: `self` is readable (the caller's promise), `dst` is ours
        // and writable, and a Rust slice cannot overlap far memory that the
        // caller may read.
        unsafe { self.copy_to(FarPtr::from_near(dst.as_mut_ptr()), dst.len() as u16) }
    }

    /// Copies `src` into far memory at `self`.
    ///
    /// # Safety
    /// `self` must point to `src.len()` writable bytes that no Rust reference
    /// covers, and `self.off + src.len()` must not pass 10000h.
    pub unsafe fn write_bytes(self, src: &[u8]) {
        debug_assert!(self.off as usize + src.len() <= 0x10000);
        // SAFETY: `self` is writable and no Rust reference covers it (the
        // caller's promise), so it does not overlap `src`.
        unsafe { FarPtr::from_near(src.as_ptr()).copy_to(self, src.len() as u16) }
    }

    /// Copies `len` bytes from `self` to `dst`, lowest address first.
    ///
    /// # Safety
    /// Both ranges must be valid far memory, neither offset plus `len` may pass
    /// 10000h, and if they overlap `dst` must be below `self`.
    pub unsafe fn copy_to(self, dst: FarPtr, len: u16) {
        // SAFETY: forwarded to the caller.
        unsafe { self.movs(dst, len, false) }
    }

    /// Copies `len` bytes from `self` to `dst`, highest address first, so that
    /// an overlapping destination above the source is copied correctly.
    ///
    /// # Safety
    /// As [`copy_to`](Self::copy_to), except that if the ranges overlap `dst`
    /// must be above `self`.
    pub unsafe fn copy_backward_to(self, dst: FarPtr, len: u16) {
        // SAFETY: forwarded to the caller.
        unsafe { self.movs(dst, len, true) }
    }

    /// The one far copy from `self` to `dst`: forward by doublewords, then
    /// the last 0..3 bytes; backward byte by byte from the highest (DF set
    /// for the copy only).
    ///
    /// # Safety
    /// As [`copy_to`](Self::copy_to) or [`copy_backward_to`](Self::copy_backward_to).
    // Out of line: one copy of the block serves every caller (80 bytes less
    // resident than inlining it; a call is nothing beside a `rep movs`).
    #[inline(never)]
    unsafe fn movs(self, dst: FarPtr, len: u16, backward: bool) {
        debug_assert!(self.off as usize + len as usize <= 0x10000);
        debug_assert!(dst.off as usize + len as usize <= 0x10000);
        if len == 0 {
            return;
        }
        // Forward by doublewords: a `rep` costs an iteration per element
        // (DOSBox counts each as an instruction), and blocks, table pages and
        // store transfers are multiples of 16 bytes; 4 bytes at a time is
        // still right when `dst` is below `self` (each write ends below the
        // next read). Backward (compaction moving a region up) stays bytes:
        // it is rare, and starts at the last byte of each range.
        let len = u32::from(len);
        let (last, dwords, bytes) = if backward {
            (len - 1, 0, len)
        } else {
            (0, len >> 2, len & 3)
        };
        // SAFETY: DS:SI = the first source byte to copy, ES:DI the first
        // destination byte, ECX = doublewords, EDX = bytes after them; DF is
        // set only for a backward copy and cleared again (the ABI wants it
        // clear); SI, DS and ES are saved and restored inside the block.
        unsafe {
            asm!(
                "push esi",
                "push ds",
                "push es",
                "mov es, {dseg:x}",
                "mov ds, {sseg:x}",
                "mov esi, {src:e}",
                "test {back}, {back}",
                "jz 2f",
                "std",
                "2:",
                "rep movsd",
                "mov ecx, edx",
                "rep movsb",
                "cld",
                "pop es",
                "pop ds",
                "pop esi",
                src = in(reg) u32::from(self.off) + last,
                sseg = in(reg) self.seg.0,
                dseg = in(reg) dst.seg.0,
                back = in(reg_byte) u8::from(backward),
                inout("edi") u32::from(dst.off) + last => _,
                inout("ecx") dwords => _,
                inout("edx") bytes => _,
            );
        }
    }

    /// Sets `len` bytes at `self` to `byte`.
    ///
    /// # Safety
    /// The range must be writable far memory that no Rust reference covers,
    /// and `self.off + len` must not pass 10000h.
    pub unsafe fn fill(self, byte: u8, len: u16) {
        debug_assert!(self.off as usize + len as usize <= 0x10000);
        // Doublewords, then the last 0..3 bytes (as in `copy_to`).
        // SAFETY: ES:DI = self, ECX = len / 4, EDX = len % 4, EAX = `byte`
        // four times; ES is restored.
        unsafe {
            asm!(
                "push es",
                "mov es, {seg:x}",
                "rep stosd",
                "mov ecx, edx",
                "rep stosb",
                "pop es",
                seg = in(reg) self.seg.0,
                in("eax") u32::from(byte) * 0x0101_0101,
                inout("edi") self.off as u32 => _,
                inout("ecx") u32::from(len) >> 2 => _,
                inout("edx") u32::from(len) & 3 => _,
                options(preserves_flags),
            );
        }
    }

    far_scalar! {
        /// Reads the byte at `self`.
        ///
        /// # Safety
        /// `self` must be readable memory.
        read_u8,
        /// Writes the byte `v` at `self`.
        ///
        /// # Safety
        /// `self` must be writable memory.
        write_u8: u8, "byte", "{v}", reg_byte
    }

    far_scalar! {
        /// Reads the little-endian word at `self`.
        ///
        /// The VMM's bookkeeping in the cache is read and written a word or
        /// a doubleword at a time: these are single moves through FS rather
        /// than string copies through a near buffer.
        ///
        /// # Safety
        /// `self` must point to two readable bytes, `self.off` at most FFFEh.
        read_u16,
        /// Writes the little-endian word `v` at `self`.
        ///
        /// # Safety
        /// `self` must point to two writable bytes, `self.off` at most FFFEh.
        write_u16: u16, "word", "{v:x}", reg
    }

    far_scalar! {
        /// Reads the little-endian doubleword at `self`.
        ///
        /// # Safety
        /// `self` must point to four readable bytes, `self.off` at most FFFCh.
        read_u32,
        /// Writes the little-endian doubleword `v` at `self`.
        ///
        /// # Safety
        /// `self` must point to four writable bytes, `self.off` at most FFFCh.
        write_u32: u32, "dword", "{v:e}", reg
    }

    /// Reads the doublewords at `self` and `self + 4` with one FS load (a
    /// handle-table entry: half the segment loads of two `read_u32`).
    ///
    /// # Safety
    /// `self` must point to eight readable bytes, `self.off` at most FFF8h.
    pub unsafe fn read_u32_pair(self) -> (u32, u32) {
        let (lo, hi): (u32, u32);
        // SAFETY: two loads through FS, which no compiled code uses;
        // readable by the caller's promise.
        unsafe {
            asm!("mov fs, {seg:x}",
                 "mov {lo:e}, dword ptr fs:[di]",
                 "mov {hi:e}, dword ptr fs:[di + 4]",
                 seg = in(reg) self.seg.0, in("di") self.off,
                 lo = out(reg) lo, hi = out(reg) hi,
                 options(readonly, preserves_flags));
        }
        (lo, hi)
    }

    /// Writes `lo` at `self` and `hi` at `self + 4` with one FS load.
    ///
    /// # Safety
    /// `self` must point to eight writable bytes, `self.off` at most FFF8h.
    pub unsafe fn write_u32_pair(self, lo: u32, hi: u32) {
        // SAFETY: two stores through FS, which no compiled code uses;
        // writable by the caller's promise, and no Rust reference covers
        // far memory.
        unsafe {
            asm!("mov fs, {seg:x}",
                 "mov dword ptr fs:[di], {lo:e}",
                 "mov dword ptr fs:[di + 4], {hi:e}",
                 seg = in(reg) self.seg.0, in("di") self.off,
                 lo = in(reg) lo, hi = in(reg) hi,
                 options(preserves_flags));
        }
    }
}

/// The 16-bit offset of a near pointer, widened for a 32-bit register (whose
/// high half must be zero in code16).
///
/// Only a debug assertion that it fits: both linker scripts (`exe.ld`,
/// `src/cabi/image.ld`) fail the link unless code, data, `.bss` and stack
/// all lie below 64 KiB, so every near pointer does. (Checked at run time,
/// each use carried a compare and a panic path: about 16 bytes, 9 uses.)
pub(crate) fn near_offset<T>(p: *const T) -> u32 {
    let addr = p as usize;
    debug_assert!(addr <= 0xFFFF, "near pointer outside the 64 KiB segment");
    addr as u32
}
