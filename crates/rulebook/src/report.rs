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
    /// The policy's escaped constant texts, when it keeps them.
    pub(crate) texts: Option<&'a ReportTexts>,
}

impl<'a, D: Decided> Report<'a, D> {
    /// The report with `ignored` listing the undeclared facts given (as
    /// `Policy::parse_facts_noting` noted them).
    pub fn with_ignored(mut self, ignored: &'a [String]) -> Self {
        self.ignored = ignored;
        self
    }
}

/// The room a report's text starts with: most take 200 to 600 bytes, and
/// then need no reallocation on the way.
const REPORT_BYTES: usize = 640;

impl<D: Decided> std::fmt::Display for Report<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::with_capacity(REPORT_BYTES);
        self.write_json(&mut out);
        f.write_str(&out)
    }
}

impl<D: Decided> Report<'_, D> {
    /// Appends the compact JSON text of the report: the text its
    /// `Serialize` gives to serde_json, written directly (no serializer
    /// state, no temporary strings; the tests hold the two equal byte for
    /// byte), its constant parts from the policy's [`ReportTexts`].
    pub fn write_json(&self, out: &mut String) {
        let owned;
        let texts = match self.texts {
            Some(texts) => texts,
            None => {
                owned = ReportTexts::of(self.meta);
                &owned
            }
        };
        out.push_str(&texts.opening);
        num::write_date(out, self.as_of);
        out.push_str("\",\"decisions\":{");
        let mut all_missing: Vec<usize> = Vec::new();
        let decisions = self.meta.decisions.iter().zip(&texts.keys);
        for (d, (def, key)) in decisions.enumerate() {
            if d > 0 {
                out.push(',');
            }
            out.push_str(key);
            self.write_decision(out, texts, def, d);
            all_missing.extend(self.results.missing(d));
        }
        all_missing.sort_unstable();
        all_missing.dedup();
        out.push_str("},\"missing\":");
        write_paths(out, texts, all_missing.into_iter());
        if !self.ignored.is_empty() {
            out.push_str(",\"ignored\":[");
            for (i, fact) in self.ignored.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(out, fact);
            }
            out.push(']');
        }
        out.push('}');
    }

    /// One decision's object, as [`DecisionJson`] serializes it.
    fn write_decision(&self, out: &mut String, texts: &ReportTexts, def: &DecisionMeta, d: usize) {
        let results = self.results;
        let Some(value) = results.value(d) else {
            out.push_str("{\"value\":null,\"missing\":");
            write_paths(out, texts, results.missing(d));
            out.push('}');
            return;
        };
        out.push_str("{\"value\":");
        TypedValue::new(&def.ty, value).write_json(out);
        let clauses = texts.clauses.get(d).map_or(&[][..], Vec::as_slice);
        match def.kind {
            DecisionKind::Requires => {
                // a false require with no clause to name is left out of a
                // list that is still written, as `Reasons` does
                if results.reasons(d).next().is_some() {
                    out.push_str(",\"reasons\":[");
                    let mut first = true;
                    for reason in results.reasons(d).filter_map(|i| clauses.get(i)) {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        out.push_str(reason);
                    }
                    out.push(']');
                }
            }
            DecisionKind::Whens => {
                if let Some(clause) = results.clause(d).and_then(|i| clauses.get(i)) {
                    out.push_str(clause);
                }
            }
            DecisionKind::Expr => {}
        }
        out.push('}');
    }
}

/// The constant texts of a policy's reports, escaped once rather than at
/// every report: the opening (name, version, hash), each decision's key,
/// what each clause adds, each fact's path. A policy keeps them
/// (`Policy::report_texts`); a report without them makes its own.
#[derive(Debug)]
pub(crate) struct ReportTexts {
    /// `{"policy":…,"version":…,"hash":…,"as_of":"`.
    opening: String,
    /// `"name":`, by decision.
    keys: Vec<String>,
    /// By decision, then clause: a require's reason
    /// (`{"because":…,"source":…,"line":…}`), or what a `when` clause adds
    /// to its decision's object (`,"line":…,"because":…,"source":…`);
    /// nothing for the clauses of other decisions.
    clauses: Vec<Vec<String>>,
    /// `"path"`, by fact.
    paths: Vec<String>,
}

impl ReportTexts {
    pub(crate) fn of(meta: &Meta) -> ReportTexts {
        let mut opening = String::from("{\"policy\":");
        push_json_str(&mut opening, &meta.policy);
        opening.push_str(",\"version\":");
        match &meta.version {
            Some(v) => push_json_str(&mut opening, v),
            None => opening.push_str("null"),
        }
        opening.push_str(",\"hash\":");
        push_json_str(&mut opening, &meta.hash);
        opening.push_str(",\"as_of\":\"");
        let keys = (meta.decisions.iter())
            .map(|def| {
                let mut key = String::new();
                push_json_str(&mut key, &def.name);
                key.push(':');
                key
            })
            .collect();
        let clauses = (meta.decisions.iter())
            .map(|def| {
                let clause = |c: &crate::abi::ClauseMeta| {
                    let mut out = String::new();
                    match def.kind {
                        DecisionKind::Requires => {
                            out.push_str("{\"because\":");
                            push_json_str(&mut out, c.reason());
                            if let Some(source) = &c.source {
                                out.push_str(",\"source\":");
                                push_json_str(&mut out, source);
                            }
                            out.push_str(",\"line\":");
                            num::push_digits(&mut out, u64::from(c.line), 1);
                            out.push('}');
                        }
                        DecisionKind::Whens => {
                            out.push_str(",\"line\":");
                            num::push_digits(&mut out, u64::from(c.line), 1);
                            if let Some(because) = &c.because {
                                out.push_str(",\"because\":");
                                push_json_str(&mut out, because);
                            }
                            if let Some(source) = &c.source {
                                out.push_str(",\"source\":");
                                push_json_str(&mut out, source);
                            }
                        }
                        DecisionKind::Expr => {}
                    }
                    out
                };
                def.clauses.iter().map(clause).collect()
            })
            .collect();
        let paths = (meta.fact_paths.iter())
            .map(|path| {
                let mut out = String::new();
                push_json_str(&mut out, path);
                out
            })
            .collect();
        ReportTexts {
            opening,
            keys,
            clauses,
            paths,
        }
    }
}

/// A JSON array of the paths of facts `facts` (indices without a path are
/// left out, as [`Paths`] leaves them).
fn write_paths(out: &mut String, texts: &ReportTexts, facts: impl Iterator<Item = usize>) {
    out.push('[');
    let mut first = true;
    for path in facts.filter_map(|f| texts.paths.get(f)) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(path);
    }
    out.push(']');
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

impl TypedValue<'_> {
    /// Appends the value's JSON text ([`TypedValue::to_json`]) to `out`,
    /// allocating nothing else.
    pub fn write_json(&self, out: &mut String) {
        match (self.0.ty, self.0.value) {
            (_, ValueRef::Bool(b)) => out.push_str(if b { "true" } else { "false" }),
            (_, ValueRef::Text(t)) => push_json_str(out, t),
            (ValueType::Decimal | ValueType::Money | ValueType::Date, ValueRef::Num(_)) => {
                // digits, signs, points and dashes: nothing to escape
                out.push('"');
                self.write_text(out);
                out.push('"');
            }
            (ValueType::Enum { .. }, ValueRef::Num(n)) => push_json_str(out, self.variant(n)),
            (_, ValueRef::Num(n)) => push_int(out, n),
        }
    }

    /// Appends the value's text (`Display`: the JSON text of a string
    /// without its quotes) to `out`, allocating nothing else.
    pub fn write_text(&self, out: &mut String) {
        match (self.0.ty, self.0.value) {
            (_, ValueRef::Bool(b)) => out.push_str(if b { "true" } else { "false" }),
            (_, ValueRef::Text(t)) => out.push_str(t),
            (ValueType::Decimal, ValueRef::Num(n)) => num::write_decimal(out, n),
            (ValueType::Money, ValueRef::Num(n)) => num::write_money(out, n),
            (ValueType::Date, ValueRef::Num(n)) => {
                // a date value is an i32 day count (both engines): in range
                num::write_date(out, i32::try_from(n).unwrap_or_default());
            }
            (ValueType::Enum { .. }, ValueRef::Num(n)) => out.push_str(self.variant(n)),
            (_, ValueRef::Num(n)) => push_int(out, n),
        }
    }

    /// An enum value's variant name (empty when out of range, as in `Typed`).
    fn variant(&self, n: i64) -> &str {
        match self.0.ty {
            ValueType::Enum { variants } => usize::try_from(n)
                .ok()
                .and_then(|i| variants.get(i))
                .map_or("", String::as_str),
            _ => "",
        }
    }
}

fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    num::push_digits(out, n.unsigned_abs(), 1);
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes
/// it (see [`escape_json`]).
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    escape_json(s, |piece| out.push_str(piece));
    out.push('"');
}

/// Hands `s`, escaped as the inside of a JSON string exactly as
/// `serde_json` escapes it, to `put` piece by piece: `\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t` and `\u00xx` for the other control characters;
/// everything else as it is. One escaper for every JSON text the crates
/// write by hand (reports, `rulebook batch` lines, decision logs).
pub fn escape_json(s: &str, mut put: impl FnMut(&str)) {
    let mut rest = s;
    while let Some(k) = first_to_escape(rest.as_bytes()) {
        // `k` is at an ASCII byte: a char boundary
        let (plain, tail) = rest.split_at(k);
        put(plain);
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            match c {
                '"' => put("\\\""),
                '\\' => put("\\\\"),
                '\n' => put("\\n"),
                '\r' => put("\\r"),
                '\t' => put("\\t"),
                '\u{8}' => put("\\b"),
                '\u{c}' => put("\\f"),
                c => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    let b = c as usize;
                    let hex = |i: usize| HEX.get(i).copied().unwrap_or(b'0');
                    let code = [b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 15)];
                    // ASCII: always text
                    if let Ok(code) = std::str::from_utf8(&code) {
                        put(code);
                    }
                }
            }
        }
        rest = chars.as_str();
    }
    put(rest);
}

/// The position of the first byte of `bytes` that a JSON string escapes
/// (`"`, `\\` or a control character), eight bytes at a time: most texts
/// (names, reasons, legislation, the module's hash) have none, and a byte
/// at a time took most of a report's time.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        let (quote, backslash) = (w ^ (ONES * u64::from(b'"')), w ^ (ONES * u64::from(b'\\')));
        // the high bit of each byte below 0x20, or equal to 0 after the xor
        // (a byte of 0x80 or more never is): exact for the lowest byte
        // flagged, the one wanted (a false flag can only follow a true one)
        let hits = (w.wrapping_sub(ONES * 0x20) & !w
            | quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash)
            & HIGH;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = bytes.get(at..)?;
    tail.iter().position(|&b| escaped(b)).map(|k| at + k)
}

/// Whether a JSON string escapes the byte `b`: `"`, `\\` or a control
/// character (the test [`first_to_escape`] makes eight bytes at a time).
fn escaped(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
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
pub(crate) fn to_json_text(
    (meta, texts): (&Meta, Option<&ReportTexts>),
    as_of: i32,
    results: &impl Decided,
    ignored: &[String],
) -> String {
    let report = Report {
        meta,
        as_of,
        results,
        ignored,
        texts,
    };
    let mut out = String::with_capacity(REPORT_BYTES);
    report.write_json(&mut out);
    out
}

/// The output object as a JSON value, with `ignored` listing the undeclared
/// facts given (left out when empty).
pub fn to_json(meta: &Meta, as_of: i32, results: &impl Decided, ignored: &[String]) -> Json {
    let report = Report {
        meta,
        as_of,
        results,
        ignored,
        texts: None,
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
            let text = super::to_json_text((policy.meta(), None), as_of.0, &outcome, &[]);
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&parsed, &super::to_json(policy.meta(), as_of.0, &outcome, &[]));
            prop_assert_eq!(&parsed["decisions"]["echo"]["value"], &serde_json::json!(s));
        }

        /// Escaping a JSON string without serde_json gives serde_json's text
        /// (texts long enough that characters to escape fall in every place
        /// of an eight-byte step and of the tail after the last).
        #[test]
        fn json_strings_are_escaped_as_serde_json_does(s in "\\PC*|[\\x00-\\x7f\u{80}\u{2028}\u{10000}]{0,40}") {
            let mut out = String::from("x");
            super::push_json_str(&mut out, &s);
            prop_assert_eq!(out, format!("x{}", serde_json::json!(s)));
        }
    }

    /// The report text written directly is serde_json's text of the
    /// report, byte for byte: every shipped policy with no facts (every
    /// decision unknown, with its missing facts), its example facts
    /// (values, reasons, clauses with their legislation), and undeclared
    /// facts noted (with characters to escape).
    #[test]
    fn the_direct_report_text_is_serde_json_s() {
        let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let as_of = Date::parse("2026-11-27").unwrap();
        let ignored = ["extra".to_string(), "quote\"d\n".to_string()];
        let mut compared = 0;
        for entry in std::fs::read_dir(&rules).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rules") {
                continue;
            }
            let policy = Policy::from_file(&path).unwrap();
            let example = path.with_extension("example.json");
            let mut facts = vec!["{}".to_string()];
            facts.extend(std::fs::read_to_string(example).ok());
            // and the inputs of its test cases (requires false, with reasons)
            let tests = std::fs::read_to_string(path.with_extension("test.yaml")).unwrap();
            let tests: serde_json::Value = serde_yaml::from_str(&tests).unwrap();
            for case in tests["cases"].as_array().into_iter().flatten() {
                facts.push(case["input"].to_string());
            }
            for text in facts {
                let Ok(parsed) = policy.parse_facts(&text) else {
                    continue;
                };
                let Ok(outcome) = policy.evaluate(&parsed, as_of) else {
                    continue;
                };
                for noted in [&[][..], &ignored[..]] {
                    let report = policy.report(&outcome, as_of).with_ignored(noted);
                    assert_eq!(report.to_string(), serde_json::to_string(&report).unwrap());
                    compared += 1;
                }
            }
        }
        assert!(compared >= 60, "{compared} reports compared");
    }

    /// Every value written without allocating is the text of `to_json`
    /// and of `Display`.
    #[test]
    fn written_values_are_the_json_and_display_texts() {
        use crate::abi::ValueType;
        use crate::outcome::ValueRef;
        let all: String = (0u32..0x100).filter_map(char::from_u32).collect();
        let enumeration = ValueType::Enum {
            variants: vec!["red".into(), "a \"b\"".into()],
        };
        let types = [
            ValueType::Bool,
            ValueType::Int,
            ValueType::Money,
            ValueType::Decimal,
            ValueType::Date,
            ValueType::Text,
            enumeration,
        ];
        let nums = [
            0i64,
            1,
            -1,
            5,
            -5,
            99,
            100,
            -100,
            123_456,
            -1_000_001,
            2,
            3,
            i64::MAX,
            i64::MIN,
            20_000,
            -800_000,
        ];
        for ty in &types {
            let mut values = vec![
                ValueRef::Bool(true),
                ValueRef::Bool(false),
                ValueRef::Text(&all),
                ValueRef::Text(""),
            ];
            values.extend(nums.iter().map(|n| ValueRef::Num(*n)));
            for v in values {
                let t = super::TypedValue::new(ty, v);
                let (mut json, mut text) = (String::from("-"), String::from("-"));
                t.write_json(&mut json);
                t.write_text(&mut text);
                assert_eq!(json, format!("-{}", t.to_json()), "{ty:?} {v:?}");
                assert_eq!(text, format!("-{t}"), "{ty:?} {v:?}");
            }
        }
    }
}
