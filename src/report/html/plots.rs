//! The HTML report's plots, drawn from a check's `observed` and `threshold`
//! JSON (the fields of docs/checks.md): a number line with the pass band for
//! `stat`, reference against current shares for `drift` (one panel per column),
//! and each group's rate with its Wilson interval and the threshold's pass
//! band for `fairness`. Every plot is an inline `<svg>` with a title and a
//! text description; the caption says in words what the drawing shows.

use std::fmt::Write;

use serde_json::{Map, Value as Json};

use super::escape;
use super::svg::{Anchor, Scale, Svg, num, percent, tick_label, ticks};
use crate::outcome::CheckOutcome;

/// What a check contributes to the page's plots.
pub(super) enum Plot {
    /// A kind without plots.
    None,
    /// A kind with plots, but nothing to draw (e.g. status `error`), and why.
    Missing(&'static str),
    /// Panels (each an `<svg>` or a small `<figure>` of one) and an HTML caption.
    Figure { panels: Vec<String>, caption: String },
}

pub(super) fn plot(check: &CheckOutcome, id: &str) -> Plot {
    match check.kind.as_str() {
        "stat" => stat(check, id),
        "drift" => drift(check, id),
        "fairness" => fairness(check, id),
        _ => Plot::None,
    }
}

fn number(map: &Map<String, Json>, key: &str) -> Option<f64> {
    map.get(key).and_then(Json::as_f64)
}

/// Rough width of a text at the plots' 11px font, for keeping labels inside.
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * 6.2
}

/// `s` cut to `max` characters with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

/// Anchors a label at `x` on the preferred side, or on the other side when
/// it would leave the drawing.
fn keep_inside(x: f64, text: &str, prefer: Anchor, width: f64) -> Anchor {
    let w = text_width(text);
    match prefer {
        Anchor::End if x - w < 2.0 => Anchor::Start,
        Anchor::Start if x + w > width - 2.0 => Anchor::End,
        Anchor::Middle if x - w / 2.0 < 2.0 => Anchor::Start,
        Anchor::Middle if x + w / 2.0 > width - 2.0 => Anchor::End,
        a => a,
    }
}

// ---------------------------------------------------------------- stat

/// The value on a number line; the band between `min` and `max` (either may
/// be absent: the band then runs to the edge) is where it passes.
fn stat(check: &CheckOutcome, id: &str) -> Plot {
    let (o, t) = (&check.observed, &check.threshold);
    let Some(value) = number(o, "value") else {
        return Plot::Missing(match o.get("value") {
            Some(Json::String(_)) => "the value is not a number",
            _ => "the value is undefined",
        });
    };
    let (min, max) = (number(t, "min"), number(t, "max"));
    if min.is_none() && max.is_none() {
        return Plot::Missing("the threshold has no numeric bound");
    }
    let metric = match (t.get("metric").and_then(Json::as_str), number(t, "q")) {
        (Some(m), Some(q)) => format!("{m}({})", num(q, 6)),
        (Some(m), None) => m.to_string(),
        (None, _) => "value".to_string(),
    };
    let what = check.column.as_ref().map_or_else(|| metric.clone(), |c| format!("{metric} of {c}"));
    let rule = match (min, max) {
        (Some(a), Some(b)) => format!("{} to {}", num(a, 6), num(b, 6)),
        (Some(a), None) => format!("{} or more", num(a, 6)),
        (None, b) => format!("{} or less", num(b.unwrap_or_default(), 6)),
    };

    let (width, height) = (560.0, 116.0);
    let points = [Some(value), min, max].into_iter().flatten();
    let lo = points.clone().fold(f64::INFINITY, f64::min);
    let hi = points.fold(f64::NEG_INFINITY, f64::max);
    let pad = if hi > lo { (hi - lo) * 0.1 } else { lo.abs().max(1.0) * 0.1 };
    let x = Scale::new((lo - pad, hi + pad), (24.0, width - 24.0));
    let (band_top, axis_y) = (24.0, 70.0);

    let title = format!("{}: {what} = {}; pass band {rule}", check.id, num(value, 6));
    let desc = format!("A number line. The shaded pass band is {rule}; the dot marks the observed {metric}.");
    let mut svg = Svg::new(id, width, height, &title, &desc);
    let (mut x0, mut x1) = (min.map_or(24.0, |m| x.at(m)), max.map_or(width - 24.0, |m| x.at(m)));
    if x1 - x0 < 2.0 {
        // A band narrower than the value's distance to it stays visible.
        let mid = f64::midpoint(x0, x1);
        (x0, x1) = (mid - 1.0, mid + 1.0);
    }
    svg.rect((x0, band_top), (x1 - x0, axis_y - band_top), "band", Some(&format!("pass band: {rule}")));
    // A missing bound leaves the band open to the edge (the caption says so).
    for (bound, label, prefer) in [(min, "min", Anchor::End), (max, "max", Anchor::Start)] {
        if let Some(b) = bound {
            let bx = x.at(b);
            svg.line((bx, band_top - 4.0), (bx, axis_y), "band-edge");
            let text = format!("{label} {}", num(b, 6));
            let nudge = if matches!(prefer, Anchor::End) { -4.0 } else { 4.0 };
            svg.text((bx + nudge, 14.0), keep_inside(bx + nudge, &text, prefer, width), "bound-label", &text);
        }
    }
    let (d0, d1) = x.domain();
    let (tick_list, step) = ticks(d0, d1, 6);
    let axis_max = d0.abs().max(d1.abs());
    svg.x_axis(&x, axis_y, &tick_list, |v| tick_label(v, step, axis_max));
    let vx = x.at(value);
    let status = check.status.as_str();
    svg.line((vx, band_top), (vx, axis_y), &format!("value-line st-{status}"));
    svg.circle((vx, 47.0), 6.0, &format!("marker st-{status}"), Some(&format!("{what} = {}", num(value, 12))));
    let label = format!("{metric} = {}", num(value, 6));
    let (lx, prefer) = if vx > width / 2.0 { (vx - 10.0, Anchor::End) } else { (vx + 10.0, Anchor::Start) };
    svg.text((lx, 51.0), keep_inside(lx, &label, prefer, width), "value-label", &label);
    svg.text((width / 2.0, height - 8.0), Anchor::Middle, "axis-label", &what);

    let caption = format!(
        "{} = <strong>{}</strong> (status {status}). Shaded: the pass band, {}.",
        escape(&what),
        escape(&num(value, 6)),
        escape(&rule)
    );
    Plot::Figure { panels: vec![svg.finish()], caption }
}

// ---------------------------------------------------------------- drift

#[derive(Clone, Copy)]
struct Size {
    w: f64,
    h: f64,
    small: bool,
}

const LARGE: Size = Size { w: 560.0, h: 230.0, small: false };
const SMALL: Size = Size { w: 360.0, h: 190.0, small: true };

/// Reference against current shares: one plot for a column, small
/// multiples (one per column, errors as text) for several.
fn drift(check: &CheckOutcome, id: &str) -> Plot {
    let (o, t) = (&check.observed, &check.threshold);
    let threshold = drift_threshold(t);
    if let Some(columns) = o.get("columns").and_then(Json::as_array) {
        let mut panels = Vec::new();
        for (i, col) in columns.iter().enumerate() {
            let Some(col) = col.as_object() else { continue };
            let name = col.get("column").and_then(Json::as_str).unwrap_or("?");
            if let Some(e) = col.get("error").and_then(Json::as_str) {
                panels.push(format!(
                    "<figure class=\"panel\">\n<figcaption><strong>{}</strong> <span class=\"panel-error\">could not be tested: {}</span></figcaption>\n</figure>\n",
                    escape(name),
                    escape(e)
                ));
                continue;
            }
            let body = match histogram(col, &format!("{id}-{}", i + 1), &format!("{}: {name}", check.id), name, SMALL) {
                Some(svg) => svg,
                None => "<p class=\"panel-error\">no histogram</p>\n".to_string(),
            };
            let verdict = match col.get("drifted").and_then(Json::as_bool) {
                Some(true) => r#" <span class="flag st-fail">drift</span>"#,
                Some(false) => r#" <span class="flag st-pass">no drift</span>"#,
                None => "",
            };
            panels.push(format!(
                "<figure class=\"panel\">\n{body}<figcaption><strong>{}</strong>{verdict} {}</figcaption>\n</figure>\n",
                escape(name),
                escape(&test_summary(col))
            ));
        }
        if panels.is_empty() {
            return Plot::Missing("no columns were tested");
        }
        let tested = o.get("columns_tested").and_then(Json::as_u64).unwrap_or(columns.len() as u64);
        let drifted = o.get("columns_drifted").and_then(Json::as_u64).unwrap_or(0);
        let caption =
            format!("{drifted} of {tested} columns drifted. Threshold: {}. {}", escape(&threshold), HISTOGRAM_KEY);
        return Plot::Figure { panels, caption };
    }
    if o.get("histogram").is_none() {
        return Plot::Missing("nothing was measured");
    }
    let column = check.column.as_deref().unwrap_or("value");
    let Some(svg) = histogram(o, id, &check.id, column, LARGE) else {
        return Plot::Missing("the histogram is malformed");
    };
    let mut caption = format!("{}. Threshold: {}. {HISTOGRAM_KEY}", escape(&test_summary(o)), escape(&threshold));
    if let Some(h) = o.get("histogram").and_then(Json::as_object) {
        let (below, above) = (number(h, "current_below").unwrap_or(0.0), number(h, "current_above").unwrap_or(0.0));
        if below > 0.0 || above > 0.0 {
            let _ = write!(
                caption,
                " Current values outside the reference's range: {} below, {} above (the bars beside the axis).",
                percent(below),
                percent(above)
            );
        }
        if h.get("categories").and_then(Json::as_array).is_some_and(|c| c.iter().any(|v| v == "(other)")) {
            caption.push_str(" <q>(other)</q> sums the less common categories.");
        }
    }
    Plot::Figure { panels: vec![svg], caption }
}

const HISTOGRAM_KEY: &str = "Grey: the reference's share of rows per bin or category; blue: the current data's.";

/// "test ks: statistic 0.01345, p-value 0.6285, n = 8,000 current vs 5,000 reference".
fn test_summary(o: &Map<String, Json>) -> String {
    let test = o.get("test").and_then(Json::as_str).unwrap_or("?");
    let mut s = format!("test {test}: statistic {}", number(o, "statistic").map_or("?".into(), |v| num(v, 4)));
    match number(o, "p_value") {
        Some(p) => {
            let _ = write!(s, ", p-value {}", num(p, 4));
        }
        None => s.push_str(", no p-value"),
    }
    if let (Some(name), Some(v)) = (o.get("effect_size_name").and_then(Json::as_str), number(o, "effect_size"))
        && name != test
    {
        let _ = write!(s, ", effect size {name} {}", num(v, 4));
    }
    if let (Some(c), Some(r)) = (number(o, "n_current"), number(o, "n_reference")) {
        let _ = write!(s, "; n = {} current vs {} reference", num(c, 15), num(r, 15));
    }
    if o.get("approximate").and_then(Json::as_bool) == Some(true) {
        let bound = number(o, "statistic_error_bound").map_or(String::new(), |b| format!(", within {}", num(b, 3)));
        let _ = write!(s, " (approximate: binned{bound})");
    }
    s
}

fn drift_threshold(t: &Map<String, Json>) -> String {
    let mut parts = Vec::new();
    for (key, words) in
        [("max_statistic", "statistic at most"), ("min_p_value", "p-value at least"), ("max", "statistic at most")]
    {
        if let Some(v) = number(t, key) {
            parts.push(format!("{words} {}", num(v, 6)));
        }
    }
    if t.contains_key("fdr") {
        parts.push("p-values adjusted with Benjamini-Hochberg".into());
    }
    if parts.is_empty() { "the test's default".into() } else { parts.join(", ") }
}

/// The `histogram` of one tested column, numeric or categorical.
fn histogram(o: &Map<String, Json>, id: &str, title: &str, column: &str, size: Size) -> Option<String> {
    let h = o.get("histogram")?.as_object()?;
    let floats = |key: &str| -> Option<Vec<f64>> { h.get(key)?.as_array()?.iter().map(Json::as_f64).collect() };
    let (reference, current) = (floats("reference")?, floats("current")?);
    if reference.len() != current.len() || reference.is_empty() {
        return None;
    }
    if let Some(edges) = floats("edges") {
        if edges.len() != reference.len() + 1 {
            return None;
        }
        let outside = (number(h, "current_below").unwrap_or(0.0), number(h, "current_above").unwrap_or(0.0));
        return Some(numeric_histogram(id, title, column, &edges, &reference, &current, outside, size));
    }
    let names: Vec<&str> = h.get("categories")?.as_array()?.iter().map(|v| v.as_str().unwrap_or("?")).collect();
    (names.len() == reference.len())
        .then(|| categorical_histogram(id, title, column, &names, &reference, &current, size))
}

/// A share axis from 0 to a round value above `max`.
fn share_axis(max: f64, target: usize) -> (f64, Vec<f64>, f64) {
    let (_, step) = ticks(0.0, max.max(1e-9), target);
    let top = ((max / step).ceil() * step).max(step);
    let (list, step) = ticks(0.0, top, target);
    (top, list, step)
}

fn share_label(v: f64, step: f64, top: f64) -> String {
    format!("{}%", tick_label(v * 100.0, step * 100.0, top * 100.0))
}

fn legend(svg: &mut Svg, x: f64) {
    svg.rect((x, 6.0), (10.0, 10.0), "ref", None);
    svg.text((x + 14.0, 15.0), Anchor::Start, "legend", "reference");
    svg.rect((x + 80.0, 6.0), (10.0, 10.0), "cur-bar", None);
    svg.text((x + 94.0, 15.0), Anchor::Start, "legend", "current");
}

#[allow(clippy::too_many_arguments)]
fn numeric_histogram(
    id: &str,
    title: &str,
    column: &str,
    edges: &[f64],
    reference: &[f64],
    current: &[f64],
    (below, above): (f64, f64),
    size: Size,
) -> String {
    let Size { w, h, small } = size;
    let (left, right, top, bottom) = (52.0, 12.0, 24.0, 44.0);
    let (slot, gap) = (20.0, 22.0);
    let x_start = left + if below > 0.0 { slot + gap } else { 0.0 };
    let x_end = w - right - if above > 0.0 { slot + gap } else { 0.0 };
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let x = Scale::new((lo, hi), (x_start, x_end));
    let max = reference.iter().chain(current).chain([&below, &above]).fold(0.0f64, |a, &b| a.max(b));
    let (share_top, share_ticks, share_step) = share_axis(max, 4);
    let y = Scale::new((0.0, share_top), (h - bottom, top));
    let base = h - bottom;

    let desc = format!(
        "Histogram of {column} over {} equal-width bins of the reference's range {} to {}. {}",
        reference.len(),
        num(lo, 6),
        num(hi, 6),
        reference
            .iter()
            .zip(current)
            .enumerate()
            .map(|(i, (r, c))| format!("bin {}: reference {}, current {}", i + 1, percent(*r), percent(*c)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut svg = Svg::new(id, w, h, &format!("{title}: reference and current distribution of {column}"), &desc);
    svg.y_axis(&y, left, w - right, &share_ticks, |v| share_label(v, share_step, share_top));
    for (i, r) in reference.iter().enumerate() {
        let (a, b) = (x.at(edges[i]), x.at(edges[i + 1]));
        svg.rect((a + 0.5, y.at(*r)), (b - a - 1.0, base - y.at(*r)), "ref", None);
    }
    let mut line = vec![(x.at(lo), base)];
    for (i, c) in current.iter().enumerate() {
        line.push((x.at(edges[i]), y.at(*c)));
        line.push((x.at(edges[i + 1]), y.at(*c)));
    }
    line.push((x.at(hi), base));
    svg.polyline(&line, "cur");
    for (i, (r, c)) in reference.iter().zip(current).enumerate() {
        let (a, b) = (x.at(edges[i]), x.at(edges[i + 1]));
        let tip = format!(
            "{} to {}: reference {}, current {}",
            num(edges[i], 6),
            num(edges[i + 1], 6),
            percent(*r),
            percent(*c)
        );
        svg.rect((a, top), (b - a, base - top), "hover", Some(&tip));
    }
    for (share, sx, word) in [(below, left, "below"), (above, w - right - slot, "above")] {
        if share > 0.0 {
            let edge = if word == "below" { lo } else { hi };
            let tip =
                format!("current values {word} the reference range ({} {}): {}", word, num(edge, 6), percent(share));
            svg.rect((sx, y.at(share)), (slot, base - y.at(share)), "cur-bar", Some(&tip));
            svg.text(
                (sx + slot / 2.0, base + 15.0),
                Anchor::Middle,
                "tick-label",
                if word == "below" { "<" } else { ">" },
            );
        }
    }
    let (x_ticks, x_step) = ticks(lo, hi, if small { 3 } else { 5 });
    svg.x_axis(&x, base, &x_ticks, |v| tick_label(v, x_step, lo.abs().max(hi.abs())));
    svg.text((f64::midpoint(x_start, x_end), h - 8.0), Anchor::Middle, "axis-label", column);
    svg.text_turned((13.0, f64::midpoint(top, base)), -90, Anchor::Middle, "axis-label", "share of rows");
    legend(&mut svg, w - right - 150.0);
    svg.finish()
}

fn category_name(name: &str) -> String {
    if name.is_empty() { "\"\" (empty)".to_string() } else { name.to_string() }
}

/// Horizontal bars, two per category, so long names stay readable.
fn categorical_histogram(
    id: &str,
    title: &str,
    column: &str,
    names: &[&str],
    reference: &[f64],
    current: &[f64],
    size: Size,
) -> String {
    let Size { w, small, .. } = size;
    let row = if small { 20.0 } else { 26.0 };
    let (left, right, top, bottom) = (if small { 110.0 } else { 160.0 }, 52.0, 24.0, 40.0);
    let h = top + row * names.len() as f64 + bottom;
    let max = reference.iter().chain(current).fold(0.0f64, |a, &b| a.max(b));
    let (share_top, share_ticks, share_step) = share_axis(max, if small { 3 } else { 5 });
    let x = Scale::new((0.0, share_top), (left, w - right));
    let desc = format!(
        "Shares of {column} by category. {}",
        names
            .iter()
            .zip(reference.iter().zip(current))
            .map(|(n, (r, c))| format!("{}: reference {}, current {}", category_name(n), percent(*r), percent(*c)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut svg = Svg::new(id, w, h, &format!("{title}: reference and current shares of {column}"), &desc);
    let base = h - bottom;
    for &t in &share_ticks {
        svg.line((x.at(t), top), (x.at(t), base), "grid");
    }
    let bar = (row - 6.0) / 2.0;
    for (i, name) in names.iter().enumerate() {
        let y0 = top + row * i as f64 + 2.0;
        let (r, c) = (reference[i], current[i]);
        svg.rect((left, y0), (x.at(r) - left, bar), "ref", None);
        svg.rect((left, y0 + bar + 1.0), (x.at(c) - left, bar), "cur-bar", None);
        if !small {
            // Small multiples keep the numbers in the tooltips and description.
            svg.text((x.at(r) + 3.0, y0 + bar - 1.0), Anchor::Start, "bar-label", &percent(r));
            svg.text((x.at(c) + 3.0, y0 + 2.0 * bar + 1.0), Anchor::Start, "bar-label", &percent(c));
        }
        let shown = category_name(name);
        svg.text((left - 6.0, y0 + bar + 4.0), Anchor::End, "cat-label", &shorten(&shown, if small { 16 } else { 24 }));
        let tip = format!("{shown}: reference {}, current {}", percent(r), percent(c));
        svg.rect((0.0, y0 - 1.0), (w, row), "hover", Some(&tip));
    }
    svg.x_axis(&x, base, &share_ticks, |v| share_label(v, share_step, share_top));
    svg.text(((left + w - right) / 2.0, h - 6.0), Anchor::Middle, "axis-label", &format!("share of rows ({column})"));
    legend(&mut svg, w - right - 110.0);
    svg.finish()
}

// ---------------------------------------------------------------- fairness

/// The rates a fairness metric compares, from its name (Fairlearn's names,
/// docs/fairness.md), for results that carry no `disparity.components`.
pub(super) fn rates_of_metric(metric: &str) -> Vec<&'static str> {
    let measure = metric.trim_end_matches("_difference").trim_end_matches("_ratio");
    match measure {
        "equal_opportunity" | "true_positive_rate" => vec!["true_positive_rate"],
        "equalized_odds" => vec!["true_positive_rate", "false_positive_rate"],
        "false_positive_rate" => vec!["false_positive_rate"],
        "false_negative_rate" => vec!["false_negative_rate"],
        "true_negative_rate" => vec!["true_negative_rate"],
        "predictive_parity" => vec!["precision"],
        "accuracy" => vec!["accuracy"],
        // demographic_parity, disparate_impact (four_fifths is disparate impact)
        _ => vec!["selection_rate"],
    }
}

/// The rates a fairness result compares: its components', else the metric's.
pub(super) fn compared_rates(o: &Map<String, Json>) -> Vec<String> {
    let from_components: Vec<String> = o
        .get("disparity")
        .and_then(|d| d.get("components"))
        .and_then(Json::as_array)
        .map(|cs| cs.iter().filter_map(|c| c.get("rate")?.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if !from_components.is_empty() {
        return from_components;
    }
    let metric = o.get("metric").and_then(Json::as_str).unwrap_or("");
    rates_of_metric(metric).into_iter().map(String::from).collect()
}

pub(super) fn rate_name(rate: &str) -> &str {
    match rate {
        "selection_rate" => "selection rate",
        "true_positive_rate" => "true positive rate (TPR)",
        "false_positive_rate" => "false positive rate (FPR)",
        "true_negative_rate" => "true negative rate (TNR)",
        "false_negative_rate" => "false negative rate (FNR)",
        "precision" => "precision",
        "accuracy" => "accuracy",
        other => other,
    }
}

/// Where every compared group's rate must lie for the check to pass, given
/// the rates themselves: the pass band drawn on a fairness panel.
struct Band {
    lo: f64,
    hi: f64,
    /// One sentence on how the band follows from the threshold.
    why: String,
}

fn band(metric: &str, method: &str, component: &Json, min: Option<f64>, max: Option<f64>) -> Option<Band> {
    let ratio = metric.ends_with("_ratio") || metric == "disparate_impact";
    let highest = component.get("highest");
    let top = highest.and_then(|h| h.get("value")).and_then(Json::as_f64);
    let top_group = highest.and_then(|h| h.get("group")).and_then(Json::as_str).unwrap_or("?");
    let baseline = component.get("baseline").and_then(Json::as_f64);
    let base_name = if method == "to_reference" { "the reference group's rate" } else { "the overall rate" };
    let n = |v: f64| num(v, 4);
    let band = match (ratio, method, min, max) {
        (true, "between_groups", Some(r), _) => {
            let h = top?;
            Band {
                lo: r * h,
                hi: h,
                why: format!(
                    "from {} × the highest compared rate ({top_group}, {}) = {} up to that rate: a compared group below it makes {metric} fall under {}",
                    n(r),
                    n(h),
                    n(r * h),
                    n(r)
                ),
            }
        }
        (false, "between_groups", _, Some(d)) => {
            let h = top?;
            Band {
                lo: h - d,
                hi: h,
                why: format!(
                    "within {} below the highest compared rate ({top_group}, {}): a compared group under {} makes {metric} exceed {}",
                    n(d),
                    n(h),
                    n(h - d),
                    n(d)
                ),
            }
        }
        (false, _, _, Some(d)) => {
            let b = baseline?;
            Band {
                lo: b - d,
                hi: b + d,
                why: format!("within {} of {base_name} ({}): {} to {}", n(d), n(b), n(b - d), n(b + d)),
            }
        }
        (true, _, Some(r), _) if metric == "disparate_impact" => {
            let b = baseline?;
            Band { lo: r * b, hi: 1.0, why: format!("at least {} × {base_name} ({}) = {}", n(r), n(b), n(r * b)) }
        }
        (true, _, Some(r), _) if r > 0.0 => {
            let b = baseline?;
            Band {
                lo: r * b,
                hi: b / r,
                why: format!(
                    "between {} × and 1/{} × {base_name} ({}): {} to {} (ratios above 1 are inverted)",
                    n(r),
                    n(r),
                    n(b),
                    n(r * b),
                    n(b / r)
                ),
            }
        }
        _ => return None,
    };
    Some(Band { lo: band.lo.clamp(0.0, 1.0), hi: band.hi.clamp(0.0, 1.0), ..band })
}

/// One group's drawing data for one rate.
struct Bar<'a> {
    label: &'a str,
    size: Option<f64>,
    rate: Option<f64>,
    interval: Option<(f64, f64)>,
    insufficient: bool,
    compared: bool,
}

fn fairness(check: &CheckOutcome, id: &str) -> Plot {
    let (o, t) = (&check.observed, &check.threshold);
    let Some(groups) = o.get("groups").and_then(Json::as_array).filter(|g| !g.is_empty()) else {
        return Plot::Missing("no groups were measured");
    };
    let metric = o.get("metric").and_then(Json::as_str).unwrap_or("?");
    let method = o.get("method").and_then(Json::as_str).unwrap_or("between_groups");
    let (min, max) = (number(t, "min"), number(t, "max"));
    let confidence = number(t, "confidence").unwrap_or(0.95);
    let components: Vec<Json> =
        o.get("disparity").and_then(|d| d.get("components")).and_then(Json::as_array).cloned().unwrap_or_default();
    let mut panels = Vec::new();
    let mut notes = Vec::new();
    let mut outside_all: Vec<String> = Vec::new();
    for (k, rate) in compared_rates(o).iter().enumerate() {
        let component = components.iter().find(|c| c.get("rate").and_then(Json::as_str) == Some(rate));
        let compared: Vec<&str> = component
            .and_then(|c| c.get("compared"))
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let bars: Vec<Bar> = groups
            .iter()
            .map(|g| {
                let label = g.get("label").and_then(Json::as_str).unwrap_or("?");
                let interval = g
                    .get("intervals")
                    .and_then(|i| i.get(rate))
                    .and_then(|i| Some((i.get("lower")?.as_f64()?, i.get("upper")?.as_f64()?)));
                Bar {
                    label,
                    size: g.get("size").and_then(Json::as_f64),
                    rate: g.get("rates").and_then(|r| r.get(rate)).and_then(Json::as_f64),
                    interval,
                    insufficient: g.get("insufficient").and_then(Json::as_bool) == Some(true),
                    compared: compared.contains(&label),
                }
            })
            .collect();
        let band = component.and_then(|c| band(metric, method, c, min, max));
        let baseline = component.and_then(|c| c.get("baseline")).and_then(Json::as_f64);
        let base_name = if method == "to_reference" { "reference" } else { "overall" };
        let (svg, outside) = fairness_panel(
            &format!("{id}-{}", k + 1),
            check,
            rate,
            &bars,
            band.as_ref(),
            baseline.map(|b| (base_name, b)),
        );
        panels.push(svg);
        let what = rate_name(rate);
        match &band {
            Some(b) => notes.push(format!("{what}: the band runs {}", b.why)),
            None if component.is_some() => {
                notes.push(format!("{what}: no band: this threshold is not a limit on each group's rate"));
            }
            None => {}
        }
        outside_all.extend(outside.into_iter().map(|g| format!("{g} ({what})")));
    }
    let value = number(o, "value").map_or("undefined".into(), |v| num(v, 4));
    let mut caption = format!("{} ({method}) = <strong>{}</strong>", escape(metric), escape(&value));
    if let Some(i) = o.get("interval")
        && let (Some(l), Some(u)) = (i.get("lower").and_then(Json::as_f64), i.get("upper").and_then(Json::as_f64))
    {
        let _ = write!(caption, ", {}% bootstrap interval {} to {}", num(confidence * 100.0, 3), num(l, 4), num(u, 4));
    }
    let limit = match (min, max) {
        (Some(a), Some(b)) => format!("between {} and {}", num(a, 6), num(b, 6)),
        (Some(a), None) => format!("at least {}", num(a, 6)),
        (None, Some(b)) => format!("at most {}", num(b, 6)),
        (None, None) => "none".into(),
    };
    let bound = t.get("bound").and_then(Json::as_str).unwrap_or("estimate");
    let _ = write!(caption, "; threshold: {}", escape(&limit));
    if bound != "estimate" {
        let _ = write!(caption, " on the {} bound of the interval", escape(bound));
    }
    let _ = write!(
        caption,
        ". Bars: each group's rate with its {}% Wilson interval. Green band: where every compared group's rate must lie for the check to pass",
        num(confidence * 100.0, 3)
    );
    for note in &notes {
        caption.push_str("; ");
        caption.push_str(&escape(note));
    }
    caption.push('.');
    if bound != "estimate" {
        let _ = write!(
            caption,
            " The check judges the {} bound of the bootstrap interval, not the estimate: the band applies to the estimates and is a guide here.",
            escape(bound)
        );
    }
    if o.get("disparity").and_then(|d| d.get("agg")).and_then(Json::as_str) == Some("mean") {
        caption.push_str(
            " With agg: mean the check judges the mean of both rates' disparities, so each band shows that rate alone.",
        );
    }
    if !outside_all.is_empty() {
        let _ = write!(caption, " Red: outside the band: {}.", escape(&outside_all.join(", ")));
    }
    if groups.iter().any(|g| g.get("insufficient").and_then(Json::as_bool) == Some(true)) {
        let size = number(t, "min_group_size").map_or(String::new(), |m| format!(" ({})", num(m, 6)));
        let _ = write!(caption, " Outlined: groups below min_group_size{size}, not compared.");
    }
    Plot::Figure { panels, caption }
}

/// One rate's panel; returns it and the compared groups outside the band.
fn fairness_panel<'a>(
    id: &str,
    check: &CheckOutcome,
    rate: &str,
    bars: &[Bar<'a>],
    band: Option<&Band>,
    baseline: Option<(&str, f64)>,
) -> (String, Vec<&'a str>) {
    let count = bars.len() as f64;
    let slot = (560.0 / count).clamp(30.0, 100.0);
    let longest = bars.iter().map(|b| b.label.chars().count().min(18)).max().unwrap_or(1) as f64;
    let turned = longest * 6.2 > slot - 6.0;
    let (left, right, top) = (48.0, 104.0, 26.0);
    let plot_h = 170.0;
    let bottom = if turned { 30.0 + longest * 4.6 } else { 48.0 };
    let width = (left + count * slot + right).max(320.0);
    let height = top + plot_h + bottom;
    let y = Scale::new((0.0, 1.0), (top + plot_h, top));
    let base = top + plot_h;
    let x_end = left + count * slot;
    let what = rate_name(rate);

    let desc = bars
        .iter()
        .map(|b| {
            let rate = b.rate.map_or("undefined".into(), |r| num(r, 4));
            let interval = b.interval.map_or(String::new(), |(l, u)| format!(" ({} to {})", num(l, 4), num(u, 4)));
            let note = if b.insufficient { ", too small to compare" } else { "" };
            format!("{}: {rate}{interval}{note}", b.label)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg =
        Svg::new(id, width, height, &format!("{}: {what} by group", check.id), &format!("{what} by group: {desc}"));
    svg.text((left, 14.0), Anchor::Start, "panel-title", what);
    let (tick_list, step) = ticks(0.0, 1.0, 5);
    svg.y_axis(&y, left, x_end, &tick_list, |v| tick_label(v, step, 1.0));
    // Labels right of the plot for the band's edges and the baseline, moved
    // apart when their lines are close.
    let mut labels: Vec<(f64, String, &str)> = Vec::new();
    if let Some(b) = band {
        svg.rect((left, y.at(b.hi)), (x_end - left, y.at(b.lo) - y.at(b.hi)), "band", Some(&b.why));
        for (v, word) in [(b.hi, "max"), (b.lo, "min")] {
            if v > 0.0 && v < 1.0 {
                svg.line((left, y.at(v)), (x_end, y.at(v)), "band-edge");
                labels.push((y.at(v) + 4.0, format!("{word} {}", num(v, 3)), "bound-label"));
            }
        }
    }
    if let Some((name, b)) = baseline {
        svg.line((left, y.at(b)), (x_end, y.at(b)), "baseline");
        labels.push((y.at(b) + 4.0, format!("{name} {}", num(b, 3)), "note"));
    }
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    for i in 1..labels.len() {
        labels[i].0 = labels[i].0.max(labels[i - 1].0 + 12.0);
    }
    for (ly, text, class) in &labels {
        svg.text((x_end + 4.0, *ly), Anchor::Start, class, text);
    }
    let mut outside = Vec::new();
    for (i, b) in bars.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        let bw = slot * 0.56;
        let is_out = b.compared && b.rate.zip(band).is_some_and(|(r, band)| r < band.lo - 1e-12 || r > band.hi + 1e-12);
        if is_out {
            outside.push(b.label);
        }
        let class = if b.insufficient {
            "bar small"
        } else if is_out {
            "bar outside"
        } else {
            "bar"
        };
        match b.rate {
            Some(r) => {
                let interval =
                    b.interval.map_or(String::new(), |(l, u)| format!(", interval {} to {}", num(l, 4), num(u, 4)));
                let size = b.size.map_or(String::new(), |s| format!(", size {}", num(s, 8)));
                let note = if b.insufficient {
                    ", too small: not compared"
                } else if is_out {
                    ", outside the band"
                } else {
                    ""
                };
                let tip = format!("{}: {what} {}{interval}{size}{note}", b.label, num(r, 4));
                svg.rect((cx - bw / 2.0, y.at(r)), (bw, base - y.at(r)), class, Some(&tip));
                let top_of_label = match b.interval {
                    Some((l, u)) => {
                        let cap = (bw * 0.4).min(8.0);
                        svg.line((cx, y.at(l)), (cx, y.at(u)), "errbar");
                        svg.line((cx - cap, y.at(l)), (cx + cap, y.at(l)), "errbar");
                        svg.line((cx - cap, y.at(u)), (cx + cap, y.at(u)), "errbar");
                        y.at(u.max(r))
                    }
                    None => y.at(r),
                };
                svg.text((cx, top_of_label - 4.0), Anchor::Middle, "bar-label", &num(r, 3));
            }
            None => svg.text((cx, base - 6.0), Anchor::Middle, "note", "undefined"),
        }
        let label = shorten(b.label, 18);
        if turned {
            svg.text_turned((cx + 3.0, base + 12.0), -40, Anchor::End, "cat-label", &label);
        } else {
            svg.text((cx, base + 15.0), Anchor::Middle, "cat-label", &label);
            let size = b.size.map_or(String::new(), |s| format!("n {}", num(s, 6)));
            let size = if b.insufficient { format!("{size}, small") } else { size };
            svg.text((cx, base + 28.0), Anchor::Middle, "note", &size);
        }
    }
    svg.line((left, base), (x_end, base), "axis-line");
    svg.text_turned((13.0, top + plot_h / 2.0), -90, Anchor::Middle, "axis-label", what);
    (svg.finish(), outside)
}
