//! The published figures the benchmark sets beside its own: the MS VMM of
//! MSC 7.0 and the best commercial peer of the time, on a real 386/20, from
//! the literature (not measured here). Seconds.
//!
//! What belongs here: those constants, each labelled. What does not:
//! anything this program measures.

/// MS VMM (MSC 7.0), churn with all DOS memory as the cache.
pub const PUB_MS_CHURN_ALL: u32 = 210;
/// MS VMM, churn with a 16 KB cache.
pub const PUB_MS_CHURN_16K: u32 = 2150;
/// MS VMM, fill: 1381 s to reach 4.15 MB.
pub const PUB_MS_FILL: u32 = 1381;
/// The MB (x100) the published fill reached.
pub const PUB_FILL_MB_X100: u32 = 415;
/// Best commercial peer, churn with all DOS memory: 70 to 144 s.
pub const PUB_PEER_CHURN_ALL: (u32, u32) = (70, 144);
/// Best peer, churn with a 16 KB cache.
pub const PUB_PEER_CHURN_16K: u32 = 166;
/// Best peer, fill of the same 4.15 MB: about 70 s.
pub const PUB_PEER_FILL: u32 = 70;
