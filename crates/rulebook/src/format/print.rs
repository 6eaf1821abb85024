//! The printer: a parsed rule file laid out as a [`Doc`] and rendered
//! (with its comments, for `rulebook fmt`), and an expression on one line
//! without them (the text a `require` without `because` is reported by).
//! It reads only the syntax tree and the source: the checker uses it too.

use super::doc::{self, Doc};
use super::source::{Comment, Source};
use crate::ast::{self, BinOp, DecisionBody, ExprKind, Item, MetaKey, ParamValues, TypeKind};

/// Lines are broken to stay within this many columns where they can be.
pub const WIDTH: usize = 100;
/// Each level of nesting is indented this much.
const INDENT: usize = 2;

/// The layout of a parsed file.
pub(super) fn layout(file: &ast::File, source: &str) -> String {
    let src = Source::new(source);
    let mut p = Printer {
        src: &src,
        next_comment: 0,
        with_comments: true,
    };
    let d = p.file(file);
    doc::render(&d, WIDTH)
}

/// An expression on one line, in the canonical layout and without its
/// comments: the text a `require` without `because` is reported by, the
/// same however the condition is laid out in the file.
pub(crate) fn expr_text(src: &Source, e: &ast::Expr) -> String {
    let mut p = Printer {
        src,
        next_comment: 0,
        with_comments: false,
    };
    let d = p.expr(e, 0, true);
    doc::render(&d, 1 << 40).trim_end().to_string()
}

/// Where a line of a block stands, for the blank line before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineAt {
    /// The first line of a block: never a blank line before it.
    First,
    /// A later line of a block: a blank line before it when the source has one.
    Next,
    /// The first item after the header: always a blank line before it.
    AfterHeader,
    /// A line that belongs to the one above (a clause's `because`): never a blank line.
    Tight,
}

struct Printer<'a> {
    src: &'a Source<'a>,
    /// The first comment not printed yet.
    next_comment: usize,
    /// False for one-line texts, which leave comments out.
    with_comments: bool,
}

/// How tightly an expression binds: an operand binding less tightly than
/// its position needs is parenthesised.
fn level(e: &ast::Expr) -> u8 {
    match &e.kind {
        ExprKind::If(..) => 0,
        ExprKind::Binary(BinOp::Or, ..) => 1,
        ExprKind::Binary(BinOp::And, ..) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 5,
        ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => 6,
        ExprKind::Binary(..) | ExprKind::In(..) => 4,
        ExprKind::Neg(_) => 7,
        ExprKind::Field(..) => 8,
        ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Decimal(_)
        | ExprKind::Money(_)
        | ExprKind::Date(_)
        | ExprKind::Text(_)
        | ExprKind::Name(_)
        | ExprKind::Call(..)
        | ExprKind::Aggregate { .. } => 9,
    }
}

/// Whether operators of this level group left to right (`a - b - c`);
/// comparisons do not chain.
fn chains(level: u8) -> bool {
    matches!(level, 1 | 2 | 5 | 6)
}

/// A text literal as written: quotes, and `\"` and `\\` escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn text(s: impl Into<String>) -> Doc {
    Doc::text(s)
}

impl<'a> Printer<'a> {
    /// The first comment not printed yet, when it stands before `pos`,
    /// now counted as printed (none in a one-line text).
    fn take_comment(&mut self, pos: usize) -> Option<&'a Comment> {
        let src: &'a Source<'a> = self.src;
        let c = src
            .comments
            .get(self.next_comment)
            .filter(|c| self.with_comments && c.start < pos)?;
        self.next_comment += 1;
        Some(c)
    }

    /// The comments before `pos` not printed yet, where they fall inside a
    /// line or an expression.
    fn comments(&mut self, pos: usize, out: &mut Vec<Doc>) {
        let first = self.next_comment;
        while let Some(c) = self.take_comment(pos) {
            // only the first can end a line of code: after it, a comment
            // has a line of its own (and is read so on the next run)
            out.push(if c.trailing && self.next_comment == first + 1 {
                Doc::Trailing(c.text.clone())
            } else {
                Doc::OwnLine(c.text.clone())
            });
        }
    }

    /// Starts a line of a block whose first token is at `pos`: the comments
    /// before it, each on a line of its own (or at the end of the line
    /// above, where they were), then the new line, blank lines kept as
    /// `at` says.
    fn line(&mut self, pos: usize, at: LineAt, out: &mut Vec<Doc>) {
        let before = self.next_comment;
        let mut first = at == LineAt::First;
        let mut forced = at == LineAt::AfterHeader;
        let keep = at != LineAt::Tight;
        while let Some(c) = self.take_comment(pos) {
            if c.trailing && self.next_comment == before + 1 {
                out.push(Doc::Trailing(c.text.clone()));
                continue;
            }
            if forced {
                out.push(Doc::BlankLine);
                forced = false;
            } else if keep && !first && self.src.blank_line_before(c.start) {
                out.push(Doc::BlankLine);
            }
            out.push(Doc::OwnLine(c.text.clone()));
            first = false;
        }
        if forced || (keep && !first && self.src.blank_line_before(pos)) {
            out.push(Doc::BlankLine);
        }
        out.push(Doc::HardLine);
    }

    /// The comments left before `pos` on lines of their own inside a block
    /// (before its closing brace), the first without a blank line before it
    /// when `first`.
    fn closing(&mut self, pos: usize, first: bool, out: &mut Vec<Doc>) -> bool {
        let before = self.next_comment;
        let mut first = first;
        while let Some(c) = self.take_comment(pos) {
            if c.trailing && self.next_comment == before + 1 {
                out.push(Doc::Trailing(c.text.clone()));
                continue;
            }
            if !first && self.src.blank_line_before(c.start) {
                out.push(Doc::BlankLine);
            }
            out.push(Doc::OwnLine(c.text.clone()));
            first = false;
        }
        self.next_comment > before
    }

    fn file(&mut self, f: &ast::File) -> Doc {
        let mut out = Vec::new();
        let start = self.src.next_code(0);
        self.line(start, LineAt::First, &mut out);
        out.push(text(format!("policy {}", f.name.name)));
        let mut header = Vec::new();
        for (word, value, span) in [
            ("title", &f.title, f.title_span),
            ("version", &f.version, f.version_span),
        ] {
            if let (Some(value), Some(span)) = (value, span) {
                self.line(span.start, LineAt::Tight, &mut header);
                header.push(text(format!("{word} {}", quote(value))));
            }
        }
        out.push(Doc::nest(INDENT, Doc::Cat(header)));
        for (i, item) in f.items.iter().enumerate() {
            let at = if i == 0 {
                LineAt::AfterHeader
            } else {
                LineAt::Next
            };
            let start = self.item_start(item);
            self.line(start, at, &mut out);
            out.push(self.item(item));
        }
        // comments after the last item
        self.closing(usize::MAX, false, &mut out);
        Doc::Cat(out)
    }

    fn item_start(&self, item: &Item) -> usize {
        match item {
            Item::Input(b) => b.span.start,
            Item::Param(p) => p.span.start,
            Item::Define(d) => d.span.start,
            Item::Decision(d) => d.span.start,
        }
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Input(b) => {
                let close = self.src.code_end(b.span).saturating_sub(1);
                self.block("input {", &b.fields, close)
            }
            Item::Param(p) => self.param(p),
            Item::Define(d) => {
                let head = vec![
                    text(format!("define {}: ", d.name.name)),
                    self.type_expr(&d.ty),
                ];
                self.assigned(head, &d.value)
            }
            Item::Decision(d) => self.decision(d),
        }
    }

    /// `open`, the fields one a line, and `}` (at `close` in the source).
    fn block(&mut self, open: &str, fields: &[ast::Field], close: usize) -> Doc {
        let mut inner = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let at = if i == 0 { LineAt::First } else { LineAt::Next };
            self.line(f.name.span.start, at, &mut inner);
            inner.push(self.field(f));
        }
        let commented = self.closing(close, fields.is_empty(), &mut inner);
        if fields.is_empty() && !commented {
            return text(format!("{open}}}"));
        }
        Doc::Cat(vec![
            text(open),
            Doc::nest(INDENT, Doc::Cat(inner)),
            Doc::HardLine,
            text("}"),
        ])
    }

    fn field(&mut self, f: &ast::Field) -> Doc {
        let mut out = vec![text(format!("{}: ", f.name.name)), self.type_expr(&f.ty)];
        let mut asked = Vec::new();
        for m in &f.modifiers {
            match m.kind {
                ast::FieldModifierKind::Personal => {
                    let target = if asked.is_empty() {
                        &mut out
                    } else {
                        &mut asked
                    };
                    self.comments(m.span.start, target);
                    target.push(text(" personal"));
                }
                ast::FieldModifierKind::Ask | ast::FieldModifierKind::Help => {
                    self.line(m.span.start, LineAt::Tight, &mut asked);
                    let value = m.text.as_deref().unwrap_or("");
                    asked.push(text(format!("{} {}", m.kind.keyword(), quote(value))));
                }
            }
        }
        out.push(Doc::nest(INDENT, Doc::Cat(asked)));
        Doc::Cat(out)
    }

    fn type_expr(&mut self, t: &ast::TypeExpr) -> Doc {
        match &t.kind {
            TypeKind::Bool => text("bool"),
            TypeKind::Int => text("int"),
            TypeKind::Decimal => text("decimal"),
            TypeKind::Money => text("money"),
            TypeKind::Date => text("date"),
            TypeKind::Text => text("text"),
            TypeKind::Enum(variants) => {
                let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
                text(format!("enum({})", names.join(", ")))
            }
            TypeKind::List(fields) => {
                let close = self.src.code_end(t.span).saturating_sub(1);
                self.block("list of {", fields, close)
            }
        }
    }

    fn param(&mut self, p: &ast::Param) -> Doc {
        let mut out = vec![
            text(format!("param {}: ", p.name.name)),
            self.type_expr(&p.ty),
        ];
        match &p.values {
            ParamValues::Constant(v) => {
                out.push(text(" = "));
                out.push(self.expr(v, 0, true));
            }
            ParamValues::Dated(lines) => {
                let mut inner = Vec::new();
                for (date, value) in lines {
                    self.line(date.span.start, LineAt::Tight, &mut inner);
                    inner.push(text("from "));
                    inner.push(self.expr(date, 0, true));
                    inner.push(text(" = "));
                    inner.push(self.expr(value, 0, true));
                }
                out.push(Doc::nest(INDENT, Doc::Cat(inner)));
            }
        }
        Doc::Cat(out)
    }

    /// `HEAD = value`: on one line when it fits, else the value on the next
    /// line, indented. An `if` that does not fit there either is written
    /// one part a line (`if`, `then`, `else`), or one arm a line when it
    /// has `else if` arms.
    fn assigned(&mut self, head: Vec<Doc>, value: &ast::Expr) -> Doc {
        let mut out = head;
        out.push(text(" ="));
        let mut rest = Vec::new();
        self.comments(value.span.start, &mut rest);
        rest.push(Doc::Line);
        if matches!(value.kind, ExprKind::If(..)) && !self.src.parenthesised(value.span) {
            rest.extend(self.if_parts(value));
        } else {
            rest.push(self.expr(value, 0, true));
        }
        out.push(Doc::nest(INDENT, Doc::Cat(rest)));
        Doc::group(Doc::Cat(out))
    }

    fn decision(&mut self, d: &ast::Decision) -> Doc {
        let head = vec![
            text(format!("decision {}: ", d.name.name)),
            self.type_expr(&d.ty),
        ];
        let mut clauses = Vec::new();
        match &d.body {
            DecisionBody::Expr(e) => return self.assigned(head, e),
            DecisionBody::Requires(rs) => {
                for (i, r) in rs.iter().enumerate() {
                    let at = if i == 0 { LineAt::First } else { LineAt::Next };
                    self.line(r.keyword.start, at, &mut clauses);
                    let cond = self.expr(&r.cond, 0, true);
                    clauses.push(text("require "));
                    clauses.push(Doc::nest(INDENT, cond));
                    clauses.push(self.meta(&r.meta));
                }
            }
            DecisionBody::Whens { whens, otherwise } => {
                for (i, w) in whens.iter().enumerate() {
                    let at = if i == 0 { LineAt::First } else { LineAt::Next };
                    self.line(w.keyword.start, at, &mut clauses);
                    let mut inner = vec![self.expr(&w.cond, 0, true)];
                    self.comments(w.value.span.start, &mut inner);
                    inner.push(Doc::Line);
                    inner.push(text("-> "));
                    inner.push(Doc::align(self.expr(&w.value, 0, true)));
                    clauses.push(Doc::group(Doc::Cat(vec![
                        text("when "),
                        Doc::nest(INDENT, Doc::Cat(inner)),
                    ])));
                    clauses.push(self.meta(&w.meta));
                }
                self.line(otherwise.keyword.start, LineAt::Next, &mut clauses);
                clauses.push(text("otherwise -> "));
                clauses.push(Doc::align(self.expr(&otherwise.value, 0, true)));
                clauses.push(self.meta(&otherwise.meta));
            }
        }
        let mut out = head;
        out.push(Doc::nest(INDENT, Doc::Cat(clauses)));
        Doc::Cat(out)
    }

    /// A clause's `because`, `source`, `from` and `until`, one a line, in
    /// the order written.
    fn meta(&mut self, m: &ast::Meta) -> Doc {
        let mut out = Vec::new();
        for (key, span) in &m.order {
            self.line(span.start, LineAt::Tight, &mut out);
            let (word, value) = match key {
                MetaKey::Because => ("because", m.because.as_deref().map(quote)),
                MetaKey::Source => ("source", m.source.as_deref().map(quote)),
                MetaKey::From => ("from", m.from.as_ref().map(date_text)),
                MetaKey::Until => ("until", m.until.as_ref().map(date_text)),
            };
            out.push(text(format!("{word} {}", value.unwrap_or_default())));
        }
        Doc::nest(INDENT, Doc::Cat(out))
    }

    /// An expression in a position that needs it to bind at least as
    /// tightly as `min` (parenthesised when it does not, or when its author
    /// parenthesised it and it is not a single term). `top`: it starts a
    /// line or a bracket of its own, so its broken lines need no indent of
    /// their own.
    fn expr(&mut self, e: &ast::Expr, min: u8, top: bool) -> Doc {
        let mut out = Vec::new();
        self.comments(e.span.start, &mut out);
        let lvl = level(e);
        let written = lvl < 8 && self.src.parenthesised(e.span);
        if lvl < min || written {
            let inner = self.bare(e, true);
            let close = self.src.code_end(e.span).saturating_sub(1);
            let mut parts = vec![text("("), Doc::align(inner)];
            self.comments(close, &mut parts);
            parts.push(text(")"));
            out.push(Doc::group(Doc::Cat(parts)));
        } else {
            out.push(self.bare(e, top));
        }
        if out.len() == 1 {
            out.pop().unwrap_or(Doc::Cat(Vec::new()))
        } else {
            Doc::Cat(out)
        }
    }

    /// An expression without parentheses around it.
    fn bare(&mut self, e: &ast::Expr, top: bool) -> Doc {
        match &e.kind {
            ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
            ExprKind::Int(s) | ExprKind::Decimal(s) | ExprKind::Money(s) | ExprKind::Date(s) => {
                text(s.clone())
            }
            ExprKind::Text(s) => text(quote(s)),
            ExprKind::Name(id) => text(id.name.clone()),
            ExprKind::Field(base, field) => Doc::Cat(vec![
                self.expr(base, 8, false),
                text(format!(".{}", field.name)),
            ]),
            ExprKind::Neg(x) => Doc::Cat(vec![text("-"), self.expr(x, 8, false)]),
            ExprKind::Not(x) => Doc::Cat(vec![text("not "), self.expr(x, 3, false)]),
            ExprKind::Binary(..) => self.chain(e, top),
            ExprKind::In(x, items) => {
                let mut out = vec![self.expr(x, 5, false)];
                let at = self.src.next_code(self.src.code_end(x.span));
                self.comments(at, &mut out);
                out.push(text(" in "));
                out.push(self.bracketed("[", items, "]", e.span));
                Doc::Cat(out)
            }
            ExprKind::If(..) => Doc::group(Doc::Cat(self.if_parts(e))),
            ExprKind::Call(f, args) => self.bracketed(&format!("{}(", f.name), args, ")", e.span),
            ExprKind::Aggregate {
                func,
                var,
                list,
                body,
            } => {
                // `sum(x in xs: body)`, the body on a line of its own,
                // indented, when it does not fit
                let mut out = vec![text(format!("{}(", func.name))];
                self.comments(var.span.start, &mut out);
                out.push(text(format!("{} in ", var.name)));
                out.push(self.expr(list, 8, false));
                out.push(text(":"));
                let mut inner = vec![Doc::Line, self.expr(body, 0, true)];
                let close = self.src.code_end(e.span).saturating_sub(1);
                self.comments(close, &mut inner);
                out.push(Doc::nest(INDENT, Doc::Cat(inner)));
                out.push(text(")"));
                Doc::group(Doc::Cat(out))
            }
        }
    }

    /// `open` items separated by commas `close`: on one line when it fits,
    /// else one item a line, aligned after `open`.
    fn bracketed(&mut self, open: &str, items: &[ast::Expr], close: &str, span: ast::Span) -> Doc {
        let mut inner = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Line);
            }
            inner.push(self.expr(item, 0, true));
        }
        let end = self.src.code_end(span).saturating_sub(1);
        self.comments(end, &mut inner);
        Doc::group(Doc::Cat(vec![
            text(open),
            Doc::align(Doc::Cat(inner)),
            text(close),
        ]))
    }

    /// A binary operator and the operands it chains with (`a + b - c`):
    /// on one line when it fits, else one operand a line, each after its
    /// operator; indented unless it starts a line of its own (`top`).
    fn chain(&mut self, e: &ast::Expr, top: bool) -> Doc {
        let lvl = level(e);
        // the operands, leftmost first, and the operators before the others
        let mut rest: Vec<(BinOp, &ast::Expr)> = Vec::new();
        let mut first = e;
        while let ExprKind::Binary(op, l, r) = &first.kind {
            if level(first) != lvl {
                break;
            }
            rest.push((*op, r));
            first = l;
            if !chains(lvl) || self.src.parenthesised(first.span) {
                break;
            }
        }
        rest.reverse();
        // left operands may bind as loosely as the operator when it
        // chains; right operands and both of a comparison more tightly
        let (left_min, right_min) = if chains(lvl) {
            (lvl, lvl + 1)
        } else {
            (lvl + 1, lvl + 1)
        };
        let head = self.expr(first, left_min, false);
        let mut tail = Vec::new();
        for (op, operand) in rest {
            // a comment after the operator ends the line before it
            self.comments(operand.span.start, &mut tail);
            tail.push(Doc::Line);
            tail.push(text(format!("{} ", op.symbol())));
            tail.push(self.expr(operand, right_min, false));
        }
        let tail = Doc::Cat(tail);
        let tail = if top { tail } else { Doc::nest(INDENT, tail) };
        Doc::group(Doc::Cat(vec![head, tail]))
    }

    /// The parts of an `if`, to be grouped by the caller: `if C then A else
    /// B` breaks before `then` and `else`; a chain of `else if`s breaks
    /// before each `else`, each arm `if C then A` a group of its own.
    fn if_parts(&mut self, e: &ast::Expr) -> Vec<Doc> {
        let mut arms: Vec<(&ast::Expr, &ast::Expr)> = Vec::new();
        let mut last = e;
        while let ExprKind::If(c, a, b) = &last.kind {
            if !arms.is_empty() && self.src.parenthesised(last.span) {
                break;
            }
            arms.push((c, a));
            last = b;
        }
        let single = arms.len() == 1;
        // a comment after `then` or `else` ends the line before it
        let mut out = Vec::new();
        for (i, (c, a)) in arms.iter().enumerate() {
            let mut arm = Vec::new();
            if i > 0 {
                self.comments(c.span.start, &mut out);
                out.push(Doc::Line);
                out.push(text("else "));
            }
            // an `if` as a condition or a `then` value is parenthesised:
            // `if (if a then b else c) then ...` reads better than without
            arm.push(text("if "));
            arm.push(self.expr(c, 1, false));
            self.comments(a.span.start, &mut arm);
            arm.push(Doc::Line);
            arm.push(text("then "));
            arm.push(self.expr(a, 1, false));
            if single {
                out.extend(arm);
            } else {
                out.push(Doc::group(Doc::Cat(arm)));
            }
        }
        self.comments(last.span.start, &mut out);
        out.push(Doc::Line);
        out.push(text("else "));
        out.push(self.expr(last, 0, false));
        out
    }
}

fn date_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Date(s) => s.clone(),
        // the grammar gives a clause's dates as date literals only
        _ => String::new(),
    }
}
