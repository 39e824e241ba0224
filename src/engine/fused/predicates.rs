//! `probity_predicates(column)`: for several row predicates on one column,
//! how many rows each holds on, in one aggregate.
//!
//! Value checks (`in_set`, `regex`, `length`, `between`, `missing` with
//! placeholder values, single-column `condition`s) count the rows where a
//! predicate on one column holds. Evaluated per row, each costs a pass of its
//! own over the column. But a predicate on one column is a function of that
//! column's value: on a column with few distinct values it is enough to count
//! the values once and evaluate every predicate once per distinct value.
//!
//! The accumulator does that while the column has at most [`MAX_VALUES`]
//! distinct values in its partition. Past that it evaluates what it has
//! counted so far, stops counting values and evaluates the predicates per
//! batch, as a FILTER would. The counts are exact either way; only the cost
//! differs. Nulls are counted as one more value, so a predicate that holds on
//! null (`x IS NULL`) is counted as it would be row by row.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, Int64Array, ListArray, RecordBatch, StringArray, new_null_array,
};
use datafusion::arrow::buffer::MutableBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, Schema, SchemaRef};
use datafusion::common::{HashMap, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use datafusion::physical_expr::PhysicalExpr;

use crate::engine::drift::categorical::{CategoryAccumulator, ViewCounts};
use crate::engine::ident;

/// Distinct values a partition counts before it evaluates row by row.
pub const MAX_VALUES: usize = 10_000;

/// Whether values of this type can be counted: strings, and fixed-width
/// primitives (numbers, dates, times, decimals) of up to 16 bytes.
pub fn countable(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
        || (t.is_primitive() && t.primitive_width().is_some_and(|w| w <= 16))
}

/// The predicates of one column, planned against a schema of that column alone.
#[derive(Debug, Clone)]
pub struct Predicates {
    column: String,
    schema: SchemaRef,
    /// As written (for equality, hashing and plans).
    logical: Vec<Expr>,
    physical: Vec<Arc<dyn PhysicalExpr>>,
}

impl Predicates {
    /// `physical[i]` must be `logical[i]` planned against `schema` (the column alone).
    pub fn new(column: &str, schema: SchemaRef, logical: Vec<Expr>, physical: Vec<Arc<dyn PhysicalExpr>>) -> Self {
        Self { column: column.to_string(), schema, logical, physical }
    }

    /// The aggregate expression: a list of counts, one per predicate.
    pub fn expr(self) -> Expr {
        let column = self.column.clone();
        AggregateUDF::from(PredicatesUdaf { predicates: self, signature: Signature::any(1, Volatility::Immutable) })
            .call(vec![ident(&column)])
    }

    /// Rows of `values` where each predicate holds, each value weighted by
    /// `weights` (1 per row when `None`), added to `counts`.
    fn count(&self, values: &ArrayRef, weights: Option<&[u64]>, counts: &mut [u64]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), vec![Arc::clone(values)])?;
        for (p, count) in self.physical.iter().zip(counts.iter_mut()) {
            let result = p.evaluate(&batch)?.into_array(batch.num_rows())?;
            let holds = result
                .as_boolean_opt()
                .ok_or_else(|| DataFusionError::Internal(format!("predicate `{p}` is not boolean")))?;
            *count += match weights {
                None => holds.true_count() as u64,
                Some(w) => (0..holds.len()).filter(|&i| holds.is_valid(i) && holds.value(i)).map(|i| w[i]).sum(),
            };
        }
        Ok(())
    }
}

impl PartialEq for Predicates {
    fn eq(&self, other: &Self) -> bool {
        self.column == other.column && self.logical == other.logical && self.schema == other.schema
    }
}

impl Eq for Predicates {}

impl Hash for Predicates {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.column.hash(state);
        self.logical.hash(state);
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

impl AggregateUDFImpl for PredicatesUdaf {
    fn name(&self) -> &'static str {
        "probity_predicates"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(counts_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PredicateAccumulator::new(self.predicates.clone())))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format_state_name(args.name, "counts"), counts_type(), false))])
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

/// Counts per predicate, by value while the column has few values.
#[derive(Debug)]
pub struct PredicateAccumulator {
    predicates: Predicates,
    counts: Vec<u64>,
    /// `None` once the partition has seen more than [`MAX_VALUES`] values.
    values: Option<Values>,
    nulls: u64,
}

impl PredicateAccumulator {
    fn new(predicates: Predicates) -> Self {
        let t = predicates.schema.field(0).data_type().clone();
        let counts = vec![0; predicates.physical.len()];
        Self { predicates, counts, values: Some(Values::new(&t)), nulls: 0 }
    }

    /// Evaluates the predicates on the values counted so far.
    fn settle(&mut self) -> Result<()> {
        let t = self.predicates.schema.field(0).data_type().clone();
        if let Some(values) = &mut self.values {
            let (array, weights) = values.take(&t)?;
            self.predicates.count(&array, Some(&weights), &mut self.counts)?;
        }
        if self.nulls > 0 {
            let null = new_null_array(&t, 1);
            self.predicates.count(&null, Some(&[self.nulls]), &mut self.counts)?;
            self.nulls = 0;
        }
        Ok(())
    }

    fn result(&mut self) -> Result<ScalarValue> {
        self.settle()?;
        let counts: Int64Array = self.counts.iter().map(|&n| Some(i64::try_from(n).unwrap_or(i64::MAX))).collect();
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Int64, false)),
            datafusion::arrow::buffer::OffsetBuffer::from_lengths([counts.len()]),
            Arc::new(counts),
            None,
        );
        Ok(ScalarValue::List(Arc::new(list)))
    }
}

impl Accumulator for PredicateAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let array = &values[0];
        let Some(counted) = &mut self.values else {
            return self.predicates.count(array, None, &mut self.counts);
        };
        counted.add(array)?;
        self.nulls += array.null_count() as u64;
        if counted.distinct() > MAX_VALUES {
            self.settle()?;
            self.values = None;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let unexpected = || DataFusionError::Internal("a predicate count state has unexpected types".into());
        let lists = states[0].as_list_opt::<i32>().ok_or_else(unexpected)?;
        for row in 0..lists.len() {
            let counts = lists.value(row);
            let counts = counts.as_primitive_opt::<Int64Type>().ok_or_else(unexpected)?;
            if counts.len() != self.counts.len() {
                return Err(unexpected());
            }
            for (total, &n) in self.counts.iter_mut().zip(counts.values()) {
                *total += n.max(0) as u64;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.result()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.result()
    }

    fn size(&self) -> usize {
        let values = match &self.values {
            None => 0,
            Some(Values::Strings(s)) => s.size(),
            Some(Values::Fixed { counts, .. }) => counts.capacity() * (size_of::<(u128, u64)>() + 1) + 24 * 1024,
        };
        size_of::<Self>() + self.counts.capacity() * 8 + values
    }
}

/// Item `i` of a `probity_predicates` result.
pub fn count_at(array: &dyn Array, i: usize) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a predicate count result has unexpected types".into());
    let list = array.as_list_opt::<i32>().ok_or_else(unexpected)?.value(0);
    let counts = list.as_primitive_opt::<Int64Type>().ok_or_else(unexpected)?;
    (i < counts.len()).then(|| ScalarValue::Int64(Some(counts.value(i)))).ok_or_else(unexpected)
}

/// A one-column schema for `column` of type `t`.
pub fn column_schema(column: &str, t: &DataType) -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(column, t.clone(), true)]))
}
