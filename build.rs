//! Hands the linker scripts to the linker when building for the DOS target.
//!
//! Every DOS program is a tiny-model MZ .EXE laid out by `src/dos/exe.ld`;
//! the library image `vmmimage` (the Rust half of the C ABI) is a flat image
//! laid out by `src/cabi/image.ld`. The host build (`cargo test`) links
//! nothing special, so this does nothing there.
//!
//! For programs in other packages that depend on vmemory (a dependency's
//! `cargo:rustc-link-arg` does not reach them), the program layout is
//! published as `vmemory.ld` in a directory this script adds to the linker's
//! search path (`cargo:rustc-link-search`, which does reach dependents): such
//! a program links with `-C link-arg=-Tvmemory.ld` (see
//! `examples/rust-app/.cargo/config.toml`).
use std::env;
use std::fs;

/// The bin target linked with the library image's script instead of exe.ld.
const IMAGE_BIN: &str = "vmmimage";

/// The `name`s of the `[[bin]]` tables of Cargo.toml (autobins is off, so
/// these are all the bins).
fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    names.push(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    names
}

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-changed=src/dos/exe.ld");
    println!("cargo:rerun-if-changed=src/cabi/image.ld");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=i386-dos.json");
    if target.contains("i386-dos") {
        let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let manifest = fs::read_to_string(format!("{dir}/Cargo.toml")).expect("read Cargo.toml");
        for bin in bin_names(&manifest) {
            let script = if bin == IMAGE_BIN {
                "src/cabi/image.ld"
            } else {
                "src/dos/exe.ld"
            };
            println!("cargo:rustc-link-arg-bin={bin}=-T{dir}/{script}");
            println!("cargo:rustc-link-arg-bin={bin}=-Map={dir}/target/{bin}.map");
        }
        // The same script under a name of its own, for dependent programs.
        let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
        let link_dir = format!("{out}/link");
        fs::create_dir_all(&link_dir).expect("create OUT_DIR/link");
        fs::copy(
            format!("{dir}/src/dos/exe.ld"),
            format!("{link_dir}/vmemory.ld"),
        )
        .expect("copy src/dos/exe.ld to OUT_DIR/link/vmemory.ld");
        println!("cargo:rustc-link-search=native={link_dir}");
    }
}
