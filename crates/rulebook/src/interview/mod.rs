//! Ask once, across policies (docs/interview.md, LANGUAGE.md section 10):
//! the facts of one person facing several policies, the questions still
//! worth asking, and the next one. This module owns the catalogue of facts
//! (one name is one fact in every policy; two types for one name is an
//! error), what `next` answers, and the questions' words; `choose.rs`
//! orders the questions, `answer.rs` reads a person's typed answers.

mod answer;
mod choose;

pub use answer::{parse_answer, Reply};

use crate::abi::{FieldMeta, Layout, ValueType};
use crate::candidates::Candidates;
use crate::facts::FactValue;
use crate::facts::{Facts, InputError};
use crate::num::Date;
use crate::outcome::EvalError;
use crate::outcome::Outcome;
use crate::policy::{Engine, Policy};
use crate::program::ExprKind;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Why an interview cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InterviewError {
    /// No policy was named.
    #[error("an interview needs at least one policy")]
    NoPolicies,
    /// Two policies of one interview have the same name.
    #[error("two policies are named `{name}` ({first} and {second}): an interview names each policy once")]
    SameName {
        name: String,
        first: String,
        second: String,
    },
    /// One fact name declared with two different types.
    #[error("fact `{fact}` is declared as {first_type} at {first} and as {second_type} at {second}: one name is one fact in every policy of an interview, so give them one type or different names")]
    Conflict {
        fact: String,
        first: String,
        first_type: String,
        second: String,
        second_type: String,
    },
    /// The facts do not fit a policy's inputs.
    #[error("{error}")]
    Input { policy: String, error: InputError },
    /// A policy could not be evaluated on the facts.
    #[error("{policy}: {error}")]
    Eval { policy: String, error: EvalError },
}

/// One question: a top-level fact, or (in `fields`) a field of a list's elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// The fact's name.
    pub fact: String,
    /// `bool`, `int`, `decimal`, `money`, `date`, `text`, `enum` or `list`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The `ask` text, or a question made from the name.
    pub question: String,
    /// The `help` text.
    pub help: Option<String>,
    /// An enum's variants, in declaration order.
    pub options: Option<Vec<String>>,
    /// The policies whose undecided decisions need it (for a list's
    /// fields, those declaring the list).
    pub policies: Vec<String>,
    /// A list's element fields, each a question of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Question>>,
}

/// What `rulebook next` and `POST /v1/interview` answer (section 10).
#[derive(Debug, Clone)]
pub struct Next {
    pub as_of: Date,
    /// The question to ask now; None when no absent fact can change an
    /// undecided decision.
    pub next: Option<Question>,
    /// Every fact still worth asking, best first (`next` is the first).
    pub remaining: Vec<String>,
    /// Each policy's decisions JSON (section 6) on the facts so far, by name.
    pub outcomes: Vec<(String, serde_json::Value)>,
}

impl Serialize for Next {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Outcomes<'a>(&'a [(String, serde_json::Value)]);
        impl Serialize for Outcomes<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("as_of", &self.as_of.to_string())?;
        m.serialize_entry("next", &self.next)?;
        m.serialize_entry("remaining", &self.remaining)?;
        m.serialize_entry("outcomes", &Outcomes(&self.outcomes))?;
        m.end()
    }
}

/// One top-level fact of the interview, across its policies.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    /// Its type, as the first policy declaring it has it.
    ty: ValueType,
    /// The first policy declaring it (whose encoding `reps` use).
    home: usize,
    /// Its index among each policy's input fields.
    slots: Vec<Option<usize>>,
    question: Question,
}

/// Several policies put to one person: their facts merged by name.
#[derive(Debug, Clone)]
pub struct Interview {
    policies: Vec<Policy>,
    entries: Vec<Entry>,
    /// Evaluations the chooser may spend on one `next` (see `choose.rs`).
    budget: usize,
}

/// Default number of hypothetical evaluations one `next` may spend looking ahead.
pub const DEFAULT_BUDGET: usize = 3_000;

impl Interview {
    /// An interview over `policies`. Fails when two share a name, or when
    /// one fact name is declared with two different types (naming both
    /// files and lines).
    pub fn new(policies: Vec<Policy>) -> Result<Interview, InterviewError> {
        if policies.is_empty() {
            return Err(InterviewError::NoPolicies);
        }
        for (i, p) in policies.iter().enumerate() {
            if let Some(q) = policies[..i].iter().find(|q| q.name() == p.name()) {
                return Err(InterviewError::SameName {
                    name: p.name().to_string(),
                    first: q.path().to_string(),
                    second: p.path().to_string(),
                });
            }
        }
        let mut entries: Vec<Entry> = Vec::new();
        for (pi, p) in policies.iter().enumerate() {
            for (fi, f) in p.meta().input.fields.iter().enumerate() {
                match entries.iter_mut().find(|e| e.name == f.name) {
                    Some(e) => {
                        let first = &policies[e.home];
                        let first_field =
                            e.slots[e.home].and_then(|i| first.meta().input.fields.get(i));
                        if !same_type(&e.ty, &f.ty) {
                            return Err(InterviewError::Conflict {
                                fact: f.name.clone(),
                                first: at(first, first_field.map_or(0, |f| f.line)),
                                first_type: e.ty.rules_text(),
                                second: at(p, f.line),
                                second_type: f.ty.rules_text(),
                            });
                        }
                        e.slots[pi] = Some(fi);
                        if e.question.help.is_none() {
                            e.question.help = f.help.clone();
                        }
                        if first_field.is_some_and(|ff| ff.ask.is_none()) && f.ask.is_some() {
                            e.question.question = question_for(f, true);
                        }
                    }
                    None => {
                        let mut slots = vec![None; policies.len()];
                        slots[pi] = Some(fi);
                        entries.push(Entry {
                            name: f.name.clone(),
                            ty: f.ty.clone(),
                            home: pi,
                            slots,
                            question: question(f, true),
                        });
                    }
                }
            }
        }
        for e in &mut entries {
            let declaring: Vec<&Policy> = e
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_some())
                .filter_map(|(i, _)| policies.get(i))
                .collect();
            e.question.policies = declaring.iter().map(|p| p.name().to_string()).collect();
            if let Some(fields) = &mut e.question.fields {
                for f in fields {
                    f.policies = e.question.policies.clone();
                }
            }
        }
        Ok(Interview {
            policies,
            entries,
            budget: DEFAULT_BUDGET,
        })
    }

    /// The same interview with another look-ahead budget (hypothetical
    /// evaluations per `next`; 0 asks in declaration order).
    pub fn with_budget(mut self, budget: usize) -> Interview {
        self.budget = budget;
        self
    }

    /// The policies, in the order given.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The question for every top-level fact of the interview, in the
    /// order the policies declare them.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.entries.iter().map(|e| &e.question)
    }

    /// The question for fact `name`.
    pub fn question(&self, name: &str) -> Option<&Question> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| &e.question)
    }

    /// The next question for facts given as a JSON object (absent: not
    /// asked; `null`: asked, not known), with every policy's decisions.
    pub fn next(&self, facts_json: &str, as_of: Date) -> Result<Next, InterviewError> {
        let mut base = Vec::with_capacity(self.policies.len());
        for p in &self.policies {
            let facts = p
                .parse_facts(facts_json)
                .map_err(|error| InterviewError::Input {
                    policy: p.name().to_string(),
                    error,
                })?;
            base.push(facts);
        }
        // which facts are given, null or not: the facts parsed above are
        // a JSON object with each key once
        let given: BTreeMap<String, &RawValue> =
            serde_json::from_str(facts_json).map_err(|e| InterviewError::Input {
                policy: self.policies[0].name().to_string(),
                error: InputError {
                    problems: vec![crate::facts::FieldProblem {
                        path: String::new(),
                        value: format!("text that is not a JSON object ({e})"),
                        expected: "a JSON object of facts".into(),
                        kind: crate::facts::ProblemKind::Value,
                    }],
                },
            })?;
        let asked: Vec<bool> = self
            .entries
            .iter()
            .map(|e| given.contains_key(&e.name))
            .collect();
        let mut outcomes = Vec::with_capacity(self.policies.len());
        for (p, f) in self.policies.iter().zip(&base) {
            outcomes.push(self.evaluate(p, f, as_of)?);
        }
        let reps = self.reps(as_of);
        let optional = self.optional(&base, &outcomes, &asked, &reps, as_of);
        let mut chooser =
            choose::Chooser::new(self, &base, &outcomes, &asked, &optional, &reps, as_of);
        let ranked = chooser.rank(self.budget);
        let next = ranked.first().map(|&i| {
            let mut q = self.entries[i].question.clone();
            q.policies = chooser.needing(i);
            q
        });
        Ok(Next {
            as_of,
            next,
            remaining: ranked
                .iter()
                .map(|&i| self.entries[i].name.clone())
                .collect(),
            outcomes: self
                .policies
                .iter()
                .zip(&outcomes)
                .map(|(p, o)| {
                    (
                        p.name().to_string(),
                        crate::report::to_json(p.meta(), as_of.0, o, &[]),
                    )
                })
                .collect(),
        })
    }

    /// The absent facts a policy reads only through `known(...)` whose
    /// answer would change some decision now, each with the policies it
    /// would change. Such a fact is in no `missing` set (its absence is
    /// itself a fact: "none"), yet leaving it unasked would decide on an
    /// assumption.
    fn optional(
        &self,
        base: &[Facts],
        outcomes: &[Outcome],
        asked: &[bool],
        reps: &[Vec<FactValue>],
        as_of: Date,
    ) -> Vec<(usize, Vec<usize>)> {
        let mut out = Vec::new();
        for (e, entry) in self.entries.iter().enumerate() {
            if asked.get(e).copied().unwrap_or(true) {
                continue;
            }
            let mut changes = Vec::new();
            for (pi, p) in self.policies.iter().enumerate() {
                let Some(slot) = entry.slots.get(pi).copied().flatten() else {
                    continue;
                };
                if !reads_known(p, slot) {
                    continue;
                }
                let (Some(facts), Some(now)) = (base.get(pi), outcomes.get(pi)) else {
                    continue;
                };
                let home_ty = self.policies.get(entry.home).and_then(|h| {
                    h.meta()
                        .input
                        .fields
                        .get(entry.slots.get(entry.home).copied().flatten()?)
                });
                let Some(home_ty) = home_ty.map(|f| &f.ty) else {
                    continue;
                };
                let Some(ty) = p.meta().input.fields.get(slot).map(|f| &f.ty) else {
                    continue;
                };
                let changed = reps.get(e).into_iter().flatten().any(|r| {
                    let Some(v) = convert(r, home_ty, ty) else {
                        return false;
                    };
                    let mut f = facts.clone();
                    if let Some(s) = f.values.get_mut(slot) {
                        *s = Some(v);
                    }
                    self.evaluate(p, &f, as_of)
                        .is_ok_and(|o| o.decisions != now.decisions)
                });
                if changed {
                    changes.push(pi);
                }
            }
            if !changes.is_empty() {
                out.push((e, changes));
            }
        }
        out
    }

    /// Evaluates with the interpreter when the source is at hand (no
    /// native code to compile for a one-off call; both engines agree), else
    /// with the module.
    fn evaluate(&self, p: &Policy, facts: &Facts, as_of: Date) -> Result<Outcome, InterviewError> {
        let engine = if p.program().is_some() {
            Engine::Interpreter
        } else {
            Engine::Wasm
        };
        p.evaluate_with(engine, facts, as_of)
            .map_err(|error| InterviewError::Eval {
                policy: p.name().to_string(),
                error,
            })
    }

    /// Candidate answers of every entry, in its home policy's encoding:
    /// both bools, every variant, and for numbers, dates and texts the
    /// values either side of each constant the policies compare them with
    /// (literals and params in force on `as_of`; ages for dates).
    fn reps(&self, as_of: Date) -> Vec<Vec<FactValue>> {
        let mut consts = Candidates::default();
        for p in &self.policies {
            consts.gather(p, as_of.0);
        }
        self.entries
            .iter()
            .map(|e| consts.reps(&e.ty, as_of.0))
            .collect()
    }
}

/// Whether policy `p` reads input `slot` through `known(...)`.
fn reads_known(p: &Policy, slot: usize) -> bool {
    let Some(program) = p.program() else {
        return false;
    };
    let mut stack = program.item_exprs();
    while let Some(e) = stack.pop() {
        if let ExprKind::Known(crate::program::KnownTarget::Input(i)) = &e.kind {
            if *i == slot {
                return true;
            }
        }
        e.push_children(&mut stack);
    }
    false
}

/// `path:line` of a field.
fn at(p: &Policy, line: u32) -> String {
    if line == 0 {
        p.path().to_string()
    } else {
        format!("{}:{line}", p.path())
    }
}

/// The type's name in a question.
fn type_name(t: &ValueType) -> &'static str {
    match t {
        ValueType::Bool => "bool",
        ValueType::Int => "int",
        ValueType::Decimal => "decimal",
        ValueType::Money => "money",
        ValueType::Date => "date",
        ValueType::Text => "text",
        ValueType::Enum { .. } => "enum",
        ValueType::List { .. } => "list",
    }
}

/// Whether two declarations are one type: the same kind, the same enum
/// variants (in any order), the same list element fields by name.
fn same_type(a: &ValueType, b: &ValueType) -> bool {
    match (a, b) {
        (ValueType::Enum { variants: x }, ValueType::Enum { variants: y }) => {
            x.len() == y.len() && x.iter().all(|v| y.contains(v))
        }
        (ValueType::List { element: x }, ValueType::List { element: y }) => {
            x.fields.len() == y.fields.len()
                && x.fields.iter().all(|f| {
                    y.fields
                        .iter()
                        .any(|g| g.name == f.name && same_type(&f.ty, &g.ty))
                })
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// The question for a field (`top`: a top-level fact, else a list element's).
fn question(f: &FieldMeta, top: bool) -> Question {
    let (options, fields) = match &f.ty {
        ValueType::Enum { variants } => (Some(variants.clone()), None),
        ValueType::List { element } => (
            None,
            Some(element.fields.iter().map(|g| question(g, false)).collect()),
        ),
        _ => (None, None),
    };
    Question {
        fact: f.name.clone(),
        ty: type_name(&f.ty),
        question: question_for(f, top),
        help: f.help.clone(),
        options,
        policies: Vec::new(),
        fields,
    }
}

/// The `ask` text, else a question made from the name: `date_of_birth`
/// is "What is your date of birth?", `has_partner` "Has partner?", a list
/// `household` "List each entry of your household.".
fn question_for(f: &FieldMeta, top: bool) -> String {
    if let Some(a) = &f.ask {
        return a.clone();
    }
    let words = f.name.replace('_', " ").trim().to_string();
    let whose = if top { "your" } else { "the" };
    match &f.ty {
        ValueType::Bool => {
            let mut c = words.chars();
            match c.next() {
                Some(first) => format!("{}{}?", first.to_uppercase(), c.as_str()),
                None => "?".into(),
            }
        }
        ValueType::List { .. } => format!("List each entry of {whose} {words}."),
        _ => format!("What is {whose} {words}?"),
    }
}

/// A value of type `from` as the same fact of type `to` (the same type up
/// to the order of enum variants and list fields).
fn convert(v: &FactValue, from: &ValueType, to: &ValueType) -> Option<FactValue> {
    match (v, from, to) {
        (FactValue::Num(i), ValueType::Enum { variants: a }, ValueType::Enum { variants: b }) => {
            let name = a.get(usize::try_from(*i).ok()?)?;
            b.iter()
                .position(|x| x == name)
                .map(|j| FactValue::Num(j as i64))
        }
        (
            FactValue::List(items),
            ValueType::List { element: a },
            ValueType::List { element: b },
        ) => Some(FactValue::List(
            items
                .iter()
                .map(|item| convert_record(item, a, b))
                .collect(),
        )),
        _ => Some(v.clone()),
    }
}

fn convert_record(item: &[Option<FactValue>], a: &Layout, b: &Layout) -> Vec<Option<FactValue>> {
    b.fields
        .iter()
        .map(|g| {
            let i = a.fields.iter().position(|f| f.name == g.name)?;
            let v = item.get(i)?.as_ref()?;
            convert(v, &a.fields.get(i)?.ty, &g.ty)
        })
        .collect()
}
