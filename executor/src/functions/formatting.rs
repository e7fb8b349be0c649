//! `to_char`, `to_date`, `to_timestamp` and `to_number` (PostgreSQL's
//! `formatting.c`): template patterns for dates and times (`YYYY-MM-DD
//! HH24:MI:SS`, `Day, DDth Month`, with the FM, FX, TM and TH modifiers)
//! and for numbers (`9`, `0`, `.`, `,`, `D`, `G`, `S`, `MI`, `PL`, `SG`,
//! `PR`, `L`, `V`, `EEEE`, `RN`, `TH`, `FM`).

use types::datum::datetime::{
    TS_NEG_INF, TS_POS_INF, UNIX_EPOCH_DAYS, USECS_PER_DAY, USECS_PER_SEC, days_from_civil,
    days_in_month,
};
use types::datum::{Interval, Numeric, OutputOptions};
use types::{Datum, PgError, PgResult, SqlState};

use super::extract::Day;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const ROMAN_MONTHS: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// The date/time template patterns, longest first where one is a prefix
/// of another.
const PATTERNS: &[&str] = &[
    "A.D.", "A.M.", "B.C.", "P.M.", "a.d.", "a.m.", "b.c.", "p.m.", "Y,YYY", "HH24", "HH12",
    "IDDD", "IYYY", "MONTH", "Month", "month", "SSSSS", "SSSS", "YYYY", "FF1", "FF2", "FF3", "FF4",
    "FF5", "FF6", "DAY", "Day", "day", "DDD", "IYY", "MON", "Mon", "mon", "TZH", "TZM", "YYY",
    "AD", "AM", "BC", "CC", "DD", "DY", "Dy", "dy", "HH", "ID", "IW", "IY", "MI", "MM", "MS", "OF",
    "PM", "Q", "RM", "rm", "SS", "TZ", "tz", "US", "WW", "YY", "ad", "am", "bc", "pm", "D", "I",
    "J", "W", "Y",
];

/// One element of a parsed template.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(String),
    Field {
        pattern: &'static str,
        fill: bool,
        /// `TH` (upper) or `th` suffix
        ordinal: Option<bool>,
    },
}

/// Parses a date/time template.
fn parse_template(fmt: &str) -> Vec<Node> {
    let mut out = Vec::new();
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut literal = String::new();
    while i < fmt.len() {
        let rest = &fmt[i..];
        let (fill, after_fm) = match rest.get(..2) {
            Some(p) if p.eq_ignore_ascii_case("FM") => (true, &rest[2..]),
            _ => (false, rest),
        };
        // FX and TM change nothing here (no locale; FX parsing is not kept).
        if !fill
            && let Some(p) = rest.get(..2)
            && (p.eq_ignore_ascii_case("FX") || p.eq_ignore_ascii_case("TM"))
        {
            i += 2;
            continue;
        }
        // Patterns match exactly, or in any case where case says nothing
        // (`yyyy`, `hh24`); `Month`, `Day`, `AM`, ... print in their case.
        let found = PATTERNS
            .iter()
            .find(|p| after_fm.starts_with(*p))
            .or_else(|| {
                PATTERNS.iter().find(|p| {
                    !case_significant(p)
                        && after_fm
                            .get(..p.len())
                            .is_some_and(|h| h.eq_ignore_ascii_case(p))
                })
            });
        if let Some(&p) = found {
            if !literal.is_empty() {
                out.push(Node::Literal(std::mem::take(&mut literal)));
            }
            let mut len = fmt.len() - i - after_fm.len() + p.len();
            let tail = &after_fm[p.len()..];
            let ordinal = match tail.get(..2) {
                Some("TH") => Some(true),
                Some("th") => Some(false),
                _ => None,
            };
            if ordinal.is_some() {
                len += 2;
            }
            out.push(Node::Field {
                pattern: p,
                fill,
                ordinal,
            });
            i += len;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            '"' => {
                // Quoted text; a backslash escapes a quote inside.
                let mut j = i + 1;
                while j < fmt.len() && b[j] != b'"' {
                    if b[j] == b'\\' && j + 1 < fmt.len() {
                        j += 1;
                    }
                    let ch = fmt[j..].chars().next().unwrap_or(' ');
                    literal.push(ch);
                    j += ch.len_utf8();
                }
                i = j + 1;
            }
            '\\' if rest.len() > 1 && rest[1..].starts_with('"') => {
                literal.push('"');
                i += 2;
            }
            _ => {
                literal.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !literal.is_empty() {
        out.push(Node::Literal(literal));
    }
    out
}

/// Patterns whose case chooses the case of their output.
fn case_significant(p: &str) -> bool {
    let upper = p.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "MONTH"
            | "MON"
            | "DAY"
            | "DY"
            | "AM"
            | "PM"
            | "A.M."
            | "P.M."
            | "AD"
            | "BC"
            | "A.D."
            | "B.C."
            | "RM"
            | "TZ"
    )
}

fn ordinal_suffix(n: i64, upper: bool) -> &'static str {
    let n = n.abs();
    let s = if (11..=13).contains(&(n % 100)) {
        "th"
    } else {
        match n % 10 {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        }
    };
    match (upper, s) {
        (false, s) => s,
        (true, "st") => "ST",
        (true, "nd") => "ND",
        (true, "rd") => "RD",
        (true, _) => "TH",
    }
}

/// The fields of a date/time value a template reads.
struct Stamp {
    /// the year as a signed astronomical year (0 = 1 BC)
    year: i64,
    month: i64,
    mday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    /// days since 1970-01-01 (None for intervals)
    days: Option<i64>,
    /// seconds east of UTC and the zone's abbreviation (timestamptz only)
    zone: Option<(i32, String)>,
    interval: bool,
}

fn zero_pad(n: i64, width: usize, fill: bool) -> String {
    if fill {
        n.to_string()
    } else if n < 0 {
        format!("-{:0width$}", -n, width = width.saturating_sub(1))
    } else {
        format!("{n:0width$}")
    }
}

fn capitalized(name: &str, pattern: &str, fill: bool) -> String {
    let s = if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        name.to_uppercase()
    } else if pattern.chars().all(|c| c.is_ascii_lowercase()) {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    if fill { s } else { format!("{s:<9}") }
}

fn render(nodes: &[Node], t: &Stamp) -> String {
    let mut out = String::new();
    let bc = t.year <= 0 && !t.interval;
    // The year as printed: BC years count from 1 backwards.
    let year = if bc { 1 - t.year } else { t.year };
    let day = t.days.map(Day::new);
    let hour12 = match t.hour % 12 {
        0 => 12,
        h => h,
    };
    for node in nodes {
        let (pattern, fill, ordinal) = match node {
            Node::Literal(s) => {
                out.push_str(s);
                continue;
            }
            Node::Field {
                pattern,
                fill,
                ordinal,
            } => (*pattern, *fill, *ordinal),
        };
        let mut number: Option<i64> = None;
        let text = match pattern {
            "HH" | "HH12" => {
                number = Some(hour12);
                zero_pad(hour12, 2, fill)
            }
            "HH24" => {
                number = Some(t.hour);
                zero_pad(t.hour, 2, fill)
            }
            "MI" => {
                number = Some(t.minute);
                zero_pad(t.minute, 2, fill)
            }
            "SS" => {
                number = Some(t.second);
                zero_pad(t.second, 2, fill)
            }
            "MS" => zero_pad(t.micros / 1000, 3, fill),
            "US" => zero_pad(t.micros, 6, fill),
            "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
                let digits = usize::from(pattern.as_bytes()[2] - b'0');
                let v = t.micros / 10i64.pow(6 - digits as u32);
                zero_pad(v, digits, fill)
            }
            "SSSS" | "SSSSS" => {
                let v = t.hour * 3600 + t.minute * 60 + t.second;
                number = Some(v);
                v.to_string()
            }
            "AM" | "PM" => (if t.hour >= 12 { "PM" } else { "AM" }).into(),
            "am" | "pm" => (if t.hour >= 12 { "pm" } else { "am" }).into(),
            "A.M." | "P.M." => (if t.hour >= 12 { "P.M." } else { "A.M." }).into(),
            "a.m." | "p.m." => (if t.hour >= 12 { "p.m." } else { "a.m." }).into(),
            "Y,YYY" => format!("{},{:03}", year / 1000, year % 1000),
            "YYYY" => {
                number = Some(year);
                zero_pad(year, 4, fill)
            }
            "YYY" => zero_pad(year % 1000, 3, fill),
            "YY" => zero_pad(year % 100, 2, fill),
            "Y" => (year % 10).to_string(),
            "IYYY" | "IYY" | "IY" | "I" => {
                let iy = day.as_ref().map_or(year, |d| d.iso_week().0);
                match pattern {
                    "IYYY" => zero_pad(iy, 4, fill),
                    "IYY" => zero_pad(iy % 1000, 3, fill),
                    "IY" => zero_pad(iy % 100, 2, fill),
                    _ => (iy % 10).to_string(),
                }
            }
            "BC" | "AD" => (if bc { "BC" } else { "AD" }).into(),
            "bc" | "ad" => (if bc { "bc" } else { "ad" }).into(),
            "B.C." | "A.D." => (if bc { "B.C." } else { "A.D." }).into(),
            "b.c." | "a.d." => (if bc { "b.c." } else { "a.d." }).into(),
            "MONTH" | "Month" | "month" => match t.month {
                1..=12 => capitalized(MONTHS[t.month as usize - 1], pattern, fill),
                _ => String::new(),
            },
            "MON" | "Mon" | "mon" => match t.month {
                1..=12 => capitalized(&MONTHS[t.month as usize - 1][..3], pattern, true),
                _ => String::new(),
            },
            "MM" => {
                number = Some(t.month);
                zero_pad(t.month, 2, fill)
            }
            "RM" | "rm" => match t.month {
                1..=12 => {
                    let r = ROMAN_MONTHS[t.month as usize - 1];
                    let r = if pattern == "rm" {
                        r.to_lowercase()
                    } else {
                        r.to_string()
                    };
                    if fill { r } else { format!("{r:<4}") }
                }
                _ => String::new(),
            },
            "DAY" | "Day" | "day" | "DY" | "Dy" | "dy" => match &day {
                Some(d) => {
                    let name = DAYS[d.dow() as usize];
                    if pattern.len() == 2 {
                        capitalized(&name[..3], pattern, true)
                    } else {
                        capitalized(name, pattern, fill)
                    }
                }
                None => String::new(),
            },
            "DDD" | "IDDD" => {
                let v = match (&day, pattern) {
                    (Some(d), "DDD") => d.days - days_from_civil(d.year, 1, 1) + 1,
                    (Some(d), _) => {
                        let (iy, week) = d.iso_week();
                        let _ = iy;
                        let isodow = match d.dow() {
                            0 => 7,
                            x => x,
                        };
                        (week - 1) * 7 + isodow
                    }
                    (None, _) => t.mday,
                };
                number = Some(v);
                zero_pad(v, 3, fill)
            }
            "DD" => {
                number = Some(t.mday);
                zero_pad(t.mday, 2, fill)
            }
            "D" => {
                let v = day.as_ref().map_or(0, |d| d.dow() + 1);
                number = Some(v);
                v.to_string()
            }
            "ID" => {
                let v = day.as_ref().map_or(0, |d| match d.dow() {
                    0 => 7,
                    x => x,
                });
                number = Some(v);
                v.to_string()
            }
            "W" => {
                let v = (t.mday - 1) / 7 + 1;
                number = Some(v);
                v.to_string()
            }
            "WW" => {
                let v = day
                    .as_ref()
                    .map_or(0, |d| (d.days - days_from_civil(d.year, 1, 1)) / 7 + 1);
                number = Some(v);
                zero_pad(v, 2, fill)
            }
            "IW" => {
                let v = day.as_ref().map_or(0, |d| d.iso_week().1);
                number = Some(v);
                zero_pad(v, 2, fill)
            }
            "CC" => {
                let v = if t.interval {
                    t.year / 100
                } else if t.year > 0 {
                    (t.year + 99) / 100
                } else {
                    -((99 - (t.year - 1)) / 100)
                };
                number = Some(v);
                zero_pad(v, 2, fill)
            }
            "J" => {
                let v = t.days.map_or(0, |d| d + 2_440_588);
                number = Some(v);
                v.to_string()
            }
            "Q" => {
                let v = (t.month - 1) / 3 + 1;
                number = Some(v);
                v.to_string()
            }
            "TZ" | "tz" => match &t.zone {
                Some((_, abbrev)) if pattern == "TZ" => abbrev.to_uppercase(),
                Some((_, abbrev)) => abbrev.to_lowercase(),
                None => String::new(),
            },
            "TZH" => match &t.zone {
                Some((off, _)) => format!(
                    "{}{:02}",
                    if *off < 0 { '-' } else { '+' },
                    off.abs() / 3600
                ),
                None => String::new(),
            },
            "TZM" => match &t.zone {
                Some((off, _)) => format!("{:02}", off.abs() / 60 % 60),
                None => String::new(),
            },
            "OF" => match &t.zone {
                Some((off, _)) => {
                    let sign = if *off < 0 { '-' } else { '+' };
                    let (h, m) = (off.abs() / 3600, off.abs() / 60 % 60);
                    match m {
                        0 => format!("{sign}{h:02}"),
                        m => format!("{sign}{h:02}:{m:02}"),
                    }
                }
                None => String::new(),
            },
            other => other.to_string(),
        };
        out.push_str(&text);
        if let (Some(upper), Some(n)) = (ordinal, number) {
            out.push_str(ordinal_suffix(n, upper));
        }
    }
    out
}

fn stamp_of_local(local: i64, zone: Option<(i32, String)>) -> Stamp {
    let days = local.div_euclid(USECS_PER_DAY) + UNIX_EPOCH_DAYS;
    let tod = local.rem_euclid(USECS_PER_DAY);
    let d = Day::new(days);
    Stamp {
        year: d.year,
        month: d.month,
        mday: d.mday,
        hour: tod / 3_600_000_000,
        minute: tod / 60_000_000 % 60,
        second: tod / USECS_PER_SEC % 60,
        micros: tod % USECS_PER_SEC,
        days: Some(days - UNIX_EPOCH_DAYS + UNIX_EPOCH_DAYS),
        zone,
        interval: false,
    }
}

fn stamp_of_interval(iv: &Interval) -> Stamp {
    let micros = iv.micros;
    Stamp {
        year: i64::from(iv.months / 12),
        month: i64::from(iv.months % 12),
        mday: i64::from(iv.days),
        hour: micros / 3_600_000_000,
        minute: micros / 60_000_000 % 60,
        second: micros / USECS_PER_SEC % 60,
        micros: micros % USECS_PER_SEC,
        days: None,
        zone: None,
        interval: true,
    }
}

/// `to_char(timestamp | timestamptz | interval, text)`.
fn datetime_to_char(v: &Datum, fmt: &str, opts: &OutputOptions) -> Option<String> {
    let nodes = parse_template(fmt);
    let stamp = match v {
        Datum::Timestamp(ts) if *ts == TS_NEG_INF || *ts == TS_POS_INF => return None,
        Datum::Timestamptz(ts) if *ts == TS_NEG_INF || *ts == TS_POS_INF => return None,
        Datum::Timestamp(ts) => stamp_of_local(*ts, None),
        Datum::Timestamptz(ts) => {
            let zone = opts.zone();
            let off = zone.utc_offset(*ts);
            let abbrev = types::datum::datetime::zone_abbrev(&opts.time_zone);
            let abbrev = if abbrev.is_empty() {
                types::datum::datetime::format_offset(off)
            } else {
                abbrev
            };
            stamp_of_local(zone.to_local(*ts), Some((off, abbrev)))
        }
        Datum::Interval(iv) => stamp_of_interval(iv),
        _ => return None,
    };
    Some(render(&nodes, &stamp))
}

/// Calls a formatting function; None if `func` is not one.
pub fn call(func: &str, args: &[Datum], opts: &OutputOptions) -> PgResult<Option<Datum>> {
    let text = |i: usize| match args.get(i) {
        Some(Datum::Text(s)) => Ok(s.as_str()),
        _ => Err(PgError::internal("formatting: text argument expected")),
    };
    Ok(Some(match func {
        "to_char" => match args.first() {
            Some(v @ (Datum::Timestamp(_) | Datum::Timestamptz(_) | Datum::Interval(_))) => {
                match datetime_to_char(v, text(1)?, opts) {
                    Some(s) => Datum::Text(s),
                    None => Datum::Null,
                }
            }
            Some(v) => Datum::Text(number_to_char(v, text(1)?, opts)?),
            None => return Err(PgError::internal("to_char without arguments")),
        },
        "to_timestamp" => match args.first() {
            Some(Datum::Float8(secs)) => Datum::Timestamptz(epoch_to_timestamp(*secs)?),
            _ => {
                let p = parse_datetime(text(0)?, text(1)?)?;
                Datum::Timestamptz(p.to_timestamptz(opts)?)
            }
        },
        "to_date" => {
            let p = parse_datetime(text(0)?, text(1)?)?;
            Datum::Date(p.to_days()? as i32)
        }
        "to_number" => Datum::Numeric(to_number(text(0)?, text(1)?)?),
        _ => return Ok(None),
    }))
}

/// `to_timestamp(double precision)`: seconds since 1970-01-01 UTC.
fn epoch_to_timestamp(secs: f64) -> PgResult<i64> {
    if secs.is_nan() {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "timestamp cannot be NaN",
        ));
    }
    if secs == f64::INFINITY {
        return Ok(TS_POS_INF);
    }
    if secs == f64::NEG_INFINITY {
        return Ok(TS_NEG_INF);
    }
    let micros = (secs * 1e6).round() - (UNIX_EPOCH_DAYS * USECS_PER_DAY) as f64;
    if !(-2.1e17..9.2e18).contains(&micros) {
        return Err(PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("timestamp out of range: \"{secs}\""),
        ));
    }
    Ok(micros as i64)
}

/// The fields `to_date` / `to_timestamp` read.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    bc: bool,
    month: Option<i64>,
    mday: Option<i64>,
    yday: Option<i64>,
    julian: Option<i64>,
    hour: Option<i64>,
    pm: Option<bool>,
    twelve_hour: bool,
    minute: i64,
    second: i64,
    micros: i64,
    tz_offset: Option<i32>,
}

fn field_error(message: String, detail: Option<String>) -> PgError {
    let e = PgError::new(SqlState::InvalidDatetimeFormat, message);
    match detail {
        Some(d) => e.with_detail(d),
        None => e,
    }
}

impl Parsed {
    fn to_days(&self) -> PgResult<i64> {
        let out_of_range = || {
            PgError::new(
                SqlState::DatetimeFieldOverflow,
                "date/time field value out of range",
            )
        };
        // Far beyond what a date holds, and safe from overflow below.
        let sane = |v: i64| (-10_000_000..=10_000_000).contains(&v);
        if [self.year, self.month, self.mday, self.yday]
            .iter()
            .flatten()
            .any(|&v| !sane(v))
            || self
                .julian
                .is_some_and(|j| !(0..=1_000_000_000).contains(&j))
        {
            return Err(out_of_range());
        }
        if let Some(j) = self.julian {
            return Ok(j - 2_440_588 - UNIX_EPOCH_DAYS);
        }
        let mut year = self.year.unwrap_or(1);
        if self.bc {
            year = 1 - year;
        }
        if let Some(yd) = self.yday {
            return Ok(days_from_civil(year, 1, 1) - UNIX_EPOCH_DAYS + yd - 1);
        }
        let month = self.month.unwrap_or(1);
        let mday = self.mday.unwrap_or(1);
        if !(1..=12).contains(&month)
            || mday < 1
            || mday > i64::from(days_in_month(year, month as u32))
        {
            return Err(PgError::new(
                SqlState::DatetimeFieldOverflow,
                "date/time field value out of range",
            ));
        }
        Ok(days_from_civil(year, month as u32, mday as u32) - UNIX_EPOCH_DAYS)
    }

    fn to_timestamptz(&self, opts: &OutputOptions) -> PgResult<i64> {
        let days = self.to_days()?;
        let mut hour = self.hour.unwrap_or(0);
        if self.twelve_hour && !(1..=12).contains(&hour) {
            return Err(field_error(
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
                Some("Use the 24-hour clock, or give an hour between 1 and 12.".into()),
            ));
        }
        match self.pm {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            _ => {}
        }
        if !(0..=24).contains(&hour)
            || !(0..=59).contains(&self.minute)
            || !(0..=60).contains(&self.second)
            || !(0..USECS_PER_SEC).contains(&self.micros)
        {
            return Err(PgError::new(
                SqlState::DatetimeFieldOverflow,
                "date/time field value out of range",
            ));
        }
        let local = days * USECS_PER_DAY
            + ((hour * 60 + self.minute) * 60 + self.second) * USECS_PER_SEC
            + self.micros;
        Ok(match self.tz_offset {
            Some(off) => local - i64::from(off) * USECS_PER_SEC,
            None => opts.zone().to_utc(local),
        })
    }
}

/// Reads `input` by template `fmt` (not FX mode: spaces and separators in
/// the input are skipped where the template has any).
fn parse_datetime(input: &str, fmt: &str) -> PgResult<Parsed> {
    let nodes = parse_template(fmt);
    let mut p = Parsed::default();
    let mut negative_zone = false;
    let s = input.as_bytes();
    let mut i = 0;
    let skip_spaces = |i: &mut usize| {
        while *i < s.len() && s[*i] == b' ' {
            *i += 1;
        }
    };
    for (n, node) in nodes.iter().enumerate() {
        let (pattern, _fill) = match node {
            Node::Literal(lit) => {
                // A space in the template skips spaces; any other
                // character skips one input character (a separator matches
                // any separator).
                for c in lit.chars() {
                    if c == ' ' {
                        skip_spaces(&mut i);
                    } else if !c.is_alphanumeric() {
                        skip_spaces(&mut i);
                        if i < s.len() && !s[i].is_ascii_alphanumeric() {
                            i += input[i..].chars().next().map_or(1, char::len_utf8);
                        }
                    } else if i < s.len() {
                        i += input[i..].chars().next().map_or(1, char::len_utf8);
                    }
                }
                continue;
            }
            Node::Field { pattern, fill, .. } => (*pattern, *fill),
        };
        skip_spaces(&mut i);
        // A number field reads its digits; one followed directly by another
        // field reads no more than its width.
        let next_is_field = matches!(nodes.get(n + 1), Some(Node::Field { .. }));
        match pattern {
            "YYYY" | "IYYY" => {
                p.year = Some(read_number(input, &mut i, 4, next_is_field, pattern)?)
            }
            "Y,YYY" => {
                let thousands = read_number(input, &mut i, 1, next_is_field, pattern)?;
                if i < s.len() && s[i] == b',' {
                    i += 1;
                }
                let rest = read_number(input, &mut i, 3, next_is_field, pattern)?;
                p.year = Some(thousands.saturating_mul(1000).saturating_add(rest));
            }
            "YYY" | "IYY" => {
                let y = read_number(input, &mut i, 3, next_is_field, pattern)?;
                p.year = Some(if y < 100 {
                    y + 2000
                } else {
                    y.saturating_add(1000)
                });
            }
            "YY" | "IY" => {
                let y = read_number(input, &mut i, 2, next_is_field, pattern)?;
                p.year = Some(if y < 70 {
                    y + 2000
                } else {
                    y.saturating_add(1900)
                });
            }
            "Y" | "I" => {
                p.year = Some(
                    read_number(input, &mut i, 1, next_is_field, pattern)?.saturating_add(2000),
                )
            }
            "MM" => p.month = Some(read_number(input, &mut i, 2, next_is_field, pattern)?),
            "DD" => p.mday = Some(read_number(input, &mut i, 2, next_is_field, pattern)?),
            "DDD" | "IDDD" => p.yday = Some(read_number(input, &mut i, 3, next_is_field, pattern)?),
            "J" => p.julian = Some(read_number(input, &mut i, 7, next_is_field, pattern)?),
            "HH" | "HH12" => {
                p.hour = Some(read_number(input, &mut i, 2, next_is_field, pattern)?);
                p.twelve_hour = true;
            }
            "HH24" => p.hour = Some(read_number(input, &mut i, 2, next_is_field, pattern)?),
            "MI" => p.minute = read_number(input, &mut i, 2, next_is_field, pattern)?,
            "SS" => p.second = read_number(input, &mut i, 2, next_is_field, pattern)?,
            "MS" | "US" | "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
                let start = i;
                let v = read_number(input, &mut i, 6, next_is_field, pattern)?;
                let digits = (i - start) as u32;
                // The digits are a fraction of a second: `SS.MS` of
                // `12.3` is 300 milliseconds.
                p.micros = match pattern {
                    "MS" => v
                        .saturating_mul(10i64.pow(3u32.saturating_sub(digits)))
                        .saturating_mul(1000),
                    _ => v.saturating_mul(10i64.pow(6u32.saturating_sub(digits))),
                };
            }
            "SSSS" | "SSSSS" => {
                let v = read_number(input, &mut i, 5, next_is_field, pattern)?;
                p.hour = Some(v / 3600);
                p.minute = v / 60 % 60;
                p.second = v % 60;
            }
            "AM" | "PM" | "am" | "pm" | "A.M." | "P.M." | "a.m." | "p.m." => {
                let rest = input[i..].to_ascii_uppercase();
                let (pm, len) = if rest.starts_with("A.M.") {
                    (false, 4)
                } else if rest.starts_with("P.M.") {
                    (true, 4)
                } else if rest.starts_with("AM") {
                    (false, 2)
                } else if rest.starts_with("PM") {
                    (true, 2)
                } else {
                    return Err(field_error(
                        format!(
                            "invalid value \"{}\" for \"{pattern}\"",
                            input[i..].chars().take(pattern.len()).collect::<String>()
                        ),
                        Some("The given value did not match any of the allowed values for this field.".into()),
                    ));
                };
                p.pm = Some(pm);
                i += len;
            }
            "BC" | "AD" | "bc" | "ad" | "B.C." | "A.D." | "b.c." | "a.d." => {
                let rest = input[i..].to_ascii_uppercase();
                if rest.starts_with("B.C.") {
                    p.bc = true;
                    i += 4;
                } else if rest.starts_with("BC") {
                    p.bc = true;
                    i += 2;
                } else if rest.starts_with("A.D.") {
                    i += 4;
                } else if rest.starts_with("AD") {
                    i += 2;
                }
            }
            "MONTH" | "Month" | "month" | "MON" | "Mon" | "mon" => {
                let rest = input[i..].to_ascii_lowercase();
                let found = MONTHS.iter().enumerate().find_map(|(k, m)| {
                    let m = m.to_ascii_lowercase();
                    if pattern.len() > 3 && rest.starts_with(&m) {
                        Some((k, m.len()))
                    } else if rest.starts_with(&m[..3]) {
                        Some((k, 3))
                    } else {
                        None
                    }
                });
                let Some((k, len)) = found else {
                    return Err(field_error(
                        format!(
                            "invalid value \"{}\" for \"{pattern}\"",
                            input[i..].split(' ').next().unwrap_or("")
                        ),
                        Some("The given value did not match any of the allowed values for this field.".into()),
                    ));
                };
                p.month = Some(k as i64 + 1);
                i += len;
            }
            "DAY" | "Day" | "day" | "DY" | "Dy" | "dy" => {
                let rest = input[i..].to_ascii_lowercase();
                let len = DAYS
                    .iter()
                    .find_map(|d| {
                        let d = d.to_ascii_lowercase();
                        if rest.starts_with(&d) {
                            Some(d.len())
                        } else if rest.starts_with(&d[..3]) {
                            Some(3)
                        } else {
                            None
                        }
                    })
                    .unwrap_or(0);
                i += len;
            }
            "RM" | "rm" => {
                let rest = input[i..].to_ascii_uppercase();
                let found = ROMAN_MONTHS
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| rest.starts_with(*r))
                    .max_by_key(|(_, r)| r.len());
                if let Some((k, r)) = found {
                    p.month = Some(k as i64 + 1);
                    i += r.len();
                }
            }
            "TZH" => {
                let start = i;
                let h = read_number(input, &mut i, 3, next_is_field, pattern)?;
                if !(-15..=15).contains(&h) {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        format!("invalid value \"{h}\" for \"TZH\""),
                    ));
                }
                // `-00` is a negative offset of zero hours.
                negative_zone = input[start..i].starts_with('-');
                p.tz_offset = Some(h as i32 * 3600);
            }
            "TZM" => {
                let m = read_number(input, &mut i, 2, next_is_field, pattern)?;
                if !(0..=59).contains(&m) {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        format!("invalid value \"{m}\" for \"TZM\""),
                    ));
                }
                let off = p.tz_offset.unwrap_or(0);
                let minutes = m as i32 * 60;
                p.tz_offset = Some(if negative_zone {
                    off - minutes
                } else {
                    off + minutes
                });
            }
            "W" | "WW" | "IW" | "D" | "ID" | "Q" | "CC" => {
                read_number(input, &mut i, 2, next_is_field, pattern)?;
            }
            other => {
                return Err(PgError::feature_not_supported(format!(
                    "template pattern \"{other}\" in input"
                )));
            }
        }
    }
    Ok(p)
}

/// Reads a number field of `input` at `*i`: its digits (with a sign); no
/// more than `width` of them when another field follows directly.
fn read_number(
    input: &str,
    i: &mut usize,
    width: usize,
    next_is_field: bool,
    name: &str,
) -> PgResult<i64> {
    let s = input.as_bytes();
    let start = *i;
    if *i < s.len() && (s[*i] == b'-' || s[*i] == b'+') {
        *i += 1;
    }
    while *i < s.len() && s[*i].is_ascii_digit() && (!next_is_field || *i - start < width) {
        *i += 1;
    }
    input[start..*i].parse::<i64>().map_err(|_| {
        let shown: String = input[start..].chars().take(width.max(1)).collect();
        field_error(
            format!("invalid value \"{shown}\" for \"{name}\""),
            Some("Value must be an integer.".into()),
        )
    })
}

/// The parts of a number template.
#[derive(Default, Debug)]
struct NumFormat {
    /// digit positions before the decimal point; `true` for `0`
    int_digits: Vec<bool>,
    frac_digits: usize,
    /// `0`s after the point (the rest, `9`s, are dropped by FM)
    frac_zeros: usize,
    fill: bool,
    has_point: bool,
    /// the template with digits, points and signs as placeholders
    items: Vec<NumItem>,
    /// `S` before the digits: the sign goes just before the first digit.
    lead_s: bool,
    angle: bool,
    eeee: bool,
    roman: bool,
    ordinal: Option<bool>,
    shift: u32,
    /// `S`, `SG` or `MI`: no implicit leading minus.
    explicit_sign: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum NumItem {
    IntDigit,
    FracDigit,
    Point,
    Group,
    /// `S` (after the digits), `SG`, `PL`, `MI`, where they stand
    Sign(SignKind),
    Literal(String),
}

/// The sign patterns of a number template.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SignKind {
    /// `S` and `SG`: `+` or `-`
    PlusMinus,
    /// `PL`: `+` or a space
    Plus,
    /// `MI`: `-` or a space
    Minus,
}

fn parse_number_template(fmt: &str) -> NumFormat {
    let mut f = NumFormat::default();
    let mut rest = fmt;
    let mut after_point = false;
    while !rest.is_empty() {
        let up = rest.to_ascii_uppercase();
        let take = |n: usize, rest: &mut &str| *rest = &rest[n..];
        if up.starts_with("FM") {
            f.fill = true;
            take(2, &mut rest);
        } else if up.starts_with("EEEE") {
            f.eeee = true;
            take(4, &mut rest);
        } else if up.starts_with("RN") {
            f.roman = true;
            take(2, &mut rest);
        } else if up.starts_with("TH") {
            f.ordinal = Some(rest.starts_with("TH"));
            take(2, &mut rest);
        } else if up.starts_with("PR") {
            f.angle = true;
            take(2, &mut rest);
        } else if up.starts_with("MI") {
            f.explicit_sign = true;
            f.items.push(NumItem::Sign(SignKind::Minus));
            take(2, &mut rest);
        } else if up.starts_with("SG") {
            f.explicit_sign = true;
            f.items.push(NumItem::Sign(SignKind::PlusMinus));
            take(2, &mut rest);
        } else if up.starts_with("PL") {
            f.items.push(NumItem::Sign(SignKind::Plus));
            take(2, &mut rest);
        } else if up.starts_with('S') {
            f.explicit_sign = true;
            if f.int_digits.is_empty() && !after_point {
                f.lead_s = true;
            } else {
                f.items.push(NumItem::Sign(SignKind::PlusMinus));
            }
            take(1, &mut rest);
        } else if rest.starts_with('"') {
            // Quoted text, a backslash escaping a quote inside.
            let mut text = String::new();
            let mut chars = rest[1..].char_indices();
            let mut end = rest.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            text.push(n);
                        }
                    }
                    '"' => {
                        end = i + 2;
                        break;
                    }
                    c => text.push(c),
                }
            }
            f.items.push(NumItem::Literal(text));
            take(end, &mut rest);
        } else if rest.starts_with("\\\"") {
            f.items.push(NumItem::Literal("\"".into()));
            take(2, &mut rest);
        } else if up.starts_with('V') {
            take(1, &mut rest);
            while rest.starts_with('9') {
                f.shift += 1;
                take(1, &mut rest);
            }
        } else if up.starts_with('L') {
            // The C locale's currency symbol, a space.
            f.items.push(NumItem::Literal(" ".into()));
            take(1, &mut rest);
        } else if rest.starts_with('9') || rest.starts_with('0') {
            if after_point {
                f.frac_digits += 1;
                if rest.starts_with('0') {
                    f.frac_zeros = f.frac_digits;
                }
                f.items.push(NumItem::FracDigit);
            } else {
                f.int_digits.push(rest.starts_with('0'));
                f.items.push(NumItem::IntDigit);
            }
            take(1, &mut rest);
        } else if (rest.starts_with('.') || up.starts_with('D')) && !after_point {
            after_point = true;
            f.has_point = true;
            f.items.push(NumItem::Point);
            take(1, &mut rest);
        } else if rest.starts_with(',') || up.starts_with('G') {
            f.items.push(NumItem::Group);
            take(1, &mut rest);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            f.items.push(NumItem::Literal(c.to_string()));
            take(c.len_utf8(), &mut rest);
        }
    }
    f
}

fn roman(mut n: i64) -> String {
    const TABLE: [(i64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in TABLE {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// `to_char(number, text)`.
fn number_to_char(v: &Datum, fmt: &str, opts: &OutputOptions) -> PgResult<String> {
    let f = parse_number_template(fmt);
    let value: Numeric = match v {
        Datum::Numeric(n) => n.clone(),
        Datum::Int2(x) => Numeric::from_i64(i64::from(*x)),
        Datum::Int4(x) => Numeric::from_i64(i64::from(*x)),
        Datum::Int8(x) => Numeric::from_i64(*x),
        Datum::Float4(_) | Datum::Float8(_) => {
            let t = v.to_text(opts);
            match Numeric::parse(&t) {
                Some(Ok(n)) => n,
                _ => Numeric::NaN,
            }
        }
        other => {
            return Err(PgError::internal(format!("to_char of {other:?}")));
        }
    };
    if f.roman {
        let n = value.round_to(0, false)?.to_i64_rounded().unwrap_or(0);
        if !(1..=3999).contains(&n) {
            return Ok("#".repeat(15));
        }
        let r = roman(n);
        return Ok(if f.fill { r } else { format!("{r:>15}") });
    }
    if f.eeee && !value.is_finite() {
        // PostgreSQL fills the field with '#' around the point
        let pre = f.int_digits.len().max(1);
        return Ok(format!(
            " {}.{}",
            "#".repeat(pre),
            "#".repeat(f.frac_digits + 4)
        ));
    }
    if f.eeee && !matches!(v, Datum::Float4(_) | Datum::Float8(_)) {
        let s = value.to_sci(f.frac_digits);
        let lead = if s.starts_with('-') { "" } else { " " };
        return Ok(format!("{lead}{s}"));
    }
    if f.eeee {
        let x = value.to_f64();
        let s = format!("{:.*e}", f.frac_digits, x);
        // Rust prints 1.5e3; PostgreSQL 1.5e+03.
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        let lead = if x < 0.0 { "" } else { " " };
        return Ok(format!("{lead}{mantissa}e{sign}{:02}", exp.abs()));
    }
    let scaled = if f.shift > 0 {
        value.mul(&Numeric::from_i64(10i64.pow(f.shift)))?
    } else {
        value.clone()
    };
    let rounded = scaled.round_to(f.frac_digits as i32, false)?;
    let negative = rounded.to_text().starts_with('-');
    let text = rounded.abs().rescale(f.frac_digits as u32)?.to_text();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, fr)) => (i.to_string(), fr.to_string()),
        None => (text.clone(), String::new()),
    };
    let int_part = if int_part == "0" {
        String::new()
    } else {
        int_part
    };
    let width = f.int_digits.len();
    let overflow = int_part.len() > width;
    // Where zero padding starts: the first 0 of the template.
    let zero_from = f.int_digits.iter().position(|&z| z).unwrap_or(width);
    let mut digits: Vec<Option<char>> = Vec::with_capacity(width);
    for k in 0..width {
        let from_right = width - k;
        let c = if overflow {
            Some('#')
        } else if from_right <= int_part.len() {
            int_part.chars().nth(int_part.len() - from_right)
        } else if k >= zero_from
            || (from_right == 1 && int_part.is_empty() && (frac_part.is_empty() || !f.has_point))
        {
            // A zero of the template, or the one digit of a zero value.
            Some('0')
        } else {
            None
        };
        digits.push(c);
    }
    let first_digit = digits.iter().position(Option::is_some);
    let mut frac_chars: Vec<char> = if overflow {
        vec!['#'; f.frac_digits]
    } else {
        frac_part.chars().collect()
    };
    if f.fill && !overflow {
        while frac_chars.len() > f.frac_zeros && frac_chars.last() == Some(&'0') {
            frac_chars.pop();
        }
    }
    let mut out = String::new();
    let mut int_k = 0;
    let mut frac_k = 0;
    let sign_text = |kind: SignKind| -> char {
        match (kind, negative) {
            (SignKind::PlusMinus | SignKind::Minus, true) => '-',
            (SignKind::PlusMinus | SignKind::Plus, false) => '+',
            _ => ' ',
        }
    };
    // A leading sign (none given, a leading S, or PR's '<') goes just
    // before the first printed digit.
    let lead: Option<char> = if f.angle {
        Some(if negative {
            '<'
        } else if f.fill {
            '\0'
        } else {
            ' '
        })
    } else if !f.explicit_sign {
        Some(if negative {
            '-'
        } else if f.fill {
            '\0'
        } else {
            ' '
        })
    } else if f.lead_s {
        Some(if negative { '-' } else { '+' })
    } else {
        None
    };
    let mut pending_sign = lead.is_some();
    let lead = lead.unwrap_or('\0');
    // FM prints a lone 0 in the last integer position when nothing else would show
    let last_int = f.int_digits.len().checked_sub(1);
    let lone_zero = f.fill && first_digit.is_none() && frac_chars.is_empty();
    let mut after_point = false;
    for item in &f.items {
        match item {
            NumItem::IntDigit => {
                let d = digits[int_k];
                if pending_sign && Some(int_k) == first_digit {
                    out.push(lead);
                    pending_sign = false;
                }
                match d {
                    Some(c) => out.push(c),
                    None if lone_zero && Some(int_k) == last_int => {
                        if pending_sign {
                            out.push(lead);
                            pending_sign = false;
                        }
                        out.push('0');
                    }
                    None if !f.fill => out.push(' '),
                    None => {}
                }
                int_k += 1;
            }
            NumItem::FracDigit => {
                if let Some(&c) = frac_chars.get(frac_k) {
                    out.push(c);
                } else if !f.fill {
                    out.push('0');
                }
                frac_k += 1;
            }
            NumItem::Point => {
                if pending_sign {
                    out.push(lead);
                    pending_sign = false;
                }
                after_point = true;
                // FM drops a point that no fraction digit can follow
                if !(f.fill && f.frac_digits == 0) {
                    out.push('.');
                }
            }
            NumItem::Group => {
                if after_point || first_digit.is_some_and(|fd| int_k > fd) || overflow {
                    out.push(',');
                } else if !f.fill {
                    out.push(' ');
                }
            }
            NumItem::Sign(kind) => out.push(sign_text(*kind)),
            NumItem::Literal(s) => out.push_str(s),
        }
    }
    if pending_sign {
        out.insert(0, lead);
    }
    if f.angle {
        out.push(if negative {
            '>'
        } else if f.fill {
            '\0'
        } else {
            ' '
        });
    }
    let mut out: String = out.chars().filter(|&c| c != '\0').collect();
    // No ordinal suffix for a negative number.
    if let Some(upper) = f.ordinal
        && !overflow
        && !negative
        && !f.has_point
    {
        let n = value.round_to(0, false)?.to_i64_rounded().unwrap_or(0);
        out.push_str(ordinal_suffix(n, upper));
    }
    Ok(out)
}

/// `to_number(text, text)`: the digits, sign and point of `input` where
/// the template has them.
fn to_number(input: &str, fmt: &str) -> PgResult<Numeric> {
    let f = parse_number_template(fmt);
    let mut digits = String::new();
    let mut negative = false;
    let mut seen_point = false;
    let mut frac = 0;
    for c in input.chars() {
        match c {
            '0'..='9' => {
                if seen_point {
                    if frac >= f.frac_digits && f.has_point {
                        continue;
                    }
                    frac += 1;
                }
                digits.push(c);
            }
            '.' if f.has_point && !seen_point => {
                seen_point = true;
                digits.push('.');
            }
            '-' | '<' => negative = true,
            _ => {}
        }
    }
    if digits.is_empty() || digits == "." {
        return Err(PgError::new(
            SqlState::InvalidTextRepresentation,
            "invalid input syntax for type numeric: \" \"",
        ));
    }
    let text = if negative {
        format!("-{digits}")
    } else {
        digits
    };
    let n = match Numeric::parse(&text) {
        Some(r) => r?,
        None => {
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                format!("invalid input syntax for type numeric: \"{text}\""),
            ));
        }
    };
    if f.shift > 0 {
        return n.div(&Numeric::from_i64(10i64.pow(f.shift)));
    }
    Ok(n)
}
