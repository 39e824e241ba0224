//! `probity_sample(offending, columns...)`: the `k` smallest distinct rows of
//! `columns` among the rows where `offending` is true, each with its exact
//! number of rows, in memory that does not grow with the rows.
//!
//! Failing values of the failed value checks of a dataset that the fused scan
//! did not keep are one aggregate query, `SELECT probity_sample(scope AND
//! offending, column), ... FROM dataset`: one bounded pass, however many
//! checks failed and however many rows offend (docs/design.md, invariant 10).
//! The fused scan keeps its samples in the same accumulator
//! ([`SampleAccumulator`]). Failing rows are found otherwise
//! ([`crate::engine`]'s `first_rows`). The condition is an argument
//! rather than a `FILTER`: `DataFusion` filters every input column of the
//! query for each filtered aggregate, where this filters only the columns
//! shown, and only the rows that can enter the sample.
//!
//! Rows are ordered by their Arrow row format (ascending, nulls first, floats
//! by IEEE total order), the order `ORDER BY c1, c2, ... NULLS FIRST` gives.
//! A value among the `k` smallest distinct overall is among the `k` smallest
//! distinct of every batch and partition it appears in, so keeping only those,
//! with their counts, and merging by adding counts gives the exact answer
//! whatever the partitioning: the output is deterministic (invariant 5).
//! Once `k` values are kept, a batch's rows above the largest kept one are
//! dropped by vectorised comparisons (column by column while rows tie), so
//! most batches cost almost nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, ListArray, Scalar, StructArray, UInt64Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::kernels::boolean::{and, is_null, or, or_kleene};
use datafusion::arrow::compute::kernels::cmp::{lt, not_distinct};
use datafusion::arrow::compute::{filter, prep_null_mask_filter};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, UInt64Type};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};

/// The name of the count field in each sampled row.
pub const COUNT_FIELD: &str = "count";

/// Whether rows of these types can be sampled (the Arrow row format has them).
pub fn supported(types: &[DataType]) -> bool {
    RowConverter::supports_fields(&types.iter().map(|t| SortField::new(t.clone())).collect::<Vec<_>>())
}

/// The aggregate expression keeping the `k` smallest distinct rows of
/// `columns` where `offending` (a boolean) is true. Its result is a one-row
/// list of structs: the columns (named `0`, `1`, ...) and [`COUNT_FIELD`],
/// smallest row first.
pub fn expr(offending: Expr, columns: Vec<Expr>, k: usize) -> Expr {
    let mut args = vec![offending];
    args.extend(columns);
    AggregateUDF::from(SampleUdaf { signature: Signature::variadic_any(Volatility::Immutable), k }).call(args)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SampleUdaf {
    signature: Signature,
    k: usize,
}

/// The struct of one sampled row: the columns, then the count.
fn row_fields(types: &[DataType]) -> Fields {
    let mut fields: Vec<Field> =
        types.iter().enumerate().map(|(i, t)| Field::new(i.to_string(), t.clone(), true)).collect();
    fields.push(Field::new(COUNT_FIELD, DataType::UInt64, false));
    Fields::from(fields)
}

fn result_type(types: &[DataType]) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Struct(row_fields(types)), false)))
}

impl AggregateUDFImpl for SampleUdaf {
    fn name(&self) -> &'static str {
        "probity_sample"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(result_type(args.get(1..).unwrap_or_default()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let types: Vec<DataType> = args.expr_fields.iter().skip(1).map(|f| f.data_type().clone()).collect();
        Ok(Box::new(SampleAccumulator::new(types, self.k)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, false)));
        Ok(vec![
            Arc::new(Field::new(format_state_name(args.name, "rows"), list(DataType::Binary), true)),
            Arc::new(Field::new(format_state_name(args.name, "counts"), list(DataType::UInt64), true)),
        ])
    }
}

/// The `k` smallest distinct rows seen so far, as row-format bytes, with counts.
#[derive(Debug)]
pub struct SampleAccumulator {
    types: Vec<DataType>,
    converter: RowConverter,
    k: usize,
    kept: BTreeMap<Vec<u8>, u64>,
    /// The largest kept row as one-row columns, once `k` rows are kept:
    /// rows above it cannot enter.
    bound: Option<Vec<ArrayRef>>,
}

impl SampleAccumulator {
    pub fn new(types: Vec<DataType>, k: usize) -> Result<Self> {
        let fields = types.iter().map(|t| SortField::new(t.clone())).collect();
        Ok(Self { converter: RowConverter::new(fields)?, types, k, kept: BTreeMap::new(), bound: None })
    }

    /// Counts one row (its row-format bytes) `n` times, keeping the `k` smallest.
    fn add(&mut self, row: &[u8], n: u64) {
        if self.kept.len() == self.k && self.kept.last_key_value().is_none_or(|(last, _)| row > last.as_slice()) {
            return;
        }
        if let Some(count) = self.kept.get_mut(row) {
            *count += n;
            return;
        }
        self.kept.insert(row.to_vec(), n);
        if self.kept.len() > self.k {
            self.kept.pop_last();
        }
        self.bound = None;
    }

    /// Which rows of `columns` may enter: those at most the largest kept row
    /// (ascending, nulls first), compared column by column with the kernels
    /// while some row ties with it. `None` when all may (fewer than `k`
    /// kept, or a first column the comparison kernels lack).
    fn candidates(&mut self, columns: &[ArrayRef]) -> Result<Option<BooleanArray>> {
        if self.kept.len() < self.k || self.k == 0 {
            return Ok(None);
        }
        if self.bound.is_none() {
            let parser = self.converter.parser();
            let last = self.kept.keys().next_back().expect("k > 0 rows are kept");
            self.bound = Some(self.converter.convert_rows([parser.parse(last)])?);
        }
        let bound = self.bound.as_ref().expect("set above");
        // Rows below the bound, and rows equal to it on the columns so far
        // (`None`: every row). Where a comparison is missing, the tied rows
        // stay candidates: a superset is always safe.
        let mut below: Option<BooleanArray> = None;
        let mut ties: Option<BooleanArray> = None;
        for (column, b) in columns.iter().zip(bound) {
            let at = Scalar::new(b);
            let Ok(equal) = not_distinct(column, &at) else { break };
            if !b.is_null(0) {
                // Nothing sorts below a null; a null sorts below any value.
                let Ok(less) = lt(column, &at) else { break };
                let less = if column.null_count() > 0 { or_kleene(&less, &is_null(column)?)? } else { less };
                let less = match &ties {
                    Some(t) => and(t, &less)?,
                    None => less,
                };
                below = Some(match below {
                    Some(b) => or(&b, &less)?,
                    None => less,
                });
            }
            let equal_so_far = match ties {
                Some(t) => and(&t, &equal)?,
                None => equal,
            };
            let none_tied = equal_so_far.true_count() == 0;
            ties = Some(equal_so_far);
            if none_tied {
                break;
            }
        }
        Ok(match (below, ties) {
            (Some(b), Some(t)) => Some(or(&b, &t)?),
            (b, t) => b.or(t),
        })
    }

    /// The kept rows, smallest first, as columns plus counts.
    pub fn rows(&self) -> Result<StructArray> {
        let parser = self.converter.parser();
        let mut columns = self.converter.convert_rows(self.kept.keys().map(|k| parser.parse(k)))?;
        // The row format gives dictionaries (hive partition columns) back
        // as their values: cast them back to the type the rows were read as.
        for (column, t) in columns.iter_mut().zip(&self.types) {
            if column.data_type() != t {
                *column = datafusion::arrow::compute::cast(column, t)?;
            }
        }
        columns.push(Arc::new(UInt64Array::from_iter_values(self.kept.values().copied())));
        Ok(StructArray::try_new(row_fields(&self.types), columns, None)?)
    }
}

/// `items` as a one-row list.
fn one_row_list(items: ArrayRef) -> ScalarValue {
    let field = Arc::new(Field::new_list_field(items.data_type().clone(), false));
    ScalarValue::List(Arc::new(ListArray::new(field, OffsetBuffer::from_lengths([items.len()]), items, None)))
}

impl SampleAccumulator {
    /// Takes the rows of `columns` where `offending` is true, row `i`
    /// counted `weights[i]` times (once each without `weights`).
    pub fn take(&mut self, offending: &BooleanArray, columns: &[ArrayRef], weights: Option<&[u64]>) -> Result<()> {
        let offending_rows = offending.true_count();
        if self.k == 0 || columns.is_empty() || offending_rows == 0 {
            return Ok(());
        }
        if 4 * offending_rows < offending.len() {
            // Few rows offend (a check that passes with `mostly`, say): the
            // bound is compared on those rows alone.
            let mask = if offending.null_count() > 0 { prep_null_mask_filter(offending) } else { offending.clone() };
            let picked: Vec<ArrayRef> = columns.iter().map(|c| filter(c, &mask)).collect::<Result<_, _>>()?;
            let picked_weights: Option<Vec<u64>> = weights.map(|w| mask.values().set_indices().map(|i| w[i]).collect());
            let all = BooleanArray::from(vec![true; offending_rows]);
            return self.take(&all, &picked, picked_weights.as_deref());
        }
        // (`filter` drops the rows where the mask is null.)
        let keep = match self.candidates(columns)? {
            None => offending.clone(),
            Some(candidates) => and(offending, &candidates)?,
        };
        // A null is not offending: nulls become false, so that the mask's
        // set bits are exactly the rows taken (and their weights).
        let keep = if keep.null_count() > 0 { prep_null_mask_filter(&keep) } else { keep };
        let rows = if keep.true_count() == keep.len() {
            self.converter.convert_columns(columns)?
        } else if keep.true_count() == 0 {
            return Ok(());
        } else {
            let picked: Vec<ArrayRef> = columns.iter().map(|c| filter(c, &keep)).collect::<Result<_, _>>()?;
            self.converter.convert_columns(&picked)?
        };
        match weights {
            None => rows.iter().for_each(|row| self.add(row.data(), 1)),
            Some(w) => {
                let picked = keep.values().set_indices().map(|i| w[i]);
                rows.iter().zip(picked).for_each(|(row, n)| self.add(row.data(), n));
            }
        }
        Ok(())
    }

    /// The kept rows as row-format bytes, with their counts (a state).
    pub fn parts(&self) -> (BinaryArray, UInt64Array) {
        (BinaryArray::from_iter_values(self.kept.keys()), UInt64Array::from_iter_values(self.kept.values().copied()))
    }

    /// Merges kept rows of another accumulator of the same types ([`Self::parts`]).
    pub fn merge_parts(&mut self, rows: &BinaryArray, counts: &UInt64Array) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a sample state has a null row".into());
        for (row, n) in rows.iter().zip(counts.values()) {
            self.add(row.ok_or_else(unexpected)?, *n);
        }
        Ok(())
    }
}

impl Accumulator for SampleAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let offending = values
            .first()
            .and_then(|v| v.as_boolean_opt())
            .ok_or_else(|| DataFusionError::Internal("a sample's first argument is not boolean".into()))?;
        self.take(offending, &values[1..], None)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a sample state has unexpected types".into());
        let rows = states[0].as_list_opt::<i32>().ok_or_else(unexpected)?;
        let counts = states[1].as_list_opt::<i32>().ok_or_else(unexpected)?;
        for i in 0..rows.len() {
            if rows.is_null(i) {
                continue;
            }
            let (r, c) = (rows.value(i), counts.value(i));
            let r = r.as_binary_opt::<i32>().ok_or_else(unexpected)?;
            let c = c.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
            self.merge_parts(r, c)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (rows, counts) = self.parts();
        Ok(vec![one_row_list(Arc::new(rows)), one_row_list(Arc::new(counts))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(one_row_list(Arc::new(self.rows()?)))
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.converter.size()
            + self.kept.keys().map(|k| k.capacity() + size_of::<(Vec<u8>, u64)>()).sum::<usize>()
            + self.bound.iter().flatten().map(Array::get_array_memory_size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};

    use super::*;

    /// The kept rows as (column values as text, count), smallest first.
    fn kept(acc: &mut SampleAccumulator) -> Vec<(Vec<String>, u64)> {
        let rows = acc.rows().unwrap();
        let counts = rows.column(rows.num_columns() - 1).as_primitive::<UInt64Type>().clone();
        (0..rows.len())
            .map(|i| {
                let cells = (0..rows.num_columns() - 1)
                    .map(|c| {
                        let col = rows.column(c);
                        if col.is_null(i) {
                            "null".to_string()
                        } else {
                            datafusion::arrow::util::display::array_value_to_string(col, i).unwrap()
                        }
                    })
                    .collect();
                (cells, counts.value(i))
            })
            .collect()
    }

    fn one(cells: &[&str], n: u64) -> (Vec<String>, u64) {
        (cells.iter().map(ToString::to_string).collect(), n)
    }

    /// One accumulator over all batches, and one per batch merged through
    /// their states (as partitions are), in both orders.
    fn both_ways(types: &[DataType], k: usize, batches: &[Vec<ArrayRef>]) -> Vec<(Vec<String>, u64)> {
        let mut whole = SampleAccumulator::new(types.to_vec(), k).unwrap();
        for b in batches {
            whole.update_batch(&offending(b)).unwrap();
        }
        let expected = kept(&mut whole);
        for order in [false, true] {
            let mut merged = SampleAccumulator::new(types.to_vec(), k).unwrap();
            let mut parts: Vec<&Vec<ArrayRef>> = batches.iter().collect();
            if order {
                parts.reverse();
            }
            for b in parts {
                let mut part = SampleAccumulator::new(types.to_vec(), k).unwrap();
                part.update_batch(&offending(b)).unwrap();
                let state: Vec<ArrayRef> = part.state().unwrap().into_iter().map(|s| s.to_array().unwrap()).collect();
                merged.merge_batch(&state).unwrap();
            }
            assert_eq!(kept(&mut merged), expected, "merging partitions (reversed: {order})");
        }
        expected
    }

    /// `columns` as arguments: every row offending, plus copies of the first
    /// and last rows whose condition is null and false (never counted).
    fn offending(columns: &[ArrayRef]) -> Vec<ArrayRef> {
        let n = columns[0].len();
        let mut mask = vec![Some(true); n];
        mask.extend([None, Some(false)]);
        let mut args: Vec<ArrayRef> = vec![Arc::new(BooleanArray::from(mask))];
        for c in columns {
            let (first, last) = (c.slice(0, 1), c.slice(n - 1, 1));
            args.push(datafusion::arrow::compute::concat(&[c.as_ref(), first.as_ref(), last.as_ref()]).unwrap());
        }
        args
    }

    fn ints(v: &[Option<i64>]) -> Vec<ArrayRef> {
        vec![Arc::new(Int64Array::from(v.to_vec()))]
    }

    #[test]
    fn keeps_the_k_smallest_distinct_values_with_exact_counts() {
        let batches = [
            ints(&[Some(9), Some(3), Some(7), Some(3), Some(100)]),
            ints(&[Some(5), Some(3), Some(1), Some(9), Some(2)]),
            ints(&[Some(50), Some(2), Some(3), Some(-1), Some(200)]),
        ];
        let got = both_ways(&[DataType::Int64], 3, &batches);
        assert_eq!(got, vec![one(&["-1"], 1), one(&["1"], 1), one(&["2"], 2)]);
        let got = both_ways(&[DataType::Int64], 4, &batches);
        assert_eq!(got[3], one(&["3"], 4), "3 occurs in every batch: all 4 counted");
    }

    #[test]
    fn nulls_come_first() {
        let batches = [ints(&[Some(4), None, Some(2)]), ints(&[None, Some(1), Some(4)])];
        let got = both_ways(&[DataType::Int64], 2, &batches);
        assert_eq!(got, vec![one(&["null"], 2), one(&["1"], 1)]);
        // A null bound: only nulls can enter.
        let batches = [ints(&[None, Some(3)]), ints(&[Some(-7), None])];
        assert_eq!(both_ways(&[DataType::Int64], 1, &batches), vec![one(&["null"], 2)]);
    }

    #[test]
    fn nan_sorts_after_every_number_and_negative_zero_before_zero() {
        let f = |v: &[f64]| -> Vec<ArrayRef> { vec![Arc::new(Float64Array::from(v.to_vec()))] };
        let batches = [f(&[f64::NAN, 3.0, 0.0]), f(&[f64::NAN, -0.0, f64::INFINITY])];
        let got = both_ways(&[DataType::Float64], 10, &batches);
        let shown: Vec<&str> = got.iter().map(|(c, _)| c[0].as_str()).collect();
        assert_eq!(shown, ["-0.0", "0.0", "3.0", "inf", "NaN"]);
        assert_eq!(got[4].1, 2);
    }

    #[test]
    fn strings_in_byte_order() {
        let s = |v: &[&str]| -> Vec<ArrayRef> { vec![Arc::new(StringArray::from(v.to_vec()))] };
        let batches = [s(&["pear", "apple", "Zebra"]), s(&["apple", "fig", "banana"]), s(&["a", "zz", "apple"])];
        let got = both_ways(&[DataType::Utf8], 3, &batches);
        assert_eq!(got, vec![one(&["Zebra"], 1), one(&["a"], 1), one(&["apple"], 3)]);
    }

    #[test]
    fn several_columns_in_lexicographic_order() {
        let batch = |a: &[i64], b: &[Option<&str>]| -> Vec<ArrayRef> {
            vec![Arc::new(Int64Array::from(a.to_vec())), Arc::new(StringArray::from(b.to_vec()))]
        };
        let batches = [
            batch(&[2, 1, 1, 3], &[Some("x"), Some("b"), None, Some("a")]),
            batch(&[1, 2, 1, 0], &[Some("b"), Some("a"), Some("a"), Some("z")]),
            batch(&[1, 1, 5, 2], &[Some("a"), None, Some("a"), Some("a")]),
        ];
        let got = both_ways(&[DataType::Int64, DataType::Utf8], 4, &batches);
        assert_eq!(got, vec![one(&["0", "z"], 1), one(&["1", "null"], 2), one(&["1", "a"], 2), one(&["1", "b"], 2)]);
    }

    /// Rows that tie with the largest kept row on the first column are
    /// settled by the next (a `not_null` sample shows the null column first).
    #[test]
    fn ties_on_the_first_column_are_settled_by_the_next() {
        let batch = |a: &[Option<i64>], b: &[&str]| -> Vec<ArrayRef> {
            vec![Arc::new(Int64Array::from(a.to_vec())), Arc::new(StringArray::from(b.to_vec()))]
        };
        let batches = [
            batch(&[None, None, None], &["b", "a", "d"]),
            batch(&[None, None, Some(1), None], &["c", "a", "a", "b"]),
            batch(&[Some(0), None, None], &["a", "e", "a"]),
        ];
        let got = both_ways(&[DataType::Int64, DataType::Utf8], 2, &batches);
        assert_eq!(got, vec![one(&["null", "a"], 3), one(&["null", "b"], 2)]);
    }

    #[test]
    fn k_beyond_the_distinct_values_keeps_them_all() {
        let batches = [ints(&[Some(2), Some(2), Some(1)]), ints(&[Some(2)])];
        assert_eq!(both_ways(&[DataType::Int64], 100, &batches), vec![one(&["1"], 1), one(&["2"], 3)]);
    }

    #[test]
    fn k_zero_keeps_nothing() {
        let batches = [ints(&[Some(2), None])];
        assert!(both_ways(&[DataType::Int64], 0, &batches).is_empty());
    }

    /// Memory does not grow with the rows: a million distinct offending
    /// values leave the accumulator the size of its `k` rows.
    #[test]
    fn memory_is_independent_of_the_offending_rows() {
        let mut small = SampleAccumulator::new(vec![DataType::Int64], 5).unwrap();
        small.update_batch(&offending(&ints(&(0..10).map(Some).collect::<Vec<_>>()))).unwrap();
        let mut large = SampleAccumulator::new(vec![DataType::Int64], 5).unwrap();
        for chunk in 0..122 {
            let values: Vec<Option<i64>> = (0..8192).map(|i| Some((i * 7919 + chunk * 104_729) % 1_000_003)).collect();
            large.update_batch(&offending(&ints(&values))).unwrap();
        }
        assert_eq!(large.kept.len(), 5);
        assert!(large.size() <= small.size() + 256, "{} vs {}", large.size(), small.size());
    }
}
