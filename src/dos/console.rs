//! Console and stderr output through DOS handles 1 and 2, with `core::fmt`.
//!
//! Output goes through INT 21h AH=40h (not the BIOS) so that redirection
//! (`PROG.EXE > OUT.TXT`) works. `\n` is written as CR LF, as DOS text wants.

use core::fmt;

use super::file::File;

/// A `core::fmt::Write` sink for a DOS handle (1 = stdout, 2 = stderr).
pub struct HandleWriter(pub u16);

/// Standard output.
pub const STDOUT: u16 = 1;
/// Standard error.
pub const STDERR: u16 = 2;

impl fmt::Write for HandleWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut file = File::from_raw(self.0);
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            let line_end = rest.iter().position(|&b| b == b'\n');
            let (chunk, newline) = match line_end {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            if !chunk.is_empty() {
                file.write_all(chunk).map_err(|_| fmt::Error)?;
            }
            if newline {
                file.write_all(b"\r\n").map_err(|_| fmt::Error)?;
                rest = &rest[chunk.len() + 1..];
            } else {
                rest = &[];
            }
        }
        Ok(())
    }
}

/// Writes formatted text to a handle; errors (a full disk under redirection)
/// are dropped, as `print!` cannot report them.
pub fn write_fmt(handle: u16, args: fmt::Arguments<'_>) {
    let _ = fmt::Write::write_fmt(&mut HandleWriter(handle), args);
}

/// Prints to DOS standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::dos::console::write_fmt($crate::dos::console::STDOUT, format_args!($($arg)*)) };
}

/// Prints a line to DOS standard output.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{ $crate::print!($($arg)*); $crate::print!("\n"); }};
}

/// Prints a line to DOS standard error (handle 2).
#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        $crate::dos::console::write_fmt($crate::dos::console::STDERR, format_args!($($arg)*));
        $crate::dos::console::write_fmt($crate::dos::console::STDERR, format_args!("\n"));
    }};
}
