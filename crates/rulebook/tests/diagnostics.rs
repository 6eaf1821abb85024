//! Diagnostic cases: each tests/diagnostics/NAME.rules is a broken policy whose
//! `# expect: LINE:COL text` (or `# expect: LINE text`) header lines name the
//! errors it must produce. The full rendered output is also compared with the
//! snapshot NAME.stderr; run with BLESS=1 to (re)write snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::__private::line_col;
use rulebook::Policy;
use std::path::Path;

struct Expected {
    line: usize,
    col: Option<usize>,
    text: String,
}

fn expectations(source: &str) -> Vec<Expected> {
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# expect:"))
        .map(|rest| {
            let rest = rest.trim();
            let (pos, text) = rest.split_once(' ').unwrap_or((rest, ""));
            let (line, col) = match pos.split_once(':') {
                Some((l, c)) => (l.parse().unwrap(), Some(c.parse().unwrap())),
                None => (pos.parse().unwrap(), None),
            };
            Expected {
                line,
                col,
                text: text.trim().to_lowercase(),
            }
        })
        .collect()
}

#[test]
fn broken_policies_get_located_diagnostics() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let dir = root.join("crates/rulebook/tests/diagnostics");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for file in &files {
        let label = format!(
            "tests/diagnostics/{}",
            file.file_name().unwrap().to_string_lossy()
        );
        let bytes = std::fs::read(file).unwrap();
        let source = String::from_utf8_lossy(&bytes).into_owned();
        let err = match Policy::from_bytes(&label, &bytes) {
            Ok(_) => {
                failures.push(format!("{label}: compiled, but errors were expected"));
                continue;
            }
            Err(e) => e,
        };
        let found: Vec<(usize, usize, String)> = err
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let (l, c) = line_col(&source, d.span.start);
                (l, c, d.message.to_lowercase())
            })
            .collect();
        for exp in expectations(&source) {
            let hit = found.iter().any(|(l, c, m)| {
                *l == exp.line && exp.col.is_none_or(|ec| ec == *c) && m.contains(&exp.text)
            });
            if !hit {
                failures.push(format!(
                    "{label}: expected an error at {}{} containing {:?}; got:\n{}",
                    exp.line,
                    exp.col.map(|c| format!(":{c}")).unwrap_or_default(),
                    exp.text,
                    err.render()
                ));
            }
        }
        let rendered = err.render();
        let snap = file.with_extension("stderr");
        if bless {
            std::fs::write(&snap, &rendered).unwrap();
        } else {
            match std::fs::read_to_string(&snap) {
                Ok(want) if want == rendered => {}
                Ok(want) => failures.push(format!(
                    "{label}: rendered diagnostics differ from {}\n--- want\n{want}--- got\n{rendered}",
                    snap.display()
                )),
                Err(_) => failures.push(format!(
                    "{label}: no snapshot {} (run with BLESS=1)",
                    snap.display()
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
