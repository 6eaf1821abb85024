//! Batches: typed records encoded straight into the ABI's fact-record
//! layout as a host fills them in, for services that hold typed data and
//! evaluate at volume. A [`Field`] handle is looked up by name and checked
//! against the input schema once; setting a value is then a store into the
//! record image, and evaluating copies whole chunks of images into the
//! module's memory. [`crate::Facts`] stays the general form (lists, JSON,
//! either engine); a batch covers policies whose inputs are scalars.
//!
//! ```
//! use rulebook::batch::{Batch, Field, Int, Text};
//! use rulebook::{BatchResults, Date, Policy};
//!
//! let policy = Policy::from_source("p.rules", r#"
//!     policy p
//!     input { age: int  region: text }
//!     decision adult: bool = age >= 18
//!     decision queue: text = if region == "wales" then "cymru" else "england"
//! "#).unwrap();
//! let age: Field<Int> = policy.field("age").unwrap();
//! let region: Field<Text> = policy.field("region").unwrap();
//! let mut batch = Batch::new(&policy);
//! for (a, r) in [(30, "wales"), (12, "london")] {
//!     batch.record().set(age, a).set(region, r);
//! }
//! batch.record(); // nothing known
//! let mut results = BatchResults::default();
//! policy.evaluate_batch_into(&batch, Date::parse("2026-01-01").unwrap(), &mut results);
//! let queue = policy.decision_index("queue").unwrap();
//! let queues: Vec<Option<&str>> = results
//!     .iter()
//!     .map(|r| r.unwrap().decision(queue).unwrap().as_text())
//!     .collect();
//! assert_eq!(queues, [Some("cymru"), Some("england"), None]);
//! ```

use crate::abi::{Layout, Meta, ValueType};
use crate::runtime::marshal::ChunkAddrs;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

/// A field handle that does not fit the policy's inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("the policy has no input field `{name}` (its inputs: {known})")]
    Unknown { name: String, known: String },
    #[error("input field `{name}` is {actual}, not {wanted}")]
    WrongKind {
        name: String,
        actual: String,
        wanted: &'static str,
    },
    #[error("input field `{name}` has no variant `{variant}` (its variants: {known})")]
    UnknownVariant {
        name: String,
        variant: String,
        known: String,
    },
}

mod sealed {
    pub trait Sealed {}
}

/// What kind of value a [`Field`] takes, and how it is encoded (docs/abi.md).
pub trait FieldKind: sealed::Sealed {
    /// The value a host sets.
    type Value<'a>;
    /// The kind's name in messages.
    const NAME: &'static str;
    /// Whether an input of type `ty` takes this kind.
    fn accepts(ty: &ValueType) -> bool;
    /// The slot of a value; a text appends its bytes to `texts` and is
    /// encoded as its offset there (relative to the record's first text).
    #[doc(hidden)]
    fn encode(value: Self::Value<'_>, texts: &mut String, record_texts: usize) -> i64;
}

macro_rules! scalar_kind {
    ($(#[$doc:meta])* $kind:ident, $value:ty, $name:literal, $ty:pat, $encode:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub enum $kind {}
        impl sealed::Sealed for $kind {}
        impl FieldKind for $kind {
            type Value<'a> = $value;
            const NAME: &'static str = $name;
            fn accepts(ty: &ValueType) -> bool {
                matches!(ty, $ty)
            }
            #[inline]
            fn encode(value: $value, _: &mut String, _: usize) -> i64 {
                $encode(value)
            }
        }
    };
}

scalar_kind!(
    /// An `int` input: an `i64`.
    Int, i64, "int", ValueType::Int, |v| v
);
scalar_kind!(
    /// A `money` input, in pence: an `i64`.
    Money, i64, "money", ValueType::Money, |v| v
);
scalar_kind!(
    /// A `decimal` input, in millionths: an `i64` (1.15 is 1_150_000).
    Decimal, i64, "decimal", ValueType::Decimal, |v| v
);
scalar_kind!(
    /// A `bool` input.
    Bool, bool, "bool", ValueType::Bool, i64::from
);
scalar_kind!(
    /// A `date` input.
    Date, crate::Date, "date", ValueType::Date, |d: crate::Date| i64::from(d.0)
);
scalar_kind!(
    /// An `enum` input: a [`Variant`] from `Policy::variant`.
    Enum, Variant, "an enum", ValueType::Enum { .. }, |v: Variant| i64::from(v.0)
);

/// A `text` input: a `&str`.
#[derive(Debug, Clone, Copy)]
pub enum Text {}
impl sealed::Sealed for Text {}
impl FieldKind for Text {
    type Value<'a> = &'a str;
    const NAME: &'static str = "text";
    fn accepts(ty: &ValueType) -> bool {
        *ty == ValueType::Text
    }
    #[inline]
    fn encode(value: &str, texts: &mut String, record_texts: usize) -> i64 {
        let offset = texts.len() - record_texts;
        texts.push_str(value);
        (offset as u64 | ((value.len() as u64) << 32)) as i64
    }
}

/// One variant of an enum input, resolved by name once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant(u32);

/// A handle on one input field of a policy, checked to take values of kind `K`.
pub struct Field<K: FieldKind> {
    index: u32,
    /// Word of the slot within the record image.
    word: u32,
    kind: PhantomData<K>,
}

impl<K: FieldKind> Clone for Field<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: FieldKind> Copy for Field<K> {}

impl<K: FieldKind> std::fmt::Debug for Field<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field<{}>({})", K::NAME, self.index)
    }
}

impl<K: FieldKind> Field<K> {
    /// The handle of input field `name` of a policy's input layout.
    pub fn lookup(layout: &Layout, name: &str) -> Result<Field<K>, FieldError> {
        let Some((index, field)) = layout
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
        else {
            return Err(FieldError::Unknown {
                name: name.to_string(),
                known: layout
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if !K::accepts(&field.ty) {
            return Err(FieldError::WrongKind {
                name: name.to_string(),
                actual: kind_name(&field.ty),
                wanted: K::NAME,
            });
        }
        Ok(Field {
            index: index as u32,
            word: field.offset / 8,
            kind: PhantomData,
        })
    }
}

impl Field<Enum> {
    /// The variant called `name` of this enum field of `layout`.
    pub fn variant(self, layout: &Layout, name: &str) -> Result<Variant, FieldError> {
        let field = layout.fields.get(self.index as usize);
        let variants = match field.map(|f| &f.ty) {
            Some(ValueType::Enum { variants }) => variants.as_slice(),
            _ => &[],
        };
        match variants.iter().position(|v| v == name) {
            Some(i) => Ok(Variant(i as u32)),
            None => Err(FieldError::UnknownVariant {
                name: field.map_or_else(String::new, |f| f.name.clone()),
                variant: name.to_string(),
                known: variants.join(", "),
            }),
        }
    }
}

fn kind_name(ty: &ValueType) -> String {
    match ty {
        ValueType::Bool => "bool".into(),
        ValueType::Int => "int".into(),
        ValueType::Decimal => "decimal".into(),
        ValueType::Money => "money".into(),
        ValueType::Date => "date".into(),
        ValueType::Text => "text".into(),
        ValueType::Enum { variants } => format!("an enum ({})", variants.join(", ")),
        ValueType::List { .. } => "a list (use `Facts` for list inputs)".into(),
    }
}

/// Typed records of one policy, held as fact-record images (docs/abi.md):
/// presence words and one slot per field; texts in one buffer.
#[derive(Debug, Clone)]
pub struct Batch {
    meta: Arc<Meta>,
    /// Words per record.
    size: usize,
    images: Vec<u64>,
    texts: String,
    /// Per record, where its texts start in `texts`.
    text_starts: Vec<usize>,
    /// Words of text fields (slots to relocate when copied into memory).
    text_words: Arc<[u32]>,
}

impl Batch {
    /// An empty batch for a policy's inputs.
    pub fn new(policy: &crate::Policy) -> Batch {
        let meta = policy.shared_meta();
        let text_words = meta
            .input
            .fields
            .iter()
            .filter(|f| f.ty == ValueType::Text)
            .map(|f| f.offset / 8)
            .collect();
        Batch {
            size: meta.input.size as usize / 8,
            meta,
            images: Vec::new(),
            texts: String::new(),
            text_starts: Vec::new(),
            text_words,
        }
    }

    /// Appends a record with every fact unknown, to fill in with
    /// [`RecordWriter::set`].
    #[inline]
    pub fn record(&mut self) -> RecordWriter<'_> {
        let at = self.images.len();
        self.images.extend(std::iter::repeat_n(0, self.size));
        let text_start = self.texts.len();
        self.text_starts.push(text_start);
        RecordWriter {
            image: self.images.get_mut(at..).unwrap_or_default(),
            texts: &mut self.texts,
            text_start,
        }
    }

    /// Removes every record, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.images.clear();
        self.texts.clear();
        self.text_starts.clear();
    }

    pub fn len(&self) -> usize {
        self.text_starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text_starts.is_empty()
    }

    /// Whether the batch was built for this input layout (the same policy,
    /// or a version of it with the same inputs).
    pub(crate) fn fits(&self, meta: &Meta) -> bool {
        std::ptr::eq(self.meta.as_ref(), meta) || self.meta.input == meta.input
    }

    /// Writes records `range` into `mem` at `addrs` (see
    /// [`crate::runtime::marshal::write_records`] for the contract).
    pub(crate) fn write(&self, range: Range<usize>, addrs: ChunkAddrs, mem: &mut [u8]) -> usize {
        let (first, end) = (range.start, range.end);
        let texts = self.text_starts.get(first).copied().unwrap_or(0)
            ..self
                .text_starts
                .get(end)
                .copied()
                .unwrap_or(self.texts.len());
        let needed = addrs.extra + texts.len();
        if needed > mem.len() {
            return needed;
        }
        let images = self
            .images
            .get(first * self.size..end * self.size)
            .unwrap_or(&[]);
        let at = addrs.records;
        if let Some(dst) = mem.get_mut(at..at + images.len() * 8) {
            for (d, w) in dst.chunks_exact_mut(8).zip(images) {
                d.copy_from_slice(&w.to_le_bytes());
            }
        }
        if let (Some(dst), Some(src)) = (
            mem.get_mut(addrs.extra..needed),
            self.texts.as_bytes().get(texts.clone()),
        ) {
            dst.copy_from_slice(src);
        }
        // Relocate the text slots: record-relative offsets -> addresses.
        for r in first..end {
            let record = at + (r - first) * self.size * 8;
            let base = addrs.extra + self.text_starts.get(r).copied().unwrap_or(0) - texts.start;
            for &w in self.text_words.iter() {
                let slot = record + w as usize * 8;
                let Some(b) = mem.get_mut(slot..slot + 8) else {
                    continue;
                };
                // Unknown texts are relocated too: harmless, as the module
                // never reads an absent slot.
                let v = u64::from_le_bytes(b.try_into().unwrap_or_default());
                let moved = ((base as u64 + (v & 0xffff_ffff)) & 0xffff_ffff) | (v & !0xffff_ffff);
                b.copy_from_slice(&moved.to_le_bytes());
            }
        }
        needed
    }
}

/// Fills in one record of a [`Batch`]; facts not set stay unknown.
pub struct RecordWriter<'b> {
    /// The record's image: presence words, then the slots.
    image: &'b mut [u64],
    texts: &'b mut String,
    /// Where the record's texts start in `texts`.
    text_start: usize,
}

impl RecordWriter<'_> {
    /// Sets a fact.
    #[inline]
    pub fn set<K: FieldKind>(&mut self, field: Field<K>, value: K::Value<'_>) -> &mut Self {
        let slot = K::encode(value, self.texts, self.text_start);
        let i = field.index as usize;
        if let Some(w) = self.image.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
        if let Some(w) = self.image.get_mut(field.word as usize) {
            *w = slot as u64;
        }
        self
    }
}
