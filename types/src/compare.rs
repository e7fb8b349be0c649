//! Comparison of two non-null values of the same type (btree order).
//!
//! Text compares by bytes (the C and C.UTF-8 collations); floats put NaN above
//! every other value and equal to itself, as PostgreSQL does; `bpchar` ignores
//! trailing spaces only through its cast to text (the planner inserts it).

use std::cmp::Ordering;

use crate::{Datum, PgError, PgResult};

fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Orders two values of one type; an error if they are of different kinds.
pub fn compare(a: &Datum, b: &Datum) -> PgResult<Ordering> {
    use Datum::*;
    Ok(match (a, b) {
        (Bool(x), Bool(y)) => x.cmp(y),
        (Int2(x), Int2(y)) => x.cmp(y),
        (Int4(x), Int4(y)) => x.cmp(y),
        (Int8(x), Int8(y)) => x.cmp(y),
        (Oid(x), Oid(y)) => x.cmp(y),
        (Float4(x), Float4(y)) => float_cmp(*x as f64, *y as f64),
        (Float8(x), Float8(y)) => float_cmp(*x, *y),
        (Numeric(x), Numeric(y)) => x.total_cmp(y),
        (Text(x), Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Bytea(x), Bytea(y)) => x.cmp(y),
        (Date(x), Date(y)) => x.cmp(y),
        (Time(x), Time(y)) | (Timestamp(x), Timestamp(y)) | (Timestamptz(x), Timestamptz(y)) => {
            x.cmp(y)
        }
        (Interval(x), Interval(y)) => x.cmp_key().cmp(&y.cmp_key()),
        (Uuid(x), Uuid(y)) => x.cmp(y),
        (PgLsn(x), PgLsn(y)) => x.cmp(y),
        _ => {
            return Err(PgError::internal(format!(
                "cannot compare {a:?} with {b:?}"
            )));
        }
    })
}
