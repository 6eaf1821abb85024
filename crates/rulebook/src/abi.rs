//! The ABI between a compiled policy module and its host, in one place:
//! memory layout of fact records and result records, value encodings, export
//! names, and the metadata carried in the module's `rulebook.meta` custom
//! section. docs/abi.md describes the same for hosts in other languages.
//!
//! Every value is one little-endian i64 slot:
//! bool 0/1; int; decimal × 10^6; money in pence; date as days since
//! 1970-01-01; enum as variant index; text as `ptr | len << 32` (UTF-8 bytes
//! in linear memory); list as `ptr | count << 32` (count element records of
//! the list's element layout, contiguous from ptr).

use crate::program::{Body, Program, RecordField, Type};
use serde::{Deserialize, Serialize};

/// Bumped whenever anything in this file changes meaning.
pub const ABI_VERSION: u32 = 1;
/// Name of the custom section holding [`Meta`] as JSON.
pub const META_SECTION: &str = "rulebook.meta";
/// `evaluate(in_ptr: i32, count: i32, out_ptr: i32, as_of: i32)`.
pub const EXPORT_EVALUATE: &str = "evaluate";
/// The module's memory.
pub const EXPORT_MEMORY: &str = "memory";
/// Wasm page size.
pub const PAGE: u64 = 65536;
/// Largest memory a policy module may grow to (pages): 64 MiB.
pub const MAX_PAGES: u64 = 1024;
/// The same in bytes: the most memory an instance may have.
pub const MAX_MEMORY: usize = (MAX_PAGES * PAGE) as usize;

/// Status codes in the first i32 of a result record.
pub const STATUS_OK: i32 = 0;
pub const STATUS_OVERFLOW: i32 = 1;
pub const STATUS_DIVISION_BY_ZERO: i32 = 2;
/// The i32 after the status is the param index.
pub const STATUS_PARAM_UNDEFINED: i32 = 3;
/// The i32 after the status is the decision index.
pub const STATUS_NO_CLAUSE: i32 = 4;
/// The detail of an OK record whose decisions are all known (no missing
/// bit set anywhere), so that a host may skip the missing words. An OK
/// record with any unknown decision has detail 0 (as had every OK record of
/// modules compiled before this flag: 0 therefore only says "look").
pub const ALL_KNOWN: i32 = 1;

/// How a value type is written in the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueType {
    Bool,
    Int,
    Decimal,
    Money,
    Date,
    Text,
    Enum { variants: Vec<String> },
    List { element: Layout },
}

impl ValueType {
    /// The type as a rule file writes it (`money`, `enum(a, b)`,
    /// `list of { age: int }`).
    pub fn rules_text(&self) -> String {
        match self {
            ValueType::Bool => "bool".into(),
            ValueType::Int => "int".into(),
            ValueType::Decimal => "decimal".into(),
            ValueType::Money => "money".into(),
            ValueType::Date => "date".into(),
            ValueType::Text => "text".into(),
            ValueType::Enum { variants } => format!("enum({})", variants.join(", ")),
            ValueType::List { element } => format!(
                "list of {{ {} }}",
                element
                    .fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.ty.rules_text()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Layout of a record (the top-level facts, or one list element).
/// `presence_words` u64 words of presence bits come first (bit i of the
/// little-endian words = field i present), then one 8-byte slot per field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Layout {
    pub size: u32,
    pub presence_words: u32,
    pub fields: Vec<FieldMeta>,
    /// [`Layout::id`], computed on first use: facts are checked against
    /// it once a record, so it must not be a hash of every field each time.
    #[serde(skip)]
    id: IdCache,
}

/// A computed id, outside the value it identifies: it takes no part in
/// equality, hashing or serialization.
#[derive(Debug, Clone, Default)]
struct IdCache(std::sync::OnceLock<u64>);

impl PartialEq for IdCache {
    fn eq(&self, _: &IdCache) -> bool {
        true
    }
}
impl Eq for IdCache {}
impl std::hash::Hash for IdCache {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMeta {
    pub name: String,
    /// Index in the `missing` bitsets and in `fact_paths`.
    pub fact: u32,
    /// Byte offset of the slot within the record.
    pub offset: u32,
    #[serde(rename = "type")]
    pub ty: ValueType,
    /// Marked `personal` in the rule file: the decision log keeps a keyed
    /// hash of the value, never the value (for a list, of the whole list).
    /// Written only when true, so modules compiled before it still load.
    #[serde(default, skip_serializing_if = "is_false")]
    pub personal: bool,
    /// The question put to a person for this fact (`ask "..."`); without
    /// one, interviews make a question from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<String>,
    /// More about the question (`help "..."`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// 1-based line of the field in the rule file (0 in modules compiled
    /// before it was recorded).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `personal`, `ask`, `help` and `line` are left out: they say how the log
/// treats a value or how it is asked for, not where the value lives, so
/// they do not change a layout's [`Layout::id`].
impl std::hash::Hash for FieldMeta {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.fact.hash(state);
        self.offset.hash(state);
        self.ty.hash(state);
    }
}

impl Layout {
    /// Whether any field is a list (records of such inputs are written
    /// from `Facts`, not by a record writer or a `Batch`).
    pub fn has_lists(&self) -> bool {
        self.fields
            .iter()
            .any(|f| matches!(f.ty, ValueType::List { .. }))
    }

    /// A fingerprint of the layout: equal layouts (same fields, types and
    /// offsets) have equal ids, so record writers can tell a field handle of
    /// another layout.
    #[inline]
    pub fn id(&self) -> u64 {
        *self.id.0.get_or_init(|| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            self.hash(&mut h);
            h.finish()
        })
    }

    /// A layout of `size` bytes with `presence_words` words of presence
    /// bits and `fields`.
    pub fn new(size: u32, presence_words: u32, fields: Vec<FieldMeta>) -> Layout {
        Layout {
            size,
            presence_words,
            fields,
            id: IdCache::default(),
        }
    }

    /// Paths of the fields marked `personal` (`date_of_birth`, `household[].name`).
    pub fn personal_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.fields {
            if f.personal {
                out.push(f.name.clone());
            }
            if let ValueType::List { element } = &f.ty {
                for inner in element.personal_paths() {
                    out.push(format!("{}[].{inner}", f.name));
                }
            }
        }
        out
    }

    /// Byte offset of the presence word holding field `i`, and its bit.
    pub fn presence_bit(i: usize) -> (u32, u32) {
        ((i / 64 * 8) as u32, (i % 64) as u32)
    }

    fn of(fields: &[RecordField]) -> Layout {
        let presence_words = fields.len().div_ceil(64).max(1) as u32;
        let base = presence_words * 8;
        Layout {
            size: base + 8 * fields.len() as u32,
            presence_words,
            fields: fields
                .iter()
                .enumerate()
                .map(|(i, f)| FieldMeta {
                    name: f.name.clone(),
                    fact: f.fact as u32,
                    offset: base + 8 * i as u32,
                    ty: value_type(&f.ty),
                    personal: f.personal,
                    ask: f.ask.clone(),
                    help: f.help.clone(),
                    line: f.line,
                })
                .collect(),
            id: IdCache::default(),
        }
    }
}

/// The metadata type of a program type.
pub fn value_type(t: &Type) -> ValueType {
    match t {
        Type::Bool | Type::Error | Type::Record(_) => ValueType::Bool,
        Type::Int => ValueType::Int,
        Type::Decimal => ValueType::Decimal,
        Type::Money => ValueType::Money,
        Type::Date => ValueType::Date,
        Type::Text => ValueType::Text,
        Type::Enum(v) => ValueType::Enum {
            variants: v.to_vec(),
        },
        Type::List(r) => ValueType::List {
            element: Layout::of(&r.fields),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Expr,
    Requires,
    Whens,
}

/// A require, when or otherwise clause, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseMeta {
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub because: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// The condition on one line in the canonical layout of `rulebook fmt`
    /// (the reason of a require without `because`).
    pub text: String,
}

impl ClauseMeta {
    /// The reason reported when this require is false: its `because`, else
    /// its own text (the documented default, docs/language.md 8.2).
    pub fn reason(&self) -> &str {
        self.because.as_deref().unwrap_or(&self.text)
    }
}

/// One decision and where its result lives in a result record:
/// value i64 at `offset`, aux i64 at `offset + 8` (the chosen clause of a
/// `when` decision), `missing_words` u64 words of missing-fact bits at
/// `offset + 16`, then `reason_words` u64 words of false-require bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionMeta {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ValueType,
    pub kind: DecisionKind,
    pub offset: u32,
    pub reason_words: u32,
    pub clauses: Vec<ClauseMeta>,
}

/// A param, for error messages (its values are compiled into the code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamMeta {
    pub name: String,
    /// First `from` date (YYYY-MM-DD) of a dated param.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_from: Option<String>,
}

/// Where an arithmetic failure can happen: reported as `context (line)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteMeta {
    pub context: String,
    pub line: u32,
}

/// Everything a host needs to use a compiled policy, stored as JSON in the
/// `rulebook.meta` custom section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub abi_version: u32,
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
    pub version: Option<String>,
    /// SHA-256 hex of the rule file's bytes.
    pub hash: String,
    /// First byte of linear memory the host may use.
    pub heap_base: u32,
    /// The top-level facts record.
    pub input: Layout,
    /// Path of every fact, by fact index (`age`, `children[].age`).
    pub fact_paths: Vec<String>,
    /// u64 words in every missing-facts bitset.
    pub missing_words: u32,
    /// Size of one result record.
    pub result_size: u32,
    pub decisions: Vec<DecisionMeta>,
    pub params: Vec<ParamMeta>,
    pub sites: Vec<SiteMeta>,
}

impl Meta {
    /// A fingerprint of the result layout: equal for modules whose result
    /// records hold the same decisions (names, types, kinds) at the same
    /// offsets, so that a decision handle can tell results of another layout.
    pub fn result_layout_id(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.result_size, self.missing_words).hash(&mut h);
        for d in &self.decisions {
            (&d.name, &d.ty, d.offset, d.reason_words).hash(&mut h);
            std::mem::discriminant(&d.kind).hash(&mut h);
        }
        h.finish()
    }

    /// The metadata of a checked program; `sites` and `heap_base` are filled in by codegen.
    pub fn of(program: &Program, hash: &str) -> Meta {
        let missing_words = program.schema.fact_paths.len().div_ceil(64).max(1) as u32;
        let mut offset = 8u32;
        let decisions = program
            .decisions
            .iter()
            .map(|d| {
                let (kind, clauses) = match &d.body {
                    Body::Expr(_) => (DecisionKind::Expr, Vec::new()),
                    Body::Requires(cs) => (DecisionKind::Requires, cs.clone()),
                    Body::Whens(cs) => (DecisionKind::Whens, cs.clone()),
                };
                let reason_words = if kind == DecisionKind::Requires {
                    clauses.len().div_ceil(64).max(1) as u32
                } else {
                    0
                };
                let meta = DecisionMeta {
                    name: d.name.clone(),
                    ty: value_type(&d.ty),
                    kind,
                    offset,
                    reason_words,
                    clauses: clauses
                        .iter()
                        .map(|c| ClauseMeta {
                            line: c.line,
                            because: c.because.clone(),
                            source: c.source.clone(),
                            text: c.text.clone(),
                        })
                        .collect(),
                };
                offset += 16 + 8 * (missing_words + reason_words);
                meta
            })
            .collect();
        Meta {
            abi_version: ABI_VERSION,
            policy: program.name.clone(),
            title: program.title.clone(),
            version: program.version.clone(),
            hash: hash.to_string(),
            heap_base: 0,
            input: Layout::of(&program.schema.fields),
            fact_paths: program.schema.fact_paths.clone(),
            missing_words,
            result_size: offset,
            decisions,
            params: program
                .params
                .iter()
                .map(|p| ParamMeta {
                    name: p.name.clone(),
                    first_from: p
                        .values
                        .first()
                        .and_then(|(f, _)| *f)
                        .map(crate::num::format_date),
                })
                .collect(),
            sites: Vec::new(),
        }
    }
}
