//! A person's typed answer to one question (LANGUAGE.md section 10): yes/no,
//! an enum by name or number, money as `£1,200.50` or `1200.50`, dates
//! `YYYY-MM-DD`, `skip` for "I don't know", `back`, `?` for the help text.
//! Answers become the facts JSON value of the question's type.

use super::Question;
use crate::num;
use serde_json::Value as Json;

/// What a person typed, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An answer: the fact's JSON value.
    Value(Json),
    /// `skip`: asked, not known (the fact becomes `null`).
    Skip,
    /// `back`: the previous question again.
    Back,
    /// `?`: show the help text.
    Help,
}

/// Reads `text` as an answer to `q`; the error says what was expected.
/// A list is answered entry by entry (its element fields are questions of
/// their own), so a list question reads only `skip`, `back` and `?` here.
pub fn parse_answer(q: &Question, text: &str) -> Result<Reply, String> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "skip" | "don't know" | "dont know" => return Ok(Reply::Skip),
        "back" => return Ok(Reply::Back),
        "?" | "help" => return Ok(Reply::Help),
        "" => {
            return Err(format!(
                "type an answer ({}), or `skip` if you do not know",
                expected(q)
            ))
        }
        _ => {}
    }
    let bad = || format!("{t:?} is not {}", expected(q));
    let value = match q.ty {
        "bool" => match t.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Json::Bool(true),
            "no" | "n" | "false" => Json::Bool(false),
            _ => return Err(bad()),
        },
        "int" => {
            let plain: String = t.chars().filter(|c| *c != ',').collect();
            match num::parse_int(&plain) {
                Ok(n) => Json::from(n),
                Err(num::NumParseError::Overflow) => {
                    return Err(format!("{t:?} is too large a number"))
                }
                Err(_) => return Err(bad()),
            }
        }
        "decimal" => match num::parse_decimal(t) {
            Ok(n) => Json::String(num::format_decimal(n)),
            Err(num::NumParseError::TooManyDecimals { .. }) => {
                return Err(format!("{t:?} has more than 6 decimals"))
            }
            Err(_) => return Err(bad()),
        },
        "money" => {
            let body = ['£', '€', '$']
                .iter()
                .find_map(|c| t.strip_prefix(*c))
                .unwrap_or(t);
            let plain: String = body.chars().filter(|c| *c != ',').collect();
            match num::parse_money(&plain) {
                Ok(p) => Json::String(num::format_money(p)),
                Err(num::NumParseError::TooManyDecimals { .. }) => {
                    return Err(format!(
                        "{t:?} has more than 2 decimals: give pounds and pence"
                    ))
                }
                Err(_) => return Err(bad()),
            }
        }
        "date" => match num::parse_date(t) {
            Some(d) => Json::String(num::format_date(d)),
            None => return Err(bad()),
        },
        "enum" => {
            let options = q.options.as_deref().unwrap_or(&[]);
            let by_number = t
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| options.get(i));
            let wanted = t.to_ascii_lowercase().replace(' ', "_");
            let by_name = options.iter().find(|o| o.to_ascii_lowercase() == wanted);
            match by_number.or(by_name) {
                Some(o) => Json::String(o.clone()),
                None => return Err(bad()),
            }
        }
        "list" => return Err("a list is answered one entry at a time".into()),
        _ => Json::String(t.to_string()),
    };
    Ok(Reply::Value(value))
}

/// What an answer to `q` looks like, in words.
fn expected(q: &Question) -> String {
    match q.ty {
        "bool" => "yes or no".into(),
        "int" => "a whole number".into(),
        "decimal" => "a number (like 0.5)".into(),
        "money" => "an amount of money (like £1,200.50 or 1200.50)".into(),
        "date" => "a date YYYY-MM-DD (like 1960-04-06)".into(),
        "enum" => {
            let options = q.options.as_deref().unwrap_or(&[]);
            let listed: Vec<String> = options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{} {o}", i + 1))
                .collect();
            format!("one of: {}", listed.join(", "))
        }
        _ => "some text".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(ty: &'static str, options: Option<Vec<&str>>) -> Question {
        Question {
            fact: "f".into(),
            ty,
            question: "?".into(),
            help: None,
            options: options.map(|o| o.into_iter().map(String::from).collect()),
            policies: Vec::new(),
            fields: None,
        }
    }

    #[test]
    fn answers_are_read_by_type() {
        let v = |r: Result<Reply, String>| match r {
            Ok(Reply::Value(v)) => v,
            other => Json::String(format!("{other:?}")),
        };
        assert_eq!(v(parse_answer(&q("bool", None), "Yes")), Json::Bool(true));
        assert_eq!(v(parse_answer(&q("money", None), "£1,200.5")), "1200.50");
        assert_eq!(v(parse_answer(&q("money", None), "1200.50")), "1200.50");
        assert_eq!(
            v(parse_answer(&q("date", None), "1960-04-06")),
            "1960-04-06"
        );
        let e = q("enum", Some(vec!["employed", "self_employed"]));
        assert_eq!(v(parse_answer(&e, "2")), "self_employed");
        assert_eq!(v(parse_answer(&e, "Self employed")), "self_employed");
        assert_eq!(parse_answer(&e, "skip"), Ok(Reply::Skip));
        assert_eq!(parse_answer(&e, " back "), Ok(Reply::Back));
        assert_eq!(parse_answer(&e, "?"), Ok(Reply::Help));
        assert!(parse_answer(&e, "3").is_err_and(|m| m.contains("1 employed, 2 self_employed")));
        assert!(parse_answer(&q("money", None), "£1.234").is_err_and(|m| m.contains("2 decimals")));
        assert!(parse_answer(&q("date", None), "1960-02-30").is_err());
        assert!(parse_answer(&q("bool", None), "maybe").is_err_and(|m| m.contains("yes or no")));
    }
}
