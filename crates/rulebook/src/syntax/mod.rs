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
pub const MAX_EXPR_DEPTH: usize = 500;

/// A file with syntax errors, and what could still be read of it.
#[derive(Debug)]
pub struct Recovered {
    /// Every syntax error found.
    pub errors: Vec<Diagnostic>,
    /// The file without its broken items, so the others can still be
    /// checked; None when even that does not parse (a broken header).
    pub file: Option<Box<File>>,
    /// The names the broken items declare: the checker cannot know them,
    /// so "unknown name" errors about them are not errors of their own.
    pub lost_names: Vec<String>,
}

/// Parses a rule file into its syntax tree, or its syntax errors with the
/// items that do parse.
pub fn parse_recovering(source: &str) -> Result<File, Recovered> {
    let fail = |errors| Recovered {
        errors,
        file: None,
        lost_names: Vec::new(),
    };
    let text = source.trim_start_matches('\u{feff}');
    if text.trim().is_empty() || only_comments(text) {
        return Err(fail(vec![Diagnostic::error(
            Span::new(0, 0),
            "the file is empty: a rule file starts with `policy NAME`",
        )]));
    }
    let prescan = prescan::check(source);
    if !prescan.is_empty() {
        return Err(fail(prescan));
    }
    match PolicyParser::parse(Rule::file, source) {
        Ok(mut pairs) => match pairs.next() {
            Some(file) => build::file(file).map_err(fail),
            None => Err(fail(vec![Diagnostic::error(
                Span::new(0, 0),
                "empty parse",
            )])),
        },
        Err(first) => {
            let (mut errors, broken) = recover_per_item(source);
            if errors.is_empty() {
                errors.push(expected::describe(source, &first, 0));
                return Err(fail(errors));
            }
            let (file, lost_names) = without(source, &broken);
            Err(Recovered {
                errors,
                file,
                lost_names,
            })
        }
    }
}

/// The file with the broken items blanked out (offsets kept, so spans
/// still point into `source`), and the names those items declare.
fn without(source: &str, broken: &[(usize, usize)]) -> (Option<Box<File>>, Vec<String>) {
    let mut masked = source.as_bytes().to_vec();
    let mut lost = Vec::new();
    for &(start, end) in broken {
        if start == 0 {
            return (None, lost); // the header: nothing to check against
        }
        let chunk = source.get(start..end).unwrap_or("");
        let words = expected::words(source, start, end);
        match words.first().map(|(_, w)| *w) {
            Some("input") => {
                // every `name:` of the block
                for (at, w) in &words {
                    let after = source.get(at + w.len()..).unwrap_or("");
                    if after.trim_start().starts_with(':') {
                        lost.push((*w).to_string());
                    }
                }
            }
            Some(_) => {
                if let Some((_, name)) = words.get(1) {
                    lost.push((*name).to_string());
                }
            }
            None => {}
        }
        for (i, b) in chunk.bytes().enumerate() {
            if b != b'\n' {
                if let Some(slot) = masked.get_mut(start + i) {
                    *slot = b' ';
                }
            }
        }
    }
    let Ok(masked) = String::from_utf8(masked) else {
        return (None, lost);
    };
    let file = PolicyParser::parse(Rule::file, &masked)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .and_then(|pair| build::file(pair).ok())
        .map(Box::new);
    (file, lost)
}

fn only_comments(source: &str) -> bool {
    source
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// Splits the file at lines that start an item and parses each chunk alone,
/// collecting the syntax errors of every chunk that fails, and where those
/// chunks are.
fn recover_per_item(source: &str) -> (Vec<Diagnostic>, Vec<(usize, usize)>) {
    let starts = item_starts(source);
    let mut errors = Vec::new();
    let mut broken = Vec::new();
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
            broken.push((start, end));
        }
    }
    (errors, broken)
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
