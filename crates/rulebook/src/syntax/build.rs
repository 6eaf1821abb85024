//! pest pairs -> AST. The grammar guarantees the shape of each pair; where a
//! pair is not what the grammar promises we return an internal error rather
//! than panic.

use super::{Rule, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use pest::iterators::Pair;

type Res<T> = Result<T, Diagnostic>;

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn internal(p: &Pair<Rule>) -> Diagnostic {
    Diagnostic::error(
        span(p),
        format!("internal parser error near {:?}", p.as_rule()),
    )
}

/// Iterator over a pair's children that reports a located error when one is missing.
struct Kids<'a> {
    parent: Span,
    inner: pest::iterators::Pairs<'a, Rule>,
}

impl<'a> Kids<'a> {
    fn of(p: Pair<'a, Rule>) -> Self {
        Kids {
            parent: span(&p),
            inner: p.into_inner(),
        }
    }
    fn next(&mut self) -> Res<Pair<'a, Rule>> {
        self.inner
            .next()
            .ok_or_else(|| Diagnostic::error(self.parent, "internal parser error: missing part"))
    }
    fn peek(&self) -> Option<Rule> {
        self.inner.peek().map(|p| p.as_rule())
    }
}

pub fn file(p: Pair<Rule>) -> Result<File, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut header = None;
    let mut items = Vec::new();
    for child in p.into_inner() {
        let result = match child.as_rule() {
            Rule::header => self::header(child).map(|h| header = Some(h)),
            Rule::input_block => input_block(child).map(|i| items.push(Item::Input(i))),
            Rule::param => param(child).map(|i| items.push(Item::Param(i))),
            Rule::define => define(child).map(|i| items.push(Item::Define(i))),
            Rule::decision => decision(child).map(|i| items.push(Item::Decision(i))),
            Rule::EOI => Ok(()),
            _ => Err(internal(&child)),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    match header {
        Some(h) if errors.is_empty() => Ok(File {
            name: h.name,
            title: h.title.as_ref().map(|t| t.0.clone()),
            version: h.version.as_ref().map(|v| v.0.clone()),
            title_span: h.title.map(|t| t.1),
            version_span: h.version.map(|v| v.1),
            items,
        }),
        _ => {
            if errors.is_empty() {
                errors.push(Diagnostic::error(
                    Span::new(0, 0),
                    "missing `policy NAME` header",
                ));
            }
            Err(errors)
        }
    }
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

/// The header's parts: the name, and the title and version with where
/// each is written (keyword to string).
struct Header {
    name: Ident,
    title: Option<(String, Span)>,
    version: Option<(String, Span)>,
}

fn header(p: Pair<Rule>) -> Res<Header> {
    let mut k = Kids::of(p);
    k.next()?; // policy
    let name = ident(k.next()?);
    let mut title = None;
    let mut version = None;
    while let Ok(kw) = k.next() {
        let value = k.next()?;
        let at = span(&kw).to(span(&value));
        let value = string(value)?;
        if kw.as_rule() == Rule::kw_title {
            title = Some((value, at));
        } else {
            version = Some((value, at));
        }
    }
    Ok(Header {
        name,
        title,
        version,
    })
}

fn string(p: Pair<Rule>) -> Res<String> {
    let sp = span(&p);
    let inner = p
        .into_inner()
        .next()
        .ok_or_else(|| Diagnostic::error(sp, "internal parser error: string"))?;
    let raw = inner.as_str();
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn input_block(p: Pair<Rule>) -> Res<InputBlock> {
    let sp = span(&p);
    let mut k = Kids::of(p);
    k.next()?; // input
    let fields = field_list(k.next()?)?;
    Ok(InputBlock { fields, span: sp })
}

fn field_list(p: Pair<Rule>) -> Res<Vec<Field>> {
    p.into_inner().map(field).collect()
}

fn field(p: Pair<Rule>) -> Res<Field> {
    let mut k = Kids::of(p);
    let name = ident(k.next()?);
    let ty = type_expr(k.next()?)?;
    let mut modifiers = Vec::new();
    while let Ok(m) = k.next() {
        let sp = span(&m);
        let (kind, text) = match m.as_rule() {
            Rule::personal => (FieldModifierKind::Personal, None),
            Rule::ask | Rule::help => {
                let kind = if m.as_rule() == Rule::ask {
                    FieldModifierKind::Ask
                } else {
                    FieldModifierKind::Help
                };
                let mut parts = Kids::of(m);
                parts.next()?; // the keyword
                (kind, Some(string(parts.next()?)?))
            }
            _ => return Err(internal(&m)),
        };
        modifiers.push(FieldModifier {
            kind,
            span: sp,
            text,
        });
    }
    Ok(Field {
        name,
        ty,
        modifiers,
    })
}

fn type_expr(p: Pair<Rule>) -> Res<TypeExpr> {
    let sp = span(&p);
    let mut k = Kids::of(p);
    let t = k.next()?;
    let kind = match t.as_rule() {
        Rule::scalar_type => match t.as_str() {
            "bool" => TypeKind::Bool,
            "int" => TypeKind::Int,
            "decimal" => TypeKind::Decimal,
            "money" => TypeKind::Money,
            "date" => TypeKind::Date,
            _ => TypeKind::Text,
        },
        Rule::enum_type => TypeKind::Enum(
            t.into_inner()
                .filter(|c| c.as_rule() == Rule::ident)
                .map(ident)
                .collect(),
        ),
        Rule::list_type => {
            let mut lk = Kids::of(t);
            lk.next()?; // list
            lk.next()?; // of
            TypeKind::List(field_list(lk.next()?)?)
        }
        _ => return Err(internal(&t)),
    };
    Ok(TypeExpr { kind, span: sp })
}

fn param(p: Pair<Rule>) -> Res<Param> {
    let sp = span(&p);
    let mut k = Kids::of(p);
    k.next()?; // param
    let name = ident(k.next()?);
    let ty = type_expr(k.next()?)?;
    let body = k.next()?;
    let values = match body.as_rule() {
        Rule::param_const => ParamValues::Constant(expr(Kids::of(body).next()?)?),
        Rule::param_dated => {
            let mut lines = Vec::new();
            for line in body.into_inner() {
                let mut lk = Kids::of(line);
                lk.next()?; // from
                let date = date_expr(lk.next()?);
                let value = expr(lk.next()?)?;
                lines.push((date, value));
            }
            ParamValues::Dated(lines)
        }
        _ => return Err(internal(&body)),
    };
    Ok(Param {
        name,
        ty,
        values,
        span: sp,
    })
}

fn date_expr(p: Pair<Rule>) -> Expr {
    Expr {
        kind: ExprKind::Date(p.as_str().to_string()),
        span: span(&p),
    }
}

fn define(p: Pair<Rule>) -> Res<Define> {
    let sp = span(&p);
    let mut k = Kids::of(p);
    k.next()?; // define
    let name = ident(k.next()?);
    let ty = type_expr(k.next()?)?;
    let value = expr(k.next()?)?;
    Ok(Define {
        name,
        ty,
        value,
        span: sp,
    })
}

fn decision(p: Pair<Rule>) -> Res<Decision> {
    let sp = span(&p);
    let mut k = Kids::of(p);
    k.next()?; // decision
    let name = ident(k.next()?);
    let ty = type_expr(k.next()?)?;
    let body_pair = k.next()?;
    let body = match body_pair.as_rule() {
        Rule::decision_expr => DecisionBody::Expr(expr(Kids::of(body_pair).next()?)?),
        Rule::requires => {
            let mut requires = Vec::new();
            for r in body_pair.into_inner() {
                let mut rk = Kids::of(r);
                let keyword = span(&rk.next()?);
                let cond = expr(rk.next()?)?;
                let meta = meta(rk.next()?)?;
                requires.push(Require {
                    cond,
                    meta,
                    keyword,
                });
            }
            DecisionBody::Requires(requires)
        }
        Rule::whens => {
            let mut whens = Vec::new();
            let mut otherwise = None;
            for w in body_pair.into_inner() {
                let rule = w.as_rule();
                let mut wk = Kids::of(w);
                let keyword = span(&wk.next()?);
                if rule == Rule::when {
                    let cond = expr(wk.next()?)?;
                    wk.next()?; // ->
                    let value = expr(wk.next()?)?;
                    let meta = meta(wk.next()?)?;
                    whens.push(When {
                        cond,
                        value,
                        meta,
                        keyword,
                    });
                } else {
                    wk.next()?; // ->
                    let value = expr(wk.next()?)?;
                    let meta = meta(wk.next()?)?;
                    otherwise = Some(Otherwise {
                        value,
                        meta,
                        keyword,
                    });
                }
            }
            let otherwise = otherwise.ok_or_else(|| {
                Diagnostic::error(name.span, "a `when` decision needs an `otherwise` clause")
            })?;
            DecisionBody::Whens { whens, otherwise }
        }
        _ => return Err(internal(&body_pair)),
    };
    Ok(Decision {
        name,
        ty,
        body,
        span: sp,
    })
}

fn meta(p: Pair<Rule>) -> Res<Meta> {
    let mut m = Meta::default();
    for item in p.into_inner() {
        let sp = span(&item);
        let rule = item.as_rule();
        let mut k = Kids::of(item);
        let kw = k.next()?;
        let value = k.next()?;
        let dup =
            |what: &str| Diagnostic::error(sp, format!("`{what}` is given twice for this clause"));
        let key = match rule {
            Rule::because => MetaKey::Because,
            Rule::source => MetaKey::Source,
            Rule::from => MetaKey::From,
            _ => MetaKey::Until,
        };
        m.order.push((key, sp));
        match rule {
            Rule::because => {
                if m.because.is_some() {
                    return Err(dup("because"));
                }
                m.because = Some(string(value)?);
            }
            Rule::source => {
                if m.source.is_some() {
                    return Err(dup("source"));
                }
                m.source = Some(string(value)?);
            }
            Rule::from => {
                if m.from.is_some() {
                    return Err(dup("from"));
                }
                m.from = Some(date_expr(value));
            }
            Rule::until => {
                if m.until.is_some() {
                    return Err(dup("until"));
                }
                m.until = Some(date_expr(value));
            }
            _ => return Err(internal(&kw)),
        }
    }
    Ok(m)
}

/// Builds an expression, refusing trees deeper than [`MAX_EXPR_DEPTH`].
pub fn expr(p: Pair<Rule>) -> Res<Expr> {
    let (e, _) = build(p)?;
    Ok(e)
}

fn too_deep(sp: Span) -> Diagnostic {
    Diagnostic::error(
        sp,
        format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels of operators)"),
    )
    .with_help("split it into several `define`s")
}

fn node(kind: ExprKind, sp: Span, depth: usize) -> Res<(Expr, usize)> {
    if depth > MAX_EXPR_DEPTH {
        return Err(too_deep(sp));
    }
    Ok((Expr { kind, span: sp }, depth))
}

fn binop(op: &str) -> BinOp {
    match op {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "and" => BinOp::And,
        _ => BinOp::Or,
    }
}

/// Returns the expression and its depth.
fn build(p: Pair<Rule>) -> Res<(Expr, usize)> {
    crate::stack::deep(|| build_step(p))
}

fn build_step(p: Pair<Rule>) -> Res<(Expr, usize)> {
    let sp = span(&p);
    match p.as_rule() {
        Rule::expr | Rule::paren => {
            let inner = Kids::of(p).next()?;
            let (mut e, d) = build(inner)?;
            if sp.start < e.span.start {
                // keep the parentheses in the span of a parenthesised expression
                e.span = sp;
            }
            Ok((e, d))
        }
        Rule::if_expr => {
            let mut k = Kids::of(p);
            k.next()?;
            let (c, dc) = build(k.next()?)?;
            k.next()?;
            let (a, da) = build(k.next()?)?;
            k.next()?;
            let (b, db) = build(k.next()?)?;
            node(
                ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                sp,
                dc.max(da).max(db) + 1,
            )
        }
        Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr => {
            let mut k = Kids::of(p);
            let (mut acc, mut depth) = build(k.next()?)?;
            while let Ok(op) = k.next() {
                let (rhs, dr) = build(k.next()?)?;
                let s = acc.span.to(rhs.span);
                depth = depth.max(dr) + 1;
                acc = node(
                    ExprKind::Binary(binop(op.as_str()), Box::new(acc), Box::new(rhs)),
                    s,
                    depth,
                )?
                .0;
            }
            Ok((acc, depth))
        }
        Rule::not_expr | Rule::unary => {
            let is_not = p.as_rule() == Rule::not_expr;
            let mut k = Kids::of(p);
            let mut prefixes = Vec::new();
            while matches!(k.peek(), Some(Rule::kw_not) | Some(Rule::neg)) {
                prefixes.push(span(&k.next()?));
            }
            let (mut e, mut depth) = build(k.next()?)?;
            for ps in prefixes.into_iter().rev() {
                depth += 1;
                let s = ps.to(e.span);
                let kind = if is_not {
                    ExprKind::Not(Box::new(e))
                } else {
                    ExprKind::Neg(Box::new(e))
                };
                e = node(kind, s, depth)?.0;
            }
            Ok((e, depth))
        }
        Rule::cmp_expr => {
            let mut k = Kids::of(p);
            let (lhs, dl) = build(k.next()?)?;
            match k.next() {
                Err(_) => Ok((lhs, dl)),
                Ok(op) if op.as_rule() == Rule::kw_in => {
                    let list = k.next()?;
                    let mut items = Vec::new();
                    let mut depth = dl;
                    for item in list.into_inner() {
                        let (e, d) = build(item)?;
                        depth = depth.max(d);
                        items.push(e);
                    }
                    node(ExprKind::In(Box::new(lhs), items), sp, depth + 1)
                }
                Ok(op) => {
                    let (rhs, dr) = build(k.next()?)?;
                    node(
                        ExprKind::Binary(binop(op.as_str()), Box::new(lhs), Box::new(rhs)),
                        sp,
                        dl.max(dr) + 1,
                    )
                }
            }
        }
        Rule::postfix => {
            let mut k = Kids::of(p);
            let (mut e, mut depth) = build(k.next()?)?;
            while let Ok(f) = k.next() {
                let field = ident(f);
                let s = e.span.to(field.span);
                depth += 1;
                e = node(ExprKind::Field(Box::new(e), field), s, depth)?.0;
            }
            Ok((e, depth))
        }
        Rule::call => {
            let mut k = Kids::of(p);
            let func = ident(k.next()?);
            match k.next() {
                Err(_) => node(ExprKind::Call(func, Vec::new()), sp, 1),
                Ok(a) if a.as_rule() == Rule::aggregate => {
                    let mut ak = Kids::of(a);
                    let var = ident(ak.next()?);
                    ak.next()?; // in
                    let (list, dl) = build(ak.next()?)?;
                    let (body, db) = build(ak.next()?)?;
                    node(
                        ExprKind::Aggregate {
                            func,
                            var,
                            list: Box::new(list),
                            body: Box::new(body),
                        },
                        sp,
                        dl.max(db) + 1,
                    )
                }
                Ok(a) => {
                    let mut args = Vec::new();
                    let mut depth = 0;
                    for arg in a.into_inner() {
                        let (e, d) = build(arg)?;
                        depth = depth.max(d);
                        args.push(e);
                    }
                    node(ExprKind::Call(func, args), sp, depth + 1)
                }
            }
        }
        Rule::ident => {
            let id = ident(p);
            node(ExprKind::Name(id), sp, 1)
        }
        Rule::money_lit => node(ExprKind::Money(p.as_str().to_string()), sp, 1),
        Rule::date_lit => node(ExprKind::Date(p.as_str().to_string()), sp, 1),
        Rule::decimal_lit => node(ExprKind::Decimal(p.as_str().to_string()), sp, 1),
        Rule::int_lit => node(ExprKind::Int(p.as_str().to_string()), sp, 1),
        Rule::string => node(ExprKind::Text(string(p)?), sp, 1),
        Rule::kw_true => node(ExprKind::Bool(true), sp, 1),
        Rule::kw_false => node(ExprKind::Bool(false), sp, 1),
        _ => Err(internal(&p)),
    }
}
