//! Which question next: a small decision tree over the three-valued results.
//!
//! The candidates are the absent facts that an undecided decision of some
//! policy still needs (its `missing` set). For each candidate the policies
//! declaring it are evaluated on every candidate answer (`reps`), and the
//! answers that leave every policy in the same state (each decision known
//! or not, bool values, missing sets) are one branch. The expected number
//! of questions still to ask after a state is then
//!
//! ```text
//! cost(state) = 0                                       no candidate left
//!             = min over candidates x of
//!                 1 + mean over branches b of x: cost(state + b)
//! ```
//!
//! computed exactly where the tree is small, and otherwise to the depth a
//! budget of hypothetical evaluations allows (iterative deepening), with
//! the number of candidates left as the estimate below that depth. States
//! reached by answering the same facts in another order are one node.

use super::{convert, Interview};
use crate::facts::FactValue;
use crate::facts::Facts;
use crate::num::Date;
use crate::outcome::{Outcome, Value};
use crate::policy::Engine;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// One policy's state: a fingerprint of its decisions, and the interview
/// facts (entry indices, ascending) its undecided decisions still need.
#[derive(Debug)]
struct Summary {
    sig: u64,
    needs: Vec<usize>,
}

/// Answers assumed so far: (entry, candidate answer), sorted.
type Key = Vec<(u32, u32)>;

#[derive(Debug)]
struct Node {
    summaries: Vec<Rc<Summary>>,
    /// Entries worth asking here, in catalogue order.
    cands: Vec<usize>,
}

pub(super) struct Chooser<'a> {
    iv: &'a Interview,
    base: &'a [Facts],
    asked: &'a [bool],
    /// Absent facts read through `known()` that would change a decision,
    /// with the policies they would change: candidates at every node.
    optional: &'a [(usize, Vec<usize>)],
    reps: &'a [Vec<FactValue>],
    as_of: Date,
    /// Per policy: for each fact id, the entry of its top-level field.
    entry_of_fact: Vec<Vec<usize>>,
    nodes: HashMap<Key, Rc<Node>>,
    /// The branches (child keys) of asking an entry at a node.
    branches: HashMap<(Key, usize), Rc<Vec<Key>>>,
    values: HashMap<(Key, usize), f64>,
    /// Each policy's summary under the answers of a key restricted to the
    /// facts it declares (so two keys differing only in another policy's
    /// facts share one evaluation); None when the evaluation failed.
    summaries: HashMap<(usize, Key), Option<Rc<Summary>>>,
    evals: usize,
    budget: usize,
}

impl<'a> Chooser<'a> {
    pub(super) fn new(
        iv: &'a Interview,
        base: &'a [Facts],
        outcomes: &[Outcome],
        asked: &'a [bool],
        optional: &'a [(usize, Vec<usize>)],
        reps: &'a [Vec<FactValue>],
        as_of: Date,
    ) -> Chooser<'a> {
        let entry_of_fact = iv
            .policies
            .iter()
            .enumerate()
            .map(|(pi, p)| {
                let meta = p.meta();
                let mut out = vec![usize::MAX; meta.fact_paths.len()];
                for (fi, f) in meta.input.fields.iter().enumerate() {
                    let entry = iv
                        .entries
                        .iter()
                        .position(|e| e.slots.get(pi).copied().flatten() == Some(fi))
                        .unwrap_or(usize::MAX);
                    let end = meta
                        .input
                        .fields
                        .get(fi + 1)
                        .map_or(out.len(), |g| g.fact as usize);
                    for slot in out.iter_mut().take(end).skip(f.fact as usize) {
                        *slot = entry;
                    }
                }
                out
            })
            .collect();
        let mut c = Chooser {
            iv,
            base,
            asked,
            optional,
            reps,
            as_of,
            entry_of_fact,
            nodes: HashMap::new(),
            branches: HashMap::new(),
            values: HashMap::new(),
            summaries: HashMap::new(),
            evals: 0,
            budget: 0,
        };
        let summaries = outcomes
            .iter()
            .enumerate()
            .map(|(pi, o)| Rc::new(c.summarize(pi, o)))
            .collect();
        let root = c.node(Vec::new(), summaries);
        c.nodes.insert(Vec::new(), root);
        c
    }

    /// The policies whose undecided decisions need entry `e` now.
    pub(super) fn needing(&self, e: usize) -> Vec<String> {
        let Some(root) = self.nodes.get(&Vec::new()) else {
            return Vec::new();
        };
        let optional = self.optional.iter().find(|(o, _)| *o == e);
        root.summaries
            .iter()
            .zip(&self.iv.policies)
            .enumerate()
            .filter(|(pi, (s, _))| {
                s.needs.binary_search(&e).is_ok() || optional.is_some_and(|(_, ps)| ps.contains(pi))
            })
            .map(|(_, (_, p))| p.name().to_string())
            .collect()
    }

    /// Every entry worth asking now, best first, looking ahead as far as
    /// `budget` hypothetical evaluations allow (at least one answer deep).
    pub(super) fn rank(&mut self, budget: usize) -> Vec<usize> {
        let cands = match self.nodes.get(&Vec::new()) {
            Some(root) => root.cands.clone(),
            None => return Vec::new(),
        };
        if budget == 0 || cands.len() <= 1 {
            return cands;
        }
        let mut scores: Vec<f64> = Vec::new();
        // the evaluations the last finished depth took (depth 0: one per candidate)
        let mut last_cost = cands.len();
        for depth in 1..=cands.len() {
            // The first depth is always finished. A deeper one is started
            // only when it is expected to fit the budget, its cost guessed
            // from the growth between the last two depths; should the guess
            // be wrong, it is abandoned at twice the budget.
            let before = self.evals;
            self.budget = if depth == 1 {
                usize::MAX
            } else {
                budget.saturating_mul(2)
            };
            let mut these = Vec::with_capacity(cands.len());
            let mut finished = true;
            for &c in &cands {
                match self.ask(&Vec::new(), c, depth) {
                    Some(v) => these.push(v),
                    None => {
                        finished = false;
                        break;
                    }
                }
            }
            if !finished {
                break;
            }
            scores = these;
            let cost = self.evals - before;
            let expected = cost.saturating_mul(cost) / last_cost.max(1);
            if self.evals.saturating_add(expected) > budget {
                break;
            }
            last_cost = cost.max(1);
        }
        let mut order: Vec<(f64, usize)> = scores.into_iter().zip(cands).collect();
        // stable: ties keep the catalogue's order
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        order.into_iter().map(|(_, c)| c).collect()
    }

    /// Expected questions from node `key` on, looking `depth` answers ahead;
    /// None once over budget.
    fn value(&mut self, key: &Key, depth: usize) -> Option<f64> {
        let node = self.nodes.get(key)?.clone();
        if node.cands.is_empty() {
            return Some(0.0);
        }
        if depth == 0 {
            return Some(node.cands.len() as f64);
        }
        if let Some(v) = self.values.get(&(key.clone(), depth)) {
            return Some(*v);
        }
        let mut best = f64::INFINITY;
        for &c in &node.cands {
            let v = self.ask(key, c, depth)?;
            if v < best {
                best = v;
            }
        }
        self.values.insert((key.clone(), depth), best);
        Some(best)
    }

    /// Expected questions when entry `c` is asked at node `key` (counting it).
    fn ask(&mut self, key: &Key, c: usize, depth: usize) -> Option<f64> {
        let children = self.children(key, c)?;
        if children.is_empty() {
            // no answer could be evaluated: count the question and what is left
            let left = self.nodes.get(key).map_or(1, |n| n.cands.len());
            return Some(left as f64);
        }
        let mut sum = 0.0;
        for child in children.iter() {
            sum += self.value(child, depth - 1)?;
        }
        Some(1.0 + sum / children.len() as f64)
    }

    /// The branches of asking `c` at `key`: one child per distinct state.
    fn children(&mut self, key: &Key, c: usize) -> Option<Rc<Vec<Key>>> {
        if let Some(b) = self.branches.get(&(key.clone(), c)) {
            return Some(b.clone());
        }
        let parent = self.nodes.get(key)?.clone();
        let mut seen: Vec<u64> = Vec::new();
        let mut out = Vec::new();
        let n_reps = self.reps.get(c).map_or(0, Vec::len);
        for r in 0..n_reps {
            if self.evals > self.budget {
                return None;
            }
            let mut child: Key = key.clone();
            child.push((c as u32, r as u32));
            child.sort_unstable();
            let mut summaries = parent.summaries.clone();
            let mut failed = false;
            for (pi, slot) in self.iv.entries[c].slots.iter().enumerate() {
                if slot.is_none() {
                    continue;
                }
                match self.summary(pi, &child) {
                    Some(s) => summaries[pi] = s,
                    None => failed = true,
                }
            }
            if failed {
                continue;
            }
            let mut h = DefaultHasher::new();
            for s in &summaries {
                s.sig.hash(&mut h);
            }
            let sig = h.finish();
            if seen.contains(&sig) {
                continue;
            }
            seen.push(sig);
            if !self.nodes.contains_key(&child) {
                let node = self.node(child.clone(), summaries);
                self.nodes.insert(child.clone(), node);
            }
            out.push(child);
        }
        let out = Rc::new(out);
        self.branches.insert((key.clone(), c), out.clone());
        Some(out)
    }

    fn node(&self, key: Key, summaries: Vec<Rc<Summary>>) -> Rc<Node> {
        let assumed = |e: usize| key.iter().any(|&(k, _)| k as usize == e);
        let mut cands: Vec<usize> = summaries
            .iter()
            .flat_map(|s| s.needs.iter().copied())
            .chain(self.optional.iter().map(|(e, _)| *e))
            .filter(|&e| !self.asked.get(e).copied().unwrap_or(true) && !assumed(e))
            .collect();
        cands.sort_unstable();
        cands.dedup();
        Rc::new(Node { summaries, cands })
    }

    /// Policy `pi`'s summary under the answers of `key`, evaluated once
    /// per distinct answers to its own facts; None when evaluation fails.
    fn summary(&mut self, pi: usize, key: &Key) -> Option<Rc<Summary>> {
        let own: Key = key
            .iter()
            .copied()
            .filter(|&(e, _)| {
                self.iv
                    .entries
                    .get(e as usize)
                    .is_some_and(|en| en.slots.get(pi).copied().flatten().is_some())
            })
            .collect();
        if let Some(s) = self.summaries.get(&(pi, own.clone())) {
            return s.clone();
        }
        let s = self
            .evaluate(pi, &own)
            .map(|o| Rc::new(self.summarize(pi, &o)));
        self.summaries.insert((pi, own), s.clone());
        s
    }

    /// Policy `pi` evaluated on its facts with the answers of `key`; None
    /// when the evaluation fails (such an answer is not tried).
    fn evaluate(&mut self, pi: usize, key: &Key) -> Option<Outcome> {
        self.evals += 1;
        let p = self.iv.policies.get(pi)?;
        let mut facts = self.base.get(pi)?.clone();
        let fields = &p.meta().input.fields;
        for &(e, r) in key {
            let entry = self.iv.entries.get(e as usize)?;
            let Some(slot) = entry.slots.get(pi).copied().flatten() else {
                continue;
            };
            let home = &self.iv.policies.get(entry.home)?.meta().input.fields;
            let from = &home
                .get(entry.slots.get(entry.home).copied().flatten()?)?
                .ty;
            let v = self.reps.get(e as usize)?.get(r as usize)?;
            let v = convert(v, from, &fields.get(slot)?.ty)?;
            *facts.values.get_mut(slot)? = Some(v);
        }
        // the module where it is already loaded (a service), else the
        // interpreter: loading a module costs more than a `next` saves
        let engine = if p.is_loaded() || p.program().is_none() {
            Engine::Wasm
        } else {
            Engine::Interpreter
        };
        p.evaluate_with(engine, &facts, self.as_of).ok()
    }

    fn summarize(&self, pi: usize, o: &Outcome) -> Summary {
        let mut h = DefaultHasher::new();
        let mut needs = Vec::new();
        let map = self.entry_of_fact.get(pi);
        for d in &o.decisions {
            match &d.value {
                Some(Value::Bool(b)) => (1u8, *b).hash(&mut h),
                Some(_) => (2u8, false).hash(&mut h),
                None => {
                    0u8.hash(&mut h);
                    d.missing.hash(&mut h);
                    for &f in &d.missing {
                        if let Some(&e) = map.and_then(|m| m.get(f)) {
                            if e != usize::MAX {
                                needs.push(e);
                            }
                        }
                    }
                }
            }
        }
        needs.sort_unstable();
        needs.dedup();
        Summary {
            sig: h.finish(),
            needs,
        }
    }
}
