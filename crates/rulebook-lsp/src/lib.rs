//! The Rulebook language server: LSP 3.17 over standard input and output,
//! started by `rulebook lsp` (docs/editors.md).
//!
//! A synchronous loop over `lsp-server`'s channels: one editor, one thread,
//! no async runtime. Every answer comes from the core's analysis of the
//! document's current text (`rulebook::__private::analysis`: diagnostics of
//! `check` and `lint`, outline, hover, definitions, references,
//! completion) and its formatter; this crate only translates between byte
//! offsets and LSP positions (UTF-16) and between the core's answers and
//! LSP messages. Edits that arrive together are applied before the
//! document is analysed again, so that typing fast costs one analysis.

mod convert;
mod server;

use lsp_server::Connection;

/// Why the server stopped other than by `shutdown` and `exit`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LspError {
    /// The client broke the protocol (no `initialize` first, a message
    /// that is not JSON-RPC).
    #[error("protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// Reading standard input or writing standard output failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode a message: {0}")]
    Json(#[from] serde_json::Error),
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown`, then `exit`.
    Shutdown,
    /// `exit` without `shutdown` first, or the input closed: the LSP
    /// specification's exit code 1.
    Abruptly,
}

/// Serves one editor over standard input and output until it exits.
pub fn run_stdio() -> Result<Ended, LspError> {
    let (connection, io_threads) = Connection::stdio();
    let ended = run(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(ended)
}

/// Serves one client over `connection` (stdio, or in memory for tests).
pub fn run(connection: &Connection) -> Result<Ended, LspError> {
    let (id, params) = connection.initialize_start()?;
    let params: lsp_types::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let result = serde_json::json!({
        "capabilities": server::capabilities(),
        "serverInfo": { "name": "rulebook", "version": env!("CARGO_PKG_VERSION") },
    });
    // answered here rather than by `initialize_finish`, which ends the
    // session when a client sends anything before `initialized`; that
    // notification is simply ignored when it comes
    connection
        .sender
        .send(lsp_server::Response::new_ok(id, result).into())
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client's channel is closed",
            )
        })?;
    server::Server::new(connection, params).serve()
}
