//! Rulebook: policy rules as programs.
//!
//! A rule file (`.rules`, see docs/language.md) is parsed, checked into a
//! typed program, compiled to a sandboxed WebAssembly module and evaluated
//! on [`Facts`] (under wasmtime, or by the reference interpreter),
//! producing decisions: values, the facts still missing, and the reasons.
//! The embedding guide is docs/embedding.md; this crate's public API is
//! what it documents.
//!
//! ```
//! use rulebook::{Date, Policy};
//!
//! let policy = Policy::from_source("adult.rules", r#"
//!     policy adult
//!     input { age: int }
//!     decision adult: bool
//!       require age >= 18 because "Must be 18 or over"
//! "#)?;
//! let as_of: Date = "2026-01-01".parse()?;
//! let out = policy.evaluate_json(r#"{"age": 16}"#, as_of)?;
//! assert_eq!(out["decisions"]["adult"]["value"], false);
//! assert_eq!(out["decisions"]["adult"]["reasons"][0]["because"], "Must be 18 or over");
//!
//! // Unknown facts: the decision names what it still needs.
//! let out = policy.evaluate_json("{}", as_of)?;
//! assert_eq!(out["missing"], serde_json::json!(["age"]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod abi;
mod analysis;
mod ast;
mod candidates;
mod check;
mod codegen;
mod diagnostic;
mod diff;
mod digest;
mod explain;
mod facts;
mod format;
mod interp;
mod interview;
mod lint;
mod num;
mod outcome;
mod personal;
mod policy;
mod program;
mod report;
mod runtime;
mod stack;
mod syntax;

/// Typed handles for evaluating at volume: input [`batch::Field`]s and
/// decision [`batch::Decision`]s looked up once by name and kind,
/// [`batch::FieldSet`]s, [`batch::Batch`]es of record images, and the
/// record writer of [`Policy::evaluate_each`].
pub mod batch {
    /// The `date` kind is the value type itself: `Field<Date>`, `Decision<Date>`.
    pub use crate::num::Date;
    pub use crate::runtime::batch::{
        Batch, Bool, Decimal, Decision, Enum, Field, FieldError, FieldKind, FieldSet, FieldTuple,
        Int, ListField, ListTooLarge, Money, NumError, NumFields, OutputKind, RecordWriter,
        RowError, Rows, Text, Variant,
    };
    pub use crate::runtime::Records;
}

/// What a compiled module says about itself (docs/abi.md): its inputs,
/// decisions, clauses and facts, as [`Policy::meta`] gives them.
pub mod meta {
    pub use crate::abi::{
        ClauseMeta, DecisionKind, DecisionMeta, FieldMeta, Layout, Meta, ParamMeta, SiteMeta,
        ValueType, ABI_VERSION, META_SECTION,
    };
}

pub use ast::Span;
pub use diagnostic::{Diagnostic, Severity};
pub use diff::impact::{CaseResult, Impact};
pub use diff::{static_diff, NoSource};
pub use digest::sha256_hex;
pub use explain::{explain, Change, DecisionExplanation, ExplainError, Explanation, Read, Step};
pub use facts::{Facts, FactsBuilder, FieldProblem, InputError, ProblemKind};
pub use format::{format_source, FormatError};
pub use interview::{
    parse_answer, Interview, InterviewError, Next, Question, Reply, DEFAULT_BUDGET,
};
/// Ask once, across policies: the next question for one person facing
/// several policies (docs/interview.md).
pub use lint::{lint, LintWarning, WARNINGS as LINT_WARNINGS};
pub use num::{Date, DateError};
pub use outcome::{Decided, DecisionOutcome, EvalError, Outcome, Value, ValueRef, WrongPolicy};
pub use personal::PersonalKeyMissing;
pub use policy::{CompileError, Engine, Error, Policy};
pub use report::{Report, TypedValue};
pub use runtime::{
    BatchResults, Bits, DecisionView, LoadError, RecordView, Runtime, RuntimeConfig, CHUNK,
};

/// Items the other crates of this workspace (the test runner, the server,
/// the CLI, the Python package, the fuzz targets and benchmarks) and its tests need, and an
/// embedder does not: the compiler's program, the interpreter's trace,
/// exact number helpers, raw fact values. Not a stable API: it changes
/// with the workspace (see ARCHITECTURE.md, "The public API").
#[doc(hidden)]
pub mod __private {
    pub use crate::diagnostic::{line_col, render};
    pub use crate::digest::LabelledKey;
    pub use crate::facts::{number_expected, to_json_text, FactValue};
    pub use crate::report::{escape_json, push_json_str};
    pub use crate::runtime::{fail_each, read_meta};
    use crate::{Facts, Policy};

    /// The module contract (docs/abi.md).
    pub mod abi {
        pub use crate::abi::*;
    }
    /// Keyed digests.
    pub mod digest {
        pub use crate::digest::*;
    }
    /// The reference interpreter, with clause traces.
    pub mod interp {
        pub use crate::interp::*;
    }
    /// Exact numbers and dates.
    pub mod num {
        pub use crate::num::*;
    }
    /// What an editor asks of a rule file: diagnostics, outline, hover,
    /// definitions, references, completion (the language server's core).
    pub mod analysis {
        pub use crate::analysis::*;
    }
    /// The checked program.
    pub mod program {
        pub use crate::program::*;
    }

    /// A description of a policy's checked program with every position
    /// (line, span) left out: equal for two rule files that differ only in
    /// layout and comments (the formatter's tests).
    pub fn program_shape(policy: &Policy) -> Option<String> {
        policy.program().map(crate::format::positionless)
    }
    /// The checked program of a policy compiled from source.
    pub fn program(policy: &Policy) -> Option<&program::Program> {
        policy.program()
    }
    /// The values of facts, one per input field.
    pub fn values(facts: &Facts) -> &[Option<FactValue>] {
        &facts.values
    }
    /// The values of facts, to change (they stay bound to their inputs).
    pub fn values_mut(facts: &mut Facts) -> &mut Vec<Option<FactValue>> {
        &mut facts.values
    }
    /// Facts of `layout` from values (the generators of property tests).
    pub fn facts(layout: &abi::Layout, values: Vec<Option<FactValue>>) -> Facts {
        Facts::new(layout, values)
    }
}
