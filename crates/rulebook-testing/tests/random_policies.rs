//! Differential test over random policies, not only random facts (issue
//! 25): policies from `rulebook_testing::random_policy` with random facts
//! (absent fields, edge values, lists), each evaluated by the interpreter,
//! the compiled module and the module split one function an item; every
//! result (values, missing lists, reasons, clauses, errors) must agree.
//! Each policy's facts are also evaluated in one batch on one instance,
//! record after record, and held to the interpreter.
//!
//! The seed differs from run to run (it is printed), so every CI run tries
//! new policies; `RULEBOOK_SEED=N` repeats a run. A disagreement is
//! reduced to a smaller policy and its facts to the fields that matter,
//! and the test fails with both, ready to paste into a rule file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rulebook::{Date, Engine, Policy};
use rulebook_testing::generate::{as_of_dates, facts, FactsConfig};
use rulebook_testing::random_policy;
use serde_json::Value as Json;

/// Policies a run, and facts a policy.
const POLICIES: u64 = 300;
const FACTS: usize = 40;

/// The three engines' results on one facts text, if they differ, or the
/// two ways of writing the report's text, if they differ: as text.
fn disagreement(policy: &Policy, facts_json: &str, as_of: Date) -> Option<String> {
    let f = policy.parse_facts(facts_json).ok()?;
    let split = policy.split_every_item()?;
    let a = policy.evaluate_with(Engine::Interpreter, &f, as_of);
    let b = policy.evaluate_with(Engine::Wasm, &f, as_of);
    let c = split.evaluate_with(Engine::Wasm, &f, as_of);
    if a != b || a != c {
        return Some(format!(
            "interpreter: {a:?}\nwasm:        {b:?}\nsplit wasm:  {c:?}"
        ));
    }
    // the report's JSON text, written directly, is the text serde_json
    // writes from its `Serialize`, byte for byte
    let outcome = b.ok()?;
    let report = policy.report(&outcome, as_of);
    let (direct, serde) = (report.to_string(), serde_json::to_string(&report).ok()?);
    (direct != serde).then(|| format!("report text: {direct}\nserde_json:  {serde}"))
}

#[test]
fn random_policies_agree_on_every_engine() {
    let seed: u64 = std::env::var("RULEBOOK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    println!("random policies: RULEBOOK_SEED={seed}");
    let mut evaluated = 0usize;
    for k in 0..POLICIES {
        let source = random_policy::policy(seed.wrapping_mul(1_000).wrapping_add(k));
        let policy = match Policy::from_source("random.rules", &source) {
            Ok(p) => p,
            Err(e) => panic!(
                "RULEBOOK_SEED={seed}: a generated policy does not compile:\n{source}\n{}",
                e.render()
            ),
        };
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed ^ k)),
        );
        let strategy = (
            facts(&policy, FactsConfig::for_policy(&policy)),
            as_of_dates(&policy),
        );
        let mut all = Vec::new();
        for _ in 0..FACTS {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let (f, as_of) = tree.current();
            let text = rulebook::__private::to_json_text(&policy.meta().input, &f);
            let as_of = Date(as_of);
            evaluated += 1;
            if let Some(first) = disagreement(&policy, &text, as_of) {
                fail(seed, &source, &text, as_of, &first);
            }
            all.push(f);
        }
        // the same facts in one batch, one module call after another on one
        // instance: nothing of a record may leak into the next
        let as_of = Date(20_000);
        for (i, (f, w)) in all
            .iter()
            .zip(policy.evaluate_batch(&all, as_of))
            .enumerate()
        {
            let one = policy.evaluate_with(rulebook::Engine::Interpreter, f, as_of);
            assert_eq!(
                one,
                w,
                "RULEBOOK_SEED={seed}: record {i} of a batch differs from the interpreter\n--- policy ---\n{source}--- facts ---\n{}",
                rulebook::__private::to_json_text(&policy.meta().input, f)
            );
        }
    }
    println!(
        "random policies: {POLICIES} policies, {evaluated} evaluations on three engines agree"
    );
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in seed.to_le_bytes().iter().cycle().take(32).enumerate() {
        out[i] = b.wrapping_add(i as u8);
    }
    out
}

/// Reduces the policy, then the facts, while the engines still disagree,
/// and fails with the smallest pair found.
fn fail(seed: u64, source: &str, facts_json: &str, as_of: Date, first: &str) -> ! {
    let fails_with = |src: &str, facts: &str| {
        Policy::from_source("random.rules", src)
            .ok()
            .and_then(|p| disagreement(&p, facts, as_of))
            .is_some()
    };
    let small = random_policy::reduce(source, |s| fails_with(s, facts_json));
    // the facts: drop fields one at a time while it still fails
    let mut obj: serde_json::Map<String, Json> =
        serde_json::from_str(facts_json).unwrap_or_default();
    for key in obj.keys().cloned().collect::<Vec<_>>() {
        let mut fewer = obj.clone();
        fewer.remove(&key);
        if fails_with(&small, &Json::Object(fewer.clone()).to_string()) {
            obj = fewer;
        }
    }
    let facts = Json::Object(obj).to_string();
    let detail = Policy::from_source("random.rules", &small)
        .ok()
        .and_then(|p| disagreement(&p, &facts, as_of))
        .unwrap_or_else(|| first.to_string());
    panic!(
        "RULEBOOK_SEED={seed}: the engines disagree.\n--- policy (reduced) ---\n{small}--- facts (as_of {as_of}) ---\n{facts}\n--- results ---\n{detail}\n--- original policy ---\n{source}"
    );
}
