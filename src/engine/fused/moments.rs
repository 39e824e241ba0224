//! `probity_moments(value)`: the mean, variance and standard deviation of
//! one column from one pass.
//!
//! `DataFusion`'s `var` and `stddev` each run Welford's update per row: a
//! division per value in one long dependency chain, the costliest of the
//! simple statistics. Here each batch is summarised on its own by two passes
//! the compiler vectorises (the sum, then the squared deviations from the
//! batch's mean, corrected for the rounding of that mean), and the batch
//! summaries are merged with the pairwise formula `DataFusion` merges
//! partitions with (Chan et al.). The variance agrees with `var` to rounding
//! (it is at least as accurate: Welford's error grows with the row count).
//!
//! The mean is computed exactly as `avg` computes it (Arrow's `sum` of each
//! batch, added up, divided by the count), so it is the same number.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::compute::sum;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast};

/// A statistic the moments give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Mean,
    Variance { sample: bool },
    Stddev { sample: bool },
}

impl Moment {
    /// The statistic an aggregate function computes, by its name.
    pub fn of(function: &str) -> Option<Self> {
        Some(match function {
            "avg" => Self::Mean,
            "var" => Self::Variance { sample: true },
            "var_pop" => Self::Variance { sample: false },
            "stddev" => Self::Stddev { sample: true },
            "stddev_pop" => Self::Stddev { sample: false },
            _ => return None,
        })
    }
}

/// Whether `DataFusion` computes these statistics of a `t` in f64: integers
/// and floats (decimals keep their own arithmetic).
pub fn supported(t: &DataType) -> bool {
    t.is_integer() || t.is_floating()
}

/// The aggregate expression over `value` (read as f64): a list of the count,
/// the sum (null when no value), the mean and the sum of squared deviations.
pub fn expr(value: Expr) -> Expr {
    AggregateUDF::from(MomentsUdaf { signature: Signature::any(1, Volatility::Immutable) })
        .call(vec![cast(value, DataType::Float64)])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct MomentsUdaf {
    signature: Signature,
}

impl AggregateUDFImpl for MomentsUdaf {
    fn name(&self) -> &'static str {
        "probity_moments"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(super::f64_list_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<MomentsAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let f64_field = |name: &str| Field::new(format_state_name(args.name, name), DataType::Float64, true);
        Ok([
            Field::new(format_state_name(args.name, "count"), DataType::UInt64, false),
            f64_field("sum"),
            f64_field("mean"),
            f64_field("m2"),
        ]
        .into_iter()
        .map(Arc::new)
        .collect())
    }
}

#[derive(Debug, Default)]
struct MomentsAccumulator {
    /// A batch's non-null values, when it has nulls (kept between batches).
    present: Vec<f64>,
    count: u64,
    /// As `avg` keeps it: `None` until a batch has a value.
    sum: Option<f64>,
    mean: f64,
    /// Sum of squared deviations from the mean.
    m2: f64,
}

impl MomentsAccumulator {
    /// Adds a summary of `n` values with mean `mean` and deviations `m2`.
    fn merge(&mut self, n: u64, mean: f64, m2: f64) {
        if n == 0 {
            return;
        }
        if self.count == 0 {
            (self.count, self.mean, self.m2) = (n, mean, m2);
            return;
        }
        let (a, b) = (self.count as f64, n as f64);
        let total = self.count + n;
        let t = total as f64;
        let delta = self.mean - mean;
        self.mean = self.mean * a / t + mean * b / t;
        self.m2 += m2 + delta * delta * a * b / t;
        self.count = total;
    }
}

/// The sum of squared deviations of `values` from `mean`, less the square of
/// their summed deviations over their count (which corrects for the rounding
/// of `mean`), in 8 lanes so that it vectorises. Never negative.
fn deviations(values: &[f64], mean: f64) -> f64 {
    let n = values.len() as f64;
    let mut squares = [0.0; 8];
    let mut sums = [0.0; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..8 {
            let d = chunk[lane] - mean;
            squares[lane] += d * d;
            sums[lane] += d;
        }
    }
    for (lane, v) in rest.iter().enumerate() {
        let d = v - mean;
        squares[lane] += d * d;
        sums[lane] += d;
    }
    let s: f64 = sums.iter().sum();
    let m2 = squares.iter().sum::<f64>() - s * s / n;
    if m2 < 0.0 { 0.0 } else { m2 } // (NaN stays NaN)
}

impl Accumulator for MomentsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = values[0]
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| DataFusionError::Internal("moments of a value that is not f64".into()))?;
        let n = values.len() - values.null_count();
        let Some(batch_sum) = sum(values) else { return Ok(()) };
        *self.sum.get_or_insert(0.0) += batch_sum;
        let mean = batch_sum / n as f64;
        let m2 = match values.nulls() {
            None => deviations(values.values(), mean),
            Some(nulls) => {
                self.present.clear();
                self.present.extend(nulls.valid_indices().map(|i| values.value(i)));
                deviations(&self.present, mean)
            }
        };
        self.merge(n as u64, mean, m2);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a moments state has unexpected types".into());
        let counts = states[0].as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
        let [sums, means, m2s] = [1, 2, 3].map(|i| states[i].as_primitive_opt::<Float64Type>());
        let (Some(sums), Some(means), Some(m2s)) = (sums, means, m2s) else { return Err(unexpected()) };
        // As `avg` merges its sums.
        if let Some(s) = sum(sums) {
            *self.sum.get_or_insert(0.0) += s;
        }
        for i in 0..counts.len() {
            self.merge(counts.value(i), means.value(i), m2s.value(i));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::UInt64(Some(self.count)),
            ScalarValue::Float64(self.sum),
            ScalarValue::Float64(Some(self.mean)),
            ScalarValue::Float64(Some(self.m2)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let items = Float64Array::from(vec![Some(self.count as f64), self.sum, Some(self.mean), Some(self.m2)]);
        Ok(super::f64_list(items))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.present.capacity() * 8
    }
}

/// Statistic `m` from a `probity_moments` result, as the function it stands
/// for returns it (`avg`, `var`, `var_pop`, `stddev`, `stddev_pop`).
pub fn moment_at(array: &dyn Array, m: Moment) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a moments result has unexpected types".into());
    let items = super::f64_items(array).ok_or_else(unexpected)?;
    if items.len() != 4 {
        return Err(unexpected());
    }
    let count = items.value(0) as u64;
    let (sum, m2) = (items.is_valid(1).then(|| items.value(1)), items.value(3));
    let variance = |sample: bool| match count {
        0 => None,
        1 => (!sample).then_some(0.0),
        n => Some(m2 / (if sample { n - 1 } else { n }) as f64),
    };
    Ok(ScalarValue::Float64(match m {
        Moment::Mean => sum.filter(|_| count > 0).map(|s| s / count as f64),
        Moment::Variance { sample } => variance(sample),
        Moment::Stddev { sample } => variance(sample).map(f64::sqrt),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_deviations_match_a_two_pass_sum() {
        let values: Vec<f64> = (0..1001).map(|i| 1e6 + f64::from(i * 37 % 101) * 0.25).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let exact: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        let got = deviations(&values, mean);
        assert!((got - exact).abs() <= exact * 1e-12, "{got} vs {exact}");
        // Equal values: no deviation, even where their mean rounds.
        assert_eq!(deviations(&[0.1; 3], 0.1 * 3.0 / 3.0), 0.0);
    }

    #[test]
    fn merging_summaries_gives_the_whole() {
        let values: Vec<f64> = (0..500).map(|i| f64::from(i).sin() * 100.0 + 7.0).collect();
        let mut whole = MomentsAccumulator::default();
        whole.update_batch(&[Arc::new(Float64Array::from(values.clone())) as ArrayRef]).unwrap();
        let mut parts = MomentsAccumulator::default();
        for chunk in values.chunks(64) {
            parts.update_batch(&[Arc::new(Float64Array::from(chunk.to_vec())) as ArrayRef]).unwrap();
        }
        assert_eq!(whole.count, parts.count);
        assert!((whole.mean - parts.mean).abs() < 1e-12);
        assert!((whole.m2 - parts.m2).abs() <= whole.m2 * 1e-12, "{} vs {}", whole.m2, parts.m2);
    }
}
