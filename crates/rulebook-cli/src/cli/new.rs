//! `rulebook new NAME`: a first policy to start from. Writes NAME.rules and
//! NAME.test.yaml from commented templates (src/cli/new/*.in, `{{NAME}}` replaced) that check, lint
//! clean, are formatted, and whose tests pass with full clause coverage.
//! Refuses to overwrite anything.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const POLICY: &str = include_str!("new/template.rules.in");
const TESTS: &str = include_str!("new/template.test.yaml.in");

pub fn run(name: &Path) -> ExitCode {
    match write(name) {
        Ok((policy, tests)) => {
            println!("wrote {} and {}", policy.display(), tests.display());
            println!("next:");
            println!("  rulebook test {}", tests.display());
            println!("  then change the policy, its cases and properties into your own");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the two files; their paths, or why nothing was written.
fn write(name: &Path) -> Result<(PathBuf, PathBuf), String> {
    let file_name = name
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file_name.strip_suffix(".rules").unwrap_or(&file_name);
    check_name(stem)?;
    // in the current folder when NAME has none (and shown without `./`)
    let dir = name.parent().unwrap_or_else(|| Path::new(""));
    let policy_path = dir.join(format!("{stem}.rules"));
    let tests_path = dir.join(format!("{stem}.test.yaml"));
    for p in [&policy_path, &tests_path] {
        if p.exists() {
            return Err(format!(
                "{} already exists: nothing written (choose another name, or move it away)",
                p.display()
            ));
        }
    }
    let policy = POLICY.replace("{{NAME}}", stem);
    let tests = TESTS.replace("{{NAME}}", stem);
    // the template compiles with any name that passes check_name; a name
    // it would not compile with is refused rather than written
    if let Err(e) = rulebook::Policy::from_source(&policy_path.display().to_string(), &policy) {
        let why = e
            .diagnostics
            .first()
            .map_or_else(String::new, |d| format!(": {}", d.message));
        return Err(format!("`{stem}` cannot name a policy{why}"));
    }
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    create_new(&policy_path, &policy)?;
    if let Err(e) = create_new(&tests_path, &tests) {
        // never leave half of the pair
        let _ = std::fs::remove_file(&policy_path);
        return Err(e);
    }
    Ok((policy_path, tests_path))
}

/// A policy name: a letter or `_`, then letters, digits and `_`.
fn check_name(stem: &str) -> Result<(), String> {
    let mut chars = stem.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{stem}` cannot name a policy: use letters, digits and `_`, starting with a letter \
             (for example `winter_support`)"
        ));
    }
    Ok(())
}

/// Writes a file that must not exist yet.
fn create_new(path: &Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
