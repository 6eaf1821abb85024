//! Report: the results of one evaluation (any [`Decided`]: an owned
//! [`crate::outcome::Outcome`] or a view over a module's result record) ->
//! the decisions JSON (docs/language.md section 17)
//! (values formatted by declared type, reasons with citations, lines, and the
//! `missing` lists in declaration order). It reads only the module metadata,
//! so it serves every engine and modules loaded without their source.

use crate::abi::{DecisionKind, DecisionMeta, Meta, ValueType};
use crate::num;
use crate::outcome::{Decided, ValueRef};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;

/// The decisions JSON (docs/language.md section 17) of one evaluation's
/// results, from `Policy::report`: serialise it with serde_json as you
/// like (`to_string`, `to_string_pretty`, `to_value`; keys in the
/// documented order), or `to_string()` it (compact JSON).
pub struct Report<'a, D: Decided> {
    pub(crate) meta: &'a Meta,
    pub(crate) as_of: i32,
    pub(crate) results: &'a D,
    /// Facts given that the policy does not declare (`ignored`, left out
    /// when empty).
    pub(crate) ignored: &'a [String],
}

impl<'a, D: Decided> Report<'a, D> {
    /// The report with `ignored` listing the undeclared facts given (as
    /// `Policy::parse_facts_noting` noted them).
    pub fn with_ignored(mut self, ignored: &'a [String]) -> Self {
        self.ignored = ignored;
        self
    }
}

impl<D: Decided> std::fmt::Display for Report<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}

impl<D: Decided> Serialize for Report<'_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let meta = self.meta;
        let mut all_missing: Vec<usize> = Vec::new();
        for d in 0..meta.decisions.len() {
            all_missing.extend(self.results.missing(d));
        }
        all_missing.sort_unstable();
        all_missing.dedup();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("policy", &meta.policy)?;
        m.serialize_entry("version", &meta.version)?;
        m.serialize_entry("hash", &meta.hash)?;
        m.serialize_entry("as_of", &num::format_date(self.as_of))?;
        m.serialize_entry("decisions", &Decisions(self))?;
        m.serialize_entry(
            "missing",
            &Paths {
                meta,
                facts: &all_missing,
            },
        )?;
        if !self.ignored.is_empty() {
            m.serialize_entry("ignored", self.ignored)?;
        }
        m.end()
    }
}

/// The `decisions` object: one entry per decision, in source order.
struct Decisions<'r, 'a, D: Decided>(&'r Report<'a, D>);

impl<D: Decided> Serialize for Decisions<'_, '_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let decisions = &self.0.meta.decisions;
        let mut m = s.serialize_map(Some(decisions.len()))?;
        for (index, def) in decisions.iter().enumerate() {
            m.serialize_entry(
                &def.name,
                &DecisionJson {
                    report: self.0,
                    def,
                    index,
                },
            )?;
        }
        m.end()
    }
}

/// One decision: `value`, then `missing` (unknown), `reasons` (a false
/// require decision) or `line` with the `because` and `source` written on
/// it (the `when` clause that decided).
struct DecisionJson<'r, 'a, D: Decided> {
    report: &'r Report<'a, D>,
    def: &'a DecisionMeta,
    index: usize,
}

impl<D: Decided> Serialize for DecisionJson<'_, '_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (results, def, d) = (self.report.results, self.def, self.index);
        let mut m = s.serialize_map(None)?;
        let Some(value) = results.value(d) else {
            m.serialize_entry("value", &())?;
            let facts: Vec<usize> = results.missing(d).collect();
            m.serialize_entry(
                "missing",
                &Paths {
                    meta: self.report.meta,
                    facts: &facts,
                },
            )?;
            return m.end();
        };
        m.serialize_entry("value", &Typed { ty: &def.ty, value })?;
        match def.kind {
            DecisionKind::Requires => {
                if results.reasons(d).next().is_some() {
                    m.serialize_entry("reasons", &Reasons { results, def, d })?;
                }
            }
            DecisionKind::Whens => {
                if let Some(c) = results.clause(d).and_then(|i| def.clauses.get(i)) {
                    m.serialize_entry("line", &c.line)?;
                    if let Some(because) = &c.because {
                        m.serialize_entry("because", because)?;
                    }
                    if let Some(source) = &c.source {
                        m.serialize_entry("source", source)?;
                    }
                }
            }
            DecisionKind::Expr => {}
        }
        m.end()
    }
}

/// The false requires of a decision, with their citations and lines.
struct Reasons<'a, D: Decided> {
    results: &'a D,
    def: &'a DecisionMeta,
    d: usize,
}

impl<D: Decided> Serialize for Reasons<'_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for i in self.results.reasons(self.d) {
            if let Some(c) = self.def.clauses.get(i) {
                seq.serialize_element(&Reason(c))?;
            }
        }
        seq.end()
    }
}

struct Reason<'a>(&'a crate::abi::ClauseMeta);

impl Serialize for Reason<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("because", c.reason())?;
        if let Some(source) = &c.source {
            m.serialize_entry("source", source)?;
        }
        m.serialize_entry("line", &c.line)?;
        m.end()
    }
}

/// A known value written by its declared type: decimals, money, dates and
/// enums as strings, ints as numbers.
pub(crate) struct Typed<'a> {
    ty: &'a ValueType,
    value: ValueRef<'a>,
}

/// A decision's value with its type: [`TypedValue::to_json`] is the JSON of
/// the decisions output (money and decimals as strings, dates as
/// `YYYY-MM-DD`, enums by name), and `Display` the same text unquoted (a
/// CSV cell).
pub struct TypedValue<'a>(Typed<'a>);

impl<'a> TypedValue<'a> {
    pub fn new(ty: &'a ValueType, value: ValueRef<'a>) -> TypedValue<'a> {
        TypedValue(Typed { ty, value })
    }

    /// The value as a JSON value.
    pub fn to_value(&self) -> Json {
        // Typed writes only strings, numbers and bools: cannot fail
        serde_json::to_value(&self.0).unwrap_or(Json::Null)
    }

    /// The value as JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

impl std::fmt::Display for TypedValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_value() {
            Json::String(s) => f.write_str(&s),
            v => write!(f, "{v}"),
        }
    }
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.ty, self.value) {
            (_, ValueRef::Bool(b)) => s.serialize_bool(b),
            (_, ValueRef::Text(t)) => s.serialize_str(t),
            (ValueType::Decimal, ValueRef::Num(n)) => s.serialize_str(&num::format_decimal(n)),
            (ValueType::Money, ValueRef::Num(n)) => s.serialize_str(&num::format_money(n)),
            (ValueType::Date, ValueRef::Num(n)) => {
                // a date value is an i32 day count (both engines): in range
                s.serialize_str(&num::format_date(i32::try_from(n).unwrap_or_default()))
            }
            (ValueType::Enum { variants }, ValueRef::Num(n)) => s.serialize_str(
                usize::try_from(n)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .map_or("", String::as_str),
            ),
            (_, ValueRef::Num(n)) => s.serialize_i64(n),
        }
    }
}

/// Fact paths by fact index.
struct Paths<'a> {
    meta: &'a Meta,
    facts: &'a [usize],
}

impl Serialize for Paths<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let paths = self
            .facts
            .iter()
            .filter_map(|&f| self.meta.fact_paths.get(f));
        s.collect_seq(paths)
    }
}

/// The output object of one evaluation as compact JSON text, with
/// `ignored` listing the undeclared facts given (left out when empty).
pub fn to_json_text(meta: &Meta, as_of: i32, results: &impl Decided, ignored: &[String]) -> String {
    let report = Report {
        meta,
        as_of,
        results,
        ignored,
    };
    // `Report`'s `Serialize` writes only strings, numbers, bools, null and
    // string-keyed maps and never returns an error of its own, so writing it
    // to a string cannot fail (the report tests compare both forms on every
    // shape of result).
    serde_json::to_string(&report).unwrap_or_default()
}

/// The output object as a JSON value, with `ignored` listing the undeclared
/// facts given (left out when empty).
pub fn to_json(meta: &Meta, as_of: i32, results: &impl Decided, ignored: &[String]) -> Json {
    let report = Report {
        meta,
        as_of,
        results,
        ignored,
    };
    // cannot fail, as for `to_json_text` above
    serde_json::to_value(&report).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use crate::{Date, Engine, Policy};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any text (quotes, backslashes, control characters, non-ASCII)
        /// comes out escaped, and the text and value forms agree.
        #[test]
        fn text_and_value_forms_agree(s in "\\PC*|[\\x00-\\x1f\"\\\\]{0,8}") {
            let policy = Policy::from_source(
                "echo.rules",
                "policy echo\ninput { name: text }\ndecision echo: text = name\n",
            ).unwrap();
            let facts = policy.facts().text("name", &s).build().unwrap();
            let as_of = Date::parse("2026-01-01").unwrap();
            let outcome = policy.evaluate_with(Engine::Interpreter, &facts, as_of).unwrap();
            let text = super::to_json_text(policy.meta(), as_of.0, &outcome, &[]);
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&parsed, &super::to_json(policy.meta(), as_of.0, &outcome, &[]));
            prop_assert_eq!(&parsed["decisions"]["echo"]["value"], &serde_json::json!(s));
        }
    }
}
