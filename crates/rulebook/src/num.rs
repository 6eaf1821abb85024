//! Exact numbers and dates: the arithmetic of the reference interpreter and the
//! host-side parsing and formatting of int, decimal, money and date values.
//!
//! Representation (see notes/semantics.md):
//! - `int` is an `i64`;
//! - `decimal` is an `i64` holding the value times [`DEC_SCALE`] (exactly 6 fractional digits);
//! - `money` is an `i64` count of pence (minor units);
//! - `date` is an `i32` count of days since 1970-01-01 in the proleptic Gregorian calendar.
//!
//! Every operation computes its exact result in `i128`, rounds half away from zero where
//! the contract says so, and then must fit `i64`, otherwise it returns
//! [`ArithError::Overflow`]. Nothing here uses floating point, and nothing panics.

/// Scale of a decimal: a decimal value `v` is stored as `v * DEC_SCALE`.
pub const DEC_SCALE: i64 = 1_000_000;

/// Pence in one pound: money is stored in pence, an int promotes to money as whole pounds.
pub const PENCE_PER_POUND: i64 = 100;

/// Number of fractional digits a decimal keeps.
pub const DEC_PLACES: u32 = 6;

/// Number of fractional digits a money amount keeps.
pub const MONEY_PLACES: u32 = 2;

const DEC_SCALE_I128: i128 = 1_000_000;
const PENCE_I128: i128 = 100;

/// An arithmetic evaluation error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithError {
    /// The exact (rounded) result does not fit the result type.
    Overflow,
    /// A division (or remainder) by zero.
    DivisionByZero,
}

impl std::fmt::Display for ArithError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArithError::Overflow => f.write_str("overflow"),
            ArithError::DivisionByZero => f.write_str("division by zero"),
        }
    }
}

impl std::error::Error for ArithError {}

/// Why a number text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumParseError {
    /// The text is empty (or just a sign).
    #[error("empty number")]
    Empty,
    /// The text is not a plain number.
    #[error("not a number")]
    Invalid,
    /// The text uses exponent notation (`1e3`, `1.5E2`).
    #[error("exponent notation is not accepted; write the number out in full")]
    Exponent,
    /// The text has more fractional digits than the type keeps.
    #[error("more than {max} decimal places")]
    TooManyDecimals {
        /// The number of fractional digits allowed.
        max: u32,
    },
    /// The text has a fractional part where a whole number is required.
    #[error("not a whole number")]
    NotInteger,
    /// The value is outside the range of the type.
    #[error("does not fit")]
    Overflow,
    /// A money literal does not start with `£`, `€` or `$`.
    #[error("money must start with a currency sign (£, € or $)")]
    MissingCurrency,
    /// Thousands separators that do not split the digits into groups of three.
    #[error("thousands separators must split the digits into groups of three")]
    BadGrouping,
}

// ---------------------------------------------------------------------------
// Rounding and fitting helpers
// ---------------------------------------------------------------------------

/// `n / d` rounded to the nearest integer, halves away from zero.
pub fn div_round_half_away(n: i128, d: i128) -> Result<i128, ArithError> {
    if d == 0 {
        return Err(ArithError::DivisionByZero);
    }
    let q = n.checked_div(d).ok_or(ArithError::Overflow)?;
    let r = n.checked_rem(d).ok_or(ArithError::Overflow)?;
    if r == 0 {
        return Ok(q);
    }
    let r_abs = r.unsigned_abs();
    let d_abs = d.unsigned_abs();
    // |r| < |d|, so |d| - |r| cannot underflow; round up in magnitude when |r| >= |d| - |r|.
    let rest = d_abs.checked_sub(r_abs).ok_or(ArithError::Overflow)?;
    if r_abs >= rest {
        // The exact quotient is negative exactly when n and d have opposite signs.
        if (n < 0) != (d < 0) {
            q.checked_sub(1).ok_or(ArithError::Overflow)
        } else {
            q.checked_add(1).ok_or(ArithError::Overflow)
        }
    } else {
        Ok(q)
    }
}

fn fit(v: i128) -> Result<i64, ArithError> {
    i64::try_from(v).map_err(|_| ArithError::Overflow)
}

fn mul128(a: i64, b: i64) -> i128 {
    // |a * b| <= 2^126: never overflows i128.
    i128::from(a).saturating_mul(i128::from(b))
}

// ---------------------------------------------------------------------------
// int
// ---------------------------------------------------------------------------

/// int + int.
pub fn int_add(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

/// int - int.
pub fn int_sub(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

/// int * int.
pub fn int_mul(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_mul(b).ok_or(ArithError::Overflow)
}

/// -int.
pub fn int_neg(a: i64) -> Result<i64, ArithError> {
    a.checked_neg().ok_or(ArithError::Overflow)
}

/// abs(int).
pub fn int_abs(a: i64) -> Result<i64, ArithError> {
    a.checked_abs().ok_or(ArithError::Overflow)
}

/// int / int giving a decimal (6 dp, half away from zero).
pub fn int_div_to_dec(a: i64, b: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(mul128(a, DEC_SCALE), i128::from(b))?)
}

/// Promote an int to a decimal (exact; overflows beyond the decimal range).
pub fn int_to_dec(a: i64) -> Result<i64, ArithError> {
    a.checked_mul(DEC_SCALE).ok_or(ArithError::Overflow)
}

/// Promote an int (whole pounds) to money in pence.
pub fn int_to_money(a: i64) -> Result<i64, ArithError> {
    a.checked_mul(PENCE_PER_POUND).ok_or(ArithError::Overflow)
}

// ---------------------------------------------------------------------------
// decimal
// ---------------------------------------------------------------------------

/// decimal + decimal.
pub fn dec_add(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

/// decimal - decimal.
pub fn dec_sub(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

/// decimal * decimal, rounded to 6 dp half away from zero.
pub fn dec_mul(a: i64, b: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(mul128(a, b), DEC_SCALE_I128)?)
}

/// decimal / decimal, rounded to 6 dp half away from zero.
pub fn dec_div(a: i64, b: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(mul128(a, DEC_SCALE), i128::from(b))?)
}

/// -decimal.
pub fn dec_neg(a: i64) -> Result<i64, ArithError> {
    a.checked_neg().ok_or(ArithError::Overflow)
}

/// abs(decimal).
pub fn dec_abs(a: i64) -> Result<i64, ArithError> {
    a.checked_abs().ok_or(ArithError::Overflow)
}

/// round(decimal) to an int, half away from zero.
pub fn dec_round(a: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(i128::from(a), DEC_SCALE_I128)?)
}

/// floor(decimal) to an int (toward minus infinity).
pub fn dec_floor(a: i64) -> Result<i64, ArithError> {
    Ok(a.div_euclid(DEC_SCALE))
}

/// ceil(decimal) to an int (toward plus infinity).
pub fn dec_ceil(a: i64) -> Result<i64, ArithError> {
    let f = a.div_euclid(DEC_SCALE);
    if a.rem_euclid(DEC_SCALE) == 0 {
        Ok(f)
    } else {
        f.checked_add(1).ok_or(ArithError::Overflow)
    }
}

// ---------------------------------------------------------------------------
// money
// ---------------------------------------------------------------------------

/// money + money.
pub fn money_add(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

/// money - money.
pub fn money_sub(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

/// -money.
pub fn money_neg(a: i64) -> Result<i64, ArithError> {
    a.checked_neg().ok_or(ArithError::Overflow)
}

/// abs(money).
pub fn money_abs(a: i64) -> Result<i64, ArithError> {
    a.checked_abs().ok_or(ArithError::Overflow)
}

/// money (pence) * decimal, rounded to the penny half away from zero.
pub fn money_mul_dec(pence: i64, dec: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(mul128(pence, dec), DEC_SCALE_I128)?)
}

/// decimal * money (pence), rounded to the penny half away from zero.
pub fn dec_mul_money(dec: i64, pence: i64) -> Result<i64, ArithError> {
    money_mul_dec(pence, dec)
}

/// money (pence) * int; equals `money_mul_dec(p, int_to_dec(n)?)` whenever that succeeds.
pub fn money_mul_int(pence: i64, n: i64) -> Result<i64, ArithError> {
    pence.checked_mul(n).ok_or(ArithError::Overflow)
}

/// money (pence) / decimal, rounded to the penny half away from zero.
pub fn money_div_dec(pence: i64, dec: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(
        mul128(pence, DEC_SCALE),
        i128::from(dec),
    )?)
}

/// money (pence) / int, rounded to the penny; equals `money_div_dec(p, int_to_dec(n)?)` whenever that succeeds.
pub fn money_div_int(pence: i64, n: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(i128::from(pence), i128::from(n))?)
}

/// money / money giving a decimal (6 dp, half away from zero).
pub fn money_div_money(a: i64, b: i64) -> Result<i64, ArithError> {
    fit(div_round_half_away(mul128(a, DEC_SCALE), i128::from(b))?)
}

/// round(money) to whole pounds (result in pence), half away from zero.
pub fn money_round(pence: i64) -> Result<i64, ArithError> {
    let pounds = div_round_half_away(i128::from(pence), PENCE_I128)?;
    fit(pounds.checked_mul(PENCE_I128).ok_or(ArithError::Overflow)?)
}

/// floor(money) to whole pounds (result in pence), toward minus infinity.
pub fn money_floor(pence: i64) -> Result<i64, ArithError> {
    let pounds = i128::from(pence).div_euclid(PENCE_I128);
    fit(pounds.checked_mul(PENCE_I128).ok_or(ArithError::Overflow)?)
}

/// An exact sum of numbers scaled by `scale` (100 for pence, 10^6 for
/// decimals) written with its decimals: `format_scaled(-31240, 100)` is
/// `"-312.40"`. Sums of many amounts are i128: they may leave the i64 range.
pub fn format_scaled(sum: i128, scale: i128) -> String {
    let sign = if sum < 0 { "-" } else { "" };
    let a = sum.unsigned_abs();
    let scale_u = scale.unsigned_abs().max(1);
    let places = scale_u.to_string().len() - 1;
    if places == 0 {
        return format!("{sign}{a}");
    }
    format!("{sign}{}.{:0places$}", a / scale_u, a % scale_u)
}

/// ceil(money) to whole pounds (result in pence), toward plus infinity.
pub fn money_ceil(pence: i64) -> Result<i64, ArithError> {
    let p = i128::from(pence);
    let mut pounds = p.div_euclid(PENCE_I128);
    if p.rem_euclid(PENCE_I128) != 0 {
        pounds = pounds.checked_add(1).ok_or(ArithError::Overflow)?;
    }
    fit(pounds.checked_mul(PENCE_I128).ok_or(ArithError::Overflow)?)
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is `digits[.digits]`.
fn is_plain_unsigned(s: &str) -> bool {
    match s.split_once('.') {
        Some((i, f)) => all_digits(i) && all_digits(f),
        None => all_digits(s),
    }
}

/// Classify a text that is not a plain number: exponent notation (`-1.5e+3`) or just not a number.
fn classify_bad(s: &str) -> NumParseError {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return NumParseError::Invalid;
    };
    // the sign is optional
    let mantissa = mantissa.strip_prefix('-').unwrap_or(mantissa);
    // the exponent's sign is optional too
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if is_plain_unsigned(mantissa) && all_digits(exponent) {
        NumParseError::Exponent
    } else {
        NumParseError::Invalid
    }
}

fn accumulate(acc: i128, digits: &str) -> Result<i128, NumParseError> {
    digits.chars().try_fold(acc, |acc, c| {
        let d = c.to_digit(10).ok_or(NumParseError::Invalid)?;
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(d)))
            .ok_or(NumParseError::Overflow)
    })
}

fn pow10(places: u32) -> Result<i128, NumParseError> {
    10i128.checked_pow(places).ok_or(NumParseError::Overflow)
}

/// Read `[-]digits[.digits]` and return the value times 10^places.
fn parse_scaled(s: &str, places: u32, allow_sign: bool) -> Result<i64, NumParseError> {
    match plain_scaled(s.as_bytes(), places, allow_sign) {
        Some(v) => Ok(v),
        None => parse_scaled_full(s, places, allow_sign),
    }
}

/// The usual number in one pass: `[-]digits[.digits]` of at most 18
/// characters (so no overflow before scaling) with at most `places`
/// decimals. None for anything else, which [`parse_scaled_full`] reads
/// (and words the error of); where this gives a value, it gives that one.
fn plain_scaled(b: &[u8], places: u32, allow_sign: bool) -> Option<i64> {
    let (neg, b) = match b.split_first() {
        Some((b'-', rest)) if allow_sign => (true, rest),
        _ => (false, b),
    };
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    // decimals read, once the point is met
    let mut decimals: Option<u32> = None;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                v = v * 10 + i64::from(c - b'0');
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    let d = match decimals {
        // a point needs digits both sides: the full reading refuses it
        Some(0) => return None,
        _ if b.first() == Some(&b'.') => return None,
        Some(d) => d,
        None => 0,
    };
    let v = v.checked_mul(10i64.checked_pow(places.checked_sub(d)?)?)?;
    Some(if neg { -v } else { v })
}

/// [`parse_scaled`] for any text: every error found and told apart.
fn parse_scaled_full(s: &str, places: u32, allow_sign: bool) -> Result<i64, NumParseError> {
    if s.is_empty() {
        return Err(NumParseError::Empty);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) if allow_sign => (true, rest),
        _ => (false, s),
    };
    if body.is_empty() {
        return Err(NumParseError::Empty);
    }
    if !is_plain_unsigned(body) {
        return Err(classify_bad(s));
    }
    // no point: a whole number
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let frac_len = u32::try_from(frac_part.len())
        .map_err(|_| NumParseError::TooManyDecimals { max: places })?;
    if frac_len > places {
        return Err(if places == 0 {
            NumParseError::NotInteger
        } else {
            NumParseError::TooManyDecimals { max: places }
        });
    }
    let whole = accumulate(0, int_part)?
        .checked_mul(pow10(places)?)
        .ok_or(NumParseError::Overflow)?;
    let frac = accumulate(0, frac_part)?
        .checked_mul(pow10(places.saturating_sub(frac_len))?)
        .ok_or(NumParseError::Overflow)?;
    let mut v = whole.checked_add(frac).ok_or(NumParseError::Overflow)?;
    if neg {
        v = v.checked_neg().ok_or(NumParseError::Overflow)?;
    }
    i64::try_from(v).map_err(|_| NumParseError::Overflow)
}

/// Parse a plain decimal (`-12.5`, `3`, at most 6 decimals) into its scaled `i64`; also reads JSON number text.
pub fn parse_decimal(s: &str) -> Result<i64, NumParseError> {
    parse_scaled(s, DEC_PLACES, true)
}

/// Parse a plain money amount (`-12.5`, `1200.50`, at most 2 decimals) into pence; also reads JSON number text.
pub fn parse_money(s: &str) -> Result<i64, NumParseError> {
    parse_scaled(s, MONEY_PLACES, true)
}

/// Parse a plain integer (`-42`); `42.0` is [`NumParseError::NotInteger`]; also reads JSON number text.
pub fn parse_int(s: &str) -> Result<i64, NumParseError> {
    parse_scaled(s, 0, true)
}

/// Parse a source-text money literal (`£1,200.50`, `€5`, `$1,000,000`) into pence.
pub fn parse_money_literal(s: &str) -> Result<i64, NumParseError> {
    let body = ['£', '€', '$']
        .iter()
        .find_map(|c| s.strip_prefix(*c))
        .ok_or(NumParseError::MissingCurrency)?;
    if body.is_empty() {
        return Err(NumParseError::Empty);
    }
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first_ok = groups.next().is_some_and(|g| all_digits(g) && g.len() <= 3);
        let rest_ok = groups.all(|g| g.len() == 3 && all_digits(g));
        if !first_ok || !rest_ok {
            let only_digits_and_commas = int_part.bytes().all(|b| b.is_ascii_digit() || b == b',');
            return Err(if only_digits_and_commas {
                NumParseError::BadGrouping
            } else {
                NumParseError::Invalid
            });
        }
    }
    let mut plain: String = int_part.chars().filter(|c| *c != ',').collect();
    if let Some(f) = frac_part {
        plain.push('.');
        plain.push_str(f);
    }
    match parse_scaled(&plain, MONEY_PLACES, false) {
        Err(NumParseError::Exponent) => Err(NumParseError::Invalid),
        other => other,
    }
}

/// Parse a source-text decimal literal (`0.55`, no sign, at most 6 decimals) into its scaled `i64`.
pub fn parse_decimal_literal(s: &str) -> Result<i64, NumParseError> {
    parse_scaled(s, DEC_PLACES, false)
}

/// Parse a source-text int literal (`42`, no sign).
pub fn parse_int_literal(s: &str) -> Result<i64, NumParseError> {
    parse_scaled(s, 0, false)
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/// Format pence as money with exactly two decimals (`1200.50`, `-0.05`, `0.00`).
pub fn format_money(pence: i64) -> String {
    let mut out = String::with_capacity(8);
    write_money(&mut out, pence);
    out
}

/// Appends [`format_money`]'s text to `out`, allocating nothing else.
pub fn write_money(out: &mut String, pence: i64) {
    // unsigned_abs handles i64::MIN; division by a non-zero constant cannot fail.
    let mut a = pence.unsigned_abs();
    // the text from the right: two decimals, the point, then the pounds
    let mut text = [b'0'; 24];
    let mut start = text.len();
    for k in 0.. {
        start -= 1;
        if k == 2 {
            if let Some(c) = text.get_mut(start) {
                *c = b'.';
            }
            continue;
        }
        if let Some(c) = text.get_mut(start) {
            *c = b'0' + (a % 10) as u8;
        }
        a /= 10;
        if a == 0 && k >= 3 {
            break;
        }
    }
    if pence < 0 {
        out.push('-');
    }
    // ASCII digits and a point: always text
    if let Ok(text) = std::str::from_utf8(text.get(start..).unwrap_or_default()) {
        out.push_str(text);
    }
}

/// Format a scaled decimal in shortest exact form (`0.55`, `3`, `-0.5`, `0.000001`).
pub fn format_decimal(scaled: i64) -> String {
    let mut out = String::with_capacity(8);
    write_decimal(&mut out, scaled);
    out
}

/// Appends [`format_decimal`]'s text to `out`, allocating nothing else.
pub fn write_decimal(out: &mut String, scaled: i64) {
    let a = scaled.unsigned_abs();
    let scale = DEC_SCALE.unsigned_abs();
    if scaled < 0 {
        out.push('-');
    }
    push_digits(out, a / scale, 1);
    let mut frac = a % scale;
    if frac != 0 {
        // the six decimals without their trailing zeros
        let mut places = DEC_PLACES as usize;
        while frac.is_multiple_of(10) {
            frac /= 10;
            places -= 1;
        }
        out.push('.');
        push_digits(out, frac, places);
    }
}

/// Appends `n` in decimal digits, zero-padded to at least `width`.
pub fn push_digits(out: &mut String, mut n: u64, width: usize) {
    // the digits from the right, padded with zeros, then appended at once
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while n > 0 || start == digits.len() {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    for _ in digits.len()..width {
        out.push('0');
    }
    let start = start.min(digits.len().saturating_sub(width));
    // ASCII digits: always text
    if let Ok(text) = std::str::from_utf8(digits.get(start..).unwrap_or_default()) {
        out.push_str(text);
    }
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// Whether `y` is a leap year in the proleptic Gregorian calendar.
pub fn is_leap(y: i32) -> bool {
    y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0)
}

/// Number of days in month `m` (1..=12) of year `y`; 0 for an invalid month.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of the civil date `y-m-d`; `None` for an invalid or unrepresentable date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> Option<i32> {
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Howard Hinnant's algorithm, in i64 (no intermediate can overflow for i32 years).
    let (m, d) = (i64::from(m), i64::from(d));
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// Civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    // Howard Hinnant's algorithm, in i64: every intermediate is bounded by a few times 2^31.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        // from an i32 day count: y is within i32 and m, d within 1..=12, 1..=31
        i32::try_from(y).unwrap_or(0),
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Parse `YYYY-MM-DD` (exactly 4-2-2 digits, a real calendar date) into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let shape_ok = b.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    if !shape_ok {
        return None;
    }
    // the shape holds digits at these places
    let digit = |i: usize| b.get(i).map_or(0, |c| u32::from(c - b'0'));
    let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
    let m = digit(5) * 10 + digit(6);
    let d = digit(8) * 10 + digit(9);
    days_from_civil(i32::try_from(y).ok()?, m, d)
}

/// Format days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let mut out = String::with_capacity(10);
    write_date(&mut out, days);
    out
}

/// Appends [`format_date`]'s text to `out`, allocating nothing else.
pub fn write_date(out: &mut String, days: i32) {
    let (y, m, d) = civil_from_days(days);
    // the usual year, of four digits: the ten bytes at once
    if let Ok(year @ 0..=9999) = u32::try_from(y) {
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let text = [
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        // ASCII digits and dashes: always text
        if let Ok(text) = std::str::from_utf8(&text) {
            out.push_str(text);
        }
        return;
    }
    if y < 0 {
        out.push('-');
    }
    push_digits(out, u64::from(y.unsigned_abs()), 4);
    out.push('-');
    push_digits(out, u64::from(m), 2);
    out.push('-');
    push_digits(out, u64::from(d), 2);
}

/// Whole years completed from `d1` to `d2` (an age); the negated count from `d2` to `d1` when `d2 < d1`.
pub fn years_between(d1: i32, d2: i32) -> i64 {
    if d2 < d1 {
        return -years_between(d2, d1);
    }
    let (y1, m1, day1) = civil_from_days(d1);
    let (y2, m2, day2) = civil_from_days(d2);
    // An anniversary of 29 February falls on 1 March in common years.
    let anniversary = if m1 == 2 && day1 == 29 && !is_leap(y2) {
        (3, 1)
    } else {
        (m1, day1)
    };
    // Years of i32 day counts are within +-6 million: no overflow in i64.
    let years = i64::from(y2) - i64::from(y1);
    if (m2, day2) < anniversary {
        years - 1
    } else {
        years
    }
}

/// `d2 - d1` in days (negative when `d2` is earlier).
pub fn days_between(d1: i32, d2: i32) -> i64 {
    i64::from(d2) - i64::from(d1)
}

/// Today's date (UTC) as days since 1970-01-01, from the system clock.
pub fn today_utc() -> i32 {
    const DAY: u64 = 86_400;
    let days = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        // days since 1970 fit i64 (and i32 for 5 million years)
        Ok(after) => i64::try_from(after.as_secs() / DAY).unwrap_or(0),
        Err(before) => {
            let dur = before.duration();
            let secs = dur.as_secs();
            // as above: fits
            let whole = i64::try_from(secs / DAY).unwrap_or(0);
            let exact = secs % DAY == 0 && dur.subsec_nanos() == 0;
            if exact {
                -whole
            } else {
                -whole - 1
            }
        }
    };
    // a clock beyond year 5,000,000 reads as 1970
    i32::try_from(days).unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_padded_to_their_width() {
        for (n, width, text) in [
            (0, 0, "0"),
            (0, 2, "00"),
            (7, 2, "07"),
            (123, 2, "123"),
            (2026, 4, "2026"),
            (u64::MAX, 0, "18446744073709551615"),
            (42, 22, "0000000000000000000042"),
        ] {
            let mut out = String::from(">");
            push_digits(&mut out, n, width);
            assert_eq!(out, format!(">{text}"), "{n} to width {width}");
        }
    }

    const MAX: i64 = i64::MAX;
    const MIN: i64 = i64::MIN;

    fn dec(s: &str) -> i64 {
        parse_decimal(s).unwrap()
    }
    fn money(s: &str) -> i64 {
        parse_money(s).unwrap()
    }
    fn date(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    // ---- rounding helper ----

    #[test]
    fn div_round_half_away_basic() {
        assert_eq!(div_round_half_away(5, 2), Ok(3));
        assert_eq!(div_round_half_away(-5, 2), Ok(-3));
        assert_eq!(div_round_half_away(5, -2), Ok(-3));
        assert_eq!(div_round_half_away(-5, -2), Ok(3));
        assert_eq!(div_round_half_away(7, 3), Ok(2));
        assert_eq!(div_round_half_away(8, 3), Ok(3));
        assert_eq!(div_round_half_away(-7, 3), Ok(-2));
        assert_eq!(div_round_half_away(-8, 3), Ok(-3));
        assert_eq!(div_round_half_away(6, 3), Ok(2));
        assert_eq!(div_round_half_away(0, 7), Ok(0));
        assert_eq!(div_round_half_away(1, 3), Ok(0));
        assert_eq!(div_round_half_away(-1, 3), Ok(0));
        assert_eq!(div_round_half_away(149, 100), Ok(1));
        assert_eq!(div_round_half_away(150, 100), Ok(2));
        assert_eq!(div_round_half_away(-150, 100), Ok(-2));
        assert_eq!(div_round_half_away(-149, 100), Ok(-1));
    }

    #[test]
    fn div_round_half_away_errors_and_extremes() {
        assert_eq!(div_round_half_away(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(div_round_half_away(0, 0), Err(ArithError::DivisionByZero));
        assert_eq!(
            div_round_half_away(i128::MIN, -1),
            Err(ArithError::Overflow)
        );
        assert_eq!(div_round_half_away(i128::MAX, 1), Ok(i128::MAX));
        assert_eq!(div_round_half_away(i128::MIN, 1), Ok(i128::MIN));
        assert_eq!(div_round_half_away(i128::MAX, i128::MAX), Ok(1));
        assert_eq!(div_round_half_away(i128::MIN, i128::MAX), Ok(-1));
        assert_eq!(div_round_half_away(i128::MAX, i128::MIN), Ok(-1));
        assert_eq!(div_round_half_away(i128::MAX, 2), Ok(i128::MAX / 2 + 1));
        assert_eq!(div_round_half_away(i128::MIN, 2), Ok(i128::MIN / 2));
        assert_eq!(div_round_half_away(i128::MIN + 1, 2), Ok(i128::MIN / 2));
    }

    // ---- int ----

    #[test]
    fn int_ops() {
        assert_eq!(int_add(2, 3), Ok(5));
        assert_eq!(int_sub(2, 3), Ok(-1));
        assert_eq!(int_mul(-4, 3), Ok(-12));
        assert_eq!(int_neg(7), Ok(-7));
        assert_eq!(int_abs(-7), Ok(7));
        assert_eq!(int_abs(7), Ok(7));
    }

    #[test]
    fn int_overflow() {
        assert_eq!(int_add(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(int_add(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(int_add(MAX, MIN), Ok(-1));
        assert_eq!(int_sub(MIN, 1), Err(ArithError::Overflow));
        assert_eq!(int_sub(MAX, -1), Err(ArithError::Overflow));
        assert_eq!(int_sub(0, MIN), Err(ArithError::Overflow));
        assert_eq!(int_mul(MAX, 2), Err(ArithError::Overflow));
        assert_eq!(int_mul(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(int_mul(MIN, 1), Ok(MIN));
        assert_eq!(int_neg(MIN), Err(ArithError::Overflow));
        assert_eq!(int_neg(MAX), Ok(-MAX));
        assert_eq!(int_abs(MIN), Err(ArithError::Overflow));
        assert_eq!(int_abs(MIN + 1), Ok(MAX));
    }

    #[test]
    fn int_division_to_decimal() {
        assert_eq!(int_div_to_dec(1, 3), Ok(333_333));
        assert_eq!(int_div_to_dec(2, 3), Ok(666_667));
        assert_eq!(int_div_to_dec(-2, 3), Ok(-666_667));
        assert_eq!(int_div_to_dec(7, 2), Ok(3_500_000));
        assert_eq!(int_div_to_dec(-7, 2), Ok(-3_500_000));
        assert_eq!(int_div_to_dec(6, -3), Ok(-2_000_000));
        // 1/2_000_000 = 0.0000005 -> 0.000001 (half away), negative likewise.
        assert_eq!(int_div_to_dec(1, 2_000_000), Ok(1));
        assert_eq!(int_div_to_dec(-1, 2_000_000), Ok(-1));
        assert_eq!(int_div_to_dec(1, 2_000_001), Ok(0));
        assert_eq!(int_div_to_dec(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(int_div_to_dec(0, 0), Err(ArithError::DivisionByZero));
        assert_eq!(int_div_to_dec(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(int_div_to_dec(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(int_div_to_dec(MAX, MAX), Ok(DEC_SCALE));
        assert_eq!(int_div_to_dec(MIN, MIN), Ok(DEC_SCALE));
        assert_eq!(
            format_decimal(int_div_to_dec(MAX, DEC_SCALE).unwrap()),
            "9223372036854.775807"
        );
    }

    #[test]
    fn int_promotions() {
        assert_eq!(int_to_dec(3), Ok(3_000_000));
        assert_eq!(int_to_dec(-3), Ok(-3_000_000));
        assert_eq!(int_to_dec(MAX / DEC_SCALE), Ok(MAX / DEC_SCALE * DEC_SCALE));
        assert_eq!(int_to_dec(MAX / DEC_SCALE + 1), Err(ArithError::Overflow));
        assert_eq!(int_to_dec(MIN / DEC_SCALE - 1), Err(ArithError::Overflow));
        assert_eq!(int_to_money(1200), Ok(120_000));
        assert_eq!(int_to_money(-5), Ok(-500));
        assert_eq!(int_to_money(MAX / 100), Ok(MAX / 100 * 100));
        assert_eq!(int_to_money(MAX / 100 + 1), Err(ArithError::Overflow));
        assert_eq!(int_to_money(MIN / 100 - 1), Err(ArithError::Overflow));
    }

    // ---- decimal ----

    #[test]
    fn dec_add_sub_neg_abs() {
        assert_eq!(dec_add(dec("0.1"), dec("0.2")), Ok(dec("0.3")));
        assert_eq!(dec_sub(dec("0.1"), dec("0.3")), Ok(dec("-0.2")));
        assert_eq!(dec_neg(dec("1.5")), Ok(dec("-1.5")));
        assert_eq!(dec_abs(dec("-1.5")), Ok(dec("1.5")));
        assert_eq!(dec_add(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(dec_add(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(dec_sub(MIN, 1), Err(ArithError::Overflow));
        assert_eq!(dec_sub(MAX, -1), Err(ArithError::Overflow));
        assert_eq!(dec_neg(MIN), Err(ArithError::Overflow));
        assert_eq!(dec_abs(MIN), Err(ArithError::Overflow));
        assert_eq!(dec_abs(MAX), Ok(MAX));
    }

    #[test]
    fn dec_mul_rounding() {
        assert_eq!(dec_mul(dec("0.55"), dec("2")), Ok(dec("1.1")));
        assert_eq!(dec_mul(dec("1.5"), dec("-1.5")), Ok(dec("-2.25")));
        // 0.000001 * 0.5 = 0.0000005 -> 0.000001 (half away), sign symmetric.
        assert_eq!(dec_mul(1, dec("0.5")), Ok(1));
        assert_eq!(dec_mul(-1, dec("0.5")), Ok(-1));
        assert_eq!(dec_mul(1, dec("-0.5")), Ok(-1));
        assert_eq!(dec_mul(-1, dec("-0.5")), Ok(1));
        // 0.000001 * 0.499999 -> 0
        assert_eq!(dec_mul(1, dec("0.499999")), Ok(0));
        assert_eq!(dec_mul(-1, dec("0.499999")), Ok(0));
        assert_eq!(dec_mul(dec("0.333333"), dec("3")), Ok(dec("0.999999")));
        assert_eq!(dec_mul(0, MAX), Ok(0));
    }

    #[test]
    fn dec_mul_overflow() {
        assert_eq!(dec_mul(MAX, DEC_SCALE), Ok(MAX));
        assert_eq!(dec_mul(MIN, DEC_SCALE), Ok(MIN));
        assert_eq!(dec_mul(MAX, dec("1.000001")), Err(ArithError::Overflow));
        assert_eq!(dec_mul(MIN, -DEC_SCALE), Err(ArithError::Overflow));
        assert_eq!(dec_mul(MAX, MAX), Err(ArithError::Overflow));
        assert_eq!(dec_mul(MIN, MIN), Err(ArithError::Overflow));
        assert_eq!(dec_mul(MAX, MIN), Err(ArithError::Overflow));
        assert_eq!(
            dec_mul(dec("3037000.499976"), dec("3037000.499976")),
            Ok(dec("9223372036854.473976"))
        );
    }

    #[test]
    fn dec_div_rounding_and_errors() {
        assert_eq!(dec_div(dec("1"), dec("3")), Ok(dec("0.333333")));
        assert_eq!(dec_div(dec("2"), dec("3")), Ok(dec("0.666667")));
        assert_eq!(dec_div(dec("-2"), dec("3")), Ok(dec("-0.666667")));
        assert_eq!(dec_div(dec("2"), dec("-3")), Ok(dec("-0.666667")));
        assert_eq!(dec_div(dec("-2"), dec("-3")), Ok(dec("0.666667")));
        assert_eq!(dec_div(dec("0.000001"), dec("2")), Ok(1));
        assert_eq!(dec_div(dec("-0.000001"), dec("2")), Ok(-1));
        assert_eq!(dec_div(dec("0.000001"), dec("2.000001")), Ok(0));
        assert_eq!(dec_div(dec("1"), 0), Err(ArithError::DivisionByZero));
        assert_eq!(dec_div(0, 0), Err(ArithError::DivisionByZero));
        assert_eq!(dec_div(MAX, dec("0.5")), Err(ArithError::Overflow));
        assert_eq!(dec_div(MIN, -DEC_SCALE), Err(ArithError::Overflow));
        assert_eq!(dec_div(MAX, DEC_SCALE), Ok(MAX));
        assert_eq!(dec_div(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(dec_div(MAX, MAX), Ok(DEC_SCALE));
    }

    #[test]
    fn dec_round_floor_ceil() {
        let cases: &[(&str, i64, i64, i64)] = &[
            // value, round, floor, ceil
            ("0", 0, 0, 0),
            ("2", 2, 2, 2),
            ("-2", -2, -2, -2),
            ("2.5", 3, 2, 3),
            ("-2.5", -3, -3, -2),
            ("2.499999", 2, 2, 3),
            ("-2.499999", -2, -3, -2),
            ("2.500001", 3, 2, 3),
            ("0.5", 1, 0, 1),
            ("-0.5", -1, -1, 0),
            ("0.000001", 0, 0, 1),
            ("-0.000001", 0, -1, 0),
        ];
        for (s, r, f, c) in cases {
            let v = dec(s);
            assert_eq!(dec_round(v), Ok(*r), "round {s}");
            assert_eq!(dec_floor(v), Ok(*f), "floor {s}");
            assert_eq!(dec_ceil(v), Ok(*c), "ceil {s}");
        }
        // Extremes never overflow: results are about 9.2e12.
        assert_eq!(dec_round(MAX), Ok(9_223_372_036_855));
        assert_eq!(dec_floor(MAX), Ok(9_223_372_036_854));
        assert_eq!(dec_ceil(MAX), Ok(9_223_372_036_855));
        assert_eq!(dec_round(MIN), Ok(-9_223_372_036_855));
        assert_eq!(dec_floor(MIN), Ok(-9_223_372_036_855));
        assert_eq!(dec_ceil(MIN), Ok(-9_223_372_036_854));
    }

    // ---- money ----

    #[test]
    fn money_add_sub_neg_abs() {
        assert_eq!(money_add(money("0.10"), money("0.20")), Ok(money("0.30")));
        assert_eq!(money_sub(money("0.10"), money("0.30")), Ok(money("-0.20")));
        assert_eq!(money_neg(money("1.50")), Ok(-150));
        assert_eq!(money_abs(-150), Ok(150));
        assert_eq!(money_add(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(money_add(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(money_sub(MIN, 1), Err(ArithError::Overflow));
        assert_eq!(money_sub(MAX, -1), Err(ArithError::Overflow));
        assert_eq!(money_neg(MIN), Err(ArithError::Overflow));
        assert_eq!(money_abs(MIN), Err(ArithError::Overflow));
    }

    #[test]
    fn money_mul_half_penny() {
        // £0.05 * 0.5 = £0.025 -> £0.03; negatives away from zero.
        assert_eq!(money_mul_dec(5, dec("0.5")), Ok(3));
        assert_eq!(money_mul_dec(-5, dec("0.5")), Ok(-3));
        assert_eq!(money_mul_dec(5, dec("-0.5")), Ok(-3));
        assert_eq!(money_mul_dec(-5, dec("-0.5")), Ok(3));
        assert_eq!(dec_mul_money(dec("0.5"), 5), Ok(3));
        assert_eq!(dec_mul_money(dec("0.5"), -5), Ok(-3));
        // Just under and just over half a penny.
        assert_eq!(money_mul_dec(1, dec("0.499999")), Ok(0));
        assert_eq!(money_mul_dec(1, dec("0.5")), Ok(1));
        assert_eq!(money_mul_dec(-1, dec("0.499999")), Ok(0));
        assert_eq!(money_mul_dec(-1, dec("0.500001")), Ok(-1));
        // taper 0.55 * £1,000.01 = £550.0055 -> £550.01
        assert_eq!(money_mul_dec(100_001, dec("0.55")), Ok(55_001));
        assert_eq!(money_mul_dec(money("1234.56"), dec("0.000001")), Ok(0));
        assert_eq!(money_mul_dec(money("5000.00"), dec("0.000001")), Ok(1));
    }

    #[test]
    fn money_mul_int_is_exact_via_promotion() {
        for (p, n) in [
            (5, 3),
            (-5, 3),
            (1, 1_000_000),
            (123_456, -789),
            (0, 5),
            (MAX, 1),
            (MIN, 1),
        ] {
            let via_dec = money_mul_dec(p, int_to_dec(n).unwrap());
            assert_eq!(via_dec, Ok(p * n), "{p} * {n}");
            assert_eq!(money_mul_int(p, n), Ok(p * n));
        }
        assert_eq!(
            money_mul_dec(MAX, int_to_dec(2).unwrap()),
            Err(ArithError::Overflow)
        );
        assert_eq!(
            money_mul_dec(MIN, int_to_dec(-1).unwrap()),
            Err(ArithError::Overflow)
        );
        assert_eq!(money_mul_int(MAX, 2), Err(ArithError::Overflow));
        assert_eq!(money_mul_int(MIN, -1), Err(ArithError::Overflow));
        // Large int that cannot be a decimal still multiplies exactly by money_mul_int.
        assert_eq!(int_to_dec(10_000_000_000_000), Err(ArithError::Overflow));
        assert_eq!(money_mul_int(1, 10_000_000_000_000), Ok(10_000_000_000_000));
    }

    #[test]
    fn money_mul_dec_overflow() {
        assert_eq!(money_mul_dec(MAX, DEC_SCALE), Ok(MAX));
        assert_eq!(money_mul_dec(MIN, DEC_SCALE), Ok(MIN));
        assert_eq!(
            money_mul_dec(MAX, dec("1.000001")),
            Err(ArithError::Overflow)
        );
        assert_eq!(money_mul_dec(MIN, dec("-1")), Err(ArithError::Overflow));
        assert_eq!(money_mul_dec(MAX, MAX), Err(ArithError::Overflow));
        assert_eq!(dec_mul_money(MIN, MIN), Err(ArithError::Overflow));
    }

    #[test]
    fn money_division() {
        // £1.00 / 3 = 33.33p -> 33p; £2.00 / 3 -> 67p.
        assert_eq!(money_div_dec(100, dec("3")), Ok(33));
        assert_eq!(money_div_dec(200, dec("3")), Ok(67));
        assert_eq!(money_div_dec(-200, dec("3")), Ok(-67));
        assert_eq!(money_div_dec(200, dec("-3")), Ok(-67));
        // Half pence: 5p / 2 = 2.5p -> 3p; -5p / 2 -> -3p.
        assert_eq!(money_div_dec(5, dec("2")), Ok(3));
        assert_eq!(money_div_dec(-5, dec("2")), Ok(-3));
        assert_eq!(money_div_int(5, 2), Ok(3));
        assert_eq!(money_div_int(-5, 2), Ok(-3));
        assert_eq!(money_div_int(5, -2), Ok(-3));
        assert_eq!(money_div_dec(100, dec("0.5")), Ok(200));
        assert_eq!(money_div_dec(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(money_div_int(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(money_div_dec(MAX, dec("0.5")), Err(ArithError::Overflow));
        assert_eq!(money_div_dec(MIN, dec("-1")), Err(ArithError::Overflow));
        assert_eq!(money_div_int(MIN, -1), Err(ArithError::Overflow));
        assert_eq!(money_div_int(MAX, 1), Ok(MAX));
        assert_eq!(money_div_dec(MAX, 1), Err(ArithError::Overflow));
        for (p, n) in [
            (100, 3),
            (-100, 3),
            (5, 2),
            (-5, 2),
            (7, -4),
            (MAX, 7),
            (MIN, 3),
        ] {
            assert_eq!(
                money_div_dec(p, int_to_dec(n).unwrap()),
                money_div_int(p, n),
                "{p} / {n}"
            );
        }
    }

    #[test]
    fn money_over_money() {
        assert_eq!(money_div_money(100, 300), Ok(dec("0.333333")));
        assert_eq!(money_div_money(200, 300), Ok(dec("0.666667")));
        assert_eq!(money_div_money(-200, 300), Ok(dec("-0.666667")));
        assert_eq!(money_div_money(150, 100), Ok(dec("1.5")));
        assert_eq!(money_div_money(1, 2_000_000), Ok(1));
        assert_eq!(money_div_money(-1, 2_000_000), Ok(-1));
        assert_eq!(money_div_money(100, 0), Err(ArithError::DivisionByZero));
        assert_eq!(money_div_money(MAX, 1), Err(ArithError::Overflow));
        assert_eq!(money_div_money(MAX, MAX), Ok(DEC_SCALE));
        assert_eq!(money_div_money(MIN, -1), Err(ArithError::Overflow));
    }

    #[test]
    fn money_round_floor_ceil() {
        let cases: &[(i64, i64, i64, i64)] = &[
            // pence, round, floor, ceil
            (0, 0, 0, 0),
            (1200, 1200, 1200, 1200),
            (1250, 1300, 1200, 1300),
            (1249, 1200, 1200, 1300),
            (-1250, -1300, -1300, -1200),
            (-1249, -1200, -1300, -1200),
            (50, 100, 0, 100),
            (-50, -100, -100, 0),
            (1, 0, 0, 100),
            (-1, 0, -100, 0),
            (-100, -100, -100, -100),
        ];
        for (p, r, f, c) in cases {
            assert_eq!(money_round(*p), Ok(*r), "round {p}");
            assert_eq!(money_floor(*p), Ok(*f), "floor {p}");
            assert_eq!(money_ceil(*p), Ok(*c), "ceil {p}");
        }
    }

    #[test]
    fn money_round_overflow() {
        // i64::MAX = ...807 pence: round/floor fine, ceil needs ...900 which does not fit.
        assert_eq!(money_round(MAX), Ok(MAX - 7));
        assert_eq!(money_floor(MAX), Ok(MAX - 7));
        assert_eq!(money_ceil(MAX), Err(ArithError::Overflow));
        // i64::MIN = -...808 pence: ceil/round give -...800, floor needs -...900.
        assert_eq!(money_ceil(MIN), Ok(MIN + 8));
        assert_eq!(money_round(MIN), Ok(MIN + 8));
        assert_eq!(money_floor(MIN), Err(ArithError::Overflow));
        // Rounding itself never leaves the range: ...757.50 -> ...758.00, ...757.49 -> ...757.00.
        assert_eq!(money_round(MAX - 57), Ok(MAX - 7));
        assert_eq!(money_round(MAX - 58), Ok(MAX - 107));
        assert_eq!(money_ceil(MAX - 107), Ok(MAX - 107));
        assert_eq!(money_ceil(MAX - 106), Ok(MAX - 7));
        assert_eq!(money_floor(MIN + 8), Ok(MIN + 8));
    }

    // ---- parsing ----

    #[test]
    fn parse_decimal_ok() {
        assert_eq!(parse_decimal("0"), Ok(0));
        assert_eq!(parse_decimal("-0"), Ok(0));
        assert_eq!(parse_decimal("3"), Ok(3_000_000));
        assert_eq!(parse_decimal("0.55"), Ok(550_000));
        assert_eq!(parse_decimal("-0.5"), Ok(-500_000));
        assert_eq!(parse_decimal("0.000001"), Ok(1));
        assert_eq!(parse_decimal("-1234.5"), Ok(-1_234_500_000));
        assert_eq!(parse_decimal("16000.50"), Ok(16_000_500_000));
        assert_eq!(parse_decimal("1.0"), Ok(1_000_000));
        assert_eq!(parse_decimal("007"), Ok(7_000_000));
        assert_eq!(parse_decimal("9223372036854.775807"), Ok(MAX));
        assert_eq!(parse_decimal("-9223372036854.775808"), Ok(MIN));
        assert_eq!(parse_decimal_literal("0.55"), Ok(550_000));
    }

    #[test]
    fn parse_decimal_errors() {
        use NumParseError as E;
        assert_eq!(parse_decimal(""), Err(E::Empty));
        assert_eq!(parse_decimal("-"), Err(E::Empty));
        assert_eq!(
            parse_decimal("0.0000001"),
            Err(E::TooManyDecimals { max: 6 })
        );
        assert_eq!(
            parse_decimal("1.1234567"),
            Err(E::TooManyDecimals { max: 6 })
        );
        assert_eq!(parse_decimal("9223372036854.775808"), Err(E::Overflow));
        assert_eq!(parse_decimal("-9223372036854.775809"), Err(E::Overflow));
        assert_eq!(
            parse_decimal("99999999999999999999999999999999999999999999999"),
            Err(E::Overflow)
        );
        assert_eq!(parse_decimal("1e3"), Err(E::Exponent));
        assert_eq!(parse_decimal("1.5E2"), Err(E::Exponent));
        assert_eq!(parse_decimal("-2e-5"), Err(E::Exponent));
        assert_eq!(parse_decimal("1E+2"), Err(E::Exponent));
        assert_eq!(parse_decimal("-0.5e10"), Err(E::Exponent));
        for bad in [
            "e", "1e", "e5", "1-e", "1e2e3", "1e+-2", ".5e2", "1.e2", "+1e2", "1e2.0",
        ] {
            assert_eq!(parse_decimal(bad), Err(E::Invalid), "{bad:?}");
        }
        for bad in [
            "+1", " 1", "1 ", "1,000", ".5", "5.", "1.2.3", "--1", "abc", "hello", "1-", "0x10",
            "١", "1_000", "NaN", "inf", "-.5", "1.-5",
        ] {
            assert_eq!(parse_decimal(bad), Err(E::Invalid), "{bad:?}");
        }
        assert_eq!(parse_decimal_literal("-1"), Err(E::Invalid));
    }

    #[test]
    fn parse_money_cases() {
        use NumParseError as E;
        assert_eq!(parse_money("1200.50"), Ok(120_050));
        assert_eq!(parse_money("1200.5"), Ok(120_050));
        assert_eq!(parse_money("-0.05"), Ok(-5));
        assert_eq!(parse_money("-3"), Ok(-300));
        assert_eq!(parse_money("16000"), Ok(1_600_000));
        assert_eq!(parse_money("92233720368547758.07"), Ok(MAX));
        assert_eq!(parse_money("-92233720368547758.08"), Ok(MIN));
        assert_eq!(parse_money("92233720368547758.08"), Err(E::Overflow));
        assert_eq!(parse_money("1.234"), Err(E::TooManyDecimals { max: 2 }));
        assert_eq!(parse_money("1.000"), Err(E::TooManyDecimals { max: 2 }));
        assert_eq!(parse_money("1e3"), Err(E::Exponent));
        assert_eq!(parse_money("1,000"), Err(E::Invalid));
        assert_eq!(parse_money("£5"), Err(E::Invalid));
        assert_eq!(parse_money(""), Err(E::Empty));
    }

    #[test]
    fn parse_int_cases() {
        use NumParseError as E;
        assert_eq!(parse_int("42"), Ok(42));
        assert_eq!(parse_int("-42"), Ok(-42));
        assert_eq!(parse_int("0"), Ok(0));
        assert_eq!(parse_int("9223372036854775807"), Ok(MAX));
        assert_eq!(parse_int("-9223372036854775808"), Ok(MIN));
        assert_eq!(parse_int("9223372036854775808"), Err(E::Overflow));
        assert_eq!(parse_int("-9223372036854775809"), Err(E::Overflow));
        assert_eq!(parse_int("42.0"), Err(E::NotInteger));
        assert_eq!(parse_int("42.5"), Err(E::NotInteger));
        assert_eq!(parse_int("1e3"), Err(E::Exponent));
        assert_eq!(parse_int("five"), Err(E::Invalid));
        assert_eq!(parse_int("+5"), Err(E::Invalid));
        assert_eq!(parse_int(""), Err(E::Empty));
        assert_eq!(parse_int_literal("42"), Ok(42));
        assert_eq!(parse_int_literal("-42"), Err(E::Invalid));
    }

    #[test]
    fn parse_json_number_text() {
        // Forms serde_json writes for integers and plain decimals are accepted.
        for n in [0i64, 1, -1, 42, 1200, -987_654_321, MAX, MIN] {
            let text = serde_like_int(n);
            assert_eq!(parse_int(&text), Ok(n));
        }
        assert_eq!(parse_money("16000.5"), Ok(1_600_050));
        assert_eq!(parse_decimal("0.55"), Ok(550_000));
        assert_eq!(parse_decimal("-0.0"), Ok(0));
        // Exponent forms are rejected with a clear message.
        assert_eq!(
            parse_decimal("1e21").unwrap_err().to_string(),
            "exponent notation is not accepted; write the number out in full"
        );
        assert_eq!(parse_money("1.5E2"), Err(NumParseError::Exponent));
    }

    fn serde_like_int(n: i64) -> String {
        n.to_string()
    }

    #[test]
    fn parse_money_literals() {
        use NumParseError as E;
        assert_eq!(parse_money_literal("£1,200.50"), Ok(120_050));
        assert_eq!(parse_money_literal("£1200.50"), Ok(120_050));
        assert_eq!(parse_money_literal("€5"), Ok(500));
        assert_eq!(parse_money_literal("$1,000,000"), Ok(100_000_000));
        assert_eq!(parse_money_literal("£16,000"), Ok(1_600_000));
        assert_eq!(parse_money_literal("£0.5"), Ok(50));
        assert_eq!(parse_money_literal("£0.05"), Ok(5));
        assert_eq!(parse_money_literal("£999"), Ok(99_900));
        assert_eq!(parse_money_literal("£92,233,720,368,547,758.07"), Ok(MAX));
        assert_eq!(
            parse_money_literal("£92,233,720,368,547,758.08"),
            Err(E::Overflow)
        );
        assert_eq!(
            parse_money_literal("£1.234"),
            Err(E::TooManyDecimals { max: 2 })
        );
        assert_eq!(parse_money_literal("1,200"), Err(E::MissingCurrency));
        assert_eq!(parse_money_literal("¥5"), Err(E::MissingCurrency));
        assert_eq!(parse_money_literal(""), Err(E::MissingCurrency));
        assert_eq!(parse_money_literal("£"), Err(E::Empty));
        for bad in [
            "£1,20",
            "£1,2000",
            "£1234,567",
            "£,123",
            "£1,,234",
            "£1,234,",
            "£1,23,456",
            "£0,5",
        ] {
            assert_eq!(parse_money_literal(bad), Err(E::BadGrouping), "{bad:?}");
        }
        for bad in [
            "£-5", "£+5", "£ 5", "£1.", "£.5", "£1e3", "£1,2a4", "££5", "£5£", "£1.2.3",
        ] {
            assert_eq!(parse_money_literal(bad), Err(E::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn parse_error_messages() {
        assert_eq!(
            NumParseError::TooManyDecimals { max: 2 }.to_string(),
            "more than 2 decimal places"
        );
        assert_eq!(
            NumParseError::TooManyDecimals { max: 6 }.to_string(),
            "more than 6 decimal places"
        );
        assert_eq!(NumParseError::Overflow.to_string(), "does not fit");
        assert_eq!(NumParseError::Invalid.to_string(), "not a number");
        assert_eq!(NumParseError::NotInteger.to_string(), "not a whole number");
        assert_eq!(ArithError::Overflow.to_string(), "overflow");
        assert_eq!(ArithError::DivisionByZero.to_string(), "division by zero");
    }

    // ---- formatting ----

    /// The one-pass reading of usual numbers gives the full reading's value.
    #[test]
    fn plain_numbers_read_alike_both_ways() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
        };
        let alphabet = b"0123456789999..-+e ";
        let mut fast = 0;
        for round in 0..200_000 {
            let len = next(if round % 10 == 0 { 24 } else { 10 });
            let text: String = (0..len)
                .map(|_| char::from(alphabet[next(alphabet.len())]))
                .collect();
            for places in [0, 2, 6] {
                for sign in [false, true] {
                    if let Some(v) = plain_scaled(text.as_bytes(), places, sign) {
                        assert_eq!(parse_scaled_full(&text, places, sign), Ok(v), "{text}");
                        fast += 1;
                    }
                }
            }
        }
        assert!(fast > 10_000, "{fast}");
        for (text, pence) in [("1200.50", 120_050), ("-0.05", -5), ("7", 700), ("0.1", 10)] {
            assert_eq!(
                plain_scaled(text.as_bytes(), 2, true),
                Some(pence),
                "{text}"
            );
        }
    }

    /// The writers that allocate nothing give the text of `format!`.
    #[test]
    fn the_writers_agree_with_format() {
        let money = |p: i64| {
            let a = p.unsigned_abs();
            let sign = if p < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", a / 100, a % 100)
        };
        let decimal = |v: i64| {
            let a = v.unsigned_abs();
            let sign = if v < 0 { "-" } else { "" };
            let mut out = format!("{sign}{}", a / 1_000_000);
            if !a.is_multiple_of(1_000_000) {
                let digits = format!("{:06}", a % 1_000_000);
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
            out
        };
        let date = |d: i32| {
            let (y, m, day) = civil_from_days(d);
            let sign = if y < 0 { "-" } else { "" };
            format!("{sign}{:04}-{m:02}-{day:02}", y.unsigned_abs())
        };
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut values = vec![
            0i64, 1, -1, 9, 10, 99, 100, 101, 999_999, 1_000_000, MAX, MIN,
        ];
        for _ in 0..20_000 {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            let r = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) as i64;
            values.push(r);
            values.push(r >> (r & 63));
        }
        for v in values {
            assert_eq!(format_money(v), money(v), "{v}");
            assert_eq!(format_decimal(v), decimal(v), "{v}");
            let d = (v >> 32) as i32;
            assert_eq!(format_date(d), date(d), "{d}");
            let d = (v % 5_000_000) as i32;
            assert_eq!(format_date(d), date(d), "{d}");
        }
    }

    #[test]
    fn format_money_forms() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(120_050), "1200.50");
        assert_eq!(format_money(-5), "-0.05");
        assert_eq!(format_money(5), "0.05");
        assert_eq!(format_money(-100), "-1.00");
        assert_eq!(format_money(10), "0.10");
        assert_eq!(format_money(MAX), "92233720368547758.07");
        assert_eq!(format_money(MIN), "-92233720368547758.08");
    }

    #[test]
    fn format_decimal_forms() {
        assert_eq!(format_decimal(0), "0");
        assert_eq!(format_decimal(550_000), "0.55");
        assert_eq!(format_decimal(3_000_000), "3");
        assert_eq!(format_decimal(-500_000), "-0.5");
        assert_eq!(format_decimal(1), "0.000001");
        assert_eq!(format_decimal(-1), "-0.000001");
        assert_eq!(format_decimal(-1_234_500_000), "-1234.5");
        assert_eq!(format_decimal(10_000_000), "10");
        assert_eq!(format_decimal(10_100_000), "10.1");
        assert_eq!(format_decimal(123_456_789), "123.456789");
        assert_eq!(format_decimal(MAX), "9223372036854.775807");
        assert_eq!(format_decimal(MIN), "-9223372036854.775808");
    }

    #[test]
    fn format_parse_round_trip() {
        let samples = [
            0,
            1,
            -1,
            5,
            10,
            99,
            100,
            101,
            999_999,
            1_000_000,
            1_000_001,
            123_456_789,
            MAX,
            MIN,
            MAX - 1,
            MIN + 1,
        ];
        for v in samples {
            assert_eq!(parse_decimal(&format_decimal(v)), Ok(v), "decimal {v}");
            assert_eq!(parse_money(&format_money(v)), Ok(v), "money {v}");
        }
    }

    // ---- dates ----

    #[test]
    fn leap_years() {
        assert!(!is_leap(1900));
        assert!(is_leap(2000));
        assert!(is_leap(2004));
        assert!(is_leap(2024));
        assert!(!is_leap(2023));
        assert!(!is_leap(2100));
        assert!(is_leap(2400));
        assert!(is_leap(0));
        assert!(is_leap(-4));
        assert!(!is_leap(-100));
        assert!(is_leap(-400));
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 13), 0);
    }

    #[test]
    fn civil_known_values() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(1969, 12, 31), Some(-1));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2000, 2, 29), Some(11_016));
        assert_eq!(days_from_civil(2026, 11, 27), Some(20_784));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
        assert_eq!(days_from_civil(1, 1, 1), Some(-719_162));
        assert_eq!(days_from_civil(0, 1, 1), Some(-719_528));
    }

    #[test]
    fn civil_invalid_dates() {
        assert_eq!(days_from_civil(1900, 2, 29), None);
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert!(days_from_civil(2024, 2, 29).is_some());
        assert!(days_from_civil(2000, 2, 29).is_some());
        assert_eq!(days_from_civil(2023, 4, 31), None);
        assert_eq!(days_from_civil(2023, 0, 1), None);
        assert_eq!(days_from_civil(2023, 13, 1), None);
        assert_eq!(days_from_civil(2023, 1, 0), None);
        assert_eq!(days_from_civil(2023, 1, 32), None);
        assert_eq!(days_from_civil(i32::MAX, 12, 31), None);
        assert_eq!(days_from_civil(i32::MIN, 1, 1), None);
    }

    #[test]
    fn civil_round_trip_wide_range() {
        // Every day across ~8,200 years, checking continuity as well as the round trip.
        let mut prev = civil_from_days(-1_500_001);
        for z in -1_500_000..=1_500_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), Some(z), "day {z}");
            let (py, pm, pd) = prev;
            let next_of_prev = if pd < days_in_month(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), next_of_prev, "day {z}");
            prev = (y, m, d);
        }
        // Sparse samples over the whole i32 range, including the extremes.
        let mut z: i64 = i64::from(i32::MIN);
        while z <= i64::from(i32::MAX) {
            let zi = i32::try_from(z).unwrap();
            let (y, m, d) = civil_from_days(zi);
            assert_eq!(days_from_civil(y, m, d), Some(zi), "day {zi}");
            z += 999_983;
        }
        for zi in [i32::MIN, i32::MIN + 1, i32::MAX - 1, i32::MAX] {
            let (y, m, d) = civil_from_days(zi);
            assert_eq!(days_from_civil(y, m, d), Some(zi), "day {zi}");
        }
    }

    #[test]
    fn parse_and_format_dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(
            parse_date("2026-04-06").map(format_date),
            Some("2026-04-06".to_string())
        );
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        assert_eq!(parse_date("1900-02-29"), None);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-04-31"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        assert_eq!(parse_date("2023-00-01"), None);
        assert_eq!(parse_date("2023-01-00"), None);
        for bad in [
            "",
            "2023-1-01",
            "2023-01-1",
            "23-01-01",
            "2023/01/01",
            "2023-01-01 ",
            " 2023-01-01",
            "20230101",
            "2023-01-01T00",
            "+023-01-01",
            "-023-01-01",
            "2023-0a-01",
            "2023--1-01",
            "２０２３-01-01",
            "2023-01-0١",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date(days_from_civil(5, 3, 7).unwrap()), "0005-03-07");
        assert_eq!(
            format_date(days_from_civil(-1, 3, 7).unwrap()),
            "-0001-03-07"
        );
        assert_eq!(parse_date("0000-01-01"), days_from_civil(0, 1, 1));
        assert_eq!(
            parse_date("9999-12-31").map(format_date),
            Some("9999-12-31".to_string())
        );
        for z in (-800_000..=3_000_000).step_by(997) {
            let s = format_date(z);
            if (0..=9999).contains(&civil_from_days(z).0) {
                assert_eq!(parse_date(&s), Some(z), "{s}");
            }
        }
    }

    #[test]
    fn years_between_birthdays() {
        let born = date("1990-06-15");
        assert_eq!(years_between(born, date("1990-06-15")), 0);
        assert_eq!(years_between(born, date("2008-06-14")), 17);
        assert_eq!(years_between(born, date("2008-06-15")), 18);
        assert_eq!(years_between(born, date("2008-06-16")), 18);
        assert_eq!(years_between(born, date("2009-06-14")), 18);
        assert_eq!(years_between(born, date("2008-05-31")), 17);
        assert_eq!(years_between(born, date("2008-07-01")), 18);
        assert_eq!(years_between(date("1999-12-31"), date("2000-01-01")), 0);
        assert_eq!(years_between(date("1999-12-31"), date("2000-12-31")), 1);
        assert_eq!(years_between(date("2000-01-01"), date("2000-12-31")), 0);
    }

    #[test]
    fn years_between_leap_day_birthdays() {
        let born = date("2000-02-29");
        assert_eq!(years_between(born, date("2001-02-28")), 0);
        assert_eq!(years_between(born, date("2001-03-01")), 1);
        assert_eq!(years_between(born, date("2004-02-28")), 3);
        assert_eq!(years_between(born, date("2004-02-29")), 4);
        assert_eq!(years_between(born, date("2004-03-01")), 4);
        assert_eq!(years_between(born, date("2100-02-28")), 99);
        assert_eq!(years_between(born, date("2100-03-01")), 100);
        // Born 1 March: a 28 Feb in a leap year is still before the birthday.
        assert_eq!(years_between(date("2001-03-01"), date("2004-02-29")), 2);
        assert_eq!(years_between(date("2001-03-01"), date("2004-03-01")), 3);
        // Born 28 Feb: birthday on 28 Feb in both leap and common years.
        assert_eq!(years_between(date("2003-02-28"), date("2004-02-28")), 1);
        assert_eq!(years_between(date("2003-02-28"), date("2004-02-27")), 0);
    }

    #[test]
    fn years_between_reversed() {
        let a = date("1990-06-15");
        let b = date("2008-06-14");
        assert_eq!(years_between(b, a), -17);
        assert_eq!(years_between(date("2008-06-15"), a), -18);
        // Negated count from the earlier date: 2001-02-28 back to 2000-02-29 is -0 = 0.
        assert_eq!(years_between(date("2001-02-28"), date("2000-02-29")), 0);
        assert_eq!(years_between(date("2001-03-01"), date("2000-02-29")), -1);
        assert_eq!(
            years_between(i32::MIN, i32::MAX),
            -years_between(i32::MAX, i32::MIN)
        );
        assert!(years_between(i32::MIN, i32::MAX) > 11_000_000);
    }

    #[test]
    fn days_between_cases() {
        assert_eq!(days_between(date("2024-02-28"), date("2024-03-01")), 2);
        assert_eq!(days_between(date("2023-02-28"), date("2023-03-01")), 1);
        assert_eq!(days_between(date("1900-02-28"), date("1900-03-01")), 1);
        assert_eq!(days_between(date("2000-02-28"), date("2000-03-01")), 2);
        assert_eq!(days_between(date("2024-01-01"), date("2025-01-01")), 366);
        assert_eq!(days_between(date("2023-01-01"), date("2024-01-01")), 365);
        assert_eq!(days_between(date("2024-03-01"), date("2024-02-28")), -2);
        assert_eq!(days_between(date("2026-04-06"), date("2026-04-06")), 0);
        assert_eq!(days_between(i32::MIN, i32::MAX), 4_294_967_295);
        assert_eq!(days_between(i32::MAX, i32::MIN), -4_294_967_295);
    }

    #[test]
    fn today_is_plausible() {
        let t = today_utc();
        assert!(t > date("2024-01-01"));
        assert!(t < date("2200-01-01"));
    }
}

/// A calendar date: days since 1970-01-01. Written and read as
/// `YYYY-MM-DD` (`"2026-11-27".parse::<Date>()`); with the `serde`
/// feature, serialised as that text too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// Text that is not a real calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a date: expected a real calendar date written YYYY-MM-DD")]
pub struct DateError {
    /// The text refused, shortened when long.
    pub text: String,
}

impl Date {
    /// Parses `YYYY-MM-DD` (the same as `text.parse::<Date>()`).
    pub fn parse(text: &str) -> Result<Date, DateError> {
        text.parse()
    }
    /// Today's date in UTC.
    pub fn today() -> Date {
        Date(today_utc())
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Date, DateError> {
        parse_date(text).map(Date).ok_or_else(|| DateError {
            text: text.chars().take(40).collect(),
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_date(self.0))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
