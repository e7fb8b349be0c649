//! `macaddr` (six bytes) and `macaddr8` (eight bytes, EUI-64): input, output
//! and the conversion between them.
//!
//! `macaddr` input accepts the seven layouts PostgreSQL's `macaddr_in` tries
//! with `sscanf` (`08:00:2b:01:02:03`, `08-00-2b-01-02-03`, `08002b:010203`,
//! `08002b-010203`, `0800.2b01.0203`, `0800-2b01-0203`, `08002b010203`), with
//! scanf's leniency: blanks before a group, one or two digits where two are
//! allowed, any count of digits in the `:` and `-` forms (a group above 255 is
//! an invalid octet, 22003). `macaddr8` input is the byte-pair scanner of
//! `macaddr8_in`: pairs of hex digits with at most one kind of separator
//! (`:`, `-`, `.`) between them, 6 or 8 bytes, blanks around; six bytes become
//! the EUI-64 `xx:xx:xx:ff:fe:xx:xx:xx`.

use crate::{PgError, PgResult, SqlState};

fn syntax(type_name: &str, s: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("invalid input syntax for type {type_name}: \"{s}\""),
    )
}

/// One conversion of a scanf format: `%x` / `%2x` or a literal character.
#[derive(Clone, Copy)]
enum Part {
    Hex(Option<usize>),
    Lit(u8),
}

/// Reads six `%x` groups as C's `sscanf` would with `format`, then requires
/// nothing but blanks after them (the `%1s` that must not match). `None` when
/// the format does not match; groups may exceed a byte.
fn scan(s: &[u8], format: &[Part]) -> Option<Vec<i64>> {
    let mut i = 0;
    let mut out = Vec::with_capacity(6);
    for part in format {
        match *part {
            Part::Lit(c) => {
                if s.get(i) != Some(&c) {
                    return None;
                }
                i += 1;
            }
            Part::Hex(width) => {
                while i < s.len() && s[i].is_ascii_whitespace() {
                    i += 1;
                }
                let limit = width.map_or(usize::MAX, |w| i + w);
                let mut negative = false;
                if i < limit && matches!(s.get(i), Some(b'+' | b'-')) {
                    negative = s[i] == b'-';
                    i += 1;
                }
                // an optional 0x prefix, when a hex digit follows it
                if i + 2 < limit.min(s.len() + 1)
                    && s[i] == b'0'
                    && matches!(s[i + 1], b'x' | b'X')
                    && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                {
                    i += 2;
                }
                let start = i;
                let mut v: i64 = 0;
                while i < limit && i < s.len() && s[i].is_ascii_hexdigit() {
                    let d = (s[i] as char).to_digit(16).unwrap_or(0);
                    v = v.saturating_mul(16).saturating_add(i64::from(d));
                    i += 1;
                }
                if i == start {
                    return None;
                }
                out.push(if negative { -v } else { v });
            }
        }
    }
    if s[i..].iter().all(u8::is_ascii_whitespace) {
        Some(out)
    } else {
        None
    }
}

/// `macaddr_in`.
pub fn parse_macaddr(input: &str) -> PgResult<[u8; 6]> {
    use Part::{Hex, Lit};
    let x = Hex(None);
    let x2 = Hex(Some(2));
    let formats: [&[Part]; 7] = [
        &[
            x,
            Lit(b':'),
            x,
            Lit(b':'),
            x,
            Lit(b':'),
            x,
            Lit(b':'),
            x,
            Lit(b':'),
            x,
        ],
        &[
            x,
            Lit(b'-'),
            x,
            Lit(b'-'),
            x,
            Lit(b'-'),
            x,
            Lit(b'-'),
            x,
            Lit(b'-'),
            x,
        ],
        &[x2, x2, x2, Lit(b':'), x2, x2, x2],
        &[x2, x2, x2, Lit(b'-'), x2, x2, x2],
        &[x2, x2, Lit(b'.'), x2, x2, Lit(b'.'), x2, x2],
        &[x2, x2, Lit(b'-'), x2, x2, Lit(b'-'), x2, x2],
        &[x2, x2, x2, x2, x2, x2],
    ];
    let groups = formats
        .iter()
        .find_map(|f| scan(input.as_bytes(), f))
        .ok_or_else(|| syntax("macaddr", input))?;
    let mut out = [0u8; 6];
    for (o, g) in out.iter_mut().zip(&groups) {
        *o = u8::try_from(*g).map_err(|_| {
            PgError::new(
                SqlState::NumericValueOutOfRange,
                format!("invalid octet value in \"macaddr\" value: \"{input}\""),
            )
        })?;
    }
    Ok(out)
}

/// `macaddr8_in`.
pub fn parse_macaddr8(input: &str) -> PgResult<[u8; 8]> {
    let s = input.as_bytes();
    let fail = || syntax("macaddr8", input);
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut bytes = Vec::with_capacity(8);
    let mut spacer = None;
    // Digits come in pairs; a lone last character is not looked at.
    while i + 1 < s.len() {
        let hi = (s[i] as char).to_digit(16).ok_or_else(fail)?;
        let lo = (s[i + 1] as char).to_digit(16).ok_or_else(fail)?;
        i += 2;
        if bytes.len() == 8 {
            return Err(fail());
        }
        bytes.push((hi * 16 + lo) as u8);
        if i < s.len() && matches!(s[i], b':' | b'-' | b'.') {
            match spacer {
                None => spacer = Some(s[i]),
                Some(c) if c != s[i] => return Err(fail()),
                Some(_) => {}
            }
            i += 1;
        }
        if (bytes.len() == 6 || bytes.len() == 8) && i < s.len() && s[i].is_ascii_whitespace() {
            if !s[i..].iter().all(u8::is_ascii_whitespace) {
                return Err(fail());
            }
            i = s.len();
        }
    }
    match bytes.len() {
        6 => Ok([
            bytes[0], bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5],
        ]),
        8 => {
            let mut out = [0u8; 8];
            out.copy_from_slice(&bytes);
            Ok(out)
        }
        _ => Err(fail()),
    }
}

/// `macaddr_out` / `macaddr8_out`: lower-case hex pairs joined by `:`.
pub fn format(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `macaddr_to_macaddr8`: the EUI-64 form with `ff:fe` in the middle.
pub fn to_macaddr8(m: [u8; 6]) -> [u8; 8] {
    [m[0], m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
}

/// `macaddr8tomacaddr`: only addresses with `ff:fe` as 4th and 5th bytes.
pub fn to_macaddr(m: [u8; 8]) -> PgResult<[u8; 6]> {
    if m[3] != 0xff || m[4] != 0xfe {
        return Err(PgError::new(
            SqlState::NumericValueOutOfRange,
            "macaddr8 data out of range to convert to macaddr",
        )
        .with_hint(
            "Only addresses that have FF and FE as values in the 4th and 5th bytes from the left, \
             for example xx:xx:xx:ff:fe:xx:xx:xx, are eligible to be converted from macaddr8 to \
             macaddr.",
        ));
    }
    Ok([m[0], m[1], m[2], m[5], m[6], m[7]])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Expectations from PostgreSQL 15 (macaddr.sql, macaddr8.sql).
    #[test]
    fn input_matches_postgres() {
        for s in [
            "08:00:2b:01:02:03",
            "08-00-2b-01-02-03",
            "08002b:010203",
            "08002b-010203",
            "0800.2b01.0203",
            "0800-2b01-0203",
            "08002b010203",
        ] {
            assert_eq!(format(&parse_macaddr(s).unwrap()), "08:00:2b:01:02:03");
        }
        assert!(parse_macaddr("0800:2b01:0203").is_err());
        assert!(parse_macaddr("not even close").is_err());
        assert_eq!(
            format(&parse_macaddr8("  08:00:2b:01:02:03  ").unwrap()),
            "08:00:2b:ff:fe:01:02:03"
        );
        assert_eq!(
            format(&parse_macaddr8("08002b0102030405").unwrap()),
            "08:00:2b:01:02:03:04:05"
        );
        for bad in [
            "123    08:00:2b:01:02:03",
            "08:00:2b:01:02:03  123",
            "08:00:2b:01:02:03:04:05:06:07",
            "08002b:01020304050607",
            "0z002b0102030405",
            "08:00-2b:01:02:03:04:05",
        ] {
            assert!(parse_macaddr8(bad).is_err(), "{bad}");
        }
    }
}
