//! Subqueries of WHERE made joins (PostgreSQL's `pull_up_sublinks`).
//!
//! A part of WHERE (one of its AND-ed conditions) that is `EXISTS
//! (subquery)`, `NOT EXISTS (subquery)` or `x IN (subquery)` would run the
//! subquery once per row (correlated) or test each row against its hashed
//! values. When the subquery is a plain scan of one table with a WHERE
//! (no aggregate, window, LIMIT, set operation or deeper subquery) it
//! becomes the right input of a semi join (`EXISTS`, `IN`) or anti join
//! (`NOT EXISTS`) with the query's FROM as the left input; the subquery's
//! WHERE, with its references to the outer row (the SubPlan's params put
//! in place of its `OuterParam`s), is the join's condition, and for `IN`
//! so is the equality of the left-hand side and the subquery's value.
//! The join then chooses hashing or an index per row by cost like any
//! other (see `joinpath.rs`).
//!
//! `NOT IN` stays a subplan: with NULLs it is not an anti join. An IN at
//! the top of WHERE may: a NULL there is as false as no match. So does a
//! subquery whose condition has no equality between the two rows to hash
//! or look up on (PostgreSQL, too, leaves an uncorrelated EXISTS alone).

use std::sync::Arc;

use crate::expr::{Expr, SubPlanKind};
use crate::plan::{Join, JoinKind, Plan, Source};

/// Turns the `EXISTS` / `NOT EXISTS` / `IN` parts of `plan.filter` that
/// can be joins into semi and anti joins over `plan.source`, whose rows
/// are `width` values wide. The joined rows are the source's rows, so
/// nothing above the source changes.
pub fn pull_up_sublinks(plan: &mut Plan, width: usize) {
    let Some(filter) = plan.filter.take() else {
        return;
    };
    if !matches!(
        plan.source,
        Source::SeqScan(_)
            | Source::IndexScan(..)
            | Source::Bitmap(..)
            | Source::TidScan(..)
            | Source::Join(_)
    ) {
        plan.filter = Some(filter);
        return;
    }
    let mut rest = Vec::new();
    for c in conjuncts(filter) {
        match as_join(&c, width) {
            Some((kind, right, right_width, qual)) => {
                let left = std::mem::replace(&mut plan.source, Source::Values(Vec::new()));
                plan.source = Source::Join(Box::new(Join::new(
                    kind,
                    (left, width),
                    (right, right_width),
                    Some(qual),
                )));
            }
            None => rest.push(c),
        }
    }
    plan.filter = match rest.len() {
        0 => None,
        1 => rest.pop(),
        _ => Some(Expr::And(rest)),
    };
}

fn conjuncts(e: Expr) -> Vec<Expr> {
    match e {
        Expr::And(parts) => parts.into_iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

/// The join a part of WHERE can be: its kind, right input and its width,
/// and its condition over the joined row.
fn as_join(c: &Expr, width: usize) -> Option<(JoinKind, Source, usize, Expr)> {
    let (kind, sub) = match c {
        Expr::Not(inner) => match inner.as_ref() {
            e @ Expr::SubPlan {
                kind: SubPlanKind::Exists,
                ..
            } => (JoinKind::Anti, e),
            _ => return None,
        },
        e @ Expr::SubPlan {
            kind: SubPlanKind::Exists | SubPlanKind::Any,
            ..
        } => (JoinKind::Semi, e),
        _ => return None,
    };
    let Expr::SubPlan {
        plan, test, params, ..
    } = sub
    else {
        return None;
    };
    let rel = plain_scan(plan)?;
    if params.iter().any(has_subplan) {
        return None;
    }
    // The subquery's columns follow the outer row's; its references to
    // the outer row are the params' expressions over that row.
    let outer = |e: &Expr| -> Option<Expr> {
        if has_subplan(e) || reads_levels_out(e) {
            return None;
        }
        let shifted = e.clone().shift_vars(width as isize);
        Some(replace_params(shifted, params))
    };
    let mut parts = Vec::new();
    if let Some(f) = &plan.filter {
        parts.push(outer(f)?);
    }
    if let Some(t) = test {
        let (lhs, eq) = t.as_ref();
        let value = outer(plan.targets.first()?)?;
        if has_subplan(lhs) {
            return None;
        }
        // The test reads `Var 0` (the left-hand side) and `Var 1` (the
        // subquery's value).
        let eq = substitute(eq.clone(), &[lhs.clone(), value]);
        parts.push(eq);
    }
    // Without an equality between the two rows the join would pair each
    // left row with every right row; the subplan (with its index scans
    // over the outer values) is the better plan then.
    let qual = match parts.len() {
        1 => parts.pop()?,
        _ => Expr::And(parts),
    };
    if !conjuncts(qual.clone())
        .iter()
        .any(|c| is_equijoin(c, width))
    {
        return None;
    }
    let right_width = rel.columns.len();
    Some((kind, Source::SeqScan(rel), right_width, qual))
}

/// The table a subquery scans, if it is a plain scan of one table with a
/// WHERE and a select list (nothing that makes its rows other than that
/// table's rows).
fn plain_scan(plan: &Plan) -> Option<Arc<crate::catalog::RelationDesc>> {
    if plan.aggregate.is_some()
        || plan.windows.is_some()
        || plan.project_set.is_some()
        || plan.limit.is_some()
        || plan.offset.is_some()
        || plan.row_lock.is_some()
        || !plan.distinct_on.is_empty()
    {
        return None;
    }
    match &plan.source {
        Source::SeqScan(rel)
        | Source::IndexScan(rel, _)
        | Source::Bitmap(rel, _)
        | Source::TidScan(rel, _) => Some(Arc::clone(rel)),
        _ => None,
    }
}

/// `a = b` of the same type, one side over the left row alone and the
/// other over the right row alone: something to hash the join on.
fn is_equijoin(c: &Expr, width: usize) -> bool {
    let Expr::Call {
        func: "eq", args, ..
    } = c
    else {
        return false;
    };
    let [a, b] = args.as_slice() else {
        return false;
    };
    let side = |e: &Expr| match e.var_span() {
        Some((_, hi)) if hi < width => Some(false),
        Some((lo, _)) if lo >= width => Some(true),
        _ => None,
    };
    a.type_oid() == b.type_oid() && matches!((side(a), side(b)), (Some(x), Some(y)) if x != y)
}

fn has_subplan(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        if matches!(x, Expr::SubPlan { .. } | Expr::SqlFunction { .. }) {
            found = true;
        }
    });
    found
}

/// Whether `e` reads a query level further out than the one around it.
fn reads_levels_out(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        if matches!(x, Expr::OuterParam { up, .. } if *up > 1) {
            found = true;
        }
    });
    found
}

/// `e` with each `OuterParam` of the level around it replaced by the
/// param's expression.
fn replace_params(e: Expr, params: &[Expr]) -> Expr {
    match e {
        Expr::OuterParam { up: 1, index, .. } if index < params.len() => params[index].clone(),
        other => other
            .map_children(&mut |c| Ok::<_, std::convert::Infallible>(replace_params(c, params)))
            .unwrap_or_else(|e| match e {}),
    }
}

/// `e` with each `Var i` replaced by `values[i]`.
fn substitute(e: Expr, values: &[Expr]) -> Expr {
    match e {
        Expr::Var { index, .. } if index < values.len() => values[index].clone(),
        other => other
            .map_children(&mut |c| Ok::<_, std::convert::Infallible>(substitute(c, values)))
            .unwrap_or_else(|e| match e {}),
    }
}
