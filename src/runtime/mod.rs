//! Runtime: loads compiled policy modules into wasmtime and evaluates
//! batches of records (the only user of wasmtime). One [`Engine`] per
//! process; per policy a [`LoadedModule`] (module + pre-instantiated linker)
//! built once; per thread of evaluation an [`Instance`] (store + instance)
//! reused for every batch. Memory is bounded, and an epoch deadline stops any
//! call that runs too long, so no module or input can hang or exhaust the host.

mod marshal;

use crate::abi::{self, Meta};
use crate::facts::Facts;
use crate::outcome::{EvalError, Outcome};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, ResourceLimiter, Store, TypedFunc,
};

/// How long one call into a module may run before it is stopped.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);
/// Epoch tick period.
const TICK: Duration = Duration::from_millis(10);
/// Records marshalled into memory per call.
pub const CHUNK: usize = 512;

/// A module that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("not a Rulebook policy module: {0}")]
    NotAPolicy(String),
    #[error("the module was built for ABI version {found}, this Rulebook reads version {expected}: recompile the policy")]
    AbiVersion { found: u32, expected: u32 },
    #[error("the module is not valid WebAssembly: {0}")]
    Invalid(String),
}

/// The process-wide wasmtime engine, with a ticker thread driving epoch deadlines.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config).unwrap_or_default();
        let ticker = engine.clone();
        let _ = std::thread::Builder::new()
            .name("rulebook-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                ticker.increment_epoch();
            });
        engine
    })
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
        crate::sha256_hex(wasm),
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

/// A policy module compiled by wasmtime, ready to instantiate.
pub struct LoadedModule {
    meta: Arc<Meta>,
    pre: InstancePre<Limits>,
    /// Epoch ticks one call may run.
    deadline_ticks: u64,
    /// Idle instances, reused across calls and threads.
    pool: Mutex<Vec<Instance>>,
}

impl std::fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModule")
            .field("policy", &self.meta.policy)
            .finish()
    }
}

impl LoadedModule {
    /// Compiles module bytes whose metadata has already been read.
    pub fn new(wasm: &[u8], meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let module =
            Module::new(engine(), wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Self::with_module(module, meta)
    }

    /// Like [`LoadedModule::new`], reusing native code cached by an earlier
    /// process for the same bytes (see [`cache_dir`]): for modules read from disk.
    pub fn new_cached(wasm: &[u8], meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let module = cached_module(engine(), wasm)?;
        Self::with_module(module, meta)
    }

    fn with_module(module: Module, meta: Arc<Meta>) -> Result<LoadedModule, LoadError> {
        let engine = engine();
        if module.imports().len() != 0 {
            return Err(LoadError::NotAPolicy(
                "it imports functions from the host".into(),
            ));
        }
        let linker: Linker<Limits> = Linker::new(engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Ok(LoadedModule {
            meta,
            pre,
            deadline_ticks: ticks(CALL_DEADLINE),
            pool: Mutex::new(Vec::new()),
        })
    }

    /// Reads the metadata, checks it, and compiles (through the cache).
    pub fn from_bytes(wasm: &[u8]) -> Result<LoadedModule, LoadError> {
        let meta = read_meta(wasm)?;
        Self::new_cached(wasm, Arc::new(meta))
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
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
        let engine = engine();
        let mut store = Store::new(
            engine,
            Limits {
                max_bytes: (abi::MAX_PAGES * abi::PAGE) as usize,
            },
        );
        store.limiter(|l| l);
        let instance = self.pre.instantiate(&mut store).map_err(trap)?;
        let memory = instance
            .get_memory(&mut store, abi::EXPORT_MEMORY)
            .ok_or_else(|| trap_msg("the module exports no memory"))?;
        let evaluate = instance
            .get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, abi::EXPORT_EVALUATE)
            .map_err(trap)?;
        Ok(Instance {
            meta: self.meta.clone(),
            deadline_ticks: self.deadline_ticks,
            store,
            memory,
            evaluate,
            buf: Vec::new(),
        })
    }

    /// Runs `f` with a pooled instance.
    pub fn with_instance<R>(&self, f: impl FnOnce(&mut Instance) -> R) -> Result<R, EvalError> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut inst = match taken {
            Some(i) => i,
            None => self.instance()?,
        };
        let r = f(&mut inst);
        if let Ok(mut p) = self.pool.lock() {
            p.push(inst);
        }
        Ok(r)
    }

    /// Evaluates one record.
    pub fn evaluate(&self, facts: &Facts, as_of: i32) -> Result<Outcome, EvalError> {
        self.with_instance(|i| i.evaluate_one(facts, as_of))?
    }

    /// Evaluates many records; each gets its own result.
    pub fn evaluate_batch(&self, records: &[Facts], as_of: i32) -> Vec<Result<Outcome, EvalError>> {
        match self.with_instance(|i| i.evaluate_batch(records, as_of)) {
            Ok(r) => r,
            Err(e) => records.iter().map(|_| Err(e.clone())).collect(),
        }
    }
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
    meta: Arc<Meta>,
    deadline_ticks: u64,
    store: Store<Limits>,
    memory: Memory,
    evaluate: TypedFunc<(i32, i32, i32, i32), i32>,
    /// Host image of the memory region from heap_base, reused across calls.
    buf: Vec<u8>,
}

impl Instance {
    pub fn evaluate_one(&mut self, facts: &Facts, as_of: i32) -> Result<Outcome, EvalError> {
        self.evaluate_batch(std::slice::from_ref(facts), as_of)
            .pop()
            .unwrap_or_else(|| Err(trap_msg("no result")))
    }

    /// Evaluates records in chunks; a failing record does not affect others.
    pub fn evaluate_batch(
        &mut self,
        records: &[Facts],
        as_of: i32,
    ) -> Vec<Result<Outcome, EvalError>> {
        let mut out = Vec::with_capacity(records.len());
        for chunk in records.chunks(CHUNK) {
            match self.run_chunk(chunk, as_of) {
                Ok(results) => out.extend(results),
                Err(e) => out.extend(chunk.iter().map(|_| Err(e.clone()))),
            }
        }
        out
    }

    fn run_chunk(
        &mut self,
        chunk: &[Facts],
        as_of: i32,
    ) -> Result<Vec<Result<Outcome, EvalError>>, EvalError> {
        let base = self.meta.heap_base;
        let (in_ptr, out_ptr, end) =
            marshal::write_records(&self.meta, chunk, base, &mut self.buf)?;
        self.ensure_memory(end)?;
        let start = base as usize;
        self.memory
            .data_mut(&mut self.store)
            .get_mut(start..start + self.buf.len())
            .ok_or_else(|| trap_msg("memory too small"))?
            .copy_from_slice(&self.buf);
        self.store.set_epoch_deadline(self.deadline_ticks);
        self.evaluate
            .call(
                &mut self.store,
                (in_ptr as i32, chunk.len() as i32, out_ptr as i32, as_of),
            )
            .map_err(|e| {
                if let Some(wasmtime::Trap::Interrupt) = e.downcast_ref::<wasmtime::Trap>() {
                    trap_msg(&format!(
                        "evaluation took longer than the time limit ({} ms)",
                        self.deadline_ticks * TICK.as_millis() as u64
                    ))
                } else {
                    trap(e)
                }
            })?;
        let data = self.memory.data(&self.store);
        Ok((0..chunk.len())
            .map(|i| {
                let at = out_ptr as usize + i * self.meta.result_size as usize;
                marshal::read_result(&self.meta, data, at, as_of)
            })
            .collect())
    }

    fn ensure_memory(&mut self, end: u64) -> Result<(), EvalError> {
        let have = self.memory.data_size(&self.store) as u64;
        if end > have {
            let pages = (end - have).div_ceil(abi::PAGE);
            self.memory
                .grow(&mut self.store, pages)
                .map_err(|_| trap_msg("the batch does not fit in the module's memory limit"))?;
        }
        Ok(())
    }
}
