//! The sandbox bounds time: an evaluation that would run for hours is
//! stopped at the call deadline with an evaluation error, never left running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::runtime::{read_meta, LoadedModule};
use rulebook::{BatchResults, Date, Policy};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// |xs|^3 steps: 2.7 * 10^10 at 3,000 elements, hours of work.
const SLOW: &str = "policy slow\ninput {\n  xs: list of { v: int }\n}\ndecision n: int = sum(x in xs: sum(y in xs: count(z in xs: z.v <= x.v + y.v)))\n";

#[test]
fn a_very_long_evaluation_stops_at_the_deadline() {
    let policy = Policy::from_source("slow.rules", SLOW).unwrap();
    let meta = Arc::new(read_meta(policy.wasm()).unwrap());
    let mut module = LoadedModule::new(policy.wasm(), meta).unwrap();
    module.set_call_deadline(Duration::from_millis(300));
    let xs: Vec<String> = (0..3000).map(|i| format!("{{\"v\":{i}}}")).collect();
    let facts = policy
        .parse_facts(&format!("{{\"xs\":[{}]}}", xs.join(",")))
        .unwrap();
    let start = Instant::now();
    let mut results = BatchResults::default();
    module.evaluate_into(
        &[facts][..],
        Date::parse("2026-01-01").unwrap().0,
        &mut results,
    );
    let elapsed = start.elapsed();
    let outcome = results.iter().next().unwrap();
    let message = outcome.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("time limit"), "{message:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "stopped after {elapsed:?}, the deadline is 300 ms"
    );
}
