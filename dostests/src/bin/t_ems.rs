//! DOS test: the EMS layer (src/dos/ems.rs) against the emulator's EMM.
//!
//! With an EMM: fails if data copied into a handle's pages (from near
//! buffers and from far conventional memory, across page boundaries) does
//! not read back byte for byte, also when read through a mapping of its
//! own; if the application's mapping of the page frame (and the data it
//! shows there) is not exactly as before after the layer's copies; if 0
//! pages are not refused, an unmapped page stays attached, a reallocation
//! loses data, or exhausting pages or handles does not give the spec's
//! error (88h, 85h) or disturbs other handles; or if pages and handles are
//! not all given back. Without one: fails unless every call reports "no
//! driver".
#![no_std]
#![no_main]

use dostests::pieces::{far_round_trip, Pieces};
use dostests::require;
use vmemory::dos::ems::{
    self, EmsBlock, EmsError, EmsHandle, LogicalPage, PageMap, PhysicalPage, PAGE_BYTES,
};
use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;

dos_main!(main);

/// The byte a pattern with `seed` has at position `i`.
fn pattern(seed: u8, i: u32) -> u8 {
    (i as u8).wrapping_mul(29).wrapping_add(seed) ^ (i >> 8) as u8 ^ (i >> 14) as u8
}

/// An odd chunk size, so that chunks straddle the 16 KB page boundaries.
const CHUNK: usize = 1000;
/// Fills and checks blocks in pieces of `CHUNK` bytes.
type P = Pieces<CHUNK>;

/// Writes `pattern(seed, i - from)` into bytes `from..to` of the block.
fn fill(blk: &mut EmsBlock, seed: u8, from: u32, to: u32) -> Result<(), EmsError> {
    P::fill(blk, from, to, |i| pattern(seed, i - from))
}

/// Reads `buf.len()` bytes of the page frame at `off`.
fn frame_read(frame: Segment, off: u16, buf: &mut [u8]) {
    // SAFETY: the page frame is 64 KB of readable memory; off + len stays
    // inside it.
    unsafe { FarPtr::new(frame, off).read_bytes(buf) }
}

/// Writes `buf` into the page frame at `off`.
fn frame_write(frame: Segment, off: u16, buf: &[u8]) {
    // SAFETY: as `frame_read`; no Rust reference covers the frame.
    unsafe { FarPtr::new(frame, off).write_bytes(buf) }
}

/// The application's own mapping: its page 0 in physical page 0, page 1 in
/// physical page 1, and a marker pattern at the start of each, seen through
/// the frame.
fn markers_ok(frame: Segment) -> bool {
    let mut buf = [0u8; 256];
    frame_read(frame, 0, &mut buf);
    let p0 = buf
        .iter()
        .enumerate()
        .all(|(i, &b)| b == pattern(0xA1, i as u32));
    frame_read(frame, 0x4000, &mut buf);
    let p1 = buf
        .iter()
        .enumerate()
        .all(|(i, &b)| b == pattern(0xA3, i as u32));
    p0 && p1
}

fn absent(log: &mut TestLog) {
    log.note(format_args!(
        "no EMM (no EMMXXXX0 device at the INT 67h vector)"
    ));
    log.check_eq(
        "version without EMM",
        ems::version().err(),
        Some(EmsError::NO_DRIVER),
    );
    log.check_eq(
        "page frame without EMM",
        ems::page_frame().err(),
        Some(EmsError::NO_DRIVER),
    );
    log.check_eq(
        "allocate without EMM",
        EmsBlock::new(1).err(),
        Some(EmsError::NO_DRIVER),
    );
    log.check_eq(
        "save map without EMM",
        PageMap::save().err(),
        Some(EmsError::NO_DRIVER),
    );
    let buf = [0u8; 16];
    // SAFETY: `buf` is readable; the call fails before touching anything.
    let r = unsafe {
        ems::copy_to_ems(
            FarPtr::from_near(buf.as_ptr()),
            EmsHandle(1),
            LogicalPage(0),
            0,
            16,
        )
    };
    log.check_eq("copy without EMM", r, Err(EmsError::NO_DRIVER));
    log.check_eq(
        "deallocate without EMM",
        ems::deallocate(EmsHandle(1)),
        Err(EmsError::NO_DRIVER),
    );
}

fn main() -> u8 {
    let mut log = TestLog::create();
    if !ems::detect() {
        absent(&mut log);
        return log.finish();
    }

    let ver = ems::version();
    log.check(
        "EMS 4.0",
        matches!(ver, Ok(v) if v >= 0x40),
        format_args!("{:?}", ver),
    );
    let frame = match ems::page_frame() {
        Ok(f) => f,
        Err(e) => {
            log.check("page frame", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    let (free0, total0) = ems::page_counts().unwrap_or((0, 0));
    let handles0 = ems::handle_count().unwrap_or(0);
    let map_size = ems::page_map_size();
    log.note(format_args!(
        "EMS {:02X}h, frame {:04X}, {} of {} pages free, {} handles open, map context {:?} bytes",
        ver.unwrap_or(0),
        frame.value(),
        free0,
        total0,
        handles0,
        map_size
    ));
    log.check(
        "frame above conventional memory",
        frame.value() >= 0xA000,
        format_args!("{:04X}", frame.value()),
    );
    log.check(
        "pages for the test",
        free0 <= total0 && free0 >= 32,
        format_args!("{} / {}", free0, total0),
    );
    log.check(
        "map context size",
        matches!(map_size, Ok(n) if n > 0 && usize::from(n) <= PageMap::CAPACITY),
        format_args!("{:?}", map_size),
    );

    // The application's own mapping, with markers in its pages.
    let Some(app) = require(
        &mut log,
        "allocate the application's pages",
        EmsBlock::new(2),
    ) else {
        return log.finish();
    };
    let r = app
        .map(PhysicalPage(0), LogicalPage(0))
        .and(app.map(PhysicalPage(1), LogicalPage(1)))
        .and(ems::unmap(PhysicalPage(2), app.handle()))
        .and(ems::unmap(PhysicalPage(3), app.handle()));
    log.check(
        "application maps its pages",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    let mut buf = [0u8; 256];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern(0xA1, i as u32);
    }
    frame_write(frame, 0, &buf);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern(0xA3, i as u32);
    }
    frame_write(frame, 0x4000, &buf);
    let before = match PageMap::save() {
        Ok(m) => m,
        Err(e) => {
            log.check("save the mapping (4E00h)", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    log.note(format_args!("application's map context: {:?}", before));
    let unchanged = |log: &mut TestLog, name: &str| {
        let now = PageMap::save();
        let ok = now.as_ref() == Ok(&before) && markers_ok(frame);
        log.check(
            name,
            ok,
            format_args!("map {:?}, markers {}", now, markers_ok(frame)),
        );
    };

    // B: five pages, filled in chunks that straddle page boundaries.
    let mut b = match EmsBlock::new(5) {
        Ok(b) => b,
        Err(e) => {
            log.check("allocate 5 pages", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    let size_b = 5 * PAGE_BYTES;
    let r = fill(&mut b, 0x5E, 0, size_b);
    log.check(
        "fill B through the frame",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    P::check(&mut log, "B reads back", &b, 0, size_b, |i| {
        pattern(0x5E, i)
    });
    unchanged(
        &mut log,
        "application's mapping and data unchanged by copies",
    );

    // Read B through a mapping of its own: the copies wrote where they said.
    let r = b.map(PhysicalPage(2), LogicalPage(3));
    let mut direct = [0u8; 300];
    frame_read(frame, 0x8000 + 16_000, &mut direct);
    let ok = r.is_ok()
        && direct
            .iter()
            .enumerate()
            .all(|(i, &x)| x == pattern(0x5E, 3 * PAGE_BYTES + 16_000 + i as u32));
    log.check(
        "B's page 3 seen through the frame",
        ok,
        format_args!("{:?} {:?}", r, &direct[..4]),
    );
    let r = before.restore();
    log.check(
        "restore the mapping (4E01h)",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    unchanged(&mut log, "application's mapping back after 4E01h");

    // Far conventional memory -> B -> other conventional memory.
    far_round_trip(
        &mut log,
        "far copies to and from EMS",
        "far round trip through B",
        40_000,
        |i| pattern(0xC7, i),
        |src, dst| {
            // SAFETY: both are 40000 bytes inside DOS blocks we own (below the
            // frame), which no Rust reference covers.
            unsafe {
                b.write_from(10_000, src, 40_000)
                    .and(b.read_into(10_000, dst, 40_000))
            }
        },
    );
    let b_want = |i: u32| {
        if (10_000..50_000).contains(&i) {
            pattern(0xC7, i - 10_000)
        } else {
            pattern(0x5E, i)
        }
    };
    P::check(
        &mut log,
        "B holds both patterns where written",
        &b,
        0,
        size_b,
        b_want,
    );
    unchanged(&mut log, "application's mapping unchanged by far copies");
    // A copy from the page frame itself is refused (it would map over itself).
    // SAFETY: the call refuses before touching memory.
    let r =
        unsafe { ems::copy_to_ems(FarPtr::new(frame, 0x100), b.handle(), LogicalPage(0), 0, 16) };
    log.check_eq("copy from the frame refused", r, Err(EmsError::BAD_ADDRESS));

    // Unmapping detaches the page: writes to the frame no longer reach it.
    let r = b.map(PhysicalPage(2), LogicalPage(0));
    frame_write(frame, 0x8000, &[0xEE; 16]);
    let r2 = ems::unmap(PhysicalPage(2), b.handle());
    frame_write(frame, 0x8000, &[0x11; 16]);
    let mut got = [0u8; 16];
    let r3 = b.read(0, &mut got);
    log.check(
        "unmap (logical page FFFFh) detaches",
        r.is_ok() && r2.is_ok() && r3.is_ok() && got == [0xEE; 16],
        format_args!("{:?} {:?} {:?} {:?}", r, r2, r3, &got[..4]),
    );
    // Put B's first bytes back as they were.
    let mut p = [0u8; 16];
    for (i, x) in p.iter_mut().enumerate() {
        *x = pattern(0x5E, i as u32);
    }
    let r = b.write(0, &p);
    log.check(
        "rewrite B's first bytes",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    let _ = before.restore();
    unchanged(&mut log, "application's mapping back after unmap");

    // 47h/48h: one save per handle.
    let r1 = ems::save_page_map(app.handle());
    let r2 = ems::save_page_map(app.handle());
    let _ = b.map(PhysicalPage(0), LogicalPage(1));
    let r3 = ems::restore_page_map(app.handle());
    let r4 = ems::restore_page_map(app.handle());
    log.check_eq(
        "47h/48h save, save again, restore, restore again",
        (r1, r2, r3, r4),
        (
            Ok(()),
            Err(EmsError::MAP_ALREADY_SAVED),
            Ok(()),
            Err(EmsError::NO_SAVED_MAP),
        ),
    );
    unchanged(&mut log, "application's mapping back after 48h");

    // Zero pages, bad logical pages, bad handles.
    log.check_eq(
        "allocate 0 pages refused",
        ems::allocate(0).err(),
        Some(EmsError::ZERO_PAGES),
    );
    log.check_eq(
        "block of 0 pages refused",
        EmsBlock::new(0).err(),
        Some(EmsError::ZERO_PAGES),
    );
    log.check_eq(
        "map past the handle's pages",
        b.map(PhysicalPage(2), LogicalPage(5)),
        Err(EmsError::BAD_LOGICAL_PAGE),
    );
    log.check_eq(
        "copy past the block",
        b.read(size_b - 2, &mut [0u8; 4]),
        Err(EmsError::BAD_LOGICAL_PAGE),
    );
    log.check_eq(
        "map with a bad handle",
        ems::map(PhysicalPage(2), EmsHandle(0x1234), LogicalPage(0)),
        Err(EmsError::INVALID_HANDLE),
    );
    unchanged(&mut log, "application's mapping unchanged by failed calls");

    // Reallocate: grow keeps the data, the new pages work; then shrink.
    let r = b.resize(8);
    log.check(
        "grow B to 8 pages (51h)",
        r.is_ok() && b.pages() == 8,
        format_args!("{:?} {}", r, b.pages()),
    );
    log.check_eq("EMM says 8 pages", ems::handle_pages(b.handle()), Ok(8));
    P::check(&mut log, "B's data kept by grow", &b, 0, size_b, b_want);
    let r = fill(&mut b, 0x6D, size_b, 8 * PAGE_BYTES);
    log.check("fill B's new pages", r.is_ok(), format_args!("{:?}", r));
    let b_want8 = |i: u32| {
        if i >= size_b {
            pattern(0x6D, i - size_b)
        } else {
            b_want(i)
        }
    };
    P::check(
        &mut log,
        "B reads back after grow",
        &b,
        0,
        8 * PAGE_BYTES,
        b_want8,
    );
    let r = b.resize(6);
    log.check_eq(
        "shrink B to 6 pages",
        (r, ems::handle_pages(b.handle())),
        (Ok(()), Ok(6)),
    );
    P::check(
        &mut log,
        "B's data kept by shrink",
        &b,
        0,
        6 * PAGE_BYTES,
        b_want8,
    );
    log.check_eq(
        "map a page given back",
        b.map(PhysicalPage(2), LogicalPage(7)),
        Err(EmsError::BAD_LOGICAL_PAGE),
    );
    unchanged(&mut log, "application's mapping unchanged by reallocation");

    // Exhaust pages: 88h, other handles intact, all given back.
    let (free1, total1) = ems::page_counts().unwrap_or((0, 0));
    let r = ems::allocate(total1.saturating_add(1)).err();
    log.check(
        "more pages than exist refused",
        matches!(
            r,
            Some(EmsError::NOT_ENOUGH_PAGES_TOTAL | EmsError::NOT_ENOUGH_PAGES)
        ),
        format_args!("{:?}", r),
    );
    log.note(format_args!(
        "{} pages (of {}): {:?}",
        total1 as u32 + 1,
        total1,
        r
    ));
    match EmsBlock::new(free1) {
        Ok(all) => {
            log.check_eq("no pages left", ems::page_counts().map(|(f, _)| f), Ok(0));
            log.check_eq(
                "allocate with no pages left",
                EmsBlock::new(1).err(),
                Some(EmsError::NOT_ENOUGH_PAGES),
            );
            log.check_eq(
                "grow with no pages left",
                b.resize(7),
                Err(EmsError::NOT_ENOUGH_PAGES),
            );
            P::check(
                &mut log,
                "B intact when pages are exhausted",
                &b,
                0,
                6 * PAGE_BYTES,
                b_want8,
            );
            drop(all);
        }
        Err(e) => {
            log.check(
                "allocate every free page",
                false,
                format_args!("{} pages: {:?}", free1, e),
            );
        }
    }
    log.check_eq(
        "pages given back",
        ems::page_counts().map(|(f, _)| f),
        Ok(free1),
    );

    // Exhaust handles: 85h (or 88h when pages run out first).
    const MAX_HELD: usize = 300;
    let mut held: [Option<EmsBlock>; MAX_HELD] = [const { None }; MAX_HELD];
    let mut n = 0;
    let err = loop {
        if n == MAX_HELD {
            break None;
        }
        match EmsBlock::new(1) {
            Ok(h) => {
                held[n] = Some(h);
                n += 1;
            }
            Err(e) => break Some(e),
        }
    };
    let open = ems::handle_count();
    log.note(format_args!(
        "handles: {} more allocated until {:?}; {:?} open",
        n, err, open
    ));
    match err {
        Some(EmsError::OUT_OF_HANDLES) => {
            log.check_eq("open handles counted", open, Ok(handles0 + 2 + n as u16));
        }
        Some(EmsError::NOT_ENOUGH_PAGES) => {
            log.check_eq(
                "pages ran out before handles",
                ems::page_counts().map(|(f, _)| f),
                Ok(0),
            );
        }
        e => {
            log.check(
                "handle exhaustion gives 85h",
                false,
                format_args!("{:?} after {}", e, n),
            );
        }
    }
    P::check(
        &mut log,
        "B intact after handle exhaustion",
        &b,
        0,
        6 * PAGE_BYTES,
        b_want8,
    );
    unchanged(&mut log, "application's mapping unchanged by exhaustion");
    for slot in held.iter_mut() {
        *slot = None;
    }
    log.check_eq("handles given back", ems::handle_count(), Ok(handles0 + 2));

    // Give everything back.
    let hb = b.handle();
    drop(b);
    log.check_eq(
        "deallocated handle is invalid",
        ems::handle_pages(hb),
        Err(EmsError::INVALID_HANDLE),
    );
    unchanged(&mut log, "application's mapping unchanged at the end");
    drop(app);
    log.check_eq(
        "all pages given back",
        ems::page_counts(),
        Ok((free0, total0)),
    );
    log.check_eq("all handles given back", ems::handle_count(), Ok(handles0));
    log.finish()
}
