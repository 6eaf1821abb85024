//! The decision log: an append-only, tamper-evident audit record of every
//! decision `rulebook serve` makes and of its admin events.
//!
//! # Format
//!
//! JSON Lines: one JSON object per line, UTF-8, each line ended by `\n`. A line
//! is `BODY` followed by its *seal*, `,"sha256":"<64 hex>"}`, where `BODY` is
//! the object text without its closing brace. A decision:
//!
//! ```text
//! {"seq":0,"prev":"000…000","time":"2026-11-27T15:20:11.123Z","policy":"pension_credit","hash":"…","as_of":"2026-11-27","facts":{…},"result":{…},"sha256":"…"}
//! ```
//!
//! An admin event (reload, rollback, shadow, start, stop; see
//! [`DecisionLog::submit_event`]), in the same chain:
//!
//! ```text
//! {"seq":1,"prev":"…","time":"2026-11-27T15:20:12.004Z","event":"rollback","details":{"policy":"pension_credit","to":"20a5…"},"sha256":"…"}
//! ```
//!
//! - `sha256` is the lowercase hex SHA-256 of the `BODY` bytes exactly as
//!   written, so changing any byte of a line breaks that line's own hash;
//! - `prev` is the seal of the previous line ([`GENESIS`], 64 zeros, for
//!   the first line of the log), so re-computing a modified line's hash
//!   breaks the next line's `prev`;
//! - `seq` counts lines from 0, so deleting, inserting or reordering lines
//!   breaks the sequence;
//! - `time` is when the entry was submitted (UTC, milliseconds). Entries
//!   from several threads are written in the order they reach the writer, so
//!   `time` need not increase from line to line; [`verify`] does not require
//!   it to;
//! - an event line has `event` (its kind: 1 to 64 characters among `a-z`,
//!   `0-9`, `_`, `-`, `.`) and `details` (a JSON object) where a decision
//!   has `policy`, `hash`, `as_of`, `facts` and `result`.
//!
//! [`verify`] checks all of this line by line and names the first broken line.
//!
//! # Keyed chain
//!
//! With [`LogOptions::chain_key`], the seal is `,"hmac":"<64 hex>"}`
//! instead: HMAC-SHA256 of `BODY` under the *chain key*, itself
//! HMAC-SHA256(key, `"rulebook decision-log chain v1"`) of the key given (the
//! same key file may key other hashes, under other labels). A keyed log is
//! all `hmac` lines: verifying it needs the key ([`verify_with`] with
//! [`VerifyOptions::key`], `rulebook log verify --key-file FILE`), a plain
//! `sha256` line in it is reported as not written with the key, and lines
//! forged by someone without the key do not verify even if all their hashes
//! were recomputed. Keys are at least [`MIN_KEY_BYTES`] bytes.
//!
//! # What the chain does and does not prove
//!
//! Without a key the chain shows that the file is *internally consistent*.
//! Removing lines from the end leaves a consistent, shorter chain, and
//! whoever can write the file can also rewrite it entirely and recompute
//! every hash (with a key, only whoever has the key can). Truncation is
//! detected only against a head recorded elsewhere: publish or store
//! [`DecisionLog::head`] (for instance periodically, or in each response)
//! and check it later with [`verify_with_head`], which requires that
//! recorded seal to still be in the chain.
//!
//! # Durability: the guarantee
//!
//! [`DecisionLog::submit`] formats an entry, queues it and returns a
//! [`Pending`] at once. The writer thread does *group commit*: it takes
//! everything queued, writes it with one `write`, calls `sync_data` once,
//! and then completes every [`Pending`] of the group. [`Pending::wait`] (or
//! `.durable().await`) returns `Ok` only once the entry's line is written
//! **and** synced; a server answers a decision only after that. Concurrent
//! requests share one fsync.
//!
//! The queue is bounded in bytes ([`LogOptions::max_queue_bytes`], counted
//! from submission until the group is synced): when an entry would not fit,
//! `submit` returns [`LogError::Busy`] at once and queues nothing (a server
//! answers 503). It never blocks and never drops an accepted entry.
//!
//! If writing or syncing fails (a full disk, an I/O error), every entry of
//! that group gets the error (it is *not* durable and must not be answered as
//! logged), the lines of the group are cut off again so that the file ends
//! with its last durable line, and the log stops: every later submission
//! returns [`LogError::Failed`], and [`DecisionLog::status`] reports the
//! error and the number of entries lost.
//!
//! The older [`DecisionLog::append`] (queue, block while the queue is full,
//! do not wait for the disk) and [`DecisionLog::flush`] (wait until everything
//! before is synced) remain.
//!
//! # Rotation
//!
//! With [`LogOptions::rotate_bytes`], once the file is longer than that after
//! a group, the writer renames it to `PATH.NNNNNN` (a 6-digit counter: one
//! more than the highest present, from `000001`), syncs the directory, and
//! continues in a new `PATH` whose first line continues `seq` and `prev` from
//! the last line of the previous file. [`verify`] of `PATH` checks the
//! segments in order, then `PATH`, as one chain, and reports a missing
//! segment. [`DecisionLog::open`] of an empty or missing `PATH` next to
//! segments continues from the last segment.
//!
//! # Torn tails
//!
//! A crash in the middle of a write can leave an incomplete last line (or a
//! complete one whose seal does not match). [`DecisionLog::open`] refuses
//! such a file with [`LogError::TornTail`], naming the byte offset and
//! length of the torn part; [`repair`] (`rulebook log repair PATH`) cuts it
//! off and reports what it cut. Before appending, `open` also checks that the
//! last line links to the line before it (`seq` and `prev`), so that a forged
//! or spliced tail is refused ([`LogError::Corrupt`], naming the line).
//!
//! One writer per file: a second [`DecisionLog::open`] of a file already open
//! in the same process is refused ([`LogError::AlreadyOpen`]); other
//! processes are not kept out (no file lock).

mod format;
mod repair;
#[cfg(test)]
mod tests;
mod verify;
mod writer;

pub use format::{format_timestamp, Event};
pub use repair::{render_repair, repair, repair_with_key, Cut, RepairReport};
pub use verify::{
    render_report, verify, verify_reader, verify_with, verify_with_head, VerifyOptions,
};

use format::{format_event_tail, format_tail, ChainKey};
use repair::{inspect_tail, segment_head};
use std::fmt;
use std::fs::OpenOptions;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::SystemTime;
use tokio::sync::oneshot;
use writer::{sync_parent_dir, FileSink, Item, Outcome, Queue, Shared, Sink, State, Writer};

/// The `prev` of the first line of a log, and the head of an empty log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Default capacity of the queue of [`DecisionLog::open_with_capacity`], in
/// entries.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Default [`LogOptions::max_queue_bytes`]: 64 MiB.
pub const DEFAULT_MAX_QUEUE_BYTES: usize = 64 << 20;

/// The shortest key accepted for a keyed chain.
pub const MIN_KEY_BYTES: usize = 16;

/// The longest line the log writes or accepts (64 MiB, `\n` excluded): an
/// entry whose line would be longer is refused, and [`verify`] reports a
/// longer line as broken instead of reading it into memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// The deepest nesting of arrays and objects accepted in `facts` and `result`
/// (the line object adds one level, and serde_json refuses more than 127).
pub const MAX_JSON_DEPTH: usize = 100;

/// One decision to log. Strings are written as JSON strings; `facts` and
/// `result` are JSON texts, embedded as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// The hash identifying the policy version that decided.
    pub hash: &'a str,
    /// The date the policy was evaluated on, `YYYY-MM-DD`.
    pub as_of: &'a str,
    /// The facts, as a JSON text. It is checked (it must be one valid JSON
    /// value, nested at most [`MAX_JSON_DEPTH`] deep) and embedded verbatim
    /// (less surrounding whitespace); only if it contains line breaks are the
    /// whitespace characters outside its strings removed, so that the entry
    /// stays on one line.
    pub facts: &'a str,
    /// The decisions JSON text, checked and embedded like `facts`.
    pub result: &'a str,
}

/// How to open a log ([`DecisionLog::open_with`]).
#[derive(Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// The most bytes of entries submitted and not yet durable; a
    /// submission that would exceed it gets [`LogError::Busy`]. (An entry
    /// larger than the bound on its own is accepted when nothing else is
    /// pending.) Default [`DEFAULT_MAX_QUEUE_BYTES`].
    pub max_queue_bytes: usize,
    /// Seal lines with HMAC-SHA256 under a key derived from this one (at
    /// least [`MIN_KEY_BYTES`] bytes); see the module docs.
    pub chain_key: Option<Vec<u8>>,
    /// Rotate the file once it is longer than this many bytes after a
    /// group; see the module docs.
    pub rotate_bytes: Option<u64>,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions {
            max_queue_bytes: DEFAULT_MAX_QUEUE_BYTES,
            chain_key: None,
            rotate_bytes: None,
        }
    }
}

impl fmt::Debug for LogOptions {
    /// Does not show the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogOptions")
            .field("max_queue_bytes", &self.max_queue_bytes)
            .field("chain_key", &self.chain_key.as_ref().map(|_| ".."))
            .field("rotate_bytes", &self.rotate_bytes)
            .finish()
    }
}

/// The last line of a log: what a verifier needs to detect lines removed from
/// the end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Head {
    /// Number of lines in the log (the next line's `seq`).
    pub entries: u64,
    /// Seal (`sha256`, or `hmac` in a keyed log) of the last line;
    /// [`GENESIS`] when the log is empty.
    pub sha256: String,
}

impl Head {
    /// The head of an empty log.
    pub fn genesis() -> Head {
        Head {
            entries: 0,
            sha256: GENESIS.to_string(),
        }
    }

    /// `seq` of the last line, None when the log is empty.
    pub fn last_seq(&self) -> Option<u64> {
        self.entries.checked_sub(1)
    }
}

/// What [`DecisionLog::status`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStatus {
    pub path: PathBuf,
    /// The last line written and synced.
    pub head: Head,
    /// Why the log stopped, if it did.
    pub error: Option<String>,
    /// Entries accepted that were not written because the log had stopped.
    pub lost: u64,
    /// Groups written and synced (`sync_data` calls that succeeded): with
    /// concurrent submitters, fewer than the entries.
    pub syncs: u64,
    /// Bytes of entries submitted and not yet durable.
    pub queued_bytes: usize,
    /// The bound on `queued_bytes` beyond which submits are refused.
    pub max_queue_bytes: usize,
    /// Files rotated since the log was opened.
    pub rotations: u64,
}

impl LogStatus {
    /// True while the log is writing.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyReport {
    /// Every line is well-formed and linked to the one before it.
    Intact {
        /// Lines, decisions and events together.
        entries: u64,
        /// How many of them are admin events.
        events: u64,
        /// Files checked: rotated segments and the log itself (1 for a
        /// reader).
        files: usize,
        head_sha256: String,
    },
    /// The first line (1-based, within `file`) that is malformed or does not
    /// link.
    Broken {
        /// The file of the broken line (None for [`verify_reader`]).
        file: Option<PathBuf>,
        line: usize,
        reason: String,
    },
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        matches!(self, VerifyReport::Intact { .. })
    }
}

/// Errors of the decision log. Messages name the log's path, and the line
/// when there is one.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be opened, read or created.
    #[error("decision log {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    /// The existing file cannot be appended to: a line of its tail is not a
    /// valid entry, or does not link to the line before it. Verify the log.
    #[error("decision log {}: line {line}: {reason}; refusing to append to it", .path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The file ends with a torn write (an incomplete last line, or one
    /// whose seal does not match): `rulebook log repair` cuts it off.
    #[error(
        "decision log {}: the last {len} bytes, from byte offset {offset} (line {line}), \
         are a torn write: {reason}; refusing to append to it. \
         Run `rulebook log repair {}` to cut them off",
        .path.display(), .path.display()
    )]
    TornTail {
        path: PathBuf,
        offset: u64,
        len: u64,
        line: usize,
        reason: String,
    },
    /// The log is keyed (its lines carry an `hmac`) and no key was given.
    #[error(
        "decision log {}: the log is keyed (line {line} is sealed with an \"hmac\"): \
         it can only be checked with its key (--key-file FILE)",
        .path.display()
    )]
    KeyRequired { path: PathBuf, line: usize },
    /// The key given cannot be used (too short, empty, unreadable).
    #[error("decision log key: {0}")]
    InvalidKey(String),
    /// The entry cannot be logged (facts or result not valid JSON, too deep,
    /// too long). Nothing was written.
    #[error("decision log entry refused: {0}")]
    InvalidEntry(String),
    /// The expected head given to [`verify_with_head`] is not a SHA-256 hex
    /// digest.
    #[error("expected head {0:?} is not a SHA-256 hex digest (64 hex digits)")]
    InvalidHead(String),
    /// The file is already open for appending in this process: two writers
    /// would fork the chain.
    #[error("decision log {}: already open in this process", .0.display())]
    AlreadyOpen(PathBuf),
    /// Too many bytes are waiting to be written and synced: the entry was
    /// not queued. Try again later (a server answers 503).
    #[error("{0}")]
    Busy(String),
    /// Writing the log failed earlier (for instance the disk is full); the
    /// log accepts nothing more.
    #[error("{0}")]
    Failed(String),
}

/// Reads a key file: its bytes, less one trailing newline (`\n` or `\r\n`).
/// An empty key, or one shorter than [`MIN_KEY_BYTES`], is refused.
pub fn read_key_file(path: impl AsRef<Path>) -> Result<Vec<u8>, LogError> {
    let path = path.as_ref();
    let mut key = std::fs::read(path)
        .map_err(|e| LogError::InvalidKey(format!("{}: {e}", path.display())))?;
    if key.ends_with(b"\r\n") {
        key.truncate(key.len() - 2);
    } else if key.ends_with(b"\n") {
        key.truncate(key.len() - 1);
    }
    if key.is_empty() {
        return Err(LogError::InvalidKey(format!(
            "{}: the key file is empty",
            path.display()
        )));
    }
    if key.len() < MIN_KEY_BYTES {
        return Err(LogError::InvalidKey(format!(
            "{}: the key is {} bytes long; a decision log key must have at least {MIN_KEY_BYTES} bytes",
            path.display(),
            key.len()
        )));
    }
    Ok(key)
}

/// `PATH.NNNNNN`, the `number`th rotated segment of the log at `path`.
pub fn segment_path(path: &Path, number: u64) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{number:06}"));
    PathBuf::from(name)
}

/// The rotated segments of the log at `path` (`PATH.NNNNNN`, at least 6
/// digits), sorted by number.
pub fn segments(path: &Path) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(base) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let io_error = |source| LogError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let name = entry.file_name();
        let Some(digits) = name
            .to_str()
            .and_then(|n| n.strip_prefix(base))
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            continue;
        };
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(number) = digits.parse::<u64>() {
            found.push((number, segment_path(path, number)));
        }
    }
    found.sort();
    Ok(found)
}

// ---------------------------------------------------------------- writing

/// An open decision log: submissions from any number of threads (it is
/// `Send + Sync`; share it behind an `Arc`), written in order by one
/// background thread.
pub struct DecisionLog {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// Released after the writer thread has ended.
    _registration: Option<Registration>,
}

/// An entry submitted to the log, not yet known to be durable.
#[must_use = "an entry is durable only once `wait` or `durable` returned Ok"]
pub struct Pending {
    answer: oneshot::Receiver<Outcome>,
    shared: Arc<Shared>,
}

impl Pending {
    /// Blocks until the entry is written and synced (`Ok`), or writing it
    /// failed (`Err`: the entry is not durable). Do not call it on an async
    /// executor thread: use [`durable`](Pending::durable) there.
    pub fn wait(self) -> Result<(), LogError> {
        block_on(self.durable())
    }

    /// [`wait`](Pending::wait) for async callers.
    pub async fn durable(self) -> Result<(), LogError> {
        match self.answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(LogError::Failed(message.to_string())),
            Err(_) => Err(self.shared.failed_error()),
        }
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

/// Runs a future to completion on this thread, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

/// Files open for appending in this process, by canonical path.
static OPEN_LOGS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A file's place in [`OPEN_LOGS`], released on drop.
struct Registration(PathBuf);

impl Registration {
    /// Registers the regular file at `path` (just opened, so it exists).
    fn new(path: &Path) -> Result<Registration, LogError> {
        let canonical = std::fs::canonicalize(path).map_err(|source| LogError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut open = OPEN_LOGS.lock().unwrap_or_else(PoisonError::into_inner);
        if open.contains(&canonical) {
            return Err(LogError::AlreadyOpen(path.to_path_buf()));
        }
        open.push(canonical.clone());
        Ok(Registration(canonical))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut open = OPEN_LOGS.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|p| *p != self.0);
    }
}

/// How [`DecisionLog::start`] bounds and seals the queue.
struct Limits {
    max_queue_bytes: usize,
    max_queue_entries: usize,
    key: Option<ChainKey>,
    rotate_bytes: Option<u64>,
}

impl DecisionLog {
    /// Opens the log at `path` for appending, creating it if needed, with
    /// the default [`LogOptions`].
    ///
    /// An existing non-empty file must end with a complete, valid line that
    /// links to the line before it (the lines before those two are not read:
    /// use [`verify`] for that); its `seq` and seal continue the chain. A
    /// torn last line is refused with [`LogError::TornTail`], a broken link
    /// with [`LogError::Corrupt`], a keyed log with
    /// [`LogError::KeyRequired`]. A file that is not a regular file (a
    /// device, a pipe) is written from a new chain and never synced.
    pub fn open(path: impl AsRef<Path>) -> Result<DecisionLog, LogError> {
        DecisionLog::open_with(path, LogOptions::default())
    }

    /// [`open`](DecisionLog::open) with options: the queue's byte bound, a
    /// chain key, rotation.
    ///
    /// A file already open here (same canonical path) is refused with
    /// [`LogError::AlreadyOpen`] until that `DecisionLog` is dropped; other
    /// processes are not kept out.
    pub fn open_with(path: impl AsRef<Path>, options: LogOptions) -> Result<DecisionLog, LogError> {
        let key = options
            .chain_key
            .as_deref()
            .map(ChainKey::derive)
            .transpose()?;
        DecisionLog::open_file(
            path.as_ref(),
            Limits {
                max_queue_bytes: options.max_queue_bytes,
                max_queue_entries: usize::MAX,
                key,
                rotate_bytes: options.rotate_bytes,
            },
        )
    }

    /// [`open`](DecisionLog::open) with a queue of at most `capacity`
    /// entries (0 is taken as 1) besides the default byte bound.
    /// [`append`](DecisionLog::append) blocks while the queue is full;
    /// [`submit`](DecisionLog::submit) returns [`LogError::Busy`].
    pub fn open_with_capacity(
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<DecisionLog, LogError> {
        DecisionLog::open_file(
            path.as_ref(),
            Limits {
                max_queue_bytes: DEFAULT_MAX_QUEUE_BYTES,
                max_queue_entries: capacity.max(1),
                key: None,
                rotate_bytes: None,
            },
        )
    }

    fn open_file(path: &Path, limits: Limits) -> Result<DecisionLog, LogError> {
        let path = path.to_path_buf();
        let io_error = |source| LogError::Io {
            path: path.clone(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).append(true);
        let (mut file, created) = match options.clone().create_new(true).open(&path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                (options.open(&path).map_err(io_error)?, false)
            }
            Err(e) => return Err(io_error(e)),
        };
        if created {
            // Best effort: make the new directory entry durable too (a
            // failure shows again on the first sync or rotation).
            let _ = sync_parent_dir(&path);
        }
        let meta = file.metadata().map_err(io_error)?;
        let regular = meta.is_file();
        let registration = if regular {
            Some(Registration::new(&path)?)
        } else {
            None
        };
        let len = if regular { meta.len() } else { 0 };
        let head = if regular {
            let before = segment_head(&path, limits.key.as_ref())?;
            inspect_tail(&mut file, len, &path, limits.key.as_ref(), before)?
        } else {
            Head::genesis()
        };
        let mut log = DecisionLog::start(
            path.clone(),
            FileSink {
                file,
                path,
                regular,
            },
            head,
            len,
            limits,
        )?;
        log._registration = registration;
        Ok(log)
    }

    fn start<S: Sink>(
        path: PathBuf,
        sink: S,
        head: Head,
        len: u64,
        limits: Limits,
    ) -> Result<DecisionLog, LogError> {
        let shared = Arc::new(Shared {
            path: path.clone(),
            failed: AtomicBool::new(false),
            state: Mutex::new(State {
                head: head.clone(),
                error: None,
                lost: 0,
                rotations: 0,
            }),
            queue: Mutex::new(Queue {
                items: Vec::new(),
                pending_bytes: 0,
                pending_entries: 0,
                closed: false,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            syncs: AtomicU64::new(0),
            max_queue_bytes: limits.max_queue_bytes,
            max_queue_entries: limits.max_queue_entries,
        });
        let writer = Writer {
            sink,
            shared: Arc::clone(&shared),
            key: limits.key,
            next_seq: head.entries,
            prev: head.sha256,
            committed_len: len,
            rotate_bytes: limits.rotate_bytes,
            buffer: Vec::new(),
            failed: false,
        };
        let handle = std::thread::Builder::new()
            .name("decision-log".to_string())
            .spawn(move || writer.run())
            .map_err(|source| LogError::Io { path, source })?;
        Ok(DecisionLog {
            shared,
            writer: Some(handle),
            _registration: None,
        })
    }

    /// Formats one decision (with the current time) and queues it; returns
    /// at once. The entry is durable once the returned [`Pending`]'s `wait`
    /// or `durable` returned `Ok`; answer the decision only then.
    ///
    /// Errors, with nothing queued: [`LogError::InvalidEntry`],
    /// [`LogError::Busy`] when the bytes submitted and not yet durable would
    /// exceed [`LogOptions::max_queue_bytes`], [`LogError::Failed`] once
    /// writing has failed.
    pub fn submit(&self, entry: Entry<'_>) -> Result<Pending, LogError> {
        self.check_running()?;
        let tail = format_tail(&entry, SystemTime::now())?;
        self.enqueue(Some(tail), false)
    }

    /// [`submit`](DecisionLog::submit) for an admin event (reload, rollback,
    /// shadow, start, stop, …), logged in the same chain.
    pub fn submit_event(&self, event: Event<'_>) -> Result<Pending, LogError> {
        self.check_running()?;
        let tail = format_event_tail(&event, SystemTime::now())?;
        self.enqueue(Some(tail), false)
    }

    /// Queues one entry without waiting for it to be durable (see
    /// [`submit`](DecisionLog::submit) for that). Blocks while the queue is
    /// full.
    ///
    /// Errors: [`LogError::InvalidEntry`] (nothing is queued), or
    /// [`LogError::Failed`] once writing has failed.
    pub fn append(&self, entry: Entry<'_>) -> Result<(), LogError> {
        self.check_running()?;
        let tail = format_tail(&entry, SystemTime::now())?;
        // Only `flush` learns the outcome of an appended entry.
        drop(self.enqueue(Some(tail), true)?);
        Ok(())
    }

    /// Waits until every entry queued before this call is written and synced
    /// to disk. Returns [`LogError::Failed`] if the log has stopped (once it
    /// returns, [`status`](DecisionLog::status) accounts for every entry
    /// queued before the call, as written or lost).
    pub fn flush(&self) -> Result<(), LogError> {
        self.enqueue(None, true)?.wait()?;
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(self.shared.failed_error());
        }
        Ok(())
    }

    /// Flushes, stops the writer thread and reports the outcome (dropping
    /// the log does the same but cannot report).
    pub fn close(self) -> Result<(), LogError> {
        self.flush()
        // `self` is dropped here: the queue is empty, the thread ends.
    }

    fn check_running(&self) -> Result<(), LogError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(self.shared.failed_error());
        }
        Ok(())
    }

    /// Queues a line tail (or a flush barrier, `None`). Over the bounds,
    /// `block` waits for room; otherwise the answer is [`LogError::Busy`].
    fn enqueue(&self, tail: Option<Vec<u8>>, block: bool) -> Result<Pending, LogError> {
        let bytes = tail.as_ref().map_or(0, Vec::len);
        let shared = &self.shared;
        let mut queue = shared.lock_queue();
        loop {
            if shared.failed.load(Ordering::Acquire) {
                return Err(shared.failed_error());
            }
            if queue.closed {
                return Err(shared.failed_error());
            }
            let full = tail.is_some()
                && queue.pending_entries > 0
                && (queue.pending_bytes.saturating_add(bytes) > shared.max_queue_bytes
                    || queue.pending_entries >= shared.max_queue_entries);
            if !full {
                break;
            }
            if !block {
                return Err(LogError::Busy(format!(
                    "decision log {}: {} bytes in {} entries are waiting to be written and synced; \
                     this entry's {bytes} bytes would pass the bound of {} bytes: not logged, try again later",
                    shared.path.display(),
                    queue.pending_bytes,
                    queue.pending_entries,
                    shared.max_queue_bytes
                )));
            }
            queue = shared
                .room
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let (done, answer) = oneshot::channel();
        if tail.is_some() {
            queue.pending_bytes = queue.pending_bytes.saturating_add(bytes);
            queue.pending_entries += 1;
        }
        queue.items.push(Item {
            tail,
            done: Some(done),
        });
        drop(queue);
        shared.work.notify_one();
        Ok(Pending {
            answer,
            shared: Arc::clone(shared),
        })
    }

    /// The last line written and synced: publish or record it to be able to
    /// detect later that lines were removed from the end (see
    /// [`verify_with_head`]).
    pub fn head(&self) -> Head {
        self.shared.lock().head.clone()
    }

    /// Head, counters, and whether (and why) the log has stopped.
    pub fn status(&self) -> LogStatus {
        let queued_bytes = self.shared.lock_queue().pending_bytes;
        let state = self.shared.lock();
        LogStatus {
            path: self.shared.path.clone(),
            head: state.head.clone(),
            error: state.error.clone(),
            lost: state.lost,
            syncs: self.shared.syncs.load(Ordering::Relaxed),
            queued_bytes,
            max_queue_bytes: self.shared.max_queue_bytes,
            rotations: state.rotations,
        }
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }
}

impl Drop for DecisionLog {
    /// Writes and syncs everything queued, then joins the writer thread.
    fn drop(&mut self) {
        self.shared.lock_queue().closed = true;
        self.shared.work.notify_all();
        self.shared.room.notify_all();
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}

impl fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionLog")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}
