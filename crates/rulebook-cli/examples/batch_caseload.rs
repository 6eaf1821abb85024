//! The made-up caseloads `rulebook batch` is measured on (docs/scale.md):
//! pension credit (flat facts) or council tax reduction (a household list
//! of 0 to 2 members, each with 1 or 2 incomes), as JSONL or CSV (a list
//! is JSON text in its cell, so CSV cells are quoted), written to stdout.
//! About 3% of the facts are left out (unknown). The same arguments always
//! give the same file.
//!
//! `cargo run --release -p rulebook-cli --example batch_caseload --
//! pension_credit|council_tax_reduction jsonl|csv RECORDS > FILE`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn date(&mut self, first_year: u64, years: u64) -> String {
        format!(
            "{}-{:02}-{:02}",
            first_year + self.below(years),
            1 + self.below(12),
            1 + self.below(28)
        )
    }
    fn money(&mut self, pence: u64) -> String {
        let p = self.below(pence);
        format!("{}.{:02}", p / 100, p % 100)
    }
}

/// A fact's JSON text (None: left out).
type Fact = (&'static str, Option<String>);

fn quoted(s: String) -> Option<String> {
    Some(format!("\"{s}\""))
}

fn pension_credit(rng: &mut Rng) -> Vec<Fact> {
    let partner = rng.chance(40);
    vec![
        ("date_of_birth", quoted(rng.date(1930, 35))),
        ("has_partner", Some(partner.to_string())),
        (
            "partner_date_of_birth",
            if partner {
                quoted(rng.date(1935, 35))
            } else {
                None
            },
        ),
        ("in_great_britain", Some(rng.chance(97).to_string())),
        ("habitually_resident", Some(rng.chance(95).to_string())),
        (
            "subject_to_immigration_control",
            Some(rng.chance(3).to_string()),
        ),
        ("severely_disabled", Some(rng.chance(15).to_string())),
        ("is_carer", Some(rng.chance(8).to_string())),
        ("weekly_state_pension", quoted(rng.money(45_000))),
        ("monthly_occupational_pension", quoted(rng.money(150_000))),
        ("weekly_earnings", quoted(rng.money(40_000))),
        ("capital", quoted(rng.money(3_000_000))),
    ]
}

fn council_tax_reduction(rng: &mut Rng) -> Vec<Fact> {
    let members = rng.below(3);
    let mut household = Vec::new();
    for m in 0..members {
        let relationship = match (m, rng.below(3)) {
            (0, 0) | (0, 1) => "partner",
            (_, 0) => "child",
            _ => "non_dependant",
        };
        let incomes: Vec<String> = (0..1 + rng.below(2))
            .map(|_| {
                let kind =
                    ["earnings", "state_pension", "other_benefit", "other"][rng.below(4) as usize];
                format!(
                    "{{\"kind\": \"{kind}\", \"weekly_amount\": \"{}\"}}",
                    rng.money(50_000)
                )
            })
            .collect();
        household.push(format!(
            "{{\"relationship\": \"{relationship}\", \"date_of_birth\": \"{}\", \
             \"full_time_student\": {}, \"in_remunerative_work\": {}, \"incomes\": [{}]}}",
            rng.date(1935, 70),
            rng.chance(10),
            rng.chance(40),
            incomes.join(", ")
        ));
    }
    vec![
        ("applicant_date_of_birth", quoted(rng.date(1930, 60))),
        ("liable_for_council_tax", Some(rng.chance(97).to_string())),
        ("habitually_resident", Some(rng.chance(95).to_string())),
        (
            "subject_to_immigration_control",
            Some(rng.chance(3).to_string()),
        ),
        (
            "receives_guarantee_credit",
            Some(rng.chance(20).to_string()),
        ),
        (
            "blind_or_receives_care_benefit",
            Some(rng.chance(10).to_string()),
        ),
        ("annual_council_tax", quoted(rng.money(400_000))),
        ("applicant_weekly_income", quoted(rng.money(60_000))),
        ("capital", quoted(rng.money(2_000_000))),
        ("household", Some(format!("[{}]", household.join(", ")))),
    ]
}

/// A CSV cell from a fact's JSON text: a string's contents, else the text
/// (a list's JSON, quoted with its quotes doubled).
fn cell(json: &str) -> String {
    if json.starts_with('[') {
        format!("\"{}\"", json.replace('"', "\"\""))
    } else {
        json.trim_matches('"').to_string()
    }
}

fn usage() -> ! {
    eprintln!("usage: batch_caseload pension_credit|council_tax_reduction jsonl|csv RECORDS");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let make: fn(&mut Rng) -> Vec<Fact> = match args.first().map(String::as_str) {
        Some("pension_credit") => pension_credit,
        Some("council_tax_reduction") => council_tax_reduction,
        _ => usage(),
    };
    let csv = match args.get(1).map(String::as_str) {
        Some("jsonl") => false,
        Some("csv") => true,
        _ => usage(),
    };
    let Some(n) = args.get(2).and_then(|n| n.parse::<u64>().ok()) else {
        usage()
    };
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    if csv {
        let names: Vec<&str> = make(&mut Rng(1)).iter().map(|(k, _)| *k).collect();
        writeln!(out, "{}", names.join(",")).unwrap();
    }
    let mut line = String::new();
    for _ in 0..n {
        let facts = make(&mut rng);
        line.clear();
        if csv {
            for (i, (_, v)) in facts.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                // about 3% unknown: an empty cell
                if let Some(v) = v.as_deref().filter(|_| !rng.chance(3)) {
                    line.push_str(&cell(v));
                }
            }
        } else {
            line.push('{');
            let mut first = true;
            for (k, v) in &facts {
                let Some(v) = v.as_deref().filter(|_| !rng.chance(3)) else {
                    continue;
                };
                if !first {
                    line.push_str(", ");
                }
                first = false;
                line.push('"');
                line.push_str(k);
                line.push_str("\": ");
                line.push_str(v);
            }
            line.push('}');
        }
        line.push('\n');
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}
