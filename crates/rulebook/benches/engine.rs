//! The Rulebook benchmark: benches/benchmark.rules evaluated by the engine
//! (compiled to WebAssembly, run by wasmtime) against the same policy written
//! by hand in Rust (benches/engine/native.rs), in one run.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/bench-target taskset -c 1 \
//!   cargo bench --bench engine -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Before the criterion groups it measures the peak resident memory while
//! evaluating 100,000 records (case e) and checks that engine and native agree
//! on all 1,000 records (and write the same decisions JSON text). After them
//! it prints the tables of docs/performance.md twice: from criterion's wall
//! time estimates, and from the thread's CPU time over 2 s per case (which
//! other processes competing for the core do not inflate).
//!
//! Cases (per decision = per record, `Throughput::Elements`):
//! - a: typed facts, `evaluate_batch_into` (and `evaluate_batch`) of 1,000 records vs `native::decide` on 1,000 structs
//! - b: one facts JSON text in, decisions JSON text out, for each of 1,000 texts
//! - c: compile time, source to a module ready to run
//! - d: load a compiled module from disk and evaluate one record (native code
//!   cache filled, as after `rulebook compile`, and cache off)
//! - e: peak RSS (VmHWM) while evaluating 100,000 records in batches of 1,000

// A benchmark fails loudly: a wrong answer must stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Not benches/native.rs: Cargo would discover that as a bench target of its own.
#[path = "engine/native.rs"]
mod native;
// The records, shared with the peer engines' benchmark (peers/benches/peers.rs).
#[path = "engine/data.rs"]
mod data;
// How figures are read, shared with it too.
#[path = "engine/measure.rs"]
mod measure;
// The benchmark policy's handles, shared with benches/suite.rs.
#[path = "engine/fields.rs"]
mod fields;

use criterion::{Criterion, SamplingMode, Throughput};
use data::{applicants, facts_json, report_header, Rng};
use fields::{read_all, read_one, BatchFields};
use native::{Applicant, Decision, ReportHeader, REASONS, ROUTES};
use rulebook::batch::{Batch, RecordWriter};
use rulebook::{BatchResults, Date, Facts, Outcome, Policy, Runtime, RuntimeConfig, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const SOURCE: &str = include_str!("benchmark.rules");
const RECORDS: usize = 1_000;
const PEAK_RECORDS: usize = 100_000;
const PEAK_BATCH: usize = 1_000;

/// Typed facts of an applicant, with the policy's builder.
fn facts(policy: &Policy, a: &Applicant) -> Facts {
    policy
        .facts()
        .int("age", a.age)
        .money_pence("income_monthly", a.income_monthly)
        .money_pence("savings", a.savings)
        .int("household_size", a.household_size)
        .bool("is_resident", a.is_resident)
        .bool("has_disability", a.has_disability)
        .variant("employment_status", a.employment_status.name())
        .text("region", &a.region)
        .build()
        .expect("the benchmark facts fit the policy's inputs")
}

/// Panics unless the engine's outcome is the native decision.
fn check_same(i: usize, a: &Applicant, outcome: &Outcome, d: &Decision) {
    let [eligible, route] = outcome.decisions.as_slice() else {
        panic!("record {i}: expected 2 decisions, got {outcome:?}");
    };
    assert_eq!(
        eligible.value,
        Some(Value::Bool(d.eligible)),
        "record {i} ({a:?}): eligible differs"
    );
    let reasons: Vec<usize> = d.reasons.as_slice().iter().map(|&r| r as usize).collect();
    assert_eq!(
        eligible.reasons, reasons,
        "record {i} ({a:?}): reasons differ"
    );
    assert_eq!(
        route.value,
        Some(Value::Text(d.route_name().to_string())),
        "record {i} ({a:?}): route differs"
    );
    assert_eq!(
        route.clause,
        Some(d.route as usize),
        "record {i} ({a:?}): route clause differs"
    );
}

/// Engine and native agree on every record, typed and JSON; prints the mix.
fn sanity_check(
    policy: &Policy,
    as_of: Date,
    people: &[Applicant],
    records: &[Facts],
    texts: &[String],
    header: &ReportHeader,
) {
    let meta = policy.meta();
    let eligible_meta = meta
        .decisions
        .iter()
        .find(|d| d.name == "eligible")
        .unwrap();
    for (i, c) in eligible_meta.clauses.iter().enumerate() {
        assert_eq!(c.because.as_deref(), Some(REASONS[i]), "because text {i}");
    }
    let outcomes = policy.evaluate_batch(records, as_of);
    assert_eq!(outcomes.len(), people.len());
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(records, as_of, &mut results);
    assert_eq!(
        results.to_outcomes(),
        outcomes,
        "evaluate_batch_into differs"
    );
    let fields = BatchFields::new(policy);
    let mut batch = Batch::new(policy);
    for a in people {
        fields.write(&mut batch, a);
    }
    policy.evaluate_batch_into(&batch, as_of, &mut results);
    assert_eq!(
        results.to_outcomes(),
        outcomes,
        "a Batch differs from Facts"
    );
    // evaluate_each, filled with `set_all` and with `set`, read whole and
    // through the typed decision handles.
    for one_call in [true, false] {
        let mut streamed = Vec::new();
        policy.evaluate_each(
            people,
            as_of,
            |a, record| {
                if one_call {
                    fields.fill_all(record, a)
                } else {
                    fields.fill(record, a)
                }
            },
            |_, r| {
                let r = r.unwrap();
                let o = r.to_outcome();
                assert_eq!(
                    o.decisions[0].value,
                    r.get(fields.eligible).unwrap().map(Value::Bool)
                );
                assert_eq!(
                    o.decisions[1].value,
                    r.get(fields.route).unwrap().map(|t| Value::Text(t.into()))
                );
                streamed.push(Ok(o));
            },
        );
        assert_eq!(
            streamed, outcomes,
            "evaluate_each differs (set_all: {one_call})"
        );
    }
    let mut reason_counts = [0usize; 6];
    let mut route_counts = [0usize; 6];
    let mut eligible = 0;
    for (i, (a, o)) in people.iter().zip(&outcomes).enumerate() {
        let o = o.as_ref().unwrap_or_else(|e| panic!("record {i}: {e}"));
        let d = native::decide(a);
        check_same(i, a, o, &d);
        eligible += usize::from(d.eligible);
        for &r in d.reasons.as_slice() {
            reason_counts[r as usize] += 1;
        }
        route_counts[d.route as usize] += 1;
        // One at a time gives the same as the batch.
        let single = policy.evaluate(&records[i], as_of).unwrap();
        assert_eq!(
            &single, o,
            "record {i}: evaluate differs from evaluate_batch"
        );
        // JSON in, JSON out: the same decisions from both sides, and the
        // same text from the text path
        let engine_value = policy.evaluate_json(&texts[i], as_of).unwrap();
        let native_text = native::decide_json(header, &texts[i]).unwrap();
        let native_value: serde_json::Value = serde_json::from_str(&native_text).unwrap();
        assert_eq!(
            engine_value, native_value,
            "record {i}: decisions JSON differs"
        );
        let direct_text = policy.evaluate_json_text(&texts[i], as_of).unwrap();
        assert_eq!(
            direct_text, native_text,
            "record {i}: evaluate_json_text differs"
        );
    }
    assert!(
        route_counts.iter().all(|&n| n > 0) && reason_counts.iter().all(|&n| n > 0),
        "the records must exercise every route and every reason"
    );
    let routes: Vec<String> = ROUTES
        .iter()
        .zip(route_counts)
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    println!(
        "sanity check: engine and native agree on all {} records ({eligible} eligible; routes: {}; failed requires by clause: {reason_counts:?})",
        people.len(),
        routes.join(", ")
    );
}

/// A field of /proc/self/status in kB (Linux only).
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Case e: peak RSS while evaluating 100,000 records in batches of 1,000,
/// each batch built, evaluated and dropped in turn (as a service streaming
/// records would).
fn peak_memory(policy: &Policy, as_of: Date) {
    let (Some(rss_before), Some(hwm_before)) = (status_kb("VmRSS:"), status_kb("VmHWM:")) else {
        println!("(e) peak memory: /proc/self/status not available, skipped");
        return;
    };
    // Reset the high-water mark to the current RSS (Linux >= 4.0), so the
    // figure below is the peak during the evaluation only.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let mut rng = Rng(0x5eed);
    let mut eligible = 0usize;
    for _ in 0..PEAK_RECORDS / PEAK_BATCH {
        let batch: Vec<Facts> = applicants(&mut rng, PEAK_BATCH)
            .iter()
            .map(|a| facts(policy, a))
            .collect();
        for o in policy.evaluate_batch(&batch, as_of) {
            if let Some(Value::Bool(true)) = o.unwrap().decisions[0].value {
                eligible += 1;
            }
        }
    }
    let hwm_after = status_kb("VmHWM:").unwrap_or(0);
    let rss_after = status_kb("VmRSS:").unwrap_or(0);
    println!(
        "(e) peak memory evaluating {PEAK_RECORDS} records in batches of {PEAK_BATCH} ({eligible} eligible): \
         peak RSS (VmHWM) {:.1} MiB; RSS before {:.1} MiB, after {:.1} MiB; \
         high-water mark before {:.1} MiB{}",
        mib(hwm_after),
        mib(rss_before),
        mib(rss_after),
        mib(hwm_before),
        if reset {
            " (reset through /proc/self/clear_refs before evaluating)"
        } else {
            " (could not reset it: the peak may predate the evaluation)"
        }
    );
}

/// One measured routine. `decisions` is how many records one call decides
/// (criterion's `Throughput::Elements`), 0 for a one-off operation (c, d).
struct Case<'a> {
    group: &'static str,
    id: &'static str,
    decisions: u64,
    run: Box<dyn FnMut() -> usize + 'a>,
}

/// A case that does not turn the cache off.
fn case<'a>(
    group: &'static str,
    id: &'static str,
    decisions: u64,
    run: Box<dyn FnMut() -> usize + 'a>,
) -> Case<'a> {
    Case {
        group,
        id,
        decisions,
        run,
    }
}

impl Case<'_> {
    fn name(&self) -> String {
        format!("{}/{}", self.group, self.id)
    }
    fn call(&mut self) -> usize {
        (self.run)()
    }
}

/// What the cases run on, built once.
struct Data {
    policy: Policy,
    as_of: Date,
    people: Vec<Applicant>,
    records: Vec<Facts>,
    texts: Vec<String>,
    header: ReportHeader,
    wasm_path: PathBuf,
    /// A runtime whose native-code cache is in the scratch folder, and
    /// one without a cache.
    cached: Runtime,
    uncached: Runtime,
}

/// A case of `evaluate_each` over the 1,000 applicants, filling each
/// record with `fill` and reading both decisions.
fn each_case<'d>(
    d: &'d Data,
    name: &'static str,
    fill: impl Fn(&BatchFields, &mut RecordWriter<'_>, &Applicant) + 'd,
) -> Case<'d> {
    let fields = BatchFields::new(&d.policy);
    case("a_typed", name, RECORDS as u64, {
        Box::new(move || {
            let mut total = 0;
            d.policy.evaluate_each(
                black_box(&d.people),
                d.as_of,
                |a, record| fill(&fields, record, a),
                |_, r| total += read_one(&fields, r.unwrap()),
            );
            total
        })
    })
}

fn cases(d: &Data) -> Vec<Case<'_>> {
    let (policy, as_of) = (&d.policy, d.as_of);
    let n = RECORDS as u64;
    vec![
        // (a) typed records, 1,000 per call. The headline: the same structs
        // the native function reads, written straight into the module's
        // memory, evaluated there, and every record's two decisions read
        // there (`evaluate_each`), all inside the measured loop.
        each_case(d, "rulebook_evaluate_each", BatchFields::fill_all),
        // The same, setting the facts one `set` at a time.
        each_case(d, "rulebook_evaluate_each_set", BatchFields::fill),
        // The same through a reused `Batch` (record images) and reused
        // `BatchResults`.
        case("a_typed", "rulebook_batch_from_structs", n, {
            let fields = BatchFields::new(policy);
            let mut batch = Batch::new(policy);
            let mut results = BatchResults::default();
            Box::new(move || {
                batch.clear();
                for a in black_box(&d.people) {
                    fields.write(&mut batch, a);
                }
                policy.evaluate_batch_into(&batch, as_of, &mut results);
                read_all(&fields, &results)
            })
        }),
        // The parts of the headline case, one at a time.
        case("a_parts", "fill_batch_from_structs", n, {
            let fields = BatchFields::new(policy);
            let mut batch = Batch::new(policy);
            Box::new(move || {
                batch.clear();
                for a in black_box(&d.people) {
                    fields.write(&mut batch, a);
                }
                batch.len()
            })
        }),
        case("a_parts", "evaluate_filled_batch", n, {
            let fields = BatchFields::new(policy);
            let mut batch = Batch::new(policy);
            for a in &d.people {
                fields.write(&mut batch, a);
            }
            let mut results = BatchResults::default();
            Box::new(move || {
                policy.evaluate_batch_into(black_box(&batch), as_of, &mut results);
                results.len()
            })
        }),
        case("a_parts", "read_results", n, {
            let fields = BatchFields::new(policy);
            let mut results = BatchResults::default();
            policy.evaluate_batch_into(&d.records, as_of, &mut results);
            Box::new(move || read_all(&fields, black_box(&results)))
        }),
        // The same from `Facts` built before the loop.
        case("a_typed", "rulebook_evaluate_batch_into", n, {
            let fields = BatchFields::new(policy);
            let mut results = BatchResults::default();
            Box::new(move || {
                policy.evaluate_batch_into(black_box(&d.records), as_of, &mut results);
                read_all(&fields, &results)
            })
        }),
        case(
            "a_typed",
            "rulebook_evaluate_batch",
            n,
            Box::new(move || policy.evaluate_batch(black_box(&d.records), as_of).len()),
        ),
        case(
            "a_typed",
            "rulebook_evaluate_one_by_one",
            n,
            Box::new(move || {
                black_box(&d.records)
                    .iter()
                    .map(|r| policy.evaluate(r, as_of))
                    .collect::<Vec<_>>()
                    .len()
            }),
        ),
        case(
            "a_typed",
            "native",
            n,
            Box::new(move || {
                black_box(&d.people)
                    .iter()
                    .map(native::decide)
                    .collect::<Vec<_>>()
                    .len()
            }),
        ),
        // (b) one facts JSON text in, the decisions JSON text out, for each of 1,000 texts.
        case(
            "b_json",
            "rulebook_evaluate_json",
            n,
            Box::new(move || {
                black_box(&d.texts)
                    .iter()
                    .map(|t| {
                        serde_json::to_string(&policy.evaluate_json(t, as_of).unwrap()).unwrap()
                    })
                    .map(|s| s.len())
                    .sum()
            }),
        ),
        case(
            "b_json",
            "rulebook_evaluate_json_text",
            n,
            Box::new(move || {
                black_box(&d.texts)
                    .iter()
                    .map(|t| policy.evaluate_json_text(t, as_of).unwrap())
                    .map(|s| s.len())
                    .sum()
            }),
        ),
        case(
            "b_json",
            "native_serde_json_value",
            n,
            Box::new(move || {
                black_box(&d.texts)
                    .iter()
                    .map(|t| native::decide_json(&d.header, t).unwrap())
                    .map(|s| s.len())
                    .sum()
            }),
        ),
        // (c) compile: source to a module ready to run (the process-wide
        // wasmtime Engine was created before).
        case(
            "c_compile",
            "source_to_ready_module",
            0,
            Box::new(move || {
                let p = d
                    .cached
                    .compile("benchmark.rules", black_box(SOURCE))
                    .unwrap();
                p.load().unwrap();
                p.wasm().len()
            }),
        ),
        case(
            "c_compile",
            "front_end_and_codegen_only",
            0,
            Box::new(move || {
                Policy::from_source("benchmark.rules", black_box(SOURCE))
                    .unwrap()
                    .wasm()
                    .len()
            }),
        ),
        // (d) load a compiled module from disk, then the first evaluation.
        // The engine keeps the native code of modules loaded from disk in a
        // cache that `rulebook compile` fills: measured with that cache
        // filled, and with it off (a full Cranelift compile per load).
        case(
            "d_cold_start",
            "from_wasm_file_and_evaluate_cached",
            0,
            Box::new(move || {
                let p = d.cached.load_wasm_file(black_box(&d.wasm_path)).unwrap();
                p.evaluate(&d.records[0], as_of).unwrap().decisions.len()
            }),
        ),
        case(
            "d_cold_start",
            "from_wasm_file_and_evaluate_cache_off",
            0,
            Box::new(move || {
                let p = d.uncached.load_wasm_file(black_box(&d.wasm_path)).unwrap();
                p.evaluate(&d.records[0], as_of).unwrap().decisions.len()
            }),
        ),
    ]
}

fn criterion_groups(c: &mut Criterion, cases: &mut [Case<'_>]) {
    let mut i = 0;
    while i < cases.len() {
        let group = cases[i].group;
        let mut g = c.benchmark_group(group);
        if cases[i].decisions > 0 {
            g.throughput(Throughput::Elements(cases[i].decisions));
        } else {
            // Milliseconds per call: fewer, flat samples.
            g.sample_size(20).sampling_mode(SamplingMode::Flat);
        }
        while i < cases.len() && cases[i].group == group {
            let case = &mut cases[i];
            g.bench_function(case.id, |b| b.iter(|| case.call()));
            i += 1;
        }
        g.finish();
    }
}

/// CPU ns per call of a case, over about `window` of wall time.
fn cpu_ns_per_call(case: &mut Case<'_>, window: Duration) -> Option<f64> {
    measure::cpu_ns_per_call(&mut *case.run, window)
}

/// The ratio of two cases' CPU time per decision, measured in turns
/// (`rounds` rounds of `window` for each case, the two cases alternately):
/// the median and the range of the per-round ratios. Both cases of a round
/// run within a fraction of a second of each other, so a change in the
/// machine's speed (another process, the clock) moves both: the figure to
/// quote for a target stated as a ratio.
fn paired_ratio(
    cases: &mut [Case<'_>],
    (engine, base): (&str, &str),
    rounds: usize,
    window: Duration,
) -> Option<(f64, f64, f64)> {
    let i = cases.iter().position(|c| c.name() == engine)?;
    let j = cases.iter().position(|c| c.name() == base)?;
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let e = cpu_ns_per_call(&mut cases[i], window)? / cases[i].decisions as f64;
        let n = cpu_ns_per_call(&mut cases[j], window)? / cases[j].decisions as f64;
        ratios.push(e / n);
    }
    ratios.sort_by(f64::total_cmp);
    Some((ratios[rounds / 2], ratios[0], ratios[rounds - 1]))
}

/// The tables of docs/performance.md, from `ns(case name)` per call.
fn print_tables(title: &str, ns: &dyn Fn(&str) -> Option<f64>) {
    println!("\n{title}");
    println!("| case | Rulebook ns/decision | native ns/decision | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let per = |id: &str| ns(id).map(|ns| ns / RECORDS as f64);
    for (case, engine, base) in [
        (
            "(a) typed, structs -> `evaluate_each`, values read",
            "a_typed/rulebook_evaluate_each",
            "a_typed/native",
        ),
        (
            "(a) typed, structs -> `evaluate_each` with `set` per field, values read",
            "a_typed/rulebook_evaluate_each_set",
            "a_typed/native",
        ),
        (
            "(a) typed, structs -> `Batch` -> `evaluate_batch_into`, values read",
            "a_typed/rulebook_batch_from_structs",
            "a_typed/native",
        ),
        (
            "(a) typed, `Facts` -> `evaluate_batch_into`, values read",
            "a_typed/rulebook_evaluate_batch_into",
            "a_typed/native",
        ),
        (
            "(a) typed, `evaluate_batch` of 1,000 (owned `Outcome`s)",
            "a_typed/rulebook_evaluate_batch",
            "a_typed/native",
        ),
        (
            "(a) typed, `evaluate` one record at a time",
            "a_typed/rulebook_evaluate_one_by_one",
            "a_typed/native",
        ),
        (
            "(b) JSON text in and out, `evaluate_json` + `to_string`",
            "b_json/rulebook_evaluate_json",
            "b_json/native_serde_json_value",
        ),
        (
            "(b) JSON text in and out, `evaluate_json_text`",
            "b_json/rulebook_evaluate_json_text",
            "b_json/native_serde_json_value",
        ),
    ] {
        match (per(engine), per(base)) {
            (Some(e), Some(n)) => println!("| {case} | {e:.0} | {n:.0} | {:.1}x |", e / n),
            _ => println!("| {case} | (not measured) | | |"),
        }
    }
    let ms = |id: &str| {
        ns(id).map_or_else(
            || "(not measured)".into(),
            |ns| format!("{:.3} ms", ns / 1e6),
        )
    };
    println!(
        "(c) source to ready module: {} (front end and codegen alone: {})",
        ms("c_compile/source_to_ready_module"),
        ms("c_compile/front_end_and_codegen_only")
    );
    println!(
        "(d) from_wasm_file + first evaluate: {} with the native code cached, {} with the cache off",
        ms("d_cold_start/from_wasm_file_and_evaluate_cached"),
        ms("d_cold_start/from_wasm_file_and_evaluate_cache_off")
    );
}

/// A directory of this run's files (the module of case d and the engine's
/// native code cache), so that the benchmark leaves nothing in `~/.cache`.
fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("rulebook-bench-{}", std::process::id()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; `cargo test --benches` does not (criterion
    // then runs each benchmark once as a test): skip the one-offs there.
    let measuring = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a == "--profile-time");

    let scratch = scratch_dir();
    std::fs::create_dir_all(&scratch).unwrap();
    let mut config = RuntimeConfig::from_env();
    config.cache_dir = Some(scratch.join("cache"));
    let cached = Runtime::new(config.clone()).unwrap();
    config.cache_dir = None;
    let uncached = Runtime::new(config).unwrap();

    let as_of = Date::parse("2026-11-27").unwrap();
    // The runtimes (wasmtime engines) are made above, so that no case
    // below pays for one.
    let policy = cached.compile("benchmark.rules", SOURCE).unwrap();
    policy.load().unwrap();

    if measuring {
        peak_memory(&policy, as_of);
    }

    let people = applicants(&mut Rng(2026), RECORDS);
    let records: Vec<Facts> = people.iter().map(|a| facts(&policy, a)).collect();
    let texts: Vec<String> = people.iter().map(facts_json).collect();
    let header = report_header(&policy, as_of);
    sanity_check(&policy, as_of, &people, &records, &texts, &header);
    let wasm_path = scratch.join("benchmark.wasm");
    std::fs::write(&wasm_path, policy.wasm()).unwrap();
    policy.warm_cache().unwrap();
    let data = Data {
        policy,
        as_of,
        people,
        records,
        texts,
        header,
        wasm_path,
        cached,
        uncached,
    };
    let mut cases = cases(&data);

    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c, &mut cases);
    c.final_summary();

    if measuring {
        print_tables(
            "summary: criterion's estimates (wall time; per decision = per record)",
            &measure::criterion_ns,
        );
        // Thread CPU time is insensitive to other processes competing for
        // the core, which wall time is not (the figures to trust on a busy
        // machine); 2 s of wall time per case.
        let cpu: Vec<(String, Option<f64>)> = cases
            .iter_mut()
            .map(|case| (case.name(), cpu_ns_per_call(case, Duration::from_secs(2))))
            .collect();
        print_tables(
            "summary: thread CPU time (from /proc/thread-self/schedstat, 2 s per case)",
            &|id| cpu.iter().find(|(n, _)| n == id).and_then(|(_, ns)| *ns),
        );
        const ROUNDS: usize = 15;
        println!(
            "\nsummary: paired thread CPU time, Rulebook and native in turns \
             ({ROUNDS} rounds of 0.2 s each; the ratio of each round)"
        );
        println!("| case | median ratio | range |");
        println!("| --- | ---: | ---: |");
        for (case, pair) in [
            (
                "(a) typed, structs -> `evaluate_each`, values read",
                ("a_typed/rulebook_evaluate_each", "a_typed/native"),
            ),
            (
                "(b) JSON text in and out, `evaluate_json_text`",
                (
                    "b_json/rulebook_evaluate_json_text",
                    "b_json/native_serde_json_value",
                ),
            ),
        ] {
            match paired_ratio(&mut cases, pair, ROUNDS, Duration::from_millis(200)) {
                Some((median, lo, hi)) => {
                    println!("| {case} | {median:.2}x | {lo:.2}x to {hi:.2}x |")
                }
                None => println!("| {case} | (not measured) | |"),
            }
        }
    }
    drop(cases);
    let _ = std::fs::remove_dir_all(&scratch);
}
