//! Facts in: a JSON object checked against a policy's input schema
//! (LANGUAGE.md section 6) into typed slots. Absent and `null` values are
//! unknown; a value of the wrong type is an [`InputError`] naming the field
//! path, the value and what was expected.

use crate::abi::{FieldMeta, Layout, ValueType};
use crate::num;
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

/// Parses facts from JSON text against a record layout (the policy's inputs).
pub fn from_json_str(schema: &Layout, text: &str) -> Result<Facts, InputError> {
    let json: Json = serde_json::from_str(text).map_err(|e| {
        InputError::one(
            "",
            &format!("text that is not valid JSON ({e})"),
            "a JSON object of facts",
        )
    })?;
    from_json(schema, &json)
}

/// Checks a JSON value against the policy's input layout.
pub fn from_json(schema: &Layout, json: &Json) -> Result<Facts, InputError> {
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
    fields: &[FieldMeta],
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
    ty: &ValueType,
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
        (ValueType::Bool, Json::Bool(b)) => Ok(FactValue::Bool(*b)),
        (ValueType::Int, Json::Number(n)) => num::parse_int(&n.to_string())
            .map(FactValue::Num)
            .map_err(|e| {
                bad(match e {
                    num::NumParseError::Overflow => {
                        "int (a whole number that fits in 64 bits)".into()
                    }
                    _ => "int (a whole number)".into(),
                })
            }),
        (ValueType::Decimal, Json::Number(_) | Json::String(_)) => {
            let text = number_text(v);
            num::parse_decimal(&text).map(FactValue::Num).map_err(|e| {
                bad(format!(
                    "decimal (a number with at most 6 decimal places; {e})"
                ))
            })
        }
        (ValueType::Money, Json::Number(_) | Json::String(_)) => {
            let text = number_text(v);
            num::parse_money(&text).map(FactValue::Num).map_err(|e| {
                bad(format!(
                    "money (an amount with at most 2 decimal places; {e})"
                ))
            })
        }
        (ValueType::Date, Json::String(s)) => num::parse_date(s)
            .map(|d| FactValue::Num(i64::from(d)))
            .ok_or_else(|| bad("date (a real calendar date \"YYYY-MM-DD\")".into())),
        (ValueType::Text, Json::String(s)) => Ok(FactValue::Text(s.as_str().into())),
        (ValueType::Enum { variants }, Json::String(s)) => variants
            .iter()
            .position(|x| x == s)
            .map(|i| FactValue::Num(i as i64))
            .ok_or_else(|| bad(format!("one of {}", variants.join(", ")))),
        (ValueType::List { element }, Json::Array(items)) => {
            Ok(FactValue::List(list(element, items, path, problems)))
        }
        _ => Err(bad(expected_word(ty))),
    }
}

fn list(
    rec: &Layout,
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

fn expected_word(ty: &ValueType) -> String {
    match ty {
        ValueType::Bool => "bool (true or false)".into(),
        ValueType::Int => "int (a whole number)".into(),
        ValueType::Decimal => "decimal (a number or a string such as \"0.55\")".into(),
        ValueType::Money => "money (a number or a string such as \"1200.50\")".into(),
        ValueType::Date => "date (a string \"YYYY-MM-DD\")".into(),
        ValueType::Text => "text (a string)".into(),
        ValueType::Enum { variants } => format!("one of {}", variants.join(", ")),
        ValueType::List { .. } => "a list (an array of objects)".into(),
    }
}

/// The JSON facts object of typed facts (the inverse of [`from_json`]):
/// absent facts are left out; money, decimals and dates are strings.
pub fn to_json(layout: &Layout, facts: &Facts) -> Json {
    record_json(layout, &facts.values)
}

fn record_json(layout: &Layout, values: &[Option<FactValue>]) -> Json {
    let mut map = serde_json::Map::new();
    for (field, v) in layout.fields.iter().zip(values) {
        let Some(v) = v else { continue };
        let json = match (&field.ty, v) {
            (_, FactValue::Bool(b)) => Json::Bool(*b),
            (ValueType::Money, FactValue::Num(n)) => Json::String(num::format_money(*n)),
            (ValueType::Decimal, FactValue::Num(n)) => Json::String(num::format_decimal(*n)),
            (ValueType::Date, FactValue::Num(n)) => {
                Json::String(num::format_date(i32::try_from(*n).unwrap_or_default()))
            }
            (ValueType::Enum { variants }, FactValue::Num(n)) => Json::String(
                usize::try_from(*n)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .cloned()
                    .unwrap_or_default(),
            ),
            (_, FactValue::Num(n)) => Json::from(*n),
            (_, FactValue::Text(t)) => Json::String(t.to_string()),
            (ValueType::List { element }, FactValue::List(items)) => {
                Json::Array(items.iter().map(|r| record_json(element, r)).collect())
            }
            (_, FactValue::List(_)) => Json::Null,
        };
        map.insert(field.name.clone(), json);
    }
    Json::Object(map)
}

/// Builds typed facts by field name, for hosts that already hold typed data
/// (no JSON on the way). Wrong names or types are collected and reported by
/// [`FactsBuilder::build`] like JSON input errors.
pub struct FactsBuilder<'a> {
    layout: &'a Layout,
    values: Vec<Option<FactValue>>,
    problems: Vec<FieldProblem>,
}

impl<'a> FactsBuilder<'a> {
    /// A builder with every fact unknown.
    pub fn new(layout: &'a Layout) -> Self {
        FactsBuilder {
            layout,
            values: vec![None; layout.fields.len()],
            problems: Vec::new(),
        }
    }

    fn put(
        mut self,
        name: &str,
        fits: fn(&ValueType) -> bool,
        what: &str,
        v: FactValue,
        shown: String,
    ) -> Self {
        match self.layout.fields.iter().position(|f| f.name == name) {
            Some(i) if fits(&self.layout.fields[i].ty) => self.values[i] = Some(v),
            Some(i) => self.problems.push(FieldProblem {
                path: name.to_string(),
                value: shown,
                expected: expected_word(&self.layout.fields[i].ty),
            }),
            None => self.problems.push(FieldProblem {
                path: name.to_string(),
                value: shown,
                expected: format!("a declared input field (not {what})"),
            }),
        }
        self
    }

    pub fn bool(self, name: &str, v: bool) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Bool,
            "bool",
            FactValue::Bool(v),
            v.to_string(),
        )
    }
    pub fn int(self, name: &str, v: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Int,
            "int",
            FactValue::Num(v),
            v.to_string(),
        )
    }
    /// Money in pence.
    pub fn money_pence(self, name: &str, pence: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Money,
            "money",
            FactValue::Num(pence),
            num::format_money(pence),
        )
    }
    /// A decimal as an integer count of millionths.
    pub fn decimal_micros(self, name: &str, v: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Decimal,
            "decimal",
            FactValue::Num(v),
            num::format_decimal(v),
        )
    }
    /// A date as days since 1970-01-01 (see [`crate::Date`]).
    pub fn date(self, name: &str, date: crate::Date) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Date,
            "date",
            FactValue::Num(i64::from(date.0)),
            date.to_string(),
        )
    }
    pub fn text(self, name: &str, v: &str) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Text,
            "text",
            FactValue::Text(v.into()),
            format!("{v:?}"),
        )
    }
    /// An enum fact by variant name.
    pub fn variant(mut self, name: &str, variant: &str) -> Self {
        let index = self
            .layout
            .fields
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| match &f.ty {
                ValueType::Enum { variants } => variants.iter().position(|v| v == variant),
                _ => None,
            });
        match index {
            Some(i) => self.put(
                name,
                |t| matches!(t, ValueType::Enum { .. }),
                "enum",
                FactValue::Num(i as i64),
                variant.into(),
            ),
            None => {
                let expected = self
                    .layout
                    .fields
                    .iter()
                    .find(|f| f.name == name)
                    .map_or("a declared enum input field".to_string(), |f| {
                        expected_word(&f.ty)
                    });
                self.problems.push(FieldProblem {
                    path: name.to_string(),
                    value: format!("{variant:?}"),
                    expected,
                });
                self
            }
        }
    }

    /// The facts, or every problem found.
    pub fn build(self) -> Result<Facts, InputError> {
        if self.problems.is_empty() {
            Ok(Facts {
                values: self.values,
            })
        } else {
            Err(InputError {
                problems: self.problems,
            })
        }
    }
}
