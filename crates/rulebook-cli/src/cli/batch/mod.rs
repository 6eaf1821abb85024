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
mod summary;

pub use format::Format;
pub(crate) use format::{Reader, Record};
use rulebook::{BatchResults, Date, Facts, Policy};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
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

/// A chunk of records as read: their text and where each starts.
pub(crate) struct Chunk {
    pub(crate) index: u64,
    /// Each record's number (1-based line, or data row) and text.
    pub(crate) records: Vec<(u64, format::Record)>,
    /// Input bytes the chunk covers (for the progress bar).
    pub(crate) bytes: u64,
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
    let written = pipeline::run(
        reader,
        jobs,
        || Worker {
            results: BatchResults::default(),
            facts: Vec::with_capacity(CHUNK_RECORDS),
            lines: Vec::with_capacity(CHUNK_RECORDS),
        },
        |w, chunk| w.chunk(&policy, columns.as_deref(), format, as_of, chunk),
        |d: Done, bytes| {
            output
                .write_all(d.output.as_bytes())
                .map_err(|e| format!("output: {e}"))?;
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
}

impl Worker {
    /// One chunk parsed, evaluated in one call and written.
    fn chunk(
        &mut self,
        policy: &Policy,
        columns: Option<&Vec<Option<usize>>>,
        format: Format,
        as_of: Date,
        chunk: Chunk,
    ) -> Done {
        self.facts.clear();
        self.lines.clear();
        let mut out = Done {
            output: String::with_capacity(chunk.records.len() * 64),
            rejects: String::new(),
            summary: Summary::new(policy),
        };
        for (line, record) in &chunk.records {
            match format::parse(policy, columns.map(Vec::as_slice), record) {
                Ok(f) => {
                    self.facts.push(f);
                    self.lines.push(*line);
                }
                Err(e) => reject(&mut out, *line, &e),
            }
        }
        policy.evaluate_batch_into(self.facts.as_slice(), as_of, &mut self.results);
        for (i, r) in self.results.iter().enumerate() {
            let line = self.lines.get(i).copied().unwrap_or(0);
            match r {
                Ok(view) => {
                    format::write_row(format, policy, line, &view, &mut out.output);
                    out.summary.count(&view);
                }
                Err(e) => reject(&mut out, line, &e.to_string()),
            }
        }
        out
    }
}

fn reject(out: &mut Done, line: u64, error: &str) {
    out.summary.rejected += 1;
    out.rejects.push_str(&format!(
        "{{\"line\":{line},\"error\":{}}}\n",
        serde_json::Value::String(error.to_string())
    ));
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
