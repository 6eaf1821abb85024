//! Policies far larger than any real one (thousands of requires in one
//! decision, thousands of decisions, long money sums) compile to modules the
//! engine accepts and evaluate as the interpreter does; a define or decision
//! too large for one WebAssembly function is refused by `check` with its
//! name and place, never compiled into a module the engine then refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Policy};

const INPUTS: &str = "policy large\ninput {\n  x: int\n  m: money\n}\n";

/// Compiles `body` after the inputs, then evaluates it in both engines with
/// each of the facts and asserts they agree.
fn agree(body: &str, facts: &[&str]) -> Policy {
    let source = format!("{INPUTS}{body}");
    let policy =
        Policy::from_source("large.rules", &source).unwrap_or_else(|e| panic!("{}", e.render()));
    policy.warm_cache().unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    for json in facts {
        let f = policy.parse_facts(json).unwrap();
        let wasm = policy.evaluate_with(Engine::Wasm, &f, as_of);
        let interp = policy.evaluate_with(Engine::Interpreter, &f, as_of);
        assert_eq!(wasm, interp, "facts {json}");
    }
    policy
}

const FACTS: &[&str] = &[
    r#"{"x": 5, "m": "1.50"}"#,
    r#"{"x": 2999, "m": "-7.01"}"#,
    r#"{"x": 100000}"#,
    r#"{"m": "3.00"}"#,
    r#"{}"#,
];

#[test]
fn one_decision_of_thousands_of_requires() {
    let mut body = String::from("decision d: bool\n");
    for i in 0..3000 {
        body.push_str(&format!("  require x > {i}\n"));
    }
    agree(&body, FACTS);
}

#[test]
fn thousands_of_decisions_each_reading_the_one_before() {
    let mut body = String::from("decision d0: int = x\n");
    for i in 1..3000 {
        body.push_str(&format!("decision d{i}: int = d{} + 1\n", i - 1));
    }
    let policy = agree(&body, FACTS);
    let f = policy.parse_facts(r#"{"x": 1}"#).unwrap();
    let out = policy.evaluate_with(Engine::Wasm, &f, Date::parse("2026-01-01").unwrap());
    assert_eq!(
        format!("{:?}", out.unwrap().decisions.last().unwrap().value),
        "Some(Num(3000))"
    );
}

#[test]
fn many_decisions_of_long_money_sums() {
    let mut body = String::new();
    for d in 0..40 {
        let terms: Vec<String> = (1..=100).map(|k| format!("m * {k}")).collect();
        body.push_str(&format!(
            "decision s{d}: money = {} + {d}\n",
            terms.join(" + ")
        ));
    }
    agree(&body, FACTS);
}

#[test]
fn a_decision_too_large_for_one_function_is_refused_by_name() {
    let items: Vec<String> = (0..30_000).map(|i| format!("x + {i}")).collect();
    let source = format!(
        "{INPUTS}decision d: int = 1\ndecision huge: bool = x in [{}]\n",
        items.join(", ")
    );
    let err = match Policy::from_source("huge.rules", &source) {
        Ok(_) => panic!("a decision of 30,000 computed items was compiled"),
        Err(e) => e.render(),
    };
    assert!(
        err.starts_with("huge.rules:7:10: error: decision `huge` is too large to compile"),
        "{err}"
    );
}
