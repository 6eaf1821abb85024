//! The native baseline: benches/benchmark.rules written by hand in Rust, over
//! a plain struct, with the same exact arithmetic as the engine (money in
//! pence as i64, money × decimal rounded to the penny half away from zero).
//!
//! It lives in `benches/engine/` rather than `benches/` so that Cargo's target
//! auto-discovery does not turn it into a bench target of its own.

use serde::Serialize;
use serde_json::Value;

/// `employment_status` of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Employment {
    Employed,
    SelfEmployed,
    Unemployed,
    Student,
    Retired,
}

impl Employment {
    pub const ALL: [Employment; 5] = [
        Employment::Employed,
        Employment::SelfEmployed,
        Employment::Unemployed,
        Employment::Student,
        Employment::Retired,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Employment::Employed => "employed",
            Employment::SelfEmployed => "self_employed",
            Employment::Unemployed => "unemployed",
            Employment::Student => "student",
            Employment::Retired => "retired",
        }
    }

    pub fn from_name(s: &str) -> Option<Employment> {
        Employment::ALL.into_iter().find(|e| e.name() == s)
    }
}

/// The twelve UK regions (NUTS 1) the benchmark data uses.
pub const REGIONS: [&str; 12] = [
    "north_east",
    "north_west",
    "yorkshire_and_the_humber",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "london",
    "south_east",
    "south_west",
    "wales",
    "scotland",
    "northern_ireland",
];

/// One applicant: the policy's inputs, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub age: i64,
    /// Pence.
    pub income_monthly: i64,
    /// Pence.
    pub savings: i64,
    pub household_size: i64,
    pub is_resident: bool,
    pub has_disability: bool,
    pub employment_status: Employment,
    pub region: String,
}

/// The `because` texts of the requires of `eligible`, in file order (the
/// index is the reason index the engine reports).
pub const REASONS: [&str; 6] = [
    "The claimant must be resident in the UK",
    "The claimant must be 18 or over",
    "The claimant must be under State Pension age (67)",
    "Savings are above the capital limit of £16,000",
    "Full-time students are not eligible",
    "Monthly income is above the limit for the household",
];

/// The route values, in clause order (the index is the clause index).
pub const ROUTES: [&str; 6] = [
    "reject",
    "specialist",
    "capital_review",
    "self_employed_team",
    "devolved",
    "standard",
];

/// The failed requires: indices into [`REASONS`], in file order, kept
/// inline (no allocation) as a hand-written service would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reasons {
    len: u8,
    items: [u8; 6],
}

impl Reasons {
    fn push(&mut self, i: u8) {
        self.items[self.len as usize] = i;
        self.len += 1;
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.items[..self.len as usize]
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The decisions for one applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub eligible: bool,
    pub reasons: Reasons,
    /// Index into [`ROUTES`] of the clause that decided.
    pub route: u8,
}

impl Decision {
    pub fn route_name(&self) -> &'static str {
        ROUTES[self.route as usize]
    }
}

const MINIMUM_AGE: i64 = 18;
const PENSION_AGE: i64 = 67;
const CAPITAL_LIMIT: i64 = 1_600_000;
const CAPITAL_REVIEW_THRESHOLD: i64 = 600_000;
const BASE_ALLOWANCE: i64 = 120_000;
const PER_EXTRA_MEMBER: i64 = 35_000;
const DISABILITY_ADDITION: i64 = 40_000;
/// 1.15 as a decimal (millionths).
const LONDON_WEIGHTING: i64 = 1_150_000;
const ONE: i64 = 1_000_000;

/// `n / d` rounded half away from zero (d > 0). The suite's native
/// functions of other policies round with it too.
pub fn div_round(n: i64, d: i64) -> i64 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

/// The monthly income limit in pence.
pub fn threshold(a: &Applicant) -> i64 {
    let base = BASE_ALLOWANCE
        + PER_EXTRA_MEMBER * (a.household_size - 1)
        + if a.has_disability {
            DISABILITY_ADDITION
        } else {
            0
        };
    if a.region != "london" {
        return base; // × 1 is exact
    }
    // money × decimal: the exact product, then to the penny, half away from
    // zero. The benchmark's amounts are far from overflowing i64; checked
    // anyway, falling back to i128 as the engine computes.
    match base.checked_mul(LONDON_WEIGHTING) {
        Some(p) => div_round(p, ONE),
        None => {
            let p = i128::from(base) * i128::from(LONDON_WEIGHTING);
            let (q, r) = (p / i128::from(ONE), p % i128::from(ONE));
            let q = if 2 * r.abs() >= i128::from(ONE) {
                q + p.signum()
            } else {
                q
            };
            i64::try_from(q).unwrap_or(i64::MAX)
        }
    }
}

/// The policy, by hand.
pub fn decide(a: &Applicant) -> Decision {
    let mut reasons = Reasons::default();
    if !a.is_resident {
        reasons.push(0);
    }
    if a.age < MINIMUM_AGE {
        reasons.push(1);
    }
    if a.age >= PENSION_AGE {
        reasons.push(2);
    }
    if a.savings > CAPITAL_LIMIT {
        reasons.push(3);
    }
    if a.employment_status == Employment::Student {
        reasons.push(4);
    }
    if a.income_monthly > threshold(a) {
        reasons.push(5);
    }
    let eligible = reasons.is_empty();
    let route = if !eligible {
        0
    } else if a.has_disability {
        1
    } else if a.savings > CAPITAL_REVIEW_THRESHOLD {
        2
    } else if a.employment_status == Employment::SelfEmployed {
        3
    } else if matches!(a.region.as_str(), "scotland" | "wales" | "northern_ireland") {
        4
    } else {
        5
    };
    Decision {
        eligible,
        reasons,
        route,
    }
}

/// Money text (`"1234.56"`, `"-0.5"`, `"12"`) or a JSON number to pence,
/// exactly; None for anything else.
fn money(v: &Value) -> Option<i64> {
    let owned;
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Number(n) => {
            owned = n.to_string();
            owned.as_str()
        }
        _ => return None,
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut pence: i64 = whole.parse::<i64>().ok()?.checked_mul(100)?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    pence = pence.checked_add(if frac.len() == 1 { f * 10 } else { f })?;
    Some(if neg { -pence } else { pence })
}

/// The baseline of case (b): a `serde_json::Value` of the facts text, each
/// fact looked up by name. None when a fact is absent or of the wrong type
/// (the baseline has no unknown-fact logic).
pub fn applicant_from_json(text: &str) -> Option<Applicant> {
    let v: Value = serde_json::from_str(text).ok()?;
    let o = v.as_object()?;
    Some(Applicant {
        age: o.get("age")?.as_i64()?,
        income_monthly: money(o.get("income_monthly")?)?,
        savings: money(o.get("savings")?)?,
        household_size: o.get("household_size")?.as_i64()?,
        is_resident: o.get("is_resident")?.as_bool()?,
        has_disability: o.get("has_disability")?.as_bool()?,
        employment_status: Employment::from_name(o.get("employment_status")?.as_str()?)?,
        region: o.get("region")?.as_str()?.to_string(),
    })
}

/// Where the output document's fixed parts come from (the engine takes them
/// from the module metadata; the baseline is given them once).
pub struct ReportHeader {
    pub policy: String,
    pub version: String,
    pub hash: String,
    pub as_of: String,
    /// Line of each `require` of `eligible`, in file order.
    pub reason_lines: [u32; 6],
    /// Line of each `when` / `otherwise` of `route`, in clause order.
    pub route_lines: [u32; 6],
}

/// The decisions JSON document (docs/language.md section 17) of a decision,
/// in the same shape and key order as the engine's (as a native service
/// would declare its response type), so that both sides of case (b)
/// produce the same text.
#[derive(Serialize)]
pub struct Report<'a> {
    policy: &'a str,
    version: &'a str,
    hash: &'a str,
    as_of: &'a str,
    decisions: Decisions<'a>,
    missing: [u8; 0],
}

#[derive(Serialize)]
struct Decisions<'a> {
    eligible: Eligible,
    route: Route<'a>,
}

#[derive(Serialize)]
struct Eligible {
    value: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<Reason>,
}

#[derive(Serialize)]
struct Reason {
    because: &'static str,
    line: u32,
}

#[derive(Serialize)]
struct Route<'a> {
    value: &'a str,
    line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    because: Option<&'static str>,
}

/// The `because` of each route clause, in clause order (none on `otherwise`).
const ROUTE_BECAUSE: [Option<&str>; 6] = [
    Some("Ineligible claims are refused with the reasons"),
    Some("Claimants with a disability go to the specialist team"),
    Some("Savings above £6,000 need a capital review"),
    Some("Self-employed income needs the self-employment team"),
    Some("Devolved administrations handle their own top-ups"),
    None,
];

pub fn report<'a>(h: &'a ReportHeader, d: &'a Decision) -> Report<'a> {
    let reasons = d
        .reasons
        .as_slice()
        .iter()
        .map(|&i| Reason {
            because: REASONS[i as usize],
            line: h.reason_lines[i as usize],
        })
        .collect();
    Report {
        policy: &h.policy,
        version: &h.version,
        hash: &h.hash,
        as_of: &h.as_of,
        decisions: Decisions {
            eligible: Eligible {
                value: d.eligible,
                reasons,
            },
            route: Route {
                value: d.route_name(),
                because: ROUTE_BECAUSE[d.route as usize],
                line: h.route_lines[d.route as usize],
            },
        },
        missing: [],
    }
}

pub fn decide_json(h: &ReportHeader, text: &str) -> Option<String> {
    let a = applicant_from_json(text)?;
    serde_json::to_string(&report(h, &decide(&a))).ok()
}
