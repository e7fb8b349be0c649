//! String functions and operators (`length`, `substr`, `||`, LIKE, ...).
//!
//! Strings are UTF-8; lengths and positions count characters. Case mapping is
//! Unicode one-to-one (a character whose upper case is several characters, like
//! `ß`, is left alone, as PostgreSQL's C.UTF-8 locale does).

use md5::{Digest, Md5};
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;
use crate::expr::Evaluator;

pub(crate) fn text(d: &Datum) -> PgResult<&str> {
    match d {
        Datum::Text(s) => Ok(s),
        other => Err(PgError::internal(format!("expected text, got {other:?}"))),
    }
}

pub(crate) fn int(d: &Datum) -> PgResult<i64> {
    match d {
        Datum::Int4(v) => Ok(*v as i64),
        Datum::Int8(v) => Ok(*v),
        Datum::Int2(v) => Ok(*v as i64),
        other => Err(PgError::internal(format!(
            "expected integer, got {other:?}"
        ))),
    }
}

/// 1 GB, PostgreSQL's limit on a single value.
const MAX_ALLOC: usize = 0x3fff_ffff;

fn too_large() -> PgError {
    PgError::new(SqlState::ProgramLimitExceeded, "requested length too large")
}

fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        let alnum = c.is_alphanumeric();
        let mapped = if in_word {
            map_case(&c.to_string(), false)
        } else {
            map_case(&c.to_string(), true)
        };
        out.push_str(&mapped);
        in_word = alnum;
    }
    out
}

fn trim(s: &str, chars: &str, left: bool, right: bool) -> String {
    let set: Vec<char> = chars.chars().collect();
    let mut r = s;
    if left {
        r = r.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        r = r.trim_end_matches(|c| set.contains(&c));
    }
    r.to_string()
}

fn substr(s: &str, start: i64, len: Option<i64>) -> PgResult<String> {
    if let Some(l) = len
        && l < 0
    {
        return Err(PgError::new(
            SqlState::SubstringError,
            "negative substring length not allowed",
        ));
    }
    let end = len.map(|l| start.saturating_add(l)); // exclusive, 1-based
    let from = start.max(1);
    Ok(s.chars()
        .enumerate()
        .map(|(i, c)| (i as i64 + 1, c))
        .filter(|(i, _)| *i >= from && end.is_none_or(|e| *i < e))
        .map(|(_, c)| c)
        .collect())
}

fn pad(s: &str, len: i64, fill: &str, left: bool) -> PgResult<String> {
    if len <= 0 {
        return Ok(String::new());
    }
    let len = len as usize;
    if len.saturating_mul(4) > MAX_ALLOC {
        return Err(too_large());
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len || fill.is_empty() {
        return Ok(chars.into_iter().take(len).collect());
    }
    let need = len - chars.len();
    let padding: String = fill.chars().cycle().take(need).collect();
    Ok(if left {
        format!("{padding}{s}")
    } else {
        format!("{s}{padding}")
    })
}

fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !types::guc::is_reserved_keyword(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// LIKE matching with `%`, `_` and the default escape `\`.
pub(crate) fn like(s: &[char], p: &[char]) -> PgResult<bool> {
    // iterative matcher with backtracking on the last %
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '%' => {
                    pi += 1;
                    star = Some((pi, si));
                    continue;
                }
                c => {
                    let (lit, adv) = if c == '\\' {
                        match p.get(pi + 1) {
                            Some(&n) => (Some(n), 2),
                            None => {
                                return Err(PgError::new(
                                    SqlState::InvalidEscapeSequence,
                                    "LIKE pattern must not end with escape character",
                                ));
                            }
                        }
                    } else if c == '_' {
                        (None, 1)
                    } else {
                        (Some(c), 1)
                    };
                    if si < s.len() && lit.is_none_or(|l| l == s[si]) {
                        si += 1;
                        pi += adv;
                        continue;
                    }
                }
            }
        } else if si == s.len() {
            return Ok(true);
        }
        match star {
            Some((sp, ss)) if ss < s.len() => {
                star = Some((sp, ss + 1));
                pi = sp;
                si = ss + 1;
            }
            _ => return Ok(false),
        }
    }
}

/// `like_escape(pattern, escape)`: the pattern rewritten to use backslash
/// as its escape character, as `LIKE pattern ESCAPE escape` means it (an
/// empty escape: no escape character at all).
pub(crate) fn like_escape(pattern: &str, escape: &str) -> PgResult<String> {
    let mut esc = escape.chars();
    let e = match (esc.next(), esc.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => {
            return Err(
                PgError::new(SqlState::InvalidEscapeSequence, "invalid escape string")
                    .with_hint("Escape string must be empty or one character."),
            );
        }
    };
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match e {
            Some(e) if c == e => {
                out.push('\\');
                match chars.next() {
                    Some(n) => out.push(n),
                    None => {
                        return Err(PgError::new(
                            SqlState::InvalidEscapeSequence,
                            "LIKE pattern must not end with escape character",
                        ));
                    }
                }
            }
            _ if c == '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// `translate(s, from, to)`: each character of `s` found in `from` becomes
/// the character at the same place in `to`, or is dropped when `to` is
/// shorter.
fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|&f| f == c) {
            Some(k) => to.get(k).copied(),
            None => Some(c),
        })
        .collect()
}

/// `unistr(s)`: `\XXXX`, `\+XXXXXX`, `\uXXXX` and `\UXXXXXXXX` escapes
/// (UTF-16 surrogate pairs joined) and `\\` for a backslash.
fn unistr(s: &str) -> PgResult<String> {
    let invalid_pair = || PgError::new(SqlState::SyntaxError, "invalid Unicode surrogate pair");
    let b = s.as_bytes();
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = b.get(from..from + n)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let mut out = String::with_capacity(s.len());
    let mut pair_first: Option<u32> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            if pair_first.is_some() {
                return Err(invalid_pair());
            }
            let c = s[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let (code, width) = if b.get(i + 1) == Some(&b'\\') {
            if pair_first.is_some() {
                return Err(invalid_pair());
            }
            out.push('\\');
            i += 2;
            continue;
        } else if let Some(v) = hex(i + 1, 4) {
            (v, 5)
        } else if let (Some(b'u'), Some(v)) = (b.get(i + 1), hex(i + 2, 4)) {
            (v, 6)
        } else if let (Some(b'+'), Some(v)) = (b.get(i + 1), hex(i + 2, 6)) {
            (v, 8)
        } else if let (Some(b'U'), Some(v)) = (b.get(i + 1), hex(i + 2, 8)) {
            (v, 10)
        } else {
            return Err(
                PgError::new(SqlState::SyntaxError, "invalid Unicode escape").with_hint(
                    "Unicode escapes must be \\XXXX, \\+XXXXXX, \\uXXXX, or \\UXXXXXXXX.",
                ),
            );
        };
        if code == 0 || code > 0x10FFFF {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("invalid Unicode code point: {code:04X}"),
            ));
        }
        let second = (0xDC00..=0xDFFF).contains(&code);
        let code = match pair_first.take() {
            Some(first) if second => 0x10000 + ((first - 0xD800) << 10) + (code - 0xDC00),
            Some(_) => return Err(invalid_pair()),
            None if second => return Err(invalid_pair()),
            None => code,
        };
        if (0xD800..=0xDBFF).contains(&code) {
            pair_first = Some(code);
        } else {
            out.push(char::from_u32(code).ok_or_else(invalid_pair)?);
        }
        i += width;
    }
    if pair_first.is_some() {
        return Err(invalid_pair());
    }
    Ok(out)
}

/// `parse_ident(s [, strict])`: the names of a qualified identifier
/// (`a."B c".d`), unquoted ones folded to lower case. With `strict` false,
/// what follows the last name may be anything.
fn parse_ident(s: &str, strict: bool) -> PgResult<Vec<String>> {
    let invalid = |detail: Option<&str>| {
        let e = PgError::new(
            SqlState::InvalidParameterValue,
            format!("string is not a valid identifier: \"{s}\""),
        );
        match detail {
            Some(d) => e.with_detail(d),
            None => e,
        }
    };
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
    let start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
    let cont = |c: char| start(c) || c.is_ascii_digit() || c == '$';
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() && space(chars[i]) {
        i += 1;
    }
    let mut names = Vec::new();
    let mut after_dot = false;
    loop {
        let mut missing = true;
        if chars.get(i) == Some(&'"') {
            let mut name = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(invalid(Some("String has unclosed double quotes."))),
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        name.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        name.push(c);
                        i += 1;
                    }
                }
            }
            if name.is_empty() {
                return Err(invalid(Some("Quoted identifier must not be empty.")));
            }
            names.push(name);
            missing = false;
        } else if chars.get(i).is_some_and(|&c| start(c)) {
            let from = i;
            while chars.get(i).is_some_and(|&c| cont(c)) {
                i += 1;
            }
            names.push(
                chars[from..i]
                    .iter()
                    .map(|c| c.to_ascii_lowercase())
                    .collect(),
            );
            missing = false;
        }
        if missing {
            return Err(if chars.get(i) == Some(&'.') {
                invalid(Some("No valid identifier before \".\"."))
            } else if after_dot {
                invalid(Some("No valid identifier after \".\"."))
            } else {
                invalid(None)
            });
        }
        while i < chars.len() && space(chars[i]) {
            i += 1;
        }
        match chars.get(i) {
            Some('.') => {
                after_dot = true;
                i += 1;
                while i < chars.len() && space(chars[i]) {
                    i += 1;
                }
            }
            None => break,
            Some(_) if strict => return Err(invalid(None)),
            Some(_) => break,
        }
    }
    Ok(names)
}

/// `s` in Unicode normalization form `form` (NFC, NFD, NFKC or NFKD, in
/// any case).
fn normalize(s: &str, form: &str) -> PgResult<String> {
    use unicode_normalization::UnicodeNormalization;
    Ok(match form.to_ascii_uppercase().as_str() {
        "NFC" => s.nfc().collect(),
        "NFD" => s.nfd().collect(),
        "NFKC" => s.nfkc().collect(),
        "NFKD" => s.nfkd().collect(),
        _ => {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("invalid normalization form: {form}"),
            ));
        }
    })
}

pub fn call(
    func: &str,
    args: &[Datum],
    arg_types: &[u32],
    ev: &mut Evaluator<'_>,
) -> PgResult<Option<Datum>> {
    let t = |n: usize| -> PgResult<&str> { text(arg(args, n)?) };
    let i = |n: usize| -> PgResult<i64> { int(arg(args, n)?) };
    Ok(Some(match func {
        "textcat" => Datum::Text(format!("{}{}", t(0)?, t(1)?)),
        "byteacat" => match args {
            [Datum::Bytea(a), Datum::Bytea(b)] => {
                Datum::Bytea([a.as_slice(), b.as_slice()].concat())
            }
            _ => return Ok(None),
        },
        "length" => Datum::Int4(t(0)?.chars().count() as i32),
        "octet_length" => match arg(args, 0)? {
            Datum::Bytea(b) => Datum::Int4(b.len() as i32),
            d => Datum::Int4(text(d)?.len() as i32),
        },
        "like_escape" => Datum::Text(like_escape(t(0)?, t(1)?)?),
        "upper" => Datum::Text(map_case(t(0)?, true)),
        "lower" => Datum::Text(map_case(t(0)?, false)),
        "initcap" => Datum::Text(initcap(t(0)?)),
        "reverse" => Datum::Text(t(0)?.chars().rev().collect()),
        "translate" => Datum::Text(translate(t(0)?, t(1)?, t(2)?)),
        "unistr" => Datum::Text(unistr(t(0)?)?),
        "normalize" | "is_normalized" => {
            let form = if args.len() > 1 { t(1)? } else { "NFC" };
            let normalized = normalize(t(0)?, form)?;
            if func == "normalize" {
                Datum::Text(normalized)
            } else {
                Datum::Bool(normalized == t(0)?)
            }
        }
        "parse_ident" => {
            let strict = !matches!(args.get(1), Some(Datum::Bool(false)));
            let names = parse_ident(t(0)?, strict)?;
            Datum::Array(Box::new(types::datum::ArrayValue::new(
                types::oid::TEXT,
                names.into_iter().map(Datum::Text).collect(),
            )))
        }
        "md5" => {
            let bytes: &[u8] = match arg(args, 0)? {
                Datum::Bytea(b) => b,
                d => text(d)?.as_bytes(),
            };
            let digest = Md5::digest(bytes);
            Datum::Text(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        "ascii" => Datum::Int4(t(0)?.chars().next().map_or(0, |c| c as i32)),
        "chr" => {
            let n = i(0)?;
            if n == 0 {
                return Err(PgError::new(
                    SqlState::ProgramLimitExceeded,
                    "null character not permitted",
                ));
            }
            if n < 0 {
                return Err(PgError::new(
                    SqlState::ProgramLimitExceeded,
                    "character number must be positive",
                ));
            }
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    PgError::new(
                        SqlState::ProgramLimitExceeded,
                        format!("requested character too large for encoding: {n}"),
                    )
                })?;
            Datum::Text(c.to_string())
        }
        "quote_ident" => Datum::Text(quote_ident(t(0)?)),
        "quote_literal" => Datum::Text(quote_literal(t(0)?)),
        "quote_nullable" if arg(args, 0)?.is_null() => Datum::Text("NULL".into()),
        "quote_nullable" => Datum::Text(quote_literal(t(0)?)),
        "btrim" | "ltrim" | "rtrim" => {
            let chars = if args.len() > 1 { t(1)? } else { " " };
            Datum::Text(trim(t(0)?, chars, func != "rtrim", func != "ltrim"))
        }
        "substr" => Datum::Text(substr(
            t(0)?,
            i(1)?,
            if args.len() > 2 { Some(i(2)?) } else { None },
        )?),
        "strpos" => {
            let (h, n) = (t(0)?, t(1)?);
            Datum::Int4(match h.find(n) {
                Some(b) => h[..b].chars().count() as i32 + 1,
                None => 0,
            })
        }
        "replace" => {
            let (s, from, to) = (t(0)?, t(1)?, t(2)?);
            Datum::Text(if from.is_empty() {
                s.to_string()
            } else {
                s.replace(from, to)
            })
        }
        "repeat" => {
            let (s, n) = (t(0)?, i(1)?);
            let n = n.max(0) as usize;
            if s.len().saturating_mul(n) > MAX_ALLOC {
                return Err(too_large());
            }
            Datum::Text(s.repeat(n))
        }
        "left" | "right" => {
            let (s, n) = (t(0)?, i(1)?);
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let take = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            Datum::Text(if func == "left" {
                chars[..take].iter().collect()
            } else {
                chars[chars.len() - take..].iter().collect()
            })
        }
        "lpad" | "rpad" => {
            let fill = if args.len() > 2 { t(2)? } else { " " };
            Datum::Text(pad(t(0)?, i(1)?, fill, func == "lpad")?)
        }
        "split_part" => {
            let (s, d, n) = (t(0)?, t(1)?, i(2)?);
            if n == 0 {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "field position must not be zero",
                ));
            }
            let parts: Vec<&str> = if d.is_empty() {
                vec![s]
            } else {
                s.split(d).collect()
            };
            let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
            Datum::Text(if s.is_empty() {
                String::new()
            } else {
                usize::try_from(idx)
                    .ok()
                    .and_then(|k| parts.get(k))
                    .map_or(String::new(), |p| p.to_string())
            })
        }
        "starts_with" => Datum::Bool(t(0)?.starts_with(t(1)?)),
        "to_hex" => Datum::Text(match arg(args, 0)? {
            Datum::Int4(v) => format!("{:x}", *v as u32),
            Datum::Int8(v) => format!("{:x}", *v as u64),
            _ => return Ok(None),
        }),
        "like" | "notlike" | "ilike" | "notilike" => {
            let ci = func.contains("ilike");
            let (s, p) = if ci {
                (t(0)?.to_lowercase(), t(1)?.to_lowercase())
            } else {
                (t(0)?.to_string(), t(1)?.to_string())
            };
            let m = like(
                &s.chars().collect::<Vec<_>>(),
                &p.chars().collect::<Vec<_>>(),
            )?;
            Datum::Bool(m != func.starts_with("not"))
        }
        "concat" | "concat_ws" => {
            let (sep, rest, rest_types) = if func == "concat_ws" {
                match arg(args, 0)? {
                    Datum::Null => return Ok(Some(Datum::Null)),
                    d => (
                        text(d)?.to_string(),
                        &args[1..],
                        arg_types.get(1..).unwrap_or(&[]),
                    ),
                }
            } else {
                (String::new(), args, arg_types)
            };
            let mut parts = Vec::new();
            for (k, a) in rest.iter().enumerate() {
                if a.is_null() {
                    continue;
                }
                // the type's output function, as PostgreSQL's concat uses (`t`, not `true`)
                let _ = rest_types.get(k);
                parts.push(a.to_text(&ev.opts));
            }
            Datum::Text(parts.join(&sep))
        }
        "num_nulls" => Datum::Int4(args.iter().filter(|a| a.is_null()).count() as i32),
        "num_nonnulls" => Datum::Int4(args.iter().filter(|a| !a.is_null()).count() as i32),
        "format" => match arg(args, 0)? {
            Datum::Null => Datum::Null,
            d => Datum::Text(format(text(d)?, &args[1..], &ev.opts)?),
        },
        _ => return Ok(None),
    }))
}

fn format_error(message: impl Into<String>) -> PgError {
    PgError::new(SqlState::InvalidParameterValue, message)
}

/// `format(fmt, args...)`: `%[n$][-][width]{s|I|L}` and `%%`, the width
/// given or taken from an argument (`*`, `*n$`); arguments by position or
/// in turn. `%s` prints NULL as nothing, `%L` as `NULL`, `%I` refuses it.
fn format(fmt: &str, args: &[Datum], opts: &types::datum::OutputOptions) -> PgResult<String> {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut next_arg = 0usize;
    let unterminated = || {
        format_error("unterminated format() type specifier")
            .with_hint("For a single \"%\" use \"%%\".")
    };
    let too_few = || format_error("too few arguments for format()");
    // A number at `*i`, if one starts there.
    let number = |i: &mut usize| -> Option<usize> {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        (start < *i).then(|| {
            chars[start..*i]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(usize::MAX)
        })
    };
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i >= chars.len() {
            return Err(unterminated());
        }
        if chars[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        // `n$`: the argument's position.
        let mut position = None;
        let save = i;
        if let Some(n) = number(&mut i) {
            if i < chars.len() && chars[i] == '$' {
                if n == 0 {
                    return Err(format_error(
                        "format specifies argument 0, but arguments are numbered from 1",
                    ));
                }
                position = Some(n);
                i += 1;
            } else {
                i = save;
            }
        }
        let mut left = false;
        while i < chars.len() && chars[i] == '-' {
            left = true;
            i += 1;
        }
        let mut width: Option<i64> = None;
        if i < chars.len() && chars[i] == '*' {
            i += 1;
            let from = match number(&mut i) {
                Some(0) if i < chars.len() && chars[i] == '$' => {
                    return Err(format_error(
                        "format specifies argument 0, but arguments are numbered from 1",
                    ));
                }
                Some(n) if i < chars.len() && chars[i] == '$' => {
                    i += 1;
                    n - 1
                }
                Some(_) => return Err(unterminated()),
                None => {
                    next_arg += 1;
                    next_arg - 1
                }
            };
            let w = args.get(from).ok_or_else(too_few)?;
            width = match w {
                Datum::Null => None,
                Datum::Int2(v) => Some(i64::from(*v)),
                Datum::Int4(v) => Some(i64::from(*v)),
                Datum::Int8(v) => Some(*v),
                other => Some(other.to_text(opts).trim().parse().map_err(|_| {
                    PgError::new(
                        SqlState::InvalidTextRepresentation,
                        format!(
                            "invalid input syntax for type integer: \"{}\"",
                            other.to_text(opts)
                        ),
                    )
                })?),
            };
        } else if let Some(n) = number(&mut i) {
            width = Some(n as i64);
        }
        if i >= chars.len() {
            return Err(unterminated());
        }
        let kind = chars[i];
        i += 1;
        if !matches!(kind, 's' | 'I' | 'L') {
            return Err(
                format_error(format!("unrecognized format() type specifier \"{kind}\""))
                    .with_hint("For a single \"%\" use \"%%\"."),
            );
        }
        let index = match position {
            Some(n) => n - 1,
            None => next_arg,
        };
        next_arg = index + 1;
        let value = args.get(index).ok_or_else(too_few)?;
        let text = match (kind, value) {
            ('s', Datum::Null) => String::new(),
            ('s', v) => v.to_text(opts),
            ('I', Datum::Null) => {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "null values cannot be formatted as an SQL identifier",
                ));
            }
            ('I', v) => quote_ident(&v.to_text(opts)),
            (_, Datum::Null) => "NULL".into(),
            (_, v) => quote_literal(&v.to_text(opts)),
        };
        // A negative width left-aligns, as `-` does.
        let (left, width) = match width {
            Some(w) if w < 0 => (true, w.unsigned_abs() as usize),
            Some(w) => (left, w as usize),
            None => (left, 0),
        };
        let pad = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&text);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn l(s: &str, p: &str) -> bool {
        like(
            &s.chars().collect::<Vec<_>>(),
            &p.chars().collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn like_patterns() {
        assert!(l("abc", "a%"));
        assert!(l("abc", "%c"));
        assert!(l("abc", "_b_"));
        assert!(!l("abc", "b%"));
        assert!(l("a%c", "a\\%c"));
        assert!(l("", "%"));
        assert!(l("aXbXc", "%b%c"));
    }

    #[test]
    fn helpers() {
        assert_eq!(substr("hello", 2, Some(3)).unwrap(), "ell");
        assert_eq!(substr("hello", -1, Some(3)).unwrap(), "h");
        assert_eq!(pad("hi", 5, "xy", true).unwrap(), "xyxhi");
        assert_eq!(pad("hello", 2, " ", false).unwrap(), "he");
        assert_eq!(quote_ident("Foo"), "\"Foo\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_literal("O'Reilly"), "'O''Reilly'");
        assert_eq!(initcap("hello wORLD"), "Hello World");
        assert_eq!(translate("12345", "143", "ax"), "a2x5");
        assert_eq!(unistr("d\\u0061t\\+000061").unwrap(), "data");
        assert_eq!(unistr("\\D83D\\DE00").unwrap(), "\u{1F600}");
        assert!(unistr("\\db99x").is_err());
        assert!(unistr("\\q").is_err());
        assert_eq!(
            parse_ident(" A . \"b c\"", true).unwrap(),
            vec!["a".to_string(), "b c".to_string()]
        );
        assert!(parse_ident("a.", true).is_err());
        assert_eq!(parse_ident("a(", false).unwrap(), vec!["a".to_string()]);
    }
}
