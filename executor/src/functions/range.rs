//! The range functions and operators (PostgreSQL's `rangetypes.c`): the
//! constructors, bound accessors, the predicates between two ranges or a
//! range and an element, and union, intersection and difference. The
//! value, its I/O and its order live in `types::datum::range`.

use std::cmp::Ordering;

use types::datum::range::{RangeBound, RangeValue, cmp_bound_values, cmp_bounds};
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;

fn range_arg(args: &[Datum], n: usize) -> PgResult<&RangeValue> {
    match arg(args, n)? {
        Datum::Range(r) => Ok(r),
        other => Err(PgError::internal(format!(
            "expected a range argument, got {other:?}"
        ))),
    }
}

fn data_exception(message: &str) -> PgError {
    PgError::new(SqlState::DataException, message)
}

/// Calls range function `func`, or returns `None` if it is not one.
pub fn call(func: &str, args: &[Datum], ret: u32) -> PgResult<Option<Datum>> {
    let b = |v: bool| Ok(Some(Datum::Bool(v)));
    let range = |r: RangeValue| Ok(Some(Datum::Range(Box::new(r))));
    match func {
        "range_constructor" => range(construct(args, ret)?),
        "range_lower" | "range_upper" => {
            let r = range_arg(args, 0)?;
            let bound = if func == "range_lower" {
                &r.lower
            } else {
                &r.upper
            };
            Ok(Some(match (&bound.value, r.empty) {
                (Some(v), false) => v.clone(),
                _ => Datum::Null,
            }))
        }
        "isempty" => b(range_arg(args, 0)?.empty),
        "lower_inc" => {
            let r = range_arg(args, 0)?;
            b(!r.empty && r.lower.inclusive)
        }
        "upper_inc" => {
            let r = range_arg(args, 0)?;
            b(!r.empty && r.upper.inclusive)
        }
        "lower_inf" => {
            let r = range_arg(args, 0)?;
            b(!r.empty && r.lower.value.is_none())
        }
        "upper_inf" => {
            let r = range_arg(args, 0)?;
            b(!r.empty && r.upper.value.is_none())
        }
        "range_cmp" => {
            let o = range_arg(args, 0)?.compare(range_arg(args, 1)?)?;
            Ok(Some(Datum::Int4(o as i32)))
        }
        "range_contains_elem" => b(contains_elem(range_arg(args, 0)?, arg(args, 1)?)?),
        "elem_contained_by_range" => b(contains_elem(range_arg(args, 1)?, arg(args, 0)?)?),
        "range_contains" => b(contains(range_arg(args, 0)?, range_arg(args, 1)?)?),
        "range_contained_by" => b(contains(range_arg(args, 1)?, range_arg(args, 0)?)?),
        "range_overlaps" => b(overlaps(range_arg(args, 0)?, range_arg(args, 1)?)?),
        "range_before" | "range_after" | "range_overleft" | "range_overright" => {
            let (x, y) = (range_arg(args, 0)?, range_arg(args, 1)?);
            if x.empty || y.empty {
                return b(false);
            }
            b(match func {
                "range_before" => cmp_bounds(&x.upper, &y.lower)? == Ordering::Less,
                "range_after" => cmp_bounds(&x.lower, &y.upper)? == Ordering::Greater,
                "range_overleft" => cmp_bounds(&x.upper, &y.upper)? != Ordering::Greater,
                _ => cmp_bounds(&x.lower, &y.lower)? != Ordering::Less,
            })
        }
        "range_adjacent" => b(adjacent(range_arg(args, 0)?, range_arg(args, 1)?)?),
        "range_union" => range(union(range_arg(args, 0)?, range_arg(args, 1)?, true)?),
        "range_merge" => range(union(range_arg(args, 0)?, range_arg(args, 1)?, false)?),
        "range_intersect" => range(intersect(range_arg(args, 0)?, range_arg(args, 1)?)?),
        "range_minus" => range(minus(range_arg(args, 0)?, range_arg(args, 1)?)?),
        _ => Ok(None),
    }
}

/// `int4range(lower, upper [, flags])`: NULL bounds are infinite, flags
/// default to `[)`.
fn construct(args: &[Datum], range_type: u32) -> PgResult<RangeValue> {
    let (lower_inc, upper_inc) = match args.get(2) {
        None => (true, false),
        Some(Datum::Null) => {
            return Err(PgError::new(
                SqlState::NullValueNotAllowed,
                "range constructor flags argument must not be null",
            ));
        }
        Some(Datum::Text(f)) => parse_flags(f)?,
        Some(other) => {
            return Err(PgError::internal(format!(
                "range flags must be text, got {other:?}"
            )));
        }
    };
    let bound = |d: &Datum, inclusive: bool, lower: bool| match d {
        Datum::Null => RangeBound::infinite(lower),
        v => RangeBound::finite(v.clone(), inclusive, lower),
    };
    RangeValue::make(
        range_type,
        bound(arg(args, 0)?, lower_inc, true),
        bound(arg(args, 1)?, upper_inc, false),
    )
}

/// The third argument of a range constructor: `[]`, `[)`, `(]` or `()`.
fn parse_flags(f: &str) -> PgResult<(bool, bool)> {
    let bad = || {
        PgError::new(SqlState::SyntaxError, "invalid range bound flags")
            .with_hint("Valid values are \"[]\", \"[)\", \"(]\", and \"()\".".to_owned())
    };
    match f.as_bytes() {
        [l, u] => {
            let lower = match l {
                b'[' => true,
                b'(' => false,
                _ => return Err(bad()),
            };
            let upper = match u {
                b']' => true,
                b')' => false,
                _ => return Err(bad()),
            };
            Ok((lower, upper))
        }
        _ => Err(bad()),
    }
}

/// `range @> element`.
pub fn contains_elem(r: &RangeValue, v: &Datum) -> PgResult<bool> {
    if r.empty {
        return Ok(false);
    }
    if let Some(l) = &r.lower.value {
        match types::compare::compare(l, v)? {
            Ordering::Greater => return Ok(false),
            Ordering::Equal if !r.lower.inclusive => return Ok(false),
            _ => {}
        }
    }
    if let Some(u) = &r.upper.value {
        match types::compare::compare(u, v)? {
            Ordering::Less => return Ok(false),
            Ordering::Equal if !r.upper.inclusive => return Ok(false),
            _ => {}
        }
    }
    Ok(true)
}

/// `r1 @> r2`: every point of `r2` is in `r1` (the empty range is in all).
pub fn contains(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r2.empty {
        return Ok(true);
    }
    if r1.empty {
        return Ok(false);
    }
    Ok(cmp_bounds(&r1.lower, &r2.lower)? != Ordering::Greater
        && cmp_bounds(&r1.upper, &r2.upper)? != Ordering::Less)
}

/// `r1 && r2`.
pub fn overlaps(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r1.empty || r2.empty {
        return Ok(false);
    }
    let starts_within = |a: &RangeValue, b: &RangeValue| -> PgResult<bool> {
        Ok(cmp_bounds(&a.lower, &b.lower)? != Ordering::Less
            && cmp_bounds(&a.lower, &b.upper)? != Ordering::Greater)
    };
    Ok(starts_within(r1, r2)? || starts_within(r2, r1)?)
}

/// Whether upper bound `a` and lower bound `b` touch with no point between
/// them and none in common (PostgreSQL's `bounds_adjacent`). For a
/// discrete type, `(a, b)` having no point counts as touching.
fn bounds_adjacent(range_type: u32, a: &RangeBound, b: &RangeBound) -> PgResult<bool> {
    match cmp_bound_values(a, b)? {
        Ordering::Less => {
            if !types::oid::range_is_discrete(range_type) {
                return Ok(false);
            }
            let between = RangeValue::make(
                range_type,
                RangeBound {
                    inclusive: !a.inclusive,
                    lower: true,
                    ..a.clone()
                },
                RangeBound {
                    inclusive: !b.inclusive,
                    lower: false,
                    ..b.clone()
                },
            )?;
            Ok(between.empty)
        }
        Ordering::Equal => Ok(a.inclusive != b.inclusive),
        Ordering::Greater => Ok(false),
    }
}

/// `r1 -|- r2`.
pub fn adjacent(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r1.empty || r2.empty {
        return Ok(false);
    }
    Ok(bounds_adjacent(r1.range_type, &r1.upper, &r2.lower)?
        || bounds_adjacent(r1.range_type, &r2.upper, &r1.lower)?)
}

fn min_bound(a: &RangeBound, b: &RangeBound) -> PgResult<RangeBound> {
    Ok(if cmp_bounds(a, b)? == Ordering::Greater {
        b.clone()
    } else {
        a.clone()
    })
}

fn max_bound(a: &RangeBound, b: &RangeBound) -> PgResult<RangeBound> {
    Ok(if cmp_bounds(a, b)? == Ordering::Less {
        b.clone()
    } else {
        a.clone()
    })
}

/// `r1 + r2` (`strict`: an error if there would be a gap) and
/// `range_merge` (the smallest range holding both).
pub fn union(r1: &RangeValue, r2: &RangeValue, strict: bool) -> PgResult<RangeValue> {
    if r1.empty {
        return Ok(r2.clone());
    }
    if r2.empty {
        return Ok(r1.clone());
    }
    if strict && !overlaps(r1, r2)? && !adjacent(r1, r2)? {
        return Err(data_exception(
            "result of range union would not be contiguous",
        ));
    }
    RangeValue::make(
        r1.range_type,
        min_bound(&r1.lower, &r2.lower)?,
        max_bound(&r1.upper, &r2.upper)?,
    )
}

/// `r1 * r2`.
pub fn intersect(r1: &RangeValue, r2: &RangeValue) -> PgResult<RangeValue> {
    if r1.empty || r2.empty || !overlaps(r1, r2)? {
        return Ok(RangeValue::empty(r1.range_type));
    }
    RangeValue::make(
        r1.range_type,
        max_bound(&r1.lower, &r2.lower)?,
        min_bound(&r1.upper, &r2.upper)?,
    )
}

/// `r1 - r2`: an error if `r2` would cut `r1` in two.
pub fn minus(r1: &RangeValue, r2: &RangeValue) -> PgResult<RangeValue> {
    if r1.empty || r2.empty {
        return Ok(r1.clone());
    }
    let l1l2 = cmp_bounds(&r1.lower, &r2.lower)?;
    let l1u2 = cmp_bounds(&r1.lower, &r2.upper)?;
    let u1l2 = cmp_bounds(&r1.upper, &r2.lower)?;
    let u1u2 = cmp_bounds(&r1.upper, &r2.upper)?;
    use Ordering::*;
    if l1l2 == Less && u1u2 == Greater {
        return Err(data_exception(
            "result of range difference would not be contiguous",
        ));
    }
    if l1u2 == Greater || u1l2 == Less {
        return Ok(r1.clone());
    }
    if l1l2 != Less && u1u2 != Greater {
        return Ok(RangeValue::empty(r1.range_type));
    }
    if l1l2 != Greater && u1l2 != Less && u1u2 != Greater {
        let upper = RangeBound {
            inclusive: !r2.lower.inclusive,
            lower: false,
            ..r2.lower.clone()
        };
        return RangeValue::make(r1.range_type, r1.lower.clone(), upper);
    }
    if l1l2 != Less && u1u2 != Less && l1u2 != Greater {
        let lower = RangeBound {
            inclusive: !r2.upper.inclusive,
            lower: true,
            ..r2.upper.clone()
        };
        return RangeValue::make(r1.range_type, lower, r1.upper.clone());
    }
    Err(PgError::internal("unexpected case in range_minus"))
}
