//! Links every program of this package as a tiny-model MZ .EXE: the script
//! is vmemory's `src/dos/exe.ld`, which vmemory's build script puts on the
//! linker's search path as `vmemory.ld`. A map per program goes to
//! `target/NAME.map` as for vmemory's own programs. Nothing on the host.
use std::env;
use std::fs;

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-changed=src/bin");
    if !target.contains("i386-dos") {
        return;
    }
    let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    // The programs cargo finds by itself: src/bin/NAME.rs and src/bin/NAME/main.rs.
    for entry in fs::read_dir(format!("{dir}/src/bin")).expect("read src/bin") {
        let path = entry.expect("read src/bin").path();
        let name = match path.extension() {
            Some(ext) if ext == "rs" => path.file_stem(),
            None if path.join("main.rs").is_file() => path.file_name(),
            _ => continue,
        };
        let name = name.and_then(|n| n.to_str()).expect("a program name");
        println!("cargo:rustc-link-arg-bin={name}=-Tvmemory.ld");
        println!("cargo:rustc-link-arg-bin={name}=-Map={dir}/../target/{name}.map");
    }
}
