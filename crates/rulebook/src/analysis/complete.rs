//! Completion: what may be written at the cursor, read from the text
//! before it (the item being typed rarely parses yet) and the names the
//! rest of the file declares.
//!
//! - after `x.` where `x` is bound by an aggregation (`c in children:`):
//!   the fields of the list's elements;
//! - after `==` or `!=` with an enum on the left, inside `in [` after one,
//!   after `->` in a decision of enum type, and inside the text literal
//!   being typed there: the enum's variants (written with their quotes);
//! - after `name:` where a type is declared: the types;
//! - elsewhere: the names in scope (aggregation variables, inputs, params,
//!   defines, decisions, `as_of`), the functions and the keywords.

use super::{function_doc, functions, Analysis, SymbolKind};
use crate::Span;

/// One thing that may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// What the list shows: a name, a variant without its quotes.
    pub label: String,
    /// What an editor matches against the text typed in `replace` (a
    /// variant with its quotes, since the quote may be typed already).
    pub filter: String,
    pub kind: CompletionKind,
    /// The type or signature.
    pub detail: String,
    /// The text written...
    pub insert: String,
    /// ...in place of this span (the word, or quoted text, typed so far).
    pub replace: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Symbol(SymbolKind),
    AsOf,
    Function,
    Keyword,
    Type,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "in",
    "true",
    "false",
    "require",
    "when",
    "otherwise",
    "because",
    "source",
    "from",
    "until",
    "input",
    "param",
    "define",
    "decision",
    "list",
    "of",
    "enum",
    "personal",
    "ask",
    "help",
];

const TYPES: &[&str] = &[
    "bool",
    "int",
    "decimal",
    "money",
    "date",
    "text",
    "enum()",
    "list of {}",
];

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(super) fn completions(a: &Analysis, offset: usize) -> Vec<Completion> {
    let text = a.text.as_str();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &before[line_start..];
    let (quote, comment) = scan_line(line);
    if comment {
        return Vec::new();
    }
    // the word (or the quoted text) being typed, and what comes before it
    let (start, in_text) = match quote {
        Some(q) => (line_start + q, true),
        None => (
            offset
                - before
                    .chars()
                    .rev()
                    .take_while(|c| is_word(*c))
                    .map(char::len_utf8)
                    .sum::<usize>(),
            false,
        ),
    };
    let mut end = offset;
    if in_text && text[offset..].starts_with('"') {
        end += 1; // the closing quote an editor typed already
    }
    let replace = Span::new(start, end);
    let context = before[..start].trim_end();
    let item = item_start(text, start);
    let vars = variables(a, &text[item..start]);

    if let Some((variants, ty)) = enum_context(a, context, item, &vars) {
        return variants
            .into_iter()
            .map(|v| Completion {
                label: v.clone(),
                filter: format!("\"{v}\""),
                kind: CompletionKind::Symbol(SymbolKind::Variant),
                detail: ty.clone(),
                insert: format!("\"{v}\""),
                replace,
            })
            .collect();
    }
    if in_text {
        return Vec::new();
    }
    if let Some(path) = context.strip_suffix('.') {
        let path = trailing_path(path);
        // a variable's list: from the text (its item may not parse yet)
        let list = match vars.iter().rev().find(|(n, _)| n == path) {
            Some((_, list)) => *list,
            None => None,
        };
        let fields = list
            .and_then(|list| a.symbols.get(list))
            .map(|list| list.children.clone())
            .unwrap_or_default();
        return fields
            .into_iter()
            .filter_map(|c| a.symbols.get(c))
            .map(|f| Completion {
                label: f.name.clone(),
                filter: f.name.clone(),
                kind: CompletionKind::Symbol(SymbolKind::Field),
                detail: f.ty.clone(),
                insert: f.name.clone(),
                replace,
            })
            .collect();
    }
    if declares_type(&text[line_start..start]) {
        return TYPES
            .iter()
            .map(|t| Completion {
                label: (*t).to_string(),
                filter: (*t).to_string(),
                kind: CompletionKind::Type,
                detail: "type".to_string(),
                insert: (*t).to_string(),
                replace,
            })
            .collect();
    }

    let mut out: Vec<Completion> = Vec::new();
    let mut push = |label: &str, kind: CompletionKind, detail: String| {
        if !out.iter().any(|c| c.label == label) {
            out.push(Completion {
                label: label.to_string(),
                filter: label.to_string(),
                kind,
                detail,
                insert: label.to_string(),
                replace,
            });
        }
    };
    for (name, var) in vars.iter().rev() {
        let detail = var
            .and_then(|v| a.symbols.get(v))
            .map_or(String::new(), |s| s.ty.clone());
        push(name, CompletionKind::Symbol(SymbolKind::Variable), detail);
    }
    for &i in &a.top {
        if let Some(s) = a.symbols.get(i) {
            push(&s.name, CompletionKind::Symbol(s.kind), s.ty.clone());
        }
    }
    push("as_of", CompletionKind::AsOf, "date".to_string());
    for f in functions() {
        push(f, CompletionKind::Function, function_doc(f).0.to_string());
    }
    for k in KEYWORDS {
        push(k, CompletionKind::Keyword, "keyword".to_string());
    }
    out
}

/// Where an unclosed text literal opens on the line (the offset of its
/// quote), and whether the line ends inside a comment.
fn scan_line(line: &str) -> (Option<usize>, bool) {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(_) if c == '"' => quote = None,
            Some(_) => {}
            None if c == '"' => quote = Some(i),
            None if c == '#' => return (None, true),
            None => {}
        }
    }
    (quote, false)
}

/// The start of the item holding `offset`: the last line before it whose
/// first word is `input`, `param`, `define` or `decision`.
fn item_start(text: &str, offset: usize) -> usize {
    let mut at = 0;
    let mut line_start = 0;
    for line in text[..offset].split_inclusive('\n') {
        let word: String = line
            .trim_start()
            .chars()
            .take_while(|c| is_word(*c))
            .collect();
        if matches!(word.as_str(), "input" | "param" | "define" | "decision") {
            at = line_start + (line.len() - line.trim_start().len());
        }
        line_start += line.len();
    }
    at
}

/// The name path (`a` or `a.b`) that `text` ends with.
fn trailing_path(text: &str) -> &str {
    let n: usize = text
        .chars()
        .rev()
        .take_while(|c| is_word(*c) || *c == '.')
        .map(char::len_utf8)
        .sum();
    text[text.len() - n..].trim_start_matches('.')
}

/// The variables the aggregations opened in `item` bind (`c in children:`),
/// in order, each with the symbol of the list it ranges over.
fn variables(a: &Analysis, item: &str) -> Vec<(String, Option<usize>)> {
    let mut out: Vec<(String, Option<usize>)> = Vec::new();
    let words: Vec<(usize, &str)> = words(item);
    for w in words.windows(3) {
        let [(_, var), (_, kw), (at, list)] = [w[0], w[1], w[2]];
        if kw != "in" || !item[at + list.len()..].trim_start().starts_with(':') {
            continue;
        }
        if var.contains('.') || var.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let list_symbol = resolve_list(a, list, &out);
        out.push((var.to_string(), list_symbol));
    }
    out
}

/// The name paths of a text with their offsets, texts and comments left out.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let (mut in_text, mut in_comment, mut escaped) = (false, false, false);
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_text {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_text = false,
                _ => {}
            }
            continue;
        }
        if is_word(c) || (c == '.' && start.is_some()) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.push((s, &text[s..i]));
        }
        in_text = c == '"';
        in_comment = c == '#';
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// The symbol a name path names: a variable (the innermost of that name),
/// a top-level name, or a field of a variable's elements.
fn resolve(a: &Analysis, path: &str, vars: &[(String, Option<usize>)]) -> Option<usize> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut at = match vars.iter().rev().find(|(n, _)| n == first) {
        Some((_, list)) => {
            // a variable: find its symbol (the analysis has one when the
            // item parses), else stand in with the list's element fields
            let var = a.symbols.iter().rposition(|s| {
                s.kind == SymbolKind::Variable && s.name == first && s.parent == *list
            });
            match var {
                Some(v) => v,
                None => return parts.next().and_then(|f| a.child(list.as_ref()?, f)),
            }
        }
        None => a.global(first)?,
    };
    for part in parts {
        let list = a.symbols.get(at)?.parent?;
        at = a.child(&list, part)?;
    }
    Some(at)
}

/// The list symbol a path (`children`, `m.incomes`) names.
fn resolve_list(a: &Analysis, path: &str, vars: &[(String, Option<usize>)]) -> Option<usize> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut at = match vars.iter().rev().find(|(n, _)| n == first) {
        Some((_, list)) => {
            let list = (*list)?;
            let field = parts.next()?;
            a.child(&list, field)?
        }
        None => a.global(first)?,
    };
    for part in parts {
        at = a.child(&at, part)?;
    }
    a.symbols.get(at).filter(|s| s.is_list).map(|_| at)
}

impl Analysis {
    fn child(&self, of: &usize, name: &str) -> Option<usize> {
        self.symbols
            .get(*of)?
            .children
            .iter()
            .copied()
            .find(|&c| self.symbols.get(c).is_some_and(|s| s.name == name))
    }
}

/// The variants that may be written after `context`, and their enum type.
fn enum_context(
    a: &Analysis,
    context: &str,
    item: usize,
    vars: &[(String, Option<usize>)],
) -> Option<(Vec<String>, String)> {
    let with_variants = |s: usize| {
        let symbol = a.symbols.get(s)?;
        let variants: Vec<String> = symbol
            .children
            .iter()
            .filter_map(|&c| a.symbols.get(c))
            .filter(|c| c.kind == SymbolKind::Variant)
            .map(|c| c.name.clone())
            .collect();
        (!variants.is_empty()).then(|| (variants, symbol.ty.clone()))
    };
    let left = if let Some(rest) = context
        .strip_suffix("==")
        .or_else(|| context.strip_suffix("!="))
    {
        Some(rest.trim_end())
    } else if let Some(open) = open_bracket(context) {
        // inside `x in [ ... ` after the items written so far
        let before = context[..open].trim_end();
        before
            .strip_suffix("in")
            .filter(|b| !b.ends_with(is_word))
            .map(str::trim_end)
    } else {
        None
    };
    if let Some(left) = left {
        return resolve(a, trailing_path(left), vars).and_then(with_variants);
    }
    if context.ends_with("->") {
        // a `when` or `otherwise` value: the decision's own type
        let head = a.text.get(item..)?;
        let mut words = head.split_whitespace();
        if words.next() != Some("decision") {
            return None;
        }
        let name: String = words.next()?.chars().take_while(|c| is_word(*c)).collect();
        if let Some(found) = a.global(&name).and_then(with_variants) {
            return Some(found);
        }
        // a decision being written does not parse yet: its type, as written
        let head = head.get(..head.find('\n').unwrap_or(head.len()))?;
        let inside = head.split_once("enum(")?.1.split_once(')')?.0;
        let variants: Vec<String> = inside
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.chars().all(is_word))
            .collect();
        let ty = format!("enum({})", variants.join(", "));
        return (!variants.is_empty()).then_some((variants, ty));
    }
    None
}

/// The offset of the `[` left open at the end of `context` (on its line or
/// the ones before), when what follows it is items and commas.
fn open_bracket(context: &str) -> Option<usize> {
    let open = context.rfind('[')?;
    let after = &context[open + 1..];
    let items_only = !after.contains(']')
        && after
            .chars()
            .all(|c| is_word(c) || matches!(c, '"' | ',' | ' ' | '\t' | '\n' | '\r' | '.' | '-'));
    (items_only && (after.trim_end().is_empty() || after.trim_end().ends_with(','))).then_some(open)
}

/// Whether a line up to the cursor declares a name whose type comes next:
/// `name:`, `param name:`, `define name:`, `decision name:`.
fn declares_type(line: &str) -> bool {
    let Some(head) = line.trim_end().strip_suffix(':') else {
        return false;
    };
    let mut words = head.split_whitespace();
    let (first, second, rest) = (words.next(), words.next(), words.next());
    let name_ok = |w: &str| !w.is_empty() && w.chars().all(is_word);
    match (first, second, rest) {
        (Some(name), None, None) => name_ok(name),
        (Some("param" | "define" | "decision"), Some(name), None) => name_ok(name),
        _ => false,
    }
}
