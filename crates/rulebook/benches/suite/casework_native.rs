//! rules/casework_routing.rules written by hand in Rust, as a service would
//! without Rulebook: the suite's native baseline for that policy. The facts
//! absent by nature are `Option`s (a date of birth not yet verified, the
//! notification date of anything but a mandatory reconsideration, the
//! amount of anything but an overpayment); any other absent fact, or a
//! record whose team the policy cannot tell from what is given, and the
//! record is not decided (`None`).

use crate::shapes::{structs_column, Cell, Rows, StructsFields};
use rulebook::batch::{
    Bool, Decision, Enum, Field, FieldSet, Int, Money, RecordWriter, Text, Variant,
};
use rulebook::{Date, Policy, RecordView};
use serde_json::{json, Value as Json};

const PENSION_AGE: i64 = 66;
const MINIMUM_AGE: i64 = 18;
const REVISION_WINDOW_DAYS: i64 = 31;
const LATE_REVISION_LIMIT_DAYS: i64 = 396;
const SENIOR_REVIEW_THRESHOLD: i64 = 500_000;
/// The tax credit migration route's dates, as days since 1970-01-01: from
/// 2024-04-08, until (not including) 2025-04-06.
const MIGRATION_FROM: i32 = 19_821;
const MIGRATION_UNTIL: i32 = 20_184;
/// The clearance target's dates: 15 days from 2024-04-01, 10 from
/// 2025-04-01 (none before).
const TARGET_15_FROM: i32 = 19_814;
const TARGET_10_FROM: i32 = 20_179;

/// The work types and channels, as the policy's enums order them.
const NEW_CLAIM: usize = 0;
const CHANGE_OF_CIRCUMSTANCES: usize = 1;
const MANDATORY_RECONSIDERATION: usize = 2;
const OVERPAYMENT: usize = 3;
const COMPLAINT: usize = 4;
const POST: usize = 2;
const FACE_TO_FACE: usize = 3;

/// The policy's inputs, in file order.
pub struct Case {
    pub work_type: usize,
    pub channel: usize,
    pub reference: String,
    pub postcode: String,
    pub claimant_date_of_birth: Option<i32>,
    pub received_on: i32,
    pub decision_notified_on: Option<i32>,
    pub terminally_ill: bool,
    pub needs_welsh_language: bool,
    pub overpayment_amount: Option<i64>,
}

/// The teams, in the order of the policy's routes.
pub const TEAMS: [&str; 14] = [
    "special_rules",
    "northern_ireland",
    "identity_verification",
    "pension_service",
    "young_claimants",
    "mr_out_of_time",
    "mr_late_application",
    "mr_standard",
    "debt_senior_review",
    "tax_credit_migration",
    "customer_relations",
    "welsh_language",
    "paper_casework",
    "general_casework",
];

/// The decisions: the team as its index in [`TEAMS`].
pub struct Routing {
    pub team: usize,
    pub days_waiting: i64,
    pub overdue: bool,
    pub urgent: bool,
}

/// The team of a case, or None when a fact it needs is absent (the
/// policy's answer is then unknown).
fn team(c: &Case, as_of: i32) -> Option<usize> {
    let work = c.work_type;
    if c.terminally_ill {
        return Some(0);
    }
    if c.postcode.starts_with("BT") {
        return Some(1);
    }
    if work == NEW_CLAIM {
        let Some(born) = c.claimant_date_of_birth else {
            return Some(2);
        };
        let age = rulebook::__private::num::years_between(born, as_of);
        if age >= PENSION_AGE {
            return Some(3);
        }
        if age < MINIMUM_AGE {
            return Some(4);
        }
    }
    if work == MANDATORY_RECONSIDERATION {
        let since = i64::from(c.received_on) - i64::from(c.decision_notified_on?);
        return Some(if since > LATE_REVISION_LIMIT_DAYS {
            5
        } else if since > REVISION_WINDOW_DAYS {
            6
        } else {
            7
        });
    }
    if work == OVERPAYMENT && c.overpayment_amount? >= SENIOR_REVIEW_THRESHOLD {
        return Some(8);
    }
    if (work == NEW_CLAIM || work == CHANGE_OF_CIRCUMSTANCES)
        && c.reference.starts_with("TC")
        && (MIGRATION_FROM..MIGRATION_UNTIL).contains(&as_of)
    {
        return Some(9);
    }
    if work == COMPLAINT || c.reference.ends_with("-MP") {
        return Some(10);
    }
    if c.needs_welsh_language {
        return Some(11);
    }
    if c.channel == POST || c.channel == FACE_TO_FACE {
        return Some(12);
    }
    Some(13)
}

/// The case's decisions on `as_of` (on or after 2024-04-01, when the
/// clearance target starts), or None when its team is unknown.
pub fn decide(c: &Case, as_of: i32) -> Option<Routing> {
    let team = team(c, as_of)?;
    let target = if as_of >= TARGET_10_FROM {
        10
    } else if as_of >= TARGET_15_FROM {
        15
    } else {
        return None;
    };
    let days_waiting = i64::from(as_of) - i64::from(c.received_on);
    let overdue = days_waiting > target;
    Some(Routing {
        team,
        days_waiting,
        overdue,
        urgent: team == 0 || team == 2 || overdue,
    })
}

/// The case in a record, if every fact it needs is there.
pub fn case(r: &[Cell]) -> Option<Case> {
    let cell = |i: usize| r.get(i).unwrap_or(&Cell::Absent);
    Some(Case {
        work_type: cell(0).variant()?,
        channel: cell(1).variant()?,
        reference: cell(2).text()?,
        postcode: cell(3).text()?,
        claimant_date_of_birth: cell(4).days(),
        received_on: cell(5).days()?,
        decision_notified_on: cell(6).days(),
        terminally_ill: cell(7).flag()?,
        needs_welsh_language: cell(8).flag()?,
        overpayment_amount: cell(9).num(),
    })
}

/// The native decisions of a record, as the engine's JSON values.
pub fn decide_json(r: &[Cell], as_of: Date) -> Option<Vec<(&'static str, Json)>> {
    let d = decide(&case(r)?, as_of.0)?;
    Some(vec![
        ("team", json!(TEAMS[d.team])),
        ("days_waiting", json!(d.days_waiting)),
        ("overdue", json!(d.overdue)),
        ("urgent", json!(d.urgent)),
    ])
}

/// The handles of the facts every case has, in file order.
type GivenFields = (
    Field<Enum>,
    Field<Enum>,
    Field<Text>,
    Field<Text>,
    Field<Date>,
    Field<Bool>,
    Field<Bool>,
);

/// The handles a service holding [`Case`]s would look up once: the facts
/// every case has in one [`FieldSet`], the optional ones apart, and the
/// four decisions.
pub struct CaseFields {
    given: FieldSet<GivenFields>,
    claimant_date_of_birth: Field<Date>,
    decision_notified_on: Field<Date>,
    overpayment_amount: Field<Money>,
    /// The enums' variants, by index in the policy's order.
    work_types: Vec<Variant>,
    channels: Vec<Variant>,
    team: Decision<Text>,
    days_waiting: Decision<Int>,
    overdue: Decision<Bool>,
    urgent: Decision<Bool>,
}

impl CaseFields {
    pub fn new(policy: &Policy) -> CaseFields {
        let (work_type, channel) = (
            policy.field("work_type").unwrap(),
            policy.field("channel").unwrap(),
        );
        let variants = |f: Field<Enum>, names: &[&str]| -> Vec<Variant> {
            names
                .iter()
                .map(|v| policy.variant(f, v).unwrap())
                .collect()
        };
        CaseFields {
            given: FieldSet::new((
                work_type,
                channel,
                policy.field("reference").unwrap(),
                policy.field("postcode").unwrap(),
                policy.field("received_on").unwrap(),
                policy.field("terminally_ill").unwrap(),
                policy.field("needs_welsh_language").unwrap(),
            ))
            .unwrap(),
            claimant_date_of_birth: policy.field("claimant_date_of_birth").unwrap(),
            decision_notified_on: policy.field("decision_notified_on").unwrap(),
            overpayment_amount: policy.field("overpayment_amount").unwrap(),
            work_types: variants(
                work_type,
                &[
                    "new_claim",
                    "change_of_circumstances",
                    "mandatory_reconsideration",
                    "overpayment",
                    "complaint",
                ],
            ),
            channels: variants(channel, &["online", "telephone", "post", "face_to_face"]),
            team: policy.decision("team").unwrap(),
            days_waiting: policy.decision("days_waiting").unwrap(),
            overdue: policy.decision("overdue").unwrap(),
            urgent: policy.decision("urgent").unwrap(),
        }
    }

    /// Writes a case: the facts it always has in one call, the optional
    /// ones when given.
    #[inline(always)]
    pub fn fill(&self, w: &mut RecordWriter<'_>, c: &Case) {
        w.set_all(
            &self.given,
            (
                self.work_types[c.work_type],
                self.channels[c.channel],
                &c.reference,
                &c.postcode,
                Date(c.received_on),
                c.terminally_ill,
                c.needs_welsh_language,
            ),
        );
        if let Some(d) = c.claimant_date_of_birth {
            w.set(self.claimant_date_of_birth, Date(d));
        }
        if let Some(d) = c.decision_notified_on {
            w.set(self.decision_notified_on, Date(d));
        }
        if let Some(a) = c.overpayment_amount {
            w.set(self.overpayment_amount, a);
        }
    }

    /// The four decisions of a case's results, through their handles.
    #[inline(always)]
    fn read(&self, r: &RecordView<'_>) -> Option<(&'static str, i64, bool, bool)> {
        let team = r.get(self.team).ok()??;
        let team = TEAMS.iter().find(|t| **t == team)?;
        Some((
            team,
            r.get(self.days_waiting).ok()??,
            r.get(self.overdue).ok()??,
            r.get(self.urgent).ok()??,
        ))
    }
}

/// The structs column for casework routing: `evaluate_each` over the
/// native function's [`Case`]s (those the records give), each written by
/// [`CaseFields::fill`], with its team and urgency read through their
/// handles as the native closure sums them. Every case the native
/// function decides is checked against it first (and one it does not
/// decide must have no team).
pub fn structs<'a>(policy: &'a Policy, records: &Rows, as_of: Date) -> Box<dyn Fn() -> usize + 'a> {
    let cases: Vec<Case> = records.iter().filter_map(case).collect();
    structs_column(policy, cases, CaseFields::new(policy), as_of)
}

impl StructsFields<Case> for CaseFields {
    #[inline(always)]
    fn fill(&self, w: &mut RecordWriter<'_>, c: &Case) {
        CaseFields::fill(self, w, c);
    }

    fn check(&self, c: &Case, r: RecordView<'_>, as_of: Date) {
        let want = decide(c, as_of.0).map(|d| (TEAMS[d.team], d.days_waiting, d.overdue, d.urgent));
        assert_eq!(
            self.read(&r),
            want,
            "a case's decisions differ from the native function's"
        );
    }

    #[inline(always)]
    fn count(&self, r: RecordView<'_>) -> usize {
        let team = r.get(self.team).ok().flatten().map_or(0, str::len);
        team + usize::from(r.get(self.urgent) == Ok(Some(true)))
    }
}
