//! Arithmetic: checked and exact operations, the inline 64-bit fast paths
//! and their bounds, promotions, function calls.

use super::*;

impl Gen<'_> {
    /// Fails with overflow when `x` is outside `lo..=hi`.
    pub(super) fn fail_outside(&mut self, x: Local, lo: i64, hi: i64, site: i32) {
        inline::outside(&mut self.f, x, lo, hi);
        self.fail_if(abi::STATUS_OVERFLOW, site);
    }

    /// A copy of `x` in a new local (with its bounds, where known).
    pub(super) fn copy(&mut self, x: Local) -> Local {
        let r = self.f.i64_local();
        self.f.get(x).set(r);
        if let Some(b) = self.fast_bounds(x) {
            self.bounds.insert(r, b);
        }
        r
    }

    /// In the fast evaluation, the range within which `x * c` takes its
    /// fast path: products up to [`FAST_MAGNITUDE`], so that the sums they
    /// go into need no overflow check (see [`Gen::checked_add`]).
    pub(super) fn fast_mul_range(c: i64) -> (i64, i64) {
        let m = FAST_MAGNITUDE / c.saturating_abs().max(1);
        (-m, m)
    }

    pub(super) fn checked_add(
        &mut self,
        (a, ka): (Local, Option<i64>),
        (b, kb): (Local, Option<i64>),
        site: i32,
        sub: bool,
    ) -> Local {
        let r = self.f.i64_local();
        self.f
            .get(a)
            .get(b)
            .op(if sub { I::I64Sub } else { I::I64Add })
            .set(r);
        // With a constant operand, one bound on the other operand decides.
        let bounds = match (ka, kb, sub) {
            (_, Some(c), false) => Some((a, c)),
            (Some(c), _, false) => Some((b, c)),
            (_, Some(c), true) => c.checked_neg().map(|n| (a, n)),
            _ => None,
        };
        // both operands bounded: none when their bounds rule overflow out
        let both = self.fast_bounds(a).zip(self.fast_bounds(b));
        let sum = both.and_then(|((alo, ahi), (blo, bhi))| {
            if sub {
                alo.checked_sub(bhi).zip(ahi.checked_sub(blo))
            } else {
                alo.checked_add(blo).zip(ahi.checked_add(bhi))
            }
        });
        if let Some(sum) = sum {
            self.bounds.insert(r, sum);
            return r;
        }
        if let Some((x, c)) = bounds {
            // x + c, c != i64::MIN; none when x's bounds rule overflow out
            let sum = self
                .fast_bounds(x)
                .and_then(|(lo, hi)| lo.checked_add(c).zip(hi.checked_add(c)));
            if let Some(sum) = sum {
                self.bounds.insert(r, sum);
                return r;
            }
            match c.cmp(&0) {
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Greater => self.fail_outside(x, i64::MIN, i64::MAX - c, site),
                std::cmp::Ordering::Less => self.fail_outside(x, i64::MIN - c, i64::MAX, site),
            }
            return r;
        }
        if sub {
            // overflow when a and b differ in sign and r differs from a
            self.f.get(a).get(b).op(I::I64Xor);
            self.f.get(a).get(r).op(I::I64Xor).op(I::I64And);
        } else {
            // overflow when r differs in sign from both a and b
            self.f.get(a).get(r).op(I::I64Xor);
            self.f.get(b).get(r).op(I::I64Xor).op(I::I64And);
        }
        self.f.i64c(0).op(I::I64LtS);
        self.fail_if(abi::STATUS_OVERFLOW, site);
        r
    }

    /// The way out of an inline fast path into `r`: the exact helper that
    /// `call` calls; in the fast evaluation, the full evaluation, which
    /// calls it (so that the fast loop makes no call on its common paths).
    pub(super) fn exact(&mut self, r: Local, call: impl FnOnce(&mut Self) -> Local) {
        match self.fallback {
            Some(label) => self.f.br(label),
            None => {
                let m = call(self);
                self.f.get(m).set(r);
            }
        }
    }

    /// With the i32 on the stack saying whether an inline fast path
    /// applies: `inline` there, else [`Gen::exact`]'s `call`. In the fast
    /// evaluation, where `exact` is the full evaluation, that is one
    /// conditional branch to it before `inline`, no block.
    pub(super) fn inline_else_exact(
        &mut self,
        r: Local,
        inline: impl FnOnce(&mut Self),
        call: impl FnOnce(&mut Self) -> Local,
    ) {
        if let Some(label) = self.fallback {
            self.f.op(I::I32Eqz);
            self.f.br_if(label);
            inline(self);
            return;
        }
        self.f.if_();
        inline(self);
        self.f.else_();
        self.exact(r, call);
        self.f.end();
    }

    /// `a * c` for a constant `c`, failing on overflow.
    pub(super) fn mul_const(&mut self, a: Local, c: i64, site: i32) -> Local {
        match c {
            0 => {
                let r = self.f.i64_local();
                self.f.i64c(0).set(r);
                r
            }
            1 => self.copy(a),
            _ => {
                let product = |b| bounds_times(b, c);
                let known = self.fast_bounds(a).and_then(product);
                let r = self.f.i64_local();
                let bounds = match known {
                    Some(b) => Some(b),
                    // the fast evaluation narrows the range (beyond it the
                    // full evaluation computes the product), so that the
                    // product is bounded too
                    None if !self.track => {
                        let (lo, hi) = Self::fast_mul_range(c);
                        self.fail_outside(a, lo, hi, site);
                        product((lo, hi))
                    }
                    None => {
                        let (lo, hi) = inline::mul_bounds(c);
                        self.fail_outside(a, lo, hi, site);
                        None
                    }
                };
                self.f.get(a).i64c(c).op(I::I64Mul).set(r);
                if let Some(b) = bounds {
                    self.bounds.insert(r, b);
                }
                r
            }
        }
    }

    /// `x / d` into `out`, for a constant `d > 1`, rounded by `mode`: 0
    /// floor, 1 ceil, 2 half away from zero. Inline and without a branch
    /// (the native compiler turns a division by a constant into a multiply
    /// and shifts): the quotient toward zero, moved by one by the
    /// remainder's sign and size. It cannot overflow.
    fn div_by_const(&mut self, x: Local, d: i64, mode: i32, out: Local) {
        let (q, r) = (self.f.i64_local(), self.f.i64_local());
        self.f.get(x).i64c(d).op(I::I64DivS).set(q);
        self.f.get(x).i64c(d).op(I::I64RemS).set(r);
        self.f.get(q);
        match mode {
            // q - (r < 0)
            0 => {
                self.f.get(r).i64c(0).op(I::I64LtS).op(I::I64ExtendI32U);
                self.f.op(I::I64Sub);
            }
            // q + (r > 0)
            1 => {
                self.f.get(r).i64c(0).op(I::I64GtS).op(I::I64ExtendI32U);
                self.f.op(I::I64Add);
            }
            // q + (2r >= d) - (2r <= -d): the remainder has the sign of
            // `x`, and |r| < d, so 2r cannot overflow
            _ => {
                self.f.get(r).i64c(1).op(I::I64Shl).i64c(d).op(I::I64GeS);
                self.f.op(I::I64ExtendI32U).op(I::I64Add);
                self.f.get(r).i64c(1).op(I::I64Shl).i64c(-d).op(I::I64LeS);
                self.f.op(I::I64ExtendI32U).op(I::I64Sub);
            }
        }
        self.f.set(out);
    }

    /// `a * b`, failing on overflow: a plain multiply when both operands fit
    /// in 32 bits, else the helper.
    pub(super) fn mul_checked(
        &mut self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        site: i32,
    ) -> Local {
        if let Some(c) = b.1 {
            return self.mul_const(a.0, c, site);
        }
        if let Some(c) = a.1 {
            return self.mul_const(b.0, c, site);
        }
        let r = self.f.i64_local();
        inline::fit_i32(&mut self.f, &[a.0, b.0]);
        self.inline_else_exact(
            r,
            |g| {
                g.f.get(a.0).get(b.0).op(I::I64Mul).set(r);
            },
            |g| {
                g.f.get(a.0).get(b.0);
                g.checked_call(Helper::MulChecked, site)
            },
        );
        r
    }

    /// `round(a * b / 10^6)` half away from zero: inline while the product
    /// fits in 64 bits, else the 128-bit helper.
    pub(super) fn mul_round(
        &mut self,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        site: i32,
    ) -> Local {
        let r = self.f.i64_local();
        let (x, c) = match (a.1, b.1) {
            (_, Some(c)) => (a.0, Some(c)),
            (Some(c), _) => (b.0, Some(c)),
            _ => (a.0, None),
        };
        match c {
            Some(0) => {
                self.f.i64c(0).set(r);
                return r;
            }
            Some(DEC_SCALE) => return self.copy(x),
            Some(c) => {
                let l = inline::mul_round_bound(c);
                if l == 0 {
                    return self.mul_div(a.0, Some(b.0), None, site);
                }
                // x's bounds may show the product fits: no check
                if let Some((lo, hi)) = self.fast_bounds(x).filter(|&(lo, hi)| lo >= -l && hi <= l)
                {
                    let p = self.f.i64_local();
                    self.f.get(x).i64c(c).op(I::I64Mul).set(p);
                    inline::div_round_const(&mut self.f, p, DEC_SCALE);
                    self.f.set(r);
                    // rounded, each bound moves by at most one
                    let scaled =
                        |v: i64| (i128::from(v) * i128::from(c) / i128::from(DEC_SCALE)) as i64;
                    let (p, q) = (scaled(lo), scaled(hi));
                    self.bounds.insert(r, (p.min(q) - 1, p.max(q) + 1));
                    return r;
                }
                inline::outside(&mut self.f, x, -l, l);
                self.f.op(I::I32Eqz);
            }
            None => inline::fit_i32(&mut self.f, &[a.0, b.0]),
        }
        self.inline_else_exact(
            r,
            |g| {
                let p = g.f.i64_local();
                g.f.get(x);
                match c {
                    Some(c) => g.f.i64c(c),
                    None => g.f.get(b.0),
                };
                g.f.op(I::I64Mul).set(p);
                inline::div_round_const(&mut g.f, p, DEC_SCALE);
                g.f.set(r);
            },
            |g| g.mul_div(a.0, Some(b.0), None, site),
        );
        r
    }

    /// `round(a * 10^6 / b)` half away from zero: inline while `a * 10^6`
    /// is far from the i64 limits and `b` is not zero, else the helper.
    pub(super) fn div_round(&mut self, a: Local, b: (Local, Option<i64>), site: i32) -> Local {
        let r = self.f.i64_local();
        match b.1 {
            Some(0) => return self.mul_div(a, None, Some(b.0), site),
            Some(c) => {
                let l = inline::div_round_bound(c);
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
            }
            None => {
                let l = inline::div_round_bound(i64::MIN);
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
                self.f.get(b.0).i64c(0).op(I::I64Ne).op(I::I32And);
            }
        }
        self.inline_else_exact(
            r,
            |g| {
                let p = g.f.i64_local();
                g.f.get(a).i64c(DEC_SCALE).op(I::I64Mul).set(p);
                match b.1 {
                    Some(c) => inline::div_round_const(&mut g.f, p, c),
                    None => inline::div_round_var(&mut g.f, p, b.0),
                }
                g.f.set(r);
            },
            |g| g.mul_div(a, None, Some(b.0), site),
        );
        r
    }

    /// `a / b` rounded half away from zero (money by an int): inline,
    /// a hardware division, while `a` is far enough from the ends of the
    /// range for [`inline::div_round_const`] (a constant `b`) or
    /// [`inline::div_round_var`] and `b` is not 0; else the exact helper,
    /// which fails with division by zero or overflow as those call for.
    fn div_round_int(&mut self, a: Local, b: (Local, Option<i64>), site: i32) -> Local {
        let r = self.f.i64_local();
        let exact = |g: &mut Self| {
            g.f.get(a).i64c(1).get(b.0);
            g.checked_call(Helper::MulDivRound, site)
        };
        match b.1 {
            Some(0) => {
                let v = exact(self);
                self.f.get(v).set(r);
                return r;
            }
            Some(c) => {
                let l = i64::MAX - (c.unsigned_abs() / 2) as i64;
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
            }
            None => {
                let l = (1i64 << 62) - 1;
                inline::outside(&mut self.f, a, -l, l);
                self.f.op(I::I32Eqz);
                self.f.get(b.0).i64c(0).op(I::I64Ne).op(I::I32And);
            }
        }
        self.inline_else_exact(
            r,
            |g| {
                match b.1 {
                    Some(c) => inline::div_round_const(&mut g.f, a, c),
                    None => inline::div_round_var(&mut g.f, a, b.0),
                }
                g.f.set(r);
            },
            exact,
        );
        r
    }

    pub(super) fn mul_div(
        &mut self,
        a: Local,
        b: Option<Local>,
        c: Option<Local>,
        site: i32,
    ) -> Local {
        self.f.get(a);
        match b {
            Some(b) => self.f.get(b),
            None => self.f.i64c(DEC_SCALE),
        };
        match c {
            Some(c) => self.f.get(c),
            None => self.f.i64c(DEC_SCALE),
        };
        self.checked_call(Helper::MulDivRound, site)
    }

    /// An arithmetic expression.
    pub(super) fn arith_expr(&mut self, op: ArithOp, a: &Expr, b: &Expr, e: &Expr) -> Val {
        use ArithOp::*;
        // decimal or money times a promoted int n: round(x * n·10^6 / 10^6)
        // is exactly x * n, once the promotion of n has not overflowed
        let int_to_dec = |x: &Expr| matches!(x.kind, ExprKind::Promote(Promotion::IntToDec, _));
        let int_side = match op {
            MulDec | MulMoneyDec | MulDecMoney if int_to_dec(b) => Some(1),
            MulDec | MulMoneyDec | MulDecMoney if int_to_dec(a) => Some(0),
            _ => None,
        };
        if !self.track {
            if let Some(v) = self.arith_over_if(op, a, b, e, int_side) {
                return v;
            }
            if let Some(v) = self.scaled_offset(op, a, b, e) {
                return v;
            }
        }
        let x = self.operand(a, int_side == Some(0));
        let y = self.operand(b, int_side == Some(1));
        self.arith_vals(op, &x, &y, int_side, e)
    }

    /// An operand of [`Gen::arith_expr`]; for the promoted int of its
    /// `int_side` (`promoted_int`), the int itself, checked to promote (in
    /// the fast evaluation, to the narrower range of a fast product).
    pub(super) fn operand(&mut self, operand: &Expr, promoted_int: bool) -> Val {
        match &operand.kind {
            ExprKind::Promote(_, inner) if promoted_int => {
                let site = self.site(operand);
                let (lo, hi) = if self.track {
                    (i64::MIN / DEC_SCALE, i64::MAX / DEC_SCALE)
                } else {
                    Self::fast_mul_range(DEC_SCALE)
                };
                if let Some(n) = self.offset_in_range(inner, (lo, hi), site) {
                    return n;
                }
                let n = self.expr(inner);
                if self.track || n.k.is_some() {
                    self.check_range(&n, lo, hi, site);
                    return n;
                }
                let v = self.narrowed(n.v, (lo, hi), site);
                Val { v, ..n }
            }
            _ => self.expr(operand),
        }
    }

    /// In the fast evaluation, `x` checked to lie within `lo..=hi` (the
    /// full evaluation takes the record otherwise), as a new local known
    /// to: where `x` is read elsewhere, the check may not have run.
    pub(super) fn narrowed(&mut self, x: Local, (lo, hi): (i64, i64), site: i32) -> Local {
        let known = self.fast_bounds(x);
        if known.is_some_and(|(a, b)| a >= lo && b <= hi) {
            return x;
        }
        self.fail_outside(x, lo, hi, site);
        let r = self.f.i64_local();
        self.f.get(x).set(r);
        self.bounds.insert(r, (lo, hi));
        r
    }

    /// The fast evaluation of `(x + k) * c`, `(x - k) * c` or `c * (x + k)`
    /// for constants k and c, an int, money or decimal product: one range
    /// check on x, shifted by k ([`Gen::offset_in_range`]), to the range
    /// of a fast product by c, which then needs no check of its own.
    fn scaled_offset(&mut self, op: ArithOp, a: &Expr, b: &Expr, e: &Expr) -> Option<Val> {
        use ArithOp::*;
        if !matches!(op, MulInt | MulMoneyInt | MulIntMoney) {
            return None;
        }
        let (other, c) = match (self.static_value(a), self.static_value(b)) {
            (None, Some(c)) => (a, c),
            (Some(c), None) => (b, c),
            _ => return None,
        };
        if c == 0 {
            return None;
        }
        let site = self.site(e);
        let x = self.offset_in_range(other, Self::fast_mul_range(c), site)?;
        let v = self.mul_const(x.v, c, site);
        Some(Val {
            v,
            set: self.empty_set(),
            k: None,
        })
    }

    /// In the fast evaluation, an int `x + k` or `x - k` (k a constant)
    /// that must lie within `lo..=hi`: one range check on x, shifted by k,
    /// for the two checks (the sum's overflow, then the range), as the sum
    /// cannot overflow once x is within the shifted range. None (and no
    /// code) for anything else.
    pub(super) fn offset_in_range(
        &mut self,
        e: &Expr,
        (lo, hi): (i64, i64),
        site: i32,
    ) -> Option<Val> {
        if self.track {
            return None;
        }
        let ExprKind::Arith(op @ (ArithOp::AddInt | ArithOp::SubInt), a, b) = &e.kind else {
            return None;
        };
        let (x, k) = match (self.static_value(a), self.static_value(b), op) {
            (None, Some(k), ArithOp::AddInt) => (a, k),
            (None, Some(k), _) => (a, k.checked_neg()?),
            (Some(k), None, ArithOp::AddInt) => (b, k),
            _ => return None,
        };
        let (x_lo, x_hi) = (lo.checked_sub(k)?, hi.checked_sub(k)?);
        let x = self.expr(x);
        self.fail_outside(x.v, x_lo, x_hi, site);
        let r = self.f.i64_local();
        self.f.get(x.v).i64c(k).op(I::I64Add).set(r);
        self.bounds.insert(r, (lo, hi));
        Some(Val {
            v: r,
            set: self.empty_set(),
            k: None,
        })
    }

    /// The fast evaluation of `x op (if c then k1 else k2)`, or of the `if`
    /// on the left, for constants k1 and k2 and a non-constant x: for a
    /// product or quotient, a branch on c, then in each branch the
    /// operation with a constant operand and that constant's fast path
    /// (times 1 is a copy); for a sum or difference, the constant picked
    /// by a `select` on c, without a branch. The fast evaluation leaves
    /// failures to the full one, so evaluating c after x, wherever the
    /// `if` is, changes nothing.
    pub(super) fn arith_over_if(
        &mut self,
        op: ArithOp,
        a: &Expr,
        b: &Expr,
        e: &Expr,
        int_side: Option<usize>,
    ) -> Option<Val> {
        // the side of the `if` (0 left, 1 right; the right when both are)
        let mut found = None;
        for (side, this, other) in [(0, a, b), (1, b, a)] {
            if let ExprKind::If(c, p, q) = &this.kind {
                if self.static_value(c).is_none() && self.static_value(other).is_none() {
                    if let (Some(k1), Some(k2)) = (self.static_value(p), self.static_value(q)) {
                        found = Some((side, other, c, [k1, k2]));
                    }
                }
            }
        }
        let (side, other, c, ks) = found?;
        let other = self.operand(other, int_side == Some(1 - side));
        if matches!(
            op,
            ArithOp::AddInt
                | ArithOp::SubInt
                | ArithOp::AddDec
                | ArithOp::SubDec
                | ArithOp::AddMoney
                | ArithOp::SubMoney
        ) {
            // a sum gains nothing from a constant operand but its bounds:
            // the constant picked by a `select` (bounded by both), not by
            // a branch, which a condition true for some records and false
            // for others in no order would mispredict
            let cv = self.expr(c);
            let k = self.f.i64_local();
            self.f.i64c(ks[0]).i64c(ks[1]).get(cv.v).op(I::I32WrapI64);
            self.f.op(I::Select).set(k);
            self.bounds.insert(k, (ks[0].min(ks[1]), ks[0].max(ks[1])));
            let k = Val {
                v: k,
                set: self.empty_set(),
                k: None,
            };
            let (x, y) = if side == 1 {
                (&other, &k)
            } else {
                (&k, &other)
            };
            return Some(self.arith_vals(op, x, y, int_side, e));
        }
        let out = self.f.i64_local();
        let done = self.f.block();
        let second = self.f.block();
        self.branch_on(c, false, second);
        // the result's bounds: those of both branches together
        let mut bounds = Some((i64::MAX, i64::MIN));
        for (i, k) in ks.into_iter().enumerate() {
            let k = self.konst(k);
            let (x, y) = if side == 1 {
                (&other, &k)
            } else {
                (&k, &other)
            };
            let r = self.arith_vals(op, x, y, int_side, e);
            let branch = r.k.map(|k| (k, k)).or_else(|| self.fast_bounds(r.v));
            bounds = bounds
                .zip(branch)
                .map(|((lo, hi), (p, q))| (lo.min(p), hi.max(q)));
            self.f.get(r.v).set(out);
            if i == 0 {
                self.f.br(done);
            }
            self.f.end();
        }
        if let Some(b) = bounds {
            self.bounds.insert(out, b);
        }
        Some(Val {
            v: out,
            set: self.empty_set(),
            k: None,
        })
    }

    /// [`Gen::arith_expr`] once its operands are evaluated.
    pub(super) fn arith_vals(
        &mut self,
        op: ArithOp,
        x: &Val,
        y: &Val,
        int_side: Option<usize>,
        e: &Expr,
    ) -> Val {
        let site = self.site(e);
        let (kx, ky) = (x.k, y.k);
        if int_side.is_some() {
            if let Some(r) = kx.zip(ky).and_then(|(p, q)| p.checked_mul(q)) {
                return self.konst(r);
            }
            // n is within ±i64::MAX / 10^6 now, so a constant factor of at
            // most 10^6 cannot overflow
            let small = |k: Option<i64>| k.is_some_and(|c| c.unsigned_abs() <= DEC_SCALE as u64);
            let (kn, kother) = if int_side == Some(1) {
                (ky, kx)
            } else {
                (kx, ky)
            };
            if kn.is_none() && small(kother) {
                // inside `if int_side.is_some()`: the 0 is never taken
                let n_side = int_side.unwrap_or(0);
                return self.numeric_strict(&[x, y], |g, v| {
                    let r = g.f.i64_local();
                    g.f.get(v[0]).get(v[1]).op(I::I64Mul).set(r);
                    if let Some(b) = kother
                        .zip(g.fast_bounds(v[n_side]))
                        .and_then(|(c, b)| bounds_times(b, c))
                    {
                        g.bounds.insert(r, b);
                    }
                    r
                });
            }
            return self
                .numeric_strict(&[x, y], |g, v| g.mul_checked((v[0], kx), (v[1], ky), site));
        }
        if let Some(r) = kx.zip(ky).and_then(|(p, q)| fold_arith(op, p, q)) {
            return self.konst(r);
        }
        self.numeric_strict(&[x, y], |g, v| g.arith(op, (v[0], kx), (v[1], ky), site))
    }

    /// Fails with overflow when `x` is known and outside `lo..=hi`.
    pub(super) fn check_range(&mut self, x: &Val, lo: i64, hi: i64, site: i32) {
        if let Some(n) = x.k {
            if !(lo..=hi).contains(&n) {
                self.fail(abi::STATUS_OVERFLOW, site);
            }
            return;
        }
        let tracked = self.track && !Self::is_static_empty(&x.set);
        if tracked {
            self.push_unknown(&x.set);
            self.f.op(I::I32Eqz);
            self.f.if_();
        }
        self.fail_outside(x.v, lo, hi, site);
        if tracked {
            self.f.end();
        }
    }

    pub(super) fn arith(
        &mut self,
        op: ArithOp,
        a: (Local, Option<i64>),
        b: (Local, Option<i64>),
        site: i32,
    ) -> Local {
        use ArithOp::*;
        match op {
            AddInt | AddDec | AddMoney => self.checked_add(a, b, site, false),
            SubInt | SubDec | SubMoney => self.checked_add(a, b, site, true),
            MulInt | MulMoneyInt | MulIntMoney => self.mul_checked(a, b, site),
            // round(a / b): inline while it cannot overflow and b is not
            // 0, else the exact helper (which fails for those)
            DivMoneyInt => self.div_round_int(a.0, b, site),
            // round(a * b / 10^6)
            MulDec | MulMoneyDec | MulDecMoney => self.mul_round(a, b, site),
            // round(a * 10^6 / b)
            DivInt | DivDec | DivMoneyDec | DivMoneyMoney => self.div_round(a.0, b, site),
        }
    }

    /// A call of `func` on the values `v`, `known` the value of each
    /// argument when it is a compile-time constant.
    pub(super) fn call(
        &mut self,
        func: Func,
        v: &[Local],
        known: &[Option<i64>],
        site: i32,
    ) -> Local {
        let r = self.f.i64_local();
        match func {
            Func::Min | Func::Max => {
                let Some((first, rest)) = v.split_first() else {
                    self.f.i64c(0).set(r);
                    return r;
                };
                self.f.get(*first).set(r);
                for x in rest {
                    // select(x, r, x < r) for min
                    self.f.get(*x).get(r).get(*x).get(r);
                    self.f.op(if func == Func::Min {
                        I::I64LtS
                    } else {
                        I::I64GtS
                    });
                    self.f.op(I::Select).set(r);
                }
            }
            Func::Abs => {
                // the checker gives abs, floor, ceil and round one argument
                let x = v.first().copied().unwrap_or(r);
                self.f.get(x).i64c(i64::MIN).op(I::I64Eq);
                self.fail_if(abi::STATUS_OVERFLOW, site);
                self.f.get(x).i64c(0).get(x).op(I::I64Sub);
                self.f.get(x).i64c(0).op(I::I64GeS).op(I::Select).set(r);
            }
            Func::Floor(k) | Func::Ceil(k) | Func::Round(k) => {
                let x = v.first().copied().unwrap_or(r);
                let mode = match func {
                    Func::Floor(_) => 0,
                    Func::Ceil(_) => 1,
                    _ => 2,
                };
                match k {
                    NumKind::Int => {
                        self.f.get(x).set(r);
                    }
                    NumKind::Dec => {
                        self.div_by_const(x, DEC_SCALE, mode, r);
                    }
                    NumKind::Money => {
                        // whole pounds: pence / 100, rounded, times 100
                        let q = self.f.i64_local();
                        self.div_by_const(x, 100, mode, q);
                        let m = self.mul_const(q, 100, site);
                        self.f.get(m).set(r);
                    }
                }
            }
            Func::YearsBetween => {
                // the checker gives years_between two arguments
                let (Some(&d1), Some(&d2)) = (v.first(), v.get(1)) else {
                    self.f.i64c(0).set(r);
                    return r;
                };
                let helper = helper_index(Helper::YearsBetween);
                helpers::years_between_inline(&mut self.f, (d1, d2), r, helper);
            }
            Func::DaysBetween => {
                self.f.get(v[1]).get(v[0]).op(I::I64Sub).set(r);
            }
            Func::StartsWith | Func::EndsWith | Func::Contains => {
                match (func, self.inline_affix(known)) {
                    // a short constant affix: its bytes compared inline
                    // (the helper's byte loop costs more than comparing)
                    (Func::StartsWith | Func::EndsWith, Some(affix)) => {
                        let ends = func == Func::EndsWith;
                        inline::affix_const(&mut self.f, v[0], &affix, ends);
                    }
                    _ => {
                        let h = match func {
                            Func::StartsWith => Helper::StartsWith,
                            Func::EndsWith => Helper::EndsWith,
                            _ => Helper::Contains,
                        };
                        self.f.get(v[0]).get(v[1]).op(I::Call(helper_index(h)));
                    }
                }
                self.f.op(I::I64ExtendI32U).set(r);
            }
        }
        r
    }
}

/// The bounds of `x * c` for `x` within `lo..=hi`, unless they overflow.
fn bounds_times((lo, hi): (i64, i64), c: i64) -> Option<(i64, i64)> {
    let (p, q) = (lo.checked_mul(c)?, hi.checked_mul(c)?);
    Some((p.min(q), p.max(q)))
}

/// The value of an arithmetic operation on two constants, unless it fails.
pub(super) fn fold_arith(op: ArithOp, x: i64, y: i64) -> Option<i64> {
    use crate::num;
    use ArithOp::*;
    match op {
        AddInt => num::int_add(x, y),
        SubInt => num::int_sub(x, y),
        MulInt => num::int_mul(x, y),
        DivInt => num::int_div_to_dec(x, y),
        AddDec => num::dec_add(x, y),
        SubDec => num::dec_sub(x, y),
        MulDec => num::dec_mul(x, y),
        DivDec => num::dec_div(x, y),
        AddMoney => num::money_add(x, y),
        SubMoney => num::money_sub(x, y),
        MulMoneyDec => num::money_mul_dec(x, y),
        MulDecMoney => num::dec_mul_money(x, y),
        DivMoneyDec => num::money_div_dec(x, y),
        MulMoneyInt => num::money_mul_int(x, y),
        MulIntMoney => num::money_mul_int(y, x),
        DivMoneyInt => num::money_div_int(x, y),
        DivMoneyMoney => num::money_div_money(x, y),
    }
    .ok()
}
