//! Array functions and operators (PostgreSQL's `arrayfuncs.c`,
//! `array_userfuncs.c`): construction, subscripts and slices, the
//! dimension functions, `array_to_string` / `string_to_array`, append,
//! prepend, concatenation, position and removal, containment and overlap.
//! Arrays have one dimension.

use types::datum::{ArrayValue, OutputOptions};
use types::{Datum, PgError, PgResult, oid};

use crate::compare::compare;

fn array(d: &Datum) -> PgResult<&ArrayValue> {
    match d {
        Datum::Array(a) => Ok(a),
        other => Err(PgError::internal(format!("not an array: {other:?}"))),
    }
}

fn equal(a: &Datum, b: &Datum) -> PgResult<bool> {
    Ok(!a.is_null() && !b.is_null() && compare(a, b)? == std::cmp::Ordering::Equal)
}

/// The array functions; None for any other name.
pub fn call(func: &str, args: &[Datum], ret: u32, opts: &OutputOptions) -> PgResult<Option<Datum>> {
    let elem_of = |t: u32| oid::element_of(t).unwrap_or(oid::TEXT);
    Ok(Some(match (func, args) {
        ("array", elems) => Datum::Array(Box::new(ArrayValue::new(elem_of(ret), elems.to_vec()))),
        ("array_subscript", [a, Datum::Int4(i)]) => {
            let a = array(a)?;
            let k = i64::from(*i) - i64::from(a.lower);
            if k < 0 {
                Datum::Null
            } else {
                a.elems.get(k as usize).cloned().unwrap_or(Datum::Null)
            }
        }
        ("array_subscript", [_, Datum::Null]) => Datum::Null,
        ("array_slice", [Datum::Null, _, _]) => Datum::Null,
        ("array_slice", [a, lo, hi]) => {
            let a = array(a)?;
            if a.elems.is_empty() {
                return Ok(Some(Datum::Array(Box::new(a.clone()))));
            }
            let lo = match lo {
                Datum::Int4(v) => i64::from(*v),
                _ => i64::from(a.lower),
            }
            .max(i64::from(a.lower));
            let hi = match hi {
                Datum::Int4(v) => i64::from(*v),
                _ => i64::from(a.upper()),
            }
            .min(i64::from(a.upper()));
            let elems = if lo > hi {
                Vec::new()
            } else {
                let from = (lo - i64::from(a.lower)) as usize;
                let to = (hi - i64::from(a.lower)) as usize;
                a.elems[from..=to].to_vec()
            };
            Datum::Array(Box::new(ArrayValue::new(a.elem_type, elems)))
        }
        ("array_length", [a, Datum::Int4(d)]) => {
            let a = array(a)?;
            if *d == 1 && !a.elems.is_empty() {
                Datum::Int4(a.elems.len() as i32)
            } else {
                Datum::Null
            }
        }
        ("array_upper" | "array_lower", [a, Datum::Int4(d)]) => {
            let a = array(a)?;
            if *d == 1 && !a.elems.is_empty() {
                Datum::Int4(if func == "array_upper" {
                    a.upper()
                } else {
                    a.lower
                })
            } else {
                Datum::Null
            }
        }
        ("cardinality", [a]) => Datum::Int4(array(a)?.elems.len() as i32),
        ("array_ndims", [a]) => {
            if array(a)?.elems.is_empty() {
                Datum::Null
            } else {
                Datum::Int4(1)
            }
        }
        ("array_dims", [a]) => {
            let a = array(a)?;
            if a.elems.is_empty() {
                Datum::Null
            } else {
                Datum::Text(format!("[{}:{}]", a.lower, a.upper()))
            }
        }
        ("array_to_string", [Datum::Null, ..] | [_, Datum::Null, ..]) => Datum::Null,
        ("array_to_string", [a, Datum::Text(delim), rest @ ..]) => {
            let null_text = match rest {
                [Datum::Text(n)] => Some(n.as_str()),
                _ => None,
            };
            let mut parts = Vec::new();
            for e in &array(a)?.elems {
                if e.is_null() {
                    if let Some(n) = null_text {
                        parts.push(n.to_string());
                    }
                } else {
                    parts.push(e.to_text(opts));
                }
            }
            Datum::Text(parts.join(delim))
        }
        ("string_to_array", [Datum::Null, ..]) => Datum::Null,
        ("string_to_array", [Datum::Text(s), delim, rest @ ..]) => {
            let null_text = match rest {
                [Datum::Text(n)] => Some(n.as_str()),
                _ => None,
            };
            let pieces: Vec<String> = match delim {
                _ if s.is_empty() => Vec::new(),
                Datum::Null => s.chars().map(String::from).collect(),
                Datum::Text(d) if d.is_empty() => vec![s.clone()],
                Datum::Text(d) => s.split(d.as_str()).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let elems = pieces
                .into_iter()
                .map(|p| {
                    if null_text == Some(p.as_str()) {
                        Datum::Null
                    } else {
                        Datum::Text(p)
                    }
                })
                .collect();
            Datum::Array(Box::new(ArrayValue::new(oid::TEXT, elems)))
        }
        ("array_append", [a, e]) => {
            let mut v = match a {
                Datum::Null => ArrayValue::new(elem_of(ret), Vec::new()),
                a => array(a)?.clone(),
            };
            v.elems.push(e.clone());
            Datum::Array(Box::new(v))
        }
        ("array_prepend", [e, a]) => {
            let mut v = match a {
                Datum::Null => ArrayValue::new(elem_of(ret), Vec::new()),
                a => array(a)?.clone(),
            };
            v.elems.insert(0, e.clone());
            Datum::Array(Box::new(v))
        }
        ("array_cat", [Datum::Null, Datum::Null]) => Datum::Null,
        ("array_cat", [Datum::Null, b]) => b.clone(),
        ("array_cat", [a, Datum::Null]) => a.clone(),
        ("array_cat", [a, b]) => {
            let mut v = array(a)?.clone();
            let b = array(b)?;
            if v.elems.is_empty() {
                v.lower = b.lower;
            }
            v.elems.extend(b.elems.iter().cloned());
            Datum::Array(Box::new(v))
        }
        ("array_position", [Datum::Null, _]) => Datum::Null,
        ("array_position", [a, e]) => {
            let a = array(a)?;
            let mut found = Datum::Null;
            for (i, x) in a.elems.iter().enumerate() {
                let same = if e.is_null() {
                    x.is_null()
                } else {
                    equal(x, e)?
                };
                if same {
                    found = Datum::Int4(a.lower + i as i32);
                    break;
                }
            }
            found
        }
        ("array_remove", [Datum::Null, _]) => Datum::Null,
        ("array_remove", [a, e]) => {
            let a = array(a)?;
            let mut elems = Vec::new();
            for x in &a.elems {
                let same = if e.is_null() {
                    x.is_null()
                } else {
                    equal(x, e)?
                };
                if !same {
                    elems.push(x.clone());
                }
            }
            Datum::Array(Box::new(ArrayValue::new(a.elem_type, elems)))
        }
        ("array_contains" | "array_contained" | "array_overlap", [a, b]) => {
            let (a, b) = (array(a)?, array(b)?);
            let contains = |outer: &ArrayValue, inner: &ArrayValue| -> PgResult<bool> {
                for x in &inner.elems {
                    let mut hit = false;
                    for y in &outer.elems {
                        if equal(x, y)? {
                            hit = true;
                            break;
                        }
                    }
                    if !hit {
                        return Ok(false);
                    }
                }
                Ok(true)
            };
            Datum::Bool(match func {
                "array_contains" => contains(a, b)?,
                "array_contained" => contains(b, a)?,
                _ => {
                    let mut any = false;
                    'outer: for x in &a.elems {
                        for y in &b.elems {
                            if equal(x, y)? {
                                any = true;
                                break 'outer;
                            }
                        }
                    }
                    any
                }
            })
        }
        _ => return Ok(None),
    }))
}
