//! The json and jsonb functions and operators (PostgreSQL's `json.c`,
//! `jsonb.c`, `jsonfuncs.c` and `jsonb_op.c`): field and path access,
//! containment and existence, the editing operators, conversion of SQL
//! values (`to_json`, the builders), and the set-returning functions.
//!
//! A json value is text kept as written, read through [`JsonNode`]; a
//! jsonb value is a [`Jsonb`] tree.

use types::datum::OutputOptions;
use types::datum::json::{self, JsonNode, Jsonb};
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;

fn jsonb(d: &Datum) -> PgResult<&Jsonb> {
    match d {
        Datum::Jsonb(j) => Ok(j),
        _ => Err(PgError::internal("jsonb argument of another type")),
    }
}

fn text(d: &Datum) -> PgResult<&str> {
    match d {
        Datum::Text(s) => Ok(s),
        _ => Err(PgError::internal("text argument of another type")),
    }
}

fn int(d: &Datum) -> PgResult<i64> {
    match d {
        Datum::Int4(v) => Ok(i64::from(*v)),
        Datum::Int2(v) => Ok(i64::from(*v)),
        Datum::Int8(v) => Ok(*v),
        _ => Err(PgError::internal("integer argument of another type")),
    }
}

/// The non-null elements of a text[] argument (`None` for a NULL one, which
/// path operators treat as "no result").
fn text_array(d: &Datum) -> PgResult<Vec<Option<String>>> {
    match d {
        Datum::Array(a) => Ok(a
            .elems
            .iter()
            .map(|e| match e {
                Datum::Text(s) => Some(s.clone()),
                _ => None,
            })
            .collect()),
        _ => Err(PgError::internal("text[] argument of another type")),
    }
}

/// A path of text[] for the path operators: None if an element is NULL.
fn path(d: &Datum) -> PgResult<Option<Vec<String>>> {
    Ok(text_array(d)?.into_iter().collect())
}

/// Borrowed path elements, as the jsonb operations take them.
fn refs(p: &[String]) -> Vec<&str> {
    p.iter().map(String::as_str).collect()
}

fn boxed(j: Jsonb) -> Datum {
    Datum::Jsonb(Box::new(j))
}

fn opt_jsonb(j: Option<&Jsonb>) -> Datum {
    j.map_or(Datum::Null, |j| boxed(j.clone()))
}

fn opt_text(s: Option<String>) -> Datum {
    s.map_or(Datum::Null, Datum::Text)
}

fn raw(n: Option<&JsonNode<'_>>) -> Datum {
    n.map_or(Datum::Null, |n| Datum::Text(n.raw().to_string()))
}

/// Calls json function `func`; None if it is not one.
pub fn call(
    func: &str,
    args: &[Datum],
    arg_types: &[u32],
    opts: &OutputOptions,
) -> PgResult<Option<Datum>> {
    Ok(Some(match func {
        // jsonb access
        "jsonb_object_field" => opt_jsonb(jsonb(arg(args, 0)?)?.field(text(arg(args, 1)?)?)),
        "jsonb_array_element" => opt_jsonb(jsonb(arg(args, 0)?)?.element(int(arg(args, 1)?)?)),
        "jsonb_object_field_text" => opt_text(
            jsonb(arg(args, 0)?)?
                .field(text(arg(args, 1)?)?)
                .and_then(Jsonb::as_text),
        ),
        "jsonb_array_element_text" => opt_text(
            jsonb(arg(args, 0)?)?
                .element(int(arg(args, 1)?)?)
                .and_then(Jsonb::as_text),
        ),
        "jsonb_extract_path" | "jsonb_extract_path_text" => {
            let Some(p) = path(arg(args, 1)?)? else {
                return Ok(Some(Datum::Null));
            };
            let found = jsonb(arg(args, 0)?)?.path(&refs(&p));
            if func.ends_with("_text") {
                opt_text(found.and_then(Jsonb::as_text))
            } else {
                opt_jsonb(found)
            }
        }
        // json access
        "json_object_field" => {
            raw(JsonNode::parse(text(arg(args, 0)?)?)?.field(text(arg(args, 1)?)?))
        }
        "json_array_element" => {
            raw(JsonNode::parse(text(arg(args, 0)?)?)?.element(int(arg(args, 1)?)?))
        }
        "json_object_field_text" => opt_text(
            JsonNode::parse(text(arg(args, 0)?)?)?
                .field(text(arg(args, 1)?)?)
                .and_then(JsonNode::as_text),
        ),
        "json_array_element_text" => opt_text(
            JsonNode::parse(text(arg(args, 0)?)?)?
                .element(int(arg(args, 1)?)?)
                .and_then(JsonNode::as_text),
        ),
        "json_extract_path" | "json_extract_path_text" => {
            let Some(p) = path(arg(args, 1)?)? else {
                return Ok(Some(Datum::Null));
            };
            let node = JsonNode::parse(text(arg(args, 0)?)?)?;
            let found = node.path(&refs(&p));
            if func.ends_with("_text") {
                opt_text(found.and_then(JsonNode::as_text))
            } else {
                raw(found)
            }
        }
        "json_typeof" => Datum::Text(json::json_typeof(text(arg(args, 0)?)?).into()),
        "jsonb_typeof" => Datum::Text(jsonb(arg(args, 0)?)?.type_name().into()),
        "json_array_length" => match JsonNode::parse(text(arg(args, 0)?)?)? {
            JsonNode::Array(_, elems) => Datum::Int4(elems.len() as i32),
            JsonNode::Object(..) => return Err(length_error("non-array")),
            JsonNode::Scalar(_) => return Err(length_error("scalar")),
        },
        "jsonb_array_length" => match jsonb(arg(args, 0)?)? {
            Jsonb::Array(elems) => Datum::Int4(elems.len() as i32),
            Jsonb::Object(_) => return Err(length_error("non-array")),
            _ => return Err(length_error("scalar")),
        },
        "json_strip_nulls" => {
            let j = JsonNode::parse(text(arg(args, 0)?)?)?.to_jsonb()?;
            Datum::Text(compact(&j.strip_nulls()))
        }
        "jsonb_strip_nulls" => boxed(jsonb(arg(args, 0)?)?.strip_nulls()),
        "jsonb_pretty" => Datum::Text(jsonb(arg(args, 0)?)?.pretty()),
        // jsonb operators
        "jsonb_contains" => Datum::Bool(jsonb(arg(args, 0)?)?.contains(jsonb(arg(args, 1)?)?)),
        "jsonb_contained" => Datum::Bool(jsonb(arg(args, 1)?)?.contains(jsonb(arg(args, 0)?)?)),
        "jsonb_exists" => Datum::Bool(jsonb(arg(args, 0)?)?.exists(text(arg(args, 1)?)?)),
        "jsonb_exists_any" | "jsonb_exists_all" => {
            let j = jsonb(arg(args, 0)?)?;
            let keys = text_array(arg(args, 1)?)?;
            let mut present = keys.iter().flatten().map(|k| j.exists(k));
            Datum::Bool(if func == "jsonb_exists_any" {
                present.any(|p| p)
            } else {
                present.all(|p| p)
            })
        }
        "jsonb_concat" => boxed(jsonb(arg(args, 0)?)?.concat(jsonb(arg(args, 1)?)?)?),
        "jsonb_delete" => boxed(jsonb(arg(args, 0)?)?.delete_key(text(arg(args, 1)?)?)?),
        "jsonb_delete_index" => boxed(jsonb(arg(args, 0)?)?.delete_index(int(arg(args, 1)?)?)?),
        "jsonb_delete_keys" => {
            let keys: Vec<String> = text_array(arg(args, 1)?)?.into_iter().flatten().collect();
            boxed(jsonb(arg(args, 0)?)?.delete_keys(&refs(&keys))?)
        }
        "jsonb_delete_path" => {
            let p = path_or_error(arg(args, 1)?)?;
            boxed(jsonb(arg(args, 0)?)?.delete_path(&refs(&p))?)
        }
        "jsonb_set" => {
            let p = path_or_error(arg(args, 1)?)?;
            let create = !matches!(args.get(3), Some(Datum::Bool(false)));
            let new = jsonb(arg(args, 2)?)?.clone();
            boxed(jsonb(arg(args, 0)?)?.set_path(&refs(&p), new, create)?)
        }
        "jsonb_insert" => {
            let p = path_or_error(arg(args, 1)?)?;
            let after = matches!(args.get(3), Some(Datum::Bool(true)));
            let new = jsonb(arg(args, 2)?)?.clone();
            boxed(jsonb(arg(args, 0)?)?.insert_path(&refs(&p), new, after)?)
        }
        // conversions and builders
        "to_json" => Datum::Text(to_json_text(arg(args, 0)?, arg_types[0], opts)?),
        // json_agg's input of a composite or array type: on a line of its
        // own after the first element (the aggregate drops the break
        // before the first).
        "to_json_agg_structured" => Datum::Text(format!(
            "\n {}",
            to_json_text(arg(args, 0)?, arg_types[0], opts)?
        )),
        "row_to_json" => {
            let Datum::Record(r) = arg(args, 0)? else {
                return Err(PgError::internal("row_to_json of a non-record"));
            };
            let pretty = matches!(args.get(1), Some(Datum::Bool(true)));
            let mut out = String::new();
            record_json(r, opts, pretty, &mut out)?;
            Datum::Text(out)
        }
        "to_jsonb" => boxed(to_jsonb(arg(args, 0)?, arg_types[0], opts)?),
        "array_to_json" => {
            let pretty = matches!(args.get(1), Some(Datum::Bool(true)));
            let mut out = String::new();
            array_json(arg(args, 0)?, arg_types[0], opts, pretty, &mut out)?;
            Datum::Text(out)
        }
        "json_build_array" => {
            let mut out = String::from("[");
            for (i, (v, &t)) in args.iter().zip(arg_types).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_text_into(v, t, opts, &mut out)?;
            }
            out.push(']');
            Datum::Text(out)
        }
        "jsonb_build_array" => {
            let mut elems = Vec::with_capacity(args.len());
            for (v, &t) in args.iter().zip(arg_types) {
                elems.push(to_jsonb(v, t, opts)?);
            }
            boxed(Jsonb::Array(elems))
        }
        "json_build_object" => {
            even_arguments(func, args)?;
            let mut out = String::from("{");
            for (i, pair) in args.chunks(2).enumerate() {
                let (k, v) = (&pair[0], &pair[1]);
                if i > 0 {
                    out.push_str(", ");
                }
                json::escape_string(&object_key(k, arg_types[2 * i], i, opts)?, &mut out);
                out.push_str(" : ");
                json_text_into(v, arg_types[2 * i + 1], opts, &mut out)?;
            }
            out.push('}');
            Datum::Text(out)
        }
        "jsonb_build_object" => {
            even_arguments(func, args)?;
            let mut pairs = Vec::with_capacity(args.len() / 2);
            for (i, pair) in args.chunks(2).enumerate() {
                let key = object_key(&pair[0], arg_types[2 * i], i, opts)?;
                pairs.push((key, to_jsonb(&pair[1], arg_types[2 * i + 1], opts)?));
            }
            boxed(Jsonb::object(pairs))
        }
        "json_object" | "jsonb_object" => {
            let pairs = object_pairs(args)?;
            if func == "jsonb_object" {
                boxed(Jsonb::object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k, v.map_or(Jsonb::Null, Jsonb::String)))
                        .collect(),
                ))
            } else {
                let mut out = String::from("{");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json::escape_string(k, &mut out);
                    out.push_str(" : ");
                    match v {
                        Some(v) => json::escape_string(v, &mut out),
                        None => out.push_str("null"),
                    }
                }
                out.push('}');
                Datum::Text(out)
            }
        }
        _ => return Ok(None),
    }))
}

fn length_error(what: &str) -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        format!("cannot get array length of a {what}"),
    )
}

/// The path argument of the editing functions: a NULL element is an error.
fn path_or_error(d: &Datum) -> PgResult<Vec<String>> {
    text_array(d)?
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            p.ok_or_else(|| {
                PgError::new(
                    SqlState::NullValueNotAllowed,
                    format!("path element at position {} is null", i + 1),
                )
            })
        })
        .collect()
}

/// A builder's key: not NULL, as text.
fn object_key(k: &Datum, t: u32, i: usize, opts: &OutputOptions) -> PgResult<String> {
    if k.is_null() {
        return Err(PgError::new(
            SqlState::NullValueNotAllowed,
            format!("argument {}: key must not be null", 2 * i + 1),
        ));
    }
    if matches!(t, JSON | JSONB) || oid::element_of(t).is_some() {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "key value must be scalar, not array, composite, or json",
        ));
    }
    Ok(match k {
        Datum::Text(s) => s.clone(),
        other => other.to_text(opts),
    })
}

/// `json_object(text[])` (alternating keys and values) or
/// `json_object(keys text[], values text[])`.
fn object_pairs(args: &[Datum]) -> PgResult<Vec<(String, Option<String>)>> {
    let key = |k: Option<String>| {
        k.ok_or_else(|| {
            PgError::new(
                SqlState::NullValueNotAllowed,
                "null value not allowed for object key",
            )
        })
    };
    if let [keys, values] = args {
        let (keys, values) = (text_array(keys)?, text_array(values)?);
        if keys.len() != values.len() {
            return Err(PgError::new(
                SqlState::ArraySubscriptError,
                "mismatched array dimensions",
            ));
        }
        return keys
            .into_iter()
            .zip(values)
            .map(|(k, v)| Ok((key(k)?, v)))
            .collect();
    }
    let flat = text_array(arg(args, 0)?)?;
    if flat.len() % 2 != 0 {
        return Err(PgError::new(
            SqlState::ArraySubscriptError,
            "array must have even number of elements",
        ));
    }
    flat.chunks(2)
        .map(|p| Ok((key(p[0].clone())?, p[1].clone())))
        .collect()
}

/// A jsonb value as compact json text (`{"a":1,"b":[1,2]}`), as json
/// functions that rebuild their input print it.
fn compact(j: &Jsonb) -> String {
    let mut out = String::new();
    compact_into(j, &mut out);
    out
}

fn compact_into(j: &Jsonb, out: &mut String) {
    match j {
        Jsonb::Array(v) => {
            out.push('[');
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                compact_into(e, out);
            }
            out.push(']');
        }
        Jsonb::Object(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::escape_string(k, out);
                out.push(':');
                compact_into(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_text()),
    }
}

/// How a date or time value reads in JSON: ISO 8601 with a `T`, a zone
/// offset with its minutes.
fn iso_datetime(d: &Datum, opts: &OutputOptions) -> String {
    let iso = OutputOptions {
        date_style: "ISO, MDY".into(),
        ..opts.clone()
    };
    let s = d.to_text(&iso);
    match d {
        Datum::Timestamp(_) | Datum::Timestamptz(_) if !s.ends_with("infinity") => {
            let mut s = s.replacen(' ', "T", 1);
            if let Datum::Timestamptz(_) = d {
                // `+05` -> `+05:00`; `+05:30` stays.
                let tail = s.rfind(['+', '-']).map_or(0, |i| s.len() - i);
                if tail == 3 {
                    s.push_str(":00");
                }
            }
            s
        }
        _ => s,
    }
}

/// Appends `v` (of type `t`) as json text: numbers and booleans bare, json
/// as written, jsonb as printed, arrays as json arrays, anything else as a
/// string of its text form; NULL is `null`.
pub fn json_text_into(v: &Datum, t: u32, opts: &OutputOptions, out: &mut String) -> PgResult<()> {
    match v {
        Datum::Null => out.push_str("null"),
        Datum::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Datum::Int2(_) | Datum::Int4(_) | Datum::Int8(_) | Datum::Oid(_) => {
            out.push_str(&v.to_text(opts))
        }
        Datum::Float4(_) | Datum::Float8(_) | Datum::Numeric(_) => {
            let s = v.to_text(opts);
            if s.parse::<f64>().is_ok_and(f64::is_finite) {
                out.push_str(&s);
            } else {
                json::escape_string(&s, out);
            }
        }
        Datum::Text(s) if t == JSON => out.push_str(s),
        Datum::Jsonb(j) => out.push_str(&j.to_text()),
        Datum::Array(_) => array_json(v, t, opts, false, out)?,
        Datum::Record(r) => record_json(r, opts, false, out)?,
        Datum::Date(_) | Datum::Timestamp(_) | Datum::Timestamptz(_) => {
            json::escape_string(&iso_datetime(v, opts), out)
        }
        other => json::escape_string(&other.to_text(opts), out),
    }
    Ok(())
}

/// A composite value as a json object of its fields (`row_to_json`;
/// with `pretty`, fields on lines of their own).
pub fn record_json(
    r: &types::datum::RecordValue,
    opts: &OutputOptions,
    pretty: bool,
    out: &mut String,
) -> PgResult<()> {
    out.push('{');
    for (i, v) in r.values.iter().enumerate() {
        if i > 0 {
            out.push_str(if pretty { ",\n " } else { "," });
        }
        let (name, t) = r
            .fields
            .get(i)
            .map_or((String::new(), oid::TEXT), |f| (f.name.clone(), f.type_oid));
        json::escape_string(&name, out);
        out.push(':');
        json_text_into(v, t, opts, out)?;
    }
    out.push('}');
    Ok(())
}

/// An array as a json array (`[1,2]`; with `pretty`, elements on lines of
/// their own).
fn array_json(
    v: &Datum,
    t: u32,
    opts: &OutputOptions,
    pretty: bool,
    out: &mut String,
) -> PgResult<()> {
    let Datum::Array(a) = v else {
        return Err(PgError::internal("array_to_json of a non-array"));
    };
    let elem = oid::element_of(t).unwrap_or(a.elem_type);
    out.push('[');
    for (i, e) in a.elems.iter().enumerate() {
        if i > 0 {
            out.push_str(if pretty { ",\n " } else { "," });
        }
        json_text_into(e, elem, opts, out)?;
    }
    out.push(']');
    Ok(())
}

/// `to_json(v)`.
pub fn to_json_text(v: &Datum, t: u32, opts: &OutputOptions) -> PgResult<String> {
    let mut out = String::new();
    json_text_into(v, t, opts, &mut out)?;
    Ok(out)
}

/// `to_jsonb(v)`: as [`json_text_into`], as a jsonb value.
pub fn to_jsonb(v: &Datum, t: u32, opts: &OutputOptions) -> PgResult<Jsonb> {
    Ok(match v {
        Datum::Null => Jsonb::Null,
        Datum::Bool(b) => Jsonb::Bool(*b),
        Datum::Jsonb(j) => (**j).clone(),
        Datum::Text(s) if t == JSON => JsonNode::parse(s)?.to_jsonb()?,
        Datum::Array(a) => {
            let elem = oid::element_of(t).unwrap_or(a.elem_type);
            Jsonb::Array(
                a.elems
                    .iter()
                    .map(|e| to_jsonb(e, elem, opts))
                    .collect::<PgResult<_>>()?,
            )
        }
        Datum::Text(s) => Jsonb::String(s.clone()),
        _ => Jsonb::parse(&to_json_text(v, t, opts)?)?,
    })
}

/// `json[b]_to_record[set](x)` with the column names (`args[1]`) and
/// types of its column definition list: per object, each column's field
/// (NULL when missing or JSON null) read as the column's type (json and
/// jsonb columns take the value itself, other types its text). None if
/// `func` is not one of them.
pub fn record_rows(
    func: &str,
    args: &[Datum],
    types: &[u32],
    opts: &OutputOptions,
) -> PgResult<Option<Vec<Vec<Datum>>>> {
    let set = match func {
        "json_to_record" | "jsonb_to_record" | "json_populate_record" | "jsonb_populate_record" => {
            false
        }
        "json_to_recordset"
        | "jsonb_to_recordset"
        | "json_populate_recordset"
        | "jsonb_populate_recordset" => true,
        _ => return Ok(None),
    };
    // json[b]_populate_record[set]: a field the object lacks keeps the
    // base record's value (`args[2]`).
    let base: Option<&types::datum::RecordValue> = match args.get(2) {
        Some(Datum::Record(r)) => Some(r),
        _ => None,
    };
    let base_value = |k: usize| {
        base.and_then(|r| r.values.get(k).cloned())
            .unwrap_or(Datum::Null)
    };
    if !set && func.contains("populate") && matches!(args.first(), None | Some(Datum::Null)) {
        return Ok(Some(vec![(0..types.len()).map(base_value).collect()]));
    }
    // json columns of a json input keep their text as written.
    let raw_input = match args.first() {
        Some(Datum::Text(s)) => Some(s.as_str()),
        _ => None,
    };
    let node = raw_input.map(JsonNode::parse).transpose()?;
    let value = match args.first() {
        None | Some(Datum::Null) => return Ok(Some(Vec::new())),
        Some(Datum::Jsonb(j)) => (**j).clone(),
        Some(Datum::Text(_)) => match &node {
            Some(n) => n.to_jsonb()?,
            None => return Err(PgError::internal("json input lost")),
        },
        Some(_) => return Err(PgError::internal("json_to_record of a non-json value")),
    };
    let raw_objects: Vec<Option<&JsonNode<'_>>> = match &node {
        Some(JsonNode::Array(_, elems)) if set => elems.iter().map(Some).collect(),
        Some(n) if !set => vec![Some(n)],
        _ => Vec::new(),
    };
    let names: Vec<String> = text_array(arg(args, 1)?)?.into_iter().flatten().collect();
    let objects: Vec<&Jsonb> = match (&value, set) {
        (Jsonb::Object(_), false) => vec![&value],
        (Jsonb::Array(elems), true) => elems.iter().collect(),
        (_, false) => {
            let what = match value {
                Jsonb::Array(_) => "an array",
                _ => "a scalar",
            };
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("cannot call populate_composite on {what}"),
            ));
        }
        (_, true) => {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("cannot call {func} on a non-array"),
            ));
        }
    };
    let mut rows = Vec::with_capacity(objects.len());
    for (k, obj) in objects.into_iter().enumerate() {
        let raw_obj = raw_objects.get(k).copied().flatten();
        let Jsonb::Object(_) = obj else {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                "argument of json_to_recordset must be an array of objects",
            ));
        };
        let mut row = Vec::with_capacity(names.len());
        for (i, (name, &t)) in names.iter().zip(types).enumerate() {
            row.push(match obj.field(name) {
                None => base_value(i),
                Some(Jsonb::Null) => Datum::Null,
                Some(v)
                    if types::datum::record::is_composite(t) || oid::element_of(t).is_some() =>
                {
                    populate_value(v, t, opts)?
                }
                Some(v) if t == JSONB => boxed(v.clone()),
                Some(v) if t == JSON => Datum::Text(
                    raw_obj
                        .and_then(|o| o.field(name))
                        .map_or_else(|| v.to_text(), |n| n.raw().to_string()),
                ),
                Some(v) => {
                    let s = v.as_text().unwrap_or_default();
                    Datum::from_text(t, &s, opts)?
                }
            });
        }
        rows.push(row);
    }
    Ok(Some(rows))
}

/// A JSON value as a value of composite or array type `t` (PostgreSQL's
/// `populate_record_field`): an object fills a composite type's fields by
/// name, an array an array's elements; any other value is read from its
/// text.
fn populate_value(v: &Jsonb, t: u32, opts: &OutputOptions) -> PgResult<Datum> {
    if let Jsonb::Null = v {
        return Ok(Datum::Null);
    }
    if let Some(fields) = types::datum::record::fields_of(t) {
        let Jsonb::Object(_) = v else {
            let s = v.as_text().unwrap_or_else(|| v.to_text());
            return Datum::from_text(t, &s, opts);
        };
        let mut values = Vec::with_capacity(fields.len());
        for f in fields.iter() {
            values.push(match v.field(&f.name) {
                None => Datum::Null,
                Some(x) => populate_value(x, f.type_oid, opts)?,
            });
        }
        return Ok(Datum::Record(Box::new(types::datum::RecordValue {
            type_oid: t,
            fields,
            values,
        })));
    }
    if let Some(elem) = oid::element_of(t) {
        if let Jsonb::Array(elems) = v {
            let values = elems
                .iter()
                .map(|e| populate_value(e, elem, opts))
                .collect::<PgResult<Vec<_>>>()?;
            return Ok(Datum::Array(Box::new(types::datum::ArrayValue::new(
                elem, values,
            ))));
        }
        let s = v.as_text().unwrap_or_else(|| v.to_text());
        return Datum::from_text(t, &s, opts);
    }
    match t {
        JSONB => Ok(Datum::Jsonb(Box::new(v.clone()))),
        JSON => Ok(Datum::Text(v.to_text())),
        _ => {
            let s = v.as_text().unwrap_or_else(|| v.to_text());
            Datum::from_text(t, &s, opts)
        }
    }
}

/// The rows of json set-returning function `func`; None if it is not one.
pub fn set_function(
    func: &str,
    args: &[Datum],
    _opts: &OutputOptions,
) -> PgResult<Option<Vec<Vec<Datum>>>> {
    let scalar_error = |what: &str| {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("cannot {what} a scalar"),
        )
    };
    Ok(Some(match func {
        "jsonb_array_elements" | "jsonb_array_elements_text" => {
            let elems = match jsonb(arg(args, 0)?)? {
                Jsonb::Array(v) => v,
                Jsonb::Object(_) => {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        "cannot extract elements from an object",
                    ));
                }
                _ => return Err(scalar_error("extract elements from")),
            };
            elems
                .iter()
                .map(|e| {
                    vec![if func.ends_with("_text") {
                        opt_text(e.as_text())
                    } else {
                        boxed(e.clone())
                    }]
                })
                .collect()
        }
        "json_array_elements" | "json_array_elements_text" => {
            let node = JsonNode::parse(text(arg(args, 0)?)?)?;
            let JsonNode::Array(_, elems) = &node else {
                return Err(match node {
                    JsonNode::Object(..) => PgError::new(
                        SqlState::InvalidParameterValue,
                        "cannot call json_array_elements on a non-array",
                    ),
                    _ => PgError::new(
                        SqlState::InvalidParameterValue,
                        format!("cannot call {func} on a scalar"),
                    ),
                });
            };
            elems
                .iter()
                .map(|e| {
                    vec![if func.ends_with("_text") {
                        opt_text(e.as_text())
                    } else {
                        Datum::Text(e.raw().to_string())
                    }]
                })
                .collect()
        }
        "jsonb_each" | "jsonb_each_text" => {
            let Jsonb::Object(pairs) = jsonb(arg(args, 0)?)? else {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("cannot call {func} on a non-object"),
                ));
            };
            pairs
                .iter()
                .map(|(k, v)| {
                    let value = if func.ends_with("_text") {
                        opt_text(v.as_text())
                    } else {
                        boxed(v.clone())
                    };
                    vec![Datum::Text(k.clone()), value]
                })
                .collect()
        }
        "json_each" | "json_each_text" => {
            let node = JsonNode::parse(text(arg(args, 0)?)?)?;
            let JsonNode::Object(_, pairs) = &node else {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("cannot call {func} on a non-object"),
                ));
            };
            pairs
                .iter()
                .map(|(k, v)| {
                    let value = if func.ends_with("_text") {
                        opt_text(v.as_text())
                    } else {
                        Datum::Text(v.raw().to_string())
                    };
                    vec![Datum::Text(k.clone()), value]
                })
                .collect()
        }
        "jsonb_object_keys" => match jsonb(arg(args, 0)?)? {
            Jsonb::Object(pairs) => pairs
                .iter()
                .map(|(k, _)| vec![Datum::Text(k.clone())])
                .collect(),
            Jsonb::Array(_) => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "cannot call jsonb_object_keys on an array",
                ));
            }
            _ => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "cannot call jsonb_object_keys on a scalar",
                ));
            }
        },
        "json_object_keys" => match JsonNode::parse(text(arg(args, 0)?)?)? {
            JsonNode::Object(_, pairs) => pairs
                .iter()
                .map(|(k, _)| vec![Datum::Text(k.clone())])
                .collect(),
            JsonNode::Array(..) => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "cannot call json_object_keys on an array",
                ));
            }
            JsonNode::Scalar(_) => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "cannot call json_object_keys on a scalar",
                ));
            }
        },
        _ => return Ok(None),
    }))
}

/// `json[b]_build_object`'s arguments come in key-value pairs (checked when
/// the call is analyzed, and here for the elements of a VARIADIC array).
fn even_arguments(func: &str, args: &[Datum]) -> PgResult<()> {
    if args.len().is_multiple_of(2) {
        return Ok(());
    }
    Err(PgError::new(
        SqlState::InvalidParameterValue,
        "argument list must have even number of elements",
    )
    .with_hint(format!(
        "The arguments of {func}() must consist of alternating keys and values."
    )))
}
