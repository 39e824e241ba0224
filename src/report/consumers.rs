//! The files that real consumers parse in tests/consumers/check.sh (Python's
//! `junitparser` and `prometheus_client`): the fixture run and a hostile variant,
//! each as JSON (what the script compares against), JUnit XML and Prometheus
//! text. `tests/consumers/check.sh` runs the ignored test below with
//! `PROBITY_REPORTS_OUT` naming the folder to write them to.

use super::tests::fixture;
use super::{Json, Junit, Prometheus, Report};
use crate::outcome::{RunOutcome, Status};
use crate::util::files::write_atomic;

/// The fixture with names and messages that break naive writers: XML and
/// Markdown metacharacters, a CDATA end, quotes, backslashes, a line break
/// and a control character.
pub(super) fn hostile() -> RunOutcome {
    let mut run = fixture();
    let checks = &mut run.suites[1].checks;
    checks[0].id = "<&\"'> ]]> a|b `c` \\d".into();
    checks[0].message = "<b>&amp;</b> \"quoted\" 'single' ]]> \\ back\nslash | pipe \u{7}".into();
    checks[1].id = "line\nbreak \"x\"\t\\n".into();
    checks[1].status = Status::Fail;
    checks[2].id = "{label=\"x\"} # HELP".into();
    checks[2].status = Status::Skipped;
    checks[3].status = Status::Error;
    run.suites[0].file = "checks/<odd> & \"name\".yaml".into();
    run
}

#[test]
#[ignore = "writes files for tests/consumers/check.sh, which runs it with PROBITY_REPORTS_OUT set"]
fn write_for_consumers() {
    let dir = std::env::var_os("PROBITY_REPORTS_OUT").expect("PROBITY_REPORTS_OUT names the folder to write to");
    let dir = std::path::Path::new(&dir);
    for (name, run) in [("fixture", fixture()), ("hostile", hostile())] {
        for (ext, text) in [
            ("json", Json.render(&run)),
            ("xml", Junit { fail_on_warn: false }.render(&run)),
            ("prom", Prometheus.render(&run)),
        ] {
            write_atomic(&dir.join(format!("{name}.{ext}")), text.as_bytes()).expect("writes the consumer files");
        }
    }
}
