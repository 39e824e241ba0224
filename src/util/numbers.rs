//! Numbers as probity shows them: scalars read as f64, JSON numbers rounded
//! the same on every platform, fractions, and numbers in messages.

use datafusion::common::ScalarValue;
use serde_json::Value as Json;

/// A numeric scalar as f64; `None` for null, NaN or a non-numeric value.
pub fn scalar_f64(v: &ScalarValue) -> Option<f64> {
    if v.is_null() {
        return None;
    }
    let f = match v {
        ScalarValue::Float64(Some(f)) => *f,
        ScalarValue::Float32(Some(f)) => f64::from(*f),
        ScalarValue::Int8(Some(i)) => f64::from(*i),
        ScalarValue::Int16(Some(i)) => f64::from(*i),
        ScalarValue::Int32(Some(i)) => f64::from(*i),
        ScalarValue::Int64(Some(i)) => *i as f64,
        ScalarValue::UInt8(Some(i)) => f64::from(*i),
        ScalarValue::UInt16(Some(i)) => f64::from(*i),
        ScalarValue::UInt32(Some(i)) => f64::from(*i),
        ScalarValue::UInt64(Some(i)) => *i as f64,
        other => other.cast_to(&datafusion::arrow::datatypes::DataType::Float64).ok().and_then(|c| match c {
            ScalarValue::Float64(f) => f,
            _ => None,
        })?,
    };
    f.is_finite().then_some(f)
}

/// A JSON number, or null when the value is undefined (NaN, infinite, absent).
pub fn json_number(v: Option<f64>) -> Json {
    match v {
        Some(f) if f.is_finite() => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Json::from(f as i64)
            } else {
                // 13 significant digits (12 after the point) keep reports stable across platforms.
                let rounded: f64 = format!("{f:.12e}").parse().unwrap_or(f);
                serde_json::Number::from_f64(rounded).map_or(Json::Null, Json::Number)
            }
        }
        _ => Json::Null,
    }
}

/// `count / total`, undefined for an empty total.
pub fn fraction(count: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| count as f64 / total as f64)
}

/// Human text for a number in messages: integers plainly, others to 6 digits.
pub fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `0.995` -> `"99.5%"`, without float noise.
pub fn format_percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    let rounded = (pct * 1e6).round() / 1e6;
    format!("{rounded}%")
}
