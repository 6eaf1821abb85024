//! `rulebook diff --format html`: the diff as one self-contained page (no
//! external assets, readable printed): the summary, a table of transitions
//! per decision, a histogram of each amount's changes (inline SVG), the
//! examples and the static differences. Every figure is read from the same
//! JSON that `--format json` prints.

use rulebook::Policy;
use serde_json::Value as Json;
use std::fmt::Write;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.up{fill:#2a7}.down{fill:#c44}\
code{background:#f3f3f3;padding:0 .2em}@media print{body{margin:0;max-width:none}h2{break-after:avoid}}";

/// Text made safe inside HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JSON value as shown: strings without quotes, null as "unknown".
fn shown(v: &Json) -> String {
    match v {
        Json::Null => "unknown".into(),
        Json::String(s) => s.clone(),
        v => v.to_string(),
    }
}

pub(super) fn page(old: &Policy, new: &Policy, d: &Json) -> String {
    let mut h = String::new();
    let title = format!("{} → {}", old.path(), new.path());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Policy change: {}</title><style>{STYLE}</style></head><body>\n<h1>Policy change: <code>{}</code></h1>\n",
        esc(&title),
        esc(&title)
    );
    if let Some(imp) = d.get("impact") {
        impact(&mut h, imp);
    } else {
        h.push_str("<p>No cases were given (<code>--cases</code>): only the changes to the rules are shown.</p>\n");
    }
    statics(&mut h, &d["static"]);
    h.push_str("</body></html>\n");
    h
}

fn impact(h: &mut String, imp: &Json) {
    let _ = write!(
        h,
        "<h2>Summary</h2>\n<table id=\"summary\"><tr><th>cases</th><td class=\"n\" data-figure=\"cases\">{}</td></tr>\
<tr><th>errors with the old version</th><td class=\"n\" data-figure=\"errors-old\">{}</td></tr>\
<tr><th>errors with the new version</th><td class=\"n\" data-figure=\"errors-new\">{}</td></tr></table>\n",
        imp["cases"], imp["errors"]["old"], imp["errors"]["new"]
    );
    h.push_str("<h2>Decisions</h2>\n");
    let Some(decisions) = imp["decisions"].as_object() else {
        return;
    };
    for (name, v) in decisions {
        let _ = writeln!(
            h,
            "<section class=\"decision\" data-decision=\"{0}\"><h3><code>{0}</code>: <span data-figure=\"changed\">{1}</span> changed</h3>",
            esc(name),
            v["changed"]
        );
        if let Some(total) = v.get("total_delta") {
            let _ = writeln!(
                h,
                "<table><tr><th>total change</th><td class=\"n\" data-figure=\"total_delta\">{}</td></tr>\
<tr><th>increased</th><td class=\"n\" data-figure=\"increased\">{}</td></tr>\
<tr><th>decreased</th><td class=\"n\" data-figure=\"decreased\">{}</td></tr></table>",
                esc(&shown(total)),
                v["increased"],
                v["decreased"]
            );
            if let Some(bars) = v["delta_histogram"].as_array() {
                histogram(h, name, bars);
            }
        }
        if let Some(t) = v["transitions"].as_object() {
            if !t.is_empty() {
                h.push_str("<table class=\"transitions\"><tr><th>from</th><th>to</th><th>cases</th></tr>\n");
                for (k, n) in t {
                    let (from, to) = k.split_once("->").unwrap_or((k, ""));
                    let _ = writeln!(
                        h,
                        "<tr data-transition=\"{}\"><td>{}</td><td>{}</td><td class=\"n\">{n}</td></tr>",
                        esc(k),
                        esc(&shown(&serde_json::from_str(from).unwrap_or(Json::Null))),
                        esc(&shown(&serde_json::from_str(to).unwrap_or(Json::Null)))
                    );
                }
                h.push_str("</table>\n");
            }
        }
        h.push_str("</section>\n");
    }
    if let Some(examples) = imp["examples"].as_array() {
        if !examples.is_empty() {
            h.push_str("<h2>Examples</h2>\n<table id=\"examples\"><tr><th>line</th><th>decision</th><th>old</th><th>new</th></tr>\n");
            for e in examples {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    e["line"],
                    esc(e["decision"].as_str().unwrap_or("")),
                    esc(&shown(&e["old"])),
                    esc(&shown(&e["new"]))
                );
            }
            h.push_str("</table>\n");
        }
    }
}

/// Each size of change a bar, decreases left of increases.
fn histogram(h: &mut String, name: &str, bars: &[Json]) {
    if bars.is_empty() {
        return;
    }
    let max = bars
        .iter()
        .filter_map(|b| b["count"].as_u64())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, bar_h, gap) = (640usize, 120usize, 4usize);
    let step = w / bars.len().max(1);
    let _ = write!(
        h,
        "<figure><svg role=\"img\" aria-label=\"How much {} changed, case by case\" width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">",
        esc(name),
        bar_h + 40,
        bar_h + 40
    );
    for (i, b) in bars.iter().enumerate() {
        let count = b["count"].as_u64().unwrap_or(0);
        let height = (count as usize * bar_h) / max as usize;
        let x = i * step;
        let down = shown(&b["from"]).starts_with('-');
        let label = if b["from"] == b["to"] {
            shown(&b["from"])
        } else {
            format!("{} to {}", shown(&b["from"]), shown(&b["to"]))
        };
        let _ = write!(
            h,
            "<g data-bar=\"{}\" data-count=\"{count}\"><title>{}: {count} cases</title><rect class=\"{}\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{height}\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{count}</text><text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text></g>",
            esc(&label),
            esc(&label),
            if down { "down" } else { "up" },
            bar_h - height,
            step.saturating_sub(gap).max(1),
            x + step / 2,
            bar_h + 14,
            x + step / 2,
            bar_h + 30,
            esc(&label)
        );
    }
    let _ = writeln!(
        h,
        "</svg><figcaption>Changes of <code>{}</code> by size: each bar counts the cases whose change is in its range (hover a bar for it); red bars are decreases.</figcaption></figure>",
        esc(name)
    );
}

fn statics(h: &mut String, s: &Json) {
    h.push_str("<h2>Changes to the rules</h2>\n<ul id=\"static\">\n");
    let list = |v: &Json| v.as_array().cloned().unwrap_or_default();
    let mut any = false;
    for (what, key) in [("Input added", "added"), ("Input removed", "removed")] {
        for i in list(&s["inputs"][key]) {
            any = true;
            let _ = writeln!(
                h,
                "<li>{what}: <code>{}</code> ({})</li>",
                esc(i["name"].as_str().unwrap_or("")),
                esc(i["type"].as_str().unwrap_or(""))
            );
        }
    }
    for i in list(&s["inputs"]["changed"]) {
        any = true;
        let _ = writeln!(
            h,
            "<li>Input retyped: <code>{}</code>: {} → {}</li>",
            esc(i["name"].as_str().unwrap_or("")),
            esc(i["old"].as_str().unwrap_or("")),
            esc(i["new"].as_str().unwrap_or(""))
        );
    }
    for p in list(&s["params"]) {
        any = true;
        let name = esc(p["name"].as_str().unwrap_or(""));
        if p["change"] == "values" {
            for v in list(&p["dates"]) {
                let from = v["from"]
                    .as_str()
                    .map_or("always".to_string(), |f| format!("from {f}"));
                let _ = writeln!(
                    h,
                    "<li>Param <code>{name}</code> {from}: {} → {}</li>",
                    esc(&shown(&v["old"])),
                    esc(&shown(&v["new"]))
                );
            }
        } else {
            let _ = writeln!(
                h,
                "<li>Param <code>{name}</code>: {}</li>",
                esc(p["change"].as_str().unwrap_or(""))
            );
        }
    }
    for c in list(&s["clauses"]) {
        any = true;
        let side = if c["new"].is_null() {
            &c["old"]
        } else {
            &c["new"]
        };
        let _ = writeln!(
            h,
            "<li>Clause {} of <code>{}</code> {} (line {}): <code>{}</code></li>",
            c["position"],
            esc(c["decision"].as_str().unwrap_or("")),
            esc(c["change"].as_str().unwrap_or("")),
            side["line"],
            esc(&super::clause_change(&c))
        );
    }
    for x in list(&s["decisions"]) {
        any = true;
        let _ = writeln!(
            h,
            "<li>Decision <code>{}</code>: {}</li>",
            esc(x["name"].as_str().unwrap_or("")),
            esc(x["change"].as_str().unwrap_or(""))
        );
    }
    if !any {
        h.push_str("<li>None: the two versions have the same rules.</li>\n");
    }
    h.push_str("</ul>\n");
}
