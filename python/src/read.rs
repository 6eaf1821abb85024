//! Reading input fields straight from Arrow columns: one [`Reader`] per
//! input field, chosen once per record batch from the field's type and the
//! column's Arrow type, then read row by row into the engine's encodings
//! (money in pence, decimals in millionths, dates in days since
//! 1970-01-01, enum variant indices). No JSON and no Python object on the
//! way. A value that does not fit its field is a problem of that row only,
//! worded as the JSON input errors are (language.md section 6).

use crate::errors::problem;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, BooleanArray, Decimal128Array, Float32Array, Float64Array, GenericStringArray,
    Int16Array, Int32Array, Int64Array, Int8Array, LargeStringArray, OffsetSizeTrait, StringArray,
    StringViewArray, StructArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};
use rulebook::__private::num::{self as num, NumParseError};
use rulebook::meta::{Layout, ValueType};
use rulebook::FieldProblem;
use std::ops::Range;

/// Where a value sits, rendered only for a problem: `capital`,
/// `household[2].incomes[0].weekly_amount`.
#[derive(Clone, Copy)]
pub enum Path<'p> {
    Top(&'p str),
    Element {
        list: &'p Path<'p>,
        index: usize,
        name: &'p str,
    },
}

impl Path<'_> {
    pub fn render(&self) -> String {
        match self {
            Path::Top(name) => (*name).to_string(),
            Path::Element { list, index, name } => format!("{}[{index}].{name}", list.render()),
        }
    }
}

/// The kinds of number a field holds, with their decimal places.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Num {
    Int,
    Money,
    Decimal,
}

impl Num {
    fn places(self) -> u32 {
        match self {
            Num::Int => 0,
            Num::Money => 2,
            Num::Decimal => 6,
        }
    }

    fn parse(self, text: &str) -> Result<i64, NumParseError> {
        match self {
            Num::Int => num::parse_int(text),
            Num::Money => num::parse_money(text),
            Num::Decimal => num::parse_decimal(text),
        }
    }

    /// What a refused number should have been (the JSON errors' words).
    fn expected(self, e: &NumParseError) -> String {
        match self {
            Num::Int => match e {
                NumParseError::Overflow => "int (a whole number that fits in 64 bits)".into(),
                _ => "int (a whole number)".into(),
            },
            Num::Money => rulebook::__private::number_expected("money", "\"1200.50\"", e),
            Num::Decimal => rulebook::__private::number_expected("decimal", "\"0.55\"", e),
        }
    }

    /// The value of `unscaled` × 10^-`scale` in this kind's encoding.
    fn rescale(self, unscaled: i128, scale: i32) -> Result<i64, NumParseError> {
        let places = self.places() as i32;
        let scaled = if scale <= places {
            let factor = 10i128
                .checked_pow((places - scale) as u32)
                .ok_or(NumParseError::Overflow)?;
            unscaled
                .checked_mul(factor)
                .ok_or(NumParseError::Overflow)?
        } else {
            let factor = 10i128
                .checked_pow((scale - places) as u32)
                .ok_or(NumParseError::TooManyDecimals { max: self.places() })?;
            if unscaled % factor != 0 {
                return Err(NumParseError::TooManyDecimals { max: self.places() });
            }
            unscaled / factor
        };
        i64::try_from(scaled).map_err(|_| NumParseError::Overflow)
    }
}

/// Text of any Arrow string layout, dictionary-encoded (a pandas
/// category) or not.
pub enum Strs<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    Dict {
        keys: Vec<usize>,
        nulls: Option<&'a NullBuffer>,
        values: Box<Strs<'a>>,
    },
    /// A dictionary with no values: every entry is null.
    Empty,
}

impl<'a> Strs<'a> {
    /// The strings of `array`, when it holds strings.
    pub fn of(array: &'a dyn Array) -> Option<Strs<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => Strs::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Strs::Large(array.as_string::<i64>()),
            DataType::Utf8View => Strs::View(array.as_string_view()),
            DataType::Dictionary(_, value) if is_string(value) => {
                let dict = array.as_any_dictionary_opt()?;
                if dict.values().is_empty() {
                    Strs::Empty
                } else {
                    Strs::Dict {
                        keys: dict.normalized_keys(),
                        nulls: dict.keys().nulls(),
                        values: Box::new(Strs::of(dict.values().as_ref())?),
                    }
                }
            }
            _ => return None,
        })
    }

    /// How many strings (for a dictionary, its rows).
    fn len(&self) -> usize {
        match self {
            Strs::Utf8(a) => a.len(),
            Strs::Large(a) => a.len(),
            Strs::View(a) => a.len(),
            Strs::Dict { keys, .. } => keys.len(),
            Strs::Empty => 0,
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strs::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strs::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strs::View(a) => a.is_valid(i).then(|| a.value(i)),
            Strs::Dict {
                keys,
                nulls,
                values,
            } => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    return None;
                }
                values.get(*keys.get(i)?)
            }
            Strs::Empty => None,
        }
    }
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The index of the variant of `variants` whose name is the bytes
/// `text`, if any.
#[inline]
fn variant_of(variants: &[String], text: &[u8]) -> Option<usize> {
    variants.iter().position(|v| same_bytes(v.as_bytes(), text))
}

/// Whether `a` and `b` are the same bytes: those of 8 to 16 bytes (most
/// variants' names) compared as two overlapping 8-byte numbers, with no
/// call to `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if (8..=16).contains(&a.len()) {
        return a.first_chunk::<8>() == b.first_chunk::<8>()
            && a.last_chunk::<8>() == b.last_chunk::<8>();
    }
    a == b
}

/// Rows `rows` of an enum field from a `Utf8` or `LargeUtf8` column: each
/// row's bytes read from the column's buffer by its offsets (no per-row
/// dispatch on the column's layout) and found among `variants`; a row
/// whose text no variant has is handed to `foreign`.
fn enum_rows<O: OffsetSizeTrait>(
    array: &GenericStringArray<O>,
    variants: &[String],
    rows: Range<usize>,
    into: &mut Block<'_>,
    mut foreign: impl FnMut(usize),
) {
    let (offsets, data, nulls) = (array.value_offsets(), array.value_data(), array.nulls());
    for (r, i) in rows.enumerate() {
        if nulls.is_some_and(|n| n.is_null(i)) {
            continue;
        }
        // (in bounds: Arrow's offsets of a string array lie within its
        // buffer; a row that were not would be read as unknown)
        let (Some(start), Some(end)) = (offsets.get(i), offsets.get(i + 1)) else {
            continue;
        };
        let Some(bytes) = data.get(start.as_usize()..end.as_usize()) else {
            continue;
        };
        match variant_of(variants, bytes) {
            Some(k) => into.set(r, k as i64),
            None => foreign(i),
        }
    }
}

/// For each value of four validity bits, a word a bit: all ones where
/// the bit is set, zero where it is not (see [`Block::known`]).
const SPREAD4: [[u64; 4]; 16] = {
    let mut table = [[0u64; 4]; 16];
    let mut v = 0;
    while v < 16 {
        let mut b = 0;
        while b < 4 {
            if v >> b & 1 == 1 {
                table[v][b] = u64::MAX;
            }
            b += 1;
        }
        v += 1;
    }
    table
};

/// What a dictionary entry of an enum column is: a variant's index, no
/// text (a null entry: unknown), or a text no variant has.
#[derive(Clone, Copy)]
enum Entry {
    Variant(i64),
    Null,
    Foreign,
}

/// Integers of any width.
pub enum Ints<'a> {
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
    U64(&'a UInt64Array),
}

macro_rules! int_get {
    ($self:ident, $i:ident, $($v:ident),+) => {
        match $self {
            $(Ints::$v(a) => a.is_valid($i).then(|| i128::from(a.value($i))),)+
        }
    };
}

impl Ints<'_> {
    #[inline]
    fn get(&self, i: usize) -> Option<i128> {
        int_get!(self, i, I8, I16, I32, I64, U8, U16, U32, U64)
    }
}

/// Floats: read as the shortest text that gives the same float back, the
/// number the person wrote (0.1, not 0.1000000000000000055...).
pub enum Floats<'a> {
    F32(&'a Float32Array),
    F64(&'a Float64Array),
}

/// A float cell: unknown (null or NaN), infinite, or its text.
enum FloatCell {
    Unknown,
    Infinite(String),
    Text(String),
}

impl Floats<'_> {
    fn get(&self, i: usize) -> FloatCell {
        let (valid, nan, inf, text) = match self {
            Floats::F32(a) => {
                let v = a.value(i);
                (a.is_valid(i), v.is_nan(), v.is_infinite(), format!("{v}"))
            }
            Floats::F64(a) => {
                let v = a.value(i);
                (a.is_valid(i), v.is_nan(), v.is_infinite(), format!("{v}"))
            }
        };
        if !valid || nan {
            FloatCell::Unknown
        } else if inf {
            FloatCell::Infinite(text)
        } else {
            FloatCell::Text(text)
        }
    }
}

/// 64-bit counts since 1970-01-01 (dates of milliseconds, timestamps of
/// any unit), `per_day` of them a day.
pub struct Counts<'a> {
    values: &'a [i64],
    nulls: Option<&'a NullBuffer>,
    per_day: i64,
}

/// One value read from a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// int, money (pence), decimal (millionths), date (days), enum (index).
    Num(i64),
    Bool(bool),
    Text(&'a str),
}

/// How one input field is read from its column (or from its absence).
pub enum Reader<'a> {
    /// No column (or a column of nulls only): unknown in every row.
    Absent,
    Bool(&'a BooleanArray),
    Ints(Ints<'a>, Num),
    Floats(Floats<'a>, Num),
    Decimals(&'a Decimal128Array, i8, Num),
    /// Numbers written as text ("1200.50").
    NumTexts(Strs<'a>, Num),
    Days(&'a [i32], Option<&'a NullBuffer>),
    Counts(Counts<'a>),
    /// Dates written as text ("YYYY-MM-DD").
    DateTexts(Strs<'a>),
    Text(Strs<'a>),
    Enum(Strs<'a>, &'a [String]),
    /// A `list of { ... }` field from a list of structs: element `e` of
    /// row `r` is `offsets[r] + e` in the structs, whose fields are read by
    /// `fields` (one reader per element field, in declaration order).
    List(Box<ListReader<'a>>),
}

pub struct ListReader<'a> {
    offsets: Vec<usize>,
    nulls: Option<&'a NullBuffer>,
    structs: &'a StructArray,
    fields: Vec<(&'a str, Reader<'a>)>,
}

/// Why a column cannot be read for its field at all: the problem names the
/// field and says what the column is and what the field takes.
pub fn column_problem(path: String, column: &DataType, ty: &ValueType) -> FieldProblem {
    let takes = match ty {
        ValueType::Bool => "a bool column",
        ValueType::Int => "an integer, decimal128, float or string column",
        ValueType::Money | ValueType::Decimal => "a decimal128, integer, float or string column",
        ValueType::Date => "a date32, date64, timestamp (without a time zone) or string column",
        ValueType::Text => "a string column",
        ValueType::Enum { .. } => "a string (or dictionary of strings) column",
        ValueType::List { .. } => "a list<struct> column",
    };
    problem(path, format!("a column of type {column}"), takes)
}

/// A text field's rows as an Arrow `Utf8` or `LargeUtf8` array holds them,
/// for `Rows::text_buffer`: the array's bytes, the offsets of the rows and
/// their validity bits from the first row's (None: no null).
#[derive(Clone, Copy)]
pub struct TextBuffer<'a> {
    pub data: &'a [u8],
    pub offsets: TextOffsets<'a>,
    pub valid: Option<&'a [u8]>,
}

/// The offsets of a [`TextBuffer`]'s rows, as its array has them.
#[derive(Clone, Copy)]
pub enum TextOffsets<'a> {
    Utf8(&'a [i32]),
    Large(&'a [i64]),
}

impl<'a> Reader<'a> {
    /// The reader of a field of type `ty` from `array` (or from no column);
    /// a problem when the column's type cannot hold the field's values.
    pub fn new(
        ty: &'a ValueType,
        array: Option<&'a dyn Array>,
        path: &Path,
    ) -> Result<Reader<'a>, FieldProblem> {
        let Some(array) = array else {
            return Ok(Reader::Absent);
        };
        let dt = array.data_type();
        if *dt == DataType::Null || array.null_count() == array.len() {
            // every value unknown, whatever the column's type
            return Ok(Reader::Absent);
        }
        let refuse = || column_problem(path.render(), dt, ty);
        let num = match ty {
            ValueType::Int => Some(Num::Int),
            ValueType::Money => Some(Num::Money),
            ValueType::Decimal => Some(Num::Decimal),
            _ => None,
        };
        if let Some(num) = num {
            if let Some(ints) = ints(array) {
                return Ok(Reader::Ints(ints, num));
            }
            return Ok(match dt {
                DataType::Float32 => {
                    Reader::Floats(Floats::F32(array.as_primitive::<Float32Type>()), num)
                }
                DataType::Float64 => {
                    Reader::Floats(Floats::F64(array.as_primitive::<Float64Type>()), num)
                }
                DataType::Decimal128(_, scale) => {
                    Reader::Decimals(array.as_primitive::<Decimal128Type>(), *scale, num)
                }
                _ => Reader::NumTexts(Strs::of(array).ok_or_else(refuse)?, num),
            });
        }
        Ok(match ty {
            ValueType::Bool => Reader::Bool(array.as_boolean_opt().ok_or_else(refuse)?),
            ValueType::Date => match dt {
                DataType::Date32 => {
                    let a = array.as_primitive::<arrow_array::types::Date32Type>();
                    Reader::Days(a.values(), a.nulls())
                }
                DataType::Date64 => {
                    let a = array.as_primitive::<arrow_array::types::Date64Type>();
                    Reader::Counts(Counts {
                        values: a.values(),
                        nulls: a.nulls(),
                        per_day: 86_400_000,
                    })
                }
                DataType::Timestamp(unit, None) => Reader::Counts(timestamps(array, unit)),
                _ => Reader::DateTexts(Strs::of(array).ok_or_else(refuse)?),
            },
            ValueType::Text => Reader::Text(Strs::of(array).ok_or_else(refuse)?),
            ValueType::Enum { variants } => {
                Reader::Enum(Strs::of(array).ok_or_else(refuse)?, variants)
            }
            ValueType::List { element } => {
                Reader::List(Box::new(ListReader::new(element, array, path, refuse)?))
            }
            // numbers were handled above
            ValueType::Int | ValueType::Money | ValueType::Decimal => Reader::Absent,
        })
    }

    /// Rows `rows` of a text field read from a `Utf8` or `LargeUtf8`
    /// column, as the column holds them; None for another column, or when
    /// the rows' validity bits do not start at a byte (the rows are then
    /// read one by one, by [`Reader::scalar`]).
    pub fn text_buffer(&self, rows: std::ops::Range<usize>) -> Option<TextBuffer<'a>> {
        let (data, offsets, nulls) = match self {
            Reader::Text(Strs::Utf8(array)) => {
                let array: &'a StringArray = array;
                (
                    array.value_data(),
                    TextOffsets::Utf8(array.value_offsets().get(rows.start..=rows.end)?),
                    array.nulls(),
                )
            }
            Reader::Text(Strs::Large(array)) => {
                let array: &'a LargeStringArray = array;
                (
                    array.value_data(),
                    TextOffsets::Large(array.value_offsets().get(rows.start..=rows.end)?),
                    array.nulls(),
                )
            }
            _ => return None,
        };
        let valid = match nulls {
            None => None,
            Some(nulls) => {
                let first = nulls.offset() + rows.start;
                if !first.is_multiple_of(8) {
                    return None;
                }
                Some(nulls.validity().get(first / 8..)?)
            }
        };
        Some(TextBuffer {
            data,
            offsets,
            valid,
        })
    }

    /// The value of row `i`: `None` when unknown. Not for lists.
    #[inline]
    pub fn scalar(&self, i: usize, path: &Path) -> Result<Option<Value<'a>>, FieldProblem> {
        Ok(Some(match self {
            Reader::Absent | Reader::List(_) => return Ok(None),
            Reader::Bool(a) => match a.is_valid(i) {
                true => Value::Bool(a.value(i)),
                false => return Ok(None),
            },
            Reader::Ints(col, num) => {
                let Some(v) = col.get(i) else {
                    return Ok(None);
                };
                Value::Num(
                    num.rescale(v, 0)
                        .map_err(|e| problem(path.render(), v.to_string(), num.expected(&e)))?,
                )
            }
            Reader::Floats(col, num) => match col.get(i) {
                FloatCell::Unknown => return Ok(None),
                FloatCell::Infinite(text) => {
                    return Err(problem(path.render(), text, "a finite number"));
                }
                FloatCell::Text(text) => Value::Num(
                    num.parse(&text)
                        .map_err(|e| problem(path.render(), text.clone(), num.expected(&e)))?,
                ),
            },
            Reader::Decimals(col, scale, num) => {
                if !col.is_valid(i) {
                    return Ok(None);
                }
                let v = col.value(i);
                Value::Num(num.rescale(v, i32::from(*scale)).map_err(|e| {
                    problem(path.render(), decimal_text(v, *scale), num.expected(&e))
                })?)
            }
            Reader::NumTexts(col, num) => {
                let Some(text) = col.get(i) else {
                    return Ok(None);
                };
                Value::Num(
                    num.parse(text)
                        .map_err(|e| problem(path.render(), quoted(text), num.expected(&e)))?,
                )
            }
            Reader::Days(values, nulls) => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    return Ok(None);
                }
                match values.get(i) {
                    Some(d) => Value::Num(i64::from(*d)),
                    None => return Ok(None),
                }
            }
            Reader::Counts(c) => {
                if c.nulls.is_some_and(|n| n.is_null(i)) {
                    return Ok(None);
                }
                let Some(v) = c.values.get(i) else {
                    return Ok(None);
                };
                let days = v.div_euclid(c.per_day);
                if i32::try_from(days).is_err() {
                    return Err(problem(
                        path.render(),
                        format!("{days} days from 1970-01-01"),
                        "date (a real calendar date \"YYYY-MM-DD\")",
                    ));
                }
                Value::Num(days)
            }
            Reader::DateTexts(col) => {
                let Some(text) = col.get(i) else {
                    return Ok(None);
                };
                Value::Num(i64::from(num::parse_date(text).ok_or_else(|| {
                    problem(
                        path.render(),
                        quoted(text),
                        "date (a real calendar date \"YYYY-MM-DD\")",
                    )
                })?))
            }
            Reader::Text(col) => match col.get(i) {
                Some(t) => Value::Text(t),
                None => return Ok(None),
            },
            Reader::Enum(col, variants) => {
                let Some(text) = col.get(i) else {
                    return Ok(None);
                };
                match variant_of(variants, text.as_bytes()) {
                    Some(index) => Value::Num(index as i64),
                    None => {
                        return Err(problem(
                            path.render(),
                            quoted(text),
                            format!("one of {}", variants.join(", ")),
                        ))
                    }
                }
            }
        }))
    }

    /// The numbers of rows `rows` of a field that is not text (bools as 0
    /// and 1, dates as days, enums as variant indices), written into a
    /// block of rows at `into` with their known bits; each row's problem
    /// goes to `bad` (and its number is left out). The common column types
    /// are read in tight loops over their buffers; the others value by
    /// value through [`Reader::scalar`].
    pub fn read_rows(
        &self,
        rows: Range<usize>,
        path: &Path,
        into: &mut Block<'_>,
        bad: &mut dyn FnMut(usize, FieldProblem),
    ) {
        let start = rows.start;
        // an enum's row whose text no variant has: its problem, as `scalar`
        // tells it
        let mut foreign = |i: usize| {
            if let Err(p) = self.scalar(i, path) {
                bad(i, p);
            }
        };
        match self {
            Reader::Absent => {}
            Reader::Bool(a) if rows.end <= a.len() => {
                let bits = a.values().slice(start, rows.len());
                let words = bits.bit_chunks().iter_padded();
                for (w, chunk) in words.zip(into.nums.chunks_mut(64 * into.stride)) {
                    for (j, row) in chunk.chunks_exact_mut(into.stride).enumerate() {
                        if let Some(x) = row.get_mut(into.col) {
                            *x = (w >> j & 1) as i64;
                        }
                    }
                }
                into.known(a.nulls(), &rows);
            }
            Reader::Days(values, nulls) if rows.end <= values.len() => {
                into.put(values[rows.clone()].iter().map(|d| i64::from(*d)));
                into.known(*nulls, &rows);
            }
            Reader::Ints(Ints::I64(a), Num::Int) if rows.end <= a.len() => {
                into.put(a.values()[rows.clone()].iter().copied());
                into.known(a.nulls(), &rows);
            }
            Reader::Decimals(col, scale, num)
                if i32::from(*scale) == num.places() as i32 && rows.end <= col.len() =>
            {
                // the same units: only values beyond 64 bits are refused
                let values = &col.values()[rows.clone()];
                let mut wide = false;
                into.put(values.iter().map(|v| {
                    let n = *v as i64;
                    wide |= i128::from(n) != *v;
                    n
                }));
                into.known(col.nulls(), &rows);
                if wide {
                    for (r, v) in values.iter().enumerate() {
                        if i64::try_from(*v).is_err() && into.is_known(r) {
                            bad(
                                start + r,
                                problem(
                                    path.render(),
                                    decimal_text(*v, *scale),
                                    num.expected(&NumParseError::Overflow),
                                ),
                            );
                        }
                    }
                }
            }
            Reader::Enum(
                Strs::Dict {
                    keys,
                    nulls,
                    values,
                },
                variants,
            ) if rows.end <= keys.len() && values.len() <= rows.len().max(1024) => {
                // each entry of the dictionary matched once, not a row at a
                // time (a pandas category, say); a row whose entry is no
                // variant gets `scalar`'s problem
                let entries: Vec<Entry> = (0..values.len())
                    .map(|j| match values.get(j) {
                        None => Entry::Null,
                        Some(t) => variant_of(variants, t.as_bytes())
                            .map_or(Entry::Foreign, |k| Entry::Variant(k as i64)),
                    })
                    .collect();
                for (r, i) in rows.enumerate() {
                    if nulls.is_some_and(|n| n.is_null(i)) {
                        continue;
                    }
                    match keys.get(i).and_then(|&k| entries.get(k)) {
                        Some(Entry::Variant(n)) => into.set(r, *n),
                        Some(Entry::Null) | None => {}
                        Some(Entry::Foreign) => foreign(i),
                    }
                }
            }
            Reader::Enum(Strs::Utf8(a), variants) if rows.end <= a.len() => {
                enum_rows(a, variants, rows, into, foreign)
            }
            Reader::Enum(Strs::Large(a), variants) if rows.end <= a.len() => {
                enum_rows(a, variants, rows, into, foreign)
            }
            Reader::Enum(col, variants) if rows.end <= col.len() => {
                // as `scalar` reads a row, without its dispatch a row
                for (r, i) in rows.enumerate() {
                    let Some(text) = col.get(i) else { continue };
                    match variant_of(variants, text.as_bytes()) {
                        Some(k) => into.set(r, k as i64),
                        None => foreign(i),
                    }
                }
            }
            _ => {
                for i in rows {
                    let n = match self.scalar(i, path) {
                        Ok(Some(Value::Num(n))) => n,
                        Ok(Some(Value::Bool(b))) => i64::from(b),
                        Ok(Some(Value::Text(_)) | None) => continue,
                        Err(p) => {
                            bad(i, p);
                            continue;
                        }
                    };
                    into.set(i - start, n);
                }
            }
        }
    }
}

impl<'a> ListReader<'a> {
    /// The elements of row `row` (indices among the structs), None when the
    /// list is unknown.
    pub fn elements(&self, row: usize) -> Option<Range<usize>> {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            return None;
        }
        Some(*self.offsets.get(row)?..*self.offsets.get(row + 1)?)
    }

    /// Whether element `e` (an index among the structs) is null, which no
    /// element may be.
    pub fn element_is_null(&self, e: usize) -> bool {
        self.structs.is_null(e)
    }

    /// The readers of the elements' fields, by name, in declaration order.
    pub fn fields(&self) -> &[(&'a str, Reader<'a>)] {
        &self.fields
    }

    fn new(
        element: &'a Layout,
        array: &'a dyn Array,
        path: &Path,
        refuse: impl Fn() -> FieldProblem,
    ) -> Result<ListReader<'a>, FieldProblem> {
        let (offsets, nulls, values): (Vec<usize>, _, _) = match array.data_type() {
            DataType::List(_) => {
                let a = array.as_list::<i32>();
                let offsets = a.value_offsets().iter().map(|o| *o as usize).collect();
                (offsets, a.nulls(), a.values())
            }
            DataType::LargeList(_) => {
                let a = array.as_list::<i64>();
                let offsets = a.value_offsets().iter().map(|o| *o as usize).collect();
                (offsets, a.nulls(), a.values())
            }
            _ => return Err(refuse()),
        };
        let structs = values.as_struct_opt().ok_or_else(&refuse)?;
        // a field of the elements is read from the struct field of its name
        let mut fields = Vec::with_capacity(element.fields.len());
        for f in &element.fields {
            let child = structs.column_by_name(&f.name).map(|c| c.as_ref());
            // a problem with a whole element column is named without an index
            let at = Path::Element {
                list: path,
                index: 0,
                name: &f.name,
            };
            let reader = Reader::new(&f.ty, child, &at).map_err(|mut p| {
                p.path = format!("{}[].{}", path.render(), f.name);
                p
            })?;
            fields.push((f.name.as_str(), reader));
        }
        Ok(ListReader {
            offsets,
            nulls,
            structs,
            fields,
        })
    }
}

fn ints(array: &dyn Array) -> Option<Ints<'_>> {
    Some(match array.data_type() {
        DataType::Int8 => Ints::I8(array.as_primitive::<Int8Type>()),
        DataType::Int16 => Ints::I16(array.as_primitive::<Int16Type>()),
        DataType::Int32 => Ints::I32(array.as_primitive::<Int32Type>()),
        DataType::Int64 => Ints::I64(array.as_primitive::<Int64Type>()),
        DataType::UInt8 => Ints::U8(array.as_primitive::<UInt8Type>()),
        DataType::UInt16 => Ints::U16(array.as_primitive::<UInt16Type>()),
        DataType::UInt32 => Ints::U32(array.as_primitive::<UInt32Type>()),
        DataType::UInt64 => Ints::U64(array.as_primitive::<UInt64Type>()),
        _ => return None,
    })
}

fn timestamps<'a>(array: &'a dyn Array, unit: &TimeUnit) -> Counts<'a> {
    let (values, nulls, per_day) = match unit {
        TimeUnit::Second => {
            let a = array.as_primitive::<TimestampSecondType>();
            (a.values().as_ref(), a.nulls(), 86_400)
        }
        TimeUnit::Millisecond => {
            let a = array.as_primitive::<TimestampMillisecondType>();
            (a.values().as_ref(), a.nulls(), 86_400_000)
        }
        TimeUnit::Microsecond => {
            let a = array.as_primitive::<TimestampMicrosecondType>();
            (a.values().as_ref(), a.nulls(), 86_400_000_000)
        }
        TimeUnit::Nanosecond => {
            let a = array.as_primitive::<TimestampNanosecondType>();
            (a.values().as_ref(), a.nulls(), 86_400_000_000_000)
        }
    };
    Counts {
        values,
        nulls,
        per_day,
    }
}

/// A string value as the JSON errors show it.
fn quoted(text: &str) -> String {
    let shown: String = if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text.to_string()
    };
    serde_json::to_string(&shown).unwrap_or(shown)
}

/// `unscaled` × 10^-`scale` written out.
fn decimal_text(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return if unscaled == 0 {
            "0".into()
        } else {
            format!("{unscaled}{zeros}")
        };
    }
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, frac) = padded.split_at(padded.len() - scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    format!("{sign}{whole}.{frac}")
}

/// A block of rows read ahead of filling their records: a row of numbers
/// each (`stride` of them), and a word of known bits each (`mask_stride`
/// of them); one field is written at a time, into number `col` of each
/// row and bit `bit` of word `mask_col`.
pub struct Block<'b> {
    pub nums: &'b mut [i64],
    pub stride: usize,
    pub col: usize,
    pub masks: &'b mut [u64],
    pub mask_stride: usize,
    pub mask_col: usize,
    pub bit: u64,
}

impl Block<'_> {
    /// Row `r`'s number, known.
    #[inline(always)]
    fn set(&mut self, r: usize, n: i64) {
        if let Some(x) = self.nums.get_mut(r * self.stride + self.col) {
            *x = n;
        }
        if let Some(m) = self.masks.get_mut(r * self.mask_stride + self.mask_col) {
            *m |= self.bit;
        }
    }

    /// Rows' numbers from the first on (their known bits apart).
    #[inline]
    fn put(&mut self, values: impl Iterator<Item = i64>) {
        for (row, n) in self.nums.chunks_exact_mut(self.stride).zip(values) {
            if let Some(x) = row.get_mut(self.col) {
                *x = n;
            }
        }
    }

    /// Whether row `r` is known.
    fn is_known(&self, r: usize) -> bool {
        self.masks
            .get(r * self.mask_stride + self.mask_col)
            .is_some_and(|m| m & self.bit != 0)
    }

    /// The known bits of rows `rows` of a column: those not null.
    fn known(&mut self, nulls: Option<&NullBuffer>, rows: &Range<usize>) {
        let bit = self.bit;
        let (stride, col) = (self.mask_stride.max(1), self.mask_col);
        let len = rows.len().min(self.masks.len() / stride);
        let masks = &mut self.masks[..len * stride];
        match nulls {
            None => masks
                .iter_mut()
                .skip(col)
                .step_by(stride)
                .for_each(|m| *m |= bit),
            Some(n) if rows.end <= n.len() => {
                let valid = n.inner().slice(rows.start, len);
                let words = valid.bit_chunks().iter_padded();
                for (w, chunk) in words.zip(masks.chunks_mut(64 * stride)) {
                    if stride == 1 {
                        // (the usual case, one word a row: four rows at a
                        // time, their bits spread by a table)
                        let (quads, rest) = chunk.as_chunks_mut::<4>();
                        for (k, quad) in quads.iter_mut().enumerate() {
                            let spread = SPREAD4[(w >> (4 * k) & 15) as usize];
                            for (m, s) in quad.iter_mut().zip(spread) {
                                *m |= s & bit;
                            }
                        }
                        let done = 4 * quads.len();
                        for (j, m) in rest.iter_mut().enumerate() {
                            *m |= (w >> (done + j) & 1) * bit;
                        }
                    } else {
                        for (j, m) in chunk.iter_mut().skip(col).step_by(stride).enumerate() {
                            *m |= (w >> j & 1) * bit;
                        }
                    }
                }
            }
            Some(n) => {
                for (i, m) in rows.clone().zip(masks.iter_mut().skip(col).step_by(stride)) {
                    if i < n.len() && n.is_valid(i) {
                        *m |= bit;
                    }
                }
            }
        }
    }
}
