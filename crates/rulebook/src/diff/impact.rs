//! What a new version of a policy does to cases (LANGUAGE.md section 12's
//! `impact`): each case's facts evaluated on both versions, and per
//! decision the cases it changed, its transitions (bool, enum, text) or its
//! money, decimal and int changes (total, increased, decreased, by size),
//! errors per side and a few examples. An [`Impact`] tallies cases one by
//! one and merges with another, so a caller can tally chunks in parallel
//! (`rulebook diff --cases`) or requests as they come (the service's shadow).

use crate::meta::ValueType;
use crate::num::{format_scaled, Date};
use crate::outcome::{Decided, Outcome, ValueRef};
use crate::policy::Policy;
use crate::report::TypedValue;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// Most changed cases kept as examples.
pub const EXAMPLES: usize = 20;

/// One decision compared: its name, its index in the old and in the new
/// version (None where that version has no such decision), and its type.
#[derive(Debug, Clone)]
struct Compared {
    name: String,
    old: Option<usize>,
    new: Option<usize>,
    ty: ValueType,
}

/// What one decision did over the cases.
#[derive(Debug, Default, Clone)]
struct DecisionImpact {
    changed: u64,
    transitions: BTreeMap<String, u64>,
    delta: i128,
    increased: u64,
    decreased: u64,
    /// Cases by the size of their change (see `bucket`).
    buckets: BTreeMap<i32, u64>,
}

/// How one case came out on the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseResult {
    /// Every decision has the same value on both.
    Same,
    /// This many decisions differ.
    Changed(usize),
    /// The facts are refused, or the evaluation fails, on one side or both
    /// (counted in `errors`; the decisions of the side that answered are
    /// compared with unknown).
    Error,
}

/// The impact of `new` against `old` over the cases tallied so far.
#[derive(Debug, Clone)]
pub struct Impact {
    compared: Vec<Compared>,
    cases: u64,
    skipped: u64,
    unreadable: Vec<(u64, String)>,
    errors_old: u64,
    errors_new: u64,
    decisions: Vec<DecisionImpact>,
    examples: Vec<Json>,
}

impl Impact {
    /// An empty tally of `new` against `old`: every decision of the new
    /// version, then those only the old one has.
    pub fn new(old: &Policy, new: &Policy) -> Impact {
        let (a, b) = (&old.meta().decisions, &new.meta().decisions);
        let mut compared: Vec<Compared> = b
            .iter()
            .enumerate()
            .map(|(j, d)| Compared {
                name: d.name.clone(),
                old: a.iter().position(|e| e.name == d.name),
                new: Some(j),
                ty: d.ty.clone(),
            })
            .collect();
        for (i, e) in a.iter().enumerate() {
            if !b.iter().any(|d| d.name == e.name) {
                compared.push(Compared {
                    name: e.name.clone(),
                    old: Some(i),
                    new: None,
                    ty: e.ty.clone(),
                });
            }
        }
        Impact {
            decisions: vec![DecisionImpact::default(); compared.len()],
            compared,
            cases: 0,
            skipped: 0,
            unreadable: Vec::new(),
            errors_old: 0,
            errors_new: 0,
            examples: Vec::new(),
        }
    }

    /// Cases tallied.
    pub fn cases(&self) -> u64 {
        self.cases
    }

    /// Lines that were not cases, with why.
    pub fn unreadable(&self) -> &[(u64, String)] {
        &self.unreadable
    }

    /// Counts a record that is not a case of this policy (a decision log
    /// entry of another policy).
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// Notes a line that is not a case at all.
    pub fn not_a_case(&mut self, line: u64, why: String) {
        self.unreadable.push((line, why));
    }

    /// Tallies one case: `facts` (a JSON object's text) evaluated on `old`
    /// and `new` (the policies this tally was made for) on `as_of`.
    /// `example` names the case in an example (`{"line": 7}`); it is called
    /// only when the case is kept as one.
    pub fn case(
        &mut self,
        old: &Policy,
        new: &Policy,
        facts: &str,
        as_of: Date,
        example: impl Fn() -> Map<String, Json>,
    ) -> CaseResult {
        let run = |p: &Policy| -> Option<Outcome> {
            let f = p.parse_facts(facts).ok()?;
            p.evaluate(&f, as_of).ok()
        };
        let (a, b) = (run(old), run(new));
        self.compare(old, new, a.as_ref(), b.as_ref(), example)
    }

    /// Tallies one case from its two outcomes (None: an error on that
    /// side): [`Outcome`]s, or [`RecordView`](crate::RecordView)s read in
    /// place from a batch's results.
    pub fn compare<A: Decided, B: Decided>(
        &mut self,
        old: &Policy,
        new: &Policy,
        a: Option<&A>,
        b: Option<&B>,
        example: impl Fn() -> Map<String, Json>,
    ) -> CaseResult {
        self.cases += 1;
        self.errors_old += u64::from(a.is_none());
        self.errors_new += u64::from(b.is_none());
        let mut changed = 0;
        for (c, di) in self.compared.iter().zip(self.decisions.iter_mut()) {
            let (dx, dy) = (decided(a, c.old, old), decided(b, c.new, new));
            if same(dx, dy) {
                continue;
            }
            let (x, y) = (value_of(dx), value_of(dy));
            if x == y {
                continue;
            }
            changed += 1;
            di.changed += 1;
            match amount_change(dx, dy) {
                Some(change) => {
                    di.delta += change;
                    *di.buckets.entry(bucket(change)).or_default() += 1;
                    if change > 0 {
                        di.increased += 1;
                    } else {
                        di.decreased += 1;
                    }
                }
                None => {
                    *di.transitions.entry(format!("{x}->{y}")).or_default() += 1;
                }
            }
            if self.examples.len() < EXAMPLES {
                let mut e = example();
                e.insert("decision".into(), json!(c.name));
                e.insert("old".into(), x);
                e.insert("new".into(), y);
                self.examples.push(Json::Object(e));
            }
        }
        if a.is_none() || b.is_none() {
            CaseResult::Error
        } else if changed == 0 {
            CaseResult::Same
        } else {
            CaseResult::Changed(changed)
        }
    }

    /// Adds the tally of later cases (examples are kept in order: this
    /// tally's first).
    pub fn merge(&mut self, other: Impact) {
        self.cases += other.cases;
        self.skipped += other.skipped;
        self.errors_old += other.errors_old;
        self.errors_new += other.errors_new;
        self.unreadable.extend(other.unreadable);
        for (a, b) in self.decisions.iter_mut().zip(other.decisions) {
            a.changed += b.changed;
            a.delta += b.delta;
            a.increased += b.increased;
            a.decreased += b.decreased;
            for (k, v) in b.buckets {
                *a.buckets.entry(k).or_default() += v;
            }
            for (k, v) in b.transitions {
                *a.transitions.entry(k).or_default() += v;
            }
        }
        for e in other.examples {
            if self.examples.len() < EXAMPLES {
                self.examples.push(e);
            }
        }
    }

    /// Section 12's `impact` object.
    pub fn to_json(&self) -> Json {
        let mut decisions = Map::new();
        for (c, d) in self.compared.iter().zip(&self.decisions) {
            let mut o = Map::new();
            o.insert("changed".into(), json!(d.changed));
            if let Some(scale) = scale(&c.ty) {
                let amount = |n: i128| -> Json {
                    if scale == 1 {
                        int_json(n)
                    } else {
                        json!(format_scaled(n, scale))
                    }
                };
                o.insert("total_delta".into(), amount(d.delta));
                o.insert("increased".into(), json!(d.increased));
                o.insert("decreased".into(), json!(d.decreased));
                // the changes by size, for a histogram
                let histogram: Vec<Json> = d
                    .buckets
                    .iter()
                    .map(|(&b, &count)| {
                        let low: i128 = 1 << (b.unsigned_abs().saturating_sub(1).min(120));
                        let high: i128 = (low << 1) - 1;
                        let (from, to) = if b < 0 { (-high, -low) } else { (low, high) };
                        json!({"from": amount(from), "to": amount(to), "count": count})
                    })
                    .collect();
                o.insert("delta_histogram".into(), json!(histogram));
            }
            if !d.transitions.is_empty() || scale(&c.ty).is_none() {
                o.insert("transitions".into(), json!(d.transitions));
            }
            decisions.insert(c.name.clone(), Json::Object(o));
        }
        let mut out = json!({
            "cases": self.cases,
            "errors": {"old": self.errors_old, "new": self.errors_new},
            "decisions": decisions,
            "examples": self.examples,
        });
        if self.skipped > 0 {
            out["skipped"] = json!(self.skipped);
        }
        if !self.unreadable.is_empty() {
            out["unreadable"] = json!(self.unreadable.len());
        }
        out
    }
}

/// The units an amount type counts in, for the types whose changes are
/// summed (money in pence, decimal in millionths, int in ones).
fn scale(ty: &ValueType) -> Option<i128> {
    match ty {
        ValueType::Money => Some(100),
        ValueType::Decimal => Some(1_000_000),
        ValueType::Int => Some(1),
        _ => None,
    }
}

/// The bucket of a change of `d` units: 0 for none, else its sign times
/// 1 + the floor of log2 of its size (1: one unit, 2: two or three, ...).
fn bucket(d: i128) -> i32 {
    if d == 0 {
        return 0;
    }
    let b = 128 - d.unsigned_abs().leading_zeros() as i32;
    if d < 0 {
        -b
    } else {
        b
    }
}

/// One side's decision: its value (None when unknown) and its type; None
/// when that side has no outcome (an error) or no such decision.
type Side<'o> = Option<(Option<ValueRef<'o>>, &'o ValueType)>;

/// Decision `index` of an outcome with its type in `policy`.
fn decided<'o, D: Decided>(o: Option<&'o D>, index: Option<usize>, policy: &'o Policy) -> Side<'o> {
    let i = index?;
    let ty = &policy.meta().decisions.get(i)?.ty;
    Some((o?.value(i), ty))
}

/// A decision's value as its JSON (null when unknown or absent).
fn value_of(d: Side) -> Json {
    match d {
        Some((Some(v), ty)) => TypedValue::new(ty, v).to_value(),
        _ => Json::Null,
    }
}

/// Whether a decision has the same value on both sides, without writing
/// either as JSON (an enum by its variant's name: the versions may order
/// them differently).
fn same(x: Side, y: Side) -> bool {
    let ((x, tx), (y, ty)) = match (x, y) {
        (None, None) => return true,
        (Some(x), Some(y)) => (x, y),
        _ => return false,
    };
    match (x, y, tx, ty) {
        (None, None, _, _) => true,
        (
            Some(ValueRef::Num(m)),
            Some(ValueRef::Num(n)),
            ValueType::Enum { variants: va },
            ValueType::Enum { variants: vb },
        ) => {
            fn name(v: &[String], k: i64) -> Option<&String> {
                usize::try_from(k).ok().and_then(|k| v.get(k))
            }
            name(va, m) == name(vb, n)
        }
        (Some(p), Some(q), tx, ty) if tx == ty => p == q,
        _ => false,
    }
}

/// The change of an amount known on both sides with one number type
/// (pence, units or millionths), else None.
fn amount_change(x: Side, y: Side) -> Option<i128> {
    let ((x, tx), (y, ty)) = (x?, y?);
    if tx != ty || scale(tx).is_none() {
        return None;
    }
    match (x, y) {
        (Some(ValueRef::Num(p)), Some(ValueRef::Num(q))) => Some(i128::from(q) - i128::from(p)),
        _ => None,
    }
}

/// An exact whole number: a JSON number where it fits 64 bits, else its
/// digits as a string (a sum of many ints can pass the int range).
fn int_json(n: i128) -> Json {
    match i64::try_from(n) {
        Ok(n) => json!(n),
        Err(_) => json!(n.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rate: &str) -> Policy {
        let src = format!(
            "policy p\ninput {{ age: int, income: money }}\n\
             decision eligible: bool\n  require age >= 18 because \"adult\"\n\
             decision award: money\n  when eligible -> income * {rate}\n  otherwise -> £0\n"
        );
        match Policy::from_source("p.rules", &src) {
            Ok(p) => p,
            Err(e) => panic!("{}", e.render()),
        }
    }

    #[test]
    fn tallies_changes_merges_and_keeps_examples_in_order() {
        let (old, new) = (policy("0.5"), policy("0.25"));
        let as_of = Date::parse("2026-01-01").expect("a date");
        let mut first = Impact::new(&old, &new);
        let line = |n: u64| move || Map::from_iter([("line".to_string(), json!(n))]);
        assert_eq!(
            first.case(
                &old,
                &new,
                r#"{"age": 30, "income": "100.00"}"#,
                as_of,
                line(1)
            ),
            CaseResult::Changed(1)
        );
        assert_eq!(
            first.case(
                &old,
                &new,
                r#"{"age": 10, "income": "100.00"}"#,
                as_of,
                line(2)
            ),
            CaseResult::Same
        );
        let mut second = Impact::new(&old, &new);
        assert_eq!(
            second.case(&old, &new, r#"{"age": "x"}"#, as_of, line(3)),
            CaseResult::Error
        );
        second.case(
            &old,
            &new,
            r#"{"age": 40, "income": "10.01"}"#,
            as_of,
            line(4),
        );
        first.merge(second);
        let j = first.to_json();
        assert_eq!(j["cases"], 4);
        assert_eq!(j["errors"], json!({"old": 1, "new": 1}));
        assert_eq!(j["decisions"]["award"]["changed"], 2);
        // 50.00 -> 25.00 and 5.01 (5.005 rounded half away) -> 2.50 (2.5025)
        assert_eq!(j["decisions"]["award"]["total_delta"], "-27.51");
        assert_eq!(j["decisions"]["award"]["decreased"], 2);
        assert_eq!(j["decisions"]["eligible"]["transitions"], json!({}));
        let lines: Vec<_> = j["examples"]
            .as_array()
            .expect("examples")
            .iter()
            .map(|e| e["line"].clone())
            .collect();
        assert_eq!(lines, vec![json!(1), json!(4)]);
    }

    #[test]
    fn buckets_are_signed_powers_of_two() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(1), 1);
        assert_eq!(bucket(3), 2);
        assert_eq!(bucket(-4), -3);
    }
}
