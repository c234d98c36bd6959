//! The reference manual (`docs/vmemory.txt`, the release's VMEMORY.TXT)
//! against the header, the code and the build: a function, constant or
//! status variable that is in one of them and not in the others, a syntax
//! line that does not match the header's prototype, or a version that
//! differs from Cargo.toml's fails this test, so the manual cannot drift.
//!
//! Sources read: `include/vmemory.h` (prototypes, `#define`s, status
//! `extern`s), `src/cabi/function.rs` (the functions the dispatcher
//! numbers), `asm/vmemory.asm` (the shim's `VMFUNC` entries and status
//! words), the Makefile's `VM_PUBLICS` (what `make test-omf` holds the
//! library's publics to), `Cargo.toml` (the version) and the manual.
//! The last test feeds the checks broken manuals and headers, so that a
//! check that cannot fail would be seen.

use std::collections::BTreeSet;
use std::fs;

fn read(path: &str) -> String {
    fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A prototype: return type, name, parameter types (names dropped), with
/// the header's keyword macros and the manual's `_far`/`_pascal` removed
/// and `_far *` kept as `far *`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Proto {
    ret: String,
    name: String,
    params: Vec<String>,
}

/// Words to one space; the calling-convention words dropped, far pointers
/// spelled `far *`.
fn normal(s: &str) -> String {
    let s = s
        .replace("_VM_FAR *", " far * ")
        .replace("_far *", " far * ")
        .replace('*', " * ");
    s.split_whitespace()
        .filter(|w| !matches!(*w, "_VM_FAR" | "_VM_PASCAL" | "_far" | "_pascal"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `RET [far] [pascal] NAME(PARAMS)` with or without parameter names.
fn parse_proto(text: &str, named: bool) -> Option<Proto> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let head = normal(&text[..open]);
    let (ret, name) = head.rsplit_once(' ')?;
    let params = text[open + 1..close]
        .split(',')
        .map(|p| {
            let p = normal(p);
            if named && p != "void" {
                // Drop the parameter's name: the last word.
                p.rsplit_once(' ').map_or(p.clone(), |(t, _)| t.to_string())
            } else {
                p
            }
        })
        .collect();
    Some(Proto {
        ret: ret.to_string(),
        name: name.to_string(),
        params,
    })
}

/// What the header declares.
struct Header {
    protos: Vec<Proto>,
    /// `#define`d constants of the API and their values.
    constants: Vec<(String, String)>,
    /// Status variables and their C types.
    status: Vec<(String, String)>,
}

fn parse_header(h: &str) -> Header {
    let protos = h
        .lines()
        .filter(|l| l.contains("_VM_PASCAL") && l.contains('(') && !l.starts_with('#'))
        .filter_map(|l| parse_proto(l, false))
        .collect();
    let mut constants: Vec<(String, String)> = Vec::new();
    for l in h.lines() {
        let Some(rest) = l.trim_start().strip_prefix("#define ") else {
            continue;
        };
        let mut it = rest.splitn(2, char::is_whitespace);
        let (name, value) = (it.next().unwrap_or(""), it.next().unwrap_or("").trim());
        // The keyword macros and the include guard are not the API.
        if value.is_empty()
            || matches!(name, "_VM_FAR" | "_VM_PASCAL" | "_VM_NEAR" | "_VM_CDECL")
            || !name.starts_with("_VM")
        {
            continue;
        }
        let value = eval(value, &constants);
        constants.push((name.to_string(), value));
    }
    let status = h
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("extern ")?.strip_suffix(';')?;
            let (ty, name) = l.split_once(" _VM_NEAR _VM_CDECL ")?;
            Some((name.to_string(), ty.replace("unsigned int", "unsigned")))
        })
        .collect();
    Header {
        protos,
        constants,
        status,
    }
}

/// A constant's value: a number, a string, a cast number, or an OR of
/// earlier constants.
fn eval(v: &str, known: &[(String, String)]) -> String {
    if v.starts_with('"') {
        return v.to_string();
    }
    let v = v.replace("(_vmhnd_t)", "").replace(['(', ')'], " ");
    let mut acc = 0u64;
    for term in v.split('|').map(str::trim) {
        let hex = term.strip_prefix("0x").or_else(|| term.strip_prefix("0X"));
        let n = match hex {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => term.parse::<u64>().ok(),
        }
        .or_else(|| {
            known
                .iter()
                .find(|(k, _)| k == term)
                .and_then(|(_, v)| v.parse().ok())
        });
        match n {
            Some(n) => acc |= n,
            None => return format!("?{term}"),
        }
    }
    acc.to_string()
}

/// What the manual says.
struct Manual {
    version: String,
    /// Function sections: a name between two rules of dashes.
    sections: Vec<String>,
    /// The syntax lines of each section, joined.
    protos: Vec<Proto>,
    /// Section 5's list, section 14's table.
    short_list: BTreeSet<String>,
    error_table: BTreeSet<String>,
    constants: Vec<(String, String)>,
    status: Vec<(String, String)>,
}

/// The lines of the numbered section whose title starts with `title`.
fn section<'a>(lines: &[&'a str], title: &str) -> Vec<&'a str> {
    let Some(start) = lines
        .windows(2)
        .position(|w| w[0].starts_with("====") && w[1].contains(title))
    else {
        return Vec::new();
    };
    lines[start + 3..]
        .iter()
        .take_while(|l| !l.starts_with("===="))
        .copied()
        .collect()
}

fn parse_manual(m: &str) -> Manual {
    let lines: Vec<&str> = m.lines().collect();
    let version = lines
        .first()
        .and_then(|l| l.split("vmemory ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("")
        .to_string();
    let mut sections = Vec::new();
    let mut protos = Vec::new();
    for i in 1..lines.len().saturating_sub(1) {
        if lines[i - 1].starts_with("----") && lines[i + 1].starts_with("----") {
            let name = lines[i].trim().to_string();
            // The syntax: from after the #include line to the line with ");".
            let syntax: String = lines[i..]
                .iter()
                .skip_while(|l| !l.contains("#include <vmemory.h>"))
                .skip(1)
                .scan(false, |done, l| {
                    if *done {
                        return None;
                    }
                    *done = l.contains(");");
                    Some(l.trim().to_string())
                })
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(p) = parse_proto(&syntax, true) {
                protos.push(p);
            }
            sections.push(name);
        }
    }
    let first_word = |l: &&str| -> Option<String> {
        let w = l.strip_prefix("   ")?.split_whitespace().next()?;
        w.starts_with('_').then(|| w.to_string())
    };
    let short_list = section(&lines, "THE FUNCTIONS, IN SHORT")
        .iter()
        .filter_map(first_word)
        .collect();
    let error_table = section(&lines, "ERROR TABLE")
        .iter()
        .filter_map(first_word)
        .collect();
    let constants = section(&lines, "CONSTANTS")
        .iter()
        .filter_map(|l| {
            let name = first_word(l)?;
            let value = l.split_whitespace().nth(1)?.to_string();
            Some((name, value))
        })
        .collect();
    let status = section(&lines, "STATUS VARIABLES")
        .iter()
        .filter_map(|l| {
            let mut w = l.strip_prefix("   ")?.split_whitespace();
            let (name, ty) = (w.next()?, w.next()?);
            matches!(ty, "unsigned" | "int" | "char").then(|| (name.to_string(), ty.to_string()))
        })
        .collect();
    Manual {
        version,
        sections,
        protos,
        short_list,
        error_table,
        constants,
        status,
    }
}

/// The other sources, as sets of names.
struct Code {
    version: String,
    /// `src/cabi/function.rs`: `_vheapinit` ...
    dispatcher: BTreeSet<String>,
    /// `asm/vmemory.asm`: VMFUNC names, status words (C names).
    shim_functions: BTreeSet<String>,
    shim_status: BTreeSet<String>,
    /// The Makefile's VM_PUBLICS, split into functions and status.
    public_functions: BTreeSet<String>,
    public_status: BTreeSet<String>,
}

fn parse_code(cargo: &str, function_rs: &str, asm: &str, makefile: &str) -> Code {
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or("")
        .to_string();
    let dispatcher = function_rs
        .lines()
        .filter_map(|l| {
            let (n, _) = l
                .trim()
                .strip_prefix("pub const ")?
                .split_once(": Self =")?;
            Some(format!("_{}", n.to_lowercase()))
        })
        .collect();
    let shim_functions = asm
        .lines()
        .filter_map(|l| {
            let n = l.trim().strip_prefix("VMFUNC ")?.split(',').next()?;
            Some(n.to_lowercase())
        })
        .collect();
    let shim_status = asm
        .lines()
        .filter_map(|l| {
            let (label, rest) = l.split_once(':')?;
            (rest.trim().starts_with("dw ") && label.starts_with('_'))
                .then(|| label[1..].to_string())
        })
        .collect();
    // VM_PUBLICS := A,B,...$\ continued on the next line(s).
    let mut publics = String::new();
    for l in makefile
        .split("VM_PUBLICS := ")
        .nth(1)
        .unwrap_or("")
        .lines()
    {
        let l = l.trim();
        publics.push_str(l.trim_end_matches("$\\"));
        if !l.ends_with("$\\") {
            break;
        }
    }
    let publics: Vec<&str> = publics.split(',').map(str::trim).collect();
    let public_functions = publics
        .iter()
        .filter(|p| p.starts_with("_V") && *p == &p.to_uppercase())
        .map(|p| p.to_lowercase())
        .collect();
    let public_status = publics
        .iter()
        .filter(|p| *p != &p.to_uppercase())
        .map(|p| p[1..].to_string())
        .collect();
    Code {
        version,
        dispatcher,
        shim_functions,
        shim_status,
        public_functions,
        public_status,
    }
}

/// Every disagreement between the manual, the header and the code.
fn drift(header: &str, manual: &str, code: &Code) -> Vec<String> {
    let h = parse_header(header);
    let m = parse_manual(manual);
    let mut errors = Vec::new();
    let mut same = |what: &str, a: &BTreeSet<String>, b: &BTreeSet<String>| {
        if a != b {
            let only_a: Vec<_> = a.difference(b).collect();
            let only_b: Vec<_> = b.difference(a).collect();
            errors.push(format!(
                "{what}: only in the header {only_a:?}, only in the other {only_b:?}"
            ));
        }
    };
    let functions: BTreeSet<String> = h.protos.iter().map(|p| p.name.clone()).collect();
    let sections: BTreeSet<String> = m.sections.iter().cloned().collect();
    same("manual's function sections", &functions, &sections);
    same("manual's list in section 5", &functions, &m.short_list);
    same("manual's error table", &functions, &m.error_table);
    same("src/cabi/function.rs", &functions, &code.dispatcher);
    same("asm/vmemory.asm VMFUNC", &functions, &code.shim_functions);
    same(
        "Makefile VM_PUBLICS (functions)",
        &functions,
        &code.public_functions,
    );
    let status: BTreeSet<String> = h.status.iter().map(|s| s.0.clone()).collect();
    let manual_status: BTreeSet<String> = m.status.iter().map(|s| s.0.clone()).collect();
    same("manual's status variables", &status, &manual_status);
    same("asm/vmemory.asm status words", &status, &code.shim_status);
    same("Makefile VM_PUBLICS (status)", &status, &code.public_status);
    let constants: BTreeSet<String> = h.constants.iter().map(|c| c.0.clone()).collect();
    let manual_constants: BTreeSet<String> = m.constants.iter().map(|c| c.0.clone()).collect();
    same("manual's constants", &constants, &manual_constants);

    for p in &h.protos {
        match m.protos.iter().find(|q| q.name == p.name) {
            Some(q) if q == p => {}
            Some(q) => errors.push(format!(
                "{}: the manual's syntax {q:?} is not the header's {p:?}",
                p.name
            )),
            None => errors.push(format!("{}: no syntax in the manual", p.name)),
        }
    }
    for (name, value) in &h.constants {
        if let Some((_, mv)) = m.constants.iter().find(|c| &c.0 == name) {
            if mv != value {
                errors.push(format!("{name}: the manual says {mv}, the header {value}"));
            }
        }
    }
    for (name, ty) in &h.status {
        if let Some((_, mt)) = m.status.iter().find(|c| &c.0 == name) {
            if mt != ty {
                errors.push(format!("{name}: the manual's type {mt}, the header's {ty}"));
            }
        }
    }

    // The version: Cargo.toml's, in the header, the manual's title and text.
    let v = &code.version;
    let parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    let num = match parts[..] {
        [a, b, c] => (a * 10000 + b * 100 + c).to_string(),
        _ => format!("?{v}"),
    };
    let hv = |n: &str| h.constants.iter().find(|c| c.0 == n).map(|c| c.1.clone());
    if hv("_VMEMORY_VERSION_STRING") != Some(format!("\"{v}\"")) {
        errors.push(format!("header: _VMEMORY_VERSION_STRING is not \"{v}\""));
    }
    if hv("_VMEMORY_VERSION") != Some(num.clone()) {
        errors.push(format!("header: _VMEMORY_VERSION is not {num}"));
    }
    if &m.version != v {
        errors.push(format!("manual's title: vmemory {}, not {v}", m.version));
    }
    let zip = format!("VMEM{}.ZIP", v.replace('.', ""));
    for needle in [format!("vmemory {v}"), zip, format!(" {num} ")] {
        if !manual.contains(&needle) {
            errors.push(format!("manual's section on the version lacks {needle:?}"));
        }
    }
    for (i, l) in manual.lines().enumerate() {
        if l.len() > 79 || !l.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            errors.push(format!(
                "manual line {}: over 79 columns or not printable ASCII",
                i + 1
            ));
        }
    }
    errors
}

/// The code's sources, each first changed by `edit(path, text)`.
fn code_edited(edit: impl Fn(&str, String) -> String) -> Code {
    let r = |p: &str| edit(p, read(p));
    parse_code(
        &r("Cargo.toml"),
        &r("src/cabi/function.rs"),
        &r("asm/vmemory.asm"),
        &r("Makefile"),
    )
}

fn sources() -> (String, String, Code) {
    let code = code_edited(|_, t| t);
    (read("include/vmemory.h"), read("docs/vmemory.txt"), code)
}

#[test]
fn manual_header_and_code_agree() {
    let (header, manual, code) = sources();
    // Not vacuous: the sources hold what the checks compare.
    assert_eq!(parse_header(&header).protos.len(), 10);
    assert_eq!(parse_header(&header).status.len(), 9);
    assert_eq!(code.dispatcher.len(), 10);
    assert_eq!(parse_manual(&manual).protos.len(), 10);
    let errors = drift(&header, &manual, &code);
    assert!(
        errors.is_empty(),
        "the manual drifted:\n{}",
        errors.join("\n")
    );
}

#[test]
fn drift_is_seen() {
    let (header, manual, code) = sources();
    let broken = |what: &str, h: &str, m: &str, c: &Code| {
        let e = drift(h, m, c);
        assert!(!e.is_empty(), "{what}: not seen");
    };
    // A function's section dropped from the manual.
    let no_section = manual.replacen("\n_vlockcnt\n", "\nvlockcnt\n", 1);
    broken("a missing section", &header, &no_section, &code);
    // A function added to the header only.
    let extra = header.replacen(
        "void _VM_FAR _VM_PASCAL _vfree(_vmhnd_t);",
        "void _VM_FAR _VM_PASCAL _vfree(_vmhnd_t);\nint _VM_FAR _VM_PASCAL _vnew(void);",
        1,
    );
    broken("a function only in the header", &extra, &manual, &code);
    // A parameter type changed in the manual's syntax.
    let syntax = manual.replacen("_vmalloc(unsigned long size)", "_vmalloc(unsigned size)", 1);
    broken("a wrong syntax line", &header, &syntax, &code);
    // A constant's value.
    let value = manual.replacen(
        "   _VM_DISK                  4",
        "   _VM_DISK                  8",
        1,
    );
    broken("a wrong constant", &header, &value, &code);
    // A status variable missing from the manual's table.
    let status = manual.replacen("   fhVm            int", "   fhVmX           int", 1);
    broken("a status variable", &header, &status, &code);
    // Another version in Cargo.toml.
    let other = code_edited(|p, t| match p {
        "Cargo.toml" => t.replacen("version = \"", "version = \"9", 1),
        _ => t,
    });
    broken("another version", &header, &manual, &other);
    // A status word of the shim that the header lacks.
    let other = code_edited(|p, t| match p {
        "asm/vmemory.asm" => t.replacen("_cVmPage:", "_cVmPages:", 1),
        _ => t,
    });
    broken("a shim status word", &header, &manual, &other);
}
