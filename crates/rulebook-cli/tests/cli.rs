//! The command line as a user runs it: exit codes, stdout JSON, stderr
//! messages (docs/language.md section 18), and hostile inputs that must never crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Output;
use tempfile::TempDir;

mod common;

/// `rulebook ARGS...`, with `stdin` as standard input (none: empty).
fn rulebook(args: &[&str], stdin: Option<&[u8]>) -> Output {
    common::rulebook(args, stdin.unwrap_or(b""))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder of its own (removed when the `TempDir` is dropped) holding the
/// file `name` with `bytes`, and the file's path.
fn temp_file(name: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = common::temp_dir("cli");
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

const ADULT: &str = "policy adult\ninput {\n  age: int\n  children: list of { age: int }\n}\ndecision adult: bool\n  require age >= 18 because \"Must be 18\"\ndecision ratio: decimal = 1 / age\n";

#[test]
fn check_accepts_the_shipped_policies() {
    let o = rulebook(&["check", "rules"], None);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn check_reports_located_errors_with_source_and_caret() {
    let (_dir, p) = temp_file(
        "bad.rules",
        b"policy t\ninput { age: int }\ndecision d: bool = agee > 1\n",
    );
    let o = rulebook(&["check", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let first = err.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}:3:20: error: unknown name `agee`; did you mean `age`?",
            p.display()
        )
    );
    assert!(err.contains("3 | decision d: bool = agee > 1"), "{err}");
    assert!(err.contains("  |                    ^^^^"), "{err}");
}

#[test]
fn eval_prints_decisions_and_exits_zero_even_when_unknown() {
    let (_dir, p) = temp_file("adult.rules", ADULT.as_bytes());
    let o = rulebook(
        &["eval", p.to_str().unwrap(), "--as-of", "2026-01-01"],
        Some(b"{}"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["decisions"]["adult"]["value"], serde_json::Value::Null);
    assert_eq!(out["missing"], serde_json::json!(["age"]));
    assert_eq!(out["as_of"], "2026-01-01");
}

#[test]
fn eval_input_error_names_the_field_path() {
    let (_dir, p) = temp_file("adult2.rules", ADULT.as_bytes());
    let (_facts_dir, facts) = temp_file(
        "facts.json",
        br#"{"age": 20, "children": [{"age": 1}, {"age": "five"}]}"#,
    );
    let o = rulebook(
        &[
            "eval",
            p.to_str().unwrap(),
            "--input",
            facts.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("children[1].age"), "{err}");
    assert!(err.contains("\"five\""), "{err}");
    assert!(err.contains("int"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn eval_division_by_zero_is_an_evaluation_error() {
    let (_dir, p) = temp_file("adult3.rules", ADULT.as_bytes());
    let o = rulebook(&["eval", p.to_str().unwrap()], Some(br#"{"age": 0}"#));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("division by zero"), "{}", stderr(&o));
}

#[test]
fn eval_rejects_bad_json_and_bad_dates_without_crashing() {
    let (_dir, p) = temp_file("adult4.rules", ADULT.as_bytes());
    for (args, stdin) in [
        (vec!["eval", p.to_str().unwrap()], &b"{not json"[..]),
        (vec!["eval", p.to_str().unwrap()], &b"[1, 2]"[..]),
        (vec!["eval", p.to_str().unwrap()], &b"\xff\xfe"[..]),
        (
            vec!["eval", p.to_str().unwrap(), "--as-of", "2026-02-30"],
            &b"{}"[..],
        ),
        (vec!["eval", "/nonexistent/x.rules"], &b"{}"[..]),
    ] {
        let o = rulebook(&args, Some(stdin));
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("error"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn hostile_rule_files_get_diagnostics_not_crashes() {
    let deep_parens = format!(
        "policy p\ninput {{ a: int }}\ndefine x: int = {}a{}\n",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    let deep_not = format!(
        "policy p\ninput {{ a: bool }}\ndecision x: bool = {}a\n",
        "not ".repeat(20_000)
    );
    let long_sum = format!(
        "policy p\ninput {{ a: int }}\ndefine x: int = a{}\n",
        " + a".repeat(20_000)
    );
    let deep_if = format!(
        "policy p\ninput {{ a: int }}\ndefine x: int = {} 0\n",
        "if a > 0 then 1 else ".repeat(20_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("comments_only", b"# nothing here\n".to_vec()),
        (
            "invalid_utf8",
            b"policy p\ninput { a: int }\n\xff\xfe\n".to_vec(),
        ),
        ("deep_parens", deep_parens.into_bytes()),
        ("deep_not", deep_not.into_bytes()),
        ("long_sum", long_sum.into_bytes()),
        ("deep_if", deep_if.into_bytes()),
        ("nul", b"policy p\0\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let (_dir, p) = temp_file(&format!("{name}.rules"), &bytes);
        let o = rulebook(&["check", p.to_str().unwrap()], None);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("{}:", p.display())) && err.contains(": error: "),
            "{name}: {err}"
        );
    }
}

#[test]
fn test_command_ends_with_the_counts_line() {
    let o = rulebook(&["test", "rules"], None);
    let out = String::from_utf8_lossy(&o.stdout);
    let last = out.lines().last().unwrap_or("");
    assert!(last.ends_with(" failed"), "{out}");
    assert!(last.contains(" passed, "), "{out}");
    assert!(o.status.success(), "{out}");
}

#[test]
fn test_command_fails_on_a_wrong_expectation() {
    let tmp = common::temp_dir("cli-t");
    let dir = tmp.path();
    std::fs::write(dir.join("adult.rules"), ADULT).unwrap();
    std::fs::write(
        dir.join("adult.test.yaml"),
        "cases:\n  - name: sixteen\n    as_of: 2026-01-01\n    input: { age: 16 }\n    expect: { adult: true }\n",
    )
    .unwrap();
    let o = rulebook(&["test", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("sixteen"), "{out}");
    assert!(out.trim_end().ends_with("0 passed, 1 failed"), "{out}");
}

#[test]
fn compile_then_eval_the_module_without_its_source() {
    let dir = common::temp_dir("cli-w");
    let wasm = dir.path().join("pc.wasm");
    let o = rulebook(
        &[
            "compile",
            "rules/pension_credit.rules",
            "-o",
            wasm.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&wasm).unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    let facts = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/pension_credit.example.json"
    ))
    .unwrap();
    let mut outputs = Vec::new();
    for args in [
        vec![
            "eval",
            "rules/pension_credit.rules",
            "--as-of",
            "2026-11-27",
        ],
        vec![
            "eval",
            "rules/pension_credit.rules",
            "--engine",
            "interp",
            "--as-of",
            "2026-11-27",
        ],
        vec![
            "eval",
            "--wasm",
            wasm.to_str().unwrap(),
            "--as-of",
            "2026-11-27",
        ],
    ] {
        let o = rulebook(&args, Some(&facts));
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        outputs.push(serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    // the module is identified by its own bytes, not by the source hash it carries
    assert_eq!(outputs[2]["hash"], rulebook::sha256_hex(&bytes));
    outputs[2]["hash"] = outputs[0]["hash"].clone();
    assert_eq!(outputs[0], outputs[2]);
}

#[test]
fn eval_refuses_a_file_that_is_not_a_policy_module() {
    let (_dir, p) = temp_file("junk.wasm", b"\0asm\x01\0\0\0");
    let o = rulebook(&["eval", "--wasm", p.to_str().unwrap()], Some(b"{}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a Rulebook policy module"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compile_writes_a_loadable_module_for_thousands_of_requires() {
    // more requires than one function had locals for before issue 25
    let mut source = String::from("policy big\ninput { a: int }\ndecision ok: bool\n");
    for i in 0..3000 {
        source.push_str(&format!("  require a != {i}\n"));
    }
    let (_rules_dir, rules) = temp_file("big.rules", source.as_bytes());
    let out = rules.with_file_name("big.wasm");
    let _ = std::fs::remove_file(&out);
    let o = rulebook(
        &[
            "compile",
            rules.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (_facts_dir, facts) = temp_file("big.json", br#"{"a": 2999}"#);
    let o = rulebook(
        &[
            "eval",
            "--wasm",
            out.to_str().unwrap(),
            "--input",
            facts.to_str().unwrap(),
            "--as-of",
            "2026-01-01",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decisions"]["ok"]["value"], false, "{stdout}");
    // only the last require fails: its reason bit is in the last word
    assert_eq!(v["decisions"]["ok"]["reasons"][0]["line"], 3003, "{stdout}");
    assert_eq!(
        v["decisions"]["ok"]["reasons"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn compile_refuses_by_name_a_decision_too_large_for_one_function() {
    let items: Vec<String> = (0..30_000).map(|i| format!("a + {i}")).collect();
    let source = format!(
        "policy huge\ninput {{ a: int }}\ndecision d: bool = a in [{}]\n",
        items.join(", ")
    );
    let (_rules_dir, rules) = temp_file("huge.rules", source.as_bytes());
    let out = rules.with_file_name("huge.wasm");
    let _ = std::fs::remove_file(&out);
    let o = rulebook(
        &[
            "compile",
            rules.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("huge.rules:3:10: error: decision `d` is too large to compile"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn log_repair_cuts_a_torn_tail_and_verify_takes_a_key_file() {
    use rulebook_serve::decision_log::{DecisionLog, Entry, LogOptions};
    let tmp = common::temp_dir("cli-log");
    let dir = tmp.path();
    let key_file = dir.join("log.key");
    std::fs::write(&key_file, b"0123456789abcdef0123\n").unwrap();
    let path = dir.join("decisions.jsonl");
    let log = DecisionLog::open_with(
        &path,
        LogOptions {
            chain_key: Some(b"0123456789abcdef0123".to_vec()),
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..3 {
        let facts = format!(r#"{{"age":{i}}}"#);
        log.submit(Entry {
            policy: "adult",
            hash: "h",
            as_of: "2026-01-01",
            facts: &facts,
            result: "{}",
        })
        .unwrap()
        .wait()
        .unwrap();
    }
    drop(log);
    let good = std::fs::read(&path).unwrap();
    let (p, k) = (path.to_str().unwrap(), key_file.to_str().unwrap());

    let o = rulebook(&["log", "verify", p, "--key-file", k], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("decision log ok: 3 entries (3 decisions, 0 events) in 1 file"),
        "{out}"
    );
    // Without the key: refused, saying why.
    let o = rulebook(&["log", "verify", p], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is keyed"), "{}", stderr(&o));
    // A short or empty key file is refused.
    let short = dir.join("short.key");
    std::fs::write(&short, b"too short\n").unwrap();
    let o = rulebook(
        &["log", "verify", p, "--key-file", short.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("at least 16 bytes"), "{}", stderr(&o));
    let empty = dir.join("empty.key");
    std::fs::write(&empty, b"\n").unwrap();
    let o = rulebook(
        &["log", "verify", p, "--key-file", empty.to_str().unwrap()],
        None,
    );
    assert!(
        stderr(&o).contains("the key file is empty"),
        "{}",
        stderr(&o)
    );

    // Nothing to repair.
    let o = rulebook(&["log", "repair", p, "--key-file", k], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to repair"));

    // A torn write: repair cuts exactly it and says what it cut.
    let mut bytes = good.clone();
    bytes.extend_from_slice(b"{\"seq\":3,\"prev\"");
    std::fs::write(&path, &bytes).unwrap();
    let o = rulebook(&["log", "repair", p, "--key-file", k], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("cut 15 bytes at byte offset {}", good.len()))
            && out.contains(r#"cut text: "{\"seq\":3,\"prev\"""#),
        "{out}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), good);
    let o = rulebook(&["log", "verify", p, "--key-file", k], None);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn eval_reports_a_fact_given_twice_with_exit_code_1() {
    let tmp = common::temp_dir("dup-keys");
    let dir = tmp.path();
    let rules = dir.join("t.rules");
    let facts = dir.join("facts.json");
    std::fs::write(
        &rules,
        "policy t\ninput {\n  age: int\n  children: list of { age: int }\n}\ndecision adult: bool = age >= 18\n",
    )
    .unwrap();
    std::fs::write(&facts, r#"{"age": 40, "children": [{"age": 5, "age": 6}]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(["eval", rules.to_str().unwrap(), "--input"])
        .arg(&facts)
        .args(["--as-of", "2026-01-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains(
            "input error at children[0].age: the field is given twice in one object (again as 6); give each field once"
        ),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_is_named_with_its_cause() {
    let out = rulebook(
        &["eval", "no/such/policy.rules", "--as-of", "2026-01-01"],
        Some(b"{}"),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // the message once, then the io::Error that caused it
    assert!(
        err.starts_with("error: cannot read no/such/policy.rules: "),
        "{err}"
    );
    assert_eq!(err.matches("cannot read").count(), 1, "{err}");
}

/// A reader that stops early (`rulebook eval ... | head`) ends the command
/// quietly, as SIGPIPE ends other command-line tools: no panic about a
/// failed write, no error message.
#[cfg(unix)]
#[test]
fn output_closed_early_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    for args in [
        &[
            "eval",
            "rules/pension_credit.rules",
            "--input",
            "rules/pension_credit.example.json",
            "--as-of",
            "2026-11-27",
        ][..],
        &[
            "explain",
            "rules/pension_credit.rules",
            "--input",
            "rules/pension_credit.example.json",
            "--as-of",
            "2026-11-27",
        ][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .args(args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // the reader goes away before the command has written anything
        // (it compiles the policy first)
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{args:?}: {:?}",
            out.status
        );
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}
