//! Explanations checked from the outside (LANGUAGE.md section 11), on the
//! shipped policies' examples and on generated variations of them:
//!
//! - every `would_change` entry, applied to the facts with everything else
//!   kept, gives the stated value when the compiled module evaluates it (the
//!   explanation is computed with the interpreter: two engines agree);
//! - a moved amount, count or date is the nearest: one penny, unit or day
//!   back toward the current value keeps the decision as it was;
//! - whenever flipping one bool fact changes a bool decision, an entry says
//!   so;
//! - `why` names the value `eval` gives, and the text of a refusal contains
//!   every failed reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::meta::ValueType;
use rulebook::{Date, Policy};
use serde_json::{Map, Value};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const AS_OF: &str = "2026-11-27";

fn root() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/").to_string()
}

fn policy(name: &str) -> Policy {
    Policy::from_file(format!("{}{name}.rules", root())).unwrap()
}

fn example(name: &str) -> Map<String, Value> {
    let text = std::fs::read_to_string(format!("{}{name}.example.json", root())).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The example with a few top-level facts moved, flipped or left out.
fn variation(rng: &mut Rng, p: &Policy, base: &Map<String, Value>) -> Map<String, Value> {
    let mut facts = base.clone();
    for f in &p.meta().input.fields {
        if rng.below(3) != 0 {
            continue;
        }
        let v = match &f.ty {
            ValueType::Bool => Value::Bool(rng.below(2) == 0),
            ValueType::Money => {
                let pence = rng.below(60_000) as i64;
                Value::String(format!("{}.{:02}", pence / 100, pence % 100))
            }
            ValueType::Int => Value::from(rng.below(100)),
            ValueType::Date => {
                let days = 19_000 - rng.below(40_000) as i64;
                Value::String(date_text(days))
            }
            ValueType::Enum { variants } => {
                Value::String(variants[rng.below(variants.len() as u64) as usize].clone())
            }
            _ => continue,
        };
        if rng.below(8) == 0 {
            facts.remove(&f.name);
        } else {
            facts.insert(f.name.clone(), v);
        }
    }
    facts
}

fn date_text(days: i64) -> String {
    // through the engine's own date type: days since 1970-01-01
    let base = Date::parse("1970-01-01").unwrap();
    Date(base.0 + days as i32).to_string()
}

fn decide(p: &Policy, facts: &Map<String, Value>) -> Option<Value> {
    let text = Value::Object(facts.clone()).to_string();
    p.evaluate_json(&text, Date::parse(AS_OF).unwrap()).ok()
}

fn value_of(report: &Value, decision: &str) -> Value {
    report["decisions"][decision]["value"].clone()
}

/// What counts as another value: numbers by their sign.
fn class(ty: &ValueType, v: &Value) -> Value {
    match (ty, v) {
        (ValueType::Money | ValueType::Decimal, Value::String(s)) => {
            let n: f64 = s.parse().unwrap();
            Value::from(if n > 0.0 {
                1
            } else if n < 0.0 {
                -1
            } else {
                0
            })
        }
        (ValueType::Int, Value::Number(n)) => Value::from(n.as_i64().unwrap().signum()),
        _ => v.clone(),
    }
}

/// `v` moved one unit toward `current` (money a penny, a date a day).
fn one_nearer(ty: &ValueType, v: &Value, current: &Value) -> Option<Value> {
    match ty {
        ValueType::Money => {
            let p = |x: &Value| -> i64 {
                let s = x.as_str().unwrap();
                let neg = s.starts_with('-');
                let (w, f) = s.trim_start_matches('-').split_once('.').unwrap();
                let n = w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
                if neg {
                    -n
                } else {
                    n
                }
            };
            let (a, b) = (p(v), p(current));
            let n = a - (a - b).signum();
            let sign = if n < 0 { "-" } else { "" };
            Some(Value::String(format!(
                "{sign}{}.{:02}",
                n.abs() / 100,
                n.abs() % 100
            )))
        }
        ValueType::Int => {
            let (a, b) = (v.as_i64()?, current.as_i64()?);
            Some(Value::from(a - (a - b).signum()))
        }
        ValueType::Date => {
            let (a, b) = (
                Date::parse(v.as_str()?).ok()?.0,
                Date::parse(current.as_str()?).ok()?.0,
            );
            Some(Value::String(Date(a - (a - b).signum()).to_string()))
        }
        _ => None,
    }
}

fn check(p: &Policy, facts: &Map<String, Value>, label: &str) -> usize {
    let as_of = Date::parse(AS_OF).unwrap();
    let text = Value::Object(facts.clone()).to_string();
    let Some(report) = decide(p, facts) else {
        return 0; // an evaluation error: nothing to explain
    };
    let parsed = p.parse_facts(&text).unwrap();
    let x = rulebook::explain(p, &parsed, as_of).unwrap();
    let json = x.to_json();
    let types: Vec<(String, ValueType)> = p
        .meta()
        .decisions
        .iter()
        .map(|d| (d.name.clone(), d.ty.clone()))
        .collect();
    let field_ty = |name: &str| {
        p.meta()
            .input
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.ty.clone())
    };
    let mut checked = 0;
    for (name, ty) in &types {
        let now = value_of(&report, name);
        assert_eq!(
            value_of(&json, name),
            now,
            "{label}: explain's value of {name} differs from eval's"
        );
        let entries = json["decisions"][name]["would_change"].as_array().unwrap();
        for e in entries {
            let mut changed = facts.clone();
            for (k, v) in e["set"].as_object().unwrap() {
                changed.insert(k.clone(), v.clone());
            }
            let after = decide(p, &changed).unwrap();
            assert_eq!(
                value_of(&after, name),
                e["to"],
                "{label}: {name}: the entry {e} does not give its value"
            );
            if !now.is_null() {
                // another value, or the same value by another `when` clause
                let route = |r: &Value| r["decisions"][name]["line"].clone();
                assert_ne!(
                    (class(ty, &value_of(&after, name)), route(&after)),
                    (class(ty, &now), route(&report)),
                    "{label}: {name}: the entry {e} does not change the decision"
                );
                if let Some(line) = e.get("line") {
                    assert_eq!(line, &route(&after), "{label}: {name}: {e}");
                }
            }
            checked += 1;
            // nearest: one unit back toward the current value keeps it
            let set = e["set"].as_object().unwrap();
            if set.len() == 1 && !now.is_null() {
                let (k, v) = set.iter().next().unwrap();
                if let (Some(cur), Some(fty)) = (facts.get(k), field_ty(k)) {
                    if let Some(back) = one_nearer(&fty, v, cur) {
                        if &back != cur {
                            let mut nearer = facts.clone();
                            nearer.insert(k.clone(), back.clone());
                            if let Some(r) = decide(p, &nearer) {
                                let route = |r: &Value| r["decisions"][name]["line"].clone();
                                assert_eq!(
                                    (class(ty, &value_of(&r, name)), route(&r)),
                                    (class(ty, &now), route(&report)),
                                    "{label}: {name}: {k} = {back} is nearer than {v} and also changes it"
                                );
                            }
                        }
                    }
                }
            }
        }
        // completeness for bool facts and bool decisions
        if matches!(ty, ValueType::Bool) && !now.is_null() {
            for f in &p.meta().input.fields {
                let Some(Value::Bool(b)) = facts.get(&f.name) else {
                    continue;
                };
                let mut flipped = facts.clone();
                flipped.insert(f.name.clone(), Value::Bool(!b));
                let Some(r) = decide(p, &flipped) else {
                    continue;
                };
                if value_of(&r, name) != now && !value_of(&r, name).is_null() {
                    assert!(
                        entries
                            .iter()
                            .any(|e| e["set"].get(&f.name) == Some(&Value::Bool(!b))),
                        "{label}: {name}: flipping {} changes it, and no entry says so",
                        f.name
                    );
                }
            }
        }
        // the text names every failed reason
        if let Some(reasons) = report["decisions"][name]["reasons"].as_array() {
            let text = x.to_text(p, false);
            for r in reasons {
                let because = r["because"].as_str().unwrap();
                assert!(
                    text.contains(because),
                    "{label}: the text lacks the reason {because:?}:\n{text}"
                );
            }
        }
    }
    checked
}

#[test]
fn every_change_is_checked_nearest_and_complete_on_the_shipped_policies() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut total = 0;
    for name in [
        "pension_credit",
        "council_tax_reduction",
        "casework_routing",
    ] {
        let p = policy(name);
        let base = example(name);
        total += check(&p, &base, &format!("{name} example"));
        for k in 0..40 {
            let facts = variation(&mut rng, &p, &base);
            total += check(&p, &facts, &format!("{name} variation {k}"));
        }
    }
    eprintln!("{total} would_change entries checked");
    assert!(total > 300, "only {total} entries were checked");
}

#[test]
fn a_refusal_reads_as_sentences_with_reasons_sources_and_what_would_qualify() {
    let p = policy("pension_credit");
    let mut facts = example("pension_credit");
    facts.insert("in_great_britain".into(), Value::Bool(false));
    let parsed = p.parse_facts(&Value::Object(facts).to_string()).unwrap();
    let x = rulebook::explain(&p, &parsed, Date::parse(AS_OF).unwrap()).unwrap();
    let text = x.to_text(&p, false);
    assert!(text.contains("Eligible: no."), "{text}");
    assert!(
        text.contains("Because: The claimant must be in Great Britain (State Pension Credit Act 2002, s. 1(2)(a))."),
        "{text}"
    );
    assert!(
        text.contains("Eligible would be yes if in great britain were yes"),
        "{text}"
    );
    assert!(text.contains("27 November 2026"), "{text}");
    assert!(text.contains("£346.60"), "{text}");
    for word in ["\"", "null", "true", "false", "line"] {
        assert!(!text.contains(word), "the text has {word:?}:\n{text}");
    }
    assert!(x.to_text(&p, true).contains("[line 128]"));
}

#[test]
fn an_unknown_decision_lists_the_answers_that_decide_it() {
    let p = policy("pension_credit");
    let mut facts = example("pension_credit");
    facts.remove("in_great_britain");
    let parsed = p
        .parse_facts(&Value::Object(facts.clone()).to_string())
        .unwrap();
    let json = rulebook::explain(&p, &parsed, Date::parse(AS_OF).unwrap())
        .unwrap()
        .to_json();
    let entries = json["decisions"]["eligible"]["would_change"]
        .as_array()
        .unwrap();
    let tos: Vec<&Value> = entries
        .iter()
        .filter(|e| e["set"].get("in_great_britain").is_some())
        .map(|e| &e["to"])
        .collect();
    assert!(tos.contains(&&Value::Bool(true)), "{entries:?}");
    assert!(tos.contains(&&Value::Bool(false)), "{entries:?}");
}
