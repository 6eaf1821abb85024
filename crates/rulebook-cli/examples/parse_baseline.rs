//! The baseline `rulebook batch` is measured against (docs/scale.md): the
//! same file read line by line and each line parsed by `serde_json` into a
//! `Value`, on one thread, doing nothing else. `rulebook batch --jobs 1`
//! parses, type-checks, evaluates and writes every record; its time over
//! this one is the cost of everything but reading JSON.
//!
//! `cargo run --release -p rulebook-cli --example parse_baseline -- FILE.jsonl`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: parse_baseline FILE.jsonl");
    let start = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let (mut records, mut objects) = (0u64, 0u64);
    for line in file.lines() {
        let line = line.unwrap();
        records += 1;
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&line) {
            objects += u64::from(!m.is_empty());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{records} lines ({objects} objects) parsed in {secs:.2} s ({:.0} records/s)",
        records as f64 / secs
    );
}
