//! proptest strategies that generate facts for any compiled policy, from its
//! input layout: complete records, or records with absent fields, with edge
//! values (extreme numbers, leap days, dates on the policy's own effective-date
//! boundaries, the policy's own text constants) mixed in.

use proptest::prelude::*;
use rulebook::__private::abi::{Layout, ValueType};
use rulebook::__private::{program, FactValue};
use rulebook::{Facts, Policy};
use std::sync::Arc;

/// What the generator may produce.
#[derive(Debug, Clone)]
pub struct FactsConfig {
    /// Probability (0..=1) that a field is left out (unknown).
    pub absent: f64,
    /// Most elements in a generated list.
    pub max_list: usize,
    /// Texts to draw from besides random ones (e.g. the policy's constants).
    pub texts: Vec<String>,
    /// Dates (days since 1970-01-01) to draw from besides random ones.
    pub dates: Vec<i32>,
    /// Inclusive ranges for top-level numeric or date fields, by name, in the
    /// slot encoding (pence, millionths, days).
    pub ranges: std::collections::HashMap<String, (i64, i64)>,
    /// Leave out extreme values (i64 limits), keeping numbers in everyday ranges.
    pub realistic: bool,
}

impl Default for FactsConfig {
    fn default() -> Self {
        FactsConfig {
            absent: 0.2,
            max_list: 4,
            texts: Vec::new(),
            dates: Vec::new(),
            ranges: Default::default(),
            realistic: false,
        }
    }
}

impl FactsConfig {
    /// A configuration seeded with a policy's own text constants and dates.
    pub fn for_policy(policy: &Policy) -> Self {
        let mut c = FactsConfig::default();
        if let Some(p) = program(policy) {
            let (texts, dates) = constants(p);
            c.texts = texts;
            c.dates = dates;
        }
        c
    }
    /// Every field present (the fast path of the Wasm engine).
    pub fn complete(mut self) -> Self {
        self.absent = 0.0;
        self
    }
}

/// Facts for the given policy.
pub fn facts(policy: &Policy, config: FactsConfig) -> BoxedStrategy<Facts> {
    let config = Arc::new(config);
    let layout = &policy.meta().input;
    let fields: Vec<BoxedStrategy<Option<FactValue>>> = layout
        .fields
        .iter()
        .map(|f| {
            let v = match config.ranges.get(&f.name) {
                Some(&(lo, hi)) if lo <= hi => (lo..=hi).prop_map(FactValue::Num).boxed(),
                _ => value(&f.ty, &config),
            };
            optional(v, config.absent)
        })
        .collect();
    let layout = layout.clone();
    fields
        .prop_map(move |values| rulebook::__private::facts(&layout, values))
        .boxed()
}

fn optional(v: BoxedStrategy<FactValue>, absent: f64) -> BoxedStrategy<Option<FactValue>> {
    if absent <= 0.0 {
        v.prop_map(Some).boxed()
    } else {
        proptest::option::weighted(1.0 - absent, v).boxed()
    }
}

/// Evaluation dates: random ones and the policy's own boundaries (and the day before each).
pub fn as_of_dates(policy: &Policy) -> BoxedStrategy<i32> {
    let mut dates = FactsConfig::for_policy(policy).dates;
    dates.extend(dates.clone().iter().map(|d| d - 1));
    if dates.is_empty() {
        dates.push(20_000);
    }
    prop_oneof![
        3 => proptest::sample::select(dates),
        1 => 0i32..40_000,
    ]
    .boxed()
}

fn record(layout: &Layout, config: &Arc<FactsConfig>) -> BoxedStrategy<Vec<Option<FactValue>>> {
    let fields: Vec<BoxedStrategy<Option<FactValue>>> = layout
        .fields
        .iter()
        .map(|f| optional(value(&f.ty, config), config.absent))
        .collect();
    fields.boxed()
}

fn value(ty: &ValueType, config: &Arc<FactsConfig>) -> BoxedStrategy<FactValue> {
    match ty {
        ValueType::Bool => any::<bool>().prop_map(FactValue::Bool).boxed(),
        ValueType::Int if config.realistic => prop_oneof![4 => 0i64..130, 1 => -10i64..10_000]
            .prop_map(FactValue::Num)
            .boxed(),
        ValueType::Money if config.realistic => prop_oneof![4 => 0i64..500_000, 1 => 0i64..10_000_000]
            .prop_map(FactValue::Num)
            .boxed(),
        ValueType::Decimal if config.realistic => (0i64..10_000_000).prop_map(FactValue::Num).boxed(),
        ValueType::Int => prop_oneof![
            6 => -5i64..130,
            2 => -100_000i64..100_000,
            1 => proptest::sample::select(vec![0, 1, -1, i64::MAX, i64::MIN, i64::MAX / 2, 1 << 40]),
            1 => any::<i64>(),
        ]
        .prop_map(FactValue::Num)
        .boxed(),
        ValueType::Money => prop_oneof![
            6 => -10_000i64..5_000_000,
            2 => 0i64..100,
            1 => proptest::sample::select(vec![0, 1, -1, 50, -50, i64::MAX, i64::MIN, 92_233_720_368_547_758]),
            1 => any::<i64>(),
        ]
        .prop_map(FactValue::Num)
        .boxed(),
        ValueType::Decimal => prop_oneof![
            6 => -2_000_000i64..2_000_000,
            2 => -10_000_000_000i64..10_000_000_000,
            1 => proptest::sample::select(vec![0, 1, -1, 500_000, -500_000, i64::MAX, i64::MIN]),
            1 => any::<i64>(),
        ]
        .prop_map(FactValue::Num)
        .boxed(),
        ValueType::Date => {
            let mut dates = config.dates.clone();
            dates.extend([-25_567, 0, 11_016, 11_017, 11_381, 11_382, 19_782, 20_000]);
            prop_oneof![
                3 => -30_000i32..40_000,
                1 => proptest::sample::select(dates),
            ]
            .prop_map(|d| FactValue::Num(i64::from(d)))
            .boxed()
        }
        ValueType::Text => {
            let mut texts = config.texts.clone();
            texts.extend(["".to_string(), "é€".to_string()]);
            prop_oneof![
                2 => proptest::sample::select(texts),
                1 => "[a-zA-Z0-9 ]{0,8}",
            ]
            .prop_map(|s| FactValue::Text(s.into()))
            .boxed()
        }
        ValueType::Enum { variants } => (0..variants.len().max(1) as i64)
            .prop_map(FactValue::Num)
            .boxed(),
        ValueType::List { element } => {
            proptest::collection::vec(record(element, config), 0..=config.max_list)
                .prop_map(FactValue::List)
                .boxed()
        }
    }
}

/// Text constants and dates appearing in a program.
fn constants(p: &rulebook::__private::program::Program) -> (Vec<String>, Vec<i32>) {
    use rulebook::__private::program::{Body, Const, Expr, ExprKind, Type};
    let mut texts = Vec::new();
    let mut dates = Vec::new();
    fn walk(e: &Expr, texts: &mut Vec<String>, dates: &mut Vec<i32>) {
        match &e.kind {
            ExprKind::Const(Const::Text(t)) => texts.push(t.to_string()),
            ExprKind::Const(Const::Num(n)) if e.ty == Type::Date => {
                if let Ok(d) = i32::try_from(*n) {
                    dates.push(d);
                }
            }
            _ => {}
        }
        for child in children(e) {
            walk(child, texts, dates);
        }
    }
    for param in &p.params {
        for (from, c) in &param.values {
            if let Some(d) = from {
                dates.push(*d);
            }
            if let Const::Text(t) = c {
                texts.push(t.to_string());
            }
        }
    }
    for d in &p.defines {
        walk(&d.expr, &mut texts, &mut dates);
    }
    for d in &p.decisions {
        match &d.body {
            Body::Expr(e) => walk(e, &mut texts, &mut dates),
            Body::Requires(cs) | Body::Whens(cs) => {
                for c in cs {
                    dates.extend(c.from.iter().chain(c.until.iter()));
                    for e in c.cond.iter().chain(c.value.iter()) {
                        walk(e, &mut texts, &mut dates);
                    }
                }
            }
        }
    }
    texts.sort();
    texts.dedup();
    dates.sort_unstable();
    dates.dedup();
    (texts, dates)
}

/// The direct sub-expressions of an expression.
pub fn children(
    e: &rulebook::__private::program::Expr,
) -> Vec<&rulebook::__private::program::Expr> {
    use rulebook::__private::program::ExprKind::*;
    match &e.kind {
        Const(_) | Input(_) | Param(_) | Define(_) | Decision(_) | AsOf | Var(_) | Known(_) => {
            Vec::new()
        }
        Field(b, _) | Promote(_, b) | Neg(b) | Not(b) => vec![b],
        And(a, b) | Or(a, b) | Arith(_, a, b) | Cmp(_, _, a, b) => vec![a, b],
        In(_, x, items) => std::iter::once(&**x).chain(items.iter()).collect(),
        If(c, a, b) => vec![c, a, b],
        Call(_, args) => args.iter().collect(),
        Aggregate { list, body, .. } => std::iter::once(&**list).chain(body.as_deref()).collect(),
    }
}
