//! Three-valued control flow: `and`/`or`, `if`, and folds over lists.

use super::*;

impl Gen<'_> {
    /// Kleene `and` (is_and) or `or`, short-circuiting left to right.
    pub(super) fn logic(&mut self, a: &Expr, b: &Expr, is_and: bool) -> Val {
        // the value that decides: false for and, true for or
        let decisive: i64 = if is_and { 0 } else { 1 };
        let l = self.expr(a);
        if Self::infallible(b) {
            if self.track {
                return self.logic_unbranched(l, b, decisive);
            }
            return self.fast_logic_unbranched(l, b, decisive);
        }
        let out = self.f.i64_local();
        if !self.track {
            self.f.get(l.v).set(out);
            self.f.get(l.v).i64c(decisive).op(I::I64Ne);
            self.f.if_();
            let r = self.expr(b);
            self.f.get(r.v).set(out);
            self.f.end();
            return Val {
                v: out,
                set: self.empty_set(),
                k: None,
            };
        }
        let out_set = self.zero_set();
        let lu = self.f.i32_local();
        self.push_unknown(&l.set);
        self.f.set(lu);
        self.f.i64c(decisive).set(out);
        // left known and decisive: done (its value read as where it is
        // known)
        let lv = self.known_value(l.v);
        self.f.get(lu).op(I::I32Eqz);
        self.f
            .get(lv)
            .i64c(decisive)
            .op(I::I64Eq)
            .op(I::I32And)
            .op(I::I32Eqz);
        self.f.if_();
        {
            // Without branches (no blocks for the native compiler): the
            // value is the right's when the left is known (not decisive),
            // else decisive; the missing facts are none when the left is
            // unknown and the right known and decisive (the right decides),
            // else the union of both sides' (the right's alone when the
            // left is known, as the left's are then none; the left's
            // alone when the right is known).
            let r = self.expr(b);
            self.f
                .i64c(decisive)
                .get(r.v)
                .get(lu)
                .op(I::Select)
                .set(out);
            self.logic_missing(&out_set, (&l, &r, lu), decisive, None);
        }
        self.f.end();
        Val {
            v: out,
            set: Self::as_set(&out_set),
            k: None,
        }
    }

    /// The missing facts of a Kleene `and`/`or` into `out_set`, once its
    /// right side `r` is evaluated: none when the right is known and
    /// decisive while the left is unknown (`lu`), or when the left decides
    /// (`decides`, where it was evaluated whatever the left); else both
    /// sides' (the right's alone when the left is known, as the left's are
    /// then none), without a branch.
    fn logic_missing(
        &mut self,
        out_set: &[Local],
        (l, r, lu): (&Val, &Val, Local),
        decisive: i64,
        decides: Option<Local>,
    ) {
        if out_set.is_empty() {
            return;
        }
        let some = self.f.i32_local();
        self.f.get(lu).op(I::I32Eqz);
        self.push_unknown(&r.set);
        self.f.op(I::I32Or);
        self.f.get(r.v).i64c(decisive).op(I::I64Ne).op(I::I32Or);
        if let Some(ldec) = decides {
            self.f.get(ldec).op(I::I32Eqz).op(I::I32And);
        }
        self.f.set(some);
        let both = self.union(&[&l.set, &r.set]);
        for (w, t) in out_set.iter().enumerate() {
            match both.get(w).copied().flatten() {
                Some(x) => {
                    self.f.get(x).i64c(0).get(some).op(I::Select).set(*t);
                }
                None => {
                    self.f.i64c(0).set(*t);
                }
            }
        }
    }

    /// Whether an expression's evaluation can neither fail nor read memory
    /// outside the fact record: reading an input, a constant, comparing
    /// numbers, `not`, `known`.
    fn infallible(e: &Expr) -> bool {
        crate::stack::deep(|| match &e.kind {
            ExprKind::Const(Const::Bool(_) | Const::Num(_)) | ExprKind::Input(_) => true,
            ExprKind::Known(KnownTarget::Input(_)) | ExprKind::AsOf => true,
            ExprKind::Not(x) => Self::infallible(x),
            ExprKind::Cmp(_, CmpKind::Num, x, y) => Self::infallible(x) && Self::infallible(y),
            _ => false,
        })
    }

    /// The fast evaluation's `and`/`or` whose right side cannot fail
    /// ([`Gen::infallible`]): both sides evaluated and the value selected,
    /// without a branch. Where the fast evaluation tests each input where
    /// it reads it, the right side's reads test nothing: the record leaves
    /// for the full evaluation only when the left does not decide and an
    /// input the right side reads is absent (one masked test a presence
    /// word), so that a record without it whose left side decides stays
    /// fast, as with a branch.
    fn fast_logic_unbranched(&mut self, l: Val, b: &Expr, decisive: i64) -> Val {
        let out = self.f.i64_local();
        if let Some(fallback) = self.fallback.filter(|_| self.check_where_read) {
            let mut inputs = Vec::new();
            Self::inputs_read_by(b, &mut inputs);
            inputs.retain(|i| !self.is_checked(Check::Present(*i)));
            let mut masks: Vec<(usize, i64)> = Vec::new();
            for i in inputs {
                let (word_off, bit) = Layout::presence_bit(i);
                let w = word_off as usize / 8;
                match masks.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, m)) => *m |= 1i64 << bit,
                    None => masks.push((w, 1i64 << bit)),
                }
            }
            if !masks.is_empty() {
                self.f.get(l.v).i64c(decisive).op(I::I64Ne);
                for (k, (w, m)) in masks.iter().enumerate() {
                    self.push_presence_word(*w);
                    self.f.i64c(*m).op(I::I64And).i64c(*m).op(I::I64Ne);
                    if k > 0 {
                        self.f.op(I::I32Or);
                    }
                }
                self.f.op(I::I32And);
                self.f.br_if(fallback);
            }
        }
        let unchecked = std::mem::replace(&mut self.unchecked_reads, true);
        let r = self.expr(b);
        self.unchecked_reads = unchecked;
        // decisive when the left is, else the right's
        self.f.i64c(decisive).get(r.v);
        self.f.get(l.v).i64c(decisive).op(I::I64Eq);
        self.f.op(I::Select).set(out);
        Val {
            v: out,
            set: self.empty_set(),
            k: None,
        }
    }

    /// The inputs of the fact record an expression reads (its value, not
    /// only whether it is known).
    fn inputs_read_by(e: &Expr, into: &mut Vec<usize>) {
        crate::stack::deep(|| match &e.kind {
            ExprKind::Input(i) => into.push(*i),
            ExprKind::Not(x) => Self::inputs_read_by(x, into),
            ExprKind::Cmp(_, _, x, y) | ExprKind::Arith(_, x, y) => {
                Self::inputs_read_by(x, into);
                Self::inputs_read_by(y, into);
            }
            _ => {}
        })
    }

    /// Kleene `and`/`or` (see [`Gen::logic`]) whose right side cannot fail
    /// ([`Gen::infallible`]): evaluated whatever the left, without a branch.
    fn logic_unbranched(&mut self, l: Val, b: &Expr, decisive: i64) -> Val {
        let r = self.expr(b);
        let out = self.f.i64_local();
        let out_set = self.zero_set();
        let (lu, ldec) = (self.f.i32_local(), self.f.i32_local());
        self.push_unknown(&l.set);
        self.f.set(lu);
        // the left decides: known and decisive (its value read as where
        // it is known)
        let lv = self.known_value(l.v);
        self.f.get(lu).op(I::I32Eqz);
        self.f.get(lv).i64c(decisive).op(I::I64Eq).op(I::I32And);
        self.f.set(ldec);
        // the value: decisive when the left decides or is unknown, else
        // the right's
        self.f.i64c(decisive).get(r.v);
        self.f.get(lu).get(ldec).op(I::I32Or);
        self.f.op(I::Select).set(out);
        self.logic_missing(&out_set, (&l, &r, lu), decisive, Some(ldec));
        Val {
            v: out,
            set: Self::as_set(&out_set),
            k: None,
        }
    }

    /// A value computed by `body` only when the `guard` set is empty (the
    /// guarding value known); otherwise unknown with the guard's set. `body`
    /// assigns the result local and its set locals.
    pub(super) fn unless_unknown(
        &mut self,
        guard: &Set,
        body: impl FnOnce(&mut Self, Local, &[Local]),
    ) -> Val {
        let out = self.f.i64_local();
        let out_set = self.zero_set();
        let tracked = self.track && !Self::is_static_empty(guard);
        if tracked {
            self.push_unknown(guard);
            self.f.if_();
            self.assign_set(&out_set, guard);
            self.f.else_();
        }
        body(self, out, &out_set);
        if tracked {
            self.f.end();
        }
        Val {
            v: out,
            set: if self.track {
                Self::as_set(&out_set)
            } else {
                self.empty_set()
            },
            k: None,
        }
    }

    pub(super) fn if_expr(&mut self, c: &Expr, a: &Expr, b: &Expr) -> Val {
        let both_static = self.static_value(a).is_some() && self.static_value(b).is_some();
        if !self.track && !both_static && self.static_value(c).is_none() {
            // the fast evaluation branches on the condition itself
            let out = self.f.i64_local();
            let done = self.f.block();
            let other = self.f.block();
            self.branch_on(c, false, other);
            let x = self.expr(a);
            self.f.get(x.v).set(out);
            self.f.br(done);
            self.f.end();
            let y = self.expr(b);
            self.f.get(y.v).set(out);
            self.f.end();
            return Val {
                v: out,
                set: self.empty_set(),
                k: None,
            };
        }
        let cv = self.expr(c);
        if let Some(cond) = cv.k {
            return self.expr(if cond != 0 { a } else { b });
        }
        if both_static {
            // both branches constant: a select instead of a branch
            let (x, y) = (self.expr(a), self.expr(b));
            return self.unless_unknown(&cv.set, |g, out, _| {
                let c = g.known_value(cv.v);
                g.f.get(x.v).get(y.v).get(c).op(I::I32WrapI64);
                g.f.op(I::Select).set(out);
            });
        }
        self.unless_unknown(&cv.set, |g, out, out_set| {
            let c = g.known_value(cv.v);
            g.f.get(c).op(I::I32WrapI64);
            g.f.if_();
            let x = g.expr(a);
            g.f.get(x.v).set(out);
            g.assign_set(out_set, &x.set);
            g.f.else_();
            let y = g.expr(b);
            g.f.get(y.v).set(out);
            g.assign_set(out_set, &y.set);
            g.f.end();
        })
    }

    pub(super) fn aggregate(
        &mut self,
        kind: AggKind,
        list: &Expr,
        body: Option<&Expr>,
        e: &Expr,
    ) -> Val {
        let lv = self.expr(list);
        self.unless_unknown(&lv.set, |g, out, out_set| {
            g.fold_list(kind, &lv, list, body, e, out, out_set)
        })
    }

    /// The loop of an aggregation over a known list, into `out` and `out_set`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fold_list(
        &mut self,
        kind: AggKind,
        lv: &Val,
        list: &Expr,
        body: Option<&Expr>,
        e: &Expr,
        out: Local,
        out_set: &[Local],
    ) {
        match body {
            None => {
                self.f.get(lv.v).i64c(32).op(I::I64ShrU).set(out);
            }
            Some(body) => {
                let layout = match abi::value_type(&list.ty) {
                    abi::ValueType::List { element } => element,
                    _ => Layout::new(8, 1, Vec::new()),
                };
                let site = self.site(e);
                let (p, n) = (self.f.i32_local(), self.f.i32_local());
                self.f.get(lv.v).op(I::I32WrapI64).set(p);
                self.f
                    .get(lv.v)
                    .i64c(32)
                    .op(I::I64ShrU)
                    .op(I::I32WrapI64)
                    .set(n);
                let init = if kind == AggKind::Every { 1 } else { 0 };
                self.f.i64c(init).set(out);
                let acc_set = self.zero_set();
                let size = layout.size;
                self.vars.push((p, layout));
                let done = self.f.block();
                let top = self.f.loop_();
                self.f.get(n).op(I::I32Eqz);
                self.f.br_if(done);
                let b = self.expr(body);
                let body_tracked = self.if_unknown_collect(&acc_set, &b.set);
                match kind {
                    AggKind::Count => {
                        self.f.get(out).get(b.v).op(I::I64Add).set(out);
                    }
                    AggKind::Sum(_) => {
                        let r = self.checked_add((out, None), (b.v, b.k), site, false);
                        self.f.get(r).set(out);
                    }
                    AggKind::Any | AggKind::Every => {
                        // a deciding element: true for any, false for every
                        let deciding = i64::from(kind == AggKind::Any);
                        self.f.get(b.v).i64c(deciding).op(I::I64Eq);
                        self.f.if_();
                        self.f.i64c(deciding).set(out);
                        for l in &acc_set {
                            self.f.i64c(0).set(*l);
                        }
                        self.f.br(done);
                        self.f.end();
                    }
                }
                if body_tracked {
                    self.f.end();
                }
                self.f.get(p).i32c(size as i32).op(I::I32Add).set(p);
                self.f.get(n).i32c(1).op(I::I32Sub).set(n);
                self.f.br(top);
                self.f.end();
                self.f.end();
                self.vars.pop();
                let acc = Self::as_set(&acc_set);
                self.assign_set(out_set, &acc);
            }
        }
    }

    // ---- decisions ----
}
