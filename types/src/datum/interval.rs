//! `interval` text input and output, and its type modifier, as PostgreSQL 15
//! has them.
//!
//! Input reads the postgres forms (`1 year 2 mons`, `-1 day +02:03`, `2 hours
//! ago`, `@ 1 minute`), the SQL standard forms (`1-2` years-months, `3
//! 4:05:06` days-time) and ISO 8601 (`P1Y2M3DT4H5M6S`, `P0001-02-03T04:05:06`).
//! The string is split into fields and the fields are read from right to
//! left, so that a unit applies to the number before it; a number with no unit
//! takes its unit from the type modifier's last field (`interval '2' hour`),
//! else it counts seconds. Fractions cascade down as PostgreSQL's do: a
//! fraction of a year to whole months only, of a month to 30-day days and
//! microseconds, of a day to microseconds.
//!
//! The type modifier holds a field range (`year to month`, `day to second`,
//! ...) in its upper 16 bits and the fractional-second precision in the lower
//! 16, PostgreSQL's layout, so that `pg_attribute.atttypmod` reads the same.
//! Fields below the range are cut off and seconds rounded to the precision
//! ([`adjust`]).
//!
//! Output follows `IntervalStyle` ([`IntervalStyle`]).

use super::datetime::{Interval, USECS_PER_DAY, USECS_PER_SEC};
use crate::{PgError, PgResult, SqlState};

const USECS_PER_HOUR: i64 = 3_600 * USECS_PER_SEC;
const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;

/// The range bits of a type modifier (PostgreSQL's `INTERVAL_MASK` values).
pub const MONTH: i32 = 1 << 1;
pub const YEAR: i32 = 1 << 2;
pub const DAY: i32 = 1 << 3;
pub const HOUR: i32 = 1 << 10;
pub const MINUTE: i32 = 1 << 11;
pub const SECOND: i32 = 1 << 12;
pub const FULL_RANGE: i32 = 0x7FFF;
pub const FULL_PRECISION: i32 = 0xFFFF;
pub const MAX_PRECISION: i32 = 6;

/// The ranges a type modifier can hold, with their SQL spelling.
const RANGES: [(i32, &str); 13] = [
    (YEAR, "year"),
    (MONTH, "month"),
    (DAY, "day"),
    (HOUR, "hour"),
    (MINUTE, "minute"),
    (SECOND, "second"),
    (YEAR | MONTH, "year to month"),
    (DAY | HOUR, "day to hour"),
    (DAY | HOUR | MINUTE, "day to minute"),
    (DAY | HOUR | MINUTE | SECOND, "day to second"),
    (HOUR | MINUTE, "hour to minute"),
    (HOUR | MINUTE | SECOND, "hour to second"),
    (MINUTE | SECOND, "minute to second"),
];

/// The field range of a type modifier (all fields for -1).
pub fn typmod_range(typmod: i32) -> i32 {
    if typmod < 0 {
        FULL_RANGE
    } else {
        (typmod >> 16) & FULL_RANGE
    }
}

/// The fractional-second precision of a type modifier ([`FULL_PRECISION`] if none).
pub fn typmod_precision(typmod: i32) -> i32 {
    if typmod < 0 {
        FULL_PRECISION
    } else {
        typmod & FULL_PRECISION
    }
}

/// The type modifier of `interval [range] [(precision)]`, as `intervaltypmodin`
/// makes it: -1 when neither is given; a precision above 6 becomes 6.
pub fn make_typmod(range: Option<i32>, precision: Option<i64>) -> PgResult<i32> {
    let range = range.unwrap_or(FULL_RANGE);
    if range != FULL_RANGE && !RANGES.iter().any(|r| r.0 == range) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "invalid INTERVAL type modifier",
        ));
    }
    Ok(match precision {
        None if range == FULL_RANGE => -1,
        None => (range << 16) | FULL_PRECISION,
        Some(p) if p < 0 => {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("INTERVAL({p}) precision must not be negative"),
            ));
        }
        Some(p) => (range << 16) | p.min(MAX_PRECISION as i64) as i32,
    })
}

/// `intervaltypmodout`: what follows `interval` in the type's name
/// (` day to second(3)`, `(2)`, ``).
pub fn typmod_suffix(typmod: i32) -> String {
    if typmod < 0 {
        return String::new();
    }
    let range = typmod_range(typmod);
    let mut s = RANGES
        .iter()
        .find(|r| r.0 == range)
        .map(|r| format!(" {}", r.1))
        .unwrap_or_default();
    let p = typmod_precision(typmod);
    if p != FULL_PRECISION {
        s.push_str(&format!("({p})"));
    }
    s
}

/// Applies a type modifier: fields right of the range's last one are cut off,
/// then the seconds are rounded to the precision (`AdjustIntervalForTypmod`).
pub fn adjust(mut iv: Interval, typmod: i32) -> PgResult<Interval> {
    if typmod < 0 {
        return Ok(iv);
    }
    let range = typmod_range(typmod);
    let truncate = |t: i64, unit: i64| (t / unit) * unit;
    match range {
        YEAR => {
            iv.months = (iv.months / 12) * 12;
            iv.days = 0;
            iv.micros = 0;
        }
        MONTH | 0x0006 => {
            iv.days = 0;
            iv.micros = 0;
        }
        DAY => iv.micros = 0,
        HOUR | 0x0408 => iv.micros = truncate(iv.micros, USECS_PER_HOUR),
        MINUTE | 0x0C08 | 0x0C00 => iv.micros = truncate(iv.micros, USECS_PER_MINUTE),
        _ => {}
    }
    let precision = typmod_precision(typmod);
    if precision != FULL_PRECISION {
        if !(0..=MAX_PRECISION).contains(&precision) {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("interval({precision}) precision must be between 0 and {MAX_PRECISION}"),
            ));
        }
        iv.micros = round_micros(iv.micros, precision);
    }
    Ok(iv)
}

/// Rounds microseconds to `precision` decimal places of a second, halves away
/// from zero.
pub fn round_micros(micros: i64, precision: i32) -> i64 {
    let scale = 10i64.pow((MAX_PRECISION - precision.clamp(0, MAX_PRECISION)) as u32);
    if scale == 1 {
        return micros;
    }
    let half = scale / 2;
    let round = |t: i64| (t.saturating_add(half) / scale) * scale;
    if micros >= 0 {
        round(micros)
    } else {
        -round(micros.saturating_neg())
    }
}

/// `IntervalStyle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalStyle {
    #[default]
    Postgres,
    PostgresVerbose,
    SqlStandard,
    Iso8601,
}

impl IntervalStyle {
    pub fn parse(s: &str) -> IntervalStyle {
        match s.to_ascii_lowercase().as_str() {
            "postgres_verbose" => IntervalStyle::PostgresVerbose,
            "sql_standard" => IntervalStyle::SqlStandard,
            "iso_8601" => IntervalStyle::Iso8601,
            _ => IntervalStyle::Postgres,
        }
    }
}

/// Why input failed: PostgreSQL's `DTERR_BAD_FORMAT` and `DTERR_FIELD_OVERFLOW`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Format,
    Overflow,
}

type R<T> = Result<T, Bad>;

/// The kinds of field the splitter finds (PostgreSQL's `DTK_NUMBER`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Date,
    Time,
    Signed,
    Word,
}

/// The units a word names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
    Century,
    Millennium,
    /// A unit the interval reader knows but cannot use (`quarter`, `timezone`).
    Unusable,
}

impl Unit {
    /// The bit a unit's number takes in the mask of fields seen.
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Bits for hours, minutes and seconds together (a `hh:mm:ss` field).
const TIME_BITS: u32 = (1 << Unit::Hour as u32) | (1 << Unit::Minute as u32) | ALL_SECOND_BITS;
/// Bits for seconds with a fraction (they fill milli- and microseconds too).
const ALL_SECOND_BITS: u32 =
    (1 << Unit::Second as u32) | (1 << Unit::Millisecond as u32) | (1 << Unit::Microsecond as u32);

/// The words of interval input; a word is looked up by its first ten letters.
fn unit_of(word: &str) -> Option<Option<Unit>> {
    let w = &word[..word.len().min(10)];
    use Unit::*;
    Some(Some(match w {
        "@" => return Some(None),
        "us" | "usec" | "usecs" | "useconds" | "microsecon" => Microsecond,
        "ms" | "msec" | "msecs" | "mseconds" | "millisecon" => Millisecond,
        "s" | "sec" | "secs" | "second" | "seconds" => Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Hour,
        "d" | "day" | "days" => Day,
        "w" | "week" | "weeks" => Week,
        "mon" | "mons" | "month" | "months" => Month,
        "y" | "yr" | "yrs" | "year" | "years" => Year,
        "dec" | "decs" | "decade" | "decades" => Decade,
        "c" | "cent" | "century" | "centuries" => Century,
        "mil" | "mils" | "millennia" | "millennium" => Millennium,
        "qtr" | "quarter" | "timezone" | "timezone_h" | "timezone_m" => Unusable,
        _ => return None,
    }))
}

/// The words of date and time input (PostgreSQL's `datetktbl`): such a word
/// stays a word when a digit or sign follows it (`2h30m`).
const DATE_WORDS: [&str; 71] = [
    "-infinity",
    "ad",
    "allballs",
    "am",
    "apr",
    "april",
    "at",
    "aug",
    "august",
    "bc",
    "d",
    "dec",
    "december",
    "dow",
    "doy",
    "dst",
    "epoch",
    "feb",
    "february",
    "fri",
    "friday",
    "h",
    "infinity",
    "isodow",
    "isoyear",
    "j",
    "jan",
    "january",
    "jd",
    "jul",
    "julian",
    "july",
    "jun",
    "june",
    "m",
    "mar",
    "march",
    "may",
    "mm",
    "mon",
    "monday",
    "nov",
    "november",
    "now",
    "oct",
    "october",
    "on",
    "pm",
    "s",
    "sat",
    "saturday",
    "sep",
    "sept",
    "september",
    "sun",
    "sunday",
    "t",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "today",
    "tomorrow",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "weds",
    "y",
    "yesterday",
];

/// The fields being added up (PostgreSQL's `pg_itm_in`).
#[derive(Debug, Default)]
struct Acc {
    micros: i64,
    days: i32,
    months: i32,
    years: i32,
}

impl Acc {
    fn add_micros(&mut self, val: i64, frac: f64, scale: i64) -> R<()> {
        self.micros = val
            .checked_mul(scale)
            .and_then(|p| self.micros.checked_add(p))
            .ok_or(Bad::Overflow)?;
        self.add_fraction_micros(frac, scale)
    }

    /// A fraction of `scale` microseconds, rounded half away from zero.
    fn add_fraction_micros(&mut self, frac: f64, scale: i64) -> R<()> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * scale as f64;
        let mut us = f as i64;
        let rest = f - us as f64;
        if rest > 0.5 {
            us += 1;
        } else if rest < -0.5 {
            us -= 1;
        }
        self.micros = self.micros.checked_add(us).ok_or(Bad::Overflow)?;
        Ok(())
    }

    /// A fraction of `scale` days: whole days, the rest as microseconds.
    fn add_fraction_days(&mut self, frac: f64, scale: i32) -> R<()> {
        if frac == 0.0 {
            return Ok(());
        }
        let f = frac * scale as f64;
        let extra = f as i32;
        self.days = self.days.checked_add(extra).ok_or(Bad::Overflow)?;
        self.add_fraction_micros(f - extra as f64, USECS_PER_DAY)
    }

    /// A fraction of `scale` years: whole months only.
    fn add_fraction_years(&mut self, frac: f64, scale: i32) -> R<()> {
        let extra = (frac * scale as f64 * 12.0).round_ties_even() as i32;
        self.months = self.months.checked_add(extra).ok_or(Bad::Overflow)?;
        Ok(())
    }

    fn add_days(&mut self, val: i64, scale: i32) -> R<()> {
        add_scaled(&mut self.days, val, scale)
    }

    fn add_months(&mut self, val: i64) -> R<()> {
        add_scaled(&mut self.months, val, 1)
    }

    fn add_years(&mut self, val: i64, scale: i32) -> R<()> {
        add_scaled(&mut self.years, val, scale)
    }

    fn add(&mut self, unit: Unit, val: i64, frac: f64) -> R<()> {
        match unit {
            Unit::Microsecond => self.add_micros(val, frac, 1),
            Unit::Millisecond => self.add_micros(val, frac, 1_000),
            Unit::Second => self.add_micros(val, frac, USECS_PER_SEC),
            Unit::Minute => self.add_micros(val, frac, USECS_PER_MINUTE),
            Unit::Hour => self.add_micros(val, frac, USECS_PER_HOUR),
            Unit::Day => {
                self.add_days(val, 1)?;
                self.add_fraction_micros(frac, USECS_PER_DAY)
            }
            Unit::Week => {
                self.add_days(val, 7)?;
                self.add_fraction_days(frac, 7)
            }
            Unit::Month => {
                self.add_months(val)?;
                self.add_fraction_days(frac, 30)
            }
            Unit::Year => {
                self.add_years(val, 1)?;
                self.add_fraction_years(frac, 1)
            }
            Unit::Decade => {
                self.add_years(val, 10)?;
                self.add_fraction_years(frac, 10)
            }
            Unit::Century => {
                self.add_years(val, 100)?;
                self.add_fraction_years(frac, 100)
            }
            Unit::Millennium => {
                self.add_years(val, 1000)?;
                self.add_fraction_years(frac, 1000)
            }
            Unit::Unusable => Err(Bad::Format),
        }
    }

    fn negate(&mut self) -> R<()> {
        self.micros = self.micros.checked_neg().ok_or(Bad::Overflow)?;
        self.days = self.days.checked_neg().ok_or(Bad::Overflow)?;
        self.months = self.months.checked_neg().ok_or(Bad::Overflow)?;
        self.years = self.years.checked_neg().ok_or(Bad::Overflow)?;
        Ok(())
    }
}

/// `field += val * scale` in 32 bits, failing on overflow.
fn add_scaled(field: &mut i32, val: i64, scale: i32) -> R<()> {
    *field = i32::try_from(val)
        .ok()
        .and_then(|v| v.checked_mul(scale))
        .and_then(|v| field.checked_add(v))
        .ok_or(Bad::Overflow)?;
    Ok(())
}

/// Splits interval input into fields, as PostgreSQL's `ParseDateTime` does:
/// numbers, `a-b` / `a/b` dates, `h:m:s` times, signed numbers and times,
/// words (lower-cased); other punctuation separates.
fn split(s: &str) -> R<Vec<(Kind, String)>> {
    let b = s.as_bytes();
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut i = 0;
    let take = |i: &mut usize, f: &mut String, ok: &dyn Fn(u8) -> bool| {
        while *i < b.len() && ok(b[*i]) {
            f.push(b[*i].to_ascii_lowercase() as char);
            *i += 1;
        }
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if out.len() >= 25 {
            return Err(Bad::Format);
        }
        let mut f = String::new();
        let kind;
        if c.is_ascii_digit() {
            take(&mut i, &mut f, &|c| c.is_ascii_digit());
            match b.get(i) {
                Some(b':') => {
                    kind = Kind::Time;
                    take(&mut i, &mut f, &|c| {
                        c.is_ascii_digit() || c == b':' || c == b'.'
                    });
                }
                Some(&d @ (b'-' | b'/' | b'.')) => {
                    f.push(d as char);
                    i += 1;
                    if b.get(i).is_some_and(u8::is_ascii_digit) {
                        take(&mut i, &mut f, &|c| c.is_ascii_digit());
                        if b.get(i) == Some(&d) {
                            kind = Kind::Date;
                            take(&mut i, &mut f, &|c| c.is_ascii_digit() || c == d);
                        } else {
                            kind = if d == b'.' { Kind::Number } else { Kind::Date };
                        }
                    } else {
                        kind = Kind::Date;
                        take(&mut i, &mut f, &|c| c.is_ascii_alphanumeric() || c == d);
                    }
                }
                _ => kind = Kind::Number,
            }
        } else if c == b'.' {
            f.push('.');
            i += 1;
            take(&mut i, &mut f, &|c| c.is_ascii_digit());
            kind = Kind::Number;
        } else if c.is_ascii_alphabetic() {
            take(&mut i, &mut f, &|c| c.is_ascii_alphabetic());
            // A word glued to what follows is a date word (and no unit),
            // unless it is one of the date/time words and a sign or digit follows.
            let glued = match b.get(i) {
                Some(b'-' | b'/' | b'.') => true,
                Some(c) if *c == b'+' || c.is_ascii_digit() => !DATE_WORDS.contains(&f.as_str()),
                _ => false,
            };
            if glued {
                kind = Kind::Date;
                f.push(b[i] as char);
                i += 1;
                take(&mut i, &mut f, &|c| {
                    c == b'+' || c == b'-' || c.is_ascii_alphanumeric()
                });
            } else {
                kind = Kind::Word;
            }
        } else if c == b'+' || c == b'-' {
            f.push(c as char);
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(d) if d.is_ascii_digit() => {
                    kind = Kind::Signed;
                    take(&mut i, &mut f, &|c| {
                        c.is_ascii_digit() || c == b':' || c == b'.' || c == b'-'
                    });
                }
                Some(a) if a.is_ascii_alphabetic() => {
                    kind = Kind::Word;
                    take(&mut i, &mut f, &|c| c.is_ascii_alphabetic());
                }
                _ => return Err(Bad::Format),
            }
        } else if c.is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return Err(Bad::Format);
        }
        out.push((kind, f));
    }
    Ok(out)
}

/// C's `strtol`: an optional sign and digits from the start of `s`; the value
/// and what follows (all of `s` when there are no digits).
fn leading_int(s: &str) -> R<(i64, &str)> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return Ok((0, s));
    }
    let v: i64 = s[..i].parse().map_err(|_| Bad::Overflow)?;
    Ok((v, &s[i..]))
}

/// A fraction `.ddd` (the whole rest of a field); `.` alone is zero.
fn fraction(s: &str) -> R<f64> {
    let digits = &s[1..];
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Bad::Format);
    }
    if digits.is_empty() {
        return Ok(0.0);
    }
    format!("0.{digits}").parse().map_err(|_| Bad::Format)
}

/// `h:m[:s[.f]]`, or `m:s.f` (and `m:s` in a `minute to second` range), in
/// microseconds (`DecodeTimeForInterval`).
fn time_field(s: &str, range: i32) -> R<i64> {
    let (mut hour, rest) = leading_int(s)?;
    let Some(rest) = rest.strip_prefix(':') else {
        return Err(Bad::Format);
    };
    let (mut min, rest) = leading_int(rest)?;
    i32::try_from(min).map_err(|_| Bad::Overflow)?;
    let (mut sec, mut fsec) = (0i64, 0i64);
    let minutes_seconds = |hour: &mut i64, min: &mut i64, sec: &mut i64| -> R<()> {
        i32::try_from(*hour).map_err(|_| Bad::Overflow)?;
        *sec = *min;
        *min = *hour;
        *hour = 0;
        Ok(())
    };
    if rest.is_empty() {
        if range == MINUTE | SECOND {
            minutes_seconds(&mut hour, &mut min, &mut sec)?;
        }
    } else if rest.starts_with('.') {
        fsec = (fraction(rest)? * 1e6).round_ties_even() as i64;
        minutes_seconds(&mut hour, &mut min, &mut sec)?;
    } else if let Some(rest) = rest.strip_prefix(':') {
        let (s2, rest) = leading_int(rest)?;
        i32::try_from(s2).map_err(|_| Bad::Overflow)?;
        sec = s2;
        if rest.starts_with('.') {
            fsec = (fraction(rest)? * 1e6).round_ties_even() as i64;
        } else if !rest.is_empty() {
            return Err(Bad::Format);
        }
    } else {
        return Err(Bad::Format);
    }
    if hour < 0
        || !(0..60).contains(&min)
        || !(0..=60).contains(&sec)
        || !(0..=USECS_PER_SEC).contains(&fsec)
    {
        return Err(Bad::Overflow);
    }
    hour.checked_mul(USECS_PER_HOUR)
        .and_then(|h| h.checked_add(min * USECS_PER_MINUTE + sec * USECS_PER_SEC + fsec))
        .ok_or(Bad::Overflow)
}

/// The unit of a number with no word after it, from the type modifier's range.
fn default_unit(range: i32) -> Unit {
    match range {
        YEAR => Unit::Year,
        MONTH | 0x0006 => Unit::Month,
        DAY => Unit::Day,
        HOUR | 0x0408 => Unit::Hour,
        MINUTE | 0x0C00 | 0x0C08 => Unit::Minute,
        _ => Unit::Second,
    }
}

/// Reads the fields right to left (`DecodeInterval`).
fn decode(fields: &[(Kind, String)], range: i32, style: IntervalStyle) -> R<Acc> {
    let mut acc = Acc::default();
    // In the SQL standard style a leading minus applies to every field, when no
    // other field has a sign of its own.
    let force_negative = style == IntervalStyle::SqlStandard
        && fields.first().is_some_and(|f| f.1.starts_with('-'))
        && !fields[1..]
            .iter()
            .any(|f| f.1.starts_with('-') || f.1.starts_with('+'));
    let mut ago = false;
    let mut seen: u32 = 0;
    // the unit for the next number; None until a word or a time sets it
    let mut unit: Option<Option<Unit>> = None;
    for (kind, f) in fields.iter().rev() {
        let mut mask = 0u32;
        let signed_time =
            *kind == Kind::Signed && f[1..].contains(':') && time_field(&f[1..], range).is_ok();
        if *kind == Kind::Time || signed_time {
            let mut us = if signed_time {
                let t = time_field(&f[1..], range)?;
                if f.starts_with('-') { -t } else { t }
            } else {
                time_field(f, range)?
            };
            if force_negative && us > 0 {
                us = -us;
            }
            // a time replaces the sub-day part read so far, as PostgreSQL's does
            acc.micros = us;
            mask = TIME_BITS;
            unit = Some(Some(Unit::Day));
        } else if matches!(kind, Kind::Number | Kind::Date | Kind::Signed) {
            let u = match unit {
                None => default_unit(range),
                Some(Some(u)) => u,
                // after "ago": no unit
                Some(None) => return Err(Bad::Format),
            };
            let (mut val, rest) = leading_int(f)?;
            let mut frac = 0.0;
            let mut u = u;
            if let Some(months) = rest.strip_prefix('-') {
                // SQL years-months
                let (m, rest) = leading_int(months)?;
                if !(0..12).contains(&m) {
                    return Err(Bad::Overflow);
                }
                if !rest.is_empty() {
                    return Err(Bad::Format);
                }
                u = Unit::Month;
                unit = Some(Some(Unit::Month));
                let m = if f.starts_with('-') { -m } else { m };
                val = val
                    .checked_mul(12)
                    .and_then(|v| v.checked_add(m))
                    .ok_or(Bad::Overflow)?;
            } else if rest.starts_with('.') {
                frac = fraction(rest)?;
                if f.starts_with('-') {
                    frac = -frac;
                }
            } else if !rest.is_empty() {
                return Err(Bad::Format);
            }
            if force_negative {
                if val > 0 {
                    val = -val;
                }
                if frac > 0.0 {
                    frac = -frac;
                }
            }
            acc.add(u, val, frac)?;
            mask = match u {
                Unit::Second if frac != 0.0 => ALL_SECOND_BITS,
                u => u.bit(),
            };
            if u == Unit::Hour {
                unit = Some(Some(Unit::Day));
            }
        } else if f == "ago" {
            ago = true;
            unit = Some(None);
        } else {
            match unit_of(f) {
                None => return Err(Bad::Format),
                Some(None) => continue,
                Some(Some(u)) => unit = Some(Some(u)),
            }
        }
        if mask & seen != 0 {
            return Err(Bad::Format);
        }
        seen |= mask;
    }
    if seen == 0 {
        return Err(Bad::Format);
    }
    if ago {
        acc.negate()?;
    }
    Ok(acc)
}

/// A number of ISO 8601 input (C's `strtod` from a digit, `-` or `.`), split
/// into its integer part and fraction; the rest of the string after it.
fn iso_number(s: &str) -> R<(i64, f64, &str)> {
    let b = s.as_bytes();
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b'-' || *c == b'.')
    {
        return Err(Bad::Format);
    }
    let mut i = usize::from(b[0] == b'-');
    let digits_from = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut any = i > digits_from;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        any |= i > f;
    }
    if !any {
        return Err(Bad::Format);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let v: f64 = s[..i].parse().map_err(|_| Bad::Format)?;
    if v.is_nan() || !(-1.0e15..=1.0e15).contains(&v) {
        return Err(Bad::Overflow);
    }
    let ipart = v.trunc();
    Ok((ipart as i64, v - ipart, &s[i..]))
}

/// Digits of the integer part of an ISO 8601 number (after a minus).
fn iso_int_width(s: &str) -> usize {
    s.trim_start_matches('-')
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count()
}

/// ISO 8601 with designators (`P1Y2M3DT4H5M6.5S`, `P2W`) or the alternative
/// format (`P0001-02-03T04:05:06`, `P00010203T040506`).
fn decode_iso(s: &str) -> R<Acc> {
    let mut acc = Acc::default();
    let Some(mut s) = s.strip_prefix('P').filter(|r| !r.is_empty()) else {
        return Err(Bad::Format);
    };
    let mut date_part = true;
    let mut have_field = false;
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix('T') {
            date_part = false;
            have_field = false;
            s = rest;
            continue;
        }
        let start = s;
        let (val, frac, rest) = iso_number(s)?;
        let unit = rest.bytes().next();
        s = rest.get(1..).unwrap_or("");
        if date_part {
            match unit {
                Some(b'Y') => acc.add(Unit::Year, val, frac)?,
                Some(b'M') => acc.add(Unit::Month, val, frac)?,
                Some(b'W') => acc.add(Unit::Week, val, frac)?,
                Some(b'D') => acc.add(Unit::Day, val, frac)?,
                Some(b'T') | None | Some(b'-') => {
                    if unit != Some(b'-') && iso_int_width(start) == 8 && !have_field {
                        // YYYYMMDD
                        acc.add_years(val / 10000, 1)?;
                        acc.add_months((val / 100) % 100)?;
                        acc.add_days(val % 100, 1)?;
                        acc.add_fraction_micros(frac, USECS_PER_DAY)?;
                        if unit.is_none() {
                            return Ok(acc);
                        }
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    // YYYY-MM-DD, each part optional from the right
                    if have_field {
                        return Err(Bad::Format);
                    }
                    acc.add(Unit::Year, val, frac)?;
                    match unit {
                        None => return Ok(acc),
                        Some(b'T') => {
                            date_part = false;
                            have_field = false;
                            continue;
                        }
                        _ => {}
                    }
                    let (val, frac, rest) = iso_number(s)?;
                    acc.add(Unit::Month, val, frac)?;
                    s = rest;
                    if s.is_empty() {
                        return Ok(acc);
                    }
                    if s.starts_with('T') {
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    let Some(rest) = s.strip_prefix('-') else {
                        return Err(Bad::Format);
                    };
                    let (val, frac, rest) = iso_number(rest)?;
                    acc.add(Unit::Day, val, frac)?;
                    s = rest;
                    if s.is_empty() {
                        return Ok(acc);
                    }
                    if s.starts_with('T') {
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    return Err(Bad::Format);
                }
                _ => return Err(Bad::Format),
            }
        } else {
            match unit {
                Some(b'H') => acc.add(Unit::Hour, val, frac)?,
                Some(b'M') => acc.add(Unit::Minute, val, frac)?,
                Some(b'S') => acc.add(Unit::Second, val, frac)?,
                None | Some(b':') => {
                    if unit.is_none() && iso_int_width(start) == 6 && !have_field {
                        // HHMMSS
                        acc.add_micros(val / 10000, 0.0, USECS_PER_HOUR)?;
                        acc.add_micros((val / 100) % 100, 0.0, USECS_PER_MINUTE)?;
                        acc.add_micros(val % 100, 0.0, USECS_PER_SEC)?;
                        acc.add_fraction_micros(frac, 1)?;
                        return Ok(acc);
                    }
                    // HH:MM:SS, each part optional from the right
                    if have_field {
                        return Err(Bad::Format);
                    }
                    acc.add(Unit::Hour, val, frac)?;
                    if unit.is_none() {
                        return Ok(acc);
                    }
                    let (val, frac, rest) = iso_number(s)?;
                    acc.add(Unit::Minute, val, frac)?;
                    if rest.is_empty() {
                        return Ok(acc);
                    }
                    let Some(rest) = rest.strip_prefix(':') else {
                        return Err(Bad::Format);
                    };
                    let (val, frac, rest) = iso_number(rest)?;
                    acc.add(Unit::Second, val, frac)?;
                    if rest.is_empty() {
                        return Ok(acc);
                    }
                    return Err(Bad::Format);
                }
                _ => return Err(Bad::Format),
            }
        }
        have_field = true;
    }
    Ok(acc)
}

/// `interval_in` with a type modifier (-1 for none) and the session's
/// `IntervalStyle` (which changes how a leading minus reads).
pub fn parse(s: &str, typmod: i32, style: IntervalStyle) -> PgResult<Interval> {
    let range = typmod_range(typmod);
    let read = split(s)
        .and_then(|f| decode(&f, range, style))
        .or_else(|e| {
            if e == Bad::Format {
                decode_iso(s)
            } else {
                Err(e)
            }
        });
    let acc = match read {
        Ok(a) => a,
        Err(Bad::Format) => {
            return Err(PgError::new(
                SqlState::InvalidDatetimeFormat,
                format!("invalid input syntax for type interval: \"{s}\""),
            ));
        }
        Err(Bad::Overflow) => {
            return Err(PgError::new(
                SqlState::IntervalFieldOverflow,
                format!("interval field value out of range: \"{s}\""),
            ));
        }
    };
    let months = acc.years as i64 * 12 + acc.months as i64;
    let months = i32::try_from(months).map_err(|_| out_of_range())?;
    adjust(
        Interval {
            months,
            days: acc.days,
            micros: acc.micros,
        },
        typmod,
    )
}

/// 22008 `interval out of range`.
pub fn out_of_range() -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, "interval out of range")
}

/// An interval split into the fields output shows (`interval2itm`).
struct Fields {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
}

impl Fields {
    fn of(iv: &Interval) -> Fields {
        let t = iv.micros;
        Fields {
            year: (iv.months / 12) as i64,
            mon: (iv.months % 12) as i64,
            mday: iv.days as i64,
            hour: t / USECS_PER_HOUR,
            min: (t % USECS_PER_HOUR) / USECS_PER_MINUTE,
            sec: (t % USECS_PER_MINUTE) / USECS_PER_SEC,
            fsec: t % USECS_PER_SEC,
        }
    }

    fn time_is_zero(&self) -> bool {
        self.hour == 0 && self.min == 0 && self.sec == 0 && self.fsec == 0
    }
}

/// Seconds without sign, two digits when `pad`, then the fraction without
/// trailing zeros.
fn push_seconds(out: &mut String, sec: i64, fsec: i64, pad: bool) {
    if pad {
        out.push_str(&format!("{:02}", sec.unsigned_abs()));
    } else {
        out.push_str(&sec.unsigned_abs().to_string());
    }
    if fsec != 0 {
        let f = format!("{:06}", fsec.unsigned_abs());
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `interval_out` in the given style.
pub fn format(iv: &Interval, style: IntervalStyle) -> String {
    let f = Fields::of(iv);
    let mut out = String::new();
    match style {
        IntervalStyle::Postgres => {
            let (mut is_zero, mut is_before) = (true, false);
            for (v, unit) in [(f.year, "year"), (f.mon, "mon"), (f.mday, "day")] {
                if v == 0 {
                    continue;
                }
                out.push_str(&format!(
                    "{}{}{v} {unit}{}",
                    if is_zero { "" } else { " " },
                    if is_before && v > 0 { "+" } else { "" },
                    if v != 1 { "s" } else { "" }
                ));
                is_before = v < 0;
                is_zero = false;
            }
            if is_zero || !f.time_is_zero() {
                let minus = f.hour < 0 || f.min < 0 || f.sec < 0 || f.fsec < 0;
                out.push_str(&format!(
                    "{}{}{:02}:{:02}:",
                    if is_zero { "" } else { " " },
                    if minus {
                        "-"
                    } else if is_before {
                        "+"
                    } else {
                        ""
                    },
                    f.hour.unsigned_abs(),
                    f.min.unsigned_abs()
                ));
                push_seconds(&mut out, f.sec, f.fsec, true);
            }
        }
        IntervalStyle::PostgresVerbose => {
            let (mut is_zero, mut is_before) = (true, false);
            out.push('@');
            for (v, unit) in [
                (f.year, "year"),
                (f.mon, "mon"),
                (f.mday, "day"),
                (f.hour, "hour"),
                (f.min, "min"),
            ] {
                if v == 0 {
                    continue;
                }
                let v = if is_zero {
                    is_before = v < 0;
                    v.abs()
                } else if is_before {
                    -v
                } else {
                    v
                };
                out.push_str(&format!(" {v} {unit}{}", if v == 1 { "" } else { "s" }));
                is_zero = false;
            }
            if f.sec != 0 || f.fsec != 0 {
                out.push(' ');
                if f.sec < 0 || (f.sec == 0 && f.fsec < 0) {
                    if is_zero {
                        is_before = true;
                    } else if !is_before {
                        out.push('-');
                    }
                } else if is_before {
                    out.push('-');
                }
                push_seconds(&mut out, f.sec, f.fsec, false);
                out.push_str(if f.sec.abs() != 1 || f.fsec != 0 {
                    " secs"
                } else {
                    " sec"
                });
                is_zero = false;
            }
            if is_zero {
                out.push_str(" 0");
            }
            if is_before {
                out.push_str(" ago");
            }
        }
        IntervalStyle::SqlStandard => {
            let all = [f.year, f.mon, f.mday, f.hour, f.min, f.sec, f.fsec];
            let has_negative = all.iter().any(|v| *v < 0);
            let has_positive = all.iter().any(|v| *v > 0);
            let has_year_month = f.year != 0 || f.mon != 0;
            let has_day_time = f.mday != 0 || !f.time_is_zero();
            let standard = !(has_negative && has_positive || has_year_month && has_day_time);
            let sign = if has_negative && standard {
                out.push('-');
                -1
            } else {
                1
            };
            let [year, mon, mday, hour, min, sec, fsec] = all.map(|v| v * sign);
            if !has_negative && !has_positive {
                out.push('0');
            } else if !standard {
                let ys = if year < 0 || mon < 0 { '-' } else { '+' };
                let ds = if mday < 0 { '-' } else { '+' };
                let ts = if hour < 0 || min < 0 || sec < 0 || fsec < 0 {
                    '-'
                } else {
                    '+'
                };
                out.push_str(&format!(
                    "{ys}{}-{} {ds}{} {ts}{}:{:02}:",
                    year.abs(),
                    mon.abs(),
                    mday.abs(),
                    hour.abs(),
                    min.abs()
                ));
                push_seconds(&mut out, sec, fsec, true);
            } else if has_year_month {
                out.push_str(&format!("{year}-{mon}"));
            } else {
                if mday != 0 {
                    out.push_str(&format!("{mday} "));
                }
                out.push_str(&format!("{hour}:{:02}:", min));
                push_seconds(&mut out, sec, fsec, true);
            }
        }
        IntervalStyle::Iso8601 => {
            if f.year == 0 && f.mon == 0 && f.mday == 0 && f.time_is_zero() {
                return "PT0S".into();
            }
            out.push('P');
            let part = |out: &mut String, v: i64, u: char| {
                if v != 0 {
                    out.push_str(&format!("{v}{u}"));
                }
            };
            part(&mut out, f.year, 'Y');
            part(&mut out, f.mon, 'M');
            part(&mut out, f.mday, 'D');
            if !f.time_is_zero() {
                out.push('T');
            }
            part(&mut out, f.hour, 'H');
            part(&mut out, f.min, 'M');
            if f.sec != 0 || f.fsec != 0 {
                if f.sec < 0 || f.fsec < 0 {
                    out.push('-');
                }
                push_seconds(&mut out, f.sec, f.fsec, false);
                out.push('S');
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn show(s: &str, typmod: i32) -> String {
        format(
            &parse(s, typmod, IntervalStyle::Postgres).unwrap(),
            IntervalStyle::Postgres,
        )
    }

    /// Expectations from PostgreSQL 15.
    #[test]
    fn postgres_input() {
        assert_eq!(
            show("1 year 2 mons 3 days 04:05:06.789", -1),
            "1 year 2 mons 3 days 04:05:06.789"
        );
        assert_eq!(show("-1 day +02:03", -1), "-1 days +02:03:00");
        assert_eq!(show("1.5 years", -1), "1 year 6 mons");
        assert_eq!(show("0.1 year", -1), "1 mon");
        assert_eq!(show("1.5 months", -1), "1 mon 15 days");
        assert_eq!(show("@ 1 minute ago", -1), "-00:01:00");
        assert_eq!(show("1 2:03", -1), "1 day 02:03:00");
        assert_eq!(show("1-2", -1), "1 year 2 mons");
        assert_eq!(show("5", -1), "00:00:05");
        assert_eq!(show("2h30m", -1), "02:30:00");
        assert!(parse("1 day 2 days", -1, IntervalStyle::Postgres).is_err());
        assert_eq!(
            parse("2147483648 days", -1, IntervalStyle::Postgres)
                .unwrap_err()
                .code,
            SqlState::IntervalFieldOverflow
        );
    }

    #[test]
    fn typmod_ranges() {
        let year = make_typmod(Some(YEAR), None).unwrap();
        let d2m = make_typmod(Some(DAY | HOUR | MINUTE), None).unwrap();
        let m2s = make_typmod(Some(MINUTE | SECOND), None).unwrap();
        assert_eq!(show("1", year), "1 year");
        assert_eq!(show("1 2:03:04", d2m), "1 day 02:03:00");
        assert_eq!(show("1:02", m2s), "00:01:02");
        assert_eq!(
            show("1.234567", make_typmod(None, Some(2)).unwrap()),
            "00:00:01.23"
        );
        assert_eq!(typmod_suffix(d2m), " day to minute");
        assert_eq!(
            typmod_suffix(make_typmod(Some(DAY | HOUR | MINUTE | SECOND), Some(3)).unwrap()),
            " day to second(3)"
        );
    }

    #[test]
    fn iso_8601() {
        assert_eq!(show("P1Y2M3DT4H5M6S", -1), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(
            show("P0001-02-03T04:05:06", -1),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(show("PT1.5H", -1), "01:30:00");
        assert_eq!(show("P2W", -1), "14 days");
    }

    #[test]
    fn output_styles() {
        let iv = parse(
            "1 year 2 mons -3 days +04:05:06.5",
            -1,
            IntervalStyle::Postgres,
        )
        .unwrap();
        assert_eq!(
            format(&iv, IntervalStyle::SqlStandard),
            "+1-2 -3 +4:05:06.5"
        );
        assert_eq!(format(&iv, IntervalStyle::Iso8601), "P1Y2M-3DT4H5M6.5S");
        assert_eq!(
            format(&iv, IntervalStyle::PostgresVerbose),
            "@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs"
        );
        let neg = parse("-1 day -02:00", -1, IntervalStyle::Postgres).unwrap();
        assert_eq!(format(&neg, IntervalStyle::SqlStandard), "-1 2:00:00");
        assert_eq!(
            format(&neg, IntervalStyle::PostgresVerbose),
            "@ 1 day 2 hours ago"
        );
    }
}
