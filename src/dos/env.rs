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
    let env = FarPtr::new(super::Segment::new(env_seg), 0);
    let mut off: u16 = 0;
    // The block is a sequence of ASCIZ "NAME=value" strings ended by an empty
    // one; DOS limits it to 32 KiB, which bounds the walk.
    while off < 0x8000 {
        let start = off;
        let mut matched = true;
        let mut i = 0usize;
        loop {
            // SAFETY: inside the environment block (bounded by 32 KiB above).
            let b = unsafe { FarPtr::new(env.seg, off).read_u8() };
            off += 1;
            if b == 0 {
                break;
            }
            if matched {
                if i < name.len() {
                    matched = b == name[i];
                } else if i == name.len() {
                    matched = b == b'=';
                    if matched {
                        // Copy the value that follows.
                        let mut n = 0usize;
                        loop {
                            // SAFETY: as above.
                            let v = unsafe { FarPtr::new(env.seg, off).read_u8() };
                            off += 1;
                            if v == 0 {
                                return Some(n);
                            }
                            *buf.get_mut(n)? = v;
                            n += 1;
                        }
                    }
                }
            }
            i += 1;
        }
        if off == start + 1 {
            return None; // the empty string that ends the block
        }
    }
    None
}
