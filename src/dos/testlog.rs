//! Result log for the DOS test programs, read back by the harness.
//!
//! A test program records every check in `RESULT.TXT` (`ok NAME` or
//! `FAIL NAME: why`) and, only when it reaches its end, a closing line
//! `COMPLETE <passed> <failed>`. The harness passes a test only if that
//! closing line is there with no failures, so a crash, hang or early exit
//! can never look like success.

use core::fmt::{self, Write};

use super::console;
use super::file::File;

/// The file the harness reads.
pub const RESULT_FILE: &[u8] = b"RESULT.TXT";

/// An open result log.
pub struct TestLog {
    file: Option<File>,
    passed: u16,
    failed: u16,
}

struct FileWriter<'a>(&'a mut File);

impl Write for FileWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_all(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

impl TestLog {
    /// Creates (truncates) `RESULT.TXT` in the current directory.
    pub fn create() -> Self {
        let file = File::create(RESULT_FILE).ok();
        if file.is_none() {
            crate::eprintln!("cannot create RESULT.TXT");
        }
        Self {
            file,
            passed: 0,
            failed: 0,
        }
    }

    fn line(&mut self, args: fmt::Arguments<'_>) {
        // Echo to the console too, so `make run`-style runs show progress.
        console::write_fmt(console::STDOUT, args);
        console::write_fmt(console::STDOUT, format_args!("\n"));
        if let Some(f) = self.file.as_mut() {
            let mut w = FileWriter(f);
            let _ = w.write_fmt(args);
            let _ = w.write_str("\r\n");
        }
    }

    /// Records check `name`: passed if `ok`, else failed with `why`.
    pub fn check(&mut self, name: &str, ok: bool, why: fmt::Arguments<'_>) -> bool {
        if ok {
            self.passed += 1;
            self.line(format_args!("ok {}", name));
        } else {
            self.failed += 1;
            self.line(format_args!("FAIL {}: {}", name, why));
        }
        ok
    }

    /// Records `name` as passed if `got == want`.
    pub fn check_eq<T: PartialEq + fmt::Debug>(&mut self, name: &str, got: T, want: T) -> bool {
        let ok = got == want;
        self.check(name, ok, format_args!("got {:?}, want {:?}", got, want))
    }

    /// Writes an informational line (not a check).
    pub fn note(&mut self, args: fmt::Arguments<'_>) {
        self.line(format_args!("# {}", args));
    }

    /// Number of failed checks so far.
    pub fn failed(&self) -> u16 {
        self.failed
    }

    /// Writes the closing line and returns the exit code: 0 if every check
    /// passed, 1 otherwise.
    pub fn finish(mut self) -> u8 {
        let (p, f) = (self.passed, self.failed);
        self.line(format_args!("COMPLETE {} {}", p, f));
        if let Some(file) = self.file.take() {
            let _ = file.close();
        }
        u8::from(f != 0)
    }
}

impl TestLog {
    /// Records `name` as passed if `first_bad` (from [`first_bad_pieces`])
    /// found no wrong byte and no error.
    pub fn check_bytes<E: fmt::Debug>(
        &mut self,
        name: &str,
        first_bad: Result<Option<u32>, E>,
    ) -> bool {
        let ok = matches!(first_bad, Ok(None));
        self.check(
            name,
            ok,
            format_args!("first bad byte or error: {:?}", first_bad),
        )
    }
}

/// Writes `byte(i)` at every position `i` of `from..to` through `write(pos,
/// piece)`, in pieces of `CHUNK` bytes (a test's pattern into some store).
pub fn fill_pieces<const CHUNK: usize, E>(
    from: u32,
    to: u32,
    byte: impl Fn(u32) -> u8,
    mut write: impl FnMut(u32, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = [0u8; CHUNK];
    let mut pos = from;
    while pos < to {
        let n = ((to - pos) as usize).min(CHUNK);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = byte(pos + i as u32);
        }
        write(pos, &buf[..n])?;
        pos += n as u32;
    }
    Ok(())
}

/// Reads `from..to` through `read(pos, piece)` in pieces of `CHUNK` bytes;
/// the first position whose byte is not `want(pos)`, or the read's error.
pub fn first_bad_pieces<const CHUNK: usize, E>(
    from: u32,
    to: u32,
    want: impl Fn(u32) -> u8,
    mut read: impl FnMut(u32, &mut [u8]) -> Result<(), E>,
) -> Result<Option<u32>, E> {
    let mut buf = [0u8; CHUNK];
    let mut pos = from;
    while pos < to {
        let n = ((to - pos) as usize).min(CHUNK);
        read(pos, &mut buf[..n])?;
        if let Some(i) = (0..n).find(|&i| buf[i] != want(pos + i as u32)) {
            return Ok(Some(pos + i as u32));
        }
        pos += n as u32;
    }
    Ok(None)
}

/// The bytes of a far round trip: two DOS blocks of `len` bytes, the first
/// filled with `byte(i)` and the second zeroed; `copy(src, dst)` must move
/// the first block's bytes into the second by some far route (through an
/// EMB, EMS pages...). Records `moved` for the copy's result and `checked`
/// for the bytes that arrived.
pub fn far_round_trip<E: fmt::Debug>(
    log: &mut TestLog,
    moved: &str,
    checked: &str,
    len: u32,
    byte: impl Fn(u32) -> u8,
    copy: impl FnOnce(super::FarPtr, super::FarPtr) -> Result<(), E>,
) {
    use super::mem::{DosBlock, Paragraphs};
    let size = Paragraphs::for_bytes(len).unwrap_or(Paragraphs(0));
    let (Ok(mut c1), Ok(mut c2)) = (DosBlock::new(size), DosBlock::new(size)) else {
        log.check("allocate DOS blocks", false, format_args!("DOS refused"));
        return;
    };
    let put = |blk: &mut DosBlock, pos: u32, b: &[u8]| blk.write(pos, b).then_some(()).ok_or(());
    let _ = fill_pieces::<1000, ()>(0, len, &byte, |pos, b| put(&mut c1, pos, b));
    let _ = fill_pieces::<1000, ()>(0, len, |_| 0, |pos, b| put(&mut c2, pos, b));
    let (Some(src), Some(dst)) = (c1.ptr(0, len as usize), c2.ptr(0, len as usize)) else {
        log.check(moved, false, format_args!("blocks too small"));
        return;
    };
    let r = copy(src, dst);
    log.check(moved, r.is_ok(), format_args!("{:?}", r));
    let got = first_bad_pieces::<1000, ()>(0, len, &byte, |pos, b| {
        c2.read(pos, b).then_some(()).ok_or(())
    });
    log.check_bytes(checked, got);
}

/// What a program that checks for leaks compares before and after another
/// program ran: free XMS KB, free EMS pages, open EMS handles, files in
/// `%TMP%` (0 for a store that is not there).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceSnapshot(pub [u32; 4]);

impl ResourceSnapshot {
    /// The values now.
    pub fn take() -> Self {
        use super::{ems, env, file, xms};
        let xms_free = if xms::detect() {
            xms::query_free_kb().map(|(_, t)| t).unwrap_or(0)
        } else {
            0
        };
        let (ems_free, ems_handles) = if ems::detect() {
            (
                ems::page_counts().map(|(f, _)| u32::from(f)).unwrap_or(0),
                ems::handle_count().map(u32::from).unwrap_or(0),
            )
        } else {
            (0, 0)
        };
        let mut tmp = [0u8; 70];
        let files = match env::var(b"TMP", &mut tmp[..60]) {
            Some(n) => {
                tmp[n..n + 4].copy_from_slice(b"\\*.*");
                u32::from(file::count_matches(&tmp[..n + 4]).unwrap_or(0xFFFF))
            }
            None => 0,
        };
        Self([xms_free, ems_free, ems_handles, files])
    }
}

impl fmt::Debug for ResourceSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "[{} {} {} {}]", s[0], s[1], s[2], s[3])
    }
}
