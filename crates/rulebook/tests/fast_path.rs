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
    // define, computed only where it is read): fast
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
    // A short fast evaluation runs inline for a record that has every
    // input it reads, and, for one that lacks some, a second copy that
    // tests each where it reads it: inline too (no function of its own).
    let policy = Policy::from_source("optional.rules", SOURCE).unwrap();
    assert_eq!(fast_parts(policy.wasm()), 0, "an out-of-line copy");
    let cases: Vec<(&str, Option<bool>)> = CASES.iter().map(|(j, f)| (*j, Some(*f))).collect();
    check(&policy, &cases);
}

#[test]
fn a_long_fast_evaluation_tests_each_input_where_it_reads_it() {
    // A long one (here, 80 requires more; not split) tests each input where it
    // reads it, inline, with no second copy: the same records stay fast.
    let requires: String = (0..80)
        .map(|k| format!("  require amount > £{k} because \"r{k}\"\n"))
        .collect();
    let source = format!("{SOURCE}decision many: bool\n{requires}");
    let policy = Policy::from_source("long.rules", &source).unwrap();
    assert_eq!(fast_parts(policy.wasm()), 0, "split, or a second copy");
    let cases: Vec<(&str, Option<bool>)> = CASES.iter().map(|(j, f)| (*j, Some(*f))).collect();
    check(&policy, &cases);
}

/// A define is computed where a clause reads it, once a record: the claim
/// clauses and `senior` read the age on different paths, the share (which
/// fails for a divisor of 0) only reconsiderations read, and the younger
/// age only a count over a list, at each element.
const DEFERRED: &str = r#"
policy deferred
input {
  kind: enum(claim, reconsideration, complaint)
  amount: money
  divisor: int
  born: date
  people: list of { age: int }
}
define age: int = years_between(born, as_of)
define share: money = amount / divisor
define younger: int = age - 10
decision older_than_younger: int = count(p in people: p.age > younger)
decision route: text
  when kind == "claim" and age >= 66 -> "pension"
  when kind == "claim" and age < 18 -> "young"
  when kind == "reconsideration" and share > £100 -> "large"
  otherwise -> "standard"
decision senior: bool = age >= 60
"#;

#[test]
fn a_define_is_computed_where_it_is_read_and_fails_only_there() {
    let policy = Policy::from_source("deferred.rules", DEFERRED).unwrap();
    let case = |kind: &str, divisor: i64, born: &str| {
        // no one, one person, or three of ages around the younger age
        let people = match divisor % 3 {
            0 => "[]",
            1 => r#"[{"age":30}]"#,
            _ => r#"[{"age":5},{"age":40},{"age":70}]"#,
        };
        format!(
            r#"{{"kind":"{kind}","amount":"500.00","divisor":{divisor},"born":"{born}","people":{people}}}"#
        )
    };
    let cases = [
        // the age computed by the first claim clause
        (case("claim", 2, "1950-01-01"), Some(false)),
        // ... and read again by the second, and by `senior`
        (case("claim", 2, "1980-01-01"), Some(false)),
        (case("claim", 2, "2010-01-01"), Some(false)),
        // computed first by `senior`
        (case("complaint", 2, "1960-01-01"), Some(false)),
        (case("reconsideration", 2, "1960-01-01"), Some(false)),
        (case("reconsideration", 10, "1990-01-01"), Some(false)),
        // the share fails where it is read: the evaluation fails
        (case("reconsideration", 0, "1990-01-01"), None),
        // a record whose clauses never read it stays fast
        (case("claim", 0, "1990-01-01"), Some(false)),
        (case("complaint", 0, "1950-01-01"), Some(false)),
    ];
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (j.as_str(), *f)).collect();
    check(&policy, &cases);
}

/// Evaluates each case's facts in the module compiled to mark the records
/// its full evaluation took, and asserts which were (`None`: the
/// evaluation fails) and that every answer, marked module or not, is the
/// interpreter's.
fn check(policy: &Policy, cases: &[(&str, Option<bool>)]) {
    let marked = policy.marking_full_body().unwrap();
    let as_of = Date::parse("2026-06-01").unwrap();
    let facts: Vec<_> = cases
        .iter()
        .map(|(json, _)| marked.parse_facts(json).unwrap())
        .collect();
    let mut results = rulebook::BatchResults::default();
    marked.evaluate_batch_into(&facts, as_of, &mut results);
    for ((i, r), (json, in_full)) in results.iter().enumerate().zip(cases) {
        let f = policy.parse_facts(json).unwrap();
        let interp = policy.evaluate_with(Engine::Interpreter, &f, as_of);
        assert_eq!(
            policy.evaluate_with(Engine::Wasm, &f, as_of),
            interp,
            "case {i}: {json}"
        );
        let Some(in_full) = in_full else {
            assert!(r.is_err() && interp.is_err(), "case {i}: {json}");
            continue;
        };
        let view = r.unwrap();
        assert_eq!(view.evaluated_in_full(), *in_full, "case {i}: {json}");
        // the answer is the interpreter's, marked module or not
        let wasm = policy.evaluate_json(json, as_of).unwrap();
        let interp = policy.report(&interp.unwrap(), as_of).to_string();
        let interp_json: serde_json::Value = serde_json::from_str(&interp).unwrap();
        assert_eq!(wasm, interp_json, "case {i}: {json}");
        assert_eq!(
            marked.report(&view, as_of).to_string(),
            interp,
            "case {i}: {json}"
        );
    }
}

/// A policy large enough that its record evaluation is split into several
/// functions: a define early on read only at the end (in another
/// function), decisions read across functions, hundreds of clauses between.
fn large_policy() -> String {
    let mut s = String::from(
        r#"policy large
input {
  kind: enum(claim, reconsideration)
  received: date
  notified: date          # reconsiderations only
  a: int
  m: money
  t: text
  people: list of { age: int }
}
define waited: int = days_between(notified, received)   # absent for claims
define income: money = m * 3
decision first: int = a * 2
"#,
    );
    for d in 0..60 {
        s.push_str(&format!(
            "decision e{d}: bool
"
        ));
        for j in 0..4 {
            s.push_str(&format!(
                "  require a + {j} >= {} or t == \"x{d}\" because \"r{d}_{j}\"\n",
                (d * 7 + j) % 90
            ));
        }
        s.push_str(&format!(
            "decision w{d}: text\n  when income > £{d}0 and t != \"q\" -> \"hi{d}\"\n  when a > {d} -> \"a{d}\"\n  otherwise -> \"o\"\n"
        ));
        s.push_str(&format!(
            "decision v{d}: money = if income > £{d} then income - £{d} else m * {}\n",
            d % 5 + 1
        ));
    }
    s.push_str(
        r#"decision late: bool = kind == "reconsideration" and waited > 31
decision again: int = first + count(p in people: p.age >= 18)
decision share: decimal = 1000 / a
decision scaled: money = income * 1000
decision taxed: money = income * 0.35
decision summary: bool = late or e0 and e59
"#,
    );
    s
}

/// How many functions of `wasm` return an i32 from three i32 parameters:
/// the fast parts of a split evaluation.
fn fast_parts(wasm: &[u8]) -> usize {
    use wasmparser::{Parser, Payload, ValType};
    let mut types = Vec::new();
    let mut count = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::TypeSection(r) => {
                for t in r.into_iter_err_on_gc_types() {
                    let t = t.unwrap();
                    types.push(t.params() == [ValType::I32; 3] && t.results() == [ValType::I32]);
                }
            }
            Payload::FunctionSection(r) => {
                for ty in r {
                    count += usize::from(types[ty.unwrap() as usize]);
                }
            }
            _ => {}
        }
    }
    count
}

#[test]
fn a_split_policy_keeps_its_fast_path() {
    let policy = Policy::from_source("large.rules", &large_policy())
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(fast_parts(policy.wasm()) >= 3, "the policy is not split");
    let claim = |rest: &str| {
        format!(
            r#"{{"kind":"claim","received":"2026-03-01","t":"x3","people":[{{"age":20}},{{"age":3}}]{rest}}}"#
        )
    };
    let recon = |rest: &str| {
        format!(r#"{{"kind":"reconsideration","received":"2026-03-01","t":"q","people":[]{rest}}}"#)
    };
    let cases: Vec<(String, Option<bool>)> = vec![
        // every fact given
        (
            claim(r#","notified":"2026-01-01","a":40,"m":"12.34""#),
            Some(false),
        ),
        (
            recon(r#","notified":"2026-01-01","a":7,"m":"-5.00""#),
            Some(false),
        ),
        (
            recon(r#","notified":"2026-02-27","a":95,"m":"0.00""#),
            Some(false),
        ),
        // a claim without the date only reconsiderations read: fast,
        // though the define that reads it is computed in another function
        (claim(r#","a":40,"m":"12.34""#), Some(false)),
        // a reconsideration without it reads it at the end: in full
        (recon(r#","a":7,"m":"1.00""#), Some(true)),
        // a fact read by every record: in full
        (claim(r#","notified":"2026-01-01","m":"1.00""#), Some(true)),
        (claim(r#","notified":"2026-01-01","a":3"#), Some(true)),
        (
            r#"{"kind":"claim","received":"2026-03-01","a":3,"m":"1.00","people":[]}"#.into(),
            Some(true),
        ),
        // a list element without its field: in full
        (
            recon(r#","a":7,"m":"1.00","people":[{}]"#).replace(r#""people":[],"#, ""),
            Some(true),
        ),
        // a value beyond an inline fast path's range: in full, exact
        (claim(r#","a":40,"m":"9000000000000.00""#), Some(true)),
        // a failure: the full evaluation reports it, as the interpreter
        (claim(r#","notified":"2026-01-01","a":0,"m":"1.00""#), None),
        (claim(r#","a":1,"m":"90000000000000.00""#), None),
    ];
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (j.as_str(), *f)).collect();
    check(&policy, &cases);
}

#[test]
fn a_right_side_read_only_when_the_left_does_not_decide_keeps_records_without_it_fast() {
    // `and`/`or` whose right side cannot fail evaluate it without a
    // branch; a record without an input read only there, whose left side
    // decides, stays on the fast path (the out-of-line one, which tests
    // each input where the evaluation needs it), and one whose left side
    // does not goes to the full evaluation. Same answers as the
    // interpreter either way.
    let source = r#"
policy right
input {
  kind: enum(claim, overpayment)
  amount: money          # overpayments only
  f: bool
  g: bool                # read only right of an `or`
}
decision senior: bool = kind == "overpayment" and amount >= £1000
decision either: bool = f or not g
decision both: bool = not f and g and amount > £0
"#;
    let policy = Policy::from_source("right.rules", source).unwrap();
    assert_eq!(fast_parts(policy.wasm()), 0, "an out-of-line copy");
    let cases = [
        (
            r#"{"kind":"claim","amount":"5.00","f":true,"g":true}"#,
            Some(false),
        ),
        // no amount, no g: every left side decides
        (r#"{"kind":"claim","f":true}"#, Some(false)),
        // no amount: an overpayment reads it
        (r#"{"kind":"overpayment","f":true}"#, Some(true)),
        // no g, and f false: `either` reads it
        (r#"{"kind":"claim","amount":"5.00","f":false}"#, Some(true)),
        // f false, g true, no amount: `both` reads it
        (r#"{"kind":"claim","f":false,"g":true}"#, Some(true)),
        // f false, g false, no amount: `not f and g` decides `both`
        (r#"{"kind":"claim","f":false,"g":false}"#, Some(false)),
    ];
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (*j, *f)).collect();
    check(&policy, &cases);
}

#[test]
fn a_read_in_one_branch_does_not_check_for_the_reads_after_it() {
    // The fast evaluation checks an input's presence, and a define's
    // success, where it first reads it, and the full one a define's
    // failure; a read that the first one precedes on every path needs no
    // second check. Here every first read is in a branch the record does
    // not take (or in the other arm), so the read after it must check.
    // Each decision reads inputs of its own, so that a record lacking one
    // tests one decision.
    let source = r#"
policy branches
input {
  f: bool
  a1: int
  a2: int
  b1: int
  b3: int
  b4: int
}
define big1: int = a1 * 1000000000000
define big2: int = a2 * 1000000000000
decision d1: int = (if f then b1 else 0) + b1
decision d2: int = (if f then big1 else 0) + big1
decision d3: int = if f then b3 else (if b3 > 0 then 1 else 2)
decision d4: bool = (f and b4 > 1) or b4 > 0
decision d5: int = if f then big2 else big2 + 1
"#;
    let policy = Policy::from_source("branches.rules", source).unwrap();
    let all = [
        ("a1", "2"),
        ("a2", "2"),
        ("b1", "3"),
        ("b3", "3"),
        ("b4", "3"),
    ];
    // the facts with f, without `drop`, and with `set` instead of its own
    let facts = |f: bool, drop: &str, set: (&str, &str)| {
        let fields: Vec<String> = (all.iter())
            .filter(|(k, _)| *k != drop)
            .map(|(k, v)| format!(r#""{k}":{}"#, if *k == set.0 { set.1 } else { v }))
            .collect();
        format!(r#"{{"f":{f},{}}}"#, fields.join(","))
    };
    let mut cases = Vec::new();
    for f in [true, false] {
        // every fact: fast
        cases.push((facts(f, "", ("", "")), Some(false)));
        // one decision's input absent: that decision reads it after the
        // branch, so in full
        for b in ["b1", "b3", "b4"] {
            cases.push((facts(f, b, ("", "")), Some(true)));
        }
        // one define fails: read after the branch, the evaluation fails
        for a in ["a1", "a2"] {
            cases.push((facts(f, "", (a, "100000000")), None));
        }
    }
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (j.as_str(), *f)).collect();
    check(&policy, &cases);
}

#[test]
fn a_check_holds_past_a_block_only_when_no_branch_to_its_end_precedes_it() {
    // The fast evaluation branches on a condition inside blocks. A read
    // made in a block before any branch to its end ran on every path
    // through it: `k` below, read in `d`'s condition, is tested before the
    // out-of-line copy is called, and so is `a`, which `x` needs and `f`
    // reads. A read after a branch to the block's end (`b`, right of the
    // `and`, read only when `a > 0`) did not: the read of `b` after the
    // block must test it again, or a record without `b` whose `a` is not
    // positive would read an absent `b` as 0.
    let source = r#"
policy blocks
input {
  a: int
  b: int
  k: bool
  c: int            # read only when k
}
define x: int = if a > 0 and b > 0 then 1 else 2
decision d: int = if k then x + b else x
decision e: int = if k then c else 0
decision f: int = x
"#;
    let policy = Policy::from_source("blocks.rules", source).unwrap();
    let cases = [
        (r#"{"a":1,"b":2,"k":true,"c":3}"#, Some(false)),
        // no c, not read: fast, by the second copy
        (r#"{"a":1,"b":2,"k":false}"#, Some(false)),
        // no c, read
        (r#"{"a":1,"b":2,"k":true}"#, Some(true)),
        // no b, not read (`a > 0` decides the `and`, k false): fast
        (r#"{"a":-1,"k":false,"c":3}"#, Some(false)),
        // no b, and `d` reads it after the block: in full, `d` unknown
        (r#"{"a":-1,"k":true,"c":3}"#, Some(true)),
        // no a, which every path reads: in full
        (r#"{"b":2,"k":true,"c":3}"#, Some(true)),
        // no k, which every path reads: in full
        (r#"{"a":1,"b":2,"c":3}"#, Some(true)),
    ];
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (*j, *f)).collect();
    check(&policy, &cases);
    assert_eq!(fast_parts(policy.wasm()), 0, "an out-of-line copy");
}

#[test]
fn no_out_of_line_copy_when_every_path_reads_every_input() {
    // When the fast evaluation reads every input it reads on every path
    // (in a define's conditions too, before any branch), a record without
    // one of them cannot stay fast: it goes straight to the full
    // evaluation, and the record loop has no second copy to try first.
    let source = r#"
policy everywhere
input {
  a: int
  f: bool
  r: text
}
define t: int = (if f then 10 else 0) + (if r == "x" then 1 else 2)
decision ok: bool
  require a > t because "a is above the limit"
  require f or a > 5 because "f or a above 5"
"#;
    let policy = Policy::from_source("everywhere.rules", source).unwrap();
    assert_eq!(fast_parts(policy.wasm()), 0, "an out-of-line copy");
    let cases = [
        (r#"{"a":20,"f":true,"r":"x"}"#, Some(false)),
        (r#"{"a":3,"f":false,"r":"y"}"#, Some(false)),
        (r#"{"f":true,"r":"x"}"#, Some(true)),
        (r#"{"a":20,"r":"x"}"#, Some(true)),
        (r#"{"a":20,"f":false}"#, Some(true)),
    ];
    let cases: Vec<(&str, Option<bool>)> = cases.iter().map(|(j, f)| (*j, *f)).collect();
    check(&policy, &cases);
}
