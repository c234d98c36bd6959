//! The `FIG` lines of BENCH.EXE's report (see `report` in
//! `dostests/src/bin/bench/report.rs`): `FIG key v1 v2 ...`, integers, `-`
//! for a figure that failed.

/// The workloads: FIG key and label (the table's wording).
pub const WORKLOADS: [(&str, &str); 3] = [
    ("churn_all", "churn, heap = all DOS memory"),
    ("churn_16k", "churn, heap = 16 KB"),
    ("fill_per_mb", "fill 256-byte blocks, s per MB"),
];

/// The swap stores: FIG key and label.
pub const STREAMS: [(&str, &str); 3] = [
    ("stream_xms", "XMS"),
    ("stream_ems", "EMS"),
    ("stream_disk", "disk"),
];

/// One workload: our time and the published ones, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub label: &'static str,
    /// `None`: the run failed.
    pub ours_s: Option<f64>,
    pub ms_s: f64,
    pub peer_s: f64,
    /// Top of a published range (equal to `peer_s` when there is none).
    pub peer_hi_s: f64,
}

/// One store's stream: VMM time and raw time, microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub label: &'static str,
    /// `None`: the store was absent or the run failed.
    pub times_us: Option<(u64, u64)>,
}

impl Stream {
    /// VMM time / raw time (`None` when absent, failed or the raw time is 0).
    pub fn ratio(&self) -> Option<f64> {
        match self.times_us {
            Some((vmm, raw)) if raw > 0 => Some(vmm as f64 / raw as f64),
            _ => None,
        }
    }
}

/// Everything the chart shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// From `BENCH.EXE quick` (tiny sizes, not comparable).
    pub quick: bool,
    pub workloads: Vec<Workload>,
    /// `_vload` per call, microseconds.
    pub vload_same_us: Option<f64>,
    pub vload_turn_us: Option<f64>,
    pub streams: Vec<Stream>,
}

/// The values of line `FIG key ...`: `None` for `-`.
fn values(text: &str, key: &str) -> Result<Vec<Option<u64>>, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.split_whitespace().take(2).eq(["FIG", key]))
        .ok_or_else(|| format!("no `FIG {key}` line (not a report of this BENCH.EXE?)"))?;
    line.split_whitespace()
        .skip(2)
        .map(|v| match v {
            "-" => Ok(None),
            v => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("`FIG {key}`: bad value {v:?}")),
        })
        .collect()
}

/// The values of `FIG key`, exactly `n` of them.
fn exactly(text: &str, key: &str, n: usize) -> Result<Vec<Option<u64>>, String> {
    let v = values(text, key)?;
    if v.len() != n {
        return Err(format!("`FIG {key}`: {} values, want {n}", v.len()));
    }
    Ok(v)
}

impl Figures {
    /// Reads the FIG lines of a report; an error names what is missing.
    pub fn parse(text: &str) -> Result<Self, String> {
        let quick = exactly(text, "quick", 1)?[0] == Some(1);
        let secs = |us: u64| us as f64 / 1e6;
        let mut workloads = Vec::new();
        for (key, label) in WORKLOADS {
            let v = exactly(text, key, 4)?;
            let published = |i: usize| {
                v[i].map(secs)
                    .ok_or_else(|| format!("`FIG {key}`: published figure {i} missing"))
            };
            workloads.push(Workload {
                label,
                ours_s: v[0].map(secs),
                ms_s: published(1)?,
                peer_s: published(2)?,
                peer_hi_s: published(3)?,
            });
        }
        let vl = exactly(text, "vload", 2)?;
        let hundredths = |v: Option<u64>| v.map(|c| c as f64 / 100.0);
        let mut streams = Vec::new();
        for (key, label) in STREAMS {
            let v = exactly(text, key, 2)?;
            streams.push(Stream {
                label,
                times_us: v[0].zip(v[1]),
            });
        }
        Ok(Self {
            quick,
            workloads,
            vload_same_us: hundredths(vl[0]),
            vload_turn_us: hundredths(vl[1]),
            streams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_figures_and_failures() {
        let text = "junk\nFIG quick 0\nFIG churn_all 43000000 210000000 70000000 144000000\n\
                    FIG churn_16k - 2150000000 166000000 166000000\n\
                    FIG fill_per_mb 7000000 332769903 16867410 16867410\nFIG vload 12000 15050\n\
                    FIG stream_xms 100 10\nFIG stream_ems - -\nFIG stream_disk 12 10\n";
        let f = Figures::parse(text).unwrap();
        assert!(!f.quick);
        assert_eq!(f.workloads[0].ours_s, Some(43.0));
        assert_eq!(f.workloads[0].peer_hi_s, 144.0);
        assert_eq!(f.workloads[1].ours_s, None);
        assert_eq!(f.vload_turn_us, Some(150.5));
        assert_eq!(f.streams[0].ratio(), Some(10.0));
        assert_eq!(f.streams[1].ratio(), None);
        assert_eq!(f.streams[2].ratio(), Some(1.2));
    }

    #[test]
    fn names_what_is_missing_or_malformed() {
        assert!(Figures::parse("FIG quick 1\n")
            .unwrap_err()
            .contains("churn_all"));
        let short = "FIG quick 1\nFIG churn_all 1 2 3\n";
        assert!(Figures::parse(short)
            .unwrap_err()
            .contains("3 values, want 4"));
        let bad = "FIG quick 1\nFIG churn_all 1 2 x 4\n";
        assert!(Figures::parse(bad).unwrap_err().contains("bad value"));
    }
}
