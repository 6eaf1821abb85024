//! Facts in: a JSON object checked against a policy's input schema
//! (LANGUAGE.md section 6) into typed slots. Absent and `null` values are
//! unknown; a value of the wrong type is an [`InputError`] naming the field
//! path, the value and what was expected.

use crate::num;
use crate::program::{Record, RecordField, Schema, Type};
use serde_json::Value as Json;
use std::sync::Arc;

/// One known fact value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactValue {
    Bool(bool),
    /// int, decimal (scaled by 10^6), money (pence), date (days since 1970-01-01), enum (variant index).
    Num(i64),
    Text(Arc<str>),
    /// The elements of a list, each a record of optional values.
    List(Vec<Vec<Option<FactValue>>>),
}

/// The facts of one record: one optional value per top-level input field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub values: Vec<Option<FactValue>>,
}

/// What is wrong with one input value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// `age`, `children[1].age`, or empty for the whole object.
    pub path: String,
    /// The offending value as JSON text (shortened when long).
    pub value: String,
    pub expected: String,
}

/// The facts do not fit the policy's input schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.problems))]
pub struct InputError {
    pub problems: Vec<FieldProblem>,
}

fn render(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            if p.path.is_empty() {
                format!("input error: expected {}, got {}", p.expected, p.value)
            } else {
                format!(
                    "input error at {}: expected {}, got {}",
                    p.path, p.expected, p.value
                )
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl InputError {
    fn one(path: &str, value: &str, expected: impl Into<String>) -> Self {
        InputError {
            problems: vec![FieldProblem {
                path: path.to_string(),
                value: value.to_string(),
                expected: expected.into(),
            }],
        }
    }
}

/// Parses facts from JSON text.
pub fn from_json_str(schema: &Schema, text: &str) -> Result<Facts, InputError> {
    let json: Json = serde_json::from_str(text).map_err(|e| {
        InputError::one(
            "",
            &format!("text that is not valid JSON ({e})"),
            "a JSON object of facts",
        )
    })?;
    from_json(schema, &json)
}

/// Checks a JSON value against the schema.
pub fn from_json(schema: &Schema, json: &Json) -> Result<Facts, InputError> {
    let Json::Object(map) = json else {
        return Err(InputError::one("", &show(json), "a JSON object of facts"));
    };
    let mut problems = Vec::new();
    let values = record(&schema.fields, map, "", &mut problems);
    if problems.is_empty() {
        Ok(Facts { values })
    } else {
        Err(InputError { problems })
    }
}

fn record(
    fields: &[RecordField],
    map: &serde_json::Map<String, Json>,
    prefix: &str,
    problems: &mut Vec<FieldProblem>,
) -> Vec<Option<FactValue>> {
    fields
        .iter()
        .map(|f| {
            let path = format!("{prefix}{}", f.name);
            match map.get(&f.name) {
                None | Some(Json::Null) => None,
                Some(v) => match value(&f.ty, v, &path, problems) {
                    Ok(fv) => Some(fv),
                    Err(p) => {
                        problems.push(p);
                        None
                    }
                },
            }
        })
        .collect()
}

/// The value as JSON text, cut to a readable length.
fn show(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn value(
    ty: &Type,
    v: &Json,
    path: &str,
    problems: &mut Vec<FieldProblem>,
) -> Result<FactValue, FieldProblem> {
    let bad = |expected: String| FieldProblem {
        path: path.to_string(),
        value: show(v),
        expected,
    };
    match (ty, v) {
        (Type::Bool, Json::Bool(b)) => Ok(FactValue::Bool(*b)),
        (Type::Int, Json::Number(n)) => {
            num::parse_int(&n.to_string())
                .map(FactValue::Num)
                .map_err(|e| {
                    bad(match e {
                        num::NumParseError::Overflow => {
                            "int (a whole number that fits in 64 bits)".into()
                        }
                        _ => "int (a whole number)".into(),
                    })
                })
        }
        (Type::Decimal, Json::Number(_) | Json::String(_)) => {
            let text = number_text(v);
            num::parse_decimal(&text).map(FactValue::Num).map_err(|e| {
                bad(format!(
                    "decimal (a number with at most 6 decimal places; {e})"
                ))
            })
        }
        (Type::Money, Json::Number(_) | Json::String(_)) => {
            let text = number_text(v);
            num::parse_money(&text).map(FactValue::Num).map_err(|e| {
                bad(format!(
                    "money (an amount with at most 2 decimal places; {e})"
                ))
            })
        }
        (Type::Date, Json::String(s)) => num::parse_date(s)
            .map(|d| FactValue::Num(i64::from(d)))
            .ok_or_else(|| bad("date (a real calendar date \"YYYY-MM-DD\")".into())),
        (Type::Text, Json::String(s)) => Ok(FactValue::Text(s.as_str().into())),
        (Type::Enum(variants), Json::String(s)) => variants
            .iter()
            .position(|x| x == s)
            .map(|i| FactValue::Num(i as i64))
            .ok_or_else(|| bad(format!("one of {}", variants.join(", ")))),
        (Type::List(rec), Json::Array(items)) => {
            Ok(FactValue::List(list(rec, items, path, problems)))
        }
        _ => Err(bad(expected_word(ty))),
    }
}

fn list(
    rec: &Arc<Record>,
    items: &[Json],
    path: &str,
    problems: &mut Vec<FieldProblem>,
) -> Vec<Vec<Option<FactValue>>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Json::Object(map) => record(&rec.fields, map, &format!("{path}[{i}]."), problems),
            other => {
                problems.push(FieldProblem {
                    path: format!("{path}[{i}]"),
                    value: show(other),
                    expected: "an object (a list element)".into(),
                });
                Vec::new()
            }
        })
        .collect()
}

fn number_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn expected_word(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool (true or false)".into(),
        Type::Int => "int (a whole number)".into(),
        Type::Decimal => "decimal (a number or a string such as \"0.55\")".into(),
        Type::Money => "money (a number or a string such as \"1200.50\")".into(),
        Type::Date => "date (a string \"YYYY-MM-DD\")".into(),
        Type::Text => "text (a string)".into(),
        Type::Enum(v) => format!("one of {}", v.join(", ")),
        Type::List(_) => "a list (an array of objects)".into(),
        Type::Record(_) | Type::Error => "a value".into(),
    }
}
