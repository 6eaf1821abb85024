//! What is made for one policy is refused by another, in both engines and
//! every form of results: facts after a reload that added an input, facts,
//! field and decision handles of another policy, an enum variant of another
//! field. Each is a typed error, never a wrong decision and never `None`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::batch::{Batch, Bool, Decision, Enum, Field, FieldSet, Int};
use rulebook::{BatchResults, Date, Engine, EvalError, Policy, WrongPolicy};

const V1: &str = "policy benefit
input { age: int  savings: money }
decision eligible: bool
  require age >= 66 because \"Must be of State Pension age\"
  require savings <= £16000 because \"Savings are above the limit\"
";

/// The next version asks one more question, first: every slot moves.
const V2: &str = "policy benefit
input { resident: bool  age: int  savings: money }
decision eligible: bool
  require resident because \"Must live here\"
  require age >= 66 because \"Must be of State Pension age\"
  require savings <= £16000 because \"Savings are above the limit\"
";

fn as_of() -> Date {
    "2026-11-27".parse().unwrap()
}

fn is_wrong_facts(r: &Result<impl std::fmt::Debug, EvalError>) -> bool {
    matches!(r, Err(EvalError::WrongPolicy(WrongPolicy::Facts { policy })) if policy == "benefit")
}

#[test]
fn facts_of_the_version_before_a_reload_are_refused_by_both_engines() {
    let v1 = Policy::from_source("benefit.rules", V1).unwrap();
    let v2 = Policy::from_source("benefit.rules", V2).unwrap();
    let facts = v1.parse_facts(r#"{"age": 70, "savings": "4000"}"#).unwrap();
    assert_eq!(
        v1.evaluate(&facts, as_of()).unwrap().decisions[0].value,
        Some(rulebook::Value::Bool(true))
    );
    for engine in [Engine::Wasm, Engine::Interpreter] {
        let r = v2.evaluate_with(engine, &facts, as_of());
        assert!(is_wrong_facts(&r), "{engine:?}: {r:?}");
    }
    assert!(is_wrong_facts(&v2.evaluate_report(&facts, as_of(), &[])));
    // in a batch, only the stale record is refused
    let fresh = v2
        .parse_facts(r#"{"resident": true, "age": 70, "savings": "4000"}"#)
        .unwrap();
    let results = v2.evaluate_batch(&[fresh.clone(), facts, fresh], as_of());
    assert_eq!(results.len(), 3);
    assert!(is_wrong_facts(&results[1]), "{:?}", results[1]);
    let eligible: Decision<Bool> = v2.decision("eligible").unwrap();
    for r in [&results[0], &results[2]] {
        assert_eq!(r.as_ref().unwrap().get(eligible), Ok(Some(true)));
    }
}

#[test]
fn facts_of_another_policy_are_refused_even_with_the_same_field_names() {
    let p = Policy::from_source("benefit.rules", V1).unwrap();
    let other = Policy::from_source(
        "other.rules",
        "policy other\ninput { savings: money  age: int }\ndecision d: int = age\n",
    )
    .unwrap();
    let facts = other
        .parse_facts(r#"{"age": 70, "savings": "4000"}"#)
        .unwrap();
    for engine in [Engine::Wasm, Engine::Interpreter] {
        let r = p.evaluate_with(engine, &facts, as_of());
        assert!(is_wrong_facts(&r), "{engine:?}: {r:?}");
    }
    // a module loaded without its source refuses them alike
    let loaded = Policy::from_wasm("benefit.wasm", p.wasm().to_vec()).unwrap();
    assert!(is_wrong_facts(&loaded.evaluate(&facts, as_of())));
    // the same version compiled again takes them: the inputs are the same
    let again = Policy::from_source("benefit.rules", V1).unwrap();
    let own = p.parse_facts(r#"{"age": 70}"#).unwrap();
    assert!(again.evaluate(&own, as_of()).is_ok());
}

#[test]
fn a_decision_handle_of_another_policy_is_an_error_on_every_form_of_results() {
    let v2 = Policy::from_source("benefit.rules", V2).unwrap();
    // other decisions: an amount before the eligibility
    let other = Policy::from_source(
        "other.rules",
        "policy other\ninput { age: int }\ndecision amount: money = £1\ndecision eligible: bool = age > 1\n",
    )
    .unwrap();
    let foreign: Decision<Bool> = other.decision("eligible").unwrap();
    let own: Decision<Bool> = v2.decision("eligible").unwrap();
    let facts = v2.parse_facts(r#"{"age": 70}"#).unwrap();
    // an owned outcome, of either engine
    for engine in [Engine::Wasm, Engine::Interpreter] {
        let outcome = v2.evaluate_with(engine, &facts, as_of()).unwrap();
        assert_eq!(
            outcome.get(foreign),
            Err(WrongPolicy::Decision),
            "{engine:?}"
        );
        assert!(outcome.decision(foreign).is_err());
        // unknown (resident and savings are missing): `None`, not an error
        assert_eq!(outcome.get(own), Ok(None), "{engine:?}");
        assert_eq!(outcome.decision(own).unwrap().missing.len(), 2);
    }
    // results read in place
    let mut results = BatchResults::default();
    v2.evaluate_batch_into(&[facts], as_of(), &mut results);
    let view = results.get(0).unwrap().unwrap();
    assert_eq!(view.get(foreign), Err(WrongPolicy::Decision));
    assert!(view.decision(foreign).is_err());
    // a handle of the version before, whose decisions are laid out the
    // same, reads the new version's results (by the new version's meaning)
    let v1 = Policy::from_source("benefit.rules", V1).unwrap();
    let before: Decision<Bool> = v1.decision("eligible").unwrap();
    assert_eq!(view.get(before), Ok(None));
    let names: Vec<&str> = view.decision(before).unwrap().missing_paths().collect();
    assert_eq!(names, ["resident", "savings"]);
}

#[test]
fn field_handles_of_another_policy_fail_their_record_only() {
    let v1 = Policy::from_source("benefit.rules", V1).unwrap();
    let v2 = Policy::from_source("benefit.rules", V2).unwrap();
    let stale_age: Field<Int> = v1.field("age").unwrap();
    let age: Field<Int> = v2.field("age").unwrap();
    let eligible: Decision<Bool> = v2.decision("eligible").unwrap();
    let mut answers = Vec::new();
    v2.evaluate_each(
        [true, false, true],
        as_of(),
        |&own, record| {
            record.set(if own { age } else { stale_age }, 70);
        },
        |_, r| answers.push(r.map(|r| r.decision(eligible).unwrap().missing().count())),
    );
    assert_eq!(answers[0], Ok(2));
    assert_eq!(answers[1], Err(EvalError::WrongPolicy(WrongPolicy::Field)));
    assert_eq!(answers[2], Ok(2));
    // a set of stale handles fails alike
    let stale_set = FieldSet::new((stale_age,)).unwrap();
    let mut batch = Batch::new(&v2);
    batch.record().set_all(&stale_set, (70,));
    let mut results = BatchResults::default();
    v2.evaluate_batch_into(&batch, as_of(), &mut results);
    assert!(matches!(
        results.get(0).unwrap(),
        Err(EvalError::WrongPolicy(WrongPolicy::Field))
    ));
}

#[test]
fn an_enum_variant_belongs_to_its_field() {
    let p = Policy::from_source(
        "p.rules",
        "policy p
input { status: enum(employed, student)  tenure: enum(student, owner) }
decision studying: bool = status == \"student\"
decision owns: bool = tenure == \"owner\"
",
    )
    .unwrap();
    let status: Field<Enum> = p.field("status").unwrap();
    let tenure: Field<Enum> = p.field("tenure").unwrap();
    let student = p.variant(status, "student").unwrap();
    let tenure_student = p.variant(tenure, "student").unwrap();
    assert_ne!(student, tenure_student);
    let studying: Decision<Bool> = p.decision("studying").unwrap();
    let owns: Decision<Bool> = p.decision("owns").unwrap();
    let mut answers = Vec::new();
    p.evaluate_each(
        [0, 1, 2],
        as_of(),
        |&i, record| {
            match i {
                0 => record.set(status, student),
                // index 1 of `status` is `student`, of `tenure` is `owner`:
                // set in the wrong field it would read as "owner"
                1 => record.set(tenure, student),
                _ => record.set(tenure, tenure_student),
            };
        },
        |_, r| answers.push(r.map(|r| (r.get(studying).unwrap(), r.get(owns).unwrap()))),
    );
    assert_eq!(answers[0], Ok((Some(true), None)));
    assert_eq!(answers[1], Err(EvalError::WrongPolicy(WrongPolicy::Field)));
    assert_eq!(answers[2], Ok((None, Some(false))));
    // a set checks its values too
    let set = FieldSet::new((tenure,)).unwrap();
    let mut batch = Batch::new(&p);
    batch.record().set_all(&set, (student,));
    batch.record().set_all(&set, (tenure_student,));
    let mut results = BatchResults::default();
    p.evaluate_batch_into(&batch, as_of(), &mut results);
    assert!(results.get(0).unwrap().is_err());
    assert_eq!(results.get(1).unwrap().unwrap().get(owns), Ok(Some(false)));
    // a variant of another policy's field is refused at lookup's use too
    let other = Policy::from_source(
        "o.rules",
        "policy o\ninput { status: enum(employed, student) }\ndecision d: bool = status == \"student\"\n",
    )
    .unwrap();
    let other_status: Field<Enum> = other.field("status").unwrap();
    assert!(p.variant(other_status, "student").is_err());
}
