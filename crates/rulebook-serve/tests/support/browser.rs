//! A real headless Chromium, driven through chromedriver (WebDriver, with
//! the `fantoccini` crate), for tests that use a served page as a person
//! would: click, type, wait for what they would see.
//!
//! `Browser::start` finds `chromium` and `chromedriver` on the PATH (Debian:
//! `apt-get install chromium chromium-driver`); without them it fails the
//! test saying so, unless `RULEBOOK_SKIP_BROWSER=1` is set, when it says it
//! skipped and returns `None`. Each browser has its own chromedriver on a
//! free loopback port and a fresh profile folder; dropping it ends the
//! session, stops chromedriver and removes the folder, pass or fail (when
//! Chromium fails to start, the test's message shows the end of
//! chromedriver's log). One browser runs at a time in a test binary (the
//! machine may have two cores).
//!
//! The calls are blocking (a small runtime of its own) so that a test reads
//! as a person's steps. Every wait polls up to `WAIT`; nothing sleeps a
//! fixed time to synchronise.
//!
//! A test declares it beside `mod support;`, as
//! `#[path = "support/browser.rs"] mod browser;`: support/mod.rs leaves it
//! out because rulebook-cli's tests include that file too, and only this
//! crate has fantoccini (a dev-dependency).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long any wait polls before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often a wait polls.
const POLL: Duration = Duration::from_millis(50);

/// The variable that skips browser tests on purpose.
pub const SKIP_VARIABLE: &str = "RULEBOOK_SKIP_BROWSER";

/// Chromium's switches: headless, and nothing that reaches for the network
/// (the network here is closed; without these Chromium hangs on it).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1024,900",
];

/// One browser at a time in a test binary.
static TURN: Mutex<()> = Mutex::new(());

/// A fresh folder for one browser's profile and chromedriver's log,
/// removed when dropped.
fn fresh_folder() -> TempDir {
    tempfile::Builder::new()
        .prefix("rulebook-browser-")
        .tempdir()
        .unwrap()
}

/// The end of chromedriver's log in `folder`, for a failure message: the
/// folder is removed when the test ends.
fn driver_log(folder: &Path) -> String {
    let log = folder.join("chromedriver.log");
    match std::fs::read_to_string(&log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        }
        Err(e) => format!("{}: {e}", log.display()),
    }
}

/// The two programs a browser test needs.
#[derive(Debug)]
pub struct Programs {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Finds `chromium` (or `chromium-browser`) and `chromedriver` in the
/// folders of `path` (a PATH value); the error says how to install them
/// or skip.
pub fn locate(path: &OsStr) -> Result<Programs, String> {
    let find = |names: &[&str]| {
        std::env::split_paths(path)
            .find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
    };
    let chromium = find(&["chromium", "chromium-browser"]);
    let chromedriver = find(&["chromedriver"]);
    let lacking = match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => {
            return Ok(Programs {
                chromium,
                chromedriver,
            })
        }
        (None, None) => "chromium and chromedriver are",
        (None, Some(_)) => "chromium is",
        (Some(_), None) => "chromedriver is",
    };
    Err(format!(
        "this test drives a real headless browser, and {lacking} not on the PATH. \
         Install them with `apt-get install chromium chromium-driver` (Debian), \
         or set {SKIP_VARIABLE}=1 to skip the browser tests explicitly"
    ))
}

/// Says on the test output, past the harness's capture, that `test` was
/// skipped on purpose.
fn say_skipped(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {SKIP_VARIABLE} is set, so no browser was started"
    );
}

/// A chromedriver process, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (taken and released: chromedriver binds it next).
fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// Starts chromedriver and waits until it listens; tries another port if
/// the chosen one was taken in between.
fn start_driver(programs: &Programs, folder: &Path) -> Driver {
    let log = folder.join("chromedriver.log");
    for _ in 0..3 {
        let port = free_port();
        let child = Command::new(&programs.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", programs.chromedriver.display()));
        let mut driver = Driver { child, port };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if TcpStream::connect_timeout(&addr, POLL).is_ok() {
                return driver;
            }
            if let Ok(Some(_)) = driver.child.try_wait() {
                break; // the port was taken, or it could not start
            }
            std::thread::sleep(POLL);
        }
        drop(driver);
    }
    panic!(
        "chromedriver did not start listening; the end of its log:\n{}",
        driver_log(folder)
    );
}

/// A headless Chromium with one page, driven as a person would.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Option<Driver>,
    /// Removed after `drop` has stopped Chromium and chromedriver.
    folder: TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// A new browser for `test`, or `None` when browser tests are skipped
    /// on purpose (it says so). Fails the test when Chromium is missing.
    pub fn start(test: &str) -> Option<Browser> {
        if std::env::var_os(SKIP_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0") {
            say_skipped(test);
            return None;
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let programs = locate(&path).unwrap_or_else(|e| panic!("{e}"));
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let folder = fresh_folder();
        let profile = folder.path().join("profile");
        std::fs::create_dir_all(&profile).unwrap();
        let driver = start_driver(&programs, folder.path());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": programs.chromium, "args": args }),
        );
        let url = format!("http://127.0.0.1:{}", driver.port);
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let connect = builder.connect(&url);
        let client = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), connect).await })
            .unwrap_or_else(|_| {
                panic!(
                    "Chromium did not start within 60 s; the end of chromedriver's log:\n{}",
                    driver_log(folder.path())
                )
            })
            .unwrap_or_else(|e| {
                panic!(
                    "Chromium could not be started: {e}; the end of chromedriver's log:\n{}",
                    driver_log(folder.path())
                )
            });
        Some(Browser {
            runtime,
            client: Some(client),
            driver: Some(driver),
            folder,
            _turn: turn,
        })
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.runtime
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// Runs `script` (a function body: `return ...`) in the page, with
    /// `arguments[0]`, ... from `args`, and answers what it returned.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client().execute(script, args))
            .unwrap_or_else(|e| panic!("running {script:?}: {e}"))
    }

    /// Polls `script` (as `js`) until it returns something other than
    /// false, null, "" or 0, and answers that; fails the test after `WAIT`,
    /// saying `what` was awaited and what the script last returned.
    pub fn wait_until(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let start = Instant::now();
        loop {
            let got = self.js(script, args.clone());
            let truthy = match &got {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return got;
            }
            assert!(
                start.elapsed() < WAIT,
                "waited {WAIT:?} for {what}; last got {got}; the page's text: {}",
                self.text("body")
            );
            std::thread::sleep(POLL);
        }
    }

    /// The element `css` finds, waiting for it to be there and shown.
    fn visible(&self, css: &str) -> Element {
        let start = Instant::now();
        loop {
            let found = self.runtime.block_on(async {
                let e = self.client().find(Locator::Css(css)).await.ok()?;
                e.is_displayed().await.ok()?.then_some(e)
            });
            if let Some(e) = found {
                return e;
            }
            assert!(
                start.elapsed() < WAIT,
                "waited {WAIT:?} for a visible {css:?}; the page's text: {}",
                self.text("body")
            );
            std::thread::sleep(POLL);
        }
    }

    /// Clicks the element `css` finds, once it is shown.
    pub fn click(&self, css: &str) {
        let e = self.visible(css);
        self.runtime
            .block_on(e.click())
            .unwrap_or_else(|e| panic!("clicking {css:?}: {e}"));
    }

    /// Types `keys` into the element `css` finds, as from a keyboard
    /// (`"\u{E007}"` is Enter).
    pub fn type_into(&self, css: &str, keys: &str) {
        let e = self.visible(css);
        self.runtime
            .block_on(e.send_keys(keys))
            .unwrap_or_else(|e| panic!("typing {keys:?} into {css:?}: {e}"));
    }

    /// Types the date `date` ("YYYY-MM-DD") into the date input `css` as a
    /// person would: day, month and year in the order this browser's
    /// language shows them; checks the input then holds that date.
    pub fn type_date(&self, css: &str, date: &str) {
        let order = self.js(
            "return new Intl.DateTimeFormat(navigator.language)
               .formatToParts(new Date(2000, 10, 22))
               .filter(function (p) { return p.type !== 'literal'; })
               .map(function (p) { return p.type; });",
            vec![],
        );
        let mut parts = date.split('-');
        let (year, month, day) = (parts.next(), parts.next(), parts.next());
        let keys: String = order
            .as_array()
            .unwrap()
            .iter()
            .map(|p| match p.as_str() {
                Some("year") => year,
                Some("month") => month,
                Some("day") => day,
                _ => None,
            })
            .map(|p| p.unwrap_or_else(|| panic!("{date:?} is not YYYY-MM-DD ({order})")))
            .collect();
        self.type_into(css, &keys);
        let value = self.js(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(css)],
        );
        assert_eq!(value, json!(date), "typed {keys:?} into {css:?} ({order})");
    }

    /// Empties the field `css` finds.
    pub fn clear(&self, css: &str) {
        let e = self.visible(css);
        self.runtime
            .block_on(e.clear())
            .unwrap_or_else(|e| panic!("clearing {css:?}: {e}"));
    }

    /// The text a person sees in the first element `css` finds ("" when
    /// there is none).
    pub fn text(&self, css: &str) -> String {
        self.js(
            "var e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            vec![json!(css)],
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Saves a PNG of the page (for looking at a failure).
    pub fn screenshot(&self, to: &Path) {
        let png = self
            .runtime
            .block_on(self.client().screenshot())
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        std::fs::write(to, png).unwrap();
    }

    /// The folder of this browser's profile and chromedriver's log.
    pub fn folder(&self) -> &Path {
        self.folder.path()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // end the session (Chromium quits), then stop chromedriver
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        drop(self.driver.take());
        // then `folder` is removed, pass or fail
    }
}
