//! Turns pest's "expected rule X" into words a policy author understands.
//!
//! Positions here come from pest's error locations and from searches in the
//! same text, on char boundaries: every `text.get(range).unwrap_or("")`
//! below is in bounds, and the fallback only keeps a message from ever
//! panicking on a position that is not.

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
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        if let Some(d) = specific(source, base, pos, positives) {
            return d;
        }
    }
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

/// The common slips, each told in an author's words at the place to fix:
/// a reserved word used as a name, a `when` decision without `otherwise`,
/// an `if` without `else`, a chained comparison. `base` is where the item
/// being parsed starts, `pos` where the parser stopped.
fn specific(source: &str, base: usize, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
    let rest = source.get(pos..).unwrap_or("");
    // a string the parser could not read: say what in it is wrong
    if rest.starts_with('"') {
        if let Some(d) = string_problem(rest, pos) {
            return Some(d);
        }
    }
    let here = word_at(rest);
    let wants = |rules: &[Rule]| positives.iter().any(|r| rules.contains(r));
    let wants_name = wants(&[Rule::ident, Rule::field, Rule::field_list, Rule::personal]);
    // a reserved word where a name goes: `decision if: ...`, `from: date`
    if wants_name && is_keyword(here) {
        let before = source.get(..pos).unwrap_or("").trim_end();
        let declares = ["decision", "define", "param", "policy"]
            .iter()
            .any(|k| before.ends_with(k));
        let is_field = rest[here.len()..].trim_start().starts_with(':');
        if declares || is_field {
            return Some(reserved(pos, here));
        }
    }
    // `personal: bool` after a field is read as that field's modifier
    if wants_name && rest.starts_with(':') {
        let before = source.get(..pos).unwrap_or("").trim_end();
        let last_len = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        let start = before.len() - last_len;
        let last = &before[start..];
        if is_keyword(last) {
            return Some(reserved(start, last));
        }
    }
    let words = words(source, base, pos);
    let at_item_end =
        rest.trim().is_empty() || matches!(here, "decision" | "define" | "param" | "input");
    // a `when` decision that ends without `otherwise`
    if wants(&[Rule::otherwise, Rule::kw_otherwise])
        && at_item_end
        && !words.iter().any(|(_, w)| *w == "otherwise")
    {
        if let Some(&(at, _)) = words.iter().rev().find(|(_, w)| *w == "when") {
            return Some(
                Diagnostic::error(
                    Span::new(at, at + 4),
                    "a `when` decision needs an `otherwise` clause after its last `when`",
                )
                .with_help("add `otherwise -> VALUE`: the value when no `when` condition holds"),
            );
        }
    }
    // an `if` without `else`
    if wants(&[Rule::kw_else]) {
        let mut open = 0usize;
        for &(at, w) in words.iter().rev() {
            match w {
                "else" => open += 1,
                "if" if open == 0 => {
                    return Some(
                        Diagnostic::error(
                            Span::new(at, at + 2),
                            "`if` needs an `else`: write `if CONDITION then VALUE else OTHER_VALUE`",
                        )
                        .with_help("an `if` gives a value whether or not its condition holds, so it needs both"),
                    );
                }
                "if" => open -= 1,
                _ => {}
            }
        }
    }
    // `18 <= age < 67`: comparisons do not chain
    if let Some(op2) = comparison_at(rest) {
        if !wants(&[Rule::cmp_op]) {
            return Some(chained(source, base, pos, op2));
        }
    }
    None
}

fn reserved(at: usize, word: &str) -> Diagnostic {
    Diagnostic::error(
        Span::new(at, at + word.len()),
        format!("`{word}` is a reserved word and cannot be used as a name"),
    )
    .with_help("choose another name (docs/language.md section 3 lists the reserved words)")
}

/// The name-like word at the start of `text` (empty when there is none).
fn word_at(text: &str) -> &str {
    let len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..len]
}

/// The words of `source[from..to]` with their offsets, skipping strings and
/// comments.
pub(super) fn words(source: &str, from: usize, to: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let text = source.get(from..to).unwrap_or("");
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                let w = word_at(&text[i..]);
                out.push((from + i, w));
                i += w.len();
            }
            _ => i += 1,
        }
    }
    out
}

const COMPARISONS: [&str; 6] = ["<=", ">=", "==", "!=", "<", ">"];

/// The comparison operator `text` starts with, if any.
fn comparison_at(text: &str) -> Option<&'static str> {
    COMPARISONS.iter().copied().find(|op| text.starts_with(op))
}

/// Words that end an operand when looking for the sides of a comparison.
fn ends_operand(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "not"
            | "if"
            | "then"
            | "else"
            | "require"
            | "when"
            | "because"
            | "source"
            | "from"
            | "until"
            | "otherwise"
            | "in"
    )
}

/// One token of a line, for finding the sides of a comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A name, number, amount, date or string.
    Operand,
    /// A word that ends an operand (`and`, `then`, `require`...).
    Boundary,
    /// A comparison operator.
    Compare,
    Open,
    Close,
    /// Anything else that separates (`,`, `=`, `:`, `->`).
    Separator,
    /// An arithmetic operator or `.`: part of an operand.
    Joiner,
}

/// The tokens of `line` as (start, end, kind).
fn tokens(line: &str) -> Vec<(usize, usize, Tok)> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = line.get(i..).unwrap_or("");
        let (len, kind) = if c.is_whitespace() {
            continue;
        } else if c == '#' {
            break;
        } else if c == '"' {
            let close = rest
                .get(1..)
                .and_then(|r| r.find('"'))
                .map_or(rest.len(), |e| e + 2);
            (close, Tok::Operand)
        } else if c.is_ascii_alphanumeric() || c == '_' || matches!(c, '£' | '$' | '€') {
            let amount = matches!(c, '£' | '$' | '€');
            let len = rest
                .char_indices()
                .find(|&(j, d)| {
                    let grouping = amount
                        && d == ','
                        && rest
                            .get(j + 1..)
                            .is_some_and(|r| r.starts_with(|x: char| x.is_ascii_digit()));
                    !(d.is_ascii_alphanumeric() || d == '_' || d == '.' || grouping || j == 0)
                })
                .map_or(rest.len(), |(j, _)| j);
            let w = rest.get(..len).unwrap_or("");
            (
                len,
                if ends_operand(w) {
                    Tok::Boundary
                } else {
                    Tok::Operand
                },
            )
        } else if rest.starts_with("->") {
            (2, Tok::Separator)
        } else if let Some(op) = comparison_at(rest) {
            (op.len(), Tok::Compare)
        } else {
            let kind = match c {
                '(' | '[' => Tok::Open,
                ')' | ']' => Tok::Close,
                '+' | '-' | '*' | '/' | '.' => Tok::Joiner,
                _ => Tok::Separator,
            };
            (c.len_utf8(), kind)
        };
        out.push((i, i + len, kind));
        while chars.peek().is_some_and(|&(j, _)| j < i + len) {
            chars.next();
        }
    }
    out
}

/// `a OP1 b OP2 c` where the parser stopped at OP2: the whole chain,
/// with the rewrite an author would write.
fn chained(source: &str, base: usize, pos: usize, op2: &str) -> Diagnostic {
    let generic = Diagnostic::error(
        Span::new(pos, pos + op2.len()),
        "comparisons do not chain: join two comparisons with `and`, as in `18 <= age and age < 67`",
    );
    let before = source.get(..pos).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1).max(base);
    let after = source.get(pos..).unwrap_or("");
    let line_end = after.find('\n').map_or(source.len(), |i| pos + i);
    let Some(line) = source.get(line_start..line_end) else {
        return generic;
    };
    let toks = tokens(line);
    let Some(k) = toks.iter().position(|t| t.0 == pos - line_start) else {
        return generic;
    };
    let Some(j) = toks[..k].iter().rposition(|t| t.2 == Tok::Compare) else {
        return generic;
    };
    // an operand: from a token outwards, over balanced brackets, until a
    // separator, boundary word or comparison at its own depth
    let reach = |from: usize, step: isize| -> Option<usize> {
        let mut depth = 0i32;
        let mut i = from as isize;
        let mut last = None;
        while i >= 0 && (i as usize) < toks.len() {
            let kind = toks[i as usize].2;
            let (opens, closes) = if step < 0 {
                (Tok::Close, Tok::Open)
            } else {
                (Tok::Open, Tok::Close)
            };
            if kind == opens {
                depth += 1;
            } else if kind == closes {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            } else if depth == 0 && matches!(kind, Tok::Separator | Tok::Boundary | Tok::Compare) {
                break;
            }
            last = Some(i as usize);
            i += step;
        }
        last
    };
    let (Some(left), Some(right)) = (reach(j.wrapping_sub(1), -1), reach(k + 1, 1)) else {
        return generic;
    };
    if j == 0 || k == j + 1 {
        return generic;
    }
    let text = |a: usize, b: usize| line.get(toks[a].0..toks[b].1).unwrap_or("").trim();
    let op1 = line.get(toks[j].0..toks[j].1).unwrap_or("");
    let (l, m, r) = (text(left, j - 1), text(j + 1, k - 1), text(k + 1, right));
    Diagnostic::error(
        Span::new(line_start + toks[left].0, line_start + toks[right].1),
        format!("comparisons do not chain: write `{l} {op1} {m} and {m} {op2} {r}`"),
    )
}

/// What keeps the string that starts `rest` (at `pos`, its opening quote)
/// from being read: an escape the language does not have (only `\"` and
/// `\\`), or no closing quote before the end of the line.
fn string_problem(rest: &str, pos: usize) -> Option<Diagnostic> {
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return None,
            '\n' | '\r' => break,
            '\\' => match chars.next() {
                Some((_, '"' | '\\')) => {}
                Some((j, e)) if e != '\n' && e != '\r' => {
                    let shown: String = e.escape_debug().collect();
                    return Some(
                        Diagnostic::error(
                            Span::new(pos + i, pos + j + e.len_utf8()),
                            format!(
                                "`\\{shown}` is not an escape in a string: only `\\\"` (a quote) and `\\\\` (a backslash) may follow a backslash"
                            ),
                        )
                        .with_help("write the character itself, or `\\\\` for a backslash"),
                    );
                }
                _ => break,
            },
            _ => {}
        }
    }
    Some(
        Diagnostic::error(
            Span::new(pos, pos + 1),
            "this string has no closing quote on its line",
        )
        .with_help("end it with `\"` on the same line (a string cannot span lines)"),
    )
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
        (
            format!("the control character U+{:04X}", u32::from(c)),
            c.len_utf8(),
        )
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
        Rule::ask | Rule::kw_ask => "`ask \"question\"`",
        Rule::help | Rule::kw_help => "`help \"text\"`",
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
