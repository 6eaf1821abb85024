//! Rulebook: policy rules as programs.
//!
//! A rule file (`.rules`, see docs/language.md) is parsed (`syntax`),
//! checked into a typed [`program::Program`] (`check`), and evaluated on
//! facts ([`facts`]) by an engine ([`interp`] for now), producing an
//! [`outcome::Outcome`] that [`report`] turns into the decisions JSON.
//!
//! ```
//! use rulebook::{Date, Policy};
//!
//! let policy = Policy::from_source("adult.rules", r#"
//!     policy adult
//!     input { age: int }
//!     decision adult: bool
//!       require age >= 18 because "Must be 18 or over"
//! "#).unwrap();
//! let out = policy.evaluate_json(r#"{"age": 16}"#, Date::parse("2026-01-01").unwrap()).unwrap();
//! assert_eq!(out["decisions"]["adult"]["value"], false);
//! assert_eq!(out["decisions"]["adult"]["reasons"][0]["because"], "Must be 18 or over");
//!
//! // Unknown facts: the decision names what it still needs.
//! let out = policy.evaluate_json("{}", Date::parse("2026-01-01").unwrap()).unwrap();
//! assert_eq!(out["missing"], serde_json::json!(["age"]));
//! ```

pub mod abi;
mod ast;
mod check;
mod codegen;
pub mod diagnostic;
pub mod digest;
pub mod facts;
pub mod interp;
pub mod num;
pub mod outcome;
pub mod personal;
pub mod program;
pub mod report;
pub mod runtime;
pub use runtime::batch;
mod syntax;

use abi::Meta;
pub use ast::Span;
use diagnostic::Diagnostic;
pub use digest::sha256_hex;
pub use facts::{Facts, InputError};
pub use num::Date;
pub use outcome::ValueRef;
pub use outcome::{EvalError, Outcome};
pub use personal::PersonalKeyMissing;
pub use runtime::{BatchResults, DecisionView, LoadError, RecordView};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// A rule file that did not compile: every diagnostic found, with the source
/// to render them against.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// The diagnostics as `path:line:col: error: ...` with source lines and carets.
    pub fn render(&self) -> String {
        diagnostic::render(&self.path, &self.source, &self.diagnostics)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for CompileError {}

/// Every way using a policy can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Compile(#[from] CompileError),
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Eval(#[from] EvalError),
}

/// Which engine evaluates a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// The compiled WebAssembly module under wasmtime (the default).
    #[default]
    Wasm,
    /// The reference interpreter (needs the policy's source).
    Interpreter,
}

/// A policy ready to evaluate: checked, compiled to WebAssembly, and (on
/// first use) loaded into wasmtime. Cheap to clone and share across threads.
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The checked program; None for a policy loaded from a `.wasm` file.
    program: Option<program::Program>,
    meta: Arc<Meta>,
    wasm: Vec<u8>,
    /// Set once loading succeeds; a failed load is tried again on the next
    /// use (its cause, such as an address-space limit, may pass).
    loaded: OnceLock<runtime::LoadedModule>,
    path: String,
    warnings: Vec<Diagnostic>,
    source: String,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

impl batch::Batch {
    /// An empty batch for a policy's inputs.
    pub fn new(policy: &Policy) -> batch::Batch {
        batch::Batch::for_meta(policy.shared_meta())
    }
}

/// The diagnostic of a program the code generator refused.
fn refusal(program: &program::Program, refused: codegen::Refused) -> Diagnostic {
    match refused {
        codegen::Refused::TooLarge(item) => {
            let (what, name, span) = match item {
                program::Computed::Define(i) => match program.defines.get(i) {
                    Some(d) => ("define", d.name.as_str(), d.expr.span),
                    None => ("define", "?", Span::default()),
                },
                program::Computed::Decision(i) => match program.decisions.get(i) {
                    Some(d) => ("decision", d.name.as_str(), d.span),
                    None => ("decision", "?", Span::default()),
                },
            };
            Diagnostic::error(
                span,
                format!(
                    "{what} `{name}` is too large to compile: it needs more than {} values \
                     in one function, the most a WebAssembly engine allows; split it into \
                     several defines",
                    codegen::MAX_LOCALS
                ),
            )
        }
        codegen::Refused::Invalid(e) => Diagnostic::error(
            Span::default(),
            format!("internal error: the compiled module is not valid WebAssembly ({e}); please report this policy"),
        ),
    }
}

impl Policy {
    /// Checks and compiles rule-file bytes; `path` names the file in diagnostics.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Policy, CompileError> {
        let hash = sha256_hex(bytes);
        let source = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(e) => {
                let at = e.valid_up_to();
                return Err(CompileError {
                    path: path.to_string(),
                    source: String::from_utf8_lossy(bytes).into_owned(),
                    diagnostics: vec![Diagnostic::error(
                        ast::Span::new(at, at + 1),
                        "the file is not valid UTF-8 text",
                    )],
                });
            }
        };
        let fail = |diagnostics| CompileError {
            path: path.to_string(),
            source: source.clone(),
            diagnostics,
        };
        let file = match syntax::parse_recovering(&source) {
            Ok(file) => file,
            Err(recovered) => {
                // a syntax error in one item does not hide the errors of the others
                let mut diagnostics = recovered.errors;
                if let Some(file) = &recovered.file {
                    if let Err(more) = check::check(file, &source) {
                        let lost = |d: &Diagnostic| {
                            recovered
                                .lost_names
                                .iter()
                                .any(|n| d.message.starts_with(&format!("unknown name `{n}`")))
                        };
                        diagnostics.extend(more.into_iter().filter(|d| d.is_error() && !lost(d)));
                    }
                }
                diagnostics.sort_by_key(|d| d.span.start);
                return Err(fail(diagnostics));
            }
        };
        let (program, warnings) = check::check(&file, &source).map_err(fail)?;
        let compiled = codegen::compile(&program, &hash)
            .map_err(|refused| fail(vec![refusal(&program, refused)]))?;
        Ok(Policy {
            inner: Arc::new(Inner {
                program: Some(program),
                meta: Arc::new(compiled.meta),
                wasm: compiled.wasm,
                loaded: OnceLock::new(),
                path: path.to_string(),
                warnings,
                source,
            }),
        })
    }

    /// The same policy with its record evaluation split into one function
    /// an item, as a large policy's is: for tests of those code paths on
    /// small policies. Not part of the API. `None` for a policy loaded from
    /// a compiled module, or when the split module is refused.
    #[doc(hidden)]
    pub fn split_every_item(&self) -> Option<Policy> {
        let program = self.inner.program.as_ref()?;
        let hash = &self.inner.meta.hash;
        let compiled = codegen::compile_with(program, hash, codegen::Split::EveryItem).ok()?;
        Some(Policy {
            inner: Arc::new(Inner {
                program: Some(program.clone()),
                meta: Arc::new(compiled.meta),
                wasm: compiled.wasm,
                loaded: OnceLock::new(),
                path: self.inner.path.clone(),
                warnings: self.inner.warnings.clone(),
                source: self.inner.source.clone(),
            }),
        })
    }

    /// Checks and compiles rule-file text.
    pub fn from_source(path: &str, source: &str) -> Result<Policy, CompileError> {
        Self::from_bytes(path, source.as_bytes())
    }

    /// Reads, checks and compiles a rule file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        Ok(Self::from_bytes(&path.display().to_string(), &bytes)?)
    }

    /// A policy from a compiled module (`rulebook compile`), without its source:
    /// the metadata and ABI version are checked and the module is loaded now.
    ///
    /// The policy is identified by the module's own bytes: its [`hash`](Policy::hash)
    /// is the SHA-256 of `wasm`, never the source hash the metadata claims
    /// (a module's metadata is only a claim: anyone can write any hash into it).
    pub fn from_wasm(path: &str, wasm: Vec<u8>) -> Result<Policy, LoadError> {
        let mut meta = runtime::read_meta(&wasm)?;
        meta.hash = sha256_hex(&wasm);
        let meta = Arc::new(meta);
        let loaded = runtime::LoadedModule::new_cached(&wasm, meta.clone())?;
        let cell = OnceLock::new();
        let _ = cell.set(loaded);
        Ok(Policy {
            inner: Arc::new(Inner {
                program: None,
                meta,
                wasm,
                loaded: cell,
                path: path.to_string(),
                warnings: Vec::new(),
                source: String::new(),
            }),
        })
    }

    /// Reads a compiled module from disk.
    pub fn from_wasm_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        Ok(Self::from_wasm(&path.display().to_string(), bytes)?)
    }

    /// The checked program, when the policy was compiled from source.
    pub fn program(&self) -> Option<&program::Program> {
        self.inner.program.as_ref()
    }
    /// The module metadata (schema, decisions, clauses, hash).
    pub fn meta(&self) -> &Meta {
        &self.inner.meta
    }
    /// The compiled WebAssembly module.
    pub fn wasm(&self) -> &[u8] {
        &self.inner.wasm
    }
    /// The metadata, shared.
    pub(crate) fn shared_meta(&self) -> Arc<Meta> {
        self.inner.meta.clone()
    }
    /// The policy's name (`policy NAME`).
    pub fn name(&self) -> &str {
        &self.inner.meta.policy
    }
    /// What identifies this version: the SHA-256 hex of the bytes it was
    /// loaded from (the rule file's, or the module's for a policy loaded
    /// from a compiled module).
    pub fn hash(&self) -> &str {
        &self.inner.meta.hash
    }
    /// The rule file's text (empty for a policy loaded from a module).
    pub fn source(&self) -> &str {
        &self.inner.source
    }
    /// The file name used in diagnostics.
    pub fn path(&self) -> &str {
        &self.inner.path
    }
    /// Warnings found while checking, rendered like errors.
    pub fn warnings(&self) -> String {
        diagnostic::render(&self.inner.path, &self.inner.source, &self.inner.warnings)
    }

    /// Compiles the module's native code into the artifact cache now, so the
    /// first load of the written `.wasm` (by another process) is fast.
    pub fn warm_cache(&self) -> Result<(), LoadError> {
        self.loaded().map(|_| ())
    }

    /// The module loaded into wasmtime (compiled on first use). A failure
    /// is returned and not kept: the next call tries again.
    pub fn loaded(&self) -> Result<&runtime::LoadedModule, LoadError> {
        if let Some(m) = self.inner.loaded.get() {
            return Ok(m);
        }
        // through the native-code cache, as a module read from disk is: a
        // rule file evaluated again is not compiled again
        let module = runtime::LoadedModule::new_cached(&self.inner.wasm, self.inner.meta.clone())?;
        // two threads may both load: the first to finish is kept
        Ok(self.inner.loaded.get_or_init(|| module))
    }

    /// A builder for typed facts of this policy's inputs.
    pub fn facts(&self) -> facts::FactsBuilder<'_> {
        facts::FactsBuilder::new(&self.inner.meta.input)
    }

    /// A handle on input field `name`, checked to take values of kind `K`,
    /// for filling [`batch::Batch`]es.
    pub fn field<K: batch::FieldKind>(
        &self,
        name: &str,
    ) -> Result<batch::Field<K>, batch::FieldError> {
        batch::Field::lookup(&self.inner.meta.input, name)
    }

    /// A handle on decision `name`, checked to be of kind `K`, for reading
    /// results with [`RecordView::get`].
    pub fn decision<K: batch::OutputKind>(
        &self,
        name: &str,
    ) -> Result<batch::Decision<K>, batch::FieldError> {
        batch::Decision::lookup(&self.inner.meta, name)
    }

    /// The variant called `name` of an enum input field.
    pub fn variant(
        &self,
        field: batch::Field<batch::Enum>,
        name: &str,
    ) -> Result<batch::Variant, batch::FieldError> {
        field.variant(&self.inner.meta.input, name)
    }

    /// Checks facts given as JSON text against the input schema.
    pub fn parse_facts(&self, json: &str) -> Result<Facts, InputError> {
        facts::from_json_str(&self.inner.meta.input, json)
    }

    /// Checks facts given as a JSON value against the input schema.
    pub fn facts_from_value(&self, json: &serde_json::Value) -> Result<Facts, InputError> {
        facts::from_json(&self.inner.meta.input, json)
    }

    /// Like [`Policy::parse_facts`], also appending to `ignored` every fact
    /// given that the policy does not declare (`name`, or `list[].name`
    /// inside list elements), each once.
    pub fn parse_facts_noting(
        &self,
        json: &str,
        ignored: &mut Vec<String>,
    ) -> Result<Facts, InputError> {
        facts::from_json_str_noting(&self.inner.meta.input, json, ignored)
    }

    /// Like [`Policy::facts_from_value`], noting undeclared facts as
    /// [`Policy::parse_facts_noting`] does.
    pub fn facts_from_value_noting(
        &self,
        json: &serde_json::Value,
        ignored: &mut Vec<String>,
    ) -> Result<Facts, InputError> {
        facts::from_json_noting(&self.inner.meta.input, json, ignored)
    }

    /// The declared fact an undeclared fact path (as noted by
    /// [`Policy::parse_facts_noting`]) most likely meant, if one is close.
    pub fn did_you_mean(&self, fact: &str) -> Option<String> {
        facts::did_you_mean(&self.inner.meta.input, fact)
    }

    /// The JSON text of `facts` that the decision log keeps: only the
    /// declared facts, as parsed (the encodings of the decisions output),
    /// with every `personal` value replaced by `{"hmac_sha256": "<hex>"}`
    /// under `personal_key` (see [`personal`]). Unknown facts are left out.
    /// Without a key (or with an empty one), facts holding a personal value
    /// are refused, naming each such fact: they are never logged in the clear.
    pub fn facts_for_log(
        &self,
        facts: &Facts,
        personal_key: Option<&[u8]>,
    ) -> Result<String, PersonalKeyMissing> {
        let key = personal_key.and_then(personal::PersonalKey::new);
        personal::facts_for_log(&self.inner.meta.input, facts, key.as_ref())
    }

    /// Evaluates every decision for one record with the Wasm engine.
    pub fn evaluate(&self, facts: &Facts, as_of: Date) -> Result<Outcome, EvalError> {
        self.evaluate_with(Engine::Wasm, facts, as_of)
    }

    /// Evaluates with the chosen engine.
    pub fn evaluate_with(
        &self,
        engine: Engine,
        facts: &Facts,
        as_of: Date,
    ) -> Result<Outcome, EvalError> {
        match engine {
            Engine::Wasm => self.loaded().map_err(load_failed)?.evaluate(facts, as_of.0),
            Engine::Interpreter => match &self.inner.program {
                Some(p) => interp::evaluate(p, facts, as_of.0),
                None => Err(EvalError::Trap {
                    message: "the interpreter needs the policy's source, not only its module"
                        .into(),
                }),
            },
        }
    }

    /// Evaluates many records in one call into the module; each record gets
    /// its own result, so one bad record never affects the others.
    pub fn evaluate_batch(
        &self,
        records: &[Facts],
        as_of: Date,
    ) -> Vec<Result<Outcome, EvalError>> {
        match self.loaded() {
            Ok(m) => m.evaluate_batch(records, as_of.0),
            Err(e) => records
                .iter()
                .map(|_| Err(load_failed(e.clone())))
                .collect(),
        }
    }

    /// Evaluates many records in one call into the module, into `results`
    /// (replacing what it held): the fastest way to evaluate typed facts.
    /// Each record gets its own result; the results are read in place, with
    /// no allocation per record. Reuse one [`BatchResults`] across batches.
    pub fn evaluate_batch_into(
        &self,
        records: &(impl runtime::Records + ?Sized),
        as_of: Date,
        results: &mut BatchResults,
    ) {
        match self.loaded() {
            Ok(m) => m.evaluate_into(records, as_of.0, results),
            Err(e) => results.fail_all(records.count(), as_of.0, load_failed(e)),
        }
    }

    /// Evaluates typed items on the hot path: for each item `fill` sets its
    /// facts (with [`batch::Field`] handles) straight into the module's
    /// memory, and `consume` receives the item with its results, read in
    /// place. Items are evaluated in chunks of [`runtime::CHUNK`]: no copy
    /// of records or results, no allocation per item, memory bounded
    /// whatever the number of items. One failing item never affects the
    /// others. (With list inputs, use [`Facts`] and [`Policy::evaluate_batch_into`].)
    ///
    /// ```
    /// use rulebook::batch::{Field, Int};
    /// use rulebook::{Date, Policy};
    ///
    /// let policy = Policy::from_source("adult.rules", r#"
    ///     policy adult
    ///     input { age: int }
    ///     decision adult: bool
    ///       require age >= 18 because "Must be 18 or over"
    /// "#).unwrap();
    /// let age: Field<Int> = policy.field("age").unwrap();
    /// let adult = policy.decision_index("adult").unwrap();
    /// let people = [("Ann", 30), ("Bob", 16)];
    /// let mut answers = Vec::new();
    /// policy.evaluate_each(
    ///     &people,
    ///     Date::parse("2026-01-01").unwrap(),
    ///     |(_, years), record| {
    ///         record.set(age, *years);
    ///     },
    ///     |(name, _), results| {
    ///         let adult = results.unwrap().decision(adult).unwrap().as_bool();
    ///         answers.push((*name, adult));
    ///     },
    /// );
    /// assert_eq!(answers, [("Ann", Some(true)), ("Bob", Some(false))]);
    /// ```
    pub fn evaluate_each<I, F, C>(&self, items: I, as_of: Date, fill: F, consume: C)
    where
        I: IntoIterator,
        F: FnMut(&I::Item, &mut batch::RecordWriter<'_>),
        C: FnMut(I::Item, Result<RecordView<'_>, EvalError>),
    {
        match self.loaded() {
            Ok(m) => m.evaluate_each(items, as_of.0, fill, consume),
            Err(e) => runtime::fail_each(items, &load_failed(e), consume),
        }
    }

    /// The index of a decision by name (as [`RecordView::decision`] takes it).
    pub fn decision_index(&self, name: &str) -> Option<usize> {
        self.inner
            .meta
            .decisions
            .iter()
            .position(|d| d.name == name)
    }

    /// The decisions JSON (docs/language.md section 17) of an outcome.
    pub fn report(&self, outcome: &Outcome, as_of: Date) -> serde_json::Value {
        report::to_json(&self.inner.meta, as_of.0, outcome)
    }

    /// The decisions JSON of an outcome, with `ignored` listing the
    /// undeclared facts that were given (left out when empty).
    pub fn report_with_ignored(
        &self,
        outcome: &Outcome,
        as_of: Date,
        ignored: &[String],
    ) -> serde_json::Value {
        report::to_json_with_ignored(&self.inner.meta, as_of.0, outcome, ignored)
    }

    /// Facts JSON text in, decisions JSON text out (Wasm engine): the fast path
    /// for services, with no intermediate `serde_json::Value` either way.
    /// Facts the policy does not declare are listed under `ignored`.
    pub fn evaluate_json_text(&self, facts_json: &str, as_of: Date) -> Result<String, Error> {
        let mut ignored = Vec::new();
        let facts = self.parse_facts_noting(facts_json, &mut ignored)?;
        Ok(self.evaluate_json_facts_with_ignored(&facts, as_of, &ignored)?)
    }

    /// Checked facts in, decisions JSON text out (Wasm engine).
    pub fn evaluate_json_facts(&self, facts: &Facts, as_of: Date) -> Result<String, EvalError> {
        self.evaluate_json_facts_with_ignored(facts, as_of, &[])
    }

    /// Checked facts in, decisions JSON text out (Wasm engine), with
    /// `ignored` (the undeclared facts noted while parsing them) in the output.
    pub fn evaluate_json_facts_with_ignored(
        &self,
        facts: &Facts,
        as_of: Date,
        ignored: &[String],
    ) -> Result<String, EvalError> {
        let module = self.loaded().map_err(load_failed)?;
        let meta = &self.inner.meta;
        module.evaluate_view(facts, as_of.0, |r| {
            report::to_json_text_with_ignored(meta, as_of.0, &r, ignored)
        })
    }

    /// Facts JSON text in, decisions JSON out (Wasm engine). Facts the
    /// policy does not declare are listed under `ignored`.
    pub fn evaluate_json(&self, facts_json: &str, as_of: Date) -> Result<serde_json::Value, Error> {
        let mut ignored = Vec::new();
        let facts = self.parse_facts_noting(facts_json, &mut ignored)?;
        let module = self.loaded().map_err(load_failed)?;
        let meta = &self.inner.meta;
        Ok(module.evaluate_view(&facts, as_of.0, |r| {
            report::to_json_with_ignored(meta, as_of.0, &r, &ignored)
        })?)
    }

    /// Facts as a JSON value in, decisions JSON out, with the chosen engine.
    /// Facts the policy does not declare are listed under `ignored`.
    pub fn evaluate_value_with(
        &self,
        engine: Engine,
        facts_json: &serde_json::Value,
        as_of: Date,
    ) -> Result<serde_json::Value, Error> {
        let mut ignored = Vec::new();
        let facts = self.facts_from_value_noting(facts_json, &mut ignored)?;
        let outcome = self.evaluate_with(engine, &facts, as_of)?;
        Ok(self.report_with_ignored(&outcome, as_of, &ignored))
    }

    /// Facts as a JSON value in, decisions JSON out (Wasm engine).
    pub fn evaluate_value(
        &self,
        facts_json: &serde_json::Value,
        as_of: Date,
    ) -> Result<serde_json::Value, Error> {
        self.evaluate_value_with(Engine::Wasm, facts_json, as_of)
    }
}

fn load_failed(e: LoadError) -> EvalError {
    EvalError::Trap {
        message: e.to_string(),
    }
}
