//! Array functions and operators (PostgreSQL's `arrayfuncs.c`,
//! `array_userfuncs.c`): construction, subscripts and slices, the
//! dimension functions, `array_to_string` / `string_to_array`, append,
//! prepend, concatenation, position and removal, containment and overlap.
//! Arrays have up to six dimensions (see `types::datum::array`); the
//! functions that only make sense on one (append, position, removal)
//! refuse more as PostgreSQL does.

use types::datum::array::ArrayDim;
use types::datum::{ArrayValue, OutputOptions};
use types::{Datum, PgError, PgResult, SqlState, oid};

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
        ("array_stack", subs) => array_stack(elem_of(ret), subs)?,
        ("width_bucket", [x, thresholds]) => {
            let t = array(thresholds)?;
            if t.ndim() > 1 {
                return Err(PgError::new(
                    SqlState::ArraySubscriptError,
                    "thresholds must be one-dimensional array",
                ));
            }
            if t.elems.iter().any(Datum::is_null) {
                return Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "thresholds array must not contain NULLs",
                ));
            }
            // A binary search for the first threshold above `x`, trusting
            // that the thresholds are sorted as PostgreSQL does.
            let (mut lo, mut hi) = (0usize, t.elems.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if compare(x, &t.elems[mid])?.is_lt() {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            Datum::Int4(i32::try_from(lo).unwrap_or(i32::MAX))
        }
        ("array_subscript", [a, subscripts @ ..]) => {
            let a = array(a)?;
            let dims = a.dims();
            if subscripts.len() != dims.len() {
                return Ok(Some(Datum::Null));
            }
            // The element's offset in row-major order.
            let mut offset = 0usize;
            for (d, i) in dims.iter().zip(subscripts) {
                let Datum::Int4(i) = i else {
                    return Ok(Some(Datum::Null));
                };
                let k = i64::from(*i) - i64::from(d.lower);
                if k < 0 || k >= i64::from(d.len) {
                    return Ok(Some(Datum::Null));
                }
                offset = offset * d.len as usize + k as usize;
            }
            a.elems.get(offset).cloned().unwrap_or(Datum::Null)
        }
        ("array_assign", [a, value, subscripts @ ..]) => {
            assign_element(a, elem_of(ret), value, subscripts)?
        }
        ("array_assign_slice", [a, value, Datum::Int4(given), bounds @ ..]) => {
            assign_slice(a, elem_of(ret), value, *given, bounds)?
        }
        ("array_slice", [Datum::Null, ..]) => Datum::Null,
        ("array_slice", [a, Datum::Int4(given), bounds @ ..]) => {
            // A NULL bound written makes the slice NULL.
            let null_given = bounds
                .iter()
                .enumerate()
                .any(|(j, b)| given & (1 << j) != 0 && b.is_null());
            if null_given {
                Datum::Null
            } else {
                array_slice(array(a)?, bounds)
            }
        }
        ("array_length" | "array_upper" | "array_lower", [a, Datum::Int4(d)]) => {
            let dims = array(a)?.dims();
            match usize::try_from(*d)
                .ok()
                .and_then(|d| d.checked_sub(1))
                .and_then(|d| dims.get(d))
            {
                Some(dim) => Datum::Int4(match func {
                    "array_length" => dim.len,
                    "array_upper" => dim.upper(),
                    _ => dim.lower,
                }),
                None => Datum::Null,
            }
        }
        ("cardinality", [a]) => Datum::Int4(array(a)?.elems.len() as i32),
        ("array_ndims", [a]) => match array(a)?.ndim() {
            0 => Datum::Null,
            n => Datum::Int4(n as i32),
        },
        ("array_dims", [a]) => {
            let dims = array(a)?.dims();
            if dims.is_empty() {
                Datum::Null
            } else {
                Datum::Text(
                    dims.iter()
                        .map(|d| format!("[{}:{}]", d.lower, d.upper()))
                        .collect(),
                )
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
                a => one_dimensional(array(a)?)?.clone(),
            };
            v.elems.push(e.clone());
            Datum::Array(Box::new(v))
        }
        ("array_prepend", [e, a]) => {
            let mut v = match a {
                Datum::Null => ArrayValue::new(elem_of(ret), Vec::new()),
                a => one_dimensional(array(a)?)?.clone(),
            };
            v.elems.insert(0, e.clone());
            Datum::Array(Box::new(v))
        }
        ("array_cat", [Datum::Null, Datum::Null]) => Datum::Null,
        ("array_cat", [Datum::Null, b]) => b.clone(),
        ("array_cat", [a, Datum::Null]) => a.clone(),
        ("array_cat", [a, b]) => array_cat(array(a)?, array(b)?)?,
        ("array_fill", [v, dims, rest @ ..]) => array_fill(elem_of(ret), v, dims, rest.first())?,
        ("array_replace", [Datum::Null, ..]) => Datum::Null,
        ("array_replace", [a, from, to]) => {
            let a = array(a)?;
            let mut out = a.clone();
            for x in &mut out.elems {
                let same = if from.is_null() {
                    x.is_null()
                } else {
                    equal(x, from)?
                };
                if same {
                    *x = to.clone();
                }
            }
            Datum::Array(Box::new(out))
        }
        ("trim_array", [a, Datum::Int4(n)]) => {
            let a = array(a)?;
            let len = a.dims().first().map_or(0, |d| d.len);
            if *n < 0 || *n > len {
                return Err(subscript_error(&format!(
                    "number of elements to trim must be between 0 and {len}"
                )));
            }
            // The slice up to the last n entries of the first dimension.
            let upper = a.lower + (len - *n) - 1;
            array_slice(a, &[Datum::Int4(a.lower), Datum::Int4(upper)])
        }
        ("array_positions", [Datum::Null, _]) => Datum::Null,
        ("array_positions", [a, e]) => {
            let a = array(a)?;
            if a.ndim() > 1 {
                return Err(PgError::feature_not_supported(
                    "searching for elements in multidimensional arrays",
                ));
            }
            let mut found = Vec::new();
            for (i, x) in a.elems.iter().enumerate() {
                let same = if e.is_null() {
                    x.is_null()
                } else {
                    equal(x, e)?
                };
                if same {
                    found.push(Datum::Int4(a.lower + i as i32));
                }
            }
            Datum::Array(Box::new(ArrayValue::new(oid::INT4, found)))
        }
        ("array_position", [_, _, Datum::Null]) => {
            return Err(PgError::new(
                SqlState::NullValueNotAllowed,
                "initial position must not be null",
            ));
        }
        ("array_position", [Datum::Null, _, _]) => Datum::Null,
        ("array_position", [a, e, Datum::Int4(start)]) => {
            let a = array(a)?;
            if a.ndim() > 1 {
                return Err(PgError::feature_not_supported(
                    "searching for elements in multidimensional arrays",
                ));
            }
            let mut found = Datum::Null;
            for (i, x) in a.elems.iter().enumerate() {
                let at = a.lower + i as i32;
                if at < *start {
                    continue;
                }
                let same = if e.is_null() {
                    x.is_null()
                } else {
                    equal(x, e)?
                };
                if same {
                    found = Datum::Int4(at);
                    break;
                }
            }
            found
        }
        ("array_position", [Datum::Null, _]) => Datum::Null,
        ("array_position", [a, e]) => {
            let a = array(a)?;
            if a.ndim() > 1 {
                return Err(PgError::feature_not_supported(
                    "searching for elements in multidimensional arrays",
                ));
            }
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
            if a.ndim() > 1 {
                return Err(PgError::feature_not_supported(
                    "removing elements from multidimensional arrays",
                ));
            }
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

/// `array_append` / `array_prepend` take an empty or one-dimensional array.
fn one_dimensional(a: &ArrayValue) -> PgResult<&ArrayValue> {
    if a.ndim() > 1 {
        return Err(PgError::new(
            SqlState::DataException,
            "argument must be empty or one-dimensional array",
        ));
    }
    Ok(a)
}

/// `ARRAY[sub, ...]` over sub-arrays: NULL and empty ones are allowed only
/// if all are (the result is then empty), as in PostgreSQL's
/// `ExecEvalArrayExpr`.
fn array_stack(elem_type: u32, subs: &[Datum]) -> PgResult<Datum> {
    let mismatch = || {
        PgError::new(
            SqlState::ArraySubscriptError,
            "multidimensional arrays must have array expressions with matching dimensions",
        )
    };
    let mut arrays = Vec::with_capacity(subs.len());
    let mut have_empty = false;
    for s in subs {
        match s {
            Datum::Array(a) if !a.elems.is_empty() => arrays.push(a.as_ref()),
            _ => have_empty = true,
        }
    }
    if have_empty && !arrays.is_empty() {
        return Err(mismatch());
    }
    Ok(Datum::Array(Box::new(ArrayValue::stack(
        elem_type, &arrays, mismatch,
    )?)))
}

/// `a[l:u][l:u]...`: `bounds` holds a lower and an upper bound per
/// subscript (NULL for one left out). Dimensions without a subscript are
/// taken whole; the result's lower bounds are 1, and it is empty if any
/// range misses the array.
fn array_slice(a: &ArrayValue, bounds: &[Datum]) -> Datum {
    let dims = a.dims();
    let wanted = bounds.len() / 2;
    if dims.is_empty() || wanted > dims.len() {
        return Datum::Array(Box::new(ArrayValue::new(a.elem_type, Vec::new())));
    }
    // Per dimension, the zero-based range of offsets kept.
    let mut ranges = Vec::with_capacity(dims.len());
    for (k, d) in dims.iter().enumerate() {
        let bound = |i: usize, default: i32| match bounds.get(i) {
            Some(Datum::Int4(v)) if k < wanted => i64::from(*v),
            _ => i64::from(default),
        };
        let lo = bound(2 * k, d.lower).max(i64::from(d.lower));
        let hi = bound(2 * k + 1, d.upper()).min(i64::from(d.upper()));
        if lo > hi {
            return Datum::Array(Box::new(ArrayValue::new(a.elem_type, Vec::new())));
        }
        ranges.push(((lo - i64::from(d.lower)) as usize, (hi - lo + 1) as usize));
    }
    // Walk the kept positions in row-major order.
    let lens: Vec<usize> = dims.iter().map(|d| d.len as usize).collect();
    let total: usize = ranges.iter().map(|r| r.1).product();
    let mut elems = Vec::with_capacity(total);
    let mut at = vec![0usize; ranges.len()];
    for _ in 0..total {
        let mut offset = 0usize;
        for (k, r) in ranges.iter().enumerate() {
            offset = offset * lens[k] + r.0 + at[k];
        }
        elems.push(a.elems.get(offset).cloned().unwrap_or(Datum::Null));
        for k in (0..at.len()).rev() {
            at[k] += 1;
            if at[k] < ranges[k].1 {
                break;
            }
            at[k] = 0;
        }
    }
    let out_dims: Vec<ArrayDim> = ranges
        .iter()
        .map(|r| ArrayDim {
            len: r.1 as i32,
            lower: 1,
        })
        .collect();
    Datum::Array(Box::new(ArrayValue::with_dims(
        a.elem_type,
        &out_dims,
        elems,
    )))
}

/// `array_cat` / `||` of two arrays: of equal dimensions, along the first;
/// of one dimension less, as one more entry of the first dimension (as
/// PostgreSQL's `array_cat`).
fn array_cat(a: &ArrayValue, b: &ArrayValue) -> PgResult<Datum> {
    let incompatible = |detail: String| {
        PgError::new(
            SqlState::ArraySubscriptError,
            "cannot concatenate incompatible arrays",
        )
        .with_detail(detail)
    };
    let (da, db) = (a.dims(), b.dims());
    if db.is_empty() {
        return Ok(Datum::Array(Box::new(a.clone())));
    }
    if da.is_empty() {
        return Ok(Datum::Array(Box::new(b.clone())));
    }
    let mut elems = a.elems.clone();
    elems.extend(b.elems.iter().cloned());
    let dims = if da.len() == db.len() {
        if da[1..] != db[1..] {
            return Err(incompatible(
                "Arrays with differing element dimensions are not compatible for concatenation."
                    .into(),
            ));
        }
        let mut dims = da.clone();
        dims[0].len += db[0].len;
        dims
    } else if da.len() + 1 == db.len() {
        if da[..] != db[1..] {
            return Err(incompatible(
                "Arrays with differing dimensions are not compatible for concatenation.".into(),
            ));
        }
        let mut dims = db.clone();
        dims[0].len += 1;
        dims
    } else if da.len() == db.len() + 1 {
        if da[1..] != db[..] {
            return Err(incompatible(
                "Arrays with differing dimensions are not compatible for concatenation.".into(),
            ));
        }
        let mut dims = da.clone();
        dims[0].len += 1;
        dims
    } else {
        return Err(incompatible(format!(
            "Arrays of {} and {} dimensions are not compatible for concatenation.",
            da.len(),
            db.len()
        )));
    };
    Ok(Datum::Array(Box::new(ArrayValue::with_dims(
        a.elem_type,
        &dims,
        elems,
    ))))
}

/// PostgreSQL's `MaxArraySize`: the most elements an array holds.
const MAX_ARRAY_SIZE: i64 = 134_217_727;

/// 54000 unless dimensions of these lengths and lower bounds fit: at most
/// [`MAX_ARRAY_SIZE`] elements and every upper bound an int4.
fn check_size(dims: &[(i64, i64)]) -> PgResult<()> {
    let mut total: i64 = 1;
    for &(len, lower) in dims {
        total = total.saturating_mul(len.max(0));
        if len > i64::from(i32::MAX)
            || lower + len - 1 > i64::from(i32::MAX)
            || total > MAX_ARRAY_SIZE
        {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                format!("array size exceeds the maximum allowed ({MAX_ARRAY_SIZE})"),
            ));
        }
    }
    Ok(())
}

fn subscript_error(message: &str) -> PgError {
    PgError::new(SqlState::ArraySubscriptError, message.to_string())
}

/// A subscript of an assignment (`SET a[i] = x`), which must not be NULL.
fn assignment_subscript(d: &Datum) -> PgResult<i32> {
    match d {
        Datum::Int4(i) => Ok(*i),
        _ => Err(PgError::new(
            SqlState::NullValueNotAllowed,
            "array subscript in assignment must not be null",
        )),
    }
}

/// The row-major offset of a position (zero-based per dimension).
fn offset_of(lens: &[usize], at: &[usize]) -> usize {
    lens.iter().zip(at).fold(0, |o, (len, i)| o * len + i)
}

/// The array of `dims` whose element at each position is `f(position)`
/// (positions as subscripts).
fn build(elem_type: u32, dims: &[ArrayDim], mut f: impl FnMut(&[i64]) -> Datum) -> ArrayValue {
    let total: usize = dims.iter().map(|d| d.len.max(0) as usize).product();
    let mut elems = Vec::with_capacity(total);
    let mut at: Vec<i64> = dims.iter().map(|d| i64::from(d.lower)).collect();
    for _ in 0..total {
        elems.push(f(&at));
        for k in (0..at.len()).rev() {
            at[k] += 1;
            if at[k] <= i64::from(dims[k].upper()) {
                break;
            }
            at[k] = i64::from(dims[k].lower);
        }
    }
    ArrayValue::with_dims(elem_type, dims, elems)
}

/// The element of `a` at the subscripts `at`, NULL outside it.
fn element_at(a: &ArrayValue, dims: &[ArrayDim], at: &[i64]) -> Datum {
    let mut offset = 0usize;
    for (d, &i) in dims.iter().zip(at) {
        let k = i - i64::from(d.lower);
        if k < 0 || k >= i64::from(d.len) {
            return Datum::Null;
        }
        offset = offset * d.len as usize + k as usize;
    }
    a.elems.get(offset).cloned().unwrap_or(Datum::Null)
}

/// `SET a[i][j] = x` (PostgreSQL's `array_set_element`): a NULL array is an
/// empty one, which becomes an array of that one element; a
/// one-dimensional array grows to take the subscript (NULLs in any gap);
/// a larger one must hold it.
fn assign_element(a: &Datum, elem_type: u32, value: &Datum, subs: &[Datum]) -> PgResult<Datum> {
    let subs = subs
        .iter()
        .map(assignment_subscript)
        .collect::<PgResult<Vec<i32>>>()?;
    let empty = ArrayValue::new(elem_type, Vec::new());
    let a = match a {
        Datum::Array(a) => a.as_ref(),
        _ => &empty,
    };
    let dims = a.dims();
    if dims.is_empty() {
        let dims: Vec<ArrayDim> = subs
            .iter()
            .map(|&i| ArrayDim { len: 1, lower: i })
            .collect();
        return Ok(Datum::Array(Box::new(ArrayValue::with_dims(
            elem_type,
            &dims,
            vec![value.clone()],
        ))));
    }
    if dims.len() != subs.len() {
        return Err(subscript_error("wrong number of array subscripts"));
    }
    if dims.len() > 1 {
        let lens: Vec<usize> = dims.iter().map(|d| d.len as usize).collect();
        let mut at = Vec::with_capacity(dims.len());
        for (d, &i) in dims.iter().zip(&subs) {
            if i < d.lower || i > d.upper() {
                return Err(subscript_error("array subscript out of range"));
            }
            at.push((i - d.lower) as usize);
        }
        let mut out = a.clone();
        out.elems[offset_of(&lens, &at)] = value.clone();
        return Ok(Datum::Array(Box::new(out)));
    }
    let i = subs[0];
    let d = dims[0];
    let lower = i64::from(d.lower.min(i));
    check_size(&[(i64::from(d.upper().max(i)) - lower + 1, lower)])?;
    let new = [ArrayDim {
        lower: d.lower.min(i),
        len: (i64::from(d.upper().max(i)) - i64::from(d.lower.min(i)) + 1) as i32,
    }];
    let out = build(elem_type, &new, |at| {
        if at[0] == i64::from(i) {
            value.clone()
        } else {
            element_at(a, &dims, at)
        }
    });
    Ok(Datum::Array(Box::new(out)))
}

/// `SET a[l:u][l:u] = array` (PostgreSQL's `array_set_slice`): `bounds`
/// holds a lower and upper bound per subscript, bit `2k` of `given` saying
/// whether dimension k's lower one was written and bit `2k + 1` its upper
/// one. The source's elements fill the slice in row-major order.
fn assign_slice(
    a: &Datum,
    elem_type: u32,
    value: &Datum,
    given: i32,
    bounds: &[Datum],
) -> PgResult<Datum> {
    let n = bounds.len() / 2;
    let mut wanted: Vec<(Option<i32>, Option<i32>)> = Vec::with_capacity(n);
    for k in 0..n {
        let bound = |j: usize| -> PgResult<Option<i32>> {
            if given & (1 << j) == 0 {
                return Ok(None);
            }
            assignment_subscript(&bounds[j]).map(Some)
        };
        wanted.push((bound(2 * k)?, bound(2 * k + 1)?));
    }
    let empty = ArrayValue::new(elem_type, Vec::new());
    let a = match a {
        Datum::Array(a) => a.as_ref(),
        _ => &empty,
    };
    // A NULL source leaves the array as it was.
    let Datum::Array(source) = value else {
        return Ok(Datum::Array(Box::new(a.clone())));
    };
    let dims = a.dims();
    if dims.is_empty() {
        let mut new = Vec::with_capacity(n);
        for w in &wanted {
            let (Some(lo), Some(hi)) = *w else {
                return Err(subscript_error("array slice subscript must provide both boundaries")
                    .with_detail(
                        "When assigning to a slice of an empty array value, slice boundaries must be fully specified.",
                    ));
            };
            let len = i64::from(hi) - i64::from(lo) + 1;
            check_size(&[(len, i64::from(lo))])?;
            if len < 1 {
                return Err(subscript_error(
                    "upper bound cannot be less than lower bound",
                ));
            }
            new.push(ArrayDim {
                len: len as i32,
                lower: lo,
            });
        }
        let total: usize = new.iter().map(|d| d.len as usize).product();
        if source.elems.len() < total {
            return Err(subscript_error("source array too small"));
        }
        return Ok(Datum::Array(Box::new(ArrayValue::with_dims(
            elem_type,
            &new,
            source.elems[..total].to_vec(),
        ))));
    }
    if dims.len() < n {
        return Err(subscript_error("wrong number of array subscripts"));
    }
    // The slice's range per dimension, and the array's new dimensions (a
    // one-dimensional array grows to take the slice).
    let mut ranges = Vec::with_capacity(dims.len());
    let mut new = dims.clone();
    for (k, d) in dims.iter().enumerate() {
        let (lo, hi) = wanted.get(k).copied().unwrap_or((None, None));
        let lo = lo.unwrap_or(d.lower);
        let hi = hi.unwrap_or(d.upper());
        if lo > hi {
            return Err(subscript_error(
                "upper bound cannot be less than lower bound",
            ));
        }
        if dims.len() == 1 {
            let lower = d.lower.min(lo);
            let upper = d.upper().max(hi);
            check_size(&[(i64::from(upper) - i64::from(lower) + 1, i64::from(lower))])?;
            new[0] = ArrayDim {
                lower,
                len: (i64::from(upper) - i64::from(lower) + 1) as i32,
            };
        } else if lo < d.lower || hi > d.upper() {
            return Err(subscript_error("array subscript out of range"));
        }
        ranges.push((lo, hi));
    }
    let total: usize = ranges
        .iter()
        .map(|(lo, hi)| (i64::from(*hi) - i64::from(*lo) + 1) as usize)
        .product();
    if source.elems.len() < total {
        return Err(subscript_error("source array too small"));
    }
    // The slice's positions come in row-major order, as the source's
    // elements do.
    let lens: Vec<usize> = ranges
        .iter()
        .map(|(lo, hi)| (i64::from(*hi) - i64::from(*lo) + 1) as usize)
        .collect();
    let out = build(elem_type, &new, |at| {
        let inside = at
            .iter()
            .zip(&ranges)
            .all(|(&i, (lo, hi))| i >= i64::from(*lo) && i <= i64::from(*hi));
        if inside {
            let pos: Vec<usize> = at
                .iter()
                .zip(&ranges)
                .map(|(&i, (lo, _))| (i - i64::from(*lo)) as usize)
                .collect();
            source.elems[offset_of(&lens, &pos)].clone()
        } else {
            element_at(a, &dims, at)
        }
    });
    Ok(Datum::Array(Box::new(out)))
}

/// `array_fill(v, dims [, lower bounds])`: an array of those dimensions
/// with every element `v`.
fn array_fill(elem_type: u32, v: &Datum, dims: &Datum, lbs: Option<&Datum>) -> PgResult<Datum> {
    let null_arrays = || {
        PgError::new(
            SqlState::NullValueNotAllowed,
            "dimension array or low bound array cannot be null",
        )
    };
    let wrong = |detail: &str| {
        subscript_error("wrong number of array subscripts").with_detail(detail.to_string())
    };
    // The values of a one-dimensional int4[] argument, which must hold no
    // NULL.
    let values = |d: &Datum, detail: &str| -> PgResult<Vec<i32>> {
        let Datum::Array(a) = d else {
            return Err(null_arrays());
        };
        if a.ndim() > 1 {
            return Err(wrong(detail));
        }
        a.elems
            .iter()
            .map(|e| match e {
                Datum::Int4(i) => Ok(*i),
                _ => Err(PgError::new(
                    SqlState::NullValueNotAllowed,
                    "dimension values cannot be null",
                )),
            })
            .collect()
    };
    let lens = values(dims, "Dimension array must be one dimensional.")?;
    let lowers = match lbs {
        None => vec![1; lens.len()],
        Some(l) => {
            let l = values(l, "Low bound array must be one dimensional.")?;
            if l.len() != lens.len() {
                return Err(wrong(
                    "Low bound array has different size than dimensions array.",
                ));
            }
            l
        }
    };
    if lens.len() > types::datum::array::MAX_DIMS {
        return Err(types::datum::array::too_many_dims(lens.len()));
    }
    let sized: Vec<(i64, i64)> = lens
        .iter()
        .zip(&lowers)
        .map(|(&n, &l)| (i64::from(n), i64::from(l)))
        .collect();
    if lens.iter().any(|&n| n < 0) {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            format!("array size exceeds the maximum allowed ({MAX_ARRAY_SIZE})"),
        ));
    }
    check_size(&sized)?;
    let dims: Vec<ArrayDim> = lens
        .iter()
        .zip(&lowers)
        .map(|(&len, &lower)| ArrayDim { len, lower })
        .collect();
    let total: usize = lens.iter().map(|&n| n as usize).product();
    if lens.is_empty() || total == 0 {
        return Ok(Datum::Array(Box::new(ArrayValue::new(
            elem_type,
            Vec::new(),
        ))));
    }
    Ok(Datum::Array(Box::new(ArrayValue::with_dims(
        elem_type,
        &dims,
        vec![v.clone(); total],
    ))))
}
