//! The editor's questions on a small policy, and on one being typed.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;

const POLICY: &str = r#"policy p
input {
  age: int
    ask "How old are you?"
  kind: enum(new_claim, appeal)
  children: list of {
    age: int
    status: enum(child, student)
  }
}
param limit: money
  from 2025-04-01 = £250
  from 2026-04-01 = £260
define young: int = count(c in children: c.age < 5 and c.status == "child")
decision ok: bool
  require age >= 18 because "adult"
  require kind != "appeal"
decision route: enum(fast, slow)
  when young > 1 -> "fast"
  otherwise -> "slow"
decision pay: money = if ok then limit else 0
"#;

fn at(text: &str, needle: &str) -> usize {
    text.find(needle).unwrap_or_else(|| panic!("no {needle:?}"))
}

fn analysis(text: &str) -> Analysis {
    Analysis::new("p.rules", text, Date::parse("2026-12-06").unwrap())
}

#[test]
fn hover_gives_type_declaration_and_a_params_values() {
    let a = analysis(POLICY);
    let h = a.hover(at(POLICY, "limit else") + 2).unwrap();
    assert!(h.markdown.contains("param limit: money"), "{}", h.markdown);
    assert!(
        h.markdown
            .contains("Today (2026-12-06): **`£260`** (from 2026-04-01)"),
        "{}",
        h.markdown
    );
    assert!(
        h.markdown.contains("| 2025-04-01 | `£250` |"),
        "{}",
        h.markdown
    );
    let h = a.hover(at(POLICY, "age >= 18")).unwrap();
    assert!(
        h.markdown.contains("age: int") && h.markdown.contains("line 3"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("How old are you?"), "{}", h.markdown);
    let h = a.hover(at(POLICY, "count(")).unwrap();
    assert!(
        h.markdown.contains("count(x in xs: condition)"),
        "{}",
        h.markdown
    );
    let h = a.hover(at(POLICY, "\"appeal\"") + 1).unwrap();
    assert!(h.markdown.contains("A variant of `kind`"), "{}", h.markdown);
}

#[test]
fn definition_and_references_follow_scopes_and_fields() {
    let a = analysis(POLICY);
    // `c.age` is the list field, not the input `age`
    let def = a.definition(at(POLICY, "c.age") + 2).unwrap();
    assert_eq!(def.start, at(POLICY, "    age: int") + 4);
    let def = a.definition(at(POLICY, "age >= 18")).unwrap();
    assert_eq!(def.start, at(POLICY, "  age: int") + 2);
    let refs = a.references(at(POLICY, "c in"), true);
    assert_eq!(refs.len(), 3, "{refs:?}");
    let refs = a.references(at(POLICY, "limit:"), false);
    assert_eq!(
        refs,
        vec![Span::new(
            at(POLICY, "limit else"),
            at(POLICY, "limit else") + 5
        )]
    );
    // an enum variant: declared in the type, used as text
    let def = a.definition(at(POLICY, "\"child\"") + 2).unwrap();
    assert_eq!(&POLICY[def.start..def.end], "child");
}

#[test]
fn variants_complete_after_a_comparison_in_a_list_and_after_an_arrow() {
    let typed = |tail: &str| {
        let text = format!("{POLICY}decision d: bool = {tail}");
        let a = analysis(&text);
        a.completions(text.len())
            .into_iter()
            .map(|c| c.label)
            .collect::<Vec<_>>()
    };
    assert_eq!(typed("kind == "), vec!["new_claim", "appeal"]);
    assert_eq!(typed("kind != \"ne"), vec!["new_claim", "appeal"]);
    assert_eq!(typed("kind in [\"appeal\", "), vec!["new_claim", "appeal"]);
    assert_eq!(
        typed("any(x in children: x.status == "),
        vec!["child", "student"]
    );
    assert_eq!(typed("any(x in children: x."), vec!["age", "status"]);
    let text = format!("{POLICY}decision e: enum(yes, no)\n  when ok -> ");
    let labels: Vec<String> = analysis(&text)
        .completions(text.len())
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels, vec!["yes", "no"]);
}

#[test]
fn a_quoted_variant_replaces_the_text_typed() {
    let text = format!("{POLICY}decision d: bool = kind == \"ap\"");
    let a = analysis(&text);
    let cursor = text.len() - 1;
    let c = a.completions(cursor);
    assert_eq!(c[1].insert, "\"appeal\"");
    assert_eq!(c[1].replace, Span::new(text.len() - 4, text.len()));
}

#[test]
fn names_functions_and_keywords_complete_elsewhere() {
    let text = format!("{POLICY}decision d: bool = ");
    let labels: Vec<String> = analysis(&text)
        .completions(text.len())
        .into_iter()
        .map(|c| c.label)
        .collect();
    for want in [
        "age",
        "limit",
        "young",
        "ok",
        "as_of",
        "years_between",
        "not",
    ] {
        assert!(labels.contains(&want.to_string()), "{want}: {labels:?}");
    }
    let text = "policy p\ninput {\n  age: ";
    let labels: Vec<String> = analysis(text)
        .completions(text.len())
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&"money".to_string()), "{labels:?}");
}

#[test]
fn the_outline_nests_fields_and_variants() {
    let a = analysis(POLICY);
    let outline = a.outline();
    let names: Vec<&str> = outline.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["age", "kind", "children", "limit", "young", "ok", "route", "pay"]
    );
    let children = &outline[2];
    assert_eq!(children.children.len(), 2);
    assert_eq!(children.children[1].children.len(), 2);
    let ok = &outline[5];
    assert_eq!(&POLICY[ok.extent.start..ok.extent.end].lines().count(), &3);
}

#[test]
fn diagnostics_are_checks_errors_or_lints_warnings() {
    let a = analysis("policy p\ninput { age: int }\ndecision d: bool = agee > 1\n");
    assert_eq!(a.diagnostics().len(), 1);
    let d = &a.diagnostics()[0];
    assert_eq!(d.message, "unknown name `agee`; did you mean `age`?");
    assert_eq!(suggestion(&d.message).as_deref(), Some("age"));
    let a = analysis("policy p\ninput { age: int unused: int }\ndecision d: bool = age > 1\n");
    let messages: Vec<&str> = a.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.ends_with("[unused-input]")),
        "{messages:?}"
    );
    assert_eq!(
        suggestion("\"x\" is not a variant of enum(y); did you mean \"y\"?").as_deref(),
        Some("\"y\"")
    );
    assert_eq!(suggestion("unknown name `zz`"), None);
}

#[test]
fn a_broken_item_leaves_the_others_usable() {
    let text = format!("{POLICY}decision broken: bool = (\n");
    let a = analysis(&text);
    assert!(a.diagnostics().iter().any(|d| d.is_error()));
    assert!(a.hover(at(&text, "limit else") + 1).is_some());
}

/// Every question at every place of the shipped policies, and on prefixes
/// of them (a file being typed): answers, never a panic.
#[test]
fn every_question_anywhere_in_real_files_and_their_prefixes_is_answered() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let a = analysis(&text);
        assert!(a.diagnostics().is_empty(), "{}", file.display());
        let mut hovered = 0;
        for offset in 0..=text.len() + 2 {
            hovered += usize::from(a.hover(offset).is_some());
            let _ = a.definition(offset);
            let _ = a.references(offset, true);
            if offset % 5 == 0 {
                let _ = a.completions(offset);
            }
        }
        assert!(hovered > text.len() / 10, "{}: {hovered}", file.display());
        let mut cut = 0;
        while cut < text.len() {
            let prefix = &text[..cut];
            let a = analysis(prefix);
            let _ = a.completions(prefix.len());
            let _ = a.outline();
            cut = (cut + 89).min(text.len());
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
        }
    }
}
