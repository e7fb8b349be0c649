//! SQL type names (`sqlparser::ast::DataType`) to type OID and type modifier.

use sqlparser::ast::{CharacterLength, DataType, ExactNumberInfo, ObjectNamePart, TimezoneInfo};
use types::oid::*;
use types::{PgError, PgResult, SqlState};

fn len_mod(l: &Option<CharacterLength>, default: Option<i32>) -> i32 {
    match l {
        Some(CharacterLength::IntegerLength { length, .. }) => (*length as i32).saturating_add(4),
        _ => default.map_or(-1, |d| d + 4),
    }
}

/// The type modifier of `bit(n)` / `bit varying(n)`: the length, which
/// must be at least 1 (`bittypmodin`).
fn bit_len_mod(t: u32, n: Option<i64>) -> PgResult<i32> {
    let name = if t == BIT { "bit" } else { "varbit" };
    match n {
        None => Ok(-1),
        Some(n) if n < 1 => Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("length for type {name} must be at least 1"),
        )),
        Some(n) if n > types::datum::bits::MAX_TYPMOD => Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!(
                "length for type {name} cannot exceed {}",
                types::datum::bits::MAX_TYPMOD
            ),
        )),
        Some(n) => Ok(n as i32),
    }
}

fn numeric_mod(info: &ExactNumberInfo) -> PgResult<i32> {
    Ok(match info {
        ExactNumberInfo::None => -1,
        ExactNumberInfo::Precision(p) => numeric_typmod(*p as i64, 0)?,
        ExactNumberInfo::PrecisionAndScale(p, s) => numeric_typmod(*p as i64, *s)?,
    })
}

fn numeric_typmod(p: i64, s: i64) -> PgResult<i32> {
    if !(1..=1000).contains(&p) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("NUMERIC precision {p} must be between 1 and 1000"),
        ));
    }
    if !(-1000..=1000).contains(&s) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("NUMERIC scale {s} must be between -1000 and 1000"),
        ));
    }
    Ok((((p as i32) << 16) | ((s as i32) & 0x7ff)) + 4)
}

/// The type modifier of `time(p)` and `timestamp(p)`: the precision, at most 6.
fn time_precision(p: Option<u64>) -> i32 {
    p.map_or(-1, |p| p.min(6) as i32)
}

/// The type modifier of an interval literal's qualifier (`INTERVAL '1' DAY TO
/// SECOND(3)`): the fields PostgreSQL's grammar allows, else a syntax error.
pub fn interval_literal_typmod(iv: &sqlparser::ast::Interval) -> PgResult<i32> {
    use sqlparser::ast::DateTimeField as D;
    use types::datum::interval::{DAY, HOUR, MINUTE, MONTH, SECOND, YEAR, make_typmod};
    let bit = |f: &D| match f {
        D::Year => Some(YEAR),
        D::Month => Some(MONTH),
        D::Day => Some(DAY),
        D::Hour => Some(HOUR),
        D::Minute => Some(MINUTE),
        D::Second => Some(SECOND),
        _ => None,
    };
    let bad = |what: &dyn std::fmt::Display| {
        PgError::syntax(format!("syntax error at or near \"{what}\""), None)
    };
    let Some(lead) = &iv.leading_field else {
        return Ok(-1);
    };
    let first = bit(lead).ok_or_else(|| bad(lead))?;
    let (range, precision) = match &iv.last_field {
        None if first == SECOND => {
            if iv.fractional_seconds_precision.is_some() {
                return Err(bad(&","));
            }
            (SECOND, iv.leading_precision)
        }
        None => {
            if iv.leading_precision.is_some() {
                return Err(bad(&"("));
            }
            (first, None)
        }
        Some(last) => {
            let last_bit = bit(last).ok_or_else(|| bad(last))?;
            if iv.leading_precision.is_some() {
                return Err(bad(&"("));
            }
            // every field from the first down to the last
            let range = match (first, last_bit) {
                (YEAR, MONTH) => YEAR | MONTH,
                (DAY, HOUR) => DAY | HOUR,
                (DAY, MINUTE) => DAY | HOUR | MINUTE,
                (DAY, SECOND) => DAY | HOUR | MINUTE | SECOND,
                (HOUR, MINUTE) => HOUR | MINUTE,
                (HOUR, SECOND) => HOUR | MINUTE | SECOND,
                (MINUTE, SECOND) => MINUTE | SECOND,
                _ => return Err(bad(last)),
            };
            (range, iv.fractional_seconds_precision)
        }
    };
    make_typmod(Some(range), precision.map(|p| p as i64))
}

/// The OID and typmod a type name denotes.
/// The array type whose internal name (`_int4`) is `name`.
fn internal_type(name: &str) -> Option<u32> {
    [
        BOOL,
        BYTEA,
        CHAR,
        NAME,
        INT2,
        INT4,
        TEXT,
        BPCHAR,
        VARCHAR,
        INT8,
        FLOAT4,
        FLOAT8,
        OID,
        TIMESTAMP,
        DATE,
        TIME,
        TIMESTAMPTZ,
        INTERVAL,
        NUMERIC,
        UUID,
        PG_LSN,
        TID,
        XID,
        CID,
        XID8,
        PG_SNAPSHOT,
        TXID_SNAPSHOT,
        INET,
        CIDR,
        MONEY,
        MACADDR,
        MACADDR8,
        POINT,
        LSEG,
        PATH,
        BOX,
        POLYGON,
        LINE,
        CIRCLE,
        TSVECTOR,
        TSQUERY,
        BIT,
        VARBIT,
        REGCONFIG,
        JSON,
        JSONB,
        JSONPATH,
        INT4RANGE,
        NUMRANGE,
        TSRANGE,
        TSTZRANGE,
        DATERANGE,
        INT8RANGE,
        INT4MULTIRANGE,
        NUMMULTIRANGE,
        TSMULTIRANGE,
        TSTZMULTIRANGE,
        DATEMULTIRANGE,
        INT8MULTIRANGE,
    ]
    .into_iter()
    .filter_map(array_of)
    .find(|&a| internal_name(a) == name)
}

pub fn resolve_type(dt: &DataType) -> PgResult<(u32, i32)> {
    resolve_type_in(dt, &crate::catalog::EmptyCatalog)
}

/// The OID and typmod a type name denotes, user-defined types looked up
/// through `catalog` (a built-in name wins, as `pg_catalog` comes first on
/// the search_path unless a schema is named).
pub fn resolve_type_in(
    dt: &DataType,
    catalog: &dyn crate::catalog::CatalogView,
) -> PgResult<(u32, i32)> {
    // A name qualified by another schema than pg_catalog is never built in.
    if let DataType::Custom(name, mods) = dt
        && mods.is_empty()
        && schema_of(name).is_some_and(|s| s != "pg_catalog")
        && let Some(t) = user_type(name, catalog)?
    {
        return Ok((t, -1));
    }
    match builtin_type(dt, catalog) {
        Err(e) if e.code == SqlState::UndefinedObject => {
            let DataType::Custom(name, mods) = dt else {
                return Err(e);
            };
            let Some(t) = user_type(name, catalog)? else {
                // A qualified name is reported whole (`"s.t"`).
                let parts: Vec<String> = name
                    .0
                    .iter()
                    .filter_map(|p| match p {
                        ObjectNamePart::Identifier(id) if id.quote_style.is_some() => {
                            Some(id.value.clone())
                        }
                        ObjectNamePart::Identifier(id) => Some(id.value.to_lowercase()),
                        _ => None,
                    })
                    .collect();
                if parts.len() > 1 {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("type \"{}\" does not exist", parts.join(".")),
                    ));
                }
                return Err(e);
            };
            if !mods.is_empty() {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!("type modifier is not allowed for type \"{}\"", type_name(t)),
                ));
            }
            Ok((t, -1))
        }
        other => other,
    }
}

/// The built-in type a name denotes (42704 for a name it does not know);
/// an array of a user type looks its element up in `catalog`.
fn builtin_type(dt: &DataType, catalog: &dyn crate::catalog::CatalogView) -> PgResult<(u32, i32)> {
    Ok(match dt {
        DataType::Int2(_) | DataType::SmallInt(_) => (INT2, -1),
        DataType::Int(_) | DataType::Int4(_) | DataType::Integer(_) => (INT4, -1),
        DataType::Int8(_) | DataType::BigInt(_) => (INT8, -1),
        DataType::Real | DataType::Float4 => (FLOAT4, -1),
        DataType::Float8 | DataType::DoublePrecision | DataType::Double(ExactNumberInfo::None) => {
            (FLOAT8, -1)
        }
        DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => (FLOAT4, -1),
        DataType::Float(_) => (FLOAT8, -1),
        DataType::Numeric(i) | DataType::Decimal(i) | DataType::Dec(i) => {
            (NUMERIC, numeric_mod(i)?)
        }
        DataType::Text => (TEXT, -1),
        DataType::Varchar(l) | DataType::CharacterVarying(l) | DataType::CharVarying(l) => {
            (VARCHAR, len_mod(l, None))
        }
        DataType::Char(l) | DataType::Character(l) => (BPCHAR, len_mod(l, Some(1))),
        // `bit` alone is bit(1); `bit varying` alone has no limit.
        DataType::Bit(n) => (BIT, bit_len_mod(BIT, Some(n.unwrap_or(1) as i64))?),
        DataType::BitVarying(n) | DataType::VarBit(n) => {
            (VARBIT, bit_len_mod(VARBIT, n.map(|n| n as i64))?)
        }
        DataType::Bool | DataType::Boolean => (BOOL, -1),
        DataType::Bytea => (BYTEA, -1),
        DataType::Date => (DATE, -1),
        DataType::Time(p, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            (TIME, time_precision(*p))
        }
        DataType::Time(p, _) => (TIMETZ, time_precision(*p)),
        DataType::Timestamp(p, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            (TIMESTAMPTZ, time_precision(*p))
        }
        DataType::Timestamp(p, _) => (TIMESTAMP, time_precision(*p)),
        DataType::Interval { fields, precision } => {
            use sqlparser::ast::IntervalFields as F;
            use types::datum::interval::{DAY, HOUR, MINUTE, MONTH, SECOND, YEAR};
            let range = fields.as_ref().map(|f| match f {
                F::Year => YEAR,
                F::Month => MONTH,
                F::Day => DAY,
                F::Hour => HOUR,
                F::Minute => MINUTE,
                F::Second => SECOND,
                F::YearToMonth => YEAR | MONTH,
                F::DayToHour => DAY | HOUR,
                F::DayToMinute => DAY | HOUR | MINUTE,
                F::DayToSecond => DAY | HOUR | MINUTE | SECOND,
                F::HourToMinute => HOUR | MINUTE,
                F::HourToSecond => HOUR | MINUTE | SECOND,
                F::MinuteToSecond => MINUTE | SECOND,
            });
            if precision.is_some() && range.is_some_and(|r| r & SECOND == 0) {
                return Err(PgError::syntax(
                    format!("syntax error at or near \"(\" in type {dt}"),
                    None,
                ));
            }
            (
                INTERVAL,
                types::datum::interval::make_typmod(range, precision.map(|p| p as i64))?,
            )
        }
        DataType::Uuid => (UUID, -1),
        DataType::Custom(name, mods) => {
            let n = match name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => {
                    if id.quote_style.is_some() {
                        id.value.clone()
                    } else {
                        id.value.to_lowercase()
                    }
                }
                _ => return Err(PgError::feature_not_supported(format!("type name {name}"))),
            };
            let t = match n.as_str() {
                "int2" => INT2,
                "int4" => INT4,
                "int8" => INT8,
                "float4" => FLOAT4,
                "float8" => FLOAT8,
                "bool" => BOOL,
                "name" => NAME,
                "oid" => OID,
                "bpchar" => BPCHAR,
                "varchar" => VARCHAR,
                "timestamptz" => TIMESTAMPTZ,
                "timetz" => TIMETZ,
                "timestamp" => TIMESTAMP,
                "interval" => INTERVAL,
                "time" => TIME,
                "numeric" | "decimal" => NUMERIC,
                "text" => TEXT,
                "void" => VOID,
                "unknown" => UNKNOWN,
                "anyelement" => ANYELEMENT,
                "anyarray" => ANYARRAY,
                "anynonarray" => ANYNONARRAY,
                "anyenum" => ANYENUM,
                "anyrange" => ANYRANGE,
                "anymultirange" => ANYMULTIRANGE,
                "anycompatible" => ANYCOMPATIBLE,
                "anycompatiblearray" => ANYCOMPATIBLEARRAY,
                "anycompatiblenonarray" => ANYCOMPATIBLENONARRAY,
                "anycompatiblerange" => ANYCOMPATIBLERANGE,
                "anycompatiblemultirange" => ANYCOMPATIBLEMULTIRANGE,
                "record" => RECORD,
                "pg_lsn" => PG_LSN,
                "tid" => TID,
                "xid" => XID,
                "cid" => CID,
                "xid8" => XID8,
                "pg_snapshot" => PG_SNAPSHOT,
                "txid_snapshot" => TXID_SNAPSHOT,
                "inet" => INET,
                "cidr" => CIDR,
                "money" => MONEY,
                "macaddr" => MACADDR,
                "macaddr8" => MACADDR8,
                "point" => POINT,
                "lseg" => LSEG,
                "path" => PATH,
                "box" => BOX,
                "polygon" => POLYGON,
                "line" => LINE,
                "circle" => CIRCLE,
                "tsvector" => TSVECTOR,
                "tsquery" => TSQUERY,
                "bit" => BIT,
                "varbit" => VARBIT,
                "regconfig" => REGCONFIG,
                "regclass" => REGCLASS,
                "regtype" => REGTYPE,
                "regproc" => REGPROC,
                "regnamespace" => REGNAMESPACE,
                "char" if id_quoted(name) => CHAR,
                // `_int4`: the internal name of an array type.
                internal if internal.starts_with('_') && internal_type(internal).is_some() => {
                    internal_type(internal).unwrap_or(UNKNOWN)
                }
                "json" => JSON,
                "jsonb" => JSONB,
                "jsonpath" => JSONPATH,
                range if RANGES.iter().any(|r| r.2 == range) => RANGES
                    .iter()
                    .find(|r| r.2 == range)
                    .map_or(UNKNOWN, |r| r.0),
                multi if MULTIRANGES.iter().any(|m| m.2 == multi) => MULTIRANGES
                    .iter()
                    .find(|m| m.2 == multi)
                    .map_or(UNKNOWN, |m| m.0),
                "xml" => {
                    return Err(PgError::feature_not_supported(format!("type {n}")));
                }
                _ => {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("type \"{n}\" does not exist"),
                    ));
                }
            };
            let typmod = if mods.is_empty() {
                -1
            } else {
                let nums: Vec<i64> = mods
                    .iter()
                    .filter_map(|m| m.to_string().parse().ok())
                    .collect();
                match (t, nums.as_slice()) {
                    (NUMERIC, [p]) => numeric_typmod(*p, 0)?,
                    (NUMERIC, [p, s]) => numeric_typmod(*p, *s)?,
                    (VARCHAR | BPCHAR, [l]) => *l as i32 + 4,
                    (BIT | VARBIT, [l]) => bit_len_mod(t, Some(*l))?,
                    _ => {
                        return Err(PgError::feature_not_supported(format!(
                            "type modifier on {n}"
                        )));
                    }
                }
            };
            (t, typmod)
        }
        DataType::Array(
            sqlparser::ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | sqlparser::ast::ArrayElemTypeDef::AngleBracket(inner)
            | sqlparser::ast::ArrayElemTypeDef::Qualified(inner, _),
        ) => {
            let (elem, typmod) = resolve_type_in(inner, catalog)?;
            match array_of(elem) {
                Some(a) => (a, typmod),
                // `int[2][3]`: more dimensions are the same array type.
                None if element_of(elem).is_some() => (elem, typmod),
                None => {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!(
                            "could not find array type for data type {}",
                            type_name(elem)
                        ),
                    ));
                }
            }
        }
        DataType::Array(_) => return Err(PgError::feature_not_supported("array types")),
        DataType::Regclass => (REGCLASS, -1),
        DataType::JSON => (JSON, -1),
        DataType::JSONB => (JSONB, -1),
        DataType::TsVector => (TSVECTOR, -1),
        DataType::TsQuery => (TSQUERY, -1),
        DataType::GeometricType(kind) => {
            use sqlparser::ast::GeometricTypeKind as K;
            (
                match kind {
                    K::Point => POINT,
                    K::Line => LINE,
                    K::LineSegment => LSEG,
                    K::GeometricBox => BOX,
                    K::GeometricPath => PATH,
                    K::Polygon => POLYGON,
                    K::Circle => CIRCLE,
                },
                -1,
            )
        }
        other => return Err(PgError::feature_not_supported(format!("type {other}"))),
    })
}

/// A user-defined type `[schema.]name` from the catalog (None if unknown).
fn user_type(
    name: &sqlparser::ast::ObjectName,
    catalog: &dyn crate::catalog::CatalogView,
) -> PgResult<Option<u32>> {
    let part = |p: &ObjectNamePart| match p {
        ObjectNamePart::Identifier(id) if id.quote_style.is_some() => Some(id.value.clone()),
        ObjectNamePart::Identifier(id) => Some(id.value.to_lowercase()),
        _ => None,
    };
    let parts: Vec<String> = name.0.iter().filter_map(part).collect();
    let (schema, n) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [.., s, n] => (Some(s.as_str()), n.as_str()),
        [] => return Ok(None),
    };
    catalog.lookup_type(schema, n)
}

/// The schema part of a qualified name, case-folded.
fn schema_of(name: &sqlparser::ast::ObjectName) -> Option<String> {
    match name.0.len().checked_sub(2).and_then(|i| name.0.get(i))? {
        ObjectNamePart::Identifier(id) if id.quote_style.is_some() => Some(id.value.clone()),
        ObjectNamePart::Identifier(id) => Some(id.value.to_lowercase()),
        _ => None,
    }
}

fn id_quoted(name: &sqlparser::ast::ObjectName) -> bool {
    matches!(name.0.last(), Some(ObjectNamePart::Identifier(id)) if id.quote_style == Some('"'))
}
