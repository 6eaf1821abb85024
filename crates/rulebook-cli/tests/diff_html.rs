//! `rulebook diff --format html` opened in a real headless Chromium: the
//! page shows the same figures as `--format json` (cases, errors, each
//! decision's change count, transitions, money totals, the histogram's
//! bars summing to the changed amounts) and needs nothing from outside.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../rulebook-serve/tests/support/browser.rs"]
mod browser;

use serde_json::{json, Value};
use std::process::Command;

fn rulebook(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_page_shows_the_json_figures_in_a_browser() {
    let tmp = tempfile::Builder::new()
        .prefix("rulebook-diff-html-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/");
    let old_text = std::fs::read_to_string(format!("{root}pension_credit.rules")).unwrap();
    let new_text = old_text.replace(
        "param capital_disregard: money = £10,000",
        "param capital_disregard: money = £16,000",
    );
    let new = dir.join("new.rules");
    std::fs::write(&new, new_text).unwrap();
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}pension_credit.example.json")).unwrap(),
    )
    .unwrap();
    let mut cases = String::new();
    for k in 0..60u32 {
        let mut facts = example.clone();
        facts["capital"] = json!(format!("{}.00", 8_000 + k * 250));
        facts["weekly_state_pension"] = json!(format!("{}.00", 200 + k * 3));
        if k % 9 == 0 {
            facts.as_object_mut().unwrap().remove("in_great_britain");
        }
        cases.push_str(&json!({"as_of": "2026-11-27", "input": facts}).to_string());
        cases.push('\n');
    }
    let cases_file = dir.join("cases.jsonl");
    std::fs::write(&cases_file, cases).unwrap();
    let args = |format: &str| {
        vec![
            "diff".to_string(),
            "rules/pension_credit.rules".to_string(),
            new.to_str().unwrap().to_string(),
            "--cases".to_string(),
            cases_file.to_str().unwrap().to_string(),
            "--format".to_string(),
            format.to_string(),
        ]
    };
    let json_args = args("json");
    let d: Value = serde_json::from_slice(&rulebook(
        &json_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ))
    .unwrap();
    let html_args = args("html");
    let page = rulebook(&html_args.iter().map(String::as_str).collect::<Vec<_>>());
    let page_text = String::from_utf8(page).unwrap();
    // self-contained: nothing is fetched from elsewhere
    for outside in ["src=", "href=", "@import", "url("] {
        assert!(!page_text.contains(outside), "the page refers to {outside}");
    }
    let file = dir.join("diff.html");
    std::fs::write(&file, &page_text).unwrap();

    let Some(b) = browser::Browser::start("diff_html") else {
        return; // RULEBOOK_SKIP_BROWSER=1: said so on stderr
    };
    b.goto(&format!("file://{}", file.display()));
    b.wait_until(
        "the page",
        "return document.querySelectorAll('section.decision').length > 0",
        vec![],
    );
    let imp = &d["impact"];
    let figure = |css: &str| b.text(css);
    assert_eq!(figure("[data-figure=cases]"), imp["cases"].to_string());
    assert_eq!(
        figure("[data-figure=errors-old]"),
        imp["errors"]["old"].to_string()
    );
    assert_eq!(
        figure("[data-figure=errors-new]"),
        imp["errors"]["new"].to_string()
    );
    let shown = b.js(
        "return Array.prototype.map.call(document.querySelectorAll('section.decision'), function (s) {
           var f = function (n) { var e = s.querySelector('[data-figure=' + n + ']'); return e ? e.textContent : null; };
           return { name: s.dataset.decision, changed: f('changed'), total: f('total_delta'),
                    transitions: Array.prototype.map.call(s.querySelectorAll('tr[data-transition]'),
                      function (r) { return [r.dataset.transition, r.lastElementChild.textContent]; }),
                    bars: Array.prototype.map.call(s.querySelectorAll('g[data-bar]'),
                      function (g) { return Number(g.dataset.count); }) };
         });",
        vec![],
    );
    let decisions = imp["decisions"].as_object().unwrap();
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), decisions.len());
    let mut any_bars = false;
    for s in shown {
        let name = s["name"].as_str().unwrap();
        let want = &decisions[name];
        assert_eq!(s["changed"], json!(want["changed"].to_string()), "{name}");
        if let Some(total) = want.get("total_delta") {
            assert_eq!(s["total"], json!(total.as_str().unwrap()), "{name}");
            // every changed amount is in one bar
            let bars: u64 = s["bars"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .sum();
            let moved = want["increased"].as_u64().unwrap() + want["decreased"].as_u64().unwrap();
            assert_eq!(bars, moved, "{name}");
            any_bars |= bars > 0;
        }
        for t in s["transitions"].as_array().unwrap() {
            let (key, count) = (t[0].as_str().unwrap(), t[1].as_str().unwrap());
            assert_eq!(want["transitions"][key].to_string(), count, "{name} {key}");
        }
    }
    assert!(any_bars, "no histogram had a bar");
    let examples = b.js(
        "return document.querySelectorAll('#examples tr').length - 1;",
        vec![],
    );
    assert_eq!(examples, json!(imp["examples"].as_array().unwrap().len()));
    assert!(figure("#static").contains("capital_disregard"));
}
