//! INSERT, UPDATE and DELETE (PostgreSQL's `nodeModifyTable.c` counterpart).
//!
//! INSERT evaluates the plan's full-width rows, checks NOT NULL and CHECK
//! constraints and hands each row to [`ExecContext::insert_row`]. UPDATE and
//! DELETE scan the relation, test WHERE on each row and modify it by its
//! [`Tid`]; the storage side hides the statement's own changes from its
//! scan, so rows stream.
//!
//! READ COMMITTED re-check (EvalPlanQual). When the storage reports that a
//! concurrent, committed transaction changed the row first:
//!
//! ```text
//!   update_row/delete_row(tid) ──Done──────────────> count it, RETURNING
//!        │  ^                 └─Gone──────────────> skip the row
//!        │  │ Updated{tid', row'}
//!        │  └── WHERE(row') true: recompute SET from row', retry on tid'
//!        └───── WHERE(row') false: skip the row
//! ```

use planner::{
    ColumnDesc, Expr, ModifyTable, OnConflictAction, OnConflictPlan, Plan, RelationDesc,
};
use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;
use crate::query::{self, qualifies};
use crate::{
    ExecResult, LockRowOutcome, ModifyOutcome, RowLockMode, RowLockWait, Tid, TriggerEvent,
    has_triggers, wants_after_rows,
};
use planner::explain::{NodeKey, Stage};

mod merge;

/// Longest value text shown in a "Failing row contains" detail, in bytes.
const MAX_FIELD_LEN: usize = 64;

/// Runs a table modification; `plan` holds the rows of an INSERT.
pub fn run(ev: &mut Evaluator<'_>, plan: &Plan, m: &ModifyTable) -> PgResult<ExecResult> {
    let started = (ev.instrumenting() == Some(true)).then(std::time::Instant::now);
    let event = match m {
        ModifyTable::Insert { .. } => TriggerEvent::Insert,
        ModifyTable::Update { .. } => TriggerEvent::Update,
        ModifyTable::Delete { .. } => TriggerEvent::Delete,
        ModifyTable::Merge(p) => {
            let out = merge::run(ev, p)?;
            if ev.instrumenting().is_some() {
                let times = started.map(|s| (s.elapsed(), s.elapsed()));
                ev.record(NodeKey::modify(m, Stage::Modify), 0, 0, times);
            }
            return Ok(out);
        }
    };
    if has_triggers(m.relation(), event, false, true) {
        ev.ctx.statement_triggers(m.relation(), event, true)?;
    }
    let mut out = run_modify(ev, plan, m, None)?;
    // UPDATE and DELETE of an inheritance tree: each descendant in turn. A
    // row of a partitioned table's tree that an UPDATE moves out of its
    // partition is routed again from the table named.
    if !matches!(m, ModifyTable::Insert { .. }) && !m.relation().children.is_empty() {
        let root = (m.relation().relkind == 'p').then(|| m.relation().clone());
        for child in planner::inherit::modified_descendants(m.relation()) {
            let cm = planner::inherit::child_modify(m, &child);
            if planner::inherit::pruned(&cm) {
                continue;
            }
            let more = run_modify(ev, plan, &cm, root.as_deref())?;
            out.processed += more.processed;
            out.rows.extend(more.rows);
        }
    }
    if has_triggers(m.relation(), event, false, false) {
        ev.ctx.statement_triggers(m.relation(), event, false)?;
    }
    if ev.instrumenting().is_some() {
        let times = started.map(|s| (s.elapsed(), s.elapsed()));
        ev.record(
            NodeKey::modify(m, Stage::Modify),
            out.rows.len() as u64,
            0,
            times,
        );
    }
    Ok(out)
}

/// Runs `m` on its relation alone; `root`: the partitioned table an UPDATE
/// named, to route rows that leave their partition.
fn run_modify(
    ev: &mut Evaluator<'_>,
    plan: &Plan,
    m: &ModifyTable,
    root: Option<&RelationDesc>,
) -> PgResult<ExecResult> {
    let mut out = ExecResult {
        rows: vec![],
        processed: 0,
    };
    match m {
        ModifyTable::Insert {
            rel,
            returning,
            on_conflict: Some(oc),
        } => {
            let rows = query::run(ev, plan, rel.columns.len())?;
            for row in rows {
                ev.ctx.check_for_interrupts()?;
                let (target, row) = route(ev, rel, row)?;
                // A routed row's arbiters are the partition's own unique
                // indexes (the partitioned table's are not its).
                let routed;
                let oc = if rel.relkind == 'p' {
                    routed = OnConflictPlan {
                        arbiters: Vec::new(),
                        action: oc.action.clone(),
                    };
                    &routed
                } else {
                    oc
                };
                let mut row = row;
                compute_generated(ev, &target, &mut row)?;
                if let Some(stored) = upsert(ev, &target, oc, row)? {
                    out.processed += 1;
                    if !returning.is_empty() {
                        out.rows.push(project(ev, returning, &stored)?);
                    }
                }
            }
        }
        ModifyTable::Insert {
            rel,
            returning,
            on_conflict: None,
        } => {
            let rows = query::run(ev, plan, rel.columns.len())?;
            for row in rows {
                ev.ctx.check_for_interrupts()?;
                let Some(row) = insert_one(ev, rel, row)? else {
                    continue;
                };
                out.processed += 1;
                if !returning.is_empty() {
                    out.rows.push(project(ev, returning, &row)?);
                }
            }
        }
        ModifyTable::Update {
            rel,
            filter,
            assignments,
            returning,
            scan,
            from: Some(from),
        } => {
            let others = query::run(ev, from, from.targets.len())?;
            let width = rel.columns.len();
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let changed = change_with_match(
                    ev,
                    filter.as_ref(),
                    &others,
                    tid,
                    row,
                    &mut |ev, tid, wide| {
                        let mut new = wide[..width].to_vec();
                        for (i, e) in assignments {
                            let v = ev.eval_row(e, wide)?;
                            if let Some(slot) = new.get_mut(*i) {
                                *slot = v;
                            }
                        }
                        let old = &wide[..width];
                        let mut new = match before_update(ev, rel, old, new)? {
                            Some(new) => new,
                            None => return Ok((ModifyOutcome::Gone, Vec::new())),
                        };
                        compute_generated(ev, rel, &mut new)?;
                        check_constraints(ev, rel, &new)?;
                        let outcome = ev.ctx.update_row(rel, tid, new.clone())?;
                        after_update(ev, rel, &outcome, old, &new)?;
                        new.extend_from_slice(&wide[width..]);
                        Ok((outcome, new))
                    },
                )?;
                record(ev, &mut out, returning, changed)
            };
            scan_qualifying(ev, Some(m), rel, scan.as_ref(), None, &mut modify)?;
        }
        ModifyTable::Delete {
            rel,
            filter,
            returning,
            scan,
            from: Some(from),
        } => {
            let others = query::run(ev, from, from.targets.len())?;
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let changed = change_with_match(
                    ev,
                    filter.as_ref(),
                    &others,
                    tid,
                    row,
                    &mut |ev, tid, wide| delete_one(ev, rel, tid, wide),
                )?;
                record(ev, &mut out, returning, changed)
            };
            scan_qualifying(ev, Some(m), rel, scan.as_ref(), None, &mut modify)?;
        }
        ModifyTable::Update {
            rel,
            filter,
            assignments,
            returning,
            scan,
            from: None,
        } => {
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let changed =
                    change_with_recheck(ev, filter.as_ref(), tid, row, &mut |ev, tid, wide| {
                        let mut new = new_version(ev, assignments, wide)?;
                        // The scan's system columns are not the new version's.
                        new.truncate(rel.columns.len());
                        let row = &wide[..rel.columns.len().min(wide.len())];
                        let mut new = match before_update(ev, rel, row, new)? {
                            Some(new) => new,
                            None => return Ok((ModifyOutcome::Gone, Vec::new())),
                        };
                        compute_generated(ev, rel, &mut new)?;
                        if let Some(root) = root
                            && leaves_partition(ev, rel, &new)?
                        {
                            return move_row(ev, rel, root, tid, new);
                        }
                        check_constraints(ev, rel, &new)?;
                        let outcome = ev.ctx.update_row(rel, tid, new.clone())?;
                        after_update(ev, rel, &outcome, row, &new)?;
                        Ok((outcome, new))
                    })?;
                record(ev, &mut out, returning, changed)
            };
            scan_qualifying(
                ev,
                Some(m),
                rel,
                scan.as_ref(),
                filter.as_ref(),
                &mut modify,
            )?;
        }
        ModifyTable::Delete {
            rel,
            filter,
            returning,
            scan,
            from: None,
        } => {
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let changed =
                    change_with_recheck(ev, filter.as_ref(), tid, row, &mut |ev, tid, row| {
                        delete_one(ev, rel, tid, row)
                    })?;
                record(ev, &mut out, returning, changed)
            };
            scan_qualifying(
                ev,
                Some(m),
                rel,
                scan.as_ref(),
                filter.as_ref(),
                &mut modify,
            )?;
        }
        ModifyTable::Merge(_) => {
            return Err(PgError::internal("MERGE runs through merge::run"));
        }
    }
    Ok(out)
}

/// Inserts one full-width row of `rel` (routed when `rel` is partitioned),
/// with its row-level triggers, generated columns and constraints. The row
/// stored (RETURNING sees it), or None when a BEFORE trigger skipped it.
fn insert_one(
    ev: &mut Evaluator<'_>,
    rel: &std::sync::Arc<RelationDesc>,
    row: Vec<Datum>,
) -> PgResult<Option<Vec<Datum>>> {
    let (target, row) = match rel.relkind {
        'p' => route(ev, rel, row)?,
        _ => (rel.clone(), row),
    };
    let mut row = match has_triggers(&target, TriggerEvent::Insert, true, true) {
        true => {
            match ev
                .ctx
                .before_row_triggers(&target, TriggerEvent::Insert, None, Some(row))?
            {
                Some(row) => row,
                None => return Ok(None),
            }
        }
        false => row,
    };
    compute_generated(ev, &target, &mut row)?;
    let seen = row.clone();
    let after = wants_after_rows(&target, TriggerEvent::Insert);
    let kept = after.then(|| row.clone());
    if rel.relkind == 'p' {
        check_routed(ev, &target, &row)?;
    } else {
        check_constraints(ev, &target, &row)?;
    }
    ev.ctx.insert_row(&target, row)?;
    if let Some(row) = kept {
        ev.ctx
            .after_row_triggers(&target, TriggerEvent::Insert, None, Some(row))?;
    }
    Ok(Some(seen))
}

/// The row-level BEFORE UPDATE triggers: the new row to store, or None
/// to skip the row.
fn before_update(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    old: &[Datum],
    new: Vec<Datum>,
) -> PgResult<Option<Vec<Datum>>> {
    if !has_triggers(rel, TriggerEvent::Update, true, true) {
        return Ok(Some(new));
    }
    // The triggers see the generated columns as NULL, as in PostgreSQL:
    // they are computed afterwards.
    let mut new = new;
    for (i, _) in rel.generated.iter() {
        if let Some(slot) = new.get_mut(*i) {
            *slot = Datum::Null;
        }
    }
    let width = rel.columns.len();
    let old = &old[..width.min(old.len())];
    ev.ctx
        .before_row_triggers(rel, TriggerEvent::Update, Some(old), Some(new))
}

/// Queues the row-level AFTER UPDATE triggers of a row updated.
fn after_update(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    outcome: &ModifyOutcome,
    old: &[Datum],
    new: &[Datum],
) -> PgResult<()> {
    if matches!(outcome, ModifyOutcome::Done) && wants_after_rows(rel, TriggerEvent::Update) {
        let width = rel.columns.len();
        ev.ctx.after_row_triggers(
            rel,
            TriggerEvent::Update,
            Some(old[..width.min(old.len())].to_vec()),
            Some(new[..width.min(new.len())].to_vec()),
        )?;
    }
    Ok(())
}

/// Deletes one row, with its row-level triggers.
fn delete_one(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    tid: Tid,
    row: &[Datum],
) -> PgResult<(ModifyOutcome, Vec<Datum>)> {
    let width = rel.columns.len().min(row.len());
    if has_triggers(rel, TriggerEvent::Delete, true, true)
        && ev
            .ctx
            .before_row_triggers(rel, TriggerEvent::Delete, Some(&row[..width]), None)?
            .is_none()
    {
        return Ok((ModifyOutcome::Gone, Vec::new()));
    }
    let outcome = ev.ctx.delete_row(rel, tid)?;
    if matches!(outcome, ModifyOutcome::Done) && wants_after_rows(rel, TriggerEvent::Delete) {
        ev.ctx
            .after_row_triggers(rel, TriggerEvent::Delete, Some(row[..width].to_vec()), None)?;
    }
    let mut row = row.to_vec();
    // RETURNING reads the deleted version, whose xmax is now ours.
    if rel.system_columns
        && let Some(xmax) = row.get_mut(width + 3)
        && let Some(xid) = ev.ctx.current_xid(false)?
    {
        *xmax = Datum::Xid(xid as u32);
    }
    Ok((outcome, row))
}

/// [`change_with_recheck`] for UPDATE ... FROM and DELETE ... USING:
/// `change` sees the target row paired with its first match among `others`
/// (none: the row is left alone); after a concurrent update the newest
/// version is paired again.
fn change_with_match(
    ev: &mut Evaluator<'_>,
    filter: Option<&Expr>,
    others: &[Vec<Datum>],
    mut tid: Tid,
    row: Vec<Datum>,
    change: &mut RowChange<'_>,
) -> PgResult<Option<Vec<Datum>>> {
    let Some(mut wide) = first_match(ev, filter, &row, others)? else {
        return Ok(None);
    };
    loop {
        match change(ev, tid, &wide)? {
            (ModifyOutcome::Done, seen) => return Ok(Some(seen)),
            (ModifyOutcome::Gone, _) => return Ok(None),
            (ModifyOutcome::Updated { tid: t, row: r }, _) => {
                ev.ctx.check_for_interrupts()?;
                match first_match(ev, filter, &r, others)? {
                    Some(w) => (tid, wide) = (t, w),
                    None => return Ok(None),
                }
            }
        }
    }
}

/// The target row followed by the first row of the other FROM items with
/// which it passes `filter` (UPDATE ... FROM, DELETE ... USING; PostgreSQL
/// too changes a target row once, whichever row it meets first).
fn first_match(
    ev: &mut Evaluator<'_>,
    filter: Option<&Expr>,
    row: &[Datum],
    others: &[Vec<Datum>],
) -> PgResult<Option<Vec<Datum>>> {
    let mut wide = row.to_vec();
    for other in others {
        wide.truncate(row.len());
        wide.extend_from_slice(other);
        if qualifies(ev, filter, &wide)? {
            return Ok(Some(wide));
        }
    }
    Ok(None)
}

/// One attempt at changing a row version: its outcome and the row RETURNING sees.
type RowChange<'a> =
    dyn FnMut(&mut Evaluator<'_>, Tid, &[Datum]) -> PgResult<(ModifyOutcome, Vec<Datum>)> + 'a;

/// Applies `change` (an update or delete of the version at `tid`, returning
/// the outcome and the row RETURNING sees) to a qualifying row. When a
/// concurrent committed transaction updated the row (READ COMMITTED), WHERE
/// is checked again on the newest version and the change retried there
/// (PostgreSQL's EvalPlanQual). None when the row was gone or no longer
/// qualifies.
fn change_with_recheck(
    ev: &mut Evaluator<'_>,
    filter: Option<&Expr>,
    mut tid: Tid,
    mut row: Vec<Datum>,
    change: &mut RowChange<'_>,
) -> PgResult<Option<Vec<Datum>>> {
    loop {
        match change(ev, tid, &row)? {
            (ModifyOutcome::Done, seen) => return Ok(Some(seen)),
            (ModifyOutcome::Gone, _) => return Ok(None),
            (ModifyOutcome::Updated { tid: t, row: mut r }, _) => {
                ev.ctx.check_for_interrupts()?;
                // A scan with system columns: the newest version's place
                // (its other system columns are not known here).
                if row.len() > r.len() {
                    r.push(Datum::Tid(t.block, t.offset));
                    r.resize(row.len(), Datum::Null);
                }
                if !qualifies(ev, filter, &r)? {
                    return Ok(None);
                }
                (tid, row) = (t, r);
            }
        }
    }
}

/// Counts a changed row and adds its RETURNING projection.
fn record(
    ev: &mut Evaluator<'_>,
    out: &mut ExecResult,
    returning: &[Expr],
    changed: Option<Vec<Datum>>,
) -> PgResult<()> {
    if let Some(row) = changed {
        out.processed += 1;
        if !returning.is_empty() {
            out.rows.push(project(ev, returning, &row)?);
        }
    }
    Ok(())
}

/// What UPDATE or DELETE does with one qualifying row.
type RowAction<'f> = dyn FnMut(&mut Evaluator<'_>, Tid, Vec<Datum>) -> PgResult<()> + 'f;

/// Scans `rel` and calls `f` with each row that passes `filter`; the scan is
/// always closed.
fn scan_qualifying(
    ev: &mut Evaluator<'_>,
    counted: Option<&ModifyTable>,
    rel: &RelationDesc,
    by: Option<&planner::ModifyScan>,
    filter: Option<&Expr>,
    f: &mut RowAction<'_>,
) -> PgResult<()> {
    let (mut rows, mut removed) = (0u64, 0u64);
    if by.is_none() {
        // A seqscan decodes what the filter reads into one buffer; only a
        // row that qualifies is decoded whole (most rows of an UPDATE by
        // key do not).
        let read = filter.map(crate::query::columns_read).unwrap_or_default();
        let scan = ev.ctx.scan_begin_read(rel, &read)?;
        let qual = filter.map(crate::query::Qual::compile);
        let mut row = Vec::new();
        let result = (|| loop {
            ev.ctx.check_for_interrupts()?;
            let Some(tid) = ev.ctx.scan_next_into(scan, &mut row)? else {
                return Ok(());
            };
            let pass = match &qual {
                None => true,
                Some(q) => q.test(ev, &row)?,
            };
            if pass {
                rows += 1;
                let whole = ev.ctx.scan_row_whole(scan, &row)?;
                f(ev, tid, whole)?;
            } else {
                removed += 1;
            }
        })();
        ev.ctx.scan_end(scan);
        if let Some(m) = counted {
            ev.record(NodeKey::modify(m, Stage::Source), rows, removed, None);
        }
        return result;
    }
    let scan = match by {
        Some(planner::ModifyScan::Index(s)) => crate::query::open_index_scan(ev, rel, s)?,
        Some(planner::ModifyScan::Tid(s)) => crate::query::open_tid_scan(ev, rel, s)?,
        None => ev.ctx.scan_begin(rel)?,
    };
    let result = (|| loop {
        ev.ctx.check_for_interrupts()?;
        let Some((tid, row)) = ev.ctx.scan_next(scan)? else {
            return Ok(());
        };
        if qualifies(ev, filter, &row)? {
            rows += 1;
            f(ev, tid, row)?;
        } else {
            removed += 1;
        }
    })();
    ev.ctx.scan_end(scan);
    if let Some(m) = counted {
        ev.record(NodeKey::modify(m, Stage::Source), rows, removed, None);
    }
    result
}

/// The new version of `row` with the SET columns replaced (all computed from
/// the old version).
fn new_version(
    ev: &mut Evaluator<'_>,
    assignments: &[(usize, Expr)],
    row: &[Datum],
) -> PgResult<Vec<Datum>> {
    let mut new = row.to_vec();
    for (i, e) in assignments {
        let v = ev.eval_row(e, row)?;
        match new.get_mut(*i) {
            Some(slot) => *slot = v,
            None => {
                return Err(PgError::internal(format!(
                    "assignment to column {} beyond the row",
                    i + 1
                )));
            }
        }
    }
    Ok(new)
}

/// INSERT ... ON CONFLICT of one proposed row (PostgreSQL's
/// `ExecOnConflictUpdate` without speculative insertion): look for a live
/// row with the same key in the arbiter indexes (waiting for a transaction
/// that is inserting or deleting one); none: insert; one: do nothing, or
/// lock it and update it from itself and `excluded`. A row that changed
/// under us is looked for again. Returns the row stored, if any.
fn upsert(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    oc: &OnConflictPlan,
    row: Vec<Datum>,
) -> PgResult<Option<Vec<Datum>>> {
    loop {
        let Some((tid, existing)) = ev.ctx.find_conflict(rel, &oc.arbiters, &row)? else {
            let inserted =
                check_constraints(ev, rel, &row).and_then(|()| ev.ctx.insert_row(rel, row.clone()));
            ev.ctx.end_speculative_insert();
            inserted?;
            return Ok(Some(row));
        };
        let OnConflictAction::Update {
            assignments,
            filter,
        } = &oc.action
        else {
            return Ok(None);
        };
        match ev
            .ctx
            .lock_row(rel, tid, RowLockMode::Update, RowLockWait::Block)?
        {
            LockRowOutcome::Locked => {}
            LockRowOutcome::SelfModified => {
                return Err(PgError::new(
                    SqlState::CardinalityViolation,
                    "ON CONFLICT DO UPDATE command cannot affect row a second time",
                )
                .with_hint(
                    "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
                ));
            }
            // Changed or gone meanwhile: look again.
            LockRowOutcome::Updated { .. } | LockRowOutcome::Gone | LockRowOutcome::Skipped => {
                continue;
            }
        }
        let mut wide = existing;
        wide.extend(row.iter().cloned());
        if !qualifies(ev, filter.as_ref(), &wide)? {
            return Ok(None);
        }
        let mut new = wide[..rel.columns.len()].to_vec();
        for (i, e) in assignments {
            let v = ev.eval_row(e, &wide)?;
            if let Some(slot) = new.get_mut(*i) {
                *slot = v;
            }
        }
        compute_generated(ev, rel, &mut new)?;
        check_constraints(ev, rel, &new)?;
        return match ev.ctx.update_row(rel, tid, new.clone())? {
            ModifyOutcome::Done => Ok(Some(new)),
            // We hold the row's lock: nobody else can have changed it.
            _ => Err(PgError::internal("ON CONFLICT: locked row changed")),
        };
    }
}

fn project(ev: &mut Evaluator<'_>, exprs: &[Expr], row: &[Datum]) -> PgResult<Vec<Datum>> {
    exprs.iter().map(|e| ev.eval_row(e, row)).collect()
}

/// The partition of partitioned table `rel` (a leaf, through its
/// partitioned partitions) that takes `row`, and the row in that
/// partition's columns; `rel` and the row itself when it is not
/// partitioned. 23514 when no partition takes it.
fn route(
    ev: &mut Evaluator<'_>,
    rel: &std::sync::Arc<RelationDesc>,
    row: Vec<Datum>,
) -> PgResult<(std::sync::Arc<RelationDesc>, Vec<Datum>)> {
    let (mut rel, mut row) = (rel.clone(), row);
    while let Some(p) = rel.partitioning.clone() {
        let mut chosen = None;
        for (i, r) in p.routes.iter().enumerate() {
            if let Some(cond) = r
                && let Datum::Bool(true) = ev.eval_row(cond, &row)?
            {
                chosen = Some(i);
                break;
            }
        }
        if chosen.is_none() {
            chosen = p.routes.iter().position(Option::is_none);
        }
        let Some(child) = chosen.and_then(|i| rel.children.get(i)).cloned() else {
            check_not_null(ev, &rel, &row)?;
            let mut values = Vec::with_capacity(p.key.len());
            for k in &p.key {
                let v = ev.eval_row(k, &row)?;
                values.push(if v.is_null() {
                    "null".to_string()
                } else {
                    v.to_text(&ev.ctx.output_options())
                });
            }
            return Err(PgError::new(
                SqlState::CheckViolation,
                format!("no partition of relation \"{}\" found for row", rel.name),
            )
            .with_detail(format!(
                "Partition key of the failing row contains ({}) = ({}).",
                p.key_names.join(", "),
                values.join(", ")
            )));
        };
        row = convert_row(&rel, &row, &child);
        rel = child;
    }
    Ok((rel, row))
}

/// `row` of `from` in the columns of `to` (a parent's and a child's: the
/// same columns by name, maybe in other places).
fn convert_row(from: &RelationDesc, row: &[Datum], to: &RelationDesc) -> Vec<Datum> {
    to.columns
        .iter()
        .map(|c| {
            if c.dropped {
                return Datum::Null;
            }
            from.column_index(&c.name)
                .and_then(|i| row.get(i).cloned())
                .unwrap_or(Datum::Null)
        })
        .collect()
}

/// The constraints of a row routed into a partition: its own NOT NULL and
/// CHECK constraints (the partition constraint holds by routing).
fn check_routed(ev: &mut Evaluator<'_>, rel: &RelationDesc, row: &[Datum]) -> PgResult<()> {
    let alone = RelationDesc {
        partition_check: None,
        triggers: Default::default(),
        ..rel.clone()
    };
    check_constraints(ev, &alone, row)
}

/// Whether an updated row no longer satisfies its partition's constraint.
fn leaves_partition(ev: &mut Evaluator<'_>, rel: &RelationDesc, row: &[Datum]) -> PgResult<bool> {
    match &rel.partition_check {
        Some(c) => Ok(!matches!(ev.eval_row(c, row)?, Datum::Bool(true))),
        None => Ok(false),
    }
}

/// An UPDATE that moves a row to another partition: the old version is
/// deleted and the new one routed from `root` and inserted there.
fn move_row(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    root: &RelationDesc,
    tid: Tid,
    new: Vec<Datum>,
) -> PgResult<(ModifyOutcome, Vec<Datum>)> {
    let root_row = convert_row(rel, &new, root);
    let root = std::sync::Arc::new(root.clone());
    let (target, mut routed) = route(ev, &root, root_row)?;
    compute_generated(ev, &target, &mut routed)?;
    check_routed(ev, &target, &routed)?;
    let outcome = ev.ctx.delete_row(rel, tid)?;
    if matches!(outcome, ModifyOutcome::Done) {
        ev.ctx.insert_row(&target, routed)?;
    }
    Ok((outcome, new))
}

/// Computes the stored generated columns of a row about to be written
/// (PostgreSQL's `ExecComputeStoredGenerated`): after the BEFORE ROW
/// triggers, so a trigger's change to a column they read counts and its
/// value for a generated column does not, and before the constraints. A
/// generation expression reads no generated column, so the order among
/// them does not matter.
pub fn compute_generated(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    row: &mut [Datum],
) -> PgResult<()> {
    for (i, e) in rel.generated.iter() {
        let v = ev.eval_row(e, row)?;
        if let Some(slot) = row.get_mut(*i) {
            *slot = v;
        }
    }
    Ok(())
}

/// NOT NULL, then the CHECK constraints in name order (PostgreSQL's
/// `ExecConstraints`), then a partition's constraint: 23502 or 23514 with
/// the failing row.
fn check_constraints(ev: &mut Evaluator<'_>, rel: &RelationDesc, row: &[Datum]) -> PgResult<()> {
    // Row-level security's WITH CHECK first, as PostgreSQL's ExecInsert.
    use planner::analyze::rowsecurity::{RLS_CHECK_PREFIX, check_violation};
    for (name, expr) in rel.checks.iter() {
        if let Some(rls) = name.strip_prefix(RLS_CHECK_PREFIX)
            && !matches!(ev.eval_row(expr, row)?, Datum::Bool(true))
        {
            return Err(check_violation(rls));
        }
    }
    check_not_null(ev, rel, row)?;
    for (name, expr) in rel.checks.iter() {
        if name.starts_with(RLS_CHECK_PREFIX) {
            continue;
        }
        // A view's WITH CHECK OPTION: the row must be one the view shows.
        if let Some(view) = name.strip_prefix(planner::analyze::view_dml::VIEW_CHECK_PREFIX) {
            if !matches!(ev.eval_row(expr, row)?, Datum::Bool(true)) {
                return Err(PgError::new(
                    SqlState::WithCheckOptionViolation,
                    format!("new row violates check option for view \"{view}\""),
                )
                .with_detail(format!(
                    "Failing row contains {}.",
                    row_description(ev, &rel.columns, row)
                )));
            }
            continue;
        }
        if let Datum::Bool(false) = ev.eval_row(expr, row)? {
            return Err(PgError::new(
                SqlState::CheckViolation,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    rel.name
                ),
            )
            .with_detail(format!(
                "Failing row contains {}.",
                row_description(ev, &rel.columns, row)
            ))
            .with_table_constraint(&rel.schema, &rel.name, name.as_str()));
        }
    }
    if let Some(c) = &rel.partition_check
        && !matches!(ev.eval_row(c, row)?, Datum::Bool(true))
    {
        return Err(PgError::new(
            SqlState::CheckViolation,
            format!(
                "new row for relation \"{}\" violates partition constraint",
                rel.name
            ),
        )
        .with_detail(format!(
            "Failing row contains {}.",
            row_description(ev, &rel.columns, row)
        )));
    }
    Ok(())
}

/// 23502 for a NULL in a NOT NULL column, with PostgreSQL's DETAIL.
fn check_not_null(ev: &Evaluator<'_>, rel: &RelationDesc, row: &[Datum]) -> PgResult<()> {
    let bad = rel
        .columns
        .iter()
        .zip(row)
        .find(|(c, v)| c.not_null && !c.dropped && v.is_null());
    let Some((col, _)) = bad else { return Ok(()) };
    Err(PgError::new(
        SqlState::NotNullViolation,
        format!(
            "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
            col.name, rel.name
        ),
    )
    .with_detail(format!(
        "Failing row contains {}.",
        row_description(ev, &rel.columns, row)
    ))
    .with_table_column(&rel.schema, &rel.name, &col.name))
}

/// A row as error details show it: `(1, null, abc)`, dropped columns left
/// out, long values cut to 64 bytes and `...`.
pub fn row_description(ev: &Evaluator<'_>, columns: &[ColumnDesc], row: &[Datum]) -> String {
    let mut parts = Vec::with_capacity(row.len());
    for (c, v) in columns.iter().zip(row) {
        if c.dropped {
            continue;
        }
        if v.is_null() {
            parts.push("null".to_string());
            continue;
        }
        let mut s = v.to_text(&ev.opts);
        if s.len() > MAX_FIELD_LEN {
            let mut cut = MAX_FIELD_LEN;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push_str("...");
        }
        parts.push(s);
    }
    format!("({})", parts.join(", "))
}
