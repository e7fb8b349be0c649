//! `numeric`: exact decimal arithmetic.
//!
//! A finite value is an `i128` mantissa and a decimal scale (digits after the point),
//! so `1.50` is `(150, 2)` and keeps its scale on output as PostgreSQL does. NaN and
//! +/-Infinity are separate variants (PostgreSQL 14+ has numeric infinities).
//!
//! Short of PostgreSQL: precision is limited to what fits an `i128` (about 38 decimal
//! digits in total) and the scale to [`MAX_SCALE`]; a result that does not fit raises
//! 22003 `value overflows numeric format` where PostgreSQL (up to 131072 digits before
//! the point and 16383 after) would still compute it.

use std::cmp::Ordering;

use crate::{PgError, PgResult, SqlState};

/// The largest scale we carry (10^38 still fits an i128).
pub const MAX_SCALE: u32 = 38;

/// An exact decimal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeric {
    NaN,
    PosInf,
    NegInf,
    /// `mantissa * 10^-scale`
    Finite {
        mantissa: i128,
        scale: u32,
    },
}

fn overflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value overflows numeric format",
    )
}

fn pow10(n: u32) -> PgResult<i128> {
    10i128.checked_pow(n).ok_or_else(overflow)
}

/// Divides rounding half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        if (n < 0) != (d < 0) { q - 1 } else { q + 1 }
    } else {
        q
    }
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

    /// The display scale (0 for the special values).
    pub fn scale(&self) -> u32 {
        match self {
            Numeric::Finite { scale, .. } => *scale,
            _ => 0,
        }
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
        let mut digits: Vec<u8> = Vec::new();
        let mut frac_digits: i64 = 0;
        let mut seen_point = false;
        let mut any = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    digits.push(c - b'0');
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
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let scale = (frac_digits - exp).max(0);
        Some((|| {
            // strip leading zeros so that long zero prefixes do not overflow
            let first = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
            let mut m: i128 = 0;
            for &d in &digits[first..] {
                m = m
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(d as i128))
                    .ok_or_else(overflow)?;
            }
            // value = m * 10^(exp - frac_digits); we want mantissa at `scale`
            let shift = exp - frac_digits + scale;
            if shift > 0 {
                m = m
                    .checked_mul(pow10(u32::try_from(shift).map_err(|_| overflow())?)?)
                    .ok_or_else(overflow)?;
            }
            if scale > MAX_SCALE as i64 {
                let drop = scale - MAX_SCALE as i64;
                if drop > 38 {
                    m = 0;
                } else {
                    m = div_round(m, pow10(drop as u32)?);
                }
                let n = Numeric::new(if neg { -m } else { m }, MAX_SCALE);
                return Ok(n);
            }
            Ok(Numeric::new(if neg { -m } else { m }, scale as u32))
        })())
    }

    /// Output text: the digits with exactly `scale` places after the point.
    pub fn to_text(&self) -> String {
        match *self {
            Numeric::NaN => "NaN".into(),
            Numeric::PosInf => "Infinity".into(),
            Numeric::NegInf => "-Infinity".into(),
            Numeric::Finite { mantissa, scale } => {
                let digits = mantissa.unsigned_abs().to_string();
                let mut out = String::new();
                if mantissa < 0 {
                    out.push('-');
                }
                let scale = scale as usize;
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
        }
    }

    /// Rescales to `scale` digits, rounding half away from zero.
    pub fn rescale(&self, scale: u32) -> PgResult<Numeric> {
        match *self {
            Numeric::Finite { mantissa, scale: s } => {
                let scale = scale.min(MAX_SCALE);
                if scale >= s {
                    let m = mantissa
                        .checked_mul(pow10(scale - s)?)
                        .ok_or_else(overflow)?;
                    Ok(Numeric::new(m, scale))
                } else {
                    let d = s - scale;
                    let m = if d > 38 {
                        0
                    } else {
                        div_round(mantissa, pow10(d)?)
                    };
                    Ok(Numeric::new(m, scale))
                }
            }
            other => Ok(other),
        }
    }

    /// Rounds to `digits` places (negative: to the left of the point); the result's
    /// scale is `max(digits, 0)`, as `round(numeric, int)`.
    pub fn round_to(&self, digits: i32, truncate: bool) -> PgResult<Numeric> {
        let Numeric::Finite { mantissa, scale } = *self else {
            return Ok(*self);
        };
        let digits = digits.clamp(-(MAX_SCALE as i32) - 1, MAX_SCALE as i32);
        let new_scale = digits.max(0) as u32;
        // number of digits to drop from the mantissa
        let drop = scale as i64 - digits as i64;
        if drop <= 0 {
            return self.rescale(new_scale);
        }
        if drop > 38 {
            return Ok(Numeric::new(0, new_scale));
        }
        let p = pow10(drop as u32)?;
        let m = if truncate {
            mantissa / p
        } else {
            div_round(mantissa, p)
        };
        // m is now at scale `digits`; bring it to new_scale
        if digits < 0 {
            let m = m
                .checked_mul(pow10((-digits) as u32)?)
                .ok_or_else(overflow)?;
            Ok(Numeric::new(m, 0))
        } else {
            Ok(Numeric::new(m, new_scale))
        }
    }

    pub fn ceil_floor(&self, ceil: bool) -> PgResult<Numeric> {
        let Numeric::Finite { mantissa, scale } = *self else {
            return Ok(*self);
        };
        let p = pow10(scale)?;
        let mut q = mantissa / p;
        let r = mantissa % p;
        if r != 0 && ceil && mantissa > 0 {
            q += 1;
        }
        if r != 0 && !ceil && mantissa < 0 {
            q -= 1;
        }
        Ok(Numeric::new(q, 0))
    }

    fn align(a: (i128, u32), b: (i128, u32)) -> PgResult<(i128, i128, u32)> {
        let s = a.1.max(b.1);
        let x = a.0.checked_mul(pow10(s - a.1)?).ok_or_else(overflow)?;
        let y = b.0.checked_mul(pow10(s - b.1)?).ok_or_else(overflow)?;
        Ok((x, y, s))
    }

    pub fn neg(&self) -> Numeric {
        match *self {
            Numeric::NaN => Numeric::NaN,
            Numeric::PosInf => Numeric::NegInf,
            Numeric::NegInf => Numeric::PosInf,
            Numeric::Finite { mantissa, scale } => Numeric::new(-mantissa, scale),
        }
    }

    pub fn abs(&self) -> Numeric {
        match *self {
            Numeric::NegInf => Numeric::PosInf,
            Numeric::Finite { mantissa, scale } => Numeric::new(mantissa.abs(), scale),
            other => other,
        }
    }

    /// -1, 0 or 1 (NaN for NaN).
    pub fn sign(&self) -> Numeric {
        match *self {
            Numeric::NaN => Numeric::NaN,
            Numeric::PosInf => Numeric::new(1, 0),
            Numeric::NegInf => Numeric::new(-1, 0),
            Numeric::Finite { mantissa, .. } => Numeric::new(mantissa.signum(), 0),
        }
    }

    pub fn add(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        Ok(match (*self, *o) {
            (NaN, _) | (_, NaN) => NaN,
            (PosInf, NegInf) | (NegInf, PosInf) => NaN,
            (PosInf, _) | (_, PosInf) => PosInf,
            (NegInf, _) | (_, NegInf) => NegInf,
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
                let (x, y, s) = Self::align((a, sa), (b, sb))?;
                Numeric::new(x.checked_add(y).ok_or_else(overflow)?, s)
            }
        })
    }

    pub fn sub(&self, o: &Numeric) -> PgResult<Numeric> {
        self.add(&o.neg())
    }

    pub fn mul(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        Ok(match (*self, *o) {
            (NaN, _) | (_, NaN) => NaN,
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
                let mut m = a.checked_mul(b);
                let mut s = sa + sb;
                // keep the exact product if it fits, otherwise drop digits beyond MAX_SCALE
                if s > MAX_SCALE || m.is_none() {
                    let (mut x, mut y, mut sx, mut sy) = (a, b, sa, sb);
                    while (sx + sy > MAX_SCALE || x.checked_mul(y).is_none()) && (sx > 0 || sy > 0)
                    {
                        if sx >= sy && sx > 0 {
                            x = div_round(x, 10);
                            sx -= 1;
                        } else {
                            y = div_round(y, 10);
                            sy -= 1;
                        }
                    }
                    m = x.checked_mul(y);
                    s = sx + sy;
                }
                Numeric::new(m.ok_or_else(overflow)?, s)
            }
            (x, y) => {
                let sx = x.sign_i();
                let sy = y.sign_i();
                if sx == 0 || sy == 0 {
                    NaN
                } else if sx * sy > 0 {
                    PosInf
                } else {
                    NegInf
                }
            }
        })
    }

    fn sign_i(&self) -> i32 {
        match *self {
            Numeric::NaN => 0,
            Numeric::PosInf => 1,
            Numeric::NegInf => -1,
            Numeric::Finite { mantissa, .. } => mantissa.signum() as i32,
        }
    }

    /// Number of decimal digits before the point minus one (the decimal exponent of the
    /// leading digit); for 0 it is 0.
    fn decimal_exponent(mantissa: i128, scale: u32) -> i64 {
        if mantissa == 0 {
            return 0;
        }
        let ndigits = mantissa.unsigned_abs().to_string().len() as i64;
        ndigits - 1 - scale as i64
    }

    /// The result scale of a division, as PostgreSQL chooses it: at least 16
    /// significant digits, at least the scale of either input, at most MAX_SCALE.
    fn div_scale(a: (i128, u32), b: (i128, u32)) -> u32 {
        // PostgreSQL works in base-10000 digit groups; reproduce its grouping.
        fn weight_first(m: i128, s: u32) -> (i64, i128) {
            if m == 0 {
                return (0, 0);
            }
            let e = Numeric::decimal_exponent(m, s);
            let w = e.div_euclid(4);
            // the first base-10000 digit: the value scaled so that it is in [1, 10000)
            let digits = m.unsigned_abs().to_string();
            let lead = (e - w * 4 + 1) as usize; // decimal digits in the first group
            let first: i128 = digits
                .chars()
                .take(lead)
                .collect::<String>()
                .parse()
                .unwrap_or(0);
            let first = first * 10i128.pow((lead.saturating_sub(digits.len().min(lead))) as u32);
            (w, first)
        }
        let (w1, f1) = weight_first(a.0, a.1);
        let (w2, f2) = weight_first(b.0, b.1);
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        let mut rscale = 16 - qweight * 4;
        rscale = rscale.max(a.1 as i64).max(b.1 as i64).max(0);
        rscale.min(MAX_SCALE as i64) as u32
    }

    fn div_at_scale(a: (i128, u32), b: (i128, u32), rscale: u32, truncate: bool) -> PgResult<i128> {
        // result mantissa = a.0 * 10^(rscale + b.1 - a.1) / b.0
        let k = rscale as i64 + b.1 as i64 - a.1 as i64;
        let (mut n, mut d) = (a.0, b.0);
        let mut extra = 0u32;
        if k < 0 {
            d = d.checked_mul(pow10((-k) as u32)?).ok_or_else(overflow)?;
        } else {
            extra = k as u32;
        }
        let neg = (n < 0) != (d < 0);
        n = n.abs();
        d = d.abs();
        let mut q = n / d;
        let mut r = n % d;
        // one more digit than needed for rounding
        let steps = if truncate { extra } else { extra + 1 };
        for _ in 0..steps {
            let r10 = r.checked_mul(10).ok_or_else(overflow)?;
            q = q
                .checked_mul(10)
                .ok_or_else(overflow)?
                .checked_add(r10 / d)
                .ok_or_else(overflow)?;
            r = r10 % d;
        }
        if !truncate {
            let last = q % 10;
            q /= 10;
            if last >= 5 {
                q += 1;
            }
        }
        Ok(if neg { -q } else { q })
    }

    pub fn div(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (*self, *o) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (_, Finite { mantissa: 0, .. }) => Err(division_by_zero()),
            (PosInf | NegInf, PosInf | NegInf) => Ok(NaN),
            (x @ (PosInf | NegInf), y) => Ok(if x.sign_i() * y.sign_i() > 0 {
                PosInf
            } else {
                NegInf
            }),
            (Finite { scale, .. }, PosInf | NegInf) => Ok(Numeric::new(0, scale)),
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
                let rscale = Self::div_scale((a, sa), (b, sb));
                Ok(Numeric::new(
                    Self::div_at_scale((a, sa), (b, sb), rscale, false)?,
                    rscale,
                ))
            }
        }
    }

    /// Integer quotient truncated toward zero (`div(numeric, numeric)`).
    pub fn div_trunc(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (*self, *o) {
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
                if b == 0 {
                    return Err(division_by_zero());
                }
                Ok(Numeric::new(
                    Self::div_at_scale((a, sa), (b, sb), 0, true)?,
                    0,
                ))
            }
            (NaN, _) | (_, NaN) => Ok(NaN),
            (x, y) => x.div(&y)?.ceil_floor(false),
        }
    }

    pub fn modulo(&self, o: &Numeric) -> PgResult<Numeric> {
        use Numeric::*;
        match (*self, *o) {
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
                if b == 0 {
                    return Err(division_by_zero());
                }
                let (x, y, s) = Self::align((a, sa), (b, sb))?;
                Ok(Numeric::new(x % y, s))
            }
            (NaN, _) | (_, NaN) => Ok(NaN),
            (PosInf | NegInf, _) => Ok(NaN),
            (x, _) => Ok(x),
        }
    }

    /// Exact square root (for finite non-negative values), with PostgreSQL's result scale.
    pub fn sqrt(&self) -> PgResult<Numeric> {
        match *self {
            Numeric::NaN | Numeric::PosInf => Ok(*self),
            Numeric::NegInf => Err(PgError::new(
                SqlState::InvalidArgumentForPowerFunction,
                "cannot take square root of a negative number",
            )),
            Numeric::Finite { mantissa, scale } => {
                if mantissa < 0 {
                    return Err(PgError::new(
                        SqlState::InvalidArgumentForPowerFunction,
                        "cannot take square root of a negative number",
                    ));
                }
                // result has about half the weight of the input; 16 significant digits
                let e = Self::decimal_exponent(mantissa, scale);
                let w = e.div_euclid(4); // base-10000 weight
                let sweight = (w + 1) * 4 / 2 - 1;
                let rscale = (16 - sweight).max(scale as i64).clamp(0, MAX_SCALE as i64) as u32;
                // sqrt(m * 10^-s) at scale r = isqrt(m * 10^(2r - s)) with rounding
                let k = 2 * (rscale as i64 + 1) - scale as i64;
                let n: i128 = if k >= 0 {
                    mantissa
                        .checked_mul(pow10(k as u32)?)
                        .ok_or_else(overflow)?
                } else {
                    mantissa / pow10((-k) as u32)?
                };
                let root = isqrt(n as u128) as i128; // at scale rscale + 1
                let m = div_round(root, 10);
                Ok(Numeric::new(m, rscale))
            }
        }
    }

    pub fn to_f64(&self) -> f64 {
        match *self {
            Numeric::NaN => f64::NAN,
            Numeric::PosInf => f64::INFINITY,
            Numeric::NegInf => f64::NEG_INFINITY,
            Numeric::Finite { .. } => self.to_text().parse().unwrap_or(f64::NAN),
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
        match *self {
            Numeric::Finite {
                mut mantissa,
                mut scale,
            } => {
                while scale > 0 && mantissa % 10 == 0 {
                    mantissa /= 10;
                    scale -= 1;
                }
                Numeric::new(mantissa, scale)
            }
            other => other,
        }
    }

    /// The value rounded to an integer, if it fits in an i64 (None: out of range or NaN).
    pub fn to_i64_rounded(&self) -> Option<i64> {
        match *self {
            Numeric::Finite { mantissa, scale } => {
                let p = 10i128.checked_pow(scale)?;
                i64::try_from(div_round(mantissa, p)).ok()
            }
            _ => None,
        }
    }

    /// Applies a `numeric(precision, scale)` type modifier.
    pub fn apply_typmod(&self, typmod: i32) -> PgResult<Numeric> {
        if typmod < 4 {
            return Ok(*self);
        }
        let t = typmod - 4;
        let precision = (t >> 16) & 0xffff;
        let scale = ((t & 0x7ff) ^ 1024) - 1024;
        match *self {
            Numeric::NaN => Ok(*self),
            Numeric::PosInf | Numeric::NegInf => Err(PgError::new(
                SqlState::NumericValueOutOfRange,
                "numeric field overflow",
            )
            .with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ))),
            Numeric::Finite { .. } => {
                let r = self.round_to(scale, false)?;
                let Numeric::Finite { mantissa, scale: s } = r else {
                    return Ok(r);
                };
                let int_digits = if mantissa == 0 {
                    0
                } else {
                    (Self::decimal_exponent(mantissa, s) + 1).max(0)
                };
                if int_digits > (precision - scale) as i64 {
                    let msg = if scale > 0 || precision - scale > 0 {
                        format!(
                            "A field with precision {precision}, scale {scale} must round to an absolute value less than 10^{}.",
                            precision - scale
                        )
                    } else {
                        format!(
                            "A field with precision {precision}, scale {scale} must round to an absolute value less than 1."
                        )
                    };
                    return Err(PgError::new(
                        SqlState::NumericValueOutOfRange,
                        "numeric field overflow",
                    )
                    .with_detail(msg));
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
                Numeric::Finite { .. } => 1,
                Numeric::PosInf => 2,
                Numeric::NaN => 3,
            }
        }
        match (*self, *o) {
            (
                Numeric::Finite {
                    mantissa: a,
                    scale: sa,
                },
                Numeric::Finite {
                    mantissa: b,
                    scale: sb,
                },
            ) => {
                // compare integer parts, then the aligned fractions (both fit in 10^38)
                let pa = 10i128.pow(sa);
                let pb = 10i128.pow(sb);
                let (ia, fa) = (a / pa, a % pa);
                let (ib, fb) = (b / pb, b % pb);
                ia.cmp(&ib).then_with(|| {
                    let s = sa.max(sb);
                    let fa = fa * 10i128.pow(s - sa);
                    let fb = fb * 10i128.pow(s - sb);
                    fa.cmp(&fb)
                })
            }
            (x, y) => rank(&x).cmp(&rank(&y)),
        }
    }

    /// PostgreSQL's binary format: ndigits, weight, sign, dscale (all 16-bit), then
    /// base-10000 digits.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let (sign, digits, weight, dscale): (u16, Vec<i16>, i16, u16) = match *self {
            Numeric::NaN => (0xC000, vec![], 0, 0),
            Numeric::PosInf => (0xD000, vec![], 0, 0),
            Numeric::NegInf => (0xF000, vec![], 0, 0),
            Numeric::Finite { mantissa, scale } => {
                let sign = if mantissa < 0 { 0x4000 } else { 0 };
                let s = mantissa.unsigned_abs().to_string();
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
                let mut weight = (int_padded.len() / 4) as i16 - 1;
                // strip leading zero groups
                let lead = groups.iter().take_while(|&&g| g == 0).count();
                groups.drain(..lead);
                weight -= lead as i16;
                while groups.last() == Some(&0) {
                    groups.pop();
                }
                if groups.is_empty() {
                    weight = 0;
                }
                (sign, groups, weight, scale as u16)
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
            return Err(overflow());
        }
        // value = sum d_i * 10000^(weight - i); mantissa at dscale
        let mut m: i128 = 0;
        let mut exp10: i64 = 0; // m is value * 10^exp10
        for i in 0..ndigits as usize {
            let d = rd(8 + 2 * i);
            if !(0..10000).contains(&d) {
                return Err(PgError::new(
                    SqlState::InvalidBinaryRepresentation,
                    "invalid digit in external \"numeric\" value",
                ));
            }
            m = m
                .checked_mul(10000)
                .and_then(|m| m.checked_add(d as i128))
                .ok_or_else(overflow)?;
            exp10 = -4 * (weight - i as i64);
        }
        if ndigits == 0 {
            return Ok(Numeric::new(0, dscale));
        }
        // m * 10^-exp10 ; rescale to dscale
        let shift = dscale as i64 - exp10;
        let m = if shift >= 0 {
            m.checked_mul(pow10(shift as u32)?).ok_or_else(overflow)?
        } else if -shift > 38 {
            0
        } else {
            div_round(m, pow10((-shift) as u32)?)
        };
        Ok(Numeric::new(if sign == 0x4000 { -m } else { m }, dscale))
    }
}

fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u128;
    while x.checked_mul(x).is_none_or(|v| v > n) {
        x -= 1;
    }
    while (x + 1).checked_mul(x + 1).is_some_and(|v| v <= n) {
        x += 1;
    }
    x
}

pub(crate) fn division_by_zero() -> PgError {
    PgError::new(SqlState::DivisionByZero, "division by zero")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).expect("syntax").expect("range")
    }

    #[test]
    fn parse_and_print_keep_scale() {
        assert_eq!(n("1.50").to_text(), "1.50");
        assert_eq!(n("-.5").to_text(), "-0.5");
        assert_eq!(n("1e10").to_text(), "10000000000");
        assert_eq!(n("1.5e-3").to_text(), "0.0015");
        assert_eq!(n("NaN").to_text(), "NaN");
        assert!(Numeric::parse("abc").is_none());
    }

    #[test]
    fn division_scale_matches_postgres() {
        assert_eq!(
            n("1").div(&n("3.0")).unwrap().to_text(),
            "0.33333333333333333333"
        );
        assert_eq!(
            n("10").div(&n("4.0")).unwrap().to_text(),
            "2.5000000000000000"
        );
        assert_eq!(
            n("2").div(&n("3")).unwrap().to_text(),
            "0.66666666666666666667"
        );
        assert_eq!(
            n("100000").div(&n("3.0")).unwrap().to_text(),
            "33333.333333333333"
        );
        assert_eq!(
            n("0.001").div(&n("7")).unwrap().to_text(),
            "0.00014285714285714286"
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(n("2.5").round_to(0, false).unwrap().to_text(), "3");
        assert_eq!(n("-2.5").round_to(0, false).unwrap().to_text(), "-3");
        assert_eq!(n("1.2345").round_to(2, false).unwrap().to_text(), "1.23");
        assert_eq!(n("1.99").round_to(0, true).unwrap().to_text(), "1");
        assert_eq!(n("1234.5").round_to(-2, false).unwrap().to_text(), "1200");
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
        ] {
            let v = n(s);
            assert_eq!(
                Numeric::from_binary(&v.to_binary()).unwrap().to_text(),
                v.to_text(),
                "{s}"
            );
        }
    }
}
