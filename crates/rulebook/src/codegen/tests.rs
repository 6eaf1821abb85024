//! Edge-value tests of the inline fast paths: each operation, alone in a
//! policy, evaluated by the interpreter and by the compiled module over a grid
//! of operands around every bound the fast paths switch at (32-bit limits,
//! the ranges of constant multipliers and divisors, rounding ties, i64
//! limits), and over texts equal to, or of the same length as, constants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::inline;
use crate::facts::Facts;
use crate::num::DEC_SCALE;
use crate::{Date, Engine, Policy};

const INPUTS: &str =
    "input {\n  m: money\n  n: money\n  d: decimal\n  e: decimal\n  i: int\n  j: int\n}\n";

/// Operations of one operand `x` (m, e, i) and constants.
const UNARY: &[(&str, &str)] = &[
    ("money", "m * 0.5"),
    ("money", "m * 1.15"),
    ("money", "1.15 * m"),
    ("money", "m * -2.5"),
    ("money", "m * 0.000001"),
    ("money", "m * -0.000001"),
    ("money", "m * 1000000.5"),
    ("money", "m * 0"),
    ("money", "m * 1"),
    ("money", "m * 1.0"),
    ("money", "m * 3"),
    ("money", "3 * m"),
    ("money", "m * -1"),
    ("money", "m * 10000000000000"),
    ("money", "m / 3"),
    ("money", "m / -0.7"),
    ("money", "m / 0.000001"),
    ("money", "m / 2"),
    ("money", "m / -1"),
    ("money", "m / 0"),
    ("decimal", "e * 2.5"),
    ("decimal", "e / 1000000.5"),
    ("decimal", "e * 7"),
    ("int", "i * 3"),
    ("int", "i * -7"),
    ("int", "i * 0"),
    ("int", "i * 1"),
    ("int", "i * -1"),
    ("int", "i * 9223372036854775807"),
    ("int", "i * -9223372036854775807"),
    ("int", "i * (-9223372036854775807 - 1)"),
    ("decimal", "i / 7"),
    ("decimal", "i / -2"),
    ("decimal", "i / 1"),
    ("int", "i + 5"),
    ("int", "i - 5"),
    ("int", "5 - i"),
    ("int", "i + -3"),
    ("int", "i - -3"),
    ("int", "-3 + i"),
    ("int", "i + 0"),
    ("int", "i - 0"),
    ("int", "0 - i"),
    ("int", "i + 9223372036854775807"),
    ("int", "i - 9223372036854775807"),
    ("int", "i + (-9223372036854775807 - 1)"),
    ("int", "i - (-9223372036854775807 - 1)"),
    ("money", "m + 3"),
    ("money", "m - 3"),
    ("money", "-m"),
    ("money", "if i > 0 then m else 0"),
    ("decimal", "e * (if i > 0 then 1 else 2)"),
    ("money", "m * (if i > 0 then 1.15 else 1)"),
    ("money", "(if i > 0 then 1.15 else -0.5) * m"),
    ("money", "m + (if i > 0 then 3 else 0)"),
    ("money", "(if i > 0 then 3 else 0) - m"),
    ("money", "m - (if i < 0 then 0 else -3)"),
    ("money", "m / (if i > 0 then 0.7 else 0)"),
    ("decimal", "(if i > 0 then 2.5 else 1) * e"),
    ("int", "i * (if i > 0 then 9223372036854775807 else -1)"),
    (
        "int",
        "(if i > 3 then 2 else 0) + (if i > 0 then 1 else -1)",
    ),
    ("money", "m * (if i * 3 > 0 then 2.5 else 1)"),
];

/// Operations of two operands `x` (m, e, i) and `y` (n, d, j).
const BINARY: &[(&str, &str)] = &[
    ("money", "m * d"),
    ("money", "d * m"),
    ("money", "m * j"),
    ("money", "j * m"),
    ("decimal", "e * d"),
    ("decimal", "e * j"),
    ("decimal", "j * e"),
    ("int", "i * j"),
    ("money", "m / d"),
    ("decimal", "m / n"),
    ("money", "m / j"),
    ("decimal", "i / j"),
    ("decimal", "e / d"),
    ("int", "i + j"),
    ("int", "i - j"),
    // sums of products by constants, bounded by the fast path's narrowed
    // ranges (no overflow check of their own), and a decimal product of one
    ("money", "m * 3 + n * 7"),
    ("int", "i * 5 - j * 3"),
    ("money", "(m * 3 + n * 7) * 1.15"),
    ("money", "£350 * i + £400 * j + £1200"),
];

/// Values around every bound of the fast paths for the constants above.
fn values() -> Vec<i64> {
    let mut v: Vec<i64> = vec![
        0,
        1,
        2,
        3,
        49,
        50,
        51,
        99,
        100,
        499_999,
        500_000,
        500_001,
        1_500_000,
        2_500_000,
        1 << 31,
        (1 << 31) - 1,
        (1 << 31) + 1,
        1 << 32,
        3_037_000_499,
        3_037_000_500,
        1 << 40,
        i64::MAX / DEC_SCALE,
        (1 << 62) / DEC_SCALE,
        1 << 62,
        i64::MAX / 2,
        i64::MAX - 1,
        i64::MAX,
    ];
    let constants = [
        3,
        7,
        -7,
        2,
        -2,
        100,
        500_000,
        1_150_000,
        -2_500_000,
        -700_000,
        1,
        -1,
        1_000_000_500_000,
        3_000_000,
        2_000_000,
        7_000_000,
        10_000_000_000_000_000,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
    ];
    // the fast evaluation's narrowed range of a product by a constant
    let fast = |c: i64| super::expr::FAST_MAGNITUDE / c.saturating_abs().max(1);
    v.extend([100, 35_000, 40_000, DEC_SCALE].map(fast));
    for c in constants {
        v.push(fast(c));
        let (lo, hi) = inline::mul_bounds(c);
        v.extend([lo, hi]);
        v.push(inline::mul_round_bound(c));
        v.push(inline::div_round_bound(c));
        v.push(i64::MAX - c.saturating_abs());
    }
    let mut out = Vec::new();
    for x in v {
        for y in [x.saturating_sub(1), x, x.saturating_add(1)] {
            out.extend([y, y.saturating_neg()]);
        }
    }
    out.push(i64::MIN);
    out.push(i64::MIN + 1);
    out.sort_unstable();
    out.dedup();
    out
}

fn facts(p: &Policy, x: Option<i64>, y: Option<i64>) -> Facts {
    let mut b = p.facts();
    if let Some(x) = x {
        b = b.money_pence("m", x).decimal_micros("e", x).int("i", x);
    }
    if let Some(y) = y {
        b = b.money_pence("n", y).decimal_micros("d", y).int("j", y);
    }
    b.build().unwrap()
}

fn agree(p: &Policy, what: &str, records: Vec<Facts>) {
    let as_of = Date(20_000);
    let wasm = p.evaluate_batch(&records, as_of);
    assert_eq!(wasm.len(), records.len(), "{what}: one result a record");
    for (f, w) in records.iter().zip(wasm) {
        let i = p.evaluate_with(Engine::Interpreter, f, as_of);
        assert_eq!(
            i,
            w,
            "{what}: {:?}",
            crate::facts::to_json(&p.meta().input, f)
        );
    }
}

fn policy(ty: &str, expr: &str) -> Policy {
    let src = format!("policy t\n{INPUTS}decision r: {ty} = {expr}\n");
    Policy::from_source("edge", &src).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

#[test]
fn arithmetic_fast_paths_agree_with_the_interpreter_at_every_bound() {
    let vals = values();
    for (ty, expr) in UNARY {
        let p = policy(ty, expr);
        // every fact present (the fast evaluation), or the other operands
        // missing (the full one)
        let mut records = Vec::new();
        for x in &vals {
            records.push(facts(&p, Some(*x), Some(*x)));
            records.push(facts(&p, Some(*x), None));
        }
        records.push(facts(&p, None, None));
        agree(&p, expr, records);
    }
    // pairs: every value against a sample of the values, and the reverse
    let sample: Vec<i64> = vals.iter().copied().step_by(5).collect();
    for (ty, expr) in BINARY {
        let p = policy(ty, expr);
        let mut records = Vec::new();
        for x in &vals {
            for y in &sample {
                records.push(facts(&p, Some(*x), Some(*y)));
                records.push(facts(&p, Some(*y), Some(*x)));
            }
            records.push(facts(&p, Some(*x), None));
            records.push(facts(&p, None, Some(*x)));
        }
        agree(&p, expr, records);
    }
}

#[test]
fn the_product_of_two_operands_in_i32_range_matches_the_helper_everywhere() {
    // dense sampling of both signs, ties and the i32 edges
    let p = policy("money", "m * d");
    let mut records = Vec::new();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..4000 {
        let x = (next() as i64) >> (next() % 64);
        let y = (next() as i64) >> (next() % 64);
        records.push(facts(&p, Some(x), Some(y)));
    }
    for x in [
        -3_000_001i64,
        -1_500_000,
        -500_000,
        -1,
        1,
        500_000,
        1_500_000,
        2_500_001,
    ] {
        for y in [
            -2_147_483_648i64,
            -1_000_000,
            -500_000,
            500_000,
            1_000_000,
            2_147_483_647,
        ] {
            records.push(facts(&p, Some(x), Some(y)));
        }
    }
    agree(&p, "m * d", records);
}

const TEXT_CONSTANTS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "abcd",
    "abcde",
    "abcdefg",
    "abcdefgh",
    "abcdefghi",
    "abcdefghijklmno",
    "abcdefghijklmnop",
    "abcdefghijklmnopq",
    "é€",
    "€uro ✓",
];

/// Texts equal to a constant, of its length with one byte or character
/// changed, one shorter or longer.
fn texts() -> Vec<String> {
    let mut out = vec!["ÿ".to_string(), "x".repeat(40)];
    for c in TEXT_CONSTANTS {
        out.push(c.to_string());
        out.push(format!("{c}z"));
        out.push(format!("z{c}"));
        let chars: Vec<char> = c.chars().collect();
        for i in 0..chars.len() {
            let mut changed = chars.clone();
            changed[i] = if chars[i] == 'Z' { 'Y' } else { 'Z' };
            out.push(changed.iter().collect());
            out.push(chars[..i].iter().collect());
            out.push(chars[i + 1..].iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn text_comparisons_with_constants_agree_with_the_interpreter() {
    let quoted: Vec<String> = TEXT_CONSTANTS.iter().map(|c| format!("{c:?}")).collect();
    let mut decisions = String::new();
    for (k, q) in quoted.iter().enumerate() {
        decisions.push_str(&format!("decision eq{k}: bool = t == {q}\n"));
        decisions.push_str(&format!("decision ne{k}: bool = {q} != t\n"));
    }
    decisions.push_str(&format!(
        "decision any: bool = t in [{}]\n",
        quoted[1..].join(", ")
    ));
    decisions.push_str("decision some: bool = t in [\"abc\", u, \"abcdefgh\"]\n");
    decisions.push_str("decision same: bool = t == u\n");
    decisions.push_str("decision fixed: bool = \"abc\" == \"abc\" and \"ab\" != \"abc\"\n");
    let src = format!("policy t\ninput {{\n  t: text\n  u: text\n}}\n{decisions}");
    let p = Policy::from_source("texts", &src).unwrap();
    let all = texts();
    let mut records = Vec::new();
    for t in &all {
        for u in ["", "abc", "abd", t.as_str()] {
            records.push(p.facts().text("t", t).text("u", u).build().unwrap());
        }
        records.push(p.facts().text("t", t).build().unwrap());
    }
    records.push(p.facts().build().unwrap());
    agree(&p, "texts", records);
}

#[test]
fn complete_records_whose_fast_evaluation_fails_get_the_full_evaluation() {
    // Each failure of the fast evaluation (an overflow inline and in a
    // helper, a division by zero, a param with no value, no clause) hands
    // the record to the full function, which reports the first failing
    // decision in source order, or no failure at all when only an unread
    // define fails; the records around it are evaluated by the fast path.
    let src = "policy t
input {
  a: int
  b: int
  m: money
  d: decimal
  t: text
}
param late: int
  from 2100-01-01 = 1
define big: int = a * 1000000000000
decision first: int = if a > 0 then a else big
decision second: decimal = b / (a - 1)
decision third: text
  when t == \"x\" -> \"x\"
  when b > 5 -> \"b\"
  when b < -5 -> (if late > 0 then \"late\" else \"early\")
  otherwise -> \"none\"
    until 2000-01-01
decision fourth: money = m * d
decision fifth: bool = a + 1 > b
";
    let p = Policy::from_source("fallback", src).unwrap();
    let mut records = Vec::new();
    for a in [-20_000_000, -1, 0, 1, 2, 20_000_000] {
        for b in [-7, 0, 7, i64::MAX] {
            for (m, d) in [(100, 2_000_000), (i64::MAX / 2, 3_000_000)] {
                for t in ["x", "y"] {
                    let f = p.facts().int("a", a).int("b", b);
                    let f = f.money_pence("m", m).decimal_micros("d", d).text("t", t);
                    records.push(f.build().unwrap());
                }
            }
        }
    }
    records.push(p.facts().int("a", 2).build().unwrap());
    agree(&p, "fallback", records);
}

#[test]
fn conditions_branch_as_their_values_decide() {
    // The fast evaluation branches on `when` and `if` conditions directly:
    // comparisons (text ones inline), not, and, or, in, each to either side,
    // with failures only where the value would evaluate them.
    let src = "policy t
input {
  t: text
  u: text
  n: int
}
decision w: text
  when t == \"abc\" and u != \"abd\" -> \"and\"
  when not (t == \"ab\" or u == \"\") and n < 0 -> \"not or\"
  when t in [\"a\", \"abcdefgh\", \"é€\"] -> \"in\"
  when not (t in [\"abcd\", u]) and t != \"\" and n > 5 -> \"not in\"
  when t == u or n * 1000000000000 > 0 -> \"or fails\"
  when t != \"abcdefghijklmnopq\" -> \"ne\"
  otherwise -> \"none\"
decision i: int =
  if t == \"abc\" or (u == \"x\" and not (t == \"\")) then n
  else if t in [\"ab\", \"abcdefghi\"] then n * 3
  else if not (n >= 2) then 7 else n - 1
";
    let p = Policy::from_source("conditions", src).unwrap();
    let mut records = Vec::new();
    for t in texts() {
        for u in ["", "abc", "abd", "x", t.as_str()] {
            for n in [-5, 1, 2, 7, 10_000_000] {
                let f = p.facts().text("t", &t).text("u", u).int("n", n);
                records.push(f.build().unwrap());
            }
        }
    }
    records.push(p.facts().text("t", "abc").build().unwrap());
    agree(&p, "conditions", records);
}

#[test]
fn reason_bits_of_many_requires_agree_with_the_interpreter() {
    // 70 requires: two reason words, each built from its last clause down;
    // some clauses not in force on the date, some unknown.
    let mut clauses = String::new();
    for k in 0..70 {
        let cond = match k % 3 {
            0 => format!("i > {k}"),
            1 => format!("j < {k}"),
            _ => format!("i + j != {k}"),
        };
        clauses.push_str(&format!("  require {cond}\n"));
        match k % 7 {
            3 => clauses.push_str("    from 2100-01-01\n"),
            5 => clauses.push_str("    until 2000-01-01\n"),
            _ => {}
        }
    }
    let src = format!("policy t\n{INPUTS}decision r: bool\n{clauses}");
    let p = Policy::from_source("requires", &src).unwrap();
    let mut records = Vec::new();
    for i in [-1, 0, 1, 2, 30, 64, 65, 69, 70, 100] {
        for j in [-1, 0, 1, 33, 64, 65, 69, 70, 100] {
            records.push(facts(&p, Some(i), Some(j)));
        }
        records.push(facts(&p, Some(i), None));
    }
    agree(&p, "requires", records);
}

#[test]
fn a_record_missing_any_fact_is_not_evaluated_by_the_fast_path() {
    // The presence words are checked with the narrowest load that holds
    // their bits: field counts at every width's edge, one fact missing at
    // each position, or none.
    for n in [1, 8, 9, 16, 17, 32, 33, 64, 65, 72] {
        let inputs: String = (0..n).map(|k| format!("  f{k}: int\n")).collect();
        let sum: Vec<String> = (0..n).map(|k| format!("f{k}")).collect();
        let src = format!(
            "policy t\ninput {{\n{inputs}}}\ndecision r: int = {}\n",
            sum.join(" + ")
        );
        let p = Policy::from_source("presence", &src).unwrap();
        let mut records = Vec::new();
        for missing in (0..n).map(Some).chain([None]) {
            let mut b = p.facts();
            for k in (0..n).filter(|k| Some(*k) != missing) {
                b = b.int(&format!("f{k}"), k as i64);
            }
            records.push(b.build().unwrap());
        }
        agree(&p, &format!("{n} fields"), records);
    }
}

/// How many records one iteration of the record loop of `p` evaluates: the
/// calls of the full function in `evaluate` (one a record).
fn records_an_iteration(p: &Policy) -> usize {
    let program = p.program().unwrap();
    let meta = crate::abi::Meta::of(program, "test");
    let (mut strings, mut sites) = (super::Strings::default(), super::Sites::default());
    let (_, read, tested) = super::checking_copy(program, &meta, &mut strings, &mut sites);
    let lacking = super::Lacking {
        read: &read,
        tested: &tested,
    };
    let f = super::evaluate_function(
        program,
        &meta,
        &mut strings,
        &mut sites,
        (super::Fast::Inline(Some(lacking)), false),
    );
    f.calls().filter(|&c| c == super::FN_RECORD_FULL).count()
}

#[test]
fn batches_of_every_length_agree_however_many_records_the_loop_takes() {
    // A short evaluation goes four records an iteration, longer ones (as
    // their size nears UNROLL_BUDGET) two, and one past UNROLL_UP_TO
    // (here, 35 requires: its second copy would fit): batches of every length
    // up to 9, with complete and incomplete records at every position,
    // every way.
    let short = policy("money", "m + n");
    let requiring = |n: usize| {
        let requires: Vec<String> = (0..n)
            .map(|k| format!("  require m + n > {k} because \"r{k}\"\n"))
            .collect();
        let src = format!("policy t\n{INPUTS}decision r: bool\n{}", requires.concat());
        Policy::from_source("requires", &src).unwrap()
    };
    let (medium, long) = (requiring(32), requiring(35));
    assert_eq!(records_an_iteration(&short), 4);
    assert_eq!(records_an_iteration(&medium), 2);
    assert_eq!(records_an_iteration(&long), 1);
    for p in [&short, &medium, &long] {
        for n in 0..=9 {
            let records: Vec<Facts> = (0..n)
                .map(|i| match i % 3 {
                    0 => facts(p, Some(i as i64 * 100), Some(7)),
                    1 => facts(p, Some(i as i64), None),
                    _ => facts(p, None, Some(i as i64 * 1000)),
                })
                .collect();
            agree(p, &format!("batch of {n}"), records);
        }
    }
}

#[test]
fn offset_int_operands_and_their_bounds_agree_with_the_interpreter() {
    // `x ± k` promoted to decimal or money is checked once, on x shifted
    // by k, in the fast evaluation; the bounds that check gives the product
    // and the sums after it leave their overflow checks out. Around every
    // shifted bound and the i64 limits, both engines agree.
    let exprs = [
        ("money", "m * (i - 1)"),
        ("money", "£350 * (i - 1)"),
        ("money", "£350 * (i - 1) + £1200"),
        (
            "money",
            "£1200 + £350 * (5 + i) + (if j > 3 then £400 else 0)",
        ),
        ("money", "£350 * (i + 5) - £1200"),
        (
            "money",
            "(£1200 + £350 * (i - 1)) * (if j > 3 then 1.15 else 1)",
        ),
        ("money", "£10000 * (i - 1) + £92233720368547"),
        ("money", "£1000000 * (i - 1)"),
        ("money", "£350 * (i - 1) + £400 * (j + 1)"),
        ("int", "7 * (i + 2) - 3 * (j - 2)"),
        ("decimal", "(i - 1) * 2.5"),
        ("decimal", "0.5 * (i + 9223372036854775807)"),
        ("decimal", "-1 * (i - 3)"),
    ];
    let mut xs = values();
    let narrowed = [35_000, 700, 7, 3].map(|c| super::expr::FAST_MAGNITUDE / c);
    for bound in [i64::MIN / DEC_SCALE, i64::MAX / DEC_SCALE]
        .into_iter()
        .chain(narrowed)
        .chain(narrowed.map(|b| -b))
    {
        for k in [1, -1, 5, -5, 3] {
            xs.extend((-2..=2).map(|d| bound - k + d));
        }
    }
    xs.sort_unstable();
    xs.dedup();
    for (ty, expr) in exprs {
        let p = policy(ty, expr);
        let mut records = Vec::new();
        for x in &xs {
            // complete (the fast evaluation), and without j (the full one
            // where the expression reads j)
            records.push(facts(&p, Some(*x), Some(0)));
            records.push(facts(&p, Some(*x), Some(4)));
            records.push(facts(&p, Some(*x), None));
        }
        agree(&p, expr, records);
    }
}

#[test]
fn sums_of_fast_products_keep_exact_bounds() {
    // The fast evaluation keeps a product by a constant within
    // FAST_MAGNITUDE (beyond, the full evaluation computes it), and a sum
    // of bounded values within its operands' bounds together: no overflow
    // check where they rule overflow out, and a product by a decimal
    // constant checked only where they do not. At the ends of those
    // ranges, every pairing of operands agrees with the interpreter.
    let exprs = [
        ("money", "(m * 3 + n * 7) * 0.0001"),
        ("money", "(m * 3 - n * 7) * 0.0001"),
        ("money", "(m * 3 + n * 7) * 0.000001"),
        ("money", "(£350 * (i - 1) + n * 7) * 0.001"),
        ("int", "i * 3 + j * 7 + 9223372036854775000"),
    ];
    let fast = |c: i64| super::expr::FAST_MAGNITUDE / c;
    let mut ends = vec![0, 1, -1];
    for b in [fast(3), fast(7), fast(35_000), fast(100)] {
        for d in -1..=1 {
            ends.extend([b + d, -(b + d)]);
        }
    }
    for (ty, expr) in exprs {
        let p = policy(ty, expr);
        let mut records = Vec::new();
        for x in &ends {
            for y in &ends {
                records.push(facts(&p, Some(*x), Some(*y)));
            }
        }
        agree(&p, expr, records);
    }
}

/// Day numbers around the calendar's edges: 29 February in leap and common
/// years (1900 and 2100 are common, 2000 leap), the turns of months and
/// years, years before year 0, and the ends of the date range.
fn calendar_days() -> Vec<i32> {
    let mut days = vec![i32::MIN, i32::MIN + 1, i32::MAX - 1, i32::MAX, 0, -1];
    for y in [
        -4, -1, 0, 1, 1899, 1900, 1904, 1999, 2000, 2001, 2023, 2024, 2100,
    ] {
        for (m, d) in [(1, 1), (2, 28), (2, 29), (3, 1), (12, 31)] {
            if let Some(n) = crate::num::days_from_civil(y, m, d) {
                days.extend([n - 1, n, n + 1]);
            }
        }
    }
    days
}

#[test]
fn years_between_agrees_with_the_interpreter_on_calendar_edges() {
    // the later date changing from call to call (the helper's path), and
    // `as_of` alone, whose key the module keeps: then every call after a
    // batch's first is computed inline
    let both = "policy t\ninput {\n  a: date\n  b: date\n}\n\
                decision between: int = years_between(a, b)\n\
                decision age: int = years_between(a, as_of)\n";
    let age = "policy t\ninput {\n  a: date\n  b: date\n}\n\
               decision age: int = years_between(a, as_of)\n";
    for src in [both, age] {
        years_between_agrees_on_calendar_edges(&Policy::from_source("years", src).unwrap());
    }
}

fn years_between_agrees_on_calendar_edges(p: &Policy) {
    let days = calendar_days();
    let mut records = Vec::new();
    // the later date changes from record to record (the module keeps the
    // last one's key): every pair, in both orders
    for &a in &days {
        for &b in &days {
            records.push(
                p.facts()
                    .date("a", Date(a))
                    .date("b", Date(b))
                    .build()
                    .unwrap(),
            );
        }
    }
    let wasm = |as_of: Date| p.evaluate_batch(&records, as_of);
    // batches of other dates `as_of`, one after another on the same
    // instance: the key kept from the last batch is not reused
    for as_of in [0, 20_000, -800_000, 11_016, 11_017, 20_000] {
        let as_of = Date(as_of);
        for (f, w) in records.iter().zip(wasm(as_of)) {
            let i = p.evaluate_with(Engine::Interpreter, f, as_of);
            assert_eq!(i, w, "{:?}", crate::facts::to_json(&p.meta().input, f));
        }
    }
}
