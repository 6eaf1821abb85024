//! Data-driven semantics cases: every tests/cases/**/*.yaml file holds an
//! inline policy and cases (facts in, expected decisions or error out). The
//! format is described in tests/README.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Error, Policy};
use serde::Deserialize;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    policy: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    as_of: Option<String>,
    #[serde(default)]
    input: serde_yaml::Value,
    #[serde(default)]
    expect: serde_yaml::Mapping,
    missing: Option<Vec<String>>,
    error: Option<ExpectedError>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    kind: String,
    contains: String,
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

/// Runs one case; returns a description of each mismatch.
fn run_case(policy: &Policy, engine: Engine, case: &Case) -> Vec<String> {
    let as_of = Date::parse(case.as_of.as_deref().unwrap_or("2026-01-01")).expect("as_of");
    let input: Json = match serde_json::to_value(&case.input).unwrap() {
        Json::Null => Json::Object(Default::default()),
        v => v,
    };
    let result = policy.evaluate_value_with(engine, &input, as_of);
    let mut problems = Vec::new();
    match (result, &case.error) {
        (Err(e), Some(want)) => {
            let kind = match e {
                Error::Input(_) => "input",
                Error::Eval(_) => "eval",
                _ => "other",
            };
            let msg = e.to_string();
            if kind != want.kind || !msg.to_lowercase().contains(&want.contains.to_lowercase()) {
                problems.push(format!(
                    "expected {} error containing {:?}, got {kind} error: {msg}",
                    want.kind, want.contains
                ));
            }
        }
        (Err(e), None) => problems.push(format!("unexpected error: {e}")),
        (Ok(out), Some(want)) => problems.push(format!(
            "expected {} error containing {:?}, got {out}",
            want.kind, want.contains
        )),
        (Ok(out), None) => {
            for (name, want) in &case.expect {
                let name = name.as_str().unwrap();
                let want: Json = serde_json::to_value(want).unwrap();
                let got = &out["decisions"][name];
                if got.is_null() {
                    problems.push(format!("no decision `{name}` in output"));
                    continue;
                }
                let want_obj = want.as_object().expect("expected decision objects");
                for (key, w) in want_obj {
                    if got.get(key) != Some(w) && !(w.is_null() && got.get(key).is_none()) {
                        problems.push(format!(
                            "{name}.{key}: expected {w}, got {}",
                            got.get(key)
                                .map_or("nothing".to_string(), |g| g.to_string())
                        ));
                    }
                }
            }
            if let Some(want) = &case.missing {
                let want: Json = serde_json::to_value(want).unwrap();
                if out["missing"] != want {
                    problems.push(format!("missing: expected {want}, got {}", out["missing"]));
                }
            }
        }
    }
    problems
}

#[test]
fn semantic_cases() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("crates/rulebook/tests/cases");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no case files under {}", root.display());
    let (mut passed, mut failures) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let cf: CaseFile =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let policy = match Policy::from_source(&file.display().to_string(), &cf.policy) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: policy does not compile:\n{e}", file.display()));
                continue;
            }
        };
        for case in &cf.cases {
            for engine in [Engine::Interpreter, Engine::Wasm] {
                let problems = run_case(&policy, engine, case);
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{} / {} ({engine:?}):\n    {}",
                        file.display(),
                        case.name,
                        problems.join("\n    ")
                    ));
                }
            }
        }
    }
    eprintln!("{passed} cases passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
