//! `rulebook explain`: why each decision came out as it did and what would
//! change it (LANGUAGE.md section 11), as text for the person decided about
//! or as JSON.

use std::path::Path;
use std::process::ExitCode;

/// How `explain` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn explain(
    policy: &Path,
    input: Option<&Path>,
    as_of: Option<&str>,
    format: Format,
    verbose: bool,
) -> ExitCode {
    let as_of = match super::as_of_or_today(as_of) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let policy = match super::load(Some(policy), None) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let text = match super::read_facts(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let facts = match policy.parse_facts(&text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rulebook::explain(&policy, &facts, as_of) {
        Ok(x) => match format {
            Format::Json => super::print_json(&x.to_json(), false),
            Format::Text => {
                print!("{}", x.to_text(&policy, verbose));
                ExitCode::SUCCESS
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
