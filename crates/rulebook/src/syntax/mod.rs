//! Syntax: source text -> [`ast::File`](crate::ast::File) with spans, using the
//! pest grammar in `grammar/policy.pest`. Reports every syntax error it can:
//! when the whole file does not parse, each item is parsed on its own so one
//! broken item does not hide the others.

mod build;
mod expected;
mod prescan;

use crate::ast::{File, Span};
use crate::diagnostic::Diagnostic;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/policy.pest"]
pub(crate) struct PolicyParser;

/// Deepest expression tree the front end accepts; bounds every later recursion.
pub const MAX_EXPR_DEPTH: usize = 200;

/// Parses a rule file into its syntax tree, or every syntax error found.
pub fn parse(source: &str) -> Result<File, Vec<Diagnostic>> {
    let text = source.trim_start_matches('\u{feff}');
    if text.trim().is_empty() || only_comments(text) {
        return Err(vec![Diagnostic::error(
            Span::new(0, 0),
            "the file is empty: a rule file starts with `policy NAME`",
        )]);
    }
    let prescan = prescan::check(source);
    if !prescan.is_empty() {
        return Err(prescan);
    }
    match PolicyParser::parse(Rule::file, source) {
        Ok(mut pairs) => match pairs.next() {
            Some(file) => build::file(file),
            None => Err(vec![Diagnostic::error(Span::new(0, 0), "empty parse")]),
        },
        Err(first) => {
            let mut errors = recover_per_item(source);
            if errors.is_empty() {
                errors.push(expected::describe(source, &first, 0));
            }
            Err(errors)
        }
    }
}

fn only_comments(source: &str) -> bool {
    source
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// Splits the file at lines that start an item and parses each chunk alone,
/// collecting the syntax errors of every chunk that fails.
fn recover_per_item(source: &str) -> Vec<Diagnostic> {
    let starts = item_starts(source);
    let mut errors = Vec::new();
    let mut bounds: Vec<usize> = vec![0];
    bounds.extend(starts.iter().copied().filter(|&s| s > 0));
    bounds.push(source.len());
    for (i, w) in bounds.windows(2).enumerate() {
        let (start, end) = (w[0], w[1]);
        let chunk = &source[start..end];
        let rule = if i == 0 && !starts.contains(&0) {
            Rule::header_only
        } else {
            Rule::item_only
        };
        if let Err(e) = PolicyParser::parse(rule, chunk) {
            errors.push(expected::describe(source, &e, start));
        }
    }
    errors
}

/// Byte offsets of lines whose first word is `input`, `param`, `define` or `decision`.
fn item_starts(source: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let word: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if matches!(word.as_str(), "input" | "param" | "define" | "decision") {
            starts.push(offset + indent);
        }
        offset += line.len();
    }
    starts
}
