//! How the benchmarks read their figures, shared by benches/engine.rs and
//! the peer engines' benchmark (peers/benches/peers.rs): the thread's CPU
//! time per call of a routine, and criterion's own estimate of a case.
//!
//! Like native.rs, it lives in `benches/engine/` so that Cargo's target
//! auto-discovery does not turn it into a bench target of its own.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// CPU time of the calling thread in ns, from the scheduler's accounting
/// (Linux). Updated at scheduler ticks: good for windows of a second or more.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// CPU ns per call of `run`, over about `window` of wall time (after one
/// call to warm up).
pub fn cpu_ns_per_call(run: &mut dyn FnMut() -> usize, window: Duration) -> Option<f64> {
    black_box(run());
    let cpu0 = thread_cpu_ns()?;
    let start = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || start.elapsed() < window {
        black_box(run());
        calls += 1;
    }
    let cpu = thread_cpu_ns()?.saturating_sub(cpu0);
    Some(cpu as f64 / calls as f64)
}

/// Time per call in ns from criterion's latest estimate of a case: the one it
/// prints as `time:` (the slope of the linear regression when it has one,
/// otherwise the mean).
pub fn criterion_ns(case: &str) -> Option<f64> {
    let path = criterion_dir().join(case).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| v["mean"]["point_estimate"].as_f64())
}

/// Where criterion writes its estimates (the rule criterion follows).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        PathBuf::from("target/criterion")
    }
}
