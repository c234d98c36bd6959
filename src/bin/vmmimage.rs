//! The vmemory library image: the VMM and the C ABI dispatcher, linked by
//! `src/cabi/image.ld` into a flat code16 image that `asm/vmemory.asm`
//! carries (incbin) and enters through the entry stub of [`vmemory::cabi`].
//!
//! It has no `main`: the shim calls the dispatcher, never DOS.
#![no_std]
#![no_main]

// Links the C ABI (entry stub, dispatcher, status block) and with it the VMM;
// nothing here names them, the linker script keeps them.
#[allow(unused_imports)]
use vmemory::cabi as _;

// `src/dos/rt.rs` brings the .EXE startup, which `image.ld` discards; its
// program entry must still resolve. It is never called. The panic handler
// formats nothing, so no `core::fmt` is in the library image.
vmemory::dos_main!(never, panic: lean);

fn never() -> u8 {
    0
}
