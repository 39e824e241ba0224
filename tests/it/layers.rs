//! The layering rules of ARCHITECTURE.md ("Layers") hold in the code: every
//! `crate::` and `super::` path of the library's non-test code names a module
//! its layer may import, and the rules themselves have no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The "Layers" table of ARCHITECTURE.md: module -> modules it may import.
fn rules() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string("ARCHITECTURE.md").unwrap();
    let section = text.split("\n## Layers\n").nth(1).expect("ARCHITECTURE.md has a `## Layers` section");
    let section = section.split("\n## ").next().unwrap();
    let mut rules = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let names = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_string).collect() };
        let module = names(cells[1]).remove(0);
        rules.insert(module, names(cells[2]).into_iter().collect());
    }
    rules
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a library file: `src/checks/stat.rs` -> [checks, stat].
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix("src").unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The lines of `text` outside test code, with their numbers: an item
/// after `#[cfg(test)]` is skipped (a block to its closing brace at the
/// attribute's indentation, or one line ending in `;`), as are comments.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            let indent = &line[..line.len() - trimmed.len()];
            let Some((_, item)) = lines.next() else { break };
            if item.trim_end().ends_with(';') {
                continue;
            }
            let end = format!("{indent}}}");
            for (_, l) in lines.by_ref() {
                if l.trim_end() == end {
                    break;
                }
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push((i + 1, line));
    }
    out
}

/// The top-level modules a line's paths reach, from a file at `module`.
fn imports(line: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let word_start = |at: usize| at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
    let ident =
        |rest: &str| -> String { rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    for (at, _) in line.match_indices("crate::") {
        if word_start(at) {
            found.push(ident(&line[at + "crate::".len()..]));
        }
    }
    for (at, _) in line.match_indices("super::") {
        if !word_start(at) || line[..at].ends_with("super::") {
            continue;
        }
        let mut rest = &line[at..];
        let mut path = module.to_vec();
        while let Some(r) = rest.strip_prefix("super::") {
            path.pop();
            rest = r;
        }
        found.push(if path.is_empty() { ident(rest) } else { path[0].clone() });
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// Whether the rules, as a graph, have a cycle (depth-first search).
fn cycle(rules: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(m: &str, rules: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>) -> Option<String> {
        if let Some(i) = path.iter().position(|p| p == m) {
            return Some(format!("{} -> {m}", path[i..].join(" -> ")));
        }
        path.push(m.to_string());
        for next in rules.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, rules, path) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    rules.keys().find_map(|m| visit(m, rules, &mut Vec::new()))
}

/// Problems of the library's code against `rules`, one line each.
fn violations(rules: &BTreeMap<String, BTreeSet<String>>, files: &[(PathBuf, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, text) in files {
        let module = module_path(file);
        let top = module[0].clone();
        // The binary (src/main.rs, src/cli/) uses the library's public API;
        // lib.rs declares the modules; test-only files are test code.
        let test_only = file.file_name().is_some_and(|n| n == "tests.rs" || n.to_string_lossy().ends_with("_tests.rs"));
        if top == "main" || top == "cli" || top == "lib" || test_only {
            continue;
        }
        let Some(allowed) = rules.get(&top) else {
            problems.push(format!("{}: module `{top}` has no row in ARCHITECTURE.md's Layers table", file.display()));
            continue;
        };
        for (n, line) in code_lines(text) {
            for target in imports(line, &module) {
                if target != top && !allowed.contains(&target) {
                    problems.push(format!(
                        "{}:{n}: `{top}` may not import `{target}` (ARCHITECTURE.md, Layers): {}",
                        file.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    problems
}

fn library_files() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    sources(Path::new("src"), &mut paths);
    paths.sort();
    paths.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

#[test]
fn every_import_follows_the_layers_of_architecture_md() {
    let rules = rules();
    assert!(rules.len() >= 10, "the Layers table was not read: {rules:?}");
    assert_eq!(cycle(&rules), None, "the layering rules have a cycle");
    let problems = violations(&rules, &library_files());
    assert!(problems.is_empty(), "layering rules broken:\n{}", problems.join("\n"));
}

/// The checker finds what it must: an upward import in code, through
/// `crate::` or `super::super::`, in a file whose module has a row; not one
/// in a test module or a comment; and a cycle in the rules.
#[test]
fn the_layering_check_catches_an_upward_import() {
    let rules = rules();
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_string());
    let files = [
        file("src/engine/x.rs", "use crate::compile::Binder;\nuse crate::report::Report;\n"),
        file("src/checks/y.rs", "fn f() { super::super::run::run(); }\n"),
        file(
            "src/spec/z.rs",
            "// crate::checks::KINDS in a comment\n#[cfg(test)]\nmod tests {\n    use crate::checks::KINDS;\n}\n",
        ),
    ];
    let problems = violations(&rules, &files);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].starts_with("src/engine/x.rs:2: `engine` may not import `report`"), "{}", problems[0]);
    assert!(problems[1].starts_with("src/checks/y.rs:1: `checks` may not import `run`"), "{}", problems[1]);
    let mut looped = rules.clone();
    looped.get_mut("util").unwrap().insert("run".to_string());
    assert!(cycle(&looped).is_some());
}
