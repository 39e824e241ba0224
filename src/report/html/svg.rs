//! Drawing primitives for the HTML report's inline SVG: linear scales with
//! round ticks, numbers formatted for people, and an element writer that
//! escapes every text it is given. It knows nothing about checks (`plots.rs`
//! turns results into drawings); colours live in the page's stylesheet, so
//! elements carry classes only.

use std::fmt::Write;

use super::escape;

/// Maps a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    pub fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Self {
        // A degenerate domain still draws (everything at the middle).
        let d1 = if d1 > d0 { d1 } else { d0 + 1.0 };
        Scale { d0, d1, r0, r1 }
    }

    pub fn at(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }

    pub fn domain(&self) -> (f64, f64) {
        (self.d0, self.d1)
    }
}

/// A round step (1, 2 or 5 times a power of ten) giving about `target`
/// intervals over `[lo, hi]`, and the ticks it puts inside.
pub(super) fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let raw = span / target.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step =
        [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&s| s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * power);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // `+ 0.0` turns -0 into 0.
    let values = (first..=last).map(|i| i as f64 * step + 0.0).collect();
    (values, step)
}

/// A tick's label: as many decimals as the step needs, thousands separated,
/// millions and billions shortened when the axis reaches them.
pub(super) fn tick_label(v: f64, step: f64, axis_max: f64) -> String {
    let (v, step, suffix) = match axis_max.abs() {
        m if m >= 1e9 => (v / 1e9, step / 1e9, "B"),
        m if m >= 1e6 => (v / 1e6, step / 1e6, "M"),
        _ => (v, step, ""),
    };
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{}{suffix}", group_thousands(&format!("{:.*}", decimals, v + 0.0)))
}

/// A share (0.306) as a percentage with about three significant digits.
pub(super) fn percent(share: f64) -> String {
    format!("{}%", num(share * 100.0, 3))
}

/// `v` rounded to `sig` significant digits for reading: thousands separated,
/// no trailing zeros, whole numbers in full (108921.9386 -> "108,922" with 4
/// digits), scientific notation only below 1e-4 or from 1e15.
pub(super) fn num(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        let s = format!("{:.*e}", sig.saturating_sub(1), v);
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    let decimals = (i32::try_from(sig).unwrap_or(i32::MAX) - 1 - magnitude).max(0) as usize;
    group_thousands(trim_zeros(&format!("{v:.decimals$}")))
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// "-1234567.5" -> "-1,234,567.5".
fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if out == "-0" { "0".into() } else { out }
}

/// A coordinate: one decimal at most, so the output is short and stable.
fn c(v: f64) -> String {
    let s = format!("{:.1}", v + 0.0);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    if s == "-0" { "0".into() } else { s }
}

/// Where a text is anchored.
#[derive(Debug, Clone, Copy)]
pub(super) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// One `<svg>` element being written. Its `<title>` and `<desc>` name it for
/// screen readers (`role="img"`, `aria-labelledby`); `id` must be unique in
/// the page.
pub(super) struct Svg {
    out: String,
}

impl Svg {
    pub fn new(id: &str, width: f64, height: f64, title: &str, desc: &str) -> Self {
        let mut out = String::new();
        let (w, h) = (c(width), c(height));
        let _ = writeln!(
            out,
            r#"<svg class="chart" role="img" aria-labelledby="{id}-t {id}-d" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
        );
        let _ = writeln!(out, r#"<title id="{id}-t">{}</title>"#, escape(title));
        let _ = writeln!(out, r#"<desc id="{id}-d">{}</desc>"#, escape(desc));
        Svg { out }
    }

    /// A rectangle; `tip` becomes its tooltip (a child `<title>`).
    pub fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), class: &str, tip: Option<&str>) {
        let (w, h) = (w.max(0.0), h.max(0.0));
        let _ =
            write!(self.out, r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}""#, c(x), c(y), c(w), c(h));
        self.close(tip, "rect");
    }

    pub fn circle(&mut self, (x, y): (f64, f64), r: f64, class: &str, tip: Option<&str>) {
        let _ = write!(self.out, r#"<circle class="{class}" cx="{}" cy="{}" r="{}""#, c(x), c(y), c(r));
        self.close(tip, "circle");
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), class: &str) {
        let _ = writeln!(
            self.out,
            r#"<line class="{class}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            c(x1),
            c(y1),
            c(x2),
            c(y2)
        );
    }

    /// A path through `points`, as straight segments.
    pub fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        let d: Vec<String> = points.iter().map(|&(x, y)| format!("{},{}", c(x), c(y))).collect();
        let _ = writeln!(self.out, r#"<polyline class="{class}" points="{}"/>"#, d.join(" "));
    }

    pub fn text(&mut self, (x, y): (f64, f64), anchor: Anchor, class: &str, text: &str) {
        let _ = writeln!(
            self.out,
            r#"<text class="{class}" x="{}" y="{}" text-anchor="{}">{}</text>"#,
            c(x),
            c(y),
            anchor.name(),
            escape(text)
        );
    }

    /// Text turned by `degrees` around its anchor point (e.g. -90 for a
    /// vertical axis label, -35 for long category names).
    pub fn text_turned(&mut self, (x, y): (f64, f64), degrees: i32, anchor: Anchor, class: &str, text: &str) {
        let (x, y) = (c(x), c(y));
        let _ = writeln!(
            self.out,
            r#"<text class="{class}" x="{x}" y="{y}" transform="rotate({degrees} {x} {y})" text-anchor="{}">{}</text>"#,
            anchor.name(),
            escape(text)
        );
    }

    /// A horizontal axis at height `y`: the line, ticks with labels below.
    pub fn x_axis(&mut self, scale: &Scale, y: f64, ticks: &[f64], label: impl Fn(f64) -> String) {
        let (d0, d1) = scale.domain();
        let _ = writeln!(self.out, r#"<g class="axis">"#);
        self.line((scale.at(d0), y), (scale.at(d1), y), "axis-line");
        for &t in ticks {
            let x = scale.at(t);
            self.line((x, y), (x, y + 4.0), "tick");
            self.text((x, y + 15.0), Anchor::Middle, "tick-label", &label(t));
        }
        let _ = writeln!(self.out, "</g>");
    }

    /// A vertical axis at `x`: ticks with labels on the left and light grid
    /// lines across to `x_end`.
    pub fn y_axis(&mut self, scale: &Scale, x: f64, x_end: f64, ticks: &[f64], label: impl Fn(f64) -> String) {
        let (d0, d1) = scale.domain();
        let _ = writeln!(self.out, r#"<g class="axis">"#);
        for &t in ticks {
            let y = scale.at(t);
            self.line((x, y), (x_end, y), "grid");
            self.line((x - 4.0, y), (x, y), "tick");
            self.text((x - 6.0, y + 3.5), Anchor::End, "tick-label", &label(t));
        }
        self.line((x, scale.at(d0)), (x, scale.at(d1)), "axis-line");
        let _ = writeln!(self.out, "</g>");
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    fn close(&mut self, tip: Option<&str>, tag: &str) {
        match tip {
            Some(t) => {
                let _ = writeln!(self.out, "><title>{}</title></{tag}>", escape(t));
            }
            None => {
                let _ = writeln!(self.out, "/>");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(108_921.938_668_8, 4), "108,922");
        assert_eq!(num(0.630_2, 4), "0.6302");
        assert_eq!(num(0.000_785_573_8, 4), "0.0007856");
        assert_eq!(num(0.000_012_3, 3), "1.23e-5");
        assert_eq!(num(-4_705.75, 6), "-4,705.75");
        assert_eq!(num(8000.0, 4), "8,000");
        assert_eq!(num(0.999_99, 3), "1");
        assert_eq!(num(-0.000_01, 2), "-1e-5");
        assert_eq!(percent(0.001_875), "0.188%");
        assert_eq!(percent(0.306_2), "30.6%");
    }

    #[test]
    fn ticks_are_round_and_inside() {
        let (t, step) = ticks(500.0, 50_000.0, 5);
        assert_eq!(step, 10_000.0);
        assert_eq!(t, vec![10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_000.0]);
        let (t, step) = ticks(0.0, 0.2, 4);
        assert_eq!(step, 0.05);
        assert_eq!(t.len(), 5);
        assert_eq!(tick_label(t[1], step, 0.2), "0.05");
        assert_eq!(tick_label(2_500_000.0, 500_000.0, 1e7), "2.5M");
        assert_eq!(tick_label(-0.0, 1.0, 1.0), "0");
    }

    #[test]
    fn text_is_escaped() {
        let mut svg = Svg::new("p", 10.0, 10.0, "<b>&", "\"q\"");
        svg.text((0.0, 0.0), Anchor::Start, "x", "<script>alert(1)</script>");
        svg.rect((0.0, 0.0), (1.0, 1.0), "r", Some("a<b"));
        let out = svg.finish();
        assert!(!out.contains("<script>") && !out.contains("<b>"), "{out}");
        assert!(out.contains("&lt;script&gt;") && out.contains("a&lt;b") && out.contains("&quot;q&quot;"));
    }
}
