//! `rulebook fmt` (LANGUAGE.md section 16): for every policy in the
//! repository that compiles (the rule files under rules/, crates/ and
//! fuzz/seeds/rules, the policies the test files hold, and the examples of
//! docs/), the formatted text compiles to the same program, formatting it
//! again changes nothing, and it keeps every comment in order. Then the
//! command itself, from the outside.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{rulebook, temp_dir};
use rulebook::{Date, Policy};
use rulebook_testing::generate;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Every file under `dir` whose name ends with `suffix`, sorted.
fn files_under(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            if e.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            files_under(&e, suffix, out);
        } else if e.to_string_lossy().ends_with(suffix) {
            out.push(e);
        }
    }
}

/// (name, text) of every policy in the repository.
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(ROOT);
    let mut out = Vec::new();
    let mut files = Vec::new();
    for dir in ["rules", "crates", "fuzz/seeds/rules"] {
        files_under(&root.join(dir), ".rules", &mut files);
    }
    for f in files {
        if let Ok(text) = String::from_utf8(std::fs::read(&f).unwrap()) {
            out.push((f.display().to_string(), text));
        }
    }
    // the policies held by test files (`source: |`)
    let mut tests = Vec::new();
    for dir in ["rules", "crates"] {
        files_under(&root.join(dir), ".test.yaml", &mut tests);
    }
    for f in tests {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if let Some(source) = doc.get("source").and_then(|s| s.as_str()) {
            out.push((f.display().to_string(), source.to_string()));
        }
    }
    // the examples of the documentation: code blocks that start a policy
    let mut docs = Vec::new();
    files_under(&root.join("docs"), ".md", &mut docs);
    docs.push(root.join("README.md"));
    for f in docs {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, block) in text.split("```").enumerate().filter(|(i, _)| i % 2 == 1) {
            let body = block.split_once('\n').map_or("", |(_, b)| b);
            let first = body
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'));
            if first.is_some_and(|l| l.starts_with("policy ")) {
                out.push((
                    format!("{} block {}", f.display(), i / 2 + 1),
                    body.to_string(),
                ));
            }
        }
    }
    out
}

/// The comments of a rule file, in order: read here independently of the
/// formatter (a `#` outside a text, to the end of its line).
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_text = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if in_text {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_text = false,
                    _ => {}
                }
            } else if c == '"' {
                in_text = true;
            } else if c == '#' {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// Without what depends on the layout: lines, the source hash, and the
/// places where evaluation can fail (one a line where each fails).
fn without_positions(mut v: Json) -> Json {
    fn strip(v: &mut Json) {
        match v {
            Json::Object(m) => {
                m.remove("line");
                m.remove("hash");
                m.remove("sites");
                m.values_mut().for_each(strip);
            }
            Json::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// Both versions decide alike: the same decisions (lines aside) or both
/// an error, on facts generated from the policy's inputs and constants,
/// on dates around its own.
fn decide_alike(name: &str, a: &Policy, b: &Policy) {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let facts = generate::facts(a, generate::FactsConfig::for_policy(a));
    let dates = generate::as_of_dates(a);
    for _ in 0..40 {
        let f = facts.new_tree(&mut runner).unwrap().current();
        let day = dates.new_tree(&mut runner).unwrap().current();
        let as_of = Date::parse(&rulebook::__private::num::format_date(day)).unwrap();
        let report = |p: &Policy| {
            p.evaluate(&f, as_of)
                .map(|o| without_positions(serde_json::to_value(p.report(&o, as_of)).unwrap()))
                .map_err(|_| ())
        };
        assert_eq!(report(a), report(b), "{name}: decides otherwise on {as_of}");
    }
}

/// The metadata as JSON without what depends on the layout.
fn meta_without_positions(policy: &Policy) -> Json {
    without_positions(serde_json::to_value(policy.meta()).unwrap())
}

#[test]
fn every_policy_in_the_repository_formats_to_the_same_program_idempotently() {
    let mut formatted_count = 0;
    let mut changed = 0;
    for (name, source) in corpus() {
        let Ok(original) = Policy::from_source(&name, &source) else {
            // a file that does not compile is refused, and left alone
            assert!(
                matches!(
                    rulebook::format_source(&name, &source),
                    Err(rulebook::FormatError::Compile(_))
                ),
                "{name}"
            );
            continue;
        };
        let once =
            rulebook::format_source(&name, &source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let twice = rulebook::format_source(&name, &once).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(once, twice, "{name}: formatting twice changes the text");
        let again = Policy::from_source(&name, &once).unwrap_or_else(|e| panic!("{name}: {e}"));
        // the same typed program, positions aside
        assert_eq!(
            rulebook::__private::program_shape(&original),
            rulebook::__private::program_shape(&again),
            "{name}: another program"
        );
        // the same metadata (clause texts among it) but for lines and hash
        assert_eq!(
            meta_without_positions(&original),
            meta_without_positions(&again),
            "{name}: other metadata"
        );
        assert_eq!(comments(&source), comments(&once), "{name}: comments");
        // the same decisions, through the compiled modules
        decide_alike(&name, &original, &again);
        // and lint finds the same warnings (its `# lint: allow` comments still apply)
        let names = |p: &Policy| -> Vec<&'static str> {
            rulebook::lint(p).unwrap().iter().map(|w| w.name).collect()
        };
        assert_eq!(names(&original), names(&again), "{name}: lint warnings");
        formatted_count += 1;
        changed += usize::from(once != source);
    }
    assert!(
        formatted_count >= 40,
        "only {formatted_count} policies compiled"
    );
    assert!(changed > 0);
}

#[test]
fn the_shipped_rules_are_formatted() {
    let out = rulebook(&["fmt", "--check", "rules/"], b"");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn check_lists_what_would_change_and_fmt_rewrites_it() {
    let tmp = temp_dir("fmt-rewrite");
    let dir = tmp.path();
    let messy = dir.join("messy.rules");
    let text = "policy messy  # a comment\ninput { age:int }\ndecision adult:bool\n  \
                require age>=18 because \"Must be 18\"\n";
    std::fs::write(&messy, text).unwrap();
    let path = messy.to_str().unwrap();

    let out = rulebook(&["fmt", "--check", path], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), path);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 would be reformatted"));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        text,
        "--check wrote"
    );

    let out = rulebook(&["fmt", dir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), path);
    // a blank line after the header; between items, where the source has one
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "policy messy  # a comment\n\ninput {\n  age: int\n}\ndecision adult: bool\n  \
         require age >= 18\n    because \"Must be 18\"\n"
    );
    // nothing is left beside it
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);

    let out = rulebook(&["fmt", "--check", path], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_file_that_does_not_compile_is_reported_and_left_alone() {
    let tmp = temp_dir("fmt-broken");
    let dir = tmp.path();
    let broken = dir.join("broken.rules");
    let text = "policy broken\ninput { age: int }\ndecision d: bool = agee  >  1\n";
    std::fs::write(&broken, text).unwrap();
    let good = dir.join("good.rules");
    std::fs::write(&good, "policy good\ndecision d: bool=true\n").unwrap();

    let out = rulebook(&["fmt", dir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.rules:3:20: error: unknown name `agee`; did you mean `age`?"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), text);
    // the other file is still formatted
    assert_eq!(
        std::fs::read_to_string(&good).unwrap(),
        "policy good\n\ndecision d: bool = true\n"
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let out = rulebook(&["fmt", "no/such/place.rules"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or folder"));
}
