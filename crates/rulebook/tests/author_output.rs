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

#[test]
fn the_when_clause_that_decided_is_reported_with_its_reason_and_citation() {
    for (label, policy, engine) in policies() {
        let out = |facts: serde_json::Value| {
            policy
                .evaluate_value_with(engine, &facts, as_of())
                .unwrap()["decisions"]["queue"]
                .clone()
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
