//! `rulebook serve` end to end: a server on an ephemeral loopback port while a
//! rule file is edited repeatedly (good edits, syntax errors, and edits that
//! fail their tests) and a client loops requests. No request may fail, every
//! response must come from a version that passed its tests, every good edit
//! must be served within a second, and the decision log must verify (and
//! detect a changed byte).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rulebook_serve::decision_log::{self, DecisionLog};
use rulebook_serve::store::{PolicyStore, StoreOptions};
use rulebook_serve::{LogFacts, Logging};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{http, Server, Setup};

fn good_policy(version: u32) -> String {
    format!(
        "policy t\n  version \"{version}\"\ninput {{ a: int }}\ndecision d: int = a * 2\ndecision v: int = {version}\n"
    )
}

const TESTS: &str = "cases:\n  - name: d doubles a\n    as_of: 2026-01-01\n    input: { a: 21 }\n    expect: { d: 42 }\n";

fn start(dir: &Path, log: Option<Arc<DecisionLog>>) -> (Server, Arc<PolicyStore>) {
    let server = support::start(
        dir,
        Setup {
            logging: log.map(|log| Logging {
                log,
                facts: LogFacts::All,
                key: None,
            }),
            store: StoreOptions {
                allow_untested: true,
                ..StoreOptions::default()
            },
            ..Setup::default()
        },
    );
    assert_eq!(server.report.rejected(), 0, "{:?}", server.report);
    let store = server.store.clone();
    (server, store)
}

#[test]
fn live_edits_never_fail_a_request_and_broken_versions_never_serve() {
    let tmp = support::folder("serve");
    let dir = tmp.path();
    let rules = dir.join("t.rules");
    std::fs::write(&rules, good_policy(0)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let log_path = dir.join("decisions.jsonl");
    let log = Arc::new(DecisionLog::open(&log_path).unwrap());
    let (server, store) = start(dir, Some(log.clone()));
    let _watch = store
        .watch(Duration::from_millis(20), Duration::from_millis(60), |_| {})
        .unwrap();

    let good_hashes = Arc::new(Mutex::new(HashSet::from([rulebook::sha256_hex(
        good_policy(0).as_bytes(),
    )])));
    let latest_seen = Arc::new(Mutex::new(0i64));
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let requests = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let client = {
        let (good, seen, stop, failures, requests) = (
            good_hashes.clone(),
            latest_seen.clone(),
            stop.clone(),
            failures.clone(),
            requests.clone(),
        );
        let addr = server.addr;
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = http(
                    addr,
                    "POST",
                    "/v1/policies/t/evaluate",
                    r#"{"facts": {"a": 5}, "as_of": "2026-01-01"}"#,
                );
                requests.fetch_add(1, Ordering::Relaxed);
                let out: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let hash = out["hash"].as_str().unwrap_or("").to_string();
                if status != 200 || out["decisions"]["d"]["value"] != 10 {
                    failures.lock().unwrap().push(format!("{status}: {body}"));
                } else if !good.lock().unwrap().contains(&hash) {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("served a version that did not pass: {hash}"));
                } else if let Some(v) = out["decisions"]["v"]["value"].as_i64() {
                    *seen.lock().unwrap() = v;
                }
            }
        })
    };

    // 20 edits, half of them broken (a syntax error, or a change its tests reject)
    let mut served_within = Vec::new();
    for i in 1..=20u32 {
        if i % 2 == 0 {
            let good = good_policy(i);
            good_hashes
                .lock()
                .unwrap()
                .insert(rulebook::sha256_hex(good.as_bytes()));
            std::fs::write(&rules, &good).unwrap();
            let t = Instant::now();
            loop {
                if *latest_seen.lock().unwrap() == i64::from(i) {
                    served_within.push(t.elapsed());
                    break;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(1),
                    "good edit {i} not served within a second"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        } else {
            let broken = if i % 4 == 1 {
                format!("policy t\n  version \"{i}\"\ninput {{ a: int }}\ndecision d: int = a * \n")
            } else {
                good_policy(i).replace("a * 2", "a * 3")
            };
            std::fs::write(&rules, &broken).unwrap();
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    stop.store(true, Ordering::Relaxed);
    client.join().unwrap();
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed requests, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(requests.load(Ordering::Relaxed) > 50);
    assert_eq!(*latest_seen.lock().unwrap(), 20);
    eprintln!(
        "{} requests; good edits served after {:?} at most",
        requests.load(Ordering::Relaxed),
        served_within.iter().max()
    );

    // the decision log of the run verifies, and one changed byte is found
    log.flush().unwrap();
    let report = decision_log::verify(&log_path).unwrap();
    assert!(
        report.is_intact(),
        "{}",
        decision_log::render_report(&report)
    );
    let mut bytes = std::fs::read(&log_path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    let tampered = dir.join("tampered.jsonl");
    std::fs::write(&tampered, &bytes).unwrap();
    let report = decision_log::verify(&tampered).unwrap();
    assert!(!report.is_intact(), "a changed byte went unnoticed");
}

#[test]
fn the_api_answers_bad_requests_with_clear_errors() {
    let tmp = support::folder("serve-api");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), good_policy(1)).unwrap();
    let (server, _store) = start(dir, None);
    let a = server.addr;
    let (s, body) = http(a, "GET", "/healthz", "");
    assert_eq!(s, 200, "{body}");
    let (s, body) = http(a, "GET", "/v1/policies", "");
    assert_eq!(s, 200);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["policies"][0]["name"], "t");
    assert_eq!(list["policies"][0]["tests"]["status"], "untested");
    assert_eq!(http(a, "POST", "/v1/policies/nope/evaluate", "{}").0, 404);
    let (s, body) = http(a, "POST", "/v1/policies/t/evaluate", "{not json");
    assert_eq!(s, 400, "{body}");
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts": {"a": "five"}}"#,
    );
    assert_eq!(s, 400);
    assert!(body.contains("input error at a"), "{body}");
    // a fact given twice is refused, not one of its values silently taken
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts": {"a": 70, "a": 20}}"#,
    );
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("input error at a: the field is given twice"),
        "{body}"
    );
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts": {"a": 9223372036854775807}}"#,
    );
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("overflow"), "{body}");
    // a batch: one result per record, in order, bad records beside good ones
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate-batch",
        r#"[{"facts": {"a": 1}}, {"facts": {"a": "x"}}, {"oops": 1}, {"facts": {}}]"#,
    );
    assert_eq!(s, 200, "{body}");
    let out: serde_json::Value = serde_json::from_str(&body).unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["decisions"]["d"]["value"], 2);
    assert!(results[1]["error"]
        .as_str()
        .unwrap()
        .contains("input error at a"));
    assert!(results[2]["error"].is_string());
    assert_eq!(results[3]["missing"], serde_json::json!(["a"]));
    // NDJSON works too
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate-batch",
        "{\"facts\": {\"a\": 3}}\n{\"facts\": {\"a\": 4}}\n",
    );
    assert_eq!(s, 200, "{body}");
    let out: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(out["results"][1]["decisions"]["d"]["value"], 8);
    let (s, metrics) = http(a, "GET", "/metrics", "");
    assert_eq!(s, 200);
    assert!(
        metrics.contains("rulebook_decisions_total{policy=\"t\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rulebook_request_duration_seconds_bucket"),
        "{metrics}"
    );
    // admin endpoints are off without an admin token
    let (s, body) = http(a, "POST", "/v1/reload", "");
    assert_eq!(s, 403, "{body}");
    assert_eq!(http(a, "GET", "/nowhere", "").0, 404);
}
