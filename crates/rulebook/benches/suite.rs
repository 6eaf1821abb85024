//! The benchmark suite (issue 23): every shipped policy and the benchmark
//! policy, each on generated records of realistic, varied shapes, and
//! policies of growing size. For each policy and shape, in one run:
//!
//! - `evaluate_each` with the generic record writer (one typed handle per
//!   input, facts left unset where the record does not have them: the path
//!   `rulebook batch` and the Python package take), ns a record; for a
//!   policy with list inputs (council tax reduction), which no typed writer
//!   takes, `evaluate_batch_into` over `Facts` parsed before timing;
//! - a hand-written native Rust function of the same policy (every shipped
//!   policy and the benchmark policy have one), on the same records, and
//!   the ratio of the two, measured in turn in the same run;
//! - for the benchmark policy, casework routing and pension credit,
//!   `evaluate_each` over the native function's structs, the facts every
//!   record has written with one `set_all` and the decisions read through
//!   their handles: for the benchmark policy, the independent benchmark's
//!   Rulebook row;
//! - `evaluate_each` filled from rows of numbers (`RecordWriter::set_nums`,
//!   the texts with `set`), read ahead of time: the Python package's path,
//!   and the one to compare with the hand-written module, whose host also
//!   writes numbers it holds;
//! - where there is one (the benchmark policy), a hand-written WebAssembly
//!   module of the same policy run by wasmtime over the batch in linear
//!   memory (suite/handwritten.rs), and the engine's time over its time;
//! - `evaluate_json_text`, one facts text in, one decisions text out;
//! - the share of records the module evaluates in full (the three-valued
//!   function) rather than on its fast path: incomplete records, and
//!   complete ones whose fast evaluation leaves its ranges.
//!
//! Then policies of 10 to 500 clauses from a generator: compile time,
//! module size and `evaluate_each` time against size.
//!
//! ```sh
//! cargo bench -p rulebook --bench suite            # all of it (a few minutes)
//! cargo bench -p rulebook --bench suite -- quick   # fewer records, shorter windows
//! cargo bench -p rulebook --bench suite -- only=heavy   # rows whose file or shape has "heavy"
//! cargo bench -p rulebook --bench suite -- only=growth  # the policies of growing size only
//! cargo bench -p rulebook --bench suite -- only=benchmark,heavy  # rows that have both
//! # one path looped for ten seconds, for a profiler (perf, callgrind):
//! cargo bench -p rulebook --bench suite -- only=casework profile=block   # evaluate_rows
//! cargo bench -p rulebook --bench suite -- only=benchmark,heavy profile=structs
//! cargo bench -p rulebook --bench suite -- only=benchmark,heavy profile=json   # evaluate_json_text
//! # the bars, looped the same way, to count their instructions beside the engine's:
//! cargo bench -p rulebook --bench suite -- only=benchmark,heavy profile=native
//! cargo bench -p rulebook --bench suite -- only=benchmark,heavy profile=handwritten
//! ```
//!
//! Figures are thread CPU time (other processes do not inflate them).
//! docs/performance.md, "The suite", reports them. Every engine result is
//! checked against the native function on complete records before timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "suite/casework_native.rs"]
mod casework_native;
#[path = "suite/council_native.rs"]
mod council_native;
// the benchmark policy's handles, shared with benches/engine.rs
#[allow(dead_code)]
#[path = "engine/fields.rs"]
mod fields;
// shared with benches/engine.rs, which uses all of them
#[path = "suite/handwritten.rs"]
mod handwritten;
#[allow(dead_code)]
#[path = "engine/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "engine/native.rs"]
mod native;
#[path = "suite/pension_native.rs"]
mod pension_native;
#[path = "suite/shapes.rs"]
mod shapes;

use rulebook::batch::{
    Bool, Enum, Field, Int, Money, NumFields, RecordWriter, Rows as RowBlock, Text, Variant,
};
use rulebook::meta::ValueType;
use rulebook::{Date, Policy};
use shapes::{Cell, Record, Rng, Rows};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A typed handle for one input of any kind.
#[derive(Clone, Copy)]
enum Handle {
    Int(Field<Int>),
    Money(Field<Money>),
    Bool(Field<Bool>),
    Date(Field<Date>),
    Text(Field<Text>),
    Enum(Field<Enum>),
}

/// The handles of a policy's inputs (None for a list input: the writer has
/// no lists) and its enums' variants.
struct Writer {
    handles: Vec<Option<Handle>>,
    variants: Vec<Vec<Variant>>,
    /// The inputs that are numbers (all but texts and lists), to be set
    /// from a row of numbers at once, and their positions.
    nums: Option<(NumFields, Vec<usize>)>,
}

impl Writer {
    fn new(policy: &Policy) -> Writer {
        let mut handles = Vec::new();
        let mut variants = Vec::new();
        for f in &policy.meta().input.fields {
            let n = f.name.as_str();
            let (h, v) = match &f.ty {
                ValueType::Int => (Some(Handle::Int(policy.field(n).unwrap())), vec![]),
                ValueType::Money => (Some(Handle::Money(policy.field(n).unwrap())), vec![]),
                ValueType::Bool => (Some(Handle::Bool(policy.field(n).unwrap())), vec![]),
                ValueType::Date => (Some(Handle::Date(policy.field(n).unwrap())), vec![]),
                ValueType::Text => (Some(Handle::Text(policy.field(n).unwrap())), vec![]),
                ValueType::Enum { variants } => {
                    let field: Field<Enum> = policy.field(n).unwrap();
                    let vs = variants
                        .iter()
                        .map(|v| policy.variant(field, v).unwrap())
                        .collect();
                    (Some(Handle::Enum(field)), vs)
                }
                _ => (None, vec![]),
            };
            handles.push(h);
            variants.push(v);
        }
        let numeric: Vec<usize> = (policy.meta().input.fields.iter().enumerate())
            .filter(|(_, f)| !matches!(f.ty, ValueType::Text | ValueType::List { .. }))
            .map(|(i, _)| i)
            .collect();
        let names = numeric
            .iter()
            .map(|&i| policy.meta().input.fields[i].name.as_str());
        let nums = (numeric.len() <= 64)
            .then(|| policy.num_fields(names).ok())
            .flatten()
            .map(|set| (set, numeric));
        Writer {
            handles,
            variants,
            nums,
        }
    }

    /// The records as rows of numbers (the slot encodings), their known
    /// bits, and their texts, read once: what a host reading columns
    /// (the Python package) has before it fills records.
    fn rows(&self, records: &Rows) -> Option<NumRows> {
        let (_, numeric) = self.nums.as_ref()?;
        let mut rows = NumRows {
            width: numeric.len(),
            nums: Vec::with_capacity(records.len() * numeric.len()),
            known: Vec::with_capacity(records.len()),
            text: String::new(),
            spans: Vec::new(),
            starts: vec![0],
        };
        for r in records.iter() {
            let mut known = 0u64;
            for (k, &i) in numeric.iter().enumerate() {
                let n = match &r[i] {
                    Cell::Num(n) => Some(*n),
                    Cell::Bool(b) => Some(i64::from(*b)),
                    Cell::Date(d) => Some(i64::from(d.0)),
                    Cell::Variant(v) => Some(*v as i64),
                    _ => None,
                };
                known |= u64::from(n.is_some()) << k;
                rows.nums.push(n.unwrap_or(0));
            }
            rows.known.push(known);
            for (h, c) in self.handles.iter().zip(r) {
                if let (Some(Handle::Text(f)), Cell::Text(t)) = (h, c) {
                    let start = rows.text.len();
                    rows.text.push_str(t);
                    rows.spans.push((*f, start, rows.text.len()));
                }
            }
            rows.starts.push(rows.spans.len());
        }
        Some(rows)
    }

    /// Fills record `i` of `rows`: its numbers in one call, then its texts.
    #[inline(always)]
    fn fill_row(&self, w: &mut RecordWriter<'_>, rows: &NumRows, i: usize) {
        if let Some((set, _)) = &self.nums {
            let at = i * rows.width;
            let _ = w.set_nums(set, rows.known[i], &rows.nums[at..at + rows.width]);
        }
        for &(f, a, b) in &rows.spans[rows.starts[i]..rows.starts[i + 1]] {
            w.set(f, &rows.text[a..b]);
        }
    }

    /// Writes the record's known facts; unknown ones stay unset.
    #[inline(always)]
    fn fill(&self, w: &mut RecordWriter<'_>, r: &[Cell]) {
        for ((h, cell), vs) in self.handles.iter().zip(r).zip(&self.variants) {
            match (h, cell) {
                (Some(Handle::Int(f)), Cell::Num(n)) => {
                    w.set(*f, *n);
                }
                (Some(Handle::Money(f)), Cell::Num(n)) => {
                    w.set(*f, *n);
                }
                (Some(Handle::Bool(f)), Cell::Bool(b)) => {
                    w.set(*f, *b);
                }
                (Some(Handle::Date(f)), Cell::Date(d)) => {
                    w.set(*f, *d);
                }
                (Some(Handle::Text(f)), Cell::Text(t)) => {
                    w.set(*f, t.as_str());
                }
                (Some(Handle::Enum(f)), Cell::Variant(i)) => {
                    w.set(*f, vs[*i]);
                }
                _ => {}
            }
        }
    }
}

/// A text field's column as an Arrow `Utf8` array holds one: its texts one
/// after another in one buffer, the offsets of each row's, and a validity
/// bit a row (clear: unknown).
type TextBuffer<'a> = (Field<Text>, &'a str, String, Vec<i32>, Vec<u8>);

/// Records as rows of numbers: `width` numbers a record, its known bits,
/// and its texts (laid out in record order in one buffer, as a host's
/// column of texts is): record `i`'s are `spans[starts[i]..starts[i + 1]]`.
struct NumRows {
    width: usize,
    nums: Vec<i64>,
    known: Vec<u64>,
    text: String,
    spans: Vec<(Field<Text>, usize, usize)>,
    starts: Vec<usize>,
}

struct Options {
    records: usize,
    window: Duration,
    /// Compiles of each generated policy, the fastest reported.
    compiles: usize,
    /// Only one path looped, for a profiler: the rows of numbers through
    /// `evaluate_each` (`profile=rows`), the block (`profile=block`), the
    /// JSON texts (`profile=json`), for the benchmark policy the structs
    /// (`profile=structs`) and the hand-written module
    /// (`profile=handwritten`), or the native function (`profile=native`).
    profile: Option<String>,
    /// How long `profile` loops (`profile_secs=N`, default 10).
    profile_for: Duration,
    /// The sanity run of `cargo test --benches`: each path once, no timing.
    sanity: bool,
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    // `cargo bench` passes --bench; `cargo test --benches` does not, and
    // then runs this once as a sanity check, on a few records
    let measuring = std::env::args().any(|a| a == "--bench");
    let o = if !measuring {
        Options {
            records: 200,
            window: Duration::from_millis(20),
            compiles: 1,
            profile: None,
            profile_for: Duration::from_secs(10),
            sanity: true,
        }
    } else if quick {
        Options {
            records: 2_000,
            window: Duration::from_millis(300),
            compiles: 3,
            profile: None,
            profile_for: Duration::from_secs(10),
            sanity: false,
        }
    } else {
        Options {
            records: 100_000,
            window: Duration::from_secs(2),
            compiles: 3,
            profile: None,
            profile_for: Duration::from_secs(10),
            sanity: false,
        }
    };
    // `only=TEXT[,TEXT...]`: the rows whose policy file or data shape
    // contains every TEXT, and not the growth table (for profiling one row)
    let only = std::env::args().find_map(|a| a.strip_prefix("only=").map(str::to_string));
    // `records=N`: records a row (to see how a figure moves with the size)
    let mut o = o;
    o.profile = std::env::args().find_map(|a| a.strip_prefix("profile=").map(str::to_string));
    if let Some(secs) =
        std::env::args().find_map(|a| a.strip_prefix("profile_secs=").map(str::to_string))
    {
        let secs: f64 = secs.parse().expect("profile_secs=N: a number of seconds");
        o.profile_for = Duration::from_secs_f64(secs);
    }
    if let Some(n) =
        std::env::args().find_map(|a| a.strip_prefix("records=").and_then(|n| n.parse().ok()))
    {
        o.records = n;
    }
    let as_of = Date::parse("2026-11-27").unwrap();
    println!(
        "| policy | data | records | evaluate_each, typed handles, ns/record | evaluate_each, rows of numbers, ns/record | evaluate_rows ns/record | native ns/record | typed / native | rows / native | evaluate_rows / native | hand-written Wasm ns/record | rows / hand-written | evaluate_rows / hand-written | structs, set_all, ns/record | structs / native | structs / hand-written | evaluate_json_text ns/record | in full |"
    );
    println!(
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (policy_file, shape) in shapes::SUITE {
        if only.as_deref() == Some("growth") {
            break;
        }
        if only.as_ref().is_some_and(|terms| {
            terms
                .split(',')
                .any(|t| !policy_file.contains(t) && !shape.contains(t))
        }) {
            continue;
        }
        let source = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(policy_file),
        )
        .unwrap();
        let policy = Policy::from_source(policy_file, &source).unwrap();
        let mut rng = Rng(0x5eed_0000 + shape.len() as u64);
        let records: Vec<Record> = (0..o.records)
            .map(|_| shapes::record(&policy, shape, &mut rng))
            .collect();
        let rows = Rows::new(records, policy.meta().input.fields.len());
        row(&policy, policy_file, shape, &rows, as_of, &o);
    }
    if only.is_none() || only.as_deref() == Some("growth") {
        growth(&o, as_of);
    }
}

/// One row of the table: a policy on one shape of data.
fn row(policy: &Policy, file: &str, shape: &str, records: &Rows, as_of: Date, o: &Options) {
    policy.load().unwrap();
    let writer = Writer::new(policy);
    let has_lists = writer.handles.iter().any(Option::is_none);
    // the share evaluated in full, in the marked module
    let marked = policy.marking_full_body().unwrap();
    let mut full = 0usize;
    let texts = &records.json;
    if has_lists {
        // no typed writer for lists: through facts
        let facts: Vec<_> = texts
            .iter()
            .map(|t| marked.parse_facts(t).unwrap())
            .collect();
        let mut results = rulebook::BatchResults::default();
        marked.evaluate_batch_into(&facts, as_of, &mut results);
        full = results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|v| v.evaluated_in_full()))
            .count();
    } else {
        marked.evaluate_each(
            records.iter(),
            as_of,
            |r, w| writer.fill(w, r),
            |_, v| full += usize::from(v.is_ok_and(|v| v.evaluated_in_full())),
        );
    }
    // the engine, record by record typed (or through facts with lists)
    let facts: Vec<_> = texts
        .iter()
        .map(|t| policy.parse_facts(t).unwrap())
        .collect();
    let mut results = rulebook::BatchResults::default();
    let mut each = || -> usize {
        let mut n = 0;
        if has_lists {
            policy.evaluate_batch_into(&facts, as_of, &mut results);
            n = results.iter().filter(|r| r.is_ok()).count();
        } else {
            policy.evaluate_each(
                black_box(records).iter(),
                as_of,
                |r, w| writer.fill(w, r),
                |_, v| n += usize::from(v.is_ok()),
            );
        }
        n
    };
    // the same records filled from rows of numbers (as the Python package
    // fills them), checked to give the same reports first
    let num_rows = if has_lists {
        None
    } else {
        writer.rows(records)
    };
    // the typed path's reports, which both rows paths are checked against
    let mut typed = Vec::new();
    if num_rows.is_some() {
        policy.evaluate_each(
            records.iter(),
            as_of,
            |r, w| writer.fill(w, r),
            |_, v| typed.push(v.map(|v| policy.report(&v, as_of).to_string()).ok()),
        );
    }
    if let Some(rows) = &num_rows {
        let mut k = 0;
        policy.evaluate_each(
            0..records.len(),
            as_of,
            |&i, w| writer.fill_row(w, rows, i),
            |i, v| {
                let report = v.map(|v| policy.report(&v, as_of).to_string()).ok();
                assert_eq!(report, typed[i], "record {i}: rows of numbers differ");
                k += 1;
            },
        );
        assert_eq!(k, records.len());
    }
    let by_rows = |rows: &NumRows| -> usize {
        let mut n = 0;
        policy.evaluate_each(
            0..records.len(),
            as_of,
            |&i, w| writer.fill_row(w, black_box(rows), i),
            |_, v| n += usize::from(v.is_ok()),
        );
        n
    };
    // the same rows as a block (`Policy::evaluate_rows`): the numbers, and
    // one column a text field as an Arrow `Utf8` array holds it (its texts
    // one after another in one buffer, offsets and validity bits), as the
    // Python package reads it, and as the hand-written module's host has
    // them
    let text_buffers: Vec<TextBuffer> = (writer.handles.iter())
        .zip(&policy.meta().input.fields)
        .enumerate()
        .filter_map(|(i, (h, f))| match h {
            Some(Handle::Text(field)) => Some((i, *field, f.name.as_str())),
            _ => None,
        })
        .map(|(i, field, name)| {
            let mut buffer = String::new();
            let mut offsets = vec![0];
            let mut valid = vec![0u8; records.len().div_ceil(8)];
            for (r, record) in records.iter().enumerate() {
                if let Cell::Text(t) = &record[i] {
                    buffer.push_str(t);
                    valid[r / 8] |= 1 << (r % 8);
                }
                offsets.push(i32::try_from(buffer.len()).unwrap());
            }
            (field, name, buffer, offsets, valid)
        })
        .collect();
    let block = match (&num_rows, &writer.nums) {
        (Some(rows), Some((set, _))) => {
            let mut block = RowBlock::new(set, &rows.known, &rows.nums).unwrap();
            for (field, name, buffer, offsets, valid) in &text_buffers {
                block = (block.text_buffer(*field, name, buffer.as_bytes(), offsets, Some(valid)))
                    .unwrap();
            }
            Some(block)
        }
        _ => None,
    };
    if let Some(block) = &block {
        let mut k = 0;
        policy.evaluate_rows(block, as_of, |i, v| {
            let report = v.map(|v| policy.report(&v, as_of).to_string()).ok();
            assert_eq!(report, typed[i], "record {i}: evaluate_rows differs");
            k += 1;
        });
        assert_eq!(k, records.len());
    }
    let by_block = |block: &RowBlock| -> usize {
        let mut n = 0;
        policy.evaluate_rows(black_box(block), as_of, |_, v| n += usize::from(v.is_ok()));
        n
    };
    // `profile=rows|block|structs|json|native|handwritten`: only that path,
    // looped for `profile_secs` (default ten) seconds, under `perf record`
    // (with RULEBOOK_PROFILE=perfmap, to see the module's own time) or
    // callgrind (scripts/bench-instructions counts its instructions a record)
    // the complete records: those the structs path, the native function
    // and the hand-written module take
    let complete = native_decided(file, records, as_of);
    {
        // one pass of a path, and the records a pass evaluates (a policy
        // with list inputs has no rows of numbers)
        type Pass<'p> = (Box<dyn FnMut() -> usize + 'p>, usize);
        let no_rows = || format!("{file} has list inputs: no rows of numbers");
        let pass = |path: &str| -> Result<Pass<'_>, String> {
            Ok(match path {
                "block" => match &block {
                    Some(block) => (Box::new(|| by_block(block)), records.len()),
                    None => return Err(no_rows()),
                },
                "rows" => match &num_rows {
                    Some(rows) => (Box::new(|| by_rows(rows)), records.len()),
                    None => return Err(no_rows()),
                },
                "json" => (
                    Box::new(|| {
                        (texts.iter())
                            .filter(|t| policy.evaluate_json_text(t, as_of).is_ok())
                            .count()
                    }),
                    records.len(),
                ),
                "structs" => match structs_case(policy, file, records, as_of) {
                    Some(structs) => (structs, complete),
                    None => return Err(format!("profile=structs: {file} has no native structs")),
                },
                "native" => match shapes::native(file) {
                    Some(n) => {
                        let native = (n.prepare)(records);
                        (Box::new(move || native(as_of)), complete)
                    }
                    None => return Err(format!("profile=native: {file} has no native function")),
                },
                "handwritten" => match handwritten::prepare(file, records) {
                    Some(hand) => (Box::new(move || hand(as_of)), complete),
                    None => return Err("profile=handwritten: only for the benchmark policy".into()),
                },
                other => {
                    return Err(format!(
                        "profile={other}: not a path ({})",
                        PATHS.join(", ")
                    ))
                }
            })
        };
        if let Some(path) = &o.profile {
            let (mut run, per_pass) = pass(path).unwrap_or_else(|e| panic!("{e}"));
            let passes = profile_loop(&mut *run, o.profile_for);
            println!("profiled: {} records ({passes} passes)", passes * per_pass);
            return;
        }
        if o.sanity {
            // every path this policy has, one pass each (as `profile=` and
            // scripts/bench-instructions take them)
            for path in PATHS {
                if let Ok((mut run, _)) = pass(path) {
                    assert!(run() > 0, "profile={path}: a pass evaluated nothing");
                }
            }
        }
    }
    let native = shapes::native(file);
    if let Some(n) = native {
        check_native(policy, records, as_of, n.check);
    }
    // engine and native in turn, three times, the medians kept; the native
    // function decides only the records it can (all of them where every
    // fact it needs is given): its time is per record it decided
    let prepared = native.map(|n| (n.prepare)(records));
    let decided = native.map_or(0, |_| complete);
    let hand = handwritten::prepare(file, records);
    let structs = structs_case(policy, file, records, as_of);
    let mut engine_ns = Vec::new();
    let mut structs_ns = Vec::new();
    let mut rows_ns = Vec::new();
    let mut block_ns = Vec::new();
    let mut native_ns = Vec::new();
    let mut hand_ns = Vec::new();
    for _ in 0..3 {
        engine_ns.push(measure::cpu_ns_per_call(&mut each, o.window).unwrap());
        if let Some(rows) = &num_rows {
            let mut run = || by_rows(rows);
            rows_ns.push(measure::cpu_ns_per_call(&mut run, o.window).unwrap());
        }
        if let Some(block) = &block {
            let mut run = || by_block(block);
            block_ns.push(measure::cpu_ns_per_call(&mut run, o.window).unwrap());
        }
        if let Some(run) = &prepared {
            let mut run = || run(as_of);
            let ns = measure::cpu_ns_per_call(&mut run, o.window).unwrap();
            native_ns.push(ns * records.len() as f64 / decided.max(1) as f64);
        }
        if let Some(run) = &hand {
            let mut run = || run(as_of);
            let ns = measure::cpu_ns_per_call(&mut run, o.window).unwrap();
            hand_ns.push(ns * records.len() as f64 / decided.max(1) as f64);
        }
        if let Some(run) = &structs {
            let mut run = || run();
            let ns = measure::cpu_ns_per_call(&mut run, o.window).unwrap();
            structs_ns.push(ns * records.len() as f64 / decided.max(1) as f64);
        }
    }
    let per = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).map(|x| x / records.len() as f64)
    };
    let (e, n, h) = (per(&mut engine_ns), per(&mut native_ns), per(&mut hand_ns));
    let (r, b, s) = (per(&mut rows_ns), per(&mut block_ns), per(&mut structs_ns));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => "-".into(),
    };
    let mut json = || {
        texts
            .iter()
            .filter(|t| policy.evaluate_json_text(t, as_of).is_ok())
            .count()
    };
    let json_ns = measure::cpu_ns_per_call(&mut json, o.window).unwrap() / records.len() as f64;
    println!(
        "| {} | {shape} | {} | {:.1}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {json_ns:.0} | {:.1}% |",
        policy.name(),
        records.len(),
        e.unwrap_or(f64::NAN),
        if has_lists { " (facts)" } else { "" },
        r.map_or("-".into(), |r| format!("{r:.1}")),
        b.map_or("-".into(), |b| format!("{b:.1}")),
        n.map_or("-".into(), |n| format!("{n:.1}")),
        ratio(e, n),
        ratio(r, n),
        ratio(b, n),
        h.map_or("-".into(), |h| format!("{h:.1}")),
        ratio(r.or(e), h),
        ratio(b, h),
        s.map_or("-".into(), |s| format!("{s:.1}")),
        ratio(s, n),
        ratio(s, h),
        100.0 * full as f64 / records.len() as f64
    );
}

/// The paths `profile=` loops.
const PATHS: [&str; 6] = ["rows", "block", "json", "structs", "native", "handwritten"];

/// Runs `run` again and again for `time`: the one loop of `profile=`, a
/// function of its own so that callgrind can count inside it alone
/// (`--toggle-collect=*profile_loop*`). Returns the passes made.
#[inline(never)]
fn profile_loop(run: &mut dyn FnMut() -> usize, time: Duration) -> usize {
    let start = Instant::now();
    let mut passes = 0;
    while start.elapsed() < time {
        black_box(run());
        passes += 1;
    }
    passes
}

/// How many of `records` the policy's native function decides (the
/// complete ones); all of them when it has none.
fn native_decided(file: &str, records: &Rows, as_of: Date) -> usize {
    match shapes::native(file) {
        Some(n) => records
            .iter()
            .filter(|r| (n.check)(r, as_of).is_some())
            .count(),
        None => records.len(),
    }
}

/// The timed closure of the structs column: `evaluate_each` over the
/// structs of a policy's native function, as a service holding them would
/// write them (casework routing's and pension credit's in their modules).
/// For the benchmark policy, the independent benchmark's Rulebook row: the
/// complete records, each written with one `set_all` and both decisions
/// read through their handles. Every record's decisions are checked
/// against the native function first.
fn structs_case<'a>(
    policy: &'a Policy,
    file: &str,
    records: &Rows,
    as_of: Date,
) -> Option<Box<dyn Fn() -> usize + 'a>> {
    if file.ends_with("casework_routing.rules") {
        return Some(casework_native::structs(policy, records, as_of));
    }
    if file.ends_with("pension_credit.rules") {
        return Some(pension_native::structs(policy, records, as_of));
    }
    if file.ends_with("council_tax_reduction.rules") {
        return Some(council_native::structs(policy, records, as_of));
    }
    if !file.ends_with("benchmark.rules") {
        return None;
    }
    let people: Vec<native::Applicant> = records.iter().filter_map(shapes::applicant).collect();
    Some(shapes::structs_column(
        policy,
        people,
        fields::BatchFields::new(policy),
        as_of,
    ))
}

impl shapes::StructsFields<native::Applicant> for fields::BatchFields {
    #[inline(always)]
    fn fill(&self, w: &mut RecordWriter<'_>, a: &native::Applicant) {
        self.fill_all(w, a);
    }

    fn check(&self, a: &native::Applicant, r: rulebook::RecordView<'_>, _: Date) {
        let d = native::decide(a);
        assert_eq!(r.get(self.eligible), Ok(Some(d.eligible)), "{a:?}");
        assert_eq!(r.get(self.route), Ok(Some(d.route_name())), "{a:?}");
    }

    #[inline(always)]
    fn count(&self, r: rulebook::RecordView<'_>) -> usize {
        fields::read_one(self, r)
    }
}

/// Panics unless the native function agrees with the engine on every
/// record it decides (the complete ones).
fn check_native(policy: &Policy, records: &Rows, as_of: Date, decide: shapes::Check) {
    let mut compared = 0;
    for (i, (r, json)) in records.iter().zip(&records.json).enumerate() {
        let Some(native) = decide(r, as_of) else {
            continue;
        };
        let out = policy.evaluate_json(json, as_of).unwrap();
        for (name, value) in &native {
            assert_eq!(
                &out["decisions"][name]["value"], value,
                "record {i} {json}: {name} differs: {out}"
            );
        }
        compared += 1;
    }
    assert!(
        compared > 0,
        "{}: no record the native function decides",
        policy.name()
    );
}

/// CPU time of every thread of the process in ns, from the scheduler's
/// accounting (Linux; 0 elsewhere).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Policies of growing size: compile time, module size, evaluation time.
fn growth(o: &Options, as_of: Date) {
    println!();
    println!(
        "| clauses | check+codegen ms | native compile ms | compile ms | native compile CPU ms | module KiB | evaluate_each ns/record | ns/record per clause | in full |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // no native-code cache: each policy is compiled, not fetched
    let mut config = rulebook::RuntimeConfig::default();
    config.cache_dir = None;
    let runtime = rulebook::Runtime::new(config).unwrap();
    for n in [10, 50, 100, 250, 500] {
        let source = shapes::generated_policy(n);
        // the fastest of `o.compiles` compiles, each timed in its two steps
        let mut best = (Duration::from_secs(3600), Duration::from_secs(3600));
        // the CPU time of the native compile on every thread (wasmtime
        // compiles functions in parallel), in the fastest compile
        let mut cpu = 0;
        let mut policy = None;
        for _ in 0..o.compiles {
            let start = Instant::now();
            let p = runtime.compile("generated.rules", &source).unwrap();
            let codegen = start.elapsed();
            let start = Instant::now();
            let cpu0 = process_cpu_ns();
            p.load().unwrap();
            let native = start.elapsed();
            let spent = process_cpu_ns().saturating_sub(cpu0);
            if codegen + native < best.0 + best.1 {
                best = (codegen, native);
                cpu = spent;
            }
            policy = Some(p);
        }
        let policy = policy.unwrap();
        let writer = Writer::new(&policy);
        let mut rng = Rng(7 + n as u64);
        let records: Vec<Record> = (0..o.records.min(20_000))
            .map(|_| shapes::record(&policy, "generated", &mut rng))
            .collect();
        let records = Rows::new(records, policy.meta().input.fields.len());
        let marked = policy.marking_full_body().unwrap();
        let mut full = 0usize;
        marked.evaluate_each(
            records.iter(),
            as_of,
            |r, w| writer.fill(w, r),
            |_, v| full += usize::from(v.is_ok_and(|v| v.evaluated_in_full())),
        );
        let mut each = || {
            let mut k = 0;
            policy.evaluate_each(
                black_box(&records).iter(),
                as_of,
                |r, w| writer.fill(w, r),
                |_, v| k += usize::from(v.is_ok()),
            );
            k
        };
        let ns = measure::cpu_ns_per_call(&mut each, o.window).unwrap() / records.len() as f64;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {n} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {ns:.0} | {:.2} | {:.1}% |",
            ms(best.0),
            ms(best.1),
            ms(best.0 + best.1),
            cpu as f64 / 1e6,
            policy.wasm().len() as f64 / 1024.0,
            ns / n as f64,
            100.0 * full as f64 / records.len() as f64
        );
    }
}
