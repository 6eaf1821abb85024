//! The policy store: a directory of `.rules` (and precompiled `.wasm`)
//! policies served by name, with gated, atomic reload. A changed file is
//! compiled and its `NAME.test.yaml` run against the new version; only when
//! both pass does the new version replace the old one, in one swap of an
//! immutable snapshot. Evaluations hold the version they started with, so a
//! swap never disturbs them. Replaced versions are kept for rollback.

use crate::testing::{self, RunOptions};
use crate::Policy;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// How many replaced versions of each policy are kept for rollback.
pub const HISTORY: usize = 10;

/// What the tests said about a version when it was loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TestStatus {
    Passed { cases: usize, properties: usize },
    NoTests,
}

/// One loaded version of a policy.
#[derive(Debug)]
pub struct Version {
    pub policy: Policy,
    pub file: PathBuf,
    pub loaded_at: SystemTime,
    pub tests: TestStatus,
}

/// The policies being served, immutable once built.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub policies: BTreeMap<String, Arc<Version>>,
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
    },
    /// The file changed but did not compile or pass its tests: the running
    /// version (if any) stays.
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
}

/// A directory of policies, served by name.
pub struct PolicyStore {
    dir: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    /// One reload at a time.
    reloading: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Hash of each file's bytes when last looked at (reload only revisits changed files).
    seen: HashMap<PathBuf, String>,
    /// Replaced versions per policy, newest last.
    history: HashMap<String, Vec<Arc<Version>>>,
}

impl std::fmt::Debug for PolicyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyStore")
            .field("dir", &self.dir)
            .finish()
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

/// NAME.test.yaml beside NAME.rules / NAME.wasm.
fn test_file_for(file: &Path) -> Option<PathBuf> {
    let stem = file.file_stem()?.to_str()?;
    let t = file.with_file_name(format!("{stem}.test.yaml"));
    t.is_file().then_some(t)
}

/// Compiles a file and runs its tests.
fn load(file: &Path, bytes: &[u8]) -> Result<(Policy, TestStatus), String> {
    let label = file.display().to_string();
    let policy = if file.extension().is_some_and(|x| x == "wasm") {
        Policy::from_wasm(&label, bytes.to_vec()).map_err(|e| e.to_string())?
    } else {
        Policy::from_bytes(&label, bytes).map_err(|e| e.render())?
    };
    let Some(tests) = test_file_for(file) else {
        return Ok((policy, TestStatus::NoTests));
    };
    let report = testing::run_file_against(&tests, &policy, &RunOptions::default())
        .map_err(|e| format!("tests could not run: {e}"))?;
    let mut failures = Vec::new();
    for c in report.cases.iter().filter(|c| !c.passed()) {
        failures.push(format!(
            "{}:{}: case `{}`: {}",
            tests.display(),
            c.line,
            c.name,
            c.failures().join("; ")
        ));
    }
    for p in report.properties.iter().filter(|p| !p.passed) {
        failures.push(format!(
            "{}:{}: property `{}`: {}",
            tests.display(),
            p.line,
            p.name,
            p.message.as_deref().unwrap_or("failed")
        ));
    }
    if failures.is_empty() {
        Ok((
            policy,
            TestStatus::Passed {
                cases: report.cases.len(),
                properties: report.properties.len(),
            },
        ))
    } else {
        Err(format!("tests failed:\n{}", failures.join("\n")))
    }
}

impl PolicyStore {
    /// Opens a directory and loads every policy in it that compiles and passes its tests.
    pub fn open(dir: impl AsRef<Path>) -> Result<(PolicyStore, ReloadReport), StoreError> {
        let store = PolicyStore {
            dir: dir.as_ref().to_path_buf(),
            current: RwLock::new(Arc::new(Snapshot::default())),
            reloading: Mutex::new(State::default()),
        };
        let report = store.reload()?;
        Ok((store, report))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
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

    /// Compiles and tests every file that changed since it was last seen, and
    /// swaps in the versions that pass, all at once.
    pub fn reload(&self) -> Result<ReloadReport, StoreError> {
        let mut state = self.state();
        let files = policy_files(&self.dir)?;
        let old = self.snapshot();
        let mut next: BTreeMap<String, Arc<Version>> = old.policies.clone();
        let mut report = ReloadReport::default();
        // files that disappeared: their policies stop being served
        for (name, v) in &old.policies {
            if !files.contains(&v.file) {
                next.remove(name);
                state.seen.remove(&v.file);
                report.changes.push(Change::Removed {
                    policy: name.clone(),
                });
            }
        }
        for file in &files {
            let Ok(bytes) = std::fs::read(file) else {
                continue;
            };
            let hash = crate::sha256_hex(&bytes);
            if state.seen.get(file) == Some(&hash) {
                continue;
            }
            state.seen.insert(file.clone(), hash);
            match load(file, &bytes) {
                Err(reason) => report.changes.push(Change::Rejected {
                    file: file.display().to_string(),
                    reason,
                }),
                Ok((policy, tests)) => {
                    let name = policy.name().to_string();
                    if let Some(other) = next.get(&name).filter(|v| v.file != *file) {
                        report.changes.push(Change::Rejected {
                            file: file.display().to_string(),
                            reason: format!(
                                "policy `{name}` is already served from {}",
                                other.file.display()
                            ),
                        });
                        continue;
                    }
                    // a file whose policy was renamed stops serving the old name
                    let renamed: Vec<String> = next
                        .iter()
                        .filter(|(n, v)| v.file == *file && **n != name)
                        .map(|(n, _)| n.clone())
                        .collect();
                    for n in renamed {
                        next.remove(&n);
                        report.changes.push(Change::Removed { policy: n });
                    }
                    let version = Arc::new(Version {
                        policy,
                        file: file.clone(),
                        loaded_at: SystemTime::now(),
                        tests,
                    });
                    let hash = version.policy.hash().to_string();
                    match next.insert(name.clone(), version) {
                        Some(previous) => {
                            report.changes.push(Change::Updated {
                                policy: name.clone(),
                                from: previous.policy.hash().to_string(),
                                to: hash,
                            });
                            let h = state.history.entry(name).or_default();
                            h.push(previous);
                            if h.len() > HISTORY {
                                h.remove(0);
                            }
                        }
                        None => report.changes.push(Change::Added { policy: name, hash }),
                    }
                }
            }
        }
        if report
            .changes
            .iter()
            .any(|c| !matches!(c, Change::Rejected { .. }))
        {
            self.swap(Snapshot { policies: next });
        }
        Ok(report)
    }

    /// Serves the previous version of a policy again (until its file changes).
    pub fn rollback(&self, name: &str) -> Result<Change, StoreError> {
        let mut state = self.state();
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
        let mut next = old.policies.clone();
        next.insert(name.to_string(), previous.clone());
        self.swap(Snapshot { policies: next });
        Ok(Change::Updated {
            policy: name.to_string(),
            from: current.policy.hash().to_string(),
            to: previous.policy.hash().to_string(),
        })
    }

    /// Watches the directory from a background thread: every `interval` it
    /// looks at the files' sizes and modification times; once a change has
    /// been still for `debounce`, it reloads and passes the report to `on_reload`.
    pub fn watch(
        self: &Arc<Self>,
        interval: Duration,
        debounce: Duration,
        on_reload: impl Fn(&ReloadReport) + Send + 'static,
    ) -> WatchHandle {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let store = Arc::downgrade(self);
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("rulebook-watch".into())
            .spawn(move || {
                let fingerprint = |dir: &Path| -> Vec<(PathBuf, u64, Option<SystemTime>)> {
                    policy_files(dir)
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(|p| {
                            let test = test_file_for(&p);
                            std::iter::once(p).chain(test)
                        })
                        .map(|p| {
                            let m = std::fs::metadata(&p).ok();
                            let len = m.as_ref().map_or(0, |m| m.len());
                            let modified = m.and_then(|m| m.modified().ok());
                            (p, len, modified)
                        })
                        .collect()
                };
                let mut last = store
                    .upgrade()
                    .map(|s| fingerprint(s.dir()))
                    .unwrap_or_default();
                let mut changed_at: Option<std::time::Instant> = None;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    let Some(store) = store.upgrade() else { break };
                    let now = fingerprint(store.dir());
                    if now != last {
                        last = now;
                        changed_at = Some(std::time::Instant::now());
                        continue;
                    }
                    if changed_at.is_some_and(|t| t.elapsed() >= debounce) {
                        changed_at = None;
                        if let Ok(report) = store.reload() {
                            on_reload(&report);
                        }
                    }
                }
            })
            .ok();
        WatchHandle { stop, thread }
    }
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
