//! The interview page (`GET /interview?policies=...`) used in a real
//! headless Chromium as a person would: every question answered with its
//! own control until the results, which must be what evaluating the same
//! facts gives; "Back", "I don't know" and a wrong answer; focus moving to
//! each new question, and a label on every control.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`); without them these tests fail, saying so, unless
//! `RULEBOOK_SKIP_BROWSER=1` is set (then they say they skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/browser.rs"]
mod browser;
mod support;

use browser::Browser;
use rulebook::{Date, Policy};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use support::{request, Server, Setup};

/// The interview's date, so that ages (and rates in force) do not move.
const AS_OF: &str = "2026-11-27";
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");

/// A server with the shipped `policies` (and their tests, which gate them).
fn served(policies: &[&str]) -> Server {
    let dir = support::folder("interview-browser");
    for p in policies {
        for ext in ["rules", "test.yaml"] {
            std::fs::copy(
                format!("{RULES}{p}.{ext}"),
                dir.path().join(format!("{p}.{ext}")),
            )
            .unwrap();
        }
    }
    let server = support::start(dir.path(), Setup::default()).keeping(dir);
    assert_eq!(server.report.rejected(), 0, "{:?}", server.report);
    server
}

/// A person's facts: a pensioner with a partner, whose income is above
/// the pension credit guarantee; the partner has a State Pension of their
/// own (a list entry with a list in it).
fn person() -> Map<String, Value> {
    let v = json!({
        "date_of_birth": "1950-03-14",
        "applicant_date_of_birth": "1950-03-14",
        "has_partner": true,
        "partner_date_of_birth": "1952-07-01",
        "in_great_britain": true,
        "habitually_resident": true,
        "subject_to_immigration_control": false,
        "severely_disabled": false,
        "is_carer": false,
        "weekly_state_pension": "230.25",
        "monthly_occupational_pension": "1200.00",
        "weekly_earnings": "0",
        "capital": "12600.00",
        "liable_for_council_tax": true,
        "receives_guarantee_credit": false,
        "blind_or_receives_care_benefit": false,
        "annual_council_tax": "1850.40",
        "applicant_weekly_income": "507.17",
        "household": [{
            "relationship": "partner",
            "date_of_birth": "1952-07-01",
            "full_time_student": false,
            "in_remunerative_work": false,
            "incomes": [{ "kind": "state_pension", "weekly_amount": "120.00" }]
        }]
    });
    v.as_object().unwrap().clone()
}

/// An enum option or a name as the page shows it.
fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// Money as a person types it: a pound sign and thousands separated
/// ("12600.00" -> "£12,600.00").
fn typed_money(v: &str) -> String {
    let (pounds, pence) = v.split_once('.').unwrap_or((v, ""));
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if pence.is_empty() {
        format!("£{grouped}")
    } else {
        format!("£{grouped}.{pence}")
    }
}

/// The Enter key, for WebDriver's typing.
const ENTER: &str = "\u{E007}";

/// One person's interview in the page, with the facts given so far kept
/// by the test as well, to know independently what comes next.
struct Interview<'a> {
    server: &'a Server,
    browser: &'a Browser,
    policies: &'a [&'a str],
    facts: Map<String, Value>,
    /// the facts answered, in order (the page's "Back" undoes the last)
    answered: Vec<String>,
    /// the types of the questions answered
    types: Vec<String>,
}

impl<'a> Interview<'a> {
    fn open(server: &'a Server, browser: &'a Browser, policies: &'a [&'a str]) -> Self {
        browser.goto(&format!(
            "http://{}/interview?policies={}&as_of={AS_OF}",
            server.addr,
            policies.join(",")
        ));
        let interview = Interview {
            server,
            browser,
            policies,
            facts: Map::new(),
            answered: Vec::new(),
            types: Vec::new(),
        };
        interview.arrive();
        interview
    }

    /// What `POST /v1/interview` answers for the facts so far.
    fn endpoint(&self) -> Value {
        let body = json!({ "policies": self.policies, "as_of": AS_OF, "facts": self.facts });
        let r = request(
            self.server.addr,
            "POST",
            "/v1/interview",
            &["Content-Type: application/json"],
            &body.to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// The question the endpoint asks next (null at the end).
    fn expected_next(&self) -> Value {
        self.endpoint()["next"].clone()
    }

    /// After an answer (or "Back", or opening the page): waits for the
    /// question the endpoint asks next, and checks that focus moved to it.
    fn arrive(&self) {
        let q = self.expected_next();
        if !q.is_null() {
            self.shows(&q);
            assert_focus_on(
                self.browser,
                "the new question",
                "question",
                "question-text",
            );
        }
    }

    /// Waits until the page shows question number `answered + 1`, worded
    /// as `q`, and checks what a keyboard or screen reader user relies on.
    fn shows(&self, q: &Value) {
        let n = self.answered.len() + 1;
        let question = q["question"].as_str().unwrap();
        self.browser.wait_until(
            &format!("question {n}, {question:?}"),
            "return document.getElementById('question').hidden === false
                && document.getElementById('progress').innerText.indexOf('Question ' + arguments[0] + ' ') === 0
                && document.getElementById('question-text').innerText === arguments[1]",
            vec![json!(n), json!(question)],
        );
        assert_labelled(self.browser);
        assert_control(self.browser, q);
        // "Back" is offered from the second question on
        let back = self.browser.js(
            "var b = document.getElementById('back'); return !b.hidden && b.offsetParent !== null;",
            vec![],
        );
        assert_eq!(back, json!(n > 1), "Back shown on question {n}");
    }

    /// Answers the question shown with `value` (as its facts JSON has it),
    /// using the question's own control, and continues.
    fn answer(&mut self, value: &Value) {
        let q = self.expected_next();
        self.shows(&q);
        fill(self.browser, "answer", &q, value);
        match q["type"].as_str().unwrap() {
            // from a text field, Enter continues, as in any form
            "money" => self.browser.type_into("#answer", ENTER),
            _ => self.browser.click("#continue"),
        }
        let fact = q["fact"].as_str().unwrap().to_string();
        self.facts.insert(fact.clone(), value.clone());
        self.answered.push(fact);
        self.types.push(q["type"].as_str().unwrap().to_string());
        self.arrive();
    }

    /// Presses "I don't know" on the question shown; answers its fact.
    fn dont_know(&mut self) -> Value {
        let q = self.expected_next();
        self.shows(&q);
        self.browser.click("#unknown");
        let fact = q["fact"].as_str().unwrap().to_string();
        self.facts.insert(fact.clone(), Value::Null);
        self.answered.push(fact);
        self.types.push(q["type"].as_str().unwrap().to_string());
        self.arrive();
        q
    }

    /// Presses "Back" (or, on the results, "Change my last answer") and
    /// checks that the last question comes back showing its answer; the
    /// fact and the answer.
    fn back(&mut self) -> (String, Value) {
        let on_results = self.expected_next().is_null();
        self.browser
            .click(if on_results { "#change" } else { "#back" });
        let fact = self.answered.pop().unwrap();
        let value = self.facts.remove(&fact).unwrap();
        self.arrive();
        let q = self.expected_next();
        assert_eq!(q["fact"], json!(fact), "Back did not go back to {fact}");
        assert!(
            shows_answer(self.browser, "answer", &q, &value),
            "{fact} came back without its answer {value}"
        );
        (fact, value)
    }

    /// Presses "Continue" on a question showing `value` already (after
    /// "Back"), as its answer.
    fn continue_as_shown(&mut self, value: Value) {
        let q = self.expected_next();
        self.shows(&q);
        self.browser.click("#continue");
        let fact = q["fact"].as_str().unwrap().to_string();
        self.facts.insert(fact.clone(), value);
        self.answered.push(fact);
        self.types.push(q["type"].as_str().unwrap().to_string());
        self.arrive();
    }

    /// Answers from `person` until the endpoint has nothing left to ask.
    fn answer_all(&mut self, person: &Map<String, Value>) {
        loop {
            let q = self.expected_next();
            if q.is_null() {
                return;
            }
            let fact = q["fact"].as_str().unwrap();
            let value = person
                .get(fact)
                .unwrap_or_else(|| panic!("the person has no answer for {fact}"))
                .clone();
            self.answer(&value);
        }
    }

    /// Waits for the results, checks focus moved there, and checks that
    /// they are what evaluating the facts given, policy by policy, decides.
    fn shows_what_eval_decides(&self) {
        self.browser.wait_until(
            "the results",
            "return document.getElementById('outcome').hidden === false
                && document.querySelectorAll('#results section.policy').length > 0",
            vec![],
        );
        assert_focus_on(self.browser, "the results", "outcome", "outcome-title");
        assert_eq!(
            self.browser.text("#progress"),
            format!("All questions answered ({}).", self.answered.len())
        );
        let shown = shown_results(self.browser);
        let expected = expected_results(self.policies, &self.facts);
        assert_eq!(shown, expected, "the page's results against evaluation");
        // and the endpoint agrees with evaluation (one engine)
        let end = self.endpoint();
        for p in self.policies {
            let eval = evaluate(p, &self.facts);
            assert_eq!(end["outcomes"][p]["decisions"], eval["decisions"], "{p}");
        }
        // what would change each decision: the endpoint's sentences, each
        // shown under its decision
        let results = self.browser.text("#results");
        let mut sentences = 0;
        for p in self.policies {
            for (d, lines) in end["would_change"][p].as_object().unwrap() {
                for line in lines.as_array().unwrap() {
                    let line = line.as_str().unwrap();
                    assert!(results.contains(line), "{p} {d}: {line:?} not shown");
                    sentences += 1;
                }
            }
        }
        assert!(sentences > 0, "no decision says what would change it");
        assert!(results.contains("What would change this:"), "{results}");
    }
}

/// The facts `policy` (a shipped one) decides on `facts`, evaluated by the
/// core crate, as `rulebook eval` does.
fn evaluate(policy: &str, facts: &Map<String, Value>) -> Value {
    let p = Policy::from_file(format!("{RULES}{policy}.rules")).unwrap();
    p.evaluate_json(
        &Value::Object(facts.clone()).to_string(),
        Date::parse(AS_OF).unwrap(),
    )
    .unwrap()
}

/// One decision as the results show it: its value, its reasons (text and
/// citation) and what is not known.
type Shown = (String, Vec<(String, String)>, String);

/// What the page should show for `policies` on `facts`: policy heading ->
/// decision name -> shown, from evaluation.
fn expected_results(
    policies: &[&str],
    facts: &Map<String, Value>,
) -> BTreeMap<String, BTreeMap<String, Shown>> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    policies
        .iter()
        .map(|p| {
            let out = evaluate(p, facts);
            let decisions = out["decisions"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, r)| {
                    let value = match &r["value"] {
                        Value::Bool(true) => "Yes".to_string(),
                        Value::Bool(false) => "No".to_string(),
                        Value::Null => "Not decided".to_string(),
                        Value::String(s) => words(s),
                        other => other.to_string(),
                    };
                    // the clause that decided, then a require's reasons
                    let mut reasons = Vec::new();
                    if r.get("because").is_some() || r.get("source").is_some() {
                        reasons.push((text(&r["because"]), text(&r["source"])));
                    }
                    for reason in r["reasons"].as_array().into_iter().flatten() {
                        reasons.push((text(&reason["because"]), text(&reason["source"])));
                    }
                    let missing = match r["missing"].as_array() {
                        Some(m) if !m.is_empty() => format!(
                            "Not known: {}",
                            m.iter()
                                .map(|f| words(f.as_str().unwrap()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        _ => String::new(),
                    };
                    (words(name), (value, reasons, missing))
                })
                .collect();
            (words(p), decisions)
        })
        .collect()
}

/// The results as the page shows them, read from what is on screen.
fn shown_results(b: &Browser) -> BTreeMap<String, BTreeMap<String, Shown>> {
    let shown = b.js(
        "return Array.prototype.map.call(document.querySelectorAll('#results section.policy'), function (s) {
           return [s.querySelector('h3').innerText,
             Array.prototype.map.call(s.querySelectorAll('.decision'), function (d) {
               var missing = d.querySelector('dd > p');
               return [d.querySelector('dt').innerText, d.querySelector('.value').innerText,
                 Array.prototype.map.call(d.querySelectorAll('.reasons li'), function (li) {
                   var cite = li.querySelector('cite');
                   return [li.firstChild && li.firstChild.nodeType === 3 ? li.firstChild.textContent : '',
                           cite ? cite.innerText : ''];
                 }),
                 missing ? missing.innerText : ''];
             })];
         });",
        vec![],
    );
    let s = |v: &Value| v.as_str().unwrap().to_string();
    shown
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let decisions = p[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let reasons = d[2]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| (s(&r[0]), s(&r[1])))
                        .collect();
                    (s(&d[0]), (s(&d[1]), reasons, s(&d[3])))
                })
                .collect();
            (s(&p[0]), decisions)
        })
        .collect()
}

/// Focus is on `heading` or on a control inside `#within`.
fn assert_focus_on(b: &Browser, what: &str, within: &str, heading: &str) {
    let focus = b.js(
        "var a = document.activeElement;
         if (!a) return 'nothing';
         var ok = a.id === arguments[1]
           || (document.getElementById(arguments[0]).contains(a) && a.matches('input, select, textarea'));
         return ok ? true : (a.tagName + '#' + a.id);",
        vec![json!(within), json!(heading)],
    );
    assert_eq!(focus, json!(true), "focus is not on {what}");
}

/// Every control of the question has a label with text (a radio button a
/// label and a legend for its group), and every button shown has text.
fn assert_labelled(b: &Browser) {
    let problems = b.js(
        "var problems = [];
         var text = function (e) { return e ? e.textContent.trim() : ''; };
         document.querySelectorAll('#question input, #question select, #question textarea').forEach(function (c) {
           var labels = Array.prototype.map.call(c.labels || [], text).filter(function (t) { return t; });
           if (labels.length === 0) problems.push(c.id + ' has no label');
           if (c.type === 'radio') {
             var fs = c.closest('fieldset');
             if (!fs || !text(fs.querySelector('legend'))) problems.push(c.id + ' is in no group with a legend');
           }
         });
         document.querySelectorAll('button').forEach(function (btn) {
           if (btn.offsetParent !== null && !text(btn)) problems.push(btn.id + ' has no text');
         });
         return problems;",
        vec![],
    );
    assert_eq!(problems, json!([]), "controls without labels");
}

/// The control shown for the question is the one for its type, named by
/// the question.
fn assert_control(b: &Browser, q: &Value) {
    let kind = b.js(
        "var box = document.getElementById('control');
         var c = box.querySelector('#answer, #answer-count');
         if (!c) return 'none';
         var name = c.tagName === 'FIELDSET' ? c.querySelector('legend').textContent
           : Array.prototype.map.call(c.labels, function (l) { return l.textContent; }).join(' ');
         var kind = c.tagName === 'FIELDSET'
           ? 'radios:' + Array.prototype.map.call(c.querySelectorAll('input[type=radio]'), function (r) {
               return r.labels[0].textContent; }).join('|')
           : c.id === 'answer-count' ? 'list:' + c.type
           : c.closest('.money') ? 'money:' + c.type + ':' + c.closest('.money').textContent.trim()
           : c.type;
         return [kind, name];",
        vec![],
    );
    let question = q["question"].as_str().unwrap();
    let expected = match q["type"].as_str().unwrap() {
        "bool" => "radios:Yes|No".to_string(),
        "enum" => format!(
            "radios:{}",
            q["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| words(o.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join("|")
        ),
        "date" => "date".to_string(),
        "money" => "money:text:£".to_string(),
        "list" => "list:number".to_string(),
        other => other.to_string(),
    };
    assert_eq!(kind[0], json!(expected), "the control for {q}");
    let name = kind[1].as_str().unwrap();
    assert!(
        name.starts_with(question),
        "the control is named {name:?}, not by the question {question:?}"
    );
}

/// Fills the control `id` for question (or list field) `q` with `value`,
/// as a person would: a click on the label of a radio button, the date
/// typed into its fields, money with a pound sign, a number of entries and
/// then each entry's fields.
fn fill(b: &Browser, id: &str, q: &Value, value: &Value) {
    match q["type"].as_str().unwrap() {
        "bool" | "enum" => {
            let label = match value {
                Value::Bool(true) => "Yes".to_string(),
                Value::Bool(false) => "No".to_string(),
                v => words(v.as_str().unwrap()),
            };
            let for_id = b.js(
                "var want = arguments[1];
                 var labels = document.getElementById(arguments[0]).querySelectorAll('label');
                 for (var i = 0; i < labels.length; i++) if (labels[i].textContent === want) return labels[i].htmlFor;
                 return null;",
                vec![json!(id), json!(label)],
            );
            let for_id = for_id
                .as_str()
                .unwrap_or_else(|| panic!("no choice labelled {label:?} in #{id}"));
            b.click(&format!("label[for='{for_id}']"));
            let checked = b.js(
                "return document.getElementById(arguments[0]).checked;",
                vec![json!(for_id)],
            );
            assert_eq!(checked, json!(true), "clicking {label:?} chose it");
        }
        "date" => b.type_date(&format!("#{id}"), value.as_str().unwrap()),
        "money" => {
            b.clear(&format!("#{id}"));
            b.type_into(&format!("#{id}"), &typed_money(value.as_str().unwrap()));
        }
        "list" => {
            let items = value.as_array().unwrap();
            let count = format!("#{id}-count");
            b.clear(&count);
            b.type_into(&count, &items.len().to_string());
            for (i, item) in items.iter().enumerate() {
                for (j, field) in q["fields"].as_array().unwrap().iter().enumerate() {
                    let v = &item[field["fact"].as_str().unwrap()];
                    fill(b, &format!("{id}-{i}-{j}"), field, v);
                }
            }
        }
        _ => {
            // int, decimal, text: typed as they are
            let css = format!("#{id}");
            b.clear(&css);
            let typed = match value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            b.type_into(&css, &typed);
        }
    }
}

/// Whether the control `id` shows `value` (after "Back").
fn shows_answer(b: &Browser, id: &str, q: &Value, value: &Value) -> bool {
    match q["type"].as_str().unwrap() {
        "bool" | "enum" => {
            let checked = b.js(
                "var c = document.querySelector('#' + arguments[0] + ' input:checked'); return c ? c.value : null;",
                vec![json!(id)],
            );
            let want = match value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            checked == json!(want)
        }
        "list" => {
            let items = value.as_array().unwrap();
            let count = b.js(
                "return document.getElementById(arguments[0]).value;",
                vec![json!(format!("{id}-count"))],
            );
            count == json!(items.len().to_string())
                && items.iter().enumerate().all(|(i, item)| {
                    q["fields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .enumerate()
                        .all(|(j, f)| {
                            shows_answer(
                                b,
                                &format!("{id}-{i}-{j}"),
                                f,
                                &item[f["fact"].as_str().unwrap()],
                            )
                        })
                })
        }
        _ => {
            let shown = b.js(
                "return document.getElementById(arguments[0]).value;",
                vec![json!(id)],
            );
            let want = match value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            shown == json!(want)
        }
    }
}

#[test]
fn a_person_answers_every_question_and_sees_what_eval_decides() {
    let Some(browser) =
        Browser::start("a_person_answers_every_question_and_sees_what_eval_decides")
    else {
        return;
    };
    let policies = ["pension_credit", "council_tax_reduction"];
    let server = served(&policies);
    let mut interview = Interview::open(&server, &browser, &policies);
    let person = person();
    loop {
        let q = interview.expected_next();
        if q.is_null() {
            break;
        }
        let fact = q["fact"].as_str().unwrap();
        let value = person[fact].clone();
        interview.answer(&value);
        if fact == "household" {
            // Back brings the list back with its entries (and theirs)
            let (_, value) = interview.back();
            interview.continue_as_shown(value);
        }
    }
    // every kind of control was used on the way (an enum in the list)
    for kind in ["bool", "date", "money", "list"] {
        assert!(
            interview.types.iter().any(|t| t == kind),
            "no {kind} question: {:?}",
            interview.types
        );
    }
    assert!(interview.answered.len() >= 10, "{:?}", interview.answered);
    interview.shows_what_eval_decides();

    // "Change my last answer" brings the last question back, answered
    let (_, value) = interview.back();
    interview.answer(&value);
    interview.shows_what_eval_decides();
}

#[test]
fn back_shows_the_previous_question_with_its_answer() {
    let Some(browser) = Browser::start("back_shows_the_previous_question_with_its_answer") else {
        return;
    };
    let policies = ["pension_credit"];
    let server = served(&policies);
    let mut interview = Interview::open(&server, &browser, &policies);
    let person = person();
    for _ in 0..3 {
        let q = interview.expected_next();
        interview.answer(&person[q["fact"].as_str().unwrap()]);
    }
    // on the fourth question, Back: the third, as answered; and again,
    // back to the first
    let fourth = interview.expected_next();
    interview.shows(&fourth);
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(interview.back());
    }
    assert!(interview.answered.is_empty());
    // continuing with those answers goes on to the same fourth question
    for (_, value) in taken.into_iter().rev() {
        interview.continue_as_shown(value);
    }
    assert_eq!(interview.expected_next(), fourth);
    interview.answer_all(&person);
    interview.shows_what_eval_decides();
}

#[test]
fn i_dont_know_is_not_asked_again_and_stays_undecided() {
    let Some(browser) = Browser::start("i_dont_know_is_not_asked_again_and_stays_undecided") else {
        return;
    };
    let policies = ["pension_credit"];
    let server = served(&policies);
    let mut interview = Interview::open(&server, &browser, &policies);
    // a person whose income is below the guarantee, so that whether they
    // can get it turns on their age: the first question, not known
    let mut person = person();
    person.insert("monthly_occupational_pension".into(), json!("0.00"));
    person.insert("capital".into(), json!("5000.00"));
    let skipped = interview.dont_know();
    let fact = skipped["fact"].as_str().unwrap().to_string();
    let mut seen = Vec::new();
    loop {
        let q = interview.expected_next();
        if q.is_null() {
            break;
        }
        interview.shows(&q);
        seen.push(browser.text("#question-text"));
        let next = q["fact"].as_str().unwrap().to_string();
        assert_ne!(next, fact, "{fact} asked again");
        interview.answer(&person[&next]);
    }
    assert!(
        !seen.iter().any(|s| json!(s) == skipped["question"]),
        "{} shown again: {seen:?}",
        skipped["question"]
    );
    assert_eq!(interview.facts[&fact], Value::Null);
    interview.shows_what_eval_decides();
    // the decisions that needed it say so
    let results = browser.text("#results");
    assert!(results.contains("Not decided"), "{results}");
    assert!(
        results.contains(&format!("Not known: {}", words(&fact))),
        "{results}"
    );
}

#[test]
fn a_wrong_answer_is_announced_and_the_question_stays() {
    let Some(browser) = Browser::start("a_wrong_answer_is_announced_and_the_question_stays") else {
        return;
    };
    let policies = ["pension_credit"];
    let server = served(&policies);
    let mut interview = Interview::open(&server, &browser, &policies);
    let person = person();
    let mut tried = Vec::new();
    loop {
        let q = interview.expected_next();
        if q.is_null() {
            break;
        }
        interview.shows(&q);
        let kind = q["type"].as_str().unwrap().to_string();
        if !tried.contains(&kind) {
            // each kind of control once: nothing, then (where the control
            // lets one) something that is not an answer
            tried.push(kind.clone());
            browser.click("#continue");
            assert_refused(&browser, &interview, &q, "Enter an answer|Choose an answer");
            match kind.as_str() {
                "money" => {
                    browser.type_into("#answer", &format!("lots{ENTER}"));
                    assert_refused(&browser, &interview, &q, "Enter an amount of money");
                    browser.clear("#answer");
                }
                "date" => {
                    // a day and a month, but no year
                    browser.type_into("#answer", "0101");
                    browser.click("#continue");
                    assert_refused(&browser, &interview, &q, "Enter the whole date");
                    browser.clear("#answer");
                }
                _ => {}
            }
        }
        let fact = q["fact"].as_str().unwrap().to_string();
        interview.answer(&person[&fact]);
        // a right answer clears the error
        assert_eq!(browser.text("#error"), "", "after answering {fact}");
    }
    for kind in ["bool", "date", "money"] {
        assert!(
            tried.iter().any(|k| k == kind),
            "no {kind} question: {tried:?}"
        );
    }
    interview.shows_what_eval_decides();
}

/// The answer was refused: an error matching one of `any` (|-separated)
/// in an element announced to screen readers, the control marked invalid
/// and focused, and the same question still shown.
fn assert_refused(b: &Browser, interview: &Interview, q: &Value, any: &str) {
    let error = b.wait_until(
        &format!("an error like {any:?}"),
        "var t = document.getElementById('error').innerText;
         return arguments[0].split('|').some(function (w) { return t.indexOf(w) >= 0; }) ? t : '';",
        vec![json!(any)],
    );
    let announced = b.js(
        "var e = document.getElementById('error');
         return e.getAttribute('role') === 'alert' || ['assertive', 'polite'].indexOf(e.getAttribute('aria-live')) >= 0;",
        vec![],
    );
    assert_eq!(announced, json!(true), "the error {error} is not announced");
    let marked = b.js(
        "var a = document.activeElement;
         return a && document.getElementById('control').contains(a)
           && a.getAttribute('aria-invalid') === 'true'
           && (a.getAttribute('aria-describedby') || '').split(' ').indexOf('error') >= 0;",
        vec![],
    );
    assert_eq!(
        marked,
        json!(true),
        "after {error}, focus is not on the control marked invalid and described by the error"
    );
    // the same question, still number answered + 1
    interview.shows(q);
}

#[test]
fn without_chromium_the_browser_tests_fail_saying_how_to_get_it() {
    // a PATH with neither program: the message Browser::start fails with
    let empty = support::folder("no-browser");
    let e = browser::locate(empty.path().as_os_str()).unwrap_err();
    assert!(
        e.contains("chromium and chromedriver are not on the PATH"),
        "{e}"
    );
    assert!(
        e.contains("apt-get install chromium chromium-driver"),
        "{e}"
    );
    assert!(e.contains("RULEBOOK_SKIP_BROWSER=1"), "{e}");
}
