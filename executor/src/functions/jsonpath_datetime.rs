//! `.datetime([template])` of a jsonpath: PostgreSQL's standard-mode
//! datetime parsing (every separator and quoted character must match, no
//! trailing characters), the five types it produces, their JSON text, and
//! their comparison (with the session time zone only in the `_tz`
//! functions).
//!
//! A datetime item travels through the evaluator as a jsonb object whose
//! only key holds a NUL character ([`to_jsonb`]): no jsonb input can make
//! such a key (`\u0000` is refused), so the marker cannot be forged, and
//! the evaluator turns it into its JSON string when the item leaves the
//! path ([`materialize`]).
//!
//! Template patterns read: `YYYY`, `YYY`, `YY`, `MM`, `DD`, `HH24`, `HH12`,
//! `HH`, `MI`, `SS`, `MS`, `US`, `FF1`..`FF6`, `TZH`, `TZM` (any case),
//! quoted text, spaces and punctuation.

use std::cmp::Ordering;

use types::datum::Numeric;
use types::datum::TimeZone;
use types::datum::datetime::{
    USECS_PER_DAY, USECS_PER_SEC, days_from_civil, days_in_month, format_date, format_time,
};
use types::datum::json::Jsonb;
use types::{PgError, PgResult, SqlState};

const UNIX_EPOCH_DAYS: i64 = 10_957;
const MARKER: &str = "\u{0}datetime";

/// A datetime item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dt {
    /// days since 2000-01-01
    Date(i64),
    /// microseconds since midnight
    Time(i64),
    /// local time and its offset east of UTC in seconds
    TimeTz(i64, i32),
    /// local microseconds since 2000-01-01
    Timestamp(i64),
    /// UTC microseconds since 2000-01-01 and the offset it was given with
    TimestampTz(i64, i32),
}

/// The ISO formats `.datetime()` without a template tries, in order.
pub const FORMATS: [&str; 19] = [
    "yyyy-mm-dd",
    "HH24:MI:SS.USTZH:TZM",
    "HH24:MI:SS.USTZH",
    "HH24:MI:SSTZH:TZM",
    "HH24:MI:SSTZH",
    "HH24:MI:SS.US",
    "HH24:MI:SS",
    "yyyy-mm-dd HH24:MI:SS.USTZH:TZM",
    "yyyy-mm-dd HH24:MI:SS.USTZH",
    "yyyy-mm-dd HH24:MI:SSTZH:TZM",
    "yyyy-mm-dd HH24:MI:SSTZH",
    "yyyy-mm-dd\"T\"HH24:MI:SS.USTZH:TZM",
    "yyyy-mm-dd\"T\"HH24:MI:SS.USTZH",
    "yyyy-mm-dd\"T\"HH24:MI:SSTZH:TZM",
    "yyyy-mm-dd\"T\"HH24:MI:SSTZH",
    "yyyy-mm-dd HH24:MI:SS.US",
    "yyyy-mm-dd HH24:MI:SS",
    "yyyy-mm-dd\"T\"HH24:MI:SS.US",
    "yyyy-mm-dd\"T\"HH24:MI:SS",
];

impl Dt {
    pub fn type_name(self) -> &'static str {
        match self {
            Dt::Date(_) => "date",
            Dt::Time(_) => "time without time zone",
            Dt::TimeTz(..) => "time with time zone",
            Dt::Timestamp(_) => "timestamp without time zone",
            Dt::TimestampTz(..) => "timestamp with time zone",
        }
    }

    /// The JSON text PostgreSQL gives a datetime (ISO 8601, `T` between
    /// date and time).
    pub fn to_text(self) -> String {
        match self {
            Dt::Date(d) => format_date(d as i32),
            Dt::Time(t) => format_time(t),
            Dt::TimeTz(t, off) => format!("{}{}", format_time(t), offset_text(off)),
            Dt::Timestamp(ts) => stamp_text(ts),
            Dt::TimestampTz(ts, off) => {
                format!(
                    "{}{}",
                    stamp_text(ts + i64::from(off) * USECS_PER_SEC),
                    offset_text(off)
                )
            }
        }
    }
}

fn stamp_text(local: i64) -> String {
    let days = local.div_euclid(USECS_PER_DAY);
    let time = local.rem_euclid(USECS_PER_DAY);
    format!("{}T{}", format_date(days as i32), format_time(time))
}

fn offset_text(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let mut s = format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
    if !a.is_multiple_of(60) {
        s.push_str(&format!(":{:02}", a % 60));
    }
    s
}

/// A datetime as the evaluator carries it (see the module doc).
pub fn to_jsonb(dt: Dt) -> Jsonb {
    let (kind, a, b) = match dt {
        Dt::Date(d) => (0, d, 0),
        Dt::Time(t) => (1, t, 0),
        Dt::TimeTz(t, o) => (2, t, i64::from(o)),
        Dt::Timestamp(t) => (3, t, 0),
        Dt::TimestampTz(t, o) => (4, t, i64::from(o)),
    };
    let n = |v: i64| Jsonb::Number(Numeric::from_i64(v));
    Jsonb::Object(vec![(
        MARKER.to_string(),
        Jsonb::Array(vec![n(kind), n(a), n(b)]),
    )])
}

/// The datetime a value carries, if it is one.
pub fn from_jsonb(v: &Jsonb) -> Option<Dt> {
    let Jsonb::Object(pairs) = v else {
        return None;
    };
    let [(k, Jsonb::Array(parts))] = pairs.as_slice() else {
        return None;
    };
    if k != MARKER {
        return None;
    }
    let int = |i: usize| match parts.get(i) {
        Some(Jsonb::Number(n)) => n.to_i64_rounded(),
        _ => None,
    };
    let (kind, a, b) = (int(0)?, int(1)?, int(2)?);
    let b = i32::try_from(b).ok()?;
    Some(match kind {
        0 => Dt::Date(a),
        1 => Dt::Time(a),
        2 => Dt::TimeTz(a, b),
        3 => Dt::Timestamp(a),
        _ => Dt::TimestampTz(a, b),
    })
}

/// A value as it leaves the path: datetimes become their JSON strings.
pub fn materialize(v: Jsonb) -> Jsonb {
    match from_jsonb(&v) {
        Some(dt) => Jsonb::String(dt.to_text()),
        None => v,
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year4,
    Year3,
    Year2,
    Month,
    Day,
    Hour24,
    Hour12,
    Minute,
    Second,
    Milli,
    Micro,
    Fraction(u32),
    TzHour,
    TzMinute,
}

#[derive(Debug, Clone)]
enum Node {
    /// a pattern and its text in the template
    Field(Field, String),
    /// a space or punctuation, matched exactly
    Separator(char),
    /// a quoted character, matched exactly
    Char(char),
}

const PATTERNS: [(&str, Field); 19] = [
    ("YYYY", Field::Year4),
    ("YYY", Field::Year3),
    ("YY", Field::Year2),
    ("MM", Field::Month),
    ("DD", Field::Day),
    ("HH24", Field::Hour24),
    ("HH12", Field::Hour12),
    ("HH", Field::Hour12),
    ("MI", Field::Minute),
    ("SS", Field::Second),
    ("MS", Field::Milli),
    ("US", Field::Micro),
    ("FF1", Field::Fraction(1)),
    ("FF2", Field::Fraction(2)),
    ("FF3", Field::Fraction(3)),
    ("FF4", Field::Fraction(4)),
    ("FF5", Field::Fraction(5)),
    ("FF6", Field::Fraction(6)),
    ("TZH", Field::TzHour),
];

fn format_error(message: impl Into<String>) -> PgError {
    PgError::new(SqlState::InvalidDatetimeFormat, message)
}

fn parse_template(t: &str) -> PgResult<Vec<Node>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let mut chars = rest[1..].char_indices();
            let mut end = rest.len();
            for (i, q) in chars.by_ref() {
                if q == '"' {
                    end = i + 2;
                    break;
                }
                out.push(Node::Char(q));
            }
            rest = &rest[end.min(rest.len())..];
            continue;
        }
        let upper = rest.to_ascii_uppercase();
        let found = PATTERNS
            .iter()
            .chain(std::iter::once(&("TZM", Field::TzMinute)))
            .filter(|(p, _)| upper.starts_with(p))
            .max_by_key(|(p, _)| p.len());
        if let Some((p, f)) = found {
            out.push(Node::Field(*f, rest[..p.len()].to_string()));
            rest = &rest[p.len()..];
            continue;
        }
        if c.is_ascii() && !c.is_ascii_alphanumeric() && !c.is_ascii_control() {
            out.push(Node::Separator(c));
            rest = &rest[1..];
            continue;
        }
        return Err(format_error(format!(
            "invalid datetime format separator: \"{c}\""
        )));
    }
    Ok(out)
}

fn is_digit_field(f: Field) -> bool {
    f != Field::TzHour
}

fn width(f: Field) -> usize {
    match f {
        Field::Year4 => 4,
        Field::Year3 | Field::Milli => 3,
        Field::Micro => 6,
        Field::Fraction(n) => n as usize,
        _ => 2,
    }
}

/// `strtol`: optional spaces and sign, then digits; the value and the bytes
/// read (0 when there are no digits).
fn strtol(s: &[u8]) -> (i64, usize) {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    (if neg { -v } else { v }, i)
}

/// Reads the number of a field at `*i`.
fn read_int(
    input: &str,
    i: &mut usize,
    len: usize,
    name: &str,
    slurp: bool,
) -> PgResult<(i64, usize)> {
    let b = input.as_bytes();
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
    let rest = &input[*i..];
    let mut cut = len.min(rest.len());
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let copy = &rest[..cut];
    let invalid = || {
        format_error(format!("invalid value \"{copy}\" for \"{name}\""))
            .with_detail("Value must be an integer.")
    };
    let in_range = |v: i64| {
        if i32::try_from(v).is_ok() {
            Ok(v)
        } else {
            Err(format_error(format!(
                "value for \"{name}\" in source string is out of range"
            ))
            .with_detail("Value must be in the range -2147483648 to 2147483647."))
        }
    };
    if slurp {
        let (v, used) = strtol(rest.as_bytes());
        let v = if used == 0 { v } else { in_range(v)? };
        if used == 0 {
            return Err(invalid());
        }
        *i += used;
        let digits = rest[..used].bytes().filter(u8::is_ascii_digit).count();
        return Ok((v, digits));
    }
    if copy.len() < len {
        return Err(format_error(format!(
            "source string too short for \"{name}\" formatting field"
        ))
        .with_detail(format!(
            "Field requires {len} characters, but only {} remain.",
            copy.len()
        ))
        .with_hint("If your source string is not fixed-width, try using the \"FM\" modifier."));
    }
    let (v, used) = strtol(copy.as_bytes());
    if used == 0 {
        return Err(invalid());
    }
    let v = in_range(v)?;
    if used < len {
        return Err(
            format_error(format!("invalid value \"{copy}\" for \"{name}\""))
                .with_detail(format!(
                    "Field requires {len} characters, but only {used} could be parsed."
                ))
                .with_hint(
                    "If your source string is not fixed-width, try using the \"FM\" modifier.",
                ),
        );
    }
    *i += used;
    let digits = copy[..used].bytes().filter(u8::is_ascii_digit).count();
    Ok((v, digits))
}

fn out_of_range(input: &str) -> PgError {
    PgError::new(
        SqlState::DatetimeFieldOverflow,
        format!("date/time field value out of range: \"{input}\""),
    )
}

/// Checks a template (its errors are raised even in silent mode).
pub fn check_template(template: &str) -> PgResult<()> {
    parse_template(template).map(|_| ())
}

/// Parses `input` by `template` in standard mode.
pub fn parse(input: &str, template: &str) -> PgResult<Dt> {
    let nodes = parse_template(template)?;
    let b = input.as_bytes();
    let mut i = 0;
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second, mut micros) = (0i64, 0i64, 0i64, 0i64);
    let mut twelve = false;
    let (mut tz_sign, mut tzh, mut tzm) = (1i64, 0i64, 0i64);
    let (mut dated, mut timed, mut zoned) = (false, false, false);
    let mut n = 0;
    while n < nodes.len() && i < b.len() {
        match &nodes[n] {
            Node::Separator(c) => {
                if input[i..].starts_with(*c) {
                    i += c.len_utf8();
                } else {
                    return Err(format_error(format!("unmatched format separator \"{c}\"")));
                }
            }
            Node::Char(c) => {
                if input[i..].starts_with(*c) {
                    i += c.len_utf8();
                } else {
                    return Err(format_error(format!("unmatched format character \"{c}\"")));
                }
            }
            Node::Field(f, name) => {
                let slurp = match nodes.get(n + 1) {
                    None => true,
                    Some(Node::Field(g, _)) => !is_digit_field(*g),
                    Some(Node::Separator(c) | Node::Char(c)) => !c.is_ascii_digit(),
                };
                if *f == Field::TzHour {
                    match b.get(i) {
                        Some(b'+') | Some(b' ') => i += 1,
                        Some(b'-') => {
                            tz_sign = -1;
                            i += 1;
                        }
                        _ => {}
                    }
                }
                let (v, digits) = read_int(input, &mut i, width(*f), name, slurp)?;
                match f {
                    Field::Year4 => year = Some(v),
                    Field::Year3 => {
                        year = Some(if v < 100 {
                            v + 2000
                        } else {
                            v.saturating_add(1000)
                        })
                    }
                    Field::Year2 => {
                        year = Some(if v < 70 {
                            v + 2000
                        } else {
                            v.saturating_add(1900)
                        })
                    }
                    Field::Month => month = Some(v),
                    Field::Day => day = Some(v),
                    Field::Hour24 => hour = v,
                    Field::Hour12 => {
                        hour = v;
                        twelve = true;
                    }
                    Field::Minute => minute = v,
                    Field::Second => second = v,
                    Field::Milli => {
                        micros = v
                            .saturating_mul(10i64.pow(3u32.saturating_sub(digits as u32)))
                            .saturating_mul(1000)
                    }
                    Field::Micro | Field::Fraction(_) => {
                        micros = v.saturating_mul(10i64.pow(6u32.saturating_sub(digits as u32)))
                    }
                    Field::TzHour => tzh = v,
                    Field::TzMinute => tzm = v,
                }
            }
        }
        n += 1;
    }
    if n < nodes.len() {
        return Err(format_error(
            "input string is too short for datetime format",
        ));
    }
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < b.len() {
        return Err(format_error(
            "trailing characters remain in input string after datetime format",
        ));
    }
    // The kind of value comes from the template's fields, not the input's.
    for node in &nodes {
        if let Node::Field(f, _) = node {
            match f {
                Field::Year4 | Field::Year3 | Field::Year2 | Field::Month | Field::Day => {
                    dated = true
                }
                Field::TzHour | Field::TzMinute => zoned = true,
                _ => timed = true,
            }
        }
    }
    if twelve && !(1..=12).contains(&hour) {
        return Err(
            format_error(format!("hour \"{hour}\" is invalid for the 12-hour clock"))
                .with_hint("Use the 24-hour clock, or give an hour between 1 and 12."),
        );
    }
    if twelve && hour == 12 {
        hour = 0;
    }
    if !(0..=23).contains(&hour)
        || !(0..=59).contains(&minute)
        || !(0..=59).contains(&second)
        || !(0..USECS_PER_SEC).contains(&micros)
    {
        return Err(out_of_range(input));
    }
    if !(-15..=15).contains(&tzh) || !(0..=59).contains(&tzm) {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("time zone displacement out of range: \"{input}\""),
        ));
    }
    let time = ((hour * 60 + minute) * 60 + second) * USECS_PER_SEC + micros;
    let offset = tz_sign * (tzh * 3600 + tzm * 60);
    if !(-15 * 3600..=15 * 3600).contains(&offset) {
        return Err(out_of_range(input));
    }
    let offset = offset as i32;
    let days = if dated {
        // year -1 is 1 BC, year 0 in the proleptic calendar
        let y = match year.unwrap_or(1) {
            y if y < 0 => y + 1,
            y => y,
        };
        let m = month.unwrap_or(1);
        let d = day.unwrap_or(1);
        if !(-4713..=5_874_897).contains(&y)
            || !(1..=12).contains(&m)
            || d < 1
            || d > i64::from(days_in_month(y, m as u32))
        {
            return Err(out_of_range(input));
        }
        days_from_civil(y, m as u32, d as u32) - UNIX_EPOCH_DAYS
    } else {
        0
    };
    let stamp = || {
        days.checked_mul(USECS_PER_DAY)
            .and_then(|v| v.checked_add(time))
            .filter(|v| v.unsigned_abs() < (1u64 << 62))
            .ok_or_else(|| PgError::new(SqlState::DatetimeFieldOverflow, "timestamp out of range"))
    };
    Ok(match (dated, timed, zoned) {
        (true, true, true) => Dt::TimestampTz(stamp()? - i64::from(offset) * USECS_PER_SEC, offset),
        (true, true, false) => Dt::Timestamp(stamp()?),
        (true, false, true) => {
            return Err(format_error("datetime format is zoned but not timed"));
        }
        (true, false, false) => Dt::Date(days),
        (false, true, true) => Dt::TimeTz(time, offset),
        (false, true, false) => Dt::Time(time),
        (false, false, _) => {
            return Err(format_error("datetime format is not dated and not timed"));
        }
    })
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

fn need_zone(use_tz: bool, from: &str, to: &str) -> PgResult<()> {
    if use_tz {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!("cannot convert value from {from} to {to} without time zone usage"),
        )
        .with_hint("Use *_tz() function for time zone support."))
    }
}

/// `timetz_cmp`: by the UTC instant, then by the zone.
fn timetz_cmp(t1: i64, o1: i32, t2: i64, o2: i32) -> Ordering {
    let u1 = t1 - i64::from(o1) * USECS_PER_SEC;
    let u2 = t2 - i64::from(o2) * USECS_PER_SEC;
    u1.cmp(&u2).then((-o1).cmp(&-o2))
}

/// The order of two datetimes; None when they cannot be compared (a date
/// and a time). Comparing a zoned and an unzoned value needs the session
/// zone, which only the `_tz` functions may use.
pub fn compare(a: Dt, b: Dt, use_tz: bool, zone: TimeZone) -> PgResult<Option<Ordering>> {
    // A date beyond the timestamp range compares as an infinite timestamp.
    let date_stamp = |d: i64| i128::from(d) * i128::from(USECS_PER_DAY);
    let date_tstz = |d: i64| match i64::try_from(date_stamp(d)) {
        Ok(local) if local.unsigned_abs() < (1u64 << 62) => i128::from(zone.to_utc(local)),
        _ => date_stamp(d),
    };
    let session_offset = || zone.utc_offset(0);
    Ok(Some(match (a, b) {
        (Dt::Date(x), Dt::Date(y)) => x.cmp(&y),
        (Dt::Date(x), Dt::Timestamp(t)) => date_stamp(x).cmp(&i128::from(t)),
        (Dt::Timestamp(t), Dt::Date(x)) => i128::from(t).cmp(&date_stamp(x)),
        (Dt::Date(x), Dt::TimestampTz(u, _)) => {
            need_zone(use_tz, "date", "timestamptz")?;
            date_tstz(x).cmp(&i128::from(u))
        }
        (Dt::TimestampTz(u, _), Dt::Date(x)) => {
            need_zone(use_tz, "date", "timestamptz")?;
            i128::from(u).cmp(&date_tstz(x))
        }
        (Dt::Timestamp(x), Dt::Timestamp(y)) => x.cmp(&y),
        (Dt::Timestamp(t), Dt::TimestampTz(u, _)) => {
            need_zone(use_tz, "timestamp", "timestamptz")?;
            zone.to_utc(t).cmp(&u)
        }
        (Dt::TimestampTz(u, _), Dt::Timestamp(t)) => {
            need_zone(use_tz, "timestamp", "timestamptz")?;
            u.cmp(&zone.to_utc(t))
        }
        (Dt::TimestampTz(x, _), Dt::TimestampTz(y, _)) => x.cmp(&y),
        (Dt::Time(x), Dt::Time(y)) => x.cmp(&y),
        (Dt::Time(x), Dt::TimeTz(y, o)) => {
            need_zone(use_tz, "time", "timetz")?;
            timetz_cmp(x, session_offset(), y, o)
        }
        (Dt::TimeTz(x, o), Dt::Time(y)) => {
            need_zone(use_tz, "time", "timetz")?;
            timetz_cmp(x, o, y, session_offset())
        }
        (Dt::TimeTz(x, o1), Dt::TimeTz(y, o2)) => timetz_cmp(x, o1, y, o2),
        _ => return Ok(None),
    }))
}
