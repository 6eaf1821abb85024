//! `rulebook next` and `rulebook interview` as a user runs them (LANGUAGE.md
//! section 10): the JSON of `next`, a simulated person answering it to the
//! end (never asked a fact twice, nor one no undecided decision needs, and
//! ending with the decisions `eval` gives on all the facts), several
//! policies sharing facts, and a scripted terminal interview.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::rulebook;

use serde_json::{json, Value};
use std::path::PathBuf;
use tempfile::TempDir;

/// A folder of its own (removed when the `TempDir` is dropped) holding the
/// file `name` with `text`, and the file's path.
fn temp_file(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = common::temp_dir("interview");
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn next(policies: &[&str], facts: &Value) -> Value {
    let mut args = vec!["next"];
    args.extend_from_slice(policies);
    args.extend_from_slice(&["--as-of", "2026-11-27", "--compact"]);
    let out = rulebook(&args, facts.to_string().as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn eval(policy: &str, facts: &Value) -> Value {
    let out = rulebook(
        &[
            "eval",
            policy,
            "--as-of",
            "2026-11-27",
            "--engine",
            "interp",
        ],
        facts.to_string().as_bytes(),
    );
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The facts any undecided decision of the outcomes still needs, by top-level name.
fn needed(outcomes: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for o in outcomes.as_object().unwrap().values() {
        for m in o["missing"].as_array().unwrap() {
            let top = m.as_str().unwrap().split("[].").next().unwrap().to_string();
            if !out.contains(&top) {
                out.push(top);
            }
        }
    }
    out
}

/// A person who knows `person` answers every question; returns the facts
/// asked, in order, and the last answer of `next`.
fn simulate(policies: &[&str], person: &Value) -> (Vec<String>, Value) {
    let mut facts = json!({});
    let mut asked: Vec<String> = Vec::new();
    loop {
        let answer = next(policies, &facts);
        let needs = needed(&answer["outcomes"]);
        let remaining: Vec<String> = answer["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        for r in &remaining {
            // the shipped policies read these two through known(): absent,
            // they decide as "none", so they are asked while an answer
            // would change a decision
            let optional = ["monthly_occupational_pension", "claimant_date_of_birth"];
            assert!(
                needs.contains(r) || optional.contains(&r.as_str()),
                "{r} is offered but no undecided decision needs it"
            );
            assert!(facts.get(r).is_none(), "{r} is offered but was given");
        }
        if answer["next"].is_null() {
            assert!(remaining.is_empty());
            return (asked, answer);
        }
        let fact = answer["next"]["fact"].as_str().unwrap().to_string();
        assert_eq!(
            remaining.first(),
            Some(&fact),
            "next is the best of remaining"
        );
        assert!(!asked.contains(&fact), "{fact} asked twice");
        asked.push(fact.clone());
        facts[&fact] = person.get(&fact).cloned().unwrap_or(Value::Null);
    }
}

#[test]
fn a_simulated_person_reaches_the_decisions_eval_gives_on_all_the_facts() {
    for (policy, example) in [
        (
            "rules/pension_credit.rules",
            "rules/pension_credit.example.json",
        ),
        (
            "rules/council_tax_reduction.rules",
            "rules/council_tax_reduction.example.json",
        ),
        (
            "rules/casework_routing.rules",
            "rules/casework_routing.example.json",
        ),
    ] {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
        let person: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{root}{example}")).unwrap())
                .unwrap();
        let (asked, last) = simulate(&[policy], &person);
        let full = eval(policy, &person);
        let name = full["policy"].as_str().unwrap();
        for (d, r) in full["decisions"].as_object().unwrap() {
            assert_eq!(
                last["outcomes"][name]["decisions"][d]["value"], r["value"],
                "{policy}: {d} after asking {asked:?}"
            );
        }
        assert!(asked.len() <= person.as_object().unwrap().len());
    }
}

#[test]
fn two_policies_ask_a_shared_fact_once_and_a_refusal_stops_what_it_decides() {
    let policies = [
        "rules/pension_credit.rules",
        "rules/council_tax_reduction.rules",
    ];
    let first = next(&policies, &json!({}));
    // a fact both policies need comes first: one answer serves both
    assert_eq!(first["next"]["fact"], "habitually_resident");
    assert_eq!(
        first["next"]["policies"],
        json!(["pension_credit", "council_tax_reduction"])
    );
    assert_eq!(first["next"]["type"], "bool");
    assert_eq!(first["as_of"], "2026-11-27");
    assert!(first["outcomes"]["pension_credit"]["decisions"].is_object());
    assert!(first["outcomes"]["council_tax_reduction"]["decisions"].is_object());

    // not habitually resident: both eligibility tests are decided, and only
    // what the other decisions need is left
    let after = next(&policies, &json!({"habitually_resident": false}));
    assert_eq!(
        after["outcomes"]["pension_credit"]["decisions"]["eligible"]["value"],
        false
    );
    let remaining = after["remaining"].as_array().unwrap();
    assert!(!remaining.contains(&json!("habitually_resident")));
    assert!(!remaining.contains(&json!("date_of_birth")));

    // null is "asked, not known": never asked again
    let unknown = next(&policies, &json!({"habitually_resident": null}));
    assert!(!unknown["remaining"]
        .as_array()
        .unwrap()
        .contains(&json!("habitually_resident")));
    assert_eq!(
        unknown["outcomes"]["pension_credit"]["decisions"]["eligible"]["value"],
        Value::Null
    );
}

#[test]
fn ask_and_help_are_the_question_and_a_list_is_asked_whole() {
    let (_dir, policy) = temp_file(
        "bus_pass.rules",
        r#"policy bus_pass
input {
  date_of_birth: date
    ask "What is your date of birth?"
    help "As shown on your passport or birth certificate"
  household: list of {
    age: int  ask "How old is this person?"
    carer: bool
  }
    ask "Who else lives with you?"
  tenure: enum(owner, tenant)
}
decision eligible: bool
  require years_between(date_of_birth, as_of) >= 66 because "pension age"
decision carers: int = count(h in household: h.carer)
decision owner: bool = tenure == "owner"
"#,
    );
    let p = policy.to_str().unwrap();
    let a = next(&[p], &json!({"tenure": "owner", "household": []}));
    assert_eq!(
        a["next"],
        json!({"fact": "date_of_birth", "type": "date",
               "question": "What is your date of birth?",
               "help": "As shown on your passport or birth certificate",
               "options": null, "policies": ["bus_pass"]})
    );
    let b = next(
        &[p],
        &json!({"date_of_birth": "1950-01-01", "tenure": "owner"}),
    );
    assert_eq!(b["next"]["fact"], "household");
    assert_eq!(b["next"]["type"], "list");
    assert_eq!(b["next"]["question"], "Who else lives with you?");
    assert_eq!(
        b["next"]["fields"],
        json!([
            {"fact": "age", "type": "int", "question": "How old is this person?", "help": null, "options": null, "policies": ["bus_pass"]},
            {"fact": "carer", "type": "bool", "question": "Carer?", "help": null, "options": null, "policies": ["bus_pass"]}
        ])
    );
    let c = next(
        &[p],
        &json!({"date_of_birth": "1950-01-01", "household": []}),
    );
    assert_eq!(c["next"]["question"], "What is your tenure?");
    assert_eq!(c["next"]["options"], json!(["owner", "tenant"]));
    // everything decided: nothing to ask
    let d = next(
        &[p],
        &json!({"date_of_birth": "1950-01-01", "household": [], "tenure": "tenant"}),
    );
    assert_eq!(d["next"], Value::Null);
    assert_eq!(d["remaining"], json!([]));
}

#[test]
fn one_name_with_two_types_is_an_error_naming_both_files_and_lines() {
    let (_a_dir, a) = temp_file(
        "a.rules",
        "policy a\ninput {\n  age: int\n}\ndecision d: bool = age > 1\n",
    );
    let (_b_dir, b) = temp_file(
        "b.rules",
        "policy b\ninput {\n  x: bool\n  age: date\n}\ndecision d: bool = x\n",
    );
    let out = rulebook(&["next", a.to_str().unwrap(), b.to_str().unwrap()], b"{}");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3", a.display())) && err.contains(&format!("{}:4", b.display())),
        "{err}"
    );
    assert!(
        err.contains("`age`") && err.contains("int") && err.contains("date"),
        "{err}"
    );
    // facts of the wrong type are an input error, as for eval
    let out = rulebook(&["next", a.to_str().unwrap()], br#"{"age": "old"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input error at age"));
}

#[test]
fn an_empty_ask_is_a_compile_error_where_it_is_written() {
    let (_a_dir, a) = temp_file(
        "empty.rules",
        "policy e\ninput {\n  age: int ask \"  \"\n}\n",
    );
    let out = rulebook(&["check", a.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:12: error: the `ask` text of field `age` is empty",
            a.display()
        )),
        "{err}"
    );
    // `ask` and `help` stay usable as field names
    let (_b_dir, b) = temp_file(
        "names.rules",
        "policy n\ninput {\n  age: int\n  ask: bool\n  help: text help \"h\"\n}\ndecision d: bool = ask\n",
    );
    let out = rulebook(&["check", b.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_scripted_interview_asks_again_on_a_wrong_answer_goes_back_and_saves() {
    let dir = common::temp_dir("iv-save");
    let save = dir.path().join("answers.json");
    // date of birth (wrong first), then back to it, then the rest
    let script = "\
habitually_resident? no idea
yes
no
back
no
";
    let out = rulebook(
        &[
            "interview",
            "rules/pension_credit.rules",
            "rules/council_tax_reduction.rules",
            "--as-of",
            "2026-11-27",
            "--save",
            save.to_str().unwrap(),
        ],
        script.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // the first question is the shared one; a wrong answer is asked again with the reason
    assert!(stdout.contains("Question 1"), "{stdout}");
    assert!(
        stdout.contains("is not yes or no. Please answer again."),
        "{stdout}"
    );
    // `back` returned to question 2
    assert_eq!(stdout.matches("Question 2 ").count(), 2, "{stdout}");
    // the answers ended early: the decisions so far, and exit 1
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the answers ended"));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
    assert_eq!(saved["habitually_resident"], true);
    assert_eq!(saved.as_object().unwrap().len(), 2, "{saved}");
}

#[test]
fn a_scripted_interview_ends_with_every_decision_and_its_reasons() {
    // not in Great Britain, not resident: pension credit is refused with its
    // reasons and sources; skip gives "don't know"
    let out = rulebook(
        &[
            "interview",
            "rules/pension_credit.rules",
            "--as-of",
            "2026-11-27",
        ],
        b"no\nno\nno\nskip\nno\nno\nno\nno\nno\nno\nno\nno\nno\nno\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Pension Credit: guarantee credit"),
        "{stdout}"
    );
    assert!(stdout.contains("Eligible: no."), "{stdout}");
    assert!(stdout.contains("Because: "), "{stdout}");
    assert!(stdout.contains("(State Pension Credit"), "{stdout}");
    assert!(
        stdout.contains("Weekly guarantee credit: £0.00."),
        "{stdout}"
    );
    // rulebook explain's sentences: no JSON words
    assert!(!stdout.contains("null"), "{stdout}");
}

/// `--look-ahead 0` asks in the policy's own order (no hypothetical
/// evaluation); the default looks ahead, and both offer the same facts.
#[test]
fn look_ahead_zero_asks_in_declaration_order_and_a_bad_value_is_refused() {
    let run = |extra: &[&str]| -> Value {
        let mut args = vec![
            "next",
            "rules/pension_credit.rules",
            "--as-of",
            "2026-11-27",
            "--compact",
        ];
        args.extend_from_slice(extra);
        let out = rulebook(&args, b"{}");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plain = run(&["--look-ahead", "0"]);
    let ahead = run(&[]);
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&plain), names(&ahead));
    // declaration order: the first input field no decision can do without
    assert_eq!(plain["next"]["fact"], "date_of_birth");
    assert_eq!(plain["remaining"][1], "has_partner");
    let out = rulebook(
        &["next", "rules/pension_credit.rules", "--look-ahead", "lots"],
        b"{}",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--look-ahead"));
}
