//! What the decision log may keep of one record's facts (docs/serving.md,
//! the decision log): the declared facts, as parsed, in the JSON encodings of
//! [`facts::to_json_text`], with every `personal` value (a scalar, a field of a
//! list's elements, or a whole list) replaced by its keyed hash
//! `{"hmac_sha256": "<hex>"}`.
//!
//! The hash of a value is HMAC-SHA256 under a key derived from the
//! operator's key, `K = HMAC-SHA256(key, "rulebook personal v1")`, over the
//! fact's path (`date_of_birth`, `household[].name`: no element index), one
//! zero byte, and the value's JSON text as [`facts::to_json_text`] writes it
//! (`"1950-01-31"`, `"12.50"`, `[{"postcode":"EH1 1AA"}]`). Equal values of
//! one fact hash alike, so log entries can be joined on them; without the key
//! the value cannot be read back (or tried against guesses).

use crate::abi::{Layout, ValueType};
use crate::digest::LabelledKey;
use crate::facts::{self, FactValue, Facts};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The label the personal-hash key is derived under (a new label, a new
/// scheme: hashes under different labels never match).
pub const KEY_LABEL: &[u8] = b"rulebook personal v1";

/// The key a personal value is logged under is missing: the facts hold
/// personal values, and no key (or an empty one) was given, so they cannot be
/// logged, and must not be logged in the clear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "personal {} {} given but there is no log key to hash {} with, and {} never logged in the clear",
    if .facts.len() == 1 { "fact" } else { "facts" },
    .facts.join(", "),
    if .facts.len() == 1 { "it" } else { "them" },
    if .facts.len() == 1 { "it is" } else { "they are" },
)]
pub struct PersonalKeyMissing {
    /// The path of every personal fact that has a value, once each, in
    /// declaration order (`date_of_birth`, `household[].name`).
    pub facts: Vec<String>,
}

/// A key ready to hash personal values, derived once from the operator's key.
#[derive(Clone)]
pub struct PersonalKey {
    /// HMAC-SHA256 keyed with the derived key, cloned for each value.
    mac: LabelledKey,
}

impl std::fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalKey(..)")
    }
}

impl PersonalKey {
    /// Derives the hashing key from the operator's key; None when `key` is
    /// empty (an empty key would let anyone recompute the hashes).
    pub fn new(key: &[u8]) -> Option<PersonalKey> {
        LabelledKey::derive(key, KEY_LABEL).map(|mac| PersonalKey { mac })
    }

    /// The lowercase hex HMAC of one value of the fact at `fact_path`, given
    /// as its JSON text.
    pub fn hash(&self, fact_path: &str, value_json: &str) -> String {
        self.mac
            .hex(&[fact_path.as_bytes(), &[0], value_json.as_bytes()])
    }
}

/// The JSON text of `facts` for the decision log: the declared facts of
/// `layout`, personal values replaced by their keyed hashes. Unknown facts
/// (absent or null) are left out, personal or not.
pub fn facts_for_log(
    layout: &Layout,
    facts: &Facts,
    key: Option<&PersonalKey>,
) -> Result<String, PersonalKeyMissing> {
    let Some(key) = key else {
        let mut unhashed = Vec::new();
        personal_given(layout, "", &facts.values, &mut unhashed);
        if !unhashed.is_empty() {
            return Err(PersonalKeyMissing { facts: unhashed });
        }
        return Ok(facts::to_json_text(layout, facts));
    };
    let record = Logged {
        layout,
        prefix: String::new(),
        values: &facts.values,
        key,
    };
    // Writing strings, bools, numbers and string-keyed maps to a string
    // never fails (`Logged` returns no error of its own).
    Ok(serde_json::to_string(&record).unwrap_or_default())
}

/// Notes in `unhashed` the path of every personal fact given in a record.
fn personal_given(
    layout: &Layout,
    prefix: &str,
    values: &[Option<FactValue>],
    unhashed: &mut Vec<String>,
) {
    for (field, value) in layout.fields.iter().zip(values) {
        let Some(value) = value else { continue };
        let path = format!("{prefix}{}", field.name);
        if field.personal {
            if !unhashed.contains(&path) {
                unhashed.push(path);
            }
        } else if let (ValueType::List { element }, FactValue::List(items)) = (&field.ty, value) {
            let prefix = format!("{path}[].");
            for item in items {
                personal_given(element, &prefix, item, unhashed);
            }
        }
    }
}

/// One record of facts as the log keeps it (fields in declaration order),
/// every personal value replaced by `{"hmac_sha256": "<hex>"}`.
struct Logged<'a> {
    layout: &'a Layout,
    /// The record's path (`household[].`), empty at the top.
    prefix: String,
    values: &'a [Option<FactValue>],
    key: &'a PersonalKey,
}

impl Serialize for Logged<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (field, value) in self.layout.fields.iter().zip(self.values) {
            let Some(value) = value else { continue };
            let path = format!("{}{}", self.prefix, field.name);
            if field.personal {
                let text = serde_json::to_string(&facts::ValueJson(&field.ty, value))
                    .map_err(serde::ser::Error::custom)?;
                let hash = self.key.hash(&path, &text);
                map.serialize_entry(&field.name, &Hmac { hmac_sha256: &hash })?;
            } else if let (ValueType::List { element }, FactValue::List(items)) = (&field.ty, value)
            {
                let prefix = format!("{path}[].");
                let items: Vec<Logged<'_>> = items
                    .iter()
                    .map(|values| Logged {
                        layout: element,
                        prefix: prefix.clone(),
                        values,
                        key: self.key,
                    })
                    .collect();
                map.serialize_entry(&field.name, &items)?;
            } else {
                map.serialize_entry(&field.name, &facts::ValueJson(&field.ty, value))?;
            }
        }
        map.end()
    }
}

/// A personal value's place in the log.
#[derive(serde::Serialize)]
struct Hmac<'a> {
    hmac_sha256: &'a str,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::Policy;
    use serde_json::{json, Value as Json};

    const POLICY: &str = r#"
        policy p
        input {
          date_of_birth: date personal
          income: money
          household: list of {
            name: text personal
            age: int
            jobs: list of { employer: text personal, pay: money }
          }
          addresses: list of { postcode: text, years: int } personal
        }
        decision n: int = count(household)
    "#;

    fn policy() -> Policy {
        Policy::from_source("p.rules", POLICY).unwrap()
    }

    fn log(text: &str, key: Option<&[u8]>) -> Result<Json, PersonalKeyMissing> {
        let p = policy();
        let facts = p.parse_facts(text).unwrap();
        p.facts_for_log(&facts, key)
            .map(|t| serde_json::from_str(&t).unwrap())
    }

    /// The scheme written out independently of `LabelledKey`.
    fn expected_hash(key: &[u8], path: &str, value: &str) -> String {
        use hmac::{Hmac, Mac};
        type HmacSha256 = Hmac<sha2::Sha256>;
        let mut derive = HmacSha256::new_from_slice(key).unwrap();
        derive.update(b"rulebook personal v1");
        let derived = derive.finalize().into_bytes();
        let mut mac = HmacSha256::new_from_slice(&derived).unwrap();
        mac.update(format!("{path}\0{value}").as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn the_hash_scheme_is_fixed() {
        // computed independently: Python's hmac module, the scheme of the module docs
        let k = PersonalKey::new(b"operator secret").unwrap();
        assert_eq!(
            k.hash("date_of_birth", "\"1950-01-31\""),
            "c05b539fc370f1d0cce3c23b6b517d2ddcbcbb2112c67680bf8f6cb04b76d15e"
        );
    }

    #[test]
    fn only_declared_facts_in_canonical_form() {
        let out = log(
            r#"{"income": 12.5, "nickname": "Bob", "household": [{"age": 4, "shoe": 30}]}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"income": "12.50", "household": [{"age": 4}]}),
            "undeclared fields are left out, money is written as in the output"
        );
    }

    #[test]
    fn personal_scalar_element_field_and_list_are_hashed() {
        let key = b"operator secret";
        let out = log(
            r#"{
              "date_of_birth": "1950-01-31",
              "income": "100",
              "household": [
                {"name": "Ann", "age": 70, "jobs": [{"employer": "Acme", "pay": 5}]},
                {"age": 3}
              ],
              "addresses": [{"postcode": "EH1 1AA", "years": 2}]
            }"#,
            Some(key),
        )
        .unwrap();
        let h = |path: &str, value: &str| json!({ "hmac_sha256": expected_hash(key, path, value) });
        assert_eq!(
            out,
            json!({
                "date_of_birth": h("date_of_birth", "\"1950-01-31\""),
                "income": "100.00",
                "household": [
                    {"name": h("household[].name", "\"Ann\""), "age": 70,
                     "jobs": [{"employer": h("household[].jobs[].employer", "\"Acme\""), "pay": "5.00"}]},
                    {"age": 3}
                ],
                "addresses": h("addresses", r#"[{"postcode":"EH1 1AA","years":2}]"#)
            })
        );
        let text = out.to_string();
        for clear in ["1950", "Ann", "Acme", "EH1"] {
            assert!(!text.contains(clear), "{clear} in {text}");
        }
    }

    #[test]
    fn equal_values_hash_alike_and_keys_and_facts_apart() {
        let key = b"k1";
        let a = log(r#"{"date_of_birth": "1950-01-31"}"#, Some(key)).unwrap();
        let b = log(r#"{"income": 1, "date_of_birth": "1950-01-31"}"#, Some(key)).unwrap();
        assert_eq!(a["date_of_birth"], b["date_of_birth"]);
        let other_key = log(r#"{"date_of_birth": "1950-01-31"}"#, Some(b"k2")).unwrap();
        assert_ne!(a["date_of_birth"], other_key["date_of_birth"]);
        let other_day = log(r#"{"date_of_birth": "1950-02-01"}"#, Some(key)).unwrap();
        assert_ne!(a["date_of_birth"], other_day["date_of_birth"]);
        // the same name in two elements: one hash; the path is part of the hash
        let two = log(
            r#"{"household": [{"name": "Ann"}, {"name": "Ann"}, {"name": "Bob"}]}"#,
            Some(key),
        )
        .unwrap();
        let names: Vec<&Json> = (0..3).map(|i| &two["household"][i]["name"]).collect();
        assert_eq!(names[0], names[1]);
        assert_ne!(names[0], names[2]);
        let k = PersonalKey::new(key).unwrap();
        assert_ne!(k.hash("a", "\"x\""), k.hash("b", "\"x\""));
    }

    #[test]
    fn without_a_key_personal_values_are_refused_by_name() {
        let err = log(
            r#"{"date_of_birth": "1950-01-31", "household": [{"name": "A"}, {"name": "B"}]}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(err.facts, ["date_of_birth", "household[].name"]);
        let msg = err.to_string();
        assert!(msg.contains("date_of_birth, household[].name"), "{msg}");
        assert!(msg.contains("no log key"), "{msg}");
        // a whole personal list, even empty, is a value
        let err = log(r#"{"addresses": []}"#, None).unwrap_err();
        assert_eq!(err.facts, ["addresses"]);
        assert_eq!(err.to_string(), "personal fact addresses given but there is no log key to hash it with, and it is never logged in the clear");
        // an empty key is no key
        let err = log(r#"{"date_of_birth": "1950-01-31"}"#, Some(b"")).unwrap_err();
        assert_eq!(err.facts, ["date_of_birth"]);
    }

    #[test]
    fn unknown_personal_facts_need_no_key() {
        let out = log(
            r#"{"date_of_birth": null, "income": 3, "household": [{"name": null, "age": 1}]}"#,
            None,
        )
        .unwrap();
        assert_eq!(out, json!({"income": "3.00", "household": [{"age": 1}]}));
        assert_eq!(log("{}", None).unwrap(), json!({}));
    }
}
