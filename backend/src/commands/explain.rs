//! EXPLAIN (PostgreSQL's `src/backend/commands/explain.c`): the options,
//! planning the statement, running it under instrumentation for ANALYZE
//! (DML for real, as PostgreSQL does), and the result: one text column
//! `QUERY PLAN`, one row per line (one row for FORMAT JSON). The tree and
//! its printing are `planner::explain`.

use std::time::Instant;

use sqlparser::ast::{Expr, Statement, UtilityOption, Value};
use types::{Datum, PgError, PgResult, SqlState};

use planner::explain::{ExplainFormat, ExplainOptions, Summary};

use crate::session::Session;
use crate::utility::Outcome;

/// EXPLAIN's result column.
pub fn result_column() -> planner::Column {
    planner::Column {
        name: "QUERY PLAN".into(),
        type_oid: types::oid::TEXT,
        typmod: -1,
        table_oid: 0,
        column_id: 0,
    }
}

/// The option's name as PostgreSQL reads it (folded unless quoted).
fn option_name(o: &UtilityOption) -> String {
    if o.name.quote_style.is_some() {
        o.name.value.clone()
    } else {
        o.name.value.to_lowercase()
    }
}

/// A word argument (`json`, `on`, `'text'`).
fn word(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Identifier(i) if i.quote_style.is_some() => Some(i.value.clone()),
        Expr::Identifier(i) => Some(i.value.to_lowercase()),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            Value::Number(n, _) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL's `defGetBoolean`.
fn boolean(name: &str, arg: Option<&Expr>) -> PgResult<bool> {
    let Some(arg) = arg else { return Ok(true) };
    let invalid = || {
        PgError::new(
            SqlState::SyntaxError,
            format!("{name} requires a Boolean value"),
        )
    };
    match word(arg).ok_or_else(invalid)?.to_lowercase().as_str() {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" => Ok(false),
        _ => Err(invalid()),
    }
}

/// The options of an EXPLAIN statement, checked as PostgreSQL checks them.
pub fn options(
    analyze: bool,
    verbose: bool,
    list: Option<&[UtilityOption]>,
) -> PgResult<ExplainOptions> {
    let mut o = ExplainOptions {
        analyze,
        verbose,
        ..ExplainOptions::default()
    };
    let mut timing_set = None;
    let mut summary_set = None;
    let mut wal = false;
    for opt in list.unwrap_or_default() {
        let name = option_name(opt);
        let arg = opt.arg.as_ref();
        match name.as_str() {
            "analyze" => o.analyze = boolean(&name, arg)?,
            "verbose" => o.verbose = boolean(&name, arg)?,
            "costs" => o.costs = boolean(&name, arg)?,
            "buffers" => o.buffers = boolean(&name, arg)?,
            "settings" => {
                boolean(&name, arg)?;
            }
            "wal" => wal = boolean(&name, arg)?,
            "timing" => timing_set = Some(boolean(&name, arg)?),
            "summary" => summary_set = Some(boolean(&name, arg)?),
            "format" => {
                let value = arg.and_then(word).ok_or_else(|| {
                    PgError::new(SqlState::SyntaxError, "format requires a parameter")
                })?;
                o.format = match value.as_str() {
                    "text" => ExplainFormat::Text,
                    "json" => ExplainFormat::Json,
                    "xml" | "yaml" => {
                        return Err(PgError::feature_not_supported(format!(
                            "EXPLAIN (FORMAT {})",
                            value.to_uppercase()
                        )));
                    }
                    other => {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!(
                                "unrecognized value for EXPLAIN option \"format\": \"{other}\""
                            ),
                        ));
                    }
                };
            }
            other => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!("unrecognized EXPLAIN option \"{other}\""),
                ));
            }
        }
    }
    if wal && !o.analyze {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "EXPLAIN option WAL requires ANALYZE",
        ));
    }
    if timing_set == Some(true) && !o.analyze {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "EXPLAIN option TIMING requires ANALYZE",
        ));
    }
    o.timing = timing_set.unwrap_or(o.analyze);
    o.summary = summary_set.unwrap_or(o.analyze);
    Ok(o)
}

/// Runs `EXPLAIN [ANALYZE] [VERBOSE] | (options) statement`.
pub fn explain(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    param_types: Option<&[u32]>,
    params: &[Datum],
) -> PgResult<Outcome> {
    let Statement::Explain {
        analyze,
        verbose,
        statement,
        format,
        options: list,
        query_plan,
        estimate,
        ..
    } = stmt
    else {
        return Err(PgError::internal("not an EXPLAIN statement"));
    };
    if *query_plan || *estimate || format.is_some() {
        return Err(crate::utility::unsupported(stmt));
    }
    let opts = options(*analyze, *verbose, list.as_deref())?;
    let inner = &**statement;
    if let Statement::Execute {
        name: Some(name),
        parameters,
        ..
    } = inner
    {
        // EXPLAIN EXECUTE: the prepared statement planned for these
        // values (PostgreSQL's custom plan, which shows them as
        // constants).
        let (custom, text) =
            super::portalcmds::with_values(session, &name.to_string().to_lowercase(), parameters)?;
        let mut wrapped = stmt.clone();
        if let Statement::Explain { statement, .. } = &mut wrapped {
            **statement = custom;
        }
        return explain(session, &wrapped, &text, None, &[]);
    }
    // EXPLAIN CREATE MATERIALIZED VIEW and CREATE TABLE AS show the plan
    // of their query (with ANALYZE they would make the relation: 0A000).
    let query_of_create;
    let inner = match inner {
        Statement::CreateView(cv) if cv.materialized && !opts.analyze => {
            query_of_create = Statement::Query(cv.query.clone());
            &query_of_create
        }
        Statement::CreateTable(ct) if !opts.analyze && ct.query.is_some() => {
            let Some(q) = &ct.query else {
                return Err(crate::utility::unsupported(stmt));
            };
            query_of_create = Statement::Query(q.clone());
            &query_of_create
        }
        other => other,
    };
    if !matches!(
        inner,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
    ) {
        return Err(crate::utility::unsupported(stmt));
    }
    session.tx.first_snapshot_taken = true;
    let planning = Instant::now();
    let mut plan = crate::tcop::plan_query(session, inner, sql, param_types)?;
    if !crate::tcop::lock_relations(session, &plan)? {
        plan = crate::tcop::plan_query(session, inner, sql, param_types)?;
        crate::tcop::lock_relations(session, &plan)?;
    }
    let planning_ms = planning.elapsed().as_secs_f64() * 1000.0;
    let mut summary = Summary {
        planning_ms,
        execution_ms: None,
    };
    let stats = if opts.analyze {
        crate::tcop::check_plan_writable(session, &plan)?;
        let started = Instant::now();
        let result = executor::execute_instrumented(&plan, params, session, opts.timing);
        session.scans.clear();
        let (_, stats) = result?;
        summary.execution_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        Some(stats)
    } else {
        None
    };
    let tree = planner::explain::build(&plan, opts.verbose);
    let lines = planner::explain::render(&tree, &opts, stats.as_ref(), summary);
    Ok(Outcome::Rows {
        columns: vec![result_column()],
        rows: lines.into_iter().map(|l| vec![Datum::Text(l)]).collect(),
        tag: "EXPLAIN".into(),
    })
}
