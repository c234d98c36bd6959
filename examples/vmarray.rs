//! `examples/vmarray.c` in Rust: a dynamic array that reserves a region of
//! PAGELIMIT pages and commits each page the first time it is touched (the
//! VirtualAlloc reserve/commit example, on `vmemory::heap`), as a DOS program
//! (`VMARRAY.EXE`). Records its checks in RESULT.TXT for the test harness.
#![no_std]
#![no_main]

use vmemory::dos::far::FarPtr;
use vmemory::dos::testlog::TestLog;
use vmemory::heap;
use vmemory::vmm::{VM_ALLDOS, VM_ALLSWAP, VM_NULL};
use vmemory::{dos_main, println};

dos_main!(main);

/// Pages in the reserved region.
const PAGELIMIT: usize = 80;
/// Bytes per page.
const PAGESIZE: u32 = 4096;
/// `long` elements per page.
const PER_PAGE: u32 = PAGESIZE / 4;
/// Every STRIDE-th element is written (the rest stay 0, as fresh pages read).
const STRIDE: u32 = 16;

/// The value element `i` holds at the end.
fn expected(i: u32) -> i32 {
    if i.is_multiple_of(STRIDE) {
        i as i32 * 7
    } else {
        0
    }
}

/// The reserved region: one handle per page, `VM_NULL` until committed.
struct Region {
    pages: [u32; PAGELIMIT],
    committed: usize,
}

impl Region {
    /// The far pointer to element `i` for writing, committing its page first.
    fn touch(&mut self, i: u32) -> Option<FarPtr> {
        let page = (i / PER_PAGE) as usize;
        let slot = self.pages.get_mut(page)?;
        if *slot == VM_NULL {
            *slot = heap::vmalloc(PAGESIZE);
            if *slot == VM_NULL {
                println!("cannot commit page {}", page);
                return None;
            }
            self.committed += 1;
            println!("Committed page {} ({} committed).", page, self.committed);
        }
        let base = heap::vload(*slot, 1);
        if base.is_null() {
            return None;
        }
        base.offset((i % PER_PAGE) * 4)
    }
}

fn main() -> u8 {
    let mut log = TestLog::create();
    if heap::vheapinit(0, VM_ALLDOS, VM_ALLSWAP) == 0 {
        log.check("_vheapinit", false, format_args!("failed"));
        return log.finish();
    }
    println!("Reserved {} pages of {} bytes.", PAGELIMIT, PAGESIZE);
    let mut region = Region {
        pages: [VM_NULL; PAGELIMIT],
        committed: 0,
    };
    let n = PAGELIMIT as u32 * PER_PAGE;
    let mut ok = true;
    // Touch every third page, then fill the array from the end backwards.
    for page in (0..PAGELIMIT as u32).step_by(3) {
        match region.touch(page * PER_PAGE + 1) {
            // SAFETY: the element lies in its page's loaded block.
            Some(p) => unsafe { p.write_bytes(&0i32.to_le_bytes()) },
            None => ok = false,
        }
    }
    for i in (0..n).rev().filter(|i| i % STRIDE == 0) {
        match region.touch(i) {
            // SAFETY: as above.
            Some(p) => unsafe { p.write_bytes(&(i as i32 * 7).to_le_bytes()) },
            None => ok = false,
        }
    }
    log.check("every element written", ok, format_args!(""));
    let mut bad = 0;
    let mut buf = [0u8; PAGESIZE as usize];
    for (page, &h) in region.pages.iter().enumerate() {
        let p = heap::vload(h, 0);
        if p.is_null() {
            bad += 1;
            continue;
        }
        // SAFETY: `p` is the loaded 4096-byte page.
        unsafe { p.read_bytes(&mut buf) };
        let first = page as u32 * PER_PAGE;
        let good = buf.chunks(4).enumerate().all(|(k, c)| {
            i32::from_le_bytes([c[0], c[1], c[2], c[3]]) == expected(first + k as u32)
        });
        bad += usize::from(!good);
    }
    println!("{} pages committed, {} bad.", region.committed, bad);
    log.check_eq("pages committed once each", region.committed, PAGELIMIT);
    log.check_eq("pages with wrong contents", bad, 0);
    for &h in &region.pages {
        heap::vfree(h);
    }
    heap::vheapterm();
    println!("Released the region.");
    log.check(
        "released",
        heap::status().f_vm_initialized == 0,
        format_args!(""),
    );
    log.finish()
}
