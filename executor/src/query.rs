//! Runs a query plan: source rows (VALUES or a sequential scan through
//! [`crate::ExecContext`]), WHERE, aggregation and HAVING, projection,
//! DISTINCT, sort, OFFSET/LIMIT.
//!
//! Rows stream from the source through the filter into the aggregate or the
//! projection; sorting needs them all, so the result is collected (the backend
//! sends it as a whole today).
//!
//! `FOR UPDATE/SHARE` ([`planner::RowMark`]) locks rows where PostgreSQL's
//! LockRows node does, between the sort and OFFSET/LIMIT: the qualifying rows
//! are sorted first, then locked one by one as OFFSET and LIMIT take them, so
//! `ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED` locks exactly one row (the
//! first one nobody else holds), and rows skipped by OFFSET are locked too.
//!
//! ```text
//!   lock_row(tid) ──Locked──────> OFFSET/LIMIT take it
//!     │  ^        └─Skipped/Gone> leave it out
//!     │  │ Updated{tid', row'}
//!     │  └── WHERE(row') true: project row', lock tid'
//!     └───── WHERE(row') false: leave it out
//! ```

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use planner::explain::{NodeKey, Stage};
use planner::{Plan, RowMark, SortKey, Source};
use types::{Datum, PgError, PgResult, SqlState};

use crate::agg::{Grouper, RowKey};
use crate::compare;
use crate::expr::Evaluator;
use crate::{LockRowOutcome, ScanId, Tid};

/// Calls `f` with every row of the source, in order, until it returns
/// false (enough rows for a LIMIT); of a scanned row only
/// the first `columns` columns need be real (see
/// `Plan::source_columns_needed`). A scan is always closed, also when `f` or
/// the scan fails.
pub fn for_each_source_row(
    ev: &mut Evaluator<'_>,
    source: &Source,
    columns: usize,
    f: &mut dyn FnMut(&mut Evaluator<'_>, Vec<Datum>) -> PgResult<bool>,
) -> PgResult<()> {
    match source {
        Source::Values(rows) => {
            for r in rows {
                ev.ctx.check_for_interrupts()?;
                let mut vals = Vec::with_capacity(r.len());
                for e in r {
                    vals.push(ev.eval(e)?);
                }
                if !f(ev, vals)? {
                    break;
                }
            }
            Ok(())
        }
        Source::Subquery {
            plan,
            width,
            params,
        } => {
            // A query level of its own (for the frames `OuterParam` counts);
            // a LATERAL one is run by its join, with the left row's values.
            if !params.is_empty() {
                return Err(PgError::internal("LATERAL subquery outside a join"));
            }
            // A subquery that only filters and projects streams its rows,
            // so that the query around it can stop early (a LIMIT over an
            // endless WITH RECURSIVE); others are computed first.
            let streams = plan.aggregate.is_none()
                && plan.windows.is_none()
                && plan.project_set.is_none()
                && !plan.distinct
                && plan.distinct_on.is_empty()
                && plan.order_by.is_empty()
                && plan.limit.is_none()
                && plan.offset.is_none()
                && plan.row_lock.is_none();
            if streams {
                let columns = plan.source_columns_needed();
                return ev.in_frame(Vec::new(), |ev| {
                    let filter = plan.filter.as_ref();
                    for_each_qualifying_row(ev, &plan.source, columns, filter, &mut |ev, row| {
                        let mut out = project(ev, &plan.targets, &row)?;
                        out.truncate(*width);
                        ev.outside_frame(|ev| f(ev, out))
                    })
                });
            }
            for row in ev.in_frame(Vec::new(), |ev| run(ev, plan, *width))? {
                ev.ctx.check_for_interrupts()?;
                if !f(ev, row)? {
                    break;
                }
            }
            Ok(())
        }
        Source::Series(series) => {
            for value in series_values(ev, series)? {
                ev.ctx.check_for_interrupts()?;
                if !f(ev, vec![value?])? {
                    break;
                }
            }
            Ok(())
        }
        Source::Function(scan) => {
            for row in crate::srf::scan(ev, scan)? {
                ev.ctx.check_for_interrupts()?;
                if !f(ev, row)? {
                    break;
                }
            }
            Ok(())
        }
        Source::Join(j) => crate::join::run(ev, j, f),
        Source::WorkTable { id, .. } => {
            let rows = ev.worktable(*id);
            for row in rows.iter() {
                ev.ctx.check_for_interrupts()?;
                if !f(ev, row.clone())? {
                    break;
                }
            }
            Ok(())
        }
        Source::RecursiveUnion(r) => recursive_union(ev, r, f),
        Source::Append { plans, width, .. } => {
            for plan in plans {
                let columns = plan.source_columns_needed();
                let mut more = true;
                for_each_qualifying_row(
                    ev,
                    &plan.source,
                    columns,
                    plan.filter.as_ref(),
                    &mut |ev, row| {
                        let mut out = project(ev, &plan.targets, &row)?;
                        out.truncate(*width);
                        more = f(ev, out)?;
                        Ok(more)
                    },
                )?;
                if !more {
                    break;
                }
            }
            Ok(())
        }
        Source::SetOp(op) => {
            for row in set_operation(ev, op)? {
                ev.ctx.check_for_interrupts()?;
                if !f(ev, row)? {
                    break;
                }
            }
            Ok(())
        }
        Source::SeqScan(_) | Source::IndexScan(..) | Source::Bitmap(..) | Source::TidScan(..) => {
            let scan = open_scan(ev, source, columns)?;
            let result = (|| loop {
                ev.ctx.check_for_interrupts()?;
                match ev.ctx.scan_next(scan)? {
                    Some((_, row)) => {
                        if !f(ev, row)? {
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                }
            })();
            ev.ctx.scan_end(scan);
            result
        }
    }
}

/// Calls `f` with every row of the source that passes `filter` (see
/// [`for_each_source_row`]). In an instrumented run (EXPLAIN ANALYZE) the
/// rows, the rows the filter removed and, with TIMING, the time spent
/// outside `f` are counted for the source's node.
pub fn for_each_qualifying_row(
    ev: &mut Evaluator<'_>,
    source: &Source,
    columns: usize,
    filter: Option<&planner::Expr>,
    f: &mut dyn FnMut(&mut Evaluator<'_>, Vec<Datum>) -> PgResult<bool>,
) -> PgResult<()> {
    let instrumenting = ev.instrumenting();
    let start = instrumenting.and_then(|timing| timing.then(Instant::now));
    let (mut rows, mut removed) = (0u64, 0u64);
    let mut downstream = Duration::ZERO;
    let mut first: Option<Duration> = None;
    let mut pass = |ev: &mut Evaluator<'_>, row: Vec<Datum>| -> PgResult<bool> {
        rows += 1;
        match start {
            None => f(ev, row),
            Some(s) => {
                if first.is_none() {
                    first = Some(s.elapsed().saturating_sub(downstream));
                }
                let t = Instant::now();
                let r = f(ev, row);
                downstream += t.elapsed();
                r
            }
        }
    };
    let result = if matches!(source, Source::SeqScan(_)) {
        // Filtered in the scan's buffer: only a row that passes is copied.
        let read = vec![true; columns];
        for_each_scanned_row(ev, source, &read, filter, &mut removed, &mut |ev, row| {
            pass(ev, row.to_vec())
        })
    } else {
        for_each_source_row(ev, source, columns, &mut |ev, row| {
            if qualifies(ev, filter, &row)? {
                pass(ev, row)
            } else {
                removed += 1;
                Ok(true)
            }
        })
    };
    if instrumenting.is_some() {
        let times = start.map(|s| {
            let total = s.elapsed().saturating_sub(downstream);
            (first.unwrap_or(total), total)
        });
        ev.record(NodeKey::source(source), rows, removed, times);
    }
    result
}

/// Counts one loop of a node above the source of a query level whose run
/// started at `started` (its time includes its input's, as PostgreSQL's).
fn record_stage(
    ev: &mut Evaluator<'_>,
    plan: &Plan,
    stage: Stage,
    rows: usize,
    removed: u64,
    started: Option<Instant>,
) {
    let times = started.map(|s| (s.elapsed(), s.elapsed()));
    ev.record(NodeKey::plan(plan, stage), rows as u64, removed, times);
}

/// The rows of a recursive query, each passed to `f` as it is made (so
/// that a LIMIT above can end an endless recursion): the non-recursive
/// term's, then round after round the recursive term's over the rows the
/// round before added (without ALL, rows already produced are dropped),
/// until a round adds none.
fn recursive_union(
    ev: &mut Evaluator<'_>,
    r: &planner::RecursiveUnion,
    f: &mut dyn FnMut(&mut Evaluator<'_>, Vec<Datum>) -> PgResult<bool>,
) -> PgResult<()> {
    let mut seen = BTreeSet::new();
    let mut rows = run(ev, &r.non_recursive, r.width)?;
    loop {
        let mut added = Vec::with_capacity(rows.len());
        for row in rows {
            ev.ctx.check_for_interrupts()?;
            if !r.all && !seen.insert(RowKey(row.clone())) {
                continue;
            }
            if !f(ev, row.clone())? {
                return Ok(());
            }
            added.push(row);
        }
        if added.is_empty() {
            return Ok(());
        }
        ev.set_worktable(r.id, added);
        rows = run(ev, &r.recursive, r.width)?;
    }
}

/// The rows of a set operation, in the order they first appear (left
/// operand first); rows are keyed by [`RowKey`] (NULLs equal).
fn set_operation(ev: &mut Evaluator<'_>, op: &planner::SetOp) -> PgResult<Vec<Vec<Datum>>> {
    use planner::SetOpKind;
    let started = (ev.instrumenting() == Some(true)).then(Instant::now);
    let left = run(ev, &op.left, op.width)?;
    let right = run(ev, &op.right, op.width)?;
    let times = started.map(|s| (s.elapsed(), s.elapsed()));
    let appended = (left.len() + right.len()) as u64;
    ev.record(NodeKey::append(op), appended, 0, times);
    if op.kind == SetOpKind::Union && op.all {
        let mut rows = left;
        rows.extend(right);
        return Ok(rows);
    }
    // Per distinct row, in first-seen order: its count on each side.
    let mut order: Vec<Vec<Datum>> = Vec::new();
    let mut counts: std::collections::BTreeMap<RowKey, (usize, usize, usize)> =
        std::collections::BTreeMap::new();
    for (side, rows) in [(0, left), (1, right)] {
        for row in rows {
            ev.ctx.check_for_interrupts()?;
            let key = RowKey(row);
            match counts.get_mut(&key) {
                Some(c) => {
                    if side == 0 {
                        c.0 += 1
                    } else {
                        c.1 += 1
                    }
                }
                None => {
                    counts.insert(
                        key.clone(),
                        (usize::from(side == 0), usize::from(side == 1), order.len()),
                    );
                    order.push(key.0);
                }
            }
        }
    }
    let mut out = Vec::new();
    for row in order {
        let Some(&(l, r, _)) = counts.get(&RowKey(row.clone())) else {
            continue;
        };
        let copies = match (op.kind, op.all) {
            (SetOpKind::Union, _) => 1,
            (SetOpKind::Intersect, false) => usize::from(l > 0 && r > 0),
            (SetOpKind::Intersect, true) => l.min(r),
            (SetOpKind::Except, false) => usize::from(l > 0 && r == 0),
            (SetOpKind::Except, true) => l.saturating_sub(r),
        };
        for _ in 0..copies {
            out.push(row.clone());
        }
    }
    Ok(out)
}

/// The values of `generate_series(start, stop [, step])`, computed one at a
/// time: none if an argument is NULL; 22023 for a zero step (or a NaN
/// argument of a numeric series); it ends before a value would overflow.
fn series_values(
    ev: &mut Evaluator<'_>,
    s: &planner::Series,
) -> PgResult<Box<dyn Iterator<Item = PgResult<Datum>>>> {
    if let Some(a) = &s.array {
        return Ok(match ev.eval(a)? {
            Datum::Array(a) => Box::new(a.elems.into_iter().map(Ok)),
            _ => Box::new(std::iter::empty()),
        });
    }
    let start = ev.eval(&s.start)?;
    let stop = ev.eval(&s.stop)?;
    let step = match &s.step {
        Some(e) => ev.eval(e)?,
        None => Datum::Int4(1),
    };
    series_of(start, stop, step, s.type_oid, &ev.opts)
}

/// The values of an integer or numeric series (of `type_oid`) from
/// evaluated arguments; see [`series_values`].
pub(crate) fn series_of(
    start: Datum,
    stop: Datum,
    step: Datum,
    type_oid: u32,
    opts: &types::datum::OutputOptions,
) -> PgResult<Box<dyn Iterator<Item = PgResult<Datum>>>> {
    let invalid = |what: &str| PgError::new(SqlState::InvalidParameterValue, what.to_owned());
    let int = |d: &Datum| match d {
        Datum::Int2(v) => Some(i64::from(*v)),
        Datum::Int4(v) => Some(i64::from(*v)),
        Datum::Int8(v) => Some(*v),
        _ => None,
    };
    if start.is_null() || stop.is_null() || step.is_null() {
        return Ok(Box::new(std::iter::empty()));
    }
    if type_oid == types::oid::NUMERIC {
        let num = |d: &Datum| -> PgResult<types::datum::Numeric> {
            match d {
                Datum::Numeric(n) => Ok(n.clone()),
                other => types::datum::Numeric::parse(&other.to_text(opts))
                    .unwrap_or_else(|| Err(PgError::internal("generate_series: not a number"))),
            }
        };
        let (start, stop, step) = (num(&start)?, num(&stop)?, num(&step)?);
        for (v, what) in [
            (&start, "start value"),
            (&stop, "stop value"),
            (&step, "step size"),
        ] {
            use types::datum::Numeric::{NaN, NegInf, PosInf};
            match v {
                NaN => return Err(invalid(&format!("{what} cannot be NaN"))),
                PosInf | NegInf => return Err(invalid(&format!("{what} cannot be infinity"))),
                _ => {}
            }
        }
        let zero = types::datum::Numeric::from_i64(0);
        let up = match step.total_cmp(&zero) {
            std::cmp::Ordering::Equal => return Err(invalid("step size cannot equal zero")),
            o => o == std::cmp::Ordering::Greater,
        };
        let mut cur = Some(start);
        return Ok(Box::new(std::iter::from_fn(move || {
            let c = cur.take()?;
            let past = match c.total_cmp(&stop) {
                std::cmp::Ordering::Greater => up,
                std::cmp::Ordering::Less => !up,
                std::cmp::Ordering::Equal => false,
            };
            if past {
                return None;
            }
            // a next value too large to store lies past any storable stop
            cur = c.add(&step).ok();
            Some(Ok(Datum::Numeric(c)))
        })));
    }
    let (Some(start), Some(stop), Some(step)) = (int(&start), int(&stop), int(&step)) else {
        return Err(PgError::internal(
            "generate_series: arguments of the wrong type",
        ));
    };
    if step == 0 {
        return Err(invalid("step size cannot equal zero"));
    }
    let wide = type_oid == types::oid::INT8;
    let (lo, hi) = if wide {
        (i64::MIN, i64::MAX)
    } else {
        (i64::from(i32::MIN), i64::from(i32::MAX))
    };
    let mut cur = Some(start);
    Ok(Box::new(std::iter::from_fn(move || {
        let c = cur.take()?;
        if (step > 0 && c > stop) || (step < 0 && c < stop) {
            return None;
        }
        cur = c.checked_add(step).filter(|n| (lo..=hi).contains(n));
        Some(Ok(if wide {
            Datum::Int8(c)
        } else {
            Datum::Int4(c as i32)
        }))
    })))
}

/// Opens the scan of a scan source: a seqscan that decodes `columns`
/// columns, or an index scan with its bounds evaluated now.
pub fn open_scan(ev: &mut Evaluator<'_>, source: &Source, columns: usize) -> PgResult<ScanId> {
    match source {
        Source::SeqScan(rel) => ev.ctx.scan_begin_columns(rel, columns),
        Source::IndexScan(rel, scan) => open_index_scan(ev, rel, scan),
        Source::Bitmap(rel, bitmap) => {
            let ranges = bitmap_ranges(ev, bitmap)?;
            ev.ctx.bitmap_scan_begin(rel, ranges)
        }
        Source::TidScan(rel, scan) => open_tid_scan(ev, rel, scan),
        Source::Values(_)
        | Source::Series(_)
        | Source::Function(_)
        | Source::Subquery { .. }
        | Source::Join(_)
        | Source::SetOp(_)
        | Source::RecursiveUnion(_)
        | Source::Append { .. }
        | Source::WorkTable { .. } => Err(PgError::internal("not a scan")),
    }
}

/// Opens a Tid Scan or Tid Range Scan, its values evaluated now. A NULL
/// value matches no tid; so does a range whose bounds cross.
pub(crate) fn open_tid_scan(
    ev: &mut Evaluator<'_>,
    rel: &planner::RelationDesc,
    scan: &planner::TidScan,
) -> PgResult<ScanId> {
    let tid = |d: &Datum| match d {
        Datum::Tid(block, offset) => Some(Tid {
            block: *block,
            offset: *offset,
        }),
        _ => None,
    };
    match &scan.kind {
        planner::TidScanKind::List(values) => {
            let mut tids = Vec::new();
            for v in values {
                match ev.eval(&v.value)? {
                    Datum::Array(a) if v.array => tids.extend(a.elems.iter().filter_map(tid)),
                    d => tids.extend(tid(&d)),
                }
            }
            tids.sort_by_key(|t| (t.block, t.offset));
            tids.dedup();
            ev.ctx.tid_scan_begin(rel, tids)
        }
        planner::TidScanKind::Range { lower, upper } => {
            // The blocks the bounds allow (the WHERE decides on offsets).
            let mut first = Some(0u32);
            let mut last = Some(u32::MAX);
            for (e, inclusive) in lower {
                first = match tid(&ev.eval(e)?) {
                    Some(t) if !inclusive && t.offset == u16::MAX => {
                        first.zip(t.block.checked_add(1)).map(|(f, b)| f.max(b))
                    }
                    Some(t) => first.map(|f| f.max(t.block)),
                    None => None,
                };
            }
            for (e, inclusive) in upper {
                last = match tid(&ev.eval(e)?) {
                    Some(t) if !inclusive && t.offset == 0 => {
                        last.zip(t.block.checked_sub(1)).map(|(l, b)| l.min(b))
                    }
                    Some(t) => last.map(|l| l.min(t.block)),
                    None => None,
                };
            }
            match (first, last) {
                (Some(f), Some(l)) if f <= l => ev.ctx.tid_range_scan_begin(rel, f, l),
                _ => ev.ctx.tid_scan_begin(rel, Vec::new()),
            }
        }
    }
}

/// A bitmap's index ranges, evaluated now.
fn bitmap_ranges(
    ev: &mut Evaluator<'_>,
    bitmap: &planner::Bitmap,
) -> PgResult<crate::BitmapRanges> {
    let all = |ev: &mut Evaluator<'_>, parts: &[planner::Bitmap]| -> PgResult<Vec<_>> {
        parts.iter().map(|p| bitmap_ranges(ev, p)).collect()
    };
    Ok(match bitmap {
        planner::Bitmap::Index(s) => crate::BitmapRanges::Index(s.index_oid, index_ranges(ev, s)?),
        planner::Bitmap::Or(parts) => crate::BitmapRanges::Or(all(ev, parts)?),
        planner::Bitmap::And(parts) => crate::BitmapRanges::And(all(ev, parts)?),
    })
}

/// Opens index scan `scan` of `rel`, evaluating its bound values (or its
/// IN list: one range per distinct non-null value).
pub fn open_index_scan(
    ev: &mut Evaluator<'_>,
    rel: &planner::RelationDesc,
    scan: &planner::IndexScan,
) -> PgResult<ScanId> {
    let ranges = index_ranges(ev, scan)?;
    ev.ctx
        .index_scan_begin(rel, scan.index_oid, ranges, scan.index_only, scan.backward)
}

/// The ranges of an index scan, its bounds (or IN list) evaluated now.
fn index_ranges(
    ev: &mut Evaluator<'_>,
    scan: &planner::IndexScan,
) -> PgResult<Vec<crate::IndexRange>> {
    Ok(if scan.in_list.is_empty() {
        let mut bound = |b: &Option<planner::IndexBound>| -> PgResult<Option<(Vec<Datum>, bool)>> {
            match b {
                None => Ok(None),
                Some(b) => Ok(Some((
                    b.values
                        .iter()
                        .map(|e| ev.eval(e))
                        .collect::<PgResult<Vec<_>>>()?,
                    b.inclusive,
                ))),
            }
        };
        let lower = bound(&scan.lower)?;
        let upper = bound(&scan.upper)?;
        vec![crate::IndexRange { lower, upper }]
    } else {
        let mut values: Vec<Datum> = Vec::with_capacity(scan.in_list.len());
        for e in &scan.in_list {
            let v = ev.eval(e)?;
            if !v.is_null() {
                values.push(v);
            }
        }
        let mut failed = None;
        values.sort_by(|a, b| {
            compare::compare(a, b).unwrap_or_else(|e| {
                failed.get_or_insert(e);
                Ordering::Equal
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        values.dedup_by(|a, b| compare::compare(a, b).is_ok_and(|o| o == Ordering::Equal));
        values
            .into_iter()
            .map(|v| crate::IndexRange {
                lower: Some((vec![v.clone()], true)),
                upper: Some((vec![v], true)),
            })
            .collect()
    })
}

/// Calls `f` with every row of a plain seqscan `source` that passes
/// `filter`, each decoded into the same buffer (PostgreSQL's scan slot):
/// no row is allocated for a caller that only reads it. The filter is
/// compiled once for the scan ([`Qual`]); the rows it removes are counted
/// in `removed`. False from `f` stops the scan.
fn for_each_scanned_row(
    ev: &mut Evaluator<'_>,
    source: &Source,
    read: &[bool],
    filter: Option<&planner::Expr>,
    removed: &mut u64,
    f: &mut dyn FnMut(&mut Evaluator<'_>, &[Datum]) -> PgResult<bool>,
) -> PgResult<()> {
    let qual = filter.map(Qual::compile);
    // A seqscan whose rows are read beyond what the filter reads decodes
    // the filter's columns first, and the rest only of a row that passes.
    let filter_read = filter.map(columns_read).filter(|f| {
        read.iter()
            .enumerate()
            .any(|(i, r)| *r && f.get(i) != Some(&true))
    });
    let scan = match (source, &filter_read) {
        (Source::SeqScan(rel), Some(f)) => ev.ctx.scan_begin_read(rel, f)?,
        (Source::SeqScan(rel), None) => ev.ctx.scan_begin_read(rel, read)?,
        _ => open_scan(ev, source, read.len())?,
    };
    let mut row = Vec::new();
    let result = (|| loop {
        ev.ctx.check_for_interrupts()?;
        if ev.ctx.scan_next_into(scan, &mut row)?.is_none() {
            return Ok(());
        }
        let pass = match &qual {
            None => true,
            Some(q) => q.test(ev, &row)?,
        };
        if !pass {
            *removed += 1;
            continue;
        }
        if filter_read.is_some() {
            ev.ctx.scan_reread(scan, read, &mut row)?;
        }
        if !f(ev, &row)? {
            return Ok(());
        }
    })();
    ev.ctx.scan_end(scan);
    result
}

/// The columns `e` reads of a row: `read[i]` for column `i`, up to the last
/// one it reads.
pub(crate) fn columns_read(e: &planner::Expr) -> Vec<bool> {
    let mut read = Vec::new();
    e.walk(&mut |x| {
        if let planner::Expr::Var { index, .. } = x {
            if read.len() <= *index {
                read.resize(index + 1, false);
            }
            read[*index] = true;
        }
    });
    read
}

/// A WHERE clause prepared once per scan: the commonest filter, an integer
/// column compared with an integer constant (`abalance > 0`), is decided
/// in place, without cloning the values or the generic function call
/// (PostgreSQL calls `int4gt` by pointer); any other is evaluated.
pub(crate) enum Qual<'e> {
    /// `row[index] <op> value`: true when the column's ordering against
    /// the constant is one of `accept`; a NULL column is not true.
    IntCompare {
        index: usize,
        accept: [bool; 3],
        value: i64,
        expr: &'e planner::Expr,
    },
    /// `row[index] <op> value` for any other column compared with a
    /// constant by the generic comparison (strings, dates, numerics): the
    /// column is compared where it lies, not copied out.
    Compare {
        index: usize,
        accept: [bool; 3],
        value: &'e Datum,
    },
    /// Every one of these: the arms of an AND at the top of WHERE.
    All(Vec<Qual<'e>>),
    Expr(&'e planner::Expr),
}

impl<'e> Qual<'e> {
    pub(crate) fn compile(e: &'e planner::Expr) -> Qual<'e> {
        use planner::Expr;
        let int_const = |c: &Expr| match c {
            Expr::Const {
                value: Datum::Int2(v),
                ..
            } => Some(i64::from(*v)),
            Expr::Const {
                value: Datum::Int4(v),
                ..
            } => Some(i64::from(*v)),
            Expr::Const {
                value: Datum::Int8(v),
                ..
            } => Some(*v),
            _ => None,
        };
        let int_var = |v: &Expr| match v {
            Expr::Var {
                index, type_oid, ..
            } if matches!(
                *type_oid,
                types::oid::INT2 | types::oid::INT4 | types::oid::INT8
            ) =>
            {
                Some(*index)
            }
            _ => None,
        };
        if let Expr::And(parts) = e {
            return Qual::All(parts.iter().map(Qual::compile).collect());
        }
        if let Expr::Call {
            func, args, strict, ..
        } = e
            && *strict
            && let [l, r] = args.as_slice()
        {
            // (less, equal, greater) of the column against the constant.
            let accept = match *func {
                "eq" => Some([false, true, false]),
                "ne" => Some([true, false, true]),
                "lt" => Some([true, false, false]),
                "le" => Some([true, true, false]),
                "gt" => Some([false, false, true]),
                "ge" => Some([false, true, true]),
                _ => None,
            };
            let operands = match (int_var(l), int_const(r), int_var(r), int_const(l)) {
                (Some(index), Some(value), _, _) => Some((index, value, false)),
                (_, _, Some(index), Some(value)) => Some((index, value, true)),
                _ => None,
            };
            if let (Some(mut accept), Some((index, value, swapped))) = (accept, operands) {
                if swapped {
                    // `0 < x` is `x > 0`.
                    accept.swap(0, 2);
                }
                return Qual::IntCompare {
                    index,
                    accept,
                    value,
                    expr: e,
                };
            }
            // The generic comparison ("eq" ...) of a column with a non-null
            // constant of its own type: what the call would compute.
            let column = |v: &Expr, c: &'e Expr| match (v, c) {
                (
                    Expr::Var {
                        index, type_oid, ..
                    },
                    Expr::Const {
                        value,
                        type_oid: const_type,
                    },
                ) if type_oid == const_type && !value.is_null() => Some((*index, value)),
                _ => None,
            };
            let operands = match (column(l, r), column(r, l)) {
                (Some((index, value)), _) => Some((index, value, false)),
                (_, Some((index, value))) => Some((index, value, true)),
                _ => None,
            };
            if let (Some(mut accept), Some((index, value, swapped))) = (accept, operands) {
                if swapped {
                    accept.swap(0, 2);
                }
                return Qual::Compare {
                    index,
                    accept,
                    value,
                };
            }
        }
        Qual::Expr(e)
    }

    /// Whether the qual is true for `row` (NULL is not).
    pub(crate) fn test(&self, ev: &mut Evaluator<'_>, row: &[Datum]) -> PgResult<bool> {
        match self {
            Qual::Expr(e) => Ok(ev.eval_row(e, row)? == Datum::Bool(true)),
            // A WHERE list stops at its first arm that is not true, NULL
            // too (PostgreSQL's ExecQual): the arms after it are not run.
            Qual::All(parts) => {
                for q in parts {
                    if !q.test(ev, row)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Qual::Compare {
                index,
                accept,
                value,
            } => Ok(match row.get(*index) {
                None | Some(Datum::Null) => false,
                Some(x) => accept[ordering_slot(compare::compare(x, value)?)],
            }),
            Qual::IntCompare {
                index,
                accept,
                value,
                expr,
            } => {
                let x = match row.get(*index) {
                    Some(Datum::Int4(x)) => i64::from(*x),
                    Some(Datum::Int8(x)) => *x,
                    Some(Datum::Int2(x)) => i64::from(*x),
                    Some(Datum::Null) => return Ok(false),
                    _ => return Ok(ev.eval_row(expr, row)? == Datum::Bool(true)),
                };
                Ok(accept[ordering_slot(x.cmp(value))])
            }
        }
    }
}

/// The place of an ordering in a qual's `accept`: less, equal, greater.
fn ordering_slot(o: Ordering) -> usize {
    match o {
        Ordering::Less => 0,
        Ordering::Equal => 1,
        Ordering::Greater => 2,
    }
}

pub fn qualifies(
    ev: &mut Evaluator<'_>,
    filter: Option<&planner::Expr>,
    row: &[Datum],
) -> PgResult<bool> {
    match filter {
        None => Ok(true),
        Some(f) => Ok(ev.eval_row(f, row)? == Datum::Bool(true)),
    }
}

fn project(
    ev: &mut Evaluator<'_>,
    targets: &[planner::Expr],
    row: &[Datum],
) -> PgResult<Vec<Datum>> {
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        out.push(ev.eval_row(t, row)?);
    }
    Ok(out)
}

/// Runs a query and returns its rows, each cut to its first `width` values
/// (the hidden sort columns dropped).
pub fn run(ev: &mut Evaluator<'_>, plan: &Plan, width: usize) -> PgResult<Vec<Vec<Datum>>> {
    if let (Some(mark), Source::SeqScan(_) | Source::IndexScan(..) | Source::TidScan(..)) =
        (&plan.row_lock, &plan.source)
    {
        return run_locking(ev, plan, mark, width);
    }
    // LIMIT and OFFSET are evaluated before anything is read, as
    // PostgreSQL's Limit node does.
    let (offset, limit) = offset_and_limit(ev, plan)?;
    // Rows come out in their final order when nothing regroups or sorts
    // them: the scan stops once OFFSET + LIMIT of them qualified.
    let stop = match (
        &plan.aggregate,
        plan.distinct || !plan.distinct_on.is_empty(),
        plan.order_by.is_empty(),
        limit,
        plan.windows.is_some() || plan.project_set.is_some(),
    ) {
        (None, false, true, Some(l), false) => Some(offset.saturating_add(l)),
        _ => None,
    };
    // The same without DISTINCT but with ORDER BY: a bounded sort.
    let top_n = match (
        plan.distinct || !plan.distinct_on.is_empty(),
        plan.order_by.is_empty(),
        limit,
        plan.windows.is_some() || plan.project_set.is_some(),
    ) {
        (false, false, Some(l), false) => Some(offset.saturating_add(l)),
        _ => None,
    };
    let mut rows: Vec<Vec<Datum>> = Vec::new();
    let read = plan.source_columns_read();
    let columns = read.len();
    let instrumenting = ev.instrumenting().is_some();
    let started = (ev.instrumenting() == Some(true)).then(Instant::now);
    // With window functions or set-returning functions in the select list
    // the targets wait for them: the input rows are kept whole until their
    // values are appended.
    let windowed = plan.windows.is_some() || plan.project_set.is_some();
    // A seqscan whose rows are only read (projected or aggregated) decodes
    // them in place; EXPLAIN ANALYZE counts its rows the general way.
    let reads_in_place = !instrumenting && matches!(plan.source, Source::SeqScan(_));
    match (&plan.aggregate, top_n) {
        (None, _) if stop == Some(0) => {}
        (None, Some(bound)) => {
            // ORDER BY ... LIMIT: only the first OFFSET + LIMIT rows are kept.
            let mut best = TopN::new(&plan.order_by, bound);
            let filter = plan.filter.as_ref();
            if reads_in_place {
                for_each_scanned_row(ev, &plan.source, &read, filter, &mut 0, &mut |ev, row| {
                    best.push(project(ev, &plan.targets, row)?)?;
                    Ok(true)
                })?;
            } else {
                for_each_qualifying_row(ev, &plan.source, columns, filter, &mut |ev, row| {
                    best.push(project(ev, &plan.targets, &row)?)?;
                    Ok(true)
                })?;
            }
            rows = best.finish()?;
        }
        (None, None) if reads_in_place && !windowed => {
            let filter = plan.filter.as_ref();
            for_each_scanned_row(ev, &plan.source, &read, filter, &mut 0, &mut |ev, row| {
                rows.push(project(ev, &plan.targets, row)?);
                Ok(stop.is_none_or(|s| rows.len() < s))
            })?;
        }
        (None, None) => {
            let filter = plan.filter.as_ref();
            for_each_qualifying_row(ev, &plan.source, columns, filter, &mut |ev, row| {
                rows.push(if windowed {
                    row
                } else {
                    project(ev, &plan.targets, &row)?
                });
                Ok(stop.is_none_or(|s| rows.len() < s))
            })?;
        }
        (Some(agg), _) => {
            let mut grouper = Grouper::new(agg);
            let filter = plan.filter.as_ref();
            if reads_in_place {
                for_each_scanned_row(ev, &plan.source, &read, filter, &mut 0, &mut |ev, row| {
                    grouper.advance(ev, row)?;
                    Ok(true)
                })?;
            } else {
                for_each_qualifying_row(ev, &plan.source, columns, filter, &mut |ev, row| {
                    grouper.advance(ev, &row)?;
                    Ok(true)
                })?;
            }
            let mut removed = 0;
            for row in grouper.finish(ev)? {
                ev.ctx.check_for_interrupts()?;
                if qualifies(ev, agg.having.as_ref(), &row)? {
                    rows.push(if windowed {
                        row
                    } else {
                        project(ev, &plan.targets, &row)?
                    });
                } else {
                    removed += 1;
                }
            }
            if instrumenting {
                record_stage(ev, plan, Stage::Aggregate, rows.len(), removed, started);
            }
        }
    }
    if let Some(w) = &plan.windows {
        crate::window::compute(ev, w, &mut rows)?;
        if instrumenting {
            // One WindowAgg per run of functions over the same window, as
            // EXPLAIN shows them.
            let mut i = 0;
            while i < w.funcs.len() {
                record_stage(ev, plan, Stage::Window(i), rows.len(), 0, started);
                let f = &w.funcs[i];
                i += 1;
                while i < w.funcs.len()
                    && w.funcs[i].partition_by == f.partition_by
                    && w.funcs[i].order_by == f.order_by
                {
                    i += 1;
                }
            }
        }
    }
    if let Some(p) = &plan.project_set {
        // Rows come out in their final order: a LIMIT caps the expansion.
        let cap = match (
            &plan.aggregate,
            plan.distinct || !plan.distinct_on.is_empty(),
            plan.order_by.is_empty(),
            limit,
        ) {
            (None, false, true, Some(l)) => offset.saturating_add(l),
            _ => usize::MAX,
        };
        rows = crate::srf::project_set(ev, p, rows, cap)?;
        if instrumenting {
            record_stage(ev, plan, Stage::ProjectSet, rows.len(), 0, started);
        }
    }
    if windowed {
        for row in rows.iter_mut() {
            *row = project(ev, &plan.targets, row)?;
        }
    }
    if plan.distinct {
        let mut seen = BTreeSet::new();
        rows.retain(|r| seen.insert(RowKey(r[..width.min(r.len())].to_vec())));
        if instrumenting {
            record_stage(ev, plan, Stage::Distinct, rows.len(), 0, started);
        }
    }
    sort(&mut rows, &plan.order_by)?;
    // A sort hands on only what the nodes above it take.
    let taken = |n: usize| match (plan.distinct_on.is_empty(), limit) {
        (true, Some(l)) => n.min(offset.saturating_add(l)),
        _ => n,
    };
    if instrumenting && !plan.order_by.is_empty() {
        record_stage(ev, plan, Stage::Sort, taken(rows.len()), 0, started);
    }
    if !plan.distinct_on.is_empty() {
        if plan.order_by.is_empty() {
            let keys = plan.distinct_on_keys();
            sort(&mut rows, &keys)?;
            if instrumenting {
                record_stage(ev, plan, Stage::Sort, rows.len(), 0, started);
            }
        }
        // Sorted by the DISTINCT ON columns first: each group's rows are
        // together, and its first one stays.
        let key = |r: &Vec<Datum>| {
            RowKey(
                plan.distinct_on
                    .iter()
                    .map(|&c| r.get(c).cloned().unwrap_or(Datum::Null))
                    .collect(),
            )
        };
        let mut last: Option<RowKey> = None;
        rows.retain(|r| {
            let k = key(r);
            let keep = last.as_ref() != Some(&k);
            last = Some(k);
            keep
        });
        if instrumenting {
            let n = match limit {
                Some(l) => rows.len().min(offset.saturating_add(l)),
                None => rows.len(),
            };
            record_stage(ev, plan, Stage::Unique, n, 0, started);
        }
    }
    let out: Vec<Vec<Datum>> = rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|mut r| {
            r.truncate(width);
            r
        })
        .collect();
    if instrumenting && (plan.limit.is_some() || plan.offset.is_some()) {
        record_stage(ev, plan, Stage::Limit, out.len(), 0, started);
    }
    Ok(out)
}

/// Whether the query returns a row (EXISTS): it stops at the first one
/// when nothing regroups, sorts or skips rows.
pub fn has_rows(ev: &mut Evaluator<'_>, plan: &Plan) -> PgResult<bool> {
    if plan.aggregate.is_some()
        || plan.offset.is_some()
        || plan.limit.is_some()
        || plan.row_lock.is_some()
    {
        return Ok(!run(ev, plan, plan.targets.len())?.is_empty());
    }
    let mut found = false;
    for_each_qualifying_row(
        ev,
        &plan.source,
        plan.source_columns_needed(),
        plan.filter.as_ref(),
        &mut |_, _| {
            found = true;
            Ok(false)
        },
    )?;
    Ok(found)
}

/// OFFSET (0 if none) and LIMIT (None if none or NULL).
fn offset_and_limit(ev: &mut Evaluator<'_>, plan: &Plan) -> PgResult<(usize, Option<usize>)> {
    let offset = match &plan.offset {
        Some(e) => match ev.eval(e)? {
            Datum::Int8(n) if n < 0 => {
                return Err(PgError::new(
                    SqlState::InvalidRowCountInResultOffsetClause,
                    "OFFSET must not be negative",
                ));
            }
            Datum::Int8(n) => usize::try_from(n).unwrap_or(usize::MAX),
            _ => 0,
        },
        None => 0,
    };
    let limit = match &plan.limit {
        Some(e) => match ev.eval(e)? {
            Datum::Int8(n) if n < 0 => {
                return Err(PgError::new(
                    SqlState::InvalidRowCountInLimitClause,
                    "LIMIT must not be negative",
                ));
            }
            Datum::Int8(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => None,
        },
        None => None,
    };
    Ok((offset, limit))
}

/// A query with `FOR UPDATE/SHARE` (no aggregates or DISTINCT: the planner
/// refuses those): scan, WHERE, project, sort, then lock as OFFSET/LIMIT
/// take rows (see the module doc).
fn run_locking(
    ev: &mut Evaluator<'_>,
    plan: &Plan,
    mark: &RowMark,
    width: usize,
) -> PgResult<Vec<Vec<Datum>>> {
    // Each candidate: its tid and its projected row with the candidate's
    // index appended, so that the sort carries the index along.
    let mut tids: Vec<Tid> = Vec::new();
    let mut rows: Vec<Vec<Datum>> = Vec::new();
    let scan = match &plan.source {
        Source::IndexScan(rel, s) => open_index_scan(ev, rel, s)?,
        Source::TidScan(rel, s) => open_tid_scan(ev, rel, s)?,
        _ => ev.ctx.scan_begin(&mark.rel)?,
    };
    let started = (ev.instrumenting() == Some(true)).then(Instant::now);
    let mut removed = 0u64;
    let result: PgResult<()> = (|| loop {
        ev.ctx.check_for_interrupts()?;
        let Some((tid, row)) = ev.ctx.scan_next(scan)? else {
            return Ok(());
        };
        if qualifies(ev, plan.filter.as_ref(), &row)? {
            let mut r = project(ev, &plan.targets, &row)?;
            r.push(Datum::Int8(tids.len() as i64));
            tids.push(tid);
            rows.push(r);
        } else {
            removed += 1;
        }
    })();
    ev.ctx.scan_end(scan);
    result?;
    let instrumenting = ev.instrumenting().is_some();
    if instrumenting {
        let times = started.map(|s| (s.elapsed(), s.elapsed()));
        ev.record(
            NodeKey::source(&plan.source),
            rows.len() as u64,
            removed,
            times,
        );
    }
    sort(&mut rows, &plan.order_by)?;
    if instrumenting && !plan.order_by.is_empty() {
        record_stage(ev, plan, Stage::Sort, rows.len(), 0, started);
    }
    let (offset, limit) = offset_and_limit(ev, plan)?;
    let limit = limit.unwrap_or(usize::MAX);
    let (mut out, mut skipped) = (Vec::new(), 0usize);
    for mut row in rows {
        if out.len() >= limit {
            break;
        }
        let Some(Datum::Int8(i)) = row.pop() else {
            return Err(PgError::internal("row lost its candidate index"));
        };
        let mut tid = tids[i as usize];
        let locked = loop {
            ev.ctx.check_for_interrupts()?;
            match ev.ctx.lock_row(&mark.rel, tid, mark.mode, mark.wait)? {
                LockRowOutcome::Locked => break true,
                LockRowOutcome::Skipped | LockRowOutcome::Gone | LockRowOutcome::SelfModified => {
                    break false;
                }
                LockRowOutcome::Updated {
                    tid: t,
                    row: newest,
                } => {
                    if !qualifies(ev, plan.filter.as_ref(), &newest)? {
                        break false;
                    }
                    row = project(ev, &plan.targets, &newest)?;
                    tid = t;
                }
            }
        };
        if !locked {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        row.truncate(width);
        out.push(row);
    }
    if instrumenting {
        record_stage(ev, plan, Stage::LockRows, out.len() + skipped, 0, started);
        if plan.limit.is_some() || plan.offset.is_some() {
            record_stage(ev, plan, Stage::Limit, out.len(), 0, started);
        }
    }
    Ok(out)
}

/// Sorts rows by the keys (a stable sort, as the order of equal rows is unspecified).
pub fn sort(rows: &mut [Vec<Datum>], keys: &[SortKey]) -> PgResult<()> {
    if keys.is_empty() || rows.len() < 2 {
        return Ok(());
    }
    let mut err = None;
    rows.sort_by(|a, b| {
        compare_rows(a, b, keys).unwrap_or_else(|e| {
            err.get_or_insert(e);
            Ordering::Equal
        })
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How two rows compare under the sort keys.
fn compare_rows(a: &[Datum], b: &[Datum], keys: &[SortKey]) -> PgResult<Ordering> {
    for k in keys {
        let (Some(x), Some(y)) = (a.get(k.column), b.get(k.column)) else {
            return Err(PgError::internal("sort key beyond the row"));
        };
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if k.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if k.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = compare::compare(x, y)?;
                if k.descending { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// The first `bound` rows of a sort, kept while the rows arrive (PostgreSQL's
/// bounded "top-N heapsort" under a LIMIT): a max-heap of the best rows so
/// far, each with its arrival number so that ties keep the order a full
/// stable sort would give. Memory stays at `bound` rows and each row costs
/// O(log bound) comparisons.
pub(crate) struct TopN<'k> {
    keys: &'k [SortKey],
    bound: usize,
    /// A binary max-heap by (keys, arrival): the worst kept row on top.
    heap: Vec<(Vec<Datum>, u64)>,
    arrived: u64,
}

impl<'k> TopN<'k> {
    pub(crate) fn new(keys: &'k [SortKey], bound: usize) -> Self {
        TopN {
            keys,
            bound,
            heap: Vec::with_capacity(bound.min(1024)),
            arrived: 0,
        }
    }

    /// Whether `a` sorts after `b`.
    fn after(&self, a: &(Vec<Datum>, u64), b: &(Vec<Datum>, u64)) -> PgResult<bool> {
        Ok(compare_rows(&a.0, &b.0, self.keys)?.then(a.1.cmp(&b.1)) == Ordering::Greater)
    }

    /// Offers a row: kept if it is among the first `bound` so far.
    pub(crate) fn push(&mut self, row: Vec<Datum>) -> PgResult<()> {
        if self.bound == 0 {
            return Ok(());
        }
        let entry = (row, self.arrived);
        self.arrived += 1;
        if self.heap.len() < self.bound {
            self.heap.push(entry);
            let mut i = self.heap.len() - 1;
            while i > 0 {
                let parent = (i - 1) / 2;
                if !self.after(&self.heap[i], &self.heap[parent])? {
                    break;
                }
                self.heap.swap(i, parent);
                i = parent;
            }
            return Ok(());
        }
        // A later arrival that ties the worst kept row sorts after it.
        if !self.after(&self.heap[0], &entry)? {
            return Ok(());
        }
        self.heap[0] = entry;
        let mut i = 0;
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut worst = i;
            if l < self.heap.len() && self.after(&self.heap[l], &self.heap[worst])? {
                worst = l;
            }
            if r < self.heap.len() && self.after(&self.heap[r], &self.heap[worst])? {
                worst = r;
            }
            if worst == i {
                return Ok(());
            }
            self.heap.swap(i, worst);
            i = worst;
        }
    }

    /// The kept rows in sort order.
    pub(crate) fn finish(self) -> PgResult<Vec<Vec<Datum>>> {
        let mut heap = self.heap;
        let mut err = None;
        heap.sort_by(|a, b| {
            compare_rows(&a.0, &b.0, self.keys)
                .unwrap_or_else(|e| {
                    err.get_or_insert(e);
                    Ordering::Equal
                })
                .then(a.1.cmp(&b.1))
        });
        match err {
            Some(e) => Err(e),
            None => Ok(heap.into_iter().map(|(row, _)| row).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of (a small int with many ties, NULL every seventh row, a row id).
    fn rows(n: i32) -> Vec<Vec<Datum>> {
        (0..n)
            .map(|i| {
                let key = (i * 7919) % 13;
                let nullable = if i % 7 == 0 {
                    Datum::Null
                } else {
                    Datum::Int4((i * 31) % 5)
                };
                vec![Datum::Int4(key), nullable, Datum::Int4(i)]
            })
            .collect()
    }

    #[test]
    fn top_n_keeps_what_a_stable_sort_puts_first() {
        let orders: [&[SortKey]; 3] = [
            &[SortKey {
                column: 0,
                descending: false,
                nulls_first: false,
            }],
            &[
                SortKey {
                    column: 1,
                    descending: true,
                    nulls_first: true,
                },
                SortKey {
                    column: 0,
                    descending: false,
                    nulls_first: false,
                },
            ],
            &[SortKey {
                column: 1,
                descending: false,
                nulls_first: false,
            }],
        ];
        for keys in orders {
            let mut all = rows(500);
            sort(&mut all, keys).expect("sort");
            for bound in [0, 1, 2, 7, 64, 499, 500, 501, 2000] {
                let mut best = TopN::new(keys, bound);
                for row in rows(500) {
                    best.push(row).expect("push");
                }
                let kept = best.finish().expect("finish");
                assert_eq!(kept, all[..bound.min(all.len())], "bound {bound}");
            }
        }
    }
}
