//! The fill: a 128 KB cache; 256-byte blocks are allocated until the VMM
//! refuses, each loaded dirty and given the previous block's handle; then
//! the chain is walked back, each block loaded clean, checked and freed.
//!
//! What belongs here: that workload and its checks. What does not: the
//! published figures it is compared with (`published`).

use dostests::timer::PitClock;
use vmemory::heap;
use vmemory::vmm::StoreKind;

use crate::kit::{get, pair, put, store, unpair, us, Checks};
use crate::Sizes;

pub struct Fill {
    pub blocks: u32,
    /// The fill ended with `_vload` NULL on a block `_vmalloc` had just
    /// handed out (instead of `_vmalloc` returning `_VM_NULL`).
    pub ended_by_load: bool,
    pub fill_us: u32,
    pub walk_us: u32,
    /// KB written out to the swap stores during the fill.
    pub out_kb: u32,
}

#[inline(never)]
pub fn fill(clock: &PitClock, s: &Sizes, c: &mut Checks) -> Option<Fill> {
    let name = "fill";
    if !c.check(
        name,
        heap::vheapinit(0, s.fill_cache_paras, s.fill_swap) != 0,
        "_vheapinit failed",
        0,
    ) {
        return None;
    }
    let (mut prev, mut n, mut null_loads) = (0u32, 0u32, 0u32);
    let t0 = clock.now();
    while n < s.fill_cap {
        let h = heap::vmalloc(256);
        if h == 0 {
            break;
        }
        let p = heap::vload(h, 1);
        if p.is_null() {
            null_loads += 1;
            heap::vfree(h);
            break;
        }
        put(p, &pair(prev, n));
        prev = h;
        n += 1;
    }
    let t1 = clock.now();
    let out_kb = StoreKind::ALL
        .iter()
        .map(|&k| store(k).bytes_out / 1024)
        .sum();
    // Walk back: each block names its predecessor and its own index.
    let (mut h, mut k, mut bad) = (prev, n, 0u32);
    while h != 0 && k > 0 {
        let p = heap::vload(h, 0);
        if p.is_null() {
            bad += 1;
            break;
        }
        let (before, idx) = unpair(get(p));
        k -= 1;
        if idx != k {
            bad += 1;
        }
        heap::vfree(h);
        h = before;
    }
    let t2 = clock.now();
    // The quick run stops at its cap, long before the stores are full, so
    // every load must work there; the full run reports how it ended.
    let quick = s.fill_cap != u32::MAX;
    c.check(
        name,
        n > 0 && (!quick || (null_loads == 0 && n == s.fill_cap)),
        "too few blocks, or a NULL _vload; blocks",
        n,
    );
    c.check(
        name,
        bad == 0 && k == 0 && h == 0,
        "handle chain broken; bad links",
        bad + k,
    );
    let live = heap::with_vmm(|v| v.status().live_handles);
    c.check(name, live == 0, "handles left after the walk", live);
    heap::vheapterm();
    Some(Fill {
        blocks: n,
        ended_by_load: null_loads != 0,
        fill_us: us(t0, t1),
        walk_us: us(t1, t2),
        out_kb,
    })
}
