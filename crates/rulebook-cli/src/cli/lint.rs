//! `rulebook lint PATH...` (LANGUAGE.md section 13): prints the core's lint
//! warnings for each rule file, as text (`path:line:col: warning: ...`
//! with the source line and a caret) or JSON, and exits 1 on a compile
//! error, or with `--deny-warnings` on any warning.

use rulebook::__private::{line_col, render};
use rulebook::Policy;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// How `lint` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(paths: &[PathBuf], deny_warnings: bool, format: Format) -> ExitCode {
    let (files, mut failed) = match super::rule_files_of(paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut warnings = 0usize;
    let mut listed = Vec::new();
    for f in &files {
        let policy = match Policy::from_file(f) {
            Ok(p) => p,
            Err(rulebook::Error::Compile(e)) => {
                failed = true;
                eprint!("{}", e.render());
                continue;
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {}", super::with_causes(&e));
                continue;
            }
        };
        let found = match rulebook::lint(&policy) {
            Ok(w) => w,
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
                continue;
            }
        };
        warnings += found.len();
        match format {
            Format::Text => {
                let diagnostics: Vec<_> = found.iter().map(|w| w.diagnostic()).collect();
                print!("{}", render(policy.path(), policy.source(), &diagnostics));
            }
            Format::Json => {
                for w in &found {
                    let (line, column) = line_col(policy.source(), w.span.start);
                    let mut o = json!({
                        "file": policy.path(),
                        "line": line,
                        "column": column,
                        "name": w.name,
                        "message": w.message,
                    });
                    if let Some(e) = &w.example {
                        o["example"] = e.clone();
                    }
                    listed.push(o);
                }
            }
        }
    }
    match format {
        Format::Json => println!("{}", json!({ "warnings": listed })),
        Format::Text => eprintln!(
            "linted {} file{}: {}",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            match warnings {
                0 => "no warnings".to_string(),
                1 => "1 warning".to_string(),
                n => format!("{n} warnings"),
            }
        ),
    }
    if failed || (deny_warnings && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
