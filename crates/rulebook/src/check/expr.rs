//! Typing of expressions: literals, names, operators with their promotions,
//! function calls and aggregations.

use super::suggest::closest;
use super::{Checker, Global, Node};
use crate::ast::{self, BinOp, Span};
use crate::num;
use crate::program::*;

pub(crate) const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "abs",
    "floor",
    "ceil",
    "round",
    "years_between",
    "days_between",
    "starts_with",
    "ends_with",
    "contains",
    "known",
    "count",
    "any",
    "every",
    "sum",
];

fn typed(kind: ExprKind, ty: Type, span: Span) -> Expr {
    Expr { kind, ty, span }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn num_kind(t: &Type) -> NumKind {
    match t {
        Type::Decimal => NumKind::Dec,
        Type::Money => NumKind::Money,
        _ => NumKind::Int,
    }
}

impl Checker<'_> {
    fn poisoned(span: Span) -> Expr {
        typed(ExprKind::Const(Const::Bool(false)), Type::Error, span)
    }

    /// Checks an expression and returns it typed; errors are recorded and the
    /// result then has [`Type::Error`].
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Expr {
        crate::stack::deep(|| self.expr_step(e))
    }

    fn expr_step(&mut self, e: &ast::Expr) -> Expr {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Bool(b) => typed(ExprKind::Const(Const::Bool(*b)), Type::Bool, span),
            ast::ExprKind::Int(text) => match text.parse::<i64>() {
                Ok(n) => typed(ExprKind::Const(Const::Num(n)), Type::Int, span),
                Err(_) => {
                    self.error(
                        span,
                        format!("integer `{text}` is too large: it does not fit in 64 bits"),
                    );
                    Self::poisoned(span)
                }
            },
            ast::ExprKind::Decimal(text) => match num::parse_decimal(text) {
                Ok(n) => typed(ExprKind::Const(Const::Num(n)), Type::Decimal, span),
                Err(err) => {
                    self.error(span, format!("decimal `{text}`: {err}"));
                    Self::poisoned(span)
                }
            },
            ast::ExprKind::Money(text) => match num::parse_money_literal(text) {
                Ok(n) => typed(ExprKind::Const(Const::Num(n)), Type::Money, span),
                Err(err) => {
                    self.error(span, format!("amount `{text}`: {err}"));
                    Self::poisoned(span)
                }
            },
            ast::ExprKind::Date(text) => match num::parse_date(text) {
                Some(d) => typed(ExprKind::Const(Const::Num(i64::from(d))), Type::Date, span),
                None => {
                    self.error(span, format!("`{text}` is not a valid calendar date"));
                    Self::poisoned(span)
                }
            },
            ast::ExprKind::Text(s) => typed(
                ExprKind::Const(Const::Text(s.as_str().into())),
                Type::Text,
                span,
            ),
            ast::ExprKind::Name(id) => self.name(id),
            ast::ExprKind::Field(base, field) => {
                let base = self.expr(base);
                self.field(base, field, span)
            }
            ast::ExprKind::Neg(inner) => {
                let inner = self.expr(inner);
                match inner.ty {
                    Type::Error => Self::poisoned(span),
                    ref t if t.is_numeric() => {
                        let ty = t.clone();
                        typed(ExprKind::Neg(bx(inner)), ty, span)
                    }
                    ref t => {
                        let msg = format!("cannot negate {}: `-` needs a number", t.describe());
                        self.error(span, msg);
                        Self::poisoned(span)
                    }
                }
            }
            ast::ExprKind::Not(inner) => {
                let inner = self.expr(inner);
                let inner = self.expect_bool(inner, "the operand of `not`");
                typed(ExprKind::Not(bx(inner)), Type::Bool, span)
            }
            ast::ExprKind::Binary(op, l, r) => {
                let l = self.expr(l);
                let r = self.expr(r);
                self.binary(*op, l, r, span)
            }
            ast::ExprKind::In(x, items) => {
                let x = self.expr(x);
                let items: Vec<Expr> = items.iter().map(|i| self.expr(i)).collect();
                self.membership(x, items, span)
            }
            ast::ExprKind::If(c, a, b) => {
                let c = self.expr(c);
                let c = self.expect_bool(c, "an `if` condition");
                let a = self.expr(a);
                let b = self.expr(b);
                match self.unify(&[&a, &b], span, "the two branches of `if`") {
                    Some(ty) => {
                        let a = self.coerce(a, &ty, "the `if` type");
                        let b = self.coerce(b, &ty, "the `if` type");
                        typed(ExprKind::If(bx(c), bx(a), bx(b)), ty, span)
                    }
                    None => Self::poisoned(span),
                }
            }
            ast::ExprKind::Call(func, args) => self.call(func, args, span),
            ast::ExprKind::Aggregate {
                func,
                var,
                list,
                body,
            } => self.aggregate(func, var, list, body, span),
        }
    }

    fn name(&mut self, id: &ast::Ident) -> Expr {
        let span = id.span;
        if let Some(pos) = self.scope.iter().rposition(|(n, _)| *n == id.name) {
            let rec = self.scope[pos].1.clone();
            return typed(ExprKind::Var(pos), Type::Record(rec), span);
        }
        if let Some((global, _)) = self.globals.get(&id.name).copied() {
            return match global {
                Global::Input(i) => {
                    let ty = self
                        .schema
                        .fields
                        .get(i)
                        .map_or(Type::Error, |f| f.ty.clone());
                    typed(ExprKind::Input(i), ty, span)
                }
                Global::Param(i) => {
                    // i was resolved among the params: in range (Error silences, never hides)
                    let ty = self.param_types.get(i).cloned().unwrap_or(Type::Error);
                    typed(ExprKind::Param(i), ty, span)
                }
                Global::Define(i) => {
                    self.deps.push((Node::Define(i), span));
                    // i was resolved among the defines: in range
                    let ty = self.define_types.get(i).cloned().unwrap_or(Type::Error);
                    typed(ExprKind::Define(i), ty, span)
                }
                Global::Decision(i) => {
                    self.deps.push((Node::Decision(i), span));
                    // i was resolved among the decisions: in range
                    let ty = self.decision_types.get(i).cloned().unwrap_or(Type::Error);
                    typed(ExprKind::Decision(i), ty, span)
                }
            };
        }
        if id.name == "as_of" {
            return typed(ExprKind::AsOf, Type::Date, span);
        }
        let scope: Vec<String> = self.scope.iter().map(|(n, _)| n.clone()).collect();
        let candidates = scope
            .iter()
            .map(String::as_str)
            .chain(self.globals.keys().map(String::as_str))
            .chain(std::iter::once("as_of"));
        let mut d =
            crate::diagnostic::Diagnostic::error(span, format!("unknown name `{}`", id.name));
        if let Some(s) = closest(&id.name, candidates) {
            d.message = format!("unknown name `{}`; did you mean `{s}`?", id.name);
        } else if FUNCTIONS.contains(&id.name.as_str()) {
            d = d.with_help(format!(
                "`{}` is a function: call it as `{}(...)`",
                id.name, id.name
            ));
        }
        self.errors.push(d);
        Self::poisoned(span)
    }

    fn field(&mut self, base: Expr, field: &ast::Ident, span: Span) -> Expr {
        match &base.ty {
            Type::Error => Self::poisoned(span),
            Type::Record(rec) => {
                let rec = rec.clone();
                match rec.fields.iter().position(|f| f.name == field.name) {
                    Some(i) => {
                        let ty = rec.fields[i].ty.clone();
                        typed(ExprKind::Field(bx(base), i), ty, span)
                    }
                    None => {
                        let names = rec.fields.iter().map(|f| f.name.as_str());
                        let msg = match closest(&field.name, names) {
                            Some(s) => format!(
                                "list elements have no field `{}`; did you mean `{s}`?",
                                field.name
                            ),
                            None => format!(
                                "list elements have no field `{}` (fields: {})",
                                field.name,
                                rec.fields
                                    .iter()
                                    .map(|f| f.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        self.error(field.span, msg);
                        Self::poisoned(span)
                    }
                }
            }
            other => {
                let msg = format!(
                    "`.{}` reads a field of a list element, but this is {}",
                    field.name,
                    other.describe()
                );
                self.error(base.span, msg);
                Self::poisoned(span)
            }
        }
    }

    pub(super) fn expect_bool(&mut self, e: Expr, what: &str) -> Expr {
        match e.ty {
            Type::Bool | Type::Error => e,
            ref t => {
                let msg = format!("{what} must be bool, but this is {}", t.describe());
                self.error(e.span, msg);
                Self::poisoned(e.span)
            }
        }
    }

    /// Converts `e` to `target` by the promotion rules, or reports a mismatch.
    pub(super) fn coerce(&mut self, e: Expr, target: &Type, what: &str) -> Expr {
        if e.ty == *target || e.ty == Type::Error || *target == Type::Error {
            return e;
        }
        let span = e.span;
        match (&e.ty, target) {
            (Type::Int, Type::Decimal) => typed(
                ExprKind::Promote(Promotion::IntToDec, bx(e)),
                Type::Decimal,
                span,
            ),
            (Type::Int, Type::Money) => typed(
                ExprKind::Promote(Promotion::IntToMoney, bx(e)),
                Type::Money,
                span,
            ),
            (Type::Text, Type::Enum(variants)) => match &e.kind {
                ExprKind::Const(Const::Text(s)) => match variants.iter().position(|v| **v == **s) {
                    Some(i) => typed(ExprKind::Const(Const::Num(i as i64)), target.clone(), span),
                    None => {
                        let mut msg =
                            format!("\"{s}\" is not a variant of enum({})", variants.join(", "));
                        if let Some(c) = closest(s, variants.iter().map(String::as_str)) {
                            msg.push_str(&format!("; did you mean \"{c}\"?"));
                        }
                        self.error(span, msg);
                        Self::poisoned(span)
                    }
                },
                _ => {
                    self.error(
                        span,
                        format!(
                            "expected {} for {what}, found text: only string literals convert to an enum",
                            target.describe()
                        ),
                    );
                    Self::poisoned(span)
                }
            },
            (found, _) => {
                let mut d = crate::diagnostic::Diagnostic::error(
                    span,
                    format!(
                        "type mismatch: expected {} for {what}, found {}",
                        target.describe(),
                        found.describe()
                    ),
                );
                if let (Type::Decimal, Type::Money) = (found, target) {
                    d = d.with_help("write an amount with a currency sign, e.g. £12.50, or multiply a money value");
                }
                self.errors.push(d);
                Self::poisoned(span)
            }
        }
    }

    /// The common type of several expressions under the promotion rules.
    fn unify(&mut self, exprs: &[&Expr], span: Span, what: &str) -> Option<Type> {
        let mut acc: Option<Type> = None;
        // enums first, so string literals can convert to them
        let mut ordered: Vec<&&Expr> = exprs
            .iter()
            .filter(|e| matches!(e.ty, Type::Enum(_)))
            .collect();
        ordered.extend(exprs.iter().filter(|e| !matches!(e.ty, Type::Enum(_))));
        for e in ordered {
            if e.ty == Type::Error {
                return None;
            }
            let is_text_literal = matches!(e.kind, ExprKind::Const(Const::Text(_)));
            acc = Some(match (acc, &e.ty) {
                (None, t) => t.clone(),
                (Some(a), t) if a == *t => a,
                (Some(Type::Int), Type::Decimal) | (Some(Type::Decimal), Type::Int) => {
                    Type::Decimal
                }
                (Some(Type::Int), Type::Money) | (Some(Type::Money), Type::Int) => Type::Money,
                (Some(Type::Enum(v)), Type::Text) if is_text_literal => Type::Enum(v),
                (Some(a), t) => {
                    let mut d = crate::diagnostic::Diagnostic::error(
                        span,
                        format!(
                            "type mismatch: {what} are {} and {}",
                            a.describe(),
                            t.describe()
                        ),
                    );
                    if matches!(
                        (&a, t),
                        (Type::Money, Type::Decimal) | (Type::Decimal, Type::Money)
                    ) {
                        d = d.with_help("money and decimal do not mix: multiply money by a decimal, or divide money by money to get a decimal");
                    }
                    if matches!(
                        (&a, t),
                        (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_))
                    ) {
                        d = d.with_help(
                            "an enum compares only with string literals naming its variants",
                        );
                    }
                    self.errors.push(d);
                    return None;
                }
            });
        }
        acc
    }

    fn binary(&mut self, op: BinOp, l: Expr, r: Expr, span: Span) -> Expr {
        if l.ty == Type::Error || r.ty == Type::Error {
            if matches!(op, BinOp::And | BinOp::Or) {
                return Self::poisoned(span);
            }
            return Self::poisoned(span);
        }
        match op {
            BinOp::And | BinOp::Or => {
                let what = format!("an operand of `{}`", op.symbol());
                let l = self.expect_bool(l, &what);
                let r = self.expect_bool(r, &what);
                let kind = if op == BinOp::And {
                    ExprKind::And(bx(l), bx(r))
                } else {
                    ExprKind::Or(bx(l), bx(r))
                };
                typed(kind, Type::Bool, span)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => self.arith(op, l, r, span),
            _ => self.compare(op, l, r, span),
        }
    }

    fn arith(&mut self, op: BinOp, l: Expr, r: Expr, span: Span) -> Expr {
        use Type::*;
        let (lt, rt) = (l.ty.clone(), r.ty.clone());
        let dec = |c: &mut Self, e: Expr| c.coerce(e, &Decimal, "arithmetic");
        let money = |c: &mut Self, e: Expr| c.coerce(e, &Money, "arithmetic");
        let (aop, l, r, ty) = match (op, &lt, &rt) {
            (BinOp::Add, Int, Int) => (ArithOp::AddInt, l, r, Int),
            (BinOp::Sub, Int, Int) => (ArithOp::SubInt, l, r, Int),
            (BinOp::Mul, Int, Int) => (ArithOp::MulInt, l, r, Int),
            (BinOp::Div, Int, Int) => (ArithOp::DivInt, l, r, Decimal),
            (_, Int | Decimal, Int | Decimal) => {
                let aop = match op {
                    BinOp::Add => ArithOp::AddDec,
                    BinOp::Sub => ArithOp::SubDec,
                    BinOp::Mul => ArithOp::MulDec,
                    _ => ArithOp::DivDec,
                };
                (aop, dec(self, l), dec(self, r), Decimal)
            }
            (BinOp::Add | BinOp::Sub, Int | Money, Int | Money) => {
                let aop = if op == BinOp::Add {
                    ArithOp::AddMoney
                } else {
                    ArithOp::SubMoney
                };
                (aop, money(self, l), money(self, r), Money)
            }
            // money and an int: exact money, the int never scaled to a
            // decimal (whose range is 10^6 times smaller)
            (BinOp::Mul, Money, Int) => (ArithOp::MulMoneyInt, l, r, Money),
            (BinOp::Mul, Int, Money) => (ArithOp::MulIntMoney, l, r, Money),
            (BinOp::Div, Money, Int) => (ArithOp::DivMoneyInt, l, r, Money),
            (BinOp::Mul, Money, Decimal) => (ArithOp::MulMoneyDec, l, r, Money),
            (BinOp::Mul, Decimal, Money) => (ArithOp::MulDecMoney, l, r, Money),
            (BinOp::Div, Money, Decimal) => (ArithOp::DivMoneyDec, l, r, Money),
            (BinOp::Div, Money, Money) => (ArithOp::DivMoneyMoney, l, r, Decimal),
            _ => {
                let verb = match op {
                    BinOp::Add => "add",
                    BinOp::Sub => "subtract",
                    BinOp::Mul => "multiply",
                    _ => "divide",
                };
                let mut d = crate::diagnostic::Diagnostic::error(
                    span,
                    format!(
                        "type mismatch: cannot {verb} {} and {} with `{}`",
                        lt.describe(),
                        rt.describe(),
                        op.symbol()
                    ),
                );
                d = match (&lt, &rt) {
                    (Money, Decimal) | (Decimal, Money) => d.with_help(
                        "money and decimal do not mix in + and -: use a money amount such as £12.50",
                    ),
                    (Money, Money) if op == BinOp::Mul => {
                        d.with_help("multiply money by a number, not by money")
                    }
                    (Date, _) | (_, Date) => {
                        d.with_help("use days_between(d1, d2) or years_between(d1, d2) for dates")
                    }
                    _ => d,
                };
                self.errors.push(d);
                return Self::poisoned(span);
            }
        };
        typed(ExprKind::Arith(aop, bx(l), bx(r)), ty, span)
    }

    fn compare(&mut self, op: BinOp, l: Expr, r: Expr, span: Span) -> Expr {
        let cop = match op {
            BinOp::Eq => CmpOp::Eq,
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let what = format!("the two sides of `{}`", op.symbol());
        let Some(ty) = self.unify(&[&l, &r], span, &what) else {
            return Self::poisoned(span);
        };
        let ordered = matches!(cop, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
        let comparable = match &ty {
            Type::Int | Type::Decimal | Type::Money | Type::Date => true,
            Type::Bool | Type::Text | Type::Enum(_) => !ordered,
            _ => false,
        };
        if !comparable {
            let msg = if ordered {
                format!(
                    "`{}` orders numbers and dates; {} values can only be compared with == and !=",
                    op.symbol(),
                    ty.describe()
                )
            } else {
                format!("{} values cannot be compared", ty.describe())
            };
            self.error(span, msg);
            return Self::poisoned(span);
        }
        let l = self.coerce(l, &ty, "a comparison");
        let r = self.coerce(r, &ty, "a comparison");
        let kind = if ty == Type::Text {
            CmpKind::Text
        } else {
            CmpKind::Num
        };
        typed(ExprKind::Cmp(cop, kind, bx(l), bx(r)), Type::Bool, span)
    }

    fn membership(&mut self, x: Expr, items: Vec<Expr>, span: Span) -> Expr {
        let mut all: Vec<&Expr> = vec![&x];
        all.extend(items.iter());
        let Some(ty) = self.unify(&all, span, "the value and the list items of `in`") else {
            return Self::poisoned(span);
        };
        if !matches!(
            ty,
            Type::Int
                | Type::Decimal
                | Type::Money
                | Type::Date
                | Type::Bool
                | Type::Text
                | Type::Enum(_)
        ) {
            self.error(span, format!("`in` cannot test {} values", ty.describe()));
            return Self::poisoned(span);
        }
        let x = self.coerce(x, &ty, "`in`");
        let items = items
            .into_iter()
            .map(|i| self.coerce(i, &ty, "`in`"))
            .collect();
        let kind = if ty == Type::Text {
            CmpKind::Text
        } else {
            CmpKind::Num
        };
        typed(ExprKind::In(kind, bx(x), items), Type::Bool, span)
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let name = func.name.as_str();
        if !FUNCTIONS.contains(&name) {
            let msg = match closest(name, FUNCTIONS.iter().copied()) {
                Some(s) => format!("unknown function `{name}`; did you mean `{s}`?"),
                None => format!("unknown function `{name}`"),
            };
            self.errors.push(
                crate::diagnostic::Diagnostic::error(func.span, msg)
                    .with_help(format!("functions: {}", FUNCTIONS.join(", "))),
            );
            return Self::poisoned(span);
        }
        if name == "known" {
            return self.known(args, span);
        }
        let arity = |n: usize| -> bool { args.len() == n };
        let expected = match name {
            "min" | "max" => (!args.is_empty())
                .then_some(())
                .map_or("at least one argument", |_| ""),
            "abs" | "floor" | "ceil" | "round" => {
                if arity(1) {
                    ""
                } else {
                    "1 argument"
                }
            }
            "count" => {
                if arity(1) {
                    ""
                } else {
                    "1 argument (a list), or `x in list: condition`"
                }
            }
            "any" | "every" => "`x in list: condition`",
            "sum" => "`x in list: amount`",
            _ => {
                if arity(2) {
                    ""
                } else {
                    "2 arguments"
                }
            }
        };
        if !expected.is_empty() {
            self.error(
                span,
                format!(
                    "`{name}` takes {expected}, but was given {} argument{}",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                ),
            );
            return Self::poisoned(span);
        }
        let args: Vec<Expr> = args.iter().map(|a| self.expr(a)).collect();
        if args.iter().any(|a| a.ty == Type::Error) {
            return Self::poisoned(span);
        }
        match name {
            "min" | "max" => {
                let refs: Vec<&Expr> = args.iter().collect();
                let Some(ty) = self.unify(&refs, span, "the arguments") else {
                    return Self::poisoned(span);
                };
                if !(ty.is_numeric() || ty == Type::Date) {
                    self.error(
                        span,
                        format!("`{name}` needs numbers or dates, not {}", ty.describe()),
                    );
                    return Self::poisoned(span);
                }
                let args = args
                    .into_iter()
                    .map(|a| self.coerce(a, &ty, "the arguments"))
                    .collect();
                let f = if name == "min" { Func::Min } else { Func::Max };
                typed(ExprKind::Call(f, args), ty, span)
            }
            "abs" | "floor" | "ceil" | "round" => {
                let ty = args[0].ty.clone();
                if !ty.is_numeric() {
                    self.error(
                        args[0].span,
                        format!("`{name}` needs a number, not {}", ty.describe()),
                    );
                    return Self::poisoned(span);
                }
                let k = num_kind(&ty);
                let (f, out) = match name {
                    "abs" => (Func::Abs, ty.clone()),
                    "floor" => (
                        Func::Floor(k),
                        if k == NumKind::Money {
                            Type::Money
                        } else {
                            Type::Int
                        },
                    ),
                    "ceil" => (
                        Func::Ceil(k),
                        if k == NumKind::Money {
                            Type::Money
                        } else {
                            Type::Int
                        },
                    ),
                    _ => (
                        Func::Round(k),
                        if k == NumKind::Money {
                            Type::Money
                        } else {
                            Type::Int
                        },
                    ),
                };
                typed(ExprKind::Call(f, args), out, span)
            }
            "years_between" | "days_between" => {
                for a in &args {
                    if a.ty != Type::Date {
                        self.error(
                            a.span,
                            format!("`{name}` needs two dates, but this is {}", a.ty.describe()),
                        );
                        return Self::poisoned(span);
                    }
                }
                let f = if name == "years_between" {
                    Func::YearsBetween
                } else {
                    Func::DaysBetween
                };
                typed(ExprKind::Call(f, args), Type::Int, span)
            }
            "starts_with" | "ends_with" | "contains" => {
                for a in &args {
                    if a.ty != Type::Text {
                        self.error(
                            a.span,
                            format!(
                                "`{name}` needs two text values, but this is {}",
                                a.ty.describe()
                            ),
                        );
                        return Self::poisoned(span);
                    }
                }
                let f = match name {
                    "starts_with" => Func::StartsWith,
                    "ends_with" => Func::EndsWith,
                    _ => Func::Contains,
                };
                typed(ExprKind::Call(f, args), Type::Bool, span)
            }
            _ => {
                // count(xs)
                let Some(list) = args.into_iter().next() else {
                    return Self::poisoned(span);
                };
                if !matches!(list.ty, Type::List(_)) {
                    self.error(
                        list.span,
                        format!("`count` needs a list, but this is {}", list.ty.describe()),
                    );
                    return Self::poisoned(span);
                }
                typed(
                    ExprKind::Aggregate {
                        kind: AggKind::Count,
                        list: bx(list),
                        body: None,
                    },
                    Type::Int,
                    span,
                )
            }
        }
    }

    fn known(&mut self, args: &[ast::Expr], span: Span) -> Expr {
        let [arg] = args else {
            self.error(span, "`known` takes one input field, e.g. known(income)");
            return Self::poisoned(span);
        };
        let e = self.expr(arg);
        let target = match &e.kind {
            ExprKind::Input(i) => Some(KnownTarget::Input(*i)),
            ExprKind::Field(base, index) => match base.kind {
                ExprKind::Var(var) => Some(KnownTarget::Element { var, index: *index }),
                _ => None,
            },
            _ => None,
        };
        match target {
            Some(t) => typed(ExprKind::Known(t), Type::Bool, span),
            None => {
                if e.ty != Type::Error {
                    self.error(arg.span, "`known` takes an input field name (or a list element's field such as c.age)");
                }
                Self::poisoned(span)
            }
        }
    }

    fn aggregate(
        &mut self,
        func: &ast::Ident,
        var: &ast::Ident,
        list: &ast::Expr,
        body: &ast::Expr,
        span: Span,
    ) -> Expr {
        let kind = match func.name.as_str() {
            "count" => AggKind::Count,
            "any" => AggKind::Any,
            "every" => AggKind::Every,
            "sum" => AggKind::Sum(NumKind::Int),
            other => {
                self.error(
                    func.span,
                    format!("`{other}` is not an aggregation: use count, any, every or sum with `x in list: ...`"),
                );
                return Self::poisoned(span);
            }
        };
        let list = self.expr(list);
        let rec = match &list.ty {
            Type::List(r) => r.clone(),
            Type::Error => return Self::poisoned(span),
            other => {
                let msg = format!(
                    "`{}` needs a list after `in`, but this is {}",
                    func.name,
                    other.describe()
                );
                self.error(list.span, msg);
                return Self::poisoned(span);
            }
        };
        self.scope.push((var.name.clone(), rec));
        let body = self.expr(body);
        self.scope.pop();
        let (kind, ty, body) = match kind {
            AggKind::Sum(_) => {
                if body.ty == Type::Error {
                    return Self::poisoned(span);
                }
                if !body.ty.is_numeric() {
                    self.error(
                        body.span,
                        format!("`sum` adds numbers or money, not {}", body.ty.describe()),
                    );
                    return Self::poisoned(span);
                }
                (AggKind::Sum(num_kind(&body.ty)), body.ty.clone(), body)
            }
            AggKind::Count => (
                kind,
                Type::Int,
                self.expect_bool(body, "the condition of `count`"),
            ),
            _ => (kind, Type::Bool, self.expect_bool(body, "the condition")),
        };
        typed(
            ExprKind::Aggregate {
                kind,
                list: bx(list),
                body: Some(bx(body)),
            },
            ty,
            span,
        )
    }
}
