#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! docs/abi.md is enough to evaluate a compiled policy module: this file is a
//! host written only from that page, as a host in another language would be.
//!
//! It takes nothing from the `rulebook` crate but the module bytes
//! (`Policy::wasm`) and the reference decisions JSON (`Policy::evaluate_json`).
//! Everything else is implemented here from the document: reading the
//! `rulebook.meta` custom section and its JSON, converting JSON facts to slot
//! values (exact decimals and money, civil dates, texts, enums, nested lists),
//! laying out fact records with presence bits in linear memory (in a different
//! arrangement from the crate's runtime: results first, then records, then
//! texts and list elements, with the result area and the slots of unknown
//! facts pre-filled with garbage),
//! growing memory, calling `evaluate` on single records and on batches,
//! decoding result records (status, detail, values, when-clause index,
//! missing bits, reason bits, texts) and formatting the decisions JSON and the
//! evaluation error messages. Every result must equal the crate's output
//! exactly, for every shipped policy in `rules/` and for inline policies that
//! use every value type, more than 64 facts and require clauses (multi-word
//! bitsets), and every error status.

use rulebook::{Date, Policy};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use wasmtime::{Engine, Instance, Memory, Module, Store, TypedFunc};

const PAGE: usize = 65536;
const ABI_VERSION: u64 = 1;
const MAX_PAGES: u64 = 1024;

// ---------------------------------------------------------------------------
// Metadata (docs/abi.md, "Metadata" and "Fact records")
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Type {
    Bool,
    Int,
    Decimal,
    Money,
    Date,
    Text,
    Enum(Vec<String>),
    List(Layout),
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    fact: usize,
    offset: usize,
    ty: Type,
}

#[derive(Debug, Clone)]
struct Layout {
    size: usize,
    presence_words: usize,
    fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Expr,
    Requires,
    Whens,
}

#[derive(Debug, Clone)]
struct Clause {
    line: u64,
    because: Option<String>,
    source: Option<String>,
    text: String,
}

#[derive(Debug, Clone)]
struct Decision {
    name: String,
    ty: Type,
    kind: Kind,
    offset: usize,
    reason_words: usize,
    clauses: Vec<Clause>,
}

#[derive(Debug, Clone)]
struct Meta {
    policy: String,
    version: Value,
    hash: String,
    heap_base: usize,
    input: Layout,
    fact_paths: Vec<String>,
    missing_words: usize,
    result_size: usize,
    decisions: Vec<Decision>,
    /// (name, first_from)
    params: Vec<(String, Option<String>)>,
    /// (context, line)
    sites: Vec<(String, u64)>,
}

fn key<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k)
        .unwrap_or_else(|| panic!("metadata: no key `{k}` in {v}"))
}

fn uint(v: &Value, k: &str) -> usize {
    key(v, k)
        .as_u64()
        .unwrap_or_else(|| panic!("metadata: `{k}` is not an unsigned integer")) as usize
}

fn string(v: &Value, k: &str) -> String {
    key(v, k)
        .as_str()
        .unwrap_or_else(|| panic!("metadata: `{k}` is not a string"))
        .to_string()
}

fn opt_string(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn array<'a>(v: &'a Value, k: &str) -> &'a Vec<Value> {
    key(v, k)
        .as_array()
        .unwrap_or_else(|| panic!("metadata: `{k}` is not an array"))
}

fn parse_type(v: &Value) -> Type {
    match string(v, "kind").as_str() {
        "bool" => Type::Bool,
        "int" => Type::Int,
        "decimal" => Type::Decimal,
        "money" => Type::Money,
        "date" => Type::Date,
        "text" => Type::Text,
        "enum" => Type::Enum(
            array(v, "variants")
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
        ),
        "list" => Type::List(parse_layout(key(v, "element"))),
        other => panic!("metadata: unknown type kind {other}"),
    }
}

fn parse_layout(v: &Value) -> Layout {
    Layout {
        size: uint(v, "size"),
        presence_words: uint(v, "presence_words"),
        fields: array(v, "fields")
            .iter()
            .map(|f| Field {
                name: string(f, "name"),
                fact: uint(f, "fact"),
                offset: uint(f, "offset"),
                ty: parse_type(key(f, "type")),
            })
            .collect(),
    }
}

fn parse_meta(v: &Value) -> Meta {
    let decisions = array(v, "decisions")
        .iter()
        .map(|d| Decision {
            name: string(d, "name"),
            ty: parse_type(key(d, "type")),
            kind: match string(d, "kind").as_str() {
                "expr" => Kind::Expr,
                "requires" => Kind::Requires,
                "whens" => Kind::Whens,
                other => panic!("metadata: unknown decision kind {other}"),
            },
            offset: uint(d, "offset"),
            // Only described for `requires` decisions; absent means none.
            reason_words: d.get("reason_words").and_then(Value::as_u64).unwrap_or(0) as usize,
            clauses: d
                .get("clauses")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .map(|c| Clause {
                            line: key(c, "line").as_u64().unwrap(),
                            because: opt_string(c, "because"),
                            source: opt_string(c, "source"),
                            text: string(c, "text"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Meta {
        policy: string(v, "policy"),
        version: v.get("version").cloned().unwrap_or(Value::Null),
        hash: string(v, "hash"),
        heap_base: uint(v, "heap_base"),
        input: parse_layout(key(v, "input")),
        fact_paths: array(v, "fact_paths")
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
        missing_words: uint(v, "missing_words"),
        result_size: uint(v, "result_size"),
        decisions,
        params: array(v, "params")
            .iter()
            .map(|p| (string(p, "name"), opt_string(p, "first_from")))
            .collect(),
        sites: array(v, "sites")
            .iter()
            .map(|s| (string(s, "context"), key(s, "line").as_u64().unwrap()))
            .collect(),
    }
}

/// The `rulebook.meta` custom section, checked for ABI version 1 first.
fn read_meta(wasm: &[u8]) -> (Value, Meta) {
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CustomSection(c) = payload.unwrap() {
            if c.name() == "rulebook.meta" {
                assert!(found.is_none(), "two rulebook.meta sections");
                found = Some(c.data().to_vec());
            }
        }
    }
    let bytes = found.expect("the module has no rulebook.meta custom section");
    let text = std::str::from_utf8(&bytes).expect("rulebook.meta is not UTF-8");
    let json: Value = serde_json::from_str(text).expect("rulebook.meta is not JSON");
    assert_eq!(
        json.get("abi_version").and_then(Value::as_u64),
        Some(ABI_VERSION),
        "refusing a module of another ABI version"
    );
    let meta = parse_meta(&json);
    (json, meta)
}

// ---------------------------------------------------------------------------
// Values: exact numbers and civil dates
// ---------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn parse_date(s: &str) -> i64 {
    let b = s.as_bytes();
    assert!(
        b.len() == 10 && b[4] == b'-' && b[7] == b'-',
        "not a YYYY-MM-DD date: {s}"
    );
    let y: i64 = s[0..4].parse().unwrap();
    let m: i64 = s[5..7].parse().unwrap();
    let d: i64 = s[8..10].parse().unwrap();
    let days = days_from_civil(y, m, d);
    assert_eq!(civil_from_days(days), (y, m, d), "not a calendar date: {s}");
    days
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// An exact decimal text (`-12.5`, `3`, `0.000001`) scaled by 10^places.
fn parse_fixed(s: &str, places: u32) -> i64 {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|c| c.is_ascii_digit())
            && frac.bytes().all(|c| c.is_ascii_digit())
            && frac.len() <= places as usize,
        "not an exact number with at most {places} decimals: {s}"
    );
    let mut v: i128 = whole.parse().unwrap();
    for i in 0..places as usize {
        let digit = frac.as_bytes().get(i).map_or(0, |c| i128::from(c - b'0'));
        v = v * 10 + digit;
    }
    i64::try_from(if neg { -v } else { v }).expect("number out of range")
}

/// The text of a JSON number or string holding a number (exact: with
/// serde_json's arbitrary_precision a Number keeps its source text).
fn number_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("expected a number, got {other}"),
    }
}

fn format_money(pence: i64) -> String {
    let a = pence.unsigned_abs();
    let sign = if pence < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

fn format_decimal(scaled: i64) -> String {
    let a = scaled.unsigned_abs();
    let sign = if scaled < 0 { "-" } else { "" };
    let (whole, frac) = (a / 1_000_000, a % 1_000_000);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{frac:06}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

// ---------------------------------------------------------------------------
// Writing fact records
// ---------------------------------------------------------------------------

fn put_i64(buf: &mut [u8], at: usize, v: i64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_i64(data: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

fn get_i32(data: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

fn align8(buf: &mut Vec<u8>) {
    buf.resize(buf.len().next_multiple_of(8), 0);
}

/// Writes the record `obj` at `buf[at..at + layout.size]`; texts and list
/// elements are appended to `buf`, which sits in memory at address `base`.
fn write_record(buf: &mut Vec<u8>, base: usize, at: usize, layout: &Layout, obj: &Value) {
    let obj = obj.as_object().expect("a record must be a JSON object");
    for (i, field) in layout.fields.iter().enumerate() {
        let value = match obj.get(&field.name) {
            None | Some(Value::Null) => {
                // Unknown: presence bit clear. The slot is then never read,
                // so garbage in it must not matter.
                put_i64(buf, at + field.offset, 0x5A5A_5A5A_5A5A_5A5A);
                continue;
            }
            Some(v) => v,
        };
        let word_at = at + 8 * (i / 64);
        assert!(i / 64 < layout.presence_words);
        let word = get_i64(buf, word_at) as u64 | (1u64 << (i % 64));
        put_i64(buf, word_at, word as i64);
        let slot = encode(buf, base, &field.ty, value);
        put_i64(buf, at + field.offset, slot);
    }
}

fn pack(ptr: usize, len: usize) -> i64 {
    let ptr = u32::try_from(ptr).unwrap();
    let len = u32::try_from(len).unwrap();
    i64::from(ptr) | (i64::from(len) << 32)
}

fn encode(buf: &mut Vec<u8>, base: usize, ty: &Type, v: &Value) -> i64 {
    match ty {
        Type::Bool => i64::from(v.as_bool().expect("expected a bool")),
        Type::Int => v.as_i64().expect("expected an int"),
        Type::Decimal => parse_fixed(&number_text(v), 6),
        Type::Money => parse_fixed(&number_text(v), 2),
        Type::Date => parse_date(v.as_str().expect("expected a date string")),
        Type::Text => {
            let s = v.as_str().expect("expected a text");
            let ptr = base + buf.len();
            buf.extend_from_slice(s.as_bytes());
            pack(ptr, s.len())
        }
        Type::Enum(variants) => {
            let s = v.as_str().expect("expected an enum string");
            variants
                .iter()
                .position(|x| x == s)
                .unwrap_or_else(|| panic!("{s} is not one of {variants:?}")) as i64
        }
        Type::List(element) => {
            let items = v.as_array().expect("expected a list");
            align8(buf);
            let start = buf.len();
            buf.resize(start + items.len() * element.size, 0);
            for (j, item) in items.iter().enumerate() {
                write_record(buf, base, start + j * element.size, element, item);
            }
            pack(base + start, items.len())
        }
    }
}

// ---------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------

struct Host {
    meta: Meta,
    store: Store<()>,
    memory: Memory,
    evaluate: TypedFunc<(i32, i32, i32, i32), i32>,
}

impl Host {
    fn new(wasm: &[u8]) -> Host {
        let (_, meta) = read_meta(wasm);
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).unwrap();
        assert_eq!(module.imports().len(), 0, "the module must import nothing");
        let exports: BTreeSet<String> = module.exports().map(|e| e.name().to_string()).collect();
        assert_eq!(
            exports,
            BTreeSet::from(["evaluate".to_string(), "memory".to_string()])
        );
        let mem_ty = module
            .get_export("memory")
            .and_then(|e| e.memory().cloned())
            .expect("`memory` is not a memory");
        assert_eq!(mem_ty.maximum(), Some(MAX_PAGES), "declared maximum");
        assert!(module
            .get_export("evaluate")
            .and_then(|e| e.func().cloned())
            .is_some());
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let evaluate = instance
            .get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, "evaluate")
            .unwrap();
        assert!(
            memory.data_size(&store) >= meta.heap_base,
            "initial memory holds the constants"
        );
        Host {
            meta,
            store,
            memory,
            evaluate,
        }
    }

    /// Evaluates a batch of facts objects in one `evaluate` call.
    fn evaluate(&mut self, records: &[Value], as_of: i64) -> Vec<Result<Value, String>> {
        let meta = &self.meta;
        let count = records.len();
        // This host's own arrangement, from heap_base: result records (filled
        // with garbage, to show the module writes everything it reports),
        // then fact records, then texts and list elements.
        let base = meta.heap_base.next_multiple_of(8);
        let mut buf = vec![0xA5u8; count * meta.result_size];
        align8(&mut buf);
        let records_at = buf.len();
        buf.resize(records_at + count * meta.input.size, 0);
        for (i, r) in records.iter().enumerate() {
            write_record(
                &mut buf,
                base,
                records_at + i * meta.input.size,
                &meta.input,
                r,
            );
        }
        let end = base + buf.len();
        let have = self.memory.data_size(&self.store);
        if end > have {
            let pages = (end - have).div_ceil(PAGE) as u64;
            self.memory.grow(&mut self.store, pages).unwrap();
        }
        self.memory.write(&mut self.store, base, &buf).unwrap();
        let status = self
            .evaluate
            .call(
                &mut self.store,
                (
                    i32::try_from(base + records_at).unwrap(),
                    i32::try_from(count).unwrap(),
                    i32::try_from(base).unwrap(),
                    i32::try_from(as_of).unwrap(),
                ),
            )
            .unwrap();
        assert_eq!(status, 0, "evaluate always returns 0");
        let data = self.memory.data(&self.store);
        (0..count)
            .map(|i| {
                let mut out = decode(meta, data, base + i * meta.result_size, as_of)?;
                // the facts given that `input` does not declare, as the doc says
                let mut ignored = Vec::new();
                undeclared(&meta.input, &records[i], "", &mut ignored);
                if !ignored.is_empty() {
                    out["ignored"] = Value::Array(ignored.into_iter().map(Value::String).collect());
                }
                Ok(out)
            })
            .collect()
    }
}

/// The undeclared fact names of a facts object: `name`, or `list[].name`
/// inside list elements, each once, in the order given.
fn undeclared(layout: &Layout, obj: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(map) = obj.as_object() else {
        return;
    };
    for (key, value) in map {
        match layout.fields.iter().find(|f| f.name == *key) {
            None => {
                let path = format!("{prefix}{key}");
                if !out.contains(&path) {
                    out.push(path);
                }
            }
            Some(Field {
                ty: Type::List(element),
                ..
            }) => {
                for item in value.as_array().into_iter().flatten() {
                    undeclared(element, item, &format!("{prefix}{key}[]."), out);
                }
            }
            Some(_) => {}
        }
    }
}

// ---------------------------------------------------------------------------
// Reading result records and formatting the decisions JSON
// ---------------------------------------------------------------------------

fn set_bits(data: &[u8], at: usize, words: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for w in 0..words {
        let bits = get_i64(data, at + 8 * w) as u64;
        out.extend((0..64).filter(|b| bits >> b & 1 == 1).map(|b| w * 64 + b));
    }
    out
}

fn format_value(ty: &Type, v: i64, data: &[u8]) -> Value {
    match ty {
        Type::Bool => {
            assert!(v == 0 || v == 1, "bool value {v}");
            Value::Bool(v == 1)
        }
        Type::Int => json!(v),
        Type::Decimal => Value::String(format_decimal(v)),
        Type::Money => Value::String(format_money(v)),
        Type::Date => Value::String(format_date(v)),
        Type::Enum(variants) => Value::String(variants[usize::try_from(v).unwrap()].clone()),
        Type::Text => {
            let (ptr, len) = ((v as u64 & 0xffff_ffff) as usize, (v as u64 >> 32) as usize);
            Value::String(
                std::str::from_utf8(&data[ptr..ptr + len])
                    .unwrap()
                    .to_string(),
            )
        }
        Type::List(_) => panic!("a decision cannot be a list"),
    }
}

fn paths(meta: &Meta, facts: impl IntoIterator<Item = usize>) -> Value {
    Value::Array(
        facts
            .into_iter()
            .map(|f| Value::String(meta.fact_paths[f].clone()))
            .collect(),
    )
}

fn decode(meta: &Meta, data: &[u8], at: usize, as_of: i64) -> Result<Value, String> {
    let status = get_i32(data, at);
    let detail = usize::try_from(get_i32(data, at + 4)).unwrap();
    let day = format_date(as_of);
    match status {
        0 => {}
        1 | 2 => {
            let (context, line) = &meta.sites[detail];
            let what = if status == 1 {
                "overflow"
            } else {
                "division by zero"
            };
            return Err(format!(
                "evaluation error: {what} in {context} (line {line})"
            ));
        }
        3 => {
            let (name, first) = &meta.params[detail];
            let first = first.as_deref().expect("param has no first_from");
            return Err(format!(
                "evaluation error: param {name} has no value on {day} (its first `from` is {first})"
            ));
        }
        4 => {
            let name = &meta.decisions[detail].name;
            return Err(format!(
                "evaluation error: no clause of decision {name} applies on {day}"
            ));
        }
        other => panic!("unknown status {other}"),
    }
    let mut decisions = Map::new();
    let mut all_missing = BTreeSet::new();
    for d in &meta.decisions {
        let off = at + d.offset;
        let value = get_i64(data, off);
        let aux = get_i64(data, off + 8);
        let missing = set_bits(data, off + 16, meta.missing_words);
        let mut obj = Map::new();
        if !missing.is_empty() {
            obj.insert("value".into(), Value::Null);
            obj.insert("missing".into(), paths(meta, missing.iter().copied()));
            all_missing.extend(missing);
            decisions.insert(d.name.clone(), Value::Object(obj));
            continue;
        }
        obj.insert("value".into(), format_value(&d.ty, value, data));
        match d.kind {
            Kind::Requires => {
                let reasons = set_bits(data, off + 16 + 8 * meta.missing_words, d.reason_words);
                assert_eq!(
                    value == 0,
                    !reasons.is_empty(),
                    "{}: a false requires decision has reason bits, a true one none",
                    d.name
                );
                if value == 0 {
                    let list = reasons
                        .iter()
                        .map(|&i| {
                            let c = &d.clauses[i];
                            let mut r = Map::new();
                            r.insert(
                                "because".into(),
                                Value::String(c.because.clone().unwrap_or_else(|| c.text.clone())),
                            );
                            if let Some(s) = &c.source {
                                r.insert("source".into(), Value::String(s.clone()));
                            }
                            r.insert("line".into(), json!(c.line));
                            Value::Object(r)
                        })
                        .collect();
                    obj.insert("reasons".into(), Value::Array(list));
                }
            }
            Kind::Whens => {
                let clause = &d.clauses[usize::try_from(aux).unwrap()];
                obj.insert("line".into(), json!(clause.line));
                if let Some(b) = &clause.because {
                    obj.insert("because".into(), Value::String(b.clone()));
                }
                if let Some(s) = &clause.source {
                    obj.insert("source".into(), Value::String(s.clone()));
                }
            }
            Kind::Expr => {}
        }
        decisions.insert(d.name.clone(), Value::Object(obj));
    }
    // An OK record's detail: 1 (all known) exactly when no decision misses
    // a fact, else 0.
    assert_eq!(
        detail,
        usize::from(all_missing.is_empty()),
        "detail of an OK record with missing facts {all_missing:?}"
    );
    let mut out = Map::new();
    out.insert("policy".into(), Value::String(meta.policy.clone()));
    out.insert("version".into(), meta.version.clone());
    out.insert("hash".into(), Value::String(meta.hash.clone()));
    out.insert("as_of".into(), Value::String(day));
    out.insert("decisions".into(), Value::Object(decisions));
    out.insert("missing".into(), paths(meta, all_missing));
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------
// Comparing with the crate
// ---------------------------------------------------------------------------

#[derive(Default, Debug)]
struct Tally {
    records: usize,
    errors: BTreeSet<String>,
    unknown: usize,
    reasons: usize,
    whens: usize,
}

impl Tally {
    fn add(&mut self, r: &Result<Value, String>) {
        self.records += 1;
        match r {
            Err(e) => {
                self.errors.insert(e.clone());
            }
            Ok(v) => {
                for d in v["decisions"].as_object().unwrap().values() {
                    self.unknown += usize::from(d.get("missing").is_some());
                    self.reasons += usize::from(d.get("reasons").is_some());
                    self.whens += usize::from(d.get("line").is_some());
                }
            }
        }
    }
}

fn show(r: &Result<Value, String>) -> String {
    match r {
        Ok(v) => serde_json::to_string_pretty(v).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

fn expected(policy: &Policy, facts: &Value, as_of: &str) -> Result<Value, String> {
    policy
        .evaluate_json(&facts.to_string(), Date::parse(as_of).unwrap())
        .map_err(|e| e.to_string())
}

/// Evaluates every case on every date, one record per call and then all of
/// them in one batch, and compares with the crate's decisions JSON.
fn check_policy(policy: &Policy, cases: &[(String, Value)], dates: &[&str]) -> Tally {
    let mut host = Host::new(policy.wasm());
    let mut tally = Tally::default();
    for as_of in dates {
        let day = parse_date(as_of);
        assert_eq!(day, i64::from(Date::parse(as_of).unwrap().0), "{as_of}");
        let want: Vec<_> = cases
            .iter()
            .map(|(_, f)| expected(policy, f, as_of))
            .collect();
        for ((name, facts), want) in cases.iter().zip(&want) {
            if let Err(e) = want {
                assert!(
                    e.starts_with("evaluation error: ") && !e.contains("module failed"),
                    "{}: case {name} is not a valid evaluation: {e}",
                    policy.path()
                );
            }
            let got = host
                .evaluate(std::slice::from_ref(facts), day)
                .pop()
                .unwrap();
            assert!(
                got == *want,
                "{}: case `{name}` on {as_of}\nthis host:\n{}\nthe crate:\n{}",
                policy.path(),
                show(&got),
                show(want)
            );
            tally.add(&got);
        }
        let facts: Vec<Value> = cases.iter().map(|(_, f)| f.clone()).collect();
        let got = host.evaluate(&facts, day);
        for (((name, _), got), want) in cases.iter().zip(&got).zip(&want) {
            assert!(
                got == want,
                "{}: case `{name}` on {as_of}, in a batch of {}\nthis host:\n{}\nthe crate:\n{}",
                policy.path(),
                cases.len(),
                show(got),
                show(want)
            );
        }
    }
    tally
}

/// Variations of a facts object: each top-level fact removed and set to
/// null, each bool flipped, each list emptied, each field of the first
/// element of each list removed, and everything removed.
fn variations(name: &str, base: &Value) -> Vec<(String, Value)> {
    let obj = base.as_object().unwrap();
    let mut out = vec![
        (name.to_string(), base.clone()),
        (format!("{name} with no facts"), json!({})),
    ];
    for (k, v) in obj {
        let mut removed = obj.clone();
        removed.remove(k);
        out.push((format!("{name} without {k}"), Value::Object(removed)));
        let mut null = obj.clone();
        null.insert(k.clone(), Value::Null);
        out.push((format!("{name} with {k} null"), Value::Object(null)));
        if let Some(b) = v.as_bool() {
            let mut flipped = obj.clone();
            flipped.insert(k.clone(), Value::Bool(!b));
            out.push((format!("{name} with {k} = {}", !b), Value::Object(flipped)));
        }
        if let Some(items) = v.as_array() {
            let mut empty = obj.clone();
            empty.insert(k.clone(), json!([]));
            out.push((format!("{name} with {k} empty"), Value::Object(empty)));
            if let Some(first) = items.first().and_then(Value::as_object) {
                for field in first.keys() {
                    let mut element = first.clone();
                    element.remove(field);
                    let mut list = items.clone();
                    list[0] = Value::Object(element);
                    let mut changed = obj.clone();
                    changed.insert(k.clone(), Value::Array(list));
                    out.push((
                        format!("{name} without {k}[0].{field}"),
                        Value::Object(changed),
                    ));
                }
            }
        }
    }
    out
}

/// `base` with some fields replaced (null removes nothing: it is a null fact).
fn with(name: &str, base: &Value, changes: Value) -> (String, Value) {
    let mut obj = base.as_object().unwrap().clone();
    for (k, v) in changes.as_object().unwrap() {
        obj.insert(k.clone(), v.clone());
    }
    (name.to_string(), Value::Object(obj))
}

fn without(name: &str, base: &Value, keys: &[&str]) -> (String, Value) {
    let mut obj = base.as_object().unwrap().clone();
    for k in keys {
        obj.remove(*k);
    }
    (name.to_string(), Value::Object(obj))
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn shipped(name: &str) -> (Policy, Value) {
    let policy = Policy::from_file(root().join(format!("rules/{name}.rules"))).unwrap();
    let example = std::fs::read_to_string(root().join(format!("rules/{name}.example.json")))
        .unwrap_or_else(|e| panic!("rules/{name}.example.json: {e}"));
    (policy, serde_json::from_str(&example).unwrap())
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn civil_dates_match_the_crate() {
    for s in [
        "1970-01-01",
        "1970-01-02",
        "1969-12-31",
        "1900-03-01",
        "2000-02-29",
        "2024-02-29",
        "2100-12-31",
        "0001-01-01",
        "9999-12-31",
    ] {
        let days = parse_date(s);
        assert_eq!(days, i64::from(Date::parse(s).unwrap().0), "{s}");
        assert_eq!(format_date(days), s);
    }
    assert_eq!(parse_date("1970-01-02"), 1);
    assert_eq!(parse_date("1969-12-31"), -1);
}

#[test]
fn every_shipped_module_has_no_imports_and_exports_memory_and_evaluate() {
    let mut names: Vec<_> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    names.sort();
    assert!(names.len() >= 3);
    for path in names {
        let policy = Policy::from_file(&path).unwrap();
        let (json, meta) = read_meta(policy.wasm());
        assert_eq!(json["policy"], policy.name());
        assert_eq!(meta.hash, policy.hash());
        // Host::new checks: no imports; exactly `memory` and `evaluate`;
        // memory maximum 1024 pages; initial memory covers heap_base.
        let mut host = Host::new(policy.wasm());
        // The declared maximum is enforced: 64 MiB and no more.
        let pages = host.memory.size(&host.store);
        assert!(host
            .memory
            .grow(&mut host.store, MAX_PAGES - pages + 1)
            .is_err());
        host.memory
            .grow(&mut host.store, MAX_PAGES - pages)
            .unwrap();
        // Fact records and results agree with the layouts' declared sizes.
        assert_eq!(
            meta.input.size,
            8 * meta.input.presence_words + 8 * meta.input.fields.len()
        );
        for (i, f) in meta.input.fields.iter().enumerate() {
            assert_eq!(meta.fact_paths[f.fact], f.name, "fact {i}");
        }
        let last = meta.decisions.last().unwrap();
        assert_eq!(
            meta.result_size,
            last.offset + 16 + 8 * (meta.missing_words + last.reason_words)
        );
    }
}

#[test]
fn pension_credit_matches_the_crate() {
    let (policy, example) = shipped("pension_credit");
    let mut cases = variations("example", &example);
    cases.extend([
        with(
            "young claimant",
            &example,
            json!({"date_of_birth": "1990-01-01"}),
        ),
        with(
            "young partner",
            &example,
            json!({"partner_date_of_birth": "1980-05-05"}),
        ),
        with("big capital", &example, json!({"capital": "200000.00"})),
        with(
            "pension as a number",
            &example,
            json!({"weekly_state_pension": 1000, "capital": 4000.5}),
        ),
        with(
            "single, low income",
            &example,
            json!({"has_partner": false, "weekly_state_pension": "100.10",
                   "capital": "0", "weekly_earnings": "12.34"}),
        ),
        without(
            "single without partner date of birth",
            &with("single", &example, json!({"has_partner": false})).1,
            &["partner_date_of_birth", "monthly_occupational_pension"],
        ),
        with(
            "every require false",
            &example,
            json!({"date_of_birth": "2000-01-01", "partner_date_of_birth": "2001-01-01",
                   "in_great_britain": false, "habitually_resident": false,
                   "subject_to_immigration_control": true, "weekly_earnings": "5000"}),
        ),
        with(
            "carer and disabled",
            &example,
            json!({"severely_disabled": true, "is_carer": true, "weekly_state_pension": "20"}),
        ),
    ]);
    let tally = check_policy(
        &policy,
        &cases,
        &["2025-06-01", "2026-11-27", "2024-04-07", "2023-01-01"],
    );
    assert!(tally.unknown > 0 && tally.reasons > 0, "{tally:?}");
    assert!(
        tally
            .errors
            .iter()
            .any(|e| e.contains("has no value on 2023-01-01")),
        "{tally:?}"
    );
}

#[test]
fn casework_routing_matches_the_crate() {
    let (policy, example) = shipped("casework_routing");
    let mut cases = variations("example", &example);
    let new_claim = with("new claim", &example, json!({"work_type": "new_claim"})).1;
    cases.extend([
        with("terminally ill", &example, json!({"terminally_ill": true})),
        with("northern ireland", &example, json!({"postcode": "BT7 1NN"})),
        without(
            "new claim, no birth date",
            &new_claim,
            &["claimant_date_of_birth"],
        ),
        with(
            "pension age",
            &new_claim,
            json!({"claimant_date_of_birth": "1950-01-01"}),
        ),
        with(
            "young",
            &new_claim,
            json!({"claimant_date_of_birth": "2010-06-30"}),
        ),
        with(
            "mr out of time",
            &example,
            json!({"decision_notified_on": "2025-01-01"}),
        ),
        with(
            "mr late",
            &example,
            json!({"decision_notified_on": "2026-09-01"}),
        ),
        with(
            "big overpayment",
            &example,
            json!({"work_type": "overpayment", "overpayment_amount": "6000.00"}),
        ),
        with(
            "small overpayment",
            &example,
            json!({"work_type": "overpayment", "overpayment_amount": 12.5}),
        ),
        without(
            "overpayment without amount",
            &with("o", &example, json!({"work_type": "overpayment"})).1,
            &["overpayment_amount"],
        ),
        with(
            "tax credit migration",
            &example,
            json!({"work_type": "change_of_circumstances", "reference": "TC-0042"}),
        ),
        with("complaint", &example, json!({"work_type": "complaint"})),
        with(
            "mp enquiry",
            &example,
            json!({"work_type": "change_of_circumstances", "reference": "UC-1-MP"}),
        ),
        with(
            "welsh",
            &example,
            json!({"work_type": "change_of_circumstances", "needs_welsh_language": true,
                   "reference": "Caerdydd – ŵ ✓"}),
        ),
        with(
            "paper",
            &example,
            json!({"work_type": "change_of_circumstances", "channel": "post",
                   "postcode": "SA1 1AA ü"}),
        ),
        with(
            "general",
            &example,
            json!({"work_type": "change_of_circumstances", "received_on": "2020-01-01"}),
        ),
    ]);
    let tally = check_policy(
        &policy,
        &cases,
        &["2026-11-27", "2024-06-01", "2025-04-05", "2023-05-05"],
    );
    assert!(tally.unknown > 0 && tally.whens > 0, "{tally:?}");
    assert!(!tally.errors.is_empty(), "{tally:?}");
}

#[test]
fn council_tax_reduction_matches_the_crate() {
    let (policy, example) = shipped("council_tax_reduction");
    let mut cases = variations("example", &example);
    let household = example["household"].clone();
    let mut nested_missing = household.clone();
    nested_missing[1]["incomes"][0]
        .as_object_mut()
        .unwrap()
        .remove("weekly_amount");
    let mut extra = household.as_array().unwrap().clone();
    extra.push(
        json!({"relationship": "child", "date_of_birth": "2015-01-01",
                      "full_time_student": false, "in_remunerative_work": false,
                      "incomes": []}),
    );
    extra.push(
        json!({"relationship": "non_dependant", "date_of_birth": "2001-02-03",
                      "full_time_student": false, "in_remunerative_work": true,
                      "incomes": [{"kind": "earnings", "weekly_amount": 600},
                                  {"kind": "other", "weekly_amount": "0.01"},
                                  {"kind": "pension_credit", "weekly_amount": null}]}),
    );
    cases.extend([
        with(
            "nested amount missing",
            &example,
            json!({"household": nested_missing}),
        ),
        with("bigger household", &example, json!({"household": extra})),
        with(
            "capital over the limit",
            &example,
            json!({"capital": "20000", "household": []}),
        ),
        with(
            "guarantee credit",
            &example,
            json!({"receives_guarantee_credit": true}),
        ),
        with(
            "young, not liable",
            &example,
            json!({"applicant_date_of_birth": "1990-01-01", "liable_for_council_tax": false}),
        ),
        with(
            "blind, no tax",
            &example,
            json!({"blind_or_receives_care_benefit": true, "annual_council_tax": 0}),
        ),
        with(
            "low income",
            &example,
            json!({"applicant_weekly_income": "10.00", "household": [household[1].clone()]}),
        ),
    ]);
    let tally = check_policy(&policy, &cases, &["2026-11-27", "2025-06-01", "2024-01-01"]);
    assert!(
        tally.unknown > 0 && tally.reasons > 0 && tally.whens > 0,
        "{tally:?}"
    );
    assert!(!tally.errors.is_empty(), "{tally:?}");
}

const EVERY_TYPE: &str = r#"policy every_type
  title "Every value type"
  version "t.1"

input {
  flag: bool
  n: int
  ratio: decimal
  amount: money
  born: date
  name: text
  colour: enum(red, green, blue)
  items: list of {
    label: text
    qty: int
    price: money
    weight: decimal
    added: date
    size: enum(small, large)
    fragile: bool
    parts: list of {
      code: text
      cost: money
    }
  }
}

param limit: money = £100
param rate: decimal = 0.175
param cutoff: date = 2000-01-01

decision greeting: text = if flag then name else "anonymous"
decision shade: enum(red, green, blue) = colour
decision shade_routed: enum(red, green, blue)
  when flag -> "green"
  otherwise -> colour
decision birthday: date = if born < cutoff then born else cutoff
decision scaled: decimal = ratio * rate + n
decision total: money = amount + sum(i in items: i.price * i.qty)
decision total_weight: decimal = sum(i in items: i.weight)
decision heavy_large: int = count(i in items: i.size == "large" and i.weight > 1)
decision any_fragile: bool = any(i in items: i.fragile)
decision all_recent: bool = every(i in items: i.added >= born)
decision labelled: bool = any(i in items: starts_with(i.label, "box") or contains(i.label, "é"))
decision parts_cost: money = sum(i in items: sum(p in i.parts: p.cost))
decision has_code: bool = any(i in items: any(p in i.parts: p.code == name))
decision age: int = years_between(born, as_of)
decision count_items: int = count(items)
decision ok: bool
  require n >= 0
    because "n must not be negative"
    source "Rule 1"
  require amount <= limit
    because "The amount is over the limit"
  require colour != "blue"
  require flag or
     n > 5
    source "Rule 4"
  require ratio < 2.5
    because "Ratio too high"
    source "Rule 5"
    until 2020-01-01
decision band: text
  when not flag -> "off"
  when amount > limit -> "high"
    because "Over the limit"
    source "Rule 6"
  when colour == "red" -> name
  otherwise -> "normal"
decision known_name: bool = known(name)
decision negative: money = -amount
decision neg_ratio: decimal = -ratio
"#;

#[test]
fn every_value_type_matches_the_crate() {
    let policy = Policy::from_source("every_type.rules", EVERY_TYPE).unwrap();
    let base = json!({
        "flag": true,
        "n": 7,
        "ratio": "1.25",
        "amount": "99.99",
        "born": "1961-02-28",
        "name": "Zoë – naïve ✓",
        "colour": "red",
        "items": [
            {"label": "box of tea", "qty": 3, "price": "2.50", "weight": 0.5,
             "added": "2020-01-01", "size": "small", "fragile": false,
             "parts": [{"code": "Zoë – naïve ✓", "cost": "0.01"}, {"code": "b", "cost": 1}]},
            {"label": "crème", "qty": 0, "price": 10, "weight": "1.000001",
             "added": "1950-06-30", "size": "large", "fragile": true, "parts": []},
            {"label": "", "qty": -2, "price": "-0.05", "weight": "-0.000001",
             "added": "2026-01-01", "size": "large", "fragile": false,
             "parts": [{"code": "c", "cost": "123456789.99"}]}
        ]
    });
    let mut cases = variations("base", &base);
    cases.extend([
        with(
            "every require false",
            &base,
            json!({"n": -3, "amount": "100.01", "colour": "blue", "flag": false,
                   "ratio": 3}),
        ),
        with(
            "negative and pre-1970",
            &base,
            json!({"amount": "-12.34", "ratio": "-0.5", "born": "1900-03-01",
                   "colour": "green"}),
        ),
        with(
            "leap day",
            &base,
            json!({"born": "2000-02-29", "name": "", "colour": "blue"}),
        ),
        with("high band", &base, json!({"amount": 250.5})),
        with(
            "long text forces memory growth",
            &base,
            json!({"name": "ab✓".repeat(60_000)}),
        ),
        with(
            "nested fields missing",
            &base,
            json!({"items": [
                {"label": "x", "qty": 1, "price": "1", "weight": "1", "added": "2021-01-01",
                 "size": "small", "fragile": null, "parts": [{"code": "q"}]},
                {"label": null, "qty": 1, "price": "1", "weight": "1", "added": "2021-01-01",
                 "size": "large"}
            ]}),
        ),
        without("no items", &base, &["items"]),
    ]);
    let tally = check_policy(&policy, &cases, &["2026-01-01", "2019-06-01"]);
    assert!(
        tally.unknown > 0 && tally.reasons > 0 && tally.whens > 0,
        "{tally:?}"
    );
    assert!(tally.errors.is_empty(), "{tally:?}");

    // A few values spelled out, so the comparison is not vacuous.
    let mut host = Host::new(policy.wasm());
    let out = host.evaluate(std::slice::from_ref(&base), parse_date("2026-01-01"));
    let out = out[0].as_ref().unwrap();
    let d = &out["decisions"];
    assert_eq!(d["greeting"]["value"], "Zoë – naïve ✓");
    assert_eq!(d["shade"]["value"], "red");
    assert_eq!(d["shade_routed"], json!({"value": "green", "line": 35}));
    assert_eq!(d["birthday"]["value"], "1961-02-28");
    assert_eq!(d["scaled"]["value"], "7.21875");
    assert_eq!(d["total"]["value"], "107.59");
    assert_eq!(d["total_weight"]["value"], "1.5");
    assert_eq!(d["parts_cost"]["value"], "123456791.00");
    assert_eq!(d["band"], json!({"value": "Zoë – naïve ✓", "line": 68}));
    assert_eq!(d["age"]["value"], 64);
    let out = host.evaluate(
        &[with(
            "f",
            &base,
            json!({"n": -3, "amount": "100.01", "colour": "blue", "flag": false}),
        )
        .1],
        parse_date("2026-01-01"),
    );
    assert_eq!(
        out[0].as_ref().unwrap()["decisions"]["ok"]["reasons"],
        json!([
            {"because": "n must not be negative", "source": "Rule 1", "line": 50},
            {"because": "The amount is over the limit", "line": 53},
            {"because": "colour != \"blue\"", "line": 55},
            {"because": "flag or n > 5", "source": "Rule 4", "line": 56},
        ])
    );
}

/// More than 64 facts and 64 require clauses: presence, missing and reason
/// bitsets of two words.
#[test]
fn multi_word_bitsets_match_the_crate() {
    let n = 70;
    let mut src = String::from("policy wide\ninput {\n");
    for i in 0..n {
        src.push_str(&format!("  f{i}: int\n"));
    }
    src.push_str("  rows: list of { a: int, b: bool }\n}\n");
    let sum: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    src.push_str(&format!("decision total: int = {}\n", sum.join(" + ")));
    src.push_str("decision all_positive: bool\n");
    for i in 0..n {
        if i % 3 == 0 {
            src.push_str(&format!(
                "  require f{i} > 0 because \"f{i} must be positive\"\n"
            ));
        } else {
            src.push_str(&format!("  require f{i} > 0\n"));
        }
    }
    src.push_str("decision last: int = f69 + sum(r in rows: r.a)\n");
    src.push_str("decision any_b: bool = any(r in rows: r.b)\n");
    src.push_str(
        "decision pick: int\n  when f1 > 0 -> f65\n  when f66 > 0 -> f67\n  otherwise -> 0\n",
    );
    let policy = Policy::from_source("wide.rules", &src).unwrap();
    let (_, meta) = read_meta(policy.wasm());
    assert_eq!(meta.input.presence_words, 2);
    assert_eq!(meta.missing_words, 2);
    assert_eq!(meta.decisions[1].reason_words, 2);

    let mut full = Map::new();
    for i in 0..n {
        full.insert(format!("f{i}"), json!(i + 1));
    }
    full.insert(
        "rows".into(),
        json!([{"a": 1, "b": false}, {"a": 2, "b": true}]),
    );
    let full = Value::Object(full);
    let mut cases = vec![("full".to_string(), full.clone())];
    cases.push(with(
        "some negative",
        &full,
        json!({"f0": -1, "f3": 0, "f63": -5, "f64": -6, "f69": -7}),
    ));
    cases.push(without("f2 and f65 missing", &full, &["f2", "f65"]));
    cases.push(without(
        "f64..f69 missing",
        &full,
        &["f64", "f65", "f66", "f67", "f68", "f69"],
    ));
    cases.push(with(
        "negative and missing",
        &without("m", &full, &["f66"]).1,
        json!({"f1": -1, "f70": 5}),
    ));
    cases.push(with(
        "row field missing",
        &full,
        json!({"rows": [{"b": false}, {"a": 1}]}),
    ));
    cases.push(("nothing".to_string(), json!({})));
    let tally = check_policy(&policy, &cases, &["2026-01-01"]);
    assert!(tally.unknown > 0 && tally.reasons > 0, "{tally:?}");
}

const ERRORS: &str = r#"policy errors
  version "e.1"
input {
  a: int
  b: int
  m: money
}
param late: money
  from 2025-01-01 = £1
  from 2026-01-01 = £2
define doubled: int = a * 2
decision twice: int = if a > 1000 then doubled else 0
decision ratio: decimal = a / (b - 1)
decision share: money = m / b
decision big: money = m * a
decision fee: money = if a > 100 then late else 0
decision pick: int
  when a == 1 -> 1
  when a != 7 -> 2
  otherwise -> 0
    from 2030-01-01
"#;

#[test]
fn error_statuses_render_the_crate_messages() {
    let policy = Policy::from_source("errors.rules", ERRORS).unwrap();
    let ok = json!({"a": 2, "b": 3, "m": "10.00"});
    let cases = vec![
        ("fine".to_string(), ok.clone()),
        with("int division by zero", &ok, json!({"b": 1})),
        with("money division by zero", &ok, json!({"b": 0})),
        with("money overflow", &ok, json!({"m": "92233720368547758.07"})),
        (
            "overflow in a define".to_string(),
            json!({"a": 9_000_000_000_000_000_000i64}),
        ),
        with("param read", &ok, json!({"a": 101})),
        with("no clause applies", &ok, json!({"a": 7})),
        without("unknown divisor is no error", &ok, &["b"]),
        (
            "fine again".to_string(),
            json!({"a": 1, "b": -4, "m": "-0.07"}),
        ),
    ];
    let tally = check_policy(&policy, &cases, &["2024-06-01", "2025-06-01", "2026-06-01"]);
    let errors: Vec<&str> = tally.errors.iter().map(String::as_str).collect();
    for needle in [
        "evaluation error: division by zero in decision ratio (line 13)",
        "evaluation error: division by zero in decision share (line 14)",
        "evaluation error: overflow in decision big (line 15)",
        "evaluation error: overflow in define doubled (line 11)",
        "evaluation error: param late has no value on 2024-06-01 (its first `from` is 2025-01-01)",
        "evaluation error: no clause of decision pick applies on 2025-06-01",
    ] {
        assert!(errors.contains(&needle), "{needle}\nnot in {errors:#?}");
    }
}

/// A large batch in one call: records that fail, that are unknown and that
/// succeed, interleaved; each gets its own result, and the instance keeps no
/// state between calls.
#[test]
fn one_large_batch_matches_single_calls() {
    let (policy, example) = shipped("council_tax_reduction");
    let mut cases = variations("example", &example);
    cases.push(with(
        "capital over the limit",
        &example,
        json!({"capital": "20000"}),
    ));
    let records: Vec<Value> = (0..700).map(|i| cases[i % cases.len()].1.clone()).collect();
    let day = parse_date("2024-01-01");
    let mut host = Host::new(policy.wasm());
    for as_of in ["2025-06-01", "2024-01-01"] {
        let day = parse_date(as_of);
        let got = host.evaluate(&records, day);
        assert_eq!(got.len(), records.len());
        for (i, (g, r)) in got.iter().zip(&records).enumerate() {
            let want = expected(&policy, r, as_of);
            assert!(
                *g == want,
                "record {i} on {as_of}\nthis host:\n{}\nthe crate:\n{}",
                show(g),
                show(&want)
            );
        }
    }
    // Same batch again on the same instance: same results.
    let a = host.evaluate(&records, day);
    let b = host.evaluate(&records, day);
    assert_eq!(a, b);
}
