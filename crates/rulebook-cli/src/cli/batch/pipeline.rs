//! The ordered parallel pipeline under `rulebook batch` and `rulebook diff
//! --cases`: one reader thread cuts the input into chunks of record text,
//! `jobs` workers turn each chunk into a result (each with its own state,
//! made once: buffers, result records), and the caller's merge receives the
//! results in input order. The channels are bounded, and so is the number
//! of chunks read and not yet merged, so memory stays flat.

use super::read::{Chunk, Reader};
use super::CHUNK_RECORDS;
use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};

/// Runs `work` on every chunk of `reader` on `jobs` threads and hands the
/// results to `merge` in input order, with the input bytes each covers.
/// Stops at the first error of the reader or of `merge`.
pub(crate) fn run<S, T: Send>(
    mut reader: Reader,
    jobs: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &Chunk) -> T + Sync,
    mut merge: impl FnMut(T, u64) -> Result<(), String>,
) -> Result<(), String> {
    let jobs = jobs.max(1);
    let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(jobs * 2);
    // the workers' own: gone when they all stop, which stops the reader
    let work_rx = Arc::new(Mutex::new(work_rx));
    // one token a chunk read and not yet merged: however long one chunk
    // takes, the others wait for it in bounded numbers
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(jobs * 4);
    // the text buffers of chunks done with go back to the reader, to be
    // filled again (a few at most: the others are dropped)
    let (spare_tx, spare_rx) = mpsc::sync_channel::<Vec<u8>>(jobs + 1);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, T, u64)>(jobs * 2);
        for _ in 0..jobs {
            let (rx, tx, state, work) = (work_rx.clone(), done_tx.clone(), &state, &work);
            let spare = spare_tx.clone();
            scope.spawn(move || {
                let mut mine = state();
                loop {
                    let next = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    let (index, bytes) = (chunk.index, chunk.text.len() as u64);
                    let out = work(&mut mine, &chunk);
                    let _ = spare.try_send(chunk.text);
                    if tx.send((index, out, bytes)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, spare_tx, work_rx));
        let read = scope.spawn(move || -> Result<(), String> {
            let mut index = 0;
            while let Some(chunk) = reader.chunk(index, CHUNK_RECORDS, spare_rx.try_recv().ok())? {
                index += 1;
                if token_tx.send(()).is_err() || work_tx.send(chunk).is_err() {
                    return Ok(()); // the merge stopped: its error is reported
                }
            }
            Ok(())
        });
        let mut waiting: BTreeMap<u64, (T, u64)> = BTreeMap::new();
        let mut next = 0u64;
        let mut failed: Option<String> = None;
        'all: for (index, out, bytes) in done_rx.iter() {
            waiting.insert(index, (out, bytes));
            while let Some((out, bytes)) = waiting.remove(&next) {
                next += 1;
                let _ = token_rx.recv();
                if let Err(e) = merge(out, bytes) {
                    failed = Some(e);
                    break 'all;
                }
            }
        }
        // on a failed merge, the workers stop at their next result, and
        // then the reader at its next chunk
        drop((done_rx, token_rx));
        let read = read
            .join()
            .unwrap_or_else(|_| Err("the reader stopped".into()));
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    })
}
