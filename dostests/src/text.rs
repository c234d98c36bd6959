//! A small text buffer that `write!` fills: the state files a test program
//! leaves for its follow-up (`T_EXITS`, `T_UMB`) and a child's command
//! line (`T_ABORT`); and the numbers of a command line (`T_FAULT`,
//! `T_ABORT`).

use core::fmt;

/// Up to 128 bytes of text; a write that does not fit fails and adds
/// nothing.
pub struct Text {
    buf: [u8; 128],
    len: usize,
}

impl Text {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }

    /// The text written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let b = s.as_bytes();
        let end = self.len + b.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(b);
        self.len = end;
        Ok(())
    }
}

/// The numbers of the command line tail after its first word, in order
/// (missing or garbled ones keep the defaults in `out`).
pub fn numbers(tail: &[u8], out: &mut [u32]) {
    for (slot, word) in out
        .iter_mut()
        .zip(tail.split(|&b| b == b' ').filter(|w| !w.is_empty()).skip(1))
    {
        if let Some(v) = core::str::from_utf8(word).ok().and_then(|s| s.parse().ok()) {
            *slot = v;
        }
    }
}
