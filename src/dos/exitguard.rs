//! The exit guard: gives back, whatever way the program ends, what DOS does
//! not give back itself.
//!
//! DOS frees a program's memory and closes its file handles when it ends,
//! but XMS blocks and EMS handles belong to no process (under HIMEM.SYS and
//! EMM386 they stay taken until the machine reboots), nor does an upper
//! memory block from the XMS driver (function 10h: Jemm386 keeps it), a
//! swap file the program meant to delete stays on the disk, and DOS's
//! allocation strategy and UMB link state stay as a program ended in the
//! middle of an upper memory allocation left them. Every way a program ends -
//! INT 21h AH=4Ch, AH=00h, INT 20h, Ctrl-C (INT 23h), Abort after a
//! critical error (INT 24h), and the two TSR calls AH=31h and INT 27h -
//! ends in the same place in DOS: it restores the INT 22h/23h/24h vectors
//! from the PSP, makes the parent's PSP current, frees the program's memory
//! (unless it stays resident), and jumps to the *terminate address* stored
//! in the ending program's PSP at offset 0Ah, on the parent's stack. (MS-DOS,
//! FreeDOS, DOSBox 0.74 and DOSBox-X all read it there; EXEC put the
//! parent's return address in it.)
//!
//! [`arm`] saves that address and puts [`__vmemory_exit_hook`](self#the-hook)
//! there instead; [`disarm`] puts it back. In between, the real-mode layer
//! records every resource it must not lose ([`track_xms`], [`track_ems`],
//! [`track_file`], [`track_umb`] and their `untrack_*`, and
//! [`hold_dos_alloc`] until [`put_back_dos_alloc`]). When the program ends, the hook
//! runs before the parent resumes: it puts a held strategy and link state
//! back; then, unless the program went resident (its PSP's memory block
//! still belongs to it), it frees each recorded EMB (after undoing its
//! locks), EMS handle and upper memory block and deletes each recorded file
//! by name (DOS closed the handle already), then jumps to the saved address
//! with the parent's registers, flags and stack as DOS left them. It neither
//! allocates DOS memory nor touches a file handle, and it does not use
//! INT 21h AH=4Dh (which would take the exit code from the parent).
//!
//! This needs no C run-time and no cooperation from the program: the PSP
//! and DOS's termination path are the same for all of them. A child the
//! program starts has a PSP of its own, so its end jumps to the child's
//! terminate address, not this one; a child that uses vmemory arms its own.
//!
//! # The hook
//! The code DOS jumps to lives in the program's (now freed, but untouched)
//! memory: the DOS program's segment, or the C library's image segment, the
//! same tiny-model segment the rest of this crate runs in, so CS tells the
//! hook where its data is. It saves every register and the flags on the
//! parent's stack (42 bytes), switches to the top of the program's own stack
//! (`__stack_top` of the linker script: the .EXE's stack or the library's
//! private stack, both dead by now), calls `__vmemory_exit_cleanup`,
//! switches back, restores everything and jumps far through the saved
//! address.
//!
//! Limits: the C library finds its PSP through INT 21h AH=62h, the *current*
//! PSP; code that calls `_vheapinit` while another program's PSP is current
//! (a TSR pop-up, a debugger after EXEC AL=01h) must make its own current
//! first (INT 21h AH=50h), as it must for any DOS call. A program that
//! replaces its PSP's terminate address itself after [`arm`] keeps the hook
//! working only if it chains to the old one, as a well-behaved hook does.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::num::NonZeroU16;
use core::sync::atomic::{AtomicU32, Ordering};

use super::ems::{self, EmsHandle};
use super::far::{FarPtr, Segment};
use super::file::{self, MAX_PATH};
use super::mem::{Strategy, UmbLink};
use super::rt;
use super::xms::{self, XmsHandle};
use super::DosError;

/// How many EMBs, and how many EMS handles, the guard records at most: as
/// many as the VMM's stores use (`heap::chunked::MAX_CHUNKS`, asserted
/// there). 16 was 48 bytes more of the C library's `.bss`.
pub const CAPACITY: usize = 8;

/// Offset of the terminate address (a far pointer, offset first) in the PSP.
const PSP_TERMINATE_ADDRESS: u16 = 0x0A;

/// What the guard holds.
struct Guard {
    /// Whether the hook is in the PSP and should clean up.
    armed: bool,
    /// The PSP whose terminate address the hook replaced.
    psp: Segment,
    /// Recorded EMB handles (`None`: free slot).
    xms: [Option<Record>; CAPACITY],
    /// Recorded EMS handles.
    ems: [Option<Record>; CAPACITY],
    /// The recorded file's name (`file_len` 0: none).
    file: [u8; MAX_PATH],
    /// The name's length (below `MAX_PATH`, so a byte: `.bss`).
    file_len: u8,
    /// The segment of an upper memory block got from the XMS driver (0:
    /// none): no program owns it, so DOS does not free it at exit.
    umb: u16,
    /// DOS's link state (high byte) and strategy (low byte) to put back,
    /// with [`HELD`] set, while an upper memory allocation has changed
    /// them (0: nothing held).
    dos_alloc: u16,
}

/// The bit of [`Guard::dos_alloc`] that says it holds a saved state
/// (strategy 0 with the link off is a state too).
const HELD: u16 = 0x8000;

/// A handle as the guard records it, never 0, so that a free slot (`None`)
/// takes no byte of its own (2 bytes a slot, not 4), and one type for both
/// records, so that one [`record`] and one [`forget`] serve both: an EMB's
/// handle as it is (never 0), an EMS handle with bit 15 set (LIM EMS
/// handles are 0..=254, 255 at most and 0 the system's: bit 15 is theirs
/// to mark the slot used, and no handle is ever lost to it).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
struct Record(NonZeroU16);

/// The bit an EMS handle's [`Record`] sets.
const EMS_MARK: u16 = 0x8000;

impl Record {
    /// The record of an EMB's handle.
    fn xms(h: XmsHandle) -> Self {
        Self(h.get())
    }

    /// The record of an EMS handle.
    fn ems(h: EmsHandle) -> Self {
        // (With bit 15 set the value is never 0: the fallback is never
        // taken, and the compiler drops it.)
        Self(NonZeroU16::new(h.0 | EMS_MARK).unwrap_or(NonZeroU16::MAX))
    }

    /// The EMB handle recorded (by [`Record::xms`]).
    fn xms_handle(self) -> XmsHandle {
        XmsHandle::of(self.0)
    }

    /// The EMS handle recorded (by [`Record::ems`]).
    fn ems_handle(self) -> EmsHandle {
        EmsHandle(self.0.get() & !EMS_MARK)
    }
}

struct GuardCell(UnsafeCell<Guard>);

// SAFETY: DOS programs have one thread, and the only code that runs outside
// the program's own flow, the hook, runs after the program has ended.
unsafe impl Sync for GuardCell {}

static GUARD: GuardCell = GuardCell(UnsafeCell::new(Guard {
    armed: false,
    psp: Segment::new(0),
    xms: [None; CAPACITY],
    ems: [None; CAPACITY],
    file: [0; MAX_PATH],
    file_len: 0,
    umb: 0,
    dos_alloc: 0,
}));

/// The terminate address the hook replaced (`seg << 16 | off`, the layout of
/// a far pointer in memory); the hook jumps through it. Kept after
/// [`disarm`], in case the hook could not be taken out of the PSP.
#[no_mangle]
static __vmemory_exit_chain: AtomicU32 = AtomicU32::new(0);

/// Runs `f` with the guard. No caller makes a DOS or driver call inside
/// `f`, so a program ended by DOS (Ctrl-C, critical error) is never in the
/// middle of one when the hook runs.
fn with_guard<R>(f: impl FnOnce(&mut Guard) -> R) -> R {
    // SAFETY: single-threaded (see `GuardCell`); no `f` calls back here.
    f(unsafe { &mut *GUARD.0.get() })
}

extern "C" {
    /// The hook's entry (below); only its address is used.
    fn __vmemory_exit_hook();
}

// The hook, entered by DOS's jump through the terminate address: CS = the
// program's segment, SS:SP = the parent's stack, every other register the
// parent's. 16-bit code (the target's default), as every real-mode handler.
global_asm!(
    ".section .text.__vmemory_exit_hook, \"ax\"",
    ".globl __vmemory_exit_hook",
    "__vmemory_exit_hook:",
    "    pushfw",
    "    pushal",
    "    pushw %ds",
    "    pushw %es",
    "    pushw %fs",
    "    pushw %gs",
    "    movw %ss, %dx",
    "    movl %esp, %ebx",
    "    movw %cs, %ax",
    "    movw %ax, %ds",
    "    movw %ax, %es",
    "    movw %ax, %ss",
    "    movl $__stack_top, %esp", // (no interrupt between the two)
    "    pushl %edx",
    "    pushl %ebx",
    "    cld",
    "    calll __vmemory_exit_cleanup",
    "    popl %ebx",
    "    popl %edx",
    "    movw %dx, %ss",
    "    movl %ebx, %esp", // (no interrupt between the two)
    "    popw %gs",
    "    popw %fs",
    "    popw %es",
    "    popw %ds",
    "    popal",
    "    popfw",
    "    ljmpw *%cs:__vmemory_exit_chain",
    options(att_syntax)
);

/// The hook's address as a far pointer in memory layout (`seg << 16 | off`).
fn hook_address() -> u32 {
    let off = __vmemory_exit_hook as *const () as usize as u32;
    u32::from(Segment::data().value()) << 16 | (off & 0xFFFF)
}

/// The terminate address slot of `psp`.
fn terminate_slot(psp: Segment) -> FarPtr {
    FarPtr::new(psp, PSP_TERMINATE_ADDRESS)
}

/// Puts the hook into the running program's PSP (idempotent). From now on
/// the resources recorded with `track_*` are given back if the program ends
/// before [`disarm`].
pub fn arm() {
    let psp = rt::psp();
    let slot = terminate_slot(psp);
    let hook = hook_address();
    // SAFETY: PSP:0Ah is the program's terminate address (a far pointer),
    // in the PSP DOS built for it; DOS reads it only when the program ends.
    let current = unsafe { slot.read_u32() };
    if current != hook {
        // The chain first: the hook must find it as soon as it is in place.
        __vmemory_exit_chain.store(current, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { slot.write_u32(hook) };
    }
    with_guard(|g| {
        g.armed = true;
        g.psp = psp;
    });
    // Releases refused before (a `_vheapterm` that left some) first.
    give_back();
}

/// Takes the hook out of the PSP again (does nothing if not armed). If the
/// terminate address no longer points at the hook (something hooked it
/// after [`arm`] and chains to it), the hook stays in the chain but does
/// nothing but jump on.
pub fn disarm() {
    // A release still refused keeps the hook in place: the program's end
    // tries it again.
    if !give_back() {
        return;
    }
    let Some(psp) = with_guard(|g| core::mem::replace(&mut g.armed, false).then_some(g.psp)) else {
        return;
    };
    let slot = terminate_slot(psp);
    // SAFETY: as in `arm`; the program is still running, so its PSP is its own.
    unsafe {
        if slot.read_u32() == hook_address() {
            slot.write_u32(__vmemory_exit_chain.load(Ordering::Relaxed));
        }
    }
}

/// Whether the hook is armed.
pub fn is_armed() -> bool {
    with_guard(|g| g.armed)
}

/// Puts `value` into the first free slot of `slots`; false if there is none.
fn record(slots: &mut [Option<Record>; CAPACITY], value: Record) -> bool {
    match slots.iter_mut().find(|s| s.is_none()) {
        Some(s) => {
            *s = Some(value);
            true
        }
        None => false,
    }
}

/// Clears the slot holding `value`. Out of line: inlined into each drop of
/// a store's EMB or EMS handle it took 48 bytes more.
#[inline(never)]
fn forget(slots: &mut [Option<Record>; CAPACITY], value: Record) {
    if let Some(s) = slots.iter_mut().find(|s| **s == Some(value)) {
        *s = None;
    }
}

/// Records an EMB to free if the program ends; false if the record is full
/// (the EMB is then not protected).
pub fn track_xms(handle: XmsHandle) -> bool {
    with_guard(|g| record(&mut g.xms, Record::xms(handle)))
}

/// Gives back a recorded EMB (its locks undone, freed: [`xms::release_emb`])
/// and forgets it once the driver took it; one the driver still refuses
/// stays recorded, to be tried again at the next `_vheapinit`, `_vheapterm`
/// and the program's end. True if given back.
pub fn release_xms(handle: XmsHandle) -> bool {
    let done = xms::release_emb(handle).is_ok();
    if done {
        with_guard(|g| forget(&mut g.xms, Record::xms(handle)))
    }
    done
}

/// Records an EMS handle to deallocate if the program ends; false if the
/// record is full.
pub fn track_ems(handle: EmsHandle) -> bool {
    with_guard(|g| record(&mut g.ems, Record::ems(handle)))
}

/// Deallocates a recorded EMS handle and forgets it once the EMM took it
/// (as [`release_xms`]).
pub fn release_ems(handle: EmsHandle) -> bool {
    let done = ems::deallocate(handle).is_ok();
    if done {
        with_guard(|g| forget(&mut g.ems, Record::ems(handle)))
    }
    done
}

/// Records a file to delete if the program ends (one at a time: a new one
/// replaces the old); false if the name is too long or empty. A relative name
/// is resolved against the current drive and directory when the program ends.
pub fn track_file(name: &[u8]) -> bool {
    if name.is_empty() || name.len() >= MAX_PATH || file::has_nul(name) {
        return false;
    }
    with_guard(|g| {
        g.file[..name.len()].copy_from_slice(name);
        // ASCIZ where it lies, for `delete_tracked_file` (the last byte of
        // the buffer stays 0: names are shorter).
        g.file[name.len()] = 0;
        g.file_len = name.len() as u8;
    });
    true
}

/// Creates a file whose name is recorded as [`track_file`] does, with
/// the name written straight into the record: `create` gets the record's
/// name buffer (holding no recorded name meanwhile) and returns what it
/// made and the length of the ASCIZ name it left there (DOS writes the
/// name of a file it creates with a unique name into the caller's buffer,
/// INT 21h AH=5Ah). For the swap file: no copy of the name on the stack of
/// `_vheapinit`, the library's deepest call, and none in its code.
///
/// `create` must leave the buffer's last byte 0 and must not call into
/// this module.
pub fn track_new_file<T>(
    create: impl FnOnce(&mut [u8; MAX_PATH]) -> Option<(T, usize)>,
) -> Option<T> {
    with_guard(|g| g.file_len = 0);
    // SAFETY: single-threaded, and no other reference to the guard is alive
    // while `create` runs: it gets only the name buffer and does not call
    // back here (the hook runs only after the program ended, and then
    // finds no name recorded).
    let name = unsafe { &mut (*GUARD.0.get()).file };
    let (made, len) = create(name)?;
    debug_assert!(len != 0 && len < MAX_PATH && name[len] == 0 && name[MAX_PATH - 1] == 0);
    with_guard(|g| g.file_len = len as u8);
    Some(made)
}

/// Forgets the recorded file.
pub fn untrack_file() {
    with_guard(|g| g.file_len = 0)
}

/// Deletes the recorded file now and forgets it (nothing if none is
/// recorded); false if DOS refused (the name stays recorded): for an owner that keeps the file's name only here (the swap
/// file), once it has closed the file.
// Out of line: the swap store's close, its failed open and the hook each
// had a copy.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
pub fn delete_tracked_file() -> bool {
    // Forgotten once DOS deleted it (or it is gone): a delete DOS refuses
    // (tried RELEASE_TRIES times) keeps the name for `give_back`. (Were
    // the program ended during the delete, the hook tries again and finds
    // the file gone.)
    if with_guard(|g| g.file_len) != 0 {
        // SAFETY: single-threaded, and no `&mut` to the guard is alive (the
        // hook runs only after the program ended): the shared borrow of the
        // name lasts for this one DOS call, which changes nothing in it.
        let name = unsafe { &(*GUARD.0.get()).file };
        if let Ok(()) | Err(DosError::FILE_NOT_FOUND) = file::delete_asciz(name) {
            untrack_file();
        } else {
            return false;
        }
    }
    true
}

/// Records an upper memory block from the XMS driver to release if the
/// program ends (one at a time: the cache).
pub fn track_umb(seg: Segment) {
    with_guard(|g| g.umb = seg.value())
}

/// Forgets the upper memory block.
pub fn untrack_umb() {
    with_guard(|g| g.umb = 0)
}

/// Holds DOS's allocation strategy and UMB link state as they were before
/// an upper memory allocation changes them: a program ended in the middle
/// (Ctrl-C during the allocation) gets them put back.
pub fn hold_dos_alloc(strategy: Strategy, link: UmbLink) {
    with_guard(|g| g.dos_alloc = HELD | u16::from(link.0) << 8 | strategy.0 & 0xFF)
}

/// Puts the held state back (link state first, then strategy, as the
/// probe in `shared/tools/umbprobe` checked) and forgets it; nothing if
/// none is held. Out of line: the allocation and the hook share it.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
pub fn put_back_dos_alloc() {
    let held = with_guard(|g| core::mem::take(&mut g.dos_alloc));
    if held != 0 {
        let _ = UmbLink((held >> 8) as u8 & 1).set();
        let _ = Strategy(held & 0xFF).set();
    }
}

/// Whether the program whose PSP is `psp` is still resident: its PSP's
/// memory block (the MCB just below it, type 'M' or 'Z') still belongs to
/// it. DOS sets the owner of every block of a program that ends without
/// staying resident to 0 (free).
fn still_resident(psp: Segment) -> bool {
    let Some(mcb) = psp.value().checked_sub(1).map(Segment::new) else {
        return false;
    };
    // SAFETY: the 16 bytes below a PSP are its MCB (DOS builds them
    // together); reading them has no side effect.
    let (kind, owner) = unsafe {
        (
            FarPtr::new(mcb, 0).read_u8(),
            FarPtr::new(mcb, 1).read_u16(),
        )
    };
    (kind == b'M' || kind == b'Z') && owner == psp.value()
}

/// What the hook calls, on the program's own segment and stack, after DOS
/// ended the program and before the parent resumes.
#[no_mangle]
#[cfg_attr(feature = "dos", optimize(size))]
extern "C" fn __vmemory_exit_cleanup() {
    // Disarmed first, and each record cleared before its resource is given
    // back, so that nothing below runs twice. (The record is not copied out
    // first: that was 180 bytes of stack and 100 of code.)
    let Some(psp) = with_guard(|g| core::mem::replace(&mut g.armed, false).then_some(g.psp)) else {
        return;
    };
    // DOS's allocation state first: the parent allocates with it.
    put_back_dos_alloc();
    if still_resident(psp) {
        // A TSR keeps its heap and the record; the program may still
        // `_vheapterm`. Put the parent's address back so nothing of the
        // guard is left in its PSP.
        // SAFETY: the program is resident, so its PSP is still its own.
        unsafe { terminate_slot(psp).write_u32(__vmemory_exit_chain.load(Ordering::Relaxed)) };
        return;
    }
    give_back();
}

/// Gives back everything recorded: the EMBs (locks undone), EMS handles,
/// the XMS upper memory block and the file, each forgotten once the driver
/// or DOS took it; true if nothing is left. At the program's end every
/// record is the program's; at [`arm`] and [`disarm`] (`_vheapinit`,
/// `_vheapterm`) only releases refused before are left (the owners gave
/// back the rest), so a refused release is tried again at the next
/// `_vheapinit`, `_vheapterm` and when the program ends.
#[inline(never)]
#[cfg_attr(feature = "dos", optimize(size))]
fn give_back() -> bool {
    // (One loop for both records: the order does not matter.)
    let mut kept = false;
    for i in 0..CAPACITY {
        if let Some(r) = with_guard(|g| g.xms[i]) {
            kept |= !release_xms(r.xms_handle());
        }
        if let Some(r) = with_guard(|g| g.ems[i]) {
            kept |= !release_ems(r.ems_handle());
        }
    }
    let umb = with_guard(|g| g.umb);
    if umb != 0 {
        if xms::release_umb(Segment::new(umb)).is_ok() {
            untrack_umb();
        } else {
            kept = true;
        }
    }
    delete_tracked_file() && !kept
}
