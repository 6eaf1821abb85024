//! Verifying a log from its first line to its last, across rotated segments.

use super::format::{check_line, is_hex64, ChainKey, LineError};
use super::{segment_path, segments, LogError, VerifyReport, GENESIS, MAX_LINE_BYTES};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What [`verify_with`] checks besides the chain itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// A head recorded earlier (see [`verify_with_head`]).
    pub expected_head: Option<&'a str>,
    /// The key of a keyed log (at least [`MIN_KEY_BYTES`](super::MIN_KEY_BYTES)
    /// bytes).
    pub key: Option<&'a [u8]>,
}

/// Verifies the log at `path` from its first line to its last: its rotated
/// segments `PATH.NNNNNN` in order, then `PATH`, as one chain.
///
/// `Err` when a file cannot be read, or the log is keyed
/// ([`LogError::KeyRequired`]: use [`verify_with`] with the key); a damaged
/// log is `Ok(VerifyReport::Broken { .. })` naming the first line that is
/// malformed or does not link to the line before it. An intact chain may
/// still have lost lines at its end: see [`verify_with_head`].
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, LogError> {
    verify_with(path, VerifyOptions::default())
}

/// [`verify`], also requiring that a line with seal equal to
/// `expected_head_sha256` (a head recorded earlier, see
/// [`DecisionLog::head`](super::DecisionLog::head)) is in the chain: if it is
/// not, lines were removed from the end or the log was rewritten.
/// [`GENESIS`] is the head of the empty log and is always found. Upper-case
/// hex is accepted.
pub fn verify_with_head(
    path: impl AsRef<Path>,
    expected_head_sha256: &str,
) -> Result<VerifyReport, LogError> {
    verify_with(
        path,
        VerifyOptions {
            expected_head: Some(expected_head_sha256),
            key: None,
        },
    )
}

/// [`verify`] with an expected head and/or the key of a keyed log.
pub fn verify_with(
    path: impl AsRef<Path>,
    options: VerifyOptions<'_>,
) -> Result<VerifyReport, LogError> {
    let path = path.as_ref();
    let expected = options
        .expected_head
        .map(|head| {
            let lower = head.trim().to_ascii_lowercase();
            if is_hex64(lower.as_bytes()) {
                Ok(lower)
            } else {
                Err(LogError::InvalidHead(head.to_string()))
            }
        })
        .transpose()?;
    let key = options.key.map(ChainKey::derive).transpose()?;
    let mut chain = Chain::new(expected, key);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut previous_number = None;
    for (number, segment) in segments(path)? {
        if let Some(previous) = previous_number {
            if number != previous + 1 {
                return Ok(VerifyReport::Broken {
                    file: Some(segment),
                    line: 1,
                    reason: format!(
                        "the rotated segment {} is missing: a file of the log was \
                         deleted or renamed",
                        segment_path(path, previous + 1).display()
                    ),
                });
            }
        }
        previous_number = Some(number);
        files.push(segment);
    }
    files.push(path.to_path_buf());
    let count = files.len();
    for file in files {
        let io_error = |source| LogError::Io {
            path: file.clone(),
            source,
        };
        let reader = BufReader::with_capacity(1 << 16, File::open(&file).map_err(io_error)?);
        match chain.feed(reader) {
            Ok(None) => {}
            Ok(Some((line, reason))) => {
                return Ok(VerifyReport::Broken {
                    file: Some(file),
                    line,
                    reason,
                })
            }
            Err(Stop::Io(source)) => return Err(io_error(source)),
            Err(Stop::NeedsKey(line)) => return Err(LogError::KeyRequired { path: file, line }),
        }
    }
    Ok(chain.finish(Some(path.to_path_buf()), count))
}

/// [`verify`] over any reader (for instance standard input), for a log
/// without key (a keyed line is reported as broken: it needs the key).
/// `expected_head_sha256`, if given, must be 64 lowercase hex digits to be
/// found.
pub fn verify_reader(
    reader: impl BufRead,
    expected_head_sha256: Option<&str>,
) -> io::Result<VerifyReport> {
    let mut chain = Chain::new(expected_head_sha256.map(str::to_string), None);
    match chain.feed(reader) {
        Ok(None) => Ok(chain.finish(None, 1)),
        Ok(Some((line, reason))) => Ok(VerifyReport::Broken {
            file: None,
            line,
            reason,
        }),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::NeedsKey(line)) => Ok(VerifyReport::Broken {
            file: None,
            line,
            reason: format!("the line {}", LineError::NeedsKey.reason()),
        }),
    }
}

enum Stop {
    Io(io::Error),
    NeedsKey(usize),
}

/// The chain so far, over one file after another.
struct Chain {
    key: Option<ChainKey>,
    expected: Option<String>,
    found: bool,
    prev: String,
    entries: u64,
    events: u64,
    /// Lines read in the current file.
    line_no: usize,
}

impl Chain {
    fn new(expected: Option<String>, key: Option<ChainKey>) -> Chain {
        Chain {
            found: expected.as_deref().is_none_or(|e| e == GENESIS),
            key,
            expected,
            prev: GENESIS.to_string(),
            entries: 0,
            events: 0,
            line_no: 0,
        }
    }

    /// Checks the lines of one file; `Ok(Some((line, reason)))` for the
    /// first broken one.
    fn feed(&mut self, mut reader: impl BufRead) -> Result<Option<(usize, String)>, Stop> {
        self.line_no = 0;
        let first_file = self.entries == 0;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(Stop::Io)?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let line_no = self.line_no;
            let broken = |reason: String| Ok(Some((line_no, reason)));
            if buf.last() != Some(&b'\n') {
                if buf.len() > MAX_LINE_BYTES {
                    return broken(format!("the line is longer than {MAX_LINE_BYTES} bytes"));
                }
                return broken(
                    "the line is incomplete (no newline at the end of the file): \
                     a write was interrupted or the file was cut"
                        .to_string(),
                );
            }
            buf.pop();
            let info = match check_line(&buf, self.key.as_ref()) {
                Ok(info) => info,
                Err(LineError::NeedsKey) => return Err(Stop::NeedsKey(line_no)),
                Err(e) => return broken(format!("the line {}", e.reason())),
            };
            if info.seq != self.entries {
                return broken(format!(
                    "seq is {}, expected {}: lines were removed, inserted or reordered",
                    info.seq, self.entries
                ));
            }
            if info.prev != self.prev {
                return broken(if line_no > 1 {
                    format!(
                        "prev does not match line {}: line {} was rewritten, \
                         or lines were removed, inserted or reordered",
                        line_no - 1,
                        line_no - 1
                    )
                } else if first_file {
                    "prev is not the genesis value (64 zeros): \
                     the log does not start at its first entry"
                        .to_string()
                } else {
                    "prev does not match the last line of the previous file: \
                     a file was rewritten, or files were swapped"
                        .to_string()
                });
            }
            if self.expected.as_deref() == Some(info.sha256.as_str()) {
                self.found = true;
            }
            self.prev = info.sha256;
            self.entries += 1;
            self.events += u64::from(info.event);
        }
    }

    fn finish(self, file: Option<PathBuf>, files: usize) -> VerifyReport {
        if let (false, Some(expected)) = (self.found, &self.expected) {
            return VerifyReport::Broken {
                file,
                line: self.line_no + 1,
                reason: format!(
                    "the expected head {expected} is not in the log \
                     ({} entries, head {}): \
                     lines were removed from the end, or the log was rewritten",
                    self.entries, self.prev
                ),
            };
        }
        VerifyReport::Intact {
            entries: self.entries,
            events: self.events,
            files,
            head_sha256: self.prev,
        }
    }
}

/// One line for the CLI, e.g. `decision log ok: 1000 entries (998
/// decisions, 2 events) in 1 file, head sha256 …` or `decision log BROKEN at
/// line 17 of decisions.jsonl: prev does not match line 16: …`.
pub fn render_report(report: &VerifyReport) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match report {
        VerifyReport::Intact {
            entries,
            events,
            files,
            head_sha256,
        } => format!(
            "decision log ok: {} ({}, {}) in {}, head sha256 {head_sha256}",
            plural(*entries, "entry", "entries"),
            plural(entries - events, "decision", "decisions"),
            plural(*events, "event", "events"),
            plural(*files as u64, "file", "files"),
        ),
        VerifyReport::Broken {
            file: Some(file),
            line,
            reason,
        } => format!(
            "decision log BROKEN at line {line} of {}: {reason}",
            file.display()
        ),
        VerifyReport::Broken {
            file: None,
            line,
            reason,
        } => format!("decision log BROKEN at line {line}: {reason}"),
    }
}
