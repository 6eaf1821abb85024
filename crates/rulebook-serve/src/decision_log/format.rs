//! The line format: formatting entries, embedding JSON texts, hashing,
//! checking one line on its own, and timestamps.

use super::{Entry, LogError, MAX_JSON_DEPTH, MAX_LINE_BYTES};
use rulebook::__private::LabelledKey;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

/// `,"sha256":"` (the seal of a line of a log without key).
pub(super) const SHA256_FIELD: &[u8] = b",\"sha256\":\"";
/// `,"hmac":"` (the seal of a line of a keyed log).
pub(super) const HMAC_FIELD: &[u8] = b",\"hmac\":\"";
pub(super) const SUFFIX_END: &[u8] = b"\"}";
/// The longest seal: `,"sha256":"` + 64 hex digits + `"}`.
pub(super) const SUFFIX_LEN: usize = 77;
/// `{"seq":` + at most 20 digits + `,"prev":"` + 64 hex digits + `"`.
pub(super) const PREFIX_MAX: usize = 101;
/// The label under which the chain key is derived from the key given
/// (the same key also keys other hashes, under other labels).
const CHAIN_LABEL: &[u8] = b"rulebook decision-log chain v1";
/// The longest event kind.
pub(super) const MAX_EVENT_KIND: usize = 64;

/// The key that seals the lines of a keyed log: HMAC-SHA256(key,
/// [`CHAIN_LABEL`]) of the key the operator gave.
#[derive(Clone)]
pub(super) struct ChainKey(LabelledKey);

impl ChainKey {
    /// Derives the chain key; refuses an empty key or one shorter than
    /// [`MIN_KEY_BYTES`](super::MIN_KEY_BYTES) bytes.
    pub(super) fn derive(key: &[u8]) -> Result<ChainKey, LogError> {
        if key.len() < super::MIN_KEY_BYTES {
            return Err(LogError::InvalidKey(format!(
                "the key is {} bytes long; a decision log key must have at least {} bytes",
                key.len(),
                super::MIN_KEY_BYTES
            )));
        }
        LabelledKey::derive(key, CHAIN_LABEL)
            .map(ChainKey)
            .ok_or_else(|| LogError::InvalidKey("the key cannot key HMAC-SHA256".into()))
    }

    fn seal_hex(&self, body: &[u8]) -> String {
        self.0.hex(&[body])
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

/// One admin event to log, in the same chain as the decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// What happened: `reload`, `rollback`, `shadow`, `start`, `stop`, …
    /// (1 to 64 characters among `a-z`, `0-9`, `_`, `-` and `.`).
    pub kind: &'a str,
    /// The details, a JSON object text, checked and embedded like
    /// [`Entry::facts`].
    pub details: &'a str,
}

/// Formats `,"time":…,"event":…,"details":{…}`.
pub(super) fn format_event_tail(event: &Event<'_>, now: SystemTime) -> Result<Vec<u8>, LogError> {
    let kind_ok = !event.kind.is_empty()
        && event.kind.len() <= MAX_EVENT_KIND
        && event
            .kind
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.'));
    if !kind_ok {
        return Err(LogError::InvalidEntry(format!(
            "event kind {:?} is not 1 to {MAX_EVENT_KIND} characters among a-z, 0-9, _, - and .",
            event.kind
        )));
    }
    let details = embeddable_json("details", event.details)?;
    if !details.starts_with('{') {
        return Err(LogError::InvalidEntry(
            "details is not a JSON object".to_string(),
        ));
    }
    let mut out = Vec::with_capacity(64 + event.kind.len() + details.len());
    out.extend_from_slice(b",\"time\":\"");
    out.extend_from_slice(format_timestamp(now).as_bytes());
    out.extend_from_slice(b"\",\"event\":");
    push_json_string(&mut out, event.kind);
    out.extend_from_slice(b",\"details\":");
    out.extend_from_slice(details.as_bytes());
    check_length(&out)?;
    Ok(out)
}

fn check_length(tail: &[u8]) -> Result<(), LogError> {
    if PREFIX_MAX + tail.len() + SUFFIX_LEN > MAX_LINE_BYTES {
        return Err(LogError::InvalidEntry(format!(
            "the entry would be {} bytes long, more than the {MAX_LINE_BYTES} a line may have",
            PREFIX_MAX + tail.len() + SUFFIX_LEN
        )));
    }
    Ok(())
}

/// Appends the complete line `{"seq":SEQ,"prev":"PREV"TAIL,"sha256":"…"}\n`
/// (`"hmac"` with a key) to `out`; returns the seal (the next line's `prev`).
pub(super) fn push_line(
    out: &mut Vec<u8>,
    seq: u64,
    prev: &str,
    tail: &[u8],
    key: Option<&ChainKey>,
) -> String {
    let start = out.len();
    out.extend_from_slice(b"{\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b",\"prev\":\"");
    out.extend_from_slice(prev.as_bytes());
    out.push(b'"');
    out.extend_from_slice(tail);
    // `start` was `out.len()` before the pushes above: in bounds
    let body = out.get(start..).unwrap_or_default();
    let (field, seal) = match key {
        Some(key) => (HMAC_FIELD, key.seal_hex(body)),
        None => (SHA256_FIELD, sha256_hex(body)),
    };
    out.extend_from_slice(field);
    out.extend_from_slice(seal.as_bytes());
    out.extend_from_slice(SUFFIX_END);
    out.push(b'\n');
    seal
}

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
    check_length(&out)?;
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

/// Appends `s` as a JSON string literal (escaped as the reports are).
pub(super) fn push_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    rulebook::__private::escape_json(s, |piece| out.extend_from_slice(piece.as_bytes()));
    out.push(b'"');
}

pub(super) use rulebook::sha256_hex;

/// The fields of a line, as [`check_line`] reads them: a decision has
/// `policy` … `result`, an event has `event` and `details`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFields<'a> {
    seq: u64,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow, default)]
    policy: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    as_of: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    facts: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    details: Option<&'a RawValue>,
    #[serde(borrow, default)]
    sha256: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hmac: Option<Cow<'a, str>>,
}

/// A JSON value that is there (`null` included), for `Option<&RawValue>`
/// fields whose absence is `None`.
fn present<'de: 'a, 'a, D>(d: D) -> Result<Option<&'a RawValue>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    <&'a RawValue as Deserialize<'de>>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LineInfo {
    pub(super) seq: u64,
    pub(super) prev: String,
    /// The line's seal: its `sha256`, or its `hmac` in a keyed log.
    pub(super) sha256: String,
    /// An admin event rather than a decision.
    pub(super) event: bool,
}

/// Why a line does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineError {
    /// The line is sealed with an `hmac` and no key was given.
    NeedsKey,
    /// The line is sealed with a plain `sha256` and a key was given.
    NotKeyed,
    /// Anything else; the text completes "the line …".
    Bad(String),
}

impl LineError {
    /// The reason, completing "the line …".
    pub(super) fn reason(&self) -> String {
        match self {
            LineError::NeedsKey => "is sealed with an hmac: the log is keyed, \
                 and can only be checked with its key"
                .to_string(),
            LineError::NotKeyed => "is sealed with a plain sha256, not an hmac: \
                 it was not written with the key (the log is not keyed, \
                 or the line was added by someone without the key)"
                .to_string(),
            LineError::Bad(reason) => reason.clone(),
        }
    }
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

/// Checks one line (without its '\n') on its own: shape, own seal (the
/// `sha256`, or with `key` the `hmac`), fields.
pub(super) fn check_line(line: &[u8], key: Option<&ChainKey>) -> Result<LineInfo, LineError> {
    let bad = |s: &str| Err(LineError::Bad(s.to_string()));
    let shape_error = "does not end with ,\"sha256\":\"<64 lowercase hex digits>\"} \
         or ,\"hmac\":\"<64 lowercase hex digits>\"} \
         (it is not a decision log entry, or it was modified)";
    let Some(rest) = line.strip_suffix(SUFFIX_END) else {
        return bad(shape_error);
    };
    let Some(hex_start) = rest.len().checked_sub(64) else {
        return bad(shape_error);
    };
    let (rest, seal) = rest.split_at(hex_start);
    let (body, keyed) = if let Some(body) = rest.strip_suffix(SHA256_FIELD) {
        (body, false)
    } else if let Some(body) = rest.strip_suffix(HMAC_FIELD) {
        (body, true)
    } else {
        return bad(shape_error);
    };
    if body.is_empty() || !is_hex64(seal) {
        return bad(shape_error);
    }
    let computed = match (keyed, key) {
        (true, None) => return Err(LineError::NeedsKey),
        (false, Some(_)) => return Err(LineError::NotKeyed),
        (true, Some(key)) => key.seal_hex(body),
        (false, None) => sha256_hex(body),
    };
    if computed.as_bytes() != seal {
        return bad(if keyed {
            "has been modified: its hmac does not match its content \
             (or the key is not the one the log was written with)"
        } else {
            "has been modified: its sha256 does not match its content"
        });
    }
    let text =
        std::str::from_utf8(line).map_err(|_| LineError::Bad("is not valid UTF-8".into()))?;
    let fields: LineFields<'_> = serde_json::from_str(text)
        .map_err(|e| LineError::Bad(format!("is not a valid entry: {e}")))?;
    let (last, other, name) = if keyed {
        (&fields.hmac, &fields.sha256, "hmac")
    } else {
        (&fields.sha256, &fields.hmac, "sha256")
    };
    if last.as_deref().map(str::as_bytes) != Some(seal) || other.is_some() {
        return Err(LineError::Bad(format!(
            "is not a valid entry: {name} is not its only seal and last field"
        )));
    }
    if !is_hex64(fields.prev.as_bytes()) {
        return bad("is not a valid entry: prev is not 64 lowercase hex digits");
    }
    if !is_timestamp(&fields.time) {
        return bad("is not a valid entry: time is not of the form YYYY-MM-DDTHH:MM:SS.mmmZ");
    }
    let decision = [
        ("policy", fields.policy.is_some()),
        ("hash", fields.hash.is_some()),
        ("as_of", fields.as_of.is_some()),
        ("facts", fields.facts.is_some()),
        ("result", fields.result.is_some()),
    ];
    let event = match (&fields.event, fields.details) {
        (None, None) => {
            if let Some((missing, _)) = decision.iter().find(|(_, there)| !there) {
                return Err(LineError::Bad(format!(
                    "is not a valid entry: missing field `{missing}`"
                )));
            }
            false
        }
        (Some(kind), Some(details)) => {
            if let Some((field, _)) = decision.iter().find(|(_, there)| *there) {
                return Err(LineError::Bad(format!(
                    "is not a valid entry: an event line has a `{field}` field"
                )));
            }
            if kind.is_empty() || kind.len() > MAX_EVENT_KIND {
                return bad("is not a valid entry: the event kind is empty or too long");
            }
            if !details.get().starts_with('{') {
                return bad("is not a valid entry: details is not an object");
            }
            true
        }
        (Some(_), None) => return bad("is not a valid entry: missing field `details`"),
        (None, Some(_)) => return bad("is not a valid entry: missing field `event`"),
    };
    Ok(LineInfo {
        seq: fields.seq,
        prev: fields.prev.into_owned(),
        sha256: computed,
        event,
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
    let Some((year, month, day)) = civil_from_days(ms.div_euclid(DAY_MS)) else {
        // SystemTime this far from 1970 does not occur on a real clock
        return format!("{ms} ms since 1970-01-01T00:00:00Z");
    };
    let in_day = ms.rem_euclid(DAY_MS);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day), by the
/// core's calendar ([`rulebook::__private::num::civil_from_days`]); a day count beyond
/// its range (millions of years away) is refused rather than wrapped.
pub(super) fn civil_from_days(days: i64) -> Option<(i64, u32, u32)> {
    let days = i32::try_from(days).ok()?;
    let (y, m, d) = rulebook::__private::num::civil_from_days(days);
    Some((i64::from(y), m, d))
}
