//! `rulebook lint` (LANGUAGE.md section 13), from the outside.
//!
//! Each policy under tests/lint/planted marks the lines where a warning is
//! due with `# expect: NAME`; lint must give exactly those (name and line),
//! and none for tests/lint/clean or the shipped rules. Each claim that no
//! input reaches a clause, or makes a require false or true, is then
//! tested against the interpreter on a grid of inputs around the policy's
//! own constants: no input of the grid may contradict it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::rulebook;
use rulebook::meta::ValueType;
use rulebook::{Date, Policy, Value};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no policies in {dir}");
    out
}

/// The warnings `rulebook lint --format json` gives for one file.
fn lint(file: &Path) -> Vec<Json> {
    let out = rulebook(&["lint", "--format", "json", file.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Json = serde_json::from_slice(&out.stdout).unwrap();
    j["warnings"].as_array().unwrap().clone()
}

/// `(line, name)` of every `# expect: NAME` in a file.
fn expected(file: &Path) -> BTreeSet<(u64, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, names)) = line.split_once("# expect: ") {
            for name in names.split(',') {
                out.insert((i as u64 + 1, name.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn planted_mistakes_are_each_warned_at_their_line() {
    for file in files("crates/rulebook-cli/tests/lint/planted") {
        let got: BTreeSet<(u64, String)> = lint(&file)
            .iter()
            .map(|w| {
                (
                    w["line"].as_u64().unwrap(),
                    w["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = expected(&file);
        assert!(!want.is_empty(), "{} expects nothing", file.display());
        assert_eq!(got, want, "{}", file.display());
    }
}

#[test]
fn clean_policies_and_the_shipped_rules_get_no_warning() {
    for file in files("crates/rulebook-cli/tests/lint/clean")
        .into_iter()
        .chain(files("rules"))
    {
        assert_eq!(lint(&file), Vec::<Json>::new(), "{}", file.display());
    }
    let out = rulebook(&["lint", "--deny-warnings", "rules"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_output_deny_warnings_and_allow_comments() {
    let file = "crates/rulebook-cli/tests/lint/planted/when_shadowed.rules";
    let out = rulebook(&["lint", file], b"");
    assert!(out.status.success(), "warnings alone exit 0");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!(
            "{file}:7:8: warning: no input reaches this clause: every input with `age >= 21` also has `age >= 18`, taken by line 6 [unreachable-clause]\n  \
             |\n7 |   when age >= 21 -> \"older\"                       # expect: unreachable-clause\n  \
             |        ^^^^^^^^^\n  = help: silence it on this line with `# lint: allow(unreachable-clause)`\n"
        )
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "linted 1 file: 1 warning\n"
    );
    assert_eq!(
        rulebook(&["lint", "--deny-warnings", file], b"")
            .status
            .code(),
        Some(1)
    );

    // the same policy with the line allowed
    let tmp = common::temp_dir("lint");
    let dir = tmp.path();
    let source = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
    let allowed = dir.join("allowed.rules");
    std::fs::write(
        &allowed,
        source.replace(
            "# expect: unreachable-clause",
            "# lint: allow(unused-input, unreachable-clause)",
        ),
    )
    .unwrap();
    assert_eq!(lint(&allowed), Vec::<Json>::new());
    let out = rulebook(&["lint", "--deny-warnings", allowed.to_str().unwrap()], b"");
    assert!(out.status.success());

    // a file that does not compile: its errors, exit 1
    let broken = dir.join("broken.rules");
    std::fs::write(&broken, "policy broken\ninput { age: int\n").unwrap();
    let out = rulebook(&["lint", broken.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.rules:"));
}

/// Values of each input worth trying: around every constant of the policy.
fn grid(policy: &Policy) -> Vec<Vec<Json>> {
    let source = policy.source();
    let mut numbers: BTreeSet<i64> = [-1, 0, 1, 2, 3].into_iter().collect();
    for word in source.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')) {
        let digits: String = word
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if let Ok(x) = digits.parse::<f64>() {
            let n = x.floor() as i64;
            numbers.extend([n - 1, n, n + 1, 2 * n, n / 2]);
        }
    }
    policy
        .meta()
        .input
        .fields
        .iter()
        .map(|f| match &f.ty {
            ValueType::Int => numbers.iter().map(|n| json!(n)).collect(),
            ValueType::Money => numbers
                .iter()
                .flat_map(|n| [json!(format!("{n}.00")), json!(format!("{n}.01"))])
                .collect(),
            ValueType::Enum { variants } => variants.iter().map(|v| json!(v)).collect(),
            ValueType::Bool => vec![json!(true), json!(false)],
            ValueType::Text => vec![json!("a"), json!("")],
            ValueType::Date => vec![json!("2026-01-01")],
            _ => vec![Json::Null],
        })
        .collect()
}

#[test]
fn every_claim_about_all_inputs_holds_on_a_grid_of_inputs() {
    let dates = ["2024-06-01", "2025-02-01", "2025-06-01", "2026-06-01"];
    for file in files("crates/rulebook-cli/tests/lint/planted") {
        let policy = Policy::from_file(&file).unwrap();
        let warnings = lint(&file);
        let names: Vec<String> = policy
            .meta()
            .input
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let values = grid(&policy);
        // every combination, by counting in mixed radix
        let total: usize = values.iter().map(Vec::len).product();
        assert!(total <= 200_000, "{}: grid of {total}", file.display());
        let mut checked = 0;
        for n in 0..total {
            let mut rest = n;
            let mut facts = serde_json::Map::new();
            for (name, vs) in names.iter().zip(&values) {
                facts.insert(name.clone(), vs[rest % vs.len()].clone());
                rest /= vs.len();
            }
            let facts = policy
                .parse_facts(&Json::Object(facts).to_string())
                .unwrap();
            for date in dates {
                let Ok(out) = policy.evaluate_with(
                    rulebook::Engine::Interpreter,
                    &facts,
                    Date::parse(date).unwrap(),
                ) else {
                    continue;
                };
                for (d, o) in policy.meta().decisions.iter().zip(&out.decisions) {
                    for w in &warnings {
                        let line = w["line"].as_u64().unwrap() as u32;
                        let at = |i: usize| d.clauses.get(i).is_some_and(|c| c.line == line);
                        match w["name"].as_str().unwrap() {
                            "unreachable-clause" | "unreachable-otherwise" => {
                                assert!(
                                    !o.clause.is_some_and(at),
                                    "{}: line {line} reached on {date}",
                                    file.display()
                                );
                            }
                            "require-always-true" => assert!(
                                !o.reasons.iter().any(|r| at(*r)),
                                "{}: line {line} failed on {date}",
                                file.display()
                            ),
                            "require-never-true" if d.clauses.iter().any(|c| c.line == line) => {
                                assert_ne!(o.value, Some(Value::Bool(true)));
                            }
                            _ => {}
                        }
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 0, "{}", file.display());
    }
}

#[test]
fn coverage_counts_a_clause_lint_proves_unreachable_apart() {
    let tmp = common::temp_dir("lint-coverage");
    let dir = tmp.path();
    let source = std::fs::read_to_string(
        Path::new(ROOT).join("crates/rulebook-cli/tests/lint/planted/when_shadowed.rules"),
    )
    .unwrap();
    std::fs::write(dir.join("band.rules"), source).unwrap();
    std::fs::write(
        dir.join("band.test.yaml"),
        "cases:\n  - name: adult\n    as_of: 2026-01-01\n    input: { age: 30 }\n    expect: { band: adult }\n  \
         - name: child\n    as_of: 2026-01-01\n    input: { age: 10 }\n    expect: { band: child }\n  \
         - name: unknown\n    as_of: 2026-01-01\n    input: {}\n    expect: { band: null }\n",
    )
    .unwrap();
    let out = rulebook(
        &[
            "test",
            "--coverage",
            "--min-coverage",
            "100",
            dir.to_str().unwrap(),
        ],
        b"",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("100.0% (3/3 goals, 1 unreachable)"), "{text}");
    assert!(
        text.contains("line 7: band: when `age >= 21` never taken: unreachable (rulebook lint proves no input can)"),
        "{text}"
    );
}

#[test]
fn a_division_in_a_branch_never_taken_is_not_blamed_for_its_neighbour() {
    // the interpreter's error names the line of a division by zero, not the
    // division: the one in the `else` never fails, whatever `household` is
    let tmp = common::temp_dir("lint-division");
    let dir = tmp.path();
    let file = dir.join("neighbours.rules");
    std::fs::write(
        &file,
        "policy neighbours\ninput { income: money, household: int }\n\
         decision share: money = if true then income / household else £1 / household\n",
    )
    .unwrap();
    let else_column = "decision share: money = if true then income / household else £1 / "
        .chars()
        .count() as u64
        + 1;
    for w in lint(&file) {
        assert!(
            !(w["line"] == 3 && w["column"] == else_column),
            "the division that never runs was blamed: {w}"
        );
    }
}
