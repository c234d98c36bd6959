//! Result log for the DOS programs the test suite runs, read back by the
//! harness.
//!
//! A program records every check in `RESULT.TXT` (`ok NAME` or
//! `FAIL NAME: why`) and, only when it reaches its end, a closing line
//! `COMPLETE <passed> <failed>`. The harness passes a test only if that
//! closing line is there with no failures, so a crash, hang or early exit
//! can never look like success.
//!
//! Behind the feature `testlog` (which `dos`, the feature that builds
//! vmemory's own programs, turns on): not part of the shipping library. What
//! belongs here: the log, which the demo, the Rust examples, `rust-app` and
//! the test programs all write. What does not: anything only the test
//! programs share (patterns, leak counts, the PIT timer): that is the
//! `dostests` package.

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
