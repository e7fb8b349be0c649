//! IANA time zones (`America/Los_Angeles`, `Europe/Paris`, `PST8PDT`) from the
//! system's compiled tz database (`/usr/share/zoneinfo`, TZif files, RFC 8536),
//! as PostgreSQL built `--with-system-tzdata` reads them.
//!
//! A zone is its transitions (UTC instants where the offset changes) with the
//! offset, daylight flag and abbreviation after each, and the POSIX rule of the
//! file's footer for instants after the last transition. Loaded zones are kept
//! for the life of the process (a handful per session at most).
//!
//! Local wall time to UTC follows PostgreSQL (`DetermineTimeZoneOffset`): a
//! time that occurs twice (the hour repeated in autumn) is taken with the
//! offset after the change (standard time); a time that never occurs (the
//! hour skipped in spring) with the offset before it, so 02:30 on that day
//! reads as 03:30 daylight time.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Where the compiled zones are.
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// Offset and abbreviation of one local time type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LocalType {
    /// Seconds east of Greenwich.
    offset: i32,
    abbrev: String,
}

/// `Mm.w.d/time`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`,
/// at `time` seconds of local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RuleDate {
    month: u32,
    week: u32,
    weekday: u32,
    time: i64,
}

/// The footer's POSIX TZ rule (`PST8PDT,M3.2.0,M11.1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixRule {
    std: LocalType,
    dst: Option<(LocalType, RuleDate, RuleDate)>,
}

/// A zone of the tz database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRules {
    /// Unix seconds of each transition, ascending.
    transitions: Vec<i64>,
    /// The local type in effect from each transition on.
    after: Vec<usize>,
    types: Vec<LocalType>,
    footer: Option<PosixRule>,
}

/// Seconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).
const PG_EPOCH_UNIX: i64 = 946_684_800;

impl ZoneRules {
    /// The zone called `name`, loaded once per process; None if there is
    /// no such zone (or no tz database).
    pub fn load(name: &str) -> Option<&'static ZoneRules> {
        if name.is_empty()
            || name.starts_with('/')
            || name
                .split('/')
                .any(|p| p == ".." || p == "." || p.is_empty())
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b))
        {
            return None;
        }
        static CACHE: OnceLock<Mutex<HashMap<String, Option<&'static ZoneRules>>>> =
            OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(z) = cache.get(name) {
            return *z;
        }
        let loaded = std::fs::read(format!("{ZONEINFO}/{name}"))
            .ok()
            .and_then(|bytes| parse_tzif(&bytes))
            .map(|z| &*Box::leak(Box::new(z)));
        cache.insert(name.to_owned(), loaded);
        loaded
    }

    /// The local type at Unix second `t`.
    fn type_at(&self, t: i64) -> LocalType {
        let last = self.transitions.last().copied();
        if let (Some(rule), Some(last)) = (&self.footer, last)
            && t >= last
        {
            return rule.type_at(t);
        }
        if last.is_none()
            && let Some(rule) = &self.footer
        {
            return rule.type_at(t);
        }
        match self.transitions.partition_point(|&x| x <= t) {
            0 => self.types.first().cloned().unwrap_or_else(|| LocalType {
                offset: 0,
                abbrev: "UTC".into(),
            }),
            i => self.types[self.after[i - 1]].clone(),
        }
    }

    /// Seconds east of Greenwich at `utc_micros` (PostgreSQL's epoch).
    pub fn utc_offset(&self, utc_micros: i64) -> i32 {
        self.type_at(unix_secs(utc_micros)).offset
    }

    /// The abbreviation in use at `utc_micros` (`PST`, `PDT`).
    pub fn abbrev(&self, utc_micros: i64) -> String {
        self.type_at(unix_secs(utc_micros)).abbrev
    }

    /// The offset that turns local wall time `local_micros` into UTC (see
    /// the module doc for times that occur twice or never).
    pub fn local_offset(&self, local_micros: i64) -> i32 {
        const DAY: i64 = 86_400;
        let local = unix_secs(local_micros);
        let before = self.type_at(local.saturating_sub(DAY)).offset;
        let after = self.type_at(local.saturating_add(DAY)).offset;
        // The offset after a change if the time exists with it (also when
        // it exists with both: the repeated hour), else the one before
        // (which also covers the skipped hour).
        let fits = |o: i32| self.type_at(local - i64::from(o)).offset == o;
        if fits(after) { after } else { before }
    }
}

fn unix_secs(micros: i64) -> i64 {
    micros.div_euclid(1_000_000).saturating_add(PG_EPOCH_UNIX)
}

/// A TZif file (version 1 data, or the 64-bit data of versions 2 and 3
/// with the footer).
fn parse_tzif(b: &[u8]) -> Option<ZoneRules> {
    struct Header {
        isut: usize,
        isstd: usize,
        leap: usize,
        time: usize,
        types: usize,
        chars: usize,
    }
    let header = |at: usize| -> Option<(Header, u8)> {
        if b.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let n = |k: usize| -> Option<usize> {
            let o = at + 20 + 4 * k;
            Some(u32::from_be_bytes(b.get(o..o + 4)?.try_into().ok()?) as usize)
        };
        Some((
            Header {
                isut: n(0)?,
                isstd: n(1)?,
                leap: n(2)?,
                time: n(3)?,
                types: n(4)?,
                chars: n(5)?,
            },
            *b.get(at + 4)?,
        ))
    };
    let (h1, version) = header(0)?;
    let v1_len = h1.time * 5 + h1.types * 6 + h1.chars + h1.leap * 8 + h1.isstd + h1.isut;
    let (h, at, wide) = if version >= b'2' {
        let at = 44 + v1_len;
        (header(at)?.0, at + 44, true)
    } else {
        (h1, 44, false)
    };
    let tsize = if wide { 8 } else { 4 };
    let mut p = at;
    let mut transitions = Vec::with_capacity(h.time);
    for _ in 0..h.time {
        let raw = b.get(p..p + tsize)?;
        transitions.push(if wide {
            i64::from_be_bytes(raw.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(raw.try_into().ok()?))
        });
        p += tsize;
    }
    let after: Vec<usize> = b.get(p..p + h.time)?.iter().map(|&i| i as usize).collect();
    p += h.time;
    let mut raw_types = Vec::with_capacity(h.types);
    for _ in 0..h.types {
        let t = b.get(p..p + 6)?;
        raw_types.push((i32::from_be_bytes(t[..4].try_into().ok()?), t[5] as usize));
        p += 6;
    }
    let chars = b.get(p..p + h.chars)?;
    p += h.chars + h.leap * (tsize + 4) + h.isstd + h.isut;
    let types = raw_types
        .into_iter()
        .map(|(offset, idx)| {
            let s = chars.get(idx..)?;
            let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
            Some(LocalType {
                offset,
                abbrev: String::from_utf8_lossy(&s[..end]).into_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    if after.iter().any(|&i| i >= types.len()) {
        return None;
    }
    let footer = if wide {
        b.get(p..)
            .and_then(|f| std::str::from_utf8(f).ok())
            .map(|f| f.trim_matches('\n'))
            .filter(|f| !f.is_empty())
            .and_then(parse_posix)
    } else {
        None
    };
    Some(ZoneRules {
        transitions,
        after,
        types,
        footer,
    })
}

/// A POSIX TZ string with `Mm.w.d` rules (what tzdata footers use).
fn parse_posix(s: &str) -> Option<PosixRule> {
    let mut rest = s;
    fn name(rest: &mut &str) -> Option<String> {
        if let Some(r) = rest.strip_prefix('<') {
            let (n, after) = r.split_once('>')?;
            *rest = after;
            Some(n.to_owned())
        } else {
            let n = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            if n < 3 {
                return None;
            }
            let (a, after) = rest.split_at(n);
            *rest = after;
            Some(a.to_owned())
        }
    }
    let std_name = name(&mut rest)?;
    let (std_west, r) = posix_time(rest)?;
    rest = r;
    let std = LocalType {
        offset: -(std_west as i32),
        abbrev: std_name,
    };
    if rest.is_empty() {
        return Some(PosixRule { std, dst: None });
    }
    let dst_name = name(&mut rest)?;
    let dst_offset = if rest.starts_with(',') {
        std.offset + 3600
    } else {
        let (west, r) = posix_time(rest)?;
        rest = r;
        -(west as i32)
    };
    let rule_date = |s: &str| -> Option<RuleDate> {
        let (date, time) = match s.split_once('/') {
            Some((d, t)) => (d, posix_time(t).filter(|(_, r)| r.is_empty())?.0),
            None => (s, 7200),
        };
        let mut parts = date.strip_prefix('M')?.split('.');
        let month = parts.next()?.parse().ok()?;
        let week = parts.next()?.parse().ok()?;
        let weekday = parts.next()?.parse().ok()?;
        Some(RuleDate {
            month,
            week,
            weekday,
            time,
        })
    };
    let mut dates = rest.strip_prefix(',')?.split(',');
    let start = rule_date(dates.next()?)?;
    let end = rule_date(dates.next()?)?;
    Some(PosixRule {
        std,
        dst: Some((
            LocalType {
                offset: dst_offset,
                abbrev: dst_name,
            },
            start,
            end,
        )),
    })
}

/// `[+-]hh[:mm[:ss]]` in seconds, and what follows.
fn posix_time(s: &str) -> Option<(i64, &str)> {
    let (sign, s) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b':')
        .count();
    if len == 0 {
        return None;
    }
    let mut secs = 0i64;
    for (i, part) in s[..len].split(':').enumerate() {
        let v: i64 = part.parse().ok()?;
        secs += v * [3600, 60, 1].get(i)?;
    }
    Some((sign * secs, &s[len..]))
}

impl PosixRule {
    fn type_at(&self, t: i64) -> LocalType {
        let Some((dst, start, end)) = &self.dst else {
            return self.std.clone();
        };
        let year = crate::datum::datetime::civil_from_days(
            (t + i64::from(self.std.offset)).div_euclid(86_400),
        )
        .0;
        // Both changes in UTC: the start is in standard time, the end in
        // daylight time.
        let begin = rule_instant(year, start) - i64::from(self.std.offset);
        let finish = rule_instant(year, end) - i64::from(dst.offset);
        let in_dst = if begin < finish {
            t >= begin && t < finish
        } else {
            !(t >= finish && t < begin)
        };
        if in_dst {
            dst.clone()
        } else {
            self.std.clone()
        }
    }
}

/// Local seconds since 1970 of a rule's date in `year`.
fn rule_instant(year: i64, r: &RuleDate) -> i64 {
    use crate::datum::datetime::{days_from_civil, days_in_month};
    let first = days_from_civil(year, r.month, 1);
    // 1970-01-01 was a Thursday (weekday 4).
    let first_weekday = (first + 4).rem_euclid(7) as u32;
    let mut day = 1 + (r.weekday + 7 - first_weekday) % 7 + (r.week.saturating_sub(1)) * 7;
    let last = days_in_month(year, r.month);
    while day > last {
        day -= 7;
    }
    (first + i64::from(day) - 1) * 86_400 + r.time
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Micros since 2000 of a UTC time.
    fn utc(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        let days = crate::datum::datetime::days_from_civil(y, m, d)
            - crate::datum::datetime::UNIX_EPOCH_DAYS;
        (days * 86_400 + h * 3600 + min * 60) * 1_000_000
    }

    #[test]
    fn los_angeles_follows_daylight_time_as_postgres_does() {
        let Some(z) = ZoneRules::load("America/Los_Angeles") else {
            eprintln!("no tz database here: skipped");
            return;
        };
        assert_eq!(z.utc_offset(utc(2026, 7, 1, 19, 0)), -7 * 3600);
        assert_eq!(z.abbrev(utc(2026, 7, 1, 19, 0)), "PDT");
        assert_eq!(z.utc_offset(utc(2026, 12, 25, 20, 0)), -8 * 3600);
        assert_eq!(z.abbrev(utc(1900, 7, 1, 20, 0)), "PST");
        // beyond the transitions a fat file lists: the footer's rule
        assert_eq!(z.utc_offset(utc(2040, 7, 1, 19, 0)), -7 * 3600);
        assert_eq!(z.utc_offset(utc(2040, 12, 1, 19, 0)), -8 * 3600);
        // the skipped hour reads with the offset before, the repeated one
        // with the offset after
        assert_eq!(z.local_offset(utc(2026, 3, 8, 2, 30)), -8 * 3600);
        assert_eq!(z.local_offset(utc(2026, 11, 1, 1, 30)), -8 * 3600);
        assert_eq!(z.local_offset(utc(2026, 7, 1, 12, 0)), -7 * 3600);
    }

    #[test]
    fn posix_rules_and_bad_names() {
        let r = parse_posix("PST8PDT,M3.2.0,M11.1.0").expect("parses");
        let t = |micros: i64| unix_secs(micros);
        assert_eq!(r.type_at(t(utc(2050, 7, 1, 0, 0))).abbrev, "PDT");
        assert_eq!(r.type_at(t(utc(2050, 1, 1, 0, 0))).abbrev, "PST");
        let south = parse_posix("<-03>3<-02>,M10.1.0/0,M3.3.0/0").expect("parses");
        assert_eq!(south.type_at(t(utc(2050, 1, 1, 0, 0))).offset, -2 * 3600);
        assert_eq!(south.type_at(t(utc(2050, 7, 1, 0, 0))).offset, -3 * 3600);
        assert!(ZoneRules::load("../../etc/passwd").is_none());
        assert!(ZoneRules::load("No/Such_Zone").is_none());
    }
}
