//! What the command-line tests share: running the `rulebook` binary from
//! the repository's root, as a user would, and a temporary folder per test.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

/// `rulebook ARGS...` run from the repository's root with `stdin` as its
/// standard input.
pub fn rulebook(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // the process may exit before reading its input (a bad option, say)
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

/// A fresh, empty folder of the calling test's own, `rulebook-TAG-...`
/// under the system's temporary folder, removed when dropped: tests running
/// at once never share a file.
pub fn temp_dir(tag: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("rulebook-{tag}-"))
        .tempdir()
        .unwrap()
}
