//! Random well-typed policies, for the differential tests and the fuzz
//! targets (issue 25): every input type, a list of records, constant and
//! dated params, defines and decisions that read one another, expression,
//! `require` and `when` decisions (some clauses dated), arithmetic with
//! every promotion, comparisons, `if`, `in`, `known`, text functions,
//! aggregations and date functions, nested a few levels. The same seed
//! gives the same policy. [`reduce`] shrinks a policy that shows a
//! disagreement to a smaller one that still does.

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        if xs.is_empty() {
            None
        } else {
            xs.get(self.below(xs.len()))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Money,
    Dec,
    Bool,
    Date,
    Text,
    Enum,
}

impl Ty {
    fn word(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Money => "money",
            Ty::Dec => "decimal",
            Ty::Bool => "bool",
            Ty::Date => "date",
            Ty::Text => "text",
            Ty::Enum => "enum(red, green, blue)",
        }
    }
}

const VARIANTS: [&str; 3] = ["red", "green", "blue"];
const TEXTS: [&str; 4] = ["", "a", "ab", "UC-1"];
const DATES: [&str; 4] = ["2024-02-29", "2025-04-06", "1960-01-01", "2026-12-31"];

struct Gen {
    rng: Rng,
    /// Names of each type that an expression may read so far.
    names: Vec<(String, Ty)>,
    inputs: Vec<(String, Ty)>,
    list: bool,
}

impl Gen {
    fn literal(&mut self, ty: Ty) -> String {
        let r = &mut self.rng;
        match ty {
            Ty::Int => {
                let edges = ["0", "1", "-1", "17", "66", "1000000", "9223372036854775807"];
                match r.pick(&edges) {
                    Some(e) if r.chance(20) => e.to_string(),
                    _ => (r.below(200) as i64 - 50).to_string(),
                }
            }
            Ty::Money => {
                let p = r.below(500_000);
                format!("£{}.{:02}", p / 100, p % 100)
            }
            Ty::Dec => format!("{}.{:03}", r.below(5), r.below(1000)),
            Ty::Bool => if r.chance(50) { "true" } else { "false" }.into(),
            Ty::Date => r.pick(&DATES).copied().unwrap_or("2025-01-01").into(),
            Ty::Text | Ty::Enum => {
                let pool: &[&str] = if ty == Ty::Text { &TEXTS } else { &VARIANTS };
                format!("\"{}\"", r.pick(pool).copied().unwrap_or(""))
            }
        }
    }

    /// A name of type `ty` read so far, if any.
    fn name(&mut self, ty: Ty) -> Option<String> {
        let of: Vec<String> = self
            .names
            .iter()
            .filter(|(_, t)| *t == ty)
            .map(|(n, _)| n.clone())
            .collect();
        self.rng.pick(&of).cloned()
    }

    fn leaf(&mut self, ty: Ty) -> String {
        if self.rng.chance(70) {
            if let Some(n) = self.name(ty) {
                return n;
            }
        }
        match ty {
            // an enum is only ever an input, compared with its variants
            Ty::Enum => self.name(ty).unwrap_or_else(|| "\"red\"".into()),
            _ => self.literal(ty),
        }
    }

    /// An expression of type `ty`, at most `depth` operators deep.
    fn expr(&mut self, ty: Ty, depth: u32) -> String {
        if depth == 0 || self.rng.chance(30) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        let pick = self.rng.below(8);
        match ty {
            Ty::Int => match pick {
                0 => format!("({} + {})", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
                1 => format!("({} - {})", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
                2 => format!("({} * {})", self.expr(Ty::Int, d), self.literal(Ty::Int)),
                3 => format!("min({}, {})", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
                4 => format!(
                    "(if {} then {} else {})",
                    self.expr(Ty::Bool, d),
                    self.expr(Ty::Int, d),
                    self.expr(Ty::Int, d)
                ),
                5 if self.list => format!("count(x in xs: x.v > {})", self.literal(Ty::Int)),
                6 => format!(
                    "days_between({}, {})",
                    self.expr(Ty::Date, d),
                    self.expr(Ty::Date, d)
                ),
                7 => format!("round({})", self.expr(Ty::Dec, d)),
                _ => format!(
                    "years_between({}, {})",
                    self.expr(Ty::Date, d),
                    self.expr(Ty::Date, d)
                ),
            },
            Ty::Money => match pick {
                0 => format!(
                    "({} + {})",
                    self.expr(Ty::Money, d),
                    self.expr(Ty::Money, d)
                ),
                1 => format!("({} - {})", self.expr(Ty::Money, d), self.expr(Ty::Int, d)),
                2 => format!("({} * {})", self.expr(Ty::Money, d), self.expr(Ty::Int, d)),
                3 => format!("({} * {})", self.expr(Ty::Money, d), self.literal(Ty::Dec)),
                4 => format!("({} / {})", self.expr(Ty::Money, d), self.expr(Ty::Int, d)),
                5 if self.list => "sum(x in xs: x.m)".into(),
                6 => format!("max({}, 0)", self.expr(Ty::Money, d)),
                7 => format!("ceil({})", self.expr(Ty::Money, d)),
                _ => format!(
                    "(if {} then {} else {})",
                    self.expr(Ty::Bool, d),
                    self.expr(Ty::Money, d),
                    self.expr(Ty::Money, d)
                ),
            },
            Ty::Dec => match pick {
                0 => format!("({} + {})", self.expr(Ty::Dec, d), self.expr(Ty::Int, d)),
                1 => format!("({} * {})", self.expr(Ty::Dec, d), self.expr(Ty::Dec, d)),
                2 => format!(
                    "({} / {})",
                    self.expr(Ty::Money, d),
                    self.expr(Ty::Money, d)
                ),
                3 => format!("({} / {})", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
                _ => self.leaf(Ty::Dec),
            },
            Ty::Bool => match pick {
                0 => format!(
                    "({} and {})",
                    self.expr(Ty::Bool, d),
                    self.expr(Ty::Bool, d)
                ),
                1 => format!("({} or {})", self.expr(Ty::Bool, d), self.expr(Ty::Bool, d)),
                2 => format!("not {}", self.expr(Ty::Bool, d)),
                3 => {
                    let t = *self
                        .rng
                        .pick(&[Ty::Int, Ty::Money, Ty::Dec, Ty::Date])
                        .unwrap_or(&Ty::Int);
                    let op = *self
                        .rng
                        .pick(&["<", "<=", ">", ">=", "==", "!="])
                        .unwrap_or(&"<");
                    format!("({} {op} {})", self.expr(t, d), self.expr(t, d))
                }
                4 => match self.name(Ty::Enum) {
                    Some(e) => format!("{e} in [\"red\", {}]", self.literal(Ty::Enum)),
                    None => self.leaf(Ty::Bool),
                },
                5 => {
                    let f = *self
                        .rng
                        .pick(&["starts_with", "ends_with"])
                        .unwrap_or(&"starts_with");
                    format!(
                        "{f}({}, {})",
                        self.expr(Ty::Text, d),
                        self.literal(Ty::Text)
                    )
                }
                6 => match self.rng.pick(&self.inputs.clone()) {
                    Some((n, _)) => format!("known({n})"),
                    None => self.leaf(Ty::Bool),
                },
                7 if self.list => format!("any(x in xs: x.m > {})", self.literal(Ty::Money)),
                _ => format!("({} == {})", self.expr(Ty::Text, d), self.expr(Ty::Text, d)),
            },
            Ty::Text => match pick {
                0 | 1 => format!(
                    "(if {} then {} else {})",
                    self.expr(Ty::Bool, d),
                    self.expr(Ty::Text, d),
                    self.expr(Ty::Text, d)
                ),
                _ => self.leaf(Ty::Text),
            },
            Ty::Date | Ty::Enum => self.leaf(ty),
        }
    }
}

/// A random well-typed policy from `seed`.
pub fn policy(seed: u64) -> String {
    let mut g = Gen {
        rng: Rng(seed),
        names: Vec::new(),
        inputs: Vec::new(),
        list: false,
    };
    let mut s = format!("policy random_{seed}\ninput {{\n");
    let types = [
        Ty::Int,
        Ty::Money,
        Ty::Dec,
        Ty::Bool,
        Ty::Date,
        Ty::Text,
        Ty::Enum,
    ];
    for i in 0..2 + g.rng.below(6) {
        let ty = *g.rng.pick(&types).unwrap_or(&Ty::Int);
        s.push_str(&format!("  i{i}: {}\n", ty.word()));
        g.names.push((format!("i{i}"), ty));
        g.inputs.push((format!("i{i}"), ty));
    }
    if g.rng.chance(40) {
        s.push_str("  xs: list of { v: int, m: money }\n");
        g.list = true;
    }
    s.push_str("}\n");
    for p in 0..g.rng.below(3) {
        let ty = *g
            .rng
            .pick(&[Ty::Int, Ty::Money, Ty::Dec])
            .unwrap_or(&Ty::Int);
        if g.rng.chance(50) {
            s.push_str(&format!("param p{p}: {} = {}\n", ty.word(), g.literal(ty)));
        } else {
            s.push_str(&format!("param p{p}: {}\n", ty.word()));
            s.push_str(&format!("  from 2024-04-01 = {}\n", g.literal(ty)));
            s.push_str(&format!("  from 2025-04-06 = {}\n", g.literal(ty)));
        }
        g.names.push((format!("p{p}"), ty));
    }
    let results = [Ty::Int, Ty::Money, Ty::Dec, Ty::Bool, Ty::Text];
    for k in 0..1 + g.rng.below(5) {
        let ty = *g.rng.pick(&results).unwrap_or(&Ty::Int);
        let name = format!("k{k}");
        if g.rng.chance(25) {
            s.push_str(&format!(
                "define {name}: {} = {}\n",
                ty.word(),
                g.expr(ty, 3)
            ));
        } else if ty == Ty::Bool && g.rng.chance(50) {
            s.push_str(&format!("decision {name}: bool\n"));
            for r in 0..1 + g.rng.below(3) {
                s.push_str(&format!(
                    "  require {} because \"r{r}\"\n",
                    g.expr(Ty::Bool, 3)
                ));
                if g.rng.chance(20) {
                    s.push_str("    from 2025-04-06\n");
                }
            }
        } else if g.rng.chance(50) {
            s.push_str(&format!("decision {name}: {}\n", ty.word()));
            for _ in 0..1 + g.rng.below(3) {
                s.push_str(&format!(
                    "  when {} -> {}\n",
                    g.expr(Ty::Bool, 2),
                    g.expr(ty, 2)
                ));
                if g.rng.chance(15) {
                    s.push_str("    until 2025-04-06\n");
                }
            }
            s.push_str(&format!("  otherwise -> {}\n", g.expr(ty, 2)));
        } else {
            s.push_str(&format!(
                "decision {name}: {} = {}\n",
                ty.word(),
                g.expr(ty, 3)
            ));
        }
        g.names.push((name, ty));
    }
    s
}

/// Shrinks `source` while `fails` holds: whole items first (a define or
/// decision with its clauses), then single clause lines, then each input
/// line. A candidate that no longer compiles does not fail, so the result
/// is a valid policy.
pub fn reduce(source: &str, fails: impl Fn(&str) -> bool) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    let item_start = |l: &str| l.starts_with("define ") || l.starts_with("decision ");
    loop {
        let before = lines.len();
        // whole items, last first
        let starts: Vec<usize> = (0..lines.len())
            .filter(|&i| lines.get(i).is_some_and(|l| item_start(l)))
            .collect();
        for &i in starts.iter().rev() {
            let end = (i + 1..lines.len())
                .find(|&j| lines.get(j).is_some_and(|l| !l.starts_with(' ')))
                .unwrap_or(lines.len());
            let mut candidate = lines.clone();
            candidate.drain(i..end);
            if fails(&candidate.join("\n")) {
                lines = candidate;
            }
        }
        // single indented lines (clauses, their details, inputs)
        let mut i = lines.len();
        while i > 0 {
            i -= 1;
            if !lines.get(i).is_some_and(|l| l.starts_with("  ")) {
                continue;
            }
            let mut candidate = lines.clone();
            candidate.remove(i);
            if fails(&candidate.join("\n")) {
                lines = candidate;
            }
        }
        if lines.len() == before {
            return lines.join("\n") + "\n";
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_policies_compile() {
        for seed in 0..300 {
            let source = super::policy(seed);
            if let Err(e) = rulebook::Policy::from_source("random.rules", &source) {
                panic!("seed {seed}:\n{source}\n{}", e.render());
            }
        }
    }

    #[test]
    fn reduce_keeps_what_fails() {
        let source = super::policy(7);
        // "fails" while a decision k0 is declared and the policy compiles
        let fails =
            |s: &str| s.contains("k0") && rulebook::Policy::from_source("r.rules", s).is_ok();
        let small = super::reduce(&source, fails);
        assert!(fails(&small));
        assert!(small.len() <= source.len());
    }
}
