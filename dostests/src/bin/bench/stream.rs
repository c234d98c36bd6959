//! The stream, per swap store: 4 MB in 8 KB blocks through a 64 KB cache
//! that swaps only to that store, against the store's own calls moving the
//! same bytes in the same pieces.
//!
//! What belongs here: that workload and its raw side (one store's own
//! calls: XMS, EMS, a temp file). What does not: the VMM's stores
//! themselves (`vmemory::heap`).

use dostests::timer::PitClock;
use vmemory::dos::ems::{self, EmsBlock, LogicalPage, PageMap, PhysicalPage};
use vmemory::dos::far::FarPtr;
use vmemory::dos::file::{SeekFrom, TempFile, TmpDir};
use vmemory::dos::mem::{DosBlock, Paragraphs};
use vmemory::dos::xms::XmsBlock;
use vmemory::heap;
use vmemory::vmm::StoreKind;

use crate::kit::{get, pair, put, store, unpair, us, Checks, Slots};
use crate::Sizes;

/// Block size of the stream test.
pub const STREAM_BLOCK: u32 = 8192;

/// The raw side of the stream test: one store's own calls.
enum Raw {
    Xms(XmsBlock),
    Ems(EmsBlock, vmemory::dos::Segment),
    Disk(TempFile),
}

impl Raw {
    fn open(kind: StoreKind, bytes: u32) -> Option<Raw> {
        match kind {
            StoreKind::Xms => XmsBlock::new(bytes / 1024).ok().map(Raw::Xms),
            StoreKind::Ems => {
                let frame = ems::page_frame().ok()?;
                EmsBlock::new((bytes / ems::PAGE_BYTES) as u16)
                    .ok()
                    .map(|b| Raw::Ems(b, frame))
            }
            StoreKind::Disk => {
                let mut t = TempFile::create_in(&TmpDir::from_env()?).ok()?;
                let f = t.file();
                // Grow to full size first, as the VMM's store is by then:
                // with real zeros, as the VMM does (a seek past the end and
                // a 0-byte write do not grow a file on DOSBox's FAT images).
                let zeros = [0u8; 512];
                let mut grown = true;
                let mut at = 0;
                while grown && at < bytes {
                    let n = (bytes - at).min(512) as usize;
                    grown = f.write(&zeros[..n]) == Ok(n);
                    at += n as u32;
                }
                grown &= f.seek(SeekFrom::End, 0) == Ok(bytes);
                let r = Raw::Disk(t);
                if grown {
                    Some(r)
                } else {
                    r.close();
                    None
                }
            }
        }
    }

    /// Moves `len` bytes between conventional memory at `buf` and byte
    /// `at` of the store.
    fn transfer(&mut self, at: u32, buf: FarPtr, len: u32, to_store: bool) -> bool {
        match self {
            // SAFETY: `buf` is the benchmark's own DOS block of at least
            // `len` bytes, which no Rust reference covers.
            Raw::Xms(b) => unsafe {
                if to_store {
                    b.write_from(at, buf, len).is_ok()
                } else {
                    b.read_into(at, buf, len).is_ok()
                }
            },
            Raw::Ems(b, frame) => {
                // Function 44h maps the page into physical page 0, then the
                // CPU copies through the frame (8 KB pieces never straddle
                // a 16 KB page).
                let page = LogicalPage((at / ems::PAGE_BYTES) as u16);
                if b.map(PhysicalPage(0), page).is_err() {
                    return false;
                }
                let window = FarPtr::new(*frame, (at % ems::PAGE_BYTES) as u16);
                // SAFETY: `window` is `len` bytes of the mapped page;
                // `buf` is our own block below the frame.
                unsafe {
                    if to_store {
                        buf.copy_to(window, len as u16);
                    } else {
                        window.copy_to(buf, len as u16);
                    }
                }
                true
            }
            Raw::Disk(t) => {
                let f = t.file();
                if f.seek(SeekFrom::Start, at as i32).is_err() {
                    return false;
                }
                // SAFETY: as for XMS.
                let done = unsafe {
                    if to_store {
                        f.write_far(buf, len as u16)
                    } else {
                        f.read_far(buf, len as u16)
                    }
                };
                done == Ok(len as usize)
            }
        }
    }

    fn close(self) {
        if let Raw::Disk(t) = self {
            t.close();
        }
    }
}

pub struct Stream {
    pub vmm_us: u32,
    pub raw_us: u32,
    pub bytes_in: u32,
    pub bytes_out: u32,
    /// Page-ins plus page-outs, and the store's free-list link operations
    /// plus handle-table page transfers, during the timed pass.
    pub pages: u32,
    pub meta: u32,
}

/// What `stream` found.
pub enum StreamResult {
    Done(Stream),
    Absent,
    Failed,
}

/// Streams `s.stream_bytes` in 8 KB blocks through a 64 KB cache swapping
/// to `kind` only: after a pass that writes every block once (so they all
/// live in the store), one timed pass loads each block dirty in turn, so
/// each load pages one block out and one in. Then the same bytes in and
/// out are moved with the store's own calls, in the same 8 KB pieces.
#[inline(never)]
pub fn stream(
    clock: &PitClock,
    s: &Sizes,
    hs: &mut Slots,
    kind: StoreKind,
    name: &str,
    c: &mut Checks,
) -> StreamResult {
    let n = (s.stream_bytes / STREAM_BLOCK) as usize;
    debug_assert!(n <= hs.n);
    hs.clear();
    if heap::vheapinit(4096, 4096, kind.swap_area().bits()) == 0 {
        c.check(name, false, "_vheapinit with a 64 KB cache failed", 0);
        return StreamResult::Failed;
    }
    let st = heap::status();
    let off = match kind {
        StoreKind::Xms => st.f_vm_disable_xms,
        StoreKind::Ems => st.f_vm_disable_ems,
        StoreKind::Disk => st.f_vm_disable_disk,
    };
    if off != 0 {
        heap::vheapterm();
        return StreamResult::Absent;
    }
    let mut ok = true;
    for i in 0..n {
        let h = heap::vmalloc(STREAM_BLOCK);
        hs.set(i, h);
        let p = heap::vload(h, 1);
        ok &= !p.is_null();
        if !p.is_null() {
            put(p, &pair(i as u32, 0));
        }
    }
    if !c.check(
        name,
        ok,
        "could not allocate and write all blocks",
        n as u32,
    ) {
        heap::vheapterm();
        return StreamResult::Failed;
    }
    let before = store(kind);
    let t0 = clock.now();
    for i in 0..n {
        let p = heap::vload(hs.get(i), 1);
        if p.is_null() {
            ok = false;
            break;
        }
        put(p, &pair(i as u32, 1));
    }
    let t1 = clock.now();
    let after = store(kind);
    let (bytes_in, bytes_out) = (
        after.bytes_in - before.bytes_in,
        after.bytes_out - before.bytes_out,
    );
    let pages = after.page_ins + after.page_outs - before.page_ins - before.page_outs;
    let meta = after.meta_ops + after.table_ins + after.table_outs
        - before.meta_ops
        - before.table_ins
        - before.table_outs;
    // Untimed: every block holds what the timed pass wrote.
    for i in 0..n {
        let p = heap::vload(hs.get(i), 0);
        ok &= !p.is_null() && unpair(get(p)) == (i as u32, 1);
    }
    c.check(
        name,
        ok,
        "a block did not read back what the stream wrote",
        0,
    );
    c.check(
        name,
        bytes_in > 0 && bytes_out > 0,
        "no paging in and out; KB in",
        bytes_in / 1024,
    );
    heap::vheapterm();

    let Some(raw_us) = raw_stream(clock, s, kind, name, c, bytes_in, bytes_out) else {
        return StreamResult::Failed;
    };
    StreamResult::Done(Stream {
        vmm_us: us(t0, t1),
        raw_us,
        bytes_in,
        bytes_out,
        pages,
        meta,
    })
}

/// The raw side of [`stream`]: `bytes_out` then `bytes_in` moved in 8 KB
/// pieces, alternately, with the store's own calls (its own function, so
/// that the raw side's buffers are not on the stack while the VMM runs).
#[inline(never)]
fn raw_stream(
    clock: &PitClock,
    s: &Sizes,
    kind: StoreKind,
    name: &str,
    c: &mut Checks,
    bytes_in: u32,
    bytes_out: u32,
) -> Option<u32> {
    let (Some(mut raw), Ok(buf)) = (
        Raw::open(kind, s.stream_bytes),
        DosBlock::new(Paragraphs(STREAM_BLOCK as u16 / 16)),
    ) else {
        c.check(
            name,
            false,
            "cannot allocate the raw transfer's store or buffer",
            0,
        );
        return None;
    };
    let far = FarPtr::new(buf.segment(), 0);
    let mut ok = true;
    let saved = if kind == StoreKind::Ems {
        PageMap::save().ok()
    } else {
        None
    };
    let (pieces_in, pieces_out) = (
        bytes_in.div_ceil(STREAM_BLOCK),
        bytes_out.div_ceil(STREAM_BLOCK),
    );
    let (mut left_in, mut left_out) = (bytes_in, bytes_out);
    let t2 = clock.now();
    for j in 0..pieces_in.max(pieces_out) {
        let at = j * STREAM_BLOCK % s.stream_bytes;
        if left_out > 0 {
            // Even lengths only (XMS function 0Bh).
            let len = left_out.min(STREAM_BLOCK).next_multiple_of(2);
            ok &= raw.transfer(at, far, len, true);
            left_out = left_out.saturating_sub(len);
        }
        if left_in > 0 {
            let len = left_in.min(STREAM_BLOCK).next_multiple_of(2);
            ok &= raw.transfer((at + STREAM_BLOCK) % s.stream_bytes, far, len, false);
            left_in = left_in.saturating_sub(len);
        }
    }
    let t3 = clock.now();
    if let Some(m) = saved {
        let _ = m.restore();
    }
    raw.close();
    c.check(name, ok, "a raw transfer failed", 0)
        .then(|| us(t2, t3))
}
