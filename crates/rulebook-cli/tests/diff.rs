//! `rulebook diff` as a reviewer runs it (LANGUAGE.md section 12): the
//! static differences of two versions, and the impact over cases with
//! their own dates and over decision log entries, every count checked
//! against `rulebook eval` of each case on each version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::rulebook;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fresh folder of the calling test's own, removed when dropped.
fn dir() -> TempDir {
    common::temp_dir("diff")
}

/// Pension credit with a new rate from 2026-04-06, a higher capital
/// disregard, and the earnings disregard require rewritten, written in
/// `dir`.
fn new_version(dir: &Path) -> PathBuf {
    let old = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/pension_credit.rules"
    ))
    .unwrap();
    let new = old
        .replace(
            "  from 2025-04-07 = £227.10",
            "  from 2025-04-07 = £227.10\n  from 2026-04-06 = £235.00",
        )
        .replace(
            "param capital_disregard: money = £10,000",
            "param capital_disregard: money = £12,000",
        );
    assert_ne!(old, new);
    let p = dir.join("pension_credit_new.rules");
    std::fs::write(&p, new).unwrap();
    p
}

fn eval(policy: &str, as_of: &str, facts: &Value) -> Value {
    let out = rulebook(
        &["eval", policy, "--as-of", as_of, "--compact"],
        facts.to_string().as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn static_and_impact_agree_with_eval_case_by_case() {
    let tmp = dir();
    let new = new_version(tmp.path());
    let new = new.to_str().unwrap();
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../rules/pension_credit.example.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut lines = Vec::new();
    let mut cases = Vec::new();
    for k in 0..40u32 {
        let mut facts = example.clone();
        facts["weekly_state_pension"] = json!(format!("{}.{:02}", 150 + k * 7, k * 3 % 100));
        facts["capital"] = json!(format!("{}.00", 9_000 + k * 150));
        let as_of = if k % 2 == 0 {
            "2026-11-27"
        } else {
            "2025-11-27"
        };
        if k % 5 == 0 {
            // a decision log entry: replayed on its own date
            lines.push(
                json!({"seq": k, "policy": "pension_credit", "as_of": as_of, "facts": facts})
                    .to_string(),
            );
        } else {
            lines.push(json!({"as_of": as_of, "input": facts}).to_string());
        }
        cases.push((lines.len(), as_of, facts));
        if k == 7 {
            lines.push(json!({"policy": "other_policy", "as_of": as_of, "facts": {}}).to_string());
        }
    }
    let file = tmp.path().join("cases.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = rulebook(
        &[
            "diff",
            "rules/pension_credit.rules",
            new,
            "--cases",
            file.to_str().unwrap(),
            "--format",
            "json",
            "--jobs",
            "2",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();

    // static: the two params, nothing else
    let params = d["static"]["params"].as_array().unwrap();
    assert_eq!(params.len(), 2, "{params:?}");
    let rate = params
        .iter()
        .find(|p| p["name"] == "standard_minimum_guarantee_single")
        .unwrap();
    assert_eq!(
        rate["dates"],
        json!([{"from": "2026-04-06", "old": "227.10", "new": "235.00"}])
    );
    let disregard = params
        .iter()
        .find(|p| p["name"] == "capital_disregard")
        .unwrap();
    assert_eq!(
        disregard["dates"],
        json!([{"from": null, "old": "10000.00", "new": "12000.00"}])
    );
    assert_eq!(d["static"]["clauses"], json!([]));
    assert_eq!(d["static"]["decisions"], json!([]));
    assert_eq!(d["static"]["inputs"]["added"], json!([]));

    // impact: every figure recomputed from eval of each case on each version
    let mut changed: BTreeMap<String, u64> = BTreeMap::new();
    let mut transitions: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut delta: i64 = 0;
    let mut examples = Vec::new();
    let pence = |v: &Value| -> i64 {
        let (w, f) = v.as_str().unwrap().split_once('.').unwrap();
        w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
    };
    for (line, as_of, facts) in &cases {
        let a = eval("rules/pension_credit.rules", as_of, facts);
        let b = eval(new, as_of, facts);
        for (name, x) in a["decisions"].as_object().unwrap() {
            let (x, y) = (&x["value"], &b["decisions"][name]["value"]);
            if x == y {
                continue;
            }
            *changed.entry(name.clone()).or_default() += 1;
            if name == "weekly_guarantee_credit" || name == "appropriate_minimum_guarantee" {
                if name == "weekly_guarantee_credit" {
                    delta += pence(y) - pence(x);
                }
            } else {
                *transitions
                    .entry(name.clone())
                    .or_default()
                    .entry(format!("{x}->{y}"))
                    .or_default() += 1;
            }
            if examples.len() < 20 {
                examples.push(json!({"line": line, "decision": name, "old": x, "new": y}));
            }
        }
    }
    let imp = &d["impact"];
    assert_eq!(imp["cases"], 40);
    assert_eq!(imp["skipped"], 1);
    assert_eq!(imp["errors"], json!({"old": 0, "new": 0}));
    for (name, v) in imp["decisions"].as_object().unwrap() {
        assert_eq!(
            v["changed"].as_u64().unwrap(),
            changed.get(name).copied().unwrap_or(0),
            "{name}"
        );
        if let Some(t) = transitions.get(name) {
            assert_eq!(v["transitions"], json!(t), "{name}");
        }
    }
    assert!(changed["weekly_guarantee_credit"] > 5, "{changed:?}");
    let total = &imp["decisions"]["weekly_guarantee_credit"]["total_delta"];
    assert_eq!(pence(total), delta);
    assert_eq!(imp["examples"], json!(examples));

    // the text form names the changes for a reviewer
    let out = rulebook(&["diff", "rules/pension_credit.rules", new], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "param standard_minimum_guarantee_single from 2026-04-06: \"227.10\" -> \"235.00\""
        ),
        "{text}"
    );
}

#[test]
fn clauses_inputs_and_decisions_added_removed_and_changed() {
    let tmp = dir();
    let old = tmp.path().join("old.rules");
    let new = tmp.path().join("new.rules");
    std::fs::write(
        &old,
        "policy p\ninput {\n  age: int\n  gone: bool\n}\ndecision ok: bool\n  require age >= 18 because \"adult\"\n  require age < 100\ndecision old_only: bool = gone\n",
    )
    .unwrap();
    std::fs::write(
        &new,
        "policy p\ninput {\n  age: money\n  fresh: bool\n}\ndecision ok: bool\n  require age >= 21 because \"adult\"\n  require age < 100\n  require fresh\ndecision new_only: bool = fresh\n",
    )
    .unwrap();
    let out = rulebook(
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &d["static"];
    assert_eq!(
        s["inputs"]["added"],
        json!([{"name": "fresh", "type": "bool"}])
    );
    assert_eq!(
        s["inputs"]["removed"],
        json!([{"name": "gone", "type": "bool"}])
    );
    assert_eq!(
        s["inputs"]["changed"],
        json!([{"name": "age", "old": "int", "new": "money"}])
    );
    let clauses = s["clauses"].as_array().unwrap();
    assert_eq!(clauses.len(), 2, "{clauses:?}");
    assert_eq!(clauses[0]["change"], "changed");
    assert_eq!(clauses[0]["old"]["condition"], "age >= 18");
    assert_eq!(clauses[0]["new"]["condition"], "age >= 21");
    assert_eq!(clauses[1]["change"], "added");
    assert_eq!(clauses[1]["new"]["condition"], "fresh");
    assert_eq!(
        s["decisions"],
        json!([
            {"name": "new_only", "change": "added", "type": "bool"},
            {"name": "old_only", "change": "removed", "type": "bool"}
        ])
    );
    assert!(d.get("impact").is_none());
    // the text shows what a changed clause was and is
    let out = rulebook(&["diff", old.to_str().unwrap(), new.to_str().unwrap()], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("clause 1 of ok changed (line 7): age >= 18  =>  age >= 21"),
        "{text}"
    );
}
