//! The batch API from the outside: `evaluate_batch_into` over `Facts` and
//! over `Batch` record images agrees with the reference interpreter record
//! by record (random batches that cross chunk boundaries), texts survive the
//! trip whatever their bytes, field handles refuse what does not fit, and
//! one failing record leaves the rest of its batch alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../rulebook/tests/common/mod.rs"]
mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rulebook::__private::FactValue;
use rulebook::batch::{
    self, Batch, Bool, Decimal, Enum, Field, FieldError, FieldSet, Int, Money, RecordWriter,
    RowError, Rows, Text,
};
use rulebook::meta::ValueType;
use rulebook::{BatchResults, Date, Engine, Facts, Policy};
use rulebook::{EvalError, Outcome, WrongPolicy};
use rulebook_testing::generate::{as_of_dates, facts, FactsConfig};

/// Whether the policy's inputs are all scalars (what batches take).
fn scalar_inputs(policy: &Policy) -> bool {
    policy
        .meta()
        .input
        .fields
        .iter()
        .all(|f| !matches!(f.ty, ValueType::List { .. }))
}

/// Writes typed facts into a record field by field (scalar inputs only).
fn fill(policy: &Policy, record: &mut RecordWriter<'_>, facts: &Facts) {
    let meta = policy.meta();
    for (field, value) in meta
        .input
        .fields
        .iter()
        .zip(rulebook::__private::values(facts))
    {
        let Some(value) = value else { continue };
        let name = field.name.as_str();
        match (&field.ty, value) {
            (ValueType::List { .. }, _) => panic!("a list input"),
            (ValueType::Bool, FactValue::Bool(b)) => {
                record.set(policy.field::<Bool>(name).unwrap(), *b);
            }
            (ValueType::Int, FactValue::Num(n)) => {
                record.set(policy.field::<Int>(name).unwrap(), *n);
            }
            (ValueType::Money, FactValue::Num(n)) => {
                record.set(policy.field::<Money>(name).unwrap(), *n);
            }
            (ValueType::Decimal, FactValue::Num(n)) => {
                record.set(policy.field::<Decimal>(name).unwrap(), *n);
            }
            (ValueType::Date, FactValue::Num(n)) => {
                let field = policy.field::<Date>(name).unwrap();
                record.set(field, Date(i32::try_from(*n).unwrap()));
            }
            (ValueType::Text, FactValue::Text(t)) => {
                record.set(policy.field::<Text>(name).unwrap(), t);
            }
            (ValueType::Enum { variants }, FactValue::Num(n)) => {
                let field = policy.field::<Enum>(name).unwrap();
                let variant = policy.variant(field, &variants[*n as usize]).unwrap();
                record.set(field, variant);
            }
            other => panic!("facts do not fit their field: {other:?}"),
        }
    }
}

/// A proptest runner of `cases` cases from a fixed seed (runs repeat).
fn seeded_runner(cases: u32, seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// What the interpreter gives for each record: what every batch form must
/// give too.
fn interpreter_outcomes(
    policy: &Policy,
    records: &[Facts],
    as_of: Date,
) -> Vec<Result<Outcome, EvalError>> {
    records
        .iter()
        .map(|f| policy.evaluate_with(Engine::Interpreter, f, as_of))
        .collect()
}

/// Random batches of 0 to 1,200 records (chunks hold 512) evaluate exactly
/// as the interpreter evaluates each record, from `Facts` and, for policies
/// with scalar inputs only, from a `Batch` and through `evaluate_each`.
#[test]
fn batches_agree_with_the_interpreter_record_by_record() {
    let mut batches_checked = 0;
    for (i, policy) in common::all_policies().iter().enumerate() {
        let mut runner = seeded_runner(6, i as u8 + 7);
        let config = FactsConfig::for_policy(policy);
        let records = prop::collection::vec(facts(policy, config), 0..1200);
        let result = runner.run(&(records, as_of_dates(policy)), |(records, as_of)| {
            let as_of = Date(as_of);
            let expected = interpreter_outcomes(policy, &records, as_of);
            let mut results = BatchResults::default();
            policy.evaluate_batch_into(&records, as_of, &mut results);
            if results.to_outcomes() != expected {
                return Err(TestCaseError::fail("Facts batch differs"));
            }
            if !scalar_inputs(policy) {
                return Ok(());
            }
            let mut batch = Batch::new(policy);
            for f in &records {
                fill(policy, &mut batch.record(), f);
            }
            policy.evaluate_batch_into(&batch, as_of, &mut results);
            if results.to_outcomes() != expected {
                return Err(TestCaseError::fail("Batch differs"));
            }
            let mut each = Vec::new();
            policy.evaluate_each(
                records.iter().enumerate(),
                as_of,
                |(_, f), record| fill(policy, record, f),
                |(i, _), r| each.push((i, r.map(|v| v.to_outcome()))),
            );
            let order: Vec<usize> = each.iter().map(|(i, _)| *i).collect();
            if order != (0..records.len()).collect::<Vec<_>>() {
                return Err(TestCaseError::fail("evaluate_each out of order"));
            }
            if each.into_iter().map(|(_, r)| r).collect::<Vec<_>>() != expected {
                return Err(TestCaseError::fail("evaluate_each differs"));
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{}: {e}", policy.path());
        }
        batches_checked += 1;
    }
    assert!(batches_checked >= 10);
}

const ECHO: &str = "policy echo
input { name: text  n: int }
decision echo: text = name
decision twice: int = n * 2
";

/// Text values are copied out of the module's memory before the next chunk
/// reuses it: every record's echo is its own text, across chunk boundaries,
/// for empty, multi-byte and long texts, with some records unknown.
#[test]
fn texts_survive_chunks_in_both_forms() {
    let policy = Policy::from_source("echo.rules", ECHO).unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let n: Field<Int> = policy.field("n").unwrap();
    let texts: Vec<String> = (0..1500)
        .map(|i| match i % 5 {
            0 => String::new(),
            1 => format!("record {i}"),
            2 => "é€😀".repeat(i % 7),
            3 => "x".repeat(i),
            _ => format!("\"quoted\"\n{i}"),
        })
        .collect();
    let mut batch = Batch::new(&policy);
    let mut records = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        if i % 11 == 10 {
            batch.record().set(n, i as i64);
            records.push(policy.facts().int("n", i as i64).build().unwrap());
        } else {
            batch.record().set(name, t).set(n, i as i64);
            records.push(
                policy
                    .facts()
                    .text("name", t)
                    .int("n", i as i64)
                    .build()
                    .unwrap(),
            );
        }
    }
    let as_of = Date::parse("2026-01-01").unwrap();
    let mut from_batch = BatchResults::default();
    policy.evaluate_batch_into(&batch, as_of, &mut from_batch);
    let mut from_facts = BatchResults::default();
    policy.evaluate_batch_into(&records, as_of, &mut from_facts);
    assert_eq!(from_batch.len(), 1500);
    let mut streamed = 0;
    policy.evaluate_each(
        texts.iter().enumerate(),
        as_of,
        |(i, t), record| {
            if i % 11 != 10 {
                record.set(name, t);
            }
            record.set(n, *i as i64);
        },
        |(i, t), r| {
            let r = r.unwrap();
            let echo = r.decision_at(0).unwrap().as_text();
            assert_eq!(echo, (i % 11 != 10).then_some(t.as_str()), "record {i}");
            assert_eq!(r.decision_at(1).unwrap().as_num(), Some(2 * i as i64));
            streamed += 1;
        },
    );
    assert_eq!(streamed, 1500);
    for results in [&from_batch, &from_facts] {
        for (i, r) in results.iter().enumerate() {
            let r = r.unwrap();
            let echo = r.decision_at(0).unwrap();
            if i % 11 == 10 {
                assert_eq!(echo.value(), None, "record {i}");
                assert_eq!(echo.missing().collect::<Vec<_>>(), [0], "record {i}");
            } else {
                assert_eq!(echo.as_text(), Some(texts[i].as_str()), "record {i}");
            }
            assert_eq!(r.decision_at(1).unwrap().as_num(), Some(2 * i as i64));
        }
    }
    // A cleared batch is reusable, and the results follow the new batch.
    batch.clear();
    batch.record().set(name, "again");
    policy.evaluate_batch_into(&batch, as_of, &mut from_batch);
    assert_eq!(from_batch.len(), 1);
    let r = from_batch.get(0).unwrap().unwrap();
    assert_eq!(r.decision_at(0).unwrap().as_text(), Some("again"));
    assert_eq!(r.decision_at(1).unwrap().value(), None);
    assert!(from_batch.get(1).is_none());
}

/// `evaluate_each` writes texts straight into the module's memory; texts
/// of a chunk beyond the room it keeps for them are placed after growing
/// the memory. On a fresh policy (its memory as small as it starts), chunks
/// of long texts, then of short ones, then long again: every echo is its
/// own text.
#[test]
fn evaluate_each_places_texts_beyond_its_room() {
    let policy = Policy::from_source("echo.rules", ECHO).unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let sizes = [3000, 5, 0, 70_000, 1, 20_000];
    let texts: Vec<String> = (0..3000)
        .map(|i| {
            let len = sizes[i / 512 % sizes.len()] + i % 3;
            format!("{i}:{}", "é".repeat(len / 2))
        })
        .collect();
    let as_of = Date::parse("2026-01-01").unwrap();
    let mut seen = 0;
    policy.evaluate_each(
        texts.iter().enumerate(),
        as_of,
        |(_, t), record| {
            record.set(name, t);
        },
        |(i, t), r| {
            let echo = r.unwrap().decision_at(0).unwrap().as_text();
            assert_eq!(echo, Some(t.as_str()), "record {i}");
            seen += 1;
        },
    );
    assert_eq!(seen, texts.len());
}

#[test]
fn field_handles_refuse_what_does_not_fit() {
    let policy = Policy::from_source(
        "f.rules",
        "policy f
input { age: int  status: enum(a, b)  kids: list of { age: int } }
decision d: bool = age > 1
",
    )
    .unwrap();
    let err = |e: FieldError| e.to_string();
    assert_eq!(
        err(policy.field::<Int>("agee").unwrap_err()),
        "the policy has no input field `agee` (its inputs: age, status, kids)"
    );
    assert_eq!(
        err(policy.field::<Text>("age").unwrap_err()),
        "input field `age` is int, not text"
    );
    assert_eq!(
        err(policy.field::<Int>("kids").unwrap_err()),
        "input field `kids` is a list (use `Facts` for list inputs), not int"
    );
    assert_eq!(
        err(policy.field::<Int>("status").unwrap_err()),
        "input field `status` is an enum (a, b), not int"
    );
    let status: Field<Enum> = policy.field("status").unwrap();
    assert_eq!(
        err(policy.variant(status, "c").unwrap_err()),
        "input field `status` has no variant `c` (its variants: a, b)"
    );
    assert!(policy.variant(status, "b").is_ok());
}

/// A batch filled for one policy is refused, record by record, by a policy
/// with other inputs; a new version with the same inputs takes it.
#[test]
fn a_batch_fits_only_policies_with_its_inputs() {
    let v1 = Policy::from_source(
        "p.rules",
        "policy p\ninput { a: int }\ndecision d: int = a + 1\n",
    )
    .unwrap();
    let v2 = Policy::from_source(
        "p.rules",
        "policy p\ninput { a: int }\ndecision d: int = a + 2\n",
    )
    .unwrap();
    let other = Policy::from_source(
        "q.rules",
        "policy q\ninput { b: int }\ndecision d: int = b\n",
    )
    .unwrap();
    let mut batch = Batch::new(&v1);
    batch.record().set(v1.field::<Int>("a").unwrap(), 40);
    batch.record();
    let as_of = Date::parse("2026-01-01").unwrap();
    let mut results = BatchResults::default();
    v2.evaluate_batch_into(&batch, as_of, &mut results);
    let values: Vec<Option<i64>> = results
        .iter()
        .map(|r| r.unwrap().decision_at(0).unwrap().as_num())
        .collect();
    assert_eq!(values, [Some(42), None]);
    other.evaluate_batch_into(&batch, as_of, &mut results);
    assert_eq!(results.len(), 2);
    for r in results.iter() {
        let e = r.unwrap_err();
        assert!(
            matches!(&e, EvalError::WrongPolicy(WrongPolicy::Batch { policy }) if policy == "q"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the batch was built for other inputs than those of policy q: build it with this policy"
        );
    }
}

/// An overflow in one record is that record's error; its neighbours in the
/// same chunk are decided.
#[test]
fn one_failing_record_leaves_its_neighbours_alone() {
    let policy = Policy::from_source(
        "o.rules",
        "policy o\ninput { a: int }\ndecision d: int = a * 1000\n",
    )
    .unwrap();
    let a: Field<Int> = policy.field("a").unwrap();
    let mut batch = Batch::new(&policy);
    for v in [1, i64::MAX / 10, 3] {
        batch.record().set(a, v);
    }
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&batch, Date::parse("2026-01-01").unwrap(), &mut results);
    let got: Vec<Result<Option<i64>, String>> = results
        .iter()
        .map(|r| {
            r.map(|r| r.decision_at(0).unwrap().as_num())
                .map_err(|e| e.to_string())
        })
        .collect();
    assert_eq!(got[0], Ok(Some(1000)));
    assert!(got[1].as_ref().unwrap_err().contains("overflow"), "{got:?}");
    assert_eq!(got[2], Ok(Some(3000)));
}

/// Records with more than 64 inputs have several presence words.
#[test]
fn presence_beyond_the_first_word() {
    let inputs: Vec<String> = (0..70).map(|i| format!("a{i}: int")).collect();
    let source = format!(
        "policy wide\ninput {{ {} }}\ndecision d: int = a0 + a64 + a69\n",
        inputs.join("  ")
    );
    let policy = Policy::from_source("wide.rules", &source).unwrap();
    let field = |i: usize| policy.field::<Int>(&format!("a{i}")).unwrap();
    let mut batch = Batch::new(&policy);
    batch
        .record()
        .set(field(0), 1)
        .set(field(64), 2)
        .set(field(69), 3);
    batch.record().set(field(0), 1).set(field(69), 3);
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(&batch, Date::parse("2026-01-01").unwrap(), &mut results);
    let first = results.get(0).unwrap().unwrap();
    assert_eq!(first.decision_at(0).unwrap().as_num(), Some(6));
    let second = results.get(1).unwrap().unwrap();
    let d = second.decision_at(0).unwrap();
    assert_eq!(d.value(), None);
    let missing: Vec<&str> = d
        .missing()
        .map(|f| policy.meta().fact_paths[f].as_str())
        .collect();
    assert_eq!(missing, ["a64"]);
    // Refilled after a clear, a record does not inherit earlier facts.
    batch.clear();
    batch.record().set(field(0), 1).set(field(69), 3);
    policy.evaluate_batch_into(&batch, Date::parse("2026-01-01").unwrap(), &mut results);
    let again = results.get(0).unwrap().unwrap();
    assert_eq!(
        again.decision_at(0).unwrap().missing().collect::<Vec<_>>(),
        [64]
    );
}

/// A fact set through a field handle of a policy with other inputs sets
/// nothing: that record's result is an error saying so, its neighbours are
/// decided, in a `Batch` and through `evaluate_each` alike.
#[test]
fn a_field_handle_of_other_inputs_is_refused_per_record() {
    let p = Policy::from_source(
        "p.rules",
        "policy p\ninput { a: int }\ndecision d: int = a + 1\n",
    )
    .unwrap();
    let q = Policy::from_source(
        "q.rules",
        "policy q\ninput { b: bool  a: int }\ndecision d: int = a\n",
    )
    .unwrap();
    let own: Field<Int> = p.field("a").unwrap();
    let foreign: Field<Int> = q.field("a").unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let expected = [
        Ok(Some(2)),
        Err(EvalError::WrongPolicy(WrongPolicy::Field).to_string()),
        Ok(Some(4)),
    ];
    let show = |r: Result<rulebook::RecordView<'_>, EvalError>| {
        r.map(|v| v.decision_at(0).unwrap().as_num())
            .map_err(|e| e.to_string())
    };
    let mut batch = Batch::new(&p);
    batch.record().set(own, 1);
    batch.record().set(own, 2).set(foreign, 5);
    batch.record().set(own, 3);
    let mut results = BatchResults::default();
    p.evaluate_batch_into(&batch, as_of, &mut results);
    let got: Vec<_> = results.iter().map(show).collect();
    assert_eq!(got, expected);
    let mut got = Vec::new();
    p.evaluate_each(
        [1, 2, 3],
        as_of,
        |&v, record| {
            record.set(own, v);
            if v == 2 {
                record.set(foreign, 5);
            }
        },
        |_, r| got.push(show(r)),
    );
    assert_eq!(got, expected);
}

/// Decision handles read what the decision views read, for every kind of
/// decision: the value when known, None when unknown; they are refused by
/// name and kind when looked up, and are refused (an error, never
/// `None`) on results of a policy with other decisions.
#[test]
fn decision_handles_read_every_kind() {
    let source = "policy k
input { n: int  name: text  level: enum(low, high)  since: date }
decision is_big: bool = n > 10
decision twice: int = n * 2
decision pay: money = £1.50 * n
decision ratio: decimal = 0.5 * n
decision due: date = since
decision echo: text = name
decision band: enum(low, high) = level
decision label: text
  when n > 10 -> \"big\"
  otherwise -> \"small\"
";
    let policy = Policy::from_source("k.rules", source).unwrap();
    let n: Field<Int> = policy.field("n").unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let level: Field<Enum> = policy.field("level").unwrap();
    let high = policy.variant(level, "high").unwrap();
    let since: Field<Date> = policy.field("since").unwrap();
    let is_big: batch::Decision<Bool> = policy.decision("is_big").unwrap();
    let twice: batch::Decision<Int> = policy.decision("twice").unwrap();
    let pay: batch::Decision<Money> = policy.decision("pay").unwrap();
    let ratio: batch::Decision<Decimal> = policy.decision("ratio").unwrap();
    let due: batch::Decision<Date> = policy.decision("due").unwrap();
    let echo: batch::Decision<Text> = policy.decision("echo").unwrap();
    let band: batch::Decision<Enum> = policy.decision("band").unwrap();
    let label: batch::Decision<Text> = policy.decision("label").unwrap();
    let high_band = policy.decision_variant(band, "high").unwrap();
    assert_eq!(label.index(), 7);
    let as_of = Date::parse("2026-01-01").unwrap();
    let mut seen = 0;
    policy.evaluate_each(
        [Some(12), None],
        as_of,
        |v, record| {
            if let Some(v) = v {
                record
                    .set(n, *v)
                    .set(name, "Zoë")
                    .set(level, high)
                    .set(since, Date::parse("2026-01-13").unwrap());
            }
        },
        |v, r| {
            let r = r.unwrap();
            // The handles agree with the views, known or not.
            let views: Vec<_> = r.decisions().map(|d| d.value()).collect();
            assert_eq!(
                r.get(is_big).unwrap().map(rulebook::ValueRef::Bool),
                views[0]
            );
            assert_eq!(r.get(twice).unwrap().map(rulebook::ValueRef::Num), views[1]);
            assert_eq!(r.get(echo).unwrap().map(rulebook::ValueRef::Text), views[5]);
            if v.is_some() {
                assert_eq!(r.get(is_big).unwrap(), Some(true));
                assert_eq!(r.get(twice).unwrap(), Some(24));
                assert_eq!(r.get(pay).unwrap(), Some(1800));
                assert_eq!(r.get(ratio).unwrap(), Some(6_000_000));
                assert_eq!(r.get(due).unwrap(), Date::parse("2026-01-13").ok());
                assert_eq!(r.get(echo).unwrap(), Some("Zoë"));
                assert_eq!(r.get(band).unwrap(), Some(high_band));
                // a variant belongs to its field (or decision): an input's
                // is not a decision's, though both are `high`
                assert_ne!(r.get(band).unwrap(), Some(high));
                assert_eq!(r.get(band).unwrap().map(batch::Variant::index), Some(1));
                assert_eq!(r.get(label).unwrap(), Some("big"));
            } else {
                assert_eq!(r.get(is_big).unwrap(), None);
                assert_eq!(r.get(echo).unwrap(), None);
                assert_eq!(r.get(label).unwrap(), None);
            }
            seen += 1;
        },
    );
    assert_eq!(seen, 2);
    let err = |e: FieldError| e.to_string();
    assert_eq!(
        err(policy.decision::<Bool>("big").unwrap_err()),
        "the policy has no decision `big` (its decisions: is_big, twice, pay, ratio, due, echo, band, label)"
    );
    assert_eq!(
        err(policy.decision::<Int>("echo").unwrap_err()),
        "decision `echo` is text, not int"
    );
    // A handle of another policy whose results are laid out otherwise is
    // refused; one of a version with the same decisions reads.
    let other = Policy::from_source(
        "o.rules",
        "policy o\ninput { n: int }\ndecision twice: int = n * 3\ndecision is_big: bool = n > 1\n",
    )
    .unwrap();
    let same = Policy::from_source("k.rules", &source.replace("n * 2", "n * 4")).unwrap();
    let other_twice: batch::Decision<Int> = other.decision("twice").unwrap();
    let same_twice: batch::Decision<Int> = same.decision("twice").unwrap();
    let mut results = BatchResults::default();
    policy.evaluate_batch_into(
        &[policy.facts().int("n", 5).build().unwrap()],
        as_of,
        &mut results,
    );
    let r = results.get(0).unwrap().unwrap();
    assert_eq!(r.get(twice).unwrap(), Some(10));
    assert_eq!(r.get(other_twice), Err(rulebook::WrongPolicy::Decision));
    assert!(r.decision(other_twice).is_err());
    assert_eq!(r.get(same_twice).unwrap(), Some(10));
}

/// `set_all` through a `FieldSet` fills records exactly as `set` one field
/// at a time does, in a `Batch` and through `evaluate_each`, including
/// fields beyond the first presence word; a set mixes no policies, and a
/// set of another policy's handles makes the record an error.
#[test]
fn field_sets_fill_like_single_sets() {
    let inputs: Vec<String> = (0..70).map(|i| format!("a{i}: int")).collect();
    let source = format!(
        "policy wide\ninput {{ name: text  {} }}\ndecision d: int = a0 + a64 + a69\ndecision who: text = name\n",
        inputs.join("  ")
    );
    let policy = Policy::from_source("wide.rules", &source).unwrap();
    let field = |i: usize| policy.field::<Int>(&format!("a{i}")).unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let set = FieldSet::new((field(0), name, field(64), field(69))).unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let people: Vec<(i64, String)> = (0..700).map(|i| (i, "n".repeat(i as usize % 40))).collect();
    let mut one = Batch::new(&policy);
    let mut each = Batch::new(&policy);
    for (i, t) in &people {
        one.record().set_all(&set, (*i, t, 2 * i, 3 * i));
        each.record()
            .set(field(0), *i)
            .set(name, t)
            .set(field(64), 2 * i)
            .set(field(69), 3 * i);
    }
    let (mut a, mut b) = (BatchResults::default(), BatchResults::default());
    policy.evaluate_batch_into(&one, as_of, &mut a);
    policy.evaluate_batch_into(&each, as_of, &mut b);
    assert_eq!(a.to_outcomes(), b.to_outcomes());
    let d: batch::Decision<Int> = policy.decision("d").unwrap();
    let who: batch::Decision<Text> = policy.decision("who").unwrap();
    let mut streamed = 0;
    policy.evaluate_each(
        &people,
        as_of,
        |(i, t), record| {
            record.set_all(&set, (*i, t, 2 * i, 3 * i));
        },
        |(i, t), r| {
            let r = r.unwrap();
            assert_eq!(r.get(d).unwrap(), Some(6 * i));
            assert_eq!(r.get(who).unwrap(), Some(t.as_str()));
            streamed += 1;
        },
    );
    assert_eq!(streamed, people.len());

    let other = Policy::from_source(
        "o.rules",
        "policy o\ninput { a0: int }\ndecision d: int = a0\n",
    )
    .unwrap();
    let foreign: Field<Int> = other.field("a0").unwrap();
    assert_eq!(
        FieldSet::new((field(0), foreign)).unwrap_err().to_string(),
        "a field set takes handles of one policy's inputs, and these are of several"
    );
    let foreign_set = FieldSet::new((foreign,)).unwrap();
    let mut batch = Batch::new(&policy);
    batch.record().set_all(&set, (1, "x", 2, 3));
    batch.record().set_all(&foreign_set, (1,));
    policy.evaluate_batch_into(&batch, as_of, &mut a);
    assert_eq!(a.get(0).unwrap().unwrap().get(d).unwrap(), Some(6));
    assert!(a
        .get(1)
        .unwrap()
        .unwrap_err()
        .to_string()
        .contains("a field handle or enum variant of another policy"));
}

#[test]
fn field_sets_of_consecutive_inputs_fill_like_single_sets() {
    // Handles of inputs that follow one another in source order are stored
    // at constant offsets from the first: whatever input the run starts at,
    // across the 64th input (the second presence word), and with a text in
    // it, the records are those the single sets write.
    let inputs: Vec<String> = (0..70).map(|i| format!("a{i}: int")).collect();
    let source = format!(
        "policy wide\ninput {{ name: text  {} }}\ndecision d: int = a0 + a1 + a62 + a63 + a64\ndecision who: text = name\n",
        inputs.join("  ")
    );
    let policy = Policy::from_source("wide.rules", &source).unwrap();
    let field = |i: usize| policy.field::<Int>(&format!("a{i}")).unwrap();
    let name: Field<Text> = policy.field("name").unwrap();
    let from_first = FieldSet::new((name, field(0), field(1))).unwrap();
    let across_words = FieldSet::new((field(62), field(63), field(64))).unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let people: Vec<(i64, String)> = (0..600).map(|i| (i, "n".repeat(i as usize % 30))).collect();
    let (mut sets, mut singles) = (Batch::new(&policy), Batch::new(&policy));
    for (i, t) in &people {
        sets.record()
            .set_all(&from_first, (t, *i, 2 * i))
            .set_all(&across_words, (3 * i, 4 * i, 5 * i));
        singles
            .record()
            .set(name, t)
            .set(field(0), *i)
            .set(field(1), 2 * i)
            .set(field(62), 3 * i)
            .set(field(63), 4 * i)
            .set(field(64), 5 * i);
    }
    let (mut a, mut b) = (BatchResults::default(), BatchResults::default());
    policy.evaluate_batch_into(&sets, as_of, &mut a);
    policy.evaluate_batch_into(&singles, as_of, &mut b);
    assert_eq!(a.to_outcomes(), b.to_outcomes());
    let d: batch::Decision<Int> = policy.decision("d").unwrap();
    let who: batch::Decision<Text> = policy.decision("who").unwrap();
    let mut streamed = 0;
    policy.evaluate_each(
        &people,
        as_of,
        |(i, t), record| {
            record
                .set_all(&from_first, (t, *i, 2 * i))
                .set_all(&across_words, (3 * i, 4 * i, 5 * i));
        },
        |(i, t), r| {
            let r = r.unwrap();
            assert_eq!(r.get(d).unwrap(), Some(15 * i));
            assert_eq!(r.get(who).unwrap(), Some(t.as_str()));
            streamed += 1;
        },
    );
    assert_eq!(streamed, people.len());
}

#[test]
fn constant_texts_read_whole_whether_ascii_or_not() {
    // An all-ASCII module's constants are read without char-boundary
    // checks, any other module's with them: both give the whole constant,
    // through a decision handle and through the decisions' views.
    for (name, constants) in [
        ("ascii", ["wales", "scotland", "elsewhere"]),
        ("utf8", ["Cymru — Wales", "Alba 🏴", "£ elsewhere"]),
    ] {
        let source = format!(
            "policy {name}\ninput {{ n: int }}\ndecision where: text\n  when n == 1 -> \"{}\"\n  when n == 2 -> \"{}\"\n  otherwise -> \"{}\"\n",
            constants[0], constants[1], constants[2]
        );
        let policy = Policy::from_source("t.rules", &source).unwrap();
        let n: Field<Int> = policy.field("n").unwrap();
        let place: batch::Decision<Text> = policy.decision("where").unwrap();
        let mut got = Vec::new();
        policy.evaluate_each(
            [1, 2, 3],
            Date::parse("2026-01-01").unwrap(),
            |v, record| {
                record.set(n, *v);
            },
            |_, r| {
                let r = r.unwrap();
                let by_view = r.decision_at(0).unwrap().as_text().map(str::to_owned);
                assert_eq!(r.get(place).unwrap().map(str::to_owned), by_view);
                got.push(by_view.unwrap());
            },
        );
        assert_eq!(got, constants, "{name}");
    }
}

#[test]
fn a_module_that_cannot_run_gives_every_item_its_error_in_order() {
    // The path of `evaluate_each` when the module cannot be loaded or
    // instantiated: every item, across chunks, once, in order.
    let error = EvalError::Trap {
        message: "the module could not be instantiated".into(),
    };
    let mut seen = Vec::new();
    rulebook::__private::fail_each(0..1100, &error, |i, r| {
        assert_eq!(r.err().as_ref(), Some(&error), "item {i}");
        seen.push(i);
    });
    assert_eq!(seen, (0..1100).collect::<Vec<_>>());
}

/// The numbers of a record's scalar facts in the set's order, and which
/// are known: what a host filling records from columns has.
fn nums_of(policy: &Policy, facts: &Facts) -> (Vec<i64>, u64) {
    let meta = policy.meta();
    let (mut row, mut known) = (Vec::new(), 0);
    for (k, (field, value)) in meta
        .input
        .fields
        .iter()
        .filter(|f| f.ty != ValueType::Text)
        .zip(
            meta.input
                .fields
                .iter()
                .zip(rulebook::__private::values(facts))
                .filter(|(f, _)| f.ty != ValueType::Text)
                .map(|(_, v)| v),
        )
        .enumerate()
    {
        row.push(match (&field.ty, value) {
            (_, None) => 0,
            (_, Some(FactValue::Bool(b))) => i64::from(*b),
            (_, Some(FactValue::Num(n))) => *n,
            other => panic!("not a number: {other:?}"),
        });
        if value.is_some() {
            known |= 1 << k;
        }
    }
    (row, known)
}

/// Records filled from rows of numbers (`set_nums`, texts with `set`)
/// evaluate exactly as the interpreter evaluates their facts, for every
/// policy with scalar inputs (up to 64 of them), in a `Batch`, through
/// `evaluate_each` and as one block through `evaluate_rows`; a record whose
/// fields were set before is left with the row's facts only.
#[test]
fn rows_of_numbers_fill_like_single_sets() {
    let mut checked = 0;
    for (i, policy) in common::all_policies().iter().enumerate() {
        let meta = policy.meta();
        let names: Vec<&str> = meta
            .input
            .fields
            .iter()
            .filter(|f| f.ty != ValueType::Text)
            .map(|f| f.name.as_str())
            .collect();
        if !scalar_inputs(policy) || names.len() > 64 {
            continue;
        }
        let set = policy.num_fields(names.iter().copied()).unwrap();
        assert_eq!(set.len(), names.len());
        let texts: Vec<(usize, Field<Text>)> = meta
            .input
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.ty == ValueType::Text)
            .map(|(i, f)| (i, policy.field::<Text>(&f.name).unwrap()))
            .collect();
        let fill_row = |record: &mut RecordWriter<'_>, facts: &Facts| {
            let (row, known) = nums_of(policy, facts);
            record.set_nums(&set, known, &row).unwrap();
            for (i, field) in &texts {
                if let Some(Some(FactValue::Text(t))) = rulebook::__private::values(facts).get(*i) {
                    record.set(*field, t);
                }
            }
        };
        // a neighbour's facts but texts, set one by one
        let numbers_only = |facts: &Facts| {
            let mut facts = facts.clone();
            for (f, v) in meta
                .input
                .fields
                .iter()
                .zip(rulebook::__private::values_mut(&mut facts).iter_mut())
            {
                if f.ty == ValueType::Text {
                    *v = None;
                }
            }
            facts
        };
        let mut runner = seeded_runner(4, i as u8 + 41);
        let config = FactsConfig::for_policy(policy);
        let records = prop::collection::vec(facts(policy, config), 0..700);
        let result = runner.run(&(records, as_of_dates(policy)), |(records, as_of)| {
            let as_of = Date(as_of);
            let expected = interpreter_outcomes(policy, &records, as_of);
            let mut batch = Batch::new(policy);
            // each record first holds its neighbour's facts, then its own row
            for (k, f) in records.iter().enumerate() {
                let mut record = batch.record();
                if let Some(other) = records.get(k + 1) {
                    fill(policy, &mut record, &numbers_only(other));
                }
                fill_row(&mut record, f);
            }
            let mut results = BatchResults::default();
            policy.evaluate_batch_into(&batch, as_of, &mut results);
            if results.to_outcomes() != expected {
                return Err(TestCaseError::fail("Batch from rows differs"));
            }
            let mut each = Vec::new();
            policy.evaluate_each(
                &records,
                as_of,
                |f, record| fill_row(record, f),
                |_, r| each.push(r.map(|v| v.to_outcome())),
            );
            if each != expected {
                return Err(TestCaseError::fail("evaluate_each from rows differs"));
            }
            // the same rows as one block, a column per text input
            let (mut known, mut nums) = (Vec::new(), Vec::new());
            for f in &records {
                let (row, k) = nums_of(policy, f);
                nums.extend(row);
                known.push(k);
            }
            let columns: Vec<Vec<Option<&str>>> = (texts.iter())
                .map(|(i, _)| {
                    (records.iter())
                        .map(|f| match rulebook::__private::values(f).get(*i) {
                            Some(Some(FactValue::Text(t))) => Some(&**t),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            let mut rows = Rows::new(&set, &known, &nums).unwrap();
            for ((i, field), column) in texts.iter().zip(&columns) {
                rows = rows
                    .text(*field, &meta.input.fields[*i].name, column)
                    .unwrap();
            }
            let mut block = Vec::new();
            policy.evaluate_rows(&rows, as_of, |r, result| {
                block.push((r, result.map(|v| v.to_outcome())));
            });
            if block.iter().map(|(r, _)| *r).ne(0..records.len()) {
                return Err(TestCaseError::fail("evaluate_rows out of order"));
            }
            let block: Vec<_> = block.into_iter().map(|(_, r)| r).collect();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|r| r.map_err(RowError::from))
                .collect();
            if block != expected {
                return Err(TestCaseError::fail("evaluate_rows differs"));
            }
            // and with each text column as an Arrow `Utf8` array holds it:
            // one buffer (after a text of no row, so that the offsets do
            // not start at 0), offsets, and validity bits
            let buffers: Vec<(String, Vec<i32>, Vec<u8>)> = (columns.iter())
                .map(|column| {
                    let mut data = String::from("é-");
                    let mut offsets = vec![data.len() as i32];
                    let mut valid = vec![0u8; column.len().div_ceil(8)];
                    for (r, t) in column.iter().enumerate() {
                        if let Some(t) = t {
                            data.push_str(t);
                            valid[r / 8] |= 1 << (r % 8);
                        }
                        offsets.push(data.len() as i32);
                    }
                    (data, offsets, valid)
                })
                .collect();
            let mut rows = Rows::new(&set, &known, &nums).unwrap();
            for ((i, field), (data, offsets, valid)) in texts.iter().zip(&buffers) {
                let name = &meta.input.fields[*i].name;
                rows = rows
                    .text_buffer(*field, name, data.as_bytes(), offsets, Some(valid))
                    .unwrap();
            }
            let mut from_buffers = Vec::new();
            policy.evaluate_rows(&rows, as_of, |_, result| {
                from_buffers.push(result.map(|v| v.to_outcome()));
            });
            if from_buffers != expected {
                return Err(TestCaseError::fail(
                    "evaluate_rows from text buffers differs",
                ));
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{}: {e}", policy.path());
        }
        checked += 1;
    }
    assert!(checked >= 5);
}

/// A policy whose decision `d` is its text input `name` when `n > 0`.
fn echo_policy() -> Policy {
    Policy::from_source(
        "p.rules",
        "policy p
input { n: int  name: text }
decision d: text = if n > 0 then name else \"none\"
",
    )
    .unwrap()
}

/// A text column in one buffer (`Rows::text_buffer`) is refused, with
/// what is wrong, when its offsets or validity bits do not describe the
/// rows; one that does gives each row its text, a clear bit none, and a
/// text longer than the short copy whole.
#[test]
fn text_buffers_are_checked_and_read() {
    let policy = echo_policy();
    let set = policy.num_fields(["n"]).unwrap();
    let name = policy.field::<Text>("name").unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let (known, nums) = ([1u64; 4], [1i64; 4]);
    let long = "a text of more than sixteen bytes";
    let data = format!("zoë{long}é");
    let refused = |offsets: &[i32], valid: Option<&[u8]>| {
        let rows = Rows::new(&set, &known, &nums).unwrap();
        match rows.text_buffer(name, "name", data.as_bytes(), offsets, valid) {
            Ok(_) => String::from("accepted"),
            Err(e) => e.to_string(),
        }
    };
    let refused_bytes = |data: &[u8], offsets: &[i32]| {
        let rows = Rows::new(&set, &known, &nums).unwrap();
        match rows.text_buffer(name, "name", data, offsets, None) {
            Ok(_) => String::from("accepted"),
            Err(e) => e.to_string(),
        }
    };
    let end = data.len() as i32;
    assert_eq!(
        [
            refused(&[0, 4, 4], None),
            refused(&[0, 3, 4, 4, 4], None),
            refused(&[0, 4, 2, 4, 4], None),
            refused(&[0, 4, 4, 4, end + 1], None),
            refused(&[-1, 4, 4, 4, 4], None),
            // the first and the last offsets equal (no bytes), the others not
            refused(&[4, 6, 9, 2, 4], None),
            refused(&[0, 4, 4, 4, 4], Some(&[])),
            // the bytes of ë's second half on: not UTF-8 (before them: not
            // looked at)
            refused_bytes(&data.as_bytes()[3..], &[1, 1, 1, 1, 1]),
            refused_bytes(&data.as_bytes()[3..], &[0, 1, 1, 1, 1]),
            // `i64` offsets (Arrow's `LargeUtf8`), one beyond any buffer
            Rows::new(&set, &known, &nums)
                .unwrap()
                .text_buffer(name, "name", data.as_bytes(), &[0i64, 4, 4, 4, 1 << 40], None)
                .err()
                .map_or("accepted".into(), |e| e.to_string()),
        ],
        [
            "the text buffer of input field `name`: 3 offsets for 4 rows (one more than the rows is needed)",
            "the text buffer of input field `name`: offset 1 (3) falls inside a character",
            "the text buffer of input field `name`: offset 2 (2) is below the one before (4)",
            "the text buffer of input field `name`: offset 4 (40) is outside its 39 bytes",
            "the text buffer of input field `name`: offset 0 (-1) is outside its 39 bytes",
            "the text buffer of input field `name`: offset 3 (2) is below the one before (9)",
            "the text buffer of input field `name`: 0 bytes of validity bits for 4 rows (at least 1 needed)",
            "accepted",
            "the text buffer of input field `name`: its texts are not UTF-8 (at byte 0)",
            "the text buffer of input field `name`: offset 4 (1099511627776) is outside its 39 bytes",
        ]
    );
    // zoë, (null), the long text, é (the last bytes of the buffer), read
    // by the direct fill and, for a text input beyond the first 64
    // inputs, through the record writer
    let long_end = 4 + long.len() as i32;
    let offsets = [0, 4, 4, long_end, end];
    let texts = [Some("zoë"), None, Some(long), Some("é")];
    let many: String = (0..64).map(|k| format!("i{k}: int  ")).collect();
    let wide = Policy::from_source(
        "wide.rules",
        &format!(
            "policy wide
input {{ n: int  {many}name: text }}
decision d: text = if n > 0 then name else \"none\"
"
        ),
    )
    .unwrap();
    for policy in [&policy, &wide] {
        let set = policy.num_fields(["n"]).unwrap();
        let name = policy.field::<Text>("name").unwrap();
        let d = policy.decision::<Text>("d").unwrap();
        let rows = Rows::new(&set, &known, &nums)
            .unwrap()
            .text_buffer(name, "name", data.as_bytes(), &offsets, Some(&[0b1101]))
            .unwrap();
        let mut got = Vec::new();
        policy.evaluate_rows(&rows, as_of, |_, r| {
            got.push(r.unwrap().get(d).unwrap().map(str::to_string));
        });
        assert_eq!(
            got,
            texts.map(|t| t.map(str::to_string)),
            "{}",
            policy.name()
        );
    }
}

/// Any buffer, offsets (as `i32` and as `i64`) and validity bits:
/// `Rows::text_buffer` either refuses them or each row reads back its own
/// bytes (unknown where its bit is clear), through the direct fill's
/// unchecked reads; nothing panics.
#[test]
fn any_text_buffer_is_refused_or_read_exactly() {
    let policy = echo_policy();
    let set = policy.num_fields(["n"]).unwrap();
    let name = policy.field::<Text>("name").unwrap();
    let d = policy.decision::<Text>("d").unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    // mostly ASCII, some two-byte characters, in one case of ten a stray
    // byte; offsets that mostly ascend within the buffer
    let char = prop_oneof![
        20 => prop::sample::select(vec!['a', 'b', '-', '1', ' ']),
        1 => Just('é'),
    ];
    let text = prop::collection::vec(char, 0..300);
    let stray = prop_oneof![9 => Just(None), 1 => (0usize..300, 0x80u8..=0xff).prop_map(Some)];
    let step = prop_oneof![300 => 0i32..6, 1 => Just(-1)];
    let case = (
        (text, stray),
        prop::collection::vec(step, 1..40),
        prop::collection::vec(any::<u8>(), 0..8),
        prop_oneof![3 => Just(false), 1 => Just(true)],
        prop_oneof![20 => Just(0i32), 1 => -2i32..3],
    );
    let mut runner = seeded_runner(400, 9);
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&case, |((text, stray), steps, valid, with_bits, jitter)| {
            let mut data = String::from_iter(text).into_bytes();
            if let Some((at, b)) = stray {
                let at = at.min(data.len());
                data.insert(at, b);
            }
            // from 0 (or a byte either side), a step a row, the last nudged
            let mut at = jitter.clamp(-1, 1);
            let mut offsets = vec![at];
            for step in &steps {
                at += step;
                offsets.push(at);
            }
            if let Some(last) = offsets.last_mut() {
                *last += jitter;
            }
            let rows_n = offsets.len() - 1;
            let (known, nums) = (vec![1u64; rows_n], vec![1i64; rows_n]);
            let bits = with_bits.then_some(&valid[..]);
            // the same offsets as `i32` (Arrow's `Utf8`) and `i64`
            // (`LargeUtf8`): the same refusal, or the same texts
            let large: Vec<i64> = offsets.iter().map(|&o| i64::from(o)).collect();
            let base = || Rows::new(&set, &known, &nums).unwrap();
            let (small, wide) = (
                base().text_buffer(name, "name", &data, &offsets, bits),
                base().text_buffer(name, "name", &data, &large, bits),
            );
            let (small, wide) = match (small, wide) {
                (Ok(small), Ok(wide)) => (small, wide),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a, b);
                    refused.set(refused.get() + 1);
                    return Ok(());
                }
                _ => return Err(TestCaseError::fail("i32 and i64 offsets disagree")),
            };
            accepted.set(accepted.get() + 1);
            let read = |rows: &Rows<'_>| {
                let mut got = Vec::new();
                policy.evaluate_rows(rows, as_of, |_, r| {
                    got.push(r.unwrap().get(d).unwrap().map(str::to_string));
                });
                got
            };
            let expected: Vec<Option<String>> = (0..rows_n)
                .map(|r| {
                    let known = bits.is_none_or(|b| b[r / 8] >> (r % 8) & 1 == 1);
                    let bytes = &data[offsets[r] as usize..offsets[r + 1] as usize];
                    known.then(|| String::from_utf8(bytes.to_vec()).unwrap())
                })
                .collect();
            prop_assert_eq!(read(&wide), expected.clone());
            let got = read(&small);
            prop_assert_eq!(got, expected);
            Ok(())
        })
        .unwrap();
    // both outcomes are exercised
    let (accepted, refused) = (accepted.get(), refused.get());
    assert!(
        accepted > 40 && refused > 40,
        "{accepted} accepted, {refused} refused"
    );
}

/// `set_nums` refuses numbers its fields cannot take (and sets nothing
/// then), text and list fields, more than 64 fields, and handles of other
/// inputs (that record's error); fields from 64 up are set and unset.
#[test]
fn rows_of_numbers_refuse_what_does_not_fit() {
    let policy = Policy::from_source(
        "p.rules",
        "policy p
input { n: int  ok: bool  born: date  colour: enum(red, green)  name: text }
decision d: int = if ok and colour == \"green\" then n else 0
",
    )
    .unwrap();
    let set = policy.num_fields(["n", "ok", "born", "colour"]).unwrap();
    let as_of = Date::parse("2026-01-01").unwrap();
    let d = policy.decision::<Int>("d").unwrap();
    let bad_rows: [[i64; 4]; 4] = [
        [5, 2, 0, 1],
        [5, 1, i64::from(i32::MAX) + 1, 1],
        [5, 1, 0, 2],
        [5, 1, 0, -1],
    ];
    let mut errors = Vec::new();
    policy.evaluate_each(
        bad_rows.iter(),
        as_of,
        |row, record| {
            let n = policy.field::<Int>("n").unwrap();
            record.set(n, 7);
            errors.push(
                record
                    .set_nums(&set, 0b1111, &row[..])
                    .unwrap_err()
                    .to_string(),
            );
            // an unknown field's number is not looked at
            record.set_nums(&set, 0b0001, &row[..]).unwrap();
        },
        |_, r| assert_eq!(r.unwrap().get(d).unwrap(), None),
    );
    assert_eq!(
        errors,
        [
            "input field `ok` cannot take the number 2 (it takes 0 to 1)",
            "input field `born` cannot take the number 2147483648 (it takes -2147483648 to 2147483647)",
            "input field `colour` cannot take the number 2 (it takes 0 to 1)",
            "input field `colour` cannot take the number -1 (it takes 0 to 1)",
        ]
    );
    let mut batch = Batch::new(&policy);
    assert_eq!(
        batch
            .record()
            .set_nums(&set, 0b1111, &[1, 1, 0])
            .unwrap_err(),
        batch::NumError::Short {
            given: 3,
            fields: 4
        }
    );
    assert!(matches!(
        policy.num_fields(["n", "name"]),
        Err(FieldError::WrongKind { .. })
    ));
    assert!(matches!(
        policy.num_fields(["n", "nope"]),
        Err(FieldError::Unknown { .. })
    ));
    // handles of other inputs: that record's error, the others decided
    let other = Policy::from_source(
        "q.rules",
        "policy q\ninput { n: int }\ndecision d: int = n\n",
    )
    .unwrap();
    let theirs = other.num_fields(["n"]).unwrap();
    let mine = policy.num_fields(["n", "ok", "colour"]).unwrap();
    let mut results = Vec::new();
    policy.evaluate_each(
        [false, true],
        as_of,
        |&wrong, record| {
            if wrong {
                record.set_nums(&theirs, 1, &[3]).unwrap();
            } else {
                record.set_nums(&mine, 0b111, &[3, 1, 1]).unwrap();
            }
        },
        |_, r| results.push(r.map(|v| v.get(d).unwrap())),
    );
    assert_eq!(results[0], Ok(Some(3)));
    assert_eq!(results[1], Err(EvalError::from(WrongPolicy::Field)));

    // fields 64 and up: set when known, unset when not
    let inputs: Vec<String> = (0..70).map(|i| format!("a{i}: int")).collect();
    let wide = Policy::from_source(
        "wide.rules",
        &format!(
            "policy wide\ninput {{ {} }}\ndecision d: int = a0 + a64 + a69\n",
            inputs.join("  ")
        ),
    )
    .unwrap();
    let names: Vec<String> = (0..70).map(|i| format!("a{i}")).collect();
    assert!(matches!(
        wide.num_fields(names.iter().map(String::as_str)),
        Err(FieldError::TooMany {
            given: 70,
            most: 64
        })
    ));
    let set = wide.num_fields(["a0", "a64", "a69"]).unwrap();
    let d = wide.decision::<Int>("d").unwrap();
    let mut got = Vec::new();
    wide.evaluate_each(
        [0b111u64, 0b101],
        as_of,
        |&known, record| {
            record.set(wide.field::<Int>("a64").unwrap(), 100);
            record.set_nums(&set, known, &[1, 2, 3]).unwrap();
        },
        |_, r| {
            let r = r.unwrap();
            let missing: Vec<usize> = r.decision(d).unwrap().missing().collect();
            got.push((r.get(d).unwrap(), missing));
        },
    );
    assert_eq!(got, [(Some(6), vec![]), (None, vec![64])]);
}
