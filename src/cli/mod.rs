//! The command line: the only place that knows argv, stdout, stderr and exit
//! codes. Exit codes are a contract (README.md):
//! 0 = every error-severity check passed; 1 = at least one failed (or a
//! warning, under `--fail-on warn`); 2 = could not run or judge (bad spec,
//! unreadable data, a check that could not be judged, internal error).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use probity::engine::EngineOptions;
use probity::error::Error;
use probity::outcome::{RunOutcome, Status};
use probity::report::{self, Report};
use probity::run::{self, RunRequest};

#[derive(Parser, Debug)]
#[command(name = "probity", version, about = "Test data before anyone trusts it.", max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the checks of suite files (or folders of them) and report verdicts.
    Check(CheckArgs),
    /// Show the queries suites compile to, without running them.
    Plan(CommonArgs),
    /// Show past results from a run history (`check --history DIR`).
    History(HistoryArgs),
}

#[derive(clap::Args, Debug)]
struct HistoryArgs {
    /// The history folder that `check --history` appends to.
    dir: PathBuf,
    /// Only this check (its id, as in reports).
    #[arg(long, value_name = "ID")]
    check: Option<String>,
    /// Only checks of this dataset.
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// Only the last N runs.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also write an HTML page with a plot of each check's values over time.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct CommonArgs {
    /// Expectation files, or folders of *.yaml files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Read dataset NAME from PATH instead of the suite's source (repeatable).
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = parse_data)]
    data: Vec<(String, String)>,
    /// Threads for scanning data (default: the number of cores).
    #[arg(long, value_name = "N")]
    target_partitions: Option<usize>,
    /// Memory for query execution, e.g. 512M or 2G; DataFusion spills beyond it where it can.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_limit: Option<usize>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also write the JSON results to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Also write JUnit XML (a testcase per check) to this file, for CI test pages.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Also write a Markdown summary to this file (and append it to `$GITHUB_STEP_SUMMARY` when set).
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// Also write a self-contained HTML report (tables, filters, plots) to this file.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// Also write a Prometheus textfile-collector file (check status and observed values as gauges).
    #[arg(long, value_name = "PATH")]
    prometheus: Option<PathBuf>,
    /// Lowest check status that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// The instant ages are measured from (RFC 3339 or YYYY-MM-DD), for reproducible runs.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<DateTime<Utc>>,
    /// Offending rows or values to show per failed check.
    #[arg(long, value_name = "N", default_value_t = 5)]
    sample_size: usize,
    /// Write every report format into DIR, under a run-stamped name and as latest.*.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
    /// Write no report files into the --out folder (files named by --json etc. are still written).
    #[arg(long)]
    no_reports: bool,
    /// Compare `trend` checks with the run history in DIR, then append this run's results to it.
    #[arg(long, value_name = "DIR")]
    history: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Table,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    Error,
    Warn,
}

fn parse_data(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, path)) if probity::spec::is_identifier(name) && !path.is_empty() => {
            Ok((name.to_string(), path.to_string()))
        }
        _ => Err("expected NAME=PATH, e.g. --data loans=datasets/dirty/loans.parquet".into()),
    }
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| "expected RFC 3339 (2026-11-01T12:00:00Z) or a date (2026-11-01)".into())
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_uppercase();
    let (num, mult) = match t.trim_end_matches('B').chars().last() {
        Some('K') => (&t[..t.find('K').unwrap_or(t.len())], 1usize << 10),
        Some('M') => (&t[..t.find('M').unwrap_or(t.len())], 1 << 20),
        Some('G') => (&t[..t.find('G').unwrap_or(t.len())], 1 << 30),
        _ => (t.trim_end_matches('B'), 1),
    };
    let n: f64 = num.trim().parse().map_err(|_| format!("expected a size like 512M or 2G, found `{s}`"))?;
    if n <= 0.0 {
        return Err("the memory limit must be positive".into());
    }
    Ok((n * mult as f64) as usize)
}

impl CommonArgs {
    fn request(&self) -> RunRequest {
        RunRequest {
            paths: self.paths.clone(),
            data: self.data.clone(),
            now: None,
            sample_size: 0,
            engine: EngineOptions {
                target_partitions: self.target_partitions,
                memory_limit: self.memory_limit,
                sample_size: 0,
            },
            history: None,
        }
    }
}

/// Parses argv, runs, prints, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Check(args) => check(args).await,
            Command::Plan(args) => plan(args).await,
            Command::History(args) => history(&args),
        }
    })
}

fn print_error(e: &Error) {
    match e {
        Error::Spec(diags) => eprintln!("{diags}"),
        other => {
            eprintln!("error: {other}");
            if let Some(help) = other.help() {
                eprintln!("  = help: {help}");
            }
        }
    }
}

async fn plan(args: CommonArgs) -> ExitCode {
    let prepared = match run::prepare(&args.request()).await {
        Ok(p) => p,
        Err(e) => {
            print_error(&e);
            return ExitCode::from(2);
        }
    };
    for note in prepared.engine.notes() {
        eprintln!("note: {note}");
    }
    match prepared.explain().await {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_error(&e);
            ExitCode::from(2)
        }
    }
}

async fn check(args: CheckArgs) -> ExitCode {
    let mut request = args.common.request();
    request.now = args.now;
    request.sample_size = args.sample_size;
    request.history.clone_from(&args.history);
    let progress = Spinner::new();
    let result = run::run_with_progress(&request, &progress).await;
    progress.finish();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            print_error(&e);
            return ExitCode::from(2);
        }
    };
    let json = report::Json.render(&outcome);
    match args.format {
        OutputFormat::Json => print!("{json}"),
        OutputFormat::Table => {
            let stdout = std::io::stdout();
            let tty = stdout.is_terminal();
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let width = if tty { comfy_table_width() } else { 120 };
            print!("{}", report::Terminal { color: tty && !no_color, width }.render(&outcome));
        }
    }
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    // The checks decide the exit code; a report that cannot be written is
    // said loudly on stderr but does not hide their verdict.
    let fail_on_warn = args.fail_on == FailOn::Warn;
    let run_id = probity::history::new_run_id(outcome.started_at);
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if let Some(path) = &args.json {
        files.push((path.clone(), json.clone()));
    }
    let named: [(&Option<PathBuf>, &dyn Report); 4] = [
        (&args.junit, &report::Junit { fail_on_warn }),
        (&args.markdown, &report::Markdown),
        (&args.html, &report::Html),
        (&args.prometheus, &report::Prometheus),
    ];
    for (path, format) in named {
        if let Some(path) = path {
            files.push((path.clone(), format.render(&outcome)));
        }
    }
    if !args.no_reports {
        let stamp = &run_id;
        for (ext, format) in report::file_formats(fail_on_warn) {
            let text = format.render(&outcome);
            files.push((args.out.join(format!("{stamp}.{ext}")), text.clone()));
            files.push((args.out.join(format!("latest.{ext}")), text));
        }
    }
    for (path, text) in &files {
        if let Err(e) = probity::util::files::write_atomic(path, text.as_bytes()) {
            eprintln!("error: cannot write the report {}: {e}", path.display());
        }
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
        && let Err(e) = append_to(Path::new(&summary), &report::Markdown.render(&outcome))
    {
        eprintln!("error: cannot append to GITHUB_STEP_SUMMARY ({}): {e}", Path::new(&summary).display());
    }
    if let Some(dir) = &args.history
        && let Err(e) = probity::history::append(dir, &outcome, &run_id)
    {
        eprintln!("error: cannot append to the history in {}: {e}", dir.display());
    }
    ExitCode::from(exit_code(&outcome, args.fail_on))
}

/// Appends to a file that others append to too (GitHub's job summary): one
/// write of the whole text, so concurrent steps do not interleave lines.
fn append_to(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(format!("{text}\n").as_bytes())
}

/// `probity history`: a check's values over time.
fn history(args: &HistoryArgs) -> ExitCode {
    if !args.dir.is_dir() {
        eprintln!("error: no history folder at {}", args.dir.display());
        eprintln!("  = help: `probity check SUITES --history DIR` creates it and appends each run");
        return ExitCode::from(2);
    }
    let h = probity::history::History::read(&args.dir);
    for warning in &h.warnings {
        eprintln!("warning: {warning}");
    }
    let mut records: Vec<&probity::history::Record> = h
        .records
        .iter()
        .filter(|r| args.check.as_ref().is_none_or(|c| &r.check == c))
        .filter(|r| args.dataset.as_ref().is_none_or(|d| &r.dataset == d))
        .collect();
    if let Some(n) = args.last {
        let mut runs: Vec<&str> = records.iter().map(|r| r.run_id.as_str()).collect();
        runs.dedup();
        let keep: std::collections::HashSet<&str> = runs.iter().rev().take(n).copied().collect();
        records.retain(|r| keep.contains(r.run_id.as_str()));
    }
    if records.is_empty() {
        let known: Vec<&str> = {
            let mut ids: Vec<&str> = h.records.iter().map(|r| r.check.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        eprintln!("error: no records in {} match", args.dir.display());
        if let Some(check) = &args.check {
            eprintln!("  = help: {}", probity::spec::diagnostic::did_you_mean(check, &known));
        }
        return ExitCode::from(2);
    }
    match args.format {
        OutputFormat::Json => match serde_json::to_string_pretty(&records) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        OutputFormat::Table => print!("{}", report::history_table(&records)),
    }
    if let Some(path) = &args.html
        && let Err(e) = probity::util::files::write_atomic(path, report::history_html(&records).as_bytes())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// A spinner on stderr naming the step under way, only when stderr is a
/// terminal (never in CI logs or pipes).
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Spinner(Some(bar))
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl run::Progress for Spinner {
    fn step(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }
}

fn comfy_table_width() -> u16 {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(120)
}

fn exit_code(outcome: &RunOutcome, fail_on: FailOn) -> u8 {
    match outcome.status {
        Status::Error => 2,
        Status::Fail => 1,
        Status::Warn if fail_on == FailOn::Warn => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arguments() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_data("loans=x.parquet"), Ok(("loans".into(), "x.parquet".into())));
        assert!(parse_data("x.parquet").is_err());
        assert_eq!(parse_now("2026-11-01").unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
    }
}
