//! The figures of docs/explain.md: the time `explain` takes on each shipped
//! policy's example facts (all facts known), against one evaluation of the
//! same facts measured in the same run, and the hypothetical evaluations
//! its search makes. Run with
//! `cargo run --release -p rulebook --example explain_figures`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rulebook::{Date, Engine, Policy};
use std::time::Instant;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    let as_of = Date::parse("2026-11-27").unwrap();
    println!("| policy | explain ms | one evaluation (interpreter) ms | ratio | evaluations | would_change entries |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for name in [
        "pension_credit",
        "council_tax_reduction",
        "casework_routing",
    ] {
        let p = Policy::from_file(format!("{root}{name}.rules")).unwrap();
        let text = std::fs::read_to_string(format!("{root}{name}.example.json")).unwrap();
        let facts = p.parse_facts(&text).unwrap();
        let rounds = 50;
        let start = Instant::now();
        let mut x = None;
        for _ in 0..rounds {
            x = Some(rulebook::explain(&p, &facts, as_of).unwrap());
        }
        let explain_ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        let start = Instant::now();
        for _ in 0..rounds * 20 {
            std::hint::black_box(p.evaluate_with(Engine::Interpreter, &facts, as_of).unwrap());
        }
        let eval_ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds * 20);
        let x = x.unwrap();
        let entries: usize = x.decisions.iter().map(|d| d.would_change.len()).sum();
        println!(
            "| {name} | {explain_ms:.2} | {eval_ms:.4} | {:.0} | {} | {entries} |",
            explain_ms / eval_ms,
            x.evaluations
        );
    }
}
