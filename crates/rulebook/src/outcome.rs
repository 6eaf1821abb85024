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

impl Value {
    /// The borrowed form.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Num(n) => ValueRef::Num(*n),
            Value::Text(t) => ValueRef::Text(t),
        }
    }
}

/// A known decision value, borrowed from where the results live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'a> {
    Bool(bool),
    Num(i64),
    Text(&'a str),
}

impl ValueRef<'_> {
    /// The owned form.
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Num(n) => Value::Num(n),
            ValueRef::Text(t) => Value::Text(t.to_string()),
        }
    }
}

/// The results of every decision for one record, however they are held: an
/// owned [`Outcome`] (either engine) or a view over a module's result record
/// ([`crate::runtime::RecordView`]). Decisions are indexed in source order.
pub trait Decided {
    /// Indices (facts, or clauses), ascending.
    type Indices<'a>: Iterator<Item = usize>
    where
        Self: 'a;
    /// The value of decision `d`; None when unknown.
    fn value(&self, d: usize) -> Option<ValueRef<'_>>;
    /// The facts decision `d` still needs (empty when known).
    fn missing(&self, d: usize) -> Self::Indices<'_>;
    /// The false requires of decision `d`.
    fn reasons(&self, d: usize) -> Self::Indices<'_>;
    /// The clause that decided decision `d` (a `when` decision).
    fn clause(&self, d: usize) -> Option<usize>;
}

impl Decided for Outcome {
    type Indices<'a> = std::iter::Copied<std::slice::Iter<'a, usize>>;

    fn value(&self, d: usize) -> Option<ValueRef<'_>> {
        self.decisions.get(d)?.value.as_ref().map(Value::as_ref)
    }
    fn missing(&self, d: usize) -> Self::Indices<'_> {
        self.decisions
            .get(d)
            .map_or(&[][..], |o| &o.missing)
            .iter()
            .copied()
    }
    fn reasons(&self, d: usize) -> Self::Indices<'_> {
        self.decisions
            .get(d)
            .map_or(&[][..], |o| &o.reasons)
            .iter()
            .copied()
    }
    fn clause(&self, d: usize) -> Option<usize> {
        self.decisions.get(d)?.clause
    }
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
