//! DOS test: the XMS layer (src/dos/xms.rs) against the emulator's driver.
//!
//! With a driver: fails if data written into EMBs (from near buffers, from
//! far conventional memory and from another EMB) does not read back byte for
//! byte, if an odd move length is not refused by the layer, if a resize
//! loses data or a failed one changes the block, if a locked block can be
//! freed or resized, if exhausting handles or memory does not give the
//! spec's error (A1h, A0h) or disturbs other blocks, if sizes of 64 MB and
//! more are ever granted short, or if memory and handles are not all given
//! back. Without one: fails unless every call reports "no driver".
#![no_std]
#![no_main]

use dostests::pieces::{far_round_trip, Pieces};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{self, MoveBlock, XmsAddr, XmsBlock, XmsError, XmsHandle};
use vmemory::dos_main;

dos_main!(main);

/// The byte a pattern with `seed` has at position `i`.
fn pattern(seed: u8, i: u32) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8 ^ (i >> 16) as u8
}

/// The near buffer of a transfer.
const CHUNK: usize = 1024;
/// Fills and checks blocks in pieces of `CHUNK` bytes.
type P = Pieces<CHUNK>;

/// Writes `pattern(seed, i - from)` into bytes `from..to` of the block.
fn fill(blk: &mut XmsBlock, seed: u8, from: u32, to: u32) -> Result<(), XmsError> {
    P::fill(blk, from, to, |i| pattern(seed, i - from))
}

fn absent(log: &mut TestLog) -> u8 {
    log.note(format_args!("no XMS driver (INT 2Fh AX=4300h)"));
    log.check_eq(
        "version without driver",
        xms::version().err(),
        Some(XmsError::NO_DRIVER),
    );
    log.check_eq(
        "query free without driver",
        xms::query_free_kb().err(),
        Some(XmsError::NO_DRIVER),
    );
    log.check_eq(
        "allocate without driver",
        XmsBlock::new(16).err(),
        Some(XmsError::NO_DRIVER),
    );
    let h = XmsHandle::new(1).unwrap();
    log.check_eq(
        "move without driver",
        xms::write(h, 0, &[1, 2]),
        Err(XmsError::NO_DRIVER),
    );
    log.check_eq(
        "info without driver",
        xms::info(h).err(),
        Some(XmsError::NO_DRIVER),
    );
    log.check_eq(
        "free without driver",
        xms::free(h),
        Err(XmsError::NO_DRIVER),
    );
    0
}

fn main() -> u8 {
    let mut log = TestLog::create();
    if !xms::detect() {
        absent(&mut log);
        return log.finish();
    }

    let (ver, rev, hma) = xms::version().unwrap_or((0, 0, false));
    log.note(format_args!(
        "XMS {:x}.{:02x}, driver revision {:x}.{:02x}, HMA {}",
        ver >> 8,
        ver & 0xFF,
        rev >> 8,
        rev & 0xFF,
        hma
    ));
    log.check_eq(
        "3.0 functions used iff version >= 3.00",
        xms::is_v3(),
        ver >= 0x0300,
    );

    let (largest0, total0) = match xms::query_free_kb() {
        Ok(v) => v,
        Err(e) => {
            log.check("query free", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    log.note(format_args!(
        "free: {} KB total, {} KB largest",
        total0, largest0
    ));
    log.check(
        "free memory for the test",
        total0 >= largest0 && largest0 >= 512,
        format_args!("{} / {}", largest0, total0),
    );
    let q16 = xms::query_free();
    log.check(
        "08h agrees with 88h below 64 MB",
        q16.map(|(l, _)| u32::from(l)) == Ok(largest0.min(0xFFFF)),
        format_args!("08h {:?}", q16),
    );

    // Two blocks with distinct patterns.
    let (mut a, mut b) = match (XmsBlock::new(64), XmsBlock::new(100)) {
        (Ok(a), Ok(b)) => (a, b),
        (ra, rb) => {
            log.check(
                "allocate 64 KB and 100 KB",
                false,
                format_args!("{:?} {:?}", ra.err(), rb.err()),
            );
            return log.finish();
        }
    };
    log.check(
        "distinct handles",
        a.handle() != b.handle(),
        format_args!("{:?}", a.handle()),
    );
    let ia = a.info();
    log.check(
        "info of a new block",
        matches!(ia, Ok(i) if i.size_kb == 64 && i.lock_count == 0),
        format_args!("{:?}", ia),
    );
    let free_handles = ia.map(|i| i.free_handles).unwrap_or(0);
    log.note(format_args!(
        "free handles with 2 blocks allocated: {}",
        free_handles
    ));
    let r = fill(&mut a, 0x11, 0, 64 * 1024).and(fill(&mut b, 0x77, 0, 100 * 1024));
    log.check("fill A and B", r.is_ok(), format_args!("{:?}", r));
    P::check(&mut log, "A reads back", &a, 0, 64 * 1024, |i| {
        pattern(0x11, i)
    });
    P::check(&mut log, "B reads back", &b, 0, 100 * 1024, |i| {
        pattern(0x77, i)
    });
    let after = xms::query_free_kb().map(|(_, t)| t).unwrap_or(0);
    log.check(
        "free memory went down",
        after + 164 <= total0,
        format_args!("{} -> {}", total0, after),
    );

    // Far conventional memory -> B -> other conventional memory.
    far_round_trip(
        &mut log,
        "far moves to and from an EMB",
        "far round trip through B",
        40_000,
        |i| pattern(0x3C, i),
        |src, dst| {
            // SAFETY: both are 40000 bytes inside DOS blocks we own, which no
            // Rust reference covers.
            unsafe {
                b.write_from(1000, src, 40_000)
                    .and(b.read_into(1000, dst, 40_000))
            }
        },
    );
    // EMB -> EMB: the first 8 KB of A to B at 50000.
    let r = xms::copy((a.handle(), 0), (b.handle(), 50_000), 8192);
    log.check("EMB to EMB move", r.is_ok(), format_args!("{:?}", r));
    let b_want = |i: u32| match i {
        1000..=40_999 => pattern(0x3C, i - 1000),
        50_000..=58_191 => pattern(0x11, i - 50_000),
        _ => pattern(0x77, i),
    };
    P::check(
        &mut log,
        "B holds all three patterns where written",
        &b,
        0,
        100 * 1024,
        b_want,
    );

    // Odd lengths are refused by the layer, and nothing is written.
    let odd = [0xEEu8; 3];
    log.check_eq(
        "odd write refused",
        a.write(10, &odd),
        Err(XmsError::INVALID_LENGTH),
    );
    let mut odd_in = [0u8; 5];
    log.check_eq(
        "odd read refused",
        a.read(0, &mut odd_in),
        Err(XmsError::INVALID_LENGTH),
    );
    let m = MoveBlock::new(7, XmsAddr::Emb(a.handle(), 0), XmsAddr::Emb(b.handle(), 0));
    // SAFETY: both ends are EMBs; no conventional memory is involved.
    log.check_eq(
        "odd EMB move refused",
        unsafe { xms::move_block(&m) },
        Err(XmsError::INVALID_LENGTH),
    );
    P::check(&mut log, "A unchanged by refused moves", &a, 0, 64, |i| {
        pattern(0x11, i)
    });
    log.check_eq("zero-length move", a.write(0, &[]), Ok(()));

    // Past the end of a block: the driver refuses.
    let r = a.write(64 * 1024 - 2, &[1, 2, 3, 4]);
    log.check(
        "move past the end refused",
        r.is_err(),
        format_args!("{:?}", r),
    );
    log.note(format_args!("move past the end: {:?}", r));

    // Resize: grow A, its data stays, the new part works.
    let r = a.resize(128);
    log.check("grow A to 128 KB", r.is_ok(), format_args!("{:?}", r));
    log.check_eq("A's size after grow", a.info().map(|i| i.size_kb), Ok(128));
    P::check(&mut log, "A's data kept by grow", &a, 0, 64 * 1024, |i| {
        pattern(0x11, i)
    });
    let r = fill(&mut a, 0x22, 64 * 1024, 128 * 1024);
    log.check("fill A's new part", r.is_ok(), format_args!("{:?}", r));
    let a_want = |i: u32| {
        if i < 64 * 1024 {
            pattern(0x11, i)
        } else {
            pattern(0x22, i - 64 * 1024)
        }
    };
    P::check(
        &mut log,
        "A reads back after grow",
        &a,
        0,
        128 * 1024,
        a_want,
    );
    P::check(
        &mut log,
        "B untouched by A's grow",
        &b,
        0,
        100 * 1024,
        b_want,
    );

    // Locks: a locked block can neither be freed nor resized.
    let la = a.lock();
    let lb = b.lock();
    log.check(
        "lock A and B",
        la.is_ok() && lb.is_ok(),
        format_args!("{:?} {:?}", la, lb),
    );
    if let (Ok(la), Ok(lb)) = (la, lb) {
        log.note(format_args!("A at linear {:08X}, B at {:08X}", la, lb));
        let apart = if la < lb {
            lb - la >= 128 * 1024
        } else {
            la - lb >= 100 * 1024
        };
        log.check(
            "locked blocks in extended memory, apart",
            la >= 0x10_0000 && lb >= 0x10_0000 && apart,
            format_args!("{:08X} {:08X}", la, lb),
        );
    }
    log.check_eq("lock count 1", a.info().map(|i| i.lock_count), Ok(1));
    log.check_eq(
        "free of a locked block refused",
        xms::free(a.handle()),
        Err(XmsError::BLOCK_LOCKED),
    );
    log.check_eq(
        "resize of a locked block refused",
        a.resize(256),
        Err(XmsError::BLOCK_LOCKED),
    );
    log.check_eq(
        "size kept by refused resize",
        (a.size_kb(), a.info().map(|i| i.size_kb)),
        (128, Ok(128)),
    );
    P::check(
        &mut log,
        "A intact after refused free",
        &a,
        0,
        128 * 1024,
        a_want,
    );
    let _ = a.lock();
    log.check_eq("lock count 2", a.info().map(|i| i.lock_count), Ok(2));
    let r = a.unlock().and(a.unlock()).and(b.unlock());
    log.check("unlock", r.is_ok(), format_args!("{:?}", r));
    log.check_eq(
        "unlock of an unlocked block",
        a.unlock(),
        Err(XmsError::BLOCK_NOT_LOCKED),
    );
    // Dropping a locked block unlocks and frees it.
    match XmsBlock::new(4) {
        Ok(mut c) => {
            let _ = c.lock();
            let _ = c.lock();
            let h = c.handle();
            drop(c);
            log.check_eq(
                "locked block freed by drop",
                xms::info(h).err(),
                Some(XmsError::INVALID_HANDLE),
            );
            log.check_eq(
                "move into a freed handle",
                xms::write(h, 0, &[1, 2]),
                Err(XmsError::INVALID_DEST_HANDLE),
            );
        }
        Err(e) => {
            log.check("allocate C", false, format_args!("{:?}", e));
        }
    }

    // 64 MB and more: granted in full, or refused; never short.
    let (largest, _) = xms::query_free_kb().unwrap_or((0, 0));
    const BIG: u32 = 65_536 + 64;
    match XmsBlock::new(BIG) {
        Ok(mut big) => {
            log.check_eq(
                "block over 64 MB has its full size",
                big.info().map(|i| i.size_kb),
                Ok(BIG),
            );
            let far_off = 65_536 * 1024 + 100;
            let r =
                fill(&mut big, 0x99, far_off, far_off + 2048).and(fill(&mut big, 0x55, 0, 2048));
            log.check("write beyond 64 MB", r.is_ok(), format_args!("{:?}", r));
            P::check(
                &mut log,
                "data beyond 64 MB reads back",
                &big,
                far_off,
                far_off + 2048,
                |i| pattern(0x99, i - far_off),
            );
            P::check(&mut log, "data at 0 of the big block", &big, 0, 2048, |i| {
                pattern(0x55, i)
            });
            log.note(format_args!("89h granted {} KB", BIG));
        }
        Err(e) => {
            let ok =
                e == XmsError::SIZE_TOO_LARGE || (e == XmsError::OUT_OF_MEMORY && largest < BIG);
            log.check(
                "block over 64 MB refused cleanly",
                ok,
                format_args!("{:?} with {} KB largest free", e, largest),
            );
            log.note(format_args!(
                "89h with {} KB: {:?} ({} KB largest free)",
                BIG, e, largest
            ));
        }
    }
    let r = a.resize(BIG);
    log.note(format_args!("grow A to {} KB: {:?}", BIG, r));
    match r {
        Ok(()) => {
            log.check_eq("A's size over 64 MB", a.info().map(|i| i.size_kb), Ok(BIG));
            P::check(
                &mut log,
                "A's data kept by grow over 64 MB",
                &a,
                0,
                128 * 1024,
                a_want,
            );
            let r = a.resize(128);
            log.check(
                "shrink A back to 128 KB",
                r.is_ok(),
                format_args!("{:?}", r),
            );
        }
        Err(e) => {
            let ok = e == XmsError::SIZE_TOO_LARGE || e == XmsError::OUT_OF_MEMORY;
            log.check(
                "grow over 64 MB refused cleanly",
                ok,
                format_args!("{:?}", e),
            );
        }
    }
    log.check_eq(
        "A's size after the big resize",
        (a.size_kb(), a.info().map(|i| i.size_kb)),
        (128, Ok(128)),
    );
    P::check(
        &mut log,
        "A's data after the big resize",
        &a,
        0,
        128 * 1024,
        a_want,
    );

    // Exhaust handles: A1h, and every handle the driver said was free.
    let free_handles = a.info().map(|i| i.free_handles).unwrap_or(0);
    const MAX_HELD: usize = 300;
    let mut held: [Option<XmsBlock>; MAX_HELD] = [const { None }; MAX_HELD];
    let mut n = 0;
    let err = loop {
        if n == MAX_HELD {
            break None;
        }
        match XmsBlock::new(1) {
            Ok(h) => {
                held[n] = Some(h);
                n += 1;
            }
            Err(e) => break Some(e),
        }
    };
    log.note(format_args!(
        "handles: {} allocated until {:?}; driver said {} free",
        n, err, free_handles
    ));
    match err {
        Some(XmsError::OUT_OF_HANDLES) => {
            log.check_eq(
                "every free handle could be allocated",
                n,
                usize::from(free_handles),
            );
            log.check_eq(
                "no free handles left",
                a.info().map(|i| i.free_handles),
                Ok(0),
            );
        }
        Some(XmsError::OUT_OF_MEMORY) => {
            let l = xms::query_free_kb().map(|(l, _)| l);
            log.check(
                "memory ran out before handles",
                l == Ok(0),
                format_args!("{:?}", l),
            );
        }
        e => {
            log.check(
                "handle exhaustion gives A1h",
                false,
                format_args!("{:?} after {}", e, n),
            );
        }
    }
    P::check(
        &mut log,
        "A intact after handle exhaustion",
        &a,
        0,
        128 * 1024,
        a_want,
    );
    P::check(
        &mut log,
        "B intact after handle exhaustion",
        &b,
        0,
        100 * 1024,
        b_want,
    );
    for slot in held.iter_mut() {
        *slot = None;
    }
    log.check_eq(
        "handles given back",
        a.info().map(|i| i.free_handles),
        Ok(free_handles),
    );

    // Exhaust memory: A0h, other blocks intact, then all given back.
    let total_before = xms::query_free_kb().map(|(_, t)| t).unwrap_or(0);
    let mut n = 0;
    while n < 16 {
        match xms::query_free_kb() {
            Ok((l, _)) if l > 0 => match XmsBlock::new(l) {
                Ok(h) => {
                    held[n] = Some(h);
                    n += 1;
                }
                Err(e) => {
                    log.check(
                        "allocate the largest free block",
                        false,
                        format_args!("{} KB: {:?}", l, e),
                    );
                    break;
                }
            },
            _ => break,
        }
    }
    log.note(format_args!(
        "memory: {} blocks took {} KB",
        n, total_before
    ));
    log.check_eq("nothing left", xms::query_free_kb(), Ok((0, 0)));
    log.check_eq(
        "allocate with no memory left",
        XmsBlock::new(4).err(),
        Some(XmsError::OUT_OF_MEMORY),
    );
    log.check_eq(
        "grow with no memory left",
        a.resize(256),
        Err(XmsError::OUT_OF_MEMORY),
    );
    P::check(
        &mut log,
        "A intact when memory is exhausted",
        &a,
        0,
        128 * 1024,
        a_want,
    );
    P::check(
        &mut log,
        "B intact when memory is exhausted",
        &b,
        0,
        100 * 1024,
        b_want,
    );
    for slot in held.iter_mut() {
        *slot = None;
    }
    log.check_eq(
        "memory given back",
        xms::query_free_kb().map(|(_, t)| t),
        Ok(total_before),
    );

    // Free everything: the driver has what it had at the start.
    let ha = a.handle();
    drop(a);
    drop(b);
    log.check_eq(
        "freed handle is invalid",
        xms::info(ha).err(),
        Some(XmsError::INVALID_HANDLE),
    );
    log.check_eq(
        "all memory given back",
        xms::query_free_kb(),
        Ok((largest0, total0)),
    );
    log.finish()
}
