//! What a policy author sees in the decisions JSON: the `when` clause that
//! decided with its `because` and `source`, and the facts given that the
//! policy does not declare (`ignored`), through every engine and through a
//! module loaded without its source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Policy};
use serde_json::json;

const ROUTING: &str = r#"policy routing
input {
  age: int
  receives_universal_credit: bool
  children: list of { age: int }
}
decision queue: text
  when age < 18 -> "youth"
    because "Under-18s are handled by the youth team"
    source "Casework manual, 4.2"
  when receives_universal_credit -> "uc"
    source "Casework manual, 5.1"
  when age > 100 -> "centenarian"
    because "Centenarians get a visit"
  otherwise -> "standard"
decision kids: int = count(children)
"#;

fn as_of() -> Date {
    Date::parse("2026-01-01").unwrap()
}

fn policies() -> Vec<(String, Policy, Engine)> {
    let source = Policy::from_source("routing.rules", ROUTING).unwrap();
    let wasm = Policy::from_wasm("routing.wasm", source.wasm().to_vec()).unwrap();
    vec![
        ("wasm".into(), source.clone(), Engine::Wasm),
        ("interpreter".into(), source, Engine::Interpreter),
        ("loaded module".into(), wasm, Engine::Wasm),
    ]
}

/// The decisions JSON of facts through `engine`, by way of the typed facts
/// and the report (what `rulebook eval --engine` does).
fn evaluate_with(policy: &Policy, engine: Engine, facts: &str) -> serde_json::Value {
    let mut ignored = Vec::new();
    let facts = policy.parse_facts_noting(facts, &mut ignored).unwrap();
    let outcome = policy.evaluate_with(engine, &facts, as_of()).unwrap();
    serde_json::to_value(policy.report(&outcome, as_of()).with_ignored(&ignored)).unwrap()
}

#[test]
fn the_when_clause_that_decided_is_reported_with_its_reason_and_citation() {
    for (label, policy, engine) in policies() {
        let out = |facts: serde_json::Value| {
            evaluate_with(&policy, engine, &facts.to_string())["decisions"]["queue"].clone()
        };
        assert_eq!(
            out(json!({"age": 10})),
            json!({"value": "youth", "line": 8,
                   "because": "Under-18s are handled by the youth team",
                   "source": "Casework manual, 4.2"}),
            "{label}"
        );
        assert_eq!(
            out(json!({"age": 30, "receives_universal_credit": true})),
            json!({"value": "uc", "line": 11, "source": "Casework manual, 5.1"}),
            "{label}"
        );
        assert_eq!(
            out(json!({"age": 101, "receives_universal_credit": false})),
            json!({"value": "centenarian", "line": 13, "because": "Centenarians get a visit"}),
            "{label}"
        );
        assert_eq!(
            out(json!({"age": 30, "receives_universal_credit": false})),
            json!({"value": "standard", "line": 15}),
            "{label}"
        );
    }
}

#[test]
fn facts_the_policy_does_not_declare_are_listed_as_ignored() {
    // as text: the undeclared facts are listed in the order given
    let text = r#"{
        "age": 30,
        "recieves_universal_credit": true,
        "postcode": "EH1",
        "children": [{"age": 3, "agee": 4}, {"agee": 5, "name": "x"}]
    }"#;
    let want = json!([
        "recieves_universal_credit",
        "postcode",
        "children[].agee",
        "children[].name"
    ]);
    for (label, policy, engine) in policies() {
        let out = evaluate_with(&policy, engine, text);
        assert_eq!(out["ignored"], want, "{label}: evaluate_with and report");
        let out = policy.evaluate_json(text, as_of()).unwrap();
        assert_eq!(out["ignored"], want, "{label}: evaluate_json");
        let out: serde_json::Value =
            serde_json::from_str(&policy.evaluate_json_text(text, as_of()).unwrap()).unwrap();
        assert_eq!(out["ignored"], want, "{label}: evaluate_json_text");
        // the undeclared facts change nothing else: the misspelt one is missing
        assert_eq!(
            out["decisions"]["queue"]["missing"],
            json!(["receives_universal_credit"]),
            "{label}"
        );
        assert_eq!(out["decisions"]["kids"]["value"], 2, "{label}");
    }
    // omitted when every fact given is declared
    let policy = &policies()[0].1;
    let out = policy.evaluate_json(r#"{"age": 3}"#, as_of()).unwrap();
    assert!(out.get("ignored").is_none(), "{out}");
}

#[test]
fn an_undeclared_fact_gets_a_did_you_mean() {
    let policy = &policies()[2].1;
    assert_eq!(
        policy.did_you_mean("recieves_universal_credit").as_deref(),
        Some("receives_universal_credit")
    );
    assert_eq!(
        policy.did_you_mean("children[].agee").as_deref(),
        Some("children[].age")
    );
    assert_eq!(policy.did_you_mean("postcode"), None);
    assert_eq!(policy.did_you_mean("nothing[].age"), None);
}
