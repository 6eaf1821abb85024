//! `rulebook fmt [--check] PATH...` (LANGUAGE.md section 16): rewrites
//! rule files in the core's canonical layout. A file that does not compile
//! is reported with its diagnostics and left as it is. With `--check`
//! nothing is written: the files that would change are listed on stdout
//! and the exit code is 1 when there is any.

use rulebook::FormatError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(paths: &[PathBuf], check: bool) -> ExitCode {
    let (files, mut failed) = match super::rule_files_of(paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut changed = 0usize;
    for f in &files {
        match format_file(f, check) {
            Ok(false) => {}
            Ok(true) => {
                changed += 1;
                println!("{}", f.display());
            }
            Err(message) => {
                failed = true;
                eprint!("{message}");
            }
        }
    }
    let n = files.len();
    let files_word = if n == 1 { "file" } else { "files" };
    let summary = match (check, changed) {
        (true, 0) => "all formatted".to_string(),
        (true, c) => format!("{c} would be reformatted"),
        (false, 0) => "nothing to change".to_string(),
        (false, c) => format!("{c} reformatted"),
    };
    eprintln!("formatted {n} {files_word}: {summary}");
    if failed || (check && changed > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats one file: whether its text changes (and, unless `check`, was
/// rewritten), or the message saying why it was left as it is.
fn format_file(path: &Path, check: bool) -> Result<bool, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("error: {name}: {e}\n"))?;
    let Ok(source) = std::str::from_utf8(&bytes) else {
        // the compiler's own diagnostic says where the text stops being UTF-8
        return Err(match rulebook::Policy::from_bytes(&name, &bytes) {
            Err(e) => e.render(),
            Ok(_) => format!("error: {name}: the file is not valid UTF-8 text\n"),
        });
    };
    let formatted = rulebook::format_source(&name, source).map_err(|e| match e {
        FormatError::Compile(e) => e.render(),
        e => format!("error: {e}\n"),
    })?;
    if formatted == source {
        return Ok(false);
    }
    if !check {
        write_over(path, formatted.as_bytes()).map_err(|e| format!("error: {name}: {e}\n"))?;
    }
    Ok(true)
}

/// Replaces a file's contents: written beside it and renamed over it, so
/// that the file is never half written, with the original's permissions.
fn write_over(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.fmt-{}", std::process::id()));
    let result = std::fs::write(&temp, bytes)
        .and_then(|()| {
            let permissions = std::fs::metadata(path)?.permissions();
            std::fs::set_permissions(&temp, permissions)
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
