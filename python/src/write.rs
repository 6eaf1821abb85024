//! Rows of a policy with list inputs written into its records through
//! typed handles (`RecordWriter::set`, and `set_list` for each list and
//! each list within its elements), each value read from its column by
//! [`crate::read`], so that these policies too are filled by the record
//! writer of `Policy::evaluate_each` rather than through `Facts`.

use crate::errors::problem;
use crate::read::{ListReader, Path, Reader, Value};
use rulebook::batch::{
    Bool, Date, Decimal, Enum, Field, FieldError, FieldKind, Int, ListField, Money, RecordWriter,
    Text, Variant,
};
use rulebook::meta::{FieldMeta, ValueType};
use rulebook::{FieldProblem, Policy};

/// A typed handle on an input field (or a field of a list's elements).
pub enum Handle {
    Bool(Field<Bool>),
    Int(Field<Int>),
    Money(Field<Money>),
    Decimal(Field<Decimal>),
    Date(Field<Date>),
    Text(Field<Text>),
    /// With the field's variants, by index.
    Enum(Field<Enum>, Vec<Variant>),
    /// With the handles of the elements' fields, in declaration order.
    List(ListField, Vec<Handle>),
}

/// Where handles are looked up: a policy's inputs, or a list's elements.
enum Scope<'a> {
    Policy(&'a Policy),
    List(&'a ListField),
}

impl Scope<'_> {
    fn field<K: FieldKind>(&self, name: &str) -> Result<Field<K>, FieldError> {
        match self {
            Scope::Policy(p) => p.field(name),
            Scope::List(l) => l.field(name),
        }
    }
    fn list(&self, name: &str) -> Result<ListField, FieldError> {
        match self {
            Scope::Policy(p) => p.list_field(name),
            Scope::List(l) => l.list(name),
        }
    }
    fn variant(&self, field: Field<Enum>, name: &str) -> Result<Variant, FieldError> {
        match self {
            Scope::Policy(p) => p.variant(field, name),
            Scope::List(l) => l.variant(field, name),
        }
    }
}

/// The handles of a policy's inputs, in declaration order.
pub fn handles(policy: &Policy) -> Result<Vec<Handle>, FieldError> {
    handles_in(&Scope::Policy(policy), &policy.meta().input.fields)
}

fn handles_in(scope: &Scope<'_>, fields: &[FieldMeta]) -> Result<Vec<Handle>, FieldError> {
    fields
        .iter()
        .map(|f| {
            let name = f.name.as_str();
            Ok(match &f.ty {
                ValueType::Bool => Handle::Bool(scope.field(name)?),
                ValueType::Int => Handle::Int(scope.field(name)?),
                ValueType::Money => Handle::Money(scope.field(name)?),
                ValueType::Decimal => Handle::Decimal(scope.field(name)?),
                ValueType::Date => Handle::Date(scope.field(name)?),
                ValueType::Text => Handle::Text(scope.field(name)?),
                ValueType::Enum { variants } => {
                    let field = scope.field(name)?;
                    let variants = (variants.iter())
                        .map(|v| scope.variant(field, v))
                        .collect::<Result<_, _>>()?;
                    Handle::Enum(field, variants)
                }
                ValueType::List { element } => {
                    let list = scope.list(name)?;
                    let inner = handles_in(&Scope::List(&list), &element.fields)?;
                    Handle::List(list, inner)
                }
            })
        })
        .collect()
}

/// Writes row `row` of `readers` (one a field, in declaration order, as
/// `handles`) through `w`; a value that does not fit its field is added to
/// `problems` (the record is then not to be used).
pub fn write_row(
    handles: &[Handle],
    readers: &[Reader<'_>],
    names: &[FieldMeta],
    row: usize,
    w: &mut RecordWriter<'_>,
    problems: &mut Vec<FieldProblem>,
) {
    for ((h, r), f) in handles.iter().zip(readers).zip(names) {
        write_one(h, r, row, &Path::Top(&f.name), w, problems);
    }
}

fn write_one(
    h: &Handle,
    r: &Reader<'_>,
    row: usize,
    path: &Path<'_>,
    w: &mut RecordWriter<'_>,
    problems: &mut Vec<FieldProblem>,
) {
    if let (Handle::List(list, inner), Reader::List(lr)) = (h, r) {
        write_list(list, inner, lr, row, path, w, problems);
        return;
    }
    let value = match r.scalar(row, path) {
        Ok(Some(v)) => v,
        Ok(None) => return,
        Err(p) => return problems.push(p),
    };
    match (h, value) {
        (Handle::Bool(f), Value::Bool(b)) => {
            w.set(*f, b);
        }
        (Handle::Int(f), Value::Num(n)) => {
            w.set(*f, n);
        }
        (Handle::Money(f), Value::Num(n)) => {
            w.set(*f, n);
        }
        (Handle::Decimal(f), Value::Num(n)) => {
            w.set(*f, n);
        }
        (Handle::Date(f), Value::Num(n)) => match i32::try_from(n) {
            Ok(days) => {
                w.set(*f, Date(days));
            }
            Err(_) => problems.push(problem(path.render(), n.to_string(), "a date")),
        },
        (Handle::Text(f), Value::Text(t)) => {
            w.set(*f, t);
        }
        (Handle::Enum(f, variants), Value::Num(n)) => {
            match usize::try_from(n).ok().and_then(|i| variants.get(i)) {
                Some(v) => {
                    w.set(*f, *v);
                }
                None => problems.push(problem(path.render(), n.to_string(), "a variant")),
            }
        }
        // (each reader gives its field's kind of value)
        _ => problems.push(problem(path.render(), String::new(), "a value of its type")),
    }
}

fn write_list(
    list: &ListField,
    inner: &[Handle],
    lr: &ListReader<'_>,
    row: usize,
    path: &Path<'_>,
    w: &mut RecordWriter<'_>,
    problems: &mut Vec<FieldProblem>,
) {
    let Some(elements) = lr.elements(row) else {
        return;
    };
    let start = elements.start;
    let set = w.set_list(list, elements, |&e, element| {
        let index = e - start;
        if lr.element_is_null(e) {
            problems.push(problem(
                format!("{}[{index}]", path.render()),
                "null".into(),
                "an object (a list element)",
            ));
            return;
        }
        for ((name, reader), h) in lr.fields().iter().zip(inner) {
            let at = Path::Element {
                list: path,
                index,
                name,
            };
            write_one(h, reader, e, &at, element, problems);
        }
    });
    if let Err(e) = set {
        problems.push(problem(
            path.render(),
            format!("{} elements", e.elements),
            e.to_string(),
        ));
    }
}
