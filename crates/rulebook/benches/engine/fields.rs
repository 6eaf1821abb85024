//! The benchmark policy's input and decision handles, and how an
//! `Applicant` is written into a record and its decisions read: shared by
//! benches/engine.rs (case a) and benches/suite.rs (the structs column,
//! the independent benchmark's "evaluate_each with set_all and decision
//! handles").

use crate::native::{Applicant, Employment};
use rulebook::batch::{
    self, Batch, Bool, Enum, Field, FieldSet, Int, Money, RecordWriter, Text, Variant,
};
use rulebook::{BatchResults, Policy, RecordView};

/// The benchmark policy's input fields and decisions, looked up once.
/// The handles of the benchmark's eight inputs, in `Applicant` order.
type ApplicantFields = (
    Field<Int>,
    Field<Money>,
    Field<Money>,
    Field<Int>,
    Field<Bool>,
    Field<Bool>,
    Field<Enum>,
    Field<Text>,
);

pub struct BatchFields {
    age: Field<Int>,
    income_monthly: Field<Money>,
    savings: Field<Money>,
    household_size: Field<Int>,
    is_resident: Field<Bool>,
    has_disability: Field<Bool>,
    employment_status: Field<Enum>,
    region: Field<Text>,
    /// The same eight handles, checked together for `set_all`.
    all: FieldSet<ApplicantFields>,
    /// By `Employment` in `Employment::ALL` order.
    employment: [Variant; 5],
    pub eligible: batch::Decision<Bool>,
    pub route: batch::Decision<Text>,
}

impl BatchFields {
    pub fn new(policy: &Policy) -> BatchFields {
        let employment_status = policy.field("employment_status").unwrap();
        let (age, income_monthly, savings, household_size) = (
            policy.field("age").unwrap(),
            policy.field("income_monthly").unwrap(),
            policy.field("savings").unwrap(),
            policy.field("household_size").unwrap(),
        );
        let (is_resident, has_disability, region) = (
            policy.field("is_resident").unwrap(),
            policy.field("has_disability").unwrap(),
            policy.field("region").unwrap(),
        );
        BatchFields {
            age,
            income_monthly,
            savings,
            household_size,
            is_resident,
            has_disability,
            employment_status,
            region,
            all: FieldSet::new((
                age,
                income_monthly,
                savings,
                household_size,
                is_resident,
                has_disability,
                employment_status,
                region,
            ))
            .unwrap(),
            employment: Employment::ALL
                .map(|e| policy.variant(employment_status, e.name()).unwrap()),
            eligible: policy.decision("eligible").unwrap(),
            route: policy.decision("route").unwrap(),
        }
    }

    /// Appends an applicant to a batch.
    pub fn write(&self, batch: &mut Batch, a: &Applicant) {
        self.fill(&mut batch.record(), a);
    }

    /// Sets an applicant's facts in one call (inline, as a closure written
    /// at the call site would be).
    #[inline(always)]
    pub fn fill_all(&self, record: &mut RecordWriter<'_>, a: &Applicant) {
        record.set_all(
            &self.all,
            (
                a.age,
                a.income_monthly,
                a.savings,
                a.household_size,
                a.is_resident,
                a.has_disability,
                self.employment[a.employment_status as usize],
                &a.region,
            ),
        );
    }

    /// Sets an applicant's facts one by one.
    #[inline(always)]
    pub fn fill(&self, record: &mut RecordWriter<'_>, a: &Applicant) {
        record
            .set(self.age, a.age)
            .set(self.income_monthly, a.income_monthly)
            .set(self.savings, a.savings)
            .set(self.household_size, a.household_size)
            .set(self.is_resident, a.is_resident)
            .set(self.has_disability, a.has_disability)
            .set(
                self.employment_status,
                self.employment[a.employment_status as usize],
            )
            .set(self.region, &a.region);
    }
}

/// Reads both decisions of every record, as a service would: the number
/// of eligible records plus the length of every route.
pub fn read_all(fields: &BatchFields, results: &BatchResults) -> usize {
    results.iter().map(|r| read_one(fields, r.unwrap())).sum()
}

/// Reads both decisions of one record (inline, as a closure written at
/// the call site would be).
#[inline(always)]
pub fn read_one(fields: &BatchFields, r: RecordView<'_>) -> usize {
    let e = r.get(fields.eligible);
    let t = r.get(fields.route);
    usize::from(e == Ok(Some(true))) + t.map_or(0, |t| t.map_or(0, str::len))
}
