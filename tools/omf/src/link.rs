//! `omf link`: a small OMF linker for the release package's test. It links
//! 16-bit OMF objects, and the modules of OMF libraries that define what
//! they need (found through each library's hashed dictionary, as LINK and
//! wlink find them), into a DOS MZ program: a user without Open Watcom can
//! link a client against the unpacked `VMEMORY.LIB` alone.
//!
//! What it does, in the order of the OMF specification's linker notes:
//! segments of the same name and class with a public or stack combine type
//! are concatenated (each piece at its alignment), segments are laid out
//! class by class in the order the classes first appear, a group's frame
//! is its lowest segment's paragraph, and every fixup (THREADs included)
//! is resolved to a frame and a target; segment and far-pointer fixups
//! become MZ relocations. The stack segment gives SS:SP, MODEND's start
//! address CS:IP. Like MS LINK it asks DOS for all memory (maxalloc FFFFh):
//! the program shrinks its block as C start-up code does.
//!
//! Not supported, because neither nasm nor the library emit them, and
//! refused with an error rather than linked wrongly: 32-bit records,
//! LIDATA, COMDEF, absolute segments, communal and overlay segments.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::library;
use crate::record::{kind, read_record, Reader};

/// A segment definition of one module.
struct SegDef {
    name: String,
    class: String,
    /// ACBP's A field: 1 byte, 2 word, 3 paragraph, 4 page, 5 dword.
    align: u8,
    /// ACBP's C field: 0 private, 2/4/7 public, 5 stack.
    combine: u8,
    length: u32,
}

/// A frame or a target: (method, datum), as the specification numbers them.
type Datum = (u8, u16);

/// One fixup, its THREADs resolved: (method, datum) pairs as in the spec.
struct Fixup {
    /// Segment index (1-based) of the data record and offset in the segment.
    seg: u16,
    at: u32,
    location: u8,
    segment_relative: bool,
    frame: Datum,
    target: Datum,
    displacement: u32,
}

/// One object module as read.
struct ObjModule {
    name: String,
    segs: Vec<SegDef>,
    /// Group name and its segments (1-based segment indexes).
    groups: Vec<(String, Vec<u16>)>,
    externs: Vec<String>,
    /// Name, group index, segment index, offset.
    publics: Vec<(String, u16, u16, u32)>,
    /// Segment index, offset, bytes.
    data: Vec<(u16, u32, Vec<u8>)>,
    fixups: Vec<Fixup>,
    /// MODEND's start address: frame, target, displacement.
    start: Option<(Datum, Datum, u32)>,
}

/// Reads one object module starting at `at`; returns it and the offset
/// after its MODEND.
fn read_module(file: &[u8], mut at: usize) -> Result<(ObjModule, usize), String> {
    let mut m = ObjModule {
        name: String::new(),
        segs: Vec::new(),
        groups: Vec::new(),
        externs: Vec::new(),
        publics: Vec::new(),
        data: Vec::new(),
        fixups: Vec::new(),
        start: None,
    };
    let mut lnames: Vec<String> = Vec::new();
    let mut frame_threads = [None; 4];
    let mut target_threads = [None; 4];
    let mut last_data: Option<(u16, u32)> = None;
    loop {
        let r = read_record(file, at)?;
        if !r.sum_ok && r.checksum != 0 {
            return Err(format!("{at:#x}: bad checksum"));
        }
        at += r.len();
        let mut b = Reader::new(r.body, "record");
        match r.kind {
            kind::THEADR | kind::LHEADR => m.name = b.name()?,
            kind::COMENT | kind::LINNUM => {}
            kind::LNAMES => {
                while !b.done() {
                    lnames.push(b.name()?);
                }
            }
            kind::SEGDEF => {
                let acbp = b.u8()?;
                let align = acbp >> 5;
                if align == 0 {
                    return Err("absolute segments are not supported".into());
                }
                let mut length = u32::from(b.u16()?);
                if acbp & 2 != 0 {
                    length = 0x10000;
                }
                let name = b.index()?;
                let class = b.index()?;
                let lname = |i: u16| {
                    lnames
                        .get(usize::from(i).wrapping_sub(1))
                        .cloned()
                        .ok_or(format!("SEGDEF names LNAME {i}, undefined"))
                };
                m.segs.push(SegDef {
                    name: lname(name)?,
                    class: lname(class)?,
                    align,
                    combine: (acbp >> 2) & 7,
                    length,
                });
            }
            kind::GRPDEF => {
                let name = b.index()?;
                let mut segs = Vec::new();
                while !b.done() {
                    if b.u8()? != 0xFF {
                        return Err("GRPDEF component other than a segment".into());
                    }
                    segs.push(b.index()?);
                }
                let n = lnames
                    .get(usize::from(name).wrapping_sub(1))
                    .cloned()
                    .ok_or("GRPDEF name undefined")?;
                m.groups.push((n, segs));
            }
            kind::EXTDEF => {
                while !b.done() {
                    m.externs.push(b.name()?);
                    b.index()?; // type index
                }
            }
            kind::PUBDEF => {
                let group = b.index()?;
                let seg = b.index()?;
                if seg == 0 {
                    return Err("absolute publics are not supported".into());
                }
                while !b.done() {
                    let name = b.name()?;
                    let off = u32::from(b.u16()?);
                    b.index()?;
                    m.publics.push((name, group, seg, off));
                }
            }
            kind::LEDATA => {
                let seg = b.index()?;
                let off = u32::from(b.u16()?);
                m.data.push((seg, off, b.rest().to_vec()));
                last_data = Some((seg, off));
            }
            kind::FIXUPP => {
                while !b.done() {
                    let first = b.u8()?;
                    if first & 0x80 == 0 {
                        let method = (first >> 2) & 7;
                        let datum = if method < 3 { b.index()? } else { 0 };
                        let t = usize::from(first & 3);
                        if first & 0x40 != 0 {
                            frame_threads[t] = Some((method, datum));
                        } else {
                            target_threads[t] = Some((method & 3, datum));
                        }
                        continue;
                    }
                    let lo = b.u8()?;
                    let (seg, base) = last_data.ok_or("FIXUPP before any LEDATA")?;
                    let fix = b.u8()?;
                    let frame = if fix & 0x80 == 0 {
                        let method = (fix >> 4) & 7;
                        let datum = match method {
                            0..=2 => b.index()?,
                            3 => b.u16()?,
                            _ => 0,
                        };
                        (method, datum)
                    } else {
                        frame_threads[usize::from((fix >> 4) & 3)]
                            .ok_or("undefined frame thread")?
                    };
                    let target = if fix & 0x08 == 0 {
                        let method = fix & 3;
                        let datum = if method == 3 { b.u16()? } else { b.index()? };
                        (method, datum)
                    } else {
                        target_threads[usize::from(fix & 3)].ok_or("undefined target thread")?
                    };
                    let displacement = if fix & 0x04 == 0 {
                        u32::from(b.u16()?)
                    } else {
                        0
                    };
                    m.fixups.push(Fixup {
                        seg,
                        at: base + (u32::from(first & 3) << 8 | u32::from(lo)),
                        location: (first >> 2) & 0x0F,
                        segment_relative: first & 0x40 != 0,
                        frame,
                        target,
                        displacement,
                    });
                }
            }
            kind::MODEND => {
                let t = b.u8()?;
                if t & 0x40 != 0 {
                    let fix = b.u8()?;
                    let frame_method = (fix >> 4) & 7;
                    let frame_datum = if frame_method < 3 { b.index()? } else { 0 };
                    let target = (fix & 3, b.index()?);
                    let disp = if fix & 4 == 0 { u32::from(b.u16()?) } else { 0 };
                    m.start = Some(((frame_method, frame_datum), target, disp));
                }
                return Ok((m, at));
            }
            k => {
                return Err(format!(
                    "{:#x}: record {k:#04x} is not supported by this linker",
                    r.at
                ))
            }
        }
    }
}

/// Where a module's segment went: the combined segment and the piece's
/// linear address.
#[derive(Clone, Copy)]
struct Placed {
    combined: usize,
    base: u32,
}

/// A combined segment of the program.
struct Combined {
    name: String,
    class: String,
    stack: bool,
    start: u32,
    end: u32,
}

impl Combined {
    /// The paragraph its offsets count from.
    fn frame(&self) -> u32 {
        self.start >> 4
    }
}

fn align_up(x: u32, align: u8) -> u32 {
    let a: u32 = match align {
        1 => 1,
        2 => 2,
        3 => 16,
        4 => 256,
        5 => 4,
        _ => 1,
    };
    x.div_ceil(a) * a
}

/// The linked program and a map of where everything went.
pub struct Linked {
    pub exe: Vec<u8>,
    pub map: String,
}

/// Links `objects` (file bytes) with the modules of `libraries` that
/// define what the objects need.
pub fn link(objects: &[Vec<u8>], libraries: &[Vec<u8>]) -> Result<Linked, String> {
    let mut mods = Vec::new();
    for o in objects {
        let (m, _) = read_module(o, 0)?;
        mods.push(m);
    }
    // Pull library modules until every external is defined.
    let mut pulled: Vec<(usize, usize)> = Vec::new();
    loop {
        let defined: Vec<&str> = mods
            .iter()
            .flat_map(|m| m.publics.iter().map(|p| p.0.as_str()))
            .collect();
        let missing: Vec<String> = mods
            .iter()
            .flat_map(|m| m.externs.iter())
            .filter(|e| !defined.contains(&e.as_str()))
            .cloned()
            .collect();
        let Some(name) = missing.first() else { break };
        let mut found = None;
        for (li, lib) in libraries.iter().enumerate() {
            let hdr = read_record(lib, 0)?;
            if hdr.kind != kind::LIBHDR {
                return Err(format!("library {li} has no library header"));
            }
            let page = hdr.len();
            let mut r = Reader::new(hdr.body, "LIBHDR");
            let dict_at = r.u32()? as usize;
            let blocks = usize::from(r.u16()?);
            let dict = lib
                .get(dict_at..dict_at + blocks * 512)
                .ok_or("library dictionary past the end of the file")?;
            if let Some(p) = library::lookup(dict, name.as_bytes(), true) {
                found = Some((li, usize::from(p) * page));
                break;
            }
        }
        let Some((li, at)) = found else {
            return Err(format!("unresolved external {name}"));
        };
        if pulled.contains(&(li, at)) {
            return Err(format!(
                "{name}: the library's dictionary names a module that does not define it"
            ));
        }
        pulled.push((li, at));
        let (m, _) = read_module(&libraries[li], at)?;
        mods.push(m);
    }

    // Combine and lay out segments, class by class.
    let mut combined: Vec<Combined> = Vec::new();
    let mut placed: Vec<Vec<Placed>> = Vec::new();
    let mut pieces: Vec<Vec<(usize, usize)>> = Vec::new(); // per combined: (module, seg)
    for (mi, m) in mods.iter().enumerate() {
        placed.push(Vec::new());
        for (si, s) in m.segs.iter().enumerate() {
            let public = matches!(s.combine, 2 | 4 | 5 | 7);
            let ci = combined
                .iter()
                .position(|c| public && c.name == s.name && c.class == s.class)
                .unwrap_or_else(|| {
                    combined.push(Combined {
                        name: s.name.clone(),
                        class: s.class.clone(),
                        stack: s.combine == 5,
                        start: 0,
                        end: 0,
                    });
                    pieces.push(Vec::new());
                    combined.len() - 1
                });
            pieces[ci].push((mi, si));
            placed[mi].push(Placed {
                combined: ci,
                base: 0,
            });
        }
    }
    let mut classes: Vec<&str> = Vec::new();
    for c in &combined {
        if !classes.contains(&c.class.as_str()) {
            classes.push(&c.class);
        }
    }
    let mut order: Vec<usize> = Vec::new();
    for cl in &classes {
        order.extend((0..combined.len()).filter(|&i| combined[i].class == *cl));
    }
    let mut at = 0u32;
    for &ci in &order {
        let first = pieces[ci][0];
        at = align_up(at, mods[first.0].segs[first.1].align);
        combined[ci].start = at;
        for &(mi, si) in &pieces[ci] {
            let s = &mods[mi].segs[si];
            at = align_up(at, s.align);
            placed[mi][si].base = at;
            at += s.length;
        }
        combined[ci].end = at;
    }
    let total = at;
    if total > 0xA0000 {
        return Err(format!("program of {total} bytes does not fit in 640 KB"));
    }

    // Groups (by name across modules): frame = lowest member's paragraph.
    let mut group_frames: HashMap<String, u32> = HashMap::new();
    for (mi, m) in mods.iter().enumerate() {
        for (g, segs) in &m.groups {
            for &s in segs {
                let p = placed[mi]
                    .get(usize::from(s).wrapping_sub(1))
                    .ok_or("GRPDEF names an undefined segment")?;
                let f = combined[p.combined].frame();
                let e = group_frames.entry(g.clone()).or_insert(f);
                *e = (*e).min(f);
            }
        }
    }
    let group_frame = |mi: usize, gi: u16| -> Result<u32, String> {
        let (g, _) = mods[mi]
            .groups
            .get(usize::from(gi).wrapping_sub(1))
            .ok_or("undefined group index")?;
        Ok(group_frames[g])
    };
    // Publics: name -> (linear address, frame).
    let mut symbols: HashMap<String, (u32, u32)> = HashMap::new();
    for (mi, m) in mods.iter().enumerate() {
        for (name, g, s, off) in &m.publics {
            let p = placed[mi]
                .get(usize::from(*s).wrapping_sub(1))
                .ok_or("PUBDEF names an undefined segment")?;
            let frame = if *g != 0 {
                group_frame(mi, *g)?
            } else {
                combined[p.combined].frame()
            };
            if symbols
                .insert(name.clone(), (p.base + off, frame))
                .is_some()
            {
                return Err(format!("{name} is defined twice"));
            }
        }
    }
    // (linear address, frame) of a target or frame datum.
    let resolve = |mi: usize, (method, datum): (u8, u16)| -> Result<(u32, u32), String> {
        let m = &mods[mi];
        match method {
            0 => {
                let p = placed[mi]
                    .get(usize::from(datum).wrapping_sub(1))
                    .ok_or("fixup names an undefined segment")?;
                Ok((p.base, combined[p.combined].frame()))
            }
            1 => {
                let f = group_frame(mi, datum)?;
                Ok((f << 4, f))
            }
            2 => {
                let name = m
                    .externs
                    .get(usize::from(datum).wrapping_sub(1))
                    .ok_or("fixup names an undefined external")?;
                symbols
                    .get(name)
                    .copied()
                    .ok_or(format!("unresolved external {name}"))
            }
            _ => Err(format!("frame/target method {method} is not supported")),
        }
    };

    let mut image = vec![0u8; total as usize];
    let mut relocs: Vec<(u16, u16)> = Vec::new();
    for (mi, m) in mods.iter().enumerate() {
        for (s, off, bytes) in &m.data {
            let p = placed[mi][usize::from(*s) - 1];
            let from = (p.base + off) as usize;
            image
                .get_mut(from..from + bytes.len())
                .ok_or("LEDATA past its segment")?
                .copy_from_slice(bytes);
        }
        for f in &m.fixups {
            let p = placed[mi][usize::from(f.seg) - 1];
            let loc = p.base + f.at;
            let (target, target_frame) = resolve(mi, f.target)?;
            let target = target + f.displacement;
            let frame = match f.frame.0 {
                0..=2 => resolve(mi, f.frame)?.1,
                4 => combined[p.combined].frame(),
                5 => target_frame,
                m => return Err(format!("frame method F{m} is not supported")),
            };
            let size = match f.location {
                0 | 4 => 1,
                1 | 2 | 5 => 2,
                3 | 9 | 13 => 4,
                l => return Err(format!("fixup location type {l} is not supported")),
            };
            let at = loc as usize;
            let cell = image
                .get_mut(at..at + size)
                .ok_or("fixup past the program")?;
            let mut old = 0u32;
            for (i, b) in cell.iter().enumerate() {
                old |= u32::from(*b) << (8 * i);
            }
            let offset = if f.segment_relative {
                target
                    .checked_sub(frame << 4)
                    .filter(|o| *o <= 0xFFFF || f.location == 9 || f.location == 13)
                    .ok_or(format!(
                        "{}: fixup at {loc:#x}: target {target:#x} is out of reach of frame {frame:#x}",
                        m.name
                    ))?
            } else {
                target.wrapping_sub(loc + size as u32)
            };
            let reloc_here = |relocs: &mut Vec<(u16, u16)>, at: u32| {
                let seg = combined[p.combined].frame();
                relocs.push(((at - (seg << 4)) as u16, seg as u16));
            };
            let value = match f.location {
                0 => old.wrapping_add(offset) & 0xFF,
                4 => (old.wrapping_add(offset) >> 8) & 0xFF,
                1 | 5 => old.wrapping_add(offset) & 0xFFFF,
                9 | 13 => old.wrapping_add(offset),
                2 => {
                    reloc_here(&mut relocs, loc);
                    old.wrapping_add(frame) & 0xFFFF
                }
                _ => {
                    // Far pointer: offset word, then segment word.
                    reloc_here(&mut relocs, loc + 2);
                    let o = (old & 0xFFFF).wrapping_add(offset) & 0xFFFF;
                    let s = (old >> 16).wrapping_add(frame) & 0xFFFF;
                    o | s << 16
                }
            };
            for (i, b) in cell.iter_mut().enumerate() {
                *b = (value >> (8 * i)) as u8;
            }
        }
    }

    // Entry point and stack.
    let (mi, (fm, tm, disp)) = mods
        .iter()
        .enumerate()
        .find_map(|(i, m)| m.start.map(|s| (i, s)))
        .ok_or("no module has a start address (nasm: ..start)")?;
    let (target, tframe) = resolve(mi, tm)?;
    let cs = match fm.0 {
        0..=2 => resolve(mi, fm)?.1,
        _ => tframe,
    };
    let ip = target + disp - (cs << 4);
    let stack = combined
        .iter()
        .find(|c| c.stack)
        .ok_or("no stack segment (combine type stack)")?;
    let (ss, sp) = (stack.frame(), stack.end - (stack.frame() << 4));

    // Stored bytes: up to the last byte of data; the rest is minalloc.
    let stored = mods
        .iter()
        .enumerate()
        .flat_map(|(mi, m)| {
            let placed = &placed;
            m.data
                .iter()
                .map(move |(s, off, b)| placed[mi][usize::from(*s) - 1].base + off + b.len() as u32)
        })
        .max()
        .unwrap_or(0);
    let header_paras = (28 + 4 * relocs.len() as u32).div_ceil(16);
    let file = header_paras * 16 + stored;
    let extra_paras = (total - stored).div_ceil(16) + 1;
    let mut exe = Vec::new();
    for w in [
        0x5A4D,
        (file % 512) as u16,
        file.div_ceil(512) as u16,
        relocs.len() as u16,
        header_paras as u16,
        extra_paras as u16,
        0xFFFF,
        ss as u16,
        sp as u16,
        0,
        ip as u16,
        cs as u16,
        28,
        0,
    ] {
        exe.extend_from_slice(&u16::to_le_bytes(w));
    }
    for (off, seg) in &relocs {
        exe.extend_from_slice(&off.to_le_bytes());
        exe.extend_from_slice(&seg.to_le_bytes());
    }
    exe.resize(header_paras as usize * 16, 0);
    exe.extend_from_slice(&image[..stored as usize]);

    let mut map = String::new();
    let _ = writeln!(map, "Segment            Class      Start  Length");
    for &ci in &order {
        let c = &combined[ci];
        let _ = writeln!(
            map,
            "{:<18} {:<10} {:05X}  {:05X}",
            c.name,
            c.class,
            c.start,
            c.end - c.start
        );
    }
    let mut groups: Vec<_> = group_frames.iter().collect();
    groups.sort();
    for (g, f) in groups {
        let _ = writeln!(map, "group {g} at {:05X}", f << 4);
    }
    let _ = writeln!(
        map,
        "entry {cs:04X}:{ip:04X}, stack {ss:04X}:{sp:04X}, {} relocations, {} bytes stored + {} paragraphs",
        relocs.len(),
        stored,
        extra_paras
    );
    Ok(Linked { exe, map })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::tests::{module, name, rec};

    /// A main module: `_TEXT` (class CODE, byte aligned) holding a far call
    /// `9A 00 00 00 00` to the external `callee` (a far-pointer fixup,
    /// frame = target's), a 256-byte stack segment, start at `_TEXT`:0.
    fn main_module(callee: &str) -> Vec<u8> {
        let mut m = rec(kind::THEADR, &name("main.asm"));
        m.extend(rec(
            kind::LNAMES,
            &[name(""), name("_TEXT"), name("CODE"), name("STACK")].concat(),
        ));
        m.extend(rec(kind::SEGDEF, &[0x28, 5, 0, 2, 3, 1]));
        m.extend(rec(kind::SEGDEF, &[0x74, 0, 1, 4, 4, 1]));
        m.extend(rec(kind::EXTDEF, &[name(callee), vec![0]].concat()));
        m.extend(rec(kind::LEDATA, &[1, 0, 0, 0x9A, 0, 0, 0, 0]));
        // FIXUP: segment-relative far pointer at 1; F5, T2 external 1.
        m.extend(rec(kind::FIXUPP, &[0xCC, 0x01, 0x56, 0x01]));
        m.extend(rec(kind::MODEND, &[0xC1, 0x00, 0x01, 0x01, 0x00, 0x00]));
        m
    }

    fn word(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    #[test]
    fn links_a_far_call_into_a_library_module() {
        let lib = library::write(&[module("_OTHER"), module("_F")]).unwrap();
        let l = link(&[main_module("_F")], &[lib]).unwrap();
        let exe = &l.exe;
        assert_eq!(word(exe, 0), 0x5A4D);
        assert_eq!(word(exe, 6), 1, "one relocation: the call's segment");
        let hdr = usize::from(word(exe, 8)) * 16;
        assert_eq!(word(exe, 24), 28, "relocation table");
        assert_eq!((word(exe, 28), word(exe, 30)), (0x0003, 0x0000));
        // _TEXT at 0 (5 bytes), the library's CODE_TEXT at paragraph 1,
        // _F at its offset 2: the call is to 0001:0002.
        assert_eq!(&exe[hdr..hdr + 5], &[0x9A, 0x02, 0x00, 0x01, 0x00]);
        assert_eq!(&exe[hdr + 16..hdr + 20], &[0xCB, 0x90, 0x90, 0x90]);
        assert_eq!(exe.len(), hdr + 20, "stored up to the last data byte");
        // Only the module that defines _F came from the library.
        assert!(!l.map.contains("_OTHER"));
        assert_eq!((word(exe, 0x0E), word(exe, 0x10)), (2, 0x100), "SS:SP");
        assert_eq!((word(exe, 0x16), word(exe, 0x14)), (0, 0), "CS:IP");
        assert_eq!(
            u32::from(word(exe, 4) - 1) * 512 + u32::from(word(exe, 2)),
            exe.len() as u32
        );
    }

    #[test]
    fn refuses_what_it_cannot_link() {
        let lib = library::write(&[module("_F")]).unwrap();
        let e = link(&[main_module("_G")], &[lib.clone()]).err().unwrap();
        assert!(e.contains("unresolved external _G"), "{e}");
        let mut bad = main_module("_F");
        let last = bad.len() - 1;
        assert_ne!(bad[last], 0, "a checksum of 0 means none was computed");
        bad[last - 1] ^= 0x01; // MODEND's displacement: its checksum is now wrong
        assert!(link(&[bad], &[lib.clone()])
            .err()
            .unwrap()
            .contains("checksum"));
        // Two definitions of one name.
        let e = link(&[main_module("_F"), module("_F"), module("_F")], &[lib])
            .err()
            .unwrap();
        assert!(e.contains("defined twice"), "{e}");
    }
}
