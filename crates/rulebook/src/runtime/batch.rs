//! Batches: typed records encoded straight into the ABI's fact-record
//! layout as a host fills them in, for services that hold typed data and
//! evaluate at volume. A [`Field`] handle is looked up by name and checked
//! against the input schema once; setting a value is then a store into the
//! record image, and evaluating copies whole chunks of images into the
//! module's memory. [`crate::Facts`] stays the general form (lists, JSON,
//! either engine); a batch covers policies whose inputs are scalars.
//!
//! ```
//! use rulebook::batch::{Batch, Decision, Field, Int, Text};
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
//! let queue: Decision<Text> = policy.decision("queue").unwrap();
//! let queues: Vec<Option<&str>> = results
//!     .iter()
//!     .map(|r| r.unwrap().get(queue).unwrap())
//!     .collect();
//! assert_eq!(queues, [Some("cymru"), Some("england"), None]);
//! ```

use super::marshal::{self, ChunkAddrs, CHUNK};
use super::results::{DecisionView, RecordView, TextSource};
use crate::abi::{Layout, Meta, ValueType};
use crate::facts::{FactValue, FieldProblem, InputError, ProblemKind, Scalar};
use crate::num::Date;
use crate::outcome::{DecisionOutcome, Outcome, ValueRef, WrongPolicy};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
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
    #[error("a field set takes handles of one policy's inputs, and these are of several")]
    MixedInputs,
    #[error("a set of number fields takes at most {most} fields, not {given}")]
    TooMany { given: usize, most: usize },
    #[error(
        "input field `{name}` is named twice in one set of number fields (a row would give it two numbers)"
    )]
    Twice { name: String },
    #[error("the policy has no decision `{name}` (its decisions: {known})")]
    UnknownDecision { name: String, known: String },
    #[error("decision `{name}` is {actual}, not {wanted}")]
    WrongDecisionKind {
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
    /// Whether an input (or decision) of type `ty` is of this kind.
    fn accepts(ty: &ValueType) -> bool;
    /// The slot of a value; a text's bytes go to `texts` (see [`TextSink`]),
    /// `slot` being the slot's offset within the record.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn encode(value: Self::Value<'_>, texts: &mut TextSink<'_>, slot: usize) -> i64;
    /// Whether `value` may be set in the field whose [`owner`] id is
    /// `owner` (an enum variant only in its own field; anything else always).
    #[doc(hidden)]
    #[inline(always)]
    fn belongs(_value: &Self::Value<'_>, _owner: u64) -> bool {
        true
    }
}

/// What a [`Decision`] handle reads: the value of a known decision of
/// this kind, decoded from its slot (docs/abi.md).
pub trait OutputKind: FieldKind {
    /// The value read.
    type Output<'a>;
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn decode<'a>(raw: u64, texts: TextSource<'a>, owner: u64) -> Self::Output<'a>;
    /// The value read from an owned result (`owner` as for `decode`).
    #[doc(hidden)]
    fn from_value(value: ValueRef<'_>, owner: u64) -> Self::Output<'_>;
}

/// The id that ties an enum variant to its field (or decision): the
/// layout's id mixed with the item's index, apart for inputs and outputs.
#[inline(always)]
fn owner(layout: u64, index: u32, output: bool) -> u64 {
    let item = (u64::from(index) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    layout ^ item ^ if output { 0xd6e8_feb8_6659_fd93 } else { 0 }
}

macro_rules! scalar_kind {
    ($(#[$doc:meta])* $kind:ident, $value:ty, $name:literal, $ty:pat, $encode:expr, $decode:expr, $from:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub enum $kind {}
        scalar_kind!(@impl $kind, $value, $name, $ty, $encode, $decode, $from);
    };
    (@impl $kind:ident, $value:ty, $name:literal, $ty:pat, $encode:expr, $decode:expr, $from:expr) => {
        impl sealed::Sealed for $kind {}
        impl FieldKind for $kind {
            type Value<'a> = $value;
            const NAME: &'static str = $name;
            fn accepts(ty: &ValueType) -> bool {
                matches!(ty, $ty)
            }
            #[inline(always)]
            #[allow(private_interfaces)]
            fn encode(value: $value, _: &mut TextSink<'_>, _: usize) -> i64 {
                $encode(value)
            }
        }
        impl OutputKind for $kind {
            type Output<'a> = $value;
            #[inline]
            #[allow(private_interfaces)]
            fn decode<'a>(raw: u64, _: TextSource<'a>, _: u64) -> $value {
                $decode(raw)
            }
            fn from_value(value: ValueRef<'_>, _: u64) -> $value {
                $from(value)
            }
        }
    };
}

/// The number of a numeric value (0 for another form: a handle's kind
/// was checked against the decision's type at lookup, so it cannot be).
fn num_of(value: ValueRef<'_>) -> i64 {
    match value {
        ValueRef::Num(n) => n,
        ValueRef::Bool(b) => i64::from(b),
        ValueRef::Text(_) => 0,
    }
}

scalar_kind!(
    /// An `int` input or decision: an `i64`.
    Int, i64, "int", ValueType::Int, |v| v, |raw| raw as i64, num_of
);
scalar_kind!(
    /// A `money` input or decision, in pence: an `i64`.
    Money, i64, "money", ValueType::Money, |v| v, |raw| raw as i64, num_of
);
scalar_kind!(
    /// A `decimal` input or decision, in millionths: an `i64` (1.15 is 1_150_000).
    Decimal, i64, "decimal", ValueType::Decimal, |v| v, |raw| raw as i64, num_of
);
scalar_kind!(
    /// A `bool` input or decision.
    Bool, bool, "bool", ValueType::Bool, i64::from, |raw| raw != 0,
    |v| matches!(v, ValueRef::Bool(true))
);
// A `date` input or decision: the kind is the value type itself, `Field<Date>`.
scalar_kind!(
    @impl Date, Date, "date", ValueType::Date, |d: Date| i64::from(d.0),
    |raw| Date(raw as i32), |v| Date(num_of(v) as i32)
);

/// An `enum` input or decision: a [`Variant`] from `Policy::variant` (or
/// `Policy::decision_variant`), valid only for the field (or decision) it
/// was looked up on.
#[derive(Debug, Clone, Copy)]
pub enum Enum {}
impl sealed::Sealed for Enum {}
impl FieldKind for Enum {
    type Value<'a> = Variant;
    const NAME: &'static str = "an enum";
    fn accepts(ty: &ValueType) -> bool {
        matches!(ty, ValueType::Enum { .. })
    }
    #[inline(always)]
    #[allow(private_interfaces)]
    fn encode(value: Variant, _: &mut TextSink<'_>, _: usize) -> i64 {
        i64::from(value.index)
    }
    #[inline(always)]
    fn belongs(value: &Variant, owner: u64) -> bool {
        value.owner == owner
    }
}
impl OutputKind for Enum {
    type Output<'a> = Variant;
    #[inline]
    #[allow(private_interfaces)]
    fn decode<'a>(raw: u64, _: TextSource<'a>, owner: u64) -> Variant {
        Variant {
            owner,
            index: raw as u32,
        }
    }
    fn from_value(value: ValueRef<'_>, owner: u64) -> Variant {
        Variant {
            owner,
            index: num_of(value) as u32,
        }
    }
}

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
    #[inline(always)]
    #[allow(private_interfaces)]
    fn encode(value: &str, texts: &mut TextSink<'_>, slot: usize) -> i64 {
        texts.put(value, slot)
    }
}

impl OutputKind for Text {
    type Output<'a> = &'a str;
    #[inline]
    #[allow(private_interfaces)]
    fn decode<'a>(raw: u64, texts: TextSource<'a>, _: u64) -> &'a str {
        texts.text(raw)
    }
    fn from_value(value: ValueRef<'_>, _: u64) -> &str {
        match value {
            ValueRef::Text(t) => t,
            _ => "",
        }
    }
}

/// Where a [`RecordWriter`] puts the bytes of texts: free memory `area`,
/// whose use `texts` keeps, for one chunk of records. `record` is the
/// offset of the record from the chunk's first record; for the record of
/// a list's element, the element's offset among the spilled bytes, and
/// `list` is then [`InList`].
pub(crate) struct TextSink<'b> {
    pub(crate) area: &'b mut [u8],
    pub(crate) texts: &'b mut ChunkTexts,
    pub(crate) record: usize,
    pub(crate) list: Option<InList>,
}

/// Where an element's record lies: in the block of its list (its element
/// records, from `block` among the spilled bytes), within the spilled item
/// that starts at `item` (the block of the record's own list, which holds
/// every nested list's block and every element's text after it).
#[derive(Clone, Copy)]
pub(crate) struct InList {
    block: usize,
    item: usize,
}

impl TextSink<'_> {
    /// Stores a text and returns its slot, for the slot at offset `slot`
    /// of the record.
    #[inline(always)]
    fn put(&mut self, text: &str, slot: usize) -> i64 {
        if let Some(list) = self.list {
            return self
                .texts
                .put_in_list(text.as_bytes(), self.record + slot, list);
        }
        self.texts
            .put(self.area, text.as_bytes(), self.record + slot)
    }
}

/// What becomes of an item of `evaluate_each` (or a row of
/// `evaluate_rows`) once its record is filled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Its numbers were refused (`evaluate_rows`): its record is empty.
    Refused,
    /// Its results are read from its result record.
    Run,
    /// A fact was set through a handle (or variant) of other inputs.
    Misfit,
    /// Its texts alone need more memory than an instance may have (the
    /// bytes are the chunk's [`ChunkTexts::too_large`]: only a chunk's
    /// first record can be too large): its record was emptied, and it gets
    /// an error. No payload, so that a fate is a byte beside its item.
    TooLarge,
}

/// The texts of one chunk of records. With `Policy::evaluate_each` they go
/// straight into the free memory after the chunk's results while they fit;
/// a [`Batch`] has no such memory. Texts that do not fit are kept aside
/// (spilled) and placed when the chunk is in the module's memory
/// ([`ChunkTexts::place`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkTexts {
    /// Address of the first byte of the free memory.
    base: usize,
    /// Bytes used from `base`.
    used: usize,
    /// Texts that did not fit, one after another.
    spilled: Vec<u8>,
    /// For each spilled text: its slot's offset from the chunk's first
    /// record, and the text's offset in `spilled` (the slot holds the
    /// text's length and a zero address until placed).
    fixups: Vec<(usize, usize)>,
    /// The bytes of memory the chunk's first record needs, when it is
    /// [`Fate::TooLarge`].
    too_large: usize,
    /// The words among the spilled bytes that hold an address within a
    /// list's item (an element's text, a nested list): the address is
    /// written relative to a list's block, and that block's place is added
    /// when it is placed. In the order written, so ascending by item.
    relocs: Vec<Reloc>,
    /// Images of element records too large for the stack while they are
    /// filled (see `SMALL_ELEMENT`), one a level of nesting, kept for the
    /// next list.
    scratch: Vec<Vec<u8>>,
}

impl ChunkTexts {
    /// Starts a new chunk whose free memory starts at address `base`.
    pub(crate) fn reset(&mut self, base: usize) {
        self.base = base;
        self.used = 0;
        self.spilled.clear();
        self.fixups.clear();
        self.relocs.clear();
        self.too_large = 0;
    }

    /// The bytes of memory the chunk's [`Fate::TooLarge`] record needs.
    pub(crate) fn too_large(&self) -> usize {
        self.too_large
    }

    #[inline(always)]
    fn put(&mut self, area: &mut [u8], text: &[u8], slot: usize) -> i64 {
        let (start, end) = (self.used, self.used + text.len());
        match area.get_mut(start..end) {
            Some(dst) => {
                copy_short_text(dst, text);
                self.used = end;
                marshal::packed(self.base + start, text.len())
            }
            None => spill(&mut self.spilled, &mut self.fixups, text, slot),
        }
    }

    /// [`ChunkTexts::put`] for the text `data[start..end]` of a buffer of
    /// texts: a short one is copied as the [`SHORT_TEXT`] bytes from
    /// `start` on when the buffer and the free memory both hold them, one
    /// copy of fixed size, so that texts of varied lengths take no branch
    /// on their length (a mispredicted one a text cost casework routing's
    /// `evaluate_rows` about a tenth of its time). The bytes after the
    /// text are overwritten by the next one, or never read.
    #[inline(always)]
    fn put_span(
        &mut self,
        area: &mut [u8],
        data: &[u8],
        (start, end): (usize, usize),
        slot: usize,
    ) -> i64 {
        let len = end.saturating_sub(start);
        // (`start` is at most `data.len()` and `used` at most
        // `area.len()`, both at most `isize::MAX`: the sums do not
        // overflow)
        if len <= SHORT_TEXT
            && start + SHORT_TEXT <= data.len()
            && self.used + SHORT_TEXT <= area.len()
        {
            // SAFETY: just checked.
            return unsafe { self.put_short(area, data, start, len) };
        }
        // (a span `Rows::text_buffer` checked: always in `data`)
        let text = data.get(start..end).unwrap_or_default();
        self.put(area, text, slot)
    }

    /// [`ChunkTexts::put_span`] for a chunk whose texts surely fit
    /// (`DirectRows::roomy`): a short text is copied with no check.
    ///
    /// # Safety
    /// `start <= end`, `end - start` bytes from `start` are within `data`,
    /// `start + SHORT_TEXT <= data.len()`, and the bytes used so far plus
    /// this text's length plus [`SHORT_TEXT`] are at most `area.len()`.
    #[inline(always)]
    unsafe fn put_roomy(
        &mut self,
        area: &mut [u8],
        data: &[u8],
        (start, end): (usize, usize),
        slot: usize,
    ) -> i64 {
        let len = end - start;
        if len <= SHORT_TEXT {
            // SAFETY: the caller's promise.
            return unsafe { self.put_short(area, data, start, len) };
        }
        // (in `data` and, the caller promised, in `area`)
        let text = data.get(start..end).unwrap_or_default();
        self.put(area, text, slot)
    }

    /// Copies the text of `len` bytes (at most [`SHORT_TEXT`]) at `start`
    /// in `data` as the [`SHORT_TEXT`] bytes from there, to the free
    /// memory after the bytes used, and returns its slot.
    ///
    /// # Safety
    /// `start + SHORT_TEXT <= data.len()`, and the bytes used so far plus
    /// [`SHORT_TEXT`] are at most `area.len()`.
    #[inline(always)]
    unsafe fn put_short(&mut self, area: &mut [u8], data: &[u8], start: usize, len: usize) -> i64 {
        let used = self.used;
        // SAFETY: the caller's promise.
        unsafe { copy_short(data, start, area, used) };
        self.used = used + len;
        marshal::packed(self.base + used, len)
    }

    /// Where the spilled texts go when placed: right after those placed.
    pub(crate) fn spill_at(&self) -> usize {
        self.base + self.used
    }

    /// Bytes of the spilled texts.
    pub(crate) fn spilled_len(&self) -> usize {
        self.spilled.len()
    }

    /// Copies the spilled texts into `mem` at `at` and points their slots,
    /// in the chunk's records from address `records`, at them. `mem` must
    /// hold `at + spilled_len()` bytes.
    pub(crate) fn place(&self, mem: &mut [u8], records: usize, at: usize) {
        if let Some(dst) = mem.get_mut(at..at + self.spilled.len()) {
            dst.copy_from_slice(&self.spilled);
        }
        for &(slot, offset) in &self.fixups {
            let slot = records + slot;
            if let Some(w) = mem.get_mut(slot..slot + 4) {
                w.copy_from_slice(&((at + offset) as u32).to_le_bytes());
            }
        }
        for r in &self.relocs {
            relocate(mem, at + r.word, at + r.block);
        }
    }

    /// Starts a list of `bytes` of element records: its block, zeroed, at
    /// the end of the spilled bytes (a list is always spilled, and placed
    /// with the chunk's spilled texts). Its slot, at `slot` (from the
    /// chunk's first record, or among the spilled bytes when `within` says
    /// where the element that holds it lies), is pointed at it when
    /// placed. Returns where its elements lie, and the slot's value
    /// before the place is added, with a count of 0 (`set_list` adds the
    /// count of elements it wrote).
    #[inline(always)]
    pub(crate) fn begin_list(
        &mut self,
        slot: usize,
        bytes: usize,
        within: Option<InList>,
    ) -> (InList, i64) {
        let block = self.spilled.len();
        let (list, value) = match within {
            None => {
                self.fixups.push((slot, block));
                (InList { block, item: block }, 0)
            }
            Some(outer) => {
                self.relocs.push(Reloc {
                    word: slot,
                    block: outer.block,
                    item: outer.item,
                });
                let list = InList {
                    block,
                    item: outer.item,
                };
                (list, marshal::packed(block - outer.block, 0))
            }
        };
        self.spilled.resize(block + bytes, 0);
        (list, value)
    }

    /// [`ChunkTexts::put`] for a text of a list's element: spilled, with
    /// its address relative to its list's block (see `relocs`), for the
    /// slot at `slot` among the spilled bytes.
    fn put_in_list(&mut self, text: &[u8], slot: usize, list: InList) -> i64 {
        let at = self.spilled.len();
        self.spilled.extend_from_slice(text);
        self.relocs.push(Reloc {
            word: slot,
            block: list.block,
            item: list.item,
        });
        marshal::packed(at - list.block, text.len())
    }

    /// An element record's image of `size` bytes, zeroed, for one level of
    /// nesting, when it is too large for the stack (given back with
    /// [`ChunkTexts::give_scratch`]).
    pub(crate) fn take_scratch(&mut self, size: usize) -> Vec<u8> {
        let mut image = self.scratch.pop().unwrap_or_default();
        image.clear();
        image.resize(size, 0);
        image
    }

    pub(crate) fn give_scratch(&mut self, image: Vec<u8>) {
        self.scratch.push(image);
    }

    /// Copies a filled element record into its place `at` among the
    /// spilled bytes (within a block [`ChunkTexts::begin_list`] made).
    #[inline(always)]
    pub(crate) fn put_element(&mut self, at: usize, image: &[u8]) {
        if let Some(dst) = self.spilled.get_mut(at..at + image.len()) {
            copy_text(dst, image);
        }
    }

    /// Points the words of the spilled item that started at `from` among
    /// the spilled bytes at its place `at` in `mem` (see `relocs`), for a
    /// [`Batch`], which places each record's items one after another.
    fn relocate_item(&self, mem: &mut [u8], from: usize, at: usize) {
        let first = self.relocs.partition_point(|r| r.item < from);
        for r in self.relocs.get(first..).unwrap_or(&[]) {
            if r.item != from {
                break;
            }
            relocate(mem, at + (r.word - from), at + (r.block - from));
        }
    }

    /// The spilled texts (and lists) whose slots lie in `slots` (offsets
    /// from the chunk's first record), each as (slot, its offset among the
    /// spilled bytes, its bytes), in order.
    fn spilled_in(&self, slots: Range<usize>) -> impl Iterator<Item = (usize, usize, &[u8])> + '_ {
        let ends = self
            .fixups
            .iter()
            .skip(1)
            .map(|&(_, offset)| offset)
            .chain(std::iter::once(self.spilled.len()));
        self.fixups
            .iter()
            .zip(ends)
            .filter(move |((slot, _), _)| slots.contains(slot))
            // in bounds: the offsets ascend within `spilled`
            .map(|(&(slot, start), end)| (slot, start, self.spilled.get(start..end).unwrap_or(&[])))
    }

    /// Bytes of text of the chunk, placed or not.
    pub(crate) fn len(&self) -> usize {
        self.used + self.spilled.len()
    }

    /// Where the texts written so far end, before the record at offset
    /// `record` from the chunk's first writes its own: to
    /// [`ChunkTexts::truncate`] to.
    #[inline(always)]
    pub(crate) fn mark(&self, record: usize) -> TextMark {
        TextMark {
            used: self.used,
            record,
        }
    }

    /// A record's fate once its texts are written (after `mark`), for
    /// both `evaluate_rows` and `evaluate_each`: `fate` while the chunk's
    /// texts fit in `room` bytes; else, the record the chunk's first,
    /// [`Fate::TooLarge`] (`base` bytes more than its texts), or None, the
    /// record to start the next chunk instead. Either way its texts are
    /// dropped. The bytes a too large record needs are kept in
    /// `too_large`.
    #[inline(always)]
    pub(crate) fn settle(
        &mut self,
        mark: TextMark,
        (room, base): (usize, usize),
        first: bool,
        fate: Fate,
    ) -> Option<Fate> {
        if self.len() <= room {
            return Some(fate);
        }
        let need = self.len();
        self.truncate(mark);
        if !first {
            return None;
        }
        self.too_large = base + need;
        Some(Fate::TooLarge)
    }

    /// Forgets the texts written after `mark`.
    #[inline(always)]
    pub(crate) fn truncate(&mut self, mark: TextMark) {
        self.used = mark.used;
        forget_spilled(&mut self.spilled, &mut self.fixups, mark.record);
        if !self.relocs.is_empty() {
            let kept = self.spilled.len();
            let relocs = self.relocs.partition_point(|r| r.item < kept);
            self.relocs.truncate(relocs);
        }
    }
}

/// A word among a chunk's spilled bytes that holds an address relative to
/// the list block at `block`, in the spilled item (a record's list) that
/// starts at `item` (see `ChunkTexts::relocs`).
#[derive(Debug, Clone, Copy)]
struct Reloc {
    word: usize,
    block: usize,
    item: usize,
}

/// Adds `base` to the address in the low half of the slot at `word` in
/// `mem` (nothing when out of bounds: the module would read an address
/// outside its memory, and trap).
fn relocate(mem: &mut [u8], word: usize, base: usize) {
    if let Some(w) = mem.get_mut(word..word + 4) {
        let mut a = [0; 4];
        a.copy_from_slice(w);
        let address = u32::from_le_bytes(a).wrapping_add(base as u32);
        w.copy_from_slice(&address.to_le_bytes());
    }
}

/// Copies the [`SHORT_TEXT`] bytes of `data` from `start` to `area` at
/// `at`: a short text and the bytes after it, in one copy of fixed size.
///
/// # Safety
/// `start + SHORT_TEXT <= data.len()` and `at + SHORT_TEXT <= area.len()`.
#[inline(always)]
unsafe fn copy_short(data: &[u8], start: usize, area: &mut [u8], at: usize) {
    // (the promise, checked in the tests' builds)
    debug_assert!(start + SHORT_TEXT <= data.len() && at + SHORT_TEXT <= area.len());
    // SAFETY: both ranges of `SHORT_TEXT` bytes lie within their slices
    // (the caller's promise), which do not overlap (`data` is borrowed,
    // `area` borrowed mutably).
    unsafe {
        std::ptr::copy_nonoverlapping(
            data.as_ptr().add(start),
            area.as_mut_ptr().add(at),
            SHORT_TEXT,
        );
    }
}

/// [`ChunkTexts::put`] out of line, for a text longer than [`SHORT_TEXT`]
/// in a loop that copies the short ones itself.
#[cold]
#[inline(never)]
fn put_long(chunk: &mut ChunkTexts, area: &mut [u8], text: &[u8], slot: usize) -> i64 {
    chunk.put(area, text, slot)
}

/// Keeps a text that did not fit aside, for the slot at offset `slot`
/// from the chunk's first record; returns the slot's value until placed
/// (its length, and a zero address). A function of the spilled texts alone
/// (not of their [`ChunkTexts`]), so that the bytes used, which every text
/// updates, can stay in a register.
#[cold]
fn spill(spilled: &mut Vec<u8>, fixups: &mut Vec<(usize, usize)>, text: &[u8], slot: usize) -> i64 {
    fixups.push((slot, spilled.len()));
    spilled.extend_from_slice(text);
    marshal::packed(0, text.len())
}

/// Forgets the spilled texts of the record at offset `record` from the
/// chunk's first and after it (see [`spill`]).
#[cold]
fn forget_spilled(spilled: &mut Vec<u8>, fixups: &mut Vec<(usize, usize)>, record: usize) {
    // Records are written in order, so the spilled texts of the record
    // marked and after it are those whose slots lie at or beyond its first
    // byte, at the end.
    let kept = fixups.partition_point(|&(slot, _)| slot < record);
    let bytes = (fixups.get(kept)).map_or(spilled.len(), |&(_, offset)| offset);
    spilled.truncate(bytes);
    fixups.truncate(kept);
}

/// Where a [`ChunkTexts`]' texts ended when a record started writing its
/// own: the bytes used in free memory, and the record's offset from the
/// chunk's first (its spilled texts are told by their slots). Two words,
/// taken for every record, kept in registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextMark {
    used: usize,
    record: usize,
}

/// One variant of an enum input (or decision), resolved by name once. It
/// belongs to the field (or decision) it was looked up on: set in another
/// field, even of the same policy, the record is refused
/// ([`WrongPolicy::Field`]), and it equals only variants of its own field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    /// [`owner`] of its field or decision.
    owner: u64,
    index: u32,
}

impl Variant {
    /// The variant's position in its enum's declaration.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// A handle on one decision of a policy, checked to be of kind `K`, for
/// reading results with [`crate::RecordView::get`]: the value when the
/// decision is known, without looking anything up by name or index. It
/// is valid for results of that policy, and of any version of it with the
/// same decisions in the same result layout; on results of other
/// decisions `get` reads nothing (`None`).
pub struct Decision<K: OutputKind> {
    /// [`crate::runtime::results::ModuleData`]'s result layout id.
    layout: u64,
    /// [`owner`] of the decision, for the variants it reads.
    owner: u64,
    /// Byte offset of the decision's value within a result record.
    at: u32,
    index: u32,
    kind: PhantomData<K>,
}

impl<K: OutputKind> Clone for Decision<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: OutputKind> Copy for Decision<K> {}

impl<K: OutputKind> std::fmt::Debug for Decision<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decision<{}>({})", K::NAME, self.index)
    }
}

impl<K: OutputKind> Decision<K> {
    /// The handle of decision `name` of a policy.
    pub(crate) fn lookup(meta: &Meta, name: &str) -> Result<Decision<K>, FieldError> {
        let (index, d) = find_typed::<K, _>(
            &meta.decisions,
            name,
            |d| (&d.name, &d.ty),
            |name, known| FieldError::UnknownDecision { name, known },
            |name, actual, wanted| FieldError::WrongDecisionKind {
                name,
                actual,
                wanted,
            },
        )?;
        let layout = meta.result_layout_id();
        Ok(Decision {
            layout,
            owner: owner(layout, index as u32, true),
            at: d.offset,
            index: index as u32,
            kind: PhantomData,
        })
    }

    /// The decision's index (as `Policy::decision_index` gives it).
    pub fn index(self) -> usize {
        self.index as usize
    }

    pub(crate) fn parts(self) -> (u64, usize) {
        (self.layout, self.at as usize)
    }

    /// The id its enum variants carry.
    pub(crate) fn owner(self) -> u64 {
        self.owner
    }
}

impl Decision<Enum> {
    /// The variant called `name` of this enum decision of `meta`.
    pub(crate) fn variant(self, meta: &Meta, name: &str) -> Result<Variant, FieldError> {
        let decision = meta.decisions.get(self.index as usize);
        let variants = match decision.map(|d| &d.ty) {
            Some(ValueType::Enum { variants }) => variants.as_slice(),
            _ => &[],
        };
        match variants.iter().position(|v| v == name) {
            Some(i) => Ok(Variant {
                owner: self.owner,
                index: i as u32,
            }),
            None => Err(FieldError::UnknownVariant {
                name: decision.map_or_else(String::new, |d| d.name.clone()),
                variant: name.to_string(),
                known: variants.join(", "),
            }),
        }
    }
}

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
    /// [`owner`] of the field: the id its variants carry (enums).
    owner: u64,
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
    /// [`Field::store`] without the bounds check.
    ///
    /// # Safety
    /// The slot (offset + 8) must lie within `image`.
    #[inline(always)]
    unsafe fn store_unchecked(
        self,
        image: &mut [u8],
        texts: &mut TextSink<'_>,
        value: K::Value<'_>,
    ) {
        // SAFETY: passed on from the caller.
        unsafe { Self::store_at_unchecked(image, texts, value, self.offset as usize) }
    }

    /// Stores a value of this kind in the slot at `at` of a record image,
    /// without the bounds check.
    ///
    /// # Safety
    /// The slot (`at` + 8) must lie within `image`.
    #[inline(always)]
    unsafe fn store_at_unchecked(
        image: &mut [u8],
        texts: &mut TextSink<'_>,
        value: K::Value<'_>,
        at: usize,
    ) {
        let slot = K::encode(value, texts, at);
        debug_assert!(at + 8 <= image.len());
        // SAFETY: `at + 8 <= image.len()`, by the caller.
        unsafe {
            image
                .as_mut_ptr()
                .add(at)
                .cast::<[u8; 8]>()
                .write_unaligned(slot.to_le_bytes());
        }
    }

    /// The handle of input field `name` of a policy's input layout.
    pub fn lookup(layout: &Layout, name: &str) -> Result<Field<K>, FieldError> {
        let (index, field) = find_typed::<K, _>(
            &layout.fields,
            name,
            |f| (&f.name, &f.ty),
            |name, known| FieldError::Unknown { name, known },
            |name, actual, wanted| FieldError::WrongKind {
                name,
                actual,
                wanted,
            },
        )?;
        Ok(Field {
            layout: layout.id(),
            index: index as u32,
            offset: field.offset,
            mask: if index < 64 { 1 << index } else { 0 },
            owner: owner(layout.id(), index as u32, false),
            kind: PhantomData,
        })
    }
}

/// A handle on a list input field, of a policy's inputs or of the elements
/// of one of its lists: [`RecordWriter::set_list`] sets it, and its
/// element fields are handles of their own ([`ListField::field`], and
/// [`ListField::list`] for a list within the elements), as valid as the
/// handle they came from.
#[derive(Clone)]
pub struct ListField {
    /// [`Layout::id`] of the inputs (or elements) it was looked up in.
    layout: u64,
    index: u32,
    offset: u32,
    /// The presence bit, as [`Field`]'s.
    mask: u64,
    /// The name, for messages.
    name: String,
    element: Arc<Layout>,
}

impl std::fmt::Debug for ListField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ListField({})", self.name)
    }
}

impl ListField {
    pub(crate) fn lookup(layout: &Layout, name: &str) -> Result<ListField, FieldError> {
        let (index, field) = find_named(
            &layout.fields,
            name,
            |f| &f.name,
            |name, known| FieldError::Unknown { name, known },
        )?;
        let ValueType::List { element } = &field.ty else {
            return Err(FieldError::WrongKind {
                name: name.to_string(),
                actual: kind_name(&field.ty),
                wanted: "a list",
            });
        };
        Ok(ListField {
            layout: layout.id(),
            index: index as u32,
            offset: field.offset,
            mask: if index < 64 { 1 << index } else { 0 },
            name: field.name.clone(),
            element: Arc::new(element.clone()),
        })
    }

    /// A handle on field `name` of the list's elements, checked to take
    /// values of kind `K`.
    pub fn field<K: FieldKind>(&self, name: &str) -> Result<Field<K>, FieldError> {
        Field::lookup(&self.element, name)
    }

    /// A handle on list field `name` of the list's elements.
    pub fn list(&self, name: &str) -> Result<ListField, FieldError> {
        ListField::lookup(&self.element, name)
    }

    /// The variant called `name` of an enum field of the list's elements
    /// (a handle from [`ListField::field`]).
    pub fn variant(&self, field: Field<Enum>, name: &str) -> Result<Variant, FieldError> {
        field.variant(&self.element, name)
    }
}

impl Field<Enum> {
    /// The variant called `name` of this enum field of `layout`.
    pub(crate) fn variant(self, layout: &Layout, name: &str) -> Result<Variant, FieldError> {
        let field = layout.fields.get(self.index as usize);
        let variants = match field.map(|f| &f.ty) {
            Some(ValueType::Enum { variants }) if self.layout == layout.id() => variants.as_slice(),
            _ => &[],
        };
        match variants.iter().position(|v| v == name) {
            Some(i) => Ok(Variant {
                owner: self.owner,
                index: i as u32,
            }),
            None => Err(FieldError::UnknownVariant {
                name: field.map_or_else(String::new, |f| f.name.clone()),
                variant: name.to_string(),
                known: variants.join(", "),
            }),
        }
    }
}

/// The item called `name` among `items` (input fields or decisions) with
/// its index, checked to be of kind `K`; else the error `unknown` (with the
/// names there are) or `wrong_kind` makes.
fn find_typed<'m, K: FieldKind, T>(
    items: &'m [T],
    name: &str,
    name_and_type: impl Fn(&T) -> (&String, &ValueType),
    unknown: impl FnOnce(String, String) -> FieldError,
    wrong_kind: impl FnOnce(String, String, &'static str) -> FieldError,
) -> Result<(usize, &'m T), FieldError> {
    let (index, item) = find_named(items, name, |x| name_and_type(x).0, unknown)?;
    let ty = name_and_type(item).1;
    if !K::accepts(ty) {
        return Err(wrong_kind(name.to_string(), kind_name(ty), K::NAME));
    }
    Ok((index, item))
}

/// The item called `name` among `items` with its index; else the error
/// `unknown` makes with the names there are.
fn find_named<'m, T>(
    items: &'m [T],
    name: &str,
    name_of: impl Fn(&T) -> &String,
    unknown: impl FnOnce(String, String) -> FieldError,
) -> Result<(usize, &'m T), FieldError> {
    match items.iter().enumerate().find(|(_, x)| name_of(x) == name) {
        Some(found) => Ok(found),
        None => {
            let known: Vec<&str> = items.iter().map(|x| name_of(x).as_str()).collect();
            Err(unknown(name.to_string(), known.join(", ")))
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
    /// The texts of each chunk of [`CHUNK`] records (more may be kept
    /// from before a [`Batch::clear`]).
    texts: Vec<ChunkTexts>,
    /// [`Layout::id`] of the inputs.
    layout: u64,
    /// Records given a fact through a field handle of other inputs.
    misfits: Vec<usize>,
}

impl Batch {
    /// An empty batch for the inputs of the module `meta` describes
    /// (`Batch::new(&policy)` is the usual way in).
    pub(crate) fn for_meta(meta: Arc<Meta>) -> Batch {
        Batch {
            size: meta.input.size as usize,
            presence_words: meta.input.presence_words as usize,
            count: 0,
            images: Vec::new(),
            texts: Vec::new(),
            layout: meta.input.id(),
            misfits: Vec::new(),
            meta,
        }
    }

    /// Appends a record with every fact unknown, to fill in with
    /// [`RecordWriter::set`].
    #[inline]
    pub fn record(&mut self) -> RecordWriter<'_> {
        self.parts().1
    }

    /// [`Batch::record`], with the inputs' layout beside the writer.
    #[inline]
    fn parts(&mut self) -> (&Layout, RecordWriter<'_>) {
        let at = self.count * self.size;
        let end = at + self.size;
        if self.images.len() < end {
            self.images.resize(end, 0);
        }
        let (chunk, in_chunk) = (self.count / CHUNK, self.count % CHUNK);
        if self.texts.len() <= chunk {
            self.texts.resize_with(chunk + 1, ChunkTexts::default);
        }
        self.count += 1;
        // resized to `end` above: in bounds
        let image = self.images.get_mut(at..end).unwrap_or_default();
        clear_high_presence(image, self.presence_words);
        let texts = TextSink {
            area: &mut [],
            // in bounds: resized above
            texts: &mut self.texts[chunk],
            record: in_chunk * self.size,
            list: None,
        };
        let mut w = RecordWriter::new(image, self.presence_words, self.layout, texts);
        w.misfits = Some((&mut self.misfits, self.count - 1));
        (&self.meta.input, w)
    }

    /// Appends a record read from text cells (a CSV row): `(input field
    /// index, cell)` pairs, an empty cell unknown, each value read by its
    /// field's type with the rules and messages of
    /// [`Policy::parse_cells`](crate::Policy::parse_cells), straight into
    /// the record's image (no [`Facts`](crate::Facts) in between). On an
    /// error nothing is appended. A batch holds no list inputs: a list
    /// field's cell is an error (read such records as `Facts`).
    pub fn push_cells<'a>(
        &mut self,
        cells: impl IntoIterator<Item = (usize, &'a str)>,
    ) -> Result<(), InputError> {
        let (chunk, record) = (self.count / CHUNK, self.count % CHUNK * self.size);
        let mark = self.texts.get(chunk).map(|t| t.mark(record));
        let mut problems = Vec::new();
        {
            let (layout, mut w) = self.parts();
            for (i, text) in cells {
                let Some(field) = layout.fields.get(i) else {
                    continue;
                };
                if text.is_empty() {
                    continue;
                }
                let at = field.offset as usize;
                if let Some(v) = crate::facts::plain_scalar(&field.ty, text) {
                    w.set_scalar(i, at, v);
                    continue;
                }
                if let ValueType::List { .. } = field.ty {
                    problems.push(FieldProblem {
                        path: field.name.clone(),
                        value: crate::facts::shorten(text.to_string()),
                        expected: "no list: a Batch holds no list inputs (read this record \
                                   as Facts)"
                            .into(),
                        kind: ProblemKind::Value,
                    });
                    continue;
                }
                // the unusual cell: the full reading, which alone words errors
                match crate::facts::full_cell(field, text, &mut problems) {
                    Some(FactValue::Bool(b)) => w.set_scalar(i, at, Scalar::Bool(b)),
                    Some(FactValue::Num(n)) => w.set_scalar(i, at, Scalar::Num(n)),
                    Some(FactValue::Text(t)) => w.set_scalar(i, at, Scalar::Text(&t)),
                    Some(FactValue::List(_)) | None => {}
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        // the record and any texts it wrote are forgotten (a chunk's texts
        // that did not exist before it were made empty by it)
        self.count -= 1;
        if let Some(texts) = self.texts.get_mut(chunk) {
            match mark {
                Some(mark) => texts.truncate(mark),
                None => texts.reset(0),
            }
        }
        Err(InputError { problems })
    }

    /// The records given a fact through a field handle of other inputs.
    pub(crate) fn misfits(&self) -> &[usize] {
        &self.misfits
    }

    /// Removes every record, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.count = 0;
        self.misfits.clear();
        for t in &mut self.texts {
            t.reset(0);
        }
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

    /// The slot offsets (from the first record of its chunk of [`CHUNK`])
    /// of records `range`, which lies within that chunk.
    fn slots_of(&self, range: &Range<usize>) -> Range<usize> {
        let first = range.start % CHUNK;
        first * self.size..(first + range.len()) * self.size
    }

    /// The bytes of texts of each record of `range` (within one chunk of
    /// [`CHUNK`]), pushed to `out`.
    pub(crate) fn extra_sizes(&self, range: Range<usize>, out: &mut Vec<usize>) {
        let start = out.len();
        out.resize(start + range.len(), 0);
        let Some(texts) = self.texts.get(range.start / CHUNK) else {
            return;
        };
        let slots = self.slots_of(&range);
        for (slot, _, bytes) in texts.spilled_in(slots.clone()) {
            if let Some(n) = out.get_mut(start + (slot - slots.start) / self.size) {
                *n += bytes.len();
            }
        }
    }

    /// Writes records `range` (within one chunk of [`CHUNK`] records) into
    /// `mem` at `addrs`, their texts after `addrs.extra`, with the contract
    /// of [`marshal::write_records`].
    pub(crate) fn write(&self, range: Range<usize>, addrs: ChunkAddrs, mem: &mut [u8]) -> usize {
        let texts = self.texts.get(range.start / CHUNK);
        let slots = self.slots_of(&range);
        let spilled = texts.map_or(0, |t| {
            t.spilled_in(slots.clone())
                .map(|(_, _, bytes)| bytes.len())
                .sum()
        });
        let needed = addrs.extra + spilled;
        if needed > mem.len() {
            return needed;
        }
        // in bounds: `range` names records of the batch
        let images = self
            .images
            .get(range.start * self.size..range.end * self.size)
            .unwrap_or(&[]);
        if let Some(dst) = mem.get_mut(addrs.records..addrs.records + images.len()) {
            dst.copy_from_slice(images);
        }
        let Some(texts) = texts else { return needed };
        let mut at = addrs.extra;
        for (slot, from, bytes) in texts.spilled_in(slots.clone()) {
            if let Some(dst) = mem.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            let slot = addrs.records + slot - slots.start;
            if let Some(w) = mem.get_mut(slot..slot + 4) {
                w.copy_from_slice(&(at as u32).to_le_bytes());
            }
            texts.relocate_item(mem, from, at);
            at += bytes.len();
        }
        needed
    }
}

/// Fills in one record; facts not set stay unknown. The record is either
/// in a [`Batch`] or, with `Policy::evaluate_each`, straight in the module's
/// memory.
pub struct RecordWriter<'b> {
    /// The record's image: presence words, then the slots.
    image: &'b mut [u8],
    texts: TextSink<'b>,
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
    /// A writer over a record image whose presence words after the first
    /// are clear ([`clear_high_presence`]); the first is stored by the
    /// writer. Slots are only read when present.
    #[inline]
    pub(crate) fn new(
        image: &'b mut [u8],
        presence_words: usize,
        layout: u64,
        texts: TextSink<'b>,
    ) -> RecordWriter<'b> {
        debug_assert!(image
            .get(8..8 * presence_words)
            .is_none_or(|w| w.iter().all(|b| *b == 0)));
        RecordWriter {
            image,
            texts,
            presence: 0,
            layout,
            misfit: false,
            misfits: None,
        }
    }

    /// Sets a fact.
    #[inline(always)]
    pub fn set<K: FieldKind>(&mut self, field: Field<K>, value: K::Value<'_>) -> &mut Self {
        if field.layout != self.layout || !K::belongs(&value, field.owner) {
            self.misfit = true;
            return self;
        }
        self.presence |= field.mask;
        if field.mask == 0 {
            set_high_presence(self.image, field.index as usize);
        }
        field.store(self.image, &mut self.texts, value);
        self
    }

    /// Sets the facts of a [`FieldSet`], one value per field, in one call:
    /// the handles were checked together when the set was made, so this
    /// costs little more than the stores themselves.
    #[inline(always)]
    pub fn set_all<T: FieldTuple>(
        &mut self,
        set: &FieldSet<T>,
        values: T::Values<'_>,
    ) -> &mut Self {
        if set.layout != self.layout || !set.fields.belong(&values) {
            self.misfit = true;
            return self;
        }
        match self.image.get_mut(..set.end) {
            // SAFETY: every slot of the set ends at or before `set.end`
            // (`FieldSet::new` computed it from the handles, which are
            // immutable), and `image` is `set.end` bytes long; when
            // `run_from` is `Some(first)`, field `i`'s slot is at
            // `first + 8 * i` (`FieldSet::new` checked it).
            Some(image) => unsafe {
                match set.run_from {
                    Some(first) => {
                        set.fields
                            .store_run_unchecked(image, &mut self.texts, values, first)
                    }
                    None => set.fields.store_unchecked(image, &mut self.texts, values),
                }
            },
            None => {
                self.misfit = true;
                return self;
            }
        }
        self.presence |= set.mask;
        if !set.all_low {
            set.fields.set_high_presence(self.image);
        }
        self
    }
}

impl RecordWriter<'_> {
    /// Sets a list fact: its elements are `items`, each element's facts
    /// set by `fill` through a writer of the element's record, with the
    /// handles of [`ListField::field`] (and `set_list` again, with those of
    /// [`ListField::list`], for a list within the elements). Facts `fill`
    /// does not set are unknown, as in a record. An iterator that gives
    /// fewer items than its length said makes a shorter list; one that
    /// gives more has its extra items ignored. A list whose element records
    /// would not fit a module's memory is an error, and left unset.
    pub fn set_list<T>(
        &mut self,
        field: &ListField,
        items: impl IntoIterator<Item = T, IntoIter: ExactSizeIterator>,
        mut fill: impl FnMut(&T, &mut RecordWriter<'_>),
    ) -> Result<&mut Self, ListTooLarge> {
        let at = field.offset as usize;
        if field.layout != self.layout || at + 8 > self.image.len() {
            self.misfit = true;
            return Ok(self);
        }
        let items = items.into_iter();
        let n = items.len();
        let (size, words) = (
            field.element.size as usize,
            field.element.presence_words as usize,
        );
        let most = crate::abi::MAX_MEMORY;
        let bytes = n.saturating_mul(size);
        if bytes > most {
            return Err(ListTooLarge {
                name: field.name.clone(),
                elements: n,
                bytes,
                most,
            });
        }
        let element_layout = field.element.id();
        let sink = &mut self.texts;
        let (list, value) = sink.texts.begin_list(sink.record + at, bytes, sink.list);
        // an element's image while it is filled: on the stack when small
        // (most elements: a presence word and a few slots), else one kept
        // for the next list
        let mut small = [0u8; SMALL_ELEMENT];
        let mut pooled = if size > SMALL_ELEMENT {
            sink.texts.take_scratch(size)
        } else {
            Vec::new()
        };
        let image = match small.get_mut(..size) {
            Some(image) => image,
            None => &mut pooled[..],
        };
        let mut count = 0;
        for item in items.take(n) {
            image.fill(0);
            let element = list.block + count * size;
            let texts = TextSink {
                area: &mut *sink.area,
                texts: &mut *sink.texts,
                record: element,
                list: Some(list),
            };
            let mut w = std::mem::ManuallyDrop::new(RecordWriter::new(
                &mut *image,
                words,
                element_layout,
                texts,
            ));
            fill(&item, &mut w);
            let misfit = w.finish();
            self.misfit |= misfit;
            sink.texts.put_element(element, image);
            count += 1;
        }
        if size > SMALL_ELEMENT {
            sink.texts.give_scratch(pooled);
        }
        let value = value | (count as i64) << 32;
        if let Some(w) = self.image.get_mut(at..at + 8) {
            w.copy_from_slice(&value.to_le_bytes());
        }
        self.presence |= field.mask;
        if field.mask == 0 {
            set_high_presence(self.image, field.index as usize);
        }
        Ok(self)
    }

    /// Sets the fields of `set` from a row of numbers, one a field in the
    /// set's order (see [`NumFields`] for their encodings): field `k` is set
    /// to `values[k]` when bit `k` of `known` is set, and made unknown when
    /// it is not (its number is then not looked at). A known number that
    /// its field cannot take (a bool other than 0 and 1, a date beyond 32
    /// bits of days, a variant index beyond its enum's), or fewer numbers
    /// than fields, is an error, and nothing is set. Handles of another
    /// policy's inputs set nothing, as with [`RecordWriter::set`].
    #[inline(always)]
    pub fn set_nums(
        &mut self,
        set: &NumFields,
        known: u64,
        values: &[i64],
    ) -> Result<(), NumError> {
        // the common case, inlined: inputs among the first 64, each
        // stretch of consecutive inputs stored as one copy, only the bools,
        // dates and enums checked
        if set.layout == self.layout {
            if let Some(presence) = set.store_direct(self.image, known, values) {
                self.presence = self.presence & !set.mask | presence;
                return Ok(());
            }
        }
        // out of line, and given the image rather than the writer, so that
        // the writer's address is never taken and it stays in registers
        match set_nums_general(self.image, self.layout, set, known, values)? {
            Some(presence) => self.presence = self.presence & !set.mask | presence,
            None => self.misfit = true,
        }
        Ok(())
    }
}

/// [`RecordWriter::set_nums`] for any set, and its refusals, in the image
/// of a record of inputs `layout`: the set's presence bits among the first
/// 64 (those of later fields are stored in the image), or None when the set
/// is of other inputs (the record is a misfit; nothing is stored).
#[inline(never)]
fn set_nums_general(
    image: &mut [u8],
    layout: u64,
    set: &NumFields,
    known: u64,
    values: &[i64],
) -> Result<Option<u64>, NumError> {
    if set.layout != layout {
        return Ok(None);
    }
    let n = set.offsets.len();
    let Some(values) = values.get(..n) else {
        return Err(set.refusal(known, values));
    };
    if set.out_of_range(values) & known != 0 {
        return Err(set.refusal(known, values));
    }
    let Some(image) = image.get_mut(..set.end) else {
        return Ok(None);
    };
    // the numbers of unknown fields are stored too: a slot is only
    // read when its field is present
    let presence = match set.runs.as_deref() {
        // SAFETY: `image` holds the set's `end` bytes and `values` its
        // numbers (both cut to those lengths above).
        Some(runs) => unsafe { store_runs_unchecked(runs, image, known, values) },
        None => {
            for (&at, v) in set.offsets.iter().zip(values) {
                if let Some(w) = image.get_mut(at..at + 8) {
                    w.copy_from_slice(&v.to_le_bytes());
                }
            }
            (set.masks.iter().enumerate())
                .fold(0, |p, (k, m)| p | m & 0u64.wrapping_sub(known >> k & 1))
        }
    };
    // no runs: some field is past the 64th input
    if set.runs.is_none() {
        for (k, (&m, &i)) in set.masks.iter().zip(set.indices.iter()).enumerate() {
            if m == 0 {
                set_high_presence_to(image, i, known >> k & 1 != 0);
            }
        }
    }
    Ok(Some(presence))
}

impl<K: FieldKind> Field<K> {
    /// Stores a value in the field's slot of a record image (nothing more:
    /// no presence bit, no layout check).
    #[inline(always)]
    fn store(self, image: &mut [u8], texts: &mut TextSink<'_>, value: K::Value<'_>) {
        let at = self.offset as usize;
        let slot = K::encode(value, texts, at);
        if let Some(w) = image.get_mut(at..at + 8) {
            w.copy_from_slice(&slot.to_le_bytes());
        }
    }
}

/// A tuple of field handles (of up to 12 fields), for a [`FieldSet`].
pub trait FieldTuple: sealed::Sealed + Copy {
    /// One value per field, in the same order.
    type Values<'a>;
    #[doc(hidden)]
    /// Calls `f` with each handle's layout id, presence mask and the end
    /// of its slot (offset + 8).
    fn each(&self, f: &mut dyn FnMut(u64, u64, usize));
    #[doc(hidden)]
    /// Whether every value may be set in its field (see [`FieldKind::belongs`]).
    fn belong(&self, values: &Self::Values<'_>) -> bool;
    #[doc(hidden)]
    #[allow(private_interfaces)]
    /// # Safety
    /// Every handle's slot (offset + 8) must lie within `image`.
    unsafe fn store_unchecked(
        &self,
        image: &mut [u8],
        texts: &mut TextSink<'_>,
        values: Self::Values<'_>,
    );
    /// [`FieldTuple::store_unchecked`] for handles whose slots follow one
    /// another from `first` (field `i` at `first + 8 * i`): the offsets are
    /// then constants, not loads.
    ///
    /// # Safety
    /// Field `i`'s slot must be at `first + 8 * i`, within `image`.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    unsafe fn store_run_unchecked(
        &self,
        image: &mut [u8],
        texts: &mut TextSink<'_>,
        values: Self::Values<'_>,
        first: usize,
    );
    #[doc(hidden)]
    fn set_high_presence(&self, image: &mut [u8]);
}

macro_rules! field_tuple {
    ($($K:ident $i:tt),+) => {
        impl<$($K: FieldKind),+> sealed::Sealed for ($(Field<$K>,)+) {}
        impl<$($K: FieldKind),+> FieldTuple for ($(Field<$K>,)+) {
            type Values<'a> = ($($K::Value<'a>,)+);
            fn each(&self, f: &mut dyn FnMut(u64, u64, usize)) {
                $( f(self.$i.layout, self.$i.mask, self.$i.offset as usize + 8); )+
            }
            #[inline(always)]
            fn belong(&self, values: &Self::Values<'_>) -> bool {
                $( $K::belongs(&values.$i, self.$i.owner) )&&+
            }
            #[inline(always)]
            #[allow(private_interfaces)]
            unsafe fn store_unchecked(
                &self,
                image: &mut [u8],
                texts: &mut TextSink<'_>,
                values: Self::Values<'_>,
            ) {
                // SAFETY: passed on from the caller.
                $( unsafe { self.$i.store_unchecked(image, texts, values.$i) }; )+
            }
            #[inline(always)]
            #[allow(private_interfaces)]
            unsafe fn store_run_unchecked(
                &self,
                image: &mut [u8],
                texts: &mut TextSink<'_>,
                values: Self::Values<'_>,
                first: usize,
            ) {
                // SAFETY: passed on from the caller.
                $( unsafe { Field::<$K>::store_at_unchecked(image, texts, values.$i, first + 8 * $i) }; )+
            }
            #[cold]
            fn set_high_presence(&self, image: &mut [u8]) {
                $(
                    if self.$i.mask == 0 {
                        set_high_presence(image, self.$i.index as usize);
                    }
                )+
            }
        }
    };
}

field_tuple!(A 0);
field_tuple!(A 0, B 1);
field_tuple!(A 0, B 1, C 2);
field_tuple!(A 0, B 1, C 2, D 3);
field_tuple!(A 0, B 1, C 2, D 3, E 4);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
field_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Field handles of one policy's inputs, checked together once, for
/// setting every fact they name in one call ([`RecordWriter::set_all`]):
/// the fastest way to fill records from a host's own structs.
///
/// ```
/// use rulebook::batch::{Bool, Field, FieldSet, Int, Text};
/// use rulebook::{Date, Policy};
///
/// let policy = Policy::from_source("p.rules", r#"
///     policy p
///     input { age: int  resident: bool  region: text }
///     decision ok: bool = resident and age >= 18 and region != "nowhere"
/// "#).unwrap();
/// let facts = FieldSet::new((
///     policy.field::<Int>("age").unwrap(),
///     policy.field::<Bool>("resident").unwrap(),
///     policy.field::<Text>("region").unwrap(),
/// )).unwrap();
/// let ok = policy.decision::<Bool>("ok").unwrap();
/// let people = [(30, true, "wales"), (12, true, "london")];
/// let mut answers = Vec::new();
/// policy.evaluate_each(&people, Date::parse("2026-01-01").unwrap(),
///     |&&(age, resident, region), record| { record.set_all(&facts, (age, resident, region)); },
///     |_, results| answers.push(results.unwrap().get(ok).unwrap()));
/// assert_eq!(answers, [Some(true), Some(false)]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FieldSet<T: FieldTuple> {
    fields: T,
    /// [`Layout::id`] shared by every handle.
    layout: u64,
    /// The presence bits of the fields with index < 64.
    mask: u64,
    /// Whether every field has index < 64 (its bit in `mask`).
    all_low: bool,
    /// The end of the last slot: no field's slot reaches beyond it.
    end: usize,
    /// `Some(first)` when field `i`'s slot is at `first + 8 * i` (the
    /// handles name consecutive inputs in source order).
    run_from: Option<usize>,
}

impl<T: FieldTuple> FieldSet<T> {
    /// Checks that the handles are of one policy's inputs.
    pub fn new(fields: T) -> Result<FieldSet<T>, FieldError> {
        let (mut layouts, mut mask, mut all_low, mut ends) = (Vec::new(), 0, true, Vec::new());
        fields.each(&mut |layout, m, slot_end| {
            layouts.push(layout);
            mask |= m;
            all_low &= m != 0;
            ends.push(slot_end);
        });
        // a tuple of handles has at least one
        let layout = layouts.first().copied().unwrap_or_default();
        if layouts.iter().any(|&l| l != layout) {
            return Err(FieldError::MixedInputs);
        }
        let first = ends.first().map_or(0, |end| end - 8);
        let consecutive = ends
            .iter()
            .enumerate()
            .all(|(i, &end)| end == first + 8 * i + 8);
        Ok(FieldSet {
            fields,
            layout,
            mask,
            all_low,
            end: ends.iter().copied().max().unwrap_or(0),
            run_from: consecutive.then_some(first),
        })
    }
}

/// Input fields of any kind but text, set together from numbers a host has
/// already encoded ([`RecordWriter::set_nums`]): for filling records from
/// columns of data, where a row's values are read into a row of numbers
/// ahead of evaluation and each record then takes its row in one call.
/// Unlike a [`FieldSet`] it is made at run time, of as many fields (up to
/// 64) as the host has, and any of them may be unknown in a row.
///
/// The numbers are the fields' slot encodings (docs/abi.md): a bool 0 or
/// 1, an int itself, money in pence, a decimal in millionths, a date in
/// days since 1970-01-01, an enum the index of its variant in declaration
/// order.
///
/// ```
/// use rulebook::batch::{Bool, NumFields};
/// use rulebook::{Date, Policy};
///
/// let policy = Policy::from_source("p.rules", r#"
///     policy p
///     input { age: int  resident: bool  born: date }
///     decision ok: bool = resident and age >= 18
/// "#).unwrap();
/// let facts: NumFields = policy.num_fields(["age", "resident"]).unwrap();
/// let ok = policy.decision::<Bool>("ok").unwrap();
/// // a row of numbers per person, and which of them are known (bit k for field k)
/// let people: [([i64; 2], u64); 3] = [([30, 1], 0b11), ([12, 1], 0b11), ([40, 0], 0b01)];
/// let mut answers = Vec::new();
/// policy.evaluate_each(&people, Date::parse("2026-01-01").unwrap(),
///     |(row, known), record| record.set_nums(&facts, *known, row).unwrap(),
///     |_, results| answers.push(results.unwrap().get(ok).unwrap()));
/// assert_eq!(answers, [Some(true), Some(false), None]);
/// ```
#[derive(Debug, Clone)]
pub struct NumFields {
    /// [`Layout::id`] of the inputs.
    layout: u64,
    /// Each field's slot offset within the record image.
    offsets: Box<[usize]>,
    /// Each field's presence bit when its index is < 64, else 0.
    masks: Box<[u64]>,
    /// Each field's index among the inputs.
    indices: Box<[usize]>,
    /// The least number each field takes, and how many more: `v` fits
    /// when `v - least` (unsigned) is at most that (for ints, money and
    /// decimals, any `v`).
    least: Box<[i64]>,
    more: Box<[u64]>,
    /// The fields that take no number at all (enums of no variant).
    never: u64,
    names: Box<[String]>,
    /// The presence bits of the fields with index < 64.
    mask: u64,
    /// The end of the last slot: no field's slot reaches beyond it.
    end: usize,
    /// When every field is among the first 64 inputs (the fast path): the
    /// set cut into stretches of consecutive inputs, each stored as one
    /// copy, its presence bits its known bits shifted.
    runs: Option<Box<[Run]>>,
    /// The fields whose numbers are limited (bools, dates, enums): their
    /// position in the set, least number and how many more.
    limited: Box<[Limit]>,
}

/// A field of a [`NumFields`] set whose numbers are limited: its position
/// in the set, its least number and how many more it takes. 32 bytes, so
/// that a loop over them counts them with a shift.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Limit {
    at: u32,
    least: i64,
    more: u64,
}

/// How far `v` is above a field's least number, as an unsigned number: `v`
/// fits the field when this is at most the field's `more` (a number below
/// the least wraps to one far above any `more`). Every check of a
/// limited field's number is this one compare.
#[inline(always)]
fn above_least(v: i64, least: i64) -> u64 {
    v.wrapping_sub(least) as u64
}

/// A stretch of a [`NumFields`] set whose fields are consecutive inputs:
/// their slots one after another, their presence bits too.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The first field's position in the set, and how many fields.
    from: u32,
    len: u32,
    /// The first field's slot offset and index among the inputs (< 64).
    offset: usize,
    index: u32,
}

impl Run {
    /// The presence bits of the run's fields in a record whose set has
    /// `known` bits: the run's known bits, shifted to its fields' places.
    #[inline(always)]
    fn presence(&self, known: u64) -> u64 {
        // `len` is 1 to 64 and `from` below 64: neither shift overflows
        (known >> self.from & u64::MAX >> (64 - self.len)) << self.index
    }
}

/// A list whose element records alone are larger than a module's whole
/// memory ([`RecordWriter::set_list`]): no record holding it can be
/// evaluated, and the list is left unset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "list `{name}` of {elements} elements needs {bytes} bytes of records, more than a module's memory ({most} bytes)"
)]
pub struct ListTooLarge {
    pub name: String,
    pub elements: usize,
    pub bytes: usize,
    pub most: usize,
}

/// A number that its field cannot take ([`RecordWriter::set_nums`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("input field `{name}` cannot take the number {value} (it takes {low} to {high})")]
    OutOfRange {
        name: String,
        value: i64,
        low: i64,
        high: i64,
    },
    #[error("{given} numbers for {fields} fields")]
    Short { given: usize, fields: usize },
    /// A text column of [`Rows`] whose length is not the rows'.
    #[error("the text column of input field `{name}` has {given} rows, the numbers {rows}")]
    TextRows {
        name: String,
        given: usize,
        rows: usize,
    },
    /// A text column in one buffer ([`Rows::text_buffer`]) whose offsets,
    /// bytes or validity bits do not describe its rows.
    #[error("the text buffer of input field `{name}`: {problem}")]
    TextBuffer { name: String, problem: String },
}

/// Why a row of [`Rows`] has no results: a number its field cannot take,
/// or an evaluation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    #[error(transparent)]
    Value(#[from] NumError),
    #[error(transparent)]
    Eval(#[from] crate::outcome::EvalError),
}

/// A block of records as a host reading columns holds them, for
/// [`Policy::evaluate_rows`](crate::Policy::evaluate_rows): for each row,
/// the numbers of a [`NumFields`] set (one a field, encoded as for
/// [`RecordWriter::set_nums`]) and its known bits, and its texts, one
/// column a text field ([`Rows::text`]: a text a row; or
/// [`Rows::text_buffer`]: one buffer, as an Arrow `Utf8` array holds
/// them). The records are filled in one loop, with no closure called per
/// record.
pub struct Rows<'a> {
    set: &'a NumFields,
    known: &'a [u64],
    nums: &'a [i64],
    texts: Vec<(Field<Text>, TextColumn<'a>)>,
}

/// A text field's column of [`Rows`]: a text a row, or the texts one after
/// another in one buffer, as an Arrow `Utf8` array holds them.
#[derive(Clone, Copy)]
enum TextColumn<'a> {
    Values(&'a [Option<&'a str>]),
    /// Row `r`'s text is `data[offsets[r]..offsets[r + 1]]`, known when
    /// `valid` is None or its bit `r` is set (checked by
    /// [`Rows::text_buffer`]).
    Buffer {
        data: &'a [u8],
        offsets: Offsets<'a>,
        valid: Option<&'a [u8]>,
    },
}

/// The offsets of a text column in one buffer: Arrow's `Utf8` arrays have
/// `i32` ones, its `LargeUtf8` arrays `i64` ones.
#[derive(Clone, Copy)]
enum Offsets<'a> {
    Small(&'a [i32]),
    Large(&'a [i64]),
}

impl<'a> Offsets<'a> {
    fn len(&self) -> usize {
        match self {
            Offsets::Small(o) => o.len(),
            Offsets::Large(o) => o.len(),
        }
    }

    /// Offset `r` as given (None beyond the end).
    fn get(&self, r: usize) -> Option<i64> {
        match self {
            Offsets::Small(o) => o.get(r).map(|&v| i64::from(v)),
            Offsets::Large(o) => o.get(r).copied(),
        }
    }

    /// Every offset as given, in order.
    fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).filter_map(|r| self.get(r))
    }

    /// The offsets of rows `rows` (one more than the rows).
    fn slice(&self, rows: std::ops::RangeInclusive<usize>) -> Option<Offsets<'a>> {
        Some(match self {
            Offsets::Small(o) => Offsets::Small(o.get(rows)?),
            Offsets::Large(o) => Offsets::Large(o.get(rows)?),
        })
    }

    /// Offset `r`, unchecked.
    ///
    /// # Safety
    /// `r` is below [`Offsets::len`], and the offset is not negative and
    /// fits a `usize` (as `Rows::text_buffer` checks).
    #[inline(always)]
    unsafe fn at_unchecked(&self, r: usize) -> usize {
        // SAFETY: the caller's promise, passed on.
        unsafe {
            match self {
                Offsets::Small(o) => *o.get_unchecked(r) as usize,
                Offsets::Large(o) => *o.get_unchecked(r) as usize,
            }
        }
    }
}

/// The type of a text buffer's offsets ([`Rows::text_buffer`]): `i32`, as
/// Arrow's `Utf8` arrays have, or `i64`, as its `LargeUtf8` ones.
pub trait TextOffset: sealed::Sealed + Copy {
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn offsets(offsets: &[Self]) -> Offsets<'_>;
}

impl sealed::Sealed for i32 {}
impl TextOffset for i32 {
    #[allow(private_interfaces)]
    fn offsets(offsets: &[i32]) -> Offsets<'_> {
        Offsets::Small(offsets)
    }
}

impl sealed::Sealed for i64 {}
impl TextOffset for i64 {
    #[allow(private_interfaces)]
    fn offsets(offsets: &[i64]) -> Offsets<'_> {
        Offsets::Large(offsets)
    }
}

impl<'a> TextColumn<'a> {
    /// Row `r`'s text, None when unknown (or beyond the rows).
    #[inline(always)]
    fn get(&self, r: usize) -> Option<&'a str> {
        match *self {
            TextColumn::Values(values) => values.get(r).copied().flatten(),
            TextColumn::Buffer {
                data,
                offsets,
                valid,
            } => {
                if !buffer_row_valid(valid, r) {
                    return None;
                }
                let (start, end) = buffer_span(offsets, r)?;
                let text = data.get(start..end)?;
                // SAFETY: `Rows::text_buffer` checked that the bytes
                // between the first and the last offset are UTF-8 and that
                // every offset falls between two characters: a row's
                // bytes are whole characters.
                Some(unsafe { std::str::from_utf8_unchecked(text) })
            }
        }
    }
}

/// The rows of one chunk of [`Rows::fill_direct`], checked: `known` and
/// `nums` are the chunk's rows (`nums` of the set's width each), every
/// column holds them, and every text slot lies within a record of `size`
/// bytes, at least the set's `end`.
struct DirectRows<'r, 'c> {
    set: &'r NumFields,
    parts: DirectParts<'r>,
    known: &'r [u64],
    nums: &'r [i64],
    value_columns: &'r [(usize, u64, &'c [Option<&'c str>])],
    buffers: &'r [BufferRows<'c>],
    /// The chunk's first row.
    start: usize,
    size: usize,
}

impl DirectRows<'_, '_> {
    /// Whether every text of the chunk surely fits, so that its rows need
    /// no check of their own ([`DirectRows::fill`] with `ROOMY`): every
    /// text column is a buffer; the texts of all rows, after those the
    /// chunk holds, fit both `room` (the chunk's bound) and the free
    /// memory `area` with [`SHORT_TEXT`] bytes to spare (the copy of the
    /// last); and each buffer has [`SHORT_TEXT`] bytes after its last
    /// row's text ends (so after every row's start, where that copy reads;
    /// [`Rows::before_buffer_ends`] ends a chunk before the rows that
    /// have not). Each text is copied as
    /// at least its own bytes and advances the bytes used by its length,
    /// so the chunk's texts end at most at the sum of their spans.
    fn roomy(&self, chunk: &ChunkTexts, area: usize, room: usize) -> bool {
        if !self.value_columns.is_empty() {
            return false;
        }
        let count = self.known.len();
        let mut total = 0usize;
        for b in self.buffers {
            // (offsets `0..=count` of the chunk's rows: checked when
            // `Rows::text_buffer` took the column, and cut to the chunk)
            let (Some(from), Some(to)) = (b.offsets.get(0), b.offsets.get(count)) else {
                return false;
            };
            let (Ok(from), Ok(to)) = (usize::try_from(from), usize::try_from(to)) else {
                return false;
            };
            if to + SHORT_TEXT > b.data.len() {
                return false;
            }
            total += to.saturating_sub(from);
        }
        chunk.len() + total <= room && chunk.used + total + SHORT_TEXT <= area
    }

    /// Whether every number of the chunk's rows is one its field can take,
    /// known or not (an unknown one's is never read), told a field at a
    /// time over the rows: then its rows need no check of their numbers
    /// ([`DirectRows::fill`] with `IN_RANGE`). A chunk with a number out of
    /// range, even an unknown one, is filled with every row's checks.
    fn in_range(&self) -> bool {
        if self.parts.never != 0 {
            return false;
        }
        let width = self.set.len();
        let (nums, rows) = (self.nums, self.known.len());
        self.parts.limited.iter().all(|&Limit { at, least, more }| {
            // the distances' OR is at least their largest, so it fitting
            // `more` is enough; for a field whose numbers fill a power of
            // two from its least (a bool, a date, an enum of 2, 4, 8...
            // variants, `more` all ones) it is exact, and costs one
            // instruction a row; any other: their largest, two
            let distances = FieldDistances {
                nums,
                rows,
                width,
                at: at as usize,
                least,
            };
            if more & more.wrapping_add(1) == 0 {
                distances.fold(|a, d| a | d) <= more
            } else {
                distances.fold(u64::max) <= more
            }
        })
    }

    /// Stores the numbers of every row of the chunk (at most [`CHUNK`])
    /// in its record among `images`, as [`store_runs_unchecked`] stores a
    /// row's, but a run of fields at a time over the rows, a copy of the
    /// run's fixed length each; and writes `presence[i]`, row `i`'s
    /// presence bits of those fields, for every row (the set has at least
    /// one run). No check of the numbers: for a chunk
    /// [`DirectRows::in_range`] held for.
    fn store_numbers(&self, images: &mut [u8], presence: &mut [MaybeUninit<u64>; CHUNK]) {
        let (nums, width, size) = (self.nums, self.set.len(), self.size);
        for (n, run) in self.parts.runs.iter().enumerate() {
            let (from, len, offset) = (run.from as usize, run.len as usize, run.offset);
            // SAFETY: a run's fields are positions `from..from + len` of
            // the set, within each row's `width` numbers, and its slots
            // `offset..offset + 8 * len` end at or before the set's end,
            // within each record's `size` bytes (see `DirectRows`;
            // `NumFields::lookup` made the runs).
            unsafe {
                let rows = RunRows {
                    images,
                    size,
                    nums,
                    width,
                    from,
                    offset,
                };
                match len {
                    1 => rows.store::<1>(len),
                    2 => rows.store::<2>(len),
                    3 => rows.store::<3>(len),
                    4 => rows.store::<4>(len),
                    5 => rows.store::<5>(len),
                    6 => rows.store::<6>(len),
                    7 => rows.store::<7>(len),
                    8 => rows.store::<8>(len),
                    _ => rows.store::<0>(len),
                }
            }
            let known = presence.iter_mut().zip(self.known);
            if n == 0 {
                known.for_each(|(p, &k)| {
                    p.write(run.presence(k));
                });
            } else {
                // SAFETY: the first run wrote every row's.
                known.for_each(|(p, &k)| *unsafe { p.assume_init_mut() } |= run.presence(k));
            }
        }
    }

    /// Stores the texts of buffer column `b` for every row of the chunk:
    /// each copied into `area` through `chunk` (as [`DirectRows::fill`]
    /// does with `ROOMY`), its slot into the row's record among `images`,
    /// its presence bit into `presence`. The offsets' kind is matched once
    /// for the column, not a row.
    ///
    /// # Safety
    /// [`DirectRows::roomy`] held for the chunk and `chunk`, `area`, and
    /// `presence` holds every row's presence, written.
    #[inline(never)]
    unsafe fn store_buffer(
        &self,
        b: &BufferRows<'_>,
        images: &mut [u8],
        area: &mut [u8],
        chunk: &mut ChunkTexts,
        presence: &mut [MaybeUninit<u64>; CHUNK],
    ) {
        match b.offsets {
            // SAFETY: passed on.
            Offsets::Small(o) => unsafe {
                self.store_buffer_with(
                    b,
                    |i| *o.get_unchecked(i) as usize,
                    images,
                    area,
                    chunk,
                    presence,
                )
            },
            // SAFETY: passed on.
            Offsets::Large(o) => unsafe {
                self.store_buffer_with(
                    b,
                    |i| *o.get_unchecked(i) as usize,
                    images,
                    area,
                    chunk,
                    presence,
                )
            },
        }
    }

    /// [`DirectRows::store_buffer`] with the column's offsets read by
    /// `offset` (row `i`'s text starts at `offset(i)`, ends at
    /// `offset(i + 1)`).
    ///
    /// # Safety
    /// As [`DirectRows::store_buffer`], and `offset` may be called with
    /// `0..=rows` unchecked.
    #[inline(always)]
    unsafe fn store_buffer_with(
        &self,
        b: &BufferRows<'_>,
        offset: impl Fn(usize) -> usize,
        images: &mut [u8],
        area: &mut [u8],
        chunk: &mut ChunkTexts,
        presence: &mut [MaybeUninit<u64>; CHUNK],
    ) {
        let (size, start, rows) = (self.size, self.start, self.known.len());
        let (data, at, mask) = (b.data, b.at, b.mask);
        // the bytes used in a register: a short text is copied here, a
        // long one by `ChunkTexts::put` out of line
        let (base, mut used) = (chunk.base, chunk.used);
        for i in 0..rows {
            // SAFETY: as in `DirectRows::fill`'s loop: `i` is below the
            // chunk's rows (at most `CHUNK`), so row `start + i` has a
            // validity bit and offsets `i` and `i + 1`, checked when the
            // column was taken; its record's slot lies within `images`;
            // `roomy` checked what the copy of a short text relies on
            // (`ChunkTexts::put_roomy`); the presence was written (the
            // caller's promise).
            unsafe {
                // a row with no text takes no branch of its own: it is
                // copied as an empty text (within the room `roomy`
                // counted, from a start before the last row's), and its
                // slot is written but not marked present, so never read
                let present = usize::from(b.present_unchecked(start + i));
                let (from, to) = (offset(i), offset(i + 1));
                let len = (to - from) & 0usize.wrapping_sub(present);
                let slot = if len <= SHORT_TEXT {
                    copy_short(data, from, area, used);
                    // (the slot from the bytes used after this text: made
                    // before the addition it took one more instruction)
                    used += len;
                    marshal::packed(base + used - len, len)
                } else {
                    chunk.used = used;
                    let slot = put_long(
                        chunk,
                        area,
                        data.get_unchecked(from..from + len),
                        i * size + at,
                    );
                    used = chunk.used;
                    slot
                };
                images
                    .get_unchecked_mut(i * size + at..i * size + at + 8)
                    .copy_from_slice(&slot.to_le_bytes());
                *presence.get_unchecked_mut(i).assume_init_mut() |=
                    mask & 0u64.wrapping_sub(present as u64);
            }
        }
        chunk.used = used;
    }

    /// Fills the chunk's rows into `images` and their texts into `area`
    /// through `chunk`, noting each row's fate in `fates`. `Err(i)` when
    /// the chunk ends before its row `i`, whose texts did not fit beside
    /// the others. With `ROOMY` ([`DirectRows::roomy`] held) the rows make
    /// no check of the texts' room, with `IN_RANGE`
    /// ([`DirectRows::in_range`] held) none of their numbers; with both no
    /// row can fail, and the chunk is filled a column at a time (numbers
    /// by [`DirectRows::store_numbers`], texts by
    /// [`DirectRows::store_buffer`]), then each row's presence word.
    #[inline(always)]
    fn fill<const ROOMY: bool, const IN_RANGE: bool>(
        &self,
        images: &mut [u8],
        area: &mut [u8],
        chunk: &mut ChunkTexts,
        (room, base): (usize, usize),
        fates: &mut [Fate],
    ) -> Result<(), usize> {
        let (set, size, start) = (self.set, self.size, self.start);
        let width = set.len();
        // in range: every row's numbers stored before the rows, a run of
        // fields at a time, and their presence bits kept here
        // (not zeroed: `store_numbers` writes every row's, and only then
        // are they read)
        let mut numbers_presence = [MaybeUninit::<u64>::uninit(); CHUNK];
        if IN_RANGE {
            self.store_numbers(images, &mut numbers_presence);
        }
        if ROOMY && IN_RANGE {
            // no row can fail: the texts a column at a time too, then each
            // row's presence word
            for b in self.buffers {
                // SAFETY: `roomy` held and `store_numbers` wrote every
                // row's presence (see `store_buffer`).
                unsafe { self.store_buffer(b, images, area, chunk, &mut numbers_presence) };
            }
            let rows = images.chunks_exact_mut(size).zip(&numbers_presence);
            for (image, presence) in rows.take(self.known.len()) {
                if let Some(w) = image.first_chunk_mut::<8>() {
                    // SAFETY: written by `store_numbers`, as above.
                    *w = unsafe { presence.assume_init() }.to_le_bytes();
                }
            }
            return Ok(());
        }
        let mut record = 0;
        let rows = self.known.iter().zip(self.nums.chunks_exact(width));
        let mut note = |i: usize, fate: Fate| {
            if let Some(f) = fates.get_mut(i) {
                *f = fate;
            }
        };
        let rows = rows.zip(&numbers_presence);
        for (i, (image, ((&known, values), &stored_presence))) in
            images.chunks_exact_mut(size).zip(rows).enumerate()
        {
            // as `set_nums` stores them; a refused row is emptied
            let stored = if IN_RANGE {
                // SAFETY: `store_numbers` wrote the presence of each row
                // of the chunk, which `i` is one of.
                Some(unsafe { stored_presence.assume_init() })
            } else {
                // SAFETY: `parts` are the set's, `image` is `size` bytes,
                // at least the set's `end`, and `values` is `width`
                // numbers, the set's length (see `DirectRows`).
                unsafe { set.store_direct_unchecked(self.parts, image, known, values) }
            };
            let Some(mut presence) = stored else {
                image.fill(0);
                note(i, Fate::Refused);
                record += size;
                continue;
            };
            let mark = chunk.mark(record);
            for &(at, mask, col) in self.value_columns {
                // SAFETY: `i` is below the chunk's rows, the length of
                // every column, and a text's slot `at..at + 8` lies within
                // the `size` bytes of `image` (see `DirectRows`).
                if let Some(t) = unsafe { col.get_unchecked(i) } {
                    let slot = chunk.put(area, t.as_bytes(), record + at);
                    unsafe { image.get_unchecked_mut(at..at + 8) }
                        .copy_from_slice(&slot.to_le_bytes());
                    presence |= mask;
                }
            }
            for b in self.buffers {
                // SAFETY: `i` is below the chunk's rows: row `start + i`
                // has a validity bit in `b.valid` (cut to the chunk's
                // last row) and offsets `i` and `i + 1` in `b.offsets`
                // (the chunk's rows and one more), which
                // `Rows::text_buffer` checked are not negative, ascending,
                // and within `b.data`; the text's slot lies within
                // `image`. With `ROOMY`, `roomy` checked the rest of what
                // `put_roomy` relies on.
                unsafe {
                    if !b.present_unchecked(start + i) {
                        continue;
                    }
                    let from = b.offsets.at_unchecked(i);
                    let to = b.offsets.at_unchecked(i + 1);
                    let slot = if ROOMY {
                        chunk.put_roomy(area, b.data, (from, to), record + b.at)
                    } else {
                        chunk.put_span(area, b.data, (from, to), record + b.at)
                    };
                    image
                        .get_unchecked_mut(b.at..b.at + 8)
                        .copy_from_slice(&slot.to_le_bytes());
                }
                presence |= b.mask;
            }
            if let Some(w) = image.first_chunk_mut::<8>() {
                *w = presence.to_le_bytes();
            }
            if !ROOMY {
                let Some(settled) = chunk.settle(mark, (room, base), i == 0, Fate::Run) else {
                    return Err(i);
                };
                if settled != Fate::Run {
                    image.fill(0);
                    note(i, settled);
                }
            }
            record += size;
        }
        Ok(())
    }
}

/// One run of a [`NumFields`] set over a chunk's rows, for
/// [`DirectRows::store_numbers`]: the records (`size` bytes each), the
/// rows' numbers (`width` each), the run's first position in a row and its
/// first slot's offset in a record.
struct RunRows<'i, 'n> {
    images: &'i mut [u8],
    size: usize,
    nums: &'n [i64],
    width: usize,
    from: usize,
    offset: usize,
}

impl RunRows<'_, '_> {
    /// Stores the run's `len` numbers of each row in its record: `L` is
    /// `len` when it is 1 to 8 (a copy of a fixed length), 0 otherwise.
    ///
    /// # Safety
    /// Positions `from..from + len` lie within a row's `width`, and
    /// offsets `offset..offset + 8 * len` within a record's `size`.
    #[inline(always)]
    unsafe fn store<const L: usize>(self, len: usize) {
        let len = if L == 0 { len } else { L };
        let Self {
            images,
            size,
            nums,
            width,
            from,
            offset,
        } = self;
        for (image, row) in images.chunks_exact_mut(size).zip(nums.chunks_exact(width)) {
            // SAFETY: the caller's promise.
            let (slots, values) = unsafe {
                (
                    image.get_unchecked_mut(offset..offset + 8 * len),
                    row.get_unchecked(from..from + len),
                )
            };
            store_run(slots, values);
        }
    }
}

/// One limited field's numbers in a chunk's rows (`nums`, `rows` rows of
/// `width` numbers, the field at position `at`), as distances above its
/// `least` ([`above_least`]), for [`DirectRows::in_range`].
struct FieldDistances<'n> {
    nums: &'n [i64],
    rows: usize,
    width: usize,
    at: usize,
    least: i64,
}

impl FieldDistances<'_> {
    /// The distances folded by `join` (an OR or a maximum: either is at
    /// least every distance, so it fits a field's `more` only when every
    /// distance does), four rows a step into four running values.
    #[inline(always)]
    fn fold(&self, join: impl Fn(u64, u64) -> u64) -> u64 {
        let Self {
            nums,
            rows,
            width,
            at,
            least,
        } = *self;
        let distance = |k: usize| {
            // SAFETY: `k` is the field's position in a row of the chunk:
            // below the rows' end, as the loops below keep it (`at` is
            // below the set's width, which `NumFields::lookup` made, and
            // `nums` holds `rows` whole rows).
            let v = unsafe { *nums.get_unchecked(k) };
            above_least(v, least)
        };
        let mut acc = [0u64; 4];
        let (mut r, mut k) = (0, at);
        while r + 4 <= rows {
            for (j, a) in acc.iter_mut().enumerate() {
                *a = join(*a, distance(k + j * width));
            }
            (r, k) = (r + 4, k + 4 * width);
        }
        while r < rows {
            acc[0] = join(acc[0], distance(k));
            (r, k) = (r + 1, k + width);
        }
        acc.into_iter().fold(0, &join)
    }
}

/// A buffer column's rows `start..end` in [`Rows::fill_direct`]: the
/// slot of its text in a record, its presence bit, its texts, the offsets
/// of rows `start..=end` and its validity bits of rows `..end`.
struct BufferRows<'c> {
    at: usize,
    mask: u64,
    data: &'c [u8],
    offsets: Offsets<'c>,
    valid: Option<&'c [u8]>,
}

impl BufferRows<'_> {
    /// Whether row `r` has a text: [`buffer_row_valid`] with no check of
    /// the bits' length.
    ///
    /// # Safety
    /// With validity bits, they hold bit `r` (byte `r / 8`).
    #[inline(always)]
    unsafe fn present_unchecked(&self, r: usize) -> bool {
        match self.valid {
            // SAFETY: the caller's promise.
            Some(bits) => (unsafe { *bits.get_unchecked(r / 8) }) >> (r % 8) & 1 == 1,
            None => true,
        }
    }
}

/// Whether row `r` of a buffer column with validity bits `valid` (Arrow's:
/// bit `r % 8` of byte `r / 8`) has a text.
#[inline(always)]
fn buffer_row_valid(valid: Option<&[u8]>, r: usize) -> bool {
    valid.is_none_or(|bits| bits.get(r / 8).is_some_and(|b| b >> (r % 8) & 1 == 1))
}

/// Row `r`'s byte range in a buffer column with `offsets`.
#[inline(always)]
fn buffer_span(offsets: Offsets<'_>, r: usize) -> Option<(usize, usize)> {
    let start = usize::try_from(offsets.get(r)?).ok()?;
    let end = usize::try_from(offsets.get(r + 1)?).ok()?;
    Some((start, end))
}

impl<'a> Rows<'a> {
    /// `known.len()` rows of `set`'s fields: row `r`'s numbers are
    /// `nums[r * set.len()..(r + 1) * set.len()]`, field `k` known when
    /// bit `k` of `known[r]` is set. An error when `nums` has another
    /// length.
    pub fn new(set: &'a NumFields, known: &'a [u64], nums: &'a [i64]) -> Result<Self, NumError> {
        let fields = known.len().saturating_mul(set.len());
        if nums.len() != fields {
            return Err(NumError::Short {
                given: nums.len(),
                fields,
            });
        }
        Ok(Rows {
            set,
            known,
            nums,
            texts: Vec::new(),
        })
    }

    /// Adds a text field: row `r`'s text is `values[r]`, unknown when
    /// `None`. An error when `values` has another length than the rows.
    pub fn text(
        mut self,
        field: Field<Text>,
        name: &str,
        values: &'a [Option<&'a str>],
    ) -> Result<Self, NumError> {
        if values.len() != self.known.len() {
            return Err(NumError::TextRows {
                name: name.to_string(),
                given: values.len(),
                rows: self.known.len(),
            });
        }
        self.texts.push((field, TextColumn::Values(values)));
        Ok(self)
    }

    /// Adds a text field whose texts lie one after another in `data`, as
    /// an Arrow `Utf8` (`i32` offsets) or `LargeUtf8` (`i64` offsets) array
    /// holds them: row `r`'s text is
    /// `data[offsets[r]..offsets[r + 1]]`, unknown when `valid` is given
    /// and its bit `r` is clear (bit `r % 8` of byte `r / 8`, as Arrow's
    /// validity bitmap). `offsets` has one more entry than the rows, none
    /// below the one before; the bytes from the first to the last are
    /// UTF-8, and every offset falls between two characters. An error
    /// says which of these does not hold. The texts are copied into the
    /// records as from [`Rows::text`], short ones faster: a copy of fixed
    /// size from the buffer, whatever their length.
    pub fn text_buffer<O: TextOffset>(
        mut self,
        field: Field<Text>,
        name: &str,
        data: &'a [u8],
        offsets: &'a [O],
        valid: Option<&'a [u8]>,
    ) -> Result<Self, NumError> {
        let offsets = O::offsets(offsets);
        let rows = self.known.len();
        let problem = |problem: String| NumError::TextBuffer {
            name: name.to_string(),
            problem,
        };
        if offsets.len() != rows + 1 {
            return Err(problem(format!(
                "{} offsets for {rows} rows (one more than the rows is needed)",
                offsets.len()
            )));
        }
        let mut last = None;
        for (r, offset) in offsets.iter().enumerate() {
            let at = match usize::try_from(offset) {
                Ok(at) if at <= data.len() => at,
                _ => {
                    return Err(problem(format!(
                        "offset {r} ({offset}) is outside its {} bytes",
                        data.len()
                    )))
                }
            };
            if let Some(before) = last.filter(|&before| at < before) {
                return Err(problem(format!(
                    "offset {r} ({offset}) is below the one before ({before})"
                )));
            }
            last = Some(at);
        }
        // the offsets ascend within `data` (just checked): the texts'
        // bytes are `first..end`
        let first = offsets.get(0).map_or(0, |o| o as usize);
        let end = last.unwrap_or(first);
        // (in `data`: the fallback is never taken)
        let texts = std::str::from_utf8(data.get(first..end).unwrap_or_default()).map_err(|e| {
            problem(format!(
                "its texts are not UTF-8 (at byte {})",
                first + e.valid_up_to()
            ))
        })?;
        for (r, offset) in offsets.iter().enumerate() {
            if !texts.is_char_boundary(offset as usize - first) {
                return Err(problem(format!(
                    "offset {r} ({offset}) falls inside a character"
                )));
            }
        }
        if let Some(bits) = valid {
            if bits.len() < rows.div_ceil(8) {
                return Err(problem(format!(
                    "{} bytes of validity bits for {rows} rows (at least {} needed)",
                    bits.len(),
                    rows.div_ceil(8)
                )));
            }
        }
        self.texts.push((
            field,
            TextColumn::Buffer {
                data,
                offsets,
                valid,
            },
        ));
        Ok(self)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Row `r`'s known bits and numbers.
    #[inline(always)]
    fn row(&self, r: usize) -> (u64, &'a [i64]) {
        let width = self.set.len();
        let known = self.known.get(r).copied().unwrap_or(0);
        let nums = self
            .nums
            .get(r * width..(r + 1) * width)
            .unwrap_or_default();
        (known, nums)
    }

    /// Writes row `r` through `w`; false (and a record to be emptied)
    /// when one of its numbers does not fit its field.
    #[inline(always)]
    pub(crate) fn write(&self, r: usize, w: &mut RecordWriter<'_>) -> bool {
        let (known, nums) = self.row(r);
        if w.set_nums(self.set, known, nums).is_err() {
            return false;
        }
        for (field, col) in &self.texts {
            if let Some(t) = col.get(r) {
                w.set(*field, t);
            }
        }
        true
    }

    /// Whether records of inputs `layout` can be filled by
    /// [`Rows::fill_direct`]: the numbers' fields and every text field are
    /// among the first 64 inputs, all of them of these inputs.
    pub(crate) fn direct(&self, layout: u64) -> bool {
        self.set.direct()
            && self.set.layout == layout
            && (self.texts.iter()).all(|(f, _)| f.layout == layout && f.mask != 0)
    }

    /// Fills the records of rows `start..` straight from the rows, with no
    /// record writer, when [`Rows::direct`] holds: as many as `images`
    /// holds (`size` bytes each), their texts into `area` through `texts`.
    /// Notes each row's [`Fate`] in `fates` and returns the row after the
    /// last filled; None (and nothing filled) when the rows are not
    /// direct, or have no numbers. A refused row's record is emptied. A
    /// row's texts are counted once written: when they take the chunk
    /// beyond `room` bytes the chunk ends before that row, or, the row
    /// alone, its record is emptied and it is [`Fate::TooLarge`] (of
    /// `base` bytes more).
    pub(crate) fn fill_direct(
        &self,
        start: usize,
        (images, size): (&mut [u8], usize),
        (area, texts): (&mut [u8], &mut ChunkTexts),
        (room, base): (usize, usize),
        fates: &mut Vec<Fate>,
    ) -> Option<usize> {
        let set = self.set;
        let width = set.len();
        // checked once here for every row: then a row fails only for a
        // number its field cannot take
        let parts = set.direct_parts()?;
        if width == 0 || size < set.end.max(8) {
            return None;
        }
        let count = (images.len() / size)
            .min(CHUNK)
            .min(self.len().saturating_sub(start));
        let count = self.before_buffer_ends(start, count);
        let end = start + count;
        let known = self.known.get(start..end)?;
        let nums = self.nums.get(start * width..end * width)?;
        // each text column's rows `start..end` (`Rows::text` and
        // `Rows::text_buffer` checked that a column is as long as the
        // rows), and each text's slot within a record: checked here once,
        // not a row. The two kinds of column in two lists, so that a row
        // takes no branch on a column's kind.
        let mut value_columns = Vec::new();
        let mut buffers = Vec::new();
        for (f, col) in &self.texts {
            let at = f.offset as usize;
            if at + 8 > size {
                return None;
            }
            match *col {
                TextColumn::Values(v) => value_columns.push((at, f.mask, v.get(start..end)?)),
                TextColumn::Buffer {
                    data,
                    offsets,
                    valid,
                } => buffers.push(BufferRows {
                    at,
                    mask: f.mask,
                    data,
                    offsets: offsets.slice(start..=end)?,
                    valid: match valid {
                        // (the bits of rows `start..end`, from bit `start`)
                        Some(bits) => Some(bits.get(..end.div_ceil(8))?),
                        None => None,
                    },
                }),
            }
        }
        // every row runs but those noted otherwise: nothing to note for
        // the usual row
        let first = fates.len();
        fates.resize(first + count, Fate::Run);
        let rows = DirectRows {
            set,
            parts,
            known,
            nums,
            value_columns: &value_columns,
            buffers: &buffers,
            start,
            size,
        };
        // the chunk's texts in a local while the rows are filled, so that
        // the bytes used stay in a register
        let mut chunk = std::mem::take(texts);
        let noted = fates.get_mut(first..).unwrap_or_default();
        let bounds = (room, base);
        let filled = match (rows.roomy(&chunk, area.len(), room), rows.in_range()) {
            (true, true) => rows.fill::<true, true>(images, area, &mut chunk, bounds, noted),
            (true, false) => rows.fill::<true, false>(images, area, &mut chunk, bounds, noted),
            (false, true) => rows.fill::<false, true>(images, area, &mut chunk, bounds, noted),
            (false, false) => rows.fill::<false, false>(images, area, &mut chunk, bounds, noted),
        };
        *texts = chunk;
        // a chunk cut short before its row `i` has no fates from it on
        let filled = match filled {
            Ok(()) => count,
            Err(i) => {
                fates.truncate(first + i);
                i
            }
        };
        Some(start + filled)
    }

    /// How many of the `count` rows from `start` on a chunk takes so that
    /// it can be [`DirectRows::roomy`] as far as the text buffers' ends
    /// go: `count`, unless a buffer ends within [`SHORT_TEXT`] bytes after
    /// the last row's text, where its copy of 16 bytes would read past the
    /// end. Then the chunk ends before the rows whose texts end there (the
    /// last few of the buffer: they start the next chunk, which takes the
    /// checks), instead of all its rows taking the checks; or takes all
    /// `count` with the checks when no row is before them.
    /// (A chunk with a column of values is never roomy: it takes `count`.)
    fn before_buffer_ends(&self, start: usize, count: usize) -> usize {
        let mut rows = count;
        for (_, col) in &self.texts {
            let TextColumn::Buffer { data, offsets, .. } = *col else {
                return count;
            };
            // whether the rows before `start + k` end early enough
            let ends_before = |k: usize| {
                (offsets.get(start + k))
                    .is_some_and(|o| usize::try_from(o).is_ok_and(|o| o + SHORT_TEXT <= data.len()))
            };
            if ends_before(rows) {
                continue;
            }
            // the most rows that do, by halves: offsets ascend (checked
            // when the column was taken), so those that end too near the
            // buffer's end are the last ones (`fits` 0 when none does)
            let (mut fits, mut not) = (0, rows);
            while not - fits > 1 {
                let mid = fits + (not - fits) / 2;
                if ends_before(mid) {
                    fits = mid;
                } else {
                    not = mid;
                }
            }
            rows = fits;
        }
        if rows == 0 {
            count
        } else {
            rows
        }
    }

    /// Why row `r` was refused by [`Rows::write`].
    #[cold]
    pub(crate) fn refusal(&self, r: usize) -> NumError {
        let (known, nums) = self.row(r);
        self.set.refusal(known, nums)
    }
}

impl NumFields {
    /// [`RecordWriter::set_nums`]' common case: inputs among the first
    /// 64, each stretch of consecutive inputs stored as one copy, only the
    /// bools, dates and enums checked. Returns the set's presence bits, or
    /// None (and nothing stored) for the general path: a set of other
    /// fields, too few numbers, or one its field cannot take.
    #[inline(always)]
    fn store_direct(&self, image: &mut [u8], known: u64, values: &[i64]) -> Option<u64> {
        let parts = self.direct_parts()?;
        if image.len() < self.end || values.len() < self.len() {
            return None;
        }
        // SAFETY: both lengths were just checked.
        unsafe { self.store_direct_unchecked(parts, image, known, values) }
    }

    /// [`NumFields::store_direct`] without its checks of the set and the
    /// lengths: for a loop that made them once for all its rows, and took
    /// the set's `parts` once.
    ///
    /// # Safety
    /// `parts` are the set's, `image` holds at least its `end` bytes and
    /// `values` at least [`NumFields::len`] numbers.
    #[inline(always)]
    unsafe fn store_direct_unchecked(
        &self,
        parts: DirectParts<'_>,
        image: &mut [u8],
        known: u64,
        values: &[i64],
    ) -> Option<u64> {
        // SAFETY: the caller's promises, passed on.
        unsafe {
            if self.out_of_range_given((parts.limited, parts.never), values) & known != 0 {
                return None;
            }
            Some(store_runs_unchecked(parts.runs, image, known, values))
        }
    }

    /// Whether the set has its fast path: every field among the first 64
    /// inputs.
    #[inline(always)]
    fn direct(&self) -> bool {
        self.runs.is_some()
    }

    /// A bit for each of `values` (one a field, in the set's order) that
    /// its field cannot take: only the bools, dates and enums are looked
    /// at, and a field of no number at all is always set. Every bit for
    /// fewer numbers than fields (its callers refuse such a row before
    /// asking).
    #[inline(always)]
    fn out_of_range(&self, values: &[i64]) -> u64 {
        if values.len() < self.len() {
            return u64::MAX;
        }
        // SAFETY: `values` holds a number a field, just checked.
        unsafe { self.out_of_range_unchecked(values) }
    }

    /// [`NumFields::out_of_range`] without a bounds check a field: the
    /// fast path's, where the one check of `values`' length is made once.
    ///
    /// # Safety
    /// `values` holds at least [`NumFields::len`] numbers.
    #[inline(always)]
    unsafe fn out_of_range_unchecked(&self, values: &[i64]) -> u64 {
        // SAFETY: the caller's promise, passed on.
        unsafe { self.out_of_range_given((&self.limited, self.never), values) }
    }

    /// [`NumFields::out_of_range_unchecked`] with the set's limited fields
    /// and fields of no number given (a loop of rows keeps them in
    /// registers: see [`DirectParts`]).
    ///
    /// # Safety
    /// `limited` and `never` are the set's, and `values` holds at least
    /// [`NumFields::len`] numbers.
    #[inline(always)]
    unsafe fn out_of_range_given(&self, (limited, never): (&[Limit], u64), values: &[i64]) -> u64 {
        debug_assert!(values.len() >= self.len());
        // the usual row: every limited number in range, told with one bit
        // (no shift a field)
        // SAFETY: the caller's promise, passed on.
        if !unsafe { any_out_of_range(limited, never, values) } {
            return 0;
        }
        // SAFETY: the caller's promise, passed on.
        unsafe { self.out_of_range_bits(values) }
    }

    /// The parts of the set's fast path, for [`NumFields::store_direct_unchecked`].
    #[inline(always)]
    fn direct_parts(&self) -> Option<DirectParts<'_>> {
        Some(DirectParts {
            runs: self.runs.as_deref()?,
            limited: &self.limited,
            never: self.never,
        })
    }

    /// The bits of [`NumFields::out_of_range_unchecked`] when some number
    /// is out of its field's range: out of line, the rare row.
    ///
    /// # Safety
    /// `values` holds at least [`NumFields::len`] numbers.
    #[cold]
    #[inline(never)]
    unsafe fn out_of_range_bits(&self, values: &[i64]) -> u64 {
        let mut out = self.never;
        for &Limit { at: k, least, more } in self.limited.iter() {
            // SAFETY: `k` is a position in the set (`lookup` made
            // `limited` from the fields' positions), below `self.len()`,
            // which `values` holds (the caller's promise).
            let v = unsafe { *values.get_unchecked(k as usize) };
            out |= u64::from(above_least(v, least) > more) << k;
        }
        out
    }

    /// The fields called `names` of the inputs `layout`, in that order.
    pub(crate) fn lookup<'n>(
        layout: &Layout,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<NumFields, FieldError> {
        let (mut offsets, mut masks, mut indices) = (Vec::new(), Vec::new(), Vec::new());
        let (mut least, mut more, mut named) = (Vec::new(), Vec::new(), Vec::new());
        let mut never = 0;
        for (k, name) in names.into_iter().enumerate() {
            let Some((index, field)) = layout
                .fields
                .iter()
                .enumerate()
                .find(|(_, f)| f.name == name)
            else {
                let known: Vec<&str> = layout.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(FieldError::Unknown {
                    name: name.to_string(),
                    known: known.join(", "),
                });
            };
            if indices.contains(&index) {
                return Err(FieldError::Twice {
                    name: name.to_string(),
                });
            }
            // (the least number, how many more)
            let (low, up) = match &field.ty {
                ValueType::Bool => (0, 1),
                ValueType::Int | ValueType::Money | ValueType::Decimal => (i64::MIN, u64::MAX),
                ValueType::Date => (i64::from(i32::MIN), u64::from(u32::MAX)),
                ValueType::Enum { variants } => match variants.len() {
                    0 => {
                        never |= 1u64.checked_shl(k as u32).unwrap_or(0);
                        (0, 0)
                    }
                    n => (0, n as u64 - 1),
                },
                ValueType::Text | ValueType::List { .. } => {
                    return Err(FieldError::WrongKind {
                        name: name.to_string(),
                        actual: kind_name(&field.ty),
                        wanted: "a bool, int, money, decimal, date or enum",
                    })
                }
            };
            least.push(low);
            more.push(up);
            offsets.push(field.offset as usize);
            masks.push(if index < 64 { 1u64 << index } else { 0 });
            indices.push(index);
            named.push(field.name.clone());
        }
        if offsets.len() > 64 {
            return Err(FieldError::TooMany {
                given: offsets.len(),
                most: 64,
            });
        }
        let runs = masks.iter().all(|&m| m != 0).then(|| {
            let mut runs: Vec<Run> = Vec::new();
            for (k, (&offset, &index)) in offsets.iter().zip(&indices).enumerate() {
                match runs.last_mut() {
                    Some(r)
                        if r.offset + 8 * r.len as usize == offset
                            && (r.index + r.len) as usize == index =>
                    {
                        r.len += 1
                    }
                    _ => runs.push(Run {
                        from: k as u32,
                        len: 1,
                        offset,
                        index: index as u32,
                    }),
                }
            }
            runs.into_boxed_slice()
        });
        let limited = (least.iter().zip(&more).enumerate())
            .filter(|(_, (_, &up))| up != u64::MAX)
            .map(|(k, (&least, &more))| Limit {
                at: k as u32,
                least,
                more,
            })
            .collect();
        Ok(NumFields {
            limited,
            layout: layout.id(),
            mask: masks.iter().fold(0, |m, b| m | b),
            end: offsets.iter().map(|o| o + 8).max().unwrap_or(0),
            runs,
            offsets: offsets.into(),
            masks: masks.into(),
            indices: indices.into(),
            least: least.into(),
            more: more.into(),
            never,
            names: named.into(),
        })
    }

    /// How many fields the set has.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether the set has no field.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Why `values` cannot be set: the first known number that its field
    /// cannot take, or too few numbers.
    #[cold]
    fn refusal(&self, known: u64, values: &[i64]) -> NumError {
        let fields = self
            .least
            .iter()
            .zip(self.more.iter())
            .zip(self.names.iter());
        for (k, ((&least, &more), name)) in fields.enumerate() {
            let Some(&value) = values.get(k) else {
                continue;
            };
            let never = self.never >> k & 1 != 0;
            if known >> k & 1 != 0 && (above_least(value, least) > more || never) {
                return NumError::OutOfRange {
                    name: name.clone(),
                    value,
                    low: least,
                    // (a field that takes nothing: "0 to -1")
                    high: if never {
                        least.wrapping_sub(1)
                    } else {
                        least.wrapping_add(more as i64)
                    },
                };
            }
        }
        NumError::Short {
            given: values.len(),
            fields: self.len(),
        }
    }
}

/// The largest element record [`RecordWriter::set_list`] fills on the
/// stack (a presence word and 15 slots).
const SMALL_ELEMENT: usize = 128;

/// The length up to which a text of a buffer column is copied as this many
/// bytes ([`ChunkTexts::put_span`]): most names, codes and postcodes.
const SHORT_TEXT: usize = 16;

/// [`copy_text`] for a text: one of 4 to 16 bytes (most names, codes and
/// postcodes) is copied as four overlapping 4-byte moves whose places
/// depend on its length but whose number does not, so that texts of
/// varied lengths take no branch on their length (casework routing's
/// postcodes, of 6 to 8 bytes, took one that mispredicted: its
/// `evaluate_each` is 4-6% faster without it); others as `copy_text`
/// copies them.
#[inline(always)]
fn copy_short_text(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n.wrapping_sub(4) <= 12 && dst.len() >= n {
        // four 4-byte pieces from 0, min(4, n - 4), max(n - 8, 0) and
        // n - 4: together they cover 0..n for every n from 4 to 16
        let at = [0, (n - 4).min(4), n.saturating_sub(8), n - 4];
        // SAFETY: every piece starts at most at n - 4, and both `src` and
        // `dst` hold at least n bytes (checked just above).
        unsafe {
            let words = at.map(|p| src.as_ptr().add(p).cast::<[u8; 4]>().read_unaligned());
            for (p, w) in at.into_iter().zip(words) {
                dst.as_mut_ptr().add(p).cast::<[u8; 4]>().write_unaligned(w);
            }
        }
        return;
    }
    copy_text(dst, src)
}

/// `dst.copy_from_slice(src)` for slices of equal length, without a call
/// to `memcpy` for up to 64 bytes (most names, codes and regions, and the
/// numbers of a row of up to 8 fields): two overlapping loads and stores.
#[inline(always)]
fn copy_text(dst: &mut [u8], src: &[u8]) {
    fn copy<const W: usize>(dst: &mut [u8], src: &[u8]) {
        let n = src.len();
        if let (Some(head), Some(tail), Some(d)) = (
            src.first_chunk::<W>(),
            src.last_chunk::<W>(),
            dst.get_mut(..n),
        ) {
            let (head, tail) = (*head, *tail);
            if let Some(h) = d.first_chunk_mut::<W>() {
                *h = head;
            }
            if let Some(t) = d.last_chunk_mut::<W>() {
                *t = tail;
            }
        }
    }
    let n = src.len();
    // The usual lengths first, in one compare.
    if n.wrapping_sub(8) <= 8 {
        return copy::<8>(dst, src);
    }
    match n {
        0 => {}
        1..=3 => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
        4..=7 => copy::<4>(dst, src),
        17..=32 => copy::<16>(dst, src),
        33..=64 => copy::<32>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// Stores `values` (one a field of a set, in its order) in `image` as the
/// set's `runs` say, and returns their presence bits: the `known` bits of
/// each run, shifted to its fields'. No bounds checks: the callers check
/// the lengths of the image and of the numbers once.
///
/// # Safety
/// `runs` are a [`NumFields`] set's, `image` holds at least its `end`
/// bytes and `values` at least [`NumFields::len`] numbers.
#[inline(always)]
unsafe fn store_runs_unchecked(runs: &[Run], image: &mut [u8], known: u64, values: &[i64]) -> u64 {
    let mut presence = 0;
    for run in runs {
        let (from, len) = (run.from as usize, run.len as usize);
        debug_assert!(run.offset + 8 * len <= image.len() && from + len <= values.len());
        // SAFETY: a run's slots end at or before the set's `end`, and its
        // fields at or before the set's length (`lookup` made the runs, the
        // end and the length from the same fields), which the caller's
        // lengths cover.
        let (slots, run_values) = unsafe {
            (
                image.get_unchecked_mut(run.offset..run.offset + 8 * len),
                values.get_unchecked(from..from + len),
            )
        };
        store_run(slots, run_values);
        presence |= run.presence(known);
    }
    presence
}

/// The parts of a [`NumFields`] set's fast path, taken once for a loop of
/// rows: passed by value, they stay in registers, where reads through the
/// set would be made again at each row (the row's stores might have
/// changed it, as far as the compiler knows).
#[derive(Clone, Copy)]
struct DirectParts<'s> {
    runs: &'s [Run],
    limited: &'s [Limit],
    never: u64,
}

/// Whether a set with the `limited` fields, and `never` the fields that
/// take no number, is given a number it cannot take among `values`: the
/// usual row's check, told with one bit (no shift a field).
///
/// # Safety
/// `values` holds a number at the position of each of `limited`.
#[inline(always)]
unsafe fn any_out_of_range(limited: &[Limit], never: u64, values: &[i64]) -> bool {
    let mut any = never != 0;
    for &Limit { at: k, least, more } in limited {
        // SAFETY: the caller's promise.
        let v = unsafe { *values.get_unchecked(k as usize) };
        any |= above_least(v, least) > more;
    }
    any
}

/// Stores `values` little-endian into `run` (8 bytes each; `run` is as
/// long as they are): one copy of their bytes on a little-endian machine.
#[inline(always)]
fn store_run(run: &mut [u8], values: &[i64]) {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: `values` is `8 * values.len()` initialised bytes, which
        // any `u8` may read; on a little-endian machine they are the
        // values' little-endian encodings, in order.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
        };
        copy_text(run, bytes);
    }
    #[cfg(not(target_endian = "little"))]
    for (w, v) in run.chunks_exact_mut(8).zip(values) {
        w.copy_from_slice(&v.to_le_bytes());
    }
}

/// Clears the presence words after the first of a record image that may
/// hold an earlier record (those of fields 64 and up).
#[inline]
pub(crate) fn clear_high_presence(image: &mut [u8], presence_words: usize) {
    if presence_words > 1 {
        if let Some(words) = image.get_mut(8..8 * presence_words) {
            words.fill(0);
        }
    }
}

/// Sets the presence bit of field `i` >= 64 in its word of a record image
/// (a function of the image alone, so that a writer can live in registers).
#[cold]
fn set_high_presence(image: &mut [u8], i: usize) {
    let at = i / 64 * 8;
    if let Some(w) = image.get_mut(at..at + 8) {
        // `w` is 8 bytes: the conversion cannot fail
        let bits = u64::from_le_bytes(w.try_into().unwrap_or_default()) | 1 << (i % 64);
        w.copy_from_slice(&bits.to_le_bytes());
    }
}

/// Sets or clears the presence bit of field `i` (64 or more).
fn set_high_presence_to(image: &mut [u8], i: usize, present: bool) {
    let at = i / 64 * 8;
    if let Some(w) = image.get_mut(at..at + 8) {
        // `w` is 8 bytes: the conversion cannot fail
        let word = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let bit = 1 << (i % 64);
        let word = if present { word | bit } else { word & !bit };
        w.copy_from_slice(&word.to_le_bytes());
    }
}

impl RecordWriter<'_> {
    /// Stores the first presence word; returns whether the record is a
    /// misfit. For writers that are not dropped (`evaluate_each`'s).
    #[inline(always)]
    pub(crate) fn finish(&mut self) -> bool {
        if let Some(w) = self.image.first_chunk_mut::<8>() {
            *w = self.presence.to_le_bytes();
        }
        self.misfit
    }
}

impl Drop for RecordWriter<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.finish() {
            if let Some((misfits, i)) = self.misfits.take() {
                misfits.push(i);
            }
        }
    }
}

impl RecordWriter<'_> {
    /// Sets input field `index`, whose slot is at `at`, to a value already
    /// read for its type (by `Batch::push_cells`).
    #[inline(always)]
    fn set_scalar(&mut self, index: usize, at: usize, v: Scalar<'_>) {
        let slot = match v {
            Scalar::Bool(b) => i64::from(b),
            Scalar::Num(n) => n,
            Scalar::Text(t) => self.texts.put(t, at),
        };
        if index < 64 {
            self.presence |= 1 << index;
        } else {
            set_high_presence(self.image, index);
        }
        if let Some(w) = self.image.get_mut(at..at + 8) {
            w.copy_from_slice(&slot.to_le_bytes());
        }
    }
}

/// The error of a record given a fact through a field handle (or enum
/// variant) of other inputs.
pub(crate) fn misfit_error() -> crate::outcome::EvalError {
    WrongPolicy::Field.into()
}

impl<'a> RecordView<'a> {
    /// The value of a decision through its typed handle
    /// (`Policy::decision`): `Ok(None)` when the decision is unknown, an
    /// error when the handle is of a policy with other decisions.
    ///
    /// ```
    /// use rulebook::batch::{Bool, Decision, Field, Int};
    /// use rulebook::{Date, Policy};
    ///
    /// let policy = Policy::from_source("adult.rules", "policy adult
    ///     input { age: int }
    ///     decision adult: bool = age >= 18").unwrap();
    /// let age: Field<Int> = policy.field("age").unwrap();
    /// let adult: Decision<Bool> = policy.decision("adult").unwrap();
    /// let mut adults = Vec::new();
    /// policy.evaluate_each([30, 12], Date::parse("2026-01-01").unwrap(),
    ///     |a, record| { record.set(age, *a); },
    ///     |_, results| adults.push(results.unwrap().get(adult).unwrap()));
    /// assert_eq!(adults, [Some(true), Some(false)]);
    /// ```
    #[inline(always)]
    pub fn get<K: OutputKind>(
        &self,
        decision: Decision<K>,
    ) -> Result<Option<K::Output<'a>>, WrongPolicy> {
        let (layout, at) = decision.parts();
        let owner = decision.owner();
        self.read_slot(layout, at, |raw, texts| K::decode(raw, texts, owner))
    }

    /// The whole result of a decision (value, missing facts, reasons,
    /// clause) through its handle.
    pub fn decision<K: OutputKind>(
        &self,
        decision: Decision<K>,
    ) -> Result<DecisionView<'a>, WrongPolicy> {
        let (layout, _) = decision.parts();
        match self.decision_at(decision.index()) {
            Some(view) if layout == self.result_layout() => Ok(view),
            _ => Err(WrongPolicy::Decision),
        }
    }
}

impl Outcome {
    /// The value of a decision through its typed handle: `Ok(None)` when
    /// the decision is unknown, an error when the handle is of a policy
    /// with other decisions.
    pub fn get<K: OutputKind>(
        &self,
        decision: Decision<K>,
    ) -> Result<Option<K::Output<'_>>, WrongPolicy> {
        let owner = decision.owner();
        Ok(self
            .decision(decision)?
            .value
            .as_ref()
            .map(|v| K::from_value(v.as_ref(), owner)))
    }

    /// The whole result of a decision (value, missing facts, reasons,
    /// clause) through its handle.
    pub fn decision<K: OutputKind>(
        &self,
        decision: Decision<K>,
    ) -> Result<&DecisionOutcome, WrongPolicy> {
        let (layout, _) = decision.parts();
        match self.decisions.get(decision.index()) {
            Some(d) if layout == self.layout => Ok(d),
            _ => Err(WrongPolicy::Decision),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{copy_short_text, copy_text};

    /// Both copies write exactly the source's bytes, for every length (each
    /// of the short text's piece layouts and each of `copy_text`'s widths),
    /// and nothing after them.
    #[test]
    fn copies_write_exactly_the_text() {
        for n in 0..=80 {
            let src: Vec<u8> = (0..n as u8)
                .map(|i| i.wrapping_mul(37).wrapping_add(1))
                .collect();
            for copy in [copy_short_text, copy_text] {
                let mut dst = vec![0xee_u8; n + 8];
                copy(&mut dst[..n], &src);
                assert_eq!(&dst[..n], &src[..], "length {n}");
                assert!(
                    dst[n..].iter().all(|&b| b == 0xee),
                    "length {n}: wrote past"
                );
            }
        }
    }
}
