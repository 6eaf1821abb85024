//! A host's view of Rulebook. This crate has no code of its own: its
//! doctests are the Rust snippets of docs/ (every file with one is
//! included below, and `tests/docs.rs` checks none is left out), and its
//! tests use the library as a service would, with its own serde types.

/// docs/embedding.md: every snippet compiles, and those not marked
/// `no_run` run.
#[doc = include_str!("../../../docs/embedding.md")]
pub mod embedding {}

/// The docs files whose Rust snippets are compiled here.
pub const DOCS_WITH_RUST: &[&str] = &["embedding.md"];
