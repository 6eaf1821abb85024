//! `POST /v1/policies/NAME/explain` and `POST /v1/explain?policy=NAME`:
//! the evaluate body in, each decision's `why` and `would_change` and the
//! text for the person out (LANGUAGE.md section 11), with the evaluation
//! endpoints' JSON errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::Value;
use support::{request, Server, Setup};

fn served() -> Server {
    let dir = support::folder("explain");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    for f in ["pension_credit.rules", "pension_credit.test.yaml"] {
        std::fs::copy(format!("{root}{f}"), dir.path().join(f)).unwrap();
    }
    let server = support::start(dir.path(), Setup::default()).keeping(dir);
    assert_eq!(server.report.rejected(), 0, "{:?}", server.report);
    server
}

fn post(server: &Server, path: &str, body: &str) -> (u16, Value) {
    let r = request(
        server.addr,
        "POST",
        path,
        &["Content-Type: application/json"],
        body,
    );
    (r.status, r.json())
}

fn body(in_great_britain: bool) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    let mut facts: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}pension_credit.example.json")).unwrap(),
    )
    .unwrap();
    facts["in_great_britain"] = Value::Bool(in_great_britain);
    serde_json::json!({"facts": facts, "as_of": "2026-11-27"}).to_string()
}

#[test]
fn a_refusal_is_explained_with_reasons_and_what_would_change_it() {
    let server = served();
    let (status, a) = post(&server, "/v1/policies/pension_credit/explain", &body(false));
    assert_eq!(status, 200, "{a}");
    let eligible = &a["decisions"]["eligible"];
    assert_eq!(eligible["value"], false);
    let why = eligible["why"].as_array().unwrap();
    let failed: Vec<&Value> = why.iter().filter(|s| s["result"] == false).collect();
    assert_eq!(failed.len(), 1, "{why:?}");
    assert_eq!(failed[0]["line"], 128);
    assert_eq!(failed[0]["read"]["in_great_britain"], false);
    let changes = eligible["would_change"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["set"]["in_great_britain"] == true && c["to"] == true),
        "{changes:?}"
    );
    let text = a["text"].as_str().unwrap();
    assert!(text.contains("Eligible: no."), "{text}");
    assert!(
        text.contains("Because: The claimant must be in Great Britain"),
        "{text}"
    );
    // the query form gives the same answer
    let (status, b) = post(&server, "/v1/explain?policy=pension_credit", &body(false));
    assert_eq!(status, 200, "{b}");
    assert_eq!(a, b);
}

#[test]
fn errors_are_the_evaluation_endpoints_errors() {
    let server = served();
    let (status, e) = post(&server, "/v1/policies/nope/explain", &body(true));
    assert_eq!(status, 404, "{e}");
    assert!(e["error"].as_str().unwrap().contains("nope"), "{e}");
    let (status, e) = post(&server, "/v1/explain", &body(true));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("policy=NAME"), "{e}");
    let (status, e) = post(
        &server,
        "/v1/policies/pension_credit/explain",
        r#"{"facts": {"capital": "lots"}}"#,
    );
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("capital"), "{e}");
    let (status, e) = post(&server, "/v1/policies/pension_credit/explain", "{");
    assert_eq!(status, 400, "{e}");
}
