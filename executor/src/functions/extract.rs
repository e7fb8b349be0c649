//! `EXTRACT(field FROM x)` (numeric), `date_part(field, x)` (double
//! precision) and `date_trunc(field, x)` over date, time, timestamp,
//! timestamp with time zone and interval; `x AT TIME ZONE z`; `age`.

use types::datum::datetime::{
    DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, UNIX_EPOCH_DAYS, USECS_PER_DAY,
    USECS_PER_SEC, civil_from_days, days_from_civil,
};
use types::datum::{Interval, Numeric, TimeZone};
use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;

const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;
/// Julian day number of 1970-01-01.
const JULIAN_OF_UNIX_EPOCH: i64 = 2_440_588;

/// A field name as PostgreSQL spells it, from any of its accepted spellings.
fn unit(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "month" | "months" | "mon" | "mons" => "month",
        "day" | "days" | "d" => "day",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "millisecon" => "milliseconds",
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "microsecon" => "microseconds",
        "week" | "weeks" | "w" => "week",
        "quarter" | "qtr" => "quarter",
        "decade" | "decades" | "dec" | "decs" => "decade",
        "century" | "centuries" | "c" | "cent" => "century",
        "millennium" | "millennia" | "mil" | "mils" => "millennium",
        "epoch" => "epoch",
        "dow" => "dow",
        "isodow" => "isodow",
        "doy" => "doy",
        "isoyear" => "isoyear",
        "julian" | "j" => "julian",
        "timezone" => "timezone",
        "timezone_h" | "timezone_hour" => "timezone_hour",
        "timezone_m" | "timezone_minute" => "timezone_minute",
        _ => return None,
    })
}

fn not_recognized(name: &str, type_name: &str) -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        format!(
            "unit \"{}\" not recognized for type {type_name}",
            name.to_ascii_lowercase()
        ),
    )
}

fn not_supported(name: &str, type_name: &str) -> PgError {
    PgError::new(
        SqlState::FeatureNotSupported,
        format!(
            "unit \"{}\" not supported for type {type_name}",
            name.to_ascii_lowercase()
        ),
    )
}

/// SQL year of an astronomical (proleptic Gregorian) year: no year 0.
fn sql_year(y: i64) -> i64 {
    if y > 0 { y } else { y - 1 }
}

/// Calendar fields of a day (days since 1970-01-01), as `tm` would hold them.
pub(crate) struct Day {
    pub(crate) days: i64,
    pub(crate) year: i64,
    pub(crate) month: i64,
    pub(crate) mday: i64,
}

impl Day {
    pub(crate) fn new(days: i64) -> Day {
        let (y, m, d) = civil_from_days(days);
        Day {
            days,
            year: y,
            month: m as i64,
            mday: d as i64,
        }
    }

    pub(crate) fn dow(&self) -> i64 {
        (self.days + 4).rem_euclid(7)
    }

    /// ISO 8601 (year, week): the week holding the year's first Thursday is 1.
    pub(crate) fn iso_week(&self) -> (i64, i64) {
        let isodow = match self.dow() {
            0 => 7,
            d => d,
        };
        let thursday = self.days + 4 - isodow;
        let (iso_year, _, _) = civil_from_days(thursday);
        let week = (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
        (iso_year, week)
    }

    /// The fields every datetime type with a date part has, as integers.
    fn field(&self, unit: &str) -> Option<i64> {
        let y = self.year;
        Some(match unit {
            "year" => sql_year(y),
            "month" => self.month,
            "day" => self.mday,
            "quarter" => (self.month - 1) / 3 + 1,
            "decade" => match y >= 0 {
                true => y / 10,
                false => -((8 - (y - 1)) / 10),
            },
            "century" => match y > 0 {
                true => (y + 99) / 100,
                false => -((99 - (y - 1)) / 100),
            },
            "millennium" => match y > 0 {
                true => (y + 999) / 1000,
                false => -((999 - (y - 1)) / 1000),
            },
            "dow" => self.dow(),
            "isodow" => match self.dow() {
                0 => 7,
                d => d,
            },
            "doy" => self.days - days_from_civil(y, 1, 1) + 1,
            "week" => self.iso_week().1,
            "isoyear" => sql_year(self.iso_week().0),
            _ => return None,
        })
    }
}

/// Fields that stay infinite for an infinite value (the rest are NULL).
fn infinite_field(unit: &str) -> bool {
    matches!(
        unit,
        "year" | "decade" | "century" | "millennium" | "julian" | "isoyear" | "epoch"
    )
}

/// The value of the time-of-day fields of `tod` microseconds.
fn time_field(unit: &str, tod: i64) -> Option<Numeric> {
    let in_minute = tod.rem_euclid(USECS_PER_MINUTE) as i128;
    Some(match unit {
        "microseconds" => Numeric::new(in_minute, 0),
        "milliseconds" => Numeric::new(in_minute, 3),
        "second" => Numeric::new(in_minute, 6),
        "minute" => Numeric::from_i64(tod.rem_euclid(USECS_PER_HOUR) / USECS_PER_MINUTE),
        "hour" => Numeric::from_i64(tod.div_euclid(USECS_PER_HOUR)),
        _ => return None,
    })
}

/// EXTRACT of a timestamp: `ts` is UTC for a timestamp with time zone
/// (`zone` given) and the wall clock for one without.
fn of_timestamp(name: &str, ts: i64, zone: Option<TimeZone>) -> PgResult<Option<Numeric>> {
    let type_name = match zone {
        Some(_) => "timestamp with time zone",
        None => "timestamp without time zone",
    };
    let u = unit(name).ok_or_else(|| not_recognized(name, type_name))?;
    if zone.is_none() && u.starts_with("timezone") {
        return Err(not_supported(name, type_name));
    }
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(infinite_field(u).then_some(match ts == TS_POS_INF {
            true => Numeric::PosInf,
            false => Numeric::NegInf,
        }));
    }
    let offset = zone.map_or(0, |z| z.utc_offset(ts));
    let local = ts + i64::from(offset) * USECS_PER_SEC;
    let days = local.div_euclid(USECS_PER_DAY) + UNIX_EPOCH_DAYS;
    let tod = local.rem_euclid(USECS_PER_DAY);
    if let Some(n) = time_field(u, tod) {
        return Ok(Some(n));
    }
    if let Some(n) = Day::new(days).field(u) {
        return Ok(Some(Numeric::from_i64(n)));
    }
    Ok(Some(match u {
        "epoch" => Numeric::new(ts as i128 + (UNIX_EPOCH_DAYS * USECS_PER_DAY) as i128, 6),
        "julian" => {
            let fraction = Numeric::from_i64(tod).div(&Numeric::from_i64(USECS_PER_DAY))?;
            Numeric::from_i64(days + JULIAN_OF_UNIX_EPOCH).add(&fraction)?
        }
        "timezone" => Numeric::from_i64(offset.into()),
        "timezone_hour" => Numeric::from_i64((offset / 3600).into()),
        "timezone_minute" => Numeric::from_i64((offset / 60 % 60).into()),
        _ => return Err(not_supported(name, type_name)),
    }))
}

fn of_timetz(name: &str, t: &types::datum::datetime::TimeTz) -> PgResult<Numeric> {
    const TYPE: &str = "time with time zone";
    let u = unit(name).ok_or_else(|| not_recognized(name, TYPE))?;
    let east = -t.zone;
    Ok(match u {
        "epoch" => Numeric::new((t.micros + t.zone as i64 * USECS_PER_SEC).into(), 6),
        "timezone" => Numeric::from_i64(east.into()),
        "timezone_hour" => Numeric::from_i64((east / 3600).into()),
        "timezone_minute" => Numeric::from_i64((east / 60 % 60).into()),
        _ => time_field(u, t.micros).ok_or_else(|| not_supported(name, TYPE))?,
    })
}

fn of_date(name: &str, d: i32) -> PgResult<Option<Numeric>> {
    let u = unit(name).ok_or_else(|| not_recognized(name, "date"))?;
    if d == DATE_NEG_INF || d == DATE_POS_INF {
        if !infinite_field(u) && Day::new(0).field(u).is_none() {
            return Err(not_supported(name, "date"));
        }
        return Ok(infinite_field(u).then_some(match d == DATE_POS_INF {
            true => Numeric::PosInf,
            false => Numeric::NegInf,
        }));
    }
    let days = i64::from(d) + UNIX_EPOCH_DAYS;
    if let Some(n) = Day::new(days).field(u) {
        return Ok(Some(Numeric::from_i64(n)));
    }
    Ok(Some(match u {
        "epoch" => Numeric::from_i64(days * 86_400),
        "julian" => Numeric::from_i64(days + JULIAN_OF_UNIX_EPOCH),
        _ => return Err(not_supported(name, "date")),
    }))
}

fn of_time(name: &str, tod: i64) -> PgResult<Numeric> {
    const TYPE: &str = "time without time zone";
    let u = unit(name).ok_or_else(|| not_recognized(name, TYPE))?;
    match u {
        "epoch" => Ok(Numeric::new(tod.into(), 6)),
        _ => time_field(u, tod).ok_or_else(|| not_supported(name, TYPE)),
    }
}

fn of_interval(name: &str, iv: &Interval) -> PgResult<Numeric> {
    let u = unit(name).ok_or_else(|| not_recognized(name, "interval"))?;
    let year = i64::from(iv.months / 12);
    let month = i64::from(iv.months % 12);
    let in_minute = (iv.micros % USECS_PER_MINUTE) as i128;
    Ok(match u {
        "microseconds" => Numeric::new(in_minute, 0),
        "milliseconds" => Numeric::new(in_minute, 3),
        "second" => Numeric::new(in_minute, 6),
        "minute" => Numeric::from_i64(iv.micros % USECS_PER_HOUR / USECS_PER_MINUTE),
        "hour" => Numeric::from_i64(iv.micros / USECS_PER_HOUR),
        "day" => Numeric::from_i64(iv.days.into()),
        "month" => Numeric::from_i64(month),
        "quarter" => Numeric::from_i64(month / 3 + 1),
        "year" => Numeric::from_i64(year),
        "decade" => Numeric::from_i64(year / 10),
        "century" => Numeric::from_i64(year / 100),
        "millennium" => Numeric::from_i64(year / 1000),
        "epoch" => {
            // A year is 365.25 days, a month 30 (in microseconds: exact).
            let secs_micros = i128::from(year) * 36_525 * USECS_PER_DAY as i128 / 100
                + i128::from(month) * 30 * USECS_PER_DAY as i128
                + i128::from(iv.days) * USECS_PER_DAY as i128
                + iv.micros as i128;
            Numeric::new(secs_micros, 6)
        }
        _ => return Err(not_supported(name, "interval")),
    })
}

/// EXTRACT of any datetime value; None for a field an infinite value lacks.
fn extract(name: &str, value: &Datum, zone: TimeZone) -> PgResult<Option<Numeric>> {
    match value {
        Datum::Timestamp(ts) => of_timestamp(name, *ts, None),
        Datum::Timestamptz(ts) => of_timestamp(name, *ts, Some(zone)),
        Datum::Date(d) => of_date(name, *d),
        Datum::Time(t) => of_time(name, *t).map(Some),
        Datum::TimeTz(t) => of_timetz(name, t).map(Some),
        Datum::Interval(iv) => of_interval(name, iv).map(Some),
        other => Err(PgError::internal(format!("extract from {other:?}"))),
    }
}

/// Truncates wall-clock microseconds to the start of `u`.
fn trunc_local(u: &str, local: i64) -> Option<i64> {
    let days = local.div_euclid(USECS_PER_DAY) + UNIX_EPOCH_DAYS;
    let tod = local.rem_euclid(USECS_PER_DAY);
    let day = Day::new(days);
    let start_of = |d: i64| (d - UNIX_EPOCH_DAYS) * USECS_PER_DAY;
    let year_start = |y: i64| start_of(days_from_civil(y, 1, 1));
    // Years that start a decade, century or millennium, astronomically.
    let floor_to = |y: i64, n: i64, first: i64| first + (y - first).div_euclid(n) * n;
    Some(match u {
        "microseconds" => local,
        "milliseconds" => local - local.rem_euclid(1000),
        "second" => local - local.rem_euclid(USECS_PER_SEC),
        "minute" => local - local.rem_euclid(USECS_PER_MINUTE),
        "hour" => local - local.rem_euclid(USECS_PER_HOUR),
        "day" => local - tod,
        "week" => start_of(days - (day.dow() + 6) % 7),
        "month" => start_of(days_from_civil(day.year, day.month as u32, 1)),
        "quarter" => start_of(days_from_civil(
            day.year,
            ((day.month - 1) / 3 * 3 + 1) as u32,
            1,
        )),
        "year" => year_start(day.year),
        "decade" => year_start(floor_to(day.year, 10, 0)),
        "century" => year_start(floor_to(day.year, 100, 1)),
        "millennium" => year_start(floor_to(day.year, 1000, 1)),
        _ => return None,
    })
}

/// The zone argument of `AT TIME ZONE`, `timezone()` and `date_trunc()`:
/// an abbreviation or a zone name; a bare offset has POSIX's sign (west of
/// Greenwich is positive), as in `UTC+5`, unlike the TimeZone setting.
fn zone_named(name: &str) -> PgResult<TimeZone> {
    let not_recognized = || {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("time zone \"{name}\" not recognized"),
        )
    };
    if name.starts_with(['+', '-']) {
        return TimeZone::parse(&format!("UTC{name}")).map_err(|_| not_recognized());
    }
    TimeZone::parse_with_abbreviations(name).map_err(|_| not_recognized())
}

fn date_trunc(name: &str, value: &Datum, zone: TimeZone) -> PgResult<Datum> {
    let (type_name, ts, tz) = match value {
        Datum::Timestamp(ts) => ("timestamp without time zone", *ts, None),
        Datum::Timestamptz(ts) => ("timestamp with time zone", *ts, Some(zone)),
        Datum::Interval(iv) => return trunc_interval(name, iv).map(Datum::Interval),
        other => return Err(PgError::internal(format!("date_trunc of {other:?}"))),
    };
    let u = unit(name).ok_or_else(|| not_recognized(name, type_name))?;
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(value.clone());
    }
    let local = tz.map_or(ts, |z| z.to_local(ts));
    let t = trunc_local(u, local).ok_or_else(|| not_supported(name, type_name))?;
    Ok(match tz {
        // Units below a day keep the instant's own UTC offset.
        Some(_)
            if matches!(
                u,
                "microseconds" | "milliseconds" | "second" | "minute" | "hour"
            ) =>
        {
            Datum::Timestamptz(ts - (local - t))
        }
        Some(z) => Datum::Timestamptz(z.to_utc(t)),
        None => Datum::Timestamp(t),
    })
}

fn trunc_interval(name: &str, iv: &Interval) -> PgResult<Interval> {
    let u = unit(name).ok_or_else(|| not_recognized(name, "interval"))?;
    let years = iv.months / 12;
    let keep = |months: i32, days: i32, micros: i64| Interval {
        months,
        days,
        micros,
    };
    Ok(match u {
        "millennium" => keep(years / 1000 * 12000, 0, 0),
        "century" => keep(years / 100 * 1200, 0, 0),
        "decade" => keep(years / 10 * 120, 0, 0),
        "year" => keep(years * 12, 0, 0),
        "quarter" => keep(iv.months - iv.months % 3, 0, 0),
        "month" => keep(iv.months, 0, 0),
        "day" => keep(iv.months, iv.days, 0),
        "hour" => keep(iv.months, iv.days, iv.micros - iv.micros % USECS_PER_HOUR),
        "minute" => keep(iv.months, iv.days, iv.micros - iv.micros % USECS_PER_MINUTE),
        "second" => keep(iv.months, iv.days, iv.micros - iv.micros % USECS_PER_SEC),
        "milliseconds" => keep(iv.months, iv.days, iv.micros - iv.micros % 1000),
        "microseconds" => *iv,
        "week" => {
            return Err(not_supported(name, "interval")
                .with_detail("Months usually have fractional weeks."));
        }
        _ => return Err(not_supported(name, "interval")),
    })
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    let zone = ev.opts.zone();
    let field = |d: &Datum| match d {
        Datum::Text(s) => Ok(s.to_string()),
        other => Err(PgError::internal(format!("datetime field {other:?}"))),
    };
    Ok(Some(match (func, args) {
        ("extract", [f, v]) => extract(&field(f)?, v, zone)?.map_or(Datum::Null, Datum::Numeric),
        ("date_part", [f, v]) => {
            // date_part of a date is that of midnight as a timestamp.
            let v = match v {
                Datum::Date(d) if *d == DATE_NEG_INF => Datum::Timestamp(TS_NEG_INF),
                Datum::Date(d) if *d == DATE_POS_INF => Datum::Timestamp(TS_POS_INF),
                Datum::Date(d) => Datum::Timestamp(i64::from(*d) * USECS_PER_DAY),
                other => other.clone(),
            };
            extract(&field(f)?, &v, zone)?.map_or(Datum::Null, |n| Datum::Float8(n.to_f64()))
        }
        ("date_trunc", [f, v]) => date_trunc(&field(f)?, v, zone)?,
        // date_trunc(unit, timestamptz, zone): truncated on that zone's clock
        ("date_trunc", [f, v, z]) => date_trunc(&field(f)?, v, zone_named(&field(z)?)?)?,
        ("age", [a, b]) => age_of(a, b, zone)?,
        ("age", [b]) => {
            // From midnight of today, on the session's wall clock.
            let today = zone
                .to_local(ev.ctx.transaction_timestamp())
                .div_euclid(USECS_PER_DAY)
                * USECS_PER_DAY;
            let a = match b {
                Datum::Timestamptz(_) => Datum::Timestamptz(zone.to_utc(today)),
                _ => Datum::Timestamp(today),
            };
            age_of(&a, b, zone)?
        }
        // timetz AT TIME ZONE: the same instant on z's clock (a named zone's
        // offset as of now)
        ("timezone", [z, Datum::TimeTz(t)]) => {
            let west = match z {
                Datum::Interval(iv) => {
                    if iv.months != 0 || iv.days != 0 {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!(
                                "interval time zone \"{}\" must not include months or days",
                                z.to_text(&ev.opts)
                            ),
                        ));
                    }
                    -((iv.micros / USECS_PER_SEC) as i32)
                }
                _ => -zone_named(&field(z)?)?.utc_offset(ev.ctx.transaction_timestamp()),
            };
            let micros = (t.micros + (t.zone as i64 - west as i64) * USECS_PER_SEC)
                .rem_euclid(USECS_PER_DAY);
            Datum::TimeTz(types::datum::datetime::TimeTz { micros, zone: west })
        }
        // `x AT TIME ZONE z`: a wall clock in z to its instant, or back.
        ("timezone", [z, v]) => {
            let z = zone_named(&field(z)?)?;
            match v {
                Datum::Timestamp(t) if *t == TS_NEG_INF || *t == TS_POS_INF => {
                    Datum::Timestamptz(*t)
                }
                Datum::Timestamptz(t) if *t == TS_NEG_INF || *t == TS_POS_INF => {
                    Datum::Timestamp(*t)
                }
                Datum::Timestamp(t) => Datum::Timestamptz(z.to_utc(*t)),
                Datum::Timestamptz(t) => Datum::Timestamp(z.to_local(*t)),
                other => return Err(PgError::internal(format!("timezone of {other:?}"))),
            }
        }
        _ => return Ok(None),
    }))
}

/// Broken-down wall-clock time, for `age`.
struct Fields {
    year: i64,
    month: i64,
    mday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
}

fn fields_of(local: i64) -> Fields {
    let day = Day::new(local.div_euclid(USECS_PER_DAY) + UNIX_EPOCH_DAYS);
    let tod = local.rem_euclid(USECS_PER_DAY);
    Fields {
        year: day.year,
        month: day.month,
        mday: day.mday,
        hour: tod / USECS_PER_HOUR,
        minute: tod % USECS_PER_HOUR / USECS_PER_MINUTE,
        second: tod % USECS_PER_MINUTE / USECS_PER_SEC,
        micros: tod % USECS_PER_SEC,
    }
}

/// `age(a, b)`: a - b in years, months and days of the calendar (not 24-hour
/// days), each field subtracted separately and a negative one borrowing
/// from the next larger; a month borrowed is as long as the month of the
/// earlier value.
/// PostgreSQL 15 reads `infinity` as the last instant it can store (and
/// `-infinity` as out of range), and so does this.
fn age(a: i64, b: i64) -> PgResult<Interval> {
    if a == TS_NEG_INF || b == TS_NEG_INF {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            "timestamp out of range",
        ));
    }
    let (x, y) = (fields_of(a), fields_of(b));
    let sign = if a < b { -1 } else { 1 };
    let mut d = [
        x.micros - y.micros,
        x.second - y.second,
        x.minute - y.minute,
        x.hour - y.hour,
        x.mday - y.mday,
        x.month - y.month,
        x.year - y.year,
    ]
    .map(|v| v * sign);
    // Units of each field in the next larger one, for borrowing.
    for (i, unit) in [(0, USECS_PER_SEC), (1, 60), (2, 60), (3, 24)] {
        while d[i] < 0 {
            d[i] += unit;
            d[i + 1] -= 1;
        }
    }
    let earlier = if a < b { &x } else { &y };
    let month_len =
        types::datum::datetime::days_in_month(earlier.year, earlier.month as u32) as i64;
    while d[4] < 0 {
        d[4] += month_len;
        d[5] -= 1;
    }
    while d[5] < 0 {
        d[5] += 12;
        d[6] -= 1;
    }
    let d = d.map(|v| v * sign);
    let range = || PgError::new(SqlState::DatetimeFieldOverflow, "interval out of range");
    Ok(Interval {
        months: i32::try_from(d[6] * 12 + d[5]).map_err(|_| range())?,
        days: i32::try_from(d[4]).map_err(|_| range())?,
        micros: ((d[3] * 60 + d[2]) * 60 + d[1]) * USECS_PER_SEC + d[0],
    })
}

/// `age` of two values of one type, on the session's wall clock for
/// timestamps with time zone.
pub(crate) fn age_of(a: &Datum, b: &Datum, zone: TimeZone) -> PgResult<Datum> {
    let (a, b) = match (a, b) {
        (Datum::Timestamp(a), Datum::Timestamp(b)) => (*a, *b),
        (Datum::Timestamptz(a), Datum::Timestamptz(b)) => {
            let local = |t: i64| match t {
                TS_NEG_INF => t,
                // The offset of the last instant the zone's rules know.
                TS_POS_INF => {
                    t.saturating_add(i64::from(zone.utc_offset(TS_POS_INF - 1)) * USECS_PER_SEC)
                }
                t => zone.to_local(t),
            };
            (local(*a), local(*b))
        }
        _ => return Err(PgError::internal("age of mixed types")),
    };
    age(a, b).map(Datum::Interval)
}
