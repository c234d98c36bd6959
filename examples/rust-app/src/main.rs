//! A small DOS program with vmemory as a dependency: `Vec` and `String`
//! in the program's near heap, 120 KB of numbers in a growable array in
//! the virtual heap (about twice the program's whole 64 KiB segment), and
//! a record of its own type in a block. It records its checks in
//! RESULT.TXT (`COMPLETE <passed> <failed>` last), so the test suite can
//! run it; exit code 0 only if they all passed.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use vmemory::dos::testlog::TestLog;
use vmemory::near_heap::NearHeap;
use vmemory::vm::{Config, Dirty, Plain, VArray, VHeap};
use vmemory::{dos_main, println};

dos_main!(main);

/// `Vec`, `Box` and `String` live in the free part of the program segment.
#[global_allocator]
static HEAP: NearHeap = NearHeap::empty();

/// A record of our own, stored in a block.
#[derive(Clone, Copy, PartialEq)]
#[repr(C)]
struct Record {
    id: u32,
    score: i32,
}

// SAFETY: two 32-bit fields, no padding; every bit pattern is a Record.
unsafe impl Plain for Record {}

const COUNT: u32 = 30_000;

fn main() -> u8 {
    let mut log = TestLog::create();
    let near_bytes = HEAP.init(NearHeap::DEFAULT_STACK_BYTES).expect("near heap");
    let words: Vec<String> = (1..=3).map(|i| format!("word{i}")).collect();
    println!("near heap {} bytes; {}", near_bytes, words.join(" "));
    log.check_eq("Vec of Strings", words.concat().len(), 15);

    // The cache: 16 KiB of conventional memory; the rest swaps to XMS,
    // EMS or a file in %TMP%.
    let config = Config {
        dos_min_paras: 256,
        dos_max_paras: 1024,
        ..Config::default()
    };
    let mut heap = VHeap::init(config).expect("_vheapinit");

    // A growable array: it commits a 4 KB block each time it grows into
    // a new page (30 pages here; 100 reserved).
    let mut squares: VArray<u32, 100> = VArray::new();
    for i in 0..COUNT {
        squares.push(&mut heap, i.wrapping_mul(i)).expect("push");
    }
    let wrong = (0..COUNT)
        .filter(|&i| squares.get(&mut heap, i) != Ok(i.wrapping_mul(i)))
        .count();
    log.check_eq("30,000 squares read back", wrong, 0);
    log.check_eq("pages committed", squares.committed_pages(), 30);

    // A typed value in a block: bounds-checked at every access.
    let h = heap.alloc(64).expect("_vmalloc");
    let record = Record { id: 7, score: -3 };
    heap.load(h, Dirty::Yes)
        .and_then(|mut b| b.write_val(56, record))
        .expect("write_val");
    let back = heap
        .load(h, Dirty::No)
        .and_then(|b| b.read_val::<Record>(56));
    log.check(
        "record read back",
        back == Ok(record),
        format_args!("differs"),
    );
    let past_end = heap
        .load(h, Dirty::No)
        .and_then(|b| b.read_val::<Record>(60));
    log.check(
        "read past the end refused",
        past_end.is_err(),
        format_args!("allowed"),
    );

    squares.free(&mut heap);
    heap.free(h).expect("_vfree");
    log.finish() // _vheapterm when `heap` goes out of scope
}
