//! What an editor asks of a rule file while it is written (the language
//! server, crates/rulebook-lsp, turns these answers into LSP messages):
//! its diagnostics (those of `check`, and `lint`'s warnings), its outline,
//! what a name is and where it is declared and used, what may be written
//! at a place, and the fix a "did you mean" diagnostic suggests.
//!
//! Positions are byte offsets into the text, spans as everywhere in the
//! core. The text need not compile: names are read from the syntax tree of
//! the items that parse (a broken item is left out, as when `check`
//! reports every error), and completion reads the text before the cursor.

mod complete;

use crate::ast::{self, BinOp, DecisionBody, ExprKind, Item, ParamValues, TypeKind};
use crate::check::expr::FUNCTIONS;
use crate::diagnostic::{line_col, Diagnostic};
use crate::format::source::Source;
use crate::num::{self, Date};
use crate::policy::Policy;
use crate::Span;
use std::collections::HashMap;

pub use complete::{Completion, CompletionKind};

/// A rule file's text, analysed.
#[derive(Debug)]
pub struct Analysis {
    text: String,
    today: Date,
    diagnostics: Vec<Diagnostic>,
    symbols: Vec<Symbol>,
    /// Every name written, resolved; sorted by position.
    occurrences: Vec<Occurrence>,
    /// The top-level symbols in source order (inputs, params, defines, decisions).
    top: Vec<usize>,
}

/// What a declared name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// A fact of the input block.
    Input,
    /// A field of a list's elements.
    Field,
    Param,
    Define,
    Decision,
    /// The name an aggregation binds (`c` in `count(c in children: ...)`).
    Variable,
    /// A variant of an enum type.
    Variant,
}

/// A declared name.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// Where the name is declared.
    pub span: Span,
    /// The whole declaration.
    pub extent: Span,
    /// The type as written (`money`, `enum(a, b)`), or what a variable ranges over.
    pub ty: String,
    /// A list's element fields, an enum's variants.
    pub children: Vec<usize>,
    /// The list whose elements a variable is, the field a variant belongs to.
    pub parent: Option<usize>,
    /// Whether it is a list (a field whose elements have fields).
    pub is_list: bool,
    /// More to say about it in a hover: its question, its values, its form.
    pub notes: Vec<String>,
    /// A param's values: `(from, value)`, `from` None for a constant.
    pub values: Vec<(Option<String>, String)>,
}

/// What a written name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Symbol(usize),
    /// A built-in function.
    Function(&'static str),
    /// `as_of`, the evaluation date.
    AsOf,
}

#[derive(Debug, Clone, Copy)]
struct Occurrence {
    span: Span,
    target: Target,
    /// The declaration itself, rather than a use.
    declaration: bool,
}

/// One entry of the outline, with the entries inside it.
#[derive(Debug, Clone)]
pub struct OutlineItem {
    pub name: String,
    pub kind: SymbolKind,
    /// The type, as written.
    pub detail: String,
    pub extent: Span,
    pub name_span: Span,
    pub children: Vec<OutlineItem>,
}

/// What a hover shows: markdown, and the span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub span: Span,
    pub markdown: String,
}

impl Analysis {
    /// Analyses a rule file's text; `today` is the date params are valued on.
    pub fn new(path: &str, text: &str, today: Date) -> Analysis {
        let diagnostics = match Policy::from_source(path, text) {
            Ok(policy) => match crate::lint::lint(&policy) {
                Ok(warnings) => warnings.iter().map(|w| w.diagnostic()).collect(),
                Err(_) => policy.warning_list().to_vec(),
            },
            Err(e) => e.diagnostics,
        };
        let file = match crate::syntax::parse_recovering(text) {
            Ok(file) => Some(file),
            Err(recovered) => recovered.file.map(|f| *f),
        };
        let mut index = Indexer {
            src: Source::new(text),
            symbols: Vec::new(),
            occurrences: Vec::new(),
            globals: HashMap::new(),
            scope: Vec::new(),
            top: Vec::new(),
        };
        if let Some(file) = &file {
            index.file(file);
        }
        let mut occurrences = index.occurrences;
        occurrences.sort_by_key(|o| (o.span.start, o.span.end));
        Analysis {
            text: text.to_string(),
            today,
            diagnostics,
            symbols: index.symbols,
            occurrences,
            top: index.top,
        }
    }

    /// The text analysed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The errors that stop the file compiling, or, when it compiles, the
    /// warnings of `check` and `lint` (each named: `... [unused-input]`).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Every declared name.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The file's outline: each input fact (a list with its fields, an
    /// enum with its variants), param, define and decision.
    pub fn outline(&self) -> Vec<OutlineItem> {
        self.top
            .iter()
            .filter_map(|&i| self.outline_item(i))
            .collect()
    }

    fn outline_item(&self, i: usize) -> Option<OutlineItem> {
        let s = self.symbols.get(i)?;
        Some(OutlineItem {
            name: s.name.clone(),
            kind: s.kind,
            detail: s.ty.clone(),
            extent: s.extent,
            name_span: s.span,
            children: s
                .children
                .iter()
                .filter_map(|&c| self.outline_item(c))
                .collect(),
        })
    }

    /// The name at `offset` and what it refers to.
    pub fn target_at(&self, offset: usize) -> Option<(Span, Target)> {
        self.occurrence_at(offset).map(|o| (o.span, o.target))
    }

    fn occurrence_at(&self, offset: usize) -> Option<&Occurrence> {
        // the innermost name holding the offset (a name ends where the
        // cursor after its last letter is)
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.end - o.span.start)
    }

    /// Where the name at `offset` is declared.
    pub fn definition(&self, offset: usize) -> Option<Span> {
        match self.occurrence_at(offset)?.target {
            Target::Symbol(i) => self.symbols.get(i).map(|s| s.span),
            Target::Function(_) | Target::AsOf => None,
        }
    }

    /// Every place the name at `offset` is written, in order; its
    /// declaration among them when `declaration`.
    pub fn references(&self, offset: usize, declaration: bool) -> Vec<Span> {
        let Some(target) = self.occurrence_at(offset).map(|o| o.target) else {
            return Vec::new();
        };
        self.occurrences
            .iter()
            .filter(|o| o.target == target && (declaration || !o.declaration))
            .map(|o| o.span)
            .collect()
    }

    /// What the name at `offset` is: its type and declaration, a param's
    /// value today and its dated values, a function's signature.
    pub fn hover(&self, offset: usize) -> Option<Hover> {
        let o = self.occurrence_at(offset)?;
        let markdown = match o.target {
            Target::Symbol(i) => self.describe(i),
            Target::Function(f) => {
                let (signature, what) = function_doc(f);
                format!("```rulebook\n{signature}\n```\n{what}")
            }
            Target::AsOf => "```rulebook\nas_of: date\n```\nThe evaluation date: `--as-of`, \
                             or today when it is not given."
                .to_string(),
        };
        Some(Hover {
            span: o.span,
            markdown,
        })
    }

    fn line(&self, span: Span) -> usize {
        line_col(&self.text, span.start).0
    }

    fn describe(&self, i: usize) -> String {
        let Some(s) = self.symbols.get(i) else {
            return String::new();
        };
        let line = self.line(s.span);
        let parent = s.parent.and_then(|p| self.symbols.get(p));
        let (code, what) = match s.kind {
            SymbolKind::Input => (
                format!("{}: {}", s.name, s.ty),
                format!("Input fact, declared on line {line}."),
            ),
            SymbolKind::Field => {
                let list = parent.map_or("a list", |p| p.name.as_str());
                (
                    format!("{}: {}", s.name, s.ty),
                    format!("A field of each element of `{list}`, declared on line {line}."),
                )
            }
            SymbolKind::Param => (
                format!("param {}: {}", s.name, s.ty),
                format!("Param, declared on line {line}."),
            ),
            SymbolKind::Define => (
                format!("define {}: {}", s.name, s.ty),
                format!("Define, declared on line {line}."),
            ),
            SymbolKind::Decision => (
                format!("decision {}: {}", s.name, s.ty),
                format!("Decision, declared on line {line}."),
            ),
            SymbolKind::Variable => (
                format!("{}: {}", s.name, s.ty),
                format!("Bound by the aggregation on line {line}."),
            ),
            SymbolKind::Variant => {
                let owner = parent.map_or(String::new(), |p| format!(" of `{}`: {}", p.name, p.ty));
                (
                    format!("\"{}\"", s.name),
                    format!("A variant{owner}, declared on line {line}."),
                )
            }
        };
        let mut out = format!("```rulebook\n{code}\n```\n{what}");
        for note in &s.notes {
            out.push_str("\n\n");
            out.push_str(note);
        }
        if s.kind == SymbolKind::Param {
            out.push_str("\n\n");
            out.push_str(&self.param_values(s));
        }
        if s.kind == SymbolKind::Variable {
            if let Some(list) = s.parent.and_then(|p| self.symbols.get(p)) {
                let fields: Vec<String> = list
                    .children
                    .iter()
                    .filter_map(|&c| self.symbols.get(c))
                    .map(|f| format!("`{}: {}`", f.name, f.ty))
                    .collect();
                out.push_str(&format!("\n\nFields: {}.", fields.join(", ")));
            }
        }
        out
    }

    /// A param's value today, and each of its dated values.
    fn param_values(&self, s: &Symbol) -> String {
        let today = num::format_date(self.today.0);
        match s.values.as_slice() {
            [] => "No value could be read.".to_string(),
            [(None, value)] => format!("Value: `{value}` (on every date; today {today})."),
            values => {
                let current = values.iter().rev().find(|(from, _)| {
                    from.as_deref()
                        .and_then(num::parse_date)
                        .is_some_and(|d| d <= self.today.0)
                });
                let mut out = match current {
                    Some((from, value)) => format!(
                        "Today ({today}): **`{value}`** (from {}).",
                        from.as_deref().unwrap_or("")
                    ),
                    None => format!(
                        "Today ({today}): no value yet; the first is from {}.",
                        values.first().and_then(|(f, _)| f.as_deref()).unwrap_or("")
                    ),
                };
                out.push_str("\n\n| from | value |\n| --- | --- |");
                for (from, value) in values {
                    out.push_str(&format!(
                        "\n| {} | `{value}` |",
                        from.as_deref().unwrap_or("")
                    ));
                }
                out
            }
        }
    }

    /// What may be written at `offset` (see [`complete`]).
    pub fn completions(&self, offset: usize) -> Vec<Completion> {
        complete::completions(self, offset)
    }

    /// The top-level symbol named `name` (the first, when declared twice).
    fn global(&self, name: &str) -> Option<usize> {
        self.top
            .iter()
            .copied()
            .find(|&i| self.symbols.get(i).is_some_and(|s| s.name == name))
    }
}

/// The replacement a diagnostic's "did you mean" suggests: the name
/// between backquotes, or the quoted text (quotes kept) for an enum
/// variant; None when it suggests nothing.
pub fn suggestion(message: &str) -> Option<String> {
    let (_, rest) = message.rsplit_once("did you mean ")?;
    let rest = rest.strip_suffix('?')?;
    if let Some(name) = rest.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Some(name.to_string()).filter(|n| !n.is_empty());
    }
    if rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"') {
        return Some(rest.to_string());
    }
    None
}

/// A built-in function's signature and what it does.
pub(crate) fn function_doc(name: &str) -> (&'static str, &'static str) {
    match name {
        "min" => (
            "min(a, b, ...)",
            "The least of its arguments (numbers or dates).",
        ),
        "max" => (
            "max(a, b, ...)",
            "The greatest of its arguments (numbers or dates).",
        ),
        "abs" => ("abs(x)", "The absolute value of a number."),
        "floor" => (
            "floor(x)",
            "Rounded down to a whole unit (money to whole pounds; a decimal to an int).",
        ),
        "ceil" => (
            "ceil(x)",
            "Rounded up to a whole unit (money to whole pounds; a decimal to an int).",
        ),
        "round" => (
            "round(x)",
            "Rounded to a whole unit, half away from zero (money to whole pounds).",
        ),
        "years_between" => (
            "years_between(d1, d2)",
            "Whole years completed from `d1` to `d2`: an age.",
        ),
        "days_between" => ("days_between(d1, d2)", "`d2` minus `d1` in days."),
        "starts_with" => ("starts_with(t, s)", "Whether text `t` starts with `s`."),
        "ends_with" => ("ends_with(t, s)", "Whether text `t` ends with `s`."),
        "contains" => ("contains(t, s)", "Whether text `t` contains `s`."),
        "known" => (
            "known(fact)",
            "Whether an input fact is given (never unknown itself).",
        ),
        "count" => (
            "count(xs) | count(x in xs: condition)",
            "How many elements (that meet the condition); 0 for an empty list.",
        ),
        "any" => (
            "any(x in xs: condition)",
            "Whether some element meets the condition; false for an empty list.",
        ),
        "every" => (
            "every(x in xs: condition)",
            "Whether every element meets the condition; true for an empty list.",
        ),
        "sum" => (
            "sum(x in xs: amount)",
            "The total over the elements; 0 for an empty list.",
        ),
        _ => ("", ""),
    }
}

/// The built-in functions.
pub(crate) fn functions() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().copied()
}

/// A type as written, lists shortened to their field names.
fn type_text(t: &ast::TypeExpr) -> String {
    match &t.kind {
        TypeKind::Bool => "bool".into(),
        TypeKind::Int => "int".into(),
        TypeKind::Decimal => "decimal".into(),
        TypeKind::Money => "money".into(),
        TypeKind::Date => "date".into(),
        TypeKind::Text => "text".into(),
        TypeKind::Enum(vs) => {
            let names: Vec<&str> = vs.iter().map(|v| v.name.as_str()).collect();
            format!("enum({})", names.join(", "))
        }
        TypeKind::List(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.name.as_str()).collect();
            format!("list of {{ {} }}", names.join(", "))
        }
    }
}

/// Builds the symbols and resolves every name written.
struct Indexer<'a> {
    src: Source<'a>,
    symbols: Vec<Symbol>,
    occurrences: Vec<Occurrence>,
    globals: HashMap<String, usize>,
    /// Variables bound by the aggregations around the expression walked, innermost last.
    scope: Vec<(String, usize)>,
    top: Vec<usize>,
}

impl Indexer<'_> {
    fn trimmed(&self, span: Span) -> Span {
        Span::new(span.start, self.src.code_end(span).max(span.start))
    }

    fn add(&mut self, symbol: Symbol) -> usize {
        let i = self.symbols.len();
        self.occurrences.push(Occurrence {
            span: symbol.span,
            target: Target::Symbol(i),
            declaration: true,
        });
        self.symbols.push(symbol);
        i
    }

    fn symbol(&self, name: &ast::Ident, kind: SymbolKind, extent: Span, ty: String) -> Symbol {
        Symbol {
            name: name.name.clone(),
            kind,
            span: name.span,
            extent: self.trimmed(extent),
            ty,
            children: Vec::new(),
            parent: None,
            is_list: false,
            notes: Vec::new(),
            values: Vec::new(),
        }
    }

    fn use_at(&mut self, span: Span, target: Target) {
        self.occurrences.push(Occurrence {
            span,
            target,
            declaration: false,
        });
    }

    fn global(&mut self, i: usize) {
        self.top.push(i);
        if let Some(s) = self.symbols.get(i) {
            self.globals.entry(s.name.clone()).or_insert(i);
        }
    }

    /// The variants of an enum type, as children of `owner`.
    fn variants(&mut self, owner: usize, t: &ast::TypeExpr) {
        if let TypeKind::Enum(vs) = &t.kind {
            for v in vs {
                let mut s = self.symbol(v, SymbolKind::Variant, v.span, String::new());
                s.parent = Some(owner);
                let c = self.add(s);
                if let Some(o) = self.symbols.get_mut(owner) {
                    o.children.push(c);
                }
            }
        }
    }

    fn field(&mut self, f: &ast::Field, parent: Option<usize>) -> usize {
        let end = f
            .modifiers
            .iter()
            .map(|m| m.span.end)
            .chain(std::iter::once(f.ty.span.end))
            .max()
            .unwrap_or(f.ty.span.end);
        let kind = if parent.is_some() {
            SymbolKind::Field
        } else {
            SymbolKind::Input
        };
        let mut s = self.symbol(
            &f.name,
            kind,
            f.name.span.to(Span::new(end, end)),
            type_text(&f.ty),
        );
        s.parent = parent;
        for m in &f.modifiers {
            match (m.kind, &m.text) {
                (ast::FieldModifierKind::Personal, _) => s.notes.push(
                    "`personal`: its value never reaches the decision log in the clear.".into(),
                ),
                (ast::FieldModifierKind::Ask, Some(t)) => s.notes.push(format!("Asked: “{t}”")),
                (ast::FieldModifierKind::Help, Some(t)) => s.notes.push(format!("Help: {t}")),
                _ => {}
            }
        }
        let i = self.add(s);
        match &f.ty.kind {
            TypeKind::List(fields) => {
                if let Some(s) = self.symbols.get_mut(i) {
                    s.is_list = true;
                }
                for inner in fields {
                    let c = self.field(inner, Some(i));
                    if let Some(s) = self.symbols.get_mut(i) {
                        s.children.push(c);
                    }
                }
            }
            TypeKind::Enum(_) => self.variants(i, &f.ty),
            _ => {}
        }
        i
    }

    fn file(&mut self, file: &ast::File) {
        // declarations first, so that a name used before its item resolves
        let mut declared = Vec::new();
        for item in &file.items {
            match item {
                Item::Input(b) => {
                    for f in &b.fields {
                        let i = self.field(f, None);
                        self.global(i);
                    }
                }
                Item::Param(p) => {
                    let mut s = self.symbol(&p.name, SymbolKind::Param, p.span, type_text(&p.ty));
                    s.values = match &p.values {
                        ParamValues::Constant(v) => vec![(None, self.text_of(v))],
                        ParamValues::Dated(lines) => lines
                            .iter()
                            .map(|(d, v)| (Some(self.text_of(d)), self.text_of(v)))
                            .collect(),
                    };
                    let i = self.add(s);
                    self.variants(i, &p.ty);
                    self.global(i);
                }
                Item::Define(d) => {
                    let mut s = self.symbol(&d.name, SymbolKind::Define, d.span, type_text(&d.ty));
                    s.notes
                        .push(format!("```rulebook\n= {}\n```", self.text_of(&d.value)));
                    let i = self.add(s);
                    self.variants(i, &d.ty);
                    self.global(i);
                    declared.push((item, i));
                }
                Item::Decision(d) => {
                    let mut s =
                        self.symbol(&d.name, SymbolKind::Decision, d.span, type_text(&d.ty));
                    s.notes.push(match &d.body {
                        DecisionBody::Expr(e) => format!("```rulebook\n= {}\n```", self.text_of(e)),
                        DecisionBody::Requires(rs) => format!(
                            "True when {} require{} hold{}.",
                            rs.len(),
                            if rs.len() == 1 { "" } else { "s" },
                            if rs.len() == 1 { "s" } else { "" }
                        ),
                        DecisionBody::Whens { whens, .. } => format!(
                            "The first of {} `when` clause{} that holds, else `otherwise`.",
                            whens.len(),
                            if whens.len() == 1 { "" } else { "s" }
                        ),
                    });
                    let i = self.add(s);
                    self.variants(i, &d.ty);
                    self.global(i);
                    declared.push((item, i));
                }
            }
        }
        for (item, i) in declared {
            match item {
                Item::Define(d) => self.expr(&d.value),
                Item::Decision(d) => self.decision(d, i),
                Item::Input(_) | Item::Param(_) => {}
            }
        }
    }

    /// An expression on one line, as `fmt` writes it.
    fn text_of(&self, e: &ast::Expr) -> String {
        let text = crate::format::print::expr_text(&self.src, e);
        if text.chars().count() > 200 {
            let short: String = text.chars().take(200).collect();
            format!("{short} …")
        } else {
            text
        }
    }

    fn decision(&mut self, d: &ast::Decision, owner: usize) {
        match &d.body {
            DecisionBody::Expr(e) => self.expr(e),
            DecisionBody::Requires(rs) => {
                for r in rs {
                    self.expr(&r.cond);
                }
            }
            DecisionBody::Whens { whens, otherwise } => {
                for w in whens {
                    self.expr(&w.cond);
                    self.expr(&w.value);
                    self.variant_of(Some(owner), &w.value);
                }
                self.expr(&otherwise.value);
                self.variant_of(Some(owner), &otherwise.value);
            }
        }
    }

    fn resolve(&self, name: &str) -> Option<Target> {
        if let Some((_, i)) = self.scope.iter().rev().find(|(n, _)| n == name) {
            return Some(Target::Symbol(*i));
        }
        if let Some(&i) = self.globals.get(name) {
            return Some(Target::Symbol(i));
        }
        (name == "as_of").then_some(Target::AsOf)
    }

    /// The symbol an expression names (a name, or a field of an element).
    fn named(&self, e: &ast::Expr) -> Option<usize> {
        match &e.kind {
            ExprKind::Name(id) => match self.resolve(&id.name)? {
                Target::Symbol(i) => Some(i),
                _ => None,
            },
            ExprKind::Field(base, f) => {
                let var = self.named(base)?;
                let list = self.symbols.get(var)?.parent?;
                self.child(list, &f.name)
            }
            _ => None,
        }
    }

    fn child(&self, of: usize, name: &str) -> Option<usize> {
        self.symbols
            .get(of)?
            .children
            .iter()
            .copied()
            .find(|&c| self.symbols.get(c).is_some_and(|s| s.name == name))
    }

    /// A text literal compared with (or given as the value of) an enum:
    /// the variant it names.
    fn variant_of(&mut self, enum_symbol: Option<usize>, lit: &ast::Expr) {
        let (Some(owner), ExprKind::Text(text)) = (enum_symbol, &lit.kind) else {
            return;
        };
        if let Some(v) = self.child(owner, text) {
            if self
                .symbols
                .get(v)
                .is_some_and(|s| s.kind == SymbolKind::Variant)
            {
                let span = self.trimmed(lit.span);
                self.use_at(span, Target::Symbol(v));
            }
        }
    }

    /// The enum symbol an expression is (a name or field of enum type).
    fn enum_of(&self, e: &ast::Expr) -> Option<usize> {
        let i = self.named(e)?;
        let s = self.symbols.get(i)?;
        let variants = s
            .children
            .first()
            .and_then(|&c| self.symbols.get(c))
            .is_some_and(|c| c.kind == SymbolKind::Variant);
        variants.then_some(i)
    }

    fn expr(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Name(id) => {
                if let Some(t) = self.resolve(&id.name) {
                    self.use_at(id.span, t);
                }
            }
            ExprKind::Field(base, f) => {
                self.expr(base);
                let field = self
                    .named(base)
                    .and_then(|var| self.symbols.get(var)?.parent)
                    .and_then(|list| self.child(list, &f.name));
                if let Some(i) = field {
                    self.use_at(f.span, Target::Symbol(i));
                }
            }
            ExprKind::Neg(x) | ExprKind::Not(x) => self.expr(x),
            ExprKind::Binary(op, a, b) => {
                self.expr(a);
                self.expr(b);
                if matches!(op, BinOp::Eq | BinOp::Ne) {
                    self.variant_of(self.enum_of(a), b);
                    self.variant_of(self.enum_of(b), a);
                }
            }
            ExprKind::In(x, items) => {
                self.expr(x);
                let owner = self.enum_of(x);
                for item in items {
                    self.expr(item);
                    self.variant_of(owner, item);
                }
            }
            ExprKind::If(c, a, b) => {
                self.expr(c);
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(f, args) => {
                if let Some(name) = functions().find(|n| *n == f.name) {
                    self.use_at(f.span, Target::Function(name));
                }
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Aggregate {
                func,
                var,
                list,
                body,
            } => {
                if let Some(name) = functions().find(|n| *n == func.name) {
                    self.use_at(func.span, Target::Function(name));
                }
                self.expr(list);
                let list_symbol = self
                    .named(list)
                    .filter(|&i| self.symbols.get(i).is_some_and(|s| s.is_list));
                let over = list_symbol
                    .and_then(|i| self.symbols.get(i))
                    .map_or("a list".to_string(), |s| {
                        format!("an element of `{}`", s.name)
                    });
                let mut s = self.symbol(var, SymbolKind::Variable, e.span, over);
                s.parent = list_symbol;
                let v = self.add(s);
                self.scope.push((var.name.clone(), v));
                self.expr(body);
                self.scope.pop();
            }
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Decimal(_)
            | ExprKind::Money(_)
            | ExprKind::Date(_)
            | ExprKind::Text(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
