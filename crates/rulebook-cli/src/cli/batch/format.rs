//! The two file formats of `rulebook batch`: reading records (JSONL lines,
//! CSV rows with a header of input field names) and writing result rows
//! (`line`, then each decision's value and `NAME.missing`).

use rulebook::meta::ValueType;
use rulebook::{Facts, Policy, RecordView, TypedValue};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
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

/// One record as read: a JSON line, or a CSV row's cells.
pub(crate) enum Record {
    Line(String),
    Row(csv::StringRecord),
    /// A row the CSV reader refused, with why.
    Bad(String),
}

/// Reads records in chunks.
pub(crate) struct Reader {
    inner: Inner,
    /// Records (or lines) read so far.
    number: u64,
    warnings: Vec<String>,
}

enum Inner {
    Jsonl(BufReader<Box<dyn Read + Send>>),
    Csv {
        rows: csv::Reader<Box<dyn Read + Send>>,
        /// For each column, the index of the input field it holds.
        columns: std::sync::Arc<Vec<Option<usize>>>,
    },
}

impl Reader {
    pub fn new(
        format: Format,
        input: impl Read + Send + 'static,
        policy: &Policy,
    ) -> Result<Reader, String> {
        let input: Box<dyn Read + Send> = Box::new(input);
        let mut warnings = Vec::new();
        let inner = match format {
            Format::Jsonl => Inner::Jsonl(BufReader::with_capacity(1 << 20, input)),
            Format::Csv => {
                let mut rows = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(false)
                    .buffer_capacity(1 << 20)
                    .from_reader(input);
                let header = rows
                    .headers()
                    .map_err(|e| format!("the CSV header cannot be read: {e}"))?
                    .clone();
                let fields = &policy.meta().input.fields;
                let mut columns = Vec::with_capacity(header.len());
                let mut seen = vec![false; fields.len()];
                for name in header.iter() {
                    let name = name.trim();
                    match fields.iter().position(|f| f.name == name) {
                        Some(i) if seen.get(i).copied().unwrap_or(true) => {
                            return Err(format!("the CSV header names `{name}` twice"));
                        }
                        Some(i) => {
                            if let Some(s) = seen.get_mut(i) {
                                *s = true;
                            }
                            columns.push(Some(i));
                        }
                        None => {
                            warnings.push(format!(
                                "column `{name}` is not an input of policy {}: ignored",
                                policy.name()
                            ));
                            columns.push(None);
                        }
                    }
                }
                Inner::Csv {
                    rows,
                    columns: std::sync::Arc::new(columns),
                }
            }
        };
        Ok(Reader {
            inner,
            number: 0,
            warnings,
        })
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The CSV columns' input fields (None for JSONL).
    pub fn columns(&self) -> Option<std::sync::Arc<Vec<Option<usize>>>> {
        match &self.inner {
            Inner::Csv { columns, .. } => Some(columns.clone()),
            Inner::Jsonl(_) => None,
        }
    }

    /// The next chunk of at most `max` records; None at the end.
    pub fn chunk(&mut self, index: u64, max: usize) -> Result<Option<super::Chunk>, String> {
        let mut records = Vec::with_capacity(max);
        let mut bytes = 0u64;
        match &mut self.inner {
            Inner::Jsonl(r) => {
                while records.len() < max {
                    let mut line = String::new();
                    let n = r
                        .read_line(&mut line)
                        .map_err(|e| format!("line {}: {e}", self.number + 1))?;
                    if n == 0 {
                        break;
                    }
                    self.number += 1;
                    bytes += n as u64;
                    if line.trim().is_empty() {
                        continue; // a blank line is no record (it is counted)
                    }
                    records.push((self.number, Record::Line(line)));
                }
            }
            Inner::Csv { rows, .. } => {
                while records.len() < max {
                    let mut row = csv::StringRecord::new();
                    let before = rows.position().byte();
                    let more = match rows.read_record(&mut row) {
                        Ok(m) => m,
                        Err(e) => {
                            // a row the CSV reader refuses (a wrong number
                            // of cells) is a bad record, not the end
                            self.number += 1;
                            bytes += rows.position().byte().saturating_sub(before);
                            let why = match e.kind() {
                                csv::ErrorKind::UnequalLengths {
                                    expected_len, len, ..
                                } => format!(
                                    "the row has {len} cells; the header has {expected_len}"
                                ),
                                _ => format!("the row cannot be read as CSV: {e}"),
                            };
                            records.push((self.number, Record::Bad(why)));
                            continue;
                        }
                    };
                    if !more {
                        break;
                    }
                    self.number += 1;
                    bytes += rows.position().byte().saturating_sub(before);
                    records.push((self.number, Record::Row(row)));
                }
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(super::Chunk {
            index,
            records,
            bytes,
        }))
    }
}

/// The facts of one record.
pub(crate) fn parse(
    policy: &Policy,
    columns: Option<&[Option<usize>]>,
    record: &Record,
) -> Result<Facts, String> {
    match record {
        Record::Line(text) => policy.parse_facts(text).map_err(|e| e.to_string()),
        Record::Row(row) => {
            let cells = row
                .iter()
                .zip(columns.unwrap_or(&[]))
                .filter_map(|(cell, column)| column.map(|i| (i, cell)));
            policy.parse_cells(cells).map_err(|e| e.to_string())
        }
        Record::Bad(e) => Err(e.clone()),
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
