//! The policy store: gated reloads (a version must compile and pass its
//! tests), atomic snapshots that in-flight evaluations keep, rollback,
//! removal and name clashes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::store::{Change, PolicyStore};
use rulebook::Date;
use std::path::PathBuf;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn policy(factor: i64) -> String {
    format!("policy p\ninput {{ a: int }}\ndecision d: int = a * {factor}\n")
}

const TESTS: &str =
    "cases:\n  - name: doubles\n    as_of: 2026-01-01\n    input: { a: 2 }\n    expect: { d: 4 }\n";

fn d_of(store: &PolicyStore) -> serde_json::Value {
    let v = store.get("p").unwrap();
    let out = v
        .policy
        .evaluate_json(r#"{"a": 10}"#, Date::parse("2026-01-01").unwrap())
        .unwrap();
    out["decisions"]["d"]["value"].clone()
}

#[test]
fn only_versions_that_compile_and_pass_their_tests_go_live() {
    let dir = folder("gate");
    std::fs::write(dir.join("p.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, report) = PolicyStore::open(&dir).unwrap();
    assert!(matches!(&report.changes[..], [Change::Added { policy, .. }] if policy == "p"));
    assert_eq!(d_of(&store), 20);
    let first = store.get("p").unwrap();

    // a syntax error: rejected with its diagnostic, the old version stays
    std::fs::write(
        dir.join("p.rules"),
        "policy p\ninput { a: int }\ndecision d: int = a *\n",
    )
    .unwrap();
    let report = store.reload().unwrap();
    match &report.changes[..] {
        [Change::Rejected { reason, .. }] => assert!(
            reason.contains("p.rules:4:1: error: expected an expression"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(d_of(&store), 20);

    // compiles, but fails its tests: rejected
    std::fs::write(dir.join("p.rules"), policy(3)).unwrap();
    let report = store.reload().unwrap();
    match &report.changes[..] {
        [Change::Rejected { reason, .. }] => assert!(reason.contains("doubles"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(d_of(&store), 20);
    // an unchanged broken file is not recompiled on every reload
    assert!(store.reload().unwrap().changes.is_empty());

    // a good edit goes live; an evaluation holding the old version keeps it
    std::fs::write(dir.join("p.rules"), policy(2).replace("a * 2", "2 * a")).unwrap();
    let report = store.reload().unwrap();
    assert!(
        matches!(&report.changes[..], [Change::Updated { .. }]),
        "{report:?}"
    );
    let second = store.get("p").unwrap();
    assert_ne!(first.policy.hash(), second.policy.hash());
    let held = first
        .policy
        .evaluate_json(r#"{"a": 1}"#, Date::parse("2026-01-01").unwrap())
        .unwrap();
    assert_eq!(held["hash"], first.policy.hash());

    // rollback serves the previous version again
    let change = store.rollback("p").unwrap();
    assert!(matches!(change, Change::Updated { ref to, .. } if to == first.policy.hash()));
    assert_eq!(store.get("p").unwrap().policy.hash(), first.policy.hash());
    assert!(
        store.rollback("p").is_err(),
        "only one earlier version exists"
    );
}

#[test]
fn removed_files_stop_serving_and_names_must_be_unique() {
    let dir = folder("names");
    std::fs::write(dir.join("a.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("b.rules"), policy(5)).unwrap();
    let (store, report) = PolicyStore::open(&dir).unwrap();
    assert_eq!(report.rejected(), 1, "{report:?}");
    assert_eq!(store.snapshot().policies.len(), 1);
    std::fs::remove_file(dir.join("a.rules")).unwrap();
    std::fs::remove_file(dir.join("b.rules")).unwrap();
    let report = store.reload().unwrap();
    assert!(
        report
            .changes
            .iter()
            .any(|c| matches!(c, Change::Removed { .. })),
        "{report:?}"
    );
    assert!(store.get("p").is_none());
}

#[test]
fn compiled_modules_are_served_too() {
    let dir = folder("wasm");
    let p = rulebook::Policy::from_source("p.rules", &policy(7)).unwrap();
    std::fs::write(dir.join("p.wasm"), p.wasm()).unwrap();
    let (store, report) = PolicyStore::open(&dir).unwrap();
    assert_eq!(report.rejected(), 0, "{report:?}");
    assert_eq!(d_of(&store), 70);
    std::fs::write(dir.join("junk.wasm"), b"not a module").unwrap();
    let report = store.reload().unwrap();
    assert_eq!(report.rejected(), 1);
}
