//! The evaluation pool: a fixed set of threads that parse facts, evaluate
//! and write results, so that no evaluation (which may run for seconds) ever
//! occupies one of the async workers that accept connections and answer
//! `/healthz`. Its queue is bounded: when it is full a request is refused at
//! once (503) instead of piling up. Work whose request was dropped (the
//! client went away, or the request timed out) is skipped if it has not
//! started, and long work checks [`Cancel::is_cancelled`] between chunks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Why the pool did not run a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the server is busy ({0} evaluations are waiting); try again shortly")]
    Full(usize),
    #[error("the evaluation pool has stopped")]
    Stopped,
}

/// Set when the request that asked for the work is gone.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Cancels its work when dropped, unless the work has finished first.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        (self.0).0.store(true, Ordering::Relaxed);
    }
}

/// A bounded pool of evaluation threads.
pub struct EvalPool {
    tx: Option<SyncSender<Job>>,
    queue: usize,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for EvalPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalPool")
            .field("threads", &self.threads.len())
            .field("queue", &self.queue)
            .finish()
    }
}

impl EvalPool {
    /// Starts `threads` threads (at least one) sharing a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<EvalPool> {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("rulebook-eval-{i}"))
                    .spawn(move || work(&rx))?,
            );
        }
        Ok(EvalPool {
            tx: Some(tx),
            queue: queue.max(1),
            threads: handles,
        })
    }

    /// Runs `f` on a pool thread and waits for its result without blocking
    /// the async worker. Refused at once when the queue is full. If the
    /// returned future is dropped, `f` is skipped when it has not started,
    /// and the [`Cancel`] it was given reports it.
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&Cancel) -> T + Send + 'static,
    {
        let cancel = Cancel::default();
        let _guard = CancelOnDrop(cancel.clone());
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            if cancel.is_cancelled() {
                return;
            }
            let _ = reply.send(f(&cancel));
        });
        let tx = self.tx.as_ref().ok_or(PoolError::Stopped)?;
        tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => PoolError::Full(self.queue),
            TrySendError::Disconnected(_) => PoolError::Stopped,
        })?;
        answer.await.map_err(|_| PoolError::Stopped)
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        // the lock is held only while taking one job
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Drop for EvalPool {
    /// Lets queued work finish, then joins the threads.
    fn drop(&mut self) {
        drop(self.tx.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn work_of_a_dropped_request_never_runs() {
        let pool = Arc::new(EvalPool::new(1, 4).unwrap());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let ran = Arc::new(AtomicBool::new(false));
        // occupies the one thread until released
        let p = pool.clone();
        let busy = tokio::spawn(async move { p.run(move |_| wait.recv().is_ok()).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // queued behind it, then dropped (as on a request time-out)
        let r = ran.clone();
        let queued = pool.run(move |_| r.store(true, Ordering::SeqCst));
        let timed_out = tokio::time::timeout(Duration::from_millis(50), queued).await;
        assert!(timed_out.is_err(), "the queued job cannot have run yet");
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|_| 7).await, Ok(7));
        assert!(!ran.load(Ordering::SeqCst), "dropped work never runs");
    }

    #[tokio::test]
    async fn running_work_sees_its_request_dropped() {
        let pool = Arc::new(EvalPool::new(1, 4).unwrap());
        let (seen, saw) = std::sync::mpsc::channel::<bool>();
        let work = pool.run(move |cancel| {
            let start = std::time::Instant::now();
            while !cancel.is_cancelled() && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = seen.send(cancel.is_cancelled());
        });
        let _ = tokio::time::timeout(Duration::from_millis(100), work).await;
        let cancelled = tokio::task::spawn_blocking(move || saw.recv().unwrap())
            .await
            .unwrap();
        assert!(cancelled, "the work was told its request is gone");
    }

    #[tokio::test]
    async fn refuses_when_the_queue_is_full() {
        let pool = Arc::new(EvalPool::new(1, 1).unwrap());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let p = pool.clone();
        let busy = tokio::spawn(async move { p.run(move |_| wait.recv().is_ok()).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let p = pool.clone();
        let queued = tokio::spawn(async move { p.run(|_| 1).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.run(|_| 2).await, Err(PoolError::Full(1)));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(queued.await.unwrap(), Ok(1));
    }
}
