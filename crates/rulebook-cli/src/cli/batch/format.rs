//! The two file formats of `rulebook batch` (JSONL lines, CSV rows with a
//! header of input field names; read.rs reads them) and writing result
//! rows (`line`, then each decision's value and `NAME.missing`).

use rulebook::meta::ValueType;
use rulebook::{Policy, RecordView, TypedValue};
use std::fmt::Write as _;
use std::path::Path;

/// `--format`: how records are written in and out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON facts object a line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// A header of input field names, then one record a row (`.csv`).
    Csv,
}

impl Format {
    pub fn from_path(p: &Path) -> Option<Format> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

fn push_json_string(out: &mut String, s: &str) {
    // serde_json's own escaping; writing a str cannot fail
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

/// The output's first line: the CSV header (nothing for JSONL).
pub(crate) fn header(format: Format, policy: &Policy) -> String {
    match format {
        Format::Jsonl => String::new(),
        Format::Csv => {
            let mut h = String::from("line");
            for d in &policy.meta().decisions {
                h.push(',');
                push_csv(&mut h, &d.name);
                h.push(',');
                push_csv(&mut h, &format!("{}.missing", d.name));
            }
            h.push('\n');
            h
        }
    }
}

/// One result row: `line`, then each decision's value and missing list.
pub(crate) fn write_row(
    format: Format,
    policy: &Policy,
    line: u64,
    view: &RecordView,
    out: &mut String,
) {
    let meta = policy.meta();
    match format {
        Format::Jsonl => {
            out.push_str("{\"line\":");
            out.push_str(&line.to_string());
            for (i, d) in meta.decisions.iter().enumerate() {
                let Some(dv) = view.decision_at(i) else {
                    continue;
                };
                out.push_str(",\"");
                out.push_str(&d.name);
                out.push_str("\":");
                match dv.value() {
                    Some(rulebook::ValueRef::Bool(b)) => {
                        out.push_str(if b { "true" } else { "false" })
                    }
                    Some(rulebook::ValueRef::Num(n)) if matches!(d.ty, ValueType::Int) => {
                        let _ = write!(out, "{n}");
                    }
                    Some(v) => out.push_str(&TypedValue::new(&d.ty, v).to_json()),
                    None => out.push_str("null"),
                }
                out.push_str(",\"");
                out.push_str(&d.name);
                out.push_str(".missing\":");
                if dv.is_known() {
                    out.push_str("\"\"");
                } else {
                    push_json_string(out, &missing_text(&dv));
                }
            }
            out.push_str("}\n");
        }
        Format::Csv => {
            out.push_str(&line.to_string());
            for (i, d) in meta.decisions.iter().enumerate() {
                let Some(dv) = view.decision_at(i) else {
                    continue;
                };
                out.push(',');
                if let Some(v) = dv.value() {
                    push_csv(out, &TypedValue::new(&d.ty, v).to_string());
                }
                out.push(',');
                push_csv(out, &missing_text(&dv));
            }
            out.push('\n');
        }
    }
}

/// The missing list as JSON text; empty when the decision is known.
fn missing_text(dv: &rulebook::DecisionView) -> String {
    if dv.is_known() {
        return String::new();
    }
    let paths: Vec<serde_json::Value> = dv
        .missing_paths()
        .map(|p| serde_json::Value::String(p.to_string()))
        .collect();
    // a JSON array of strings always prints
    serde_json::Value::Array(paths).to_string()
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn push_csv(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}
