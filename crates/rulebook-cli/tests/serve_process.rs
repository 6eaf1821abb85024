//! `rulebook serve` as a process, stopped the hard ways: `kill -9` and
//! SIGTERM while clients are being answered, with large log entries. Every
//! answered decision must be in the log, and the log must verify.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../rulebook-serve/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{folder, http};
use tempfile::TempDir;

const POLICY: &str = "policy t\ninput {\n  a: int\n  note: text\n}\ndecision d: int = a * 2\n";
const TESTS: &str =
    "cases:\n  - name: doubles\n    as_of: 2026-01-01\n    input: { a: 2 }\n    expect: { d: 4 }\n";

/// `rulebook serve DIR` on a free port with the decision log `log`.
fn serve_command(dir: &std::path::Path, log: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rulebook"));
    command
        .args(["serve", dir.to_str().unwrap()])
        .args(["--addr", "127.0.0.1:0", "--no-watch", "--decision-log"])
        .arg(log);
    command
}

/// A server process, killed when dropped while it still runs: a test
/// that panics before it stops its server leaves no process behind.
struct Server(Option<Child>);

impl Server {
    /// The process itself, no longer killed on drop (to collect its output).
    fn into_child(mut self) -> Child {
        self.0.take().expect("a server's process is taken once")
    }
}

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.0.as_ref().expect("a server's process is taken once")
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        self.0.as_mut().expect("a server's process is taken once")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Starts the server and waits until it listens.
fn spawn(mut command: Command) -> (Server, SocketAddr) {
    let mut child = Server(Some(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

fn spawn_server(dir: &std::path::Path, log: &std::path::Path) -> (Server, SocketAddr) {
    spawn(serve_command(dir, log))
}

/// Sends SIGTERM with the shell's own `kill` (no procps needed).
fn sigterm(pid: u32) -> std::process::ExitStatus {
    Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .unwrap()
}

/// One evaluation's status.
fn evaluate(addr: SocketAddr) -> u16 {
    http(
        addr,
        "POST",
        "/v1/policies/t/evaluate",
        r#"{"facts":{"a":1}}"#,
    )
    .0
}

/// Clients sending large entries until `stop`; returns the count answered 200.
fn load(addr: SocketAddr, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<u64>> {
    let note = "n".repeat(1 << 20);
    (0..4)
        .map(|c| {
            let stop = stop.clone();
            let body = format!(r#"{{"facts":{{"a":{c},"note":"{note}"}}}}"#);
            std::thread::spawn(move || {
                let mut ok = 0;
                while !stop.load(Ordering::Relaxed) {
                    let s = std::net::TcpStream::connect(addr);
                    if s.is_err() {
                        break;
                    }
                    drop(s);
                    match std::panic::catch_unwind(|| {
                        http(addr, "POST", "/v1/policies/t/evaluate", &body)
                    }) {
                        Ok((200, _)) => ok += 1,
                        _ => break,
                    }
                }
                ok
            })
        })
        .collect()
}

fn logged(log: &std::path::Path) -> u64 {
    let report = rulebook_serve::decision_log::verify(log).unwrap();
    assert!(
        report.is_intact(),
        "{}",
        rulebook_serve::decision_log::render_report(&report)
    );
    std::fs::read_to_string(log).unwrap().lines().count() as u64
}

/// A folder serving `t`, and a decision log in a folder of its own: both
/// removed when dropped (the logs of a load test are about 100 MB), so a
/// test keeps them until its server has stopped.
struct Files {
    dir: TempDir,
    log: PathBuf,
    _log_dir: TempDir,
}

fn setup(name: &str) -> Files {
    let dir = folder(name);
    std::fs::write(dir.path().join("t.rules"), POLICY).unwrap();
    std::fs::write(dir.path().join("t.test.yaml"), TESTS).unwrap();
    let log_dir = folder(&format!("{name}-log"));
    let log = log_dir.path().join("decisions.jsonl");
    Files {
        dir,
        log,
        _log_dir: log_dir,
    }
}

#[test]
fn kill_9_under_load_loses_no_answered_decision() {
    let files = setup("kill9");
    let (dir, log) = (files.dir.path(), files.log.as_path());
    let (mut child, addr) = spawn_server(dir, log);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(addr, stop.clone());
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let answered: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(answered > 0, "no request was answered");
    // killed in the middle of writing a group, the file may end in a torn
    // line: an entry that was never synced, so never answered. Repair cuts
    // exactly that, and every answered decision is still there.
    let repaired = rulebook_serve::decision_log::repair(log).unwrap();
    if let Some(cut) = &repaired.cut {
        assert!(cut.reason.contains("incomplete"), "{cut:?}");
    }
    let in_log = logged(log);
    assert!(
        in_log >= answered,
        "{answered} decisions answered, {in_log} in the log"
    );
}

#[test]
fn sigterm_stops_cleanly_and_loses_no_answered_decision() {
    let files = setup("sigterm");
    let (dir, log) = (files.dir.path(), files.log.as_path());
    let (mut child, addr) = spawn_server(dir, log);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(addr, stop.clone());
    std::thread::sleep(Duration::from_millis(1500));
    let term = sigterm(child.id());
    assert!(term.success());
    let status = child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let answered: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(answered > 0);
    let in_log = logged(log);
    assert!(
        in_log >= answered,
        "{answered} decisions answered, {in_log} in the log"
    );
}

#[test]
fn a_torn_log_tail_stops_the_start_until_repaired() {
    let files = setup("torn");
    let (dir, log) = (files.dir.path(), files.log.as_path());
    let mut bytes = Vec::new();
    {
        let (mut child, addr) = spawn_server(dir, log);
        assert_eq!(evaluate(addr), 200);
        child.kill().unwrap();
        child.wait().unwrap();
        bytes.extend(std::fs::read(log).unwrap());
    }
    // a crash in the middle of a line
    std::fs::write(log, [&bytes[..], b"{\"seq\":3,\"prev\":\"ab"].concat()).unwrap();
    let out = serve_command(dir, log).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rulebook log repair"), "{stderr}");
    let repair = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(["log", "repair"])
        .arg(log)
        .output()
        .unwrap();
    assert!(
        repair.status.success(),
        "{}",
        String::from_utf8_lossy(&repair.stderr)
    );
    assert_eq!(std::fs::read(log).unwrap(), bytes);
    let (mut child, addr) = spawn_server(dir, log);
    assert_eq!(evaluate(addr), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    logged(log);
}

#[test]
fn a_keyed_log_records_admin_events_and_refuses_a_forged_entry() {
    let files = setup("keyed");
    let (dir, log) = (files.dir.path(), files.log.as_path());
    let secrets = folder("keyed-secrets");
    let key = secrets.path().join("log.key");
    std::fs::write(&key, "a-log-key-of-32-bytes-0123456789\n").unwrap();
    let token = secrets.path().join("admin.token");
    std::fs::write(&token, "admin-token-0123456789\n").unwrap();
    let mut command = serve_command(dir, log);
    command
        .arg("--log-key-file")
        .arg(&key)
        .arg("--admin-token-file")
        .arg(&token);
    let (child, addr) = spawn(command);
    assert_eq!(evaluate(addr), 200);
    std::fs::write(dir.join("t.rules"), POLICY.replace("a * 2", "2 * a")).unwrap();
    let auth = "Authorization: Bearer admin-token-0123456789";
    let r = support::request(addr, "POST", "/v1/reload", &[auth], "");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = support::request(addr, "POST", "/v1/policies/t/rollback", &[auth], "");
    assert_eq!(r.status, 200, "{}", r.body);
    sigterm(child.id());
    let out = child.into_child().wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("rollback (admin request)"), "{stderr}");
    let text = std::fs::read_to_string(log).unwrap();
    for event in ["\"start\"", "\"reload\"", "\"rollback\"", "\"stop\""] {
        assert!(text.contains(event), "no {event} event in\n{text}");
    }
    let verify = |extra: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .args(["log", "verify"])
            .arg(log)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(verify(&["--key-file".as_ref(), key.as_os_str()])
        .status
        .success());
    assert!(!verify(&[]).status.success(), "a keyed log needs its key");
    // a line appended by someone without the key, hashes recomputed
    let last = text.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    let seq = v["seq"].as_u64().unwrap() + 1;
    let seal = if v.get("hmac").is_some() {
        "hmac"
    } else {
        "sha256"
    };
    let prev = v[seal].as_str().unwrap();
    let body = format!(
        r#"{{"seq":{seq},"prev":"{prev}","time":"2026-12-01T00:00:00.000Z","policy":"t","hash":"x","as_of":"2026-12-01","facts":{{"a":1}},"result":{{}}"#
    );
    let forged = format!(
        "{body},\"{seal}\":\"{}\"}}\n",
        rulebook::sha256_hex(body.as_bytes())
    );
    std::fs::write(log, format!("{text}{forged}")).unwrap();
    assert!(!verify(&["--key-file".as_ref(), key.as_os_str()])
        .status
        .success());
}
