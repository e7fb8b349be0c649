//! `numeric`: exact decimal arithmetic of arbitrary precision.
//!
//! A finite value is a decimal mantissa and a display scale (digits after the point), so
//! `1.50` is `(150, 2)` and keeps its scale on output as PostgreSQL does. NaN and
//! +/-Infinity are separate variants (PostgreSQL 14+ has numeric infinities).
//!
//! Two representations of a finite value, chosen by the mantissa alone so that a value
//! has exactly one form (derived equality is structural):
//!
//! ```text
//!   Finite { mantissa: i128, scale }   the mantissa fits an i128   (no allocation)
//!   Big(Arc<BigDecimal>)               it does not                  (num-bigint)
//! ```
//!
//! Every operation first tries the `i128` path with checked arithmetic and falls back
//! to `BigInt` only when that overflows, so the sums and averages of pgbench-sized
//! values never allocate. The limits are PostgreSQL's storage limits: up to 131072
//! digits before the point and 16383 after, else 22003 `value overflows numeric format`.
//!
//! Result scales follow PostgreSQL's `numeric.c` rules (its `select_div_scale`, the
//! `rscale` choices of sqrt / exp / ln / log / power); PostgreSQL works in base-10000
//! digits, so where a rule reads a base-10000 weight or first digit we derive those from
//! the decimal form ([`weight_and_first_digits`]). The transcendental functions compute
//! in fixed point with guard digits and round once to the chosen scale
//! (see `transcendental` below).

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::{PgError, PgResult, SqlState};

/// The largest display scale a value can carry (PostgreSQL's `NUMERIC_DSCALE_MAX`).
pub const MAX_SCALE: u32 = 16383;
/// The most decimal digits before the point (base-10000 weight 32767).
const MAX_INT_DIGITS: i64 = 131072;
/// `NUMERIC_MAX_DISPLAY_SCALE`: the most digits a computed result chooses after the point.
const MAX_DISPLAY_SCALE: i64 = 1000;
/// `NUMERIC_MAX_RESULT_SCALE`.
const MAX_RESULT_SCALE: i64 = 2000;
/// `NUMERIC_MIN_SIG_DIGITS`: significant digits of a division or function result.
const MIN_SIG_DIGITS: i64 = 16;

/// A finite value whose mantissa does not fit an `i128`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigDecimal {
    pub mantissa: BigInt,
    pub scale: u32,
}

/// An exact decimal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numeric {
    NaN,
    PosInf,
    NegInf,
    /// `mantissa * 10^-scale`, for every mantissa that fits an i128.
    Finite {
        mantissa: i128,
        scale: u32,
    },
    /// `mantissa * 10^-scale` otherwise.
    Big(Arc<BigDecimal>),
}

fn overflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value overflows numeric format",
    )
}

pub(crate) fn division_by_zero() -> PgError {
    PgError::new(SqlState::DivisionByZero, "division by zero")
}

fn power_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidArgumentForPowerFunction, msg)
}

fn log_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidArgumentForLogarithm, msg)
}

fn pow10_i128(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn pow10(n: u64) -> BigInt {
    BigInt::from(10u32).pow(n as u32)
}

/// Divides rounding half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.unsigned_abs() >= d.unsigned_abs() - r.unsigned_abs() {
        if (n < 0) != (d < 0) { q - 1 } else { q + 1 }
    } else {
        q
    }
}

/// Divides rounding half away from zero (d != 0).
fn big_div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = n.div_rem(d);
    let r2: BigInt = r.abs() << 1;
    if r2 >= d.abs() {
        if (n.sign() == Sign::Minus) != (d.sign() == Sign::Minus) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

/// Number of decimal digits of |m| (1 for zero).
fn ndigits(m: &BigInt) -> i64 {
    if let Some(v) = m.magnitude().to_u128() {
        return if v == 0 { 1 } else { i64::from(v.ilog10()) + 1 };
    }
    let bits = m.bits();
    // 10^d <= |m| < 10^(d+1): estimate from the bit length, then correct
    let est = ((bits - 1) as f64 * std::f64::consts::LOG10_2) as u64;
    let mut d = est;
    let mag = m.magnitude();
    let mut p = num_bigint::BigUint::from(10u32).pow(d as u32);
    while &p > mag {
        p /= 10u32;
        d -= 1;
    }
    loop {
        let next = &p * 10u32;
        if &next > mag {
            break;
        }
        p = next;
        d += 1;
    }
    d as i64 + 1
}

/// The first `n` decimal digits of |m| as an integer (fewer if |m| is shorter).
fn leading_digits(m: &BigInt, total: i64, n: i64) -> u64 {
    if total <= n {
        return m.magnitude().to_u64().unwrap_or(0);
    }
    let drop = (total - n) as u64;
    (m.magnitude() / num_bigint::BigUint::from(10u32).pow(drop as u32))
        .to_u64()
        .unwrap_or(0)
}

/// A finite value as `(mantissa, scale)` in the wide form.
#[derive(Clone, Debug)]
struct Dec {
    m: BigInt,
    s: i64,
}

impl Dec {
    fn new(m: BigInt, s: i64) -> Dec {
        Dec { m, s }
    }

    /// Decimal exponent of the leading digit (0 for zero).
    fn exponent(&self) -> i64 {
        if self.m.is_zero() {
            0
        } else {
            ndigits(&self.m) - 1 - self.s
        }
    }

    /// Rounded (half away from zero) or truncated to `scale` digits after the point.
    fn round(&self, scale: i64, truncate: bool) -> Dec {
        if scale >= self.s {
            return Dec::new(&self.m * pow10((scale - self.s) as u64), scale);
        }
        let drop = self.s - scale;
        if drop > ndigits(&self.m) + 1 {
            return Dec::new(BigInt::zero(), scale);
        }
        let p = pow10(drop as u64);
        let m = if truncate {
            &self.m / &p
        } else {
            big_div_round(&self.m, &p)
        };
        Dec::new(m, scale)
    }

    fn to_f64(&self) -> f64 {
        if self.m.is_zero() {
            return 0.0;
        }
        // 17 leading digits are all a double holds
        let total = ndigits(&self.m);
        let lead = leading_digits(&self.m, total, 17) as f64;
        let exp = total.min(17) - total + self.s;
        let v = lead * 10f64.powi(-(exp as i32));
        if self.m.is_negative() { -v } else { v }
    }

    /// log10(|x|) as a double (x != 0).
    fn log10_abs(&self) -> f64 {
        let total = ndigits(&self.m);
        let lead = leading_digits(&self.m, total, 17) as f64;
        lead.log10() + (total - total.min(17) - self.s) as f64
    }
}

/// The base-10000 weight of `x` and its first base-10000 digit, and the one after it,
/// as PostgreSQL's NumericVar would hold them (zero: weight 0, digits 0).
fn weight_and_first_digits(x: &Dec) -> (i64, u32, u32) {
    if x.m.is_zero() {
        return (0, 0, 0);
    }
    let total = ndigits(&x.m);
    let e = total - 1 - x.s;
    let w = e.div_euclid(4);
    let lead = e - 4 * w + 1; // decimal digits in the first group: 1..=4
    let want = lead + 4;
    let got = total.min(want);
    let digits = leading_digits(&x.m, total, got) * 10u64.pow((want - got) as u32);
    ((w), (digits / 10000) as u32, (digits % 10000) as u32)
}

/// PostgreSQL's `estimate_ln_dweight`: the decimal weight of ln(x), from a rough estimate.
fn estimate_ln_dweight(x: &Dec) -> i64 {
    if x.m.sign() != Sign::Plus {
        return 0;
    }
    let nine = Dec::new(BigInt::from(9), 1);
    let eleven = Dec::new(BigInt::from(11), 1);
    if cmp_dec(x, &nine) != Ordering::Less && cmp_dec(x, &eleven) != Ordering::Greater {
        let d = sub_dec(x, &Dec::new(BigInt::one(), 0));
        if d.m.is_zero() { 0 } else { d.exponent() }
    } else {
        let (w, d0, d1) = weight_and_first_digits(x);
        let digits = f64::from(d0) * 10000.0 + f64::from(d1);
        let dweight = (w - 1) * 4;
        let ln = digits.ln() + dweight as f64 * std::f64::consts::LN_10;
        ln.abs().log10() as i64
    }
}

fn align(a: &Dec, b: &Dec) -> (BigInt, BigInt, i64) {
    let s = a.s.max(b.s);
    let x = if s > a.s {
        &a.m * pow10((s - a.s) as u64)
    } else {
        a.m.clone()
    };
    let y = if s > b.s {
        &b.m * pow10((s - b.s) as u64)
    } else {
        b.m.clone()
    };
    (x, y, s)
}

fn cmp_dec(a: &Dec, b: &Dec) -> Ordering {
    let (sa, sb) = (a.m.sign(), b.m.sign());
    if sa != sb || a.m.is_zero() {
        let r = |s: Sign| match s {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        };
        return r(sa).cmp(&r(sb));
    }
    // same sign, both nonzero: compare exponents first to avoid huge alignments
    let (ea, eb) = (a.exponent(), b.exponent());
    if ea != eb {
        let o = ea.cmp(&eb);
        return if sa == Sign::Minus { o.reverse() } else { o };
    }
    let (x, y, _) = align(a, b);
    x.cmp(&y)
}

fn add_dec(a: &Dec, b: &Dec) -> Dec {
    let (x, y, s) = align(a, b);
    Dec::new(x + y, s)
}

fn sub_dec(a: &Dec, b: &Dec) -> Dec {
    let (x, y, s) = align(a, b);
    Dec::new(x - y, s)
}

/// a / b rounded (or truncated) to `rscale` digits (b != 0).
fn div_dec(a: &Dec, b: &Dec, rscale: i64, truncate: bool) -> Dec {
    // a.m * 10^-a.s / (b.m * 10^-b.s) * 10^rscale = a.m * 10^(rscale + b.s - a.s) / b.m
    let k = rscale + b.s - a.s;
    let (n, d) = if k >= 0 {
        (&a.m * pow10(k as u64), b.m.clone())
    } else {
        (a.m.clone(), &b.m * pow10((-k) as u64))
    };
    let q = if truncate {
        &n / &d
    } else {
        big_div_round(&n, &d)
    };
    Dec::new(q, rscale)
}

/// PostgreSQL's `select_div_scale`.
fn select_div_scale(a: &Dec, b: &Dec) -> i64 {
    let (w1, f1, _) = weight_and_first_digits(a);
    let (w2, f2, _) = weight_and_first_digits(b);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    (MIN_SIG_DIGITS - qweight * 4)
        .max(a.s)
        .max(b.s)
        .clamp(0, MAX_DISPLAY_SCALE)
}

impl Numeric {
    pub const ZERO: Numeric = Numeric::Finite {
        mantissa: 0,
        scale: 0,
    };

    pub fn new(mantissa: i128, scale: u32) -> Numeric {
        Numeric::Finite { mantissa, scale }
    }

    pub fn from_i64(v: i64) -> Numeric {
        Numeric::new(v as i128, 0)
    }

    /// A finite value from a wide mantissa, in its canonical form, checked against the
    /// storage limits.
    pub fn from_big(mantissa: BigInt, scale: u32) -> PgResult<Numeric> {
        if scale > MAX_SCALE {
            return Err(overflow());
        }
        if let Some(m) = mantissa.to_i128() {
            if m != 0 && m.unsigned_abs().ilog10() as i64 + 1 - scale as i64 > MAX_INT_DIGITS {
                return Err(overflow());
            }
            return Ok(Numeric::Finite { mantissa: m, scale });
        }
        // cheap bound from the bit length before counting digits
        let approx = (mantissa.bits() as f64 * std::f64::consts::LOG10_2) as i64 + 1;
        if approx - scale as i64 > MAX_INT_DIGITS - 2
            && ndigits(&mantissa) - scale as i64 > MAX_INT_DIGITS
        {
            return Err(overflow());
        }
        Ok(Numeric::Big(Arc::new(BigDecimal { mantissa, scale })))
    }

    fn from_dec(d: Dec) -> PgResult<Numeric> {
        if d.s < 0 {
            let m = d.m * pow10((-d.s) as u64);
            return Numeric::from_big(m, 0);
        }
        let s = u32::try_from(d.s).map_err(|_| overflow())?;
        Numeric::from_big(d.m, s)
    }

    fn dec(&self) -> Option<Dec> {
        match self {
            Numeric::Finite { mantissa, scale } => {
                Some(Dec::new(BigInt::from(*mantissa), i64::from(*scale)))
            }
            Numeric::Big(b) => Some(Dec::new(b.mantissa.clone(), i64::from(b.scale))),
            _ => None,
        }
    }

    /// The display scale (0 for the special values).
    pub fn scale(&self) -> u32 {
        match self {
            Numeric::Finite { scale, .. } => *scale,
            Numeric::Big(b) => b.scale,
            _ => 0,
        }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, Numeric::Finite { .. } | Numeric::Big(_))
    }

    pub fn is_nan(&self) -> bool {
        matches!(self, Numeric::NaN)
    }

    /// The mantissa and scale of a finite value (None for NaN and the infinities).
    pub fn to_bigint_parts(&self) -> Option<(BigInt, u32)> {
        self.dec().map(|d| (d.m, d.s as u32))
    }

    /// Parses numeric input syntax: `12.50`, `-.5`, `1e10`, `NaN`, `Infinity`.
    /// `None` on a syntax error (the caller names the type in the message).
    pub fn parse(s: &str) -> Option<PgResult<Numeric>> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "nan" => return Some(Ok(Numeric::NaN)),
            "infinity" | "+infinity" | "inf" | "+inf" => return Some(Ok(Numeric::PosInf)),
            "-infinity" | "-inf" => return Some(Ok(Numeric::NegInf)),
            _ => {}
        }
        let b = t.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let mut digits = String::new();
        let mut frac_digits: i64 = 0;
        let mut seen_point = false;
        let mut any = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    if !digits.is_empty() || c != b'0' {
                        digits.push(c as char);
                    }
                    any = true;
                    if seen_point {
                        frac_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any {
            return None;
        }
        let mut exp: i64 = 0;
        let mut exp_too_big = false;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exp = exp.saturating_mul(10).saturating_add((b[i] - b'0') as i64);
                i += 1;
            }
            if start == i {
                return None;
            }
            if exp >= i64::from(i32::MAX / 2) {
                exp_too_big = true;
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        Some((|| {
            if exp_too_big {
                return Err(overflow());
            }
            let scale = (frac_digits - exp).max(0);
            if scale > i64::from(MAX_SCALE) {
                return Err(overflow());
            }
            // value = digits * 10^(exp - frac_digits); the mantissa at `scale`
            let shift = exp - frac_digits + scale;
            if digits.is_empty() {
                return Ok(Numeric::new(0, scale as u32));
            }
            if digits.len() as i64 + shift - scale > MAX_INT_DIGITS {
                return Err(overflow());
            }
            if digits.len() as i64 + shift <= 38 {
                let m: i128 = digits.parse().map_err(|_| overflow())?;
                let m = m * pow10_i128(shift as u32).ok_or_else(overflow)?;
                return Ok(Numeric::new(if neg { -m } else { m }, scale as u32));
            }
            let mut m: BigInt = digits.parse().map_err(|_| overflow())?;
            if shift > 0 {
                m *= pow10(shift as u64);
            }
            if neg {
                m = -m;
            }
            Numeric::from_big(m, scale as u32)
        })())
    }

    /// Output text: the digits with exactly `scale` places after the point.
    pub fn to_text(&self) -> String {
        let (neg, digits, scale) = match self {
            Numeric::NaN => return "NaN".into(),
            Numeric::PosInf => return "Infinity".into(),
            Numeric::NegInf => return "-Infinity".into(),
            Numeric::Finite { mantissa, scale } => (
                *mantissa < 0,
                mantissa.unsigned_abs().to_string(),
                *scale as usize,
            ),
            Numeric::Big(b) => (
                b.mantissa.is_negative(),
                b.mantissa.magnitude().to_string(),
                b.scale as usize,
            ),
        };
        let mut out = String::with_capacity(digits.len() + scale + 3);
        if neg {
            out.push('-');
        }
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            out.push_str(&digits[..digits.len() - scale]);
            out.push('.');
            out.push_str(&digits[digits.len() - scale..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        }
        out
    }

    /// Scientific notation with `frac_digits` digits after the point, rounded half away
    /// from zero in decimal (PostgreSQL's `numeric_out_sci`): `1.235e-05`, `-4.200e+00`.
    /// NaN and the infinities print as [`Numeric::to_text`] does.
    pub fn to_sci(&self, frac_digits: usize) -> String {
        let Some(d) = self.dec() else {
            return self.to_text();
        };
        let want = frac_digits as i64 + 1;
        let (digits, exp) = if d.m.is_zero() {
            ("0".repeat(want as usize), 0)
        } else {
            // PostgreSQL keeps the exponent of the unrounded value: 9.9996 prints as
            // 10.000e+00 at three digits
            let e = d.exponent();
            let mag = Dec::new(d.m.abs(), 0);
            let q = mag.round(want - ndigits(&mag.m), false).m;
            (q.to_string(), e)
        };
        let mut out = String::new();
        if d.m.is_negative() {
            out.push('-');
        }
        let int_len = digits.len() - frac_digits;
        out.push_str(&digits[..int_len]);
        if frac_digits > 0 {
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
        out
    }

    /// Rescales to `scale` digits, rounding half away from zero.
    pub fn rescale(&self, scale: u32) -> PgResult<Numeric> {
        self.round_to_scale(i64::from(scale), false)
    }

    /// Rounds or truncates to `scale` digits after the point (negative: before it); the
    /// result's display scale is `max(scale, 0)`.
    fn round_to_scale(&self, scale: i64, truncate: bool) -> PgResult<Numeric> {
        match self {
            Numeric::Finite { mantissa, scale: s } if scale >= 0 => {
                let s = i64::from(*s);
                if scale >= s {
                    if let Some(m) = u32::try_from(scale - s)
                        .ok()
                        .and_then(pow10_i128)
                        .and_then(|p| mantissa.checked_mul(p))
                    {
                        return Numeric::from_big(BigInt::from(m), scale as u32);
                    }
                } else {
                    let drop = s - scale;
                    let m = if drop > 38 {
                        0
                    } else {
                        let p = 10i128.pow(drop as u32);
                        if truncate {
                            mantissa / p
                        } else {
                            div_round(*mantissa, p)
                        }
                    };
                    return Ok(Numeric::new(m, scale as u32));
                }
            }
            Numeric::Finite { .. } | Numeric::Big(_) => {}
            _ => return Ok(self.clone()),
        }
        let d = self.dec().ok_or_else(overflow)?.round(scale, truncate);
        Numeric::from_dec(d)
    }

    /// Rounds to `digits` places (negative: to the left of the point); the result's
    /// scale is `max(digits, 0)`, as `round(numeric, int)` / `trunc(numeric, int)`.
    pub fn round_to(&self, digits: i32, truncate: bool) -> PgResult<Numeric> {
        // PostgreSQL's limits: no more digits than a value can hold on either side
        let digits = i64::from(digits).clamp(-MAX_INT_DIGITS - 1, i64::from(MAX_SCALE));
        self.round_to_scale(digits, truncate)
    }

    pub fn ceil_floor(&self, ceil: bool) -> PgResult<Numeric> {
        match self {
            Numeric::Finite { mantissa, scale } if *scale <= 38 => {
                let p = 10i128.pow(*scale);
                let mut q = mantissa / p;
                let r = mantissa % p;
                if r != 0 && ceil && *mantissa > 0 {
                    q += 1;
                }
                if r != 0 && !ceil && *mantissa < 0 {
                    q -= 1;
                }
                Ok(Numeric::new(q, 0))
            }
            Numeric::Finite { .. } | Numeric::Big(_) => {
                let d = self.dec().ok_or_else(overflow)?;
                let p = pow10(d.s as u64);
                let q = if ceil {
                    d.m.div_ceil(&p)
                } else {
                    d.m.div_floor(&p)
                };
                Numeric::from_big(q, 0)
            }
            _ => Ok(self.clone()),
        }
    }

    pub fn neg(&self) -> Numeric {
        match self {
            Numeric::NaN => Numeric::NaN,
            Numeric::PosInf => Numeric::NegInf,
            Numeric::NegInf => Numeric::PosInf,
            Numeric::Finite { mantissa, scale } => match mantissa.checked_neg() {
                Some(m) => Numeric::new(m, *scale),
                None => Numeric::Big(Arc::new(BigDecimal {
                    mantissa: -BigInt::from(*mantissa),
                    scale: *scale,
                })),
            },
            Numeric::Big(b) => {
                let m = -&b.mantissa;
                match m.to_i128() {
                    Some(m) => Numeric::new(m, b.scale),
                    None => Numeric::Big(Arc::new(BigDecimal {
                        mantissa: m,
                        scale: b.scale,
                    })),
                }
            }
        }
    }

    pub fn abs(&self) -> Numeric {
        match self {
            Numeric::NegInf => Numeric::PosInf,
            x if x.sign_i() < 0 => x.neg(),
            other => other.clone(),
        }
    }

    /// -1, 0 or 1 (NaN for NaN).
    pub fn sign(&self) -> Numeric {
        match self {
            Numeric::NaN => Numeric::NaN,
            other => Numeric::new(i128::from(other.sign_i()), 0),
        }
    }

    /// Whether the value has no fractional part (false for NaN and the infinities).
    pub fn is_integral(&self) -> bool {
        match self {
            Numeric::Finite { mantissa, scale } => match pow10_i128(*scale) {
                Some(p) => mantissa % p == 0,
                None => *mantissa == 0,
            },
            Numeric::Big(b) => (&b.mantissa % pow10(u64::from(b.scale))).is_zero(),
            _ => false,
        }
    }

    pub fn add(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (self, o) {
            (
                Finite {
                    mantissa: a,
                    scale: sa,
                },
                Finite {
                    mantissa: b,
                    scale: sb,
                },
            ) => {
                let s = *sa.max(sb);
                let fast = (|| {
                    let x = a.checked_mul(pow10_i128(s - sa)?)?;
                    let y = b.checked_mul(pow10_i128(s - sb)?)?;
                    x.checked_add(y)
                })();
                if let Some(m) = fast {
                    return Ok(Numeric::new(m, s));
                }
            }
            (NaN, _) | (_, NaN) => return Ok(NaN),
            (PosInf, NegInf) | (NegInf, PosInf) => return Ok(NaN),
            (PosInf, _) | (_, PosInf) => return Ok(PosInf),
            (NegInf, _) | (_, NegInf) => return Ok(NegInf),
            _ => {}
        }
        let (a, b) = (
            self.dec().ok_or_else(overflow)?,
            o.dec().ok_or_else(overflow)?,
        );
        Numeric::from_dec(add_dec(&a, &b))
    }

    pub fn sub(&self, o: &Numeric) -> PgResult<Numeric> {
        self.add(&o.neg())
    }

    pub fn mul(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (self, o) {
            (
                Finite {
                    mantissa: a,
                    scale: sa,
                },
                Finite {
                    mantissa: b,
                    scale: sb,
                },
            ) => {
                if let Some(m) = a.checked_mul(*b)
                    && sa + sb <= MAX_SCALE
                {
                    return Ok(Numeric::new(m, sa + sb));
                }
            }
            (NaN, _) | (_, NaN) => return Ok(NaN),
            (Finite { .. } | Big(_), Finite { .. } | Big(_)) => {}
            (x, y) => {
                let s = x.sign_i() * y.sign_i();
                return Ok(match s {
                    0 => NaN,
                    1 => PosInf,
                    _ => NegInf,
                });
            }
        }
        let (a, b) = (
            self.dec().ok_or_else(overflow)?,
            o.dec().ok_or_else(overflow)?,
        );
        let mut p = Dec::new(&a.m * &b.m, a.s + b.s);
        if p.s > i64::from(MAX_SCALE) {
            p = p.round(i64::from(MAX_SCALE), false);
        }
        Numeric::from_dec(p)
    }

    /// `self + o` without the storage limits: for accumulators that PostgreSQL keeps
    /// in wider intermediate form (the aggregates' sums of squares).
    pub fn add_wide(&self, o: &Numeric) -> PgResult<Numeric> {
        match (self.dec(), o.dec()) {
            (Some(a), Some(b)) => Ok(Numeric::from_dec_wide(add_dec(&a, &b))),
            _ => self.add(o),
        }
    }

    /// `self * o` exactly, without the storage limits (see [`Numeric::add_wide`]).
    pub fn mul_wide(&self, o: &Numeric) -> PgResult<Numeric> {
        match (self.dec(), o.dec()) {
            (Some(a), Some(b)) => Ok(Numeric::from_dec_wide(Dec::new(&a.m * &b.m, a.s + b.s))),
            _ => self.mul(o),
        }
    }

    fn from_dec_wide(d: Dec) -> Numeric {
        let d = if d.s < 0 { d.round(0, false) } else { d };
        let scale = d.s as u32;
        match d.m.to_i128() {
            Some(m) => Numeric::Finite { mantissa: m, scale },
            None => Numeric::Big(Arc::new(BigDecimal {
                mantissa: d.m,
                scale,
            })),
        }
    }

    fn sign_i(&self) -> i32 {
        match self {
            Numeric::NaN => 0,
            Numeric::PosInf => 1,
            Numeric::NegInf => -1,
            Numeric::Finite { mantissa, .. } => mantissa.signum() as i32,
            Numeric::Big(b) => match b.mantissa.sign() {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            },
        }
    }

    pub fn div(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (self, o) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (PosInf | NegInf, PosInf | NegInf) => Ok(NaN),
            (x @ (PosInf | NegInf), y) => match x.sign_i() * y.sign_i() {
                0 => Err(division_by_zero()),
                1 => Ok(PosInf),
                _ => Ok(NegInf),
            },
            (_, PosInf | NegInf) => Ok(Numeric::ZERO),
            (a, b) => {
                if b.sign_i() == 0 {
                    return Err(division_by_zero());
                }
                let (a, b) = (a.dec().ok_or_else(overflow)?, b.dec().ok_or_else(overflow)?);
                let rscale = select_div_scale(&a, &b);
                Numeric::from_dec(div_dec(&a, &b, rscale, false))
            }
        }
    }

    /// Division rounded to `rscale` digits (the aggregates' final division).
    pub fn div_scale(&self, o: &Numeric, rscale: u32) -> PgResult<Numeric> {
        if o.sign_i() == 0 && o.is_finite() {
            return Err(division_by_zero());
        }
        match (self.dec(), o.dec()) {
            (Some(a), Some(b)) => Numeric::from_dec(div_dec(&a, &b, i64::from(rscale), false)),
            _ => self.div(o),
        }
    }

    /// Integer quotient truncated toward zero (`div(numeric, numeric)`).
    pub fn div_trunc(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (self, o) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (PosInf | NegInf, PosInf | NegInf) => Ok(NaN),
            (x @ (PosInf | NegInf), y) => match x.sign_i() * y.sign_i() {
                0 => Err(division_by_zero()),
                1 => Ok(PosInf),
                _ => Ok(NegInf),
            },
            (_, PosInf | NegInf) => Ok(Numeric::ZERO),
            (a, b) => {
                if b.sign_i() == 0 {
                    return Err(division_by_zero());
                }
                let (a, b) = (a.dec().ok_or_else(overflow)?, b.dec().ok_or_else(overflow)?);
                Numeric::from_dec(div_dec(&a, &b, 0, true))
            }
        }
    }

    pub fn modulo(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (self, o) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (PosInf | NegInf, y) => {
                if y.sign_i() == 0 {
                    Err(division_by_zero())
                } else {
                    Ok(NaN)
                }
            }
            (x, PosInf | NegInf) => Ok(x.clone()),
            (
                Finite {
                    mantissa: a,
                    scale: sa,
                },
                Finite {
                    mantissa: b,
                    scale: sb,
                },
            ) if *sa <= 38 && *sb <= 38 => {
                if *b == 0 {
                    return Err(division_by_zero());
                }
                let s = *sa.max(sb);
                let x = pow10_i128(s - sa).and_then(|p| a.checked_mul(p));
                let y = pow10_i128(s - sb).and_then(|p| b.checked_mul(p));
                if let (Some(x), Some(y)) = (x, y) {
                    return Ok(Numeric::new(x % y, s));
                }
                self.modulo_big(o)
            }
            _ => self.modulo_big(o),
        }
    }

    fn modulo_big(&self, o: &Numeric) -> PgResult<Numeric> {
        let (a, b) = (
            self.dec().ok_or_else(overflow)?,
            o.dec().ok_or_else(overflow)?,
        );
        if b.m.is_zero() {
            return Err(division_by_zero());
        }
        let (x, y, s) = align(&a, &b);
        Numeric::from_dec(Dec::new(x % y, s))
    }

    /// Square root with PostgreSQL's result scale, correctly rounded.
    pub fn sqrt(&self) -> PgResult<Numeric> {
        let neg = || power_error("cannot take square root of a negative number");
        match self {
            Numeric::NaN | Numeric::PosInf => return Ok(self.clone()),
            Numeric::NegInf => return Err(neg()),
            _ => {}
        }
        if self.sign_i() < 0 {
            return Err(neg());
        }
        let x = self.dec().ok_or_else(overflow)?;
        let (w, _, _) = weight_and_first_digits(&x);
        let sweight = (w + 1) * 4 / 2 - 1;
        let rscale = (MIN_SIG_DIGITS - sweight)
            .max(x.s)
            .clamp(0, MAX_DISPLAY_SCALE);
        self.sqrt_at(rscale as u32)
    }

    /// The square root of a finite value >= 0, correctly rounded to `rscale` digits.
    pub fn sqrt_at(&self, rscale: u32) -> PgResult<Numeric> {
        if self.sign_i() < 0 {
            return Err(power_error("cannot take square root of a negative number"));
        }
        let Some(x) = self.dec() else {
            return Ok(self.clone());
        };
        let rscale = i64::from(rscale);
        // sqrt(m * 10^-s) at scale r+1 is isqrt(m * 10^(2(r+1) - s)), truncated
        let k = 2 * (rscale + 1) - x.s;
        let n = if k >= 0 {
            &x.m * pow10(k as u64)
        } else {
            &x.m / pow10((-k) as u64)
        };
        let root = n.sqrt();
        let m = big_div_round(&root, &BigInt::from(10));
        Numeric::from_dec(Dec::new(m, rscale))
    }

    /// `exp(numeric)`.
    pub fn exp(&self) -> PgResult<Numeric> {
        match self {
            Numeric::NaN | Numeric::PosInf => return Ok(self.clone()),
            Numeric::NegInf => return Ok(Numeric::ZERO),
            _ => {}
        }
        let x = self.dec().ok_or_else(overflow)?;
        let val = (x.to_f64() * std::f64::consts::LOG10_E)
            .clamp(-MAX_RESULT_SCALE as f64, MAX_RESULT_SCALE as f64);
        let rscale = (MIN_SIG_DIGITS - val as i64)
            .max(x.s)
            .clamp(0, MAX_DISPLAY_SCALE);
        Numeric::from_dec(transcendental::exp(&x, rscale)?)
    }

    /// `ln(numeric)`.
    pub fn ln(&self) -> PgResult<Numeric> {
        match self {
            Numeric::NaN | Numeric::PosInf => return Ok(self.clone()),
            Numeric::NegInf => return Err(log_error("cannot take logarithm of a negative number")),
            _ => {}
        }
        let x = self.dec().ok_or_else(overflow)?;
        let rscale = (MIN_SIG_DIGITS - estimate_ln_dweight(&x))
            .max(x.s)
            .clamp(0, MAX_DISPLAY_SCALE);
        Numeric::from_dec(transcendental::ln(&x, rscale)?)
    }

    /// `log(base, x)`; `log(x)` and `log10(x)` are `log(10, x)`.
    pub fn log(base: &Numeric, x: &Numeric) -> PgResult<Numeric> {
        if !base.is_finite() || !x.is_finite() {
            if base.is_nan() || x.is_nan() {
                return Ok(Numeric::NaN);
            }
            let (s1, s2) = (base.sign_i(), x.sign_i());
            if s1 < 0 || s2 < 0 {
                return Err(log_error("cannot take logarithm of a negative number"));
            }
            if s1 == 0 || s2 == 0 {
                return Err(log_error("cannot take logarithm of zero"));
            }
            if matches!(base, Numeric::PosInf) {
                return Ok(if matches!(x, Numeric::PosInf) {
                    Numeric::NaN
                } else {
                    Numeric::ZERO
                });
            }
            return Ok(Numeric::PosInf);
        }
        let (b, n) = (
            base.dec().ok_or_else(overflow)?,
            x.dec().ok_or_else(overflow)?,
        );
        let base_dw = estimate_ln_dweight(&b);
        let num_dw = estimate_ln_dweight(&n);
        let result_dw = num_dw - base_dw;
        let rscale = (MIN_SIG_DIGITS - result_dw)
            .max(b.s)
            .max(n.s)
            .clamp(0, MAX_DISPLAY_SCALE);
        let base_rscale = (rscale + result_dw - base_dw + 8).max(0);
        let num_rscale = (rscale + result_dw - num_dw + 8).max(0);
        let work = base_rscale.max(num_rscale) + 8;
        let lb = transcendental::ln(&b, work)?;
        let ln = transcendental::ln(&n, work)?;
        if lb.m.is_zero() {
            return Err(division_by_zero());
        }
        Numeric::from_dec(div_dec(&ln, &lb, rscale, false))
    }

    /// `numeric ^ numeric` (`power`), with PostgreSQL's special cases and result scales.
    pub fn power(&self, exp: &Numeric) -> PgResult<Numeric> {
        let zero_neg = || power_error("zero raised to a negative power is undefined");
        let complex = || {
            power_error("a negative number raised to a non-integer power yields a complex result")
        };
        if !self.is_finite() || !exp.is_finite() {
            if self.is_nan() {
                return Ok(if exp.is_finite() && exp.sign_i() == 0 {
                    Numeric::new(1, 0)
                } else {
                    Numeric::NaN
                });
            }
            if exp.is_nan() {
                let one = Numeric::new(1, 0);
                return Ok(
                    if self.is_finite() && self.total_cmp(&one) == Ordering::Equal {
                        one
                    } else {
                        Numeric::NaN
                    },
                );
            }
            let (s1, s2) = (self.sign_i(), exp.sign_i());
            if s1 == 0 && s2 < 0 {
                return Err(zero_neg());
            }
            if s1 < 0 && exp.is_finite() && !exp.is_integral() {
                return Err(complex());
            }
            if !self.is_finite() {
                if s2 == 0 {
                    return Ok(Numeric::new(1, 0));
                }
                if s2 < 0 {
                    return Ok(Numeric::ZERO);
                }
                if matches!(self, Numeric::NegInf) && exp.is_finite() {
                    // -Inf ^ odd integer keeps the sign
                    let two = Numeric::new(2, 0);
                    if exp.modulo(&two)?.sign_i() != 0 {
                        return Ok(Numeric::NegInf);
                    }
                }
                return Ok(Numeric::PosInf);
            }
            // finite base, infinite exponent
            let abs_cmp = self.abs().total_cmp(&Numeric::new(1, 0));
            if matches!(exp, Numeric::PosInf) {
                if s1 == 0 {
                    return Ok(Numeric::ZERO);
                }
                return Ok(match abs_cmp {
                    Ordering::Equal => Numeric::new(1, 0),
                    Ordering::Greater => Numeric::PosInf,
                    Ordering::Less => Numeric::ZERO,
                });
            }
            return Ok(match abs_cmp {
                Ordering::Equal => Numeric::new(1, 0),
                Ordering::Greater => Numeric::ZERO,
                Ordering::Less => Numeric::PosInf,
            });
        }
        let (s1, s2) = (self.sign_i(), exp.sign_i());
        if s1 == 0 && s2 < 0 {
            return Err(zero_neg());
        }
        if s1 < 0 && !exp.is_integral() {
            return Err(complex());
        }
        let base = self.dec().ok_or_else(overflow)?;
        let e = exp.dec().ok_or_else(overflow)?;
        Numeric::from_dec(transcendental::power(&base, &e)?)
    }

    /// `factorial(n)`: exact; 22003 below 0 and above 32177, as PostgreSQL.
    pub fn factorial(n: i64) -> PgResult<Numeric> {
        if n < 0 {
            return Err(PgError::new(
                SqlState::NumericValueOutOfRange,
                "factorial of a negative number is undefined",
            ));
        }
        if n > 32177 {
            return Err(overflow());
        }
        // product tree: balanced multiplications stay fast for large n
        fn product(lo: u64, hi: u64) -> BigInt {
            if hi - lo < 16 {
                let mut p = BigInt::one();
                for i in lo..=hi {
                    p *= i;
                }
                return p;
            }
            let mid = (lo + hi) / 2;
            product(lo, mid) * product(mid + 1, hi)
        }
        if n < 2 {
            return Ok(Numeric::new(1, 0));
        }
        Numeric::from_big(product(2, n as u64), 0)
    }

    /// `gcd` / `lcm` of finite values at the larger of their scales; NaN when either is
    /// NaN or infinite (PostgreSQL 15).
    pub fn gcd_lcm(&self, o: &Numeric, lcm: bool) -> PgResult<Numeric> {
        let (Some(a), Some(b)) = (self.dec(), o.dec()) else {
            return Ok(Numeric::NaN);
        };
        let (x, y, s) = align(&a, &b);
        let g = x.gcd(&y);
        let m = if !lcm {
            g
        } else if g.is_zero() || x.is_zero() || y.is_zero() {
            BigInt::zero()
        } else {
            (x.abs() / &g) * y.abs()
        };
        Numeric::from_dec(Dec::new(m, s))
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Numeric::NaN => f64::NAN,
            Numeric::PosInf => f64::INFINITY,
            Numeric::NegInf => f64::NEG_INFINITY,
            _ => self.to_text().parse().unwrap_or(f64::NAN),
        }
    }

    /// Converts a float as `float8::numeric` does: the value printed with 15
    /// significant digits (DBL_DIG), then parsed.
    pub fn from_f64(v: f64, sig_digits: usize) -> PgResult<Numeric> {
        if v.is_nan() {
            return Ok(Numeric::NaN);
        }
        if v.is_infinite() {
            return Ok(if v > 0.0 {
                Numeric::PosInf
            } else {
                Numeric::NegInf
            });
        }
        let s = format!("{:.*e}", sig_digits.saturating_sub(1), v);
        match Numeric::parse(&s) {
            Some(r) => r.map(|n| n.strip_to_min_scale()),
            None => Err(PgError::internal(format!("cannot convert {v} to numeric"))),
        }
    }

    /// Removes trailing fractional zeros.
    pub fn strip_to_min_scale(&self) -> Numeric {
        match self {
            Numeric::Finite { mantissa, scale } => {
                let (mut m, mut s) = (*mantissa, *scale);
                while s > 0 && m % 10 == 0 {
                    m /= 10;
                    s -= 1;
                }
                Numeric::new(m, s)
            }
            Numeric::Big(b) => {
                let (mut m, mut s) = (b.mantissa.clone(), b.scale);
                let ten = BigInt::from(10);
                while s > 0 {
                    let (q, r) = m.div_rem(&ten);
                    if !r.is_zero() {
                        break;
                    }
                    m = q;
                    s -= 1;
                }
                Numeric::from_big(m, s).unwrap_or_else(|_| self.clone())
            }
            other => other.clone(),
        }
    }

    /// The value rounded to an integer, if it fits in an i64 (None: out of range or NaN).
    pub fn to_i64_rounded(&self) -> Option<i64> {
        self.to_i128_rounded().and_then(|v| i64::try_from(v).ok())
    }

    /// The value rounded to an integer, if it fits in an i128.
    pub fn to_i128_rounded(&self) -> Option<i128> {
        match self.round_to_scale(0, false).ok()? {
            Numeric::Finite { mantissa, .. } => Some(mantissa),
            _ => None,
        }
    }

    /// Applies a `numeric(precision, scale)` type modifier (PostgreSQL 15: the scale may
    /// be negative or larger than the precision).
    pub fn apply_typmod(&self, typmod: i32) -> PgResult<Numeric> {
        if typmod < 4 {
            return Ok(self.clone());
        }
        let t = typmod - 4;
        let precision = (t >> 16) & 0xffff;
        let scale = ((t & 0x7ff) ^ 1024) - 1024;
        let field_overflow =
            || PgError::new(SqlState::NumericValueOutOfRange, "numeric field overflow");
        match self {
            Numeric::NaN => Ok(Numeric::NaN),
            Numeric::PosInf | Numeric::NegInf => Err(field_overflow().with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ))),
            _ => {
                let r = self.round_to_scale(i64::from(scale), false)?;
                let d = r.dec().ok_or_else(overflow)?;
                let maxdigits = i64::from(precision - scale);
                if !d.m.is_zero() && d.exponent() + 1 > maxdigits {
                    let bound = if maxdigits != 0 {
                        format!("10^{maxdigits}")
                    } else {
                        "1".to_string()
                    };
                    return Err(field_overflow().with_detail(format!(
                        "A field with precision {precision}, scale {scale} must round to an absolute value less than {bound}."
                    )));
                }
                Ok(r)
            }
        }
    }

    /// Total order of PostgreSQL's numeric btree: -Inf < finite < +Inf < NaN.
    pub fn total_cmp(&self, o: &Numeric) -> Ordering {
        fn rank(n: &Numeric) -> i32 {
            match n {
                Numeric::NegInf => 0,
                Numeric::Finite { .. } | Numeric::Big(_) => 1,
                Numeric::PosInf => 2,
                Numeric::NaN => 3,
            }
        }
        match (self, o) {
            (
                Numeric::Finite {
                    mantissa: a,
                    scale: sa,
                },
                Numeric::Finite {
                    mantissa: b,
                    scale: sb,
                },
            ) if *sa <= 38 && *sb <= 38 => {
                if sa == sb {
                    return a.cmp(b);
                }
                // compare integer parts, then the aligned fractions (both fit in 10^38)
                let pa = 10i128.pow(*sa);
                let pb = 10i128.pow(*sb);
                let (ia, fa) = (a / pa, a % pa);
                let (ib, fb) = (b / pb, b % pb);
                ia.cmp(&ib).then_with(|| {
                    let s = sa.max(sb);
                    let fa = fa * 10i128.pow(s - sa);
                    let fb = fb * 10i128.pow(s - sb);
                    fa.cmp(&fb)
                })
            }
            (x, y) if rank(x) == 1 && rank(y) == 1 => match (x.dec(), y.dec()) {
                (Some(a), Some(b)) => cmp_dec(&a, &b),
                _ => Ordering::Equal,
            },
            (x, y) => rank(x).cmp(&rank(y)),
        }
    }

    /// Hashes so that values comparing equal (`1.0` and `1.00`) hash alike.
    pub fn hash_value<H: Hasher>(&self, h: &mut H) {
        match self.strip_to_min_scale() {
            Numeric::Finite { mantissa, scale } => {
                let s = if mantissa == 0 { 0 } else { scale };
                (0u8, mantissa, s).hash(h);
            }
            Numeric::Big(b) => (0u8, b.mantissa.to_string(), b.scale).hash(h),
            Numeric::NaN => 1u8.hash(h),
            Numeric::PosInf => 2u8.hash(h),
            Numeric::NegInf => 3u8.hash(h),
        }
    }

    /// PostgreSQL's binary format: ndigits, weight, sign, dscale (all 16-bit), then
    /// base-10000 digits.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let (sign, digits, weight, dscale): (u16, Vec<i16>, i16, u16) = match self {
            Numeric::NaN => (0xC000, vec![], 0, 0),
            Numeric::PosInf => (0xD000, vec![], 0, 0),
            Numeric::NegInf => (0xF000, vec![], 0, 0),
            _ => {
                let (neg, s, scale) = match self {
                    Numeric::Finite { mantissa, scale } => {
                        (*mantissa < 0, mantissa.unsigned_abs().to_string(), *scale)
                    }
                    Numeric::Big(b) => (
                        b.mantissa.is_negative(),
                        b.mantissa.magnitude().to_string(),
                        b.scale,
                    ),
                    _ => (false, String::new(), 0),
                };
                let sign = if neg { 0x4000 } else { 0 };
                let scale_us = scale as usize;
                let (int_part, frac_part) = if s.len() > scale_us {
                    (
                        s[..s.len() - scale_us].to_string(),
                        s[s.len() - scale_us..].to_string(),
                    )
                } else {
                    (
                        "0".to_string(),
                        format!("{}{}", "0".repeat(scale_us - s.len()), s),
                    )
                };
                let int_part = int_part.trim_start_matches('0').to_string();
                let pad_int = (4 - int_part.len() % 4) % 4;
                let int_padded = format!("{}{}", "0".repeat(pad_int), int_part);
                let pad_frac = (4 - frac_part.len() % 4) % 4;
                let frac_padded = format!("{}{}", frac_part, "0".repeat(pad_frac));
                let mut groups: Vec<i16> = Vec::new();
                let all = format!("{int_padded}{frac_padded}");
                for c in all.as_bytes().chunks(4) {
                    let v = c.iter().fold(0i16, |a, d| a * 10 + (d - b'0') as i16);
                    groups.push(v);
                }
                let mut weight = (int_padded.len() / 4) as i64 - 1;
                // strip leading zero groups
                let lead = groups.iter().take_while(|&&g| g == 0).count();
                groups.drain(..lead);
                weight -= lead as i64;
                while groups.last() == Some(&0) {
                    groups.pop();
                }
                if groups.is_empty() {
                    weight = 0;
                }
                (sign, groups, weight as i16, scale as u16)
            }
        };
        out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    pub fn from_binary(b: &[u8]) -> PgResult<Numeric> {
        let bad = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid length in external \"numeric\" value",
            )
        };
        if b.len() < 8 {
            return Err(bad());
        }
        let rd = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
        let ndigits = rd(0);
        let weight = rd(2) as i64;
        let sign = rd(4) as u16;
        let dscale = rd(6) as u16 as u32;
        if ndigits < 0 || b.len() != 8 + 2 * ndigits as usize {
            return Err(bad());
        }
        match sign {
            0xC000 => return Ok(Numeric::NaN),
            0xD000 => return Ok(Numeric::PosInf),
            0xF000 => return Ok(Numeric::NegInf),
            0 | 0x4000 => {}
            _ => {
                return Err(PgError::new(
                    SqlState::InvalidBinaryRepresentation,
                    "invalid sign in external \"numeric\" value",
                ));
            }
        }
        if dscale > MAX_SCALE {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid scale in external \"numeric\" value",
            ));
        }
        let bad_digit = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid digit in external \"numeric\" value",
            )
        };
        if ndigits == 0 {
            return Ok(Numeric::new(0, dscale));
        }
        // value = sum d_i * 10000^(weight - i); the mantissa at dscale is that times
        // 10^shift (truncated when shift < 0: PostgreSQL drops digits past dscale)
        let shift = i64::from(dscale) + 4 * (weight - i64::from(ndigits) + 1);
        if ndigits <= 9 {
            // fast path: the digits fit an i128 (10000^9 = 10^36)
            let mut m: i128 = 0;
            for i in 0..ndigits as usize {
                let d = rd(8 + 2 * i);
                if !(0..10000).contains(&d) {
                    return Err(bad_digit());
                }
                m = m * 10000 + i128::from(d);
            }
            let scaled = if shift >= 0 {
                u32::try_from(shift)
                    .ok()
                    .and_then(pow10_i128)
                    .and_then(|p| m.checked_mul(p))
            } else if shift < -38 {
                Some(0)
            } else {
                Some(m / 10i128.pow((-shift) as u32))
            };
            if let Some(m) = scaled {
                return Ok(Numeric::new(if sign == 0x4000 { -m } else { m }, dscale));
            }
        }
        let mut m = BigInt::zero();
        for i in 0..ndigits as usize {
            let d = rd(8 + 2 * i);
            if !(0..10000).contains(&d) {
                return Err(bad_digit());
            }
            m = m * 10000u32 + d as u32;
        }
        // m * 10^(4 * (weight - ndigits + 1)); digits past dscale are truncated away
        let v = Dec::new(m, -4 * (weight - i64::from(ndigits) + 1));
        let mut d = v.round(i64::from(dscale), true);
        if sign == 0x4000 {
            d.m = -d.m;
        }
        Numeric::from_dec(d)
    }
}

/// exp, ln and power over the wide form: fixed-point `BigInt`s holding `value * 10^p`,
/// with guard digits, rounded once to the result scale the caller chose.
mod transcendental {
    use super::*;

    /// `x` as a fixed-point integer at `p` digits (truncated).
    fn to_fixed(x: &Dec, p: i64) -> BigInt {
        if p >= x.s {
            &x.m * pow10((p - x.s) as u64)
        } else {
            &x.m / pow10((x.s - p) as u64)
        }
    }

    /// exp(r) for a small fixed-point r (|r| < 0.01), by its Taylor series.
    fn exp_series(r: &BigInt, one: &BigInt) -> BigInt {
        let mut sum = one.clone();
        let mut term = one.clone();
        let mut k = 1u32;
        loop {
            term = &term * r / one / k;
            if term.is_zero() {
                break;
            }
            sum += &term;
            k += 1;
        }
        sum
    }

    /// e^x rounded to `rscale` digits; 22003 when it cannot be stored.
    pub(super) fn exp(x: &Dec, rscale: i64) -> PgResult<Dec> {
        let xf = x.to_f64();
        if xf.abs() >= (MAX_RESULT_SCALE * 3) as f64 {
            if xf > 0.0 {
                return Err(overflow());
            }
            return Ok(Dec::new(BigInt::zero(), rscale));
        }
        let dweight = xf * std::f64::consts::LOG10_E; // decimal weight of the result
        if dweight < -(rscale as f64) - 2.0 {
            return Ok(Dec::new(BigInt::zero(), rscale));
        }
        let ax = Dec::new(x.m.abs(), x.s);
        let axf = xf.abs();
        // halvings to bring |x| under 0.01
        let n = if axf > 0.01 {
            (axf / 0.01).log2().ceil() as i64
        } else {
            0
        };
        let int_digits = if xf > 0.0 {
            dweight.ceil() as i64 + 1
        } else {
            0
        };
        let wp = rscale + int_digits + n / 3 + 16;
        let one = pow10(wp as u64);
        let r = to_fixed(&ax, wp) >> n as usize;
        let mut e = exp_series(&r, &one);
        for _ in 0..n {
            e = &e * &e / &one;
        }
        // e = exp(|x|) at wp digits
        let m = if x.m.is_negative() {
            big_div_round(&pow10((wp + rscale) as u64), &e)
        } else {
            big_div_round(&e, &pow10((wp - rscale) as u64))
        };
        Ok(Dec::new(m, rscale))
    }

    /// ln(y) for a fixed-point y in [1, 10), at `wp` digits.
    fn ln_fixed(y: &BigInt, wp: i64) -> BigInt {
        let one = pow10(wp as u64);
        let near = &one + &one / 100u32;
        let mut y = y.clone();
        let mut k = 0u32;
        while y > near {
            y = (&y * &one).sqrt();
            k += 1;
        }
        // ln(y) = 2 atanh(u), u = (y - 1) / (y + 1)
        let u = (&y - &one) * &one / (&y + &one);
        let u2 = &u * &u / &one;
        let mut sum = u.clone();
        let mut t = u;
        let mut j = 3u32;
        loop {
            t = &t * &u2 / &one;
            let term = &t / j;
            if term.is_zero() {
                break;
            }
            sum += term;
            j += 2;
        }
        sum << (k + 1) as usize
    }

    /// ln(x) rounded to `rscale` digits; 2201E for zero and negative x.
    pub(super) fn ln(x: &Dec, rscale: i64) -> PgResult<Dec> {
        match x.m.sign() {
            Sign::NoSign => return Err(log_error("cannot take logarithm of zero")),
            Sign::Minus => return Err(log_error("cannot take logarithm of a negative number")),
            Sign::Plus => {}
        }
        // x = y * 10^e10 with y in [1, 10)
        let total = ndigits(&x.m);
        let e10 = total - 1 - x.s;
        let guard = 12 + (e10.unsigned_abs().max(1).ilog10() as i64 + 1);
        let wp = rscale.max(0) + guard;
        let y = to_fixed(&Dec::new(x.m.clone(), total - 1), wp);
        let mut l = ln_fixed(&y, wp);
        if e10 != 0 {
            let ln10 = ln_fixed(&(pow10(wp as u64) * 10u32), wp);
            l += ln10 * e10;
        }
        let m = big_div_round(&l, &pow10((wp - rscale) as u64));
        Ok(Dec::new(m, rscale))
    }

    fn round_sig(x: Dec, keep: i64) -> Dec {
        let nd = ndigits(&x.m);
        if nd > keep {
            x.round(x.s - (nd - keep), false)
        } else {
            x
        }
    }

    /// base ^ exp for an exponent that fits an i32 (PostgreSQL's `power_var_int`).
    fn power_int(base: &Dec, exp: i64, rscale: i64) -> PgResult<Dec> {
        match exp {
            0 => return Ok(Dec::new(pow10(rscale as u64), rscale)),
            1 => return Ok(base.round(rscale, false)),
            -1 => {
                if base.m.is_zero() {
                    return Err(division_by_zero());
                }
                return Ok(div_dec(&Dec::new(BigInt::one(), 0), base, rscale, false));
            }
            2 => return Ok(Dec::new(&base.m * &base.m, base.s * 2).round(rscale, false)),
            _ => {}
        }
        if base.m.is_zero() {
            if exp < 0 {
                return Err(division_by_zero());
            }
            return Ok(Dec::new(BigInt::zero(), rscale));
        }
        let f = exp as f64 * base.log10_abs();
        if f > (3 * 32767 * 4) as f64 {
            return Err(overflow());
        }
        if f + 1.0 < -(rscale as f64) || f + 1.0 < -(MAX_DISPLAY_SCALE as f64) {
            return Ok(Dec::new(BigInt::zero(), rscale));
        }
        let sig = 1 + rscale + f as i64 + (exp.unsigned_abs() as f64).ln() as i64 + 8;
        let keep = sig.max(1) + 8;
        let mut mask = exp.unsigned_abs();
        let mut prod = base.clone();
        let mut result = Dec::new(BigInt::one(), 0);
        while mask > 0 {
            if mask & 1 == 1 {
                result = round_sig(Dec::new(&result.m * &prod.m, result.s + prod.s), keep);
            }
            mask >>= 1;
            if mask > 0 {
                prod = round_sig(Dec::new(&prod.m * &prod.m, prod.s * 2), keep);
                if prod.exponent() > 4 * 32767 + 4 {
                    if exp > 0 {
                        return Err(overflow());
                    }
                    return Ok(Dec::new(BigInt::zero(), rscale));
                }
            }
        }
        if exp < 0 {
            Ok(div_dec(&Dec::new(BigInt::one(), 0), &result, rscale, false))
        } else {
            if result.exponent() >= MAX_INT_DIGITS {
                return Err(overflow());
            }
            Ok(result.round(rscale, false))
        }
    }

    /// PostgreSQL's `power_var` for finite arguments (the error cases already checked).
    pub(super) fn power(base: &Dec, exp: &Dec) -> PgResult<Dec> {
        let exp_integral = (&exp.m % pow10(exp.s.max(0) as u64)).is_zero();
        if exp_integral {
            let e = exp.round(0, true).m;
            if let Some(e) = e.to_i32() {
                let rscale = MIN_SIG_DIGITS.max(base.s).clamp(0, MAX_DISPLAY_SCALE);
                return power_int(base, i64::from(e), rscale);
            }
        }
        if base.m.is_zero() {
            return Ok(Dec::new(BigInt::zero(), MIN_SIG_DIGITS));
        }
        let negative_result = base.m.is_negative() && exp_integral && {
            let e = exp.round(0, true).m;
            e.is_odd()
        };
        let abs_base = Dec::new(base.m.abs(), base.s);
        let ln_dweight = estimate_ln_dweight(&abs_base);
        let local_rscale = (8 - ln_dweight).max(0);
        let ln_base = ln(&abs_base, local_rscale)?;
        let ln_num = Dec::new(&ln_base.m * &exp.m, ln_base.s + exp.s).round(local_rscale, false);
        let val = ln_num.to_f64();
        if val.abs() > MAX_RESULT_SCALE as f64 * 3.01 {
            if val > 0.0 {
                return Err(overflow());
            }
            return Ok(Dec::new(BigInt::zero(), MAX_DISPLAY_SCALE));
        }
        let val = val * std::f64::consts::LOG10_E;
        let rscale = (MIN_SIG_DIGITS - val as i64)
            .max(base.s)
            .max(exp.s)
            .clamp(0, MAX_DISPLAY_SCALE);
        let sig_digits = (rscale + val as i64).max(0);
        let exp_digits = if exp.m.is_zero() {
            0
        } else {
            exp.exponent().max(0) + 1
        };
        let wp = (sig_digits - ln_dweight + 8).max(0) + exp_digits + 8;
        let ln_base = ln(&abs_base, wp)?;
        let ln_num = Dec::new(&ln_base.m * &exp.m, ln_base.s + exp.s);
        let mut r = super::transcendental::exp(&ln_num, rscale)?;
        if negative_result {
            r.m = -r.m;
        }
        Ok(r)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).expect("syntax").expect("range")
    }

    fn t(r: PgResult<Numeric>) -> String {
        r.unwrap().to_text()
    }

    #[test]
    fn parse_and_print_keep_scale() {
        assert_eq!(n("1.50").to_text(), "1.50");
        assert_eq!(n("-.5").to_text(), "-0.5");
        assert_eq!(n("1e10").to_text(), "10000000000");
        assert_eq!(n("1.5e-3").to_text(), "0.0015");
        assert_eq!(n("NaN").to_text(), "NaN");
        assert!(Numeric::parse("abc").is_none());
        let big = format!("1{}", "0".repeat(100));
        assert_eq!(n("1e100").to_text(), big);
        assert!(matches!(n("1e100"), Numeric::Big(_)));
        assert_eq!(
            n("0.000000000000000000000000000000000000000001").scale(),
            42
        );
    }

    #[test]
    fn parse_limits() {
        assert_eq!(
            Numeric::parse("1e131072").unwrap().unwrap_err().message,
            "value overflows numeric format"
        );
        assert!(Numeric::parse("1e131071").unwrap().is_ok());
        assert!(Numeric::parse("1e-16383").unwrap().is_ok());
        assert!(Numeric::parse("1e-16384").unwrap().is_err());
        assert!(Numeric::parse("1e1000000000").unwrap().is_err());
    }

    #[test]
    fn carry_and_borrow_across_the_i128_boundary() {
        let max = n(&i128::MAX.to_string());
        let one = n("1");
        let sum = max.add(&one).unwrap();
        assert!(matches!(sum, Numeric::Big(_)));
        assert_eq!(sum.to_text(), "170141183460469231731687303715884105728");
        // and back: the difference fits again and takes the small form
        let back = sum.sub(&one).unwrap();
        assert_eq!(back, max);
        assert!(matches!(back, Numeric::Finite { .. }));
        assert_eq!(
            t(n("99999999999999999999999999999999999999.99").add(&n("0.01"))),
            "100000000000000000000000000000000000000.00"
        );
        assert_eq!(
            t(n("100000000000000000000000000000000000000000").sub(&n("0.000001"))),
            "99999999999999999999999999999999999999999.999999"
        );
        assert_eq!(n("1e50").sub(&n("1e50")).unwrap(), Numeric::new(0, 0));
    }

    #[test]
    fn multiplication_is_exact() {
        assert_eq!(
            t(n("12345678901234567890.123").mul(&n("98765432109876543210.45"))),
            "1219326311370217952255167504766333897265.38535"
        );
        assert_eq!(t(n("-1.5").mul(&n("2"))), "-3.0");
    }

    #[test]
    fn division_scale_matches_postgres() {
        assert_eq!(t(n("1").div(&n("3.0"))), "0.33333333333333333333");
        assert_eq!(t(n("10").div(&n("4.0"))), "2.5000000000000000");
        assert_eq!(t(n("2").div(&n("3"))), "0.66666666666666666667");
        assert_eq!(t(n("100000").div(&n("3.0"))), "33333.333333333333");
        assert_eq!(t(n("0.001").div(&n("7"))), "0.00014285714285714286");
        // quotient wider than an i128
        assert_eq!(t(n("1e60").div(&n("3"))), "3".repeat(60));
        assert!(n("1").div(&n("0")).is_err());
        // rounding half away from zero, a divisor wider than an i128, exact quotients
        assert_eq!(t(n("-1").div(&n("6"))), "-0.16666666666666666667");
        assert_eq!(
            t(n("1").div(&n("1e40"))),
            "0.000000000000000000000000000000000000000100000000000000000000"
        );
        assert_eq!(
            t(n("1e40").div(&n("-7"))),
            "-1428571428571428571428571428571428571429"
        );
        assert_eq!(
            t(n("9999999999999999999999999999999999999999").div(&n("99999999999999999999"))),
            "100000000000000000001"
        );
        assert_eq!(t(n("-7").div_trunc(&n("2"))), "-3");
        assert_eq!(t(n("-7.5").modulo(&n("2"))), "-1.5");
        assert_eq!(t(n("1e40").modulo(&n("7"))), "4");
    }

    #[test]
    fn rounding() {
        assert_eq!(n("2.5").round_to(0, false).unwrap().to_text(), "3");
        assert_eq!(n("-2.5").round_to(0, false).unwrap().to_text(), "-3");
        assert_eq!(n("1.2345").round_to(2, false).unwrap().to_text(), "1.23");
        assert_eq!(n("1.99").round_to(0, true).unwrap().to_text(), "1");
        assert_eq!(n("1234.5").round_to(-2, false).unwrap().to_text(), "1200");
        assert_eq!(n("1.5").round_to(5, false).unwrap().to_text(), "1.50000");
        assert_eq!(n("1e-60").round_to(60, false).unwrap().to_text().len(), 62);
    }

    #[test]
    fn functions() {
        assert_eq!(t(n("2").sqrt()), "1.414213562373095");
        assert_eq!(t(n("1").exp()), "2.7182818284590452");
        assert_eq!(t(n("2").ln()), "0.6931471805599453");
        assert_eq!(t(Numeric::log(&n("10"), &n("1000"))), "3.0000000000000000");
        assert_eq!(t(n("2").power(&n("0.5"))), "1.4142135623730950");
        assert_eq!(t(n("2").power(&n("10"))), "1024.0000000000000000");
        assert_eq!(t(n("2").power(&n("-2"))), "0.2500000000000000");
        assert_eq!(t(Numeric::factorial(25)), "15511210043330985984000000");
        assert!(n("-1").power(&n("0.5")).is_err());
        assert!(n("0").ln().is_err());
    }

    #[test]
    fn scientific_notation() {
        assert_eq!(n("1.2345").to_sci(3), "1.235e+00");
        assert_eq!(n("-0.000012").to_sci(3), "-1.200e-05");
        assert_eq!(n("9.9996").to_sci(3), "10.000e+00");
        assert_eq!(n("0").to_sci(2), "0.00e+00");
        assert_eq!(n("1.2345e100000").to_sci(3), "1.235e+100000");
        assert_eq!(n("5").to_sci(0), "5e+00");
    }

    #[test]
    fn typmod() {
        // numeric(5,2)
        let tm = (5 << 16 | 2) + 4;
        assert_eq!(t(n("123.456").apply_typmod(tm)), "123.46");
        assert!(n("1234.5").apply_typmod(tm).is_err());
        // numeric(3,-2): rounds to hundreds
        let tm = (3 << 16 | (-2i32 & 0x7ff)) + 4;
        assert_eq!(t(n("12345").apply_typmod(tm)), "12300");
    }

    #[test]
    fn binary_matches_postgres() {
        // COPY (SELECT 12345.678::numeric) TO STDOUT (FORMAT binary)
        assert_eq!(
            n("12345.678").to_binary(),
            vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        for s in [
            "0",
            "0.00",
            "-1.5",
            "10000",
            "0.0001",
            "123456789.123456789",
            "NaN",
            "-123456789012345678901234567890123456789012345.000000001",
            "1e-100",
        ] {
            let v = n(s);
            assert_eq!(
                Numeric::from_binary(&v.to_binary()).unwrap().to_text(),
                v.to_text(),
                "{s}"
            );
        }
    }

    #[test]
    fn binary_digits_past_dscale_are_truncated() {
        // 1.5678 sent with dscale 2 (ndigits 2, weight 0, digits 1 and 5678)
        let b = [0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x16, 0x2e];
        assert_eq!(Numeric::from_binary(&b).unwrap().to_text(), "1.56");
        let b = [0, 2, 0, 0, 0x40, 0, 0, 2, 0, 1, 0x16, 0x2e];
        assert_eq!(Numeric::from_binary(&b).unwrap().to_text(), "-1.56");
    }

    #[test]
    fn ordering_and_hashing_across_forms() {
        let a = n("1.000000000000000000000000000000000000000000000000");
        let b = n("1");
        assert_eq!(a.total_cmp(&b), Ordering::Equal);
        let h = |x: &Numeric| {
            let mut s = std::collections::hash_map::DefaultHasher::new();
            x.hash_value(&mut s);
            s.finish()
        };
        assert_eq!(h(&a), h(&b));
        assert_eq!(n("-1e50").total_cmp(&n("1e-50")), Ordering::Less);
        assert_eq!(n("1e50").total_cmp(&n("9e49")), Ordering::Greater);
    }
}
