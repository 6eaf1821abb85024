//! The explanation as plain sentences for the person decided about: each
//! decision first, then its reasons with their sources, then what would
//! change it. Amounts carry the currency sign, dates are written out, and
//! no JSON words appear; line numbers only when asked for.

use super::{Change, Explanation, Step};
use crate::abi::ValueType;
use crate::num;
use crate::policy::Policy;
use serde_json::Value as Json;
use std::fmt::Write;

pub(super) fn render(e: &Explanation, policy: &Policy, verbose: bool) -> String {
    let meta = policy.meta();
    let mut out = String::new();
    let title = meta.title.clone().unwrap_or_else(|| words(&meta.policy));
    let as_of = e
        .report
        .get("as_of")
        .and_then(Json::as_str)
        .map(long_date)
        .unwrap_or_default();
    let _ = writeln!(out, "{title}, on {as_of}");
    let changes = changes(e, policy);
    for d in &e.decisions {
        let Some(dm) = meta.decisions.iter().find(|m| m.name == d.name) else {
            continue;
        };
        let ty = &dm.ty;
        let value = e
            .report
            .get("decisions")
            .and_then(|x| x.get(&d.name))
            .and_then(|x| x.get("value"));
        out.push('\n');
        let name = capitalise(&words(&d.name));
        match value {
            Some(v) if !v.is_null() => {
                let _ = writeln!(out, "{name}: {}.", say(ty, v));
            }
            _ => {
                let _ = writeln!(out, "{name}: not decided yet.");
            }
        }
        reasons(&mut out, &d.why, value, verbose);
        if let Some(Json::Array(missing)) = e
            .report
            .get("decisions")
            .and_then(|x| x.get(&d.name))
            .and_then(|x| x.get("missing"))
        {
            if !missing.is_empty() {
                let names: Vec<String> =
                    missing.iter().filter_map(Json::as_str).map(words).collect();
                let _ = writeln!(out, "  It needs to know: {}.", names.join(", "));
            }
        }
        let lines = changes.iter().find(|(n, _)| n == &d.name).map(|(_, l)| l);
        for line in lines.into_iter().flatten() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// Each decision's `would_change` entries (and rates) as sentences.
pub(super) fn changes(e: &Explanation, policy: &Policy) -> Vec<(String, Vec<String>)> {
    let meta = policy.meta();
    let mut out = Vec::new();
    for d in &e.decisions {
        let Some(dm) = meta.decisions.iter().find(|m| m.name == d.name) else {
            continue;
        };
        let value = e
            .report
            .get("decisions")
            .and_then(|x| x.get(&d.name))
            .and_then(|x| x.get("value"));
        let known = value.is_some_and(|v| !v.is_null());
        let name = capitalise(&words(&d.name));
        let mut lines: Vec<String> = d
            .would_change
            .iter()
            .map(|c| would(&name, &dm.ty, c, meta, known, value))
            .collect();
        lines.extend(d.rates.iter().map(|r| rate(&dm.ty, r, meta)));
        out.push((d.name.clone(), lines));
    }
    out
}

fn rate(
    ty: &ValueType,
    (fact, each, by): &(String, Json, Json),
    meta: &crate::abi::Meta,
) -> String {
    let fty = meta
        .input
        .fields
        .iter()
        .find(|f| &f.name == fact)
        .map(|f| &f.ty);
    let each = fty.map(|t| say(t, each)).unwrap_or_default();
    let by_text = say(ty, by);
    let (verb, amount) = match by_text.strip_prefix('-') {
        Some(rest) => ("lowers", rest.to_string()),
        None => ("raises", by_text.clone()),
    };
    format!("Each {each} more of {} {verb} it by {amount}.", words(fact))
}

fn reasons(out: &mut String, why: &[Step], value: Option<&Json>, verbose: bool) {
    let failed = value == Some(&Json::Bool(false));
    for s in why {
        let counts = match s.kind {
            "require" => failed && s.result == Some(Json::Bool(false)),
            "when" | "otherwise" => s.result == Some(Json::Bool(true)) && s.because.is_some(),
            _ => false,
        };
        if !counts {
            continue;
        }
        let reason = s.because.clone().unwrap_or_else(|| s.text.clone());
        let mut line = format!("  Because: {reason}");
        if let Some(src) = &s.source {
            let _ = write!(line, " ({src})");
        }
        if verbose {
            let _ = write!(line, " [line {}]", s.line);
        }
        out.push_str(&line);
        out.push_str(".\n");
    }
}

fn would(
    name: &str,
    ty: &ValueType,
    c: &Change,
    meta: &crate::abi::Meta,
    known: bool,
    now: Option<&Json>,
) -> String {
    let sets: Vec<String> = c
        .set
        .iter()
        .map(|(f, v)| {
            let fty = meta
                .input
                .fields
                .iter()
                .find(|x| &x.name == f)
                .map(|x| &x.ty);
            let v = fty.map(|t| say(t, v)).unwrap_or_else(|| v.to_string());
            format!("{} were {v}", words(f))
        })
        .collect();
    let mut to = say(ty, &c.to);
    if now == Some(&c.to) {
        // the same value by another `when` clause
        to = match &c.clause_because {
            Some(b) => format!("{to} by another rule ({b})"),
            None => format!("{to} by another rule"),
        };
    }
    let mut s = if known {
        format!("{name} would be {to} if {}", sets.join(" and "))
    } else {
        format!("{name} would be {to} if {}", sets.join(" and ")).replacen(" were ", " is ", 1)
    };
    if let Some(b) = &c.because {
        let _ = write!(s, " ({b})");
    }
    if c.note.is_some() {
        s.push_str("; no single answer changes it");
    }
    s.push('.');
    s
}

/// A value as a person reads it.
fn say(t: &ValueType, v: &Json) -> String {
    match (t, v) {
        (_, Json::Bool(true)) => "yes".into(),
        (_, Json::Bool(false)) => "no".into(),
        (ValueType::Money, Json::String(s)) => match s.strip_prefix('-') {
            Some(rest) => format!("-£{}", thousands(rest)),
            None => format!("£{}", thousands(s)),
        },
        (ValueType::Date, Json::String(s)) => long_date(s),
        (ValueType::Enum { .. }, Json::String(s)) => words(s),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// `1234.50` as `1,234.50`.
fn thousands(s: &str) -> String {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut out = String::new();
    for (k, ch) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// `2026-11-27` as `27 November 2026`.
fn long_date(s: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match num::parse_date(s) {
        Some(days) => {
            let (y, m, d) = num::civil_from_days(days);
            let month = MONTHS
                .get((m as usize).wrapping_sub(1))
                .copied()
                .unwrap_or("?");
            format!("{d} {month} {y}")
        }
        None => s.to_string(),
    }
}

fn words(name: &str) -> String {
    name.replace("[]", "").replace(['_', '.'], " ")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
