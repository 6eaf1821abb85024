//! Inline fast paths for the common cases of operations that otherwise call
//! a helper: multiplications whose product fits in 64 bits, rounding
//! divisions by constants, and comparisons of a text with a constant. Each
//! function here pushes a value (or branches on one) and leaves failures to
//! the caller, which falls back to the exact helper (or the full evaluation)
//! outside the ranges these are valid for.

use super::emit::{FnBuilder, Label, Local};
use crate::num::DEC_SCALE;
use wasm_encoder::{Instruction as I, MemArg};

/// Pushes i32: whether `x` is outside `lo..=hi` (lo <= hi).
pub fn outside(f: &mut FnBuilder, x: Local, lo: i64, hi: i64) {
    if lo == i64::MIN {
        f.get(x).i64c(hi).op(I::I64GtS);
    } else if hi == i64::MAX {
        f.get(x).i64c(lo).op(I::I64LtS);
    } else {
        // x - lo, as unsigned, beyond hi - lo
        f.get(x).i64c(lo).op(I::I64Sub);
        f.i64c(hi.wrapping_sub(lo)).op(I::I64GtU);
    }
}

/// The range of `a` for which `a * c` fits in an i64 (c not 0).
pub fn mul_bounds(c: i64) -> (i64, i64) {
    if c > 0 {
        (i64::MIN / c, i64::MAX / c)
    } else if c == -1 {
        (-i64::MAX, i64::MAX)
    } else {
        (i64::MAX / c, i64::MIN / c)
    }
}

/// Pushes i32: whether every one of `xs` fits in an i32 (so that the
/// product of two of them fits in an i64 with room to spare: |p| < 2^62).
pub fn fit_i32(f: &mut FnBuilder, xs: &[Local]) {
    for (i, x) in xs.iter().enumerate() {
        // x + 2^31 is below 2^32 exactly when x is in i32 range
        f.get(*x).i64c(1 << 31).op(I::I64Add);
        if i > 0 {
            f.op(I::I64Or);
        }
    }
    f.i64c(32).op(I::I64ShrU).op(I::I64Eqz);
}

/// The bound `l` such that for |x| <= l, `x * c` fits in an i64 with room
/// for rounding by [`div_round_const`] with divisor 10^6; 0 when no such
/// room (then use the helper).
pub fn mul_round_bound(c: i64) -> i64 {
    let room = (i64::MAX - DEC_SCALE / 2) as u64;
    (room / c.unsigned_abs()).min(1 << 62) as i64
}

/// The bound `l` such that for |a| <= l, `a * 10^6` plus half of |c| fits
/// in an i64; for a divisor only known at run time pass `i64::MIN` (the
/// largest |c|).
pub fn div_round_bound(c: i64) -> i64 {
    let half = c.unsigned_abs() / 2;
    ((i64::MAX as u64 - half) / DEC_SCALE as u64) as i64
}

/// Pushes `p / c` rounded half away from zero, for `c != 0` and
/// `|p| + |c| / 2 <= i64::MAX`.
///
/// The magnitude is `(|p| + |c| / 2) / |c|` (integer division): the
/// remainder r of |p| / |c| rounds up exactly when 2r >= |c|, that is
/// r >= |c| - |c| / 2, for odd |c| as well as even.
pub fn div_round_const(f: &mut FnBuilder, p: Local, c: i64) {
    let half = (c.unsigned_abs() / 2) as i64;
    match c {
        1 => {
            f.get(p);
        }
        -1 => {
            f.i64c(0).get(p).op(I::I64Sub);
        }
        _ => {
            f.get(p);
            f.i64c(-half).i64c(half).get(p).i64c(0).op(I::I64LtS);
            f.op(I::Select).op(I::I64Add);
            f.i64c(c).op(I::I64DivS);
        }
    }
}

/// [`div_round_const`] for a divisor `b` known only at run time (not 0),
/// for `|p| + 2^62 <= i64::MAX`.
pub fn div_round_var(f: &mut FnBuilder, p: Local, b: Local) {
    let half = f.i64_local();
    // |b| / 2, with |i64::MIN| taken as 2^63 (unsigned)
    f.i64c(0).get(b).op(I::I64Sub).get(b);
    f.get(b).i64c(0).op(I::I64LtS).op(I::Select);
    f.i64c(1).op(I::I64ShrU).set(half);
    f.get(p);
    f.i64c(0).get(half).op(I::I64Sub).get(half);
    f.get(p).i64c(0).op(I::I64LtS).op(I::Select);
    f.op(I::I64Add).get(b).op(I::I64DivS);
}

fn unaligned(offset: usize) -> MemArg {
    MemArg {
        offset: offset as u64,
        align: 0,
        memory_index: 0,
    }
}

/// The loads that cover `len` bytes without reading past them: (offset,
/// width) with widths 8, 4, 2 or 1; the last may overlap the one before.
pub fn chunks(len: usize) -> Vec<(usize, usize)> {
    let width = match len {
        0 => return Vec::new(),
        1 => 1,
        2..=3 => 2,
        4..=7 => 4,
        _ => 8,
    };
    let mut out: Vec<(usize, usize)> = (0..len / width).map(|i| (i * width, width)).collect();
    if !len.is_multiple_of(width) {
        out.push((len - width, width));
    }
    out
}

/// Pushes i64: zero exactly when the `s.len()` bytes at `ptr` (i32) are
/// `s`, read a few at a time and compared with immediates (`s` not empty).
fn text_diff(f: &mut FnBuilder, ptr: Local, s: &[u8]) {
    for (i, (offset, width)) in chunks(s.len()).into_iter().enumerate() {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(&s[offset..offset + width]);
        let load = match width {
            8 => I::I64Load(unaligned(offset)),
            4 => I::I64Load32U(unaligned(offset)),
            2 => I::I64Load16U(unaligned(offset)),
            _ => I::I64Load8U(unaligned(offset)),
        };
        f.get(ptr).op(load);
        f.i64c(i64::from_le_bytes(bytes)).op(I::I64Xor);
        if i > 0 {
            f.op(I::I64Or);
        }
    }
}

/// Pushes i32: whether the length of the packed text `x` is not `len`.
fn len_differs(f: &mut FnBuilder, x: Local, len: usize) {
    f.get(x).i64c(32).op(I::I64ShrU);
    f.i64c(len as i64).op(I::I64Ne);
}

/// Pushes i32: whether the packed text `x` (ptr | len << 32) equals the
/// constant bytes `s`. The lengths are compared first; the bytes are then
/// read only inside [ptr, ptr + len), a few at a time, against immediates.
pub fn text_eq_const(f: &mut FnBuilder, x: Local, s: &[u8]) {
    len_differs(f, x, s.len());
    f.op(I::I32Eqz);
    if s.is_empty() {
        return;
    }
    bytes_if_long_enough(f, x, s, false);
}

/// The longest constant affix [`affix_const`] is used for (longer ones
/// call the helper: a load for each 8 bytes is code in every use).
pub const AFFIX_MAX: usize = 32;

/// Pushes i32: whether the packed text `x` starts with the constant bytes
/// `s` (or, `at_end`, ends with them). Its length is compared first; the
/// bytes are then read only inside the text, as [`text_eq_const`] reads
/// them.
pub fn affix_const(f: &mut FnBuilder, x: Local, s: &[u8], at_end: bool) {
    if s.is_empty() {
        f.i32c(1);
        return;
    }
    f.get(x).i64c(32).op(I::I64ShrU);
    f.i64c(s.len() as i64).op(I::I64GeU);
    bytes_if_long_enough(f, x, s, at_end);
}

/// With an i32 on the stack that is 1 when the packed text `x` is long
/// enough to hold `s` (not empty): pushes i32, whether the bytes at its
/// start (or, `at_end`, at its end) are `s`, read only when it is.
fn bytes_if_long_enough(f: &mut FnBuilder, x: Local, s: &[u8], at_end: bool) {
    let (r, ptr) = (f.i32_local(), f.i32_local());
    f.if_();
    f.get(x).op(I::I32WrapI64);
    if at_end {
        // ptr + len - s.len(), within the text
        f.get(x).i64c(32).op(I::I64ShrU).op(I::I32WrapI64);
        f.op(I::I32Add).i32c(s.len() as i32).op(I::I32Sub);
    }
    f.set(ptr);
    text_diff(f, ptr, s);
    f.op(I::I64Eqz).set(r);
    f.else_();
    f.i32c(0).set(r);
    f.end();
    f.get(r);
}

/// Branches to `target` when the packed text `x` equals the constant `s`
/// (`equal`) or when it differs (`!equal`), with the reads of
/// [`text_eq_const`] and no 0/1 value in between.
pub fn branch_text_eq_const(f: &mut FnBuilder, x: Local, s: &[u8], equal: bool, target: Label) {
    if s.is_empty() {
        len_differs(f, x, 0);
        if equal {
            f.op(I::I32Eqz);
        }
        f.br_if(target);
        return;
    }
    let ptr = f.i32_local();
    let differs = if equal { f.block() } else { target };
    len_differs(f, x, s.len());
    f.br_if(differs);
    f.get(x).op(I::I32WrapI64).set(ptr);
    text_diff(f, ptr, s);
    if equal {
        f.op(I::I64Eqz);
        f.br_if(target);
        f.end();
    } else {
        f.i64c(0).op(I::I64Ne);
        f.br_if(target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_exactly() {
        for len in 0..40 {
            let c = chunks(len);
            let mut covered = vec![false; len];
            for (o, w) in &c {
                assert!(o + w <= len, "len {len}: {c:?}");
                covered[*o..o + w].iter_mut().for_each(|b| *b = true);
            }
            assert!(covered.iter().all(|b| *b), "len {len}: {c:?}");
        }
    }

    #[test]
    fn bounds_are_exact() {
        for c in [
            2,
            3,
            7,
            100,
            1_000_000,
            -2,
            -3,
            -1_000_000,
            i64::MAX,
            i64::MIN + 1,
            -1,
        ] {
            let (lo, hi) = mul_bounds(c);
            assert!(lo.checked_mul(c).is_some() && hi.checked_mul(c).is_some());
            assert!((lo - 1).checked_mul(c).is_none(), "{c}");
            assert!(
                hi.checked_add(1).is_none_or(|h| h.checked_mul(c).is_none()),
                "{c}"
            );
        }
        let (lo, hi) = mul_bounds(i64::MIN);
        assert_eq!((lo, hi), (0, 1));
    }
}
