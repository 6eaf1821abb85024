//! The message loop and one handler per LSP method.

use crate::convert::LineIndex;
use crate::{Ended, LspError};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use rulebook::__private::analysis::{self, Analysis, CompletionKind, OutlineItem, SymbolKind};
use rulebook::{Date, Severity};
use serde_json::Value;
use std::collections::HashMap;

/// What the server offers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), "[".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// An open document.
struct Document {
    text: String,
    version: i32,
    /// The analysis of `text`; None when it changed since.
    analysis: Option<Analysis>,
    /// Its diagnostics are to be published.
    dirty: bool,
}

pub struct Server<'a> {
    connection: &'a Connection,
    documents: HashMap<lsp::Uri, Document>,
    shutdown: bool,
}

/// A request's answer: its result, or an error code and message.
type Answer = Result<Value, (ErrorCode, String)>;

impl<'a> Server<'a> {
    pub fn new(connection: &'a Connection, _params: lsp::InitializeParams) -> Self {
        Server {
            connection,
            documents: HashMap::new(),
            shutdown: false,
        }
    }

    pub fn serve(mut self) -> Result<Ended, LspError> {
        loop {
            let Ok(first) = self.connection.receiver.recv() else {
                return Ok(Ended::Abruptly);
            };
            // take what has arrived together before analysing again
            let mut batch = vec![first];
            while let Ok(more) = self.connection.receiver.try_recv() {
                batch.push(more);
            }
            for message in batch {
                match message {
                    Message::Request(r) => self.request(r)?,
                    Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                        return Ok(if self.shutdown {
                            Ended::Shutdown
                        } else {
                            Ended::Abruptly
                        });
                    }
                    Message::Notification(n) => self.notification(n)?,
                    Message::Response(_) => {}
                }
            }
            self.publish()?;
        }
    }

    fn send(&self, message: impl Into<Message>) -> Result<(), LspError> {
        self.connection.sender.send(message.into()).map_err(|_| {
            LspError::Io(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client's channel is closed",
            ))
        })
    }

    /// Publishes the diagnostics of every document that changed.
    fn publish(&mut self) -> Result<(), LspError> {
        let dirty: Vec<lsp::Uri> = self
            .documents
            .iter()
            .filter(|(_, d)| d.dirty)
            .map(|(u, _)| u.clone())
            .collect();
        for uri in dirty {
            let Some(doc) = self.documents.get_mut(&uri) else {
                continue;
            };
            doc.dirty = false;
            let version = doc.version;
            let analysis = analysed(&uri, doc);
            let index = LineIndex::new(analysis.text());
            let diagnostics = analysis
                .diagnostics()
                .iter()
                .map(|d| diagnostic(&index, d))
                .collect();
            let params = lsp::PublishDiagnosticsParams::new(uri, diagnostics, Some(version));
            self.send(Notification::new(
                lsp::notification::PublishDiagnostics::METHOD.to_string(),
                params,
            ))?;
        }
        Ok(())
    }

    fn notification(&mut self, n: Notification) -> Result<(), LspError> {
        use lsp::notification as n_;
        match n.method.as_str() {
            n_::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    self.documents.insert(
                        p.text_document.uri,
                        Document {
                            text: p.text_document.text,
                            version: p.text_document.version,
                            analysis: None,
                            dirty: true,
                        },
                    );
                }
            }
            n_::DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                {
                    if let Some(doc) = self.documents.get_mut(&p.text_document.uri) {
                        for change in p.content_changes {
                            apply(&mut doc.text, change);
                        }
                        doc.version = p.text_document.version;
                        doc.analysis = None;
                        doc.dirty = true;
                    }
                }
            }
            n_::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    self.documents.remove(&p.text_document.uri);
                    // its diagnostics go with it
                    let params =
                        lsp::PublishDiagnosticsParams::new(p.text_document.uri, Vec::new(), None);
                    self.send(Notification::new(
                        n_::PublishDiagnostics::METHOD.to_string(),
                        params,
                    ))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn request(&mut self, r: Request) -> Result<(), LspError> {
        use lsp::request as r_;
        let id = r.id.clone();
        if self.shutdown {
            return self.reply(
                id,
                Err((
                    ErrorCode::InvalidRequest,
                    "the server is shutting down".into(),
                )),
            );
        }
        let answer = match r.method.as_str() {
            r_::Shutdown::METHOD => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            r_::HoverRequest::METHOD => self.with_params(r, Self::hover),
            r_::GotoDefinition::METHOD => self.with_params(r, Self::definition),
            r_::References::METHOD => self.with_params(r, Self::references),
            r_::Completion::METHOD => self.with_params(r, Self::completion),
            r_::DocumentSymbolRequest::METHOD => self.with_params(r, Self::symbols),
            r_::Formatting::METHOD => self.with_params(r, Self::formatting),
            r_::CodeActionRequest::METHOD => self.with_params(r, Self::code_actions),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("rulebook lsp does not handle {other}"),
            )),
        };
        self.reply(id, answer)
    }

    fn reply(&self, id: RequestId, answer: Answer) -> Result<(), LspError> {
        let response = match answer {
            Ok(result) => Response {
                id,
                result: Some(result),
                error: None,
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(response)
    }

    /// Decodes a request's parameters and runs its handler.
    fn with_params<P: serde::de::DeserializeOwned, R: serde::Serialize>(
        &mut self,
        r: Request,
        handler: fn(&mut Self, P) -> Option<R>,
    ) -> Answer {
        let params: P = serde_json::from_value(r.params)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", r.method)))?;
        let result = handler(self, params);
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    /// The analysis of an open document.
    fn analysis(&mut self, uri: &lsp::Uri) -> Option<&Analysis> {
        let doc = self.documents.get_mut(uri)?;
        Some(analysed(uri, doc))
    }

    /// The analysis of the document a position is in, and the position's offset.
    fn at(&mut self, p: &lsp::TextDocumentPositionParams) -> Option<(&Analysis, usize)> {
        let a = self.analysis(&p.text_document.uri)?;
        let offset = LineIndex::new(a.text()).offset(p.position);
        Some((a, offset))
    }

    fn hover(&mut self, p: lsp::HoverParams) -> Option<lsp::Hover> {
        let (a, offset) = self.at(&p.text_document_position_params)?;
        let h = a.hover(offset)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: h.markdown,
            }),
            range: Some(LineIndex::new(a.text()).range(h.span)),
        })
    }

    fn definition(&mut self, p: lsp::GotoDefinitionParams) -> Option<lsp::GotoDefinitionResponse> {
        let uri = p.text_document_position_params.text_document.uri.clone();
        let (a, offset) = self.at(&p.text_document_position_params)?;
        let span = a.definition(offset)?;
        let range = LineIndex::new(a.text()).range(span);
        Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location::new(
            uri, range,
        )))
    }

    fn references(&mut self, p: lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
        let uri = p.text_document_position.text_document.uri.clone();
        let (a, offset) = self.at(&p.text_document_position)?;
        let index = LineIndex::new(a.text());
        Some(
            a.references(offset, p.context.include_declaration)
                .into_iter()
                .map(|s| lsp::Location::new(uri.clone(), index.range(s)))
                .collect(),
        )
    }

    fn completion(&mut self, p: lsp::CompletionParams) -> Option<lsp::CompletionResponse> {
        let (a, offset) = self.at(&p.text_document_position)?;
        let index = LineIndex::new(a.text());
        let items = a
            .completions(offset)
            .into_iter()
            .enumerate()
            .map(|(i, c)| lsp::CompletionItem {
                label: c.label,
                kind: Some(completion_kind(c.kind)),
                detail: Some(c.detail),
                // the order given: variants as declared, names before keywords
                sort_text: Some(format!("{i:04}")),
                filter_text: Some(c.filter),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    index.range(c.replace),
                    c.insert,
                ))),
                ..Default::default()
            })
            .collect();
        Some(lsp::CompletionResponse::Array(items))
    }

    fn symbols(&mut self, p: lsp::DocumentSymbolParams) -> Option<lsp::DocumentSymbolResponse> {
        let a = self.analysis(&p.text_document.uri)?;
        let index = LineIndex::new(a.text());
        let symbols = a.outline().iter().map(|o| symbol(&index, o)).collect();
        Some(lsp::DocumentSymbolResponse::Nested(symbols))
    }

    /// The whole document replaced by its formatted text; nothing when it
    /// is formatted already or does not compile (its diagnostics say why).
    fn formatting(&mut self, p: lsp::DocumentFormattingParams) -> Option<Vec<lsp::TextEdit>> {
        let doc = self.documents.get(&p.text_document.uri)?;
        let formatted = rulebook::format_source(p.text_document.uri.as_str(), &doc.text).ok()?;
        if formatted == doc.text {
            return Some(Vec::new());
        }
        let whole = LineIndex::new(&doc.text).whole();
        Some(vec![lsp::TextEdit::new(whole, formatted)])
    }

    /// A quick fix for each "did you mean" diagnostic in the range.
    fn code_actions(&mut self, p: lsp::CodeActionParams) -> Option<lsp::CodeActionResponse> {
        let uri = p.text_document.uri;
        let mut actions = Vec::new();
        for d in p.context.diagnostics {
            let first_line = d.message.lines().next().unwrap_or("");
            let Some(replacement) = analysis::suggestion(first_line) else {
                continue;
            };
            let edit = lsp::TextEdit::new(d.range, replacement.clone());
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("Replace with {replacement}"),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        Some(actions)
    }
}

/// A document's analysis, made when its text changed since the last.
fn analysed<'d>(uri: &lsp::Uri, doc: &'d mut Document) -> &'d Analysis {
    doc.analysis
        .get_or_insert_with(|| Analysis::new(uri.as_str(), &doc.text, Date::today()))
}

/// Applies one change: a range replaced, or (no range) the whole text.
fn apply(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(range) => {
            let index = LineIndex::new(text);
            let (start, end) = (index.offset(range.start), index.offset(range.end));
            if start <= end {
                text.replace_range(start..end, &change.text);
            }
        }
    }
}

fn diagnostic(index: &LineIndex, d: &rulebook::Diagnostic) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp::Diagnostic {
        range: index.range(d.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        source: Some("rulebook".to_string()),
        message,
        ..Default::default()
    }
}

fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Input | SymbolKind::Field => lsp::SymbolKind::FIELD,
        SymbolKind::Param => lsp::SymbolKind::CONSTANT,
        SymbolKind::Define => lsp::SymbolKind::VARIABLE,
        SymbolKind::Decision => lsp::SymbolKind::FUNCTION,
        SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
        SymbolKind::Variant => lsp::SymbolKind::ENUM_MEMBER,
    }
}

fn completion_kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Symbol(SymbolKind::Input | SymbolKind::Field) => {
            lsp::CompletionItemKind::FIELD
        }
        CompletionKind::Symbol(SymbolKind::Param) => lsp::CompletionItemKind::CONSTANT,
        CompletionKind::Symbol(SymbolKind::Define | SymbolKind::Variable) => {
            lsp::CompletionItemKind::VARIABLE
        }
        CompletionKind::Symbol(SymbolKind::Decision) => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Symbol(SymbolKind::Variant) => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::AsOf => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::Function => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        CompletionKind::Type => lsp::CompletionItemKind::TYPE_PARAMETER,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given, as None
fn symbol(index: &LineIndex, o: &OutlineItem) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: o.name.clone(),
        detail: Some(o.detail.clone()).filter(|d| !d.is_empty()),
        kind: symbol_kind(o.kind),
        tags: None,
        deprecated: None,
        range: index.range(o.extent),
        selection_range: index.range(o.name_span),
        children: Some(o.children.iter().map(|c| symbol(index, c)).collect())
            .filter(|c: &Vec<_>| !c.is_empty()),
    }
}
