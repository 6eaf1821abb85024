//! Differential property test: for every shipped policy and every policy of
//! the data-driven cases, random facts (absent fields, edge values, empty and
//! long lists, dates around the policy's own boundaries) evaluate identically
//! in the reference interpreter and in the compiled Wasm module: values,
//! missing lists, reasons, chosen clauses and errors. A failure shrinks to a
//! minimal facts object, printed as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rulebook::testing::generate::{as_of_dates, facts, FactsConfig};
use rulebook::{Date, Engine, Policy};
use std::path::Path;

/// Total generated cases across all policies (at least 10,000 per run).
const TOTAL_CASES: u32 = 12_000;

fn policies() -> Vec<Policy> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut rules: Vec<_> = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    rules.sort();
    for p in rules {
        out.push(Policy::from_file(&p).unwrap());
    }
    let mut cases: Vec<_> = std::fs::read_dir(root.join("tests/cases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    cases.sort();
    for p in cases {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let src = doc["policy"].as_str().unwrap();
        out.push(Policy::from_source(&p.display().to_string(), src).unwrap());
    }
    out
}

fn check(policy: &Policy, config: FactsConfig, cases: u32, seed: u8) {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let strategy = (facts(policy, config), as_of_dates(policy));
    let result = runner.run(&strategy, |(f, as_of)| {
        let a = policy.evaluate_with(Engine::Interpreter, &f, Date(as_of));
        let b = policy.evaluate_with(Engine::Wasm, &f, Date(as_of));
        if a != b {
            return Err(TestCaseError::fail(format!(
                "interpreter: {a:?}\nwasm:        {b:?}"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        let detail = match &e {
            proptest::test_runner::TestError::Fail(msg, (f, as_of)) => format!(
                "{msg}\nfacts: {}\nas_of: {}",
                rulebook::facts::to_json(&policy.meta().input, f),
                Date(*as_of)
            ),
            other => other.to_string(),
        };
        panic!("{}: interpreter and Wasm disagree\n{detail}", policy.path());
    }
}

#[test]
fn interpreter_and_wasm_agree_on_random_facts() {
    let all = policies();
    assert!(all.len() >= 3);
    let per_policy = TOTAL_CASES / all.len() as u32 + 1;
    for (i, p) in all.iter().enumerate() {
        let base = FactsConfig::for_policy(p);
        // mostly partial facts (the three-valued path), some complete (the fast path)
        check(p, base.clone(), per_policy * 3 / 4, i as u8);
        check(p, base.complete(), per_policy / 4 + 1, i as u8 + 100);
    }
}
