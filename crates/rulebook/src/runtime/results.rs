//! Host side of the ABI, results out: result records read in place through
//! views ([`RecordView`], [`DecisionView`]), either straight in the module's
//! memory (`Policy::evaluate_each`) or in a [`BatchResults`], which copies a
//! batch's result records out in one piece per chunk. Neither costs an
//! allocation per record or decision; [`RecordView::to_outcome`] gives the
//! owned [`Outcome`] when one is wanted.

use crate::abi::{self, DecisionKind, Meta, ValueType};
use crate::num;
use crate::outcome::{Decided, DecisionOutcome, EvalError, Outcome, ValueRef, WrongPolicy};
use std::sync::Arc;

/// Host-only status of a record whose chunk failed as a whole (a trap, a
/// time limit, a batch too large): the error is kept in `failures`.
const STATUS_CHUNK_FAILED: i32 = -1;
/// Host-only status of a result record that points outside the module's memory.
const STATUS_MALFORMED: i32 = -2;

/// What results of one module need from it: the metadata, the module's
/// constant data (memory below `heap_base`, where constant texts live), and
/// the result layout in a compact form for reading.
#[derive(Debug)]
pub struct ModuleData {
    pub meta: Arc<Meta>,
    pub statics: Box<[u8]>,
    /// `statics` as text when it is valid UTF-8 (always, for modules this
    /// crate compiles; otherwise empty): then a text value needs only a
    /// char-boundary check.
    statics_text: Box<str>,
    /// Whether `statics` is all ASCII (usual): then any range of it is a
    /// text, with no char-boundary check.
    statics_ascii: bool,
    slots: Box<[Slot]>,
    /// Bytes per result record.
    pub(crate) record_size: usize,
    missing_words: usize,
    /// [`crate::abi::Layout::id`] of the inputs.
    pub(crate) input_layout: u64,
    /// [`Meta::result_layout_id`].
    output_layout: u64,
}

/// Where one decision sits in a result record, and how to read it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Byte offset of the value within the record.
    at: usize,
    /// End of the decision's words within the record.
    end: usize,
    reason_words: usize,
    kind: SlotKind,
    form: Form,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Expr,
    Requires,
    Whens,
}

/// How a value slot is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Bool,
    Text,
    Num,
}

impl ModuleData {
    pub fn new(meta: Arc<Meta>, statics: Box<[u8]>) -> ModuleData {
        // not UTF-8 (never for modules this crate compiles): texts are checked one by one
        let statics_text = std::str::from_utf8(&statics).unwrap_or_default().into();
        let slots = meta
            .decisions
            .iter()
            .map(|d| Slot {
                at: d.offset as usize,
                end: d.offset as usize
                    + 8 * (2 + meta.missing_words as usize + d.reason_words as usize),
                reason_words: d.reason_words as usize,
                kind: match d.kind {
                    DecisionKind::Expr => SlotKind::Expr,
                    DecisionKind::Requires => SlotKind::Requires,
                    DecisionKind::Whens => SlotKind::Whens,
                },
                form: match d.ty {
                    ValueType::Bool => Form::Bool,
                    ValueType::Text => Form::Text,
                    _ => Form::Num,
                },
            })
            .collect();
        ModuleData {
            record_size: (meta.result_size as usize).max(8),
            input_layout: meta.input.id(),
            output_layout: meta.result_layout_id(),
            missing_words: meta.missing_words as usize,
            meta,
            statics_ascii: statics.is_ascii(),
            statics,
            statics_text,
            slots,
        }
    }

    /// The constant text at `ptr..ptr + len`, if it is one.
    #[inline]
    fn static_text(&self, ptr: usize, len: usize) -> Option<&str> {
        match self.statics_text.get(ptr..ptr + len) {
            Some(t) => Some(t),
            None => std::str::from_utf8(self.statics.get(ptr..ptr + len)?).ok(),
        }
    }
}

/// The results of a batch of records, in record order. Reuse one value for
/// many batches: its buffers keep their capacity.
///
/// ```
/// use rulebook::batch::{Bool, Decision};
/// use rulebook::{BatchResults, Date, Policy};
///
/// let policy = Policy::from_source("adult.rules", r#"
///     policy adult
///     input { age: int }
///     decision adult: bool
///       require age >= 18 because "Must be 18 or over"
/// "#).unwrap();
/// let records = vec![
///     policy.facts().int("age", 30).build().unwrap(),
///     policy.facts().int("age", 16).build().unwrap(),
///     policy.facts().build().unwrap(),
/// ];
/// let mut results = BatchResults::default();
/// policy.evaluate_batch_into(&records, Date::parse("2026-01-01").unwrap(), &mut results);
/// let adult: Decision<Bool> = policy.decision("adult").unwrap();
/// let values: Vec<Option<bool>> = results
///     .iter()
///     .map(|r| r.unwrap().get(adult).unwrap())
///     .collect();
/// assert_eq!(values, [Some(true), Some(false), None]);
/// ```
#[derive(Debug, Default)]
pub struct BatchResults {
    module: Option<Arc<ModuleData>>,
    as_of: i32,
    /// The result records, `result_size` bytes each, as in memory.
    records: Vec<u8>,
    /// Text values that pointed at the heap (an input text), copied; a text
    /// slot addresses them as `statics.len() + offset`.
    texts: String,
    /// Records `start..end` failed together.
    failures: Vec<(usize, usize, EvalError)>,
    len: usize,
    /// Bytes per result record.
    record_size: usize,
}

/// The little-endian u64 at byte `at` (0 when out of range: a malformed
/// module's result).
#[inline]
fn word(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn set_word(bytes: &mut [u8], at: usize, v: u64) {
    if let Some(b) = bytes.get_mut(at..at + 8) {
        b.copy_from_slice(&v.to_le_bytes());
    }
}

/// The status (low half of the first word) of a result record.
#[inline]
fn status(record: &[u8]) -> i32 {
    word(record, 0) as u32 as i32
}

/// Whether an OK result record says that all its decisions are known (its
/// detail is [`abi::ALL_KNOWN`]), so that no missing word need be read.
#[inline]
fn all_known(record: &[u8]) -> bool {
    // (the detail read as a number: a compare of bytes took a copy of
    // ALL_KNOWN's on the stack for every read)
    record
        .first_chunk::<8>()
        .is_some_and(|w| i32::from_le_bytes([w[4], w[5], w[6], w[7]]) == abi::ALL_KNOWN)
}

/// Whether the `n` missing-facts words from byte `at` are all zero.
#[inline]
fn known(bytes: &[u8], at: usize, n: usize) -> bool {
    if n == 1 {
        return bytes.get(at..at + 8) == Some(&[0; 8]);
    }
    at + 8 * n <= bytes.len() && (0..n).all(|i| word(bytes, at + 8 * i) == 0)
}

impl BatchResults {
    /// Empties the results for a new batch of `module`.
    pub(crate) fn reset(&mut self, module: &Arc<ModuleData>, as_of: i32) {
        if !self.module.as_ref().is_some_and(|m| Arc::ptr_eq(m, module)) {
            self.module = Some(module.clone());
        }
        self.record_size = module.record_size;
        self.as_of = as_of;
        self.records.clear();
        self.texts.clear();
        self.failures.clear();
        self.len = 0;
    }

    /// Appends `count` result records read from `memory` at `at`.
    pub(crate) fn append(&mut self, memory: &[u8], at: usize, count: usize) {
        let Some(module) = self.module.clone() else {
            return;
        };
        let size = self.record_size;
        let first = self.records.len();
        match memory.get(at..at + count * size) {
            Some(bytes) => self.records.extend_from_slice(bytes),
            None => self.push_statuses(count, STATUS_MALFORMED),
        }
        self.len += count;
        // Text values into the heap (input texts) are copied: the memory is
        // reused by the next chunk.
        for d in module.slots.iter().filter(|d| d.form == Form::Text) {
            for i in 0..count {
                let rec = first + i * size;
                let off = rec + d.at;
                // appended above: in bounds
                let record = self.records.get(rec..rec + size).unwrap_or(&[]);
                if status(record) != abi::STATUS_OK
                    || !known(record, d.at + 16, module.missing_words)
                {
                    continue;
                }
                let packed = word(record, d.at);
                let (ptr, len) = ((packed & 0xffff_ffff) as usize, (packed >> 32) as usize);
                if ptr + len <= module.statics.len() {
                    continue;
                }
                let moved = module.statics.len() + self.texts.len();
                let text = memory
                    .get(ptr..ptr + len)
                    .and_then(|b| std::str::from_utf8(b).ok());
                match text {
                    Some(t) if moved + len <= u32::MAX as usize => {
                        self.texts.push_str(t);
                        set_word(&mut self.records, off, moved as u64 | ((len as u64) << 32));
                    }
                    _ => set_word(&mut self.records, rec, STATUS_MALFORMED as u32 as u64),
                }
            }
        }
    }

    /// Appends `count` records holding nothing but a (host-only) status.
    fn push_statuses(&mut self, count: usize, status: i32) {
        let size = self.record_size.max(8);
        let first = self.records.len();
        self.records.resize(first + count * size, 0);
        for i in 0..count {
            set_word(&mut self.records, first + i * size, status as u32 as u64);
        }
    }

    /// Appends `count` records that all failed with `error`.
    pub(crate) fn fail(&mut self, count: usize, error: EvalError) {
        self.push_statuses(count, STATUS_CHUNK_FAILED);
        self.failures.push((self.len, self.len + count, error));
        self.len += count;
    }

    /// Replaces record `i`'s results with `error`.
    pub(crate) fn mark_failed(&mut self, i: usize, error: EvalError) {
        if i < self.len {
            set_word(
                &mut self.records,
                i * self.record_size.max(8),
                STATUS_CHUNK_FAILED as u32 as u64,
            );
            self.failures.push((i, i + 1, error));
        }
    }

    /// Marks every record of a batch of `count` as failed (the module could not be used).
    pub(crate) fn fail_all(&mut self, count: usize, as_of: i32, error: EvalError) {
        self.module = None;
        self.record_size = 8;
        self.as_of = as_of;
        self.records.clear();
        self.texts.clear();
        self.failures.clear();
        self.len = 0;
        self.fail(count, error);
    }

    /// How many records the batch had.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The results of record `i`: its decisions, or why it could not be evaluated.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Result<RecordView<'_>, EvalError>> {
        if i >= self.len {
            return None;
        }
        let size = self.record_size;
        // i < len, and `records` holds len records: in bounds
        let record = self.records.get(i * size..(i + 1) * size).unwrap_or(&[]);
        match self.module.as_deref() {
            Some(module) if status(record) == abi::STATUS_OK => Some(Ok(RecordView {
                record,
                module,
                heap: self.texts.as_bytes(),
                heap_base: module.statics.len(),
            })),
            _ => Some(Err(self.error(i, record))),
        }
    }

    /// Why record `i` has no decisions.
    #[cold]
    fn error(&self, i: usize, record: &[u8]) -> EvalError {
        match (status(record), self.module.as_deref()) {
            (STATUS_CHUNK_FAILED, _) | (_, None) => self
                .failures
                .iter()
                .find(|(start, end, _)| (*start..*end).contains(&i))
                .map_or_else(
                    || EvalError::Trap {
                        message: "no result".into(),
                    },
                    |(_, _, e)| e.clone(),
                ),
            (_, Some(module)) => record_error(module, record, self.as_of),
        }
    }

    /// Every record's results, in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Result<RecordView<'_>, EvalError>> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// Every record's results as owned [`Outcome`]s.
    pub fn to_outcomes(&self) -> Vec<Result<Outcome, EvalError>> {
        self.iter().map(|r| r.map(|v| v.to_outcome())).collect()
    }
}

/// The results in result record `record`, which sits in the module's
/// `memory`, read in place (texts included: they point into that memory).
#[inline]
pub(crate) fn view<'a>(
    module: &'a ModuleData,
    record: &'a [u8],
    memory: &'a [u8],
    as_of: i32,
) -> Result<RecordView<'a>, EvalError> {
    match ok_view(module, record, memory) {
        Some(view) => Ok(view),
        None => Err(record_error(module, record, as_of)),
    }
}

/// The view of a result record whose status is OK; `None` for any other
/// (whose error [`view`] gives).
#[inline(always)]
pub(crate) fn ok_view<'a>(
    module: &'a ModuleData,
    record: &'a [u8],
    memory: &'a [u8],
) -> Option<RecordView<'a>> {
    (status(record) == abi::STATUS_OK).then_some(RecordView {
        record,
        module,
        heap: memory,
        heap_base: 0,
    })
}

/// The error of a result record whose status is not OK.
#[cold]
fn record_error(module: &ModuleData, record: &[u8], as_of: i32) -> EvalError {
    let first = word(record, 0);
    match first as u32 as i32 {
        STATUS_MALFORMED => EvalError::Trap {
            message: "the module wrote a result outside its memory".into(),
        },
        status => status_error(&module.meta, status, (first >> 32) as u32 as i32, as_of),
    }
}

/// The evaluation error a status code and site stand for.
fn status_error(meta: &Meta, status: i32, site: i32, as_of: i32) -> EvalError {
    let idx = usize::try_from(site).unwrap_or(usize::MAX);
    let (context, line) = meta
        .sites
        .get(idx)
        .map_or((String::from("?"), 0), |s| (s.context.clone(), s.line));
    match status {
        abi::STATUS_OVERFLOW => EvalError::Overflow { context, line },
        abi::STATUS_DIVISION_BY_ZERO => EvalError::DivisionByZero { context, line },
        abi::STATUS_PARAM_UNDEFINED => {
            let p = meta.params.get(idx);
            EvalError::ParamUndefined {
                param: p.map_or_else(String::new, |p| p.name.clone()),
                as_of: num::format_date(as_of),
                // only a tampered module names a param without its first `from`
                first: p.and_then(|p| p.first_from.clone()).unwrap_or_default(),
            }
        }
        abi::STATUS_NO_CLAUSE => EvalError::NoClause {
            decision: meta
                .decisions
                .get(idx)
                .map_or_else(String::new, |d| d.name.clone()),
            as_of: num::format_date(as_of),
        },
        other => EvalError::Trap {
            message: format!("unknown status {other}"),
        },
    }
}

/// The decisions of one successfully evaluated record, read in place.
#[derive(Clone, Copy)]
pub struct RecordView<'a> {
    /// The result record's bytes.
    record: &'a [u8],
    module: &'a ModuleData,
    /// Where texts not among the module's constants live: the module's
    /// memory, or a [`BatchResults`]' copies; `heap_base` is the address of
    /// its first byte.
    heap: &'a [u8],
    heap_base: usize,
}

impl<'a> RecordView<'a> {
    /// Whether the record was evaluated by the full function, in a module
    /// compiled by `Policy::marking_full_body` (always false otherwise).
    /// Not part of the API.
    #[doc(hidden)]
    pub fn evaluated_in_full(&self) -> bool {
        self.record
            .get(4..8)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .is_some_and(|b| u32::from_le_bytes(b) & crate::codegen::FULL_BODY_MARK != 0)
    }

    /// Decision `i`, in source order (a typed handle reads one by name:
    /// [`RecordView::decision`]).
    #[inline]
    pub fn decision_at(&self, i: usize) -> Option<DecisionView<'a>> {
        let slot = self.module.slots.get(i)?;
        Some(DecisionView {
            record: RecordView {
                record: self.record.get(slot.at..slot.end)?,
                ..*self
            },
            slot,
            index: i,
        })
    }

    /// The raw slot at `at` decoded by `decode`, when these results have
    /// the result layout `layout` and the decision there is known: how
    /// typed decision handles read (`RecordView::get`, in `batch`).
    #[inline(always)]
    pub(crate) fn read_slot<T>(
        &self,
        layout: u64,
        at: usize,
        decode: impl FnOnce(u64, TextSource<'a>) -> T,
    ) -> Result<Option<T>, WrongPolicy> {
        if layout != self.module.output_layout {
            return Err(WrongPolicy::Decision);
        }
        if !(all_known(self.record) || known(self.record, at + 16, self.module.missing_words)) {
            return Ok(None);
        }
        Ok(Some(decode(word(self.record, at), self.texts())))
    }

    /// [`Meta::result_layout_id`] of the module that made these results.
    #[inline]
    pub(crate) fn result_layout(&self) -> u64 {
        self.module.output_layout
    }

    /// Where this record's text values are read from.
    #[inline]
    fn texts(&self) -> TextSource<'a> {
        TextSource {
            module: self.module,
            heap: self.heap,
            heap_base: self.heap_base,
        }
    }

    /// Every decision, in source order.
    pub fn decisions(&self) -> impl Iterator<Item = DecisionView<'a>> + 'a {
        let record = *self;
        (0..self.module.slots.len()).filter_map(move |i| record.decision_at(i))
    }

    /// The owned form of these results.
    pub fn to_outcome(&self) -> Outcome {
        Outcome::new(
            self.decisions()
                .map(|d| DecisionOutcome {
                    value: d.value().map(ValueRef::to_owned),
                    missing: d.missing().collect(),
                    reasons: d.reasons().collect(),
                    clause: d.clause(),
                })
                .collect(),
            self.module.output_layout,
        )
    }
}

impl std::fmt::Debug for RecordView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_outcome().fmt(f)
    }
}

/// One decision of a record, read in place.
#[derive(Clone, Copy)]
pub struct DecisionView<'a> {
    /// `record.record` holds the decision's own words: value, aux, the
    /// missing-facts words, the false-require words. Never handed out: a
    /// `RecordView`'s own methods (`get`) expect the whole result record.
    record: RecordView<'a>,
    slot: &'a Slot,
    index: usize,
}

impl<'a> DecisionView<'a> {
    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.record.record
    }

    #[inline]
    fn missing_words(&self) -> usize {
        self.record.module.missing_words
    }

    /// The decision's name.
    pub fn name(&self) -> &'a str {
        self.record
            .module
            .meta
            .decisions
            .get(self.index)
            .map_or("", |d| d.name.as_str())
    }

    /// Whether the decision is known (no facts missing).
    #[inline]
    pub fn is_known(&self) -> bool {
        known(self.bytes(), 16, self.missing_words())
    }

    /// The value; None when unknown. Numbers use the encodings of
    /// [`crate::facts::FactValue::Num`] (money in pence, decimals × 10^6, ...).
    #[inline]
    pub fn value(&self) -> Option<ValueRef<'a>> {
        if !self.is_known() {
            return None;
        }
        let raw = word(self.bytes(), 0);
        Some(match self.slot.form {
            Form::Bool => ValueRef::Bool(raw != 0),
            Form::Text => ValueRef::Text(self.text(raw)),
            Form::Num => ValueRef::Num(raw as i64),
        })
    }

    /// The text a packed `ptr | len << 32` slot points at.
    #[inline]
    fn text(&self, packed: u64) -> &'a str {
        self.record.texts().text(packed)
    }

    /// The value of a known `bool` decision.
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        match self.value()? {
            ValueRef::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value of a known text decision.
    #[inline]
    pub fn as_text(&self) -> Option<&'a str> {
        match self.value()? {
            ValueRef::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value of a known numeric decision (int, decimal × 10^6, money in
    /// pence, date as days since 1970-01-01, enum variant index).
    #[inline]
    pub fn as_num(&self) -> Option<i64> {
        match self.value()? {
            ValueRef::Num(n) => Some(n),
            _ => None,
        }
    }

    /// The facts still needed (indices into `Meta::fact_paths`), in
    /// declaration order; empty when the decision is known.
    pub fn missing(&self) -> Bits<'a> {
        Bits::new(self.bytes(), 16, self.missing_words())
    }

    /// The paths of the facts still needed (`age`, `children[].age`), in
    /// declaration order; none when the decision is known.
    pub fn missing_paths(&self) -> impl Iterator<Item = &'a str> + 'a {
        let paths = &self.record.module.meta.fact_paths;
        self.missing()
            .filter_map(move |f| paths.get(f).map(String::as_str))
    }

    /// The reasons of the false requires of a `require` decision (their
    /// `because` texts, or their conditions when they have none), in
    /// source order.
    pub fn reason_texts(&self) -> impl Iterator<Item = &'a str> + 'a {
        let clauses = self
            .record
            .module
            .meta
            .decisions
            .get(self.index)
            .map_or(&[][..], |d| d.clauses.as_slice());
        self.reasons()
            .filter_map(move |c| clauses.get(c).map(|c| c.reason()))
    }

    /// Indices of the false requires of a `require` decision, in source order.
    pub fn reasons(&self) -> Bits<'a> {
        if self.slot.kind != SlotKind::Requires || !self.is_known() {
            return Bits::new(&[], 0, 0);
        }
        let at = 16 + 8 * self.missing_words();
        Bits::new(self.bytes(), at, self.slot.reason_words)
    }

    /// Index of the `when`/`otherwise` clause that decided a known `when` decision.
    pub fn clause(&self) -> Option<usize> {
        (self.slot.kind == SlotKind::Whens && self.is_known())
            .then(|| word(self.bytes(), 8) as usize)
    }
}

/// Where the texts of a result record are read from.
#[derive(Clone, Copy)]
pub(crate) struct TextSource<'a> {
    module: &'a ModuleData,
    heap: &'a [u8],
    heap_base: usize,
}

impl<'a> TextSource<'a> {
    /// The text a packed `ptr | len << 32` slot points at: a constant is
    /// found inline, anything else by [`text_at`].
    #[inline]
    pub(crate) fn text(self, packed: u64) -> &'a str {
        let (ptr, len) = ((packed & 0xffff_ffff) as usize, (packed >> 32) as usize);
        let module = self.module;
        if module.statics_ascii {
            if let Some(bytes) = module.statics.get(ptr..ptr + len) {
                // SAFETY: `statics` is all ASCII (checked when the module
                // was loaded), and any run of ASCII bytes is UTF-8.
                return unsafe { std::str::from_utf8_unchecked(bytes) };
            }
        } else if let Some(t) = module.statics_text.get(ptr..ptr + len) {
            return t;
        }
        text_at(module, self.heap, self.heap_base, packed)
    }
}

/// The text a packed `ptr | len << 32` slot points at: one of the module's
/// constants, or a text in `heap` (whose first byte is address `heap_base`).
/// Arguments rather than a view, so that callers keep their views in
/// registers.
#[inline(never)]
fn text_at<'a>(module: &'a ModuleData, heap: &'a [u8], heap_base: usize, packed: u64) -> &'a str {
    let (ptr, len) = ((packed & 0xffff_ffff) as usize, (packed >> 32) as usize);
    let text = if ptr + len <= module.statics.len() {
        module.static_text(ptr, len)
    } else {
        ptr.checked_sub(heap_base)
            .and_then(|at| heap.get(at..at + len))
            .and_then(|b| std::str::from_utf8(b).ok())
    };
    // Constant and input texts are UTF-8 and whole; only a tampered module
    // could point elsewhere.
    text.unwrap_or("\u{fffd}")
}

/// The indices of the set bits of a run of little-endian u64 words, ascending.
#[derive(Clone)]
pub struct Bits<'a> {
    bytes: &'a [u8],
    /// Index of the word in `current`.
    word: usize,
    current: u64,
}

impl<'a> Bits<'a> {
    fn new(all: &'a [u8], at: usize, n: usize) -> Bits<'a> {
        // a view's words are within its record (a malformed one reads no bits)
        let bytes = all.get(at..at + 8 * n).unwrap_or(&[]);
        Bits {
            bytes,
            word: 0,
            current: word(bytes, 0),
        }
    }
}

impl Iterator for Bits<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        while self.current == 0 {
            self.word += 1;
            if 8 * self.word >= self.bytes.len() {
                return None;
            }
            self.current = word(self.bytes, 8 * self.word);
        }
        let bit = self.current.trailing_zeros() as usize;
        self.current &= self.current - 1;
        Some(self.word * 64 + bit)
    }
}

impl Decided for RecordView<'_> {
    type Indices<'b>
        = Bits<'b>
    where
        Self: 'b;

    fn value(&self, d: usize) -> Option<ValueRef<'_>> {
        self.decision_at(d)?.value()
    }
    fn missing(&self, d: usize) -> Bits<'_> {
        self.decision_at(d)
            .map_or_else(|| Bits::new(&[], 0, 0), |v| v.missing())
    }
    fn reasons(&self, d: usize) -> Bits<'_> {
        self.decision_at(d)
            .map_or_else(|| Bits::new(&[], 0, 0), |v| v.reasons())
    }
    fn clause(&self, d: usize) -> Option<usize> {
        self.decision_at(d)?.clause()
    }
}
