//! What the command-line tests share: running the `rulebook` binary from
//! the repository's root, as a user would, and a temporary folder per test
//! binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

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

/// A folder of this test binary's own under the system's temporary folder.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rulebook-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
