//! The fuzz targets (crates/rulebook-testing/src/fuzz.rs, run by cargo-fuzz from fuzz/) over
//! every file of their committed seed corpus (fuzz/seeds/rules/ for the two
//! rule-file targets, one copy; fuzz/seeds/eval_json/ for facts;
//! fuzz/seeds/random_policy/ for the random-policy target), so the
//! targets keep compiling and their properties keep holding on stable in
//! `cargo test`. Crashing inputs the fuzzer found are added to the seeds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_testing::fuzz;
use std::path::{Path, PathBuf};

fn seeds(corpus: &str) -> Vec<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fuzz/seeds")
        .join(corpus);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", dir.display());
    files
}

fn run(corpus: &str, f: fn(&[u8])) {
    for path in seeds(corpus) {
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| f(&data));
        if let Err(e) = result {
            let message = e
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| e.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("{corpus} seed failed: {}: {message}", path.display());
        }
    }
}

#[test]
fn parse_check_seeds() {
    run("rules", fuzz::parse_check);
}

#[test]
fn compile_validate_seeds() {
    run("rules", fuzz::compile_validate);
}

#[test]
fn random_policy_seeds() {
    run("random_policy", fuzz::random_policy);
}

#[test]
fn eval_json_seeds() {
    run("eval_json", fuzz::eval_json);
}
