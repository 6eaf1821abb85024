//! One pass over JSON text straight into typed facts, for the usual case of
//! well-formed facts: each value is read by its field's type as the parser
//! meets it, with no raw text kept and read again.
//!
//! It gives up (None) on anything unusual: any error, a number with a
//! fraction or an exponent (its exact text is not at hand), a key given
//! twice, and, when undeclared facts must be noted, any undeclared key.
//! The caller then parses again with the full parser, which alone words
//! the errors. So on good facts the two give the same facts (a test holds
//! them equal), and every message comes from one place.

use super::{FactValue, Given};
use crate::abi::{Layout, ValueType};
use crate::num;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::Arc;

/// The values of `schema`'s fields read from `text`; None to fall back.
/// With `strict_keys`, an undeclared key also falls back.
pub(super) fn parse(
    schema: &Layout,
    text: &str,
    strict_keys: bool,
) -> Option<Vec<Option<FactValue>>> {
    let mut values = Vec::new();
    parse_into(schema, text, strict_keys, &mut values).then_some(values)
}

/// [`parse`] into `values` (their storage reused); false to fall back
/// (then `values` holds nothing meaningful).
pub(super) fn parse_into(
    schema: &Layout,
    text: &str,
    strict_keys: bool,
    values: &mut Vec<Option<FactValue>>,
) -> bool {
    let mut de = serde_json::Deserializer::from_str(text);
    let read = TopSeed {
        layout: schema,
        strict_keys,
        values,
    }
    .deserialize(&mut de);
    read.is_ok() && de.end().is_ok()
}

/// One value of type `ty` read from `text` (a CSV cell's text); None to
/// fall back. Undeclared keys in list elements are ignored.
pub(super) fn parse_value(ty: &ValueType, text: &str) -> Option<Option<FactValue>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed {
        ty,
        strict_keys: false,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

/// Gives up on the fast path (the message is never shown).
fn give_up<E: serde::de::Error>() -> E {
    E::custom("")
}

#[derive(Clone, Copy)]
struct RecordSeed<'l> {
    layout: &'l Layout,
    strict_keys: bool,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Vec<Option<FactValue>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Vec<Option<FactValue>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::new();
        fill(&mut map, self.layout, self.strict_keys, &mut values)?;
        Ok(values)
    }
}

/// The top record, read into values kept from record to record.
struct TopSeed<'l, 'v> {
    layout: &'l Layout,
    strict_keys: bool,
    values: &'v mut Vec<Option<FactValue>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        fill(&mut map, self.layout, self.strict_keys, self.values)
    }
}

/// Reads an object's entries into `values`, one per field of `layout`.
fn fill<'de, A: MapAccess<'de>>(
    map: &mut A,
    layout: &Layout,
    strict_keys: bool,
    values: &mut Vec<Option<FactValue>>,
) -> Result<(), A::Error> {
    let fields = &layout.fields;
    values.clear();
    values.resize_with(fields.len(), || None);
    let mut given = Given::new(fields.len());
    // facts usually come in the order of the inputs (some left out):
    // the fields after the last one found are tried first
    let mut next = 0;
    while let Some(key) = map.next_key::<super::Key<'de>>()? {
        let (before, after) = fields.split_at(next.min(fields.len()));
        let found = match after.iter().position(|f| f.name == key.0) {
            Some(k) => Some(next + k),
            None => before.iter().position(|f| f.name == key.0),
        };
        let Some(i) = found else {
            if strict_keys {
                return Err(give_up());
            }
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        next = i + 1;
        if given.mark(i) {
            return Err(give_up());
        }
        let (Some(field), Some(slot)) = (fields.get(i), values.get_mut(i)) else {
            return Err(give_up());
        };
        *slot = map.next_value_seed(ValueSeed {
            ty: &field.ty,
            strict_keys,
        })?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct ValueSeed<'l> {
    ty: &'l ValueType,
    strict_keys: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Option<FactValue>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    /// A whole number written as a JSON number, by the field's type.
    fn whole<E: serde::de::Error>(self, text: &str) -> Result<Option<FactValue>, E> {
        let n = match self.ty {
            ValueType::Int => num::parse_int(text),
            ValueType::Money => num::parse_money(text),
            ValueType::Decimal => num::parse_decimal(text),
            _ => return Err(give_up()),
        };
        n.map(|n| Some(FactValue::Num(n))).map_err(|_| give_up())
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Option<FactValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a fact value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
        match self.ty {
            ValueType::Bool => Ok(Some(FactValue::Bool(b))),
            _ => Err(give_up()),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
        match self.ty {
            ValueType::Int => Ok(Some(FactValue::Num(n))),
            _ => self.whole(&n.to_string()),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
        match (self.ty, i64::try_from(n)) {
            (ValueType::Int, Ok(n)) => Ok(Some(FactValue::Num(n))),
            _ => self.whole(&n.to_string()),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        // the exact text of a fractional number is not at hand
        Err(give_up())
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        let v = match self.ty {
            ValueType::Money => num::parse_money(s).map(FactValue::Num).ok(),
            ValueType::Decimal => num::parse_decimal(s).map(FactValue::Num).ok(),
            ValueType::Date => num::parse_date(s).map(|d| FactValue::Num(i64::from(d))),
            ValueType::Text => Some(FactValue::Text(Arc::from(s))),
            ValueType::Enum { variants } => variants
                .iter()
                .position(|x| x == s)
                .map(|i| FactValue::Num(i as i64)),
            _ => None,
        };
        v.map(Some).ok_or_else(give_up)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let ValueType::List { element } = self.ty else {
            return Err(give_up());
        };
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let seed = RecordSeed {
            layout: element,
            strict_keys: self.strict_keys,
        };
        while let Some(r) = seq.next_element_seed(seed)? {
            records.push(r);
        }
        Ok(Some(FactValue::List(records)))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(give_up())
    }
}

#[cfg(test)]
mod tests {
    //! The one pass against the full parser on random facts texts, good
    //! and bad: whatever the one pass accepts, the full parser accepts with
    //! the same facts, and whatever the full parser refuses, the one pass
    //! gives up on.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use crate::policy::Policy;

    const SOURCE: &str = r#"policy t
input {
  b: bool
  i: int
  m: money
  d: decimal
  t: date
  e: enum(red, green)
  x: text
  l: list of {
    n: int
    v: money
    inner: list of {
      q: bool
    }
  }
}
decision ok: bool = b
"#;

    const VALUES: &[&str] = &[
        "true",
        "false",
        "null",
        "0",
        "-5",
        "12",
        "12.5",
        "1e3",
        "-0",
        "99999999999999999999",
        "9223372036854775807",
        "\"12.50\"",
        "\"12.505\"",
        "\"abc\"",
        "\"2026-02-28\"",
        "\"2026-02-30\"",
        "\"red\"",
        "\"green\"",
        "\"re\\u0064\"",
        "\"\"",
        "[]",
        "[{}]",
        "[{\"n\": 1, \"v\": \"2.00\"}]",
        "[{\"n\": 1.5}]",
        "[{\"inner\": [{\"q\": true}, {\"q\": 1}]}]",
        "[{\"inner\": [{\"q\": false}]}, {\"zz\": 1}]",
        "[1]",
        "{}",
        "{\"n\": 1}",
    ];
    const KEYS: &[&str] = &["b", "i", "m", "d", "t", "e", "x", "l", "zz"];

    /// Facts read into facts kept from record to record are the facts
    /// read anew; after an error they hold nothing and are refused.
    #[test]
    fn facts_read_into_kept_storage_are_the_facts_read_anew() {
        let policy = Policy::from_source("t.rules", SOURCE).unwrap();
        let as_of = crate::Date::parse("2026-01-01").unwrap();
        let mut kept = crate::Facts::default();
        assert!(policy
            .evaluate_with(crate::Engine::Interpreter, &kept, as_of)
            .is_err());
        let texts = [
            r#"{"b": true, "m": "1.50", "x": "hi", "l": [{"n": 1}]}"#,
            r#"{"m": "lots"}"#,
            r#"{"i": 3}"#,
            "not json",
            r#"{"l": [{"n": 1.5}], "zz": 1}"#,
            r#"{"e": "green", "t": "2026-02-28", "d": 2}"#,
        ];
        for text in texts {
            match (
                policy.parse_facts(text),
                policy.parse_facts_into(text, &mut kept),
            ) {
                (Ok(fresh), Ok(())) => assert_eq!(fresh, kept, "{text}"),
                (Err(a), Err(b)) => {
                    assert_eq!(a, b, "{text}");
                    let refused = policy.evaluate_with(crate::Engine::Interpreter, &kept, as_of);
                    assert!(refused.is_err(), "{text}");
                }
                (a, b) => panic!("{text}: {a:?} but {b:?}"),
            }
        }
        let rows: [&[(usize, &str)]; 4] = [
            &[(0, "true"), (2, "1.50"), (6, "hi")],
            &[(2, "lots")],
            &[(7, "[{\"n\": 1}]"), (5, "green")],
            &[(1, "7")],
        ];
        for row in rows {
            let fresh = policy.parse_cells(row.iter().copied());
            match (
                fresh,
                policy.parse_cells_into(row.iter().copied(), &mut kept),
            ) {
                (Ok(fresh), Ok(())) => assert_eq!(fresh, kept, "{row:?}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{row:?}"),
                (a, b) => panic!("{row:?}: {a:?} but {b:?}"),
            }
        }
    }

    /// A CSV cell read in one step (`plain_cell`) is read alike by the
    /// full reading, with no problem.
    #[test]
    fn a_cell_read_in_one_step_is_read_alike_in_full() {
        let policy = Policy::from_source("t.rules", SOURCE).unwrap();
        let schema = &policy.meta().input;
        let mut cells: Vec<String> = Vec::new();
        for v in VALUES {
            cells.push(v.to_string());
            cells.push(v.trim_matches('"').to_string());
            cells.push(format!(" {v}"));
        }
        cells.extend(
            [
                "yes", "TRUE", "1.", ".5", "-", "+1", "1e2", "0012.30", "red ",
            ]
            .map(String::from),
        );
        let mut fast = 0;
        for field in &schema.fields {
            for text in &cells {
                let mut slot = None;
                if super::super::plain_cell(&field.ty, text, &mut slot) {
                    let v = slot;
                    let mut problems = Vec::new();
                    let full = super::super::full_cell(field, text, &mut problems);
                    assert!(problems.is_empty(), "{} {text:?}: {problems:?}", field.name);
                    assert_eq!(v, full, "{} {text:?}", field.name);
                    fast += 1;
                }
            }
        }
        assert!(fast > 40, "{fast}");
    }

    #[test]
    fn the_one_pass_agrees_with_the_full_parser() {
        let policy = Policy::from_source("t.rules", SOURCE).unwrap();
        let schema = &policy.meta().input;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
        };
        let (mut fast, mut refused) = (0, 0);
        for round in 0..30_000 {
            let n = next(7);
            let entries: Vec<String> = (0..n)
                .map(|_| {
                    format!(
                        "\"{}\": {}",
                        KEYS[next(KEYS.len())],
                        VALUES[next(VALUES.len())]
                    )
                })
                .collect();
            let text = if round % 97 == 0 {
                format!("[{}]", entries.join(", "))
            } else {
                format!("{{{}}}", entries.join(", "))
            };
            for strict in [false, true] {
                let one = super::parse(schema, &text, strict);
                let mut ignored = Vec::new();
                let full = super::super::full(schema, &text, &mut Some(&mut ignored));
                match (&one, &full) {
                    (Some(values), Ok(facts)) => {
                        assert_eq!(values, &facts.values, "{text}");
                        if strict {
                            assert!(ignored.is_empty(), "{text}");
                        }
                        fast += 1;
                    }
                    (Some(_), Err(e)) => panic!("the one pass accepted {text}, refused: {e}"),
                    (None, Err(_)) => refused += 1,
                    (None, Ok(_)) => {}
                }
            }
        }
        // both sides were exercised
        assert!(
            fast > 5_000 && refused > 5_000,
            "{fast} accepted, {refused} refused"
        );
    }
}
