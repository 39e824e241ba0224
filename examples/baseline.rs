//! The benchmark's yardstick: bench/suite20.yaml's metrics written by hand
//! against `DataFusion`, "as well as they can be written", with nothing of
//! probity in between (only `datafusion` and `tokio`).
//!
//! ```text
//! cargo run --release --example baseline -- [--data PATH] [--serial] [--part P] [--floor] [--explain] [--show]
//! ```
//!
//! - default: three queries at once on one multi-thread runtime: one SQL
//!   aggregate with FILTER clauses for every scalar metric, the uniqueness of
//!   `application_id` (keys seen more than once) and `count(DISTINCT country)`.
//!   Exact distinct work stays out of the fused aggregate: inside it,
//!   `DataFusion` cannot use its distinct-to-group-by rewrite (design.md).
//! - `--serial`: the same three queries one after the other.
//! - `--part metrics|unique|distinct`: only one of them (for profiling).
//! - `--floor`: a forced full scan of every column the suite reads, with
//!   trivial aggregates that Parquet statistics cannot answer (`count(col)`
//!   or `max(col)` alone would be answered from the footer in milliseconds).
//! - `--sql TEXT` or `--sql-file PATH`: only this query (for profiling; the
//!   table is `loans`; bench/profile.sh uses it).
//! - `--explain`: print the optimized logical plans instead of running.
//! - `--show`: print the computed values.
//!
//! Prints `elapsed_ms=N` (from process start, including table registration).
//! Target partitions are `DataFusion`'s default: the number of cores.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line benchmark reports what it measured")]

use std::error::Error;
use std::time::Instant;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const DEFAULT_DATA: &str = "/root/bench-data/loans.parquet";

/// Every scalar metric of bench/suite20.yaml in one aggregate: for each value
/// check the non-null values in scope and the invalid ones among them, as the
/// checks define them (a null is neither valid nor invalid).
const METRICS: &str = r"
SELECT
  count(*)                                                                     AS row_count,
  count(*) FILTER (WHERE loan_id IS NULL)                                      AS loan_id_nulls,
  count(*) FILTER (WHERE customer_id IS NULL)                                  AS customer_id_nulls,
  count(*) FILTER (WHERE income IS NULL)                                       AS income_missing,
  count(amount)                                                                AS amount_values,
  count(*) FILTER (WHERE NOT (amount BETWEEN 0 AND 1e7))                       AS amount_out_of_range,
  count(age)                                                                   AS age_values,
  count(*) FILTER (WHERE NOT (age BETWEEN 18 AND 100))                         AS age_out_of_range,
  count(score)                                                                 AS score_values,
  count(*) FILTER (WHERE NOT (score BETWEEN 0 AND 1))                          AS score_out_of_range,
  count(income)                                                                AS income_values,
  count(*) FILTER (WHERE NOT (income BETWEEN 0 AND 1e7))                       AS income_out_of_range,
  count(term_months)                                                           AS term_values,
  count(*) FILTER (WHERE term_months NOT IN (12, 24, 36, 48, 60))              AS term_not_in_set,
  count(country)                                                               AS country_values,
  count(*) FILTER (WHERE country NOT IN ('US','GB','DE','FR','ES','IT','NL','SE','PL','IN')) AS country_not_in_set,
  count(purpose)                                                               AS purpose_values,
  count(*) FILTER (WHERE purpose NOT IN ('debt_consolidation','car','home','business',
                                         'education','medical','wedding','travel')) AS purpose_not_in_set,
  count(email)                                                                 AS email_values,
  count(*) FILTER (WHERE NOT regexp_like(email, '^[^@\s]+@[^@\s]+$'))          AS email_not_matching,
  count(*) FILTER (WHERE NOT (character_length(purpose) BETWEEN 3 AND 20))     AS purpose_bad_length,
  avg(amount)                                                                  AS amount_mean,
  stddev(income)                                                               AS income_stddev,
  approx_percentile_cont(0.95) WITHIN GROUP (ORDER BY score)                   AS score_p95,
  count(amount <= income * 10)                                                 AS condition_rows,
  count(*) FILTER (WHERE NOT (amount <= income * 10))                          AS condition_violations,
  max(applied_at)                                                              AS newest_applied_at
FROM loans";

/// `unique: application_id`: keys that occur more than once.
const UNIQUE: &str = r"
SELECT count(*) AS duplicated_keys
FROM (SELECT application_id FROM loans WHERE application_id IS NOT NULL
      GROUP BY application_id HAVING count(*) > 1)";

/// `stat: distinct_count` of country, exact.
const DISTINCT: &str = "SELECT count(DISTINCT country) AS countries FROM loans";

/// Reads and decodes the 12 columns bench/suite20.yaml's checks name, with
/// aggregates too cheap to matter. (Whether a check reads its column can
/// depend on the compiler: `customer_id IS NULL` folds to false on a
/// non-nullable column, `count(customer_id)` still reads it.)
const FLOOR: &str = r"
SELECT
  sum(loan_id), sum(customer_id), sum(amount), sum(income), sum(term_months), sum(age), sum(score),
  sum(CAST(applied_at AS BIGINT)),
  sum(octet_length(application_id)), sum(octet_length(email)), sum(octet_length(country)),
  sum(octet_length(purpose))
FROM loans";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Concurrent,
    Serial,
    Floor,
}

struct Options {
    data: String,
    mode: Mode,
    part: Option<String>,
    sql: Option<String>,
    explain: bool,
    show: bool,
}

fn parse_args() -> std::result::Result<Options, String> {
    let mut o = Options {
        data: DEFAULT_DATA.into(),
        mode: Mode::Concurrent,
        part: None,
        sql: None,
        explain: false,
        show: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => o.data = args.next().ok_or("--data wants a path")?,
            "--serial" => o.mode = Mode::Serial,
            "--floor" => o.mode = Mode::Floor,
            "--part" => {
                let p = args.next().ok_or("--part wants metrics, unique or distinct")?;
                if !["metrics", "unique", "distinct"].contains(&p.as_str()) {
                    return Err(format!("--part: unknown part {p:?}"));
                }
                o.part = Some(p);
            }
            "--sql" => o.sql = Some(args.next().ok_or("--sql wants a query")?),
            "--sql-file" => {
                let path = args.next().ok_or("--sql-file wants a path")?;
                o.sql = Some(std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?);
            }
            "--explain" => o.explain = true,
            "--show" => o.show = true,
            "-h" | "--help" => {
                return Err("usage: baseline [--data PATH] [--serial | --floor | --part metrics|unique|distinct | --sql TEXT | --sql-file PATH] [--explain] [--show]".into());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(o)
}

async fn run_sql(ctx: SessionContext, sql: String) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(&sql).await?.collect().await?)
}

async fn run(o: &Options, started: Instant) -> Result<()> {
    let ctx = SessionContext::new();
    ctx.register_parquet("loans", &o.data, ParquetReadOptions::default()).await?;
    let queries: Vec<(&str, String)> = match (o.mode, o.part.as_deref()) {
        _ if o.sql.is_some() => vec![("sql", o.sql.clone().unwrap_or_default())],
        (Mode::Floor, _) => vec![("floor", FLOOR.to_string())],
        (_, Some("metrics")) => vec![("metrics", METRICS.to_string())],
        (_, Some("unique")) => vec![("unique", UNIQUE.to_string())],
        (_, Some("distinct")) => vec![("distinct", DISTINCT.to_string())],
        _ => vec![("metrics", METRICS.to_string()), ("unique", UNIQUE.to_string()), ("distinct", DISTINCT.to_string())],
    };
    if o.explain {
        for (name, sql) in &queries {
            let plan = ctx.sql(sql).await?.into_optimized_plan()?;
            println!("-- {name}\n{}\n", plan.display_indent());
        }
        return Ok(());
    }
    let mut results = Vec::new();
    if o.mode == Mode::Serial {
        for (name, sql) in &queries {
            let t = Instant::now();
            let batches = run_sql(ctx.clone(), sql.clone()).await?;
            results.push((*name, batches, t.elapsed()));
        }
    } else {
        // One task per query; DataFusion spreads each over the partitions.
        let tasks: Vec<_> = queries
            .iter()
            .map(|(name, sql)| {
                let (ctx, name, sql) = (ctx.clone(), *name, sql.clone());
                tokio::spawn(async move {
                    let t = Instant::now();
                    run_sql(ctx, sql).await.map(|b| (name, b, t.elapsed()))
                })
            })
            .collect();
        for task in tasks {
            results.push(task.await??);
        }
    }
    for (name, batches, took) in &results {
        eprintln!("{name}: {} ms", took.as_millis());
        if o.show {
            println!("-- {name}\n{}", pretty_format_batches(batches)?);
        }
    }
    println!("elapsed_ms={}", started.elapsed().as_millis());
    Ok(())
}

fn main() -> std::process::ExitCode {
    let started = Instant::now();
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run(&options, started)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
