//! Fuzz target bodies. Each function takes arbitrary bytes and asserts one
//! property, panicking (through `assert!`) when it is violated. The cargo-fuzz
//! targets in `fuzz/fuzz_targets/` only call these, and `tests/fuzz_corpus.rs`
//! runs them over the committed seed corpus on stable, so the properties are
//! checked by `cargo test` as well as by the real fuzzer (see fuzz/README.md).

use rulebook::__private::{line_col, render};
use rulebook::Severity;
use rulebook::{CompileError, Date, Engine, Error, Policy};
use std::sync::OnceLock;

/// The file name given to fuzzed rule files in diagnostics.
const PATH: &str = "fuzz.rules";

/// The shipped policies `eval_json` evaluates facts against.
const POLICIES: [(&str, &str); 3] = [
    (
        "rules/casework_routing.rules",
        include_str!("../../../rules/casework_routing.rules"),
    ),
    (
        "rules/council_tax_reduction.rules",
        include_str!("../../../rules/council_tax_reduction.rules"),
    ),
    (
        "rules/pension_credit.rules",
        include_str!("../../../rules/pension_credit.rules"),
    ),
];

/// The evaluation dates of `eval_json`: 1990-01-01, before any rate is in
/// force (params with no value); 2025-04-06, on an `until` boundary of
/// casework_routing; 2026-11-27, the date of the examples.
const DATES: [Date; 3] = [Date(7305), Date(20184), Date(20784)];

/// Arbitrary bytes as a rule file.
///
/// Property: [`Policy::from_bytes`] never panics. When it fails, there is at
/// least one diagnostic, every diagnostic is an error whose span lies within
/// the input (`start <= end <= data.len()`), and each renders with a first
/// line `fuzz.rules:LINE:COL: error: ` where LINE:COL is the span's start;
/// the first line of [`CompileError::render`] has that form too. When it
/// succeeds, rendering the warnings never panics.
pub fn parse_check(data: &[u8]) {
    match Policy::from_bytes(PATH, data) {
        Ok(policy) => {
            let _ = policy.warnings();
            // lint never panics, and points inside the file
            if let Ok(warnings) = rulebook::lint(&policy) {
                for w in warnings {
                    assert!(
                        w.span.start <= w.span.end && w.span.end <= data.len(),
                        "lint span {:?} outside the input: {w:?}",
                        w.span
                    );
                }
            }
        }
        Err(e) => check_compile_error(&e, data.len()),
    }
}

fn check_compile_error(e: &CompileError, len: usize) {
    assert!(
        !e.diagnostics.is_empty(),
        "a compile error with no diagnostics"
    );
    for d in &e.diagnostics {
        assert!(
            d.severity == Severity::Error,
            "a warning among the errors: {d:?}"
        );
        assert!(
            d.span.start <= d.span.end && d.span.end <= len,
            "span {:?} outside the input of {len} bytes: {d:?}",
            d.span
        );
        let (line, col) = line_col(&e.source, d.span.start);
        let expected = format!("{PATH}:{line}:{col}: error: ");
        let one = render(PATH, &e.source, std::slice::from_ref(d));
        assert!(
            one.starts_with(&expected),
            "rendered diagnostic does not start with {expected:?}:\n{one}"
        );
    }
    let rendered = e.render();
    // an empty rendering fails the check below
    let first = rendered.lines().next().unwrap_or_default();
    assert!(
        header_ok(first),
        "first rendered line is not `{PATH}:LINE:COL: error: ...`: {first:?}"
    );
}

/// `fuzz.rules:LINE:COL: error: ` with LINE and COL positive integers.
fn header_ok(line: &str) -> bool {
    let Some(rest) = line.strip_prefix(PATH).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let positive = |s: Option<&str>| {
        s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            && s.and_then(|s| s.parse::<usize>().ok())
                .is_some_and(|n| n >= 1)
    };
    positive(parts.next())
        && positive(parts.next())
        && parts.next().is_some_and(|r| r.starts_with(" error: "))
}

/// Arbitrary bytes as a rule file, compiled when it checks.
///
/// Property: when [`Policy::from_bytes`] succeeds, the module passes
/// `wasmparser::Validator::validate_all` (default features), has no import,
/// and its `rulebook.meta` section reads back as the policy's metadata.
pub fn compile_validate(data: &[u8]) {
    let Ok(policy) = Policy::from_bytes(PATH, data) else {
        return;
    };
    let wasm = policy.wasm();
    let source = String::from_utf8_lossy(data);
    let valid = wasmparser::Validator::new().validate_all(wasm);
    assert!(
        valid.is_ok(),
        "invalid module: {:?}\nsource:\n{source}",
        valid.err()
    );
    let mut imports = 0u64;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        assert!(payload.is_ok(), "module does not parse: {payload:?}");
        if let Ok(wasmparser::Payload::ImportSection(s)) = payload {
            imports += u64::from(s.count());
        }
    }
    assert_eq!(
        imports, 0,
        "the module imports something\nsource:\n{source}"
    );
    let meta = rulebook::__private::read_meta(wasm);
    assert!(
        meta.as_ref().is_ok_and(|m| m == policy.meta()),
        "metadata does not read back as the policy's: {meta:?}\nsource:\n{source}"
    );
}

fn shipped() -> &'static [Result<Policy, CompileError>] {
    static POLICIES_ONCE: OnceLock<Vec<Result<Policy, CompileError>>> = OnceLock::new();
    POLICIES_ONCE.get_or_init(|| {
        POLICIES
            .iter()
            .map(|(path, src)| Policy::from_source(path, src))
            .collect()
    })
}

/// Arbitrary bytes (lossily decoded as UTF-8) as facts JSON text for each
/// shipped policy (`rules/*.rules`, compiled once).
///
/// Property: [`Policy::parse_facts`] never panics; when the facts parse, the
/// interpreter and the Wasm engine give identical `Result<Outcome, EvalError>`
/// on each of a few dates, and [`Policy::evaluate_json_text`] succeeds exactly
/// when the Wasm engine does, with output that parses as a JSON object.
/// When the facts do not parse, `evaluate_json_text` fails with an input error.
pub fn eval_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for (i, compiled) in shipped().iter().enumerate() {
        assert!(
            compiled.is_ok(),
            "{} does not compile:\n{}",
            POLICIES[i].0,
            compiled
                .as_ref()
                .err()
                .map(CompileError::render)
                // compiled: no message
                .unwrap_or_default()
        );
        let Ok(policy) = compiled else { continue };
        let facts = policy.parse_facts(&text);
        for &date in &DATES {
            let Ok(facts) = &facts else {
                let out = policy.evaluate_json_text(&text, date);
                assert!(
                    matches!(out, Err(Error::Input(_))),
                    "{}: facts that do not parse gave {out:?}",
                    policy.path()
                );
                break;
            };
            let interp = policy.evaluate_with(Engine::Interpreter, facts, date);
            let wasm = policy.evaluate_with(Engine::Wasm, facts, date);
            assert_eq!(
                interp,
                wasm,
                "{} on {date}: interpreter and Wasm differ for facts {text}",
                policy.path()
            );
            match policy.evaluate_json_text(&text, date) {
                Ok(json) => {
                    assert!(
                        wasm.is_ok(),
                        "{}: evaluate_json_text succeeded but the Wasm engine failed",
                        policy.path()
                    );
                    let parsed = serde_json::from_str::<serde_json::Value>(&json);
                    assert!(
                        parsed.as_ref().is_ok_and(serde_json::Value::is_object),
                        "{} on {date}: report is not a JSON object ({parsed:?}):\n{json}",
                        policy.path()
                    );
                }
                Err(e) => assert!(
                    wasm.is_err(),
                    "{} on {date}: evaluate_json_text failed ({e}) but the Wasm engine succeeded",
                    policy.path()
                ),
            }
        }
    }
}

/// Random policies (`random_policy`): the input's first 8 bytes choose the
/// policy, the rest the facts (`generate::facts`, from a generator seeded
/// by them); the interpreter, the module and the module split one function
/// an item give the same results.
pub fn random_policy(data: &[u8]) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut seed = [0u8; 8];
    for (s, d) in seed.iter_mut().zip(data) {
        *s = *d;
    }
    let source = crate::random_policy::policy(u64::from_le_bytes(seed));
    let compiled = Policy::from_source(PATH, &source);
    assert!(
        compiled.is_ok(),
        "a generated policy does not compile:\n{source}"
    );
    let Ok(policy) = compiled else { return };
    let Some(split) = policy.split_every_item() else {
        return;
    };
    let mut rng_seed = [0u8; 32];
    for (s, d) in rng_seed.iter_mut().zip(data.iter().skip(8)) {
        *s = *d;
    }
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed),
    );
    let strategy = (
        crate::generate::facts(&policy, crate::generate::FactsConfig::for_policy(&policy)),
        crate::generate::as_of_dates(&policy),
    );
    for _ in 0..8 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            return;
        };
        let (f, as_of) = tree.current();
        let a = policy.evaluate_with(Engine::Interpreter, &f, Date(as_of));
        let b = policy.evaluate_with(Engine::Wasm, &f, Date(as_of));
        let c = split.evaluate_with(Engine::Wasm, &f, Date(as_of));
        assert!(
            a == b && a == c,
            "engines disagree on\n{source}\nfacts {}\nas_of {}\ninterpreter {a:?}\nwasm {b:?}\nsplit {c:?}",
            rulebook::__private::to_json_text(&policy.meta().input, &f),
            Date(as_of)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_documented_ones() {
        let named = ["1990-01-01", "2025-04-06", "2026-11-27"].map(|d| Date::parse(d).ok());
        assert_eq!(named, DATES.map(Some));
    }
}
