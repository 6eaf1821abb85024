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

    pub(super) fn requires(&mut self, clauses: &[Clause], failure: Option<(Local, Local)>) -> Slot {
        let missing = self.zero_set();
        let reason_words = clauses.len().div_ceil(64).max(1);
        let reasons: Vec<Local> = (0..reason_words)
            .map(|_| {
                let l = self.f.i64_local();
                self.f.i64c(0).set(l);
                l
            })
            .collect();
        // whether each clause is false (1) or not (0: true, unknown, not in force)
        let mut falses = Vec::with_capacity(clauses.len());
        for c in clauses {
            let Some(cond) = &c.cond else {
                falses.push(None);
                continue;
            };
            let false_ = self.f.i64_local();
            self.f.i64c(0).set(false_);
            let gated = self.active(c);
            if gated {
                self.f.if_();
            }
            let v = self.expr(cond);
            let tracked = self.if_unknown_collect(&missing, &v.set);
            self.f
                .get(v.v)
                .op(I::I64Eqz)
                .op(I::I64ExtendI32U)
                .set(false_);
            if tracked {
                self.f.end();
            }
            if gated {
                self.f.end();
            }
            falses.push(Some(false_));
        }
        // each word from its last clause down: word = word << 1 + false, one
        // x86 lea a clause, without a branch
        for (word, chunk) in reasons.iter().zip(falses.chunks(64)) {
            for false_ in chunk.iter().rev() {
                self.f.get(*word).i64c(1).op(I::I64Shl);
                if let Some(l) = false_ {
                    self.f.get(*l).op(I::I64Add);
                }
                self.f.set(*word);
            }
        }
        // false if any require is false (and then known), else unknown, else true
        let (value, any_false) = (self.f.i64_local(), self.f.i32_local());
        self.f.i32c(0);
        for r in &reasons {
            self.f.get(*r).i64c(0).op(I::I64Ne).op(I::I32Or);
        }
        self.f.set(any_false);
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
            reasons,
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
        for (i, c) in clauses.iter().enumerate() {
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
                    self.f.get(v.v).op(I::I32WrapI64);
                    self.f.if_();
                } else {
                    let next = self.f.block();
                    self.branch_on(cond, false, next);
                }
                opened += 1;
            }
            let v = self.expr(c.value.as_ref().unwrap_or(&Expr {
                kind: ExprKind::Const(Const::Num(0)),
                ty: Type::Int,
                span: Default::default(),
            }));
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
        }
        // no clause applies: unknown if an earlier condition was, else an error
        if self.track {
            self.push_unknown(&Self::as_set(&acc));
            self.f.op(I::I32Eqz);
            self.f.if_();
            self.fail(abi::STATUS_NO_CLAUSE, decision as i32);
            self.f.end();
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
        Slot {
            value,
            set,
            failure,
            aux: Some(aux),
            reasons: Vec::new(),
        }
    }
}
