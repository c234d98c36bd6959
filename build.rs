//! Hands the DOS linker script to the linker when building for the DOS target.
//!
//! The host build (`cargo test`) links nothing special, so this does nothing there.
use std::env;

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-changed=src/dos/exe.ld");
    println!("cargo:rerun-if-changed=i386-dos.json");
    if target.contains("i386-dos") {
        let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        // Every DOS program is a tiny-model MZ .EXE laid out by this script.
        println!("cargo:rustc-link-arg-bins=-T{dir}/src/dos/exe.ld");
        println!("cargo:rustc-link-arg-bins=-Map={dir}/target/dos-link.map");
    }
}
