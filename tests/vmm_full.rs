//! A full swap store: `_vmalloc` refuses (the commit charge), and every
//! block allocated before still loads.
//!
//! Found on DOSBox-X (small memory, XMS only): once the store could not
//! grow, the policy kept choosing a dirty block without swap space as its
//! victim, so every later load failed although clean blocks were resident.
//! Since issue 23 a block's swap space is reserved when it is allocated,
//! so a dirty block can always leave.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::{block_holds, write_block, VecBackends};
use vmemory::vmm::*;

fn pattern(h: VmHandle, i: usize) -> u8 {
    (h as usize ^ (h as usize >> 7)).wrapping_add(i * 29) as u8
}

#[test]
fn full_store_refuses_allocation_and_every_block_loads() {
    // 64 KiB cache, 256 KiB of XMS and nothing else; blocks of 4000 bytes
    // (a 4096-byte size class) until the store cannot back another one.
    let mut v = Vmm::new(VecBackends::new(4096, [Some(256 << 10), None, None]));
    assert_ne!(v.vheapinit(4096, 4096, VM_XMS), 0);
    let mut hs = Vec::new();
    loop {
        let h = v.vmalloc(4000);
        if h == VM_NULL {
            break;
        }
        let at = v.vload(h, VM_DIRTY).expect("load for writing").offset();
        let a = v.arena_mut().unwrap();
        for (i, b) in a.slice_mut(at, 4000).iter_mut().enumerate() {
            *b = pattern(h, i);
        }
        hs.push(h);
        assert!(hs.len() < 1000);
    }
    // 256 KiB hold 64 extents of 4096 bytes; one table page (1 KiB) takes
    // the room of one.
    assert_eq!(hs.len(), 63, "blocks before the refusal");
    assert!(v.status().stores_full.contains(SwapAreas::XMS));
    // Read every block back, twice, the cache full of dirty blocks: each
    // load must find room, never fail.
    for round in 0..2 {
        for &h in &hs {
            let at = v
                .vload(h, VM_DIRTY)
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
    // Free half: as many again fit.
    let freed: Vec<VmHandle> = hs.iter().copied().step_by(2).collect();
    for &h in &freed {
        assert_eq!(v.free(h), Ok(()));
    }
    let again: Vec<VmHandle> = freed.iter().map(|_| v.vmalloc(4000)).collect();
    assert!(again.iter().all(|&h| h != VM_NULL), "{again:x?}");
    assert_eq!(v.vmalloc(4000), VM_NULL);
    for &h in &again {
        write_block(&mut v, h, 4000, |i| pattern(h, i));
    }
    for &h in hs.iter().skip(1).step_by(2).chain(&again) {
        assert!(block_holds(&mut v, h, 4000, |i| pattern(h, i)));
    }
    v.check_invariants();
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
fn a_store_that_cannot_grow_refuses_blocks_until_it_can() {
    // The only store refuses every grow (a full drive): no block can be
    // backed, so `_vmalloc` refuses at once, and nothing else changes.
    let mut v = Vmm::new(VecBackends::new(4096, [None, None, Some(1 << 20)]));
    v.backends().plan.borrow_mut().fail_grows = true;
    assert_ne!(v.vheapinit(4096, 4096, VM_DISK), 0);
    assert_eq!(v.alloc(1000), Err(VmError::NoSwap));
    let st = v.status();
    assert!(
        st.stores_full.contains(SwapAreas::DISK) && !st.swapping && st.live_handles == 0,
        "{st:?}"
    );
    v.check_invariants();
    // The store grows again: blocks allocate, swap out and back.
    v.backends().plan.borrow_mut().clear();
    let big: Vec<VmHandle> = (0..200).map(|_| v.vmalloc(4000)).collect();
    assert!(big.iter().all(|&h| h != VM_NULL));
    for &h in &big {
        write_block(&mut v, h, 4000, |i| pattern(h, i));
    }
    // Now it cannot grow again: what is allocated still loads, a new
    // block beyond what the store holds is refused.
    v.backends().plan.borrow_mut().fail_grows = true;
    let mut more = 0;
    while v.vmalloc(4000) != VM_NULL {
        more += 1;
        assert!(more < 1000);
    }
    assert!(big
        .iter()
        .all(|&h| block_holds(&mut v, h, 4000, |i| pattern(h, i))));
    assert!(v.store_stats(StoreKind::Disk).page_outs > 150);
    v.check_invariants();
    v.vheapterm();
    assert_eq!(v.backends().open, 0);
}
