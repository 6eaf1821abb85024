//! Turns pest's "expected rule X" into words a policy author understands.

use super::Rule;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use pest::error::{Error, ErrorVariant, InputLocation};

/// Describes a pest error found in a chunk that starts at byte `base` of `source`.
pub fn describe(source: &str, error: &Error<Rule>, base: usize) -> Diagnostic {
    let pos = base
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let found = found_at(source, pos);
    // at the end of the input the span is empty (it must not point past it)
    let pos = pos.min(source.len());
    let span = Span::new(pos, (pos + found.1.max(1)).min(source.len()));
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&'static str> = Vec::new();
            for rule in positives {
                let w = word(*rule);
                if !w.is_empty() && !words.contains(&w) {
                    words.push(w);
                }
            }
            if words.is_empty() {
                format!("unexpected {}", found.0)
            } else {
                format!("expected {}, found {}", join_or(&words), found.0)
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut d = Diagnostic::error(span, message);
    if let Some(help) = hint(source, pos) {
        d = d.with_help(help);
    }
    d
}

/// What stands at `pos`, in words, and its length in bytes.
fn found_at(source: &str, pos: usize) -> (String, usize) {
    let rest = source.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let len = word.len();
        if is_keyword(&word) {
            (format!("keyword `{word}`"), len)
        } else {
            (format!("`{word}`"), len)
        }
    } else if c == '"' {
        ("a string".to_string(), 1)
    } else if c == '\n' || c == '\r' {
        ("end of line".to_string(), 0)
    } else if c.is_control() {
        (format!("the control character {:?}", c), c.len_utf8())
    } else {
        (format!("`{c}`"), c.len_utf8())
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "policy"
            | "title"
            | "version"
            | "input"
            | "param"
            | "define"
            | "decision"
            | "require"
            | "because"
            | "source"
            | "from"
            | "until"
            | "when"
            | "otherwise"
            | "if"
            | "then"
            | "else"
            | "and"
            | "or"
            | "not"
            | "in"
            | "true"
            | "false"
            | "list"
            | "of"
            | "enum"
            | "personal"
            | "bool"
            | "int"
            | "decimal"
            | "money"
            | "date"
            | "text"
    )
}

/// A targeted hint for common slips.
fn hint(source: &str, pos: usize) -> Option<String> {
    let rest = source.get(pos..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if is_keyword(&word) && !matches!(word.as_str(), "true" | "false" | "not" | "if") {
        let before = source.get(..pos).unwrap_or("").trim_end();
        if before.ends_with(':')
            || before.ends_with("input")
            || before.ends_with("define")
            || before.ends_with("decision")
            || before.ends_with("param")
        {
            return Some(format!(
                "`{word}` is a reserved keyword and cannot be used as a name"
            ));
        }
    }
    if rest.starts_with(':') {
        // `age: int  personal: bool`: a reserved word used as a field name
        // after another field is read as that field's modifier
        let before = source.get(..pos).unwrap_or("").trim_end();
        let last: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if is_keyword(&last) {
            return Some(format!(
                "`{last}` is a reserved keyword and cannot be used as a name"
            ));
        }
    }
    if rest.starts_with('"') && !rest.lines().next().unwrap_or("")[1..].contains('"') {
        return Some("strings must end with `\"` on the same line".to_string());
    }
    None
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The words for a grammar rule; empty for rules that should not be named.
fn word(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::header | Rule::kw_policy => "`policy NAME`",
        Rule::input_block | Rule::kw_input => "`input`",
        Rule::param | Rule::kw_param => "`param`",
        Rule::define | Rule::kw_define => "`define`",
        Rule::decision | Rule::kw_decision => "`decision`",
        Rule::kw_title => "`title`",
        Rule::kw_version => "`version`",
        Rule::field | Rule::field_list => "a field `name: type`",
        Rule::type_expr | Rule::scalar_type | Rule::enum_type | Rule::list_type => {
            "a type (bool, int, decimal, money, date, text, enum(...), list of {...})"
        }
        Rule::kw_enum => "`enum`",
        Rule::personal | Rule::kw_personal => "`personal`",
        Rule::kw_list => "`list`",
        Rule::kw_of => "`of`",
        Rule::param_const | Rule::param_dated | Rule::param_from => {
            "`= value` or `from DATE = value`"
        }
        Rule::decision_expr => "`= expression`",
        Rule::requires | Rule::require | Rule::kw_require => "`require`",
        Rule::whens | Rule::when | Rule::kw_when => "`when`",
        Rule::otherwise | Rule::kw_otherwise => "`otherwise`",
        Rule::arrow => "`->`",
        Rule::meta | Rule::because | Rule::kw_because => "`because`",
        Rule::source | Rule::kw_source => "`source`",
        Rule::from | Rule::kw_from => "`from`",
        Rule::until | Rule::kw_until => "`until`",
        Rule::expr
        | Rule::if_expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::postfix
        | Rule::paren
        | Rule::call
        | Rule::neg
        | Rule::kw_not
        | Rule::kw_if
        | Rule::money_lit
        | Rule::decimal_lit
        | Rule::int_lit
        | Rule::kw_true
        | Rule::kw_false => "an expression",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_in => "`in`",
        Rule::cmp_op => "a comparison (==, !=, <, <=, >, >=)",
        Rule::add_op => "an operator",
        Rule::mul_op => "an operator",
        Rule::list_lit => "a list `[a, b, ...]`",
        Rule::aggregate | Rule::args => "arguments",
        Rule::date_lit => "a date YYYY-MM-DD",
        Rule::string | Rule::string_inner | Rule::escape => "a string \"...\"",
        Rule::ident => "a name",
        _ => "",
    }
}
