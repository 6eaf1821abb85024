//! Errors are typed and stable: `Error::Io` keeps its `io::Error` as the
//! source, and no message is repeated down a `source()` chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rulebook::{Error, EvalError, LoadError, Policy, WrongPolicy};
use std::error::Error as _;

/// Every message of an error's chain, outermost first.
fn chain(e: &dyn std::error::Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push(c.to_string());
        cause = c.source();
    }
    out
}

fn no_repeats(e: &dyn std::error::Error) {
    let messages = chain(e);
    for (i, outer) in messages.iter().enumerate() {
        for inner in &messages[i + 1..] {
            assert!(!outer.contains(inner.as_str()), "{messages:?}");
        }
    }
}

#[test]
fn a_missing_file_keeps_its_io_error_as_source() {
    let e = Policy::from_file("no/such/policy.rules").unwrap_err();
    let Error::Io { path, source } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(path.to_str(), Some("no/such/policy.rules"));
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    let io = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(e.to_string(), "cannot read no/such/policy.rules");
    no_repeats(&e);
}

#[test]
fn wrapped_errors_say_their_cause_once() {
    let p = Policy::from_source(
        "p.rules",
        "policy p\ninput { n: int }\ndecision d: int = n * n\n",
    )
    .unwrap();
    let as_of = "2026-01-01".parse().unwrap();
    // an input error through the JSON entry point
    let e = p.evaluate_json_text(r#"{"n": "x"}"#, as_of).unwrap_err();
    assert!(matches!(e, Error::Input(_)), "{e:?}");
    assert!(e.to_string().starts_with("input error at n:"), "{e}");
    no_repeats(&e);
    // an evaluation error
    let e = p
        .evaluate_json_text(r#"{"n": 9223372036854775807}"#, as_of)
        .unwrap_err();
    assert!(
        matches!(e, Error::Eval(EvalError::Overflow { .. })),
        "{e:?}"
    );
    no_repeats(&e);
    // wrong facts: the message is the WrongPolicy's own
    let other = Policy::from_source(
        "o.rules",
        "policy o\ninput { m: int }\ndecision d: int = m\n",
    )
    .unwrap();
    let facts = other.parse_facts("{}").unwrap();
    let e = p.evaluate(&facts, as_of).unwrap_err();
    let wrong = WrongPolicy::Facts { policy: "p".into() };
    assert_eq!(e.to_string(), wrong.to_string());
    no_repeats(&e);
    // a module that is not one
    let e = Policy::from_wasm("x.wasm", b"\0asm\x01\0\0\0".to_vec()).unwrap_err();
    assert!(matches!(e, LoadError::NotAPolicy(_)), "{e:?}");
    no_repeats(&Error::from(e));
    // the interpreter without the source
    let loaded = Policy::from_wasm("p.wasm", p.wasm().to_vec()).unwrap();
    let own = loaded.parse_facts("{}").unwrap();
    let e = loaded
        .evaluate_with(rulebook::Engine::Interpreter, &own, as_of)
        .unwrap_err();
    assert_eq!(e, EvalError::NoSource);
}
