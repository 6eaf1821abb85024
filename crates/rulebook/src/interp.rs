//! The reference interpreter: evaluates a checked [`Program`] directly on
//! [`Facts`], implementing docs/language.md sections 12, 13 and 15 (exact arithmetic,
//! Kleene logic with missing sets, effective dates). It is the oracle the
//! Wasm engine is tested against, so it stays simple and shares no evaluation
//! code with codegen.
//!
//! Defines and decisions are computed in dependency order; a failure is kept
//! with the item and raised only when something reads it, which gives the
//! same results as evaluating each item lazily on first read.

use crate::facts::{FactValue, Facts};
use crate::num::{self, ArithError};
use crate::outcome::{DecisionOutcome, EvalError, Outcome, Value, DEFAULT_DEADLINE};
use crate::program::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The facts an unknown value needs: a set kept as a sorted vector (an
/// unknown value needs few facts, and most unions take one side whole).
#[derive(Debug, Clone, Default)]
struct Missing(Vec<FactId>);

impl Missing {
    fn new() -> Missing {
        Missing(Vec::new())
    }

    fn one(f: FactId) -> Missing {
        Missing(vec![f])
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn extend(&mut self, other: Missing) {
        if self.0.is_empty() {
            self.0 = other.0;
        } else if !other.0.is_empty() {
            self.0.extend(other.0);
            self.0.sort_unstable();
            self.0.dedup();
        }
    }
}

/// A value during evaluation: known, or unknown with the facts it needs.
#[derive(Debug, Clone)]
enum V<'f> {
    K(Val<'f>),
    U(Missing),
}

#[derive(Debug, Clone)]
enum Val<'f> {
    Bool(bool),
    Num(i64),
    Text(Arc<str>),
    List(&'f [Vec<Option<FactValue>>]),
    Rec(&'f [Option<FactValue>]),
}

/// What happened to each clause during one evaluation (for clause coverage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Per decision, per clause: the condition's value when it was evaluated
    /// (`Some(None)` = unknown), None when it was not evaluated.
    pub conditions: Vec<Vec<Option<Option<bool>>>>,
    /// Per decision: the `when`/`otherwise` clause that was chosen.
    pub chosen: Vec<Option<usize>>,
    /// Per define: its value when it was known; filled only by
    /// [`evaluate_explained`] (for explanations), empty otherwise.
    pub defines: Vec<Option<Value>>,
}

/// Evaluates every decision of `program` for one record on `as_of` (days
/// since 1970-01-01), within [`DEFAULT_DEADLINE`].
pub fn evaluate(program: &Program, facts: &Facts, as_of: i32) -> Result<Outcome, EvalError> {
    evaluate_traced(program, facts, as_of).0
}

/// [`evaluate`] within `deadline` (an evaluation still running then stops
/// with [`EvalError::TimeLimit`], as the module's does).
pub fn evaluate_within(
    program: &Program,
    facts: &Facts,
    as_of: i32,
    deadline: Duration,
) -> Result<Outcome, EvalError> {
    run(program, facts, as_of, false, deadline).0
}

/// Like [`evaluate`], also recording what each clause did.
pub fn evaluate_traced(
    program: &Program,
    facts: &Facts,
    as_of: i32,
) -> (Result<Outcome, EvalError>, Trace) {
    run(program, facts, as_of, false, DEFAULT_DEADLINE)
}

/// Like [`evaluate_traced`], also keeping each define's value in the trace.
pub fn evaluate_explained(
    program: &Program,
    facts: &Facts,
    as_of: i32,
) -> (Result<Outcome, EvalError>, Trace) {
    run(program, facts, as_of, true, DEFAULT_DEADLINE)
}

/// Expressions evaluated between two looks at the clock.
const STEPS_PER_CLOCK: u32 = 1024;

fn run(
    program: &Program,
    facts: &Facts,
    as_of: i32,
    keep_defines: bool,
    deadline: Duration,
) -> (Result<Outcome, EvalError>, Trace) {
    let trace = Trace {
        conditions: program
            .decisions
            .iter()
            .map(|d| match &d.body {
                Body::Expr(_) => Vec::new(),
                Body::Requires(cs) | Body::Whens(cs) => vec![None; cs.len()],
            })
            .collect(),
        chosen: vec![None; program.decisions.len()],
        defines: Vec::new(),
    };
    let mut it = Interp {
        trace,
        p: program,
        facts,
        as_of,
        params: vec![None; program.params.len()],
        defines: vec![None; program.defines.len()],
        decisions: vec![None; program.decisions.len()],
        vars: Vec::new(),
        context: Computed::Define(0),
        clock: Clock {
            // a deadline past any clock's range is no deadline
            at: Instant::now().checked_add(deadline),
            limit_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
            steps: 0,
            out: false,
        },
    };
    for item in &program.order {
        match *item {
            Computed::Define(i) => {
                if let Some(d) = program.defines.get(i) {
                    it.context = *item;
                    let r = it.eval(&d.expr);
                    it.defines[i] = Some(r);
                }
            }
            Computed::Decision(i) => {
                if let Some(d) = program.decisions.get(i) {
                    it.context = *item;
                    let r = it.decision(i, d);
                    it.decisions[i] = Some(r);
                }
            }
        }
    }
    let mut trace = std::mem::take(&mut it.trace);
    if keep_defines {
        trace.defines = it
            .defines
            .iter()
            .map(|d| match d {
                Some(Ok(V::K(v))) => Some(to_value(v.clone())),
                _ => None,
            })
            .collect();
    }
    if it.clock.out {
        // as the module's: the whole evaluation stops, whatever it had done
        let limit_ms = it.clock.limit_ms;
        return (Err(EvalError::TimeLimit { limit_ms }), trace);
    }
    let mut decisions = Vec::with_capacity(program.decisions.len());
    for r in it.decisions {
        match r {
            Some(Ok(o)) => decisions.push(o),
            Some(Err(e)) => return (Err(e), trace),
            None => return (Err(internal("a decision was not evaluated")), trace),
        }
    }
    // the layout is the caller's to set (`Policy::evaluate_with`)
    (Ok(Outcome::new(decisions, 0)), trace)
}

fn internal(what: &str) -> EvalError {
    EvalError::NoClause {
        decision: format!("(internal error: {what})"),
        as_of: String::new(),
    }
}

struct Interp<'p, 'f> {
    trace: Trace,
    p: &'p Program,
    facts: &'f Facts,
    as_of: i32,
    params: Vec<Option<Result<Val<'f>, EvalError>>>,
    defines: Vec<Option<Result<V<'f>, EvalError>>>,
    decisions: Vec<Option<Result<DecisionOutcome, EvalError>>>,
    /// Elements bound by the enclosing aggregations, outermost first.
    vars: Vec<&'f [Option<FactValue>]>,
    /// The item being evaluated, named in error messages.
    context: Computed,
    clock: Clock,
}

/// The evaluation's deadline, looked at every [`STEPS_PER_CLOCK`] expressions.
struct Clock {
    at: Option<Instant>,
    limit_ms: u64,
    steps: u32,
    /// The deadline has passed: every expression fails from then on.
    out: bool,
}

impl Clock {
    fn tick(&mut self) -> Result<(), EvalError> {
        self.steps = self.steps.wrapping_add(1);
        if !self.out && self.steps.is_multiple_of(STEPS_PER_CLOCK) {
            self.out = self.at.is_some_and(|at| Instant::now() >= at);
        }
        if self.out {
            return Err(EvalError::TimeLimit {
                limit_ms: self.limit_ms,
            });
        }
        Ok(())
    }
}

fn union(mut a: Missing, b: Missing) -> Missing {
    a.extend(b);
    a
}

fn fact(v: &FactValue) -> Val<'_> {
    match v {
        FactValue::Bool(b) => Val::Bool(*b),
        FactValue::Num(n) => Val::Num(*n),
        FactValue::Text(t) => Val::Text(t.clone()),
        FactValue::List(items) => Val::List(items),
    }
}

impl<'p, 'f> Interp<'p, 'f> {
    fn arith_error(&self, e: ArithError, expr: &Expr) -> EvalError {
        let line = self.p.line_of(expr.span.start);
        let context = match self.context {
            Computed::Define(i) => {
                format!("define {}", self.p.defines.get(i).map_or("?", |d| &d.name))
            }
            Computed::Decision(i) => {
                format!(
                    "decision {}",
                    self.p.decisions.get(i).map_or("?", |d| &d.name)
                )
            }
        };
        match e {
            ArithError::Overflow => EvalError::Overflow { context, line },
            ArithError::DivisionByZero => EvalError::DivisionByZero { context, line },
        }
    }

    fn record(&mut self, decision: usize, clause: usize, v: &V) {
        let seen = match v {
            V::K(Val::Bool(b)) => Some(*b),
            _ => None,
        };
        if let Some(slot) = self
            .trace
            .conditions
            .get_mut(decision)
            .and_then(|c| c.get_mut(clause))
        {
            *slot = Some(seen);
        }
    }

    fn decision(&mut self, index: usize, d: &'p DecisionDef) -> Result<DecisionOutcome, EvalError> {
        let unknown = |missing: Missing| DecisionOutcome {
            value: None,
            missing: missing.0,
            reasons: Vec::new(),
            clause: None,
        };
        match &d.body {
            Body::Expr(e) => Ok(match self.eval(e)? {
                V::K(v) => DecisionOutcome {
                    value: Some(to_value(v)),
                    missing: Vec::new(),
                    reasons: Vec::new(),
                    clause: None,
                },
                V::U(m) => unknown(m),
            }),
            Body::Requires(clauses) => {
                let mut reasons = Vec::new();
                let mut missing = Missing::new();
                for (i, c) in clauses.iter().enumerate() {
                    if !c.active(self.as_of) {
                        continue;
                    }
                    let Some(cond) = &c.cond else { continue };
                    let v = self.eval(cond)?;
                    self.record(index, i, &v);
                    match v {
                        V::K(Val::Bool(false)) => reasons.push(i),
                        V::K(_) => {}
                        V::U(m) => missing.extend(m),
                    }
                }
                Ok(if !reasons.is_empty() {
                    DecisionOutcome {
                        value: Some(Value::Bool(false)),
                        missing: Vec::new(),
                        reasons,
                        clause: None,
                    }
                } else if !missing.is_empty() {
                    unknown(missing)
                } else {
                    DecisionOutcome {
                        value: Some(Value::Bool(true)),
                        missing: Vec::new(),
                        reasons: Vec::new(),
                        clause: None,
                    }
                })
            }
            Body::Whens(clauses) => {
                let mut missing = Missing::new();
                for (i, c) in clauses.iter().enumerate() {
                    if !c.active(self.as_of) {
                        continue;
                    }
                    let chosen = match &c.cond {
                        None => true,
                        Some(cond) => {
                            let v = self.eval(cond)?;
                            self.record(index, i, &v);
                            match v {
                                V::K(Val::Bool(b)) => b,
                                V::K(_) => false,
                                V::U(m) => {
                                    missing.extend(m);
                                    false
                                }
                            }
                        }
                    };
                    if !chosen {
                        continue;
                    }
                    let Some(value) = &c.value else { continue };
                    if let Some(slot) = self.trace.chosen.get_mut(index) {
                        *slot = Some(i);
                    }
                    return Ok(match self.eval(value)? {
                        V::K(v) if missing.is_empty() => DecisionOutcome {
                            value: Some(to_value(v)),
                            missing: Vec::new(),
                            reasons: Vec::new(),
                            clause: Some(i),
                        },
                        V::K(_) => unknown(missing),
                        V::U(m) => unknown(union(missing, m)),
                    });
                }
                if missing.is_empty() {
                    Err(EvalError::NoClause {
                        decision: d.name.clone(),
                        as_of: num::format_date(self.as_of),
                    })
                } else {
                    Ok(unknown(missing))
                }
            }
        }
    }

    fn param(&mut self, i: usize) -> Result<Val<'f>, EvalError> {
        if let Some(Some(r)) = self.params.get(i) {
            return r.clone();
        }
        let Some(p) = self.p.params.get(i) else {
            return Err(internal("unknown param"));
        };
        let value = p
            .values
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= self.as_of))
            .map(|(_, c)| match c {
                Const::Bool(b) => Val::Bool(*b),
                Const::Num(n) => Val::Num(*n),
                Const::Text(t) => Val::Text(t.clone()),
            });
        let r = value.ok_or_else(|| EvalError::ParamUndefined {
            param: p.name.clone(),
            as_of: num::format_date(self.as_of),
            first: p
                .values
                .first()
                .and_then(|(f, _)| *f)
                .map(num::format_date)
                // a dated param always has a first `from`; undated ones never get here
                .unwrap_or_default(),
        });
        self.params[i] = Some(r.clone());
        r
    }

    fn eval(&mut self, e: &'p Expr) -> Result<V<'f>, EvalError> {
        crate::stack::deep(|| self.eval_step(e))
    }

    fn eval_step(&mut self, e: &'p Expr) -> Result<V<'f>, EvalError> {
        self.clock.tick()?;
        Ok(match &e.kind {
            ExprKind::Const(c) => V::K(match c {
                Const::Bool(b) => Val::Bool(*b),
                Const::Num(n) => Val::Num(*n),
                Const::Text(t) => Val::Text(t.clone()),
            }),
            ExprKind::Input(i) => {
                let field_fact = self.p.schema.fields.get(*i).map_or(0, |f| f.fact);
                match self.facts.values.get(*i) {
                    Some(Some(v)) => V::K(fact(v)),
                    _ => V::U(Missing::one(field_fact)),
                }
            }
            ExprKind::Param(i) => V::K(self.param(*i)?),
            ExprKind::Define(i) => match self.defines.get(*i) {
                Some(Some(r)) => r.clone()?,
                _ => return Err(internal("define read before it was computed")),
            },
            ExprKind::Decision(i) => match self.decisions.get(*i) {
                Some(Some(Ok(o))) => match &o.value {
                    Some(v) => V::K(from_value(v)),
                    None => V::U(Missing(o.missing.clone())),
                },
                Some(Some(Err(err))) => return Err(err.clone()),
                _ => return Err(internal("decision read before it was computed")),
            },
            ExprKind::AsOf => V::K(Val::Num(i64::from(self.as_of))),
            ExprKind::Var(i) => match self.vars.get(*i) {
                Some(rec) => V::K(Val::Rec(rec)),
                None => return Err(internal("unbound variable")),
            },
            ExprKind::Field(base, index) => {
                let fact_id = match &base.ty {
                    Type::Record(r) => r.fields.get(*index).map_or(0, |f| f.fact),
                    _ => 0,
                };
                match self.eval(base)? {
                    V::K(Val::Rec(fields)) => match fields.get(*index) {
                        Some(Some(v)) => V::K(fact(v)),
                        _ => V::U(Missing::one(fact_id)),
                    },
                    V::K(_) => return Err(internal("field of a non-record")),
                    V::U(m) => V::U(m),
                }
            }
            ExprKind::Promote(p, inner) => match self.eval(inner)? {
                V::K(Val::Num(n)) => {
                    let r = match p {
                        Promotion::IntToDec => num::int_to_dec(n),
                        Promotion::IntToMoney => num::int_to_money(n),
                    };
                    V::K(Val::Num(r.map_err(|err| self.arith_error(err, e))?))
                }
                other => other,
            },
            ExprKind::Neg(inner) => match self.eval(inner)? {
                V::K(Val::Num(n)) => V::K(Val::Num(
                    num::int_neg(n).map_err(|err| self.arith_error(err, e))?,
                )),
                other => other,
            },
            ExprKind::Not(inner) => match self.eval(inner)? {
                V::K(Val::Bool(b)) => V::K(Val::Bool(!b)),
                other => other,
            },
            ExprKind::And(a, b) => {
                let l = self.eval(a)?;
                if let V::K(Val::Bool(false)) = l {
                    return Ok(l);
                }
                let r = self.eval(b)?;
                match (l, r) {
                    (V::K(_), r) => r,
                    (V::U(_), V::K(Val::Bool(false))) => V::K(Val::Bool(false)),
                    (V::U(m), V::K(_)) => V::U(m),
                    (V::U(m1), V::U(m2)) => V::U(union(m1, m2)),
                }
            }
            ExprKind::Or(a, b) => {
                let l = self.eval(a)?;
                if let V::K(Val::Bool(true)) = l {
                    return Ok(l);
                }
                let r = self.eval(b)?;
                match (l, r) {
                    (V::K(_), r) => r,
                    (V::U(_), V::K(Val::Bool(true))) => V::K(Val::Bool(true)),
                    (V::U(m), V::K(_)) => V::U(m),
                    (V::U(m1), V::U(m2)) => V::U(union(m1, m2)),
                }
            }
            ExprKind::Arith(op, a, b) => {
                let (l, r) = (self.eval(a)?, self.eval(b)?);
                match (l, r) {
                    (V::K(Val::Num(x)), V::K(Val::Num(y))) => V::K(Val::Num(
                        arith(*op, x, y).map_err(|err| self.arith_error(err, e))?,
                    )),
                    (l, r) => strict(vec![l, r]),
                }
            }
            ExprKind::Cmp(op, _, a, b) => {
                let (l, r) = (self.eval(a)?, self.eval(b)?);
                match (l, r) {
                    (V::K(x), V::K(y)) => {
                        let ord = order(&x, &y);
                        V::K(Val::Bool(op.holds(ord)))
                    }
                    (l, r) => strict(vec![l, r]),
                }
            }
            ExprKind::In(_, x, items) => {
                let mut all = vec![self.eval(x)?];
                for i in items {
                    all.push(self.eval(i)?);
                }
                if all.iter().any(|v| matches!(v, V::U(_))) {
                    strict(all)
                } else {
                    let mut vals = all.into_iter().filter_map(|v| match v {
                        V::K(x) => Some(x),
                        V::U(_) => None,
                    });
                    let first = vals.next();
                    let found = first.is_some_and(|x| vals.any(|y| order(&x, &y).is_eq()));
                    V::K(Val::Bool(found))
                }
            }
            ExprKind::If(c, a, b) => match self.eval(c)? {
                V::K(Val::Bool(true)) => self.eval(a)?,
                V::K(_) => self.eval(b)?,
                V::U(m) => V::U(m),
            },
            ExprKind::Call(f, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                if vals.iter().any(|v| matches!(v, V::U(_))) {
                    strict(vals)
                } else {
                    let known: Vec<Val> = vals
                        .into_iter()
                        .filter_map(|v| match v {
                            V::K(x) => Some(x),
                            V::U(_) => None,
                        })
                        .collect();
                    V::K(call(*f, &known).map_err(|err| self.arith_error(err, e))?)
                }
            }
            ExprKind::Known(t) => V::K(Val::Bool(match t {
                KnownTarget::Input(i) => matches!(self.facts.values.get(*i), Some(Some(_))),
                KnownTarget::Element { var, index } => self
                    .vars
                    .get(*var)
                    .and_then(|rec| rec.get(*index))
                    .is_some_and(Option::is_some),
            })),
            ExprKind::Aggregate { kind, list, body } => {
                let items = match self.eval(list)? {
                    V::K(Val::List(items)) => items,
                    V::K(_) => return Err(internal("aggregation over a non-list")),
                    V::U(m) => return Ok(V::U(m)),
                };
                let Some(body) = body else {
                    return Ok(V::K(Val::Num(items.len() as i64)));
                };
                self.aggregate(*kind, items, body, e)?
            }
        })
    }

    fn aggregate(
        &mut self,
        kind: AggKind,
        items: &'f [Vec<Option<FactValue>>],
        body: &'p Expr,
        e: &'p Expr,
    ) -> Result<V<'f>, EvalError> {
        let mut missing = Missing::new();
        let mut count: i64 = 0;
        for item in items {
            self.vars.push(item);
            let r = self.eval(body);
            self.vars.pop();
            match (kind, r?) {
                (_, V::U(m)) => missing.extend(m),
                (AggKind::Any, V::K(Val::Bool(true))) => return Ok(V::K(Val::Bool(true))),
                (AggKind::Every, V::K(Val::Bool(false))) => return Ok(V::K(Val::Bool(false))),
                (AggKind::Count, V::K(Val::Bool(true))) => count += 1,
                (AggKind::Sum(_), V::K(Val::Num(n))) => {
                    count = num::int_add(count, n).map_err(|err| self.arith_error(err, e))?;
                }
                _ => {}
            }
        }
        Ok(if !missing.is_empty() {
            V::U(missing)
        } else {
            V::K(match kind {
                AggKind::Any => Val::Bool(false),
                AggKind::Every => Val::Bool(true),
                AggKind::Count | AggKind::Sum(_) => Val::Num(count),
            })
        })
    }
}

/// The result of a strict operation with at least one unknown operand.
fn strict(vals: Vec<V>) -> V {
    let mut m = Missing::new();
    for v in vals {
        if let V::U(s) = v {
            m.extend(s);
        }
    }
    V::U(m)
}

fn order(a: &Val, b: &Val) -> std::cmp::Ordering {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Text(x), Val::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => std::cmp::Ordering::Less,
    }
}

fn arith(op: ArithOp, x: i64, y: i64) -> Result<i64, ArithError> {
    match op {
        ArithOp::AddInt => num::int_add(x, y),
        ArithOp::SubInt => num::int_sub(x, y),
        ArithOp::MulInt => num::int_mul(x, y),
        ArithOp::DivInt => num::int_div_to_dec(x, y),
        ArithOp::AddDec => num::dec_add(x, y),
        ArithOp::SubDec => num::dec_sub(x, y),
        ArithOp::MulDec => num::dec_mul(x, y),
        ArithOp::DivDec => num::dec_div(x, y),
        ArithOp::AddMoney => num::money_add(x, y),
        ArithOp::SubMoney => num::money_sub(x, y),
        ArithOp::MulMoneyDec => num::money_mul_dec(x, y),
        ArithOp::MulDecMoney => num::dec_mul_money(x, y),
        ArithOp::DivMoneyDec => num::money_div_dec(x, y),
        ArithOp::MulMoneyInt => num::money_mul_int(x, y),
        ArithOp::MulIntMoney => num::money_mul_int(y, x),
        ArithOp::DivMoneyInt => num::money_div_int(x, y),
        ArithOp::DivMoneyMoney => num::money_div_money(x, y),
    }
}

fn call<'f>(f: Func, args: &[Val<'f>]) -> Result<Val<'f>, ArithError> {
    let n = |i: usize| match args.get(i) {
        Some(Val::Num(x)) => *x,
        _ => 0,
    };
    let t = |i: usize| match args.get(i) {
        Some(Val::Text(x)) => x.clone(),
        _ => Arc::from(""),
    };
    Ok(match f {
        // the checker requires at least one argument: never empty
        Func::Min => Val::Num((0..args.len()).map(n).min().unwrap_or(0)),
        // as for min: never empty
        Func::Max => Val::Num((0..args.len()).map(n).max().unwrap_or(0)),
        Func::Abs => Val::Num(num::int_abs(n(0))?),
        Func::Floor(k) | Func::Ceil(k) | Func::Round(k) => {
            let x = n(0);
            Val::Num(match (f, k) {
                (_, NumKind::Int) => x,
                (Func::Floor(_), NumKind::Dec) => num::dec_floor(x)?,
                (Func::Ceil(_), NumKind::Dec) => num::dec_ceil(x)?,
                (_, NumKind::Dec) => num::dec_round(x)?,
                (Func::Floor(_), NumKind::Money) => num::money_floor(x)?,
                (Func::Ceil(_), NumKind::Money) => num::money_ceil(x)?,
                (_, NumKind::Money) => num::money_round(x)?,
            })
        }
        Func::YearsBetween => Val::Num(num::years_between(n(0) as i32, n(1) as i32)),
        Func::DaysBetween => Val::Num(num::days_between(n(0) as i32, n(1) as i32)),
        Func::StartsWith => Val::Bool(t(0).starts_with(&*t(1))),
        Func::EndsWith => Val::Bool(t(0).ends_with(&*t(1))),
        Func::Contains => Val::Bool(t(0).contains(&*t(1))),
    })
}

fn to_value(v: Val) -> Value {
    match v {
        Val::Bool(b) => Value::Bool(b),
        Val::Num(n) => Value::Num(n),
        Val::Text(t) => Value::Text(t.to_string()),
        Val::List(_) | Val::Rec(_) => Value::Bool(false),
    }
}

fn from_value(v: &Value) -> Val<'static> {
    match v {
        Value::Bool(b) => Val::Bool(*b),
        Value::Num(n) => Val::Num(*n),
        Value::Text(t) => Val::Text(t.as_str().into()),
    }
}
