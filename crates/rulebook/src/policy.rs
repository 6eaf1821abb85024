//! The embedding facade's types: [`Policy`] (a checked, compiled policy
//! version and the ways to evaluate it), [`Engine`], and the errors of
//! compiling and loading. `lib.rs` re-exports them; modules that build on a
//! policy (the interview) import them from here, not from the crate root.

use crate::abi::Meta;
use crate::ast::{self, Span};
use crate::diagnostic::{self, Diagnostic};
use crate::digest::sha256_hex;
use crate::facts::{Facts, FactsBuilder, InputError};
use crate::num::Date;
use crate::outcome::{Decided, EvalError, Outcome, WrongPolicy};
use crate::personal::{self, PersonalKeyMissing};
use crate::report::Report;
use crate::runtime::batch;
use crate::runtime::{BatchResults, LoadError, RecordView, Runtime};
use crate::{check, codegen, facts, interp, program, report, runtime, syntax};
use std::fmt;
use std::path::{Path, PathBuf};
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

/// Every way using a policy can fail. Each variant's message is its
/// cause's (`#[error(transparent)]`), except [`Error::Io`], whose
/// `io::Error` is its [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
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
    /// The runtime it is loaded on; None for the shared one
    /// ([`Runtime::shared`]), found on first load.
    runtime: Option<Runtime>,
    /// Set once loading succeeds; a failed load is tried again on the next
    /// use (its cause, such as an address-space limit, may pass).
    loaded: OnceLock<runtime::LoadedModule>,
    /// The reports' constant texts, escaped on first use.
    report_texts: OnceLock<report::ReportTexts>,
    path: String,
    warnings: Vec<Diagnostic>,
    source: String,
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
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
                    "{what} `{name}` is too large to compile: one define or decision may take \
                     at most {} WebAssembly instructions and {} values at once (this one has \
                     thousands of clauses or list items); split it into several defines",
                    codegen::MAX_ITEM_SIZE.0,
                    codegen::MAX_ITEM_SIZE.1
                ),
            )
        }
        codegen::Refused::Invalid(e) => Diagnostic::error(
            Span::default(),
            format!("internal error: the compiled module is not valid WebAssembly ({e}); please report this policy"),
        ),
    }
}

/// A rule file read and checked, not compiled: its syntax tree, its typed
/// program and the checker's warnings.
pub(crate) struct Checked {
    pub file: ast::File,
    pub program: program::Program,
    pub warnings: Vec<Diagnostic>,
}

/// Parses and checks rule-file text: every error found, or what the later
/// stages (code generation, the formatter, the editor's analysis) start from.
pub(crate) fn check_source(path: &str, source: &str) -> Result<Checked, CompileError> {
    let fail = |diagnostics| CompileError {
        path: path.to_string(),
        source: source.to_string(),
        diagnostics,
    };
    let file = match syntax::parse_recovering(source) {
        Ok(file) => file,
        Err(recovered) => {
            // a syntax error in one item does not hide the errors of the others
            let mut diagnostics = recovered.errors;
            if let Some(file) = &recovered.file {
                if let Err(more) = check::check(file, source) {
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
    let (program, warnings) = check::check(&file, source).map_err(fail)?;
    Ok(Checked {
        file,
        program,
        warnings,
    })
}

impl Runtime {
    /// Checks and compiles rule-file text into a policy run on this
    /// runtime (see [`Policy::from_source`]).
    pub fn compile(&self, path: &str, source: impl AsRef<[u8]>) -> Result<Policy, CompileError> {
        Policy::compile(Some(self.clone()), path, source.as_ref())
    }

    /// Reads, checks and compiles a rule file into a policy run on this
    /// runtime (see [`Policy::from_file`]).
    pub fn compile_file(&self, path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let bytes = read(path)?;
        Ok(Policy::compile(
            Some(self.clone()),
            &path.display().to_string(),
            &bytes,
        )?)
    }

    /// A policy from a compiled module, loaded on this runtime now (see
    /// [`Policy::from_wasm`]).
    pub fn load_wasm(&self, path: &str, wasm: Vec<u8>) -> Result<Policy, LoadError> {
        Policy::load_module(self.clone(), path, wasm)
    }

    /// Reads a compiled module from disk and loads it on this runtime.
    pub fn load_wasm_file(&self, path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let bytes = read(path)?;
        Ok(self.load_wasm(&path.display().to_string(), bytes)?)
    }
}

impl Policy {
    /// Checks and compiles rule-file bytes; `path` names the file in
    /// diagnostics. Like every `Policy` constructor, it runs on the shared
    /// runtime ([`Runtime::shared`]); [`Runtime::compile`] chooses another.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Policy, CompileError> {
        Self::compile(None, path, bytes)
    }

    fn compile(runtime: Option<Runtime>, path: &str, bytes: &[u8]) -> Result<Policy, CompileError> {
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
        let Checked {
            program, warnings, ..
        } = check_source(path, &source)?;
        let compiled = codegen::compile(&program, &hash)
            .map_err(|refused| fail(vec![refusal(&program, refused)]))?;
        Ok(Policy {
            inner: Arc::new(Inner {
                program: Some(program),
                meta: Arc::new(compiled.meta),
                wasm: compiled.wasm,
                runtime,
                loaded: OnceLock::new(),
                report_texts: OnceLock::new(),
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
        self.recompiled(codegen::Split::EveryItem, false)
    }

    /// The same policy compiled so that each record evaluated by the full
    /// (three-valued) function rather than the fast one is marked (see
    /// [`RecordView::evaluated_in_full`]): for benchmarks that report how
    /// many records leave the fast path. Not part of the API. `None` for a
    /// policy loaded from a compiled module.
    #[doc(hidden)]
    pub fn marking_full_body(&self) -> Option<Policy> {
        self.recompiled(codegen::Split::Auto, true)
    }

    /// This policy's program compiled again with other code generation
    /// options, on the same runtime.
    fn recompiled(&self, split: codegen::Split, mark_full: bool) -> Option<Policy> {
        let program = self.inner.program.as_ref()?;
        let hash = &self.inner.meta.hash;
        let compiled = codegen::compile_marking(program, hash, split, mark_full).ok()?;
        Some(Policy {
            inner: Arc::new(Inner {
                program: Some(program.clone()),
                meta: Arc::new(compiled.meta),
                wasm: compiled.wasm,
                runtime: self.inner.runtime.clone(),
                loaded: OnceLock::new(),
                report_texts: OnceLock::new(),
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
        let bytes = read(path)?;
        Ok(Self::from_bytes(&path.display().to_string(), &bytes)?)
    }

    /// A policy from a compiled module (`rulebook compile`), without its source:
    /// the metadata and ABI version are checked and the module is loaded now.
    ///
    /// The policy is identified by the module's own bytes: its [`hash`](Policy::hash)
    /// is the SHA-256 of `wasm`, never the source hash the metadata claims
    /// (a module's metadata is only a claim: anyone can write any hash into it).
    pub fn from_wasm(path: &str, wasm: Vec<u8>) -> Result<Policy, LoadError> {
        Self::load_module(Runtime::shared()?, path, wasm)
    }

    fn load_module(runtime: Runtime, path: &str, wasm: Vec<u8>) -> Result<Policy, LoadError> {
        let mut meta = runtime::read_meta(&wasm)?;
        meta.hash = sha256_hex(&wasm);
        let meta = Arc::new(meta);
        let loaded = runtime::LoadedModule::new_cached(&runtime, &wasm, meta.clone())?;
        let cell = OnceLock::new();
        // a new cell is empty: this `set` always succeeds
        let _ = cell.set(loaded);
        Ok(Policy {
            inner: Arc::new(Inner {
                program: None,
                meta,
                wasm,
                runtime: Some(runtime),
                loaded: cell,
                report_texts: OnceLock::new(),
                path: path.to_string(),
                warnings: Vec::new(),
                source: String::new(),
            }),
        })
    }

    /// Reads a compiled module from disk.
    pub fn from_wasm_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let bytes = read(path)?;
        Ok(Self::from_wasm(&path.display().to_string(), bytes)?)
    }

    /// The rule file's text (empty for a policy loaded from a module).
    pub(crate) fn source_text(&self) -> &str {
        &self.inner.source
    }

    /// The checked program, when the policy was compiled from source.
    pub(crate) fn program(&self) -> Option<&program::Program> {
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
    /// The runtime it runs on.
    fn runtime(&self) -> Result<Runtime, LoadError> {
        match &self.inner.runtime {
            Some(r) => Ok(r.clone()),
            None => Runtime::shared(),
        }
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
    /// Warnings found while checking.
    pub(crate) fn warning_list(&self) -> &[Diagnostic] {
        &self.inner.warnings
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

    /// Loads the module into wasmtime now (compiling it to native code),
    /// rather than on first evaluation: a service checks a new version
    /// with this before it serves it. A failure is returned and not kept:
    /// the next call (or evaluation) tries again.
    pub fn load(&self) -> Result<(), LoadError> {
        self.loaded().map(|_| ())
    }

    /// The module loaded into wasmtime (compiled on first use).
    /// Whether the module is compiled and instantiated already (by an
    /// earlier Wasm evaluation or [`Policy::warm_cache`]).
    pub(crate) fn is_loaded(&self) -> bool {
        self.inner.loaded.get().is_some()
    }

    fn loaded(&self) -> Result<&runtime::LoadedModule, LoadError> {
        if let Some(m) = self.inner.loaded.get() {
            return Ok(m);
        }
        // through the native-code cache (when the runtime has one), as a
        // module read from disk is: a rule file evaluated again is not
        // compiled again
        let module = runtime::LoadedModule::new_cached(
            &self.runtime()?,
            &self.inner.wasm,
            self.inner.meta.clone(),
        )?;
        // two threads may both load: the first to finish is kept
        Ok(self.inner.loaded.get_or_init(|| module))
    }

    /// A builder for typed facts of this policy's inputs.
    pub fn facts(&self) -> FactsBuilder<'_> {
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

    /// A handle on list input field `name`, for
    /// [`batch::RecordWriter::set_list`]; its elements' fields are looked
    /// up through it ([`batch::ListField::field`]).
    pub fn list_field(&self, name: &str) -> Result<batch::ListField, batch::FieldError> {
        batch::ListField::lookup(&self.inner.meta.input, name)
    }

    /// Input fields `names` (of any kind but text and lists, each at most
    /// once, at most 64), to be set together from rows of numbers
    /// ([`batch::RecordWriter::set_nums`]).
    pub fn num_fields<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<batch::NumFields, batch::FieldError> {
        batch::NumFields::lookup(&self.inner.meta.input, names)
    }

    /// A handle on decision `name`, checked to be of kind `K`, for reading
    /// any form of results: [`RecordView::get`], [`Outcome::get`] (and
    /// `decision` on both for the missing facts and reasons).
    pub fn decision<K: batch::OutputKind>(
        &self,
        name: &str,
    ) -> Result<batch::Decision<K>, batch::FieldError> {
        batch::Decision::lookup(&self.inner.meta, name)
    }

    /// The variant called `name` of an enum input field (a handle of this
    /// policy): it may be set in that field only.
    pub fn variant(
        &self,
        field: batch::Field<batch::Enum>,
        name: &str,
    ) -> Result<batch::Variant, batch::FieldError> {
        field.variant(&self.inner.meta.input, name)
    }

    /// The variant called `name` of an enum decision, to compare with what
    /// its handle reads.
    pub fn decision_variant(
        &self,
        decision: batch::Decision<batch::Enum>,
        name: &str,
    ) -> Result<batch::Variant, batch::FieldError> {
        decision.variant(&self.inner.meta, name)
    }

    /// Facts from text cells (a CSV row): `(input field index, cell)`
    /// pairs, an empty cell unknown, a list field's cell JSON text; values
    /// are read by their field's type, with `parse_facts`' messages.
    pub fn parse_cells<'a>(
        &self,
        cells: impl IntoIterator<Item = (usize, &'a str)>,
    ) -> Result<Facts, InputError> {
        crate::facts::from_cells(&self.inner.meta.input, cells)
    }

    /// [`Policy::parse_cells`] into `facts`, reusing their storage (for
    /// many records in a row, say). After an error, `facts` hold no values
    /// and fit no policy: evaluating them is refused.
    pub fn parse_cells_into<'a>(
        &self,
        cells: impl IntoIterator<Item = (usize, &'a str)>,
        facts: &mut Facts,
    ) -> Result<(), InputError> {
        crate::facts::from_cells_into(&self.inner.meta.input, cells, facts)
    }

    /// [`Policy::parse_facts`] into `facts`, reusing their storage (for
    /// many records in a row, say). After an error, `facts` hold no values
    /// and fit no policy: evaluating them is refused.
    pub fn parse_facts_into(&self, json: &str, facts: &mut Facts) -> Result<(), InputError> {
        facts::from_json_str_into(&self.inner.meta.input, json, facts)
    }

    /// Checks facts given as JSON text against the input schema. Numbers
    /// are read exactly from the text. (A host holding a
    /// `serde_json::Value` passes its text: `value.to_string()`.)
    pub fn parse_facts(&self, json: &str) -> Result<Facts, InputError> {
        facts::from_json_str(&self.inner.meta.input, json)
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
    /// Facts checked against another policy's (or version's) inputs are
    /// refused with [`WrongPolicy::Facts`].
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
        let meta = &self.inner.meta;
        if !facts.fits(&meta.input) {
            return Err(WrongPolicy::Facts {
                policy: meta.policy.clone(),
            }
            .into());
        }
        match engine {
            Engine::Wasm => self.loaded()?.evaluate(facts, as_of.0),
            Engine::Interpreter => match &self.inner.program {
                Some(p) => {
                    // the module's bounds: its runtime's deadline and memory
                    let (deadline, max_memory) = match self.runtime() {
                        Ok(r) => (r.config().deadline, r.config().max_memory),
                        // no engine here: the limits the shared runtime
                        // would have (its configuration, from the environment)
                        Err(_) => {
                            let c = runtime::RuntimeConfig::from_env();
                            (c.deadline, c.max_memory)
                        }
                    };
                    runtime::fits_memory(meta, facts, max_memory)?;
                    let mut outcome = interp::evaluate_within(p, facts, as_of.0, deadline)?;
                    outcome.layout = meta.result_layout_id();
                    Ok(outcome)
                }
                None => Err(EvalError::NoSource),
            },
        }
    }

    /// Evaluates many records in one call into the module; each record gets
    /// its own result, so one bad record never affects the others. (The
    /// convenient form of [`Policy::evaluate_batch_into`].)
    pub fn evaluate_batch(
        &self,
        records: &[Facts],
        as_of: Date,
    ) -> Vec<Result<Outcome, EvalError>> {
        let mut results = BatchResults::default();
        self.evaluate_batch_into(records, as_of, &mut results);
        results.to_outcomes()
    }

    /// Evaluates many records ([`Facts`], or a [`batch::Batch`]) in one
    /// call into the module, into `results` (replacing what it held).
    /// Each record gets its own result, read in place, with no allocation
    /// per record. Reuse one [`BatchResults`] across batches.
    pub fn evaluate_batch_into(
        &self,
        records: &(impl runtime::Records + ?Sized),
        as_of: Date,
        results: &mut BatchResults,
    ) {
        match self.loaded() {
            Ok(m) => m.evaluate_into(records, as_of.0, results),
            Err(e) => results.fail_all(records.count(), as_of.0, e.into()),
        }
    }

    /// Evaluates typed items on the hot path: for each item `fill` sets its
    /// facts (with [`batch::Field`] handles) straight into the module's
    /// memory, and `consume` receives the item with its results, read in
    /// place. Items are evaluated in chunks of at most [`CHUNK`]: no copy
    /// of records or results, no allocation per item, memory bounded
    /// whatever the number of items. One failing item never affects the
    /// others: a chunk ends before an item whose texts do not fit beside
    /// the others (`fill` then runs again for that item, so it should only
    /// set facts), and an item too large on its own gets
    /// [`EvalError::TooLarge`]. (With list inputs, use [`Facts`] and
    /// [`Policy::evaluate_batch_into`].)
    ///
    /// ```
    /// use rulebook::batch::{Bool, Decision, Field, Int};
    /// use rulebook::{Date, Policy};
    ///
    /// let policy = Policy::from_source("adult.rules", r#"
    ///     policy adult
    ///     input { age: int }
    ///     decision adult: bool
    ///       require age >= 18 because "Must be 18 or over"
    /// "#)?;
    /// let age: Field<Int> = policy.field("age")?;
    /// let adult: Decision<Bool> = policy.decision("adult")?;
    /// let people = [("Ann", 30), ("Bob", 16)];
    /// let mut answers = Vec::new();
    /// policy.evaluate_each(
    ///     &people,
    ///     "2026-01-01".parse()?,
    ///     |(_, years), record| {
    ///         record.set(age, *years);
    ///     },
    ///     |(name, _), results| answers.push((*name, results.and_then(|r| Ok(r.get(adult)?)))),
    /// );
    /// assert_eq!(answers, [("Ann", Ok(Some(true))), ("Bob", Ok(Some(false)))]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_each<I, F, C>(&self, items: I, as_of: Date, fill: F, consume: C)
    where
        I: IntoIterator,
        F: FnMut(&I::Item, &mut batch::RecordWriter<'_>),
        C: FnMut(I::Item, Result<RecordView<'_>, EvalError>),
    {
        match self.loaded() {
            Ok(m) => m.evaluate_each(items, as_of.0, fill, consume),
            Err(e) => runtime::fail_each(items, &e.into(), consume),
        }
    }

    /// Evaluates a block of rows as a host reading columns holds them
    /// (rows of numbers and text columns, [`batch::Rows`]): like
    /// [`Policy::evaluate_each`], straight in the module's memory, but the
    /// records are filled in one loop with no closure called per record.
    /// `consume` receives each row's index, in order, with its results read
    /// in place, or why it has none: a number its field cannot take
    /// ([`batch::RowError::Value`]) or an evaluation error; the other rows
    /// are evaluated as usual.
    ///
    /// ```
    /// use rulebook::batch::{Bool, Decision, Rows};
    /// use rulebook::Policy;
    ///
    /// let policy = Policy::from_source("adult.rules", r#"
    ///     policy adult
    ///     input { age: int  country: text }
    ///     decision adult: bool
    ///       require age >= 18 because "Must be 18 or over"
    ///       require country == "uk" because "Must live in the UK"
    /// "#)?;
    /// let set = policy.num_fields(["age"])?;
    /// let adult: Decision<Bool> = policy.decision("adult")?;
    /// // three rows: ages 30, 16 and unknown
    /// let (known, ages) = ([1, 1, 0], [30, 16, 0]);
    /// let countries = [Some("uk"), Some("uk"), Some("fr")];
    /// let rows = Rows::new(&set, &known, &ages)?
    ///     .text(policy.field("country")?, "country", &countries)?;
    /// let mut answers = Vec::new();
    /// policy.evaluate_rows(&rows, "2026-01-01".parse()?, |row, results| {
    ///     answers.push((row, results.ok().and_then(|r| r.get(adult).ok().flatten())));
    /// });
    /// assert_eq!(answers, [(0, Some(true)), (1, Some(false)), (2, Some(false))]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_rows<C>(&self, rows: &batch::Rows<'_>, as_of: Date, mut consume: C)
    where
        C: FnMut(usize, Result<RecordView<'_>, batch::RowError>),
    {
        match self.loaded() {
            Ok(m) => m.evaluate_rows(rows, as_of.0, consume),
            Err(e) => {
                let e: EvalError = e.into();
                (0..rows.len()).for_each(|r| consume(r, Err(e.clone().into())));
            }
        }
    }

    /// The decisions JSON (docs/language.md section 17) of results of this
    /// policy (an [`Outcome`] or a [`RecordView`]): `.to_string()` for the
    /// compact text, or serialise it with serde_json (pretty, a `Value`).
    pub fn report<'a, D: Decided>(&'a self, results: &'a D, as_of: Date) -> Report<'a, D> {
        Report {
            meta: &self.inner.meta,
            as_of: as_of.0,
            results,
            ignored: &[],
            texts: Some(self.report_texts()),
        }
    }

    /// The constant texts of this policy's reports, escaped once.
    fn report_texts(&self) -> &report::ReportTexts {
        (self.inner.report_texts).get_or_init(|| report::ReportTexts::of(&self.inner.meta))
    }

    /// Facts JSON text in, decisions JSON text out (Wasm engine): the fast path
    /// for services, with no intermediate `serde_json::Value` either way.
    /// Facts the policy does not declare are listed under `ignored`.
    pub fn evaluate_json_text(&self, facts_json: &str, as_of: Date) -> Result<String, Error> {
        let mut ignored = Vec::new();
        let facts = self.parse_facts_noting(facts_json, &mut ignored)?;
        Ok(self.evaluate_report(&facts, as_of, &ignored)?)
    }

    /// Checked facts in, decisions JSON text out (Wasm engine), with
    /// `ignored` (the undeclared facts noted while parsing them) in the
    /// output: [`Policy::evaluate`] and [`Policy::report`] without an owned
    /// [`Outcome`] in between.
    pub fn evaluate_report(
        &self,
        facts: &Facts,
        as_of: Date,
        ignored: &[String],
    ) -> Result<String, EvalError> {
        let meta = &self.inner.meta;
        if !facts.fits(&meta.input) {
            return Err(WrongPolicy::Facts {
                policy: meta.policy.clone(),
            }
            .into());
        }
        self.loaded()?.evaluate_view(facts, as_of.0, |r| {
            report::to_json_text((meta, Some(self.report_texts())), as_of.0, &r, ignored)
        })
    }

    /// Facts JSON text in, decisions JSON out as a `serde_json::Value`
    /// (Wasm engine). Facts the policy does not declare are listed under
    /// `ignored`.
    pub fn evaluate_json(&self, facts_json: &str, as_of: Date) -> Result<serde_json::Value, Error> {
        let mut ignored = Vec::new();
        let facts = self.parse_facts_noting(facts_json, &mut ignored)?;
        let meta = &self.inner.meta;
        Ok(self
            .loaded()
            .map_err(EvalError::from)?
            .evaluate_view(&facts, as_of.0, |r| {
                report::to_json(meta, as_of.0, &r, &ignored)
            })?)
    }
}
