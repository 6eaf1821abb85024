//! `POST /v1/interview` and the interview page over HTTP: the JSON of
//! LANGUAGE.md section 10 for several served policies, and the same limits
//! and JSON errors as the evaluation endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rulebook_serve::store::StoreOptions;
use rulebook_serve::Limits;
use serde_json::{json, Value};
use support::{request, Server, Setup};

fn served(limits: Limits) -> Server {
    let dir = support::folder("interview");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    for f in [
        "pension_credit.rules",
        "pension_credit.test.yaml",
        "council_tax_reduction.rules",
        "council_tax_reduction.test.yaml",
    ] {
        std::fs::copy(format!("{root}{f}"), dir.path().join(f)).unwrap();
    }
    let server = support::start(
        dir.path(),
        Setup {
            limits,
            store: StoreOptions::default(),
            ..Setup::default()
        },
    )
    .keeping(dir);
    assert_eq!(server.report.rejected(), 0, "{:?}", server.report);
    server
}

fn post(server: &Server, body: &str) -> (u16, Value) {
    let r = request(
        server.addr,
        "POST",
        "/v1/interview",
        &["Content-Type: application/json"],
        body,
    );
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    (r.status, r.json())
}

#[test]
fn the_next_question_for_two_served_policies() {
    let server = served(Limits::default());
    let (status, a) = post(
        &server,
        r#"{"policies": ["pension_credit", "council_tax_reduction"], "as_of": "2026-11-27", "facts": {}}"#,
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["as_of"], "2026-11-27");
    assert_eq!(a["next"]["fact"], "habitually_resident");
    assert_eq!(a["next"]["type"], "bool");
    assert_eq!(
        a["next"]["policies"],
        json!(["pension_credit", "council_tax_reduction"])
    );
    assert_eq!(a["remaining"][0], "habitually_resident");
    assert!(a["outcomes"]["pension_credit"]["decisions"]["eligible"].is_object());
    assert!(a["outcomes"]["council_tax_reduction"]["missing"].is_array());

    // an answer given (or null: "don't know") is never asked again
    let (_, b) = post(
        &server,
        r#"{"policies": ["pension_credit", "council_tax_reduction"], "as_of": "2026-11-27",
            "facts": {"habitually_resident": null, "subject_to_immigration_control": true}}"#,
    );
    let remaining = b["remaining"].as_array().unwrap();
    assert!(!remaining.contains(&json!("habitually_resident")));
    assert!(!remaining.contains(&json!("subject_to_immigration_control")));
    assert_eq!(
        b["outcomes"]["pension_credit"]["decisions"]["eligible"]["value"],
        false
    );
    // the same answer as the command line's (one engine, one chooser)
    assert_ne!(b["next"], Value::Null);
}

#[test]
fn bad_requests_get_json_errors_like_evaluations() {
    let server = served(Limits {
        max_body: 2048,
        ..Limits::default()
    });
    let (status, e) = post(&server, r#"{"policies": ["nope"]}"#);
    assert_eq!(status, 404);
    assert!(e["error"]
        .as_str()
        .unwrap()
        .contains("no policy named `nope`"));

    let (status, e) = post(
        &server,
        r#"{"policies": ["pension_credit"], "as_of": "27/11/2026"}"#,
    );
    assert_eq!(status, 400);
    assert!(e["error"]
        .as_str()
        .unwrap()
        .contains("input error at as_of"));

    let (status, e) = post(&server, r#"{"policies": []}"#);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("at least one policy"));

    let (status, e) = post(&server, r#"{"policies": ["pension_credit"], "extra": 1}"#);
    assert_eq!(status, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `extra`"),
        "{e}"
    );

    let (status, e) = post(
        &server,
        r#"{"policies": ["pension_credit"], "facts": {"capital": "lots"}}"#,
    );
    assert_eq!(status, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("input error at capital"),
        "{e}"
    );

    let (status, e) = post(&server, "not json");
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("input error"));

    let big = format!(
        r#"{{"policies": ["pension_credit"], "facts": {{"x": "{}"}}}}"#,
        "a".repeat(4096)
    );
    let (status, e) = post(&server, &big);
    assert_eq!(status, 413);
    assert!(e["error"]
        .as_str()
        .unwrap()
        .contains("larger than 2048 bytes"));

    let r = request(
        server.addr,
        "POST",
        "/v1/interview",
        &["Content-Type: text/plain"],
        "{}",
    );
    assert_eq!(r.status, 415);
    assert!(r.json()["error"].is_string());

    let r = request(server.addr, "GET", "/v1/interview", &[], "");
    assert_eq!(r.status, 405);
    assert!(r.json()["error"].as_str().unwrap().contains("use POST"));
}

#[test]
fn the_page_and_its_script_are_served_with_no_external_assets() {
    let server = served(Limits::default());
    let page = request(
        server.addr,
        "GET",
        "/interview?policies=pension_credit",
        &[],
        "",
    );
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    for asset in ["/interview/page.js", "/interview/page.css"] {
        assert!(page.body.contains(asset));
        let r = request(server.addr, "GET", asset, &[], "");
        assert_eq!(r.status, 200, "{asset}");
        assert!(
            !r.body.contains("http://") && !r.body.contains("https://"),
            "{asset}"
        );
    }
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
    // labels, alerts and live progress for screen readers
    assert!(page.body.contains(r#"role="alert""#));
    assert!(page.body.contains(r#"aria-live="polite""#));
}
