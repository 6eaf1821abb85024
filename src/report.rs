//! Report: an [`Outcome`] -> the decisions JSON (the contract's section 6;
//! docs/language.md section 17)
//! (values formatted by declared type, reasons with citations, lines, and the
//! `missing` lists in declaration order). It reads only the module metadata,
//! so it serves every engine and modules loaded without their source.

use crate::abi::{DecisionKind, Meta, ValueType};
use crate::num;
use crate::outcome::{Outcome, Value};
use serde_json::Value as Json;
use std::fmt::Write as _;

/// Writes a JSON string literal.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a known value of a declared type as JSON.
fn push_value(out: &mut String, ty: &ValueType, v: &Value) {
    match (ty, v) {
        (_, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (ValueType::Decimal, Value::Num(n)) => push_str(out, &num::format_decimal(*n)),
        (ValueType::Money, Value::Num(n)) => push_str(out, &num::format_money(*n)),
        (ValueType::Date, Value::Num(n)) => push_str(
            out,
            &num::format_date(i32::try_from(*n).unwrap_or_default()),
        ),
        (ValueType::Enum { variants }, Value::Num(n)) => push_str(
            out,
            usize::try_from(*n)
                .ok()
                .and_then(|i| variants.get(i))
                .map_or("", String::as_str),
        ),
        (_, Value::Num(n)) => {
            let _ = write!(out, "{n}");
        }
        (_, Value::Text(t)) => push_str(out, t),
    }
}

fn push_paths(out: &mut String, meta: &Meta, facts: &[usize]) {
    out.push('[');
    let mut first = true;
    for p in facts.iter().filter_map(|&f| meta.fact_paths.get(f)) {
        if !first {
            out.push(',');
        }
        first = false;
        push_str(out, p);
    }
    out.push(']');
}

/// Writes the output object of one evaluation as compact JSON text.
pub fn write_json(out: &mut String, meta: &Meta, as_of: i32, outcome: &Outcome) {
    let mut all_missing: Vec<usize> = Vec::new();
    out.push_str("{\"policy\":");
    push_str(out, &meta.policy);
    out.push_str(",\"version\":");
    match &meta.version {
        Some(v) => push_str(out, v),
        None => out.push_str("null"),
    }
    out.push_str(",\"hash\":");
    push_str(out, &meta.hash);
    out.push_str(",\"as_of\":");
    push_str(out, &num::format_date(as_of));
    out.push_str(",\"decisions\":{");
    for (i, (def, o)) in meta.decisions.iter().zip(&outcome.decisions).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, &def.name);
        out.push_str(":{\"value\":");
        match &o.value {
            None => {
                out.push_str("null,\"missing\":");
                push_paths(out, meta, &o.missing);
                all_missing.extend(&o.missing);
            }
            Some(v) => {
                push_value(out, &def.ty, v);
                match def.kind {
                    DecisionKind::Requires if !o.reasons.is_empty() => {
                        out.push_str(",\"reasons\":[");
                        let clauses = o.reasons.iter().filter_map(|&i| def.clauses.get(i));
                        for (j, c) in clauses.enumerate() {
                            if j > 0 {
                                out.push(',');
                            }
                            out.push_str("{\"because\":");
                            push_str(out, c.reason());
                            if let Some(s) = &c.source {
                                out.push_str(",\"source\":");
                                push_str(out, s);
                            }
                            let _ = write!(out, ",\"line\":{}}}", c.line);
                        }
                        out.push(']');
                    }
                    DecisionKind::Whens => {
                        if let Some(c) = o.clause.and_then(|i| def.clauses.get(i)) {
                            let _ = write!(out, ",\"line\":{}", c.line);
                        }
                    }
                    _ => {}
                }
            }
        }
        out.push('}');
    }
    all_missing.sort_unstable();
    all_missing.dedup();
    out.push_str("},\"missing\":");
    push_paths(out, meta, &all_missing);
    out.push('}');
}

/// The output object of one evaluation as compact JSON text.
pub fn to_json_text(meta: &Meta, as_of: i32, outcome: &Outcome) -> String {
    let mut out = String::with_capacity(256);
    write_json(&mut out, meta, as_of, outcome);
    out
}

/// The output object of one evaluation as a JSON value.
pub fn to_json(meta: &Meta, as_of: i32, outcome: &Outcome) -> Json {
    serde_json::from_str(&to_json_text(meta, as_of, outcome)).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::push_str;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn strings_are_escaped_to_valid_json(s in "\\PC*|[\\x00-\\x1f\"\\\\]{0,8}") {
            let mut out = String::new();
            push_str(&mut out, &s);
            let back: String = serde_json::from_str(&out).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
