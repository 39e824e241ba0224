//! `probity_hash_runs(k1, k2, ...)`: duplicate counts of mostly distinct
//! keys by sorting their 64-bit hashes, and `probity_hash_in(k1, k2, ...)`,
//! which picks out the rows whose hash repeats.
//!
//! Grouping 10M distinct strings by their hash ([`super::key_hash`]) still
//! builds a hash table of 10M entries, in each partition and again in the
//! final merge (about 1.7 s and 570 MB for `application_id`). Here each
//! partition only appends its rows' hashes to a vector (8 bytes a row); the
//! final step sorts them with a radix sort and counts runs of equal hashes:
//! a hash in a run of one is a key seen once. The hashes in longer runs (a
//! duplicate key, or two keys whose hashes collide) are returned, so that
//! only the rows with those hashes are grouped by their real keys
//! ([`hash_in`]): the counts stay exact, and a table without duplicates
//! is read once.
//!
//! The vectors cannot spill, so the engine takes this path only when the
//! memory pool is unbounded; under `--memory-limit` it groups hashes, which
//! `DataFusion` spills.

use std::collections::{BTreeSet, HashSet};
use std::hash::BuildHasherDefault;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, RecordBatch, Scalar, StructArray, UInt64Array,
};
use datafusion::arrow::buffer::{BooleanBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::kernels::cmp::gt;
use datafusion::arrow::compute::{SortOptions, filter};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, SchemaRef, UInt64Type};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use super::key_hash::hash_rows;
use super::radix::radix_sort;
use crate::compile::DuplicateStats;

/// The result's count fields, in the order of the grouped path's statistics
/// (by hash: distinct hashes, rows, repeated hashes, rows with a repeated hash).
pub const FIELDS: [&str; 4] = ["distinct_keys", "rows", "duplicate_keys", "duplicate_rows"];
/// The result's last field: the repeated hashes, ascending.
pub const REPEATED: &str = "repeated_hashes";

/// The aggregate over the key columns of rows already filtered to non-null
/// keys in scope: a struct of [`FIELDS`] (Int64) and [`REPEATED`].
pub fn runs(keys: Vec<Expr>) -> Expr {
    AggregateUDF::from(HashRunsUdaf { signature: Signature::variadic_any(Volatility::Immutable) }).call(keys)
}

/// A set of key hashes. They are uniformly distributed already, so the set
/// uses them as they are instead of hashing them again.
pub type Hashes = HashSet<u64, BuildHasherDefault<AsIs>>;

/// The hasher of [`Hashes`]: a `u64` is its own hash.
#[derive(Default)]
pub struct AsIs(u64);

impl Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here; any other input still hashes consistently.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Whether the hash of the key columns is in `hashes`.
pub fn hash_in(keys: Vec<Expr>, hashes: Arc<Hashes>) -> Expr {
    ScalarUDF::from(HashIn { signature: Signature::variadic_any(Volatility::Immutable), hashes }).call(keys)
}

/// The statistics by hash of a [`runs`] result, and its repeated hashes.
pub fn stats(array: &dyn Array) -> Result<(DuplicateStats, Hashes)> {
    let unexpected = || DataFusionError::Internal("a hash runs result has unexpected types".into());
    let result = array.as_struct_opt().ok_or_else(unexpected)?;
    let count = |i: usize| -> Result<u64> {
        let n = result.column(i).as_primitive_opt::<Int64Type>().ok_or_else(unexpected)?;
        Ok(if n.is_empty() || n.is_null(0) { 0 } else { n.value(0).unsigned_abs() })
    };
    let stats = DuplicateStats {
        distinct_keys: count(0)?,
        rows: count(1)?,
        duplicate_keys: count(2)?,
        duplicate_rows: count(3)?,
    };
    Ok((stats, repeated(result.column(4).as_ref())?))
}

/// The repeated hashes of a [`runs`] result (its field `REPEATED`).
fn repeated(array: &dyn Array) -> Result<Hashes> {
    let unexpected = || DataFusionError::Internal("a hash runs result has unexpected types".into());
    let list = array.as_list_opt::<i32>().ok_or_else(unexpected)?;
    if list.is_empty() || list.is_null(0) {
        return Ok(Hashes::default());
    }
    let items = list.value(0);
    let hashes = items.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
    let mut set = Hashes::with_capacity_and_hasher(hashes.len(), BuildHasherDefault::default());
    set.extend(hashes.values().iter().copied());
    Ok(set)
}

fn u64_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, false)))
}

fn result_fields() -> Fields {
    let mut fields: Vec<Field> = FIELDS.iter().map(|name| Field::new(*name, DataType::Int64, false)).collect();
    fields.push(Field::new(REPEATED, u64_list_type(), false));
    Fields::from(fields)
}

/// `values` as a one-row list.
fn one_row_list(values: Vec<u64>) -> ListArray {
    let items = Arc::new(UInt64Array::from(values));
    let field = Arc::new(Field::new_list_field(DataType::UInt64, false));
    ListArray::new(field, OffsetBuffer::from_lengths([items.len()]), items, None)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct HashRunsUdaf {
    signature: Signature,
}

impl AggregateUDFImpl for HashRunsUdaf {
    fn name(&self) -> &'static str {
        "probity_hash_runs"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(HashRunsAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format_state_name(args.name, "hashes"), u64_list_type(), true))])
    }
}

/// The hashes of the rows seen so far, in arrival order, and sorted runs
/// of other partitions' hashes (merged states).
#[derive(Debug, Default)]
struct HashRunsAccumulator {
    hashes: Vec<u64>,
    runs: Vec<ScalarBuffer<u64>>,
}

/// Counts over sorted hashes: `[distinct, rows, repeated, rows in repeated
/// runs]`, and the repeated hashes.
fn count_runs(sorted: &[u64]) -> ([u64; 4], Vec<u64>) {
    let (mut distinct, mut repeated_rows) = (0u64, 0u64);
    let mut repeated = Vec::new();
    let mut at = 0;
    while at < sorted.len() {
        let h = sorted[at];
        let run = sorted[at..].iter().take_while(|&&x| x == h).count();
        distinct += 1;
        if run > 1 {
            repeated.push(h);
            repeated_rows += run as u64;
        }
        at += run;
    }
    ([distinct, sorted.len() as u64, repeated.len() as u64, repeated_rows], repeated)
}

/// Two ascending runs as one.
fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl HashRunsAccumulator {
    /// Every hash, ascending: this partition's sorted (each partition sorts
    /// its own in parallel before handing over its state), merged with the
    /// runs of the others. Past two runs, merging one after the other would
    /// copy the growing result each time: then everything is sorted once.
    fn sorted(&mut self) -> Vec<u64> {
        let mut sorted = std::mem::take(&mut self.hashes);
        let runs = std::mem::take(&mut self.runs);
        if runs.len() > 2 {
            for run in &runs {
                sorted.extend_from_slice(run);
            }
            radix_sort(&mut sorted, &mut Vec::new(), |&h| h);
            return sorted;
        }
        radix_sort(&mut sorted, &mut Vec::new(), |&h| h);
        for run in runs {
            sorted = if sorted.is_empty() { run.to_vec() } else { merge(&sorted, &run) };
        }
        sorted
    }
}

impl Accumulator for HashRunsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(n) = values.first().map(Array::len) else { return Ok(()) };
        let start = self.hashes.len();
        self.hashes.resize(start + n, 0);
        hash_rows(values, &mut self.hashes[start..])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a hash runs state has unexpected types".into());
        let lists = states.first().and_then(|s| s.as_list_opt::<i32>()).ok_or_else(unexpected)?;
        for i in 0..lists.len() {
            if lists.is_valid(i) {
                let items = lists.value(i);
                let hashes = items.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
                if !hashes.is_empty() {
                    self.runs.push(hashes.values().clone()); // shares the state's buffer
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // A partition's state is taken once, at its end: its hashes, sorted.
        Ok(vec![ScalarValue::List(Arc::new(one_row_list(self.sorted())))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (counts, repeated) = count_runs(&self.sorted());
        let mut columns: Vec<ArrayRef> = counts
            .iter()
            .map(|&n| Arc::new(Int64Array::from(vec![i64::try_from(n).unwrap_or(i64::MAX)])) as ArrayRef)
            .collect();
        columns.push(Arc::new(one_row_list(repeated)));
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(result_fields(), columns, None)?)))
    }

    fn size(&self) -> usize {
        let runs: usize = self.runs.iter().map(|r| r.inner().capacity()).sum();
        size_of::<Self>() + self.hashes.capacity() * size_of::<u64>() + runs
    }
}

/// `probity_hash_in`: the set is the query's own, compared by identity.
#[derive(Debug)]
struct HashIn {
    signature: Signature,
    hashes: Arc<Hashes>,
}

impl PartialEq for HashIn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.hashes, &other.hashes)
    }
}

impl Eq for HashIn {}

impl Hash for HashIn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.hashes).hash(state);
    }
}

impl ScalarUDFImpl for HashIn {
    fn name(&self) -> &'static str {
        "probity_hash_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut hashes = vec![0u64; args.number_rows];
        hash_rows(&arrays, &mut hashes)?;
        let found =
            BooleanArray::new(BooleanBuffer::collect_bool(hashes.len(), |i| self.hashes.contains(&hashes[i])), None);
        Ok(ColumnarValue::Array(Arc::new(found)))
    }
}

/// `ORDER BY count DESC, keys ASC LIMIT k` over the rows with a count above
/// one of a stream of key counts (the keys, then the count): the sample of
/// duplicate keys, in memory of `k` rows.
pub struct TopCounts {
    schema: SchemaRef,
    converter: RowConverter,
    k: usize,
    /// Row-format bytes of the count (descending), then the keys.
    kept: BTreeSet<Vec<u8>>,
}

impl TopCounts {
    /// For batches of `schema`: key columns, then an Int64 count.
    pub fn new(schema: SchemaRef, k: usize) -> Result<Self> {
        let fields = schema.fields();
        let Some((count, keys)) = fields.split_last() else {
            return Err(DataFusionError::Internal("key counts without columns".into()));
        };
        let descending = SortOptions { descending: true, nulls_first: true };
        let ascending = SortOptions { descending: false, nulls_first: true };
        let mut sort = vec![SortField::new_with_options(count.data_type().clone(), descending)];
        sort.extend(keys.iter().map(|f| SortField::new_with_options(f.data_type().clone(), ascending)));
        Ok(Self { converter: RowConverter::new(sort)?, schema, k, kept: BTreeSet::new() })
    }

    pub fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.k == 0 || batch.num_rows() == 0 {
            return Ok(());
        }
        let width = batch.num_columns();
        let count = batch.column(width - 1);
        let repeated = gt(count, &Scalar::new(Int64Array::from(vec![1])))?;
        let mut columns = vec![filter(count, &repeated)?];
        for key in &batch.columns()[..width - 1] {
            columns.push(filter(key, &repeated)?);
        }
        let rows = self.converter.convert_columns(&columns)?;
        for row in &rows {
            let row = row.as_ref();
            if self.kept.len() == self.k && self.kept.last().is_some_and(|last| row >= last.as_slice()) {
                continue;
            }
            self.kept.insert(row.to_vec());
            if self.kept.len() > self.k {
                self.kept.pop_last();
            }
        }
        Ok(())
    }

    /// The kept rows, first first, as a batch of the stream's schema.
    pub fn batch(&self) -> Result<RecordBatch> {
        let parser = self.converter.parser();
        let mut columns = self.converter.convert_rows(self.kept.iter().map(|r| parser.parse(r)))?;
        let count = columns.remove(0);
        columns.push(count);
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use datafusion::arrow::array::StringArray;

    use super::*;

    /// The statistics of counting `keys` by hash in a hash map.
    fn by_hash_map(keys: &[&str]) -> [u64; 4] {
        let array: ArrayRef = Arc::new(StringArray::from(keys.to_vec()));
        let mut hashes = vec![0; keys.len()];
        hash_rows(&[array], &mut hashes).unwrap();
        let mut counts: HashMap<u64, u64> = HashMap::new();
        for h in hashes {
            *counts.entry(h).or_default() += 1;
        }
        let repeated: Vec<u64> = counts.values().copied().filter(|&n| n > 1).collect();
        [counts.len() as u64, keys.len() as u64, repeated.len() as u64, repeated.iter().sum()]
    }

    /// The accumulator's statistics with `keys` split over `parts`
    /// partitions (batches of 3) merged through their states.
    fn by_runs(keys: &[&str], parts: usize) -> ([u64; 4], Hashes) {
        let mut total = HashRunsAccumulator::default();
        for part in keys.chunks(keys.len().div_ceil(parts).max(1)) {
            let mut acc = HashRunsAccumulator::default();
            for batch in part.chunks(3) {
                acc.update_batch(&[Arc::new(StringArray::from(batch.to_vec()))]).unwrap();
            }
            let state: Vec<ArrayRef> = acc.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
            total.merge_batch(&state).unwrap();
        }
        let ScalarValue::Struct(result) = total.evaluate().unwrap() else { panic!("not a struct") };
        let counts = std::array::from_fn(|i| {
            result.column(i).as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(0) as u64
        });
        (counts, repeated(result.column(4).as_ref()).unwrap())
    }

    #[test]
    fn runs_of_sorted_hashes_count_as_a_hash_map_does() {
        let mut many: Vec<String> = (0..5000).map(|i| format!("APP-{i:07}")).collect();
        many.extend(["APP-0000007".into(), "APP-0004999".into(), "APP-0004999".into()]);
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let cases: Vec<Vec<&str>> =
            vec![vec!["a"], vec!["a", "b", "c"], vec!["a", "a", "a", "b", "c", "c"], vec!["x", "", "", "y"], many];
        for keys in &cases {
            for parts in [1, 2, 3] {
                let (counts, repeated) = by_runs(keys, parts);
                assert_eq!(counts, by_hash_map(keys), "{} keys in {parts} partitions", keys.len());
                assert_eq!(repeated.len() as u64, counts[2]);
            }
        }
        assert_eq!(by_runs(&["a", "b", "a"], 2).0, [2, 3, 1, 2]);
        assert_eq!(by_runs(&[], 1).0, [0, 0, 0, 0]);
    }

    #[test]
    fn merged_runs_are_sorted() {
        assert_eq!(merge(&[1, 3, 3, 9], &[0, 3, 10]), [0, 1, 3, 3, 3, 9, 10]);
        assert_eq!(merge(&[], &[2]), [2]);
        let mut acc = HashRunsAccumulator { hashes: vec![5, 1, 5], runs: vec![vec![0, 5, 7].into(), vec![2].into()] };
        assert_eq!(acc.sorted(), [0, 1, 2, 5, 5, 5, 7]);
        let runs = vec![vec![0, 5, 7].into(), vec![2].into(), vec![1, 9].into()];
        let mut acc = HashRunsAccumulator { hashes: vec![5, 1, 5], runs };
        assert_eq!(acc.sorted(), [0, 1, 1, 2, 5, 5, 5, 7, 9], "more than two runs");
    }

    #[test]
    fn hash_in_picks_the_rows_whose_hash_repeats() {
        let keys = ["p", "q", "p", "r", "q", "p"];
        let (_, repeated) = by_runs(&keys, 2);
        let udf = HashIn { signature: Signature::variadic_any(Volatility::Immutable), hashes: Arc::new(repeated) };
        let array: ArrayRef = Arc::new(StringArray::from(keys.to_vec()));
        let field = Arc::new(Field::new("k", DataType::Utf8, false));
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(array)],
            arg_fields: vec![Arc::clone(&field)],
            number_rows: keys.len(),
            return_field: Arc::new(Field::new("in", DataType::Boolean, false)),
            config_options: Arc::default(),
        };
        let ColumnarValue::Array(found) = udf.invoke_with_args(args).unwrap() else { panic!("not an array") };
        let found: Vec<bool> = found.as_boolean().iter().map(Option::unwrap).collect();
        assert_eq!(found, [true, true, true, false, true, true]);
    }
}
