//! What a new policy author meets at the command line: a misspelt fact given
//! to `eval` is listed under `ignored` and warned about with a did-you-mean;
//! the help of every subcommand names the flags docs/language.md documents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::rulebook;

#[test]
fn eval_lists_undeclared_facts_and_suggests_the_declared_name() {
    let dir = common::temp_dir("cli-author");
    let policy = dir.path().join("pension_credit.rules");
    std::fs::write(
        &policy,
        "policy pension_credit\ninput {\n  receives_universal_credit: bool\n  children: list of { age: int }\n}\ndecision d: bool = not receives_universal_credit\n",
    )
    .unwrap();
    let facts =
        br#"{"recieves_universal_credit": true, "shoe_size": 9, "children": [{"agee": 3}]}"#;
    for engine in ["wasm", "interp"] {
        let o = rulebook(
            &[
                "eval",
                policy.to_str().unwrap(),
                "--as-of",
                "2026-01-01",
                "--engine",
                engine,
            ],
            facts,
        );
        assert!(o.status.success(), "{o:?}");
        let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            out["ignored"],
            serde_json::json!(["recieves_universal_credit", "shoe_size", "children[].agee"])
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("warning: fact `recieves_universal_credit` is not an input of pension_credit; did you mean `receives_universal_credit`?"),
            "{err}"
        );
        assert!(
            err.contains("warning: fact `children[].agee` is not an input of pension_credit; did you mean `children[].age`?"),
            "{err}"
        );
        assert!(
            err.contains("warning: fact `shoe_size` is not an input of pension_credit\n"),
            "{err}"
        );
    }
    // nothing to warn about: no warning, no `ignored`
    let o = rulebook(
        &["eval", policy.to_str().unwrap(), "--as-of", "2026-01-01"],
        br#"{"receives_universal_credit": false}"#,
    );
    assert!(o.status.success(), "{o:?}");
    assert!(o.stderr.is_empty(), "{o:?}");
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(out.get("ignored").is_none(), "{out}");
}
