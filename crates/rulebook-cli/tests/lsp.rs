//! `rulebook lsp`, driven as an editor drives it: the real binary, LSP
//! JSON-RPC messages over its standard input and output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A language client talking to one `rulebook lsp` process.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications read while waiting for a response.
    notifications: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.unwrap()];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages: rx,
            notifications: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self) -> Value {
        match self.messages.recv_timeout(Duration::from_secs(30)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in 30 s"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and returns its response (result or error).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == id && m.get("method").is_none() {
                return m;
            }
            self.notifications.push(m);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        if let Some(i) = self.notifications.iter().position(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        }) {
            return self.notifications.remove(i)["params"].clone();
        }
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"].clone();
            }
            self.notifications.push(m);
        }
    }

    fn initialize(&mut self) -> Value {
        let result = self.result(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        self.notify("initialized", json!({}));
        result
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rulebook", "version": 1, "text": text}}),
        );
    }

    /// `shutdown`, `exit`, and the process's exit code.
    fn stop(mut self) -> Option<i32> {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn position(text: &str, needle: &str, plus: usize) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("no {needle:?}")) + plus;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column: usize = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({"line": line, "character": column})
}

const URI: &str = "file:///tmp/benefit.rules";

const TEXT: &str = r#"policy benefit
  title "A benefit (£ in the title)"

input {
  age: int
  work: enum(employed, self_employed, unemployed)  # £ before the name
  children: list of {
    age: int
  }
}

param limit: money
  from 2024-04-01 = £250
  from 2025-04-01 = £260

define young: int = count(c in children: c.age < 5)

decision eligible: bool
  require age >= 18
    because "adult"
  require work != "employed"

decision amount: money = if eligible then limit + 10 * young else 0
"#;

#[test]
fn an_editor_session_diagnoses_hovers_jumps_completes_and_formats() {
    let mut client = Client::start();
    let init = client.initialize();
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "completionProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[cap].is_null(), "no {cap}: {init}");
    }

    // a broken file: an unknown name, after a `£` (2 bytes, 1 UTF-16 unit) on its line
    let broken = TEXT.replace("require age >= 18", "require £1 < £2 and agee >= 18");
    client.open(URI, &broken);
    let published = client.diagnostics(URI);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published}");
    let d = &diagnostics[0];
    assert_eq!(
        d["message"], "unknown name `agee`; did you mean `age`?",
        "{published}"
    );
    assert_eq!(d["severity"], 1);
    let start = position(&broken, "agee", 0);
    let end = position(&broken, "agee", 4);
    assert_eq!(
        d["range"],
        json!({"start": start, "end": end}),
        "{published}"
    );

    // its quick fix
    let actions = client.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "age", "{actions}");
    assert_eq!(edit["range"], d["range"]);

    // fixed: a warning of lint's remains (nothing reads `self_employed`? no: the unused define)
    let fixed = TEXT.replace("10 * young", "10");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let published = client.diagnostics(URI);
    assert_eq!(published["version"], 2);
    let warnings = published["diagnostics"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["severity"] == 2
                && w["message"].as_str().unwrap().contains("[unused-define]")),
        "{published}"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": TEXT}]}),
    );
    let published = client.diagnostics(URI);
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // hover: a param's type, declaration and value today
    let hover = client.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": position(TEXT, "limit + 10", 1)}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("param limit: money"), "{markdown}");
    assert!(markdown.contains("declared on line 12"), "{markdown}");
    assert!(markdown.contains("`£260`"), "{markdown}");
    assert!(markdown.contains("| 2024-04-01 | `£250` |"), "{markdown}");
    assert_eq!(
        hover["range"],
        json!({"start": position(TEXT, "limit + 10", 0), "end": position(TEXT, "limit + 10", 5)})
    );

    // go to definition: the list field, not the input of the same name
    let def = client.result(
        "textDocument/definition",
        json!({"textDocument": {"uri": URI}, "position": position(TEXT, "c.age", 3)}),
    );
    assert_eq!(def["uri"], URI);
    assert_eq!(def["range"]["start"], position(TEXT, "    age: int", 4));

    // references of `limit`, with its declaration
    let refs = client.result(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": position(TEXT, "limit: money", 0),
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");

    // completion of an enum variant, in a decision being typed
    let typing = format!("{TEXT}decision busy: bool = work == ");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": typing}]}),
    );
    let end = position(&typing, "work == ", 8);
    let completion = client.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": end}),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["employed", "self_employed", "unemployed"],
        "{completion}"
    );
    assert_eq!(completion[0]["kind"], 20); // EnumMember
    assert_eq!(completion[0]["textEdit"]["newText"], "\"employed\"");
    assert_eq!(completion[0]["filterText"], "\"employed\"");

    // document symbols
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"text": TEXT}]}),
    );
    let symbols = client.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["age", "work", "children", "limit", "young", "eligible", "amount"]
    );
    assert_eq!(symbols[1]["children"].as_array().unwrap().len(), 3);

    // formatting: one edit, the whole text in the canonical layout
    let messy = TEXT.replace(
        "define young: int = count(c in children: c.age < 5)",
        "define young:int=count(c in children:c.age<5)",
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 6}, "contentChanges": [{"text": messy}]}),
    );
    let edits = client.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(edits[0]["newText"], TEXT);
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    assert_eq!(client.stop(), Some(0));
}

#[test]
fn an_unknown_request_is_an_error_and_exit_without_shutdown_is_code_1() {
    let mut client = Client::start();
    client.initialize();
    let response = client.request("workspace/executeCommand", json!({"command": "x"}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    // a position in a document never opened answers nothing, not an error
    let hover = client.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nowhere.rules"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(hover, Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}
