//! `omf`: writes vmemory's OMF library and checks OMF objects and libraries
//! against the OMF specification (record checksums and lengths, LNAMES /
//! SEGDEF / GRPDEF / PUBDEF / EXTDEF / LEDATA / FIXUPP consistency, the
//! library header, page alignment, end record and hashed dictionary).
//!
//! ```text
//! omf lib OUT.LIB IN.OBJ...                     write a library
//! omf check FILE... [--publics A,B,...] [--para SEG]
//!     check objects (.OBJ) and libraries (.LIB, by their F0h header); with
//!     --publics the public names must be exactly that set; with --para
//!     segment SEG must be paragraph aligned
//! omf link OUT.EXE FILE... [--map MAP]
//!     link OMF objects and the library modules they need (FILE: .OBJ or
//!     .LIB, told apart by the F0h header) into a DOS MZ program (`link`)
//! ```
//! Exit status 0 when everything checked is valid, 1 otherwise.

mod fixupp;
mod library;
mod link;
mod record;

use std::process::ExitCode;
use std::{env, fs};

use record::{check_publics, Module};

fn usage() -> ExitCode {
    eprintln!("usage: omf lib OUT.LIB IN.OBJ...\n       omf check FILE... [--publics A,B,...] [--para SEG]\n       omf link OUT.EXE FILE... [--map MAP]");
    ExitCode::from(2)
}

/// The module checks beyond the record structure.
fn extra_checks(m: &mut Module, publics: Option<&[String]>, para: Option<&str>) {
    if let Some(p) = publics {
        check_publics(m, p);
    }
    if let Some(seg) = para {
        match m.segments.iter().find(|s| s.name == seg) {
            Some(s) if s.align == 3 => {}
            Some(s) => m.errors.push(format!(
                "segment {seg} alignment {} is not paragraph",
                s.align
            )),
            None => m.errors.push(format!("no segment {seg}")),
        }
    }
}

fn report(m: &Module) -> bool {
    print!("{m}");
    for w in &m.warnings {
        println!("  warning: {w}");
    }
    for e in &m.errors {
        println!("  ERROR: {e}");
    }
    m.errors.is_empty()
}

fn check_file(path: &str, publics: Option<&[String]>, para: Option<&str>) -> bool {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            println!("{path}: {e}");
            return false;
        }
    };
    if data.first() == Some(&record::kind::LIBHDR) {
        let mut lib = library::check(&data);
        println!(
            "{path}: OMF library, page size {}, {} module(s), dictionary at {:#x}: {} block(s), {} entries, flags {:#04x}",
            lib.page_size,
            lib.modules.len(),
            lib.dict_offset,
            lib.dict_blocks,
            lib.dictionary.len(),
            lib.flags
        );
        let mut ok = true;
        for (page, m) in &mut lib.modules {
            print!("page {page}: ");
            extra_checks(m, publics, para);
            ok &= report(m);
        }
        let mut names: Vec<String> = lib
            .dictionary
            .iter()
            .map(|(n, p)| format!("{n}@{p}"))
            .collect();
        names.sort();
        println!("  dictionary: {}", names.join(" "));
        for e in &lib.errors {
            println!("  ERROR: {e}");
        }
        ok &= lib.errors.is_empty() && !lib.modules.is_empty();
        println!("{path}: {}", if ok { "OK" } else { "INVALID" });
        ok
    } else {
        let (mut m, end) = record::check_module(&data, 0);
        if end != data.len() {
            m.errors
                .push(format!("{} bytes after MODEND", data.len() - end));
        }
        extra_checks(&mut m, publics, para);
        print!("{path}: ");
        let ok = report(&m);
        println!("{path}: {}", if ok { "OK" } else { "INVALID" });
        ok
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("lib") if args.len() >= 3 => {
            let mut objs = Vec::new();
            for p in &args[2..] {
                match fs::read(p) {
                    Ok(d) => objs.push(d),
                    Err(e) => {
                        eprintln!("omf: {p}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            match library::write(&objs) {
                Ok(lib) => {
                    if let Err(e) = fs::write(&args[1], lib) {
                        eprintln!("omf: {}: {e}", args[1]);
                        return ExitCode::FAILURE;
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("omf: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("check") if args.len() >= 2 => {
            let mut files = Vec::new();
            let mut publics: Option<Vec<String>> = None;
            let mut para = None;
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--publics" => match it.next() {
                        Some(v) => publics = Some(v.split(',').map(str::to_string).collect()),
                        None => return usage(),
                    },
                    "--para" => match it.next() {
                        Some(v) => para = Some(v.clone()),
                        None => return usage(),
                    },
                    f => files.push(f.to_string()),
                }
            }
            let mut ok = !files.is_empty();
            for f in &files {
                ok &= check_file(f, publics.as_deref(), para.as_deref());
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some("link") if args.len() >= 3 => link_files(&args[1], &args[2..]),
        _ => usage(),
    }
}

/// `omf link OUT.EXE FILE... [--map MAP]`.
fn link_files(out: &str, args: &[String]) -> ExitCode {
    let (mut objs, mut libs, mut map) = (Vec::new(), Vec::new(), None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--map" {
            match it.next() {
                Some(m) => map = Some(m.clone()),
                None => return usage(),
            }
            continue;
        }
        match fs::read(a) {
            Ok(d) if d.first() == Some(&record::kind::LIBHDR) => libs.push(d),
            Ok(d) => objs.push(d),
            Err(e) => {
                eprintln!("omf: {a}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match link::link(&objs, &libs) {
        Ok(l) => {
            let written =
                fs::write(out, &l.exe).and_then(|()| map.map_or(Ok(()), |m| fs::write(m, &l.map)));
            if let Err(e) = written {
                eprintln!("omf: {out}: {e}");
                return ExitCode::FAILURE;
            }
            print!("{}", l.map);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("omf link: {e}");
            ExitCode::FAILURE
        }
    }
}
