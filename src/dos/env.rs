//! The DOS environment block (segment at PSP:2Ch), e.g. `TMP` for the swap file.

use super::far::FarPtr;
use super::rt;

/// Copies the value of environment variable `name` (exact, upper-case as DOS
/// stores it) into `buf`; returns its length, or `None` if it is not set or
/// does not fit `buf`.
pub fn var(name: &[u8], buf: &mut [u8]) -> Option<usize> {
    let psp = rt::psp();
    // SAFETY: PSP:2Ch holds the environment segment of this program.
    let env_seg = unsafe { FarPtr::new(psp, 0x2C).read_u16() };
    if env_seg == 0 {
        return None;
    }
    let env = super::Segment::new(env_seg);
    // SAFETY: every offset read lies inside the environment block (the
    // walk below stops at the block's end, within 32 KiB).
    let at = |off: u16| unsafe { FarPtr::new(env, off).read_u8() };
    // The block is a sequence of ASCIZ "NAME=value" strings ended by an empty
    // one; DOS limits it to 32 KiB, which bounds the walk. Offsets are
    // 16-bit (no operand-size prefixes in the DOS code).
    let mut off: u16 = 0;
    while off < 0x8000 {
        if at(off) == 0 {
            return None; // the empty string that ends the block
        }
        // `name` and "=" at `off`? (A string that ends early stops the
        // compare at its NUL, which matches no character of a name.)
        let mut p = off;
        let named = name.iter().all(|&c| {
            let same = at(p) == c;
            p += 1;
            same
        }) && at(p) == b'=';
        if named {
            // Copy the value that follows.
            p += 1;
            for (n, slot) in buf.iter_mut().enumerate() {
                let v = at(p);
                p += 1;
                if v == 0 {
                    return Some(n);
                }
                *slot = v;
            }
            // A value that fills `buf` exactly fits; a longer one does not.
            return (at(p) == 0).then_some(buf.len());
        }
        // On to the next string.
        while at(off) != 0 {
            off += 1;
        }
        off += 1;
    }
    None
}
