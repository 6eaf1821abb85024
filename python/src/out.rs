//! The output columns of one slice of rows, written straight into the
//! buffers Arrow arrays are made of: plain vectors of values, validity bits
//! packed 64 to a word, offsets and bytes for text. A row costs a few
//! stores per column, with no builder's bookkeeping in between, and the
//! arrays take the vectors over without a copy when the slice is done.
//!
//! The arrays are the ones Arrow's builders would make: the same types,
//! the same values, and a validity buffer exactly when a column has a null.

use crate::run::{Failure, Out, DECIMAL_TYPE, MONEY_TYPE};
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef};
use rulebook::{EvalError, FieldProblem, InputError, RecordView, ValueRef};
use std::sync::Arc;

/// Bits, one a row, in Arrow's order (row `i` is bit `i % 64` of word
/// `i / 64`): validity, or the values of a bool column.
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    pub fn with_capacity(rows: usize) -> Bits {
        Bits {
            words: Vec::with_capacity(rows.div_ceil(64)),
            len: 0,
        }
    }

    #[inline(always)]
    pub fn push(&mut self, bit: bool) {
        let j = self.len % 64;
        if j == 0 {
            self.words.push(0);
        }
        if let Some(w) = self.words.last_mut() {
            *w |= u64::from(bit) << j;
        }
        self.len += 1;
    }

    /// The words, 64 rows each.
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }

    fn buffer(self) -> BooleanBuffer {
        // Arrow's bit order within a byte, and bytes in address order
        let words: Vec<u64> = self.words.into_iter().map(u64::to_le).collect();
        BooleanBuffer::new(Buffer::from_vec(words), 0, self.len)
    }

    /// The validity these bits are: none when every row is valid (as
    /// Arrow's builders leave it).
    fn nulls(self) -> Option<NullBuffer> {
        let nulls = NullBuffer::new(self.buffer());
        (nulls.null_count() > 0).then_some(nulls)
    }
}

/// Text values: their bytes one after another, and where each ends.
pub struct Texts {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    /// More than 2 GiB of text: the column cannot be a `Utf8` array.
    too_long: bool,
}

impl Texts {
    fn with_capacity(rows: usize, bytes: usize) -> Texts {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Texts {
            offsets,
            bytes: Vec::with_capacity(bytes),
            too_long: false,
        }
    }

    /// Ends the value whose bytes were added since the last one.
    #[inline(always)]
    fn end(&mut self) {
        match i32::try_from(self.bytes.len()) {
            Ok(end) => self.offsets.push(end),
            Err(_) => {
                self.too_long = true;
                self.offsets.push(self.offsets.last().copied().unwrap_or(0));
            }
        }
    }

    #[inline(always)]
    fn push(&mut self, text: &str) {
        self.bytes.extend_from_slice(text.as_bytes());
        self.end();
    }

    /// No bytes: the value of a null.
    #[inline(always)]
    fn push_empty(&mut self) {
        let last = self.offsets.last().copied().unwrap_or(0);
        self.offsets.push(last);
    }

    fn finish(self, nulls: Option<NullBuffer>) -> Result<ArrayRef, Failure> {
        if self.too_long {
            return Err(Failure::Load(
                "a text column of the output holds more than 2 GiB in one slice of rows".into(),
            ));
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let array = StringArray::try_new(offsets, Buffer::from_vec(self.bytes), nulls)
            .map_err(|e| Failure::Load(e.to_string()))?;
        Ok(Arc::new(array))
    }
}

/// A text column with its nulls.
struct Strings {
    texts: Texts,
    valid: Bits,
}

impl Strings {
    fn with_capacity(rows: usize, bytes: usize) -> Strings {
        Strings {
            texts: Texts::with_capacity(rows, bytes),
            valid: Bits::with_capacity(rows),
        }
    }

    #[inline(always)]
    fn push_null(&mut self) {
        self.texts.push_empty();
        self.valid.push(false);
    }

    #[inline(always)]
    fn push(&mut self, text: &str) {
        self.texts.push(text);
        self.valid.push(true);
    }

    fn finish(self) -> Result<ArrayRef, Failure> {
        self.texts.finish(self.valid.nulls())
    }
}

/// The values of one decision, by its kind.
enum Values {
    Bool(Bits),
    Int(Vec<i64>),
    /// Money or decimals, and their type (38 digits, 2 or 6 after the point).
    Decimal(Vec<i128>, u8),
    Date(Vec<i32>),
    Text(Texts),
    Enum(Texts, Vec<String>),
}

impl Values {
    /// The placeholder under a null.
    #[inline(always)]
    fn push_null(&mut self) {
        match self {
            Values::Bool(b) => b.push(false),
            Values::Int(v) => v.push(0),
            Values::Decimal(v, _) => v.push(0),
            Values::Date(v) => v.push(0),
            Values::Text(t) | Values::Enum(t, _) => t.push_empty(),
        }
    }
}

/// A decision's two columns: `NAME` and `NAME.missing`.
struct Decided {
    values: Values,
    valid: Bits,
    missing: Strings,
}

/// The output columns being built for one slice of rows.
pub struct Outputs {
    line: Vec<i64>,
    decisions: Vec<Decided>,
    error: Strings,
    /// [`crate::run::Plan`]'s fact paths as JSON strings, for the missing lists.
    paths: Arc<[String]>,
}

impl Outputs {
    pub fn new(outs: &[Out], rows: usize, paths: Arc<[String]>) -> Outputs {
        let decisions = outs
            .iter()
            .map(|o| Decided {
                values: match o {
                    Out::Bool => Values::Bool(Bits::with_capacity(rows)),
                    Out::Int => Values::Int(Vec::with_capacity(rows)),
                    Out::Money => Values::Decimal(Vec::with_capacity(rows), 2),
                    Out::Decimal => Values::Decimal(Vec::with_capacity(rows), 6),
                    Out::Date => Values::Date(Vec::with_capacity(rows)),
                    Out::Text => Values::Text(Texts::with_capacity(rows, rows * 8)),
                    Out::Enum(variants) => {
                        Values::Enum(Texts::with_capacity(rows, rows * 8), variants.clone())
                    }
                },
                valid: Bits::with_capacity(rows),
                missing: Strings::with_capacity(rows, 0),
            })
            .collect();
        Outputs {
            line: Vec::with_capacity(rows),
            decisions,
            error: Strings::with_capacity(rows, 0),
            paths,
        }
    }

    /// A row with no decisions: nulls, and `message` as its error.
    pub fn push_error(&mut self, line: usize, message: &str) {
        self.line.push(line as i64);
        for d in &mut self.decisions {
            d.values.push_null();
            d.valid.push(false);
            d.missing.push_null();
        }
        self.error.push(message);
    }

    /// A row whose values did not fit their fields.
    pub fn push_problems(&mut self, line: usize, problems: Option<&Vec<FieldProblem>>) {
        let message = InputError {
            problems: problems.cloned().unwrap_or_default(),
        }
        .to_string();
        self.push_error(line, &message);
    }

    /// An evaluated row (or its evaluation error, which is the row's error,
    /// or with `raise` the [`Failure`]).
    #[inline]
    pub fn push_result(
        &mut self,
        line: usize,
        result: Result<RecordView<'_>, EvalError>,
        raise: bool,
        failure: &mut Option<Failure>,
    ) {
        let view = match result {
            Ok(view) => view,
            Err(e) => return self.push_eval_error(line, e, raise, failure),
        };
        self.line.push(line as i64);
        for (i, d) in self.decisions.iter_mut().enumerate() {
            let Some(decision) = view.decision_at(i) else {
                d.values.push_null();
                d.valid.push(false);
                d.missing.push_null();
                continue;
            };
            let known = decision.is_known();
            let value = if known { decision.value() } else { None };
            let valid = match (&mut d.values, value) {
                (Values::Bool(b), Some(ValueRef::Bool(v))) => {
                    b.push(v);
                    true
                }
                (Values::Int(v), Some(ValueRef::Num(n))) => {
                    v.push(n);
                    true
                }
                (Values::Decimal(v, _), Some(ValueRef::Num(n))) => {
                    v.push(i128::from(n));
                    true
                }
                (Values::Date(v), Some(ValueRef::Num(n))) => {
                    v.push(n as i32);
                    true
                }
                (Values::Text(t), Some(ValueRef::Text(s))) => {
                    t.push(s);
                    true
                }
                (Values::Enum(t, variants), Some(ValueRef::Num(n))) => {
                    match variants.get(n as usize) {
                        Some(v) => {
                            t.push(v);
                            true
                        }
                        None => {
                            t.push_empty();
                            false
                        }
                    }
                }
                (Values::Enum(t, _), Some(ValueRef::Text(s))) => {
                    t.push(s);
                    true
                }
                (values, _) => {
                    values.push_null();
                    false
                }
            };
            d.valid.push(valid);
            if known {
                d.missing.push_null();
            } else {
                // the JSON list of the facts' paths, written in place
                let bytes = &mut d.missing.texts.bytes;
                bytes.push(b'[');
                for (k, fact) in decision.missing().enumerate() {
                    if k > 0 {
                        bytes.push(b',');
                    }
                    if let Some(path) = self.paths.get(fact) {
                        bytes.extend_from_slice(path.as_bytes());
                    }
                }
                bytes.push(b']');
                d.missing.texts.end();
                d.missing.valid.push(true);
            }
        }
        self.error.push_null();
    }

    /// An evaluation error: the row's error, or the [`Failure`] (the
    /// module could not be loaded, or `raise`).
    #[cold]
    fn push_eval_error(
        &mut self,
        line: usize,
        e: EvalError,
        raise: bool,
        failure: &mut Option<Failure>,
    ) {
        if failure.is_none() {
            if let EvalError::Load(load) = &e {
                *failure = Some(Failure::Load(load.to_string()));
            } else if raise {
                *failure = Some(Failure::Eval {
                    row: line,
                    message: e.to_string(),
                });
            }
        }
        self.push_error(line, &e.to_string());
    }

    pub fn finish(self, schema: SchemaRef) -> Result<RecordBatch, Failure> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(2 * self.decisions.len() + 2);
        columns.push(Arc::new(PrimitiveArray::<Int64Type>::new(
            ScalarBuffer::from(self.line),
            None,
        )));
        for d in self.decisions {
            let nulls = d.valid.nulls();
            let values: ArrayRef = match d.values {
                Values::Bool(b) => Arc::new(BooleanArray::new(b.buffer(), nulls)),
                Values::Int(v) => Arc::new(PrimitiveArray::<Int64Type>::new(
                    ScalarBuffer::from(v),
                    nulls,
                )),
                Values::Decimal(v, places) => {
                    let ty = if places == 2 {
                        MONEY_TYPE
                    } else {
                        DECIMAL_TYPE
                    };
                    let DataType::Decimal128(precision, scale) = ty else {
                        return Err(Failure::Load("not a decimal type".into()));
                    };
                    Arc::new(
                        PrimitiveArray::<Decimal128Type>::new(ScalarBuffer::from(v), nulls)
                            .with_precision_and_scale(precision, scale)
                            .map_err(|e| Failure::Load(e.to_string()))?,
                    )
                }
                Values::Date(v) => Arc::new(PrimitiveArray::<Date32Type>::new(
                    ScalarBuffer::from(v),
                    nulls,
                )),
                Values::Text(t) | Values::Enum(t, _) => t.finish(nulls)?,
            };
            columns.push(values);
            columns.push(d.missing.finish()?);
        }
        columns.push(self.error.finish()?);
        RecordBatch::try_new(schema, columns).map_err(|e| Failure::Load(e.to_string()))
    }
}
