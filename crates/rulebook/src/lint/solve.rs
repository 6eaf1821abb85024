//! The decision procedure under `rulebook lint`: satisfiability of a
//! formula over integer variables built from linear (in)equalities with
//! `and` and `or` (negation already pushed into the atoms).
//!
//! A search splits on disjunctions, pruning a branch as soon as the bounds
//! of single variables contradict each other; each complete branch (a
//! conjunction of linear constraints) is decided by bounds for single
//! variables (with the points `!=` excludes) and Fourier–Motzkin
//! elimination, tightened for integers, for the rest. `Unsat` is a proof:
//! elimination over the rationals only drops integer solutions it cannot
//! see, never adds contradictions. `Model` comes with a model that every
//! atom was checked against. Anything the procedure cannot settle within
//! its budget (too many branches or constraints, coefficients past i128,
//! a rational solution with no integer one found) is `Unknown`, and the
//! lint says nothing about it.

use std::collections::{BTreeMap, BTreeSet};

/// A variable: an input's value, a param's, or one introduced for an
/// expression the procedure abstracts.
pub type Var = usize;

/// `sum(coef * var) + constant`, terms sorted by variable, no zero coefficient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lin {
    pub terms: Vec<(Var, i128)>,
    pub k: i128,
}

impl Lin {
    pub fn constant(k: i128) -> Lin {
        Lin {
            terms: Vec::new(),
            k,
        }
    }

    pub fn var(v: Var) -> Lin {
        Lin {
            terms: vec![(v, 1)],
            k: 0,
        }
    }

    pub fn as_constant(&self) -> Option<i128> {
        self.terms.is_empty().then_some(self.k)
    }

    /// `a * self + b * other`, or None past i128.
    pub fn combine(&self, a: i128, other: &Lin, b: i128) -> Option<Lin> {
        let mut map: BTreeMap<Var, i128> = BTreeMap::new();
        for (v, c) in &self.terms {
            *map.entry(*v).or_default() = c.checked_mul(a)?;
        }
        for (v, c) in &other.terms {
            let e = map.entry(*v).or_default();
            *e = e.checked_add(c.checked_mul(b)?)?;
        }
        Some(Lin {
            terms: map.into_iter().filter(|(_, c)| *c != 0).collect(),
            k: self
                .k
                .checked_mul(a)?
                .checked_add(other.k.checked_mul(b)?)?,
        })
    }

    pub fn add(&self, other: &Lin) -> Option<Lin> {
        self.combine(1, other, 1)
    }

    pub fn sub(&self, other: &Lin) -> Option<Lin> {
        self.combine(1, other, -1)
    }

    pub fn scale(&self, a: i128) -> Option<Lin> {
        self.combine(a, &Lin::default(), 0)
    }

    fn coef(&self, v: Var) -> i128 {
        self.terms
            .iter()
            .find(|(w, _)| *w == v)
            .map_or(0, |(_, c)| *c)
    }

    /// Its value under `model` (unassigned variables are 0).
    pub fn value(&self, model: &BTreeMap<Var, i128>) -> Option<i128> {
        let mut sum = self.k;
        for (v, c) in &self.terms {
            sum = sum.checked_add(c.checked_mul(model.get(v).copied().unwrap_or(0))?)?;
        }
        Some(sum)
    }
}

/// A formula in negation normal form.
#[derive(Debug, Clone)]
pub enum F {
    True,
    False,
    /// `lin <= 0`
    Le(Lin),
    /// `lin == 0`
    Eq(Lin),
    /// `lin != 0`
    Ne(Lin),
    And(Vec<F>),
    Or(Vec<F>),
}

impl F {
    pub fn and(parts: Vec<F>) -> F {
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                F::True => {}
                F::False => return F::False,
                F::And(inner) => out.extend(inner),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => F::True,
            1 => out.pop().unwrap_or(F::True),
            _ => F::And(out),
        }
    }

    pub fn or(parts: Vec<F>) -> F {
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                F::False => {}
                F::True => return F::True,
                F::Or(inner) => out.extend(inner),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => F::False,
            1 => out.pop().unwrap_or(F::False),
            _ => F::Or(out),
        }
    }
}

/// What the procedure found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Solution {
    /// No integer assignment satisfies the formula.
    Unsat,
    /// This one does (variables not named are 0).
    Model(BTreeMap<Var, i128>),
    /// Not settled within the budget.
    Unknown,
}

/// Limits of one question.
const MAX_BRANCHES: usize = 20_000;
const MAX_CONSTRAINTS: usize = 400;

/// Whether `f` has an integer solution with every variable in its domain
/// (`domains`: inclusive bounds of the variables that have them).
pub fn solve(f: &F, domains: &BTreeMap<Var, (i128, i128)>) -> Solution {
    let mut search = Search {
        branches: 0,
        gave_up: false,
    };
    let mut state = Branch::default();
    for (v, (lo, hi)) in domains {
        state.bound(*v, Some(*lo), Some(*hi));
    }
    let result = search.run(state, vec![f]);
    match result {
        Some(model) => Solution::Model(model),
        None if search.gave_up => Solution::Unknown,
        None => Solution::Unsat,
    }
}

struct Search {
    branches: usize,
    gave_up: bool,
}

/// The constraints of one branch: bounds and excluded points of single
/// variables, and the constraints over several.
#[derive(Debug, Clone, Default)]
struct Branch {
    lo: BTreeMap<Var, i128>,
    hi: BTreeMap<Var, i128>,
    excluded: BTreeMap<Var, BTreeSet<i128>>,
    /// `lin <= 0` over two or more variables.
    multi: Vec<Lin>,
    /// `lin != 0` over two or more variables (checked on the model only).
    multi_ne: Vec<Lin>,
    /// Found contradictory.
    dead: bool,
}

fn floor_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b) - i128::from(b < 0 && a.rem_euclid(b) != 0)
}

fn ceil_div(a: i128, b: i128) -> i128 {
    -floor_div(-a, b)
}

impl Branch {
    fn bound(&mut self, v: Var, lo: Option<i128>, hi: Option<i128>) {
        if let Some(l) = lo {
            let e = self.lo.entry(v).or_insert(l);
            *e = (*e).max(l);
        }
        if let Some(h) = hi {
            let e = self.hi.entry(v).or_insert(h);
            *e = (*e).min(h);
        }
        if let (Some(l), Some(h)) = (self.lo.get(&v), self.hi.get(&v)) {
            if l > h {
                self.dead = true;
            } else if let Some(ex) = self.excluded.get(&v) {
                // every point of a narrow range excluded
                if h - l < 64 && (*l..=*h).all(|x| ex.contains(&x)) {
                    self.dead = true;
                }
            }
        }
    }

    /// Adds `lin <= 0`.
    fn le(&mut self, lin: Lin) {
        match lin.terms.as_slice() {
            [] => {
                if lin.k > 0 {
                    self.dead = true;
                }
            }
            [(v, c)] => {
                // c*v <= -k
                if *c > 0 {
                    self.bound(*v, None, Some(floor_div(-lin.k, *c)));
                } else {
                    self.bound(*v, Some(ceil_div(-lin.k, *c)), None);
                }
            }
            _ => self.multi.push(lin),
        }
    }

    fn eq(&mut self, lin: Lin) {
        if let [(v, c)] = lin.terms.as_slice() {
            if lin.k % c != 0 {
                self.dead = true;
                return;
            }
            let x = -lin.k / c;
            self.bound(*v, Some(x), Some(x));
            return;
        }
        if lin.terms.is_empty() {
            if lin.k != 0 {
                self.dead = true;
            }
            return;
        }
        match lin.scale(-1) {
            Some(neg) => {
                self.multi.push(lin);
                self.multi.push(neg);
            }
            // past i128: keep one side (weaker, so still sound)
            None => self.multi.push(lin),
        }
    }

    fn ne(&mut self, lin: Lin) {
        match lin.terms.as_slice() {
            [] => {
                if lin.k == 0 {
                    self.dead = true;
                }
            }
            [(v, c)] => {
                if lin.k % c == 0 {
                    let x = -lin.k / c;
                    self.excluded.entry(*v).or_default().insert(x);
                    self.bound(*v, None, None);
                }
            }
            _ => self.multi_ne.push(lin),
        }
    }
}

impl Search {
    /// A model of the branch with `pending` still to satisfy, or None.
    fn run(&mut self, mut b: Branch, mut pending: Vec<&F>) -> Option<BTreeMap<Var, i128>> {
        while let Some(f) = pending.pop() {
            if b.dead {
                return None;
            }
            match f {
                F::True => {}
                F::False => return None,
                F::Le(l) => b.le(l.clone()),
                F::Eq(l) => b.eq(l.clone()),
                F::Ne(l) => b.ne(l.clone()),
                F::And(parts) => pending.extend(parts.iter()),
                F::Or(parts) => {
                    for p in parts {
                        self.branches += 1;
                        if self.branches > MAX_BRANCHES {
                            self.gave_up = true;
                            return None;
                        }
                        let mut next = pending.clone();
                        next.push(p);
                        if let Some(m) = self.run(b.clone(), next) {
                            return Some(m);
                        }
                        if self.gave_up {
                            return None;
                        }
                    }
                    return None;
                }
            }
        }
        if b.dead {
            return None;
        }
        match leaf(&b) {
            Leaf::Unsat => None,
            Leaf::Model(m) => Some(m),
            Leaf::Unknown => {
                self.gave_up = true;
                None
            }
        }
    }
}

enum Leaf {
    Unsat,
    Model(BTreeMap<Var, i128>),
    Unknown,
}

/// Decides one conjunction.
fn leaf(b: &Branch) -> Leaf {
    // the single-variable bounds as constraints too, for the elimination
    let mut cons: Vec<Lin> = b.multi.clone();
    let vars: BTreeSet<Var> = cons
        .iter()
        .flat_map(|l| l.terms.iter().map(|(v, _)| *v))
        .collect();
    for v in &vars {
        if let Some(h) = b.hi.get(v) {
            cons.push(Lin {
                terms: vec![(*v, 1)],
                k: -h,
            });
        }
        if let Some(l) = b.lo.get(v) {
            cons.push(Lin {
                terms: vec![(*v, -1)],
                k: *l,
            });
        }
    }
    // eliminate every variable of the multi-variable constraints, keeping
    // each stage's constraints for building a model backwards
    let order: Vec<Var> = vars.iter().copied().collect();
    let mut stages: Vec<(Var, Vec<Lin>)> = Vec::new();
    let mut current = cons;
    let mut remaining: BTreeSet<Var> = vars.clone();
    while !remaining.is_empty() {
        // the variable whose elimination makes the fewest constraints
        let Some(&v) = remaining.iter().min_by_key(|v| {
            let pos = current.iter().filter(|l| l.coef(**v) > 0).count();
            let neg = current.iter().filter(|l| l.coef(**v) < 0).count();
            pos * neg
        }) else {
            break;
        };
        remaining.remove(&v);
        let (with, without): (Vec<Lin>, Vec<Lin>) =
            current.iter().cloned().partition(|l| l.coef(v) != 0);
        let mut next = without;
        let (pos, neg): (Vec<&Lin>, Vec<&Lin>) = with.iter().partition(|l| l.coef(v) > 0);
        for p in &pos {
            for n in &neg {
                let (a, c) = (p.coef(v), -n.coef(v));
                // c*p + a*n eliminates v
                let Some(combined) = p.combine(c, n, a) else {
                    return Leaf::Unknown;
                };
                match tighten(combined) {
                    Some(l) if l.terms.is_empty() => {
                        if l.k > 0 {
                            return Leaf::Unsat;
                        }
                    }
                    Some(l) => next.push(l),
                    None => return Leaf::Unknown,
                }
                if next.len() > MAX_CONSTRAINTS {
                    return Leaf::Unknown;
                }
            }
        }
        stages.push((v, with));
        current = next;
    }
    for l in &current {
        if l.terms.is_empty() && l.k > 0 {
            return Leaf::Unsat;
        }
    }
    // a model: single-variable-only variables from their bounds, then the
    // eliminated ones backwards
    let mut model: BTreeMap<Var, i128> = BTreeMap::new();
    let singles: BTreeSet<Var> =
        b.lo.keys()
            .chain(b.hi.keys())
            .chain(b.excluded.keys())
            .copied()
            .filter(|v| !vars.contains(v))
            .collect();
    for v in singles {
        match pick(b, v, None, None) {
            Some(x) => {
                model.insert(v, x);
            }
            None => return Leaf::Unsat,
        }
    }
    let _ = order;
    for (v, cons) in stages.iter().rev() {
        let (mut lo, mut hi): (Option<i128>, Option<i128>) = (None, None);
        for l in cons {
            let c = l.coef(*v);
            // c*v + rest <= 0, rest known now
            let mut rest = l.clone();
            rest.terms.retain(|(w, _)| w != v);
            let Some(r) = rest.value(&model) else {
                return Leaf::Unknown;
            };
            if c > 0 {
                let h = floor_div(-r, c);
                hi = Some(hi.map_or(h, |x: i128| x.min(h)));
            } else {
                let l = ceil_div(-r, c);
                lo = Some(lo.map_or(l, |x: i128| x.max(l)));
            }
        }
        match pick(b, *v, lo, hi) {
            Some(x) => {
                model.insert(*v, x);
            }
            // a rational solution without an integer one here
            None => return Leaf::Unknown,
        }
    }
    if holds(b, &model) {
        Leaf::Model(model)
    } else {
        Leaf::Unknown
    }
}

/// Divides a constraint by the gcd of its coefficients, rounding its
/// constant toward the integer solutions (the Omega test's tightening).
fn tighten(mut l: Lin) -> Option<Lin> {
    let g = l.terms.iter().fold(0i128, |g, (_, c)| gcd(g, c.abs()));
    if g > 1 {
        for (_, c) in &mut l.terms {
            *c /= g;
        }
        // sum <= -k  becomes  sum/g <= floor(-k/g)
        l.k = -floor_div(-l.k, g);
    }
    Some(l)
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A value of `v` within its own bounds and `lo..=hi`, avoiding its
/// excluded points, nearest 0.
fn pick(b: &Branch, v: Var, lo: Option<i128>, hi: Option<i128>) -> Option<i128> {
    let lo = match (b.lo.get(&v), lo) {
        (Some(a), Some(c)) => Some((*a).max(c)),
        (a, c) => a.copied().or(c),
    };
    let hi = match (b.hi.get(&v), hi) {
        (Some(a), Some(c)) => Some((*a).min(c)),
        (a, c) => a.copied().or(c),
    };
    if let (Some(l), Some(h)) = (lo, hi) {
        if l > h {
            return None;
        }
    }
    let start = match (lo, hi) {
        (Some(l), _) if l > 0 => l,
        (_, Some(h)) if h < 0 => h,
        _ => 0,
    };
    let empty = BTreeSet::new();
    let ex = b.excluded.get(&v).unwrap_or(&empty);
    let inside = |x: i128| lo.is_none_or(|l| x >= l) && hi.is_none_or(|h| x <= h);
    // try outward from the start
    for d in 0..=(ex.len() as i128 + 1) {
        for x in [start.checked_add(d)?, start.checked_sub(d)?] {
            if inside(x) && !ex.contains(&x) {
                return Some(x);
            }
        }
    }
    None
}

/// Whether the model meets every constraint of the branch.
fn holds(b: &Branch, model: &BTreeMap<Var, i128>) -> bool {
    let get = |v: &Var| model.get(v).copied().unwrap_or(0);
    b.lo.iter().all(|(v, l)| get(v) >= *l)
        && b.hi.iter().all(|(v, h)| get(v) <= *h)
        && b.excluded.iter().all(|(v, ex)| !ex.contains(&get(v)))
        && b.multi
            .iter()
            .all(|l| l.value(model).is_some_and(|x| x <= 0))
        && b.multi_ne
            .iter()
            .all(|l| l.value(model).is_some_and(|x| x != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(v: Var, c: i128) -> Lin {
        Lin {
            terms: vec![(v, c)],
            k: 0,
        }
    }

    fn ge(v: Var, k: i128) -> F {
        // v >= k  <=>  -v + k <= 0
        F::Le(Lin {
            terms: vec![(v, -1)],
            k,
        })
    }

    fn lt(v: Var, k: i128) -> F {
        // v < k  <=>  v - k + 1 <= 0
        F::Le(Lin {
            terms: vec![(v, 1)],
            k: 1 - k,
        })
    }

    #[test]
    fn single_variable_bounds_decide_exactly() {
        let none = BTreeMap::new();
        // age >= 21 and not age >= 18
        assert_eq!(
            solve(&F::and(vec![ge(0, 21), lt(0, 18)]), &none),
            Solution::Unsat
        );
        // 17 < age < 18 over integers
        assert_eq!(
            solve(&F::and(vec![ge(0, 18), lt(0, 18)]), &none),
            Solution::Unsat
        );
        match solve(&F::and(vec![ge(0, 18), lt(0, 21)]), &none) {
            Solution::Model(m) => assert!((18..21).contains(&m[&0])),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn excluded_points_cover_an_enum() {
        // an enum of three variants, none of them
        let domains = BTreeMap::from([(0, (0, 2))]);
        let f = F::and(
            (0..3)
                .map(|k| {
                    F::Ne(Lin {
                        terms: vec![(0, 1)],
                        k: -k,
                    })
                })
                .collect(),
        );
        assert_eq!(solve(&f, &domains), Solution::Unsat);
        let f = F::and(
            (0..2)
                .map(|k| {
                    F::Ne(Lin {
                        terms: vec![(0, 1)],
                        k: -k,
                    })
                })
                .collect(),
        );
        assert_eq!(
            solve(&f, &domains),
            Solution::Model(BTreeMap::from([(0, 2)]))
        );
    }

    #[test]
    fn elimination_decides_sums() {
        let none = BTreeMap::new();
        // a + b > 100, a <= 40, b <= 50
        let sum = x(0, 1).add(&x(1, 1)).unwrap_or_default();
        let f = F::and(vec![
            F::Le(
                sum.scale(-1)
                    .unwrap_or_default()
                    .add(&Lin::constant(101))
                    .unwrap_or_default(),
            ),
            lt(0, 41),
            lt(1, 51),
        ]);
        assert_eq!(solve(&f, &none), Solution::Unsat);
        // a + b > 80: a model that holds
        let f = F::and(vec![
            F::Le(
                sum.scale(-1)
                    .unwrap_or_default()
                    .add(&Lin::constant(81))
                    .unwrap_or_default(),
            ),
            lt(0, 41),
            lt(1, 51),
        ]);
        match solve(&f, &none) {
            Solution::Model(m) => assert!(m[&0] + m[&1] > 80 && m[&0] <= 40 && m[&1] <= 50),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn disjunctions_branch() {
        let none = BTreeMap::new();
        // (a < 0 or a > 10) and 0 <= a <= 10
        let f = F::and(vec![F::or(vec![lt(0, 0), ge(0, 11)]), ge(0, 0), lt(0, 11)]);
        assert_eq!(solve(&f, &none), Solution::Unsat);
    }
}
