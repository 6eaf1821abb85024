//! Property suites in test files: correct properties pass, wrong ones fail
//! with a shrunk counterexample printed as a ready-to-paste test case, and
//! the same seed gives the same run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_testing::{run_file_with, RunOptions};
use std::path::PathBuf;
use tempfile::TempDir;

const POLICY: &str = r#"
policy allowance
input {
  age: int
  income: money
  resident: bool
}
decision eligible: bool
  require resident because "Must live here"
  require age >= 18 because "Adults only"
decision award: money = if eligible then 100 - income else 0
decision capped: money = if eligible then max(0, 100 - income) else 0
"#;

/// A test file of `properties` beside the policy, in a folder of its own
/// (removed when the `TempDir` is dropped), and the file's path.
fn suite(name: &str, properties: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("rulebook-props-{name}-"))
        .tempdir()
        .unwrap();
    std::fs::write(dir.path().join("allowance.rules"), POLICY).unwrap();
    let file = dir.path().join("allowance.test.yaml");
    std::fs::write(&file, format!("cases: []\nproperties:\n{properties}")).unwrap();
    (dir, file)
}

#[test]
fn true_properties_pass() {
    let (_dir, file) = suite(
        "ok",
        r#"  - name: capped award is never negative
    always: capped >= 0
  - name: ineligible people get nothing
    never: not eligible and capped > 0
  - name: more income never raises the capped award
    monotone: { fact: income, decision: capped, direction: non_increasing }
  - name: eligibility reads only residence and age
    depends_only_on: { decision: eligible, facts: [resident, age] }
"#,
    );
    let report = run_file_with(&file, &RunOptions::default()).unwrap();
    assert_eq!(report.properties.len(), 4);
    for p in &report.properties {
        assert!(p.passed, "{}: {:?}", p.name, p.message);
        assert!(p.decided > 0, "{} was never judged", p.name);
    }
}

#[test]
fn a_false_property_shrinks_to_a_minimal_counterexample() {
    let (_dir, file) = suite(
        "fail",
        r#"  - name: award is never negative
    always: award >= 0
    complete: true
"#,
    );
    let report = run_file_with(&file, &RunOptions::default()).unwrap();
    let p = &report.properties[0];
    assert!(!p.passed);
    let example = p.counterexample.as_deref().unwrap();
    // ready to paste: a YAML list item with the facts and what the policy decides
    let parsed: Vec<serde_yaml::Value> = serde_yaml::from_str(example).unwrap();
    let input = &parsed[0]["input"];
    assert_eq!(input["resident"], serde_yaml::Value::Bool(true));
    // shrinking finds the boundary: the smallest adult age and the smallest income above £100
    assert_eq!(input["age"].as_i64(), Some(18), "{example}");
    assert_eq!(input["income"].as_str(), Some("100.01"), "{example}");
    assert_eq!(
        parsed[0]["expect"]["award"].as_str(),
        Some("-0.01"),
        "{example}"
    );
}

#[test]
fn wrong_monotonicity_and_dependencies_are_found() {
    let (_dir, file) = suite(
        "fail2",
        r#"  - name: award grows with income (wrong)
    monotone: { fact: income, decision: award, direction: non_decreasing }
    complete: true
  - name: eligibility reads only age (wrong)
    depends_only_on: { decision: eligible, facts: [age] }
  - name: a property with a broken expression
    always: awrd > 0
"#,
    );
    let report = run_file_with(&file, &RunOptions::default()).unwrap();
    assert!(report.properties.iter().all(|p| !p.passed));
    assert!(report.properties[0].counterexample.is_some());
    assert!(report.properties[1].counterexample.is_some());
    let broken = report.properties[2].message.as_deref().unwrap();
    assert!(broken.contains("did you mean `award`"), "{broken}");
}

#[test]
fn the_same_seed_repeats_and_another_seed_varies() {
    let (_dir, file) = suite(
        "seed",
        r#"  - name: award is never negative
    always: award >= 0
"#,
    );
    let a = run_file_with(&file, &RunOptions::default()).unwrap();
    let b = run_file_with(&file, &RunOptions::default()).unwrap();
    assert_eq!(
        a.properties[0].counterexample,
        b.properties[0].counterexample
    );
    assert_eq!(a.properties[0].decided, b.properties[0].decided);
    let c = run_file_with(
        &file,
        &RunOptions {
            seed: 7,
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert!(!c.properties[0].passed);
}
