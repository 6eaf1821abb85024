//! `would_change`: changes of facts that give a decision another value,
//! found by evaluating the policy, never by reading its source.
//!
//! - A bool or enum fact: each other value (every value when absent).
//! - An int, money, decimal or date fact: in each direction, the nearest
//!   value that changes the decision. Probes walk outward (the values either
//!   side of the policy's constants, then steps doubling from one unit);
//!   between the last probe that kept the decision and the first that
//!   changed it, a binary search finds the exact unit, penny or day.
//! - A number decision changes when it crosses zero (its sign changes);
//!   where a fact moves it linearly, its rate is reported too.
//! - An unknown decision: the answers to its missing facts that decide it.
//! - Where no single fact changes a bool or enum decision: pairs of facts,
//!   each moved to where it changes one of the decision's clauses.
//!
//! Every change is the result of an evaluation of the policy with that
//! change applied and everything else kept, so it is checked by
//! construction.

use super::fact_json;
use crate::abi::ValueType;
use crate::candidates::Candidates;
use crate::facts::{FactValue, Facts};
use crate::interp::{self, Trace};
use crate::num::Date;
use crate::outcome::{DecisionOutcome, Outcome, Value};
use crate::policy::Policy;
use crate::program::{Body, Program, Type};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use std::rc::Rc;

/// One change of facts and the value it gives the decision.
#[derive(Debug, Clone)]
pub struct Change {
    /// The facts changed and their new values (JSON, as facts are written).
    pub set: Vec<(String, Json)>,
    /// The decision's value with the change.
    pub to: Json,
    /// For a `require` decision: the reason that stops failing (to true)
    /// or starts failing (to false).
    pub because: Option<String>,
    /// Set when two facts are needed: no single fact changes the decision.
    pub note: Option<String>,
    /// For a `when` decision: the line of the clause that decides after
    /// the change (another clause than now, or another value, or both).
    pub line: Option<u32>,
    /// For a `when` decision: that clause's `because`, where it has one.
    pub clause_because: Option<String>,
}

impl Change {
    pub fn to_json(&self) -> Json {
        let mut set = Map::new();
        for (k, v) in &self.set {
            set.insert(k.clone(), v.clone());
        }
        let mut o = Map::new();
        o.insert("set".into(), Json::Object(set));
        o.insert("to".into(), self.to.clone());
        if let Some(b) = &self.because {
            o.insert("because".into(), json!(b));
        }
        if let Some(n) = &self.note {
            o.insert("note".into(), json!(n));
        }
        if let Some(l) = self.line {
            o.insert("line".into(), json!(l));
        }
        Json::Object(o)
    }
}

/// Most hypothetical evaluations spent on pairs for one decision.
const PAIR_BUDGET: usize = 400;

type Eval = Option<Rc<(Outcome, Trace)>>;

pub(super) struct Search<'a> {
    policy: &'a Policy,
    program: &'a Program,
    base: &'a Facts,
    outcome: &'a Outcome,
    as_of: Date,
    cands: Candidates,
    cache: HashMap<Vec<(usize, FactValue)>, Eval>,
    evaluations: usize,
}

/// What a search compares: a decision's class, or (for pairs) the results
/// of its clauses.
#[derive(Debug, Clone, PartialEq)]
enum Class {
    /// Bool, enum, text and date decisions: their value; number decisions:
    /// their sign. With the `when` clause that decided, so that a change
    /// routing the case to another clause counts even for the same value.
    Decided(Value, Option<usize>),
    Clauses(String),
}

/// The class of a decision's outcome; None when it is unknown.
fn class(t: &Type, o: &DecisionOutcome) -> Option<Class> {
    let v = match (t, o.value.as_ref()?) {
        (Type::Int | Type::Money | Type::Decimal, Value::Num(n)) => Value::Num(n.signum()),
        (_, v) => v.clone(),
    };
    Some(Class::Decided(v, o.clause))
}

/// One unit of a number fact, and the span searched either side.
fn unit_and_span(t: &ValueType) -> Option<(i64, i64)> {
    match t {
        ValueType::Int => Some((1, 1 << 40)),
        ValueType::Money => Some((1, 1 << 45)),
        ValueType::Decimal => Some((1, 1 << 55)),
        // 200 years either way
        ValueType::Date => Some((1, 73_050)),
        _ => None,
    }
}

impl<'a> Search<'a> {
    pub(super) fn new(
        policy: &'a Policy,
        program: &'a Program,
        base: &'a Facts,
        outcome: &'a Outcome,
        as_of: Date,
    ) -> Search<'a> {
        let mut cands = Candidates::default();
        cands.gather(policy, as_of.0);
        Search {
            policy,
            program,
            base,
            outcome,
            as_of,
            cands,
            cache: HashMap::new(),
            evaluations: 0,
        }
    }

    pub(super) fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// The policy evaluated with `set` applied (None: the evaluation failed,
    /// as when a date is out of range for a param).
    fn eval(&mut self, set: &[(usize, FactValue)]) -> Eval {
        if let Some(e) = self.cache.get(set) {
            return e.clone();
        }
        self.evaluations += 1;
        let mut facts = self.base.clone();
        for (f, v) in set {
            if let Some(slot) = facts.values.get_mut(*f) {
                *slot = Some(v.clone());
            }
        }
        let (o, t) = interp::evaluate_traced(self.program, &facts, self.as_of.0);
        let e = o.ok().map(|o| Rc::new((o, t)));
        self.cache.insert(set.to_vec(), e.clone());
        e
    }

    fn field_type(&self, f: usize) -> Option<&'a ValueType> {
        self.policy.meta().input.fields.get(f).map(|m| &m.ty)
    }

    /// `would_change` and the linear rates of decision `i`.
    pub(super) fn decision(&mut self, i: usize) -> (Vec<Change>, Vec<(String, Json, Json)>) {
        let Some(d) = self.program.decisions.get(i) else {
            return (Vec::new(), Vec::new());
        };
        let Some(now) = self.outcome.decisions.get(i) else {
            return (Vec::new(), Vec::new());
        };
        let Some(here) = class(&d.ty, now) else {
            return (self.unknown(i), Vec::new());
        };
        let n_fields = self.policy.meta().input.fields.len();
        let mut out = Vec::new();
        for f in 0..n_fields {
            let Some(t) = self.field_type(f) else {
                continue;
            };
            let current = self.base.values.get(f).cloned().flatten();
            let tries: Vec<FactValue> = match (t, &current) {
                (ValueType::Bool | ValueType::Enum { .. }, Some(v)) => other_values(t, v),
                (ValueType::List { .. }, _) => Vec::new(),
                (t, Some(FactValue::Num(x))) if unit_and_span(t).is_some() => {
                    for dir in [1i64, -1] {
                        if let Some(v) = self.nearest(&here, f, t, *x, dir, |s, o, _| {
                            let ty = &s.program.decisions.get(i)?.ty;
                            class(ty, o.decisions.get(i)?)
                        }) {
                            out.extend(self.change(i, &[(f, FactValue::Num(v))], None));
                        }
                    }
                    Vec::new()
                }
                (t, None) => self.cands.reps(t, self.as_of.0),
                (t, Some(_)) => self
                    .cands
                    .reps(t, self.as_of.0)
                    .into_iter()
                    .filter(|v| Some(v) != current.as_ref())
                    .collect(),
            };
            let mut seen_to: Vec<Json> = Vec::new();
            for v in tries {
                let Some(e) = self.eval(&[(f, v.clone())]) else {
                    continue;
                };
                let there = e.0.decisions.get(i).and_then(|o| class(&d.ty, o));
                if there.is_some() && there.as_ref() != Some(&here) {
                    if let Some(c) = self.change(i, &[(f, v)], None) {
                        // one entry per resulting value for an absent fact
                        if current.is_none() && seen_to.contains(&c.to) {
                            continue;
                        }
                        seen_to.push(c.to.clone());
                        out.push(c);
                    }
                }
            }
        }
        if out.is_empty() && matches!(d.ty, Type::Bool | Type::Enum(_) | Type::Text) {
            out = self.pairs(i, &here);
        }
        let rates = self.rates(i);
        (out, rates)
    }

    /// The nearest value of number fact `f` (now `x`) in direction `dir`
    /// at which `key` differs from `here`.
    fn nearest(
        &mut self,
        here: &Class,
        f: usize,
        t: &ValueType,
        x: i64,
        dir: i64,
        key: impl Fn(&Search, &Outcome, &Trace) -> Option<Class>,
    ) -> Option<i64> {
        let (unit, span) = unit_and_span(t)?;
        let (mut lo, hi) = (x.saturating_sub(span), x.saturating_add(span));
        // an amount or count that is not negative is not moved below zero
        if matches!(t, ValueType::Money | ValueType::Int | ValueType::Decimal) && x >= 0 {
            lo = lo.max(0);
        }
        let mut probes: Vec<i64> = self
            .cands
            .reps(t, self.as_of.0)
            .into_iter()
            .filter_map(|v| match v {
                FactValue::Num(n) if (n - x).signum() == dir.signum() => Some(n),
                _ => None,
            })
            .collect();
        let mut step = unit;
        while step <= span {
            probes.push(x.saturating_add(dir.saturating_mul(step)));
            step = step.saturating_mul(2);
        }
        probes.retain(|&p| p >= lo && p <= hi && (t != &ValueType::Date || date_ok(p)));
        probes.sort_by_key(|&p| (p - x).abs());
        probes.dedup();
        let differs = |s: &mut Search, v: i64| -> Option<bool> {
            let e = s.eval(&[(f, FactValue::Num(v))])?;
            Some(key(s, &e.0, &e.1).is_some_and(|k| &k != here))
        };
        let mut same = x;
        for p in probes {
            match differs(self, p) {
                Some(true) => {
                    // binary search in (same, p]: the first value that differs
                    let (mut a, mut b) = (same, p);
                    while (b - a).abs() > unit {
                        let mid = a + (b - a) / 2;
                        match differs(self, mid) {
                            Some(true) => b = mid,
                            Some(false) => a = mid,
                            None => break,
                        }
                    }
                    return Some(b);
                }
                Some(false) => same = p,
                None => {}
            }
        }
        None
    }

    /// The entry for decision `i` under `set`, with its new value and the
    /// reason that changes.
    fn change(
        &mut self,
        i: usize,
        set: &[(usize, FactValue)],
        note: Option<&str>,
    ) -> Option<Change> {
        let e = self.eval(set)?;
        let d = self.program.decisions.get(i)?;
        let now = e.0.decisions.get(i)?;
        let to = super::value_json(&d.ty, now.value.as_ref()?);
        let because = match &d.body {
            Body::Requires(clauses) => {
                let before = &self.outcome.decisions.get(i)?.reasons;
                let after = &now.reasons;
                // to false: the first reason now failing that was not;
                // to true: the first reason that was failing
                let idx = if after.is_empty() {
                    before.first()
                } else {
                    after.iter().find(|r| !before.contains(r))
                };
                idx.and_then(|k| clauses.get(*k))
                    .map(|c| c.because.clone().unwrap_or_else(|| c.text.clone()))
            }
            _ => None,
        };
        let meta = &self.policy.meta().input.fields;
        let set = set
            .iter()
            .filter_map(|(f, v)| {
                let m = meta.get(*f)?;
                Some((m.name.clone(), fact_json(&m.ty, v)))
            })
            .collect();
        let (line, clause_because) = match (&d.body, now.clause) {
            (Body::Whens(clauses), Some(k)) => match clauses.get(k) {
                Some(c) => (Some(c.line), c.because.clone()),
                None => (None, None),
            },
            _ => (None, None),
        };
        Some(Change {
            set,
            to,
            because,
            note: note.map(str::to_string),
            line,
            clause_because,
        })
    }

    /// For an unknown decision: for each missing top-level fact, the
    /// answers that decide it, one per resulting value.
    fn unknown(&mut self, i: usize) -> Vec<Change> {
        let Some(now) = self.outcome.decisions.get(i) else {
            return Vec::new();
        };
        let meta = self.policy.meta();
        let mut fields: Vec<usize> = now
            .missing
            .iter()
            .filter_map(|&fact| {
                meta.input.fields.iter().position(|m| {
                    m.fact as usize == fact && !matches!(m.ty, ValueType::List { .. })
                })
            })
            .collect();
        fields.dedup();
        let mut out = Vec::new();
        for f in fields {
            let Some(t) = self.field_type(f) else {
                continue;
            };
            let mut seen: Vec<Json> = Vec::new();
            for v in self.cands.reps(t, self.as_of.0) {
                if let Some(c) = self.change(i, &[(f, v)], None) {
                    if !seen.contains(&c.to) {
                        seen.push(c.to.clone());
                        out.push(c);
                    }
                }
            }
        }
        out
    }

    /// Two facts at once, for a decision no single fact changes: each fact
    /// moved to its nearest values that change one of the decision's
    /// clauses.
    fn pairs(&mut self, i: usize, here: &Class) -> Vec<Change> {
        let start = self.evaluations;
        let meta_fields = self.policy.meta().input.fields.len();
        let base_sig = self.eval(&[]).map(|e| signature(&e.1, i));
        let mut alts: Vec<(usize, Vec<FactValue>)> = Vec::new();
        for f in 0..meta_fields {
            let Some(t) = self.field_type(f) else {
                continue;
            };
            let current = self.base.values.get(f).cloned().flatten();
            let mut vals: Vec<FactValue> = match (t, &current) {
                (ValueType::Bool | ValueType::Enum { .. }, Some(v)) => other_values(t, v),
                (t, Some(FactValue::Num(x))) if unit_and_span(t).is_some() => {
                    let sig_here = Class::Clauses(base_sig.clone().unwrap_or_default());
                    let mut v = Vec::new();
                    for dir in [1i64, -1] {
                        if let Some(n) = self.nearest(&sig_here, f, t, *x, dir, |_, _, tr| {
                            Some(Class::Clauses(signature(tr, i)))
                        }) {
                            v.push(FactValue::Num(n));
                        }
                    }
                    v
                }
                _ => Vec::new(),
            };
            // only values that change one of this decision's clauses
            // (evaluations are cached: the nearest search made most of them)
            vals.retain(|v| {
                self.eval(&[(f, v.clone())])
                    .is_some_and(|e| Some(signature(&e.1, i)) != base_sig)
            });
            if !vals.is_empty() {
                alts.push((f, vals));
            }
        }
        let d_ty = match self.program.decisions.get(i) {
            Some(d) => d.ty.clone(),
            None => return Vec::new(),
        };
        let mut out = Vec::new();
        'outer: for a in 0..alts.len() {
            for b in a + 1..alts.len() {
                let (fa, va) = alts[a].clone();
                let (fb, vb) = alts[b].clone();
                for x in &va {
                    for y in &vb {
                        if self.evaluations - start > PAIR_BUDGET {
                            break 'outer;
                        }
                        let set = [(fa, x.clone()), (fb, y.clone())];
                        let Some(e) = self.eval(&set) else { continue };
                        let there = e.0.decisions.get(i).and_then(|o| class(&d_ty, o));
                        if there.is_some() && there.as_ref() != Some(here) {
                            if let Some(c) =
                                self.change(i, &set, Some("no single fact changes this decision"))
                            {
                                out.push(c);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Where a number fact moves number decision `i` linearly: the change
    /// of the decision per unit (per pound for money) around the fact's
    /// value, when three steps agree and it is not zero.
    fn rates(&mut self, i: usize) -> Vec<(String, Json, Json)> {
        let Some(d) = self.program.decisions.get(i) else {
            return Vec::new();
        };
        if !matches!(d.ty, Type::Int | Type::Money | Type::Decimal) {
            return Vec::new();
        }
        let d_ty = d.ty.clone();
        let value = |e: &Eval| -> Option<i64> {
            match e.as_ref()?.0.decisions.get(i)?.value.as_ref()? {
                Value::Num(n) => Some(*n),
                _ => None,
            }
        };
        let mut out = Vec::new();
        let fields = self.policy.meta().input.fields.clone();
        for (f, m) in fields.iter().enumerate() {
            let step = match m.ty {
                ValueType::Money => 100,
                ValueType::Int => 1,
                ValueType::Decimal => 1_000_000,
                _ => continue,
            };
            let Some(Some(FactValue::Num(x))) = self.base.values.get(f).cloned() else {
                continue;
            };
            let at = |s: &mut Search, k: i64| {
                let e = s.eval(&[(f, FactValue::Num(x.saturating_add(k * step)))]);
                value(&e)
            };
            let (Some(a), Some(b), Some(c), Some(e)) =
                (at(self, -1), at(self, 0), at(self, 1), at(self, 2))
            else {
                continue;
            };
            let (d1, d2, d3) = (b - a, c - b, e - c);
            if d1 == d2 && d2 == d3 && d1 != 0 {
                let each = fact_json(&m.ty, &FactValue::Num(step));
                let by = super::value_json(&d_ty, &Value::Num(d1));
                out.push((m.name.clone(), each, by));
            }
        }
        out
    }
}

/// The other values of a bool or enum fact whose value is `v`.
fn other_values(t: &ValueType, v: &FactValue) -> Vec<FactValue> {
    match (t, v) {
        (ValueType::Bool, FactValue::Bool(b)) => vec![FactValue::Bool(!b)],
        (ValueType::Enum { variants }, FactValue::Num(k)) => (0..variants.len() as i64)
            .filter(|v| v != k)
            .map(FactValue::Num)
            .collect(),
        _ => Vec::new(),
    }
}

/// Decision `i`'s clause results in a trace, as text (a comparable key).
fn signature(t: &Trace, i: usize) -> String {
    let mut s = String::new();
    if let Some(cs) = t.conditions.get(i) {
        for c in cs {
            s.push(match c {
                None => '-',
                Some(None) => '?',
                Some(Some(true)) => 't',
                Some(Some(false)) => 'f',
            });
        }
    }
    if let Some(Some(k)) = t.chosen.get(i) {
        s.push_str(&k.to_string());
    }
    s
}

/// Whether a day number is a date facts can hold (years 1 to 9999).
fn date_ok(days: i64) -> bool {
    // 0001-01-01 and 9999-12-31 as days since 1970-01-01
    (-719_162..=2_932_896).contains(&days)
}
