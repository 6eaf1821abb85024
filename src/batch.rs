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
use crate::runtime::marshal::{self, ChunkAddrs};
use crate::runtime::CHUNK;
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
    /// encoded as its offset there (relative to `chunk_texts`).
    #[doc(hidden)]
    fn encode(value: Self::Value<'_>, texts: &mut String, chunk_texts: usize) -> i64;
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
    fn encode(value: &str, texts: &mut String, chunk_texts: usize) -> i64 {
        let offset = texts.len() - chunk_texts;
        texts.push_str(value);
        (offset as u64 | ((value.len() as u64) << 32)) as i64
    }
}

/// One variant of an enum input, resolved by name once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant(u32);

/// A handle on one input field of a policy, checked to take values of kind `K`.
/// It is valid for records of that policy, and of any version of it with the
/// same inputs. Setting a fact through a handle of a policy with other inputs
/// sets nothing, and that record's result is an error saying so.
pub struct Field<K: FieldKind> {
    /// [`Layout::id`] of the inputs it was looked up in.
    layout: u64,
    index: u32,
    /// Byte offset of the slot within the record image.
    offset: u32,
    /// The field's presence bit when it is in the first presence word
    /// (index < 64), else 0.
    mask: u64,
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
            layout: layout.id(),
            index: index as u32,
            offset: field.offset,
            mask: if index < 64 { 1 << index } else { 0 },
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
    /// Bytes per record.
    size: usize,
    presence_words: usize,
    /// How many records the batch holds.
    count: usize,
    /// Record images; only the first `count` are the batch's (the rest are
    /// kept from before a [`Batch::clear`], to be overwritten).
    images: Vec<u8>,
    texts: String,
    /// Where the texts of each chunk of [`CHUNK`] records start in `texts`
    /// (a text slot holds its offset from there until relocated).
    chunk_texts: Vec<usize>,
    /// Byte offsets of the text slots within a record.
    text_slots: Arc<[usize]>,
    /// [`Layout::id`] of the inputs.
    layout: u64,
    /// Records given a fact through a field handle of other inputs.
    misfits: Vec<usize>,
}

impl Batch {
    /// An empty batch for a policy's inputs.
    pub fn new(policy: &crate::Policy) -> Batch {
        let meta = policy.shared_meta();
        Batch {
            size: meta.input.size as usize,
            presence_words: meta.input.presence_words as usize,
            count: 0,
            images: Vec::new(),
            texts: String::new(),
            chunk_texts: Vec::new(),
            text_slots: marshal::text_slots(&meta.input).into(),
            layout: meta.input.id(),
            misfits: Vec::new(),
            meta,
        }
    }

    /// Appends a record with every fact unknown, to fill in with
    /// [`RecordWriter::set`].
    #[inline]
    pub fn record(&mut self) -> RecordWriter<'_> {
        let at = self.count * self.size;
        let end = at + self.size;
        if self.images.len() < end {
            self.images.resize(end, 0);
        }
        if self.count.is_multiple_of(CHUNK) {
            self.chunk_texts.push(self.texts.len());
        }
        self.count += 1;
        let chunk_texts = self.chunk_texts.last().copied().unwrap_or(0);
        let image = self.images.get_mut(at..end).unwrap_or_default();
        let mut w = RecordWriter::new(
            image,
            self.presence_words,
            self.layout,
            &mut self.texts,
            chunk_texts,
        );
        w.misfits = Some((&mut self.misfits, self.count - 1));
        w
    }

    /// The records given a fact through a field handle of other inputs.
    pub(crate) fn misfits(&self) -> &[usize] {
        &self.misfits
    }

    /// Removes every record, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.count = 0;
        self.misfits.clear();
        self.texts.clear();
        self.chunk_texts.clear();
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the batch was built for this input layout (the same policy,
    /// or a version of it with the same inputs).
    pub(crate) fn fits(&self, meta: &Meta) -> bool {
        std::ptr::eq(self.meta.as_ref(), meta) || self.meta.input == meta.input
    }

    /// Writes records `range` (within one chunk of [`CHUNK`] records) into
    /// `mem` at `addrs`, with the contract of [`marshal::write_records`].
    pub(crate) fn write(&self, range: Range<usize>, addrs: ChunkAddrs, mem: &mut [u8]) -> usize {
        let chunk = range.start / CHUNK;
        let texts = self.chunk_texts.get(chunk).copied().unwrap_or(0)
            ..self
                .chunk_texts
                .get(chunk + 1)
                .copied()
                .unwrap_or(self.texts.len());
        let needed = addrs.extra + texts.len();
        if needed > mem.len() {
            return needed;
        }
        let images = self
            .images
            .get(range.start * self.size..range.end * self.size)
            .unwrap_or(&[]);
        let at = addrs.records;
        if let Some(dst) = mem.get_mut(at..at + images.len()) {
            dst.copy_from_slice(images);
        }
        if let (Some(dst), Some(src)) = (
            mem.get_mut(addrs.extra..needed),
            self.texts.as_bytes().get(texts),
        ) {
            dst.copy_from_slice(src);
        }
        marshal::relocate_texts(
            mem,
            at,
            range.len(),
            self.size,
            &self.text_slots,
            addrs.extra,
        );
        needed
    }
}

/// Fills in one record; facts not set stay unknown. The record is either
/// in a [`Batch`] or, with `Policy::evaluate_each`, straight in the module's
/// memory.
pub struct RecordWriter<'b> {
    /// The record's image: presence words, then the slots.
    image: &'b mut [u8],
    texts: &'b mut String,
    /// Where the texts of the record's chunk start in `texts`: a text slot
    /// holds its offset from there (relocated when the chunk is placed).
    chunk_texts: usize,
    /// Presence bits of the first 64 fields, stored when the writer is
    /// dropped (one store instead of a read-modify-write per field).
    presence: u64,
    /// [`Layout::id`] of the record's inputs: a field handle of any other
    /// layout sets nothing.
    layout: u64,
    /// Set when a field handle of other inputs was used.
    pub(crate) misfit: bool,
    /// Where a [`Batch`] notes this record as a misfit, and its index.
    misfits: Option<(&'b mut Vec<usize>, usize)>,
}

impl<'b> RecordWriter<'b> {
    /// A writer over a record image that may hold an earlier record: its
    /// presence words are cleared (slots are only read when present).
    #[inline]
    pub(crate) fn new(
        image: &'b mut [u8],
        presence_words: usize,
        layout: u64,
        texts: &'b mut String,
        chunk_texts: usize,
    ) -> RecordWriter<'b> {
        if presence_words > 1 {
            if let Some(words) = image.get_mut(8..8 * presence_words) {
                words.fill(0);
            }
        }
        RecordWriter {
            image,
            texts,
            chunk_texts,
            presence: 0,
            layout,
            misfit: false,
            misfits: None,
        }
    }

    /// Sets a fact.
    #[inline]
    pub fn set<K: FieldKind>(&mut self, field: Field<K>, value: K::Value<'_>) -> &mut Self {
        if field.layout != self.layout {
            self.misfit = true;
            return self;
        }
        let slot = K::encode(value, self.texts, self.chunk_texts);
        self.presence |= field.mask;
        if field.mask == 0 {
            self.set_high_presence(field.index as usize);
        }
        let at = field.offset as usize;
        if let Some(w) = self
            .image
            .get_mut(at..)
            .and_then(|s| s.first_chunk_mut::<8>())
        {
            *w = slot.to_le_bytes();
        }
        self
    }

    /// Sets the presence bit of field `i` >= 64 in its word of the image.
    #[cold]
    fn set_high_presence(&mut self, i: usize) {
        let at = i / 64 * 8;
        if let Some(w) = self.image.get_mut(at..at + 8) {
            let bits = u64::from_le_bytes(w.try_into().unwrap_or_default()) | 1 << (i % 64);
            w.copy_from_slice(&bits.to_le_bytes());
        }
    }
}

impl Drop for RecordWriter<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(w) = self.image.first_chunk_mut::<8>() {
            *w = self.presence.to_le_bytes();
        }
        if self.misfit {
            if let Some((misfits, i)) = self.misfits.take() {
                misfits.push(i);
            }
        }
    }
}

/// The error of a record given a fact through a field handle of other inputs.
pub(crate) fn misfit_error() -> crate::EvalError {
    crate::EvalError::Trap {
        message: "a fact was set through a field handle looked up on a policy with other inputs: \
                  look the handles up on this policy"
            .into(),
    }
}
