//! Shadow evaluation end to end (LANGUAGE.md section 12): a candidate PUT
//! beside a served policy is compiled and tested like a reload, evaluated
//! on the requests the served version answers without changing an answer,
//! and its impact (checked here against arithmetic done by hand), drops and
//! metrics are read over the admin API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rulebook_serve::store::StoreOptions;
use rulebook_serve::Limits;
use serde_json::{json, Value as Json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{http, request, Reply, Server, Setup};

const TOKEN: &str = "shadow-test-admin-token-0123456789";
const AUTH: &str = "Authorization: Bearer shadow-test-admin-token-0123456789";

/// Award `income * rate` to adults.
fn policy(name: &str, rate: &str) -> String {
    format!(
        "policy {name}\ninput {{ age: int, income: money }}\n\
         decision eligible: bool\n  require age >= 18 because \"Must be 18 or over\"\n\
         decision award: money\n  when eligible -> income * {rate}\n  otherwise -> £0\n"
    )
}

const TESTS: &str = "cases:\n  - name: a child gets nothing\n    as_of: 2026-01-01\n    \
                     input: { age: 10, income: \"40.00\" }\n    expect: { award: \"0.00\" }\n";

fn start(limits: Limits) -> Server {
    let dir = support::folder("shadow");
    std::fs::write(dir.path().join("benefit.rules"), policy("benefit", "0.5")).unwrap();
    std::fs::write(dir.path().join("benefit.test.yaml"), TESTS).unwrap();
    let server = support::start(
        dir.path(),
        Setup {
            store: StoreOptions::default(),
            limits,
            admin: Some(TOKEN),
            ..Setup::default()
        },
    )
    .keeping(dir);
    assert_eq!(server.report.rejected(), 0, "{:?}", server.report);
    server
}

fn put(addr: SocketAddr, name: &str, text: &str) -> Reply {
    request(
        addr,
        "PUT",
        &format!("/v1/policies/{name}/shadow"),
        &["Content-Type: text/plain", AUTH],
        text,
    )
}

fn shadow(addr: SocketAddr, method: &str) -> Reply {
    request(addr, method, "/v1/policies/benefit/shadow", &[AUTH], "")
}

/// The shadow's status once every offered request is tallied or dropped.
fn settled(addr: SocketAddr) -> Json {
    let start = Instant::now();
    loop {
        let r = shadow(addr, "GET");
        assert_eq!(r.status, 200, "{}", r.body);
        let j = r.json();
        if j["requests"]["queued"] == 0 {
            return j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the shadow never caught up: {j}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn evaluate(addr: SocketAddr, age: i64, pence: i64) -> Json {
    let body = json!({"facts": {"age": age, "income": pounds(pence)}, "as_of": "2026-06-01"});
    let (status, text) = http(
        addr,
        "POST",
        "/v1/policies/benefit/evaluate",
        &body.to_string(),
    );
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

#[test]
fn a_shadow_tallies_what_the_candidate_would_change_and_never_changes_an_answer() {
    let server = start(Limits::default());
    let addr = server.addr;

    // admin only
    let r = request(
        addr,
        "PUT",
        "/v1/policies/benefit/shadow",
        &["Content-Type: text/plain"],
        &policy("benefit", "0.25"),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(shadow(addr, "GET").status, 404);

    let r = put(addr, "benefit", &policy("benefit", "0.25"));
    assert_eq!(r.status, 201, "{}", r.body);
    let made = r.json();
    assert_eq!(made["policy"], "benefit");
    assert_eq!(made["candidate"]["tests"]["status"], "passed");
    assert_eq!(made["requests"]["offered"], 0);

    // incomes in multiples of 4p: both halves and quarters are exact
    let cases: Vec<(i64, i64)> = (0..60).map(|i| (10 + i % 20, 400 + 4 * 37 * i)).collect();
    for &(age, pence) in &cases {
        let out = evaluate(addr, age, pence);
        let live = if age >= 18 { pence / 2 } else { 0 };
        assert_eq!(
            out["decisions"]["award"]["value"],
            json!(pounds(live)),
            "the live answer changed"
        );
    }
    // a batch request is shadowed record by record
    let batch: Vec<Json> = [(30, 800), (12, 800)]
        .iter()
        .map(|(a, p)| json!({"facts": {"age": a, "income": pounds(*p)}, "as_of": "2026-06-01"}))
        .collect();
    let (status, text) = http(
        addr,
        "POST",
        "/v1/policies/benefit/evaluate-batch",
        &json!(batch).to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let all: Vec<(i64, i64)> = cases
        .iter()
        .copied()
        .chain([(30, 800), (12, 800)])
        .collect();

    let j = settled(addr);
    assert_eq!(j["requests"]["offered"], all.len());
    assert_eq!(j["requests"]["evaluated"], all.len());
    assert_eq!(j["requests"]["dropped"], 0);
    let impact = &j["impact"];
    assert_eq!(impact["cases"], all.len());
    assert_eq!(impact["errors"], json!({"old": 0, "new": 0}));
    let adults: Vec<i64> = all.iter().filter(|c| c.0 >= 18).map(|c| c.1).collect();
    let delta: i64 = adults.iter().map(|p| p / 4 - p / 2).sum();
    let award = &impact["decisions"]["award"];
    assert_eq!(award["changed"], adults.len(), "{impact}");
    assert_eq!(award["decreased"], adults.len());
    assert_eq!(award["increased"], 0);
    assert_eq!(award["total_delta"], json!(format!("-{}", pounds(-delta))));
    assert_eq!(impact["decisions"]["eligible"]["changed"], 0);
    // the first changed requests are the examples, with their facts
    let examples = impact["examples"].as_array().unwrap();
    assert_eq!(examples.len(), adults.len().min(20));
    let first_adult = all.iter().position(|c| c.0 >= 18).unwrap();
    assert_eq!(examples[0]["request"], first_adult + 1);
    assert_eq!(examples[0]["as_of"], "2026-06-01");
    assert_eq!(
        examples[0]["facts"]["income"],
        json!(pounds(all[first_adult].1))
    );

    // agreement in the metrics
    let (_, metrics) = http(addr, "GET", "/metrics", "");
    let line = |result: &str| {
        format!(
            "rulebook_shadow_requests_total{{policy=\"benefit\",result=\"{result}\"}} {}",
            if result == "changed" {
                adults.len()
            } else {
                all.len() - adults.len()
            }
        )
    };
    assert!(metrics.contains(&line("changed")), "{metrics}");
    assert!(metrics.contains(&line("same")), "{metrics}");

    // DELETE gives the final figures and stops the shadow
    let r = shadow(addr, "DELETE");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["impact"]["cases"], all.len());
    assert_eq!(shadow(addr, "GET").status, 404);
    evaluate(addr, 40, 400);
    assert_eq!(shadow(addr, "DELETE").status, 404);
}

#[test]
fn a_candidate_is_refused_like_a_bad_reload() {
    let server = start(Limits::default());
    let addr = server.addr;
    let refused = |r: Reply, status: u16, words: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        let message = r.json()["error"].as_str().unwrap().to_string();
        assert!(message.contains(words), "{message:?} lacks {words:?}");
    };
    refused(
        put(addr, "benefit", "policy benefit\ninput { age: int\n"),
        422,
        "benefit.rules:",
    );
    // children get something: the served version's tests fail
    refused(
        put(
            addr,
            "benefit",
            &policy("benefit", "0.5").replace("otherwise -> £0", "otherwise -> £1"),
        ),
        422,
        "tests failed",
    );
    refused(
        put(addr, "benefit", &policy("other", "0.5")),
        422,
        "declares policy `other`",
    );
    refused(
        put(addr, "nobody", &policy("nobody", "0.5")),
        404,
        "no policy named `nobody`",
    );
    let r = request(
        addr,
        "PUT",
        "/v1/policies/benefit/shadow",
        &["Content-Type: application/json", AUTH],
        &policy("benefit", "0.5"),
    );
    refused(r, 415, "text/plain");
    assert_eq!(shadow(addr, "GET").status, 404, "nothing was held");
}

#[test]
fn a_full_queue_drops_shadow_work_and_never_an_answer() {
    let server = start(Limits {
        shadow_queue: 1,
        ..Limits::default()
    });
    let addr = server.addr;
    assert_eq!(put(addr, "benefit", &policy("benefit", "0.25")).status, 201);
    let records = 3000;
    let batch: Vec<Json> = (0..records)
        .map(
            |i| json!({"facts": {"age": 30, "income": pounds(400 + 4 * i)}, "as_of": "2026-06-01"}),
        )
        .collect();
    let (status, text) = http(
        addr,
        "POST",
        "/v1/policies/benefit/evaluate-batch",
        &json!(batch).to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let out: Json = serde_json::from_str(&text).unwrap();
    for (i, r) in out["results"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            r["decisions"]["award"]["value"],
            json!(pounds((400 + 4 * i as i64) / 2))
        );
    }
    let j = settled(addr);
    let (evaluated, dropped) = (
        j["requests"]["evaluated"].as_u64().unwrap(),
        j["requests"]["dropped"].as_u64().unwrap(),
    );
    assert_eq!(evaluated + dropped, records as u64, "{j}");
    assert!(dropped > 0, "a queue of one kept up with a batch: {j}");
    assert_eq!(j["impact"]["decisions"]["award"]["changed"], evaluated);
    let (_, metrics) = http(addr, "GET", "/metrics", "");
    assert!(
        metrics.contains(&format!(
            "rulebook_shadow_requests_total{{policy=\"benefit\",result=\"dropped\"}} {dropped}"
        )),
        "{metrics}"
    );
}

#[test]
fn a_reload_of_the_served_policy_starts_the_tally_afresh() {
    let server = start(Limits::default());
    let addr = server.addr;
    assert_eq!(put(addr, "benefit", &policy("benefit", "0.25")).status, 201);
    evaluate(addr, 30, 800);
    let before = settled(addr);
    assert_eq!(before["impact"]["cases"], 1);
    // the served version now pays a quarter too: the candidate agrees with it
    let dir = server.store.dir().to_path_buf();
    std::fs::write(dir.join("benefit.rules"), policy("benefit", "0.25")).unwrap();
    let report = server.store.reload().unwrap();
    assert_eq!(report.rejected(), 0, "{report:?}");
    evaluate(addr, 30, 800);
    let after = settled(addr);
    assert_ne!(after["live"], before["live"]);
    assert_eq!(after["impact"]["cases"], 1, "{after}");
    assert_eq!(after["impact"]["decisions"]["award"]["changed"], 0);
}
