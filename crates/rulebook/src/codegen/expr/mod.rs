//! Code for defines, decisions and expressions inside a record function.
//!
//! Every value is an i64 local (see [`crate::abi`] for encodings). In the full
//! function each value also has a missing-facts set: one i64 local per
//! 64 facts, or `None` where the word is statically zero. A value is unknown
//! exactly when its set is non-zero. The fast body (inlined in `evaluate`, or
//! a split policy's fast parts) has no sets at all, and leaves every
//! failure, and every operand outside an inline fast path's range, to the
//! full function.

use super::emit::{FnBuilder, Label, Local, Scope};
use super::helpers::Helper;
use super::scratch::Scratch;
use super::{helper_index, helpers, inline, mem, mem32, Sites, Strings};
use crate::abi::{self, FieldMeta, Layout, Meta};
use crate::num::DEC_SCALE;
use crate::program::*;
use std::collections::HashMap;
use wasm_encoder::Instruction as I;

mod arith;
mod clauses;
mod compare;
mod control;
mod deferred;

type Set = Vec<Option<Local>>;

/// Whether an expression is a constant (so its evaluation cannot fail).
fn is_constant(e: &Expr) -> bool {
    let num = |e: &Expr| match e.kind {
        ExprKind::Const(Const::Num(n)) => Some(n),
        _ => None,
    };
    match &e.kind {
        ExprKind::Const(_) => true,
        ExprKind::Promote(p, inner) => {
            let factor = match p {
                Promotion::IntToDec => DEC_SCALE,
                Promotion::IntToMoney => 100,
            };
            num(inner).and_then(|n| n.checked_mul(factor)).is_some()
        }
        ExprKind::Neg(inner) => num(inner).and_then(i64::checked_neg).is_some(),
        _ => false,
    }
}

/// A value and its missing-facts set.
#[derive(Clone)]
struct Val {
    v: Local,
    set: Set,
    /// The value when it is known at compile time (a constant, a promoted
    /// constant, a param with one undated value); `v` holds it too.
    k: Option<i64>,
}

/// A check that a read makes before it uses what it reads: made once in a
/// region of the function, it holds for the code after it in that region
/// (see [`FnBuilder::region`]), which does not make it again.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Check {
    /// The fast evaluation: input `i` of the fact record is present.
    Present(usize),
    /// The fast evaluation: define `i` was computed (not skipped).
    Ready(usize),
    /// The fast evaluation: deferred define `i` was computed here (see
    /// [`deferred`]).
    Computed(usize),
    /// The full evaluation: item `c` did not fail (else its failure is the
    /// reader's).
    NotFailed(Computed),
}

/// A computed define or decision: where its result and its failure live.
#[derive(Clone)]
struct Slot {
    value: Local,
    set: Set,
    /// The status and site of its failure (i32, 0 when it did not fail); the
    /// fast evaluation has none, as it never goes on after a failure.
    failure: Option<(Local, Local)>,
    aux: Option<Local>,
}

impl Slot {
    /// Every local the slot names: they live as long as the slot is read.
    fn locals(&self) -> Vec<Local> {
        let mut l = vec![self.value];
        l.extend(self.set.iter().flatten());
        l.extend(self.failure.iter().flat_map(|(e, s)| [*e, *s]));
        l.extend(self.aux);
        l
    }
}

/// Where a failure of the item being generated goes.
#[derive(Clone, Copy)]
enum OnFail {
    /// The full evaluation: the status and site into the item's locals, and
    /// out of the item (readers of the item propagate them).
    Item {
        err: Local,
        site: Local,
        label: Label,
    },
    /// The fast evaluation: to the full evaluation of the record, which
    /// reports the failure exactly.
    Fallback(Label),
}

/// The item being generated.
struct Current {
    on_fail: OnFail,
    context: String,
}

/// Which record evaluation to generate.
pub enum Mode {
    /// The full evaluation: missing-fact sets, and failures written to the
    /// result record.
    Full,
    /// The fast evaluation: no sets, and a failure (or, `Presence::
    /// WhereRead`, an absent input read) branches to `fallback`, where the
    /// full evaluation takes over.
    Fast { fallback: Label, presence: Presence },
}

/// Where the fast evaluation learns that the inputs it reads are present.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Before it starts: the caller checked every input it reads
    /// ([`Gen::inputs_read`] of an evaluation of the same items).
    Checked,
    /// Where it reads each: a record without an input it never reads
    /// stays fast, and a define that reads an absent one is skipped until
    /// it is read itself.
    WhereRead,
}

pub struct Gen<'a> {
    p: &'a Program,
    meta: &'a Meta,
    strings: &'a mut Strings,
    sites: &'a mut Sites,
    track: bool,
    /// In the fast evaluation, where a failure goes.
    fallback: Option<Label>,
    f: FnBuilder,
    words: usize,
    as_of: Local,
    defines: Vec<Option<Slot>>,
    decisions: Vec<Option<Slot>>,
    cur: Option<Current>,
    /// Bound list elements: pointer local and element layout.
    vars: Vec<(Local, Layout)>,
    /// The fact record (i32).
    rec: Local,
    /// The result record (i32).
    out: Local,
    /// The block around the whole evaluation, left once the result record is written.
    body: Label,
    /// In the fast evaluation, the bounds that some fresh locals' values
    /// are known to lie within (set where the local is defined, so they
    /// hold wherever it is read): an overflow check they rule out is not
    /// emitted.
    bounds: HashMap<Local, (i64, i64)>,
    /// In the fast evaluation, the fresh locals whose text is always one
    /// of the module's constant texts (a `when` decision whose every value
    /// is one), each of which has one packed value (see `Strings::packed`):
    /// such a text equals a constant exactly when their packed values are
    /// equal, one comparison of two numbers.
    interned: std::collections::HashSet<Local>,
    /// In the full evaluation, the value a comparison computed before it
    /// was selected to 0 for an unknown operand ([`Gen::pure_strict`]): by
    /// the local of the selected value. Where the value is known (the
    /// "known" arm of a clause's test) the two are equal, and reading the
    /// first leaves the select to be dropped when nothing else reads it.
    raw_when_known: HashMap<Local, Local>,
    /// In one function of a split evaluation, where the items computed by
    /// the functions before it are (see [`super::split`]).
    scratch: Option<Scratch>,
    /// In one function of a split full evaluation: where, at its start,
    /// the items computed by earlier functions are loaded (the first time
    /// one is read), and those loaded so far. Each is loaded once however
    /// often the function reads it, into locals no other value takes.
    preloaded: Option<(usize, HashMap<Computed, Slot>)>,
    /// See [`Gen::oversized`].
    oversized: Option<Computed>,
    /// In the fast evaluation, for each define: the i32 local that is 1
    /// once it is computed. A define whose evaluation fails (it reads an
    /// absent fact, say) leaves it 0 and the evaluation goes on: only a
    /// read of that define leaves for the full evaluation, as the
    /// interpreter fails only where such a define is read.
    define_ready: Vec<Option<Local>>,
    /// In the fast evaluation that tests each input where it reads it, for
    /// each define: the inputs without any of which it is skipped, on
    /// every path (see [`Gen::inputs_tested_on_every_path`]).
    define_needs: Vec<Vec<usize>>,
    /// Whether `define_needs` is kept: only for the out-of-line fast
    /// evaluation, whose caller asks [`Gen::inputs_tested_on_every_path`]
    /// (see [`Gen::keep_define_needs`]).
    keeps_define_needs: bool,
    /// While `define_needs` is kept: the checks made, in order, so that a
    /// define's needs are read from the checks made while it was computed.
    check_log: Vec<Check>,
    /// In the fast evaluation, the fact record's presence words (i64),
    /// loaded once at its start: an input's presence is then tested in a
    /// register where it is read (`Presence::WhereRead`).
    presence_words: Vec<Local>,
    /// Whether the fast evaluation tests each input's presence where it
    /// reads it (`Presence::WhereRead`).
    check_where_read: bool,
    /// In the full evaluation, the fact record's presence words inverted
    /// (i64, a bit set where the input is absent), loaded once at its
    /// start: an input's missing-fact bit is then one mask of a register
    /// wherever it is read.
    absent_words: Vec<Local>,
    /// The record's inputs read so far (by index).
    read: Vec<bool>,
    /// The checks made so far, each with the region it was made in and
    /// where in the function (see [`FnBuilder::holds`]).
    checked: HashMap<Check, (u32, usize)>,
    /// In the full evaluation, inside [`Gen::numeric_strict`]: the i32
    /// local that is 1 when every operand is known. The operation is
    /// computed whatever its operands, and fails only when it is 1.
    fail_guard: Option<Local>,
    /// In the fast evaluation, while an expression whose inputs' presence
    /// its caller tests is generated: reads test nothing (see
    /// `fast_logic_unbranched`).
    unchecked_reads: bool,
    /// In the fast evaluation, which defines are computed where they are
    /// read ([`deferred::plan`], made when the first define is reached in
    /// an evaluation that defers any), and for each its locals once it
    /// stands in the order (see [`deferred`]).
    deferrable: Option<Vec<deferred::Deferral>>,
    deferred: Vec<Option<deferred::Deferred>>,
    /// The loops open where the evaluation starts (the record loop's).
    loops_at_start: usize,
}

/// The most wasm instructions, and locals taken at once, that the full
/// evaluation of one define or decision may need. One item is one function
/// (see [`super::split`]), and the native compiler's time grows faster than
/// linearly in a function's size: bounding each item bounds that time, so
/// that a policy's compile time grows linearly with its number of items.
/// About 4,500 `require`s in one decision, 30,000 constants or 1,200
/// computed items in one `in` list (each compiles in a few seconds); far
/// beyond any real policy.
pub const MAX_ITEM_SIZE: (usize, usize) = (250_000, 6_000);

/// The magnitude up to which the fast evaluation computes a product by a
/// constant inline (2^56: £720 trillion in pence, 72 billion as a decimal);
/// the full evaluation computes larger ones exactly. Sums of up to 2^7 such
/// products cannot overflow, so they need no check.
pub(super) const FAST_MAGNITUDE: i64 = 1 << 56;

/// The locals (i32) a record evaluation reads: the fact record, the result
/// record and `as_of`.
#[derive(Clone, Copy)]
pub struct Io {
    pub rec: Local,
    pub out: Local,
    pub as_of: Local,
}

impl<'a> Gen<'a> {
    /// Starts generating one record evaluation into `f`, at its current
    /// position (a function body of its own, or inside a loop).
    pub fn new(
        p: &'a Program,
        meta: &'a Meta,
        strings: &'a mut Strings,
        sites: &'a mut Sites,
        mode: Mode,
        mut f: FnBuilder,
        io: Io,
    ) -> Self {
        let (fallback, check_where_read) = match mode {
            Mode::Full => (None, false),
            Mode::Fast { fallback, presence } => (Some(fallback), presence == Presence::WhereRead),
        };
        let as_of = f.i64_local();
        f.get(io.as_of).op(I::I64ExtendI32S).set(as_of);
        let presence_words = match check_where_read {
            false => Vec::new(),
            true => (0..meta.input.presence_words)
                .map(|w| {
                    let l = f.i64_local();
                    f.get(io.rec).op(I::I64Load(mem(w * 8))).set(l);
                    l
                })
                .collect(),
        };
        let absent_words = match fallback {
            Some(_) => Vec::new(),
            None => (0..meta.input.presence_words)
                .map(|w| {
                    let l = f.i64_local();
                    f.get(io.rec).op(I::I64Load(mem(w * 8)));
                    f.i64c(-1).op(I::I64Xor).set(l);
                    l
                })
                .collect(),
        };
        let body = f.block();
        let loops_at_start = f.loops_open();
        Gen {
            p,
            meta,
            strings,
            sites,
            track: fallback.is_none(),
            fallback,
            f,
            words: meta.missing_words as usize,
            as_of,
            defines: vec![None; p.defines.len()],
            decisions: vec![None; p.decisions.len()],
            cur: None,
            vars: Vec::new(),
            rec: io.rec,
            out: io.out,
            body,
            bounds: HashMap::new(),
            interned: Default::default(),
            raw_when_known: HashMap::new(),
            scratch: None,
            preloaded: None,
            oversized: None,
            define_ready: vec![None; p.defines.len()],
            define_needs: vec![Vec::new(); p.defines.len()],
            keeps_define_needs: false,
            check_log: Vec::new(),
            presence_words,
            check_where_read,
            absent_words,
            read: vec![false; meta.input.fields.len()],
            checked: HashMap::new(),
            fail_guard: None,
            unchecked_reads: false,
            deferrable: None,
            deferred: vec![None; p.defines.len()],
            loops_at_start,
        }
    }

    /// The indices of the record's inputs read so far.
    pub fn inputs_read(&self) -> Vec<usize> {
        (self.read.iter().enumerate())
            .filter_map(|(i, r)| r.then_some(i))
            .collect()
    }

    /// Keeps, for each define, the inputs without which it is skipped, so
    /// that [`Gen::inputs_tested_on_every_path`] counts those of the
    /// defines it needs computed (work only the out-of-line fast
    /// evaluation's caller wants).
    pub fn keep_define_needs(&mut self) {
        self.keeps_define_needs = true;
    }

    /// The indices of the record's inputs whose presence every path to
    /// here has tested, leaving when one is absent (a fast evaluation that
    /// tests each input where it reads it): a record without one of them
    /// has left by now. An input counts when it was tested itself, or when
    /// a define that a record without it skips was tested to be computed.
    pub fn inputs_tested_on_every_path(&self) -> Vec<usize> {
        let mut tested: Vec<bool> = (0..self.read.len())
            .map(|i| self.is_checked(Check::Present(i)))
            .collect();
        for (d, needs) in self.define_needs.iter().enumerate() {
            if self.is_checked(Check::Ready(d)) {
                for &i in needs {
                    if let Some(t) = tested.get_mut(i) {
                        *t = true;
                    }
                }
            }
        }
        (tested.iter().enumerate())
            .filter_map(|(i, t)| t.then_some(i))
            .collect()
    }

    /// Whether `check` was made where it still holds; if not, notes that it
    /// is made here (the caller then makes it).
    fn already_checked(&mut self, check: Check) -> bool {
        if self.is_checked(check) {
            return true;
        }
        // held past the end of a block only once `check_made` says where
        // the check's code ends: until then, only in its open region
        self.checked.insert(check, (self.f.region(), usize::MAX));
        if self.keeps_define_needs {
            self.check_log.push(check);
        }
        false
    }

    /// The inputs without any of which the code emitted since the check
    /// log's entry `start` has left, on every path to here: those it
    /// tested itself, and those of the defines it tested to be computed.
    /// (A check made before `start` and not made again is not counted:
    /// fewer needs only send more records to the out-of-line copy.)
    fn tested_since(&self, start: usize) -> Vec<usize> {
        let mut needs = Vec::new();
        for &check in self.check_log.get(start..).unwrap_or_default() {
            if !self.is_checked(check) {
                continue;
            }
            match check {
                Check::Present(i) => needs.push(i),
                Check::Ready(d) => needs.extend(self.define_needs.get(d).into_iter().flatten()),
                Check::NotFailed(_) | Check::Computed(_) => {}
            }
        }
        needs.sort_unstable();
        needs.dedup();
        needs
    }

    /// Notes that the code of `check` (its branch away when it fails)
    /// ends here: it holds after a block that ends with no branch to it
    /// emitted from here on (see [`FnBuilder::holds`]), not after one that
    /// the check's own failure may branch to.
    fn check_made(&mut self, check: Check) {
        let at = self.f.len();
        if let Some(entry) = self.checked.get_mut(&check) {
            entry.1 = at;
        }
    }

    /// Whether `check` was made where it still holds.
    fn is_checked(&self, check: Check) -> bool {
        // a define's or decision's failure: made once per open region (its
        // check branches to the item's failure label, which may be the end
        // of a block between, so it is not carried past blocks)
        (self.checked.get(&check)).is_some_and(|&(region, at)| match check {
            Check::NotFailed(_) => self.f.is_open(region),
            Check::Present(_) | Check::Ready(_) | Check::Computed(_) => self.f.holds(region, at),
        })
    }

    /// The bounds of a value of the fast evaluation, where known.
    pub(super) fn fast_bounds(&self, x: Local) -> Option<(i64, i64)> {
        if self.track {
            return None;
        }
        self.bounds.get(&x).copied()
    }

    fn empty_set(&self) -> Set {
        vec![None; self.words]
    }

    /// K fresh set locals, zeroed.
    fn zero_set(&mut self) -> Vec<Local> {
        if !self.track {
            return Vec::new();
        }
        (0..self.words)
            .map(|_| {
                let l = self.f.i64_local();
                self.f.i64c(0).set(l);
                l
            })
            .collect()
    }

    fn as_set(locals: &[Local]) -> Set {
        locals.iter().map(|l| Some(*l)).collect()
    }

    /// Starts an item; gives the locals of its failure (see [`Slot`]).
    fn begin_item(&mut self, context: String) -> Option<(Local, Local)> {
        let (on_fail, failure) = match self.fallback {
            Some(label) => (OnFail::Fallback(label), None),
            None => {
                let err = self.f.i32_local();
                let site = self.f.i32_local();
                self.f.i32c(0).set(err).i32c(0).set(site);
                let label = self.f.block();
                (OnFail::Item { err, site, label }, Some((err, site)))
            }
        };
        self.cur = Some(Current { on_fail, context });
        failure
    }

    fn end_item(&mut self) {
        if let Some(OnFail::Item { .. }) = self.cur.as_ref().map(|c| c.on_fail) {
            self.f.end();
        }
        self.cur = None;
    }

    /// Makes this one function of a split evaluation: items it does not
    /// compute itself are read from `scratch`, and [`Gen::finish_part`]
    /// ends it.
    pub fn in_part(mut self, scratch: Scratch) -> Self {
        self.scratch = Some(scratch);
        if self.track {
            self.preloaded = Some((self.f.len(), HashMap::new()));
        }
        self
    }

    /// The instructions and locals of the function so far.
    pub fn size(&self) -> (usize, usize) {
        self.f.size()
    }

    /// Computes a define or a decision.
    pub fn item(&mut self, item: Computed) {
        let start = self.f.size().0;
        let taken = self.f.reset_peak();
        match item {
            Computed::Define(i) => self.define(i),
            Computed::Decision(i) => self.decision(i),
        }
        self.store_item(item);
        let instructions = self.f.size().0 - start;
        let locals = self.f.peak() - taken;
        if self.track
            && self.oversized.is_none()
            && (instructions > MAX_ITEM_SIZE.0 || locals > MAX_ITEM_SIZE.1)
        {
            self.oversized = Some(item);
        }
    }

    /// The first item whose full evaluation exceeds [`MAX_ITEM_SIZE`].
    pub fn oversized(&self) -> Option<Computed> {
        self.oversized
    }

    pub fn define(&mut self, i: usize) {
        let p = self.p;
        let Some(d) = p.defines.get(i) else { return };
        if self.defers(i) {
            return self.defer_define(i);
        }
        // the fast evaluation that reads absent inputs: a failure skips the
        // define (see `define_ready`)
        let lazy = self.fallback.filter(|_| self.check_where_read);
        let fast = lazy.map(|real| {
            let ready = self.f.i32_local();
            self.f.i32c(0).set(ready);
            let skip = self.f.block();
            self.fallback = Some(skip);
            (real, ready)
        });
        let log_start = self.check_log.len();
        let scope = self.f.scope();
        let failure = self.begin_item(format!("define {}", d.name));
        let v = self.expr(&d.expr);
        self.end_item();
        if let Some((real, ready)) = fast {
            // a record without one of these has skipped the define by now
            if self.keeps_define_needs {
                let needs = self.tested_since(log_start);
                if let Some(n) = self.define_needs.get_mut(i) {
                    *n = needs;
                }
            }
            self.f.i32c(1).set(ready);
            self.f.end();
            self.fallback = Some(real);
            if let Some(r) = self.define_ready.get_mut(i) {
                *r = Some(ready);
            }
        }
        let slot = Slot {
            value: v.v,
            set: v.set,
            failure,
            aux: None,
        };
        self.release(scope, &slot.locals());
        self.defines[i] = Some(slot);
    }

    /// Releases the locals handed out since `scope` except `keep`, and
    /// forgets what was known of their values.
    pub(super) fn release(&mut self, scope: Scope, keep: &[Local]) {
        let released = self.f.release(scope, keep);
        for l in &released {
            self.bounds.remove(l);
            self.interned.remove(l);
        }
        if !self.raw_when_known.is_empty() {
            self.raw_when_known
                .retain(|v, raw| !released.contains(v) && !released.contains(raw));
        }
    }

    /// The local to read a value from where its set is known to be zero:
    /// the comparison before its select, if it was one.
    pub(super) fn known_value(&self, v: Local) -> Local {
        self.raw_when_known.get(&v).copied().unwrap_or(v)
    }

    pub fn decision(&mut self, i: usize) {
        let p = self.p;
        let Some(d) = p.decisions.get(i) else { return };
        let scope = self.f.scope();
        let failure = self.begin_item(format!("decision {}", d.name));
        let slot = match &d.body {
            Body::Expr(e) => {
                let v = self.expr(e);
                Slot {
                    value: v.v,
                    set: v.set,
                    failure,
                    aux: None,
                }
            }
            Body::Requires(clauses) => self.requires(i, clauses, failure),
            Body::Whens(clauses) => self.whens(i, clauses, failure),
        };
        self.end_item();
        self.release(scope, &slot.locals());
        self.decisions[i] = Some(slot);
    }

    /// Writes every decision to the result record (or the first failure)
    /// and gives back the function builder, after the evaluation.
    pub fn finish(mut self) -> FnBuilder {
        let out = self.out;
        let slots: Vec<Slot> = self.decisions.iter().flatten().cloned().collect();
        for (err, site) in slots.iter().filter_map(|s| s.failure) {
            self.f.get(err);
            self.f.if_();
            self.f.get(out).get(err).op(I::I32Store(mem32(0)));
            self.f.get(out).get(site).op(I::I32Store(mem32(4)));
            self.f.br(self.body);
            self.f.end();
        }
        // Status ok, and detail ALL_KNOWN when no decision misses a fact
        // (else 0), both i32, in one little-endian i64. A complete record's
        // (fast) evaluation misses none: a constant.
        let missing: Vec<Local> = (slots.iter())
            .flat_map(|s| s.set.iter().take(self.words).copied().flatten())
            .collect();
        self.f.get(out);
        match missing.split_first() {
            None => {
                let ok_known = i64::from(abi::STATUS_OK) | (i64::from(abi::ALL_KNOWN) << 32);
                self.f.i64c(ok_known);
            }
            Some((first, rest)) => {
                self.f.get(*first);
                for l in rest {
                    self.f.get(*l).op(I::I64Or);
                }
                // i64.eqz gives 1 = ALL_KNOWN when every word is zero
                self.f
                    .op(I::I64Eqz)
                    .op(I::I64ExtendI32U)
                    .i64c(32)
                    .op(I::I64Shl);
                if abi::STATUS_OK != 0 {
                    self.f.i64c(i64::from(abi::STATUS_OK)).op(I::I64Or);
                }
            }
        }
        self.f.op(I::I64Store(mem(0)));
        let decisions = &self.meta.decisions;
        for (s, dm) in slots.iter().zip(decisions) {
            self.write_decision(s, dm);
        }
        self.f.end();
        self.f
    }

    /// Writes a decision's value, clause and missing facts to its place in
    /// the result record (a `require` decision has written its reasons).
    fn write_decision(&mut self, s: &Slot, dm: &abi::DecisionMeta) {
        let out = self.out;
        let o = dm.offset;
        self.f.get(out).get(s.value).op(I::I64Store(mem(o)));
        // the clause, which only a `when` decision has (the host reads it
        // for no other)
        if let Some(a) = s.aux {
            self.f.get(out).get(a).op(I::I64Store(mem(o + 8)));
        }
        for w in 0..self.words {
            self.f.get(out);
            match s.set.get(w).copied().flatten() {
                Some(l) => self.f.get(l),
                None => self.f.i64c(0),
            };
            self.f.op(I::I64Store(mem(o + 16 + 8 * w as u32)));
        }
    }

    /// Ends one function of a split evaluation. Each item it computed was
    /// stored as soon as it was ([`Gen::store_item`]): the defines to the
    /// scratch area; the decisions to the result record (their missing
    /// facts too), with their failures to the scratch area (the calling
    /// function writes the record's status once every part has run). In the fast
    /// evaluation a define's failure word says only whether it was
    /// computed (0) or skipped (1), and a decision has neither failure nor
    /// missing facts (a failing one has left the record to the full
    /// evaluation).
    pub fn finish_part(mut self) -> FnBuilder {
        if self.scratch.is_none() {
            return self.finish();
        }
        self.f.end();
        self.f
    }

    /// In one function of a split evaluation, stores an item as soon as it
    /// is computed (see [`Gen::finish_part`] for where), so that its locals
    /// are not live to the end of the function: a function of many items
    /// then keeps few values at once, and its register allocation stays
    /// short.
    fn store_item(&mut self, item: Computed) {
        let Some(scratch) = self.scratch else { return };
        let zero = |f: &mut FnBuilder| {
            f.i32c(0);
        };
        match item {
            Computed::Define(i) => {
                let Some(slot) = self.defines.get(i).cloned().flatten() else {
                    return;
                };
                zero(&mut self.f);
                self.f.get(slot.value);
                self.f.op(I::I64Store(mem(scratch.define_value(i))));
                if !self.track {
                    zero(&mut self.f);
                    match self.define_ready.get(i).copied().flatten() {
                        Some(ready) => {
                            self.f.get(ready).op(I::I32Eqz).op(I::I64ExtendI32U);
                        }
                        None => {
                            self.f.i64c(0);
                        }
                    }
                    self.f.op(I::I64Store(mem(scratch.define_failure(i))));
                    return;
                }
                self.store_failure(&slot, scratch.define_failure(i));
                for w in 0..self.words {
                    zero(&mut self.f);
                    match slot.set.get(w).copied().flatten() {
                        Some(l) => self.f.get(l),
                        None => self.f.i64c(0),
                    };
                    self.f.op(I::I64Store(mem(scratch.define_word(i, w))));
                }
            }
            Computed::Decision(i) => {
                let meta = self.meta;
                let (Some(slot), Some(dm)) = (
                    self.decisions.get(i).cloned().flatten(),
                    meta.decisions.get(i),
                ) else {
                    return;
                };
                self.write_decision(&slot, dm);
                if !self.track {
                    return;
                }
                self.store_failure(&slot, scratch.decision_failure(i));
            }
        }
    }

    /// Stores a slot's failure at `at`: status | site << 32, 0 for none.
    fn store_failure(&mut self, slot: &Slot, at: u32) {
        self.f.i32c(0);
        match slot.failure {
            Some((err, site)) => {
                self.f.get(err).op(I::I64ExtendI32U);
                self.f.get(site).op(I::I64ExtendI32U);
                self.f.i64c(32).op(I::I64Shl).op(I::I64Or);
            }
            None => {
                self.f.i64c(0);
            }
        }
        self.f.op(I::I64Store(mem(at)));
    }

    /// A define computed by an earlier function of a split evaluation. The
    /// fast evaluation leaves (see `define_ready`) if it was skipped there.
    fn stored_define(&mut self, i: usize) -> Option<Slot> {
        let scratch = self.scratch?;
        let words = |w| scratch.define_word(i, w);
        let failure = scratch.define_failure(i);
        if let Some(fallback) = self.fallback {
            if !self.already_checked(Check::Ready(i)) {
                self.f.i32c(0).op(I::I32Load(mem32(failure)));
                self.f.br_if(fallback);
                self.check_made(Check::Ready(i));
            }
        }
        self.stored(Computed::Define(i), |g| {
            g.load_slot(None, scratch.define_value(i), failure, words)
        })
    }

    /// A decision computed by an earlier function of a split evaluation
    /// (its value and missing facts from the result record).
    fn stored_decision(&mut self, i: usize) -> Option<Slot> {
        let scratch = self.scratch?;
        let o = self.meta.decisions.get(i)?.offset;
        let words = |w: usize| o + 16 + 8 * w as u32;
        let failure = scratch.decision_failure(i);
        self.stored(Computed::Decision(i), |g| {
            g.load_slot(Some(g.out), o, failure, words)
        })
    }

    /// An item stored by an earlier function, loaded by `load`: where the
    /// read is, or in the full evaluation once at the function's start
    /// (see `preloaded`).
    fn stored(&mut self, item: Computed, load: impl FnOnce(&mut Self) -> Slot) -> Option<Slot> {
        let Some((at, slots)) = self.preloaded.take() else {
            return Some(load(self));
        };
        if let Some(slot) = slots.get(&item).cloned() {
            self.preloaded = Some((at, slots));
            return Some(slot);
        }
        // loaded into fresh locals at the start: `load` emits at the end
        // into taken locals, so it runs on a builder whose body is moved
        // aside, and its locals are swapped for fresh ones
        let tail = self.f.take_from(at);
        let before = self.f.len();
        let slot = load(self);
        let fresh: HashMap<Local, Local> = (slot.locals().into_iter())
            .map(|l| (l, self.f.fresh_local_like(l)))
            .collect();
        self.f.rename_from(before, &fresh);
        self.f.append(tail);
        let slot = Slot {
            value: fresh.get(&slot.value).copied().unwrap_or(slot.value),
            set: (slot.set.iter())
                .map(|w| w.map(|l| fresh.get(&l).copied().unwrap_or(l)))
                .collect(),
            failure: (slot.failure).map(|(e, s)| {
                (
                    fresh.get(&e).copied().unwrap_or(e),
                    fresh.get(&s).copied().unwrap_or(s),
                )
            }),
            aux: slot.aux,
        };
        let mut slots = slots;
        slots.insert(item, slot.clone());
        self.preloaded = Some((at, slots));
        Some(slot)
    }

    /// Loads a slot stored in memory: its value and missing words at
    /// `value` and `word(w)` from `base` (address 0 when `None`), its
    /// failure at `failure` in the scratch area. The fast evaluation loads
    /// only the value: its values have no missing facts, and it has left
    /// the record at any failure it would read.
    fn load_slot(
        &mut self,
        base: Option<Local>,
        value: u32,
        failure: u32,
        word: impl Fn(usize) -> u32,
    ) -> Slot {
        let load = |f: &mut FnBuilder, at: u32| {
            let l = f.i64_local();
            match base {
                Some(b) => f.get(b),
                None => f.i32c(0),
            };
            f.op(I::I64Load(mem(at))).set(l);
            l
        };
        let v = load(&mut self.f, value);
        if !self.track {
            return Slot {
                value: v,
                set: self.empty_set(),
                failure: None,
                aux: None,
            };
        }
        let set = (0..self.words)
            .map(|w| Some(load(&mut self.f, word(w))))
            .collect();
        Slot {
            value: v,
            set,
            failure: self.load_failure(failure),
            aux: None,
        }
    }

    /// The status and site of a failure stored at `at`.
    fn load_failure(&mut self, at: u32) -> Option<(Local, Local)> {
        let (err, site) = (self.f.i32_local(), self.f.i32_local());
        self.f.i32c(0).op(I::I32Load(mem32(at))).set(err);
        self.f.i32c(0).op(I::I32Load(mem32(at + 4))).set(site);
        Some((err, site))
    }

    // ---- failures ----

    fn site(&mut self, e: &Expr) -> i32 {
        let line = self.p.line_of(e.span.start);
        let context = self
            .cur
            .as_ref()
            .map_or("", |c| c.context.as_str())
            .to_string();
        self.sites.site(&context, line)
    }

    /// Fails the current item with the status `status` pushes (i32).
    fn fail_with(&mut self, status: impl FnOnce(&mut FnBuilder), site: i32) {
        match self.cur.as_ref().map(|c| c.on_fail) {
            Some(OnFail::Item {
                err,
                site: s,
                label,
            }) => {
                let guard = self.fail_guard;
                if let Some(known) = guard {
                    self.f.get(known).if_();
                }
                status(&mut self.f);
                self.f.set(err).i32c(site).set(s);
                self.f.br(label);
                if guard.is_some() {
                    self.f.end();
                }
            }
            Some(OnFail::Fallback(label)) => self.f.br(label),
            None => {}
        }
    }

    /// Fails the current item with a constant status when the i32 on the
    /// stack is non-zero: in the fast evaluation one conditional branch to
    /// the full one, with no block of its own.
    fn fail_if(&mut self, status: i32, site: i32) {
        if let Some(OnFail::Fallback(label)) = self.cur.as_ref().map(|c| c.on_fail) {
            self.f.br_if(label);
            return;
        }
        // (the guard, if any, joins the condition)
        let guard = self.fail_guard.take();
        if let Some(known) = guard {
            self.f.get(known).op(I::I32And);
        }
        self.f.if_();
        self.fail(status, site);
        self.f.end();
        self.fail_guard = guard;
    }

    /// Fails the current item with a constant status.
    fn fail(&mut self, status: i32, site: i32) {
        self.fail_with(
            |f| {
                f.i32c(status);
            },
            site,
        );
    }

    /// After a helper call leaving (i64, status): fails on a non-zero status,
    /// else leaves the value in a new local.
    fn checked_call(&mut self, helper: Helper, site: i32) -> Local {
        let v = self.f.i64_local();
        let st = self.f.i32_local();
        self.f.op(I::Call(helper_index(helper))).set(st).set(v);
        self.f.get(st);
        if let Some(OnFail::Fallback(label)) = self.cur.as_ref().map(|c| c.on_fail) {
            self.f.br_if(label);
        } else {
            self.f.if_();
            self.fail_with(
                |f| {
                    f.get(st);
                },
                site,
            );
            self.f.end();
        }
        v
    }

    /// Propagates the failure of a define or decision that is read.
    fn propagate(&mut self, item: Computed, slot: &Slot) {
        let on_fail = self.cur.as_ref().map(|c| c.on_fail);
        if let (Some((e, s)), Some(OnFail::Item { err, site, label })) = (slot.failure, on_fail) {
            if self.already_checked(Check::NotFailed(item)) {
                return;
            }
            self.f.get(e);
            self.f.if_();
            self.f.get(e).set(err).get(s).set(site);
            self.f.br(label);
            self.f.end();
        }
    }

    // ---- sets ----

    fn union(&mut self, sets: &[&Set]) -> Set {
        (0..self.words)
            .map(|w| {
                let words: Vec<Local> = sets
                    .iter()
                    .filter_map(|s| s.get(w).copied().flatten())
                    .collect();
                match words.as_slice() {
                    [] => None,
                    [one] => Some(*one),
                    [first, rest @ ..] => {
                        let l = self.f.i64_local();
                        self.f.get(*first);
                        for r in rest {
                            self.f.get(*r).op(I::I64Or);
                        }
                        self.f.set(l);
                        Some(l)
                    }
                }
            })
            .collect()
    }

    fn is_static_empty(set: &Set) -> bool {
        set.iter().all(Option::is_none)
    }

    /// Pushes the union of the set's words (i64), if it has any that may
    /// be non-zero: returns whether it pushed.
    fn push_union(&mut self, set: &Set) -> bool {
        let mut pushed = false;
        for l in set.iter().flatten() {
            self.f.get(*l);
            if pushed {
                self.f.op(I::I64Or);
            }
            pushed = true;
        }
        pushed
    }

    /// Pushes i32: whether the set is non-zero (the value unknown).
    fn push_unknown(&mut self, set: &Set) {
        match self.push_union(set) {
            true => self.f.i64c(0).op(I::I64Ne),
            false => self.f.i32c(0),
        };
    }

    /// Pushes i32: whether the set is zero (the value known).
    fn push_known(&mut self, set: &Set) {
        match self.push_union(set) {
            true => self.f.op(I::I64Eqz),
            false => self.f.i32c(1),
        };
    }

    fn assign_set(&mut self, target: &[Local], src: &Set) {
        for (w, t) in target.iter().enumerate() {
            match src.get(w).copied().flatten() {
                Some(l) => self.f.get(l),
                None => self.f.i64c(0),
            };
            self.f.set(*t);
        }
    }

    fn or_into(&mut self, target: &[Local], src: &Set) {
        for (w, t) in target.iter().enumerate() {
            if let Some(l) = src.get(w).copied().flatten() {
                self.f.get(*t).get(l).op(I::I64Or).set(*t);
            }
        }
    }

    /// When `set` may be non-zero, emits `if unknown { acc |= set } else {`
    /// and returns true: the caller emits the known case, then `end`.
    fn if_unknown_collect(&mut self, acc: &[Local], set: &Set) -> bool {
        if !self.track || Self::is_static_empty(set) {
            return false;
        }
        self.push_unknown(set);
        self.f.if_();
        self.or_into(acc, set);
        self.f.else_();
        true
    }

    /// The union of the operands' missing-fact sets, and their values.
    fn operands(&mut self, operands: &[&Val]) -> (Set, Vec<Local>) {
        let sets: Vec<&Set> = operands.iter().map(|o| &o.set).collect();
        let set = self.union(&sets);
        (set, operands.iter().map(|o| o.v).collect())
    }

    /// A strict operation: `compute` runs only when every operand is known.
    fn strict(
        &mut self,
        operands: &[&Val],
        compute: impl FnOnce(&mut Self, &[Local]) -> Local,
    ) -> Val {
        let (set, vs) = self.operands(operands);
        self.strict_on(set, &vs, compute)
    }

    /// [`Gen::strict`] on operands `vs` whose union of missing facts is
    /// `set`.
    fn strict_on(
        &mut self,
        set: Set,
        vs: &[Local],
        compute: impl FnOnce(&mut Self, &[Local]) -> Local,
    ) -> Val {
        if Self::is_static_empty(&set) {
            let v = compute(self, vs);
            return Val { v, set, k: None };
        }
        let out = self.f.i64_local();
        // (out is 0 unless every operand is known)
        self.f.i64c(0).set(out);
        self.push_known(&set);
        self.f.if_();
        let v = compute(self, vs);
        self.f.get(v).set(out);
        self.f.end();
        Val {
            v: out,
            set,
            k: None,
        }
    }

    /// A strict operation on numbers that reads no memory beyond its
    /// operands (arithmetic, negation, promotion): in the full evaluation
    /// it is computed whatever its operands (an unknown one's value is an
    /// i64 like any other, and every inline path and helper it may take
    /// returns a status rather than trapping), fails only when every
    /// operand is known, and is 0 when one is not, by a select: no block
    /// with values to merge after it.
    fn numeric_strict(
        &mut self,
        operands: &[&Val],
        compute: impl FnOnce(&mut Self, &[Local]) -> Local,
    ) -> Val {
        let (set, vs) = self.operands(operands);
        if !self.track || Self::is_static_empty(&set) || self.fail_guard.is_some() {
            return self.strict_on(set, &vs, compute);
        }
        let known = self.f.i32_local();
        self.push_known(&set);
        self.f.set(known);
        self.fail_guard = Some(known);
        let v = compute(self, &vs);
        self.fail_guard = None;
        let out = self.f.i64_local();
        self.f.get(v).i64c(0).get(known).op(I::Select).set(out);
        Val {
            v: out,
            set,
            k: None,
        }
    }

    /// A strict operation that can neither fail nor read memory (a
    /// comparison of numbers): `compute` pushes its i64 result, computed
    /// whatever the operands (an unknown one's value is an i64 like any
    /// other), and the result is 0 when an operand is unknown, as
    /// [`Gen::strict`]'s, by a select rather than a branch: no block for
    /// the native compiler to allocate registers across.
    fn pure_strict(&mut self, operands: &[&Val], compute: impl FnOnce(&mut Self, &[Local])) -> Val {
        let (set, vs) = self.operands(operands);
        let out = self.f.i64_local();
        if Self::is_static_empty(&set) {
            compute(self, &vs);
            self.f.set(out);
            return Val {
                v: out,
                set,
                k: None,
            };
        }
        compute(self, &vs);
        let raw = self.f.i64_local();
        self.f.set(raw).get(raw).i64c(0);
        self.push_known(&set);
        self.f.op(I::Select).set(out);
        self.raw_when_known.insert(out, raw);
        Val {
            v: out,
            set,
            k: None,
        }
    }

    fn konst(&mut self, n: i64) -> Val {
        let v = self.f.i64_local();
        self.f.i64c(n).set(v);
        if !self.track {
            self.bounds.insert(v, (n, n));
        }
        Val {
            v,
            set: self.empty_set(),
            k: Some(n),
        }
    }

    // ---- facts ----

    fn read_field(&mut self, rec: Local, index: usize, field: &FieldMeta) -> Val {
        // The fast evaluation reads an input only if the record has it: an
        // absent one leaves for the full evaluation there, so that a record
        // without an optional fact the evaluation never reads stays on the
        // fast path. (A list's elements are checked whole before the
        // evaluation starts: see `check_complete`.)
        if rec == self.rec {
            if let Some(r) = self.read.get_mut(index) {
                *r = true;
            }
        }
        let check = self.fallback.filter(|_| self.check_where_read);
        let check = check.filter(|_| rec == self.rec && !self.unchecked_reads);
        if let Some(fallback) = check.filter(|_| !self.already_checked(Check::Present(index))) {
            let (word_off, bit) = Layout::presence_bit(index);
            self.push_presence_word(word_off as usize / 8);
            self.f.i64c(1i64 << bit).op(I::I64And).op(I::I64Eqz);
            self.f.br_if(fallback);
            self.check_made(Check::Present(index));
        }
        let v = self.f.i64_local();
        self.f.get(rec).op(I::I64Load(mem(field.offset))).set(v);
        let mut set = self.empty_set();
        if self.track {
            let (word_off, bit) = Layout::presence_bit(index);
            let fact = field.fact as usize;
            let w = self.f.i64_local();
            let at = (fact % 64) as i64;
            match self.absent_words.get(word_off as usize / 8) {
                // the fact record's: its absent bit, moved to the fact's
                Some(&absent) if rec == self.rec => {
                    self.f.get(absent).i64c(1i64 << bit).op(I::I64And);
                    match at - i64::from(bit) {
                        0 => {}
                        up if up > 0 => {
                            self.f.i64c(up).op(I::I64Shl);
                        }
                        down => {
                            self.f.i64c(-down).op(I::I64ShrU);
                        }
                    }
                }
                // a list element's
                _ => {
                    self.f.get(rec).op(I::I64Load(mem(word_off)));
                    self.f
                        .i64c(i64::from(bit))
                        .op(I::I64ShrU)
                        .i64c(1)
                        .op(I::I64And);
                    self.f.i64c(1).op(I::I64Xor);
                    self.f.i64c(at).op(I::I64Shl);
                }
            }
            self.f.set(w);
            if let Some(slot) = set.get_mut(fact / 64) {
                *slot = Some(w);
            }
        }
        Val { v, set, k: None }
    }

    /// Pushes the fact record's presence word `w` (i64), from its local
    /// where the fast evaluation loaded it.
    fn push_presence_word(&mut self, w: usize) {
        match self.presence_words.get(w) {
            Some(&word) => self.f.get(word),
            // (every input's word is loaded: not taken)
            None => self.f.get(self.rec).op(I::I64Load(mem(8 * w as u32))),
        };
    }

    fn presence(&mut self, rec: Local, index: usize) -> Val {
        let (word_off, bit) = Layout::presence_bit(index);
        let v = self.f.i64_local();
        self.f.get(rec).op(I::I64Load(mem(word_off)));
        self.f
            .i64c(i64::from(bit))
            .op(I::I64ShrU)
            .i64c(1)
            .op(I::I64And)
            .set(v);
        Val {
            v,
            set: self.empty_set(),
            k: None,
        }
    }

    // ---- expressions ----

    fn expr(&mut self, e: &Expr) -> Val {
        crate::stack::deep(|| self.expr_step(e))
    }

    fn expr_step(&mut self, e: &Expr) -> Val {
        match &e.kind {
            ExprKind::Const(c) => {
                let n = match c {
                    Const::Bool(b) => i64::from(*b),
                    Const::Num(n) => *n,
                    Const::Text(t) => self.strings.packed(t),
                };
                self.konst(n)
            }
            ExprKind::Input(i) => {
                let meta = self.meta;
                match meta.input.fields.get(*i) {
                    Some(field) => self.read_field(self.rec, *i, field),
                    None => self.konst(0),
                }
            }
            ExprKind::Param(i) => self.param(*i),
            ExprKind::Define(i) => {
                self.compute_deferred(*i);
                if let (Some(Some(ready)), Some(fallback)) =
                    (self.define_ready.get(*i).copied(), self.fallback)
                {
                    if !self.already_checked(Check::Ready(*i)) {
                        self.f.get(ready).op(I::I32Eqz);
                        self.f.br_if(fallback);
                        self.check_made(Check::Ready(*i));
                    }
                }
                let slot = match self.defines.get(*i).cloned().flatten() {
                    Some(slot) => Some(slot),
                    None => self.stored_define(*i),
                };
                self.read_slot(Computed::Define(*i), slot)
            }
            ExprKind::Decision(i) => {
                let slot = match self.decisions.get(*i).cloned().flatten() {
                    Some(slot) => Some(slot),
                    None => self.stored_decision(*i),
                };
                self.read_slot(Computed::Decision(*i), slot)
            }
            ExprKind::AsOf => Val {
                v: self.as_of,
                set: self.empty_set(),
                k: None,
            },
            ExprKind::Var(_) => self.konst(0),
            ExprKind::Field(base, index) => match base.kind {
                ExprKind::Var(j) => match self.vars.get(j).cloned() {
                    Some((ptr, layout)) => match layout.fields.get(*index) {
                        Some(field) => self.read_field(ptr, *index, field),
                        None => self.konst(0),
                    },
                    None => self.konst(0),
                },
                _ => self.konst(0),
            },
            ExprKind::Known(t) => match *t {
                KnownTarget::Input(i) => self.presence(self.rec, i),
                KnownTarget::Element { var, index } => match self.vars.get(var).cloned() {
                    Some((ptr, _)) => self.presence(ptr, index),
                    None => self.konst(0),
                },
            },
            ExprKind::Promote(p, inner) => {
                let x = self.expr(inner);
                let factor = match p {
                    Promotion::IntToDec => DEC_SCALE,
                    Promotion::IntToMoney => 100,
                };
                let site = self.site(e);
                if let Some(r) = x.k.and_then(|n| n.checked_mul(factor)) {
                    return self.konst(r);
                }
                self.numeric_strict(&[&x], |g, v| g.mul_const(v[0], factor, site))
            }
            ExprKind::Neg(inner) => {
                let x = self.expr(inner);
                let site = self.site(e);
                if let Some(r) = x.k.and_then(i64::checked_neg) {
                    return self.konst(r);
                }
                self.numeric_strict(&[&x], |g, v| {
                    g.f.get(v[0]).i64c(i64::MIN).op(I::I64Eq);
                    g.fail_if(abi::STATUS_OVERFLOW, site);
                    let r = g.f.i64_local();
                    g.f.i64c(0).get(v[0]).op(I::I64Sub).set(r);
                    r
                })
            }
            ExprKind::Not(inner) => {
                let x = self.expr(inner);
                if let Some(b) = x.k {
                    return self.konst(b ^ 1);
                }
                let v = self.f.i64_local();
                self.f.get(x.v).i64c(1).op(I::I64Xor).set(v);
                Val {
                    v,
                    set: x.set,
                    k: None,
                }
            }
            ExprKind::And(a, b) => self.logic(a, b, true),
            ExprKind::Or(a, b) => self.logic(a, b, false),
            ExprKind::Arith(op, a, b) => self.arith_expr(*op, a, b, e),
            ExprKind::Cmp(op, kind, a, b) => {
                let (x, y) = (self.expr(a), self.expr(b));
                let (op, kind) = (*op, *kind);
                if let Some(r) = self.fold_compare(op, kind, x.k, y.k) {
                    return self.konst(i64::from(r));
                }
                let (kx, ky) = (x.k, y.k);
                if kind == CmpKind::Num {
                    return self.pure_strict(&[&x, &y], |g, v| {
                        g.compare(op, kind, (v[0], kx), (v[1], ky));
                        g.f.op(I::I64ExtendI32U);
                    });
                }
                self.strict(&[&x, &y], |g, v| {
                    let r = g.f.i64_local();
                    g.compare(op, kind, (v[0], kx), (v[1], ky));
                    g.f.op(I::I64ExtendI32U).set(r);
                    r
                })
            }
            ExprKind::In(kind, x, items) if items.iter().all(is_constant) => {
                // constant items cannot fail nor be unknown: each is made
                // and compared in turn, its local released after it, so
                // that a list of thousands of constants needs a few locals
                let x = self.expr(x);
                let kind = *kind;
                self.strict(&[&x], |g, v| {
                    let r = g.f.i64_local();
                    let x = (v[0], x.k);
                    g.f.i64c(0).set(r);
                    let done = g.f.block();
                    for item in items {
                        let scope = g.f.scope();
                        let c = g.expr(item);
                        g.compare(CmpOp::Eq, kind, x, (c.v, c.k));
                        if kind == CmpKind::Text {
                            // the first equal item ends the search
                            g.f.if_();
                            g.f.i64c(1).set(r);
                            g.f.br(done);
                            g.f.end();
                        } else {
                            g.f.op(I::I64ExtendI32U);
                            g.f.get(r).op(I::I64Or).set(r);
                        }
                        g.release(scope, &[]);
                    }
                    g.f.end();
                    r
                })
            }
            ExprKind::In(kind, x, items) => {
                let mut vals = vec![self.expr(x)];
                for i in items {
                    vals.push(self.expr(i));
                }
                let kind = *kind;
                let ks: Vec<Option<i64>> = vals.iter().map(|v| v.k).collect();
                let refs: Vec<&Val> = vals.iter().collect();
                self.strict(&refs, |g, v| {
                    let r = g.f.i64_local();
                    let x = (v[0], ks[0]);
                    let items = v[1..].iter().copied().zip(ks[1..].iter().copied());
                    if kind == CmpKind::Text {
                        // the first equal item ends the search
                        g.f.i64c(0).set(r);
                        let done = g.f.block();
                        for item in items {
                            g.compare(CmpOp::Eq, kind, x, item);
                            g.f.if_();
                            g.f.i64c(1).set(r);
                            g.f.br(done);
                            g.f.end();
                        }
                        g.f.end();
                        return r;
                    }
                    g.f.i32c(0);
                    for item in items {
                        g.compare(CmpOp::Eq, kind, x, item);
                        g.f.op(I::I32Or);
                    }
                    g.f.op(I::I64ExtendI32U).set(r);
                    r
                })
            }
            ExprKind::If(c, a, b) => self.if_expr(c, a, b),
            ExprKind::Call(func, args) => {
                let vals: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
                let refs: Vec<&Val> = vals.iter().collect();
                let site = self.site(e);
                let func = *func;
                let known: Vec<Option<i64>> = vals.iter().map(|v| v.k).collect();
                self.strict(&refs, |g, v| g.call(func, v, &known, site))
            }
            ExprKind::Aggregate { kind, list, body } => {
                self.aggregate(*kind, list, body.as_deref(), e)
            }
        }
    }

    /// Reads a computed define or decision, propagating its failure.
    fn read_slot(&mut self, item: Computed, slot: Option<Slot>) -> Val {
        match slot {
            Some(slot) => {
                self.propagate(item, &slot);
                Val {
                    v: slot.value,
                    set: slot.set,
                    k: None,
                }
            }
            None => self.konst(0),
        }
    }

    fn param(&mut self, i: usize) -> Val {
        let p = self.p;
        let Some(param) = p.params.get(i) else {
            return self.konst(0);
        };
        let num = |c: &Const, strings: &mut Strings| match c {
            Const::Bool(b) => i64::from(*b),
            Const::Num(n) => *n,
            Const::Text(t) => strings.packed(t),
        };
        if let [(None, c)] = param.values.as_slice() {
            let n = num(c, self.strings);
            return self.konst(n);
        }
        let v = self.f.i64_local();
        let found = self.f.block();
        for (from, c) in param.values.iter().rev() {
            let n = num(c, self.strings);
            match from {
                Some(d) => {
                    self.f.get(self.as_of).i64c(i64::from(*d)).op(I::I64GeS);
                    self.f.if_();
                    self.f.i64c(n).set(v);
                    self.f.br(found);
                    self.f.end();
                }
                None => {
                    self.f.i64c(n).set(v);
                    self.f.br(found);
                }
            }
        }
        self.fail(abi::STATUS_PARAM_UNDEFINED, i as i32);
        self.f.end();
        Val {
            v,
            set: self.empty_set(),
            k: None,
        }
    }
}
