//! `RecordWriter::set_list`: list inputs written through typed handles give
//! what the same facts give as JSON: the same reports, for lists empty and
//! long, nested, with texts in their elements, some facts of an element
//! unknown, across chunks, with `evaluate_each` and with a `Batch`; a
//! household that does not fit an instance's memory fails alone; handles
//! of other inputs set nothing; and council tax reduction's households,
//! written either way, are decided alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rng;
use rulebook::batch::{Batch, Bool, Enum, Field, Int, ListField, Money, RecordWriter, Text};
use rulebook::{Date, EvalError, Policy, Runtime, RuntimeConfig};
use serde_json::{json, Value as Json};

const POLICY: &str = r#"
policy lists_test
input {
  name: text
  orders: list of {
    label: text
    qty: int
    kind: enum(small, large)
    parts: list of {
      code: text
      n: int
    }
  }
  flag: bool
}
decision total: int = sum(o in orders: o.qty)
decision large: int = count(o in orders: o.kind == "large")
decision has_apple: bool = any(o in orders: o.label == "apple")
decision parts: int = sum(o in orders: sum(p in o.parts: p.n))
decision a1: bool = any(o in orders: any(p in o.parts: p.code == "A1"))
decision route: text
  when name == "vip" -> "fast"
  when flag and has_apple -> "fruit"
  otherwise -> "standard"
"#;

struct Part {
    code: Option<String>,
    n: Option<i64>,
}

struct Order {
    label: Option<String>,
    qty: Option<i64>,
    kind: Option<usize>,
    parts: Vec<Part>,
}

struct Case {
    name: Option<String>,
    orders: Option<Vec<Order>>,
    flag: Option<bool>,
}

const LABELS: [&str; 5] = [
    "apple",
    "pear",
    "a much longer label than sixteen bytes",
    "",
    "fig",
];
const CODES: [&str; 4] = ["A1", "B22", "a code of many more bytes", "A"];
const KINDS: [&str; 2] = ["small", "large"];

/// Cases with lists of 0 to `most` orders, each of 0 to 3 parts; about one
/// fact in ten unknown, lists included.
fn cases(rng: &mut Rng, count: usize, most: u64) -> Vec<Case> {
    let opt = |rng: &mut Rng| rng.below(10) != 0;
    (0..count)
        .map(|_| Case {
            name: opt(rng).then(|| ["vip", "ann", "bo"][rng.below(3) as usize].to_string()),
            orders: opt(rng).then(|| {
                (0..rng.below(most + 1))
                    .map(|_| Order {
                        label: opt(rng).then(|| LABELS[rng.below(5) as usize].to_string()),
                        qty: opt(rng).then(|| rng.below(100) as i64 - 10),
                        kind: opt(rng).then(|| rng.below(2) as usize),
                        parts: (0..rng.below(4))
                            .map(|_| Part {
                                code: opt(rng).then(|| CODES[rng.below(4) as usize].to_string()),
                                n: opt(rng).then(|| rng.below(9) as i64),
                            })
                            .collect(),
                    })
                    .collect()
            }),
            flag: opt(rng).then(|| rng.below(2) == 0),
        })
        .collect()
}

/// A JSON object of the facts given (a `None` left out, as an unknown
/// fact is).
fn object<const N: usize>(facts: [(&str, Option<Json>); N]) -> Json {
    Json::Object(
        (facts.into_iter())
            .filter_map(|(name, value)| Some((name.to_string(), value?)))
            .collect(),
    )
}

/// A case as the facts JSON of the same facts.
fn json_of(c: &Case) -> String {
    let part = |p: &Part| {
        object([
            ("code", p.code.as_ref().map(|c| json!(c))),
            ("n", p.n.map(|n| json!(n))),
        ])
    };
    let order = |o: &Order| {
        object([
            ("label", o.label.as_ref().map(|l| json!(l))),
            ("qty", o.qty.map(|q| json!(q))),
            ("kind", o.kind.map(|k| json!(KINDS[k]))),
            (
                "parts",
                Some(Json::Array(o.parts.iter().map(part).collect())),
            ),
        ])
    };
    object([
        ("name", c.name.as_ref().map(|n| json!(n))),
        ("flag", c.flag.map(|f| json!(f))),
        (
            "orders",
            (c.orders.as_ref()).map(|os| Json::Array(os.iter().map(order).collect())),
        ),
    ])
    .to_string()
}

/// The policy's handles.
struct Handles {
    name: Field<Text>,
    flag: Field<Bool>,
    orders: ListField,
    label: Field<Text>,
    qty: Field<Int>,
    kind: Field<Enum>,
    kinds: Vec<rulebook::batch::Variant>,
    parts: ListField,
    code: Field<Text>,
    n: Field<Int>,
}

impl Handles {
    fn new(p: &Policy) -> Handles {
        let orders = p.list_field("orders").unwrap();
        let parts = orders.list("parts").unwrap();
        let kind = orders.field("kind").unwrap();
        Handles {
            name: p.field("name").unwrap(),
            flag: p.field("flag").unwrap(),
            label: orders.field("label").unwrap(),
            qty: orders.field("qty").unwrap(),
            kinds: KINDS
                .iter()
                .map(|k| orders.variant(kind, k).unwrap())
                .collect(),
            kind,
            code: parts.field("code").unwrap(),
            n: parts.field("n").unwrap(),
            parts,
            orders,
        }
    }

    /// Writes a case, its facts in the order a service might.
    fn fill(&self, w: &mut RecordWriter<'_>, c: &Case) {
        if let Some(orders) = &c.orders {
            w.set_list(&self.orders, orders, |order, e| {
                if let Some(l) = &order.label {
                    e.set(self.label, l);
                }
                e.set_list(&self.parts, &order.parts, |p, e| {
                    if let Some(c) = &p.code {
                        e.set(self.code, c);
                    }
                    if let Some(n) = p.n {
                        e.set(self.n, n);
                    }
                })
                .unwrap();
                if let Some(q) = order.qty {
                    e.set(self.qty, q);
                }
                if let Some(k) = order.kind {
                    e.set(self.kind, self.kinds[k]);
                }
            })
            .unwrap();
        }
        if let Some(n) = &c.name {
            w.set(self.name, n);
        }
        if let Some(f) = c.flag {
            w.set(self.flag, f);
        }
    }
}

fn as_of() -> Date {
    Date::parse("2026-12-08").unwrap()
}

/// Every case's report from its JSON.
fn expected(p: &Policy, cases: &[Case]) -> Vec<String> {
    cases
        .iter()
        .map(|c| {
            let facts = p.parse_facts(&json_of(c)).unwrap();
            let out = p.evaluate(&facts, as_of()).unwrap();
            p.report(&out, as_of()).to_string()
        })
        .collect()
}

/// Every case's report through `evaluate_each`, its facts written by
/// [`Handles::fill`].
fn reports(p: &Policy, h: &Handles, cases: &[Case]) -> Vec<String> {
    let mut got = Vec::new();
    p.evaluate_each(
        cases.iter(),
        as_of(),
        |c, w| h.fill(w, c),
        |_, r| got.push(p.report(&r.unwrap(), as_of()).to_string()),
    );
    got
}

#[test]
fn lists_written_through_handles_give_what_their_json_gives() {
    let p = Policy::from_source("lists.rules", POLICY).unwrap();
    let h = Handles::new(&p);
    let mut rng = Rng(0x5eed_1157);
    // more than one chunk, lists from empty to long
    for (count, most) in [(1, 0), (3, 1), (700, 4), (1300, 12), (40, 300)] {
        let cases = cases(&mut rng, count, most);
        let want = expected(&p, &cases);
        let got = reports(&p, &h, &cases);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g,
                w,
                "evaluate_each, case {i} of {count}: {}",
                json_of(&cases[i])
            );
        }
        // the same through a Batch
        let mut batch = Batch::new(&p);
        for c in &cases {
            h.fill(&mut batch.record(), c);
        }
        let mut results = rulebook::BatchResults::default();
        p.evaluate_batch_into(&batch, as_of(), &mut results);
        let mut n = 0;
        for (i, (r, w)) in results.iter().zip(&want).enumerate() {
            let r = r.unwrap();
            assert_eq!(
                &p.report(&r, as_of()).to_string(),
                w,
                "batch, case {i} of {count}"
            );
            n += 1;
        }
        assert_eq!(n, want.len());
    }
}

#[test]
fn a_list_too_large_for_an_instance_fails_alone() {
    let mut config = RuntimeConfig::default();
    config.max_memory = 2 * 65536 * 4;
    let runtime = Runtime::new(config).unwrap();
    let p = runtime.compile("lists.rules", POLICY).unwrap();
    let h = Handles::new(&p);
    let mut rng = Rng(42);
    let mut cases = cases(&mut rng, 20, 3);
    // one case of many orders, each with a long label
    cases[7].orders = Some(
        (0..20_000)
            .map(|i| Order {
                label: Some(format!("{i:0>40}")),
                qty: Some(1),
                kind: None,
                parts: Vec::new(),
            })
            .collect(),
    );
    let want = expected(&p, &cases[..7]);
    let mut got = Vec::new();
    p.evaluate_each(
        cases.iter(),
        as_of(),
        |c, w| h.fill(w, c),
        |_, r| got.push(r.map(|v| p.report(&v, as_of()).to_string())),
    );
    assert_eq!(got.len(), 20);
    for (i, w) in want.iter().enumerate() {
        assert_eq!(got[i].as_ref().unwrap(), w, "case {i}");
    }
    assert!(
        matches!(got[7], Err(EvalError::TooLarge { .. })),
        "{:?}",
        got[7]
    );
    let rest = expected(&p, &cases[8..]);
    for (i, w) in rest.iter().enumerate() {
        assert_eq!(got[8 + i].as_ref().unwrap(), w, "case {}", 8 + i);
    }
}

#[test]
fn a_list_handle_of_other_inputs_sets_nothing_and_says_so() {
    let p = Policy::from_source("lists.rules", POLICY).unwrap();
    let other = Policy::from_source(
        "other.rules",
        "policy other\ninput {\n  xs: list of { a: int }\n}\ndecision n: int = count(xs)\n",
    )
    .unwrap();
    let xs = other.list_field("xs").unwrap();
    let mut results = Vec::new();
    p.evaluate_each(
        [()].iter(),
        as_of(),
        |_, w| {
            w.set_list(&xs, [1, 2], |_, _| {}).unwrap();
        },
        |_, r| results.push(r.map(|_| ())),
    );
    assert!(
        matches!(&results[0], Err(e) if e.to_string().contains("other")),
        "{results:?}"
    );
    // an element's handle used at the record's level is of other inputs too
    let h = Handles::new(&p);
    let mut results = Vec::new();
    p.evaluate_each(
        [()].iter(),
        as_of(),
        |_, w| {
            w.set(h.qty, 3);
        },
        |_, r| results.push(r.is_err()),
    );
    assert_eq!(results, [true]);
    // lookups name what is wrong
    let e = p.list_field("name").unwrap_err().to_string();
    assert!(e.contains("`name` is text, not a list"), "{e}");
    let e = h.orders.field::<Int>("label").unwrap_err().to_string();
    assert!(e.contains("`label` is text"), "{e}");
    let e = h.orders.list("nope").unwrap_err().to_string();
    assert!(
        e.contains("nope") && e.contains("label, qty, kind, parts"),
        "{e}"
    );
}

#[test]
fn a_list_longer_than_any_memory_is_refused_when_set() {
    let p = Policy::from_source("lists.rules", POLICY).unwrap();
    let h = Handles::new(&p);
    let mut refused = None;
    p.evaluate_each(
        [()].iter(),
        as_of(),
        |_, w| {
            // claims far more items than it gives: refused before any is read
            let items = std::iter::repeat_n(0u8, 1 << 40);
            refused = w.set_list(&h.orders, items, |_, _| {}).err();
        },
        |_, r| assert!(r.is_ok()),
    );
    let e = refused.unwrap().to_string();
    assert!(e.contains("list `orders` of 1099511627776 elements"), "{e}");
}

/// A household member: relationship, birth date, student, working, and
/// incomes (kind, weekly pence).
type Member = (usize, Date, bool, bool, Vec<(usize, i64)>);

/// Council tax reduction's households, written through handles, are
/// decided as their JSON is.
#[test]
fn council_tax_households_written_through_handles_are_decided_as_their_json() {
    let source = include_str!("../../../rules/council_tax_reduction.rules");
    let p = Policy::from_source("council_tax_reduction.rules", source).unwrap();
    let household = p.list_field("household").unwrap();
    let relationship: Field<Enum> = household.field("relationship").unwrap();
    let relationships: Vec<_> = ["partner", "child", "non_dependant"]
        .iter()
        .map(|r| household.variant(relationship, r).unwrap())
        .collect();
    let born: Field<Date> = household.field("date_of_birth").unwrap();
    let student: Field<Bool> = household.field("full_time_student").unwrap();
    let working: Field<Bool> = household.field("in_remunerative_work").unwrap();
    let incomes = household.list("incomes").unwrap();
    let kind: Field<Enum> = incomes.field("kind").unwrap();
    let kinds: Vec<_> = [
        "earnings",
        "state_pension",
        "pension_credit",
        "other_benefit",
        "other",
    ]
    .iter()
    .map(|k| incomes.variant(kind, k).unwrap())
    .collect();
    let amount: Field<Money> = incomes.field("weekly_amount").unwrap();
    let scalars = [
        "liable_for_council_tax",
        "habitually_resident",
        "subject_to_immigration_control",
        "receives_guarantee_credit",
        "blind_or_receives_care_benefit",
    ];
    let flags: Vec<Field<Bool>> = scalars.iter().map(|n| p.field(n).unwrap()).collect();
    let applicant: Field<Date> = p.field("applicant_date_of_birth").unwrap();
    let moneys: Vec<Field<Money>> = ["annual_council_tax", "applicant_weekly_income", "capital"]
        .iter()
        .map(|n| p.field(n).unwrap())
        .collect();
    let mut rng = Rng(2026);
    let day = |rng: &mut Rng| Date(-20_000 + rng.below(30_000) as i32);
    for _ in 0..300 {
        let members: Vec<Member> = (0..rng.below(5))
            .map(|_| {
                let incomes = (0..rng.below(4))
                    .map(|_| (rng.below(5) as usize, rng.below(80_000) as i64))
                    .collect();
                (
                    rng.below(3) as usize,
                    day(&mut rng),
                    rng.below(4) == 0,
                    rng.below(2) == 0,
                    incomes,
                )
            })
            .collect();
        let born_on = day(&mut rng);
        let flag_values: Vec<bool> = scalars.iter().map(|_| rng.below(5) != 0).collect();
        let money_values: Vec<i64> = (0..3).map(|_| rng.below(3_000_000) as i64).collect();
        let mut facts = serde_json::Map::new();
        facts.insert("applicant_date_of_birth".into(), json!(born_on.to_string()));
        for (n, v) in scalars.iter().zip(&flag_values) {
            facts.insert((*n).into(), json!(v));
        }
        let pounds = |p: i64| format!("{}.{:02}", p / 100, p % 100);
        for (n, v) in ["annual_council_tax", "applicant_weekly_income", "capital"]
            .iter()
            .zip(&money_values)
        {
            facts.insert((*n).into(), json!(pounds(*v)));
        }
        let rel_names = ["partner", "child", "non_dependant"];
        let kind_names = [
            "earnings",
            "state_pension",
            "pension_credit",
            "other_benefit",
            "other",
        ];
        facts.insert(
            "household".into(),
            Json::Array(
                members
                    .iter()
                    .map(|(r, b, s, w, inc)| {
                        json!({
                            "relationship": rel_names[*r],
                            "date_of_birth": b.to_string(),
                            "full_time_student": s,
                            "in_remunerative_work": w,
                            "incomes": inc.iter().map(|(k, a)| json!({
                                "kind": kind_names[*k],
                                "weekly_amount": pounds(*a),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        );
        let text = Json::Object(facts).to_string();
        let out = p.evaluate(&p.parse_facts(&text).unwrap(), as_of()).unwrap();
        let want = p.report(&out, as_of()).to_string();
        let mut got = None;
        p.evaluate_each(
            [()].iter(),
            as_of(),
            |_, w| {
                w.set(applicant, born_on);
                for (f, v) in flags.iter().zip(&flag_values) {
                    w.set(*f, *v);
                }
                for (f, v) in moneys.iter().zip(&money_values) {
                    w.set(*f, *v);
                }
                w.set_list(&household, &members, |(r, b, s, wk, inc), e| {
                    e.set(relationship, relationships[*r]);
                    e.set(born, *b);
                    e.set(student, *s);
                    e.set(working, *wk);
                    e.set_list(&incomes, inc, |(k, a), e| {
                        e.set(kind, kinds[*k]);
                        e.set(amount, *a);
                    })
                    .unwrap();
                })
                .unwrap();
            },
            |_, r| got = Some(p.report(&r.unwrap(), as_of()).to_string()),
        );
        assert_eq!(got.unwrap(), want, "{text}");
    }
}

/// A list set twice on one record is the second, as a fact set twice is,
/// through `evaluate_each` and through a `Batch`.
#[test]
fn a_list_set_twice_is_the_second() {
    let p = Policy::from_source("lists.rules", POLICY).unwrap();
    let h = Handles::new(&p);
    let mut rng = Rng(7);
    let (first, second) = (cases(&mut rng, 40, 5), cases(&mut rng, 40, 5));
    // what both give: the second's facts, the first's where it has none
    let want: Vec<String> = (0..40)
        .map(|i| {
            let mut facts: serde_json::Map<String, Json> =
                serde_json::from_str(&json_of(&first[i])).unwrap();
            let later: serde_json::Map<String, Json> =
                serde_json::from_str(&json_of(&second[i])).unwrap();
            facts.extend(later);
            let facts = p.parse_facts(&Json::Object(facts).to_string()).unwrap();
            let out = p.evaluate(&facts, as_of()).unwrap();
            p.report(&out, as_of()).to_string()
        })
        .collect();
    let both = |w: &mut RecordWriter<'_>, i: usize| {
        h.fill(w, &first[i]);
        h.fill(w, &second[i]);
    };
    let mut got = Vec::new();
    p.evaluate_each(
        0..40,
        as_of(),
        |&i, w| both(w, i),
        |_, r| got.push(p.report(&r.unwrap(), as_of()).to_string()),
    );
    assert_eq!(got, want);
    let mut batch = Batch::new(&p);
    for i in 0..40 {
        both(&mut batch.record(), i);
    }
    let mut results = rulebook::BatchResults::default();
    p.evaluate_batch_into(&batch, as_of(), &mut results);
    let got: Vec<String> = (results.iter())
        .map(|r| p.report(&r.unwrap(), as_of()).to_string())
        .collect();
    assert_eq!(got, want);
}

/// Records whose lists fit an instance one by one but not all together:
/// each chunk ends where the next record's lists would not fit, and that
/// record starts the next chunk (its lists written again), many times over.
#[test]
fn lists_that_fill_an_instance_carry_records_to_the_next_chunk() {
    let mut config = RuntimeConfig::default();
    config.max_memory = 16 * 65536;
    let runtime = Runtime::new(config).unwrap();
    let p = runtime.compile("lists.rules", POLICY).unwrap();
    let h = Handles::new(&p);
    let mut rng = Rng(99);
    let mut cases = cases(&mut rng, 300, 2);
    for (i, c) in cases.iter_mut().enumerate() {
        c.orders = Some(
            (0..150 + i % 50)
                .map(|k| Order {
                    label: Some(format!("{i}-{k:0>30}")),
                    qty: Some(k as i64),
                    kind: Some(k % 2),
                    parts: vec![Part {
                        code: Some(CODES[k % 4].to_string()),
                        n: Some(1),
                    }],
                })
                .collect(),
        );
    }
    assert_eq!(reports(&p, &h, &cases), expected(&p, &cases));
}
