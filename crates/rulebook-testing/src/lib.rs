//! Test files for policy authors (docs/testing.md and docs/language.md
//! section 19): `NAME.test.yaml` cases run against a policy through the
//! Wasm engine and compared decision by decision; clause coverage
//! ([`coverage`]); and property suites checked on generated facts
//! ([`properties`]).

pub mod coverage;
pub mod fuzz;
pub mod generate;
pub mod properties;
pub mod random_policy;

use rulebook::__private::num;
use rulebook::{Date, Engine, Policy};
use serde::Deserialize;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// A test file's contents, read by [`parse_test_file`].
#[derive(Debug, Default)]
struct TestFile {
    policy: Option<String>,
    /// The policy's text, written in the test file itself (instead of `policy`).
    source: Option<String>,
    cases: Vec<Case>,
    properties: Vec<properties::Property>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    name: String,
    as_of: Option<String>,
    #[serde(default)]
    input: serde_yaml::Value,
    #[serde(default)]
    expect: serde_yaml::Mapping,
    missing: Option<Vec<String>>,
    /// Extension: the case expects an input or evaluation error.
    error: Option<ExpectedError>,
    /// Extension: facts the policy does not declare that the case gives on
    /// purpose (to show they are ignored), in any order.
    ignored: Option<Vec<String>>,
}

/// The error a case expects: any error whose message contains a text, or
/// one of a kind (`input` or `eval`) whose message contains it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ExpectedError {
    Text(String),
    Kind { kind: ErrorKind, contains: String },
}

/// The kinds of errors a case can expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ErrorKind {
    /// The facts do not fit the policy's inputs.
    Input,
    /// The evaluation failed (overflow, division by zero, ...).
    Eval,
}

impl ExpectedError {
    fn matches(&self, kind: ErrorKind, message: &str) -> bool {
        match self {
            ExpectedError::Text(t) => message.contains(t.as_str()),
            ExpectedError::Kind { kind: k, contains } => {
                *k == kind && message.contains(contains.as_str())
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            ExpectedError::Text(t) => format!("an error containing {t:?}"),
            ExpectedError::Kind {
                kind: ErrorKind::Input,
                contains,
            } => {
                format!("an input error containing {contains:?}")
            }
            ExpectedError::Kind {
                kind: ErrorKind::Eval,
                contains,
            } => {
                format!("an evaluation error containing {contains:?}")
            }
        }
    }
}

/// How to run test files.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only cases and properties whose name contains this text.
    pub filter: Option<String>,
    /// Record clause coverage (runs each case through the interpreter too).
    pub coverage: bool,
    /// Seed of the property generators.
    pub seed: u64,
    /// The engine cases run on (properties always run on the Wasm engine).
    pub engine: Engine,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            filter: None,
            coverage: false,
            seed: properties::DEFAULT_SEED,
            engine: Engine::Wasm,
        }
    }
}

/// One difference between what a case expects and what the policy decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// The decision (None for the top-level `missing` or the whole case).
    pub decision: Option<String>,
    /// `value`, `missing`, `reasons`, `line`, `error` ...
    pub field: String,
    pub expected: String,
    pub got: String,
}

/// The result of one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseReport {
    pub name: String,
    /// 1-based line of the case in the test file.
    pub line: usize,
    /// What differed; empty when the case passed.
    pub mismatches: Vec<Mismatch>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
    /// The mismatches as readable lines.
    pub fn failures(&self) -> Vec<String> {
        self.mismatches
            .iter()
            .map(|m| match &m.decision {
                Some(d) => format!("{d}.{}: expected {}, got {}", m.field, m.expected, m.got),
                None => format!("{}: expected {}, got {}", m.field, m.expected, m.got),
            })
            .collect()
    }
}

/// The results of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub test_file: PathBuf,
    pub policy_file: PathBuf,
    pub policy: Policy,
    pub cases: Vec<CaseReport>,
    pub properties: Vec<properties::PropertyReport>,
    /// Clause coverage of this file's cases, when requested.
    pub coverage: Option<coverage::Coverage>,
}

/// A test file that could not be run at all.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TestFileError {
    /// `file` or `file:line:col`.
    pub path: String,
    pub message: String,
}

/// Finds `*.test.yaml` files under the given files and folders, sorted.
pub fn find_test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        collect(p, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
    {
        out.push(p.to_path_buf());
    }
}

/// The policy a test file belongs to: its `policy:` key, else NAME.rules beside NAME.test.yaml.
fn policy_path(test_file: &Path, declared: Option<&str>) -> PathBuf {
    let dir = test_file.parent().unwrap_or(Path::new("."));
    match declared {
        Some(p) => dir.join(p),
        None => {
            let name = test_file
                .file_name()
                .and_then(|n| n.to_str())
                // a test file found by its name has a UTF-8 one
                .unwrap_or("")
                .trim_end_matches(".yaml")
                .trim_end_matches(".yml")
                .trim_end_matches(".test");
            dir.join(format!("{name}.rules"))
        }
    }
}

fn matches_filter(name: &str, options: &RunOptions) -> bool {
    options.filter.as_deref().is_none_or(|f| name.contains(f))
}

/// Runs the cases of one test file (all of them, with default options).
pub fn run_file(test_file: &Path) -> Result<FileReport, TestFileError> {
    run_file_with(test_file, &RunOptions::default())
}

/// Runs the cases and properties of one test file.
pub fn run_file_with(test_file: &Path, options: &RunOptions) -> Result<FileReport, TestFileError> {
    run_file_on(test_file, None, options)
}

/// Runs a test file against a policy already compiled (ignoring its `policy:`
/// key): how a policy store gates a new version on its tests.
pub fn run_file_against(
    test_file: &Path,
    policy: &Policy,
    options: &RunOptions,
) -> Result<FileReport, TestFileError> {
    run_file_on(test_file, Some(policy), options)
}

/// Runs the text of a test file (read by the caller, so that what is tested
/// is exactly what it hashed) against a policy already compiled; `test_file`
/// names it in messages.
pub fn run_text_against(
    test_file: &Path,
    text: &str,
    policy: &Policy,
    options: &RunOptions,
) -> Result<FileReport, TestFileError> {
    run_text_on(test_file, text, Some(policy), options)
}

fn run_file_on(
    test_file: &Path,
    given: Option<&Policy>,
    options: &RunOptions,
) -> Result<FileReport, TestFileError> {
    let text = std::fs::read_to_string(test_file).map_err(|e| TestFileError {
        path: test_file.display().to_string(),
        message: e.to_string(),
    })?;
    run_text_on(test_file, &text, given, options)
}

fn run_text_on(
    test_file: &Path,
    text: &str,
    given: Option<&Policy>,
    options: &RunOptions,
) -> Result<FileReport, TestFileError> {
    let file_err = |message: String| TestFileError {
        path: test_file.display().to_string(),
        message,
    };
    let parsed = parse_test_file(test_file, text)?;
    let policy_file = match &parsed.source {
        Some(_) => test_file.to_path_buf(),
        None => policy_path(test_file, parsed.policy.as_deref()),
    };
    let policy = match (given, &parsed.source) {
        (Some(p), _) => p.clone(),
        (None, Some(source)) => Policy::from_source(&test_file.display().to_string(), source)
            .map_err(|e| file_err(format!("the policy in this file does not compile:\n{e}")))?,
        (None, None) => Policy::from_file(&policy_file).map_err(|e| {
            file_err(format!(
                "policy {} does not compile:\n{e}",
                policy_file.display()
            ))
        })?,
    };
    let lines = item_lines(text, "cases");
    let mut coverage = options.coverage.then(|| coverage::Coverage::new(&policy));
    let mut cases = Vec::new();
    for (i, c) in parsed.cases.iter().enumerate() {
        if !matches_filter(&c.name, options) {
            continue;
        }
        cases.push(CaseReport {
            name: c.name.clone(),
            // 0 when the item's line was not found (shown as the file)
            line: lines.get(i).copied().unwrap_or(0),
            mismatches: run_case(&policy, c, options.engine),
        });
        if let Some(cov) = coverage.as_mut() {
            cov.record_case(&policy, c);
        }
    }
    let prop_lines = item_lines(text, "properties");
    let properties = parsed
        .properties
        .iter()
        .enumerate()
        .filter(|(_, p)| matches_filter(&p.name, options))
        .map(|(i, p)| {
            properties::check(
                &policy,
                p,
                // 0 when the item's line was not found (shown as the file)
                prop_lines.get(i).copied().unwrap_or(0),
                options.seed,
            )
        })
        .collect();
    Ok(FileReport {
        test_file: test_file.to_path_buf(),
        policy_file,
        policy,
        cases,
        properties,
        coverage,
    })
}

/// Lines where each item (`- ...`) of the top-level list `key` starts: the
/// lines that start with `-` at the indentation of its first item.
fn item_lines(text: &str, key: &str) -> Vec<usize> {
    let mut inside = false;
    let mut indent: Option<usize> = None;
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with(' ') && !l.starts_with('-') && !l.trim().is_empty() && !l.starts_with('#')
        {
            inside = l
                .trim_end()
                .strip_suffix(':')
                .is_some_and(|k| k.trim() == key);
            indent = None;
            continue;
        }
        let t = l.trim_start();
        let at = l.len() - t.len();
        if inside && (t == "-" || t.starts_with("- ")) && indent.is_none_or(|d| d == at) {
            indent = Some(at);
            out.push(i + 1);
        }
    }
    out
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The line of top-level key `key` (1 when it cannot be found).
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |i| i + 1)
}

/// Most rounds of merging: merged mappings that themselves hold merge keys
/// are resolved one level a round.
const MAX_MERGE_DEPTH: usize = 32;

/// Reads a test file: YAML with anchors, aliases and merge keys (`<<: *base`,
/// `<<: [*a, *b]`, the keys written beside them winning), and top-level
/// `x-...` keys ignored (a place for the anchors cases share). What this
/// runner does not support (YAML tags) and what does not fit a test file
/// is refused with its location.
fn parse_test_file(test_file: &Path, text: &str) -> Result<TestFile, TestFileError> {
    use serde_yaml::Value as Yaml;
    let at = |line: usize, col: Option<usize>, message: String| TestFileError {
        path: match col {
            Some(c) => format!("{}:{line}:{c}", test_file.display()),
            None => format!("{}:{line}", test_file.display()),
        },
        message,
    };
    let mut doc: Yaml = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(loc) => at(
            loc.line(),
            Some(loc.column()),
            format!("not a valid test file: {e}"),
        ),
        None => TestFileError {
            path: test_file.display().to_string(),
            message: format!("not a valid test file: {e}"),
        },
    })?;
    if let Some(tag) = first_tag(&doc) {
        let written = tag.to_string();
        let (line, col) = text
            .find(&written)
            .map_or((1, 1), |offset| line_col(text, offset));
        return Err(at(
            line,
            Some(col),
            format!(
                "YAML tags are not supported in test files (tag `{written}`): write the plain value"
            ),
        ));
    }
    let mut rounds = 0;
    while has_merge_key(&doc) {
        rounds += 1;
        if rounds > MAX_MERGE_DEPTH {
            return Err(TestFileError {
                path: test_file.display().to_string(),
                message: format!("merge keys (`<<`) nest more than {MAX_MERGE_DEPTH} deep"),
            });
        }
        doc.apply_merge().map_err(|e| {
            let line = text
                .find("<<")
                .map_or(1, |offset| line_col(text, offset).0);
            at(
                line,
                None,
                format!("a merge key `<<` takes an alias of a mapping (`<<: *base`) or a list of them (`<<: [*a, *b]`): {e}"),
            )
        })?;
    }
    let top = match doc {
        Yaml::Mapping(m) => m,
        Yaml::Null => serde_yaml::Mapping::new(),
        _ => return Err(at(
            1,
            None,
            "a test file is a mapping with `cases:` (and optionally `policy:` or `source:`, `as_of:` and `properties:`)"
                .into(),
        )),
    };
    let mut file = TestFile::default();
    let mut as_of = None;
    for (key, value) in top {
        let Some(name) = key.as_str() else {
            return Err(at(
                1,
                None,
                "the keys of a test file are `policy` or `source`, `as_of`, `cases` and `properties`".into(),
            ));
        };
        let line = key_line(text, name);
        match name {
            "policy" => match value {
                Yaml::String(p) => file.policy = Some(p),
                Yaml::Null => {}
                _ => {
                    return Err(at(
                        line,
                        None,
                        "`policy` is the path of the rule file, relative to this file".into(),
                    ))
                }
            },
            "source" => match value {
                Yaml::String(p) => file.source = Some(p),
                _ => {
                    return Err(at(
                        line,
                        None,
                        "`source` is the policy's text (`source: |` then the policy, indented)".into(),
                    ))
                }
            },
            "as_of" => match value {
                Yaml::String(d) => as_of = Some(d),
                _ => {
                    return Err(at(
                        line,
                        None,
                        "`as_of` is the date cases are evaluated on when they give none (YYYY-MM-DD)".into(),
                    ))
                }
            },
            "cases" => file.cases = items(value, "cases", text, &at)?,
            "properties" => file.properties = items(value, "properties", text, &at)?,
            _ if name.starts_with("x-") => {}
            _ => {
                return Err(at(
                    line,
                    None,
                    format!(
                        "unknown key `{name}`: a test file has `policy` or `source`, `as_of`, `cases` and `properties` (and `x-...` keys for shared YAML anchors)"
                    ),
                ))
            }
        }
    }
    if file.policy.is_some() && file.source.is_some() {
        return Err(at(
            key_line(text, "source"),
            None,
            "a test file names its policy (`policy:`) or holds it (`source:`), not both".into(),
        ));
    }
    for case in &mut file.cases {
        if case.as_of.is_none() {
            case.as_of.clone_from(&as_of);
        }
    }
    Ok(file)
}

/// The items of the top-level list `key`, each read on its own so an error
/// names the item's line.
fn items<T: serde::de::DeserializeOwned>(
    value: serde_yaml::Value,
    key: &str,
    text: &str,
    at: &dyn Fn(usize, Option<usize>, String) -> TestFileError,
) -> Result<Vec<T>, TestFileError> {
    let list = match value {
        serde_yaml::Value::Sequence(list) => list,
        serde_yaml::Value::Null => return Ok(Vec::new()),
        _ => {
            return Err(at(
                key_line(text, key),
                None,
                format!("`{key}` is a list (each item starting with `- `)"),
            ))
        }
    };
    let lines = item_lines(text, key);
    let what = if key == "cases" { "case" } else { "property" };
    list.into_iter()
        .enumerate()
        .map(|(i, item)| {
            T::deserialize(item).map_err(|e| {
                // the item's own line, else the list's
                let line = lines.get(i).copied().unwrap_or_else(|| key_line(text, key));
                at(
                    line,
                    None,
                    format!("{what} {}: {}", i + 1, in_authors_words(&e.to_string())),
                )
            })
        })
        .collect()
}

/// A deserialiser's message with the names of Rust types put in YAML's
/// words (`expected struct Monotone` -> `expected a mapping`).
fn in_authors_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("struct ") {
        out.push_str(&rest[..at]);
        out.push_str("a mapping");
        let after = &rest[at + "struct ".len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        rest = &after[name_len..];
    }
    out.push_str(rest);
    out.replace("expected u32", "expected a whole number (0 or more)")
        .replace("expected u64", "expected a whole number (0 or more)")
        .replace("a sequence", "a list")
}

/// The first YAML tag (`!name value`) anywhere in a document.
fn first_tag(v: &serde_yaml::Value) -> Option<serde_yaml::value::Tag> {
    match v {
        serde_yaml::Value::Tagged(t) => Some(t.tag.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().find_map(first_tag),
        serde_yaml::Value::Mapping(m) => m
            .iter()
            .find_map(|(k, v)| first_tag(k).or_else(|| first_tag(v))),
        _ => None,
    }
}

/// Whether any mapping in a document still has a merge key `<<`.
fn has_merge_key(v: &serde_yaml::Value) -> bool {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().any(has_merge_key),
        serde_yaml::Value::Mapping(m) => m.contains_key("<<") || m.values().any(has_merge_key),
        serde_yaml::Value::Tagged(t) => has_merge_key(&t.value),
        _ => false,
    }
}

impl Case {
    pub(crate) fn as_of(&self) -> Result<Date, String> {
        match &self.as_of {
            None => Ok(Date::today()),
            Some(s) => Date::parse(s).map_err(|e| format!("as_of: {e}")),
        }
    }
    /// The case's facts as JSON text (`{}` when it gives none).
    pub(crate) fn input_text(&self) -> Result<String, String> {
        match serde_json::to_value(&self.input) {
            Ok(Json::Null) => Ok("{}".into()),
            Ok(v) => Ok(v.to_string()),
            Err(e) => Err(format!("input is not valid facts: {e}")),
        }
    }
}

fn whole_case(field: &str, expected: impl Into<String>, got: impl Into<String>) -> Mismatch {
    Mismatch {
        decision: None,
        field: field.to_string(),
        expected: expected.into(),
        got: got.into(),
    }
}

/// The mismatches of a case that ended in an error of `kind`.
fn error_case(case: &Case, kind: ErrorKind, message: String) -> Vec<Mismatch> {
    match &case.error {
        Some(want) if want.matches(kind, &message) => Vec::new(),
        Some(want) => vec![whole_case("error", want.describe(), message)],
        None => vec![whole_case("result", "decisions", message)],
    }
}

fn run_case(policy: &Policy, case: &Case, engine: Engine) -> Vec<Mismatch> {
    let as_of = match case.as_of() {
        Ok(d) => d,
        Err(e) => return vec![whole_case("as_of", "a date YYYY-MM-DD", e)],
    };
    let input = match case.input_text() {
        Ok(v) => v,
        Err(e) => return vec![whole_case("input", "a facts object", e)],
    };
    let mut ignored = Vec::new();
    let facts = match policy.parse_facts_noting(&input, &mut ignored) {
        Ok(facts) => facts,
        Err(e) => return error_case(case, ErrorKind::Input, e.to_string()),
    };
    if let Some(want) = &case.ignored {
        let (mut want, mut got) = (want.clone(), ignored.clone());
        want.sort();
        got.sort();
        if want != got {
            return vec![whole_case(
                "ignored",
                format!("{want:?}"),
                format!("{got:?}"),
            )];
        }
    } else if !ignored.is_empty() {
        // an undeclared fact in a test is a mistake (a misspelt name would
        // otherwise leave its decisions silently unknown)
        return ignored
            .iter()
            .map(|fact| {
                let hint = policy
                    .did_you_mean(fact)
                    .map_or(String::new(), |d| format!("; did you mean `{d}`?"));
                whole_case(
                    "input",
                    "only facts the policy declares",
                    format!("`{fact}` is not an input of {}{hint}", policy.name()),
                )
            })
            .collect();
    }
    let outcome = match policy.evaluate_with(engine, &facts, as_of) {
        Ok(outcome) => outcome,
        Err(e) => return error_case(case, ErrorKind::Eval, e.to_string()),
    };
    let out: Json = match serde_json::to_value(policy.report(&outcome, as_of)) {
        Ok(out) => out,
        // a report is strings, numbers, bools and maps: always a Value
        Err(e) => return vec![whole_case("result", "decisions JSON", e.to_string())],
    };
    let mut mismatches = Vec::new();
    if let Some(want) = &case.error {
        mismatches.push(whole_case("error", want.describe(), "evaluation succeeded"));
    }
    for (name, want) in &case.expect {
        let Some(name) = name.as_str() else {
            // only for the message: a YAML value always serialises
            let written = serde_yaml::to_string(name).unwrap_or_default();
            mismatches.push(whole_case(
                "expect",
                "decision names as keys",
                format!("`{}`", written.trim()),
            ));
            continue;
        };
        let Some(got) = out["decisions"].get(name) else {
            let names: Vec<&str> = policy
                .meta()
                .decisions
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            mismatches.push(Mismatch {
                decision: Some(name.to_string()),
                field: "name".into(),
                expected: format!("one of the policy's decisions ({})", names.join(", ")),
                got: "no such decision".into(),
            });
            continue;
        };
        // YAML values without tags (refused at parse) always convert
        let want: Json = serde_json::to_value(want).unwrap_or(Json::Null);
        compare_decision(name, &want, got, &mut mismatches);
    }
    if let Some(want) = &case.missing {
        let got: Vec<String> = out["missing"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if *want != got {
            mismatches.push(whole_case(
                "missing",
                format!("{want:?}"),
                format!("{got:?}"),
            ));
        }
    }
    mismatches
}

/// An expectation is a value, or (extension) an object with any of
/// `value`, `missing`, `reasons` (a list of `because` texts) and `line`.
fn compare_decision(name: &str, want: &Json, got: &Json, out: &mut Vec<Mismatch>) {
    let mismatch = |field: &str, expected: String, got: String| Mismatch {
        decision: Some(name.to_string()),
        field: field.to_string(),
        expected,
        got,
    };
    let shown_value = |got: &Json| match got.get("missing") {
        Some(m) => format!("{} (unknown; missing {m})", got["value"]),
        None => got["value"].to_string(),
    };
    let Some(obj) = want.as_object().filter(|o| {
        o.contains_key("value") || o.contains_key("missing") || o.contains_key("reasons")
    }) else {
        if !same_value(want, &got["value"]) {
            out.push(mismatch("value", want.to_string(), shown_value(got)));
        }
        return;
    };
    if let Some(w) = obj.get("value") {
        if !same_value(w, &got["value"]) {
            out.push(mismatch("value", w.to_string(), shown_value(got)));
        }
    }
    if let Some(w) = obj.get("missing") {
        let g = got
            .get("missing")
            .cloned()
            // a known decision has no `missing`: none
            .unwrap_or(Json::Array(Vec::new()));
        if *w != g {
            out.push(mismatch("missing", w.to_string(), g.to_string()));
        }
    }
    if let Some(w) = obj.get("reasons") {
        let got_reasons = got
            .get("reasons")
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice);
        if !same_reasons(w, got_reasons) {
            // shown as written: `because` texts, or whole reasons when
            // the expectation gives whole reasons
            let whole = w.as_array().is_some_and(|w| w.iter().any(Json::is_object));
            let shown: Vec<Json> = got_reasons
                .iter()
                .map(|r| {
                    if whole {
                        r.clone()
                    } else {
                        r["because"].clone()
                    }
                })
                .collect();
            out.push(mismatch(
                "reasons",
                w.to_string(),
                Json::Array(shown).to_string(),
            ));
        }
    }
    if let Some(w) = obj.get("line") {
        // no clause decided: compared as null
        let g = got.get("line").cloned().unwrap_or(Json::Null);
        if *w != g {
            out.push(mismatch("line", w.to_string(), g.to_string()));
        }
    }
}

/// Whether the reasons of a decision are those expected, in order: each
/// written as its `because` text, or as an object whose keys (`because`,
/// `source`, `line`) must all be the reason's.
fn same_reasons(want: &Json, got: &[Json]) -> bool {
    let Some(want) = want.as_array() else {
        return false;
    };
    want.len() == got.len()
        && want.iter().zip(got).all(|(w, g)| match w {
            Json::Object(keys) => keys.iter().all(|(k, v)| g.get(k) == Some(v)),
            because => g.get("because") == Some(because),
        })
}

/// Compares an expected value with an output value; numbers written as
/// strings or numbers compare by decimal value.
pub fn same_value(want: &Json, got: &Json) -> bool {
    if want == got {
        return true;
    }
    let as_dec = |v: &Json| match v {
        Json::String(s) => num::parse_decimal(s).ok(),
        Json::Number(n) => num::parse_decimal(&n.to_string()).ok(),
        _ => None,
    };
    match (as_dec(want), as_dec(got)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
