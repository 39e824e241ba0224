//! Every check kind is complete where users and reviewers look for it: a
//! golden folder (tests/golden/<kind>/), a section of docs/checks.md, and an
//! example in checks/ unless exempted below with the reason.

/// Kinds without an example in checks/, and why.
const NO_EXAMPLE: &[(&str, &str)] = &[
    // Same file and parser as `in_set` (src/checks/in_set.rs), whose example shows both.
    ("not_in_set", "shown by the in_set example"),
    // Judges against past runs: an example would need a run history (`--history`).
    ("trend", "needs a run history"),
];

#[test]
fn every_kind_has_a_golden_folder_a_docs_section_and_an_example() {
    let docs = std::fs::read_to_string("docs/checks.md").unwrap();
    let headings: Vec<Vec<&str>> =
        docs.lines().filter_map(|l| l.strip_prefix("## ")).map(|h| h.split('/').map(str::trim).collect()).collect();
    let mut examples = String::new();
    for entry in std::fs::read_dir("checks").unwrap() {
        examples.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut missing = Vec::new();
    for kind in probity::checks::kind_names() {
        let folder = std::path::Path::new("tests/golden").join(kind);
        let suites = std::fs::read_dir(&folder).map_or(0, |d| {
            d.filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))).count()
        });
        if suites == 0 {
            missing.push(format!("{kind}: no golden suite in tests/golden/{kind}/"));
        }
        if !headings.iter().any(|h| h.contains(&kind)) {
            missing.push(format!("{kind}: no `## {kind}` section in docs/checks.md"));
        }
        let has_example = examples.lines().any(|l| l.trim_start().starts_with(&format!("- {kind}:")));
        let exempt = NO_EXAMPLE.iter().any(|(k, _)| *k == kind);
        if has_example == exempt {
            missing.push(if exempt {
                format!("{kind}: exempted from an example in checks/, yet has one: drop the exemption")
            } else {
                format!("{kind}: no example in checks/ (add one, or an exemption with the reason)")
            });
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
