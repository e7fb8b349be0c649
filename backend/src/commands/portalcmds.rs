//! Prepared statements and cursors in SQL (PostgreSQL's `prepare.c` and
//! `portalcmds.c`): PREPARE / EXECUTE / DEALLOCATE share the session's
//! statements with the extended protocol's named ones; DECLARE / FETCH /
//! MOVE / CLOSE keep a cursor's rows in the session.
//!
//! A cursor's query runs when it is declared and its rows wait in the
//! session (PostgreSQL runs it as rows are fetched): what FETCH returns is
//! the same for queries that read a snapshot, which every cursor of a
//! transaction block does. Cursors end with their transaction unless WITH
//! HOLD; a held cursor survives the commit and ends when closed, or with
//! the abort of the transaction that declared it.

use std::sync::Arc;

use sqlparser::ast::{DataType, Expr, Statement};
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::{Prepared, Session, XactState};
use crate::utility::Outcome;

/// One open cursor.
#[derive(Debug)]
pub struct Cursor {
    pub columns: Vec<planner::Column>,
    pub rows: Vec<Vec<Datum>>,
    /// 0 before the first row, `rows.len() + 1` after the last.
    pub pos: usize,
    /// `NO SCROLL`: only forward.
    pub no_scroll: bool,
    /// `BINARY` (`pg_cursors.is_binary`; rows go out as the client asks).
    pub binary: bool,
    /// The DECLARE statement's text and when it ran (`pg_cursors`).
    pub statement: String,
    pub created: i64,
    pub hold: bool,
    /// Declared in a transaction that has committed since (a held cursor
    /// then outlives an abort).
    pub committed: bool,
}

/// Ends the cursors of a transaction that ends (see the module doc).
pub fn at_transaction_end(session: &mut Session, committed: bool) {
    session.cursors.retain(|_, c| {
        if committed {
            c.committed |= c.hold;
            c.hold
        } else {
            c.hold && c.committed
        }
    });
}

/// Handles PREPARE, EXECUTE, DEALLOCATE, DECLARE and CLOSE; None for any
/// other statement.
pub fn statement(session: &mut Session, stmt: &Statement, sql: &str) -> Option<PgResult<Outcome>> {
    Some(match stmt {
        Statement::Prepare {
            name,
            data_types,
            statement,
        } => prepare(session, &name.value, data_types, statement, sql),
        Statement::Execute {
            name: Some(name),
            parameters,
            immediate: false,
            into,
            using,
            ..
        } if into.is_empty() && using.is_empty() => {
            execute(session, &name.to_string().to_lowercase(), parameters)
        }
        Statement::Deallocate { name, .. } => deallocate(session, name),
        Statement::Declare { stmts, .. } => match stmts.as_slice() {
            [d] if d.for_query.is_some() => declare(session, d, sql),
            _ => Err(PgError::feature_not_supported("this DECLARE")),
        },
        Statement::Close { cursor } => close(session, cursor),
        _ => return None,
    })
}

/// `PREPARE name [(types)] AS statement`.
fn prepare(
    session: &mut Session,
    name: &str,
    data_types: &[DataType],
    inner: &Statement,
    sql: &str,
) -> PgResult<Outcome> {
    if session.prepared.contains_key(name) {
        return Err(PgError::new(
            SqlState::DuplicatePreparedStatement,
            format!("prepared statement \"{name}\" already exists"),
        ));
    }
    if !matches!(
        inner,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
    ) {
        return Err(PgError::syntax(
            format!(
                "syntax error at or near \"{}\"",
                crate::utility::first_words(&inner.to_string())
                    .split(' ')
                    .next()
                    .unwrap_or("")
            ),
            None,
        ));
    }
    let mut types = Vec::with_capacity(data_types.len());
    for dt in data_types {
        types.push(super::typecmds::resolve_type(session, dt)?.0);
    }
    let plan = crate::tcop::plan_query(session, inner, sql, Some(&types))?;
    let param_types: Vec<u32> = plan
        .param_types
        .iter()
        .enumerate()
        .map(|(i, &t)| match t {
            0 => Err(PgError::new(
                SqlState::IndeterminateDatatype,
                format!("could not determine data type of parameter ${}", i + 1),
            )),
            t => Ok(t),
        })
        .collect::<PgResult<_>>()?;
    let prepared = Prepared {
        sql: sql.to_owned(),
        stmt: Some(inner.clone()),
        catalog_version: crate::tcop::catalog_version(session),
        plan: Some(plan),
        param_types,
        from_sql: true,
        prepare_time: crate::session::now_pg(),
    };
    session.prepared.insert(name.to_owned(), Arc::new(prepared));
    Ok(Outcome::Command("PREPARE".into()))
}

/// `EXECUTE name [(values)]`: the values, coerced to the statement's
/// parameter types as an assignment would, then the statement.
fn execute(session: &mut Session, name: &str, parameters: &[Expr]) -> PgResult<Outcome> {
    let Some(prepared) = session.prepared.get(name).cloned() else {
        return Err(PgError::new(
            SqlState::InvalidSqlStatementName,
            format!("prepared statement \"{name}\" does not exist"),
        ));
    };
    if parameters.len() != prepared.param_types.len() {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!("wrong number of parameters for prepared statement \"{name}\""),
        )
        .with_detail(format!(
            "Expected {} parameters but got {}.",
            prepared.param_types.len(),
            parameters.len()
        )));
    }
    let values = parameter_values(session, parameters, &prepared.param_types)?;
    let Some(stmt) = &prepared.stmt else {
        return Err(PgError::internal(
            "prepared statement without its statement",
        ));
    };
    crate::tcop::run_statement(session, stmt, &prepared.sql, Some(&prepared), &values)
}

/// Prepared statement `name` with EXECUTE's `parameters` in place of its
/// `$n` (as literals of their types), and its SQL text: what EXPLAIN
/// EXECUTE plans.
pub(crate) fn with_values(
    session: &mut Session,
    name: &str,
    parameters: &[Expr],
) -> PgResult<(Statement, String)> {
    use std::ops::ControlFlow;
    let Some(prepared) = session.prepared.get(name).cloned() else {
        return Err(PgError::new(
            SqlState::InvalidSqlStatementName,
            format!("prepared statement \"{name}\" does not exist"),
        ));
    };
    if parameters.len() != prepared.param_types.len() {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!("wrong number of parameters for prepared statement \"{name}\""),
        ));
    }
    let values = parameter_values(session, parameters, &prepared.param_types)?;
    let Some(mut stmt) = prepared.stmt.clone() else {
        return Err(PgError::internal(
            "prepared statement without its statement",
        ));
    };
    let opts = executor::ExecContext::output_options(session);
    let mut literals = Vec::with_capacity(values.len());
    for (v, &t) in values.iter().zip(&prepared.param_types) {
        let ty = types::oid::format_type(t, -1);
        let text = if v.is_null() {
            format!("NULL::{ty}")
        } else {
            format!("'{}'::{ty}", v.to_text(&opts).replace('\'', "''"))
        };
        let e = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| PgError::internal(format!("a parameter did not re-parse: {e}")))?;
        literals.push(e);
    }
    let _ = sqlparser::ast::visit_expressions_mut(&mut stmt, |e| {
        if let Expr::Value(v) = e
            && let sqlparser::ast::Value::Placeholder(p) = &v.value
            && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
            && let Some(lit) = n.checked_sub(1).and_then(|i| literals.get(i))
        {
            *e = Expr::Nested(Box::new(lit.clone()));
        }
        ControlFlow::<()>::Continue(())
    });
    let text = stmt.to_string();
    Ok((stmt, text))
}

/// The values of EXECUTE's parameter expressions, as `SELECT (e)::type, ...`.
fn parameter_values(
    session: &mut Session,
    parameters: &[Expr],
    types: &[u32],
) -> PgResult<Vec<Datum>> {
    if parameters.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = parameters
        .iter()
        .zip(types)
        .map(|(e, &t)| format!("({e})::{}", types::oid::format_type(t, -1)))
        .collect();
    let sql = format!("SELECT {}", list.join(", "));
    let stmts = crate::syntax::parse(&sql)?;
    let [select] = stmts.as_slice() else {
        return Err(PgError::internal(
            "EXECUTE parameters did not parse as one query",
        ));
    };
    let plan = crate::tcop::plan_query(session, select, &sql, None)?;
    crate::tcop::lock_relations(session, &plan)?;
    let result = executor::execute_statement(&plan, &[], session);
    session.scans.clear();
    let mut rows = result?.rows;
    rows.pop()
        .ok_or_else(|| PgError::internal("EXECUTE parameters gave no row"))
}

/// `DEALLOCATE [PREPARE] name | ALL`.
fn deallocate(session: &mut Session, name: &sqlparser::ast::Ident) -> PgResult<Outcome> {
    if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
        session.prepared.clear();
        return Ok(Outcome::Command("DEALLOCATE ALL".into()));
    }
    let n = crate::syntax::fold(name);
    if session.prepared.remove(&n).is_none() {
        return Err(PgError::new(
            SqlState::InvalidSqlStatementName,
            format!("prepared statement \"{n}\" does not exist"),
        ));
    }
    Ok(Outcome::Command("DEALLOCATE".into()))
}

/// `DECLARE name [NO] SCROLL CURSOR [WITH HOLD] FOR query`.
fn declare(session: &mut Session, d: &sqlparser::ast::Declare, sql: &str) -> PgResult<Outcome> {
    let [name] = d.names.as_slice() else {
        return Err(PgError::feature_not_supported("DECLARE of several names"));
    };
    let name = crate::syntax::fold(name);
    let hold = d.hold == Some(true);
    if !hold && session.xact != XactState::InBlock {
        return Err(PgError::new(
            SqlState::NoActiveSqlTransaction,
            "DECLARE CURSOR can only be used in transaction blocks",
        ));
    }
    if session.cursors.contains_key(&name) {
        return Err(PgError::new(
            SqlState::DuplicateCursor,
            format!("cursor \"{name}\" already exists"),
        ));
    }
    let Some(query) = &d.for_query else {
        return Err(PgError::internal("DECLARE without its query"));
    };
    let modifies = query.with.as_ref().is_some_and(|w| {
        w.cte_tables.iter().any(|c| {
            matches!(
                c.query.body.as_ref(),
                sqlparser::ast::SetExpr::Insert(_)
                    | sqlparser::ast::SetExpr::Update(_)
                    | sqlparser::ast::SetExpr::Delete(_)
            )
        })
    });
    if modifies {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "DECLARE CURSOR must not contain data-modifying statements in WITH",
        ));
    }
    let stmt = Statement::Query(query.clone());
    let (columns, rows) = match crate::tcop::run_statement(session, &stmt, sql, None, &[])? {
        Outcome::Rows { columns, rows, .. } => (columns, rows),
        _ => return Err(PgError::internal("a cursor's query returned no rows")),
    };
    session.cursors.insert(
        name,
        Cursor {
            columns,
            rows,
            pos: 0,
            no_scroll: match d.scroll {
                Some(scroll) => !scroll,
                // Neither SCROLL nor NO SCROLL: PostgreSQL allows going
                // backward when its plan can; a query without FROM (a
                // Result node) cannot.
                None => !matches!(
                    query.body.as_ref(),
                    sqlparser::ast::SetExpr::Select(s) if !s.from.is_empty()
                ),
            },
            binary: d.binary == Some(true),
            statement: sql.to_owned(),
            created: crate::session::now_pg(),
            hold,
            committed: false,
        },
    );
    Ok(Outcome::Command("DECLARE CURSOR".into()))
}

/// `CLOSE name | ALL`.
fn close(session: &mut Session, cursor: &sqlparser::ast::CloseCursor) -> PgResult<Outcome> {
    match cursor {
        sqlparser::ast::CloseCursor::All => {
            session.cursors.clear();
            Ok(Outcome::Command("CLOSE CURSOR ALL".into()))
        }
        sqlparser::ast::CloseCursor::Specific { name } => {
            let n = crate::syntax::fold(name);
            if session.cursors.remove(&n).is_none() {
                return Err(missing_cursor(&n));
            }
            Ok(Outcome::Command("CLOSE CURSOR".into()))
        }
    }
}

fn missing_cursor(name: &str) -> PgError {
    PgError::new(
        SqlState::InvalidCursorName,
        format!("cursor \"{name}\" does not exist"),
    )
}

/// Where a FETCH or MOVE goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// forward (positive) or backward (negative) this many rows; `i64::MAX`
    /// for ALL
    Relative(i64),
    /// to this row (negative: from the end), without the rows between
    Absolute(i64),
    /// `RELATIVE n`: to the row n away, without the rows between
    Skip(i64),
}

/// Parses `FETCH|MOVE [direction] [FROM|IN] name` (the statement's text).
fn parse_fetch(text: &str) -> PgResult<(bool, Direction, String)> {
    let tokens = crate::syntax::words(text)?;
    let mut it = tokens.iter().map(String::as_str).peekable();
    let is_move = it.next().is_some_and(|w| w.eq_ignore_ascii_case("move"));
    let syntax = |w: &str| PgError::syntax(format!("syntax error at or near \"{w}\""), None);
    let number = |w: &str| w.parse::<i64>().map_err(|_| syntax(w));
    let upper = |w: Option<&&str>| w.map(|s| s.to_ascii_uppercase());
    let mut direction = Direction::Relative(1);
    let all = i64::MAX;
    match upper(it.peek()).as_deref() {
        Some("NEXT") => {
            it.next();
        }
        Some("PRIOR") => {
            it.next();
            direction = Direction::Relative(-1);
        }
        Some("FIRST") => {
            it.next();
            direction = Direction::Absolute(1);
        }
        Some("LAST") => {
            it.next();
            direction = Direction::Absolute(-1);
        }
        Some("ABSOLUTE") => {
            it.next();
            direction = Direction::Absolute(number(it.next().unwrap_or(""))?);
        }
        Some("RELATIVE") => {
            it.next();
            direction = Direction::Skip(number(it.next().unwrap_or(""))?);
        }
        Some("ALL") => {
            it.next();
            direction = Direction::Relative(all);
        }
        Some(w @ ("FORWARD" | "BACKWARD")) => {
            let sign = if w == "FORWARD" { 1 } else { -1 };
            it.next();
            let n = match upper(it.peek()).as_deref() {
                Some("ALL") => {
                    it.next();
                    all
                }
                Some(x) if x.parse::<i64>().is_ok() || x.starts_with('-') => {
                    number(it.next().unwrap_or(""))?
                }
                _ => 1,
            };
            direction = match n {
                0 => Direction::Skip(0),
                n if n == all => Direction::Relative(sign * all),
                n => Direction::Relative(sign * n),
            };
        }
        Some(x) if x.parse::<i64>().is_ok() => {
            direction = match number(it.next().unwrap_or(""))? {
                0 => Direction::Skip(0),
                k => Direction::Relative(k),
            };
        }
        _ => {}
    }
    if matches!(upper(it.peek()).as_deref(), Some("FROM" | "IN")) {
        it.next();
    }
    let Some(name) = it.next() else {
        return Err(PgError::syntax("syntax error at end of input", None));
    };
    if let Some(extra) = it.next() {
        return Err(syntax(extra));
    }
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_lowercase(),
    };
    Ok((is_move, direction, name))
}

/// The columns EXECUTE or FETCH returns (for Describe); None for other
/// statements, or when the statement or cursor does not exist (yet).
pub fn result_columns(session: &Session, stmt: &Statement) -> Option<Vec<planner::Column>> {
    match stmt {
        Statement::Execute { name: Some(n), .. } => session
            .prepared
            .get(&n.to_string().to_lowercase())
            .and_then(|p| p.plan.as_ref())
            .map(|p| p.columns.clone()),
        _ => match crate::syntax::text_statement(stmt)? {
            crate::syntax::TextStatement::Fetch(text) => {
                let (is_move, _, name) = parse_fetch(&text).ok()?;
                let c = session.cursors.get(&name).filter(|_| !is_move)?;
                Some(c.columns.clone())
            }
            _ => None,
        },
    }
}

/// `FETCH ...` or `MOVE ...` (kept as text by the pre-parser).
pub fn fetch(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let (is_move, direction, name) = parse_fetch(text)?;
    let Some(c) = session.cursors.get_mut(&name) else {
        return Err(missing_cursor(&name));
    };
    let n = c.rows.len() as i64;
    let mut pos = c.pos as i64;
    let backward = match direction {
        Direction::Relative(k) => k < 0,
        Direction::Absolute(k) => k <= 0 || k < pos,
        Direction::Skip(k) => k < 0,
    };
    if backward && c.no_scroll {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            "cursor can only scan forward",
        )
        .with_hint("Declare it with SCROLL option to enable backward scan."));
    }
    let mut out = Vec::new();
    match direction {
        Direction::Relative(k) => {
            let step = k.signum();
            let mut left = k.unsigned_abs();
            while left > 0 {
                let next = pos + step;
                if next < 1 || next > n {
                    pos = if step > 0 { n + 1 } else { 0 };
                    break;
                }
                pos = next;
                out.push(c.rows[(pos - 1) as usize].clone());
                left -= 1;
            }
        }
        Direction::Absolute(k) | Direction::Skip(k) => {
            let target = match direction {
                Direction::Absolute(_) if k >= 0 => k,
                Direction::Absolute(_) => n + 1 + k,
                _ => pos + k,
            };
            pos = target.clamp(0, n + 1);
            if (1..=n).contains(&target) {
                out.push(c.rows[(target - 1) as usize].clone());
            }
        }
    }
    c.pos = pos as usize;
    let count = out.len();
    if is_move {
        return Ok(Outcome::Command(format!("MOVE {count}")));
    }
    Ok(Outcome::Rows {
        columns: c.columns.clone(),
        rows: out,
        tag: format!("FETCH {count}"),
    })
}
