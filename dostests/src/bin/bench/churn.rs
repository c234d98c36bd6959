//! The churn: 1000 handle slots, 250 passes of 1000 operations; each picks
//! a slot at random (xorshift32, fixed seed) and frees its block, or
//! allocates 5..512 bytes if it is empty. Swap areas EMS + disk. Also the
//! same loop with no VMM calls, the baseline the report subtracts.
//!
//! What belongs here: the churn and its baseline. What does not: the
//! printing of its figures (`report`).

use core::hint::black_box;

use dostests::timer::PitClock;
use vmemory::heap;
use vmemory::vmm::{StoreKind, VM_DISK, VM_EMS};

use crate::kit::{store, us, Checks, Slots};
use crate::Sizes;

use dostests::rng::XorShift32;

/// The churn's fixed seed.
const SEED: u32 = 0x2545_F491;

pub struct Churn {
    pub us: u32,
    pub allocs: u32,
    pub frees: u32,
    pub fails: u32,
    /// Swap traffic over EMS and disk: handle-table pages in and out,
    /// block KB in and out.
    pub table_in: u32,
    pub table_out: u32,
    pub kb_in: u32,
    pub kb_out: u32,
}

/// The churn with a cache of `dosmax` paragraphs, swap areas EMS + disk.
pub fn churn(
    clock: &PitClock,
    s: &Sizes,
    slots: &mut Slots,
    dosmax: u16,
    name: &str,
    c: &mut Checks,
) -> Option<Churn> {
    let n = s.churn_slots;
    if !c.check(
        name,
        heap::vheapinit(0, dosmax, VM_EMS | VM_DISK) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    let (mut allocs, mut frees, mut fails) = (0, 0, 0);
    let t0 = clock.now();
    run(
        s,
        slots,
        |h| {
            heap::vfree(h);
            frees += 1;
        },
        |size| {
            let h = heap::vmalloc(size);
            if h == 0 {
                fails += 1;
            } else {
                allocs += 1;
            }
            h
        },
    );
    let t1 = clock.now();
    // Untimed checks: every live block is there with its size, and the VMM
    // counts as many live handles as there are filled slots.
    let live = (0..n).filter(|&i| slots.get(i) != 0).count() as u32;
    let sized = (0..n).all(|i| {
        let h = slots.get(i);
        h == 0 || (5..512 + 16).contains(&heap::vmsize(h))
    });
    let vmm_live = heap::with_vmm(|v| v.status().live_handles);
    c.check(name, fails == 0, "_vmalloc calls failed", fails);
    c.check(name, sized, "a live block's _vmsize is outside 5..=527", 0);
    c.check(
        name,
        vmm_live == live,
        "VMM live-handle count differs from the slots'",
        vmm_live,
    );
    let (e, d) = (store(StoreKind::Ems), store(StoreKind::Disk));
    let r = Churn {
        us: us(t0, t1),
        allocs,
        frees,
        fails,
        table_in: e.table_ins + d.table_ins,
        table_out: e.table_outs + d.table_outs,
        kb_in: (e.bytes_in + d.bytes_in) / 1024,
        kb_out: (e.bytes_out + d.bytes_out) / 1024,
    };
    heap::vheapterm();
    Some(r)
}

/// The churn's loop without VMM calls: the baseline.
#[inline(never)]
pub fn churn_empty(clock: &PitClock, s: &Sizes, slots: &mut Slots) -> u32 {
    let t0 = clock.now();
    run(s, slots, |h| _ = black_box(h), black_box);
    let t1 = clock.now();
    us(t0, t1)
}

/// The churn's loop, the same for the churn and its baseline: `free` takes
/// a slot's handle (the slot is emptied), `alloc` gives the handle for a
/// size of 5..=512 (0: failed, the slot stays empty).
#[inline(always)]
fn run(s: &Sizes, slots: &mut Slots, mut free: impl FnMut(u32), mut alloc: impl FnMut(u32) -> u32) {
    let n = s.churn_slots;
    debug_assert!(n <= slots.n);
    slots.clear();
    let mut rng = XorShift32(SEED);
    for _ in 0..s.churn_passes {
        for _ in 0..s.churn_ops {
            let i = (rng.next_u32() % n as u32) as usize;
            let h = slots.get(i);
            if h != 0 {
                free(h);
                slots.set(i, 0);
            } else {
                let size = 5 + rng.next_u32() % 508;
                slots.set(i, alloc(size));
            }
        }
    }
}
