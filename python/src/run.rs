//! Evaluating Arrow record batches: the inputs are read column by column
//! ([`crate::read`]) into the engine's typed records, evaluated with the
//! batch API, and the decisions written as Arrow columns, the columns of
//! `rulebook batch` (language.md section 14): `line`, then `NAME` and
//! `NAME.missing` for each decision, then `error`.
//!
//! Policies whose inputs are all scalars go through
//! `Policy::evaluate_rows` a block of rows at a time (or, with more than
//! 64 numeric inputs, `Policy::evaluate_each`), which write the records
//! straight into the module's memory; policies with list inputs are
//! written through typed handles (`RecordWriter::set_list` for their
//! lists, [`crate::write`]) by `Policy::evaluate_each`. Either way a bad
//! row (a value that does
//! not fit its field, or an evaluation error such as an overflow) gets its
//! message in `error` and nulls for its decisions, and the other rows are
//! evaluated as usual.

use crate::errors::Failure;
use crate::out::{Out, Outputs, DECIMAL_TYPE, MONEY_TYPE};
use crate::read::{Block, Path, Reader, TextBuffer, TextOffsets, Value};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use rulebook::batch::{Date, Field, NumFields, RowError, Rows, Text};
use rulebook::meta::{Layout, ValueType};
use rulebook::{FieldProblem, Policy};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows evaluated together: the unit of the output's record batches, and
/// what bounds the memory of the values read ahead of evaluation.
pub const SLICE: usize = 65_536;
/// Rows read ahead of evaluation at a time for policies with scalar
/// inputs: their rows of numbers stay in the processor's cache.
const BLOCK: usize = 2048;

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

/// Input fields set together from a row of numbers: up to 64 of them.
struct NumSet {
    set: NumFields,
    /// The index of each of its fields among the inputs.
    fields: Vec<usize>,
}

/// Everything looked up once per policy: the handles of its inputs and
/// the kinds of its decisions.
pub struct Plan {
    pub policy: Policy,
    /// The inputs that are numbers (bools, ints, money, decimals, dates,
    /// enums), in sets of up to 64.
    nums: Vec<NumSet>,
    /// The text inputs, and their index among the inputs.
    texts: Vec<(usize, Field<Text>)>,
    outs: Vec<Out>,
    /// No list inputs: records are filled by `evaluate_each`.
    scalar: bool,
    /// Every input's handle, for a policy with list inputs.
    handles: Vec<crate::write::Handle>,
    schema: SchemaRef,
    /// Each fact's path as a JSON string (`"household[].date_of_birth"`),
    /// for the missing lists.
    missing_json: Arc<[String]>,
}

impl Plan {
    pub fn new(policy: Policy) -> Result<Plan, String> {
        let meta = policy.meta();
        let e = |e: rulebook::batch::FieldError| e.to_string();
        let mut texts = Vec::new();
        let mut numbers = Vec::new();
        for (i, f) in meta.input.fields.iter().enumerate() {
            match &f.ty {
                ValueType::Text => texts.push((i, policy.field(&f.name).map_err(e)?)),
                ValueType::List { .. } => {}
                _ => numbers.push(i),
            }
        }
        let mut nums = Vec::new();
        for fields in numbers.chunks(64) {
            let names = fields.iter().filter_map(|&i| meta.input.fields.get(i));
            nums.push(NumSet {
                set: policy
                    .num_fields(names.map(|f| f.name.as_str()))
                    .map_err(e)?,
                fields: fields.to_vec(),
            });
        }
        let scalar = !meta.input.has_lists();
        let handles = if scalar {
            Vec::new()
        } else {
            crate::write::handles(&policy).map_err(e)?
        };
        let mut outs = Vec::with_capacity(meta.decisions.len());
        for d in &meta.decisions {
            let name = d.name.as_str();
            outs.push(match &d.ty {
                ValueType::Bool => Out::Bool(policy.decision(name).map_err(e)?),
                ValueType::Int => Out::Int(policy.decision(name).map_err(e)?),
                ValueType::Money => Out::Money(policy.decision(name).map_err(e)?),
                ValueType::Decimal => Out::Decimal(policy.decision(name).map_err(e)?),
                ValueType::Date => Out::Date(policy.decision(name).map_err(e)?),
                ValueType::Enum { variants } => {
                    Out::Enum(policy.decision(name).map_err(e)?, variants.clone())
                }
                ValueType::Text => Out::Text(policy.decision(name).map_err(e)?),
                // (`check` refuses a decision of a list type)
                ValueType::List { .. } => {
                    return Err(format!(
                        "decision `{name}` is a list, which no column holds"
                    ))
                }
            });
        }
        let mut fields = vec![ArrowField::new("line", DataType::Int64, false)];
        for (d, out) in meta.decisions.iter().zip(&outs) {
            let ty = out.data_type();
            fields.push(ArrowField::new(d.name.as_str(), ty, true));
            fields.push(ArrowField::new(
                format!("{}.missing", d.name),
                DataType::Utf8,
                true,
            ));
        }
        fields.push(ArrowField::new("error", DataType::Utf8, true));
        let missing_json = meta
            .fact_paths
            .iter()
            .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "\"\"".into()))
            .collect();
        Ok(Plan {
            policy,
            nums,
            texts,
            outs,
            scalar,
            handles,
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
                self.run_lists(&readers[b], rows, first, as_of, raise, &mut outputs)?;
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
        let mut readers = Vec::with_capacity(self.policy.meta().input.fields.len());
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

    /// Rows `rows` of a policy with scalar inputs, a block at a time: the
    /// block's numbers read (and checked) column by column into a row of
    /// numbers each, then its good rows evaluated with `evaluate_each`,
    /// each record taking its row in one call (`RecordWriter::set_nums`)
    /// and its texts from their columns. With `raise`, the first row whose
    /// values do not fit is the failure (before any evaluation error).
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
        let stride: usize = self.nums.iter().map(|n| n.fields.len()).sum();
        let sets = self.nums.len();
        let mut nums = vec![0i64; BLOCK * stride];
        let mut masks = vec![0u64; BLOCK * sets];
        let mut failure = None;
        let mut block_start = rows.start;
        while block_start < rows.end {
            let block = block_start..(block_start + BLOCK).min(rows.end);
            block_start = block.end;
            let len = block.len();
            let (nums, masks) = (&mut nums[..len * stride], &mut masks[..len * sets]);
            masks.fill(0);
            let mut bad: BTreeMap<usize, Vec<FieldProblem>> = BTreeMap::new();
            let mut col = 0;
            for (s, set) in self.nums.iter().enumerate() {
                for (k, &f) in set.fields.iter().enumerate() {
                    if let (Some(reader), Some(field)) = (readers.get(f), fields.get(f)) {
                        let mut into = Block {
                            nums,
                            stride,
                            col,
                            masks,
                            mask_stride: sets,
                            mask_col: s,
                            bit: 1 << k,
                        };
                        reader.read_rows(
                            block.clone(),
                            &Path::Top(&field.name),
                            &mut into,
                            &mut |i, p| bad.entry(i).or_default().push(p),
                        );
                    }
                    col += 1;
                }
            }
            if raise {
                if let Some((i, problems)) = bad.pop_first() {
                    return Err(Failure::Input {
                        row: first_line + (i - rows.start),
                        problems,
                    });
                }
            }
            let start = block.start;
            let line = |i: usize| first_line + (i - rows.start);
            // the usual policy (at most 64 numeric inputs): the block as
            // `Rows`, filled in one loop; a bad row's results are not used
            if let [only] = self.nums.as_slice() {
                let buffers: Vec<Option<TextBuffer>> = (self.texts.iter())
                    .map(|(f, _)| readers.get(*f)?.text_buffer(block.clone()))
                    .collect();
                let columns = self.text_columns(readers, block.clone(), &buffers);
                if let Some(rows) = self.block_rows(only, (&columns, &buffers), nums, masks) {
                    self.policy.evaluate_rows(&rows, as_of, |r, result| {
                        let i = start + r;
                        match (bad.get(&i), result) {
                            (Some(problems), _) => outputs.push_problems(line(i), Some(problems)),
                            (None, Err(RowError::Value(e))) => {
                                outputs.push_error(line(i), &format!("input error: {e}"))
                            }
                            (None, Err(RowError::Eval(e))) => {
                                outputs.push_result(line(i), Err(e), raise, &mut failure)
                            }
                            (None, Err(e)) => outputs.push_error(line(i), &e.to_string()),
                            (None, Ok(view)) => {
                                outputs.push_result(line(i), Ok(view), raise, &mut failure)
                            }
                        }
                    });
                    continue;
                }
            }
            // a row the engine refuses (never: the numbers were checked)
            let refused: RefCell<BTreeMap<usize, String>> = RefCell::default();
            let good = block.clone().filter(|i| !bad.contains_key(i));
            let mut next = start;
            self.policy.evaluate_each(
                good,
                as_of,
                |&i, record| {
                    let r = i - start;
                    let row = nums.get(r * stride..(r + 1) * stride).unwrap_or(&[]);
                    let known = masks.get(r * sets..(r + 1) * sets).unwrap_or(&[]);
                    let mut from = 0;
                    for (set, known) in self.nums.iter().zip(known) {
                        let to = from + set.fields.len();
                        if let Err(e) =
                            record.set_nums(&set.set, *known, row.get(from..to).unwrap_or(&[]))
                        {
                            refused.borrow_mut().insert(i, format!("input error: {e}"));
                        }
                        from = to;
                    }
                    for (f, field) in &self.texts {
                        if let Some(Ok(Some(Value::Text(t)))) =
                            readers.get(*f).map(|r| r.scalar(i, &Path::Top("")))
                        {
                            record.set(*field, t);
                        }
                    }
                },
                |i, result| {
                    while next < i {
                        outputs.push_problems(line(next), bad.get(&next));
                        next += 1;
                    }
                    next = i + 1;
                    if let Some(message) = refused.borrow().get(&i) {
                        return outputs.push_error(line(i), message);
                    }
                    outputs.push_result(line(i), result, raise, &mut failure);
                },
            );
            while next < block.end {
                outputs.push_problems(line(next), bad.get(&next));
                next += 1;
            }
        }
        match failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    /// A block of rows read into `nums` and `masks` (the numeric inputs
    /// being the one set `only`), with its text columns, as `Rows`: each
    /// text field from its Arrow buffer where `buffers` has one, from its
    /// column of values otherwise.
    fn block_rows<'a>(
        &'a self,
        only: &'a NumSet,
        (columns, buffers): (&'a [Vec<Option<&'a str>>], &[Option<TextBuffer<'a>>]),
        nums: &'a [i64],
        masks: &'a [u64],
    ) -> Option<Rows<'a>> {
        // the lengths agree (`nums` holds a row of the set a row, `masks`
        // a word): `Rows::new` and `text` never fail; a buffer may (below)
        let mut rows = Rows::new(&only.set, masks, nums).ok()?;
        let fields = &self.policy.meta().input.fields;
        for (((f, field), column), buffer) in self.texts.iter().zip(columns).zip(buffers) {
            let name = fields.get(*f).map_or("", |m| m.name.as_str());
            rows = match *buffer {
                // a buffer Arrow holds is as `text_buffer` takes it; for
                // one it refuses (bytes that are not UTF-8 under a null,
                // say) the block goes through `evaluate_each`, which reads
                // the texts value by value
                Some(TextBuffer {
                    data,
                    offsets,
                    valid,
                }) => match offsets {
                    TextOffsets::Utf8(o) => rows.text_buffer(*field, name, data, o, valid).ok()?,
                    TextOffsets::Large(o) => rows.text_buffer(*field, name, data, o, valid).ok()?,
                },
                None => rows.text(*field, name, column).ok()?,
            };
        }
        Some(rows)
    }

    /// Each text input's values in rows `block` (None: null, or a value
    /// the reader refused, which is that row's problem).
    /// A field `buffers` has (read from its Arrow buffer) gets no column.
    fn text_columns<'r>(
        &self,
        readers: &'r [Reader<'_>],
        block: std::ops::Range<usize>,
        buffers: &[Option<TextBuffer<'_>>],
    ) -> Vec<Vec<Option<&'r str>>> {
        let text = |f: usize, i: usize| match readers.get(f).map(|r| r.scalar(i, &Path::Top(""))) {
            Some(Ok(Some(Value::Text(t)))) => Some(t),
            _ => None,
        };
        (self.texts.iter().zip(buffers))
            .map(|((f, _), buffer)| match buffer {
                Some(_) => Vec::new(),
                None => block.clone().map(|i| text(*f, i)).collect(),
            })
            .collect()
    }

    /// Rows `rows` of a policy with list inputs, written through typed
    /// handles by `evaluate_each` ([`crate::write`]). A row with a value
    /// that does not fit its field gets its problems, not its results; with
    /// `raise`, the first bad row, in row order, is the failure.
    fn run_lists(
        &self,
        readers: &[Reader<'_>],
        rows: std::ops::Range<usize>,
        first_line: usize,
        as_of: Date,
        raise: bool,
        outputs: &mut Outputs,
    ) -> Result<(), Failure> {
        let fields = &self.policy.meta().input.fields;
        let mut failure = None;
        // each row's problems, written when its record is filled (again,
        // for a row carried to the next chunk) and read when its results
        // are
        let problems = RefCell::new(vec![Vec::new(); rows.len()]);
        self.policy.evaluate_each(
            rows.clone(),
            as_of,
            |&i, w| {
                let mut found = Vec::new();
                crate::write::write_row(&self.handles, readers, fields, i, w, &mut found);
                if let Some(p) = problems.borrow_mut().get_mut(i - rows.start) {
                    *p = found;
                }
            },
            |i, result| {
                if failure.is_some() {
                    return;
                }
                let line = first_line + (i - rows.start);
                let problems = problems.borrow();
                match problems.get(i - rows.start) {
                    Some(p) if !p.is_empty() => {
                        if raise {
                            failure = Some(Failure::Input {
                                row: line,
                                problems: p.clone(),
                            });
                        } else {
                            outputs.push_problems(line, Some(p));
                        }
                    }
                    _ => outputs.push_result(line, result, raise, &mut failure),
                }
            },
        );
        match failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}
