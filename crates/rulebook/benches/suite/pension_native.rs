//! rules/pension_credit.rules written by hand in Rust, as a service would
//! without Rulebook: the suite's native baseline for that policy. Optional
//! facts are `Option`s (a single claimant's partner's birth date, an
//! occupational pension there is none of); any other absent fact and the
//! record is not decided (`None`). Rates of 2025-04-07 on: the suite
//! evaluates on 2026-11-27.

use crate::native::div_round;
use crate::shapes::{pounds, structs_column, Cell, Rows, StructsFields};
use rulebook::__private::num::years_between;
use rulebook::batch::{Bool, Decision, Field, FieldSet, Money, RecordWriter};
use rulebook::{Date, Policy, RecordView};
use serde_json::{json, Value as Json};

const QUALIFYING_AGE: i64 = 66;
const GUARANTEE_SINGLE: i64 = 22_710;
const GUARANTEE_COUPLE: i64 = 34_660;
const SEVERE_DISABILITY: i64 = 8_290;
const CARER: i64 = 4_640;
const CAPITAL_DISREGARD: i64 = 1_000_000;
const TARIFF_STEP: i64 = 50_000;
const EARNINGS_DISREGARD_SINGLE: i64 = 500;
const EARNINGS_DISREGARD_COUPLE: i64 = 1_000;
const MINIMUM_PAYABLE: i64 = 10;

/// The policy's inputs, in file order.
pub struct Claim {
    pub date_of_birth: i32,
    pub has_partner: bool,
    pub partner_date_of_birth: Option<i32>,
    pub in_great_britain: bool,
    pub habitually_resident: bool,
    pub subject_to_immigration_control: bool,
    pub severely_disabled: bool,
    pub is_carer: bool,
    pub weekly_state_pension: i64,
    pub monthly_occupational_pension: Option<i64>,
    pub weekly_earnings: i64,
    pub capital: i64,
}

/// The decisions, money in pence.
pub struct Award {
    pub appropriate_minimum_guarantee: i64,
    pub eligible: bool,
    pub weekly_guarantee_credit: i64,
    pub passports_housing_support: bool,
}

pub fn decide(c: &Claim, as_of: i32) -> Award {
    let age = years_between(c.date_of_birth, as_of);
    let occupational = c
        .monthly_occupational_pension
        .map_or(0, |m| div_round(m * 12, 52));
    let disregard = if c.has_partner {
        EARNINGS_DISREGARD_COUPLE
    } else {
        EARNINGS_DISREGARD_SINGLE
    };
    let counted = c.weekly_earnings - c.weekly_earnings.min(disregard);
    let tariff = if c.capital > CAPITAL_DISREGARD {
        // £1 for each £500 or part of £500
        (c.capital - CAPITAL_DISREGARD + TARIFF_STEP - 1) / TARIFF_STEP * 100
    } else {
        0
    };
    let income = c.weekly_state_pension + occupational + counted + tariff;
    let guarantee = if c.has_partner {
        GUARANTEE_COUPLE
    } else {
        GUARANTEE_SINGLE
    } + if c.severely_disabled {
        SEVERE_DISABILITY
    } else {
        0
    } + if c.is_carer { CARER } else { 0 };
    let partner_old_enough = !c.has_partner
        || c.partner_date_of_birth
            .is_some_and(|d| years_between(d, as_of) >= QUALIFYING_AGE);
    let eligible = age >= QUALIFYING_AGE
        && partner_old_enough
        && c.in_great_britain
        && c.habitually_resident
        && !c.subject_to_immigration_control
        && income <= guarantee;
    let shortfall = guarantee - income;
    let credit = if !eligible || shortfall < MINIMUM_PAYABLE {
        0
    } else {
        shortfall
    };
    Award {
        appropriate_minimum_guarantee: guarantee,
        eligible,
        weekly_guarantee_credit: credit,
        passports_housing_support: credit > 0,
    }
}

/// The claim in a record, if every fact it needs is there (a couple's
/// partner's birth date among them).
pub fn claim(r: &[Cell]) -> Option<Claim> {
    let cell = |i: usize| r.get(i).unwrap_or(&Cell::Absent);
    let has_partner = cell(1).flag()?;
    let partner_date_of_birth = cell(2).days();
    if has_partner && partner_date_of_birth.is_none() {
        return None;
    }
    Some(Claim {
        date_of_birth: cell(0).days()?,
        has_partner,
        partner_date_of_birth,
        in_great_britain: cell(3).flag()?,
        habitually_resident: cell(4).flag()?,
        subject_to_immigration_control: cell(5).flag()?,
        severely_disabled: cell(6).flag()?,
        is_carer: cell(7).flag()?,
        weekly_state_pension: cell(8).num()?,
        monthly_occupational_pension: cell(9).num(),
        weekly_earnings: cell(10).num()?,
        capital: cell(11).num()?,
    })
}

/// The native decisions of a record, as the engine's JSON values.
pub fn decide_json(r: &[Cell], as_of: Date) -> Option<Vec<(&'static str, Json)>> {
    let a = decide(&claim(r)?, as_of.0);
    Some(vec![
        (
            "appropriate_minimum_guarantee",
            pounds(a.appropriate_minimum_guarantee),
        ),
        ("eligible", json!(a.eligible)),
        ("weekly_guarantee_credit", pounds(a.weekly_guarantee_credit)),
        (
            "passports_housing_support",
            json!(a.passports_housing_support),
        ),
    ])
}

/// The handles of the facts every claim has, in file order.
type GivenFields = (
    Field<Date>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Money>,
    Field<Money>,
    Field<Money>,
);

/// The handles a service holding [`Claim`]s would look up once: the facts
/// every claim has in one [`FieldSet`], the optional ones apart, and the
/// four decisions.
pub struct ClaimFields {
    given: FieldSet<GivenFields>,
    partner_date_of_birth: Field<Date>,
    monthly_occupational_pension: Field<Money>,
    appropriate_minimum_guarantee: Decision<Money>,
    eligible: Decision<Bool>,
    weekly_guarantee_credit: Decision<Money>,
    passports_housing_support: Decision<Bool>,
}

impl ClaimFields {
    pub fn new(policy: &Policy) -> ClaimFields {
        ClaimFields {
            given: FieldSet::new((
                policy.field("date_of_birth").unwrap(),
                policy.field("has_partner").unwrap(),
                policy.field("in_great_britain").unwrap(),
                policy.field("habitually_resident").unwrap(),
                policy.field("subject_to_immigration_control").unwrap(),
                policy.field("severely_disabled").unwrap(),
                policy.field("is_carer").unwrap(),
                policy.field("weekly_state_pension").unwrap(),
                policy.field("weekly_earnings").unwrap(),
                policy.field("capital").unwrap(),
            ))
            .unwrap(),
            partner_date_of_birth: policy.field("partner_date_of_birth").unwrap(),
            monthly_occupational_pension: policy.field("monthly_occupational_pension").unwrap(),
            appropriate_minimum_guarantee: policy
                .decision("appropriate_minimum_guarantee")
                .unwrap(),
            eligible: policy.decision("eligible").unwrap(),
            weekly_guarantee_credit: policy.decision("weekly_guarantee_credit").unwrap(),
            passports_housing_support: policy.decision("passports_housing_support").unwrap(),
        }
    }

    /// Writes a claim: the facts it always has in one call, the optional
    /// ones when given.
    #[inline(always)]
    pub fn fill(&self, w: &mut RecordWriter<'_>, c: &Claim) {
        w.set_all(
            &self.given,
            (
                Date(c.date_of_birth),
                c.has_partner,
                c.in_great_britain,
                c.habitually_resident,
                c.subject_to_immigration_control,
                c.severely_disabled,
                c.is_carer,
                c.weekly_state_pension,
                c.weekly_earnings,
                c.capital,
            ),
        );
        if let Some(d) = c.partner_date_of_birth {
            w.set(self.partner_date_of_birth, Date(d));
        }
        if let Some(p) = c.monthly_occupational_pension {
            w.set(self.monthly_occupational_pension, p);
        }
    }
}

/// The structs column for pension credit: `evaluate_each` over the native
/// function's [`Claim`]s (the complete records), each written by
/// [`ClaimFields::fill`], with the credit and eligibility read through
/// their handles as the native closure sums them. Every claim's four
/// decisions are checked against the native function first.
pub fn structs<'a>(policy: &'a Policy, records: &Rows, as_of: Date) -> Box<dyn Fn() -> usize + 'a> {
    let claims: Vec<Claim> = records.iter().filter_map(claim).collect();
    structs_column(policy, claims, ClaimFields::new(policy), as_of)
}

impl StructsFields<Claim> for ClaimFields {
    #[inline(always)]
    fn fill(&self, w: &mut RecordWriter<'_>, c: &Claim) {
        ClaimFields::fill(self, w, c);
    }

    fn check(&self, c: &Claim, r: RecordView<'_>, as_of: Date) {
        let a = decide(c, as_of.0);
        let got = (
            r.get(self.appropriate_minimum_guarantee),
            r.get(self.eligible),
            r.get(self.weekly_guarantee_credit),
            r.get(self.passports_housing_support),
        );
        let want = (
            Ok(Some(a.appropriate_minimum_guarantee)),
            Ok(Some(a.eligible)),
            Ok(Some(a.weekly_guarantee_credit)),
            Ok(Some(a.passports_housing_support)),
        );
        assert_eq!(
            got, want,
            "a claim's decisions differ from the native function's"
        );
    }

    #[inline(always)]
    fn count(&self, r: RecordView<'_>) -> usize {
        let credit = r.get(self.weekly_guarantee_credit).ok().flatten();
        credit.unwrap_or(0) as usize + usize::from(r.get(self.eligible) == Ok(Some(true)))
    }
}
