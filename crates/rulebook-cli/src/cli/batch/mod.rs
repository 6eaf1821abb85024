//! `rulebook batch` (LANGUAGE.md section 14): a whole caseload through one
//! policy, JSONL or CSV in and the same format out, on every core.
//!
//! Three stages joined by bounded channels, so memory stays flat however
//! long the file: one reader cuts the input into chunks of records (the
//! text only: no parsing), `--jobs` workers each parse a chunk's records
//! into facts, evaluate them in one call into the module and write the
//! chunk's output text, and the writer puts the chunks back in input order.
//! A bad record goes to the rejects with its line and never touches the
//! others; the output is byte-identical whatever the number of jobs.

mod format;
pub(crate) mod pipeline;
mod read;
mod summary;

pub use format::Format;
pub(crate) use read::{Chunk, Reader};
use read::{CsvRows, Row};
use rulebook::batch::Batch;
use rulebook::{BatchResults, Date, Facts, Policy};
use std::fmt::Write as _;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;
use summary::Summary;

/// Records a worker takes at a time.
const CHUNK_RECORDS: usize = 4096;

/// The options of `rulebook batch`.
pub struct Options<'a> {
    pub policy: &'a Path,
    pub input: &'a Path,
    pub output: Option<&'a Path>,
    pub rejects: Option<&'a Path>,
    pub as_of: Option<&'a str>,
    pub jobs: Option<usize>,
    pub format: Option<Format>,
}

/// A chunk evaluated: its output text, its rejects, and what it counted.
struct Done {
    output: String,
    rejects: String,
    summary: Summary,
}

pub fn run(o: &Options) -> ExitCode {
    match batch(o) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn batch(o: &Options) -> Result<ExitCode, String> {
    let as_of = match super::as_of_or_today(o.as_of) {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let policy = match super::load(Some(o.policy), None) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    // compile to native code before reading anything
    policy
        .load()
        .map_err(|e| format!("{}: the module cannot be loaded: {e}", o.policy.display()))?;
    let format = match o.format {
        Some(f) => f,
        None => Format::from_path(o.input).ok_or_else(|| {
            format!(
                "{}: cannot tell the format from the name: use a .jsonl or .csv file, or --format",
                o.input.display()
            )
        })?,
    };
    let file = std::fs::File::open(o.input).map_err(|e| format!("{}: {e}", o.input.display()))?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader =
        Reader::new(format, file, &policy).map_err(|e| format!("{}: {e}", o.input.display()))?;
    for w in reader.warnings() {
        eprintln!("warning: {}: {w}", o.input.display());
    }
    let mut output: Box<dyn Write> = match o.output {
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())),
    };
    let to_stderr = o.rejects.is_none();
    let mut rejects: Box<dyn Write> = match o.rejects {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::stderr()),
    };
    let jobs = o
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let header = format::header(format, &policy);
    output
        .write_all(header.as_bytes())
        .map_err(|e| format!("output: {e}"))?;

    let bar = progress(total_bytes, to_stderr);
    let start = Instant::now();
    let mut total = Summary::new(&policy);
    let columns = reader.columns();
    let has_lists = policy.meta().input.has_lists();
    // output buffers written out go back to the workers, to be filled again
    let spare: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let written = pipeline::run(
        reader,
        jobs,
        || Worker {
            results: BatchResults::default(),
            facts: Vec::with_capacity(CHUNK_RECORDS),
            lines: Vec::with_capacity(CHUNK_RECORDS),
            rejects: Vec::new(),
            rows: CsvRows::new(),
            scratch: String::new(),
            // CSV rows of flat inputs go straight into record images
            cells: (format == Format::Csv && !has_lists).then(|| Batch::new(&policy)),
        },
        |w, chunk| {
            let out = spare.lock().ok().and_then(|mut s| s.pop());
            w.chunk(&policy, columns.as_deref(), format, as_of, chunk, out)
        },
        |d: Result<Done, String>, bytes| {
            let mut d = d?;
            output
                .write_all(d.output.as_bytes())
                .map_err(|e| format!("output: {e}"))?;
            if let Ok(mut s) = spare.lock() {
                if s.len() <= jobs {
                    d.output.clear();
                    s.push(std::mem::take(&mut d.output));
                }
            }
            rejects
                .write_all(d.rejects.as_bytes())
                .map_err(|e| format!("rejects: {e}"))?;
            bar.inc(bytes);
            total.add(&d.summary);
            Ok(())
        },
    );
    bar.finish_and_clear();
    written?;
    output.flush().map_err(|e| format!("output: {e}"))?;
    rejects.flush().map_err(|e| format!("rejects: {e}"))?;
    eprint!("{}", total.render(start.elapsed()));
    Ok(ExitCode::SUCCESS)
}

/// A worker's buffers, kept from chunk to chunk.
struct Worker {
    results: BatchResults,
    facts: Vec<Facts>,
    lines: Vec<u64>,
    rejects: Vec<(u64, String)>,
    rows: CsvRows,
    scratch: String,
    /// CSV rows read straight into record images, for a policy without
    /// list inputs (others read each row into `facts`).
    cells: Option<Batch>,
}

impl Worker {
    /// One chunk parsed, evaluated in one call and written (into `output`,
    /// a buffer to fill again, if given). `columns` are the CSV columns'
    /// input fields.
    fn chunk(
        &mut self,
        policy: &Policy,
        columns: Option<&Vec<Option<usize>>>,
        format: Format,
        as_of: Date,
        chunk: &Chunk,
        output: Option<String>,
    ) -> Result<Done, String> {
        let mut used = 0;
        self.lines.clear();
        self.rejects.clear();
        let (facts, lines, rejects) = (&mut self.facts, &mut self.lines, &mut self.rejects);
        // each record's facts parsed into the next of the facts kept from
        // chunk to chunk (their storage reused)
        let mut take = |line: u64, parse: &mut dyn FnMut(&mut Facts) -> Result<(), String>| {
            if facts.len() <= used {
                facts.resize_with(used + 1, Facts::default);
            }
            let Some(f) = facts.get_mut(used) else { return };
            match parse(f) {
                Ok(()) => {
                    used += 1;
                    lines.push(line);
                }
                Err(e) => rejects.push((line, e)),
            }
        };
        match format {
            Format::Jsonl => {
                for (line, text) in chunk.lines() {
                    take(line, &mut |f| {
                        let t = text.clone()?;
                        policy.parse_facts_into(t, f).map_err(|e| e.to_string())
                    });
                }
            }
            Format::Csv => {
                let columns = columns.map_or(&[][..], Vec::as_slice);
                match self.cells.as_mut() {
                    Some(batch) => {
                        batch.clear();
                        self.rows.each(chunk, columns.len(), |line, row| {
                            let read = match row {
                                Row::Cells(cells) => batch
                                    .push_cells(
                                        cells
                                            .iter()
                                            .zip(columns)
                                            .filter_map(|(cell, column)| column.map(|i| (i, cell))),
                                    )
                                    .map_err(|e| e.to_string()),
                                Row::Bad(e) => Err(e),
                            };
                            match read {
                                Ok(()) => lines.push(line),
                                Err(e) => rejects.push((line, e)),
                            }
                        })?;
                    }
                    None => {
                        self.rows
                            .each(chunk, columns.len(), |line, row| match row {
                                Row::Cells(cells) => take(line, &mut |f| {
                                    let cells = cells
                                        .iter()
                                        .zip(columns)
                                        .filter_map(|(cell, column)| column.map(|i| (i, cell)));
                                    policy.parse_cells_into(cells, f).map_err(|e| e.to_string())
                                }),
                                Row::Bad(e) => take(line, &mut |_| Err(e.clone())),
                            })?;
                    }
                }
            }
        }
        let mut out = Done {
            output: output.unwrap_or_else(|| String::with_capacity(self.lines.len() * 64)),
            rejects: String::new(),
            summary: Summary::new(policy),
        };
        match (&self.cells, format) {
            (Some(batch), Format::Csv) => {
                policy.evaluate_batch_into(batch, as_of, &mut self.results)
            }
            _ => {
                let facts = self.facts.get(..used).unwrap_or_default();
                policy.evaluate_batch_into(facts, as_of, &mut self.results);
            }
        }
        for (i, r) in self.results.iter().enumerate() {
            let line = self.lines.get(i).copied().unwrap_or(0);
            match r {
                Ok(view) => {
                    format::write_row(
                        format,
                        policy,
                        line,
                        &view,
                        &mut out.output,
                        &mut self.scratch,
                    );
                    out.summary.count(&view);
                }
                Err(e) => self.rejects.push((line, e.to_string())),
            }
        }
        // the rejects in line order (those of parsing, then of evaluating)
        self.rejects.sort_by_key(|(line, _)| *line);
        out.summary.rejected = self.rejects.len() as u64;
        for (line, error) in &self.rejects {
            let _ = writeln!(
                out.rejects,
                "{{\"line\":{line},\"error\":{}}}",
                serde_json::Value::String(error.clone())
            );
        }
        Ok(out)
    }
}

/// A progress bar over the input's bytes, on a terminal only (and not
/// while rejects are going to that same terminal).
fn progress(total: u64, rejects_on_stderr: bool) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || total == 0 || rejects_on_stderr {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
