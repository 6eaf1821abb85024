//! `rulebook next` (the next question as JSON) and `rulebook interview`
//! (the questions put to a person on the terminal, or read from a script
//! on standard input), both over [`rulebook::Interview`].

use rulebook::{parse_answer, Date, Interview, Policy, Question, Reply};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Facts as given: each value's JSON text kept exactly (numbers are never
/// read as floating point).
type FactsMap = BTreeMap<String, Box<RawValue>>;

fn open(policies: &[PathBuf]) -> Result<Interview, ExitCode> {
    let mut loaded: Vec<Policy> = Vec::new();
    for p in policies {
        let policy = super::load(Some(p), None)?;
        // The chooser's hypothetical evaluations run in the module once it
        // is loaded: about three times faster than the interpreter, and
        // after the first call the native code comes from the cache.
        // Without it the interpreter chooses the same question, slower.
        if let Err(e) = policy.load() {
            eprintln!(
                "warning: {}: the module cannot be loaded ({e}); choosing with the interpreter",
                p.display()
            );
        }
        loaded.push(policy);
    }
    Interview::new(loaded).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

/// `rulebook next POLICY... [--input FILE] [--as-of DATE]`.
pub fn next(
    policies: &[PathBuf],
    input: Option<&Path>,
    as_of: Option<&str>,
    compact: bool,
    look_ahead: usize,
) -> ExitCode {
    let as_of = match super::as_of_or_today(as_of) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let interview = match open(policies) {
        Ok(i) => i.with_budget(look_ahead),
        Err(c) => return c,
    };
    let facts = match super::read_facts(input) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match interview.next(&facts, as_of) {
        Ok(next) => super::print_json(&next, compact),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// What reading one answer gave.
enum Got {
    Value(Box<RawValue>),
    Back,
    /// Standard input ended.
    End,
}

/// The terminal side of an interview: prompts out, answer lines in.
struct Terminal<R, W> {
    input: R,
    out: W,
}

impl<R: BufRead, W: Write> Terminal<R, W> {
    fn say(&mut self, text: &str) {
        // a closed standard output ends the interview at the next read
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.input.read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s),
        }
    }

    /// Asks `q` until it gets an answer it can read (or `back`, or the end).
    fn ask(&mut self, q: &Question, prefix: &str) -> Got {
        if q.ty == "list" {
            return self.ask_list(q, prefix);
        }
        self.say(&format!("{prefix}{}", q.question));
        if let Some(options) = &q.options {
            for (i, o) in options.iter().enumerate() {
                self.say(&format!("  {}. {}", i + 1, o.replace('_', " ")));
            }
        }
        loop {
            let _ = write!(self.out, "> ");
            let _ = self.out.flush();
            let Some(text) = self.line() else {
                return Got::End;
            };
            match parse_answer(q, &text) {
                Ok(Reply::Value(v)) => match serde_json::value::to_raw_value(&v) {
                    Ok(raw) => return Got::Value(raw),
                    Err(e) => self.say(&format!("That answer cannot be kept ({e}); try again.")),
                },
                Ok(Reply::Skip) => return Got::Value(null()),
                Ok(Reply::Back) => return Got::Back,
                Ok(Reply::Help) => {
                    let help = q
                        .help
                        .clone()
                        .unwrap_or_else(|| "There is no more help for this question.".into());
                    self.say(&help);
                }
                Err(reason) => self.say(&format!("{reason}. Please answer again.")),
            }
        }
    }

    /// A list: how many entries, then each entry's fields in turn. `back`
    /// inside the list asks the list again from its start.
    fn ask_list(&mut self, q: &Question, prefix: &str) -> Got {
        let count_q = Question {
            fact: q.fact.clone(),
            ty: "int",
            question: format!("{prefix}{} How many entries? (0 for none)", q.question),
            help: q.help.clone(),
            options: None,
            policies: q.policies.clone(),
            fields: None,
        };
        'again: loop {
            let n = match self.ask(&count_q, "") {
                Got::Value(raw) => {
                    if raw.get() == "null" {
                        return Got::Value(raw);
                    }
                    match raw.get().parse::<usize>() {
                        Ok(n) if n <= 1000 => n,
                        _ => {
                            self.say(
                                "A count is a whole number from 0 to 1000. Please answer again.",
                            );
                            continue 'again;
                        }
                    }
                }
                other => return other,
            };
            let mut items: Vec<BTreeMap<String, Box<RawValue>>> = Vec::new();
            for i in 1..=n {
                let mut item = BTreeMap::new();
                for f in q.fields.as_deref().unwrap_or(&[]) {
                    match self.ask(f, &format!("[{} {i} of {n}] ", q.fact)) {
                        Got::Value(v) => {
                            item.insert(f.fact.clone(), v);
                        }
                        Got::Back => continue 'again,
                        Got::End => return Got::End,
                    }
                }
                items.push(item);
            }
            return match serde_json::value::to_raw_value(&items) {
                Ok(raw) => Got::Value(raw),
                Err(_) => Got::End,
            };
        }
    }
}

fn null() -> Box<RawValue> {
    // "null" is valid JSON
    RawValue::from_string("null".into()).unwrap_or_default()
}

/// `rulebook interview POLICY... [--input FILE] [--as-of DATE] [--save FILE]`.
pub fn interview(
    policies: &[PathBuf],
    input: Option<&Path>,
    as_of: Option<&str>,
    save: Option<&Path>,
) -> ExitCode {
    let as_of = match super::as_of_or_today(as_of) {
        Ok(d) => d,
        Err(c) => return c,
    };
    let interview = match open(policies) {
        Ok(i) => i,
        Err(c) => return c,
    };
    let mut facts: FactsMap = match input {
        None => BTreeMap::new(),
        Some(path) => {
            let text = match super::read_facts(Some(path)) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match serde_json::from_str(&text) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!(
                        "error: {}: expected a JSON object of facts ({e})",
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut term = Terminal {
        input: stdin.lock(),
        out: stdout.lock(),
    };
    let names: Vec<&str> = interview.policies().iter().map(|p| p.name()).collect();
    term.say(&format!(
        "Questions for: {}. Answer each one; type ? for help, skip if you do not know, back to change the last answer.",
        names.join(", ")
    ));
    let mut answered: Vec<String> = Vec::new();
    let mut ended = false;
    // the facts as JSON text, as of the last question's choosing (the loop
    // only ends before an answer changes them)
    let mut text;
    loop {
        text = match serde_json::to_string(&facts) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let next = match interview.next(&text, as_of) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let Some(q) = next.next.clone() else {
            break;
        };
        let prefix = format!(
            "\nQuestion {} (about {} more at most):\n",
            answered.len() + 1,
            next.remaining.len().saturating_sub(1)
        );
        match term.ask(&q, &prefix) {
            Got::Value(v) => {
                facts.insert(q.fact.clone(), v);
                answered.push(q.fact.clone());
            }
            Got::Back => match answered.pop() {
                Some(f) => {
                    facts.remove(&f);
                }
                None => term.say("This is the first question."),
            },
            Got::End => {
                ended = true;
                break;
            }
        }
    }
    drop(term);
    if let Some(path) = save {
        let written = serde_json::to_string_pretty(&facts)
            .map_err(|e| e.to_string())
            .and_then(|t| std::fs::write(path, t + "\n").map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = print_outcomes(&interview, &text, as_of) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    if ended {
        eprintln!("error: the answers ended before the interview did; the decisions above are on the facts given so far");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Every policy's explanation for the person: each decision, its reasons
/// and their sources (or the facts it still needs), and what would change
/// it (`rulebook explain`'s text).
fn print_outcomes(interview: &Interview, facts_json: &str, as_of: Date) -> Result<(), String> {
    for p in interview.policies() {
        let facts = p.parse_facts(facts_json).map_err(|e| e.to_string())?;
        let x = rulebook::explain(p, &facts, as_of).map_err(|e| e.to_string())?;
        println!();
        print!("{}", x.to_text(p, false));
    }
    Ok(())
}
