//! The checked, typed program: what the checker produces and every later
//! stage (interpreter, codegen, report) consumes. Names are resolved to
//! indices, promotions are explicit nodes and every operator names the exact
//! arithmetic it performs, so no later stage re-derives types.

use crate::ast::Span;
use std::sync::Arc;

/// Index of a fact (an input field, or a field of a list's elements) in
/// declaration order; a list's element fields come right after the list.
pub type FactId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int,
    Decimal,
    Money,
    Date,
    Text,
    Enum(Arc<[String]>),
    /// A list of records (an input field only).
    List(Arc<Record>),
    /// One element of a list, bound by an aggregation.
    Record(Arc<Record>),
    /// Stands in for the type of an expression that already has an error.
    Error,
}

impl Type {
    /// How the type is written in a rule file.
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Decimal => "decimal".into(),
            Type::Money => "money".into(),
            Type::Date => "date".into(),
            Type::Text => "text".into(),
            Type::Enum(v) => format!("enum({})", v.join(", ")),
            Type::List(_) => "a list".into(),
            Type::Record(_) => "a list element".into(),
            Type::Error => "an erroneous value".into(),
        }
    }
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal | Type::Money)
    }
}

/// The element type of a list: its fields, each a fact of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub fields: Vec<RecordField>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordField {
    pub name: String,
    pub ty: Type,
    pub fact: FactId,
    /// Marked `personal`: the value never reaches the decision log in the
    /// clear (for a list, the whole list).
    pub personal: bool,
    /// What a person is asked for this fact (`ask "..."`), and more about
    /// it (`help "..."`), as written.
    pub ask: Option<String>,
    pub help: Option<String>,
    /// 1-based line where the field is declared.
    pub line: u32,
}

/// The typed inputs of a policy.
#[derive(Debug, Clone)]
pub struct Schema {
    pub fields: Vec<RecordField>,
    /// Every fact's path as reported in `missing` (`age`, `children[].age`).
    pub fact_paths: Vec<String>,
}

/// A constant value (literal, param value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Const {
    Bool(bool),
    /// int, decimal (scaled by 10^6), money (pence), date (days since 1970-01-01), enum (variant index).
    Num(i64),
    Text(Arc<str>),
}

#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub schema: Schema,
    pub params: Vec<ParamDef>,
    pub defines: Vec<DefineDef>,
    pub decisions: Vec<DecisionDef>,
    /// Every define and decision, each after everything it reads.
    pub order: Vec<Computed>,
    /// Byte offset where each line of the source starts (to report lines).
    pub line_starts: Vec<usize>,
}

impl Expr {
    /// Pushes the direct sub-expressions of this expression onto `stack`
    /// (for walks over a whole expression tree).
    pub fn push_children<'e>(&'e self, stack: &mut Vec<&'e Expr>) {
        match &self.kind {
            ExprKind::Promote(_, a)
            | ExprKind::Field(a, _)
            | ExprKind::Neg(a)
            | ExprKind::Not(a) => stack.push(a),
            ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::Cmp(_, _, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::In(_, a, xs) => {
                stack.push(a);
                stack.extend(xs.iter());
            }
            ExprKind::If(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            ExprKind::Call(_, args) => stack.extend(args.iter()),
            ExprKind::Aggregate { list, body, .. } => {
                stack.push(list);
                if let Some(b) = body {
                    stack.push(b);
                }
            }
            ExprKind::Const(_)
            | ExprKind::Input(_)
            | ExprKind::Param(_)
            | ExprKind::Define(_)
            | ExprKind::Decision(_)
            | ExprKind::AsOf
            | ExprKind::Var(_)
            | ExprKind::Known(_) => {}
        }
    }
}

impl Program {
    /// The top expressions of every item: each define's, each expression
    /// decision's, and each clause's condition and value.
    pub fn item_exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = self.defines.iter().map(|d| &d.expr).collect();
        for d in &self.decisions {
            match &d.body {
                Body::Expr(e) => out.push(e),
                Body::Requires(cs) | Body::Whens(cs) => {
                    for c in cs {
                        out.extend(c.cond.iter());
                        out.extend(c.value.iter());
                    }
                }
            }
        }
        out
    }

    /// 1-based line of a byte offset in the source.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.line_starts.partition_point(|&s| s <= offset) as u32
    }
}

/// A define or a decision: something computed from an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Computed {
    Define(usize),
    Decision(usize),
}

#[derive(Debug, Clone)]
pub struct ParamDef {
    pub name: String,
    pub ty: Type,
    /// `(from, value)` with `from` strictly increasing; a constant param has
    /// one entry with `from == None`.
    pub values: Vec<(Option<i32>, Const)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct DefineDef {
    pub name: String,
    pub ty: Type,
    pub expr: Expr,
    /// Where its name is declared.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct DecisionDef {
    pub name: String,
    pub ty: Type,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Body {
    Expr(Expr),
    Requires(Vec<Clause>),
    /// `when` clauses in order; the last one is `otherwise` (`cond == None`).
    Whens(Vec<Clause>),
}

/// A `require`, `when` or `otherwise` clause with its explanation.
#[derive(Debug, Clone)]
pub struct Clause {
    /// None for `otherwise`.
    pub cond: Option<Expr>,
    /// The value of a `when`/`otherwise`; None for `require`.
    pub value: Option<Expr>,
    /// 1-based line of the clause keyword.
    pub line: u32,
    pub because: Option<String>,
    pub source: Option<String>,
    /// The condition in the canonical layout on one line, without comments
    /// (`rulebook fmt` never changes it): the reason of a require without
    /// `because`.
    pub text: String,
    pub from: Option<i32>,
    pub until: Option<i32>,
}

impl Clause {
    /// The reason reported when this require is false.
    pub fn reason(&self) -> &str {
        self.because.as_deref().unwrap_or(&self.text)
    }
    /// Whether the clause is in force on `as_of`.
    pub fn active(&self, as_of: i32) -> bool {
        self.from.is_none_or(|f| f <= as_of) && self.until.is_none_or(|u| as_of < u)
    }
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

/// Arithmetic with its operand types fixed (operands already promoted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    AddInt,
    SubInt,
    MulInt,
    /// int / int -> decimal.
    DivInt,
    AddDec,
    SubDec,
    MulDec,
    DivDec,
    AddMoney,
    SubMoney,
    /// money * decimal -> money.
    MulMoneyDec,
    /// decimal * money -> money.
    MulDecMoney,
    /// money / decimal -> money.
    DivMoneyDec,
    /// money / money -> decimal.
    DivMoneyMoney,
    /// money * int -> money, exact.
    MulMoneyInt,
    /// int * money -> money, exact.
    MulIntMoney,
    /// money / int -> money, rounded to the penny.
    DivMoneyInt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Whether the comparison holds for two values ordered `ord`.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        match self {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::Ne => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::Le => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::Ge => ord.is_ge(),
        }
    }
}

/// How two values compare: as i64 (numbers, dates, bools, enum variants) or as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    Num,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promotion {
    IntToDec,
    IntToMoney,
}

/// Kind of number for operations whose result depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumKind {
    Int,
    Dec,
    Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Floor(NumKind),
    Ceil(NumKind),
    Round(NumKind),
    YearsBetween,
    DaysBetween,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    Any,
    Every,
    Sum(NumKind),
}

/// What `known(...)` asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownTarget {
    Input(usize),
    /// Field `index` of the element bound at variable `var`.
    Element {
        var: usize,
        index: usize,
    },
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Const),
    /// Top-level input field by index in `schema.fields`.
    Input(usize),
    Param(usize),
    Define(usize),
    Decision(usize),
    AsOf,
    /// A bound list element; 0 is the outermost aggregation's variable.
    Var(usize),
    /// Field `index` of a record-typed expression.
    Field(Box<Expr>, usize),
    Promote(Promotion, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Cmp(CmpOp, CmpKind, Box<Expr>, Box<Expr>),
    In(CmpKind, Box<Expr>, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    Known(KnownTarget),
    /// `count(xs)` (body None) or `f(x in xs: body)`; the body's variable is
    /// `Var(depth)` where depth is the number of enclosing aggregations.
    Aggregate {
        kind: AggKind,
        list: Box<Expr>,
        body: Option<Box<Expr>>,
    },
}
