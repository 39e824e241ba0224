//! The JSON report: the serde form of [`RunOutcome`], pretty-printed, keys in
//! a fixed order. The contract is documented in docs/json.md.

use super::Report;
use crate::outcome::RunOutcome;

pub struct Json;

impl Report for Json {
    fn render(&self, run: &RunOutcome) -> String {
        let mut s = serde_json::to_string_pretty(run).expect("results serialize: all keys are strings");
        s.push('\n');
        s
    }
}
