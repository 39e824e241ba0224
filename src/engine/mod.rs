//! The engine: a `DataFusion` `SessionContext`, the data sources registered in
//! it, and the queries that compute a [`DatasetPlan`]. This is the only async
//! code; everything before (spec, compile) and after (judge, report) is plain.
//!
//! Today the engine is local; a distributed engine would implement the same
//! handful of methods.

mod counting;
mod delta;
mod drift;
mod first_rows;
mod fused;
mod key_bitmap;
mod key_hash;
mod key_sort;
mod radix;
mod sample;
mod source;
mod storage;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StructArray};
use datafusion::arrow::datatypes::{DataType, Int64Type, Schema, UInt64Type};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::{JoinType, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{Expr, ExprFunctionExt, cast, col, lit};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use serde_json::{Map, Value as Json};

use crate::compile::{DatasetPlan, DuplicateStats, GroupedMetric, MetricValue, SampleQuery, and_opt};
use crate::outcome::DataRead;
use crate::spec::Source;
use crate::util::expr::column as ident;
use crate::util::numbers::json_number;
pub use counting::ScanCounts;
pub use source::SourceError;

const COUNT: &str = "__probity_n";
const HASH: &str = "__probity_hash";

/// A sample kept by the fused scan: dataset, rows sampled, columns shown.
type SampleKey = (String, Expr, String);

/// How the engine is set up.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Parallelism of scans; defaults to the number of cores.
    pub target_partitions: Option<usize>,
    /// Memory pool size in bytes; `DataFusion` spills where it can beyond it.
    pub memory_limit: Option<usize>,
    /// Failing rows or values shown per failed check, kept by the fused scan
    /// and the count of repeated keys while they run (`run::prepare` sets it
    /// from `RunRequest::sample_size`).
    pub sample_size: usize,
}

/// Why a query failed, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    /// The memory limit was reached where nothing could spill.
    Memory(String),
    /// Reading or computing failed: the cause without the engine's layers of
    /// prefixes, and for CSV files the line and a fix where known.
    Read { message: String, help: Option<String> },
}

pub struct Engine {
    ctx: SessionContext,
    scans: ScanCounts,
    /// What opening the sources noticed, for the run's notes.
    notes: std::sync::Mutex<Vec<String>>,
    /// What each registered dataset's source read.
    reads: std::sync::Mutex<BTreeMap<String, DataRead>>,
    /// The CSV datasets' files, to explain a parse error met mid-query.
    csv: std::sync::Mutex<BTreeMap<String, source::CsvFiles>>,
    /// Whether the memory pool is bounded (queries may spill).
    bounded: bool,
    sample_size: usize,
    /// Samples of duplicate keys found while counting them, by dataset and
    /// index of the grouped metric.
    duplicate_samples: std::sync::Mutex<BTreeMap<(String, usize), Vec<Json>>>,
    /// Samples kept by the fused scan, by dataset, rows sampled and columns shown.
    scan_samples: std::sync::Mutex<HashMap<SampleKey, StructArray>>,
}

impl Engine {
    pub fn new(options: &EngineOptions) -> Result<Self, DataFusionError> {
        let mut config = SessionConfig::new().with_information_schema(false);
        if let Some(n) = options.target_partitions {
            config = config.with_target_partitions(n.max(1));
        }
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(bytes) = options.memory_limit {
            runtime = runtime.with_memory_limit(bytes, 1.0);
        }
        let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
        Ok(Self {
            ctx,
            scans: ScanCounts::default(),
            notes: std::sync::Mutex::default(),
            reads: std::sync::Mutex::default(),
            csv: std::sync::Mutex::default(),
            bounded: options.memory_limit.is_some(),
            sample_size: options.sample_size,
            duplicate_samples: std::sync::Mutex::default(),
            scan_samples: std::sync::Mutex::default(),
        })
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// How many times each dataset has been scanned so far.
    pub fn scan_counts(&self) -> BTreeMap<String, usize> {
        self.scans.snapshot()
    }

    /// Registers a dataset under `name`; returns its schema.
    pub async fn register(&self, name: &str, source: &Source) -> Result<Arc<Schema>, SourceError> {
        let source::Opened { table, notes, csv, read } = source::open(&self.ctx, source).await?;
        let schema = datafusion::catalog::TableProvider::schema(table.as_ref());
        self.notes.lock().expect("notes lock").extend(notes);
        self.reads.lock().expect("reads lock").insert(name.to_string(), read);
        if let Some(csv) = csv {
            self.csv.lock().expect("csv lock").insert(name.to_string(), csv);
        }
        let counted = counting::CountingTable::new(table, self.scans.counter(name));
        self.ctx.register_table(name, Arc::new(counted)).map_err(|e| SourceError::new(source, e.to_string()))?;
        Ok(schema)
    }

    /// What each registered dataset's source read, by dataset name.
    pub fn reads(&self) -> BTreeMap<String, DataRead> {
        self.reads.lock().expect("reads lock").clone()
    }

    /// What opening the sources noticed (e.g. renamed CSV columns), sorted.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.lock().expect("notes lock").clone();
        notes.sort();
        notes.dedup();
        notes
    }

    /// A query's read error on a CSV dataset, explained from its files (the
    /// line and the cause); `None` for other datasets.
    fn csv_read_error(&self, dataset: &str, message: &str) -> Option<SourceError> {
        self.csv.lock().expect("csv lock").get(dataset).map(|csv| csv.read_error(message))
    }

    /// What a failed query of `dataset` means for the user ([`QueryProblem`]).
    pub fn query_problem(&self, dataset: &str, e: &DataFusionError) -> QueryProblem {
        if let DataFusionError::ResourcesExhausted(detail) = e.find_root() {
            return QueryProblem::Memory(
                detail.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "),
            );
        }
        let text = e.to_string();
        if let Some(csv) = self.csv_read_error(dataset, &text) {
            return QueryProblem::Read { message: csv.message, help: csv.help };
        }
        let mut message = text.lines().next().unwrap_or(&text);
        for prefix in
            ["Arrow error: ", "Parquet argument error: ", "Parquet error: ", "External error: ", "Execution error: "]
        {
            while let Some(rest) = message.strip_prefix(prefix) {
                message = rest;
            }
        }
        QueryProblem::Read { message: message.to_string(), help: None }
    }

    /// The fused aggregate of every scalar metric of a dataset, and how to
    /// read the metrics back from its row. The hash runs of the duplicate
    /// keys counted by sorting ([`Self::sorted_duplicates`]) come with it,
    /// as its extra aggregates in that order.
    pub async fn scalar_query(&self, plan: &DatasetPlan) -> Result<(DataFrame, fused::FusedScan), DataFusionError> {
        let df = self.ctx.table(plan.dataset.as_str()).await?;
        let mut runs = Vec::new();
        for index in self.sorted_duplicates(plan).await? {
            let GroupedMetric::Duplicates { keys, scope, .. } = &plan.grouped[index] else { continue };
            let key_exprs: Vec<Expr> = keys.iter().map(|k| ident(k)).collect();
            let present = key_exprs.iter().cloned().map(Expr::is_not_null).reduce(Expr::and);
            let rows = and_opt(scope.clone(), present).unwrap_or(lit(true));
            runs.push(key_sort::runs(key_exprs).filter(rows).build()?);
        }
        let scan = fused::FusedScan::new(&self.ctx.state(), plan, df.schema(), self.sample_size, runs)?;
        Ok((df.aggregate(vec![], scan.aggs.clone())?, scan))
    }

    /// The duplicate-key metrics counted by sorting their keys' hashes in
    /// the fused scan ([`key_sort`]): mostly distinct keys whose hash saves
    /// memory, when the memory pool is unbounded (the hashes cannot spill).
    async fn sorted_duplicates(&self, plan: &DatasetPlan) -> Result<Vec<usize>, DataFusionError> {
        let mut sorted = Vec::new();
        for (index, g) in plan.grouped.iter().enumerate() {
            if let GroupedMetric::Duplicates { keys, mostly_distinct: true, .. } = g
                && !self.bounded
                && self.hashes_pay(&plan.dataset, keys).await?
            {
                sorted.push(index);
            }
        }
        Ok(sorted)
    }

    pub async fn grouped_query(
        &self,
        plan: &DatasetPlan,
        metric: &GroupedMetric,
    ) -> Result<DataFrame, DataFusionError> {
        match metric {
            GroupedMetric::Duplicates { keys, scope, mostly_distinct } => {
                let scope = scope.clone();
                if *mostly_distinct
                    && let Some(stats) = key_bitmap::counts(&self.ctx, &plan.dataset, keys, scope.clone()).await?
                {
                    return Ok(stats); // a dense integer key: two bitmaps, no hash table
                }
                let counts = if *mostly_distinct && self.hashes_pay(&plan.dataset, keys).await? {
                    self.hash_counts(&plan.dataset, keys, scope).await?
                } else {
                    self.key_counts(&plan.dataset, keys, scope).await?
                };
                duplicate_stats(counts)
            }
            GroupedMetric::Orphans { .. } => {
                self.orphans(&plan.dataset, metric).await?.aggregate(vec![], vec![count(lit(1i64)).alias("orphans")])
            }
            GroupedMetric::Distribution { .. } | GroupedMetric::Categories { .. } => {
                // The pass over its current side, with the side's other drift columns.
                let passes = self.drift_passes(plan).await?;
                let index = plan.grouped.iter().position(|g| std::ptr::eq(g, metric));
                let side = index.and_then(|i| passes.side_of(i));
                let side = side.ok_or_else(|| DataFusionError::Internal("a drift metric outside its plan".into()))?;
                self.pass_query(side).await
            }
            GroupedMetric::Table { dataset, group_by, aggregates, filter } => {
                let mut df = self.ctx.table(dataset.as_str()).await?;
                if let Some(f) = filter {
                    df = df.filter(f.clone())?;
                }
                let order = group_by.iter().map(|e| ident(&e.schema_name().to_string()).sort(true, true)).collect();
                df.aggregate(group_by.clone(), aggregates.clone())?.sort(order)
            }
        }
    }

    /// `SELECT * FROM t WHERE scope AND keys NOT NULL`, and the keys.
    async fn keyed_rows(
        &self,
        dataset: &str,
        keys: &[String],
        scope: Option<Expr>,
    ) -> Result<(DataFrame, Vec<Expr>), DataFusionError> {
        let key_exprs: Vec<Expr> = keys.iter().map(|k| ident(k)).collect();
        let present = key_exprs.iter().cloned().map(Expr::is_not_null).reduce(Expr::and);
        let mut df = self.ctx.table(dataset).await?;
        if let Some(p) = and_opt(scope, present) {
            df = df.filter(p)?;
        }
        Ok((df, key_exprs))
    }

    /// `SELECT keys, count(*) FROM t WHERE scope AND keys NOT NULL GROUP BY keys`
    async fn key_counts(
        &self,
        dataset: &str,
        keys: &[String],
        scope: Option<Expr>,
    ) -> Result<DataFrame, DataFusionError> {
        let (df, key_exprs) = self.keyed_rows(dataset, keys, scope).await?;
        self.counts_by(df, key_exprs)
    }

    /// [`Self::key_counts`] with the keys' hash ([`key_hash`]) in place of the keys.
    async fn hash_counts(
        &self,
        dataset: &str,
        keys: &[String],
        scope: Option<Expr>,
    ) -> Result<DataFrame, DataFusionError> {
        let (df, key_exprs) = self.keyed_rows(dataset, keys, scope).await?;
        self.counts_by(df, vec![key_hash::expr(key_exprs).alias(HASH)])
    }

    /// [`Self::key_counts`] of only the rows whose keys' hash occurs more than once.
    async fn repeated_hash_key_counts(
        &self,
        dataset: &str,
        keys: &[String],
        scope: Option<Expr>,
    ) -> Result<DataFrame, DataFusionError> {
        const REPEATED: &str = "__probity_repeated";
        let repeated = self.hash_counts(dataset, keys, scope.clone()).await?;
        let repeated = repeated.filter(col(COUNT).gt(lit(1i64)))?.select(vec![col(HASH).alias(REPEATED)])?;
        let (df, key_exprs) = self.keyed_rows(dataset, keys, scope).await?;
        let mut shown = key_exprs.clone();
        shown.push(key_hash::expr(key_exprs.clone()).alias(HASH));
        let rows = df.select(shown)?.join(repeated, JoinType::LeftSemi, &[HASH], &[REPEATED], None)?;
        self.counts_by(rows, key_exprs)
    }

    /// `SELECT group, count(*) FROM df GROUP BY group`, safe to spill.
    fn counts_by(&self, df: DataFrame, group: Vec<Expr>) -> Result<DataFrame, DataFusionError> {
        Ok(self.spill_safe(df.aggregate(group, vec![count(lit(1i64)).alias(COUNT)])?))
    }

    /// Whether grouping hashes of `keys` saves memory ([`key_hash::pays`]).
    async fn hashes_pay(&self, dataset: &str, keys: &[String]) -> Result<bool, DataFusionError> {
        let schema = self.ctx.table(dataset).await?.schema().as_arrow().clone();
        let types: Vec<DataType> =
            keys.iter().map(|k| schema.field_with_name(k).map(|f| f.data_type().clone())).collect::<Result<_, _>>()?;
        Ok(key_hash::pays(&types))
    }

    /// Under a bounded pool, `df`'s final grouping runs in one partition,
    /// fed through a plain coalesce instead of a hash repartition. A
    /// repartition that spills can deadlock in DataFusion 55.2 when two of
    /// its inputs spill at once (apache/datafusion#24883, fixed after 55.2):
    /// queries hung with every thread parked. One partition also gives its
    /// table the whole pool instead of half each.
    fn spill_safe(&self, df: DataFrame) -> DataFrame {
        if !self.bounded {
            return df;
        }
        let (mut state, plan) = df.into_parts();
        state.config_mut().options_mut().optimizer.repartition_aggregations = false;
        DataFrame::new(state, plan)
    }

    /// Exact duplicate counts when grouping hashes found repeated hashes:
    /// the rows with those hashes are grouped by their keys.
    async fn settle_repeated_hashes(
        &self,
        dataset: &str,
        metric: &GroupedMetric,
        by_hash: DuplicateStats,
    ) -> Result<DuplicateStats, DataFusionError> {
        let GroupedMetric::Duplicates { keys, scope, .. } = metric else {
            return Err(DataFusionError::Internal("not a duplicates metric".into()));
        };
        if by_hash.duplicate_keys == 0 || !self.hashes_pay(dataset, keys).await? {
            return Ok(by_hash);
        }
        let counts = self.repeated_hash_key_counts(dataset, keys, scope.clone()).await?;
        Ok(settled(by_hash, stats_row(&duplicate_stats(counts)?.collect().await?)?))
    }

    /// The rows whose keys' hash is in `repeated`, grouped by their keys:
    /// their exact duplicate statistics, and the [`EngineOptions::sample_size`]
    /// most repeated keys with their counts (ties in key order), the sample
    /// [`Self::sample`] would give. Read as a stream: memory holds the
    /// grouping and the sample, not its result.
    async fn repeated_key_counts(
        &self,
        dataset: &str,
        keys: &[String],
        scope: Option<Expr>,
        repeated: key_sort::Hashes,
    ) -> Result<(DuplicateStats, Vec<Json>), DataFusionError> {
        let (df, key_exprs) = self.keyed_rows(dataset, keys, scope).await?;
        let rows = df.filter(key_sort::hash_in(key_exprs.clone(), Arc::new(repeated)))?;
        let counts = self.counts_by(rows, key_exprs)?;
        let schema = Arc::new(counts.schema().as_arrow().clone());
        let mut top = key_sort::TopCounts::new(Arc::clone(&schema), self.sample_size)?;
        let mut stats = DuplicateStats::default();
        let mut stream = counts.execute_stream().await?;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let n = batch.column(batch.num_columns() - 1).as_primitive_opt::<Int64Type>();
            let n = n.ok_or_else(|| DataFusionError::Internal("a key count is not an int64".into()))?;
            for c in n.iter().flatten() {
                let c = c.unsigned_abs();
                stats.distinct_keys += 1;
                stats.rows += c;
                if c > 1 {
                    stats.duplicate_keys += 1;
                    stats.duplicate_rows += c;
                }
            }
            top.add(&batch)?;
        }
        Ok((stats, rows_to_json(&[top.batch()?])))
    }

    /// Rows of `column` (non-null, in scope) with no equal value in the target.
    async fn orphans(&self, dataset: &str, metric: &GroupedMetric) -> Result<DataFrame, DataFusionError> {
        let GroupedMetric::Orphans { column, scope, target, target_column, cast_to } = metric else {
            return Err(DataFusionError::Internal("not an orphans metric".into()));
        };
        let value = ident(column);
        let mut left = self.ctx.table(dataset).await?;
        left = left.filter(and_opt(scope.clone(), Some(value.clone().is_not_null())).unwrap_or(lit(true)))?;
        let left = left.select(vec![value.alias("__probity_value")])?;
        let mut key = ident(target_column);
        let right = self.ctx.table(target.as_str()).await?.filter(key.clone().is_not_null())?;
        if let Some(t) = cast_to {
            key = cast(key, t.clone());
        }
        let right = right.select(vec![key.alias("__probity_key")])?.distinct()?;
        left.join(right, JoinType::LeftAnti, &["__probity_value"], &["__probity_key"], None)
    }

    /// Runs a dataset's plan: the fused scan, the grouped queries and the
    /// drift passes, at once.
    pub async fn measure(&self, plan: &DatasetPlan) -> Result<(Vec<MetricValue>, Vec<MetricValue>), DataFusionError> {
        let sorted = self.sorted_duplicates(plan).await?;
        let scalars = async {
            let (df, scan) = self.scalar_query(plan).await?;
            let batches = df.collect().await?;
            let row = single_row(&batches)?;
            {
                let mut memo = self.scan_samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for s in scan.samples(row, self.sample_size)? {
                    memo.insert((plan.dataset.clone(), s.request.offending, s.request.column), s.kept);
                }
            }
            // Duplicate keys: the hash runs, then the rows whose hashes repeat.
            let mut duplicates = Vec::new();
            for (i, &index) in sorted.iter().enumerate() {
                let GroupedMetric::Duplicates { keys, scope, .. } = &plan.grouped[index] else { continue };
                let (stats, repeated) = key_sort::stats(scan.extra(row, i).as_ref())?;
                let stats = if stats.duplicate_keys == 0 {
                    stats
                } else {
                    let (exact, sample) =
                        self.repeated_key_counts(&plan.dataset, keys, scope.clone(), repeated).await?;
                    let key = (plan.dataset.clone(), index);
                    self.duplicate_samples
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(key, sample);
                    settled(stats, exact)
                };
                duplicates.push((index, MetricValue::Duplicates(stats)));
            }
            Ok::<_, DataFusionError>((scan.values(row)?, duplicates))
        };
        let sorted = &sorted;
        let others = futures::future::try_join_all(plan.grouped.iter().enumerate().map(|(index, g)| async move {
            if drift::in_passes(g) || sorted.contains(&index) {
                return Ok(None); // computed by `drift_summaries` (a pass per side) or the fused scan
            }
            let batches = self.grouped_query(plan, g).await?.collect().await?;
            if matches!(g, GroupedMetric::Table { .. }) {
                return Ok(Some(MetricValue::Table(batches)));
            }
            Ok::<_, DataFusionError>(Some(match g {
                GroupedMetric::Duplicates { mostly_distinct, .. } => {
                    let stats = stats_row(&batches)?;
                    if *mostly_distinct {
                        MetricValue::Duplicates(self.settle_repeated_hashes(&plan.dataset, g, stats).await?)
                    } else {
                        MetricValue::Duplicates(stats)
                    }
                }
                GroupedMetric::Orphans { .. } => MetricValue::Orphans { rows: count_at(single_row(&batches)?, 0)? },
                _ => unreachable!("returned above"),
            }))
        }));
        let grouped = async {
            let (mut others, drift) = futures::future::try_join(others, self.drift_summaries(plan)).await?;
            for (i, value) in drift {
                others[i] = Some(value);
            }
            Ok::<_, DataFusionError>(others)
        };
        let ((scalars, duplicates), mut grouped) = futures::future::try_join(scalars, grouped).await?;
        for (index, value) in duplicates {
            grouped[index] = Some(value);
        }
        let grouped = grouped
            .into_iter()
            .map(|v| v.ok_or_else(|| DataFusionError::Internal("a grouped metric was not computed".into())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((scalars, grouped))
    }

    /// Up to `limit` offending rows or values of each of a dataset's failed
    /// checks (`queries`: a check's sample query and scope), in a stable order.
    ///
    /// A sample the fused scan kept (value checks on one column) or the count
    /// of repeated keys kept (`unique` by sorted hashes) is used as it is.
    /// All `Rows` samples come from one scan that stops once it has them:
    /// each check's first `limit` offending rows in the order of the data
    /// ([`first_rows`]). Every other `Values` sample comes from one
    /// aggregate query over the dataset, a bounded [`sample`] aggregate per
    /// check: the `limit` smallest distinct offending values with their
    /// counts (shown most frequent first), whatever the number of offending
    /// rows. Other duplicate keys and orphans regroup their keys, one query
    /// each, at the same time.
    pub async fn samples(
        &self,
        plan: &DatasetPlan,
        queries: &[(&SampleQuery, Option<Expr>)],
        limit: usize,
    ) -> Result<Vec<Vec<Json>>, DataFusionError> {
        let table = self.ctx.table(plan.dataset.as_str()).await?;
        let schema = table.schema().as_arrow().clone();
        let mut aggs = Vec::new();
        let mut fused = vec![None; queries.len()];
        let mut kept = vec![None; queries.len()];
        let mut first = vec![None; queries.len()];
        let mut rows_requests = Vec::new();
        for (i, (query, scope)) in queries.iter().enumerate() {
            if let SampleQuery::Rows { predicate, columns } = query {
                first[i] = Some(rows_requests.len());
                let offending = and_opt(scope.clone(), Some(predicate.clone())).unwrap_or(lit(true));
                rows_requests.push((offending, columns.clone()));
                continue;
            }
            if let SampleQuery::Values { predicate, column } = query
                && limit <= self.sample_size
            {
                let offending = and_opt(scope.clone(), Some(predicate.clone())).unwrap_or(lit(true));
                let memo = self.scan_samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                kept[i] = memo.get(&(plan.dataset.clone(), offending, column.clone())).cloned();
                if kept[i].is_some() {
                    continue; // kept by the fused scan
                }
            }
            let (predicate, columns) = match query {
                SampleQuery::Values { predicate, column } => (predicate, std::slice::from_ref(column)),
                SampleQuery::Rows { .. } | SampleQuery::DuplicateKeys { .. } | SampleQuery::Orphans { .. } => continue,
            };
            let types: Vec<DataType> = columns
                .iter()
                .map(|c| schema.field_with_name(c).map(|f| f.data_type().clone()))
                .collect::<Result<_, _>>()?;
            if columns.is_empty() || !sample::supported(&types) {
                continue;
            }
            let offending = and_opt(scope.clone(), Some(predicate.clone())).unwrap_or(lit(true));
            let agg = sample::expr(offending, columns.iter().map(|c| ident(c)).collect(), limit);
            fused[i] = Some(aggs.len());
            aggs.push(agg.alias(format!("__probity_sample_{i}")));
        }
        let bounded = async {
            if aggs.is_empty() {
                return Ok(Vec::new());
            }
            table.clone().aggregate(vec![], aggs)?.collect().await
        };
        let first_rows = async {
            if rows_requests.is_empty() {
                return Ok(Vec::new());
            }
            first_rows::first_rows(table.clone(), rows_requests, limit).await
        };
        let grouped = futures::future::try_join_all(
            queries
                .iter()
                .enumerate()
                .filter(|&(i, _)| fused[i].is_none() && kept[i].is_none() && first[i].is_none())
                .map(|(_, (query, scope))| self.sample(plan, query, scope.clone(), limit)),
        );
        let (batches, first_rows, mut grouped) = futures::future::try_join3(bounded, first_rows, grouped).await?;
        grouped.reverse();
        let mut out = Vec::with_capacity(queries.len());
        for (i, (query, _)) in queries.iter().enumerate() {
            out.push(match (fused[i], &kept[i], first[i]) {
                (_, Some(kept), _) => kept_json(query, kept, limit)?,
                (_, None, Some(at)) => rows_to_json(&first_rows[at]),
                (Some(at), None, None) => sampled_json(query, single_row(&batches)?.column(at).as_ref(), limit)?,
                (None, None, None) => {
                    grouped.pop().ok_or_else(|| DataFusionError::Internal("a sample is missing".into()))?
                }
            });
        }
        Ok(out)
    }

    /// Up to `limit` offending rows or values of a failed check, in a stable
    /// order, by a query of its own (grouping every offending value).
    async fn sample(
        &self,
        plan: &DatasetPlan,
        query: &SampleQuery,
        scope: Option<Expr>,
        limit: usize,
    ) -> Result<Vec<Json>, DataFusionError> {
        let df = match query {
            SampleQuery::Rows { .. } => {
                return Err(DataFusionError::Internal("failing rows come from first_rows, with the others".into()));
            }
            SampleQuery::Values { predicate, column } => {
                let value = ident(column);
                self.ctx
                    .table(plan.dataset.as_str())
                    .await?
                    .filter(and_opt(scope, Some(predicate.clone())).unwrap_or(lit(true)))?
                    .aggregate(vec![value.clone()], vec![count(lit(1i64)).alias(COUNT)])?
                    .sort(vec![col(COUNT).sort(false, true), value.sort(true, true)])?
            }
            SampleQuery::DuplicateKeys { keys, scope } => {
                let index = plan.grouped.iter().position(
                    |g| matches!(g, GroupedMetric::Duplicates { keys: k, scope: s, .. } if k == keys && s == scope),
                );
                let found = index.and_then(|i| {
                    let memo = self.duplicate_samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    memo.get(&(plan.dataset.clone(), i)).cloned()
                });
                if let Some(rows) = found.filter(|_| limit <= self.sample_size) {
                    return Ok(rows.into_iter().take(limit).collect()); // kept while counting
                }
                let mut order = vec![col(COUNT).sort(false, true)];
                order.extend(keys.iter().map(|k| ident(k).sort(true, true)));
                // As the check counted them: mostly distinct keys by their
                // hash first, so that only keys whose hash repeats are grouped.
                let mostly_distinct = plan.grouped.iter().any(|g| {
                    matches!(g, GroupedMetric::Duplicates { keys: k, scope: s, mostly_distinct: true }
                        if k == keys && s == scope)
                });
                let counts = if mostly_distinct && self.hashes_pay(&plan.dataset, keys).await? {
                    self.repeated_hash_key_counts(&plan.dataset, keys, scope.clone()).await?
                } else {
                    self.key_counts(&plan.dataset, keys, scope.clone()).await?
                };
                counts.filter(col(COUNT).gt(lit(1i64)))?.sort(order)?
            }
            SampleQuery::Orphans { index } => {
                let value = col("__probity_value");
                self.orphans(&plan.dataset, &plan.grouped[*index])
                    .await?
                    .aggregate(vec![value.clone()], vec![count(lit(1i64)).alias(COUNT)])?
                    .sort(vec![col(COUNT).sort(false, true), value.sort(true, true)])?
            }
        };
        let batches = df.limit(0, Some(limit))?.collect().await?;
        Ok(rows_to_json(&batches))
    }

    /// The optimized logical plans a dataset compiles to, for `probity plan`.
    pub async fn explain(&self, plan: &DatasetPlan) -> Result<Vec<String>, DataFusionError> {
        let mut out = Vec::new();
        let scalar = self.scalar_query(plan).await?.0.into_optimized_plan()?;
        out.push(scalar.display_indent().to_string());
        let passes = self.drift_passes(plan).await?;
        let sorted = self.sorted_duplicates(plan).await?;
        let mut first_pass = None;
        for (i, g) in plan.grouped.iter().enumerate() {
            if sorted.contains(&i) {
                out.push(
                    "(key hashes sorted in the fused scan; when some repeat, their rows grouped by key in one more query)"
                        .to_string(),
                );
            } else if !drift::in_passes(g) {
                let p = self.grouped_query(plan, g).await?.into_optimized_plan()?;
                out.push(p.display_indent().to_string());
            } else if let Some(first) = first_pass {
                out.push(format!("(computed by the drift passes of grouped query {first})"));
            } else {
                // Every drift column of a side (dataset and `where`) in one pass.
                first_pass = Some(i + 1);
                let mut text = String::new();
                for side in &passes.sides {
                    let p = self.pass_query(side).await?.into_optimized_plan()?;
                    text.push_str(&p.display_indent().to_string());
                    text.push('\n');
                }
                out.push(text.trim_end().to_string());
            }
        }
        Ok(out)
    }

    /// Resets scan counters (used between `plan` and `check` in one process).
    pub fn reset_scan_counts(&self) {
        self.scans.reset();
    }
}

/// Statistics counted by hash, with the rows of repeated hashes counted
/// exactly by their keys (`exact`): hashes seen once are keys seen once.
fn settled(by_hash: DuplicateStats, exact: DuplicateStats) -> DuplicateStats {
    DuplicateStats {
        rows: by_hash.rows,
        distinct_keys: by_hash.distinct_keys - by_hash.duplicate_keys + exact.distinct_keys,
        duplicate_keys: exact.duplicate_keys,
        duplicate_rows: exact.duplicate_rows,
    }
}

/// `[distinct keys, rows, duplicate keys, duplicate rows]` from key (or hash) counts.
fn duplicate_stats(counts: DataFrame) -> Result<DataFrame, DataFusionError> {
    let n = col(COUNT);
    counts.aggregate(
        vec![],
        vec![
            count(lit(1i64)).alias("distinct_keys"),
            sum(n.clone()).alias("rows"),
            count(lit(1i64)).filter(n.clone().gt(lit(1i64))).build()?.alias("duplicate_keys"),
            sum(n.clone()).filter(n.gt(lit(1i64))).build()?.alias("duplicate_rows"),
        ],
    )
}

/// The row of [`duplicate_stats`].
fn stats_row(batches: &[RecordBatch]) -> Result<DuplicateStats, DataFusionError> {
    let batch = single_row(batches)?;
    Ok(DuplicateStats {
        distinct_keys: count_at(batch, 0)?,
        rows: count_at(batch, 1)?,
        duplicate_keys: count_at(batch, 2)?,
        duplicate_rows: count_at(batch, 3)?,
    })
}

/// Column `i` of a one-row batch as a count (0 for null).
fn count_at(batch: &RecordBatch, i: usize) -> Result<u64, DataFusionError> {
    let v = ScalarValue::try_from_array(batch.column(i), 0)?;
    Ok(crate::util::numbers::scalar_f64(&v).map_or(0, |f| f as u64))
}

fn single_row(batches: &[RecordBatch]) -> Result<&RecordBatch, DataFusionError> {
    batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| DataFusionError::Internal("an aggregate without GROUP BY returned no row".into()))
}

/// The JSON rows of a [`sample`] aggregate's result: `Values` as
/// `{column: value, count: n}`, most frequent first (ties in value order);
/// `Rows` as `{column: value, ...}`, each row repeated as often as it occurs,
/// up to `limit` rows.
fn sampled_json(query: &SampleQuery, result: &dyn Array, limit: usize) -> Result<Vec<Json>, DataFusionError> {
    let unexpected = || DataFusionError::Internal("a sample has unexpected types".into());
    let list = result.as_list_opt::<i32>().ok_or_else(unexpected)?;
    if list.is_empty() || list.is_null(0) {
        return Ok(Vec::new());
    }
    let kept = list.value(0);
    kept_json(query, kept.as_struct_opt().ok_or_else(unexpected)?, limit)
}

/// [`sampled_json`] of the kept rows themselves.
fn kept_json(query: &SampleQuery, kept: &StructArray, limit: usize) -> Result<Vec<Json>, DataFusionError> {
    let unexpected = || DataFusionError::Internal("a sample has unexpected types".into());
    let width = kept.num_columns() - 1;
    let counts = kept.column(width).as_primitive_opt::<UInt64Type>().ok_or_else(unexpected)?;
    let mut rows = Vec::new();
    match query {
        SampleQuery::Values { column, .. } => {
            let mut order: Vec<usize> = (0..kept.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(counts.value(i))); // stable: ties stay in value order
            for i in order.into_iter().take(limit) {
                let mut obj = Map::new();
                obj.insert(column.clone(), cell_json(kept.column(0).as_ref(), i));
                obj.insert("count".to_string(), counts.value(i).into());
                rows.push(Json::Object(obj));
            }
        }
        SampleQuery::Rows { columns, .. } => {
            for i in 0..kept.len() {
                let mut obj = Map::new();
                for (c, name) in columns.iter().enumerate().take(width) {
                    obj.insert(name.clone(), cell_json(kept.column(c).as_ref(), i));
                }
                let n = usize::try_from(counts.value(i)).unwrap_or(usize::MAX).min(limit - rows.len());
                rows.extend(std::iter::repeat_n(Json::Object(obj), n));
                if rows.len() == limit {
                    break;
                }
            }
        }
        SampleQuery::DuplicateKeys { .. } | SampleQuery::Orphans { .. } => return Err(unexpected()),
    }
    Ok(rows)
}

fn rows_to_json(batches: &[RecordBatch]) -> Vec<Json> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let mut obj = Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let name = if field.name() == COUNT {
                    "count"
                } else if field.name() == "__probity_value" {
                    "value"
                } else {
                    field.name()
                };
                obj.insert(name.to_string(), cell_json(batch.column(i).as_ref(), row));
            }
            rows.push(Json::Object(obj));
        }
    }
    rows
}

/// One cell as JSON: numbers and booleans as such, everything else as text.
pub fn cell_json(array: &dyn Array, row: usize) -> Json {
    // `logical_nulls`: a column of type null has no validity buffer, yet every value is null.
    if array.logical_nulls().is_some_and(|n| n.is_null(row)) {
        return Json::Null;
    }
    let Ok(v) = ScalarValue::try_from_array(array, row) else {
        return Json::Null;
    };
    match v {
        ScalarValue::Boolean(Some(b)) => Json::Bool(b),
        ScalarValue::Int8(Some(i)) => i.into(),
        ScalarValue::Int16(Some(i)) => i.into(),
        ScalarValue::Int32(Some(i)) => i.into(),
        ScalarValue::Int64(Some(i)) => i.into(),
        ScalarValue::UInt8(Some(i)) => i.into(),
        ScalarValue::UInt16(Some(i)) => i.into(),
        ScalarValue::UInt32(Some(i)) => i.into(),
        ScalarValue::UInt64(Some(i)) => i.into(),
        ScalarValue::Float32(Some(f)) => json_number(Some(f64::from(f))),
        ScalarValue::Float64(Some(f)) => json_number(Some(f)),
        _ => array_value_to_string(array, row).map_or(Json::Null, Json::String),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::datatypes::{DataType, Field};
    use datafusion::physical_plan::displayable;

    use super::*;

    /// The physical plan of the duplicate-key counts, with and without a memory limit.
    async fn key_count_plan(memory_limit: Option<usize>) -> String {
        let options = EngineOptions { target_partitions: Some(2), memory_limit, sample_size: 0 };
        let engine = Engine::new(&options).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(StringArray::from(vec!["a", "b"]))]);
        let table = datafusion::datasource::MemTable::try_new(schema, vec![vec![batch.unwrap()]; 2]).unwrap();
        engine.ctx.register_table("t", Arc::new(table)).unwrap();
        let df = engine.key_counts("t", &["id".to_string()], None).await.unwrap();
        let plan = df.create_physical_plan().await.unwrap();
        displayable(plan.as_ref()).indent(false).to_string()
    }

    /// A hash repartition that spills can deadlock in DataFusion 55.2
    /// (apache/datafusion#24883): with a bounded pool, none is planned.
    #[tokio::test]
    async fn grouping_keys_under_a_memory_limit_plans_no_hash_repartition() {
        let hashed = "RepartitionExec: partitioning=Hash";
        assert!(key_count_plan(None).await.contains(hashed), "the default plan repartitions by hash");
        let bounded = key_count_plan(Some(64 << 20)).await;
        assert!(!bounded.contains(hashed), "{bounded}");
    }
}
