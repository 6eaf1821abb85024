//! `personal` input fields (docs/serving.md, the decision log): the mark reaches the
//! compiled module's metadata, and what the decision log may keep of facts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::meta::{FieldMeta, Layout, ValueType, META_SECTION};
use rulebook::Policy;

const POLICY: &str = r#"
policy benefit
input {
  date_of_birth: date personal
  age: int
  household: list of {
    name: text personal
    age: int
  }
  addresses: list of { postcode: text, years: int } personal
}
decision adult: bool = age >= 18
"#;

/// The field `name` of a layout.
fn field<'a>(layout: &'a Layout, name: &str) -> &'a FieldMeta {
    layout.fields.iter().find(|f| f.name == name).unwrap()
}

fn element(layout: &Layout, list: &str) -> Layout {
    match &field(layout, list).ty {
        ValueType::List { element } => element.clone(),
        t => panic!("{list} is {t:?}"),
    }
}

/// The JSON text of a module's `rulebook.meta` section.
fn meta_text(wasm: &[u8]) -> String {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CustomSection(c) = payload.unwrap() {
            if c.name() == META_SECTION {
                return String::from_utf8(c.data().to_vec()).unwrap();
            }
        }
    }
    panic!("no {META_SECTION} section");
}

#[test]
fn personal_marks_reach_the_metadata_of_a_module_loaded_without_its_source() {
    let compiled = Policy::from_source("benefit.rules", POLICY).unwrap();
    let loaded = Policy::from_wasm("benefit.wasm", compiled.wasm().to_vec()).unwrap();
    assert!(rulebook::__private::program(&loaded).is_none());
    let input = &loaded.meta().input;
    assert!(field(input, "date_of_birth").personal);
    assert!(!field(input, "age").personal);
    assert!(!field(input, "household").personal);
    let household = element(input, "household");
    assert!(field(&household, "name").personal);
    assert!(!field(&household, "age").personal);
    assert!(field(input, "addresses").personal);
    let addresses = element(input, "addresses");
    assert!(!field(&addresses, "postcode").personal);
    // the metadata says so in JSON, once per marked field
    assert_eq!(
        meta_text(compiled.wasm())
            .matches("\"personal\":true")
            .count(),
        3
    );
}

#[test]
fn metadata_without_personal_marks_is_unchanged_and_still_loads() {
    // a policy without `personal` writes no `personal` key: its metadata is
    // what modules compiled before the mark existed carry
    let plain = Policy::from_source("plain.rules", &POLICY.replace(" personal", "")).unwrap();
    let text = meta_text(plain.wasm());
    assert!(!text.contains("personal"), "{text}");
    let loaded = Policy::from_wasm("plain.wasm", plain.wasm().to_vec()).unwrap();
    assert!(loaded.meta().input.fields.iter().all(|f| !f.personal));
    // a field entry without the key reads as not personal
    let f: FieldMeta =
        serde_json::from_str(r#"{"name": "age", "fact": 0, "offset": 8, "type": {"kind": "int"}}"#)
            .unwrap();
    assert!(!f.personal);
}

#[test]
fn personal_does_not_change_the_layout_id() {
    // field handles of one layout work on the other: the slots are the same
    let marked = Policy::from_source("a.rules", POLICY).unwrap();
    let plain = Policy::from_source("b.rules", &POLICY.replace(" personal", "")).unwrap();
    assert_ne!(marked.meta().input, plain.meta().input);
    assert_eq!(marked.meta().input.id(), plain.meta().input.id());
}

#[test]
fn a_module_loaded_without_its_source_hashes_its_personal_facts() {
    let compiled = Policy::from_source("benefit.rules", POLICY).unwrap();
    let loaded = Policy::from_wasm("benefit.wasm", compiled.wasm().to_vec()).unwrap();
    let text = r#"{"date_of_birth": "1950-01-31", "age": 76, "other": 1,
                   "household": [{"name": "Ann", "age": 70}],
                   "addresses": [{"postcode": "EH1 1AA", "years": 3}]}"#;
    let facts = loaded.parse_facts(text).unwrap();
    let from_module = loaded.facts_for_log(&facts, Some(b"key")).unwrap();
    let from_source = compiled
        .facts_for_log(&compiled.parse_facts(text).unwrap(), Some(b"key"))
        .unwrap();
    assert_eq!(from_module, from_source);
    let v: serde_json::Value = serde_json::from_str(&from_module).unwrap();
    assert_eq!(v["age"], 76);
    assert!(v.get("other").is_none());
    assert!(v["date_of_birth"]["hmac_sha256"].is_string());
    assert!(v["household"][0]["name"]["hmac_sha256"].is_string());
    assert_eq!(v["household"][0]["age"], 70);
    assert!(v["addresses"]["hmac_sha256"].is_string());
    for clear in ["1950", "Ann", "EH1"] {
        assert!(!from_module.contains(clear), "{clear} in {from_module}");
    }
    let err = loaded.facts_for_log(&facts, None).unwrap_err();
    assert_eq!(
        err.facts,
        ["date_of_birth", "household[].name", "addresses"]
    );
}

#[test]
fn the_shipped_examples_log_no_date_of_birth_postcode_or_reference() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("rules");
    for (name, personal) in [
        (
            "pension_credit",
            &["date_of_birth", "partner_date_of_birth"][..],
        ),
        (
            "casework_routing",
            &["reference", "postcode", "claimant_date_of_birth"][..],
        ),
        (
            "council_tax_reduction",
            &["applicant_date_of_birth", "household[].date_of_birth"][..],
        ),
    ] {
        let policy = Policy::from_file(root.join(format!("{name}.rules"))).unwrap();
        let text = std::fs::read_to_string(root.join(format!("{name}.example.json"))).unwrap();
        let facts = policy.parse_facts(&text).unwrap();
        let err = policy.facts_for_log(&facts, None).unwrap_err();
        assert_eq!(err.facts, personal, "{name}");
        let logged = policy.facts_for_log(&facts, Some(b"k")).unwrap();
        let given: serde_json::Value = serde_json::from_str(&text).unwrap();
        for path in personal {
            let top = path.split('[').next().unwrap();
            let clear = match &given[top] {
                serde_json::Value::String(s) => vec![s.clone()],
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i["date_of_birth"].as_str().map(String::from))
                    .collect(),
                v => panic!("{name}: {path} is {v}"),
            };
            assert!(!clear.is_empty(), "{name}: {path}");
            for value in clear {
                assert!(!logged.contains(&value), "{name}: {value} in {logged}");
            }
        }
    }
}
