//! Data-driven semantics cases: every tests/cases/*.test.yaml is a test
//! file in the runner's own format (docs/testing.md) that holds its policy
//! (`source:`), run through the runner on both engines. Every case must
//! pass on each, so the interpreter and the compiled module agree on them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::Engine;
use rulebook_testing::{self as testing, RunOptions};
use std::path::Path;

#[test]
fn semantic_cases_pass_on_both_engines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let files = testing::find_test_files(std::slice::from_ref(&root));
    assert!(
        files.len() >= 12,
        "case files under {}: {files:?}",
        root.display()
    );
    let (mut passed, mut failures) = (0, Vec::new());
    for engine in [Engine::Interpreter, Engine::Wasm] {
        let options = RunOptions {
            engine,
            ..RunOptions::default()
        };
        for file in &files {
            let report = match testing::run_file_with(file, &options) {
                Ok(report) => report,
                Err(e) => {
                    failures.push(e.to_string());
                    continue;
                }
            };
            assert!(!report.cases.is_empty(), "{} has no cases", file.display());
            for case in &report.cases {
                if case.passed() {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{}:{} {} ({engine:?}):\n    {}",
                        file.display(),
                        case.line,
                        case.name,
                        case.failures().join("\n    ")
                    ));
                }
            }
        }
    }
    eprintln!("{passed} cases passed, {} failed", failures.len());
    // every case of the corpus, on both engines (330 cases when converted)
    assert!(passed + failures.len() >= 2 * 330, "{passed} passed");
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
