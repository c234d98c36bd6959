//! DOS test: what only real memory managers show (the qemu engine's
//! machines: HimemX, HimemX + Jemm386, JemmEx; it runs under DOSBox too,
//! where the parts that need more than DOSBox has are noted and skipped).
//!
//! - `fVmDisableEms` is 1 exactly when the EMM cannot be copied through
//!   ([`ems::copy_ready`] fails), and then no block goes to EMS and the heap
//!   still swaps to disk; `T_REAL.EXE noframe` (Jemm386 `FRAME=NONE`)
//!   requires that case: an EMM without a page frame.
//! - The application's own EMS mapping, the four frame pages and a page of
//!   conventional memory that the EMM makes mappable (Jemm386 maps
//!   4000h-9FFFh), is exactly as the application left it after every VMM
//!   call of a workload that swaps through EMS.
//! - XMS above 16 MB: with the first 16 MB of XMS taken, an EMB locked at or
//!   above 16 MB physical keeps what even-length moves wrote at odd offsets
//!   from odd conventional addresses, odd lengths are refused, and the VMM
//!   swaps there byte-exactly.
//! - `T_REAL.EXE v86`: the program runs in V86 mode (so everything above
//!   ran there too: the VMM uses no privileged instruction), and the EMM
//!   (Jemm386 / JemmEx with default options) can be copied through.
#![no_std]
#![no_main]

use dostests::require;
use vmemory::dos::cpu;
use vmemory::dos::ems::{
    self, EmsBlock, LogicalPage, MappablePage, PageMap, PhysicalPage, MAX_MAPPABLE, PAGE_BYTES,
};
use vmemory::dos::far::{FarPtr, Segment};
use vmemory::dos::mem::{self, Paragraphs};
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{self, XmsBlock, XmsError};
use vmemory::dos_main;
use vmemory::heap::{self, Status};
use vmemory::vmm::{StoreKind, VM_DISK as DISK, VM_EMS as EMS, VM_XMS as XMS};

dos_main!(main);

/// The cache: 64 KiB, so the workload's 288,000 bytes must swap.
const CACHE_PARAS: u16 = 4096;
const BLOCK: u32 = 6000;
const BLOCKS: usize = 48;
/// Paragraphs in one EMS page.
const PAGE_PARAS: u16 = (PAGE_BYTES / 16) as u16;

fn byte(h: u32, i: u32) -> u8 {
    (h ^ (h >> 11)).wrapping_add(i.wrapping_mul(0x9D)) as u8
}

/// What a workload saw.
struct Work {
    /// The status right after `_vheapinit`.
    status: Status,
    /// Every block read back as written.
    intact: bool,
    /// VMM calls made, and after how many of them `after_call` said no.
    calls: u32,
    bad_calls: u32,
    /// Page-outs to XMS, EMS, disk.
    outs: [u32; 3],
}

/// Allocates 48 blocks of 6000 bytes through a 64 KiB cache swapping to
/// `swaparea`, writes each, reads all back, frees them and terms; calls
/// `after_call` after every VMM call. `None` if `_vheapinit` failed.
fn workload(swaparea: u16, after_call: &mut dyn FnMut() -> bool) -> Option<Work> {
    if heap::vheapinit(CACHE_PARAS, CACHE_PARAS, swaparea) == 0 {
        return None;
    }
    let mut w = Work {
        status: heap::status(),
        intact: true,
        calls: 0,
        bad_calls: 0,
        outs: [0; 3],
    };
    let mut after = |w: &mut Work| {
        w.calls += 1;
        if !after_call() {
            w.bad_calls += 1;
        }
    };
    let mut hs = [0u32; BLOCKS];
    let mut buf = [0u8; 600];
    for slot in hs.iter_mut() {
        let h = heap::vmalloc(BLOCK);
        after(&mut w);
        let p = heap::vload(h, 1);
        after(&mut w);
        if h == 0 || p.is_null() {
            w.intact = false;
            break;
        }
        for part in 0..10u32 {
            for (j, b) in buf.iter_mut().enumerate() {
                *b = byte(h, part * 600 + j as u32);
            }
            // SAFETY: `p` is the _vload pointer of a 6000-byte block, valid
            // until the next VMM call.
            unsafe { FarPtr::new(p.seg, part as u16 * 600).write_bytes(&buf) };
        }
        *slot = h;
    }
    for &h in hs.iter().filter(|&&h| h != 0) {
        let p = heap::vload(h, 0);
        after(&mut w);
        if p.is_null() {
            w.intact = false;
            continue;
        }
        for part in 0..10u32 {
            // SAFETY: as above.
            unsafe { FarPtr::new(p.seg, part as u16 * 600).read_bytes(&mut buf) };
            w.intact &= buf
                .iter()
                .enumerate()
                .all(|(j, &b)| b == byte(h, part * 600 + j as u32));
        }
    }
    w.outs = heap::with_vmm(|v| {
        [StoreKind::Xms, StoreKind::Ems, StoreKind::Disk].map(|k| v.store_stats(k).page_outs)
    });
    for &h in hs.iter().filter(|&&h| h != 0) {
        heap::vfree(h);
        after(&mut w);
    }
    heap::vheapterm();
    after(&mut w);
    Some(w)
}

/// `fVmDisableEms` against what the EMM allows; `must_be_unusable` for the
/// `noframe` machine.
fn ems_usability(log: &mut TestLog, must_be_unusable: bool) {
    let present = ems::detect();
    let ready = ems::copy_ready();
    log.note(format_args!(
        "EMM present {}, usable for copies {:?}",
        present, ready
    ));
    if must_be_unusable {
        log.check(
            "an EMM without a page frame is there but unusable",
            present && ready.is_err(),
            format_args!("present {} ready {:?}", present, ready),
        );
    }
    let Some(w) = workload(EMS | DISK, &mut || true) else {
        log.check("vheapinit (EMS + disk)", false, format_args!("failed"));
        return;
    };
    log.check_eq(
        "fVmDisableEms is 1 exactly when EMS cannot be used",
        w.status.f_vm_disable_ems,
        u16::from(ready.is_err()),
    );
    log.check(
        "blocks intact (EMS + disk)",
        w.intact,
        format_args!("a block read back wrong"),
    );
    if ready.is_err() {
        log.check(
            "nothing sent to an unusable EMM; disk used instead",
            w.outs[1] == 0 && w.outs[2] > 0,
            format_args!("page-outs EMS {} disk {}", w.outs[1], w.outs[2]),
        );
    } else {
        log.check(
            "EMS used when it can be",
            w.outs[1] > 0,
            format_args!("page-outs EMS {} disk {}", w.outs[1], w.outs[2]),
        );
    }
}

/// Marker written at both ends of one of the application's pages.
fn marker(n: u8) -> [u8; 4] {
    [b'A', b'P', b'P', b'0' + n]
}

fn markers_ok(pages: &[(Segment, u8)]) -> bool {
    pages.iter().all(|&(seg, n)| {
        let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
        // SAFETY: each segment starts a 16 KB page that the application's
        // EMS pages are mapped into (frame or conventional block of ours).
        unsafe {
            FarPtr::new(seg, 0).read_bytes(&mut head);
            FarPtr::new(seg, PAGE_BYTES as u16 - 4).read_bytes(&mut tail);
        }
        head == marker(n) && tail == marker(n)
    })
}

/// The application's mapping, frame and conventional pages, across VMM
/// calls that swap through EMS.
fn ems_mapping(log: &mut TestLog) {
    if ems::copy_ready().is_err() {
        log.note(format_args!("EMS unusable: mapping part skipped"));
        return;
    }
    let mut all = [MappablePage::default(); MAX_MAPPABLE];
    let n = match ems::mappable_pages(&mut all) {
        Ok(n) => n,
        Err(e) => {
            log.check("mappable pages (5800h)", false, format_args!("{:?}", e));
            return;
        }
    };
    let frame = ems::page_frame().unwrap_or(Segment::new(0));
    let conventional = all[..n].iter().filter(|m| m.segment < 0xA000).count();
    log.note(format_args!(
        "{} mappable pages, {} in conventional memory, frame {:04X}, context {:?} bytes",
        n,
        conventional,
        frame.value(),
        ems::page_map_size()
    ));
    let original = match PageMap::save() {
        Ok(m) => m,
        Err(e) => {
            log.check("save the mapping", false, format_args!("{:?}", e));
            return;
        }
    };
    // A block of ours at the top of conventional memory, three pages long,
    // so that it holds a whole mappable page when there is any up there.
    let block_paras = 3 * PAGE_PARAS;
    let block = mem::allocate_high(Paragraphs(block_paras)).ok();
    let host = block.and_then(|b| {
        all[..n].iter().copied().find(|m| {
            let s = m.segment;
            s < 0xA000
                && s >= b.value()
                && u32::from(s) + u32::from(PAGE_PARAS)
                    <= u32::from(b.value()) + u32::from(block_paras)
        })
    });
    if conventional > 0 {
        log.check(
            "a conventional mappable page inside our block",
            host.is_some(),
            format_args!("block {:04X?}", block.map(|b| b.value())),
        );
    }
    let Some(app) = require(log, "allocate the application's pages", EmsBlock::new(5)) else {
        return;
    };
    // Frame page p shows logical page p + 1; the conventional page shows 0.
    let mut pages = [(Segment::new(0), 0u8); 5];
    let mut count = 0;
    let mut r = Ok(());
    for p in 0..4u8 {
        r = r.and(app.map(PhysicalPage(p), LogicalPage(u16::from(p) + 1)));
        pages[count] = (
            frame.add_paras(u16::from(p) * PAGE_PARAS).unwrap_or(frame),
            p + 1,
        );
        count += 1;
    }
    if let Some(h) = host {
        r = r.and(app.map(PhysicalPage(h.page as u8), LogicalPage(0)));
        pages[count] = (Segment::new(h.segment), 0);
        count += 1;
        log.note(format_args!(
            "conventional page {:04X} (physical page {}) shows the application's page 0",
            { h.segment },
            { h.page }
        ));
    }
    log.check(
        "application maps its pages",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    for &(seg, n) in &pages[..count] {
        // SAFETY: the page at `seg` shows one of our EMS pages now.
        unsafe {
            FarPtr::new(seg, 0).write_bytes(&marker(n));
            FarPtr::new(seg, PAGE_BYTES as u16 - 4).write_bytes(&marker(n));
        }
    }
    let mine = PageMap::save();
    let pages = &pages[..count];
    let mut check = || PageMap::save().as_ref() == mine.as_ref() && markers_ok(pages);
    match workload(EMS, &mut check) {
        Some(w) => {
            log.check(
                "the application's mapping and data after every VMM call",
                mine.is_ok() && w.bad_calls == 0,
                format_args!("changed after {} of {} calls", w.bad_calls, w.calls),
            );
            log.check(
                "EMS swapping happened meanwhile",
                w.outs[1] > 0 && w.intact,
                format_args!("page-outs {}, intact {}", w.outs[1], w.intact),
            );
        }
        None => {
            log.check("vheapinit (EMS)", false, format_args!("failed"));
        }
    }
    let r = original.restore();
    log.check(
        "original mapping restored (4E01h)",
        r.is_ok(),
        format_args!("{:?}", r),
    );
    drop(app);
    if let Some(b) = block {
        // SAFETY: our block; nothing is mapped over it any more and nothing
        // refers to it.
        let _ = unsafe { mem::free(b) };
    }
}

/// The pattern byte `i` of an XMS piece.
fn xpat(seed: u8, i: usize) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(seed) ^ (i >> 8) as u8
}

/// Even-length moves from odd offsets of `high`, from and to odd
/// conventional addresses; false (with a failed check each) if one did not
/// read back.
///
/// Out of line so that its two 4 KB buffers are on the stack only while it
/// runs: inlined, they stayed in `main`'s frame under every `workload`
/// (whose `_vheapinit` path needs about 5 KB), and the stack ran down into
/// `.data` over the VMM's own state.
#[inline(never)]
fn odd_moves(log: &mut TestLog, high: &mut XmsBlock) -> bool {
    let mut src = [0u8; 4097];
    let mut dst = [0u8; 4097];
    let mut ok = true;
    for (k, &offset) in [1u32, 16_383, 65_535, 0x2_0001, 256 * 1024 - 4097]
        .iter()
        .enumerate()
    {
        for (i, b) in src.iter_mut().enumerate() {
            *b = xpat(k as u8, i);
        }
        dst.fill(0);
        let r = high
            .write(offset, &src[1..])
            .and(high.read(offset, &mut dst[1..]));
        let same = src[1..] == dst[1..];
        ok &= r.is_ok() && same;
        if r.is_err() || !same {
            log.check(
                "odd-offset move above 16 MB",
                false,
                format_args!("offset {:X}: {:?}, same {}", offset, r, same),
            );
        }
    }
    ok
}

/// XMS above 16 MB: moves at odd offsets, and the VMM there.
fn xms_high(log: &mut TestLog) {
    if !xms::detect() {
        log.note(format_args!("no XMS: above-16 MB part skipped"));
        return;
    }
    let free = xms::query_free_kb();
    log.note(format_args!("XMS free (largest, total) KB: {:?}", free));
    let Ok((largest, _)) = free else { return };
    if largest < 16384 + 1024 {
        log.note(format_args!(
            "less than 17 MB of XMS: above-16 MB part skipped"
        ));
        return;
    }
    // Extended memory starts at 1 MB: 16 MB taken from the bottom leave the
    // next block above the 16 MB line (drivers allocate lowest first).
    let filler = XmsBlock::new(16384);
    let mut high = XmsBlock::new(256);
    let (Ok(_filler), Ok(high)) = (&filler, &mut high) else {
        log.check(
            "allocate 16 MB + 256 KB",
            false,
            format_args!("{:?} {:?}", filler.as_ref().err(), high.as_ref().err()),
        );
        return;
    };
    let at = high.lock();
    log.check(
        "the EMB lies above 16 MB",
        matches!(at, Ok(a) if a >= 0x100_0000),
        format_args!("locked at {:X?}", at),
    );
    let _ = high.unlock();
    let ok = odd_moves(log, high);
    log.check(
        "even moves at odd offsets above 16 MB read back",
        ok,
        format_args!("see above"),
    );
    let src = [0u8; 3];
    log.check_eq(
        "odd length refused",
        high.write(3, &src),
        Err(XmsError::INVALID_LENGTH),
    );
    match workload(XMS, &mut || true) {
        Some(w) => log.check(
            "the VMM swaps above 16 MB",
            w.intact && w.outs[0] > 0,
            format_args!("intact {}, XMS page-outs {}", w.intact, w.outs[0]),
        ),
        None => log.check("vheapinit (XMS)", false, format_args!("failed")),
    };
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let arg = &tail[..n];
    let v86 = cpu::protected_mode();
    log.note(format_args!(
        "running in {} mode",
        if v86 { "V86" } else { "real" }
    ));
    match arg {
        b"v86" => {
            log.check(
                "V86 mode, as the machine says",
                v86,
                format_args!("real mode"),
            );
            // Jemm386 / JemmEx with default options: EMS 4.0 the VMM must use.
            let ready = ems::copy_ready();
            log.check(
                "the V86 EMM (default options) can be copied through",
                ready.is_ok(),
                format_args!("{:?}", ready),
            );
        }
        b"noframe" => {
            log.check(
                "V86 mode, as the machine says",
                v86,
                format_args!("real mode"),
            );
        }
        b"" => {}
        _ => {
            log.check(
                "known argument",
                false,
                format_args!("v86, noframe or none"),
            );
        }
    }
    ems_usability(&mut log, arg == b"noframe");
    ems_mapping(&mut log);
    xms_high(&mut log);
    log.finish()
}
