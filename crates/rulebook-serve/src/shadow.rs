//! Shadow evaluation (LANGUAGE.md section 12): a candidate version held
//! beside a served policy, evaluated on the requests the served one
//! answers, off their path, and compared with it.
//!
//! The request handler only offers a copy of the facts to a bounded queue
//! (nothing when no policy has a shadow); when the queue is full the offer
//! is dropped and counted, so the live answer is never delayed. One
//! thread at the lowest priority, and at most a twentieth of a processor,
//! takes the queue, evaluates each request on both
//! versions and tallies the impact ([`rulebook::Impact`]), which the admin
//! API reads at any time. It takes work only while at least half the
//! processors have no live evaluation (on two, while none is running):
//! under a load that keeps them busy the queue fills and the offers are
//! dropped rather than compete with the requests. A reload of the served policy starts the tally
//! afresh against the new version.

use crate::store::Version;
use crate::LogFacts;
use rulebook::{CaseResult, Date, Impact};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

/// Requests waiting for the shadow thread, by default.
pub const DEFAULT_QUEUE: usize = 1024;

/// The shadow thread rests this many times as long as each request's
/// evaluation took, so that it never takes more than a twentieth of a
/// processor.
const IDLE_PER_WORK: u32 = 19;
/// Its longest rest after one request.
const MAX_REST: std::time::Duration = std::time::Duration::from_millis(50);

/// How long the shadow thread sleeps when its queue is empty.
const POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// What an example shows of a request's facts: what the decision log
/// would keep of them (declared facts, personal ones as keyed hashes), or
/// nothing when the log keeps only a digest.
#[derive(Debug, Clone, Default)]
pub struct ExampleFacts {
    pub facts: LogFacts,
    pub key: Option<Vec<u8>>,
}

/// The candidates held, the queue to their thread, and their counters.
pub struct Shadows {
    shared: Arc<Shared>,
    queue: SyncSender<Job>,
    capacity: usize,
}

/// What the handlers and the shadow thread share.
struct Shared {
    held: RwLock<HashMap<String, Arc<Shadow>>>,
    /// Whether any policy has a shadow (read on every request, unlocked).
    any: AtomicBool,
    /// The counts of candidates no longer held, by policy and result, so
    /// that `/metrics` counters never go down. (The held ones count in
    /// their own atomics: nothing on a request's path takes a lock the
    /// shadow thread may hold.)
    retired: Mutex<BTreeMap<(String, &'static str), u64>>,
    examples: ExampleFacts,
    /// Live evaluations running now (counted while any policy has a shadow).
    busy: AtomicUsize,
    /// The shadow thread takes work only while fewer are running.
    busy_below: usize,
}

/// Counts one live evaluation as running until it is dropped.
pub struct Busy<'a>(&'a AtomicUsize);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One candidate and its tally.
pub struct Shadow {
    candidate: Arc<Version>,
    since: SystemTime,
    offered: AtomicU64,
    dropped: AtomicU64,
    /// Offered requests evaluated on both versions (across tallies).
    evaluated: AtomicU64,
    /// Of those: every decision agreeing, some changed, an error on either side.
    same: AtomicU64,
    changed: AtomicU64,
    errors: AtomicU64,
    /// Set once the candidate is replaced or removed: its queued requests
    /// are then discarded, not evaluated.
    retired: AtomicBool,
    tally: Mutex<Tally>,
}

/// The results `/metrics` counts, with where a shadow keeps each.
const RESULTS: [&str; 4] = ["same", "changed", "error", "dropped"];

impl Shadow {
    fn counter(&self, result: &str) -> &AtomicU64 {
        match result {
            "same" => &self.same,
            "changed" => &self.changed,
            "error" => &self.errors,
            _ => &self.dropped,
        }
    }
}

/// The impact so far, against one served version.
struct Tally {
    /// The hash of the served version compared (empty before the first request).
    live: String,
    impact: Option<Impact>,
}

/// One request to evaluate on both versions.
struct Job {
    shadow: Arc<Shadow>,
    live: Arc<Version>,
    facts: String,
    as_of: Date,
    /// Its number among the requests offered to this candidate, from 1.
    request: u64,
}

impl std::fmt::Debug for Shadows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shadows").finish_non_exhaustive()
    }
}

impl Shadows {
    /// Starts the shadow thread, with a queue of `capacity` requests.
    pub fn new(capacity: usize, examples: ExampleFacts) -> std::io::Result<Shadows> {
        let shared = Arc::new(Shared {
            held: RwLock::new(HashMap::new()),
            any: AtomicBool::new(false),
            retired: Mutex::new(BTreeMap::new()),
            examples,
            busy: AtomicUsize::new(0),
            busy_below: idle_threshold(std::thread::available_parallelism().map_or(1, |n| n.get())),
        });
        let (queue, rx) = mpsc::sync_channel(capacity.max(1));
        let s = shared.clone();
        // it ends when the queue's sender (these Shadows) is dropped
        std::thread::Builder::new()
            .name("rulebook-shadow".into())
            .spawn(move || work(&s, &rx))?;
        Ok(Shadows {
            shared,
            queue,
            capacity: capacity.max(1),
        })
    }

    /// Holds `candidate` as the shadow of its policy, replacing any other;
    /// returns whether one was replaced.
    pub fn put(&self, candidate: Arc<Version>) -> bool {
        let name = candidate.policy.name().to_string();
        let shadow = Arc::new(Shadow {
            candidate,
            since: SystemTime::now(),
            offered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            evaluated: AtomicU64::new(0),
            same: AtomicU64::new(0),
            changed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            tally: Mutex::new(Tally {
                live: String::new(),
                impact: None,
            }),
        });
        let mut held = self.shared.write();
        let replaced = held.insert(name, shadow);
        self.shared.any.store(true, Ordering::Release);
        drop(held);
        if let Some(old) = &replaced {
            self.shared.retire(old);
        }
        replaced.is_some()
    }

    /// The shadow of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<Arc<Shadow>> {
        self.shared.read().get(name).cloned()
    }

    /// Drops the shadow of `name`; returns it (with its tally) if there was one.
    pub fn remove(&self, name: &str) -> Option<Arc<Shadow>> {
        let mut held = self.shared.write();
        let gone = held.remove(name);
        self.shared.any.store(!held.is_empty(), Ordering::Release);
        drop(held);
        if let Some(old) = &gone {
            self.shared.retire(old);
        }
        gone
    }

    /// Counts a live evaluation as running while the guard lives, when any
    /// policy has a shadow (otherwise nothing is counted: no shadow waits).
    pub fn busy(&self) -> Option<Busy<'_>> {
        if !self.shared.any.load(Ordering::Relaxed) {
            return None;
        }
        self.shared.busy.fetch_add(1, Ordering::Relaxed);
        Some(Busy(&self.shared.busy))
    }

    /// Offers a request `live` has evaluated (its facts' JSON text) to the
    /// shadow of its policy, if it has one. Never waits: with the queue
    /// full, the request is dropped from the shadow and counted.
    pub fn offer(&self, live: &Arc<Version>, facts: &str, as_of: Date) {
        if !self.shared.any.load(Ordering::Acquire) {
            return;
        }
        let name = live.policy.name();
        let Some(shadow) = self.get(name) else { return };
        let request = shadow.offered.fetch_add(1, Ordering::Relaxed) + 1;
        // a full queue is known without copying the facts for nothing
        let waiting = queued(
            request - 1,
            shadow.dropped.load(Ordering::Relaxed),
            shadow.evaluated.load(Ordering::Relaxed),
        );
        if waiting >= self.capacity as u64 {
            shadow.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let job = Job {
            shadow: shadow.clone(),
            live: live.clone(),
            facts: facts.to_string(),
            as_of,
            request,
        };
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                shadow.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Prometheus lines for the shadowed requests by policy and result.
    pub fn render_metrics(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from(
            "# HELP rulebook_shadow_requests_total Requests offered to a shadow candidate, by \
             policy and result: same (every decision agrees), changed, error (on either \
             version), dropped (the shadow queue was full).\n\
             # TYPE rulebook_shadow_requests_total counter\n",
        );
        let mut counts = self
            .shared
            .retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (policy, shadow) in self.shared.read().iter() {
            for result in RESULTS {
                *counts.entry((policy.clone(), result)).or_default() +=
                    shadow.counter(result).load(Ordering::Relaxed);
            }
        }
        for ((policy, result), n) in counts.iter() {
            let _ = writeln!(
                out,
                "rulebook_shadow_requests_total{{policy=\"{}\",result=\"{result}\"}} {n}",
                policy.replace('\\', "\\\\").replace('"', "\\\"")
            );
        }
        out
    }
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Shadow>>> {
        self.held.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Shadow>>> {
        self.held.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the counts of a candidate no longer held.
    fn retire(&self, shadow: &Shadow) {
        shadow.retired.store(true, Ordering::Relaxed);
        let name = shadow.candidate.policy.name().to_string();
        let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        for result in RESULTS {
            *retired.entry((name.clone(), result)).or_default() +=
                shadow.counter(result).load(Ordering::Relaxed);
        }
    }
}

impl Shadow {
    /// The candidate evaluated beside the served version.
    pub fn candidate(&self) -> &Arc<Version> {
        &self.candidate
    }

    /// What the admin API shows: the candidate, the requests offered,
    /// evaluated and dropped, and section 12's `impact` so far.
    pub fn status(&self) -> Json {
        let tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        let offered = self.offered.load(Ordering::Relaxed);
        let dropped = self.dropped.load(Ordering::Relaxed);
        let evaluated = self.evaluated.load(Ordering::Acquire);
        let since = crate::decision_log::format_timestamp(self.since);
        let mut out = json!({
            "policy": self.candidate.policy.name(),
            "candidate": {
                "hash": self.candidate.policy.hash(),
                "tests": self.candidate.tests,
                "since": since,
            },
            "requests": {
                "offered": offered,
                "evaluated": evaluated,
                "dropped": dropped,
                "queued": queued(offered, dropped, evaluated),
            },
        });
        if !tally.live.is_empty() {
            out["live"] = json!(tally.live);
        }
        out["impact"] = match &tally.impact {
            Some(i) => i.to_json(),
            None => {
                json!({"cases": 0, "errors": {"old": 0, "new": 0}, "decisions": {}, "examples": []})
            }
        };
        out
    }
}

/// The number of live evaluations at which the shadow thread stops taking
/// work on a machine of `cores` processors: half of them (at least one).
fn idle_threshold(cores: usize) -> usize {
    (cores / 2).max(1)
}

/// Requests offered and neither dropped nor yet evaluated: waiting in the
/// queue (or being evaluated).
fn queued(offered: u64, dropped: u64, evaluated: u64) -> u64 {
    offered.saturating_sub(dropped).saturating_sub(evaluated)
}

/// The shadow thread: evaluates each queued request on both versions and
/// tallies it, at a lower priority than the threads that answer requests.
fn work(shared: &Shared, rx: &Receiver<Job>) {
    lower_priority();
    loop {
        // no work while the requests need the processors: the queue fills
        // and further offers are dropped instead
        if shared.busy.load(Ordering::Relaxed) >= shared.busy_below {
            std::thread::sleep(POLL);
            continue;
        }
        // polled rather than waited on: a request that offers work then
        // never has to wake this thread (a system call on its path)
        let job = match rx.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Empty) => {
                std::thread::sleep(POLL);
                continue;
            }
            Err(TryRecvError::Disconnected) => return,
        };
        if job.shadow.retired.load(Ordering::Relaxed) {
            continue;
        }
        let (live, cand) = (&job.live.policy, &job.shadow.candidate.policy);
        let started = std::time::Instant::now();
        let on = |p: &rulebook::Policy, f: &rulebook::Facts| p.evaluate(f, job.as_of).ok();
        let live_facts = live.parse_facts(&job.facts).ok();
        let a = live_facts.as_ref().and_then(|f| on(live, f));
        // the facts are read once when both versions have the same inputs
        let b = if live.meta().input == cand.meta().input {
            live_facts.as_ref().and_then(|f| on(cand, f))
        } else {
            cand.parse_facts(&job.facts).ok().and_then(|f| on(cand, &f))
        };
        let example = || {
            let mut e = Map::new();
            e.insert("request".into(), json!(job.request));
            e.insert("as_of".into(), json!(job.as_of.to_string()));
            if let Some(facts) = shown_facts(shared, &job.live, live_facts.as_ref()) {
                e.insert("facts".into(), facts);
            }
            e
        };
        let result = {
            let mut tally = job
                .shadow
                .tally
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if tally.live != live.hash() || tally.impact.is_none() {
                tally.live = live.hash().to_string();
                tally.impact = Some(Impact::new(live, cand));
            }
            match tally.impact.as_mut() {
                Some(impact) => impact.compare(live, cand, a.as_ref(), b.as_ref(), example),
                None => CaseResult::Error,
            }
        };
        let counter = match result {
            CaseResult::Same => &job.shadow.same,
            CaseResult::Changed(_) => &job.shadow.changed,
            CaseResult::Error => &job.shadow.errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // last: a reader that sees it counted sees its tally and metrics
        job.shadow.evaluated.fetch_add(1, Ordering::Release);
        // at most a twentieth of one processor (the queue drops what does
        // not fit: under load the figures are a sample)
        std::thread::sleep((started.elapsed() * IDLE_PER_WORK).min(MAX_REST));
    }
}

/// The facts of an example as the decision log would keep them, or None.
fn shown_facts(shared: &Shared, live: &Version, facts: Option<&rulebook::Facts>) -> Option<Json> {
    if shared.examples.facts == LogFacts::None {
        return None;
    }
    let text = live
        .policy
        .facts_for_log(facts?, shared.examples.key.as_deref())
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Asks the scheduler to run the calling thread after the request threads
/// (Linux: a thread's policy and nice value are its own): `SCHED_BATCH`, so
/// that its waking never preempts a running thread, at the lowest nice
/// value. Not `SCHED_IDLE`: a thread that may wait indefinitely can hold a
/// lock the request threads need (the allocator's, the instance pool's) for
/// as long; at nice 19 it still runs often enough to let go of it. A
/// failure changes nothing.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler reads the parameter struct it is given (a
    // valid local) and setpriority only its integer arguments; `0` is the
    // calling thread.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::{TestStatus, VersionKey};
    use std::time::{Duration, Instant};

    fn version(rate: &str) -> Arc<Version> {
        let text = format!(
            "policy p\ninput {{ income: money }}\ndecision award: money\n  = income * {rate}\n"
        );
        let policy = rulebook::Policy::from_source("p.rules", &text).unwrap();
        Arc::new(Version {
            key: VersionKey {
                policy: policy.hash().to_string(),
                tests: None,
            },
            policy,
            file: "p.rules".into(),
            loaded_at: SystemTime::now(),
            tests: TestStatus::Untested,
        })
    }

    fn evaluated_within(shadow: &Shadow, n: u64, wait: Duration) -> bool {
        let end = Instant::now() + wait;
        while Instant::now() < end {
            if shadow.evaluated.load(Ordering::Acquire) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn the_shadow_waits_while_the_processors_answer_requests() {
        let shadows = Shadows::new(8, ExampleFacts::default()).unwrap();
        let (live, candidate) = (version("0.5"), version("0.6"));
        assert!(
            shadows.busy().is_none(),
            "nothing is counted without a shadow"
        );
        shadows.put(candidate);
        let held = shadows.get("p").unwrap();
        let date = Date::parse("2026-01-01").unwrap();
        // as many live evaluations running as stop the shadow thread
        let running: Vec<_> = (0..shadows.shared.busy_below)
            .map(|_| shadows.busy().unwrap())
            .collect();
        shadows.offer(&live, r#"{"income": "10.00"}"#, date);
        assert!(!evaluated_within(&held, 1, Duration::from_millis(200)));
        assert_eq!(held.status()["requests"]["queued"], 1);
        drop(running);
        assert!(evaluated_within(&held, 1, Duration::from_secs(10)));
        assert_eq!(held.changed.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_removed_candidate_s_queued_requests_are_discarded() {
        let shadows = Shadows::new(8, ExampleFacts::default()).unwrap();
        let live = version("0.5");
        shadows.put(version("0.6"));
        let date = Date::parse("2026-01-01").unwrap();
        let running: Vec<_> = (0..shadows.shared.busy_below)
            .map(|_| shadows.busy().unwrap())
            .collect();
        shadows.offer(&live, r#"{"income": "10.00"}"#, date);
        let removed = shadows.remove("p").unwrap();
        drop(running);
        // a later candidate's request is evaluated: the one queued before it was passed over
        shadows.put(version("0.7"));
        let next = shadows.get("p").unwrap();
        shadows.offer(&live, r#"{"income": "10.00"}"#, date);
        assert!(evaluated_within(&next, 1, Duration::from_secs(10)));
        assert_eq!(removed.evaluated.load(Ordering::Acquire), 0);
    }

    #[test]
    fn half_the_processors_are_left_to_the_requests() {
        assert_eq!(idle_threshold(1), 1);
        assert_eq!(idle_threshold(2), 1);
        assert_eq!(idle_threshold(3), 1);
        assert_eq!(idle_threshold(16), 8);
    }
}
