//! Values of SQL types: the [`Datum`] enum with PostgreSQL's text and binary I/O.
//!
//! A `Datum` does not carry its SQL type: the planner knows the type of every
//! expression, and the few places that need it (`from_text`, `from_binary`) take the
//! type OID. The `Text` variant holds `text`, `varchar`, `bpchar`, `name` and
//! `unknown` values alike.
//!
//! Output text depends on session settings, gathered in [`OutputOptions`]. The binary
//! forms are byte-exact with PostgreSQL's `*send`/`*recv` functions, since drivers ask
//! for binary results.
//!
//! Submodules: [`numeric`] (exact decimals), [`float`] (shortest round-trip float
//! output), [`datetime`] (calendar, time zones, intervals), [`range`] and
//! [`multirange`] (the built-in range types, their canonical forms and algebra),
//! [`record`] (composite values).

pub mod array;
pub mod bits;
pub mod datetime;
pub mod float;
pub mod geo;
pub mod inet;
pub mod interval;
pub mod json;
pub mod jsonpath;
pub mod macaddr;
pub mod money;
pub mod multirange;
pub mod numeric;
pub mod range;
pub mod record;
pub mod snapshot;
pub mod tsearch;
pub mod tz;

pub use array::ArrayValue;
pub use datetime::{DateStyle, Interval, TimeZone};
pub use inet::InetValue;
pub use multirange::MultirangeValue;
pub use numeric::Numeric;
pub use range::RangeValue;
pub use record::{RecordField, RecordValue};

use crate::oid;
use crate::{PgError, PgResult, SqlState};

/// A value of one of the built-in types.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Numeric),
    /// text, varchar, bpchar, name, unknown
    Text(String),
    Bytea(Vec<u8>),
    /// days since 2000-01-01
    Date(i32),
    /// microseconds since midnight
    Time(i64),
    /// `time with time zone`
    TimeTz(datetime::TimeTz),
    /// microseconds since 2000-01-01 00:00:00 (no zone)
    Timestamp(i64),
    /// microseconds since 2000-01-01 00:00:00 UTC
    Timestamptz(i64),
    Interval(Interval),
    Uuid([u8; 16]),
    Oid(u32),
    /// `pg_lsn`: a WAL position (PostgreSQL's `XLogRecPtr`)
    PgLsn(u64),
    /// `tid`: block number and line pointer of a row version
    Tid(u32, u16),
    /// `xid`: a 32-bit transaction id
    Xid(u32),
    /// `cid`: a command id
    Cid(u32),
    /// `xid8`: a 64-bit transaction id (ours are 64-bit throughout)
    Xid8(u64),
    /// `pg_snapshot` or `txid_snapshot` (see [`snapshot`])
    Snapshot(Box<snapshot::SnapshotValue>),
    /// `money`: cents (see [`money`])
    Money(i64),
    /// `macaddr`: six bytes (see [`macaddr`])
    MacAddr([u8; 6]),
    /// `macaddr8`: eight bytes (EUI-64)
    MacAddr8([u8; 8]),
    /// the result of a function returning `void` (prints as the empty string)
    Void,
    /// a one-dimensional array of one element type
    Array(Box<ArrayValue>),
    /// `jsonb` (a `json` value is `Text`: it keeps the text as given)
    Jsonb(Box<json::Jsonb>),
    /// a value of one of the built-in range types
    Range(Box<RangeValue>),
    /// a value of one of the built-in multirange types
    Multirange(Box<MultirangeValue>),
    /// a value of a user-defined enum: the OID of its `pg_enum` label, as
    /// PostgreSQL stores it (label and order come from [`crate::typcache`])
    Enum(u32),
    /// a composite value: a row of a named composite type or an anonymous
    /// `record` (see [`record`])
    Record(Box<RecordValue>),
    /// `inet` or `cidr` (see [`inet`])
    Inet(InetValue),
    /// `tsvector` (see [`tsearch`])
    TsVector(Box<tsearch::TsVector>),
    /// `tsquery` (see [`tsearch`])
    TsQuery(Box<tsearch::TsQuery>),
    /// `bit` or `bit varying` (see [`bits`])
    Bit(Box<bits::BitString>),
    /// `point`, `lseg`, `line`, `box`, `path`, `polygon` or `circle` (see [`geo`])
    Geo(Box<geo::Geo>),
}

/// The session settings that change how values print (and how zone-less
/// timestamptz input is read).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputOptions {
    /// `TimeZone`; see [`TimeZone::parse`] for what is supported. An unsupported
    /// name prints in UTC, so the setting must be validated with `TimeZone::parse`
    /// when it is SET.
    pub time_zone: String,
    pub extra_float_digits: i32,
    /// `DateStyle` (`ISO, MDY`, `SQL, DMY`, ...): the output style of date and
    /// timestamp values and the field order of ambiguous date input.
    pub date_style: String,
    /// `IntervalStyle`: `postgres`, `postgres_verbose`, `sql_standard` or `iso_8601`.
    pub interval_style: String,
    /// `bytea_output`: `hex` or `escape`.
    pub bytea_output: String,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            time_zone: "UTC".into(),
            extra_float_digits: 1,
            date_style: "ISO, MDY".into(),
            interval_style: "postgres".into(),
            bytea_output: "hex".into(),
        }
    }
}

impl OutputOptions {
    pub fn zone(&self) -> TimeZone {
        TimeZone::parse(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    pub fn date_style(&self) -> DateStyle {
        DateStyle::parse(&self.date_style)
    }
}

/// `character(n)`'s value without its trailing blanks, which it does not
/// keep. A byte search: no byte of a longer UTF-8 character is a blank.
pub fn trim_blanks(s: &str) -> &str {
    let end = s.bytes().rposition(|b| b != b' ').map_or(0, |i| i + 1);
    &s[..end]
}
fn invalid_syntax(type_oid: u32, s: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!(
            "invalid input syntax for type {}: \"{s}\"",
            oid::type_name(type_oid)
        ),
    )
}

fn out_of_range_for(type_oid: u32, s: &str) -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        format!(
            "value \"{s}\" is out of range for type {}",
            oid::type_name(type_oid)
        ),
    )
}

/// `int2in`/`int4in`/`int8in`: optional sign, decimal digits, surrounding spaces.
fn parse_int(s: &str, type_oid: u32, min: i64, max: i64) -> PgResult<i64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_syntax(type_oid, s));
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + (b - b'0') as i128;
        if v > (max as i128) + 1 {
            return Err(out_of_range_for(type_oid, s));
        }
    }
    let v = if neg { -v } else { v };
    if v < min as i128 || v > max as i128 {
        return Err(out_of_range_for(type_oid, s));
    }
    Ok(v as i64)
}

fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    let is_prefix = |word: &str| word.starts_with(t.as_str());
    match t.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "o" => None,
        _ if is_prefix("true") || is_prefix("yes") => Some(true),
        _ if is_prefix("false") || is_prefix("no") => Some(false),
        "on" => Some(true),
        "of" | "off" => Some(false),
        _ => None,
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `byteain`: `\x` hex or the escape format.
fn parse_bytea(s: &str) -> PgResult<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'\\' && (b[1] == b'x' || b[1] == b'X') {
        let mut out = Vec::new();
        let mut i = 2;
        while i < b.len() {
            if b[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let hi = hex_val(b[i]).ok_or_else(|| {
                PgError::new(
                    SqlState::InvalidTextRepresentation,
                    format!(
                        "invalid hexadecimal digit: \"{}\"",
                        s[i..].chars().next().unwrap_or('?')
                    ),
                )
            })?;
            let Some(&next) = b.get(i + 1) else {
                return Err(PgError::new(
                    SqlState::InvalidTextRepresentation,
                    "invalid hexadecimal data: odd number of digits",
                ));
            };
            let lo = hex_val(next).ok_or_else(|| {
                PgError::new(
                    SqlState::InvalidTextRepresentation,
                    format!(
                        "invalid hexadecimal digit: \"{}\"",
                        s[i + 1..].chars().next().unwrap_or('?')
                    ),
                )
            })?;
            out.push(hi << 4 | lo);
            i += 2;
        }
        return Ok(out);
    }
    bytea_escape_decode(s)
}

/// The escape format of bytea input (`\\` for a backslash, `\ooo` for any
/// byte), which `decode(s, 'escape')` reads too.
pub fn bytea_escape_decode(s: &str) -> PgResult<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
            && b[i + 1] <= b'3'
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                "invalid input syntax for type bytea",
            ));
        }
    }
    Ok(out)
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let t = s.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(t);
    let hex: Vec<u8> = t.bytes().filter(|&c| c != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    // hyphens are allowed only after groups of four digits
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = hex_val(pair[0])? << 4 | hex_val(pair[1])?;
    }
    Some(out)
}

fn format_uuid(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `pg_lsn_in`: two groups of 1 to 8 hex digits around a `/`, nothing else (no
/// spaces, no sign), as PostgreSQL's `pg_lsn_in_internal` reads them.
pub fn parse_pg_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    let group = |g: &str| -> Option<u64> {
        if g.is_empty() || g.len() > 8 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(g, 16).ok()
    };
    Some(group(hi)? << 32 | group(lo)?)
}

/// `pg_lsn_out`: the high and low 32 bits in upper-case hex (`16/B374D848`).
/// `tidin`'s reading of `(block,offset)`: anything before the opening
/// parenthesis is skipped, and whatever follows the closing one ignored;
/// each number may have leading white space and a sign, and an empty
/// number reads as 0. A block number may be negative down to -2^31 (it
/// wraps, as a C `unsigned long` converted back to 32 bits does); the
/// offset must lie in 0..=65535.
pub fn parse_tid(s: &str) -> Option<(u32, u16)> {
    let b = s.as_bytes();
    // The starts of the two numbers: after `(` (only as the first
    // delimiter) or after a `,`, looking no further than a `)`.
    let mut starts = [0usize; 2];
    let mut found = 0;
    for (i, &c) in b.iter().enumerate() {
        if found == 2 || c == b')' {
            break;
        }
        if c == b',' || (c == b'(' && found == 0) {
            starts[found] = i + 1;
            found += 1;
        }
    }
    if found < 2 {
        return None;
    }
    let (block, end) = c_strtol(&b[starts[0]..]);
    if b.get(starts[0] + end) != Some(&b',') {
        return None;
    }
    let block = match block? {
        v if (0..=i128::from(u32::MAX)).contains(&v) => v as u32,
        v if (-(1i128 << 31)..0).contains(&v) => (v + (1i128 << 32)) as u32,
        _ => return None,
    };
    let (offset, end) = c_strtol(&b[starts[1]..]);
    if b.get(starts[1] + end) != Some(&b')') {
        return None;
    }
    let offset = u16::try_from(offset?).ok()?;
    Some((block, offset))
}

/// C's `strtol` in base 10 over `b`: the value (None on overflow of the
/// widest range any caller accepts) and the length read, which is 0 when
/// there are no digits (the white space and sign are then not read).
fn c_strtol(b: &[u8]) -> (Option<i128>, usize) {
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits_start = i;
    let mut v: Option<i128> = Some(0);
    while i < b.len() && b[i].is_ascii_digit() {
        v = v
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(i128::from(b[i] - b'0')))
            .filter(|v| *v <= i128::from(u64::MAX));
        i += 1;
    }
    if i == digits_start {
        return (Some(0), 0);
    }
    (v.map(|v| if negative { -v } else { v }), i)
}

/// The input of `xid` and `cid` in PostgreSQL 15: [`parse_lax_u64`] cut
/// to 32 bits.
pub fn parse_lax_unsigned(s: &str) -> u32 {
    parse_lax_u64(s) as u32
}

/// The input of `xid8` in PostgreSQL 15: C's `strtoul` in base 0
/// (decimal, `0x` hex or `0` octal), without any error: what is not a
/// number reads as 0, a negative number wraps, and an overflow saturates.
pub fn parse_lax_u64(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut radix = 10u64;
    if b.get(i) == Some(&b'0') {
        if matches!(b.get(i + 1), Some(b'x' | b'X'))
            && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix as u32)) {
        match v
            .checked_mul(radix)
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        v = u64::MAX;
    } else if negative {
        v = v.wrapping_neg();
    }
    v
}

pub fn format_pg_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff)
}

fn need_len(b: &[u8], n: usize, type_oid: u32) -> PgResult<()> {
    if b.len() == n {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InvalidBinaryRepresentation,
            format!(
                "incorrect binary data format in bind parameter of type {}",
                oid::type_name(type_oid)
            ),
        ))
    }
}

/// `enum_in`: the label `s` of enum `type_oid` (22P02 if it has none).
fn enum_in(type_oid: u32, s: &str) -> PgResult<Datum> {
    crate::typcache::get(type_oid)
        .and_then(|t| t.enum_labels().iter().find(|l| l.label == s).map(|l| l.oid))
        .map(|label| {
            crate::typcache::check_label_safe(label)?;
            Ok(Datum::Enum(label))
        })
        .unwrap_or_else(|| {
            Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                format!(
                    "invalid input value for enum {}: \"{s}\"",
                    oid::type_name(type_oid)
                ),
            ))
        })
}

/// `enum_out`: the label of label OID `label` (the OID itself if the cache
/// does not know it, which a value read under the session's catalog cannot).
fn enum_out(label: u32) -> String {
    crate::typcache::enum_label(label).map_or_else(|| label.to_string(), |(_, _, l)| l)
}

impl Datum {
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// Text input of a value of type `type_oid` (the type's `*in` function).
    pub fn from_text(type_oid: u32, s: &str, opts: &OutputOptions) -> PgResult<Datum> {
        Ok(match type_oid {
            oid::BOOL => Datum::Bool(parse_bool(s).ok_or_else(|| invalid_syntax(type_oid, s))?),
            oid::INT2 => {
                Datum::Int2(parse_int(s, type_oid, i16::MIN as i64, i16::MAX as i64)? as i16)
            }
            oid::INT4 => {
                Datum::Int4(parse_int(s, type_oid, i32::MIN as i64, i32::MAX as i64)? as i32)
            }
            oid::INT8 => Datum::Int8(parse_int(s, type_oid, i64::MIN, i64::MAX)?),
            oid::OID => {
                let v = parse_int(s, type_oid, i32::MIN as i64, u32::MAX as i64)?;
                Datum::Oid(v as u32)
            }
            oid::FLOAT4 | oid::FLOAT8 => {
                let v = float::parse_float(s).ok_or_else(|| invalid_syntax(type_oid, s))?;
                let range = || {
                    PgError::new(
                        SqlState::NumericValueOutOfRange,
                        format!(
                            "\"{}\" is out of range for type {}",
                            s.trim(),
                            oid::type_name(type_oid)
                        ),
                    )
                };
                if type_oid == oid::FLOAT4 {
                    let f = v as f32;
                    if (f.is_infinite() && v.is_finite()) || (f == 0.0 && v != 0.0) {
                        return Err(range());
                    }
                    Datum::Float4(f)
                } else {
                    let lower = s.trim().to_ascii_lowercase();
                    if v.is_infinite() && !lower.contains("inf")
                        || (v == 0.0
                            && lower.bytes().any(|b| (b'1'..=b'9').contains(&b))
                            && lower.contains('e'))
                    {
                        return Err(range());
                    }
                    Datum::Float8(v)
                }
            }
            oid::NUMERIC => match Numeric::parse(s) {
                Some(r) => Datum::Numeric(r?),
                None => return Err(invalid_syntax(type_oid, s)),
            },
            // regproc values are function names here (see `oid::REGPROC`).
            oid::TEXT | oid::VARCHAR | oid::UNKNOWN | oid::REGPROC => Datum::Text(s.to_string()),
            oid::BPCHAR => Datum::Text(trim_blanks(s).to_string()),
            oid::NAME => {
                let mut end = s.len().min(63);
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                Datum::Text(s[..end].to_string())
            }
            oid::CHAR => Datum::Text(s.chars().take(1).collect()),
            oid::BYTEA => Datum::Bytea(parse_bytea(s)?),
            oid::DATE => Datum::Date(datetime::parse_date(
                s,
                opts.date_style().order,
                opts.zone(),
            )?),
            oid::TIME => Datum::Time(datetime::parse_time(s, opts.zone())?),
            oid::TIMETZ => Datum::TimeTz(datetime::parse_timetz(s, opts.zone())?),
            oid::TIMESTAMP => Datum::Timestamp(datetime::parse_timestamp(
                s,
                false,
                opts.zone(),
                opts.date_style().order,
            )?),
            oid::TIMESTAMPTZ => Datum::Timestamptz(datetime::parse_timestamp(
                s,
                true,
                opts.zone(),
                opts.date_style().order,
            )?),
            oid::INTERVAL => Datum::Interval(interval::parse(
                s,
                -1,
                interval::IntervalStyle::parse(&opts.interval_style),
            )?),
            oid::UUID => Datum::Uuid(parse_uuid(s).ok_or_else(|| invalid_syntax(type_oid, s))?),
            oid::JSON => {
                json::validate_json(s)?;
                Datum::Text(s.to_string())
            }
            oid::JSONB => Datum::Jsonb(Box::new(json::Jsonb::parse(s)?)),
            oid::JSONPATH => Datum::Text(jsonpath::normalize(s)?),
            oid::PG_LSN => {
                Datum::PgLsn(parse_pg_lsn(s).ok_or_else(|| invalid_syntax(type_oid, s))?)
            }
            oid::TID => {
                let (block, offset) = parse_tid(s).ok_or_else(|| invalid_syntax(type_oid, s))?;
                Datum::Tid(block, offset)
            }
            oid::XID => Datum::Xid(parse_lax_unsigned(s)),
            oid::CID => Datum::Cid(parse_lax_unsigned(s)),
            oid::XID8 => Datum::Xid8(parse_lax_u64(s)),
            oid::PG_SNAPSHOT | oid::TXID_SNAPSHOT => {
                Datum::Snapshot(Box::new(snapshot::SnapshotValue::parse(s)?))
            }
            oid::VOID => Datum::Void,
            oid::INET | oid::CIDR => Datum::Inet(InetValue::parse(s, type_oid == oid::CIDR)?),
            oid::TSVECTOR => Datum::TsVector(Box::new(tsearch::TsVector::parse(s)?)),
            oid::TSQUERY => Datum::TsQuery(Box::new(tsearch::TsQuery::parse(s)?)),
            oid::BIT | oid::VARBIT => Datum::Bit(Box::new(bits::BitString::parse(s)?)),
            oid::REGCONFIG => Datum::Text(tsearch::regconfig_name(s)?.to_string()),
            oid::MONEY => Datum::Money(money::parse(s)?),
            oid::MACADDR => Datum::MacAddr(macaddr::parse_macaddr(s)?),
            oid::MACADDR8 => Datum::MacAddr8(macaddr::parse_macaddr8(s)?),
            oid::POINT
            | oid::LSEG
            | oid::PATH
            | oid::BOX
            | oid::POLYGON
            | oid::LINE
            | oid::CIRCLE => Datum::Geo(Box::new(geo::Geo::parse(type_oid, s)?)),
            t if oid::element_of(t).is_some() => {
                let elem = oid::element_of(t).unwrap_or(oid::TEXT);
                Datum::Array(Box::new(array::from_text(elem, s, opts)?))
            }
            t if oid::range_subtype(t).is_some() => {
                Datum::Range(Box::new(RangeValue::from_text(t, s, opts)?))
            }
            t if oid::multirange_range(t).is_some() => {
                Datum::Multirange(Box::new(MultirangeValue::from_text(t, s, opts)?))
            }
            t if crate::typcache::is_enum(t) => enum_in(t, s)?,
            // A domain's values are its base type's (constraints are
            // checked by whoever coerces into the domain).
            t if crate::typcache::is_domain(t) => {
                Datum::from_text(crate::typcache::base_type(t), s, opts)?
            }
            t if record::is_composite(t) => Datum::Record(Box::new(record::from_text(t, s, opts)?)),
            _ => {
                return Err(PgError::feature_not_supported(format!(
                    "input of type {}",
                    oid::type_name(type_oid)
                )));
            }
        })
    }

    /// Text output (the type's `*out` function) under the session's settings.
    /// `Null` prints as the empty string; callers send SQL NULL separately.
    pub fn to_text(&self, opts: &OutputOptions) -> String {
        match self {
            Datum::Null | Datum::Void => String::new(),
            Datum::Bool(b) => if *b { "t" } else { "f" }.to_string(),
            Datum::Int2(v) => v.to_string(),
            Datum::Int4(v) => v.to_string(),
            Datum::Int8(v) => v.to_string(),
            Datum::Oid(v) => v.to_string(),
            Datum::PgLsn(v) => format_pg_lsn(*v),
            Datum::Tid(block, offset) => format!("({block},{offset})"),
            Datum::Xid(v) | Datum::Cid(v) => v.to_string(),
            Datum::Xid8(v) => v.to_string(),
            Datum::Snapshot(s) => s.to_text(),
            Datum::Money(v) => money::format(*v),
            Datum::MacAddr(m) => macaddr::format(m),
            Datum::MacAddr8(m) => macaddr::format(m),
            Datum::Float4(v) => float::format_float4(*v, opts.extra_float_digits),
            Datum::Float8(v) => float::format_float8(*v, opts.extra_float_digits),
            Datum::Numeric(n) => n.to_text(),
            Datum::Text(s) => s.clone(),
            Datum::Bytea(b) => {
                if opts.bytea_output.eq_ignore_ascii_case("escape") {
                    let mut s = String::new();
                    for &c in b {
                        if c == b'\\' {
                            s.push_str("\\\\");
                        } else if !(0x20..0x7f).contains(&c) {
                            s.push_str(&format!("\\{c:03o}"));
                        } else {
                            s.push(c as char);
                        }
                    }
                    s
                } else {
                    let mut s = String::with_capacity(2 + 2 * b.len());
                    s.push_str("\\x");
                    for c in b {
                        s.push_str(&format!("{c:02x}"));
                    }
                    s
                }
            }
            Datum::Date(d) => datetime::format_date_styled(*d, opts.date_style()),
            Datum::Time(t) => datetime::format_time(*t),
            Datum::TimeTz(t) => datetime::format_timetz(t),
            Datum::Timestamp(t) => datetime::format_timestamp_styled(*t, None, opts.date_style()),
            Datum::Timestamptz(t) => {
                let abbrev = datetime::zone_abbrev(&opts.time_zone);
                datetime::format_timestamp_styled(
                    *t,
                    Some((opts.zone(), &abbrev)),
                    opts.date_style(),
                )
            }
            Datum::Interval(iv) => {
                interval::format(iv, interval::IntervalStyle::parse(&opts.interval_style))
            }
            Datum::Uuid(u) => format_uuid(u),
            Datum::Array(a) => array::to_text(a, opts),
            Datum::Jsonb(j) => j.to_text(),
            Datum::Range(r) => r.to_text(opts),
            Datum::Multirange(m) => m.to_text(opts),
            Datum::Enum(label) => enum_out(*label),
            Datum::Record(r) => record::to_text(r, opts),
            Datum::Inet(i) => i.to_text(),
            Datum::TsVector(v) => v.to_text(),
            Datum::TsQuery(q) => q.to_text(),
            Datum::Bit(b) => b.to_text(),
            Datum::Geo(g) => g.to_text(opts.extra_float_digits),
        }
    }

    /// Binary output (the type's `*send` function). `Null` has no binary form and
    /// yields an empty vector; callers send SQL NULL as length -1.
    pub fn to_binary(&self) -> Vec<u8> {
        match self {
            Datum::Null | Datum::Void => Vec::new(),
            Datum::Bool(b) => vec![*b as u8],
            Datum::Int2(v) => v.to_be_bytes().to_vec(),
            Datum::Int4(v) => v.to_be_bytes().to_vec(),
            Datum::Int8(v) => v.to_be_bytes().to_vec(),
            Datum::Oid(v) => v.to_be_bytes().to_vec(),
            Datum::PgLsn(v) => v.to_be_bytes().to_vec(),
            Datum::Tid(block, offset) => {
                let mut v = block.to_be_bytes().to_vec();
                v.extend_from_slice(&offset.to_be_bytes());
                v
            }
            Datum::Xid(v) | Datum::Cid(v) => v.to_be_bytes().to_vec(),
            Datum::Xid8(v) => v.to_be_bytes().to_vec(),
            Datum::Snapshot(s) => s.to_binary(),
            Datum::Money(v) => v.to_be_bytes().to_vec(),
            Datum::MacAddr(m) => m.to_vec(),
            Datum::MacAddr8(m) => m.to_vec(),
            Datum::Float4(v) => v.to_bits().to_be_bytes().to_vec(),
            Datum::Float8(v) => v.to_bits().to_be_bytes().to_vec(),
            Datum::Numeric(n) => n.to_binary(),
            Datum::Text(s) => s.as_bytes().to_vec(),
            Datum::Bytea(b) => b.clone(),
            Datum::Date(d) => d.to_be_bytes().to_vec(),
            Datum::Time(t) | Datum::Timestamp(t) | Datum::Timestamptz(t) => {
                t.to_be_bytes().to_vec()
            }
            // timetz_send: the time, then the zone (seconds west)
            Datum::TimeTz(t) => {
                let mut v = t.micros.to_be_bytes().to_vec();
                v.extend_from_slice(&t.zone.to_be_bytes());
                v
            }
            Datum::Interval(iv) => {
                let mut v = iv.micros.to_be_bytes().to_vec();
                v.extend_from_slice(&iv.days.to_be_bytes());
                v.extend_from_slice(&iv.months.to_be_bytes());
                v
            }
            Datum::Uuid(u) => u.to_vec(),
            Datum::Array(a) => array::to_binary(a),
            // jsonb_send: version 1, then the text
            Datum::Jsonb(j) => {
                let mut v = vec![1u8];
                v.extend_from_slice(j.to_text().as_bytes());
                v
            }
            Datum::Range(r) => r.to_binary(),
            Datum::Multirange(m) => m.to_binary(),
            Datum::Enum(label) => enum_out(*label).into_bytes(),
            Datum::Record(r) => record::to_binary(r),
            Datum::Inet(i) => i.to_binary(),
            Datum::TsVector(v) => v.to_binary(),
            Datum::TsQuery(q) => q.to_binary(),
            Datum::Bit(b) => b.to_binary(),
            Datum::Geo(g) => g.to_binary(),
        }
    }

    /// Binary input (the type's `*recv` function).
    pub fn from_binary(type_oid: u32, b: &[u8]) -> PgResult<Datum> {
        let arr = |n: usize| -> PgResult<&[u8]> {
            need_len(b, n, type_oid)?;
            Ok(b)
        };
        Ok(match type_oid {
            oid::BOOL => Datum::Bool(arr(1)?[0] != 0),
            oid::INT2 => Datum::Int2(i16::from_be_bytes([arr(2)?[0], b[1]])),
            oid::INT4 => Datum::Int4(i32::from_be_bytes(to4(arr(4)?))),
            oid::OID => Datum::Oid(u32::from_be_bytes(to4(arr(4)?))),
            oid::INT8 => Datum::Int8(i64::from_be_bytes(to8(arr(8)?))),
            oid::PG_LSN => Datum::PgLsn(u64::from_be_bytes(to8(arr(8)?))),
            oid::TID => {
                arr(6)?;
                Datum::Tid(u32::from_be_bytes(to4(b)), u16::from_be_bytes([b[4], b[5]]))
            }
            oid::XID => Datum::Xid(u32::from_be_bytes(to4(arr(4)?))),
            oid::CID => Datum::Cid(u32::from_be_bytes(to4(arr(4)?))),
            oid::XID8 => Datum::Xid8(u64::from_be_bytes(to8(arr(8)?))),
            oid::PG_SNAPSHOT | oid::TXID_SNAPSHOT => {
                Datum::Snapshot(Box::new(snapshot::SnapshotValue::from_binary(b)?))
            }
            oid::MONEY => Datum::Money(i64::from_be_bytes(to8(arr(8)?))),
            oid::MACADDR => {
                let mut m = [0u8; 6];
                m.copy_from_slice(&arr(6)?[..6]);
                Datum::MacAddr(m)
            }
            // macaddr8_recv also takes the six bytes of a macaddr
            oid::MACADDR8 if b.len() == 6 => {
                let mut m = [0u8; 6];
                m.copy_from_slice(b);
                Datum::MacAddr8(macaddr::to_macaddr8(m))
            }
            oid::MACADDR8 => Datum::MacAddr8(to8(arr(8)?)),
            oid::POINT
            | oid::LSEG
            | oid::PATH
            | oid::BOX
            | oid::POLYGON
            | oid::LINE
            | oid::CIRCLE => Datum::Geo(Box::new(geo::Geo::from_binary(type_oid, b)?)),
            oid::FLOAT4 => Datum::Float4(f32::from_bits(u32::from_be_bytes(to4(arr(4)?)))),
            oid::FLOAT8 => Datum::Float8(f64::from_bits(u64::from_be_bytes(to8(arr(8)?)))),
            oid::NUMERIC => Datum::Numeric(Numeric::from_binary(b)?),
            oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME | oid::UNKNOWN | oid::CHAR => {
                Datum::Text(crate::error::utf8_text(b)?.to_owned())
            }
            oid::BYTEA => Datum::Bytea(b.to_vec()),
            oid::JSON => {
                let s = crate::error::utf8_text(b)?;
                json::validate_json(s)?;
                Datum::Text(s.to_string())
            }
            oid::JSONB => {
                let (&version, text) = b.split_first().ok_or_else(|| {
                    PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        "insufficient data left in message",
                    )
                })?;
                if version != 1 {
                    return Err(PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        format!("unsupported jsonb version number {version}"),
                    ));
                }
                let s = crate::error::utf8_text(text)?;
                Datum::Jsonb(Box::new(json::Jsonb::parse(s)?))
            }
            // jsonpath_recv: version 1, then the text
            oid::JSONPATH => {
                let (&version, text) = b.split_first().ok_or_else(|| {
                    PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        "insufficient data left in message",
                    )
                })?;
                if version != 1 {
                    return Err(PgError::new(
                        SqlState::InvalidBinaryRepresentation,
                        format!("unsupported jsonpath version number: {version}"),
                    ));
                }
                let s = crate::error::utf8_text(text)?;
                Datum::Text(jsonpath::normalize(s)?)
            }
            oid::DATE => Datum::Date(i32::from_be_bytes(to4(arr(4)?))),
            oid::TIME => Datum::Time(i64::from_be_bytes(to8(arr(8)?))),
            oid::TIMETZ => {
                arr(12)?;
                Datum::TimeTz(datetime::TimeTz {
                    micros: i64::from_be_bytes(to8(&b[..8])),
                    zone: i32::from_be_bytes(to4(&b[8..12])),
                })
            }
            oid::TIMESTAMP => Datum::Timestamp(i64::from_be_bytes(to8(arr(8)?))),
            oid::TIMESTAMPTZ => Datum::Timestamptz(i64::from_be_bytes(to8(arr(8)?))),
            oid::INTERVAL => {
                arr(16)?;
                Datum::Interval(Interval {
                    micros: i64::from_be_bytes(to8(&b[..8])),
                    days: i32::from_be_bytes(to4(&b[8..12])),
                    months: i32::from_be_bytes(to4(&b[12..16])),
                })
            }
            oid::UUID => {
                arr(16)?;
                let mut u = [0u8; 16];
                u.copy_from_slice(b);
                Datum::Uuid(u)
            }
            oid::INET | oid::CIDR => Datum::Inet(InetValue::from_binary(b, type_oid == oid::CIDR)?),
            oid::TSVECTOR => Datum::TsVector(Box::new(tsearch::TsVector::from_binary(b)?)),
            oid::TSQUERY => Datum::TsQuery(Box::new(tsearch::TsQuery::from_binary(b)?)),
            oid::BIT | oid::VARBIT => Datum::Bit(Box::new(bits::BitString::from_binary(b)?)),
            t if oid::element_of(t).is_some() => {
                let elem = oid::element_of(t).unwrap_or(oid::TEXT);
                Datum::Array(Box::new(array::from_binary(elem, b)?))
            }
            t if oid::range_subtype(t).is_some() => {
                Datum::Range(Box::new(RangeValue::from_binary(t, b)?))
            }
            t if oid::multirange_range(t).is_some() => {
                Datum::Multirange(Box::new(MultirangeValue::from_binary(t, b)?))
            }
            t if crate::typcache::is_enum(t) => {
                let s = crate::error::utf8_text(b)?;
                enum_in(t, s)?
            }
            t if crate::typcache::is_domain(t) => {
                Datum::from_binary(crate::typcache::base_type(t), b)?
            }
            t if record::is_composite(t) => Datum::Record(Box::new(record::from_binary(t, b)?)),
            _ => {
                return Err(PgError::feature_not_supported(format!(
                    "binary input of type {}",
                    oid::type_name(type_oid)
                )));
            }
        })
    }
}

fn to4(b: &[u8]) -> [u8; 4] {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    a
}

fn to8(b: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    a
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts() -> OutputOptions {
        OutputOptions::default()
    }

    #[test]
    fn integer_input_errors_match_postgres() {
        let e = Datum::from_text(oid::INT4, "abc", &opts()).unwrap_err();
        assert_eq!(e.code, SqlState::InvalidTextRepresentation);
        assert_eq!(e.message, "invalid input syntax for type integer: \"abc\"");
        let e = Datum::from_text(oid::INT4, "99999999999", &opts()).unwrap_err();
        assert_eq!(e.code, SqlState::NumericValueOutOfRange);
        assert_eq!(
            e.message,
            "value \"99999999999\" is out of range for type integer"
        );
        assert_eq!(
            Datum::from_text(oid::INT2, " -32768 ", &opts()).unwrap(),
            Datum::Int2(-32768)
        );
        assert_eq!(
            Datum::from_text(oid::INT8, "9223372036854775807", &opts()).unwrap(),
            Datum::Int8(i64::MAX)
        );
    }

    #[test]
    fn text_round_trips() {
        let cases = [
            (oid::BOOL, "t"),
            (oid::INT4, "-42"),
            (oid::FLOAT8, "0.1"),
            (oid::FLOAT8, "1e+100"),
            (oid::FLOAT8, "-Infinity"),
            (oid::FLOAT8, "NaN"),
            (oid::FLOAT4, "1.5"),
            (oid::NUMERIC, "1.50"),
            (oid::TEXT, "héllo"),
            (oid::BYTEA, "\\xdeadbeef"),
            (oid::DATE, "2026-11-25"),
            (oid::TIMESTAMP, "2026-11-25 08:10:00.123456"),
            (oid::TIMESTAMPTZ, "2026-11-25 08:10:00.123456+00"),
            (oid::INTERVAL, "1 day 02:00:00"),
            (oid::UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            (oid::PG_LSN, "16/B374D848"),
            (oid::PG_LSN, "FFFFFFFF/FFFFFFFF"),
            (oid::PG_LSN, "0/0"),
        ];
        for (t, s) in cases {
            let d = Datum::from_text(t, s, &opts()).unwrap();
            assert_eq!(d.to_text(&opts()), s, "type {t}");
            assert_eq!(
                Datum::from_binary(t, &d.to_binary())
                    .unwrap()
                    .to_text(&opts()),
                s,
                "binary of {s}"
            );
        }
        assert_eq!(
            Datum::from_text(oid::BOOL, "yes", &opts()).unwrap(),
            Datum::Bool(true)
        );
        assert_eq!(
            Datum::from_text(oid::BOOL, "off", &opts()).unwrap(),
            Datum::Bool(false)
        );
    }

    #[test]
    fn binary_is_byte_exact() {
        // checked against COPY (SELECT ...) TO STDOUT (FORMAT binary) on PostgreSQL 15
        let o = opts();
        assert_eq!(Datum::Int4(1).to_binary(), vec![0, 0, 0, 1]);
        assert_eq!(
            Datum::Float8(0.1).to_binary(),
            vec![0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
        let ts = Datum::from_text(oid::TIMESTAMPTZ, "2000-01-02 00:00:00+00", &o).unwrap();
        assert_eq!(ts.to_binary(), 86_400_000_000i64.to_be_bytes().to_vec());
        let d = Datum::from_text(oid::DATE, "1999-12-31", &o).unwrap();
        assert_eq!(d.to_binary(), vec![0xff, 0xff, 0xff, 0xff]);
        let iv = Datum::from_text(oid::INTERVAL, "1 mon 2 days 00:00:03", &o).unwrap();
        assert_eq!(
            iv.to_binary(),
            vec![0, 0, 0, 0, 0, 0x2d, 0xc6, 0xc0, 0, 0, 0, 2, 0, 0, 0, 1]
        );
        assert_eq!(Datum::Bool(true).to_binary(), vec![1]);
    }

    /// Expectations from PostgreSQL 15 (`SELECT '...'::pg_lsn`).
    #[test]
    fn pg_lsn_input_matches_postgres() {
        let ok = |s: &str| {
            Datum::from_text(oid::PG_LSN, s, &opts())
                .unwrap()
                .to_text(&opts())
        };
        assert_eq!(ok("a/b"), "A/B");
        assert_eq!(ok("00000001/000000a"), "1/A");
        assert_eq!(ok("ffffffff/ffffffff"), "FFFFFFFF/FFFFFFFF");
        for bad in [
            " 0/1",
            "0/1 ",
            "123456789/0",
            "0/123456789",
            "G/0",
            "/0",
            "0/",
            "",
            "-1/0",
            "+1/0",
            "1/+1",
            "0x1/0",
            "1/0/0",
            "1 /0",
            "1/ 0",
        ] {
            let e = Datum::from_text(oid::PG_LSN, bad, &opts()).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation, "{bad:?}");
            assert_eq!(
                e.message,
                format!("invalid input syntax for type pg_lsn: \"{bad}\"")
            );
        }
        // pg_lsn_send is an int8
        assert_eq!(
            Datum::PgLsn(0x16_B374_D848).to_binary(),
            0x16_B374_D848u64.to_be_bytes().to_vec()
        );
        assert_eq!(
            Datum::from_binary(oid::PG_LSN, &[0, 0, 0, 1])
                .unwrap_err()
                .code,
            SqlState::InvalidBinaryRepresentation
        );
    }

    #[test]
    fn tid_input_matches_postgres() {
        // Cases checked against PostgreSQL 15's tidin.
        for (s, want) in [
            ("(1,2)", Some((1, 2))),
            ("  (1,2)xyz", Some((1, 2))),
            ("(,1)", Some((0, 1))),
            ("(1,)", Some((1, 0))),
            ("( 1, +2)", Some((1, 2))),
            ("(4294967295,65535)", Some((u32::MAX, u16::MAX))),
            ("(-1,1)", Some((u32::MAX, 1))),
            ("abc", None),
            ("(1,2", None),
            ("(4294967296,1)", None),
            ("(1,65536)", None),
            ("(1,-1)", None),
            ("(1 ,2)", None),
            ("(1,2,3)", None),
        ] {
            assert_eq!(parse_tid(s), want, "{s}");
        }
        let e = Datum::from_text(oid::TID, "abc", &opts()).unwrap_err();
        assert_eq!(e.code, SqlState::InvalidTextRepresentation);
        assert_eq!(e.message, "invalid input syntax for type tid: \"abc\"");
        let t = Datum::Tid(0x0102_0304, 0x0506);
        assert_eq!(t.to_text(&opts()), "(16909060,1286)");
        assert_eq!(t.to_binary(), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(
            Datum::from_binary(oid::TID, &[1, 2, 3, 4, 5, 6]).unwrap(),
            t
        );
    }

    #[test]
    fn xid_input_is_lax_as_in_postgres_15() {
        for (s, want) in [
            ("12", 12),
            ("0x10", 16),
            ("010", 8),
            ("abc", 0),
            ("-1", u32::MAX),
            ("99999999999", 1_215_752_191),
            ("99999999999999999999999", u32::MAX),
        ] {
            assert_eq!(parse_lax_unsigned(s), want, "{s}");
        }
    }

    #[test]
    fn float_range_errors() {
        let e = Datum::from_text(oid::FLOAT8, "1e400", &opts()).unwrap_err();
        assert_eq!(
            e.message,
            "\"1e400\" is out of range for type double precision"
        );
        let e = Datum::from_text(oid::FLOAT8, "a", &opts()).unwrap_err();
        assert_eq!(
            e.message,
            "invalid input syntax for type double precision: \"a\""
        );
    }
}
