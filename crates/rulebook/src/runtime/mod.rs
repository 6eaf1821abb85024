//! Runtime: loads compiled policy modules into wasmtime and evaluates
//! batches of records (the only user of wasmtime). One [`Engine`] per
//! process; per policy a [`LoadedModule`] (module + pre-instantiated linker)
//! built once; per thread of evaluation an [`Instance`] (store + instance)
//! reused for every batch. Records go through in chunks of [`CHUNK`]: from
//! any [`Records`] (`Facts`, a [`batch::Batch`]) into a
//! [`BatchResults`], or with [`Instance::evaluate_each`] filled and read in
//! place in the module's memory. Memory is bounded, and an epoch deadline
//! stops any call that runs too long, so no module or input can hang or
//! exhaust the host.

pub mod marshal;
pub(crate) mod results;

pub mod batch;

use batch::{ChunkTexts, RecordWriter, TextSink};
pub use results::{BatchResults, Bits, DecisionView, ModuleData, RecordView};

use crate::abi::{self, Meta};
use crate::facts::Facts;
use crate::outcome::{EvalError, Outcome};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, ResourceLimiter, Store, TypedFunc,
};

/// The module's `evaluate(in_ptr, count, out_ptr, as_of) -> status` export.
type EvaluateFn = TypedFunc<(i32, i32, i32, i32), i32>;

/// How long one call into a module may run before it is stopped.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);
/// Epoch tick period.
const TICK: Duration = Duration::from_millis(10);
pub use marshal::CHUNK;

/// Free memory first kept for the texts of a chunk in `evaluate_each`
/// (it grows to what chunks need).
const TEXT_ROOM: usize = 16 * 1024;

/// A module that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("not a Rulebook policy module: {0}")]
    NotAPolicy(String),
    #[error("the module was built for ABI version {found}, this Rulebook reads version {expected}: recompile the policy")]
    AbiVersion { found: u32, expected: u32 },
    #[error("the module is not valid WebAssembly: {0}")]
    Invalid(String),
    /// The evaluation engine itself could not be set up.
    #[error("the evaluation engine is unavailable: {0}")]
    Engine(String),
}

/// The process-wide wasmtime engine, with a ticker thread driving epoch
/// deadlines. Both are made once; if either cannot be made (wasmtime refuses
/// the configuration, or no thread can be started), every load reports it:
/// an engine without its ticker would never stop a looping evaluation.
pub fn engine() -> Result<&'static Engine, LoadError> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config.epoch_interruption(true);
            config.cranelift_opt_level(wasmtime::OptLevel::Speed);
            // `RULEBOOK_PROFILE=perfmap` names the generated functions for
            // `perf report` (docs/performance.md).
            if std::env::var_os("RULEBOOK_PROFILE").is_some_and(|v| v == "perfmap") {
                config.profiler(wasmtime::ProfilingStrategy::PerfMap);
            }
            let engine = Engine::new(&config)
                .map_err(|e| format!("wasmtime refused the engine configuration: {e:#}"))?;
            let ticker = engine.clone();
            std::thread::Builder::new()
                .name("rulebook-epoch".into())
                .spawn(move || loop {
                    std::thread::sleep(TICK);
                    ticker.increment_epoch();
                })
                .map_err(|e| format!("cannot start the thread that bounds evaluation time: {e}"))?;
            Ok(engine)
        })
        .as_ref()
        .map_err(|e| LoadError::Engine(e.clone()))
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

/// Where compiled native code of modules is kept between processes:
/// `$RULEBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/rulebook`, else
/// `~/.cache/rulebook`; none when `RULEBOOK_CACHE=off`.
pub fn cache_dir() -> Option<std::path::PathBuf> {
    if std::env::var_os("RULEBOOK_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    if let Some(d) = std::env::var_os("RULEBOOK_CACHE_DIR") {
        return Some(d.into());
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(std::path::PathBuf::from(d).join("rulebook"));
    }
    std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache").join("rulebook"))
}

/// The module compiled by cranelift, reusing native code cached by an
/// earlier process for the same bytes and engine (so loading a module that
/// `rulebook compile` wrote takes well under a millisecond instead of a full
/// compilation). The cache is an optimisation only: any failure to read or
/// write it falls back to compiling.
fn cached_module(engine: &Engine, wasm: &[u8]) -> Result<Module, LoadError> {
    use std::hash::{Hash, Hasher};
    let compile = || Module::new(engine, wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")));
    let Some(dir) = cache_dir() else {
        return compile();
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let path = dir.join(format!(
        "{}-{:016x}.cwasm",
        crate::digest::sha256_hex(wasm),
        h.finish()
    ));
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
        if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(module)
}

/// Records a batch can be evaluated from: typed [`Facts`] (any input type),
/// or a [`batch::Batch`] (record images, the fastest).
pub trait Records {
    /// How many records there are.
    fn count(&self) -> usize;
    /// Why the records cannot be evaluated by a module with this metadata.
    fn misfit(&self, _meta: &Meta) -> Option<EvalError> {
        None
    }
    /// Records given a fact through a field handle of other inputs.
    fn misfit_records(&self) -> &[usize] {
        &[]
    }
    /// Writes records `range` into `mem` at `addrs`: see [`marshal::write_records`].
    fn write(
        &self,
        range: std::ops::Range<usize>,
        meta: &Meta,
        addrs: marshal::ChunkAddrs,
        mem: &mut [u8],
    ) -> usize;
}

/// `[Facts]`, `Vec<Facts>`, arrays: anything that is a slice of facts.
impl<T: AsRef<[Facts]> + ?Sized> Records for T {
    fn count(&self) -> usize {
        self.as_ref().len()
    }
    fn write(
        &self,
        range: std::ops::Range<usize>,
        meta: &Meta,
        addrs: marshal::ChunkAddrs,
        mem: &mut [u8],
    ) -> usize {
        marshal::write_records(meta, self.as_ref().get(range).unwrap_or(&[]), addrs, mem)
    }
}

impl Records for batch::Batch {
    fn count(&self) -> usize {
        self.len()
    }
    fn misfit(&self, meta: &Meta) -> Option<EvalError> {
        (!self.fits(meta)).then(|| {
            trap_msg(&format!(
                "the batch was built for other inputs than those of policy {}",
                meta.policy
            ))
        })
    }
    fn misfit_records(&self) -> &[usize] {
        self.misfits()
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
pub struct LoadedModule {
    data: Arc<ModuleData>,
    pre: InstancePre<Limits>,
    /// Epoch ticks one call may run.
    deadline_ticks: u64,
    /// Idle instances, reused across calls and threads.
    pool: Mutex<Vec<Instance>>,
}

impl std::fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModule")
            .field("policy", &self.data.meta.policy)
            .finish()
    }
}

impl LoadedModule {
    /// Compiles module bytes whose metadata has already been read.
    pub fn new(wasm: &[u8], meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let module =
            Module::new(engine()?, wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Self::with_module(module, meta)
    }

    /// Like [`LoadedModule::new`], reusing native code cached by an earlier
    /// process for the same bytes (see [`cache_dir`]): for modules read from disk.
    pub fn new_cached(wasm: &[u8], meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let module = cached_module(engine()?, wasm)?;
        Self::with_module(module, meta)
    }

    /// Pre-instantiates the module and makes its first instance, which also
    /// yields the module's constant data.
    fn with_module(module: Module, meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let engine = module.engine();
        if module.imports().len() != 0 {
            return Err(LoadError::NotAPolicy(
                "it imports functions from the host".into(),
            ));
        }
        let linker: Linker<Limits> = Linker::new(engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let deadline_ticks = ticks(CALL_DEADLINE);
        let (mut store, memory, evaluate) =
            instantiate(&pre).map_err(|e| LoadError::Invalid(e.to_string()))?;
        let statics = memory
            .data(&store)
            .get(..meta.heap_base as usize)
            .ok_or_else(|| {
                LoadError::NotAPolicy("its memory is smaller than its heap_base".into())
            })?
            .into();
        let data = Arc::new(ModuleData::new(meta, statics));
        store.set_epoch_deadline(deadline_ticks);
        let first = Instance::new(data.clone(), deadline_ticks, (store, memory, evaluate));
        Ok(LoadedModule {
            data,
            pre,
            deadline_ticks,
            pool: Mutex::new(vec![first]),
        })
    }

    /// Reads the metadata, checks it, and compiles (through the cache).
    pub fn from_bytes(wasm: &[u8]) -> Result<LoadedModule, LoadError> {
        let meta = read_meta(wasm)?;
        Self::new_cached(wasm, Arc::new(meta))
    }

    pub fn meta(&self) -> &Meta {
        &self.data.meta
    }

    /// Changes how long one call may run before it is stopped (default [`CALL_DEADLINE`]).
    pub fn set_call_deadline(&mut self, deadline: Duration) {
        self.deadline_ticks = ticks(deadline);
        if let Ok(mut pool) = self.pool.lock() {
            for i in pool.iter_mut() {
                i.deadline_ticks = self.deadline_ticks;
            }
        }
    }

    /// A fresh instance (its own store and memory).
    pub fn instance(&self) -> Result<Instance, EvalError> {
        let parts = instantiate(&self.pre)?;
        Ok(Instance::new(self.data.clone(), self.deadline_ticks, parts))
    }

    /// Runs `f` with a pooled instance.
    pub fn with_instance<R>(&self, f: impl FnOnce(&mut Instance) -> R) -> Result<R, EvalError> {
        let mut inst = self.take_instance()?;
        let r = f(&mut inst);
        self.give_back(inst);
        Ok(r)
    }

    /// An instance from the pool, or a new one when the pool is empty.
    fn take_instance(&self) -> Result<Instance, EvalError> {
        match self.pool.lock().ok().and_then(|mut p| p.pop()) {
            Some(i) => Ok(i),
            None => self.instance(),
        }
    }

    /// Returns an instance to the pool.
    fn give_back(&self, inst: Instance) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(inst);
        }
    }

    /// Evaluates one record.
    pub fn evaluate(&self, facts: &Facts, as_of: i32) -> Result<Outcome, EvalError> {
        self.with_instance(|i| i.evaluate_one(facts, as_of, |r| r.to_outcome()))?
    }

    /// Evaluates one record and hands its results, read in place, to `f`
    /// (which writes a report, say, without an owned `Outcome` in between).
    pub fn evaluate_view<R>(
        &self,
        facts: &Facts,
        as_of: i32,
        f: impl FnOnce(RecordView<'_>) -> R,
    ) -> Result<R, EvalError> {
        self.with_instance(|i| i.evaluate_one(facts, as_of, f))?
    }

    /// Evaluates many records; each gets its own result.
    pub fn evaluate_batch(&self, records: &[Facts], as_of: i32) -> Vec<Result<Outcome, EvalError>> {
        let mut results = BatchResults::default();
        self.evaluate_into(records, as_of, &mut results);
        results.to_outcomes()
    }

    /// See [`Instance::evaluate_each`].
    pub fn evaluate_each<I, F, C>(&self, items: I, as_of: i32, fill: F, consume: C)
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

    /// Evaluates many records into `results` (replacing what it held).
    pub fn evaluate_into(
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

/// Fills the fact records of one chunk of `evaluate_each` in `mem`, one item
/// at a time, noting each item in `pending` with whether its record is a
/// misfit. `items` moves in and back out, so that the loop keeps it in
/// registers.
#[inline(never)]
fn fill_chunk<I: Iterator, F: FnMut(&I::Item, &mut RecordWriter<'_>)>(
    mem: &mut [u8],
    addrs: &marshal::ChunkAddrs,
    (size, presence_words, layout): (usize, usize, u64),
    mut items: I,
    fill: &mut F,
    texts: &mut ChunkTexts,
    pending: &mut Vec<(I::Item, bool)>,
) -> I {
    let (head, area) = mem.split_at_mut_checked(addrs.extra).unwrap_or_default();
    let images = head
        .get_mut(addrs.records..addrs.records + CHUNK * size)
        .unwrap_or_default();
    if presence_words > 1 {
        for image in images.chunks_exact_mut(size) {
            batch::clear_high_presence(image, presence_words);
        }
    }
    // The items go straight into `pending`'s spare room (one length update
    // for the chunk instead of a `push` per item).
    pending.clear();
    pending.reserve(CHUNK);
    let (mut record, mut filled) = (0, 0);
    for (image, slot) in images
        .chunks_exact_mut(size)
        .zip(pending.spare_capacity_mut())
    {
        let Some(item) = items.next() else { break };
        let sink = TextSink {
            area: &mut *area,
            texts: &mut *texts,
            record,
        };
        // Not dropped: `finish` stores the presence word instead.
        let mut writer =
            std::mem::ManuallyDrop::new(RecordWriter::new(image, presence_words, layout, sink));
        (*fill)(&item, &mut writer);
        slot.write((item, writer.finish()));
        record += size;
        filled += 1;
    }
    // SAFETY: the loop wrote the first `filled` slots of the spare room
    // (`filled` counts the writes, and no slot is written twice). Were `fill`
    // to panic, the items written would leak, never be read uninitialised.
    unsafe { pending.set_len(filled) };
    items
}

/// How a chunk of `evaluate_each` ended.
#[derive(Clone, Copy)]
enum ChunkRun<'a> {
    /// Evaluated: the result records are at `results` in `mem`.
    Ran {
        mem: &'a [u8],
        data: &'a ModuleData,
        results: usize,
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
        pending.extend(items.by_ref().take(CHUNK).map(|item| (item, false)));
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
    pending: &mut Vec<(T, bool)>,
    consume: &mut C,
) {
    let (size, records) = match run {
        ChunkRun::Ran { mem, data, results } => {
            let size = data.record_size;
            let records = mem.get(results..results + pending.len() * size);
            (size, records.unwrap_or_default())
        }
        ChunkRun::Failed(_) => (1, &[][..]),
    };
    let mut records = records.chunks_exact(size);
    for (item, misfit) in pending.drain(..) {
        let result = match (&run, records.next()) {
            _ if misfit => Err(batch::misfit_error()),
            (ChunkRun::Ran { mem, data, .. }, Some(record)) => {
                results::view(data, record, mem, as_of)
            }
            (ChunkRun::Failed(e), _) => Err((*e).clone()),
            (ChunkRun::Ran { .. }, None) => Err(trap_msg("no result")),
        };
        (*consume)(item, result);
    }
}

/// A new store with the memory limit, and the module instantiated in it.
fn instantiate(
    pre: &InstancePre<Limits>,
) -> Result<(Store<Limits>, Memory, EvaluateFn), EvalError> {
    let mut store = Store::new(
        pre.module().engine(),
        Limits {
            max_bytes: (abi::MAX_PAGES * abi::PAGE) as usize,
        },
    );
    store.limiter(|l| l);
    let instance = pre.instantiate(&mut store).map_err(trap)?;
    let memory = instance
        .get_memory(&mut store, abi::EXPORT_MEMORY)
        .ok_or_else(|| trap_msg("the module exports no memory"))?;
    let evaluate = instance
        .get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, abi::EXPORT_EVALUATE)
        .map_err(trap)?;
    Ok((store, memory, evaluate))
}

fn ticks(d: Duration) -> u64 {
    (d.as_millis() / TICK.as_millis()).max(1) as u64
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
pub struct Instance {
    data: Arc<ModuleData>,
    deadline_ticks: u64,
    store: Store<Limits>,
    memory: Memory,
    evaluate: EvaluateFn,
    /// Results of single evaluations, reused.
    scratch: BatchResults,
    /// Bytes kept free after a chunk's results for the texts that
    /// `evaluate_each` writes there: the most a chunk has needed so far.
    text_room: usize,
}

impl Instance {
    /// An instance over a freshly instantiated store, with empty scratch
    /// results and the initial text room.
    fn new(
        data: Arc<ModuleData>,
        deadline_ticks: u64,
        (store, memory, evaluate): (Store<Limits>, Memory, EvaluateFn),
    ) -> Instance {
        Instance {
            data,
            deadline_ticks,
            store,
            memory,
            evaluate,
            scratch: BatchResults::default(),
            text_room: TEXT_ROOM,
        }
    }

    /// Evaluates one record and hands its results to `f`.
    pub fn evaluate_one<R>(
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
    /// whatever the number of items.
    pub fn evaluate_each<I, F, C>(&mut self, items: I, as_of: i32, mut fill: F, mut consume: C)
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
                    pending.extend(items.by_ref().take(CHUNK).map(|item| (item, false)));
                    Err(e)
                }
                Ok(()) => {
                    let mem = self.memory.data_mut(&mut self.store);
                    items = fill_chunk(
                        mem,
                        &addrs,
                        (size, presence_words, data.input_layout),
                        items,
                        &mut fill,
                        &mut texts,
                        &mut pending,
                    );
                    self.text_room = self.text_room.max(texts.len());
                    let count = pending.len();
                    self.place_spilled(&texts, &addrs)
                        .and_then(|()| self.call(addrs.records, count, addrs.results, as_of))
                }
            };
            if pending.is_empty() {
                return;
            }
            let run = match &ran {
                Ok(()) => ChunkRun::Ran {
                    mem: self.memory.data(&self.store),
                    data: &data,
                    results: addrs.results,
                },
                Err(e) => ChunkRun::Failed(e),
            };
            consume_chunk(run, as_of, &mut pending, &mut consume);
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
                    trap_msg(&format!(
                        "evaluation took longer than the time limit ({} ms)",
                        self.deadline_ticks * TICK.as_millis() as u64
                    ))
                } else {
                    trap(e)
                }
            })
    }

    /// Evaluates records in chunks into `results`; a failing chunk does not
    /// affect the others, and a failing record (an overflow, say) not even
    /// the rest of its chunk.
    pub fn evaluate_into(
        &mut self,
        records: &(impl Records + ?Sized),
        as_of: i32,
        results: &mut BatchResults,
    ) {
        results.reset(&self.data, as_of);
        let count = records.count();
        for start in (0..count).step_by(CHUNK) {
            let chunk = start..(start + CHUNK).min(count);
            let n = chunk.len();
            if let Err(e) = self.run_chunk(records, chunk, as_of, results) {
                results.fail(n, e);
            }
        }
        for &i in records.misfit_records() {
            results.mark_failed(i, batch::misfit_error());
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

    /// Grows the memory to hold `end` bytes, within the module's limit.
    fn ensure_memory(&mut self, end: usize) -> Result<(), EvalError> {
        if end as u64 > abi::MAX_PAGES * abi::PAGE {
            return Err(trap_msg(
                "the batch does not fit in the module's memory limit",
            ));
        }
        let have = self.memory.data_size(&self.store);
        if end > have {
            let pages = (end - have).div_ceil(abi::PAGE as usize) as u64;
            self.memory
                .grow(&mut self.store, pages)
                .map_err(|_| trap_msg("the batch does not fit in the module's memory limit"))?;
        }
        Ok(())
    }
}
