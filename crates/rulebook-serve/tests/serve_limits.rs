//! `rulebook serve` as an attacker and an operator would probe it: admin
//! endpoints need the admin token, JSON endpoints check their content type,
//! errors give nothing away, and no client can take the server from the
//! others (slow evaluations, floods of batches, slow or idle connections).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rulebook_serve::decision_log::DecisionLog;
use rulebook_serve::{Limits, LogFacts, Logging};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{folder, http, request, start, Setup};

const TOKEN: &str = "correct-horse-battery-staple-42\n";

fn policy(factor: i64) -> String {
    format!("policy t\ninput {{ a: int }}\ndecision d: int = a * {factor}\n")
}

const TESTS: &str =
    "cases:\n  - name: d is a multiple\n    as_of: 2026-01-01\n    input: { a: 0 }\n    expect: { d: 0 }\n";

/// Evaluating `n` takes |xs|^3 steps: about a second at 800 elements.
const SLOW: &str = "policy slow\ninput {\n  xs: list of { v: int }\n}\ndecision n: int = sum(x in xs: sum(y in xs: count(z in xs: z.v <= x.v + y.v)))\n";

fn slow_facts(elements: usize) -> String {
    let xs: Vec<String> = (0..elements).map(|i| format!("{{\"v\":{i}}}")).collect();
    format!(
        "{{\"facts\":{{\"xs\":[{}]}},\"as_of\":\"2026-01-01\"}}",
        xs.join(",")
    )
}

fn d(addr: std::net::SocketAddr) -> serde_json::Value {
    let (s, body) = http(
        addr,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts":{"a":1}}"#,
    );
    assert_eq!(s, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["decisions"]["d"]["value"].clone()
}

/// A folder serving `t`, edited once, so that it has a version to roll back to.
fn served_twice(setup: Setup) -> support::Server {
    let dir = folder("admin");
    std::fs::write(dir.path().join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.path().join("t.test.yaml"), TESTS).unwrap();
    let server = start(dir.path(), setup);
    std::fs::write(dir.path().join("t.rules"), policy(3)).unwrap();
    server.store.reload().unwrap();
    assert_eq!(d(server.addr), 3);
    server.keeping(dir)
}

#[test]
fn admin_endpoints_are_off_without_a_token_file() {
    let server = served_twice(Setup::default());
    let a = server.addr;
    for path in ["/v1/reload", "/v1/policies/t/rollback"] {
        let r = request(a, "POST", path, &["Authorization: Bearer anything"], "");
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(r.body.contains("--admin-token-file"), "{}", r.body);
    }
    assert_eq!(d(a), 3, "nothing changed");
}

#[test]
fn admin_endpoints_need_the_token_and_a_wrong_one_changes_nothing() {
    let server = served_twice(Setup {
        admin: Some(TOKEN),
        ..Setup::default()
    });
    let a = server.addr;
    // a page of another site posting a rollback, with no body and no token
    let r = request(
        a,
        "POST",
        "/v1/policies/t/rollback",
        &["Origin: http://attacker.example"],
        "",
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.header("www-authenticate").is_some());
    let r = request(
        a,
        "POST",
        "/v1/policies/t/rollback",
        &["Authorization: Bearer correct-horse-battery-staple-43"],
        "",
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"], "the admin token is wrong");
    let r = request(a, "POST", "/v1/reload", &["Authorization: Basic abc"], "");
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(d(a), 3, "nothing changed");
    // the right token
    let auth = "Authorization: Bearer correct-horse-battery-staple-42";
    let r = request(a, "POST", "/v1/policies/t/rollback", &[auth], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(d(a), 2);
    let r = request(a, "POST", "/v1/reload", &[auth], "");
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, metrics) = http(a, "GET", "/metrics", "");
    assert!(
        metrics.contains(
            "rulebook_admin_requests_total{action=\"rollback\",result=\"unauthorized\"} 2"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("rulebook_admin_requests_total{action=\"rollback\",result=\"ok\"} 1"),
        "{metrics}"
    );
}

#[test]
fn json_endpoints_check_the_content_type_and_errors_give_nothing_away() {
    let tmp = folder("ctype");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let server = start(dir, Setup::default());
    let a = server.addr;
    let body = r#"{"facts":{"a":1}}"#;
    for headers in [&[][..], &["Content-Type: text/plain"][..]] {
        let r = request(a, "POST", "/v1/policies/t/evaluate", headers, body);
        assert_eq!(r.status, 415, "{headers:?}: {}", r.body);
    }
    let r = request(
        a,
        "POST",
        "/v1/policies/t/evaluate",
        &["Content-Type: application/json; charset=utf-8"],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(
        a,
        "POST",
        "/v1/policies/t/evaluate-batch",
        &["Content-Type: application/x-ndjson"],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // a 404 does not list what is served; the list does not show server paths
    let (s, body) = http(a, "POST", "/v1/policies/nope/evaluate", "{}");
    assert_eq!(s, 404);
    assert!(!body.contains("`t`"), "{body}");
    let (_, list) = http(a, "GET", "/v1/policies", "");
    assert!(!list.contains(&dir.display().to_string()), "{list}");
    assert!(list.contains("\"file\":\"t.rules\""), "{list}");
    // an unknown key in the request envelope is an error, not ignored
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts":{"a":1},"asof":"2020-01-01"}"#,
    );
    assert_eq!(s, 400, "{body}");
}

#[test]
fn list_elements_per_request_are_bounded() {
    let tmp = folder("elements");
    let dir = tmp.path();
    std::fs::write(dir.join("slow.rules"), SLOW).unwrap();
    let server = start(
        dir,
        Setup {
            store: rulebook_serve::store::StoreOptions {
                allow_untested: true,
                ..Default::default()
            },
            limits: Limits {
                max_list_elements: 10,
                ..Limits::default()
            },
            ..Setup::default()
        },
    );
    let (s, body) = http(
        server.addr,
        "POST",
        "/v1/policies/slow/evaluate",
        &slow_facts(11),
    );
    assert_eq!(s, 413, "{body}");
    assert!(body.contains("11 list elements; the limit is 10"), "{body}");
    let batch = format!("[{},{}]", slow_facts(6), slow_facts(6));
    let (s, body) = http(
        server.addr,
        "POST",
        "/v1/policies/slow/evaluate-batch",
        &batch,
    );
    assert_eq!(s, 413, "{body}");
    let (s, body) = http(
        server.addr,
        "POST",
        "/v1/policies/slow/evaluate",
        &slow_facts(10),
    );
    assert_eq!(s, 200, "{body}");
}

fn slow_server(limits: Limits) -> support::Server {
    let dir = folder("slow");
    std::fs::write(dir.path().join("slow.rules"), SLOW).unwrap();
    start(
        dir.path(),
        Setup {
            store: rulebook_serve::store::StoreOptions {
                allow_untested: true,
                ..Default::default()
            },
            limits,
            ..Setup::default()
        },
    )
    .keeping(dir)
}

#[test]
fn slow_evaluations_never_hold_up_health_checks_and_a_full_queue_answers_503() {
    let server = slow_server(Limits {
        eval_threads: 1,
        eval_queue: 1,
        ..Limits::default()
    });
    let a = server.addr;
    let slow = slow_facts(800);
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let body = slow.clone();
            let c =
                std::thread::spawn(move || http(a, "POST", "/v1/policies/slow/evaluate", &body));
            std::thread::sleep(Duration::from_millis(50));
            c
        })
        .collect();
    let t = Instant::now();
    let (s, body) = http(a, "GET", "/healthz", "");
    let waited = t.elapsed();
    assert_eq!(s, 200, "{body}");
    assert!(
        waited < Duration::from_millis(500),
        "/healthz waited {waited:?} for evaluations"
    );
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap().0).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 503).count(),
        1,
        "one thread, one queued: the third is refused ({statuses:?})"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        2,
        "{statuses:?}"
    );
}

#[test]
fn a_timed_out_batch_stops_its_work() {
    let server = slow_server(Limits {
        eval_threads: 1,
        timeout: Duration::from_millis(400),
        max_list_elements: 10_000_000,
        ..Limits::default()
    });
    let a = server.addr;
    // about 5 ms a record: 2,000 records would hold the only thread for 10 s
    let record = slow_facts(120);
    let batch = format!("[{}]", vec![record; 2000].join(","));
    let t = Instant::now();
    let (s, body) = http(a, "POST", "/v1/policies/slow/evaluate-batch", &batch);
    assert_eq!(s, 503, "{}", &body[..body.len().min(300)]);
    assert!(body.contains("longer than 400 ms"), "{body}");
    // the thread is free again soon after: the batch stopped
    let (s, body) = http(a, "POST", "/v1/policies/slow/evaluate", &slow_facts(3));
    assert_eq!(s, 200, "{body}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "the batch went on after its time-out ({:?})",
        t.elapsed()
    );
}

#[test]
fn concurrent_batches_are_bounded() {
    let server = slow_server(Limits {
        max_concurrent_batches: 1,
        ..Limits::default()
    });
    let a = server.addr;
    let slow = format!("[{}]", slow_facts(700));
    let first =
        std::thread::spawn(move || http(a, "POST", "/v1/policies/slow/evaluate-batch", &slow));
    std::thread::sleep(Duration::from_millis(150));
    let (s, body) = http(
        a,
        "POST",
        "/v1/policies/slow/evaluate-batch",
        &format!("[{}]", slow_facts(2)),
    );
    assert_eq!(s, 503, "{body}");
    assert!(body.contains("already evaluating 1 batch"), "{body}");
    assert_eq!(first.join().unwrap().0, 200);
}

#[test]
fn slow_and_idle_connections_are_closed_and_do_not_lock_others_out() {
    let tmp = folder("conns");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let server = start(
        dir,
        Setup {
            limits: Limits {
                max_connections: 8,
                header_timeout: Duration::from_millis(300),
                ..Limits::default()
            },
            ..Setup::default()
        },
    );
    let a = server.addr;
    // a slow client: half a request head, then nothing
    let mut slow = TcpStream::connect(a).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    slow.write_all(b"POST /v1/policies/t/evaluate HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let closed = slow.read_to_end(&mut rest);
    assert!(closed.is_ok(), "the server kept the connection: {closed:?}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // many idle connections: more than the cap; a real client still gets in
    let idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(a).unwrap()).collect();
    let t = Instant::now();
    assert_eq!(d(a), 2);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(idle);
}

#[test]
fn the_log_keeps_only_declared_facts_as_parsed() {
    let tmp = folder("declared");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let path = dir.join("log.jsonl");
    let log = Arc::new(DecisionLog::open(&path).unwrap());
    let server = start(
        dir,
        Setup {
            logging: Some(Logging {
                log: log.clone(),
                facts: LogFacts::All,
                key: None,
            }),
            ..Setup::default()
        },
    );
    let nested = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let (s, body) = http(
        server.addr,
        "POST",
        "/v1/policies/t/evaluate",
        &format!(
            r#"{{"facts":{{"a":5,"junk":"{}","deep":{nested}}}}}"#,
            "x".repeat(10_000)
        ),
    );
    assert_eq!(s, 200, "{body}");
    let text = std::fs::read_to_string(&path).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["facts"], serde_json::json!({"a": 5}));
    assert!(text.len() < 2_000, "{} bytes logged", text.len());
}

#[test]
fn the_log_can_keep_only_a_digest_of_the_facts() {
    let tmp = folder("digest");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let path = dir.join("log.jsonl");
    let server = start(
        dir,
        Setup {
            logging: Some(Logging {
                log: Arc::new(DecisionLog::open(&path).unwrap()),
                facts: LogFacts::None,
                key: Some(b"0123456789abcdef0123".to_vec()),
            }),
            ..Setup::default()
        },
    );
    for a in [5, 5, 6] {
        let (s, _) = http(
            server.addr,
            "POST",
            "/v1/policies/t/evaluate",
            &format!(r#"{{"facts":{{"a":{a}}}}}"#),
        );
        assert_eq!(s, 200);
    }
    let digests: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["facts"]["digest"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(digests[0].starts_with("hmac-sha256:"), "{digests:?}");
    assert_eq!(digests[0], digests[1]);
    assert_ne!(digests[0], digests[2]);
    assert!(!std::fs::read_to_string(&path).unwrap().contains("\"a\""));
}

#[test]
fn personal_facts_reach_the_log_only_as_keyed_hashes() {
    let tmp = folder("personal");
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.rules"),
        "policy p\ninput {\n  dob: date personal\n  a: int\n}\ndecision d: int = a * 2\n",
    )
    .unwrap();
    std::fs::write(dir.join("p.test.yaml"), TESTS.replace("d is", "p d is")).unwrap();
    let body = r#"{"facts":{"dob":"1950-03-04","a":1}}"#;
    for key in [Some(b"0123456789abcdef-key".to_vec()), None] {
        let log_dir = folder("personal-log");
        let path = log_dir.path().join("log.jsonl");
        let server = start(
            dir,
            Setup {
                logging: Some(Logging {
                    log: Arc::new(DecisionLog::open(&path).unwrap()),
                    facts: LogFacts::All,
                    key: key.clone(),
                }),
                ..Setup::default()
            },
        );
        let (s, answer) = http(server.addr, "POST", "/v1/policies/p/evaluate", body);
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(!log.contains("1950-03-04"), "{log}");
        if key.is_some() {
            assert_eq!(s, 200, "{answer}");
            let line: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
            assert!(line["facts"]["dob"]["hmac_sha256"].is_string(), "{line}");
            assert_eq!(line["facts"]["a"], 1);
        } else {
            // never answered unlogged, never logged in the clear
            assert_eq!(s, 503, "{answer}");
            assert!(answer.contains("--log-key-file"), "{answer}");
            assert!(log.is_empty(), "{log}");
        }
    }
}

/// A log whose disk has stopped: a FIFO nobody reads until the end. No
/// decision may be answered before its entry is written; the others get 503
/// quickly, and `/healthz` says the log is behind.
#[cfg(unix)]
#[test]
fn a_stalled_log_gets_503s_never_unlogged_answers() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let tmp = folder("stalled");
    let dir = tmp.path();
    std::fs::write(
        dir.join("t.rules"),
        "policy t\ninput {\n  a: int\n  note: text\n}\ndecision d: int = a * 2\n",
    )
    .unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let fifo = dir.join("log.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let log = DecisionLog::open_with(
        &fifo,
        rulebook_serve::decision_log::LogOptions {
            max_queue_bytes: 64 * 1024,
            ..Default::default()
        },
    )
    .unwrap();
    let server = start(
        dir,
        Setup {
            logging: Some(Logging {
                log: Arc::new(log),
                facts: LogFacts::All,
                key: None,
            }),
            limits: Limits {
                timeout: Duration::from_millis(800),
                ..Limits::default()
            },
            ..Setup::default()
        },
    );
    let a = server.addr;
    let answered = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (answered, busy) = (answered.clone(), busy.clone());
            std::thread::spawn(move || {
                let body = format!(r#"{{"facts":{{"a":{c},"note":"{}"}}}}"#, "n".repeat(1000));
                for _ in 0..15 {
                    match http(a, "POST", "/v1/policies/t/evaluate", &body) {
                        (200, _) => answered.fetch_add(1, Ordering::SeqCst),
                        (503, _) => busy.fetch_add(1, Ordering::SeqCst),
                        (s, b) => panic!("{s}: {b}"),
                    };
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let (s, health) = http(a, "GET", "/healthz", "");
    assert_eq!(s, 503, "{health}");
    assert!(health.contains("log_behind"), "{health}");
    assert!(busy.load(Ordering::SeqCst) > 0);
    // the disk comes back: read everything the log writes until it closes
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let drained = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = std::io::Read::read_to_end(&mut reader, &mut all);
        all
    });
    drop(server);
    let written = drained.join().unwrap();
    let lines = written.iter().filter(|&&b| b == b'\n').count();
    let answered = answered.load(Ordering::SeqCst);
    assert!(
        answered <= lines,
        "{answered} decisions answered, {lines} entries written"
    );
}

#[test]
fn bodies_over_the_limit_get_413_on_both_endpoints() {
    let tmp = folder("body");
    let dir = tmp.path();
    std::fs::write(dir.join("t.rules"), policy(2)).unwrap();
    std::fs::write(dir.join("t.test.yaml"), TESTS).unwrap();
    let server = start(
        dir,
        Setup {
            limits: Limits {
                max_body: 1000,
                ..Limits::default()
            },
            ..Setup::default()
        },
    );
    let record = r#"{"facts":{"a":1}}"#;
    let big = format!("[{}]", vec![record; 100].join(","));
    for path in ["/v1/policies/t/evaluate", "/v1/policies/t/evaluate-batch"] {
        let (s, body) = http(server.addr, "POST", path, &big);
        assert_eq!(s, 413, "{path}: {body}");
    }
    let small = format!("[{}]", [record; 10].join(","));
    assert_eq!(
        http(server.addr, "POST", "/v1/policies/t/evaluate-batch", &small).0,
        200
    );
}
