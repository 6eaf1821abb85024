//! Report: an [`Outcome`] -> the decisions JSON of LANGUAGE.md section 6
//! (values formatted by declared type, reasons with citations, lines, and the
//! `missing` lists in declaration order). It reads only the module metadata,
//! so it serves every engine and modules loaded without their source.

use crate::abi::{DecisionKind, Meta, ValueType};
use crate::num;
use crate::outcome::{Outcome, Value};
use serde_json::{json, Map, Value as Json};

/// Formats a known value of a declared type as JSON.
pub fn value_json(ty: &ValueType, v: &Value) -> Json {
    match (ty, v) {
        (_, Value::Bool(b)) => Json::Bool(*b),
        (ValueType::Decimal, Value::Num(n)) => Json::String(num::format_decimal(*n)),
        (ValueType::Money, Value::Num(n)) => Json::String(num::format_money(*n)),
        (ValueType::Date, Value::Num(n)) => {
            Json::String(num::format_date(i32::try_from(*n).unwrap_or_default()))
        }
        (ValueType::Enum { variants }, Value::Num(n)) => Json::String(
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
pub fn to_json(meta: &Meta, as_of: i32, outcome: &Outcome) -> Json {
    let mut decisions = Map::new();
    let mut all_missing: Vec<usize> = Vec::new();
    for (def, o) in meta.decisions.iter().zip(&outcome.decisions) {
        let mut obj = Map::new();
        match &o.value {
            None => {
                obj.insert("value".into(), Json::Null);
                obj.insert("missing".into(), paths(meta, &o.missing));
                all_missing.extend(&o.missing);
            }
            Some(v) => {
                obj.insert("value".into(), value_json(&def.ty, v));
                match def.kind {
                    DecisionKind::Requires if !o.reasons.is_empty() => {
                        let reasons: Vec<Json> = o
                            .reasons
                            .iter()
                            .filter_map(|&i| def.clauses.get(i))
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
                    DecisionKind::Whens => {
                        if let Some(c) = o.clause.and_then(|i| def.clauses.get(i)) {
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
    out.insert("policy".into(), Json::String(meta.policy.clone()));
    out.insert(
        "version".into(),
        meta.version.clone().map_or(Json::Null, Json::String),
    );
    out.insert("hash".into(), Json::String(meta.hash.clone()));
    out.insert("as_of".into(), Json::String(num::format_date(as_of)));
    out.insert("decisions".into(), Json::Object(decisions));
    out.insert("missing".into(), paths(meta, &all_missing));
    Json::Object(out)
}

fn paths(meta: &Meta, facts: &[usize]) -> Json {
    Json::Array(
        facts
            .iter()
            .filter_map(|&f| meta.fact_paths.get(f))
            .map(|p| Json::String(p.clone()))
            .collect(),
    )
}
