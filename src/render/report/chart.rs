//! The inline SVG chart of the HTML report: findings by severity per run (stacked bars, left axis) and the
//! health score (line, right axis, 0–100). Plain SVG with no script, so it renders in any browser or mail client.

use std::fmt::Write;

use mekhanikube_analyzers::Severity;

use super::html::esc;
use super::text;
use crate::document::RunSummary;

const W: f64 = 760.0;
const H: f64 = 270.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 44.0;
const TOP: f64 = 16.0;
const PLOT_H: f64 = 180.0;

pub fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#b91c1c",
        Severity::High => "#ea580c",
        Severity::Medium => "#ca8a04",
        Severity::Low => "#0e7490",
        Severity::Info => "#94a3b8",
    }
}

/// The SVG element for `runs` (oldest first); `current` is outlined.
pub fn svg(runs: &[RunSummary], current: &str) -> String {
    let n = runs.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.6).min(44.0);
    let max_total = runs.iter().map(|r| r.summary.total).max().unwrap_or(0);
    let y_max = nice_ceiling(max_total.max(1));
    let y_of = |v: f64| TOP + PLOT_H - v / y_max as f64 * PLOT_H;
    let health_y = |score: u8| TOP + PLOT_H - f64::from(score) / 100.0 * PLOT_H;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg" aria-labelledby="chart-title"><title id="chart-title">Findings by severity and health score over the last {n} runs</title>"#
    );
    // Grid and left axis: findings.
    for i in 0..=4 {
        let v = y_max as f64 * f64::from(i) / 4.0;
        let y = y_of(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{lx}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
            x2 = W - RIGHT,
            lx = LEFT - 6.0,
            ty = y + 3.5,
            label = format_tick(v),
        );
    }
    // Right axis: health score.
    for score in [0u8, 50, 100] {
        let _ = write!(
            s,
            r#"<text class="axis health-axis" x="{x}" y="{y:.1}">{score}</text>"#,
            x = W - RIGHT + 6.0,
            y = health_y(score) + 3.5
        );
    }
    let label_every = n.div_ceil(8);
    let mut points = Vec::with_capacity(n);
    for (i, run) in runs.iter().enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        let x = cx - bar_w / 2.0;
        let mut base = 0.0;
        let tooltip = format!(
            "{} \u{2014} {}: {}, health {}",
            run.report,
            text::when(&run.generated_at),
            text::counts(&run.summary),
            run.summary.health_score
        );
        let _ = write!(s, r#"<g class="run"><title>{}</title>"#, esc(&tooltip));
        // Critical at the bottom: the most severe part stays on the baseline where the eye starts.
        for severity in Severity::ALL {
            let count = run.summary.count(severity) as f64;
            if count == 0.0 {
                continue;
            }
            let (y0, y1) = (y_of(base + count), y_of(base));
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y0:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{c}"/>"#,
                h = y1 - y0,
                c = color(severity)
            );
            base += count;
        }
        if run.report == current {
            let _ = write!(
                s,
                r#"<rect class="current" x="{x:.1}" y="{TOP}" width="{bar_w:.1}" height="{PLOT_H}" fill="none"/>"#,
                x = x - 0.5,
            );
        }
        s.push_str("</g>");
        if i % label_every == 0 || i + 1 == n {
            let _ = write!(
                s,
                r#"<text class="axis" x="{cx:.1}" y="{y}" text-anchor="middle">{}</text>"#,
                esc(&text::when_short(&run.generated_at)),
                y = TOP + PLOT_H + 16.0
            );
        }
        points.push((cx, health_y(run.summary.health_score), run.summary.health_score));
    }
    let line: Vec<String> = points.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(s, r#"<polyline class="health" points="{}"/>"#, line.join(" "));
    for (x, y, score) in &points {
        let _ = write!(
            s,
            r#"<circle class="health-dot" cx="{x:.1}" cy="{y:.1}" r="3.5"><title>health {score}</title></circle>"#
        );
    }
    legend(&mut s);
    s.push_str("</svg>");
    s
}

fn legend(s: &mut String) {
    let y = TOP + PLOT_H + 40.0;
    let mut x = LEFT;
    for severity in Severity::ALL {
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{ry}" width="11" height="11" fill="{c}"/><text class="legend" x="{tx}" y="{y}">{name}</text>"#,
            ry = y - 9.5,
            c = color(severity),
            tx = x + 15.0,
            name = severity.as_str()
        );
        x += 86.0;
    }
    let _ = write!(
        s,
        r#"<line class="health" x1="{x}" x2="{x2}" y1="{ly}" y2="{ly}"/><text class="legend" x="{tx}" y="{y}">health score (right axis)</text>"#,
        x2 = x + 18.0,
        ly = y - 4.0,
        tx = x + 23.0
    );
}

/// Four round ticks: the axis top is 4 × the smallest 1, 2 or 5 × 10^k step that reaches `v`.
fn nice_ceiling(v: usize) -> usize {
    let mut magnitude = 1;
    loop {
        for step in [1, 2, 5] {
            if 4 * step * magnitude >= v {
                return 4 * step * magnitude;
            }
        }
        magnitude *= 10;
    }
}

fn format_tick(v: f64) -> String {
    format!("{v:.0}")
}

#[cfg(test)]
mod tests {
    use mekhanikube_analyzers::Summary;

    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!([1, 4, 5, 7, 11, 23, 140].map(nice_ceiling), [4, 4, 8, 8, 20, 40, 200]);
    }

    #[test]
    fn one_bar_per_run_and_the_health_line() {
        let runs: Vec<RunSummary> = (0..3)
            .map(|i| RunSummary {
                report: format!("report-{i}"),
                generated_at: format!("2026-11-2{i}T10:00:00Z"),
                summary: Summary {
                    total: i + 1,
                    high: i + 1,
                    health_score: 100 - 8 * (i as u8 + 1),
                    ..Summary::default()
                },
            })
            .collect();
        let svg = svg(&runs, "report-2");
        assert_eq!(svg.matches(r#"<g class="run">"#).count(), 3);
        assert_eq!(svg.matches(r#"class="current""#).count(), 1);
        assert!(svg.contains(r#"<polyline class="health""#));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
