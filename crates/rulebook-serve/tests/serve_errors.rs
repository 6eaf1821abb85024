//! What a client sees when something is wrong, and what it sees of facts the
//! policy does not declare: every HTTP error is a JSON `{"error": "..."}` in
//! words a policy author uses (never Rust type names), whoever produced it
//! (a handler, the body limit, the method router, the path extractor); and
//! an answer lists the undeclared facts it was given under `ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rulebook_serve::store::StoreOptions;
use rulebook_serve::Limits;
use serde_json::json;
use support::{folder, request, Reply, Server, Setup};

const POLICY: &str = "policy t\ninput {\n  receives_universal_credit: bool\n  rent: money\n  children: list of { age: int }\n}\ndecision d: bool = receives_universal_credit\ndecision r: money = rent\n";

fn server() -> Server {
    let dir = folder("serve-errors");
    std::fs::write(dir.path().join("t.rules"), POLICY).unwrap();
    support::start(
        dir.path(),
        Setup {
            store: StoreOptions {
                allow_untested: true,
                ..StoreOptions::default()
            },
            limits: Limits {
                max_body: 512,
                ..Limits::default()
            },
            ..Setup::default()
        },
    )
    .keeping(dir)
}

fn post(s: &Server, path: &str, body: &str) -> Reply {
    request(
        s.addr,
        "POST",
        path,
        &["Content-Type: application/json"],
        body,
    )
}

/// The reply is a JSON error with a message that shows no Rust internals.
fn json_error(r: &Reply, status: u16) -> String {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    let body = r.json();
    let message = body["error"].as_str().unwrap_or_else(|| panic!("{r:?}"));
    assert!(!message.is_empty(), "{r:?}");
    for internal in [
        "struct ",
        "Some(",
        "Text(",
        "borrowed",
        "EvalRequest",
        "RawValue",
    ] {
        assert!(!message.contains(internal), "{internal:?} in {message:?}");
    }
    message.to_string()
}

#[test]
fn undeclared_facts_are_answered_as_ignored() {
    let s = server();
    let r = post(
        &s,
        "/v1/policies/t/evaluate",
        r#"{"as_of": "2026-01-01", "facts": {"recieves_universal_credit": true, "rent": 5, "children": [{"age": 3, "agee": 4}]}}"#,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let out = r.json();
    assert_eq!(
        out["ignored"],
        json!(["recieves_universal_credit", "children[].agee"])
    );
    assert_eq!(out["missing"], json!(["receives_universal_credit"]));
    let r = post(
        &s,
        "/v1/policies/t/evaluate-batch",
        r#"[{"facts": {"rent": 1, "colour": "red"}}, {"facts": {"rent": 2}}]"#,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let out = r.json();
    assert_eq!(out["results"][0]["ignored"], json!(["colour"]));
    assert_eq!(out["results"][0]["decisions"]["r"]["value"], "1.00");
    assert!(out["results"][1].get("ignored").is_none(), "{out}");
}

#[test]
fn every_error_is_json_in_an_authors_words() {
    let s = server();
    // the body limit
    let big = format!(
        r#"{{"facts": {{"rent": 1, "pad": "{}"}}}}"#,
        "x".repeat(600)
    );
    let m = json_error(&post(&s, "/v1/policies/t/evaluate", &big), 413);
    assert!(m.contains("512 bytes"), "{m}");
    // a wrong method on a known path
    let r = request(s.addr, "GET", "/v1/policies/t/evaluate", &[], "");
    let m = json_error(&r, 405);
    assert!(m.contains("GET") && m.contains("POST"), "{m}");
    let r = request(s.addr, "DELETE", "/healthz", &[], "");
    json_error(&r, 405);
    // an unknown path, and a path the router cannot decode
    json_error(&request(s.addr, "GET", "/nowhere", &[], ""), 404);
    let r = post(&s, "/v1/policies/%FF%FE/evaluate", "{}");
    assert!(r.status == 400 || r.status == 404, "{r:?}");
    json_error(&r, r.status);
    // requests that are not the expected shape
    for body in [
        r#"[1, 2]"#,
        r#"{"fatcs": {}}"#,
        r#"{"facts": {}, "as_of": 20260101}"#,
        r#"{"as_of": "2026-01-01"}"#,
        r#"{"facts": {}, "facts": {}}"#,
        r#"{not json"#,
    ] {
        let m = json_error(&post(&s, "/v1/policies/t/evaluate", body), 400);
        assert!(m.starts_with("input error"), "{body}: {m}");
    }
    let m = json_error(
        &post(&s, "/v1/policies/t/evaluate", r#"{"fatcs": {}}"#),
        400,
    );
    assert!(m.contains("`fatcs`") && m.contains("`facts`"), "{m}");
    // money with too many decimals says why once
    let m = json_error(
        &post(
            &s,
            "/v1/policies/t/evaluate",
            r#"{"facts": {"rent": "1.234"}}"#,
        ),
        400,
    );
    assert_eq!(m.matches("decimal places").count(), 1, "{m}");
    // batch records that are not the expected shape
    let r = post(&s, "/v1/policies/t/evaluate-batch", r#"[5, {"fatcs": {}}]"#);
    assert_eq!(r.status, 200, "{r:?}");
    for result in r.json()["results"].as_array().unwrap() {
        let m = result["error"].as_str().unwrap();
        assert!(!m.contains("struct ") && !m.contains("EvalRequest"), "{m}");
    }
}
