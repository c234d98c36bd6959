//! `_vload` on resident blocks: microseconds per `_vload(h, 0)` of a block
//! already in the cache (the same one over and over, and 64 in turn), an
//! empty loop of the same shape subtracted.
//!
//! What belongs here: micro benchmarks of calls that hit the cache. What
//! does not: workloads that swap (`churn`, `fill`, `stream`).

use core::hint::black_box;

use dostests::timer::PitClock;
use vmemory::heap;
use vmemory::vmm::{VM_ALLDOS, VM_DISK, VM_EMS, VM_XMS};

use crate::kit::{us, Checks, Slots};
use crate::Sizes;

pub struct VloadCost {
    pub calls: u32,
    pub same_us: u32,
    pub turn_us: u32,
    pub empty_us: u32,
}

/// `_vload(h, 0)` on resident blocks: one block over and over, and 64
/// blocks in turn; minus an empty loop of the same shape.
#[inline(never)]
pub fn vload_cost(
    clock: &PitClock,
    s: &Sizes,
    hs: &mut Slots,
    c: &mut Checks,
) -> Option<VloadCost> {
    let name = "_vload resident";
    if !c.check(
        name,
        heap::vheapinit(0, VM_ALLDOS, VM_XMS | VM_EMS | VM_DISK) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    for i in 0..64 {
        let h = heap::vmalloc(256);
        hs.set(i, h);
        heap::vload(h, 1);
    }
    let n = s.vload_calls;
    let h0 = hs.get(0);
    let p0 = heap::vload(h0, 0);
    let misses = heap::with_vmm(|v| v.cache_stats().misses);
    let mut same = true;
    let t0 = clock.now();
    for _ in 0..n {
        same &= heap::vload(h0, 0) == p0;
    }
    let t1 = clock.now();
    for i in 0..n {
        black_box(heap::vload(hs.get(i as usize & 63), 0));
    }
    let t2 = clock.now();
    for i in 0..n {
        black_box(hs.get(i as usize & 63));
    }
    let t3 = clock.now();
    let more = heap::with_vmm(|v| v.cache_stats().misses) - misses;
    c.check(name, !p0.is_null() && same, "pointer NULL or changed", 0);
    c.check(name, more == 0, "blocks not resident; misses", more);
    heap::vheapterm();
    Some(VloadCost {
        calls: n,
        same_us: us(t0, t1),
        turn_us: us(t1, t2),
        empty_us: us(t2, t3),
    })
}
