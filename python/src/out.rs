//! The output columns of one slice of rows, written straight into the
//! buffers Arrow arrays are made of: plain vectors of values, validity bits
//! packed 64 to a word, offsets and bytes for text. A row costs a few
//! stores per column, with no builder's bookkeeping in between, and the
//! arrays take the vectors over without a copy when the slice is done.
//!
//! The arrays are the ones Arrow's builders would make: the same types,
//! the same values, and a validity buffer exactly when a column has a null.

use crate::errors::Failure;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef};
use rulebook::batch::{Bool, Date, Decimal, Decision, Enum, Int, Money, Text};
use rulebook::{DecisionView, EvalError, FieldProblem, InputError, RecordView};
use std::sync::Arc;

/// Money and decimals out: decimal128 with 38 digits, 2 or 6 of them
/// after the point (the engine's own exactness).
pub const MONEY_TYPE: DataType = DataType::Decimal128(38, 2);
pub const DECIMAL_TYPE: DataType = DataType::Decimal128(38, 6);

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

/// The values of one decision, by its kind, with the handle they are
/// read through.
enum Values {
    Bool(Decision<Bool>, Bits),
    Int(Decision<Int>, Vec<i64>),
    /// Money (pence) and decimals (millionths): decimal128 of 2 and 6 places.
    Money(Decision<Money>, Vec<i128>),
    Decimal(Decision<Decimal>, Vec<i128>),
    Date(Decision<Date>, Vec<i32>),
    /// Text and enums through their handles too (an enum's variant names
    /// its text among `Vec<String>`).
    Text(Decision<Text>, Texts),
    Enum(Decision<Enum>, Texts, Vec<String>),
}

impl Values {
    /// The placeholder under a null.
    #[inline(always)]
    fn push_null(&mut self) {
        match self {
            Values::Bool(_, b) => b.push(false),
            Values::Int(_, v) => v.push(0),
            Values::Money(_, v) | Values::Decimal(_, v) => v.push(0),
            Values::Date(_, v) => v.push(0),
            Values::Text(_, t) | Values::Enum(_, t, _) => t.push_empty(),
        }
    }
}

/// Rows of a text column that are mostly null: the rows that have a value,
/// in order, with where their bytes are. The offsets and the validity are
/// made when the column is done, so that a null row costs nothing.
#[derive(Default)]
struct Sparse {
    /// (row, end of its bytes)
    rows: Vec<(usize, usize)>,
    bytes: Vec<u8>,
}

impl Sparse {
    fn push(&mut self, row: usize, text: &str) {
        self.bytes.extend_from_slice(text.as_bytes());
        self.ended(row);
    }

    /// Row `row` has the bytes added since the last row.
    fn ended(&mut self, row: usize) {
        self.rows.push((row, self.bytes.len()));
    }

    /// Row `row`'s list of the facts `decision` misses, as JSON (the
    /// paths' JSON strings in a list): nothing when it misses none.
    fn push_list(&mut self, row: usize, decision: DecisionView<'_>, paths: &[String]) {
        if decision.is_known() {
            return;
        }
        self.bytes.push(b'[');
        for (k, fact) in decision.missing().enumerate() {
            if k > 0 {
                self.bytes.push(b',');
            }
            if let Some(path) = paths.get(fact) {
                self.bytes.extend_from_slice(path.as_bytes());
            }
        }
        self.bytes.push(b']');
        self.ended(row);
    }

    /// The column of `len` rows.
    fn finish(self, len: usize) -> Result<ArrayRef, Failure> {
        if self.rows.is_empty() {
            // (the error column, usually: every row null)
            return Ok(Arc::new(StringArray::new_null(len)));
        }
        let too_long = i32::try_from(self.bytes.len()).is_err();
        let mut offsets: Vec<i32> = Vec::with_capacity(len + 1);
        offsets.push(0);
        let mut words = vec![0u64; len.div_ceil(64)];
        let mut end = 0;
        for &(row, e) in &self.rows {
            // the rows since the last with a value are null: they end
            // where it did
            offsets.resize(row + 1, end);
            end = i32::try_from(e).unwrap_or(i32::MAX);
            offsets.push(end);
            if let Some(w) = words.get_mut(row / 64) {
                *w |= 1 << (row % 64);
            }
        }
        offsets.resize(len + 1, end);
        let texts = Texts {
            offsets,
            bytes: self.bytes,
            too_long,
        };
        texts.finish(Bits { words, len }.nulls())
    }
}

/// A decision's two columns: `NAME` and `NAME.missing`.
struct Decided {
    /// Its index among the decisions.
    index: usize,
    values: Values,
    /// The rows whose value is null (unknown, or a row in error).
    nulls: Vec<usize>,
    /// The missing lists of the rows where the decision is unknown.
    missing: Sparse,
}

impl Decided {
    #[inline(always)]
    fn push_null(&mut self, row: usize) {
        self.values.push_null();
        self.nulls.push(row);
    }

    /// Row `row` is unknown: a null, and the JSON list of the facts' paths.
    #[cold]
    #[inline(never)]
    fn push_unknown(&mut self, row: usize, view: &RecordView<'_>, paths: &[String]) {
        self.push_null(row);
        if let Some(decision) = view.decision_at(self.index) {
            self.missing.push_list(row, decision, paths);
        }
    }
}

/// A decision's values as the output takes them, and its typed handle.
#[derive(Clone)]
pub enum Out {
    Bool(Decision<Bool>),
    Int(Decision<Int>),
    Money(Decision<Money>),
    Decimal(Decision<Decimal>),
    Date(Decision<Date>),
    Text(Decision<Text>),
    Enum(Decision<Enum>, Vec<String>),
}

impl Out {
    /// The Arrow type of the decision's column.
    pub fn data_type(&self) -> DataType {
        match self {
            Out::Bool(_) => DataType::Boolean,
            Out::Int(_) => DataType::Int64,
            Out::Money(_) => MONEY_TYPE,
            Out::Decimal(_) => DECIMAL_TYPE,
            Out::Date(_) => DataType::Date32,
            Out::Text(_) | Out::Enum(..) => DataType::Utf8,
        }
    }
}

/// The output columns being built for one slice of rows.
pub struct Outputs {
    line: Vec<i64>,
    decisions: Vec<Decided>,
    error: Sparse,
    /// [`crate::run::Plan`]'s fact paths as JSON strings, for the missing lists.
    paths: Arc<[String]>,
}

impl Outputs {
    pub fn new(outs: &[Out], rows: usize, paths: Arc<[String]>) -> Outputs {
        let decisions = outs
            .iter()
            .enumerate()
            .map(|(index, o)| Decided {
                index,
                values: match o {
                    Out::Bool(d) => Values::Bool(*d, Bits::with_capacity(rows)),
                    Out::Int(d) => Values::Int(*d, Vec::with_capacity(rows)),
                    Out::Money(d) => Values::Money(*d, Vec::with_capacity(rows)),
                    Out::Decimal(d) => Values::Decimal(*d, Vec::with_capacity(rows)),
                    Out::Date(d) => Values::Date(*d, Vec::with_capacity(rows)),
                    Out::Text(d) => Values::Text(*d, Texts::with_capacity(rows, rows * 8)),
                    Out::Enum(d, variants) => {
                        Values::Enum(*d, Texts::with_capacity(rows, rows * 8), variants.clone())
                    }
                },
                nulls: Vec::new(),
                missing: Sparse::default(),
            })
            .collect();
        Outputs {
            line: Vec::with_capacity(rows),
            decisions,
            error: Sparse::default(),
            paths,
        }
    }

    /// A row with no decisions: nulls, and `message` as its error.
    pub fn push_error(&mut self, line: usize, message: &str) {
        let row = self.line.len();
        self.line.push(line as i64);
        for d in &mut self.decisions {
            d.push_null(row);
        }
        self.error.push(row, message);
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
        let row = self.line.len();
        self.line.push(line as i64);
        let paths = &self.paths[..];
        for d in &mut self.decisions {
            // a known value is pushed; an unknown one (or one of a handle
            // the results do not take, never) is a null and its list
            match &mut d.values {
                Values::Bool(h, b) => match view.get(*h) {
                    Ok(Some(v)) => b.push(v),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Int(h, v) => match view.get(*h) {
                    Ok(Some(n)) => v.push(n),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Money(h, v) => match view.get(*h) {
                    Ok(Some(n)) => v.push(i128::from(n)),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Decimal(h, v) => match view.get(*h) {
                    Ok(Some(n)) => v.push(i128::from(n)),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Date(h, v) => match view.get(*h) {
                    Ok(Some(n)) => v.push(n.0),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Text(h, t) => match view.get(*h) {
                    Ok(Some(text)) => t.push(text),
                    _ => d.push_unknown(row, &view, paths),
                },
                Values::Enum(h, t, variants) => {
                    match view
                        .get(*h)
                        .map(|v| v.and_then(|v| variants.get(v.index())))
                    {
                        Ok(Some(text)) => t.push(text),
                        _ => d.push_unknown(row, &view, paths),
                    }
                }
            }
        }
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
        let len = self.line.len();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(2 * self.decisions.len() + 2);
        columns.push(Arc::new(PrimitiveArray::<Int64Type>::new(
            ScalarBuffer::from(self.line),
            None,
        )));
        for d in self.decisions {
            let nulls = nulls_of(&d.nulls, len);
            let values: ArrayRef = match d.values {
                Values::Bool(_, b) => Arc::new(BooleanArray::new(b.buffer(), nulls)),
                Values::Int(_, v) => Arc::new(PrimitiveArray::<Int64Type>::new(
                    ScalarBuffer::from(v),
                    nulls,
                )),
                Values::Money(_, v) => decimals(v, nulls, &MONEY_TYPE)?,
                Values::Decimal(_, v) => decimals(v, nulls, &DECIMAL_TYPE)?,
                Values::Date(_, v) => Arc::new(PrimitiveArray::<Date32Type>::new(
                    ScalarBuffer::from(v),
                    nulls,
                )),
                Values::Text(_, t) | Values::Enum(_, t, _) => t.finish(nulls)?,
            };
            columns.push(values);
            columns.push(d.missing.finish(len)?);
        }
        columns.push(self.error.finish(len)?);
        RecordBatch::try_new(schema, columns).map_err(|e| Failure::Load(e.to_string()))
    }
}

/// The validity of `len` rows of which `nulls` (in order) are null: none
/// when no row is.
fn nulls_of(nulls: &[usize], len: usize) -> Option<NullBuffer> {
    if nulls.is_empty() {
        return None;
    }
    let mut words = vec![u64::MAX; len.div_ceil(64)];
    for &r in nulls {
        if let Some(w) = words.get_mut(r / 64) {
            *w &= !(1 << (r % 64));
        }
    }
    Bits { words, len }.nulls()
}

/// A decimal128 column of type `ty`.
fn decimals(
    values: Vec<i128>,
    nulls: Option<NullBuffer>,
    ty: &DataType,
) -> Result<ArrayRef, Failure> {
    let DataType::Decimal128(precision, scale) = ty else {
        return Err(Failure::Load(format!("{ty} is not a decimal type")));
    };
    let array = PrimitiveArray::<Decimal128Type>::new(ScalarBuffer::from(values), nulls)
        .with_precision_and_scale(*precision, *scale)
        .map_err(|e| Failure::Load(e.to_string()))?;
    Ok(Arc::new(array))
}
