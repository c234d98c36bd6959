//! The demo: prints what it measures of the machine it runs on.
#![no_std]
#![no_main]

use vmemory::dos::{ems, mem, rt, xms};
use vmemory::{dos_main, println};

dos_main!(main);

fn main() -> u8 {
    let (major, minor) = vmemory::dos::rt::dos_version();
    println!("vmemory demo");
    println!("DOS version            {}.{:02}", major, minor);
    let free = mem::largest_free();
    println!("free conventional      {} paragraphs ({} KB)", free.0, free.bytes() / 1024);
    if xms::detect() {
        match xms::version() {
            Ok((ver, rev, hma)) => println!(
                "XMS driver             version {:x}.{:02x}, revision {:x}.{:02x}, HMA {}",
                ver >> 8, ver & 0xFF, rev >> 8, rev & 0xFF, if hma { "present" } else { "absent" }
            ),
            Err(e) => println!("XMS driver             version query failed: {:?}", e),
        }
        match xms::query_free() {
            Ok((largest, total)) => println!("XMS free (08h)         {} KB total, {} KB largest block", total, largest),
            Err(e) => println!("XMS free (08h)         failed: {:?}", e),
        }
        if let Ok((largest, total)) = xms::query_free_any() {
            println!("XMS free (88h)         {} KB total, {} KB largest block", total, largest);
        }
    } else {
        println!("XMS driver             none");
    }
    if ems::detect() {
        let ver = ems::version().unwrap_or(0);
        println!("EMS manager            version {}.{}", ver >> 4, ver & 0xF);
        match ems::page_frame() {
            Ok(seg) => println!("EMS page frame         segment {:04X}", seg.value()),
            Err(e) => println!("EMS page frame         failed: {:?}", e),
        }
        match ems::page_counts() {
            Ok((free, total)) => println!("EMS pages              {} free of {} (16 KB each)", free, total),
            Err(e) => println!("EMS pages              failed: {:?}", e),
        }
    } else {
        println!("EMS manager            none");
    }
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    if n > 0 {
        println!("command line           {}", core::str::from_utf8(&tail[..n]).unwrap_or("?"));
    }
    0
}
