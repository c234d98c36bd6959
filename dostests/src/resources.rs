//! What a leak check compares: the machine's free XMS, free EMS pages, open
//! EMS handles and files in `%TMP%`, before and after a program ran.
//!
//! What belongs here: reading those counts for the leak and exit-path tests
//! (`T_LEAK`, `T_EXITS`, `T_FAULT abort`), and DOS's allocation state and
//! upper memory (`T_UMB`, `T_FAULT abort`). What does not: giving anything
//! back (that is the library's exit guard, `vmemory::dos::exitguard`).

use core::fmt;

use vmemory::dos::mem::{self, Paragraphs, Strategy, UmbLink};
use vmemory::dos::testlog::TestLog;
use vmemory::dos::{ems, env, file, xms};

/// What a program that checks for leaks compares before and after another
/// program ran: free XMS KB, free EMS pages, open EMS handles, files in
/// `%TMP%` (0 for a store that is not there).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceSnapshot(pub [u32; 4]);

impl ResourceSnapshot {
    /// The values now.
    pub fn take() -> Self {
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

/// DOS's allocation state: UMB link, strategy, largest free conventional
/// block (paragraphs).
#[derive(Clone, Copy, Debug)]
pub struct DosState(pub u16, pub u16, pub u16);

impl DosState {
    /// The state now.
    pub fn now() -> Self {
        Self(
            u16::from(UmbLink::get().0),
            Strategy::get().0,
            mem::largest_free().0,
        )
    }
}

/// Checks that DOS's allocation state is `want`. The fields are compared
/// with XOR, not `==`: LLVM's `mergeicmps` pass (contiguous compares made
/// into one `memcmp`) crashed rustc on this struct's `==` for the code16
/// target.
#[inline(never)]
pub fn same_state(log: &mut TestLog, name: &str, got: DosState, want: DosState) {
    let same = (got.0 ^ want.0) | (got.1 ^ want.1) | (got.2 ^ want.2) == 0;
    log.check(
        name,
        same,
        format_args!(
            "link {} strategy {} largest {} (want {} {} {})",
            got.0, got.1, got.2, want.0, want.1, want.2
        ),
    );
}

/// Gets and gives back an upper block of `paras` through either route
/// (DOS, then XMS 10h): its segment, or 0 if there is none that large.
pub fn upper_block(paras: u16) -> u16 {
    if let Some(seg) = mem::allocate_upper(Paragraphs(paras)) {
        // SAFETY: allocated just now, referenced by nothing.
        let _ = unsafe { mem::free(seg) };
        return seg.value();
    }
    if xms::detect() {
        // Whole, as the library takes it (asked in part, Jemm386 and
        // JemmEx would split it for good).
        if let Some(seg) = xms::request_umb_whole(Paragraphs(paras)) {
            let _ = xms::release_umb(seg);
            return seg.value();
        }
    }
    0
}
