//! The editor files (editors/, docs/editors.md) agree with the language:
//! the TextMate grammar knows every reserved word and function, the VS Code
//! extension ships the same grammar and starts `rulebook lsp`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The words listed in the grammar's `keyword` rule.
fn reserved_words() -> Vec<String> {
    let pest = read("grammar/policy.pest");
    let start = pest.find("keyword = @{").unwrap();
    let rule = &pest[start..start + pest[start..].find('}').unwrap()];
    rule.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, w)| w.to_string())
        .collect()
}

/// Every `match` pattern of a grammar, recursively.
fn patterns(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("match" | "begin" | "end", Value::String(s)) => out.push(s.clone()),
                    _ => patterns(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
        _ => {}
    }
}

#[test]
fn the_textmate_grammar_knows_every_reserved_word_and_function() {
    let grammar = json("editors/rulebook.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.rulebook");
    assert_eq!(grammar["fileTypes"], serde_json::json!(["rules"]));
    let mut all = Vec::new();
    patterns(&grammar, &mut all);
    // word boundaries (`\b`) taken out, the words between the operators
    let text = all.join(" ").replace("\\b", " ");
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let reserved = reserved_words();
    assert!(reserved.len() > 30, "{reserved:?}");
    for w in reserved.iter().map(String::as_str).chain([
        "as_of",
        "ask",
        "help",
        "min",
        "years_between",
        "known",
        "count",
        "every",
    ]) {
        assert!(
            words.contains(&w),
            "the TextMate grammar does not know `{w}`"
        );
    }
    // comments, texts with their escapes, money and dates
    for needle in [
        "(#).*$",
        "£€$",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "\\\\[\"\\\\]",
    ] {
        assert!(
            all.iter().any(|p| p.contains(needle)),
            "no pattern with {needle}"
        );
    }
}

#[test]
fn the_vscode_extension_ships_the_grammar_and_starts_the_server() {
    assert_eq!(
        read("editors/vscode/syntaxes/rulebook.tmLanguage.json"),
        read("editors/rulebook.tmLanguage.json"),
        "editors/vscode/syntaxes/ holds a copy of editors/rulebook.tmLanguage.json: copy it again"
    );
    let package = json("editors/vscode/package.json");
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["id"], "rulebook");
    assert_eq!(language["extensions"], serde_json::json!([".rules"]));
    let config = language["configuration"].as_str().unwrap();
    json(&format!(
        "editors/vscode/{}",
        config.trim_start_matches("./")
    ));
    let grammar = &package["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.rulebook");
    assert!(Path::new(ROOT)
        .join("editors/vscode")
        .join(grammar["path"].as_str().unwrap())
        .exists());
    let main = read(&format!(
        "editors/vscode/{}",
        package["main"].as_str().unwrap().trim_start_matches("./")
    ));
    assert!(main.contains("args: ['lsp']"), "{main}");
    // docs/editors.md sets up the three editors
    let docs = read("docs/editors.md");
    for editor in [
        "VS Code",
        "Neovim",
        "Helix",
        "languages.toml",
        "rulebook lsp",
    ] {
        assert!(
            docs.contains(editor),
            "docs/editors.md does not mention {editor}"
        );
    }
}
