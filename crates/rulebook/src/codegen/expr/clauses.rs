//! Items' clauses: `require` and `when` decisions, clause activity by date.

use super::*;

impl Gen<'_> {
    /// Pushes i32: whether a clause is in force on `as_of`.
    pub(super) fn active(&mut self, c: &Clause) -> bool {
        let mut pushed = false;
        if let Some(from) = c.from {
            self.f.get(self.as_of).i64c(i64::from(from)).op(I::I64GeS);
            pushed = true;
        }
        if let Some(until) = c.until {
            self.f.get(self.as_of).i64c(i64::from(until)).op(I::I64LtS);
            if pushed {
                self.f.op(I::I32And);
            }
            pushed = true;
        }
        pushed
    }

    /// A `require` decision (number `decision`): its reason words (bit k of
    /// word k / 64: whether require k is false) go to the result record as
    /// each is complete, so that only one is live at a time.
    pub(super) fn requires(
        &mut self,
        decision: usize,
        clauses: &[Clause],
        failure: Option<(Local, Local)>,
    ) -> Slot {
        let missing = self.zero_set();
        let meta = self.meta;
        let (offset, reason_words) = meta
            .decisions
            .get(decision)
            .map_or((0, 0), |d| (d.offset, d.reason_words as usize));
        let reasons_at = offset + 16 + 8 * self.words as u32;
        // whether a require is false and known, so far
        let any_false = self.f.i32_local();
        self.f.i32c(0).set(any_false);
        // whether the clause is false (1) or not (0: true, unknown, not in
        // force), added into its reason bit as soon as it is known: each
        // clause's locals are released after it, so that a decision of
        // thousands of requires needs no more locals than one
        let false_ = self.f.i64_local();
        for (w, chunk) in clauses.chunks(64).enumerate() {
            let word_scope = self.f.scope();
            let word = self.f.i64_local();
            self.f.i64c(0).set(word);
            for (bit, c) in chunk.iter().enumerate() {
                let Some(cond) = &c.cond else { continue };
                let scope = self.f.scope();
                self.f.i64c(0).set(false_);
                let gated = self.active(c);
                if gated {
                    self.f.if_();
                }
                let v = self.expr(cond);
                let tracked = self.if_unknown_collect(&missing, &v.set);
                // known here (or never unknown)
                let known = self.known_value(v.v);
                self.f
                    .get(known)
                    .op(I::I64Eqz)
                    .op(I::I64ExtendI32U)
                    .set(false_);
                if tracked {
                    self.f.end();
                }
                if gated {
                    self.f.end();
                }
                // added rather than or-ed (each bit is added once, so the
                // two agree): Cranelift folds the add and a shift of up to
                // 3 into one `lea`
                self.f.get(word).get(false_);
                if bit != 0 {
                    self.f.i64c(bit as i64).op(I::I64Shl);
                }
                self.f.op(I::I64Add).set(word);
                self.release(scope, &[]);
            }
            if w < reason_words {
                let at = mem(reasons_at + 8 * w as u32);
                self.f.get(self.out).get(word).op(I::I64Store(at));
            }
            self.f.get(word).i64c(0).op(I::I64Ne);
            self.f.get(any_false).op(I::I32Or).set(any_false);
            self.release(word_scope, &[]);
        }
        for w in clauses.len().div_ceil(64)..reason_words {
            let at = mem(reasons_at + 8 * w as u32);
            self.f.get(self.out).i64c(0).op(I::I64Store(at));
        }
        // false if any require is false (and then known), else unknown, else true
        let value = self.f.i64_local();
        self.f
            .get(any_false)
            .op(I::I32Eqz)
            .op(I::I64ExtendI32U)
            .set(value);
        for m in &missing {
            // a false require makes the decision known
            self.f.i64c(0).get(*m).get(any_false).op(I::Select).set(*m);
        }
        Slot {
            value,
            set: if self.track {
                Self::as_set(&missing)
            } else {
                self.empty_set()
            },
            failure,
            aux: None,
        }
    }

    pub(super) fn whens(
        &mut self,
        decision: usize,
        clauses: &[Clause],
        failure: Option<(Local, Local)>,
    ) -> Slot {
        let value = self.f.i64_local();
        let aux = self.f.i64_local();
        let acc = self.zero_set();
        let chosen_set = self.zero_set();
        let done = self.f.block();
        // whether every value is a constant text (see `Gen::interned`)
        let mut constant_texts = !self.track;
        for (i, c) in clauses.iter().enumerate() {
            let scope = self.f.scope();
            let gated = self.active(c);
            if gated {
                self.f.if_();
            }
            let mut opened = 0;
            if let Some(cond) = &c.cond {
                if self.track {
                    let v = self.expr(cond);
                    if self.if_unknown_collect(&acc, &v.set) {
                        opened += 1;
                    }
                    // known here (or never unknown)
                    let known = self.known_value(v.v);
                    self.f.get(known).op(I::I32WrapI64);
                    self.f.if_();
                } else {
                    let next = self.f.block();
                    self.branch_on(cond, false, next);
                }
                opened += 1;
            }
            // every `when` and `otherwise` clause has a value (the parser
            // requires its `->`); only `require` clauses have none
            let v = self.expr(c.value.as_ref().unwrap_or(&Expr {
                kind: ExprKind::Const(Const::Num(0)),
                ty: Type::Int,
                span: Default::default(),
            }));
            constant_texts &= c.value.as_ref().is_some_and(|e| e.ty == Type::Text)
                && v.k.is_some_and(|k| self.strings.text(k).is_some());
            self.f.get(v.v).set(value);
            self.f.i64c(i as i64).set(aux);
            self.assign_set(&chosen_set, &v.set);
            self.f.br(done);
            for _ in 0..opened {
                self.f.end();
            }
            if gated {
                self.f.end();
            }
            self.release(scope, &[]);
        }
        // no clause applies: unknown if an earlier condition was, else an error
        if self.track {
            self.push_known(&Self::as_set(&acc));
            self.fail_if(abi::STATUS_NO_CLAUSE, decision as i32);
        } else {
            self.fail(abi::STATUS_NO_CLAUSE, decision as i32);
        }
        self.f.end();
        let set = if self.track {
            let a = Self::as_set(&acc);
            let c = Self::as_set(&chosen_set);
            self.union(&[&a, &c])
        } else {
            self.empty_set()
        };
        if constant_texts {
            self.interned.insert(value);
        }
        Slot {
            value,
            set,
            failure,
            aux: Some(aux),
        }
    }
}
