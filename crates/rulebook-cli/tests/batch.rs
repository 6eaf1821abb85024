//! `rulebook batch` as a user runs it (LANGUAGE.md section 14): JSONL and
//! CSV caseloads with bad records mixed in, every result row checked
//! against `rulebook eval` of the same record, rejects with their lines,
//! and the output byte-identical whatever `--jobs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::rulebook;

use serde_json::{json, Map, Value};
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

const AS_OF: &str = "2026-11-27";

/// A fresh folder of the calling test's own, removed when dropped.
fn dir() -> TempDir {
    common::temp_dir("batch")
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Facts for pension credit around the example, some left out.
fn person(rng: &mut Rng) -> Map<String, Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/pension_credit.example.json"
    ))
    .unwrap();
    let mut p: Map<String, Value> = serde_json::from_str(&text).unwrap();
    let pounds = rng.below(400);
    p.insert(
        "weekly_state_pension".into(),
        json!(format!("{pounds}.{:02}", rng.below(100))),
    );
    p.insert("capital".into(), json!(format!("{}.00", rng.below(30_000))));
    p.insert("has_partner".into(), json!(rng.below(2) == 0));
    p.insert(
        "date_of_birth".into(),
        json!(format!(
            "19{:02}-0{}-1{}",
            40 + rng.below(50),
            1 + rng.below(9),
            rng.below(10)
        )),
    );
    for k in ["in_great_britain", "is_carer", "capital"] {
        if rng.below(9) == 0 {
            p.remove(k);
        }
    }
    p
}

/// What `rulebook eval` decides for one record, as batch writes it.
fn expected(facts: &Map<String, Value>) -> Map<String, Value> {
    let out = rulebook(
        &[
            "eval",
            "rules/pension_credit.rules",
            "--as-of",
            AS_OF,
            "--compact",
        ],
        Value::Object(facts.clone()).to_string().as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut row = Map::new();
    for (name, d) in r["decisions"].as_object().unwrap() {
        row.insert(name.clone(), d["value"].clone());
        let missing = match d.get("missing") {
            Some(m) if d["value"].is_null() => m.to_string(),
            _ => String::new(),
        };
        row.insert(format!("{name}.missing"), json!(missing));
    }
    row
}

/// The records: good ones, with bad lines at known places.
fn caseload(n: usize) -> (Vec<Option<Map<String, Value>>>, Vec<String>) {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut records = Vec::new();
    let mut lines = Vec::new();
    for i in 0..n {
        match i % 37 {
            5 => {
                records.push(None);
                lines.push(r#"{"capital": "lots"}"#.to_string());
            }
            11 => {
                records.push(None);
                lines.push("not json at all".to_string());
            }
            _ => {
                let p = person(&mut rng);
                lines.push(Value::Object(p.clone()).to_string());
                records.push(Some(p));
            }
        }
    }
    (records, lines)
}

fn run_batch(input: &Path, extra: &[&str]) -> (Output, String, String) {
    // beside the input, in its test's own folder; named by the input and
    // the options, as a test may batch several inputs, each several ways
    let d = input.parent().unwrap();
    let stem = input.file_stem().unwrap().to_str().unwrap();
    let tag = format!("{stem}{}", extra.join("_").replace(['-', '/'], ""));
    let out = d.join(format!(
        "out{tag}.{}",
        input.extension().unwrap().to_str().unwrap()
    ));
    let rej = d.join(format!("rejects{tag}.jsonl"));
    let mut args = vec![
        "batch",
        "rules/pension_credit.rules",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--rejects",
        rej.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ];
    args.extend_from_slice(extra);
    let o = rulebook(&args, b"");
    let output = std::fs::read_to_string(&out).unwrap_or_default();
    let rejects = std::fs::read_to_string(&rej).unwrap_or_default();
    (o, output, rejects)
}

fn check_rejects(rejects: &str, records: &[Option<Map<String, Value>>]) {
    let bad: Vec<u64> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let got: Vec<Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        got.iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        bad
    );
    for r in &got {
        assert!(!r["error"].as_str().unwrap().is_empty());
    }
}

#[test]
fn jsonl_rows_equal_eval_record_by_record_and_bad_lines_go_to_rejects() {
    let (records, lines) = caseload(120);
    let tmp = dir();
    let input = tmp.path().join("cases.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (o, output, rejects) = run_batch(&input, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<Map<String, Value>> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let good: Vec<(usize, &Map<String, Value>)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| (i, r)))
        .collect();
    assert_eq!(rows.len(), good.len());
    for (row, (i, facts)) in rows.iter().zip(&good) {
        let mut want = expected(facts);
        want.insert("line".into(), json!(i + 1));
        let mut got = row.clone();
        got.sort_keys();
        want.sort_keys();
        assert_eq!(got, want, "line {}", i + 1);
    }
    check_rejects(&rejects, &records);
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains(&format!(
            "120 records: {} evaluated, {} rejected",
            good.len(),
            120 - good.len()
        )),
        "{summary}"
    );
    assert!(summary.contains("records/s"), "{summary}");
    assert!(summary.contains("eligible: false"), "{summary}");
}

#[test]
fn the_output_is_byte_identical_whatever_the_number_of_jobs() {
    let (_, lines) = caseload(20_000);
    let tmp = dir();
    let input = tmp.path().join("many.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (a, out1, rej1) = run_batch(&input, &["--jobs", "1"]);
    let (b, out2, rej2) = run_batch(&input, &["--jobs", "2"]);
    let (c, out3, rej3) = run_batch(&input, &["--jobs", "3"]);
    for o in [&a, &b, &c] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(out1.lines().count(), 20_000 - rej1.lines().count());
    assert!(out1 == out2 && out2 == out3, "outputs differ with --jobs");
    assert!(rej1 == rej2 && rej2 == rej3, "rejects differ with --jobs");
}

/// Pension credit's inputs, as CSV columns.
const COLUMNS: [&str; 12] = [
    "date_of_birth",
    "has_partner",
    "partner_date_of_birth",
    "in_great_britain",
    "habitually_resident",
    "subject_to_immigration_control",
    "severely_disabled",
    "is_carer",
    "weekly_state_pension",
    "monthly_occupational_pension",
    "weekly_earnings",
    "capital",
];

/// The CSV cell of fact `name` of a JSON record: its text, empty if absent.
fn cell(record: &Map<String, Value>, name: &str) -> String {
    match record.get(name) {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

#[test]
fn csv_in_csv_out_with_empty_cells_unknown_and_short_rows_rejected() {
    let (records, _) = caseload(80);
    // pension credit's inputs, and a column the policy does not declare
    let names: Vec<&str> = COLUMNS.into_iter().chain(["notes"]).collect();
    let mut text = names.join(",") + "\n";
    for (i, r) in records.iter().enumerate() {
        match r {
            None if i % 37 == 5 => text.push_str("1950-01-01,true\n"),
            None => text.push_str("1950-01-01,true,,yes,true,false,false,false,1.00,,0,lots,\n"),
            Some(r) => {
                let cells: Vec<String> = names.iter().map(|n| cell(r, n)).collect();
                text.push_str(&(cells.join(",") + "\n"));
            }
        }
    }
    let tmp = dir();
    let input = tmp.path().join("cases.csv");
    std::fs::write(&input, text).unwrap();
    let (o, output, rejects) = run_batch(&input, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("column `notes` is not an input of policy pension_credit"),
        "{stderr}"
    );
    let mut csv = csv::Reader::from_reader(output.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "line");
    assert_eq!(header[1], "appropriate_minimum_guarantee");
    assert_eq!(header[2], "appropriate_minimum_guarantee.missing");
    let good: Vec<(usize, &Map<String, Value>)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| (i, r)))
        .collect();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), good.len());
    for (row, (i, facts)) in rows.iter().zip(&good) {
        let want = expected(facts);
        assert_eq!(&row[0], (i + 1).to_string(), "line");
        for (k, name) in header.iter().enumerate().skip(1) {
            let cell = &row[k];
            let want_cell = match &want[name] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            assert_eq!(cell, want_cell, "line {} {name}", i + 1);
        }
    }
    check_rejects(&rejects, &records);
    assert!(
        rejects.contains("the row has 2 cells; the header has 13"),
        "{rejects}"
    );
}

#[test]
fn a_file_that_cannot_be_used_is_one_clear_error() {
    let tmp = dir();
    let d = tmp.path();
    let odd = d.join("cases.txt");
    std::fs::write(&odd, "{}\n").unwrap();
    let o = rulebook(
        &[
            "batch",
            "rules/pension_credit.rules",
            "--input",
            odd.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format"));
    let o = rulebook(
        &[
            "batch",
            "rules/pension_credit.rules",
            "--input",
            "/nonexistent/x.jsonl",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/x.jsonl"));
    let dup = d.join("dup.csv");
    std::fs::write(&dup, "capital,capital\n1,2\n").unwrap();
    let o = rulebook(
        &[
            "batch",
            "rules/pension_credit.rules",
            "--input",
            dup.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("names `capital` twice"));
    // --format says what the name does not
    let o = rulebook(
        &[
            "batch",
            "rules/pension_credit.rules",
            "--input",
            odd.to_str().unwrap(),
            "--format",
            "jsonl",
            "--as-of",
            AS_OF,
        ],
        b"",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("{\"line\":1,"));
}

/// A CSV cell as written by a careful tool: quoted, quotes doubled.
fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

#[test]
fn csv_quoted_cells_with_commas_quotes_and_line_breaks_read_alike_on_every_job_count() {
    // more rows than a chunk holds, so that two jobs share them
    let n = 10_000;
    let names = COLUMNS;
    let mut rng = Rng(0x0BAD_CAFE_1234_5678);
    // the same rows twice: with a `notes` column of awkward quoted text
    // (ignored: not an input), and without it
    let mut noted = names.join(",") + ",notes\n";
    let mut plain = names.join(",") + "\n";
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for i in 0..n {
        let row = i as u64 + 1;
        let end = if i % 7 == 0 { "\r\n" } else { "\n" };
        let note = match i % 5 {
            0 => quoted("a note, with a comma"),
            1 => quoted("two\nlines, \"quoted\",\r\nand a third"),
            2 => quoted(""),
            3 => "plain".to_string(),
            _ => quoted("\n,\"\n"),
        };
        if i % 101 == 50 {
            // too few cells, the second quoted over a line break
            let cells = format!("1950-01-01,{}", quoted("x\ny"));
            noted.push_str(&format!("{cells}{end}"));
            plain.push_str(&format!("{cells}{end}"));
            bad.push(row);
            continue;
        }
        let mut p = person(&mut rng);
        if i % 103 == 20 {
            p.insert("capital".into(), json!("lots"));
            bad.push(row);
        } else {
            good.push(row);
        }
        let cells: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let cell = cell(&p, name);
                // some cells quoted though they need not be
                if (i + k) % 3 == 0 {
                    quoted(&cell)
                } else {
                    cell
                }
            })
            .collect();
        let cells = cells.join(",");
        noted.push_str(&format!("{cells},{note}"));
        plain.push_str(&cells);
        // the last row ends without a line break
        if i + 1 < n {
            noted.push_str(end);
            plain.push_str(end);
        }
    }
    let tmp = dir();
    let d = tmp.path();
    let (noted_path, plain_path) = (d.join("noted.csv"), d.join("plain.csv"));
    std::fs::write(&noted_path, &noted).unwrap();
    std::fs::write(&plain_path, &plain).unwrap();
    let (a, out1, rej1) = run_batch(&noted_path, &["--jobs", "1"]);
    let (b, out2, rej2) = run_batch(&noted_path, &["--jobs", "2"]);
    let (c, out_plain, rej_plain) = run_batch(&plain_path, &["--jobs", "2"]);
    for o in [&a, &b, &c] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(out1 == out2, "outputs differ with --jobs");
    assert!(rej1 == rej2, "rejects differ with --jobs");
    assert!(out1 == out_plain, "the notes column changed the output");
    let lines = |text: &str| -> Vec<u64> {
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        rows.records()
            .map(|r| r.unwrap()[0].parse().unwrap())
            .collect()
    };
    assert_eq!(lines(&out1), good);
    let rejected = |text: &str| -> Vec<u64> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["line"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(rejected(&rej1), bad);
    assert_eq!(rejected(&rej_plain), bad);
    assert!(
        rej1.contains("the row has 2 cells; the header has 13"),
        "{rej1}"
    );
    assert!(rej1.contains("input error at capital"), "{rej1}");
}

#[test]
fn a_jsonl_line_that_is_not_text_is_a_reject_with_its_line() {
    let (_, lines) = caseload(3);
    let mut text = Vec::new();
    text.extend_from_slice(lines[0].as_bytes());
    text.extend_from_slice(b"\n{\"capital\": \"\xff\"}\n\n");
    text.extend_from_slice(lines[2].as_bytes());
    let tmp = dir();
    let input = tmp.path().join("latin1.jsonl");
    std::fs::write(&input, text).unwrap();
    let (o, output, rejects) = run_batch(&input, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<u64> = output
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(rows, [1, 4]);
    assert!(
        rejects.starts_with("{\"line\":2,\"error\":\"the line is not UTF-8 text"),
        "{rejects}"
    );
    assert_eq!(rejects.lines().count(), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_that_cannot_be_written_stops_the_run_with_one_error() {
    let (_, lines) = caseload(20_000);
    let tmp = dir();
    let input = tmp.path().join("full.jsonl");
    let text = lines.join("\n") + "\n";
    std::fs::write(&input, text.repeat(2)).unwrap();
    for jobs in ["1", "2"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .args([
                "batch",
                "rules/pension_credit.rules",
                "--input",
                input.to_str().unwrap(),
                "--output",
                "/dev/full",
                "--rejects",
                "/dev/null",
                "--as-of",
                AS_OF,
                "--jobs",
                jobs,
            ])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // the reader and the workers stop too: the process ends
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("--jobs {jobs}: still running a minute after the output failed");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "--jobs {jobs}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: output: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
