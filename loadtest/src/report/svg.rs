//! Plots as inline SVG, drawn here so the report page needs nothing from elsewhere.

use std::fmt::Write;

const W: f64 = 760.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

/// Colours for series, in order.
pub const PALETTE: [&str; 6] = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: &str, points: Vec<(f64, f64)>) -> Self {
        Series { name: name.into(), points }
    }
}

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" step for about `n` ticks over `range`.
fn nice_step(range: f64, n: f64) -> f64 {
    let raw = (range / n).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn label(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        crate::progress::si(v)
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A moment marked on a chart: a dashed vertical line at `x` with a short label.
#[derive(Clone, Debug)]
pub struct Mark {
    pub x: f64,
    pub label: String,
    pub colour: &'static str,
}

/// A line chart of `series` against time (x in seconds). `step` draws step lines (counts per
/// window) rather than straight segments.
pub fn line_chart(title: &str, y_label: &str, series: &[Series], step: bool) -> String {
    line_chart_marked(title, y_label, series, step, &[])
}

/// [`line_chart`] with moments marked (e.g. the faults of a chaos soak).
pub fn line_chart_marked(title: &str, y_label: &str, series: &[Series], step: bool, marks: &[Mark]) -> String {
    let mut out = String::new();
    let pts = series.iter().flat_map(|s| s.points.iter());
    let x_max = pts.clone().map(|p| p.0).chain(marks.iter().map(|m| m.x)).fold(0.0_f64, f64::max).max(1.0);
    let y_max = pts.map(|p| p.1).filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    let y_step = nice_step(if y_max > 0.0 { y_max } else { 1.0 }, 4.0);
    let y_top = ((y_max / y_step).ceil().max(1.0)) * y_step;
    let x_step = nice_step(x_max, 8.0);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sx = |x: f64| LEFT + x / x_max * pw;
    let sy = |y: f64| TOP + ph - (y / y_top).clamp(0.0, 1.0) * ph;

    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="{t}">"#,
        t = esc(title)
    );
    let _ = write!(out, r#"<text x="{LEFT}" y="18" class="title">{}</text>"#, esc(title));
    // Grid and y labels.
    let mut y = 0.0;
    while y <= y_top + y_step * 0.01 {
        let py = sy(y);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{x2:.1}" y2="{py:.1}" stroke="#e5e7eb"/><text x="{lx:.1}" y="{ty:.1}" class="ylab">{l}</text>"##,
            x2 = W - RIGHT,
            lx = LEFT - 6.0,
            ty = py + 4.0,
            l = label(y)
        );
        y += y_step;
    }
    let mut x = 0.0;
    while x <= x_max + x_step * 0.01 {
        let px = sx(x);
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{y1:.1}" x2="{px:.1}" y2="{y2:.1}" stroke="#9ca3af"/><text x="{px:.1}" y="{ty:.1}" class="xlab">{l}</text>"##,
            y1 = TOP + ph,
            y2 = TOP + ph + 4.0,
            ty = TOP + ph + 16.0,
            l = label(x)
        );
        x += x_step;
    }
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" class="axis">seconds</text><text x="12" y="{my:.1}" class="axis" transform="rotate(-90 12 {my:.1})">{yl}</text>"#,
        x = LEFT + pw / 2.0,
        y = H - 6.0,
        my = TOP + ph / 2.0,
        yl = esc(y_label)
    );
    for m in marks.iter().filter(|m| m.x >= 0.0) {
        let px = sx(m.x);
        let _ = write!(
            out,
            r#"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{y2:.1}" stroke="{c}" stroke-dasharray="4 3"/><text x="{tx:.1}" y="{ty:.1}" class="legend" fill="{c}" transform="rotate(-90 {tx:.1} {ty:.1})" text-anchor="end">{l}</text>"#,
            y2 = TOP + ph,
            c = m.colour,
            tx = px - 3.0,
            ty = TOP + 24.0,
            l = esc(&m.label)
        );
    }
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut d = String::new();
        let mut prev: Option<(f64, f64)> = None;
        for &(x, y) in s.points.iter().filter(|p| p.1.is_finite()) {
            let (px, py) = (sx(x), sy(y));
            match prev {
                None => {
                    let _ = write!(d, "M{px:.1},{py:.1}");
                }
                Some((_, ppy)) if step => {
                    let _ = write!(d, " L{px:.1},{ppy:.1} L{px:.1},{py:.1}");
                }
                Some(_) => {
                    let _ = write!(d, " L{px:.1},{py:.1}");
                }
            }
            prev = Some((px, py));
        }
        if !d.is_empty() {
            let _ = write!(out, r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.8"/>"#);
        }
        let lx = LEFT + 8.0 + i as f64 * 130.0;
        let _ = write!(
            out,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="10" height="10" fill="{colour}"/><text x="{tx:.1}" y="{ty:.1}" class="legend">{n}</text>"#,
            ly = TOP + 4.0,
            tx = lx + 14.0,
            ty = TOP + 13.0,
            n = esc(&s.name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A horizontal bar chart of named values.
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let row = 24.0;
    let h = TOP + 10.0 + row * bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0);
    let name_w = 180.0;
    let bar_w = W - name_w - RIGHT - 60.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" class="chart" role="img" aria-label="{t}"><text x="{LEFT}" y="18" class="title">{t}</text>"#,
        t = esc(title)
    );
    if bars.is_empty() {
        let _ = write!(out, r#"<text x="{name_w}" y="{y}" class="legend">none</text>"#, y = TOP + 16.0);
    }
    for (i, (name, v)) in bars.iter().enumerate() {
        let y = TOP + 6.0 + i as f64 * row;
        let w = v / max * bar_w;
        let _ = write!(
            out,
            r#"<text x="{nx}" y="{ty:.1}" class="ylab">{n}</text><rect x="{name_w}" y="{y:.1}" width="{w:.1}" height="16" fill="{c}"/><text x="{vx:.1}" y="{ty:.1}" class="legend">{v}</text>"#,
            nx = name_w - 8.0,
            ty = y + 12.0,
            n = esc(name),
            c = PALETTE[i % PALETTE.len()],
            vx = name_w + w + 6.0,
            v = label(*v)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_escaped_text() {
        let s = line_chart("a < b", "ms", &[Series::new("p99", vec![(0.0, 1.0), (1.0, 3.0), (2.0, f64::NAN)])], true);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("a &lt; b") && s.contains("<path d=\"M"));
        let b = bar_chart("reasons", &[("Left".into(), 20.0), ("InputFlood".into(), 1.0)]);
        assert!(b.contains("InputFlood") && b.contains("<rect"));
        assert!(bar_chart("none", &[]).contains(">none<"));
    }

    #[test]
    fn steps_are_nice() {
        assert_eq!(nice_step(100.0, 4.0), 50.0);
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert_eq!(nice_step(0.3, 4.0), 0.1);
    }
}
