//! A host's own serde types parse as they would without Rulebook: the
//! library turns on no serde_json feature that changes parsing for the
//! whole build (`arbitrary_precision` breaks numbers in untagged enums and
//! flattened maps), and still reads the facts' numbers exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::batch::{Decimal, Decision, Money};
use rulebook::{Date, Policy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Amount {
    Number(f64),
    Text(String),
}

#[derive(Debug, PartialEq, Deserialize)]
struct Claim {
    id: String,
    amount: Amount,
    #[serde(flatten)]
    extra: BTreeMap<String, f64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Appointment {
    on: Date,
}

#[test]
fn untagged_enums_and_flattened_maps_with_numbers_parse() {
    // a policy is compiled and run in this process first
    let policy = Policy::from_source(
        "p.rules",
        "policy p\ninput { n: int }\ndecision d: int = n\n",
    )
    .unwrap();
    assert!(policy
        .evaluate_json(r#"{"n": 1}"#, "2026-01-01".parse().unwrap())
        .is_ok());
    let claim: Claim =
        serde_json::from_str(r#"{"id": "c1", "amount": 12.5, "rate": 0.25, "weeks": 52}"#).unwrap();
    assert_eq!(claim.amount, Amount::Number(12.5));
    assert_eq!(claim.extra["rate"], 0.25);
    assert_eq!(claim.extra["weeks"], 52.0);
    let text: Amount = serde_json::from_str(r#""12.5""#).unwrap();
    assert_eq!(text, Amount::Text("12.5".into()));
    // and a Value keeps numbers as numbers a host can read as f64
    let v: serde_json::Value = serde_json::from_str("0.1").unwrap();
    assert_eq!(v.as_f64(), Some(0.1));
}

#[test]
fn facts_numbers_are_still_exact() {
    let policy = Policy::from_source(
        "exact.rules",
        "policy exact
input { a: money  b: money  r: decimal }
decision sum: money = a + b
decision rate: decimal = r
",
    )
    .unwrap();
    let sum: Decision<Money> = policy.decision("sum").unwrap();
    let rate: Decision<Decimal> = policy.decision("rate").unwrap();
    // 0.1 + 0.2 in f64 is 0.30000000000000004; 13 digits before the point
    // and 6 after do not fit an f64 exactly
    let facts = policy
        .parse_facts(r#"{"a": 0.1, "b": 0.2, "r": 9223372036854.775807}"#)
        .unwrap();
    let outcome = policy
        .evaluate(&facts, "2026-01-01".parse().unwrap())
        .unwrap();
    assert_eq!(outcome.get(sum), Ok(Some(30)));
    assert_eq!(outcome.get(rate), Ok(Some(i64::MAX)));
    let out = policy
        .evaluate_json(
            r#"{"a": 1200.50, "b": 0.01}"#,
            "2026-01-01".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(out["decisions"]["sum"]["value"], "1200.51");
}

#[test]
fn dates_are_serde_text_with_the_feature() {
    let a: Appointment = serde_json::from_str(r#"{"on": "2026-11-27"}"#).unwrap();
    assert_eq!(a.on, "2026-11-27".parse::<Date>().unwrap());
    assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"on":"2026-11-27"}"#);
    let bad = serde_json::from_str::<Appointment>(r#"{"on": "2026-02-30"}"#).unwrap_err();
    assert!(bad.to_string().contains("not a date"), "{bad}");
}
