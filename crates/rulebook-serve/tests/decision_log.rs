//! The decision log through its public API only (the thorough tests are the
//! unit tests at the bottom of src/decision_log.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_serve::decision_log::{
    render_repair, render_report, repair, repair_with_key, segment_path, verify, verify_with,
    verify_with_head, DecisionLog, Entry, Event, Head, LogError, LogOptions, VerifyOptions,
    VerifyReport, GENESIS,
};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty directory under cargo's per-target temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "decision-log-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn append(log: &DecisionLog, i: usize) {
    let facts = format!(r#"{{"age":{},"name":"person {i}"}}"#, 60 + i % 30);
    let result = format!(
        r#"{{"decisions":{{"eligible":{{"value":{}}}}}}}"#,
        i.is_multiple_of(3)
    );
    log.append(Entry {
        policy: "pension_credit",
        hash: "0123abcd",
        as_of: "2026-11-27",
        facts: &facts,
        result: &result,
    })
    .unwrap();
}

fn write_log(path: &PathBuf, n: usize) -> Head {
    let log = DecisionLog::open(path).unwrap();
    for i in 0..n {
        append(&log, i);
    }
    log.flush().unwrap();
    let head = log.head();
    log.close().unwrap();
    head
}

fn broken_line(report: VerifyReport) -> usize {
    match report {
        VerifyReport::Broken { line, .. } => line,
        intact => panic!("expected a broken log, got {intact:?}"),
    }
}

#[test]
fn thousand_entries_from_four_threads_verify() {
    let dir = temp_dir("threads");
    let path = dir.join("decisions.jsonl");
    let log = Arc::new(DecisionLog::open_with_capacity(&path, 16).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || (t * 250..(t + 1) * 250).for_each(|i| append(&log, i)))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    log.flush().unwrap();
    let head = log.head();
    assert_eq!(head.entries, 1000);
    assert!(log.status().is_ok());
    drop(log);

    let report = verify(&path).unwrap();
    assert_eq!(
        report,
        VerifyReport::Intact {
            entries: 1000,
            events: 0,
            files: 1,
            head_sha256: head.sha256.clone()
        }
    );
    assert_eq!(
        render_report(&report),
        format!(
            "decision log ok: 1000 entries (1000 decisions, 0 events) in 1 file, head sha256 {}",
            head.sha256
        )
    );
    let text = std::fs::read_to_string(&path).unwrap();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["seq"].as_u64(), Some(i as u64));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tampering_is_detected() {
    let dir = temp_dir("tamper");
    let path = dir.join("decisions.jsonl");
    let head = write_log(&path, 12);
    let good = std::fs::read(&path).unwrap();
    let lines: Vec<&[u8]> = good.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 12);

    // Single printable-byte changes at pseudo-random positions: reported at
    // the changed line.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pos = (state >> 33) as usize % good.len();
        let mut replacement = b' ' + ((state >> 17) % 95) as u8;
        if replacement == good[pos] {
            replacement = if good[pos] == b'x' { b'y' } else { b'x' };
        }
        let mut bad = good.clone();
        bad[pos] = replacement;
        std::fs::write(&path, &bad).unwrap();
        let line = good[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        assert_eq!(
            broken_line(verify(&path).unwrap()),
            line,
            "byte {pos} changed to {:?}",
            replacement as char
        );
    }

    // A middle line deleted.
    let mut bad = lines.clone();
    bad.remove(6);
    std::fs::write(&path, bad.concat()).unwrap();
    let report = verify(&path).unwrap();
    assert!(render_report(&report).starts_with(&format!(
        "decision log BROKEN at line 7 of {}: ",
        path.display()
    )));

    // Two lines swapped.
    let mut bad = lines.clone();
    bad.swap(3, 8);
    std::fs::write(&path, bad.concat()).unwrap();
    assert_eq!(broken_line(verify(&path).unwrap()), 4);

    // The tail cut off: consistent on its own, caught with the known head.
    std::fs::write(&path, lines[..9].concat()).unwrap();
    assert!(verify(&path).unwrap().is_intact());
    assert_eq!(
        broken_line(verify_with_head(&path, &head.sha256).unwrap()),
        10
    );
    std::fs::write(&path, &good).unwrap();
    assert!(verify_with_head(&path, &head.sha256).unwrap().is_intact());
    assert!(verify_with_head(&path, GENESIS).unwrap().is_intact());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn reopening_continues_and_a_broken_tail_is_refused() {
    let dir = temp_dir("reopen");
    let path = dir.join("decisions.jsonl");
    let first = write_log(&path, 5);
    let log = DecisionLog::open(&path).unwrap();
    assert_eq!(log.head(), first);
    append(&log, 5);
    append(&log, 6);
    log.close().unwrap();
    match verify_with_head(&path, &first.sha256).unwrap() {
        VerifyReport::Intact { entries, .. } => assert_eq!(entries, 7),
        broken => panic!("{broken:?}"),
    }

    // An interrupted write leaves half a line: appending is refused, naming
    // the file and the line, and the file is left alone.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":7,\"prev\":\"");
    std::fs::write(&path, &bytes).unwrap();
    let err = DecisionLog::open(&path).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            LogError::TornTail {
                line: 8,
                len: 17,
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("rulebook log repair"), "{message}");
    assert!(message.contains("decisions.jsonl"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(broken_line(verify(&path).unwrap()), 8);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn invalid_entries_are_refused() {
    let dir = temp_dir("invalid");
    let path = dir.join("decisions.jsonl");
    let log = DecisionLog::open(&path).unwrap();
    let err = log
        .append(Entry {
            policy: "p",
            hash: "h",
            as_of: "2026-01-01",
            facts: "{\"age\": ",
            result: "{}",
        })
        .unwrap_err();
    assert!(matches!(err, LogError::InvalidEntry(_)), "{err}");
    log.close().unwrap();
    assert_eq!(
        verify(&path).unwrap(),
        VerifyReport::Intact {
            entries: 0,
            events: 0,
            files: 1,
            head_sha256: GENESIS.to_string()
        }
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_reported() {
    let log = DecisionLog::open("/dev/full").unwrap();
    append(&log, 0);
    let err = log.flush().unwrap_err();
    assert!(err.to_string().contains("No space"), "{err}");
    let entry = Entry {
        policy: "p",
        hash: "h",
        as_of: "2026-01-01",
        facts: "{}",
        result: "{}",
    };
    match log.append(entry) {
        Err(LogError::Failed(message)) => assert!(message.contains("No space"), "{message}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    let status = log.status();
    assert!(!status.is_ok());
    assert!(status.error.unwrap().contains("No space"));
    assert_eq!(status.lost, 1);
}

fn entry_texts(i: usize) -> (String, String) {
    (
        format!(r#"{{"age":{},"name":"person {i}"}}"#, 60 + i % 30),
        format!(
            r#"{{"decisions":{{"eligible":{{"value":{}}}}}}}"#,
            i.is_multiple_of(3)
        ),
    )
}

fn submit_and_wait(log: &DecisionLog, i: usize) {
    let (facts, result) = entry_texts(i);
    log.submit(Entry {
        policy: "pension_credit",
        hash: "0123abcd",
        as_of: "2026-11-27",
        facts: &facts,
        result: &result,
    })
    .unwrap()
    .wait()
    .unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn concurrent_durable_submissions_share_fsyncs() {
    let dir = temp_dir("group");
    let path = dir.join("decisions.jsonl");
    let log = Arc::new(DecisionLog::open(&path).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                // Submit a burst, then wait for all of it: every Pending
                // completes once its line is synced.
                let pending: Vec<_> = (0..25)
                    .map(|i| {
                        let (facts, result) = entry_texts(t * 25 + i);
                        log.submit(Entry {
                            policy: "p",
                            hash: "h",
                            as_of: "2026-01-01",
                            facts: &facts,
                            result: &result,
                        })
                        .unwrap()
                    })
                    .collect();
                for p in pending {
                    p.wait().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let status = log.status();
    assert_eq!(status.head.entries, 200);
    assert!(status.syncs >= 1 && status.syncs < 200, "{status:?}");
    // Durable means the head is already on disk: no flush needed.
    assert!(verify_with_head(&path, &status.head.sha256)
        .unwrap()
        .is_intact());
    drop(log);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn durable_works_from_async_tasks() {
    let dir = temp_dir("async");
    let path = dir.join("decisions.jsonl");
    let log = Arc::new(DecisionLog::open(&path).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let (facts, result) = entry_texts(i);
                    let pending = log
                        .submit(Entry {
                            policy: "p",
                            hash: "h",
                            as_of: "2026-01-01",
                            facts: &facts,
                            result: &result,
                        })
                        .unwrap();
                    pending.durable().await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
    assert_eq!(log.head().entries, 20);
    drop(log);
    assert!(verify(&path).unwrap().is_intact());
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_an_error_for_the_pending_entry() {
    let log = DecisionLog::open("/dev/full").unwrap();
    let (facts, result) = entry_texts(0);
    let pending = log
        .submit(Entry {
            policy: "p",
            hash: "h",
            as_of: "2026-01-01",
            facts: &facts,
            result: &result,
        })
        .unwrap();
    let err = pending.wait().unwrap_err();
    assert!(matches!(err, LogError::Failed(_)), "{err}");
    assert!(err.to_string().contains("No space"), "{err}");
}

#[test]
fn a_torn_tail_is_refused_then_repaired() {
    let dir = temp_dir("torn");
    let path = dir.join("decisions.jsonl");
    let head = write_log(&path, 5);
    let good = std::fs::read(&path).unwrap();
    assert!(render_repair(&repair(&path).unwrap()).contains("nothing to repair"));
    assert_eq!(std::fs::read(&path).unwrap(), good);

    let torn = b"{\"seq\":5,\"prev\":\"ab\"\x00\x00";
    let mut bytes = good.clone();
    bytes.extend_from_slice(torn);
    std::fs::write(&path, &bytes).unwrap();
    let message = DecisionLog::open(&path).unwrap_err().to_string();
    assert!(
        message.contains(&path.display().to_string())
            && message.contains(&format!(
                "the last {} bytes, from byte offset {}",
                torn.len(),
                good.len()
            ))
            && message.contains(&format!("rulebook log repair {}", path.display())),
        "{message}"
    );
    let report = repair(&path).unwrap();
    let cut = report.cut.clone().unwrap();
    assert_eq!(
        (cut.offset, cut.bytes, cut.line),
        (good.len() as u64, torn.len() as u64, 6)
    );
    assert_eq!(cut.preview, r#"{\"seq\":5,\"prev\":\"ab\"\x00\x00"#);
    assert_eq!(report.head, head);
    assert!(render_repair(&report).contains(&format!(
        "cut {} bytes at byte offset {}",
        torn.len(),
        good.len()
    )));
    // Exactly the torn bytes were cut; the log opens and continues.
    assert_eq!(std::fs::read(&path).unwrap(), good);
    let log = DecisionLog::open(&path).unwrap();
    submit_and_wait(&log, 5);
    drop(log);
    assert!(matches!(
        verify(&path).unwrap(),
        VerifyReport::Intact { entries: 6, .. }
    ));

    // A complete last line whose own hash does not match is torn too.
    let good = std::fs::read(&path).unwrap();
    let mut bytes = good.clone();
    let n = bytes.len();
    bytes[n - 30] = b'0' + (bytes[n - 30] - b'0' + 1) % 10;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        DecisionLog::open(&path),
        Err(LogError::TornTail { line: 6, .. })
    ));
    let report = repair(&path).unwrap();
    assert_eq!(report.cut.unwrap().line, 6);
    assert_eq!(report.head.entries, 5);

    // A broken line that is not the last is corruption: nothing is cut.
    let mut bytes = good.clone();
    let lines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    bytes[lines[5] - 5] ^= 1; // inside line 6, the last complete one
    bytes.extend_from_slice(b"{\"seq\":6");
    std::fs::write(&path, &bytes).unwrap();
    let err = repair(&path).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { line: 6, .. }), "{err}");
    assert!(err.to_string().contains("not a torn write"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_forged_or_spliced_tail_is_refused_at_open() {
    let dir = temp_dir("forged");
    let path = dir.join("decisions.jsonl");
    write_log(&path, 4);
    let good = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    // Line 4 replaced by a forged line with a correct own hash whose prev
    // is not line 3's hash.
    let body = format!(
        r#"{{"seq":3,"prev":"{}","time":"2026-11-27T00:00:00.000Z","policy":"p","hash":"h","as_of":"d","facts":{{}},"result":{{"granted":true}}"#,
        "1".repeat(64)
    );
    let forged = format!("{body},\"sha256\":\"{}\"}}\n", sha256_hex(body.as_bytes()));
    let text = format!("{}\n{}\n{}\n{forged}", lines[0], lines[1], lines[2]);
    std::fs::write(&path, &text).unwrap();
    let err = DecisionLog::open(&path).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { line: 4, .. }), "{err}");
    assert!(err.to_string().contains("forged or spliced"), "{err}");
    // repair does not cut a line that verifies on its own.
    assert!(repair(&path).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // Spliced: the last line of another log (seq 3) after line 3.
    let text = format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[3], lines[2]);
    std::fs::write(&path, &text).unwrap();
    let err = DecisionLog::open(&path).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { line: 4, .. }), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

const KEY: &[u8] = b"0123456789abcdef-test-key";

#[test]
fn a_keyed_chain_detects_forgery_without_the_key() {
    let dir = temp_dir("keyed");
    let path = dir.join("decisions.jsonl");
    let options = || LogOptions {
        chain_key: Some(KEY.to_vec()),
        ..LogOptions::default()
    };
    let log = DecisionLog::open_with(&path, options()).unwrap();
    for i in 0..4 {
        submit_and_wait(&log, i);
    }
    log.submit_event(Event {
        kind: "reload",
        details: r#"{"policies":1}"#,
    })
    .unwrap()
    .wait()
    .unwrap();
    let head = log.head();
    drop(log);
    let good = std::fs::read_to_string(&path).unwrap();
    assert!(good
        .lines()
        .all(|l| l.contains(r#","hmac":""#) && !l.contains("sha256")));

    let with_key = VerifyOptions {
        key: Some(KEY),
        ..VerifyOptions::default()
    };
    let report = verify_with(&path, with_key).unwrap();
    assert_eq!(
        report,
        VerifyReport::Intact {
            entries: 5,
            events: 1,
            files: 1,
            head_sha256: head.sha256.clone()
        }
    );
    // Without the key: a clear refusal, not a verdict.
    let err = verify(&path).unwrap_err();
    assert!(
        matches!(err, LogError::KeyRequired { line: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("keyed") && err.to_string().contains("--key-file"),
        "{err}"
    );
    assert!(matches!(
        DecisionLog::open(&path),
        Err(LogError::KeyRequired { .. })
    ));
    // The wrong key: line 1 does not verify.
    let wrong = VerifyOptions {
        key: Some(b"another key of 16+ bytes"),
        ..VerifyOptions::default()
    };
    let report = verify_with(&path, wrong).unwrap();
    assert!(
        render_report(&report).contains("BROKEN at line 1"),
        "{report:?}"
    );
    // Too short a key is refused.
    let short = VerifyOptions {
        key: Some(b"short"),
        ..VerifyOptions::default()
    };
    assert!(matches!(
        verify_with(&path, short),
        Err(LogError::InvalidKey(_))
    ));

    // A forged line appended by someone without the key, every hash
    // recomputed: as a plain sha256 line, and as an "hmac" that is a sha256.
    let body = format!(
        r#"{{"seq":5,"prev":"{}","time":"2026-11-27T00:00:00.000Z","policy":"p","hash":"h","as_of":"d","facts":{{}},"result":{{"granted":true}}"#,
        head.sha256
    );
    for field in ["sha256", "hmac"] {
        let forged = format!("{body},\"{field}\":\"{}\"}}\n", sha256_hex(body.as_bytes()));
        std::fs::write(&path, format!("{good}{forged}")).unwrap();
        let report = verify_with(&path, with_key).unwrap();
        match &report {
            VerifyReport::Broken { line: 6, .. } => {}
            other => panic!("{field}: forged line not detected: {other:?}"),
        }
        assert!(DecisionLog::open_with(&path, options()).is_err(), "{field}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rotation_continues_the_chain_across_files() {
    let dir = temp_dir("rotate");
    let path = dir.join("decisions.jsonl");
    let options = || LogOptions {
        rotate_bytes: Some(1000),
        ..LogOptions::default()
    };
    let log = DecisionLog::open_with(&path, options()).unwrap();
    for i in 0..12 {
        submit_and_wait(&log, i);
    }
    let rotations = log.status().rotations;
    drop(log);
    // Reopening continues in PATH (or from the last segment if PATH is empty).
    let log = DecisionLog::open_with(&path, options()).unwrap();
    for i in 12..20 {
        submit_and_wait(&log, i);
    }
    let head = log.head();
    drop(log);
    assert!(rotations >= 2, "{rotations} rotations");
    let segments: Vec<PathBuf> = (1..)
        .map(|n| segment_path(&path, n))
        .take_while(|p| p.exists())
        .collect();
    assert!(segments.len() >= 3, "{segments:?}");
    assert_eq!(segments[0], dir.join("decisions.jsonl.000001"));
    // Each file's first line continues the previous file's last line.
    let mut expected_seq = 0;
    for file in segments.iter().chain([&path]) {
        let text = std::fs::read_to_string(file).unwrap();
        if let Some(first) = text.lines().next() {
            let v: serde_json::Value = serde_json::from_str(first).unwrap();
            assert_eq!(v["seq"].as_u64(), Some(expected_seq), "{}", file.display());
        }
        expected_seq += text.lines().count() as u64;
    }
    assert_eq!(expected_seq, 20);
    let files = segments.len() + 1;
    let report = verify(&path).unwrap();
    assert_eq!(
        report,
        VerifyReport::Intact {
            entries: 20,
            events: 0,
            files,
            head_sha256: head.sha256.clone()
        }
    );
    assert!(render_report(&report).contains(&format!("in {files} files")));

    // A middle segment deleted is found.
    std::fs::remove_file(&segments[1]).unwrap();
    let report = verify(&path).unwrap();
    let text = render_report(&report);
    assert!(!report.is_intact());
    assert!(text.contains("decisions.jsonl.000002 is missing"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_empty_log_after_rotation_continues_from_the_last_segment() {
    let dir = temp_dir("rotate-empty");
    let path = dir.join("decisions.jsonl");
    write_log(&path, 3);
    // As after a crash between the rename and the first line of a new file.
    std::fs::rename(&path, segment_path(&path, 1)).unwrap();
    let log = DecisionLog::open(&path).unwrap();
    assert_eq!(log.head().entries, 3);
    submit_and_wait(&log, 3);
    drop(log);
    assert!(matches!(
        verify(&path).unwrap(),
        VerifyReport::Intact {
            entries: 4,
            files: 2,
            ..
        }
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn repair_with_a_key_cuts_only_a_torn_keyed_line() {
    let dir = temp_dir("keyed-repair");
    let path = dir.join("decisions.jsonl");
    let log = DecisionLog::open_with(
        &path,
        LogOptions {
            chain_key: Some(KEY.to_vec()),
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..3 {
        submit_and_wait(&log, i);
    }
    drop(log);
    let good = std::fs::read(&path).unwrap();
    let mut bytes = good.clone();
    bytes.extend_from_slice(b"{\"seq\":3,\"pr");
    std::fs::write(&path, &bytes).unwrap();
    let report = repair_with_key(&path, Some(KEY)).unwrap();
    assert_eq!(report.cut.unwrap().bytes, 12);
    assert_eq!(std::fs::read(&path).unwrap(), good);
    // Nothing to repair now; without the key a complete keyed line cannot
    // be checked.
    assert!(repair_with_key(&path, Some(KEY)).unwrap().cut.is_none());
    assert!(matches!(repair(&path), Err(LogError::KeyRequired { .. })));
    let _ = std::fs::remove_dir_all(dir);
}
