//! `probity_quantiles(column)`: several approximate quantiles of one column
//! from one t-digest.
//!
//! `approx_percentile_cont` and `approx_median` each build a t-digest of
//! their column, sorting every batch: the costliest aggregates of a suite.
//! Checks asking for several quantiles of one column share one digest here.
//! It is built exactly as `DataFusion`'s accumulator builds it (same size,
//! nulls dropped, each batch sorted and merged), so the quantiles are the
//! same numbers those functions return. Only the sort differs: a radix sort
//! of the values' bit patterns ([`sort_total`]) puts them in the same order
//! as the comparison sort `DataFusion` uses, at a fraction of its cost, so a
//! quantile asked for alone is computed here too.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast};
use datafusion_functions_aggregate_common::tdigest::{DEFAULT_MAX_SIZE, TDigest};

/// The aggregate expression: the quantiles `qs` of `value` (a numeric
/// expression, read as f64), as a list in the order of `qs`.
pub fn expr(value: Expr, qs: Vec<f64>) -> Expr {
    let udaf =
        QuantilesUdaf { qs: qs.into_iter().map(Q).collect(), signature: Signature::any(1, Volatility::Immutable) };
    AggregateUDF::from(udaf).call(vec![cast(value, DataType::Float64)])
}

/// A quantile, compared and hashed by its bits.
#[derive(Debug, Clone, Copy)]
struct Q(f64);

impl PartialEq for Q {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Q {}

impl std::hash::Hash for Q {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct QuantilesUdaf {
    qs: Vec<Q>,
    signature: Signature,
}

impl AggregateUDFImpl for QuantilesUdaf {
    fn name(&self) -> &'static str {
        "probity_quantiles"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(super::f64_list_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let qs = self.qs.iter().map(|q| q.0).collect();
        Ok(Box::new(QuantileAccumulator {
            digest: TDigest::new(DEFAULT_MAX_SIZE),
            qs,
            keys: Vec::new(),
            spare: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let f64_field = |name: &str| Field::new(format_state_name(args.name, name), DataType::Float64, false);
        Ok(vec![
            Field::new(format_state_name(args.name, "max_size"), DataType::UInt64, false),
            f64_field("sum"),
            f64_field("count"),
            f64_field("max"),
            f64_field("min"),
            Field::new_list(
                format_state_name(args.name, "centroids"),
                Field::new_list_field(DataType::Float64, true),
                false,
            ),
        ]
        .into_iter()
        .map(Arc::new)
        .collect())
    }
}

#[derive(Debug)]
struct QuantileAccumulator {
    digest: TDigest,
    qs: Vec<f64>,
    /// Buffers of [`sort_total`], kept between batches.
    keys: Vec<u64>,
    spare: Vec<u64>,
}

impl Accumulator for QuantileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = values[0]
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| DataFusionError::Internal("quantiles of a value that is not f64".into()))?;
        self.keys.clear();
        match values.nulls() {
            None => self.keys.extend(values.values().iter().map(|&v| order_key(v))),
            Some(nulls) => self.keys.extend(nulls.valid_indices().map(|i| order_key(values.value(i)))),
        }
        sort_total(&mut self.keys, &mut self.spare);
        let sorted: Vec<f64> = self.keys.iter().map(|&k| from_order_key(k)).collect();
        self.digest = self.digest.merge_sorted_f64(&sorted);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let digests = (0..states[0].len())
            .map(|row| {
                let state = states.iter().map(|a| ScalarValue::try_from_array(a, row)).collect::<Result<Vec<_>>>()?;
                Ok(TDigest::from_scalar_state(&state))
            })
            .collect::<Result<Vec<_>>>()?;
        self.digest = TDigest::merge_digests(digests.iter().chain(std::iter::once(&self.digest)));
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.digest.to_scalar_state())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let empty = self.digest.count() == 0.0;
        let qs: Float64Array = self.qs.iter().map(|&q| (!empty).then(|| self.digest.estimate_quantile(q))).collect();
        Ok(super::f64_list(qs))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.digest.size() - size_of_val(&self.digest)
            + (self.qs.capacity() + self.keys.capacity() + self.spare.capacity()) * 8
    }
}

/// `v`'s bits, mapped so that unsigned order is `f64::total_cmp`'s order:
/// negative values (sign bit set) have every bit flipped, others the sign bit.
pub(super) fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | 1 << 63 }
}

/// The inverse of [`order_key`].
pub(super) fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorts `keys` ascending: a least-significant-byte-first radix sort, which
/// skips the bytes every key shares (the sign and exponent, often). Equal
/// keys are equal values, so the order is the one any sort by
/// `f64::total_cmp` gives, which is how Arrow's `sort` and `DataFusion`'s
/// t-digest order floats. `spare` is scratch space.
fn sort_total(keys: &mut Vec<u64>, spare: &mut Vec<u64>) {
    let Some(&first) = keys.first() else { return };
    let mut counts = [[0u32; 256]; 8];
    for &k in keys.iter() {
        for (byte, c) in counts.iter_mut().enumerate() {
            c[(k >> (8 * byte)) as u8 as usize] += 1;
        }
    }
    spare.resize(keys.len(), 0);
    for (byte, c) in counts.iter().enumerate() {
        let shift = 8 * byte;
        if c[(first >> shift) as u8 as usize] as usize == keys.len() {
            continue; // every key has this byte
        }
        let mut next = [0u32; 256];
        let mut at = 0;
        for (n, slot) in c.iter().zip(next.iter_mut()) {
            *slot = at;
            at += n;
        }
        for &k in keys.iter() {
            let slot = &mut next[(k >> shift) as u8 as usize];
            spare[*slot as usize] = k;
            *slot += 1;
        }
        std::mem::swap(keys, spare);
    }
}

/// Item `i` of a `probity_quantiles` result.
pub fn quantile_at(array: &dyn Array, i: usize) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a quantiles result has unexpected types".into());
    let qs = super::f64_items(array).ok_or_else(unexpected)?;
    if i >= qs.len() {
        return Err(unexpected());
    }
    Ok(ScalarValue::Float64(qs.is_valid(i).then(|| qs.value(i))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_orders_as_total_cmp() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let special = [0.0, -0.0, f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE, -1e-310];
        for len in [0, 1, 2, 7, 300, 8192] {
            let mut values: Vec<f64> = (0..len)
                .map(|i| match i % 4 {
                    0 => f64::from_bits(next()),              // any bit pattern
                    1 => (next() % 1000) as f64 / 8.0 - 60.0, // repeats, both signs
                    2 => special[(next() % special.len() as u64) as usize],
                    _ => 12_345.0, // shares every byte
                })
                .collect();
            let mut keys: Vec<u64> = values.iter().map(|&v| order_key(v)).collect();
            sort_total(&mut keys, &mut Vec::new());
            values.sort_by(f64::total_cmp);
            let sorted: Vec<u64> = keys.iter().map(|&k| from_order_key(k).to_bits()).collect();
            assert_eq!(sorted, values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{len} values");
        }
        // Keys that share all bytes but one: only that byte is sorted.
        let mut keys: Vec<u64> = [3.0f64, 2.0, 1.0].iter().map(|&v| order_key(v)).collect();
        sort_total(&mut keys, &mut Vec::new());
        assert_eq!(keys.iter().map(|&k| from_order_key(k)).collect::<Vec<_>>(), [1.0, 2.0, 3.0]);
    }
}
