//! `date`, `timestamp`, `timestamptz` and `interval`: calendar arithmetic, text
//! input and output (all DateStyles) and time zones.
//!
//! Values count from PostgreSQL's epoch, 2000-01-01 00:00:00 UTC: dates in days,
//! timestamps in microseconds; `i64::MIN`/`i64::MAX` (and `i32::MIN`/`i32::MAX` for
//! dates) are `-infinity`/`infinity`.
//!
//! Text output follows `DateStyle` ([`DateStyle`]: ISO, SQL, Postgres, German, with
//! the MDY/DMY/YMD order where the style uses one); text input reads ISO dates and
//! timestamps, numeric dates in the DateStyle order (`01/02/2026`), `YYYYMMDD`, month
//! and weekday names (so every output style reads back), AM/PM, BC, `epoch` and
//! `infinity`. Interval text is `interval.rs`.
//!
//! Time zones ([`TimeZone`]) are UTC, fixed offsets, or the zones of the system's
//! tz database with their daylight-saving rules (`America/Los_Angeles`,
//! `PST8PDT`; see `tz.rs`). Zone names in timestamp input are only UTC/GMT/Z and
//! numeric offsets.

use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};

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
    /// Field-wise sum (`interval_pl`), None on overflow.
    pub fn checked_add(&self, o: &Interval) -> Option<Interval> {
        Some(Interval {
            months: self.months.checked_add(o.months)?,
            days: self.days.checked_add(o.days)?,
            micros: self.micros.checked_add(o.micros)?,
        })
    }

    /// The comparison key PostgreSQL uses (30-day months, 24-hour days).
    pub fn cmp_key(&self) -> i128 {
        (self.months as i128 * 30 + self.days as i128) * USECS_PER_DAY as i128 + self.micros as i128
    }
}

/// A `time with time zone`: a time of day and the offset it was given with,
/// kept as PostgreSQL keeps them (the zone in seconds west of Greenwich).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeTz {
    /// microseconds since midnight, local to the zone
    pub micros: i64,
    /// seconds west of Greenwich (`+05:30` is -19800)
    pub zone: i32,
}

impl TimeTz {
    /// `timetz_cmp`: by the instant in UTC, then by zone (east first).
    pub fn compare(&self, other: &TimeTz) -> std::cmp::Ordering {
        let utc = |t: &TimeTz| t.micros + t.zone as i64 * USECS_PER_SEC;
        utc(self).cmp(&utc(other)).then(self.zone.cmp(&other.zone))
    }
}

/// `timetz_out`: the time, then its offset east (`12:00:00+05:30`).
pub fn format_timetz(t: &TimeTz) -> String {
    format!("{}{}", format_time_of_day(t.micros), format_offset(-t.zone))
}

/// `timetz_in`: a time with an optional zone (offset, abbreviation or zone
/// name), or a whole timestamp's time and zone. Without a zone the time is
/// in `zone` at today's date (the date also picks a named zone's offset).
pub fn parse_timetz(s: &str, zone: TimeZone) -> PgResult<TimeTz> {
    let type_name = "time with time zone";
    let t = s.trim();
    let today = zone
        .to_local(TRANSACTION_START.load(AtomicOrdering::Relaxed))
        .div_euclid(USECS_PER_DAY);
    if t.eq_ignore_ascii_case("now") {
        let now = TRANSACTION_START.load(AtomicOrdering::Relaxed);
        return Ok(TimeTz {
            micros: zone.to_local(now).rem_euclid(USECS_PER_DAY),
            zone: -zone.utc_offset(now),
        });
    }
    if t.eq_ignore_ascii_case("allballs") {
        return Ok(TimeTz { micros: 0, zone: 0 });
    }
    let (days, f) = decode(t, DateOrder::Mdy).map_err(|e| field_error(e, type_name, s))?;
    let micros = f.time.ok_or_else(|| bad_syntax(type_name, s))?;
    let day = days.map_or(today, |d| d - UNIX_EPOCH_DAYS);
    let local = day * USECS_PER_DAY + micros;
    let east = match (f.offset, f.zone) {
        (Some(o), _) => o,
        (None, Some(z)) => z.local_offset(local),
        (None, None) => zone.local_offset(local),
    };
    Ok(TimeTz {
        micros,
        zone: -east,
    })
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

/// A session time zone: UTC, a fixed offset, or a zone of the tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    /// Seconds east of Greenwich (ISO sign: +05:30 is India), for a fixed zone.
    pub offset_secs: i32,
    /// The rules of a tz database zone (its offset depends on the instant).
    pub rules: Option<&'static super::tz::ZoneRules>,
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone {
        offset_secs: 0,
        rules: None,
    };

    fn fixed(offset_secs: i32) -> TimeZone {
        TimeZone {
            offset_secs,
            rules: None,
        }
    }

    /// Seconds east of Greenwich at UTC instant `utc_micros`.
    pub fn utc_offset(&self, utc_micros: i64) -> i32 {
        match self.rules {
            Some(r) if utc_micros != TS_NEG_INF && utc_micros != TS_POS_INF => {
                r.utc_offset(utc_micros)
            }
            _ => self.offset_secs,
        }
    }

    /// The offset that turns local wall time `local_micros` into UTC.
    pub fn local_offset(&self, local_micros: i64) -> i32 {
        match self.rules {
            Some(r) if local_micros != TS_NEG_INF && local_micros != TS_POS_INF => {
                r.local_offset(local_micros)
            }
            _ => self.offset_secs,
        }
    }

    /// Local wall time (micros) of UTC instant `utc`.
    pub fn to_local(&self, utc: i64) -> i64 {
        utc.saturating_add(i64::from(self.utc_offset(utc)) * USECS_PER_SEC)
    }

    /// The UTC instant of local wall time `local`.
    pub fn to_utc(&self, local: i64) -> i64 {
        local.saturating_sub(i64::from(self.local_offset(local)) * USECS_PER_SEC)
    }

    /// The zone of `AT TIME ZONE` and `timezone()`: a zone abbreviation
    /// (`PST`, `MSK`), else what the `TimeZone` setting takes.
    pub fn parse_with_abbreviations(name: &str) -> PgResult<TimeZone> {
        match zone_abbreviation(&name.trim().to_ascii_lowercase()) {
            Some(Abbreviation::Fixed(off)) => Ok(TimeZone::fixed(off)),
            Some(Abbreviation::Zone(z)) => TimeZone::parse(z),
            None => TimeZone::parse(name),
        }
    }

    /// Parses a `TimeZone` setting: UTC and its aliases, `Etc/GMT+5`, POSIX offsets
    /// without daylight rules (`UTC+5`, `<-08>+08`, `+05:30`: POSIX signs count west).
    pub fn parse(name: &str) -> PgResult<TimeZone> {
        let n = name.trim();
        let lower = n.to_ascii_lowercase();
        match lower.as_str() {
            "utc" | "etc/utc" | "gmt" | "etc/gmt" | "z" | "zulu" | "uct" | "etc/uct"
            | "universal" | "etc/universal" | "etc/zulu" | "greenwich" | "etc/greenwich"
            | "gmt0" | "etc/gmt0" | "gmt+0" | "gmt-0" | "etc/gmt+0" | "etc/gmt-0" => {
                return Ok(TimeZone::UTC);
            }
            _ => {}
        }
        if let Some(rules) = super::tz::ZoneRules::load(n) {
            return Ok(TimeZone {
                offset_secs: 0,
                rules: Some(rules),
            });
        }
        let unsupported = || {
            PgError::new(
                SqlState::InvalidParameterValue,
                format!("time zone \"{n}\" not recognized"),
            )
        };
        if let Some(east) = numeric_zone(n) {
            if east.abs() > 15 * 3600 {
                return Err(unsupported());
            }
            return Ok(TimeZone::fixed(east));
        }
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
        Ok(TimeZone::fixed(-west))
    }
}

/// A `TimeZone` that is a bare number (`5`, `-3.5`) is that many hours east of
/// Greenwich, as `SET TIME ZONE 5` means in PostgreSQL (which shows it as `<+05>-05`).
fn numeric_zone(n: &str) -> Option<i32> {
    let body = n.strip_prefix(['+', '-']).unwrap_or(n);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let hours: f64 = n.parse().ok()?;
    ((hours * 60.0).round() as i32).checked_mul(60)
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
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        || parts.len() > 3
    {
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

/// What a time zone abbreviation in date/time input stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abbreviation {
    /// a fixed offset east of UTC, in seconds (daylight time included)
    Fixed(i32),
    /// a zone of the tz database, for an abbreviation whose offset changed
    /// over the years (`MSK`)
    Zone(&'static str),
}

/// The time zone abbreviations date/time input knows: PostgreSQL's `Default`
/// set (`timezone_abbreviations`), lower-case and sorted.
const ABBREVIATIONS: [(&str, Abbreviation); 195] = {
    use Abbreviation::*;
    [
        ("acdt", Fixed(37800)),
        ("acsst", Fixed(37800)),
        ("acst", Fixed(34200)),
        ("act", Fixed(-18000)),
        ("acwst", Fixed(31500)),
        ("adt", Fixed(-10800)),
        ("aedt", Fixed(39600)),
        ("aesst", Fixed(39600)),
        ("aest", Fixed(36000)),
        ("aft", Fixed(16200)),
        ("akdt", Fixed(-28800)),
        ("akst", Fixed(-32400)),
        ("almst", Fixed(25200)),
        ("almt", Fixed(21600)),
        ("amst", Zone("Asia/Yerevan")),
        ("amt", Fixed(-14400)),
        ("anast", Zone("Asia/Anadyr")),
        ("anat", Zone("Asia/Anadyr")),
        ("arst", Zone("America/Argentina/Buenos_Aires")),
        ("art", Zone("America/Argentina/Buenos_Aires")),
        ("ast", Fixed(-14400)),
        ("awsst", Fixed(32400)),
        ("awst", Fixed(28800)),
        ("azost", Fixed(0)),
        ("azot", Fixed(-3600)),
        ("azst", Zone("Asia/Baku")),
        ("azt", Zone("Asia/Baku")),
        ("bdst", Fixed(7200)),
        ("bdt", Fixed(21600)),
        ("bnt", Fixed(28800)),
        ("bort", Fixed(28800)),
        ("bot", Fixed(-14400)),
        ("bra", Fixed(-10800)),
        ("brst", Fixed(-7200)),
        ("brt", Fixed(-10800)),
        ("bst", Fixed(3600)),
        ("btt", Fixed(21600)),
        ("cadt", Fixed(37800)),
        ("cast", Fixed(34200)),
        ("cct", Fixed(28800)),
        ("cdt", Fixed(-18000)),
        ("cest", Fixed(7200)),
        ("cet", Fixed(3600)),
        ("cetdst", Fixed(7200)),
        ("chadt", Fixed(49500)),
        ("chast", Fixed(45900)),
        ("chut", Fixed(36000)),
        ("ckt", Zone("Pacific/Rarotonga")),
        ("clst", Fixed(-10800)),
        ("clt", Zone("America/Santiago")),
        ("cot", Fixed(-18000)),
        ("cst", Fixed(-21600)),
        ("cxt", Fixed(25200)),
        ("davt", Zone("Antarctica/Davis")),
        ("ddut", Fixed(36000)),
        ("easst", Zone("Pacific/Easter")),
        ("east", Zone("Pacific/Easter")),
        ("eat", Fixed(10800)),
        ("edt", Fixed(-14400)),
        ("eest", Fixed(10800)),
        ("eet", Fixed(7200)),
        ("eetdst", Fixed(10800)),
        ("egst", Fixed(0)),
        ("egt", Fixed(-3600)),
        ("est", Fixed(-18000)),
        ("fet", Fixed(10800)),
        ("fjst", Fixed(46800)),
        ("fjt", Fixed(43200)),
        ("fkst", Zone("Atlantic/Stanley")),
        ("fkt", Zone("Atlantic/Stanley")),
        ("fnst", Fixed(-3600)),
        ("fnt", Fixed(-7200)),
        ("galt", Fixed(-21600)),
        ("gamt", Fixed(-32400)),
        ("gest", Zone("Asia/Tbilisi")),
        ("get", Zone("Asia/Tbilisi")),
        ("gft", Fixed(-10800)),
        ("gilt", Fixed(43200)),
        ("gmt", Fixed(0)),
        ("gyt", Zone("America/Guyana")),
        ("hkt", Fixed(28800)),
        ("hst", Fixed(-36000)),
        ("ict", Fixed(25200)),
        ("idt", Fixed(10800)),
        ("iot", Zone("Indian/Chagos")),
        ("irkst", Zone("Asia/Irkutsk")),
        ("irkt", Zone("Asia/Irkutsk")),
        ("irt", Fixed(12600)),
        ("ist", Fixed(7200)),
        ("jayt", Fixed(32400)),
        ("jst", Fixed(32400)),
        ("kdt", Fixed(36000)),
        ("kgst", Fixed(21600)),
        ("kgt", Zone("Asia/Bishkek")),
        ("kost", Zone("Pacific/Kosrae")),
        ("krast", Zone("Asia/Krasnoyarsk")),
        ("krat", Zone("Asia/Krasnoyarsk")),
        ("kst", Fixed(32400)),
        ("lhdt", Zone("Australia/Lord_Howe")),
        ("lhst", Fixed(37800)),
        ("ligt", Fixed(36000)),
        ("lint", Zone("Pacific/Kiritimati")),
        ("lkt", Zone("Asia/Colombo")),
        ("magst", Zone("Asia/Magadan")),
        ("magt", Zone("Asia/Magadan")),
        ("mart", Fixed(-34200)),
        ("mawt", Zone("Antarctica/Mawson")),
        ("mdt", Fixed(-21600)),
        ("mest", Fixed(7200)),
        ("mesz", Fixed(7200)),
        ("met", Fixed(3600)),
        ("metdst", Fixed(7200)),
        ("mez", Fixed(3600)),
        ("mht", Fixed(43200)),
        ("mmt", Fixed(23400)),
        ("mpt", Fixed(36000)),
        ("msd", Fixed(14400)),
        ("msk", Zone("Europe/Moscow")),
        ("mst", Fixed(-25200)),
        ("must", Fixed(18000)),
        ("mut", Fixed(14400)),
        ("mvt", Fixed(18000)),
        ("myt", Fixed(28800)),
        ("ndt", Fixed(-9000)),
        ("nft", Fixed(-12600)),
        ("novst", Zone("Asia/Novosibirsk")),
        ("novt", Zone("Asia/Novosibirsk")),
        ("npt", Fixed(20700)),
        ("nst", Fixed(-12600)),
        ("nut", Zone("Pacific/Niue")),
        ("nzdt", Fixed(46800)),
        ("nzst", Fixed(43200)),
        ("nzt", Fixed(43200)),
        ("omsst", Zone("Asia/Omsk")),
        ("omst", Zone("Asia/Omsk")),
        ("pdt", Fixed(-25200)),
        ("pet", Fixed(-18000)),
        ("petst", Zone("Asia/Kamchatka")),
        ("pett", Zone("Asia/Kamchatka")),
        ("pgt", Fixed(36000)),
        ("pht", Fixed(28800)),
        ("pkst", Fixed(21600)),
        ("pkt", Fixed(18000)),
        ("pmdt", Fixed(-7200)),
        ("pmst", Fixed(-10800)),
        ("pont", Fixed(39600)),
        ("pst", Fixed(-28800)),
        ("pwt", Fixed(32400)),
        ("pyst", Fixed(-10800)),
        ("pyt", Zone("America/Asuncion")),
        ("ret", Fixed(14400)),
        ("sadt", Fixed(37800)),
        ("sast", Fixed(7200)),
        ("sct", Fixed(14400)),
        ("sgt", Zone("Asia/Singapore")),
        ("taht", Fixed(-36000)),
        ("tft", Fixed(18000)),
        ("tjt", Fixed(18000)),
        ("tkt", Zone("Pacific/Fakaofo")),
        ("tmt", Zone("Asia/Ashgabat")),
        ("tot", Fixed(46800)),
        ("trut", Fixed(36000)),
        ("tvt", Fixed(43200)),
        ("uct", Fixed(0)),
        ("ulast", Fixed(32400)),
        ("ulat", Zone("Asia/Ulaanbaatar")),
        ("ut", Fixed(0)),
        ("utc", Fixed(0)),
        ("uyst", Fixed(-7200)),
        ("uyt", Fixed(-10800)),
        ("uzst", Fixed(21600)),
        ("uzt", Fixed(18000)),
        ("vet", Zone("America/Caracas")),
        ("vlast", Zone("Asia/Vladivostok")),
        ("vlat", Zone("Asia/Vladivostok")),
        ("volt", Zone("Europe/Volgograd")),
        ("vut", Fixed(39600)),
        ("wadt", Fixed(28800)),
        ("wakt", Fixed(43200)),
        ("wast", Fixed(25200)),
        ("wat", Fixed(3600)),
        ("wdt", Fixed(32400)),
        ("wet", Fixed(0)),
        ("wetdst", Fixed(3600)),
        ("wft", Fixed(43200)),
        ("wgst", Fixed(-7200)),
        ("wgt", Fixed(-10800)),
        ("xjt", Fixed(21600)),
        ("yakst", Zone("Asia/Yakutsk")),
        ("yakt", Zone("Asia/Yakutsk")),
        ("yapt", Fixed(36000)),
        ("yekst", Fixed(21600)),
        ("yekt", Zone("Asia/Yekaterinburg")),
        ("z", Fixed(0)),
        ("zulu", Fixed(0)),
    ]
};

/// The meaning of a zone abbreviation (lower-case), if it is one.
pub fn zone_abbreviation(word: &str) -> Option<Abbreviation> {
    ABBREVIATIONS
        .binary_search_by(|(n, _)| (*n).cmp(word))
        .ok()
        .map(|i| ABBREVIATIONS[i].1)
}

/// The start of the current transaction (`now()`), for the input words `now`,
/// `today`, `tomorrow` and `yesterday`. Set by the backend as a transaction
/// starts; a backend process serves one session, so one value per process.
static TRANSACTION_START: AtomicI64 = AtomicI64::new(0);

/// The current transaction's start (see [`TRANSACTION_START`]).
pub fn transaction_start() -> i64 {
    TRANSACTION_START.load(AtomicOrdering::Relaxed)
}

/// Records the current transaction's start (see [`TRANSACTION_START`]).
pub fn set_transaction_start(ts: i64) {
    TRANSACTION_START.store(ts, AtomicOrdering::Relaxed);
}

/// A relative input word as local wall time in `zone`, or None if `word` is
/// not one: `now`, and midnight of `today`, `tomorrow` or `yesterday`.
fn relative_local(word: &str, zone: TimeZone) -> Option<i64> {
    let local = zone.to_local(TRANSACTION_START.load(AtomicOrdering::Relaxed));
    let midnight = local.div_euclid(USECS_PER_DAY) * USECS_PER_DAY;
    Some(match word {
        "now" => local,
        "today" => midnight,
        "tomorrow" => midnight + USECS_PER_DAY,
        "yesterday" => midnight - USECS_PER_DAY,
        _ => return None,
    })
}

/// The day (since 1970-01-01) `today`, `tomorrow` or `yesterday` names in
/// the session's `zone`, when the input has one of them.
fn relative_days(f: &Fields, zone: TimeZone) -> Option<i64> {
    let rel = f.relative?;
    let local = zone.to_local(TRANSACTION_START.load(AtomicOrdering::Relaxed));
    Some(local.div_euclid(USECS_PER_DAY) + UNIX_EPOCH_DAYS + rel)
}

/// True for the words date/time input reads relative to the transaction's
/// start (their value depends on the session's zone and the moment).
pub fn is_relative_input(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "now" | "today" | "tomorrow" | "yesterday"
        )
    })
}

/// The output format half of `DateStyle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2026-11-25 08:10:00+00`
    Iso,
    /// `11/25/2026 08:10:00 UTC` (`25/11/2026` in DMY order)
    Sql,
    /// `Wed Nov 25 08:10:00 2026 UTC` (`Wed 25 Nov` in DMY order)
    Postgres,
    /// `25.11.2026 08:10:00 UTC`
    German,
}

/// The field order half of `DateStyle`: how ambiguous numeric dates such as
/// `01/02/2026` are read, and the order of the SQL and Postgres output styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Mdy,
    Dmy,
    Ymd,
}

/// A `DateStyle` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateStyle {
    pub format: DateFormat,
    pub order: DateOrder,
}

impl Default for DateStyle {
    fn default() -> Self {
        DateStyle {
            format: DateFormat::Iso,
            order: DateOrder::Mdy,
        }
    }
}

impl DateStyle {
    /// Reads a `DateStyle` value such as `ISO, MDY` or `German, DMY` (the GUC has
    /// validated and canonicalised it); unknown words are ignored. A format given
    /// without an order takes the order PostgreSQL gives it (German: DMY).
    pub fn parse(setting: &str) -> DateStyle {
        let mut style = DateStyle::default();
        let mut order_given = false;
        for word in setting.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "iso" => style.format = DateFormat::Iso,
                "sql" => style.format = DateFormat::Sql,
                "postgres" => style.format = DateFormat::Postgres,
                "german" => {
                    style.format = DateFormat::German;
                    if !order_given {
                        style.order = DateOrder::Dmy;
                    }
                }
                "mdy" | "us" | "noneuro" | "noneuropean" => {
                    style.order = DateOrder::Mdy;
                    order_given = true;
                }
                "dmy" | "euro" | "european" => {
                    style.order = DateOrder::Dmy;
                    order_given = true;
                }
                "ymd" => {
                    style.order = DateOrder::Ymd;
                    order_given = true;
                }
                _ => {}
            }
        }
        style
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The abbreviation timestamptz output shows in the SQL, Postgres and German styles
/// for the `TimeZone` setting `name` (one [`TimeZone::parse`] accepts): `UTC` or `GMT`
/// for the zones of those names, `-05` for `Etc/GMT+5`, the upper-cased name of a
/// POSIX zone (`EST` for `EST5`, `+05` for `<+05>-05`), and nothing for a bare POSIX
/// offset such as `+05:30`.
pub fn zone_abbrev(name: &str) -> String {
    let n = name.trim();
    let lower = n.to_ascii_lowercase();
    match lower.as_str() {
        "utc" | "etc/utc" | "zulu" | "etc/zulu" | "uct" | "etc/uct" | "universal"
        | "etc/universal" | "z" => {
            return "UTC".into();
        }
        "gmt" | "etc/gmt" | "greenwich" | "etc/greenwich" | "gmt0" | "etc/gmt0" | "gmt+0"
        | "gmt-0" | "etc/gmt+0" | "etc/gmt-0" => return "GMT".into(),
        _ => {}
    }
    if lower.starts_with("etc/gmt") {
        // tzdata names these zones by their offset east of Greenwich, without colons
        return match TimeZone::parse(n) {
            Ok(z) if z.offset_secs != 0 => {
                let sign = if z.offset_secs < 0 { '-' } else { '+' };
                let a = z.offset_secs.abs();
                let (h, m) = (a / 3600, (a / 60) % 60);
                if m == 0 {
                    format!("{sign}{h:02}")
                } else {
                    format!("{sign}{h:02}{m:02}")
                }
            }
            _ => "GMT".into(),
        };
    }
    if let Some(east) = numeric_zone(n) {
        // PostgreSQL turns these into `<+05>-05` (`<+05:30>-05:30`)
        let sign = if east < 0 { '-' } else { '+' };
        let a = east.abs();
        let (h, m) = (a / 3600, (a / 60) % 60);
        return if m == 0 {
            format!("{sign}{h:02}")
        } else {
            format!("{sign}{h:02}:{m:02}")
        };
    }
    if let Some(r) = n.strip_prefix('<') {
        return r
            .split_once('>')
            .map_or(String::new(), |(abbr, _)| abbr.to_ascii_uppercase());
    }
    n.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The year as output shows it (at least four digits) and whether it is BC.
fn year_text(y: i64) -> (String, bool) {
    if y <= 0 {
        (format!("{:04}", 1 - y), true)
    } else {
        (format!("{y:04}"), false)
    }
}

/// The date part of `date_out` and `timestamp_out` in `style` (without " BC").
fn format_date_part(y: i64, m: u32, d: u32, style: DateStyle) -> (String, bool) {
    let (year, bc) = year_text(y);
    let s = match (style.format, style.order) {
        (DateFormat::Iso, _) => format!("{year}-{m:02}-{d:02}"),
        (DateFormat::Sql, DateOrder::Dmy) => format!("{d:02}/{m:02}/{year}"),
        (DateFormat::Sql, _) => format!("{m:02}/{d:02}/{year}"),
        (DateFormat::German, _) => format!("{d:02}.{m:02}.{year}"),
        (DateFormat::Postgres, DateOrder::Dmy) => format!("{d:02}-{m:02}-{year}"),
        (DateFormat::Postgres, _) => format!("{m:02}-{d:02}-{year}"),
    };
    (s, bc)
}

/// `date_out` in the ISO style.
pub fn format_date(days: i32) -> String {
    format_date_styled(days, DateStyle::default())
}

/// `date_out` in `style`.
pub fn format_date_styled(days: i32, style: DateStyle) -> String {
    match days {
        DATE_NEG_INF => "-infinity".into(),
        DATE_POS_INF => "infinity".into(),
        _ => {
            let (y, m, d) = civil_from_days(days as i64 + UNIX_EPOCH_DAYS);
            let (s, bc) = format_date_part(y, m, d, style);
            if bc { format!("{s} BC") } else { s }
        }
    }
}

fn format_time_of_day(micros: i64) -> String {
    let secs = micros / USECS_PER_SEC;
    let frac = micros % USECS_PER_SEC;
    let mut s = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// `time_out` (the same in every DateStyle).
pub fn format_time(micros: i64) -> String {
    format_time_of_day(micros)
}

/// `timestamp_out` / `timestamptz_out` in the ISO style (`zone` = Some for timestamptz).
pub fn format_timestamp(ts: i64, zone: Option<TimeZone>) -> String {
    format_timestamp_styled(ts, zone.map(|z| (z, "")), DateStyle::default())
}

/// `timestamp_out` / `timestamptz_out` in `style`. For timestamptz, `zone` is the
/// session zone and its abbreviation ([`zone_abbrev`]): ISO shows the numeric
/// offset, the other styles the abbreviation (an empty one still leaves its space).
pub fn format_timestamp_styled(
    ts: i64,
    zone: Option<(TimeZone, &str)>,
    style: DateStyle,
) -> String {
    match ts {
        TS_NEG_INF => return "-infinity".into(),
        TS_POS_INF => return "infinity".into(),
        _ => {}
    }
    let off = zone.map_or(0, |(z, _)| z.utc_offset(ts) as i64);
    let local = ts as i128 + off as i128 * USECS_PER_SEC as i128;
    let local = local.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    let days = local.div_euclid(USECS_PER_DAY);
    let tod = local.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days + UNIX_EPOCH_DAYS);
    let time = format_time_of_day(tod);
    let (mut s, bc) = if style.format == DateFormat::Postgres {
        let (year, bc) = year_text(y);
        let dow = WEEKDAYS[(days + UNIX_EPOCH_DAYS + 4).rem_euclid(7) as usize];
        let mon = MONTHS[(m - 1) as usize];
        let s = if style.order == DateOrder::Dmy {
            format!("{dow} {d:02} {mon} {time} {year}")
        } else {
            format!("{dow} {mon} {d:02} {time} {year}")
        };
        (s, bc)
    } else {
        let (date, bc) = format_date_part(y, m, d, style);
        (format!("{date} {time}"), bc)
    };
    if let Some((z, abbrev)) = zone {
        if style.format == DateFormat::Iso {
            s.push_str(&format_offset(off as i32));
        } else {
            s.push(' ');
            match z.rules {
                Some(r) => s.push_str(&r.abbrev(ts)),
                None => s.push_str(abbrev),
            }
        }
    }
    if bc {
        s.push_str(" BC");
    }
    s
}

fn bad_syntax(type_name: &str, s: &str) -> PgError {
    PgError::new(
        SqlState::InvalidDatetimeFormat,
        format!("invalid input syntax for type {type_name}: \"{s}\""),
    )
}

fn out_of_range(what: &str, s: &str) -> PgError {
    PgError::new(
        SqlState::DatetimeFieldOverflow,
        format!("{what} out of range: \"{s}\""),
    )
}

/// Why a date/time field could not be read.
enum FieldError {
    /// not a date/time at all: 22007 `invalid input syntax`
    Syntax,
    /// a field out of range: 22008
    Overflow,
    /// a month or day that another DateStyle order might read: 22008 with a hint
    MonthDay,
}

fn field_error(e: FieldError, type_name: &str, s: &str) -> PgError {
    let overflow = || {
        PgError::new(
            SqlState::DatetimeFieldOverflow,
            format!("date/time field value out of range: \"{s}\""),
        )
    };
    match e {
        FieldError::Syntax => bad_syntax(type_name, s),
        FieldError::Overflow => overflow(),
        FieldError::MonthDay => {
            overflow().with_hint("Perhaps you need a different \"datestyle\" setting.")
        }
    }
}

/// Parses a time of day `HH:MM[:SS[.ffffff]]` in micros (second 60 is the next minute,
/// 24:00:00 is allowed, as PostgreSQL does).
fn parse_hms(s: &str) -> Result<i64, FieldError> {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(FieldError::Syntax);
    }
    let sec = parts.get(2).copied().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    if !digits(parts[0])
        || !digits(parts[1])
        || !digits(whole)
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(FieldError::Syntax);
    }
    let num = |p: &str| p.parse::<i64>().map_err(|_| FieldError::Overflow);
    let (h, m, sv) = (num(parts[0])?, num(parts[1])?, num(whole)?);
    let mut f = format!("{frac:0<7}");
    f.truncate(7);
    let f7: i64 = f.parse().map_err(|_| FieldError::Syntax)?;
    let fm = (f7 + 5) / 10; // round to microseconds
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || sv > 60 {
        return Err(FieldError::Overflow);
    }
    let v = ((h * 60 + m) * 60 + sv) * USECS_PER_SEC + fm;
    if v > USECS_PER_DAY {
        return Err(FieldError::Overflow);
    }
    Ok(v)
}

fn month_number_of(word: &str) -> Option<u32> {
    month_number(&word.to_ascii_lowercase())
}

fn month_number(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|n| word.len() >= 3 && n.starts_with(word))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    const NAMES: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    matches!(word, "tues" | "wednes" | "thur" | "thurs")
        || NAMES
            .iter()
            .any(|n| word.len() >= 3 && n.starts_with(word) && (word.len() == 3 || word == *n))
}

/// The fields of a date/time string, before the date is assembled.
#[derive(Default)]
struct Fields {
    year: Option<(i64, usize)>,
    month: Option<u32>,
    day: Option<u32>,
    text_month: bool,
    time: Option<i64>,
    /// offset east of UTC in seconds
    offset: Option<i32>,
    /// a zone whose offset depends on the date (`America/New_York`, `MSK`)
    zone: Option<TimeZone>,
    /// `today` (0), `tomorrow` (1) or `yesterday` (-1): days from the
    /// session's current date
    relative: Option<i64>,
    bc: bool,
    pm: Option<bool>,
}

impl Fields {
    /// Places one numeric date field (`digits` as written), in `order` unless its
    /// length makes it a year.
    fn place(&mut self, digits: &str, order: DateOrder) -> Result<(), FieldError> {
        let v: i64 = digits.parse().map_err(|_| FieldError::Overflow)?;
        if digits.len() >= 3 {
            if self.year.is_some() {
                return Err(FieldError::MonthDay);
            }
            self.year = Some((v, digits.len()));
            return Ok(());
        }
        #[derive(PartialEq)]
        enum Slot {
            Y,
            M,
            D,
        }
        let seq: &[Slot] = if self.text_month {
            &[Slot::D, Slot::Y]
        } else if self.year.is_some() && self.month.is_none() && self.day.is_none() {
            &[Slot::M, Slot::D]
        } else {
            match order {
                DateOrder::Mdy => &[Slot::M, Slot::D, Slot::Y],
                DateOrder::Dmy => &[Slot::D, Slot::M, Slot::Y],
                DateOrder::Ymd => &[Slot::Y, Slot::M, Slot::D],
            }
        };
        let free = seq.iter().find(|s| match s {
            Slot::Y => self.year.is_none(),
            Slot::M => self.month.is_none(),
            Slot::D => self.day.is_none(),
        });
        match free {
            Some(Slot::Y) => self.year = Some((v, digits.len())),
            Some(Slot::M) => self.month = Some(u32::try_from(v).map_err(|_| FieldError::MonthDay)?),
            Some(Slot::D) => self.day = Some(u32::try_from(v).map_err(|_| FieldError::MonthDay)?),
            None => return Err(FieldError::Syntax),
        }
        Ok(())
    }

    /// Days since 1970-01-01, if a date was given.
    fn days(&self) -> Result<Option<i64>, FieldError> {
        let (Some((y, ylen)), Some(m), Some(d)) = (self.year, self.month, self.day) else {
            if self.year.is_none() && self.month.is_none() && self.day.is_none() {
                return Ok(None);
            }
            return Err(FieldError::Syntax);
        };
        if self.relative.is_some() {
            return Err(FieldError::Syntax);
        }
        // two-digit years are 1970..2069
        let y = if ylen <= 2 {
            if y < 70 { 2000 + y } else { 1900 + y }
        } else {
            y
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(FieldError::MonthDay);
        }
        if y == 0 || d > days_in_month(if self.bc { 1 - y } else { y }, m) {
            return Err(FieldError::Overflow);
        }
        let y = if self.bc { 1 - y } else { y };
        Ok(Some(days_from_civil(y, m, d)))
    }
}

/// Splits `s` into tokens: runs of digits with `-` `/` `.` `:` (dates and times),
/// words, and signed offsets. Spaces and commas separate tokens.
fn tokens(s: &str) -> Result<Vec<&str>, FieldError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
            continue;
        } else if c.is_ascii_digit() {
            while i < b.len()
                && (b[i].is_ascii_digit() || matches!(b[i], b'-' | b'/' | b'.' | b':'))
            {
                // a sign after a time is a zone offset
                if b[i] == b'-' && b[start..i].contains(&b':') {
                    break;
                }
                i += 1;
            }
        } else if c == b'+' || c == b'-' {
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b':') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() {
            // a word, a zone name (`America/New_York`), or a month name with
            // the rest of its date (`Feb-10-1997`)
            while i < b.len() && (b[i].is_ascii_alphabetic() || matches!(b[i], b'/' | b'_')) {
                i += 1;
            }
            // (or a POSIX zone: `PST+8`, `GMT-1`, `MST+7:00`)
            if i + 1 < b.len() && matches!(b[i], b'-' | b'.' | b'+') && b[i + 1].is_ascii_digit() {
                while i < b.len()
                    && (b[i].is_ascii_digit() || matches!(b[i], b'-' | b'.' | b'+' | b':'))
                {
                    i += 1;
                }
            }
        } else {
            return Err(FieldError::Syntax);
        }
        out.push(&s[start..i]);
    }
    Ok(out)
}

/// Reads the date, time, zone and era fields of `s` as `date_in` and `timestamp_in`
/// do: ISO (`2026-11-25 08:10:00+02`, `2026-11-25T08:10Z`), numeric dates read in the
/// DateStyle `order` (`11/25/2026`, `25.11.2026`), `YYYYMMDD`, month names
/// (`Wed Nov 25 08:10:00 2026 UTC`, `25 November 2026`), AM/PM and BC.
fn decode(s: &str, order: DateOrder) -> Result<(Option<i64>, Fields), FieldError> {
    let mut f = Fields::default();
    let mut numbers: Vec<&str> = Vec::new();
    // how many numbers came before a month name
    let mut before_month = 0usize;
    let mut after_zone_word = false;
    for tok in tokens(s)? {
        let lower = tok.to_ascii_lowercase();
        let first = tok.as_bytes()[0];
        let was_zone_word = std::mem::take(&mut after_zone_word);
        if first == b'+' || first == b'-' {
            let mut secs = parse_offset(tok).ok_or(FieldError::Syntax)?;
            if f.offset.is_some() && !was_zone_word {
                return Err(FieldError::Syntax);
            }
            if was_zone_word {
                // `GMT+2` is a POSIX zone: two hours west
                secs = -secs;
            }
            f.offset = Some(secs);
        } else if tok.contains(':') && !first.is_ascii_alphabetic() {
            if f.time.is_some() || tok.contains(['-', '/']) {
                return Err(FieldError::Syntax);
            }
            f.time = Some(parse_hms(tok)?);
        } else if first.is_ascii_digit() {
            if let Some((y, doy)) = tok.split_once('.')
                && y.len() >= 4
                && doy.len() == 3
                && doy.bytes().all(|c| c.is_ascii_digit())
                && f.year.is_none()
                && f.month.is_none()
            {
                // `1997.041`: a year and a day of it
                let year: i64 = y.parse().map_err(|_| FieldError::Syntax)?;
                let doy: i64 = doy.parse().map_err(|_| FieldError::Syntax)?;
                let last = if days_in_month(year, 2) == 29 {
                    366
                } else {
                    365
                };
                if !(1..=last).contains(&doy) {
                    return Err(FieldError::Overflow);
                }
                let (_, m, d) = civil_from_days(days_from_civil(year, 1, 1) + doy - 1);
                f.year = Some((year, y.len()));
                f.month = Some(m);
                f.day = Some(d);
            } else if tok.contains(['-', '/', '.']) {
                let parts: Vec<&str> = tok.split(['-', '/', '.']).collect();
                if parts.len() != 3
                    || parts.iter().any(|p| p.is_empty())
                    || f.year.is_some()
                    || f.month.is_some()
                    || f.day.is_some()
                {
                    return Err(FieldError::Syntax);
                }
                for p in parts {
                    f.place(p, order)?;
                }
            } else {
                numbers.push(tok);
            }
        } else if first.is_ascii_alphabetic()
            && tok.contains(['-', '.', '+'])
            && tok
                .split(['-', '.', '+'])
                .next()
                .and_then(month_number_of)
                .is_none()
        {
            // a POSIX zone: `PST+8` is eight hours west of Greenwich
            if f.offset.is_some() || f.zone.is_some() {
                return Err(FieldError::Syntax);
            }
            f.zone = Some(TimeZone::parse(tok).map_err(|_| FieldError::Syntax)?);
        } else if first.is_ascii_alphabetic() && tok.contains(['-', '.']) {
            // `Feb-10-1997`: a month name, then day and year
            let mut parts = tok.split(['-', '.']);
            let m = parts
                .next()
                .and_then(month_number_of)
                .ok_or(FieldError::Syntax)?;
            if f.month.is_some() {
                return Err(FieldError::Syntax);
            }
            f.month = Some(m);
            f.text_month = true;
            before_month = numbers.len();
            for p in parts {
                if p.is_empty() {
                    return Err(FieldError::Syntax);
                }
                numbers.push(p);
            }
        } else if tok.contains('/') {
            // a time zone name
            if f.offset.is_some() || f.zone.is_some() {
                return Err(FieldError::Syntax);
            }
            f.zone = Some(TimeZone::parse(tok).map_err(|_| FieldError::Syntax)?);
        } else if let Some(m) = month_number(&lower) {
            if f.month.is_some() {
                return Err(FieldError::Syntax);
            }
            f.month = Some(m);
            f.text_month = true;
            before_month = numbers.len();
        } else {
            match lower.as_str() {
                "bc" => f.bc = true,
                "ad" | "t" => {}
                "am" => f.pm = Some(false),
                "pm" => f.pm = Some(true),
                "utc" | "gmt" | "z" | "zulu" | "ut" => {
                    if f.offset.is_some() {
                        return Err(FieldError::Syntax);
                    }
                    f.offset = Some(0);
                    after_zone_word = true;
                }
                w if is_weekday(w) => {}
                "today" | "tomorrow" | "yesterday" => {
                    if f.relative.is_some() {
                        return Err(FieldError::Syntax);
                    }
                    f.relative = Some(match lower.as_str() {
                        "today" => 0,
                        "tomorrow" => 1,
                        _ => -1,
                    });
                }
                w => match zone_abbreviation(w) {
                    Some(_) if f.offset.is_some() || f.zone.is_some() => {
                        return Err(FieldError::Syntax);
                    }
                    Some(Abbreviation::Fixed(off)) => f.offset = Some(off),
                    Some(Abbreviation::Zone(name)) => {
                        f.zone = Some(TimeZone::parse(name).map_err(|_| FieldError::Syntax)?);
                    }
                    None => return Err(FieldError::Syntax),
                },
            }
        }
    }
    if !numbers.is_empty() {
        if f.text_month {
            // in YMD order a number before a month name is the year, unless
            // another number is plainly one (three digits or more)
            if f.year.is_none()
                && order == DateOrder::Ymd
                && before_month > 0
                && numbers.iter().all(|n| n.len() < 3)
            {
                let y = numbers.remove(0);
                f.year = Some((y.parse().map_err(|_| FieldError::Overflow)?, y.len()));
            }
            for n in numbers {
                f.place(n, order)?;
            }
        } else if let [n, rest @ ..] = &numbers[..]
            && f.year.is_none()
            && (n.len() == 8 || n.len() == 6)
            && rest.len() <= 1
        {
            let (y, md) = n.split_at(n.len() - 4);
            f.place(y, DateOrder::Ymd)?;
            f.place(&md[..2], DateOrder::Ymd)?;
            f.place(&md[2..], DateOrder::Ymd)?;
            // `hhmmss` or `hhmm` after it is the time
            if let [t] = rest {
                if f.time.is_some() || !(t.len() == 6 || t.len() == 4) {
                    return Err(FieldError::Syntax);
                }
                let hms = if t.len() == 6 {
                    format!("{}:{}:{}", &t[..2], &t[2..4], &t[4..])
                } else {
                    format!("{}:{}", &t[..2], &t[2..])
                };
                f.time = Some(parse_hms(&hms)?);
            }
        } else {
            return Err(FieldError::Syntax);
        }
    }
    if let (Some(pm), Some(t)) = (f.pm, f.time) {
        let hour = t / (3600 * USECS_PER_SEC);
        if hour > 12 {
            return Err(FieldError::Overflow);
        }
        f.time = Some(match (pm, hour) {
            (false, 12) => t - 12 * 3600 * USECS_PER_SEC,
            (true, h) if h < 12 => t + 12 * 3600 * USECS_PER_SEC,
            _ => t,
        });
    }
    Ok((f.days()?, f))
}

/// `date_in`, reading ambiguous numeric dates in the DateStyle `order`.
pub fn parse_date(s: &str, order: DateOrder, zone: TimeZone) -> PgResult<i32> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "infinity" | "+infinity" => return Ok(DATE_POS_INF),
        "-infinity" => return Ok(DATE_NEG_INF),
        "epoch" => return Ok(-(UNIX_EPOCH_DAYS as i32)),
        w => {
            if let Some(local) = relative_local(w, zone) {
                return Ok(local.div_euclid(USECS_PER_DAY) as i32);
            }
        }
    }
    // a time part is checked and ignored, as PostgreSQL does
    let (days, f) = decode(t, order).map_err(|e| field_error(e, "date", s))?;
    let days = days.or_else(|| relative_days(&f, zone));
    let days = days.ok_or_else(|| bad_syntax("date", s))?;
    let d = days - UNIX_EPOCH_DAYS;
    // PostgreSQL's range: 4714-11-24 BC .. 5874897-12-31 AD
    if d < days_from_civil(-4713, 11, 24) - UNIX_EPOCH_DAYS
        || d > days_from_civil(5_874_897, 12, 31) - UNIX_EPOCH_DAYS
    {
        return Err(out_of_range("date", s));
    }
    i32::try_from(d).map_err(|_| out_of_range("date", s))
}

/// `timestamp_in` / `timestamptz_in`. For timestamptz a value without a zone is in
/// `zone`; for timestamp any zone written is ignored, as PostgreSQL does (`now`
/// and `today` are read in `zone` for both). Ambiguous numeric dates are read in
/// the DateStyle `order`.
pub fn parse_timestamp(s: &str, with_tz: bool, zone: TimeZone, order: DateOrder) -> PgResult<i64> {
    let type_name = if with_tz {
        "timestamp with time zone"
    } else {
        "timestamp"
    };
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Ok(TS_POS_INF),
        "-infinity" => return Ok(TS_NEG_INF),
        "epoch" => return Ok(-UNIX_EPOCH_DAYS * USECS_PER_DAY),
        "now" if with_tz => return Ok(TRANSACTION_START.load(AtomicOrdering::Relaxed)),
        w => {
            if let Some(local) = relative_local(w, zone) {
                return Ok(if with_tz { zone.to_utc(local) } else { local });
            }
        }
    }
    let (days, f) = decode(t, order).map_err(|e| field_error(e, type_name, s))?;
    let days = days.or_else(|| relative_days(&f, zone));
    let days = days.ok_or_else(|| bad_syntax(type_name, s))? - UNIX_EPOCH_DAYS;
    let local = (days as i128) * USECS_PER_DAY as i128 + f.time.unwrap_or(0) as i128;
    let v = if with_tz {
        let clamped = local.clamp(i64::MIN as i128 + 1, i64::MAX as i128 - 1) as i64;
        let off = match (f.offset, f.zone) {
            (Some(o), _) => o,
            (None, Some(z)) => z.local_offset(clamped),
            (None, None) => zone.local_offset(clamped),
        };
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

/// `time_in` (without zone): `hh:mm[:ss]`, or the time of a whole timestamp
/// (its date and zone are read and dropped); `now` is the local time in `zone`,
/// `allballs` midnight.
pub fn parse_time(s: &str, zone: TimeZone) -> PgResult<i64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "allballs" => return Ok(0),
        "now" => {
            let local = zone.to_local(TRANSACTION_START.load(AtomicOrdering::Relaxed));
            return Ok(local.rem_euclid(USECS_PER_DAY));
        }
        _ => {}
    }
    match parse_hms(t) {
        Ok(v) => Ok(v),
        Err(FieldError::Syntax) => {
            let (_, f) = decode(t, DateOrder::Mdy).map_err(|e| field_error(e, "time", s))?;
            f.time.ok_or_else(|| bad_syntax("time", s))
        }
        Err(e) => Err(field_error(e, "time", s)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MDY: DateOrder = DateOrder::Mdy;

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_date(0), "2000-01-01");
        assert_eq!(
            parse_date("2026-11-25", MDY, TimeZone::UTC)
                .map(format_date)
                .unwrap(),
            "2026-11-25"
        );
        assert_eq!(
            parse_date("epoch", MDY, TimeZone::UTC)
                .map(format_date)
                .unwrap(),
            "1970-01-01"
        );
        assert_eq!(
            parse_date("0001-01-01 BC", MDY, TimeZone::UTC)
                .map(format_date)
                .unwrap(),
            "0001-01-01 BC"
        );
        assert_eq!(
            parse_date("2026-02-30", MDY, TimeZone::UTC)
                .unwrap_err()
                .code,
            SqlState::DatetimeFieldOverflow
        );
        assert_eq!(
            parse_date("x", MDY, TimeZone::UTC).unwrap_err().message,
            "invalid input syntax for type date: \"x\""
        );
    }

    #[test]
    fn timestamps_and_zones() {
        let ts = parse_timestamp("2020-01-01 12:00:00.5+02", true, TimeZone::UTC, MDY).unwrap();
        assert_eq!(
            format_timestamp(ts, Some(TimeZone::UTC)),
            "2020-01-01 10:00:00.5+00"
        );
        let z = TimeZone::parse("+05:30").unwrap();
        let ts = parse_timestamp("2020-01-01 00:00:00+00", true, TimeZone::UTC, MDY).unwrap();
        assert_eq!(format_timestamp(ts, Some(z)), "2019-12-31 18:30:00-05:30");
        assert_eq!(
            format_timestamp(ts, Some(TimeZone::parse("Etc/GMT+5").unwrap())),
            "2019-12-31 19:00:00-05"
        );
        assert_eq!(
            format_timestamp(ts, Some(TimeZone::parse("<-08>+08").unwrap())),
            "2019-12-31 16:00:00-08"
        );
        assert!(TimeZone::parse("No/Such_Zone").is_err());
    }
}

/// Expectations from PostgreSQL 15 (`SET DateStyle`, `SET TimeZone`, then the value).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod datestyle_tests {
    use super::*;

    fn style(s: &str) -> DateStyle {
        DateStyle::parse(s)
    }

    fn ts(s: &str) -> i64 {
        parse_timestamp(s, true, TimeZone::UTC, DateOrder::Mdy).unwrap()
    }

    fn tz(v: i64, zone: &str, ds: &str) -> String {
        let abbrev = zone_abbrev(zone);
        format_timestamp_styled(
            v,
            Some((TimeZone::parse(zone).unwrap(), &abbrev)),
            style(ds),
        )
    }

    #[test]
    fn parses_settings() {
        assert_eq!(
            style("ISO, MDY"),
            DateStyle {
                format: DateFormat::Iso,
                order: DateOrder::Mdy
            }
        );
        assert_eq!(
            style("SQL, DMY"),
            DateStyle {
                format: DateFormat::Sql,
                order: DateOrder::Dmy
            }
        );
        assert_eq!(
            style("German"),
            DateStyle {
                format: DateFormat::German,
                order: DateOrder::Dmy
            }
        );
        assert_eq!(
            style("Postgres, YMD"),
            DateStyle {
                format: DateFormat::Postgres,
                order: DateOrder::Ymd
            }
        );
    }

    #[test]
    fn date_output_per_style() {
        let d = parse_date("2026-11-05", DateOrder::Mdy, TimeZone::UTC).unwrap();
        let bc = parse_date("0044-03-15 BC", DateOrder::Mdy, TimeZone::UTC).unwrap();
        let cases = [
            ("ISO, MDY", "2026-11-05", "0044-03-15 BC"),
            ("ISO, DMY", "2026-11-05", "0044-03-15 BC"),
            ("SQL, MDY", "11/05/2026", "03/15/0044 BC"),
            ("SQL, DMY", "05/11/2026", "15/03/0044 BC"),
            ("SQL, YMD", "11/05/2026", "03/15/0044 BC"),
            ("Postgres, MDY", "11-05-2026", "03-15-0044 BC"),
            ("Postgres, DMY", "05-11-2026", "15-03-0044 BC"),
            ("Postgres, YMD", "11-05-2026", "03-15-0044 BC"),
            ("German, MDY", "05.11.2026", "15.03.0044 BC"),
            ("German, YMD", "05.11.2026", "15.03.0044 BC"),
        ];
        for (ds, want, want_bc) in cases {
            assert_eq!(format_date_styled(d, style(ds)), want, "{ds}");
            assert_eq!(format_date_styled(bc, style(ds)), want_bc, "{ds}");
            assert_eq!(format_date_styled(DATE_POS_INF, style(ds)), "infinity");
            assert_eq!(format_date_styled(DATE_NEG_INF, style(ds)), "-infinity");
        }
    }

    #[test]
    fn timestamp_output_per_style() {
        let v = ts("2026-11-05 08:09:10.5+00");
        let bc = ts("0044-03-15 12:00 BC");
        let cases = [
            (
                "ISO, MDY",
                "2026-11-05 08:09:10.5",
                "2026-11-05 08:09:10.5+00",
                "0044-03-15 12:00:00+00 BC",
            ),
            (
                "SQL, MDY",
                "11/05/2026 08:09:10.5",
                "11/05/2026 08:09:10.5 UTC",
                "03/15/0044 12:00:00 UTC BC",
            ),
            (
                "SQL, DMY",
                "05/11/2026 08:09:10.5",
                "05/11/2026 08:09:10.5 UTC",
                "15/03/0044 12:00:00 UTC BC",
            ),
            (
                "Postgres, MDY",
                "Thu Nov 05 08:09:10.5 2026",
                "Thu Nov 05 08:09:10.5 2026 UTC",
                "Fri Mar 15 12:00:00 0044 UTC BC",
            ),
            (
                "Postgres, DMY",
                "Thu 05 Nov 08:09:10.5 2026",
                "Thu 05 Nov 08:09:10.5 2026 UTC",
                "Fri 15 Mar 12:00:00 0044 UTC BC",
            ),
            (
                "Postgres, YMD",
                "Thu Nov 05 08:09:10.5 2026",
                "Thu Nov 05 08:09:10.5 2026 UTC",
                "Fri Mar 15 12:00:00 0044 UTC BC",
            ),
            (
                "German, MDY",
                "05.11.2026 08:09:10.5",
                "05.11.2026 08:09:10.5 UTC",
                "15.03.0044 12:00:00 UTC BC",
            ),
        ];
        for (ds, plain, with_zone, with_bc) in cases {
            assert_eq!(format_timestamp_styled(v, None, style(ds)), plain, "{ds}");
            assert_eq!(tz(v, "UTC", ds), with_zone, "{ds}");
            assert_eq!(tz(bc, "UTC", ds), with_bc, "{ds}");
            assert_eq!(tz(TS_NEG_INF, "UTC", ds), "-infinity");
        }
        let big = ts("12345-11-05 08:09:10+00");
        assert_eq!(
            tz(big, "UTC", "Postgres, MDY"),
            "Mon Nov 05 08:09:10 12345 UTC"
        );
        assert_eq!(tz(big, "UTC", "ISO, MDY"), "12345-11-05 08:09:10+00");
    }

    #[test]
    fn zone_abbreviations() {
        let v = ts("2026-11-05 08:09:10+00");
        let cases = [
            ("UTC", "11/05/2026 08:09:10 UTC"),
            ("Etc/UTC", "11/05/2026 08:09:10 UTC"),
            ("zulu", "11/05/2026 08:09:10 UTC"),
            ("GMT", "11/05/2026 08:09:10 GMT"),
            ("Greenwich", "11/05/2026 08:09:10 GMT"),
            ("Etc/GMT+0", "11/05/2026 08:09:10 GMT"),
            ("+05:30", "11/05/2026 02:39:10 "),
            ("<+05>-05", "11/05/2026 13:09:10 +05"),
            ("<+05:30>-05:30", "11/05/2026 13:39:10 +05:30"),
            ("Etc/GMT+5", "11/05/2026 03:09:10 -05"),
            ("etc/gmt-14", "11/05/2026 22:09:10 +14"),
            ("UTC+5", "11/05/2026 03:09:10 UTC"),
            ("abc+3", "11/05/2026 05:09:10 ABC"),
            ("EST5", "11/05/2026 03:09:10 EST"),
            ("FOO-3:30", "11/05/2026 11:39:10 FOO"),
            // SET TIME ZONE 5 / 5.5 / 0 (PostgreSQL stores <+05>-05, <+05:30>-05:30, <+00>-00)
            ("5", "11/05/2026 13:09:10 +05"),
            ("+5", "11/05/2026 13:09:10 +05"),
            ("5.5", "11/05/2026 13:39:10 +05:30"),
            ("-8", "11/05/2026 00:09:10 -08"),
            ("0", "11/05/2026 08:09:10 +00"),
        ];
        for (zone, want) in cases {
            assert_eq!(tz(v, zone, "SQL, MDY"), want, "{zone}");
        }
        assert_eq!(
            tz(v, "+05:30", "Postgres, DMY"),
            "Thu 05 Nov 02:39:10 2026 "
        );
        assert_eq!(tz(v, "+05:30", "ISO, DMY"), "2026-11-05 02:39:10-05:30");
        assert_eq!(tz(v, "abc+3", "ISO, DMY"), "2026-11-05 05:09:10-03");
    }

    #[test]
    fn ambiguous_input_follows_order() {
        use DateOrder::{Dmy, Mdy, Ymd};
        let d = |s: &str, o| parse_date(s, o, TimeZone::UTC).map(format_date);
        let cases = [
            ("01/02/2026", Mdy, "2026-01-02"),
            ("01/02/2026", Dmy, "2026-02-01"),
            ("01-02-2026", Dmy, "2026-02-01"),
            ("01.02.2026", Mdy, "2026-01-02"),
            ("2026/01/02", Dmy, "2026-01-02"),
            ("2026.01.02", Ymd, "2026-01-02"),
            ("01/02/26", Mdy, "2026-01-02"),
            ("01/02/26", Ymd, "2001-02-26"),
            ("26/01/02", Dmy, "2002-01-26"),
            ("26/01/02", Ymd, "2026-01-02"),
            ("1/2/2026", Dmy, "2026-02-01"),
            ("01/02/03", Mdy, "2003-01-02"),
            ("01/02/03", Dmy, "2003-02-01"),
            ("01/02/03", Ymd, "2001-02-03"),
            ("200/01/02", Mdy, "0200-01-02"),
            ("01/02/200", Mdy, "0200-01-02"),
            ("01/02/200", Dmy, "0200-02-01"),
            ("020126", Dmy, "2002-01-26"),
            ("20260102", Mdy, "2026-01-02"),
            ("05.11.2026 08:09:10.5", Dmy, "2026-11-05"),
            ("11/05/2026 08:09:10.5 UTC", Mdy, "2026-11-05"),
            ("Thu Nov 05 08:09:10.5 2026 UTC", Ymd, "2026-11-05"),
            ("Nov 05 2026", Dmy, "2026-11-05"),
            ("03/15/0044 BC", Mdy, "0044-03-15 BC"),
            ("2026-1-2", Ymd, "2026-01-02"),
            ("26 Nov 5", Mdy, "2005-11-26"),
            ("Nov 5 26", Mdy, "2026-11-05"),
            ("November 5, 2026", Mdy, "2026-11-05"),
        ];
        for (s, o, want) in cases {
            assert_eq!(d(s, o).unwrap(), want, "{s} {o:?}");
        }
        let hint = Some("Perhaps you need a different \"datestyle\" setting.".to_string());
        for (s, o) in [
            ("13/02/2026", Mdy),
            ("02/13/2026", Dmy),
            ("01/02/2026", Ymd),
            ("99/01/02", Mdy),
            ("2026-13-01", Mdy),
        ] {
            let e = parse_date(s, o, TimeZone::UTC).unwrap_err();
            assert_eq!(e.code, SqlState::DatetimeFieldOverflow, "{s}");
            assert_eq!(
                e.message,
                format!("date/time field value out of range: \"{s}\"")
            );
            assert_eq!(e.hint, hint, "{s}");
        }
        let e = parse_date("2026-02-29", Mdy, TimeZone::UTC).unwrap_err();
        assert_eq!((e.code, e.hint), (SqlState::DatetimeFieldOverflow, None));
        assert_eq!(
            parse_date("0000-01-01", Mdy, TimeZone::UTC)
                .unwrap_err()
                .code,
            SqlState::DatetimeFieldOverflow
        );
        assert_eq!(
            parse_date("Nov 2026", Mdy, TimeZone::UTC).unwrap_err().code,
            SqlState::InvalidDatetimeFormat
        );
        assert_eq!(
            parse_date("2026-11-05 foo", Mdy, TimeZone::UTC)
                .unwrap_err()
                .code,
            SqlState::InvalidDatetimeFormat
        );
    }

    #[test]
    fn timestamp_input_forms() {
        let f = |s: &str| format_timestamp(ts(s), Some(TimeZone::UTC));
        assert_eq!(f("2026-11-05 12:00:60"), "2026-11-05 12:01:00+00");
        assert_eq!(f("2026-11-05 08:09:10 +05 BC"), "2026-11-05 03:09:10+00 BC");
        assert_eq!(f("2026-11-05 08:09 pm"), "2026-11-05 20:09:00+00");
        assert_eq!(f("2026-11-05 12:09 am"), "2026-11-05 00:09:00+00");
        assert_eq!(f("2026-11-05 08:09:10 GMT+2"), "2026-11-05 10:09:10+00");
        assert_eq!(f("2026-11-05 08:09:10 -0530"), "2026-11-05 13:39:10+00");
        assert_eq!(f("2026-11-05 08:09:10-05:30:15"), "2026-11-05 13:39:25+00");
        assert_eq!(
            f("2026-11-05T08:09:10.123456789"),
            "2026-11-05 08:09:10.123457+00"
        );
        assert_eq!(f("2026-11-05T08:09:10Z"), "2026-11-05 08:09:10+00");
        assert_eq!(f("Thu 05 Nov 08:09:10 2026 +05"), "2026-11-05 03:09:10+00");
        assert_eq!(f("2026-11-05 24:00"), "2026-11-06 00:00:00+00");
        for s in ["2026-11-05 12:60", "2026-11-05 25:00"] {
            let e = parse_timestamp(s, true, TimeZone::UTC, DateOrder::Mdy).unwrap_err();
            assert_eq!(
                e.message,
                format!("date/time field value out of range: \"{s}\"")
            );
        }
        assert_eq!(
            parse_time("25:00", TimeZone::UTC).unwrap_err().code,
            SqlState::DatetimeFieldOverflow
        );
        assert_eq!(
            format_time(parse_time("12:00:60", TimeZone::UTC).unwrap()),
            "12:01:00"
        );
    }
}
