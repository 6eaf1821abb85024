//! Host side of the ABI: typed facts -> fact records in linear memory, and
//! result records -> [`Outcome`]s.

use super::trap_msg;
use crate::abi::{self, DecisionKind, Layout, Meta, ValueType};
use crate::facts::{FactValue, Facts};
use crate::num;
use crate::outcome::{DecisionOutcome, EvalError, Outcome, Value};

/// Lays out `records` as they will sit in memory from address `base`:
/// the fact records, their texts and list elements, then room for the
/// results. Returns (records address, results address, end address).
pub fn write_records(
    meta: &Meta,
    records: &[Facts],
    base: u32,
    buf: &mut Vec<u8>,
) -> Result<(u32, u32, u64), EvalError> {
    buf.clear();
    let size = meta.input.size as usize;
    buf.resize(records.len() * size, 0);
    for (i, r) in records.iter().enumerate() {
        write_record(buf, base, i * size, &meta.input, &r.values);
    }
    align8(buf);
    let out = buf.len();
    buf.resize(out + records.len() * meta.result_size as usize, 0);
    let end = u64::from(base) + buf.len() as u64;
    if end > abi::MAX_PAGES * abi::PAGE {
        return Err(trap_msg(
            "the batch does not fit in the module's memory limit",
        ));
    }
    Ok((base, base + out as u32, end))
}

fn align8(buf: &mut Vec<u8>) {
    let n = buf.len().next_multiple_of(8);
    buf.resize(n, 0);
}

fn put_i64(buf: &mut [u8], at: usize, v: i64) {
    if let Some(dst) = buf.get_mut(at..at + 8) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

fn get_i64(data: &[u8], at: usize) -> Option<i64> {
    let b: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
    Some(i64::from_le_bytes(b))
}

fn get_i32(data: &[u8], at: usize) -> Option<i32> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_le_bytes(b))
}

fn write_record(
    buf: &mut Vec<u8>,
    base: u32,
    at: usize,
    layout: &Layout,
    values: &[Option<FactValue>],
) {
    for (i, field) in layout.fields.iter().enumerate() {
        let Some(Some(value)) = values.get(i) else {
            continue;
        };
        let (word, bit) = Layout::presence_bit(i);
        let w = at + word as usize;
        let old = get_i64(buf, w).unwrap_or(0);
        put_i64(buf, w, old | (1i64 << bit));
        let slot = match (value, &field.ty) {
            (FactValue::Bool(b), _) => i64::from(*b),
            (FactValue::Num(n), _) => *n,
            (FactValue::Text(t), _) => {
                let ptr = base as usize + buf.len();
                buf.extend_from_slice(t.as_bytes());
                (ptr as i64) | ((t.len() as i64) << 32)
            }
            (FactValue::List(items), ValueType::List { element }) => {
                align8(buf);
                let start = buf.len();
                let esize = element.size as usize;
                buf.resize(start + items.len() * esize, 0);
                for (j, item) in items.iter().enumerate() {
                    write_record(buf, base, start + j * esize, element, item);
                }
                ((base as usize + start) as i64) | ((items.len() as i64) << 32)
            }
            (FactValue::List(_), _) => 0,
        };
        put_i64(buf, at + field.offset as usize, slot);
    }
}

/// Appends the indices of the set bits of word `w` (usually none).
fn push_bits(out: &mut Vec<usize>, w: usize, mut bits: u64) {
    while bits != 0 {
        out.push(w * 64 + bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

/// Decodes the result record at `at`.
pub fn read_result(meta: &Meta, data: &[u8], at: usize, as_of: i32) -> Result<Outcome, EvalError> {
    let bad = || trap_msg("result record out of bounds");
    let status = get_i32(data, at).ok_or_else(bad)?;
    let site = get_i32(data, at + 4).ok_or_else(bad)?;
    if status != abi::STATUS_OK {
        return Err(error(meta, status, site, as_of));
    }
    let words = meta.missing_words as usize;
    let mut decisions = Vec::with_capacity(meta.decisions.len());
    for d in &meta.decisions {
        let off = at + d.offset as usize;
        let value = get_i64(data, off).ok_or_else(bad)?;
        let aux = get_i64(data, off + 8).ok_or_else(bad)?;
        let mut missing = Vec::new();
        for w in 0..words {
            let bits = get_i64(data, off + 16 + 8 * w).ok_or_else(bad)? as u64;
            push_bits(&mut missing, w, bits);
        }
        if !missing.is_empty() {
            decisions.push(DecisionOutcome {
                value: None,
                missing,
                reasons: Vec::new(),
                clause: None,
            });
            continue;
        }
        let v = match d.ty {
            ValueType::Bool => Value::Bool(value != 0),
            ValueType::Text => {
                let ptr = (value as u64 & 0xffff_ffff) as usize;
                let len = (value as u64 >> 32) as usize;
                let bytes = data.get(ptr..ptr + len).ok_or_else(bad)?;
                Value::Text(String::from_utf8_lossy(bytes).into_owned())
            }
            _ => Value::Num(value),
        };
        let mut reasons = Vec::new();
        if d.kind == DecisionKind::Requires {
            let base = off + 16 + 8 * words;
            for w in 0..d.reason_words as usize {
                let bits = get_i64(data, base + 8 * w).ok_or_else(bad)? as u64;
                push_bits(&mut reasons, w, bits);
            }
        }
        decisions.push(DecisionOutcome {
            value: Some(v),
            missing: Vec::new(),
            reasons,
            clause: (d.kind == DecisionKind::Whens).then_some(aux as usize),
        });
    }
    Ok(Outcome { decisions })
}

fn error(meta: &Meta, status: i32, site: i32, as_of: i32) -> EvalError {
    let idx = usize::try_from(site).unwrap_or(usize::MAX);
    let (context, line) = meta
        .sites
        .get(idx)
        .map_or((String::from("?"), 0), |s| (s.context.clone(), s.line));
    match status {
        abi::STATUS_OVERFLOW => EvalError::Overflow { context, line },
        abi::STATUS_DIVISION_BY_ZERO => EvalError::DivisionByZero { context, line },
        abi::STATUS_PARAM_UNDEFINED => {
            let p = meta.params.get(idx);
            EvalError::ParamUndefined {
                param: p.map_or_else(String::new, |p| p.name.clone()),
                as_of: num::format_date(as_of),
                first: p.and_then(|p| p.first_from.clone()).unwrap_or_default(),
            }
        }
        abi::STATUS_NO_CLAUSE => EvalError::NoClause {
            decision: meta
                .decisions
                .get(idx)
                .map_or_else(String::new, |d| d.name.clone()),
            as_of: num::format_date(as_of),
        },
        other => trap_msg(&format!("unknown status {other}")),
    }
}
