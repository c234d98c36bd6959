//! The Microsoft/Intel OMF library format: a library header record (F0h),
//! object modules each starting on a page boundary, a library end record
//! (F1h) padding to a 512-byte boundary, then the dictionary: a prime number
//! of 512-byte blocks of 37 buckets each, filled with the two-level hash of
//! the OMF spec's appendix "Microsoft MS-DOS Library Format" (also Microsoft
//! KB Q71891, the hashing LIB uses).

use crate::record::{self, kind, Module};

/// Page size of the libraries written here (a power of two, at least 16).
pub const PAGE_SIZE: usize = 16;
/// Buckets per dictionary block (fixed by the format).
pub const BUCKETS: usize = 37;
/// Bytes per dictionary block.
pub const BLOCK: usize = 512;
/// Offset of a block's free-space byte (in words); 0xFF = block full.
const FREE: usize = BUCKETS;

/// The four hash values of one name: start block and block step, start
/// bucket and bucket step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hash {
    pub block: usize,
    pub block_step: usize,
    pub bucket: usize,
    pub bucket_step: usize,
}

/// The dictionary hash of `name` for a dictionary of `blocks` blocks. Case
/// is folded (each character ORed with 20h), as the format specifies.
pub fn hash(name: &[u8], blocks: usize) -> Hash {
    let len = name.len();
    assert!((1..=255).contains(&len), "OMF names are 1..=255 bytes");
    let blank = 0x20u16;
    let mut block_x = len as u16 | blank;
    let mut bucket_d = len as u16 | blank;
    let mut block_d = 0u16;
    let mut bucket_x = 0u16;
    let (mut front, mut back) = (0usize, len);
    let mut left = len;
    loop {
        back -= 1;
        let cback = u16::from(name[back]) | blank;
        bucket_x = bucket_x.rotate_right(2) ^ cback;
        block_d = block_d.rotate_left(2) ^ cback;
        left -= 1;
        if left == 0 {
            break;
        }
        let cfront = u16::from(name[front]) | blank;
        front += 1;
        block_x = block_x.rotate_left(2) ^ cfront;
        bucket_d = bucket_d.rotate_right(2) ^ cfront;
    }
    Hash {
        block: usize::from(block_x) % blocks,
        block_step: (usize::from(block_d) % blocks).max(1),
        bucket: usize::from(bucket_x) % BUCKETS,
        bucket_step: (usize::from(bucket_d) % BUCKETS).max(1),
    }
}

fn is_prime(n: usize) -> bool {
    n >= 2 && (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// Builds a dictionary holding `(name, module page)` entries: the smallest
/// prime number of blocks (at least 2, below 255) that takes them all.
pub fn build_dictionary(entries: &[(String, u16)]) -> Result<Vec<[u8; BLOCK]>, String> {
    let mut nblocks = 2;
    'size: loop {
        if nblocks >= 255 {
            return Err("too many names for a dictionary".into());
        }
        let mut blocks = vec![[0u8; BLOCK]; nblocks];
        for b in &mut blocks {
            b[FREE] = (FREE as u8 + 1) / 2;
        }
        for (name, page) in entries {
            if !insert(&mut blocks, name.as_bytes(), *page) {
                nblocks = (nblocks + 1..).find(|&n| is_prime(n)).unwrap_or(255);
                continue 'size;
            }
        }
        return Ok(blocks);
    }
}

/// Inserts one entry; false if no block has room (the dictionary must grow).
fn insert(blocks: &mut [[u8; BLOCK]], name: &[u8], page: u16) -> bool {
    let h = hash(name, blocks.len());
    let size = (1 + name.len() + 2 + 1) & !1; // length byte, name, page; word aligned
    let mut block = h.block;
    for _ in 0..blocks.len() {
        let b = &mut blocks[block];
        let mut bucket = h.bucket;
        for _ in 0..BUCKETS {
            if b[bucket] == 0 {
                if b[FREE] == 0xFF {
                    break;
                }
                let at = usize::from(b[FREE]) * 2;
                if at + size > BLOCK {
                    b[FREE] = 0xFF; // full: lookups go on to the next block
                    break;
                }
                b[at] = name.len() as u8;
                b[at + 1..at + 1 + name.len()].copy_from_slice(name);
                b[at + 1 + name.len()..at + 3 + name.len()].copy_from_slice(&page.to_le_bytes());
                b[bucket] = (at / 2) as u8;
                let free = at + size;
                b[FREE] = if free >= BLOCK {
                    0xFF
                } else {
                    (free / 2) as u8
                };
                return true;
            }
            bucket = (bucket + h.bucket_step) % BUCKETS;
        }
        block = (block + h.block_step) % blocks.len();
    }
    false
}

/// Looks `name` up the way a linker does; returns its module page.
pub fn lookup(dict: &[u8], name: &[u8], case_sensitive: bool) -> Option<u16> {
    let nblocks = dict.len() / BLOCK;
    let h = hash(name, nblocks);
    let mut block = h.block;
    for _ in 0..nblocks {
        let b = &dict[block * BLOCK..(block + 1) * BLOCK];
        let mut bucket = h.bucket;
        for _ in 0..BUCKETS {
            let at = usize::from(b[bucket]) * 2;
            if at == 0 {
                if b[FREE] != 0xFF {
                    return None; // an empty bucket in a block with room: absent
                }
            } else {
                let n = usize::from(b[at]);
                let entry = b.get(at + 1..at + 1 + n)?;
                let same = if case_sensitive {
                    entry == name
                } else {
                    entry.eq_ignore_ascii_case(name)
                };
                if same {
                    return b
                        .get(at + 1 + n..at + 3 + n)
                        .map(|p| u16::from_le_bytes([p[0], p[1]]));
                }
            }
            bucket = (bucket + h.bucket_step) % BUCKETS;
        }
        block = (block + h.block_step) % nblocks;
    }
    None
}

/// Every entry of a dictionary, with the problems found walking it.
pub fn dictionary_entries(dict: &[u8]) -> (Vec<(String, u16)>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, b) in dict.chunks(BLOCK).enumerate() {
        let free = if b[FREE] == 0xFF {
            BLOCK
        } else {
            usize::from(b[FREE]) * 2
        };
        if free < BUCKETS + 1 {
            errors.push(format!(
                "dictionary block {i}: free-space offset {free} inside the bucket table"
            ));
        }
        for bucket in 0..BUCKETS {
            let at = usize::from(b[bucket]) * 2;
            if at == 0 {
                continue;
            }
            if at < BUCKETS + 1 || at >= free {
                errors.push(format!(
                    "dictionary block {i} bucket {bucket}: entry at {at} outside the used space"
                ));
                continue;
            }
            let n = usize::from(b[at]);
            match b.get(at + 1..at + 3 + n) {
                Some(e) if n > 0 => out.push((
                    String::from_utf8_lossy(&e[..n]).into_owned(),
                    u16::from_le_bytes([e[n], e[n + 1]]),
                )),
                _ => errors.push(format!(
                    "dictionary block {i} bucket {bucket}: entry runs past the block"
                )),
            }
        }
    }
    (out, errors)
}

/// Writes a library of the given object modules (each a whole OMF module).
pub fn write(objects: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let mut lib = vec![0u8; PAGE_SIZE]; // header, filled in last
    let mut entries = Vec::new();
    for obj in objects {
        let page = lib.len() / PAGE_SIZE;
        let page = u16::try_from(page).map_err(|_| "library too big for 16-bit page numbers")?;
        let (m, end) = record::check_module(obj, 0);
        if !m.errors.is_empty() {
            return Err(format!(
                "module {:?} is not valid OMF: {}",
                m.name,
                m.errors.join("; ")
            ));
        }
        for p in &m.publics {
            entries.push((p.name.clone(), page));
        }
        lib.extend_from_slice(&obj[..end]);
        while lib.len() % PAGE_SIZE != 0 {
            lib.push(0);
        }
    }
    // Library end record: pads so that the dictionary starts at 512 bytes.
    let end_at = lib.len();
    let dict_at = (end_at + 3 + BLOCK - 1) / BLOCK * BLOCK;
    let end_len = dict_at - end_at - 3;
    lib.push(kind::LIBEND);
    lib.extend_from_slice(&(end_len as u16).to_le_bytes());
    lib.resize(dict_at, 0);
    let dict = build_dictionary(&entries)?;
    for b in &dict {
        lib.extend_from_slice(b);
    }
    // Header: type, length (page size - 3), dictionary offset, blocks, flags.
    lib[0] = kind::LIBHDR;
    lib[1..3].copy_from_slice(&((PAGE_SIZE - 3) as u16).to_le_bytes());
    lib[3..7].copy_from_slice(&(dict_at as u32).to_le_bytes());
    lib[7..9].copy_from_slice(&(dict.len() as u16).to_le_bytes());
    lib[9] = 0; // flags: 0 = names compared without case, as MS LIB writes
    Ok(lib)
}

/// What a library holds.
#[derive(Debug, Default)]
pub struct Library {
    pub page_size: usize,
    pub dict_offset: usize,
    pub dict_blocks: usize,
    pub flags: u8,
    /// Each module with its page number.
    pub modules: Vec<(u16, Module)>,
    pub dictionary: Vec<(String, u16)>,
    pub errors: Vec<String>,
}

/// Reads and checks a library: header, every module (as OMF), the end
/// record, and the dictionary against the modules' publics both ways.
pub fn check(lib: &[u8]) -> Library {
    let mut out = Library::default();
    let err = |out: &mut Library, e: String| out.errors.push(e);
    let hdr = match record::read_record(lib, 0) {
        Ok(r) if r.kind == kind::LIBHDR => r,
        Ok(r) => {
            err(
                &mut out,
                format!("first record is {:#04x}, want F0h (library header)", r.kind),
            );
            return out;
        }
        Err(e) => {
            err(&mut out, e);
            return out;
        }
    };
    out.page_size = hdr.len();
    if !out.page_size.is_power_of_two() || out.page_size < 16 {
        let e = format!("page size {} is not a power of two >= 16", out.page_size);
        err(&mut out, e);
        return out;
    }
    let mut r = record::Reader::new(hdr.body, "LIBHDR");
    let (off, blocks, flags) = match (r.u32(), r.u16(), r.u8()) {
        (Ok(a), Ok(b), Ok(c)) => (a as usize, b as usize, c),
        _ => {
            err(&mut out, "library header too short".into());
            return out;
        }
    };
    out.dict_offset = off;
    out.dict_blocks = blocks;
    out.flags = flags;
    if off % BLOCK != 0 {
        err(
            &mut out,
            format!("dictionary offset {off:#x} not on a 512-byte boundary"),
        );
    }
    if !is_prime(blocks) {
        err(
            &mut out,
            format!("dictionary has {blocks} blocks, not a prime number"),
        );
    }
    if off + blocks * BLOCK > lib.len() {
        err(&mut out, "dictionary runs past the end of the file".into());
        return out;
    }
    // Modules, each at a page boundary, up to the end record.
    let mut at = out.page_size;
    loop {
        if at >= off {
            err(
                &mut out,
                "no library end record (F1h) before the dictionary".into(),
            );
            break;
        }
        if lib[at] == kind::LIBEND {
            match record::read_record(lib, at) {
                Ok(r) if at + r.len() == off => {}
                Ok(_) => err(
                    &mut out,
                    "library end record does not end where the dictionary starts".into(),
                ),
                Err(e) => err(&mut out, e),
            }
            break;
        }
        let page = (at / out.page_size) as u16;
        let (m, end) = record::check_module(lib, at);
        let failed = !m.errors.is_empty();
        out.modules.push((page, m));
        if failed {
            break;
        }
        at = end.div_ceil(out.page_size) * out.page_size;
    }
    let dict = &lib[off..off + blocks * BLOCK];
    let (entries, errors) = dictionary_entries(dict);
    out.errors.extend(errors);
    let case = flags & 1 != 0;
    for (page, m) in &out.modules {
        for p in &m.publics {
            match lookup(dict, p.name.as_bytes(), case) {
                Some(pg) if pg == *page => {}
                Some(pg) => out
                    .errors
                    .push(format!("dictionary: {} -> page {pg}, want {page}", p.name)),
                None => out
                    .errors
                    .push(format!("dictionary: {} not found by hash lookup", p.name)),
            }
        }
    }
    for (name, page) in &entries {
        let owner = out.modules.iter().find(|(pg, _)| pg == page);
        match owner {
            Some((_, m)) if m.publics.iter().any(|p| &p.name == name) => {}
            _ => out.errors.push(format!(
                "dictionary entry {name} -> page {page}: no such public there"
            )),
        }
    }
    out.dictionary = entries;
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn primes() {
        let p: Vec<usize> = (0..20).filter(|&n| is_prime(n)).collect();
        assert_eq!(p, [2, 3, 5, 7, 11, 13, 17, 19]);
    }

    #[test]
    fn hash_is_case_blind_and_in_range() {
        for blocks in [2, 3, 7, 251] {
            for name in ["_VMALLOC", "_cPageDos", "a", "_fVmInitialized"] {
                let h = hash(name.as_bytes(), blocks);
                assert_eq!(h, hash(name.to_ascii_lowercase().as_bytes(), blocks));
                assert!(h.block < blocks && h.block_step >= 1 && h.block_step < blocks.max(2));
                assert!(h.bucket < BUCKETS && (1..BUCKETS).contains(&h.bucket_step));
            }
        }
    }

    #[test]
    fn every_inserted_name_is_found() {
        let names: Vec<(String, u16)> = (0..600)
            .map(|i| (format!("_SYMBOL_{i}_X"), (i % 40) as u16 + 1))
            .collect();
        let dict = build_dictionary(&names).unwrap();
        assert!(
            is_prime(dict.len()) && dict.len() > 2,
            "600 names need more than 2 blocks"
        );
        let flat: Vec<u8> = dict.concat();
        for (n, page) in &names {
            assert_eq!(lookup(&flat, n.as_bytes(), true), Some(*page), "{n}");
        }
        assert_eq!(lookup(&flat, b"_NOT_THERE", true), None);
        let (entries, errors) = dictionary_entries(&flat);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), names.len());
    }

    /// One record: type, length, body, checksum.
    pub(crate) fn rec(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind];
        r.extend_from_slice(&((body.len() + 1) as u16).to_le_bytes());
        r.extend_from_slice(body);
        let sum = r.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        r.push(sum.wrapping_neg());
        r
    }

    /// A length-prefixed name.
    pub(crate) fn name(s: &str) -> Vec<u8> {
        let mut v = vec![s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// A minimal valid module: THEADR, LNAMES, SEGDEF, PUBDEF, LEDATA,
    /// MODEND; `public` at offset 2 of its 4 bytes `CB 90 90 90` (segment
    /// CODE_TEXT, class CODE, paragraph aligned).
    pub(crate) fn module(public: &str) -> Vec<u8> {
        let mut m = rec(kind::THEADR, &name("t.asm"));
        m.extend(rec(
            kind::LNAMES,
            &[name(""), name("CODE_TEXT"), name("CODE")].concat(),
        ));
        m.extend(rec(kind::SEGDEF, &[0x60 | 0x08, 4, 0, 2, 3, 1]));
        m.extend(rec(
            kind::PUBDEF,
            &[&[0u8, 1][..], &name(public), &[2, 0, 0]].concat(),
        ));
        m.extend(rec(kind::LEDATA, &[1, 0, 0, 0xCB, 0x90, 0x90, 0x90]));
        m.extend(rec(kind::MODEND, &[0]));
        m
    }

    #[test]
    fn written_library_checks_clean() {
        let lib = write(&[module("_ONE"), module("_TWO")]).unwrap();
        assert_eq!(lib.len() % BLOCK, 0);
        let l = check(&lib);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.modules.len(), 2);
        assert!(l.modules.iter().all(|(_, m)| m.errors.is_empty()));
        assert_eq!(l.dictionary.len(), 2);
    }

    #[test]
    fn corruption_is_caught() {
        let mut obj = module("_ONE");
        obj[5] ^= 1; // inside THEADR: checksum now wrong
        let (m, _) = record::check_module(&obj, 0);
        assert!(
            m.errors.iter().any(|e| e.contains("checksum")),
            "{:?}",
            m.errors
        );

        let lib = write(&[module("_ONE")]).unwrap();
        let off = u32::from_le_bytes(lib[3..7].try_into().unwrap()) as usize;
        let mut bad = lib.clone();
        for b in &mut bad[off..off + 37] {
            *b = 0; // empty every bucket of block 0
        }
        for b in &mut bad[off + BLOCK..off + BLOCK + 37] {
            *b = 0; // and of block 1
        }
        let l = check(&bad);
        assert!(
            l.errors.iter().any(|e| e.contains("not found")),
            "{:?}",
            l.errors
        );
    }
}
