//! A policy may hold a long sum or a long chain of `and`s (490 terms here)
//! up to the front end's depth limit (500 levels of operators), and every
//! stage (check, compile, both engines, lint, explain) handles it on a
//! thread with the 2 MiB stack Rust gives spawned threads (the server's),
//! in a debug build; one level more is refused with a located error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Policy};

fn sum(terms: usize) -> String {
    let mut s = String::from("policy sums\ninput { x: money, b: bool }\n");
    let parts: Vec<String> = (0..terms).map(|i| format!("x * {}", i % 7 + 1)).collect();
    s.push_str(&format!("decision total: money = {}\n", parts.join(" + ")));
    let ands: Vec<String> = (0..terms).map(|i| format!("x > £{i}")).collect();
    s.push_str(&format!(
        "decision all: bool = b and {}\n",
        ands.join(" and ")
    ));
    s
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_sum_of_490_terms_runs_everywhere() {
    on_small_stack(|| {
        let terms = 490;
        let policy = match Policy::from_source("sums.rules", &sum(terms)) {
            Ok(p) => p,
            Err(e) => panic!("{:?}", e.diagnostics),
        };
        let as_of = Date::parse("2026-01-01").unwrap();
        let facts = policy
            .parse_facts(r#"{"x": "2000.00", "b": true}"#)
            .unwrap();
        let expected: i64 = (0..terms as i64).map(|i| 200_000 * (i % 7 + 1)).sum();
        for engine in [Engine::Wasm, Engine::Interpreter] {
            let out = policy.evaluate_with(engine, &facts, as_of).unwrap();
            let report = policy.report(&out, as_of).to_string();
            let pounds = format!("\"{}.{:02}\"", expected / 100, expected % 100);
            assert!(report.contains(&pounds), "{engine:?}: {report}");
        }
        rulebook::lint(&policy).unwrap();
        rulebook::explain(&policy, &facts, as_of).unwrap();
    });
}

#[test]
fn one_level_more_is_refused_with_its_place() {
    on_small_stack(|| {
        let err = Policy::from_source("sums.rules", &sum(502)).unwrap_err();
        let text = err.render();
        assert!(
            text.contains("sums.rules:3:") && text.contains("more than 500 levels of operators"),
            "{text}"
        );
    });
}

#[test]
fn brackets_as_deep_as_allowed_check_on_a_small_stack() {
    on_small_stack(|| {
        // 64 levels of brackets, the front end's limit, around a sum
        let deep = format!("{}x + £1{}", "(".repeat(64), ")".repeat(64));
        let source = format!("policy deep\ninput {{ x: money }}\ndecision d: money = {deep}\n");
        let policy = match Policy::from_source("deep.rules", &source) {
            Ok(p) => p,
            Err(e) => panic!("{}", e.render()),
        };
        let facts = policy.parse_facts(r#"{"x": "1.00"}"#).unwrap();
        let as_of = Date::parse("2026-01-01").unwrap();
        for engine in [Engine::Wasm, Engine::Interpreter] {
            policy.evaluate_with(engine, &facts, as_of).unwrap();
        }
        rulebook::lint(&policy).unwrap();
    });
}
