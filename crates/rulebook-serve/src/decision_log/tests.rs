//! Unit tests of the decision log.

use super::format::*;
use super::verify::*;
use super::writer::*;
use super::*;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex};
use std::time::Duration;
use std::time::UNIX_EPOCH;

/// A fresh empty directory under the system temp dir, removed when dropped.
struct TempDir(tempfile::TempDir);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("rulebook-decision-log-{name}-"))
            .tempdir()
            .unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
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

/// Limits of the queue for [`DecisionLog::start`]: at most `entries`
/// entries, the default byte bound, no key, no rotation.
fn limits(entries: usize) -> Limits {
    Limits {
        max_queue_bytes: DEFAULT_MAX_QUEUE_BYTES,
        max_queue_entries: entries,
        key: None,
        rotate_bytes: None,
    }
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
    // (the log's timestamps use the core's calendar) Step day by day from 1600-03-01 over 800 years against a naive
    // calendar.
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = |y: i64, m: u32| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let start = -135_080; // 1600-03-01
    assert_eq!(civil_from_days(start), Some((1600, 3, 1)));
    let (mut y, mut m, mut d) = (1600i64, 3u32, 1u32);
    for days in start..start + 800 * 366 {
        assert_eq!(civil_from_days(days), Some((y, m, d)), "day {days}");
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
        let keys = [
            "seq", "prev", "time", "policy", "hash", "as_of", "facts", "result", "sha256",
        ];
        assert_eq!(v.as_object().unwrap().len(), keys.len());
        // in this order in the text (a `Value` keeps no order)
        let at: Vec<usize> = keys
            .iter()
            .map(|k| line.find(&format!(r#""{k}":"#)).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
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
            events: 0,
            files: 1,
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
            file: None,
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
            events: 0,
            files: 1,
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
            events: 0,
            files: 1,
            head_sha256: head.sha256.clone()
        }
    );
    assert!(verify_with_head(&path, &first.sha256).unwrap().is_intact());
    // One writer per file in this process.
    let log = DecisionLog::open(&path).unwrap();
    let alias = dir.path().join(".").join("log.jsonl");
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
    assert!(
        matches!(err, LogError::TornTail { line: 5, len: 40, offset, .. } if offset == good.len() as u64),
        "{msg}"
    );
    assert!(
        msg.contains("log.jsonl")
            && msg.contains("line 5")
            && msg.contains("incomplete")
            && msg.contains(&format!(
                "the last 40 bytes, from byte offset {}",
                good.len()
            ))
            && msg.contains(&format!("rulebook log repair {}", path.display())),
        "{msg}"
    );

    // A modified last line.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 100] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let err = DecisionLog::open(&path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LogError::TornTail { line: 4, .. }), "{msg}");
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
    let msg = DecisionLog::open(dir.path()).unwrap_err().to_string();
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
    let log = DecisionLog::start(path.clone(), sink, head.clone(), len, limits(16)).unwrap();
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
    let log = DecisionLog::start(path.clone(), sink, Head::genesis(), 0, limits(4)).unwrap();
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
            events: 0,
            files: 1,
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
            events: 2,
            files: 3,
            head_sha256: sha.clone()
        }),
        format!(
            "decision log ok: 1000 entries (998 decisions, 2 events) in 3 files, head sha256 {sha}"
        )
    );
    assert_eq!(
        render_report(&VerifyReport::Intact {
            entries: 1,
            events: 0,
            files: 1,
            head_sha256: sha.clone()
        }),
        format!("decision log ok: 1 entry (1 decision, 0 events) in 1 file, head sha256 {sha}")
    );
    assert_eq!(
        render_report(&VerifyReport::Broken {
            file: None,
            line: 17,
            reason: "prev does not match line 16".into()
        }),
        "decision log BROKEN at line 17: prev does not match line 16"
    );
    assert_eq!(
        render_report(&VerifyReport::Broken {
            file: Some(PathBuf::from("d.jsonl.000002")),
            line: 1,
            reason: "seq is 9, expected 5".into()
        }),
        "decision log BROKEN at line 1 of d.jsonl.000002: seq is 9, expected 5"
    );
}

// ---------------------------------------------------------------- durable submit

fn entry<'a>(facts: &'a str, result: &'a str) -> Entry<'a> {
    Entry {
        policy: "pension_credit",
        hash: "ab12",
        as_of: "2026-11-27",
        facts,
        result,
    }
}

fn submit(log: &DecisionLog, i: usize) -> Result<Pending, LogError> {
    let (f, r) = (facts(i), result(i));
    log.submit(entry(&f, &r))
}

/// A file sink whose syncs take `delay`, and that counts them.
struct SlowSync {
    file: File,
    delay: Duration,
}

impl Sink for SlowSync {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        std::thread::sleep(self.delay);
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

/// A gate that holds the writer thread until opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    /// Set once the writer is waiting at the gate.
    reached: Mutex<bool>,
    arrived: Condvar,
}

impl Gate {
    fn wait(&self) {
        *self.reached.lock().unwrap() = true;
        self.arrived.notify_all();
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }
    fn wait_until_reached(&self) {
        let mut reached = self.reached.lock().unwrap();
        while !*reached {
            reached = self.arrived.wait(reached).unwrap();
        }
    }
    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

/// A file sink whose first write waits at a gate, then succeeds or fails
/// (`fail_write`), and whose syncs fail when `fail_sync`.
struct Gated {
    file: File,
    gate: Arc<Gate>,
    fail_write: bool,
    fail_sync: bool,
}

impl Sink for Gated {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.gate.wait();
        if self.fail_write {
            self.file.write_all(&bytes[..bytes.len() / 2])?;
            return Err(io::Error::other("I/O error (simulated)"));
        }
        self.file.write_all(bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        if self.fail_sync {
            return Err(io::Error::other("fsync failed (simulated)"));
        }
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

/// Opens the gate when a test ends, even by a failed assertion, so that
/// dropping the log (which joins the writer) does not hang.
struct ReleaseOnDrop(Arc<Gate>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.release();
    }
}

fn byte_limits(max_queue_bytes: usize) -> Limits {
    Limits {
        max_queue_bytes,
        max_queue_entries: usize::MAX,
        key: None,
        rotate_bytes: None,
    }
}

#[test]
fn concurrent_submissions_share_syncs() {
    let dir = TempDir::new("group");
    let path = dir.file("log.jsonl");
    let file = File::create(&path).unwrap();
    let sink = SlowSync {
        file,
        delay: Duration::from_millis(20),
    };
    let log = Arc::new(
        DecisionLog::start(path.clone(), sink, Head::genesis(), 0, byte_limits(1 << 20)).unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0..10 {
                    submit(&log, t * 10 + i).unwrap().wait().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let status = log.status();
    assert_eq!(status.head.entries, 80);
    assert_eq!(status.queued_bytes, 0);
    // Each thread waits for its entry before the next, so a group has at
    // most 8 entries: at least 10 syncs, and, with 8 threads submitting
    // while the writer syncs for 20 ms, far fewer than 80.
    assert!(
        status.syncs >= 10 && status.syncs < 40,
        "{} syncs for 80 entries",
        status.syncs
    );
    drop(log);
    assert!(matches!(
        verify(&path).unwrap(),
        VerifyReport::Intact { entries: 80, .. }
    ));
}

#[test]
fn submit_is_busy_at_the_byte_bound_and_never_blocks() {
    let dir = TempDir::new("busy");
    let path = dir.file("log.jsonl");
    let gate = Arc::new(Gate::default());
    let sink = Gated {
        file: File::create(&path).unwrap(),
        gate: Arc::clone(&gate),
        fail_write: false,
        fail_sync: false,
    };
    let tail_len = |i: usize| {
        format_tail(&entry(&facts(i), &result(i)), SystemTime::now())
            .unwrap()
            .len()
    };
    let three = tail_len(10) + tail_len(11) + tail_len(12);
    // Room for entries 10 to 12, not for 13 as well.
    let bound = three + tail_len(13) / 2;
    let log =
        DecisionLog::start(path.clone(), sink, Head::genesis(), 0, byte_limits(bound)).unwrap();
    let _release = ReleaseOnDrop(Arc::clone(&gate));
    let first = submit(&log, 10).unwrap();
    gate.wait_until_reached(); // the writer holds entry 0 at the gate
    let second = submit(&log, 11).unwrap();
    let third = submit(&log, 12).unwrap();
    let started = std::time::Instant::now();
    let err = submit(&log, 13).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    let msg = err.to_string();
    assert!(matches!(err, LogError::Busy(_)), "{msg}");
    assert!(
        msg.contains("log.jsonl") && msg.contains(&format!("bound of {bound} bytes")),
        "{msg}"
    );
    // Nothing of the refused entry was queued.
    assert_eq!(log.status().queued_bytes, three);
    gate.release();
    for pending in [first, second, third] {
        pending.wait().unwrap();
    }
    // Once the queue drained there is room again.
    submit(&log, 13).unwrap().wait().unwrap();
    let status = log.status();
    assert_eq!((status.head.entries, status.queued_bytes), (4, 0));
    drop(log);
    assert!(matches!(
        verify(&path).unwrap(),
        VerifyReport::Intact { entries: 4, .. }
    ));
}

#[test]
fn a_failed_write_reaches_every_pending_entry() {
    let dir = TempDir::new("fail-write");
    let path = dir.file("log.jsonl");
    let head = write_log(&path, 2);
    let len = std::fs::metadata(&path).unwrap().len();
    let gate = Arc::new(Gate::default());
    let sink = Gated {
        file: OpenOptions::new().append(true).open(&path).unwrap(),
        gate: Arc::clone(&gate),
        fail_write: true,
        fail_sync: false,
    };
    let log =
        DecisionLog::start(path.clone(), sink, head.clone(), len, byte_limits(1 << 20)).unwrap();
    let _release = ReleaseOnDrop(Arc::clone(&gate));
    let mut pending = vec![submit(&log, 2).unwrap()];
    gate.wait_until_reached();
    // These queue behind the first group, which is about to fail.
    pending.extend((3..7).map(|i| submit(&log, i).unwrap()));
    gate.release();
    for p in pending {
        let err = p.wait().unwrap_err();
        assert!(matches!(err, LogError::Failed(_)), "{err}");
        assert!(err.to_string().contains("I/O error (simulated)"), "{err}");
    }
    let status = log.status();
    assert_eq!((status.lost, status.syncs), (5, 0));
    assert_eq!(status.head, head);
    assert!(matches!(submit(&log, 7), Err(LogError::Failed(_))));
    drop(log);
    // The half-written line was cut off.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}

#[test]
fn a_failed_sync_fails_the_group_and_cuts_its_lines() {
    let dir = TempDir::new("fail-sync");
    let path = dir.file("log.jsonl");
    let head = write_log(&path, 2);
    let len = std::fs::metadata(&path).unwrap().len();
    let gate = Arc::new(Gate::default());
    let sink = Gated {
        file: OpenOptions::new().append(true).open(&path).unwrap(),
        gate: Arc::clone(&gate),
        fail_write: false,
        fail_sync: true,
    };
    let log =
        DecisionLog::start(path.clone(), sink, head.clone(), len, byte_limits(1 << 20)).unwrap();
    let _release = ReleaseOnDrop(Arc::clone(&gate));
    // The writer holds the first entry at the gate while the others are
    // submitted: with the gate open, the first group could fail before
    // they were, and they would be refused rather than queued.
    let mut pending = vec![submit(&log, 2).unwrap()];
    gate.wait_until_reached();
    pending.extend((3..6).map(|i| submit(&log, i).unwrap()));
    gate.release();
    for p in pending {
        let err = p.wait().unwrap_err();
        assert!(
            err.to_string().contains("sync failed: fsync failed"),
            "{err}"
        );
    }
    assert!(log.flush().is_err());
    assert_eq!(log.head(), head);
    drop(log);
    // Lines written but not synced were cut: their submitters were told
    // they failed.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    assert!(verify_with_head(&path, &head.sha256).unwrap().is_intact());
}

#[test]
fn events_are_in_the_chain() {
    let dir = TempDir::new("events");
    let path = dir.file("log.jsonl");
    let log = DecisionLog::open(&path).unwrap();
    let start = log
        .submit_event(Event {
            kind: "start",
            details: r#"{"version":"0.1.0"}"#,
        })
        .unwrap();
    let decision = submit(&log, 0).unwrap();
    let rollback = log
        .submit_event(Event {
            kind: "rollback",
            details: "{\n \"policy\": \"pension_credit\",\n \"to\": \"20a5\"\n}",
        })
        .unwrap();
    for p in [start, decision, rollback] {
        p.wait().unwrap();
    }
    for (kind, details, want) in [
        ("", "{}", "event kind"),
        ("Roll back", "{}", "event kind"),
        ("reload", "[1]", "details is not a JSON object"),
        ("reload", "{", "details is not valid JSON"),
    ] {
        let err = log.submit_event(Event { kind, details }).unwrap_err();
        assert!(matches!(err, LogError::InvalidEntry(_)), "{err}");
        assert!(err.to_string().contains(want), "{err}");
    }
    log.close().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let third = text.lines().nth(2).unwrap();
    assert!(
        third.contains(
            r#","event":"rollback","details":{"policy":"pension_credit","to":"20a5"},"sha256":""#
        ),
        "{third}"
    );
    let report = verify(&path).unwrap();
    assert!(
        matches!(
            report,
            VerifyReport::Intact {
                entries: 3,
                events: 2,
                files: 1,
                ..
            }
        ),
        "{report:?}"
    );
    assert!(render_report(&report).contains("3 entries (1 decision, 2 events) in 1 file"));
    // An event line mixing in decision fields, or missing details, is broken.
    let with_hash =
        |body: &str| format!("{body},\"sha256\":\"{}\"}}\n", sha256_hex(body.as_bytes()));
    let p = format!(r#"{{"seq":0,"prev":"{GENESIS}","time":"2026-01-01T00:00:00.000Z""#);
    for (body, want) in [
        (
            format!(r#"{p},"event":"stop","details":{{}},"policy":"p""#),
            "an event line has a `policy` field",
        ),
        (format!(r#"{p},"event":"stop""#), "missing field `details`"),
        (
            format!(r#"{p},"event":"stop","details":3"#),
            "details is not an object",
        ),
    ] {
        let report = check(with_hash(&body).as_bytes());
        assert!(render_report(&report).contains(want), "{want}: {report:?}");
    }
    assert!(
        check(with_hash(&format!(r#"{p},"event":"stop","details":{{}}"#)).as_bytes()).is_intact()
    );
}
