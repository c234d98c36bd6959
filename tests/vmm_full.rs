//! A full swap store must not make loads fail while clean blocks can leave.
//!
//! Found on DOSBox-X (small memory, XMS only): once the store could not
//! grow, the policy kept choosing a dirty block without swap space as its
//! victim, so every later load failed although clean blocks were resident.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::{block_holds, write_block, VecBackends};
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
    // refuses it instead of handing out a useless handle. The largest one
    // it takes is 16 x 1024 - 512 bytes or more (issue 12's rule).
    let mut v = Vmm::new(VecBackends::new(1024, [Some(1 << 20), None, None]));
    assert_ne!(v.vheapinit(1024, 1024, VM_XMS), 0);
    let largest = v.status().largest_block;
    assert!((15872..16384).contains(&largest), "largest block {largest}");
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

#[test]
fn a_store_that_cannot_grow_leaves_a_working_cache() {
    // The only store refuses every grow (a full drive): the first handle's
    // table page gets no swap space, yet blocks that fit in the cache work.
    let mut v = Vmm::new(VecBackends::new(4096, [None, None, Some(1 << 20)]));
    v.backends().plan.borrow_mut().fail_grows = true;
    assert_ne!(v.vheapinit(4096, 4096, VM_DISK), 0);
    let hs: Vec<VmHandle> = (0..10).map(|_| v.vmalloc(1000)).collect();
    assert!(hs.iter().all(|&h| h != VM_NULL), "{hs:x?}");
    for &h in &hs {
        write_block(&mut v, h, 1000, |i| pattern(h, i));
    }
    assert!(hs
        .iter()
        .all(|&h| block_holds(&mut v, h, 1000, |i| pattern(h, i))));
    let st = v.status();
    assert!(
        st.stores_full.contains(SwapAreas::DISK) && !st.swapping,
        "{st:?}"
    );
    for &h in &hs {
        assert_eq!(v.free(h), Ok(()));
    }
    // Handles: as many as the table pages that stay in the cache hold (all
    // table slots but one), then a clean refusal.
    let mut small = Vec::new();
    loop {
        let h = v.vmalloc(16);
        if h == VM_NULL {
            break;
        }
        small.push(h);
        assert!(small.len() < 10_000);
    }
    assert!(small.len() >= 100, "{} handles", small.len());
    v.check_invariants();
    // The store grows again: more handles (their table pages get swap
    // space), blocks swap out and back, the early ones are intact.
    v.backends().plan.borrow_mut().clear();
    for &h in &small {
        write_block(&mut v, h, 16, |i| pattern(h, i));
    }
    let big: Vec<VmHandle> = (0..200).map(|_| v.vmalloc(4000)).collect();
    assert!(big.iter().all(|&h| h != VM_NULL));
    for &h in &big {
        write_block(&mut v, h, 4000, |i| pattern(h, i));
    }
    assert!(big
        .iter()
        .all(|&h| block_holds(&mut v, h, 4000, |i| pattern(h, i))));
    assert!(small
        .iter()
        .all(|&h| block_holds(&mut v, h, 16, |i| pattern(h, i))));
    assert!(v.store_stats(StoreKind::Disk).page_outs > 150);
    v.check_invariants();
    v.vheapterm();
    assert_eq!(v.backends().open, 0);
}
