//! The SVG plot: cumulative distributions of lookup latency and of hop counts, one curve per
//! kind of operation and one for all of them.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::SimError;
use crate::report::Report;
use crate::workload::OpKind;

/// At most this many points per curve: quantiles of larger samples.
const MAX_POINTS: usize = 400;

fn plot_error<E: std::fmt::Display>(e: E) -> SimError {
    SimError::Plot(e.to_string())
}

/// The points of the step function `F(x)` = share of `values` at or below `x`.
fn cdf_points(values: &[f64]) -> Vec<(f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    let mut points = Vec::new();
    if n == 0 {
        return points;
    }
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() <= MAX_POINTS / 2 {
        // Few distinct values (hops): an exact staircase.
        let mut below = 0usize;
        for v in distinct {
            let at_or_below = sorted.partition_point(|x| *x <= v);
            points.push((v, below as f64 / n as f64));
            points.push((v, at_or_below as f64 / n as f64));
            below = at_or_below;
        }
    } else {
        points.push((sorted[0], 0.0));
        for i in 1..=MAX_POINTS {
            let rank = (i * n).div_ceil(MAX_POINTS).clamp(1, n);
            points.push((sorted[rank - 1], rank as f64 / n as f64));
        }
    }
    points
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    let n = sorted.len();
    sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
}

/// One panel: the CDF of `samples` of each kind, and of all of them.
struct Panel<'a> {
    title: &'a str,
    x_label: &'a str,
    samples: &'a BTreeMap<OpKind, Vec<f64>>,
    /// The x axis ends a little past this percentile of all samples.
    x_cap_percentile: f64,
    /// Whether the values are whole numbers (hops).
    integral: bool,
}

fn draw_cdf<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<'_>,
) -> Result<(), SimError> {
    let samples = panel.samples;
    let all: Vec<f64> = samples.values().flatten().copied().collect();
    let x_max = if panel.integral {
        percentile(&all, 1.0) + 1.0
    } else {
        (percentile(&all, panel.x_cap_percentile) * 1.05).max(1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..x_max, 0f64..1f64)
        .map_err(plot_error)?;
    let integral = panel.integral;
    let format_x = move |x: &f64| {
        if integral {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    chart
        .configure_mesh()
        .x_desc(panel.x_label)
        .y_desc("share of operations")
        .x_labels(if integral { x_max as usize + 1 } else { 10 })
        .x_label_formatter(&format_x)
        .draw()
        .map_err(plot_error)?;
    let mut curves: Vec<(&str, RGBColor, Vec<f64>)> = vec![("all", BLACK, all)];
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
    ];
    for (kind, color) in OpKind::ALL.iter().zip(colors) {
        if let Some(values) = samples.get(kind).filter(|v| !v.is_empty()) {
            curves.push((kind.name(), color, values.clone()));
        }
    }
    for (name, color, values) in curves {
        if values.is_empty() {
            continue;
        }
        let points: Vec<(f64, f64)> = cdf_points(&values)
            .into_iter()
            .map(|(x, y)| (x.min(x_max), y))
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(format!("{name} ({})", values.len()))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

/// Draws the latency and hop-count CDFs of `report`'s operations into an SVG file at `path`.
/// The latency axis ends a little past the 99th percentile so that the tail does not squash
/// the body of the curve.
pub fn write_svg(report: &Report, path: &Path) -> Result<(), SimError> {
    let root = SVGBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let s = &report.scenario;
    let title = format!(
        "kad-sim: {} nodes, churn {}, loss {}, k={}, alpha={}, seed {}",
        s.nodes, s.churn, s.network.loss, s.k, s.alpha, s.seed
    );
    let root = root
        .titled(&title, ("sans-serif", 16))
        .map_err(plot_error)?;
    let (left, right) = root.split_horizontally(600);
    draw_cdf(
        &left,
        &Panel {
            title: "Operation latency (CDF)",
            x_label: "simulated latency (ms)",
            samples: &report.samples.latency_ms,
            x_cap_percentile: 0.99,
            integral: false,
        },
    )?;
    draw_cdf(
        &right,
        &Panel {
            title: "Hops per operation (CDF)",
            x_label: "hops",
            samples: &report.samples.hops,
            x_cap_percentile: 1.0,
            integral: true,
        },
    )?;
    root.present().map_err(plot_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staircase_for_few_values() {
        let pts = cdf_points(&[1.0, 2.0, 2.0, 3.0]);
        assert_eq!(
            pts,
            vec![
                (1.0, 0.0),
                (1.0, 0.25),
                (2.0, 0.25),
                (2.0, 0.75),
                (3.0, 0.75),
                (3.0, 1.0)
            ]
        );
    }

    #[test]
    fn quantiles_for_many_values() {
        let values: Vec<f64> = (0..10_000).map(f64::from).collect();
        let pts = cdf_points(&values);
        assert_eq!(pts.len(), MAX_POINTS + 1);
        assert_eq!(pts.last(), Some(&(9999.0, 1.0)));
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }
}
