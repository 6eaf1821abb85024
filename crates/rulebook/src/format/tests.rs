//! The layout of each construct, comments, and the formatter's guarantees
//! on small files. The corpus of every rule file in the repository is
//! formatted by the CLI's tests (crates/rulebook-cli/tests/fmt.rs).
#![allow(clippy::unwrap_used, clippy::panic)]

use super::format_source;

fn fmt(source: &str) -> String {
    let once = match format_source("t.rules", source) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let twice = format_source("t.rules", &once).unwrap();
    assert_eq!(once, twice, "formatting twice changes the text");
    once
}

#[test]
fn a_messy_file_gets_the_canonical_layout() {
    let source = "policy   t title \"T\"   version \"1\"\ninput { age : int, \
        kind: enum(a,b,), kids: list of { age: int } ask \"Kids?\" }\n\
        param limit : money from 2020-01-01 = £1,000 from 2021-01-01=£2,000\n\
        define d:int=age*2+1\n\
        decision ok : bool require age>=18 because \"adult\" source \"s\" require d < 100 from 2020-01-01\n\
        decision r: text when kind==\"a\"->\"x\" otherwise->\"y\"\n";
    assert_eq!(
        fmt(source),
        "policy t\n  title \"T\"\n  version \"1\"\n\ninput {\n  age: int\n  kind: enum(a, b)\n  \
         kids: list of {\n    age: int\n  }\n    ask \"Kids?\"\n}\n\
         param limit: money\n  from 2020-01-01 = £1,000\n  from 2021-01-01 = £2,000\n\
         define d: int = age * 2 + 1\n\
         decision ok: bool\n  require age >= 18\n    because \"adult\"\n    source \"s\"\n  \
         require d < 100\n    from 2020-01-01\n\
         decision r: text\n  when kind == \"a\" -> \"x\"\n  otherwise -> \"y\"\n"
    );
}

#[test]
fn comments_stay_where_they_stand() {
    let source = "# head\n\npolicy t # name\n\n# inputs\ninput {\n  a: int   # first\n  \
        # own line\n  bb: int # second\n  # last\n}\n\n\n# the limit\nparam p: int = 1 # one\n\
        define x: int =\n  a  # the a\n  + bb\n";
    assert_eq!(
        fmt(source),
        "# head\n\npolicy t  # name\n\n# inputs\ninput {\n  a: int   # first\n  # own line\n  \
         bb: int  # second\n  # last\n}\n\n# the limit\nparam p: int = 1  # one\n\
         define x: int =\n  a               # the a\n  + bb\n"
    );
}

#[test]
fn parentheses_are_kept_where_written_and_added_where_needed() {
    let source = "policy t\ninput { a: int b: int c: bool }\n\
        define x: int = (a + b) * 2 + ((a)) - (a - b)\n\
        define y: bool = (c and c) or not (a > b)\n\
        define z: int = -(-a)\n";
    let out = fmt(source);
    assert!(
        out.contains("define x: int = (a + b) * 2 + a - (a - b)\n"),
        "{out}"
    );
    assert!(
        out.contains("define y: bool = (c and c) or not (a > b)\n"),
        "{out}"
    );
    assert!(out.contains("define z: int = -(-a)\n"), "{out}");
}

#[test]
fn long_lines_break_at_operators_and_ifs_one_part_a_line() {
    let source = "policy t\ninput { income: money partner: bool }\n\
        define allowance_for_the_household: money = if partner then income * 2 + 1000 - 50 else income + 500 - 25 + 17\n\
        define s: money = if partner then 1 else if income > 100 then 2 else if income > 50 then 3 else 4\n\
        decision eligible: bool\n  \
        require income < 1000000 and income > 100 and partner and income < 999999 and income > 101 and not partner\n";
    let out = fmt(source);
    assert!(
        out.contains(
            "define allowance_for_the_household: money =\n  if partner\n  then income * 2 + 1000 - 50\n  \
             else income + 500 - 25 + 17\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "define s: money = if partner then 1 else if income > 100 then 2 else if income > 50 then 3 else 4\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  require income < 1000000\n    and income > 100\n    and partner\n    and income < 999999\n    \
             and income > 101\n    and not partner\n"
        ),
        "{out}"
    );
}

#[test]
fn a_reason_without_because_reads_the_same_however_it_is_laid_out() {
    let a = crate::Policy::from_source(
        "a.rules",
        "policy t\ninput { age: int }\ndecision ok: bool\n  require age>=18 and (age<67)\n",
    )
    .unwrap();
    let b = crate::Policy::from_source(
        "b.rules",
        "policy t\ninput { age: int }\ndecision ok: bool\n  require age >= 18  # adult\n    and (age < 67)\n",
    )
    .unwrap();
    let text = |p: &crate::Policy| p.meta().decisions[0].clauses[0].text.clone();
    assert_eq!(text(&a), "age >= 18 and (age < 67)");
    assert_eq!(text(&a), text(&b));
}

#[test]
fn a_file_that_does_not_compile_is_refused() {
    let err = format_source("t.rules", "policy t\ndecision d: bool = nope\n").unwrap_err();
    assert!(matches!(err, super::FormatError::Compile(_)), "{err}");
}

/// Offsets where a token ends and blanks follow, outside texts and comments.
fn token_ends(source: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut in_text, mut in_comment, mut escaped) = (false, false, false);
    let mut prev_code = false;
    for (i, c) in source.char_indices() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
            continue;
        }
        if in_text {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_text = false,
                _ => {}
            }
            prev_code = !in_text;
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_text = true,
            c if c.is_whitespace() => {
                if prev_code {
                    out.push(i);
                }
                prev_code = false;
                continue;
            }
            _ => {}
        }
        prev_code = !in_comment;
    }
    out
}

const STRESS: &str = r#"# leading
policy stress
  title "A \"quoted\" title"
  version "1"

input {
  age: int personal
    ask "How old?"
  kind: enum(a, b, c)
  born: date
  kids: list of {
    age: int
    ok: bool
  }
    help "Kids"
}

param limit: money
  from 2020-01-01 = £1,000
  from 2021-01-01 = -£2.50
param rate: decimal = 0.5

define total: money = limit * rate + (if age > 3 then 1 else 2) - -limit
define n: int = count(k in kids: k.age < 5 and not k.ok) + sum(k in kids: k.age)

decision ok: bool
  require age >= 18 and (kind == "a" or kind in ["b", "c"])
    because "adult"
    from 2020-01-01
  require years_between(born, as_of) < 67 or known(born)
    source "s"
    until 2030-01-01

decision route: text
  when not ok -> "no"
  when total > £10 -> if n > 1 then "many" else if n == 1 then "one" else "none"
  otherwise -> "yes"
    because "fine"
"#;

#[test]
fn a_comment_after_any_token_is_kept_and_changes_nothing() {
    let baseline = crate::policy::check_source("s.rules", STRESS).unwrap();
    let shape = super::positionless(&baseline.program);
    let ends = token_ends(STRESS);
    assert!(ends.len() > 100, "{}", ends.len());
    for (n, &at) in ends.iter().enumerate() {
        for comment in [format!("  # c{n}\n"), format!("\n# c{n}\n")] {
            let mut source = STRESS.to_string();
            source.insert_str(at, &comment);
            let out = match format_source("s.rules", &source) {
                Ok(s) => s,
                Err(e) => panic!("comment at {at}: {e}\n{source}"),
            };
            assert!(out.contains(&format!("# c{n}")), "{out}");
            let again = format_source("s.rules", &out).unwrap();
            assert_eq!(
                out, again,
                "not idempotent with a comment at {at}:\n{source}"
            );
            let checked = crate::policy::check_source("s.rules", &out).unwrap();
            assert_eq!(super::positionless(&checked.program), shape);
        }
    }
    // and all of them at once
    let mut source = STRESS.to_string();
    for (n, &at) in ends.iter().enumerate().rev() {
        source.insert_str(at, &format!(" # all{n}\n"));
    }
    let out = fmt(&source);
    assert_eq!(out.matches("# all").count(), ends.len());
}

#[test]
fn the_stress_policy_is_laid_out_as_written() {
    assert_eq!(fmt(STRESS), STRESS);
}

mod generated {
    //! Random expressions, parenthesised or not at random, with random
    //! blanks, line breaks and comments between their tokens: whatever
    //! they parse to, the formatted text checks into the same program and
    //! formatting it again changes nothing.
    use super::format_source;
    use proptest::prelude::*;

    /// Tokens of an expression; `None` is a place for blanks or a comment.
    type Toks = Vec<Option<String>>;

    fn t(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    fn wrap(mut inner: Toks, parens: bool) -> Toks {
        if parens {
            inner.insert(0, t("("));
            inner.push(t(")"));
        }
        inner
    }

    fn join(parts: Vec<Toks>, sep: &str) -> Toks {
        let mut out = Vec::new();
        for (i, p) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push(None);
                out.push(t(sep));
            }
            out.push(None);
            out.extend(p);
        }
        out
    }

    fn int() -> impl Strategy<Value = Toks> {
        let leaf = prop_oneof![
            Just(vec![t("a")]),
            Just(vec![t("b")]),
            (0u32..1000).prop_map(|n| vec![Some(n.to_string())]),
        ];
        leaf.prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop_oneof![Just("+"), Just("-"), Just("*")],
                    inner.clone(),
                    any::<bool>()
                )
                    .prop_map(|(l, op, r, p)| wrap(join(vec![l, r], op), p)),
                (inner.clone(), any::<bool>()).prop_map(|(x, p)| {
                    let mut v = vec![t("-")];
                    v.extend(wrap(x, true));
                    wrap(v, p)
                }),
                (inner.clone(), inner.clone()).prop_map(|(x, y)| {
                    let mut v = vec![t("max"), t("(")];
                    v.extend(join(vec![x, y], ","));
                    v.push(t(")"));
                    v
                }),
                (inner.clone(), inner.clone(), inner.clone(), any::<bool>()).prop_map(
                    |(c, x, y, p)| {
                        let mut v = vec![t("if"), None];
                        v.extend(wrap(c, true));
                        v.extend([None, t(">"), None, t("1"), None, t("then"), None]);
                        v.extend(x);
                        v.extend([None, t("else"), None]);
                        v.extend(y);
                        wrap(v, p)
                    }
                ),
            ]
        })
    }

    fn boolean() -> impl Strategy<Value = Toks> {
        let cmp = (
            int(),
            prop_oneof![Just("=="), Just("!="), Just("<"), Just(">=")],
            int(),
            any::<bool>(),
        )
            .prop_map(|(l, op, r, p)| wrap(join(vec![wrap(l, true), wrap(r, true)], op), p));
        let member = (int(), any::<bool>()).prop_map(|(x, p)| {
            let mut v = wrap(x, true);
            v.extend([
                None,
                t("in"),
                None,
                t("["),
                t("1"),
                t(","),
                None,
                t("2"),
                t("]"),
            ]);
            wrap(v, p)
        });
        prop_oneof![cmp, member, Just(vec![t("c")]), Just(vec![t("true")])].prop_recursive(
            3,
            16,
            2,
            |inner| {
                prop_oneof![
                    (
                        inner.clone(),
                        prop_oneof![Just("and"), Just("or")],
                        inner.clone(),
                        any::<bool>()
                    )
                        .prop_map(|(l, op, r, p)| wrap(join(vec![l, r], op), p)),
                    (inner.clone(), any::<bool>()).prop_map(|(x, p)| {
                        let mut v = vec![t("not"), None];
                        v.extend(wrap(x, true));
                        wrap(v, p)
                    }),
                ]
            },
        )
    }

    /// The tokens written out, each place for blanks filled by `fill`.
    fn text(toks: &Toks, fill: &[u8]) -> String {
        let mut out = String::new();
        let mut n = 0;
        for tok in toks {
            match tok {
                Some(s) => {
                    if out.ends_with(|c: char| c.is_ascii_alphanumeric())
                        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
                    {
                        out.push(' ');
                    }
                    out.push_str(s);
                }
                None => {
                    let k = fill.get(n % fill.len().max(1)).copied().unwrap_or(0);
                    n += 1;
                    out.push_str(match k % 6 {
                        0 | 1 => " ",
                        2 => "",
                        3 => "\n    ",
                        4 => "  # note\n    ",
                        _ => "\n# own line\n    ",
                    });
                }
            }
        }
        out
    }

    fn check(x: &Toks, y: &Toks, fill: &[u8]) -> Result<(), TestCaseError> {
        let source = format!(
            "policy g\ninput {{ a: int b: int c: bool }}\ndefine x: int =\n  {}\n\
             decision y: bool\n  require {}\n",
            text(x, fill),
            text(y, fill),
        );
        // what does not compile (`a < b < c`, say) is refused, not formatted
        let Ok(once) = format_source("g.rules", &source) else {
            return Ok(());
        };
        let twice = format_source("g.rules", &once)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{once}")))?;
        prop_assert_eq!(&once, &twice, "not idempotent:\n{}", source);
        prop_assert_eq!(
            source.matches("# ").count(),
            once.matches("# ").count(),
            "comments lost"
        );
        Ok(())
    }

    #[test]
    fn formatting_keeps_the_program() {
        // the syntax tree builder recurses a few frames per bracket, large
        // ones in a debug build: more stack than a test thread has
        let run = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(|| {
                let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                    cases: 300,
                    ..ProptestConfig::default()
                });
                let cases = (
                    int(),
                    boolean(),
                    proptest::collection::vec(any::<u8>(), 1..40),
                );
                runner.run(&cases, |(x, y, fill)| check(&x, &y, &fill))
            })
            .unwrap();
        if let Err(e) = run.join().unwrap() {
            panic!("{e}");
        }
    }
}
