//! The checks of what a dependent Rust program gets from vmemory, in
//! detail (APPCHECK.EXE; `src/main.rs` is the small program the README
//! shows): the near heap (`Vec`, `String`, `Box`, its bounds, memory given
//! back, the cache taking all DOS memory beside it), typed access to
//! blocks with its bounds checks across a swap, and `VArray` (commit as it
//! grows, decommit on truncate and pop, the reservation's limit).
//!
//! Each check goes to RESULT.TXT; the last line is `COMPLETE <passed>
//! <failed>`. Exit code 0 only if every check passed.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use vmemory::dos::testlog::TestLog;
use vmemory::dos::Segment;
use vmemory::near_heap::{NearHeap, NearHeapError};
use vmemory::vm::{Config, Dirty, Error, Plain, VArray, VHeap};
use vmemory::{dos_main, println};

dos_main!(main);

/// `Vec`, `Box` and `String` live here: the free part of the program's own
/// segment, between `.bss` and the stack.
#[global_allocator]
static HEAP: NearHeap = NearHeap::empty();

/// A record kept in the virtual heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
struct Point {
    x: i32,
    y: i32,
}

// SAFETY: two i32 fields, no padding; every bit pattern is a Point.
unsafe impl Plain for Point {}

/// Elements of the big array: 32,000 x 4 bytes = 125 KiB, twice the
/// program's whole segment.
const BIG_LEN: u32 = 32_000;

/// The value element `i` of the big array holds.
fn big_value(i: u32) -> u32 {
    i.wrapping_mul(2_654_435_761) ^ 0x5A5A
}

fn main() -> u8 {
    let mut log = TestLog::create();

    // 1. The near heap: the segment's free space above .bss.
    let heap_bytes = match HEAP.init(NearHeap::DEFAULT_STACK_BYTES) {
        Ok(n) => n,
        Err(e) => {
            log.check("near heap init", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    log.note(format_args!("near heap: {} bytes", heap_bytes));
    log.check(
        "near heap init twice refused",
        HEAP.init(NearHeap::DEFAULT_STACK_BYTES) == Err(NearHeapError::AlreadyInitialized),
        format_args!("not refused"),
    );
    let used_at_start = HEAP.used();
    {
        // As many squares as a quarter of the heap holds (at most 1000):
        // the heap shrinks as the program (and vmemory in it) grows.
        let n = (heap_bytes / 16).min(1000) as u32;
        let squares: Vec<u32> = (0..n).map(|i| i * i).collect();
        let sum: u64 = squares.iter().map(|&s| u64::from(s)).sum();
        let want =
            u64::from(n) * u64::from(n.saturating_sub(1)) * u64::from(2 * n).saturating_sub(1) / 6;
        log.check(
            "Vec of squares",
            n >= 100 && sum == want,
            format_args!("{} squares, sum {} want {}", n, sum, want),
        );
        let text: String = format!("{} blocks of {} bytes", 3, 4096);
        log.check(
            "String",
            text == "3 blocks of 4096 bytes",
            format_args!("{}", text),
        );
        let boxed = Box::new(Point { x: -7, y: 9 });
        log.check(
            "Box",
            *boxed == Point { x: -7, y: 9 },
            format_args!("{} {}", boxed.x, boxed.y),
        );
        let mut too_big: Vec<u8> = Vec::new();
        log.check(
            "allocation larger than the heap is refused",
            too_big.try_reserve(heap_bytes + 1).is_err(),
            format_args!("try_reserve({}) succeeded", heap_bytes + 1),
        );
    }
    log.check(
        "near heap given back",
        HEAP.used() == used_at_start,
        format_args!("{} bytes in use, {} before", HEAP.used(), used_at_start),
    );

    // 2. The cache takes all the DOS memory there is, and the near heap
    //    keeps working: the cache is a DOS block outside our segment.
    match VHeap::init(Config {
        dos_max_paras: 0,
        ..Config::default()
    }) {
        Ok(vheap) => {
            let cache = vheap.status().seg_vm_dos;
            let ours = Segment::data().value();
            log.check(
                "cache outside the program segment",
                u32::from(cache) >= u32::from(ours) + 0x1000,
                format_args!("cache at {:04X}, program at {:04X}", cache, ours),
            );
            let v: Vec<u8> = alloc::vec![0xA5; 4096];
            log.check(
                "near heap with all DOS memory in the cache",
                v.iter().all(|&b| b == 0xA5),
                format_args!("bad bytes"),
            );
        }
        Err(e) => {
            log.check("VHeap::init all DOS", false, format_args!("{:?}", e));
        }
    }

    // 3. A small cache (16 KiB), so the rest must swap.
    let mut vheap = match VHeap::init(Config {
        dos_min_paras: 256,
        dos_max_paras: 1024,
        ..Config::default()
    }) {
        Ok(h) => h,
        Err(e) => {
            log.check("VHeap::init 16 KiB", false, format_args!("{:?}", e));
            return log.finish();
        }
    };
    typed_access(&mut log, &mut vheap);
    big_array(&mut log, &mut vheap);
    drop(vheap);
    log.finish()
}

/// Records check `name`: passed if `got == want` (for results whose
/// `Debug` output would cost more code than it is worth here).
fn expect<T: PartialEq>(log: &mut TestLog, name: &str, got: T, want: T) -> bool {
    log.check(name, got == want, format_args!("unexpected result"))
}

/// Values and slices of `Plain` types at byte offsets, bounds-checked.
fn typed_access(log: &mut TestLog, vheap: &mut VHeap) {
    let h = match vheap.alloc(100) {
        Ok(h) => h,
        Err(e) => {
            log.check("alloc 100", false, format_args!("{:?}", e));
            return;
        }
    };
    let size = vheap.size(h).unwrap_or(0);
    let results = vheap.load(h, Dirty::Yes).map(|mut b| {
        let last = b.write_val::<u32>(size - 4, 0xDEAD_BEEF);
        let past_end = b.write_val::<u32>(size - 3, 1);
        let point = b.write_val(8, Point { x: 3, y: -4 });
        let words = b.write_slice(20, &[1u16, 2, 3, 4, 5]);
        (last, past_end, point, words)
    });
    log.check(
        "write_val, write_slice; one past the end refused",
        results == Ok((Ok(()), Err(Error::BadSize), Ok(()), Ok(()))),
        format_args!("unexpected result"),
    );
    // Push the block out of the cache and back.
    let mut filler = VArray::<u8, 16>::new();
    let piece = [0x11u8; 1000];
    for _ in 0..40 {
        let _ = filler.extend_from_slice(vheap, &piece);
    }
    filler.free(vheap);
    let back = vheap.load(h, Dirty::No).map(|b| {
        let mut words = [0u16; 5];
        let words_ok = b.read_slice(20, &mut words).map(|()| words);
        (
            b.read_val::<u32>(size - 4),
            b.read_val::<Point>(8),
            words_ok,
            b.read_val::<u8>(size),
            b.get::<u32>(size / 4 - 1),
        )
    });
    log.check(
        "read back after a swap; reads past the end refused",
        back == Ok((
            Ok(0xDEAD_BEEF),
            Ok(Point { x: 3, y: -4 }),
            Ok([1, 2, 3, 4, 5]),
            Err(Error::BadSize),
            Ok(0xDEAD_BEEF),
        )),
        format_args!("unexpected result"),
    );
    let _ = vheap.free(h);
}

/// A `VArray` of 125 KiB through the 16 KiB cache.
fn big_array(log: &mut TestLog, vheap: &mut VHeap) {
    // 40 pages of 1024 elements reserved: 40,960 elements at most.
    let mut big = VArray::<u32, 40>::new();
    log.check_eq("nothing committed at first", big.committed_pages(), 0);
    let mut chunk = [0u32; 500];
    let mut ok = Ok(());
    let mut i = 0;
    while i < BIG_LEN && ok.is_ok() {
        for (k, slot) in chunk.iter_mut().enumerate() {
            *slot = big_value(i + k as u32);
        }
        ok = big.extend_from_slice(vheap, &chunk);
        i += chunk.len() as u32;
    }
    expect(log, "extend to 32,000 elements", ok, Ok(()));
    log.check_eq("length", big.len(), BIG_LEN);
    log.check_eq(
        "pages committed as it grew",
        big.committed_pages(),
        BIG_LEN.div_ceil(VArray::<u32, 40>::PER_PAGE) as usize,
    );
    let mut bad = 0u32;
    let mut i = 0;
    while i < BIG_LEN {
        let n = (BIG_LEN - i).min(chunk.len() as u32) as usize;
        match big.read_into(vheap, i, &mut chunk[..n]) {
            Ok(()) => {
                bad += chunk[..n]
                    .iter()
                    .enumerate()
                    .filter(|&(k, &v)| v != big_value(i + k as u32))
                    .count() as u32
            }
            Err(_) => bad += n as u32,
        }
        i += n as u32;
    }
    log.check_eq("every element read back", bad, 0);
    expect(log, "set", big.set(vheap, 12_345, 7), Ok(()));
    expect(log, "get", big.get(vheap, 12_345), Ok(7));
    expect(
        log,
        "get past the end",
        big.get(vheap, BIG_LEN),
        Err(Error::BadSize),
    );
    let per_page = VArray::<u32, 40>::PER_PAGE;
    big.truncate(vheap, 2 * per_page + 1);
    log.check_eq("truncate frees pages", big.committed_pages(), 3);
    expect(
        log,
        "pop",
        big.pop(vheap),
        Ok(Some(big_value(2 * per_page))),
    );
    log.check_eq("pop frees the emptied page", big.committed_pages(), 2);
    // Fill the reservation, then one more.
    let mut filled = Ok(());
    while big.len() < big.capacity() && filled.is_ok() {
        filled = big.push(vheap, big.len());
    }
    expect(log, "fill the reservation", filled, Ok(()));
    expect(
        log,
        "push beyond the reservation refused",
        big.push(vheap, 0),
        Err(Error::NoRoom),
    );
    expect(
        log,
        "still intact",
        big.get(vheap, big.capacity() - 1),
        Ok(big.capacity() - 1),
    );
    big.free(vheap);
    println!("rust-app: done");
}
