//! Explanations (LANGUAGE.md section 11): for each decision, `why` (the
//! clauses that decided, in order, with the facts, params, defines and
//! decisions each read and their values) and `would_change` (changes of
//! facts that give the decision another value, each found and checked by
//! evaluation). The text for the person decided about is in `text`; the
//! search for changes in `change`.
//!
//! `why` comes from the reference interpreter's trace (it records each
//! clause's result and each define's value); the decisions' values are the
//! interpreter's, which the differential tests hold equal to the module's.

mod change;
mod text;

use crate::abi::{value_type, ValueType};
use crate::facts::{FactValue, Facts, ValueJson};
use crate::interp;
use crate::num::Date;
use crate::outcome::{EvalError, Outcome, Value};
use crate::policy::Policy;
use crate::program::{Body, Const, Expr, ExprKind, KnownTarget, Program, Type};
use serde_json::{json, Map, Value as Json};

pub use change::Change;

/// One clause (or a decision's expression) that took part in a decision.
#[derive(Debug, Clone)]
pub struct Step {
    /// `require`, `when`, `otherwise` or `value` (an expression decision).
    pub kind: &'static str,
    pub line: u32,
    pub because: Option<String>,
    pub source: Option<String>,
    /// The condition on one line in the canonical layout; empty for `value`.
    pub text: String,
    /// The condition's result (`value`: the decision's); None: unknown.
    pub result: Option<Json>,
    /// What the clause read, in order of first mention.
    pub reads: Vec<Read>,
}

/// A name a clause read and its value (None: not known).
#[derive(Debug, Clone)]
pub struct Read {
    /// `input`, `param`, `define` or `decision`.
    pub kind: &'static str,
    pub name: String,
    pub value: Option<Json>,
}

/// The explanation of one decision.
#[derive(Debug, Clone)]
pub struct DecisionExplanation {
    pub name: String,
    pub why: Vec<Step>,
    pub would_change: Vec<Change>,
    /// Where a fact moves a money or number decision linearly: the fact,
    /// its step (one pound, one unit) and the decision's change per step.
    pub rates: Vec<(String, Json, Json)>,
}

/// Every decision of one evaluation, explained.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The section 6 output of the evaluation.
    pub report: Json,
    pub decisions: Vec<DecisionExplanation>,
    /// Hypothetical evaluations the search made.
    pub evaluations: usize,
}

impl Explanation {
    /// The section 6 JSON with `why`, `would_change` (and `rates` where a
    /// fact moves an amount linearly) in each decision.
    pub fn to_json(&self) -> Json {
        let mut out = self.report.clone();
        if let Some(Json::Object(decisions)) = out.get_mut("decisions") {
            for d in &self.decisions {
                let Some(Json::Object(o)) = decisions.get_mut(&d.name) else {
                    continue;
                };
                o.insert("why".into(), d.why.iter().map(step_json).collect());
                o.insert(
                    "would_change".into(),
                    d.would_change.iter().map(Change::to_json).collect(),
                );
                if !d.rates.is_empty() {
                    o.insert(
                        "rates".into(),
                        d.rates
                            .iter()
                            .map(|(f, each, by)| json!({"fact": f, "each": each, "changes_by": by}))
                            .collect(),
                    );
                }
            }
        }
        out
    }

    /// Plain sentences for the person decided about (`verbose`: with the
    /// rule file's line numbers).
    pub fn to_text(&self, policy: &Policy, verbose: bool) -> String {
        text::render(self, policy, verbose)
    }

    /// Each decision (in source order) with what would change it, as the
    /// sentences of [`Explanation::to_text`].
    pub fn change_sentences(&self, policy: &Policy) -> Vec<(String, Vec<String>)> {
        text::changes(self, policy)
    }
}

fn step_json(s: &Step) -> Json {
    let mut o = Map::new();
    o.insert("clause".into(), json!(s.kind));
    o.insert("line".into(), json!(s.line));
    if !s.text.is_empty() {
        o.insert("condition".into(), json!(s.text));
    }
    if let Some(b) = &s.because {
        o.insert("because".into(), json!(b));
    }
    if let Some(src) = &s.source {
        o.insert("source".into(), json!(src));
    }
    o.insert("result".into(), s.result.clone().unwrap_or(Json::Null));
    let mut reads = Map::new();
    for r in &s.reads {
        reads.insert(r.name.clone(), r.value.clone().unwrap_or(Json::Null));
    }
    o.insert("read".into(), Json::Object(reads));
    Json::Object(o)
}

/// Why a policy could not be explained.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("this policy was loaded from a compiled module; explanations need its .rules source")]
    NoSource,
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Explains every decision of `policy` on `facts` on `as_of`.
pub fn explain(policy: &Policy, facts: &Facts, as_of: Date) -> Result<Explanation, ExplainError> {
    let program = policy.program().ok_or(ExplainError::NoSource)?;
    let (outcome, trace) = interp::evaluate_explained(program, facts, as_of.0);
    let mut outcome = outcome?;
    outcome.layout = policy.meta().result_layout_id();
    let report = crate::report::to_json(policy.meta(), as_of.0, &outcome, &[]);
    let mut search = change::Search::new(policy, program, facts, &outcome, as_of);
    let mut decisions = Vec::with_capacity(program.decisions.len());
    for (i, d) in program.decisions.iter().enumerate() {
        let why = why(program, facts, as_of, &outcome, &trace, i);
        let (would_change, rates) = search.decision(i);
        decisions.push(DecisionExplanation {
            name: d.name.clone(),
            why,
            would_change,
            rates,
        });
    }
    Ok(Explanation {
        report,
        decisions,
        evaluations: search.evaluations(),
    })
}

/// A known value of type `t` as the JSON the decisions output writes.
pub(crate) fn value_json(t: &Type, v: &Value) -> Json {
    let fv = match v {
        Value::Bool(b) => FactValue::Bool(*b),
        Value::Num(n) => FactValue::Num(*n),
        Value::Text(s) => FactValue::Text(s.as_str().into()),
    };
    fact_json(&value_type(t), &fv)
}

/// A fact value as JSON.
pub(crate) fn fact_json(t: &ValueType, v: &FactValue) -> Json {
    serde_json::to_value(ValueJson(t, v)).unwrap_or(Json::Null)
}

fn why(
    program: &Program,
    facts: &Facts,
    as_of: Date,
    outcome: &Outcome,
    trace: &interp::Trace,
    i: usize,
) -> Vec<Step> {
    let Some(d) = program.decisions.get(i) else {
        return Vec::new();
    };
    let reads = |e: &Expr| reads(program, facts, as_of, outcome, trace, e);
    let cond = |c: Option<Option<bool>>| c.flatten().map(Json::Bool);
    let seen = trace.conditions.get(i);
    let value = outcome
        .decisions
        .get(i)
        .and_then(|o| o.value.as_ref())
        .map(|v| value_json(&d.ty, v));
    match &d.body {
        Body::Expr(e) => vec![Step {
            kind: "value",
            line: program.line_of(d.span.start),
            because: None,
            source: None,
            text: String::new(),
            result: value,
            reads: reads(e),
        }],
        Body::Requires(clauses) => clauses
            .iter()
            .enumerate()
            .filter_map(|(ci, c)| {
                let evaluated = seen.and_then(|s| s.get(ci)).copied().flatten()?;
                Some(Step {
                    kind: "require",
                    line: c.line,
                    because: c.because.clone(),
                    source: c.source.clone(),
                    text: c.text.clone(),
                    result: cond(Some(evaluated)),
                    reads: c.cond.as_ref().map(reads).unwrap_or_default(),
                })
            })
            .collect(),
        Body::Whens(clauses) => {
            let chosen = trace.chosen.get(i).copied().flatten();
            let mut out = Vec::new();
            for (ci, c) in clauses.iter().enumerate() {
                let evaluated = seen.and_then(|s| s.get(ci)).copied().flatten();
                if evaluated.is_none() && chosen != Some(ci) {
                    continue;
                }
                let mut r = c.cond.as_ref().map(reads).unwrap_or_default();
                if chosen == Some(ci) {
                    if let Some(v) = &c.value {
                        for extra in reads(v) {
                            if !r.iter().any(|x| x.name == extra.name) {
                                r.push(extra);
                            }
                        }
                    }
                }
                out.push(Step {
                    kind: if c.cond.is_some() {
                        "when"
                    } else {
                        "otherwise"
                    },
                    line: c.line,
                    because: c.because.clone(),
                    source: c.source.clone(),
                    text: c.text.clone(),
                    result: if c.cond.is_none() {
                        Some(Json::Bool(true))
                    } else {
                        cond(evaluated)
                    },
                    reads: r,
                });
            }
            out
        }
    }
}

/// The names an expression reads (top-level inputs, params, defines,
/// decisions), each once, with their values on this evaluation.
fn reads(
    program: &Program,
    facts: &Facts,
    as_of: Date,
    outcome: &Outcome,
    trace: &interp::Trace,
    e: &Expr,
) -> Vec<Read> {
    let mut out: Vec<Read> = Vec::new();
    let mut stack = vec![e];
    let mut push = |r: Read| {
        if !out.iter().any(|x| x.name == r.name && x.kind == r.kind) {
            out.push(r);
        }
    };
    // depth first, left to right: the order a reader meets the names
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Input(f) | ExprKind::Known(KnownTarget::Input(f)) => {
                if let Some(field) = program.schema.fields.get(*f) {
                    let value = facts
                        .values
                        .get(*f)
                        .and_then(|v| v.as_ref())
                        .map(|v| fact_json(&value_type(&field.ty), v));
                    push(Read {
                        kind: "input",
                        name: field.name.clone(),
                        value,
                    });
                }
            }
            ExprKind::Param(p) => {
                if let Some(param) = program.params.get(*p) {
                    let value = param
                        .values
                        .iter()
                        .rev()
                        .find(|(from, _)| from.is_none_or(|f| f <= as_of.0))
                        .map(|(_, c)| {
                            let v = match c {
                                Const::Bool(b) => Value::Bool(*b),
                                Const::Num(n) => Value::Num(*n),
                                Const::Text(t) => Value::Text(t.to_string()),
                            };
                            value_json(&param.ty, &v)
                        });
                    push(Read {
                        kind: "param",
                        name: param.name.clone(),
                        value,
                    });
                }
            }
            ExprKind::Define(d) => {
                if let Some(def) = program.defines.get(*d) {
                    let value = trace
                        .defines
                        .get(*d)
                        .and_then(|v| v.as_ref())
                        .map(|v| value_json(&def.ty, v));
                    push(Read {
                        kind: "define",
                        name: def.name.clone(),
                        value,
                    });
                }
            }
            ExprKind::Decision(d) => {
                if let Some(def) = program.decisions.get(*d) {
                    let value = outcome
                        .decisions
                        .get(*d)
                        .and_then(|o| o.value.as_ref())
                        .map(|v| value_json(&def.ty, v));
                    push(Read {
                        kind: "decision",
                        name: def.name.clone(),
                        value,
                    });
                }
            }
            _ => {
                let mut kids = Vec::new();
                e.push_children(&mut kids);
                // push_children pushes left first: reverse so left pops first
                stack.extend(kids.into_iter().rev());
            }
        }
    }
    out
}
