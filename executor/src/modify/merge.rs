//! MERGE (PostgreSQL's `ExecMerge` in `nodeModifyTable.c`).
//!
//! The source rows are computed first; then each target row (of the table
//! and of the descendants it reaches, each read in the named table's
//! columns) is paired with every source row that passes the join
//! condition, a nested loop:
//!
//! ```text
//!   for target row t:                       after the scans:
//!     for source row s with ON(t, s):         for source row s never matched:
//!       s is matched                            first WHEN NOT MATCHED whose
//!       first WHEN MATCHED whose                condition holds: INSERT or
//!       condition holds: UPDATE, DELETE         DO NOTHING
//!       or DO NOTHING (t changed already
//!       by this MERGE: 21000)
//! ```
//!
//! So insertions come after the updates and deletions, where PostgreSQL
//! interleaves them in the order of its join; the rows changed are the same.
//!
//! READ COMMITTED: when a concurrent committed transaction updated the
//! target row first, the join condition is tested again on its newest
//! version with the same source row and, if it still holds, the WHEN
//! MATCHED clauses are tried again from the first. A row deleted
//! concurrently, or one whose new version no longer joins, is left alone
//! (PostgreSQL 15 would try the WHEN NOT MATCHED clauses for the source
//! row instead).

use std::sync::Arc;

use planner::{MergeActionKind, MergePlan, RelationDesc};
use types::{Datum, PgError, PgResult, SqlState};

use super::{
    after_update, before_update, check_constraints, compute_generated, convert_row, delete_one,
    insert_one, leaves_partition, move_row,
};
use crate::expr::Evaluator;
use crate::query::{self, qualifies};
use crate::{ExecResult, ModifyOutcome, Tid, TriggerEvent, has_triggers};

/// Runs a MERGE; the result counts the rows inserted, updated and deleted.
pub(super) fn run(ev: &mut Evaluator<'_>, p: &MergePlan) -> PgResult<ExecResult> {
    let kinds = action_events(p);
    for &event in &kinds {
        if has_triggers(&p.rel, event, false, true) {
            ev.ctx.statement_triggers(&p.rel, event, true)?;
        }
    }
    let sources = query::run(ev, &p.source, p.source.targets.len())?;
    let mut matched = vec![false; sources.len()];
    let mut processed = 0u64;
    if !p.matched.is_empty() || !p.not_matched.is_empty() {
        let root = (p.rel.relkind == 'p').then(|| p.rel.as_ref());
        let mut tables: Vec<Arc<RelationDesc>> = Vec::new();
        if p.rel.relkind != 'p' {
            tables.push(Arc::new(RelationDesc {
                children: Vec::new(),
                ..(*p.rel).clone()
            }));
        }
        if !p.rel.children.is_empty() {
            tables.extend(planner::inherit::modified_descendants(&p.rel));
        }
        for table in &tables {
            let scan = ev.ctx.scan_begin(table)?;
            let result = (|| -> PgResult<()> {
                loop {
                    ev.ctx.check_for_interrupts()?;
                    let Some((tid, row)) = ev.ctx.scan_next(scan)? else {
                        return Ok(());
                    };
                    let mut changed = false;
                    for (k, source) in sources.iter().enumerate() {
                        let wide = widen(p, table, &row, source);
                        if !qualifies(ev, Some(&p.join), &wide)? {
                            continue;
                        }
                        matched[k] = true;
                        if act_matched(ev, p, table, root, tid, row.clone(), wide, source, changed)?
                        {
                            changed = true;
                            processed += 1;
                        }
                    }
                }
            })();
            ev.ctx.scan_end(scan);
            result?;
        }
    }
    let width = p.rel.columns.len();
    for (source, _) in sources.iter().zip(&matched).filter(|(_, m)| !**m) {
        ev.ctx.check_for_interrupts()?;
        let mut wide = vec![Datum::Null; width];
        wide.extend_from_slice(source);
        for action in &p.not_matched {
            if !qualifies(ev, action.condition.as_ref(), &wide)? {
                continue;
            }
            if let MergeActionKind::Insert(exprs) = &action.kind {
                let row = exprs
                    .iter()
                    .map(|e| ev.eval_row(e, &wide))
                    .collect::<PgResult<Vec<_>>>()?;
                if insert_one(ev, &p.rel, row)?.is_some() {
                    processed += 1;
                }
            }
            break;
        }
    }
    for event in kinds.iter().rev() {
        if has_triggers(&p.rel, *event, false, false) {
            ev.ctx.statement_triggers(&p.rel, *event, false)?;
        }
    }
    Ok(ExecResult {
        rows: vec![],
        processed,
    })
}

/// The trigger events of the statement's actions, in PostgreSQL's order
/// for the BEFORE STATEMENT triggers (INSERT, UPDATE, DELETE; the AFTER
/// ones fire in reverse).
fn action_events(p: &MergePlan) -> Vec<TriggerEvent> {
    let has = |f: &dyn Fn(&MergeActionKind) -> bool| {
        p.matched.iter().chain(&p.not_matched).any(|a| f(&a.kind))
    };
    let mut events = Vec::new();
    if has(&|k| matches!(k, MergeActionKind::Insert(_))) {
        events.push(TriggerEvent::Insert);
    }
    if has(&|k| matches!(k, MergeActionKind::Update(_))) {
        events.push(TriggerEvent::Update);
    }
    if has(&|k| matches!(k, MergeActionKind::Delete)) {
        events.push(TriggerEvent::Delete);
    }
    events
}

/// A row of `table` in the MERGE target's columns, followed by a source row.
fn widen(p: &MergePlan, table: &RelationDesc, row: &[Datum], source: &[Datum]) -> Vec<Datum> {
    let mut wide = if table.oid == p.rel.oid {
        row.to_vec()
    } else {
        convert_row(table, row, &p.rel)
    };
    wide.extend_from_slice(source);
    wide
}

/// The WHEN MATCHED clauses for target row `tid` of `table` (`row` in its
/// own columns, `wide` joined to a source row); `changed`: whether this
/// MERGE changed the row already. Whether the row was updated or deleted.
#[allow(clippy::too_many_arguments)]
fn act_matched(
    ev: &mut Evaluator<'_>,
    p: &MergePlan,
    table: &Arc<RelationDesc>,
    root: Option<&RelationDesc>,
    mut tid: Tid,
    mut row: Vec<Datum>,
    mut wide: Vec<Datum>,
    source: &[Datum],
    changed: bool,
) -> PgResult<bool> {
    let width = p.rel.columns.len();
    'retry: loop {
        for action in &p.matched {
            if !qualifies(ev, action.condition.as_ref(), &wide)? {
                continue;
            }
            if matches!(action.kind, MergeActionKind::Nothing) {
                return Ok(false);
            }
            if changed {
                return Err(PgError::new(
                    SqlState::CardinalityViolation,
                    "MERGE command cannot affect row a second time",
                )
                .with_hint(
                    "Ensure that not more than one source row matches any one target row.",
                ));
            }
            let outcome = match &action.kind {
                MergeActionKind::Update(assignments) => {
                    let mut new = wide[..width].to_vec();
                    for (i, e) in assignments {
                        let v = ev.eval_row(e, &wide)?;
                        if let Some(slot) = new.get_mut(*i) {
                            *slot = v;
                        }
                    }
                    let new = if table.oid == p.rel.oid {
                        new
                    } else {
                        convert_row(&p.rel, &new, table)
                    };
                    let Some(mut new) = before_update(ev, table, &row, new)? else {
                        return Ok(false);
                    };
                    compute_generated(ev, table, &mut new)?;
                    if let Some(root) = root
                        && leaves_partition(ev, table, &new)?
                    {
                        move_row(ev, table, root, tid, new)?.0
                    } else {
                        check_constraints(ev, table, &new)?;
                        let outcome = ev.ctx.update_row(table, tid, new.clone())?;
                        after_update(ev, table, &outcome, &row, &new)?;
                        outcome
                    }
                }
                MergeActionKind::Delete => delete_one(ev, table, tid, &row)?.0,
                MergeActionKind::Insert(_) | MergeActionKind::Nothing => {
                    return Err(PgError::internal("MERGE: no such matched action"));
                }
            };
            return match outcome {
                ModifyOutcome::Done => Ok(true),
                ModifyOutcome::Gone => Ok(false),
                ModifyOutcome::Updated { tid: t, row: r } => {
                    ev.ctx.check_for_interrupts()?;
                    let w = widen(p, table, &r, source);
                    if !qualifies(ev, Some(&p.join), &w)? {
                        return Ok(false);
                    }
                    (tid, row, wide) = (t, r, w);
                    continue 'retry;
                }
            };
        }
        return Ok(false);
    }
}
