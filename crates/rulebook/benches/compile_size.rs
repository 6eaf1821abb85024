//! Compile time and memory against policy size: five shapes of policy, each
//! at 1,000 to 10,000 clauses, checked, compiled and loaded into wasmtime
//! (native code, without the cache). Reported as time per 1,000 clauses and
//! its ratio to the smallest size of the same shape, measured in this run:
//! a ratio near 1 at every size is a compile linear in the policy's size.
//!
//! `cargo bench -p rulebook --bench compile_size` (release build).

use rulebook::{Runtime, RuntimeConfig};
use std::time::Instant;

const INPUTS: &str = "policy scaling\ninput {\n  x: int\n  m: money\n  t: text\n}\n";

/// A policy of `n` clauses of one shape.
fn policy(shape: &str, n: usize) -> String {
    let mut s = String::from(INPUTS);
    match shape {
        "requires, 500 a decision" => {
            for i in 0..n {
                if i % 500 == 0 {
                    s.push_str(&format!("decision d{i}: bool\n"));
                }
                s.push_str(&format!("  require x > {i} or t == \"r{i}\"\n"));
            }
        }
        "independent decisions" => {
            for i in 0..n {
                s.push_str(&format!("decision d{i}: int = x * 2 + {i}\n"));
            }
        }
        "chained decisions" => {
            s.push_str("decision d0: money = m\n");
            for i in 1..n {
                s.push_str(&format!("decision d{i}: money = d{} + m * {i}\n", i - 1));
            }
        }
        "when routes, 10 a decision" => {
            for d in 0..n / 10 {
                s.push_str(&format!("decision r{d}: text\n"));
                for k in 0..10 {
                    s.push_str(&format!("  when x > {} -> \"route {k}\"\n", d * 10 + k));
                }
                s.push_str("  otherwise -> \"none\"\n");
            }
        }
        _ => {
            // money sums of 100 terms, one a decision
            for d in 0..n / 100 {
                let terms: Vec<String> = (1..=100).map(|k| format!("m * {k}")).collect();
                s.push_str(&format!(
                    "decision s{d}: money = {} + {d}\n",
                    terms.join(" + ")
                ));
            }
        }
    }
    s
}

const SHAPES: &[&str] = &[
    "requires, 500 a decision",
    "independent decisions",
    "chained decisions",
    "when routes, 10 a decision",
    "100-term money sums",
];

fn main() {
    // no native-code cache: every size is compiled
    let mut config = RuntimeConfig::default();
    config.cache_dir = None;
    let runtime = match Runtime::new(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: no runtime: {e}");
            std::process::exit(1);
        }
    };
    println!("| shape | clauses | source KB | check+codegen ms | native compile ms | ms / 1,000 clauses | x smallest |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for shape in SHAPES {
        let mut base = None;
        // `cargo test --benches` runs without `--bench`: one small size a
        // shape, as a smoke test
        let sizes: &[usize] = if std::env::args().any(|a| a == "--bench") {
            &[1_000, 2_500, 5_000, 10_000]
        } else {
            &[1_000]
        };
        for &n in sizes {
            let source = policy(shape, n);
            let start = Instant::now();
            let p = match runtime.compile("scaling.rules", &source) {
                Ok(p) => p,
                Err(e) => {
                    println!(
                        "| {shape} | {n} | refused: {} |",
                        e.render().lines().next().unwrap_or("")
                    );
                    continue;
                }
            };
            let checked = start.elapsed();
            let start = Instant::now();
            if let Err(e) = p.load() {
                println!("| {shape} | {n} | not loaded: {e} |");
                continue;
            }
            let native = start.elapsed();
            let total = (checked + native).as_secs_f64() * 1e3;
            let per_k = total / (n as f64 / 1e3);
            let ratio = per_k / *base.get_or_insert(per_k);
            println!(
                "| {shape} | {n} | {:.0} | {:.0} | {:.0} | {per_k:.1} | {ratio:.2} |",
                source.len() as f64 / 1e3,
                checked.as_secs_f64() * 1e3,
                native.as_secs_f64() * 1e3,
            );
        }
    }
}
