//! From the typed program to the solver's formulas, for one span of dates
//! on which every param has one value and every clause is in force or not.
//!
//! Numbers become linear terms over integer variables in their stored
//! units (ints, pence, millionths, day numbers, enum variant indices);
//! bools are 0/1 variables; a text is a variable over codes of the texts
//! the policy compares it with (0 or another number: any other text).
//! Defines and decisions are inlined. What is not linear (a product of two
//! facts, a list aggregation, `known`, a text search, years between dates)
//! becomes a fresh variable with no constraint: the formulas then describe
//! more inputs than the policy has, never fewer, so a formula with no
//! solution proves the policy has none. A fresh variable that stands for
//! a function of others (`min`, `if`, a division by a constant, a `when`
//! decision's value) is tied to them by a definition that holds for every
//! input, conjoined to every question.

use super::solve::{Lin, Var, F};
use crate::program::{
    ArithOp, Body, Clause, CmpKind, CmpOp, Computed, Const, Expr, ExprKind, Func, Program,
    Promotion, Type,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Decimals are stored in millionths.
const DEC: i128 = 1_000_000;

/// What a fresh variable or an input variable stands for (to write a model
/// back as facts).
#[derive(Debug, Clone)]
pub enum Meaning {
    Input(usize),
    AsOf,
    Other,
}

/// A translation context: one span of dates.
pub struct Translator<'p> {
    pub p: &'p Program,
    /// The first and last day of the span.
    pub span: (i32, i32),
    vars: Vec<Meaning>,
    pub domains: BTreeMap<Var, (i128, i128)>,
    /// Definitions of the fresh variables made so far.
    side: Vec<F>,
    inputs: HashMap<usize, Var>,
    as_of: Option<Var>,
    codes: HashMap<Arc<str>, i128>,
    numbers: HashMap<Computed, Lin>,
    texts: HashMap<Computed, Option<Lin>>,
    bools: HashMap<(Computed, bool), F>,
}

impl<'p> Translator<'p> {
    pub fn new(p: &'p Program, span: (i32, i32)) -> Self {
        Translator {
            p,
            span,
            vars: Vec::new(),
            domains: BTreeMap::new(),
            side: Vec::new(),
            inputs: HashMap::new(),
            as_of: None,
            codes: HashMap::new(),
            numbers: HashMap::new(),
            texts: HashMap::new(),
            bools: HashMap::new(),
        }
    }

    /// `f` with every definition made so far, and the span's dates.
    pub fn question(&mut self, f: F) -> F {
        let mut parts = self.side.clone();
        parts.push(f);
        F::and(parts)
    }

    pub fn meaning(&self, v: Var) -> Option<&Meaning> {
        self.vars.get(v)
    }

    /// The text a code stands for.
    pub fn text_of(&self, code: i128) -> Option<&str> {
        self.codes
            .iter()
            .find(|(_, c)| **c == code)
            .map(|(t, _)| &**t)
    }

    fn fresh(&mut self, meaning: Meaning, domain: Option<(i128, i128)>) -> Var {
        let v = self.vars.len();
        self.vars.push(meaning);
        if let Some(d) = domain {
            self.domains.insert(v, d);
        }
        v
    }

    fn opaque_bool(&mut self, positive: bool) -> F {
        let v = self.fresh(Meaning::Other, Some((0, 1)));
        truth(v, positive)
    }

    fn input(&mut self, i: usize) -> Var {
        if let Some(v) = self.inputs.get(&i) {
            return *v;
        }
        let domain = match self.p.schema.fields.get(i).map(|f| &f.ty) {
            Some(Type::Bool) => Some((0, 1)),
            Some(Type::Enum(vs)) => Some((0, vs.len() as i128 - 1)),
            _ => None,
        };
        let v = self.fresh(Meaning::Input(i), domain);
        self.inputs.insert(i, v);
        v
    }

    fn as_of(&mut self) -> Var {
        if let Some(v) = self.as_of {
            return v;
        }
        let span = (i128::from(self.span.0), i128::from(self.span.1));
        let v = self.fresh(Meaning::AsOf, Some(span));
        self.as_of = Some(v);
        v
    }

    /// A param's value in this span, if it has one.
    fn param(&self, i: usize) -> Option<&'p Const> {
        self.p
            .params
            .get(i)?
            .values
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= self.span.0))
            .map(|(_, c)| c)
    }

    fn code(&mut self, t: &Arc<str>) -> i128 {
        let next = self.codes.len() as i128 + 1;
        *self.codes.entry(t.clone()).or_insert(next)
    }

    /// Whether a clause is in force in this span.
    pub fn active(&self, c: &Clause) -> bool {
        c.active(self.span.0)
    }

    /// The formula that `e` (a bool) is true (`positive`) or false.
    pub fn boolean(&mut self, e: &Expr, positive: bool) -> F {
        crate::stack::deep(|| self.boolean_step(e, positive))
    }

    fn boolean_step(&mut self, e: &Expr, positive: bool) -> F {
        match &e.kind {
            ExprKind::Const(Const::Bool(b)) => {
                if *b == positive {
                    F::True
                } else {
                    F::False
                }
            }
            ExprKind::Input(i) => {
                let v = self.input(*i);
                truth(v, positive)
            }
            ExprKind::Param(i) => match self.param(*i) {
                Some(Const::Bool(b)) => {
                    if *b == positive {
                        F::True
                    } else {
                        F::False
                    }
                }
                _ => self.opaque_bool(positive),
            },
            ExprKind::Define(i) => self.bool_item(Computed::Define(*i), positive),
            ExprKind::Decision(i) => self.bool_item(Computed::Decision(*i), positive),
            ExprKind::Not(a) => self.boolean(a, !positive),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let (x, y) = (self.boolean(a, positive), self.boolean(b, positive));
                // and when true, or when false; and the other way round
                if matches!(e.kind, ExprKind::And(..)) == positive {
                    F::and(vec![x, y])
                } else {
                    F::or(vec![x, y])
                }
            }
            ExprKind::Cmp(op, kind, a, b) => {
                let op = if positive { *op } else { negate(*op) };
                let terms = match kind {
                    CmpKind::Num => Some((self.number(a), self.number(b))),
                    CmpKind::Text => match (self.text(a), self.text(b)) {
                        (Some(x), Some(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Some((x, y)),
                        _ => None,
                    },
                };
                match terms.and_then(|(x, y)| compare(op, &x, &y)) {
                    Some(f) => f,
                    None => self.opaque_bool(positive),
                }
            }
            ExprKind::In(kind, a, xs) => {
                let op = if positive { CmpOp::Eq } else { CmpOp::Ne };
                let x = match kind {
                    CmpKind::Num => Some(self.number(a)),
                    CmpKind::Text => self.text(a),
                };
                let mut parts = Vec::with_capacity(xs.len());
                for item in xs {
                    let y = match kind {
                        CmpKind::Num => Some(self.number(item)),
                        CmpKind::Text => self.text(item),
                    };
                    let f = match (&x, &y) {
                        (Some(x), Some(y)) => compare(op, x, y),
                        _ => None,
                    };
                    match f {
                        Some(f) => parts.push(f),
                        None => parts.push(self.opaque_bool(true)),
                    }
                }
                if positive {
                    F::or(parts)
                } else {
                    F::and(parts)
                }
            }
            ExprKind::If(c, a, b) => {
                let (ct, cf) = (self.boolean(c, true), self.boolean(c, false));
                let (x, y) = (self.boolean(a, positive), self.boolean(b, positive));
                F::or(vec![F::and(vec![ct, x]), F::and(vec![cf, y])])
            }
            _ => self.opaque_bool(positive),
        }
    }

    /// A bool define or decision, inlined.
    fn bool_item(&mut self, item: Computed, positive: bool) -> F {
        if let Some(f) = self.bools.get(&(item, positive)) {
            return f.clone();
        }
        let p = self.p;
        let f = match item {
            Computed::Define(i) => match p.defines.get(i) {
                Some(d) => self.boolean(&d.expr, positive),
                None => self.opaque_bool(positive),
            },
            Computed::Decision(i) => match p.decisions.get(i).map(|d| &d.body) {
                Some(Body::Expr(e)) => self.boolean(e, positive),
                Some(Body::Requires(cs)) => {
                    // true when every require in force holds
                    let mut parts = Vec::new();
                    let day = self.span.0;
                    for c in cs.iter().filter(|c| c.active(day)) {
                        if let Some(cond) = &c.cond {
                            parts.push(self.boolean(cond, positive));
                        }
                    }
                    if positive {
                        F::and(parts)
                    } else {
                        F::or(parts)
                    }
                }
                Some(Body::Whens(cs)) => {
                    let mut ways = Vec::new();
                    for i in 0..cs.len() {
                        let Some(value) = cs.get(i).and_then(|c| c.value.as_ref()) else {
                            continue;
                        };
                        let taken = self.taken(cs, i);
                        let v = self.boolean(value, positive);
                        ways.push(F::and(vec![taken, v]));
                    }
                    F::or(ways)
                }
                None => self.opaque_bool(positive),
            },
        };
        self.bools.insert((item, positive), f.clone());
        f
    }

    /// The formula that clause `i` of `cs` is the one a `when` decision
    /// takes: in force, every earlier clause in force false, its own true.
    pub fn taken(&mut self, cs: &[Clause], i: usize) -> F {
        let Some(c) = cs.get(i) else { return F::False };
        if !self.active(c) {
            return F::False;
        }
        let mut parts = Vec::new();
        for earlier in cs.iter().take(i) {
            if !self.active(earlier) {
                continue;
            }
            match &earlier.cond {
                Some(cond) => parts.push(self.boolean(cond, false)),
                // an `otherwise` before: nothing after it is taken
                None => return F::False,
            }
        }
        if let Some(cond) = &c.cond {
            parts.push(self.boolean(cond, true));
        }
        F::and(parts)
    }

    /// A number (int, money, decimal, date, enum) as a linear term.
    pub fn number(&mut self, e: &Expr) -> Lin {
        match self.try_number(e) {
            Some(l) => l,
            None => Lin::var(self.fresh(Meaning::Other, None)),
        }
    }

    fn try_number(&mut self, e: &Expr) -> Option<Lin> {
        crate::stack::deep(|| self.try_number_step(e))
    }

    fn try_number_step(&mut self, e: &Expr) -> Option<Lin> {
        Some(match &e.kind {
            ExprKind::Const(Const::Num(n)) => Lin::constant(i128::from(*n)),
            ExprKind::Const(Const::Bool(b)) => Lin::constant(i128::from(*b)),
            ExprKind::Input(i) => Lin::var(self.input(*i)),
            ExprKind::Param(i) => match self.param(*i) {
                Some(Const::Num(n)) => Lin::constant(i128::from(*n)),
                _ => return None,
            },
            ExprKind::Define(i) => self.number_item(Computed::Define(*i)),
            ExprKind::Decision(i) => self.number_item(Computed::Decision(*i)),
            ExprKind::AsOf => Lin::var(self.as_of()),
            ExprKind::Promote(Promotion::IntToDec, a) => self.number(a).scale(DEC)?,
            ExprKind::Promote(Promotion::IntToMoney, a) => self.number(a).scale(100)?,
            ExprKind::Neg(a) => self.number(a).scale(-1)?,
            ExprKind::Arith(op, a, b) => self.arith(*op, a, b)?,
            ExprKind::If(c, a, b) => {
                let (x, y) = (self.number(a), self.number(b));
                let v = Lin::var(self.fresh(Meaning::Other, None));
                let (ct, cf) = (self.boolean(c, true), self.boolean(c, false));
                let def = F::or(vec![
                    F::and(vec![ct, F::Eq(v.sub(&x)?)]),
                    F::and(vec![cf, F::Eq(v.sub(&y)?)]),
                ]);
                self.side.push(def);
                v
            }
            ExprKind::Call(Func::Min | Func::Max, args) if args.len() == 2 => {
                let (x, y) = (self.number(&args[0]), self.number(&args[1]));
                let v = Lin::var(self.fresh(Meaning::Other, None));
                let is_min = matches!(e.kind, ExprKind::Call(Func::Min, _));
                // min: x when x <= y, else y; max the other way round
                let (first, second) = if is_min { (&x, &y) } else { (&y, &x) };
                let def = F::or(vec![
                    F::and(vec![F::Le(first.sub(second)?), F::Eq(v.sub(&x)?)]),
                    F::and(vec![
                        F::Le(second.sub(first)?.add(&Lin::constant(1))?),
                        F::Eq(v.sub(&y)?),
                    ]),
                ]);
                self.side.push(def);
                v
            }
            ExprKind::Call(Func::Abs, args) if args.len() == 1 => {
                let x = self.number(&args[0]);
                let v = Lin::var(self.fresh(Meaning::Other, None));
                let def = F::or(vec![
                    F::and(vec![F::Le(x.scale(-1)?), F::Eq(v.sub(&x)?)]),
                    F::and(vec![F::Le(x.add(&Lin::constant(1))?), F::Eq(v.add(&x)?)]),
                ]);
                self.side.push(def);
                v
            }
            ExprKind::Call(Func::DaysBetween, args) if args.len() == 2 => {
                let (x, y) = (self.number(&args[0]), self.number(&args[1]));
                y.sub(&x)?
            }
            ExprKind::Aggregate {
                kind: crate::program::AggKind::Count,
                ..
            } => Lin::var(self.fresh(Meaning::Other, Some((0, i128::from(i64::MAX))))),
            _ => return None,
        })
    }

    /// `a op b` where it is linear: sums, and products and quotients with
    /// a constant (a quotient within one unit of the exact value, which
    /// covers every rounding the arithmetic does).
    fn arith(&mut self, op: ArithOp, a: &Expr, b: &Expr) -> Option<Lin> {
        use ArithOp::*;
        let (x, y) = (self.number(a), self.number(b));
        match op {
            AddInt | AddDec | AddMoney => x.add(&y),
            SubInt | SubDec | SubMoney => x.sub(&y),
            MulInt | MulMoneyInt | MulIntMoney => match (x.as_constant(), y.as_constant()) {
                (Some(k), _) => y.scale(k),
                (_, Some(k)) => x.scale(k),
                _ => None,
            },
            // raw = x * y / 10^6
            MulDec | MulMoneyDec | MulDecMoney => match (x.as_constant(), y.as_constant()) {
                (Some(k), _) => self.quotient(y.scale(k)?, DEC),
                (_, Some(k)) => self.quotient(x.scale(k)?, DEC),
                _ => None,
            },
            // raw = x * 10^6 / y
            DivInt | DivDec | DivMoneyDec | DivMoneyMoney => {
                let k = y.as_constant().filter(|k| *k != 0)?;
                let n = x.scale(DEC)?;
                if k < 0 {
                    self.quotient(n.scale(-1)?, -k)
                } else {
                    self.quotient(n, k)
                }
            }
            // pence / n
            DivMoneyInt => {
                let k = y.as_constant().filter(|k| *k != 0)?;
                if k < 0 {
                    self.quotient(x.scale(-1)?, -k)
                } else {
                    self.quotient(x, k)
                }
            }
        }
    }

    /// A fresh `v` with `|d*v - n| <= d - 1` (`d > 0`): any rounding of n/d.
    fn quotient(&mut self, n: Lin, d: i128) -> Option<Lin> {
        if d == 1 {
            return Some(n);
        }
        let v = Lin::var(self.fresh(Meaning::Other, None));
        let diff = v.scale(d)?.sub(&n)?;
        self.side.push(F::and(vec![
            F::Le(diff.sub(&Lin::constant(d - 1))?),
            F::Le(diff.scale(-1)?.sub(&Lin::constant(d - 1))?),
        ]));
        Some(v)
    }

    /// A number-valued define or decision, inlined (a `when` decision's
    /// value as a fresh variable defined by its clauses).
    fn number_item(&mut self, item: Computed) -> Lin {
        if let Some(l) = self.numbers.get(&item) {
            return l.clone();
        }
        let p = self.p;
        let l = match item {
            Computed::Define(i) => match p.defines.get(i) {
                Some(d) => self.number(&d.expr),
                None => Lin::var(self.fresh(Meaning::Other, None)),
            },
            Computed::Decision(i) => match p.decisions.get(i).map(|d| &d.body) {
                Some(Body::Expr(e)) => self.number(e),
                Some(Body::Whens(cs)) => self.when_value(cs, |t, e| Some(t.number(e))),
                _ => Lin::var(self.fresh(Meaning::Other, None)),
            },
        };
        self.numbers.insert(item, l.clone());
        l
    }

    /// A fresh variable that is the value of the clause taken (free when
    /// none is: the decision then fails, and so does whatever reads it).
    fn when_value(
        &mut self,
        cs: &[Clause],
        value: impl Fn(&mut Self, &Expr) -> Option<Lin>,
    ) -> Lin {
        let v = Lin::var(self.fresh(Meaning::Other, None));
        let mut ways = Vec::new();
        let mut none = Vec::new();
        for (i, c) in cs.iter().enumerate() {
            let Some(e) = &c.value else { continue };
            let taken = self.taken(cs, i);
            let eq = value(self, e).and_then(|x| v.sub(&x)).map(F::Eq);
            // a value not linear: the variable is free on that way
            ways.push(F::and(vec![taken, eq.unwrap_or(F::True)]));
            if self.active(c) {
                match &c.cond {
                    Some(cond) => none.push(self.boolean(cond, false)),
                    None => none.push(F::False),
                }
            }
        }
        ways.push(F::and(none));
        self.side.push(F::or(ways));
        v
    }

    /// A text as a term over codes, where it is one.
    fn text(&mut self, e: &Expr) -> Option<Lin> {
        crate::stack::deep(|| self.text_step(e))
    }

    fn text_step(&mut self, e: &Expr) -> Option<Lin> {
        Some(match &e.kind {
            ExprKind::Const(Const::Text(t)) => Lin::constant(self.code(t)),
            ExprKind::Input(i) => Lin::var(self.input(*i)),
            ExprKind::Param(i) => match self.param(*i) {
                Some(Const::Text(t)) => Lin::constant(self.code(t)),
                _ => return None,
            },
            ExprKind::Define(i) => self.text_item(Computed::Define(*i))?,
            ExprKind::Decision(i) => self.text_item(Computed::Decision(*i))?,
            _ => return None,
        })
    }

    fn text_item(&mut self, item: Computed) -> Option<Lin> {
        if let Some(l) = self.texts.get(&item) {
            return l.clone();
        }
        let p = self.p;
        let l = match item {
            Computed::Define(i) => p.defines.get(i).and_then(|d| self.text(&d.expr)),
            Computed::Decision(i) => match p.decisions.get(i).map(|d| &d.body) {
                Some(Body::Expr(e)) => self.text(e),
                Some(Body::Whens(cs)) => Some(self.when_value(cs, |t, e| t.text(e))),
                _ => None,
            },
        };
        self.texts.insert(item, l.clone());
        l
    }
}

/// `v` is true (1) or false (0).
fn truth(v: Var, positive: bool) -> F {
    F::Eq(Lin {
        terms: vec![(v, 1)],
        k: if positive { -1 } else { 0 },
    })
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// `x op y` over integers (`<` is `<= -1`).
fn compare(op: CmpOp, x: &Lin, y: &Lin) -> Option<F> {
    let d = x.sub(y)?;
    Some(match op {
        CmpOp::Eq => F::Eq(d),
        CmpOp::Ne => F::Ne(d),
        CmpOp::Le => F::Le(d),
        CmpOp::Lt => F::Le(d.add(&Lin::constant(1))?),
        CmpOp::Ge => F::Le(d.scale(-1)?),
        CmpOp::Gt => F::Le(d.scale(-1)?.add(&Lin::constant(1))?),
    })
}
