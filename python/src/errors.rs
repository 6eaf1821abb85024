//! Raising the package's own exceptions (`rulebook.errors`, pure Python,
//! so that they can inherit from `ValueError` and carry `row` and `field`)
//! from Rust.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rulebook::{FieldProblem, InputError};

/// Which exception of `rulebook.errors` to raise.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Compile,
    Load,
    Input,
    Eval,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::Compile => "CompileError",
            Kind::Load => "LoadError",
            Kind::Input => "InputError",
            Kind::Eval => "EvalError",
        }
    }
}

/// An exception of `kind` with `message`, the 1-based `row` of a table (when
/// the error is about one row) and the `field` path it is about.
pub fn error(
    py: Python<'_>,
    kind: Kind,
    message: &str,
    row: Option<usize>,
    field: Option<&str>,
) -> PyErr {
    build(py, kind, message, row, field, None)
}

/// An `InputError` for the problems of one record (of `row`, in a table).
pub fn input_error(py: Python<'_>, problems: &[FieldProblem], row: Option<usize>) -> PyErr {
    let rendered = InputError {
        problems: problems.to_vec(),
    }
    .to_string();
    let message = match row {
        Some(r) => format!("row {r}: {rendered}"),
        None => rendered,
    };
    let field = problems.first().map(|p| p.path.as_str());
    build(py, Kind::Input, &message, row, field, Some(problems))
}

fn build(
    py: Python<'_>,
    kind: Kind,
    message: &str,
    row: Option<usize>,
    field: Option<&str>,
    problems: Option<&[FieldProblem]>,
) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("rulebook.errors")?.getattr(kind.class_name())?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("row", row)?;
        kwargs.set_item("field", field)?;
        if let Some(problems) = problems {
            let list = PyList::empty(py);
            for p in problems {
                let d = PyDict::new(py);
                d.set_item("path", &p.path)?;
                d.set_item("value", &p.value)?;
                d.set_item("expected", &p.expected)?;
                list.append(d)?;
            }
            kwargs.set_item("problems", list)?;
        }
        Ok(PyErr::from_value(class.call((message,), Some(&kwargs))?))
    })();
    // Without the Python half of the package (the native module imported
    // on its own), plain built-in exceptions say the same.
    made.unwrap_or_else(|_| match kind {
        Kind::Input => PyValueError::new_err(message.to_string()),
        _ => PyRuntimeError::new_err(message.to_string()),
    })
}

/// One problem with one value: the same form as the JSON input errors.
pub fn problem(path: String, value: String, expected: impl Into<String>) -> FieldProblem {
    FieldProblem {
        path,
        value,
        expected: expected.into(),
        kind: rulebook::ProblemKind::Value,
    }
}

/// Why a table could not be evaluated at all, or (when asked to raise)
/// the first bad row.
pub enum Failure {
    /// A column that cannot hold its field's values.
    Column(FieldProblem),
    /// Two columns of one name.
    Duplicate(String),
    Input {
        row: usize,
        problems: Vec<FieldProblem>,
    },
    Eval {
        row: usize,
        message: String,
    },
    /// The module could not be loaded: no row can be evaluated.
    Load(String),
}
