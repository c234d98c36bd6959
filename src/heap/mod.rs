//! The VMM on real DOS: the portable core ([`crate::vmm`]) over the
//! real-mode backends, as one program-wide heap with the ten MSC functions.
//!
//! - [`arena::DosArena`]: the cache, an upper memory block (DOS or XMS
//!   function 10h) or a conventional DOS memory block (INT 21h 48h/49h).
//! - [`disk::DiskStore`]: the swap file in `%TMP%`.
//! - XMS and EMS stores: a few EMBs or EMS handles ([`chunked`]); each EMS
//!   transfer saves and restores the application's page mapping itself, so
//!   the mapping is as the application left it after every call.
//!
//! Between `_vheapinit` and `_vheapterm` the exit guard
//! ([`crate::dos::exitguard`]) is armed and holds every EMB, EMS handle and
//! the swap file's name, so that they are given back however the program
//! ends.
//!
//! The functions here are what the C ABI shim and the safe Rust API call.
//! DOS programs are single-threaded and no interrupt handler calls the VMM,
//! so one global instance, reached only through [`with_vmm`], is enough.

pub mod arena;
pub mod chunked;
pub mod disk;
pub mod store;

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

use crate::dos::exitguard;
use crate::dos::far::FarPtr;
use crate::vmm::{ArenaAddr, BackendError, Backends, Hit, StoreKind, Vmm};
use arena::DosArena;
use store::DosStore;

/// The real-mode backends: DOS memory, XMS, EMS, disk.
#[derive(Debug, Default)]
pub struct DosBackends;

impl Backends for DosBackends {
    type Arena = DosArena;
    type Store = DosStore;

    // The exit guard lives exactly as long as the cache: `_vheapinit` opens
    // the arena first and `_vheapterm` closes it last, so every store
    // allocation happens while the guard is armed.
    // Armed before the arena opens: an upper memory allocation changes
    // DOS's state and may take an XMS upper block, both for the guard.
    fn open_arena(
        &mut self,
        min_paras: u16,
        max_paras: u16,
        upper: bool,
    ) -> Result<DosArena, BackendError> {
        exitguard::arm();
        DosArena::open(min_paras, max_paras, upper).inspect_err(|_| exitguard::disarm())
    }

    fn close_arena(&mut self, arena: DosArena) {
        arena.close();
        exitguard::disarm();
    }

    // Out of line: inlined into `_vheapinit`, each store's value was built
    // and moved through that frame (400 bytes of code, 160 of its stack).
    #[inline(never)]
    #[cfg_attr(feature = "dos", optimize(size))]
    fn open_store(&mut self, kind: StoreKind, slot: &mut MaybeUninit<Option<DosStore>>) {
        DosStore::open_in(kind, slot);
    }

    // Out of line: 16 bytes less.
    #[inline(never)]
    fn close_store(&mut self, _kind: StoreKind, slot: &mut Option<DosStore>) {
        DosStore::close_in(slot)
    }
}

/// The VMM over the real-mode backends, as [`with_vmm`] hands it out.
pub type DosVmm = Vmm<DosBackends>;

/// The program's VMM.
struct Global(UnsafeCell<Vmm<DosBackends>>);

// SAFETY: DOS programs have one thread, and no interrupt handler of this
// library touches the VMM, so the cell is never accessed concurrently.
unsafe impl Sync for Global {}

static VMM: Global = Global(UnsafeCell::new(Vmm::new(DosBackends)));

/// Runs `f` with the program's VMM.
///
/// Not reentrant: `f` must not call back into this module (nothing in the
/// core or the backends does).
pub fn with_vmm<R>(f: impl FnOnce(&mut Vmm<DosBackends>) -> R) -> R {
    // SAFETY: single-threaded (see `Global`), and no caller nests `with_vmm`,
    // so this is the only live reference to the VMM.
    let vmm = unsafe { &mut *VMM.0.get() };
    f(vmm)
}

/// The far pointer to an arena address of the current heap (NULL for none,
/// or when no heap is open).
pub fn arena_far(vmm: &Vmm<DosBackends>, addr: Option<ArenaAddr>) -> FarPtr {
    match (vmm.arena(), addr) {
        // Blocks are 16-byte aligned, so this is `segment:0000`.
        (Some(arena), Some(a)) => arena.far_para(a),
        _ => FarPtr::NULL,
    }
}

/// `int _vheapinit(unsigned dosmin, unsigned dosmax, unsigned swaparea)`:
/// nonzero on success, 0 on failure (`dosmin` paragraphs not available, or
/// already initialized).
pub fn vheapinit(dosmin: u16, dosmax: u16, swaparea: u16) -> u16 {
    with_vmm(|v| v.vheapinit(dosmin, dosmax, swaparea) as u16)
}

/// `void _vheapterm(void)`.
pub fn vheapterm() {
    with_vmm(|v| v.vheapterm())
}

/// `_vmhnd_t _vmalloc(unsigned long size)`: `_VM_NULL` (0) on failure.
pub fn vmalloc(size: u32) -> u32 {
    with_vmm(|v| v.vmalloc(size))
}

/// `void _vfree(_vmhnd_t)`: invalid handles and locked blocks are ignored.
pub fn vfree(h: u32) {
    with_vmm(|v| v.vfree(h))
}

/// `_vmhnd_t _vrealloc(_vmhnd_t, unsigned long size)`.
pub fn vrealloc(h: u32, size: u32) -> u32 {
    with_vmm(|v| v.vrealloc(h, size))
}

/// `unsigned long _vmsize(_vmhnd_t)`: 0 for an invalid handle.
pub fn vmsize(h: u32) -> u32 {
    with_vmm(|v| v.vmsize(h))
}

/// `void __far *_vload(_vmhnd_t, int dirty)`: NULL on failure. A resident
/// block takes the core's hit path ([`Vmm::hit`]).
pub fn vload(h: u32, dirty: u16) -> FarPtr {
    with_vmm(|v| {
        let a = v
            .hit(h, Hit::Load { dirty: dirty != 0 })
            .or_else(|| v.vload(h, dirty as i16));
        arena_far(v, a)
    })
}

/// `void __far *_vlock(_vmhnd_t)`: NULL on failure.
pub fn vlock(h: u32) -> FarPtr {
    with_vmm(|v| {
        let a = v.hit(h, Hit::Lock).or_else(|| v.vlock(h));
        arena_far(v, a)
    })
}

/// `void _vunlock(_vmhnd_t, int dirty)`.
pub fn vunlock(h: u32, dirty: u16) {
    with_vmm(|v| {
        if v.hit(h, Hit::Unlock { dirty: dirty != 0 }).is_none() {
            v.vunlock(h, dirty as i16)
        }
    })
}

/// `unsigned _vlockcnt(_vmhnd_t)`: 0 for an invalid handle.
pub fn vlockcnt(h: u32) -> u16 {
    with_vmm(|v| v.vlockcnt(h))
}

/// The status values of the MS VMM (Microsoft KB402074), as C programs see
/// them in their globals: the core's one status block.
pub use crate::vmm::StatusBlock as Status;

/// The heap's status stamp ([`Vmm::status_stamp`]): while it and the
/// heap stay the same, so does [`status`].
pub fn status_stamp() -> Option<u16> {
    // SAFETY: as in `with_vmm`; this only reads.
    let vmm = unsafe { &*VMM.0.get() };
    vmm.status_stamp()
}

/// The current status values ([`Vmm::status_block`]).
pub fn status() -> Status {
    // SAFETY: as in `with_vmm`; this only reads.
    let vmm = unsafe { &*VMM.0.get() };
    vmm.status_block()
}
