//! The suite's data: records of realistic, varied shapes for any policy,
//! generated from its inputs' names and types (heavy-tailed amounts,
//! ages and household sizes with long tails, many distinct texts, dates
//! around the evaluation date, optional facts absent the way real claims
//! leave them out, lists of several lengths), in random order; the
//! generated policies of growing size; and the native baselines.

use crate::native::{self, Applicant, Employment};
use rulebook::batch::RecordWriter;
use rulebook::meta::{FieldMeta, ValueType};
use rulebook::{Date, Policy, RecordView};
use serde_json::{json, Map, Value as Json};

/// The policies and data shapes of the suite, in the table's order.
pub const SUITE: [(&str, &str); 7] = [
    ("benches/benchmark.rules", "heavy tails, random order"),
    ("benches/benchmark.rules", "10% of facts missing"),
    ("../../rules/pension_credit.rules", "every fact given"),
    (
        "../../rules/pension_credit.rules",
        "optional facts left out",
    ),
    (
        "../../rules/casework_routing.rules",
        "optional facts left out",
    ),
    (
        "../../rules/council_tax_reduction.rules",
        "households of 0 to 5",
    ),
    (
        "../../rules/council_tax_reduction.rules",
        "10% of facts missing",
    ),
];

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Log-normal with the given median and spread (sigma of the log).
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        median * (sigma * z).exp()
    }
    /// Pareto: most small, a long tail.
    fn pareto(&mut self, min: f64, alpha: f64) -> f64 {
        min / self.unit().max(1e-9).powf(1.0 / alpha)
    }
}

/// One input's value in a record.
#[derive(Debug, Clone)]
pub enum Cell {
    Absent,
    Num(i64),
    Bool(bool),
    Date(Date),
    Text(String),
    Variant(usize),
    /// A list, as its JSON (council tax reduction's household).
    List(Json),
}

impl Cell {
    /// A number (int, money), if that is what the cell holds.
    pub fn num(&self) -> Option<i64> {
        match self {
            Cell::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn flag(&self) -> Option<bool> {
        match self {
            Cell::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// A date, as days since 1970-01-01.
    pub fn days(&self) -> Option<i32> {
        match self {
            Cell::Date(d) => Some(d.0),
            _ => None,
        }
    }
    pub fn variant(&self) -> Option<usize> {
        match self {
            Cell::Variant(v) => Some(*v),
            _ => None,
        }
    }
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

/// A record: its cells in input order, and the same facts as JSON text.
#[derive(Debug, Clone)]
pub struct Record {
    pub cells: Vec<Cell>,
    pub json: String,
}

/// Records as one flat table of cells (a row a record, contiguous, as a
/// caseload in memory would be), with their JSON texts.
pub struct Rows {
    pub width: usize,
    pub cells: Vec<Cell>,
    pub json: Vec<String>,
}

impl Rows {
    pub fn new(records: Vec<Record>, width: usize) -> Rows {
        let mut cells = Vec::with_capacity(records.len() * width);
        let mut json = Vec::with_capacity(records.len());
        for r in &records {
            // texts copied afresh in record order, so that they lie in
            // memory one after another as a caseload read from a file
            // would (the generator's were interleaved with everything else)
            cells.extend(r.cells.iter().map(|c| match c {
                Cell::Text(t) => Cell::Text(t.as_str().to_owned()),
                c => c.clone(),
            }));
        }
        for r in records {
            json.push(r.json);
        }
        Rows { width, cells, json }
    }
    pub fn len(&self) -> usize {
        self.json.len()
    }
    /// Each record's cells.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, Cell> {
        self.cells.chunks_exact(self.width.max(1))
    }
}

/// 2026-11-27, the suite's evaluation date, as days since 1970-01-01.
const AS_OF_DAYS: i64 = 20_784;

fn date(days: i64) -> Date {
    Date::parse(&rulebook::__private::num::format_date(days as i32)).unwrap()
}

/// A record of `shape` for `policy`.
pub fn record(policy: &Policy, shape: &str, rng: &mut Rng) -> Record {
    let fields = &policy.meta().input.fields;
    let missing = if shape.contains("missing") { 10 } else { 0 };
    let optional = shape.contains("optional") || shape.contains("households");
    let mut cells = Vec::with_capacity(fields.len());
    // values chosen earlier, for the fields that depend on them
    let mut partner = false;
    let mut work_type = 0usize;
    for f in fields {
        let mut cell = value(f, shape, rng);
        match (f.name.as_str(), &cell) {
            ("has_partner", Cell::Bool(b)) => partner = *b,
            ("work_type", Cell::Variant(v)) => work_type = *v,
            _ => {}
        }
        if optional && absent_by_nature(&f.name, partner, work_type, rng) {
            cell = Cell::Absent;
        }
        if missing > 0 && !matches!(cell, Cell::List(_)) && rng.chance(missing) {
            cell = Cell::Absent;
        }
        cells.push(cell);
    }
    let mut obj = Map::new();
    for (f, c) in fields.iter().zip(&cells) {
        let v = match c {
            Cell::Absent => continue,
            Cell::Num(n) => match f.ty {
                ValueType::Money => json!(format!("{}.{:02}", n / 100, n % 100)),
                _ => json!(n),
            },
            Cell::Bool(b) => json!(b),
            Cell::Date(d) => json!(d.to_string()),
            Cell::Text(t) => json!(t),
            Cell::Variant(i) => match &f.ty {
                ValueType::Enum { variants } => json!(variants[*i]),
                _ => Json::Null,
            },
            Cell::List(items) => items.clone(),
        };
        obj.insert(f.name.clone(), v);
    }
    Record {
        cells,
        json: Json::Object(obj).to_string(),
    }
}

/// Facts real claims leave out: the partner's birth date of a single
/// person, an occupational pension there is none of, dates and amounts
/// that only some kinds of work have.
fn absent_by_nature(name: &str, partner: bool, work_type: usize, rng: &mut Rng) -> bool {
    match name {
        "partner_date_of_birth" => !partner,
        "monthly_occupational_pension" => rng.chance(40),
        "claimant_date_of_birth" => rng.chance(10),
        // mandatory_reconsideration is the third work type
        "decision_notified_on" => work_type != 2,
        // overpayment is the fourth
        "overpayment_amount" => work_type != 3,
        _ => false,
    }
}

fn value(f: &FieldMeta, shape: &str, rng: &mut Rng) -> Cell {
    let name = f.name.as_str();
    match &f.ty {
        ValueType::Int => Cell::Num(match name {
            "age" => match rng.next() % 100 {
                0..=5 => rng.range(15, 17),
                6..=90 => rng.range(18, 66),
                _ => rng.range(67, 104),
            },
            // a long tail of large households
            n if n.contains("size") => (1.0 + rng.pareto(1.0, 1.6)).min(40.0) as i64,
            _ => rng.range(0, 100),
        }),
        ValueType::Money => {
            let pounds = if name.contains("capital") || name.contains("savings") {
                if rng.chance(35) {
                    0.0
                } else {
                    rng.pareto(200.0, 0.9).min(5_000_000.0)
                }
            } else if name.contains("council_tax") {
                rng.range(900, 4_000) as f64
            } else if name.contains("monthly") {
                rng.log_normal(1_400.0, 0.9)
            } else if name.contains("overpayment") {
                rng.pareto(50.0, 1.1).min(200_000.0)
            } else {
                // weekly amounts: pensions, earnings, incomes
                if name.contains("earnings") && rng.chance(70) {
                    0.0
                } else {
                    rng.log_normal(190.0, 0.7)
                }
            };
            Cell::Num((pounds * 100.0).round() as i64 + rng.range(0, 99))
        }
        ValueType::Bool => Cell::Bool(match name {
            "in_great_britain"
            | "habitually_resident"
            | "is_resident"
            | "liable_for_council_tax" => rng.chance(94),
            n if n.starts_with("subject_to") || n.contains("terminally") => rng.chance(3),
            "has_partner" => rng.chance(45),
            _ => rng.chance(25),
        }),
        ValueType::Date => {
            let pension = shape.contains("fact") || shape.contains("optional");
            Cell::Date(date(match name {
                n if n.contains("birth") => {
                    // pensioners around the qualifying age, others of all ages
                    let years = if pension && !n.contains("claimant") {
                        rng.range(58, 95)
                    } else {
                        rng.range(14, 90)
                    };
                    AS_OF_DAYS - years * 365 - rng.range(0, 364)
                }
                "received_on" => AS_OF_DAYS - rng.range(0, 40),
                "decision_notified_on" => AS_OF_DAYS - rng.range(0, 500),
                _ => AS_OF_DAYS - rng.range(0, 3_000),
            }))
        }
        ValueType::Text => Cell::Text(match name {
            "region" => {
                if rng.chance(3) {
                    format!("region {}", rng.range(0, 10_000))
                } else {
                    native::REGIONS[rng.range(0, 11) as usize].to_string()
                }
            }
            "reference" => {
                let prefix = if rng.chance(6) { "TC" } else { "UC" };
                let suffix = if rng.chance(2) { "-MP" } else { "" };
                format!("{prefix}-{}{suffix}", rng.range(1_000_000, 9_999_999))
            }
            "postcode" => {
                let area = ["SW", "M", "B", "LS", "BT", "CF", "EH", "G", "NE", "BS"];
                format!(
                    "{}{} {}{}{}",
                    area[rng.range(0, 9) as usize],
                    rng.range(1, 29),
                    rng.range(1, 9),
                    (b'A' + rng.range(0, 25) as u8) as char,
                    (b'A' + rng.range(0, 25) as u8) as char
                )
            }
            _ => format!("text {}", rng.range(0, 1_000_000)),
        }),
        ValueType::Enum { variants } => {
            // the first variant most often, a long tail of the rest
            let k = variants.len() as i64;
            Cell::Variant(if rng.chance(40) {
                0
            } else {
                rng.range(0, k - 1) as usize
            })
        }
        // (made here, in field order, as the record's JSON used to make
        // it after the last field, a list: the same numbers from `rng`)
        ValueType::List { .. } => Cell::List(list(&f.ty, rng, shape)),
        _ => Cell::Absent,
    }
}

/// A list input's JSON: 0 to 5 elements (most households small).
fn list(ty: &ValueType, rng: &mut Rng, shape: &str) -> Json {
    let ValueType::List { element } = ty else {
        return json!([]);
    };
    let fields = &element.fields;
    let n = match rng.next() % 100 {
        0..=39 => 0,
        40..=74 => 1,
        75..=89 => 2,
        90..=96 => 3,
        _ => rng.range(4, 5),
    };
    let mut items = Vec::new();
    for _ in 0..n {
        let mut obj = Map::new();
        for f in fields {
            let v = match &f.ty {
                ValueType::List { .. } => list(&f.ty, rng, shape),
                _ => match value(f, shape, rng) {
                    Cell::Num(p) if f.ty == ValueType::Money => {
                        json!(format!("{}.{:02}", p / 100, p % 100))
                    }
                    Cell::Num(n) => json!(n),
                    Cell::Bool(b) => json!(b),
                    Cell::Date(d) => json!(d.to_string()),
                    Cell::Text(t) => json!(t),
                    Cell::Variant(i) => match &f.ty {
                        ValueType::Enum { variants } => json!(variants[i]),
                        _ => Json::Null,
                    },
                    _ => continue,
                },
            };
            obj.insert(f.name.clone(), v);
        }
        items.push(Json::Object(obj));
    }
    Json::Array(items)
}

/// A native baseline: `check` gives its decisions for a record it can
/// decide (None when a fact it needs is absent) as the engine's JSON
/// values, by decision name; `prepare` reads the records into the native
/// structs once (as the engine's records are built once) and gives what is
/// timed: every struct decided, a number summing the results.
#[derive(Clone, Copy)]
pub struct Native {
    pub check: Check,
    pub prepare: fn(&Rows) -> Timed,
}

/// A native function's decisions for a record, by name, as JSON values.
pub type Check = fn(&[Cell], Date) -> Option<Vec<(&'static str, Json)>>;

/// What is timed of a native baseline: all its records decided on a date.
pub type Timed = Box<dyn Fn(Date) -> usize>;

/// How a structs column writes a native function's structs and reads their
/// results, through the policy's handles (looked up once).
pub trait StructsFields<T> {
    /// Writes one struct's facts, as a service holding them would.
    fn fill(&self, w: &mut RecordWriter<'_>, item: &T);
    /// Panics unless `r` holds the native function's decisions for `item`.
    fn check(&self, item: &T, r: RecordView<'_>, as_of: Date);
    /// What the native closure sums, read from the results.
    fn count(&self, r: RecordView<'_>) -> usize;
}

/// The structs column's timed closure: `evaluate_each` over `items` (a
/// native function's structs), each written by `fields`. Every item's
/// results are first checked against the native function's; the timed
/// closure sums what the native closure sums.
pub fn structs_column<'a, T: 'a, F: StructsFields<T> + 'a>(
    policy: &'a Policy,
    items: Vec<T>,
    fields: F,
    as_of: Date,
) -> Box<dyn Fn() -> usize + 'a> {
    let mut checked = 0;
    policy.evaluate_each(
        &items,
        as_of,
        |t, w| fields.fill(w, t),
        |t, r| {
            fields.check(t, r.unwrap(), as_of);
            checked += 1;
        },
    );
    assert_eq!(checked, items.len());
    Box::new(move || {
        let mut total = 0;
        policy.evaluate_each(
            std::hint::black_box(&items),
            as_of,
            |t, w| fields.fill(w, t),
            |_, r| total += fields.count(r.unwrap()),
        );
        total
    })
}

/// The native baseline of a policy file, where there is one.
pub fn native(file: &str) -> Option<Native> {
    if file.ends_with("benchmark.rules") {
        Some(Native {
            check: benchmark_native,
            prepare: |records| {
                timed(records, applicant, |a, _| {
                    let d = native::decide(a);
                    usize::from(d.eligible) + usize::from(d.route)
                })
            },
        })
    } else if file.ends_with("pension_credit.rules") {
        use crate::pension_native::{claim, decide, decide_json};
        Some(Native {
            check: decide_json,
            prepare: |records| {
                timed(records, claim, |c, as_of| {
                    let a = decide(c, as_of.0);
                    a.weekly_guarantee_credit as usize + usize::from(a.eligible)
                })
            },
        })
    } else if file.ends_with("council_tax_reduction.rules") {
        use crate::council_native::{application, decide, decide_json};
        Some(Native {
            check: decide_json,
            prepare: |records| {
                timed(records, application, |a, as_of| {
                    let r = decide(a, as_of.0);
                    r.weekly_reduction as usize + usize::from(r.eligible)
                })
            },
        })
    } else if file.ends_with("casework_routing.rules") {
        use crate::casework_native::{case, decide, decide_json};
        Some(Native {
            check: decide_json,
            prepare: |records| {
                timed(records, case, |c, as_of| {
                    decide(c, as_of.0).map_or(0, |d| d.team + usize::from(d.urgent))
                })
            },
        })
    } else {
        None
    }
}

/// A native baseline's timed closure: the records `read` gives a struct
/// (read once, before timing), each decided and summed by `sum` (each
/// struct through `black_box`, so that nothing is hoisted out of the loop).
fn timed<T: 'static>(
    records: &Rows,
    read: fn(&[Cell]) -> Option<T>,
    sum: impl Fn(&T, Date) -> usize + 'static,
) -> Timed {
    let items: Vec<T> = records.iter().filter_map(read).collect();
    Box::new(move |as_of| {
        items
            .iter()
            .map(|t| sum(std::hint::black_box(t), as_of))
            .sum()
    })
}

/// Pence as the engine writes money in JSON ("-12.05").
pub fn pounds(p: i64) -> Json {
    json!(format!(
        "{}{}.{:02}",
        if p < 0 { "-" } else { "" },
        p.abs() / 100,
        p.abs() % 100
    ))
}

/// The benchmark policy's native function on a record of its inputs (in
/// file order: age, income_monthly, savings, household_size, is_resident,
/// has_disability, employment_status, region).
fn benchmark_native(r: &[Cell], _as_of: Date) -> Option<Vec<(&'static str, Json)>> {
    let a = applicant(r)?;
    let d = native::decide(&a);
    Some(vec![
        ("eligible", json!(d.eligible)),
        ("route", json!(d.route_name())),
    ])
}

pub fn applicant(r: &[Cell]) -> Option<Applicant> {
    let cell = |i: usize| r.get(i).unwrap_or(&Cell::Absent);
    Some(Applicant {
        age: cell(0).num()?,
        income_monthly: cell(1).num()?,
        savings: cell(2).num()?,
        household_size: cell(3).num()?,
        is_resident: cell(4).flag()?,
        has_disability: cell(5).flag()?,
        employment_status: *Employment::ALL.get(cell(6).variant()?)?,
        region: cell(7).text()?,
    })
}

/// A generated policy of `n` clauses over ten inputs: requires on ranges,
/// `when` routes on enums, texts and amounts, money arithmetic in defines.
pub fn generated_policy(n: usize) -> String {
    let mut s = String::from(
        "policy generated\ninput {\n  a: int\n  b: int\n  m: money\n  w: money\n  k: enum(p, q, r, s)\n  t: text\n  f: bool\n  g: bool\n  d: date\n  h: int\n}\n",
    );
    s.push_str("param limit: money = £500\nparam rate: decimal = 0.35\n");
    s.push_str("define income: money = m + w * 2\ndefine taxed: money = income * rate\n");
    let mut clauses = 0;
    let mut d = 0;
    while clauses < n {
        match d % 3 {
            0 => {
                s.push_str(&format!("decision e{d}: bool\n"));
                for j in 0..5 {
                    s.push_str(&format!(
                        "  require a + {j} >= {} or f because \"r{d}_{j}\"\n",
                        (d * 7 + j) % 90
                    ));
                }
                clauses += 5;
            }
            1 => {
                s.push_str(&format!("decision r{d}: text\n"));
                s.push_str(&format!(
                    "  when k == \"p\" and income > limit -> \"x{d}\"\n"
                ));
                s.push_str(&format!("  when t == \"t{d}\" -> \"y{d}\"\n"));
                s.push_str(&format!("  when b > {} and not g -> \"z{d}\"\n", d % 50));
                s.push_str("  otherwise -> \"o\"\n");
                clauses += 4;
            }
            _ => {
                s.push_str(&format!(
                    "decision v{d}: money = if taxed > £{} then taxed - £{} else w + m * {}\n",
                    d % 300,
                    d % 300,
                    d % 5 + 1
                ));
                clauses += 1;
            }
        }
        d += 1;
    }
    s
}
