//! Clause coverage: which provisions of a policy the test cases exercise.
//! Goals: every `require` seen true and seen false, every `when` clause (and
//! `otherwise`) taken, every decision seen unknown. Cases are traced through
//! the reference interpreter, which the differential tests keep identical to
//! the Wasm engine.

use super::Case;
use rulebook::__private::program::Body;
use rulebook::__private::{interp, program};
use rulebook::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalKind {
    RequireTrue,
    RequireFalse,
    WhenTaken,
    DecisionUnknown,
}

/// One thing a test suite should make happen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Goal {
    pub decision: String,
    pub kind: GoalKind,
    /// Clause index within the decision (None for DecisionUnknown).
    pub clause: Option<usize>,
    pub line: u32,
    /// The clause's condition text (`otherwise` for the default).
    pub text: String,
    pub source: Option<String>,
    pub covered: bool,
    /// Proved impossible by `rulebook lint` (a clause no input reaches, a
    /// require no input makes false or true): no case can cover it, and
    /// it does not count against coverage.
    pub unreachable: bool,
}

impl Goal {
    /// A line for the list of uncovered goals.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            GoalKind::RequireTrue => format!("require `{}` never seen true", self.text),
            GoalKind::RequireFalse => format!("require `{}` never seen false", self.text),
            GoalKind::WhenTaken if self.text == "otherwise" => {
                "`otherwise` never taken".to_string()
            }
            GoalKind::WhenTaken => format!("when `{}` never taken", self.text),
            GoalKind::DecisionUnknown => "never seen unknown".to_string(),
        };
        let what = if self.unreachable {
            format!("{what}: unreachable (rulebook lint proves no input can)")
        } else {
            what
        };
        match &self.source {
            Some(s) => format!("line {}: {}: {what} [{s}]", self.line, self.decision),
            None => format!("line {}: {}: {what}", self.line, self.decision),
        }
    }
}

/// Coverage of one policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub policy: String,
    pub goals: Vec<Goal>,
}

impl Coverage {
    /// Every goal of the policy, none covered yet.
    pub fn new(policy: &Policy) -> Coverage {
        let mut goals = Vec::new();
        if let Some(p) = program(policy) {
            for d in &p.decisions {
                match &d.body {
                    Body::Expr(_) => {}
                    Body::Requires(cs) => {
                        for (i, c) in cs.iter().enumerate() {
                            for kind in [GoalKind::RequireTrue, GoalKind::RequireFalse] {
                                goals.push(Goal {
                                    decision: d.name.clone(),
                                    kind,
                                    clause: Some(i),
                                    line: c.line,
                                    text: c.text.clone(),
                                    source: c.source.clone(),
                                    covered: false,
                                    unreachable: false,
                                });
                            }
                        }
                    }
                    Body::Whens(cs) => {
                        for (i, c) in cs.iter().enumerate() {
                            goals.push(Goal {
                                decision: d.name.clone(),
                                kind: GoalKind::WhenTaken,
                                clause: Some(i),
                                line: c.line,
                                text: if c.cond.is_some() {
                                    c.text.clone()
                                } else {
                                    "otherwise".into()
                                },
                                source: c.source.clone(),
                                covered: false,
                                unreachable: false,
                            });
                        }
                    }
                }
                goals.push(Goal {
                    decision: d.name.clone(),
                    kind: GoalKind::DecisionUnknown,
                    clause: None,
                    line: p.line_of(d.span.start),
                    text: String::new(),
                    source: None,
                    covered: false,
                    unreachable: false,
                });
            }
            mark_unreachable(policy, p, &mut goals);
        }
        Coverage {
            policy: policy.path().to_string(),
            goals,
        }
    }

    /// Traces one case and marks what it covered.
    pub(crate) fn record_case(&mut self, policy: &Policy, case: &Case) {
        let (Some(program), Ok(as_of), Ok(input)) =
            (program(policy), case.as_of(), case.input_text())
        else {
            return;
        };
        let Ok(facts) = policy.parse_facts(&input) else {
            return;
        };
        let (result, trace) = interp::evaluate_traced(program, &facts, as_of.0);
        let names: Vec<&str> = program.decisions.iter().map(|d| d.name.as_str()).collect();
        for g in &mut self.goals {
            let Some(d) = names.iter().position(|n| *n == g.decision) else {
                continue;
            };
            let hit = match (g.kind, g.clause) {
                (GoalKind::RequireTrue, Some(c)) => {
                    trace.conditions[d].get(c) == Some(&Some(Some(true)))
                }
                (GoalKind::RequireFalse, Some(c)) => {
                    trace.conditions[d].get(c) == Some(&Some(Some(false)))
                }
                (GoalKind::WhenTaken, Some(c)) => trace.chosen.get(d) == Some(&Some(c)),
                (GoalKind::DecisionUnknown, _) => result
                    .as_ref()
                    .is_ok_and(|o| o.decisions.get(d).is_some_and(|x| x.value.is_none())),
                _ => false,
            };
            g.covered |= hit;
        }
    }

    /// Adds what another run of the same policy covered.
    pub fn merge(&mut self, other: &Coverage) {
        for (g, o) in self.goals.iter_mut().zip(&other.goals) {
            g.covered |= o.covered;
        }
    }

    pub fn covered(&self) -> usize {
        self.goals.iter().filter(|g| g.covered).count()
    }

    /// Goals a case could cover (those lint proves impossible left out).
    pub fn reachable(&self) -> usize {
        self.goals.iter().filter(|g| !g.unreachable).count()
    }

    /// Covered goals as a percentage of the reachable ones (100 when
    /// there are none).
    pub fn percent(&self) -> f64 {
        match self.reachable() {
            0 => 100.0,
            n => 100.0 * self.covered() as f64 / n as f64,
        }
    }

    /// Reachable goals no case covered.
    pub fn uncovered(&self) -> impl Iterator<Item = &Goal> {
        self.goals.iter().filter(|g| !g.covered && !g.unreachable)
    }

    /// Goals lint proves no case can cover.
    pub fn unreachable(&self) -> impl Iterator<Item = &Goal> {
        self.goals.iter().filter(|g| g.unreachable)
    }
}

/// Marks the goals `rulebook lint` proves impossible.
fn mark_unreachable(policy: &Policy, p: &program::Program, goals: &mut [Goal]) {
    // a policy without its source has no program, so no goals either
    let Ok(warnings) = rulebook::lint(policy) else {
        return;
    };
    for w in warnings {
        let line = p.line_of(w.span.start);
        let kinds: &[GoalKind] = match w.name {
            "unreachable-clause" | "unreachable-otherwise" => &[GoalKind::WhenTaken],
            "require-always-true" => &[GoalKind::RequireFalse],
            "require-never-true" => &[GoalKind::RequireTrue],
            _ => continue,
        };
        for g in goals.iter_mut() {
            if g.line == line && kinds.contains(&g.kind) {
                g.unreachable = true;
            }
        }
    }
}
