//! Window functions (PostgreSQL's `nodeWindowAgg.c`): for each function,
//! the rows are ordered by its PARTITION BY and ORDER BY keys, walked
//! partition by partition, and each row gets the function's value over its
//! partition and frame; the value is appended to the row.
//!
//! Ranking functions read the row's position and its peers (rows with equal
//! ORDER BY keys); `lag`, `lead` read rows at an offset; `first_value`,
//! `last_value`, `nth_value` and aggregates read the frame (`Frames`:
//! ROWS, RANGE with `in_range` offsets, GROUPS, and EXCLUDE). How each
//! frame shape is aggregated is in the crate README ("Window frames").

use std::cmp::Ordering;

use planner::{
    AggCall, Expr, FrameBound, FrameExclusion, FrameMode, WindowFunc, WindowKind, WindowPlan,
};
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
    let mut last_order = None;
    let output = output_window(plan);
    for (n, f) in plan.funcs.iter().enumerate() {
        let (values, order) = compute_one(ev, f, rows)?;
        for (r, v) in rows.iter_mut().zip(values) {
            r.push(v);
        }
        if n == output {
            last_order = Some(order);
        }
    }
    // The rows come out in the order of the last window's sort, as
    // PostgreSQL's top WindowAgg hands them on.
    if !plan.keep_order
        && let Some(order) = last_order
    {
        let mut taken: Vec<Option<Vec<Datum>>> =
            rows.iter_mut().map(|r| Some(std::mem::take(r))).collect();
        for (slot, i) in rows.iter_mut().zip(order) {
            *slot = taken[i].take().unwrap_or_default();
        }
    }
    Ok(())
}

/// The window whose sort PostgreSQL runs last (`select_active_windows`
/// orders the windows by their sort keys, those numbered higher and the
/// longer lists first): its order is the rows' order on output.
fn output_window(plan: &WindowPlan) -> usize {
    // A key: (expression's number in order of appearance, DESC, NULLS FIRST).
    let mut exprs: Vec<&Expr> = Vec::new();
    for f in &plan.funcs {
        for e in f
            .partition_by
            .iter()
            .chain(f.order_by.iter().map(|(e, _, _)| e))
        {
            if !exprs.contains(&e) {
                exprs.push(e);
            }
        }
    }
    let number = |e: &Expr| exprs.iter().position(|x| *x == e).unwrap_or(0);
    let keys = |f: &WindowFunc| -> Vec<(usize, bool, bool)> {
        let mut k: Vec<(usize, bool, bool)> = f
            .partition_by
            .iter()
            .map(|e| (number(e), false, false))
            .collect();
        for (e, desc, nulls_first) in &f.order_by {
            let n = number(e);
            if !k.iter().any(|x| x.0 == n) {
                k.push((n, *desc, *nulls_first));
            }
        }
        k
    };
    type Keys = Vec<(usize, bool, bool)>;
    let mut best: Option<(usize, Keys)> = None;
    for (n, f) in plan.funcs.iter().enumerate() {
        let k = keys(f);
        let later = match &best {
            None => true,
            Some((_, b)) => {
                // Does `k` sort after `b` in PostgreSQL's list?
                let mut order = Ordering::Equal;
                for (x, y) in k.iter().zip(b) {
                    order = y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(y.2.cmp(&x.2));
                    if order != Ordering::Equal {
                        break;
                    }
                }
                match order {
                    Ordering::Equal => k.len() < b.len(),
                    o => o == Ordering::Less,
                }
            }
        };
        if later {
            best = Some((n, k));
        }
    }
    best.map_or(0, |(n, _)| n)
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

/// One function's values for `rows`, and the order of its sort (indexes
/// into `rows`).
fn compute_one(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    rows: &[Vec<Datum>],
) -> PgResult<(Vec<Datum>, Vec<usize>)> {
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
    let offsets = Offsets::new(ev, f)?;
    let mut out = vec![Datum::Null; rows.len()];
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && equal_keys(&keyed[start].part, &keyed[end].part)? {
            end += 1;
        }
        partition(ev, f, &offsets, rows, &keyed[start..end], &mut out)?;
        start = end;
        ev.ctx.check_for_interrupts()?;
    }
    Ok((out, keyed.iter().map(|k| k.index).collect()))
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

/// A frame's offset of ROWS or GROUPS mode: a bigint, not null, not
/// negative.
fn offset_value(ev: &mut Evaluator<'_>, e: &Expr, what: &str) -> PgResult<Datum> {
    match ev.eval_row(e, &[])? {
        Datum::Null => Err(PgError::new(
            SqlState::NullValueNotAllowed,
            format!("frame {what} offset must not be null"),
        )),
        Datum::Int8(v) if v < 0 => Err(PgError::new(
            SqlState::InvalidPrecedingOrFollowingSize,
            format!("frame {what} offset must not be negative"),
        )),
        v => Ok(v),
    }
}

/// The values of a frame's start and end offsets, computed once for the
/// whole query, as PostgreSQL does (they read no row).
struct Offsets {
    start: Option<Datum>,
    end: Option<Datum>,
}

impl Offsets {
    fn new(ev: &mut Evaluator<'_>, f: &WindowFunc) -> PgResult<Offsets> {
        let value = |ev: &mut Evaluator<'_>, b: &FrameBound, what: &str| match b {
            FrameBound::Preceding(e) | FrameBound::Following(e) => {
                offset_value(ev, e, what).map(Some)
            }
            _ => Ok(None),
        };
        Ok(Offsets {
            start: value(ev, &f.frame.start, "starting")?,
            end: value(ev, &f.frame.end, "ending")?,
        })
    }
}

/// A sorted partition's frames: each row's peer group, the first row of
/// each group, and the frame's offsets.
struct Frames<'a> {
    f: &'a WindowFunc,
    part: &'a [Keyed],
    /// per row: its group's first and one past its last row, its number
    peers: Vec<(usize, usize, usize)>,
    /// the first row of each group, then the partition's length
    group_starts: Vec<usize>,
    offsets: &'a Offsets,
}

fn as_i128(d: &Option<Datum>) -> i128 {
    match d {
        Some(Datum::Int8(v)) => *v as i128,
        _ => 0,
    }
}

impl<'a> Frames<'a> {
    fn new(f: &'a WindowFunc, part: &'a [Keyed], offsets: &'a Offsets) -> PgResult<Frames<'a>> {
        let peers = peer_groups(part)?;
        let mut group_starts: Vec<usize> = Vec::new();
        for (i, p) in peers.iter().enumerate() {
            if p.0 == i {
                group_starts.push(i);
            }
        }
        group_starts.push(part.len());
        Ok(Frames {
            f,
            part,
            peers,
            group_starts,
            offsets,
        })
    }

    fn len(&self) -> usize {
        self.part.len()
    }

    /// The first row of group `g` (the partition's end past the last).
    fn group_start(&self, g: i128) -> usize {
        let last = self.group_starts.len() - 1;
        self.group_starts[g.clamp(0, last as i128) as usize]
    }

    /// The first row of a RANGE frame with an offset (PostgreSQL's
    /// `update_frameheadpos`): the first row that is not before
    /// `current ± offset`; the rows are sorted, so a binary search finds it.
    fn range_head(&self, ev: &Evaluator<'_>, i: usize, preceding: bool) -> PgResult<usize> {
        let (_, desc, nulls_first) = self.f.order_by[0];
        let (sub, less) = if desc {
            (!preceding, true)
        } else {
            (preceding, false)
        };
        let offset = self.offsets.start.as_ref().unwrap_or(&Datum::Null);
        let curr = &self.part[i].order[0];
        self.partition_point(|j| {
            let head = &self.part[j].order[0];
            // true: the frame starts at or before j
            Ok(if head.is_null() || curr.is_null() {
                if nulls_first {
                    !head.is_null() || curr.is_null()
                } else {
                    head.is_null() || !curr.is_null()
                }
            } else {
                crate::in_range::in_range(ev, head, curr, offset, sub, less)?
            })
        })
    }

    /// One past the last row of a RANGE frame with an offset (PostgreSQL's
    /// `update_frametailpos`).
    fn range_tail(&self, ev: &Evaluator<'_>, i: usize, preceding: bool) -> PgResult<usize> {
        let (_, desc, nulls_first) = self.f.order_by[0];
        let (sub, less) = if desc {
            (!preceding, false)
        } else {
            (preceding, true)
        };
        let offset = self.offsets.end.as_ref().unwrap_or(&Datum::Null);
        let curr = &self.part[i].order[0];
        self.partition_point(|j| {
            let tail = &self.part[j].order[0];
            // true: j is past the frame
            Ok(!if tail.is_null() || curr.is_null() {
                if nulls_first {
                    tail.is_null()
                } else {
                    curr.is_null()
                }
            } else {
                crate::in_range::in_range(ev, tail, curr, offset, sub, less)?
            })
        })
    }

    /// The first row for which `past` holds (it holds for every row after).
    fn partition_point(&self, mut past: impl FnMut(usize) -> PgResult<bool>) -> PgResult<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if past(mid)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    /// The frame of row `i`: [start, end), before EXCLUDE.
    fn bounds(&self, ev: &Evaluator<'_>, i: usize) -> PgResult<(usize, usize)> {
        let n = self.len();
        let (ps, pe, g) = self.peers[i];
        let (i, g) = (i as i128, g as i128);
        let clamp = |x: i128| x.clamp(0, n as i128) as usize;
        let mode = self.f.frame.mode;
        let start = match &self.f.frame.start {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::UnboundedFollowing => n,
            FrameBound::CurrentRow => match mode {
                FrameMode::Rows => i as usize,
                FrameMode::Range | FrameMode::Groups => ps,
            },
            FrameBound::Preceding(_) | FrameBound::Following(_) => {
                let preceding = matches!(self.f.frame.start, FrameBound::Preceding(_));
                let k = as_i128(&self.offsets.start);
                let k = if preceding { -k } else { k };
                match mode {
                    FrameMode::Rows => clamp(i + k),
                    FrameMode::Groups => self.group_start(g + k),
                    FrameMode::Range => self.range_head(ev, i as usize, preceding)?,
                }
            }
        };
        let end = match &self.f.frame.end {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::UnboundedFollowing => n,
            FrameBound::CurrentRow => match mode {
                FrameMode::Rows => i as usize + 1,
                FrameMode::Range | FrameMode::Groups => pe,
            },
            FrameBound::Preceding(_) | FrameBound::Following(_) => {
                let preceding = matches!(self.f.frame.end, FrameBound::Preceding(_));
                let k = as_i128(&self.offsets.end);
                let k = if preceding { -k } else { k };
                match mode {
                    FrameMode::Rows => clamp(i + 1 + k),
                    FrameMode::Groups => {
                        if g + k < 0 {
                            0
                        } else {
                            self.group_start(g + k + 1)
                        }
                    }
                    FrameMode::Range => self.range_tail(ev, i as usize, preceding)?,
                }
            }
        };
        Ok((start.min(n), end.min(n)))
    }

    /// The rows of row `i`'s frame as up to three ranges in order, with its
    /// EXCLUDE applied.
    fn segments(&self, ev: &Evaluator<'_>, i: usize) -> PgResult<[(usize, usize); 3]> {
        let (s, e) = self.bounds(ev, i)?;
        let (ps, pe, _) = self.peers[i];
        let cut = |a: usize, b: usize| (a.max(s), b.min(e));
        Ok(match self.f.frame.exclude {
            FrameExclusion::NoOthers => [(s, e), (0, 0), (0, 0)],
            FrameExclusion::CurrentRow => [cut(s, i), cut(i + 1, e), (0, 0)],
            FrameExclusion::Group => [cut(s, ps), cut(pe, e), (0, 0)],
            FrameExclusion::Ties => [cut(s, ps), cut(i, i + 1), cut(pe, e)],
        })
    }
}

fn partition(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    offsets: &Offsets,
    rows: &[Vec<Datum>],
    part: &[Keyed],
    out: &mut [Datum],
) -> PgResult<()> {
    let n = part.len();
    let frames = Frames::new(f, part, offsets)?;
    let peers = &frames.peers;
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
                let segs = frames.segments(ev, i)?;
                let mut rows_in = segs.iter().filter(|(a, b)| a < b);
                let at = match f.kind {
                    WindowKind::FirstValue => rows_in.next().map(|(a, _)| *a),
                    WindowKind::LastValue => rows_in.next_back().map(|(_, b)| b - 1),
                    _ => match ev.eval_row(&f.args[1], row(i))? {
                        Datum::Int4(k) if k > 0 => {
                            let mut left = k as usize - 1;
                            let mut found = None;
                            for (a, b) in rows_in {
                                if left < b - a {
                                    found = Some(a + left);
                                    break;
                                }
                                left -= b - a;
                            }
                            found
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
        WindowKind::Agg(call) => aggregate(ev, f, call, rows, &frames, out)?,
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

/// Whether an aggregate's result is the same whatever the order of its
/// inputs, exactly (no floating-point sums).
fn order_insensitive(call: &AggCall) -> bool {
    use planner::AggFunc as F;
    if call.distinct || !call.order_by.is_empty() || call.user.is_some() {
        return false;
    }
    let exact = call
        .arg
        .as_ref()
        .is_some_and(|a| !matches!(a.type_oid(), types::oid::FLOAT4 | types::oid::FLOAT8));
    match call.func {
        F::CountStar | F::Count | F::Min | F::Max | F::BoolAnd | F::BoolOr => true,
        F::Sum | F::Avg => exact,
        _ => false,
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
fn moving_aggregate(
    ev: &mut Evaluator<'_>,
    call: &AggCall,
    m: &planner::MovingAggregate,
    frames: &Frames<'_>,
    inputs: &[Option<(Datum, Option<Datum>)>],
    out: &mut [Datum],
) -> PgResult<()> {
    let n = frames.len();
    let mut acc = AggAcc::new(call);
    let (mut base, mut upto) = (0usize, 0usize);
    for i in 0..n {
        let (s, e) = frames.bounds(ev, i)?;
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
        out[frames.part[i].index] = acc.finish_with(ev, &m.forward)?;
    }
    Ok(())
}

fn aggregate(
    ev: &mut Evaluator<'_>,
    f: &WindowFunc,
    call: &AggCall,
    rows: &[Vec<Datum>],
    frames: &Frames<'_>,
    out: &mut [Datum],
) -> PgResult<()> {
    let part = frames.part;
    let n = part.len();
    let mut inputs = Vec::with_capacity(n);
    for p in part {
        inputs.push(agg_input(ev, call, &rows[p.index])?);
    }
    let excludes = f.frame.exclude != FrameExclusion::NoOthers;
    // A user aggregate with a moving-aggregate implementation, over a
    // frame whose start moves and inputs without volatile functions (as
    // PostgreSQL decides in `initialize_peragg`): rows leaving the frame
    // are removed with the inverse transition function.
    if let Some(m) = call.user.as_ref().and_then(|u| u.moving.as_deref())
        && !excludes
        && !matches!(f.frame.start, FrameBound::UnboundedPreceding)
        && !call.inputs().any(volatile)
    {
        return moving_aggregate(ev, call, m, frames, &inputs, out);
    }
    // Frames starting at the partition's first row only grow: accumulate.
    if !excludes && matches!(f.frame.start, FrameBound::UnboundedPreceding) {
        let mut acc = AggAcc::new(call);
        let mut fed = 0;
        for i in 0..n {
            let (_, e) = frames.bounds(ev, i)?;
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
    // Frames ending at the partition's last row only shrink as their
    // start moves on: walked backwards, each row's frame is the next one's
    // plus the rows before it. Only for aggregates whose result does not
    // depend on the order of their inputs (PostgreSQL, with inverse
    // transition functions, is linear here too).
    if !excludes && matches!(f.frame.end, FrameBound::UnboundedFollowing) && order_insensitive(call)
    {
        let mut acc = AggAcc::new(call);
        let mut fed = n;
        let mut last_start = n;
        for i in (0..n).rev() {
            let (s, _) = frames.bounds(ev, i)?;
            if s > last_start {
                // Not monotone (cannot happen with constant offsets).
                acc = AggAcc::new(call);
                fed = n;
            }
            last_start = s;
            while fed > s {
                fed -= 1;
                feed(ev, &mut acc, call, &inputs[fed])?;
            }
            out[part[i].index] = acc.finish(ev, call)?;
        }
        return Ok(());
    }
    // Otherwise each row's frame is aggregated afresh (as PostgreSQL does
    // for an aggregate without an inverse transition function, and for any
    // frame with EXCLUDE); rows with the same frame share the result.
    let mut last: Option<([(usize, usize); 3], Datum)> = None;
    for i in 0..n {
        let segs = frames.segments(ev, i)?;
        if let Some((prev, v)) = &last
            && *prev == segs
        {
            out[part[i].index] = v.clone();
            continue;
        }
        let mut acc = AggAcc::new(call);
        for &(a, b) in &segs {
            for input in inputs.iter().take(b).skip(a) {
                feed(ev, &mut acc, call, input)?;
            }
        }
        let v = acc.finish(ev, call)?;
        out[part[i].index] = v.clone();
        last = Some((segs, v));
    }
    Ok(())
}
