//! Every docs file with a Rust snippet is compiled as this crate's
//! doctests: a new file with one must be added to `DOCS_WITH_RUST` (and
//! included in src/lib.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn every_docs_file_with_rust_is_compiled() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut with_rust = Vec::new();
    for entry in std::fs::read_dir(&docs).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // a ```rust block (blocks with no language are Rust too for
        // rustdoc: docs/ tags every block, so none is left to guess)
        let rust = text.lines().any(|l| {
            let fence = l.trim_start();
            fence.starts_with("```rust")
        });
        if rust {
            with_rust.push(name);
        }
    }
    with_rust.sort();
    assert!(with_rust.contains(&"embedding.md".to_string()));
    for name in &with_rust {
        assert!(
            rulebook_host_check::DOCS_WITH_RUST.contains(&name.as_str()),
            "docs/{name} has Rust snippets that no doctest compiles"
        );
        assert!(
            lib.contains(&format!("docs/{name}\")")),
            "src/lib.rs does not include docs/{name}"
        );
    }
}
