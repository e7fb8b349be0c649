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
        // By the labels' sort order; OIDs of labels the cache does not
        // know (none should exist) order among themselves.
        (Enum(x), Enum(y)) => match (
            crate::typcache::enum_label(*x),
            crate::typcache::enum_label(*y),
        ) {
            (Some((_, a, _)), Some((_, b, _))) => a.total_cmp(&b),
            _ => x.cmp(y),
        },
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
        (TimeTz(x), TimeTz(y)) => x.compare(y),
        (Uuid(x), Uuid(y)) => x.cmp(y),
        (PgLsn(x), PgLsn(y)) => x.cmp(y),
        (Tid(xb, xo), Tid(yb, yo)) => (xb, xo).cmp(&(yb, yo)),
        (Xid(x), Xid(y)) | (Cid(x), Cid(y)) => x.cmp(y),
        (Xid8(x), Xid8(y)) => x.cmp(y),
        // `xid = int4` (xideqint4): the integer taken as a transaction id.
        (Xid(x), Int4(y)) => x.cmp(&(*y as u32)),
        (Inet(x), Inet(y)) => x.compare(y),
        (TsVector(x), TsVector(y)) => x.compare(y),
        (TsQuery(x), TsQuery(y)) => x.compare(y),
        (Bit(x), Bit(y)) => x.compare(y),
        (Money(x), Money(y)) => x.cmp(y),
        (MacAddr(x), MacAddr(y)) => x.cmp(y),
        (MacAddr8(x), MacAddr8(y)) => x.cmp(y),
        (Jsonb(x), Jsonb(y)) => x.compare(y),
        (Range(x), Range(y)) => x.compare(y)?,
        (Multirange(x), Multirange(y)) => x.compare(y)?,
        (Record(x), Record(y)) => crate::datum::record::compare(x, y)?,
        // Element by element (NULL above any value), then the shorter first.
        (Array(x), Array(y)) => {
            for (e, f) in x.elems.iter().zip(&y.elems) {
                let o = match (e.is_null(), f.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => compare(e, f)?,
                };
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            // Then as PostgreSQL's `array_cmp`: the number of elements,
            // of dimensions, the dimensions' lengths, their lower bounds.
            let (dx, dy) = (x.dims(), y.dims());
            x.elems
                .len()
                .cmp(&y.elems.len())
                .then(dx.len().cmp(&dy.len()))
                .then_with(|| dx.iter().map(|d| d.len).cmp(dy.iter().map(|d| d.len)))
                .then_with(|| dx.iter().map(|d| d.lower).cmp(dy.iter().map(|d| d.lower)))
        }
        _ => {
            return Err(PgError::internal(format!(
                "cannot compare {a:?} with {b:?}"
            )));
        }
    })
}

/// Feeds a non-null value to `h` so that values [`compare`] finds equal
/// hash alike: numeric without trailing fraction zeros (`1.0`, `1.00`),
/// float zero without its sign, every NaN as one, an interval by its
/// comparison key. Values of different types may hash alike (the keys
/// of one column share a type).
pub fn hash_value(d: &Datum, h: &mut impl std::hash::Hasher) {
    use Datum::*;
    use std::hash::Hash;
    match d {
        Null | Void => {}
        Array(a) => {
            a.elems.len().hash(h);
            for e in &a.elems {
                e.is_null().hash(h);
                hash_value(e, h);
            }
        }
        Bool(x) => x.hash(h),
        Int2(x) => x.hash(h),
        Int4(x) => x.hash(h),
        Int8(x) => x.hash(h),
        Oid(x) | Enum(x) => x.hash(h),
        Float4(x) => float_bits(f64::from(*x)).hash(h),
        Float8(x) => float_bits(*x).hash(h),
        Numeric(n) => n.hash_value(h),
        Text(x) => h.write(x.as_bytes()),
        Bytea(x) => h.write(x),
        Date(x) => x.hash(h),
        Time(x) | Timestamp(x) | Timestamptz(x) => x.hash(h),
        Interval(x) => x.cmp_key().hash(h),
        TimeTz(x) => (x.micros, x.zone).hash(h),
        Uuid(x) => x.hash(h),
        PgLsn(x) => x.hash(h),
        Tid(b, o) => (b, o).hash(h),
        Xid(x) | Cid(x) => x.hash(h),
        Xid8(x) => x.hash(h),
        Snapshot(s) => s.hash(h),
        Inet(x) => (x.v6, x.bits, x.addr).hash(h),
        TsVector(x) => x.to_binary().hash(h),
        TsQuery(x) => x.to_binary().hash(h),
        Bit(x) => x.hash(h),
        Money(x) => x.hash(h),
        MacAddr(x) => x.hash(h),
        MacAddr8(x) => x.hash(h),
        // Geometric values have no hash opclass; by their bytes.
        Geo(g) => g.to_binary().hash(h),
        Jsonb(x) => hash_jsonb(x, h),
        Range(r) => hash_range(r, h),
        Multirange(m) => {
            m.ranges.len().hash(h);
            m.ranges.iter().for_each(|r| hash_range(r, h));
        }
        Record(r) => {
            r.values.len().hash(h);
            for v in &r.values {
                v.is_null().hash(h);
                hash_value(v, h);
            }
        }
    }
}

/// Ranges that compare equal hash alike (their bound values do).
fn hash_range(r: &crate::datum::RangeValue, h: &mut impl std::hash::Hasher) {
    use std::hash::Hash;
    r.empty.hash(h);
    for b in [&r.lower, &r.upper] {
        b.inclusive.hash(h);
        b.value.is_none().hash(h);
        if let Some(v) = &b.value {
            hash_value(v, h);
        }
    }
}

/// jsonb values that compare equal hash alike: numbers by value (`1.0` is
/// `1`), the rest by structure.
fn hash_jsonb(j: &crate::datum::json::Jsonb, h: &mut impl std::hash::Hasher) {
    use crate::datum::json::Jsonb;
    use std::hash::Hash;
    match j {
        Jsonb::Null => 0u8.hash(h),
        Jsonb::Bool(b) => (1u8, b).hash(h),
        Jsonb::Number(n) => {
            2u8.hash(h);
            n.hash_value(h);
        }
        Jsonb::String(s) => (3u8, s).hash(h),
        Jsonb::Array(v) => {
            (4u8, v.len()).hash(h);
            v.iter().for_each(|e| hash_jsonb(e, h));
        }
        Jsonb::Object(pairs) => {
            (5u8, pairs.len()).hash(h);
            for (k, v) in pairs {
                k.hash(h);
                hash_jsonb(v, h);
            }
        }
    }
}

/// The bits of a float with all zeros and all NaNs made one.
fn float_bits(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

#[cfg(test)]
mod hash_tests {
    use super::*;
    use std::hash::Hasher;

    fn h(d: &Datum) -> u64 {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        hash_value(d, &mut s);
        s.finish()
    }

    #[test]
    fn values_that_compare_equal_hash_alike() {
        use crate::datum::Numeric;
        let num = |m: i128, s: u32| {
            Datum::Numeric(Numeric::Finite {
                mantissa: m,
                scale: s,
            })
        };
        let pairs = [
            (num(10, 1), num(100, 2)),
            (num(0, 3), num(0, 0)),
            (Datum::Float8(0.0), Datum::Float8(-0.0)),
            (Datum::Float8(f64::NAN), Datum::Float8(-f64::NAN)),
            (Datum::Text("ab".into()), Datum::Text("ab".into())),
        ];
        for (a, b) in pairs {
            assert!(
                matches!(compare(&a, &b), Ok(Ordering::Equal)),
                "{a:?} {b:?}"
            );
            assert_eq!(h(&a), h(&b), "{a:?} {b:?}");
        }
        assert_ne!(h(&num(1, 0)), h(&num(2, 0)));
    }
}
