//! The untyped syntax tree produced by [`crate::syntax`]. Every node carries the
//! [`Span`] of source text it came from, so later stages can point at it.

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct File {
    pub name: Ident,
    pub title: Option<String>,
    pub version: Option<String>,
    /// Where `title "..."` is written, keyword to string.
    pub title_span: Option<Span>,
    /// Where `version "..."` is written, keyword to string.
    pub version_span: Option<Span>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Input(InputBlock),
    Param(Param),
    Define(Define),
    Decision(Decision),
}

#[derive(Debug, Clone)]
pub struct InputBlock {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: Ident,
    pub ty: TypeExpr,
    /// What follows the type (`personal`), in source order, repeats kept so
    /// the checker can report them.
    pub modifiers: Vec<FieldModifier>,
}

/// One modifier written after a field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldModifier {
    pub kind: FieldModifierKind,
    pub span: Span,
    /// The text of `ask "..."` and `help "..."` (unescaped); None for `personal`.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldModifierKind {
    /// `personal`: the value never reaches the decision log in the clear.
    Personal,
    /// `ask "..."`: the question put to a person for this fact.
    Ask,
    /// `help "..."`: more about the question, shown on request.
    Help,
}

impl FieldModifierKind {
    /// How the modifier is written.
    pub fn keyword(self) -> &'static str {
        match self {
            FieldModifierKind::Personal => "personal",
            FieldModifierKind::Ask => "ask",
            FieldModifierKind::Help => "help",
        }
    }
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Bool,
    Int,
    Decimal,
    Money,
    Date,
    Text,
    Enum(Vec<Ident>),
    List(Vec<Field>),
}

#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub values: ParamValues,
    /// The whole item, from its keyword (may run on over blanks and
    /// comments after it).
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ParamValues {
    Constant(Expr),
    /// `from DATE = literal` lines, in source order.
    Dated(Vec<(Expr, Expr)>),
}

#[derive(Debug, Clone)]
pub struct Define {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Expr,
    /// The whole item, from its keyword (may run on over blanks and
    /// comments after it).
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub name: Ident,
    pub ty: TypeExpr,
    pub body: DecisionBody,
    /// The whole item, from its keyword (may run on over blanks and
    /// comments after it).
    pub span: Span,
}

#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum DecisionBody {
    Expr(Expr),
    Requires(Vec<Require>),
    Whens {
        whens: Vec<When>,
        otherwise: Otherwise,
    },
}

/// Citation and effective dates attached to a clause.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub because: Option<String>,
    pub source: Option<String>,
    pub from: Option<Expr>,
    pub until: Option<Expr>,
    /// Each detail as written, in source order, keyword to value.
    pub order: Vec<(MetaKey, Span)>,
}

/// Which detail of a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    Because,
    Source,
    From,
    Until,
}

#[derive(Debug, Clone)]
pub struct Require {
    pub cond: Expr,
    pub meta: Meta,
    /// The span of the `require` keyword.
    pub keyword: Span,
}

#[derive(Debug, Clone)]
pub struct When {
    pub cond: Expr,
    pub value: Expr,
    pub meta: Meta,
    pub keyword: Span,
}

#[derive(Debug, Clone)]
pub struct Otherwise {
    pub value: Expr,
    pub meta: Meta,
    pub keyword: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Bool(bool),
    /// Integer literal text (checked for range later).
    Int(String),
    /// Decimal literal text.
    Decimal(String),
    /// Money literal text, including the currency sign.
    Money(String),
    /// Date literal text `YYYY-MM-DD`.
    Date(String),
    Text(String),
    Name(Ident),
    Field(Box<Expr>, Ident),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `f(x in xs: body)`.
    Aggregate {
        func: Ident,
        var: Ident,
        list: Box<Expr>,
        body: Box<Expr>,
    },
}
