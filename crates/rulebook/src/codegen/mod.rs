//! Codegen: a checked [`Program`] -> one self-contained WebAssembly module
//! (the only user of wasm-encoder). The module imports nothing, owns a
//! bounded memory, exports `memory` and `evaluate`, and carries its
//! [`Meta`] in the `rulebook.meta` custom section. The memory layout and value
//! encodings are fixed in [`crate::abi`].
//!
//! A record that has every input the evaluation reads (and every field of
//! every list element) is evaluated by code inlined in `evaluate`'s loop,
//! with no unknown-fact bookkeeping and no presence test beyond one per
//! presence word. A record without some of them takes a second copy, in
//! the same loop, that tests each input where it reads it, so that a
//! record without an input it never needs stays fast; in a large policy,
//! the fast parts of a split evaluation do the same (see [`split`]). The
//! full record function implements the three-valued logic with
//! missing-fact bitsets: it takes any record the fast evaluations leave,
//! because a fact it reads is absent, or because it fails (an overflow, no
//! clause applies, ...) or leaves the range of an inline fast path (a
//! product beyond 2^56, say): the full function then reports the failure,
//! or computes the value exactly.

mod emit;
mod expr;
mod helpers;
mod inline;
mod scratch;
mod split;
#[cfg(test)]
mod tests;

use crate::abi::{self, Layout, Meta};
use crate::program::{Computed, Program};
use emit::{FnBuilder, Label, Local};
pub use expr::MAX_ITEM_SIZE;
use expr::{Io, Mode, Presence};
use helpers::Helper;
pub use split::Split;
use std::collections::HashMap;
use wasm_encoder::{
    CodeSection, ConstExpr, CustomSection, DataSection, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, Instruction as I, MemArg, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};

/// Function indices: entry points first, then the helpers the module uses,
/// in [`helpers::ALL`] order. While the record functions are generated a
/// helper is called by its provisional index, its position in
/// [`helpers::ALL`] after the entry points; [`compile`] then renumbers.
const FN_EVALUATE: u32 = 0;
const FN_RECORD_FULL: u32 = 1;
const FIRST_HELPER: u32 = 2;

fn helper_index(h: Helper) -> u32 {
    // `helpers::ALL` lists every `Helper` variant (`every_helper_is_listed`), so
    // `position` always finds `h`: the 0 is never taken.
    FIRST_HELPER + helpers::ALL.iter().position(|x| *x == h).unwrap_or(0) as u32
}

/// The helpers called from `bodies` (by provisional index) and those they
/// call in turn, in [`helpers::ALL`] order.
fn used_helpers(bodies: &[&FnBuilder]) -> Vec<Helper> {
    let mut used = [false; helpers::ALL.len()];
    for body in bodies {
        for f in body.calls() {
            if let Some(slot) = f
                .checked_sub(FIRST_HELPER)
                .and_then(|i| used.get_mut(i as usize))
            {
                *slot = true;
            }
        }
    }
    // close over dependencies (today one pass would do: no dependency has
    // dependencies of its own)
    loop {
        let mut changed = false;
        for (i, h) in helpers::ALL.iter().enumerate() {
            if used[i] {
                for d in h.deps() {
                    // every helper is in ALL (`every_helper_is_listed`):
                    // the fallback to `i` is never taken
                    let j = helpers::ALL.iter().position(|x| x == d).unwrap_or(i);
                    changed |= !used[j];
                    used[j] = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    helpers::ALL
        .iter()
        .zip(used)
        .filter_map(|(h, u)| u.then_some(*h))
        .collect()
}

/// A compiled policy: the module bytes and their metadata.
pub struct Compiled {
    pub wasm: Vec<u8>,
    pub meta: Meta,
}

/// Why a checked program has no module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// One define or decision is larger than one function may be
    /// ([`expr::MAX_ITEM_SIZE`]).
    TooLarge(Computed),
    /// The module is not valid WebAssembly: a bug of this compiler, caught
    /// here in debug builds (release builds leave it to wasmtime, which
    /// refuses the module when it is loaded).
    Invalid(String),
}

/// Compiles a checked program. `hash` is the SHA-256 hex of its source.
pub fn compile(program: &Program, hash: &str) -> Result<Compiled, Refused> {
    compile_with(program, hash, Split::Auto)
}

/// Compiles a checked program, splitting its record evaluation as `split`
/// says (see [`split`]); a debug build validates the module.
pub fn compile_with(program: &Program, hash: &str, split: Split) -> Result<Compiled, Refused> {
    compile_marking(program, hash, split, false)
}

/// The bit a module compiled with `mark_full` sets in the detail word of
/// each record the full function evaluated (benchmarks count them; never
/// in a module that is written or served).
pub const FULL_BODY_MARK: u32 = 1 << 30;

/// [`compile_with`], and with `mark_full` every record that the fast
/// evaluation did not finish (incomplete, or left by it) gets
/// [`FULL_BODY_MARK`] in its detail word.
pub fn compile_marking(
    program: &Program,
    hash: &str,
    split: Split,
    mark_full: bool,
) -> Result<Compiled, Refused> {
    let mut meta = Meta::of(program, hash);
    let mut strings = Strings::default();
    let mut sites = Sites::default();
    let unsplit = match split {
        Split::Auto => record_function(program, &meta, &mut strings, &mut sites)?,
        Split::EveryItem => None,
    };
    // entry points, then the parts of a split evaluation, the full ones and
    // then the fast ones (the helpers are placed between them below)
    let (mut entries, mut parts, full_parts) = match unsplit {
        Some(full) => {
            let (s, t) = (&mut strings, &mut sites);
            let (checking, read, tested) = checking_copy(program, &meta, s, t);
            // a long fast evaluation tests its inputs where it reads them,
            // only: the tests are a small share of it, and a second copy
            // would lengthen the native compile
            let first = (checking <= CHECKED_FIRST_UP_TO).then_some(Lacking {
                read: &read,
                tested: &tested,
            });
            let evaluate =
                evaluate_function(program, &meta, s, t, (Fast::Inline(first), mark_full));
            ([evaluate, full], Vec::new(), 0)
        }
        None => {
            let scratch = split::scratch(program, &meta);
            strings = Strings::from(scratch.end().next_multiple_of(8));
            sites = Sites::default();
            let (s, t) = (&mut strings, &mut sites);
            let mut parts = split::parts(program, &meta, s, t, scratch, (split, false))?;
            let fast = split::parts(program, &meta, s, t, scratch, (split, true))?;
            let full_parts = parts.len();
            let tags: Vec<u32> = (full_parts..full_parts + fast.len())
                .map(|k| split::FIRST_PART_TAG + k as u32)
                .collect();
            parts.extend(fast);
            let full = split::record_function(full_parts, scratch, &meta);
            let evaluate = evaluate_function(program, &meta, s, t, (Fast::Parts(&tags), mark_full));
            ([evaluate, full], parts, full_parts)
        }
    };
    let bodies: Vec<&FnBuilder> = entries.iter().chain(&parts).collect();
    let used = used_helpers(&bodies);
    // only helpers in `used` are renumbered: those the bodies call and,
    // through `used_helpers`' closure, those they call in turn; the 0 is
    // never taken
    let final_index =
        |h: Helper| FIRST_HELPER + used.iter().position(|x| *x == h).unwrap_or(0) as u32;
    let first_part = FIRST_HELPER + used.len() as u32;
    let renumber = |f: u32| {
        if let Some(k) = f.checked_sub(split::FIRST_PART_TAG) {
            return first_part + k;
        }
        match f
            .checked_sub(FIRST_HELPER)
            .and_then(|i| helpers::ALL.get(i as usize))
        {
            Some(h) => final_index(*h),
            None => f,
        }
    };
    for body in entries.iter_mut().chain(&mut parts) {
        body.remap_calls(renumber);
    }
    meta.sites = sites.list;
    meta.heap_base = strings.end().next_multiple_of(8).max(16);

    let mut module = Module::new();
    let mut types = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut add = |params: Vec<ValType>, results: Vec<ValType>, body: Function| {
        let ty = types.len();
        types.ty().function(params, results);
        functions.function(ty);
        code.function(&body);
    };
    use ValType::I32;
    let [evaluate, full] = entries;
    add(vec![I32, I32, I32, I32], vec![I32], evaluate.finish());
    add(vec![I32, I32, I32], vec![], full.finish());
    for h in &used {
        let (params, results) = h.signature();
        add(params, results, h.body(&final_index));
    }
    for (k, part) in parts.into_iter().enumerate() {
        // a fast part returns whether it left the record to the full one
        let results = if k < full_parts { vec![] } else { vec![I32] };
        add(vec![I32, I32, I32], results, part.finish());
    }
    module.section(&types);
    module.section(&functions);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: u64::from(meta.heap_base).div_ceil(abi::PAGE).max(1),
        maximum: Some(abi::MAX_PAGES),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let initial = helpers::globals(&used);
    if !initial.is_empty() {
        let mut globals = GlobalSection::new();
        let ty = GlobalType {
            val_type: ValType::I64,
            mutable: true,
            shared: false,
        };
        for v in initial {
            globals.global(ty, &ConstExpr::i64_const(*v));
        }
        module.section(&globals);
    }
    let mut exports = ExportSection::new();
    exports.export(abi::EXPORT_MEMORY, ExportKind::Memory, 0);
    exports.export(abi::EXPORT_EVALUATE, ExportKind::Func, FN_EVALUATE);
    module.section(&exports);
    module.section(&code);
    let mut data = DataSection::new();
    if !strings.bytes.is_empty() {
        data.active(
            0,
            &ConstExpr::i32_const(strings.base as i32),
            strings.bytes.iter().copied(),
        );
    }
    module.section(&data);
    // `Meta` holds only strings, numbers, bools and vectors of structs of
    // them (no maps with non-string keys, no custom serializers), so
    // serializing it does not fail; were it to, the module is refused
    // rather than written without its metadata. The module tests read
    // every module's metadata back and compare it with the policy's.
    let meta_json = serde_json::to_vec(&meta)
        .map_err(|e| Refused::Invalid(format!("the module's metadata: {e}")))?;
    module.section(&CustomSection {
        name: abi::META_SECTION.into(),
        data: meta_json.into(),
    });
    let wasm = module.finish();
    // wasmtime validates every module it compiles, and every path that
    // writes a module loads it first (`rulebook compile` warms the cache):
    // a release build leaves validation to it rather than doing it twice
    // (about a tenth of check and codegen's time). Debug builds, which the
    // tests run in, validate here, so that the tests that compile without
    // loading still catch an invalid module.
    if cfg!(debug_assertions) {
        wasmparser::Validator::new()
            .validate_all(&wasm)
            .map_err(|e| Refused::Invalid(e.to_string()))?;
    }
    Ok(Compiled { wasm, meta })
}

/// Text constants, placed in a data segment from address `base`.
struct Strings {
    base: u32,
    bytes: Vec<u8>,
    index: HashMap<String, u32>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings::from(16)
    }
}

impl Strings {
    /// No texts yet; the first will be placed at address `base`.
    fn from(base: u32) -> Self {
        Strings {
            base,
            bytes: Vec::new(),
            index: HashMap::new(),
        }
    }
    /// The packed `ptr | len << 32` of a constant text.
    fn packed(&mut self, s: &str) -> i64 {
        let ptr = match self.index.get(s) {
            Some(p) => *p,
            None => {
                let p = self.base + self.bytes.len() as u32;
                self.bytes.extend_from_slice(s.as_bytes());
                self.index.insert(s.to_string(), p);
                p
            }
        };
        i64::from(ptr) | ((s.len() as i64) << 32)
    }
    /// The bytes of a packed constant text made by [`Strings::packed`].
    fn text(&self, packed: i64) -> Option<&[u8]> {
        let start = (packed as u32).checked_sub(self.base)? as usize;
        let len = (packed >> 32) as usize;
        self.bytes.get(start..start.checked_add(len)?)
    }
    fn end(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }
}

/// Places where evaluation can fail, for error messages.
#[derive(Default)]
struct Sites {
    list: Vec<abi::SiteMeta>,
    index: HashMap<(String, u32), u32>,
}

impl Sites {
    fn site(&mut self, context: &str, line: u32) -> i32 {
        let key = (context.to_string(), line);
        if let Some(i) = self.index.get(&key) {
            return *i as i32;
        }
        let i = self.list.len() as u32;
        self.list.push(abi::SiteMeta {
            context: context.to_string(),
            line,
        });
        self.index.insert(key, i);
        i as i32
    }
}

fn mem(offset: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: 3,
        memory_index: 0,
    }
}

fn mem32(offset: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: 2,
        memory_index: 0,
    }
}

/// The longest fast evaluation (wasm instructions) whose inputs are
/// tested before it starts, in one test a presence word, with a second
/// copy for records that lack some, testing each input where it reads it
/// (both in the record loop; [`checking_copy`] tells which inputs it
/// reads). A longer one only tests each input where it reads it: the
/// tests are then a small share of its time, and the second copy would
/// lengthen the native compile (by a quarter for council tax reduction,
/// the largest shipped policy, whose fast evaluation is about 2,400
/// instructions; the benchmark policy's is about 450).
const CHECKED_FIRST_UP_TO: usize = 1_000;

/// Where `evaluate`'s fast evaluation is.
enum Fast<'a> {
    /// Generated right into the record loop. `Some`: for a record that has
    /// every input it reads, any other taking a second copy that tests
    /// each input where it reads it, when that can keep it on the fast
    /// path; `None`: only the copy testing each input where it reads it.
    Inline(Option<Lacking<'a>>),
    /// In the fast parts of a split evaluation, called in turn (their
    /// provisional indices).
    Parts(&'a [u32]),
}

/// The inputs that the inline fast evaluation reads, and what happens to
/// a record without some of them (by index, ascending).
#[derive(Clone, Copy)]
struct Lacking<'a> {
    /// Every input the fast evaluation reads: a record that has them all
    /// takes the inline copy, which tests them before it starts.
    read: &'a [usize],
    /// Those that the checking copy reads on every path, testing each
    /// where it reads it: a record without one of these would leave it,
    /// so it goes straight to the full function.
    tested: &'a [usize],
}

impl Lacking<'_> {
    /// Whether a record without some input read can still be evaluated
    /// by the checking copy: it reads some input only on some paths.
    fn can_stay_fast(&self) -> bool {
        self.read
            .iter()
            .any(|i| self.tested.binary_search(i).is_err())
    }
}

/// `evaluate(in_ptr, count, out_ptr, as_of) -> 0`: every record in turn, a
/// complete one by the fast evaluation (generated right into the loop, or
/// called part by part), and any other (or one whose fast evaluation
/// fails) by a call of the full function.
fn evaluate_function(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
    (fast, mark_full): (Fast, bool),
) -> FnBuilder {
    let mut f = FnBuilder::new(4);
    let (in_ptr, count, out_ptr, as_of) = (0, 1, 2, 3);
    // The record's address as an i64 that never wraps, up to the end of the
    // records (so that only it and `out` change from one record to the
    // next); the address the record is read at is its low 32 bits.
    let (at, end, rec) = (f.i64_local(), f.i64_local(), f.i32_local());
    let out = out_ptr;
    let in_size = i64::from(meta.input.size);
    f.get(in_ptr).op(I::I64ExtendI32U).set(at);
    f.get(count)
        .op(I::I64ExtendI32U)
        .i64c(in_size)
        .op(I::I64Mul);
    f.get(at).op(I::I64Add).set(end);
    let done = f.block();
    let top = f.loop_();
    // Up to four records an iteration when one's evaluation is short:
    // wasmtime checks its epoch deadline at each loop header, a cost that
    // is then shared by them.
    let start = f.len();
    let io = Io { rec, out, as_of };
    let loop_ = (at, end, done, mark_full);
    match fast {
        Fast::Inline(read) => {
            let record = (read, loop_);
            f = one_record(program, meta, strings, sites, f, record, io);
            let len = (f.len() - start).max(1);
            // not repeated when records lacking an input have the checking
            // copy: the loop's body holds two copies already, and more
            // would cost a quarter more native compile
            let has_checking = read.is_some_and(|r| r.can_stay_fast());
            let copies = match len < UNROLL_UP_TO && !has_checking {
                true => UNROLL_BUDGET / len,
                false => 1,
            };
            for _ in 1..copies.clamp(1, 4) {
                f = one_record(program, meta, strings, sites, f, record, io);
            }
        }
        Fast::Parts(parts) => f = one_record_by_parts(f, meta, parts, loop_, io),
    }
    f.br(top);
    f.end();
    f.end();
    f.i32c(0);
    f
}

/// The wasm instructions the record loop's body may take when it evaluates
/// more than one record an iteration: up to four records a loop while
/// their evaluations fit in it.
const UNROLL_BUDGET: usize = 4000;

/// The longest record evaluation the record loop repeats: beyond it the
/// epoch check shared by the copies is a negligible share of a record's
/// work, and a second copy would only double the native compile's work on
/// the fast evaluation (council tax reduction's, just under 2,000
/// instructions, took 1.5 times as long to compile with two).
const UNROLL_UP_TO: usize = 1500;

/// One record of the record loop: leaves to `done` at the end of the
/// records, else evaluates the record at `at`, then moves `at` and `out`
/// to the next. A record with every input the fast evaluation reads takes
/// its first copy (the inputs tested before it starts); any other, when it
/// has every input the second, checking copy reads on every path and that
/// copy can keep it fast, takes the second (each input tested where it is
/// read); both are inline. The full function takes the record when either
/// copy leaves it, or when neither can take it. With `lacking` None there
/// is only the checking copy.
fn one_record(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
    f: FnBuilder,
    (lacking, loop_): (Option<Lacking>, (Local, Local, Label, bool)),
    io: Io,
) -> FnBuilder {
    record_step(f, meta, loop_, io, |mut f, full| {
        let Some(inputs) = lacking else {
            let fast = Mode::Fast {
                fallback: full,
                presence: Presence::WhereRead,
            };
            return record_evaluation(program, meta, strings, sites, fast, f, io);
        };
        let done = f.block();
        let lacking = f.block();
        check_present(&mut f, &meta.input, io.rec, lacking, |i, _| {
            inputs.read.binary_search(&i).is_ok()
        });
        let fast = Mode::Fast {
            fallback: full,
            presence: Presence::Checked,
        };
        f = record_evaluation(program, meta, strings, sites, fast, f, io);
        f.br(done);
        f.end();
        if inputs.can_stay_fast() {
            check_present(&mut f, &meta.input, io.rec, full, |i, _| {
                inputs.tested.binary_search(&i).is_ok()
            });
            // the checking copy right here, as the first: no call, no
            // prologue saving registers, for the many records that lack
            // an input read on some paths only (an optional fact)
            let fast = Mode::Fast {
                fallback: full,
                presence: Presence::WhereRead,
            };
            f = record_evaluation(program, meta, strings, sites, fast, f, io);
        } else if !inputs.read.is_empty() {
            f.br(full);
        }
        f.end();
        f
    })
}

/// The checking copy of the fast evaluation, the one for a record without
/// some input that the first copy reads: each input tested where it is
/// read (see [`Presence::WhereRead`]). Made here to be measured: its
/// length (wasm instructions), the indices of the inputs it reads, and of
/// those it reads on every path. The record loop holds the copy itself
/// ([`one_record`]): before session 26 it was a function of its own,
/// called, and a record without an input took about 40 instructions more
/// (its prologue and epilogue; casework routing 330.1 a row now, 371.7
/// then).
fn checking_copy(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
) -> (usize, Vec<usize>, Vec<usize>) {
    let mut f = FnBuilder::new(3);
    let io = Io {
        rec: 0,
        out: 1,
        as_of: 2,
    };
    let mode = Mode::Fast {
        fallback: f.block(),
        presence: Presence::WhereRead,
    };
    let mut g = expr::Gen::new(program, meta, strings, sites, mode, f, io);
    g.keep_define_needs();
    for item in &program.order {
        g.item(*item);
    }
    let (read, tested) = (g.inputs_read(), g.inputs_tested_on_every_path());
    (g.finish().len(), read, tested)
}

/// One record of the record loop of a split evaluation: as [`one_record`],
/// the fast evaluation by calls of the fast `parts`, any of which can leave
/// the record to the full function.
fn one_record_by_parts(
    f: FnBuilder,
    meta: &Meta,
    parts: &[u32],
    loop_: (Local, Local, Label, bool),
    io: Io,
) -> FnBuilder {
    let Io { rec, out, as_of } = io;
    record_step(f, meta, loop_, io, |mut f, full| {
        for part in parts {
            f.get(rec).get(out).get(as_of).op(I::Call(*part));
            f.br_if(full);
        }
        // the parts have written every decision: ok, and every one known
        let ok_known = i64::from(abi::STATUS_OK) | (i64::from(abi::ALL_KNOWN) << 32);
        f.get(out).i64c(ok_known).op(I::I64Store(mem(0)));
        f
    })
}

/// The record loop's step around a fast evaluation: leaves to `done` at
/// the end of the records; else `fast` evaluates the record (breaking to
/// the label it is given to leave it to the full function, which then
/// evaluates it, marked when `mark_full`), and `at` and `out` move on.
fn record_step(
    mut f: FnBuilder,
    meta: &Meta,
    (at, end, done, mark_full): (Local, Local, Label, bool),
    io: Io,
    fast: impl FnOnce(FnBuilder, Label) -> FnBuilder,
) -> FnBuilder {
    let Io { rec, out, as_of } = io;
    f.get(at).get(end).op(I::I64Eq);
    f.br_if(done);
    f.get(at).op(I::I32WrapI64).set(rec);
    let next = f.block();
    let full = f.block();
    check_record_lists(&mut f, &meta.input, rec, full);
    f = fast(f, full);
    f.br(next);
    f.end();
    f.get(rec).get(out).get(as_of).op(I::Call(FN_RECORD_FULL));
    if mark_full {
        mark_full_body(&mut f, out);
    }
    f.end();
    next_record(&mut f, meta, at, out);
    f
}

/// Sets [`FULL_BODY_MARK`] in the detail word of the result record at
/// `out` when its status is ok (an error's detail says which error).
fn mark_full_body(f: &mut FnBuilder, out: Local) {
    f.get(out);
    f.get(out).op(I::I32Load(mem32(4)));
    // (status == ok) << 30
    f.get(out).op(I::I32Load(mem32(0)));
    f.i32c(abi::STATUS_OK).op(I::I32Eq);
    f.i32c(FULL_BODY_MARK.trailing_zeros() as i32).op(I::I32Shl);
    f.op(I::I32Or);
    f.op(I::I32Store(mem32(4)));
}

/// Moves `at` and `out` on to the next record.
fn next_record(f: &mut FnBuilder, meta: &Meta, at: Local, out: Local) {
    let in_size = i64::from(meta.input.size);
    f.get(at).i64c(in_size).op(I::I64Add).set(at);
    f.get(out)
        .i32c(meta.result_size as i32)
        .op(I::I32Add)
        .set(out);
}

/// Branches to `incomplete` unless every fact of the record at `rec` is
/// present, including every field of every list element.
fn check_complete(f: &mut FnBuilder, layout: &Layout, rec: Local, incomplete: Label) {
    check_present(f, layout, rec, incomplete, |_, _| true);
    check_lists(f, layout, rec, incomplete);
}

/// Before the fast evaluation of a record: its lists are present and every
/// field of every element is (its other inputs are checked by the record
/// loop, or where they are read: see [`one_record`]).
fn check_record_lists(f: &mut FnBuilder, layout: &Layout, rec: Local, incomplete: Label) {
    check_present(f, layout, rec, incomplete, |_, field| {
        matches!(field.ty, abi::ValueType::List { .. })
    });
    check_lists(f, layout, rec, incomplete);
}

/// Branches to `incomplete` unless every field of `layout` that `which`
/// picks (by index and field) is present in the record at `rec`.
fn check_present(
    f: &mut FnBuilder,
    layout: &Layout,
    rec: Local,
    incomplete: Label,
    which: impl Fn(usize, &abi::FieldMeta) -> bool,
) {
    let n = layout.fields.len();
    for w in 0..layout.presence_words as usize {
        let bits = (n - (w * 64).min(n)).min(64);
        let mut mask: i64 = 0;
        for b in 0..bits {
            let i = w * 64 + b;
            if layout.fields.get(i).is_some_and(|field| which(i, field)) {
                mask |= 1i64 << b;
            }
        }
        if mask == 0 {
            continue;
        }
        // the narrowest load that holds the word's bits (little-endian)
        let at = |align: u32| MemArg {
            offset: w as u64 * 8,
            align,
            memory_index: 0,
        };
        let (load, width) = match bits {
            1..=8 => (I::I64Load8U(at(0)), 8),
            9..=16 => (I::I64Load16U(at(1)), 16),
            17..=32 => (I::I64Load32U(at(2)), 32),
            _ => (I::I64Load(at(3)), 64),
        };
        f.get(rec).op(load);
        let all = if bits == 64 { -1 } else { (1i64 << bits) - 1 };
        if bits < width || mask != all {
            f.i64c(mask).op(I::I64And);
        }
        f.i64c(mask).op(I::I64Ne);
        f.br_if(incomplete);
    }
}

/// Branches to `incomplete` unless every element of every list of the
/// record at `rec` has all its fields (its own lists' elements too).
fn check_lists(f: &mut FnBuilder, layout: &Layout, rec: Local, incomplete: Label) {
    for field in &layout.fields {
        if let abi::ValueType::List { element } = &field.ty {
            let (p, k) = (f.i32_local(), f.i32_local());
            f.get(rec).op(I::I64Load(mem(field.offset)));
            f.op(I::I32WrapI64).set(p);
            f.get(rec).op(I::I64Load(mem(field.offset)));
            f.i64c(32).op(I::I64ShrU).op(I::I32WrapI64).set(k);
            let done = f.block();
            let top = f.loop_();
            f.get(k).op(I::I32Eqz);
            f.br_if(done);
            check_complete(f, element, p, incomplete);
            f.get(p).i32c(element.size as i32).op(I::I32Add).set(p);
            f.get(k).i32c(1).op(I::I32Sub).set(k);
            f.br(top);
            f.end();
            f.end();
        }
    }
}

/// `record_full(rec, out, as_of)`: the full evaluation of one record, with
/// the missing facts of every value, as one function; `None` as soon as it
/// grows past [`split::SPLIT_AT`] (the evaluation is then split).
fn record_function(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
) -> Result<Option<FnBuilder>, Refused> {
    let io = Io {
        rec: 0,
        out: 1,
        as_of: 2,
    };
    let mut g = expr::Gen::new(
        program,
        meta,
        strings,
        sites,
        Mode::Full,
        FnBuilder::new(3),
        io,
    );
    for item in &program.order {
        g.item(*item);
        if let Some(item) = g.oversized() {
            return Err(Refused::TooLarge(item));
        }
        if split::too_large(g.size()) {
            return Ok(None);
        }
    }
    Ok(Some(g.finish()))
}

/// One evaluation of every define and decision, appended to `f`: the full
/// one or the fast one for complete records.
fn record_evaluation(
    program: &Program,
    meta: &Meta,
    strings: &mut Strings,
    sites: &mut Sites,
    mode: Mode,
    f: FnBuilder,
    io: Io,
) -> FnBuilder {
    let mut g = expr::Gen::new(program, meta, strings, sites, mode, f, io);
    for item in &program.order {
        g.item(*item);
    }
    g.finish()
}
