//! `probity_quantiles(column)`: several approximate quantiles of one column
//! from one t-digest.
//!
//! `approx_percentile_cont` and `approx_median` each build a t-digest of
//! their column, sorting every batch: the costliest aggregates of a suite.
//! Checks asking for several quantiles of one column share one digest here.
//! It is built exactly as `DataFusion`'s accumulator builds it (same size,
//! nulls dropped, each batch sorted and merged), so the quantiles are the
//! same numbers those functions return.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{filter, is_not_null, sort};
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

fn quantiles_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for QuantilesUdaf {
    fn name(&self) -> &'static str {
        "probity_quantiles"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(quantiles_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let qs = self.qs.iter().map(|q| q.0).collect();
        Ok(Box::new(QuantileAccumulator { digest: TDigest::new(DEFAULT_MAX_SIZE), qs }))
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
}

impl Accumulator for QuantileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let mut values = Arc::clone(&values[0]);
        if values.null_count() > 0 {
            values = filter(&values, &is_not_null(&values)?)?;
        }
        let sorted = sort(&values, None)?;
        let sorted = sorted
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| DataFusionError::Internal("quantiles of a value that is not f64".into()))?;
        self.digest = self.digest.merge_sorted_f64(sorted.values());
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
        let item = Arc::new(Field::new_list_field(DataType::Float64, true));
        let list = ListArray::new(item, OffsetBuffer::from_lengths([qs.len()]), Arc::new(qs), None);
        Ok(ScalarValue::List(Arc::new(list)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.digest.size() - size_of_val(&self.digest) + self.qs.capacity() * 8
    }
}

/// Item `i` of a `probity_quantiles` result.
pub fn quantile_at(array: &dyn Array, i: usize) -> Result<ScalarValue> {
    let unexpected = || DataFusionError::Internal("a quantiles result has unexpected types".into());
    let list = array.as_list_opt::<i32>().ok_or_else(unexpected)?.value(0);
    let qs = list.as_primitive_opt::<Float64Type>().ok_or_else(unexpected)?;
    if i >= qs.len() {
        return Err(unexpected());
    }
    Ok(ScalarValue::Float64(qs.is_valid(i).then(|| qs.value(i))))
}
