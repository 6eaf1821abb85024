//! Runtime: loads compiled policy modules into wasmtime and evaluates
//! batches of records (the only user of wasmtime). A [`Runtime`] (a
//! wasmtime engine and the thread that bounds evaluation time, configured
//! by the host with [`RuntimeConfig`]) is shared by the policies loaded on
//! it; per policy a [`LoadedModule`] (module + pre-instantiated linker)
//! built once; per thread of evaluation an [`Instance`] (store + instance)
//! reused for every batch. Records go through in chunks of at most
//! [`CHUNK`], cut sooner when their texts and lists would not fit the
//! memory limit together: from any [`Records`] (`Facts`, a
//! [`batch::Batch`]) into a [`BatchResults`], or with
//! [`Instance::evaluate_each`] filled and read in place in the module's
//! memory. Memory is bounded, and an epoch deadline stops any call that
//! runs too long, so no module or input can hang or exhaust the host.

mod marshal;
pub(crate) mod results;

pub mod batch;

use batch::{ChunkTexts, Fate, RecordWriter, TextSink};
use results::ModuleData;
pub use results::{BatchResults, Bits, DecisionView, RecordView};

use crate::abi::{self, Meta};
use crate::facts::Facts;
pub use crate::outcome::LoadError;
use crate::outcome::{EvalError, Outcome, WrongPolicy};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, ResourceLimiter, Store, TypedFunc,
};

/// The module's `evaluate(in_ptr, count, out_ptr, as_of) -> status` export.
type EvaluateFn = TypedFunc<(i32, i32, i32, i32), i32>;

/// Epoch tick period.
const TICK: Duration = Duration::from_millis(10);
pub use marshal::CHUNK;

/// Free memory first kept for the texts of a chunk in `evaluate_each`
/// (it grows to what chunks need).
const TEXT_ROOM: usize = 16 * 1024;

/// How policies are run, chosen by the host (as wasmtime's `Config`):
/// `RuntimeConfig::default()` is what [`crate::Policy::from_file`] and the
/// other constructors use (with the `RULEBOOK_*` environment overrides of
/// [`RuntimeConfig::from_env`]). Set the fields, then make a [`Runtime`].
///
/// ```
/// use rulebook::{Runtime, RuntimeConfig};
/// use std::time::Duration;
///
/// let mut config = RuntimeConfig::default();
/// config.deadline = Duration::from_secs(1);
/// config.cache_dir = None;             // no native-code cache on disk
/// config.max_idle_instances = 4;       // per policy
/// config.max_memory = 16 << 20;        // bytes per instance
/// let runtime = Runtime::new(config)?;
/// let policy = runtime.compile("adult.rules", "policy adult
///     input { age: int }
///     decision adult: bool = age >= 18")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// How long one call into a module may run before it is stopped (the
    /// records of that call get [`EvalError::TimeLimit`]). Default 10 s;
    /// measured in ticks of 10 ms.
    pub deadline: Duration,
    /// Where native code compiled from modules is kept between processes
    /// (loading a cached `.wasm` takes well under a millisecond instead of
    /// a compilation); `None` for no cache. Default: `rulebook` in the
    /// user's cache directory (`$XDG_CACHE_HOME`, else `~/.cache`).
    pub cache_dir: Option<PathBuf>,
    /// Idle instances kept per policy for reuse; beyond it, an instance is
    /// dropped when its call ends. Default: no limit (one per thread that
    /// ever evaluated at the same time).
    pub max_idle_instances: usize,
    /// Linear memory one instance may grow to, in bytes: the most a chunk
    /// of records, its results, texts and lists may take. Default and
    /// maximum 64 MiB (a module's own limit).
    pub max_memory: usize,
    /// Whether wasmtime writes a perf map (`/tmp/perf-PID.map`) naming the
    /// generated functions for `perf report` (docs/performance.md).
    pub perf_map: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            deadline: crate::outcome::DEFAULT_DEADLINE,
            cache_dir: default_cache_dir(),
            max_idle_instances: usize::MAX,
            max_memory: abi::MAX_MEMORY,
            perf_map: false,
        }
    }
}

impl RuntimeConfig {
    /// The default, with the overrides of the environment:
    /// `RULEBOOK_CACHE=off` (no cache), `RULEBOOK_CACHE_DIR` (the cache's
    /// folder) and `RULEBOOK_PROFILE=perfmap` (a perf map). The shared
    /// runtime and the `rulebook` command use this.
    pub fn from_env() -> Self {
        let mut config = RuntimeConfig::default();
        if let Some(d) = std::env::var_os("RULEBOOK_CACHE_DIR") {
            config.cache_dir = Some(d.into());
        }
        if std::env::var_os("RULEBOOK_CACHE").is_some_and(|v| v == "off") {
            config.cache_dir = None;
        }
        if std::env::var_os("RULEBOOK_PROFILE").is_some_and(|v| v == "perfmap") {
            config.perf_map = true;
        }
        config
    }

    /// Epoch ticks one call may run.
    fn deadline_ticks(&self) -> u64 {
        (self.deadline.as_millis() / TICK.as_millis()).max(1) as u64
    }
}

/// `$XDG_CACHE_HOME/rulebook`, else `~/.cache/rulebook`.
fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("rulebook"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("rulebook"))
}

/// A wasmtime engine configured by a [`RuntimeConfig`], with the thread
/// that advances its epoch every 10 ms (what stops a call at its deadline;
/// it ends when the runtime and every policy loaded on it are dropped).
/// Cheap to clone; policies loaded on one runtime share it.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    config: RuntimeConfig,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Runtime {
    /// A runtime with its own engine and ticker thread. Fails if wasmtime
    /// refuses the configuration or no thread can be started: an engine
    /// without its ticker would never stop a looping evaluation.
    pub fn new(mut config: RuntimeConfig) -> Result<Runtime, LoadError> {
        config.max_memory = config.max_memory.min(abi::MAX_MEMORY);
        let mut wasm = Config::new();
        wasm.epoch_interruption(true);
        wasm.cranelift_opt_level(wasmtime::OptLevel::Speed);
        // a module's functions compiled on every core (wasmtime's
        // `parallel-compilation` feature): a large policy is split into
        // many short functions (codegen/split.rs)
        wasm.parallel_compilation(true);
        if config.perf_map {
            wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&wasm).map_err(|e| {
            LoadError::Engine(format!("wasmtime refused the engine configuration: {e:#}"))
        })?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("rulebook-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                match ticker.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            })
            .map_err(|e| {
                LoadError::Engine(format!(
                    "cannot start the thread that bounds evaluation time: {e}"
                ))
            })?;
        Ok(Runtime {
            inner: Arc::new(RuntimeInner { engine, config }),
        })
    }

    /// The process's shared runtime, made on first use from
    /// [`RuntimeConfig::from_env`]: the one `Policy::from_file` and the
    /// other `Policy` constructors use. A failure to make it is returned
    /// and not kept (the next use tries again).
    pub fn shared() -> Result<Runtime, LoadError> {
        static SHARED: Mutex<Option<Runtime>> = Mutex::new(None);
        let mut shared = SHARED
            .lock()
            .map_err(|_| LoadError::Engine("the shared runtime's lock is poisoned".into()))?;
        if let Some(r) = shared.as_ref() {
            return Ok(r.clone());
        }
        let runtime = Runtime::new(RuntimeConfig::from_env())?;
        *shared = Some(runtime.clone());
        Ok(runtime)
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

/// Store data: the memory limit.
struct Limits {
    max_bytes: usize,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.max_bytes)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1024)
    }
}

/// Reads and checks the metadata of module bytes.
pub fn read_meta(wasm: &[u8]) -> Result<Meta, LoadError> {
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(c)) if c.name() == abi::META_SECTION => {
                found = Some(c.data().to_vec());
            }
            Ok(_) => {}
            Err(e) => return Err(LoadError::Invalid(e.to_string())),
        }
    }
    let Some(bytes) = found else {
        return Err(LoadError::NotAPolicy(format!(
            "it has no `{}` section",
            abi::META_SECTION
        )));
    };
    #[derive(serde::Deserialize)]
    struct Version {
        abi_version: u32,
    }
    let v: Version = serde_json::from_slice(&bytes)
        .map_err(|e| LoadError::NotAPolicy(format!("unreadable metadata: {e}")))?;
    if v.abi_version != abi::ABI_VERSION {
        return Err(LoadError::AbiVersion {
            found: v.abi_version,
            expected: abi::ABI_VERSION,
        });
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| LoadError::NotAPolicy(format!("unreadable metadata: {e}")))
}

/// The module compiled by cranelift, reusing native code cached by an
/// earlier process for the same bytes and engine (so loading a module that
/// `rulebook compile` wrote takes well under a millisecond instead of a full
/// compilation). The cache is an optimisation only: any failure to read or
/// write it falls back to compiling.
fn cached_module(runtime: &Runtime, wasm: &[u8]) -> Result<Module, LoadError> {
    use std::hash::{Hash, Hasher};
    let engine = runtime.engine();
    let compile = || compile(engine, wasm);
    let Some(dir) = &runtime.config().cache_dir else {
        return compile();
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let path = dir.join(format!(
        "{}-{:016x}.cwasm",
        crate::digest::sha256_hex(wasm),
        h.finish()
    ));
    // Any failure to read or write the cache (a missing folder, a full
    // disk, a stale artifact) only costs a compilation: never an error.
    // Read the artifact into memory rather than map the file: a mapped file
    // changed by another process under a live module would fault.
    if let Ok(bytes) = std::fs::read(&path) {
        // SAFETY: the file was written by `Module::serialize` below, into the
        // user's own cache directory, under the SHA-256 of the exact module
        // bytes and the engine's compatibility hash; wasmtime checks that the
        // artifact matches this engine's version and configuration. Anyone
        // able to write this directory can already run code as this user
        // (the same trust model as wasmtime's own compilation cache).
        if let Ok(m) = unsafe { Module::deserialize(engine, &bytes) } {
            return Ok(m);
        }
    }
    let module = compile()?;
    if let Ok(bytes) = module.serialize() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(module)
}

/// A module's bytes compiled by cranelift.
fn compile(engine: &Engine, wasm: &[u8]) -> Result<Module, LoadError> {
    // The bytes were validated when their metadata was read: a failure
    // here is wasmtime's (out of memory, say), not the module's.
    Module::new(engine, wasm).map_err(|e| LoadError::Instantiate(format!("{e:#}")))
}

mod sealed {
    pub trait Sealed {}
}

/// Records a batch can be evaluated from: typed [`Facts`] (a slice, a
/// `Vec` or an array of them: any input type), or a [`batch::Batch`]
/// (record images, the fastest).
pub trait Records: sealed::Sealed {
    /// How many records there are.
    #[doc(hidden)]
    fn count(&self) -> usize;
    /// Why the records as a whole cannot be evaluated by a module with
    /// this metadata.
    #[doc(hidden)]
    fn misfit(&self, _meta: &Meta) -> Option<EvalError> {
        None
    }
    /// Appends to `out` the records that cannot be evaluated by a module
    /// with this metadata on their own (facts of other inputs, a fact set
    /// through a handle of other inputs).
    #[doc(hidden)]
    fn misfits(&self, meta: &Meta, out: &mut Vec<usize>);
    /// The error of a record [`Records::misfits`] names.
    #[doc(hidden)]
    fn misfit_error(&self, meta: &Meta) -> EvalError;
    /// The bytes of texts and list elements of each record of `range`
    /// (within one chunk of [`CHUNK`]), pushed to `out`.
    #[doc(hidden)]
    fn extra_sizes(&self, range: std::ops::Range<usize>, meta: &Meta, out: &mut Vec<usize>);
    /// Writes records `range` (within one chunk of [`CHUNK`]) into `mem`
    /// at `addrs`: see [`marshal::write_records`].
    #[doc(hidden)]
    fn write(
        &self,
        range: std::ops::Range<usize>,
        meta: &Meta,
        addrs: marshal::ChunkAddrs,
        mem: &mut [u8],
    ) -> usize;
}

impl<T: AsRef<[Facts]> + ?Sized> sealed::Sealed for T {}

/// `[Facts]`, `Vec<Facts>`, arrays: anything that is a slice of facts.
impl<T: AsRef<[Facts]> + ?Sized> Records for T {
    fn count(&self) -> usize {
        self.as_ref().len()
    }
    fn misfits(&self, meta: &Meta, out: &mut Vec<usize>) {
        let id = meta.input.id();
        out.extend(
            self.as_ref()
                .iter()
                .enumerate()
                .filter(|(_, f)| f.layout != id)
                .map(|(i, _)| i),
        );
    }
    fn misfit_error(&self, meta: &Meta) -> EvalError {
        WrongPolicy::Facts {
            policy: meta.policy.clone(),
        }
        .into()
    }
    fn extra_sizes(&self, range: std::ops::Range<usize>, meta: &Meta, out: &mut Vec<usize>) {
        // a range beyond the records has no records to size
        let records = self.as_ref().get(range).unwrap_or(&[]);
        out.extend(records.iter().map(|r| marshal::extra_size(&meta.input, r)));
    }
    fn write(
        &self,
        range: std::ops::Range<usize>,
        meta: &Meta,
        addrs: marshal::ChunkAddrs,
        mem: &mut [u8],
    ) -> usize {
        // a range beyond the records writes nothing
        marshal::write_records(meta, self.as_ref().get(range).unwrap_or(&[]), addrs, mem)
    }
}

impl sealed::Sealed for batch::Batch {}

impl Records for batch::Batch {
    fn count(&self) -> usize {
        self.len()
    }
    fn misfit(&self, meta: &Meta) -> Option<EvalError> {
        (!self.fits(meta)).then(|| {
            WrongPolicy::Batch {
                policy: meta.policy.clone(),
            }
            .into()
        })
    }
    fn misfits(&self, _meta: &Meta, out: &mut Vec<usize>) {
        out.extend_from_slice(batch::Batch::misfits(self));
    }
    fn misfit_error(&self, _meta: &Meta) -> EvalError {
        batch::misfit_error()
    }
    fn extra_sizes(&self, range: std::ops::Range<usize>, _meta: &Meta, out: &mut Vec<usize>) {
        batch::Batch::extra_sizes(self, range, out);
    }
    fn write(
        &self,
        range: std::ops::Range<usize>,
        _meta: &Meta,
        addrs: marshal::ChunkAddrs,
        mem: &mut [u8],
    ) -> usize {
        batch::Batch::write(self, range, addrs, mem)
    }
}

/// A policy module compiled by wasmtime, ready to instantiate.
pub(crate) struct LoadedModule {
    data: Arc<ModuleData>,
    pre: InstancePre<Limits>,
    /// Epoch ticks one call may run.
    deadline_ticks: u64,
    /// The most memory an instance may grow to.
    max_memory: usize,
    /// The most idle instances kept.
    max_idle: usize,
    /// Idle instances, reused across calls and threads. Boxed: taking
    /// one and giving it back moves a pointer, not the instance (a few
    /// hundred bytes, twice a call of a one-record evaluation).
    #[allow(clippy::vec_box)]
    pool: Mutex<Vec<Box<Instance>>>,
}

impl std::fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModule")
            .field("policy", &self.data.meta.policy)
            .finish()
    }
}

impl LoadedModule {
    /// Compiles module bytes whose metadata has already been read, reusing
    /// native code cached by an earlier process for the same bytes (see
    /// [`RuntimeConfig::cache_dir`]; none without a cache folder).
    pub(crate) fn new_cached(
        runtime: &Runtime,
        wasm: &[u8],
        meta: Arc<Meta>,
    ) -> Result<LoadedModule, LoadError> {
        let module = cached_module(runtime, wasm)?;
        Self::with_module(runtime, module, meta)
    }

    /// Pre-instantiates the module and makes its first instance, which also
    /// yields the module's constant data.
    fn with_module(
        runtime: &Runtime,
        module: Module,
        meta: Arc<Meta>,
    ) -> Result<LoadedModule, LoadError> {
        let engine = module.engine();
        if module.imports().len() != 0 {
            return Err(LoadError::NotAPolicy(
                "it imports functions from the host".into(),
            ));
        }
        let config = runtime.config();
        let (deadline_ticks, max_memory) = (config.deadline_ticks(), config.max_memory);
        let linker: Linker<Limits> = Linker::new(engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let (mut store, memory, evaluate) =
            instantiate(&pre, max_memory).map_err(|e| LoadError::Instantiate(e.to_string()))?;
        let statics = memory
            .data(&store)
            .get(..meta.heap_base as usize)
            .ok_or_else(|| {
                LoadError::NotAPolicy("its memory is smaller than its heap_base".into())
            })?
            .into();
        let data = Arc::new(ModuleData::new(meta, statics));
        store.set_epoch_deadline(deadline_ticks);
        let first = Instance::new(
            data.clone(),
            (deadline_ticks, max_memory),
            (store, memory, evaluate),
        );
        Ok(LoadedModule {
            data,
            pre,
            deadline_ticks,
            max_memory,
            max_idle: config.max_idle_instances,
            pool: Mutex::new(vec![Box::new(first)]),
        })
    }

    /// A fresh instance (its own store and memory).
    fn instance(&self) -> Result<Instance, EvalError> {
        let parts = instantiate(&self.pre, self.max_memory)?;
        Ok(Instance::new(
            self.data.clone(),
            (self.deadline_ticks, self.max_memory),
            parts,
        ))
    }

    /// Runs `f` with a pooled instance.
    fn with_instance<R>(&self, f: impl FnOnce(&mut Instance) -> R) -> Result<R, EvalError> {
        let mut inst = self.take_instance()?;
        let r = f(&mut inst);
        self.give_back(inst);
        Ok(r)
    }

    /// An instance from the pool, or a new one when the pool is empty.
    fn take_instance(&self) -> Result<Box<Instance>, EvalError> {
        // A poisoned pool (a panic while it was locked: never in this
        // code) only costs a new instance.
        match self.pool.lock().ok().and_then(|mut p| p.pop()) {
            Some(i) => Ok(i),
            None => self.instance().map(Box::new),
        }
    }

    /// Returns an instance to the pool, unless it holds enough already (or
    /// is poisoned): then the instance is dropped.
    fn give_back(&self, inst: Box<Instance>) {
        if let Ok(mut p) = self.pool.lock() {
            if p.len() < self.max_idle {
                p.push(inst);
            }
        }
    }

    /// Evaluates one record.
    pub(crate) fn evaluate(&self, facts: &Facts, as_of: i32) -> Result<Outcome, EvalError> {
        self.with_instance(|i| i.evaluate_one(facts, as_of, |r| r.to_outcome()))?
    }

    /// Evaluates one record and hands its results, read in place, to `f`
    /// (which writes a report, say, without an owned `Outcome` in between).
    pub(crate) fn evaluate_view<R>(
        &self,
        facts: &Facts,
        as_of: i32,
        f: impl FnOnce(RecordView<'_>) -> R,
    ) -> Result<R, EvalError> {
        self.with_instance(|i| i.evaluate_one(facts, as_of, f))?
    }

    /// See [`Instance::evaluate_each`].
    pub(crate) fn evaluate_each<I, F, C>(&self, items: I, as_of: i32, fill: F, consume: C)
    where
        I: IntoIterator,
        F: FnMut(&I::Item, &mut RecordWriter<'_>),
        C: FnMut(I::Item, Result<RecordView<'_>, EvalError>),
    {
        let mut inst = match self.take_instance() {
            Ok(i) => i,
            Err(e) => return fail_each(items, &e, consume),
        };
        // `fill` and `consume` move down whole, so that the loops call the
        // caller's closures directly (no `&mut` forwarding in between).
        inst.evaluate_each(items, as_of, fill, consume);
        self.give_back(inst);
    }

    /// See [`Instance::evaluate_rows`].
    pub(crate) fn evaluate_rows<C>(&self, rows: &batch::Rows<'_>, as_of: i32, mut consume: C)
    where
        C: FnMut(usize, Result<RecordView<'_>, batch::RowError>),
    {
        match self.take_instance() {
            Ok(mut inst) => {
                inst.evaluate_rows(rows, as_of, consume);
                self.give_back(inst);
            }
            Err(e) => (0..rows.len()).for_each(|r| consume(r, Err(e.clone().into()))),
        }
    }

    /// Evaluates many records into `results` (replacing what it held).
    pub(crate) fn evaluate_into(
        &self,
        records: &(impl Records + ?Sized),
        as_of: i32,
        results: &mut BatchResults,
    ) {
        if let Some(e) = records.misfit(&self.data.meta) {
            return results.fail_all(records.count(), as_of, e);
        }
        if let Err(e) = self.with_instance(|i| i.evaluate_into(records, as_of, results)) {
            results.fail_all(records.count(), as_of, e);
        }
    }
}

/// The error of a record whose texts and lists need `need` bytes, more
/// than fit beside a chunk's records and results in `max_memory`.
fn too_large(meta: &Meta, need: usize, max_memory: usize) -> EvalError {
    EvalError::TooLarge {
        needed: need + marshal::ChunkAddrs::of(meta, 1).extra,
        limit: max_memory,
    }
}

/// The memory a chunk's texts and lists may take in an instance of
/// `max_memory` bytes, beside a full chunk of records and results.
fn chunk_room(meta: &Meta, max_memory: usize) -> usize {
    max_memory.saturating_sub(marshal::ChunkAddrs::of(meta, CHUNK).extra)
}

/// Whether one record's facts fit an instance of `max_memory` bytes (see
/// [`Instance::evaluate_into`]), and the error they give if not: the
/// interpreter holds them to the same bound as the module.
pub(crate) fn fits_memory(meta: &Meta, facts: &Facts, max_memory: usize) -> Result<(), EvalError> {
    let room = chunk_room(meta, max_memory);
    let mut sizes = Vec::with_capacity(1);
    std::slice::from_ref(facts).extra_sizes(0..1, meta, &mut sizes);
    match sizes.first() {
        Some(&need) if need > room => Err(too_large(meta, need, max_memory)),
        _ => Ok(()),
    }
}

/// The record images of a full chunk in the module's memory `mem` (`size`
/// bytes each, their presence words after the first cleared), and the free
/// memory after the chunk's results, where its texts go. Both fill loops
/// start here.
#[inline(always)]
fn chunk_images<'m>(
    mem: &'m mut [u8],
    addrs: &marshal::ChunkAddrs,
    size: usize,
    presence_words: usize,
) -> (&'m mut [u8], &'m mut [u8]) {
    // `mem` holds at least `addrs.extra` bytes (the caller ensured it):
    // then both cuts are in bounds, and the fallbacks never taken.
    let (head, area) = mem.split_at_mut_checked(addrs.extra).unwrap_or_default();
    let images = head
        .get_mut(addrs.records..addrs.records + CHUNK * size)
        .unwrap_or_default();
    if presence_words > 1 {
        for image in images.chunks_exact_mut(size) {
            batch::clear_high_presence(image, presence_words);
        }
    }
    (images, area)
}

/// Fills the records of one chunk of `evaluate_rows` from row `start` on,
/// noting each row's [`Fate`] in `fates`; returns the row after the last
/// filled. A row's texts are counted once written: the chunk ends before
/// a row whose texts take the chunk's beyond `room` bytes; a row alone
/// that does not fit is emptied and [`Fate::TooLarge`], one refused by its
/// numbers emptied and [`Fate::Refused`].
#[inline(never)]
fn fill_rows(
    mem: &mut [u8],
    addrs: &marshal::ChunkAddrs,
    (size, presence_words, layout, room): (usize, usize, u64, usize),
    rows: &batch::Rows<'_>,
    start: usize,
    texts: &mut ChunkTexts,
    fates: &mut Vec<Fate>,
) -> usize {
    let (images, area) = chunk_images(mem, addrs, size, presence_words);
    // the usual rows skip the record writer: a loop of their own
    if rows.direct(layout) {
        let filled = rows.fill_direct(
            start,
            (&mut *images, size),
            (&mut *area, &mut *texts),
            (room, addrs.extra),
            fates,
        );
        if let Some(end) = filled {
            return end;
        }
    }
    // the others through a record writer, as `evaluate_each` fills
    let end = (start + CHUNK).min(rows.len());
    let mut record = 0;
    for (r, image) in (start..end).zip(images.chunks_exact_mut(size)) {
        let mark = texts.mark(record);
        let mut written = false;
        let mut write = |&r: &usize, w: &mut RecordWriter<'_>| written = rows.write(r, w);
        let fate = fill_one(
            image,
            presence_words,
            layout,
            area,
            texts,
            record,
            &mut write,
            &r,
        );
        let fate = if written { fate } else { Fate::Refused };
        // a row's texts are counted once written
        let Some(fate) = texts.settle(mark, (room, addrs.extra), r == start, fate) else {
            return r;
        };
        if fate != Fate::Run {
            // the module reads none of an empty record's slots
            image.fill(0);
        }
        fates.push(fate);
        record += size;
    }
    end
}

/// How `fill_chunk` left the chunk and the items.
struct Filled<I: Iterator> {
    items: I,
    /// An item whose texts did not fit beside the chunk's others: it
    /// starts the next chunk (and is filled again there).
    carry: Option<I::Item>,
}

/// Fills the fact records of one chunk of `evaluate_each` in `mem`, one item
/// at a time (`carry` first), noting each item in `pending` with its
/// [`Fate`]. The chunk ends early, before an item, when that item's texts
/// would take the chunk beyond `limit` bytes of memory: that item is
/// carried to the next chunk. `items` moves in and back out, so that the
/// loop keeps it in registers.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn fill_chunk<I: Iterator, F: FnMut(&I::Item, &mut RecordWriter<'_>)>(
    mem: &mut [u8],
    addrs: &marshal::ChunkAddrs,
    (size, presence_words, layout, limit): (usize, usize, u64, usize),
    mut items: I,
    mut carry: Option<I::Item>,
    fill: &mut F,
    texts: &mut ChunkTexts,
    pending: &mut Vec<(I::Item, Fate)>,
) -> Filled<I> {
    let (images, area) = chunk_images(mem, addrs, size, presence_words);
    // The texts of a chunk may take this many bytes after its results.
    let room = limit.saturating_sub(addrs.extra);
    pending.clear();
    pending.reserve(CHUNK);
    // The items go straight into `pending`'s spare room (one length update
    // for the chunk instead of a `push` per item), the carried one first.
    // the chunk's texts in a local while the items are filled, so that
    // the bytes used stay in a register
    let mut chunk = std::mem::take(texts);
    let mut record = 0;
    let mut filled = 0;
    let mut next_carry = None;
    for (image, slot) in images
        .chunks_exact_mut(size)
        .zip(pending.spare_capacity_mut())
    {
        let Some(item) = carry.take().or_else(|| items.next()) else {
            break;
        };
        let mark = chunk.mark(record);
        let fate = fill_one(
            image,
            presence_words,
            layout,
            area,
            &mut chunk,
            record,
            fill,
            &item,
        );
        // an item whose texts do not fit beside the others starts the next
        // chunk; one alone that does not fit is emptied
        let Some(fate) = chunk.settle(mark, (room, addrs.extra), filled == 0, fate) else {
            next_carry = Some(item);
            break;
        };
        if fate == Fate::TooLarge {
            image.fill(0);
        }
        slot.write((item, fate));
        record += size;
        filled += 1;
    }
    // SAFETY: `pending` was cleared, and the loop wrote the first `filled`
    // slots of its spare room (`filled` counts the writes, and no slot is
    // written twice). Were `fill` to panic, the items written
    // would leak, never be read uninitialised.
    unsafe { pending.set_len(filled) };
    *texts = chunk;
    Filled {
        items,
        // (a carried item stays carried when the chunk has no record)
        carry: next_carry.or(carry),
    }
}

/// Fills one item's record at offset `record` from the chunk's first.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fill_one<T, F: FnMut(&T, &mut RecordWriter<'_>)>(
    image: &mut [u8],
    presence_words: usize,
    layout: u64,
    area: &mut [u8],
    texts: &mut ChunkTexts,
    record: usize,
    fill: &mut F,
    item: &T,
) -> Fate {
    let sink = TextSink {
        area,
        texts,
        record,
        list: None,
    };
    // Not dropped: `finish` stores the presence word instead.
    let mut writer =
        std::mem::ManuallyDrop::new(RecordWriter::new(image, presence_words, layout, sink));
    (*fill)(item, &mut writer);
    if writer.finish() {
        Fate::Misfit
    } else {
        Fate::Run
    }
}

/// How a chunk of `evaluate_each` ended.
#[derive(Clone, Copy)]
enum ChunkRun<'a> {
    /// Evaluated: the result records are at `results` in `mem`.
    Ran {
        mem: &'a [u8],
        data: &'a ModuleData,
        results: usize,
        limit: usize,
        /// The bytes a [`Fate::TooLarge`] record of the chunk needs.
        too_large: usize,
    },
    /// Not evaluated: every item gets this error.
    Failed(&'a EvalError),
}

/// Hands every item to `consume` with the same error (the module could not
/// be loaded or instantiated), through `consume_chunk`.
pub fn fail_each<I, C>(items: I, e: &EvalError, mut consume: C)
where
    I: IntoIterator,
    C: FnMut(I::Item, Result<RecordView<'_>, EvalError>),
{
    let mut items = items.into_iter();
    let mut pending = Vec::new();
    loop {
        pending.extend(items.by_ref().take(CHUNK).map(|item| (item, Fate::Run)));
        if pending.is_empty() {
            return;
        }
        consume_chunk(ChunkRun::Failed(e), 0, &mut pending, &mut consume);
    }
}

/// Hands each pending item of a chunk of `evaluate_each` to `consume` with
/// its results, read in place (or the chunk's error): the one place
/// `consume` is called, so that the compiler can inline the caller's
/// closure here.
#[inline(never)]
fn consume_chunk<T, C: FnMut(T, Result<RecordView<'_>, EvalError>)>(
    run: ChunkRun<'_>,
    as_of: i32,
    pending: &mut Vec<(T, Fate)>,
    consume: &mut C,
) {
    let mut records = run.records(pending.len());
    for (item, fate) in pending.drain(..) {
        let result = run.result(records.next(), fate, as_of);
        (*consume)(item, result);
    }
}

impl<'a> ChunkRun<'a> {
    /// The result records of a chunk of `count` items, one a step (none
    /// when the chunk was not evaluated).
    #[inline(always)]
    fn records(&self, count: usize) -> std::slice::ChunksExact<'a, u8> {
        let (size, records) = match *self {
            ChunkRun::Ran {
                mem, data, results, ..
            } => {
                let size = data.record_size;
                // in bounds: the module wrote these records (a short memory
                // gives each item the "no result" error of `result`)
                let records = mem.get(results..results + count * size);
                (size, records.unwrap_or_default())
            }
            ChunkRun::Failed(_) => (1, &[][..]),
        };
        records.chunks_exact(size)
    }

    /// An item's results, read in place from its result `record`, or the
    /// error its fate or the chunk's failure gives it. (A refused row of
    /// `evaluate_rows` gets its error from the rows, before this.)
    #[inline(always)]
    fn result(
        &self,
        record: Option<&'a [u8]>,
        fate: Fate,
        as_of: i32,
    ) -> Result<RecordView<'a>, EvalError> {
        match (self, record, fate) {
            (ChunkRun::Ran { mem, data, .. }, Some(record), Fate::Run | Fate::Refused) => {
                results::view(data, record, mem, as_of)
            }
            _ => Err(self.error(record.is_some(), fate)),
        }
    }

    /// An evaluated record's view: `None` for a record that failed or was
    /// not evaluated (see [`ChunkRun::result`] for its error).
    #[inline(always)]
    fn view(&self, record: Option<&'a [u8]>, fate: Fate) -> Option<RecordView<'a>> {
        match (self, record, fate) {
            (ChunkRun::Ran { mem, data, .. }, Some(record), Fate::Run) => {
                results::ok_view(data, record, mem)
            }
            _ => None,
        }
    }

    /// The error of an item not evaluated (see [`ChunkRun::result`]): out
    /// of line, so that the usual item's result is built in registers.
    #[cold]
    #[inline(never)]
    fn error(&self, has_record: bool, fate: Fate) -> EvalError {
        match (self, has_record, fate) {
            (_, _, Fate::Misfit) => batch::misfit_error(),
            (
                ChunkRun::Ran {
                    limit, too_large, ..
                },
                _,
                Fate::TooLarge,
            ) => EvalError::TooLarge {
                needed: *too_large,
                limit: *limit,
            },
            (ChunkRun::Failed(e), _, _) => (*e).clone(),
            (ChunkRun::Ran { .. }, _, _) => trap_msg("no result"),
        }
    }
}

/// Hands row `r` of `evaluate_rows`, which has no view ([`ChunkRun::view`]),
/// its error: its refusal, or its record's failure.
#[cold]
#[inline(never)]
fn row_error<'a>(
    run: &ChunkRun<'a>,
    rows: &batch::Rows<'_>,
    (r, record, fate, as_of): (usize, Option<&'a [u8]>, Fate, i32),
    consume: &mut dyn FnMut(usize, Result<RecordView<'a>, batch::RowError>),
) {
    let error = match fate {
        Fate::Refused => rows.refusal(r).into(),
        fate => match run.result(record, fate, as_of) {
            Err(e) => e.into(),
            // (a record whose status is ok has a view: never here)
            Ok(view) => return consume(r, Ok(view)),
        },
    };
    consume(r, Err(error));
}

/// A new store with the memory limit, and the module instantiated in it.
fn instantiate(
    pre: &InstancePre<Limits>,
    max_memory: usize,
) -> Result<(Store<Limits>, Memory, EvaluateFn), EvalError> {
    let mut store = Store::new(
        pre.module().engine(),
        Limits {
            max_bytes: max_memory,
        },
    );
    store.limiter(|l| l);
    let instance = pre
        .instantiate(&mut store)
        .map_err(|e| EvalError::Load(LoadError::Instantiate(format!("{e:#}"))))?;
    let memory = instance
        .get_memory(&mut store, abi::EXPORT_MEMORY)
        .ok_or_else(|| LoadError::NotAPolicy("it exports no memory".into()))?;
    let evaluate = instance
        .get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, abi::EXPORT_EVALUATE)
        .map_err(|e| LoadError::NotAPolicy(format!("{e:#}")))?;
    Ok((store, memory, evaluate))
}

fn trap(e: wasmtime::Error) -> EvalError {
    trap_msg(&format!("{e:#}"))
}

fn trap_msg(msg: &str) -> EvalError {
    EvalError::Trap {
        message: msg.to_string(),
    }
}

/// One instance of a policy module: a store, its memory and the entry point.
pub(crate) struct Instance {
    data: Arc<ModuleData>,
    deadline_ticks: u64,
    /// The most memory it may grow to.
    max_memory: usize,
    store: Store<Limits>,
    memory: Memory,
    evaluate: EvaluateFn,
    /// Results of single evaluations, reused.
    scratch: BatchResults,
    /// Bytes kept free after a chunk's results for the texts that
    /// `evaluate_each` writes there: the most a chunk has needed so far.
    text_room: usize,
    /// The sizes of the texts and lists of one chunk's records, reused.
    sizes: Vec<usize>,
    /// Records of a batch that are refused on their own, reused.
    misfits: Vec<usize>,
}

impl Instance {
    /// An instance over a freshly instantiated store, with empty scratch
    /// results and the initial text room.
    fn new(
        data: Arc<ModuleData>,
        (deadline_ticks, max_memory): (u64, usize),
        (store, memory, evaluate): (Store<Limits>, Memory, EvaluateFn),
    ) -> Instance {
        Instance {
            data,
            deadline_ticks,
            max_memory,
            store,
            memory,
            evaluate,
            scratch: BatchResults::default(),
            text_room: TEXT_ROOM,
            sizes: Vec::new(),
            misfits: Vec::new(),
        }
    }

    /// Evaluates one record and hands its results to `f`.
    fn evaluate_one<R>(
        &mut self,
        facts: &Facts,
        as_of: i32,
        f: impl FnOnce(RecordView<'_>) -> R,
    ) -> Result<R, EvalError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.evaluate_into(std::slice::from_ref(facts), as_of, &mut scratch);
        let r = match scratch.get(0) {
            Some(Ok(view)) => Ok(f(view)),
            Some(Err(e)) => Err(e),
            None => Err(trap_msg("no result")),
        };
        self.scratch = scratch;
        r
    }

    /// Evaluates `items` chunk by chunk, straight in the module's memory:
    /// `fill` writes each item's facts into its record in place, and
    /// `consume` receives each item with its results, read in place. No
    /// copy of records or results is made, and memory stays bounded
    /// whatever the number of items. A chunk ends before an item whose
    /// texts would not fit beside the chunk's others (`fill` then runs
    /// again for it, at the start of the next chunk); an item whose texts
    /// do not fit on their own gets [`EvalError::TooLarge`].
    fn evaluate_each<I, F, C>(&mut self, items: I, as_of: i32, mut fill: F, mut consume: C)
    where
        I: IntoIterator,
        F: FnMut(&I::Item, &mut RecordWriter<'_>),
        C: FnMut(I::Item, Result<RecordView<'_>, EvalError>),
    {
        let data = self.data.clone();
        let meta = &data.meta;
        let (size, presence_words) = (meta.input.size as usize, meta.input.presence_words as usize);
        let addrs = marshal::ChunkAddrs::of(meta, CHUNK);
        let mut items = items.into_iter();
        let mut carry = None;
        let mut pending = Vec::with_capacity(CHUNK);
        let mut texts = ChunkTexts::default();
        loop {
            pending.clear();
            texts.reset(addrs.extra);
            // Room for the chunk's texts after its results: as much as the
            // largest chunk so far used; texts beyond it are spilled and
            // placed after growing the memory.
            let prepared = self
                .ensure_memory(addrs.extra + self.text_room)
                .or_else(|_| self.ensure_memory(addrs.extra));
            let ran = match prepared {
                Err(e) => {
                    pending.extend(carry.take().map(|item| (item, Fate::Run)));
                    let rest = CHUNK - pending.len();
                    pending.extend(items.by_ref().take(rest).map(|item| (item, Fate::Run)));
                    Err(e)
                }
                Ok(()) => {
                    let mem = self.memory.data_mut(&mut self.store);
                    let filled = fill_chunk(
                        mem,
                        &addrs,
                        (size, presence_words, data.input_layout, self.max_memory),
                        items,
                        carry.take(),
                        &mut fill,
                        &mut texts,
                        &mut pending,
                    );
                    items = filled.items;
                    carry = filled.carry;
                    self.run_filled(&texts, &addrs, pending.len(), as_of)
                }
            };
            if pending.is_empty() {
                return;
            }
            let run = self.chunk_run(&data, &ran, &addrs, &texts);
            consume_chunk(run, as_of, &mut pending, &mut consume);
        }
    }

    /// Evaluates `rows` chunk by chunk, straight in the module's memory:
    /// each chunk's records are filled in one loop from the rows (no
    /// closure per record), and `consume` receives each row's index with
    /// its results, read in place. A chunk ends before a row whose texts
    /// would not fit beside the chunk's others; a row whose texts do not
    /// fit on their own gets [`EvalError::TooLarge`], and one whose number
    /// its field cannot take its [`batch::NumError`]: the other rows are
    /// evaluated as usual.
    fn evaluate_rows<C>(&mut self, rows: &batch::Rows<'_>, as_of: i32, mut consume: C)
    where
        C: FnMut(usize, Result<RecordView<'_>, batch::RowError>),
    {
        let data = self.data.clone();
        let meta = &data.meta;
        let (size, presence_words) = (meta.input.size as usize, meta.input.presence_words as usize);
        let addrs = marshal::ChunkAddrs::of(meta, CHUNK);
        let room = chunk_room(meta, self.max_memory);
        let mut texts = ChunkTexts::default();
        let mut fates = Vec::with_capacity(CHUNK);
        let mut next = 0;
        while next < rows.len() {
            let start = next;
            texts.reset(addrs.extra);
            fates.clear();
            let prepared = self
                .ensure_memory(addrs.extra + self.text_room)
                .or_else(|_| self.ensure_memory(addrs.extra));
            let ran = prepared.and_then(|()| {
                let mem = self.memory.data_mut(&mut self.store);
                next = fill_rows(
                    mem,
                    &addrs,
                    (size, presence_words, data.input_layout, room),
                    rows,
                    start,
                    &mut texts,
                    &mut fates,
                );
                self.run_filled(&texts, &addrs, fates.len(), as_of)
            });
            if ran.is_err() {
                // nothing was filled when the memory could not be had
                next = next.max((start + CHUNK).min(rows.len()));
            }
            let run = self.chunk_run(&data, &ran, &addrs, &texts);
            let mut records = run.records(next - start);
            for r in start..next {
                // no fate when nothing was filled: the chunk's error
                let fate = fates.get(r - start).copied().unwrap_or(Fate::Run);
                let record = records.next();
                match run.view(record, fate) {
                    Some(view) => consume(r, Ok(view)),
                    // an error goes through a `dyn` call, so that the view's
                    // call above stays the one LLVM inlines the caller's
                    // closure into, with no `Result` of an error to build
                    // and drop on the usual row's path
                    None => row_error(&run, rows, (r, record, fate, as_of), &mut consume),
                }
            }
        }
    }

    /// Evaluates a filled chunk of `count` records: keeps the room its
    /// texts took for the next chunk, places those that did not fit, and
    /// calls the module.
    fn run_filled(
        &mut self,
        texts: &ChunkTexts,
        addrs: &marshal::ChunkAddrs,
        count: usize,
        as_of: i32,
    ) -> Result<(), EvalError> {
        self.text_room = self.text_room.max(texts.len());
        self.place_spilled(texts, addrs)?;
        self.call(addrs.records, count, addrs.results, as_of)
    }

    /// How a chunk that `ran` (or failed) is read: its result records in
    /// this instance's memory, or its error.
    fn chunk_run<'a>(
        &'a self,
        data: &'a ModuleData,
        ran: &'a Result<(), EvalError>,
        addrs: &marshal::ChunkAddrs,
        texts: &ChunkTexts,
    ) -> ChunkRun<'a> {
        match ran {
            Ok(()) => ChunkRun::Ran {
                mem: self.memory.data(&self.store),
                data,
                results: addrs.results,
                limit: self.max_memory,
                too_large: texts.too_large(),
            },
            Err(e) => ChunkRun::Failed(e),
        }
    }

    /// Places the texts of a chunk that did not fit in the memory's free
    /// room (growing it) and points their slots at them.
    fn place_spilled(
        &mut self,
        texts: &ChunkTexts,
        addrs: &marshal::ChunkAddrs,
    ) -> Result<(), EvalError> {
        if texts.spilled_len() == 0 {
            return Ok(());
        }
        let at = texts.spill_at();
        self.ensure_memory(at + texts.spilled_len())?;
        texts.place(self.memory.data_mut(&mut self.store), addrs.records, at);
        Ok(())
    }

    /// Evaluates records `records..` into results at `results`.
    fn call(
        &mut self,
        records: usize,
        count: usize,
        results: usize,
        as_of: i32,
    ) -> Result<(), EvalError> {
        self.store.set_epoch_deadline(self.deadline_ticks);
        self.evaluate
            .call(
                &mut self.store,
                (records as i32, count as i32, results as i32, as_of),
            )
            .map(|_| ())
            .map_err(|e| {
                if let Some(wasmtime::Trap::Interrupt) = e.downcast_ref::<wasmtime::Trap>() {
                    EvalError::TimeLimit {
                        limit_ms: self.deadline_ticks * TICK.as_millis() as u64,
                    }
                } else {
                    trap(e)
                }
            })
    }

    /// Evaluates records in chunks into `results`: at most [`CHUNK`]
    /// records a chunk, fewer when their texts and lists would not fit the
    /// memory together. A failing chunk does not affect the others, a
    /// failing record (an overflow, say) not even the rest of its chunk,
    /// and a record too large on its own fails alone.
    fn evaluate_into(
        &mut self,
        records: &(impl Records + ?Sized),
        as_of: i32,
        results: &mut BatchResults,
    ) {
        results.reset(&self.data, as_of);
        let data = self.data.clone();
        let meta = &data.meta;
        let count = records.count();
        let room = chunk_room(meta, self.max_memory);
        let mut sizes = std::mem::take(&mut self.sizes);
        for chunk in (0..count).step_by(CHUNK) {
            let end = (chunk + CHUNK).min(count);
            sizes.clear();
            records.extra_sizes(chunk..end, meta, &mut sizes);
            let (mut start, mut bytes) = (chunk, 0);
            for (i, &need) in (chunk..end).zip(&sizes) {
                if bytes + need <= room {
                    bytes += need;
                    continue;
                }
                self.run_range(records, start..i, as_of, results);
                if need > room {
                    results.fail(1, too_large(meta, need, self.max_memory));
                    (start, bytes) = (i + 1, 0);
                } else {
                    (start, bytes) = (i, need);
                }
            }
            self.run_range(records, start..end, as_of, results);
        }
        self.sizes = sizes;
        let mut misfits = std::mem::take(&mut self.misfits);
        misfits.clear();
        records.misfits(meta, &mut misfits);
        for &i in &misfits {
            results.mark_failed(i, records.misfit_error(meta));
        }
        self.misfits = misfits;
    }

    /// Evaluates records `range` (within one chunk) into `results`, or
    /// fails them all with the error.
    fn run_range(
        &mut self,
        records: &(impl Records + ?Sized),
        range: std::ops::Range<usize>,
        as_of: i32,
        results: &mut BatchResults,
    ) {
        let n = range.len();
        if n == 0 {
            return;
        }
        if let Err(e) = self.run_chunk(records, range, as_of, results) {
            results.fail(n, e);
        }
    }

    fn run_chunk(
        &mut self,
        records: &(impl Records + ?Sized),
        chunk: std::ops::Range<usize>,
        as_of: i32,
        results: &mut BatchResults,
    ) -> Result<(), EvalError> {
        let data = self.data.clone();
        let meta = &data.meta;
        let count = chunk.len();
        let addrs = marshal::ChunkAddrs::of(meta, count);
        self.ensure_memory(addrs.extra)?;
        let mem = self.memory.data_mut(&mut self.store);
        let mut end = records.write(chunk.clone(), meta, addrs, mem);
        if end > self.memory.data_size(&self.store) {
            // The texts and lists did not fit: grow and write again.
            self.ensure_memory(end)?;
            let mem = self.memory.data_mut(&mut self.store);
            end = records.write(chunk, meta, addrs, mem);
            if end > self.memory.data_size(&self.store) {
                return Err(trap_msg("the facts did not fit in the module's memory"));
            }
        }
        self.call(addrs.records, count, addrs.results, as_of)?;
        results.append(self.memory.data(&self.store), addrs.results, count);
        Ok(())
    }

    /// Grows the memory to hold `end` bytes, within the instance's limit.
    fn ensure_memory(&mut self, end: usize) -> Result<(), EvalError> {
        let too_large = || EvalError::TooLarge {
            needed: end,
            limit: self.max_memory,
        };
        if end > self.max_memory {
            return Err(too_large());
        }
        let have = self.memory.data_size(&self.store);
        if end > have {
            let pages = (end - have).div_ceil(abi::PAGE as usize) as u64;
            self.memory
                .grow(&mut self.store, pages)
                .map_err(|_| too_large())?;
        }
        Ok(())
    }
}
