//! Binary strings (`bytea`): substring, overlay, position, trim, LIKE,
//! `encode`/`decode` in the hex, base64 and escape formats, and the SHA-2
//! digests. Positions and lengths count bytes.

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;

fn bytes(d: &Datum) -> PgResult<&[u8]> {
    match d {
        Datum::Bytea(b) => Ok(b),
        other => Err(PgError::internal(format!("expected bytea, got {other:?}"))),
    }
}

use super::string::{int, text};

fn negative_length() -> PgError {
    PgError::new(
        SqlState::SubstringError,
        "negative substring length not allowed",
    )
}

/// `substring(b FROM start [FOR count])`: the bytes from 1-based `start`
/// (which may lie before the first) for `count` positions.
fn substring(b: &[u8], start: i64, count: Option<i64>) -> PgResult<Vec<u8>> {
    if count.is_some_and(|c| c < 0) {
        return Err(negative_length());
    }
    let end = count.map_or(i64::MAX, |c| start.saturating_add(c)); // exclusive
    let from = start.max(1);
    if end <= from {
        return Ok(Vec::new());
    }
    let lo = ((from - 1) as usize).min(b.len());
    let hi = usize::try_from(end - 1).map_or(b.len(), |e| e.min(b.len()));
    Ok(b[lo..hi.max(lo)].to_vec())
}

/// `overlay(b PLACING with FROM start [FOR count])`.
fn overlay(b: &[u8], with: &[u8], start: i64, count: Option<i64>) -> PgResult<Vec<u8>> {
    let count = count.unwrap_or(with.len() as i64);
    if start <= 0 {
        return Err(negative_length());
    }
    let rest = start
        .checked_add(count)
        .ok_or_else(|| PgError::new(SqlState::NumericValueOutOfRange, "integer out of range"))?;
    let mut out = b[..((start - 1) as usize).min(b.len())].to_vec();
    out.extend_from_slice(with);
    if rest >= 1 {
        out.extend_from_slice(&b[((rest - 1) as usize).min(b.len())..]);
    } else {
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// `b` without the leading and/or trailing bytes found in `set`.
fn trim<'a>(b: &'a [u8], set: &[u8], leading: bool, trailing: bool) -> &'a [u8] {
    let mut lo = 0;
    let mut hi = b.len();
    if leading {
        while lo < hi && set.contains(&b[lo]) {
            lo += 1;
        }
    }
    if trailing {
        while hi > lo && set.contains(&b[hi - 1]) {
            hi -= 1;
        }
    }
    &b[lo..hi]
}

/// Bytes as the characters U+0000..U+00FF, so that the text LIKE matcher
/// compares them one by one.
fn as_chars(b: &[u8]) -> Vec<char> {
    b.iter().map(|&x| char::from(x)).collect()
}

fn unrecognized_encoding(name: &str) -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        format!("unrecognized encoding: \"{name}\""),
    )
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with `=` padding and a newline after every 76 characters, as
/// PostgreSQL's `encode(..., 'base64')` writes it.
fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 4 / 3 + b.len() / 57 + 4);
    let mut line = 0;
    for chunk in b.chunks(3) {
        if line >= 76 {
            out.push('\n');
            line = 0;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        line += 4;
    }
    out
}

fn base64_decode(s: &str) -> PgResult<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut have = 0;
    let mut padding = 0;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        if c == '=' {
            // Padding ends the data: it may only complete a group.
            if padding == 0 && !(have == 2 || have == 3) {
                return Err(base64_end());
            }
            padding += 1;
            if have + padding > 4 {
                return Err(base64_end());
            }
            continue;
        }
        let Some(v) = BASE64.iter().position(|&b| char::from(b) == c) else {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("invalid symbol \"{c}\" found while decoding base64 sequence"),
            ));
        };
        if padding > 0 {
            return Err(base64_end());
        }
        acc = (acc << 6) | v as u32;
        have += 1;
        if have == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            have = 0;
        }
    }
    match (have, padding) {
        (0, 0) => {}
        (2, 2) => out.push((acc >> 4) as u8),
        (3, 1) => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err(base64_end()),
    }
    Ok(out)
}

fn base64_end() -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        "invalid base64 end sequence",
    )
    .with_hint("Input data is missing padding, is truncated, or is otherwise corrupted.")
}

fn hex_decode(s: &str) -> PgResult<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut chars = s.chars();
    let digit = |c: char| {
        c.to_digit(16).map(|d| d as u8).ok_or_else(|| {
            PgError::new(
                SqlState::InvalidParameterValue,
                format!("invalid hexadecimal digit: \"{c}\""),
            )
        })
    };
    while let Some(c) = chars.next() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        let hi = digit(c)?;
        let lo = match chars.next() {
            Some(d) => digit(d)?,
            None => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
        };
        out.push(hi << 4 | lo);
    }
    Ok(out)
}

/// The escape format: a backslash doubled, a zero byte and the bytes from
/// 0x80 up as `\ooo`, the rest as they are.
fn escape_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for &x in b {
        match x {
            b'\\' => out.push_str("\\\\"),
            0 | 0x80.. => out.push_str(&format!("\\{x:03o}")),
            _ => out.push(char::from(x)),
        }
    }
    out
}

fn escape_decode(s: &str) -> PgResult<Vec<u8>> {
    types::datum::bytea_escape_decode(s)
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    let b = |n: usize| arg(args, n).and_then(bytes);
    let i = |n: usize| arg(args, n).and_then(int);
    let optional = |n: usize| args.get(n).map(int).transpose();
    Ok(Some(match func {
        "byteasubstr" => Datum::Bytea(substring(b(0)?, i(1)?, optional(2)?)?),
        "byteaoverlay" => Datum::Bytea(overlay(b(0)?, b(1)?, i(2)?, optional(3)?)?),
        "byteapos" => {
            let (haystack, needle) = (b(0)?, b(1)?);
            let at = if needle.is_empty() {
                Some(0)
            } else {
                haystack.windows(needle.len()).position(|w| w == needle)
            };
            Datum::Int4(at.map_or(0, |p| p as i32 + 1))
        }
        "byteabtrim" | "bytealtrim" | "byteartrim" => {
            Datum::Bytea(trim(b(0)?, b(1)?, func != "byteartrim", func != "bytealtrim").to_vec())
        }
        "bytealike" | "byteanlike" => {
            let m = super::string::like(&as_chars(b(0)?), &as_chars(b(1)?))?;
            Datum::Bool(m == (func == "bytealike"))
        }
        "like_escape_bytea" => {
            let pattern: String = as_chars(b(0)?).into_iter().collect();
            let escape: String = as_chars(b(1)?).into_iter().collect();
            let escaped = super::string::like_escape(&pattern, &escape)?;
            Datum::Bytea(escaped.chars().map(|c| c as u32 as u8).collect())
        }
        "binary_encode" => {
            let data = b(0)?;
            let format = arg(args, 1).and_then(text)?;
            Datum::Text(match format.to_ascii_lowercase().as_str() {
                "hex" => data.iter().map(|x| format!("{x:02x}")).collect(),
                "base64" => base64_encode(data),
                "escape" => escape_encode(data),
                _ => return Err(unrecognized_encoding(format)),
            })
        }
        "binary_decode" => {
            let data = arg(args, 0).and_then(text)?;
            let format = arg(args, 1).and_then(text)?;
            Datum::Bytea(match format.to_ascii_lowercase().as_str() {
                "hex" => hex_decode(data)?,
                "base64" => base64_decode(data)?,
                "escape" => escape_decode(data)?,
                _ => return Err(unrecognized_encoding(format)),
            })
        }
        "sha224" => Datum::Bytea(Sha224::digest(b(0)?).to_vec()),
        "sha256" => Datum::Bytea(Sha256::digest(b(0)?).to_vec()),
        "sha384" => Datum::Bytea(Sha384::digest(b(0)?).to_vec()),
        "sha512" => Datum::Bytea(Sha512::digest(b(0)?).to_vec()),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn substring_and_overlay_count_bytes() {
        assert_eq!(substring(b"1234567890", 4, Some(3)).unwrap(), b"456");
        assert_eq!(
            substring(b"string", -10, Some(i64::from(i32::MAX))).unwrap(),
            b"string"
        );
        assert_eq!(substring(b"string", 2, None).unwrap(), b"tring");
        assert!(substring(b"string", 1, Some(-1)).is_err());
        assert_eq!(
            overlay(b"Th\0omas", b"\x02\x03", 5, Some(3)).unwrap(),
            b"Th\0o\x02\x03"
        );
        assert_eq!(
            overlay(b"Th\0omas", b"\x02\x03", 8, None).unwrap(),
            b"Th\0omas\x02\x03"
        );
    }

    #[test]
    fn encodings_round_trip() {
        let data: Vec<u8> = (0..=255u8).cycle().take(200).collect();
        let b64 = base64_encode(&data);
        assert!(b64.lines().all(|l| l.len() <= 76));
        assert_eq!(base64_decode(&b64).unwrap(), data);
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert!(base64_decode("YWI").is_err());
        assert!(base64_decode("Y!I=").is_err());
        assert_eq!(hex_decode("de ad").unwrap(), vec![0xde, 0xad]);
        assert!(hex_decode("abc").is_err());
        assert_eq!(escape_encode(b"a\\\0\x80"), "a\\\\\\000\\200");
        assert_eq!(escape_decode("a\\\\\\000\\200").unwrap(), b"a\\\0\x80");
        assert!(escape_decode("\\9").is_err());
    }
}
