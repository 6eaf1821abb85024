//! benches/benchmark.rules in peer engines, beside Rulebook and the native
//! baseline, on the same 1,000 records, in one criterion run
//! (docs/performance.md, "Peer engines").
//!
//! ```sh
//! cd peers && CARGO_TARGET_DIR=/work/peers-target taskset -c 1 \
//!   cargo bench --bench peers -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The peers: Rego (regorus, its tree-walking interpreter and its RVM
//! bytecode VM), CEL (cel, formerly cel-interpreter) and a GoRules ZEN
//! decision graph of decision tables (zen-engine). Their policies are in
//! peers/policies/. Before measuring, every engine's decisions (eligible,
//! route and the failed requirements' reasons) are checked against
//! `native::decide` on every record, through every measured path: a wrong
//! answer stops the run.
//!
//! Cases (per decision = per record, `Throughput::Elements`):
//! - `b_json`: one facts JSON text in, the decision out, for each of 1,000
//!   texts. Rulebook: `evaluate_json_text` (decisions JSON text out, reasons
//!   included), exactly as case b of benches/engine.rs. Native: the same
//!   serde_json `Value` baseline as there. Peers: the engine's own input value
//!   from the text, one evaluation, eligible, route and reasons read out.
//! - `prepared`: the evaluation alone, the input already in the engine's own
//!   value (and `native::decide` on the structs, for scale).

// A benchmark fails loudly: a wrong answer must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The native baseline and the records of benches/engine.rs, shared with it.
#[path = "../../crates/rulebook/benches/engine/data.rs"]
mod data;
#[path = "../../crates/rulebook/benches/engine/measure.rs"]
mod measure;
#[path = "../../crates/rulebook/benches/engine/native.rs"]
mod native;

use criterion::{Criterion, Throughput};
use data::{applicants, facts_json, facts_json_with, money_text, report_header, Rng};
use native::{Applicant, Decision, ReportHeader, REASONS, ROUTES};
use rulebook::{Date, Policy};
use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

const SOURCE: &str = include_str!("../../crates/rulebook/benches/benchmark.rules");
const REGO: &str = include_str!("../policies/benchmark.rego");
const CEL: &str = include_str!("../policies/benchmark.cel");
const JDM: &str = include_str!("../policies/benchmark.jdm.json");
const RECORDS: usize = 1_000;
/// The Rego rule the host evaluates.
const REGO_RULE: &str = "data.benchmark.decision";

/// A decision as a peer returns it, in native's terms: the route and the
/// failed requirements as indices into `ROUTES` and `REASONS` (kept inline,
/// as native keeps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Got {
    eligible: bool,
    route: u8,
    len: u8,
    reasons: [u8; 6],
}

impl Got {
    fn of(d: &Decision) -> Got {
        let mut g = Got {
            eligible: d.eligible,
            route: d.route,
            ..Got::default()
        };
        for &r in d.reasons.as_slice() {
            g.reasons[g.len as usize] = r;
            g.len += 1;
        }
        g
    }
    fn route(&mut self, route: &str) {
        self.route = ROUTES
            .iter()
            .position(|r| *r == route)
            .unwrap_or_else(|| panic!("unknown route {route:?}")) as u8;
    }
    fn reason(&mut self, because: &str) {
        let i = REASONS
            .iter()
            .position(|r| *r == because)
            .unwrap_or_else(|| panic!("unknown reason {because:?}"));
        self.reasons[self.len as usize] = i as u8;
        self.len += 1;
    }
    /// Something of the decision for the measured loops to return.
    fn weight(&self) -> usize {
        usize::from(self.eligible) + self.route as usize + self.len as usize
    }
}

/// The facts JSON text with money as JSON numbers of pounds (`1234.56`)
/// instead of Rulebook's strings (`"1234.56"`), for the peers, none of which
/// has a money type: the same applicant, the same digits.
fn facts_json_numbers(a: &Applicant) -> String {
    facts_json_with(a, |pence| {
        serde_json::Value::Number(money_text(pence).parse().unwrap())
    })
}

// ---- Rego (regorus) ------------------------------------------------------

/// The keys of the decision object, made once.
struct RegoKeys {
    eligible: regorus::Value,
    route: regorus::Value,
    reasons: regorus::Value,
}

impl RegoKeys {
    fn new() -> RegoKeys {
        RegoKeys {
            eligible: regorus::Value::from("eligible"),
            route: regorus::Value::from("route"),
            reasons: regorus::Value::from("reasons"),
        }
    }
    fn read(&self, v: &regorus::Value) -> Got {
        let mut g = Got {
            eligible: *v[&self.eligible].as_bool().unwrap(),
            ..Got::default()
        };
        g.route(v[&self.route].as_string().unwrap());
        for r in v[&self.reasons].as_array().unwrap().iter() {
            g.reason(r.as_string().unwrap());
        }
        g
    }
}

/// An interpreter with the policy loaded: `set_input` then `eval_rule` per
/// decision.
fn rego_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("benchmark.rego".into(), REGO.into())
        .unwrap();
    engine
}

fn rego_eval(engine: &mut regorus::Engine, keys: &RegoKeys, input: regorus::Value) -> Got {
    engine.set_input(input);
    keys.read(&engine.eval_rule(REGO_RULE.to_string()).unwrap())
}

/// The same policy compiled to regorus's RVM (Rego virtual machine) program.
fn rego_vm() -> regorus::rvm::RegoVM {
    let mut engine = rego_engine();
    let compiled = engine.compile_with_entrypoint(&REGO_RULE.into()).unwrap();
    let program =
        regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &[REGO_RULE])
            .unwrap();
    let mut vm = regorus::rvm::RegoVM::new();
    vm.load_program(program);
    vm
}

fn rego_vm_eval(vm: &mut regorus::rvm::RegoVM, keys: &RegoKeys, input: regorus::Value) -> Got {
    vm.set_input(input);
    keys.read(&vm.execute().unwrap())
}

// ---- CEL (cel) -----------------------------------------------------------

/// The named expressions of peers/policies/benchmark.cel, compiled, in order.
struct CelPolicy {
    env: Arc<cel::Env>,
    steps: Vec<(String, cel::Program)>,
}

impl CelPolicy {
    fn new() -> CelPolicy {
        let mut env = cel::Env::stdlib();
        env.add_extension(cel::extensions::math).unwrap();
        let mut defs: Vec<(String, String)> = Vec::new();
        for line in CEL.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("let ") {
                let name = rest.trim().strip_suffix('=').expect("let NAME =").trim();
                defs.push((name.to_string(), String::new()));
            } else if let Some((_, expr)) = defs.last_mut() {
                expr.push_str(line);
                expr.push('\n');
            }
        }
        let steps = defs
            .into_iter()
            .map(|(name, expr)| {
                let program = env
                    .compile(&expr)
                    .unwrap_or_else(|e| panic!("CEL {name}: {e:?}"));
                (name, program)
            })
            .collect();
        CelPolicy {
            env: Arc::new(env),
            steps,
        }
    }

    /// A root context of the policy's environment, with `facts` bound.
    fn context(&self, facts: cel::Value) -> cel::Context<'static, 'static> {
        let mut ctx = cel::Context::with_env(self.env.clone());
        ctx.add_variable_from_value("facts", facts);
        ctx
    }

    /// Evaluates the named expressions in order in a scope of `ctx` (which
    /// holds `facts`), binding each result for the next, and reads the
    /// decision.
    fn decide(&self, ctx: &cel::Context<'_, '_>) -> Got {
        let mut scope = ctx.new_inner_scope();
        let mut got = Got::default();
        for (name, program) in &self.steps {
            let value = program.execute(&scope).unwrap();
            match name.as_str() {
                "reasons" => {
                    let cel::Value::List(reasons) = &value else {
                        panic!("reasons: {value:?}")
                    };
                    for r in reasons.iter() {
                        let cel::Value::String(r) = r else {
                            panic!("reason: {r:?}")
                        };
                        got.reason(r);
                    }
                }
                "eligible" => {
                    let cel::Value::Bool(b) = value else {
                        panic!("eligible: {value:?}")
                    };
                    got.eligible = b;
                }
                "route" => {
                    let cel::Value::String(r) = &value else {
                        panic!("route: {value:?}")
                    };
                    got.route(r);
                }
                _ => {}
            }
            scope.add_variable_from_value(name.as_str(), value);
        }
        got
    }
}

/// A JSON value as a CEL value. (cel's serde path, `cel::to_value`, would see
/// serde_json's `arbitrary_precision` number wrapper, a feature Rulebook turns
/// on for the whole build: so the conversion is by hand.)
fn cel_value(v: &serde_json::Value) -> cel::Value {
    use serde_json::Value as J;
    match v {
        J::Null => cel::Value::Null,
        J::Bool(b) => cel::Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            (None, None) => cel::Value::Float(n.as_f64().unwrap()),
        },
        J::String(s) => cel::Value::String(Arc::new(s.clone())),
        J::Array(a) => cel::Value::List(Arc::new(a.iter().map(cel_value).collect())),
        J::Object(o) => {
            let map: HashMap<cel::objects::Key, cel::Value> = o
                .iter()
                .map(|(k, v)| (cel::objects::Key::from(k.as_str()), cel_value(v)))
                .collect();
            cel::Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

fn cel_facts(text: &str) -> cel::Value {
    cel_value(&serde_json::from_str(text).unwrap())
}

// ---- ZEN (zen-engine) ----------------------------------------------------

/// The decision graph of peers/policies/benchmark.jdm.json, precompiled.
fn zen_decision() -> zen_engine::Decision {
    let content: zen_engine::model::GraphContent = serde_json::from_str(JDM).unwrap();
    let mut decision = zen_engine::Decision::from(content);
    decision.validate().unwrap();
    decision.compile();
    decision
}

fn zen_eval(decision: &zen_engine::Decision, input: zen_engine::Variable) -> Got {
    let response = pollster::block_on(decision.evaluate(input)).unwrap();
    let out = response.result;
    let mut g = Got {
        eligible: out.dot("eligible").and_then(|v| v.as_bool()).unwrap(),
        ..Got::default()
    };
    g.route(out.dot("route").unwrap().as_str().unwrap());
    let reasons = out.dot("reasons").unwrap().as_array().unwrap();
    for r in reasons.borrow().iter() {
        g.reason(r.dot("because").unwrap().as_str().unwrap());
    }
    g
}

fn zen_input(text: &str) -> zen_engine::Variable {
    serde_json::from_str(text).unwrap()
}

// ---- The cases -----------------------------------------------------------

struct Data {
    policy: Policy,
    as_of: Date,
    people: Vec<Applicant>,
    /// Rulebook's facts texts (money as strings), as in benches/engine.rs.
    texts: Vec<String>,
    /// The same facts with money as JSON numbers, for the peers.
    numbers: Vec<String>,
    header: ReportHeader,
}

/// One measured routine over all records.
struct Case<'a> {
    group: &'static str,
    id: &'static str,
    run: Box<dyn FnMut() -> usize + 'a>,
}

impl Case<'_> {
    fn name(&self) -> String {
        format!("{}/{}", self.group, self.id)
    }
}

fn case<'a>(group: &'static str, id: &'static str, run: impl FnMut() -> usize + 'a) -> Case<'a> {
    Case {
        group,
        id,
        run: Box::new(run),
    }
}

fn cases(d: &Data) -> Vec<Case<'_>> {
    let (policy, as_of) = (&d.policy, d.as_of);
    let keys = Rc::new(RegoKeys::new());
    let cel = Rc::new(CelPolicy::new());
    let zen = Rc::new(zen_decision());
    let rego_inputs: Vec<regorus::Value> = d
        .numbers
        .iter()
        .map(|t| regorus::Value::from_json_str(t).unwrap())
        .collect();
    let cel_contexts: Vec<cel::Context<'static, 'static>> = d
        .numbers
        .iter()
        .map(|t| cel.context(cel_facts(t)))
        .collect();
    let zen_inputs: Vec<zen_engine::Variable> = d.numbers.iter().map(|t| zen_input(t)).collect();
    vec![
        // (b) one facts JSON text in, the decision out.
        case("b_json", "native_serde_json_value", move || {
            black_box(&d.texts)
                .iter()
                .map(|t| native::decide_json(&d.header, t).unwrap())
                .map(|s| s.len())
                .sum()
        }),
        case("b_json", "native_serde_json_value_numbers", move || {
            black_box(&d.numbers)
                .iter()
                .map(|t| native::decide_json(&d.header, t).unwrap())
                .map(|s| s.len())
                .sum()
        }),
        case("b_json", "rulebook_evaluate_json_text", move || {
            black_box(&d.texts)
                .iter()
                .map(|t| policy.evaluate_json_text(t, as_of).unwrap())
                .map(|s| s.len())
                .sum()
        }),
        case("b_json", "rego_regorus_interpreter", {
            let mut engine = rego_engine();
            let keys = keys.clone();
            move || {
                black_box(&d.numbers)
                    .iter()
                    .map(|t| {
                        let input = regorus::Value::from_json_str(t).unwrap();
                        rego_eval(&mut engine, &keys, input).weight()
                    })
                    .sum()
            }
        }),
        case("b_json", "rego_regorus_rvm", {
            let mut vm = rego_vm();
            let keys = keys.clone();
            move || {
                black_box(&d.numbers)
                    .iter()
                    .map(|t| {
                        let input = regorus::Value::from_json_str(t).unwrap();
                        rego_vm_eval(&mut vm, &keys, input).weight()
                    })
                    .sum()
            }
        }),
        case("b_json", "cel", {
            let cel = cel.clone();
            move || {
                // One root context of the environment; each decision binds
                // its facts in a scope of it.
                let root = cel::Context::with_env(cel.env.clone());
                black_box(&d.numbers)
                    .iter()
                    .map(|t| {
                        let mut scope = root.new_inner_scope();
                        scope.add_variable_from_value("facts", cel_facts(t));
                        cel.decide(&scope).weight()
                    })
                    .sum()
            }
        }),
        case("b_json", "zen_decision_tables", {
            let zen = zen.clone();
            move || {
                black_box(&d.numbers)
                    .iter()
                    .map(|t| zen_eval(&zen, zen_input(t)).weight())
                    .sum()
            }
        }),
        // The evaluation alone: the input already in the engine's value.
        case("prepared", "native_decide_structs", move || {
            black_box(&d.people)
                .iter()
                .map(|a| Got::of(&native::decide(a)).weight())
                .sum()
        }),
        case("prepared", "rego_regorus_interpreter", {
            let mut engine = rego_engine();
            let keys = keys.clone();
            let inputs = rego_inputs.clone();
            move || {
                black_box(&inputs)
                    .iter()
                    .map(|i| rego_eval(&mut engine, &keys, i.clone()).weight())
                    .sum()
            }
        }),
        case("prepared", "rego_regorus_rvm", {
            let mut vm = rego_vm();
            let keys = keys.clone();
            move || {
                black_box(&rego_inputs)
                    .iter()
                    .map(|i| rego_vm_eval(&mut vm, &keys, i.clone()).weight())
                    .sum()
            }
        }),
        case("prepared", "cel", {
            let cel = cel.clone();
            move || {
                black_box(&cel_contexts)
                    .iter()
                    .map(|ctx| cel.decide(ctx).weight())
                    .sum()
            }
        }),
        case("prepared", "zen_decision_tables", move || {
            black_box(&zen_inputs)
                .iter()
                .map(|i| zen_eval(&zen, i.clone()).weight())
                .sum()
        }),
    ]
}

/// Every engine, through every measured path, decides every record as
/// native does; Rulebook's and native's JSON texts are the same bytes.
fn sanity_check(d: &Data) {
    let keys = RegoKeys::new();
    let mut engine = rego_engine();
    let mut vm = rego_vm();
    let cel = CelPolicy::new();
    let root = cel::Context::with_env(cel.env.clone());
    let zen = zen_decision();
    for (i, a) in d.people.iter().enumerate() {
        let want = Got::of(&native::decide(a));
        let (text, numbers) = (&d.texts[i], &d.numbers[i]);
        // Both texts hold the same facts.
        assert_eq!(native::applicant_from_json(text).as_ref(), Some(a));
        assert_eq!(native::applicant_from_json(numbers).as_ref(), Some(a));
        let native_text = native::decide_json(&d.header, text).unwrap();
        assert_eq!(
            native::decide_json(&d.header, numbers).unwrap(),
            native_text,
            "record {i}: native on the numbers text"
        );
        assert_eq!(
            d.policy.evaluate_json_text(text, d.as_of).unwrap(),
            native_text,
            "record {i} ({a:?}): Rulebook's evaluate_json_text differs"
        );
        let rego_input = || regorus::Value::from_json_str(numbers).unwrap();
        let mut cel_scope = root.new_inner_scope();
        cel_scope.add_variable_from_value("facts", cel_facts(numbers));
        let zen_prepared = zen_input(numbers);
        for (peer, got) in [
            (
                "Rego interpreter",
                rego_eval(&mut engine, &keys, rego_input()),
            ),
            ("Rego RVM", rego_vm_eval(&mut vm, &keys, rego_input())),
            ("CEL", cel.decide(&cel_scope)),
            (
                "CEL, prepared",
                cel.decide(&cel.context(cel_facts(numbers))),
            ),
            ("ZEN", zen_eval(&zen, zen_input(numbers))),
            // Twice on one input value: an evaluation leaves it as it was.
            ("ZEN, prepared", zen_eval(&zen, zen_prepared.clone())),
            ("ZEN, prepared again", zen_eval(&zen, zen_prepared.clone())),
        ] {
            assert_eq!(got, want, "record {i} ({a:?}): {peer} differs from native");
        }
    }
    println!(
        "sanity check: Rulebook, Rego (interpreter and RVM), CEL and ZEN agree with native on all {} records (eligible, route, reasons in order)",
        d.people.len()
    );
}

/// The tables of docs/performance.md ("Peer engines"), from `ns(case)` per
/// call: ns per decision, and the ratio to each native baseline.
fn print_tables(title: &str, ns: &dyn Fn(&str) -> Option<f64>) {
    println!("\n{title}");
    let per = |id: &str| ns(id).map(|ns| ns / RECORDS as f64);
    let ratio = |e: Option<f64>, base: &str| match (e, per(base)) {
        (Some(e), Some(b)) => format!("{:.2}x", e / b),
        _ => String::new(),
    };
    println!("| case | ns/decision | ratio to native (b), JSON text | ratio to native::decide, structs |");
    println!("| --- | ---: | ---: | ---: |");
    for (label, id) in [
        (
            "(b) native, serde_json `Value` (the baseline)",
            "b_json/native_serde_json_value",
        ),
        (
            "(b) native, the same on the money-as-numbers text",
            "b_json/native_serde_json_value_numbers",
        ),
        (
            "(b) Rulebook `evaluate_json_text` (decisions JSON text out)",
            "b_json/rulebook_evaluate_json_text",
        ),
        (
            "(b) Rego, regorus interpreter",
            "b_json/rego_regorus_interpreter",
        ),
        ("(b) Rego, regorus RVM", "b_json/rego_regorus_rvm"),
        ("(b) CEL, cel", "b_json/cel"),
        (
            "(b) ZEN decision tables, zen-engine",
            "b_json/zen_decision_tables",
        ),
        (
            "prepared: native::decide on structs",
            "prepared/native_decide_structs",
        ),
        (
            "prepared: Rego, regorus interpreter",
            "prepared/rego_regorus_interpreter",
        ),
        ("prepared: Rego, regorus RVM", "prepared/rego_regorus_rvm"),
        ("prepared: CEL, cel", "prepared/cel"),
        (
            "prepared: ZEN decision tables, zen-engine",
            "prepared/zen_decision_tables",
        ),
    ] {
        let e = per(id);
        match e {
            Some(ns) => println!(
                "| {label} | {ns:.0} | {} | {} |",
                ratio(e, "b_json/native_serde_json_value"),
                if id.starts_with("prepared/") {
                    ratio(e, "prepared/native_decide_structs")
                } else {
                    String::new()
                }
            ),
            None => println!("| {label} | (not measured) | | |"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test --benches` does not.
    let measuring = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a == "--profile-time");

    let as_of = Date::parse("2026-11-27").unwrap();
    // loaded now (with the shared runtime made on the way), so that no
    // case below pays for it
    let policy = Policy::from_source("benchmark.rules", SOURCE).unwrap();
    policy.load().unwrap();
    let people = applicants(&mut Rng(2026), RECORDS);
    let texts: Vec<String> = people.iter().map(facts_json).collect();
    let numbers: Vec<String> = people.iter().map(facts_json_numbers).collect();
    let header = report_header(&policy, as_of);
    let data = Data {
        policy,
        as_of,
        people,
        texts,
        numbers,
        header,
    };
    sanity_check(&data);

    let mut cases = cases(&data);
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0;
    while i < cases.len() {
        let group = cases[i].group;
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(RECORDS as u64));
        while i < cases.len() && cases[i].group == group {
            let case = &mut cases[i];
            g.bench_function(case.id, |b| b.iter(|| (case.run)()));
            i += 1;
        }
        g.finish();
    }
    c.final_summary();

    if measuring {
        print_tables(
            "summary: criterion's estimates (wall time; per decision = per record)",
            &measure::criterion_ns,
        );
        let cpu: Vec<(String, Option<f64>)> = cases
            .iter_mut()
            .map(|case| {
                let ns = measure::cpu_ns_per_call(&mut *case.run, Duration::from_secs(2));
                (case.name(), ns)
            })
            .collect();
        print_tables(
            "summary: thread CPU time (from /proc/thread-self/schedstat, 2 s per case)",
            &|id| cpu.iter().find(|(n, _)| n == id).and_then(|(_, ns)| *ns),
        );
    }
}
