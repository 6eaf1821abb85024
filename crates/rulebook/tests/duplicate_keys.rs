//! A declared fact given twice in one JSON object is an input error naming
//! its path: the engine never silently takes one of the two values. Only
//! facts text can say a key twice (a `serde_json::Value` keeps one), so every
//! path that parses facts text is checked: `Policy::parse_facts` (the HTTP
//! server's path, see tests/serve.rs), `evaluate_json_text`,
//! and `evaluate_json` (`rulebook eval --input`: crates/rulebook-cli/tests/cli.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Error, Policy, ProblemKind};

const POLICY: &str = r#"
policy t
input {
  age: int
  children: list of {
    age: int
    jobs: list of { pay: money }
  }
}
decision adult: bool = age >= 18
decision kids: int = count(children)
"#;

fn policy() -> Policy {
    Policy::from_source("t.rules", POLICY).unwrap()
}

/// (path, second value) of every problem, and the rendered message.
fn refused(text: &str) -> (Vec<(String, String)>, String) {
    let err = policy().parse_facts(text).unwrap_err();
    assert!(
        err.problems
            .iter()
            .all(|p| p.kind == ProblemKind::GivenTwice),
        "{err:?}"
    );
    let found = err
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.value.clone()))
        .collect();
    (found, err.to_string())
}

#[test]
fn a_top_level_fact_given_twice_is_refused() {
    let (found, msg) = refused(r#"{"age": 70, "age": 20}"#);
    assert_eq!(found, [("age".to_string(), "20".to_string())]);
    assert_eq!(
        msg,
        "input error at age: the field is given twice in one object (again as 20); give each field once"
    );
    // equal values too: the text is ambiguous whatever they are
    let (found, _) = refused(r#"{"age": 70, "children": [], "age": 70}"#);
    assert_eq!(found, [("age".to_string(), "70".to_string())]);
    // null counts as given
    let (found, _) = refused(r#"{"age": null, "age": 20}"#);
    assert_eq!(found, [("age".to_string(), "20".to_string())]);
}

#[test]
fn fields_of_list_elements_given_twice_are_refused_with_their_path() {
    let (found, msg) = refused(
        r#"{"age": 40, "children": [{"age": 3}, {"age": 5, "age": 6},
            {"age": 1, "jobs": [{"pay": 1}, {"pay": 2, "pay": "3.00"}]}]}"#,
    );
    assert_eq!(
        found,
        [
            ("children[1].age".to_string(), "6".to_string()),
            (
                "children[2].jobs[1].pay".to_string(),
                "\"3.00\"".to_string()
            ),
        ]
    );
    assert!(
        msg.contains("input error at children[1].age: the field is given twice"),
        "{msg}"
    );
    // a whole list given twice
    let (found, _) = refused(r#"{"children": [], "children": [{"age": 1}]}"#);
    assert_eq!(
        found,
        [("children".to_string(), "[{\"age\": 1}]".to_string())]
    );
}

#[test]
fn a_field_given_three_times_is_reported_once_beside_other_problems() {
    let err = policy()
        .parse_facts(r#"{"age": 1, "age": 2, "age": 3, "children": "none"}"#)
        .unwrap_err();
    let kinds: Vec<(&str, ProblemKind)> = err
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("age", ProblemKind::GivenTwice),
            ("children", ProblemKind::Value)
        ]
    );
}

#[test]
fn undeclared_keys_given_twice_are_still_ignored() {
    let facts = policy()
        .parse_facts(r#"{"name": "a", "name": "b", "age": 30}"#)
        .unwrap();
    let out = policy()
        .evaluate_report(&facts, Date::parse("2026-01-01").unwrap(), &[])
        .unwrap();
    assert!(out.contains(r#""adult":{"value":true}"#), "{out}");
}

#[test]
fn every_text_entry_point_refuses_it() {
    let p = policy();
    let as_of = Date::parse("2026-01-01").unwrap();
    let text = r#"{"age": 70, "age": 20}"#;
    assert!(matches!(
        p.evaluate_json_text(text, as_of),
        Err(Error::Input(e)) if e.problems[0].kind == ProblemKind::GivenTwice
    ));
    assert!(matches!(
        p.evaluate_json(text, as_of),
        Err(Error::Input(e)) if e.problems[0].path == "age"
    ));
    // a module loaded without its source parses alike
    let loaded = Policy::from_wasm("t.wasm", p.wasm().to_vec()).unwrap();
    assert!(loaded.parse_facts(text).is_err());
}
