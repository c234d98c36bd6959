//! DOS test: the VMM through the MSC-shaped functions of `vmemory::heap`.
//!
//! Fills a virtual heap far larger than its cache with blocks of mixed sizes
//! (so blocks are swapped out and back in through whatever stores the
//! configuration has), checks every byte, and checks the documented
//! failure values for bad input.
#![no_std]
#![no_main]

use vmemory::dos::far::FarPtr;
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;
use vmemory::heap;

dos_main!(main);

const VM_ALLSWAP: u16 = 7;
/// Cache size: 128 KiB (8192 paragraphs): small on purpose, but room for a
/// 65530-byte block next to the cache's own bookkeeping.
const CACHE_PARAS: u16 = 8192;

fn size_of_block(i: u32) -> u32 {
    // Mixed sizes: mostly small, some large, a few of the maximum.
    match i % 7 {
        0 => 65530,
        1 => 17,
        2 => 4000,
        3 => 1,
        4 => 30000,
        5 => 256,
        _ => 1000 + (i * 37) % 9000,
    }
}

fn byte(h: u32, i: u32) -> u8 {
    (h.wrapping_mul(0x9E37_79B9) ^ i.wrapping_mul(0x85EB_CA6B)).rotate_left(i % 31) as u8
}

/// Writes the pattern of block `h` (size `n`) through a far pointer.
fn fill(p: FarPtr, h: u32, n: u32) {
    let mut buf = [0u8; 512];
    let mut done = 0;
    while done < n {
        let k = (n - done).min(512);
        for j in 0..k {
            buf[j as usize] = byte(h, done + j);
        }
        // SAFETY: `p` is the `_vload` pointer of a block of `n` bytes, valid
        // until the next VMM call; blocks start at offset 0 of their segment.
        unsafe { p.offset(done).unwrap().write_bytes(&buf[..k as usize]) };
        done += k;
    }
}

/// Checks the pattern; returns the first bad offset.
fn verify(p: FarPtr, h: u32, n: u32) -> Option<u32> {
    let mut buf = [0u8; 512];
    let mut done = 0;
    while done < n {
        let k = (n - done).min(512);
        // SAFETY: as in `fill`.
        unsafe { p.offset(done).unwrap().read_bytes(&mut buf[..k as usize]) };
        if let Some(j) = (0..k).find(|&j| buf[j as usize] != byte(h, done + j)) {
            return Some(done + j);
        }
        done += k;
    }
    None
}

fn main() -> u8 {
    let mut log = TestLog::create();

    // Before init: every call fails with its documented value.
    log.check_eq("vmalloc before init", heap::vmalloc(100), 0);
    log.check_eq(
        "vload before init",
        heap::vload(0x0010_0001, 0),
        FarPtr::NULL,
    );
    log.check_eq("vmsize before init", heap::vmsize(0x0010_0001), 0);

    log.check_eq(
        "dosmin too large",
        heap::vheapinit(0xF000, 0xF000, VM_ALLSWAP),
        0,
    );
    log.check(
        "init",
        heap::vheapinit(0, CACHE_PARAS, VM_ALLSWAP) != 0,
        format_args!("failed"),
    );
    log.check_eq(
        "second init refused",
        heap::vheapinit(0, CACHE_PARAS, VM_ALLSWAP),
        0,
    );
    let st = heap::status();
    log.note(format_args!("status after init: {:?}", st));
    log.check_eq("fVmInitialized", st.f_vm_initialized, 1);
    log.check_eq("cPageDos", st.c_page_dos, CACHE_PARAS / 256);

    // Bad sizes.
    log.check_eq("vmalloc(0)", heap::vmalloc(0), 0);
    log.check_eq("vmalloc(65531)", heap::vmalloc(65531), 0);
    log.check_eq("vmalloc(4 GB)", heap::vmalloc(0xFFFF_FFFF), 0);

    // Fill: about 1.5 MB in mixed blocks, 12x the cache.
    const N: usize = 80;
    let mut handles = [0u32; N];
    let mut sizes = [0u32; N];
    let mut total = 0u32;
    let mut alloc_ok = true;
    let mut zero_ok = true;
    for i in 0..N {
        let n = size_of_block(i as u32);
        let h = heap::vmalloc(n);
        if h == 0 {
            alloc_ok = false;
            log.check(
                "vmalloc",
                false,
                format_args!("block {} of {} bytes failed", i, n),
            );
            break;
        }
        handles[i] = h;
        sizes[i] = n;
        total += n;
        let p = heap::vload(h, 1);
        if p.is_null() {
            alloc_ok = false;
            log.check("vload dirty", false, format_args!("block {} NULL", i));
            break;
        }
        // A fresh block reads as zeros (sample its first bytes).
        let mut head = [0xFFu8; 16];
        // SAFETY: `p` points to at least `n` >= 1 bytes; read min(n,16).
        unsafe { p.read_bytes(&mut head[..n.min(16) as usize]) };
        zero_ok &= head[..n.min(16) as usize].iter().all(|&b| b == 0);
        fill(p, h, n);
    }
    log.check(
        "allocate and write every block",
        alloc_ok,
        format_args!("see above"),
    );
    log.check(
        "fresh blocks read as zeros",
        zero_ok,
        format_args!("nonzero"),
    );
    log.note(format_args!(
        "{} blocks, {} bytes, cache {} bytes",
        N,
        total,
        u32::from(CACHE_PARAS) * 16
    ));
    log.check(
        "vmsize >= asked",
        (0..N).all(|i| heap::vmsize(handles[i]) >= sizes[i]),
        format_args!("smaller"),
    );

    // Read everything back, twice, in different orders.
    let mut bad = None;
    for pass in 0..2 {
        for k in 0..N {
            let i = if pass == 0 { k } else { (k * 37) % N };
            let p = heap::vload(handles[i], 0);
            if p.is_null() {
                bad = Some((i, u32::MAX));
                break;
            }
            if let Some(off) = verify(p, handles[i], sizes[i]) {
                bad = Some((i, off));
                break;
            }
        }
    }
    log.check(
        "every block reads back intact",
        bad.is_none(),
        format_args!("block, offset {:?}", bad),
    );
    let st = heap::status();
    log.note(format_args!("status after fill: {:?}", st));
    log.check(
        "swap space in use",
        st.c_vm_page > 0,
        format_args!("cVmPage 0"),
    );

    // Locks.
    let h = handles[3];
    let p1 = heap::vlock(h);
    log.check("vlock", !p1.is_null(), format_args!("NULL"));
    log.check_eq("lock count 1", heap::vlockcnt(h), 1);
    // Loading every other block must not move the locked one.
    for &o in handles.iter() {
        heap::vload(o, 0);
    }
    log.check_eq("locked block did not move", heap::vload(h, 0), p1);
    heap::vfree(h);
    log.check_eq("free of a locked block refused", heap::vlockcnt(h), 1);
    heap::vunlock(h, 0);
    log.check_eq("unlocked", heap::vlockcnt(h), 0);
    heap::vunlock(h, 0);
    log.check_eq(
        "unlock of unlocked block changes nothing",
        heap::vlockcnt(h),
        0,
    );
    let mut lock_ok = true;
    for _ in 0..255 {
        lock_ok &= !heap::vlock(h).is_null();
    }
    log.check("255 nested locks", lock_ok, format_args!("refused"));
    log.check_eq("256th lock fails", heap::vlock(h), FarPtr::NULL);
    log.check_eq("lock count stays 255", heap::vlockcnt(h), 255);
    for _ in 0..255 {
        heap::vunlock(h, 0);
    }
    log.check_eq("all unlocked", heap::vlockcnt(h), 0);

    // Realloc keeps contents up to the smaller size.
    let h = handles[2]; // 4000 bytes
    let h2 = heap::vrealloc(h, 9000);
    log.check("vrealloc grow", h2 != 0, format_args!("failed"));
    if h2 != 0 {
        handles[2] = h2;
        let p = heap::vload(h2, 0);
        log.check(
            "vrealloc keeps contents",
            verify(p, h, 4000).is_none(),
            format_args!("changed"),
        );
    }

    // Free everything; freed handles are invalid.
    for &h in handles.iter() {
        heap::vfree(h);
    }
    log.check_eq("freed handle size 0", heap::vmsize(handles[0]), 0);
    log.check_eq(
        "freed handle vload NULL",
        heap::vload(handles[0], 0),
        FarPtr::NULL,
    );
    log.check_eq("forged handle", heap::vmsize(handles[1] ^ 0x0100_0000), 0);
    heap::vheapterm();
    let st = heap::status();
    log.check_eq("fVmInitialized after term", st.f_vm_initialized, 0);
    log.check_eq("fhVm after term", st.fh_vm, -1);
    log.check_eq("vmalloc after term", heap::vmalloc(10), 0);
    // A second init/term cycle works; old handles stay invalid.
    log.check(
        "re-init",
        heap::vheapinit(0, CACHE_PARAS, VM_ALLSWAP) != 0,
        format_args!("failed"),
    );
    log.check_eq("handle from earlier cycle", heap::vmsize(handles[5]), 0);
    heap::vheapterm();
    log.finish()
}
