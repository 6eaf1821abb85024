//! Host side of the ABI, results out: the result records of a batch, copied
//! out of linear memory in one piece and read in place through views, so a
//! batch costs no allocation per record or decision. [`BatchResults`] is
//! reusable across batches; [`RecordView::to_outcome`] gives the owned
//! [`Outcome`] when one is wanted.

use crate::abi::{self, DecisionKind, DecisionMeta, Meta, ValueType};
use crate::num;
use crate::outcome::{Decided, DecisionOutcome, EvalError, Outcome, ValueRef};
use std::sync::Arc;

/// Host-only status of a record whose chunk failed as a whole (a trap, a
/// time limit, a batch too large): the error is kept in `failures`.
const STATUS_CHUNK_FAILED: i32 = -1;
/// Host-only status of a result record that points outside the module's memory.
const STATUS_MALFORMED: i32 = -2;

/// What results of one module need from it: the metadata and the module's
/// constant data (memory below `heap_base`, where constant texts live).
#[derive(Debug)]
pub struct ModuleData {
    pub meta: Arc<Meta>,
    pub statics: Box<[u8]>,
    /// `statics` as text when it is valid UTF-8 (always, for modules this
    /// crate compiles): then a text value needs only a char-boundary check.
    statics_text: Option<Box<str>>,
}

impl ModuleData {
    pub fn new(meta: Arc<Meta>, statics: Box<[u8]>) -> ModuleData {
        let statics_text = std::str::from_utf8(&statics).ok().map(Into::into);
        ModuleData {
            meta,
            statics,
            statics_text,
        }
    }

    /// The constant text at `ptr..ptr + len`, if it is one.
    #[inline]
    fn static_text(&self, ptr: usize, len: usize) -> Option<&str> {
        match &self.statics_text {
            Some(t) => t.get(ptr..ptr + len),
            None => std::str::from_utf8(self.statics.get(ptr..ptr + len)?).ok(),
        }
    }
}

/// The results of a batch of records, in record order. Reuse one value for
/// many batches: its buffers keep their capacity.
///
/// ```
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
/// let adult = policy.decision_index("adult").unwrap();
/// let values: Vec<Option<bool>> = results
///     .iter()
///     .map(|r| r.unwrap().decision(adult).unwrap().as_bool())
///     .collect();
/// assert_eq!(values, [Some(true), Some(false), None]);
/// ```
#[derive(Debug, Default)]
pub struct BatchResults {
    module: Option<Arc<ModuleData>>,
    as_of: i32,
    /// The result records as little-endian u64 words, `result_size / 8` each.
    records: Vec<u64>,
    /// Text values that pointed at the heap (an input text), copied; a text
    /// slot addresses them as `statics.len() + offset`.
    texts: String,
    /// Records `start..end` failed together.
    failures: Vec<(usize, usize, EvalError)>,
    len: usize,
}

/// Word `i` of `words` (0 when out of range: a malformed module's result).
#[inline]
fn word(words: &[u64], i: usize) -> u64 {
    words.get(i).copied().unwrap_or(0)
}

/// The status (low half of word 0) and site (high half) of a result record.
#[inline]
fn status_site(words: &[u64], rec: usize) -> (i32, i32) {
    let w = word(words, rec);
    (w as u32 as i32, (w >> 32) as u32 as i32)
}

fn set_status(words: &mut [u64], rec: usize, status: i32) {
    if let Some(w) = words.get_mut(rec) {
        *w = u64::from(status as u32);
    }
}

/// Whether the missing-facts words from word `at` are all zero.
#[inline]
fn known(words: &[u64], at: usize, n: usize) -> bool {
    words
        .get(at..at + n)
        .is_some_and(|w| w.iter().all(|&x| x == 0))
}

impl BatchResults {
    /// Empties the results for a new batch of `module`.
    pub(crate) fn reset(&mut self, module: &Arc<ModuleData>, as_of: i32) {
        if !self.module.as_ref().is_some_and(|m| Arc::ptr_eq(m, module)) {
            self.module = Some(module.clone());
        }
        self.as_of = as_of;
        self.records.clear();
        self.texts.clear();
        self.failures.clear();
        self.len = 0;
    }

    /// Words per result record.
    #[inline]
    fn record_words(&self) -> usize {
        self.module
            .as_ref()
            .map_or(1, |m| (m.meta.result_size as usize / 8).max(1))
    }

    /// Appends `count` result records read from `memory` at `at`.
    pub(crate) fn append(&mut self, memory: &[u8], at: usize, count: usize) {
        let Some(module) = self.module.clone() else {
            return;
        };
        let meta = &module.meta;
        let size = self.record_words();
        let first = self.records.len();
        match memory.get(at..at + count * size * 8) {
            Some(bytes) => self.records.extend(
                bytes
                    .chunks_exact(8)
                    .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())),
            ),
            None => {
                self.records.resize(first + count * size, 0);
                for i in 0..count {
                    set_status(&mut self.records, first + i * size, STATUS_MALFORMED);
                }
            }
        }
        self.len += count;
        // Text values into the heap (input texts) are copied: the memory is
        // reused by the next chunk.
        let words = meta.missing_words as usize;
        for d in meta.decisions.iter().filter(|d| d.ty == ValueType::Text) {
            for i in 0..count {
                let rec = first + i * size;
                let off = rec + d.offset as usize / 8;
                if status_site(&self.records, rec).0 != abi::STATUS_OK
                    || !known(&self.records, off + 2, words)
                {
                    continue;
                }
                let packed = word(&self.records, off);
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
                        if let Some(w) = self.records.get_mut(off) {
                            *w = moved as u64 | ((len as u64) << 32);
                        }
                    }
                    _ => set_status(&mut self.records, rec, STATUS_MALFORMED),
                }
            }
        }
    }

    /// Appends `count` records that all failed with `error`.
    pub(crate) fn fail(&mut self, count: usize, error: EvalError) {
        let size = self.record_words();
        let first = self.records.len();
        self.records.resize(first + count * size, 0);
        for i in 0..count {
            set_status(&mut self.records, first + i * size, STATUS_CHUNK_FAILED);
        }
        self.failures.push((self.len, self.len + count, error));
        self.len += count;
    }

    /// Marks every record of a batch of `count` as failed (the module could not be used).
    pub(crate) fn fail_all(&mut self, count: usize, as_of: i32, error: EvalError) {
        self.module = None;
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
        let Some(module) = self.module.as_deref() else {
            return Some(Err(self.failure(i)));
        };
        let at = i * self.record_words();
        let (status, site) = status_site(&self.records, at);
        if status == abi::STATUS_OK {
            return Some(Ok(RecordView {
                batch: self,
                module,
                at,
            }));
        }
        Some(Err(match status {
            STATUS_CHUNK_FAILED => self.failure(i),
            STATUS_MALFORMED => EvalError::Trap {
                message: "the module wrote a result outside its memory".into(),
            },
            _ => status_error(&module.meta, status, site, self.as_of),
        }))
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

    fn failure(&self, i: usize) -> EvalError {
        self.failures
            .iter()
            .find(|(start, end, _)| (*start..*end).contains(&i))
            .map_or_else(
                || EvalError::Trap {
                    message: "no result".into(),
                },
                |(_, _, e)| e.clone(),
            )
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
    batch: &'a BatchResults,
    module: &'a ModuleData,
    /// Index of the result record's first word in `batch.records`.
    at: usize,
}

impl<'a> RecordView<'a> {
    /// Decision `i` (in source order; see `Policy::decision_index`).
    #[inline]
    pub fn decision(&self, i: usize) -> Option<DecisionView<'a>> {
        let meta = self.module.meta.decisions.get(i)?;
        let missing = self.module.meta.missing_words as usize;
        let start = self.at + meta.offset as usize / 8;
        let end = start + 2 + missing + meta.reason_words as usize;
        Some(DecisionView {
            record: *self,
            meta,
            words: self.batch.records.get(start..end)?,
            missing,
        })
    }

    /// Every decision, in source order.
    pub fn decisions(&self) -> impl Iterator<Item = DecisionView<'a>> + 'a {
        let record = *self;
        (0..self.module.meta.decisions.len()).filter_map(move |i| record.decision(i))
    }

    /// The owned form of these results.
    pub fn to_outcome(&self) -> Outcome {
        Outcome {
            decisions: self
                .decisions()
                .map(|d| DecisionOutcome {
                    value: d.value().map(ValueRef::to_owned),
                    missing: d.missing().collect(),
                    reasons: d.reasons().collect(),
                    clause: d.clause(),
                })
                .collect(),
        }
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
    record: RecordView<'a>,
    meta: &'a DecisionMeta,
    /// The decision's words: value, aux, the missing-facts words, the
    /// false-require words.
    words: &'a [u64],
    /// How many missing-facts words there are.
    missing: usize,
}

impl<'a> DecisionView<'a> {
    /// The decision's name.
    pub fn name(&self) -> &'a str {
        &self.meta.name
    }

    /// Whether the decision is known (no facts missing).
    #[inline]
    pub fn is_known(&self) -> bool {
        known(self.words, 2, self.missing)
    }

    /// The value; None when unknown. Numbers use the encodings of
    /// [`crate::facts::FactValue::Num`] (money in pence, decimals × 10^6, ...).
    #[inline]
    pub fn value(&self) -> Option<ValueRef<'a>> {
        if !self.is_known() {
            return None;
        }
        let raw = word(self.words, 0);
        Some(match self.meta.ty {
            ValueType::Bool => ValueRef::Bool(raw != 0),
            ValueType::Text => ValueRef::Text(self.text(raw)),
            _ => ValueRef::Num(raw as i64),
        })
    }

    #[inline]
    fn text(&self, packed: u64) -> &'a str {
        let (ptr, len) = ((packed & 0xffff_ffff) as usize, (packed >> 32) as usize);
        let module = self.record.module;
        let text = match ptr.checked_sub(module.statics.len()) {
            None => module.static_text(ptr, len),
            Some(off) => self.record.batch.texts.get(off..off + len),
        };
        // Constant and input texts are UTF-8 and whole; only a tampered
        // module could point elsewhere.
        text.unwrap_or("\u{fffd}")
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
        Bits::new(self.words, 2, self.missing)
    }

    /// Indices of the false requires of a `require` decision, in source order.
    pub fn reasons(&self) -> Bits<'a> {
        if self.meta.kind != DecisionKind::Requires || !self.is_known() {
            return Bits::new(&[], 0, 0);
        }
        Bits::new(
            self.words,
            2 + self.missing,
            self.meta.reason_words as usize,
        )
    }

    /// Index of the `when`/`otherwise` clause that decided a known `when` decision.
    pub fn clause(&self) -> Option<usize> {
        (self.meta.kind == DecisionKind::Whens && self.is_known())
            .then(|| word(self.words, 1) as usize)
    }
}

/// The indices of the set bits of a run of u64 words, ascending.
#[derive(Clone)]
pub struct Bits<'a> {
    words: &'a [u64],
    /// Index (within `words`) of the word in `current`.
    word: usize,
    current: u64,
}

impl<'a> Bits<'a> {
    fn new(all: &'a [u64], at: usize, n: usize) -> Bits<'a> {
        let words = all.get(at..at + n).unwrap_or(&[]);
        Bits {
            words,
            word: 0,
            current: words.first().copied().unwrap_or(0),
        }
    }
}

impl Iterator for Bits<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        while self.current == 0 {
            self.word += 1;
            self.current = *self.words.get(self.word)?;
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
        self.decision(d)?.value()
    }
    fn missing(&self, d: usize) -> Bits<'_> {
        self.decision(d)
            .map_or_else(|| Bits::new(&[], 0, 0), |v| v.missing())
    }
    fn reasons(&self, d: usize) -> Bits<'_> {
        self.decision(d)
            .map_or_else(|| Bits::new(&[], 0, 0), |v| v.reasons())
    }
    fn clause(&self, d: usize) -> Option<usize> {
        self.decision(d)?.clause()
    }
}
