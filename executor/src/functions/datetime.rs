//! Date and time functions and operators: clocks, date and timestamp arithmetic
//! with intervals.

use types::datum::datetime::{
    DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, UNIX_EPOCH_DAYS, USECS_PER_DAY,
    civil_from_days, days_from_civil, days_in_month,
};
use types::datum::{Interval, TimeZone};
use types::{Datum, PgError, PgResult, SqlState};

use super::arith::interval_range;
use crate::expr::Evaluator;

fn ts_range() -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, "timestamp out of range")
}

fn date_range() -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, "date out of range")
}

/// Microseconds since 2000-01-01 UTC, now.
pub fn clock_now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_micros() as i64 - UNIX_EPOCH_DAYS * USECS_PER_DAY
}

/// timestamp + interval: months by the calendar (clamping the day), then
/// days, on the local wall clock of `zone` (None: a timestamp without time
/// zone), back to UTC by the zone's rules, then the time part.
pub fn ts_plus_interval(ts: i64, iv: &Interval, zone: Option<TimeZone>) -> PgResult<i64> {
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(ts);
    }
    let mut local = zone.map_or(ts, |z| z.to_local(ts));
    if iv.months != 0 {
        let days = local.div_euclid(USECS_PER_DAY);
        let tod = local.rem_euclid(USECS_PER_DAY);
        let (y, m, d) = civil_from_days(days + UNIX_EPOCH_DAYS);
        let total = y * 12 + (m as i64 - 1) + iv.months as i64;
        let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
        let nd = d.min(days_in_month(ny, nm));
        local = (days_from_civil(ny, nm, nd) - UNIX_EPOCH_DAYS) * USECS_PER_DAY + tod;
    }
    let local = i64::try_from(local as i128 + iv.days as i128 * USECS_PER_DAY as i128)
        .map_err(|_| ts_range())?;
    let utc = if iv.months != 0 || iv.days != 0 {
        zone.map_or(local, |z| z.to_utc(local))
    } else {
        ts
    };
    i64::try_from(utc as i128 + iv.micros as i128).map_err(|_| ts_range())
}

fn neg(iv: &Interval) -> PgResult<Interval> {
    Ok(Interval {
        months: iv.months.checked_neg().ok_or_else(interval_range)?,
        days: iv.days.checked_neg().ok_or_else(interval_range)?,
        micros: iv.micros.checked_neg().ok_or_else(interval_range)?,
    })
}

/// interval * factor, cascading fractional months to days and days to time.
pub fn interval_mul(iv: &Interval, f: f64) -> PgResult<Interval> {
    if f.is_nan() || f.is_infinite() {
        return Err(interval_range());
    }
    let months = iv.months as f64 * f;
    let whole_months = months.trunc();
    let days = iv.days as f64 * f + (months - whole_months) * 30.0;
    let whole_days = days.trunc();
    let micros = iv.micros as f64 * f + (days - whole_days) * USECS_PER_DAY as f64;
    let check = |v: f64, max: f64| {
        if v.abs() < max {
            Ok(v)
        } else {
            Err(interval_range())
        }
    };
    Ok(Interval {
        months: check(whole_months, i32::MAX as f64)? as i32,
        days: check(whole_days, i32::MAX as f64)? as i32,
        micros: check(micros.round(), 9.2e18)? as i64,
    })
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    let zone = ev.opts.zone();
    Ok(Some(match (func, args) {
        ("now", []) => Datum::Timestamptz(ev.ctx.transaction_timestamp()),
        ("statement_timestamp", []) => Datum::Timestamptz(ev.ctx.statement_timestamp()),
        ("clock_timestamp", []) => Datum::Timestamptz(clock_now()),
        ("current_date", []) => Datum::Date(
            zone.to_local(ev.ctx.transaction_timestamp())
                .div_euclid(USECS_PER_DAY) as i32,
        ),
        ("localtimestamp", []) => Datum::Timestamp(zone.to_local(ev.ctx.transaction_timestamp())),
        ("pg_postmaster_start_time", []) => Datum::Timestamptz(ev.ctx.postmaster_start_time()),
        ("date_pli" | "date_mii", [Datum::Date(d), Datum::Int4(n)])
        | ("int4_pl_date", [Datum::Int4(n), Datum::Date(d)]) => {
            if *d == DATE_NEG_INF || *d == DATE_POS_INF {
                return Ok(Some(Datum::Date(*d)));
            }
            let n = if func == "date_mii" {
                -(*n as i64)
            } else {
                *n as i64
            };
            let r = *d as i64 + n;
            if r >= i32::MAX as i64 || r <= i32::MIN as i64 {
                return Err(date_range());
            }
            Datum::Date(r as i32)
        }
        ("date_mi", [Datum::Date(a), Datum::Date(b)]) => {
            if [*a, *b]
                .iter()
                .any(|d| *d == DATE_NEG_INF || *d == DATE_POS_INF)
            {
                return Err(PgError::new(
                    SqlState::DatetimeFieldOverflow,
                    "cannot subtract infinite dates",
                ));
            }
            Datum::Int4(a.checked_sub(*b).ok_or_else(date_range)?)
        }
        ("date_pl_interval" | "date_mi_interval", [Datum::Date(d), Datum::Interval(iv)]) => {
            let ts = if *d == DATE_NEG_INF {
                TS_NEG_INF
            } else if *d == DATE_POS_INF {
                TS_POS_INF
            } else {
                *d as i64 * USECS_PER_DAY
            };
            let iv = if func == "date_mi_interval" {
                neg(iv)?
            } else {
                *iv
            };
            Datum::Timestamp(ts_plus_interval(ts, &iv, None)?)
        }
        ("date_pl_time", [Datum::Date(d), Datum::Time(t)]) => {
            Datum::Timestamp(*d as i64 * USECS_PER_DAY + t)
        }
        ("ts_pl_interval" | "ts_mi_interval", [ts, Datum::Interval(iv)]) => {
            let iv = if func == "ts_mi_interval" {
                neg(iv)?
            } else {
                *iv
            };
            match ts {
                Datum::Timestamp(t) => Datum::Timestamp(ts_plus_interval(*t, &iv, None)?),
                Datum::Timestamptz(t) => Datum::Timestamptz(ts_plus_interval(*t, &iv, Some(zone))?),
                _ => return Ok(None),
            }
        }
        ("interval_pl_ts", [Datum::Interval(iv), Datum::Timestamptz(t)]) => {
            Datum::Timestamptz(ts_plus_interval(*t, iv, Some(zone))?)
        }
        ("ts_mi", [a, b]) => {
            let (x, y) = match (a, b) {
                (Datum::Timestamp(x), Datum::Timestamp(y))
                | (Datum::Timestamptz(x), Datum::Timestamptz(y)) => (*x, *y),
                _ => return Ok(None),
            };
            if [x, y].iter().any(|t| *t == TS_NEG_INF || *t == TS_POS_INF) {
                return Err(PgError::new(
                    SqlState::DatetimeFieldOverflow,
                    "cannot subtract infinite timestamps",
                ));
            }
            let diff = x.checked_sub(y).ok_or_else(interval_range)?;
            Datum::Interval(Interval {
                months: 0,
                days: (diff / USECS_PER_DAY) as i32,
                micros: diff % USECS_PER_DAY,
            })
        }
        ("interval_mul", [Datum::Interval(iv), Datum::Float8(f)])
        | ("mul_interval", [Datum::Float8(f), Datum::Interval(iv)]) => {
            Datum::Interval(interval_mul(iv, *f)?)
        }
        ("interval_div", [Datum::Interval(iv), Datum::Float8(f)]) => {
            if *f == 0.0 {
                return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
            }
            Datum::Interval(interval_mul(iv, 1.0 / f)?)
        }
        _ => return Ok(None),
    }))
}
