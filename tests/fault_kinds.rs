//! The fault injector's list of calls against the calls `src/dos` makes.
//!
//! The fault walk (`T_FAULT.EXE`, issue 25) fails every kind of XMS, EMS
//! and INT 21h call that the injector (`harness/faultinj.asm`, table
//! `kinds`) knows. A call the real-mode layer makes that the table does not
//! know would never be failed, so this test reads the sources: every INT 21h
//! and INT 67h function of a function body of `src/dos` that issues that
//! interrupt, and every XMS function number of `src/dos/xms*`, must be in
//! the injector's table or in [`NOT_FAILED`] (with the reason); the table's
//! kinds must be the ones `dostests/src/faults.rs` lists, in order.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Interfaces as the injector numbers them.
const XMS: u8 = 0;
const EMS: u8 = 1;
const DOS: u8 = 2;

/// Calls of `src/dos` the walk does not fail, and why: none of them is a
/// call the VMM makes while it holds blocks, or the spec gives it no
/// failure for valid arguments.
const NOT_FAILED: &[(u8, u8, &str)] = &[
    (DOS, 0x0B, "check stdin: cannot fail"),
    (DOS, 0x1A, "set DTA: cannot fail"),
    (DOS, 0x25, "set vector: cannot fail"),
    (DOS, 0x2F, "get DTA: cannot fail"),
    (DOS, 0x30, "DOS version: cannot fail"),
    (DOS, 0x31, "keep resident: ends the program"),
    (DOS, 0x33, "Ctrl-Break checking: cannot fail"),
    (DOS, 0x35, "get vector: cannot fail"),
    (
        DOS,
        0x46,
        "force duplicate handle: test programs only (redirection)",
    ),
    (DOS, 0x4B, "EXEC: test programs only"),
    (DOS, 0x4C, "terminate: ends the program"),
    (DOS, 0x4D, "child's exit code: test programs only"),
    (DOS, 0x4E, "find first: test programs only (leak counts)"),
    (DOS, 0x4F, "find next: test programs only (leak counts)"),
    (
        DOS,
        0x58,
        "allocation strategy: the arena sets it back whatever it got",
    ),
    (
        DOS,
        0x52,
        "list of lists: test programs only (dos::faults, the leak counts)",
    ),
    (DOS, 0x62, "PSP: cannot fail"),
];

/// The 4-hex-digit literals `0xHHLL` of `text` (not part of a longer one).
fn literals(text: &str) -> Vec<u16> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 6 <= b.len() {
        if &b[i..i + 2] == b"0x"
            && b[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit)
            && !b.get(i + 6).is_some_and(u8::is_ascii_hexdigit)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            out.push(u16::from_str_radix(&text[i + 2..i + 6], 16).unwrap());
            i += 6;
        } else {
            i += 1;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push((p.display().to_string(), fs::read_to_string(&p).unwrap()));
        }
    }
}

/// (interface, function) of every call `src/dos` makes, with where.
fn calls_in_code() -> BTreeMap<(u8, u8), String> {
    let mut files = Vec::new();
    rust_files(Path::new("src/dos"), &mut files);
    let mut calls = BTreeMap::new();
    for (path, text) in &files {
        // Function bodies, roughly: the text between `fn ` items. A body
        // that issues INT 21h or INT 67h names its AH in a literal AH:AL.
        for body in text.split("fn ") {
            // A `const` item names a value, not a call (`UPPER_START`'s
            // A000h segment is no AH).
            let body: String = body
                .lines()
                .filter(|l| {
                    !l.trim_start().starts_with("pub const ")
                        && !l.trim_start().starts_with("const ")
                })
                .collect::<Vec<_>>()
                .join("\n");
            let body = body.as_str();
            for (needle, iface) in [("\"int 0x21\"", DOS), ("\"int 0x67\"", EMS)] {
                if body.contains(needle) {
                    for v in literals(body) {
                        if v != 0xFFFF {
                            calls.insert((iface, (v >> 8) as u8), path.clone());
                        }
                    }
                }
            }
        }
        // XMS: the function number goes to the driver in AX (or EAX), or
        // through a `*_with(function, ...)` helper.
        if path.contains("xms") {
            for line in text.lines() {
                if line.contains("_with(")
                    || line.contains("inout(\"ax\") 0x")
                    || line.contains("inout(\"eax\") 0x")
                {
                    if line.contains("int 0x2f") {
                        continue;
                    }
                    for v in literals(line) {
                        if v & 0xFF == 0 {
                            calls.insert((XMS, (v >> 8) as u8), path.clone());
                        }
                    }
                }
            }
        }
    }
    calls
}

/// The injector's table: (interface, function) -> kind.
fn injector_table() -> BTreeMap<(u8, u8), u8> {
    let asm = fs::read_to_string("harness/faultinj.asm").unwrap();
    let start = asm.find("\nkinds:").expect("table `kinds`");
    let mut table = BTreeMap::new();
    for line in asm[start..].lines().skip(2) {
        let line = line.split(';').next().unwrap().trim();
        let Some(items) = line.strip_prefix("db ") else {
            break;
        };
        let items: Vec<&str> = items.split(',').map(str::trim).collect();
        if items == ["0FFh"] {
            break;
        }
        for row in items.chunks(3) {
            let iface = match row[0] {
                "I_XMS" => XMS,
                "I_EMS" => EMS,
                "I_DOS" => DOS,
                other => panic!("interface {other}"),
            };
            let f = u8::from_str_radix(row[1].trim_end_matches('h'), 16).unwrap();
            let kind: u8 = row[2].parse().unwrap();
            assert!(kind < 32, "the injector counts 32 kinds");
            assert!(table.insert((iface, f), kind).is_none(), "{row:?} twice");
        }
    }
    table
}

/// The kind numbers of `dostests/src/faults.rs`, in order.
fn walked_kinds() -> Vec<u8> {
    let text = fs::read_to_string("dostests/src/faults.rs").unwrap();
    let start = text.find("pub const KINDS").unwrap();
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("];"))
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("kind(")
                .or_else(|| l.strip_prefix("release("))?;
            rest.split(',').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn every_call_of_src_dos_is_failed_by_the_injector_or_said_why_not() {
    let calls = calls_in_code();
    let table = injector_table();
    let exempt: BTreeSet<(u8, u8)> = NOT_FAILED.iter().map(|&(i, f, _)| (i, f)).collect();
    // Sanity: the scan finds what is known to be there.
    for known in [
        (XMS, 0x0B),
        (XMS, 0x89),
        (EMS, 0x44),
        (EMS, 0x4E),
        (DOS, 0x3F),
        (DOS, 0x40),
    ] {
        assert!(calls.contains_key(&known), "scan missed {known:02X?}");
    }
    let missed: Vec<_> = calls
        .iter()
        .filter(|(c, _)| !table.contains_key(c) && !exempt.contains(c))
        .collect();
    assert!(
        missed.is_empty(),
        "calls of src/dos that harness/faultinj.asm cannot fail (add a kind, \
         dostests/src/faults.rs too, or say why in NOT_FAILED): {missed:02X?}"
    );
    for c in &exempt {
        assert!(
            !table.contains_key(c),
            "{c:02X?} is failed and exempt at once"
        );
        assert!(
            calls.contains_key(c),
            "{c:02X?} exempt but no longer called"
        );
    }
}

#[test]
fn the_injector_and_the_walk_know_the_same_kinds() {
    let table = injector_table();
    let in_table: BTreeSet<u8> = table.values().copied().collect();
    let walked = walked_kinds();
    let want: Vec<u8> = (0..walked.len() as u8).collect();
    assert_eq!(
        walked, want,
        "KINDS in dostests/src/faults.rs: ids in order"
    );
    assert_eq!(
        in_table,
        walked.iter().copied().collect(),
        "kinds of harness/faultinj.asm vs dostests/src/faults.rs"
    );
}

#[test]
fn the_literal_scanner_reads_what_the_sources_write() {
    assert_eq!(literals("inout(\"ax\") 0x3F00u16 | x"), [0x3F00]);
    assert_eq!(literals("0x12345 a0x1234 0xABCD)"), [0xABCD]);
}
