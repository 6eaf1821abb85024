//! Defines computed where they are first read, in the fast evaluation.
//!
//! The full evaluation computes every define where the program's order
//! puts it, before its readers. The fast evaluation of a function of its
//! own (not a split part) computes a define only where a reader reads it,
//! so that a record whose clauses never reach the reader never pays for it:
//! casework routing computes the claimant's age (a `years_between`) only
//! for the new claims that get as far as the age clauses, where the
//! program order would compute it for every record with a date of birth.
//!
//! A define that a record then computes at several reads is computed once:
//! an i32 local says whether it has been, tested at a read only where an
//! earlier computation does not hold on every path ([`Check::Computed`]).
//! Each read that may compute it has a copy of its code, so a define is
//! deferred only while the copies stay small ([`plan`]). A deferred
//! define that fails leaves the record to the full evaluation only when a
//! reader reads it, as the interpreter fails only there.
//!
//! Where the evaluation tests each input where it reads it, a define
//! computed where it stands would be skipped for an absent input and
//! flagged, each read testing the flag: deferred, it needs neither. Where
//! every input was tested before the evaluation started, a define that
//! some reader reads on every path stays where it stands: deferring it
//! would only move its code ([`Deferral::WhereTested`]).

use super::*;

/// A deferred define: the locals of its value and of whether a record
/// computed it yet (i32, set to 0 where the define stands in the
/// program's order, once a record), and whether its code was emitted
/// before (a later read then tests that local, unless an earlier
/// computation holds on every path to it).
#[derive(Clone, Copy)]
pub(super) struct Deferred {
    value: Local,
    computed: Local,
    emitted: bool,
}

/// The most expression nodes a deferred define's copies may add beyond
/// its first: past it the define is computed where it stands (its code
/// once), as in the full evaluation.
const COPY_BUDGET: usize = 64;

/// What an aggregation over a list counts for in [`COPY_BUDGET`]: its
/// loop's code is many times a plain node's.
const LOOP_WEIGHT: usize = 16;

/// Whether the fast evaluation defers a define (see [`plan`]).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Deferral {
    /// Computed where it stands in the program's order.
    #[default]
    Never,
    /// Deferred where the evaluation tests each input where it reads it
    /// (a define skipped there for an absent input needs a flag tested at
    /// each read), and not where every input was tested before it started:
    /// some reader reads it on every path (see [`walk_always`]), so
    /// deferring it there would only move its code.
    WhereTested,
    /// Deferred in both.
    Always,
}

/// Which of the program's defines the fast evaluation defers: those that
/// read the record (a define of params and constants alone is folded
/// where it stands), whose code is copied at most [`COPY_BUDGET`] nodes
/// beyond the first copy. A define is copied once a read of it, a read in
/// a deferred define once a copy of that define.
pub(super) fn plan(p: &Program) -> Vec<Deferral> {
    let reads = reads(p);
    let mut defer = vec![Deferral::Never; reads.len()];
    let mut copies = vec![0usize; reads.len()];
    // readers first: every define comes after those it reads in the
    // program's order
    let defines = p.order.iter().rev().filter_map(|c| match c {
        Computed::Define(i) => Some(*i),
        Computed::Decision(_) => None,
    });
    for i in defines {
        let Some(r) = reads.get(i) else { continue };
        let by_defines: usize = (r.by_defines.iter())
            .map(|&d| match defer.get(d) {
                Some(Deferral::Never) | None => 1,
                Some(_) => copies.get(d).copied().unwrap_or(1),
            })
            .sum();
        let c = by_defines + r.by_decisions;
        if !r.reads_record || r.weight * c.saturating_sub(1) > COPY_BUDGET {
            continue;
        }
        copies[i] = c;
        // read on every path by a decision, or by a define computed where
        // it stands where every input was tested first
        let eager_where_checked =
            |d: &usize| matches!(defer.get(*d), Some(Deferral::Never | Deferral::WhereTested));
        let always_read =
            r.always_by_a_decision || r.always_by_defines.iter().any(eager_where_checked);
        defer[i] = match always_read {
            true => Deferral::WhereTested,
            false => Deferral::Always,
        };
    }
    defer
}

/// How a define is read, for [`plan`].
#[derive(Clone, Default)]
struct Reads {
    /// Its expression's nodes, an aggregation counting [`LOOP_WEIGHT`].
    weight: usize,
    /// Whether its expression reads the record (an input, `as_of`, an
    /// item that may).
    reads_record: bool,
    /// The defines that read it, once a read.
    by_defines: Vec<usize>,
    /// Its reads in decisions.
    by_decisions: usize,
    /// The defines that read it on every path of their evaluation.
    always_by_defines: Vec<usize>,
    /// Whether a decision reads it on every path of its evaluation.
    always_by_a_decision: bool,
}

/// How each of the program's defines is read.
fn reads(p: &Program) -> Vec<Reads> {
    let mut reads = vec![Reads::default(); p.defines.len()];
    for (i, d) in p.defines.iter().enumerate() {
        let (mut weight, mut reads_record) = (0, false);
        walk(&d.expr, &mut |e| {
            weight += match e.kind {
                ExprKind::Aggregate { .. } => LOOP_WEIGHT,
                _ => 1,
            };
            match e.kind {
                ExprKind::Define(j) => {
                    reads_record = true;
                    if let Some(r) = reads.get_mut(j) {
                        r.by_defines.push(i);
                    }
                }
                ExprKind::Input(_)
                | ExprKind::Decision(_)
                | ExprKind::AsOf
                | ExprKind::Known(_)
                | ExprKind::Aggregate { .. } => reads_record = true,
                _ => {}
            }
        });
        walk_always(&d.expr, &mut |e| {
            if let ExprKind::Define(j) = e.kind {
                if let Some(r) = reads.get_mut(j) {
                    r.always_by_defines.push(i);
                }
            }
        });
        if let Some(r) = reads.get_mut(i) {
            (r.weight, r.reads_record) = (weight, reads_record);
        }
    }
    // the decisions' expressions come after the defines' in `item_exprs`
    for e in p.item_exprs().into_iter().skip(p.defines.len()) {
        walk(e, &mut |e| {
            if let ExprKind::Define(j) = e.kind {
                if let Some(r) = reads.get_mut(j) {
                    r.by_decisions += 1;
                }
            }
        });
    }
    for d in &p.decisions {
        for e in always_evaluated(d) {
            walk_always(e, &mut |e| {
                if let ExprKind::Define(j) = e.kind {
                    if let Some(r) = reads.get_mut(j) {
                        r.always_by_a_decision = true;
                    }
                }
            });
        }
    }
    reads
}

/// The expressions a decision evaluates for every record: an expression
/// decision's, every undated `require`'s condition, an undated first
/// `when`'s condition.
fn always_evaluated(d: &DecisionDef) -> Vec<&Expr> {
    let undated = |c: &&Clause| c.from.is_none() && c.until.is_none();
    match &d.body {
        Body::Expr(e) => vec![e],
        Body::Requires(cs) => cs
            .iter()
            .filter(undated)
            .filter_map(|c| c.cond.as_ref())
            .collect(),
        Body::Whens(cs) => (cs.first().filter(undated))
            .and_then(|c| c.cond.as_ref())
            .into_iter()
            .collect(),
    }
}

/// Calls `visit` on the nodes of `e` evaluated whenever `e` is: not those
/// under the right side of an `and`/`or`, an `if`'s arms, an `in` list's
/// items or an aggregation's body.
fn walk_always<'e>(e: &'e Expr, visit: &mut impl FnMut(&'e Expr)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        visit(e);
        match &e.kind {
            ExprKind::And(a, _) | ExprKind::Or(a, _) | ExprKind::If(a, _, _) => stack.push(a),
            ExprKind::In(_, x, _) => stack.push(x),
            ExprKind::Aggregate { list, .. } => stack.push(list),
            _ => e.push_children(&mut stack),
        }
    }
}

/// Calls `visit` on every node of `e`.
fn walk<'e>(e: &'e Expr, visit: &mut impl FnMut(&'e Expr)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        visit(e);
        e.push_children(&mut stack);
    }
}

impl Gen<'_> {
    /// Whether define `i` is deferred in this evaluation: a fast one that
    /// is a function of its own (a split part stores its defines for the
    /// parts after it).
    pub(super) fn defers(&mut self, i: usize) -> bool {
        if self.fallback.is_none() || self.scratch.is_some() {
            return false;
        }
        let p = self.p;
        let plan = self.deferrable.get_or_insert_with(|| plan(p));
        match plan.get(i).copied().unwrap_or_default() {
            Deferral::Never => false,
            Deferral::WhereTested => self.check_where_read,
            Deferral::Always => true,
        }
    }

    /// Where define `i` stands in the program's order: its value's local,
    /// and a record's note that it is not computed yet.
    pub(super) fn defer_define(&mut self, i: usize) {
        let value = self.f.i64_local();
        let computed = self.f.i32_local();
        self.f.i32c(0).set(computed);
        if let Some(d) = self.deferred.get_mut(i) {
            *d = Some(Deferred {
                value,
                computed,
                emitted: false,
            });
        }
        self.defines[i] = Some(Slot {
            value,
            set: self.empty_set(),
            failure: None,
            aux: None,
        });
    }

    /// Before a read of define `i`: computes it, unless code computing it
    /// ran on every path to here; where an earlier computation may have
    /// run on some paths only, first tests whether the record computed it.
    pub(super) fn compute_deferred(&mut self, i: usize) {
        let p = self.p;
        let (Some(Some(mut d)), Some(def), Some(fallback)) = (
            self.deferred.get(i).copied(),
            p.defines.get(i),
            self.fallback,
        ) else {
            return;
        };
        if self.is_checked(Check::Computed(i)) {
            return;
        }
        // a record computed it already only if code computing it came
        // before (or, in a loop, may have run at an earlier turn)
        let test = d.emitted || self.f.loops_open() > self.loops_at_start;
        let done = test.then(|| {
            let done = self.f.block();
            self.f.get(d.computed);
            self.f.br_if(done);
            done
        });
        let outer = self.cur.replace(Current {
            on_fail: OnFail::Fallback(fallback),
            context: format!("define {}", def.name),
        });
        let unchecked = std::mem::replace(&mut self.unchecked_reads, false);
        let scope = self.f.scope();
        let v = self.expr(&def.expr);
        self.f.get(v.v).set(d.value);
        if let Some(b) = self.bounds.get(&v.v).copied() {
            self.bounds.insert(d.value, b);
        }
        self.f.i32c(1).set(d.computed);
        self.release(scope, &[]);
        self.unchecked_reads = unchecked;
        self.cur = outer;
        if done.is_some() {
            self.f.end();
        }
        if !self.already_checked(Check::Computed(i)) {
            self.check_made(Check::Computed(i));
        }
        d.emitted = true;
        if let Some(slot) = self.deferred.get_mut(i) {
            *slot = Some(d);
        }
    }
}
