//! The cheap lints, which `rulebook check` gives too: inputs, params and
//! defines that no expression reads. (Apart from the rest of `lint`, which
//! needs a policy, so that the checker can use it.)

use super::warning::LintWarning;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::program::{Expr, ExprKind, Program};
use std::collections::BTreeSet;

/// The span of line `line` (1-based), from its first non-blank character.
pub(super) fn line_span(p: &Program, source: &str, line: u32) -> Span {
    let start = p
        .line_starts
        .get(line.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(0)
        .min(source.len());
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let indent = source[start..end].len() - source[start..end].trim_start().len();
    Span::new(start + indent, end)
}

/// What the program's expressions read.
#[derive(Debug, Default)]
struct Reads {
    inputs: BTreeSet<usize>,
    params: BTreeSet<usize>,
    defines: BTreeSet<usize>,
}

fn reads(p: &Program) -> Reads {
    let mut r = Reads::default();
    let mut stack: Vec<&Expr> = p.item_exprs();
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Input(i) => {
                r.inputs.insert(*i);
            }
            ExprKind::Known(crate::program::KnownTarget::Input(i)) => {
                r.inputs.insert(*i);
            }
            ExprKind::Param(i) => {
                r.params.insert(*i);
            }
            ExprKind::Define(i) => {
                r.defines.insert(*i);
            }
            _ => {}
        }
        e.push_children(&mut stack);
    }
    r
}

/// Inputs, params and defines nothing reads.
pub(super) fn unused(p: &Program, source: &str) -> Vec<LintWarning> {
    let r = reads(p);
    let mut out = Vec::new();
    for (i, f) in p.schema.fields.iter().enumerate() {
        if !r.inputs.contains(&i) {
            out.push(LintWarning {
                name: "unused-input",
                span: line_span(p, source, f.line),
                message: format!("input `{}` is never read", f.name),
                example: None,
            });
        }
    }
    for (i, d) in p.defines.iter().enumerate() {
        if !r.defines.contains(&i) {
            out.push(LintWarning {
                name: "unused-define",
                span: d.span,
                message: format!("define `{}` is never used", d.name),
                example: None,
            });
        }
    }
    for (i, param) in p.params.iter().enumerate() {
        if !r.params.contains(&i) {
            out.push(LintWarning {
                name: "unused-param",
                span: param.span,
                message: format!("param `{}` is never read", param.name),
                example: None,
            });
        }
    }
    out
}

/// Unused inputs, params and defines as the checker's warnings.
pub(crate) fn unused_warnings(p: &Program, source: &str) -> Vec<Diagnostic> {
    unused(p, source)
        .into_iter()
        .map(|w| Diagnostic::warning(w.span, w.message))
        .collect()
}
