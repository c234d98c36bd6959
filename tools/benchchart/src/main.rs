//! benchchart: draws the benchmark chart from BENCH.EXE's report.
//!
//!     benchchart draw OUT.TXT CHART.SVG    read the FIG lines, write the SVG
//!     benchchart check CHART.SVG           the chart has every label and bar
//!
//! BENCH.EXE (`dostests/src/bin/bench/report.rs`) ends its human-readable
//! report with machine-readable copies of its figures, one `FIG key
//! values...` line each (microseconds; `-` for a figure that failed). The
//! chart has three panels: our time per workload beside the published MS VMM and best-peer
//! figures (log scale), the per-call cost of `_vload` on a resident block,
//! and the stream ratios per swap store. `make bench` draws it beside the
//! text report; `make test` draws one from a quick run and checks it.

use std::fmt::Write as _;
use std::process::ExitCode;

use plotters::prelude::*;

mod figures;
use figures::Figures;

/// Size of the chart in pixels.
const WIDTH: u32 = 960;
const HEIGHT: u32 = 720;

/// Colours of the series.
const OURS: RGBColor = RGBColor(31, 119, 180);
const MS: RGBColor = RGBColor(214, 39, 40);
const PEER: RGBColor = RGBColor(255, 127, 14);
const PLAIN: RGBColor = RGBColor(90, 90, 90);

/// Labels every chart must carry (`check`), in the order they are drawn.
const REQUIRED_LABELS: &[&str] = &[
    "vmemory benchmark",
    "time per workload",
    "ours",
    "MS VMM",
    "best peer",
    figures::WORKLOADS[0].1,
    figures::WORKLOADS[1].1,
    figures::WORKLOADS[2].1,
    "_vload on a resident block",
    "same block",
    "64 blocks in turn",
    "stream",
    "XMS",
    "EMS",
    "disk",
];

/// Bars every chart has: 3 workloads x 3 series, 2 `_vload` costs, 3 stores.
const BARS: usize = 3 * 3 + 2 + 3;

/// What marks a bar in the SVG (`check` counts them; only bars are drawn
/// translucent).
const BAR_MARK: &str = "opacity=\"0.85\"";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["draw", input, output] => draw_file(input, output),
        ["check", chart] => check_file(chart),
        _ => Err("usage: benchchart draw OUT.TXT CHART.SVG | benchchart check CHART.SVG".into()),
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("benchchart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn draw_file(input: &str, output: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
    let figs = Figures::parse(&text).map_err(|e| format!("{input}: {e}"))?;
    let svg = draw(&figs).map_err(|e| format!("drawing: {e}"))?;
    std::fs::write(output, svg).map_err(|e| format!("{output}: {e}"))?;
    Ok(format!("benchchart: wrote {output}"))
}

fn check_file(chart: &str) -> Result<String, String> {
    let svg = std::fs::read_to_string(chart).map_err(|e| format!("{chart}: {e}"))?;
    check(&svg).map_err(|e| format!("{chart}: {e}"))?;
    Ok(format!(
        "benchchart: {chart} has all {} labels and {BARS} bars",
        REQUIRED_LABELS.len()
    ))
}

/// Checks that an SVG drawn by [`draw`] has every label and bar.
fn check(svg: &str) -> Result<(), String> {
    if !svg.trim_start().starts_with("<svg") || !svg.trim_end().ends_with("</svg>") {
        return Err("not a complete SVG document".into());
    }
    let missing: Vec<&str> = REQUIRED_LABELS
        .iter()
        .copied()
        .filter(|l| !svg.contains(&xml_escape(l)))
        .collect();
    if !missing.is_empty() {
        return Err(format!("labels missing: {}", missing.join(", ")));
    }
    let bars = svg.matches(BAR_MARK).count();
    if bars < BARS {
        return Err(format!("{bars} bars, want {BARS}"));
    }
    Ok(())
}

/// `s` as it appears in SVG text (plotters escapes these).
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One bar: `x` is the bar's slot (group + offset), `value` its height.
fn bar<DB: DrawingBackend>(
    x: f64,
    width: f64,
    floor: f64,
    value: f64,
    color: RGBColor,
) -> Rectangle<(f64, f64)> {
    let _ = std::marker::PhantomData::<DB>;
    Rectangle::new([(x, floor), (x + width, value)], color.mix(0.85).filled())
}

/// A short figure for a bar's label.
fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws the chart as an SVG document.
fn draw(f: &Figures) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let title = if f.quick {
            "vmemory benchmark (BENCH.EXE quick: tiny sizes, figures not comparable)"
        } else {
            "vmemory benchmark (make bench: DOSBox, cycles=fixed 3000 ≈ 386/20)"
        };
        let root = root.titled(title, ("sans-serif", 30))?;
        let (top, bottom) = root.split_vertically(400);
        let (left, right) = bottom.split_horizontally(WIDTH / 2);
        workloads(&top, f)?;
        vload(&left, f)?;
        streams(&right, f)?;
        root.present()?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Our time per workload beside the published figures, log scale.
fn workloads(area: &Area<'_>, f: &Figures) -> Result<(), Box<dyn std::error::Error>> {
    let all = f
        .workloads
        .iter()
        .flat_map(|w| [w.ours_s, Some(w.ms_s), Some(w.peer_s), Some(w.peer_hi_s)])
        .flatten()
        .filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi > 0.0 {
        (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil() + 0.3),
        )
    } else {
        (0.01, 10_000.0)
    };
    let n = f.workloads.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "time per workload, seconds (log scale; lower is better)",
            ("sans-serif", 24),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n, (lo..hi).log_scale())?;
    let names: Vec<&str> = f.workloads.iter().map(|w| w.label).collect();
    chart
        .configure_mesh()
        .label_style(("sans-serif", 17))
        .disable_x_mesh()
        .x_labels(f.workloads.len() * 2 + 1)
        .x_label_formatter(&|x| bar_label(&names, *x))
        .y_desc("seconds")
        .draw()?;
    let w = 0.22;
    let series: [(&str, RGBColor, f64); 3] = [
        ("ours (emulated, this run)", OURS, 0.17),
        ("MS VMM (MSC 7.0, published, real 386/20)", MS, 0.39),
        ("best peer (published, real 386/20)", PEER, 0.61),
    ];
    for (k, (name, color, off)) in series.iter().enumerate() {
        let bars: Vec<_> = f
            .workloads
            .iter()
            .enumerate()
            .filter_map(|(i, wl)| {
                let v = match k {
                    0 => wl.ours_s?,
                    1 => wl.ms_s,
                    _ => wl.peer_s,
                };
                Some(bar::<SVGBackend>(i as f64 + off, w, lo, v.max(lo), *color))
            })
            .collect();
        let c = *color;
        chart
            .draw_series(bars)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
    }
    // A published range (the peer's churn): a whisker up to its top.
    for (i, wl) in f.workloads.iter().enumerate() {
        if wl.peer_hi_s > wl.peer_s {
            let x = i as f64 + 0.61 + w / 2.0;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, wl.peer_s), (x, wl.peer_hi_s)],
                PEER.stroke_width(2),
            )))?;
        }
    }
    // Figures on the bars.
    for (i, wl) in f.workloads.iter().enumerate() {
        let peer = if wl.peer_hi_s > wl.peer_s {
            format!("{}-{}", short(wl.peer_s), short(wl.peer_hi_s))
        } else {
            short(wl.peer_s)
        };
        let items = [
            (
                wl.ours_s.map_or("failed".to_string(), short),
                wl.ours_s,
                0.17,
            ),
            (short(wl.ms_s), Some(wl.ms_s), 0.39),
            (peer, Some(wl.peer_hi_s), 0.61),
        ];
        for (label, v, off) in items {
            let y = v.unwrap_or(lo).max(lo);
            chart.draw_series(std::iter::once(Text::new(
                label,
                (i as f64 + off + 0.02, y * 1.5),
                ("sans-serif", 18),
            )))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Bars on a linear axis from 0, labelled, with an optional reference line.
fn simple_bars(
    area: &Area<'_>,
    caption: &str,
    y_desc: &str,
    bars: &[(&str, Option<f64>)],
    reference: Option<(f64, &str)>,
) -> Result<(), Box<dyn std::error::Error>> {
    let top = bars
        .iter()
        .filter_map(|b| b.1)
        .chain(reference.map(|r| r.0))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.25;
    let n = bars.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 24))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n, 0.0..top)?;
    let names: Vec<&str> = bars.iter().map(|b| b.0).collect();
    chart
        .configure_mesh()
        .label_style(("sans-serif", 17))
        .disable_x_mesh()
        .x_labels(bars.len() * 2 + 1)
        .x_label_formatter(&|x| bar_label(&names, *x))
        .y_desc(y_desc)
        .draw()?;
    for (i, (_, v)) in bars.iter().enumerate() {
        let x = i as f64 + 0.25;
        if let Some(v) = v {
            chart.draw_series(std::iter::once(bar::<SVGBackend>(x, 0.5, 0.0, *v, PLAIN)))?;
        }
        let label = v.map_or("failed".to_string(), short);
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x + 0.15, v.unwrap_or(0.0) + top * 0.07),
            ("sans-serif", 18),
        )))?;
    }
    if let Some((y, label)) = reference {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, y), (n, y)],
            BLACK.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("line: {label}"),
            (0.05, top * 0.97),
            ("sans-serif", 17),
        )))?;
    }
    Ok(())
}

/// The per-call cost of `_vload` on a resident block.
fn vload(area: &Area<'_>, f: &Figures) -> Result<(), Box<dyn std::error::Error>> {
    simple_bars(
        area,
        "_vload on a resident block, µs per call",
        "µs",
        &[
            ("same block", f.vload_same_us),
            ("64 blocks in turn", f.vload_turn_us),
        ],
        None,
    )
}

/// The stream ratio per store: VMM time / the store's own transfer time.
fn streams(area: &Area<'_>, f: &Figures) -> Result<(), Box<dyn std::error::Error>> {
    let bars: Vec<(&str, Option<f64>)> = f.streams.iter().map(|s| (s.label, s.ratio())).collect();
    let mut caption = String::new();
    let _ = write!(caption, "stream 8 KB blocks: VMM time / raw store time");
    simple_bars(
        area,
        &caption,
        "ratio",
        &bars,
        Some((1.0, "1.0 = the VMM adds nothing")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
workload                        ours (s) MS VMM (s) best peer (s)  MS/ours peer/ours
churn, heap = all DOS memory       0.239      210.0    70.0-144.0   877.0x  292.3x-601.4x

FIG quick 1
FIG churn_all 239444 210000000 70000000 144000000
FIG churn_16k 48968 2150000000 166000000 166000000
FIG fill_per_mb 1015808 332769903 16867410 16867410
FIG vload 2465 2581
FIG stream_xms 3294 325
FIG stream_ems 35138 29281
FIG stream_disk 44766 39801
";

    #[test]
    fn draws_a_chart_that_passes_its_check() {
        let f = Figures::parse(SAMPLE).unwrap();
        let svg = draw(&f).unwrap();
        check(&svg).unwrap();
        assert!(svg.contains("0.24"), "our churn figure");
        assert!(svg.contains("70.0-144"), "the published range");
        assert!(svg.contains("10.1"), "the XMS stream ratio");
    }

    #[test]
    fn a_failed_figure_is_shown_and_fails_the_check() {
        let text = SAMPLE.replace("FIG stream_disk 44766 39801", "FIG stream_disk - -");
        let svg = draw(&Figures::parse(&text).unwrap()).unwrap();
        assert!(svg.contains("failed"));
        assert!(check(&svg).unwrap_err().contains("13 bars"));
    }

    #[test]
    fn check_finds_a_missing_label_and_missing_bars() {
        let f = Figures::parse(SAMPLE).unwrap();
        let svg = draw(&f).unwrap();
        let no_ems = svg.replace("\nEMS\n", "\n\n");
        assert!(check(&no_ems).unwrap_err().contains("EMS"));
        let few = svg.replacen(BAR_MARK, "", 5);
        assert!(check(&few).unwrap_err().contains("bars"));
        assert!(check("<svg></svg>").is_err());
        assert!(check(&svg[..svg.len() / 2]).is_err());
    }
}

/// The label under the bar group centred at `x` (group `i` spans `i..i + 1`):
/// its name at the centre, nothing at the other ticks.
fn bar_label(names: &[&str], x: f64) -> String {
    let i = x.floor() as usize;
    if (x - x.floor() - 0.5).abs() < 0.01 && i < names.len() {
        names[i].to_string()
    } else {
        String::new()
    }
}
