//! A full swap store must not make loads fail while clean blocks can leave.
//!
//! Found on DOSBox-X (small memory, XMS only): once the store could not
//! grow, the policy kept choosing a dirty block without swap space as its
//! victim, so every later load failed although clean blocks were resident.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::VecBackends;
use vmemory::vmm::*;

fn pattern(h: VmHandle, i: usize) -> u8 {
    (h as usize ^ (h as usize >> 7)).wrapping_add(i * 29) as u8
}

#[test]
fn full_store_evicts_clean_blocks_instead_of_failing() {
    // 64 KiB cache, 256 KiB of XMS and nothing else; 70 blocks of 4000 bytes
    // (280 KB) fit in store plus cache, with some left dirty in the cache.
    let mut v = Vmm::new(VecBackends::new(4096, [Some(256 << 10), None, None]));
    assert_ne!(v.vheapinit(4096, 4096, VM_XMS), 0);
    let mut hs = Vec::new();
    for _ in 0..70 {
        let h = v.vmalloc(4000);
        assert_ne!(h, VM_NULL);
        let at = v.vload(h, VM_DIRTY).expect("load for writing").offset();
        let a = v.arena_mut().unwrap();
        for (i, b) in a.slice_mut(at, 4000).iter_mut().enumerate() {
            *b = pattern(h, i);
        }
        hs.push(h);
    }
    assert!(
        v.status().stores_full.contains(SwapAreas::XMS)
            || v.status().store_used_bytes[0] > 200 << 10
    );
    // Read every block back, twice: each load must find room by dropping a
    // clean block, never fail.
    for round in 0..2 {
        for &h in &hs {
            let at = v
                .vload(h, VM_CLEAN)
                .unwrap_or_else(|| panic!("round {round}: load of {h:#x} failed"))
                .offset();
            let a = v.arena_mut().unwrap();
            let ok = a
                .slice(at, 4000)
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern(h, i));
            assert!(ok, "round {round}: block {h:#x} differs");
            v.check_invariants();
        }
    }
}

#[test]
fn blocks_larger_than_the_cache_are_refused_at_allocation() {
    // 16 KiB cache: a 65530-byte block could never be loaded, so _vmalloc
    // and _vrealloc refuse it instead of handing out a useless handle.
    let mut v = Vmm::new(VecBackends::new(1024, [Some(1 << 20), None, None]));
    assert_ne!(v.vheapinit(1024, 1024, VM_XMS), 0);
    let largest = v.status().largest_block;
    assert!(largest < 16384, "largest block {largest}");
    assert_eq!(v.alloc(65530), Err(VmError::NoRoom));
    assert_eq!(v.vmalloc(largest + 16), VM_NULL);
    let h = v.vmalloc(largest);
    assert_ne!(h, VM_NULL, "the largest block that fits is allowed");
    assert!(v.vload(h, VM_DIRTY).is_some(), "and it loads");
    let small = v.vmalloc(100);
    assert_eq!(v.realloc(small, 65530), Err(VmError::NoRoom));
    assert_eq!(
        v.vmsize(small),
        112,
        "the refused realloc left the block as it was"
    );
}
