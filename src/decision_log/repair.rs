//! Reading and checking the tail of a log file.

use super::format::check_line;
use super::{Head, LogError, MAX_LINE_BYTES};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Reads and checks the last line of a non-empty log file.
pub(super) fn read_head(file: &mut File, len: u64, path: &Path) -> Result<Head, LogError> {
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |file: &mut File, line_start: u64, reason: String| -> LogError {
        match count_newlines(file, line_start) {
            Ok(n) => LogError::Corrupt {
                path: path.to_path_buf(),
                line: usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1),
                reason,
            },
            Err(source) => io_error(source),
        }
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io_error)?;
    file.read_exact(&mut last).map_err(io_error)?;
    // The last line is [start, end); `end` is the final '\n'.
    let end = len - 1;
    if last[0] != b'\n' {
        let start = last_line_start(file, len).map_err(io_error)?;
        return Err(corrupt(
            file,
            start,
            "the last line is incomplete (no newline at the end of the file): \
             a write was interrupted or the file was cut"
                .to_string(),
        ));
    }
    let start = last_line_start(file, end).map_err(io_error)?;
    let line_len = end - start;
    if line_len > MAX_LINE_BYTES as u64 {
        return Err(corrupt(
            file,
            start,
            format!("the last line is longer than {MAX_LINE_BYTES} bytes"),
        ));
    }
    let mut line = vec![0u8; usize::try_from(line_len).unwrap_or(0)];
    file.seek(SeekFrom::Start(start)).map_err(io_error)?;
    file.read_exact(&mut line).map_err(io_error)?;
    match check_line(&line) {
        Ok(info) => match info.seq.checked_add(1) {
            Some(entries) => Ok(Head {
                entries,
                sha256: info.sha256,
            }),
            None => Err(corrupt(file, start, "seq is at its maximum".to_string())),
        },
        Err(reason) => Err(corrupt(file, start, format!("the last line {reason}"))),
    }
}

/// Offset just after the last '\n' before `end` (0 if none), reading
/// backwards in blocks, giving up past [`MAX_LINE_BYTES`] (then returns a
/// start that makes the line too long).
pub(super) fn last_line_start(file: &mut File, end: u64) -> io::Result<u64> {
    const BLOCK: u64 = 64 * 1024;
    let mut block = vec![0u8; BLOCK as usize];
    let mut pos = end;
    while pos > 0 {
        let n = BLOCK.min(pos);
        pos -= n;
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

pub(super) fn count_newlines(file: &mut File, upto: u64) -> io::Result<u64> {
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
