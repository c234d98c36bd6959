//! DOS test: `_vheapterm` leaves nothing behind, as a second program sees it.
//!
//! `T_LEAK.EXE work` records free XMS, free EMS pages, open EMS handles and
//! whether `%TMP%` holds files in LEAK.TXT, then runs init/work/term cycles
//! that swap through XMS, EMS and disk. `T_LEAK.EXE check`, run next in the
//! same DOS session, finds the same figures and no swap file: XMS and EMS
//! handles outlive a DOS program, so a leak would show there.
#![no_std]
#![no_main]

use dostests::resources::ResourceSnapshot;
use vmemory::dos::file::{Access, File};
use vmemory::dos::rt;
use vmemory::dos::testlog::TestLog;
use vmemory::heap;
use vmemory::{dos_main, println};

dos_main!(main);

/// (XMS free KB, EMS free pages, EMS handles, files in TMP) as numbers.
fn snapshot() -> [u32; 4] {
    ResourceSnapshot::take().0
}

fn work() -> u8 {
    let before = snapshot();
    let mut text = [0u8; 64];
    let mut n = 0;
    for v in before {
        let mut digits = [0u8; 10];
        let mut k = 0;
        let mut x = v;
        loop {
            digits[k] = b'0' + (x % 10) as u8;
            k += 1;
            x /= 10;
            if x == 0 {
                break;
            }
        }
        for d in digits[..k].iter().rev() {
            text[n] = *d;
            n += 1;
        }
        text[n] = b' ';
        n += 1;
    }
    if File::create(b"LEAK.TXT")
        .and_then(|mut f| f.write_all(&text[..n]))
        .is_err()
    {
        return 3;
    }
    let mut buf = [0u8; 512];
    for flag in [2u16, 1, 4, 7] {
        if heap::vheapinit(4096, 8192, flag) == 0 {
            println!("init {} failed", flag);
            return 4;
        }
        for i in 0..100u32 {
            let h = heap::vmalloc(5000);
            let p = heap::vload(h, 1);
            if p.is_null() {
                break;
            }
            buf.fill(i as u8);
            // SAFETY: a 5000-byte block's _vload pointer, valid until the next call.
            unsafe { p.write_bytes(&buf) };
        }
        // Deliberately no _vfree: term must release everything anyway.
        heap::vheapterm();
    }
    println!("before: {:?}", before);
    0
}

fn check() -> u8 {
    let mut log = TestLog::create();
    let mut text = [0u8; 64];
    let n = File::open(b"LEAK.TXT", Access::Read)
        .and_then(|mut f| f.read(&mut text))
        .unwrap_or(0);
    let mut before = [0u32; 4];
    let mut parsed = 0;
    for (slot, word) in before
        .iter_mut()
        .zip(text[..n].split(|&b| b == b' ').filter(|w| !w.is_empty()))
    {
        *slot = core::str::from_utf8(word)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u32::MAX);
        parsed += 1;
    }
    log.check_eq("LEAK.TXT from the first program", parsed, 4);
    let now = snapshot();
    log.note(format_args!("before {:?}, now {:?}", before, now));
    log.check_eq("XMS free KB as before", now[0], before[0]);
    log.check_eq("EMS free pages as before", now[1], before[1]);
    log.check_eq("EMS handles as before", now[2], before[2]);
    log.check_eq("no file left in TMP", now[3], 0);
    log.finish()
}

fn main() -> u8 {
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    match &tail[..n] {
        b"work" => work(),
        b"check" => check(),
        _ => 2,
    }
}
