//! Raw results of evaluating one record, as every engine (interpreter or
//! Wasm) produces them, and the evaluation and load errors.
//! [`crate::report`] turns an [`Outcome`] into the decisions JSON; typed
//! decision handles read one with `Outcome::get` (in `runtime::batch`).

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

/// The results of every decision of a policy for one record, in source
/// order. Read one through a typed handle with `Outcome::get` or
/// `Outcome::decision`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decisions: Vec<DecisionOutcome>,
    /// `Meta::result_layout_id` of the policy that produced it.
    pub(crate) layout: u64,
}

impl Outcome {
    /// The results of `decisions` made by a policy whose result layout is `layout`.
    pub(crate) fn new(decisions: Vec<DecisionOutcome>, layout: u64) -> Outcome {
        Outcome { decisions, layout }
    }
}

/// How long one evaluation may run, on either engine, unless the runtime
/// says otherwise ([`crate::RuntimeConfig::deadline`]): then it stops with
/// [`EvalError::TimeLimit`].
pub const DEFAULT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Evaluation failed for this record. Each failure has its own variant;
/// more may be added, so match with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    /// Facts, a batch, a field handle or an enum variant made for another
    /// policy (or another version's inputs).
    #[error(transparent)]
    WrongPolicy(#[from] WrongPolicy),
    /// The record's facts (its texts and list elements) do not fit in the
    /// memory of one module instance, even on their own.
    #[error("evaluation error: the record's facts need {needed} bytes, more than the {limit} bytes of memory an evaluation may use")]
    TooLarge { needed: usize, limit: usize },
    /// The evaluation ran longer than the runtime's deadline.
    #[error("evaluation error: evaluation took longer than the time limit ({limit_ms} ms)")]
    TimeLimit { limit_ms: u64 },
    /// The policy's module could not be loaded (or instantiated).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The interpreter was asked to evaluate a policy loaded from a module,
    /// without its source.
    #[error("evaluation error: the interpreter needs the policy's source, not only its module")]
    NoSource,
    /// The compiled module stopped abnormally (a bug or a tampered module).
    #[error("evaluation error: the policy module failed: {message}")]
    Trap { message: String },
}

/// Something made for one policy was used with another: facts, a batch,
/// a field, variant or decision handle. A handle is valid for the policy
/// it was looked up on and for versions of it with the same inputs (or,
/// for decision handles, the same decisions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WrongPolicy {
    #[error("the facts were checked against other inputs than those of policy {policy}: parse or build them with this policy")]
    Facts { policy: String },
    #[error("the batch was built for other inputs than those of policy {policy}: build it with this policy")]
    Batch { policy: String },
    #[error("a fact was set through a field handle or enum variant of another policy (or another field): look the handles up on this policy")]
    Field,
    #[error("the decision handle was looked up on a policy with other decisions than those of these results: look it up on the policy that made them")]
    Decision,
}

/// A module that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("not a Rulebook policy module: {0}")]
    NotAPolicy(String),
    #[error("the module was built for ABI version {found}, this Rulebook reads version {expected}: recompile the policy")]
    AbiVersion { found: u32, expected: u32 },
    #[error("the module is not valid WebAssembly: {0}")]
    Invalid(String),
    /// The module is valid but could not be made ready to run (wasmtime
    /// could not compile or instantiate it: out of memory or address space,
    /// say). It may succeed later: the next use tries again.
    #[error("the module could not be made ready to run: {0}")]
    Instantiate(String),
    /// The evaluation engine itself could not be set up.
    #[error("the evaluation engine is unavailable: {0}")]
    Engine(String),
}
