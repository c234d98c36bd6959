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
}

/// The status values of the MS VMM (as listed in KB402074), for the DOS
/// layer to export. "Pages" here are 4 KiB, like the MS VMM's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `fVmInitialized`: between a successful `_vheapinit` and `_vheapterm`.
    pub initialized: bool,
    /// `fVmSwapping`: at least one swap store is open and usable.
    pub swapping: bool,
    /// `cPageDos`: size of the conventional-memory cache in 4 KiB pages.
    pub dos_pages: u16,
    /// Size of the cache in paragraphs.
    pub dos_paras: u16,
    /// `cVmPage`: swap space in use (blocks and handle table), in 4 KiB pages
    /// (rounded up), over all stores.
    pub vm_pages: u32,
    /// Largest block the cache can hold at all, in bytes (at most 65530):
    /// a larger block can be allocated but never loaded.
    pub largest_block: u32,
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
