//! OMF records and the checks of one object module.
//!
//! Record layout and the meaning of every field follow the Tool Interface
//! Standard "Relocatable Object Module Format (OMF) Specification" 1.1:
//! `type:u8, length:u16 (contents + checksum), contents, checksum:u8`,
//! where the checksum makes the sum of all the record's bytes 0 mod 256.

use std::fmt;

use crate::fixupp::check_fixupp;

/// Record types used by 16-bit DOS translators (OMF spec, chapter 2).
pub mod kind {
    pub const THEADR: u8 = 0x80;
    pub const LHEADR: u8 = 0x82;
    pub const COMENT: u8 = 0x88;
    pub const MODEND: u8 = 0x8A;
    pub const MODEND32: u8 = 0x8B;
    pub const EXTDEF: u8 = 0x8C;
    pub const PUBDEF: u8 = 0x90;
    pub const PUBDEF32: u8 = 0x91;
    pub const LINNUM: u8 = 0x94;
    pub const LINNUM32: u8 = 0x95;
    pub const LNAMES: u8 = 0x96;
    pub const SEGDEF: u8 = 0x98;
    pub const SEGDEF32: u8 = 0x99;
    pub const GRPDEF: u8 = 0x9A;
    pub const FIXUPP: u8 = 0x9C;
    pub const FIXUPP32: u8 = 0x9D;
    pub const LEDATA: u8 = 0xA0;
    pub const LEDATA32: u8 = 0xA1;
    pub const LIDATA: u8 = 0xA2;
    pub const LIDATA32: u8 = 0xA3;
    pub const LIBHDR: u8 = 0xF0;
    pub const LIBEND: u8 = 0xF1;
}

/// The name of a record type, for reports.
pub fn kind_name(t: u8) -> &'static str {
    match t {
        kind::THEADR => "THEADR",
        kind::LHEADR => "LHEADR",
        kind::COMENT => "COMENT",
        kind::MODEND | kind::MODEND32 => "MODEND",
        kind::EXTDEF => "EXTDEF",
        kind::PUBDEF | kind::PUBDEF32 => "PUBDEF",
        kind::LINNUM | kind::LINNUM32 => "LINNUM",
        kind::LNAMES => "LNAMES",
        kind::SEGDEF | kind::SEGDEF32 => "SEGDEF",
        kind::GRPDEF => "GRPDEF",
        kind::FIXUPP | kind::FIXUPP32 => "FIXUPP",
        kind::LEDATA | kind::LEDATA32 => "LEDATA",
        kind::LIDATA | kind::LIDATA32 => "LIDATA",
        kind::LIBHDR => "LIBHDR",
        kind::LIBEND => "LIBEND",
        _ => "?",
    }
}

/// One record as found in a file.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    /// File offset of the type byte.
    pub at: usize,
    /// Record type.
    pub kind: u8,
    /// Contents, without type, length and checksum.
    pub body: &'a [u8],
    /// The stored checksum byte.
    pub checksum: u8,
    /// Whether all bytes of the record sum to 0 mod 256.
    pub sum_ok: bool,
}

impl Record<'_> {
    /// Bytes the record takes in the file.
    pub fn len(&self) -> usize {
        self.body.len() + 4
    }

    /// Whether the type is a 32-bit variant (odd type byte).
    pub fn is32(&self) -> bool {
        self.kind & 1 == 1 && self.kind < 0xF0
    }
}

/// Reads the record at `at`, or says why it cannot.
pub fn read_record(file: &[u8], at: usize) -> Result<Record<'_>, String> {
    let head = file
        .get(at..at + 3)
        .ok_or_else(|| format!("{at:#x}: truncated record header"))?;
    let len = u16::from_le_bytes([head[1], head[2]]) as usize;
    if len == 0 {
        return Err(format!(
            "{at:#x}: record length 0 (no room for the checksum)"
        ));
    }
    let all = file.get(at..at + 3 + len).ok_or_else(|| {
        format!(
            "{at:#x}: {} record runs past the end of the file",
            kind_name(head[0])
        )
    })?;
    let sum = all.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    Ok(Record {
        at,
        kind: head[0],
        body: &all[3..3 + len - 1],
        checksum: all[3 + len - 1],
        sum_ok: sum == 0,
    })
}

/// A cursor over a record's contents.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Self { data, pos: 0, what }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    fn short(&self) -> String {
        format!("{} record too short", self.what)
    }

    pub fn u8(&mut self) -> Result<u8, String> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.short())?;
        self.pos += 1;
        Ok(b)
    }

    pub fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from(self.u8()?) | u16::from(self.u8()?) << 8)
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from(self.u16()?) | u32::from(self.u16()?) << 16)
    }

    /// A 16-bit or 32-bit offset field.
    pub fn offset(&mut self, wide: bool) -> Result<u32, String> {
        if wide {
            self.u32()
        } else {
            self.u16().map(u32::from)
        }
    }

    /// An index field: one byte below 80h, else two (high bit of the first
    /// byte cleared, high byte first).
    pub fn index(&mut self) -> Result<u16, String> {
        let b = self.u8()?;
        if b & 0x80 == 0 {
            Ok(u16::from(b))
        } else {
            Ok(u16::from(b & 0x7F) << 8 | u16::from(self.u8()?))
        }
    }

    /// A length-prefixed name.
    pub fn name(&mut self) -> Result<String, String> {
        let n = self.u8()? as usize;
        let s = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.short())?;
        self.pos += n;
        Ok(String::from_utf8_lossy(s).into_owned())
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let s = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.short())?;
        self.pos += n;
        Ok(s)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.data[self.pos.min(self.data.len())..];
        self.pos = self.data.len();
        s
    }
}

/// A segment definition.
#[derive(Clone, Debug)]
pub struct Segment {
    pub name: String,
    pub class: String,
    /// A field of ACBP: 0 absolute, 1 byte, 2 word, 3 paragraph, 4 page, 5 dword.
    pub align: u8,
    /// C field of ACBP: 0 private, 2/4/7 public, 5 stack, 6 common.
    pub combine: u8,
    pub length: u32,
    pub use32: bool,
}

/// A group definition.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    /// Segment indexes (1-based).
    pub segments: Vec<u16>,
}

/// A public symbol.
#[derive(Clone, Debug)]
pub struct Public {
    pub name: String,
    /// Group index (0: none).
    pub group: u16,
    /// Segment index (0: absolute, with a frame number).
    pub segment: u16,
    pub offset: u32,
}

/// What a module declares, and what is wrong with it.
#[derive(Debug, Default)]
pub struct Module {
    pub name: String,
    pub records: usize,
    pub bytes: usize,
    pub names: Vec<String>,
    pub segments: Vec<Segment>,
    pub groups: Vec<Group>,
    pub publics: Vec<Public>,
    pub externals: Vec<String>,
    pub fixups: usize,
    /// One line per fixup: location, frame and target.
    pub fixup_notes: Vec<String>,
    /// FIXUPP threads: (method, datum) for frame threads 0-3, target threads 0-3.
    pub(crate) frame_threads: [Option<(u8, u16)>; 4],
    pub(crate) target_threads: [Option<(u8, u16)>; 4],
    pub data_bytes: u64,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl Module {
    fn seg_name(&self, i: u16) -> &str {
        self.segments
            .get(usize::from(i).wrapping_sub(1))
            .map_or("?", |s| s.name.as_str())
    }
}

const ALIGN_NAMES: [&str; 6] = ["absolute", "byte", "word", "para", "page", "dword"];

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "module {:?}: {} records, {} bytes",
            self.name, self.records, self.bytes
        )?;
        for (i, s) in self.segments.iter().enumerate() {
            writeln!(
                f,
                "  SEGDEF {} {:<14} class {:<8} align {:<5} combine {} length {:#06x}{}",
                i + 1,
                s.name,
                s.class,
                ALIGN_NAMES.get(usize::from(s.align)).unwrap_or(&"?"),
                s.combine,
                s.length,
                if s.use32 { " USE32" } else { "" }
            )?;
        }
        for g in &self.groups {
            let segs: Vec<&str> = g.segments.iter().map(|&i| self.seg_name(i)).collect();
            writeln!(f, "  GRPDEF {} = {}", g.name, segs.join(" "))?;
        }
        for p in &self.publics {
            let group = match p.group {
                0 => String::new(),
                g => format!(
                    " (group {})",
                    self.groups
                        .get(usize::from(g) - 1)
                        .map_or("?", |g| g.name.as_str())
                ),
            };
            writeln!(
                f,
                "  PUBDEF {:<16} {}:{:#06x}{group}",
                p.name,
                self.seg_name(p.segment),
                p.offset
            )?;
        }
        for n in &self.fixup_notes {
            writeln!(f, "  FIXUP  {n}")?;
        }
        for e in &self.externals {
            writeln!(f, "  EXTDEF {e}")?;
        }
        writeln!(
            f,
            "  {} bytes of data, {} fixups",
            self.data_bytes, self.fixups
        )
    }
}

/// The expanded length of one LIDATA data block (OMF spec, LIDATA).
fn lidata_block(r: &mut Reader<'_>, wide: bool) -> Result<u64, String> {
    let repeat = u64::from(r.offset(wide)?);
    let blocks = r.u16()?;
    if blocks == 0 {
        let n = r.u8()?;
        r.bytes(n as usize)?;
        Ok(repeat * u64::from(n))
    } else {
        let mut inner = 0;
        for _ in 0..blocks {
            inner += lidata_block(r, wide)?;
        }
        Ok(repeat * inner)
    }
}

/// Parses the module starting at `at` up to and including its MODEND and
/// checks it against the OMF spec. Returns the module and the offset just
/// past its MODEND.
pub fn check_module(file: &[u8], start: usize) -> (Module, usize) {
    let mut m = Module::default();
    let mut at = start;
    let mut first = true;
    // The data record FIXUPP refers to: (segment index, offset, length).
    let mut last_data: Option<(u16, u32, u32)> = None;
    let mut ended = false;
    while at < file.len() {
        let rec = match read_record(file, at) {
            Ok(r) => r,
            Err(e) => {
                m.errors.push(e);
                break;
            }
        };
        m.records += 1;
        at += rec.len();
        let here = format!("{:#06x} {}", rec.at, kind_name(rec.kind));
        if !rec.sum_ok {
            if rec.checksum == 0 {
                m.warnings.push(format!(
                    "{here}: checksum byte 0 (allowed, but not what the spec asks for)"
                ));
            } else {
                m.errors
                    .push(format!("{here}: bad checksum {:#04x}", rec.checksum));
            }
        }
        if first {
            first = false;
            if rec.kind != kind::THEADR && rec.kind != kind::LHEADR {
                m.errors
                    .push(format!("{here}: a module must begin with THEADR"));
            }
        }
        if let Err(e) = check_record(&mut m, &rec, &mut last_data) {
            m.errors.push(format!("{here}: {e}"));
        }
        if rec.kind == kind::MODEND || rec.kind == kind::MODEND32 {
            ended = true;
            break;
        }
    }
    if !ended {
        m.errors.push("no MODEND record".to_string());
    }
    m.bytes = at - start;
    (m, at)
}

fn check_record(
    m: &mut Module,
    rec: &Record<'_>,
    last_data: &mut Option<(u16, u32, u32)>,
) -> Result<(), String> {
    let wide = rec.is32();
    let mut r = Reader::new(rec.body, kind_name(rec.kind));
    let nseg = m.segments.len() as u16;
    match rec.kind {
        kind::THEADR | kind::LHEADR => m.name = r.name()?,
        kind::COMENT => {
            r.u8()?; // comment type (purge / list bits)
            r.u8()?; // comment class
            r.rest();
        }
        kind::LNAMES => {
            while !r.done() {
                let n = r.name()?;
                m.names.push(n);
            }
        }
        kind::SEGDEF | kind::SEGDEF32 => {
            let acbp = r.u8()?;
            let align = acbp >> 5;
            let combine = (acbp >> 2) & 7;
            let big = acbp & 2 != 0;
            if align > 5 {
                return Err(format!("alignment {align} is not defined"));
            }
            if align == 0 {
                r.u16()?; // frame number
                r.u8()?; // offset
            }
            let mut length = r.offset(wide)?;
            if big {
                if length != 0 {
                    return Err("B bit set with a nonzero length".into());
                }
                length = if wide { u32::MAX } else { 0x10000 };
            }
            let (name, class, ovl) = (r.index()?, r.index()?, r.index()?);
            let lookup = |i: u16| -> Result<String, String> {
                m.names
                    .get(usize::from(i).wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| format!("LNAMES index {i} undefined"))
            };
            let seg = Segment {
                name: lookup(name)?,
                class: lookup(class)?,
                align,
                combine,
                length,
                use32: acbp & 1 != 0,
            };
            if ovl != 0 {
                lookup(ovl)?;
            }
            if !seg.use32 && seg.length > 0x10000 {
                return Err(format!("16-bit segment {} longer than 64 KiB", seg.name));
            }
            m.segments.push(seg);
        }
        kind::GRPDEF => {
            let name = r.index()?;
            let name = m
                .names
                .get(usize::from(name).wrapping_sub(1))
                .cloned()
                .ok_or("group name index undefined")?;
            let mut segments = Vec::new();
            while !r.done() {
                let t = r.u8()?;
                if t != 0xFF {
                    return Err(format!(
                        "group component type {t:#04x}, want FFh (segment index)"
                    ));
                }
                let s = r.index()?;
                if s == 0 || s > nseg {
                    return Err(format!("group {name} names segment {s}, undefined"));
                }
                segments.push(s);
            }
            m.groups.push(Group { name, segments });
        }
        kind::EXTDEF => {
            while !r.done() {
                let n = r.name()?;
                r.index()?; // type
                m.externals.push(n);
            }
        }
        kind::PUBDEF | kind::PUBDEF32 => {
            let group = r.index()?;
            let segment = r.index()?;
            if usize::from(group) > m.groups.len() {
                return Err(format!("base group {group} undefined"));
            }
            if segment > nseg {
                return Err(format!("base segment {segment} undefined"));
            }
            if segment == 0 {
                r.u16()?; // frame
            }
            while !r.done() {
                let name = r.name()?;
                let offset = r.offset(wide)?;
                r.index()?; // type
                if segment != 0 && offset > m.segments[usize::from(segment) - 1].length {
                    return Err(format!(
                        "public {name} at {offset:#x} is past the end of its segment"
                    ));
                }
                if group != 0 && !m.groups[usize::from(group) - 1].segments.contains(&segment) {
                    return Err(format!("public {name}: segment is not in the base group"));
                }
                m.publics.push(Public {
                    name,
                    group,
                    segment,
                    offset,
                });
            }
        }
        kind::LEDATA | kind::LEDATA32 | kind::LIDATA | kind::LIDATA32 => {
            let seg = r.index()?;
            if seg == 0 || seg > nseg {
                return Err(format!("segment index {seg} undefined"));
            }
            let offset = r.offset(wide)?;
            let len = if rec.kind == kind::LEDATA || rec.kind == kind::LEDATA32 {
                r.rest().len() as u64
            } else {
                let mut n = 0;
                while !r.done() {
                    n += lidata_block(&mut r, wide)?;
                }
                n
            };
            let seglen = u64::from(m.segments[usize::from(seg) - 1].length);
            if u64::from(offset) + len > seglen {
                return Err(format!(
                    "data {offset:#x}..{:#x} past the end of segment {} ({seglen:#x})",
                    u64::from(offset) + len,
                    m.segments[usize::from(seg) - 1].name
                ));
            }
            m.data_bytes += len;
            *last_data = Some((seg, offset, len as u32));
        }
        kind::FIXUPP | kind::FIXUPP32 => check_fixupp(m, &mut r, wide, *last_data)?,
        kind::MODEND | kind::MODEND32 => {
            let t = r.u8()?;
            if t & 0x40 != 0 {
                r.rest(); // start address (a fixup-like field); a library module has none
            }
        }
        kind::LINNUM | kind::LINNUM32 => {
            r.rest();
        }
        t => {
            return Err(format!(
                "record type {t:#04x} is not one this checker accepts"
            ))
        }
    }
    if !r.done() {
        return Err(format!(
            "{} bytes left over at the end of the record",
            rec.body.len() - r.pos()
        ));
    }
    Ok(())
}

/// Checks that the module's publics are exactly `expected` (order aside).
pub fn check_publics(m: &mut Module, expected: &[String]) {
    let mut have: Vec<&str> = m.publics.iter().map(|p| p.name.as_str()).collect();
    have.sort_unstable();
    let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
    want.sort_unstable();
    for w in &want {
        if !have.contains(w) {
            m.errors.push(format!("public {w} missing"));
        }
    }
    for h in &have {
        if !want.contains(h) {
            m.errors.push(format!("public {h} not expected"));
        }
    }
    for pair in have.windows(2) {
        if pair[0] == pair[1] {
            m.errors.push(format!("public {} defined twice", pair[0]));
        }
    }
}
