//! The benchmark's records: applicants from a fixed seed, their facts JSON
//! texts, and the fixed parts of the native side's decisions document. Shared
//! by benches/engine.rs and the peer engines' benchmark
//! (peers/benches/peers.rs), so that both measure the same records.
//!
//! Like native.rs, it lives in `benches/engine/` so that Cargo's target
//! auto-discovery does not turn it into a bench target of its own.

use crate::native::{self, Applicant, Employment, ReportHeader, REGIONS};
use rulebook::{Date, Policy};

/// A small deterministic generator (SplitMix64): the same records every run.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A varied applicant: about half eligible, every reason and every route
/// represented, incomes clustered around the limit (including exactly on it
/// and one penny over, where rounding of the London weighting matters).
fn applicant(rng: &mut Rng) -> Applicant {
    let age = match rng.next() % 100 {
        0..=5 => rng.range(15, 17),
        6..=91 => rng.range(18, 66),
        _ => rng.range(67, 90),
    };
    let savings = match rng.next() % 100 {
        0..=59 => rng.range(0, 600_000),
        60..=63 => 600_000,
        64..=67 => 1_600_000,
        68..=89 => rng.range(600_001, 1_600_000),
        _ => rng.range(1_600_001, 5_000_000),
    };
    let employment_status = if rng.chance(8) {
        Employment::Student
    } else {
        [
            Employment::Employed,
            Employment::SelfEmployed,
            Employment::Unemployed,
            Employment::Retired,
        ][(rng.next() % 4) as usize]
    };
    let mut a = Applicant {
        age,
        income_monthly: 0,
        savings,
        household_size: rng.range(1, 6),
        is_resident: !rng.chance(6),
        has_disability: rng.chance(15),
        employment_status,
        region: REGIONS[(rng.next() % REGIONS.len() as u64) as usize].to_string(),
    };
    let limit = native::threshold(&a);
    a.income_monthly = match rng.next() % 100 {
        0..=4 => limit,
        5..=9 => limit + 1,
        10..=14 => 0,
        // 40% to 130% of the limit, to the penny.
        _ => limit * rng.range(40_000, 130_000) / 100_000,
    };
    a
}

pub fn applicants(rng: &mut Rng, n: usize) -> Vec<Applicant> {
    (0..n).map(|_| applicant(rng)).collect()
}

pub fn money_text(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

/// The facts JSON text of an applicant (money as strings, as docs/language.md advises).
pub fn facts_json(a: &Applicant) -> String {
    facts_json_with(a, |pence| money_text(pence).into())
}

/// The facts JSON text of an applicant, with each amount of money (in
/// pence) written as `money` makes it.
pub fn facts_json_with(a: &Applicant, money: impl Fn(i64) -> serde_json::Value) -> String {
    serde_json::json!({
        "age": a.age,
        "income_monthly": money(a.income_monthly),
        "savings": money(a.savings),
        "household_size": a.household_size,
        "is_resident": a.is_resident,
        "has_disability": a.has_disability,
        "employment_status": a.employment_status.name(),
        "region": a.region,
    })
    .to_string()
}

/// The fixed parts of the decisions document, for the native side of case b.
pub fn report_header(policy: &Policy, as_of: Date) -> ReportHeader {
    let meta = policy.meta();
    let lines = |name: &str| -> [u32; 6] {
        let d = meta.decisions.iter().find(|d| d.name == name).unwrap();
        d.clauses
            .iter()
            .map(|c| c.line)
            .collect::<Vec<_>>()
            .try_into()
            .unwrap()
    };
    ReportHeader {
        policy: meta.policy.clone(),
        version: meta.version.clone().unwrap_or_default(),
        hash: meta.hash.clone(),
        as_of: as_of.to_string(),
        reason_lines: lines("eligible"),
        route_lines: lines("route"),
    }
}
