//! The static part of `rulebook diff` (LANGUAGE.md section 12): what
//! changed between two versions of a policy, read from their checked
//! programs. Inputs added, removed or retyped; params whose values differ
//! on some date, with the dates; clauses added, removed or changed, matched
//! by their position in their decision; decisions added, removed or
//! retyped. The impact on cases is tallied by [`impact`], case by case
//! (the command line feeds it a cases file over the batch path, the
//! service its shadowed requests).

pub mod impact;

use crate::abi::value_type;
use crate::explain::value_json;
use crate::num;
use crate::outcome::Value;
use crate::policy::Policy;
use crate::program::{Body, Clause, Const, ParamDef, Program, Type};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

/// Why two policies cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error("{0} was loaded from a compiled module; diff needs both .rules sources")]
pub struct NoSource(pub String);

/// The static differences between `old` and `new`, as section 12's
/// `static` object.
pub fn static_diff(old: &Policy, new: &Policy) -> Result<Json, NoSource> {
    let a = old
        .program()
        .ok_or_else(|| NoSource(old.path().to_string()))?;
    let b = new
        .program()
        .ok_or_else(|| NoSource(new.path().to_string()))?;
    Ok(json!({
        "inputs": inputs(a, b),
        "params": params(a, b),
        "clauses": clauses(old, a, new, b),
        "decisions": decisions(a, b),
    }))
}

fn type_text(t: &Type) -> String {
    value_type(t).rules_text()
}

fn inputs(a: &Program, b: &Program) -> Json {
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for f in &b.schema.fields {
        match a.schema.fields.iter().find(|g| g.name == f.name) {
            None => added.push(json!({"name": f.name, "type": type_text(&f.ty)})),
            Some(g) if type_text(&g.ty) != type_text(&f.ty) => changed.push(json!({
                "name": f.name, "old": type_text(&g.ty), "new": type_text(&f.ty)
            })),
            Some(_) => {}
        }
    }
    for g in &a.schema.fields {
        if !b.schema.fields.iter().any(|f| f.name == g.name) {
            removed.push(json!({"name": g.name, "type": type_text(&g.ty)}));
        }
    }
    json!({"added": added, "removed": removed, "changed": changed})
}

/// A param's value in force on `day` (None: before its first date).
fn in_force(p: &ParamDef, day: Option<i32>) -> Option<Json> {
    let (_, c) = p.values.iter().rev().find(|(from, _)| match (from, day) {
        (None, _) => true,
        (Some(f), Some(d)) => *f <= d,
        (Some(_), None) => false,
    })?;
    let v = match c {
        Const::Bool(b) => Value::Bool(*b),
        Const::Num(n) => Value::Num(*n),
        Const::Text(t) => Value::Text(t.to_string()),
    };
    Some(value_json(&p.ty, &v))
}

fn params(a: &Program, b: &Program) -> Vec<Json> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = b.params.iter().map(|p| p.name.as_str()).collect();
    for p in &a.params {
        if !names.contains(&p.name.as_str()) {
            names.push(&p.name);
        }
    }
    for name in names {
        let (old, new) = (
            a.params.iter().find(|p| p.name == name),
            b.params.iter().find(|p| p.name == name),
        );
        let (old, new) = match (old, new) {
            (None, Some(_)) => {
                out.push(json!({"name": name, "change": "added"}));
                continue;
            }
            (Some(_), None) => {
                out.push(json!({"name": name, "change": "removed"}));
                continue;
            }
            (Some(o), Some(n)) => (o, n),
            (None, None) => continue,
        };
        if type_text(&old.ty) != type_text(&new.ty) {
            out.push(json!({
                "name": name, "change": "retyped",
                "old": type_text(&old.ty), "new": type_text(&new.ty)
            }));
            continue;
        }
        // every date on which either version's value may change, and
        // before the first of them
        let mut days: BTreeSet<Option<i32>> = BTreeSet::new();
        days.insert(None);
        for (from, _) in old.values.iter().chain(&new.values) {
            if let Some(f) = from {
                days.insert(Some(*f));
            }
        }
        let mut dates = Vec::new();
        for day in days {
            let (x, y) = (in_force(old, day), in_force(new, day));
            if x != y {
                dates.push(json!({
                    "from": day.map(num::format_date),
                    "old": x.unwrap_or(Json::Null),
                    "new": y.unwrap_or(Json::Null),
                }));
            }
        }
        if !dates.is_empty() {
            out.push(json!({"name": name, "change": "values", "dates": dates}));
        }
    }
    out
}

/// A clause as compared: its kind, condition, value, reason, source and dates.
fn clause_key(
    p: &Policy,
    c: &Clause,
) -> (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<i32>,
) {
    let value = c
        .value
        .as_ref()
        .and_then(|v| p.source_text().get(v.span.start..v.span.end))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    (
        c.text.clone(),
        value,
        c.because.clone(),
        c.source.clone(),
        c.from,
        c.until,
    )
}

fn clause_json(p: &Policy, c: &Clause) -> Json {
    let (cond, value, because, source, from, until) = clause_key(p, c);
    json!({
        "line": c.line,
        "condition": if c.cond.is_some() { Json::String(cond) } else { Json::Null },
        "value": if value.is_empty() { Json::Null } else { Json::String(value) },
        "because": because,
        "source": source,
        "from": from.map(num::format_date),
        "until": until.map(num::format_date),
    })
}

fn clauses(old: &Policy, a: &Program, new: &Policy, b: &Program) -> Vec<Json> {
    let mut out = Vec::new();
    for d in &b.decisions {
        let Some(e) = a.decisions.iter().find(|e| e.name == d.name) else {
            continue;
        };
        let list = |body: &Body| -> Vec<Clause> {
            match body {
                Body::Expr(_) => Vec::new(),
                Body::Requires(cs) | Body::Whens(cs) => cs.clone(),
            }
        };
        let (xs, ys) = (list(&e.body), list(&d.body));
        for k in 0..xs.len().max(ys.len()) {
            match (xs.get(k), ys.get(k)) {
                (Some(x), Some(y)) => {
                    if clause_key(old, x) != clause_key(new, y) {
                        out.push(json!({
                            "decision": d.name, "position": k + 1, "change": "changed",
                            "old": clause_json(old, x), "new": clause_json(new, y),
                        }));
                    }
                }
                (None, Some(y)) => out.push(json!({
                    "decision": d.name, "position": k + 1, "change": "added",
                    "new": clause_json(new, y),
                })),
                (Some(x), None) => out.push(json!({
                    "decision": d.name, "position": k + 1, "change": "removed",
                    "old": clause_json(old, x),
                })),
                (None, None) => {}
            }
        }
    }
    out
}

fn decisions(a: &Program, b: &Program) -> Vec<Json> {
    let mut out = Vec::new();
    for d in &b.decisions {
        match a.decisions.iter().find(|e| e.name == d.name) {
            None => out.push(json!({"name": d.name, "change": "added", "type": type_text(&d.ty)})),
            Some(e) if type_text(&e.ty) != type_text(&d.ty) => out.push(json!({
                "name": d.name, "change": "retyped",
                "old": type_text(&e.ty), "new": type_text(&d.ty)
            })),
            Some(_) => {}
        }
    }
    for e in &a.decisions {
        if !b.decisions.iter().any(|d| d.name == e.name) {
            out.push(json!({"name": e.name, "change": "removed", "type": type_text(&e.ty)}));
        }
    }
    out
}
