//! The policy store: a directory of `.rules` (and precompiled `.wasm`)
//! policies served by name, with gated, atomic reload.
//!
//! A *version* is the pair (policy file, its `NAME.test.yaml`): a change to
//! either is a new version. A new version is compiled (to native code, in the
//! reloading thread, within a size and time budget) and its tests are run
//! against it; only when both pass does it replace the old one, in one swap
//! of an immutable snapshot. Without a test file it is served only when the
//! store allows untested policies, and it never replaces a tested version.
//! Two files claiming one policy name are both refused, and that name is not
//! served until one of them goes. A version is identified by the bytes it
//! was loaded from (see [`Policy::hash`]), never by what a module claims.
//!
//! Evaluations hold the version they started with, so a swap never disturbs
//! them. Replaced versions are kept for rollback. The outcome of every file
//! version is remembered by the hash of its bytes, so the store decides the
//! same way whether a version is met on a reload or after a restart, and a
//! broken file is compiled once, not on every reload.

use rulebook::{Policy, Runtime};
use rulebook_testing::{self as testing, RunOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, TryLockError};
use std::time::{Duration, SystemTime};

/// How many replaced versions of each policy are kept for rollback.
pub const HISTORY: usize = 10;

/// What the store accepts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Serve policies that have no `NAME.test.yaml` (never in place of a
    /// tested version).
    pub allow_untested: bool,
    /// Largest policy file (`.rules` or `.wasm`) compiled, in bytes.
    pub max_policy_bytes: u64,
    /// Longest time compiling a version and running its tests may take.
    pub load_budget: Duration,
    /// The runtime versions are loaded on (their deadline, cache, pool and
    /// memory); `None` for the shared one (`Runtime::shared`).
    pub runtime: Option<Runtime>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            allow_untested: false,
            max_policy_bytes: 1 << 20,
            load_budget: Duration::from_secs(60),
            runtime: None,
        }
    }
}

/// What the tests said about a version when it was loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TestStatus {
    Passed {
        cases: usize,
        properties: usize,
    },
    /// No test file: served only with `allow_untested`.
    Untested,
}

/// The bytes a version was made of: the policy file's and its test file's hashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct VersionKey {
    /// SHA-256 of the policy file (what [`Policy::hash`] reports).
    pub policy: String,
    /// SHA-256 of the test file, if there is one.
    pub tests: Option<String>,
}

/// One loaded version of a policy.
#[derive(Debug)]
pub struct Version {
    pub policy: Policy,
    /// The policy file, inside the store's directory.
    pub file: PathBuf,
    pub key: VersionKey,
    pub loaded_at: SystemTime,
    pub tests: TestStatus,
}

impl Version {
    /// The file's name, without the server's directory.
    pub fn file_name(&self) -> String {
        file_name(&self.file)
    }
}

/// A file version that is not served, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// The file's name (without the server's directory).
    pub file: String,
    /// The policy it declares, when it compiled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub key: VersionKey,
    pub reason: String,
}

/// The policies being served, immutable once built, and the file versions
/// that were refused.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub policies: BTreeMap<String, Arc<Version>>,
    /// Refused file versions, by file name.
    pub rejected: BTreeMap<String, Rejection>,
}

/// What one reload did for one file or policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added {
        policy: String,
        hash: String,
    },
    Updated {
        policy: String,
        from: String,
        to: String,
    },
    Removed {
        policy: String,
        reason: String,
    },
    /// The file version was refused (does not compile, fails or lacks its
    /// tests, or clashes with another file's name): the running version (if
    /// any) stays, except on a name clash.
    Rejected {
        file: String,
        reason: String,
    },
}

/// The outcome of a reload.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReloadReport {
    pub changes: Vec<Change>,
}

impl ReloadReport {
    pub fn rejected(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| matches!(c, Change::Rejected { .. }))
            .count()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("no policy named `{0}`")]
    Unknown(String),
    #[error("no earlier version of `{0}` to roll back to")]
    NoHistory(String),
    #[error("a reload is in progress; try again when it has finished")]
    Busy,
}

/// Why a candidate version is not taken.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    #[error("no policy named `{0}`")]
    Unknown(String),
    /// It does not compile, fails its tests, or is too large.
    #[error("{0}")]
    Refused(String),
}

/// A directory of policies, served by name.
pub struct PolicyStore {
    dir: PathBuf,
    options: StoreOptions,
    current: RwLock<Arc<Snapshot>>,
    /// One reload or rollback at a time.
    reloading: Mutex<State>,
}

/// What loading one file version gave.
#[derive(Debug, Clone)]
enum Outcome {
    Loaded(Arc<Version>),
    /// `policy` is the name it declares, when it compiled.
    Refused {
        policy: Option<String>,
        reason: String,
    },
}

#[derive(Default)]
struct State {
    /// The outcome of each file's current version, with that version's key.
    outcomes: HashMap<PathBuf, (VersionKey, Outcome)>,
    /// Replaced versions per policy, newest last.
    history: HashMap<String, Vec<Arc<Version>>>,
    /// A rolled-back policy keeps its rolled-back version while its file
    /// version is still this one.
    pinned: HashMap<String, VersionKey>,
}

impl std::fmt::Debug for PolicyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyStore")
            .field("dir", &self.dir)
            .finish()
    }
}

fn file_name(path: &Path) -> String {
    match path.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => path.display().to_string(),
    }
}

fn policy_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StoreError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rules" || x == "wasm"))
        .collect();
    files.sort();
    Ok(files)
}

/// Where the tests of NAME.rules / NAME.wasm are: NAME.test.yaml beside it.
fn test_path(file: &Path) -> PathBuf {
    // policy files are NAME.rules or NAME.wasm, so there is a stem
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    file.with_file_name(format!("{stem}.test.yaml"))
}

/// The test file of a policy file, when there is one.
fn test_file_for(file: &Path) -> Option<PathBuf> {
    Some(test_path(file)).filter(|t| t.is_file())
}

/// The bytes of one file version: the policy file and its test file.
struct FileVersion {
    file: PathBuf,
    bytes: Vec<u8>,
    tests: Option<(PathBuf, String)>,
    key: VersionKey,
}

fn read_version(file: &Path, max_bytes: u64) -> Result<FileVersion, String> {
    let len = std::fs::metadata(file)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if len > max_bytes {
        // not read at all: its hash is its size, so it is refused once
        return Err(format!(
            "the file is {len} bytes, more than the {max_bytes} a served policy may have"
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let tests = match test_file_for(file) {
        None => None,
        Some(t) => {
            let text = std::fs::read_to_string(&t)
                .map_err(|e| format!("cannot read {}: {e}", file_name(&t)))?;
            Some((t, text))
        }
    };
    Ok(FileVersion::new(file.to_path_buf(), bytes, tests))
}

impl FileVersion {
    /// A version of `file` made of `bytes` and its tests, keyed by their hashes.
    fn new(file: PathBuf, bytes: Vec<u8>, tests: Option<(PathBuf, String)>) -> FileVersion {
        let key = VersionKey {
            policy: rulebook::sha256_hex(&bytes),
            tests: tests
                .as_ref()
                .map(|(_, t)| rulebook::sha256_hex(t.as_bytes())),
        };
        FileVersion {
            file,
            bytes,
            tests,
            key,
        }
    }
}

/// Compiles a file version to native code and runs its tests, within `budget`.
fn load(v: FileVersion, budget: Duration, runtime: Option<Runtime>) -> Outcome {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("rulebook-load".into())
        .spawn(move || {
            // the receiver may have given up waiting: nothing to tell then
            let _ = tx.send(compile_and_test(v, runtime.as_ref()));
        });
    if let Err(e) = spawned {
        return Outcome::Refused {
            policy: None,
            reason: format!("cannot start compiling: {e}"),
        };
    }
    match rx.recv_timeout(budget) {
        Ok(outcome) => outcome,
        // The thread cannot be stopped inside the compiler: it is left to
        // finish on its own and its result is dropped.
        Err(_) => Outcome::Refused {
            policy: None,
            reason: format!(
                "compiling the policy and running its tests took longer than {} s",
                budget.as_secs_f64()
            ),
        },
    }
}

fn compile_and_test(v: FileVersion, runtime: Option<&Runtime>) -> Outcome {
    let label = file_name(&v.file);
    let refused = |policy: Option<&str>, reason: String| Outcome::Refused {
        policy: policy.map(str::to_string),
        reason,
    };
    let wasm = v.file.extension().is_some_and(|x| x == "wasm");
    let compiled = match (wasm, runtime) {
        (true, None) => Policy::from_wasm(&label, v.bytes).map_err(|e| e.to_string()),
        (true, Some(r)) => r.load_wasm(&label, v.bytes).map_err(|e| e.to_string()),
        (false, None) => Policy::from_bytes(&label, &v.bytes).map_err(|e| e.render()),
        (false, Some(r)) => r.compile(&label, &v.bytes).map_err(|e| e.render()),
    };
    let policy = match compiled {
        Ok(p) => p,
        Err(reason) => return refused(None, reason),
    };
    // native code now, in this thread, never on a request
    if let Err(e) = policy.load() {
        return refused(Some(policy.name()), e.to_string());
    }
    let tests = match &v.tests {
        None => TestStatus::Untested,
        Some((path, text)) => {
            let shown = PathBuf::from(file_name(path));
            let report =
                match testing::run_text_against(&shown, text, &policy, &RunOptions::default()) {
                    Ok(r) => r,
                    Err(e) => {
                        return refused(Some(policy.name()), format!("tests could not run: {e}"))
                    }
                };
            let mut failures = Vec::new();
            for c in report.cases.iter().filter(|c| !c.passed()) {
                failures.push(format!(
                    "{}:{}: case `{}`: {}",
                    shown.display(),
                    c.line,
                    c.name,
                    c.failures().join("; ")
                ));
            }
            for p in report.properties.iter().filter(|p| !p.passed) {
                failures.push(format!(
                    "{}:{}: property `{}`: {}",
                    shown.display(),
                    p.line,
                    p.name,
                    // a property failure without a message (vacuous ones have one)
                    p.message.as_deref().unwrap_or("failed")
                ));
            }
            if !failures.is_empty() {
                return refused(
                    Some(policy.name()),
                    format!("tests failed:\n{}", failures.join("\n")),
                );
            }
            TestStatus::Passed {
                cases: report.cases.len(),
                properties: report.properties.len(),
            }
        }
    };
    Outcome::Loaded(Arc::new(Version {
        policy,
        file: v.file,
        key: v.key,
        loaded_at: SystemTime::now(),
        tests,
    }))
}

impl PolicyStore {
    /// Opens a directory and loads every policy in it that compiles and
    /// passes its tests, with the default [`StoreOptions`].
    pub fn open(dir: impl AsRef<Path>) -> Result<(PolicyStore, ReloadReport), StoreError> {
        PolicyStore::open_with(dir, StoreOptions::default())
    }

    /// Opens a directory with the given options.
    pub fn open_with(
        dir: impl AsRef<Path>,
        options: StoreOptions,
    ) -> Result<(PolicyStore, ReloadReport), StoreError> {
        let store = PolicyStore {
            dir: dir.as_ref().to_path_buf(),
            options,
            current: RwLock::new(Arc::new(Snapshot::default())),
            reloading: Mutex::new(State::default()),
        };
        let report = store.reload()?;
        Ok((store, report))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// The policies being served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The version of a policy being served now.
    pub fn get(&self, name: &str) -> Option<Arc<Version>> {
        self.snapshot().policies.get(name).cloned()
    }

    /// Compiles `bytes` (a rule file's text) as a candidate for the served
    /// policy `name` and runs the served version's tests on it, as a reload
    /// would (the same size bound, budget, runtime and test gate), without
    /// serving it. The candidate must declare the same policy.
    pub fn candidate(&self, name: &str, bytes: Vec<u8>) -> Result<Arc<Version>, CandidateError> {
        let live = self
            .get(name)
            .ok_or_else(|| CandidateError::Unknown(name.to_string()))?;
        let max = self.options.max_policy_bytes;
        if bytes.len() as u64 > max {
            return Err(CandidateError::Refused(format!(
                "the candidate is {} bytes, more than the {max} a served policy may have",
                bytes.len()
            )));
        }
        // named like the served file, so its messages point where an author looks
        let stem = live.file.file_stem().unwrap_or_default().to_string_lossy();
        let file = live.file.with_file_name(format!("{stem}.rules"));
        let tests = match test_file_for(&live.file) {
            None if !self.options.allow_untested => {
                return Err(CandidateError::Refused(format!(
                    "`{name}` has no {stem}.test.yaml to test the candidate with"
                )))
            }
            None => None,
            Some(t) => {
                let text = std::fs::read_to_string(&t).map_err(|e| {
                    CandidateError::Refused(format!("cannot read {}: {e}", file_name(&t)))
                })?;
                Some((t, text))
            }
        };
        let v = FileVersion::new(file, bytes, tests);
        match load(v, self.options.load_budget, self.options.runtime.clone()) {
            Outcome::Refused { reason, .. } => Err(CandidateError::Refused(reason)),
            Outcome::Loaded(v) if v.policy.name() != name => Err(CandidateError::Refused(format!(
                "the candidate declares policy `{}`, not `{name}`",
                v.policy.name()
            ))),
            Outcome::Loaded(v) => Ok(v),
        }
    }

    fn swap(&self, next: Snapshot) {
        let next = Arc::new(next);
        match self.current.write() {
            Ok(mut s) => *s = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.reloading.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The state, or [`StoreError::Busy`] while a reload holds it.
    fn try_state(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        match self.reloading.try_lock() {
            Ok(s) => Ok(s),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(StoreError::Busy),
        }
    }

    /// Reloads, or answers [`StoreError::Busy`] at once when a reload is
    /// already running (for callers that must not wait, such as a request).
    pub fn try_reload(&self) -> Result<ReloadReport, StoreError> {
        let mut state = self.try_state()?;
        self.reload_locked(&mut state)
    }

    /// Looks at every file, compiles and tests the versions not seen
    /// before, and swaps in what passes, all at once.
    pub fn reload(&self) -> Result<ReloadReport, StoreError> {
        let mut state = self.state();
        self.reload_locked(&mut state)
    }

    fn reload_locked(&self, state: &mut State) -> Result<ReloadReport, StoreError> {
        let files = policy_files(&self.dir)?;
        let old = self.snapshot();
        state.outcomes.retain(|f, _| files.contains(f));
        // 1. the outcome of each file's current version
        let mut outcomes: Vec<(PathBuf, VersionKey, Outcome)> = Vec::new();
        for file in &files {
            let (key, outcome) = match read_version(file, self.options.max_policy_bytes) {
                Err(reason) => (
                    VersionKey {
                        policy: String::new(),
                        tests: None,
                    },
                    Outcome::Refused {
                        policy: None,
                        reason,
                    },
                ),
                Ok(v) => match state.outcomes.get(file) {
                    Some((key, outcome)) if *key == v.key => (key.clone(), outcome.clone()),
                    _ => {
                        let key = v.key.clone();
                        (
                            key,
                            load(v, self.options.load_budget, self.options.runtime.clone()),
                        )
                    }
                },
            };
            state
                .outcomes
                .insert(file.clone(), (key.clone(), outcome.clone()));
            outcomes.push((file.clone(), key, outcome));
        }
        // 2. which files claim which name
        let mut claims: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (_, _, outcome)) in outcomes.iter().enumerate() {
            let name = match outcome {
                Outcome::Loaded(v) => Some(v.policy.name().to_string()),
                Outcome::Refused { policy, .. } => policy.clone(),
            };
            if let Some(name) = name {
                claims.entry(name).or_default().push(i);
            }
        }
        // 3. the gate, name by name
        let mut next: BTreeMap<String, Arc<Version>> = BTreeMap::new();
        let mut rejected: BTreeMap<String, Rejection> = BTreeMap::new();
        let mut removed_reason: BTreeMap<String, String> = BTreeMap::new();
        let reject = |rejected: &mut BTreeMap<String, Rejection>,
                      i: usize,
                      policy: Option<&str>,
                      reason: String| {
            let (file, key, _) = &outcomes[i];
            rejected.insert(
                file_name(file),
                Rejection {
                    file: file_name(file),
                    policy: policy.map(str::to_string),
                    key: key.clone(),
                    reason,
                },
            );
        };
        for (i, (_, _, outcome)) in outcomes.iter().enumerate() {
            if let Outcome::Refused { policy, reason } = outcome {
                reject(&mut rejected, i, policy.as_deref(), reason.clone());
            }
        }
        for (name, files_claiming) in &claims {
            let current = old.policies.get(name);
            if files_claiming.len() > 1 {
                let names: Vec<String> = files_claiming
                    .iter()
                    .map(|&i| file_name(&outcomes[i].0))
                    .collect();
                let reason = format!(
                    "policy `{name}` is declared by {} files ({}): none of them is served \
                     until only one declares it",
                    names.len(),
                    names.join(", ")
                );
                for &i in files_claiming {
                    reject(&mut rejected, i, Some(name), reason.clone());
                }
                removed_reason.insert(name.clone(), reason);
                continue;
            }
            let i = files_claiming[0];
            let (file, key, outcome) = &outcomes[i];
            let candidate = match outcome {
                Outcome::Loaded(v) => v,
                Outcome::Refused { .. } => {
                    // a refused edit: the version served from that file stays
                    if let Some(c) = current.filter(|c| c.file == *file) {
                        next.insert(name.clone(), c.clone());
                    }
                    continue;
                }
            };
            if let Some(c) = current {
                if Arc::ptr_eq(c, candidate)
                    || (c.file == *file && state.pinned.get(name) == Some(key))
                {
                    next.insert(name.clone(), c.clone());
                    continue;
                }
            }
            state.pinned.remove(name);
            let untested = candidate.tests == TestStatus::Untested;
            let refusal = match current {
                _ if untested && !self.options.allow_untested => Some(format!(
                    "no test file ({}): a policy without tests is served only with \
                     --allow-untested",
                    test_name(file)
                )),
                Some(c) if untested && c.tests != TestStatus::Untested => Some(format!(
                    "no test file ({}): an untested version never replaces a tested one",
                    test_name(file)
                )),
                _ => None,
            };
            match refusal {
                Some(reason) => {
                    reject(&mut rejected, i, Some(name), reason);
                    if let Some(c) = current.filter(|c| c.file == *file) {
                        next.insert(name.clone(), c.clone());
                    }
                }
                None => {
                    next.insert(name.clone(), candidate.clone());
                }
            }
        }
        // a refused file that no longer compiles keeps serving what it served
        for (name, v) in &old.policies {
            if next.contains_key(name) || removed_reason.contains_key(name) {
                continue;
            }
            let still_refused = outcomes
                .iter()
                .any(|(f, _, o)| *f == v.file && matches!(o, Outcome::Refused { .. }));
            if still_refused {
                next.insert(name.clone(), v.clone());
            }
        }
        // 4. what changed
        let mut report = ReloadReport::default();
        for (name, v) in &old.policies {
            match next.get(name) {
                None => {
                    report.changes.push(Change::Removed {
                        policy: name.clone(),
                        reason: removed_reason
                            .get(name)
                            .cloned()
                            // removed without a refusal: its file is gone
                            .unwrap_or_else(|| "no file declares it any more".to_string()),
                    });
                    state.pinned.remove(name);
                }
                Some(n) if !Arc::ptr_eq(n, v) => {
                    report.changes.push(Change::Updated {
                        policy: name.clone(),
                        from: v.policy.hash().to_string(),
                        to: n.policy.hash().to_string(),
                    });
                    let h = state.history.entry(name.clone()).or_default();
                    h.push(v.clone());
                    if h.len() > HISTORY {
                        h.remove(0);
                    }
                }
                Some(_) => {}
            }
        }
        for (name, v) in &next {
            if !old.policies.contains_key(name) {
                report.changes.push(Change::Added {
                    policy: name.clone(),
                    hash: v.policy.hash().to_string(),
                });
            }
        }
        for (file, r) in &rejected {
            if old.rejected.get(file) != Some(r) {
                report.changes.push(Change::Rejected {
                    file: file.clone(),
                    reason: r.reason.clone(),
                });
            }
        }
        let unchanged = old.rejected == rejected
            && old.policies.len() == next.len()
            && old
                .policies
                .iter()
                .zip(next.iter())
                .all(|((a, va), (b, vb))| a == b && Arc::ptr_eq(va, vb));
        if !unchanged {
            self.swap(Snapshot {
                policies: next,
                rejected,
            });
        }
        Ok(report)
    }

    /// Serves the previous version of a policy again, until its file or
    /// test file changes. Answers [`StoreError::Busy`] at once while a
    /// reload is running.
    pub fn rollback(&self, name: &str) -> Result<Change, StoreError> {
        let mut state = self.try_state()?;
        let old = self.snapshot();
        let current = old
            .policies
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::Unknown(name.to_string()))?;
        let previous = state
            .history
            .get_mut(name)
            .and_then(Vec::pop)
            .ok_or_else(|| StoreError::NoHistory(name.to_string()))?;
        // pinned to the file version now on disk: an edit ends the rollback
        let on_disk = state
            .outcomes
            .get(&current.file)
            .map(|(k, _)| k.clone())
            // the file is gone from disk: pin the version served
            .unwrap_or_else(|| current.key.clone());
        state.pinned.insert(name.to_string(), on_disk);
        let mut next = old.policies.clone();
        next.insert(name.to_string(), previous.clone());
        self.swap(Snapshot {
            policies: next,
            rejected: old.rejected.clone(),
        });
        Ok(Change::Updated {
            policy: name.to_string(),
            from: current.policy.hash().to_string(),
            to: previous.policy.hash().to_string(),
        })
    }

    /// Watches the directory from a background thread: every `interval` it
    /// looks at the files' sizes and modification times (test files
    /// included); once a change has been still for `debounce`, it reloads
    /// and passes the report to `on_reload`.
    pub fn watch(
        self: &Arc<Self>,
        interval: Duration,
        debounce: Duration,
        on_reload: impl Fn(&ReloadReport) + Send + 'static,
    ) -> Result<WatchHandle, StoreError> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let store = Arc::downgrade(self);
        let flag = stop.clone();
        let dir = self.dir.clone();
        let thread = std::thread::Builder::new()
            .name("rulebook-watch".into())
            .spawn(move || {
                let mut last = fingerprint(&dir);
                let mut changed_at: Option<std::time::Instant> = None;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    let Some(store) = store.upgrade() else { break };
                    let now = fingerprint(&dir);
                    if now != last {
                        last = now;
                        changed_at = Some(std::time::Instant::now());
                        continue;
                    }
                    if changed_at.is_some_and(|t| t.elapsed() >= debounce) {
                        changed_at = None;
                        match store.reload() {
                            Ok(report) => on_reload(&report),
                            Err(e) => on_reload(&ReloadReport {
                                changes: vec![Change::Rejected {
                                    file: file_name(&dir),
                                    reason: e.to_string(),
                                }],
                            }),
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Io {
                path: self.dir.display().to_string(),
                message: format!("cannot start the watcher thread: {e}"),
            })?;
        Ok(WatchHandle {
            stop,
            thread: Some(thread),
        })
    }
}

/// What the watcher compares: each policy and test file with its size and
/// modification time (an unreadable folder or file shows as such, so that
/// it reloads, and the reload reports why).
type Fingerprint = Result<Vec<(PathBuf, Option<(u64, Option<SystemTime>)>)>, String>;

fn fingerprint(dir: &Path) -> Fingerprint {
    let files = policy_files(dir).map_err(|e| e.to_string())?;
    Ok(files
        .into_iter()
        .flat_map(|p| {
            let test = test_file_for(&p);
            std::iter::once(p).chain(test)
        })
        .map(|p| {
            let m = std::fs::metadata(&p)
                .ok()
                .map(|m| (m.len(), m.modified().ok()));
            (p, m)
        })
        .collect())
}

fn test_name(file: &Path) -> String {
    file_name(&test_path(file))
}

/// Stops the watcher when dropped.
pub struct WatchHandle {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
