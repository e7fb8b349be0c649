//! The range functions and operators (PostgreSQL's `rangetypes.c`): the
//! constructors, bound accessors, the predicates between two ranges or a
//! range and an element, and union, intersection and difference. The
//! value, its I/O, its order and the algebra itself (re-exported here)
//! live in `types::datum::range`, since multirange input needs it.

use std::cmp::Ordering;

use types::datum::range::{RangeBound, RangeValue, cmp_bounds};
pub use types::datum::range::{
    adjacent, contains, contains_elem, intersect, minus, overlaps, union,
};
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
