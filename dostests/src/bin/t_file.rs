//! DOS test: INT 21h file I/O and the environment.
//!
//! Fails if a file written through INT 21h does not read back byte for byte,
//! if seeking, unique-name creation or deletion misbehaves, or if `TMP`
//! (set by the harness's batch file) is not found in the environment.
#![no_std]
#![no_main]

use vmemory::dos::env;
use vmemory::dos::file::{self, Access, File, SeekFrom, MAX_PATH};
use vmemory::dos::mem::{DosBlock, Paragraphs};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::DosError;
use vmemory::dos_main;

dos_main!(main);

fn byte_at(i: u32) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 24) as u8
}

fn main() -> u8 {
    let mut log = TestLog::create();

    // Write 50000 bytes in uneven pieces, from near memory.
    let total: u32 = 50_000;
    let mut f = match File::create(b"T_FILE.DAT") {
        Ok(f) => f,
        Err(e) => {
            log.check("create", false, format_args!("{}", e));
            return log.finish();
        }
    };
    let mut buf = [0u8; 777];
    let mut pos = 0u32;
    let mut write_ok = true;
    while pos < total {
        let n = (total - pos).min(buf.len() as u32) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = byte_at(pos + i as u32);
        }
        write_ok &= f.write_all(&buf[..n]).is_ok();
        pos += n as u32;
    }
    log.check("write 50000 bytes", write_ok, format_args!("write failed"));
    log.check_eq("size by seek to end", f.seek(SeekFrom::End, 0), Ok(total));
    log.check("close", f.close().is_ok(), format_args!("close failed"));

    // Read it back into far memory (a DOS block) and compare.
    let blk = DosBlock::new(Paragraphs::for_bytes(total).unwrap()).expect("DOS memory");
    let mut f = File::open(b"T_FILE.DAT", Access::Read).expect("open");
    let mut got = 0u32;
    while got < total {
        let n = (total - got).min(30_000) as u16;
        let dst = blk.ptr(got, n as usize).unwrap();
        // SAFETY: `dst` covers n bytes inside our block, which no reference covers.
        match unsafe { f.read_far(dst, n) } {
            Ok(0) | Err(_) => break,
            Ok(r) => got += r as u32,
        }
    }
    log.check_eq("far read length", got, total);
    let mut bad = None;
    let mut chunk = [0u8; 500];
    for base in (0..total).step_by(500) {
        blk.read(base, &mut chunk);
        if let Some(i) = (0..500).find(|&i| chunk[i as usize] != byte_at(base + i)) {
            bad = Some(base + i);
            break;
        }
    }
    log.check(
        "read back byte for byte",
        bad.is_none(),
        format_args!("first difference at {:?}", bad),
    );

    // Seek into the middle and read a near buffer.
    log.check_eq("seek", f.seek(SeekFrom::Start, 12_345), Ok(12_345));
    let mut mid = [0u8; 10];
    log.check(
        "read after seek",
        f.read_exact(&mut mid).is_ok(),
        format_args!("short"),
    );
    log.check(
        "bytes after seek",
        (0..10).all(|i| mid[i] == byte_at(12_345 + i as u32)),
        format_args!("{:?}", mid),
    );
    log.check_eq(
        "read at end of file",
        {
            f.seek(SeekFrom::End, 0).ok();
            f.read(&mut mid)
        },
        Ok(0),
    );
    drop(f);

    // Far write: the DOS block back out to a second file, compared by size.
    let mut g = File::create(b"T_FILE2.DAT").expect("create 2");
    // SAFETY: the block holds `total` readable bytes.
    let w = unsafe { g.write_far(blk.ptr(0, 40_000).unwrap(), 40_000) };
    log.check_eq("far write", w, Ok(40_000));
    drop(g);

    // Delete, and errors for missing files.
    log.check(
        "delete",
        file::delete(b"T_FILE.DAT").is_ok(),
        format_args!("refused"),
    );
    log.check(
        "delete 2",
        file::delete(b"T_FILE2.DAT").is_ok(),
        format_args!("refused"),
    );
    log.check_eq(
        "open deleted file",
        File::open(b"T_FILE.DAT", Access::Read).err(),
        Some(DosError::FILE_NOT_FOUND),
    );

    // TMP from the environment, and a unique file created there.
    let mut tmp = [0u8; 64];
    let n = env::var(b"TMP", &mut tmp);
    log.check("TMP is set", n.is_some(), format_args!("not found"));
    log.check(
        "unset variable is absent",
        env::var(b"VMEMORY_NO_SUCH_VAR", &mut tmp).is_none(),
        format_args!("found"),
    );
    if let Some(n) = n {
        let mut dir = [0u8; 66];
        dir[..n].copy_from_slice(&tmp[..n]);
        let mut len = n;
        if dir[len - 1] != b'\\' {
            dir[len] = b'\\';
            len += 1;
        }
        let mut name = [0u8; MAX_PATH];
        match File::create_unique(&dir[..len], &mut name) {
            Ok((mut h, name_len)) => {
                log.check(
                    "unique file in TMP",
                    name_len > len,
                    format_args!("name too short"),
                );
                log.check(
                    "write unique file",
                    h.write_all(b"swap").is_ok(),
                    format_args!("failed"),
                );
                drop(h);
                let mut other = [0u8; MAX_PATH];
                let second = File::create_unique(&dir[..len], &mut other);
                log.check(
                    "second unique name differs",
                    second.is_ok() && other != name,
                    format_args!("same or failed"),
                );
                drop(second);
                let other_len = other.iter().position(|&b| b == 0).unwrap_or(0);
                log.check(
                    "delete unique files",
                    file::delete(&name[..name_len]).is_ok()
                        && file::delete(&other[..other_len]).is_ok(),
                    format_args!("refused"),
                );
            }
            Err(e) => {
                log.check("unique file in TMP", false, format_args!("{}", e));
            }
        }
    }
    log.finish()
}
