//! Text cells (CSV rows) read two ways: into `Facts` with
//! `Policy::parse_cells`, and straight into record images with
//! `Batch::push_cells`. On random rows of good, empty and bad cells of
//! every scalar type, both refuse the same rows with the same message, and
//! evaluate the rest to the same report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rulebook::batch::Batch;
use rulebook::{BatchResults, Date, Policy};

/// Every scalar type, each read by a decision; `wide` adds 66 more ints so
/// that fields past the 64th (a second presence word) are read too.
fn policy(wide: bool) -> Policy {
    let mut inputs = String::from(
        "  flag: bool\n  count: int\n  amount: money\n  rate: decimal\n  \
         born: date\n  name: text\n  kind: enum(a, b, c)\n",
    );
    let mut sum = String::from("count");
    if wide {
        for k in 0..66 {
            inputs.push_str(&format!("  extra{k}: int\n"));
            sum.push_str(&format!(" + extra{k}"));
        }
    }
    let text = format!(
        "policy cells\ninput {{\n{inputs}}}\n\
         decision total: int\n  = {sum}\n\
         decision pay: money\n  when flag -> amount * rate\n  otherwise -> amount\n\
         decision old: bool\n  require born < 1960-01-01 because \"born before 1960\"\n\
         decision label: text\n  when kind == \"b\" -> name\n  otherwise -> \"other\"\n\
         decision route: enum(x, y)\n  when kind == \"a\" -> \"x\"\n  otherwise -> \"y\"\n"
    );
    Policy::from_source("cells.rules", &text).unwrap()
}

/// A cell for a field of the given kind: usually good, sometimes empty,
/// sometimes something the field's type refuses.
fn cell(kind: usize) -> impl Strategy<Value = String> {
    let good: BoxedStrategy<String> = match kind {
        0 => prop_oneof![Just("true".to_string()), Just("false".to_string())].boxed(),
        1 => (-1_000_000i64..1_000_000)
            .prop_map(|n| n.to_string())
            .boxed(),
        2 => (-100_000i64..100_000)
            .prop_map(|p| {
                format!(
                    "{}{}.{:02}",
                    if p < 0 { "-" } else { "" },
                    p.abs() / 100,
                    p.abs() % 100
                )
            })
            .boxed(),
        3 => (0u32..5_000_000)
            .prop_map(|n| format!("{}.{:06}", n / 1_000_000, n % 1_000_000))
            .boxed(),
        4 => (1900i32..2030, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
            .boxed(),
        5 => "[a-zé ,\"]{0,8}".boxed(),
        _ => prop_oneof![
            Just("a".to_string()),
            Just("b".to_string()),
            Just("c".to_string())
        ]
        .boxed(),
    };
    let odd = prop_oneof![
        Just(String::new()),
        Just("maybe".to_string()),
        Just("1.234".to_string()),
        Just("1e3".to_string()),
        Just("+5".to_string()),
        Just(" 7".to_string()),
        Just("2026-02-30".to_string()),
        Just("12".to_string()),
        Just("-".to_string()),
        Just("99999999999999999999".to_string()),
        Just("TRUE".to_string()),
        Just("d".to_string()),
    ];
    prop_oneof![6 => good, 1 => odd]
}

fn rows(fields: usize) -> impl Strategy<Value = Vec<Vec<String>>> {
    let row = (0..fields)
        .map(|i| cell(if i < 7 { i } else { 1 }).boxed())
        .collect::<Vec<_>>();
    prop::collection::vec(row, 1..40)
}

fn same_both_ways(policy: &Policy, rows: &[Vec<String>]) -> Result<(), TestCaseError> {
    let as_of: Date = "2026-01-01".parse().unwrap();
    let mut batch = Batch::new(policy);
    let mut expected = Vec::new();
    for row in rows {
        let cells = || row.iter().enumerate().map(|(i, c)| (i, c.as_str()));
        let by_facts = policy.parse_cells(cells());
        let by_batch = batch.push_cells(cells());
        match (&by_facts, &by_batch) {
            (Ok(facts), Ok(())) => expected.push(
                policy
                    .evaluate(facts, as_of)
                    .map(|o| policy.report(&o, as_of).to_string())
                    .map_err(|e| e.to_string()),
            ),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            _ => prop_assert!(false, "{row:?}: {by_facts:?} but {by_batch:?}"),
        }
    }
    prop_assert_eq!(batch.len(), expected.len());
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&batch, as_of, &mut results);
    let got: Vec<_> = results
        .iter()
        .map(|r| {
            r.map(|view| policy.report(&view, as_of).to_string())
                .map_err(|e| e.to_string())
        })
        .collect();
    prop_assert_eq!(got, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cells_read_into_a_batch_as_into_facts(rows in rows(7)) {
        same_both_ways(&policy(false), &rows)?;
    }

    #[test]
    fn cells_past_the_64th_field_too(rows in rows(73)) {
        same_both_ways(&policy(true), &rows)?;
    }
}

#[test]
fn a_refused_row_leaves_the_batch_and_its_texts_as_they_were() {
    let policy = policy(false);
    let as_of: Date = "2026-01-01".parse().unwrap();
    let mut batch = Batch::new(&policy);
    let good = [(5, "Ann"), (6, "b")];
    batch.push_cells(good).unwrap();
    // a long text written, then the row refused for its enum
    let long = "x".repeat(5000);
    let err = batch
        .push_cells([(5, long.as_str()), (6, "z")])
        .unwrap_err();
    assert!(err.to_string().contains("kind"), "{err}");
    batch.push_cells([(5, "Bob"), (6, "b")]).unwrap();
    assert_eq!(batch.len(), 2);
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&batch, as_of, &mut results);
    let labels: Vec<_> = results
        .iter()
        .map(|r| {
            let report: serde_json::Value =
                serde_json::from_str(&policy.report(&r.unwrap(), as_of).to_string()).unwrap();
            report["decisions"]["label"]["value"].clone()
        })
        .collect();
    assert_eq!(labels, [serde_json::json!("Ann"), serde_json::json!("Bob")]);
}

#[test]
fn a_list_cell_is_refused_by_a_batch() {
    let policy = Policy::from_source(
        "l.rules",
        "policy l\ninput {\n  kids: list of { age: int }\n}\ndecision n: int\n  = count(kids)\n",
    )
    .unwrap();
    let mut batch = Batch::new(&policy);
    let err = batch.push_cells([(0, "[{\"age\": 3}]")]).unwrap_err();
    assert!(err.to_string().contains("no list"), "{err}");
    assert_eq!(batch.len(), 0);
}
