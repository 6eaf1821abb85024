//! Which records the compiled module evaluates on its fast path: a record
//! that lacks only facts its evaluation never reads stays on it (real
//! claims leave optional facts out), and one whose evaluation reads an
//! absent fact, or that lacks a list element's field, goes to the full
//! (three-valued) evaluation. Either way the answer is the interpreter's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Policy};

const SOURCE: &str = r#"
policy optional
input {
  kind: enum(claim, reconsideration)
  received: date
  notified: date          # reconsiderations only
  amount: money
  bonus: money            # read only through known()
  people: list of { age: int }
}
define waited: int = days_between(notified, received)   # absent for claims
decision late: bool =
  kind == "reconsideration" and waited > 31
decision award: money =
  (if known(bonus) then bonus else £0) + amount
decision adults: int = count(p in people: p.age >= 18)
"#;

/// (facts, evaluated in full?)
const CASES: &[(&str, bool)] = &[
    // every fact given
    (
        r#"{"kind":"reconsideration","received":"2026-03-01","notified":"2026-01-01","amount":"10.00","bonus":"1.00","people":[{"age":20}]}"#,
        false,
    ),
    // a claim without the date only reconsiderations read (through a
    // define, computed for every record): fast
    (
        r#"{"kind":"claim","received":"2026-03-01","amount":"10.00","people":[]}"#,
        false,
    ),
    // a reconsideration without it: its evaluation reads it, so in full
    (
        r#"{"kind":"reconsideration","received":"2026-03-01","amount":"10.00","people":[]}"#,
        true,
    ),
    // a fact read whatever the record: in full
    (
        r#"{"kind":"claim","received":"2026-03-01","notified":"2026-01-01","people":[]}"#,
        true,
    ),
    // a list element without its field: in full
    (
        r#"{"kind":"claim","received":"2026-03-01","amount":"1.00","people":[{}]}"#,
        true,
    ),
];

#[test]
fn records_missing_only_unread_facts_stay_on_the_fast_path() {
    let policy = Policy::from_source("optional.rules", SOURCE).unwrap();
    let marked = policy.marking_full_body().unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let facts: Vec<_> = CASES
        .iter()
        .map(|(json, _)| marked.parse_facts(json).unwrap())
        .collect();
    let mut results = rulebook::BatchResults::default();
    marked.evaluate_batch_into(&facts, as_of, &mut results);
    for ((i, r), (json, in_full)) in results.iter().enumerate().zip(CASES) {
        let view = r.unwrap();
        assert_eq!(view.evaluated_in_full(), *in_full, "case {i}: {json}");
        // the answer is the interpreter's, marked module or not
        let wasm = policy.evaluate_json(json, as_of).unwrap();
        let f = policy.parse_facts(json).unwrap();
        let interp = policy
            .report(
                &policy
                    .evaluate_with(Engine::Interpreter, &f, as_of)
                    .unwrap(),
                as_of,
            )
            .to_string();
        let interp_json: serde_json::Value = serde_json::from_str(&interp).unwrap();
        assert_eq!(wasm, interp_json, "case {i}: {json}");
        assert_eq!(
            marked.report(&view, as_of).to_string(),
            interp,
            "case {i}: {json}"
        );
    }
}
