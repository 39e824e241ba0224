//! What drift tests read, every column of a dataset side in one pass.
//!
//! A side is a dataset restricted by a drift check's `where` (the current
//! data or the suite's reference). Each numeric column tested for drift needs
//! its distribution there ([`GroupedMetric::Distribution`], see [`numeric`]),
//! each categorical column its value counts ([`GroupedMetric::Categories`],
//! see [`categorical`]). Both are user-defined aggregates, so all of a side's
//! columns are summarised by one aggregate query: the side is read once
//! however many columns are tested, and no hash aggregation runs over
//! millions of distinct floats.
//!
//! A numeric column's grid (used past `max_distinct` distinct values) spans
//! both sides' range and must be fixed before the pass, so that partitions
//! and sides agree on it: a first query takes min/max of every numeric column
//! of a side, answered from Parquet statistics when the side is not filtered.

pub(super) mod categorical;
mod numeric;

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::expr_fn::{count, max, min};
use datafusion::logical_expr::{Expr, ExprFunctionExt, lit};

use super::{Engine, single_row};
use crate::compile::{DatasetPlan, GroupedMetric, MetricValue};
use crate::util::expr::column as ident;
use numeric::{Grid, SideCounts};

/// The rows one pass reads: a dataset, restricted by a drift check's `where`.
#[derive(Debug, Clone)]
pub struct Side {
    dataset: String,
    filter: Option<Expr>,
    /// Numeric columns, whose range the grids need.
    numeric: Vec<String>,
    /// Rows (known with the ranges; 0 for a side without numeric columns).
    rows: u64,
    /// The aggregates of the pass.
    calls: Vec<Call>,
}

/// One aggregate of a pass.
#[derive(Debug, Clone)]
enum Call {
    Numeric(numeric::Call),
    Categorical { column: String },
}

/// One aggregate's result.
#[derive(Debug)]
enum Summary {
    Numeric(SideCounts),
    Categorical(datafusion::arrow::array::RecordBatch),
}

/// Where a metric's summaries come from: `(side, call)` pairs.
#[derive(Debug)]
enum Wanted {
    Distribution { grid: Grid, max_distinct: usize, current: (usize, usize), reference: (usize, usize) },
    Categories((usize, usize)),
}

/// Every drift summary of a dataset plan, as one pass per side.
#[derive(Debug, Default)]
pub struct Passes {
    pub sides: Vec<Side>,
    /// Per drift metric: its index in `plan.grouped`, and where it comes from.
    metrics: Vec<(usize, Wanted)>,
}

impl Passes {
    /// The side whose pass computes `plan.grouped[index]` (its current side).
    pub fn side_of(&self, index: usize) -> Option<&Side> {
        let (_, wanted) = self.metrics.iter().find(|(i, _)| *i == index)?;
        let (Wanted::Distribution { current: (side, _), .. } | Wanted::Categories((side, _))) = wanted;
        Some(&self.sides[*side])
    }
}

/// Whether a grouped metric is computed by the drift passes.
pub fn in_passes(metric: &GroupedMetric) -> bool {
    matches!(metric, GroupedMetric::Distribution { .. } | GroupedMetric::Categories { .. })
}

/// A numeric column as f64.
fn as_f64(column: &str) -> Expr {
    datafusion::logical_expr::cast(ident(column), DataType::Float64)
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, false)))
}

/// A list array of one row holding `values`.
fn one_list(values: ArrayRef) -> ListArray {
    let item = Arc::new(Field::new_list_field(values.data_type().clone(), false));
    ListArray::new(item, OffsetBuffer::from_lengths([values.len()]), values, None)
}

fn position_or_push(v: &mut Vec<String>, item: String) -> usize {
    match v.iter().position(|x| *x == item) {
        Some(i) => i,
        None => {
            v.push(item);
            v.len() - 1
        }
    }
}

impl Passes {
    /// The side `(dataset, filter)`, added if new.
    fn side(&mut self, keys: &mut Vec<String>, s: &crate::compile::DistributionSide) -> usize {
        let i = position_or_push(keys, format!("{}\u{0}{:?}", s.dataset, s.filter));
        if i == self.sides.len() {
            let side =
                Side { dataset: s.dataset.clone(), filter: s.filter.clone(), numeric: vec![], rows: 0, calls: vec![] };
            self.sides.push(side);
        }
        i
    }

    fn call(&mut self, side: usize, call: Call) -> (usize, usize) {
        self.sides[side].calls.push(call);
        (side, self.sides[side].calls.len() - 1)
    }
}

impl Engine {
    /// Plans the passes of a dataset plan's drift metrics, reading each
    /// side's numeric ranges first (the grids need them).
    pub(super) async fn drift_passes(&self, plan: &DatasetPlan) -> Result<Passes> {
        let mut passes = Passes::default();
        let mut keys = Vec::new();
        let mut distributions = Vec::new();
        for (index, metric) in plan.grouped.iter().enumerate() {
            match metric {
                GroupedMetric::Distribution { sides, max_distinct } => {
                    let ids = sides.each_ref().map(|s| {
                        let side = passes.side(&mut keys, s);
                        (side, position_or_push(&mut passes.sides[side].numeric, s.column.clone()))
                    });
                    distributions.push((index, ids, sides[0].column.clone(), *max_distinct));
                }
                GroupedMetric::Categories { side: s } => {
                    let side = passes.side(&mut keys, s);
                    let call = passes.call(side, Call::Categorical { column: s.column.clone() });
                    passes.metrics.push((index, Wanted::Categories(call)));
                }
                _ => {}
            }
        }
        let ranges = futures::future::try_join_all(passes.sides.iter().map(|s| self.ranges(s))).await?;
        let ranges: Vec<Vec<Option<(f64, f64)>>> = ranges
            .into_iter()
            .zip(&mut passes.sides)
            .map(|((ranges, rows), side)| {
                side.rows = rows;
                ranges
            })
            .collect();
        for (test, (index, ids, column, max_distinct)) in distributions.into_iter().enumerate() {
            let range = ids
                .iter()
                .filter_map(|&(side, col)| ranges[side][col])
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
                .unwrap_or((0.0, 0.0));
            let call = numeric::Call { column, range, max_distinct, test, binned: numeric::Flag::default() };
            let [current, reference] = ids.map(|(side, _)| passes.call(side, Call::Numeric(call.clone())));
            let wanted = Wanted::Distribution { grid: Grid::over(range), max_distinct, current, reference };
            passes.metrics.push((index, wanted));
        }
        Ok(passes)
    }

    /// `(min, max)` of each of a side's numeric columns over its finite
    /// values (`None` for a column without any), and the side's rows.
    async fn ranges(&self, side: &Side) -> Result<(Vec<Option<(f64, f64)>>, u64)> {
        if side.numeric.is_empty() {
            return Ok((Vec::new(), 0));
        }
        // Plain min/max are answered from Parquet statistics when the side is
        // not filtered (statistics leave NaN out, a scan would not).
        let aggs = |finite: bool| {
            let mut aggs = Vec::new();
            for (i, c) in side.numeric.iter().enumerate() {
                let (lo, hi) = if finite {
                    let v = as_f64(c);
                    let keep = v.clone().gt(lit(f64::NEG_INFINITY)).and(v.clone().lt(lit(f64::INFINITY)));
                    (min(v.clone()).filter(keep.clone()).build()?, max(v).filter(keep).build()?)
                } else {
                    (min(ident(c)), max(ident(c)))
                };
                aggs.push(lo.alias(format!("lo{i}")));
                aggs.push(hi.alias(format!("hi{i}")));
            }
            aggs.push(count(lit(1i64)).alias("rows"));
            Ok::<_, DataFusionError>(aggs)
        };
        let (mut ranges, rows) = self.range_query(side, aggs(false)?).await?;
        if ranges.iter().any(|r| r.is_some_and(|(lo, hi)| !(lo.is_finite() && hi.is_finite()))) {
            // An infinity or a NaN: ask again, finite values only.
            ranges = self.range_query(side, aggs(true)?).await?.0;
        }
        Ok((ranges, rows))
    }

    async fn range_query(&self, side: &Side, aggs: Vec<Expr>) -> Result<(Vec<Option<(f64, f64)>>, u64)> {
        let batches = self.side_frame(side).await?.aggregate(vec![], aggs)?.collect().await?;
        let batch = single_row(&batches)?;
        let get = |i: usize| -> Result<Option<f64>> {
            Ok(match ScalarValue::try_from_array(batch.column(i), 0)?.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(v) => v,
                _ => None,
            })
        };
        let n = side.numeric.len();
        let ranges = (0..n).map(|i| Ok(get(2 * i)?.zip(get(2 * i + 1)?))).collect::<Result<Vec<_>>>()?;
        Ok((ranges, get(2 * n)?.map_or(0, |r| r as u64)))
    }

    async fn side_frame(&self, side: &Side) -> Result<DataFrame> {
        let df = self.ctx.table(side.dataset.as_str()).await?;
        match &side.filter {
            Some(f) => df.filter(f.clone()),
            None => Ok(df),
        }
    }

    /// The pass over one side: `SELECT probity_distribution(..), probity_categories(..), .. FROM side`.
    pub(super) async fn pass_query(&self, side: &Side) -> Result<DataFrame> {
        let aggs = side
            .calls
            .iter()
            .enumerate()
            .map(|(i, call)| {
                let e = match call {
                    Call::Numeric(c) => c.expr(),
                    Call::Categorical { column } => categorical::expr(column),
                };
                e.alias(format!("d{i}"))
            })
            .collect();
        self.side_frame(side).await?.aggregate(vec![], aggs)
    }

    /// Runs the passes; returns each drift metric's index in `plan.grouped`
    /// with its value.
    ///
    /// The passes run one after the other, the side with the most rows
    /// first (each uses every core): when a column has too many distinct
    /// values there, the other side of its test learns it before starting
    /// and goes straight to the grid instead of counting exactly in vain.
    pub(super) async fn drift_summaries(&self, plan: &DatasetPlan) -> Result<Vec<(usize, MetricValue)>> {
        let passes = self.drift_passes(plan).await?;
        let mut order: Vec<usize> = (0..passes.sides.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(passes.sides[i].rows));
        let mut results: Vec<Vec<Option<Summary>>> = passes.sides.iter().map(|_| Vec::new()).collect();
        for i in order {
            let side = &passes.sides[i];
            let batches = self.pass_query(side).await?.collect().await?;
            let batch = single_row(&batches)?;
            results[i] = side
                .calls
                .iter()
                .enumerate()
                .map(|(i, call)| {
                    Ok(Some(match call {
                        Call::Numeric(_) => Summary::Numeric(SideCounts::from_result(batch.column(i), 0)?),
                        Call::Categorical { .. } => {
                            Summary::Categorical(categorical::table_from_result(batch.column(i), 0)?)
                        }
                    }))
                })
                .collect::<Result<Vec<_>>>()?;
        }
        let mut take = |(side, call): (usize, usize)| results[side][call].take();
        let mut out = Vec::new();
        for (index, wanted) in &passes.metrics {
            let value = match wanted {
                Wanted::Distribution { grid, max_distinct, current, reference } => {
                    match (take(*current), take(*reference)) {
                        (Some(Summary::Numeric(c)), Some(Summary::Numeric(r))) => {
                            MetricValue::Distribution(numeric::combine(c, r, *grid, *max_distinct))
                        }
                        _ => return Err(DataFusionError::Internal("a distribution summary is missing".into())),
                    }
                }
                Wanted::Categories(call) => match take(*call) {
                    Some(Summary::Categorical(batch)) => MetricValue::Table(vec![batch]),
                    _ => return Err(DataFusionError::Internal("a category summary is missing".into())),
                },
            };
            out.push((*index, value));
        }
        Ok(out)
    }
}
