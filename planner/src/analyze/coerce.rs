//! Type categories, implicit and explicit casts, and the common type of a set of
//! expressions (PostgreSQL's `parse_coerce.c` rules, for the built-in types).

use types::oid::{self, *};
use types::{PgError, PgResult, SqlState};

/// `pg_type.typcategory`.
pub fn category(t: u32) -> char {
    match t {
        BOOL => 'B',
        INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC | OID | REGCLASS | MONEY => 'N',
        TEXT | VARCHAR | BPCHAR | NAME | CHAR => 'S',
        DATE | TIME | TIMETZ | TIMESTAMP | TIMESTAMPTZ => 'D',
        INTERVAL => 'T',
        INET | CIDR => 'I',
        BIT | VARBIT => 'V',
        POINT | LSEG | PATH | BOX | POLYGON | LINE | CIRCLE => 'G',
        UNKNOWN => 'X',
        VOID | RECORD => 'P',
        t if oid::element_of(t).is_some() => 'A',
        t if oid::range_subtype(t).is_some() || oid::multirange_range(t).is_some() => 'R',
        t if types::typcache::is_enum(t) => 'E',
        t if types::typcache::is_domain(t) => category(types::typcache::base_type(t)),
        t if types::datum::record::fields_of(t).is_some() => 'C',
        _ => 'U',
    }
}

/// `pg_type.typispreferred`.
pub fn is_preferred(t: u32) -> bool {
    matches!(
        t,
        BOOL | FLOAT8 | TEXT | TIMESTAMPTZ | INTERVAL | OID | INET | VARBIT
    )
}

/// Is there an implicit cast (or binary coercion) from `from` to `to`?
pub fn can_coerce_implicit(from: u32, to: u32) -> bool {
    if from == to || from == UNKNOWN {
        return true;
    }
    if types::typcache::is_domain(from) || types::typcache::is_domain(to) {
        return can_coerce_implicit(
            types::typcache::base_type(from),
            types::typcache::base_type(to),
        );
    }
    // Every composite type is a `record`.
    if to == RECORD && types::datum::record::is_composite(from) {
        return true;
    }
    // A row (constructor) takes a composite type field by field.
    if from == RECORD && types::datum::record::fields_of(to).is_some() {
        return true;
    }
    if let (Some(f), Some(t)) = (oid::element_of(from), oid::element_of(to)) {
        return can_coerce_implicit(f, t);
    }
    matches!(
        (from, to),
        (INT2, INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC | OID)
            | (INT4, INT8 | FLOAT4 | FLOAT8 | NUMERIC | OID)
            | (INT8, FLOAT4 | FLOAT8 | NUMERIC | OID)
            | (NUMERIC, FLOAT4 | FLOAT8)
            | (FLOAT4, FLOAT8)
            | (VARCHAR | BPCHAR | NAME | CHAR, TEXT)
            | (TEXT | BPCHAR | NAME, VARCHAR)
            | (TEXT | VARCHAR | NAME, BPCHAR)
            | (TEXT | VARCHAR | BPCHAR, NAME)
            | (DATE, TIMESTAMP | TIMESTAMPTZ)
            | (TIMESTAMP, TIMESTAMPTZ)
            | (TIME, INTERVAL | TIMETZ)
            | (OID | INT2 | INT4 | INT8 | TEXT | VARCHAR, REGCLASS)
            | (REGCLASS, OID)
            | (OID | INT4, REGTYPE | REGNAMESPACE | REGPROC)
            | (CIDR, INET)
            | (MACADDR, MACADDR8)
            | (MACADDR8, MACADDR)
            | (BIT, VARBIT)
            | (VARBIT, BIT)
            | (INT2VECTOR, INT2_ARRAY)
            | (OIDVECTOR, OID_ARRAY)
    )
}

/// Is there an assignment cast from `from` to `to` (INSERT and UPDATE values)?
/// Implicit casts, the narrowing numeric casts, and the output of any type into
/// a string type.
pub fn can_coerce_assignment(from: u32, to: u32) -> bool {
    if can_coerce_implicit(from, to) {
        return true;
    }
    if types::typcache::is_domain(from) || types::typcache::is_domain(to) {
        return can_coerce_assignment(
            types::typcache::base_type(from),
            types::typcache::base_type(to),
        );
    }
    if let (Some(f), Some(t)) = (oid::element_of(from), oid::element_of(to)) {
        return can_coerce_assignment(f, t);
    }
    if category(to) == 'S' && (category(from) != 'P' || from == RECORD) {
        return true;
    }
    matches!(
        (from, to),
        (
            INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC,
            INT2 | INT4 | INT8 | NUMERIC
        ) | (FLOAT8, FLOAT4)
            | (OID | REGCLASS, INT4 | INT8)
            | (TIMESTAMP | TIMESTAMPTZ, DATE | TIME | TIMESTAMP)
            | (TIMESTAMPTZ, TIMESTAMPTZ | TIMETZ)
            | (TIMETZ, TIME)
            | (INTERVAL, TIME)
            | (JSON, JSONB)
            | (JSONB, JSON)
            | (INET, CIDR)
            | (MONEY, NUMERIC)
            | (INT4 | INT8 | NUMERIC, MONEY)
            | (POINT, BOX)
            | (PATH | BOX, POLYGON)
            | (POLYGON, PATH)
    )
}

/// Is there any cast (explicit included) from `from` to `to`?
pub fn can_coerce_explicit(from: u32, to: u32) -> bool {
    if can_coerce_implicit(from, to) {
        return true;
    }
    if types::typcache::is_domain(from) || types::typcache::is_domain(to) {
        return can_coerce_explicit(
            types::typcache::base_type(from),
            types::typcache::base_type(to),
        );
    }
    if let (Some(f), Some(t)) = (oid::element_of(from), oid::element_of(to)) {
        return can_coerce_explicit(f, t);
    }
    let (cf, ct) = (category(from), category(to));
    // every type converts to and from the string types through its I/O functions
    if (cf == 'S' && ct != 'P') || (ct == 'S' && (cf != 'P' || from == RECORD)) {
        return true;
    }
    matches!(
        (from, to),
        (
            INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC,
            INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC
        ) | (INT4, BOOL)
            | (BOOL, INT4)
            | (OID | REGCLASS, INT4 | INT8)
            | (
                TIMESTAMP | TIMESTAMPTZ,
                DATE | TIME | TIMESTAMP | TIMESTAMPTZ
            )
            | (TIMESTAMPTZ, TIMETZ)
            | (TIMETZ, TIME)
            | (INTERVAL, TIME)
            | (JSON, JSONB)
            | (JSONB, JSON)
            | (JSONB, BOOL | INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC)
            | (INET, CIDR)
            | (MONEY, NUMERIC)
            | (INT4 | INT8 | NUMERIC, MONEY)
            | (INT4 | INT8, BIT)
            | (BIT, INT4 | INT8)
            | (XID8, XID)
            | (POINT, BOX)
            | (PATH | BOX, POLYGON)
            | (POLYGON, PATH)
            | (LSEG | BOX | POLYGON | CIRCLE, POINT)
            | (BOX, LSEG | CIRCLE)
            | (POLYGON, BOX | CIRCLE)
            | (CIRCLE, BOX | POLYGON)
    ) || oid::multirange_of(from).is_some_and(|m| m == to)
}

/// `select_common_type`: the type CASE, COALESCE, GREATEST, IN and VALUES resolve
/// their inputs to. `types` holds (type, 1-based position) pairs.
pub fn select_common_type(types: &[(u32, Option<usize>)], context: &str) -> PgResult<u32> {
    // Only inputs all of one domain resolve to it; otherwise domains are
    // their base types here.
    if let Some(&(first, _)) = types.first()
        && types.iter().any(|(t, _)| types::typcache::is_domain(*t))
    {
        if types.iter().all(|(t, _)| *t == first) {
            return Ok(first);
        }
        let base: Vec<(u32, Option<usize>)> = types
            .iter()
            .map(|&(t, p)| (types::typcache::base_type(t), p))
            .collect();
        return select_common_type(&base, context);
    }
    let mut known = types.iter().filter(|(t, _)| *t != UNKNOWN);
    let Some(&(mut ptype, _)) = known.next() else {
        return Ok(TEXT);
    };
    // all identical: done
    if types.iter().all(|(t, _)| *t == ptype) {
        return Ok(ptype);
    }
    let mut pcat = category(ptype);
    let mut ppref = is_preferred(ptype);
    for &(ntype, pos) in known {
        if ntype == ptype {
            continue;
        }
        let ncat = category(ntype);
        if ncat != pcat {
            let mut e = PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "{context} types {} and {} cannot be matched",
                    oid::type_name(ptype),
                    oid::type_name(ntype)
                ),
            );
            e.position = pos;
            return Err(e);
        }
        if !ppref && can_coerce_implicit(ptype, ntype) && !can_coerce_implicit(ntype, ptype) {
            ptype = ntype;
            pcat = ncat;
            ppref = is_preferred(ntype);
        }
    }
    Ok(ptype)
}

/// Resolves a function's polymorphic argument and result types from the
/// actual argument types (PostgreSQL's `enforce_generic_type_consistency`):
/// `anyelement`, `anyarray`, `anynonarray`, `anyenum`, `anyrange`,
/// `anymultirange` share one element type; the `anycompatible` family
/// takes the common type of its arguments. `actual` may be shorter than
/// `declared` (defaults are not polymorphic). None when the arguments do
/// not fit or the result cannot be determined.
/// The element type of `int2vector` and `oidvector`, which PostgreSQL lets
/// stand for `anyarray` (they coerce to `int2[]` and `oid[]`).
fn vector_element(t: u32) -> Option<u32> {
    match t {
        types::oid::INT2VECTOR => Some(types::oid::INT2),
        types::oid::OIDVECTOR => Some(types::oid::OID),
        _ => None,
    }
}

pub fn resolve_polymorphic(declared: &[u32], actual: &[u32], ret: u32) -> Option<(Vec<u32>, u32)> {
    use types::oid::*;
    let mut elem: Option<u32> = None;
    let mut range: Option<u32> = None;
    let bind = |slot: &mut Option<u32>, t: u32| match slot {
        Some(x) => *x == t,
        None => {
            *slot = Some(t);
            true
        }
    };
    let mut compatible: Vec<(u32, Option<usize>)> = Vec::new();
    let mut compatible_range: Option<u32> = None;
    for (&d, &a) in declared.iter().zip(actual) {
        if a == UNKNOWN && is_polymorphic(d) {
            if matches!(d, ANYCOMPATIBLE | ANYCOMPATIBLENONARRAY) {
                compatible.push((a, None));
            }
            continue;
        }
        let ok = match d {
            ANYELEMENT | ANYENUM => bind(&mut elem, a),
            ANYNONARRAY => element_of(a).is_none() && bind(&mut elem, a),
            ANYARRAY => vector_element(a)
                .or_else(|| element_of(a))
                .is_some_and(|e| bind(&mut elem, e)),
            ANYRANGE => range_subtype(a).is_some_and(|e| bind(&mut elem, e) && bind(&mut range, a)),
            ANYMULTIRANGE => multirange_range(a)
                .and_then(|r| range_subtype(r).map(|e| (r, e)))
                .is_some_and(|(r, e)| bind(&mut elem, e) && bind(&mut range, r)),
            ANYCOMPATIBLE => {
                compatible.push((a, None));
                true
            }
            ANYCOMPATIBLENONARRAY => {
                compatible.push((a, None));
                element_of(a).is_none()
            }
            ANYCOMPATIBLEARRAY => match element_of(a) {
                Some(e) => {
                    compatible.push((e, None));
                    true
                }
                None => false,
            },
            ANYCOMPATIBLERANGE => match range_subtype(a) {
                Some(e) => {
                    compatible.push((e, None));
                    bind(&mut compatible_range, a)
                }
                None => false,
            },
            _ => true,
        };
        if !ok {
            return None;
        }
    }
    let common = match compatible.is_empty() {
        true => None,
        false => Some(match compatible.iter().all(|(t, _)| *t == UNKNOWN) {
            true => TEXT,
            false => select_common_type(&compatible, "anycompatible").ok()?,
        }),
    };
    let map = |t: u32| -> Option<u32> {
        Some(match t {
            ANYELEMENT | ANYNONARRAY | ANYENUM => elem.or_else(|| range.and_then(range_subtype))?,
            ANYARRAY => array_of(elem?)?,
            ANYRANGE => range?,
            ANYMULTIRANGE => types::oid::multirange_of(range?)?,
            ANYCOMPATIBLE | ANYCOMPATIBLENONARRAY => common?,
            ANYCOMPATIBLEARRAY => array_of(common?)?,
            ANYCOMPATIBLERANGE => compatible_range?,
            ANYCOMPATIBLEMULTIRANGE => types::oid::multirange_of(compatible_range?)?,
            other => other,
        })
    };
    let args: Option<Vec<u32>> = declared
        .iter()
        .zip(actual.iter().chain(std::iter::repeat(&UNKNOWN)))
        .map(|(&d, &a)| match is_polymorphic(d) {
            // An unknown literal for anyelement: text, when nothing else binds it.
            true => map(d).or((a == UNKNOWN).then_some(TEXT)),
            false => Some(d),
        })
        .collect();
    Some((args?, map(ret)?))
}
