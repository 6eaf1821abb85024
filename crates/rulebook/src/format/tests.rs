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
