//! INSERT, UPDATE and DELETE (PostgreSQL's `nodeModifyTable.c` counterpart).
//!
//! INSERT evaluates the plan's full-width rows, checks NOT NULL and hands
//! each row to [`ExecContext::insert_row`]. UPDATE and DELETE scan the
//! relation, test WHERE on each row and modify it by its [`Tid`]; the storage
//! side hides the statement's own changes from its scan, so rows stream.
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

use planner::{ColumnDesc, Expr, ModifyTable, Plan, RelationDesc};
use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;
use crate::query::{self, qualifies};
use crate::{ExecResult, ModifyOutcome, Tid};

/// Longest value text shown in a "Failing row contains" detail, in bytes.
const MAX_FIELD_LEN: usize = 64;

/// Runs a table modification; `plan` holds the rows of an INSERT.
pub fn run(ev: &mut Evaluator<'_>, plan: &Plan, m: &ModifyTable) -> PgResult<ExecResult> {
    let mut out = ExecResult { rows: vec![], processed: 0 };
    match m {
        ModifyTable::Insert { rel, returning } => {
            let rows = query::run(ev, plan, rel.columns.len())?;
            for row in rows {
                ev.ctx.check_for_interrupts()?;
                check_not_null(ev, rel, &row)?;
                let ret = if returning.is_empty() { None } else { Some(project(ev, returning, &row)?) };
                ev.ctx.insert_row(rel, row)?;
                out.processed += 1;
                out.rows.extend(ret);
            }
        }
        ModifyTable::Update { rel, filter, assignments, returning } => {
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let (mut tid, mut row) = (tid, row);
                loop {
                    let new = new_version(ev, assignments, &row)?;
                    check_not_null(ev, rel, &new)?;
                    match ev.ctx.update_row(rel, tid, new.clone())? {
                        ModifyOutcome::Done => {
                            out.processed += 1;
                            if !returning.is_empty() {
                                out.rows.push(project(ev, returning, &new)?);
                            }
                            return Ok(());
                        }
                        ModifyOutcome::Gone => return Ok(()),
                        ModifyOutcome::Updated { tid: t, row: r } => {
                            ev.ctx.check_for_interrupts()?;
                            if !qualifies(ev, filter.as_ref(), &r)? {
                                return Ok(());
                            }
                            (tid, row) = (t, r);
                        }
                    }
                }
            };
            scan_qualifying(ev, rel, filter.as_ref(), &mut modify)?;
        }
        ModifyTable::Delete { rel, filter, returning } => {
            let mut modify = |ev: &mut Evaluator<'_>, tid: Tid, row: Vec<Datum>| -> PgResult<()> {
                let (mut tid, mut row) = (tid, row);
                loop {
                    match ev.ctx.delete_row(rel, tid)? {
                        ModifyOutcome::Done => {
                            out.processed += 1;
                            if !returning.is_empty() {
                                out.rows.push(project(ev, returning, &row)?);
                            }
                            return Ok(());
                        }
                        ModifyOutcome::Gone => return Ok(()),
                        ModifyOutcome::Updated { tid: t, row: r } => {
                            ev.ctx.check_for_interrupts()?;
                            if !qualifies(ev, filter.as_ref(), &r)? {
                                return Ok(());
                            }
                            (tid, row) = (t, r);
                        }
                    }
                }
            };
            scan_qualifying(ev, rel, filter.as_ref(), &mut modify)?;
        }
    }
    Ok(out)
}

/// What UPDATE or DELETE does with one qualifying row.
type RowAction<'f> = dyn FnMut(&mut Evaluator<'_>, Tid, Vec<Datum>) -> PgResult<()> + 'f;

/// Scans `rel` and calls `f` with each row that passes `filter`; the scan is
/// always closed.
fn scan_qualifying(
    ev: &mut Evaluator<'_>,
    rel: &RelationDesc,
    filter: Option<&Expr>,
    f: &mut RowAction<'_>,
) -> PgResult<()> {
    let scan = ev.ctx.scan_begin(rel)?;
    let result = (|| loop {
        ev.ctx.check_for_interrupts()?;
        let Some((tid, row)) = ev.ctx.scan_next(scan)? else { return Ok(()) };
        if qualifies(ev, filter, &row)? {
            f(ev, tid, row)?;
        }
    })();
    ev.ctx.scan_end(scan);
    result
}

/// The new version of `row` with the SET columns replaced (all computed from
/// the old version).
fn new_version(ev: &mut Evaluator<'_>, assignments: &[(usize, Expr)], row: &[Datum]) -> PgResult<Vec<Datum>> {
    let mut new = row.to_vec();
    for (i, e) in assignments {
        let v = ev.eval_row(e, row)?;
        match new.get_mut(*i) {
            Some(slot) => *slot = v,
            None => return Err(PgError::internal(format!("assignment to column {} beyond the row", i + 1))),
        }
    }
    Ok(new)
}

fn project(ev: &mut Evaluator<'_>, exprs: &[Expr], row: &[Datum]) -> PgResult<Vec<Datum>> {
    exprs.iter().map(|e| ev.eval_row(e, row)).collect()
}

/// 23502 for a NULL in a NOT NULL column, with PostgreSQL's DETAIL.
fn check_not_null(ev: &Evaluator<'_>, rel: &RelationDesc, row: &[Datum]) -> PgResult<()> {
    let bad = rel.columns.iter().zip(row).find(|(c, v)| c.not_null && !c.dropped && v.is_null());
    let Some((col, _)) = bad else { return Ok(()) };
    Err(PgError::new(
        SqlState::NotNullViolation,
        format!("null value in column \"{}\" of relation \"{}\" violates not-null constraint", col.name, rel.name),
    )
    .with_detail(format!("Failing row contains {}.", row_description(ev, &rel.columns, row))))
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
