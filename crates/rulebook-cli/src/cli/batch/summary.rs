//! What `rulebook batch` says at the end: records, rejects, each
//! decision's values (counts for bool and enum decisions; known, unknown
//! and the total for amounts), the time and the rate.

use rulebook::meta::ValueType;
use rulebook::{Policy, RecordView, ValueRef};
use std::fmt::Write;
use std::time::Duration;

/// Counts of one decision.
#[derive(Clone, Default)]
struct Counts {
    /// By value, for bool (false, true) and enum (by variant) decisions.
    values: Vec<u64>,
    known: u64,
    unknown: u64,
    /// Sum of a number decision's values (pence, units, 10^-6).
    sum: i128,
}

#[derive(Clone)]
pub(crate) struct Summary {
    names: Vec<(String, ValueType)>,
    decisions: Vec<Counts>,
    pub records: u64,
    pub rejected: u64,
}

impl Summary {
    pub fn new(policy: &Policy) -> Summary {
        let names: Vec<(String, ValueType)> = policy
            .meta()
            .decisions
            .iter()
            .map(|d| (d.name.clone(), d.ty.clone()))
            .collect();
        Summary {
            decisions: vec![Counts::default(); names.len()],
            names,
            records: 0,
            rejected: 0,
        }
    }

    pub fn count(&mut self, view: &RecordView) {
        self.records += 1;
        for (i, (c, (_, ty))) in self.decisions.iter_mut().zip(&self.names).enumerate() {
            let Some(value) = view.decision_at(i).and_then(|d| d.value()) else {
                c.unknown += 1;
                continue;
            };
            c.known += 1;
            let slot = match (ty, value) {
                (ValueType::Bool, ValueRef::Bool(b)) => Some(usize::from(b)),
                (ValueType::Enum { .. }, ValueRef::Num(n)) => usize::try_from(n).ok(),
                _ => None,
            };
            if let Some(k) = slot {
                if c.values.len() <= k {
                    c.values.resize(k + 1, 0);
                }
                if let Some(n) = c.values.get_mut(k) {
                    *n += 1;
                }
            }
            if let (ValueType::Int | ValueType::Money | ValueType::Decimal, ValueRef::Num(n)) =
                (ty, value)
            {
                c.sum += i128::from(n);
            }
        }
    }

    pub fn add(&mut self, other: &Summary) {
        self.records += other.records;
        self.rejected += other.rejected;
        for (a, b) in self.decisions.iter_mut().zip(&other.decisions) {
            a.known += b.known;
            a.unknown += b.unknown;
            a.sum += b.sum;
            if a.values.len() < b.values.len() {
                a.values.resize(b.values.len(), 0);
            }
            for (x, y) in a.values.iter_mut().zip(&b.values) {
                *x += y;
            }
        }
    }

    pub fn render(&self, took: Duration) -> String {
        let secs = took.as_secs_f64();
        let all = self.records + self.rejected;
        let rate = if secs > 0.0 { all as f64 / secs } else { 0.0 };
        let mut s = format!(
            "{all} records: {} evaluated, {} rejected, in {secs:.2} s ({rate:.0} records/s)\n",
            self.records, self.rejected
        );
        for ((name, ty), c) in self.names.iter().zip(&self.decisions) {
            let _ = write!(s, "  {name}:");
            for (k, n) in c.values.iter().enumerate() {
                let v = match ty {
                    ValueType::Bool => ["false", "true"].get(k).copied().unwrap_or("?"),
                    ValueType::Enum { variants } => variants.get(k).map_or("?", String::as_str),
                    _ => "?",
                };
                if *n > 0 {
                    let _ = write!(s, " {v} {n},");
                }
            }
            if matches!(ty, ValueType::Int | ValueType::Money | ValueType::Decimal) && c.known > 0 {
                let total = match ty {
                    ValueType::Money => rulebook::__private::num::format_scaled(c.sum, 100),
                    ValueType::Decimal => rulebook::__private::num::format_scaled(c.sum, 1_000_000),
                    _ => c.sum.to_string(),
                };
                let _ = write!(s, " total {total},");
            }
            let _ = writeln!(s, " known {}, unknown {}", c.known, c.unknown);
        }
        s
    }
}
