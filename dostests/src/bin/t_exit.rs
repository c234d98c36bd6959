//! DOS test: the exit code and command line reach the harness.
//!
//! `T_EXIT.EXE 42` exits with code 42 (the harness expects exactly that);
//! `T_EXIT.EXE panic` dies in a panic after sending stderr to PANIC.TXT, and
//! `T_EXIT.EXE checkpanic` then checks that file's message. Two modes exist
//! to prove the harness catches broken programs: `hang` never returns and
//! `quiet` exits 0 without completing its result log.
#![no_std]
#![no_main]

use vmemory::dos::file::{self, Access, File};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::{console, rt};
use vmemory::dos_main;

dos_main!(main);

fn main() -> u8 {
    let mut tail = [0u8; 127];
    let n = rt::command_line(&mut tail);
    let arg = &tail[..n];
    match arg {
        b"panic" => {
            let file = File::create(b"PANIC.TXT").expect("create PANIC.TXT");
            file::redirect_handle(file.handle(), console::STDERR).expect("force dup");
            let v: [u8; 3] = [1, 2, 3];
            let i = 3 + n; // out of bounds at run time, not at compile time
            core::hint::black_box(v[core::hint::black_box(i)]);
            0
        }
        b"hang" => {
            let mut log = TestLog::create();
            log.note(format_args!("hanging on purpose"));
            loop {
                core::hint::spin_loop();
            }
        }
        b"quiet" => {
            let mut log = TestLog::create();
            log.check("started", true, format_args!(""));
            0 // no `finish`: the log has no COMPLETE line
        }
        b"checkpanic" => {
            let mut log = TestLog::create();
            let mut buf = [0u8; 200];
            let got = File::open(b"PANIC.TXT", Access::Read).and_then(|mut f| f.read(&mut buf));
            let text = &buf[..got.unwrap_or(0)];
            let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
            log.check(
                "panic message written to stderr",
                has(b"panic: index out of bounds"),
                format_args!("{:?}", core::str::from_utf8(text)),
            );
            log.check(
                "panic location written",
                has(b"src/bin/t_exit.rs:"),
                format_args!("no location"),
            );
            log.finish()
        }
        _ => {
            let mut log = TestLog::create();
            let code = core::str::from_utf8(arg)
                .ok()
                .and_then(|s| s.parse::<u8>().ok());
            log.check(
                "numeric argument",
                code.is_some(),
                format_args!("{:?}", core::str::from_utf8(arg)),
            );
            let failed = log.failed() != 0;
            let rc = log.finish();
            if failed {
                rc
            } else {
                code.unwrap_or(1)
            }
        }
    }
}
