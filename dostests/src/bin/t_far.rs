//! DOS test: far memory primitives across two separate DOS memory blocks.
//!
//! Fails if a far write/read, a far-to-far copy or a fill between two DOS
//! memory blocks does not round-trip byte for byte, or if the blocks are not
//! really distinct memory.
#![no_std]
#![no_main]

use vmemory::dos::far::FarPtr;
use vmemory::dos::mem::{self, DosBlock, Paragraphs};
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;

dos_main!(main);

fn pattern(seed: u8, i: usize) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let free_before = mem::largest_free();
    log.note(format_args!(
        "largest free block {} paragraphs",
        free_before.0
    ));

    // Two blocks of 40000 bytes each: bigger than any near buffer, and
    // together more than one 64 KiB segment.
    let size = Paragraphs::for_bytes(40_000).unwrap();
    let (mut a, mut b) = match (DosBlock::new(size), DosBlock::new(size)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            log.check("allocate two blocks", false, format_args!("DOS refused"));
            return log.finish();
        }
    };
    log.check(
        "blocks are distinct",
        a.segment() != b.segment(),
        format_args!("same segment"),
    );
    let gap = (a.segment().value() as i32 - b.segment().value() as i32).unsigned_abs();
    log.check(
        "blocks do not overlap",
        gap >= u32::from(size.0),
        format_args!("gap {}", gap),
    );

    // Write a pattern into A through near->far writes, 1000 bytes at a time.
    let mut buf = [0u8; 1000];
    for chunk in 0..40 {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte = pattern(0x5A, chunk * 1000 + i);
        }
        a.write(chunk as u32 * 1000, &buf);
    }
    // And a different one into B, then check A is untouched.
    for chunk in 0..40 {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte = pattern(0xC3, chunk * 1000 + i);
        }
        b.write(chunk as u32 * 1000, &buf);
    }
    let verify = |blk: &DosBlock, seed: u8, buf: &mut [u8; 1000]| -> Option<usize> {
        for chunk in 0..40 {
            blk.read(chunk as u32 * 1000, buf);
            for (i, &byte) in buf.iter().enumerate() {
                if byte != pattern(seed, chunk * 1000 + i) {
                    return Some(chunk * 1000 + i);
                }
            }
        }
        None
    };
    let bad = verify(&a, 0x5A, &mut buf);
    log.check(
        "near->far->near round trip, block A",
        bad.is_none(),
        format_args!("first bad byte at {:?}", bad),
    );
    let bad = verify(&b, 0xC3, &mut buf);
    log.check(
        "near->far->near round trip, block B",
        bad.is_none(),
        format_args!("first bad byte at {:?}", bad),
    );

    // Far-to-far copy of all of A over B, in 16 KB pieces, then B must read as A.
    let total: u32 = 40_000;
    let mut done = 0u32;
    while done < total {
        let n = (total - done).min(16_384) as u16;
        let src = a.ptr(done, n as usize).unwrap();
        let dst = b.ptr(done, n as usize).unwrap();
        // SAFETY: both ranges lie inside blocks we own (checked by `ptr`) and
        // are normalised; the blocks are distinct, so they do not overlap.
        unsafe { src.copy_to(dst, n) };
        done += u32::from(n);
    }
    let bad = verify(&b, 0x5A, &mut buf);
    log.check(
        "far->far copy A to B",
        bad.is_none(),
        format_args!("first bad byte at {:?}", bad),
    );

    // Fill part of A; bytes around it must stay.
    let p = a.ptr(20_000, 300).unwrap();
    // SAFETY: inside block A, which no Rust reference covers.
    unsafe { p.fill(0xEE, 300) };
    let mut small = [0u8; 302];
    a.read(19_999, &mut small);
    let fill_ok = small[0] == pattern(0x5A, 19_999)
        && small[1..301].iter().all(|&x| x == 0xEE)
        && small[301] == pattern(0x5A, 20_300);
    log.check(
        "far fill with intact neighbours",
        fill_ok,
        format_args!("{:?}", &small[..4]),
    );

    // Segment arithmetic: a pointer with a large offset and its normalised
    // form must reach the same byte.
    let raw = FarPtr::new(a.segment(), 0x1234);
    let norm = raw.normalized();
    // SAFETY: offset 1234h is inside block A (40000 bytes).
    let (x, y) = unsafe { (raw.read_u8(), norm.read_u8()) };
    log.check(
        "normalised pointer reaches the same byte",
        x == y && norm.off < 16,
        format_args!("{} vs {}", x, y),
    );

    // Bounds checks of the safe accessors.
    log.check(
        "read past the block refused",
        !a.read(39_999, &mut [0u8; 2]),
        format_args!("accepted"),
    );

    // Resize and free: DOS gets the memory back.
    let grow = Paragraphs(size.0 / 2);
    log.check(
        "shrink block B",
        b.resize(grow).is_ok(),
        format_args!("refused"),
    );
    drop(a);
    drop(b);
    log.check_eq("all memory returned", mem::largest_free(), free_before);
    log.finish()
}
