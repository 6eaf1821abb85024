//! The tail of a log file: what `open` checks before appending, and what
//! `repair` cuts.

use super::format::{check_line, ChainKey, LineError};
use super::{segments, Head, LogError, Registration, MAX_LINE_BYTES};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The most bytes of a cut tail that [`render_repair`] shows.
const PREVIEW_BYTES: usize = 200;

/// What [`repair`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    pub path: PathBuf,
    /// What was cut off, None when the file needed no repair.
    pub cut: Option<Cut>,
    /// The log's last line after the repair.
    pub head: Head,
}

/// A torn tail that [`repair`] cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Where the torn part started (the new length of the file).
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes: u64,
    /// The line (1-based) the torn part was.
    pub line: usize,
    /// Why it was torn.
    pub reason: String,
    /// The first 200 bytes of the cut text, escaped (`\n`, `\xNN`, …).
    pub preview: String,
}

/// The end of a log file as `open` and `repair` see it.
enum TailState {
    /// The file ends with a complete line that verifies and links to the
    /// line before it: the head to continue from.
    Good(Head),
    /// The last line is incomplete, or complete but its seal does not match.
    Torn {
        offset: u64,
        len: u64,
        line: usize,
        reason: String,
    },
}

/// Checks the end of the first `len` bytes of a log file before appending
/// to it: returns the head to continue from, or why not. `before` is the
/// head the file's first line continues (the last line of the previous
/// segment, or the genesis); None when unknown (then a file of one line is
/// not checked against it).
pub(super) fn inspect_tail(
    file: &mut File,
    len: u64,
    path: &Path,
    key: Option<&ChainKey>,
    before: Head,
) -> Result<Head, LogError> {
    match tail_state(file, len, path, key, Some(&before))? {
        TailState::Good(head) => Ok(head),
        TailState::Torn {
            offset,
            len,
            line,
            reason,
        } => Err(LogError::TornTail {
            path: path.to_path_buf(),
            offset,
            len,
            line,
            reason,
        }),
    }
}

/// The head of the last rotated segment of the log at `path` (the genesis
/// when there is none): what a new or empty `path` continues.
pub(super) fn segment_head(path: &Path, key: Option<&ChainKey>) -> Result<Head, LogError> {
    let Some((_, last)) = segments(path)?.pop() else {
        return Ok(Head::genesis());
    };
    let io_error = |source| LogError::Io {
        path: last.clone(),
        source,
    };
    let mut file = File::open(&last).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    if len == 0 {
        return Err(LogError::Corrupt {
            path: last.clone(),
            line: 1,
            reason: "the rotated segment is empty".to_string(),
        });
    }
    match tail_state(&mut file, len, &last, key, None)? {
        TailState::Good(head) => Ok(head),
        TailState::Torn { line, reason, .. } => Err(LogError::Corrupt {
            path: last.clone(),
            line,
            reason: format!("the last line of the rotated segment {reason}"),
        }),
    }
}

fn tail_state(
    file: &mut File,
    len: u64,
    path: &Path,
    key: Option<&ChainKey>,
    before: Option<&Head>,
) -> Result<TailState, LogError> {
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let line_of = |file: &mut File, start: u64| -> Result<usize, LogError> {
        let n = count_newlines(file, start).map_err(io_error)?;
        // a line number beyond usize (only on 32-bit) is shown as the largest
        // beyond usize (32-bit only): capped by PREVIEW_BYTES below
        Ok(usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1))
    };
    let corrupt = |line: usize, reason: String| LogError::Corrupt {
        path: path.to_path_buf(),
        line,
        reason,
    };
    if len == 0 {
        return Ok(TailState::Good(
            // an empty file after no other: the chain starts at genesis
            before.cloned().unwrap_or_else(Head::genesis),
        ));
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io_error)?;
    file.read_exact(&mut last).map_err(io_error)?;
    if last[0] != b'\n' {
        let start = last_line_start(file, len).map_err(io_error)?;
        return Ok(TailState::Torn {
            offset: start,
            len: len - start,
            line: line_of(file, start)?,
            reason: "the last line is incomplete (no newline at the end of the file): \
                     a write was interrupted or the file was cut"
                .to_string(),
        });
    }
    // The last line is [start, end); `end` is the final '\n'.
    let end = len - 1;
    let start = last_line_start(file, end).map_err(io_error)?;
    let line_no = line_of(file, start)?;
    let line = read_line(file, start, end, path).map_err(|reason| corrupt(line_no, reason))?;
    // The line before the last, if it is in this file: [prev_start, start - 1).
    let previous = |file: &mut File| -> Result<Option<Result<Head, String>>, LogError> {
        if start == 0 {
            return Ok(None);
        }
        let prev_start = last_line_start(file, start - 1).map_err(io_error)?;
        let prev = read_line(file, prev_start, start - 1, path)
            .map_err(|reason| corrupt(line_no - 1, reason))?;
        Ok(Some(match check_line(&prev, key) {
            Ok(info) => info
                .seq
                .checked_add(1)
                .map(|entries| Head {
                    entries,
                    sha256: info.sha256,
                })
                .ok_or_else(|| "seq is at its maximum".to_string()),
            Err(e) => Err(e.reason()),
        }))
    };
    match check_line(&line, key) {
        Ok(info) => {
            let expected = match previous(file)? {
                Some(Ok(head)) => Some(head),
                Some(Err(reason)) => {
                    return Err(corrupt(
                        line_no - 1,
                        format!(
                            "the line before the last {reason}: this is not a torn write; \
                             check the log with `rulebook log verify`"
                        ),
                    ))
                }
                None => before.cloned(),
            };
            if let Some(expected) = expected {
                if info.seq != expected.entries {
                    return Err(corrupt(
                        line_no,
                        format!(
                            "the last line has seq {}, expected {}: it does not continue \
                             the line before it (forged, spliced or reordered)",
                            info.seq, expected.entries
                        ),
                    ));
                }
                if info.prev != expected.sha256 {
                    return Err(corrupt(
                        line_no,
                        "the last line's prev is not the seal of the line before it: \
                         it was forged or spliced, or the line before it was rewritten"
                            .to_string(),
                    ));
                }
            }
            match info.seq.checked_add(1) {
                Some(entries) => Ok(TailState::Good(Head {
                    entries,
                    sha256: info.sha256,
                })),
                None => Err(corrupt(line_no, "seq is at its maximum".to_string())),
            }
        }
        Err(LineError::NeedsKey) => Err(LogError::KeyRequired {
            path: path.to_path_buf(),
            line: line_no,
        }),
        Err(e @ LineError::NotKeyed) => {
            Err(corrupt(line_no, format!("the last line {}", e.reason())))
        }
        Err(LineError::Bad(reason)) => {
            if key.is_some() {
                // A keyed line that does not verify is torn only if the key is
                // shown right by the line before it.
                match previous(file)? {
                    Some(Ok(_)) => {}
                    Some(Err(_)) => {
                        return Err(corrupt(
                            line_no,
                            "neither the last line nor the one before it verifies with \
                             the key: the key is wrong, or the log is damaged; \
                             check it with `rulebook log verify`"
                                .to_string(),
                        ))
                    }
                    None if before.is_some_and(|b| b.entries > 0) => {}
                    None => {
                        return Err(corrupt(
                            line_no,
                            format!(
                                "the only line {reason}; with no line before it that \
                                 verifies, a torn write cannot be told from a wrong key"
                            ),
                        ))
                    }
                }
            }
            Ok(TailState::Torn {
                offset: start,
                len: len - start,
                line: line_no,
                reason: format!("the last line {reason}"),
            })
        }
    }
}

/// Reads [start, end) of `file`; the error completes "line N: …".
fn read_line(file: &mut File, start: u64, end: u64, path: &Path) -> Result<Vec<u8>, String> {
    let len = end - start;
    if len > MAX_LINE_BYTES as u64 {
        return Err(format!("the line is longer than {MAX_LINE_BYTES} bytes"));
    }
    // len <= MAX_LINE_BYTES (checked above): it fits usize
    let mut line = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut line))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(line)
}

/// Offset just after the last '\n' before `end` (0 if none), reading
/// backwards in blocks, giving up past [`MAX_LINE_BYTES`] (then returns a
/// start that makes the line too long).
fn last_line_start(file: &mut File, end: u64) -> io::Result<u64> {
    const BLOCK: u64 = 64 * 1024;
    let mut block = vec![0u8; BLOCK as usize];
    let mut pos = end;
    while pos > 0 {
        let n = BLOCK.min(pos);
        pos -= n;
        // n <= BLOCK, the block's length: in bounds
        let buf = block.get_mut(..n as usize).unwrap_or_default();
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
        if end - pos > MAX_LINE_BYTES as u64 {
            return Ok(pos);
        }
    }
    Ok(0)
}

fn count_newlines(file: &mut File, upto: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(file.take(upto));
    let mut count = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(count);
        }
        count += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buf.len();
        reader.consume(n);
    }
}

/// Cuts a torn tail off the log at `path` (a log without key): see
/// [`repair_with_key`].
pub fn repair(path: impl AsRef<Path>) -> Result<RepairReport, LogError> {
    repair_with_key(path, None)
}

/// Cuts the torn tail of the log at `path`, if it has one: an incomplete
/// last line, or a last line whose own seal does not verify (with `key`, its
/// HMAC). The file is synced after the cut.
///
/// It never cuts a line that verifies, and cuts nothing if what would then
/// be the last line does not verify or link to the line before it: a broken
/// line that is not the last is corruption, reported as
/// [`LogError::Corrupt`] (check the log with [`verify`](super::verify)), not
/// repaired. A file already open for appending in this process is refused.
pub fn repair_with_key(
    path: impl AsRef<Path>,
    key: Option<&[u8]>,
) -> Result<RepairReport, LogError> {
    let path = path.as_ref();
    let key = key.map(ChainKey::derive).transpose()?;
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(io_error(io::Error::other("not a regular file")));
    }
    let _registration = Registration::new(path)?;
    let before = super::repair::segment_head(path, key.as_ref())?;
    let len = meta.len();
    let (offset, bytes, line, reason) =
        match tail_state(&mut file, len, path, key.as_ref(), Some(&before))? {
            TailState::Good(head) => {
                return Ok(RepairReport {
                    path: path.to_path_buf(),
                    cut: None,
                    head,
                })
            }
            TailState::Torn {
                offset,
                len,
                line,
                reason,
            } => (offset, len, line, reason),
        };
    // What would be left must end well.
    let head = match tail_state(&mut file, offset, path, key.as_ref(), Some(&before))? {
        TailState::Good(head) => head,
        TailState::Torn {
            line: broken,
            reason: why,
            ..
        } => {
            return Err(LogError::Corrupt {
                path: path.to_path_buf(),
                line: broken,
                reason: format!(
                    "{why}, and line {line} after it is torn too: this is corruption, \
                     not a torn write; nothing was cut. Check the log with `rulebook log verify`"
                ),
            })
        }
    };
    let mut preview = vec![
        0u8;
        usize::try_from(bytes)
            .unwrap_or(usize::MAX)
            .min(PREVIEW_BYTES)
    ];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut preview))
        .map_err(io_error)?;
    file.set_len(offset).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    Ok(RepairReport {
        path: path.to_path_buf(),
        cut: Some(Cut {
            offset,
            bytes,
            line,
            reason,
            preview: preview.escape_ascii().to_string(),
        }),
        head,
    })
}

/// What `rulebook log repair` prints.
pub fn render_repair(report: &RepairReport) -> String {
    let path = report.path.display();
    let head = &report.head;
    match &report.cut {
        None => format!(
            "decision log {path}: nothing to repair: it ends with a complete line that \
             verifies ({} entries, head {})",
            head.entries, head.sha256
        ),
        Some(cut) => format!(
            "decision log {path}: cut {} bytes at byte offset {} (line {}: {})\n\
             cut text{}: \"{}\"\n\
             now {} entries, head {}",
            cut.bytes,
            cut.offset,
            cut.line,
            cut.reason,
            if cut.bytes > PREVIEW_BYTES as u64 {
                format!(" (first {PREVIEW_BYTES} bytes)")
            } else {
                String::new()
            },
            cut.preview,
            head.entries,
            head.sha256
        ),
    }
}
