//! Facts given as Python objects (a dict), written as the JSON text the
//! engine reads (language.md section 6), exactly: ints and `Decimal`s as
//! their digits, floats as their shortest round-trip text, dates as
//! "YYYY-MM-DD". Anything JSON cannot hold is an input problem naming its
//! path, never a crash (nesting is bounded, so a list that holds itself is
//! refused too).

use crate::errors::problem;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDate, PyDateAccess, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString,
    PyTimeAccess, PyTuple, PyType, PyTzInfoAccess,
};
use rulebook::FieldProblem;
use std::fmt::Write;

/// Deeper nesting than any policy's lists is refused (the rule language
/// nests lists of records; 64 levels is far beyond any of them).
const MAX_DEPTH: usize = 64;

const JSON_VALUE: &str =
    "a value JSON can hold (None, bool, int, float, str, Decimal, date, list or dict)";

/// The JSON text of a facts dict; a problem names the path of the value
/// that cannot be written.
pub fn facts_text(facts: &Bound<'_, PyAny>) -> Result<String, FieldProblem> {
    if facts.cast::<PyDict>().is_err() && facts.cast::<PyMapping>().is_err() {
        return Err(problem(
            String::new(),
            type_shown(facts),
            "a dict of facts (one entry per input field)",
        ));
    }
    let mut out = String::with_capacity(256);
    let mut path = Vec::new();
    write_value(facts, &mut out, &mut path)?;
    Ok(out)
}

/// One step of the path to a value: a key or a list index.
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

fn type_shown(obj: &Bound<'_, PyAny>) -> String {
    let name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    format!("a Python {name}")
}

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.import(py, "decimal", "Decimal")
}

fn write_value(
    obj: &Bound<'_, PyAny>,
    out: &mut String,
    path: &mut Vec<Step>,
) -> Result<(), FieldProblem> {
    let bad = |path: &[Step], value: String, expected: &str| problem(render(path), value, expected);
    if path.len() > MAX_DEPTH {
        return Err(bad(
            path,
            "a value nested too deeply".into(),
            "facts nested at most 64 levels deep",
        ));
    }
    if obj.is_none() {
        out.push_str("null");
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        out.push_str(if b.is_true() { "true" } else { "false" });
        return Ok(());
    }
    if obj.cast::<PyInt>().is_ok() {
        return write_int(obj, out).map_err(|_| bad(path, type_shown(obj), JSON_VALUE));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        if v.is_nan() {
            // pandas' "no value": unknown, like None
            out.push_str("null");
        } else if v.is_infinite() {
            return Err(bad(path, format!("{v}"), "a finite number"));
        } else {
            // shortest text that reads back as the same float, never with
            // an exponent: the number the person wrote
            let _ = write!(out, "{v}");
        }
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s
            .to_str()
            .map_err(|_| bad(path, "a str that is not valid UTF-8".into(), "text"))?;
        push_json_string(out, text);
        return Ok(());
    }
    // a datetime is a date too: check it first
    if let Ok(dt) = obj.cast::<PyDateTime>() {
        let midnight = dt.get_hour() == 0
            && dt.get_minute() == 0
            && dt.get_second() == 0
            && dt.get_microsecond() == 0;
        if !midnight || dt.get_tzinfo().is_some() {
            let shown = obj
                .str()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| type_shown(obj));
            return Err(bad(
                path,
                shown,
                "a date (a datetime only at midnight, without a time zone)",
            ));
        }
        let _ = write!(
            out,
            "\"{:04}-{:02}-{:02}\"",
            dt.get_year(),
            dt.get_month(),
            dt.get_day()
        );
        return Ok(());
    }
    if let Ok(d) = obj.cast::<PyDate>() {
        let _ = write!(
            out,
            "\"{:04}-{:02}-{:02}\"",
            d.get_year(),
            d.get_month(),
            d.get_day()
        );
        return Ok(());
    }
    let py = obj.py();
    if decimal_type(py).is_ok_and(|t| obj.is_instance(t).unwrap_or(false)) {
        return write_decimal(obj, out).map_err(|shown| bad(path, shown, "a finite number"));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return write_object(dict.items().iter(), out, path);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return write_array(list.iter(), out, path);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return write_array(tuple.iter(), out, path);
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let items = mapping
            .items()
            .map_err(|_| bad(path, type_shown(obj), JSON_VALUE))?;
        return write_object(items.iter(), out, path);
    }
    // pandas' missing markers, and numpy's scalars and arrays (a row of a
    // DataFrame as a dict holds these): their plain Python value
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    if type_name == "NAType" || type_name == "NaTType" {
        out.push_str("null");
        return Ok(());
    }
    let module = obj
        .get_type()
        .module()
        .map(|m| m.to_string())
        .unwrap_or_default();
    if module == "numpy" {
        let plain = obj
            .call_method0("tolist")
            .map_err(|_| bad(path, type_shown(obj), JSON_VALUE))?;
        if plain.get_type().is(obj.get_type()) {
            return Err(bad(path, type_shown(obj), JSON_VALUE));
        }
        return write_value(&plain, out, path);
    }
    Err(bad(path, type_shown(obj), JSON_VALUE))
}

fn write_int(obj: &Bound<'_, PyAny>, out: &mut String) -> PyResult<()> {
    if let Ok(v) = obj.extract::<i64>() {
        let _ = write!(out, "{v}");
        return Ok(());
    }
    // a big int (or an int subclass whose str is not its digits): the
    // digits of int(obj); the engine says whether it fits
    let plain = obj.py().get_type::<PyInt>().call1((obj,))?;
    let digits = plain.call_method0("__repr__")?;
    out.push_str(digits.cast::<PyString>()?.to_str()?);
    Ok(())
}

/// A `Decimal` as its digits (never an exponent); NaN is unknown.
fn write_decimal(obj: &Bound<'_, PyAny>, out: &mut String) -> Result<(), String> {
    let shown = || {
        obj.str()
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "a Decimal".into())
    };
    let is = |method: &str| {
        obj.call_method0(method)
            .and_then(|b| b.extract::<bool>())
            .unwrap_or(false)
    };
    if is("is_nan") {
        out.push_str("null");
        return Ok(());
    }
    if is("is_infinite") {
        return Err(shown());
    }
    // a Decimal is a value: 12.340 is 12.34 (as a decimal128 column of
    // any scale is read), and 1E+2 is written 100
    let text = obj
        .call_method0("normalize")
        .and_then(|n| {
            obj.py()
                .get_type::<PyString>()
                .call_method1("format", ("{:f}", n))
        })
        .and_then(|t| t.extract::<String>())
        .map_err(|_| shown())?;
    out.push_str(&text);
    Ok(())
}

fn write_object<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut String,
    path: &mut Vec<Step>,
) -> Result<(), FieldProblem> {
    out.push('{');
    for (n, item) in items.enumerate() {
        let pair = item
            .extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()
            .map_err(|_| problem(render(path), type_shown(&item), "a (key, value) pair"))?;
        let (key, value) = pair;
        let Ok(key) = key.cast::<PyString>() else {
            return Err(problem(
                render(path),
                format!("a key that is {}", type_shown(&key)),
                "str keys (fact names)",
            ));
        };
        let key = key
            .to_str()
            .map_err(|_| problem(render(path), "a key that is not UTF-8".into(), "str keys"))?;
        if n > 0 {
            out.push(',');
        }
        push_json_string(out, key);
        out.push(':');
        path.push(Step::Key(key.to_string()));
        write_value(&value, out, path)?;
        path.pop();
    }
    out.push('}');
    Ok(())
}

fn write_array<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut String,
    path: &mut Vec<Step>,
) -> Result<(), FieldProblem> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        path.push(Step::Index(i));
        write_value(&item, out, path)?;
        path.pop();
    }
    out.push(']');
    Ok(())
}

fn push_json_string(out: &mut String, s: &str) {
    // serde_json's escaping; writing a str cannot fail
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}
