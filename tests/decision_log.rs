//! The decision log through its public API only (the thorough tests are the
//! unit tests at the bottom of src/decision_log.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::decision_log::{
    render_report, verify, verify_with_head, DecisionLog, Entry, Head, LogError, VerifyReport,
    GENESIS,
};
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
