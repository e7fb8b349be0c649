//! Type conversions (`CAST`, `::` and the implicit casts the planner inserts).

use types::datum::bits::BitString;
use types::datum::datetime::{self, Interval, USECS_PER_DAY, USECS_PER_SEC};
use types::datum::interval;
use types::datum::json::Jsonb;
use types::datum::{Numeric, OutputOptions};
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

pub fn out_of_range(type_oid: u32) -> PgError {
    let what = match type_oid {
        INT2 => "smallint out of range",
        INT4 => "integer out of range",
        INT8 => "bigint out of range",
        OID => "OID out of range",
        _ => "value out of range",
    };
    PgError::new(SqlState::NumericValueOutOfRange, what)
}

fn int_of(v: i128, to: u32) -> PgResult<Datum> {
    Ok(match to {
        INT2 => Datum::Int2(i16::try_from(v).map_err(|_| out_of_range(INT2))?),
        INT4 => Datum::Int4(i32::try_from(v).map_err(|_| out_of_range(INT4))?),
        INT8 => Datum::Int8(i64::try_from(v).map_err(|_| out_of_range(INT8))?),
        OID => Datum::Oid(
            u32::try_from(v)
                .or_else(|_| i32::try_from(v).map(|x| x as u32))
                .map_err(|_| out_of_range(OID))?,
        ),
        _ => return Err(PgError::internal("int_of: not an integer type")),
    })
}

fn float_to_int(f: f64, to: u32) -> PgResult<Datum> {
    if f.is_nan() || f.is_infinite() {
        return Err(out_of_range(to));
    }
    let r = f.round_ties_even();
    if !(-1.8e19..=1.8e19).contains(&r) {
        return Err(out_of_range(to));
    }
    int_of(r as i128, to)
}

fn as_i128(d: &Datum) -> Option<i128> {
    match d {
        Datum::Int2(v) => Some(*v as i128),
        Datum::Int4(v) => Some(*v as i128),
        Datum::Int8(v) => Some(*v as i128),
        Datum::Oid(v) => Some(*v as i128),
        _ => None,
    }
}

/// Applies a type modifier (length of varchar/char, precision of numeric).
pub fn apply_typmod(v: Datum, to: u32, typmod: i32, explicit: bool) -> PgResult<Datum> {
    if typmod < 0 || v.is_null() {
        return Ok(v);
    }
    match (to, v) {
        (NUMERIC, Datum::Numeric(n)) => Ok(Datum::Numeric(n.apply_typmod(typmod)?)),
        (INTERVAL, Datum::Interval(iv)) => Ok(Datum::Interval(interval::adjust(iv, typmod)?)),
        // time(p), timestamp(p): fractional seconds rounded to p digits
        (TIME, Datum::Time(t)) => Ok(Datum::Time(interval::round_micros(t, typmod))),
        (TIMETZ, Datum::TimeTz(mut t)) => {
            t.micros = interval::round_micros(t.micros, typmod);
            Ok(Datum::TimeTz(t))
        }
        (TIMESTAMP, Datum::Timestamp(t)) if t != i64::MIN && t != i64::MAX => {
            Ok(Datum::Timestamp(interval::round_micros(t, typmod)))
        }
        (TIMESTAMPTZ, Datum::Timestamptz(t)) if t != i64::MIN && t != i64::MAX => {
            Ok(Datum::Timestamptz(interval::round_micros(t, typmod)))
        }
        (VARCHAR | BPCHAR, Datum::Text(s)) => {
            let max = (typmod - 4).max(0) as usize;
            // An ASCII string has a char per byte: no need to count.
            let n = match s.is_ascii() {
                true => s.len(),
                false => s.chars().count(),
            };
            let (mut s, n) = if n > max {
                let cut: String = s.chars().take(max).collect();
                if !explicit && s.chars().skip(max).any(|c| c != ' ') {
                    return Err(PgError::new(
                        SqlState::StringDataRightTruncation,
                        format!("value too long for type {}", oid::format_type(to, typmod)),
                    ));
                }
                (cut, max)
            } else {
                (s, n)
            };
            if to == BPCHAR && n < max {
                pad_with_spaces(&mut s, max - n);
            }
            Ok(Datum::Text(s))
        }
        // bit(n) pads or cuts on an explicit cast, else wants n bits;
        // bit varying(n) cuts on an explicit cast, else wants at most n.
        (BIT, Datum::Bit(b)) => Ok(Datum::Bit(Box::new(b.coerce_bit(typmod, explicit)?))),
        (VARBIT, Datum::Bit(b)) => Ok(Datum::Bit(Box::new(b.coerce_varbit(typmod, explicit)?))),
        // char(5)[]: each element to its element type's modifier.
        (to, Datum::Array(mut a)) if oid::is_array_type(to) => {
            let elem = oid::element_of(to).unwrap_or(a.elem_type);
            let elems = std::mem::take(&mut a.elems);
            a.elems = elems
                .into_iter()
                .map(|e| apply_typmod(e, elem, typmod, explicit))
                .collect::<PgResult<_>>()?;
            Ok(Datum::Array(a))
        }
        (_, v) => Ok(v),
    }
}

/// Appends `n` spaces to `s` (char(n)'s padding) a block at a time, not
/// a char at a time.
fn pad_with_spaces(s: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    s.reserve(n);
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        s.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// Converts `v` of type `from` to type `to`.
pub fn cast(
    v: Datum,
    from: u32,
    to: u32,
    typmod: i32,
    explicit: bool,
    opts: &OutputOptions,
) -> PgResult<Datum> {
    if v.is_null() {
        return Ok(Datum::Null);
    }
    // A record of the right width takes the composite type's fields, each
    // value cast to its field's type (a row constructor the planner saw is
    // coerced field by field already; a row from VALUES or a subquery is
    // not).
    if let Datum::Record(mut r) = v {
        if let Some(fields) = types::datum::record::fields_of(to) {
            if fields.len() != r.values.len() {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!("cannot cast type record to {}", types::oid::type_name(to)),
                ));
            }
            // Field by field, from the types the value says it holds.
            let values = std::mem::take(&mut r.values);
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.into_iter().enumerate() {
                let f = &fields[i];
                let from_t = r.fields.get(i).map_or(f.type_oid, |g| g.type_oid);
                out.push(if from_t == f.type_oid && f.typmod < 0 {
                    v
                } else {
                    cast(v, from_t, f.type_oid, f.typmod, explicit, opts)?
                });
            }
            r.values = out;
            r.type_oid = to;
            r.fields = fields;
            return Ok(Datum::Record(r));
        }
        if to == types::oid::RECORD {
            return Ok(Datum::Record(r));
        }
        let r = convert(Datum::Record(r), from, to, opts)?;
        return apply_typmod(r, to, typmod, explicit);
    }
    if to == INTERVAL
        && typmod >= 0
        && (oid::is_string_type(from) || from == CHAR)
        && let Datum::Text(s) = &v
    {
        // the type modifier's fields say what a bare number counts
        let style = interval::IntervalStyle::parse(&opts.interval_style);
        return Ok(Datum::Interval(interval::parse(s, typmod, style)?));
    }
    // int4::bit(n), int8::bit(n): the low n bits of the number.
    if to == BIT
        && let Datum::Int4(_) | Datum::Int8(_) = v
    {
        let (i, width) = match v {
            Datum::Int4(i) => (i64::from(i), 32),
            Datum::Int8(i) => (i, 64),
            _ => (0, 64),
        };
        return Ok(Datum::Bit(Box::new(BitString::from_int(i, width, typmod))));
    }
    let r = convert(v, from, to, opts)?;
    apply_typmod(r, to, typmod, explicit)
}

/// `jsonb::numeric`, `jsonb::bool`, ...: a JSON number or boolean as the
/// SQL type; 22023 naming the JSON type for anything else.
fn jsonb_to_scalar(j: &Jsonb, to: u32, opts: &OutputOptions) -> PgResult<Datum> {
    match (j, to) {
        (Jsonb::Bool(b), BOOL) => Ok(Datum::Bool(*b)),
        (Jsonb::Number(n), INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC) => {
            convert(Datum::Numeric(n.clone()), NUMERIC, to, opts)
        }
        _ => Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!(
                "cannot cast jsonb {} to type {}",
                j.type_name(),
                oid::type_name(to)
            ),
        )),
    }
}

fn convert(v: Datum, from: u32, to: u32, opts: &OutputOptions) -> PgResult<Datum> {
    if from == to {
        return Ok(v);
    }
    // `int2vector::int2[]`, `oidvector::oid[]`: PostgreSQL's binary
    // coercions. The vectors are stored as their text form; the array keeps
    // their lower bound of 0.
    if let ((INT2VECTOR, INT2_ARRAY) | (OIDVECTOR, OID_ARRAY), Datum::Text(s)) = ((from, to), &v) {
        let elems = s
            .split_whitespace()
            .map(|x| match to {
                INT2_ARRAY => x.parse().map(Datum::Int2).ok(),
                _ => x.parse().map(Datum::Oid).ok(),
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| PgError::internal(format!("malformed {}", oid::type_name(from))))?;
        let elem_type = if to == INT2_ARRAY { INT2 } else { OID };
        return Ok(Datum::Array(Box::new(types::datum::ArrayValue {
            elem_type,
            lower: 0,
            elems,
            inner: Vec::new(),
        })));
    }
    // regtype values are type names here.
    if to == oid::REGTYPE {
        // InvalidOid prints as `-` (regtypeout).
        if let Datum::Oid(0) = v {
            return Ok(Datum::Text("-".into()));
        }
        if let Datum::Oid(t) = v {
            return Ok(Datum::Text(oid::format_type(t, -1)));
        }
        if let Datum::Int4(t) = v {
            return Ok(Datum::Text(oid::format_type(t as u32, -1)));
        }
    }
    // A regnamespace prints its schema's name where the evaluator can look
    // it up (`Evaluator::eval`); the number elsewhere.
    if to == oid::REGNAMESPACE
        && let Datum::Oid(n) = v
    {
        return Ok(Datum::Text(n.to_string()));
    }
    let string_to = oid::is_string_type(to) || to == CHAR;
    let string_from = oid::is_string_type(from) || from == CHAR;
    if string_to {
        let s = match (&v, from) {
            (Datum::Text(s), BPCHAR) => types::datum::trim_blanks(s).to_string(),
            (Datum::Text(s), _) => s.clone(),
            (Datum::Bool(b), _) => if *b { "true" } else { "false" }.to_string(),
            // text(inet): the mask always shows
            (Datum::Inet(i), _) => i.show(),
            (other, _) => other.to_text(opts),
        };
        return Datum::from_text(if to == UNKNOWN { TEXT } else { to }, &s, opts);
    }
    if string_from {
        let Datum::Text(s) = &v else {
            return Err(PgError::internal("string type without a string value"));
        };
        return Datum::from_text(to, s, opts);
    }
    // Array to array: element by element.
    if let (Datum::Array(a), Some(fe), Some(te)) = (&v, oid::element_of(from), oid::element_of(to))
    {
        let mut out = Vec::with_capacity(a.elems.len());
        for e in &a.elems {
            out.push(if e.is_null() {
                Datum::Null
            } else {
                convert(e.clone(), fe, te, opts)?
            });
        }
        return Ok(Datum::Array(Box::new(types::datum::ArrayValue {
            elem_type: te,
            lower: a.lower,
            elems: out,
            inner: a.inner.clone(),
        })));
    }
    match (&v, from, to) {
        (Datum::Text(s), JSON, JSONB) => {
            return Ok(Datum::Jsonb(Box::new(Jsonb::parse(s)?)));
        }
        (Datum::Jsonb(j), JSONB, JSON) => return Ok(Datum::Text(j.to_text())),
        (Datum::Jsonb(j), JSONB, _) => return jsonb_to_scalar(j, to, opts),
        // cidr to inet is a binary coercion; inet to cidr (`cidr(inet)`)
        // drops the bits right of the mask.
        (Datum::Inet(i), _, INET) => {
            return Ok(Datum::Inet(types::datum::InetValue { cidr: false, ..*i }));
        }
        (Datum::Inet(i), _, CIDR) => return Ok(Datum::Inet(i.network())),
        (Datum::Geo(g), _, POINT | LSEG | PATH | BOX | POLYGON | LINE | CIRCLE) => {
            return crate::functions::geo::cast(g, to);
        }
        // A range as the multirange of its one member.
        (Datum::Range(r), _, _) if oid::multirange_of(from) == Some(to) => {
            return Ok(Datum::Multirange(Box::new(
                types::datum::MultirangeValue::new(to, vec![(**r).clone()])?,
            )));
        }
        _ => {}
    }
    // money (cash.c): out as numeric with two fraction digits; in from
    // int4, int8 and numeric scaled to cents through bigint.
    match (&v, to) {
        (Datum::Money(c), NUMERIC) => {
            return Ok(Datum::Numeric(Numeric::new(i128::from(*c), 2)));
        }
        (Datum::Int4(_) | Datum::Int8(_), MONEY) => {
            let cents = as_i128(&v).unwrap_or(0) * 100;
            return Ok(Datum::Money(
                i64::try_from(cents).map_err(|_| out_of_range(INT8))?,
            ));
        }
        (Datum::Bit(_), BIT | VARBIT) => return Ok(v),
        // `xid(xid8)`: the epoch dropped.
        (Datum::Xid8(x), XID) => return Ok(Datum::Xid(*x as u32)),
        (Datum::Bit(b), INT4) => return Ok(Datum::Int4(b.to_int(32)? as i32)),
        (Datum::Bit(b), INT8) => return Ok(Datum::Int8(b.to_int(64)?)),
        (Datum::MacAddr(m), MACADDR8) => {
            return Ok(Datum::MacAddr8(types::datum::macaddr::to_macaddr8(*m)));
        }
        (Datum::MacAddr8(m), MACADDR) => {
            return Ok(Datum::MacAddr(types::datum::macaddr::to_macaddr(*m)?));
        }
        (Datum::Numeric(n), MONEY) => {
            return match n {
                Numeric::NaN => Err(PgError::feature_not_supported_code(
                    "cannot convert NaN to bigint".to_string(),
                )),
                Numeric::PosInf | Numeric::NegInf => Err(PgError::feature_not_supported_code(
                    "cannot convert infinity to bigint".to_string(),
                )),
                _ => n
                    .mul(&Numeric::from_i64(100))?
                    .to_i64_rounded()
                    .map(Datum::Money)
                    .ok_or_else(|| out_of_range(INT8)),
            };
        }
        _ => {}
    }
    let unsupported = || {
        PgError::new(
            SqlState::CannotCoerce,
            format!(
                "cannot cast type {} to {}",
                oid::type_name(from),
                oid::type_name(to)
            ),
        )
    };
    Ok(match (v, to) {
        (v @ (Datum::Int2(_) | Datum::Int4(_) | Datum::Int8(_) | Datum::Oid(_)), t) => {
            let i = as_i128(&v).unwrap_or(0);
            match t {
                INT2 | INT4 | INT8 | OID => int_of(i, t)?,
                FLOAT4 => Datum::Float4(i as f32),
                FLOAT8 => Datum::Float8(i as f64),
                NUMERIC => Datum::Numeric(Numeric::new(i, 0)),
                BOOL => Datum::Bool(i != 0),
                _ => return Err(unsupported()),
            }
        }
        (Datum::Float4(f), t) => match t {
            INT2 | INT4 | INT8 => float_to_int(f as f64, t)?,
            FLOAT8 => Datum::Float8(f as f64),
            NUMERIC => Datum::Numeric(Numeric::from_f64(f as f64, 6)?),
            _ => return Err(unsupported()),
        },
        (Datum::Float8(f), t) => match t {
            INT2 | INT4 | INT8 => float_to_int(f, t)?,
            FLOAT4 => {
                let g = f as f32;
                if g.is_infinite() && f.is_finite() {
                    return Err(PgError::new(
                        SqlState::NumericValueOutOfRange,
                        "value out of range: overflow",
                    ));
                }
                if g == 0.0 && f != 0.0 {
                    return Err(PgError::new(
                        SqlState::NumericValueOutOfRange,
                        "value out of range: underflow",
                    ));
                }
                Datum::Float4(g)
            }
            NUMERIC => Datum::Numeric(Numeric::from_f64(f, 15)?),
            _ => return Err(unsupported()),
        },
        (Datum::Numeric(n), t) => match t {
            INT2 | INT4 | INT8 => match n {
                Numeric::NaN => {
                    return Err(PgError::feature_not_supported_code(format!(
                        "cannot convert NaN to {}",
                        oid::type_name(t)
                    )));
                }
                Numeric::PosInf | Numeric::NegInf => {
                    return Err(PgError::feature_not_supported_code(format!(
                        "cannot convert infinity to {}",
                        oid::type_name(t)
                    )));
                }
                _ => int_of(
                    n.to_i64_rounded().map(|v| v as i128).unwrap_or(i128::MAX),
                    t,
                )?,
            },
            // PostgreSQL reads the numeric's text as float input: out of the type's
            // range (either way) is its input error
            FLOAT4 | FLOAT8 if n.is_finite() => {
                let text = n.to_text();
                let range = || {
                    PgError::new(
                        SqlState::NumericValueOutOfRange,
                        format!(
                            "\"{text}\" is out of range for type {}",
                            if t == FLOAT4 {
                                "real"
                            } else {
                                "double precision"
                            }
                        ),
                    )
                };
                let zero = n.sign().to_text() == "0";
                if t == FLOAT4 {
                    let f: f32 = text.parse().unwrap_or(f32::NAN);
                    if f.is_infinite() || (f == 0.0 && !zero) {
                        return Err(range());
                    }
                    Datum::Float4(f)
                } else {
                    let f: f64 = text.parse().unwrap_or(f64::NAN);
                    if f.is_infinite() || (f == 0.0 && !zero) {
                        return Err(range());
                    }
                    Datum::Float8(f)
                }
            }
            FLOAT4 => Datum::Float4(n.to_f64() as f32),
            FLOAT8 => Datum::Float8(n.to_f64()),
            _ => return Err(unsupported()),
        },
        (Datum::Bool(b), INT4) => Datum::Int4(b as i32),
        (Datum::Date(d), t) => match t {
            TIMESTAMP | TIMESTAMPTZ => {
                if d == datetime::DATE_NEG_INF || d == datetime::DATE_POS_INF {
                    let ts = if d == datetime::DATE_NEG_INF {
                        datetime::TS_NEG_INF
                    } else {
                        datetime::TS_POS_INF
                    };
                    if t == TIMESTAMP {
                        Datum::Timestamp(ts)
                    } else {
                        Datum::Timestamptz(ts)
                    }
                } else {
                    // dates run past timestamps' end (294276 AD)
                    let end = datetime::days_from_civil(294_277, 1, 1) - datetime::UNIX_EPOCH_DAYS;
                    if d as i64 >= end {
                        return Err(PgError::new(
                            SqlState::DatetimeFieldOverflow,
                            "date out of range for timestamp",
                        ));
                    }
                    let local = d as i64 * USECS_PER_DAY;
                    if t == TIMESTAMP {
                        Datum::Timestamp(local)
                    } else {
                        Datum::Timestamptz(opts.zone().to_utc(local))
                    }
                }
            }
            _ => return Err(unsupported()),
        },
        (Datum::Timestamp(ts), t) => timestamp_to(ts, t, 0, opts)?,
        (Datum::Timestamptz(ts), t) => {
            let offset = i64::from(opts.zone().utc_offset(ts)) * USECS_PER_SEC;
            timestamp_to(ts, t, offset, opts)?
        }
        (Datum::Time(tm), INTERVAL) => Datum::Interval(Interval {
            months: 0,
            days: 0,
            micros: tm,
        }),
        (Datum::Interval(iv), TIME) => Datum::Time(iv.micros.rem_euclid(USECS_PER_DAY)),
        (Datum::TimeTz(t), TIME) => Datum::Time(t.micros),
        // time to timetz: the session zone's offset on today's date
        (Datum::Time(tm), TIMETZ) => {
            let zone = opts.zone();
            let today = zone
                .to_local(datetime::transaction_start())
                .div_euclid(USECS_PER_DAY);
            Datum::TimeTz(datetime::TimeTz {
                micros: tm,
                zone: -zone.local_offset(today * USECS_PER_DAY + tm),
            })
        }
        _ => return Err(unsupported()),
    })
}

/// From a timestamp (`offset` = session offset for timestamptz, 0 for timestamp).
fn timestamp_to(ts: i64, to: u32, offset: i64, opts: &OutputOptions) -> PgResult<Datum> {
    let infinite = ts == datetime::TS_NEG_INF || ts == datetime::TS_POS_INF;
    let local = if infinite { ts } else { ts + offset };
    Ok(match to {
        TIMESTAMP => Datum::Timestamp(local),
        TIMESTAMPTZ => {
            if infinite {
                Datum::Timestamptz(ts)
            } else {
                Datum::Timestamptz(opts.zone().to_utc(ts))
            }
        }
        DATE => {
            if infinite {
                Datum::Date(if ts == datetime::TS_NEG_INF {
                    datetime::DATE_NEG_INF
                } else {
                    datetime::DATE_POS_INF
                })
            } else {
                Datum::Date(local.div_euclid(USECS_PER_DAY) as i32)
            }
        }
        TIME | TIMETZ => {
            if infinite {
                return Err(PgError::new(
                    SqlState::DatetimeFieldOverflow,
                    "timestamp out of range",
                ));
            }
            let micros = local.rem_euclid(USECS_PER_DAY);
            if to == TIME {
                Datum::Time(micros)
            } else {
                // timestamptz to timetz: the session's clock and offset
                Datum::TimeTz(datetime::TimeTz {
                    micros,
                    zone: -((offset / USECS_PER_SEC) as i32),
                })
            }
        }
        _ => return Err(PgError::internal("timestamp_to: unsupported target")),
    })
}

trait FeatureCode {
    fn feature_not_supported_code(msg: String) -> PgError;
}

impl FeatureCode for PgError {
    /// PostgreSQL reports NaN/infinity to integer conversions as 0A000.
    fn feature_not_supported_code(msg: String) -> PgError {
        PgError::new(SqlState::FeatureNotSupported, msg)
    }
}
