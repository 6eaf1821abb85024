//! `rulebook new NAME`, from the outside: the files it writes check, lint
//! clean, are already formatted, and pass their tests with every clause
//! covered; it never overwrites a file and refuses names that cannot name
//! a policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{rulebook, temp_dir};
use std::process::Output;

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_new_policy_checks_lints_is_formatted_and_passes_its_tests() {
    let tmp = temp_dir("new");
    let dir = tmp.path();
    let name = dir.join("winter_help");
    let out = rulebook(&["new", name.to_str().unwrap()], b"");
    ok(&out, "new");
    let policy = dir.join("winter_help.rules");
    let tests = dir.join("winter_help.test.yaml");
    let (p, t) = (policy.to_str().unwrap(), tests.to_str().unwrap());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("wrote {p} and {t}")));

    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("policy winter_help\n"), "{text}");
    // what the template shows
    for part in [
        "ask \"",
        "  from 2025-04-01 = ",
        "because \"",
        "source \"",
        "  when ",
        "otherwise -> ",
    ] {
        assert!(text.contains(part), "the template has no {part:?}");
    }
    let yaml = std::fs::read_to_string(&tests).unwrap();
    assert!(yaml.contains("properties:") && yaml.contains("policy: winter_help.rules"));

    ok(&rulebook(&["check", p], b""), "check");
    ok(&rulebook(&["lint", "--deny-warnings", p], b""), "lint");
    ok(&rulebook(&["fmt", "--check", p], b""), "fmt --check");
    let out = rulebook(&["test", t, "--min-coverage", "100"], b"");
    ok(&out, "test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.trim_end().ends_with("9 passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn new_never_overwrites() {
    let tmp = temp_dir("new-twice");
    let dir = tmp.path();
    let tests = dir.join("mine.test.yaml");
    std::fs::write(&tests, "mine").unwrap();
    let out = rulebook(&["new", dir.join("mine").to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists: nothing written"));
    assert_eq!(std::fs::read_to_string(&tests).unwrap(), "mine");
    assert!(!dir.join("mine.rules").exists());
}

#[test]
fn a_name_that_cannot_name_a_policy_is_refused() {
    let tmp = temp_dir("new-names");
    let dir = tmp.path();
    for (name, says) in [
        ("9lives", "use letters, digits and `_`"),
        ("with-dash", "use letters, digits and `_`"),
        ("decision", "reserved word"),
    ] {
        let out = rulebook(&["new", dir.join(name).to_str().unwrap()], b"");
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}
