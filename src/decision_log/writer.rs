//! The writer thread.

use super::format::{sha256_hex, SUFFIX_END, SUFFIX_START};
use super::BATCH_BYTES;
use super::{Head, Msg, Shared};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// Where the writer thread puts bytes; a trait so that tests can make writes
/// fail half-way.
pub(super) trait Sink: Send + 'static {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (a no-op where that is impossible).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

pub(super) struct FileSink {
    pub(super) file: File,
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
}

pub(super) struct Writer<S: Sink> {
    pub(super) sink: S,
    pub(super) shared: Arc<Shared>,
    /// `seq` of the next line.
    pub(super) next_seq: u64,
    /// `sha256` of the last line formatted.
    pub(super) prev: String,
    /// File length after the last successful write.
    pub(super) committed_len: u64,
    /// Lines formatted and not yet handed to the sink.
    pub(super) batch: Vec<u8>,
    pub(super) batch_entries: u64,
    pub(super) unsynced: bool,
    pub(super) failed: bool,
}

impl<S: Sink> Writer<S> {
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
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

    pub(super) fn handle(&mut self, msg: Msg) {
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

    pub(super) fn add(&mut self, tail: &[u8]) {
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

    pub(super) fn write_batch(&mut self) {
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

    pub(super) fn sync(&mut self) {
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

    pub(super) fn fail(&mut self, what: String, lost: u64) {
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
