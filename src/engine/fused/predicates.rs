//! `probity_predicates(columns)`: for several row predicates on the same
//! columns, how many rows each is true and false on, in one aggregate.
//!
//! Value checks (`in_set`, `regex`, `length`, `between`, `missing` with
//! placeholder values, single-column `condition`s) count the rows where a
//! predicate on one column holds. Evaluated per row, each costs a pass of its
//! own over the column. But a predicate on one column is a function of that
//! column's value: on a column with few distinct values it is enough to count
//! the values once and evaluate every predicate once per distinct value.
//!
//! The accumulator does that while the column has at most [`MAX_STRINGS`]
//! distinct strings, or [`MAX_FIXED`] distinct numbers, in its partition.
//! Past that it evaluates what it has counted so far, stops counting values
//! and evaluates the predicates per batch, as a FILTER would. Comparing
//! numbers costs little more per row than counting them, so a column whose
//! predicates are all ranges ([`range_atoms`]) is evaluated per batch from
//! the start, and most batches are then settled from their range. The counts are exact either way; only the cost
//! differs. Nulls are counted as one more value, so a predicate that holds on
//! null (`x IS NULL`) is counted as it would be row by row.
//!
//! A `regex` on a column with many values is matched row by row, but
//! directly ([`RegexMatch`]): the pattern compiled once per partition, each
//! value matched in place and only the matches counted, where
//! `regexp_like` compiles the pattern again for every batch and builds a
//! boolean array of the results. Same `regex` crate, same pattern: the same
//! answer on every value.
//!
//! Predicates on two or more columns (`condition: amount <= income * 10`)
//! are evaluated per batch. They gain too: a check asks for both the rows
//! where its predicate is known and where it is false, and each predicate is
//! evaluated once for both, without the copy of the batch a FILTER makes.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, BinaryArray, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray, UInt64Array, new_null_array,
};
use datafusion::arrow::buffer::{MutableBuffer, OffsetBuffer};
use datafusion::arrow::compute::not;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, Schema, SchemaRef, UInt64Type};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use datafusion::physical_expr::PhysicalExpr;

use crate::engine::drift::categorical::{CategoryAccumulator, ViewCounts};
use crate::engine::sample::SampleAccumulator;
use crate::util::expr::column as ident;

/// Distinct strings a partition counts before it evaluates row by row.
pub const MAX_STRINGS: usize = 10_000;

/// Distinct fixed-width values a partition counts before it evaluates row
/// by row: fewer than a batch's counting table holds, so that counting one
/// batch never empties the table halfway.
pub const MAX_FIXED: usize = 500;

/// Whether values of this type can be counted: strings, and fixed-width
/// primitives (numbers, dates, times, decimals) of up to 16 bytes.
pub fn countable(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
        || (t.is_primitive() && t.primitive_width().is_some_and(|w| w <= 16))
}

/// The predicates of some columns, planned against a schema of those columns alone.
#[derive(Debug, Clone)]
pub struct Predicates {
    columns: Vec<String>,
    schema: SchemaRef,
    /// As written (for equality, hashing and plans).
    logical: Vec<Expr>,
    physical: Vec<Arc<dyn PhysicalExpr>>,
    /// Per predicate, its comparisons when it can be settled from a batch's
    /// range (see [`range_atoms`]).
    ranged: Vec<Option<Vec<Arc<dyn PhysicalExpr>>>>,
    /// Whether the result carries the column's smallest and largest values
    /// (one primitive column only).
    bounds: bool,
    /// Per predicate, how to match it directly when it is a `regexp_like`.
    regexes: Vec<Option<RegexMatch>>,
    /// Per predicate, whether a sample is kept of the rows where it is
    /// true (`Some(true)`) or false (see [`Self::with_samples`]).
    sampled: Vec<Option<bool>>,
    /// How many distinct values each sample keeps.
    sample_size: usize,
}

impl Predicates {
    /// `physical[i]` must be `logical[i]` planned against `schema` (the
    /// columns alone, in the order of `columns`).
    pub fn new(
        columns: Vec<String>,
        schema: SchemaRef,
        logical: Vec<Expr>,
        physical: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Self {
        let orderable = columns.len() == 1 && schema.field(0).data_type().is_primitive();
        let ranged = physical.iter().map(|p| if orderable { range_atoms(p) } else { None }).collect();
        let regexes = physical.iter().map(RegexMatch::of).collect();
        let sampled = vec![None; physical.len()];
        Self { columns, schema, logical, physical, ranged, bounds: false, regexes, sampled, sample_size: 0 }
    }

    /// Also keeps, for each predicate `i` with `sampled[i] = Some(when)`, the
    /// `k` smallest distinct values of the column among the rows where it is
    /// `when`, with their counts ([`SampleAccumulator`]): the failing sample
    /// of the check that counts those rows, found in the same pass. One
    /// column only.
    pub fn with_samples(mut self, sampled: Vec<Option<bool>>, k: usize) -> Self {
        if self.columns.len() == 1 && k > 0 && sampled.len() == self.physical.len() {
            self.sampled = sampled;
            self.sample_size = k;
        }
        self
    }

    /// A sample accumulator per predicate that keeps one.
    fn sample_accumulators(&self) -> Result<Vec<Option<SampleAccumulator>>> {
        let t = self.schema.field(0).data_type();
        self.sampled
            .iter()
            .map(|s| s.map(|_| SampleAccumulator::new(vec![t.clone()], self.sample_size)).transpose())
            .collect()
    }

    /// Also finds the column's smallest and largest values, as `min` and
    /// `max` do ([`bound_at`]); they come free from the ranges and the
    /// counted values. Only a single column of numbers, dates or timestamps
    /// has them ([`Self::has_bounds`]).
    pub fn with_bounds(mut self) -> Self {
        let t = self.schema.field(0).data_type();
        let ordered = t.is_numeric() || matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..));
        self.bounds = self.columns.len() == 1 && ordered;
        self
    }

    pub fn has_bounds(&self) -> bool {
        self.bounds
    }

    /// The aggregate expression: a struct of a list of two counts per
    /// predicate, the rows where it is true and where it is false (see
    /// [`count_at`]), and the column's bounds when asked for.
    pub fn expr(self) -> Expr {
        let args = self.columns.iter().map(|c| ident(c)).collect::<Vec<_>>();
        let signature = Signature::any(args.len(), Volatility::Immutable);
        AggregateUDF::from(PredicatesUdaf { predicates: self, signature }).call(args)
    }

    /// Rows of `columns` where each predicate is true and false, each row
    /// weighted by `weights` (1 when `None`), added to `counts`; the rows a
    /// predicate samples go to its sample in `samples` (empty: none kept).
    fn count(
        &self,
        columns: &[ArrayRef],
        weights: Option<&[u64]>,
        counts: &mut [Counts],
        samples: &mut [Option<SampleAccumulator>],
    ) -> Result<()> {
        if columns[0].is_empty() {
            return Ok(());
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns.to_vec())?;
        for (i, (p, count)) in self.physical.iter().zip(counts.iter_mut()).enumerate() {
            let sample = samples.get_mut(i).and_then(Option::as_mut).zip(self.sampled[i]);
            let regex = self.regexes[i].as_ref().filter(|_| weights.is_none());
            let result = match (regex, sample.is_some()) {
                (Some(r), false) if r.count(columns, count) => continue,
                (Some(r), true) => r.mask(columns).map(|m| Arc::new(m) as ArrayRef),
                _ => None,
            };
            let result = match result {
                Some(mask) => mask,
                None => p.evaluate(&batch)?.into_array(batch.num_rows())?,
            };
            let holds = result
                .as_boolean_opt()
                .ok_or_else(|| DataFusionError::Internal(format!("predicate `{p}` is not boolean")))?;
            if let Some((sample, when)) = sample {
                let offending = if when { holds.clone() } else { not(holds)? };
                sample.take(&offending, columns, weights)?;
            }
            match weights {
                None => {
                    let t = holds.true_count() as u64;
                    count.true_ += t;
                    count.false_ += (holds.len() - holds.null_count()) as u64 - t;
                }
                Some(w) => {
                    for i in (0..holds.len()).filter(|&i| holds.is_valid(i)) {
                        if holds.value(i) { count.true_ += w[i] } else { count.false_ += w[i] }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The rows where a predicate is true and where it is false (the rest: null).
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    true_: u64,
    false_: u64,
}

impl Counts {
    /// Adds `n` rows on which the predicate is `value`.
    fn add(&mut self, value: Truth, n: u64) {
        match value {
            Truth::True => self.true_ += n,
            Truth::False => self.false_ += n,
            Truth::Unknown => {}
        }
    }
}

/// A predicate's value: SQL's three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn of(value: Option<bool>) -> Self {
        match value {
            Some(true) => Self::True,
            Some(false) => Self::False,
            None => Self::Unknown,
        }
    }
}

/// What a requested count counts of a predicate's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rows where it is true (`count(*) FILTER (WHERE p)`).
    True,
    /// Rows where it is false (`count(*) FILTER (WHERE NOT p)`).
    False,
    /// Rows where it is not null (`count(p)`).
    Known,
}

impl Predicates {
    /// Predicate `i` alone.
    fn only(&self, i: usize) -> Self {
        Self {
            columns: self.columns.clone(),
            schema: Arc::clone(&self.schema),
            logical: vec![self.logical[i].clone()],
            physical: vec![Arc::clone(&self.physical[i])],
            ranged: vec![None],
            bounds: false,
            regexes: vec![self.regexes[i].clone()],
            sampled: vec![self.sampled[i]],
            sample_size: self.sample_size,
        }
    }
}

/// A predicate `regexp_like(column, 'pattern')` (no flags), matched
/// directly: one compiled pattern per partition (a clone has its own
/// matching cache), `is_match` on each value in place, and only the counts
/// kept. `regexp_like` runs the same `regex::Regex::is_match` per value, so
/// the counts are the same; a null value is neither true nor false, as there.
#[derive(Debug, Clone)]
struct RegexMatch {
    column: usize,
    regex: ::regex::Regex,
}

impl RegexMatch {
    fn of(p: &Arc<dyn PhysicalExpr>) -> Option<Self> {
        use datafusion::physical_expr::ScalarFunctionExpr;
        use datafusion::physical_expr::expressions::{Column, Literal};
        let f = p.downcast_ref::<ScalarFunctionExpr>()?;
        let [value, pattern] = f.args() else { return None };
        if f.name() != "regexp_like" {
            return None;
        }
        let column = value.downcast_ref::<Column>()?.index();
        let (ScalarValue::Utf8(Some(pattern))
        | ScalarValue::Utf8View(Some(pattern))
        | ScalarValue::LargeUtf8(Some(pattern))) = pattern.downcast_ref::<Literal>()?.value()
        else {
            return None;
        };
        Some(Self { column, regex: ::regex::Regex::new(pattern).ok()? })
    }

    /// Whether the pattern matches each row of `columns` (null where the
    /// value is null); `None` for a column that is not a string.
    fn mask(&self, columns: &[ArrayRef]) -> Option<BooleanArray> {
        fn matches<'a>(re: &::regex::Regex, values: impl Iterator<Item = Option<&'a str>>) -> BooleanArray {
            values.map(|v| v.map(|v| re.is_match(v))).collect()
        }
        let array = columns.get(self.column)?;
        Some(match array.data_type() {
            DataType::Utf8 => matches(&self.regex, array.as_string::<i32>().iter()),
            DataType::LargeUtf8 => matches(&self.regex, array.as_string::<i64>().iter()),
            DataType::Utf8View => matches(&self.regex, array.as_string_view().iter()),
            _ => return None,
        })
    }

    /// Adds the rows of `columns` where the pattern matches and where it does
    /// not to `count`; false (and nothing added) for a column that is not a string.
    fn count(&self, columns: &[ArrayRef], count: &mut Counts) -> bool {
        fn tally<'a>(re: &::regex::Regex, values: impl Iterator<Item = Option<&'a str>>, count: &mut Counts) {
            let (mut yes, mut no) = (0u64, 0u64);
            for v in values.flatten() {
                if re.is_match(v) { yes += 1 } else { no += 1 }
            }
            count.true_ += yes;
            count.false_ += no;
        }
        let Some(array) = columns.get(self.column) else { return false };
        match array.data_type() {
            DataType::Utf8 => tally(&self.regex, array.as_string::<i32>().iter(), count),
            DataType::LargeUtf8 => tally(&self.regex, array.as_string::<i64>().iter(), count),
            DataType::Utf8View => tally(&self.regex, array.as_string_view().iter(), count),
            _ => return false,
        }
        true
    }
}

/// The comparisons of `p` when its value on a non-null value `x` is decided
/// by comparisons of `x` with constants and by `x IS [NOT] NULL` alone,
/// joined by AND, OR and NOT.
///
/// Each comparison is monotone in `x` in Arrow's total order (NaN above every
/// number), which `DataFusion` compares in with -0.0 taken as 0.0; casts
/// between numbers keep that order. So when every comparison has
/// the same value at a batch's smallest and largest value, it has that value
/// on every value in between, and so has `p`: the batch is settled without
/// evaluating `p` per row. `between` checks and range conditions on columns
/// with many values are settled that way when the data lies in their bounds.
pub fn range_atoms(p: &Arc<dyn PhysicalExpr>) -> Option<Vec<Arc<dyn PhysicalExpr>>> {
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::expressions::{BinaryExpr, IsNotNullExpr, IsNullExpr, Literal, NotExpr};
    if let Some(b) = p.downcast_ref::<BinaryExpr>() {
        return match b.op() {
            Operator::And | Operator::Or => {
                let mut atoms = range_atoms(b.left())?;
                atoms.extend(range_atoms(b.right())?);
                Some(atoms)
            }
            Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq => {
                let literal = |e: &Arc<dyn PhysicalExpr>| e.is::<Literal>();
                let compares = (is_value(b.left()) && literal(b.right())) || (literal(b.left()) && is_value(b.right()));
                compares.then(|| vec![Arc::clone(p)])
            }
            _ => None,
        };
    }
    if let Some(n) = p.downcast_ref::<NotExpr>() {
        return range_atoms(n.arg());
    }
    let column = |e: &Arc<dyn PhysicalExpr>| e.is::<datafusion::physical_expr::expressions::Column>();
    let null_test = p.downcast_ref::<IsNullExpr>().is_some_and(|e| column(e.arg()))
        || p.downcast_ref::<IsNotNullExpr>().is_some_and(|e| column(e.arg()));
    (null_test || p.is::<Literal>()).then(Vec::new)
}

/// The column, or the column cast from one number type to another.
fn is_value(e: &Arc<dyn PhysicalExpr>) -> bool {
    use datafusion::physical_expr::expressions::{CastExpr, Column, TryCastExpr};
    let numeric_cast = |inner: &Arc<dyn PhysicalExpr>, to: &DataType| inner.is::<Column>() && to.is_numeric();
    e.is::<Column>()
        || e.downcast_ref::<CastExpr>().is_some_and(|c| numeric_cast(c.expr(), c.cast_type()))
        || e.downcast_ref::<TryCastExpr>().is_some_and(|c| numeric_cast(c.expr(), c.cast_type()))
}

/// The value of `p` (true, false or null) on every non-null value of a batch
/// whose smallest and largest values are the two rows of `range`; `None`
/// when that is not settled.
fn settled(p: &Arc<dyn PhysicalExpr>, atoms: &[Arc<dyn PhysicalExpr>], range: &RecordBatch) -> Result<Option<Truth>> {
    let at_ends = |e: &Arc<dyn PhysicalExpr>| -> Result<Option<bool>> {
        let result = e.evaluate(range)?.into_array(2)?;
        let Some(b) = result.as_boolean_opt() else { return Ok(None) };
        Ok((b.is_valid(0) && b.is_valid(1) && b.value(0) == b.value(1)).then(|| b.value(0)))
    };
    for atom in atoms {
        if at_ends(atom)?.is_none() {
            return Ok(None);
        }
    }
    // Every comparison is constant over the range, so `p` is: its value at either end.
    let result = p.evaluate(range)?.into_array(2)?;
    Ok(result.as_boolean_opt().map(|b| Truth::of(b.is_valid(0).then(|| b.value(0)))))
}

/// The smallest and largest non-null values of a primitive array, in Arrow's
/// total order (as its comparisons order them); `None` when it has none.
fn bounds(array: &ArrayRef) -> Option<ArrayRef> {
    use datafusion::arrow::array::{ArrowPrimitiveType, PrimitiveArray, downcast_primitive_array};
    use datafusion::arrow::datatypes::ArrowNativeTypeOp;
    fn of<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>) -> Option<ArrayRef> {
        let values = a.values();
        let mut valid: Box<dyn Iterator<Item = T::Native>> = match a.nulls() {
            None => Box::new(values.iter().copied()),
            Some(n) => Box::new(n.valid_indices().map(|i| values[i])),
        };
        let first = valid.next()?;
        let (lo, hi) = valid
            .fold((first, first), |(lo, hi), v| (if v.is_lt(lo) { v } else { lo }, if hi.is_lt(v) { v } else { hi }));
        let ends = PrimitiveArray::<T>::from_iter_values([lo, hi]).with_data_type(a.data_type().clone());
        Some(Arc::new(ends))
    }
    downcast_primitive_array!(
        array => of(array),
        _ => None
    )
}

impl PartialEq for Predicates {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns
            && self.logical == other.logical
            && self.schema == other.schema
            && self.bounds == other.bounds
            && self.sampled == other.sampled
            && self.sample_size == other.sample_size
    }
}

impl Eq for Predicates {}

impl Hash for Predicates {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.columns.hash(state);
        self.bounds.hash(state);
        self.logical.hash(state);
        self.sampled.hash(state);
        self.sample_size.hash(state);
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PredicatesUdaf {
    predicates: Predicates,
    signature: Signature,
}

fn counts_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int64, false)))
}

/// The result's fields: the counts, the smallest and largest values of the
/// (first) column, of type `t` (null unless asked for), and the samples
/// kept: their rows (Arrow row format) and counts one sample after the
/// other, and where each sample ends in them.
fn result_fields(t: &DataType) -> Fields {
    let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, false)));
    Fields::from(vec![
        Field::new("counts", counts_type(), false),
        Field::new("min", t.clone(), true),
        Field::new("max", t.clone(), true),
        Field::new("sample_rows", list(DataType::Binary), false),
        Field::new("sample_counts", list(DataType::UInt64), false),
        Field::new("sample_ends", list(DataType::UInt64), false),
    ])
}

/// `items` as a one-row list.
fn one_row_list(items: ArrayRef) -> ArrayRef {
    let field = Arc::new(Field::new_list_field(items.data_type().clone(), false));
    Arc::new(ListArray::new(field, OffsetBuffer::from_lengths([items.len()]), items, None))
}

impl AggregateUDFImpl for PredicatesUdaf {
    fn name(&self) -> &'static str {
        "probity_predicates"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields(self.predicates.schema.field(0).data_type())))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PredicateAccumulator::new(self.predicates.clone())?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let fields = result_fields(self.predicates.schema.field(0).data_type());
        Ok(fields
            .iter()
            .map(|f| Arc::new(f.as_ref().clone().with_name(format_state_name(args.name, f.name()))))
            .collect())
    }
}

/// Distinct values and how often each occurs.
#[derive(Debug)]
enum Values {
    /// Strings, counted as the drift categories are.
    Strings(Box<CategoryAccumulator>),
    /// Fixed-width values by their bytes (at most 16), zero-extended.
    Fixed { width: usize, batch: ViewCounts, counts: HashMap<u128, u64> },
}

impl Values {
    fn new(t: &DataType) -> Self {
        match t.primitive_width() {
            Some(width) if t.is_primitive() => Self::Fixed { width, batch: ViewCounts::new(), counts: HashMap::new() },
            _ => Self::Strings(Box::default()),
        }
    }

    fn distinct(&self) -> usize {
        match self {
            Self::Strings(s) => s.distinct(),
            Self::Fixed { counts, .. } => counts.len(),
        }
    }

    fn add(&mut self, array: &ArrayRef) -> Result<()> {
        match self {
            Self::Strings(s) => s.update_batch(std::slice::from_ref(array)),
            Self::Fixed { width, batch, counts } => {
                let data = array.to_data();
                let bytes = &data.buffers()[0].as_slice()[data.offset() * *width..];
                let key = |i: usize| {
                    let mut raw = [0u8; 16];
                    raw[..*width].copy_from_slice(&bytes[i * *width..(i + 1) * *width]);
                    u128::from_le_bytes(raw)
                };
                let mut flush = |batch: &mut ViewCounts| batch.drain(|k, n| *counts.entry(k).or_insert(0) += n);
                let mut add = |i: usize| {
                    if !batch.count(key(i), 0) {
                        flush(batch);
                    }
                };
                match array.nulls() {
                    None => (0..array.len()).for_each(&mut add),
                    Some(nulls) => nulls.valid_indices().for_each(&mut add),
                }
                flush(batch);
                Ok(())
            }
        }
    }

    /// The distinct values as an array of type `t`, with their counts.
    fn take(&mut self, t: &DataType) -> Result<(ArrayRef, Vec<u64>)> {
        match self {
            Self::Strings(s) => {
                let (values, counts): (Vec<String>, Vec<u64>) = s.finish().into_iter().unzip();
                **s = CategoryAccumulator::default();
                let values = datafusion::arrow::compute::cast(&StringArray::from(values), t)?;
                Ok((values, counts))
            }
            Self::Fixed { width, counts, .. } => {
                let (keys, n): (Vec<u128>, Vec<u64>) = counts.drain().unzip();
                // An Arrow buffer, aligned for any primitive type.
                let mut bytes = MutableBuffer::with_capacity(keys.len() * *width);
                for k in &keys {
                    bytes.extend_from_slice(&k.to_le_bytes()[..*width]);
                }
                let data = ArrayData::builder(t.clone()).len(keys.len()).add_buffer(bytes.into()).build()?;
                Ok((datafusion::arrow::array::make_array(data), n))
            }
        }
    }
}

/// Counts per predicate, by value while a single column has few values.
#[derive(Debug)]
pub struct PredicateAccumulator {
    predicates: Predicates,
    counts: Vec<Counts>,
    /// `None` once the partition has seen more values than it counts, or
    /// from the start when counting would not pay (or there are two columns
    /// or more).
    values: Option<Values>,
    nulls: u64,
    /// Per predicate, its value on null (empty until needed; one column only).
    on_null: Vec<Truth>,
    /// The smallest and largest values seen, when tracked.
    range: Option<ArrayRef>,
    /// Per predicate, its sample when it keeps one.
    samples: Vec<Option<SampleAccumulator>>,
}

impl PredicateAccumulator {
    fn new(predicates: Predicates) -> Result<Self> {
        let t = predicates.schema.field(0).data_type().clone();
        let counts = vec![Counts::default(); predicates.physical.len()];
        let all_ranges = predicates.ranged.iter().all(Option::is_some);
        let one_column = predicates.columns.len() == 1;
        let values = (one_column && !all_ranges).then(|| Values::new(&t));
        let samples = predicates.sample_accumulators()?;
        Ok(Self { predicates, counts, values, nulls: 0, on_null: Vec::new(), range: None, samples })
    }

    /// Widens the tracked range to take in `ends` (the bounds of more values).
    fn widen(&mut self, ends: Option<ArrayRef>) -> Result<()> {
        let Some(ends) = ends else { return Ok(()) };
        self.range = match self.range.take() {
            None => Some(ends),
            Some(range) => bounds(&datafusion::arrow::compute::concat(&[&range, &ends])?),
        };
        Ok(())
    }

    /// Evaluates the predicates on the values counted so far.
    fn settle(&mut self) -> Result<()> {
        let t = self.predicates.schema.field(0).data_type().clone();
        if let Some(values) = &mut self.values {
            let (array, weights) = values.take(&t)?;
            self.predicates.count(std::slice::from_ref(&array), Some(&weights), &mut self.counts, &mut self.samples)?;
            if self.predicates.bounds {
                self.widen(bounds(&array))?;
            }
        }
        if self.nulls > 0 {
            let null = new_null_array(&t, 1);
            self.predicates.count(&[null], Some(&[self.nulls]), &mut self.counts, &mut self.samples)?;
            self.nulls = 0;
        }
        Ok(())
    }

    /// Counts a batch row by row, except the predicates its range settles
    /// (one column only).
    fn count_rows(&mut self, columns: &[ArrayRef]) -> Result<()> {
        let p = &self.predicates;
        let range = match columns {
            [array] if p.bounds || p.ranged.iter().any(Option::is_some) => bounds(array),
            _ => None,
        };
        if p.bounds {
            self.widen(range.clone())?;
        }
        let p = &self.predicates;
        let Some(range) = range.filter(|_| p.ranged.iter().any(Option::is_some)) else {
            return p.count(columns, None, &mut self.counts, &mut self.samples);
        };
        let array = &columns[0];
        let nulls = array.null_count() as u64;
        if nulls > 0 {
            self.find_on_null()?;
        }
        let p = &self.predicates;
        let range = RecordBatch::try_new(Arc::clone(&p.schema), vec![range])?;
        let present = array.len() as u64 - nulls;
        for i in 0..p.physical.len() {
            let settled = match &p.ranged[i] {
                Some(atoms) => settled(&p.physical[i], atoms, &range)?,
                None => None,
            };
            // A sampled predicate settled to its sampled value takes its
            // rows row by row, into the sample.
            let offends = |v: Truth| p.sampled[i].is_some_and(|when| v == Truth::of(Some(when)));
            let settled = settled.filter(|&v| !(offends(v) || nulls > 0 && offends(self.on_null[i])));
            let Some(value) = settled else {
                let samples = std::slice::from_mut(&mut self.samples[i]);
                p.only(i).count(columns, None, std::slice::from_mut(&mut self.counts[i]), samples)?;
                continue;
            };
            self.counts[i].add(value, present);
            if nulls > 0 {
                self.counts[i].add(self.on_null[i], nulls);
            }
        }
        Ok(())
    }

    /// Finds each predicate's value on a null value (once).
    fn find_on_null(&mut self) -> Result<()> {
        if self.on_null.is_empty() {
            let t = self.predicates.schema.field(0).data_type().clone();
            let mut counts = vec![Counts::default(); self.counts.len()];
            self.predicates.count(&[new_null_array(&t, 1)], None, &mut counts, &mut [])?;
            self.on_null = counts.iter().map(|c| Truth::of((c.true_ + c.false_ > 0).then_some(c.true_ > 0))).collect();
        }
        Ok(())
    }

    /// Adds the samples of other accumulators' states ([`Self::result`]).
    fn merge_samples(&mut self, rows: &ArrayRef, counts: &ArrayRef, ends: &ArrayRef) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a predicate sample state has unexpected types".into());
        let (rows, counts, ends) = (
            rows.as_list_opt::<i32>().ok_or_else(unexpected)?,
            counts.as_list_opt::<i32>().ok_or_else(unexpected)?,
            ends.as_list_opt::<i32>().ok_or_else(unexpected)?,
        );
        for state in 0..rows.len() {
            let parts = samples_of(&rows.value(state), &counts.value(state), &ends.value(state))?;
            if parts.len() != self.samples.iter().flatten().count() {
                return Err(unexpected());
            }
            for (sample, (r, c)) in self.samples.iter_mut().flatten().zip(parts) {
                sample.merge_parts(&r, &c)?;
            }
        }
        Ok(())
    }

    /// The result (and state): the counts, the smallest and largest values.
    fn result(&mut self) -> Result<StructArray> {
        self.settle()?;
        let as_i64 = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
        let counts: Int64Array = self.counts.iter().flat_map(|c| [as_i64(c.true_), as_i64(c.false_)]).collect();
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Int64, false)),
            datafusion::arrow::buffer::OffsetBuffer::from_lengths([counts.len()]),
            Arc::new(counts),
            None,
        );
        let t = self.predicates.schema.field(0).data_type();
        let (lo, hi) = match &self.range {
            Some(range) => (range.slice(0, 1), range.slice(1, 1)),
            None => (new_null_array(t, 1), new_null_array(t, 1)),
        };
        let (mut rows, mut counts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
        for sample in self.samples.iter().flatten() {
            let (r, c) = sample.parts();
            rows.extend(r.iter().flatten().map(<[u8]>::to_vec));
            counts.extend_from_slice(c.values());
            ends.push(counts.len() as u64);
        }
        let samples = [
            one_row_list(Arc::new(BinaryArray::from_iter_values(rows))),
            one_row_list(Arc::new(UInt64Array::from(counts))),
            one_row_list(Arc::new(UInt64Array::from(ends))),
        ];
        let mut columns = vec![Arc::new(list) as ArrayRef, lo, hi];
        columns.extend(samples);
        Ok(StructArray::try_new(result_fields(t), columns, None)?)
    }
}

impl Accumulator for PredicateAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(counted) = &mut self.values else {
            return self.count_rows(values);
        };
        let array = &values[0];
        counted.add(array)?;
        self.nulls += array.null_count() as u64;
        let limit = if matches!(counted, Values::Strings(_)) { MAX_STRINGS } else { MAX_FIXED };
        if counted.distinct() > limit {
            self.settle()?;
            self.values = None;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a predicate count state has unexpected types".into());
        let [lists, lo, hi, rows, counts, ends] = states else { return Err(unexpected()) };
        self.merge_samples(rows, counts, ends)?;
        if self.predicates.bounds {
            self.widen(bounds(&datafusion::arrow::compute::concat(&[lo.as_ref(), hi.as_ref()])?))?;
        }
        let lists = lists.as_list_opt::<i32>().ok_or_else(unexpected)?;
        for row in 0..lists.len() {
            let counts = lists.value(row);
            let counts = counts.as_primitive_opt::<Int64Type>().ok_or_else(unexpected)?;
            if counts.len() != 2 * self.counts.len() {
                return Err(unexpected());
            }
            for (total, n) in self.counts.iter_mut().zip(counts.values().chunks_exact(2)) {
                total.true_ += n[0].max(0) as u64;
                total.false_ += n[1].max(0) as u64;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let result = self.result()?;
        result.columns().iter().map(|c| ScalarValue::try_from_array(c, 0)).collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Struct(Arc::new(self.result()?)))
    }

    fn size(&self) -> usize {
        let values = match &self.values {
            None => 0,
            Some(Values::Strings(s)) => s.size(),
            Some(Values::Fixed { counts, .. }) => counts.capacity() * (size_of::<(u128, u64)>() + 1) + 24 * 1024,
        };
        let samples: usize = self.samples.iter().flatten().map(Accumulator::size).sum();
        size_of::<Self>() + self.counts.capacity() * size_of::<Counts>() + values + samples
    }
}

/// The count of kind `kind` of predicate `i` in a `probity_predicates` result.
pub fn count_at(array: &dyn Array, i: usize, kind: Kind) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a predicate count result has unexpected types".into());
    let result = array.as_struct_opt().ok_or_else(unexpected)?;
    let list = result.column(0).as_list_opt::<i32>().ok_or_else(unexpected)?.value(0);
    let counts = list.as_primitive_opt::<Int64Type>().ok_or_else(unexpected)?;
    if 2 * i + 1 >= counts.len() {
        return Err(unexpected());
    }
    let (t, f) = (counts.value(2 * i), counts.value(2 * i + 1));
    Ok(ScalarValue::Int64(Some(match kind {
        Kind::True => t,
        Kind::False => f,
        Kind::Known => t.saturating_add(f),
    })))
}

/// The samples of a result or state's `sample_*` items: each sample's rows
/// and counts ([`SampleAccumulator::parts`]).
fn samples_of(rows: &ArrayRef, counts: &ArrayRef, ends: &ArrayRef) -> Result<Vec<(BinaryArray, UInt64Array)>> {
    let unexpected = || DataFusionError::Internal("a predicate sample has unexpected types".into());
    let rows = rows.as_binary_opt::<i32>().ok_or_else(unexpected)?;
    let counts = counts.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
    let ends = ends.as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
    let mut start = 0;
    let mut out = Vec::new();
    for &end in ends.values() {
        let end = usize::try_from(end).map_err(|_| unexpected())?;
        if end < start || end > rows.len() || rows.len() != counts.len() {
            return Err(unexpected());
        }
        out.push((rows.slice(start, end - start), counts.slice(start, end - start)));
        start = end;
    }
    Ok(out)
}

/// Sample `slot` (counting only the predicates that keep one, in order) of
/// a `probity_predicates` result: its rows and counts.
pub fn sample_at(array: &dyn Array, slot: usize) -> Result<(BinaryArray, UInt64Array)> {
    let unexpected = || DataFusionError::Internal("a predicate sample result has unexpected types".into());
    let result = array.as_struct_opt().ok_or_else(unexpected)?;
    let item = |c: usize| result.column(c).as_list_opt::<i32>().map(|l| l.value(0)).ok_or_else(unexpected);
    let mut samples = samples_of(&item(3)?, &item(4)?, &item(5)?)?;
    if slot >= samples.len() {
        return Err(unexpected());
    }
    Ok(samples.swap_remove(slot))
}

/// The column's smallest (`max` false) or largest value in a
/// `probity_predicates` result made [`Predicates::with_bounds`].
pub fn bound_at(array: &dyn Array, max: bool) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a predicate bounds result has unexpected types".into());
    let result = array.as_struct_opt().ok_or_else(unexpected)?;
    ScalarValue::try_from_array(result.column(if max { 2 } else { 1 }), 0)
}

/// A schema of `columns`, each with its type.
pub fn columns_schema<'a>(columns: impl IntoIterator<Item = (&'a str, &'a DataType)>) -> SchemaRef {
    Arc::new(Schema::new(columns.into_iter().map(|(c, t)| Field::new(c, t.clone(), true)).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Float64Array;
    use datafusion::common::DFSchema;
    use datafusion::functions::expr_fn::regexp_like;
    use datafusion::logical_expr::{col, lit, not};
    use datafusion::prelude::SessionContext;

    use super::*;

    fn physical(e: Expr) -> Arc<dyn PhysicalExpr> {
        let schema = DFSchema::try_from(columns_schema([("x", &DataType::Float64)])).unwrap();
        SessionContext::new().state().create_physical_expr(e, &schema).unwrap()
    }

    #[test]
    fn comparisons_with_constants_are_settled_by_range_others_are_not() {
        let x = || col("x");
        let between = physical(not(x().gt_eq(lit(0.0)).and(x().lt_eq(lit(1.0)))));
        assert_eq!(range_atoms(&between).map(|a| a.len()), Some(2));
        let missing = physical(x().is_null().or(x().lt(lit(-1.0))));
        assert_eq!(range_atoms(&missing).map(|a| a.len()), Some(1));
        for other in [
            x().eq(lit(5.0)),
            x().in_list(vec![lit(1.0), lit(2.0)], false),
            x().gt(x()),
            regexp_like(datafusion::logical_expr::cast(x(), DataType::Utf8), lit("1"), None),
        ] {
            assert!(range_atoms(&physical(other.clone())).is_none(), "{other}");
        }

        let schema = columns_schema([("x", &DataType::Float64)]);
        let range = |lo: f64, hi: f64| {
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Float64Array::from(vec![lo, hi]))]).unwrap()
        };
        let atoms = range_atoms(&between).unwrap();
        assert_eq!(settled(&between, &atoms, &range(0.2, 0.9)).unwrap(), Some(Truth::False));
        assert_eq!(settled(&between, &atoms, &range(1.5, 7.0)).unwrap(), Some(Truth::True));
        assert_eq!(settled(&between, &atoms, &range(0.5, 1.5)).unwrap(), None);
        // NaN sorts above every number, as Arrow compares: a NaN maximum is out of bounds.
        assert_eq!(settled(&between, &atoms, &range(0.5, f64::NAN)).unwrap(), None);
        // -0.0 sorts below 0.0 in the range, but DataFusion compares it as
        // 0.0: still monotone, and settled as a row would be.
        let negative = physical(x().lt(lit(0.0)));
        assert_eq!(
            settled(&negative, &range_atoms(&negative).unwrap(), &range(-0.0, 2.0)).unwrap(),
            Some(Truth::False)
        );
    }

    #[test]
    fn regexes_matched_directly_count_what_regexp_like_gives() {
        use datafusion::arrow::array::{LargeStringArray, StringViewArray};
        let values = vec![
            Some("ann.lee@example.com"),
            None,
            Some("no-at-sign.example.com"),
            Some("two@@example.com"),
            Some("a b@example.com"),
            Some("@example.com"),
            Some("x@"),
            Some(""),
            Some("ünïcode@exämple.test"),
            Some("tab\t@x.test"),
            Some("q@x.test\n"),
        ];
        let patterns = [r"^[^@\s]+@[^@\s]+$", "example", r"(?i)EXAMPLE\.(com|org)$", "", r"\d+"];
        let arrays: Vec<(DataType, ArrayRef)> = vec![
            (DataType::Utf8, Arc::new(StringArray::from(values.clone()))),
            (DataType::LargeUtf8, Arc::new(LargeStringArray::from(values.clone()))),
            (DataType::Utf8View, Arc::new(StringViewArray::from(values.clone()))),
        ];
        for (t, array) in &arrays {
            let schema = columns_schema([("s", t)]);
            let df_schema = DFSchema::try_from(Arc::clone(&schema)).unwrap();
            for pattern in patterns {
                let e = regexp_like(col("s"), lit(pattern), None);
                let p = SessionContext::new().state().create_physical_expr(e.clone(), &df_schema).unwrap();
                let direct = RegexMatch::of(&p).unwrap_or_else(|| panic!("{e} on {t} is matched directly"));
                let mut fast = Counts::default();
                assert!(direct.count(std::slice::from_ref(array), &mut fast));
                // As DataFusion evaluates it, row by row.
                let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::clone(array)]).unwrap();
                let holds = p.evaluate(&batch).unwrap().into_array(batch.num_rows()).unwrap();
                let holds = holds.as_boolean();
                let t_ = holds.true_count() as u64;
                let f_ = (holds.len() - holds.null_count()) as u64 - t_;
                assert_eq!((fast.true_, fast.false_), (t_, f_), "{pattern} on {t}");
            }
        }
        // Not a plain regexp_like(column, literal): evaluated as before.
        let schema = DFSchema::try_from(columns_schema([("s", &DataType::Utf8)])).unwrap();
        let flags = regexp_like(col("s"), lit("a"), Some(lit("i")));
        let flags = SessionContext::new().state().create_physical_expr(flags, &schema).unwrap();
        assert!(RegexMatch::of(&flags).is_none());
    }

    #[test]
    fn bounds_follow_arrows_total_order() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(0.0), None, Some(-0.0), Some(f64::NAN), Some(-3.0)]));
        let b = bounds(&a).unwrap();
        let b = b.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        assert_eq!(b.value(0), -3.0);
        assert!(b.value(1).is_nan());
        let empty: ArrayRef = Arc::new(Float64Array::from(vec![None, None]));
        assert!(bounds(&empty).is_none());
    }
}
