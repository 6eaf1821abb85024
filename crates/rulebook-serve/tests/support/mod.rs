//! A `rulebook serve` in the test process, on an ephemeral loopback port,
//! and a minimal HTTP/1.1 client, for the service's end-to-end tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_serve::store::{PolicyStore, ReloadReport, StoreOptions};
use rulebook_serve::{AdminToken, AppState, Limits, Logging};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// A fresh, empty folder of its own, `rulebook-NAME-...` under the system
/// temp dir, removed when dropped.
pub fn folder(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("rulebook-{name}-"))
        .tempdir()
        .unwrap()
}

/// A response: status, headers (lower-case names) and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request over a fresh connection, with extra header lines.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &str) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    write!(
        s,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    parse_reply(&response)
}

pub fn parse_reply(response: &str) -> Reply {
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A JSON request (the usual case).
pub fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let r = request(
        addr,
        method,
        path,
        &["Content-Type: application/json"],
        body,
    );
    (r.status, r.body)
}

/// How a test server is set up.
#[derive(Default)]
pub struct Setup {
    pub store: StoreOptions,
    pub limits: Limits,
    pub logging: Option<Logging>,
    pub admin: Option<&'static str>,
}

pub struct Server {
    pub addr: SocketAddr,
    pub store: Arc<PolicyStore>,
    pub state: Arc<AppState>,
    pub report: ReloadReport,
    _runtime: tokio::runtime::Runtime,
    /// The folders given to `keeping`: declared after the runtime, so
    /// removed once the server has stopped.
    folders: Vec<TempDir>,
}

impl Server {
    /// This server, which keeps `folder` (the one it serves, say) until it
    /// is dropped, and removes it after it has stopped.
    pub fn keeping(mut self, folder: TempDir) -> Server {
        self.folders.push(folder);
        self
    }
}

pub fn start(dir: &Path, setup: Setup) -> Server {
    let (store, report) = PolicyStore::open_with(dir, setup.store).unwrap();
    let store = Arc::new(store);
    let admin = setup.admin.map(|t| AdminToken::from_file_text(t).unwrap());
    let state = AppState::new(store.clone(), setup.logging, setup.limits, admin).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(rulebook_serve::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Server {
        addr,
        store,
        state,
        report,
        _runtime: runtime,
        folders: Vec::new(),
    }
}
