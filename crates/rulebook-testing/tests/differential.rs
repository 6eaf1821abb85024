//! Differential property test: for every shipped policy and every policy of
//! the data-driven cases, random facts (absent fields, edge values, empty and
//! long lists, dates around the policy's own boundaries) evaluate identically
//! in the reference interpreter and in the compiled Wasm module: values,
//! missing lists, reasons, chosen clauses and errors. A failure shrinks to a
//! minimal facts object, printed as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../rulebook/tests/common/mod.rs"]
mod common;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rulebook::{Date, Engine, Policy};
use rulebook_testing::generate::{as_of_dates, facts, FactsConfig};

/// Total generated cases across all policies (at least 10,000 per run).
const TOTAL_CASES: u32 = 12_000;

fn check(policy: &Policy, config: FactsConfig, cases: u32, seed: u8) {
    // the same policy as a large one is compiled: one function an item
    let split = policy.split_every_item().unwrap();
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
        let c = split.evaluate_with(Engine::Wasm, &f, Date(as_of));
        if a != c {
            return Err(TestCaseError::fail(format!(
                "interpreter: {a:?}\nsplit wasm:  {c:?}"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        let detail = match &e {
            proptest::test_runner::TestError::Fail(msg, (f, as_of)) => format!(
                "{msg}\nfacts: {}\nas_of: {}",
                rulebook::__private::to_json_text(&policy.meta().input, f),
                Date(*as_of)
            ),
            other => other.to_string(),
        };
        panic!("{}: interpreter and Wasm disagree\n{detail}", policy.path());
    }
}

#[test]
fn interpreter_and_wasm_agree_on_random_facts() {
    let all = common::all_policies();
    assert!(all.len() >= 3);
    let per_policy = TOTAL_CASES / all.len() as u32 + 1;
    for (i, p) in all.iter().enumerate() {
        let base = FactsConfig::for_policy(p);
        // mostly partial facts (the three-valued path), some complete (the fast path)
        check(p, base.clone(), per_policy * 3 / 4, i as u8);
        check(p, base.complete(), per_policy / 4 + 1, i as u8 + 100);
    }
}

/// A JSON value that may or may not fit a field of type `ty`.
fn json_for(
    ty: &rulebook::meta::ValueType,
    depth: u32,
) -> proptest::strategy::BoxedStrategy<serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::{json, Value};
    let numbers = prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "-?[0-9]{1,20}(\\.[0-9]{1,8})?"
            .prop_map(|s| serde_json::from_str::<Value>(&s).unwrap_or(Value::Null)),
        Just(serde_json::from_str::<Value>("1e3").unwrap()),
    ];
    let strings = prop_oneof![
        "-?[0-9]{1,6}(\\.[0-9]{0,4})?".prop_map(Value::String),
        prop::sample::select(vec![
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "employed",
            "student",
            "london",
            "",
            "a\"b",
            "é"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        numbers,
        strings
    ]
    .boxed();
    match ty {
        rulebook::meta::ValueType::List { element } if depth < 2 => {
            let element = element.clone();
            prop_oneof![
                1 => leaf,
                3 => prop::collection::vec(
                    prop_oneof![
                        4 => object_for(&element, depth + 1),
                        1 => json_for(&rulebook::meta::ValueType::Int, depth + 1),
                    ],
                    0..3
                )
                .prop_map(Value::Array),
            ]
            .boxed()
        }
        _ => leaf,
    }
}

fn object_for(
    layout: &rulebook::meta::Layout,
    depth: u32,
) -> proptest::strategy::BoxedStrategy<serde_json::Value> {
    use proptest::prelude::*;
    let fields: Vec<_> = layout
        .fields
        .iter()
        .map(|f| {
            let name = f.name.clone();
            proptest::option::of(json_for(&f.ty, depth)).prop_map(move |v| (name.clone(), v))
        })
        .collect();
    fields
        .prop_map(|entries| {
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect(),
            )
        })
        .boxed()
}

/// The facts parser accepts and refuses the same inputs whatever their
/// layout as text (pretty or compact), naming the same field paths and
/// expectations.
#[test]
fn pretty_and_compact_facts_texts_parse_alike() {
    for (i, policy) in common::all_policies().iter().enumerate() {
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 150,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &[i as u8 + 50; 32]),
        );
        let result = runner.run(&object_for(&policy.meta().input, 0), |json| {
            let pretty = serde_json::to_string_pretty(&json).unwrap();
            let key = |r: Result<rulebook::Facts, rulebook::InputError>| {
                r.map_err(|e| {
                    e.problems
                        .into_iter()
                        .map(|p| (p.path, p.expected))
                        .collect::<Vec<_>>()
                })
            };
            let from_text = key(policy.parse_facts(&pretty));
            let compact = key(policy.parse_facts(&json.to_string()));
            if from_text != compact {
                return Err(TestCaseError::fail(format!(
                    "pretty:  {from_text:?}\ncompact: {compact:?}"
                )));
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!(
                "{}: pretty and compact facts parse differently: {e}",
                policy.path()
            );
        }
    }
}
