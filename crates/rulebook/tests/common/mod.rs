//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::Policy;
use std::path::Path;

/// A small xorshift generator: the rows are the same every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every shipped policy (`rules/*.rules`) and every policy of the
/// data-driven cases (`crates/rulebook-testing/tests/cases/*.test.yaml`,
/// under `source:`), in file name order.
pub fn all_policies() -> Vec<Policy> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut out = Vec::new();
    let cases = "crates/rulebook-testing/tests/cases";
    for dir in ["rules", cases] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for p in files {
            match p.extension().and_then(|x| x.to_str()) {
                Some("rules") => out.push(Policy::from_file(&p).unwrap()),
                Some("yaml") if dir == cases => {
                    let doc: serde_yaml::Value =
                        serde_yaml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                    let src = doc["source"].as_str().unwrap();
                    out.push(Policy::from_source(&p.display().to_string(), src).unwrap());
                }
                _ => {}
            }
        }
    }
    out
}
