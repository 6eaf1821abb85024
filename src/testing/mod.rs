//! Test files for policy authors (LANGUAGE.md section 9): `NAME.test.yaml`
//! cases run against a policy, each compared decision by decision.

pub mod generate;

use crate::{num, Date, Policy};
use serde::Deserialize;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    policy: Option<String>,
    #[serde(default)]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    as_of: Option<String>,
    #[serde(default)]
    input: serde_yaml::Value,
    #[serde(default)]
    expect: serde_yaml::Mapping,
    missing: Option<Vec<String>>,
    /// Extension: the case expects an input or evaluation error containing this text.
    error: Option<String>,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: String,
    /// 1-based line of the case in the test file.
    pub line: usize,
    /// What differed; empty when the case passed.
    pub failures: Vec<String>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The results of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub test_file: PathBuf,
    pub policy_file: PathBuf,
    pub cases: Vec<CaseReport>,
}

/// A test file that could not be run at all.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TestFileError {
    pub path: String,
    pub message: String,
}

/// Finds `*.test.yaml` files under the given files and folders, sorted.
pub fn find_test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        collect(p, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
    {
        out.push(p.to_path_buf());
    }
}

/// The policy a test file belongs to: its `policy:` key, else NAME.rules beside NAME.test.yaml.
fn policy_path(test_file: &Path, declared: Option<&str>) -> PathBuf {
    let dir = test_file.parent().unwrap_or(Path::new("."));
    match declared {
        Some(p) => dir.join(p),
        None => {
            let name = test_file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .trim_end_matches(".yaml")
                .trim_end_matches(".yml")
                .trim_end_matches(".test");
            dir.join(format!("{name}.rules"))
        }
    }
}

/// Runs every case of one test file.
pub fn run_file(test_file: &Path) -> Result<FileReport, TestFileError> {
    let err = |message: String| TestFileError {
        path: test_file.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(test_file).map_err(|e| err(e.to_string()))?;
    let parsed: TestFile = serde_yaml::from_str(&text).map_err(|e| err(format!("{e}")))?;
    let policy_file = policy_path(test_file, parsed.policy.as_deref());
    let policy = Policy::from_file(&policy_file).map_err(|e| {
        err(format!(
            "policy {} does not compile:\n{e}",
            policy_file.display()
        ))
    })?;
    let lines = case_lines(&text);
    let cases = parsed
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| CaseReport {
            name: c.name.clone(),
            line: lines.get(i).copied().unwrap_or(0),
            failures: run_case(&policy, c),
        })
        .collect();
    Ok(FileReport {
        test_file: test_file.to_path_buf(),
        policy_file,
        cases,
    })
}

/// Lines where each case's `name:` appears, in order.
fn case_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("- name:") || t.starts_with("-   name:")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

fn run_case(policy: &Policy, case: &Case) -> Vec<String> {
    let as_of = match &case.as_of {
        None => Date::today(),
        Some(s) => match Date::parse(s) {
            Some(d) => d,
            None => return vec![format!("as_of `{s}` is not a date YYYY-MM-DD")],
        },
    };
    let input: Json = match serde_json::to_value(&case.input) {
        Ok(Json::Null) => Json::Object(Default::default()),
        Ok(v) => v,
        Err(e) => return vec![format!("input is not valid facts: {e}")],
    };
    let out = match policy.evaluate_value(&input, as_of) {
        Ok(out) => out,
        Err(e) => {
            let msg = e.to_string();
            return match &case.error {
                Some(want) if msg.contains(want.as_str()) => Vec::new(),
                Some(want) => vec![format!("expected an error containing {want:?}, got: {msg}")],
                None => vec![msg],
            };
        }
    };
    let mut failures = Vec::new();
    if let Some(want) = &case.error {
        failures.push(format!(
            "expected an error containing {want:?}, but evaluation succeeded"
        ));
    }
    for (name, want) in &case.expect {
        let name = match name.as_str() {
            Some(n) => n,
            None => {
                failures.push(format!("expect: key {name:?} is not a decision name"));
                continue;
            }
        };
        let Some(got) = out["decisions"].get(name) else {
            let names: Vec<&str> = policy
                .meta()
                .decisions
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            failures.push(format!(
                "expect: no decision named `{name}` (decisions: {})",
                names.join(", ")
            ));
            continue;
        };
        let want: Json = serde_json::to_value(want).unwrap_or(Json::Null);
        if !same_value(&want, &got["value"]) {
            failures.push(format!(
                "{name}: expected {}, got {}{}",
                want,
                got["value"],
                match got.get("missing") {
                    Some(m) => format!(" (missing {m})"),
                    None => String::new(),
                }
            ));
        }
    }
    if let Some(want) = &case.missing {
        let got: Vec<String> = out["missing"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if *want != got {
            failures.push(format!("missing: expected {want:?}, got {got:?}"));
        }
    }
    failures
}

/// Compares an expected value with an output value; numbers written as
/// strings or numbers compare by decimal value.
pub fn same_value(want: &Json, got: &Json) -> bool {
    if want == got {
        return true;
    }
    let as_dec = |v: &Json| match v {
        Json::String(s) => num::parse_decimal(s).ok(),
        Json::Number(n) => num::parse_decimal(&n.to_string()).ok(),
        _ => None,
    };
    match (as_dec(want), as_dec(got)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
