//! The line format: formatting entries, embedding JSON texts, hashing,
//! checking one line on its own, and timestamps.

use super::{Entry, LogError, MAX_JSON_DEPTH, MAX_LINE_BYTES};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

/// `,"sha256":"` + 64 hex digits + `"}`.
pub(super) const SUFFIX_LEN: usize = 77;
pub(super) const SUFFIX_START: &[u8] = b",\"sha256\":\"";
pub(super) const SUFFIX_END: &[u8] = b"\"}";
/// `{"seq":` + at most 20 digits + `,"prev":"` + 64 hex digits + `"`.
pub(super) const PREFIX_MAX: usize = 101;

/// Formats `,"time":…,"policy":…,"hash":…,"as_of":…,"facts":…,"result":…`.
pub(super) fn format_tail(entry: &Entry<'_>, now: SystemTime) -> Result<Vec<u8>, LogError> {
    let facts = embeddable_json("facts", entry.facts)?;
    let result = embeddable_json("result", entry.result)?;
    let mut out = Vec::with_capacity(
        96 + entry.policy.len() + entry.hash.len() + entry.as_of.len() + facts.len() + result.len(),
    );
    out.extend_from_slice(b",\"time\":\"");
    out.extend_from_slice(format_timestamp(now).as_bytes());
    out.extend_from_slice(b"\",\"policy\":");
    push_json_string(&mut out, entry.policy);
    out.extend_from_slice(b",\"hash\":");
    push_json_string(&mut out, entry.hash);
    out.extend_from_slice(b",\"as_of\":");
    push_json_string(&mut out, entry.as_of);
    out.extend_from_slice(b",\"facts\":");
    out.extend_from_slice(facts.as_bytes());
    out.extend_from_slice(b",\"result\":");
    out.extend_from_slice(result.as_bytes());
    if PREFIX_MAX + out.len() + SUFFIX_LEN > MAX_LINE_BYTES {
        return Err(LogError::InvalidEntry(format!(
            "the entry would be {} bytes long, more than the {MAX_LINE_BYTES} a line may have",
            PREFIX_MAX + out.len() + SUFFIX_LEN
        )));
    }
    Ok(out)
}

/// Checks that `text` is one JSON value nested at most [`MAX_JSON_DEPTH`]
/// deep, and returns it without surrounding whitespace, and without any
/// whitespace outside strings if it has line breaks.
pub(super) fn embeddable_json<'a>(field: &str, text: &'a str) -> Result<Cow<'a, str>, LogError> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| LogError::InvalidEntry(format!("{field} is not valid JSON: {e}")))?;
    let value = raw.get();
    let bytes = value.as_bytes();
    // Fewer opening brackets in all than the limit (the usual case, counted
    // fast) cannot nest deeper; otherwise measure the depth outside strings.
    let openings = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if openings > MAX_JSON_DEPTH {
        let depth = nesting_depth(bytes);
        if depth > MAX_JSON_DEPTH {
            return Err(LogError::InvalidEntry(format!(
                "{field} is nested {depth} deep, more than the {MAX_JSON_DEPTH} allowed"
            )));
        }
    }
    let line_break = bytes.iter().any(|&b| b == b'\n' || b == b'\r');
    if !line_break {
        return Ok(Cow::Borrowed(value));
    }
    // Valid JSON has no raw control characters inside strings: every line
    // break is whitespace between tokens.
    let mut compact = String::with_capacity(value.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        compact.push(c);
    }
    Ok(Cow::Owned(compact))
}

/// The deepest nesting of arrays and objects in a valid JSON text.
pub(super) fn nesting_depth(json: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max_depth
}

/// Appends `s` as a JSON string literal.
pub(super) fn push_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The fields of a line, as [`check_line`] reads them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LineFields<'a> {
    seq: u64,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow, rename = "policy")]
    _policy: Cow<'a, str>,
    #[serde(borrow, rename = "hash")]
    _hash: Cow<'a, str>,
    #[serde(borrow, rename = "as_of")]
    _as_of: Cow<'a, str>,
    #[serde(borrow, rename = "facts")]
    _facts: &'a RawValue,
    #[serde(borrow, rename = "result")]
    _result: &'a RawValue,
    #[serde(borrow)]
    sha256: Cow<'a, str>,
}

pub(super) struct LineInfo {
    pub(super) seq: u64,
    pub(super) prev: String,
    pub(super) sha256: String,
}

pub(super) fn is_hex64(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(super) fn is_timestamp(s: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == SHAPE.len()
        && s.bytes().zip(SHAPE).all(|(b, &want)| {
            if want == b'd' {
                b.is_ascii_digit()
            } else {
                b == want
            }
        })
}

/// Checks one line (without its '\n') on its own: shape, own hash, fields.
/// The error completes "the line …" / "line N: …".
pub(super) fn check_line(line: &[u8]) -> Result<LineInfo, String> {
    let shape_error = || {
        "does not end with ,\"sha256\":\"<64 lowercase hex digits>\"} \
         (it is not a decision log entry, or it was modified)"
            .to_string()
    };
    let Some(body_len) = line.len().checked_sub(SUFFIX_LEN) else {
        return Err(shape_error());
    };
    let (body, suffix) = line.split_at(body_len);
    let hex = suffix
        .get(SUFFIX_START.len()..SUFFIX_LEN - SUFFIX_END.len())
        .unwrap_or_default();
    if body.is_empty()
        || !suffix.starts_with(SUFFIX_START)
        || !suffix.ends_with(SUFFIX_END)
        || !is_hex64(hex)
    {
        return Err(shape_error());
    }
    let computed = sha256_hex(body);
    if computed.as_bytes() != hex {
        return Err("has been modified: its sha256 does not match its content".to_string());
    }
    let text = std::str::from_utf8(line).map_err(|_| "is not valid UTF-8".to_string())?;
    let fields: LineFields<'_> =
        serde_json::from_str(text).map_err(|e| format!("is not a valid entry: {e}"))?;
    if fields.sha256.as_bytes() != hex {
        return Err("is not a valid entry: sha256 is not its last field".to_string());
    }
    if !is_hex64(fields.prev.as_bytes()) {
        return Err("is not a valid entry: prev is not 64 lowercase hex digits".to_string());
    }
    if !is_timestamp(&fields.time) {
        return Err(
            "is not a valid entry: time is not of the form YYYY-MM-DDTHH:MM:SS.mmmZ".to_string(),
        );
    }
    Ok(LineInfo {
        seq: fields.seq,
        prev: fields.prev.into_owned(),
        sha256: computed,
    })
}

/// `t` in RFC 3339 UTC with milliseconds, e.g. `2026-11-27T15:20:11.123Z`
/// (the time of the `time` field). Times before 1970 are supported; years
/// past 9999 are written with more digits.
pub fn format_timestamp(t: SystemTime) -> String {
    let ms: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => {
            // Round towards the past: 0.5 ms before 1970 is 23:59:59.999.
            let d = e.duration();
            let whole = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            i64::try_from(whole).map(|m| -m).unwrap_or(i64::MIN)
        }
    };
    const DAY_MS: i64 = 86_400_000;
    let (year, month, day) = civil_from_days(ms.div_euclid(DAY_MS));
    let in_day = ms.rem_euclid(DAY_MS);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day); the
/// inverse of days-from-civil (H. Hinnant, "chrono-compatible low-level date
/// algorithms").
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}
