//! `examples/vmall.c` in Rust: every MSC function, through the same
//! functions the C library's shim calls (`vmemory::heap`), as a DOS program
//! (`VMALL.EXE`). Records its checks in RESULT.TXT for the test harness.
#![no_std]
#![no_main]

use vmemory::dos::far::FarPtr;
use vmemory::dos::testlog::TestLog;
use vmemory::heap::{self, Status};
use vmemory::vmm::{VM_ALLSWAP, VM_NULL};
use vmemory::{dos_main, println};

dos_main!(main);

const CLEAN: u16 = 0;
const DIRTY: u16 = 1;
const TEXT: &[u8] = b"Hello from virtual memory\0";

fn status(when: &str, s: Status) {
    println!(
        "     status {}: cPageDos={} fVmSwapping={} fVmDisableDisk={} fhVm={} fVmDisableEms={} \
         fVmDisableXms={} segVmDos={:04X} cVmPage={} fVmInitialized={}",
        when,
        s.c_page_dos,
        s.f_vm_swapping,
        s.f_vm_disable_disk,
        s.fh_vm,
        s.f_vm_disable_ems,
        s.f_vm_disable_xms,
        s.seg_vm_dos,
        s.c_vm_page,
        s.f_vm_initialized
    );
}

fn pattern(i: usize, j: usize) -> u8 {
    (i + j * 3) as u8
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let mut check = |ok: bool, what: &str| {
        log.check(what, ok, format_args!(""));
    };

    check(heap::vlockcnt(1) == 0, "_vlockcnt before _vheapinit is 0");
    check(
        heap::vheapinit(0, 1024, VM_ALLSWAP) != 0,
        "_vheapinit(0, 1024, _VM_ALLSWAP)",
    );
    status("after _vheapinit", heap::status());
    check(
        heap::status().f_vm_initialized != 0,
        "fVmInitialized is set",
    );

    let h = heap::vmalloc(1000);
    check(h != VM_NULL, "_vmalloc(1000)");
    let size = heap::vmsize(h);
    check((1000..=65530).contains(&size), "_vmsize >= 1000");
    check(heap::vmalloc(65531) == VM_NULL, "_vmalloc(65531) fails");

    let p = heap::vload(h, DIRTY);
    check(!p.is_null(), "_vload(h, _VM_DIRTY)");
    let mut buf = [0u8; 1000];
    // SAFETY: `p` points to the loaded block of 1000 bytes (or more), valid
    // until the next VMM call; no Rust reference covers it.
    unsafe { p.read_bytes(&mut buf) };
    check(buf.iter().all(|&b| b == 0), "a fresh block reads as zeros");
    // SAFETY: as above.
    unsafe { p.write_bytes(TEXT) };

    let q = heap::vlock(h);
    check(!q.is_null(), "_vlock(h)");
    check(heap::vlockcnt(h) == 1, "_vlockcnt(h) == 1");
    let mut t = [0u8; TEXT.len()];
    // SAFETY: the block is locked at `q`.
    unsafe { q.read_bytes(&mut t) };
    check(t == *TEXT, "locked block holds the text");
    heap::vunlock(h, DIRTY);
    check(heap::vlockcnt(h) == 0, "_vunlock: _vlockcnt(h) == 0");

    let mut many = [VM_NULL; 64];
    let mut block = [0u8; 4000];
    let mut written = 0;
    for (i, m) in many.iter_mut().enumerate() {
        *m = heap::vmalloc(4000);
        let p = heap::vload(*m, DIRTY);
        if *m == VM_NULL || p.is_null() {
            break;
        }
        for (j, b) in block.iter_mut().enumerate() {
            *b = pattern(i, j);
        }
        // SAFETY: `p` is the loaded 4000-byte block.
        unsafe { p.write_bytes(&block) };
        written += 1;
    }
    check(
        written == 64,
        "64 blocks of 4000 bytes allocated and written",
    );
    let mut good = true;
    for (i, &m) in many.iter().enumerate() {
        let p = heap::vload(m, CLEAN);
        if p.is_null() {
            good = false;
            continue;
        }
        // SAFETY: `p` is the loaded 4000-byte block.
        unsafe { p.read_bytes(&mut block) };
        good &= block.iter().enumerate().all(|(j, &b)| b == pattern(i, j));
    }
    check(good, "every block reads back after swapping");
    status("while swapping", heap::status());

    let h2 = heap::vrealloc(h, 3000);
    check(h2 != VM_NULL, "_vrealloc(h, 3000)");
    check(heap::vmsize(h2) >= 3000, "_vmsize >= 3000 after _vrealloc");
    let p: FarPtr = heap::vload(h2, CLEAN);
    let mut t = [0u8; TEXT.len()];
    if !p.is_null() {
        // SAFETY: `p` is the loaded block of 3000 bytes or more.
        unsafe { p.read_bytes(&mut t) };
    }
    check(t == *TEXT, "_vrealloc kept the contents");

    heap::vfree(h2);
    check(heap::vmsize(h2) == 0, "_vfree: the handle is dead");
    for &m in &many {
        heap::vfree(m);
    }
    heap::vheapterm();
    status("after _vheapterm", heap::status());
    check(
        heap::status().f_vm_initialized == 0,
        "fVmInitialized is clear",
    );
    log.finish()
}
