//! `probity_key_bitmap(key)`: duplicate counts of one integer key from two
//! bitmaps, when its values lie in a range not much wider than its row count.
//!
//! Grouping 10M distinct int64 keys builds a hash table of 10M entries (about
//! 0.6 s and 600 MB); most integer ids are a dense range, whatever their
//! order. With the range `[lo, hi]` known beforehand (min and max of the
//! whole dataset, from Parquet statistics or a min/max pass), one bit per
//! value offset marks a value seen, a second bit a value seen again: each
//! value of the range costs a quarter byte, and a row costs two memory
//! accesses to the same cache line. Partitions merge by OR (a value seen in both is
//! seen twice). From the bits, exactly:
//! - distinct keys = values seen; duplicate keys = values seen twice or more;
//! - duplicate rows = rows - distinct keys + duplicate keys (each key adds
//!   its count less one to rows - distinct, and only repeated keys add).
//!
//! The engine takes this path only for a single integer key whose range is
//! at most [`DENSITY`] times the row count (or [`SMALL_SPAN`]) and at most
//! [`MAX_SPAN`] values; otherwise it groups as before. Nulls are skipped (a
//! null key is not counted, as the grouped path filters them out).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_aggregate::expr_fn::{count, max, min};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast, col};
use datafusion::prelude::SessionContext;

use crate::util::expr::column as ident;

/// A range of values is dense enough when it is at most this many times the
/// row count: two bits a value, so at most 2 bytes of bitmap a row, where a
/// hash table of the keys takes 16 or more.
pub const DENSITY: u64 = 8;
/// Ranges this small always take the bitmap (16 KiB).
pub const SMALL_SPAN: u64 = 1 << 16;
/// The widest range taken: 64 MiB of bitmaps per partition.
pub const MAX_SPAN: u64 = 1 << 28;

/// The result's fields, in the order of the grouped path's statistics.
const FIELDS: [&str; 4] = ["distinct_keys", "rows", "duplicate_keys", "duplicate_rows"];
/// The aggregate's column in the query.
const STATS: &str = "__probity_key_bitmap";

/// Whether a key of type `t` can be counted here (read as i64 exactly).
pub fn supported(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
    )
}

/// The number of values in `lo..=hi` when a bitmap of them pays for `rows`
/// rows (see [`DENSITY`]).
pub fn span_if_dense(lo: i64, hi: i64, rows: u64) -> Option<u64> {
    let span = u64::try_from(i128::from(hi) - i128::from(lo) + 1).ok()?;
    ((1..=MAX_SPAN).contains(&span) && (span <= SMALL_SPAN || span <= rows.saturating_mul(DENSITY))).then_some(span)
}

/// The aggregate over `key` (every value in `lo..=lo + span - 1`): a struct
/// of [`FIELDS`] as Int64.
fn expr(key: Expr, lo: i64, span: u64) -> Expr {
    let udaf = KeyBitmapUdaf { lo, span, signature: Signature::any(1, Volatility::Immutable) };
    AggregateUDF::from(udaf).call(vec![cast(key, DataType::Int64)])
}

/// The duplicate statistics of `key` in `dataset` (rows in `scope`) as one
/// row of [`FIELDS`], when `key` is one integer column whose range over the
/// whole dataset is dense ([`span_if_dense`]); `None` otherwise. The range
/// comes from `min`/`max` of the whole dataset, which `DataFusion` answers
/// from Parquet statistics when it can (else a pass over the key); rows in
/// any scope lie within it.
pub async fn counts(
    ctx: &SessionContext,
    dataset: &str,
    keys: &[String],
    scope: Option<Expr>,
) -> Result<Option<DataFrame>> {
    let [key] = keys else { return Ok(None) };
    let table = ctx.table(dataset).await?;
    if !supported(table.schema().field_with_unqualified_name(key)?.data_type()) {
        return Ok(None);
    }
    let k = ident(key);
    let range = table.clone().aggregate(vec![], vec![min(k.clone()), max(k.clone()), count(k.clone())])?;
    let batches = range.collect().await?;
    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok(None) };
    let at = |i: usize| -> Result<Option<i64>> {
        match ScalarValue::try_from_array(row.column(i), 0)?.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(v) => Ok(v),
            _ => Ok(None),
        }
    };
    let (Some(lo), Some(hi), Some(rows)) = (at(0)?, at(1)?, at(2)?) else { return Ok(None) };
    let Some(span) = span_if_dense(lo, hi, rows.unsigned_abs()) else { return Ok(None) };
    let mut df = table;
    if let Some(s) = scope {
        df = df.filter(s)?;
    }
    let df = df.aggregate(vec![], vec![expr(k, lo, span).alias(STATS)])?;
    Ok(Some(df.select(FIELDS.iter().map(|f| get_field(col(STATS), *f).alias(*f)).collect::<Vec<_>>())?))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct KeyBitmapUdaf {
    lo: i64,
    span: u64,
    signature: Signature,
}

fn result_fields() -> Fields {
    FIELDS.iter().map(|name| Field::new(*name, DataType::Int64, false)).collect()
}

impl AggregateUDFImpl for KeyBitmapUdaf {
    fn name(&self) -> &'static str {
        "probity_key_bitmap"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(KeyBitmapAccumulator::new(self.lo, self.span)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format_state_name(args.name, "rows"), DataType::UInt64, false)),
            Arc::new(Field::new(format_state_name(args.name, "bits"), DataType::Binary, false)),
        ])
    }
}

/// Bits of values seen and seen again, interleaved a word each (word `2w`
/// says which of the 64 values of block `w` were seen, `2w + 1` which were
/// seen twice), so that a row touches one cache line.
#[derive(Debug)]
struct KeyBitmapAccumulator {
    lo: i64,
    span: u64,
    rows: u64,
    words: Vec<u64>,
}

impl KeyBitmapAccumulator {
    fn new(lo: i64, span: u64) -> Self {
        let blocks = usize::try_from(span.div_ceil(64)).unwrap_or(usize::MAX);
        Self { lo, span, rows: 0, words: vec![0; 2 * blocks] }
    }

    fn add(&mut self, values: impl Iterator<Item = i64>) -> Result<()> {
        let (lo, span) = (self.lo, self.span);
        let words = self.words.as_mut_slice();
        for v in values {
            // Wrapping keeps the offset exact for any lo <= v (the difference
            // fits in u64); values below lo wrap to huge offsets.
            let offset = v.wrapping_sub(lo).cast_unsigned();
            if offset >= span {
                return Err(DataFusionError::Execution(format!(
                    "key {v} is outside the range {lo}..={} that the dataset's min and max gave (did the data change during the run?)",
                    i128::from(lo) + i128::from(span) - 1
                )));
            }
            let w = 2 * (offset >> 6) as usize;
            let bit = 1u64 << (offset & 63);
            words[w + 1] |= words[w] & bit;
            words[w] |= bit;
        }
        Ok(())
    }

    /// Distinct keys, rows, duplicate keys, duplicate rows.
    fn stats(&self) -> [u64; 4] {
        let (mut distinct, mut repeated) = (0u64, 0u64);
        for pair in self.words.chunks_exact(2) {
            distinct += u64::from(pair[0].count_ones());
            repeated += u64::from(pair[1].count_ones());
        }
        [distinct, self.rows, repeated, self.rows - distinct + repeated]
    }
}

impl Accumulator for KeyBitmapAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let keys = values[0]
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| DataFusionError::Internal("probity_key_bitmap expects int64 keys".into()))?;
        self.rows += (keys.len() - keys.null_count()) as u64;
        if keys.null_count() == 0 { self.add(keys.values().iter().copied()) } else { self.add(keys.iter().flatten()) }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a key bitmap state has unexpected types".into());
        let [rows, bits] = states else { return Err(unexpected()) };
        let rows = rows.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
        let bits = bits.as_binary_opt::<i32>().ok_or_else(unexpected)?;
        for i in 0..rows.len() {
            let other = bits.value(i);
            if other.len() != 8 * self.words.len() {
                return Err(unexpected());
            }
            self.rows += rows.value(i);
            for (pair, theirs) in self.words.chunks_exact_mut(2).zip(other.chunks_exact(16)) {
                let seen = u64::from_le_bytes(theirs[..8].try_into().map_err(|_| unexpected())?);
                let twice = u64::from_le_bytes(theirs[8..].try_into().map_err(|_| unexpected())?);
                pair[1] |= twice | (pair[0] & seen);
                pair[0] |= seen;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        Ok(vec![ScalarValue::UInt64(Some(self.rows)), ScalarValue::Binary(Some(bytes))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let columns: Vec<ArrayRef> = self
            .stats()
            .iter()
            .map(|&n| Arc::new(Int64Array::from(vec![i64::try_from(n).unwrap_or(i64::MAX)])) as ArrayRef)
            .collect();
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(result_fields(), columns, None)?)))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.words.capacity() * size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The grouped path's statistics, by counting in a hash map.
    fn by_hash_map(keys: &[Option<i64>]) -> [u64; 4] {
        let mut counts: HashMap<i64, u64> = HashMap::new();
        for k in keys.iter().flatten() {
            *counts.entry(*k).or_default() += 1;
        }
        let rows = counts.values().sum::<u64>();
        let repeated: Vec<u64> = counts.values().copied().filter(|&n| n > 1).collect();
        [counts.len() as u64, rows, repeated.len() as u64, repeated.iter().sum()]
    }

    /// The bitmap's statistics, with the keys split over `parts` partitions
    /// (each in batches of 3) and merged through their states.
    fn by_bitmap(keys: &[Option<i64>], parts: usize) -> Result<[u64; 4]> {
        let present = keys.iter().flatten();
        let (lo, hi) = (*present.clone().min().unwrap(), *present.max().unwrap());
        let span = span_if_dense(lo, hi, keys.len() as u64)
            .unwrap_or(u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap());
        let mut total = KeyBitmapAccumulator::new(lo, span);
        let chunk = keys.len().div_ceil(parts).max(1);
        for part in keys.chunks(chunk) {
            let mut acc = KeyBitmapAccumulator::new(lo, span);
            for batch in part.chunks(3) {
                acc.update_batch(&[Arc::new(Int64Array::from(batch.to_vec()))])?;
            }
            let state: Vec<ArrayRef> = acc.state()?.iter().map(|s| s.to_array().unwrap()).collect();
            total.merge_batch(&state)?;
        }
        Ok(total.stats())
    }

    #[test]
    fn bitmap_counts_equal_grouped_counts() {
        let cases: Vec<Vec<Option<i64>>> = vec![
            vec![Some(1), Some(2), Some(3)],
            vec![Some(5), Some(5), Some(5), None, Some(6), Some(7), Some(7)],
            // duplicates at both ends of the range, negative values, nulls
            vec![Some(-10), Some(-10), None, Some(0), Some(-1), Some(53), Some(53), Some(53), None],
            // i64 extremes: the offsets must not overflow
            vec![Some(i64::MIN), Some(i64::MIN + 1), Some(i64::MIN), Some(i64::MIN + 200)],
            vec![Some(i64::MAX), Some(i64::MAX - 64), Some(i64::MAX), Some(i64::MAX - 63)],
            // a block boundary (63, 64, 127, 128 from lo)
            vec![Some(0), Some(63), Some(64), Some(64), Some(127), Some(128), Some(128), Some(128)],
            vec![Some(42)],
        ];
        for keys in &cases {
            for parts in [1, 2, 3] {
                assert_eq!(by_bitmap(keys, parts).unwrap(), by_hash_map(keys), "{keys:?} in {parts} partitions");
            }
        }
        // A dense shuffled range with a few repeats, across the range.
        let mut keys: Vec<Option<i64>> = (0..10_000).map(|i| Some((i * 7919) % 10_000 - 5_000)).collect();
        keys.extend([Some(-5_000), Some(4_999), Some(4_999), None, Some(0)]);
        for parts in [1, 2, 5] {
            assert_eq!(by_bitmap(&keys, parts).unwrap(), by_hash_map(&keys));
        }
    }

    #[test]
    fn only_dense_ranges_take_the_bitmap() {
        assert_eq!(span_if_dense(1, 10_000_000, 10_000_000), Some(10_000_000));
        assert_eq!(span_if_dense(4_000_000_000, 4_000_000_099, 1), Some(100), "small spans always");
        assert_eq!(span_if_dense(0, 80_000_000, 10_000_000), None, "over 8x the rows");
        assert_eq!(span_if_dense(0, 79_999_999, 10_000_000), Some(80_000_000));
        assert_eq!(span_if_dense(i64::MIN, i64::MAX, u64::MAX), None, "wider than MAX_SPAN");
        assert_eq!(span_if_dense(0, 1 << 28, 1 << 40), None);
        assert_eq!(span_if_dense(5, 4, 1), None, "empty range");
    }

    #[test]
    fn a_key_outside_the_range_is_an_error_not_a_wrong_count() {
        let mut acc = KeyBitmapAccumulator::new(10, 5);
        let err = acc.update_batch(&[Arc::new(Int64Array::from(vec![10, 15]))]).unwrap_err();
        assert!(err.to_string().contains("outside the range 10..=14"), "{err}");
        let mut acc = KeyBitmapAccumulator::new(10, 5);
        assert!(acc.update_batch(&[Arc::new(Int64Array::from(vec![9]))]).is_err());
    }
}
