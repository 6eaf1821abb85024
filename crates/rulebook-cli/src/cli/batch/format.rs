//! The two file formats of `rulebook batch` (JSONL lines, CSV rows with a
//! header of input field names; read.rs reads them) and writing result
//! rows (`line`, then each decision's value and `NAME.missing`).

use rulebook::__private::num::push_digits;
use rulebook::__private::push_json_str;
use rulebook::meta::ValueType;
use rulebook::{Policy, RecordView, TypedValue};
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

/// One result row: `line`, then each decision's value and missing list,
/// written without allocating (`scratch` holds a cell's text on its way).
pub(crate) fn write_row(
    format: Format,
    policy: &Policy,
    line: u64,
    view: &RecordView,
    out: &mut String,
    scratch: &mut String,
) {
    let meta = policy.meta();
    match format {
        Format::Jsonl => {
            out.push_str("{\"line\":");
            push_digits(out, line, 1);
            for (i, d) in meta.decisions.iter().enumerate() {
                let Some(dv) = view.decision_at(i) else {
                    continue;
                };
                out.push_str(",\"");
                out.push_str(&d.name);
                out.push_str("\":");
                match dv.value() {
                    Some(v) => TypedValue::new(&d.ty, v).write_json(out),
                    None => out.push_str("null"),
                }
                out.push_str(",\"");
                out.push_str(&d.name);
                out.push_str(".missing\":");
                if dv.is_known() {
                    out.push_str("\"\"");
                } else {
                    scratch.clear();
                    missing_text(&dv, scratch);
                    push_json_str(out, scratch);
                }
            }
            out.push_str("}\n");
        }
        Format::Csv => {
            push_digits(out, line, 1);
            for (i, d) in meta.decisions.iter().enumerate() {
                let Some(dv) = view.decision_at(i) else {
                    continue;
                };
                out.push(',');
                match (dv.value(), &d.ty) {
                    (None, _) => {}
                    // text that may hold a comma, a quote or a line break
                    (Some(v), ValueType::Text | ValueType::Enum { .. }) => {
                        scratch.clear();
                        TypedValue::new(&d.ty, v).write_text(scratch);
                        push_csv(out, scratch);
                    }
                    // digits, signs, points, dashes, true or false
                    (Some(v), _) => TypedValue::new(&d.ty, v).write_text(out),
                }
                out.push(',');
                if !dv.is_known() {
                    scratch.clear();
                    missing_text(&dv, scratch);
                    push_csv(out, scratch);
                }
            }
            out.push('\n');
        }
    }
}

/// Appends the missing list as JSON text (for a decision not known).
fn missing_text(dv: &rulebook::DecisionView, out: &mut String) {
    out.push('[');
    for (k, path) in dv.missing_paths().enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_json_str(out, path);
    }
    out.push(']');
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn push_csv(out: &mut String, cell: &str) {
    if cell
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push('"');
        for (k, part) in cell.split('"').enumerate() {
            if k > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(cell);
    }
}
