//! The figures of docs/interview.md: on generated people for the shipped
//! policies (alone, and pension credit with council tax reduction
//! together), the mean number of questions asked by
//!
//! - Rulebook's chooser (`Interview::next`, default look-ahead budget);
//! - declaration order (the first fact still needed, as the policies list them);
//! - a greedy questioner: the fact whose possible answers would decide the
//!   most undecided decisions, on average over those answers;
//! - the floor: the smallest set of the person's facts that decides every
//!   decision as all the facts do (brute force over subsets).
//!
//! Every interview is also checked to end with the decisions all the facts
//! give. Run with `cargo run --release -p rulebook --example interview_figures`
//! (optional arguments: people per policy set, default 200; the look-ahead
//! budget, default `DEFAULT_BUDGET`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::meta::ValueType;
use rulebook::{Date, Engine, Interview, Policy};
use serde_json::{json, Map, Value};
use std::time::Instant;

/// A small deterministic generator (xorshift64*), so the figures repeat.
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
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const AS_OF: &str = "2026-11-27";

/// A value for a fact of type `t` named `name`, spread around the
/// thresholds such policies use (ages, weekly and yearly amounts).
fn value(rng: &mut Rng, name: &str, t: &ValueType) -> Value {
    match t {
        ValueType::Bool => json!(rng.chance(
            if name.contains("immigration") || name.contains("terminally") {
                15
            } else {
                60
            }
        )),
        ValueType::Int => json!(rng.below(90)),
        ValueType::Decimal => json!(format!("{}.{}", rng.below(3), rng.below(10))),
        ValueType::Money => {
            let pounds = if name.contains("capital") || name.contains("overpayment") {
                [0, 2_000, 9_000, 12_000, 15_000, 30_000][rng.below(6) as usize] + rng.below(1_000)
            } else if name.contains("annual") {
                1_000 + rng.below(2_000)
            } else if name.contains("monthly") {
                rng.below(800)
            } else if name.contains("earnings") {
                if rng.chance(70) {
                    0
                } else {
                    rng.below(300)
                }
            } else {
                100 + rng.below(300)
            };
            json!(format!("{pounds}.{:02}", rng.below(100)))
        }
        ValueType::Date => {
            let (years, days) = if name.contains("birth") {
                (15 + rng.below(80), rng.below(365))
            } else {
                (0, rng.below(500))
            };
            let as_of: Date = AS_OF.parse().unwrap();
            let days_back = years * 365 + years / 4 + days;
            json!(Date(as_of.0 - days_back as i32).to_string())
        }
        ValueType::Text => {
            let texts = [
                "UC-4471203",
                "TC-1181",
                "UC-2290-MP",
                "BT1 1AA",
                "LS6 2QD",
                "CF10 1AA",
            ];
            json!(texts[rng.below(texts.len() as u64) as usize])
        }
        ValueType::Enum { variants } => json!(variants[rng.below(variants.len() as u64) as usize]),
        ValueType::List { element } => {
            let n = rng.below(3);
            Value::Array(
                (0..n)
                    .map(|_| {
                        let mut m = Map::new();
                        for f in &element.fields {
                            m.insert(f.name.clone(), value(rng, &f.name, &f.ty));
                        }
                        Value::Object(m)
                    })
                    .collect(),
            )
        }
    }
}

/// One generated person: every fact of every policy (a fact read through
/// `known()` is left out now and then: "none").
fn person(rng: &mut Rng, policies: &[Policy]) -> Map<String, Value> {
    let mut m = Map::new();
    for p in policies {
        for f in &p.meta().input.fields {
            if m.contains_key(&f.name) {
                continue;
            }
            let optional = f.name.contains("occupational") || f.name == "claimant_date_of_birth";
            if optional && rng.chance(40) {
                continue;
            }
            m.insert(f.name.clone(), value(rng, &f.name, &f.ty));
        }
    }
    m
}

/// Every policy's decisions on `facts` (values only), None on an evaluation error.
fn decisions(policies: &[Policy], facts: &Map<String, Value>) -> Option<Vec<Value>> {
    let as_of: Date = AS_OF.parse().unwrap();
    let text = Value::Object(facts.clone()).to_string();
    let mut out = Vec::new();
    for p in policies {
        let f = p.parse_facts(&text).ok()?;
        let o = p.evaluate_with(Engine::Interpreter, &f, as_of).ok()?;
        let r = serde_json::to_value(p.report(&o, as_of)).ok()?;
        for (_, d) in r["decisions"].as_object()? {
            out.push(d["value"].clone());
        }
    }
    Some(out)
}

/// How a questioner picks among the facts `next` offers.
#[derive(Clone, Copy, PartialEq)]
enum Questioner {
    Chooser,
    Declaration,
    Greedy,
}

/// Candidate answers for the greedy questioner's scoring.
fn samples(t: &ValueType) -> Vec<Value> {
    match t {
        ValueType::Bool => vec![json!(true), json!(false)],
        ValueType::Enum { variants } => variants.iter().map(|v| json!(v)).collect(),
        ValueType::Money => ["0", "50", "150", "250", "400", "1000", "12000", "20000"]
            .iter()
            .map(|v| json!(v))
            .collect(),
        ValueType::Int => vec![json!(0), json!(17), json!(18), json!(66), json!(67)],
        ValueType::Date => [
            "1940-01-01",
            "1955-06-01",
            "1962-01-01",
            "1990-01-01",
            "2010-01-01",
            "2026-11-01",
            "2025-09-01",
        ]
        .iter()
        .map(|v| json!(v))
        .collect(),
        ValueType::Text => ["UC-1", "TC-1", "UC-1-MP", "BT1 1AA", "LS6 2QD"]
            .iter()
            .map(|v| json!(v))
            .collect(),
        ValueType::List { .. } => vec![json!([])],
        ValueType::Decimal => vec![json!("0"), json!("1")],
    }
}

fn type_of(policies: &[Policy], name: &str) -> ValueType {
    policies
        .iter()
        .flat_map(|p| p.meta().input.fields.iter())
        .find(|f| f.name == name)
        .map(|f| f.ty.clone())
        .unwrap()
}

fn decided(values: &[Value]) -> usize {
    values.iter().filter(|v| !v.is_null()).count()
}

/// Runs one interview; returns the questions asked and whether it ended
/// with the decisions all the facts give.
fn interview(
    iv: &Interview,
    how: Questioner,
    who: &Map<String, Value>,
    truth: &[Value],
) -> (usize, bool) {
    let as_of: Date = AS_OF.parse().unwrap();
    let policies = iv.policies();
    let mut facts = Map::new();
    let mut asked = 0;
    loop {
        let next = iv
            .next(&Value::Object(facts.clone()).to_string(), as_of)
            .unwrap();
        if next.next.is_none() {
            let end = decisions(policies, &facts).unwrap();
            return (asked, end == truth);
        }
        let fact = match how {
            Questioner::Chooser => next.remaining[0].clone(),
            Questioner::Declaration => iv
                .questions()
                .map(|q| q.fact.clone())
                .find(|f| next.remaining.contains(f))
                .unwrap(),
            Questioner::Greedy => {
                let now = decisions(policies, &facts).unwrap();
                let base = decided(&now);
                let mut best = (f64::MIN, String::new());
                for q in iv.questions() {
                    if !next.remaining.contains(&q.fact) {
                        continue;
                    }
                    let answers = samples(&type_of(policies, &q.fact));
                    let mut total = 0.0;
                    for a in &answers {
                        let mut f = facts.clone();
                        f.insert(q.fact.clone(), a.clone());
                        total += decisions(policies, &f)
                            .map_or(0, |d| decided(&d).saturating_sub(base))
                            as f64;
                    }
                    let score = total / answers.len() as f64;
                    if score > best.0 {
                        best = (score, q.fact.clone());
                    }
                }
                best.1
            }
        };
        facts.insert(fact.clone(), who.get(&fact).cloned().unwrap_or(Value::Null));
        asked += 1;
    }
}

/// The fewest of the person's facts that decide everything as all of them do.
fn floor(policies: &[Policy], who: &Map<String, Value>, truth: &[Value]) -> usize {
    let names: Vec<&String> = who.keys().collect();
    let n = names.len();
    for size in 0..=n {
        let mut pick: Vec<usize> = (0..size).collect();
        loop {
            let mut facts = Map::new();
            for &i in &pick {
                facts.insert(names[i].clone(), who[names[i]].clone());
            }
            if decisions(policies, &facts).as_deref() == Some(truth) {
                return size;
            }
            // the next combination of `size` out of `n`
            let mut i = size;
            let mut advanced = false;
            while i > 0 {
                i -= 1;
                if pick[i] < n - size + i {
                    pick[i] += 1;
                    for j in i + 1..size {
                        pick[j] = pick[j - 1] + 1;
                    }
                    advanced = true;
                    break;
                }
            }
            if !advanced {
                break;
            }
        }
    }
    n
}

fn main() {
    let people: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let budget: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(rulebook::DEFAULT_BUDGET);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    let load = |n: &str| Policy::from_file(format!("{root}{n}.rules")).unwrap();
    let sets: Vec<(&str, Vec<Policy>, usize)> = vec![
        ("pension_credit", vec![load("pension_credit")], people),
        (
            "council_tax_reduction",
            vec![load("council_tax_reduction")],
            people,
        ),
        ("casework_routing", vec![load("casework_routing")], people),
        (
            "pension_credit + council_tax_reduction",
            vec![load("pension_credit"), load("council_tax_reduction")],
            people / 4,
        ),
    ];
    println!(
        "| policies | people | chooser | greedy | declaration order | floor | ms/next, interpreter | ms/next, module loaded |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (label, policies, count) in sets {
        let iv = Interview::new(policies.clone())
            .unwrap()
            .with_budget(budget);
        let mut sums = [0usize; 4];
        let mut next_calls = 0usize;
        let mut next_time = 0.0f64;
        let mut wrong = 0;
        let mut done = 0;
        let mut people_asked = Vec::new();
        while done < count {
            let who = person(&mut rng, &policies);
            let Some(truth) = decisions(&policies, &who) else {
                continue; // an evaluation error (a param not in force): not a case
            };
            done += 1;
            people_asked.push((who.clone(), truth.clone()));
            for (k, how) in [
                Questioner::Chooser,
                Questioner::Greedy,
                Questioner::Declaration,
            ]
            .into_iter()
            .enumerate()
            {
                let start = Instant::now();
                let (asked, right) = interview(&iv, how, &who, &truth);
                if how == Questioner::Chooser {
                    next_time += start.elapsed().as_secs_f64() * 1000.0;
                    next_calls += asked + 1;
                }
                sums[k] += asked;
                if !right {
                    wrong += 1;
                }
            }
            sums[3] += floor(&policies, &who, &truth);
        }
        // the same interviews again with every module loaded, as in a
        // service: the chooser's hypothetical evaluations then run in Wasm
        for p in &policies {
            p.load().unwrap();
        }
        let start = Instant::now();
        let mut loaded_calls = 0usize;
        for (who, truth) in &people_asked {
            let (asked, right) = interview(&iv, Questioner::Chooser, who, truth);
            loaded_calls += asked + 1;
            assert!(right, "{label}: the loaded module decided otherwise");
        }
        let loaded_time = start.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(
            loaded_calls, next_calls,
            "{label}: the chooser asked otherwise with the module loaded"
        );
        let mean = |s: usize| s as f64 / count as f64;
        println!(
            "| {label} | {count} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} |",
            mean(sums[0]),
            mean(sums[1]),
            mean(sums[2]),
            mean(sums[3]),
            next_time / next_calls.max(1) as f64,
            loaded_time / loaded_calls.max(1) as f64
        );
        assert_eq!(
            wrong, 0,
            "{label}: an interview ended with other decisions than all the facts give"
        );
    }
}
