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

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// `,"sha256":"` + 64 hex digits + `"}`.
const SUFFIX_LEN: usize = 77;
const SUFFIX_START: &[u8] = b",\"sha256\":\"";
const SUFFIX_END: &[u8] = b"\"}";
/// `{"seq":` + at most 20 digits + `,"prev":"` + 64 hex digits + `"`.
const PREFIX_MAX: usize = 101;

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

enum Msg {
    /// The line text from `,"time":` to the end of `result`.
    Entry(Vec<u8>),
    /// Write and sync everything before this message, then answer.
    Flush(SyncSender<Result<(), String>>),
}

struct Shared {
    path: PathBuf,
    /// Set (after `state.error`) when the log has stopped: lets `append`
    /// refuse without taking the lock.
    failed: AtomicBool,
    state: Mutex<State>,
}

struct State {
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

/// Where the writer thread puts bytes; a trait so that tests can make writes
/// fail half-way.
trait Sink: Send + 'static {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (a no-op where that is impossible).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

struct FileSink {
    file: File,
    regular: bool,
}

impl Sink for FileSink {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        if self.regular {
            self.file.sync_data()
        } else {
            Ok(())
        }
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if self.regular {
            self.file.set_len(len)
        } else {
            Ok(())
        }
    }
}

struct Writer<S: Sink> {
    sink: S,
    shared: Arc<Shared>,
    /// `seq` of the next line.
    next_seq: u64,
    /// `sha256` of the last line formatted.
    prev: String,
    /// File length after the last successful write.
    committed_len: u64,
    /// Lines formatted and not yet handed to the sink.
    batch: Vec<u8>,
    batch_entries: u64,
    unsynced: bool,
    failed: bool,
}

impl<S: Sink> Writer<S> {
    fn run(mut self, rx: Receiver<Msg>) {
        // `recv` fails only once every sender is gone and the queue is empty.
        while let Ok(first) = rx.recv() {
            let mut next = Some(first);
            while let Some(msg) = next {
                self.handle(msg);
                if self.batch.len() >= BATCH_BYTES {
                    self.write_batch();
                }
                next = rx.try_recv().ok();
            }
            // The queue is momentarily empty.
            self.write_batch();
        }
        self.write_batch();
        self.sync();
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Entry(tail) => self.add(&tail),
            Msg::Flush(reply) => {
                self.write_batch();
                self.sync();
                let outcome = if self.failed {
                    Err(self.shared.failed_error().to_string())
                } else {
                    Ok(())
                };
                // The caller may have gone away; nothing to tell then.
                let _ = reply.send(outcome);
            }
        }
    }

    fn add(&mut self, tail: &[u8]) {
        if self.failed {
            self.shared.lock().lost += 1;
            return;
        }
        let Some(following) = self.next_seq.checked_add(1) else {
            self.fail("seq has reached its maximum".to_string(), 1);
            return;
        };
        let start = self.batch.len();
        self.batch.extend_from_slice(b"{\"seq\":");
        self.batch
            .extend_from_slice(self.next_seq.to_string().as_bytes());
        self.batch.extend_from_slice(b",\"prev\":\"");
        self.batch.extend_from_slice(self.prev.as_bytes());
        self.batch.push(b'"');
        self.batch.extend_from_slice(tail);
        let sha256 = sha256_hex(self.batch.get(start..).unwrap_or_default());
        self.batch.extend_from_slice(SUFFIX_START);
        self.batch.extend_from_slice(sha256.as_bytes());
        self.batch.extend_from_slice(SUFFIX_END);
        self.batch.push(b'\n');
        self.prev = sha256;
        self.next_seq = following;
        self.batch_entries += 1;
    }

    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        if self.failed {
            self.batch.clear();
            self.batch_entries = 0;
            return;
        }
        match self.sink.append(&self.batch) {
            Ok(()) => {
                self.committed_len += self.batch.len() as u64;
                self.unsynced = true;
                self.shared.lock().head = Head {
                    entries: self.next_seq,
                    sha256: self.prev.clone(),
                };
            }
            Err(e) => {
                // Part of the batch may have reached the file: cut it off so
                // that the file ends with a complete line again.
                let cleanup = match self.sink.truncate(self.committed_len) {
                    Ok(()) => String::new(),
                    Err(t) => format!(
                        "; could not cut off the partly written line ({t}): \
                         the file must be repaired before it is appended to again"
                    ),
                };
                let lost = self.batch_entries;
                self.fail(format!("write failed: {e}{cleanup}"), lost);
            }
        }
        self.batch.clear();
        self.batch_entries = 0;
    }

    fn sync(&mut self) {
        if self.failed || !self.unsynced {
            return;
        }
        match self.sink.sync() {
            Ok(()) => self.unsynced = false,
            // After a failed fsync the kernel may have dropped the dirty
            // pages: what was written cannot be trusted to be on disk.
            Err(e) => self.fail(format!("sync failed: {e}"), 0),
        }
    }

    fn fail(&mut self, what: String, lost: u64) {
        self.failed = true;
        {
            let mut state = self.shared.lock();
            if state.error.is_none() {
                state.error = Some(format!(
                    "decision log {}: {what}",
                    self.shared.path.display()
                ));
            }
            state.lost += lost;
        }
        self.shared.failed.store(true, Ordering::Release);
    }
}

/// Formats `,"time":…,"policy":…,"hash":…,"as_of":…,"facts":…,"result":…`.
fn format_tail(entry: &Entry<'_>, now: SystemTime) -> Result<Vec<u8>, LogError> {
    let facts = embeddable_json("facts", entry.facts)?;
    let result = embeddable_json("result", entry.result)?;
    let mut out = Vec::with_capacity(
        96 + entry.policy.len() + entry.hash.len() + entry.as_of.len() + facts.len() + result.len(),
    );
    out.extend_from_slice(b",\"time\":\"");
    out.extend_from_slice(format_timestamp(now).as_bytes());
    out.extend_from_slice(b"\",\"policy\":");
    push_json_string(&mut out, entry.policy);
    out.extend_from_slice(b",\"hash\":");
    push_json_string(&mut out, entry.hash);
    out.extend_from_slice(b",\"as_of\":");
    push_json_string(&mut out, entry.as_of);
    out.extend_from_slice(b",\"facts\":");
    out.extend_from_slice(facts.as_bytes());
    out.extend_from_slice(b",\"result\":");
    out.extend_from_slice(result.as_bytes());
    if PREFIX_MAX + out.len() + SUFFIX_LEN > MAX_LINE_BYTES {
        return Err(LogError::InvalidEntry(format!(
            "the entry would be {} bytes long, more than the {MAX_LINE_BYTES} a line may have",
            PREFIX_MAX + out.len() + SUFFIX_LEN
        )));
    }
    Ok(out)
}

/// Checks that `text` is one JSON value nested at most [`MAX_JSON_DEPTH`]
/// deep, and returns it without surrounding whitespace, and without any
/// whitespace outside strings if it has line breaks.
fn embeddable_json<'a>(field: &str, text: &'a str) -> Result<Cow<'a, str>, LogError> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| LogError::InvalidEntry(format!("{field} is not valid JSON: {e}")))?;
    let value = raw.get();
    let bytes = value.as_bytes();
    // Fewer opening brackets in all than the limit (the usual case, counted
    // fast) cannot nest deeper; otherwise measure the depth outside strings.
    let openings = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if openings > MAX_JSON_DEPTH {
        let depth = nesting_depth(bytes);
        if depth > MAX_JSON_DEPTH {
            return Err(LogError::InvalidEntry(format!(
                "{field} is nested {depth} deep, more than the {MAX_JSON_DEPTH} allowed"
            )));
        }
    }
    let line_break = bytes.iter().any(|&b| b == b'\n' || b == b'\r');
    if !line_break {
        return Ok(Cow::Borrowed(value));
    }
    // Valid JSON has no raw control characters inside strings: every line
    // break is whitespace between tokens.
    let mut compact = String::with_capacity(value.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        compact.push(c);
    }
    Ok(Cow::Owned(compact))
}

/// The deepest nesting of arrays and objects in a valid JSON text.
fn nesting_depth(json: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max_depth
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(unix)]
fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(not(unix))]
fn sync_parent_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Reads and checks the last line of a non-empty log file.
fn read_head(file: &mut File, len: u64, path: &Path) -> Result<Head, LogError> {
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |file: &mut File, line_start: u64, reason: String| -> LogError {
        match count_newlines(file, line_start) {
            Ok(n) => LogError::Corrupt {
                path: path.to_path_buf(),
                line: usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1),
                reason,
            },
            Err(source) => io_error(source),
        }
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io_error)?;
    file.read_exact(&mut last).map_err(io_error)?;
    // The last line is [start, end); `end` is the final '\n'.
    let end = len - 1;
    if last[0] != b'\n' {
        let start = last_line_start(file, len).map_err(io_error)?;
        return Err(corrupt(
            file,
            start,
            "the last line is incomplete (no newline at the end of the file): \
             a write was interrupted or the file was cut"
                .to_string(),
        ));
    }
    let start = last_line_start(file, end).map_err(io_error)?;
    let line_len = end - start;
    if line_len > MAX_LINE_BYTES as u64 {
        return Err(corrupt(
            file,
            start,
            format!("the last line is longer than {MAX_LINE_BYTES} bytes"),
        ));
    }
    let mut line = vec![0u8; usize::try_from(line_len).unwrap_or(0)];
    file.seek(SeekFrom::Start(start)).map_err(io_error)?;
    file.read_exact(&mut line).map_err(io_error)?;
    match check_line(&line) {
        Ok(info) => match info.seq.checked_add(1) {
            Some(entries) => Ok(Head {
                entries,
                sha256: info.sha256,
            }),
            None => Err(corrupt(file, start, "seq is at its maximum".to_string())),
        },
        Err(reason) => Err(corrupt(file, start, format!("the last line {reason}"))),
    }
}

/// Offset just after the last '\n' before `end` (0 if none), reading
/// backwards in blocks, giving up past [`MAX_LINE_BYTES`] (then returns a
/// start that makes the line too long).
fn last_line_start(file: &mut File, end: u64) -> io::Result<u64> {
    const BLOCK: u64 = 64 * 1024;
    let mut block = vec![0u8; BLOCK as usize];
    let mut pos = end;
    while pos > 0 {
        let n = BLOCK.min(pos);
        pos -= n;
        let buf = block.get_mut(..n as usize).unwrap_or_default();
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
        if end - pos > MAX_LINE_BYTES as u64 {
            return Ok(pos);
        }
    }
    Ok(0)
}

fn count_newlines(file: &mut File, upto: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(file.take(upto));
    let mut count = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(count);
        }
        count += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buf.len();
        reader.consume(n);
    }
}

// ---------------------------------------------------------------- verifying

/// The fields of a line, as [`check_line`] reads them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFields<'a> {
    seq: u64,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow, rename = "policy")]
    _policy: Cow<'a, str>,
    #[serde(borrow, rename = "hash")]
    _hash: Cow<'a, str>,
    #[serde(borrow, rename = "as_of")]
    _as_of: Cow<'a, str>,
    #[serde(borrow, rename = "facts")]
    _facts: &'a RawValue,
    #[serde(borrow, rename = "result")]
    _result: &'a RawValue,
    #[serde(borrow)]
    sha256: Cow<'a, str>,
}

struct LineInfo {
    seq: u64,
    prev: String,
    sha256: String,
}

fn is_hex64(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_timestamp(s: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == SHAPE.len()
        && s.bytes().zip(SHAPE).all(|(b, &want)| {
            if want == b'd' {
                b.is_ascii_digit()
            } else {
                b == want
            }
        })
}

/// Checks one line (without its '\n') on its own: shape, own hash, fields.
/// The error completes "the line …" / "line N: …".
fn check_line(line: &[u8]) -> Result<LineInfo, String> {
    let shape_error = || {
        "does not end with ,\"sha256\":\"<64 lowercase hex digits>\"} \
         (it is not a decision log entry, or it was modified)"
            .to_string()
    };
    let Some(body_len) = line.len().checked_sub(SUFFIX_LEN) else {
        return Err(shape_error());
    };
    let (body, suffix) = line.split_at(body_len);
    let hex = suffix
        .get(SUFFIX_START.len()..SUFFIX_LEN - SUFFIX_END.len())
        .unwrap_or_default();
    if body.is_empty()
        || !suffix.starts_with(SUFFIX_START)
        || !suffix.ends_with(SUFFIX_END)
        || !is_hex64(hex)
    {
        return Err(shape_error());
    }
    let computed = sha256_hex(body);
    if computed.as_bytes() != hex {
        return Err("has been modified: its sha256 does not match its content".to_string());
    }
    let text = std::str::from_utf8(line).map_err(|_| "is not valid UTF-8".to_string())?;
    let fields: LineFields<'_> =
        serde_json::from_str(text).map_err(|e| format!("is not a valid entry: {e}"))?;
    if fields.sha256.as_bytes() != hex {
        return Err("is not a valid entry: sha256 is not its last field".to_string());
    }
    if !is_hex64(fields.prev.as_bytes()) {
        return Err("is not a valid entry: prev is not 64 lowercase hex digits".to_string());
    }
    if !is_timestamp(&fields.time) {
        return Err(
            "is not a valid entry: time is not of the form YYYY-MM-DDTHH:MM:SS.mmmZ".to_string(),
        );
    }
    Ok(LineInfo {
        seq: fields.seq,
        prev: fields.prev.into_owned(),
        sha256: computed,
    })
}

/// Verifies the log at `path` from its first line to its last.
///
/// `Err` only when the file cannot be read; a damaged log is
/// `Ok(VerifyReport::Broken { .. })` naming the first line that is malformed
/// or does not link to the line before it. An intact chain may still have
/// lost lines at its end: see [`verify_with_head`].
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, LogError> {
    verify_path(path.as_ref(), None)
}

/// [`verify`], also requiring that a line with `sha256` equal to
/// `expected_head_sha256` (a head recorded earlier, see
/// [`DecisionLog::head`]) is in the chain: if it is not, lines were removed
/// from the end or the log was rewritten. [`GENESIS`] is the head of the
/// empty log and is always found. Upper-case hex is accepted.
pub fn verify_with_head(
    path: impl AsRef<Path>,
    expected_head_sha256: &str,
) -> Result<VerifyReport, LogError> {
    let expected = expected_head_sha256.trim().to_ascii_lowercase();
    if !is_hex64(expected.as_bytes()) {
        return Err(LogError::InvalidHead(expected_head_sha256.to_string()));
    }
    verify_path(path.as_ref(), Some(&expected))
}

fn verify_path(path: &Path, expected: Option<&str>) -> Result<VerifyReport, LogError> {
    let io_error = |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    verify_reader(BufReader::with_capacity(1 << 16, file), expected).map_err(io_error)
}

/// [`verify`] over any reader (for instance standard input).
/// `expected_head_sha256`, if given, must be 64 lowercase hex digits to be
/// found.
pub fn verify_reader(
    mut reader: impl BufRead,
    expected_head_sha256: Option<&str>,
) -> io::Result<VerifyReport> {
    let mut prev = GENESIS.to_string();
    let mut entries: u64 = 0;
    let mut line_no: usize = 0;
    let mut found = expected_head_sha256.is_none_or(|e| e == GENESIS);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let broken = |reason: String| {
            Ok(VerifyReport::Broken {
                line: line_no,
                reason,
            })
        };
        if buf.last() != Some(&b'\n') {
            if buf.len() > MAX_LINE_BYTES {
                return broken(format!("the line is longer than {MAX_LINE_BYTES} bytes"));
            }
            return broken(
                "the line is incomplete (no newline at the end of the file): \
                 a write was interrupted or the file was cut"
                    .to_string(),
            );
        }
        buf.pop();
        let info = match check_line(&buf) {
            Ok(info) => info,
            Err(reason) => return broken(format!("the line {reason}")),
        };
        if info.seq != entries {
            return broken(format!(
                "seq is {}, expected {entries}: lines were removed, inserted or reordered",
                info.seq
            ));
        }
        if info.prev != prev {
            return broken(if line_no == 1 {
                "prev is not the genesis value (64 zeros): \
                 the log does not start at its first entry"
                    .to_string()
            } else {
                format!(
                    "prev does not match line {}: line {} was rewritten, \
                     or lines were removed, inserted or reordered",
                    line_no - 1,
                    line_no - 1
                )
            });
        }
        if expected_head_sha256 == Some(info.sha256.as_str()) {
            found = true;
        }
        prev = info.sha256;
        entries += 1;
    }
    if let (false, Some(expected)) = (found, expected_head_sha256) {
        return Ok(VerifyReport::Broken {
            line: line_no + 1,
            reason: format!(
                "the expected head {expected} is not in the log \
                 ({entries} entries, head {prev}): \
                 lines were removed from the end, or the log was rewritten"
            ),
        });
    }
    Ok(VerifyReport::Intact {
        entries,
        head_sha256: prev,
    })
}

/// One line for the CLI, e.g. `decision log ok: 1000 entries, head sha256 …`
/// or `decision log BROKEN at line 17: prev does not match line 16: …`.
pub fn render_report(report: &VerifyReport) -> String {
    match report {
        VerifyReport::Intact {
            entries,
            head_sha256,
        } => format!(
            "decision log ok: {entries} {}, head sha256 {head_sha256}",
            if *entries == 1 { "entry" } else { "entries" }
        ),
        VerifyReport::Broken { line, reason } => {
            format!("decision log BROKEN at line {line}: {reason}")
        }
    }
}

// ---------------------------------------------------------------- time

/// `t` in RFC 3339 UTC with milliseconds, e.g. `2026-11-27T15:20:11.123Z`
/// (the time of the `time` field). Times before 1970 are supported; years
/// past 9999 are written with more digits.
pub fn format_timestamp(t: SystemTime) -> String {
    let ms: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => {
            // Round towards the past: 0.5 ms before 1970 is 23:59:59.999.
            let d = e.duration();
            let whole = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            i64::try_from(whole).map(|m| -m).unwrap_or(i64::MIN)
        }
    };
    const DAY_MS: i64 = 86_400_000;
    let (year, month, day) = civil_from_days(ms.div_euclid(DAY_MS));
    let in_day = ms.rem_euclid(DAY_MS);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day); the
/// inverse of days-from-civil (H. Hinnant, "chrono-compatible low-level date
/// algorithms").
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

// ---------------------------------------------------------------- tests

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    static COUNTER: AtomicU64 = AtomicU64::new(0);

    /// A fresh empty directory under the system temp dir.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!(
                "rulebook-decision-log-{}-{}-{name}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
        fn file(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// xorshift64*: reproducible pseudo-random numbers.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn facts(i: usize) -> String {
        format!(
            r#"{{"age":{},"income":"{}.50","name":"person \"{i}\""}}"#,
            60 + i % 30,
            i * 7
        )
    }

    fn result(i: usize) -> String {
        format!(
            r#"{{"decisions":{{"eligible":{{"value":{}}}}},"missing":[]}}"#,
            i.is_multiple_of(2)
        )
    }

    fn append_n(log: &DecisionLog, from: usize, n: usize) {
        for i in from..from + n {
            let (f, r) = (facts(i), result(i));
            log.append(Entry {
                policy: "pension_credit",
                hash: "ab12",
                as_of: "2026-11-27",
                facts: &f,
                result: &r,
            })
            .unwrap();
        }
    }

    fn write_log(path: &Path, n: usize) -> Head {
        let log = DecisionLog::open(path).unwrap();
        append_n(&log, 0, n);
        log.flush().unwrap();
        let head = log.head();
        log.close().unwrap();
        head
    }

    fn check(bytes: &[u8]) -> VerifyReport {
        verify_reader(bytes, None).unwrap()
    }

    fn broken_line(report: &VerifyReport) -> usize {
        match report {
            VerifyReport::Broken { line, .. } => *line,
            VerifyReport::Intact { .. } => panic!("expected a broken log, got {report:?}"),
        }
    }

    fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
        bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn line_of(bytes: &[u8], pos: usize) -> usize {
        bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1
    }

    #[test]
    fn decision_log_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DecisionLog>();
        assert_send_sync::<LogError>();
    }

    #[test]
    fn timestamps() {
        let at = |ms: i64| {
            if ms >= 0 {
                UNIX_EPOCH + Duration::from_millis(ms as u64)
            } else {
                UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
            }
        };
        assert_eq!(format_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(at(1_795_792_811_123)),
            "2026-11-27T15:20:11.123Z"
        );
        assert_eq!(
            format_timestamp(at(951_868_799_999)),
            "2000-02-29T23:59:59.999Z"
        );
        assert_eq!(
            format_timestamp(at(-2_203_891_200_000)),
            "1900-03-01T00:00:00.000Z"
        );
        assert_eq!(format_timestamp(at(-1)), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            format_timestamp(UNIX_EPOCH - Duration::from_micros(500)),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            format_timestamp(UNIX_EPOCH + Duration::from_micros(1_999)),
            "1970-01-01T00:00:00.001Z"
        );
        assert!(is_timestamp(&format_timestamp(SystemTime::now())));
    }

    #[test]
    fn civil_from_days_walks_the_calendar() {
        // Step day by day from 1600-03-01 over 800 years against a naive
        // calendar.
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_len = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let start = -135_080; // 1600-03-01
        assert_eq!(civil_from_days(start), (1600, 3, 1));
        let (mut y, mut m, mut d) = (1600i64, 3u32, 1u32);
        for days in start..start + 800 * 366 {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            d += 1;
            if d > month_len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn line_format_is_exactly_as_documented() {
        let dir = TempDir::new("format");
        let path = dir.file("log.jsonl");
        write_log(&path, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let all: Vec<&str> = text.lines().collect();
        assert_eq!(all.len(), 2);
        assert!(text.ends_with('\n'));
        let mut prev = GENESIS.to_string();
        for (seq, line) in all.iter().enumerate() {
            let (body, suffix) = line.split_at(line.len() - SUFFIX_LEN);
            assert!(body.starts_with(&format!(r#"{{"seq":{seq},"prev":"{prev}","time":""#)));
            assert!(body.contains(
                r#","policy":"pension_credit","hash":"ab12","as_of":"2026-11-27","facts":{"age":"#
            ));
            assert!(body.ends_with(&format!(r#","result":{}"#, result(seq))));
            let hash = sha256_hex(body.as_bytes());
            assert_eq!(suffix, format!(r#","sha256":"{hash}"}}"#));
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["seq", "prev", "time", "policy", "hash", "as_of", "facts", "result", "sha256"]
            );
            assert_eq!(v["facts"]["name"], format!("person \"{seq}\""));
            assert!(is_timestamp(v["time"].as_str().unwrap()));
            prev = hash;
        }
    }

    #[test]
    fn round_trip_from_four_threads() {
        let dir = TempDir::new("threads");
        let path = dir.file("log.jsonl");
        // A small queue so that appenders do block on a full queue.
        let log = Arc::new(DecisionLog::open_with_capacity(&path, 8).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    append_n(&log, t * 250, 250);
                    if t == 0 {
                        log.flush().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        log.flush().unwrap();
        let head = log.head();
        assert_eq!(head.entries, 1000);
        assert_eq!(head.last_seq(), Some(999));
        assert!(log.status().is_ok());
        let report = verify(&path).unwrap();
        assert_eq!(
            report,
            VerifyReport::Intact {
                entries: 1000,
                head_sha256: head.sha256.clone()
            }
        );
        // Every entry is there exactly once, seq are 0..1000 in order.
        let text = std::fs::read_to_string(&path).unwrap();
        let mut names = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["seq"], i as u64);
            names.push(v["facts"]["name"].as_str().unwrap().to_string());
        }
        names.sort();
        let mut expected: Vec<String> = (0..1000).map(|i| format!("person \"{i}\"")).collect();
        expected.sort();
        assert_eq!(names, expected);
        assert_eq!(verify_with_head(&path, &head.sha256).unwrap(), report);
        drop(log);
    }

    #[test]
    fn every_byte_change_is_detected_on_its_line() {
        let dir = TempDir::new("flip");
        let path = dir.file("log.jsonl");
        write_log(&path, 6);
        let good = std::fs::read(&path).unwrap();
        assert!(check(&good).is_intact());
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        for pos in 0..good.len() {
            let line = line_of(&good, pos);
            // A different printable character, and a line break.
            let mut printable = good[pos];
            while printable == good[pos] {
                printable = b' ' + rng.below(95) as u8;
            }
            for replacement in [printable, b'\n'] {
                if replacement == good[pos] {
                    continue;
                }
                let mut bad = good.clone();
                bad[pos] = replacement;
                let report = check(&bad);
                assert_eq!(
                    broken_line(&report),
                    line,
                    "byte {pos} -> {replacement}: {report:?}"
                );
            }
            // Deleting the byte, or inserting one before it.
            let mut bad = good.clone();
            bad.remove(pos);
            assert_eq!(broken_line(&check(&bad)), line, "deleting byte {pos}");
            let mut bad = good.clone();
            bad.insert(pos, b' ');
            assert_eq!(
                broken_line(&check(&bad)),
                line,
                "inserting before byte {pos}"
            );
        }
    }

    #[test]
    fn removed_inserted_and_reordered_lines_are_detected() {
        let dir = TempDir::new("lines");
        let path = dir.file("log.jsonl");
        let head = write_log(&path, 10);
        let good = std::fs::read(&path).unwrap();
        let all = lines(&good);
        let join = |ls: &[Vec<u8>]| ls.concat();

        // Deleting line 5 (seq 4).
        let mut ls = all.clone();
        ls.remove(4);
        let report = check(&join(&ls));
        assert_eq!(broken_line(&report), 5);
        assert!(
            render_report(&report).contains("seq is 5, expected 4"),
            "{report:?}"
        );

        // Deleting the first line.
        let report = check(&join(&all[1..]));
        assert_eq!(broken_line(&report), 1);

        // Swapping lines 3 and 4.
        let mut ls = all.clone();
        ls.swap(2, 3);
        assert_eq!(broken_line(&check(&join(&ls))), 3);

        // Duplicating a line.
        let mut ls = all.clone();
        ls.insert(6, all[5].clone());
        assert_eq!(broken_line(&check(&join(&ls))), 7);

        // Rewriting line 6 with a consistent hash of its own breaks line 7.
        let mut ls = all.clone();
        let text = String::from_utf8(ls[5].clone()).unwrap();
        let body = text.trim_end_matches('\n');
        let body = &body[..body.len() - SUFFIX_LEN];
        let forged = body.replace("\"value\":false", "\"value\":true");
        assert_ne!(forged, body);
        ls[5] = format!(
            "{forged},\"sha256\":\"{}\"}}\n",
            sha256_hex(forged.as_bytes())
        )
        .into_bytes();
        let report = check(&join(&ls));
        assert_eq!(
            report,
            VerifyReport::Broken {
                line: 7,
                reason: "prev does not match line 6: line 6 was rewritten, \
                         or lines were removed, inserted or reordered"
                    .to_string()
            }
        );

        // Truncation: an intact shorter chain on its own, detected with the
        // recorded head; an older recorded head is still found.
        let cut = join(&all[..7]);
        assert!(check(&cut).is_intact());
        let report = verify_reader(&cut[..], Some(&head.sha256)).unwrap();
        assert_eq!(broken_line(&report), 8);
        assert!(render_report(&report).contains("lines were removed from the end"));
        assert!(verify_reader(&good[..], Some(&head.sha256))
            .unwrap()
            .is_intact());
        let older = match check(&join(&all[..4])) {
            VerifyReport::Intact { head_sha256, .. } => head_sha256,
            other => panic!("{other:?}"),
        };
        assert!(verify_reader(&cut[..], Some(&older)).unwrap().is_intact());
        // Cutting inside the last line.
        let report = check(&good[..good.len() - 1]);
        assert_eq!(broken_line(&report), 10);
        assert!(render_report(&report).contains("incomplete"));
        // The empty log is intact, with the genesis head.
        assert_eq!(
            check(b""),
            VerifyReport::Intact {
                entries: 0,
                head_sha256: GENESIS.to_string()
            }
        );
        assert!(verify_reader(&b""[..], Some(GENESIS)).unwrap().is_intact());
    }

    #[test]
    fn verify_with_head_from_path() {
        let dir = TempDir::new("head");
        let path = dir.file("log.jsonl");
        let head = write_log(&path, 3);
        assert!(verify_with_head(&path, &head.sha256.to_uppercase())
            .unwrap()
            .is_intact());
        assert!(matches!(
            verify_with_head(&path, "abc"),
            Err(LogError::InvalidHead(_))
        ));
        let other = "1".repeat(64);
        assert_eq!(broken_line(&verify_with_head(&path, &other).unwrap()), 4);
        let missing = dir.file("missing.jsonl");
        let err = verify(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.jsonl"), "{err}");
    }

    #[test]
    fn malformed_lines_are_reported() {
        let cases: [(&[u8], &str); 6] = [
            (b"\n", "does not end with"),
            (b"hello\n", "does not end with"),
            (b"{\"seq\":0}\n", "does not end with"),
            (b"[1,2,3,\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n", "modified"),
            (b"\xff\xfe\n", "does not end with"),
            (b"{\"seq\":0", "incomplete"),
        ];
        for (bytes, want) in cases {
            let report = check(bytes);
            assert_eq!(broken_line(&report), 1, "{report:?}");
            assert!(render_report(&report).contains(want), "{report:?}");
        }
        // A line with a correct own hash but missing, unknown or duplicate
        // fields.
        let with_hash =
            |body: &str| format!("{body},\"sha256\":\"{}\"}}\n", sha256_hex(body.as_bytes()));
        let p = format!(r#"{{"seq":0,"prev":"{GENESIS}","time":"2026-01-01T00:00:00.000Z""#);
        for (body, want) in [
            (format!("{p},\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{}}"), "missing field `result`"),
            (format!("{p},\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{}},\"result\":{{}},\"x\":1"), "unknown field `x`"),
            (format!("{p},\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{}},\"result\":{{}},\"seq\":0"), "duplicate field `seq`"),
            (format!("{p},\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{,\"result\":{{}}"), "not a valid entry"),
            (format!("{{\"seq\":0,\"prev\":\"{GENESIS}\",\"time\":\"yesterday\",\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{}},\"result\":{{}}"), "time is not"),
            ("{\"seq\":0,\"prev\":\"00\",\"time\":\"2026-01-01T00:00:00.000Z\",\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{},\"result\":{}".to_string(), "prev is not 64"),
        ] {
            let report = check(with_hash(&body).as_bytes());
            assert_eq!(broken_line(&report), 1);
            assert!(render_report(&report).contains(want), "{want}: {report:?}");
        }
        // A correct hand-made line is intact.
        let good = format!(
            "{p},\"policy\":\"p\",\"hash\":\"h\",\"as_of\":\"d\",\"facts\":{{}},\"result\":{{}}"
        );
        assert!(check(with_hash(&good).as_bytes()).is_intact());
    }

    #[test]
    fn reopening_continues_the_chain() {
        let dir = TempDir::new("reopen");
        let path = dir.file("log.jsonl");
        let first = write_log(&path, 3);
        assert_eq!(first.entries, 3);
        let log = DecisionLog::open(&path).unwrap();
        assert_eq!(log.head(), first);
        append_n(&log, 3, 2);
        drop(log); // drop writes and syncs
        let log = DecisionLog::open(&path).unwrap();
        let head = log.head();
        assert_eq!(head.entries, 5);
        drop(log);
        assert_eq!(
            verify(&path).unwrap(),
            VerifyReport::Intact {
                entries: 5,
                head_sha256: head.sha256.clone()
            }
        );
        assert!(verify_with_head(&path, &first.sha256).unwrap().is_intact());
        // One writer per file in this process.
        let log = DecisionLog::open(&path).unwrap();
        let alias = dir.0.join(".").join("log.jsonl");
        let err = DecisionLog::open(&alias).unwrap_err();
        assert!(matches!(err, LogError::AlreadyOpen(_)), "{err}");
        assert!(err.to_string().contains("already open"), "{err}");
        drop(log);
        // Opening and closing without appending leaves the file unchanged.
        let before = std::fs::read(&path).unwrap();
        DecisionLog::open(&path).unwrap().close().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn open_refuses_a_broken_last_line() {
        let dir = TempDir::new("refuse");
        let path = dir.file("log.jsonl");
        write_log(&path, 4);
        let good = std::fs::read(&path).unwrap();

        // An interrupted write: half a line.
        let mut bad = good.clone();
        bad.extend_from_slice(&good[..40]);
        std::fs::write(&path, &bad).unwrap();
        let err = DecisionLog::open(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LogError::Corrupt { line: 5, .. }), "{msg}");
        assert!(
            msg.contains("log.jsonl") && msg.contains("line 5") && msg.contains("incomplete"),
            "{msg}"
        );

        // A modified last line.
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 100] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let msg = DecisionLog::open(&path).unwrap_err().to_string();
        assert!(msg.contains("line 4") && msg.contains("modified"), "{msg}");

        // Garbage without any newline at all.
        std::fs::write(&path, b"garbage").unwrap();
        let msg = DecisionLog::open(&path).unwrap_err().to_string();
        assert!(
            msg.contains("line 1") && msg.contains("incomplete"),
            "{msg}"
        );

        // Only a newline.
        std::fs::write(&path, b"\n").unwrap();
        let msg = DecisionLog::open(&path).unwrap_err().to_string();
        assert!(
            msg.contains("line 1") && msg.contains("does not end with"),
            "{msg}"
        );

        // The file was left as it was.
        assert_eq!(std::fs::read(&path).unwrap(), b"\n");

        // A directory is an I/O error naming the path.
        let msg = DecisionLog::open(&dir.0).unwrap_err().to_string();
        assert!(msg.contains("rulebook-decision-log"), "{msg}");
    }

    #[test]
    fn open_finds_the_last_line_across_blocks() {
        // A last line longer than the 64 KiB backwards-read block.
        let dir = TempDir::new("long");
        let path = dir.file("log.jsonl");
        let log = DecisionLog::open(&path).unwrap();
        append_n(&log, 0, 2);
        let big = format!(r#"{{"blob":"{}"}}"#, "x".repeat(200_000));
        log.append(Entry {
            policy: "p",
            hash: "h",
            as_of: "2026-01-01",
            facts: &big,
            result: "{}",
        })
        .unwrap();
        log.flush().unwrap();
        let head = log.head();
        assert_eq!(head.entries, 3);
        log.close().unwrap();
        let log = DecisionLog::open(&path).unwrap();
        assert_eq!(log.head(), head);
        append_n(&log, 3, 1);
        drop(log);
        assert!(matches!(
            verify(&path).unwrap(),
            VerifyReport::Intact { entries: 4, .. }
        ));
    }

    #[test]
    fn entries_are_checked_and_kept_on_one_line() {
        let dir = TempDir::new("entries");
        let path = dir.file("log.jsonl");
        let log = DecisionLog::open(&path).unwrap();
        let entry = |facts, result| Entry {
            policy: "p",
            hash: "h",
            as_of: "2026-01-01",
            facts,
            result,
        };
        for (facts, result, want) in [
            ("", "{}", "facts is not valid JSON"),
            ("{", "{}", "facts is not valid JSON"),
            ("{} {}", "{}", "facts is not valid JSON"),
            ("{}", "nope", "result is not valid JSON"),
            ("\"a\nb\"", "{}", "facts is not valid JSON"),
        ] {
            let err = log.append(entry(facts, result)).unwrap_err();
            assert!(matches!(err, LogError::InvalidEntry(_)));
            assert!(err.to_string().contains(want), "{err}");
        }
        // Depth: MAX_JSON_DEPTH is accepted (and verifies), one more is not.
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let (ok, too_deep) = (deep(MAX_JSON_DEPTH), deep(MAX_JSON_DEPTH + 1));
        log.append(entry(&ok, "{}")).unwrap();
        let err = log.append(entry("{}", &too_deep)).unwrap_err();
        assert!(err.to_string().contains("nested 101 deep"), "{err}");
        // Many brackets, but shallow, or inside strings, are fine.
        let wide = format!("[{}]", vec!["[]"; 300].join(","));
        let in_string = format!(r#"{{"s":"{}"}}"#, "[{".repeat(300));
        log.append(entry(&wide, &in_string)).unwrap();
        // Pretty-printed JSON is compacted (strings untouched), other
        // whitespace is kept verbatim, numbers keep their exact text.
        let pretty = "\r\n {\n  \"a b\" : [ 1 ,\t2 ],\n  \"s\": \"x  y\\n\\\" z\"\n}\n";
        log.append(entry(pretty, " { \"n\" : 1.50000000000000000001 } "))
            .unwrap();
        // Hostile names are escaped.
        log.append(Entry {
            policy: "a\"b\\c\nd\u{1}\u{7f}é",
            hash: "",
            as_of: "\t",
            facts: "null",
            result: "0",
        })
        .unwrap();
        log.close().unwrap();
        assert!(matches!(
            verify(&path).unwrap(),
            VerifyReport::Intact { entries: 4, .. }
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        let all: Vec<&str> = text.lines().collect();
        assert_eq!(all.len(), 4);
        assert!(all[2].contains(r#","facts":{"a b":[1,2],"s":"x  y\n\" z"},"result":{ "n" : 1.50000000000000000001 },"sha256""#), "{}", all[2]);
        let v: serde_json::Value = serde_json::from_str(all[3]).unwrap();
        assert_eq!(v["policy"], "a\"b\\c\nd\u{1}\u{7f}é");
        assert_eq!(v["as_of"], "\t");
        assert_eq!(v["facts"], serde_json::Value::Null);
    }

    #[test]
    fn push_json_string_matches_serde_json() {
        let mut s = String::new();
        for c in (0u32..0x80).chain([0xe9, 0x2028, 0x1f600]) {
            s.push(char::from_u32(c).unwrap());
        }
        let mut out = Vec::new();
        push_json_string(&mut out, &s);
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, s);
        assert!(!out.contains(&b'\n'));
    }

    /// A sink that accepts `budget` bytes, then writes part of the next
    /// write and fails like a full disk.
    struct FullAfter {
        file: File,
        budget: usize,
    }

    impl Sink for FullAfter {
        fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
            if bytes.len() <= self.budget {
                self.budget -= bytes.len();
                return self.file.write_all(bytes);
            }
            let part = self.budget.min(bytes.len() / 2).max(1);
            self.file.write_all(&bytes[..part])?;
            self.budget = 0;
            Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "No space left on device (simulated)",
            ))
        }
        fn sync(&mut self) -> io::Result<()> {
            self.file.sync_data()
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.file.set_len(len)
        }
    }

    #[test]
    fn a_failed_write_is_reported_and_the_partial_line_removed() {
        let dir = TempDir::new("full");
        let path = dir.file("log.jsonl");
        let head = write_log(&path, 3);
        let len = std::fs::metadata(&path).unwrap().len();
        let file = OpenOptions::new().append(true).open(&path).unwrap();
        let sink = FullAfter { file, budget: 0 };
        let log = DecisionLog::start(path.clone(), sink, head.clone(), len, 16).unwrap();
        append_n(&log, 3, 1);
        let err = log.flush().unwrap_err();
        assert!(matches!(err, LogError::Failed(_)));
        let msg = err.to_string();
        assert!(
            msg.contains("No space") && msg.contains("log.jsonl"),
            "{msg}"
        );
        // From now on append fails at once, and status says why.
        let err = log
            .append(Entry {
                policy: "p",
                hash: "h",
                as_of: "d",
                facts: "{}",
                result: "{}",
            })
            .unwrap_err();
        assert_eq!(err.to_string(), msg);
        let status = log.status();
        assert!(!status.is_ok());
        assert_eq!(status.error.as_deref(), Some(msg.as_str()));
        assert_eq!(status.lost, 1);
        assert_eq!(status.head, head);
        assert!(log.close().is_err());
        // The partial line was cut off: the file is the 3 good lines, and
        // can be reopened and appended to.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
        assert!(verify_with_head(&path, &head.sha256).unwrap().is_intact());
        let log = DecisionLog::open(&path).unwrap();
        append_n(&log, 3, 1);
        log.close().unwrap();
        assert!(matches!(
            verify(&path).unwrap(),
            VerifyReport::Intact { entries: 4, .. }
        ));
    }

    #[test]
    fn entries_queued_before_a_failure_are_counted_as_lost() {
        let dir = TempDir::new("lost");
        let path = dir.file("log.jsonl");
        let file = File::create(&path).unwrap();
        // Room for about 2 lines: some entries are written, the batch that
        // overflows is lost, later ones are refused or counted.
        let sink = FullAfter { file, budget: 500 };
        let log = DecisionLog::start(path.clone(), sink, Head::genesis(), 0, 4).unwrap();
        let mut accepted = 0u64;
        for i in 0..50 {
            let (f, r) = (facts(i), result(i));
            let entry = Entry {
                policy: "p",
                hash: "h",
                as_of: "d",
                facts: &f,
                result: &r,
            };
            match log.append(entry) {
                Ok(()) => accepted += 1,
                Err(e) => assert!(e.to_string().contains("No space"), "{e}"),
            }
        }
        assert!(log.flush().is_err());
        let status = log.status();
        assert!(status.error.is_some());
        assert_eq!(status.head.entries + status.lost, accepted, "{status:?}");
        drop(log);
        assert_eq!(
            verify_with_head(&path, &status.head.sha256).unwrap(),
            VerifyReport::Intact {
                entries: status.head.entries,
                head_sha256: status.head.sha256.clone()
            }
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_full_reports_no_space() {
        let log = DecisionLog::open("/dev/full").unwrap();
        assert_eq!(log.head(), Head::genesis());
        append_n(&log, 0, 1);
        let err = log.flush().unwrap_err();
        assert!(err.to_string().contains("No space left on device"), "{err}");
        assert!(err.to_string().contains("/dev/full"), "{err}");
        let err = log
            .append(Entry {
                policy: "p",
                hash: "h",
                as_of: "d",
                facts: "{}",
                result: "{}",
            })
            .unwrap_err();
        assert!(
            matches!(err, LogError::Failed(ref m) if m.contains("No space")),
            "{err}"
        );
        let status = log.status();
        assert!(status.error.unwrap().contains("No space"));
        assert_eq!(status.lost, 1);
        assert_eq!(status.head, Head::genesis());
    }

    #[test]
    fn render_report_lines() {
        let sha = "ab".repeat(32);
        assert_eq!(
            render_report(&VerifyReport::Intact {
                entries: 1000,
                head_sha256: sha.clone()
            }),
            format!("decision log ok: 1000 entries, head sha256 {sha}")
        );
        assert_eq!(
            render_report(&VerifyReport::Intact {
                entries: 1,
                head_sha256: sha.clone()
            }),
            format!("decision log ok: 1 entry, head sha256 {sha}")
        );
        assert_eq!(
            render_report(&VerifyReport::Broken {
                line: 17,
                reason: "prev does not match line 16".into()
            }),
            "decision log BROKEN at line 17: prev does not match line 16"
        );
    }
}
