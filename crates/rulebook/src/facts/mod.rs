//! Facts in: a JSON object checked against a policy's input schema
//! (docs/language.md section 16) into typed slots. Absent and `null` values are
//! unknown; a value of the wrong type is an [`InputError`] naming the field
//! path, the value and what was expected.

mod typed;

use crate::abi::{Layout, ValueType};
use crate::num;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

/// One known fact value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactValue {
    Bool(bool),
    /// int, decimal (scaled by 10^6), money (pence), date (days since 1970-01-01), enum (variant index).
    Num(i64),
    Text(Arc<str>),
    /// The elements of a list, each a record of optional values.
    List(Vec<Vec<Option<FactValue>>>),
}

/// The facts of one record, checked against one policy's inputs: one
/// optional value per top-level input field. They are bound to those
/// inputs: evaluated by a policy (or version) with other inputs, they are
/// refused ([`crate::WrongPolicy::Facts`]), never read in the wrong slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub(crate) values: Vec<Option<FactValue>>,
    /// [`Layout::id`] of the inputs they were checked against.
    pub(crate) layout: u64,
}

impl Facts {
    /// Facts of `layout` from their values (one per field, in order).
    pub(crate) fn new(layout: &Layout, values: Vec<Option<FactValue>>) -> Facts {
        Facts {
            values,
            layout: layout.id(),
        }
    }

    /// After a failed reading into these facts: no values, fitting no
    /// layout, so that they are refused if evaluated.
    fn reset(&mut self) {
        self.values.clear();
        self.layout = 0;
    }

    /// Whether these facts were checked against `layout`.
    #[inline]
    pub(crate) fn fits(&self, layout: &Layout) -> bool {
        self.layout == layout.id()
    }
}

/// No facts, fitting no policy's inputs (evaluating them is refused):
/// storage for [`crate::Policy::parse_facts_into`] and
/// [`crate::Policy::parse_cells_into`] to fill.
impl Default for Facts {
    fn default() -> Facts {
        Facts {
            values: Vec::new(),
            layout: 0,
        }
    }
}

/// `n` unknown values (without cloning one `n` times).
fn unknowns(n: usize) -> Vec<Option<FactValue>> {
    let mut values = Vec::with_capacity(n);
    values.resize_with(n, || None);
    values
}

/// What is wrong with one input value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// `age`, `children[1].age`, or empty for the whole object.
    pub path: String,
    /// The offending value as JSON text (shortened when long); for a field
    /// given twice, its second value.
    pub value: String,
    pub expected: String,
    pub kind: ProblemKind,
}

/// Why a value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The value does not fit the field's type (or the top level is not an object).
    Value,
    /// The field is given more than once in one JSON object: which value was
    /// meant is not guessed.
    GivenTwice,
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
            if p.kind == ProblemKind::GivenTwice {
                format!(
                    "input error at {}: the field is given twice in one object (again as {}); give each field once",
                    p.path, p.value
                )
            } else if p.path.is_empty() {
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
                kind: ProblemKind::Value,
            }],
        }
    }
}

/// Parses facts from JSON text against a record layout (the policy's inputs),
/// straight from the text: no intermediate `serde_json::Value` is built.
pub fn from_json_str(schema: &Layout, text: &str) -> Result<Facts, InputError> {
    if let Some(values) = typed::parse(schema, text, false) {
        return Ok(Facts::new(schema, values));
    }
    full(schema, text, &mut None)
}

/// [`from_json_str`] into `facts`, their storage reused. After an error,
/// `facts` hold no values and fit no layout.
pub fn from_json_str_into(
    schema: &Layout,
    text: &str,
    facts: &mut Facts,
) -> Result<(), InputError> {
    if typed::parse_into(schema, text, false, &mut facts.values) {
        facts.layout = schema.id();
        return Ok(());
    }
    match full(schema, text, &mut None) {
        Ok(f) => {
            *facts = f;
            Ok(())
        }
        Err(e) => {
            facts.reset();
            Err(e)
        }
    }
}

/// The full parser: every problem found and worded, undeclared facts noted
/// when asked. (The one pass in `typed` handles good facts first.)
fn full(schema: &Layout, text: &str, ignored: &mut Ignored) -> Result<Facts, InputError> {
    let root: &RawValue = serde_json::from_str(text).map_err(|e| {
        InputError::one(
            "",
            &format!("text that is not valid JSON ({e})"),
            "a JSON object of facts",
        )
    })?;
    facts_from(schema, Raw(root), ignored)
}

/// Like [`from_json_str`], and also appends to `ignored` the name of every
/// fact given that the layout does not declare (each once, in the order
/// given): `name` at the top level, `list[].name` inside a list element.
/// Nothing is allocated for it when every fact given is declared.
pub fn from_json_str_noting(
    schema: &Layout,
    text: &str,
    ignored: &mut Vec<String>,
) -> Result<Facts, InputError> {
    // the one pass stops at an undeclared key: the full parser notes them
    if let Some(values) = typed::parse(schema, text, true) {
        return Ok(Facts::new(schema, values));
    }
    full(schema, text, &mut Some(ignored))
}

/// Parses one record of text cells (a CSV row) against a record layout:
/// each `(field index, cell)` pair is that input's value as written, an
/// empty cell is an unknown fact, and a list field's cell holds the list as
/// JSON text. Values are read by their field's type with the same rules and
/// messages as JSON facts (a money cell `1200.50`, a date `2026-04-06`).
pub fn from_cells<'a>(
    schema: &Layout,
    cells: impl IntoIterator<Item = (usize, &'a str)>,
) -> Result<Facts, InputError> {
    let mut facts = Facts::default();
    from_cells_into(schema, cells, &mut facts)?;
    Ok(facts)
}

/// [`from_cells`] into `facts`, their storage reused. After an error,
/// `facts` hold no values and fit no layout.
pub fn from_cells_into<'a>(
    schema: &Layout,
    cells: impl IntoIterator<Item = (usize, &'a str)>,
    facts: &mut Facts,
) -> Result<(), InputError> {
    let values = &mut facts.values;
    values.clear();
    values.resize_with(schema.fields.len(), || None);
    let mut problems = Vec::new();
    for (i, text) in cells {
        let (Some(field), Some(slot)) = (schema.fields.get(i), values.get_mut(i)) else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        // the usual cell in one step; any other through the full reading,
        // which alone words the errors
        if !plain_cell(&field.ty, text, slot) {
            *slot = full_cell(field, text, &mut problems);
        }
    }
    if problems.is_empty() {
        facts.layout = schema.id();
        Ok(())
    } else {
        facts.reset();
        Err(InputError { problems })
    }
}

/// A cell read by the full reading: its value, with any problems found
/// added to `problems`.
pub(crate) fn full_cell(
    field: &crate::abi::FieldMeta,
    text: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<FactValue> {
    let cell = match &field.ty {
        ValueType::Bool if text == "true" => Cell::Bool(true),
        ValueType::Bool if text == "false" => Cell::Bool(false),
        ValueType::Int => Cell::Number(text),
        ValueType::List { .. } => match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => Cell::Json(Raw(raw)),
            Err(_) => {
                problems.push(FieldProblem {
                    path: field.name.clone(),
                    value: shorten(text.to_string()),
                    expected: "a list written as JSON text in its cell".into(),
                    kind: ProblemKind::Value,
                });
                return None;
            }
        },
        _ => Cell::Str(text),
    };
    let path = Path::Field(&Path::Root, &field.name);
    match value(&field.ty, cell, &path, problems, &mut None) {
        Ok(v) => v,
        Err(p) => {
            problems.push(p);
            None
        }
    }
}

/// A cell's value read straight by its field's type into `slot`, as the
/// full reading in [`from_cells`] reads it when it is good; false (and
/// `slot` untouched) to read it that way.
fn plain_cell(ty: &ValueType, text: &str, slot: &mut Option<FactValue>) -> bool {
    if let ValueType::List { .. } = ty {
        return match typed::parse_value(ty, text) {
            Some(v) => {
                *slot = v;
                true
            }
            None => false,
        };
    }
    let v = match plain_scalar(ty, text) {
        Some(Scalar::Bool(b)) => FactValue::Bool(b),
        Some(Scalar::Num(n)) => FactValue::Num(n),
        Some(Scalar::Text(t)) => FactValue::Text(Arc::from(t)),
        None => return false,
    };
    *slot = Some(v);
    true
}

/// A known value of a field that is not a list, borrowing its text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'t> {
    Bool(bool),
    /// As [`FactValue::Num`].
    Num(i64),
    Text(&'t str),
}

/// The usual cell of a field that is not a list, read in one step: a
/// value wherever the full reading ([`full_cell`]) gives one, None for
/// every other cell (and every list) to read that way.
#[inline]
pub(crate) fn plain_scalar<'t>(ty: &ValueType, text: &'t str) -> Option<Scalar<'t>> {
    Some(match ty {
        ValueType::Bool => match text {
            "true" => Scalar::Bool(true),
            "false" => Scalar::Bool(false),
            _ => return None,
        },
        ValueType::Int => Scalar::Num(num::parse_int(text).ok()?),
        ValueType::Money => Scalar::Num(num::parse_money(text).ok()?),
        ValueType::Decimal => Scalar::Num(num::parse_decimal(text).ok()?),
        ValueType::Date => Scalar::Num(i64::from(num::parse_date(text)?)),
        ValueType::Text => Scalar::Text(text),
        ValueType::Enum { variants } => {
            Scalar::Num(variants.iter().position(|x| x == text)? as i64)
        }
        ValueType::List { .. } => return None,
    })
}

/// One cell of a text record, read as its field's type asks.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Bool(bool),
    Number(&'a str),
    Str(&'a str),
    Json(Raw<'a>),
}

impl<'a> Node<'a> for Cell<'a> {
    fn kind(&self) -> Kind<'a, Self> {
        match *self {
            Cell::Bool(b) => Kind::Bool(b),
            Cell::Number(t) => Kind::Number(Cow::Borrowed(t)),
            Cell::Str(t) => Kind::Str(Cow::Borrowed(t)),
            // a list's elements are JSON: their cells are JSON nodes too
            Cell::Json(raw) => match raw.kind() {
                Kind::Array(items) => Kind::Array(items.into_iter().map(Cell::Json).collect()),
                Kind::Object(entries) => Kind::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, Cell::Json(v)))
                        .collect(),
                ),
                Kind::Null => Kind::Null,
                Kind::Bool(b) => Kind::Bool(b),
                Kind::Number(n) => Kind::Number(n),
                Kind::Str(s) => Kind::Str(s),
                Kind::Invalid => Kind::Invalid,
            },
        }
    }
    fn show(&self) -> String {
        match self {
            Cell::Bool(b) => b.to_string(),
            Cell::Number(t) | Cell::Str(t) => {
                shorten(serde_json::Value::String((*t).to_string()).to_string())
            }
            Cell::Json(raw) => raw.show(),
        }
    }
}

/// The declared fact a misspelt fact path most likely meant (`recieves_uc`
/// -> `receives_uc`, `children[].agee` -> `children[].age`), by edit distance
/// among the fields declared at the same place; None when nothing is close.
pub fn did_you_mean(schema: &Layout, path: &str) -> Option<String> {
    let mut layout = schema;
    let mut prefix = String::new();
    let mut parts = path.split("[].").peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            let names = layout.fields.iter().map(|f| f.name.as_str());
            return crate::check::suggest::closest(part, names).map(|n| format!("{prefix}{n}"));
        }
        let field = layout.fields.iter().find(|f| f.name == part)?;
        let ValueType::List { element } = &field.ty else {
            return None;
        };
        prefix.push_str(part);
        prefix.push_str("[].");
        layout = element;
    }
    None
}

/// Where undeclared fact names go, when the caller wants them.
type Ignored<'v> = Option<&'v mut Vec<String>>;

fn facts_from<'a, N: Node<'a>>(
    schema: &Layout,
    root: N,
    ignored: &mut Ignored,
) -> Result<Facts, InputError> {
    let Kind::Object(entries) = root.kind() else {
        return Err(InputError::one("", &root.show(), "a JSON object of facts"));
    };
    let mut problems = Vec::new();
    let values = record(schema, entries, &Path::Root, &mut problems, ignored);
    if problems.is_empty() {
        Ok(Facts::new(schema, values))
    } else {
        Err(InputError { problems })
    }
}

/// What a JSON node is, as far as facts care.
enum Kind<'a, N> {
    Null,
    Bool(bool),
    /// The number's JSON text, exactly as written.
    Number(Cow<'a, str>),
    Str(Cow<'a, str>),
    Array(Vec<N>),
    Object(Vec<(Cow<'a, str>, N)>),
    /// Unreadable (only possible for raw text that is not JSON).
    Invalid,
}

/// A JSON node, read from raw JSON text: numbers stay as their text, so
/// they are parsed exactly (no `f64` on the way, and no serde_json feature
/// that would change the host's own parsing).
trait Node<'a>: Sized {
    fn kind(&self) -> Kind<'a, Self>;
    /// The node as JSON text, cut to a readable length.
    fn show(&self) -> String;
}

/// Raw JSON text of one value.
#[derive(Clone, Copy)]
struct Raw<'a>(&'a RawValue);

impl<'a> Node<'a> for Raw<'a> {
    fn kind(&self) -> Kind<'a, Self> {
        let text: &'a str = self.0.get();
        match text.as_bytes().first() {
            Some(b'n') => Kind::Null,
            Some(b't') => Kind::Bool(true),
            Some(b'f') => Kind::Bool(false),
            Some(b'"') => match serde_json::from_str::<&'a str>(text) {
                Ok(s) => Kind::Str(Cow::Borrowed(s)),
                Err(_) => serde_json::from_str::<String>(text)
                    .map_or(Kind::Invalid, |s| Kind::Str(Cow::Owned(s))),
            },
            Some(b'[') => serde_json::from_str::<Vec<&'a RawValue>>(text)
                .map_or(Kind::Invalid, |v| {
                    Kind::Array(v.into_iter().map(Raw).collect())
                }),
            Some(b'{') => serde_json::from_str::<Entries<'a>>(text)
                .map_or(Kind::Invalid, |e| Kind::Object(e.0)),
            Some(_) => Kind::Number(Cow::Borrowed(text)),
            None => Kind::Invalid,
        }
    }
    fn show(&self) -> String {
        let text = self.0.get();
        if text.contains(['\n', '\r', '\t']) {
            shorten(text.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            shorten(text.to_string())
        }
    }
}

/// The entries of a JSON object, in order, values left as raw text.
struct Entries<'a>(Vec<(Cow<'a, str>, Raw<'a>)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key.0, Raw(value)));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

pub(crate) fn shorten(s: String) -> String {
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Where a value sits, built into a string only when there is a problem.
enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(parent, name) => match parent {
                Path::Root => (*name).to_string(),
                p => format!("{}.{name}", p.render()),
            },
            Path::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }

    /// The path of a fact named `name` at this place, as `fact_paths` writes
    /// it: list elements as `[]`, without their index (`children[].age`).
    fn fact_path(&self, name: &str) -> String {
        fn prefix(p: &Path, out: &mut String) {
            match p {
                Path::Root => {}
                Path::Field(parent, field) => {
                    prefix(parent, out);
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(field);
                }
                Path::Index(parent, _) => {
                    prefix(parent, out);
                    out.push_str("[]");
                }
            }
        }
        let mut out = String::new();
        prefix(self, &mut out);
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
        out
    }
}

fn record<'a, N: Node<'a>>(
    layout: &Layout,
    entries: Vec<(Cow<'a, str>, N)>,
    at: &Path,
    problems: &mut Vec<FieldProblem>,
    ignored: &mut Ignored,
) -> Vec<Option<FactValue>> {
    let mut values = unknowns(layout.fields.len());
    let mut given = Given::new(layout.fields.len());
    for (key, node) in entries {
        let Some(i) = layout.fields.iter().position(|f| f.name == key) else {
            // facts the policy does not declare are ignored (and noted when asked)
            if let Some(list) = ignored.as_deref_mut() {
                let path = at.fact_path(&key);
                if !list.contains(&path) {
                    list.push(path);
                }
            }
            continue;
        };
        let field = &layout.fields[i];
        let path = Path::Field(at, &field.name);
        if given.mark(i) {
            // only JSON text can say a key twice (a `serde_json::Value` keeps one)
            let rendered = path.render();
            let reported = problems
                .iter()
                .any(|p| p.kind == ProblemKind::GivenTwice && p.path == rendered);
            if !reported {
                problems.push(FieldProblem {
                    path: rendered,
                    value: node.show(),
                    expected: "each field once".into(),
                    kind: ProblemKind::GivenTwice,
                });
            }
            continue;
        }
        values[i] = match value(&field.ty, node, &path, problems, ignored) {
            Ok(v) => v,
            Err(p) => {
                problems.push(p);
                None
            }
        };
    }
    values
}

/// Which fields of one object have been given (bits, without allocating
/// for records of up to 64 fields).
enum Given {
    Few(u64),
    Many(Vec<u64>),
}

impl Given {
    fn new(fields: usize) -> Given {
        if fields <= 64 {
            Given::Few(0)
        } else {
            Given::Many(vec![0; fields.div_ceil(64)])
        }
    }

    /// Marks field `i` as given; true when it already was.
    fn mark(&mut self, i: usize) -> bool {
        let bit = 1u64 << (i % 64);
        let word = match self {
            Given::Few(w) => w,
            Given::Many(words) => match words.get_mut(i / 64) {
                Some(w) => w,
                None => return false,
            },
        };
        let before = *word & bit != 0;
        *word |= bit;
        before
    }
}

/// A present value of a field: None when the JSON is null (unknown).
fn value<'a, N: Node<'a>>(
    ty: &ValueType,
    v: N,
    path: &Path,
    problems: &mut Vec<FieldProblem>,
    ignored: &mut Ignored,
) -> Result<Option<FactValue>, FieldProblem> {
    let bad = |expected: String| FieldProblem {
        path: path.render(),
        value: v.show(),
        expected,
        kind: ProblemKind::Value,
    };
    let kind = v.kind();
    let fact = match (ty, kind) {
        (_, Kind::Null) => return Ok(None),
        (ValueType::Bool, Kind::Bool(b)) => FactValue::Bool(b),
        (ValueType::Int, Kind::Number(n)) => {
            num::parse_int(&n).map(FactValue::Num).map_err(|e| {
                bad(match e {
                    num::NumParseError::Overflow => {
                        "int (a whole number that fits in 64 bits)".into()
                    }
                    _ => "int (a whole number)".into(),
                })
            })?
        }
        (ValueType::Decimal, Kind::Number(t) | Kind::Str(t)) => num::parse_decimal(&t)
            .map(FactValue::Num)
            .map_err(|e| bad(number_expected("decimal", "\"0.55\"", &e)))?,
        (ValueType::Money, Kind::Number(t) | Kind::Str(t)) => num::parse_money(&t)
            .map(FactValue::Num)
            .map_err(|e| bad(number_expected("money", "\"1200.50\"", &e)))?,
        (ValueType::Date, Kind::Str(s)) => num::parse_date(&s)
            .map(|d| FactValue::Num(i64::from(d)))
            .ok_or_else(|| bad("date (a real calendar date \"YYYY-MM-DD\")".into()))?,
        (ValueType::Text, Kind::Str(s)) => FactValue::Text(Arc::from(&*s)),
        (ValueType::Enum { variants }, Kind::Str(s)) => variants
            .iter()
            .position(|x| *x == *s)
            .map(|i| FactValue::Num(i as i64))
            .ok_or_else(|| bad(format!("one of {}", variants.join(", "))))?,
        (ValueType::List { element }, Kind::Array(items)) => {
            let mut records = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let at = Path::Index(path, i);
                match item.kind() {
                    Kind::Object(entries) => {
                        records.push(record(element, entries, &at, problems, ignored))
                    }
                    _ => {
                        problems.push(FieldProblem {
                            path: at.render(),
                            value: item.show(),
                            expected: "an object (a list element)".into(),
                            kind: ProblemKind::Value,
                        });
                        records.push(Vec::new());
                    }
                }
            }
            FactValue::List(records)
        }
        _ => return Err(bad(expected_word(ty))),
    };
    Ok(Some(fact))
}

/// What a decimal or money fact should have been, given why its number
/// was refused (the reason once, not repeated). Also the words of the
/// Python package's Arrow input errors (`__private`).
pub fn number_expected(kind: &str, example: &str, e: &num::NumParseError) -> String {
    match e {
        num::NumParseError::TooManyDecimals { max } => {
            format!("{kind} with at most {max} decimal places")
        }
        num::NumParseError::Overflow => {
            let limit = if kind == "money" {
                "92,233,720,368,547,758.07"
            } else {
                "9,223,372,036,854.775807"
            };
            format!("{kind} of at most about ±{limit}")
        }
        num::NumParseError::Exponent => format!("{kind} written out in full, without an exponent"),
        _ => format!("{kind} (a number or a string such as {example})"),
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

/// The JSON facts object of typed facts as text (the inverse of
/// [`from_json_str`]), fields in declaration order: absent facts are left
/// out; money, decimals and dates are strings.
pub fn to_json_text(layout: &Layout, facts: &Facts) -> String {
    // Writing strings, numbers, bools and string-keyed maps to a string
    // never fails (`RecordJson` returns no error of its own).
    serde_json::to_string(&RecordJson(layout, &facts.values)).unwrap_or_default()
}

/// The JSON facts object of typed facts as a `serde_json::Value` (see
/// [`to_json_text`]).
#[cfg(test)]
pub(crate) fn to_json(layout: &Layout, facts: &Facts) -> serde_json::Value {
    // as for `to_json_text`: cannot fail
    serde_json::to_value(RecordJson(layout, &facts.values)).unwrap_or_default()
}

/// One record of facts as a JSON object, in declaration order.
pub(crate) struct RecordJson<'a>(pub(crate) &'a Layout, pub(crate) &'a [Option<FactValue>]);

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (field, v) in self.0.fields.iter().zip(self.1) {
            if let Some(v) = v {
                map.serialize_entry(&field.name, &ValueJson(&field.ty, v))?;
            }
        }
        map.end()
    }
}

/// One known fact value as JSON, as the decisions output writes values.
pub(crate) struct ValueJson<'a>(pub(crate) &'a ValueType, pub(crate) &'a FactValue);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.0, self.1) {
            (_, FactValue::Bool(b)) => s.serialize_bool(*b),
            (ValueType::Money, FactValue::Num(n)) => s.serialize_str(&num::format_money(*n)),
            (ValueType::Decimal, FactValue::Num(n)) => s.serialize_str(&num::format_decimal(*n)),
            (ValueType::Date, FactValue::Num(n)) => match i32::try_from(*n) {
                Ok(days) => s.serialize_str(&num::format_date(days)),
                // facts are checked: a date is always a day in i32 range
                Err(_) => s.serialize_none(),
            },
            (ValueType::Enum { variants }, FactValue::Num(n)) => {
                match usize::try_from(*n).ok().and_then(|i| variants.get(i)) {
                    Some(v) => s.serialize_str(v),
                    // facts are checked: an enum value is one of its variants
                    None => s.serialize_none(),
                }
            }
            (_, FactValue::Num(n)) => s.serialize_i64(*n),
            (_, FactValue::Text(t)) => s.serialize_str(t),
            (ValueType::List { element }, FactValue::List(items)) => {
                s.collect_seq(items.iter().map(|r| RecordJson(element, r)))
            }
            // facts are checked: a list value belongs to a list field
            (_, FactValue::List(_)) => s.serialize_none(),
        }
    }
}

/// Builds typed facts by field name, for hosts that already hold typed data
/// (no JSON on the way): `policy.facts().int("age", 30).build()`. A fact
/// not set is unknown. Wrong names, types or variants are collected and
/// reported together by [`FactsBuilder::build`], like JSON input errors.
/// (List inputs are given as JSON text: [`crate::Policy::parse_facts`].)
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
                kind: ProblemKind::Value,
            }),
            None => self.problems.push(FieldProblem {
                path: name.to_string(),
                value: shown,
                expected: format!("a declared input field (not {what})"),
                kind: ProblemKind::Value,
            }),
        }
        self
    }

    /// Sets the `bool` fact `name`.
    pub fn bool(self, name: &str, v: bool) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Bool,
            "bool",
            FactValue::Bool(v),
            v.to_string(),
        )
    }
    /// Sets the `int` fact `name`.
    pub fn int(self, name: &str, v: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Int,
            "int",
            FactValue::Num(v),
            v.to_string(),
        )
    }
    /// Sets the `money` fact `name`, in pence (£12.50 is 1250).
    pub fn money_pence(self, name: &str, pence: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Money,
            "money",
            FactValue::Num(pence),
            num::format_money(pence),
        )
    }
    /// Sets the `decimal` fact `name`, in millionths (1.15 is 1_150_000).
    pub fn decimal_micros(self, name: &str, v: i64) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Decimal,
            "decimal",
            FactValue::Num(v),
            num::format_decimal(v),
        )
    }
    /// Sets the `date` fact `name`.
    pub fn date(self, name: &str, date: crate::num::Date) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Date,
            "date",
            FactValue::Num(i64::from(date.0)),
            date.to_string(),
        )
    }
    /// Sets the `text` fact `name`.
    pub fn text(self, name: &str, v: &str) -> Self {
        self.put(
            name,
            |t| *t == ValueType::Text,
            "text",
            FactValue::Text(v.into()),
            format!("{v:?}"),
        )
    }
    /// Sets the enum fact `name` to its variant called `variant`.
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
                    kind: ProblemKind::Value,
                });
                self
            }
        }
    }

    /// The facts, or every problem found.
    pub fn build(self) -> Result<Facts, InputError> {
        if self.problems.is_empty() {
            Ok(Facts::new(self.layout, self.values))
        } else {
            Err(InputError {
                problems: self.problems,
            })
        }
    }
}
