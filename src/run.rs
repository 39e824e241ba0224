//! The pipeline, end to end: load suites, open the data, bind checks into one
//! plan per dataset, execute, judge, fetch failing samples. Each step is in
//! its own module; this one only sequences them.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::Schema;
use datafusion::error::DataFusionError;
use rayon::prelude::*;

use crate::checks::{Check, Suite};
use crate::checks::{Judgement, Measured, Verdict};
use crate::compile::{self, Bound, Catalog, DatasetPlan, MetricId, MetricValue, reference_name};
use crate::engine::{Engine, EngineOptions, QueryProblem};
use crate::error::Error;
use crate::outcome::{CheckOutcome, DatasetRead, RunOutcome, Status, SuiteOutcome};
use crate::spec::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::spec::{self, DatasetDecl, Severity, Source};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Suite files and folders of suites.
    pub paths: Vec<PathBuf>,
    /// `--data NAME=PATH` overrides of dataset sources.
    pub data: Vec<(String, String)>,
    /// The instant freshness is measured from; the start time if unset.
    pub now: Option<DateTime<Utc>>,
    /// Offending rows to fetch per failed check (0 = none).
    pub sample_size: usize,
    pub engine: EngineOptions,
    /// The run history that `trend` checks compare with (read, not written:
    /// appending this run is the caller's choice, see [`crate::history::append`]).
    pub history: Option<PathBuf>,
}

/// Told what step a run is at, for a progress indicator. The library only
/// calls it; showing it (or not) is the caller's business.
pub trait Progress: Sync {
    fn step(&self, message: String);
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _: String) {}
}

/// Suites bound to their data, ready to execute or explain.
pub struct Prepared {
    pub engine: Engine,
    pub suites: Vec<Suite>,
    /// One plan per dataset that suites check, by dataset name.
    pub plans: BTreeMap<String, DatasetPlan>,
    schemas: BTreeMap<String, Arc<Schema>>,
    /// Per suite, per check: what binding produced.
    bound: Vec<Vec<Bound>>,
    ids: Vec<Vec<String>>,
    /// Where each dataset is read from, for error messages.
    paths: BTreeMap<String, String>,
}

/// Loads, opens and binds; every problem found is reported together.
pub async fn prepare(request: &RunRequest) -> Result<Prepared, Error> {
    let paths = spec::expand_paths(&request.paths).map_err(|m| Error::usage(m, None))?;
    let (suites, mut diags) = spec::load(&paths, crate::checks::KINDS);
    let sources = collect_sources(&suites, &request.data, &mut diags)?;
    let options = EngineOptions { sample_size: request.sample_size, ..request.engine.clone() };
    let engine = Engine::new(&options).map_err(|e| Error::usage(e.to_string(), None))?;

    let mut schemas = BTreeMap::new();
    let opened =
        futures::future::join_all(sources.iter().map(|(name, (source, _))| engine.register(name, source))).await;
    for ((name, (source, decl_file)), result) in sources.iter().zip(opened) {
        match result {
            Ok(schema) => {
                schemas.insert(name.clone(), schema);
            }
            Err(e) => match (decl_file, source.span) {
                (Some(file), Some(span)) => diags.push(
                    Diagnostic::new(file, Some(span), format!("dataset `{name}`: {e}")).with_help(e.help.clone()),
                ),
                _ => {
                    return Err(Error::usage(format!("dataset `{name}` (from --data): {e}"), e.help.clone()));
                }
            },
        }
    }
    let mut plans: BTreeMap<String, DatasetPlan> = BTreeMap::new();
    let mut bound = Vec::new();
    let mut ids = Vec::new();
    let mut used_ids: HashMap<String, usize> = HashMap::new();
    for suite in &suites {
        let dataset = suite.dataset.name.as_str();
        // A dataset that cannot be opened is reported above; its checks cannot bind.
        if !schemas.contains_key(dataset) {
            bound.push(Vec::new());
            ids.push(Vec::new());
            continue;
        }
        let plan = plans.entry(dataset.to_string()).or_insert_with(|| DatasetPlan::new(dataset));
        let catalog = Catalog { schemas: &schemas, ctx: engine.context() };
        let suite_bound = compile::bind_suite(suite, &catalog, plan, &mut diags).unwrap_or_default();
        let suite_ids = suite.checks.iter().map(|check| check_id(dataset, check, &mut used_ids)).collect();
        bound.push(suite_bound);
        ids.push(suite_ids);
    }
    if !diags.is_empty() {
        diags.sort();
        return Err(Error::Spec(diags));
    }
    let paths = sources.into_iter().map(|(name, (source, _))| (name, source.path)).collect();
    Ok(Prepared { engine, suites, plans, schemas, bound, ids, paths })
}

/// Dataset name -> (source, the file that declared it). Overrides applied.
type Sources = BTreeMap<String, (Source, Option<Arc<spec::diagnostic::SourceFile>>)>;

fn collect_sources(
    suites: &[Suite],
    overrides: &[(String, String)],
    diags: &mut Diagnostics,
) -> Result<Sources, Error> {
    let mut sources: Sources = BTreeMap::new();
    for suite in suites {
        let reference = suite.reference.as_ref().map(|source| DatasetDecl {
            name: reference_name(&suite.dataset.name),
            name_span: suite.dataset.name_span,
            source: source.clone(),
        });
        for decl in std::iter::once(&suite.dataset).chain(&suite.datasets).chain(reference.as_ref()) {
            match sources.get(&decl.name) {
                Some((existing, _))
                    if existing.path != decl.source.path || existing.delta_version != decl.source.delta_version =>
                {
                    diags.push(
                        Diagnostic::new(
                            &suite.file,
                            decl.source.span,
                            format!("dataset `{}` is declared elsewhere with source `{}`", decl.name, existing.path),
                        )
                        .with_help(Some("one name, one source: rename one of them".into())),
                    );
                }
                Some(_) => {}
                None => {
                    sources.insert(decl.name.clone(), (decl.source.clone(), Some(Arc::clone(&suite.file))));
                }
            }
        }
    }
    for (name, path) in overrides {
        let Some(entry) = sources.get_mut(name) else {
            if !diags.is_empty() {
                // A suite that could not be read may declare it: its errors say what to fix.
                continue;
            }
            let names: Vec<&str> = suites.iter().map(|s| s.dataset.name.as_str()).collect();
            return Err(Error::usage(
                format!("--data names dataset `{name}`, which no suite declares"),
                Some(did_you_mean(name, &names)),
            ));
        };
        if spec::url_holds_credentials(path) {
            // The URL is not repeated: it holds a secret.
            return Err(Error::usage(
                format!("--data {name}=...: the URL holds credentials (`user:password@`)"),
                Some("write the URL without them; credentials come from the AWS_* environment".into()),
            ));
        }
        *entry = (entry.0.with_path(path), None);
    }
    Ok(sources)
}

/// The check's name, or `dataset.kind[.columns]`, made unique with `#n`.
fn check_id(dataset: &str, check: &Check, used: &mut HashMap<String, usize>) -> String {
    let base = check.name.clone().unwrap_or_else(|| {
        let cols = check.kind.columns();
        if cols.is_empty() {
            format!("{dataset}.{}", check.kind_name)
        } else {
            format!("{dataset}.{}.{}", check.kind_name, cols.join("+"))
        }
    });
    let n = used.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { base } else { format!("{base}#{n}") }
}

impl Prepared {
    /// What `probity plan` prints: per dataset, its metrics and query plans.
    pub async fn explain(&self) -> Result<String, Error> {
        use std::fmt::Write;
        let mut out = String::new();
        for (name, plan) in &self.plans {
            let checks: usize = self
                .suites
                .iter()
                .zip(&self.bound)
                .filter(|(s, _)| s.dataset.name == *name)
                .map(|(_, b)| b.len())
                .sum();
            let _ = writeln!(
                out,
                "dataset `{name}`: {checks} checks -> 1 fused scan with {} aggregates, {} grouped {}",
                plan.scalars.len(),
                plan.grouped.len(),
                if plan.grouped.len() == 1 { "query" } else { "queries" }
            );
            let queries = self.engine.explain(plan).await.map_err(|e| self.query_error(name, &e))?;
            for (i, q) in queries.iter().enumerate() {
                let title = if i == 0 { "fused scan".to_string() } else { format!("grouped query {i}") };
                let _ = writeln!(out, "\n-- {title}\n{q}");
            }
            out.push('\n');
        }
        Ok(out)
    }

    /// Executes every plan, judges every check and fetches failing samples.
    pub async fn execute(&self, request: &RunRequest, started_at: DateTime<Utc>) -> Result<RunOutcome, Error> {
        self.execute_with_progress(request, started_at, &Quiet).await
    }

    async fn execute_with_progress(
        &self,
        request: &RunRequest,
        started_at: DateTime<Utc>,
        progress: &dyn Progress,
    ) -> Result<RunOutcome, Error> {
        let clock = Instant::now();
        let now = request.now.unwrap_or(started_at);
        let total = self.plans.len();
        let scanned = std::sync::atomic::AtomicUsize::new(0);
        let names: Vec<&str> = self.plans.keys().map(String::as_str).collect();
        progress.step(format!("scanning {} ({total} datasets)", names.join(", ")));
        let measured = futures::future::join_all(self.plans.values().map(|plan| async {
            let clock = Instant::now();
            let result = self.engine.measure(plan).await;
            let done = scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.step(format!("scanned {} ({done} of {total} datasets)", plan.dataset));
            (result, clock.elapsed())
        }))
        .await;
        let mut values: BTreeMap<&str, (Vec<MetricValue>, Vec<MetricValue>)> = BTreeMap::new();
        let mut durations: BTreeMap<&str, Duration> = BTreeMap::new();
        for (plan, (result, took)) in self.plans.values().zip(measured) {
            values.insert(plan.dataset.as_str(), result.map_err(|e| self.query_error(&plan.dataset, &e))?);
            durations.insert(plan.dataset.as_str(), took);
        }

        let checks: usize = self.bound.iter().map(Vec::len).sum();
        progress.step(format!("judging {checks} checks"));
        let mut warnings = Vec::new();
        let history = request.history.as_deref().map(|dir| {
            let h = crate::history::History::read(dir);
            warnings.extend(h.warnings.iter().cloned());
            h
        });
        let past: HashMap<&str, Vec<f64>> = match &history {
            Some(h) => self.ids.iter().flatten().map(|id| (id.as_str(), h.values(id))).collect(),
            None => HashMap::new(),
        };

        let mut suites = Vec::new();
        let mut sample_jobs = Vec::new();
        for (si, suite) in self.suites.iter().enumerate() {
            let dataset = suite.dataset.name.as_str();
            let (scalars, grouped) = &values[dataset];
            let schema = &self.schemas[dataset];
            let rows = crate::util::numbers::scalar_f64(match &scalars[0] {
                MetricValue::Scalar(v) => v,
                _ => unreachable!("metric 0 is the row count"),
            })
            .map_or(0, |f| f as u64);
            // Judging is pure; statistical tests can be costly, so checks run in parallel.
            let judged: Vec<(Judgement, Status, Duration)> = suite
                .checks
                .par_iter()
                .zip(self.bound[si].par_iter())
                .zip(self.ids[si].par_iter())
                .map(|((check, bound), id)| {
                    let clock = Instant::now();
                    let picked = bound
                        .metrics
                        .iter()
                        .map(|m| match *m {
                            MetricId::Scalar(i) => &scalars[i],
                            MetricId::Grouped(i) => &grouped[i],
                        })
                        .collect();
                    let past = history.as_ref().map(|_| past.get(id.as_str()).map_or(&[][..], Vec::as_slice));
                    let judgement = check.kind.judge(&Measured { values: picked, schema, now, past });
                    let status = status_of(&judgement, check.severity);
                    (judgement, status, clock.elapsed())
                })
                .collect();
            let mut checks = Vec::new();
            for (ci, ((check, bound), (judgement, status, took))) in
                suite.checks.iter().zip(&self.bound[si]).zip(judged).enumerate()
            {
                if matches!(status, Status::Fail | Status::Warn)
                    && request.sample_size > 0
                    && let Some(q) = &bound.sample
                {
                    sample_jobs.push((si, ci, dataset, q, bound.scope.clone()));
                }
                let mut checked = outcome(self.ids[si][ci].clone(), check, judgement, status);
                checked.duration = took;
                checks.push(checked);
            }
            suites.push(SuiteOutcome {
                file: suite.file.path.display().to_string(),
                file_sha256: crate::util::files::sha256_hex(suite.file.text.as_bytes()),
                dataset: dataset.to_string(),
                reference: None,
                rows,
                checks,
                duration: durations[dataset],
            });
        }

        if !sample_jobs.is_empty() {
            progress.step(format!("fetching failing samples of {} checks", sample_jobs.len()));
        }
        // One bounded pass per dataset for the samples of all its failed checks.
        let mut by_dataset: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (job, (_, _, dataset, _, _)) in sample_jobs.iter().enumerate() {
            by_dataset.entry(dataset).or_default().push(job);
        }
        let samples = futures::future::join_all(by_dataset.iter().map(|(dataset, jobs)| async {
            let clock = Instant::now();
            let queries: Vec<_> = jobs.iter().map(|&j| (sample_jobs[j].3, sample_jobs[j].4.clone())).collect();
            let samples = self.engine.samples(&self.plans[*dataset], &queries, request.sample_size).await;
            (samples, clock.elapsed())
        }))
        .await;
        for ((dataset, jobs), (samples, took)) in by_dataset.iter().zip(samples) {
            let samples = samples.map_err(|e| self.query_error(dataset, &e))?;
            for (&job, sample) in jobs.iter().zip(samples) {
                let (si, ci, ..) = sample_jobs[job];
                let check = &mut suites[si].checks[ci];
                check.failing_sample = Some(sample);
                check.duration += took;
            }
        }

        let status = RunOutcome::worst(suites.iter().flat_map(|s| s.checks.iter().map(|c| c.status)));
        let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        // Provenance: what each dataset's source read; a reference's goes to its suites.
        let mut datasets = BTreeMap::new();
        for (name, read) in self.engine.reads() {
            let source = self.paths.get(&name).cloned().unwrap_or_default();
            let read = DatasetRead { source, read };
            let mut referenced = false;
            for suite in suites.iter_mut().filter(|s| reference_name(&s.dataset) == name) {
                suite.reference = Some(read.clone());
                referenced = true;
            }
            if !referenced {
                datasets.insert(name, read);
            }
        }
        Ok(RunOutcome {
            probity_version: env!("CARGO_PKG_VERSION"),
            format_version: crate::outcome::FORMAT_VERSION,
            status,
            started_at,
            now,
            duration_ms,
            datasets,
            suites,
            warnings,
            notes: self.engine.notes(),
        })
    }
}

fn status_of(j: &Judgement, severity: Severity) -> Status {
    match (j.verdict, severity) {
        (Verdict::Pass, _) => Status::Pass,
        (Verdict::Fail, Severity::Error) => Status::Fail,
        (Verdict::Fail, Severity::Warn) => Status::Warn,
        (Verdict::Undefined, _) => Status::Error,
        (Verdict::Skipped, _) => Status::Skipped,
    }
}

fn outcome(id: String, check: &Check, j: Judgement, status: Status) -> CheckOutcome {
    let mut cols = check.kind.columns();
    let (column, columns) = match cols.len() {
        0 => (None, None),
        1 => (cols.pop(), None),
        _ => (None, Some(cols)),
    };
    CheckOutcome {
        id,
        kind: check.kind_name.to_string(),
        column,
        columns,
        severity: check.severity.as_str(),
        status,
        observed: j.observed,
        threshold: j.threshold,
        message: j.message,
        description: check.description.clone(),
        filter: check.filter.as_ref().map(|f| f.text.clone()),
        failing_sample: None,
        duration: Duration::ZERO,
    }
}

impl Prepared {
    /// A failed query, naming the dataset and where its data is (or, when it
    /// ran out of memory, the memory pool's own account, whole).
    fn query_error(&self, dataset: &str, e: &DataFusionError) -> Error {
        let dataset = dataset.to_string();
        match self.engine.query_problem(&dataset, e) {
            QueryProblem::Memory(message) => Error::Memory { dataset, message },
            QueryProblem::Read { message, help } => {
                let path = self.paths.get(&dataset).map_or("?", String::as_str).to_string();
                Error::Query { dataset, path, message, help }
            }
        }
    }
}

/// Runs a request from start to end.
pub async fn run(request: &RunRequest) -> Result<RunOutcome, Error> {
    run_with_progress(request, &Quiet).await
}

/// Runs a request, telling `progress` each step.
pub async fn run_with_progress(request: &RunRequest, progress: &dyn Progress) -> Result<RunOutcome, Error> {
    let started_at = Utc::now();
    progress.step("reading suites and opening data".into());
    let prepared = prepare(request).await?;
    prepared.execute_with_progress(request, started_at, progress).await
}
