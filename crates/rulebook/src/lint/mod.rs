//! `rulebook lint` (LANGUAGE.md section 13): the policy's own mistakes,
//! proved over every input rather than guessed.
//!
//! The dates are cut into spans on which every param has one value and
//! every clause is in force or not ([`spans`]); in each, the questions
//! ("can any input reach this clause?", "can this require be false?", "can
//! this divisor be zero?") are translated into formulas over integers
//! (`formula`) and decided (`solve`). A claim about every input is made
//! only when the procedure proves it; a claim about one input shows that
//! input, and is made only after the reference interpreter, run on it,
//! agrees. Where the procedure cannot decide (products of facts, list
//! aggregations), the lint says nothing.

mod formula;
mod solve;
pub(crate) mod unused;
mod warning;

use unused::{line_span, unused};
pub use warning::LintWarning;

use crate::ast::Span;
use crate::diff::NoSource;
use crate::num;
use crate::outcome::EvalError;
use crate::policy::Policy;
use crate::program::{ArithOp, Body, Clause, Expr, ExprKind, Program, Type};
use formula::{Meaning, Translator};
use serde_json::{json, Map, Value as Json};
use solve::{solve, Solution, F};
use std::collections::{BTreeMap, BTreeSet};

/// The names of the warnings `lint` gives (docs/lint.md has each).
pub const WARNINGS: &[&str] = &[
    "unreachable-clause",
    "unreachable-otherwise",
    "require-always-true",
    "require-never-true",
    "unused-input",
    "unused-param",
    "unused-define",
    "param-before-first-value",
    "division-by-zero",
];

/// Every warning of section 13 for `policy`, in source order, except those
/// silenced by `# lint: allow(NAME)` on their line.
pub fn lint(policy: &Policy) -> Result<Vec<LintWarning>, NoSource> {
    let p = policy
        .program()
        .ok_or_else(|| NoSource(policy.path().to_string()))?;
    let spans = spans(p);
    let mut out = Vec::new();
    out.extend(unused(p, policy.source()));
    for d in &p.decisions {
        match &d.body {
            Body::Whens(cs) => out.extend(unreachable(p, policy.source(), &spans, cs)),
            Body::Requires(cs) => out.extend(requires(p, &spans, &d.name, cs)),
            Body::Expr(_) => {}
        }
    }
    out.extend(params_before_first_value(p));
    out.extend(divisions(policy, p, &spans));
    let source = policy.source();
    out.retain(|w| !allowed(source, w.span.start, w.name));
    // a condition's span may run on over the blanks after it
    for w in &mut out {
        let text = source.get(w.span.start..w.span.end).unwrap_or("");
        w.span.end = w.span.start + text.trim_end().len();
    }
    out.sort_by_key(|w| w.span.start);
    Ok(out)
}

/// Whether the line holding `offset` says `# lint: allow(NAME)` for `name`.
fn allowed(source: &str, offset: usize, name: &str) -> bool {
    let start = source[..offset.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line = &source[start..end];
    line.match_indices("lint: allow(").any(|(i, m)| {
        let rest = &line[i + m.len()..];
        rest.split(')')
            .next()
            .is_some_and(|names| names.split(',').any(|n| n.trim() == name))
    })
}

/// The spans of dates, first and last day, on which every param has one
/// value and every clause is in force or not.
fn spans(p: &Program) -> Vec<(i32, i32)> {
    let mut cuts: BTreeSet<i32> = BTreeSet::new();
    for param in &p.params {
        cuts.extend(param.values.iter().filter_map(|(from, _)| *from));
    }
    for d in &p.decisions {
        if let Body::Requires(cs) | Body::Whens(cs) = &d.body {
            for c in cs {
                cuts.extend(c.from);
                cuts.extend(c.until);
            }
        }
    }
    let mut out = Vec::new();
    let mut lo = i32::MIN;
    for cut in cuts {
        if cut > lo {
            out.push((lo, cut - 1));
            lo = cut;
        }
    }
    out.push((lo, i32::MAX));
    out
}

/// Whether the formula has no solution: proved (Unknown is not).
fn never(t: &mut Translator, f: F) -> bool {
    let q = t.question(f);
    solve(&q, &t.domains) == Solution::Unsat
}

/// The clause's condition as written, for messages.
fn shown(c: &Clause) -> String {
    format!("`{}`", c.text)
}

fn unreachable(p: &Program, source: &str, spans: &[(i32, i32)], cs: &[Clause]) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let live: Vec<(i32, i32)> = spans.iter().copied().filter(|s| c.active(s.0)).collect();
        if live.is_empty() {
            continue; // never in force: the checker's business
        }
        let unreached = live.iter().all(|s| {
            let mut t = Translator::new(p, *s);
            let taken = t.taken(cs, i);
            never(&mut t, taken)
        });
        if !unreached {
            continue;
        }
        let span = match &c.cond {
            Some(cond) => cond.span,
            // the `otherwise` keyword
            None => {
                let line = line_span(p, source, c.line);
                Span::new(line.start, (line.start + "otherwise".len()).min(line.end))
            }
        };
        let dated = if c.from.is_some() || c.until.is_some() {
            " on any date it is in force"
        } else {
            ""
        };
        let Some(cond) = &c.cond else {
            let lines = earlier_lines(cs, i);
            out.push(LintWarning {
                name: "unreachable-otherwise",
                span,
                message: format!(
                    "the `otherwise` is never reached{dated}: the clauses before it (line{} {}) take every input",
                    if lines.len() == 1 { "" } else { "s" },
                    join_lines(&lines)
                ),
                example: None,
            });
            continue;
        };
        let impossible = live.iter().all(|s| {
            let mut t = Translator::new(p, *s);
            let f = t.boolean(cond, true);
            never(&mut t, f)
        });
        let message = if impossible {
            format!(
                "no input reaches this clause{dated}: no input makes {} true",
                shown(c)
            )
        } else {
            // one earlier clause that takes every input this one would
            let covering = cs.iter().take(i).find(|e| {
                let Some(ec) = &e.cond else { return false };
                live.iter().all(|s| {
                    let mut t = Translator::new(p, *s);
                    let own = t.boolean(cond, true);
                    let other = if t.active(e) {
                        t.boolean(ec, false)
                    } else {
                        F::True
                    };
                    never(&mut t, F::and(vec![own, other]))
                })
            });
            match covering {
                Some(e) => format!(
                    "no input reaches this clause{dated}: every input with {} also has {}, taken by line {}",
                    shown(c),
                    shown(e),
                    e.line
                ),
                None => {
                    let lines = earlier_lines(cs, i);
                    format!(
                        "no input reaches this clause{dated}: the clauses before it (line{} {}) take every input with {}",
                        if lines.len() == 1 { "" } else { "s" },
                        join_lines(&lines),
                        shown(c)
                    )
                }
            }
        };
        out.push(LintWarning {
            name: "unreachable-clause",
            span: cond.span,
            message,
            example: None,
        });
    }
    out
}

fn earlier_lines(cs: &[Clause], i: usize) -> Vec<u32> {
    cs.iter().take(i).map(|c| c.line).collect()
}

fn join_lines(lines: &[u32]) -> String {
    lines
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn requires(p: &Program, spans: &[(i32, i32)], decision: &str, cs: &[Clause]) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for c in cs {
        let Some(cond) = &c.cond else { continue };
        let live: Vec<(i32, i32)> = spans.iter().copied().filter(|s| c.active(s.0)).collect();
        if live.is_empty() {
            continue;
        }
        let dated = if c.from.is_some() || c.until.is_some() {
            " on any date it is in force"
        } else {
            ""
        };
        let cannot = |truth: bool| {
            live.iter().all(|s| {
                let mut t = Translator::new(p, *s);
                let f = t.boolean(cond, truth);
                never(&mut t, f)
            })
        };
        if cannot(false) {
            out.push(LintWarning {
                name: "require-always-true",
                span: cond.span,
                message: format!(
                    "no input makes {} false{dated}: this requirement never fails, so it checks nothing",
                    shown(c)
                ),
                example: None,
            });
        } else if cannot(true) {
            out.push(LintWarning {
                name: "require-never-true",
                span: cond.span,
                message: format!(
                    "no input makes {} true{dated}: `{decision}` is false for every input",
                    shown(c)
                ),
                example: None,
            });
        }
    }
    out
}

fn params_before_first_value(p: &Program) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for d in &p.decisions {
        let (Body::Requires(cs) | Body::Whens(cs)) = &d.body else {
            continue;
        };
        for c in cs {
            let Some(from) = c.from else { continue };
            let mut stack: Vec<&Expr> = c.cond.iter().chain(c.value.iter()).collect();
            let mut seen = BTreeSet::new();
            while let Some(e) = stack.pop() {
                e.push_children(&mut stack);
                let ExprKind::Param(i) = e.kind else { continue };
                let Some(param) = p.params.get(i) else {
                    continue;
                };
                let Some((Some(first), _)) = param.values.first() else {
                    continue;
                };
                if from < *first && seen.insert(i) {
                    out.push(LintWarning {
                        name: "param-before-first-value",
                        span: e.span,
                        message: format!(
                            "this clause is in force from {} but param `{}` has no value before {}: evaluations on dates from {} to {} fail",
                            num::format_date(from),
                            param.name,
                            num::format_date(*first),
                            num::format_date(from),
                            num::format_date(first - 1),
                        ),
                        example: None,
                    });
                }
            }
        }
    }
    out
}

/// The `when` clause (its decision's clauses and its index) whose value an
/// expression is part of, if any.
type TakenIn<'p> = Option<(&'p [Clause], usize)>;

/// Every division whose divisor some input makes zero, with that input,
/// confirmed by the interpreter.
fn divisions(policy: &Policy, p: &Program, spans: &[(i32, i32)]) -> Vec<LintWarning> {
    let mut out = Vec::new();
    // each top expression with the `when` clause whose value it is (the
    // division then happens only where that clause is taken)
    let mut tops: Vec<(&Expr, TakenIn)> = p.defines.iter().map(|d| (&d.expr, None)).collect();
    for d in &p.decisions {
        match &d.body {
            Body::Expr(e) => tops.push((e, None)),
            Body::Requires(cs) => {
                tops.extend(cs.iter().filter_map(|c| c.cond.as_ref()).map(|e| (e, None)))
            }
            Body::Whens(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    tops.extend(c.cond.iter().map(|e| (e, None)));
                    tops.extend(c.value.iter().map(|e| (e, Some((cs.as_slice(), i)))));
                }
            }
        }
    }
    let mut found: Vec<(&Expr, TakenIn)> = Vec::new();
    for (top, context) in tops {
        let mut stack = vec![top];
        while let Some(e) = stack.pop() {
            if let ExprKind::Arith(op, _, b) = &e.kind {
                let divides = matches!(
                    op,
                    ArithOp::DivInt
                        | ArithOp::DivDec
                        | ArithOp::DivMoneyDec
                        | ArithOp::DivMoneyMoney
                        | ArithOp::DivMoneyInt
                );
                // a constant divisor is the checker's: only facts can make zero
                if divides && !matches!(b.kind, ExprKind::Const(_)) {
                    found.push((e, context));
                }
            }
            e.push_children(&mut stack);
        }
    }
    let divisors: Vec<&Expr> = found
        .iter()
        .filter_map(|(e, _)| match &e.kind {
            ExprKind::Arith(_, _, b) => Some(&**b),
            _ => None,
        })
        .collect();
    for (k, (e, context)) in found.iter().enumerate() {
        let Some(divisor) = divisors.get(k) else {
            continue;
        };
        let line = p.line_of(e.span.start);
        // The interpreter names the line of a division by zero, not the
        // division: with another division on the same line, its failure
        // could be that one's (in a branch this one is not even in), so
        // nothing is claimed.
        let sharing = found
            .iter()
            .filter(|(other, _)| p.line_of(other.span.start) == line)
            .count();
        if sharing > 1 {
            continue;
        }
        // an input that zeroes this divisor and, first, no other one (the
        // evaluation stops at the first failure); then any that zeroes it
        let example = spans.iter().find_map(|s| {
            [true, false].into_iter().find_map(|alone| {
                let mut t = Translator::new(p, *s);
                let mut parts = vec![F::Eq(t.number(divisor))];
                if let Some((cs, i)) = context {
                    parts.push(t.taken(cs, *i));
                }
                if alone {
                    for (j, other) in divisors.iter().enumerate() {
                        if j != k {
                            parts.push(F::Ne(t.number(other)));
                        }
                    }
                }
                let q = t.question(F::and(parts));
                let Solution::Model(model) = solve(&q, &t.domains) else {
                    return None;
                };
                let (as_of, input) = witness(&t, p, &model)?;
                let facts = policy.parse_facts(&input.to_string()).ok()?;
                match crate::interp::evaluate(p, &facts, as_of) {
                    Err(EvalError::DivisionByZero { line: l, .. }) if l == line => {
                        Some((as_of, input))
                    }
                    _ => None,
                }
            })
        });
        if let Some((as_of, input)) = example {
            out.push(LintWarning {
                name: "division-by-zero",
                span: divisor.span,
                message: format!(
                    "this divisor is zero for some inputs, and the evaluation fails: for example {input} on {}",
                    num::format_date(as_of)
                ),
                example: Some(json!({"as_of": num::format_date(as_of), "input": input})),
            });
        }
    }
    out
}

/// A model written back as a date and facts: every top-level input that is
/// not a list, with the model's value (or a plain one where the model
/// leaves it free), lists empty.
fn witness(t: &Translator, p: &Program, model: &BTreeMap<usize, i128>) -> Option<(i32, Json)> {
    let mut values: BTreeMap<usize, i128> = BTreeMap::new();
    let mut as_of = t
        .span
        .0
        .max(t.span.1.min(num::days_from_civil(2026, 1, 1)?));
    for (v, x) in model {
        match t.meaning(*v)? {
            Meaning::Input(i) => {
                values.insert(*i, *x);
            }
            Meaning::AsOf => as_of = i32::try_from(*x).ok()?,
            Meaning::Other => {}
        }
    }
    let mut input = Map::new();
    for (i, f) in p.schema.fields.iter().enumerate() {
        let x = values.get(&i).copied().unwrap_or(0);
        let value = match &f.ty {
            Type::Bool => json!(x != 0),
            Type::Int => json!(i64::try_from(x).ok()?),
            Type::Money => json!(crate::num::format_scaled(x, 100)),
            Type::Decimal => json!(crate::num::format_scaled(x, 1_000_000)),
            Type::Date => json!(num::format_date(i32::try_from(x).ok()?)),
            Type::Enum(vs) => json!(vs.get(usize::try_from(x).ok()?)?),
            Type::Text => match t.text_of(x) {
                Some(s) => json!(s),
                None => json!(format!("text {x}")),
            },
            Type::List(_) => json!([]),
            Type::Record(_) | Type::Error => return None,
        };
        input.insert(f.name.clone(), value);
    }
    Some((as_of, Json::Object(input)))
}
