//! `rulebook fmt`: a rule file in the one canonical layout (docs/language.md
//! section 18.3), from its syntax tree, with the comments the grammar skips
//! read from the source and put back where they stood.
//!
//! The layout (`print.rs`) is a [`doc::Doc`] per file: fixed line breaks between items,
//! fields and clauses, and groups that break only when a line would pass
//! [`print::WIDTH`] columns. Each comment is emitted before the first token printed
//! after it in the source: a comment after code on its line stays at the end
//! of the line holding the token before it, one on a line of its own stays
//! on a line of its own (blank lines before it kept). Tokens are printed in
//! source order, so comments keep their order and formatting twice gives
//! the same text.
//!
//! [`format_source`] refuses a file that does not compile, and checks its
//! own work before it answers: the formatted text must check into the same
//! program (positions aside) and hold the same comments in the same order.

mod doc;
pub(crate) mod print;
pub(crate) mod source;
mod verify;

use crate::policy::{check_source, CompileError};
pub(crate) use verify::positionless;

/// Why a rule file was not formatted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file does not compile; it is left as it is.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The formatter's own check failed: the formatted text would not mean
    /// the same policy, or lost a comment. Never expected; the file is left
    /// as it is.
    #[error("{path}: not formatted: the formatted text {what} (please report this file)")]
    Unfaithful { path: String, what: String },
}

/// The rule file `source` in the canonical layout. `path` names the file in
/// diagnostics. A file that does not compile is an error with its
/// diagnostics, like [`Policy::from_source`](crate::Policy::from_source).
pub fn format_source(path: &str, source: &str) -> Result<String, FormatError> {
    let checked = check_source(path, source)?;
    let formatted = print::layout(&checked.file, source);
    verify::same_policy(path, source, &checked.program, &formatted)?;
    Ok(formatted)
}

#[cfg(test)]
mod tests;
