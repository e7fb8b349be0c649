//! Arithmetic and comparison operators on numbers and intervals.

use types::datum::{Interval, Numeric};
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;
use crate::cast::out_of_range;
use crate::compare::compare;

fn div_zero() -> PgError {
    PgError::new(SqlState::DivisionByZero, "division by zero")
}

pub(crate) fn float_overflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value out of range: overflow",
    )
}

pub(crate) fn float_underflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value out of range: underflow",
    )
}

/// PostgreSQL's float overflow/underflow checks on a result.
pub(crate) fn check_float(r: f64, inf_ok: bool, zero_ok: bool) -> PgResult<f64> {
    if r.is_infinite() && !inf_ok {
        return Err(float_overflow());
    }
    if r == 0.0 && !zero_ok {
        return Err(float_underflow());
    }
    Ok(r)
}

macro_rules! int_ops {
    ($op:expr, $a:expr, $b:expr, $variant:path, $oid:expr, $t:ty) => {{
        let (a, b): ($t, $t) = ($a, $b);
        let r = match $op {
            "add" => a.checked_add(b),
            "sub" => a.checked_sub(b),
            "mul" => a.checked_mul(b),
            "div" => {
                if b == 0 {
                    return Err(div_zero());
                }
                a.checked_div(b)
            }
            "mod" => {
                if b == 0 {
                    return Err(div_zero());
                }
                Some(a.checked_rem(b).unwrap_or(0))
            }
            "bitand" => Some(a & b),
            "bitor" => Some(a | b),
            "bitxor" => Some(a ^ b),
            _ => return Ok(None),
        };
        Ok(Some($variant(r.ok_or_else(|| out_of_range($oid))?)))
    }};
}

fn float_op(op: &str, a: f64, b: f64) -> PgResult<Option<f64>> {
    let inf_ok = a.is_infinite() || b.is_infinite();
    Ok(Some(match op {
        "add" => check_float(a + b, inf_ok, true)?,
        "sub" => check_float(a - b, inf_ok, true)?,
        "mul" => check_float(a * b, inf_ok, a == 0.0 || b == 0.0)?,
        "div" => {
            if b == 0.0 {
                return Err(div_zero());
            }
            check_float(a / b, inf_ok, a == 0.0 || b.is_infinite())?
        }
        _ => return Ok(None),
    }))
}

fn cmp_result(op: &str, o: std::cmp::Ordering) -> Option<bool> {
    use std::cmp::Ordering::*;
    Some(match op {
        "eq" => o == Equal,
        "ne" => o != Equal,
        "lt" => o == Less,
        "le" => o != Greater,
        "gt" => o == Greater,
        "ge" => o != Less,
        _ => return None,
    })
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    if matches!(func, "eq" | "ne" | "lt" | "le" | "gt" | "ge") {
        let o = compare(arg(args, 0)?, arg(args, 1)?)?;
        return Ok(cmp_result(func, o).map(Datum::Bool));
    }
    if let Some(op) = func.strip_prefix("bpchar_") {
        // character(n): trailing spaces do not count.
        let trimmed = |d: &Datum| match d {
            Datum::Text(s) => Datum::Text(types::datum::trim_blanks(s).to_string()),
            other => other.clone(),
        };
        let o = compare(&trimmed(arg(args, 0)?), &trimmed(arg(args, 1)?))?;
        return Ok(cmp_result(op, o).map(Datum::Bool));
    }
    match (func, args) {
        ("neg", [Datum::Int2(a)]) => Ok(Some(Datum::Int2(
            a.checked_neg()
                .ok_or_else(|| out_of_range(types::oid::INT2))?,
        ))),
        ("neg", [Datum::Int4(a)]) => Ok(Some(Datum::Int4(
            a.checked_neg()
                .ok_or_else(|| out_of_range(types::oid::INT4))?,
        ))),
        ("neg", [Datum::Int8(a)]) => Ok(Some(Datum::Int8(
            a.checked_neg()
                .ok_or_else(|| out_of_range(types::oid::INT8))?,
        ))),
        ("neg", [Datum::Float4(a)]) => Ok(Some(Datum::Float4(-a))),
        ("neg", [Datum::Float8(a)]) => Ok(Some(Datum::Float8(-a))),
        ("neg", [Datum::Numeric(a)]) => Ok(Some(Datum::Numeric(a.neg()))),
        ("neg", [Datum::Interval(i)]) => Ok(Some(Datum::Interval(Interval {
            months: i.months.checked_neg().ok_or_else(interval_range)?,
            days: i.days.checked_neg().ok_or_else(interval_range)?,
            micros: i.micros.checked_neg().ok_or_else(interval_range)?,
        }))),
        ("uplus", [a]) => Ok(Some(a.clone())),
        // int4inc, int8inc, int8inc_any (its further argument only counts)
        ("inc", [Datum::Int4(a), ..]) => Ok(Some(Datum::Int4(
            a.checked_add(1)
                .ok_or_else(|| out_of_range(types::oid::INT4))?,
        ))),
        ("inc", [Datum::Int8(a), ..]) => Ok(Some(Datum::Int8(
            a.checked_add(1)
                .ok_or_else(|| out_of_range(types::oid::INT8))?,
        ))),
        // int2_avg_accum / int4_avg_accum: the state {count, sum}.
        ("int_avg_accum", [Datum::Array(state), x]) => {
            let x = match x {
                Datum::Int2(v) => i64::from(*v),
                Datum::Int4(v) => i64::from(*v),
                _ => return Ok(None),
            };
            let [Datum::Int8(n), Datum::Int8(sum)] = state.elems.as_slice() else {
                return Err(PgError::new(
                    types::SqlState::DataException,
                    "expected 2-element int8 array",
                ));
            };
            let sum = sum
                .checked_add(x)
                .ok_or_else(|| out_of_range(types::oid::INT8))?;
            Ok(Some(Datum::Array(Box::new(types::datum::ArrayValue::new(
                types::oid::INT8,
                vec![Datum::Int8(n + 1), Datum::Int8(sum)],
            )))))
        }
        ("int8_avg", [Datum::Array(state)]) => {
            let [Datum::Int8(n), Datum::Int8(sum)] = state.elems.as_slice() else {
                return Err(PgError::new(
                    types::SqlState::DataException,
                    "expected 2-element int8 array",
                ));
            };
            if *n == 0 {
                return Ok(Some(Datum::Null));
            }
            let q =
                types::datum::Numeric::from_i64(*sum).div(&types::datum::Numeric::from_i64(*n))?;
            Ok(Some(Datum::Numeric(q)))
        }
        ("larger" | "smaller", [a, b]) => {
            let o = compare(a, b)?;
            let first = match func {
                "larger" => o != std::cmp::Ordering::Less,
                _ => o != std::cmp::Ordering::Greater,
            };
            Ok(Some(if first { a.clone() } else { b.clone() }))
        }
        (
            "width_bucket",
            [
                Datum::Float8(x),
                Datum::Float8(lo),
                Datum::Float8(hi),
                Datum::Int4(n),
            ],
        ) => width_bucket_float(*x, *lo, *hi, *n).map(|b| Some(Datum::Int4(b))),
        (
            "width_bucket",
            [
                Datum::Numeric(x),
                Datum::Numeric(lo),
                Datum::Numeric(hi),
                Datum::Int4(n),
            ],
        ) => width_bucket_numeric(x, lo, hi, *n).map(|b| Some(Datum::Int4(b))),
        ("gcd" | "lcm", [Datum::Int4(a), Datum::Int4(b)]) => {
            let r = gcd_lcm(func, (*a).into(), (*b).into());
            let r = i32::try_from(r).map_err(|_| out_of_range(types::oid::INT4))?;
            Ok(Some(Datum::Int4(r)))
        }
        ("gcd" | "lcm", [Datum::Numeric(a), Datum::Numeric(b)]) => {
            numeric_gcd_lcm(func, a, b).map(|n| Some(Datum::Numeric(n)))
        }
        ("numeric_scale", [Datum::Numeric(n)]) => Ok(Some(match n {
            n if n.is_finite() => Datum::Int4(n.scale() as i32),
            _ => Datum::Null,
        })),
        ("min_scale", [Datum::Numeric(n)]) => Ok(Some(match n {
            n if n.is_finite() => Datum::Int4(n.strip_to_min_scale().scale() as i32),
            _ => Datum::Null,
        })),
        ("trim_scale", [Datum::Numeric(n)]) => Ok(Some(Datum::Numeric(n.strip_to_min_scale()))),
        ("factorial", [Datum::Int8(n)]) => factorial(*n).map(|f| Some(Datum::Numeric(f))),
        ("gcd" | "lcm", [Datum::Int8(a), Datum::Int8(b)]) => {
            let r = gcd_lcm(func, (*a).into(), (*b).into());
            let r = i64::try_from(r).map_err(|_| out_of_range(types::oid::INT8))?;
            Ok(Some(Datum::Int8(r)))
        }
        ("abs", [Datum::Int2(a)]) => Ok(Some(Datum::Int2(
            a.checked_abs()
                .ok_or_else(|| out_of_range(types::oid::INT2))?,
        ))),
        ("abs", [Datum::Int4(a)]) => Ok(Some(Datum::Int4(
            a.checked_abs()
                .ok_or_else(|| out_of_range(types::oid::INT4))?,
        ))),
        ("abs", [Datum::Int8(a)]) => Ok(Some(Datum::Int8(
            a.checked_abs()
                .ok_or_else(|| out_of_range(types::oid::INT8))?,
        ))),
        ("abs", [Datum::Float4(a)]) => Ok(Some(Datum::Float4(a.abs()))),
        ("abs", [Datum::Float8(a)]) => Ok(Some(Datum::Float8(a.abs()))),
        ("abs", [Datum::Numeric(a)]) => Ok(Some(Datum::Numeric(a.abs()))),
        ("bitnot", [Datum::Int2(a)]) => Ok(Some(Datum::Int2(!a))),
        ("bitnot", [Datum::Int4(a)]) => Ok(Some(Datum::Int4(!a))),
        ("bitnot", [Datum::Int8(a)]) => Ok(Some(Datum::Int8(!a))),
        ("shl" | "shr", [a, Datum::Int4(n)]) => {
            let n = *n as u32;
            let left = func == "shl";
            Ok(Some(match a {
                Datum::Int2(v) => Datum::Int2(if left {
                    v.wrapping_shl(n)
                } else {
                    v.wrapping_shr(n)
                }),
                Datum::Int4(v) => Datum::Int4(if left {
                    v.wrapping_shl(n)
                } else {
                    v.wrapping_shr(n)
                }),
                Datum::Int8(v) => Datum::Int8(if left {
                    v.wrapping_shl(n)
                } else {
                    v.wrapping_shr(n)
                }),
                _ => return Ok(None),
            }))
        }
        (op, [Datum::Int2(a), Datum::Int2(b)]) => {
            int_ops!(op, *a, *b, Datum::Int2, types::oid::INT2, i16)
        }
        (op, [Datum::Int4(a), Datum::Int4(b)]) => {
            int_ops!(op, *a, *b, Datum::Int4, types::oid::INT4, i32)
        }
        (op, [Datum::Int8(a), Datum::Int8(b)]) => {
            int_ops!(op, *a, *b, Datum::Int8, types::oid::INT8, i64)
        }
        (op, [Datum::Float4(a), Datum::Float4(b)]) => {
            let inf_ok = a.is_infinite() || b.is_infinite();
            let r = float_op(op, *a as f64, *b as f64)?;
            match r {
                Some(r) => {
                    let f = r as f32;
                    check_float(f as f64, inf_ok, r == 0.0)?;
                    Ok(Some(Datum::Float4(f)))
                }
                None => Ok(None),
            }
        }
        (op, [Datum::Float8(a), Datum::Float8(b)]) => Ok(float_op(op, *a, *b)?.map(Datum::Float8)),
        (op, [Datum::Numeric(a), Datum::Numeric(b)]) => Ok(Some(Datum::Numeric(match op {
            "add" => a.add(b)?,
            "sub" => a.sub(b)?,
            "mul" => a.mul(b)?,
            "div" => a.div(b)?,
            "mod" => a.modulo(b)?,
            "div_trunc" => a.div_trunc(b)?,
            _ => return Ok(None),
        }))),
        ("add" | "sub", [Datum::Interval(a), Datum::Interval(b)]) => {
            let s = if func == "add" { 1 } else { -1 };
            let r = (|| {
                Some(Interval {
                    months: a.months.checked_add(b.months.checked_mul(s)?)?,
                    days: a.days.checked_add(b.days.checked_mul(s)?)?,
                    micros: a.micros.checked_add(b.micros.checked_mul(s as i64)?)?,
                })
            })();
            Ok(Some(Datum::Interval(r.ok_or_else(interval_range)?)))
        }
        _ => Ok(None),
    }
}

/// The greatest common divisor or least common multiple (`func`) of two
/// integers, never negative; wide enough that only the caller's narrowing
/// to the argument type can overflow.
fn width_bucket_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidArgumentForWidthBucketFunction, msg)
}

/// `count + 1`, the bucket past the upper bound.
fn overflow_bucket(count: i32) -> PgResult<i32> {
    count
        .checked_add(1)
        .ok_or_else(|| out_of_range(types::oid::INT4))
}

/// `width_bucket(float8, float8, float8, int4)`: which of `count` equal-width
/// buckets between the bounds holds `x` (0 below, `count + 1` above; the
/// bounds may be given in either order).
fn width_bucket_float(x: f64, lo: f64, hi: f64, count: i32) -> PgResult<i32> {
    if count <= 0 {
        return Err(width_bucket_error("count must be greater than zero"));
    }
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(width_bucket_error(
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if lo.is_infinite() || hi.is_infinite() {
        return Err(width_bucket_error("lower and upper bounds must be finite"));
    }
    if lo == hi {
        return Err(width_bucket_error("lower bound cannot equal upper bound"));
    }
    let (ascending, n) = (lo < hi, f64::from(count));
    let bucket = if ascending {
        if x < lo {
            return Ok(0);
        }
        if x >= hi {
            return overflow_bucket(count);
        }
        n * (x - lo) / (hi - lo) + 1.0
    } else {
        if x > lo {
            return Ok(0);
        }
        if x <= hi {
            return overflow_bucket(count);
        }
        n * (lo - x) / (lo - hi) + 1.0
    };
    // PostgreSQL 15 converts as the C cast does on this hardware: a result
    // that is not a number or out of range (a width beyond double range)
    // becomes the most negative integer.
    Ok(if bucket.is_finite() && bucket.abs() < 2_147_483_648.0 {
        bucket as i32
    } else {
        i32::MIN
    })
}

/// `width_bucket(numeric, numeric, numeric, int4)`, computed exactly.
fn width_bucket_numeric(x: &Numeric, lo: &Numeric, hi: &Numeric, count: i32) -> PgResult<i32> {
    if count <= 0 {
        return Err(width_bucket_error("count must be greater than zero"));
    }
    if [x, lo, hi].iter().any(|v| matches!(v, Numeric::NaN)) {
        return Err(width_bucket_error(
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if [lo, hi]
        .iter()
        .any(|v| matches!(v, Numeric::PosInf | Numeric::NegInf))
    {
        return Err(width_bucket_error("lower and upper bounds must be finite"));
    }
    let order = lo.total_cmp(hi);
    if order == std::cmp::Ordering::Equal {
        return Err(width_bucket_error("lower bound cannot equal upper bound"));
    }
    let ascending = order == std::cmp::Ordering::Less;
    let below = if ascending {
        x.total_cmp(lo).is_lt()
    } else {
        x.total_cmp(lo).is_gt()
    };
    if below {
        return Ok(0);
    }
    let above = if ascending {
        x.total_cmp(hi).is_ge()
    } else {
        x.total_cmp(hi).is_le()
    };
    if above {
        return overflow_bucket(count);
    }
    // floor(|x - lo| * count / |hi - lo|) + 1, both operands non-negative
    let distance = x.sub(lo)?.abs();
    let width = hi.sub(lo)?.abs();
    let bucket = distance
        .mul(&Numeric::from_i64(count.into()))?
        .div_trunc(&width)?
        .to_i64_rounded()
        .ok_or_else(|| out_of_range(types::oid::INT4))?;
    i32::try_from(bucket + 1).map_err(|_| out_of_range(types::oid::INT4))
}

fn gcd_lcm(func: &str, a: i128, b: i128) -> i128 {
    let (mut x, mut y) = (a.abs(), b.abs());
    while y != 0 {
        (x, y) = (y, x % y);
    }
    match func {
        "gcd" => x,
        _ if x == 0 => 0,
        _ => a.abs() / x * b.abs(),
    }
}

/// `gcd` / `lcm` of numerics: of the values brought to the larger scale,
/// at that scale; NaN if either is NaN or infinite (PostgreSQL 15).
fn numeric_gcd_lcm(func: &str, a: &Numeric, b: &Numeric) -> PgResult<Numeric> {
    a.gcd_lcm(b, func == "lcm")
}

/// `factorial(n)`: exact; 22003 below 0, as PostgreSQL.
fn factorial(n: i64) -> PgResult<Numeric> {
    Numeric::factorial(n)
}

pub(crate) fn interval_range() -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, "interval out of range")
}

/// `numeric ^ numeric` (`power`).
pub fn numeric_power(a: &Numeric, b: &Numeric) -> PgResult<Numeric> {
    a.power(b)
}
