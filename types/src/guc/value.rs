//! Parsing and printing of setting values: Booleans, integers and reals with
//! units, enums, and the string settings that PostgreSQL canonicalises
//! (DateStyle, TimeZone, client_encoding, log_destination, application_name).
//!
//! Everything here is a pure function of its input: the rules were learnt by
//! running `SET` and `SHOW` against PostgreSQL 15 and are pinned by the tests
//! at the bottom of this file.

use super::{EnumOption, GucUnit};

/// Why a value was refused, before the parameter name is known to the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParseFailure {
    /// `invalid value for parameter "x": "v"`, with an optional HINT.
    Invalid { hint: Option<String> },
    /// `V is outside the valid range for parameter "x" (MIN .. MAX)`: the
    /// offending value, already printed with its base unit.
    OutOfRange { shown: String },
}

const HINT_INT_RANGE: &str = "Value exceeds integer range.";

/// PostgreSQL's Boolean input for settings: `on`, `off`, `true`, `false`,
/// `yes`, `no`, `1`, `0` and unique prefixes, case-insensitive, no blanks.
pub fn parse_bool(value: &str) -> Option<bool> {
    let v = value.to_ascii_lowercase();
    if v.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(v.as_str());
    match v.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "on" => Some(true),
        // "o" alone is ambiguous between on and off.
        "of" | "off" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A prefix parsed like C's `strtol(s, &end, 0)`: decimal, `0x` hex or
/// leading-zero octal. Returns the value (None on overflow of i64) and the
/// number of bytes consumed (0 if there was no number).
fn strtol_prefix(s: &[u8]) -> (Option<i64>, usize) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let (radix, mut j) = if i + 2 < s.len() + 1
        && s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x') | Some(b'X'))
        && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        (16, i + 2)
    } else if s.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let start = j;
    let mut acc: Option<i64> = Some(0);
    while j < s.len() {
        let Some(d) = (s[j] as char).to_digit(radix) else {
            break;
        };
        acc = acc
            .and_then(|a| a.checked_mul(i64::from(radix)))
            .and_then(|a| a.checked_add(i64::from(d)));
        j += 1;
    }
    if j == start {
        return (None, 0);
    }
    (acc.map(|a| if negative { -a } else { a }), j)
}

/// A prefix parsed like C's `strtod`: returns the value and the bytes
/// consumed (0 if none). Overflow and underflow give `None` with the length.
fn strtod_prefix(s: &[u8]) -> (Option<f64>, usize) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let rest = String::from_utf8_lossy(&s[i..]).to_ascii_lowercase();
    for word in ["infinity", "inf", "nan"] {
        if rest.starts_with(word) {
            let end = i + word.len();
            let text = String::from_utf8_lossy(&s[start..end]).to_string();
            let v = if word == "nan" {
                f64::NAN
            } else if text.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            return (Some(v), end);
        }
    }
    let digits_from = i;
    let mut any_digit = false;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        any_digit = true;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            any_digit = true;
        }
    }
    if !any_digit {
        return (None, 0);
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut k = i + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        if k < s.len() && s[k].is_ascii_digit() {
            while k < s.len() && s[k].is_ascii_digit() {
                k += 1;
            }
            i = k;
        }
    }
    let text = String::from_utf8_lossy(&s[start..i]).to_string();
    let Ok(v) = text.parse::<f64>() else {
        return (None, i);
    };
    let mantissa_nonzero = s[digits_from..i]
        .iter()
        .take_while(|c| **c != b'e' && **c != b'E')
        .any(|c| (b'1'..=b'9').contains(c));
    if v.is_infinite() || (v == 0.0 && mantissa_nonzero) {
        return (None, i); // ERANGE
    }
    (Some(v), i)
}

/// Multiplier of a unit the user may write, in bytes or microseconds.
fn unit_factor(unit: GucUnit, word: &str) -> Option<f64> {
    if unit.is_memory() {
        match word {
            "B" => Some(1.0),
            "kB" => Some(1024.0),
            "MB" => Some(1024.0 * 1024.0),
            "GB" => Some(1024.0 * 1024.0 * 1024.0),
            "TB" => Some(1024.0 * 1024.0 * 1024.0 * 1024.0),
            _ => None,
        }
    } else if unit.is_time() {
        match word {
            "us" => Some(1.0),
            "ms" => Some(1e3),
            "s" => Some(1e6),
            "min" => Some(60e6),
            "h" => Some(3600e6),
            "d" => Some(86400e6),
            _ => None,
        }
    } else {
        None
    }
}

fn units_hint(unit: GucUnit) -> Option<String> {
    if unit.is_memory() {
        Some(
            "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\"."
                .to_string(),
        )
    } else if unit.is_time() {
        Some(
            "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."
                .to_string(),
        )
    } else {
        None
    }
}

/// Reads an optional unit after a number: `Ok(None)` if only blanks follow,
/// `Ok(Some(factor))` to multiply the number by to get the base unit.
fn parse_unit_suffix(rest: &[u8], unit: GucUnit) -> Result<Option<f64>, ParseFailure> {
    let text = String::from_utf8_lossy(rest);
    let trimmed = text.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    if trimmed.is_empty() {
        return Ok(None);
    }
    if unit == GucUnit::None {
        return Err(ParseFailure::Invalid { hint: None });
    }
    let word_len = trimmed
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(word_len);
    let tail_ok = after.bytes().all(is_c_space);
    match unit_factor(unit, word) {
        Some(f) if tail_ok => Ok(Some(f / unit.base_factor())),
        _ => Err(ParseFailure::Invalid {
            hint: units_hint(unit),
        }),
    }
}

/// Parses an integer setting with optional unit and checks its range; the
/// result is in the parameter's base unit.
pub(crate) fn parse_int(
    value: &str,
    min: i32,
    max: i32,
    unit: GucUnit,
) -> Result<i32, ParseFailure> {
    let bytes = value.as_bytes();
    let (int_val, int_len) = strtol_prefix(bytes);
    let next = bytes.get(int_len).copied();
    let (number, consumed): (f64, usize) =
        if int_len == 0 || matches!(next, Some(b'.') | Some(b'e') | Some(b'E')) {
            match strtod_prefix(bytes) {
                (_, 0) => return Err(ParseFailure::Invalid { hint: None }),
                (None, _) => {
                    return Err(ParseFailure::Invalid {
                        hint: Some(HINT_INT_RANGE.into()),
                    });
                }
                (Some(v), n) if v.is_nan() => {
                    let _ = n;
                    return Err(ParseFailure::Invalid { hint: None });
                }
                (Some(v), n) => (v, n),
            }
        } else {
            match int_val {
                Some(v) => (v as f64, int_len),
                None => {
                    return Err(ParseFailure::Invalid {
                        hint: Some(HINT_INT_RANGE.into()),
                    });
                }
            }
        };
    let scaled = match parse_unit_suffix(&bytes[consumed..], unit)? {
        Some(factor) => number * factor,
        None => number,
    };
    let rounded = scaled.round_ties_even();
    if !rounded.is_finite() || rounded > f64::from(i32::MAX) || rounded < f64::from(i32::MIN) {
        return Err(ParseFailure::Invalid {
            hint: Some(HINT_INT_RANGE.into()),
        });
    }
    let v = rounded as i32;
    if v < min || v > max {
        let shown = match unit.label() {
            Some(l) => format!("{v} {l}"),
            None => v.to_string(),
        };
        return Err(ParseFailure::OutOfRange { shown });
    }
    Ok(v)
}

/// A unit-less integer as settings read it (`parse_int` with no unit and
/// no bounds: `20.5` rounds, blanks around are fine); `None` if it is not
/// one or leaves the `int` range. Storage parameters use it.
pub fn parse_plain_int(value: &str) -> Option<i32> {
    parse_int(value, i32::MIN, i32::MAX, super::GucUnit::None).ok()
}

/// A unit-less real as settings read it; `None` if it is not one (NaN
/// included).
pub fn parse_plain_real(value: &str) -> Option<f64> {
    parse_real(
        value,
        f64::NEG_INFINITY,
        f64::INFINITY,
        super::GucUnit::None,
    )
    .ok()
}

/// Parses a real setting with optional unit and checks its range.
pub(crate) fn parse_real(
    value: &str,
    min: f64,
    max: f64,
    unit: GucUnit,
) -> Result<f64, ParseFailure> {
    let bytes = value.as_bytes();
    let (v, consumed) = match strtod_prefix(bytes) {
        (Some(v), n) if n > 0 && !v.is_nan() => (v, n),
        _ => return Err(ParseFailure::Invalid { hint: None }),
    };
    let scaled = match parse_unit_suffix(&bytes[consumed..], unit)? {
        Some(factor) => v * factor,
        None => v,
    };
    if scaled < min || scaled > max {
        let shown = match unit.label() {
            Some(l) => format!("{} {l}", format_g(scaled)),
            None => format_g(scaled),
        };
        return Err(ParseFailure::OutOfRange { shown });
    }
    Ok(scaled)
}

/// Case-insensitive lookup of an enum option, hidden aliases included.
pub(crate) fn parse_enum(value: &str, options: &[EnumOption]) -> Option<i32> {
    options
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(value))
        .map(|o| o.value)
}

/// The name SHOW prints for an enum value: the first visible option with that
/// value, else the first hidden one.
pub(crate) fn enum_name(value: i32, options: &'static [EnumOption]) -> &'static str {
    options
        .iter()
        .find(|o| o.value == value && !o.hidden)
        .or_else(|| options.iter().find(|o| o.value == value))
        .map(|o| o.name)
        .unwrap_or("")
}

/// `Available values: a, b, c.`
pub(crate) fn enum_hint(options: &[EnumOption]) -> String {
    let names: Vec<&str> = options
        .iter()
        .filter(|o| !o.hidden)
        .map(|o| o.name)
        .collect();
    format!("Available values: {}.", names.join(", "))
}

/// C's `%g` (six significant digits), as PostgreSQL prints real settings;
/// infinities print as `Infinity` and `-Infinity`.
pub fn format_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let m = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{v:.decimals$}"))
    }
}

fn strip_fraction_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// SHOW of an integer setting: the largest unit that divides the value exactly.
pub(crate) fn show_int(v: i32, unit: GucUnit) -> String {
    if v <= 0 || unit == GucUnit::None {
        return v.to_string();
    }
    let base = i128::from(v) * unit.base_factor() as i128;
    let table: &[(&str, i128)] = if unit.is_memory() {
        &[
            ("TB", 1 << 40),
            ("GB", 1 << 30),
            ("MB", 1 << 20),
            ("kB", 1 << 10),
            ("B", 1),
        ]
    } else {
        &[
            ("d", 86_400_000_000),
            ("h", 3_600_000_000),
            ("min", 60_000_000),
            ("s", 1_000_000),
            ("ms", 1_000),
            ("us", 1),
        ]
    };
    for (name, factor) in table {
        if base % factor == 0 {
            return format!("{}{name}", base / factor);
        }
    }
    v.to_string()
}

/// SHOW of a real setting with a unit: the largest unit in which the value is
/// a whole number, else the smallest unit.
pub(crate) fn show_real(v: f64, unit: GucUnit) -> String {
    if v <= 0.0 || unit == GucUnit::None || !v.is_finite() {
        return format_g(v);
    }
    let base = v * unit.base_factor();
    let table: &[(&str, f64)] = if unit.is_memory() {
        &[
            ("TB", 1024.0f64.powi(4)),
            ("GB", 1024.0f64.powi(3)),
            ("MB", 1024.0f64.powi(2)),
            ("kB", 1024.0),
            ("B", 1.0),
        ]
    } else {
        &[
            ("d", 86400e6),
            ("h", 3600e6),
            ("min", 60e6),
            ("s", 1e6),
            ("ms", 1e3),
            ("us", 1.0),
        ]
    };
    for (i, (name, factor)) in table.iter().enumerate() {
        let x = base / factor;
        let whole = x.round_ties_even();
        if (x - whole).abs() <= 1e-9 * x.abs() && whole >= 1.0 {
            return format!("{}{name}", format_g(whole));
        }
        if i == table.len() - 1 {
            return format!("{}{name}", format_g(x));
        }
    }
    format_g(v)
}

/// Splits a list the way PostgreSQL splits identifier lists (DateStyle,
/// log_destination): items separated by commas, double quotes allowed,
/// unquoted items lower-cased. `None` if the list syntax is invalid.
pub(crate) fn split_identifier_list(s: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = s.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == chars.len() {
        return Some(items);
    }
    loop {
        let mut item = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        item.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        item.push(*c);
                        i += 1;
                    }
                }
            }
            if item.is_empty() {
                return None;
            }
        } else {
            while i < chars.len() && chars[i] != ',' && !chars[i].is_whitespace() && chars[i] != '"'
            {
                item.push(chars[i].to_ascii_lowercase());
                i += 1;
            }
            if item.is_empty() {
                return None;
            }
        }
        items.push(item);
        skip_ws(&mut i);
        match chars.get(i) {
            None => return Some(items),
            Some(',') => {
                i += 1;
                skip_ws(&mut i);
            }
            Some(_) => return None,
        }
    }
}

/// Why a string value failed a built-in check: an optional SQLSTATE other
/// than 22023 and a DETAIL line.
pub(crate) struct StringCheckFailure {
    pub(crate) detail: Option<String>,
    pub(crate) unsupported: bool,
}

fn detail(text: String) -> StringCheckFailure {
    StringCheckFailure {
        detail: Some(text),
        unsupported: false,
    }
}

/// DateStyle: `ISO|SQL|Postgres|German` and `MDY|DMY|YMD`; a part the value
/// leaves out is kept from `current` (German alone implies DMY).
pub(crate) fn check_datestyle(value: &str, current: &str) -> Result<String, StringCheckFailure> {
    let items =
        split_identifier_list(value).ok_or_else(|| detail("List syntax is invalid.".into()))?;
    let (mut style, mut order): (Option<&str>, Option<&str>) = (None, None);
    let conflict = || detail("Conflicting \"datestyle\" specifications.".into());
    for item in &items {
        let (new_style, new_order) = match item.as_str() {
            "iso" => (Some("ISO"), None),
            "sql" => (Some("SQL"), None),
            "postgres" => (Some("Postgres"), None),
            "german" => (Some("German"), None),
            "ymd" => (None, Some("YMD")),
            "dmy" | "euro" | "european" => (None, Some("DMY")),
            "mdy" | "us" | "noneuro" | "noneuropean" => (None, Some("MDY")),
            "default" => (Some("ISO"), Some("MDY")),
            other => return Err(detail(format!("Unrecognized key word: \"{other}\"."))),
        };
        if let Some(s) = new_style {
            if style.is_some_and(|old| old != s) {
                return Err(conflict());
            }
            style = Some(s);
        }
        if let Some(o) = new_order {
            if order.is_some_and(|old| old != o) {
                return Err(conflict());
            }
            order = Some(o);
        }
    }
    let (cur_style, cur_order) = current.split_once(", ").unwrap_or(("ISO", "MDY"));
    let order = match (order, style) {
        (Some(o), _) => o,
        (None, Some("German")) => "DMY",
        (None, _) => cur_order,
    };
    let style = style.unwrap_or(cur_style);
    Ok(format!("{style}, {order}"))
}

/// Encodings PostgreSQL knows, as SHOW prints them, in the order of their
/// numbers (`pg_encoding_to_char`); the first group may also be a server
/// encoding.
pub const ENCODINGS: &[&str] = &[
    "SQL_ASCII",
    "EUC_JP",
    "EUC_CN",
    "EUC_KR",
    "EUC_TW",
    "EUC_JIS_2004",
    "UTF8",
    "MULE_INTERNAL",
    "LATIN1",
    "LATIN2",
    "LATIN3",
    "LATIN4",
    "LATIN5",
    "LATIN6",
    "LATIN7",
    "LATIN8",
    "LATIN9",
    "LATIN10",
    "WIN1256",
    "WIN1258",
    "WIN866",
    "WIN874",
    "KOI8R",
    "WIN1251",
    "WIN1252",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
    "WIN1250",
    "WIN1253",
    "WIN1254",
    "WIN1255",
    "WIN1257",
    "KOI8U",
    "SJIS",
    "BIG5",
    "GBK",
    "UHC",
    "GB18030",
    "JOHAB",
    "SHIFT_JIS_2004",
];

/// Other spellings (already squashed: lower case, letters and digits only).
const ENCODING_ALIASES: &[(&str, &str)] = &[
    ("unicode", "UTF8"),
    ("iso88591", "LATIN1"),
    ("iso88592", "LATIN2"),
    ("iso88593", "LATIN3"),
    ("iso88594", "LATIN4"),
    ("iso88599", "LATIN5"),
    ("iso885910", "LATIN6"),
    ("iso885913", "LATIN7"),
    ("iso885914", "LATIN8"),
    ("iso885915", "LATIN9"),
    ("iso885916", "LATIN10"),
    ("iso88595", "ISO_8859_5"),
    ("iso88596", "ISO_8859_6"),
    ("iso88597", "ISO_8859_7"),
    ("iso88598", "ISO_8859_8"),
    ("koi8", "KOI8R"),
    ("win", "WIN1251"),
    ("alt", "WIN866"),
    ("tcvn", "WIN1258"),
    ("tcvn5712", "WIN1258"),
    ("vscii", "WIN1258"),
    ("abc", "WIN1258"),
    ("mskanji", "SJIS"),
    ("shiftjis", "SJIS"),
    ("shiftjis2004", "SHIFT_JIS_2004"),
    ("windows1250", "WIN1250"),
    ("windows1251", "WIN1251"),
    ("windows1252", "WIN1252"),
    ("windows1253", "WIN1253"),
    ("windows1254", "WIN1254"),
    ("windows1255", "WIN1255"),
    ("windows1256", "WIN1256"),
    ("windows1257", "WIN1257"),
    ("windows1258", "WIN1258"),
    ("windows866", "WIN866"),
    ("windows874", "WIN874"),
    ("windows932", "SJIS"),
    ("windows936", "GBK"),
    ("windows949", "UHC"),
    ("windows950", "BIG5"),
    ("cp932", "SJIS"),
    ("cp936", "GBK"),
    ("cp949", "UHC"),
    ("cp950", "BIG5"),
    ("cp866", "WIN866"),
    ("cp1250", "WIN1250"),
    ("cp1251", "WIN1251"),
    ("cp1252", "WIN1252"),
    ("cp1253", "WIN1253"),
    ("cp1254", "WIN1254"),
    ("cp1255", "WIN1255"),
    ("cp1256", "WIN1256"),
    ("cp1257", "WIN1257"),
    ("cp1258", "WIN1258"),
    ("eucjis2004", "EUC_JIS_2004"),
];

/// The canonical name of a PostgreSQL encoding, accepting its aliases
/// (`utf-8`, `unicode`, `iso-8859-1`, `win1252`, ...); `None` if unknown.
pub fn canonical_encoding_name(name: &str) -> Option<&'static str> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let key = squash(name);
    if key.is_empty() {
        return None;
    }
    ENCODINGS
        .iter()
        .copied()
        .find(|e| squash(e) == key)
        .or_else(|| {
            ENCODING_ALIASES
                .iter()
                .find(|(a, _)| *a == key)
                .map(|(_, e)| *e)
        })
}

/// client_encoding: a known encoding that the (UTF8) server can convert to.
pub(crate) fn check_client_encoding(value: &str) -> Result<String, StringCheckFailure> {
    match canonical_encoding_name(value) {
        Some("MULE_INTERNAL") => Err(StringCheckFailure {
            detail: Some("Conversion between MULE_INTERNAL and UTF8 is not supported.".into()),
            unsupported: true,
        }),
        Some(e) => Ok(e.to_string()),
        None => Err(StringCheckFailure {
            detail: None,
            unsupported: false,
        }),
    }
}

/// TimeZone and log_timezone without a time-zone database: numeric offsets in
/// hours become PostgreSQL's `<+05>-05` form, a few well-known names are
/// canonicalised, and anything else that could be a zone name or POSIX zone
/// string is kept as written. The datetime code installs a real check hook.
pub(crate) fn check_timezone(value: &str) -> Result<String, StringCheckFailure> {
    let invalid = || StringCheckFailure {
        detail: None,
        unsupported: false,
    };
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid());
    }
    if let (Some(hours), n) = strtod_prefix(v.as_bytes())
        && n == v.len()
    {
        {
            if !hours.is_finite() || hours.abs() > 15.0 * 24.0 {
                return Err(invalid());
            }
            let total_min = (hours * 60.0).round() as i64;
            let sign = if total_min < 0 { '-' } else { '+' };
            let inverse = if total_min < 0 { '+' } else { '-' };
            let (h, m) = (total_min.abs() / 60, total_min.abs() % 60);
            let body = if m == 0 {
                format!("{h:02}")
            } else {
                format!("{h:02}:{m:02}")
            };
            return Ok(format!("<{sign}{body}>{inverse}{body}"));
        }
    }
    const KNOWN: &[&str] = &[
        "UTC",
        "GMT",
        "Etc/UTC",
        "Etc/GMT",
        "UCT",
        "Universal",
        "Zulu",
        "Etc/Universal",
        "Etc/Zulu",
    ];
    if let Some(k) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(v)) {
        return Ok((*k).to_string());
    }
    let plausible = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/_+-:<>.".contains(c))
        && v.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '<' || c == '+' || c == '-');
    if plausible {
        Ok(v.to_string())
    } else {
        Err(invalid())
    }
}

/// log_destination: a list of `stderr`, `csvlog`, `jsonlog`, `syslog`.
pub(crate) fn check_log_destination(value: &str) -> Result<String, StringCheckFailure> {
    let items =
        split_identifier_list(value).ok_or_else(|| detail("List syntax is invalid.".into()))?;
    for item in &items {
        if !matches!(item.as_str(), "stderr" | "csvlog" | "jsonlog" | "syslog") {
            return Err(detail(format!("Unrecognized key word: \"{item}\".")));
        }
    }
    Ok(value.to_string())
}

/// application_name and cluster_name: every byte outside printable ASCII
/// becomes `?`.
pub(crate) fn clean_ascii(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if (32..=126).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// Quotes an identifier as PostgreSQL's `quote_identifier` does:
/// unquoted if it is lower-case letters, digits, `_` and `$`, not starting
/// with a digit or `$`, and no key word other than an unreserved one.
pub fn quote_identifier(ident: &str) -> String {
    let plain = !ident.is_empty()
        && ident
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && ident
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved_keyword(ident);
    if plain {
        ident.to_string()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

/// Keywords quote_ident must quote (reserved and type/function-name keywords).
pub fn is_reserved_keyword(s: &str) -> bool {
    matches!(
        s,
        "all"
            | "analyse"
            | "analyze"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "asymmetric"
            | "authorization"
            | "between"
            | "bigint"
            | "binary"
            | "bit"
            | "boolean"
            | "both"
            | "case"
            | "cast"
            | "char"
            | "character"
            | "check"
            | "coalesce"
            | "collate"
            | "collation"
            | "column"
            | "concurrently"
            | "constraint"
            | "create"
            | "cross"
            | "current_catalog"
            | "current_date"
            | "current_role"
            | "current_schema"
            | "current_time"
            | "current_timestamp"
            | "current_user"
            | "dec"
            | "decimal"
            | "default"
            | "deferrable"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "except"
            | "exists"
            | "extract"
            | "false"
            | "fetch"
            | "float"
            | "for"
            | "foreign"
            | "freeze"
            | "from"
            | "full"
            | "grant"
            | "greatest"
            | "group"
            | "grouping"
            | "having"
            | "ilike"
            | "in"
            | "initially"
            | "inner"
            | "inout"
            | "int"
            | "integer"
            | "intersect"
            | "interval"
            | "into"
            | "is"
            | "isnull"
            | "join"
            | "lateral"
            | "leading"
            | "least"
            | "left"
            | "like"
            | "limit"
            | "localtime"
            | "localtimestamp"
            | "national"
            | "natural"
            | "nchar"
            | "none"
            | "normalize"
            | "not"
            | "notnull"
            | "null"
            | "nullif"
            | "numeric"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "out"
            | "outer"
            | "overlaps"
            | "overlay"
            | "placing"
            | "position"
            | "precision"
            | "primary"
            | "real"
            | "references"
            | "returning"
            | "right"
            | "row"
            | "select"
            | "session_user"
            | "setof"
            | "similar"
            | "smallint"
            | "some"
            | "substring"
            | "symmetric"
            | "system_user"
            | "table"
            | "tablesample"
            | "then"
            | "time"
            | "timestamp"
            | "to"
            | "trailing"
            | "treat"
            | "trim"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "values"
            | "varchar"
            | "variadic"
            | "verbose"
            | "when"
            | "where"
            | "window"
            | "with"
            | "xmlattributes"
            | "xmlconcat"
            | "xmlelement"
            | "xmlexists"
            | "xmlforest"
            | "xmlnamespaces"
            | "xmlparse"
            | "xmlpi"
            | "xmlroot"
            | "xmlserialize"
            | "xmltable"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_what_postgres_accepts() {
        for t in ["on", "ON", "true", "tr", "t", "yes", "y", "1"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["off", "of", "false", "f", "no", "NO", "n", "0"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["o", "maybe", "", " on", "ON ", "2"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }

    #[test]
    fn integers_follow_strtol_then_strtod() {
        let ms = GucUnit::Milliseconds;
        let p = |s: &str| parse_int(s, 0, i32::MAX, ms);
        assert_eq!(p("0x10"), Ok(16));
        assert_eq!(p("010"), Ok(8));
        assert_eq!(p("+10"), Ok(10));
        assert_eq!(p("1e3"), Ok(1000));
        assert_eq!(p(".5s"), Ok(500));
        assert_eq!(p("5.s"), Ok(5000));
        assert_eq!(p("1e1s"), Ok(10000));
        assert_eq!(p("10 s"), Ok(10000));
        assert_eq!(p(" 5ms "), Ok(5));
        // rint(): ties to even.
        assert_eq!(p("2500us"), Ok(2));
        assert_eq!(p("3500us"), Ok(4));
        assert_eq!(p("2.5"), Ok(2));
        assert_eq!(p("-0.4"), Ok(0));
        assert_eq!(p("90min"), Ok(5_400_000));
        assert_eq!(p("x"), Err(ParseFailure::Invalid { hint: None }));
        assert_eq!(p(""), Err(ParseFailure::Invalid { hint: None }));
        assert!(
            matches!(p("5MS"), Err(ParseFailure::Invalid { hint: Some(h) }) if h.contains("\"us\", \"ms\""))
        );
        assert_eq!(
            p("2147483648"),
            Err(ParseFailure::Invalid {
                hint: Some(HINT_INT_RANGE.into())
            })
        );
        assert_eq!(
            p("25d"),
            Err(ParseFailure::Invalid {
                hint: Some(HINT_INT_RANGE.into())
            })
        );
        assert_eq!(
            p("-1"),
            Err(ParseFailure::OutOfRange {
                shown: "-1 ms".into()
            })
        );
        // Memory in 8kB blocks.
        let b = |s: &str| parse_int(s, 100, 1_073_741_823, GucUnit::Blocks);
        assert_eq!(b("1MB"), Ok(128));
        assert_eq!(
            b("12kB"),
            Err(ParseFailure::OutOfRange {
                shown: "2 8kB".into()
            })
        );
        assert_eq!(
            b("99"),
            Err(ParseFailure::OutOfRange {
                shown: "99 8kB".into()
            })
        );
        // A unitless parameter refuses units, without a hint.
        assert_eq!(
            parse_int("1kB", -15, 3, GucUnit::None),
            Err(ParseFailure::Invalid { hint: None })
        );
        assert_eq!(parse_int("2.6", -15, 3, GucUnit::None), Ok(3));
    }

    #[test]
    fn reals_and_g_format() {
        assert_eq!(format_g(1.5), "1.5");
        assert_eq!(format_g(1e300), "1e+300");
        assert_eq!(format_g(1e-7), "1e-07");
        assert_eq!(format_g(0.123_456_789_012_3), "0.123457");
        assert_eq!(format_g(123_456_789.0), "1.23457e+08");
        assert_eq!(format_g(1_234_567.0), "1.23457e+06");
        assert_eq!(format_g(f64::MAX), "1.79769e+308");
        assert_eq!(format_g(4.0), "4");
        assert_eq!(format_g(0.0025), "0.0025");
        assert_eq!(
            parse_real("nan", 0.0, f64::MAX, GucUnit::None),
            Err(ParseFailure::Invalid { hint: None })
        );
        assert_eq!(
            parse_real("1e400", 0.0, f64::MAX, GucUnit::None),
            Err(ParseFailure::Invalid { hint: None })
        );
        assert_eq!(
            parse_real("inf", 0.0, f64::MAX, GucUnit::None),
            Err(ParseFailure::OutOfRange {
                shown: "Infinity".into()
            })
        );
        assert_eq!(
            parse_real("1s", 0.0, 100.0, GucUnit::Milliseconds),
            Err(ParseFailure::OutOfRange {
                shown: "1000 ms".into()
            })
        );
        assert_eq!(
            parse_real("500us", 0.0, 100.0, GucUnit::Milliseconds),
            Ok(0.5)
        );
    }

    #[test]
    fn show_picks_the_largest_exact_unit() {
        assert_eq!(show_int(16384, GucUnit::Blocks), "128MB");
        assert_eq!(show_int(100, GucUnit::Blocks), "800kB");
        assert_eq!(show_int(125_000, GucUnit::Blocks), "1000000kB");
        assert_eq!(show_int(2_147_483_647, GucUnit::Blocks), "17179869176kB");
        assert_eq!(show_int(1536, GucUnit::Kilobytes), "1536kB");
        assert_eq!(show_int(1_048_576, GucUnit::Kilobytes), "1GB");
        assert_eq!(show_int(1024, GucUnit::Megabytes), "1GB");
        assert_eq!(show_int(1500, GucUnit::Milliseconds), "1500ms");
        assert_eq!(show_int(60, GucUnit::Seconds), "1min");
        assert_eq!(show_int(172_800_000, GucUnit::Milliseconds), "2d");
        assert_eq!(
            show_int(2_147_483_647, GucUnit::Milliseconds),
            "2147483647ms"
        );
        assert_eq!(show_int(0, GucUnit::Milliseconds), "0");
        assert_eq!(show_int(-1, GucUnit::Kilobytes), "-1");
        assert_eq!(show_real(0.25, GucUnit::Milliseconds), "250us");
        assert_eq!(show_real(0.0001, GucUnit::Milliseconds), "0.1us");
        assert_eq!(show_real(1.2345, GucUnit::Milliseconds), "1234.5us");
        assert_eq!(show_real(1.234_567_8, GucUnit::Milliseconds), "1234.57us");
        assert_eq!(show_real(100.0, GucUnit::Milliseconds), "100ms");
        assert_eq!(show_real(0.0, GucUnit::Milliseconds), "0");
    }

    #[test]
    fn datestyle_keeps_unspecified_parts() {
        let c = |v: &str, cur: &str| check_datestyle(v, cur).map_err(|e| e.detail);
        assert_eq!(c("german", "ISO, MDY"), Ok("German, DMY".into()));
        assert_eq!(c("iso", "ISO, MDY"), Ok("ISO, MDY".into()));
        assert_eq!(c("dmy", "ISO, MDY"), Ok("ISO, DMY".into()));
        assert_eq!(c("postgres", "ISO, DMY"), Ok("Postgres, DMY".into()));
        assert_eq!(c("sql", "Postgres, YMD"), Ok("SQL, YMD".into()));
        assert_eq!(c("euro", "SQL, YMD"), Ok("SQL, DMY".into()));
        assert_eq!(c("ymd, german", "ISO, MDY"), Ok("German, YMD".into()));
        assert_eq!(c("\"iso\"", "ISO, MDY"), Ok("ISO, MDY".into()));
        assert_eq!(c("", "ISO, DMY"), Ok("ISO, DMY".into()));
        assert_eq!(
            c("iso sql", "ISO, MDY"),
            Err(Some("List syntax is invalid.".into()))
        );
        assert_eq!(
            c("iso, sql", "ISO, MDY"),
            Err(Some("Conflicting \"datestyle\" specifications.".into()))
        );
        assert_eq!(
            c("bogus", "ISO, MDY"),
            Err(Some("Unrecognized key word: \"bogus\".".into()))
        );
        assert_eq!(
            c("iso;dmy", "ISO, MDY"),
            Err(Some("Unrecognized key word: \"iso;dmy\".".into()))
        );
    }

    #[test]
    fn encodings_timezones_and_names() {
        assert_eq!(canonical_encoding_name("utf-8"), Some("UTF8"));
        assert_eq!(canonical_encoding_name("unicode"), Some("UTF8"));
        assert_eq!(canonical_encoding_name("iso-8859-1"), Some("LATIN1"));
        assert_eq!(
            canonical_encoding_name("euc_jis_2004"),
            Some("EUC_JIS_2004")
        );
        assert_eq!(canonical_encoding_name("default"), None);
        let tz = |v: &str| check_timezone(v).ok();
        assert_eq!(tz("+5").as_deref(), Some("<+05>-05"));
        assert_eq!(tz("-8").as_deref(), Some("<-08>+08"));
        assert_eq!(tz("8.25").as_deref(), Some("<+08:15>-08:15"));
        assert_eq!(tz("0").as_deref(), Some("<+00>-00"));
        assert_eq!(tz("utc").as_deref(), Some("UTC"));
        assert_eq!(tz("Etc/Utc").as_deref(), Some("Etc/UTC"));
        assert_eq!(tz("-05:30").as_deref(), Some("-05:30"));
        assert_eq!(tz(""), None);
        assert_eq!(clean_ascii("héllo"), "h??llo");
        assert_eq!(quote_identifier("public"), "public");
        assert_eq!(quote_identifier("My Schema"), "\"My Schema\"");
        assert_eq!(quote_identifier("x\"y"), "\"x\"\"y\"");
        assert_eq!(quote_identifier(""), "\"\"");
    }
}
