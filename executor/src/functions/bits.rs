//! The `bit` and `bit varying` operators and functions (PostgreSQL's
//! `varbit.c`): `&` `|` `#` `~` `<<` `>>` `||`, `length`, `bit_length`,
//! `octet_length`, `bit_count`, `substring`, `overlay`, `position`,
//! `get_bit`, `set_bit`, `bitcmp`. The algebra lives in
//! `types::datum::bits`. `overlay` of text is here too, since it shares the
//! SQL syntax.

use types::datum::bits::BitString;
use types::{Datum, PgError, PgResult, SqlState};

fn bits(d: &Datum) -> PgResult<&BitString> {
    match d {
        Datum::Bit(b) => Ok(b),
        other => Err(PgError::internal(format!(
            "bit string function on {other:?}"
        ))),
    }
}

fn int(d: &Datum) -> PgResult<i64> {
    match d {
        Datum::Int4(i) => Ok(i64::from(*i)),
        Datum::Int8(i) => Ok(*i),
        other => Err(PgError::internal(format!("integer argument {other:?}"))),
    }
}

fn bit(b: BitString) -> Datum {
    Datum::Bit(Box::new(b))
}

/// Runs `func` if it is one of the functions here.
pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    if func == "textoverlay" {
        return text_overlay(args).map(Some);
    }
    // bit_length of text and bytea: eight bits a byte.
    if func == "bytes_bit_length" {
        let n = match super::arg(args, 0)? {
            Datum::Text(t) => t.len(),
            Datum::Bytea(b) => b.len(),
            _ => return Ok(None),
        };
        return Ok(Some(Datum::Int4((n * 8) as i32)));
    }
    if func.starts_with("bytea_") {
        return bytea_bits(func, args);
    }
    if !func.starts_with("bitstr_") && func != "bitcat" {
        return Ok(None);
    }
    let a = || bits(super::arg(args, 0)?);
    let b = || bits(super::arg(args, 1)?);
    let n = |i: usize| int(super::arg(args, i)?);
    Ok(Some(match func {
        "bitstr_and" => bit(a()?.bitwise(b()?, '&')?),
        "bitstr_or" => bit(a()?.bitwise(b()?, '|')?),
        "bitstr_xor" => bit(a()?.bitwise(b()?, '#')?),
        "bitstr_not" => bit(a()?.not()),
        "bitstr_shl" => bit(a()?.shift_left(n(1)? as i32)),
        "bitstr_shr" => bit(a()?.shift_right(n(1)? as i32)),
        "bitcat" => bit(a()?.concat(b()?)),
        "bitstr_length" => Datum::Int4(a()?.len() as i32),
        "bitstr_octet_length" => Datum::Int4(a()?.bytes().len() as i32),
        "bitstr_count" => Datum::Int8(a()?.count_ones()),
        "bitstr_substr" => {
            let count = match args.len() {
                3 => Some(n(2)?),
                _ => None,
            };
            bit(a()?.substring(n(1)?, count)?)
        }
        "bitstr_overlay" => {
            let count = match args.len() {
                4 => Some(n(3)?),
                _ => None,
            };
            bit(a()?.overlay(b()?, n(2)?, count)?)
        }
        "bitstr_position" => Datum::Int4(a()?.position(b()?)),
        "bitstr_get_bit" => {
            let s = a()?;
            let i = s.check_index(n(1)? as i32)?;
            Datum::Int4(i32::from(s.get(i)))
        }
        "bitstr_set_bit" => {
            let mut s = a()?.clone();
            let i = s.check_index(n(1)? as i32)?;
            let v = n(2)?;
            if v != 0 && v != 1 {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "new bit must be 0 or 1",
                ));
            }
            s.set(i, v == 1);
            bit(s)
        }
        "bitstr_cmp" => Datum::Int4(a()?.compare(b()?) as i32),
        _ => return Ok(None),
    }))
}

/// `get_bit`, `set_bit`, `get_byte`, `set_byte`, `bit_count` of bytea
/// (`varlena.c`): bit n is bit n % 8 of byte n / 8, counted from the low
/// bit.
fn bytea_bits(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    let Datum::Bytea(b) = super::arg(args, 0)? else {
        return Ok(None);
    };
    let bad_index = |n: i64, last: i64| {
        PgError::new(
            SqlState::ArraySubscriptError,
            format!("index {n} out of valid range, 0..{last}"),
        )
    };
    let new_value = |v: i64, max: i64, what: &str| {
        if (0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("new {what} must be 0 or 1"),
            ))
        }
    };
    let bits = b.len() as i64 * 8;
    Ok(Some(match func {
        "bytea_bit_count" => Datum::Int8(b.iter().map(|x| i64::from(x.count_ones())).sum()),
        "bytea_get_bit" | "bytea_set_bit" => {
            let n = int(super::arg(args, 1)?)?;
            if n < 0 || n >= bits {
                return Err(bad_index(n, bits - 1));
            }
            let (byte, bit) = ((n / 8) as usize, (n % 8) as u32);
            if func == "bytea_get_bit" {
                Datum::Int4(i32::from((b[byte] >> bit) & 1))
            } else {
                let v = new_value(int(super::arg(args, 2)?)?, 1, "bit")?;
                let mut out = b.clone();
                out[byte] = (out[byte] & !(1 << bit)) | ((v as u8) << bit);
                Datum::Bytea(out)
            }
        }
        "bytea_get_byte" | "bytea_set_byte" => {
            let n = int(super::arg(args, 1)?)?;
            if n < 0 || n >= b.len() as i64 {
                return Err(bad_index(n, b.len() as i64 - 1));
            }
            if func == "bytea_get_byte" {
                Datum::Int4(i32::from(b[n as usize]))
            } else {
                // set_byte keeps the low eight bits of the new value.
                let v = int(super::arg(args, 2)?)?;
                let mut out = b.clone();
                out[n as usize] = v as u8;
                Datum::Bytea(out)
            }
        }
        _ => return Ok(None),
    }))
}

/// `overlay(text PLACING text FROM start [FOR count])` (`textoverlay`):
/// the characters before `start`, the new text, then the characters from
/// `start + count` (`count` defaults to the new text's length).
fn text_overlay(args: &[Datum]) -> PgResult<Datum> {
    let (Datum::Text(s), Datum::Text(with)) = (super::arg(args, 0)?, super::arg(args, 1)?) else {
        return Err(PgError::internal("overlay of non-text values"));
    };
    let start = int(super::arg(args, 2)?)?;
    let count = match args.get(3) {
        Some(c) => int(c)?,
        None => with.chars().count() as i64,
    };
    if start <= 0 {
        return Err(PgError::new(
            SqlState::SubstringError,
            "negative substring length not allowed",
        ));
    }
    let rest = start
        .checked_add(count)
        .ok_or_else(|| PgError::new(SqlState::NumericValueOutOfRange, "integer out of range"))?;
    let mut out: String = s.chars().take((start - 1) as usize).collect();
    out.push_str(with);
    if rest >= 1 {
        out.extend(s.chars().skip((rest - 1) as usize));
    } else {
        out.push_str(s);
    }
    Ok(Datum::Text(out))
}
