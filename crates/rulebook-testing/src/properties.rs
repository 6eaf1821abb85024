//! Property suites (`properties:` in a test file, see docs/testing.md):
//! statements checked on generated facts. `always`/`never` take an expression
//! of the policy language over its decisions and facts; `monotone` says how a
//! decision moves as one fact grows; `depends_only_on` says which facts a
//! decision may read. A failing property is shrunk by proptest to a minimal
//! facts object and printed as a ready-to-paste test case.

use super::generate::{self, FactsConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use rulebook::__private::{abi::ValueType, num, program, values_mut, FactValue};
use rulebook::{Date, Engine, EvalError, Facts, Outcome, Policy, Value};
use serde::Deserialize;
use std::collections::HashMap;

/// The seed used when none is given, so runs repeat.
pub const DEFAULT_SEED: u64 = 0x5EED_2026;
/// Generated cases per property when the file does not say.
pub const DEFAULT_CASES: u32 = 256;
/// Probability that a generated fact is left out (unless `complete: true`).
pub const ABSENT: f64 = 0.05;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub name: String,
    always: Option<String>,
    never: Option<String>,
    monotone: Option<Monotone>,
    depends_only_on: Option<DependsOnlyOn>,
    /// Generated cases (default 256).
    cases: Option<u32>,
    /// Evaluation date; by default generated, around the policy's own dates.
    as_of: Option<String>,
    /// Generate every fact (no unknowns); by default some facts are left out.
    #[serde(default)]
    complete: bool,
    /// Ranges for top-level facts: `age: {min: 18, max: 99}`.
    #[serde(default)]
    facts: HashMap<String, Range>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Monotone {
    fact: String,
    decision: String,
    direction: Direction,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Direction {
    NonDecreasing,
    NonIncreasing,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DependsOnlyOn {
    decision: String,
    facts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    min: serde_yaml::Value,
    max: serde_yaml::Value,
}

/// The result of checking one property.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PropertyReport {
    pub name: String,
    pub line: usize,
    pub passed: bool,
    /// Generated cases that were checked.
    pub cases: u32,
    /// Cases in which the statement could be judged (not unknown).
    pub decided: u32,
    /// Why it failed.
    pub message: Option<String>,
    /// The shrunk counterexample as a ready-to-paste test case (YAML).
    pub counterexample: Option<String>,
}

fn failed(p: &Property, line: usize, message: String) -> PropertyReport {
    PropertyReport {
        name: p.name.clone(),
        line,
        passed: false,
        cases: 0,
        decided: 0,
        message: Some(message),
        counterexample: None,
    }
}

/// What one generated case is checked against.
enum Check {
    /// The synthetic decision `__property` must be true (always) or false (never).
    Expr {
        policy: Policy,
        want: bool,
    },
    Monotone {
        decision: usize,
        fact: usize,
        direction: Direction,
    },
    DependsOnly {
        decision: usize,
        keep: Vec<usize>,
    },
}

const PROPERTY_DECISION: &str = "__property";

/// Checks one property on generated facts.
pub fn check(policy: &Policy, p: &Property, line: usize, seed: u64) -> PropertyReport {
    let forms = [
        p.always.is_some(),
        p.never.is_some(),
        p.monotone.is_some(),
        p.depends_only_on.is_some(),
    ];
    if forms.iter().filter(|x| **x).count() != 1 {
        return failed(
            p,
            line,
            "a property needs exactly one of always, never, monotone, depends_only_on".into(),
        );
    }
    let meta = policy.meta();
    let decision_index = |name: &str| {
        meta.decisions
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = meta.decisions.iter().map(|d| d.name.as_str()).collect();
                format!(
                    "no decision named `{name}` (decisions: {})",
                    names.join(", ")
                )
            })
    };
    let fact_index = |name: &str| {
        meta.input
            .fields
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = meta.input.fields.iter().map(|f| f.name.as_str()).collect();
                format!("no input fact named `{name}` (facts: {})", names.join(", "))
            })
    };
    let check = match (&p.always, &p.never, &p.monotone, &p.depends_only_on) {
        (Some(e), _, _, _) | (_, Some(e), _, _) => {
            let src = format!(
                "{}\ndecision {PROPERTY_DECISION}: bool = {e}\n",
                policy.source()
            );
            match Policy::from_source(&format!("property `{}`", p.name), &src) {
                Ok(synthetic) => Check::Expr {
                    policy: synthetic,
                    want: p.always.is_some(),
                },
                Err(err) => {
                    let msgs: Vec<String> =
                        err.diagnostics.iter().map(|d| d.message.clone()).collect();
                    return failed(
                        p,
                        line,
                        format!("the expression `{e}` does not check: {}", msgs.join("; ")),
                    );
                }
            }
        }
        (_, _, Some(m), _) => {
            let (decision, fact) = match (decision_index(&m.decision), fact_index(&m.fact)) {
                (Ok(d), Ok(f)) => (d, f),
                (Err(e), _) | (_, Err(e)) => return failed(p, line, e),
            };
            if !matches!(
                meta.input.fields[fact].ty,
                ValueType::Int | ValueType::Money | ValueType::Decimal | ValueType::Date
            ) {
                return failed(
                    p,
                    line,
                    format!("monotone needs a numeric or date fact; `{}` is not", m.fact),
                );
            }
            Check::Monotone {
                decision,
                fact,
                direction: m.direction,
            }
        }
        (_, _, _, Some(d)) => {
            let decision = match decision_index(&d.decision) {
                Ok(x) => x,
                Err(e) => return failed(p, line, e),
            };
            let mut keep = Vec::new();
            for f in &d.facts {
                match fact_index(f) {
                    Ok(i) => keep.push(i),
                    Err(e) => return failed(p, line, e),
                }
            }
            Check::DependsOnly { decision, keep }
        }
        _ => return failed(p, line, "empty property".into()),
    };
    let target = match &check {
        Check::Expr { policy, .. } => policy.clone(),
        _ => policy.clone(),
    };

    let mut config = FactsConfig::for_policy(policy);
    config.realistic = true;
    config.absent = ABSENT;
    if p.complete {
        config = config.complete();
    }
    for (name, r) in &p.facts {
        match range(meta, name, r) {
            Ok(x) => {
                config.ranges.insert(name.clone(), x);
            }
            Err(e) => return failed(p, line, e),
        }
    }
    let as_of = match &p.as_of {
        Some(s) => match Date::parse(s) {
            Ok(d) => Just(d.0).boxed(),
            Err(e) => return failed(p, line, format!("as_of: {e}")),
        },
        None => in_force_dates(policy),
    };
    // the documented default
    let cases = p.cases.unwrap_or(DEFAULT_CASES);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = (
        generate::facts(&target, config.clone()),
        generate::facts(&target, config),
        as_of,
        1i64..1_000_000,
    );
    let decided = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(f, g, as_of, delta)| {
        match run_one(&target, &check, &f, &g, Date(as_of), delta) {
            Ok(true) => {
                decided.set(decided.get() + 1);
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    let decided = decided.get();
    match result {
        Ok(()) if decided == 0 => PropertyReport {
            name: p.name.clone(),
            line,
            passed: false,
            cases,
            decided,
            message: Some(format!(
                "vacuous: in none of the {cases} generated cases was the statement known; \
                 use `complete: true` or `facts:` ranges so the decisions can be made"
            )),
            counterexample: None,
        },
        Ok(()) => PropertyReport {
            name: p.name.clone(),
            line,
            passed: true,
            cases,
            decided,
            message: None,
            counterexample: None,
        },
        Err(TestError::Fail(why, (f, g, as_of, delta))) => {
            let inputs = counter_inputs(&check, &f, &g, delta);
            let example = inputs
                .iter()
                .map(|facts| paste_case(&target, &p.name, facts, Date(as_of)))
                .collect::<Vec<_>>()
                .join("");
            PropertyReport {
                name: p.name.clone(),
                line,
                passed: false,
                cases,
                decided,
                message: Some(why.to_string()),
                counterexample: Some(example),
            }
        }
        Err(e) => failed(p, line, e.to_string()),
    }
}

/// A range written in a fact's own units, in its slot encoding.
fn range(meta: &rulebook::meta::Meta, name: &str, r: &Range) -> Result<(i64, i64), String> {
    let field = meta
        .input
        .fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| format!("facts: no input fact named `{name}`"))?;
    let one = |v: &serde_yaml::Value| -> Result<i64, String> {
        let text = match v {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Number(n) => n.to_string(),
            other => {
                // only for the message: a YAML value always serialises
                let written = serde_yaml::to_string(other).unwrap_or_default();
                return Err(format!(
                    "facts.{name}: `{}` is not a number or date",
                    written.trim()
                ));
            }
        };
        let parsed = match field.ty {
            ValueType::Int => num::parse_int(&text).map_err(|e| e.to_string()),
            ValueType::Money => num::parse_money(&text).map_err(|e| e.to_string()),
            ValueType::Decimal => num::parse_decimal(&text).map_err(|e| e.to_string()),
            ValueType::Date => num::parse_date(&text)
                .map(i64::from)
                .ok_or_else(|| "not a date".to_string()),
            _ => Err("ranges apply to int, money, decimal and date facts".to_string()),
        };
        parsed.map_err(|e| format!("facts.{name}: `{text}`: {e}"))
    };
    Ok((one(&r.min)?, one(&r.max)?))
}

fn outcome_value(r: &Result<Outcome, EvalError>, decision: usize) -> Result<Option<Value>, String> {
    match r {
        Ok(o) => Ok(o.decisions.get(decision).and_then(|d| d.value.clone())),
        Err(e) => Err(e.to_string()),
    }
}

/// A decision's value as the decisions JSON writes it (`"12.50"` for money,
/// the variant's name for an enum), or `unknown`.
fn shown(policy: &Policy, decision: usize, v: Option<&Value>) -> String {
    let ty = policy.meta().decisions.get(decision).map(|d| &d.ty);
    match (ty, v) {
        (_, None) => "unknown".into(),
        (_, Some(Value::Bool(b))) => b.to_string(),
        (_, Some(Value::Text(t))) => serde_json::Value::String(t.to_string()).to_string(),
        (Some(ValueType::Money), Some(Value::Num(n))) => format!("\"{}\"", num::format_money(*n)),
        (Some(ValueType::Decimal), Some(Value::Num(n))) => {
            format!("\"{}\"", num::format_decimal(*n))
        }
        (Some(ValueType::Date), Some(Value::Num(n))) => i32::try_from(*n).map_or_else(
            |_| n.to_string(),
            |d| format!("\"{}\"", num::format_date(d)),
        ),
        (Some(ValueType::Enum { variants }), Some(Value::Num(n))) => usize::try_from(*n)
            .ok()
            .and_then(|i| variants.get(i))
            .map_or_else(|| n.to_string(), |v| format!("\"{v}\"")),
        (_, Some(Value::Num(n))) => n.to_string(),
    }
}

fn order(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Num(n) => Some(*n),
        Value::Text(_) => None,
    }
}

/// `g` with the listed facts taken from `f`.
fn with_facts_from(g: &Facts, f: &Facts, keep: &[usize]) -> Facts {
    let mut h = g.clone();
    let from = rulebook::__private::values(f);
    let values = values_mut(&mut h);
    for &i in keep {
        if let (Some(slot), Some(v)) = (values.get_mut(i), from.get(i)) {
            *slot = v.clone();
        }
    }
    h
}

/// `f` with the fact grown by `delta` (set to `delta` when absent).
fn grown(f: &Facts, fact: usize, delta: i64) -> Facts {
    let mut h = f.clone();
    if let Some(slot) = values_mut(&mut h).get_mut(fact) {
        *slot = Some(FactValue::Num(match slot {
            Some(FactValue::Num(n)) => n.saturating_add(delta),
            _ => delta,
        }));
    }
    h
}

/// Checks one generated case: Ok(true) when the statement held and could be
/// judged, Ok(false) when it could not be judged (unknown decisions).
fn run_one(
    policy: &Policy,
    check: &Check,
    f: &Facts,
    g: &Facts,
    as_of: Date,
    delta: i64,
) -> Result<bool, String> {
    let eval = |facts: &Facts| policy.evaluate_with(Engine::Wasm, facts, as_of);
    match check {
        Check::Expr { policy, want } => {
            let decision = policy.meta().decisions.len().saturating_sub(1);
            match outcome_value(&eval(f), decision)? {
                Some(Value::Bool(b)) if b != *want => {
                    Err(format!("the expression is {b} for these facts"))
                }
                Some(_) => Ok(true),
                None => Ok(false),
            }
        }
        Check::Monotone {
            decision,
            fact,
            direction,
        } => {
            let base = grown(f, *fact, 0);
            let more = grown(f, *fact, delta);
            let (a, b) = (
                outcome_value(&eval(&base), *decision)?,
                outcome_value(&eval(&more), *decision)?,
            );
            match (a.as_ref().and_then(order), b.as_ref().and_then(order)) {
                (Some(x), Some(y)) => {
                    let ok = match direction {
                        Direction::NonDecreasing => y >= x,
                        Direction::NonIncreasing => y <= x,
                    };
                    if ok {
                        Ok(true)
                    } else {
                        Err(format!(
                            "raising the fact by {delta} moved the decision from {} to {}",
                            shown(policy, *decision, a.as_ref()),
                            shown(policy, *decision, b.as_ref())
                        ))
                    }
                }
                _ => Ok(false),
            }
        }
        Check::DependsOnly { decision, keep } => {
            let h = with_facts_from(g, f, keep);
            let (a, b) = (
                outcome_value(&eval(f), *decision)?,
                outcome_value(&eval(&h), *decision)?,
            );
            if a == b {
                Ok(a.is_some())
            } else {
                Err(format!(
                    "two records that agree on the listed facts got {} and {}",
                    shown(policy, *decision, a.as_ref()),
                    shown(policy, *decision, b.as_ref())
                ))
            }
        }
    }
}

/// The facts objects to show for a counterexample.
fn counter_inputs(check: &Check, f: &Facts, g: &Facts, delta: i64) -> Vec<Facts> {
    match check {
        Check::Expr { .. } => vec![f.clone()],
        Check::Monotone { fact, .. } => vec![grown(f, *fact, 0), grown(f, *fact, delta)],
        Check::DependsOnly { keep, .. } => vec![f.clone(), with_facts_from(g, f, keep)],
    }
}

/// A test case (YAML, indented for a `cases:` list) pinning what the policy decides now.
fn paste_case(policy: &Policy, property: &str, facts: &Facts, as_of: Date) -> String {
    let input = rulebook::__private::to_json_text(&policy.meta().input, facts);
    let outcome = match policy.evaluate(facts, as_of) {
        Ok(o) => {
            // a report is strings, numbers, bools and maps: always a Value
            let out = serde_json::to_value(policy.report(&o, as_of)).unwrap_or_default();
            let mut lines = vec!["    expect:".to_string()];
            // in source order
            for d in &policy.meta().decisions {
                if d.name != PROPERTY_DECISION {
                    let value = &out["decisions"][&d.name]["value"];
                    lines.push(format!("      {}: {value}", d.name));
                }
            }
            lines.join("\n")
        }
        Err(e) => format!("    error: {}", serde_json::Value::String(e.to_string())),
    };
    format!(
        "  - name: \"counterexample to: {}\"\n    as_of: {as_of}\n    input: {input}\n{outcome}\n",
        property.replace('"', "'")
    )
}

/// Evaluation dates for properties: today and the policy's own boundary
/// dates (and the day before each), keeping only dates on which every
/// effective-dated param has a value.
fn in_force_dates(policy: &Policy) -> BoxedStrategy<i32> {
    let earliest = program(policy)
        .map(|p| {
            p.params
                .iter()
                .filter_map(|param| param.values.first().and_then(|(from, _)| *from))
                .max()
                // no dated param: any date
                .unwrap_or(i32::MIN)
        })
        // a module without its source: no param dates known
        .unwrap_or(i32::MIN);
    let mut dates = FactsConfig::for_policy(policy).dates;
    dates.extend(dates.clone().iter().map(|d| d - 1));
    dates.push(Date::today().0);
    dates.retain(|d| *d >= earliest);
    dates.sort_unstable();
    dates.dedup();
    proptest::sample::select(dates).boxed()
}
