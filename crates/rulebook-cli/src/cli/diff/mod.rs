//! `rulebook diff OLD NEW [--cases FILE]` (LANGUAGE.md section 12): what
//! changed between two versions of a policy (the core's static diff) and,
//! over a file of cases or a decision log, what the change does to real
//! cases: each decision's change count, transitions, money deltas, errors
//! per side and examples. The cases run over the batch pipeline: every
//! core, streaming, results merged in input order.

mod html;

use super::batch::{self, Chunk, Reader};
use rulebook::meta::ValueType;
use rulebook::{Date, Outcome, Policy, TypedValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// How `diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// One self-contained page: the figures as tables and charts.
    Html,
}

/// Most changed cases kept as examples.
const EXAMPLES: usize = 20;

pub struct Options<'a> {
    pub old: &'a Path,
    pub new: &'a Path,
    pub cases: Option<&'a Path>,
    pub as_of: Option<&'a str>,
    pub format: Format,
    pub jobs: Option<usize>,
}

pub fn run(o: &Options) -> ExitCode {
    let as_of = match super::as_of_or_today(o.as_of) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let (old, new) = match (
        super::load(Some(o.old), None),
        super::load(Some(o.new), None),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let statics = match rulebook::static_diff(&old, &new) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = json!({ "static": statics });
    if let Some(cases) = o.cases {
        match impact(&old, &new, cases, as_of, o.jobs) {
            Ok(i) => {
                out["impact"] = i;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match o.format {
        Format::Json => super::print_json(&out, false),
        Format::Html => {
            print!("{}", html::page(&old, &new, &out));
            ExitCode::SUCCESS
        }
        Format::Text => {
            print!("{}", text(&old, &new, &out));
            ExitCode::SUCCESS
        }
    }
}

/// One line of the cases file: a case (`input`, optional `as_of`) or a
/// decision log entry (`facts`, `as_of`, `policy`).
#[derive(Deserialize)]
struct CaseLine<'a> {
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    facts: Option<&'a RawValue>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    policy: Option<String>,
}

/// What one decision did over the cases.
#[derive(Default, Clone)]
struct DecisionImpact {
    changed: u64,
    transitions: BTreeMap<String, u64>,
    delta: i128,
    increased: u64,
    decreased: u64,
    /// Cases by the size of their change (see `bucket`).
    buckets: BTreeMap<i32, u64>,
}

/// The bucket of a change of `d` units: 0 for none, else its sign times
/// 1 + the floor of log2 of its size (1: one unit, 2: two or three, ...).
fn bucket(d: i128) -> i32 {
    if d == 0 {
        return 0;
    }
    let size = d.unsigned_abs();
    let b = 128 - size.leading_zeros() as i32;
    if d < 0 {
        -b
    } else {
        b
    }
}

/// The impact of a run of cases (one chunk, or all of them merged).
#[derive(Default)]
struct Impact {
    cases: u64,
    skipped: u64,
    unreadable: Vec<(u64, String)>,
    errors_old: u64,
    errors_new: u64,
    decisions: Vec<DecisionImpact>,
    examples: Vec<Json>,
}

impl Impact {
    fn add(&mut self, other: Impact) {
        self.cases += other.cases;
        self.skipped += other.skipped;
        self.errors_old += other.errors_old;
        self.errors_new += other.errors_new;
        self.unreadable.extend(other.unreadable);
        if self.decisions.len() < other.decisions.len() {
            self.decisions
                .resize(other.decisions.len(), DecisionImpact::default());
        }
        for (a, b) in self.decisions.iter_mut().zip(other.decisions) {
            a.changed += b.changed;
            a.delta += b.delta;
            a.increased += b.increased;
            a.decreased += b.decreased;
            for (k, v) in b.buckets {
                *a.buckets.entry(k).or_default() += v;
            }
            for (k, v) in b.transitions {
                *a.transitions.entry(k).or_default() += v;
            }
        }
        for e in other.examples {
            if self.examples.len() < EXAMPLES {
                self.examples.push(e);
            }
        }
    }
}

/// Every decision compared: the new version's, then those only the old has.
fn decision_names(
    old: &Policy,
    new: &Policy,
) -> Vec<(String, Option<usize>, Option<usize>, ValueType)> {
    let (a, b) = (&old.meta().decisions, &new.meta().decisions);
    let mut out: Vec<_> = b
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let i = a.iter().position(|e| e.name == d.name);
            (d.name.clone(), i, Some(j), d.ty.clone())
        })
        .collect();
    for (i, e) in a.iter().enumerate() {
        if !b.iter().any(|d| d.name == e.name) {
            out.push((e.name.clone(), Some(i), None, e.ty.clone()));
        }
    }
    out
}

/// Decision `index` of an outcome with its type in `policy`; None when
/// there is no outcome (an error) or no such decision.
fn decided<'o>(
    o: Option<&'o Outcome>,
    index: Option<usize>,
    policy: &'o Policy,
) -> Option<(&'o rulebook::DecisionOutcome, &'o ValueType)> {
    let i = index?;
    Some((o?.decisions.get(i)?, &policy.meta().decisions.get(i)?.ty))
}

/// A decision's value as its JSON (null when unknown or absent).
fn value_of(d: Option<(&rulebook::DecisionOutcome, &ValueType)>) -> Json {
    match d {
        Some((o, ty)) => o
            .value
            .as_ref()
            .map_or(Json::Null, |v| TypedValue::new(ty, v.as_ref()).to_value()),
        None => Json::Null,
    }
}

/// Whether a decision has the same value on both sides, without writing
/// either as JSON (an enum by its variant's name: the versions may order
/// them differently).
fn same(
    x: Option<(&rulebook::DecisionOutcome, &ValueType)>,
    y: Option<(&rulebook::DecisionOutcome, &ValueType)>,
) -> bool {
    let ((x, tx), (y, ty)) = match (x, y) {
        (None, None) => return true,
        (Some(x), Some(y)) => (x, y),
        _ => return false,
    };
    match (&x.value, &y.value, tx, ty) {
        (None, None, _, _) => true,
        (
            Some(rulebook::Value::Num(m)),
            Some(rulebook::Value::Num(n)),
            ValueType::Enum { variants: va },
            ValueType::Enum { variants: vb },
        ) => {
            let name =
                |v: &Vec<String>, k: &i64| usize::try_from(*k).ok().and_then(|k| v.get(k).cloned());
            name(va, m) == name(vb, n)
        }
        (Some(p), Some(q), tx, ty) if tx == ty => p == q,
        _ => false,
    }
}

/// The change of an amount known on both sides with one number type
/// (pence, units or millionths), else None.
fn amount_change(
    x: Option<(&rulebook::DecisionOutcome, &ValueType)>,
    y: Option<(&rulebook::DecisionOutcome, &ValueType)>,
) -> Option<i128> {
    let ((x, tx), (y, ty)) = (x?, y?);
    if tx != ty || !matches!(tx, ValueType::Money | ValueType::Decimal | ValueType::Int) {
        return None;
    }
    match (&x.value, &y.value) {
        (Some(rulebook::Value::Num(p)), Some(rulebook::Value::Num(q))) => {
            Some(i128::from(*q) - i128::from(*p))
        }
        _ => None,
    }
}

/// An exact whole number: a JSON number where it fits 64 bits, else its
/// digits as a string (a sum of many ints can pass the int range).
fn int_json(n: i128) -> Json {
    match i64::try_from(n) {
        Ok(n) => json!(n),
        Err(_) => json!(n.to_string()),
    }
}

fn chunk_impact(
    old: &Policy,
    new: &Policy,
    names: &[(String, Option<usize>, Option<usize>, ValueType)],
    default_as_of: Date,
    chunk: &Chunk,
) -> Impact {
    let mut imp = Impact {
        decisions: vec![DecisionImpact::default(); names.len()],
        ..Impact::default()
    };
    for (line, text) in chunk.lines() {
        let case: CaseLine =
            match text.and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string())) {
                Ok(c) => c,
                Err(e) => {
                    imp.unreadable.push((line, format!("not a case: {e}")));
                    continue;
                }
            };
        let facts = match (case.input, case.facts) {
            (Some(i), _) => i,
            (None, Some(f)) => {
                // a decision log entry of another policy is not this one's case
                if case.policy.as_deref().is_some_and(|p| p != old.name()) {
                    imp.skipped += 1;
                    continue;
                }
                f
            }
            (None, None) => {
                imp.unreadable.push((
                    line,
                    "a case has `input` (or, in a decision log, `facts`)".into(),
                ));
                continue;
            }
        };
        let as_of = match &case.as_of {
            None => default_as_of,
            Some(s) => match Date::parse(s) {
                Ok(d) => d,
                Err(_) => {
                    imp.unreadable
                        .push((line, format!("as_of {s:?} is not a date YYYY-MM-DD")));
                    continue;
                }
            },
        };
        imp.cases += 1;
        let run = |p: &Policy| -> Option<Outcome> {
            let f = p.parse_facts(facts.get()).ok()?;
            p.evaluate(&f, as_of).ok()
        };
        let (a, b) = (run(old), run(new));
        imp.errors_old += u64::from(a.is_none());
        imp.errors_new += u64::from(b.is_none());
        for (k, (name, i, j, _)) in names.iter().enumerate() {
            let (dx, dy) = (decided(a.as_ref(), *i, old), decided(b.as_ref(), *j, new));
            if same(dx, dy) {
                continue;
            }
            let (x, y) = (value_of(dx), value_of(dy));
            if x == y {
                continue;
            }
            let Some(di) = imp.decisions.get_mut(k) else {
                continue;
            };
            di.changed += 1;
            match amount_change(dx, dy) {
                Some(change) => {
                    di.delta += change;
                    *di.buckets.entry(bucket(change)).or_default() += 1;
                    if change > 0 {
                        di.increased += 1;
                    } else {
                        di.decreased += 1;
                    }
                }
                None => {
                    *di.transitions.entry(format!("{x}->{y}")).or_default() += 1;
                }
            }
            if imp.examples.len() < EXAMPLES {
                imp.examples
                    .push(json!({"line": line, "decision": name, "old": x, "new": y}));
            }
        }
    }
    imp
}

fn impact(
    old: &Policy,
    new: &Policy,
    cases: &Path,
    as_of: Date,
    jobs: Option<usize>,
) -> Result<Json, String> {
    let file = std::fs::File::open(cases).map_err(|e| format!("{}: {e}", cases.display()))?;
    let reader = Reader::new(batch::Format::Jsonl, file, old)
        .map_err(|e| format!("{}: {e}", cases.display()))?;
    let names = decision_names(old, new);
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut total = Impact {
        decisions: vec![DecisionImpact::default(); names.len()],
        ..Impact::default()
    };
    batch::pipeline::run(
        reader,
        jobs,
        || (),
        |_, chunk| chunk_impact(old, new, &names, as_of, chunk),
        |imp, _| {
            total.add(imp);
            Ok(())
        },
    )?;
    for (line, why) in &total.unreadable {
        eprintln!("warning: {}: line {line}: {why}", cases.display());
    }
    let mut decisions = Map::new();
    for ((name, _, _, ty), d) in names.iter().zip(&total.decisions) {
        let mut o = Map::new();
        o.insert("changed".into(), json!(d.changed));
        if matches!(ty, ValueType::Money | ValueType::Decimal | ValueType::Int) {
            let scale = match ty {
                ValueType::Money => 100,
                ValueType::Decimal => 1_000_000,
                _ => 1,
            };
            let delta = if scale == 1 {
                int_json(d.delta)
            } else {
                json!(batch::format_scaled(d.delta, scale))
            };
            o.insert("total_delta".into(), delta);
            o.insert("increased".into(), json!(d.increased));
            o.insert("decreased".into(), json!(d.decreased));
            // the changes by size, for the page's histogram
            let unit = |n: i128| -> Json {
                if scale == 1 {
                    int_json(n)
                } else {
                    json!(batch::format_scaled(n, scale))
                }
            };
            let histogram: Vec<Json> = d
                .buckets
                .iter()
                .map(|(&b, &count)| {
                    let low: i128 = 1 << (b.unsigned_abs().saturating_sub(1).min(120));
                    let high: i128 = (low << 1) - 1;
                    let (from, to) = if b < 0 { (-high, -low) } else { (low, high) };
                    json!({"from": unit(from), "to": unit(to), "count": count})
                })
                .collect();
            o.insert("delta_histogram".into(), json!(histogram));
        }
        if !d.transitions.is_empty()
            || !matches!(ty, ValueType::Money | ValueType::Decimal | ValueType::Int)
        {
            o.insert("transitions".into(), json!(d.transitions));
        }
        decisions.insert(name.clone(), Json::Object(o));
    }
    let mut out = json!({
        "cases": total.cases,
        "errors": {"old": total.errors_old, "new": total.errors_new},
        "decisions": decisions,
        "examples": total.examples,
    });
    if total.skipped > 0 {
        out["skipped"] = json!(total.skipped);
    }
    if !total.unreadable.is_empty() {
        out["unreadable"] = json!(total.unreadable.len());
    }
    Ok(out)
}

/// One clause as written: `cond`, `cond -> value` or `otherwise -> value`.
fn clause_text(side: &Json) -> String {
    let cond = side["condition"].as_str().unwrap_or("otherwise");
    match side["value"].as_str() {
        Some(v) => format!("{cond} -> {v}"),
        None => cond.to_string(),
    }
}

/// What a static clause entry did: the clause, or its old and new forms.
pub(super) fn clause_change(c: &Json) -> String {
    match (c["old"].is_null(), c["new"].is_null()) {
        (false, false) => format!("{}  =>  {}", clause_text(&c["old"]), clause_text(&c["new"])),
        (true, _) => clause_text(&c["new"]),
        (false, true) => clause_text(&c["old"]),
    }
}

/// The diff as text for a reviewer.
fn text(old: &Policy, new: &Policy, d: &Json) -> String {
    use std::fmt::Write;
    let mut s = format!("{} -> {}\n", old.path(), new.path());
    let st = &d["static"];
    let list = |v: &Json| v.as_array().cloned().unwrap_or_default();
    for (what, key) in [("input added", "added"), ("input removed", "removed")] {
        for i in list(&st["inputs"][key]) {
            let _ = writeln!(
                s,
                "  {what}: {} ({})",
                i["name"].as_str().unwrap_or(""),
                i["type"].as_str().unwrap_or("")
            );
        }
    }
    for i in list(&st["inputs"]["changed"]) {
        let _ = writeln!(
            s,
            "  input retyped: {}: {} -> {}",
            i["name"].as_str().unwrap_or(""),
            i["old"].as_str().unwrap_or(""),
            i["new"].as_str().unwrap_or("")
        );
    }
    for p in list(&st["params"]) {
        let name = p["name"].as_str().unwrap_or("");
        match p["change"].as_str() {
            Some("values") => {
                for v in list(&p["dates"]) {
                    let from = v["from"]
                        .as_str()
                        .map_or("always".to_string(), |f| format!("from {f}"));
                    let _ = writeln!(s, "  param {name} {from}: {} -> {}", v["old"], v["new"]);
                }
            }
            Some(c) => {
                let _ = writeln!(s, "  param {name}: {c}");
            }
            None => {}
        }
    }
    for c in list(&st["clauses"]) {
        let side = if c["new"].is_null() {
            &c["old"]
        } else {
            &c["new"]
        };
        let _ = writeln!(
            s,
            "  clause {} of {} {} (line {}): {}",
            c["position"],
            c["decision"].as_str().unwrap_or(""),
            c["change"].as_str().unwrap_or(""),
            side["line"],
            clause_change(&c),
        );
    }
    for x in list(&st["decisions"]) {
        let _ = writeln!(
            s,
            "  decision {}: {}",
            x["name"].as_str().unwrap_or(""),
            x["change"].as_str().unwrap_or("")
        );
    }
    if let Some(imp) = d.get("impact") {
        let _ = writeln!(
            s,
            "\n{} cases; errors: {} old, {} new",
            imp["cases"], imp["errors"]["old"], imp["errors"]["new"]
        );
        if let Some(ds) = imp["decisions"].as_object() {
            for (name, v) in ds {
                let _ = write!(s, "  {name}: {} changed", v["changed"]);
                if let Some(t) = v.get("total_delta") {
                    let _ = write!(
                        s,
                        ", total {} ({} up, {} down)",
                        t, v["increased"], v["decreased"]
                    );
                }
                if let Some(tr) = v["transitions"].as_object() {
                    for (k, n) in tr {
                        let _ = write!(s, ", {k} {n}");
                    }
                }
                s.push('\n');
            }
        }
        for e in list(&imp["examples"]) {
            let _ = writeln!(
                s,
                "  line {}: {} {} -> {}",
                e["line"],
                e["decision"].as_str().unwrap_or(""),
                e["old"],
                e["new"]
            );
        }
    }
    s
}
