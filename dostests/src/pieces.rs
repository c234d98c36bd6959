//! Patterns in pieces: a test writes a pattern into some store (an EMB, EMS
//! pages, DOS blocks) a near buffer at a time and reads it back, naming the
//! first byte that came back wrong.
//!
//! What belongs here: the fill and check loops the DOS tests share. What
//! does not: a test's own pattern (each keeps its own, so its figures stay
//! its own) and anything the library itself needs.

use core::fmt;

use vmemory::dos::ems::{EmsBlock, EmsError};
use vmemory::dos::mem::{DosBlock, Paragraphs};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::xms::{XmsBlock, XmsError};
use vmemory::dos::FarPtr;

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

/// Records `name` as passed if `first_bad` (from [`first_bad_pieces`])
/// found no wrong byte and no error.
pub fn check_bytes<E: fmt::Debug>(
    log: &mut TestLog,
    name: &str,
    first_bad: Result<Option<u32>, E>,
) -> bool {
    let ok = matches!(first_bad, Ok(None));
    log.check(
        name,
        ok,
        format_args!("first bad byte or error: {:?}", first_bad),
    )
}

/// A store of bytes by position that a test fills and checks: an EMB, a
/// handle's EMS pages.
pub trait PieceStore {
    /// What a failed transfer reports.
    type Error: fmt::Debug;
    /// Writes `src` at `pos`.
    fn write_piece(&mut self, pos: u32, src: &[u8]) -> Result<(), Self::Error>;
    /// Reads `dst.len()` bytes at `pos`.
    fn read_piece(&self, pos: u32, dst: &mut [u8]) -> Result<(), Self::Error>;
}

impl PieceStore for XmsBlock {
    type Error = XmsError;
    fn write_piece(&mut self, pos: u32, src: &[u8]) -> Result<(), XmsError> {
        self.write(pos, src)
    }
    fn read_piece(&self, pos: u32, dst: &mut [u8]) -> Result<(), XmsError> {
        self.read(pos, dst)
    }
}

impl PieceStore for EmsBlock {
    type Error = EmsError;
    fn write_piece(&mut self, pos: u32, src: &[u8]) -> Result<(), EmsError> {
        self.write(pos, src)
    }
    fn read_piece(&self, pos: u32, dst: &mut [u8]) -> Result<(), EmsError> {
        self.read(pos, dst)
    }
}

/// Fills and checks a [`PieceStore`] through a near buffer of `CHUNK`
/// bytes (a test picks a size: an odd one straddles EMS page boundaries).
pub struct Pieces<const CHUNK: usize>;

impl<const CHUNK: usize> Pieces<CHUNK> {
    /// Writes `byte(i)` into bytes `from..to` of `blk`.
    pub fn fill<S: PieceStore>(
        blk: &mut S,
        from: u32,
        to: u32,
        byte: impl Fn(u32) -> u8,
    ) -> Result<(), S::Error> {
        fill_pieces::<CHUNK, _>(from, to, byte, |pos, b| blk.write_piece(pos, b))
    }

    /// Records `name` as passed if every byte `i` of `from..to` of `blk`
    /// reads back as `want(i)`.
    pub fn check<S: PieceStore>(
        log: &mut TestLog,
        name: &str,
        blk: &S,
        from: u32,
        to: u32,
        want: impl Fn(u32) -> u8,
    ) -> bool {
        let got = first_bad_pieces::<CHUNK, _>(from, to, want, |pos, b| blk.read_piece(pos, b));
        check_bytes(log, name, got)
    }
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
    copy: impl FnOnce(FarPtr, FarPtr) -> Result<(), E>,
) {
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
    check_bytes(log, checked, got);
}
