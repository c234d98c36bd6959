//! A small text buffer that `write!` fills: the state files a test program
//! leaves for its follow-up (`T_EXITS`, `T_UMB`).

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
