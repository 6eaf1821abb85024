//! The writer thread and its group commit.
//!
//! Submitters put formatted line tails into a queue shared with the writer
//! thread ([`Shared::queue`]). The writer takes everything queued at once (a
//! *group*), gives each line its `seq`, `prev` and seal, writes the group
//! with one `write`, calls `sync_data` once, and only then completes the
//! [`Pending`](super::Pending) of every line of the group, with the same
//! outcome for all of them. While it writes and syncs, new submissions
//! queue up and form the next group: concurrent requests share an fsync.

use super::format::{push_line, ChainKey};
use super::{segment_path, segments, Head, LogError};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

/// What a [`Pending`](super::Pending) receives: `Ok` once its line is written
/// and synced, or the error that stopped the log.
pub(super) type Outcome = Result<(), Arc<str>>;

/// One submission: a line tail, or (`tail: None`) a flush barrier that only
/// waits for everything before it.
pub(super) struct Item {
    pub(super) tail: Option<Vec<u8>>,
    pub(super) done: Option<oneshot::Sender<Outcome>>,
}

impl Item {
    fn bytes(&self) -> usize {
        self.tail.as_ref().map_or(0, Vec::len)
    }
}

/// The queue between the submitters and the writer thread.
pub(super) struct Queue {
    pub(super) items: Vec<Item>,
    /// Bytes of line tails submitted and not yet completed (queued, or in
    /// the group being written and synced).
    pub(super) pending_bytes: usize,
    /// Lines submitted and not yet completed.
    pub(super) pending_entries: usize,
    /// Set when the [`DecisionLog`](super::DecisionLog) is dropped: the writer
    /// drains the queue and ends.
    pub(super) closed: bool,
}

pub(super) struct Shared {
    pub(super) path: PathBuf,
    /// Set (after `state.error`) when the log has stopped: lets submitters
    /// refuse without taking the lock.
    pub(super) failed: AtomicBool,
    pub(super) state: Mutex<State>,
    pub(super) queue: Mutex<Queue>,
    /// Signalled when items are queued or the log is closed.
    pub(super) work: Condvar,
    /// Signalled when a group completes (room in the queue).
    pub(super) room: Condvar,
    /// Successful `sync_data` calls.
    pub(super) syncs: AtomicU64,
    pub(super) max_queue_bytes: usize,
    pub(super) max_queue_entries: usize,
}

pub(super) struct State {
    pub(super) head: Head,
    pub(super) error: Option<String>,
    pub(super) lost: u64,
    /// Files rotated since the log was opened.
    pub(super) rotations: u64,
}

impl Shared {
    /// The state, also after a panic while it was held (none in this
    /// code): every update leaves it whole, so the log goes on with it.
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The queue, poisoned or not (as for [`Shared::lock`]).
    pub(super) fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn failed_message(&self) -> String {
        // failed without a recorded cause: say what is known
        self.lock().error.clone().unwrap_or_else(|| {
            format!(
                "decision log {}: the writer thread has stopped",
                self.path.display()
            )
        })
    }

    pub(super) fn failed_error(&self) -> LogError {
        LogError::Failed(self.failed_message())
    }
}

/// Where the writer thread puts bytes; a trait so that tests can make writes
/// and syncs fail or stall.
pub(super) trait Sink: Send + 'static {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (a no-op where that is impossible).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Closes the current file, renames it to the next free segment name,
    /// syncs the directory and continues in a fresh file. `Ok(None)` where
    /// that is impossible (not a regular file).
    fn rotate(&mut self) -> io::Result<Option<PathBuf>> {
        Ok(None)
    }
}

pub(super) struct FileSink {
    pub(super) file: File,
    pub(super) path: PathBuf,
    pub(super) regular: bool,
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
    fn rotate(&mut self) -> io::Result<Option<PathBuf>> {
        if !self.regular {
            return Ok(None);
        }
        let number = segments(&self.path)
            .map_err(|e| io::Error::other(e.to_string()))?
            .last()
            .map_or(1, |(n, _)| n.saturating_add(1));
        let target = segment_path(&self.path, number);
        if target.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", target.display()),
            ));
        }
        std::fs::rename(&self.path, &target)?;
        sync_parent_dir(&self.path)?;
        // A crash from here until the new file's first line is synced leaves
        // no PATH or an empty one: `open` then continues the chain from the
        // last segment.
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&self.path)?;
        sync_parent_dir(&self.path)?;
        self.file = file;
        Ok(Some(target))
    }
}

pub(super) struct Writer<S: Sink> {
    pub(super) sink: S,
    pub(super) shared: Arc<Shared>,
    pub(super) key: Option<ChainKey>,
    /// `seq` of the next line.
    pub(super) next_seq: u64,
    /// Seal of the last line written and synced.
    pub(super) prev: String,
    /// File length after the last group written and synced.
    pub(super) committed_len: u64,
    /// Rotate once the file is longer than this after a group.
    pub(super) rotate_bytes: Option<u64>,
    /// Reused buffer for a group's lines.
    pub(super) buffer: Vec<u8>,
    pub(super) failed: bool,
}

impl<S: Sink> Writer<S> {
    pub(super) fn run(mut self) {
        loop {
            let group = {
                let mut queue = self.shared.lock_queue();
                while queue.items.is_empty() && !queue.closed {
                    queue = self
                        .shared
                        .work
                        .wait(queue)
                        // poisoned or not, as for `Shared::lock`
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if queue.items.is_empty() {
                    return;
                }
                std::mem::take(&mut queue.items)
            };
            self.commit(group);
        }
    }

    /// Writes, syncs and completes one group.
    fn commit(&mut self, group: Vec<Item>) {
        let entries = group.iter().filter(|i| i.tail.is_some()).count();
        let bytes: usize = group.iter().map(Item::bytes).sum();
        let outcome = self.write_group(&group, entries);
        // the room is given back before anyone is told: a submitter that
        // has its answer sees the queue without its entry
        {
            let mut queue = self.shared.lock_queue();
            queue.pending_bytes = queue.pending_bytes.saturating_sub(bytes);
            queue.pending_entries = queue.pending_entries.saturating_sub(entries);
        }
        self.shared.room.notify_all();
        for item in group {
            if let Some(done) = item.done {
                // The submitter may have gone away; nothing to tell then.
                let _ = done.send(outcome.clone());
            }
        }
        if outcome.is_ok() {
            self.maybe_rotate();
        }
    }

    fn write_group(&mut self, group: &[Item], entries: usize) -> Outcome {
        if self.failed {
            self.shared.lock().lost += entries as u64;
            return Err(self.shared.failed_message().into());
        }
        if entries == 0 {
            return Ok(());
        }
        self.buffer.clear();
        let mut seq = self.next_seq;
        let mut prev = self.prev.clone();
        for tail in group.iter().filter_map(|i| i.tail.as_deref()) {
            prev = push_line(&mut self.buffer, seq, &prev, tail, self.key.as_ref());
            let Some(following) = seq.checked_add(1) else {
                return Err(self.fail("seq has reached its maximum".to_string(), entries));
            };
            seq = following;
        }
        let failure = match self.sink.append(&self.buffer) {
            Err(e) => Some(format!("write failed: {e}")),
            Ok(()) => match self.sink.sync() {
                Ok(()) => None,
                // After a failed fsync the kernel may have dropped the dirty
                // pages: what was written cannot be trusted to be on disk.
                Err(e) => Some(format!("sync failed: {e}")),
            },
        };
        if let Some(what) = failure {
            // Part of the group may have reached the file: cut it off so
            // that the file ends with its last durable line again, and no
            // line stays that its submitter was told failed.
            let cleanup = match self.sink.truncate(self.committed_len) {
                Ok(()) => String::new(),
                Err(t) => format!(
                    "; could not cut off the lines of the failed group ({t}): \
                     run `rulebook log repair {}` before appending to it again",
                    self.shared.path.display()
                ),
            };
            return Err(self.fail(format!("{what}{cleanup}"), entries));
        }
        self.shared.syncs.fetch_add(1, Ordering::Relaxed);
        self.committed_len += self.buffer.len() as u64;
        self.next_seq = seq;
        self.prev = prev;
        self.shared.lock().head = Head {
            entries: self.next_seq,
            sha256: self.prev.clone(),
        };
        Ok(())
    }

    fn maybe_rotate(&mut self) {
        let Some(limit) = self.rotate_bytes else {
            return;
        };
        if self.failed || self.committed_len <= limit {
            return;
        }
        match self.sink.rotate() {
            Ok(Some(_)) => {
                self.committed_len = 0;
                self.shared.lock().rotations += 1;
            }
            Ok(None) => {}
            Err(e) => {
                self.fail(format!("rotation failed: {e}"), 0);
            }
        }
    }

    /// Stops the log; returns the message every later submission gets.
    fn fail(&mut self, what: String, lost: usize) -> Arc<str> {
        self.failed = true;
        let message = {
            let mut state = self.shared.lock();
            if state.error.is_none() {
                state.error = Some(format!(
                    "decision log {}: {what}",
                    self.shared.path.display()
                ));
            }
            state.lost += lost as u64;
            // the first failure recorded wins; else this one
            state.error.clone().unwrap_or(what)
        };
        self.shared.failed.store(true, Ordering::Release);
        // Wake submitters blocked in `append` so that they see the failure.
        self.shared.room.notify_all();
        message.into()
    }
}

#[cfg(unix)]
pub(super) fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(not(unix))]
pub(super) fn sync_parent_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}
