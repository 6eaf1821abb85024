//! A cheap pass over the raw text before pest runs, so that pathological
//! nesting (thousands of brackets or nested `if`s) is a located error instead
//! of a stack overflow inside the recursive-descent parser.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// Deepest bracket nesting accepted.
pub const MAX_BRACKETS: usize = 64;
/// Most `if`s accepted in one item (they nest through `else if` chains).
pub const MAX_IFS_PER_ITEM: usize = 64;

pub fn check(source: &str) -> Vec<Diagnostic> {
    let mut depth = 0usize;
    let mut ifs = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut word_start: Option<usize> = None;
    let bytes = source.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let is_word = b.is_ascii_alphanumeric() || b == b'_';
        if let Some(ws) = word_start {
            if !is_word {
                let word = &source[ws..i];
                match word {
                    "input" | "param" | "define" | "decision" => ifs = 0,
                    "if" => {
                        ifs += 1;
                        if ifs > MAX_IFS_PER_ITEM {
                            return vec![Diagnostic::error(
                                Span::new(ws, i),
                                format!(
                                    "too many nested `if` expressions (more than {MAX_IFS_PER_ITEM} in one item)"
                                ),
                            )
                            .with_help("use a `when` decision for long chains of conditions")];
                        }
                    }
                    _ => {}
                }
                word_start = None;
            }
        }
        if in_comment {
            if b == b'\n' {
                in_comment = false;
            }
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' || b == b'\n' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'#' => in_comment = true,
            b'"' => in_string = true,
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return vec![Diagnostic::error(
                        Span::new(i, i + 1),
                        format!("expression nested too deeply (more than {MAX_BRACKETS} levels of brackets)"),
                    )];
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if is_word && word_start.is_none() => word_start = Some(i),
            _ => {}
        }
    }
    Vec::new()
}
