//! `round`, `floor` and `ceil` of money (to whole pounds) and of decimals
//! (to an int), and money divided by an int (rounded to the penny), give
//! the same in the compiled module as in the reference interpreter, for
//! values around every boundary: small ones on both sides of zero and of
//! each half, and the largest and smallest amounts, where money rounded up
//! past the largest is an overflow in both; divisors of both signs, 0
//! (division by zero in both) and the extremes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Date, Engine, Policy};

const POLICY: &str = r#"
policy rounding
input {
  m: money
  d: decimal
  i: int
}
decision round_m: money = round(m)
decision floor_m: money = floor(m)
decision ceil_m: money = ceil(m)
decision round_d: int = round(d)
decision floor_d: int = floor(d)
decision ceil_d: int = ceil(d)
decision per_i: money = m / i
decision per_day: money = m / 365
decision per_minus_2: money = m / -2
"#;

/// `n` minor units (pence, millionths) with `places` decimal places, as
/// the facts JSON writes an amount.
fn text(n: i64, places: u32) -> String {
    let scale = 10i128.pow(places);
    let (sign, a) = (if n < 0 { "-" } else { "" }, i128::from(n).abs());
    format!("{sign}{}.{:0w$}", a / scale, a % scale, w = places as usize)
}

#[test]
fn rounding_in_the_module_is_the_interpreters() {
    let p = Policy::from_source("rounding.rules", POLICY).unwrap();
    let as_of = Date::parse("2026-12-08").unwrap();
    let mut values: Vec<i64> = (-1_000..=1_000).collect();
    for base in [1_000_000i64, 123_456_789, i64::MAX / 2] {
        values.extend((-120..=120).map(|k| base + k));
        values.extend((-120..=120).map(|k| -base + k));
    }
    values.extend((0..=300).map(|k| i64::MAX - k));
    values.extend((0..=300).map(|k| i64::MIN + 1 + k));
    let divisors = [
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        -7,
        100,
        365,
        366,
        -365,
        i64::MAX,
        i64::MIN,
    ];
    let mut compared = 0;
    for (k, &n) in values.iter().enumerate() {
        let i = divisors[k % divisors.len()];
        let facts = format!(
            r#"{{"m": "{}", "d": "{}", "i": {i}}}"#,
            text(n, 2),
            text(n, 6)
        );
        let facts = p.parse_facts(&facts).unwrap();
        let wasm = p.evaluate_with(Engine::Wasm, &facts, as_of);
        let interp = p.evaluate_with(Engine::Interpreter, &facts, as_of);
        match (wasm, interp) {
            (Ok(w), Ok(i)) => assert_eq!(
                p.report(&w, as_of).to_string(),
                p.report(&i, as_of).to_string(),
                "{n}"
            ),
            (Err(w), Err(i)) => assert_eq!(w.to_string(), i.to_string(), "{n}"),
            (w, i) => panic!("{n}: the module gives {w:?}, the interpreter {i:?}"),
        }
        compared += 1;
    }
    assert_eq!(compared, values.len());
}
