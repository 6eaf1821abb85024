//! Candidate values for a fact: the values either side of each constant
//! the policies compare facts with (literals, and params in force on the
//! date), birthdays for the ages they compare with, every enum option.
//! The interview tries them as possible answers; explanations start their
//! search for the nearest value that changes a decision from them.

use crate::abi::ValueType;
use crate::facts::FactValue;
use crate::policy::Policy;
use crate::program::{ExprKind, Promotion, Type};

/// Constants the policies compare facts with, by type: where an answer
/// to a fact can change a decision.
#[derive(Default)]
pub(crate) struct Candidates {
    int: Vec<i64>,
    dec: Vec<i64>,
    money: Vec<i64>,
    date: Vec<i64>,
    text: Vec<String>,
}

impl Candidates {
    fn add(&mut self, ty: &Type, c: &crate::program::Const) {
        use crate::program::Const;
        match (ty, c) {
            (Type::Int, Const::Num(n)) => self.int.push(*n),
            (Type::Decimal, Const::Num(n)) => self.dec.push(*n),
            (Type::Money, Const::Num(n)) => self.money.push(*n),
            (Type::Date, Const::Num(n)) => self.date.push(*n),
            (Type::Text, Const::Text(t)) => self.text.push(t.to_string()),
            _ => {}
        }
    }

    pub(crate) fn gather(&mut self, p: &Policy, as_of: i32) {
        let Some(program) = p.program() else {
            return;
        };
        for param in &program.params {
            // the value in force on as_of
            if let Some((_, c)) = param
                .values
                .iter()
                .rev()
                .find(|(from, _)| from.is_none_or(|f| f <= as_of))
            {
                self.add(&param.ty, c);
            }
        }
        let mut stack = program.item_exprs();
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Const(c) => self.add(&e.ty, c),
                ExprKind::Promote(kind, inner) => {
                    if let ExprKind::Const(crate::program::Const::Num(n)) = &inner.kind {
                        match kind {
                            Promotion::IntToDec => self.dec.push(n.saturating_mul(1_000_000)),
                            Promotion::IntToMoney => self.money.push(n.saturating_mul(100)),
                        }
                    }
                }
                _ => {}
            }
            e.push_children(&mut stack);
        }
    }

    /// Candidate answers for a fact of type `t`.
    pub(crate) fn reps(&self, t: &ValueType, as_of: i32) -> Vec<FactValue> {
        /// 0 and the values either side of each constant (one unit off).
        fn around(consts: &[i64], unit: i64) -> Vec<i64> {
            let mut v = vec![0];
            for &k in consts {
                v.push(k.saturating_sub(unit));
                v.push(k);
                v.push(k.saturating_add(unit));
            }
            v.sort_unstable();
            v.dedup();
            thin(v)
        }
        match t {
            ValueType::Bool => vec![FactValue::Bool(true), FactValue::Bool(false)],
            ValueType::Enum { variants } => {
                (0..variants.len() as i64).map(FactValue::Num).collect()
            }
            ValueType::Int => around(&self.int, 1)
                .into_iter()
                .map(FactValue::Num)
                .collect(),
            ValueType::Decimal => around(&self.dec, 1)
                .into_iter()
                .map(FactValue::Num)
                .collect(),
            ValueType::Money => around(&self.money, 1)
                .into_iter()
                .map(FactValue::Num)
                .collect(),
            ValueType::Date => {
                // birthdays: the day someone turns n, and the day before
                let mut v = vec![i64::from(as_of)];
                let (y, m, d) = crate::num::civil_from_days(as_of);
                for &n in &self.int {
                    if (1..=150).contains(&n) {
                        let year = y - n as i32;
                        let day = d.min(crate::num::days_in_month(year, m));
                        if let Some(born) = crate::num::days_from_civil(year, m, day) {
                            v.push(i64::from(born));
                            v.push(i64::from(born) + 1);
                        }
                    }
                }
                for &k in &self.date {
                    v.extend([k - 1, k, k + 1]);
                }
                v.sort_unstable();
                v.dedup();
                thin(v).into_iter().map(FactValue::Num).collect()
            }
            ValueType::Text => {
                let mut v = self.text.clone();
                v.sort();
                v.dedup();
                v.truncate(MAX_REPS - 1);
                v.push(String::new());
                v.into_iter().map(|t| FactValue::Text(t.into())).collect()
            }
            ValueType::List { element } => {
                let one: Vec<Option<FactValue>> = element
                    .fields
                    .iter()
                    .map(|f| match &f.ty {
                        ValueType::List { .. } => Some(FactValue::List(Vec::new())),
                        t => self.reps(t, as_of).into_iter().next(),
                    })
                    .collect();
                vec![FactValue::List(Vec::new()), FactValue::List(vec![one])]
            }
        }
    }
}

/// Most candidate answers tried for one fact.
const MAX_REPS: usize = 24;

/// At most `MAX_REPS` values, spread over the sorted list.
fn thin(v: Vec<i64>) -> Vec<i64> {
    if v.len() <= MAX_REPS {
        return v;
    }
    let n = v.len();
    (0..MAX_REPS)
        .filter_map(|i| v.get(i * (n - 1) / (MAX_REPS - 1)).copied())
        .collect()
}
