//! The checker: resolves names, infers and checks types (docs/language.md section 12),
//! checks decision forms, dates and literals, orders dependencies and finds
//! cycles. It turns an [`ast::File`] into a typed [`Program`], reporting every
//! error it finds in one run.

pub(crate) mod expr;
pub(crate) mod suggest;

use crate::ast::{self, Span};
use crate::diagnostic::{line_col, Diagnostic};
use crate::num;
use crate::program::*;
use std::collections::HashMap;
use std::sync::Arc;

/// What a global name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Global {
    Input(usize),
    Param(usize),
    Define(usize),
    Decision(usize),
}

/// A define or decision, as a node of the dependency graph.
type Node = Computed;

struct Checker<'a> {
    source: &'a str,
    /// The source as the formatter reads it: a condition's text (the reason
    /// of a require without `because`) is its canonical layout.
    layout: crate::format::source::Source<'a>,
    /// The offset of each line's first byte, for clause lines.
    line_starts: Vec<usize>,
    errors: Vec<Diagnostic>,
    globals: HashMap<String, (Global, Span)>,
    schema: Schema,
    param_types: Vec<Type>,
    define_types: Vec<Type>,
    decision_types: Vec<Type>,
    /// Bound aggregation variables, outermost first.
    scope: Vec<(String, Arc<Record>)>,
    /// Defines and decisions the expression being checked reads.
    deps: Vec<(Node, Span)>,
}

/// Checks a parsed file. On success returns the program and any warnings.
pub fn check(
    file: &ast::File,
    source: &str,
) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut c = Checker {
        source,
        layout: crate::format::source::Source::new(source),
        line_starts: std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        errors: Vec::new(),
        globals: HashMap::new(),
        schema: Schema {
            fields: Vec::new(),
            fact_paths: Vec::new(),
        },
        param_types: Vec::new(),
        define_types: Vec::new(),
        decision_types: Vec::new(),
        scope: Vec::new(),
        deps: Vec::new(),
    };
    let mut warnings = Vec::new();

    // 1. inputs
    let mut inputs_seen: Option<Span> = None;
    for item in &file.items {
        if let ast::Item::Input(block) = item {
            if let Some(first) = inputs_seen {
                let (line, _) = line_col(source, first.start);
                c.errors.push(Diagnostic::error(
                    Span::new(block.span.start, block.span.start + 5),
                    format!("a policy has at most one `input` block (the first is on line {line})"),
                ));
                continue;
            }
            inputs_seen = Some(block.span);
            let mut fields = Vec::new();
            let mut paths = Vec::new();
            c.record_fields(&block.fields, "", &mut paths, &mut fields);
            c.schema.fields = fields;
            c.schema.fact_paths = paths;
        }
    }

    // 2. declarations of params, defines and decisions
    let (mut params, mut defines, mut decisions) = (Vec::new(), Vec::new(), Vec::new());
    for item in &file.items {
        match item {
            ast::Item::Param(p) => {
                let ty = c.value_type(&p.ty, "a param");
                c.declare(&p.name, Global::Param(params.len()));
                c.param_types.push(ty);
                params.push(p);
            }
            ast::Item::Define(d) => {
                let ty = c.value_type(&d.ty, "a define");
                c.declare(&d.name, Global::Define(defines.len()));
                c.define_types.push(ty);
                defines.push(d);
            }
            ast::Item::Decision(d) => {
                let ty = c.value_type(&d.ty, "a decision");
                c.declare(&d.name, Global::Decision(decisions.len()));
                c.decision_types.push(ty);
                decisions.push(d);
            }
            ast::Item::Input(_) => {}
        }
    }

    // 3. bodies
    let param_defs: Vec<ParamDef> = params
        .iter()
        .enumerate()
        .map(|(i, p)| c.param(p, i))
        .collect();
    let mut graph: HashMap<Node, Vec<(Node, Span)>> = HashMap::new();
    let mut define_defs = Vec::new();
    for (i, d) in defines.iter().enumerate() {
        let ty = c.define_types[i].clone();
        c.deps.clear();
        let e = c.expr(&d.value);
        let e = c.coerce(e, &ty, "the define's declared type");
        graph.insert(Node::Define(i), std::mem::take(&mut c.deps));
        define_defs.push(DefineDef {
            name: d.name.name.clone(),
            ty,
            expr: e,
            span: d.name.span,
        });
    }
    let mut decision_defs = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        let ty = c.decision_types[i].clone();
        c.deps.clear();
        let body = c.decision_body(d, &ty);
        graph.insert(Node::Decision(i), std::mem::take(&mut c.deps));
        decision_defs.push(DecisionDef {
            name: d.name.name.clone(),
            ty,
            body,
            span: d.name.span,
        });
    }

    // 4. cycles
    let names = |n: Node| match n {
        Node::Define(i) => defines.get(i).map(|d| &d.name),
        Node::Decision(i) => decisions.get(i).map(|d| &d.name),
    };
    for cycle in find_cycles(&graph) {
        let idents: Vec<&ast::Ident> = cycle.iter().filter_map(|n| names(*n)).collect();
        if let Some(first) = idents.first() {
            let path: Vec<&str> = idents
                .iter()
                .map(|i| i.name.as_str())
                .chain(std::iter::once(first.name.as_str()))
                .collect();
            c.errors.push(
                Diagnostic::error(
                    first.span,
                    format!("dependency cycle: {}", path.join(" -> ")),
                )
                .with_help(
                    "a define or decision cannot depend on itself, directly or through others",
                ),
            );
        }
    }

    if c.errors.is_empty() {
        let program = Program {
            name: file.name.name.clone(),
            title: file.title.clone(),
            version: file.version.clone(),
            schema: c.schema,
            params: param_defs,
            defines: define_defs,
            decisions: decision_defs,
            order: topological_order(&graph),
            line_starts: c.line_starts,
        };
        // 5. the cheap lints: inputs, params and defines nothing reads
        warnings.extend(crate::lint::unused::unused_warnings(&program, source));
        Ok((program, warnings))
    } else {
        let mut errors = c.errors;
        errors.sort_by_key(|d| d.span.start);
        Err(errors)
    }
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(Diagnostic::error(span, message));
    }

    fn declare(&mut self, name: &ast::Ident, what: Global) {
        if name.name == "as_of" {
            self.error(
                name.span,
                "`as_of` is the evaluation date and cannot be declared",
            );
            return;
        }
        if let Some((_, first)) = self.globals.get(&name.name) {
            let (line, _) = line_col(self.source, first.start);
            self.error(
                name.span,
                format!(
                    "duplicate name: `{}` is already declared on line {line}",
                    name.name
                ),
            );
            return;
        }
        self.globals.insert(name.name.clone(), (what, name.span));
    }

    /// Assigns fact ids to fields (and, recursively, to list element fields).
    fn record_fields(
        &mut self,
        fields: &[ast::Field],
        prefix: &str,
        paths: &mut Vec<String>,
        out: &mut Vec<RecordField>,
    ) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for f in fields {
            if let Some(first) = seen.get(f.name.name.as_str()) {
                let (line, _) = line_col(self.source, first.start);
                self.error(
                    f.name.span,
                    format!(
                        "duplicate field: `{}` is already declared on line {line}",
                        f.name.name
                    ),
                );
                continue;
            }
            seen.insert(&f.name.name, f.name.span);
            if prefix.is_empty() {
                self.declare(&f.name, Global::Input(out.len()));
            }
            let path = format!("{prefix}{}", f.name.name);
            let fact = paths.len();
            paths.push(path.clone());
            let ty = match &f.ty.kind {
                ast::TypeKind::List(inner) => {
                    let mut elem = Vec::new();
                    self.record_fields(inner, &format!("{path}[]."), paths, &mut elem);
                    Type::List(Arc::new(Record { fields: elem }))
                }
                _ => self.scalar_type(&f.ty),
            };
            let personal = self.personal(f);
            let (ask, help) = (
                self.text_of(f, ast::FieldModifierKind::Ask),
                self.text_of(f, ast::FieldModifierKind::Help),
            );
            let (line, _) = line_col(self.source, f.name.span.start);
            out.push(RecordField {
                name: f.name.name.clone(),
                ty,
                fact,
                personal,
                ask,
                help,
                line: line as u32,
            });
        }
    }

    /// The text of a field's `ask` or `help` (the first, when given twice:
    /// [`Checker::personal`] reports the repeat); an empty or blank text is
    /// an error, since a person would be shown nothing.
    fn text_of(&mut self, f: &ast::Field, kind: ast::FieldModifierKind) -> Option<String> {
        let m = f.modifiers.iter().find(|m| m.kind == kind)?;
        let text = m.text.clone()?;
        if text.trim().is_empty() {
            self.errors.push(
                Diagnostic::error(
                    m.span,
                    format!(
                        "the `{}` text of field `{}` is empty",
                        kind.keyword(),
                        f.name.name
                    ),
                )
                .with_help("write what a person is shown, or leave the modifier out"),
            );
            return None;
        }
        Some(text)
    }

    /// Whether a field is marked `personal`; a modifier written twice is an error.
    fn personal(&mut self, f: &ast::Field) -> bool {
        let mut seen: Vec<ast::FieldModifierKind> = Vec::new();
        for m in &f.modifiers {
            if seen.contains(&m.kind) {
                self.errors.push(
                    Diagnostic::error(
                        m.span,
                        format!(
                            "`{}` is given twice for field `{}`",
                            m.kind.keyword(),
                            f.name.name
                        ),
                    )
                    .with_help("write it once"),
                );
            } else {
                seen.push(m.kind);
            }
        }
        seen.contains(&ast::FieldModifierKind::Personal)
    }

    fn scalar_type(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            ast::TypeKind::Bool => Type::Bool,
            ast::TypeKind::Int => Type::Int,
            ast::TypeKind::Decimal => Type::Decimal,
            ast::TypeKind::Money => Type::Money,
            ast::TypeKind::Date => Type::Date,
            ast::TypeKind::Text => Type::Text,
            ast::TypeKind::Enum(variants) => {
                let mut names: Vec<String> = Vec::new();
                for v in variants {
                    if names.contains(&v.name) {
                        self.error(v.span, format!("enum variant `{}` is listed twice", v.name));
                    } else {
                        names.push(v.name.clone());
                    }
                }
                Type::Enum(names.into())
            }
            ast::TypeKind::List(_) => Type::Error,
        }
    }

    /// The type of a param, define or decision: anything but a list.
    fn value_type(&mut self, t: &ast::TypeExpr, what: &str) -> Type {
        if let ast::TypeKind::List(_) = t.kind {
            self.error(
                t.span,
                format!("{what} cannot be a list: lists are only input facts"),
            );
            return Type::Error;
        }
        self.scalar_type(t)
    }

    fn date_literal(&mut self, e: &ast::Expr) -> Option<i32> {
        match &e.kind {
            ast::ExprKind::Date(text) => {
                let d = num::parse_date(text);
                if d.is_none() {
                    self.error(e.span, format!("`{text}` is not a valid calendar date"));
                }
                d
            }
            _ => {
                self.error(e.span, "expected a date YYYY-MM-DD");
                None
            }
        }
    }

    fn param(&mut self, p: &ast::Param, index: usize) -> ParamDef {
        let ty = self.param_types[index].clone();
        let lines: Vec<(Option<&ast::Expr>, &ast::Expr)> = match &p.values {
            ast::ParamValues::Constant(v) => vec![(None, v)],
            ast::ParamValues::Dated(ls) => ls.iter().map(|(d, v)| (Some(d), v)).collect(),
        };
        let mut values = Vec::new();
        let mut last: Option<(i32, Span)> = None;
        for (date, value) in lines {
            let from = date.and_then(|d| {
                let day = self.date_literal(d)?;
                if let Some((prev, _)) = last {
                    if day <= prev {
                        self.error(
                            d.span,
                            format!(
                                "`from` dates of param `{}` must be strictly increasing: {} is not after {}",
                                p.name.name,
                                num::format_date(day),
                                num::format_date(prev)
                            ),
                        );
                    }
                }
                last = Some((day, d.span));
                Some(day)
            });
            let c = self.constant(value, &ty);
            if let Some(c) = c {
                values.push((from, c));
            }
        }
        ParamDef {
            name: p.name.name.clone(),
            ty,
            values,
            span: p.name.span,
        }
    }

    /// A param value: a literal (optionally negated) of the param's type.
    fn constant(&mut self, e: &ast::Expr, ty: &Type) -> Option<Const> {
        let is_literal = match &e.kind {
            ast::ExprKind::Neg(inner) => matches!(
                inner.kind,
                ast::ExprKind::Int(_) | ast::ExprKind::Decimal(_) | ast::ExprKind::Money(_)
            ),
            ast::ExprKind::Bool(_)
            | ast::ExprKind::Int(_)
            | ast::ExprKind::Decimal(_)
            | ast::ExprKind::Money(_)
            | ast::ExprKind::Date(_)
            | ast::ExprKind::Text(_) => true,
            _ => false,
        };
        if !is_literal {
            self.error(
                e.span,
                "a param value must be a literal (a number, amount, date, string or true/false)",
            );
            return None;
        }
        let typed = self.expr(e);
        let typed = self.coerce(typed, ty, "the param's declared type");
        const_value(&typed)
    }

    fn decision_body(&mut self, d: &ast::Decision, ty: &Type) -> Body {
        match &d.body {
            ast::DecisionBody::Expr(e) => {
                let e = self.expr(e);
                Body::Expr(self.coerce(e, ty, "the decision's declared type"))
            }
            ast::DecisionBody::Requires(rs) => {
                if *ty != Type::Bool && *ty != Type::Error {
                    let at = rs.first().map_or(d.ty.span, |r| r.keyword);
                    self.error(
                        at,
                        format!(
                            "`require` is only allowed in bool decisions, but `{}` is declared {}",
                            d.name.name,
                            ty.describe()
                        ),
                    );
                }
                let clauses = rs
                    .iter()
                    .map(|r| {
                        let cond = self.expr(&r.cond);
                        let cond = self.expect_bool(cond, "a `require` condition");
                        self.clause(Some(cond), None, &r.meta, r.keyword, Some(&r.cond))
                    })
                    .collect();
                Body::Requires(clauses)
            }
            ast::DecisionBody::Whens { whens, otherwise } => {
                let mut clauses: Vec<Clause> = whens
                    .iter()
                    .map(|w| {
                        let cond = self.expr(&w.cond);
                        let cond = self.expect_bool(cond, "a `when` condition");
                        let value = self.expr(&w.value);
                        let value = self.coerce(value, ty, "the decision's declared type");
                        self.clause(Some(cond), Some(value), &w.meta, w.keyword, Some(&w.cond))
                    })
                    .collect();
                let value = self.expr(&otherwise.value);
                let value = self.coerce(value, ty, "the decision's declared type");
                clauses.push(self.clause(
                    None,
                    Some(value),
                    &otherwise.meta,
                    otherwise.keyword,
                    None,
                ));
                Body::Whens(clauses)
            }
        }
    }

    fn clause(
        &mut self,
        cond: Option<Expr>,
        value: Option<Expr>,
        meta: &ast::Meta,
        keyword: Span,
        written: Option<&ast::Expr>,
    ) -> Clause {
        let from = meta.from.as_ref().and_then(|d| self.date_literal(d));
        let until = meta.until.as_ref().and_then(|d| self.date_literal(d));
        if let (Some(f), Some(u), Some(us)) = (from, until, meta.until.as_ref()) {
            if f >= u {
                self.error(
                    us.span,
                    format!(
                        "`until {}` must be after `from {}`: the clause would never be active",
                        num::format_date(u),
                        num::format_date(f)
                    ),
                );
            }
        }
        let text = match written {
            Some(e) => crate::format::print::expr_text(&self.layout, e),
            None => "otherwise".to_string(),
        };
        Clause {
            cond,
            value,
            line: self.line_starts.partition_point(|&s| s <= keyword.start) as u32,
            because: meta.because.clone(),
            source: meta.source.clone(),
            text,
            from,
            until,
        }
    }
}

/// The value of a checked literal expression.
fn const_value(e: &Expr) -> Option<Const> {
    match &e.kind {
        ExprKind::Const(c) => Some(c.clone()),
        ExprKind::Promote(p, inner) => match (p, const_value(inner)?) {
            (Promotion::IntToDec, Const::Num(n)) => num::int_to_dec(n).ok().map(Const::Num),
            (Promotion::IntToMoney, Const::Num(n)) => num::int_to_money(n).ok().map(Const::Num),
            _ => None,
        },
        ExprKind::Neg(inner) => match const_value(inner)? {
            Const::Num(n) => n.checked_neg().map(Const::Num),
            _ => None,
        },
        _ => None,
    }
}

/// Every cycle in the dependency graph, once each, as the nodes on it.
fn find_cycles(graph: &HashMap<Node, Vec<(Node, Span)>>) -> Vec<Vec<Node>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unvisited,
        Active,
        Done,
    }
    let mut nodes: Vec<Node> = graph.keys().copied().collect();
    nodes.sort();
    let mut marks: HashMap<Node, Mark> = nodes.iter().map(|n| (*n, Mark::Unvisited)).collect();
    let mut cycles = Vec::new();
    for &start in &nodes {
        if marks.get(&start) != Some(&Mark::Unvisited) {
            continue;
        }
        // iterative DFS with an explicit stack: (node, next edge index)
        let mut stack: Vec<(Node, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Active);
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            // a node with no dependencies has no entry
            let edges = graph.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&(next, _)) = edges.get(*edge) {
                *edge += 1;
                // every node has a mark; an unknown one is left alone
                match marks.get(&next).copied().unwrap_or(Mark::Done) {
                    Mark::Unvisited => {
                        marks.insert(next, Mark::Active);
                        stack.push((next, 0));
                    }
                    Mark::Active => {
                        if let Some(pos) = stack.iter().position(|(n, _)| *n == next) {
                            cycles.push(stack[pos..].iter().map(|(n, _)| *n).collect());
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                marks.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    cycles
}

/// Defines and decisions ordered so each comes after everything it reads
/// (the graph must be acyclic); ties keep source order.
fn topological_order(graph: &HashMap<Node, Vec<(Node, Span)>>) -> Vec<Node> {
    let mut nodes: Vec<Node> = graph.keys().copied().collect();
    nodes.sort();
    let mut done: std::collections::HashSet<Node> = std::collections::HashSet::new();
    let mut order = Vec::new();
    for &start in &nodes {
        if done.contains(&start) {
            continue;
        }
        let mut stack: Vec<(Node, usize)> = vec![(start, 0)];
        done.insert(start);
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            // a node with no dependencies has no entry
            let edges = graph.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&(next, _)) = edges.get(*edge) {
                *edge += 1;
                if done.insert(next) {
                    stack.push((next, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}
