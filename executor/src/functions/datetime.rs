//! Date and time functions and operators: clocks, date and timestamp arithmetic
//! with intervals.

use types::datum::datetime::{
    DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, UNIX_EPOCH_DAYS, USECS_PER_DAY,
    USECS_PER_SEC, civil_from_days, days_from_civil, days_in_month,
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
    interval_scale(iv, |v| v * f)
}

/// interval / factor (divided, not multiplied by the inverse, for the same
/// rounding as PostgreSQL's).
pub fn interval_div(iv: &Interval, f: f64) -> PgResult<Interval> {
    if f == 0.0 {
        return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
    }
    interval_scale(iv, |v| v / f)
}

/// Scales each field by `op`, PostgreSQL's way: months and days are cut to
/// whole numbers, the month remainder goes to days (30 per month) and the
/// day remainder to seconds, each rounded to microseconds first.
fn interval_scale(iv: &Interval, op: impl Fn(f64) -> f64) -> PgResult<Interval> {
    let fits_i32 = |v: f64| (-2_147_483_648.0..2_147_483_648.0).contains(&v);
    let round_us = |v: f64| (v * 1e6).round_ties_even() / 1e6;
    let m = op(iv.months as f64);
    let d = op(iv.days as f64);
    if !fits_i32(m) || !fits_i32(d) {
        return Err(interval_range());
    }
    let (months, mut days) = (m as i32, d as i32);
    let month_remainder_days = round_us((m - months as f64) * 30.0);
    let mut sec_remainder = round_us(
        (d - days as f64 + month_remainder_days - (month_remainder_days as i32) as f64) * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let whole = (sec_remainder / 86_400.0) as i32;
        days = days.checked_add(whole).ok_or_else(interval_range)?;
        sec_remainder -= whole as f64 * 86_400.0;
    }
    days = days
        .checked_add(month_remainder_days as i32)
        .ok_or_else(interval_range)?;
    let t = (op(iv.micros as f64) + sec_remainder * USECS_PER_SEC as f64).round_ties_even();
    // i64's range: -2^63 ..< 2^63
    if t.is_nan() || !(-(2f64.powi(63))..2f64.powi(63)).contains(&t) {
        return Err(interval_range());
    }
    Ok(Interval {
        months,
        days,
        micros: t as i64,
    })
}

/// `justify_hours`: whole days out of the time part.
fn justify_hours(iv: &Interval) -> PgResult<Interval> {
    let mut r = *iv;
    let whole = r.micros / USECS_PER_DAY;
    r.micros -= whole * USECS_PER_DAY;
    r.days = i32::try_from(whole)
        .ok()
        .and_then(|w| r.days.checked_add(w))
        .ok_or_else(interval_range)?;
    same_sign_days_time(&mut r);
    Ok(r)
}

/// `justify_days`: whole 30-day months out of the days.
fn justify_days(iv: &Interval) -> PgResult<Interval> {
    let mut r = *iv;
    let whole = r.days / 30;
    r.days -= whole * 30;
    r.months = r.months.checked_add(whole).ok_or_else(interval_range)?;
    if r.months > 0 && r.days < 0 {
        r.days += 30;
        r.months -= 1;
    } else if r.months < 0 && r.days > 0 {
        r.days -= 30;
        r.months += 1;
    }
    Ok(r)
}

/// `justify_interval`: both, with the signs of the parts made to agree.
fn justify_interval(iv: &Interval) -> PgResult<Interval> {
    let mut r = *iv;
    if (r.days > 0 && r.micros > 0) || (r.days < 0 && r.micros < 0) {
        let whole = r.days / 30;
        r.days -= whole * 30;
        r.months = r.months.checked_add(whole).ok_or_else(interval_range)?;
    }
    let whole = r.micros / USECS_PER_DAY;
    r.micros -= whole * USECS_PER_DAY;
    r.days = r.days.wrapping_add(whole as i32);
    let whole = r.days / 30;
    r.days -= whole * 30;
    r.months = r.months.checked_add(whole).ok_or_else(interval_range)?;
    if r.months > 0 && (r.days < 0 || (r.days == 0 && r.micros < 0)) {
        r.days += 30;
        r.months -= 1;
    } else if r.months < 0 && (r.days > 0 || (r.days == 0 && r.micros > 0)) {
        r.days -= 30;
        r.months += 1;
    }
    same_sign_days_time(&mut r);
    Ok(r)
}

/// Borrows a day so that days and time have the same sign.
fn same_sign_days_time(r: &mut Interval) {
    if r.days > 0 && r.micros < 0 {
        r.micros += USECS_PER_DAY;
        r.days -= 1;
    } else if r.days < 0 && r.micros > 0 {
        r.micros -= USECS_PER_DAY;
        r.days += 1;
    }
}

/// `make_interval(years, months, weeks, days, hours, mins, secs)`; like
/// PostgreSQL 15's, the integer parts are not checked for overflow.
fn make_interval(p: [i32; 6], secs: f64) -> PgResult<Interval> {
    if !secs.is_finite() {
        return Err(interval_range());
    }
    let [years, months, weeks, days, hours, mins] = p;
    let us = (secs * USECS_PER_SEC as f64).round_ties_even() as i64;
    Ok(Interval {
        months: years.wrapping_mul(12).wrapping_add(months),
        days: weeks.wrapping_mul(7).wrapping_add(days),
        micros: (hours as i64 * 3_600 * USECS_PER_SEC)
            .wrapping_add(mins as i64 * 60 * USECS_PER_SEC)
            .wrapping_add(us),
    })
}

/// `(s1, e1) OVERLAPS (s2, e2)` over instants, with SQL's rules for NULL
/// ends: each pair is put in order, a NULL start takes the end's place.
fn overlaps(p1: [Option<i64>; 2], p2: [Option<i64>; 2]) -> Option<bool> {
    let order = |[s, e]: [Option<i64>; 2]| -> Option<(i64, Option<i64>)> {
        match (s, e) {
            (None, None) => None,
            (None, Some(e)) => Some((e, None)),
            (Some(s), Some(e)) if s > e => Some((e, Some(s))),
            (Some(s), e) => Some((s, e)),
        }
    };
    let (s1, e1) = order(p1)?;
    let (s2, e2) = order(p2)?;
    if s1 > s2 {
        if s1 < e2? {
            return Some(true);
        }
        e1?;
        Some(false)
    } else if s1 < s2 {
        if s2 < e1? {
            return Some(true);
        }
        e2?;
        Some(false)
    } else {
        e1?;
        e2?;
        Some(true)
    }
}

/// A `make_date` / `make_timestamp` date: negative years are BC; 22008
/// naming the fields when they make no date.
fn make_date(year: i32, month: i32, day: i32) -> PgResult<i64> {
    let bad = || {
        PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("date field value out of range: {year}-{month:02}-{day:02}"),
        )
    };
    if year == 0 || !(1..=12).contains(&month) || day < 1 {
        return Err(bad());
    }
    let y = if year < 0 {
        year as i64 + 1
    } else {
        year as i64
    };
    if day as u32 > days_in_month(y, month as u32) {
        return Err(bad());
    }
    let days = days_from_civil(y, month as u32, day as u32) - UNIX_EPOCH_DAYS;
    // PostgreSQL's range of dates: 4714-11-24 BC .. 5874897-12-31
    if days < days_from_civil(-4713, 11, 24) - UNIX_EPOCH_DAYS
        || days > days_from_civil(5_874_897, 12, 31) - UNIX_EPOCH_DAYS
    {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("date out of range: {year}-{month:02}-{day:02}"),
        ));
    }
    Ok(days)
}

/// Seconds as C's `%02g` prints them in PostgreSQL's messages.
fn secs_text(sec: f64) -> String {
    if sec.fract() == 0.0 && sec.abs() < 1e6 {
        format!("{:02}", sec as i64)
    } else {
        format!("{sec:02}")
    }
}

/// A `make_time` / `make_timestamp` time of day in microseconds (24:00:00 and
/// second 60 allowed, as PostgreSQL's `float_time_overflows` allows them).
fn make_time(hour: i32, min: i32, sec: f64) -> PgResult<i64> {
    let us = (sec * USECS_PER_SEC as f64).round_ties_even();
    let bad = !(0..=24).contains(&hour)
        || !(0..60).contains(&min)
        || sec.is_nan()
        || !(0.0..=60.0 * USECS_PER_SEC as f64).contains(&us)
        || (hour as i64 * 60 + min as i64) * 60 * USECS_PER_SEC + us as i64 > USECS_PER_DAY;
    if bad {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!(
                "time field value out of range: {hour}:{min:02}:{}",
                secs_text(sec)
            ),
        ));
    }
    Ok((hour as i64 * 60 + min as i64) * 60 * USECS_PER_SEC + us as i64)
}

/// `make_timestamp(year, month, day, hour, min, sec)` as local wall time.
fn make_timestamp(p: [i32; 5], sec: f64) -> PgResult<i64> {
    let [year, month, day, hour, min] = p;
    let date = make_date(year, month, day)?;
    let time = make_time(hour, min, sec)?;
    let ts = date * USECS_PER_DAY + time;
    let end = (days_from_civil(294_277, 1, 1) - UNIX_EPOCH_DAYS) * USECS_PER_DAY;
    let start = (days_from_civil(-4713, 11, 24) - UNIX_EPOCH_DAYS) * USECS_PER_DAY;
    if !(start..end).contains(&ts) {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!(
                "timestamp out of range: {year}-{month:02}-{day:02} {hour}:{min:02}:{}",
                secs_text(sec)
            ),
        ));
    }
    Ok(ts)
}

/// The zone argument of `make_timestamptz`: `+hh[:mm]` east of Greenwich, an
/// abbreviation or a zone name.
fn zone_argument(name: &str) -> PgResult<TimeZone> {
    let n = name.trim();
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("invalid input syntax for type numeric time zone: \"{n}\""),
        )
        .with_hint("Numeric time zones must have \"-\" or \"+\" as first character."));
    }
    if n.starts_with(['+', '-']) {
        return TimeZone::parse(n);
    }
    TimeZone::parse_with_abbreviations(n).map_err(|_| {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("time zone \"{n}\" not recognized"),
        )
    })
}

/// `date_bin(stride, source, origin)`: the start of the stride-long bin
/// (counted from origin) that holds source.
fn date_bin(stride: &Interval, ts: i64, origin: i64) -> PgResult<i64> {
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(ts);
    }
    if origin == TS_NEG_INF || origin == TS_POS_INF {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            "origin out of range",
        ));
    }
    if stride.months != 0 {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "timestamps cannot be binned into intervals containing months or years",
        ));
    }
    let step = (stride.days as i64)
        .checked_mul(USECS_PER_DAY)
        .and_then(|d| d.checked_add(stride.micros))
        .ok_or_else(interval_range)?;
    if step <= 0 {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            "stride must be greater than zero",
        ));
    }
    let diff = ts.checked_sub(origin).ok_or_else(interval_range)?;
    let modulo = diff % step;
    let mut r = origin + (diff - modulo);
    if modulo < 0 {
        r = r.checked_sub(step).ok_or_else(ts_range)?;
    }
    Ok(r)
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
        // the wall time on that date at the value's offset
        ("date_pl_timetz", [Datum::Date(d), Datum::TimeTz(t)]) => {
            Datum::Timestamptz(*d as i64 * USECS_PER_DAY + t.micros + t.zone as i64 * USECS_PER_SEC)
        }
        // timetz +/- interval: only the time part counts, around the clock
        ("timetz_pl_interval" | "timetz_mi_interval", [Datum::TimeTz(t), Datum::Interval(iv)])
        | ("interval_pl_timetz", [Datum::Interval(iv), Datum::TimeTz(t)]) => {
            let d = if func == "timetz_mi_interval" {
                -iv.micros
            } else {
                iv.micros
            };
            Datum::TimeTz(types::datum::datetime::TimeTz {
                micros: (t.micros + d % USECS_PER_DAY).rem_euclid(USECS_PER_DAY),
                zone: t.zone,
            })
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
            Datum::Interval(interval_div(iv, *f)?)
        }
        ("overlaps", [s1, e1, s2, e2]) => {
            let point = |v: &Datum| match v {
                Datum::Timestamp(t) | Datum::Timestamptz(t) | Datum::Time(t) => Some(*t),
                _ => None,
            };
            // an end given as an interval is that long after its start
            let end = |start: &Datum, v: &Datum| -> PgResult<Option<i64>> {
                let Datum::Interval(iv) = v else {
                    return Ok(point(v));
                };
                Ok(match start {
                    Datum::Timestamp(t) => Some(ts_plus_interval(*t, iv, None)?),
                    Datum::Timestamptz(t) => Some(ts_plus_interval(*t, iv, Some(zone))?),
                    Datum::Time(t) => Some((*t + iv.micros).rem_euclid(USECS_PER_DAY)),
                    _ => None,
                })
            };
            let p1 = [point(s1), end(s1, e1)?];
            let p2 = [point(s2), end(s2, e2)?];
            overlaps(p1, p2).map_or(Datum::Null, Datum::Bool)
        }
        ("make_date", [Datum::Int4(y), Datum::Int4(m), Datum::Int4(d)]) => {
            Datum::Date(make_date(*y, *m, *d)? as i32)
        }
        ("make_time", [Datum::Int4(h), Datum::Int4(m), Datum::Float8(s)]) => {
            Datum::Time(make_time(*h, *m, *s)?)
        }
        (
            "make_timestamp" | "make_timestamptz",
            [
                Datum::Int4(y),
                Datum::Int4(mo),
                Datum::Int4(d),
                Datum::Int4(h),
                Datum::Int4(mi),
                Datum::Float8(s),
                zone_arg @ ..,
            ],
        ) => {
            let local = make_timestamp([*y, *mo, *d, *h, *mi], *s)?;
            match (func, zone_arg) {
                ("make_timestamp", []) => Datum::Timestamp(local),
                (_, []) => Datum::Timestamptz(zone.to_utc(local)),
                (_, [Datum::Text(z)]) => Datum::Timestamptz(zone_argument(z)?.to_utc(local)),
                _ => return Ok(None),
            }
        }
        (
            "date_bin",
            [
                Datum::Interval(stride),
                Datum::Timestamp(t),
                Datum::Timestamp(o),
            ],
        ) => Datum::Timestamp(date_bin(stride, *t, *o)?),
        (
            "date_bin",
            [
                Datum::Interval(stride),
                Datum::Timestamptz(t),
                Datum::Timestamptz(o),
            ],
        ) => Datum::Timestamptz(date_bin(stride, *t, *o)?),
        ("justify_hours", [Datum::Interval(iv)]) => Datum::Interval(justify_hours(iv)?),
        ("justify_days", [Datum::Interval(iv)]) => Datum::Interval(justify_days(iv)?),
        ("justify_interval", [Datum::Interval(iv)]) => Datum::Interval(justify_interval(iv)?),
        (
            "make_interval",
            [
                Datum::Int4(y),
                Datum::Int4(mo),
                Datum::Int4(w),
                Datum::Int4(d),
                Datum::Int4(h),
                Datum::Int4(mi),
                Datum::Float8(s),
            ],
        ) => Datum::Interval(make_interval([*y, *mo, *w, *d, *h, *mi], *s)?),
        _ => return Ok(None),
    }))
}
