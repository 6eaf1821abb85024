//! Every shipped policy in rules/ compiles, and every case of its
//! NAME.test.yaml passes through the library's test runner.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook_testing as testing;
use std::path::Path;

#[test]
fn shipped_policies_pass_their_tests() {
    let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("rules");
    let files = testing::find_test_files(&[rules]);
    assert!(
        files.len() >= 3,
        "expected at least three test files, found {files:?}"
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    for f in &files {
        match testing::run_file(f) {
            Ok(report) => {
                assert!(!report.cases.is_empty(), "{} has no cases", f.display());
                for c in &report.cases {
                    if c.passed() {
                        passed += 1;
                    } else {
                        failures.push(format!(
                            "{}:{} {}\n    {}",
                            f.display(),
                            c.line,
                            c.name,
                            c.failures().join("\n    ")
                        ));
                    }
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    eprintln!("{passed} cases passed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
