//! Rulebook: policy rules as programs.
//!
//! A rule file (`.rules`, see docs/language.md) is parsed ([`syntax`]),
//! checked into a typed [`program::Program`] ([`check`]), and evaluated on
//! facts ([`facts`]) by an engine ([`interp`] for now), producing an
//! [`outcome::Outcome`] that [`report`] turns into the decisions JSON.
//!
//! ```
//! use rulebook::{Date, Policy};
//!
//! let policy = Policy::from_source("adult.rules", r#"
//!     policy adult
//!     input { age: int }
//!     decision adult: bool
//!       require age >= 18 because "Must be 18 or over"
//! "#).unwrap();
//! let out = policy.evaluate_json(r#"{"age": 16}"#, Date::parse("2026-01-01").unwrap()).unwrap();
//! assert_eq!(out["decisions"]["adult"]["value"], false);
//! assert_eq!(out["decisions"]["adult"]["reasons"][0]["because"], "Must be 18 or over");
//!
//! // Unknown facts: the decision names what it still needs.
//! let out = policy.evaluate_json("{}", Date::parse("2026-01-01").unwrap()).unwrap();
//! assert_eq!(out["missing"], serde_json::json!(["age"]));
//! ```

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod facts;
pub mod interp;
pub mod num;
pub mod outcome;
pub mod program;
pub mod report;
pub mod syntax;
pub mod testing;

use diagnostic::Diagnostic;
pub use facts::{Facts, InputError};
pub use outcome::{EvalError, Outcome};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A calendar date (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

impl Date {
    /// Parses `YYYY-MM-DD`; None unless it is a real calendar date.
    pub fn parse(s: &str) -> Option<Date> {
        num::parse_date(s).map(Date)
    }
    /// Today's date in UTC.
    pub fn today() -> Date {
        Date(num::today_utc())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&num::format_date(self.0))
    }
}

/// A rule file that did not compile: every diagnostic found, with the source
/// to render them against.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// The diagnostics as `path:line:col: error: ...` with source lines and carets.
    pub fn render(&self) -> String {
        diagnostic::render(&self.path, &self.source, &self.diagnostics)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for CompileError {}

/// Every way using a policy can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Compile(#[from] CompileError),
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Eval(#[from] EvalError),
}

/// A checked policy, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    program: Arc<program::Program>,
    hash: String,
    path: String,
    warnings: Vec<Diagnostic>,
    source: String,
}

/// SHA-256 of some bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Policy {
    /// Compiles rule-file bytes; `path` names the file in diagnostics.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Policy, CompileError> {
        let hash = sha256_hex(bytes);
        let source = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(e) => {
                let at = e.valid_up_to();
                return Err(CompileError {
                    path: path.to_string(),
                    source: String::from_utf8_lossy(bytes).into_owned(),
                    diagnostics: vec![Diagnostic::error(
                        ast::Span::new(at, at + 1),
                        "the file is not valid UTF-8 text",
                    )],
                });
            }
        };
        let fail = |diagnostics| CompileError {
            path: path.to_string(),
            source: source.clone(),
            diagnostics,
        };
        let file = syntax::parse(&source).map_err(fail)?;
        let (program, warnings) = check::check(&file, &source).map_err(fail)?;
        Ok(Policy {
            program: Arc::new(program),
            hash,
            path: path.to_string(),
            warnings,
            source,
        })
    }

    /// Compiles rule-file text.
    pub fn from_source(path: &str, source: &str) -> Result<Policy, CompileError> {
        Self::from_bytes(path, source.as_bytes())
    }

    /// Reads and compiles a rule file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: label.clone(),
            message: e.to_string(),
        })?;
        Ok(Self::from_bytes(&label, &bytes)?)
    }

    /// The checked program.
    pub fn program(&self) -> &program::Program {
        &self.program
    }
    /// The policy's name (`policy NAME`).
    pub fn name(&self) -> &str {
        &self.program.name
    }
    /// SHA-256 hex of the rule file's bytes.
    pub fn hash(&self) -> &str {
        &self.hash
    }
    /// The file name used in diagnostics.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Warnings found while checking, rendered like errors.
    pub fn warnings(&self) -> String {
        diagnostic::render(&self.path, &self.source, &self.warnings)
    }

    /// Checks facts given as JSON text against the input schema.
    pub fn parse_facts(&self, json: &str) -> Result<Facts, InputError> {
        facts::from_json_str(&self.program.schema, json)
    }

    /// Evaluates every decision for one record with the reference interpreter.
    pub fn evaluate(&self, facts: &Facts, as_of: Date) -> Result<Outcome, EvalError> {
        interp::evaluate(&self.program, facts, as_of.0)
    }

    /// The decisions JSON (LANGUAGE.md section 6) of an outcome.
    pub fn report(&self, outcome: &Outcome, as_of: Date) -> serde_json::Value {
        report::to_json(&self.program, &self.hash, as_of.0, outcome)
    }

    /// Facts JSON text in, decisions JSON out.
    pub fn evaluate_json(&self, facts_json: &str, as_of: Date) -> Result<serde_json::Value, Error> {
        let facts = self.parse_facts(facts_json)?;
        let outcome = self.evaluate(&facts, as_of)?;
        Ok(self.report(&outcome, as_of))
    }

    /// Like [`Policy::evaluate_json`], from an already parsed JSON value.
    pub fn evaluate_value(
        &self,
        facts_json: &serde_json::Value,
        as_of: Date,
    ) -> Result<serde_json::Value, Error> {
        let facts = facts::from_json(&self.program.schema, facts_json)?;
        let outcome = self.evaluate(&facts, as_of)?;
        Ok(self.report(&outcome, as_of))
    }
}
