//! Verifying a log from its first line to its last.

use super::format::{check_line, is_hex64};
use super::{LogError, VerifyReport, GENESIS, MAX_LINE_BYTES};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Verifies the log at `path` from its first line to its last.
///
/// `Err` only when the file cannot be read; a damaged log is
/// `Ok(VerifyReport::Broken { .. })` naming the first line that is malformed
/// or does not link to the line before it. An intact chain may still have
/// lost lines at its end: see [`verify_with_head`].
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, LogError> {
    verify_path(path.as_ref(), None)
}

/// [`verify`], also requiring that a line with `sha256` equal to
/// `expected_head_sha256` (a head recorded earlier, see
/// [`DecisionLog::head`]) is in the chain: if it is not, lines were removed
/// from the end or the log was rewritten. [`GENESIS`] is the head of the
/// empty log and is always found. Upper-case hex is accepted.
pub fn verify_with_head(
    path: impl AsRef<Path>,
    expected_head_sha256: &str,
) -> Result<VerifyReport, LogError> {
    let expected = expected_head_sha256.trim().to_ascii_lowercase();
    if !is_hex64(expected.as_bytes()) {
        return Err(LogError::InvalidHead(expected_head_sha256.to_string()));
    }
    verify_path(path.as_ref(), Some(&expected))
}

pub(super) fn verify_path(path: &Path, expected: Option<&str>) -> Result<VerifyReport, LogError> {
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    verify_reader(BufReader::with_capacity(1 << 16, file), expected).map_err(io_error)
}

/// [`verify`] over any reader (for instance standard input).
/// `expected_head_sha256`, if given, must be 64 lowercase hex digits to be
/// found.
pub fn verify_reader(
    mut reader: impl BufRead,
    expected_head_sha256: Option<&str>,
) -> io::Result<VerifyReport> {
    let mut prev = GENESIS.to_string();
    let mut entries: u64 = 0;
    let mut line_no: usize = 0;
    let mut found = expected_head_sha256.is_none_or(|e| e == GENESIS);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let broken = |reason: String| {
            Ok(VerifyReport::Broken {
                line: line_no,
                reason,
            })
        };
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
        let info = match check_line(&buf) {
            Ok(info) => info,
            Err(reason) => return broken(format!("the line {reason}")),
        };
        if info.seq != entries {
            return broken(format!(
                "seq is {}, expected {entries}: lines were removed, inserted or reordered",
                info.seq
            ));
        }
        if info.prev != prev {
            return broken(if line_no == 1 {
                "prev is not the genesis value (64 zeros): \
                 the log does not start at its first entry"
                    .to_string()
            } else {
                format!(
                    "prev does not match line {}: line {} was rewritten, \
                     or lines were removed, inserted or reordered",
                    line_no - 1,
                    line_no - 1
                )
            });
        }
        if expected_head_sha256 == Some(info.sha256.as_str()) {
            found = true;
        }
        prev = info.sha256;
        entries += 1;
    }
    if let (false, Some(expected)) = (found, expected_head_sha256) {
        return Ok(VerifyReport::Broken {
            line: line_no + 1,
            reason: format!(
                "the expected head {expected} is not in the log \
                 ({entries} entries, head {prev}): \
                 lines were removed from the end, or the log was rewritten"
            ),
        });
    }
    Ok(VerifyReport::Intact {
        entries,
        head_sha256: prev,
    })
}

/// One line for the CLI, e.g. `decision log ok: 1000 entries, head sha256 …`
/// or `decision log BROKEN at line 17: prev does not match line 16: …`.
pub fn render_report(report: &VerifyReport) -> String {
    match report {
        VerifyReport::Intact {
            entries,
            head_sha256,
        } => format!(
            "decision log ok: {entries} {}, head sha256 {head_sha256}",
            if *entries == 1 { "entry" } else { "entries" }
        ),
        VerifyReport::Broken { line, reason } => {
            format!("decision log BROKEN at line {line}: {reason}")
        }
    }
}
