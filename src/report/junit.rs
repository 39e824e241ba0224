//! The JUnit XML report, read by CI systems (GitHub Actions, GitLab, Jenkins,
//! Azure DevOps): a `<testsuite>` per suite file, a `<testcase>` per check
//! (classname = dataset, name = check id). Built with junit-report, then laid
//! out one element per line with what that crate does not write: each suite's
//! own time (the crate sums its cases), its skipped count and the run's totals.
//! Timestamps come from the run, so the same results give the same bytes apart
//! from timestamps and times. The mapping is documented in docs/reports.md.

use std::fmt::Write;
use std::time::Duration;

use junit_report::{OffsetDateTime, ReportBuilder, TestCase, TestCaseBuilder, TestSuite, TestSuiteBuilder};
use serde_json::Value as Json;

use super::Report;
use super::summary::{compact, observed};
use crate::outcome::{CheckOutcome, RunOutcome, Status, SuiteOutcome};

pub struct Junit {
    /// Warnings become `<failure>`s (`--fail-on warn`); otherwise they pass
    /// with the warning in `<system-out>`.
    pub fail_on_warn: bool,
}

impl Report for Junit {
    fn render(&self, run: &RunOutcome) -> String {
        let started =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(run.started_at.timestamp_millis()) * 1_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let suites: Vec<TestSuite> = run.suites.iter().map(|s| self.suite(s, started)).collect();
        let suite_attrs: Vec<SuiteExtra> = suites
            .iter()
            .zip(&run.suites)
            .map(|(ts, s)| SuiteExtra {
                time: seconds(s.duration),
                skipped: ts.skipped(),
                properties: properties(run, s),
            })
            .collect();
        let sum = |f: fn(&TestSuite) -> usize| suites.iter().map(f).sum::<usize>();
        let root = format!(
            "name=\"probity\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\"",
            sum(TestSuite::tests),
            sum(TestSuite::failures),
            sum(TestSuite::errors),
            seconds(Duration::from_millis(run.duration_ms)),
        );
        let mut xml = Vec::new();
        ReportBuilder::new().add_testsuites(suites).build().write_xml(&mut xml).expect("writing to memory cannot fail");
        layout(&String::from_utf8_lossy(&xml), &root, &suite_attrs)
    }
}

/// What the crate does not write for a `<testsuite>`: its own time, its
/// skipped count, and its `<properties>` (provenance).
struct SuiteExtra {
    time: String,
    skipped: usize,
    properties: Vec<(&'static str, String)>,
}

/// A suite's provenance as JUnit properties: probity's version, the suite
/// file's SHA-256, and what its dataset and reference read.
fn properties(run: &RunOutcome, suite: &SuiteOutcome) -> Vec<(&'static str, String)> {
    let mut p = vec![("probity.version", run.probity_version.to_string())];
    if !suite.file_sha256.is_empty() {
        p.push(("probity.suite_sha256", suite.file_sha256.clone()));
    }
    if let Some(read) = run.datasets.get(&suite.dataset) {
        p.push(("probity.dataset.source", read.source.clone()));
        p.push(("probity.dataset.read", read.summary()));
    }
    if let Some(read) = &suite.reference {
        p.push(("probity.reference.source", read.source.clone()));
        p.push(("probity.reference.read", read.summary()));
    }
    p
}

/// `s` as an XML attribute value (between double quotes).
fn attribute(s: &str) -> String {
    text(s).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Junit {
    fn suite(&self, suite: &SuiteOutcome, started: OffsetDateTime) -> TestSuite {
        TestSuiteBuilder::new(&text(&format!("{} ({})", suite.dataset, suite.file)))
            .set_timestamp(started)
            .add_testcases(suite.checks.iter().map(|c| self.case(&suite.dataset, c)))
            .build()
    }

    fn case(&self, dataset: &str, c: &CheckOutcome) -> TestCase {
        let name = text(&c.id);
        let kind = text(&c.kind);
        let time = junit_report::Duration::try_from(c.duration).unwrap_or(junit_report::Duration::MAX);
        let headline = match compact(&c.threshold) {
            t if t.is_empty() => c.message.clone(),
            t => format!("{}; threshold: {t}", c.message),
        };
        let mut case = match c.status {
            Status::Pass => {
                let mut b = TestCaseBuilder::success(&name, time);
                b.set_system_out(&cdata(&c.message));
                b
            }
            Status::Warn if !self.fail_on_warn => {
                let mut b = TestCaseBuilder::success(&name, time);
                b.set_system_out(&cdata(&format!("warning: {headline}\n{}", details(c))));
                b
            }
            Status::Warn | Status::Fail => {
                let prefix = if c.status == Status::Warn { "warning: " } else { "" };
                let mut b = TestCaseBuilder::failure(&name, time, &kind, &text(&format!("{prefix}{headline}")));
                b.set_trace(&cdata(&details(c)));
                b
            }
            Status::Error => TestCaseBuilder::error(&name, time, &kind, &text(&c.message)),
            Status::Skipped => {
                let mut b = TestCaseBuilder::skipped_with_cause(&name, &kind, &text(&c.message));
                b.testcase.time = time;
                b
            }
        };
        case.set_classname(&text(dataset));
        case.build()
    }
}

/// What a CI page shows under a failure or warning: the numbers judged, the
/// threshold, where the check looked, and the failing sample.
fn details(c: &CheckOutcome) -> String {
    let mut out = String::new();
    let columns = c.column.clone().or_else(|| c.columns.as_ref().map(|cols| cols.join(", ")));
    for (label, value) in [
        ("observed", Some(observed(&c.observed))),
        ("threshold", Some(compact(&c.threshold))),
        ("column", columns),
        ("where", c.filter.clone()),
        ("description", c.description.clone()),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let _ = writeln!(out, "{label}: {v}");
        }
    }
    if let Some(groups) = c.observed.get("groups").and_then(Json::as_array) {
        out.push_str("groups:\n");
        for g in groups {
            let field = |name: &str| g.get(name).cloned().unwrap_or(Json::Null);
            let label = g.get("label").and_then(Json::as_str).unwrap_or("?");
            let rates = g.get("rates").and_then(Json::as_object).map(observed).unwrap_or_default();
            let _ = write!(out, "  {label}: rows {}, {rates}", field("rows"));
            if field("insufficient") == true {
                out.push_str(" (too small: not compared)");
            }
            if field("is_reference") == true {
                out.push_str(" (reference)");
            }
            out.push('\n');
        }
    }
    if let Some(sample) = c.failing_sample.as_ref().filter(|s| !s.is_empty()) {
        out.push_str("failing sample:\n");
        for row in sample {
            let _ = writeln!(out, "  {row}");
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// Seconds as junit-report writes a case's time (`0.0015`): decimal, never
/// an exponent, so that Surefire's time pattern accepts it.
fn seconds(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// An attribute value: the characters XML 1.0 cannot carry at all (most
/// control characters) become U+FFFD, and line breaks and tabs become spaces,
/// as every XML parser would read them anyway. quick-xml escapes the rest.
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

/// Text for a CDATA section, which junit-report writes unescaped: lines are
/// kept, characters XML cannot carry become U+FFFD, and a `]]>` is split
/// across two sections.
fn cdata(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect::<String>()
        .replace("]]>", "]]]]><![CDATA[>")
}

/// Lays junit-report's single line out one element per line, indented, and
/// adds attributes: `root` to `<testsuites>`, and to the i-th `<testsuite>`
/// the time and skipped count in `suites[i]` (its `time`, which junit-report
/// writes last, is replaced). Text only occurs in CDATA sections and attribute
/// values carry no raw quote, so a tag ends at the first `>` outside quotes.
fn layout(xml: &str, root: &str, suites: &[SuiteExtra]) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Start,
        End,
        Empty,
        Other,
        Text,
    }
    let mut out = String::with_capacity(xml.len() + xml.len() / 4);
    let (mut depth, mut prev, mut suite) = (0usize, None, 0usize);
    let mut rest = xml;
    while !rest.is_empty() {
        let (len, token) = if rest.starts_with("<![CDATA[") {
            (rest.find("]]>").map_or(rest.len(), |i| i + 3), Token::Text)
        } else if rest.starts_with('<') {
            let mut quoted = false;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    quoted ^= c == '"';
                    c == '>' && !quoted
                })
                .map_or(rest.len(), |(i, _)| i + 1);
            let tag = &rest[..end];
            let token = if tag.starts_with("</") {
                Token::End
            } else if tag.starts_with("<?") || tag.starts_with("<!") {
                Token::Other
            } else if tag.ends_with("/>") {
                Token::Empty
            } else {
                Token::Start
            };
            (end, token)
        } else {
            (rest.find('<').unwrap_or(rest.len()), Token::Text)
        };
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        if token == Token::End {
            depth = depth.saturating_sub(1);
        }
        let inline = token == Token::Text
            || prev.is_none()
            || prev == Some(Token::Text)
            || (token == Token::End && prev == Some(Token::Start));
        if !inline {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
        match piece {
            "<testsuites>" => {
                let _ = write!(out, "<testsuites {root}>");
            }
            "<testsuites/>" => {
                let _ = write!(out, "<testsuites {root}/>");
            }
            _ if piece.starts_with("<testsuite ") && piece.contains(" time=\"") => {
                let at = piece.rfind(" time=\"").expect("checked") + 7;
                let close = piece[at..].find('"').map_or(piece.len(), |i| at + i);
                out.push_str(&piece[..at]);
                match suites.get(suite) {
                    Some(extra) => {
                        let _ = write!(out, "{}\" skipped=\"{}", extra.time, extra.skipped);
                    }
                    None => out.push_str(&piece[at..close]),
                }
                out.push_str(&piece[close..]);
                // `<properties>` come first inside the suite (the JUnit schema's order).
                if let Some(extra) = suites.get(suite).filter(|e| token == Token::Start && !e.properties.is_empty()) {
                    let indent = "  ".repeat(depth + 1);
                    let _ = write!(out, "\n{indent}<properties>");
                    for (name, value) in &extra.properties {
                        let _ = write!(out, "\n{indent}  <property name=\"{name}\" value=\"{}\"/>", attribute(value));
                    }
                    let _ = write!(out, "\n{indent}</properties>");
                }
                suite += 1;
            }
            _ => out.push_str(piece),
        }
        if token == Token::Start {
            depth += 1;
        }
        prev = Some(token);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::fixture;

    fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let at = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
        &tag[at..at + tag[at..].find('"').unwrap()]
    }

    fn tags<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
        let open = format!("<{name} ");
        xml.lines().map(str::trim_start).filter(|l| l.starts_with(&open)).collect()
    }

    #[test]
    fn counts_follow_the_statuses() {
        let run = fixture();
        let xml = Junit { fail_on_warn: false }.render(&run);
        let suites = tags(&xml, "testsuite");
        assert_eq!(suites.len(), run.suites.len());
        for (tag, s) in suites.iter().zip(&run.suites) {
            let n = |st: Status| s.checks.iter().filter(|c| c.status == st).count().to_string();
            assert_eq!(attr(tag, "name"), format!("{} ({})", s.dataset, s.file));
            assert_eq!(attr(tag, "tests"), s.checks.len().to_string());
            assert_eq!(attr(tag, "failures"), n(Status::Fail));
            assert_eq!(attr(tag, "errors"), n(Status::Error));
            assert_eq!(attr(tag, "skipped"), n(Status::Skipped));
            assert_eq!(attr(tag, "time"), "0.25", "the suite's own duration, not the sum of its cases");
            assert_eq!(attr(tag, "timestamp"), "2026-11-01T12:00:00Z");
        }
        let root = tags(&xml, "testsuites")[0];
        assert_eq!(attr(root, "tests"), "34");
        assert_eq!(attr(root, "failures"), "14");
        assert_eq!(attr(root, "errors"), "1");
        assert_eq!(attr(root, "time"), "1.234");

        let cases = tags(&xml, "testcase");
        let checks: Vec<_> = run.suites.iter().flat_map(|s| s.checks.iter().map(move |c| (s, c))).collect();
        assert_eq!(cases.len(), checks.len());
        for (tag, (s, c)) in cases.iter().zip(checks) {
            assert_eq!((attr(tag, "name"), attr(tag, "classname")), (c.id.as_str(), s.dataset.as_str()));
            assert_eq!(attr(tag, "time"), "0.0015");
        }
        assert_eq!(xml.matches("<failure ").count(), 14);
        assert_eq!(xml.matches("<error ").count(), 1);
        assert_eq!(xml.matches("<skipped ").count(), 1);
    }

    #[test]
    fn statuses_map_to_elements() {
        let xml = Junit { fail_on_warn: false }.render(&fixture());
        let case = |id: &str| {
            let start = xml.find(&format!("<testcase name=\"{id}\"")).unwrap();
            let end = xml[start..].find("</testcase>").map_or(xml.len(), |i| start + i);
            xml[start..end].to_string()
        };
        let fail = case("loans.missing.income");
        assert!(
            fail.contains(
                "<failure type=\"missing\" message=\"640 of 8000 rows missing (8%); allowed at most 2%; threshold: max 2%\">"
            ),
            "{fail}"
        );
        assert!(fail.contains("observed: rows 8000, missing_count 640, missing_fraction 0.08\n"), "{fail}");
        let fairness = case("approval_parity_strict");
        assert!(fairness.contains("interval [0.886174, 0.982019]"), "{fairness}");
        assert!(
            fairness.contains("\ngroups:\n  female: rows 3879, selection_rate 0.680846, true_positive_rate 0.75236,")
        );
        assert!(fail.contains("failing sample:\n  {\"loan_id\":3,"), "{fail}");
        let warn = case("loans.freshness.applied_at");
        assert!(!warn.contains("<failure"), "{warn}");
        assert!(warn.contains("<system-out><![CDATA[warning: newest 2026-10-20T00:00:00Z is 785.4h old"), "{warn}");
        let error = case("loans.drift.income#2");
        assert!(
            error.contains("<error type=\"drift\" message=\"cannot test drift: income: reference sample is empty\"/>"),
            "{error}"
        );
        let skipped = case("loans.trend.row_count");
        assert!(skipped.contains("<skipped type=\"trend\" message=\"skipped: 1 past run in the history, needs 3\"/>"));
        let pass = case("loans.row_count");
        assert!(pass.contains("<system-out><![CDATA[8000 rows]]></system-out>"), "{pass}");

        let strict = Junit { fail_on_warn: true }.render(&fixture());
        assert_eq!(strict.matches("<failure ").count(), 15);
        assert!(strict.contains("<failure type=\"freshness\" message=\"warning: newest 2026-10-20T00:00:00Z"));
        assert_eq!(attr(tags(&strict, "testsuites")[0], "failures"), "15");
    }

    #[test]
    fn only_timestamps_and_times_change_between_runs() {
        let times = regex::Regex::new(r#" (time|timestamp)="[^"]*""#).unwrap();
        let mask = |xml: &str| times.replace_all(xml, " $1=\"…\"").into_owned();
        let a = fixture();
        let mut b = fixture();
        b.started_at += chrono::Duration::milliseconds(61_001);
        b.duration_ms = 99;
        b.suites[1].duration = Duration::from_nanos(123_456_789);
        b.suites[1].checks[3].duration = Duration::from_secs(7);
        let junit = Junit { fail_on_warn: false };
        assert_eq!(junit.render(&a), junit.render(&a.clone()));
        assert_ne!(junit.render(&a), junit.render(&b));
        assert_eq!(mask(&junit.render(&a)), mask(&junit.render(&b)));
        assert!(junit.render(&b).contains("timestamp=\"2026-11-01T12:01:01.001Z\" time=\"0.123456789\""));
    }

    #[test]
    fn hostile_names_and_messages_are_escaped() {
        let mut run = fixture();
        let c = &mut run.suites[0].checks[0];
        c.id = "a<b>&\"c'd ]]> e\u{1}".into();
        c.status = Status::Fail;
        c.message = "<x> & \"y\" 'z' ]]> end\nsecond line".into();
        run.suites[0].dataset = "d<&\"'>".into();
        let xml = Junit { fail_on_warn: false }.render(&run);
        assert!(xml.contains("name=\"a&lt;b&gt;&amp;&quot;c&apos;d ]]&gt; e\u{fffd}\""), "{xml}");
        assert!(xml.contains("classname=\"d&lt;&amp;&quot;&apos;&gt;\""), "{xml}");
        assert!(xml.contains("message=\"&lt;x&gt; &amp; &quot;y&quot; &apos;z&apos; ]]&gt; end second line;"), "{xml}");
        assert!(!xml.contains('\u{1}'));
        // The sample and the message reach the body intact, `]]>` split across two CDATA sections.
        let pass = Junit { fail_on_warn: false }.render(&{
            let mut r = run.clone();
            r.suites[0].checks[0].status = Status::Pass;
            r
        });
        assert!(
            pass.contains("<system-out><![CDATA[<x> & \"y\" 'z' ]]]]><![CDATA[> end\nsecond line]]></system-out>"),
            "{pass}"
        );
    }

    #[test]
    fn empty_run_is_valid() {
        let mut run = fixture();
        run.suites.clear();
        let xml = Junit { fail_on_warn: false }.render(&run);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <testsuites name=\"probity\" tests=\"0\" failures=\"0\" errors=\"0\" time=\"1.234\"/>\n"
        );
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(Junit { fail_on_warn: false }.render(&fixture()));
    }
}
