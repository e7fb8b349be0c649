//! Composite values (PostgreSQL's `utils/adt/rowtypes.c`): a row of
//! fields, either of a named composite type (`CREATE TYPE t AS (...)`,
//! whose fields [`crate::typcache`] knows) or of the anonymous type
//! `record` (`ROW(1, 'a')`, a whole-row reference).
//!
//! A [`RecordValue`] carries its field descriptions (names, types) with its
//! values, shared through an `Arc`: an anonymous record has no catalog
//! entry to look them up in, yet `row_to_json` needs the names and the
//! binary form needs the types. The descriptions of a named type are the
//! cache's, so two values of one type share them.
//!
//! Text form (`record_out`): `(f1,f2,...)`, a NULL field as nothing, a
//! field quoted in `"` when it is empty or holds a space, a comma, a
//! parenthesis, a quote or a backslash, with `"` and `\` doubled inside
//! the quotes. Binary form (`record_send`): the number of fields, then per
//! field its type OID and its length-prefixed binary value (-1: NULL). The
//! heap stores a composite column in the binary form.
//!
//! Order (`record_cmp`): field by field, two NULLs equal and a NULL above
//! any value.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{Datum, OutputOptions};
use crate::{PgError, PgResult, SqlState, oid};

/// One field of a composite type (a `pg_attribute` row of its relation).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordField {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
}

/// A composite value: its type (a named composite type's OID, or
/// [`oid::RECORD`]), its fields' descriptions and their values.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordValue {
    pub type_oid: u32,
    pub fields: Arc<[RecordField]>,
    pub values: Vec<Datum>,
}

impl RecordValue {
    /// An anonymous record (`ROW(...)`) of the values and their types,
    /// its fields named `f1`, `f2`, ... as PostgreSQL names them.
    pub fn anonymous(values: Vec<Datum>, types: &[u32]) -> RecordValue {
        let fields: Vec<RecordField> = types
            .iter()
            .enumerate()
            .map(|(i, &t)| RecordField {
                name: format!("f{}", i + 1),
                type_oid: t,
                typmod: -1,
            })
            .collect();
        RecordValue {
            type_oid: oid::RECORD,
            fields: fields.into(),
            values,
        }
    }

    /// `IS NULL` of a row: every field is NULL.
    /// (A field that is itself a row counts as a value, whatever its
    /// fields, as in PostgreSQL.)
    pub fn all_null(&self) -> bool {
        self.values.iter().all(Datum::is_null)
    }

    /// `IS NOT NULL` of a row: no field is NULL.
    pub fn none_null(&self) -> bool {
        !self.values.iter().any(Datum::is_null)
    }
}

/// The fields of composite type `type_oid` (None: not a named composite).
pub fn fields_of(type_oid: u32) -> Option<Arc<[RecordField]>> {
    crate::typcache::composite_fields(type_oid)
}

/// True for `record` and the named composite types.
pub fn is_composite(type_oid: u32) -> bool {
    type_oid == oid::RECORD || fields_of(type_oid).is_some()
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_ascii_whitespace())
}

/// `record_out`.
pub fn to_text(r: &RecordValue, opts: &OutputOptions) -> String {
    let mut out = String::from("(");
    for (i, v) in r.values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if v.is_null() {
            continue;
        }
        let s = v.to_text(opts);
        if needs_quotes(&s) {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push(c);
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(&s);
        }
    }
    out.push(')');
    out
}

fn malformed(s: &str, detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("malformed record literal: \"{s}\""),
    )
    .with_detail(detail.to_owned())
}

/// `record_in` for composite type `type_oid`.
pub fn from_text(type_oid: u32, s: &str, opts: &OutputOptions) -> PgResult<RecordValue> {
    let Some(fields) = fields_of(type_oid) else {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "input of anonymous composite types is not implemented",
        ));
    };
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() && chars[i].is_ascii_whitespace() {
        i += 1;
    }
    if chars.get(i) != Some(&'(') {
        return Err(malformed(s, "Missing left parenthesis."));
    }
    i += 1;
    let mut values = Vec::with_capacity(fields.len());
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            // the previous field ended at a comma
            if chars.get(i) != Some(&',') {
                return Err(malformed(s, "Too few columns."));
            }
            i += 1;
        }
        if matches!(chars.get(i), Some(',') | Some(')')) {
            values.push(Datum::Null);
            continue;
        }
        let mut text = String::new();
        let mut in_quote = false;
        loop {
            let Some(&c) = chars.get(i) else {
                return Err(malformed(s, "Unexpected end of input."));
            };
            if !in_quote && (c == ',' || c == ')') {
                break;
            }
            i += 1;
            if c == '\\' {
                let Some(&n) = chars.get(i) else {
                    return Err(malformed(s, "Unexpected end of input."));
                };
                text.push(n);
                i += 1;
            } else if c == '"' {
                if !in_quote {
                    in_quote = true;
                } else if chars.get(i) == Some(&'"') {
                    text.push('"');
                    i += 1;
                } else {
                    in_quote = false;
                }
            } else {
                text.push(c);
            }
        }
        values.push(Datum::from_text(f.type_oid, &text, opts)?);
    }
    match chars.get(i) {
        Some(')') => {}
        Some(',') => return Err(malformed(s, "Too many columns.")),
        _ => return Err(malformed(s, "Too few columns.")),
    }
    i += 1;
    if chars[i..].iter().any(|c| !c.is_ascii_whitespace()) {
        return Err(malformed(s, "Junk after right parenthesis."));
    }
    Ok(RecordValue {
        type_oid,
        fields,
        values,
    })
}

/// `record_send`.
pub fn to_binary(r: &RecordValue) -> Vec<u8> {
    let mut out = (r.values.len() as i32).to_be_bytes().to_vec();
    for (i, v) in r.values.iter().enumerate() {
        let t = r.fields.get(i).map_or(oid::TEXT, |f| f.type_oid);
        out.extend_from_slice(&t.to_be_bytes());
        if v.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            let b = v.to_binary();
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(&b);
        }
    }
    out
}

fn short() -> PgError {
    PgError::new(
        SqlState::InvalidBinaryRepresentation,
        "insufficient data left in message",
    )
}

/// `record_recv` for composite type `type_oid` (`record`: the fields take
/// the types the data names).
pub fn from_binary(type_oid: u32, b: &[u8]) -> PgResult<RecordValue> {
    let int = |at: usize| -> PgResult<i32> {
        let s = b.get(at..at + 4).ok_or_else(short)?;
        Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let n = int(0)?;
    let named = fields_of(type_oid);
    // Fewer fields than the type has: a value stored before fields were
    // added, which reads the new ones as NULL.
    if let Some(f) = &named
        && f.len() < n as usize
    {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!("wrong number of columns: {n}, expected {}", f.len()),
        ));
    }
    let mut at = 4;
    let mut values = Vec::new();
    let mut types = Vec::new();
    for _ in 0..n.max(0) {
        let t = int(at)? as u32;
        let len = int(at + 4)?;
        at += 8;
        if len < 0 {
            values.push(Datum::Null);
        } else {
            let end = at + len as usize;
            let data = b.get(at..end).ok_or_else(short)?;
            values.push(Datum::from_binary(t, data)?);
            at = end;
        }
        types.push(t);
    }
    if let Some(f) = &named {
        values.resize(f.len(), Datum::Null);
    }
    Ok(match named {
        Some(fields) => RecordValue {
            type_oid,
            fields,
            values,
        },
        None => RecordValue::anonymous(values, &types),
    })
}

/// `record_cmp`: field by field, NULLs equal to each other and above any
/// value; 42804 for rows of different widths (as PostgreSQL reports a
/// mismatch it finds only when the shorter row runs out).
pub fn compare(a: &RecordValue, b: &RecordValue) -> PgResult<Ordering> {
    for (i, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
        if let (Some(f), Some(g)) = (a.fields.get(i), b.fields.get(i))
            && f.type_oid != g.type_oid
        {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "cannot compare dissimilar column types {} and {} at record column {}",
                    oid::type_name(f.type_oid),
                    oid::type_name(g.type_oid),
                    i + 1
                ),
            ));
        }
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => crate::compare::compare(x, y)?,
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    if a.values.len() != b.values.len() {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            "cannot compare record types with different numbers of columns",
        ));
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn output_quotes_as_postgres() {
        let r = RecordValue::anonymous(
            vec![
                Datum::Int4(1),
                Datum::Text("a b".into()),
                Datum::Null,
                Datum::Text(String::new()),
                Datum::Text("x\"y\\z".into()),
            ],
            &[oid::INT4, oid::TEXT, oid::TEXT, oid::TEXT, oid::TEXT],
        );
        assert_eq!(
            to_text(&r, &OutputOptions::default()),
            r#"(1,"a b",,"","x""y\\z")"#
        );
        let back = from_binary(oid::RECORD, &to_binary(&r)).unwrap();
        assert_eq!(back.values, r.values);
    }
}
