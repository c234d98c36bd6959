//! What a leak check compares: the machine's free XMS, free EMS pages, open
//! EMS handles and files in `%TMP%`, before and after a program ran.
//!
//! What belongs here: reading those counts for the leak and exit-path tests
//! (`T_LEAK`, `T_EXITS`). What does not: giving anything back (that is the
//! library's exit guard, `vmemory::dos::exitguard`).

use core::fmt;

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
