//! The decision log: an append-only, tamper-evident record of every decision
//! `rulebook serve` makes.
//!
//! # Format
//!
//! JSON Lines: one JSON object per line, UTF-8, each line ended by `\n`. A line
//! is `BODY` followed by `,"sha256":"<64 hex>"}` where `BODY` is the object
//! text without its closing brace:
//!
//! ```text
//! {"seq":0,"prev":"000…000","time":"2026-11-27T15:20:11.123Z","policy":"pension_credit","hash":"…","as_of":"2026-11-27","facts":{…},"result":{…},"sha256":"…"}
//! ```
//!
//! - `sha256` is the lowercase hex SHA-256 of the `BODY` bytes exactly as
//!   written, so changing any byte of a line breaks that line's own hash;
//! - `prev` is the `sha256` of the previous line ([`GENESIS`], 64 zeros, for
//!   the first line), so re-computing a modified line's hash breaks the next
//!   line's `prev`;
//! - `seq` counts lines from 0, so deleting, inserting or reordering lines
//!   breaks the sequence;
//! - `time` is when [`DecisionLog::append`] was called (UTC, milliseconds).
//!   Appends from several threads are written in the order they reach the
//!   writer, so `time` need not increase from line to line; [`verify`] does
//!   not require it to.
//!
//! [`verify`] checks all of this line by line and names the first broken line.
//!
//! # What the chain does and does not prove
//!
//! The chain has no secret key: it shows that the file is *internally
//! consistent*. Removing lines from the end leaves a consistent, shorter
//! chain, and whoever can write the file can also rewrite it entirely and
//! recompute every hash. Both are detected only against a head recorded
//! elsewhere: publish or store [`DecisionLog::head`] (for instance
//! periodically, or in each response) and check it later with
//! [`verify_with_head`], which requires that recorded `sha256` to still be in
//! the chain.
//!
//! # Durability
//!
//! [`DecisionLog::append`] returns once the line is queued for the writer
//! thread (a bounded queue: when it is full, `append` blocks, it never drops).
//! The writer hands lines to the operating system whenever the queue is
//! momentarily empty (and at least every [`BATCH_BYTES`]) and `fsync`s on
//! [`DecisionLog::flush`], [`DecisionLog::close`] and drop. A line is on disk
//! only after a `flush` that returned `Ok`; a server that must not answer
//! before its decision is durable calls `flush` before answering.
//!
//! If writing or syncing fails (a full disk, an I/O error), the log stops: the
//! error is kept, every later `append` and `flush` returns
//! [`LogError::Failed`] with it, [`DecisionLog::status`] reports it with the
//! number of entries that were accepted but could not be written, and the
//! partly written line, if any, is cut off again so that the file can be
//! reopened once the cause is fixed.
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

pub use format::format_timestamp;
pub use verify::{render_report, verify, verify_reader, verify_with_head};

use format::format_tail;
use repair::read_head;
use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::SystemTime;
use writer::{sync_parent_dir, FileSink, Sink, Writer};

/// The `prev` of the first line of a log, and the head of an empty log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Default capacity of the queue between [`DecisionLog::append`] and the
/// writer thread, in entries.
pub const DEFAULT_CAPACITY: usize = 4096;

/// The longest line the log writes or accepts (64 MiB, `\n` excluded): an
/// entry whose line would be longer is refused by [`DecisionLog::append`], and
/// [`verify`] reports a longer line as broken instead of reading it into
/// memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// The deepest nesting of arrays and objects accepted in `facts` and `result`
/// (the line object adds one level, and serde_json refuses more than 127).
pub const MAX_JSON_DEPTH: usize = 100;

/// The writer hands queued lines to the operating system at the latest when
/// this many bytes are waiting.
pub const BATCH_BYTES: usize = 1 << 20;

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

/// The last line of a log: what a verifier needs to detect lines removed from
/// the end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Head {
    /// Number of lines in the log (the next line's `seq`).
    pub entries: u64,
    /// `sha256` of the last line; [`GENESIS`] when the log is empty.
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
    /// The last line handed to the operating system (on disk after a
    /// successful [`DecisionLog::flush`]).
    pub head: Head,
    /// Why the log stopped, if it did.
    pub error: Option<String>,
    /// Entries accepted by `append` that were not written because the log
    /// had stopped.
    pub lost: u64,
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
    Intact { entries: u64, head_sha256: String },
    /// The first line (1-based) that is malformed or does not link.
    Broken { line: usize, reason: String },
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
    /// The existing file cannot be appended to: its last line is incomplete
    /// or not a valid entry. Run the verifier and repair the file first.
    #[error("decision log {}: line {line}: {reason}; refusing to append to it", .path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
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
    /// Writing the log failed earlier (for instance the disk is full); the
    /// log accepts nothing more.
    #[error("{0}")]
    Failed(String),
}

// ---------------------------------------------------------------- writing

/// An open decision log: appends from any number of threads (it is `Send +
/// Sync`; share it behind an `Arc`), written in order by one background
/// thread.
pub struct DecisionLog {
    tx: Option<SyncSender<Msg>>,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// Released after the writer thread has ended.
    _registration: Option<Registration>,
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

pub(super) enum Msg {
    /// The line text from `,"time":` to the end of `result`.
    Entry(Vec<u8>),
    /// Write and sync everything before this message, then answer.
    Flush(SyncSender<Result<(), String>>),
}

pub(super) struct Shared {
    path: PathBuf,
    /// Set (after `state.error`) when the log has stopped: lets `append`
    /// refuse without taking the lock.
    failed: AtomicBool,
    state: Mutex<State>,
}

pub(super) struct State {
    head: Head,
    error: Option<String>,
    lost: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn failed_error(&self) -> LogError {
        let message = self.lock().error.clone().unwrap_or_else(|| {
            format!(
                "decision log {}: the writer thread has stopped",
                self.path.display()
            )
        });
        LogError::Failed(message)
    }
}

impl DecisionLog {
    /// Opens the log at `path` for appending, creating it if needed, with a
    /// queue of [`DEFAULT_CAPACITY`] entries.
    ///
    /// An existing non-empty file must end with a complete, valid line (its
    /// own hash is checked; the lines before it are not read: use [`verify`]
    /// for that); its `seq` and `sha256` continue the chain. Otherwise the
    /// file is refused with [`LogError::Corrupt`]. A file that is not a
    /// regular file (a device, a pipe) is written from a new chain and never
    /// synced.
    pub fn open(path: impl AsRef<Path>) -> Result<DecisionLog, LogError> {
        DecisionLog::open_with_capacity(path, DEFAULT_CAPACITY)
    }

    /// [`open`](DecisionLog::open) with a queue of `capacity` entries (0 is
    /// taken as 1). `append` blocks while the queue is full.
    ///
    /// A file already open here (same canonical path) is refused with
    /// [`LogError::AlreadyOpen`] until that `DecisionLog` is dropped; other
    /// processes are not kept out.
    pub fn open_with_capacity(
        path: impl AsRef<Path>,
        capacity: usize,
    ) -> Result<DecisionLog, LogError> {
        let path = path.as_ref().to_path_buf();
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
            // Best effort: make the new directory entry durable too.
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
        let head = if len == 0 {
            Head::genesis()
        } else {
            read_head(&mut file, len, &path)?
        };
        let mut log = DecisionLog::start(path, FileSink { file, regular }, head, len, capacity)?;
        log._registration = registration;
        Ok(log)
    }

    fn start<S: Sink>(
        path: PathBuf,
        sink: S,
        head: Head,
        len: u64,
        capacity: usize,
    ) -> Result<DecisionLog, LogError> {
        let shared = Arc::new(Shared {
            path: path.clone(),
            failed: AtomicBool::new(false),
            state: Mutex::new(State {
                head: head.clone(),
                error: None,
                lost: 0,
            }),
        });
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let writer = Writer {
            sink,
            shared: Arc::clone(&shared),
            next_seq: head.entries,
            prev: head.sha256,
            committed_len: len,
            batch: Vec::new(),
            batch_entries: 0,
            unsynced: false,
            failed: false,
        };
        let handle = std::thread::Builder::new()
            .name("decision-log".to_string())
            .spawn(move || writer.run(rx))
            .map_err(|source| LogError::Io { path, source })?;
        Ok(DecisionLog {
            tx: Some(tx),
            shared,
            writer: Some(handle),
            _registration: None,
        })
    }

    /// Queues one entry. The line (except `seq`, `prev` and `sha256`, which
    /// the writer adds) is formatted on the calling thread, with the current
    /// time. Blocks while the queue is full.
    ///
    /// Errors: [`LogError::InvalidEntry`] (nothing is queued), or
    /// [`LogError::Failed`] once writing has failed.
    ///
    /// Called from an async task, a full queue blocks that executor thread
    /// until the writer catches up (with the default capacity, only when the
    /// disk cannot keep up): back-pressure rather than loss.
    pub fn append(&self, entry: Entry<'_>) -> Result<(), LogError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(self.shared.failed_error());
        }
        let tail = format_tail(&entry, SystemTime::now())?;
        self.send(Msg::Entry(tail))
    }

    /// Waits until every entry queued before this call is written and synced
    /// to disk. Returns [`LogError::Failed`] if the log has stopped (once it
    /// returns, [`status`](DecisionLog::status) accounts for every entry
    /// queued before the call, as written or lost).
    pub fn flush(&self) -> Result<(), LogError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Msg::Flush(reply))?;
        match answer.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(LogError::Failed(message)),
            Err(_) => Err(self.shared.failed_error()),
        }
    }

    /// Flushes, stops the writer thread and reports the outcome (dropping
    /// the log does the same but cannot report).
    pub fn close(self) -> Result<(), LogError> {
        self.flush()
        // `self` is dropped here: the queue is empty, the thread ends.
    }

    /// The last line written (handed to the operating system; on disk once a
    /// later [`flush`](DecisionLog::flush) returned `Ok`): publish or record it to be able to detect later
    /// that lines were removed from the end (see [`verify_with_head`]).
    pub fn head(&self) -> Head {
        self.shared.lock().head.clone()
    }

    /// Head, and whether (and why) the log has stopped.
    pub fn status(&self) -> LogStatus {
        let state = self.shared.lock();
        LogStatus {
            path: self.shared.path.clone(),
            head: state.head.clone(),
            error: state.error.clone(),
            lost: state.lost,
        }
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    fn send(&self, msg: Msg) -> Result<(), LogError> {
        match &self.tx {
            Some(tx) => tx.send(msg).map_err(|_| self.shared.failed_error()),
            None => Err(self.shared.failed_error()),
        }
    }
}

impl Drop for DecisionLog {
    /// Writes and syncs everything queued, then joins the writer thread.
    fn drop(&mut self) {
        drop(self.tx.take());
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
