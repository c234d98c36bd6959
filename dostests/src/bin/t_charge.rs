//! DOS test: the commit charge (issue 23), one swap store alone.
//!
//! `T_CHARGE.EXE xms|ems|disk` opens the heap with that store only
//! (`conf/xms1.conf`, `conf/ems1.conf`: 2 MB machines, so about 1 MB of
//! XMS or EMS; `conf/fatonly.conf`: the swap file alone on a 1.44 MB FAT
//! image), then:
//!
//! 1. allocates 8000-byte blocks, each loaded dirty and filled, until
//!    `_vmalloc` refuses; no `_vload` of an allocated block may fail;
//! 2. reads every block back and rewrites it, the cache full of dirty
//!    blocks (a block out in the store must load, whatever is resident);
//! 3. runs random steps on the full heap: load (dirty), check, rewrite;
//!    and `_vrealloc` within the block's size class (7,696..8,192 bytes:
//!    no new charge, so a full store cannot refuse it), contents kept and
//!    the grown tail zero. Every block's expected bytes are a function of
//!    its handle and a per-block seed (the shadow). No NULL, no mismatch;
//! 4. frees every other block and allocates again: as many as were freed
//!    fit, and every block still reads back.
#![no_std]
#![no_main]

use dostests::pieces::{fill_pieces, first_bad_pieces};
use dostests::rng::XorShift32;
use vmemory::dos::far::FarPtr;
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::dos_main;
use vmemory::heap;
use vmemory::vmm::StoreKind;

dos_main!(main);

/// The cache: 2048 paragraphs (32 KB), as T_DFULL's.
const CACHE: u16 = 2048;
const BLOCK: u32 = 8000;
/// Most blocks (400 x 8 KB: 3.2 MB); more means the store is not small.
const MAX_BLOCKS: usize = 400;
/// Random steps on the full heap.
const STEPS: u32 = 2000;
const PIECE: usize = 512;

/// Byte `i` of block `h` written with `seed`.
fn byte(h: u32, seed: u8, i: u32) -> u8 {
    (h ^ (h >> 13))
        .wrapping_mul(7)
        .wrapping_add(i.wrapping_mul(0x3B))
        .wrapping_add(u32::from(seed).wrapping_mul(101)) as u8
}

/// The far pointer `pos` bytes into a `_vload` pointer.
fn at(p: FarPtr, pos: u32) -> FarPtr {
    FarPtr::new(p.seg, p.off + pos as u16)
}

/// Loads `h` dirty and writes its pattern of `seed` over all of it;
/// false if the load failed.
fn write_block(h: u32, seed: u8) -> bool {
    let p = heap::vload(h, 1);
    if p.is_null() {
        return false;
    }
    fill_pieces::<PIECE, ()>(
        0,
        heap::vmsize(h),
        |i| byte(h, seed, i),
        |pos, b| {
            // SAFETY: `p` is the _vload pointer of a block of `vmsize(h)`
            // bytes, valid until the next VMM call; the pieces stay inside it.
            unsafe { at(p, pos).write_bytes(b) };
            Ok(())
        },
    )
    .is_ok()
}

/// How a check of a block went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Intact,
    Null,
    Differs(u32),
}

/// Loads `h` (clean) and checks its first `keep` bytes against the pattern
/// of `seed` and the rest (to `vmsize`) for zeros.
fn check_block(h: u32, seed: u8, keep: u32) -> Seen {
    let p = heap::vload(h, 0);
    if p.is_null() {
        return Seen::Null;
    }
    let bad = first_bad_pieces::<PIECE, ()>(
        0,
        heap::vmsize(h),
        |i| if i < keep { byte(h, seed, i) } else { 0 },
        |pos, b| {
            // SAFETY: as in `write_block`.
            unsafe { at(p, pos).read_bytes(b) };
            Ok(())
        },
    );
    match bad {
        Ok(None) => Seen::Intact,
        Ok(Some(i)) => Seen::Differs(i),
        Err(()) => Seen::Differs(u32::MAX),
    }
}

/// The blocks and their shadow: handle and seed of each.
struct Blocks {
    h: [u32; MAX_BLOCKS],
    seed: [u8; MAX_BLOCKS],
    n: usize,
}

/// Counts of what went wrong.
#[derive(Debug, Default)]
struct Bad {
    null: u32,
    differ: u32,
    first: Option<(u32, Seen)>,
}

impl Bad {
    fn add(&mut self, h: u32, s: Seen) {
        match s {
            Seen::Intact => return,
            Seen::Null => self.null += 1,
            Seen::Differs(_) => self.differ += 1,
        }
        self.first.get_or_insert((h, s));
    }
    fn none(&self) -> bool {
        self.null == 0 && self.differ == 0
    }
}

fn main() -> u8 {
    let mut log = TestLog::create();
    let mut arg = [0u8; 127];
    let n = rt::command_line(&mut arg);
    let (area, kind): (u16, StoreKind) = match &arg[..n.min(4)] {
        b"xms" => (2, StoreKind::Xms),
        b"ems" => (1, StoreKind::Ems),
        b"disk" => (4, StoreKind::Disk),
        _ => {
            log.check("argument xms, ems or disk", false, format_args!("none"));
            return log.finish();
        }
    };
    if !log.check(
        "_vheapinit with one store",
        heap::vheapinit(CACHE, CACHE, area) != 0,
        format_args!("failed"),
    ) {
        return log.finish();
    }
    let st = heap::status();
    let off = match kind {
        StoreKind::Xms => st.f_vm_disable_xms,
        StoreKind::Ems => st.f_vm_disable_ems,
        StoreKind::Disk => st.f_vm_disable_disk,
    };
    if !log.check("the store is open", off == 0, format_args!("{:?}", st)) {
        heap::vheapterm();
        return log.finish();
    }
    let mut b = Blocks {
        h: [0; MAX_BLOCKS],
        seed: [0; MAX_BLOCKS],
        n: 0,
    };
    // 1. Fill until _vmalloc refuses.
    let mut load_refused = 0;
    while b.n < MAX_BLOCKS {
        let h = heap::vmalloc(BLOCK);
        if h == 0 {
            break;
        }
        if !write_block(h, 1) {
            load_refused += 1;
        }
        b.h[b.n] = h;
        b.seed[b.n] = 1;
        b.n += 1;
    }
    let outs = heap::with_vmm(|v| v.store_stats(kind).page_outs);
    log.note(format_args!(
        "{:?}: {} blocks of {} bytes before _vmalloc refused; {} page-outs; {:?}",
        kind,
        b.n,
        BLOCK,
        outs,
        heap::status()
    ));
    log.check(
        "fill: _vmalloc refused before the limit, after blocks that swapped",
        b.n > 8 && b.n < MAX_BLOCKS && outs > 0,
        format_args!("{} blocks, {} page-outs", b.n, outs),
    );
    log.check_eq(
        "fill: no _vload of an allocated block failed",
        load_refused,
        0,
    );
    // 2. Every block back, rewritten: the cache stays full of dirty blocks.
    let mut bad = Bad::default();
    for k in 0..b.n {
        let h = b.h[k];
        bad.add(h, check_block(h, b.seed[k], BLOCK));
        b.seed[k] = 2;
        if !write_block(h, 2) {
            bad.add(h, Seen::Null);
        }
    }
    log.check(
        "full: every block reads back, the cache full of dirty blocks",
        bad.none(),
        format_args!("{:?}", bad),
    );
    // 3. Random steps on the full heap.
    let mut rng = XorShift32(0x2323_1987);
    let mut bad = Bad::default();
    let mut reallocs = 0;
    for step in 0..STEPS {
        let k = rng.next_u32() as usize % b.n;
        let h = b.h[k];
        let seed = (step % 251) as u8 + 3;
        if rng.next_u32().is_multiple_of(4) {
            // Within the 512-paragraph size class of 8,000 bytes.
            let old = heap::vmsize(h);
            let size = 7696 + rng.next_u32() % (8192 - 7696 + 1);
            let r = heap::vrealloc(h, size);
            if r != h {
                bad.add(h, Seen::Null);
                continue;
            }
            reallocs += 1;
            let keep = old.min(heap::vmsize(h));
            bad.add(h, check_block(h, b.seed[k], keep));
        } else {
            bad.add(h, check_block(h, b.seed[k], heap::vmsize(h)));
        }
        if !write_block(h, seed) {
            bad.add(h, Seen::Null);
        }
        b.seed[k] = seed;
    }
    log.note(format_args!(
        "random: {} steps, {} reallocs",
        STEPS, reallocs
    ));
    log.check(
        "random: loads and reallocs on the full heap, no NULL, no mismatch",
        bad.none() && reallocs > STEPS / 8,
        format_args!("{:?}, {} reallocs", bad, reallocs),
    );
    // 4. Free half, allocate again.
    let mut freed = 0;
    for k in (0..b.n).step_by(2) {
        heap::vfree(b.h[k]);
        b.h[k] = 0;
        freed += 1;
    }
    let mut again = 0;
    let mut bad = Bad::default();
    for k in (0..b.n).step_by(2) {
        let h = heap::vmalloc(BLOCK);
        if h == 0 {
            break;
        }
        again += 1;
        b.h[k] = h;
        b.seed[k] = 0xA5;
        if !write_block(h, 0xA5) {
            bad.add(h, Seen::Null);
        }
    }
    log.check_eq("again: as many blocks as were freed", again, freed);
    for k in 0..b.n {
        if b.h[k] != 0 {
            bad.add(b.h[k], check_block(b.h[k], b.seed[k], heap::vmsize(b.h[k])));
        }
    }
    log.check(
        "again: every block reads back",
        bad.none(),
        format_args!("{:?}", bad),
    );
    heap::vheapterm();
    log.finish()
}
