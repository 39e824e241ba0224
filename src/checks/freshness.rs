//! `freshness`: the newest timestamp (or date) is at most `max_age` old.
//!
//! Why: a pipeline that silently stopped still serves yesterday's data.
//! Example: `- freshness: { column: applied_at, max_age: 1d }`
//!
//! Age is measured from the run's "now" (`--now` pins it for reproducible
//! runs). Timestamps without a time zone are taken as UTC; a date counts
//! from its midnight UTC. Units: s, m, h, d, w.

use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::max;

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound};
use crate::spec::Column;
use crate::spec::params::{Params, Sql, parse_duration};
use crate::util::numbers::json_number;

#[derive(Debug)]
struct Freshness {
    column: Column,
    max_age: String,
    max_age_seconds: f64,
}

/// The registry entry of `freshness` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "freshness", keys: &["column", "max_age"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let node = p.require("max_age")?;
    let text = p.string(node, "a duration such as `1d`")?;
    let Some(seconds) = parse_duration(&text) else {
        p.error(
            node.span,
            format!("invalid duration `{text}`"),
            Some("a number and a unit: s, m, h, d or w, e.g. `36h`".into()),
        );
        return None;
    };
    Some(Box::new(Freshness { column, max_age: text, max_age_seconds: seconds }))
}

/// A timestamp or date scalar as a UTC instant.
pub fn to_instant(v: &ScalarValue) -> Option<DateTime<Utc>> {
    let micros = v.cast_to(&DataType::Timestamp(TimeUnit::Microsecond, None)).ok()?;
    match micros {
        ScalarValue::TimestampMicrosecond(Some(us), _) => DateTime::from_timestamp_micros(us),
        _ => None,
    }
}

impl CheckKind for Freshness {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        b.typed_column(
            &self.column,
            "freshness",
            "a timestamp or date column",
            |t| matches!(t, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64),
            "cast the column when writing the data, or check it with `stat`",
        )?;
        let newest = b.aggregate(max(b.value(&self.column)));
        Some(b.bound(vec![newest], None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let newest = to_instant(m.scalar(0));
        let j = match newest {
            None => Judgement::new(Verdict::Undefined, "no non-null timestamps in scope: age is undefined")
                .observed("newest", serde_json::Value::Null)
                .observed("age_seconds", serde_json::Value::Null),
            Some(t) => {
                let age = (m.now - t).num_milliseconds() as f64 / 1000.0;
                let ok = age <= self.max_age_seconds;
                let hours = age / 3600.0;
                let message = format!(
                    "newest {} is {hours:.1}h old; allowed {}",
                    t.to_rfc3339_opts(SecondsFormat::Secs, true),
                    self.max_age
                );
                Judgement::new(if ok { Verdict::Pass } else { Verdict::Fail }, message)
                    .observed("newest", t.to_rfc3339_opts(SecondsFormat::Micros, true))
                    .observed("age_seconds", json_number(Some(age)))
            }
        };
        j.threshold("max_age", self.max_age.clone())
            .threshold("max_age_seconds", json_number(Some(self.max_age_seconds)))
    }
}
