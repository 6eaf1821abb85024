//! One bound for both engines (issue 25): the interpreter stops at the
//! runtime's deadline and refuses a record larger than its memory, with
//! the same errors as the compiled module, so that the two engines agree
//! on every input, the ones that exhaust a resource included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, EvalError, Runtime, RuntimeConfig};
use std::time::{Duration, Instant};

const QUADRATIC: &str = r#"
policy quadratic
input { xs: list of { v: int } }
decision pairs: int = sum(x in xs: count(y in xs: y.v > x.v))
"#;

fn runtime(deadline: Duration, max_memory: usize) -> Runtime {
    let mut config = RuntimeConfig::default();
    config.deadline = deadline;
    config.max_memory = max_memory;
    config.cache_dir = None;
    Runtime::new(config).unwrap()
}

#[test]
fn both_engines_stop_at_the_runtimes_deadline_with_the_same_error() {
    let rt = runtime(Duration::from_millis(200), 64 << 20);
    let policy = rt.compile("quadratic.rules", QUADRATIC).unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    // 30,000 elements: 9e8 comparisons, seconds on either engine
    let items: Vec<String> = (0..30_000).map(|i| format!("{{\"v\":{i}}}")).collect();
    let facts = policy
        .parse_facts(&format!("{{\"xs\":[{}]}}", items.join(",")))
        .unwrap();
    for engine in [Engine::Wasm, Engine::Interpreter] {
        let start = Instant::now();
        let r = policy.evaluate_with(engine, &facts, as_of);
        assert!(
            matches!(r, Err(EvalError::TimeLimit { limit_ms: 200 })),
            "{engine:?}: {r:?}"
        );
        // stopped near the deadline, not after the whole evaluation
        assert!(start.elapsed() < Duration::from_secs(5), "{engine:?}");
    }
    // a small list answers on both, alike
    let small = policy
        .parse_facts(r#"{"xs":[{"v":1},{"v":2},{"v":3}]}"#)
        .unwrap();
    let a = policy.evaluate_with(Engine::Wasm, &small, as_of).unwrap();
    let b = policy
        .evaluate_with(Engine::Interpreter, &small, as_of)
        .unwrap();
    assert_eq!(a.decisions, b.decisions);
}

#[test]
fn both_engines_refuse_a_record_larger_than_the_memory_with_the_same_error() {
    let rt = runtime(Duration::from_secs(10), 4 << 20);
    let policy = rt
        .compile(
            "texts.rules",
            "policy texts\ninput { t: text }\ndecision n: bool = t == \"a\"\n",
        )
        .unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let big = policy
        .parse_facts(&format!("{{\"t\":\"{}\"}}", "x".repeat(5 << 20)))
        .unwrap();
    let wasm = policy.evaluate_with(Engine::Wasm, &big, as_of);
    let interp = policy.evaluate_with(Engine::Interpreter, &big, as_of);
    assert!(
        matches!(wasm, Err(EvalError::TooLarge { limit, .. }) if limit == 4 << 20),
        "{wasm:?}"
    );
    assert_eq!(wasm, interp);
    // one that fits answers on both
    let fits = policy
        .parse_facts(&format!("{{\"t\":\"{}\"}}", "x".repeat(1 << 20)))
        .unwrap();
    assert_eq!(
        policy
            .evaluate_with(Engine::Wasm, &fits, as_of)
            .unwrap()
            .decisions,
        policy
            .evaluate_with(Engine::Interpreter, &fits, as_of)
            .unwrap()
            .decisions
    );
}
