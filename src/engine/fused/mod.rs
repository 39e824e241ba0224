//! The fused scan: every scalar metric of a dataset in one aggregate query,
//! with the metrics that can share work rewritten to share it.
//!
//! Checks ask for plain aggregate expressions ([`DatasetPlan::scalars`]).
//! Two families are costly per expression and are computed together instead:
//!
//! - counts of rows where a predicate holds, fails or is known
//!   (`count(*) FILTER (WHERE p)`, `count(*) FILTER (WHERE NOT p)`,
//!   `count(p)`) go, per set of columns `p` reads, into one [`predicates`]
//!   aggregate, which evaluates each predicate once for all three, and once
//!   per distinct value when it reads one column with few values;
//! - approximate quantiles of one column (`approx_percentile_cont`,
//!   `approx_median`) share one t-digest ([`quantiles`]), which sorts each
//!   batch with a radix sort (one quantile alone goes there too);
//! - exact quantiles of one f64 column (`percentile_cont`) share one
//!   [`percentiles`] aggregate, which counts the values while they are few
//!   and finds the ranks among the sorted distinct values;
//! - a column's `min` and `max` come from its [`predicates`] aggregate when
//!   it has one (the ranges and counted values give them for free);
//! - the variance and standard deviation of one column, and its mean when
//!   one of those is asked for, come from one [`moments`] aggregate, which
//!   summarises each batch in vectorised passes instead of per row.
//!
//! Every other expression is computed as written. Results are mapped back,
//! so each check reads the same value, of the same type, it asked for.

mod moments;
mod percentiles;
mod predicates;
mod quantiles;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray, RecordBatch, StructArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Expr, ExprSchemable};

use crate::compile::{DatasetPlan, MetricValue, ValueSample};
use crate::engine::sample::SampleAccumulator;
use moments::Moment;
use predicates::{Kind, Predicates};

/// Where a requested metric's value comes from.
#[derive(Debug, Clone)]
enum From {
    /// Column `agg` of the result.
    Direct { agg: usize },
    /// A count of predicate `test` of a [`predicates`] aggregate.
    Predicate { agg: usize, test: usize, kind: Kind },
    /// Item `item` of a [`quantiles`] or [`percentiles`] aggregate, cast to the type asked for.
    Quantile { agg: usize, item: usize, as_type: DataType },
    /// The smallest or largest value from a [`predicates`] aggregate.
    Bound { agg: usize, max: bool },
    /// A statistic of a [`moments`] aggregate.
    Moment { agg: usize, moment: Moment },
}

/// The aggregates of a dataset's fused scan, and how to read each metric back.
#[derive(Debug)]
pub struct FusedScan {
    /// Aliased aggregate expressions, for `DataFrame::aggregate`.
    pub aggs: Vec<Expr>,
    from: Vec<From>,
    /// The failing samples kept while scanning ([`DatasetPlan::value_samples`]).
    samples: Vec<FusedSample>,
    /// Where the `extra` aggregates of [`Self::new`] start.
    extra_at: usize,
}

/// A failing sample kept by the scan: sample `slot` of the [`predicates`]
/// aggregate in column `agg`, of a column of type `column_type`.
///
/// Only samples that share their predicate's evaluation with a count are
/// kept here. A `Rows` sample (or a value sample whose `where` reads another
/// column) would evaluate its predicate a second time on every batch of every
/// run, passing or not: measured on bench/suite120.yaml (24 such checks),
/// that made the passing run 30% slower, so those samples are fetched by
/// the pass after the scan, for failed checks only ([`crate::engine`]'s
/// `samples`).
#[derive(Debug)]
struct FusedSample {
    /// The rows sampled and the column shown.
    request: ValueSample,
    agg: usize,
    slot: usize,
    column_type: DataType,
}

/// A failing sample found by the fused scan: what it samples and the `k`
/// smallest distinct offending rows with their counts
/// ([`SampleAccumulator::rows`]).
pub struct ScanSample {
    pub request: ValueSample,
    pub kept: StructArray,
}

/// A count of a predicate's rows, `(columns, p, kind)`: `count(*) FILTER
/// (WHERE p)` (rows where `p` is true; where `q` is false when `p` is
/// `NOT q`) or `count(p)` (where `p` is not null), `p` a boolean expression
/// of `columns` (sorted): one countable column, or several of any type.
fn predicate_count<'a>(e: &'a Expr, schema: &DFSchema) -> Option<(Vec<String>, &'a Expr, Kind)> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if func.name() != "count" || params.distinct || !params.order_by.is_empty() {
        return None;
    }
    let boolean = |p: &Expr| p.get_type(schema).is_ok_and(|t| t == DataType::Boolean);
    let counts_rows = |args: &[Expr]| matches!(args, [Expr::Literal(ScalarValue::Int64(Some(1)), _)]);
    let (p, kind) = match (params.args.as_slice(), params.filter.as_deref()) {
        (args, Some(Expr::Not(q))) if counts_rows(args) && boolean(q) => (q.as_ref(), Kind::False),
        (args, Some(p)) if counts_rows(args) => (p, Kind::True),
        ([p], None) if !matches!(p, Expr::Column(_) | Expr::Literal(..)) && boolean(p) => (p, Kind::Known),
        _ => return None,
    };
    if p.is_volatile() {
        return None;
    }
    let mut columns: Vec<String> = p.column_refs().iter().map(|c| c.name.clone()).collect();
    columns.sort();
    columns.dedup();
    let field = |c: &String| schema.field_with_unqualified_name(c).ok();
    let fits = match columns.as_slice() {
        [] => false,
        [c] => field(c).is_some_and(|f| predicates::countable(f.data_type())),
        _ => columns.iter().all(|c| field(c).is_some()),
    };
    fits.then_some((columns, p, kind))
}

/// An unfiltered `min` (false) or `max` (true) of a column: `(column, max)`.
fn bound(e: &Expr) -> Option<(&str, bool)> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if params.distinct || params.filter.is_some() || !params.order_by.is_empty() {
        return None;
    }
    let [Expr::Column(c)] = params.args.as_slice() else { return None };
    match func.name() {
        "min" => Some((c.name.as_str(), false)),
        "max" => Some((c.name.as_str(), true)),
        _ => None,
    }
}

/// An unfiltered approximate quantile: `(value, q)`.
fn quantile(e: &Expr) -> Option<(&Expr, f64)> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if params.distinct || params.filter.is_some() || params.order_by.len() > 1 {
        return None;
    }
    let descending = params.order_by.first().is_some_and(|s| !s.asc);
    let (value, q) = match (func.name(), params.args.as_slice()) {
        ("approx_median", [value]) => (value, 0.5),
        ("approx_percentile_cont", [value, Expr::Literal(q, _)]) => {
            let q = crate::util::numbers::scalar_f64(q)?;
            (value, if descending { 1.0 - q } else { q })
        }
        _ => return None,
    };
    let sorted_by_value = params.order_by.first().is_none_or(|s| s.expr == *value);
    sorted_by_value.then_some((value, q))
}

/// An unfiltered exact quantile (`percentile_cont`) of an f64 value, with
/// `q` strictly between 0 and 1 (`DataFusion` turns 0 and 1 into `min` and
/// `max`): `(value, q)`, `q` turned as `percentile_cont` turns it for a
/// descending order.
fn exact_quantile<'a>(e: &'a Expr, schema: &DFSchema) -> Option<(&'a Expr, f64)> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if func.name() != "percentile_cont" || params.distinct || params.filter.is_some() || params.order_by.len() > 1 {
        return None;
    }
    let [value, Expr::Literal(q, _)] = params.args.as_slice() else { return None };
    let q = crate::util::numbers::scalar_f64(q).filter(|q| *q > 0.0 && *q < 1.0)?;
    let sorted_by_value = params.order_by.first().is_none_or(|s| s.expr == *value);
    if !sorted_by_value || value.get_type(schema).ok()? != DataType::Float64 {
        return None;
    }
    let descending = params.order_by.first().is_some_and(|s| !s.asc);
    Some((value, if descending { 1.0 - q } else { q }))
}

/// An unfiltered mean, variance or standard deviation of a number: `(value, moment)`.
fn moment<'a>(e: &'a Expr, schema: &DFSchema) -> Option<(&'a Expr, Moment)> {
    let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if params.distinct || params.filter.is_some() || !params.order_by.is_empty() {
        return None;
    }
    let [value] = params.args.as_slice() else { return None };
    let m = Moment::of(func.name())?;
    moments::supported(&value.get_type(schema).ok()?).then_some((value, m))
}

/// The return type of a shared aggregate that gives several f64 values
/// ([`quantiles`], [`moments`]): a list.
fn f64_list_type() -> DataType {
    DataType::List(Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Float64, true)))
}

/// `items` as such an aggregate's result: a one-row list.
fn f64_list(items: Float64Array) -> ScalarValue {
    let item = Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Float64, true));
    let offsets = datafusion::arrow::buffer::OffsetBuffer::from_lengths([items.len()]);
    ScalarValue::List(Arc::new(ListArray::new(item, offsets, Arc::new(items), None)))
}

/// The items of such a result (its first row); `None` when it is not one.
fn f64_items(array: &dyn Array) -> Option<Float64Array> {
    let list = array.as_list_opt::<i32>()?.value(0);
    list.as_primitive_opt::<datafusion::arrow::datatypes::Float64Type>().cloned()
}

/// Items of one shared aggregate, in first-request order: `(key, [(metric, item)])`.
fn group<K: PartialEq, T>(items: impl Iterator<Item = (K, T)>) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for (key, item) in items {
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    groups
}

impl FusedScan {
    /// Plans `plan`'s scalars over a dataset of schema `schema`, and after
    /// them the `extra` aggregates ([`Self::extra`]). The value samples the
    /// plan may ask for ([`DatasetPlan::value_samples`]) are kept, `sample_size`
    /// values each (none for 0), by the aggregate that counts their rows.
    pub fn new(
        state: &SessionState,
        plan: &DatasetPlan,
        schema: &DFSchema,
        sample_size: usize,
        extra: Vec<Expr>,
    ) -> Result<Self> {
        let n = plan.scalars.len();
        let mut from: Vec<Option<From>> = vec![None; n];
        let mut aggs = Vec::new();
        let mut kept = Vec::new();

        let counts = plan
            .scalars
            .iter()
            .enumerate()
            .filter_map(|(i, e)| predicate_count(e, schema).map(|(columns, p, kind)| (columns, (i, p, kind))));
        for (columns, members) in group(counts) {
            let types = columns
                .iter()
                .map(|c| Ok(schema.field_with_unqualified_name(c)?.data_type().clone()))
                .collect::<Result<Vec<_>>>()?;
            let only = predicates::columns_schema(columns.iter().map(String::as_str).zip(&types));
            let only_df = DFSchema::try_from(Arc::clone(&only))?;
            let mut logical: Vec<Expr> = Vec::new();
            let mut physical = Vec::new();
            let mut items = Vec::new();
            for (i, p, kind) in members {
                let test = match logical.iter().position(|l| l == p) {
                    Some(test) => test,
                    // A predicate the planner cannot take alone stays as written.
                    None => match state.create_physical_expr(p.clone(), &only_df) {
                        Ok(phys) => {
                            logical.push(p.clone());
                            physical.push(phys);
                            logical.len() - 1
                        }
                        Err(_) => continue,
                    },
                };
                items.push((i, test, kind));
            }
            if items.is_empty() {
                continue;
            }
            let agg = aggs.len();
            let name = format!("p{agg}_{}", columns.join("_"));
            // The column's `min` and `max` come with it when it is one column.
            let bounds: Vec<(usize, bool)> = match columns.as_slice() {
                [c] => (0..n).filter_map(|i| bound(&plan.scalars[i]).filter(|b| b.0 == c).map(|b| (i, b.1))).collect(),
                _ => Vec::new(),
            };
            // Counts whose rows are a sample's keep it, when it shows their column's values.
            let mut sample_of: Vec<Option<(bool, &ValueSample)>> = vec![None; logical.len()];
            if let [column] = columns.as_slice()
                && sample_size > 0
            {
                for &(i, test, kind) in &items {
                    let Expr::AggregateFunction(AggregateFunction { params, .. }) = &plan.scalars[i] else { continue };
                    let Some(filter) = params.filter.as_deref().filter(|_| kind != Kind::Known) else { continue };
                    let request = plan.value_samples.iter().find(|r| r.offending == *filter && r.column == *column);
                    if let Some(request) = request.filter(|_| sample_of[test].is_none()) {
                        sample_of[test] = Some((kind == Kind::True, request));
                    }
                }
                for (slot, (_, request)) in sample_of.iter().flatten().enumerate() {
                    let (request, column_type) = ((*request).clone(), types[0].clone());
                    kept.push(FusedSample { request, agg, slot, column_type });
                }
            }
            let sampled = sample_of.iter().map(|s| s.map(|(when, _)| when)).collect();
            let mut predicates = Predicates::new(columns, only, logical, physical).with_samples(sampled, sample_size);
            if !bounds.is_empty() {
                predicates = predicates.with_bounds();
            }
            if predicates.has_bounds() {
                for (i, max) in bounds {
                    from[i] = Some(From::Bound { agg, max });
                }
            }
            aggs.push(predicates.expr().alias(name));
            for (i, test, kind) in items {
                from[i] = Some(From::Predicate { agg, test, kind });
            }
        }

        let qs = plan.scalars.iter().enumerate().filter_map(|(i, e)| quantile(e).map(|(v, q)| (v, (i, q))));
        for (value, members) in group(qs) {
            let agg = aggs.len();
            let q_list = members.iter().map(|&(_, q)| q).collect();
            aggs.push(quantiles::expr(value.clone(), q_list).alias(format!("q{agg}")));
            for (item, (i, _)) in members.into_iter().enumerate() {
                let as_type = plan.scalars[i].get_type(schema)?;
                from[i] = Some(From::Quantile { agg, item, as_type });
            }
        }

        let ps =
            plan.scalars.iter().enumerate().filter_map(|(i, e)| exact_quantile(e, schema).map(|(v, q)| (v, (i, q))));
        for (value, members) in group(ps) {
            let agg = aggs.len();
            let q_list = members.iter().map(|&(_, q)| q).collect();
            aggs.push(percentiles::expr(value.clone(), q_list).alias(format!("e{agg}")));
            for (item, (i, _)) in members.into_iter().enumerate() {
                let as_type = plan.scalars[i].get_type(schema)?;
                from[i] = Some(From::Quantile { agg, item, as_type });
            }
        }

        let ms = plan.scalars.iter().enumerate().filter_map(|(i, e)| moment(e, schema).map(|(v, m)| (v, (i, m))));
        for (value, members) in group(ms) {
            if members.iter().all(|&(_, m)| m == Moment::Mean) {
                continue; // `avg` alone costs no more as written
            }
            let agg = aggs.len();
            aggs.push(moments::expr(value.clone()).alias(format!("s{agg}")));
            for (i, moment) in members {
                from[i] = Some(From::Moment { agg, moment });
            }
        }

        let from = from
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                f.unwrap_or_else(|| {
                    aggs.push(plan.scalars[i].clone().alias(format!("m{i}")));
                    From::Direct { agg: aggs.len() - 1 }
                })
            })
            .collect();
        let extra_at = aggs.len();
        aggs.extend(extra.into_iter().enumerate().map(|(i, e)| e.alias(format!("x{i}"))));

        Ok(Self { aggs, from, samples: kept, extra_at })
    }

    /// The result of `extra` aggregate `i` in the scan's single result row.
    pub fn extra<'a>(&self, batch: &'a RecordBatch, i: usize) -> &'a ArrayRef {
        batch.column(self.extra_at + i)
    }

    /// The samples kept by the scan, from its single result row.
    pub fn samples(&self, batch: &RecordBatch, sample_size: usize) -> Result<Vec<ScanSample>> {
        self.samples
            .iter()
            .map(|s| {
                let (rows, counts) = predicates::sample_at(batch.column(s.agg).as_ref(), s.slot)?;
                let mut kept = SampleAccumulator::new(vec![s.column_type.clone()], sample_size)?;
                kept.merge_parts(&rows, &counts)?;
                Ok(ScanSample { request: s.request.clone(), kept: kept.rows()? })
            })
            .collect()
    }

    /// The metrics' values from the scan's single result row.
    pub fn values(&self, batch: &RecordBatch) -> Result<Vec<MetricValue>> {
        if batch.num_columns() != self.aggs.len() || batch.num_rows() == 0 {
            return Err(DataFusionError::Internal("the fused scan returned an unexpected shape".into()));
        }
        self.from
            .iter()
            .map(|f| {
                let v = match f {
                    From::Direct { agg } => ScalarValue::try_from_array(batch.column(*agg), 0)?,
                    From::Predicate { agg, test, kind } => predicates::count_at(batch.column(*agg), *test, *kind)?,
                    From::Quantile { agg, item, as_type } => {
                        let q = quantiles::quantile_at(batch.column(*agg), *item)?;
                        if q.data_type() == *as_type { q } else { q.cast_to(as_type)? }
                    }
                    From::Bound { agg, max } => predicates::bound_at(batch.column(*agg), *max)?,
                    From::Moment { agg, moment } => moments::moment_at(batch.column(*agg), *moment)?,
                };
                Ok(MetricValue::Scalar(v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Float32Array, Float64Array, Int32Array, Int64Array, StringViewArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::functions::expr_fn::{character_length, regexp_like};
    use datafusion::functions_aggregate::expr_fn::{
        approx_median, approx_percentile_cont, avg, count, max, min, stddev, stddev_pop, sum, var_pop, var_sample,
    };
    use datafusion::functions_aggregate::percentile_cont::percentile_cont;
    use datafusion::logical_expr::{col, lit, not};
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::compile::count_rows;

    /// `rows` rows: `few` (7 ints, some null), `many` (all distinct), `word`
    /// (9 strings, short and long, some null), `name` (all distinct strings),
    /// `f` (Float32 with a NaN), `g` (all distinct f64, a NaN, a -0.0 and a
    /// null), in batches of 1000 over 2 partitions.
    fn context(rows: usize) -> SessionContext {
        let schema = Arc::new(Schema::new(vec![
            Field::new("few", DataType::Int32, true),
            Field::new("many", DataType::Int64, true),
            Field::new("word", DataType::Utf8View, true),
            Field::new("name", DataType::Utf8View, true),
            Field::new("f", DataType::Float32, true),
            Field::new("g", DataType::Float64, true),
        ]));
        let words = ["a", "bb", "", "a much longer value", "x@y", "no at sign", "exactly12byt", "ZZ", "a"];
        let batch = |start: usize| {
            let range = || (start..(start + 1000).min(rows)).map(|i| i64::try_from(i).unwrap());
            let small = |i: i64, n: i64| i32::try_from(i % n).unwrap();
            let word = |i: i64| words[usize::try_from(i % 9).unwrap()];
            let wide = |i: i64| match i {
                20_500 => f64::NAN,
                7_000 => -0.0,
                _ => f64::from(i32::try_from(i).unwrap()) / 3.0,
            };
            let float = |i: i64| if i == 77 { f32::NAN } else { f32::from(u16::try_from(i % 500).unwrap()) / 7.0 };
            let columns: Vec<ArrayRef> = vec![
                Arc::new(range().map(|i| (i % 11 != 3).then_some(small(i, 7) - 2)).collect::<Int32Array>()),
                Arc::new(range().map(|i| (i % 97 != 0).then_some(i * 3 - 500)).collect::<Int64Array>()),
                Arc::new(range().map(|i| (i % 13 != 5).then(|| word(i))).collect::<StringViewArray>()),
                Arc::new(range().map(|i| Some(format!("user{i}@example.org"))).collect::<StringViewArray>()),
                Arc::new(range().map(|i| Some(float(i))).collect::<Float32Array>()),
                Arc::new(range().map(|i| (i != 900).then(|| wide(i))).collect::<Float64Array>()),
            ];
            RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()
        };
        let batches: Vec<RecordBatch> = (0..rows).step_by(1000).map(batch).collect();
        let half = batches.len().div_ceil(2);
        let parts = vec![batches[..half].to_vec(), batches[half..].to_vec()];
        let table = datafusion::datasource::MemTable::try_new(schema, parts).unwrap();
        let ctx = SessionContext::new();
        ctx.register_table("t", Arc::new(table)).unwrap();
        ctx
    }

    fn scalars() -> Vec<Expr> {
        let few = || col("few");
        let word = || col("word");
        let pattern = lit("^[^@]+@[^@]+$");
        let counts = [
            few().in_list(vec![lit(0), lit(1), lit(2)], false),
            not(few().gt_eq(lit(-2)).and(few().lt_eq(lit(3)))),
            few().is_null().or(few().in_list(vec![lit(4)], false)),
            col("many").lt(lit(0)).or(col("many").gt(lit(20_000))),
            col("many").is_null(),
            col("many").in_list(vec![lit(-497i64), lit(4i64), lit(89_996i64)], false),
            not(regexp_like(word(), pattern.clone(), None)),
            word().in_list(vec![lit("a"), lit("ZZ")], true),
            word().is_null().or(word().in_list(vec![lit("")], false)),
            not(character_length(word()).between(lit(1), lit(12))),
            not(regexp_like(col("name"), pattern, None)),
            col("f").gt(lit(30.0f32)),
            // Ranges on columns with many values: settled per batch from its range where it can be.
            col("many").gt_eq(lit(1.5f64)),
            col("many").is_null().or(col("many").gt(lit(80_000i64))),
            not(col("g").gt_eq(lit(0.0)).and(col("g").lt_eq(lit(5000.0)))),
            col("g").lt(lit(0.0)),
            // Two columns, each predicate asked for as true, false and known below.
            col("few").gt(col("many")),
            not(col("few").gt(col("many"))),
            not(character_length(word()).lt(few())),
            // False on one column: NOT of a predicate counted with the others.
            not(few().gt(lit(1))),
            not(col("g").lt(lit(100.0))),
        ];
        let mut exprs: Vec<Expr> = counts.into_iter().map(|p| count_rows(Some(p))).collect();
        // Known: rows where the predicate is not null.
        for p in [
            col("few").gt(col("many")),
            character_length(word()).lt(few()),
            few().gt(lit(1)),
            col("g").lt(lit(100.0)),
            col("g").gt(lit(ScalarValue::Float64(None))), // never known
            col("name").like(lit("user1%")),
        ] {
            exprs.push(count(p));
        }
        exprs.push(count(col("word")));
        exprs.push(sum(col("many")));
        for q in [0.05, 0.5, 0.95] {
            exprs.push(approx_percentile_cont(col("many").sort(true, false), lit(q), None));
            exprs.push(approx_percentile_cont(col("f").sort(true, false), lit(q), None));
        }
        exprs.push(approx_median(col("many")));
        exprs.push(approx_percentile_cont(col("f").sort(false, false), lit(0.25), None));
        exprs.push(approx_percentile_cont(col("few").sort(true, false), lit(0.5), None)); // alone, on integers
        // Exact quantiles: `g` (all distinct, a NaN, a -0.0, a null), and few values with nulls.
        let few_f64 = || datafusion::logical_expr::cast(col("few"), DataType::Float64);
        for q in [0.05, 0.5, 0.95, 0.999_99] {
            exprs.push(percentile_cont(col("g").sort(true, false), lit(q)));
            exprs.push(percentile_cont(few_f64().sort(true, false), lit(q)));
        }
        exprs.push(percentile_cont(col("g").sort(false, false), lit(0.3)));
        exprs.push(percentile_cont(col("g").sort(true, false), lit(0.0))); // min: as written
        for c in ["many", "f", "few"] {
            exprs.extend([avg(col(c)), var_sample(col(c)), stddev(col(c)), var_pop(col(c)), stddev_pop(col(c))]);
        }
        exprs.push(avg(col("g"))); // alone: as written
        for c in ["many", "f", "few", "g", "word"] {
            exprs.extend([min(col(c)), max(col(c))]); // `word`: strings, as written
        }
        exprs
    }

    /// Equal, or both f64 within 1e-12 of each other, relatively (the
    /// variance is summed in another order), or both NaN.
    fn close(a: &ScalarValue, b: &ScalarValue) -> bool {
        match (a, b) {
            (ScalarValue::Float64(Some(x)), ScalarValue::Float64(Some(y))) => {
                (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
            }
            _ => a == b,
        }
    }

    async fn fused(ctx: &SessionContext, plan: &DatasetPlan) -> (Vec<ScalarValue>, usize) {
        let df = ctx.table("t").await.unwrap();
        let scan = FusedScan::new(&ctx.state(), plan, df.schema(), 0, Vec::new()).unwrap();
        let aggs = scan.aggs.len();
        let batches = df.aggregate(vec![], scan.aggs.clone()).unwrap().collect().await.unwrap();
        let batch = batches.iter().find(|b| b.num_rows() > 0).unwrap();
        let values = scan.values(batch).unwrap().into_iter().map(|v| match v {
            MetricValue::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        });
        (values.collect(), aggs)
    }

    async fn as_written(ctx: &SessionContext, exprs: &[Expr]) -> Vec<ScalarValue> {
        let aggs: Vec<Expr> = exprs.iter().enumerate().map(|(i, e)| e.clone().alias(format!("m{i}"))).collect();
        let batches = ctx.table("t").await.unwrap().aggregate(vec![], aggs).unwrap().collect().await.unwrap();
        let batch = batches.iter().find(|b| b.num_rows() > 0).unwrap();
        (0..batch.num_columns()).map(|i| ScalarValue::try_from_array(batch.column(i), 0).unwrap()).collect()
    }

    /// Same values and types as the expressions compute as written, whether
    /// a partition counts values (few rows, or few values) or evaluates row by
    /// row (past `MAX_FIXED` values of `many`, `MAX_STRINGS` of `name`; ranges
    /// on `f` and `g` from the start), on empty data too.
    #[tokio::test]
    async fn shared_aggregates_give_what_each_expression_gives() {
        for rows in [0, 500, 30_000] {
            let ctx = context(rows);
            let mut plan = DatasetPlan::new("t");
            for e in scalars() {
                plan.scalar(e);
            }
            let (got, aggs) = fused(&ctx, &plan).await;
            let expected = as_written(&ctx, &plan.scalars).await;
            assert_eq!(got.len(), expected.len());
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert!(close(g, e), "{rows} rows, `{}`: {g:?} vs {e:?}", plan.scalars[i]);
            }
            // 8 predicate groups (6 columns, 2 pairs), 3 quantile groups, 2 exact quantile
            // groups, 3 moments, and 7 as written (min and max of `word` among them).
            assert_eq!(aggs, 8 + 3 + 2 + 3 + 7, "{rows} rows");
        }
    }
}
