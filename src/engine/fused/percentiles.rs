//! `probity_percentiles(column)`: several exact quantiles (`percentile_cont`)
//! of one f64 column, from its values counted while they are few.
//!
//! `percentile_cont` keeps every value (80 MB for 10M rows), copies them
//! into one list at the end, and selects the two ranks around `q * (n - 1)`
//! there, on one core, after the scan. Many columns a quantile is asked of
//! have few distinct values (scores rounded to 4 decimals, amounts in whole
//! units): counting them in a hash map as they come costs about what copying
//! them does, the partitions merge small maps, and the ranks are found by
//! walking the sorted distinct values. Past [`MAX_COUNTED`] distinct values a
//! partition goes on counting the values it has (a column whose common
//! values are few but which has many rare ones, such as scores with a few
//! million outliers) and keeps the others in a list; when most values miss
//! the counts, it keeps the values themselves, as `percentile_cont` does.
//!
//! Either way the ranks are the same values (sorted in `f64::total_cmp`'s
//! order, the order `percentile_cont` selects in), and the interpolation
//! between them is `percentile_cont`'s own formula, so every quantile is
//! the number it returns, to the bit. Several quantiles of one column share
//! the counts.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};

use super::quantiles::{from_order_key, order_key};
use crate::engine::radix::radix_sort;

/// Distinct values a partition counts before it keeps the values themselves.
pub const MAX_COUNTED: usize = 1 << 16;

/// Distinct values counted before the values seen once are set apart (a
/// table of this size stays in the core's cache).
const PRUNE_AT: usize = 1 << 12;

/// `percentile_cont`'s interpolation weight is quantised to this many steps.
const INTERPOLATION_PRECISION: f64 = 1_000_000.0;

/// The aggregate expression: the quantiles `qs` (each strictly between 0
/// and 1, already turned for a descending order) of `value`, an f64
/// expression, as a list in the order of `qs`.
pub fn expr(value: Expr, qs: Vec<f64>) -> Expr {
    let udaf = PercentilesUdaf {
        qs: qs.into_iter().map(f64::to_bits).collect(),
        signature: Signature::any(1, Volatility::Immutable),
    };
    AggregateUDF::from(udaf).call(vec![value])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PercentilesUdaf {
    /// The quantiles' bits (so that the struct is `Eq` and `Hash`).
    qs: Vec<u64>,
    signature: Signature,
}

impl AggregateUDFImpl for PercentilesUdaf {
    fn name(&self) -> &'static str {
        "probity_percentiles"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(super::f64_list_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PercentilesAccumulator::new(self.qs.iter().map(|&b| f64::from_bits(b)).collect(), MAX_COUNTED)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, t: DataType| {
            Arc::new(Field::new(
                format_state_name(args.name, name),
                DataType::List(Arc::new(Field::new_list_field(t, true))),
                true,
            ))
        };
        Ok(vec![list("values", DataType::Float64), list("counts", DataType::UInt64), list("others", DataType::Float64)])
    }
}

/// The values seen: counted by bit pattern while few, else kept.
#[derive(Debug)]
struct PercentilesAccumulator {
    qs: Vec<f64>,
    /// [`MAX_COUNTED`] (smaller in tests).
    max_counted: usize,
    counts: HashMap<u64, u64>,
    /// Once `counts` holds more than `max_counted` values it takes no new
    /// ones: the values it does not hold go to `others`.
    full: bool,
    others: Vec<f64>,
    /// Values seen (rows and merged counts).
    seen: u64,
    /// Distinct values counted before those seen once are moved to `others`.
    prune_at: usize,
    /// Every value, once most values miss the counts (then `counts` and
    /// `others` are empty).
    values: Option<Vec<f64>>,
}

impl PercentilesAccumulator {
    fn new(qs: Vec<f64>, max_counted: usize) -> Self {
        Self {
            qs,
            max_counted,
            counts: HashMap::default(),
            full: false,
            others: Vec::new(),
            seen: 0,
            prune_at: PRUNE_AT.min(max_counted),
            values: None,
        }
    }

    fn add(&mut self, values: &Float64Array) {
        self.seen += (values.len() - values.null_count()) as u64;
        match &mut self.values {
            Some(all) if values.null_count() == 0 => all.extend_from_slice(values.values()),
            Some(all) => all.extend(values.iter().flatten()),
            None => {
                if values.null_count() == 0 {
                    values.values().iter().for_each(|&v| self.count(v, 1));
                } else {
                    values.iter().flatten().for_each(|v| self.count(v, 1));
                }
                self.spill_if_many();
            }
        }
    }

    /// Counts `value` `n` times: in `counts` if it is there or may enter, else in `others`.
    fn count(&mut self, value: f64, n: u64) {
        if let Some(c) = self.counts.get_mut(&value.to_bits()) {
            *c += n;
        } else if !self.full {
            self.counts.insert(value.to_bits(), n);
        } else {
            self.others.extend(std::iter::repeat_n(value, usize::try_from(n).unwrap_or(usize::MAX)));
        }
    }

    fn add_counted(&mut self, value: f64, n: u64) {
        self.seen += n;
        match &mut self.values {
            Some(all) => all.extend(std::iter::repeat_n(value, usize::try_from(n).unwrap_or(usize::MAX))),
            None => self.count(value, n),
        }
    }

    /// Keeps the counts small: past `prune_at` distinct values, the values
    /// seen once leave them for `others` (rare values would otherwise fill
    /// the table that every row looks up). Closes the counts once the values
    /// seen more than once are too many, and keeps the values themselves
    /// once most of them miss the counts.
    fn spill_if_many(&mut self) {
        if self.values.is_some() {
            return;
        }
        if !self.full && self.counts.len() > self.prune_at {
            let others = &mut self.others;
            self.counts.retain(|&bits, &mut n| {
                if n == 1 {
                    others.push(f64::from_bits(bits));
                }
                n > 1
            });
            self.prune_at = (2 * self.counts.len()).max(PRUNE_AT.min(self.max_counted));
        }
        self.full |= self.counts.len() > self.max_counted || self.prune_at > self.max_counted;
        if self.full && 2 * self.others.len() as u64 > self.seen {
            let mut all = std::mem::take(&mut self.others);
            for (bits, n) in self.counts.drain() {
                all.extend(std::iter::repeat_n(f64::from_bits(bits), usize::try_from(n).unwrap_or(usize::MAX)));
            }
            self.values = Some(all);
        }
    }

    /// The quantiles, as `percentile_cont` computes each.
    fn quantiles(&mut self) -> Float64Array {
        let qs = self.qs.clone();
        match &mut self.values {
            Some(all) => qs.iter().map(|&q| percentile(all.len(), q, |k| select(all, k))).collect(),
            None => {
                let mut sorted: Vec<(f64, u64)> = self.counts.iter().map(|(&b, &n)| (f64::from_bits(b), n)).collect();
                sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                if !self.others.is_empty() {
                    // A radix sort of the bits mapped to `total_cmp`'s order.
                    let mut keys: Vec<u64> = self.others.iter().map(|&v| order_key(v)).collect();
                    radix_sort(&mut keys, &mut Vec::new(), |&k| k);
                    let others: Vec<f64> = keys.into_iter().map(from_order_key).collect();
                    sorted = merged(&sorted, &others);
                }
                let mut ends = Vec::with_capacity(sorted.len());
                let mut total = 0u64;
                for &(_, n) in &sorted {
                    total += n;
                    ends.push(total);
                }
                let len = usize::try_from(total).unwrap_or(usize::MAX);
                // The value of rank k (0-based): the first whose run ends past k.
                let rank = |k: usize| sorted[ends.partition_point(|&end| end <= k as u64)].0;
                qs.iter().map(|&q| percentile(len, q, rank)).collect()
            }
        }
    }
}

/// Counted values and other values, each in `f64::total_cmp` order, as one
/// list in that order (each other value counted once).
fn merged(counted: &[(f64, u64)], others: &[f64]) -> Vec<(f64, u64)> {
    let mut out = Vec::with_capacity(counted.len() + others.len());
    let (mut i, mut j) = (0, 0);
    while i < counted.len() || j < others.len() {
        if j == others.len() || (i < counted.len() && counted[i].0.total_cmp(&others[j]).is_le()) {
            out.push(counted[i]);
            i += 1;
        } else {
            out.push((others[j], 1));
            j += 1;
        }
    }
    out
}

/// The value of rank `k` in `values`, as `percentile_cont` selects it.
fn select(values: &mut [f64], k: usize) -> f64 {
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}

/// `percentile_cont`'s quantile `q` (0 < q < 1) of `len` values whose value
/// of rank k is `rank(k)`: the rank `q * (len - 1)`, interpolated between
/// the ranks around it with a weight quantised as there.
fn percentile(len: usize, q: f64, mut rank: impl FnMut(usize) -> f64) -> Option<f64> {
    match len {
        0 => None,
        1 => Some(rank(0)),
        _ => {
            let index = q * ((len - 1) as f64);
            let lower_index = index.floor() as usize;
            let upper_index = index.ceil() as usize;
            let lower = rank(lower_index);
            if lower_index == upper_index {
                return Some(lower);
            }
            let upper = rank(upper_index);
            let fraction = index - (lower_index as f64);
            let scaled = (fraction * INTERPOLATION_PRECISION) as usize;
            let weight = scaled as f64 / INTERPOLATION_PRECISION;
            Some(lower + (upper - lower) * weight)
        }
    }
}

impl Accumulator for PercentilesAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = values[0]
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| DataFusionError::Internal("probity_percentiles expects f64 values".into()))?;
        self.add(values);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a percentiles state has unexpected types".into());
        let [values, counts, others] = states else { return Err(unexpected()) };
        let (values, counts) =
            (values.as_list_opt::<i32>().ok_or_else(unexpected)?, counts.as_list_opt::<i32>().ok_or_else(unexpected)?);
        let others = others.as_list_opt::<i32>().ok_or_else(unexpected)?;
        for row in 0..values.len() {
            // Another partition's values seen once: kept as such (a value may
            // be both counted and among the others: the ranks are the same).
            let o = others.value(row);
            let o = o.as_primitive_opt::<Float64Type>().ok_or_else(unexpected)?;
            self.seen += o.len() as u64;
            match &mut self.values {
                Some(all) => all.extend_from_slice(o.values()),
                None => self.others.extend_from_slice(o.values()),
            }
            let v = values.value(row);
            let v = v.as_primitive_opt::<Float64Type>().ok_or_else(unexpected)?;
            let n = counts.value(row);
            let n = n.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
            if n.is_empty() {
                self.add(v); // a partition that kept its values
            } else if n.len() == v.len() {
                for (value, count) in v.values().iter().zip(n.values()) {
                    self.add_counted(*value, *count);
                }
                self.spill_if_many();
            } else {
                return Err(unexpected());
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = |a: ArrayRef, t: DataType| {
            let offsets = datafusion::arrow::buffer::OffsetBuffer::from_lengths([a.len()]);
            ScalarValue::List(Arc::new(ListArray::new(Arc::new(Field::new_list_field(t, true)), offsets, a, None)))
        };
        let (values, counts): (Vec<f64>, Vec<u64>) = match self.values.take() {
            Some(all) => (all, Vec::new()),
            None => self.counts.drain().map(|(b, n)| (f64::from_bits(b), n)).unzip(),
        };
        let others = Float64Array::from(std::mem::take(&mut self.others));
        let (values, counts) = (Float64Array::from(values), UInt64Array::from(counts));
        Ok(vec![
            list(Arc::new(values), DataType::Float64),
            list(Arc::new(counts), DataType::UInt64),
            list(Arc::new(others), DataType::Float64),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(super::f64_list(self.quantiles()))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.counts.capacity() * (2 * size_of::<u64>() + 1)
            + self.others.capacity() * size_of::<f64>()
            + self.values.as_ref().map_or(0, |v| v.capacity() * size_of::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quantiles of `values` split over `parts` partitions (batches of 7)
    /// that count at most `max_counted` distinct values, merged through their
    /// states, against `percentile_cont`'s own selection on all the values.
    fn check(values: &[Option<f64>], qs: &[f64], parts: usize, max_counted: usize) {
        let mut total = PercentilesAccumulator::new(qs.to_vec(), max_counted);
        for part in values.chunks(values.len().div_ceil(parts).max(1)) {
            let mut acc = PercentilesAccumulator::new(qs.to_vec(), max_counted);
            for batch in part.chunks(7) {
                acc.update_batch(&[Arc::new(Float64Array::from(batch.to_vec()))]).unwrap();
            }
            let state: Vec<ArrayRef> = acc.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
            total.merge_batch(&state).unwrap();
        }
        let got = total.quantiles();
        let mut all: Vec<f64> = values.iter().flatten().copied().collect();
        for (i, &q) in qs.iter().enumerate() {
            let expected = percentile(all.len(), q, |k| select(&mut all, k));
            let got = got.is_valid(i).then(|| got.value(i));
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "q {q}, {parts} parts, max {max_counted}");
        }
    }

    #[test]
    fn counted_and_kept_values_give_the_same_bits() {
        let qs = [0.01, 0.25, 0.5, 0.95, 0.999, 1.0 / 3.0];
        let few: Vec<Option<f64>> = (0..500).map(|i| (i % 13 != 0).then(|| f64::from(i % 9) * 0.1)).collect();
        let mut odd: Vec<Option<f64>> = (0..300).map(|i| Some(f64::from(i) / 7.0 - 20.0)).collect();
        odd.extend([Some(f64::NAN), Some(-0.0), Some(0.0), Some(f64::INFINITY), Some(f64::NEG_INFINITY), None]);
        // Few common values and many rare ones (counted, then kept beside the counts).
        let rare: Vec<Option<f64>> =
            (0..900).map(|i| Some(if i % 5 == 0 { 1.0 + f64::from(i) * 1e-3 } else { f64::from(i % 4) })).collect();
        // Mostly distinct values: past the counts, every value is kept.
        let distinct: Vec<Option<f64>> = (0..400).map(|i| Some(f64::from(i * 37 % 400) / 3.0)).collect();
        for values in [&few, &odd, &rare, &distinct, &vec![Some(2.5)], &vec![None, None], &vec![]] {
            for parts in [1, 2, 3] {
                for max_counted in [MAX_COUNTED, 5, 30] {
                    check(values, &qs, parts, max_counted);
                }
            }
        }
    }
}
