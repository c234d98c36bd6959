//! The shim's per-function table against the dispatcher's numbering.
//!
//! `asm/vmemory.asm` has one `VMFUNC name, number, argument bytes, return
//! kind` line per MSC function: the number goes into the call word the
//! dispatcher decodes, and the argument bytes are what the shim copies for
//! the dispatcher and what its `retf n` pops. `src/cabi/function.rs`
//! (`Function`, its constants and `arg_bytes`) says the same on the Rust
//! side. A mismatch corrupts every caller's stack, so this test reads the
//! shim's source and fails on any difference.

#[path = "../src/cabi/function.rs"]
mod function;

use function::Function;

/// Each public name of the shim with the `Function` it must be.
const NAMED: [(&str, Function); 10] = [
    ("_VHEAPINIT", Function::VHEAPINIT),
    ("_VHEAPTERM", Function::VHEAPTERM),
    ("_VMALLOC", Function::VMALLOC),
    ("_VFREE", Function::VFREE),
    ("_VREALLOC", Function::VREALLOC),
    ("_VMSIZE", Function::VMSIZE),
    ("_VLOAD", Function::VLOAD),
    ("_VLOCK", Function::VLOCK),
    ("_VUNLOCK", Function::VUNLOCK),
    ("_VLOCKCNT", Function::VLOCKCNT),
];

/// One `VMFUNC` line: name, function number, argument bytes, return kind.
#[derive(Debug, PartialEq)]
struct Entry {
    name: String,
    number: u8,
    arg_bytes: u16,
    ret_kind: u8,
}

/// The shim's name of a return kind (`RET_*`) as its number.
fn ret_kind(name: &str) -> u8 {
    match name {
        "RET_NONE" => 0,
        "RET_AX" => 1,
        "RET_DXAX" => 2,
        _ => panic!("a return kind RET_NONE, RET_AX or RET_DXAX: {name}"),
    }
}

/// The `VMFUNC` invocations of the shim's source (not the `%macro` line).
fn shim_table(asm: &str) -> Vec<Entry> {
    asm.lines()
        .filter_map(|line| {
            let code = line.split(';').next().unwrap_or("").trim();
            let rest = code.strip_prefix("VMFUNC")?;
            let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
            assert_eq!(fields.len(), 4, "a VMFUNC line with 4 fields: {line}");
            Some(Entry {
                name: fields[0].to_string(),
                number: fields[1].parse().expect("a decimal function number"),
                arg_bytes: fields[2].parse().expect("a decimal byte count"),
                ret_kind: ret_kind(fields[3]),
            })
        })
        .collect()
}

/// Every difference between the shim's table and `Function`, in words.
fn mismatches(asm: &str) -> Vec<String> {
    let table = shim_table(asm);
    let mut out = Vec::new();
    if table.len() != NAMED.len() {
        out.push(format!(
            "{} VMFUNC lines, want {}",
            table.len(),
            NAMED.len()
        ));
    }
    for (name, f) in NAMED {
        let Some(e) = table.iter().find(|e| e.name == name) else {
            out.push(format!("{name}: no VMFUNC line"));
            continue;
        };
        if e.number != f.0 {
            out.push(format!(
                "{name}: function number {}, Function says {}",
                e.number, f.0
            ));
        }
        if e.arg_bytes != f.arg_bytes() {
            out.push(format!(
                "{name}: {} argument bytes, Function::arg_bytes says {}",
                e.arg_bytes,
                f.arg_bytes()
            ));
        }
        if e.ret_kind != f.ret_kind() {
            out.push(format!(
                "{name}: return kind {}, Function::ret_kind says {}",
                e.ret_kind,
                f.ret_kind()
            ));
        }
    }
    out
}

fn shim_source() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/asm/vmemory.asm");
    std::fs::read_to_string(path).expect("read asm/vmemory.asm")
}

#[test]
fn shim_table_matches_function() {
    let found = mismatches(&shim_source());
    assert!(
        found.is_empty(),
        "asm/vmemory.asm and src/cabi/function.rs disagree:\n{}",
        found.join("\n")
    );
}

#[test]
fn function_numbers_fit_the_call_word() {
    // Bits 0-3 of the call word: ten distinct numbers below 16.
    let mut numbers: Vec<u8> = NAMED.iter().map(|(_, f)| f.0).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), NAMED.len());
    assert!(numbers.iter().all(|&n| n < 16));
}

/// `asm` with field `field` (1 = number, 2 = argument bytes, 3 = return
/// kind) of `name`'s
/// `VMFUNC` line set to `value`.
fn with_field(asm: &str, name: &str, field: usize, value: &str) -> String {
    let mut changed = false;
    let lines: Vec<String> = asm
        .lines()
        .map(|line| {
            let code = line.split(';').next().unwrap_or("").trim();
            match code.strip_prefix("VMFUNC") {
                Some(rest) if rest.split(',').next().map(str::trim) == Some(name) => {
                    changed = true;
                    let mut fields: Vec<&str> = rest.split(',').map(str::trim).collect();
                    fields[field] = value;
                    format!("        VMFUNC {}", fields.join(", "))
                }
                _ => line.to_string(),
            }
        })
        .collect();
    assert!(changed, "no VMFUNC line for {name}");
    lines.join("\n")
}

#[test]
fn a_changed_value_is_caught() {
    // The check itself must fail on a wrong table: one argument byte count,
    // then one function number changed in a copy of the source.
    let asm = shim_source();
    assert_eq!(
        mismatches(&with_field(&asm, "_VLOAD", 2, "4")),
        ["_VLOAD: 4 argument bytes, Function::arg_bytes says 6"]
    );
    assert_eq!(
        mismatches(&with_field(&asm, "_VFREE", 1, "5")),
        ["_VFREE: function number 5, Function says 3"]
    );
    assert_eq!(
        mismatches(&with_field(&asm, "_VMALLOC", 3, "RET_AX")),
        ["_VMALLOC: return kind 1, Function::ret_kind says 2"]
    );
}

#[test]
fn call_bytes_are_distinct() {
    // The entry stub tells `_vmalloc` and `_vfree` from the rest by the
    // call word's low byte: it must name one function each.
    let mut bytes: Vec<u8> = NAMED.iter().map(|(_, f)| f.call_byte()).collect();
    bytes.sort_unstable();
    bytes.dedup();
    assert_eq!(bytes.len(), NAMED.len());
    assert_eq!(Function::VMALLOC.call_byte(), 0x22);
    assert_eq!(Function::VFREE.call_byte(), 0x03);
}
