//! The sandbox bounds time: an evaluation that would run for hours is
//! stopped at the call deadline with an evaluation error, never left running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{BatchResults, EvalError, Runtime, RuntimeConfig};
use std::time::{Duration, Instant};

/// |xs|^3 steps: 2.7 * 10^10 at 3,000 elements, hours of work.
const SLOW: &str = "policy slow\ninput {\n  xs: list of { v: int }\n}\ndecision n: int = sum(x in xs: sum(y in xs: count(z in xs: z.v <= x.v + y.v)))\n";

#[test]
fn a_very_long_evaluation_stops_at_the_deadline() {
    let mut config = RuntimeConfig::default();
    config.deadline = Duration::from_millis(300);
    let runtime = Runtime::new(config).unwrap();
    let policy = runtime.compile("slow.rules", SLOW).unwrap();
    let xs: Vec<String> = (0..3000).map(|i| format!("{{\"v\":{i}}}")).collect();
    let facts = policy
        .parse_facts(&format!("{{\"xs\":[{}]}}", xs.join(",")))
        .unwrap();
    let start = Instant::now();
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&[facts], "2026-01-01".parse().unwrap(), &mut results);
    let elapsed = start.elapsed();
    let outcome = results.iter().next().unwrap();
    assert!(
        matches!(outcome, Err(EvalError::TimeLimit { limit_ms: 300 })),
        "{outcome:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "stopped after {elapsed:?}, the deadline is 300 ms"
    );
}
