//! Test files as a policy author writes them: YAML merge keys (`<<: *base`)
//! to share facts between cases, a located error for YAML this runner does
//! not support (tags), and an undeclared (misspelt) fact in a case is an
//! error naming the case and suggesting the declared name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_testing as testing;
use std::path::PathBuf;
use tempfile::TempDir;

const POLICY: &str = "policy pension_credit
input {
  a: int
  b: int
  receives_universal_credit: bool
  children: list of { age: int }
}
decision total: int = a + b
decision uc: bool = receives_universal_credit
decision ages: int = sum(c in children: c.age)
";

/// A folder of its own (removed when the `TempDir` is dropped) with the
/// policy and the test file `yaml`, and the test file's path.
fn write(name: &str, yaml: &str) -> (TempDir, PathBuf) {
    let dir = temp_dir(&format!("rulebook-yaml-authoring-{name}-"));
    std::fs::write(dir.path().join("pension_credit.rules"), POLICY).unwrap();
    let file = dir.path().join("pension_credit.test.yaml");
    std::fs::write(&file, yaml).unwrap();
    (dir, file)
}

/// A fresh empty folder under the system temp dir, named from `prefix`,
/// removed when dropped.
fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().unwrap()
}

fn failures(report: &testing::FileReport) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{} (line {}): {}", c.name, c.line, c.failures().join("; ")))
        .collect()
}

#[test]
fn merge_keys_share_facts_between_cases() {
    let (_dir, file) = write(
        "merge",
        "x-base: &base { a: 1, b: 2, receives_universal_credit: true }
x-kids: &kids { children: [{ age: 3 }] }
cases:
  - name: the base facts alone
    as_of: 2026-01-01
    input: *base
    expect: { total: 3, uc: true }
  - name: a merge with an override
    as_of: 2026-01-01
    input: { <<: *base, b: 5 }
    expect: { total: 6, uc: true }
  - name: a merge of several mappings, the first winning
    as_of: 2026-01-01
    input:
      <<: [*kids, *base]
      a: 10
    expect: { total: 12, ages: 3 }
  - &shared
    name: a whole case as an anchor
    as_of: 2026-01-01
    input: { <<: *base }
    expect: { total: 3 }
  - <<: *shared
    name: a case merged from another, with its own facts
    input: { <<: *base, a: 100 }
    expect: { total: 102 }
",
    );
    let report = testing::run_file(&file).unwrap();
    assert_eq!(report.cases.len(), 5);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    // each case is found on its own line, anchored and merged ones too
    assert_eq!(report.cases[3].line, 18);
    assert_eq!(report.cases[4].line, 23);
}

#[test]
fn tags_are_refused_with_their_location() {
    let (_dir, file) = write(
        "tags",
        "cases:
  - name: tagged
    as_of: 2026-01-01
    input: { a: !secret 1, b: 2 }
    expect: { total: 3 }
",
    );
    let e = testing::run_file(&file).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}:4:17: ", file.display())),
        "{shown}"
    );
    assert!(shown.contains("tag `!secret`"), "{shown}");
}

#[test]
fn a_bad_merge_is_a_clear_error() {
    let (_dir, file) = write(
        "badmerge",
        "cases:
  - name: merging a number
    as_of: 2026-01-01
    input: { <<: 5, b: 2 }
    expect: { total: 3 }
",
    );
    let e = testing::run_file(&file).unwrap_err().to_string();
    assert!(e.contains("merge"), "{e}");
    assert!(!e.contains("ScalarInMerge"), "{e}");
}

#[test]
fn an_unknown_key_in_a_case_names_the_case_and_its_line() {
    let (_dir, file) = write(
        "unknown",
        "x-base: &base { a: 1 }
cases:
  - name: fine
    input: *base
  - name: typo
    input: *base
    expcet: { total: 1 }
",
    );
    let e = testing::run_file(&file).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:5:", file.display())), "{e}");
    assert!(e.contains("`expcet`"), "{e}");
}

#[test]
fn an_undeclared_fact_fails_its_case_with_a_did_you_mean() {
    let (_dir, file) = write(
        "undeclared",
        "cases:
  - name: misspelt fact
    as_of: 2026-01-01
    input: { a: 1, b: 2, recieves_universal_credit: true }
    expect: { total: 3 }
  - name: misspelt list field
    as_of: 2026-01-01
    input: { a: 1, b: 2, children: [{ agee: 3 }] }
    expect: { total: 3 }
  - name: fine
    as_of: 2026-01-01
    input: { a: 1, b: 2 }
    expect: { total: 3 }
",
    );
    let report = testing::run_file(&file).unwrap();
    let f = failures(&report);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[0].starts_with("misspelt fact (line 2): input:"), "{f:?}");
    assert!(
        f[0].contains("`recieves_universal_credit` is not an input of pension_credit; did you mean `receives_universal_credit`?"),
        "{f:?}"
    );
    assert!(
        f[1].contains(
            "`children[].agee` is not an input of pension_credit; did you mean `children[].age`?"
        ),
        "{f:?}"
    );
}

#[test]
fn property_failures_show_values_as_the_decisions_json_does() {
    let tmp = temp_dir("rulebook-yaml-props-");
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.rules"),
        "policy p\ninput {\n  a: int\n  b: int\n}\ndecision label: text = if a > b then \"high\" else \"low\"\ndecision pay: money = a * £1.50\n",
    )
    .unwrap();
    let file = dir.join("p.test.yaml");
    std::fs::write(
        &file,
        "properties:
  - name: label ignores b
    complete: true
    depends_only_on: { decision: label, facts: [a] }
  - name: pay falls with a
    complete: true
    facts: { a: { min: 1, max: 100 } }
    monotone: { fact: a, decision: pay, direction: non_increasing }
",
    )
    .unwrap();
    let report = testing::run_file(&file).unwrap();
    assert_eq!(report.properties.len(), 2);
    for p in &report.properties {
        let message = p.message.clone().unwrap_or_default();
        assert!(!p.passed, "{p:?}");
        for internal in ["Some(", "Text(", "Num("] {
            assert!(!message.contains(internal), "{internal} in {message}");
        }
    }
    let m = report.properties[0].message.clone().unwrap();
    assert!(m.contains(r#""high""#) && m.contains(r#""low""#), "{m}");
    let m = report.properties[1].message.clone().unwrap();
    assert!(m.contains("moved the decision from \""), "{m}");
}

#[test]
fn malformed_items_are_described_without_rust_type_names() {
    for (name, yaml) in [
        ("monotone", "properties:\n  - name: p\n    monotone: 5\n"),
        (
            "cases",
            "properties:\n  - name: p\n    cases: -1\n    always: true\n",
        ),
        ("missing", "cases:\n  - name: c\n    missing: 5\n"),
    ] {
        let (_dir, file) = write(name, yaml);
        let e = testing::run_file(&file).unwrap_err().to_string();
        assert!(e.contains(":2: "), "{e}");
        for internal in ["struct ", "u32", "Monotone", "sequence", "mappingping"] {
            assert!(!e.contains(internal), "{internal} in {e}");
        }
    }
}
