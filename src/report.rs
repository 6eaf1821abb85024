//! Report: an [`Outcome`] -> the decisions JSON of LANGUAGE.md section 6
//! (values formatted by declared type, reasons with citations, lines, and the
//! `missing` lists in declaration order).

use crate::num;
use crate::outcome::{Outcome, Value};
use crate::program::{Body, Program, Type};
use serde_json::{json, Map, Value as Json};

/// Formats a known value of a declared type as JSON.
pub fn value_json(ty: &Type, v: &Value) -> Json {
    match (ty, v) {
        (_, Value::Bool(b)) => Json::Bool(*b),
        (Type::Decimal, Value::Num(n)) => Json::String(num::format_decimal(*n)),
        (Type::Money, Value::Num(n)) => Json::String(num::format_money(*n)),
        (Type::Date, Value::Num(n)) => Json::String(num::format_date(*n as i32)),
        (Type::Enum(variants), Value::Num(n)) => Json::String(
            usize::try_from(*n)
                .ok()
                .and_then(|i| variants.get(i))
                .cloned()
                .unwrap_or_default(),
        ),
        (_, Value::Num(n)) => Json::from(*n),
        (_, Value::Text(t)) => Json::String(t.clone()),
    }
}

/// The full output object for one evaluation.
pub fn to_json(program: &Program, hash: &str, as_of: i32, outcome: &Outcome) -> Json {
    let mut decisions = Map::new();
    let mut all_missing: Vec<usize> = Vec::new();
    for (def, o) in program.decisions.iter().zip(&outcome.decisions) {
        let mut obj = Map::new();
        match &o.value {
            None => {
                obj.insert("value".into(), Json::Null);
                obj.insert("missing".into(), paths(program, &o.missing));
                all_missing.extend(&o.missing);
            }
            Some(v) => {
                obj.insert("value".into(), value_json(&def.ty, v));
                match &def.body {
                    Body::Requires(clauses) if !o.reasons.is_empty() => {
                        let reasons: Vec<Json> = o
                            .reasons
                            .iter()
                            .filter_map(|&i| clauses.get(i))
                            .map(|c| {
                                let mut r = Map::new();
                                r.insert("because".into(), Json::String(c.reason().to_string()));
                                if let Some(s) = &c.source {
                                    r.insert("source".into(), Json::String(s.clone()));
                                }
                                r.insert("line".into(), json!(c.line));
                                Json::Object(r)
                            })
                            .collect();
                        obj.insert("reasons".into(), Json::Array(reasons));
                    }
                    Body::Whens(clauses) => {
                        if let Some(c) = o.clause.and_then(|i| clauses.get(i)) {
                            obj.insert("line".into(), json!(c.line));
                        }
                    }
                    _ => {}
                }
            }
        }
        decisions.insert(def.name.clone(), Json::Object(obj));
    }
    all_missing.sort_unstable();
    all_missing.dedup();
    let mut out = Map::new();
    out.insert("policy".into(), Json::String(program.name.clone()));
    out.insert(
        "version".into(),
        program.version.clone().map_or(Json::Null, Json::String),
    );
    out.insert("hash".into(), Json::String(hash.to_string()));
    out.insert("as_of".into(), Json::String(num::format_date(as_of)));
    out.insert("decisions".into(), Json::Object(decisions));
    out.insert("missing".into(), paths(program, &all_missing));
    Json::Object(out)
}

fn paths(program: &Program, facts: &[usize]) -> Json {
    Json::Array(
        facts
            .iter()
            .filter_map(|&f| program.schema.fact_paths.get(f))
            .map(|p| Json::String(p.clone()))
            .collect(),
    )
}
