//! DOS test: disk swap on a real FAT file system, to its last cluster.
//!
//! Run with `TMP` on a small FAT image (`conf/fatfull.conf`,
//! `conf/fat.conf`: `# tmp-image: KB`); it refuses to fill a drive with more
//! than [`MAX_FREE`] bytes free (a host folder), so it can never fill the
//! host's disk.
//!
//! 1. The reported case: `_vheapinit(0, 2048, _VM_DISK)`, `_vmalloc(100)`,
//!    and blocks that really swap to the file and come back.
//! 2. Disk full: 8000-byte blocks through a 32 KB cache, disk only, until
//!    `_vmalloc` refuses (the commit charge: the file grows when a block is
//!    allocated), and no `_vload` of an allocated block fails: every block
//!    reads back intact in the order written, the cache full of dirty
//!    blocks; the flags say the disk is off, after freeing allocation works
//!    again, and after `_vheapterm` the swap file is gone and the drive has
//!    all its space back.
//! 3. No room for the swap file at all: `_vheapinit` succeeds without it
//!    (`fVmDisableDisk`, `fhVm` = -1) and blocks that fit in the cache work.
//! 4. Room for the file but not to grow it: the store is open and cannot
//!    back a block, so `_vmalloc` refuses (nothing else changes) and the
//!    flags say the disk is off; with room again, blocks allocate and swap.
//! 5. With XMS: XMS exhausted by another owner, so blocks go to the next
//!    store (disk) and `fVmDisableXms` says why.
#![no_std]
#![no_main]

use dostests::pieces::{fill_pieces, first_bad_pieces};
use vmemory::dos::disk::{self, DiskSpace};
use vmemory::dos::far::FarPtr;
use vmemory::dos::file::{self, File, TmpDir, MAX_PATH};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{self, XmsBlock};
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::StoreKind;

dos_main!(main);

const XMS: u16 = 2;
const DISK: u16 = 4;
/// The cache of every phase: 2048 paragraphs (32 KB), as in the report.
const CACHE: u16 = 2048;
const BLOCK: u32 = 8000;
/// Most blocks phase 2 writes (3.2 MB): more means the drive is not small.
const MAX_BLOCKS: usize = 400;
/// Largest free space on TMP's drive this test agrees to fill.
const MAX_FREE: u32 = 3_000_000;
/// Bytes per piece copied between near memory and a block.
const PIECE: usize = 500;

fn byte(h: u32, i: u32) -> u8 {
    (h ^ (h >> 13))
        .wrapping_mul(7)
        .wrapping_add(i.wrapping_mul(0x3B)) as u8
}

/// `TMP` and its drive number (0 = current).
struct Tmp {
    dir: TmpDir,
    drive: u8,
}

impl Tmp {
    fn get() -> Option<Self> {
        let dir = TmpDir::from_env()?;
        let drive = dir.drive();
        Some(Self { dir, drive })
    }

    /// `TMP` + `name`.
    fn path(&self, name: &[u8]) -> ([u8; MAX_PATH], usize) {
        self.dir.path(name).expect("TMP + a short name fits a path")
    }

    fn space(&self) -> DiskSpace {
        disk::disk_space(self.drive).unwrap_or(DiskSpace {
            cluster_bytes: 0,
            free_clusters: 0,
            total_clusters: 0,
        })
    }

    /// Whether any file is in `TMP`.
    fn has_files(&self) -> bool {
        let (p, n) = self.path(b"*.*");
        file::any_match(&p[..n]).unwrap_or(true)
    }

    /// Fills the drive with a file of zeros until `keep` clusters are left
    /// free; the file is deleted by [`Filler::remove`].
    fn fill(&self, keep: u16) -> Option<Filler> {
        let (p, n) = self.path(b"FILL.DAT");
        let mut f = File::create(&p[..n]).ok()?;
        let s = self.space();
        // All but `keep` + 1 clusters in one go, then a sector at a time
        // while more than `keep` are free (file systems differ in when they
        // take the next cluster: DOSBox 0.74's FAT driver takes it when a
        // write ends on a cluster's end).
        let mut left = s.cluster_bytes * u32::from(s.free_clusters.saturating_sub(keep + 1));
        let zeros = [0u8; 512];
        while left > 0 || self.space().free_clusters > keep {
            let k = if left > 0 {
                left.min(512) as usize
            } else {
                512
            };
            if f.write(&zeros[..k]).ok()? != k {
                return None;
            }
            left = left.saturating_sub(k as u32);
        }
        f.close().ok()?;
        if self.space().free_clusters != keep {
            return None;
        }
        Some(Filler { path: p, len: n })
    }
}

struct Filler {
    path: [u8; MAX_PATH],
    len: usize,
}

impl Filler {
    fn remove(self) -> bool {
        file::delete(&self.path[..self.len]).is_ok()
    }
}

/// Writes block `h`'s pattern through a dirty `_vload`; false if it fails.
fn write_block(h: u32) -> bool {
    let p = heap::vload(h, 1);
    if p.is_null() {
        return false;
    }
    let at = |pos: u32| FarPtr::new(p.seg, p.off + pos as u16);
    fill_pieces::<PIECE, ()>(
        0,
        heap::vmsize(h),
        |i| byte(h, i),
        |pos, b| {
            // SAFETY: `p` is the _vload pointer of a block of `vmsize(h)`
            // bytes, valid until the next VMM call; the pieces stay inside it.
            unsafe { at(pos).write_bytes(b) };
            Ok(())
        },
    )
    .is_ok()
}

/// Whether block `h` loads (clean) and holds its pattern.
fn block_ok(h: u32) -> bool {
    let p = heap::vload(h, 0);
    if p.is_null() {
        return false;
    }
    let at = |pos: u32| FarPtr::new(p.seg, p.off + pos as u16);
    let bad = first_bad_pieces::<PIECE, ()>(
        0,
        heap::vmsize(h),
        |i| byte(h, i),
        |pos, b| {
            // SAFETY: as in `write_block`.
            unsafe { at(pos).read_bytes(b) };
            Ok(())
        },
    );
    bad == Ok(None)
}

fn disk_outs() -> u32 {
    heap::with_vmm(|v| v.store_stats(StoreKind::Disk).page_outs)
}

/// Phase 1: the reported case.
fn reported_case(log: &mut TestLog) {
    if !log.check(
        "report: _vheapinit(0, 2048, _VM_DISK)",
        heap::vheapinit(0, CACHE, DISK) != 0,
        format_args!("failed"),
    ) {
        return;
    }
    let st = heap::status();
    log.check(
        "report: swap file open",
        st.f_vm_swapping != 0 && st.f_vm_disable_disk == 0 && st.fh_vm != -1,
        format_args!("{:?}", st),
    );
    let h = heap::vmalloc(100);
    log.check("report: _vmalloc(100)", h != 0, format_args!("_VM_NULL"));
    log.check(
        "report: the block loads and holds data",
        h != 0 && write_block(h) && block_ok(h),
        format_args!("load failed or bytes differ"),
    );
    // Twenty 8000-byte blocks through the 32 KB cache: most go to the file.
    let mut hs = [0u32; 20];
    let mut written = true;
    for slot in hs.iter_mut() {
        *slot = heap::vmalloc(BLOCK);
        written &= *slot != 0 && write_block(*slot);
    }
    let intact = hs.iter().all(|&h| block_ok(h)) && block_ok(h);
    log.check(
        "report: 160 KB swapped through the file and back",
        written && intact && disk_outs() >= 16,
        format_args!(
            "written {}, intact {}, disk page-outs {}",
            written,
            intact,
            disk_outs()
        ),
    );
    heap::vheapterm();
}

/// Phase 2: fill until the VMM refuses.
fn disk_full(log: &mut TestLog, tmp: &Tmp) {
    let before = tmp.space();
    if heap::vheapinit(CACHE, CACHE, DISK) == 0 {
        log.check("full: init", false, format_args!("failed"));
        return;
    }
    let mut hs = [0u32; MAX_BLOCKS];
    let mut n = 0;
    let mut refused = false;
    let mut load_refused = 0;
    while n < MAX_BLOCKS {
        let h = heap::vmalloc(BLOCK);
        if h == 0 {
            refused = true;
            break;
        }
        // A block `_vmalloc` handed out always loads (issue 23).
        load_refused += usize::from(!write_block(h));
        hs[n] = h;
        n += 1;
    }
    let st = heap::status();
    let left = tmp.space().free_bytes();
    log.note(format_args!(
        "full: {} blocks of {} written, _vmalloc refused: {}; {} bytes free of {}; {:?}",
        n,
        BLOCK,
        refused,
        left,
        before.free_bytes(),
        st
    ));
    log.check(
        "full: _vmalloc refused",
        refused,
        format_args!("{} blocks written", n),
    );
    log.check_eq(
        "full: no _vload of an allocated block failed",
        load_refused,
        0,
    );
    log.check(
        "full: the drive was used to its end",
        n as u32 * BLOCK >= before.free_bytes() / 4 * 3 && left < 2 * 8192,
        format_args!("{} blocks, {} bytes still free", n, left),
    );
    log.check(
        "full: flags say the disk is off, the file is still there",
        st.f_vm_disable_disk != 0 && st.f_vm_swapping == 0 && st.fh_vm != -1,
        format_args!("{:?}", st),
    );
    // Every block in the order written (the oldest are in the file, the
    // cache full of dirty blocks that have never been written out), then
    // the newest half freed.
    let bad = hs[..n].iter().filter(|&&h| !block_ok(h)).count();
    log.check_eq(
        "full: every block reads back intact, nothing freed first",
        bad,
        0,
    );
    let half = n / 2;
    for &h in hs[half..n].iter().rev() {
        heap::vfree(h);
    }
    let bad = hs[..half].iter().filter(|&&h| !block_ok(h)).count();
    log.check_eq("full: every block written reads back intact", bad, 0);
    let st = heap::status();
    log.check(
        "full: after freeing, the disk is on again",
        st.f_vm_disable_disk == 0 && st.f_vm_swapping != 0,
        format_args!("{:?}", st),
    );
    // Allocation works again: a quarter of what was written, then all of
    // the kept and new blocks once more.
    let mut again = 0;
    for slot in hs[half..half + n / 4].iter_mut() {
        *slot = heap::vmalloc(BLOCK);
        if *slot != 0 && write_block(*slot) {
            again += 1;
        }
    }
    log.check_eq("full: after freeing, allocation works again", again, n / 4);
    let kept = half + n / 4;
    let bad = hs[..kept].iter().filter(|&&h| !block_ok(h)).count();
    log.check_eq("full: old and new blocks intact", bad, 0);
    for &h in &hs[..kept] {
        heap::vfree(h);
    }
    heap::vheapterm();
    log.check(
        "full: the swap file is gone after _vheapterm",
        !tmp.has_files(),
        format_args!("files left in TMP"),
    );
    log.check_eq(
        "full: the drive has its space back",
        tmp.space().free_clusters,
        before.free_clusters,
    );
}

/// Blocks that fit in the cache, with no swap space to be had: three of
/// 8000 bytes and one of 100, written and read back. Returns whether all
/// worked.
fn cache_only_blocks() -> bool {
    let hs = [
        heap::vmalloc(100),
        heap::vmalloc(BLOCK),
        heap::vmalloc(BLOCK),
        heap::vmalloc(BLOCK),
    ];
    let ok = hs.iter().all(|&h| h != 0 && write_block(h)) && hs.iter().all(|&h| block_ok(h));
    for h in hs {
        heap::vfree(h);
    }
    ok
}

/// Phase 3: no room for the swap file at all.
fn no_room(log: &mut TestLog, tmp: &Tmp) {
    let Some(filler) = tmp.fill(0) else {
        log.check("no room: fill the drive", false, format_args!("failed"));
        return;
    };
    log.check(
        "no room: _vheapinit succeeds",
        heap::vheapinit(0, CACHE, DISK) != 0,
        format_args!("failed"),
    );
    let st = heap::status();
    log.check(
        "no room: no swap file, flags say so",
        st.f_vm_disable_disk != 0 && st.fh_vm == -1 && st.f_vm_swapping == 0,
        format_args!("{:?}", st),
    );
    log.check(
        "no room: blocks that fit in the cache work",
        cache_only_blocks(),
        format_args!("a block failed"),
    );
    heap::vheapterm();
    log.check(
        "no room: filler deleted",
        filler.remove(),
        format_args!("no"),
    );
    log.check(
        "no room: no file left in TMP",
        !tmp.has_files(),
        format_args!("files left"),
    );
}

/// Phase 4: room for the file's first sector but not to grow.
fn cannot_grow(log: &mut TestLog, tmp: &Tmp) {
    let Some(filler) = tmp.fill(1) else {
        log.check("cannot grow: fill the drive", false, format_args!("failed"));
        return;
    };
    if !log.check(
        "cannot grow: _vheapinit succeeds",
        heap::vheapinit(0, CACHE, DISK) != 0,
        format_args!("failed"),
    ) {
        let _ = filler.remove();
        return;
    }
    let st = heap::status();
    log.check(
        "cannot grow: the swap file is open",
        st.f_vm_disable_disk == 0 && st.fh_vm != -1,
        format_args!("{:?}", st),
    );
    // No block can be backed: `_vmalloc` refuses, whatever the size.
    let refused = [16, 100, BLOCK].iter().all(|&s| heap::vmalloc(s) == 0);
    log.check(
        "cannot grow: _vmalloc refuses (no swap space can back a block)",
        refused,
        format_args!("a block was allocated"),
    );
    let st = heap::status();
    log.check(
        "cannot grow: flags say the disk is off",
        st.f_vm_disable_disk != 0 && st.f_vm_swapping == 0,
        format_args!("{:?}", st),
    );
    // Room again (the filler gone): the same heap allocates and swaps.
    let removed = filler.remove();
    let mut hs = [0u32; 12];
    let mut ok = removed;
    for slot in hs.iter_mut() {
        *slot = heap::vmalloc(BLOCK);
        ok &= *slot != 0 && write_block(*slot);
    }
    ok &= hs.iter().all(|&h| block_ok(h));
    log.check(
        "cannot grow: with room again, blocks allocate, swap and read back",
        ok && disk_outs() > 0,
        format_args!("removed {}, disk page-outs {}", removed, disk_outs()),
    );
    for h in hs {
        heap::vfree(h);
    }
    heap::vheapterm();
    log.check(
        "cannot grow: no file left in TMP",
        !tmp.has_files(),
        format_args!("files left"),
    );
}

/// Phase 5: XMS taken by someone else; the disk is the next store.
fn xms_exhausted(log: &mut TestLog) {
    let mut hogs: [Option<XmsBlock>; 8] = [const { None }; 8];
    for slot in hogs.iter_mut() {
        match xms::query_free_kb() {
            Ok((largest, _)) if largest > 0 => *slot = XmsBlock::new(largest).ok(),
            _ => break,
        }
    }
    let free = xms::query_free_kb().map(|(l, _)| l).unwrap_or(0);
    if heap::vheapinit(CACHE, CACHE, XMS | DISK) == 0 {
        log.check("no XMS: init", false, format_args!("failed"));
        return;
    }
    let mut hs = [0u32; 20];
    let mut ok = true;
    for slot in hs.iter_mut() {
        *slot = heap::vmalloc(BLOCK);
        ok &= *slot != 0 && write_block(*slot);
    }
    ok &= hs.iter().all(|&h| block_ok(h));
    let st = heap::status();
    let xms_outs = heap::with_vmm(|v| v.store_stats(StoreKind::Xms).page_outs);
    log.check(
        "no XMS: blocks go to disk, intact",
        ok && xms_outs == 0 && disk_outs() > 0,
        format_args!("ok {}, XMS {} disk {} page-outs", ok, xms_outs, disk_outs()),
    );
    log.check(
        "no XMS: flags say XMS is off, disk on",
        st.f_vm_disable_xms != 0 && st.f_vm_disable_disk == 0 && st.f_vm_swapping != 0,
        format_args!("{:?} ({} KB XMS free)", st, free),
    );
    heap::vheapterm();
    drop(hogs);
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let Some(tmp) = Tmp::get() else {
        log.check("TMP is set", false, format_args!("no TMP"));
        return log.finish();
    };
    let space = tmp.space();
    log.note(format_args!(
        "TMP drive {}: {} clusters of {} bytes, {} free",
        tmp.drive, space.total_clusters, space.cluster_bytes, space.free_clusters
    ));
    if !log.check(
        "TMP is on a small drive (an image: conf/fatfull.conf, conf/fat.conf)",
        space.cluster_bytes > 0 && space.free_bytes() <= MAX_FREE,
        format_args!("{} bytes free: not filling that", space.free_bytes()),
    ) {
        return log.finish();
    }
    log.check(
        "TMP holds no file before",
        !tmp.has_files(),
        format_args!("files there"),
    );
    reported_case(&mut log);
    disk_full(&mut log, &tmp);
    no_room(&mut log, &tmp);
    cannot_grow(&mut log, &tmp);
    if xms::detect() {
        xms_exhausted(&mut log);
    }
    log.finish()
}
