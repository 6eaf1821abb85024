//! The formatter's check of its own work: the formatted text checks into
//! the same program as the original (positions aside: lines, spans) and
//! holds the same comments in the same order.

use super::source::Source;
use super::FormatError;
use crate::policy::check_source;
use crate::program::{Body, Expr, Program, Record, RecordField, Type};
use crate::Span;
use std::sync::Arc;

/// Whether `formatted` means what `original` (checked into `program`) means.
pub(super) fn same_policy(
    path: &str,
    original: &str,
    program: &Program,
    formatted: &str,
) -> Result<(), FormatError> {
    let unfaithful = |what: String| FormatError::Unfaithful {
        path: path.to_string(),
        what,
    };
    let again = check_source(path, formatted).map_err(|e| {
        let first = e
            .diagnostics
            .first()
            .map_or_else(String::new, |d| format!(": {}", d.message));
        unfaithful(format!("does not compile{first}"))
    })?;
    if positionless(program) != positionless(&again.program) {
        return Err(unfaithful("checks into another program".to_string()));
    }
    let texts = |s: &str| -> Vec<String> {
        Source::new(s)
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect()
    };
    if texts(original) != texts(formatted) {
        return Err(unfaithful("does not keep every comment".to_string()));
    }
    Ok(())
}

/// A program's description with every position (span, line) left out:
/// equal for two programs that differ only in where things are written.
pub(crate) fn positionless(program: &Program) -> String {
    let mut p = program.clone();
    p.line_starts.clear();
    for f in &mut p.schema.fields {
        field(f);
    }
    for param in &mut p.params {
        param.span = Span::default();
    }
    for d in &mut p.defines {
        d.span = Span::default();
        expr(&mut d.expr);
    }
    for d in &mut p.decisions {
        d.span = Span::default();
        match &mut d.body {
            Body::Expr(e) => expr(e),
            Body::Requires(cs) | Body::Whens(cs) => {
                for c in cs {
                    c.line = 0;
                    c.cond.iter_mut().chain(c.value.iter_mut()).for_each(expr);
                }
            }
        }
    }
    format!("{p:?}")
}

fn field(f: &mut RecordField) {
    f.line = 0;
    ty(&mut f.ty);
}

fn ty(t: &mut Type) {
    if let Type::List(r) | Type::Record(r) = t {
        let r: &mut Record = Arc::make_mut(r);
        r.fields.iter_mut().for_each(field);
    }
}

/// Zeroes the spans of an expression tree (whose depth the front end bounds).
fn expr(e: &mut Expr) {
    e.span = Span::default();
    ty(&mut e.ty);
    use crate::program::ExprKind as K;
    match &mut e.kind {
        K::Promote(_, a) | K::Field(a, _) | K::Neg(a) | K::Not(a) => expr(a),
        K::And(a, b) | K::Or(a, b) | K::Arith(_, a, b) | K::Cmp(_, _, a, b) => {
            expr(a);
            expr(b);
        }
        K::In(_, a, xs) => {
            expr(a);
            xs.iter_mut().for_each(expr);
        }
        K::If(a, b, c) => {
            expr(a);
            expr(b);
            expr(c);
        }
        K::Call(_, args) => args.iter_mut().for_each(expr),
        K::Aggregate { list, body, .. } => {
            expr(list);
            if let Some(b) = body {
                expr(b);
            }
        }
        K::Const(_)
        | K::Input(_)
        | K::Param(_)
        | K::Define(_)
        | K::Decision(_)
        | K::AsOf
        | K::Var(_)
        | K::Known(_) => {}
    }
}
