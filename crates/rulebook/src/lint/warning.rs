//! A warning of `rulebook lint`, and how it is shown as a diagnostic.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use serde_json::Value as Json;

/// One warning of `rulebook lint`.
#[derive(Debug, Clone, PartialEq)]
pub struct LintWarning {
    /// Its name, for `# lint: allow(NAME)`.
    pub name: &'static str,
    pub span: Span,
    pub message: String,
    /// An input that shows it, with its date: `{"as_of": ..., "input": {...}}`.
    pub example: Option<Json>,
}

impl LintWarning {
    /// As a diagnostic, for `path:line:col: warning: message` rendering.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::warning(self.span, format!("{} [{}]", self.message, self.name)).with_help(
            format!(
                "silence it on this line with `# lint: allow({})`",
                self.name
            ),
        )
    }
}
