//! Counters and status values the DOS layer reports.

use super::backend::SwapAreas;

/// Transfer counters of one swap store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Blocks read from this store into the cache.
    pub page_ins: u32,
    /// Blocks written from the cache to this store.
    pub page_outs: u32,
    /// Bytes read by page-ins.
    pub bytes_in: u32,
    /// Bytes written by page-outs.
    pub bytes_out: u32,
    /// Handle-table pages read (included in neither count above).
    pub table_ins: u32,
    /// Handle-table pages written.
    pub table_outs: u32,
    /// Free-list link reads and writes (16 bytes each).
    pub meta_ops: u32,
    /// Grow requests made to the backend.
    pub grows: u32,
    /// Backend operations that failed.
    pub failures: u32,
    /// Paragraphs of swap space lost because a free-list write failed.
    pub leaked_paras: u32,
}

/// Cache counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// `_vload`/`_vlock` calls that found the block resident.
    pub hits: u32,
    /// `_vload`/`_vlock` calls that had to bring the block in.
    pub misses: u32,
    /// Misses served by zero-fill (block never written out): no I/O.
    pub zero_fills: u32,
    /// Resident blocks dropped without I/O (clean, or never written).
    pub clean_drops: u32,
    /// Compaction passes.
    pub compactions: u32,
    /// Bytes moved inside the arena by compaction.
    pub bytes_compacted: u32,
    /// Changes to the lean layout (a block the default data heap cannot
    /// hold was loaded; see `vmm::lean`).
    pub lean_layouts: u32,
}

/// The status values of the MS VMM (as listed in KB402074), for the DOS
/// layer to export. "Pages" here are 4 KiB, like the MS VMM's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `fVmInitialized`: between a successful `_vheapinit` and `_vheapterm`.
    pub initialized: bool,
    /// `fVmSwapping`: at least one swap store is open and usable.
    pub swapping: bool,
    /// `cPageDos`: size of the cache (in upper or conventional memory) in
    /// 4 KiB pages.
    pub dos_pages: u16,
    /// Size of the cache in paragraphs.
    pub dos_paras: u16,
    /// `cVmPage`: swap space in use (blocks and handle table), in 4 KiB pages
    /// (rounded up), over all stores.
    pub vm_pages: u32,
    /// Largest block the cache can hold at all, in bytes (at most 65530):
    /// a larger block can be allocated but never loaded. With a swap store
    /// that is all but about 30 paragraphs of the cache (the lean layout).
    pub largest_block: u32,
    /// Largest size `_vrealloc` gives a block, in bytes: as
    /// `largest_block` (a block that does not fit in the cache twice is
    /// copied through its swap space).
    pub largest_resize: u32,
    /// Live handles.
    pub live_handles: u32,
    /// Largest number of handles this cache size allows.
    pub max_handles: u32,
    /// The stores that are open.
    pub stores_open: SwapAreas,
    /// The open stores that refused to grow (disabled until space is freed).
    pub stores_full: SwapAreas,
    /// Bytes of swap space in use per store (XMS, EMS, disk).
    pub store_used_bytes: [u32; 3],
    /// Current backend size per store in bytes (XMS, EMS, disk).
    pub store_size_bytes: [u32; 3],
}

/// The status values of Microsoft KB402074 as C programs see them: the
/// nine 16-bit words of the globals `_cPageDos` ... `_fVmInitialized` (in
/// this order and layout; the C ABI's shim copies the block over them, see
/// `include/vmemory.h`), and what `vmemory::heap::status` returns. The one
/// mapping of the core's state to it is
/// [`Vmm::status_block`](super::Vmm::status_block) (computed from the few
/// fields it needs, not from the fuller [`Status`]).
///
/// Every word is `u16` but `fhVm` (`i16`, -1 for none); every flag is 0 or 1.
/// In C the counts are `unsigned`, `fhVm`, `segVmDos` and two flags `int`. The three `fVmDisable*` flags are `char` in
/// C, as Microsoft's own code declared them: the low byte of the word is
/// that `char` and the high byte is 0, so a declaration as `int` reads the
/// same value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct StatusBlock {
    /// `cPageDos`: 4 KiB pages of DOS memory in the cache.
    pub c_page_dos: u16,
    /// `fVmSwapping`: 1 while some swap store is usable.
    pub f_vm_swapping: u16,
    /// `fVmDisableDisk`: 1 when disk swapping is off: no swap file (not
    /// asked for, `TMP` unset or unusable, no room for its first sector),
    /// or the file cannot grow (disk full) until space is freed in it.
    pub f_vm_disable_disk: u16,
    /// `fhVm`: DOS handle of the swap file, -1 when there is none.
    pub fh_vm: i16,
    /// `fVmDisableEms`: 1 when EMS swapping is off (no EMS, not asked for,
    /// or no EMS pages left until space is freed in it).
    pub f_vm_disable_ems: u16,
    /// `fVmDisableXms`: 1 when XMS swapping is off (no XMS, not asked for,
    /// or no extended memory left until space is freed in it).
    pub f_vm_disable_xms: u16,
    /// `segVmDos`: segment of the cache's memory block, 0 when none: A000h
    /// or above when the cache is in an upper memory block (one block: the
    /// cache is `cPageDos` pages from there, wherever it is).
    pub seg_vm_dos: u16,
    /// `cVmPage`: 4 KiB pages of swap space in use (saturating at 65535).
    pub c_vm_page: u16,
    /// `fVmInitialized`: 1 between `_vheapinit` and `_vheapterm`.
    pub f_vm_initialized: u16,
}

/// The size of [`StatusBlock`]: 18 bytes (`asm/vmemory.asm` has the same number).
pub const STATUS_BYTES: usize = 18;
const _: () = assert!(core::mem::size_of::<StatusBlock>() == STATUS_BYTES);

impl StatusBlock {
    /// The block of an uninitialized VMM (what the globals hold before the
    /// first call): everything 0 except `fhVm` = -1 and the three disable
    /// flags, which are set while no store is open.
    pub const IDLE: Self = Self {
        c_page_dos: 0,
        f_vm_swapping: 0,
        f_vm_disable_disk: 1,
        fh_vm: -1,
        f_vm_disable_ems: 1,
        f_vm_disable_xms: 1,
        seg_vm_dos: 0,
        c_vm_page: 0,
        f_vm_initialized: 0,
    };

    /// Makes this block [`IDLE`](Self::IDLE), word by word: an assignment
    /// of the constant is a `memcpy` call on DOS, which brought the
    /// 214-byte `memcpy` of `compiler_builtins` into the C library.
    pub fn set_idle(&mut self) {
        let Self {
            c_page_dos,
            f_vm_swapping,
            f_vm_disable_disk,
            fh_vm,
            f_vm_disable_ems,
            f_vm_disable_xms,
            seg_vm_dos,
            c_vm_page,
            f_vm_initialized,
        } = self;
        let idle = Self::IDLE;
        *c_page_dos = idle.c_page_dos;
        *f_vm_swapping = idle.f_vm_swapping;
        *f_vm_disable_disk = idle.f_vm_disable_disk;
        *fh_vm = idle.fh_vm;
        *f_vm_disable_ems = idle.f_vm_disable_ems;
        *f_vm_disable_xms = idle.f_vm_disable_xms;
        *seg_vm_dos = idle.seg_vm_dos;
        *c_vm_page = idle.c_vm_page;
        *f_vm_initialized = idle.f_vm_initialized;
    }
}
