//! Index expressions and partial-index predicates (PostgreSQL's
//! `RelationGetIndexExpressions` / `FormIndexDatum` / `ExecQual` on
//! `ii_Predicate`): their SQL text in `pg_index` is analyzed once per
//! session (kept with the relation cache) and evaluated over table rows
//! wherever an index entry is made: inserts, updates, builds, checks.
//!
//! Expressions are evaluated without a session ([`Immutable`]): index
//! expressions must give the same value for the same row whenever they run,
//! so they see fixed settings (UTC, ISO dates) rather than the session's.

use std::sync::Arc;

use catalog::heap_catalog::{IndexInfo, RelationInfo};
use executor::ExecContext;
use planner::Expr;
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;

/// An index's analyzed expression columns (in key order) and predicate.
#[derive(Debug)]
pub struct IndexExprs {
    pub exprs: Vec<Expr>,
    pub pred: Option<Expr>,
}

/// The expressions of an index's `indexprs` text (a select list).
pub fn split_select_list(text: &str) -> PgResult<Vec<String>> {
    use sqlparser::ast::{SelectItem, SetExpr, Statement};
    let sql = format!("SELECT {text}");
    let stmts =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &sql)
            .map_err(|e| PgError::internal(format!("index expressions do not parse: {e}")))?;
    let Some(Statement::Query(q)) = stmts.first() else {
        return Err(PgError::internal("index expressions are not a select list"));
    };
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return Err(PgError::internal("index expressions are not a select list"));
    };
    sel.projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) => Ok(e.to_string()),
            other => Err(PgError::internal(format!(
                "unexpected index expression {other}"
            ))),
        })
        .collect()
}

/// The analyzed expressions of index `ix` of `table`, or None for an index
/// of plain columns without a predicate.
pub fn of(
    session: &mut Session,
    table: &RelationInfo,
    ix: &IndexInfo,
) -> PgResult<Option<Arc<IndexExprs>>> {
    if ix.row.exprs.is_none() && ix.row.pred.is_none() {
        return Ok(None);
    }
    if let Some(found) = session.relcache.index_exprs.get(&ix.oid) {
        return Ok(Some(found.clone()));
    }
    let rel = Arc::new(crate::table_access::relation_desc(table));
    let exprs = match &ix.row.exprs {
        Some(text) => split_select_list(text)?
            .iter()
            .map(|e| planner::analyze_index_expression(rel.clone(), e))
            .collect::<PgResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let pred = ix
        .row
        .pred
        .as_deref()
        .map(|p| planner::analyze_index_expression(rel.clone(), p))
        .transpose()?;
    let analyzed = Arc::new(IndexExprs { exprs, pred });
    session
        .relcache
        .index_exprs
        .insert(ix.oid, analyzed.clone());
    Ok(Some(analyzed))
}

/// The analyzed expressions of every index of `table`, in index order.
pub fn all_of(
    session: &mut Session,
    table: &RelationInfo,
) -> PgResult<Vec<Option<Arc<IndexExprs>>>> {
    table
        .indexes
        .iter()
        .map(|ix| of(session, table, ix))
        .collect()
}

/// The index entry's columns for a table row (PostgreSQL's
/// `FormIndexDatum`), or None if a partial index's predicate excludes the
/// row.
pub fn entry(
    ctx: &mut Immutable,
    table: &RelationInfo,
    ix: &IndexInfo,
    exprs: Option<&IndexExprs>,
    row: &[Datum],
) -> PgResult<Option<Vec<Datum>>> {
    let mut ev = executor::expr::Evaluator::new(&[], ctx);
    if let Some(pred) = exprs.and_then(|x| x.pred.as_ref())
        && ev.eval_row(pred, row)? != Datum::Bool(true)
    {
        return Ok(None);
    }
    let mut next_expr = exprs.map(|x| x.exprs.iter()).into_iter().flatten();
    let mut values = Vec::with_capacity(ix.row.keys.len());
    for &attnum in &ix.row.keys {
        if attnum == 0 {
            let e = next_expr.next().ok_or_else(|| {
                PgError::internal(format!("index \"{}\" lacks an expression", ix.name))
            })?;
            values.push(ev.eval_row(e, row)?);
        } else {
            let v = table
                .columns
                .iter()
                .position(|c| c.attnum == attnum)
                .and_then(|i| row.get(i).cloned());
            values.push(v.unwrap_or(Datum::Null));
        }
    }
    Ok(Some(values))
}

/// Computes a constant expression for the planner's constant folding
/// (`planner::fold`), in the fixed settings of [`Immutable`]; None if it
/// fails (the expression then stays, to fail when it runs).
pub fn eval_constant(e: &planner::Expr) -> Option<Datum> {
    let mut ctx = Immutable;
    let mut ev = executor::expr::Evaluator::new(&[], &mut ctx);
    ev.eval(e).ok()
}

/// The context index expressions run in: fixed settings, no session.
#[derive(Debug, Default)]
pub struct Immutable;

impl ExecContext for Immutable {
    fn check_for_interrupts(&mut self) -> PgResult<()> {
        Ok(())
    }
    fn current_user(&self) -> &str {
        "postgres"
    }
    fn session_user(&self) -> &str {
        "postgres"
    }
    fn database(&self) -> &str {
        ""
    }
    fn backend_pid(&self) -> i32 {
        0
    }
    fn transaction_timestamp(&self) -> i64 {
        0
    }
    fn statement_timestamp(&self) -> i64 {
        0
    }
    fn postmaster_start_time(&self) -> i64 {
        0
    }
    fn setting(&self, name: &str) -> PgResult<String> {
        Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!("current_setting(\"{name}\") in an index expression"),
        ))
    }
    fn time_zone(&self) -> String {
        "UTC".into()
    }
    fn extra_float_digits(&self) -> i32 {
        1
    }
    fn date_style(&self) -> String {
        "ISO, MDY".into()
    }
    fn interval_style(&self) -> String {
        "postgres".into()
    }
    fn signal_backend(&mut self, _pid: i32, _terminate: bool) -> PgResult<bool> {
        Err(PgError::feature_not_supported(
            "signalling backends in an index expression",
        ))
    }
    fn warning(&mut self, _msg: String) {}
}
