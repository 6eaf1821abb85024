//! Code for defines, decisions and expressions inside a record function.
//!
//! Every value is an i64 local (see [`crate::abi`] for encodings). In the full
//! function each value also has a missing-facts set: one i64 local per
//! 64 facts, or `None` where the word is statically zero. A value is unknown
//! exactly when its set is non-zero. The fast body (inlined in `evaluate`) has
//! no sets at all, and leaves every failure, and every operand outside an
//! inline fast path's range, to the full function.

use super::emit::{FnBuilder, Label, Local};
use super::helpers::Helper;
use super::{helper_index, inline, mem, mem32, Sites, Strings};
use crate::abi::{self, FieldMeta, Layout, Meta};
use crate::num::DEC_SCALE;
use crate::program::*;
use std::collections::HashMap;
use wasm_encoder::Instruction as I;

type Set = Vec<Option<Local>>;

/// A value and its missing-facts set.
#[derive(Clone)]
struct Val {
    v: Local,
    set: Set,
    /// The value when it is known at compile time (a constant, a promoted
    /// constant, a param with one undated value); `v` holds it too.
    k: Option<i64>,
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
    reasons: Vec<Local>,
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
    /// The fast evaluation of a complete record: no sets, and a failure
    /// branches to `fallback`, where the full evaluation takes over.
    Fast { fallback: Label },
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
}

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
        let fallback = match mode {
            Mode::Full => None,
            Mode::Fast { fallback } => Some(fallback),
        };
        let as_of = f.i64_local();
        f.get(io.as_of).op(I::I64ExtendI32S).set(as_of);
        let body = f.block();
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
        }
    }

    /// The bounds of a value of the fast evaluation, where known.
    fn fast_bounds(&self, x: Local) -> Option<(i64, i64)> {
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

    pub fn define(&mut self, i: usize) {
        let p = self.p;
        let Some(d) = p.defines.get(i) else { return };
        let failure = self.begin_item(format!("define {}", d.name));
        let v = self.expr(&d.expr);
        self.end_item();
        self.defines[i] = Some(Slot {
            value: v.v,
            set: v.set,
            failure,
            aux: None,
            reasons: Vec::new(),
        });
    }

    pub fn decision(&mut self, i: usize) {
        let p = self.p;
        let Some(d) = p.decisions.get(i) else { return };
        let failure = self.begin_item(format!("decision {}", d.name));
        let slot = match &d.body {
            Body::Expr(e) => {
                let v = self.expr(e);
                Slot {
                    value: v.v,
                    set: v.set,
                    failure,
                    aux: None,
                    reasons: Vec::new(),
                }
            }
            Body::Requires(clauses) => self.requires(clauses, failure),
            Body::Whens(clauses) => self.whens(i, clauses, failure),
        };
        self.end_item();
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
            let o = dm.offset;
            self.f.get(out).get(s.value).op(I::I64Store(mem(o)));
            self.f.get(out);
            match s.aux {
                Some(a) => self.f.get(a),
                None => self.f.i64c(0),
            };
            self.f.op(I::I64Store(mem(o + 8)));
            for w in 0..self.words {
                self.f.get(out);
                match s.set.get(w).copied().flatten() {
                    Some(l) => self.f.get(l),
                    None => self.f.i64c(0),
                };
                self.f.op(I::I64Store(mem(o + 16 + 8 * w as u32)));
            }
            let base = o + 16 + 8 * self.words as u32;
            for w in 0..dm.reason_words as usize {
                self.f.get(out);
                match s.reasons.get(w) {
                    Some(l) => self.f.get(*l),
                    None => self.f.i64c(0),
                };
                self.f.op(I::I64Store(mem(base + 8 * w as u32)));
            }
        }
        self.f.end();
        self.f
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
                status(&mut self.f);
                self.f.set(err).i32c(site).set(s);
                self.f.br(label);
            }
            Some(OnFail::Fallback(label)) => self.f.br(label),
            None => {}
        }
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
        self.f.if_();
        self.fail_with(
            |f| {
                f.get(st);
            },
            site,
        );
        self.f.end();
        v
    }

    /// Propagates the failure of a define or decision that is read.
    fn propagate(&mut self, slot: &Slot) {
        let on_fail = self.cur.as_ref().map(|c| c.on_fail);
        if let (Some((e, s)), Some(OnFail::Item { err, site, label })) = (slot.failure, on_fail) {
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

    /// Pushes i32: whether the set is non-zero (the value unknown).
    fn push_unknown(&mut self, set: &Set) {
        let mut first = true;
        for l in set.iter().flatten() {
            self.f.get(*l);
            if !first {
                self.f.op(I::I64Or);
            }
            first = false;
        }
        if first {
            self.f.i32c(0);
        } else {
            self.f.i64c(0).op(I::I64Ne);
        }
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

    /// A strict operation: `compute` runs only when every operand is known.
    fn strict(
        &mut self,
        operands: &[&Val],
        compute: impl FnOnce(&mut Self, &[Local]) -> Local,
    ) -> Val {
        let sets: Vec<&Set> = operands.iter().map(|o| &o.set).collect();
        let set = self.union(&sets);
        let vs: Vec<Local> = operands.iter().map(|o| o.v).collect();
        if Self::is_static_empty(&set) {
            let v = compute(self, &vs);
            return Val { v, set, k: None };
        }
        let out = self.f.i64_local();
        self.push_unknown(&set);
        self.f.if_();
        self.f.i64c(0).set(out);
        self.f.else_();
        let v = compute(self, &vs);
        self.f.get(v).set(out);
        self.f.end();
        Val {
            v: out,
            set,
            k: None,
        }
    }

    fn konst(&mut self, n: i64) -> Val {
        let v = self.f.i64_local();
        self.f.i64c(n).set(v);
        Val {
            v,
            set: self.empty_set(),
            k: Some(n),
        }
    }

    // ---- facts ----

    fn read_field(&mut self, rec: Local, index: usize, field: &FieldMeta) -> Val {
        let v = self.f.i64_local();
        self.f.get(rec).op(I::I64Load(mem(field.offset))).set(v);
        let mut set = self.empty_set();
        if self.track {
            let (word_off, bit) = Layout::presence_bit(index);
            let fact = field.fact as usize;
            let w = self.f.i64_local();
            self.f.get(rec).op(I::I64Load(mem(word_off)));
            self.f
                .i64c(i64::from(bit))
                .op(I::I64ShrU)
                .i64c(1)
                .op(I::I64And);
            self.f.i64c(1).op(I::I64Xor);
            self.f.i64c((fact % 64) as i64).op(I::I64Shl).set(w);
            if let Some(slot) = set.get_mut(fact / 64) {
                *slot = Some(w);
            }
        }
        Val { v, set, k: None }
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
                let slot = self.defines.get(*i).cloned().flatten();
                self.read_slot(slot)
            }
            ExprKind::Decision(i) => {
                let slot = self.decisions.get(*i).cloned().flatten();
                self.read_slot(slot)
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
                self.strict(&[&x], |g, v| g.mul_const(v[0], factor, site))
            }
            ExprKind::Neg(inner) => {
                let x = self.expr(inner);
                let site = self.site(e);
                if let Some(r) = x.k.and_then(i64::checked_neg) {
                    return self.konst(r);
                }
                self.strict(&[&x], |g, v| {
                    g.f.get(v[0]).i64c(i64::MIN).op(I::I64Eq);
                    g.f.if_();
                    g.fail(abi::STATUS_OVERFLOW, site);
                    g.f.end();
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
                self.strict(&[&x, &y], |g, v| {
                    let r = g.f.i64_local();
                    g.compare(op, kind, (v[0], kx), (v[1], ky));
                    g.f.op(I::I64ExtendI32U).set(r);
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
                self.strict(&refs, |g, v| g.call(func, v, site))
            }
            ExprKind::Aggregate { kind, list, body } => {
                self.aggregate(*kind, list, body.as_deref(), e)
            }
        }
    }

    /// Reads a computed define or decision, propagating its failure.
    fn read_slot(&mut self, slot: Option<Slot>) -> Val {
        match slot {
            Some(slot) => {
                self.propagate(&slot);
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

    /// The value of `e` when it is known at compile time and computing it
    /// can neither fail nor emit anything but constants (as [`Gen::expr`]
    /// then folds it).
    fn static_value(&mut self, e: &Expr) -> Option<i64> {
        match &e.kind {
            ExprKind::Const(Const::Bool(b)) => Some(i64::from(*b)),
            ExprKind::Const(Const::Num(n)) => Some(*n),
            ExprKind::Const(Const::Text(t)) => Some(self.strings.packed(t)),
            ExprKind::Param(i) => match self.p.params.get(*i)?.values.as_slice() {
                [(None, Const::Bool(b))] => Some(i64::from(*b)),
                [(None, Const::Num(n))] => Some(*n),
                [(None, Const::Text(t))] => Some(self.strings.packed(t)),
                _ => None,
            },
            ExprKind::Promote(p, inner) => {
                let factor = match p {
                    Promotion::IntToDec => DEC_SCALE,
                    Promotion::IntToMoney => 100,
                };
                self.static_value(inner)?.checked_mul(factor)
            }
            ExprKind::Neg(inner) => self.static_value(inner)?.checked_neg(),
            ExprKind::Not(inner) => Some(self.static_value(inner)? ^ 1),
            _ => None,
        }
    }

    /// The result of comparing two values known at compile time.
    fn fold_compare(
        &self,
        op: CmpOp,
        kind: CmpKind,
        a: Option<i64>,
        b: Option<i64>,
    ) -> Option<bool> {
        let (a, b) = (a?, b?);
        let ord = match kind {
            CmpKind::Num => a.cmp(&b),
            // texts only compare for equality
            CmpKind::Text if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                self.strings.text(a)?.cmp(self.strings.text(b)?)
            }
            CmpKind::Text => return None,
        };
        Some(op.holds(ord))
    }

    /// Pushes the i32 result of comparing two known values, each a local
    /// and its value when known at compile time.
    fn compare(
        &mut self,
        op: CmpOp,
        kind: CmpKind,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
    ) {
        match kind {
            CmpKind::Text => {
                match self.text_constant(a, b) {
                    Some((x, s)) => inline::text_eq_const(&mut self.f, x, &s),
                    None => {
                        self.f.get(a.0).get(b.0);
                        self.f.op(I::Call(helper_index(Helper::TextEq)));
                    }
                }
                if op == CmpOp::Ne {
                    self.f.op(I::I32Eqz);
                }
            }
            CmpKind::Num => {
                self.f.get(a.0).get(b.0);
                self.f.op(match op {
                    CmpOp::Eq => I::I64Eq,
                    CmpOp::Ne => I::I64Ne,
                    CmpOp::Lt => I::I64LtS,
                    CmpOp::Le => I::I64LeS,
                    CmpOp::Gt => I::I64GtS,
                    CmpOp::Ge => I::I64GeS,
                });
            }
        }
    }

    /// For two texts of which one is a constant: the other and the bytes of
    /// the constant.
    fn text_constant(
        &self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
    ) -> Option<(Local, Vec<u8>)> {
        let constant = |k: Option<i64>| k.and_then(|k| self.strings.text(k)).map(<[u8]>::to_vec);
        match (constant(a.1), constant(b.1)) {
            (_, Some(s)) => Some((a.0, s)),
            (Some(s), _) => Some((b.0, s)),
            _ => None,
        }
    }

    /// [`Gen::compare`], then a branch to `target` when the result is `when`.
    #[allow(clippy::too_many_arguments)]
    fn branch_compare(
        &mut self,
        op: CmpOp,
        kind: CmpKind,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        when: bool,
        target: Label,
    ) {
        if kind == CmpKind::Text {
            if let Some((x, s)) = self.text_constant(a, b) {
                let equal = when == (op == CmpOp::Eq);
                inline::branch_text_eq_const(&mut self.f, x, &s, equal, target);
                return;
            }
        }
        self.compare(op, kind, a, b);
        if !when {
            self.f.op(I::I32Eqz);
        }
        self.f.br_if(target);
    }

    /// The fast evaluation of a condition: branches to `target` when the
    /// bool `e` is `when`, else falls through. Comparisons, `not`, `and`,
    /// `or` and `in` become branches, with no 0/1 value in between; they
    /// evaluate (and fail) in the order [`Gen::expr`] does.
    fn branch_on(&mut self, e: &Expr, when: bool, target: Label) {
        match &e.kind {
            ExprKind::Not(inner) => self.branch_on(inner, !when, target),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                // the value of `a` that decides: false for and, true for or
                let decisive = matches!(e.kind, ExprKind::Or(..));
                if when == decisive {
                    self.branch_on(a, when, target);
                    self.branch_on(b, when, target);
                } else {
                    let decided = self.f.block();
                    self.branch_on(a, decisive, decided);
                    self.branch_on(b, when, target);
                    self.f.end();
                }
            }
            ExprKind::Cmp(op, kind, a, b) => {
                let (x, y) = (self.expr(a), self.expr(b));
                match self.fold_compare(*op, *kind, x.k, y.k) {
                    Some(r) if r == when => self.f.br(target),
                    Some(_) => {}
                    None => self.branch_compare(*op, *kind, (x.v, x.k), (y.v, y.k), when, target),
                }
            }
            ExprKind::In(kind, x, items) => {
                let x = self.expr(x);
                let vals: Vec<Val> = items.iter().map(|i| self.expr(i)).collect();
                let found = if when { target } else { self.f.block() };
                for v in vals {
                    let item = (v.v, v.k);
                    self.branch_compare(CmpOp::Eq, *kind, (x.v, x.k), item, true, found);
                }
                if !when {
                    self.f.br(target);
                    self.f.end();
                }
            }
            _ => {
                let v = self.expr(e);
                match v.k {
                    Some(k) if (k != 0) == when => self.f.br(target),
                    Some(_) => {}
                    None => {
                        self.f.get(v.v).op(I::I32WrapI64);
                        if !when {
                            self.f.op(I::I32Eqz);
                        }
                        self.f.br_if(target);
                    }
                }
            }
        }
    }

    /// Fails with overflow when `x` is outside `lo..=hi`.
    fn fail_outside(&mut self, x: Local, lo: i64, hi: i64, site: i32) {
        inline::outside(&mut self.f, x, lo, hi);
        self.f.if_();
        self.fail(abi::STATUS_OVERFLOW, site);
        self.f.end();
    }

    /// A copy of `x` in a new local.
    fn copy(&mut self, x: Local) -> Local {
        let r = self.f.i64_local();
        self.f.get(x).set(r);
        r
    }

    fn checked_add(
        &mut self,
        (a, ka): (Local, Option<i64>),
        (b, kb): (Local, Option<i64>),
        site: i32,
        sub: bool,
    ) -> Local {
        let r = self.f.i64_local();
        self.f
            .get(a)
            .get(b)
            .op(if sub { I::I64Sub } else { I::I64Add })
            .set(r);
        // With a constant operand, one bound on the other operand decides.
        let bounds = match (ka, kb, sub) {
            (_, Some(c), false) => Some((a, c)),
            (Some(c), _, false) => Some((b, c)),
            (_, Some(c), true) => c.checked_neg().map(|n| (a, n)),
            _ => None,
        };
        if let Some((x, c)) = bounds {
            // x + c, c != i64::MIN; none when x's bounds rule overflow out
            let sum = self
                .fast_bounds(x)
                .and_then(|(lo, hi)| lo.checked_add(c).zip(hi.checked_add(c)));
            if let Some(sum) = sum {
                self.bounds.insert(r, sum);
                return r;
            }
            match c.cmp(&0) {
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Greater => self.fail_outside(x, i64::MIN, i64::MAX - c, site),
                std::cmp::Ordering::Less => self.fail_outside(x, i64::MIN - c, i64::MAX, site),
            }
            return r;
        }
        if sub {
            // overflow when a and b differ in sign and r differs from a
            self.f.get(a).get(b).op(I::I64Xor);
            self.f.get(a).get(r).op(I::I64Xor).op(I::I64And);
        } else {
            // overflow when r differs in sign from both a and b
            self.f.get(a).get(r).op(I::I64Xor);
            self.f.get(b).get(r).op(I::I64Xor).op(I::I64And);
        }
        self.f.i64c(0).op(I::I64LtS);
        self.f.if_();
        self.fail(abi::STATUS_OVERFLOW, site);
        self.f.end();
        r
    }

    /// The way out of an inline fast path into `r`: the exact helper that
    /// `call` calls; in the fast evaluation, the full evaluation, which
    /// calls it (so that the fast loop makes no call on its common paths).
    fn exact(&mut self, r: Local, call: impl FnOnce(&mut Self) -> Local) {
        match self.fallback {
            Some(label) => self.f.br(label),
            None => {
                let m = call(self);
                self.f.get(m).set(r);
            }
        }
    }

    /// `a * c` for a constant `c`, failing on overflow.
    fn mul_const(&mut self, a: Local, c: i64, site: i32) -> Local {
        match c {
            0 => {
                let r = self.f.i64_local();
                self.f.i64c(0).set(r);
                r
            }
            1 => self.copy(a),
            _ => {
                let (lo, hi) = inline::mul_bounds(c);
                self.fail_outside(a, lo, hi, site);
                let r = self.f.i64_local();
                self.f.get(a).i64c(c).op(I::I64Mul).set(r);
                r
            }
        }
    }

    /// `a * b`, failing on overflow: a plain multiply when both operands fit
    /// in 32 bits, else the helper.
    fn mul_checked(
        &mut self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        site: i32,
    ) -> Local {
        if let Some(c) = b.1 {
            return self.mul_const(a.0, c, site);
        }
        if let Some(c) = a.1 {
            return self.mul_const(b.0, c, site);
        }
        let r = self.f.i64_local();
        inline::fit_i32(&mut self.f, &[a.0, b.0]);
        self.f.if_();
        self.f.get(a.0).get(b.0).op(I::I64Mul).set(r);
        self.f.else_();
        self.exact(r, |g| {
            g.f.get(a.0).get(b.0);
            g.checked_call(Helper::MulChecked, site)
        });
        self.f.end();
        r
    }

    /// `round(a * b / 10^6)` half away from zero: inline while the product
    /// fits in 64 bits, else the 128-bit helper.
    fn mul_round(&mut self, a: (Local, Option<i64>), b: (Local, Option<i64>), site: i32) -> Local {
        let r = self.f.i64_local();
        let (x, c) = match (a.1, b.1) {
            (_, Some(c)) => (a.0, Some(c)),
            (Some(c), _) => (b.0, Some(c)),
            _ => (a.0, None),
        };
        match c {
            Some(0) => {
                self.f.i64c(0).set(r);
                return r;
            }
            Some(DEC_SCALE) => return self.copy(x),
            Some(c) => {
                let l = inline::mul_round_bound(c);
                if l == 0 {
                    return self.mul_div(a.0, Some(b.0), None, site);
                }
                inline::outside(&mut self.f, x, -l, l);
                self.f.op(I::I32Eqz);
            }
            None => inline::fit_i32(&mut self.f, &[a.0, b.0]),
        }
        self.f.if_();
        {
            let p = self.f.i64_local();
            self.f.get(x);
            match c {
                Some(c) => self.f.i64c(c),
                None => self.f.get(b.0),
            };
            self.f.op(I::I64Mul).set(p);
            inline::div_round_const(&mut self.f, p, DEC_SCALE);
            self.f.set(r);
        }
        self.f.else_();
        self.exact(r, |g| g.mul_div(a.0, Some(b.0), None, site));
        self.f.end();
        r
    }

    /// `round(a * 10^6 / b)` half away from zero: inline while `a * 10^6`
    /// is far from the i64 limits and `b` is not zero, else the helper.
    fn div_round(&mut self, a: Local, b: (Local, Option<i64>), site: i32) -> Local {
        let r = self.f.i64_local();
        match b.1 {
            Some(0) => return self.mul_div(a, None, Some(b.0), site),
            Some(c) => {
                let l = inline::div_round_bound(c);
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
            }
            None => {
                let l = inline::div_round_bound(i64::MIN);
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
                self.f.get(b.0).i64c(0).op(I::I64Ne).op(I::I32And);
            }
        }
        self.f.if_();
        {
            let p = self.f.i64_local();
            self.f.get(a).i64c(DEC_SCALE).op(I::I64Mul).set(p);
            match b.1 {
                Some(c) => inline::div_round_const(&mut self.f, p, c),
                None => inline::div_round_var(&mut self.f, p, b.0),
            }
            self.f.set(r);
        }
        self.f.else_();
        self.exact(r, |g| g.mul_div(a, None, Some(b.0), site));
        self.f.end();
        r
    }

    fn mul_div(&mut self, a: Local, b: Option<Local>, c: Option<Local>, site: i32) -> Local {
        self.f.get(a);
        match b {
            Some(b) => self.f.get(b),
            None => self.f.i64c(DEC_SCALE),
        };
        match c {
            Some(c) => self.f.get(c),
            None => self.f.i64c(DEC_SCALE),
        };
        self.checked_call(Helper::MulDivRound, site)
    }

    /// An arithmetic expression.
    fn arith_expr(&mut self, op: ArithOp, a: &Expr, b: &Expr, e: &Expr) -> Val {
        use ArithOp::*;
        // decimal or money times a promoted int n: round(x * n·10^6 / 10^6)
        // is exactly x * n, once the promotion of n has not overflowed
        let int_to_dec = |x: &Expr| matches!(x.kind, ExprKind::Promote(Promotion::IntToDec, _));
        let int_side = match op {
            MulDec | MulMoneyDec | MulDecMoney if int_to_dec(b) => Some(1),
            MulDec | MulMoneyDec | MulDecMoney if int_to_dec(a) => Some(0),
            _ => None,
        };
        if !self.track {
            if let Some(v) = self.arith_over_if(op, a, b, e, int_side) {
                return v;
            }
        }
        let x = self.operand(a, int_side == Some(0));
        let y = self.operand(b, int_side == Some(1));
        self.arith_vals(op, &x, &y, int_side, e)
    }

    /// An operand of [`Gen::arith_expr`]; for the promoted int of its
    /// `int_side` (`promoted_int`), the int itself, checked to promote.
    fn operand(&mut self, operand: &Expr, promoted_int: bool) -> Val {
        match &operand.kind {
            ExprKind::Promote(_, inner) if promoted_int => {
                let site = self.site(operand);
                let (lo, hi) = (i64::MIN / DEC_SCALE, i64::MAX / DEC_SCALE);
                if let Some(n) = self.offset_in_range(inner, (lo, hi), site) {
                    return n;
                }
                let n = self.expr(inner);
                self.check_range(&n, lo, hi, site);
                n
            }
            _ => self.expr(operand),
        }
    }

    /// In the fast evaluation, an int `x + k` or `x - k` (k a constant)
    /// that must lie within `lo..=hi`: one range check on x, shifted by k,
    /// for the two checks (the sum's overflow, then the range), as the sum
    /// cannot overflow once x is within the shifted range. None (and no
    /// code) for anything else.
    fn offset_in_range(&mut self, e: &Expr, (lo, hi): (i64, i64), site: i32) -> Option<Val> {
        if self.track {
            return None;
        }
        let ExprKind::Arith(op @ (ArithOp::AddInt | ArithOp::SubInt), a, b) = &e.kind else {
            return None;
        };
        let (x, k) = match (self.static_value(a), self.static_value(b), op) {
            (None, Some(k), ArithOp::AddInt) => (a, k),
            (None, Some(k), _) => (a, k.checked_neg()?),
            (Some(k), None, ArithOp::AddInt) => (b, k),
            _ => return None,
        };
        let (x_lo, x_hi) = (lo.checked_sub(k)?, hi.checked_sub(k)?);
        let x = self.expr(x);
        self.fail_outside(x.v, x_lo, x_hi, site);
        let r = self.f.i64_local();
        self.f.get(x.v).i64c(k).op(I::I64Add).set(r);
        self.bounds.insert(r, (lo, hi));
        Some(Val {
            v: r,
            set: self.empty_set(),
            k: None,
        })
    }

    /// The fast evaluation of `x op (if c then k1 else k2)`, or of the `if`
    /// on the left, for constants k1 and k2 and a non-constant x: a branch
    /// on c, then in each branch the operation with a constant operand and
    /// that constant's fast path (times 1 is a copy, plus 0 nothing). The
    /// fast evaluation leaves failures to the full one, so evaluating c
    /// after x, wherever the `if` is, changes nothing.
    fn arith_over_if(
        &mut self,
        op: ArithOp,
        a: &Expr,
        b: &Expr,
        e: &Expr,
        int_side: Option<usize>,
    ) -> Option<Val> {
        // the side of the `if` (0 left, 1 right; the right when both are)
        let mut found = None;
        for (side, this, other) in [(0, a, b), (1, b, a)] {
            if let ExprKind::If(c, p, q) = &this.kind {
                if self.static_value(c).is_none() && self.static_value(other).is_none() {
                    if let (Some(k1), Some(k2)) = (self.static_value(p), self.static_value(q)) {
                        found = Some((side, other, c, [k1, k2]));
                    }
                }
            }
        }
        let (side, other, c, ks) = found?;
        let other = self.operand(other, int_side == Some(1 - side));
        let out = self.f.i64_local();
        let done = self.f.block();
        let second = self.f.block();
        self.branch_on(c, false, second);
        for (i, k) in ks.into_iter().enumerate() {
            let k = self.konst(k);
            let (x, y) = if side == 1 {
                (&other, &k)
            } else {
                (&k, &other)
            };
            let r = self.arith_vals(op, x, y, int_side, e);
            self.f.get(r.v).set(out);
            if i == 0 {
                self.f.br(done);
            }
            self.f.end();
        }
        Some(Val {
            v: out,
            set: self.empty_set(),
            k: None,
        })
    }

    /// [`Gen::arith_expr`] once its operands are evaluated.
    fn arith_vals(
        &mut self,
        op: ArithOp,
        x: &Val,
        y: &Val,
        int_side: Option<usize>,
        e: &Expr,
    ) -> Val {
        let site = self.site(e);
        let (kx, ky) = (x.k, y.k);
        if int_side.is_some() {
            if let Some(r) = kx.zip(ky).and_then(|(p, q)| p.checked_mul(q)) {
                return self.konst(r);
            }
            // n is within ±i64::MAX / 10^6 now, so a constant factor of at
            // most 10^6 cannot overflow
            let small = |k: Option<i64>| k.is_some_and(|c| c.unsigned_abs() <= DEC_SCALE as u64);
            let (kn, kother) = if int_side == Some(1) {
                (ky, kx)
            } else {
                (kx, ky)
            };
            if kn.is_none() && small(kother) {
                let n_side = int_side.unwrap_or(0);
                return self.strict(&[x, y], |g, v| {
                    let r = g.f.i64_local();
                    g.f.get(v[0]).get(v[1]).op(I::I64Mul).set(r);
                    let product = |(lo, hi): (i64, i64), c: i64| {
                        let (p, q) = (lo.checked_mul(c)?, hi.checked_mul(c)?);
                        Some((p.min(q), p.max(q)))
                    };
                    if let Some(b) = kother
                        .zip(g.fast_bounds(v[n_side]))
                        .and_then(|(c, b)| product(b, c))
                    {
                        g.bounds.insert(r, b);
                    }
                    r
                });
            }
            return self.strict(&[x, y], |g, v| g.mul_checked((v[0], kx), (v[1], ky), site));
        }
        if let Some(r) = kx.zip(ky).and_then(|(p, q)| fold_arith(op, p, q)) {
            return self.konst(r);
        }
        self.strict(&[x, y], |g, v| g.arith(op, (v[0], kx), (v[1], ky), site))
    }

    /// Fails with overflow when `x` is known and outside `lo..=hi`.
    fn check_range(&mut self, x: &Val, lo: i64, hi: i64, site: i32) {
        if let Some(n) = x.k {
            if !(lo..=hi).contains(&n) {
                self.fail(abi::STATUS_OVERFLOW, site);
            }
            return;
        }
        let tracked = self.track && !Self::is_static_empty(&x.set);
        if tracked {
            self.push_unknown(&x.set);
            self.f.op(I::I32Eqz);
            self.f.if_();
        }
        self.fail_outside(x.v, lo, hi, site);
        if tracked {
            self.f.end();
        }
    }

    fn arith(
        &mut self,
        op: ArithOp,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        site: i32,
    ) -> Local {
        use ArithOp::*;
        match op {
            AddInt | AddDec | AddMoney => self.checked_add(a, b, site, false),
            SubInt | SubDec | SubMoney => self.checked_add(a, b, site, true),
            MulInt => self.mul_checked(a, b, site),
            // round(a * b / 10^6)
            MulDec | MulMoneyDec | MulDecMoney => self.mul_round(a, b, site),
            // round(a * 10^6 / b)
            DivInt | DivDec | DivMoneyDec | DivMoneyMoney => self.div_round(a.0, b, site),
        }
    }

    fn call(&mut self, func: Func, v: &[Local], site: i32) -> Local {
        let r = self.f.i64_local();
        match func {
            Func::Min | Func::Max => {
                let Some((first, rest)) = v.split_first() else {
                    self.f.i64c(0).set(r);
                    return r;
                };
                self.f.get(*first).set(r);
                for x in rest {
                    // select(x, r, x < r) for min
                    self.f.get(*x).get(r).get(*x).get(r);
                    self.f.op(if func == Func::Min {
                        I::I64LtS
                    } else {
                        I::I64GtS
                    });
                    self.f.op(I::Select).set(r);
                }
            }
            Func::Abs => {
                let x = v.first().copied().unwrap_or(r);
                self.f.get(x).i64c(i64::MIN).op(I::I64Eq);
                self.f.if_();
                self.fail(abi::STATUS_OVERFLOW, site);
                self.f.end();
                self.f.get(x).i64c(0).get(x).op(I::I64Sub);
                self.f.get(x).i64c(0).op(I::I64GeS).op(I::Select).set(r);
            }
            Func::Floor(k) | Func::Ceil(k) | Func::Round(k) => {
                let x = v.first().copied().unwrap_or(r);
                let mode = match func {
                    Func::Floor(_) => 0,
                    Func::Ceil(_) => 1,
                    _ => 2,
                };
                match k {
                    NumKind::Int => {
                        self.f.get(x).set(r);
                    }
                    NumKind::Dec => {
                        self.f.get(x).i64c(DEC_SCALE).i32c(mode);
                        self.f.op(I::Call(helper_index(Helper::DivMode))).set(r);
                    }
                    NumKind::Money => {
                        self.f.get(x).i64c(100).i32c(mode);
                        self.f.op(I::Call(helper_index(Helper::DivMode))).i64c(100);
                        let m = self.checked_call(Helper::MulChecked, site);
                        self.f.get(m).set(r);
                    }
                }
            }
            Func::YearsBetween => {
                self.f.get(v[0]).get(v[1]);
                self.f
                    .op(I::Call(helper_index(Helper::YearsBetween)))
                    .set(r);
            }
            Func::DaysBetween => {
                self.f.get(v[1]).get(v[0]).op(I::I64Sub).set(r);
            }
            Func::StartsWith | Func::EndsWith | Func::Contains => {
                let h = match func {
                    Func::StartsWith => Helper::StartsWith,
                    Func::EndsWith => Helper::EndsWith,
                    _ => Helper::Contains,
                };
                self.f.get(v[0]).get(v[1]).op(I::Call(helper_index(h)));
                self.f.op(I::I64ExtendI32U).set(r);
            }
        }
        r
    }

    /// Kleene `and` (is_and) or `or`, short-circuiting left to right.
    fn logic(&mut self, a: &Expr, b: &Expr, is_and: bool) -> Val {
        // the value that decides: false for and, true for or
        let decisive: i64 = if is_and { 0 } else { 1 };
        let l = self.expr(a);
        let out = self.f.i64_local();
        if !self.track {
            self.f.get(l.v).set(out);
            self.f.get(l.v).i64c(decisive).op(I::I64Ne);
            self.f.if_();
            let r = self.expr(b);
            self.f.get(r.v).set(out);
            self.f.end();
            return Val {
                v: out,
                set: self.empty_set(),
                k: None,
            };
        }
        let out_set = self.zero_set();
        let lu = self.f.i32_local();
        self.push_unknown(&l.set);
        self.f.set(lu);
        self.f.i64c(decisive).set(out);
        // left known and decisive: done
        self.f.get(lu).op(I::I32Eqz);
        self.f
            .get(l.v)
            .i64c(decisive)
            .op(I::I64Eq)
            .op(I::I32And)
            .op(I::I32Eqz);
        self.f.if_();
        {
            let r = self.expr(b);
            self.f.get(lu).op(I::I32Eqz);
            self.f.if_();
            {
                // left known, not decisive: the right decides
                self.f.get(r.v).set(out);
                self.assign_set(&out_set, &r.set);
            }
            self.f.else_();
            {
                self.push_unknown(&r.set);
                self.f.op(I::I32Eqz);
                self.f.if_();
                {
                    self.f.get(r.v).i64c(decisive).op(I::I64Ne);
                    self.f.if_();
                    self.assign_set(&out_set, &l.set);
                    self.f.end();
                }
                self.f.else_();
                {
                    let both = self.union(&[&l.set, &r.set]);
                    self.assign_set(&out_set, &both);
                }
                self.f.end();
            }
            self.f.end();
        }
        self.f.end();
        Val {
            v: out,
            set: Self::as_set(&out_set),
            k: None,
        }
    }

    /// A value computed by `body` only when the `guard` set is empty (the
    /// guarding value known); otherwise unknown with the guard's set. `body`
    /// assigns the result local and its set locals.
    fn unless_unknown(
        &mut self,
        guard: &Set,
        body: impl FnOnce(&mut Self, Local, &[Local]),
    ) -> Val {
        let out = self.f.i64_local();
        let out_set = self.zero_set();
        let tracked = self.track && !Self::is_static_empty(guard);
        if tracked {
            self.push_unknown(guard);
            self.f.if_();
            self.assign_set(&out_set, guard);
            self.f.else_();
        }
        body(self, out, &out_set);
        if tracked {
            self.f.end();
        }
        Val {
            v: out,
            set: if self.track {
                Self::as_set(&out_set)
            } else {
                self.empty_set()
            },
            k: None,
        }
    }

    fn if_expr(&mut self, c: &Expr, a: &Expr, b: &Expr) -> Val {
        let both_static = self.static_value(a).is_some() && self.static_value(b).is_some();
        if !self.track && !both_static && self.static_value(c).is_none() {
            // the fast evaluation branches on the condition itself
            let out = self.f.i64_local();
            let done = self.f.block();
            let other = self.f.block();
            self.branch_on(c, false, other);
            let x = self.expr(a);
            self.f.get(x.v).set(out);
            self.f.br(done);
            self.f.end();
            let y = self.expr(b);
            self.f.get(y.v).set(out);
            self.f.end();
            return Val {
                v: out,
                set: self.empty_set(),
                k: None,
            };
        }
        let cv = self.expr(c);
        if let Some(cond) = cv.k {
            return self.expr(if cond != 0 { a } else { b });
        }
        if both_static {
            // both branches constant: a select instead of a branch
            let (x, y) = (self.expr(a), self.expr(b));
            return self.unless_unknown(&cv.set, |g, out, _| {
                g.f.get(x.v).get(y.v).get(cv.v).op(I::I32WrapI64);
                g.f.op(I::Select).set(out);
            });
        }
        self.unless_unknown(&cv.set, |g, out, out_set| {
            g.f.get(cv.v).op(I::I32WrapI64);
            g.f.if_();
            let x = g.expr(a);
            g.f.get(x.v).set(out);
            g.assign_set(out_set, &x.set);
            g.f.else_();
            let y = g.expr(b);
            g.f.get(y.v).set(out);
            g.assign_set(out_set, &y.set);
            g.f.end();
        })
    }

    fn aggregate(&mut self, kind: AggKind, list: &Expr, body: Option<&Expr>, e: &Expr) -> Val {
        let lv = self.expr(list);
        self.unless_unknown(&lv.set, |g, out, out_set| {
            g.fold_list(kind, &lv, list, body, e, out, out_set)
        })
    }

    /// The loop of an aggregation over a known list, into `out` and `out_set`.
    #[allow(clippy::too_many_arguments)]
    fn fold_list(
        &mut self,
        kind: AggKind,
        lv: &Val,
        list: &Expr,
        body: Option<&Expr>,
        e: &Expr,
        out: Local,
        out_set: &[Local],
    ) {
        match body {
            None => {
                self.f.get(lv.v).i64c(32).op(I::I64ShrU).set(out);
            }
            Some(body) => {
                let layout = match abi::value_type(&list.ty) {
                    abi::ValueType::List { element } => element,
                    _ => Layout {
                        size: 8,
                        presence_words: 1,
                        fields: Vec::new(),
                    },
                };
                let site = self.site(e);
                let (p, n) = (self.f.i32_local(), self.f.i32_local());
                self.f.get(lv.v).op(I::I32WrapI64).set(p);
                self.f
                    .get(lv.v)
                    .i64c(32)
                    .op(I::I64ShrU)
                    .op(I::I32WrapI64)
                    .set(n);
                let init = if kind == AggKind::Every { 1 } else { 0 };
                self.f.i64c(init).set(out);
                let acc_set = self.zero_set();
                let size = layout.size;
                self.vars.push((p, layout));
                let done = self.f.block();
                let top = self.f.loop_();
                self.f.get(n).op(I::I32Eqz);
                self.f.br_if(done);
                let b = self.expr(body);
                let body_tracked = self.if_unknown_collect(&acc_set, &b.set);
                match kind {
                    AggKind::Count => {
                        self.f.get(out).get(b.v).op(I::I64Add).set(out);
                    }
                    AggKind::Sum(_) => {
                        let r = self.checked_add((out, None), (b.v, b.k), site, false);
                        self.f.get(r).set(out);
                    }
                    AggKind::Any | AggKind::Every => {
                        // a deciding element: true for any, false for every
                        let deciding = i64::from(kind == AggKind::Any);
                        self.f.get(b.v).i64c(deciding).op(I::I64Eq);
                        self.f.if_();
                        self.f.i64c(deciding).set(out);
                        for l in &acc_set {
                            self.f.i64c(0).set(*l);
                        }
                        self.f.br(done);
                        self.f.end();
                    }
                }
                if body_tracked {
                    self.f.end();
                }
                self.f.get(p).i32c(size as i32).op(I::I32Add).set(p);
                self.f.get(n).i32c(1).op(I::I32Sub).set(n);
                self.f.br(top);
                self.f.end();
                self.f.end();
                self.vars.pop();
                let acc = Self::as_set(&acc_set);
                self.assign_set(out_set, &acc);
            }
        }
    }

    // ---- decisions ----

    /// Pushes i32: whether a clause is in force on `as_of`.
    fn active(&mut self, c: &Clause) -> bool {
        let mut pushed = false;
        if let Some(from) = c.from {
            self.f.get(self.as_of).i64c(i64::from(from)).op(I::I64GeS);
            pushed = true;
        }
        if let Some(until) = c.until {
            self.f.get(self.as_of).i64c(i64::from(until)).op(I::I64LtS);
            if pushed {
                self.f.op(I::I32And);
            }
            pushed = true;
        }
        pushed
    }

    fn requires(&mut self, clauses: &[Clause], failure: Option<(Local, Local)>) -> Slot {
        let missing = self.zero_set();
        let reason_words = clauses.len().div_ceil(64).max(1);
        let reasons: Vec<Local> = (0..reason_words)
            .map(|_| {
                let l = self.f.i64_local();
                self.f.i64c(0).set(l);
                l
            })
            .collect();
        // whether each clause is false (1) or not (0: true, unknown, not in force)
        let mut falses = Vec::with_capacity(clauses.len());
        for c in clauses {
            let Some(cond) = &c.cond else {
                falses.push(None);
                continue;
            };
            let false_ = self.f.i64_local();
            self.f.i64c(0).set(false_);
            let gated = self.active(c);
            if gated {
                self.f.if_();
            }
            let v = self.expr(cond);
            let tracked = self.if_unknown_collect(&missing, &v.set);
            self.f
                .get(v.v)
                .op(I::I64Eqz)
                .op(I::I64ExtendI32U)
                .set(false_);
            if tracked {
                self.f.end();
            }
            if gated {
                self.f.end();
            }
            falses.push(Some(false_));
        }
        // each word from its last clause down: word = word << 1 + false, one
        // x86 lea a clause, without a branch
        for (word, chunk) in reasons.iter().zip(falses.chunks(64)) {
            for false_ in chunk.iter().rev() {
                self.f.get(*word).i64c(1).op(I::I64Shl);
                if let Some(l) = false_ {
                    self.f.get(*l).op(I::I64Add);
                }
                self.f.set(*word);
            }
        }
        // false if any require is false (and then known), else unknown, else true
        let (value, any_false) = (self.f.i64_local(), self.f.i32_local());
        self.f.i32c(0);
        for r in &reasons {
            self.f.get(*r).i64c(0).op(I::I64Ne).op(I::I32Or);
        }
        self.f.set(any_false);
        self.f
            .get(any_false)
            .op(I::I32Eqz)
            .op(I::I64ExtendI32U)
            .set(value);
        for m in &missing {
            // a false require makes the decision known
            self.f.i64c(0).get(*m).get(any_false).op(I::Select).set(*m);
        }
        Slot {
            value,
            set: if self.track {
                Self::as_set(&missing)
            } else {
                self.empty_set()
            },
            failure,
            aux: None,
            reasons,
        }
    }

    fn whens(
        &mut self,
        decision: usize,
        clauses: &[Clause],
        failure: Option<(Local, Local)>,
    ) -> Slot {
        let value = self.f.i64_local();
        let aux = self.f.i64_local();
        let acc = self.zero_set();
        let chosen_set = self.zero_set();
        let done = self.f.block();
        for (i, c) in clauses.iter().enumerate() {
            let gated = self.active(c);
            if gated {
                self.f.if_();
            }
            let mut opened = 0;
            if let Some(cond) = &c.cond {
                if self.track {
                    let v = self.expr(cond);
                    if self.if_unknown_collect(&acc, &v.set) {
                        opened += 1;
                    }
                    self.f.get(v.v).op(I::I32WrapI64);
                    self.f.if_();
                } else {
                    let next = self.f.block();
                    self.branch_on(cond, false, next);
                }
                opened += 1;
            }
            let v = self.expr(c.value.as_ref().unwrap_or(&Expr {
                kind: ExprKind::Const(Const::Num(0)),
                ty: Type::Int,
                span: Default::default(),
            }));
            self.f.get(v.v).set(value);
            self.f.i64c(i as i64).set(aux);
            self.assign_set(&chosen_set, &v.set);
            self.f.br(done);
            for _ in 0..opened {
                self.f.end();
            }
            if gated {
                self.f.end();
            }
        }
        // no clause applies: unknown if an earlier condition was, else an error
        if self.track {
            self.push_unknown(&Self::as_set(&acc));
            self.f.op(I::I32Eqz);
            self.f.if_();
            self.fail(abi::STATUS_NO_CLAUSE, decision as i32);
            self.f.end();
        } else {
            self.fail(abi::STATUS_NO_CLAUSE, decision as i32);
        }
        self.f.end();
        let set = if self.track {
            let a = Self::as_set(&acc);
            let c = Self::as_set(&chosen_set);
            self.union(&[&a, &c])
        } else {
            self.empty_set()
        };
        Slot {
            value,
            set,
            failure,
            aux: Some(aux),
            reasons: Vec::new(),
        }
    }
}

/// The value of an arithmetic operation on two constants, unless it fails.
fn fold_arith(op: ArithOp, x: i64, y: i64) -> Option<i64> {
    use crate::num;
    use ArithOp::*;
    match op {
        AddInt => num::int_add(x, y),
        SubInt => num::int_sub(x, y),
        MulInt => num::int_mul(x, y),
        DivInt => num::int_div_to_dec(x, y),
        AddDec => num::dec_add(x, y),
        SubDec => num::dec_sub(x, y),
        MulDec => num::dec_mul(x, y),
        DivDec => num::dec_div(x, y),
        AddMoney => num::money_add(x, y),
        SubMoney => num::money_sub(x, y),
        MulMoneyDec => num::money_mul_dec(x, y),
        MulDecMoney => num::dec_mul_money(x, y),
        DivMoneyDec => num::money_div_dec(x, y),
        DivMoneyMoney => num::money_div_money(x, y),
    }
    .ok()
}
