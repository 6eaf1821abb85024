//! Embedding Rulebook in a service: compile a policy once, evaluate records
//! (JSON or typed, one or a batch), and read the explanations.
//!
//! Run with `cargo run --example embed`.

use rulebook::batch::{Bool, Decision, FieldSet, Int, Money};
use rulebook::Facts;
use rulebook::{Date, Policy};

const POLICY: &str = r#"
policy winter_support
  title "Winter support payment"
  version "2026.1"

input {
  age: int
  income_monthly: money
  resident: bool
}

param payment: money
  from 2025-11-01 = £250
  from 2026-11-01 = £300

decision eligible: bool
  require resident
    because "Must live in the area"
    source "Winter Support Scheme 2025, para. 3"
  require age >= 66
    because "Must be of State Pension age"
  require income_monthly <= 1500
    because "Monthly income is above the limit"

decision amount: money = if eligible then payment else 0
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Compile once (parse, check, generate the Wasm module); share the Policy across threads.
    let policy = Policy::from_source("winter_support.rules", POLICY)?;
    let as_of: Date = "2026-11-27".parse()?;

    // 1. JSON facts in, decisions JSON out.
    let out = policy.evaluate_json(
        r#"{"age": 70, "income_monthly": "1200.00", "resident": true}"#,
        as_of,
    )?;
    println!(
        "eligible claimant:\n{}\n",
        serde_json::to_string_pretty(&out)?
    );

    // 2. Incomplete facts: the engine decides what it can and names what it still needs.
    let out = policy.evaluate_json(r#"{"age": 70}"#, as_of)?;
    println!("questions to ask next: {}\n", out["missing"]);

    // 3. A batch of typed records, evaluated in one call into the module.
    let ages: Vec<i64> = (64..=68).collect();
    let records = ages
        .iter()
        .map(|&age| {
            policy
                .facts()
                .int("age", age)
                .money_pence("income_monthly", 120_000) // £1,200.00
                .bool("resident", true)
                .build()
        })
        .collect::<Result<Vec<Facts>, _>>()?;
    let eligible: Decision<Bool> = policy.decision("eligible")?;
    let amount: Decision<Money> = policy.decision("amount")?;
    for (age, result) in ages.iter().zip(policy.evaluate_batch(&records, as_of)) {
        let outcome = result?;
        println!(
            "age {age}: eligible {:?}, amount {:?} pence",
            outcome.get(eligible)?,
            outcome.get(amount)?
        );
    }

    // 4. The hot path for typed data at volume: field and decision handles
    //    looked up once, facts written straight into the module's memory in
    //    one call per record, results read in place.
    let facts = FieldSet::new((
        policy.field::<Int>("age")?,
        policy.field::<Money>("income_monthly")?,
        policy.field::<Bool>("resident")?,
    ))?;
    let claimants: Vec<(i64, i64)> = (0..100_000)
        .map(|i| (60 + i % 10, 100_000 + i % 90_000))
        .collect();
    let mut total_pence = 0;
    policy.evaluate_each(
        &claimants,
        as_of,
        |&&(years, pence), record| {
            record.set_all(&facts, (years, pence, true));
        },
        |_, results| match results.and_then(|r| Ok(r.get(amount)?)) {
            Ok(Some(pence)) => total_pence += pence,
            Ok(None) => {} // unknown: not in these records, every fact is set
            Err(e) => eprintln!("a claimant could not be evaluated: {e}"),
        },
    );
    println!(
        "\n{} claimants evaluated; total paid £{}.{:02}",
        claimants.len(),
        total_pence / 100,
        total_pence % 100
    );
    Ok(())
}
