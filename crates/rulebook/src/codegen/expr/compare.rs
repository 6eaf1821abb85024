//! Comparisons: constant folding, compare-and-branch, texts against constants.

use super::*;

impl Gen<'_> {
    /// The value of `e` when it is known at compile time and computing it
    /// can neither fail nor emit anything but constants (as [`Gen::expr`]
    /// then folds it).
    pub(super) fn static_value(&mut self, e: &Expr) -> Option<i64> {
        crate::stack::deep(|| self.static_value_step(e))
    }

    fn static_value_step(&mut self, e: &Expr) -> Option<i64> {
        match &e.kind {
            ExprKind::Const(Const::Bool(b)) => Some(i64::from(*b)),
            ExprKind::Const(Const::Num(n)) => Some(*n),
            ExprKind::Const(Const::Text(t)) => Some(self.strings.packed(t)),
            ExprKind::Param(i) => match self.p.params.get(*i)?.values.as_slice() {
                [(None, Const::Bool(b))] => Some(i64::from(*b)),
                [(None, Const::Num(n))] => Some(*n),
                [(None, Const::Text(t))] => Some(self.strings.packed(t)),
                _ => None,
            },
            ExprKind::Promote(p, inner) => {
                let factor = match p {
                    Promotion::IntToDec => DEC_SCALE,
                    Promotion::IntToMoney => 100,
                };
                self.static_value(inner)?.checked_mul(factor)
            }
            ExprKind::Neg(inner) => self.static_value(inner)?.checked_neg(),
            ExprKind::Not(inner) => Some(self.static_value(inner)? ^ 1),
            _ => None,
        }
    }

    /// The result of comparing two values known at compile time.
    pub(super) fn fold_compare(
        &self,
        op: CmpOp,
        kind: CmpKind,
        a: Option<i64>,
        b: Option<i64>,
    ) -> Option<bool> {
        let (a, b) = (a?, b?);
        let ord = match kind {
            CmpKind::Num => a.cmp(&b),
            // texts only compare for equality
            CmpKind::Text if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                self.strings.text(a)?.cmp(self.strings.text(b)?)
            }
            CmpKind::Text => return None,
        };
        Some(op.holds(ord))
    }

    /// Pushes the i32 result of comparing two known values, each a local
    /// and its value when known at compile time.
    pub(super) fn compare(
        &mut self,
        op: CmpOp,
        kind: CmpKind,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
    ) {
        match kind {
            CmpKind::Text => {
                if let Some((x, k)) = self.interned_and_constant(a, b) {
                    self.f.get(x).i64c(k);
                    self.f.op(match op {
                        CmpOp::Ne => I::I64Ne,
                        _ => I::I64Eq,
                    });
                    return;
                }
                match self.text_constant(a, b) {
                    Some((x, s)) => inline::text_eq_const(&mut self.f, x, &s),
                    None => {
                        self.f.get(a.0).get(b.0);
                        self.f.op(I::Call(helper_index(Helper::TextEq)));
                    }
                }
                if op == CmpOp::Ne {
                    self.f.op(I::I32Eqz);
                }
            }
            CmpKind::Num => {
                self.f.get(a.0).get(b.0);
                self.f.op(match op {
                    CmpOp::Eq => I::I64Eq,
                    CmpOp::Ne => I::I64Ne,
                    CmpOp::Lt => I::I64LtS,
                    CmpOp::Le => I::I64LeS,
                    CmpOp::Gt => I::I64GtS,
                    CmpOp::Ge => I::I64GeS,
                });
            }
        }
    }

    /// The bytes of a call's second argument (`known`: each argument's
    /// value when a compile-time constant) when it is a text constant
    /// short enough to compare inline.
    pub(super) fn inline_affix(&self, known: &[Option<i64>]) -> Option<Vec<u8>> {
        let k = (*known.get(1)?)?;
        let s = self.strings.text(k)?;
        (s.len() <= inline::AFFIX_MAX).then(|| s.to_vec())
    }

    /// For two texts of which one is a constant and the other always one of
    /// the module's constant texts (see `Gen::interned`): the other and the
    /// constant's packed value, which it equals exactly when the texts do.
    fn interned_and_constant(
        &self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
    ) -> Option<(Local, i64)> {
        let constant = |k: Option<i64>| k.filter(|&k| self.strings.text(k).is_some());
        match (constant(a.1), constant(b.1)) {
            (_, Some(k)) if self.interned.contains(&a.0) => Some((a.0, k)),
            (Some(k), _) if self.interned.contains(&b.0) => Some((b.0, k)),
            _ => None,
        }
    }

    /// For two texts of which one is a constant: the other and the bytes of
    /// the constant.
    pub(super) fn text_constant(
        &self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
    ) -> Option<(Local, Vec<u8>)> {
        let constant = |k: Option<i64>| k.and_then(|k| self.strings.text(k)).map(<[u8]>::to_vec);
        match (constant(a.1), constant(b.1)) {
            (_, Some(s)) => Some((a.0, s)),
            (Some(s), _) => Some((b.0, s)),
            _ => None,
        }
    }

    /// [`Gen::compare`], then a branch to `target` when the result is `when`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn branch_compare(
        &mut self,
        op: CmpOp,
        kind: CmpKind,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        when: bool,
        target: Label,
    ) {
        if kind == CmpKind::Text && self.interned_and_constant(a, b).is_none() {
            if let Some((x, s)) = self.text_constant(a, b) {
                let equal = when == (op == CmpOp::Eq);
                inline::branch_text_eq_const(&mut self.f, x, &s, equal, target);
                return;
            }
        }
        self.compare(op, kind, a, b);
        if !when {
            self.f.op(I::I32Eqz);
        }
        self.f.br_if(target);
    }

    /// The fast evaluation of a condition: branches to `target` when the
    /// bool `e` is `when`, else falls through. Comparisons, `not`, `and`,
    /// `or` and `in` become branches, with no 0/1 value in between; they
    /// evaluate (and fail) in the order [`Gen::expr`] does.
    pub(super) fn branch_on(&mut self, e: &Expr, when: bool, target: Label) {
        crate::stack::deep(|| self.branch_on_step(e, when, target))
    }

    fn branch_on_step(&mut self, e: &Expr, when: bool, target: Label) {
        match &e.kind {
            ExprKind::Not(inner) => self.branch_on(inner, !when, target),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                // the value of `a` that decides: false for and, true for or
                let decisive = matches!(e.kind, ExprKind::Or(..));
                if when == decisive {
                    self.branch_on(a, when, target);
                    self.branch_on(b, when, target);
                } else {
                    let decided = self.f.block();
                    self.branch_on(a, decisive, decided);
                    self.branch_on(b, when, target);
                    self.f.end();
                }
            }
            ExprKind::Cmp(op, kind, a, b) => {
                let (x, y) = (self.expr(a), self.expr(b));
                match self.fold_compare(*op, *kind, x.k, y.k) {
                    Some(r) if r == when => self.f.br(target),
                    Some(_) => {}
                    None => self.branch_compare(*op, *kind, (x.v, x.k), (y.v, y.k), when, target),
                }
            }
            ExprKind::In(kind, x, items) => {
                let x = self.expr(x);
                let vals: Vec<Val> = items.iter().map(|i| self.expr(i)).collect();
                let found = if when { target } else { self.f.block() };
                for v in vals {
                    let item = (v.v, v.k);
                    self.branch_compare(CmpOp::Eq, *kind, (x.v, x.k), item, true, found);
                }
                if !when {
                    self.f.br(target);
                    self.f.end();
                }
            }
            _ => {
                let v = self.expr(e);
                match v.k {
                    Some(k) if (k != 0) == when => self.f.br(target),
                    Some(_) => {}
                    None => {
                        self.f.get(v.v).op(I::I32WrapI64);
                        if !when {
                            self.f.op(I::I32Eqz);
                        }
                        self.f.br_if(target);
                    }
                }
            }
        }
    }
}
