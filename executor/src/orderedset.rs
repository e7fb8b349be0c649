//! The ordered-set and hypothetical-set aggregates (PostgreSQL's
//! `orderedsetaggs.c`): `percentile_cont`, `percentile_disc` (one fraction
//! or an array of them), `mode`, and the hypothetical `rank`, `dense_rank`,
//! `percent_rank` and `cume_dist`.
//!
//! The group's inputs arrive sorted by the WITHIN GROUP keys (see
//! `AggAcc::sorted_inputs`), each with its direct argument as evaluated
//! over its row (the direct arguments are the same for the whole group);
//! a group without rows evaluates them over no row. The percentile and
//! mode aggregates leave NULL inputs out; the hypothetical ones count them
//! where their sort places them.

use std::cmp::Ordering;

use planner::{AggCall, AggFunc};
use types::datum::{ArrayValue, Interval};
use types::{Datum, PgError, PgResult, SqlState};

use crate::agg::{OrderedInput, compare_keys};
use crate::compare::compare;
use crate::expr::Evaluator;

/// The result of ordered-set aggregate `call` over its group's `inputs`
/// (sorted).
pub(crate) fn finish(
    ev: &mut Evaluator<'_>,
    call: &AggCall,
    inputs: Vec<OrderedInput>,
) -> PgResult<Datum> {
    // The direct argument: the same for every row of the group.
    let direct = match (&call.delimiter, inputs.first()) {
        (None, _) => Datum::Null,
        (Some(_), Some((_, _, Some(d)))) => d.clone(),
        (Some(d), _) => ev.eval_row(d, &[]).unwrap_or(Datum::Null),
    };
    match call.func {
        AggFunc::PercentileCont | AggFunc::PercentileDisc | AggFunc::Mode => {
            let values: Vec<Datum> = inputs
                .into_iter()
                .map(|(_, v, _)| v)
                .filter(|v| !v.is_null())
                .collect();
            match call.func {
                AggFunc::Mode => mode(&values),
                _ => percentiles(call, &direct, &values),
            }
        }
        _ => hypothetical(call, &direct, &inputs),
    }
}

/// `percentile_cont` / `percentile_disc` of one fraction, or of each of an
/// array of them (the result an array of the same shape).
fn percentiles(call: &AggCall, direct: &Datum, values: &[Datum]) -> PgResult<Datum> {
    let cont = call.func == AggFunc::PercentileCont;
    match direct {
        Datum::Null => Ok(Datum::Null),
        Datum::Array(fractions) => {
            if values.is_empty() {
                return Ok(Datum::Null);
            }
            let mut out = Vec::with_capacity(fractions.elems.len());
            for f in &fractions.elems {
                out.push(match f {
                    Datum::Float8(p) => percentile(cont, *p, values)?,
                    _ => Datum::Null,
                });
            }
            let elem_type = types::oid::element_of(call.type_oid).unwrap_or(call.type_oid);
            Ok(Datum::Array(Box::new(ArrayValue {
                elem_type,
                lower: fractions.lower,
                elems: out,
                inner: fractions.inner.clone(),
            })))
        }
        Datum::Float8(p) => {
            check_fraction(*p)?;
            if values.is_empty() {
                return Ok(Datum::Null);
            }
            percentile(cont, *p, values)
        }
        other => Err(PgError::internal(format!(
            "percentile fraction of unexpected kind {other:?}"
        ))),
    }
}

/// 22003 for a fraction outside [0, 1] (or NaN).
fn check_fraction(p: f64) -> PgResult<()> {
    if (0.0..=1.0).contains(&p) {
        return Ok(());
    }
    Err(PgError::new(
        SqlState::NumericValueOutOfRange,
        format!("percentile value {p} is not between 0 and 1"),
    ))
}

/// One percentile of the sorted non-null `values` (at least one).
fn percentile(cont: bool, p: f64, values: &[Datum]) -> PgResult<Datum> {
    check_fraction(p)?;
    let n = values.len();
    if !cont {
        // The first value whose position is at least p of the whole.
        let row = (p * n as f64).ceil() as usize;
        return Ok(values[row.clamp(1, n) - 1].clone());
    }
    let at = p * (n - 1) as f64;
    let (first, second) = (at.floor() as usize, at.ceil() as usize);
    let (lo, hi) = (&values[first.min(n - 1)], &values[second.min(n - 1)]);
    if first == second {
        return Ok(lo.clone());
    }
    let proportion = at - first as f64;
    match (lo, hi) {
        (Datum::Float8(a), Datum::Float8(b)) => Ok(Datum::Float8(a + (b - a) * proportion)),
        (Datum::Interval(a), Datum::Interval(b)) => {
            let diff = interval_sub(b, a)?;
            let scaled = crate::functions::datetime::interval_mul(&diff, proportion)?;
            Ok(Datum::Interval(interval_add(a, &scaled)?))
        }
        _ => Err(PgError::internal(format!(
            "percentile_cont of values {lo:?} and {hi:?}"
        ))),
    }
}

fn interval_range() -> PgError {
    PgError::new(SqlState::DatetimeFieldOverflow, "interval out of range")
}

fn interval_sub(a: &Interval, b: &Interval) -> PgResult<Interval> {
    Ok(Interval {
        months: a.months.checked_sub(b.months).ok_or_else(interval_range)?,
        days: a.days.checked_sub(b.days).ok_or_else(interval_range)?,
        micros: a.micros.checked_sub(b.micros).ok_or_else(interval_range)?,
    })
}

fn interval_add(a: &Interval, b: &Interval) -> PgResult<Interval> {
    Ok(Interval {
        months: a.months.checked_add(b.months).ok_or_else(interval_range)?,
        days: a.days.checked_add(b.days).ok_or_else(interval_range)?,
        micros: a.micros.checked_add(b.micros).ok_or_else(interval_range)?,
    })
}

/// The most frequent of the sorted non-null `values`; of equally frequent
/// ones, the first in sort order (NULL for none).
fn mode(values: &[Datum]) -> PgResult<Datum> {
    let mut best: Option<(&Datum, usize)> = None;
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && compare(&values[i], &values[j])? == Ordering::Equal {
            j += 1;
        }
        if best.is_none_or(|(_, n)| j - i > n) {
            best = Some((&values[i], j - i));
        }
        i = j;
    }
    Ok(best.map_or(Datum::Null, |(v, _)| v.clone()))
}

/// `rank`, `dense_rank`, `percent_rank` or `cume_dist` of the hypothetical
/// row `direct` (a record of its values) among the group's sorted rows.
fn hypothetical(call: &AggCall, direct: &Datum, inputs: &[OrderedInput]) -> PgResult<Datum> {
    let hypothetical: Vec<Datum> = match direct {
        Datum::Record(r) => r.values.clone(),
        Datum::Null => vec![Datum::Null; call.order_by.len()],
        other => vec![other.clone()],
    };
    let n = inputs.len();
    // Rows that sort before the hypothetical one, and before or with it.
    let mut before = 0usize;
    let mut not_after = 0usize;
    let mut distinct_before = 0usize;
    let mut last_before: Option<&[Datum]> = None;
    for (keys, _, _) in inputs {
        match compare_keys(keys, &hypothetical, &call.order_by)? {
            Ordering::Less => {
                before += 1;
                not_after += 1;
                let new_value = match last_before {
                    None => true,
                    Some(prev) => compare_keys(prev, keys, &call.order_by)? != Ordering::Equal,
                };
                if new_value {
                    distinct_before += 1;
                }
                last_before = Some(keys);
            }
            Ordering::Equal => not_after += 1,
            Ordering::Greater => {}
        }
    }
    Ok(match call.func {
        AggFunc::HypotheticalRank => Datum::Int8(before as i64 + 1),
        AggFunc::HypotheticalDenseRank => Datum::Int8(distinct_before as i64 + 1),
        AggFunc::HypotheticalPercentRank => {
            if n == 0 {
                Datum::Float8(0.0)
            } else {
                Datum::Float8(before as f64 / n as f64)
            }
        }
        _ => Datum::Float8((not_after + 1) as f64 / (n + 1) as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(v: &[f64]) -> Vec<Datum> {
        v.iter().map(|&x| Datum::Float8(x)).collect()
    }

    #[test]
    fn percentiles_interpolate_and_pick() {
        let v = floats(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(percentile(true, 0.1, &v).ok(), Some(Datum::Float8(1.4)));
        assert_eq!(percentile(true, 1.0, &v).ok(), Some(Datum::Float8(5.0)));
        assert_eq!(percentile(false, 0.5, &v).ok(), Some(Datum::Float8(3.0)));
        assert_eq!(percentile(false, 0.0, &v).ok(), Some(Datum::Float8(1.0)));
        assert!(percentile(true, 2.0, &v).is_err());
    }

    #[test]
    fn mode_takes_the_first_of_the_most_frequent() {
        let v = floats(&[1.0, 2.0, 2.0, 3.0, 3.0]);
        assert_eq!(mode(&v).ok(), Some(Datum::Float8(2.0)));
        assert_eq!(mode(&[]).ok(), Some(Datum::Null));
    }
}
