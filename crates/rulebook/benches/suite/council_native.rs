//! rules/council_tax_reduction.rules written by hand in Rust, as a service
//! would without Rulebook: the suite's native baseline for the policy with
//! list inputs. A household is a `Vec` of members, each with a `Vec` of
//! incomes. Money is i64 pence and decimals i64 millionths, each product
//! and quotient rounded half away from zero where the language rounds it
//! (LANGUAGE.md section 3). Any absent fact and the record is not decided
//! (`None`). Figures of 2025-04-01 on: the suite evaluates on 2026-11-27.

use crate::native::div_round;
use crate::shapes::{pounds, structs_column, Cell, Rows, StructsFields};
use rulebook::__private::num::years_between;
use rulebook::batch::{
    Bool, Decimal, Decision, Enum, Field, FieldSet, Int, ListField, Money, RecordWriter, Text,
    Variant,
};
use rulebook::{Date, Policy, RecordView};
use serde_json::{json, Value as Json};

const PENSION_AGE: i64 = 66;
const CAPITAL_LIMIT: i64 = 1_600_000;
const CAPITAL_DISREGARD: i64 = 1_000_000;
const TARIFF_STEP: i64 = 50_000;
/// 0.2 and 0.25, in millionths.
const TAPER: i64 = 200_000;
const SINGLE_PERSON_DISCOUNT: i64 = 250_000;
const MILLION: i64 = 1_000_000;
const DAYS_IN_FINANCIAL_YEAR: i64 = 365;
const ALLOWANCE_SINGLE: i64 = 22_710;
const ALLOWANCE_COUPLE: i64 = 34_660;
const ALLOWANCE_SINGLE_EARLIER: i64 = 24_440;
const ALLOWANCE_COUPLE_EARLIER: i64 = 36_600;
const ND_LOWEST: i64 = 500;
const ND_MIDDLE: i64 = 1_020;
const ND_HIGHER: i64 = 1_280;
const ND_TOP: i64 = 1_535;
const ND_BAND_1: i64 = 26_600;
const ND_BAND_2: i64 = 46_300;
const ND_BAND_3: i64 = 57_700;
/// 1955-04-01, as days since 1970-01-01.
const APRIL_1955: i32 = -5_389;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    Partner,
    Child,
    NonDependant,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IncomeKind {
    Earnings,
    StatePension,
    PensionCredit,
    OtherBenefit,
    Other,
}

pub struct Income {
    pub kind: IncomeKind,
    pub weekly_amount: i64,
}

pub struct Member {
    pub relationship: Relationship,
    pub date_of_birth: i32,
    pub full_time_student: bool,
    pub in_remunerative_work: bool,
    pub incomes: Vec<Income>,
}

/// The policy's inputs, in file order.
pub struct Application {
    pub applicant_date_of_birth: i32,
    pub liable_for_council_tax: bool,
    pub habitually_resident: bool,
    pub subject_to_immigration_control: bool,
    pub receives_guarantee_credit: bool,
    pub blind_or_receives_care_benefit: bool,
    pub annual_council_tax: i64,
    pub applicant_weekly_income: i64,
    pub capital: i64,
    pub household: Vec<Member>,
}

/// The decisions: money in pence, the share in millionths.
pub struct Reduction {
    pub eligible: bool,
    /// "none", "A" or "B".
    pub class: &'static str,
    pub weekly_reduction: i64,
    pub share_of_council_tax: i64,
    pub yearly_estimate: i64,
    pub household_size: i64,
    pub adults_in_household: i64,
}

pub fn decide(a: &Application, as_of: i32) -> Reduction {
    // one pass over the household, each member's age worked out once
    let (mut has_partner, mut partner_earlier, mut partner_income) = (false, false, 0);
    let (mut single, mut deductions, mut adults) = (true, 0, 1);
    for m in &a.household {
        let age = years_between(m.date_of_birth, as_of);
        let income = || m.incomes.iter().map(|i| i.weekly_amount).sum::<i64>();
        adults += i64::from(age >= 18);
        single &= age < 18 || m.full_time_student;
        match m.relationship {
            Relationship::Partner => {
                has_partner = true;
                partner_earlier |= m.date_of_birth < APRIL_1955;
                partner_income += income();
            }
            Relationship::NonDependant
                if age >= 18
                    && !m.full_time_student
                    && !(m.incomes.iter()).any(|i| i.kind == IncomeKind::PensionCredit) =>
            {
                deductions += if !m.in_remunerative_work {
                    ND_LOWEST
                } else {
                    match income() {
                        i if i < ND_BAND_1 => ND_LOWEST,
                        i if i < ND_BAND_2 => ND_MIDDLE,
                        i if i < ND_BAND_3 => ND_HIGHER,
                        _ => ND_TOP,
                    }
                };
            }
            _ => {}
        }
    }
    if a.blind_or_receives_care_benefit {
        deductions = 0;
    }
    let earlier = a.applicant_date_of_birth < APRIL_1955 || partner_earlier;
    let applicable = match (has_partner, earlier) {
        (true, true) => ALLOWANCE_COUPLE_EARLIER,
        (true, false) => ALLOWANCE_COUPLE,
        (false, true) => ALLOWANCE_SINGLE_EARLIER,
        (false, false) => ALLOWANCE_SINGLE,
    };
    // £1 for each £500 or part of £500 above £10,000
    let tariff = if a.capital > CAPITAL_DISREGARD {
        (a.capital - CAPITAL_DISREGARD + TARIFF_STEP - 1) / TARIFF_STEP * 100
    } else {
        0
    };
    let family_income = a.applicant_weekly_income + partner_income + tariff;
    let discount = if single {
        MILLION - SINGLE_PERSON_DISCOUNT
    } else {
        MILLION
    };
    let weekly_tax = div_round(
        div_round(a.annual_council_tax * discount, MILLION) * 7,
        DAYS_IN_FINANCIAL_YEAR,
    );
    let maximum = (weekly_tax - deductions).max(0);
    let eligible = a.liable_for_council_tax
        && years_between(a.applicant_date_of_birth, as_of) >= PENSION_AGE
        && a.habitually_resident
        && !a.subject_to_immigration_control
        && (a.receives_guarantee_credit || a.capital <= CAPITAL_LIMIT);
    let class = if !eligible {
        "none"
    } else if a.receives_guarantee_credit || family_income <= applicable {
        "A"
    } else {
        "B"
    };
    let weekly_reduction = match class {
        "none" => 0,
        "A" => maximum,
        _ => (maximum - div_round(TAPER * (family_income - applicable), MILLION)).max(0),
    };
    let share = if weekly_tax > 0 {
        div_round(weekly_reduction * MILLION, weekly_tax)
    } else {
        0
    };
    // round(money) is to whole pounds, half away from zero
    let yearly_estimate = div_round(weekly_reduction * 52, 100) * 100;
    Reduction {
        eligible,
        class,
        weekly_reduction,
        share_of_council_tax: share,
        yearly_estimate,
        household_size: 1 + a.household.len() as i64,
        adults_in_household: adults,
    }
}

/// Pence from a money text of the JSON ("12.34").
fn pence(v: &Json) -> Option<i64> {
    let (pounds, p) = v.as_str()?.split_once('.')?;
    Some(pounds.parse::<i64>().ok()? * 100 + p.parse::<i64>().ok()?)
}

fn days(v: &Json) -> Option<i32> {
    Some(Date::parse(v.as_str()?).ok()?.0)
}

fn member(m: &Json) -> Option<Member> {
    let relationship = match m["relationship"].as_str()? {
        "partner" => Relationship::Partner,
        "child" => Relationship::Child,
        "non_dependant" => Relationship::NonDependant,
        _ => return None,
    };
    let incomes = (m["incomes"].as_array()?.iter())
        .map(|i| {
            let kind = match i["kind"].as_str()? {
                "earnings" => IncomeKind::Earnings,
                "state_pension" => IncomeKind::StatePension,
                "pension_credit" => IncomeKind::PensionCredit,
                "other_benefit" => IncomeKind::OtherBenefit,
                "other" => IncomeKind::Other,
                _ => return None,
            };
            Some(Income {
                kind,
                weekly_amount: pence(&i["weekly_amount"])?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Member {
        relationship,
        date_of_birth: days(&m["date_of_birth"])?,
        full_time_student: m["full_time_student"].as_bool()?,
        in_remunerative_work: m["in_remunerative_work"].as_bool()?,
        incomes,
    })
}

/// A record's application, when every fact is given.
pub fn application(r: &[Cell]) -> Option<Application> {
    let cell = |i: usize| r.get(i).unwrap_or(&Cell::Absent);
    let household = match cell(9) {
        Cell::List(items) => items
            .as_array()?
            .iter()
            .map(member)
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(Application {
        applicant_date_of_birth: cell(0).days()?,
        liable_for_council_tax: cell(1).flag()?,
        habitually_resident: cell(2).flag()?,
        subject_to_immigration_control: cell(3).flag()?,
        receives_guarantee_credit: cell(4).flag()?,
        blind_or_receives_care_benefit: cell(5).flag()?,
        annual_council_tax: cell(6).num()?,
        applicant_weekly_income: cell(7).num()?,
        capital: cell(8).num()?,
        household,
    })
}

/// A decimal of millionths in its shortest exact form ("0.75", "1").
fn decimal(m: i64) -> Json {
    let sign = if m < 0 { "-" } else { "" };
    let (whole, frac) = (m.abs() / MILLION, m.abs() % MILLION);
    if frac == 0 {
        return json!(format!("{sign}{whole}"));
    }
    let digits = format!("{frac:06}");
    json!(format!("{sign}{whole}.{}", digits.trim_end_matches('0')))
}

/// The native decisions of a record, as the engine's JSON values.
pub fn decide_json(r: &[Cell], as_of: Date) -> Option<Vec<(&'static str, Json)>> {
    let d = decide(&application(r)?, as_of.0);
    Some(vec![
        ("eligible", json!(d.eligible)),
        ("reduction_class", json!(d.class)),
        ("weekly_reduction", pounds(d.weekly_reduction)),
        ("share_of_council_tax", decimal(d.share_of_council_tax)),
        ("yearly_estimate", pounds(d.yearly_estimate)),
        ("household_size", json!(d.household_size)),
        ("adults_in_household", json!(d.adults_in_household)),
    ])
}

/// The handles of the facts every application has, in file order.
type GivenFields = (
    Field<Date>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Bool>,
    Field<Money>,
    Field<Money>,
    Field<Money>,
);

/// The handles a service holding [`Application`]s would look up once: the
/// facts every application has in one [`FieldSet`], the household through
/// its list handle and its elements' handles, and the decisions.
pub struct ApplicationFields {
    given: FieldSet<GivenFields>,
    household: ListField,
    relationship: Field<Enum>,
    relationships: [Variant; 3],
    date_of_birth: Field<Date>,
    full_time_student: Field<Bool>,
    in_remunerative_work: Field<Bool>,
    incomes: ListField,
    kind: Field<Enum>,
    kinds: [Variant; 5],
    weekly_amount: Field<Money>,
    eligible: Decision<Bool>,
    reduction_class: Decision<Text>,
    weekly_reduction: Decision<Money>,
    share_of_council_tax: Decision<Decimal>,
    yearly_estimate: Decision<Money>,
    household_size: Decision<Int>,
    adults_in_household: Decision<Int>,
}

impl ApplicationFields {
    pub fn new(policy: &Policy) -> ApplicationFields {
        let household = policy.list_field("household").unwrap();
        let relationship = household.field("relationship").unwrap();
        let incomes = household.list("incomes").unwrap();
        let kind = incomes.field("kind").unwrap();
        ApplicationFields {
            given: FieldSet::new((
                policy.field("applicant_date_of_birth").unwrap(),
                policy.field("liable_for_council_tax").unwrap(),
                policy.field("habitually_resident").unwrap(),
                policy.field("subject_to_immigration_control").unwrap(),
                policy.field("receives_guarantee_credit").unwrap(),
                policy.field("blind_or_receives_care_benefit").unwrap(),
                policy.field("annual_council_tax").unwrap(),
                policy.field("applicant_weekly_income").unwrap(),
                policy.field("capital").unwrap(),
            ))
            .unwrap(),
            relationships: ["partner", "child", "non_dependant"]
                .map(|r| household.variant(relationship, r).unwrap()),
            relationship,
            date_of_birth: household.field("date_of_birth").unwrap(),
            full_time_student: household.field("full_time_student").unwrap(),
            in_remunerative_work: household.field("in_remunerative_work").unwrap(),
            kinds: [
                "earnings",
                "state_pension",
                "pension_credit",
                "other_benefit",
                "other",
            ]
            .map(|k| incomes.variant(kind, k).unwrap()),
            kind,
            weekly_amount: incomes.field("weekly_amount").unwrap(),
            incomes,
            household,
            eligible: policy.decision("eligible").unwrap(),
            reduction_class: policy.decision("reduction_class").unwrap(),
            weekly_reduction: policy.decision("weekly_reduction").unwrap(),
            share_of_council_tax: policy.decision("share_of_council_tax").unwrap(),
            yearly_estimate: policy.decision("yearly_estimate").unwrap(),
            household_size: policy.decision("household_size").unwrap(),
            adults_in_household: policy.decision("adults_in_household").unwrap(),
        }
    }

    /// Writes an application: the facts it always has in one call, the
    /// household a member at a time, each member's incomes a list of its
    /// own.
    #[inline(always)]
    pub fn fill(&self, w: &mut RecordWriter<'_>, a: &Application) {
        w.set_all(
            &self.given,
            (
                Date(a.applicant_date_of_birth),
                a.liable_for_council_tax,
                a.habitually_resident,
                a.subject_to_immigration_control,
                a.receives_guarantee_credit,
                a.blind_or_receives_care_benefit,
                a.annual_council_tax,
                a.applicant_weekly_income,
                a.capital,
            ),
        );
        let set = w.set_list(&self.household, &a.household, |m, e| {
            e.set(
                self.relationship,
                self.relationships[m.relationship as usize],
            );
            e.set(self.date_of_birth, Date(m.date_of_birth));
            e.set(self.full_time_student, m.full_time_student);
            e.set(self.in_remunerative_work, m.in_remunerative_work);
            let set = e.set_list(&self.incomes, &m.incomes, |i, e| {
                e.set(self.kind, self.kinds[i.kind as usize]);
                e.set(self.weekly_amount, i.weekly_amount);
            });
            assert!(set.is_ok(), "a member's incomes fit");
        });
        assert!(set.is_ok(), "a household fits");
    }
}

/// The structs column for council tax reduction: `evaluate_each` over the
/// native function's [`Application`]s (the complete records), each written
/// by [`ApplicationFields::fill`], with the reduction and eligibility read
/// through their handles as the native closure sums them. Every
/// application's seven decisions are checked against the native function
/// first.
pub fn structs<'a>(policy: &'a Policy, records: &Rows, as_of: Date) -> Box<dyn Fn() -> usize + 'a> {
    let applications: Vec<Application> = records.iter().filter_map(application).collect();
    structs_column(policy, applications, ApplicationFields::new(policy), as_of)
}

impl StructsFields<Application> for ApplicationFields {
    #[inline(always)]
    fn fill(&self, w: &mut RecordWriter<'_>, a: &Application) {
        ApplicationFields::fill(self, w, a);
    }

    fn check(&self, a: &Application, r: RecordView<'_>, as_of: Date) {
        let d = decide(a, as_of.0);
        let got = (
            r.get(self.eligible),
            r.get(self.reduction_class),
            r.get(self.weekly_reduction),
            r.get(self.share_of_council_tax),
            r.get(self.yearly_estimate),
            r.get(self.household_size),
            r.get(self.adults_in_household),
        );
        let want = (
            Ok(Some(d.eligible)),
            Ok(Some(d.class)),
            Ok(Some(d.weekly_reduction)),
            Ok(Some(d.share_of_council_tax)),
            Ok(Some(d.yearly_estimate)),
            Ok(Some(d.household_size)),
            Ok(Some(d.adults_in_household)),
        );
        assert_eq!(
            got, want,
            "an application's decisions differ from the native function's"
        );
    }

    #[inline(always)]
    fn count(&self, r: RecordView<'_>) -> usize {
        let reduction = r.get(self.weekly_reduction).ok().flatten();
        reduction.unwrap_or(0) as usize + usize::from(r.get(self.eligible) == Ok(Some(true)))
    }
}
