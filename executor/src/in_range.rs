//! The `in_range` support functions of the btree operator families
//! (PostgreSQL's `in_range_int4_int8`, `in_range_float8_float8`,
//! `in_range_numeric_numeric`, `in_range_timestamp_interval`, ...): whether a
//! row's ORDER BY value lies on the right side of `base ± offset`, which is
//! how a RANGE frame with an offset PRECEDING or FOLLOWING finds its bounds.
//!
//! `sub` subtracts the offset (instead of adding it); `less` asks for
//! `val <= base ± offset` (instead of `>=`). A sum beyond the type's range
//! is taken as infinite, as PostgreSQL does for the integer types.

use std::cmp::Ordering;

use types::datum::Interval;
use types::datum::datetime::{DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, USECS_PER_DAY};
use types::datum::numeric::Numeric;
use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;
use crate::functions::datetime::ts_plus_interval;

fn size_error() -> PgError {
    PgError::new(
        SqlState::InvalidPrecedingOrFollowingSize,
        "invalid preceding or following size in window function",
    )
}

fn integer(d: &Datum) -> Option<i128> {
    match d {
        Datum::Int2(x) => Some(*x as i128),
        Datum::Int4(x) => Some(*x as i128),
        Datum::Int8(x) => Some(*x as i128),
        _ => None,
    }
}

/// A date as the timestamp of its midnight (PostgreSQL compares dates with
/// a timestamp sum so).
fn timestamp(d: &Datum) -> Option<i64> {
    match d {
        Datum::Date(DATE_NEG_INF) => Some(TS_NEG_INF),
        Datum::Date(DATE_POS_INF) => Some(TS_POS_INF),
        Datum::Date(x) => Some(*x as i64 * USECS_PER_DAY),
        Datum::Timestamp(x) | Datum::Timestamptz(x) => Some(*x),
        _ => None,
    }
}

/// `in_range(val, base, offset, sub, less)`; both values are not null.
pub fn in_range(
    ev: &Evaluator<'_>,
    val: &Datum,
    base: &Datum,
    offset: &Datum,
    sub: bool,
    less: bool,
) -> PgResult<bool> {
    let side = |o: Ordering| {
        if less {
            o != Ordering::Greater
        } else {
            o != Ordering::Less
        }
    };
    if let (Some(v), Some(b), Some(o)) = (integer(val), integer(base), integer(offset)) {
        if o < 0 {
            return Err(size_error());
        }
        let sum = if sub { b - o } else { b + o };
        return Ok(side(v.cmp(&sum)));
    }
    match (val, base, offset) {
        (Datum::Float4(_) | Datum::Float8(_), _, Datum::Float8(o)) => {
            let f = |d: &Datum| match d {
                Datum::Float4(x) => *x as f64,
                Datum::Float8(x) => *x,
                _ => f64::NAN,
            };
            let (v, b, o) = (f(val), f(base), *o);
            if o.is_nan() || o < 0.0 {
                return Err(size_error());
            }
            if v.is_nan() {
                return Ok(if b.is_nan() { true } else { !less });
            }
            if b.is_nan() {
                return Ok(less);
            }
            if o.is_infinite() && b.is_infinite() && (if sub { b > 0.0 } else { b < 0.0 }) {
                return Ok(true);
            }
            let sum = if sub { b - o } else { b + o };
            Ok(if less { v <= sum } else { v >= sum })
        }
        (Datum::Numeric(v), Datum::Numeric(b), Datum::Numeric(o)) => {
            if matches!(o, Numeric::NaN | Numeric::NegInf)
                || o.total_cmp(&Numeric::ZERO) == Ordering::Less
            {
                return Err(size_error());
            }
            if matches!(v, Numeric::NaN) {
                return Ok(if matches!(b, Numeric::NaN) {
                    true
                } else {
                    !less
                });
            }
            if matches!(b, Numeric::NaN) {
                return Ok(less);
            }
            if matches!(o, Numeric::PosInf)
                && (if sub {
                    matches!(b, Numeric::PosInf)
                } else {
                    matches!(b, Numeric::NegInf)
                })
            {
                return Ok(true);
            }
            let sum = if sub { b.sub(o)? } else { b.add(o)? };
            Ok(side(v.total_cmp(&sum)))
        }
        (_, _, Datum::Interval(o)) if timestamp(base).is_some() => {
            let (Some(v), Some(b)) = (timestamp(val), timestamp(base)) else {
                return Err(PgError::internal("in_range: mismatched timestamps"));
            };
            if o.cmp_key() < 0 {
                return Err(size_error());
            }
            let o = if sub { negate(o)? } else { *o };
            let zone = matches!(base, Datum::Timestamptz(_)).then(|| ev.opts.zone());
            let sum = ts_plus_interval(b, &o, zone)?;
            Ok(side(v.cmp(&sum)))
        }
        (Datum::Time(v), Datum::Time(b), Datum::Interval(o)) => {
            if o.micros < 0 {
                return Err(size_error());
            }
            let (v, b, o) = (*v as i128, *b as i128, o.micros as i128);
            let sum = if sub { b - o } else { b + o };
            Ok(side(v.cmp(&sum)))
        }
        (Datum::TimeTz(v), Datum::TimeTz(b), Datum::Interval(o)) => {
            if o.micros < 0 {
                return Err(size_error());
            }
            let mut sum = *b;
            sum.micros = if sub {
                b.micros - o.micros
            } else {
                b.micros + o.micros
            };
            Ok(side(v.compare(&sum)))
        }
        (Datum::Interval(v), Datum::Interval(b), Datum::Interval(o)) => {
            if o.cmp_key() < 0 {
                return Err(size_error());
            }
            let o = if sub { negate(o)? } else { *o };
            let sum = b
                .checked_add(&o)
                .ok_or_else(crate::functions::arith::interval_range)?;
            Ok(side(v.cmp_key().cmp(&sum.cmp_key())))
        }
        _ => Err(PgError::internal(format!(
            "in_range: no support for {val:?} and offset {offset:?}"
        ))),
    }
}

fn negate(iv: &Interval) -> PgResult<Interval> {
    Ok(Interval {
        months: iv
            .months
            .checked_neg()
            .ok_or_else(crate::functions::arith::interval_range)?,
        days: iv
            .days
            .checked_neg()
            .ok_or_else(crate::functions::arith::interval_range)?,
        micros: iv
            .micros
            .checked_neg()
            .ok_or_else(crate::functions::arith::interval_range)?,
    })
}
