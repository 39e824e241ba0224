//! Checks -> metrics -> one plan per dataset.
//!
//! Each check, given a [`Binder`] on its dataset, resolves its columns and SQL
//! against the data's schema and asks for the metrics it needs. Requests are
//! deduplicated: every scalar metric of a dataset becomes one aggregate
//! expression in a single fused `SELECT agg1, agg2, ... FROM dataset` (one
//! scan, however many checks), and identical requests from several checks
//! share one expression. Work that needs groups (duplicate keys, exact
//! distinct counts, references to another dataset) goes into as few grouped
//! queries as possible: one per distinct key set and scope. Drift summaries
//! (distributions, category counts) are computed by the engine in one pass
//! per dataset side, all columns at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, ExprFunctionExt, lit};
use datafusion::prelude::SessionContext;

use crate::spec::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean, nearest};
use crate::spec::params::Sql;
use crate::spec::yaml::Span;
use crate::spec::{Column, Suite};

/// A handle on a requested metric, returned to the check that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricId {
    Scalar(usize),
    Grouped(usize),
}

/// A metric that needs its own grouped query.
#[derive(Debug, Clone)]
pub enum GroupedMetric {
    /// Rows grouped by key columns (rows with a null key left out):
    /// distinct keys, keys seen more than once, rows carrying such keys.
    /// `mostly_distinct` when nearly every key is expected once (`unique`):
    /// the engine may then group hashes of the keys first.
    Duplicates { keys: Vec<String>, scope: Option<Expr>, mostly_distinct: bool },
    /// Non-null values of `column` with no equal value in `target.target_column`.
    Orphans { column: String, scope: Option<Expr>, target: String, target_column: String, cast_to: Option<DataType> },
    /// A small grouped table: `SELECT group_by, aggregates FROM dataset WHERE
    /// filter GROUP BY group_by ORDER BY group_by` (fairness cells). Its rows
    /// reach Rust whole, so callers keep it compact.
    Table { dataset: String, group_by: Vec<Expr>, aggregates: Vec<Expr>, filter: Option<Expr> },
    /// A numeric column's distribution on two datasets (current, reference):
    /// exact sorted distinct values with counts while each side has at most
    /// `max_distinct` of them, otherwise counts on a shared grid of
    /// [`GRID_BINS`] equal-width bins over both sides' range.
    Distribution { sides: [DistributionSide; 2], max_distinct: usize },
    /// A categorical column's value counts on one side, nulls left out: a
    /// [`MetricValue::Table`] of `value` (as text) and `n`, sorted by value.
    /// The engine computes it in the same pass as the side's distributions.
    Categories { side: DistributionSide },
}

/// Bins of the shared grid used when a distribution is too large to be exact.
pub const GRID_BINS: usize = 100_000;

/// What the engine appends to a dataset's name to register its `reference:`.
const REFERENCE_SUFFIX: &str = "__reference";

/// The engine's name for a suite's reference (baseline) dataset.
pub fn reference_name(dataset: &str) -> String {
    format!("{dataset}{REFERENCE_SUFFIX}")
}

/// One side of a [`GroupedMetric::Distribution`] or [`GroupedMetric::Categories`].
#[derive(Debug, Clone)]
pub struct DistributionSide {
    pub dataset: String,
    pub column: String,
    pub filter: Option<Expr>,
}

/// Sorted distinct values (or grid-bin left edges) with their counts, per side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distribution {
    /// `[current, reference]`, each `(value, count)` with strictly increasing values.
    pub sides: [Vec<(f64, u64)>; 2],
    /// `None` when exact; the grid's bin width when binned.
    pub bin_width: Option<f64>,
}

/// What the engine computes for one dataset.
#[derive(Debug, Default)]
pub struct DatasetPlan {
    pub dataset: String,
    /// Aggregate expressions of the fused scan, in request order.
    pub scalars: Vec<Expr>,
    pub grouped: Vec<GroupedMetric>,
    /// The value samples checks may ask for, so that the fused scan can keep
    /// them while it counts (the engine fetches the others after).
    pub value_samples: Vec<ValueSample>,
    scalar_index: HashMap<String, usize>,
    grouped_index: HashMap<String, usize>,
}

impl DatasetPlan {
    pub fn new(dataset: &str) -> Self {
        let mut plan = Self { dataset: dataset.to_string(), ..Self::default() };
        // The suite's `rows` is always the first metric.
        plan.scalar(count_rows(None));
        plan
    }

    /// Adds an aggregate expression, or returns the one already there.
    pub fn scalar(&mut self, expr: Expr) -> MetricId {
        let key = format!("{expr:?}");
        let next = self.scalars.len();
        let i = *self.scalar_index.entry(key).or_insert(next);
        if i == next {
            self.scalars.push(expr);
        }
        MetricId::Scalar(i)
    }

    pub fn grouped(&mut self, mut metric: GroupedMetric) -> MetricId {
        // Duplicate counts are shared whoever expects distinct keys; hashing
        // (for `mostly_distinct`) gives the same exact counts.
        let mut expects_distinct = false;
        if let GroupedMetric::Duplicates { mostly_distinct, .. } = &mut metric {
            expects_distinct = std::mem::take(mostly_distinct);
        }
        let key = format!("{metric:?}");
        if let GroupedMetric::Duplicates { mostly_distinct, .. } = &mut metric {
            *mostly_distinct = expects_distinct;
        }
        let next = self.grouped.len();
        let i = *self.grouped_index.entry(key).or_insert(next);
        if i == next {
            self.grouped.push(metric);
        } else if let GroupedMetric::Duplicates { mostly_distinct, .. } = &mut self.grouped[i] {
            *mostly_distinct |= expects_distinct;
        }
        MetricId::Grouped(i)
    }
}

/// A value sample a check may ask for (`SampleQuery::Values`): the `k`
/// smallest distinct values of `column` where `offending` (its scope
/// included) holds, with counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueSample {
    pub offending: Expr,
    pub column: String,
}

/// `count(*) FILTER (WHERE predicate)`, or plain `count(*)`.
pub fn count_rows(predicate: Option<Expr>) -> Expr {
    let star = count(lit(1i64));
    match predicate {
        None => star,
        Some(p) => star.filter(p).build().expect("a count with a filter is a valid aggregate"),
    }
}

/// `a AND b` where either may be absent.
pub fn and_opt(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}

/// Counts from a `Duplicates` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DuplicateStats {
    /// Rows in scope whose keys are all non-null.
    pub rows: u64,
    pub distinct_keys: u64,
    pub duplicate_keys: u64,
    pub duplicate_rows: u64,
}

/// The value of one metric after execution.
#[derive(Debug, Clone)]
pub enum MetricValue {
    Scalar(ScalarValue),
    Duplicates(DuplicateStats),
    Orphans { rows: u64 },
    Table(Vec<datafusion::arrow::array::RecordBatch>),
    Distribution(Distribution),
}

/// How to fetch a few offending values of a failed check.
#[derive(Debug, Clone)]
pub enum SampleQuery {
    /// Rows in scope where `predicate` holds, showing `columns`.
    Rows { predicate: Expr, columns: Vec<String> },
    /// The distinct values of `column` on rows where `predicate` holds, most frequent first.
    Values { predicate: Expr, column: String },
    /// The keys that occur more than once, with their counts.
    DuplicateKeys { keys: Vec<String>, scope: Option<Expr> },
    /// Values with no match in the target dataset.
    Orphans { index: usize },
}

/// What binding a check produced: the metrics its judgement reads, in order.
#[derive(Debug, Clone)]
pub struct Bound {
    pub metrics: Vec<MetricId>,
    pub sample: Option<SampleQuery>,
    /// The row filter, kept for sample queries.
    pub scope: Option<Expr>,
}

/// Resolves a check's names against its dataset and records its metrics.
pub struct Binder<'a> {
    pub dataset: &'a str,
    pub schema: &'a Schema,
    df_schema: &'a DFSchema,
    ctx: &'a SessionContext,
    catalog: &'a BTreeMap<String, Arc<Schema>>,
    file: &'a Arc<SourceFile>,
    diags: &'a mut Diagnostics,
    plan: &'a mut DatasetPlan,
    scope: Option<Expr>,
    reference: Option<(&'a str, &'a Schema)>,
    /// Columns of type null (written with no values at all) that this check
    /// reads as the type it needs: every value is null either way.
    stand_ins: HashMap<String, DataType>,
    /// Where the check is written, for errors about it as a whole.
    pub span: Span,
}

/// The types an all-null column may stand in as, in order of preference.
const STAND_IN_TYPES: [DataType; 4] = [
    DataType::Utf8,
    DataType::Float64,
    DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
    DataType::Boolean,
];

impl<'a> Binder<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        dataset: &'a str,
        schema: &'a Schema,
        df_schema: &'a DFSchema,
        ctx: &'a SessionContext,
        catalog: &'a BTreeMap<String, Arc<Schema>>,
        file: &'a Arc<SourceFile>,
        diags: &'a mut Diagnostics,
        plan: &'a mut DatasetPlan,
        span: Span,
    ) -> Self {
        Self {
            dataset,
            schema,
            df_schema,
            ctx,
            catalog,
            file,
            diags,
            plan,
            scope: None,
            reference: None,
            stand_ins: HashMap::new(),
            span,
        }
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        self.diags.push(Diagnostic::new(self.file, Some(span), message).with_help(help));
    }

    /// Sets the check's row filter (its `where`), parsed and validated.
    pub fn set_scope(&mut self, filter: Option<&Sql>) -> bool {
        match filter {
            None => true,
            Some(sql) => {
                self.scope = self.predicate(sql, "where");
                self.scope.is_some()
            }
        }
    }

    pub fn scope(&self) -> Option<Expr> {
        self.scope.clone()
    }

    /// The type of a column, or an error naming the nearest existing column.
    pub fn column(&mut self, column: &Column) -> Option<DataType> {
        if let Ok(field) = self.schema.field_with_name(&column.name) {
            return Some(field.data_type().clone());
        }
        let names: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        let help = match nearest(&column.name, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("columns of `{}`: {}", self.dataset, names.join(", ")),
        };
        let message = format!("dataset `{}` has no column `{}`", self.dataset, column.name);
        self.error(column.span, message, Some(help));
        None
    }

    /// The type of a column that must be of a kind `accepts` (e.g. a string),
    /// or an error saying what `kind` needs (`what`) and what would work (`help`).
    pub fn typed_column(
        &mut self,
        column: &Column,
        kind: &str,
        what: &str,
        accepts: fn(&DataType) -> bool,
        help: &str,
    ) -> Option<DataType> {
        let dt = self.column(column)?;
        if accepts(&dt) {
            return Some(dt);
        }
        if dt == DataType::Null
            && let Some(t) = STAND_IN_TYPES.iter().find(|t| accepts(t))
        {
            return Some(self.stand_in(column, t.clone()));
        }
        let actual = crate::util::types::type_name(&dt);
        self.error(column.span, format!("`{kind}` needs {what}; `{}` is {actual}", column.name), Some(help.into()));
        None
    }

    /// A column reference that is safe whatever the column is called.
    pub fn col(column: &Column) -> Expr {
        crate::util::expr::column(&column.name)
    }

    /// Reads the all-null column `column` as a `t` column for this check (a
    /// column of type null has no values, so any type describes it): `value`
    /// then casts it. Returns `t`.
    pub fn stand_in(&mut self, column: &Column, t: DataType) -> DataType {
        self.stand_ins.insert(column.name.clone(), t.clone());
        t
    }

    /// The column's values as the check reads them: [`Binder::col`], cast to
    /// the type an all-null column stands in as (see [`Binder::stand_in`]).
    pub fn value(&self, column: &Column) -> Expr {
        match self.stand_ins.get(&column.name) {
            Some(t) => datafusion::logical_expr::cast(Self::col(column), t.clone()),
            None => Self::col(column),
        }
    }

    /// Parses user SQL as a boolean row predicate over this dataset. Only an
    /// expression can be written: statements, DDL and DML cannot be parsed
    /// here, and subqueries (the only way to reach other tables) are refused.
    pub fn predicate(&mut self, sql: &Sql, key: &str) -> Option<Expr> {
        let lowered = sql.text.to_ascii_lowercase();
        if lowered.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').any(|w| w == "select") {
            self.error(
                sql.span,
                format!("`{key}` cannot use a subquery"),
                Some("a row condition sees only this dataset's columns; use `references` to compare with another dataset".into()),
            );
            return None;
        }
        let expr = match self.ctx.parse_sql_expr(&sql.text, self.df_schema) {
            Ok(e) => e,
            Err(e) => {
                let help = self.sql_help(&sql.text);
                let reason = first_line(&e.to_string());
                self.error(sql.span, format!("invalid SQL in `{key}`: {reason}"), Some(help));
                return None;
            }
        };
        if let Some(reason) = forbidden_sql(&expr) {
            self.error(
                sql.span,
                format!("`{key}` cannot use {reason}"),
                Some("write a condition on this dataset's columns, e.g. `amount <= income * 10`".into()),
            );
            return None;
        }
        match datafusion::logical_expr::ExprSchemable::get_type(&expr, self.df_schema) {
            Ok(DataType::Boolean | DataType::Null) => Some(expr),
            Ok(other) => {
                self.error(
                    sql.span,
                    format!("`{key}` must be a true/false condition, but `{}` is of type {other}", sql.text),
                    Some("compare it with something, e.g. `amount > 0`".into()),
                );
                None
            }
            Err(e) => {
                let help = self.sql_help(&sql.text);
                self.error(sql.span, format!("invalid SQL in `{key}`: {}", first_line(&e.to_string())), Some(help));
                None
            }
        }
    }

    fn sql_help(&self, text: &str) -> String {
        let names: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.is_empty() || names.contains(&word) || word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Some(best) = nearest(word, names.iter().copied()) {
                return format!("did you mean `{best}` instead of `{word}`?");
            }
        }
        format!("columns of `{}`: {}", self.dataset, names.join(", "))
    }

    /// Another dataset's column, for `references`.
    pub fn foreign_column(&mut self, dataset: &str, column: &str, span: Span) -> Option<DataType> {
        let Some(schema) = self.catalog.get(dataset) else {
            // Suites' baselines are registered under internal names: never offer those.
            let names: Vec<&str> =
                self.catalog.keys().map(String::as_str).filter(|n| !n.ends_with(REFERENCE_SUFFIX)).collect();
            let declare = format!(
                "declare it in this suite, `datasets: {{ {dataset}: path/to/{dataset}.parquet }}`, \
                 or run the suite that declares it in the same command"
            );
            let help = match nearest(dataset, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`? Otherwise {declare}"),
                None => declare,
            };
            self.error(span, format!("no dataset named `{dataset}` in this run"), Some(help));
            return None;
        };
        if let Ok(field) = schema.field_with_name(column) {
            return Some(field.data_type().clone());
        }
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let help = did_you_mean(column, &names);
        self.error(span, format!("dataset `{dataset}` has no column `{column}`"), Some(help));
        None
    }

    /// An aggregate over the rows in scope: `agg(...) FILTER (WHERE scope)`.
    pub fn aggregate(&mut self, agg: Expr) -> MetricId {
        let expr = match self.scope.clone() {
            None => agg,
            Some(scope) => agg.filter(scope).build().expect("an aggregate with a filter is valid"),
        };
        self.plan.scalar(expr)
    }

    /// Rows in scope where `predicate` holds (all rows in scope for `None`).
    pub fn count_where(&mut self, predicate: Option<Expr>) -> MetricId {
        let p = and_opt(self.scope.clone(), predicate);
        self.plan.scalar(count_rows(p))
    }

    /// Duplicate keys; `mostly_distinct` when nearly every key should occur once.
    pub fn duplicates(&mut self, keys: &[Column], mostly_distinct: bool) -> MetricId {
        let keys = keys.iter().map(|c| c.name.clone()).collect();
        self.plan.grouped(GroupedMetric::Duplicates { keys, scope: self.scope.clone(), mostly_distinct })
    }

    pub fn orphans(
        &mut self,
        column: &Column,
        target: &str,
        target_column: &str,
        cast_to: Option<DataType>,
    ) -> MetricId {
        self.plan.grouped(GroupedMetric::Orphans {
            column: column.name.clone(),
            scope: self.scope.clone(),
            target: target.to_string(),
            target_column: target_column.to_string(),
            cast_to,
        })
    }

    /// A grouped table over `dataset` (this check's dataset when `None`; its
    /// scope is then added to `filter`). See [`GroupedMetric::Table`].
    pub fn table(
        &mut self,
        dataset: Option<&str>,
        group_by: Vec<Expr>,
        aggregates: Vec<Expr>,
        filter: Option<Expr>,
    ) -> MetricId {
        let (dataset, filter) = match dataset {
            None => (self.dataset.to_string(), and_opt(self.scope.clone(), filter)),
            Some(d) => (d.to_string(), filter),
        };
        self.plan.grouped(GroupedMetric::Table { dataset, group_by, aggregates, filter })
    }

    /// The distribution of a numeric column here and in `reference`, both
    /// restricted to this check's scope. See [`GroupedMetric::Distribution`].
    pub fn distribution(&mut self, column: &Column, reference: &str, max_distinct: usize) -> MetricId {
        let side = |dataset: &str| DistributionSide {
            dataset: dataset.to_string(),
            column: column.name.clone(),
            filter: self.scope.clone(),
        };
        let sides = [side(self.dataset), side(reference)];
        self.plan.grouped(GroupedMetric::Distribution { sides, max_distinct })
    }

    /// The value counts of a categorical column in `dataset` (this check's
    /// when `None`), restricted to this check's scope. See [`GroupedMetric::Categories`].
    pub fn categories(&mut self, column: &Column, dataset: Option<&str>) -> MetricId {
        let side = DistributionSide {
            dataset: dataset.unwrap_or(self.dataset).to_string(),
            column: column.name.clone(),
            filter: self.scope.clone(),
        };
        self.plan.grouped(GroupedMetric::Categories { side })
    }

    /// The suite's reference (baseline) dataset: its name in the engine and schema.
    pub fn reference(&self) -> Option<(&str, &Schema)> {
        self.reference
    }

    /// Sets the suite's reference dataset.
    #[must_use]
    pub fn with_reference(mut self, reference: Option<(&'a str, &'a Schema)>) -> Self {
        self.reference = reference;
        self
    }

    /// Finishes binding with the metrics in the order `judge` reads them.
    /// A sample of offending values is also requested from the plan, so
    /// that the fused scan can keep it while it counts
    /// ([`DatasetPlan::value_samples`]).
    pub fn bound(&mut self, metrics: Vec<MetricId>, sample: Option<SampleQuery>) -> Bound {
        if let Some(SampleQuery::Values { predicate, column }) = &sample {
            let offending = and_opt(self.scope.clone(), Some(predicate.clone())).expect("a predicate is given");
            let request = ValueSample { offending, column: column.clone() };
            if !self.plan.value_samples.contains(&request) {
                self.plan.value_samples.push(request);
            }
        }
        Bound { metrics, sample, scope: self.scope.clone() }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// Why user SQL is refused, if it is: subqueries reach other tables.
fn forbidden_sql(expr: &Expr) -> Option<&'static str> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut reason = None;
    let _ = expr.apply(|e| {
        reason = match e {
            Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_) => Some("a subquery"),
            Expr::OuterReferenceColumn(..) => Some("outer references"),
            Expr::AggregateFunction(_) => Some("an aggregate function (it judges single rows)"),
            Expr::WindowFunction(_) => Some("a window function (it judges single rows)"),
            Expr::Placeholder(_) => Some("placeholders"),
            _ => None,
        };
        Ok(if reason.is_some() { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    reason
}

/// Whether a column type can be compared as a number or an instant.
pub fn is_orderable(t: &DataType) -> bool {
    t.is_numeric() || t.is_temporal() || matches!(t, DataType::Dictionary(_, v) if v.is_numeric())
}

pub fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_string(v),
        _ => false,
    }
}

/// What binding needs of a check's kind: its metric requests, made on a
/// [`Binder`] (`None` after reporting why it cannot run). The check kinds'
/// layer implements it; this layer knows no kind.
pub trait Bind {
    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound>;
}

/// The datasets a run has opened, for binding suites against them.
pub struct Catalog<'a> {
    /// Every opened dataset's schema (references included), by name.
    pub schemas: &'a BTreeMap<String, Arc<Schema>>,
    /// The session whose SQL parser and functions `where` and `condition` use.
    pub ctx: &'a SessionContext,
}

/// Binds each check of `suite` against its dataset, adding their metric
/// requests to `plan` (the dataset's, shared by every suite on it). Returns
/// the bound checks in suite order, leaving out those that cannot run;
/// their problems are in `diags`. `None` when the dataset is not open
/// (reported when opening it).
pub fn bind_suite<K: Bind>(
    suite: &Suite<K>,
    catalog: &Catalog<'_>,
    plan: &mut DatasetPlan,
    diags: &mut Diagnostics,
) -> Option<Vec<Bound>> {
    let dataset = suite.dataset.name.as_str();
    let schema = catalog.schemas.get(dataset)?;
    let df_schema = match DFSchema::try_from(schema.as_ref().clone()) {
        Ok(s) => s,
        Err(e) => {
            diags.push(Diagnostic::new(
                &suite.file,
                Some(suite.dataset.name_span),
                format!("dataset `{dataset}`: {e}"),
            ));
            return None;
        }
    };
    let reference = suite.reference.as_ref().and_then(|_| {
        let (name, schema) = catalog.schemas.get_key_value(&reference_name(dataset))?;
        Some((name.as_str(), schema.as_ref()))
    });
    let mut bound = Vec::new();
    for check in &suite.checks {
        let mut b = Binder::new(
            dataset,
            schema,
            &df_schema,
            catalog.ctx,
            catalog.schemas,
            &suite.file,
            diags,
            plan,
            check.span,
        )
        .with_reference(reference);
        if b.set_scope(check.filter.as_ref())
            && let Some(checked) = check.kind.bind(&mut b)
        {
            bound.push(checked);
        }
    }
    Some(bound)
}
