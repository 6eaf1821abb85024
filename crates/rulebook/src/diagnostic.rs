//! Compile-time diagnostics: what went wrong, where (a [`Span`]), and how to
//! render it as `path:line:col: error: message` followed by the source line and
//! a caret, the format docs/language.md section 18 fixes.

use crate::ast::Span;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    /// Extra lines shown under the caret (`= help: ...`).
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            help: None,
        }
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
            help: None,
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Lines longer than about twice this are shown as a window around the error.
const WINDOW: usize = 80;

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics in the order given, each as
/// `path:line:col: error: message`, the source line, and a caret line.
pub fn render(path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        render_one(&mut out, path, source, d);
    }
    out
}

fn render_one(out: &mut String, path: &str, source: &str, d: &Diagnostic) {
    let (line, col) = line_col(source, d.span.start);
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{path}:{line}:{col}: {kind}: {}", d.message);
    let start = floor_char_boundary(source, d.span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let end = floor_char_boundary(source, d.span.end.clamp(start, line_end));
    let text: Vec<char> = source[line_start..line_end]
        .trim_end_matches('\r')
        .chars()
        .map(|c| if c == '\t' || c.is_control() { ' ' } else { c })
        .collect();
    let width = source[start..end].chars().count().max(1);
    // Very long lines are shown as a window around the column.
    let (first, prefix) = if col > WINDOW {
        (col - 1 - WINDOW / 2, "...")
    } else {
        (0, "")
    };
    let last = (first + 2 * WINDOW).min(text.len());
    // first <= last <= text.len(): in bounds
    let shown: String = text.get(first..last).unwrap_or(&[]).iter().collect();
    let suffix = if last < text.len() { "..." } else { "" };
    let gutter = line.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line} | {prefix}{shown}{suffix}");
    let caret_col = prefix.len() + (col - 1 - first);
    let width = width.min(shown.chars().count().saturating_sub(col - 1 - first).max(1));
    let _ = writeln!(
        out,
        "{:gutter$} | {}{}",
        "",
        " ".repeat(caret_col),
        "^".repeat(width)
    );
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{:gutter$} = help: {help}", "");
    }
}
