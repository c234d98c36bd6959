//! Issue 12's capacity rule: a cache of `dosmax` paragraphs loads any one
//! block of up to min(65 530, dosmax x 16 - 512) bytes when a swap store
//! is open (the lean layout, `vmm::lean`), beside any number of other
//! handles, and every other block keeps its bytes; without a store the
//! cache still holds what fits its default data heap.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::{block_holds, write_block, VecBackends};
use vmemory::vmm::*;

/// What the rule promises for a cache of `dosmax` paragraphs.
fn promised(dosmax: u16) -> u32 {
    (u32::from(dosmax) * 16 - 512).min(MAX_BLOCK_SIZE)
}

/// Byte `i` of the pattern with seed `seed`.
fn byte(seed: u8) -> impl Fn(usize) -> u8 {
    move |i| seed.wrapping_add((i % 251) as u8)
}

fn fill(v: &mut Vmm<VecBackends>, h: VmHandle, len: usize, seed: u8) {
    write_block(v, h, len, byte(seed));
}

fn holds(v: &mut Vmm<VecBackends>, h: VmHandle, len: usize, seed: u8) -> bool {
    block_holds(v, h, len, byte(seed))
}

/// For several cache sizes and each store: the promised block loads, is
/// written and read back, among `others` small blocks that keep their
/// bytes, several times over (in and out of the lean layout); the status
/// says so; the largest block plus 16 bytes is refused.
#[test]
fn a_cache_loads_the_block_its_size_promises() {
    for dosmax in [256u16, 512, 1024, 2048, 4096, 4128, 8192] {
        for caps in [
            [Some(4u32 << 20), None, None],
            [None, Some(4 << 20), None],
            [None, None, Some(4 << 20)],
        ] {
            let mut v = Vmm::new(VecBackends::new(dosmax, caps));
            assert_eq!(v.vheapinit(0, dosmax, VM_ALLSWAP), 1);
            let want = promised(dosmax);
            let largest = v.status().largest_block;
            assert!(
                largest >= want,
                "dosmax {dosmax}: largest {largest} < {want}"
            );
            if largest < MAX_BLOCK_SIZE {
                assert_eq!(v.vmalloc(largest + 16), VM_NULL, "dosmax {dosmax}");
            }
            // Handles in several table pages, their blocks written.
            let others: Vec<VmHandle> = (0..700).map(|_| v.vmalloc(48)).collect();
            assert!(others.iter().all(|&h| h != VM_NULL));
            for (i, &h) in others.iter().enumerate().step_by(7) {
                fill(&mut v, h, 48, i as u8);
            }
            let big = v.vmalloc(want);
            assert_ne!(big, VM_NULL, "dosmax {dosmax}: vmalloc({want})");
            for round in 0..3u8 {
                fill(&mut v, big, want as usize, 100 + round);
                v.check_invariants();
                assert!(holds(&mut v, big, want as usize, 100 + round));
                for (i, &h) in others.iter().enumerate().step_by(7) {
                    assert!(holds(&mut v, h, 48, i as u8), "dosmax {dosmax}: block {i}");
                }
                v.check_invariants();
                // Handles come and go while the big block is resident.
                let extra = v.vmalloc(32);
                assert_ne!(extra, VM_NULL);
                assert_eq!(v.vmsize(extra), 32);
                assert!(holds(&mut v, big, want as usize, 100 + round));
                v.vfree(extra);
                assert_eq!(v.vmsize(extra), 0);
            }
            assert_eq!(v.vmsize(big), ((want + 15) & !15).min(MAX_BLOCK_SIZE));
            let s = v.cache_stats();
            if want + 32 > (u32::from(dosmax) * 16) * 6 / 7 {
                assert!(
                    s.lean_layouts > 0,
                    "dosmax {dosmax}: the lean layout was used"
                );
            }
            v.vfree(big);
            for &h in &others {
                v.vfree(h);
            }
            assert_eq!(v.status().live_handles, 0);
            v.vheapterm();
            assert_eq!(v.backends().open, 0);
        }
    }
}

/// A locked block in the lean layout: calls that need the handle table
/// still work (it is read from the swap store), small blocks load in what
/// the big one leaves, and a block that needs its room is refused, not
/// loaded over it.
#[test]
fn the_table_works_while_the_big_block_is_locked() {
    let mut v = Vmm::new(VecBackends::new(1024, [Some(4 << 20), None, None]));
    assert_eq!(v.vheapinit(0, 1024, VM_ALLSWAP), 1);
    let small: Vec<VmHandle> = (0..300).map(|_| v.vmalloc(100)).collect();
    for (i, &h) in small.iter().enumerate() {
        fill(&mut v, h, 100, i as u8);
    }
    let big = v.vmalloc(promised(1024));
    let at = v.vlock(big).expect("lock the big block");
    assert_eq!(v.cache_stats().lean_layouts, 1);
    for (i, &h) in small.iter().enumerate() {
        assert_eq!(v.vmsize(h), 112, "size of {i}");
    }
    let more: Vec<VmHandle> = (0..200).map(|_| v.vmalloc(20)).collect();
    assert!(more.iter().all(|&h| h != VM_NULL && v.vmsize(h) == 32));
    for &h in &more {
        v.vfree(h);
        assert_eq!(v.vmsize(h), 0);
    }
    assert!(holds(&mut v, small[0], 100, 0), "beside the locked block");
    let wide = v.vmalloc(2000);
    assert_ne!(wide, VM_NULL);
    assert_eq!(
        v.vload(wide, VM_CLEAN),
        None,
        "no room beside a locked block"
    );
    v.check_invariants();
    assert_eq!(v.vlock(big), Some(at), "a locked block stays");
    v.vunlock(big, VM_CLEAN);
    v.vunlock(big, VM_DIRTY);
    for (i, &h) in small.iter().enumerate() {
        assert!(holds(&mut v, h, 100, i as u8), "block {i}");
    }
    v.check_invariants();
}

/// Without a swap store nothing can leave the cache: the largest block is
/// the default data heap's, as before.
#[test]
fn without_a_store_the_cache_holds_what_fits() {
    let mut v = Vmm::new(VecBackends::new(1024, [None, None, None]));
    assert_eq!(v.vheapinit(0, 1024, VM_ALLSWAP), 1);
    let largest = v.status().largest_block;
    assert!(largest < promised(1024));
    assert_eq!(v.vmalloc(largest + 16), VM_NULL);
    let h = v.vmalloc(largest);
    assert!(v.vload(h, VM_DIRTY).is_some());
    assert_eq!(v.cache_stats().lean_layouts, 0);
}
