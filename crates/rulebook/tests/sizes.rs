//! One record's size never fails its neighbours: chunks are cut before a
//! record whose texts would not fit beside the others, and a record too
//! large on its own gets `EvalError::TooLarge` alone, through `Facts`, a
//! `Batch` and `evaluate_each` alike. The runtime's memory limit is the
//! host's to choose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::batch::{Batch, Decision, Field, Int, Text};
use rulebook::{BatchResults, Date, EvalError, Facts, Runtime, RuntimeConfig};

const ECHO: &str = "policy echo
input { name: text  n: int }
decision size: int = n
decision name_out: text = name
";

/// A runtime whose instances may use 8 MiB of memory.
fn small_runtime() -> Runtime {
    let mut config = RuntimeConfig::default();
    config.max_memory = 8 << 20;
    config.cache_dir = None;
    Runtime::new(config).unwrap()
}

fn as_of() -> Date {
    "2026-01-01".parse().unwrap()
}

/// What each record gave: its `size` decision, or that it was too large.
fn shapes(results: &BatchResults, size: Decision<Int>) -> Vec<Result<i64, &'static str>> {
    results
        .iter()
        .map(|r| match r {
            Ok(v) => Ok(v.get(size).unwrap().unwrap()),
            Err(EvalError::TooLarge { .. }) => Err("too large"),
            Err(e) => panic!("unexpected error {e}"),
        })
        .collect()
}

#[test]
fn one_huge_record_fails_alone_among_small_ones() {
    let policy = small_runtime().compile("echo.rules", ECHO).unwrap();
    let huge = "x".repeat(10 << 20); // more than the 8 MiB an instance may use
    let size: Decision<Int> = policy.decision("size").unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let n: Field<Int> = policy.field("n").unwrap();
    let texts: Vec<&str> = (0..600)
        .map(|i| if i == 300 { &huge[..] } else { "ok" })
        .collect();
    let expected: Vec<Result<i64, &str>> = (0..600)
        .map(|i| if i == 300 { Err("too large") } else { Ok(i) })
        .collect();

    // facts
    let records: Vec<Facts> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            policy
                .facts()
                .text("name", t)
                .int("n", i as i64)
                .build()
                .unwrap()
        })
        .collect();
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&records, as_of(), &mut results);
    assert_eq!(shapes(&results, size), expected, "facts");

    // a batch of record images
    let mut batch = Batch::new(&policy);
    for (i, t) in texts.iter().enumerate() {
        batch.record().set(name, t).set(n, i as i64);
    }
    policy.evaluate_batch_into(&batch, as_of(), &mut results);
    assert_eq!(shapes(&results, size), expected, "batch");

    // straight into module memory
    let name_out: Decision<Text> = policy.decision("name_out").unwrap();
    let mut got = Vec::new();
    policy.evaluate_each(
        texts.iter().enumerate(),
        as_of(),
        |(i, t), record| {
            record.set(name, t).set(n, *i as i64);
        },
        |(i, t), r| {
            got.push(match r {
                Ok(v) => {
                    assert_eq!(v.get(name_out).unwrap(), Some(*t), "item {i}");
                    Ok(v.get(size).unwrap().unwrap())
                }
                Err(EvalError::TooLarge { needed, limit }) => {
                    assert!(needed > limit && limit == 8 << 20, "{needed} {limit}");
                    Err("too large")
                }
                Err(e) => panic!("item {i}: {e}"),
            })
        },
    );
    assert_eq!(got, expected, "evaluate_each");
}

#[test]
fn records_valid_alone_are_all_evaluated_though_they_do_not_fit_one_chunk() {
    // 600 records of 200 KB: 120 MB in all, far beyond 8 MiB, each fine
    let policy = small_runtime().compile("echo.rules", ECHO).unwrap();
    let text = "y".repeat(200 << 10);
    let size: Decision<Int> = policy.decision("size").unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let n: Field<Int> = policy.field("n").unwrap();
    let expected: Vec<Result<i64, &str>> = (0..600).map(Ok).collect();

    let records: Vec<Facts> = (0..600)
        .map(|i| {
            policy
                .facts()
                .text("name", &text)
                .int("n", i)
                .build()
                .unwrap()
        })
        .collect();
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&records, as_of(), &mut results);
    assert_eq!(shapes(&results, size), expected, "facts");

    let mut batch = Batch::new(&policy);
    for i in 0..600 {
        batch.record().set(name, &text).set(n, i);
    }
    policy.evaluate_batch_into(&batch, as_of(), &mut results);
    assert_eq!(shapes(&results, size), expected, "batch");

    let name_out: Decision<Text> = policy.decision("name_out").unwrap();
    let mut got = Vec::new();
    let mut fills = 0;
    policy.evaluate_each(
        0..600,
        as_of(),
        |i, record| {
            fills += 1;
            record.set(name, &text).set(n, *i);
        },
        |i, r| {
            let r = r.unwrap_or_else(|e| panic!("item {i}: {e}"));
            assert_eq!(r.get(name_out).unwrap().map(str::len), Some(text.len()));
            got.push(Ok(r.get(size).unwrap().unwrap()));
        },
    );
    assert_eq!(got, expected, "evaluate_each");
    // an item carried to the next chunk is filled again there
    assert!(fills > 600, "{fills}");
}
