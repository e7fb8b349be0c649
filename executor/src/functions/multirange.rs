//! The multirange functions and operators (PostgreSQL's
//! `multirangetypes.c`): constructors, bound accessors, the predicates
//! between any two of element, range and multirange, and union,
//! intersection and difference. A range operand is treated as the
//! multirange of its one member (none if it is empty), which gives
//! PostgreSQL's answers for the mixed operators too.

use std::borrow::Cow;
use std::cmp::Ordering;

use types::datum::MultirangeValue;
use types::datum::range::{
    RangeBound, RangeValue, bounds_adjacent, cmp_bounds, contains, contains_elem, intersect, minus,
    overlaps,
};
use types::{Datum, PgError, PgResult, SqlState, oid};

use super::arg;

/// A range or multirange argument as a multirange.
fn multi(args: &[Datum], n: usize) -> PgResult<Cow<'_, MultirangeValue>> {
    match arg(args, n)? {
        Datum::Multirange(m) => Ok(Cow::Borrowed(m)),
        Datum::Range(r) => Ok(Cow::Owned(single(r)?)),
        other => Err(PgError::internal(format!(
            "expected a multirange argument, got {other:?}"
        ))),
    }
}

/// The multirange of one range.
fn single(r: &RangeValue) -> PgResult<MultirangeValue> {
    let t = oid::multirange_of(r.range_type).ok_or_else(|| {
        PgError::internal(format!(
            "no multirange type over {}",
            oid::type_name(r.range_type)
        ))
    })?;
    MultirangeValue::new(t, vec![r.clone()])
}

fn first(m: &MultirangeValue) -> Option<&RangeValue> {
    m.ranges.first()
}

fn last(m: &MultirangeValue) -> Option<&RangeValue> {
    m.ranges.last()
}

/// Calls multirange function `func`, or returns `None` if it is not one.
pub fn call(func: &str, args: &[Datum], ret: u32) -> PgResult<Option<Datum>> {
    let b = |v: bool| Ok(Some(Datum::Bool(v)));
    let mr = |m: MultirangeValue| Ok(Some(Datum::Multirange(Box::new(m))));
    match func {
        "multirange_constructor" => {
            let mut ranges = Vec::with_capacity(args.len());
            for a in args {
                match a {
                    Datum::Range(r) => ranges.push((**r).clone()),
                    Datum::Null => {
                        return Err(PgError::new(
                            SqlState::NullValueNotAllowed,
                            "multirange values cannot contain null members",
                        ));
                    }
                    other => {
                        return Err(PgError::internal(format!("multirange member {other:?}")));
                    }
                }
            }
            mr(MultirangeValue::new(ret, ranges)?)
        }
        "multirange_of_range" => mr(multi(args, 0)?.into_owned()),
        "multirange_lower" | "multirange_upper" => {
            let m = multi(args, 0)?;
            let bound = if func == "multirange_lower" {
                first(&m).map(|r| &r.lower)
            } else {
                last(&m).map(|r| &r.upper)
            };
            Ok(Some(
                bound.and_then(|b| b.value.clone()).unwrap_or(Datum::Null),
            ))
        }
        "multirange_isempty" => b(multi(args, 0)?.is_empty()),
        "multirange_lower_inc" => b(first(&*multi(args, 0)?).is_some_and(|r| r.lower.inclusive)),
        "multirange_upper_inc" => b(last(&*multi(args, 0)?).is_some_and(|r| r.upper.inclusive)),
        "multirange_lower_inf" => {
            b(first(&*multi(args, 0)?).is_some_and(|r| r.lower.value.is_none()))
        }
        "multirange_upper_inf" => {
            b(last(&*multi(args, 0)?).is_some_and(|r| r.upper.value.is_none()))
        }
        "multirange_merge" => {
            let m = multi(args, 0)?;
            let r = match (first(&m), last(&m)) {
                (Some(f), Some(l)) => {
                    RangeValue::make(f.range_type, f.lower.clone(), l.upper.clone())?
                }
                _ => RangeValue::empty(ret),
            };
            Ok(Some(Datum::Range(Box::new(r))))
        }
        "multirange_cmp" => {
            let o = multi(args, 0)?.compare(&*multi(args, 1)?)?;
            Ok(Some(Datum::Int4(o as i32)))
        }
        "mr_contains_elem" => b(multi_contains_elem(&*multi(args, 0)?, arg(args, 1)?)?),
        "elem_contained_by_mr" => b(multi_contains_elem(&*multi(args, 1)?, arg(args, 0)?)?),
        "mr_contains" => b(multi_contains(&*multi(args, 0)?, &*multi(args, 1)?)?),
        "mr_contained_by" => b(multi_contains(&*multi(args, 1)?, &*multi(args, 0)?)?),
        "mr_overlaps" => {
            let (x, y) = (multi(args, 0)?, multi(args, 1)?);
            for a in &x.ranges {
                for c in &y.ranges {
                    if overlaps(a, c)? {
                        return b(true);
                    }
                }
            }
            b(false)
        }
        "mr_before" | "mr_after" | "mr_overleft" | "mr_overright" | "mr_adjacent" => {
            let (x, y) = (multi(args, 0)?, multi(args, 1)?);
            let (Some(xf), Some(xl), Some(yf), Some(yl)) =
                (first(&x), last(&x), first(&y), last(&y))
            else {
                return b(false);
            };
            b(match func {
                "mr_before" => cmp_bounds(&xl.upper, &yf.lower)? == Ordering::Less,
                "mr_after" => cmp_bounds(&xf.lower, &yl.upper)? == Ordering::Greater,
                "mr_overleft" => cmp_bounds(&xl.upper, &yl.upper)? != Ordering::Greater,
                "mr_overright" => cmp_bounds(&xf.lower, &yf.lower)? != Ordering::Less,
                _ => {
                    bounds_adjacent(xl.range_type, &xl.upper, &yf.lower)?
                        || bounds_adjacent(xl.range_type, &yl.upper, &xf.lower)?
                }
            })
        }
        "multirange_union" => {
            let (x, y) = (multi(args, 0)?, multi(args, 1)?);
            let all = x.ranges.iter().chain(&y.ranges).cloned().collect();
            mr(MultirangeValue::new(x.multirange_type, all)?)
        }
        "multirange_intersect" => {
            let (x, y) = (multi(args, 0)?, multi(args, 1)?);
            mr(multi_intersect(&x, &y)?)
        }
        "multirange_minus" => {
            let (x, y) = (multi(args, 0)?, multi(args, 1)?);
            mr(multi_minus(&x, &y)?)
        }
        _ => Ok(None),
    }
}

fn multi_contains_elem(m: &MultirangeValue, v: &Datum) -> PgResult<bool> {
    for r in &m.ranges {
        if contains_elem(r, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Every member of `y` lies within one member of `x` (members of a
/// canonical multirange neither overlap nor touch).
fn multi_contains(x: &MultirangeValue, y: &MultirangeValue) -> PgResult<bool> {
    'members: for c in &y.ranges {
        for a in &x.ranges {
            if contains(a, c)? {
                continue 'members;
            }
        }
        return Ok(false);
    }
    Ok(true)
}

/// `x * y`: the pairwise intersections of the members.
pub fn multi_intersect(x: &MultirangeValue, y: &MultirangeValue) -> PgResult<MultirangeValue> {
    let mut out = Vec::new();
    for a in &x.ranges {
        for c in &y.ranges {
            let i = intersect(a, c)?;
            if !i.empty {
                out.push(i);
            }
        }
    }
    MultirangeValue::new(x.multirange_type, out)
}

/// `x - y`: each member of `x` with every member of `y` cut out of it.
fn multi_minus(x: &MultirangeValue, y: &MultirangeValue) -> PgResult<MultirangeValue> {
    let mut out = Vec::new();
    for a in &x.ranges {
        let mut pieces = vec![a.clone()];
        for c in &y.ranges {
            let mut next = Vec::with_capacity(pieces.len() + 1);
            for p in pieces {
                next.extend(split_minus(&p, c)?);
            }
            pieces = next;
        }
        out.extend(pieces);
    }
    MultirangeValue::new(x.multirange_type, out)
}

/// `p - c` as up to two ranges (the range difference, which fails when
/// `c` lies strictly inside `p`, split in two instead).
fn split_minus(p: &RangeValue, c: &RangeValue) -> PgResult<Vec<RangeValue>> {
    if !p.empty
        && !c.empty
        && cmp_bounds(&p.lower, &c.lower)? == Ordering::Less
        && cmp_bounds(&p.upper, &c.upper)? == Ordering::Greater
    {
        let left_upper = RangeBound {
            inclusive: !c.lower.inclusive,
            lower: false,
            ..c.lower.clone()
        };
        let right_lower = RangeBound {
            inclusive: !c.upper.inclusive,
            lower: true,
            ..c.upper.clone()
        };
        return Ok(vec![
            RangeValue::make(p.range_type, p.lower.clone(), left_upper)?,
            RangeValue::make(p.range_type, right_lower, p.upper.clone())?,
        ]);
    }
    let d = minus(p, c)?;
    Ok(if d.empty { vec![] } else { vec![d] })
}
