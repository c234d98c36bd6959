//! Unit tests of the core's documented behaviour, one per bad input and rule.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::{VecArena, VecBackends};
use vmemory::vmm::*;

const BIG: Option<u32> = Some(64 << 20);

fn vmm(dos_paras: u16, caps: [Option<u32>; 3]) -> Vmm<VecBackends> {
    let mut v = Vmm::new(VecBackends::new(dos_paras, caps));
    assert_ne!(v.vheapinit(0, 0, VM_ALLSWAP), 0);
    v
}

fn arena(v: &mut Vmm<VecBackends>) -> &mut VecArena {
    v.arena_mut().unwrap()
}

fn write(v: &mut Vmm<VecBackends>, h: VmHandle, byte: u8) {
    let n = v.vmsize(h) as usize;
    let at = v.vload(h, VM_DIRTY).expect("load").offset();
    arena(v).slice_mut(at, n).fill(byte);
}

fn read(v: &mut Vmm<VecBackends>, h: VmHandle) -> Vec<u8> {
    let n = v.vmsize(h) as usize;
    let at = v.vload(h, VM_CLEAN).expect("load").offset();
    arena(v).slice(at, n).to_vec()
}

#[test]
fn calls_before_init_and_after_term_fail() {
    let mut v = Vmm::new(VecBackends::new(4096, [BIG, None, None]));
    assert_eq!(v.vmalloc(10), VM_NULL);
    assert_eq!(v.vload(1 << 20 | 1, VM_CLEAN), None);
    assert_eq!(v.vlock(1 << 20 | 1), None);
    assert_eq!(v.vmsize(1 << 20 | 1), 0);
    assert_eq!(v.vlockcnt(1 << 20 | 1), 0);
    assert_eq!(v.vrealloc(VM_NULL, 10), VM_NULL);
    assert_eq!(v.free(5), Err(VmError::NotInitialized));
    v.vheapterm(); // harmless
    assert_ne!(v.vheapinit(0, 0, VM_ALLSWAP), 0);
    let h = v.vmalloc(100);
    assert_ne!(h, VM_NULL);
    v.vheapterm();
    assert_eq!(v.backends().open, 0, "term releases arena and stores");
    assert_eq!(v.vmsize(h), 0);
    assert_eq!(v.vload(h, VM_CLEAN), None);
    assert_eq!(v.vmalloc(10), VM_NULL);
}

#[test]
fn double_init_fails_cleanly_and_cycles_work() {
    let mut v = vmm(4096, [BIG, BIG, BIG]);
    let h = v.vmalloc(50);
    write(&mut v, h, 7);
    assert_eq!(v.vheapinit(0, 0, VM_ALLSWAP), 0, "second init without term");
    assert_eq!(read(&mut v, h), vec![7; 64], "first heap untouched");
    assert_eq!(v.backends().open, 4);
    v.vheapterm();
    for _ in 0..5 {
        assert_ne!(v.vheapinit(0, 2048, VM_XMS), 0);
        assert_eq!(v.vmsize(h), 0, "handle from an earlier cycle rejected");
        assert_eq!(v.vload(h, VM_CLEAN), None);
        let h2 = v.vmalloc(50);
        assert_ne!(h2, h);
        v.vheapterm();
        assert_eq!(v.backends().open, 0);
    }
}

#[test]
fn init_needs_dosmin() {
    let mut v = Vmm::new(VecBackends::new(1000, [None, None, None]));
    assert_eq!(v.vheapinit(2000, 0, VM_ALLSWAP), 0, "dosmin not available");
    assert_eq!(v.backends().open, 0);
    assert_eq!(v.vheapinit(900, 800, VM_ALLSWAP), 0, "dosmax < dosmin");
    assert_eq!(
        v.vheapinit(0, MIN_ARENA_PARAS - 1, VM_ALLSWAP),
        0,
        "dosmax below the minimum cache"
    );
    assert_eq!(v.backends().open, 0);
    assert_ne!(v.vheapinit(0, MIN_ARENA_PARAS, VM_ALLSWAP), 0);
    assert_eq!(v.status().dos_paras, MIN_ARENA_PARAS);
    v.vheapterm();
    assert_ne!(
        v.vheapinit(900, 0, VM_ALLSWAP),
        0,
        "no swap store is not an error"
    );
    assert_eq!(v.status().dos_paras, 1000);
    assert_eq!(v.status().stores_open, SwapAreas::NONE);
    v.vheapterm();
    assert_ne!(v.vheapinit(0, 600, VM_ALLSWAP), 0);
    assert_eq!(v.status().dos_paras, 600);
}

#[test]
fn sizes() {
    let mut v = vmm(8192, [BIG, None, None]);
    assert_eq!(v.vmalloc(0), VM_NULL);
    assert_eq!(v.vmalloc(65531), VM_NULL);
    assert_eq!(v.vmalloc(u32::MAX), VM_NULL);
    assert_eq!(v.alloc(0), Err(VmError::BadSize));
    let h = v.vmalloc(65530);
    assert_ne!(h, VM_NULL);
    assert_eq!(v.vmsize(h), 65530);
    let h1 = v.vmalloc(1);
    assert_eq!(v.vmsize(h1), 16, "16-byte granularity");
    let h17 = v.vmalloc(17);
    assert_eq!(v.vmsize(h17), 32);
    assert_eq!(v.vrealloc(h1, 65531), VM_NULL);
    assert_eq!(v.vrealloc(h1, u32::MAX), VM_NULL);
    assert_eq!(v.vmsize(h1), 16, "failed realloc leaves the block");
}

#[test]
fn bad_handles() {
    let mut v = vmm(4096, [BIG, None, None]);
    let h = v.vmalloc(100);
    write(&mut v, h, 3);
    for bad in [
        VM_NULL,
        h ^ (1 << 20),
        h + 1,
        h | 0xFFFFF,
        0xFFFF_FFFF,
        1,
        1 << 20,
    ] {
        assert_eq!(v.vmsize(bad), 0, "{bad:#x}");
        assert_eq!(v.vlockcnt(bad), 0);
        assert_eq!(v.vload(bad, VM_DIRTY), None);
        assert_eq!(v.vlock(bad), None);
        assert_eq!(v.load(bad, false), Err(VmError::InvalidHandle));
        assert_eq!(v.free(bad), Err(VmError::InvalidHandle));
        assert_eq!(v.unlock(bad, true), Err(VmError::InvalidHandle));
        if bad != VM_NULL {
            assert_eq!(v.vrealloc(bad, 10), VM_NULL);
        }
    }
    assert_eq!(read(&mut v, h), vec![3; 112]);
    // freed handle
    v.vfree(h);
    assert_eq!(v.vmsize(h), 0);
    assert_eq!(v.free(h), Err(VmError::InvalidHandle), "double free");
    // the slot is reused with a new generation: the stale handle stays invalid
    let h2 = v.vmalloc(100);
    assert_eq!(h2 & 0xFFFFF, h & 0xFFFFF);
    assert_ne!(h2, h);
    assert_eq!(v.vload(h, VM_CLEAN), None);
    assert_eq!(read(&mut v, h2), vec![0; 112], "fresh block reads as zeros");
}

#[test]
fn stale_handle_rejected_when_not_resident() {
    let mut v = vmm(600, [BIG, None, None]);
    let h = v.vmalloc(100);
    v.vfree(h);
    let h2 = v.vmalloc(100);
    // push h2 out of the cache
    let others: Vec<_> = (0..200).map(|_| v.vmalloc(1000)).collect();
    for &o in &others {
        write(&mut v, o, 1);
    }
    assert_eq!(v.vlockcnt(h2), 0);
    assert_eq!(v.vmsize(h), 0);
    assert_eq!(v.vmsize(h2), 112);
}

#[test]
fn lock_limits() {
    let mut v = vmm(4096, [BIG, None, None]);
    let h = v.vmalloc(100);
    let at = v.vlock(h).unwrap();
    for i in 2..=255u16 {
        assert_eq!(v.vlock(h), Some(at), "locked block never moves");
        assert_eq!(v.vlockcnt(h), i);
    }
    assert_eq!(v.vlock(h), None, "256th lock fails");
    assert_eq!(v.lock(h), Err(VmError::LockOverflow));
    assert_eq!(v.vlockcnt(h), 255, "and changes nothing");
    assert_eq!(
        v.free(h),
        Err(VmError::Locked),
        "freeing a locked block is refused"
    );
    assert_eq!(v.vmsize(h), 112, "the block stays valid");
    assert_eq!(
        v.vrealloc(h, 500),
        VM_NULL,
        "realloc of a locked block fails"
    );
    assert_eq!(v.vrealloc(h, 0), VM_NULL);
    assert_eq!(v.vmsize(h), 112);
    for i in (0..255u16).rev() {
        v.vunlock(h, VM_CLEAN);
        assert_eq!(v.vlockcnt(h), i);
    }
    v.vunlock(h, VM_DIRTY);
    assert_eq!(
        v.vlockcnt(h),
        0,
        "unlock of an unlocked block changes nothing"
    );
    v.vfree(h);
    assert_eq!(v.vmsize(h), 0);
}

#[test]
fn dirty_unlock_persists_and_locked_blocks_stay() {
    let mut v = vmm(700, [BIG, None, None]);
    let h = v.vmalloc(300);
    let at = v.vlock(h).unwrap();
    v.vlock(h).unwrap();
    arena(&mut v).slice_mut(at.offset(), 300).fill(9);
    v.vunlock(h, VM_DIRTY);
    // churn the cache while h is still locked once
    let others: Vec<_> = (0..100).map(|_| v.vmalloc(500)).collect();
    for (i, &o) in others.iter().enumerate() {
        write(&mut v, o, i as u8);
    }
    assert_eq!(v.vlock(h), Some(at));
    v.vunlock(h, VM_CLEAN);
    v.vunlock(h, VM_CLEAN);
    for (i, &o) in others.iter().enumerate() {
        assert_eq!(read(&mut v, o), vec![i as u8; 512]);
    }
    assert_eq!(&read(&mut v, h)[..300], &[9; 300][..]);
    assert!(v.store_stats(StoreKind::Xms).page_outs > 0);
    v.check_invariants();
}

#[test]
fn everything_locked_means_null() {
    let mut v = vmm(600, [BIG, None, None]);
    let mut locked = vec![];
    loop {
        let h = v.vmalloc(1000);
        match v.vlock(h) {
            Some(_) => locked.push(h),
            None => {
                assert_eq!(v.vload(h, VM_CLEAN), None);
                break;
            }
        }
    }
    assert!(!locked.is_empty());
    v.vunlock(locked[0], VM_CLEAN);
    let h = v.vmalloc(1000);
    assert!(v.vload(h, VM_DIRTY).is_some());
}

#[test]
fn realloc_rules() {
    let mut v = vmm(2048, [BIG, None, None]);
    let h = v.vrealloc(VM_NULL, 100);
    assert_ne!(h, VM_NULL, "NULL handle acts as _vmalloc");
    write(&mut v, h, 0x11);
    let h2 = v.vrealloc(h, 5000);
    assert_ne!(h2, VM_NULL);
    let b = read(&mut v, h2);
    assert_eq!(b.len(), 5008);
    assert!(b[..112].iter().all(|&x| x == 0x11) && b[112..].iter().all(|&x| x == 0));
    let h3 = v.vrealloc(h2, 40);
    assert_eq!(read(&mut v, h3), vec![0x11; 48]);
    assert_eq!(v.vrealloc(h3, 0), VM_NULL, "size 0 frees");
    assert_eq!(v.vmsize(h3), 0);
}

#[test]
fn realloc_through_swap_when_the_cache_is_too_small_for_both() {
    let mut v = vmm(2600, [BIG, None, None]);
    let h = v.vmalloc(20000);
    write(&mut v, h, 0x42);
    let h2 = v.vrealloc(h, 30000);
    assert_ne!(h2, VM_NULL);
    let b = read(&mut v, h2);
    assert!(b[..20000].iter().all(|&x| x == 0x42));
    assert!(b[20000..].iter().all(|&x| x == 0));
    v.check_invariants();
}

#[test]
fn clean_blocks_drop_without_io_and_free_returns_swap() {
    let mut v = vmm(600, [BIG, None, None]);
    let hs: Vec<_> = (0..40).map(|_| v.vmalloc(1024)).collect();
    // The handle table's page has its swap space from the first handle on.
    let table = v.status().store_used_bytes[0];
    assert_eq!(table, 1024);
    for &h in &hs {
        v.vload(h, VM_CLEAN).unwrap();
    }
    let s = v.store_stats(StoreKind::Xms);
    assert_eq!(s.page_outs, 0, "never-written blocks take no swap");
    assert_eq!(v.status().store_used_bytes[0], table);
    for &h in &hs {
        write(&mut v, h, 1);
    }
    let used = v.status().store_used_bytes[0];
    assert!(used > 0);
    for &h in &hs {
        read(&mut v, h);
    }
    // Every block now has a current swap copy or is resident clean.
    let outs = v.store_stats(StoreKind::Xms).page_outs;
    for &h in &hs {
        read(&mut v, h);
    }
    assert_eq!(
        v.store_stats(StoreKind::Xms).page_outs,
        outs,
        "clean blocks with a current swap copy are dropped without I/O"
    );
    for &h in &hs {
        v.vfree(h);
    }
    assert_eq!(
        v.status().store_used_bytes[0],
        table,
        "free returns swap space"
    );
}

#[test]
fn swap_preference_and_spill_over() {
    let mut v = vmm(600, [Some(64 << 10), Some(64 << 10), BIG]);
    let hs: Vec<_> = (0..400).map(|_| v.vmalloc(1000)).collect();
    for (i, &h) in hs.iter().enumerate() {
        write(&mut v, h, i as u8);
    }
    let st = v.status();
    assert!(st.store_used_bytes[0] > 0 && st.store_used_bytes[1] > 0 && st.store_used_bytes[2] > 0);
    assert!(st.store_used_bytes[0] <= 64 << 10);
    assert!(st.stores_full.contains(SwapAreas::XMS | SwapAreas::EMS));
    assert!(
        v.store_stats(StoreKind::Disk).grows < 10,
        "few backend grows"
    );
    for (i, &h) in hs.iter().enumerate() {
        assert_eq!(read(&mut v, h), vec![i as u8; 1008]);
    }
}

#[test]
fn no_swap_at_all() {
    let mut v = vmm(600, [None, None, None]);
    let a = v.vmalloc(3000);
    write(&mut v, a, 1);
    let mut last = a;
    // the cache fills up; dirty blocks cannot leave, so loads fail
    let mut failed = false;
    for _ in 0..10 {
        let h = v.vmalloc(3000);
        if v.vload(h, VM_DIRTY).is_none() {
            failed = true;
            break;
        }
        last = h;
    }
    assert!(failed);
    assert_eq!(read(&mut v, a), vec![1; 3008]);
    v.vfree(last);
    v.check_invariants();
}

#[test]
fn backend_failures_leave_blocks_intact() {
    let mut v = vmm(600, [BIG, None, None]);
    let hs: Vec<_> = (0..30).map(|_| v.vmalloc(1000)).collect();
    for (i, &h) in hs.iter().enumerate() {
        write(&mut v, h, i as u8);
    }
    v.backends().plan.borrow_mut().fail_writes = true;
    let mut failures = 0;
    for (i, &h) in hs.iter().enumerate() {
        match v.vload(h, VM_DIRTY) {
            Some(at) => arena(&mut v)
                .slice_mut(at.offset(), 1008)
                .fill(i as u8 + 100),
            None => failures += 1,
        }
    }
    assert!(failures > 0);
    v.backends().plan.borrow_mut().clear();
    for (i, &h) in hs.iter().enumerate() {
        let b = read(&mut v, h);
        assert!(b == vec![i as u8; 1008] || b == vec![i as u8 + 100; 1008]);
    }
    v.check_invariants();
}

#[test]
fn many_small_handles_page_the_table() {
    // 8 KiB cache, 4000 handles: the handle table (32 KiB) must be paged.
    let mut v = vmm(512, [BIG, None, None]);
    let hs: Vec<_> = (0..4000).map(|_| v.vmalloc(16)).collect();
    assert!(hs.iter().all(|&h| h != VM_NULL));
    for (i, &h) in hs.iter().enumerate() {
        let at = v.vload(h, VM_DIRTY).unwrap().offset();
        arena(&mut v)
            .slice_mut(at, 4)
            .copy_from_slice(&(i as u32).to_le_bytes());
    }
    for (i, &h) in hs.iter().enumerate().rev() {
        let at = v.vload(h, VM_CLEAN).unwrap().offset();
        assert_eq!(arena(&mut v).slice(at, 4), &(i as u32).to_le_bytes());
    }
    assert!(v.store_stats(StoreKind::Xms).table_outs > 0);
    assert_eq!(v.status().live_handles, 4000);
    for &h in &hs[..2000] {
        v.vfree(h);
    }
    assert_eq!(v.status().live_handles, 2000);
    v.check_invariants();
}

#[test]
fn handle_limit() {
    let mut v = vmm(512, [BIG, None, None]);
    let max = v.status().max_handles;
    for _ in 0..max {
        assert_ne!(v.vmalloc(16), VM_NULL);
    }
    assert_eq!(v.alloc(16), Err(VmError::NoHandles));
}

/// The scale target: dosmax = 128 KiB, 60 MB of XMS, 256-byte
/// blocks until the swap space is full: at least 95% of it must hold block
/// data (the handle table lives in the same swap space), and every block
/// must read back.
#[test]
fn scale_256_byte_blocks_fill_60_mb() {
    const SWAP: u32 = 60 << 20;
    let mut v = Vmm::new(VecBackends::new(8192, [Some(SWAP), None, None]));
    assert_eq!(v.vheapinit(0, 8192, VM_ALLSWAP), 1);
    let mut hs = Vec::new();
    loop {
        let h = v.vmalloc(256);
        if h == VM_NULL {
            break;
        }
        match v.vload(h, VM_DIRTY) {
            Some(at) => {
                let n = hs.len() as u32;
                arena(&mut v)
                    .slice_mut(at.offset(), 4)
                    .copy_from_slice(&n.to_le_bytes());
                hs.push(h);
            }
            None => {
                v.vfree(h);
                break;
            }
        }
    }
    let data = hs.len() as u64 * 256;
    let pct = data * 100 / u64::from(SWAP);
    println!(
        "{} blocks, {} bytes = {}% of swap; status {:?}",
        hs.len(),
        data,
        pct,
        v.status()
    );
    assert!(
        data * 100 >= u64::from(SWAP) * 95,
        "only {pct}% of swap holds blocks"
    );
    // Swap is full and the cache holds dirty blocks that have no swap space
    // yet, so loading an old block may fail now. Free 1000 old blocks: their
    // swap space takes the dirty ones.
    for &h in &hs[..1000] {
        assert_eq!(v.free(h), Ok(()));
    }
    // Spot-check contents (every 97th block, plus the last few).
    for (i, &h) in hs.iter().enumerate().skip(1000) {
        if i % 97 == 0 || i + 5 > hs.len() {
            let at = v.vload(h, VM_CLEAN).expect("load").offset();
            assert_eq!(arena(&mut v).slice(at, 4), &(i as u32).to_le_bytes());
        }
    }
    // Free everything: O(1) each; all swap space returns.
    for &h in &hs[1000..] {
        assert_eq!(v.free(h), Ok(()));
    }
    assert_eq!(v.status().live_handles, 0);
    let again = v.vmalloc(256);
    assert_ne!(again, VM_NULL);
}

/// The replacement policy keeps most of a loop larger than the cache (LRU
/// would miss on every access) and keeps a hot set through a long scan.
#[test]
fn policy_resists_loops_and_scans() {
    let mut v = vmm(2048, [BIG, None, None]);
    let cap = v.status().largest_block / (256 + 32);
    let n = cap * 5 / 4;
    let hs: Vec<_> = (0..n).map(|_| v.vmalloc(256)).collect();
    for &h in &hs {
        write(&mut v, h, 1); // every block gets a swap copy
    }
    let before = v.store_stats(StoreKind::Xms).page_ins;
    for _ in 0..10 {
        for &h in &hs {
            v.vload(h, VM_CLEAN).unwrap();
        }
    }
    let ins = v.store_stats(StoreKind::Xms).page_ins - before;
    assert!(
        ins < 10 * n * 2 / 5,
        "loop: {ins} page-ins for {} accesses",
        10 * n
    );
    for &h in &hs {
        v.vfree(h);
    }
    // Hot set of half the cache, then a scan of 5x the cache (new blocks,
    // written, kept) with one hot access per two scan blocks: under LRU every
    // hot access would miss (reuse distance 1.5x the cache).
    let hot: Vec<_> = (0..cap / 2).map(|_| v.vmalloc(256)).collect();
    for &h in &hot {
        write(&mut v, h, 2);
    }
    for _ in 0..3 {
        for &h in &hot {
            v.vload(h, VM_CLEAN).unwrap();
        }
    }
    let before = v.store_stats(StoreKind::Xms).page_ins;
    for i in 0..cap * 5 / 2 {
        for _ in 0..2 {
            let s = v.vmalloc(256);
            write(&mut v, s, 3);
        }
        let h = hot[i as usize % hot.len()];
        v.vload(h, VM_CLEAN).unwrap();
    }
    let ins = v.store_stats(StoreKind::Xms).page_ins - before;
    assert!(ins < cap / 4, "scan: {ins} hot-set page-ins");
}
