//! Joins: the rows of two inputs paired (see `planner/src/joinpath.rs` for
//! the plan).
//!
//! The right input is read once into memory, hashed on the join's keys
//! (none: every right row is a candidate for every left row), then each
//! left row meets its candidates; a pair that passes the condition is a
//! joined row. Rows of a kept side that matched nothing come out padded
//! with NULLs: left rows as they are read, right rows at the end.
//!
//! A nested loop over an index of the right table (`Join::inner_index`)
//! that the planner chose by cost runs as planned: each left row looks its
//! right rows up through the index. One chosen by the rule (no statistics)
//! holds the first [`PROBE_LIMIT`] left rows back: if the left side ends
//! there, each one looks its right rows up through the index and the right
//! side is never read as a whole; if not, the right side is hashed after
//! all and the held rows go first.
//!
//! A semi join emits a left row at its first match, an anti join one that
//! matched nothing; both emit the left row alone. A join planned to be
//! driven by its right input (`Join::probe_left`) looks the left rows up
//! through an index for each right row.

use std::hash::{Hash, Hasher};

use planner::{Join, JoinInput, JoinKind, ParamIndexScan};
use types::compare::{compare, hash_value};
use types::fasthash::FxMap;
use types::{Datum, PgResult};

use crate::expr::Evaluator;
use crate::query::qualifies;

/// How many left rows may look their matches up one by one through an
/// index before hashing the right side is the cheaper way.
const PROBE_LIMIT: usize = 256;

type Emit<'f> = dyn FnMut(&mut Evaluator<'_>, Vec<Datum>) -> PgResult<bool> + 'f;

/// The key values of a row (none NULL), equal and hashed as the type
/// compares them (numeric `1.0` meets `1.00`).
struct Key(Vec<Datum>);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| compare(a, b).is_ok_and(|o| o.is_eq()))
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for d in &self.0 {
            hash_value(d, h);
        }
    }
}

/// No further row with the key (the end of a chain in [`Hashed::next`]).
const END: usize = usize::MAX;

/// The right side in memory: its rows, the first row of each key value
/// with the rows of the same key chained from it, and which rows have
/// matched (for RIGHT and FULL JOIN).
struct Hashed {
    rows: Vec<Vec<Datum>>,
    first: FxMap<Key, usize>,
    next: Vec<usize>,
    matched: Vec<bool>,
}

/// Calls `f` with each joined row until it returns false.
pub fn run(ev: &mut Evaluator<'_>, j: &Join, f: &mut Emit<'_>) -> PgResult<()> {
    match &j.output {
        // A reordered tree: its rows go up laid out as written.
        Some(output) => run_as_built(ev, j, &mut |ev, mut row| {
            let written = output
                .iter()
                .map(|&c| {
                    row.get_mut(c)
                        .map_or(Datum::Null, |d| std::mem::replace(d, Datum::Null))
                })
                .collect();
            f(ev, written)
        }),
        None => run_as_built(ev, j, f),
    }
}

fn run_as_built(ev: &mut Evaluator<'_>, j: &Join, f: &mut Emit<'_>) -> PgResult<()> {
    if let planner::Source::Subquery {
        plan,
        width,
        params,
    } = &j.right.source
        && !params.is_empty()
    {
        return run_lateral(ev, j, plan, *width, params, f);
    }
    if j.hash_left {
        return run_hash_left(ev, j, f);
    }
    if let Some(probe) = &j.probe_left {
        return run_probe_left(ev, j, probe, f);
    }
    if let Some(probe) = j.inner_index.as_ref().filter(|p| p.by_cost) {
        // The planner chose the nested loop from statistics: no fallback.
        return for_each_input_row(ev, &j.left, &mut |ev, left| {
            join_probed(ev, j, probe, left, f)
        });
    }
    let mut hashed: Option<Hashed> = None;
    let mut held: Vec<Vec<Datum>> = Vec::new();
    let mut stopped = false;
    for_each_input_row(ev, &j.left, &mut |ev, left| {
        if hashed.is_none() {
            if j.inner_index.is_some() && held.len() < PROBE_LIMIT {
                held.push(left);
                return Ok(true);
            }
            let mut h = hash_right(ev, j)?;
            for l in std::mem::take(&mut held) {
                if !join_hashed(ev, j, &mut h, l, f)? {
                    stopped = true;
                    return Ok(false);
                }
            }
            hashed = Some(h);
        }
        let Some(h) = hashed.as_mut() else {
            return Ok(false);
        };
        let go_on = join_hashed(ev, j, h, left, f)?;
        stopped = !go_on;
        Ok(go_on)
    })?;
    if stopped {
        return Ok(());
    }
    if let Some(probe) = &j.inner_index
        && hashed.is_none()
    {
        for left in held {
            if !join_probed(ev, j, probe, left, f)? {
                return Ok(());
            }
        }
    }
    if !j.kind.keeps_right() {
        return Ok(());
    }
    let h = match hashed {
        Some(h) => h,
        None => hash_right(ev, j)?,
    };
    for (row, matched) in h.rows.into_iter().zip(h.matched) {
        if matched {
            continue;
        }
        ev.ctx.check_for_interrupts()?;
        let mut out = vec![Datum::Null; j.left.width];
        out.extend(row);
        // (a semi or anti join keeps no right rows)
        if !f(ev, out)? {
            return Ok(());
        }
    }
    Ok(())
}

/// A join whose right side is a LATERAL subquery: run for each left row,
/// its params over that row (a nested loop; INNER or LEFT JOIN).
fn run_lateral(
    ev: &mut Evaluator<'_>,
    j: &Join,
    plan: &planner::Plan,
    width: usize,
    params: &[planner::Expr],
    f: &mut Emit<'_>,
) -> PgResult<()> {
    for_each_input_row(ev, &j.left, &mut |ev, left| {
        let frame = params
            .iter()
            .map(|p| ev.eval_row(p, &left))
            .collect::<PgResult<Vec<_>>>()?;
        let rights = ev.in_frame(frame, |ev| crate::query::run(ev, plan, width))?;
        let mut any = false;
        for right in rights {
            if !qualifies(ev, j.right.filter.as_ref(), &right)? {
                continue;
            }
            match emit_pair(ev, j, &left, &right, f)? {
                Some(false) => return Ok(false),
                Some(true) => any = true,
                None => {}
            }
        }
        pad_unmatched_left(ev, j, left, any, f)
    })
}

/// The rows of an input that pass its filter.
fn for_each_input_row(ev: &mut Evaluator<'_>, input: &JoinInput, f: &mut Emit<'_>) -> PgResult<()> {
    let filter = input.filter.as_ref();
    crate::query::for_each_qualifying_row(ev, &input.source, input.columns, filter, f)
}

/// The values of key expressions over a row; None if one is NULL (such a
/// row matches nothing).
fn key_values(
    ev: &mut Evaluator<'_>,
    keys: impl Iterator<Item = impl std::ops::Deref<Target = planner::Expr>>,
    row: &[Datum],
) -> PgResult<Option<Vec<Datum>>> {
    let mut out = Vec::new();
    for k in keys {
        let v = ev.eval_row(&k, row)?;
        if v.is_null() {
            return Ok(None);
        }
        out.push(v);
    }
    Ok(Some(out))
}

/// A join planned to hash its left side (`Join::hash_left`, INNER or
/// LEFT JOIN with keys): each right row probes the hashed left rows; the
/// left rows that matched nothing come out NULL-padded at the end if the
/// join keeps them.
fn run_hash_left(ev: &mut Evaluator<'_>, j: &Join, f: &mut Emit<'_>) -> PgResult<()> {
    let mut h = hash_input(ev, &j.left, true, j)?;
    let mut stopped = false;
    let Hashed {
        rows,
        first,
        next,
        matched,
    } = &mut h;
    for_each_input_row(ev, &j.right, &mut |ev, right| {
        ev.ctx.check_for_interrupts()?;
        let mut i = match key_values(ev, j.hash_keys.iter().map(|(_, r)| r), &right)? {
            Some(key) => first.get(&Key(key)).copied().unwrap_or(END),
            None => END,
        };
        while i != END {
            if let Some(go_on) = emit_pair(ev, j, &rows[i], &right, f)? {
                matched[i] = true;
                if !go_on {
                    stopped = true;
                    return Ok(false);
                }
            }
            i = next[i];
        }
        Ok(true)
    })?;
    if stopped || !j.kind.keeps_left() {
        return Ok(());
    }
    for (row, matched) in h.rows.into_iter().zip(h.matched) {
        if !matched && !pad_unmatched_left(ev, j, row, false, f)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Reads the right side into memory, hashed on its keys.
fn hash_right(ev: &mut Evaluator<'_>, j: &Join) -> PgResult<Hashed> {
    hash_input(ev, &j.right, false, j)
}

/// Reads one input into memory, hashed on its side of the join's keys.
fn hash_input(ev: &mut Evaluator<'_>, input: &JoinInput, left: bool, j: &Join) -> PgResult<Hashed> {
    let mut rows = Vec::new();
    let mut first: FxMap<Key, usize> = FxMap::default();
    let mut next = Vec::new();
    for_each_input_row(ev, input, &mut |ev, row| {
        ev.ctx.check_for_interrupts()?;
        let i = rows.len();
        next.push(END);
        let keys = j.hash_keys.iter().map(|(l, r)| if left { l } else { r });
        if !j.hash_keys.is_empty()
            && let Some(key) = key_values(ev, keys, &row)?
        {
            // Rows of one key chain newest first; the order of matches is
            // not specified.
            if let Some(head) = first.insert(Key(key), i) {
                next[i] = head;
            }
        }
        rows.push(row);
        Ok(true)
    })?;
    let matched = vec![false; rows.len()];
    Ok(Hashed {
        rows,
        first,
        next,
        matched,
    })
}

/// A left and a right row that the keys paired: joined and passed to `f`
/// if the join's condition holds. None: they do not match; else what `f`
/// said (false: stop).
fn emit_pair(
    ev: &mut Evaluator<'_>,
    j: &Join,
    left: &[Datum],
    right: &[Datum],
    f: &mut Emit<'_>,
) -> PgResult<Option<bool>> {
    let row = joined(left, right);
    if !qualifies(ev, j.qual.as_ref(), &row)? {
        return Ok(None);
    }
    f(ev, row).map(Some)
}

/// Whether a left and a right row that the keys paired pass the join's
/// condition.
fn pair_matches(
    ev: &mut Evaluator<'_>,
    j: &Join,
    left: &[Datum],
    right: &[Datum],
) -> PgResult<bool> {
    match &j.qual {
        None => Ok(true),
        Some(q) => qualifies(ev, Some(q), &joined(left, right)),
    }
}

/// The left row followed by the right row.
fn joined(left: &[Datum], right: &[Datum]) -> Vec<Datum> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    out.extend_from_slice(left);
    out.extend_from_slice(right);
    out
}

/// One left row against the hashed right side. False: stop.
fn join_hashed(
    ev: &mut Evaluator<'_>,
    j: &Join,
    h: &mut Hashed,
    left: Vec<Datum>,
    f: &mut Emit<'_>,
) -> PgResult<bool> {
    ev.ctx.check_for_interrupts()?;
    let mut any = false;
    let Hashed {
        rows,
        first,
        next,
        matched,
    } = h;
    // Without keys every right row is a candidate: a chain through all.
    let mut i = if j.hash_keys.is_empty() {
        if rows.is_empty() { END } else { 0 }
    } else {
        match key_values(ev, j.hash_keys.iter().map(|(l, _)| l), &left)? {
            Some(key) => first.get(&Key(key)).copied().unwrap_or(END),
            None => END,
        }
    };
    while i != END {
        if j.kind.left_only() {
            // A semi or anti join asks only whether there is a match.
            if pair_matches(ev, j, &left, &rows[i])? {
                any = true;
                break;
            }
        } else if let Some(go_on) = emit_pair(ev, j, &left, &rows[i], f)? {
            any = true;
            matched[i] = true;
            if !go_on {
                return Ok(false);
            }
        }
        i = if j.hash_keys.is_empty() {
            if i + 1 < rows.len() { i + 1 } else { END }
        } else {
            next[i]
        };
    }
    pad_unmatched_left(ev, j, left, any, f)
}

/// What becomes of a left row once its matches were joined: one that
/// matched nothing NULL-padded if the join keeps it; for a semi join the
/// row itself if it matched, for an anti join if it did not.
fn pad_unmatched_left(
    ev: &mut Evaluator<'_>,
    j: &Join,
    left: Vec<Datum>,
    matched: bool,
    f: &mut Emit<'_>,
) -> PgResult<bool> {
    match j.kind {
        JoinKind::Semi if matched => return f(ev, left),
        JoinKind::Anti if !matched => return f(ev, left),
        JoinKind::Semi | JoinKind::Anti => return Ok(true),
        _ => {}
    }
    if matched || !j.kind.keeps_left() {
        return Ok(true);
    }
    let mut out = left;
    out.resize(out.len() + j.right.width, Datum::Null);
    f(ev, out)
}

/// One left row against the right rows an index scan finds for its key
/// values. False: stop.
fn join_probed(
    ev: &mut Evaluator<'_>,
    j: &Join,
    probe: &ParamIndexScan,
    left: Vec<Datum>,
    f: &mut Emit<'_>,
) -> PgResult<bool> {
    ev.ctx.check_for_interrupts()?;
    let (Some(values), Some(key)) = (
        key_values(ev, probe.keys.iter(), &left)?,
        key_values(ev, j.hash_keys.iter().map(|(l, _)| l), &left)?,
    ) else {
        return pad_unmatched_left(ev, j, left, false, f);
    };
    let (mut any, mut stop) = (false, false);
    scan_probed(ev, j, probe, values, &Key(key), false, &mut |ev, right| {
        if j.kind.left_only() {
            // A semi or anti join needs one match.
            any = pair_matches(ev, j, &left, &right)?;
            return Ok(!any);
        }
        match emit_pair(ev, j, &left, &right, f)? {
            Some(false) => {
                stop = true;
                Ok(false)
            }
            Some(true) => {
                any = true;
                Ok(true)
            }
            None => Ok(true),
        }
    })?;
    if stop {
        return Ok(false);
    }
    pad_unmatched_left(ev, j, left, any, f)
}

/// A nested loop driven by the right input (`Join::probe_left`): each
/// right row looks its left rows up through the index; the joined rows
/// keep their layout, left values first (a semi join's: the left row).
fn run_probe_left(
    ev: &mut Evaluator<'_>,
    j: &Join,
    probe: &ParamIndexScan,
    f: &mut Emit<'_>,
) -> PgResult<()> {
    for_each_input_row(ev, &j.right, &mut |ev, right| {
        ev.ctx.check_for_interrupts()?;
        let (Some(values), Some(key)) = (
            key_values(ev, probe.keys.iter(), &right)?,
            key_values(ev, j.hash_keys.iter().map(|(_, r)| r), &right)?,
        ) else {
            return Ok(true);
        };
        let mut go_on = true;
        scan_probed(ev, j, probe, values, &Key(key), true, &mut |ev, left| {
            let mut row = joined(&left, &right);
            if !qualifies(ev, j.qual.as_ref(), &row)? {
                return Ok(true);
            }
            if j.kind.left_only() {
                row.truncate(left.len());
            }
            go_on = f(ev, row)?;
            Ok(go_on)
        })?;
        Ok(go_on)
    })
}

/// The rows of the probed input (the left one if `left`) that an index
/// scan of `probe` finds for key `values`, pass the input's filter and
/// have join keys equal to `key`: each given to `f` until it returns
/// false. One loop of the inner scan for EXPLAIN ANALYZE (no time: it is
/// interleaved with the join's own work).
fn scan_probed(
    ev: &mut Evaluator<'_>,
    j: &Join,
    probe: &ParamIndexScan,
    values: Vec<Datum>,
    key: &Key,
    left: bool,
    f: &mut dyn FnMut(&mut Evaluator<'_>, Vec<Datum>) -> PgResult<bool>,
) -> PgResult<()> {
    let input = if left { &j.left } else { &j.right };
    let range = crate::IndexRange {
        lower: Some((values.clone(), true)),
        upper: Some((values, true)),
    };
    let scan = ev.ctx.index_scan_begin(
        &probe.rel,
        probe.index_oid,
        vec![range],
        probe.index_only,
        false,
    )?;
    let (mut found, mut removed) = (0u64, 0u64);
    let result = (|| -> PgResult<()> {
        while let Some((_, row)) = ev.ctx.scan_next(scan)? {
            if !qualifies(ev, input.filter.as_ref(), &row)? {
                removed += 1;
                continue;
            }
            found += 1;
            let keys = j.hash_keys.iter().map(|(l, r)| if left { l } else { r });
            if key_values(ev, keys, &row)?.is_none_or(|k| Key(k) != *key) {
                continue;
            }
            if !f(ev, row)? {
                break;
            }
        }
        Ok(())
    })();
    ev.ctx.scan_end(scan);
    ev.record(
        planner::explain::NodeKey::source(&input.source),
        found,
        removed,
        None,
    );
    result
}
