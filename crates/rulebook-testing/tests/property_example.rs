//! An example of testing a policy from Rust with `rulebook_testing`:
//! proptest strategies generate facts for any compiled policy (complete, or
//! with absent fields), and the test states what must hold for all of them.
//!
//! Copy this file as a starting point for your own property tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rulebook::{Date, Policy, Value};
use rulebook_testing::generate::{as_of_dates, facts, FactsConfig};
use std::sync::OnceLock;

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        Policy::from_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../rules/pension_credit.rules"
        ))
        .unwrap()
    })
}

/// Index of a decision in the outcome.
fn decision(name: &str) -> usize {
    policy()
        .meta()
        .decisions
        .iter()
        .position(|d| d.name == name)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the facts, a claimant found ineligible is never paid.
    #[test]
    fn ineligible_claimants_are_never_paid(
        f in facts(policy(), FactsConfig::for_policy(policy())),
        as_of in as_of_dates(policy()),
    ) {
        // dates before the first rates are an evaluation error by design
        if let Ok(outcome) = policy().evaluate(&f, Date(as_of)) {
            let eligible = &outcome.decisions[decision("eligible")].value;
            let award = &outcome.decisions[decision("weekly_guarantee_credit")].value;
            if eligible == &Some(Value::Bool(false)) {
                prop_assert_eq!(award, &Some(Value::Num(0)));
            }
        }
    }

    /// With every fact present, every decision is made (nothing is unknown).
    #[test]
    fn complete_facts_decide_everything(
        f in facts(policy(), FactsConfig::for_policy(policy()).complete()),
    ) {
        if let Ok(outcome) = policy().evaluate(&f, Date::parse("2026-01-01").unwrap()) {
            for d in &outcome.decisions {
                prop_assert!(d.value.is_some(), "{d:?}");
            }
        }
    }
}
