//! One-dimensional arrays (PostgreSQL's `arrayfuncs.c` I/O): the text form
//! `{1,2,NULL,"a b"}` (with an optional `[lower:upper]=` prefix) and the
//! binary form of `array_send` / `array_recv`, which is also how an array
//! is stored in a table.
//!
//! Arrays of more than one dimension are refused (0A000) in every path.

use super::{Datum, OutputOptions};
use crate::{PgError, PgResult, SqlState, oid};

/// An array value: its element type, the lower bound of its one dimension
/// (1 unless written otherwise) and its elements. An empty array has no
/// dimension at all (`{}`), whatever `lower` says.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayValue {
    pub elem_type: u32,
    pub lower: i32,
    pub elems: Vec<Datum>,
}

impl ArrayValue {
    pub fn new(elem_type: u32, elems: Vec<Datum>) -> ArrayValue {
        ArrayValue {
            elem_type,
            lower: 1,
            elems,
        }
    }

    /// The upper bound of the dimension (`lower + len - 1`).
    pub fn upper(&self) -> i32 {
        self.lower + self.elems.len() as i32 - 1
    }
}

fn malformed(s: &str, detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("malformed array literal: \"{s}\""),
    )
    .with_detail(detail.to_owned())
}

fn multidimensional() -> PgError {
    PgError::feature_not_supported("multidimensional arrays")
}

/// Whether an element's text must be quoted in array output.
fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace())
}

/// `array_out`.
pub fn to_text(a: &ArrayValue, opts: &OutputOptions) -> String {
    let mut out = String::new();
    if !a.elems.is_empty() && a.lower != 1 {
        out.push_str(&format!("[{}:{}]=", a.lower, a.upper()));
    }
    out.push('{');
    for (i, e) in a.elems.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if e.is_null() {
            out.push_str("NULL");
            continue;
        }
        let s = e.to_text(opts);
        if needs_quotes(&s) {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(&s);
        }
    }
    out.push('}');
    out
}

/// `array_in` for an array of `elem_type`.
pub fn from_text(elem_type: u32, s: &str, opts: &OutputOptions) -> PgResult<ArrayValue> {
    let mut rest = s.trim_start();
    let mut lower = 1;
    let mut declared: Option<(i32, i32)> = None;
    if rest.starts_with('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| malformed(s, "Missing \"]\" after array dimensions."))?;
        let dims = &rest[1..end];
        let (l, u) = dims
            .split_once(':')
            .ok_or_else(|| malformed(s, "Missing \":\" in array dimensions."))?;
        let parse = |x: &str| {
            x.trim()
                .parse::<i32>()
                .map_err(|_| malformed(s, "Invalid array dimensions."))
        };
        let (l, u) = (parse(l)?, parse(u)?);
        if u < l {
            return Err(PgError::new(
                SqlState::ArraySubscriptError,
                "upper bound cannot be less than lower bound",
            ));
        }
        lower = l;
        declared = Some((l, u));
        rest = rest[end + 1..].trim_start();
        if rest.starts_with('[') {
            return Err(multidimensional());
        }
        rest = rest
            .strip_prefix('=')
            .ok_or_else(|| malformed(s, "Missing \"=\" after array dimensions."))?
            .trim_start();
    }
    let body = rest.strip_prefix('{').ok_or_else(|| {
        malformed(
            s,
            "Array value must start with \"{\" or dimension information.",
        )
    })?;
    let mut elems = Vec::new();
    let mut chars = body.char_indices().peekable();
    let mut closed = false;
    let mut expect_elem = true;
    while let Some(&(_, c)) = chars.peek() {
        if c.is_ascii_whitespace() {
            chars.next();
            continue;
        }
        if c == '}' {
            chars.next();
            if expect_elem && !elems.is_empty() {
                return Err(malformed(s, "Unexpected \"}\" character."));
            }
            closed = true;
            break;
        }
        if c == '{' {
            return Err(multidimensional());
        }
        if !expect_elem {
            if c == ',' {
                chars.next();
                expect_elem = true;
                continue;
            }
            return Err(malformed(s, &format!("Unexpected \"{c}\" character.")));
        }
        // One element: quoted, or up to the next delimiter.
        let mut text = String::new();
        let quoted = c == '"';
        if quoted {
            chars.next();
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, x)) => text.push(x),
                        None => return Err(malformed(s, "Unexpected end of input.")),
                    },
                    Some((_, '"')) => break,
                    Some((_, x)) => text.push(x),
                    None => return Err(malformed(s, "Unexpected end of input.")),
                }
            }
        } else {
            while let Some(&(_, x)) = chars.peek() {
                if x == ',' || x == '}' {
                    break;
                }
                if x == '{' || x == '"' {
                    return Err(malformed(s, &format!("Unexpected \"{x}\" character.")));
                }
                chars.next();
                if x == '\\' {
                    match chars.next() {
                        Some((_, y)) => text.push(y),
                        None => return Err(malformed(s, "Unexpected end of input.")),
                    }
                } else {
                    text.push(x);
                }
            }
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            if text.is_empty() {
                return Err(malformed(
                    s,
                    &format!(
                        "Unexpected \"{}\" character.",
                        chars.peek().map_or('}', |p| p.1)
                    ),
                ));
            }
        }
        elems.push(if !quoted && text.eq_ignore_ascii_case("null") {
            Datum::Null
        } else {
            Datum::from_text(elem_type, &text, opts)?
        });
        expect_elem = false;
    }
    if !closed {
        return Err(malformed(s, "Unexpected end of input."));
    }
    if chars.any(|(_, c)| !c.is_ascii_whitespace()) {
        return Err(malformed(s, "Junk after closing right brace."));
    }
    if let Some((l, u)) = declared
        && (u - l + 1) as usize != elems.len()
    {
        return Err(malformed(
            s,
            "Specified array dimensions do not match array contents.",
        ));
    }
    Ok(ArrayValue {
        elem_type,
        lower,
        elems,
    })
}

/// `array_send`: dimensions, flags, element type, then each element's
/// length and binary form (-1 for NULL).
pub fn to_binary(a: &ArrayValue) -> Vec<u8> {
    let mut out = Vec::new();
    let ndim: i32 = if a.elems.is_empty() { 0 } else { 1 };
    let has_null = a.elems.iter().any(Datum::is_null);
    out.extend_from_slice(&ndim.to_be_bytes());
    out.extend_from_slice(&i32::from(has_null).to_be_bytes());
    out.extend_from_slice(&a.elem_type.to_be_bytes());
    if ndim == 1 {
        out.extend_from_slice(&(a.elems.len() as i32).to_be_bytes());
        out.extend_from_slice(&a.lower.to_be_bytes());
    }
    for e in &a.elems {
        if e.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let b = e.to_binary();
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(&b);
        }
    }
    out
}

/// `array_recv` of an array whose elements are `elem_type`.
pub fn from_binary(elem_type: u32, b: &[u8]) -> PgResult<ArrayValue> {
    let bad = || {
        PgError::new(
            SqlState::InvalidBinaryRepresentation,
            "insufficient data left in message",
        )
    };
    let mut at = 0usize;
    let word = |at: &mut usize| -> PgResult<i32> {
        let v = b.get(*at..*at + 4).ok_or_else(bad)?;
        *at += 4;
        Ok(i32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    };
    let ndim = word(&mut at)?;
    let _flags = word(&mut at)?;
    let stored_elem = word(&mut at)? as u32;
    if ndim > 1 {
        return Err(multidimensional());
    }
    if ndim < 0 {
        return Err(PgError::new(
            SqlState::InvalidBinaryRepresentation,
            format!("invalid number of dimensions: {ndim}"),
        ));
    }
    // A domain's elements are its base type's values.
    if stored_elem != elem_type
        && crate::typcache::base_type(stored_elem) != crate::typcache::base_type(elem_type)
    {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "binary data has array element type {stored_elem} ({}) instead of expected {elem_type} ({})",
                oid::type_name(stored_elem),
                oid::type_name(elem_type)
            ),
        ));
    }
    let (len, lower) = if ndim == 1 {
        (word(&mut at)?, word(&mut at)?)
    } else {
        (0, 1)
    };
    let mut elems = Vec::with_capacity(len.max(0) as usize);
    for _ in 0..len.max(0) {
        let n = word(&mut at)?;
        if n < 0 {
            elems.push(Datum::Null);
            continue;
        }
        let bytes = b.get(at..at + n as usize).ok_or_else(bad)?;
        at += n as usize;
        elems.push(Datum::from_binary(elem_type, bytes)?);
    }
    if at != b.len() {
        return Err(PgError::new(
            SqlState::InvalidBinaryRepresentation,
            "incorrect binary data format in array",
        ));
    }
    Ok(ArrayValue {
        elem_type,
        lower,
        elems,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts() -> OutputOptions {
        OutputOptions::default()
    }

    /// Expectations from PostgreSQL 15 (`SELECT '<literal>'::text[]` and
    /// `::int[]`).
    #[test]
    fn text_forms_read_and_print_as_postgresql_does() {
        let t = |s: &str| to_text(&from_text(oid::TEXT, s, &opts()).unwrap(), &opts());
        assert_eq!(t("{a,b}"), "{a,b}");
        assert_eq!(
            t("{ a , \"b c\" , NULL, \"NULL\", \"\" }"),
            "{a,\"b c\",NULL,\"NULL\",\"\"}"
        );
        assert_eq!(t("{\"x\\\"y\",z\\,w}"), "{\"x\\\"y\",\"z,w\"}");
        assert_eq!(t("{}"), "{}");
        assert_eq!(t("[0:1]={a,b}"), "[0:1]={a,b}");
        let i = |s: &str| to_text(&from_text(oid::INT4, s, &opts()).unwrap(), &opts());
        assert_eq!(i("{1, 2,3}"), "{1,2,3}");
        for bad in ["1,2", "{1,2", "{1,,2}", "{1,2}x", "[1:3]={1,2}"] {
            let e = from_text(oid::INT4, bad, &opts()).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation, "{bad}");
        }
        assert_eq!(
            from_text(oid::INT4, "{{1},{2}}", &opts()).unwrap_err().code,
            SqlState::FeatureNotSupported
        );
    }

    #[test]
    fn binary_form_round_trips() {
        let a = ArrayValue {
            elem_type: oid::INT4,
            lower: 1,
            elems: vec![Datum::Int4(7), Datum::Null, Datum::Int4(-1)],
        };
        let b = to_binary(&a);
        assert_eq!(&b[..12], &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23]);
        assert_eq!(from_binary(oid::INT4, &b).unwrap(), a);
        let empty = ArrayValue::new(oid::TEXT, vec![]);
        assert_eq!(from_binary(oid::TEXT, &to_binary(&empty)).unwrap(), empty);
        assert!(from_binary(oid::TEXT, &to_binary(&a)).is_err());
    }
}
