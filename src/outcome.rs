//! Raw results of evaluating one record, as every engine (interpreter or
//! Wasm) produces them, and the evaluation errors. [`crate::report`] turns an
//! [`Outcome`] into the decisions JSON.

use crate::program::FactId;

/// A known decision value. Numbers use the encodings of [`crate::facts::FactValue::Num`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Num(i64),
    Text(String),
}

/// The result of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionOutcome {
    /// None when the decision is unknown.
    pub value: Option<Value>,
    /// The facts still needed, in declaration order (empty when known).
    pub missing: Vec<FactId>,
    /// Indices of the false requires, in source order (false require decisions).
    pub reasons: Vec<usize>,
    /// Index of the `when`/`otherwise` clause that decided.
    pub clause: Option<usize>,
}

/// The results of every decision of a policy for one record, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decisions: Vec<DecisionOutcome>,
}

/// Evaluation failed for this record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("evaluation error: overflow in {context} (line {line})")]
    Overflow { context: String, line: u32 },
    #[error("evaluation error: division by zero in {context} (line {line})")]
    DivisionByZero { context: String, line: u32 },
    #[error(
        "evaluation error: param {param} has no value on {as_of} (its first `from` is {first})"
    )]
    ParamUndefined {
        param: String,
        as_of: String,
        first: String,
    },
    #[error("evaluation error: no clause of decision {decision} applies on {as_of}")]
    NoClause { decision: String, as_of: String },
    /// The compiled module stopped abnormally (a bug, a limit, or a tampered module).
    #[error("evaluation error: the policy module failed: {message}")]
    Trap { message: String },
}
