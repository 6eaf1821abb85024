//! `rulebook._native`: the Rust half of the `rulebook` Python package
//! (python/README.md). `rulebook/__init__.py` wraps [`NativePolicy`] in
//! the documented `rulebook.Policy`; the exceptions live in
//! `rulebook/errors.py`.

mod errors;
mod out;
mod pyjson;
mod read;
mod run;
mod write;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, Table, ToPyArrow};
use errors::Failure;
use errors::Kind;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDate, PyDateAccess, PyString};
use rulebook::meta::ValueType;
use rulebook::{Date, Policy};
use run::Plan;
use std::path::PathBuf;
use std::sync::Arc;

/// A compiled policy, ready to evaluate (`rulebook.Policy` wraps it).
#[pyclass(frozen, name = "NativePolicy", module = "rulebook._native")]
struct NativePolicy {
    plan: Arc<Plan>,
}

fn io_error(path: &std::path::Path, e: &std::io::Error) -> PyErr {
    let message = format!("{}: {e}", path.display());
    match e.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

fn compile_error(py: Python<'_>, e: &rulebook::CompileError) -> PyErr {
    errors::error(py, Kind::Compile, e.render().trim_end(), None, None)
}

fn load_error(py: Python<'_>, e: &rulebook::LoadError) -> PyErr {
    errors::error(py, Kind::Load, &e.to_string(), None, None)
}

impl NativePolicy {
    /// A policy made ready to run now (its module compiled to native
    /// code), so that the first evaluation is as fast as the others and a
    /// module that cannot load says so here.
    fn ready(py: Python<'_>, policy: Policy) -> PyResult<NativePolicy> {
        let loaded = py.detach(|| policy.load());
        loaded.map_err(|e| load_error(py, &e))?;
        let plan = Plan::new(policy).map_err(|e| errors::error(py, Kind::Load, &e, None, None))?;
        Ok(NativePolicy {
            plan: Arc::new(plan),
        })
    }

    fn policy(&self) -> &Policy {
        &self.plan.policy
    }
}

/// `as_of` given as "YYYY-MM-DD" or a `datetime.date`.
fn as_of_date(value: &Bound<'_, PyAny>) -> PyResult<Date> {
    let py = value.py();
    let bad = |shown: String| {
        let p = errors::problem(
            "as_of".into(),
            shown,
            "a date (\"YYYY-MM-DD\" or a datetime.date)",
        );
        errors::input_error(py, &[p], None)
    };
    if let Ok(s) = value.cast::<PyString>() {
        let text = s.to_str()?;
        return Date::parse(text).map_err(|_| bad(format!("{text:?}")));
    }
    if let Ok(d) = value.cast::<PyDate>() {
        let days = rulebook::__private::num::days_from_civil(
            d.get_year(),
            u32::from(d.get_month()),
            u32::from(d.get_day()),
        );
        return days.map(Date).ok_or_else(|| bad(format!("{d}")));
    }
    let name = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(bad(format!("a Python {name}")))
}

fn type_text(ty: &ValueType) -> String {
    match ty {
        ValueType::Bool => "bool".into(),
        ValueType::Int => "int".into(),
        ValueType::Decimal => "decimal".into(),
        ValueType::Money => "money".into(),
        ValueType::Date => "date".into(),
        ValueType::Text => "text".into(),
        ValueType::Enum { variants } => format!("enum({})", variants.join(", ")),
        ValueType::List { element } => {
            let fields: Vec<String> = element
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.name, type_text(&f.ty)))
                .collect();
            format!("list of {{{}}}", fields.join(", "))
        }
    }
}

/// The record batches of a pyarrow `RecordBatch` or `Table` (or anything
/// that exports Arrow data through the PyCapsule interface).
fn batches_of(data: &Bound<'_, PyAny>) -> PyResult<Vec<RecordBatch>> {
    if data.hasattr("__arrow_c_array__")? {
        return Ok(vec![RecordBatch::from_pyarrow_bound(data)?]);
    }
    if data.hasattr("__arrow_c_stream__")? {
        let (batches, _) = Table::from_pyarrow_bound(data)?.into_inner();
        return Ok(batches);
    }
    let name = data
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "evaluate_arrow takes a pyarrow Table or RecordBatch (one fact a column), not a {name}"
    )))
}

fn failure_error(py: Python<'_>, failure: Failure) -> PyErr {
    match failure {
        Failure::Column(p) => {
            let message = format!(
                "input error at {}: the column cannot be read: expected {}, got {}",
                p.path, p.expected, p.value
            );
            errors::error(py, Kind::Input, &message, None, Some(&p.path))
        }
        Failure::Duplicate(name) => errors::error(
            py,
            Kind::Input,
            &format!("input error at {name}: the table has two columns of this name"),
            None,
            Some(&name),
        ),
        Failure::Input { row, problems } => errors::input_error(py, &problems, Some(row)),
        Failure::Eval { row, message } => errors::error(
            py,
            Kind::Eval,
            &format!("row {row}: {message}"),
            Some(row),
            None,
        ),
        Failure::Load(message) => errors::error(py, Kind::Load, &message, None, None),
    }
}

#[pymethods]
impl NativePolicy {
    /// A policy from a `.rules` file or a `.wasm` module from `rulebook
    /// compile` (told apart by the file's first bytes).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<NativePolicy> {
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, &e))?;
        let shown = path.display().to_string();
        let policy = if bytes.starts_with(b"\0asm") {
            py.detach(|| Policy::from_wasm(&shown, bytes))
                .map_err(|e| load_error(py, &e))?
        } else {
            py.detach(|| Policy::from_bytes(&shown, &bytes))
                .map_err(|e| compile_error(py, &e))?
        };
        NativePolicy::ready(py, policy)
    }

    /// A policy from rule-file text.
    #[staticmethod]
    fn from_source(py: Python<'_>, path: &str, source: &str) -> PyResult<NativePolicy> {
        let policy = py
            .detach(|| Policy::from_source(path, source))
            .map_err(|e| compile_error(py, &e))?;
        NativePolicy::ready(py, policy)
    }

    /// A policy from the bytes of a compiled module.
    #[staticmethod]
    fn from_wasm(py: Python<'_>, path: &str, wasm: &Bound<'_, PyBytes>) -> PyResult<NativePolicy> {
        let bytes = wasm.as_bytes().to_vec();
        let policy = py
            .detach(|| Policy::from_wasm(path, bytes))
            .map_err(|e| load_error(py, &e))?;
        NativePolicy::ready(py, policy)
    }

    #[getter]
    fn name(&self) -> &str {
        self.policy().name()
    }

    #[getter]
    fn title(&self) -> Option<&str> {
        self.policy().meta().title.as_deref()
    }

    #[getter]
    fn version(&self) -> Option<&str> {
        self.policy().meta().version.as_deref()
    }

    /// SHA-256 of the rule file (of the module, for a policy loaded from one).
    #[getter]
    fn hash(&self) -> &str {
        self.policy().hash()
    }

    #[getter]
    fn path(&self) -> &str {
        self.policy().path()
    }

    /// The rule-file text; None for a policy loaded from a module.
    #[getter]
    fn source(&self) -> Option<&str> {
        let source = self.policy().source();
        (!source.is_empty()).then_some(source)
    }

    /// The compiled module's bytes (what `rulebook compile` writes).
    #[getter]
    fn wasm<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.policy().wasm())
    }

    /// The input fields and their types, in declaration order.
    fn inputs(&self) -> Vec<(String, String)> {
        self.policy()
            .meta()
            .input
            .fields
            .iter()
            .map(|f| (f.name.clone(), type_text(&f.ty)))
            .collect()
    }

    /// The decisions and their types, in source order.
    fn decisions(&self) -> Vec<(String, String)> {
        self.policy()
            .meta()
            .decisions
            .iter()
            .map(|d| (d.name.clone(), type_text(&d.ty)))
            .collect()
    }

    /// The decisions JSON text (language.md section 6) for facts given as
    /// a dict.
    fn evaluate_json(
        &self,
        py: Python<'_>,
        facts: &Bound<'_, PyAny>,
        as_of: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let as_of = as_of_date(as_of)?;
        let text = pyjson::facts_text(facts).map_err(|p| errors::input_error(py, &[p], None))?;
        let policy = self.policy();
        let result = py.detach(|| {
            let mut ignored = Vec::new();
            let facts = policy
                .parse_facts_noting(&text, &mut ignored)
                .map_err(rulebook::Error::from)?;
            let outcome = policy.evaluate(&facts, as_of)?;
            Ok::<_, rulebook::Error>(
                policy
                    .report(&outcome, as_of)
                    .with_ignored(&ignored)
                    .to_string(),
            )
        });
        result.map_err(|e| match e {
            rulebook::Error::Input(input) => errors::input_error(py, &input.problems, None),
            rulebook::Error::Load(load) => load_error(py, &load),
            rulebook::Error::Eval(rulebook::EvalError::Load(load)) => load_error(py, &load),
            other => errors::error(py, Kind::Eval, &other.to_string(), None, None),
        })
    }

    /// The `rulebook batch` columns for every row of a pyarrow Table or
    /// RecordBatch, as a pyarrow Table. `errors` is "column" (a bad row
    /// gets its message in `error` and nulls for its decisions) or "raise"
    /// (the first bad row raises InputError or EvalError).
    ///
    /// `threads` (default: every core) evaluate slices of 65,536 rows side
    /// by side.
    #[pyo3(signature = (data, as_of, errors = "column", threads = None))]
    fn evaluate_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        errors: &str,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let threads = match threads {
            Some(0) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "threads must be at least 1",
                ))
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let raise = match errors {
            "column" => false,
            "raise" => true,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "errors must be \"column\" or \"raise\", not {other:?}"
                )))
            }
        };
        let as_of = as_of_date(as_of)?;
        let batches = batches_of(data)?;
        let plan = &self.plan;
        let out = py
            .detach(|| plan.evaluate(&batches, as_of, raise, threads))
            .map_err(|f| failure_error(py, f))?;
        let table = Table::try_new(out, plan.schema())
            .map_err(|e| errors::error(py, Kind::Eval, &e.to_string(), None, None))?;
        table.into_pyarrow(py)
    }

    /// The Arrow types to give the inputs in (each field's
    /// `rulebook.type` metadata is its type in the rule file).
    fn input_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run::input_schema(&self.policy().meta().input).to_pyarrow(py)
    }

    /// The schema of `evaluate_arrow`'s output.
    fn output_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.plan.schema().as_ref().to_pyarrow(py)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativePolicy>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
