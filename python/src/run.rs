//! Evaluating Arrow record batches: the inputs are read column by column
//! ([`crate::read`]) into the engine's typed records, evaluated with the
//! batch API, and the decisions written as Arrow columns, the columns of
//! `rulebook batch` (language.md section 14): `line`, then `NAME` and
//! `NAME.missing` for each decision, then `error`.
//!
//! Policies whose inputs are all scalars go through
//! `Policy::evaluate_each`, which writes each record straight into the
//! module's memory; policies with list inputs build `Facts` and use
//! `Policy::evaluate_batch_into`. Either way a bad row (a value that does
//! not fit its field, or an evaluation error such as an overflow) gets its
//! message in `error` and nulls for its decisions, and the other rows are
//! evaluated as usual.

use crate::out::Outputs;
use crate::read::{bit, Column, Path, Reader, Value};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use rulebook::batch::{
    Bool, Date, Decimal, Enum, Field, FieldKind, Int, Money, RecordWriter, Text, Variant,
};
use rulebook::meta::{Layout, ValueType};
use rulebook::{BatchResults, Facts, FieldProblem, Policy};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows evaluated together: the unit of the output's record batches, and
/// what bounds the memory of the values read ahead of evaluation.
pub const SLICE: usize = 65_536;
/// Facts built at a time for policies with list inputs.
const FACTS_CHUNK: usize = 4096;

/// Money and decimals out: decimal128 with 38 digits, 2 or 6 of them
/// after the point (the engine's own exactness).
pub const MONEY_TYPE: DataType = DataType::Decimal128(38, 2);
pub const DECIMAL_TYPE: DataType = DataType::Decimal128(38, 6);

/// The Arrow schema an input table is best given in: money and decimals
/// as decimal128 with 2 and 6 places, dates as date32, enums and text as
/// strings, lists as lists of structs. Each field's metadata
/// `rulebook.type` is its type as the rule file writes it.
pub fn input_schema(layout: &Layout) -> Schema {
    Schema::new(input_fields(layout))
}

fn input_fields(layout: &Layout) -> Vec<ArrowField> {
    layout
        .fields
        .iter()
        .map(|f| {
            let (ty, written) = match &f.ty {
                ValueType::Bool => (DataType::Boolean, "bool".to_string()),
                ValueType::Int => (DataType::Int64, "int".into()),
                ValueType::Money => (MONEY_TYPE, "money".into()),
                ValueType::Decimal => (DECIMAL_TYPE, "decimal".into()),
                ValueType::Date => (DataType::Date32, "date".into()),
                ValueType::Text => (DataType::Utf8, "text".into()),
                ValueType::Enum { variants } => {
                    (DataType::Utf8, format!("enum({})", variants.join(", ")))
                }
                ValueType::List { element } => {
                    let item = DataType::Struct(input_fields(element).into());
                    (
                        DataType::List(Arc::new(ArrowField::new("item", item, true))),
                        "list".into(),
                    )
                }
            };
            let metadata: std::collections::HashMap<String, String> =
                [("rulebook.type".to_string(), written)]
                    .into_iter()
                    .collect();
            ArrowField::new(f.name.as_str(), ty, true).with_metadata(metadata)
        })
        .collect()
}

/// How one input field is set on a record.
enum Handle {
    Bool(Field<Bool>),
    Int(Field<Int>),
    Money(Field<Money>),
    Decimal(Field<Decimal>),
    Date(Field<Date>),
    Text(Field<Text>),
    Enum(Field<Enum>, Vec<Variant>),
    /// A list field: set through `Facts` only.
    List,
}

/// What a decision's values are, and how they go out.
#[derive(Clone)]
pub enum Out {
    Bool,
    Int,
    Money,
    Decimal,
    Date,
    Text,
    Enum(Vec<String>),
}

/// Everything looked up once per policy: the handles of its inputs and
/// the kinds of its decisions.
pub struct Plan {
    pub policy: Policy,
    handles: Vec<Handle>,
    outs: Vec<Out>,
    /// No list inputs: records are filled by `evaluate_each`.
    scalar: bool,
    schema: SchemaRef,
    /// Each fact's path as a JSON string (`"household[].date_of_birth"`),
    /// for the missing lists.
    missing_json: Arc<[String]>,
}

/// Why a table could not be evaluated at all, or (when asked to raise)
/// the first bad row.
pub enum Failure {
    /// A column that cannot hold its field's values.
    Column(FieldProblem),
    /// Two columns of one name.
    Duplicate(String),
    Input {
        row: usize,
        problems: Vec<FieldProblem>,
    },
    Eval {
        row: usize,
        message: String,
    },
    /// The module could not be loaded: no row can be evaluated.
    Load(String),
}

impl Plan {
    pub fn new(policy: Policy) -> Result<Plan, String> {
        let meta = policy.meta();
        let mut handles = Vec::with_capacity(meta.input.fields.len());
        for f in &meta.input.fields {
            let name = f.name.as_str();
            let e = |e: rulebook::batch::FieldError| e.to_string();
            handles.push(match &f.ty {
                ValueType::Bool => Handle::Bool(policy.field(name).map_err(e)?),
                ValueType::Int => Handle::Int(policy.field(name).map_err(e)?),
                ValueType::Money => Handle::Money(policy.field(name).map_err(e)?),
                ValueType::Decimal => Handle::Decimal(policy.field(name).map_err(e)?),
                ValueType::Date => Handle::Date(policy.field(name).map_err(e)?),
                ValueType::Text => Handle::Text(policy.field(name).map_err(e)?),
                ValueType::Enum { variants } => {
                    let field: Field<Enum> = policy.field(name).map_err(e)?;
                    let mut vs = Vec::with_capacity(variants.len());
                    for v in variants {
                        vs.push(policy.variant(field, v).map_err(e)?);
                    }
                    Handle::Enum(field, vs)
                }
                ValueType::List { .. } => Handle::List,
            });
        }
        let outs: Vec<Out> = meta
            .decisions
            .iter()
            .map(|d| match &d.ty {
                ValueType::Bool => Out::Bool,
                ValueType::Int => Out::Int,
                ValueType::Money => Out::Money,
                ValueType::Decimal => Out::Decimal,
                ValueType::Date => Out::Date,
                ValueType::Enum { variants } => Out::Enum(variants.clone()),
                // decisions are never lists; text for anything else
                ValueType::Text | ValueType::List { .. } => Out::Text,
            })
            .collect();
        let mut fields = vec![ArrowField::new("line", DataType::Int64, false)];
        for (d, out) in meta.decisions.iter().zip(&outs) {
            let ty = match out {
                Out::Bool => DataType::Boolean,
                Out::Int => DataType::Int64,
                Out::Money => MONEY_TYPE,
                Out::Decimal => DECIMAL_TYPE,
                Out::Date => DataType::Date32,
                Out::Text | Out::Enum(_) => DataType::Utf8,
            };
            fields.push(ArrowField::new(d.name.as_str(), ty, true));
            fields.push(ArrowField::new(
                format!("{}.missing", d.name),
                DataType::Utf8,
                true,
            ));
        }
        fields.push(ArrowField::new("error", DataType::Utf8, true));
        let scalar = !handles.iter().any(|h| matches!(h, Handle::List));
        let missing_json = meta
            .fact_paths
            .iter()
            .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "\"\"".into()))
            .collect();
        Ok(Plan {
            policy,
            handles,
            outs,
            scalar,
            schema: Arc::new(Schema::new(fields)),
            missing_json,
        })
    }

    /// The schema of the output.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Evaluates every row of `batches` (rows numbered from 1 across them)
    /// on up to `threads` threads, a slice of rows at a time; with
    /// `raise`, the first bad row is a [`Failure`] instead of an `error`
    /// value.
    pub fn evaluate(
        &self,
        batches: &[RecordBatch],
        as_of: Date,
        raise: bool,
        threads: usize,
    ) -> Result<Vec<RecordBatch>, Failure> {
        // every column checked before any row is evaluated
        let mut readers = Vec::with_capacity(batches.len());
        for batch in batches {
            readers.push(self.readers(batch)?);
        }
        // the slices: (batch, rows, the line of the first row)
        let mut slices = Vec::new();
        let mut first_line = 1usize;
        for (b, batch) in batches.iter().enumerate() {
            let rows = batch.num_rows();
            let mut start = 0;
            while start < rows {
                let end = (start + SLICE).min(rows);
                slices.push((b, start..end, first_line + start));
                start = end;
            }
            first_line += rows;
        }
        let run = |k: usize| -> Result<RecordBatch, Failure> {
            let (b, rows, first) = slices[k].clone();
            let mut outputs = Outputs::new(&self.outs, rows.len(), self.missing_json.clone());
            if self.scalar {
                self.run_scalar(&readers[b], rows, first, as_of, raise, &mut outputs)?;
            } else {
                self.run_facts(&readers[b], rows, first, as_of, raise, &mut outputs)?;
            }
            outputs.finish(self.schema.clone())
        };
        let threads = threads.clamp(1, slices.len().max(1));
        let results: Vec<Result<RecordBatch, Failure>> = if threads == 1 {
            (0..slices.len()).map(run).collect()
        } else {
            // each thread takes the next slice until none is left; the
            // batches go out in the order of the rows
            let next = std::sync::atomic::AtomicUsize::new(0);
            let mut done: Vec<(usize, Result<RecordBatch, Failure>)> =
                std::thread::scope(|scope| {
                    let workers: Vec<_> = (0..threads)
                        .map(|_| {
                            scope.spawn(|| {
                                let mut mine = Vec::new();
                                loop {
                                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                    if k >= slices.len() {
                                        break mine;
                                    }
                                    mine.push((k, run(k)));
                                }
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .flat_map(|w| {
                            w.join().unwrap_or_else(|_| {
                                vec![(0, Err(Failure::Load("an evaluation thread failed".into())))]
                            })
                        })
                        .collect()
                });
            done.sort_by_key(|(k, _)| *k);
            done.into_iter().map(|(_, r)| r).collect()
        };
        results.into_iter().collect()
    }

    /// A reader per input field, from the column of its name.
    fn readers<'a>(&'a self, batch: &'a RecordBatch) -> Result<Vec<Reader<'a>>, Failure> {
        let schema = batch.schema_ref();
        let mut readers = Vec::with_capacity(self.handles.len());
        for f in &self.policy.meta().input.fields {
            let mut found = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, c)| c.name() == &f.name);
            let column = found.next().map(|(i, _)| batch.column(i).as_ref());
            if found.next().is_some() {
                return Err(Failure::Duplicate(f.name.clone()));
            }
            readers.push(Reader::new(&f.ty, column, &Path::Top(&f.name)).map_err(Failure::Column)?);
        }
        Ok(readers)
    }

    /// Rows `rows` of a policy with scalar inputs: every value read (and
    /// checked) first, column by column, then the good rows evaluated with
    /// `evaluate_each`, each record filled from the columns read.
    fn run_scalar(
        &self,
        readers: &[Reader<'_>],
        rows: std::ops::Range<usize>,
        first_line: usize,
        as_of: Date,
        raise: bool,
        outputs: &mut Outputs,
    ) -> Result<(), Failure> {
        let fields = &self.policy.meta().input.fields;
        let mut bad: BTreeMap<usize, Vec<FieldProblem>> = BTreeMap::new();
        // the values of each field but text, read ahead; texts are read in
        // place when filling
        let mut columns: Vec<Column> = Vec::with_capacity(readers.len());
        for ((reader, handle), f) in readers.iter().zip(&self.handles).zip(fields) {
            let mut column = Column::default();
            if !matches!(handle, Handle::Text(_) | Handle::List) {
                let path = Path::Top(&f.name);
                reader.read_column(rows.clone(), &path, &mut column, &mut |i, p| {
                    bad.entry(i).or_default().push(p)
                });
            }
            columns.push(column);
        }
        if raise {
            if let Some((i, problems)) = bad.pop_first() {
                return Err(Failure::Input {
                    row: first_line + (i - rows.start),
                    problems,
                });
            }
        }
        let fill = Fill::new(&self.handles, readers, &columns);
        let start = rows.start;
        let good = rows.clone().filter(|i| !bad.contains_key(i));
        let mut failure = None;
        let mut next = start;
        self.policy.evaluate_each(
            good,
            as_of,
            |&i, record| fill.record(i, i - start, record),
            |i, result| {
                while next < i {
                    outputs.push_problems(first_line + next - start, bad.get(&next));
                    next += 1;
                }
                outputs.push_result(first_line + i - start, result, raise, &mut failure);
                next = i + 1;
            },
        );
        while next < rows.end {
            outputs.push_problems(first_line + next - start, bad.get(&next));
            next += 1;
        }
        match failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    /// Rows `rows` of a policy with list inputs: `Facts` built from the
    /// columns, a chunk at a time, and evaluated with `evaluate_batch_into`.
    fn run_facts(
        &self,
        readers: &[Reader<'_>],
        rows: std::ops::Range<usize>,
        first_line: usize,
        as_of: Date,
        raise: bool,
        outputs: &mut Outputs,
    ) -> Result<(), Failure> {
        let meta = self.policy.meta();
        let mut results = BatchResults::default();
        let mut failure = None;
        let mut chunk_start = rows.start;
        while chunk_start < rows.end {
            let chunk_end = (chunk_start + FACTS_CHUNK).min(rows.end);
            // each row: its facts, or its problems
            let mut records = Vec::with_capacity(chunk_end - chunk_start);
            let mut order: Vec<Result<usize, Vec<FieldProblem>>> = Vec::new();
            for i in chunk_start..chunk_end {
                let mut problems = Vec::new();
                let values = readers
                    .iter()
                    .zip(&meta.input.fields)
                    .map(|(r, f)| r.fact(i, &Path::Top(&f.name), &mut problems))
                    .collect();
                if problems.is_empty() {
                    order.push(Ok(records.len()));
                    records.push(rulebook::__private::facts(&meta.input, values));
                } else if raise {
                    return Err(Failure::Input {
                        row: first_line + (i - rows.start),
                        problems,
                    });
                } else {
                    order.push(Err(problems));
                }
            }
            let records: Vec<Facts> = records;
            self.policy
                .evaluate_batch_into(&records[..], as_of, &mut results);
            for (k, entry) in order.iter().enumerate() {
                let line = first_line + (chunk_start + k - rows.start);
                match entry {
                    Ok(r) => match results.get(*r) {
                        Some(result) => outputs.push_result(line, result, raise, &mut failure),
                        None => outputs.push_error(line, "evaluation error: no result"),
                    },
                    Err(problems) => outputs.push_problems(line, Some(problems)),
                }
                if let Some(f) = failure.take() {
                    return Err(f);
                }
            }
            chunk_start = chunk_end;
        }
        Ok(())
    }
}

/// A field handle with its column's values over a slice: the numbers (or
/// bits) and which rows know them.
struct Known<'c, K: FieldKind, V> {
    field: Field<K>,
    values: &'c [V],
    known: &'c [u64],
}

/// How the records of a slice are filled from its columns: the fields
/// grouped by kind, so that each group is a loop of one kind of store,
/// and a row's fields are set without a match per field.
struct Fill<'c, 'r> {
    bools: Vec<Known<'c, Bool, u64>>,
    /// Ints, money (pence) and decimals (millionths) take the same numbers.
    ints: Vec<Known<'c, Int, i64>>,
    money: Vec<Known<'c, Money, i64>>,
    decimals: Vec<Known<'c, Decimal, i64>>,
    dates: Vec<Known<'c, Date, i64>>,
    enums: Vec<(Known<'c, Enum, i64>, &'c [Variant])>,
    texts: Vec<(Field<Text>, &'c Reader<'r>)>,
}

impl<'c, 'r> Fill<'c, 'r> {
    fn new(handles: &'c [Handle], readers: &'c [Reader<'r>], columns: &'c [Column]) -> Self {
        let mut fill = Fill {
            bools: Vec::new(),
            ints: Vec::new(),
            money: Vec::new(),
            decimals: Vec::new(),
            dates: Vec::new(),
            enums: Vec::new(),
            texts: Vec::new(),
        };
        for ((handle, reader), c) in handles.iter().zip(readers).zip(columns) {
            if matches!(reader, Reader::Absent) {
                continue;
            }
            let known = c.known.as_slice();
            let nums = c.nums.as_slice();
            match handle {
                Handle::Bool(field) => fill.bools.push(Known {
                    field: *field,
                    values: &c.bits,
                    known,
                }),
                Handle::Int(field) => fill.ints.push(Known {
                    field: *field,
                    values: nums,
                    known,
                }),
                Handle::Money(field) => fill.money.push(Known {
                    field: *field,
                    values: nums,
                    known,
                }),
                Handle::Decimal(field) => fill.decimals.push(Known {
                    field: *field,
                    values: nums,
                    known,
                }),
                Handle::Date(field) => fill.dates.push(Known {
                    field: *field,
                    values: nums,
                    known,
                }),
                Handle::Enum(field, variants) => fill.enums.push((
                    Known {
                        field: *field,
                        values: nums,
                        known,
                    },
                    variants,
                )),
                Handle::Text(field) => fill.texts.push((*field, reader)),
                Handle::List => {}
            }
        }
        fill
    }

    /// Fills the record of row `i`, row `at` of the slice.
    #[inline(always)]
    fn record(&self, i: usize, at: usize, record: &mut RecordWriter<'_>) {
        for c in &self.bools {
            if bit(c.known, at) {
                record.set(c.field, bit(c.values, at));
            }
        }
        for c in &self.ints {
            if let (true, Some(v)) = (bit(c.known, at), c.values.get(at)) {
                record.set(c.field, *v);
            }
        }
        for c in &self.money {
            if let (true, Some(v)) = (bit(c.known, at), c.values.get(at)) {
                record.set(c.field, *v);
            }
        }
        for c in &self.decimals {
            if let (true, Some(v)) = (bit(c.known, at), c.values.get(at)) {
                record.set(c.field, *v);
            }
        }
        for c in &self.dates {
            if let (true, Some(v)) = (bit(c.known, at), c.values.get(at)) {
                record.set(c.field, Date(*v as i32));
            }
        }
        for (c, variants) in &self.enums {
            if let (true, Some(v)) = (bit(c.known, at), c.values.get(at)) {
                if let Some(variant) = variants.get(*v as usize) {
                    record.set(c.field, *variant);
                }
            }
        }
        for (field, reader) in &self.texts {
            if let Ok(Some(Value::Text(t))) = reader.scalar(i, &Path::Top("")) {
                record.set(*field, t);
            }
        }
    }
}
