//! Window functions (PostgreSQL's `nodeWindowAgg.c`): for each function,
//! the rows are ordered by its PARTITION BY and ORDER BY keys, walked
//! partition by partition, and each row gets the function's value over its
//! partition and frame; the value is appended to the row.
//!
//! Ranking functions read the row's position and its peers (rows with equal
//! ORDER BY keys); `lag`, `lead` read rows at an offset; `first_value`,
//! `last_value`, `nth_value` and aggregates read the frame. An aggregate
//! whose frame starts at the partition's first row is accumulated as the
//! frame end advances; other frames are aggregated afresh for each row.

use std::cmp::Ordering;

use planner::{AggCall, Expr, FrameBound, FrameMode, WindowFunc, WindowKind, WindowPlan};
use types::{Datum, PgError, PgResult, SqlState};

use crate::agg::AggAcc;
use crate::compare::compare;
use crate::expr::Evaluator;

/// Appends the values of every window function of `plan` to each of `rows`
/// (which are first made `input_width` wide).
pub fn compute(ev: &mut Evaluator<'_>, plan: &WindowPlan, rows: &mut [Vec<Datum>]) -> PgResult<()> {
    for r in rows.iter_mut() {
        r.resize(plan.input_width, Datum::Null);
    }
    for f in &plan.funcs {
        let values = compute_one(ev, f, rows)?;
        for (r, v) in rows.iter_mut().zip(values) {
            r.push(v);
        }
    }
    Ok(())
}

/// One row's sort keys: partition values, then ORDER BY values.
struct Keyed {
    part: Vec<Datum>,
    order: Vec<Datum>,
    index: usize,
}

fn cmp_value(a: &Datum, b: &Datum, desc: bool, nulls_first: bool) -> PgResult<Ordering> {
    Ok(match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = compare(a, b)?;
            if desc { o.reverse() } else { o }
        }
    })
}

fn equal_keys(a: &[Datum], b: &[Datum]) -> PgResult<bool> {
    for (x, y) in a.iter().zip(b) {
        if cmp_value(x, y, false, false)? != Ordering::Equal {
            return Ok(false);
        }
    }
    Ok(true)
}

fn compute_one(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    rows: &[Vec<Datum>],
) -> PgResult<Vec<Datum>> {
    let mut keyed = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let mut part = Vec::with_capacity(f.partition_by.len());
        for e in &f.partition_by {
            part.push(ev.eval_row(e, row)?);
        }
        let mut order = Vec::with_capacity(f.order_by.len());
        for (e, _, _) in &f.order_by {
            order.push(ev.eval_row(e, row)?);
        }
        keyed.push(Keyed { part, order, index });
    }
    let mut err = None;
    keyed.sort_by(|a, b| {
        let go = || -> PgResult<Ordering> {
            for (x, y) in a.part.iter().zip(&b.part) {
                let o = cmp_value(x, y, false, false)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            for ((x, y), (_, desc, nulls_first)) in a.order.iter().zip(&b.order).zip(&f.order_by) {
                let o = cmp_value(x, y, *desc, *nulls_first)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(Ordering::Equal)
        };
        go().unwrap_or_else(|e| {
            err.get_or_insert(e);
            Ordering::Equal
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mut out = vec![Datum::Null; rows.len()];
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && equal_keys(&keyed[start].part, &keyed[end].part)? {
            end += 1;
        }
        partition(ev, f, rows, &keyed[start..end], &mut out)?;
        start = end;
        ev.ctx.check_for_interrupts()?;
    }
    Ok(out)
}

/// The peer groups of a sorted partition: for each row, the index of its
/// group's first and one past its last row, and the group's number.
fn peer_groups(part: &[Keyed]) -> PgResult<Vec<(usize, usize, usize)>> {
    let mut out = vec![(0, 0, 0); part.len()];
    let mut start = 0;
    let mut group = 0;
    while start < part.len() {
        let mut end = start + 1;
        while end < part.len() && equal_keys(&part[start].order, &part[end].order)? {
            end += 1;
        }
        for slot in &mut out[start..end] {
            *slot = (start, end, group);
        }
        group += 1;
        start = end;
    }
    Ok(out)
}

fn offset_value(ev: &mut Evaluator<'_>, e: &Expr, row: &[Datum], what: &str) -> PgResult<i64> {
    match ev.eval_row(e, row)? {
        Datum::Int8(v) if v >= 0 => Ok(v),
        Datum::Null => Err(PgError::new(
            SqlState::NullValueNotAllowed,
            format!("frame {what} offset must not be null"),
        )),
        _ => Err(PgError::new(
            SqlState::InvalidPrecedingOrFollowingSize,
            format!("frame {what} offset must not be negative"),
        )),
    }
}

/// The frame of row `i` of a partition of `n` rows: [start, end).
fn frame_of(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    row: &[Datum],
    i: usize,
    n: usize,
    peers: &[(usize, usize, usize)],
) -> PgResult<(usize, usize)> {
    let group_start = |g: i64| peers.iter().position(|p| p.2 as i64 >= g).unwrap_or(n);
    let group_end = |g: i64| {
        peers
            .iter()
            .rposition(|p| p.2 as i64 <= g)
            .map_or(0, |x| x + 1)
    };
    let (ps, pe, g) = peers[i];
    let start = match &f.frame.start {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::CurrentRow => match f.frame.mode {
            FrameMode::Rows => i,
            FrameMode::Range | FrameMode::Groups => ps,
        },
        FrameBound::Preceding(e) => {
            let k = offset_value(ev, e, row, "starting")?;
            match f.frame.mode {
                FrameMode::Groups => group_start((g as i64).saturating_sub(k)),
                _ => i.saturating_sub(usize::try_from(k).unwrap_or(usize::MAX)),
            }
        }
        FrameBound::Following(e) => {
            let k = offset_value(ev, e, row, "starting")?;
            match f.frame.mode {
                FrameMode::Groups => group_start((g as i64).saturating_add(k)),
                _ => i
                    .saturating_add(usize::try_from(k).unwrap_or(usize::MAX))
                    .min(n),
            }
        }
        FrameBound::UnboundedFollowing => n,
    };
    let end = match &f.frame.end {
        FrameBound::UnboundedFollowing => n,
        FrameBound::CurrentRow => match f.frame.mode {
            FrameMode::Rows => i + 1,
            FrameMode::Range | FrameMode::Groups => pe,
        },
        FrameBound::Preceding(e) => {
            let k = offset_value(ev, e, row, "ending")?;
            match f.frame.mode {
                FrameMode::Groups => group_end((g as i64).saturating_sub(k)),
                _ => (i + 1).saturating_sub(usize::try_from(k).unwrap_or(usize::MAX)),
            }
        }
        FrameBound::Following(e) => {
            let k = offset_value(ev, e, row, "ending")?;
            match f.frame.mode {
                FrameMode::Groups => group_end((g as i64).saturating_add(k)),
                _ => (i + 1)
                    .saturating_add(usize::try_from(k).unwrap_or(usize::MAX))
                    .min(n),
            }
        }
        FrameBound::UnboundedPreceding => 0,
    };
    Ok((start.min(n), end.min(n)))
}

fn partition(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    rows: &[Vec<Datum>],
    part: &[Keyed],
    out: &mut [Datum],
) -> PgResult<()> {
    let n = part.len();
    let peers = peer_groups(part)?;
    let row = |i: usize| &rows[part[i].index];
    let arg = |ev: &mut Evaluator<'_>, k: usize, i: usize| -> PgResult<Datum> {
        match f.args.get(k) {
            Some(e) => ev.eval_row(e, row(i)),
            None => Ok(Datum::Null),
        }
    };
    match &f.kind {
        WindowKind::RowNumber => {
            for i in 0..n {
                out[part[i].index] = Datum::Int8(i as i64 + 1);
            }
        }
        WindowKind::Rank => {
            for (i, p) in peers.iter().enumerate() {
                out[part[i].index] = Datum::Int8(p.0 as i64 + 1);
            }
        }
        WindowKind::DenseRank => {
            for (i, p) in peers.iter().enumerate() {
                out[part[i].index] = Datum::Int8(p.2 as i64 + 1);
            }
        }
        WindowKind::PercentRank => {
            for (i, p) in peers.iter().enumerate() {
                let v = if n > 1 {
                    p.0 as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                out[part[i].index] = Datum::Float8(v);
            }
        }
        WindowKind::CumeDist => {
            for (i, p) in peers.iter().enumerate() {
                out[part[i].index] = Datum::Float8(p.1 as f64 / n as f64);
            }
        }
        WindowKind::Ntile => {
            // The bucket count is read from the partition's first row.
            let buckets = match arg(ev, 0, 0)? {
                Datum::Int4(b) if b > 0 => b as usize,
                Datum::Null => {
                    return Ok(());
                }
                _ => {
                    return Err(PgError::new(
                        SqlState::InvalidArgumentForNtileFunction,
                        "argument of ntile must be greater than zero",
                    ));
                }
            };
            let (size, extra) = (n / buckets, n % buckets);
            let mut bucket = 1;
            let mut left = if extra > 0 { size + 1 } else { size };
            for p in part {
                if left == 0 {
                    bucket += 1;
                    left = if bucket <= extra { size + 1 } else { size };
                }
                out[p.index] = Datum::Int4(bucket as i32);
                left -= 1;
            }
        }
        WindowKind::Lag | WindowKind::Lead => {
            for i in 0..n {
                let offset = match f.args.get(1) {
                    Some(e) => match ev.eval_row(e, row(i))? {
                        Datum::Int4(o) => Some(o as i64),
                        _ => None,
                    },
                    None => Some(1),
                };
                let Some(offset) = offset else {
                    out[part[i].index] = Datum::Null;
                    continue;
                };
                let target = if matches!(f.kind, WindowKind::Lag) {
                    i as i64 - offset
                } else {
                    i as i64 + offset
                };
                out[part[i].index] = if target >= 0 && (target as usize) < n {
                    arg(ev, 0, target as usize)?
                } else {
                    arg(ev, 2, i)?
                };
            }
        }
        WindowKind::FirstValue | WindowKind::LastValue | WindowKind::NthValue => {
            for i in 0..n {
                let (s, e) = frame_of(ev, f, row(i), i, n, &peers)?;
                let at = match f.kind {
                    WindowKind::FirstValue => (s < e).then_some(s),
                    WindowKind::LastValue => (s < e).then(|| e - 1),
                    _ => match ev.eval_row(&f.args[1], row(i))? {
                        Datum::Int4(k) if k > 0 => {
                            let j = s + k as usize - 1;
                            (j < e).then_some(j)
                        }
                        Datum::Null => None,
                        _ => {
                            return Err(PgError::new(
                                SqlState::InvalidArgumentForNthValueFunction,
                                "argument of nth_value must be greater than zero",
                            ));
                        }
                    },
                };
                out[part[i].index] = match at {
                    Some(j) => arg(ev, 0, j)?,
                    None => Datum::Null,
                };
            }
        }
        WindowKind::Agg(call) => aggregate(ev, f, call, rows, part, &peers, out)?,
    }
    Ok(())
}

/// One row's input to an aggregate: (value, delimiter), or None when its
/// FILTER rejects it.
fn agg_input(
    ev: &mut Evaluator<'_>,
    call: &AggCall,
    row: &[Datum],
) -> PgResult<Option<(Datum, Option<Datum>)>> {
    if let Some(flt) = &call.filter
        && ev.eval_row(flt, row)? != Datum::Bool(true)
    {
        return Ok(None);
    }
    let v = match &call.arg {
        Some(a) => ev.eval_row(a, row)?,
        None => Datum::Null,
    };
    let d = match &call.delimiter {
        Some(d) => Some(ev.eval_row(d, row)?),
        None => None,
    };
    Ok(Some((v, d)))
}

fn feed(
    ev: &mut Evaluator<'_>,
    acc: &mut AggAcc,
    call: &AggCall,
    input: &Option<(Datum, Option<Datum>)>,
) -> PgResult<()> {
    match input {
        None => Ok(()),
        Some((v, Some(d))) => acc.advance_text(v.clone(), d.clone()),
        Some((v, None)) if call.func == planner::AggFunc::User => {
            acc.advance_user(ev, call, v.clone())
        }
        Some((v, None)) => acc.advance(call, v.clone()),
    }
}

/// Whether `x` calls a volatile function.
fn volatile(x: &Expr) -> bool {
    let mut found = false;
    x.walk(&mut |y| match y {
        Expr::Call { func, .. } if planner::expr::is_volatile_function(func) => found = true,
        Expr::UserCall { volatile: true, .. } => found = true,
        _ => {}
    });
    found
}

/// A moving aggregate over each row's frame (PostgreSQL's
/// `eval_windowaggregates`): the rows that left the frame since the last
/// row are removed, the new ones added; it starts afresh when the frames
/// do not overlap or the inverse transition function cannot remove a row.
#[allow(clippy::too_many_arguments)]
fn moving_aggregate(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    call: &AggCall,
    m: &planner::MovingAggregate,
    rows: &[Vec<Datum>],
    part: &[Keyed],
    peers: &[(usize, usize, usize)],
    inputs: &[Option<(Datum, Option<Datum>)>],
    out: &mut [Datum],
) -> PgResult<()> {
    let n = part.len();
    let mut acc = AggAcc::new(call);
    let (mut base, mut upto) = (0usize, 0usize);
    for i in 0..n {
        let (s, e) = frame_of(ev, f, &rows[part[i].index], i, n, peers)?;
        let mut restart = i == 0 || upto <= s || e < upto;
        while !restart && base < s {
            if let Some((v, _)) = &inputs[base] {
                restart = !acc.retreat(ev, m, v.clone())?;
            }
            base += 1;
        }
        if restart {
            acc = AggAcc::new(call);
            base = s;
            upto = s;
        }
        while upto < e {
            if let Some((v, _)) = &inputs[upto] {
                acc.advance_with(ev, &m.forward, v.clone())?;
            }
            upto += 1;
        }
        out[part[i].index] = acc.finish_with(ev, &m.forward)?;
    }
    Ok(())
}

fn aggregate(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    call: &AggCall,
    rows: &[Vec<Datum>],
    part: &[Keyed],
    peers: &[(usize, usize, usize)],
    out: &mut [Datum],
) -> PgResult<()> {
    let n = part.len();
    let mut inputs = Vec::with_capacity(n);
    for p in part {
        inputs.push(agg_input(ev, call, &rows[p.index])?);
    }
    // A user aggregate with a moving-aggregate implementation, over a
    // frame whose start moves and inputs without volatile functions (as
    // PostgreSQL decides in `initialize_peragg`): rows leaving the frame
    // are removed with the inverse transition function.
    if let Some(m) = call.user.as_ref().and_then(|u| u.moving.as_deref())
        && !matches!(f.frame.start, FrameBound::UnboundedPreceding)
        && !call.inputs().any(volatile)
    {
        return moving_aggregate(ev, f, call, m, rows, part, peers, &inputs, out);
    }
    // Frames starting at the partition's first row only grow: accumulate.
    if matches!(f.frame.start, FrameBound::UnboundedPreceding) {
        let mut acc = AggAcc::new(call);
        let mut fed = 0;
        for i in 0..n {
            let (_, e) = frame_of(ev, f, &rows[part[i].index], i, n, peers)?;
            if e < fed {
                // A shrinking end (an offset PRECEDING): start over.
                acc = AggAcc::new(call);
                fed = 0;
            }
            while fed < e {
                feed(ev, &mut acc, call, &inputs[fed])?;
                fed += 1;
            }
            out[part[i].index] = acc.finish(ev, call)?;
        }
        return Ok(());
    }
    for i in 0..n {
        let (s, e) = frame_of(ev, f, &rows[part[i].index], i, n, peers)?;
        let mut acc = AggAcc::new(call);
        for input in inputs.iter().take(e).skip(s) {
            feed(ev, &mut acc, call, input)?;
        }
        out[part[i].index] = acc.finish(ev, call)?;
    }
    Ok(())
}
