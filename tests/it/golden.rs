//! Golden tests: one folder per check kind under tests/golden/, each suite
//! file a set of cases (pass, fail, nulls, `where`, empty data) judged on the
//! tiny datasets in tests/golden/data/. The expected results are the insta
//! snapshots beside this file; a new kind adds a folder, not code.

use crate::common::{block_on, request};

#[test]
fn golden() {
    insta::glob!("../golden", "*/*.yaml", |path| {
        let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_string_lossy().replace('\\', "/");
        let text = match block_on(probity::run(&request(&[rel.as_str()]))) {
            Ok(outcome) => {
                let checks: Vec<_> = outcome.suites.iter().flat_map(|s| s.checks.iter()).collect();
                let rows: Vec<u64> = outcome.suites.iter().map(|s| s.rows).collect();
                let body = serde_json::json!({ "status": outcome.status, "rows": rows, "checks": checks });
                serde_json::to_string_pretty(&body).unwrap()
            }
            Err(e) => format!("error:\n{e}"),
        };
        insta::assert_snapshot!(text);
    });
}
