//! The demo: a virtual heap far larger than conventional memory.
//!
//! Allocates more than 8 MB in blocks of mixed sizes up to 65530 bytes,
//! writes a distinct pattern into each, reads every block back and checks
//! it, and prints what the VMM did: blocks, bytes, page-ins and page-outs
//! and bytes moved per swap store, and the MS VMM status values. Exit code
//! 0 only if every byte came back. `DEMO.EXE test` also records the
//! outcome in RESULT.TXT for the test harness.
#![no_std]
#![no_main]

use vmemory::dos::testlog::TestLog;
use vmemory::dos::{ems, mem, rt, xms};
use vmemory::vm::{Config, Dirty, Handle, StoreKind, VHeap};
use vmemory::{dos_main, println};

dos_main!(main);

/// Bytes the demo puts in the heap.
const TARGET_BYTES: u32 = 8 * 1024 * 1024 + 512 * 1024;
const MAX_BLOCKS: usize = 700;
/// Cache: at most 192 KiB of conventional memory.
const CACHE_MAX_PARAS: u16 = 12 * 1024;

fn block_size(i: u32) -> u32 {
    const SIZES: [u32; 8] = [65530, 100, 3000, 20000, 16, 40000, 512, 9000];
    (SIZES[(i % 8) as usize] + (i / 8) % 7).min(65530)
}

fn pattern(i: u32, at: u32) -> u8 {
    (i.wrapping_mul(73) ^ at.wrapping_mul(0x2F) ^ (at >> 9)) as u8
}

fn main() -> u8 {
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let test_mode = &tail[..n] == b"test";
    println!("vmemory demo: a virtual heap larger than conventional memory");
    let (major, minor) = vmemory::dos::system::dos_version();
    println!(
        "DOS {}.{:02}, largest free conventional block {} KB",
        major,
        minor,
        mem::largest_free().bytes() / 1024
    );
    let have_xms = xms::detect();
    let have_ems = ems::detect();
    if have_xms {
        let (ver, _, _) = xms::version().unwrap_or((0, 0, false));
        let free = xms::query_free().map(|(_, t)| t).unwrap_or(0);
        println!("XMS {:x}.{:02x}, {} KB free", ver >> 8, ver & 0xFF, free);
    } else {
        println!("XMS: none");
    }
    if have_ems {
        let free = ems::page_counts().map(|(f, _)| f).unwrap_or(0);
        println!(
            "EMS {:x}, page frame {:04X}, {} pages free",
            ems::version().unwrap_or(0),
            ems::page_frame().map(|s| s.value()).unwrap_or(0),
            free
        );
    } else {
        println!("EMS: none");
    }

    let config = Config {
        dos_min_paras: 8192,
        dos_max_paras: CACHE_MAX_PARAS,
        ..Config::default()
    };
    let mut heap = match VHeap::init(config) {
        Ok(h) => h,
        Err(e) => {
            println!("_vheapinit failed: {:?}", e);
            return 2;
        }
    };
    let st = heap.status();
    println!(
        "cache {} KB at segment {:04X}; swap: XMS {}, EMS {}, disk {}",
        u32::from(st.c_page_dos) * 4,
        st.seg_vm_dos,
        if st.f_vm_disable_xms == 0 {
            "on"
        } else {
            "off"
        },
        if st.f_vm_disable_ems == 0 {
            "on"
        } else {
            "off"
        },
        if st.f_vm_disable_disk == 0 {
            "on"
        } else {
            "off"
        }
    );

    // Allocate and write.
    let mut handles = [Handle::from_raw(0); MAX_BLOCKS];
    let mut count = 0usize;
    let mut total = 0u32;
    let mut buf = [0u8; 1024];
    while total < TARGET_BYTES && count < MAX_BLOCKS {
        let size = block_size(count as u32);
        let h = match heap.alloc(size) {
            Ok(h) => h,
            Err(e) => {
                println!("_vmalloc({}) failed after {} blocks: {:?}", size, count, e);
                break;
            }
        };
        let mut view = match heap.load(h, Dirty::Yes) {
            Ok(v) => v,
            Err(e) => {
                println!("_vload of block {} failed: {:?}", count, e);
                break;
            }
        };
        let mut at = 0;
        while at < size {
            let n = (size - at).min(buf.len() as u32);
            for j in 0..n {
                buf[j as usize] = pattern(count as u32, at + j);
            }
            let _ = view.write(at, &buf[..n as usize]);
            at += n;
        }
        handles[count] = h;
        count += 1;
        total += size;
    }
    println!(
        "allocated and wrote {} blocks, {} bytes ({} KB)",
        count,
        total,
        total / 1024
    );

    // Read back and verify, in a different order than written.
    let mut bad_blocks = 0u32;
    for k in 0..count {
        let i = (k * 211) % count;
        let size = block_size(i as u32);
        let view = match heap.load(handles[i], Dirty::No) {
            Ok(v) => v,
            Err(e) => {
                println!("_vload of block {} failed on read-back: {:?}", i, e);
                bad_blocks += 1;
                continue;
            }
        };
        let mut at = 0;
        let mut ok = true;
        while at < size && ok {
            let n = (size - at).min(buf.len() as u32);
            let _ = view.read(at, &mut buf[..n as usize]);
            ok = (0..n).all(|j| buf[j as usize] == pattern(i as u32, at + j));
            at += n;
        }
        if !ok {
            bad_blocks += 1;
            println!("block {} differs near byte {}", i, at);
        }
    }
    println!("verified {} blocks: {} bad", count, bad_blocks);

    let c = heap.cache_stats();
    println!(
        "cache: {} hits, {} misses ({} zero-filled), {} clean drops, {} compactions",
        c.hits, c.misses, c.zero_fills, c.clean_drops, c.compactions
    );
    println!("store  page-ins  page-outs   KB in  KB out");
    for (name, kind) in [
        ("XMS ", StoreKind::Xms),
        ("EMS ", StoreKind::Ems),
        ("disk", StoreKind::Disk),
    ] {
        let s = heap.store_stats(kind);
        println!(
            "{}   {:8}  {:9}  {:6}  {:6}",
            name,
            s.page_ins,
            s.page_outs,
            s.bytes_in / 1024,
            s.bytes_out / 1024
        );
    }
    let st = heap.status();
    println!("status: cPageDos={} fVmSwapping={} fVmDisableDisk={} fhVm={} fVmDisableEms={} fVmDisableXms={} segVmDos={:04X} cVmPage={} fVmInitialized={}",
        st.c_page_dos, st.f_vm_swapping, st.f_vm_disable_disk, st.fh_vm, st.f_vm_disable_ems,
        st.f_vm_disable_xms, st.seg_vm_dos, st.c_vm_page, st.f_vm_initialized);

    for &h in &handles[..count] {
        let _ = heap.free(h);
    }
    drop(heap); // _vheapterm
    let ok = bad_blocks == 0 && total >= 8 * 1024 * 1024;
    println!(
        "{}",
        if ok {
            "demo OK: every byte came back"
        } else {
            "demo FAILED"
        }
    );
    if test_mode {
        let mut log = TestLog::create();
        log.check(
            "demo: more than 8 MB in the heap",
            total >= 8 * 1024 * 1024,
            format_args!("{} bytes", total),
        );
        log.check_eq("demo: blocks that came back wrong", bad_blocks, 0);
        return log.finish();
    }
    u8::from(!ok)
}
