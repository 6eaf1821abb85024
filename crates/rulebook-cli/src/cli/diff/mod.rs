//! `rulebook diff OLD NEW [--cases FILE]` (LANGUAGE.md section 12): what
//! changed between two versions of a policy (the core's static diff) and,
//! over a file of cases or a decision log, what the change does to real
//! cases: each decision's change count, transitions, money deltas, errors
//! per side and examples. The cases run over the batch pipeline: every
//! core, streaming, results merged in input order.

mod html;

use super::batch::{self, Chunk, Reader};
use rulebook::{BatchResults, Date, Facts, Impact, Policy};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value as Json};
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

/// A worker's buffers for the cases of one chunk, kept from chunk to chunk.
#[derive(Default)]
struct Cases {
    /// The chunk's cases in line order.
    cases: Vec<Case>,
    /// The cases by date: each date's facts are evaluated in one call.
    groups: Vec<Group>,
    /// Which group holds each date.
    by_date: std::collections::HashMap<Date, usize>,
    /// Groups of earlier chunks, their buffers kept for the next dates.
    spare: Vec<Group>,
}

/// One case: its line, and where its facts and results are.
struct Case {
    line: u64,
    group: usize,
    at: usize,
    /// Whether each version accepted the facts.
    old_ok: bool,
    new_ok: bool,
}

/// The cases of one date: their facts as each version read them (the new
/// version's only when its inputs differ from the old one's) and results.
struct Group {
    as_of: Date,
    used: usize,
    old: Vec<Facts>,
    new: Vec<Facts>,
    old_results: BatchResults,
    new_results: BatchResults,
}

impl Cases {
    /// Forgets the cases and dates of the last chunk, keeping the buffers.
    fn clear(&mut self) {
        self.cases.clear();
        self.by_date.clear();
        self.spare.append(&mut self.groups);
    }

    /// The facts to fill for the next case of `as_of`: (group, index).
    fn next(&mut self, as_of: Date, both: bool) -> (usize, usize) {
        let (groups, spare) = (&mut self.groups, &mut self.spare);
        let g = *self.by_date.entry(as_of).or_insert_with(|| {
            let mut group = spare.pop().unwrap_or_else(|| Group {
                as_of,
                used: 0,
                old: Vec::new(),
                new: Vec::new(),
                old_results: BatchResults::default(),
                new_results: BatchResults::default(),
            });
            group.as_of = as_of;
            group.used = 0;
            groups.push(group);
            groups.len() - 1
        });
        let Some(group) = self.groups.get_mut(g) else {
            return (g, 0);
        };
        let at = group.used;
        group.used += 1;
        if group.old.len() <= at {
            group.old.resize_with(at + 1, Facts::default);
        }
        if both && group.new.len() <= at {
            group.new.resize_with(at + 1, Facts::default);
        }
        (g, at)
    }
}

/// The impact of one chunk of the cases file: each case's facts read
/// (once when both versions have the same inputs), the cases of each date
/// evaluated in one call per version, and then tallied in line order.
fn chunk_impact(
    old: &Policy,
    new: &Policy,
    default_as_of: Date,
    chunk: &Chunk,
    buf: &mut Cases,
) -> Impact {
    let mut imp = Impact::new(old, new);
    let shared = old.meta().input == new.meta().input;
    buf.clear();
    for (line, text) in chunk.lines() {
        let case: CaseLine =
            match text.and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string())) {
                Ok(c) => c,
                Err(e) => {
                    imp.not_a_case(line, format!("not a case: {e}"));
                    continue;
                }
            };
        let facts = match (case.input, case.facts) {
            (Some(i), _) => i,
            (None, Some(f)) => {
                // a decision log entry of another policy is not this one's case
                if case.policy.as_deref().is_some_and(|p| p != old.name()) {
                    imp.skip();
                    continue;
                }
                f
            }
            (None, None) => {
                imp.not_a_case(
                    line,
                    "a case has `input` (or, in a decision log, `facts`)".into(),
                );
                continue;
            }
        };
        let as_of = match &case.as_of {
            None => default_as_of,
            Some(s) => match Date::parse(s) {
                Ok(d) => d,
                Err(_) => {
                    imp.not_a_case(line, format!("as_of {s:?} is not a date YYYY-MM-DD"));
                    continue;
                }
            },
        };
        let (g, at) = buf.next(as_of, !shared);
        let Some(group) = buf.groups.get_mut(g) else {
            continue;
        };
        let text = facts.get();
        let old_ok = match group.old.get_mut(at) {
            Some(f) => old.parse_facts_into(text, f).is_ok(),
            None => false,
        };
        let new_ok = match (shared, group.new.get_mut(at)) {
            (true, _) => old_ok,
            (false, Some(f)) => new.parse_facts_into(text, f).is_ok(),
            (false, None) => false,
        };
        buf.cases.push(Case {
            line,
            group: g,
            at,
            old_ok,
            new_ok,
        });
    }
    for g in &mut buf.groups {
        let olds = g.old.get(..g.used).unwrap_or_default();
        let news = if shared {
            olds
        } else {
            g.new.get(..g.used).unwrap_or_default()
        };
        old.evaluate_batch_into(olds, g.as_of, &mut g.old_results);
        new.evaluate_batch_into(news, g.as_of, &mut g.new_results);
    }
    for case in &buf.cases {
        let Some(g) = buf.groups.get(case.group) else {
            continue;
        };
        fn side(ok: bool, results: &BatchResults, at: usize) -> Option<rulebook::RecordView<'_>> {
            results.get(at).filter(|_| ok).and_then(Result::ok)
        }
        let a = side(case.old_ok, &g.old_results, case.at);
        let b = side(case.new_ok, &g.new_results, case.at);
        let line = case.line;
        imp.compare(old, new, a.as_ref(), b.as_ref(), || {
            Map::from_iter([("line".to_string(), json!(line))])
        });
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
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut total = Impact::new(old, new);
    batch::pipeline::run(
        reader,
        jobs,
        Cases::default,
        |buf, chunk| chunk_impact(old, new, as_of, chunk, buf),
        |imp, _| {
            total.merge(imp);
            Ok(())
        },
    )?;
    for (line, why) in total.unreadable() {
        eprintln!("warning: {}: line {line}: {why}", cases.display());
    }
    Ok(total.to_json())
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
