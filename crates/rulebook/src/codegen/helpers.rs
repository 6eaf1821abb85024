//! Runtime helper functions, each emitted into the modules that use it: exact 128-bit
//! multiply-divide with rounding, checked multiplication, rounding division,
//! calendar arithmetic and UTF-8 text tests. Each is a plain Wasm function;
//! codegen calls them by the indices in [`Helper`].

use super::emit::{FnBuilder, Local};
use crate::abi;
use wasm_encoder::{Function, Instruction as I, MemArg, ValType};

/// The helper functions, in the order they are placed after the entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// (a, b) -> (a*b, status)
    MulChecked,
    /// (a, b, c) -> (round_half_away(a*b/c), status)
    MulDivRound,
    /// (days) -> the date's key, `year << 20` plus the day's place in its
    /// year: keys order as dates do, and whole years between
    /// two dates are their keys' difference shifted right by 20 (see
    /// [`date_key`], [`years_between`])
    DateKey,
    /// (d1, d2) -> whole years from d1 to d2
    YearsBetween,
    /// (p1, p2, n) -> bytes equal
    BytesEq,
    /// (text, text) -> i32
    TextEq,
    StartsWith,
    EndsWith,
    Contains,
}

/// Every helper, in index order. `every_helper_is_listed` fails to compile
/// when a variant is added without its place here.
pub const ALL: [Helper; 9] = [
    Helper::MulChecked,
    Helper::MulDivRound,
    Helper::DateKey,
    Helper::YearsBetween,
    Helper::BytesEq,
    Helper::TextEq,
    Helper::StartsWith,
    Helper::EndsWith,
    Helper::Contains,
];

const I64: ValType = ValType::I64;
const I32: ValType = ValType::I32;

impl Helper {
    /// (params, results)
    pub fn signature(self) -> (Vec<ValType>, Vec<ValType>) {
        match self {
            Helper::MulChecked => (vec![I64, I64], vec![I64, I32]),
            Helper::MulDivRound => (vec![I64, I64, I64], vec![I64, I32]),
            Helper::DateKey => (vec![I64], vec![I64]),
            Helper::YearsBetween => (vec![I64, I64], vec![I64]),
            Helper::BytesEq => (vec![I32, I32, I32], vec![I32]),
            Helper::TextEq | Helper::StartsWith | Helper::EndsWith | Helper::Contains => {
                (vec![I64, I64], vec![I32])
            }
        }
    }

    /// The helpers this one calls.
    pub fn deps(self) -> &'static [Helper] {
        match self {
            Helper::YearsBetween => &[Helper::DateKey],
            Helper::TextEq | Helper::StartsWith | Helper::EndsWith | Helper::Contains => {
                &[Helper::BytesEq]
            }
            _ => &[],
        }
    }

    pub fn body(self, index_of: &dyn Fn(Helper) -> u32) -> Function {
        match self {
            Helper::MulChecked => mul_checked(),
            Helper::MulDivRound => mul_div_round(),
            Helper::DateKey => date_key(),
            Helper::YearsBetween => {
                years_between(index_of(Helper::DateKey), index_of(Helper::YearsBetween))
            }
            Helper::BytesEq => bytes_eq(),
            Helper::TextEq => text_eq(index_of(Helper::BytesEq)),
            Helper::StartsWith => starts_with(index_of(Helper::BytesEq), false),
            Helper::EndsWith => starts_with(index_of(Helper::BytesEq), true),
            Helper::Contains => contains(index_of(Helper::BytesEq)),
        }
    }
}

const LOW32: i64 = 0xffff_ffff;

/// |x| as an unsigned 64-bit value (i64::MIN gives 2^63).
fn magnitude(f: &mut FnBuilder, x: Local, out: Local) {
    f.get(x).i64c(0).op(I::I64LtS);
    f.if_();
    f.i64c(0).get(x).op(I::I64Sub).set(out);
    f.else_();
    f.get(x).set(out);
    f.end();
}

/// (hi, lo) = a * b as unsigned 128-bit, from 32-bit limbs.
fn umul128(f: &mut FnBuilder, a: Local, b: Local, hi: Local, lo: Local) {
    let [a0, a1, b0, b1, p00, p01, p10, p11, mid] = [(); 9].map(|_| f.i64_local());
    f.get(a).i64c(LOW32).op(I::I64And).set(a0);
    f.get(a).i64c(32).op(I::I64ShrU).set(a1);
    f.get(b).i64c(LOW32).op(I::I64And).set(b0);
    f.get(b).i64c(32).op(I::I64ShrU).set(b1);
    f.get(a0).get(b0).op(I::I64Mul).set(p00);
    f.get(a0).get(b1).op(I::I64Mul).set(p01);
    f.get(a1).get(b0).op(I::I64Mul).set(p10);
    f.get(a1).get(b1).op(I::I64Mul).set(p11);
    // mid = (p00 >> 32) + (p01 & LOW32) + (p10 & LOW32)
    f.get(p00).i64c(32).op(I::I64ShrU);
    f.get(p01).i64c(LOW32).op(I::I64And).op(I::I64Add);
    f.get(p10).i64c(LOW32).op(I::I64And).op(I::I64Add).set(mid);
    // lo = (p00 & LOW32) | (mid << 32)
    f.get(p00).i64c(LOW32).op(I::I64And);
    f.get(mid).i64c(32).op(I::I64Shl).op(I::I64Or).set(lo);
    // hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32)
    f.get(p11);
    f.get(p01).i64c(32).op(I::I64ShrU).op(I::I64Add);
    f.get(p10).i64c(32).op(I::I64ShrU).op(I::I64Add);
    f.get(mid).i64c(32).op(I::I64ShrU).op(I::I64Add).set(hi);
}

/// Pushes (signed result, status) for magnitude `q` and sign `neg` (i32):
/// overflow unless the result fits in i64.
fn signed_result(f: &mut FnBuilder, q: Local, neg: Local) {
    f.get(neg);
    f.if_();
    // q <= 2^63 (as unsigned)
    f.get(q).i64c(i64::MIN).op(I::I64GtU);
    f.if_();
    f.i64c(0).i32c(abi::STATUS_OVERFLOW).op(I::Return);
    f.end();
    f.i64c(0).get(q).op(I::I64Sub).i32c(0).op(I::Return);
    f.end();
    f.get(q).i64c(0).op(I::I64LtS); // q >= 2^63 unsigned
    f.if_();
    f.i64c(0).i32c(abi::STATUS_OVERFLOW).op(I::Return);
    f.end();
    f.get(q).i32c(0);
}

fn sign_xor(f: &mut FnBuilder, a: Local, b: Local, neg: Local) {
    f.get(a).i64c(0).op(I::I64LtS);
    f.get(b).i64c(0).op(I::I64LtS);
    f.op(I::I32Xor).set(neg);
}

fn mul_checked() -> Function {
    let mut f = FnBuilder::new(2);
    let (a, b) = (0, 1);
    let [ma, mb, hi, lo] = [(); 4].map(|_| f.i64_local());
    let neg = f.i32_local();
    sign_xor(&mut f, a, b, neg);
    magnitude(&mut f, a, ma);
    magnitude(&mut f, b, mb);
    umul128(&mut f, ma, mb, hi, lo);
    f.get(hi).op(I::I64Eqz).op(I::I32Eqz);
    f.if_();
    f.i64c(0).i32c(abi::STATUS_OVERFLOW).op(I::Return);
    f.end();
    signed_result(&mut f, lo, neg);
    f.finish()
}

fn mul_div_round() -> Function {
    let mut f = FnBuilder::new(3);
    let (a, b, c) = (0, 1, 2);
    let [ma, mb, mc, hi, lo, q, r, i] = [(); 8].map(|_| f.i64_local());
    let [neg, neg2, carry] = [(); 3].map(|_| f.i32_local());
    f.get(c).op(I::I64Eqz);
    f.if_();
    f.i64c(0).i32c(abi::STATUS_DIVISION_BY_ZERO).op(I::Return);
    f.end();
    sign_xor(&mut f, a, b, neg);
    f.get(c).i64c(0).op(I::I64LtS).set(neg2);
    f.get(neg).get(neg2).op(I::I32Xor).set(neg);
    magnitude(&mut f, a, ma);
    magnitude(&mut f, b, mb);
    magnitude(&mut f, c, mc);
    umul128(&mut f, ma, mb, hi, lo);
    f.get(hi).op(I::I64Eqz);
    f.if_();
    {
        f.get(lo).get(mc).op(I::I64DivU).set(q);
        f.get(lo).get(mc).op(I::I64RemU).set(r);
    }
    f.else_();
    {
        // the quotient only fits in 64 bits when hi < c
        f.get(hi).get(mc).op(I::I64GeU);
        f.if_();
        f.i64c(0).i32c(abi::STATUS_OVERFLOW).op(I::Return);
        f.end();
        // restoring long division of hi:lo by mc, one bit at a time
        f.i64c(0).set(q);
        f.i64c(64).set(i);
        let done = f.block();
        let top = f.loop_();
        f.get(i).op(I::I64Eqz);
        f.br_if(done);
        f.get(hi)
            .i64c(63)
            .op(I::I64ShrU)
            .op(I::I32WrapI64)
            .set(carry);
        f.get(hi).i64c(1).op(I::I64Shl);
        f.get(lo).i64c(63).op(I::I64ShrU).op(I::I64Or).set(hi);
        f.get(lo).i64c(1).op(I::I64Shl).set(lo);
        f.get(q).i64c(1).op(I::I64Shl).set(q);
        f.get(carry).get(hi).get(mc).op(I::I64GeU).op(I::I32Or);
        f.if_();
        f.get(hi).get(mc).op(I::I64Sub).set(hi);
        f.get(q).i64c(1).op(I::I64Or).set(q);
        f.end();
        f.get(i).i64c(1).op(I::I64Sub).set(i);
        f.br(top);
        f.end();
        f.end();
        f.get(hi).set(r);
    }
    f.end();
    // round half away from zero: r >= c - r
    f.get(r).get(mc).get(r).op(I::I64Sub).op(I::I64GeU);
    f.if_();
    f.get(q).i64c(-1).op(I::I64Eq);
    f.if_();
    f.i64c(0).i32c(abi::STATUS_OVERFLOW).op(I::Return);
    f.end();
    f.get(q).i64c(1).op(I::I64Add).set(q);
    f.end();
    signed_result(&mut f, q, neg);
    f.finish()
}

/// 400-year eras added to a day number before it is converted, so that
/// every date (a day number fits 32 bits) is a non-negative count of days
/// from 0000-03-01 and the conversion divides unsigned numbers only.
const ERAS_BEFORE: i64 = 14_700;

/// The key of a day number (days from 1970-01-01, within 32 bits):
/// `year << 20` plus the day's place in its year (0 for 1 January, 59
/// for 29 February, 60 for 1 March in every year, to 365 for 31
/// December), proleptic Gregorian; the year is counted from an epoch of
/// its own, which cancels out of every difference. Keys order as dates do.
///
/// The year and the day of a year that starts on 1 March (`ny`, 0 to
/// 365) come from Neri and Schneider's civil-from-days ("Euclidean affine
/// functions and their application to calendar algorithms", 2022), on
/// days counted from 0000-03-01 less [`ERAS_BEFORE`] eras, so that every
/// number is non-negative and every division an unsigned one by a
/// constant (a multiplication). The month and day themselves are never
/// needed: the place is `ny + 60` from March to December, and `ny - 306`
/// in January and February, which belong to the next calendar year.
fn date_key() -> Function {
    let mut f = FnBuilder::new(1);
    push_date_key(&mut f, 0);
    f.finish()
}

/// Pushes the key of the day number in local `days` (see [`date_key`]):
/// that helper's body, and inline in [`years_between`].
fn push_date_key(f: &mut FnBuilder, days: Local) {
    let (n1, century, p2) = (f.i64_local(), f.i64_local(), f.i64_local());
    let ny = f.i32_local();
    // n1 = 4 * (days from the shifted 0000-03-01) + 3
    f.get(days)
        .i64c(719_468 + 146_097 * ERAS_BEFORE)
        .op(I::I64Add)
        .i64c(2)
        .op(I::I64Shl)
        .i64c(3)
        .op(I::I64Or)
        .set(n1);
    f.get(n1).i64c(146_097).op(I::I64DivU).set(century);
    // p2 = 2939745 * (4 * (day of the century) + 3): its high half is the
    // year of the century, its low half over 11758980 the day of the year
    f.get(n1)
        .get(century)
        .i64c(146_097)
        .op(I::I64Mul)
        .op(I::I64Sub)
        .i64c(3)
        .op(I::I64Or)
        .i64c(2_939_745)
        .op(I::I64Mul)
        .set(p2);
    f.get(p2)
        .op(I::I32WrapI64)
        .i32c(11_758_980)
        .op(I::I32DivU)
        .set(ny);
    // (100 * century + year of the century) << 20
    f.get(century)
        .i64c(100)
        .op(I::I64Mul)
        .get(p2)
        .i64c(32)
        .op(I::I64ShrU)
        .op(I::I64Add)
        .i64c(20)
        .op(I::I64Shl);
    // + the place: ny + 60, or in January and February (ny >= 306, the
    // next calendar year) ny - 306 + 2^20
    f.get(ny).i32c(60).op(I::I32Add);
    f.get(ny)
        .i32c(306)
        .op(I::I32GeU)
        .i32c((1 << 20) - 366)
        .op(I::I32Mul)
        .op(I::I32Add);
    f.op(I::I64ExtendI32U).op(I::I64Add);
}

/// The module's globals, present when [`Helper::YearsBetween`] is: the
/// later date its last call was given (none at first: no date is
/// `i64::MIN`) and that date's key. A batch shares its `as_of`, so the
/// later date's key is computed once a batch instead of once a record.
const GLOBAL_LATER_DATE: u32 = 0;
const GLOBAL_LATER_KEY: u32 = 1;

/// The initial values of the module's (mutable i64) globals, by index,
/// when `used` holds the helpers the module has.
pub fn globals(used: &[Helper]) -> &'static [i64] {
    if used.contains(&Helper::YearsBetween) {
        // GLOBAL_LATER_DATE, GLOBAL_LATER_KEY
        &[i64::MIN, 0]
    } else {
        &[]
    }
}

/// Whole years from `d1` to `d2` (negative when `d2` is before `d1`): the
/// anniversaries of `d1` reached by `d2`, that of 29 February falling on
/// 1 March in common years. With `a <= b`, that is `(key(b) - key(a)) >>
/// 20`: the keys' difference is the years' difference times 2^20 plus
/// that of the days' places in their years (each below 366), which is negative
/// exactly when `b`'s month-and-day comes before `a`'s (29 February's
/// anniversary too: a common year has no month-and-day between 28
/// February and 1 March).
fn years_between(key_fn: u32, self_fn: u32) -> Function {
    let mut f = FnBuilder::new(2);
    let (d1, d2) = (0, 1);
    // reversed order: the negated count
    f.get(d2).get(d1).op(I::I64LtS);
    f.if_();
    f.i64c(0).get(d2).get(d1).op(I::Call(self_fn));
    f.op(I::I64Sub).op(I::Return);
    f.end();
    f.get(d2).op(I::GlobalGet(GLOBAL_LATER_DATE)).op(I::I64Ne);
    f.if_();
    f.get(d2)
        .op(I::Call(key_fn))
        .op(I::GlobalSet(GLOBAL_LATER_KEY));
    f.get(d2).op(I::GlobalSet(GLOBAL_LATER_DATE));
    f.end();
    // the earlier date's key inline: one call a record, not two
    push_years_to_kept(&mut f, d1);
    f.finish()
}

/// Pushes the whole years from the day number in local `d1` to the later
/// date whose key the module's globals keep (`d1` not after it): the keys'
/// difference shifted right by 20 (see [`years_between`]).
fn push_years_to_kept(f: &mut FnBuilder, d1: Local) {
    f.op(I::GlobalGet(GLOBAL_LATER_KEY));
    push_date_key(f, d1);
    f.op(I::I64Sub).i64c(20).op(I::I64ShrU);
}

/// Sets `r` to the whole years from `d1` to `d2`, as [`years_between`]
/// counts them, inline where the call is the usual one: `d2` not before
/// `d1`, and the later date of the helper's last call (a batch's `as_of`),
/// whose key the module's globals then hold. Any other call goes to the
/// helper (`helper`, its index), which keeps the new later date's key. So
/// a record's age costs the earlier date's key and no call.
pub fn years_between_inline(f: &mut FnBuilder, (d1, d2): (Local, Local), r: Local, helper: u32) {
    let done = f.block();
    let call = f.block();
    f.get(d2).get(d1).op(I::I64LtS);
    f.br_if(call);
    f.get(d2).op(I::GlobalGet(GLOBAL_LATER_DATE)).op(I::I64Ne);
    f.br_if(call);
    push_years_to_kept(f, d1);
    f.set(r);
    f.br(done);
    f.end();
    f.get(d1).get(d2).op(I::Call(helper)).set(r);
    f.end();
}

fn bytes_eq() -> Function {
    let mut f = FnBuilder::new(3);
    let (p1, p2, n) = (0, 1, 2);
    let done = f.block();
    let top = f.loop_();
    f.get(n).op(I::I32Eqz);
    f.br_if(done);
    f.get(p1)
        .op(I::I32Load8U(byte()))
        .get(p2)
        .op(I::I32Load8U(byte()))
        .op(I::I32Ne);
    f.if_();
    f.i32c(0).op(I::Return);
    f.end();
    f.get(p1).i32c(1).op(I::I32Add).set(p1);
    f.get(p2).i32c(1).op(I::I32Add).set(p2);
    f.get(n).i32c(1).op(I::I32Sub).set(n);
    f.br(top);
    f.end();
    f.end();
    f.i32c(1);
    f.finish()
}

fn byte() -> MemArg {
    MemArg {
        offset: 0,
        align: 0,
        memory_index: 0,
    }
}

/// Splits a packed text (ptr | len << 32) into i32 ptr and len locals.
fn unpack(f: &mut FnBuilder, t: Local, ptr: Local, len: Local) {
    f.get(t).op(I::I32WrapI64).set(ptr);
    f.get(t).i64c(32).op(I::I64ShrU).op(I::I32WrapI64).set(len);
}

fn text_eq(bytes_eq_fn: u32) -> Function {
    let mut f = FnBuilder::new(2);
    let [p1, n1, p2, n2] = [(); 4].map(|_| f.i32_local());
    unpack(&mut f, 0, p1, n1);
    unpack(&mut f, 1, p2, n2);
    f.get(n1).get(n2).op(I::I32Ne);
    f.if_();
    f.i32c(0).op(I::Return);
    f.end();
    f.get(p1).get(p2).get(n1).op(I::Call(bytes_eq_fn));
    f.finish()
}

/// starts_with (or ends_with when `at_end`).
fn starts_with(bytes_eq_fn: u32, at_end: bool) -> Function {
    let mut f = FnBuilder::new(2);
    let [p1, n1, p2, n2] = [(); 4].map(|_| f.i32_local());
    unpack(&mut f, 0, p1, n1);
    unpack(&mut f, 1, p2, n2);
    f.get(n2).get(n1).op(I::I32GtU);
    f.if_();
    f.i32c(0).op(I::Return);
    f.end();
    if at_end {
        f.get(p1).get(n1).op(I::I32Add).get(n2).op(I::I32Sub);
    } else {
        f.get(p1);
    }
    f.get(p2).get(n2).op(I::Call(bytes_eq_fn));
    f.finish()
}

fn contains(bytes_eq_fn: u32) -> Function {
    let mut f = FnBuilder::new(2);
    let [p1, n1, p2, n2, i] = [(); 5].map(|_| f.i32_local());
    unpack(&mut f, 0, p1, n1);
    unpack(&mut f, 1, p2, n2);
    f.get(n2).get(n1).op(I::I32GtU);
    f.if_();
    f.i32c(0).op(I::Return);
    f.end();
    // i runs over every start position 0..=n1-n2
    f.i32c(0).set(i);
    let done = f.block();
    let top = f.loop_();
    f.get(i).get(n1).get(n2).op(I::I32Sub).op(I::I32GtU);
    f.br_if(done);
    f.get(p1)
        .get(i)
        .op(I::I32Add)
        .get(p2)
        .get(n2)
        .op(I::Call(bytes_eq_fn));
    f.if_();
    f.i32c(1).op(I::Return);
    f.end();
    f.get(i).i32c(1).op(I::I32Add).set(i);
    f.br(top);
    f.end();
    f.end();
    f.i32c(0);
    f.finish()
}

#[cfg(test)]
mod all_tests {
    use super::{Helper, ALL};

    /// The exhaustive match makes a new variant a compile error here, and
    /// the position check makes it a test failure until it is in `ALL`.
    #[test]
    fn every_helper_is_listed() {
        let place = |h: Helper| match h {
            Helper::MulChecked => 0,
            Helper::MulDivRound => 1,
            Helper::DateKey => 2,
            Helper::YearsBetween => 3,
            Helper::BytesEq => 4,
            Helper::TextEq => 5,
            Helper::StartsWith => 6,
            Helper::EndsWith => 7,
            Helper::Contains => 8,
        };
        for (i, h) in ALL.iter().enumerate() {
            assert_eq!(place(*h), i);
        }
    }
}
