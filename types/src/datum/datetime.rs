//! `date`, `timestamp`, `timestamptz` and `interval`: calendar arithmetic, text
//! input and output (ISO DateStyle, postgres IntervalStyle) and time zones.
//!
//! Values count from PostgreSQL's epoch, 2000-01-01 00:00:00 UTC: dates in days,
//! timestamps in microseconds; `i64::MIN`/`i64::MAX` (and `i32::MIN`/`i32::MAX` for
//! dates) are `-infinity`/`infinity`.
//!
//! Short of PostgreSQL: time zones are only UTC and fixed offsets ([`TimeZone`]);
//! Olson names with daylight-saving rules (`Europe/Paris`) are rejected by
//! [`TimeZone::parse`] with 0A000, so a session can never print a wrong offset. Only
//! the ISO DateStyle and the postgres IntervalStyle are produced; text input takes
//! ISO dates (`2026-11-25`), ISO timestamps with an optional zone, `epoch`,
//! `infinity`, and the common interval forms (`1 day 02:00:00`, `2 hours ago`).

use crate::{PgError, PgResult, SqlState};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
/// Days from 1970-01-01 to 2000-01-01.
pub const UNIX_EPOCH_DAYS: i64 = 10_957;
pub const DATE_NEG_INF: i32 = i32::MIN;
pub const DATE_POS_INF: i32 = i32::MAX;
pub const TS_NEG_INF: i64 = i64::MIN;
pub const TS_POS_INF: i64 = i64::MAX;

/// An `interval`: months, days and microseconds kept apart, as in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// The comparison key PostgreSQL uses (30-day months, 24-hour days).
    pub fn cmp_key(&self) -> i128 {
        (self.months as i128 * 30 + self.days as i128) * USECS_PER_DAY as i128 + self.micros as i128
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A session time zone: UTC or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    /// Seconds east of Greenwich (ISO sign: +05:30 is India).
    pub offset_secs: i32,
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone { offset_secs: 0 };

    /// Parses a `TimeZone` setting: UTC and its aliases, `Etc/GMT+5`, POSIX offsets
    /// without daylight rules (`UTC+5`, `<-08>+08`, `+05:30`: POSIX signs count west).
    pub fn parse(name: &str) -> PgResult<TimeZone> {
        let n = name.trim();
        let lower = n.to_ascii_lowercase();
        match lower.as_str() {
            "utc" | "etc/utc" | "gmt" | "etc/gmt" | "z" | "zulu" | "uct" | "etc/uct" | "universal"
            | "etc/universal" | "etc/zulu" | "greenwich" | "etc/greenwich" | "gmt0" | "etc/gmt0"
            | "gmt+0" | "gmt-0" | "etc/gmt+0" | "etc/gmt-0" => return Ok(TimeZone::UTC),
            _ => {}
        }
        let unsupported =
            || PgError::feature_not_supported(format!("time zone \"{n}\" (only UTC and fixed offsets)"));
        let rest = if let Some(r) = lower.strip_prefix("etc/gmt") {
            r
        } else if let Some(r) = n.strip_prefix('<') {
            match r.split_once('>') {
                Some((_, after)) => after,
                None => return Err(unsupported()),
            }
        } else {
            let alpha = n.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
            if alpha != 0 && alpha < 3 {
                return Err(unsupported());
            }
            &n[alpha..]
        };
        let west = parse_offset(rest).ok_or_else(unsupported)?;
        if west.abs() > 15 * 3600 {
            return Err(unsupported());
        }
        Ok(TimeZone { offset_secs: -west })
    }
}

/// `[+-]hh[:mm[:ss]]` (also `hhmm`) in seconds, sign as written.
fn parse_offset(s: &str) -> Option<i32> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        b'0'..=b'9' => (false, s),
        _ => return None,
    };
    let parts: Vec<&str> = body.split(':').collect();
    if parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) || parts.len() > 3 {
        return None;
    }
    let (h, m, sec) = if parts.len() == 1 && parts[0].len() > 2 {
        let p = parts[0];
        if p.len() != 4 {
            return None;
        }
        (p[..2].parse::<i32>().ok()?, p[2..].parse::<i32>().ok()?, 0)
    } else {
        (
            parts[0].parse::<i32>().ok()?,
            parts.get(1).map_or(Some(0), |p| p.parse().ok())?,
            parts.get(2).map_or(Some(0), |p| p.parse().ok())?,
        )
    };
    if m >= 60 || sec >= 60 || h > 15 {
        return None;
    }
    let v = h * 3600 + m * 60 + sec;
    Some(if neg { -v } else { v })
}

/// `+05:30`, `-08`, `+00` as timestamptz output shows an offset east of UTC.
pub fn format_offset(offset_secs: i32) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let a = offset_secs.abs();
    let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
    if s != 0 {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    } else if m != 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}")
    }
}

fn format_ymd(y: i64, m: u32, d: u32) -> (String, bool) {
    if y <= 0 {
        (format!("{:04}-{m:02}-{d:02}", 1 - y), true)
    } else {
        (format!("{y:04}-{m:02}-{d:02}"), false)
    }
}

/// `date_out` in ISO style.
pub fn format_date(days: i32) -> String {
    match days {
        DATE_NEG_INF => "-infinity".into(),
        DATE_POS_INF => "infinity".into(),
        _ => {
            let (y, m, d) = civil_from_days(days as i64 + UNIX_EPOCH_DAYS);
            let (s, bc) = format_ymd(y, m, d);
            if bc { format!("{s} BC") } else { s }
        }
    }
}

fn format_time_of_day(micros: i64) -> String {
    let secs = micros / USECS_PER_SEC;
    let frac = micros % USECS_PER_SEC;
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// `time_out`.
pub fn format_time(micros: i64) -> String {
    format_time_of_day(micros)
}

/// `timestamp_out` (`offset` = Some for timestamptz: the zone's offset in seconds).
pub fn format_timestamp(ts: i64, zone: Option<TimeZone>) -> String {
    match ts {
        TS_NEG_INF => return "-infinity".into(),
        TS_POS_INF => return "infinity".into(),
        _ => {}
    }
    let off = zone.map_or(0, |z| z.offset_secs as i64);
    let local = ts + off * USECS_PER_SEC;
    let days = local.div_euclid(USECS_PER_DAY);
    let tod = local.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days + UNIX_EPOCH_DAYS);
    let (date, bc) = format_ymd(y, m, d);
    let mut s = format!("{date} {}", format_time_of_day(tod));
    if let Some(z) = zone {
        s.push_str(&format_offset(z.offset_secs));
    }
    if bc {
        s.push_str(" BC");
    }
    s
}

/// `interval_out` in the postgres IntervalStyle.
pub fn format_interval(iv: &Interval) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut any_negative = false;
    let years = iv.months / 12;
    let months = iv.months % 12;
    let mut push = |v: i64, unit: &str, parts: &mut Vec<String>| {
        if v != 0 {
            any_negative |= v < 0;
            let plural = if v == 1 { "" } else { "s" };
            parts.push(format!("{v} {unit}{plural}"));
        }
    };
    push(years as i64, "year", &mut parts);
    push(months as i64, "mon", &mut parts);
    push(iv.days as i64, "day", &mut parts);
    if iv.micros != 0 || parts.is_empty() {
        let neg = iv.micros < 0;
        let t = format_time_of_day(iv.micros.unsigned_abs().min(i64::MAX as u64) as i64);
        let sign = if neg {
            "-"
        } else if any_negative {
            "+"
        } else {
            ""
        };
        parts.push(format!("{sign}{t}"));
    }
    parts.join(" ")
}

fn bad_syntax(type_name: &str, s: &str) -> PgError {
    PgError::new(
        SqlState::InvalidDatetimeFormat,
        format!("invalid input syntax for type {type_name}: \"{s}\""),
    )
}

fn out_of_range(what: &str, s: &str) -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, format!("{what} out of range: \"{s}\""))
}

/// Reads `YYYY-MM-DD` at the start of `s`; returns days since 1970 and the rest.
fn parse_ymd<'a>(s: &'a str, type_name: &str, orig: &str) -> PgResult<(i64, &'a str)> {
    let mut it = s.splitn(3, '-');
    let y = it.next().unwrap_or("");
    let m = it.next().unwrap_or("");
    let rest = it.next().unwrap_or("");
    let dlen = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
    let d = &rest[..dlen];
    let ok = |p: &str| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit());
    if !ok(y) || !ok(m) || !ok(d) || y.len() < 3 && y.len() != 2 && y.len() != 1 && y.len() != 4 {
        return Err(bad_syntax(type_name, orig));
    }
    let (yv, mv, dv): (i64, u32, u32) = (
        y.parse().map_err(|_| bad_syntax(type_name, orig))?,
        m.parse().map_err(|_| bad_syntax(type_name, orig))?,
        d.parse().map_err(|_| bad_syntax(type_name, orig))?,
    );
    let yv = if y.len() <= 2 { if yv < 70 { 2000 + yv } else { 1900 + yv } } else { yv };
    if !(1..=12).contains(&mv) || dv < 1 || dv > days_in_month(yv, mv) {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("date/time field value out of range: \"{orig}\""),
        ));
    }
    Ok((days_from_civil(yv, mv, dv), &rest[dlen..]))
}

/// Parses a time of day `HH:MM[:SS[.ffffff]]` in micros.
fn parse_hms(s: &str) -> Option<i64> {
    let mut it = s.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec = it.next().unwrap_or("0");
    if it.next().is_some() || !(0..=24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sv: i64 = whole.parse().ok()?;
    if sv > 60 {
        return None;
    }
    let mut f = format!("{frac:0<7}");
    f.truncate(7);
    let f7: i64 = f.parse().ok()?;
    let fm = (f7 + 5) / 10; // round to microseconds
    let v = ((h * 60 + m) * 60 + sv) * USECS_PER_SEC + fm;
    if v > USECS_PER_DAY {
        return None;
    }
    Some(v)
}

/// `date_in`.
pub fn parse_date(s: &str) -> PgResult<i32> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Ok(DATE_POS_INF),
        "-infinity" => return Ok(DATE_NEG_INF),
        "epoch" => return Ok(-(UNIX_EPOCH_DAYS as i32)),
        "now" | "today" | "tomorrow" | "yesterday" => {
            return Err(PgError::feature_not_supported(format!("date input \"{t}\"")));
        }
        _ => {}
    }
    let (body, bc) = strip_bc(t);
    let (days, rest) = parse_ymd(body, "date", s)?;
    let rest = rest.trim_start_matches(['T', ' ']);
    if !rest.is_empty() {
        // a time part is accepted and ignored, as PostgreSQL does
        let (time, _zone) = split_zone(rest);
        if parse_hms(time.trim()).is_none() {
            return Err(bad_syntax("date", s));
        }
    }
    let days = apply_bc(days, bc);
    let d = days - UNIX_EPOCH_DAYS;
    i32::try_from(d).map_err(|_| out_of_range("date", s))
}

fn strip_bc(t: &str) -> (&str, bool) {
    let lower = t.to_ascii_lowercase();
    if lower.ends_with(" bc") {
        (t[..t.len() - 3].trim_end(), true)
    } else if lower.ends_with(" ad") {
        (t[..t.len() - 3].trim_end(), false)
    } else {
        (t, false)
    }
}

fn apply_bc(days: i64, bc: bool) -> i64 {
    if !bc {
        return days;
    }
    // year Y BC is proleptic year 1 - Y
    let (y, m, d) = civil_from_days(days);
    days_from_civil(1 - y, m, d)
}

/// Splits a trailing zone (`Z`, `+05:30`, `-08`, ` UTC`) off a time string.
fn split_zone(s: &str) -> (&str, Option<&str>) {
    let t = s.trim_end();
    let lower = t.to_ascii_lowercase();
    for name in ["utc", "gmt", "z"] {
        if lower.ends_with(name) {
            let head = &t[..t.len() - name.len()];
            if head.ends_with(|c: char| c.is_ascii_digit() || c == ' ') {
                return (head.trim_end(), Some(&t[t.len() - name.len()..]));
            }
        }
    }
    if let Some(pos) = t.rfind(['+', '-'])
        && pos > 0
    {
        return (t[..pos].trim_end(), Some(&t[pos..]));
    }
    (t, None)
}

/// `timestamp_in` / `timestamptz_in`. For timestamptz a value without a zone is in
/// `zone`; for timestamp any zone written is ignored, as PostgreSQL does.
pub fn parse_timestamp(s: &str, with_tz: bool, zone: TimeZone) -> PgResult<i64> {
    let type_name = if with_tz { "timestamp with time zone" } else { "timestamp" };
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Ok(TS_POS_INF),
        "-infinity" => return Ok(TS_NEG_INF),
        "epoch" => return Ok(-UNIX_EPOCH_DAYS * USECS_PER_DAY),
        "now" | "today" | "tomorrow" | "yesterday" | "allballs" => {
            return Err(PgError::feature_not_supported(format!("{type_name} input \"{t}\"")));
        }
        _ => {}
    }
    let (body, bc) = strip_bc(t);
    let (days, rest) = parse_ymd(body, type_name, s)?;
    let days = apply_bc(days, bc) - UNIX_EPOCH_DAYS;
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest).trim_start();
    let mut micros = 0;
    let mut offset: Option<i64> = None;
    if !rest.is_empty() {
        let (time, z) = split_zone(rest);
        if time.is_empty() {
            return Err(bad_syntax(type_name, s));
        }
        micros = parse_hms(time).ok_or_else(|| bad_syntax(type_name, s))?;
        if let Some(z) = z {
            let zl = z.to_ascii_lowercase();
            let secs = if zl == "z" || zl == "utc" || zl == "gmt" {
                0
            } else {
                parse_offset(z).ok_or_else(|| bad_syntax(type_name, s))?
            };
            offset = Some(secs as i64);
        }
    }
    let local = (days as i128) * USECS_PER_DAY as i128 + micros as i128;
    let v = if with_tz {
        let off = offset.unwrap_or(zone.offset_secs as i64);
        local - off as i128 * USECS_PER_SEC as i128
    } else {
        local
    };
    // PostgreSQL's range: 4714-11-24 BC .. 294276 AD
    let min = (days_from_civil(-4713, 11, 24) - UNIX_EPOCH_DAYS) as i128 * USECS_PER_DAY as i128;
    let max = (days_from_civil(294_277, 1, 1) - UNIX_EPOCH_DAYS) as i128 * USECS_PER_DAY as i128;
    if v < min || v >= max {
        return Err(out_of_range("timestamp", s));
    }
    Ok(v as i64)
}

/// `time_in` (without zone).
pub fn parse_time(s: &str) -> PgResult<i64> {
    parse_hms(s.trim()).ok_or_else(|| bad_syntax("time", s))
}

/// `interval_in` for the postgres and SQL forms: `1 year 2 mons`, `-1 day +02:00:00`,
/// `1.5 hours`, `@ 3 days ago`, a bare number of seconds.
pub fn parse_interval(s: &str) -> PgResult<Interval> {
    let bad = || bad_syntax("interval", s);
    let range = || PgError::new(SqlState::DatetimeFieldOverflow, format!("interval field value out of range: \"{s}\""));
    let lower = s.trim().to_ascii_lowercase();
    let mut toks: Vec<&str> = lower.split_whitespace().collect();
    if toks.first() == Some(&"@") {
        toks.remove(0);
    }
    let mut ago = false;
    if toks.last() == Some(&"ago") {
        ago = true;
        toks.pop();
    }
    if toks.is_empty() {
        return Err(bad());
    }
    let (mut months, mut days, mut micros): (f64, f64, i128) = (0.0, 0.0, 0);
    let mut i = 0;
    while i < toks.len() {
        let tok = toks[i];
        if tok.contains(':') {
            let (neg, body) = match tok.as_bytes()[0] {
                b'-' => (true, &tok[1..]),
                b'+' => (false, &tok[1..]),
                _ => (false, tok),
            };
            let parts: Vec<&str> = body.split(':').collect();
            if parts.len() > 3 {
                return Err(bad());
            }
            let h: i64 = parts[0].parse().map_err(|_| bad())?;
            let m: i64 = parts.get(1).unwrap_or(&"0").parse().map_err(|_| bad())?;
            let sec: f64 = parts.get(2).unwrap_or(&"0").parse().map_err(|_| bad())?;
            let v = (h * 3600 + m * 60) as i128 * USECS_PER_SEC as i128 + (sec * 1e6).round() as i128;
            micros += if neg { -v } else { v };
            i += 1;
            continue;
        }
        // number possibly glued to its unit ("2h")
        let split = tok
            .char_indices()
            .find(|(i, c)| c.is_ascii_alphabetic() && *i > 0)
            .map(|(i, _)| i);
        let (num, unit) = match split {
            Some(p) => (&tok[..p], &tok[p..]),
            None => {
                i += 1;
                (tok, toks.get(i).copied().unwrap_or("second"))
            }
        };
        let v: f64 = num.parse().map_err(|_| bad())?;
        if !v.is_finite() {
            return Err(bad());
        }
        match unit {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => micros += v.round() as i128,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => micros += (v * 1e3).round() as i128,
            "second" | "seconds" | "s" | "sec" | "secs" => micros += (v * 1e6).round() as i128,
            "minute" | "minutes" | "m" | "min" | "mins" => micros += (v * 60e6).round() as i128,
            "hour" | "hours" | "h" | "hr" | "hrs" => micros += (v * 3600e6).round() as i128,
            "day" | "days" | "d" => days += v,
            "week" | "weeks" | "w" => days += v * 7.0,
            "month" | "months" | "mon" | "mons" => months += v,
            "year" | "years" | "y" | "yr" | "yrs" => months += v * 12.0,
            "decade" | "decades" => months += v * 120.0,
            "century" | "centuries" => months += v * 1200.0,
            "millennium" | "millennia" | "millenniums" => months += v * 12000.0,
            _ => return Err(bad()),
        }
        i += 1;
    }
    // cascade fractions down: months -> days (30), days -> micros
    let whole_months = months.trunc();
    days += (months - whole_months) * 30.0;
    let whole_days = days.trunc();
    micros += ((days - whole_days) * USECS_PER_DAY as f64).round() as i128;
    let sign = if ago { -1 } else { 1 };
    let months = i32::try_from(whole_months as i64 * sign).map_err(|_| range())?;
    let days = i32::try_from(whole_days as i64 * sign).map_err(|_| range())?;
    let micros = i64::try_from(micros * sign as i128).map_err(|_| range())?;
    Ok(Interval { months, days, micros })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_date(0), "2000-01-01");
        assert_eq!(parse_date("2026-11-25").map(format_date).unwrap(), "2026-11-25");
        assert_eq!(parse_date("epoch").map(format_date).unwrap(), "1970-01-01");
        assert_eq!(parse_date("0001-01-01 BC").map(format_date).unwrap(), "0001-01-01 BC");
        assert_eq!(parse_date("2026-02-30").unwrap_err().code, SqlState::DatetimeFieldOverflow);
        assert_eq!(parse_date("x").unwrap_err().message, "invalid input syntax for type date: \"x\"");
    }

    #[test]
    fn timestamps_and_zones() {
        let ts = parse_timestamp("2020-01-01 12:00:00.5+02", true, TimeZone::UTC).unwrap();
        assert_eq!(format_timestamp(ts, Some(TimeZone::UTC)), "2020-01-01 10:00:00.5+00");
        let z = TimeZone::parse("+05:30").unwrap();
        let ts = parse_timestamp("2020-01-01 00:00:00+00", true, TimeZone::UTC).unwrap();
        assert_eq!(format_timestamp(ts, Some(z)), "2019-12-31 18:30:00-05:30");
        assert_eq!(format_timestamp(ts, Some(TimeZone::parse("Etc/GMT+5").unwrap())), "2019-12-31 19:00:00-05");
        assert_eq!(format_timestamp(ts, Some(TimeZone::parse("<-08>+08").unwrap())), "2019-12-31 16:00:00-08");
        assert!(TimeZone::parse("Europe/Paris").is_err());
    }

    #[test]
    fn intervals() {
        let f = |s: &str| format_interval(&parse_interval(s).unwrap());
        assert_eq!(f("1 year 2 mons 3 days 04:05:06.789"), "1 year 2 mons 3 days 04:05:06.789");
        assert_eq!(f("-1 day"), "-1 days");
        assert_eq!(f("1 day -1 hours"), "1 day -01:00:00");
        assert_eq!(f("-1 day 1 hour"), "-1 days +01:00:00");
        assert_eq!(f("0"), "00:00:00");
        assert_eq!(f("36 hours"), "36:00:00");
        assert_eq!(f("1.5 days"), "1 day 12:00:00");
        assert_eq!(f("1 day ago"), "-1 days");
        assert_eq!(f("2 weeks"), "14 days");
        assert_eq!(f("01:02"), "01:02:00");
    }
}
