//! The policy store: gated reloads (a version must compile and pass its
//! tests), atomic snapshots that in-flight evaluations keep, rollback,
//! removal and name clashes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::Date;
use rulebook_serve::store::{Change, PolicyStore, StoreOptions};
use tempfile::TempDir;

/// A fresh, empty folder of its own, removed when dropped.
fn folder(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("rulebook-store-{name}-"))
        .tempdir()
        .unwrap()
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
    let tmp = folder("gate");
    let dir = tmp.path();
    std::fs::write(dir.join("p.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, report) = PolicyStore::open(dir).unwrap();
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

fn open(
    dir: &std::path::Path,
    allow_untested: bool,
) -> (PolicyStore, rulebook_serve::store::ReloadReport) {
    PolicyStore::open_with(
        dir,
        StoreOptions {
            allow_untested,
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

fn reasons(store: &PolicyStore) -> Vec<(String, String)> {
    store
        .snapshot()
        .rejected
        .values()
        .map(|r| (r.file.clone(), r.reason.clone()))
        .collect()
}

#[test]
fn removed_files_stop_serving() {
    let tmp = folder("removed");
    let dir = tmp.path();
    std::fs::write(dir.join("a.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("a.test.yaml"), TESTS).unwrap();
    let (store, report) = open(dir, false);
    assert_eq!(report.rejected(), 0, "{report:?}");
    std::fs::remove_file(dir.join("a.rules")).unwrap();
    let report = store.reload().unwrap();
    assert!(
        matches!(&report.changes[..], [Change::Removed { policy, .. }] if policy == "p"),
        "{report:?}"
    );
    assert!(store.get("p").is_none());
}

#[test]
fn two_files_claiming_one_name_are_both_refused_at_start_and_on_reload() {
    let tmp = folder("names");
    let dir = tmp.path();
    std::fs::write(dir.join("a.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("a.test.yaml"), TESTS).unwrap();
    std::fs::write(dir.join("b.rules"), policy(2).replace("a * 2", "2 * a")).unwrap();
    std::fs::write(dir.join("b.test.yaml"), TESTS).unwrap();
    // at start-up: neither is served, whatever their names' order
    let (store, report) = open(dir, false);
    assert_eq!(report.rejected(), 2, "{report:?}");
    assert!(store.get("p").is_none());
    for (file, reason) in reasons(&store) {
        assert!(
            reason.contains("declared by 2 files (a.rules, b.rules)"),
            "{file}: {reason}"
        );
    }
    // resolved: the remaining one is served
    std::fs::remove_file(dir.join("b.rules")).unwrap();
    let report = store.reload().unwrap();
    assert!(
        matches!(&report.changes[..], [Change::Added { policy, .. }] if policy == "p"),
        "{report:?}"
    );
    assert!(store.snapshot().rejected.is_empty());
    // a second claim while one is served stops the name being served
    std::fs::write(dir.join("z.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("z.test.yaml"), TESTS).unwrap();
    let report = store.reload().unwrap();
    assert!(store.get("p").is_none(), "{report:?}");
    assert!(
        report
            .changes
            .iter()
            .any(|c| matches!(c, Change::Removed { reason, .. } if reason.contains("declared by 2 files"))),
        "{report:?}"
    );
}

/// A module built from other rules whose metadata claims the source hash of
/// `claimed` (same length, so the custom section stays well formed).
fn forged_module(real_source: &str, claimed: &str) -> Vec<u8> {
    let real = rulebook::Policy::from_source("evil.rules", real_source).unwrap();
    let mut wasm = real.wasm().to_vec();
    let from = real.hash().as_bytes().to_vec();
    let to = rulebook::sha256_hex(claimed.as_bytes());
    let at = wasm
        .windows(from.len())
        .position(|w| w == from.as_slice())
        .expect("the module carries its source hash");
    wasm[at..at + from.len()].copy_from_slice(to.as_bytes());
    wasm
}

#[test]
fn a_module_is_identified_by_its_own_bytes_not_its_metadata() {
    let good = policy(2);
    let wasm = forged_module(&policy(80), &good);
    let p = rulebook::Policy::from_wasm("evil.wasm", wasm.clone()).unwrap();
    assert_ne!(p.hash(), rulebook::sha256_hex(good.as_bytes()));
    assert_eq!(p.hash(), rulebook::sha256_hex(&wasm));
    let out = p
        .evaluate_json(r#"{"a": 1}"#, Date::parse("2026-01-01").unwrap())
        .unwrap();
    assert_eq!(out["hash"], rulebook::sha256_hex(&wasm));

    // dropped beside the real policy: a name clash, neither is served
    let tmp = folder("forged");
    let dir = tmp.path();
    std::fs::write(dir.join("p.rules"), &good).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, _) = open(dir, false);
    assert_eq!(d_of(&store), 20);
    std::fs::write(dir.join("a_evil.wasm"), &wasm).unwrap();
    std::fs::write(
        dir.join("a_evil.test.yaml"),
        TESTS.replace("d: 4", "d: 160"),
    )
    .unwrap();
    store.reload().unwrap();
    assert!(store.get("p").is_none());
    // and after a restart, the same
    let (restarted, report) = open(dir, true);
    assert!(restarted.get("p").is_none(), "{report:?}");
}

#[test]
fn the_test_gate_never_fails_open() {
    let tmp = folder("gate-open");
    let dir = tmp.path();
    std::fs::write(dir.join("p.rules"), policy(2)).unwrap();
    // no tests: refused unless untested policies are allowed
    let (store, report) = open(dir, false);
    assert!(store.get("p").is_none());
    assert!(
        matches!(&report.changes[..], [Change::Rejected { reason, .. }] if reason.contains("--allow-untested")),
        "{report:?}"
    );
    let (store, _) = open(dir, true);
    assert_eq!(d_of(&store), 20);

    // tested version served; the tests are moved away and a wrong edit made
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, report) = open(dir, true);
    assert_eq!(report.rejected(), 0);
    std::fs::rename(dir.join("p.test.yaml"), dir.join("p.test.yaml.off")).unwrap();
    std::fs::write(dir.join("p.rules"), policy(3)).unwrap();
    let report = store.reload().unwrap();
    assert_eq!(
        d_of(&store),
        20,
        "an untested edit replaced a tested version"
    );
    assert!(
        matches!(&report.changes[..], [Change::Rejected { reason, .. }] if reason.contains("never replaces a tested one")),
        "{report:?}"
    );
    // the tests come back: still failing, so still refused
    std::fs::rename(dir.join("p.test.yaml.off"), dir.join("p.test.yaml")).unwrap();
    let report = store.reload().unwrap();
    assert_eq!(report.rejected(), 1, "{report:?}");
    assert_eq!(d_of(&store), 20);
    // an edit to the tests alone is a new version: fixed tests let it go live
    std::fs::write(dir.join("p.test.yaml"), TESTS.replace("d: 4", "d: 6")).unwrap();
    let report = store.reload().unwrap();
    assert!(
        matches!(&report.changes[..], [Change::Updated { .. }]),
        "{report:?}"
    );
    assert_eq!(d_of(&store), 30);
    // a restarted store decides the same
    let (restarted, _) = open(dir, false);
    assert_eq!(d_of(&restarted), 30);
    // the rejected candidate is shown with its reason while it is refused
    std::fs::write(dir.join("p.rules"), policy(4)).unwrap();
    store.reload().unwrap();
    let rejected = reasons(&store);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, "p.rules");
    assert!(rejected[0].1.contains("tests failed"), "{rejected:?}");
    assert!(
        !rejected[0].1.contains(&dir.display().to_string()),
        "reasons do not show the server's folder: {rejected:?}"
    );
}

#[test]
fn oversized_files_are_refused_without_compiling() {
    let tmp = folder("big");
    let dir = tmp.path();
    let mut big = policy(2);
    big.push_str(&"# padding\n".repeat(200));
    std::fs::write(dir.join("p.rules"), &big).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, report) = PolicyStore::open_with(
        dir,
        StoreOptions {
            max_policy_bytes: 1000,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert!(store.get("p").is_none());
    assert!(
        matches!(&report.changes[..], [Change::Rejected { reason, .. }] if reason.contains("more than the 1000")),
        "{report:?}"
    );
}

#[test]
fn a_rollback_lasts_until_the_file_changes() {
    let tmp = folder("rollback");
    let dir = tmp.path();
    std::fs::write(dir.join("p.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS).unwrap();
    let (store, _) = open(dir, false);
    std::fs::write(dir.join("p.rules"), policy(2).replace("a * 2", "a + a")).unwrap();
    store.reload().unwrap();
    let second = store.get("p").unwrap().policy.hash().to_string();
    store.rollback("p").unwrap();
    assert_ne!(store.get("p").unwrap().policy.hash(), second);
    // an unrelated reload keeps the rollback
    assert!(store.reload().unwrap().changes.is_empty());
    assert_ne!(store.get("p").unwrap().policy.hash(), second);
    // an edit ends it
    std::fs::write(
        dir.join("p.rules"),
        policy(2).replace("a * 2", "2 + 2 * a - 2"),
    )
    .unwrap();
    let report = store.reload().unwrap();
    assert!(
        matches!(&report.changes[..], [Change::Updated { .. }]),
        "{report:?}"
    );
}

#[test]
fn compiled_modules_are_served_too() {
    let tmp = folder("wasm");
    let dir = tmp.path();
    let p = rulebook::Policy::from_source("p.rules", &policy(7)).unwrap();
    std::fs::write(dir.join("p.wasm"), p.wasm()).unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS.replace("d: 4", "d: 14")).unwrap();
    let (store, report) = open(dir, false);
    assert_eq!(report.rejected(), 0, "{report:?}");
    assert_eq!(d_of(&store), 70);
    std::fs::write(dir.join("junk.wasm"), b"not a module").unwrap();
    let report = store.reload().unwrap();
    assert_eq!(report.rejected(), 1);
}
