//! PL/pgSQL, the procedural language (PostgreSQL's `src/pl/plpgsql`).
//!
//! 1. `CREATE FUNCTION ... LANGUAGE plpgsql` stores the body as
//!    `pg_proc.prosrc` after [`validate`] parsed it ([`parse::parse_body`]),
//!    so that syntax errors come at CREATE, as in PostgreSQL.
//! 2. The planner turns a call into `Expr::UserCall` (or, for a function
//!    that returns rows, a `SetFunction` with `user` set); the executor
//!    asks its context, the session, to run it
//!    (`ExecContext::call_function` / `call_set_function`), which lands in
//!    [`call`].
//! 3. [`call`] reads the `pg_proc` row, parses the body, binds the
//!    arguments as variables and runs the block ([`exec`]). SQL in the body
//!    is planned with the variables visible to the analyzer and runs in the
//!    caller's transaction; a block with EXCEPTION handlers runs as a
//!    subtransaction (an internal savepoint).
//! 4. `DO $$ ... $$` runs an anonymous block the same way ([`do_block`]).
//! 5. A procedure is called by CALL, planned as its FROM function
//!    (`planner::analyze::call`), and lands in [`call`] too: the values
//!    CALL gives for its OUT arguments are dropped, its SET clauses
//!    (`proconfig`, as for any function) hold during the call. A top-level
//!    CALL or DO outside a transaction block sets
//!    `Session::nonatomic_call`, which only the procedure it names (or the
//!    block) takes: its COMMIT and ROLLBACK end the transaction and start
//!    the next (outside EXCEPTION blocks, whose subtransaction would be
//!    cut), and a CALL statement of its body hands that on. Elsewhere they
//!    are 2D000 `invalid transaction termination`, as in PostgreSQL.
//!
//! Plans: each call parses its body and plans a statement on first use,
//! then reuses that plan (kept by the statement's place in the body) while
//! the catalog and the types of the variables it reads are unchanged;
//! leaving a scope frees its variables' slots, so entering it again makes
//! the same slots the kept plans read.
//!
//! Differences from PostgreSQL: no plan cache across calls; a cursor's
//! rows are read when it is opened, and a refcursor cannot be handed to
//! the client as a portal; triggers are in `commands::trigger`.

mod exec;
pub mod parse;

use std::cell::Cell;

use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;
pub use exec::TRIGGER;

thread_local! {
    /// How deeply function calls are nested now.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// How many trigger calls are running now.
    static TRIGGER_DEPTH: Cell<i32> = const { Cell::new(0) };
}

/// `pg_trigger_depth()`.
pub fn trigger_depth() -> i32 {
    TRIGGER_DEPTH.with(Cell::get)
}

/// Nesting allowed before "stack depth limit exceeded".
const MAX_DEPTH: usize = 400;

/// A call starts on a fresh stack segment of [`STACK_GROWTH`] bytes when
/// less than this is left (a level of a call runs the planner and the
/// executor, which recurse).
const STACK_RED_ZONE: usize = 1024 * 1024;
const STACK_GROWTH: usize = 16 * 1024 * 1024;

/// Checks a body at CREATE FUNCTION, as PostgreSQL's compilation does:
/// its syntax, the syntax of the SQL in it, and assignments to CONSTANT
/// variables.
pub fn validate(name: &str, body: &str) -> PgResult<()> {
    let context = |e: PgError, line: usize| {
        exec::add_context(
            e,
            format!("compilation of PL/pgSQL function \"{name}\" near line {line}"),
        )
    };
    let block = parse::parse_body(body).map_err(|e| context(e, 1))?;
    let mut constants = Vec::new();
    check_block(&block, &mut constants).map_err(|located| context(located.0, located.1))
}

/// An error with the body line it belongs to.
type Located = Box<(PgError, usize)>;

fn check_sql(text: &str, line: usize) -> Result<(), Located> {
    crate::syntax::parse(text).map(|_| ()).map_err(|mut e| {
        // The position is in the statement of the body, not the client's.
        e.position = None;
        Box::new((e, line))
    })
}

fn check_expr(e: &parse::Expr) -> Result<(), Located> {
    check_sql(&format!("SELECT {}", e.text), e.line)
}

/// Whether a FOR loop's text is `name` or `name(args)` (a bound cursor).
fn names_cursor(text: &str) -> bool {
    let name = text.split('(').next().unwrap_or("").trim();
    !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && text.trim_end().ends_with(')') == text.contains('(')
}

fn check_block(b: &parse::Block, constants: &mut Vec<String>) -> Result<(), Located> {
    let depth = constants.len();
    for d in &b.decls {
        if let Some(e) = &d.default {
            check_expr(e)?;
        }
        if d.constant {
            constants.push(d.name.clone());
        }
    }
    let r = check_stmts(&b.body, constants).and_then(|()| {
        b.handlers
            .iter()
            .try_for_each(|h| check_stmts(&h.body, constants))
    });
    constants.truncate(depth);
    r
}

fn check_stmts(stmts: &[parse::Stmt], constants: &mut Vec<String>) -> Result<(), Located> {
    use parse::{ForKind, StmtKind};
    for s in stmts {
        match &s.kind {
            StmtKind::Block(b) => check_block(b, constants)?,
            StmtKind::Assign(t, e) => {
                if t.parts.len() == 1 && constants.contains(&t.parts[0]) {
                    return Err(Box::new((
                        PgError::new(
                            SqlState::SyntaxError,
                            format!("variable \"{}\" is declared CONSTANT", t.parts[0]),
                        ),
                        s.line,
                    )));
                }
                check_expr(e)?;
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    check_expr(c)?;
                    check_stmts(body, constants)?;
                }
                if let Some(o) = otherwise {
                    check_stmts(o, constants)?;
                }
            }
            StmtKind::Case {
                whens, otherwise, ..
            } => {
                for (_, body) in whens {
                    check_stmts(body, constants)?;
                }
                if let Some(o) = otherwise {
                    check_stmts(o, constants)?;
                }
            }
            StmtKind::Loop { body, .. } => check_stmts(body, constants)?,
            StmtKind::While { cond, body, .. } => {
                check_expr(cond)?;
                check_stmts(body, constants)?;
            }
            StmtKind::For { kind, body, .. } => {
                match kind {
                    ForKind::Integer { low, high, .. } => {
                        check_expr(low)?;
                        check_expr(high)?;
                    }
                    // `FOR r IN c(args)` over a bound cursor is no query.
                    ForKind::Query {
                        query,
                        dynamic: false,
                        ..
                    } if !names_cursor(&query.text) => check_sql(&query.text, query.line)?,
                    _ => {}
                }
                check_stmts(body, constants)?;
            }
            StmtKind::Return(Some(e)) | StmtKind::ReturnNext(Some(e)) => check_expr(e)?,
            StmtKind::ReturnQuery {
                query,
                dynamic: false,
                ..
            } => check_sql(&query.text, query.line)?,
            StmtKind::Perform(e) => check_expr(e)?,
            StmtKind::Sql { sql, .. } => check_sql(&sql.text, sql.line)?,
            _ => {}
        }
    }
    Ok(())
}

/// The function's display form in CONTEXT lines: `name(integer,text)`.
fn display(row: &catalog::system::ProcRow) -> String {
    let args: Vec<&str> = row
        .arg_types
        .iter()
        .map(|&t| types::oid::type_name(t))
        .collect();
    format!("{}({})", row.name, args.join(","))
}

/// Runs user function `oid` with `args`: a PL/pgSQL function, or an SQL
/// one statement by statement. `value` is a scalar function's result;
/// `rows` those of a set-returning (or row-returning) one.
pub fn call(
    session: &mut Session,
    oid: u32,
    args: Vec<Datum>,
    call_types: &executor::CallTypes,
) -> PgResult<exec::CallResult> {
    let (result, retset, width) = call_inner(session, oid, args, call_types)?;
    let mut result = result;
    // A function that returns no set gives exactly one row in FROM.
    if !retset && result.rows.is_empty() {
        result.rows = vec![match width {
            0 | 1 => vec![result.value.clone()],
            n => vec![Datum::Null; n],
        }];
    }
    Ok(result)
}

fn call_inner(
    session: &mut Session,
    oid: u32,
    all_args: Vec<Datum>,
    call_types: &executor::CallTypes,
) -> PgResult<(exec::CallResult, bool, usize)> {
    let mut row =
        crate::relcache::with_reader(session, |r| r.function_by_oid(oid))?.ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedFunction,
                format!("cache lookup failed for function {oid}"),
            )
        })?;
    let depth = DEPTH.with(Cell::get);
    if depth >= MAX_DEPTH {
        return Err(PgError::new(
            SqlState::StatementTooComplex,
            "stack depth limit exceeded",
        )
        .with_hint("Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate."));
    }
    // A procedure's OUT arguments are in its call but not in its body's
    // arguments: their values (given by CALL) are dropped.
    let (args, narrowed);
    let call_types = match row.kind == 'p' && row.arg_modes.contains(&'o') {
        true => {
            let keep: Vec<bool> = row.arg_modes.iter().map(|m| *m != 'o').collect();
            args = all_args
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(a, _)| a)
                .collect::<Vec<_>>();
            narrowed = executor::CallTypes {
                args: call_types
                    .args
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(t, _)| *t)
                    .collect(),
                ret: call_types.ret,
            };
            &narrowed
        }
        false => {
            args = all_args;
            call_types
        }
    };
    // A polymorphic function runs with the types of this call.
    if call_types.args.len() == row.arg_types.len() {
        let declared = row.arg_types.clone();
        for t in row.all_arg_types.iter_mut() {
            if types::oid::is_polymorphic(*t)
                && let Some((_, resolved)) =
                    planner::analyze::coerce::resolve_polymorphic(&declared, &call_types.args, *t)
            {
                *t = resolved;
            }
        }
        row.arg_types = call_types.args.clone();
        row.ret_type = call_types.ret;
    }
    DEPTH.with(|d| d.set(depth + 1));
    let saved_snapshot = session.tx.stmt_snapshot.clone();
    // Only the procedure a CALL names may end transactions, not the
    // functions its arguments call.
    let nonatomic = row.kind == 'p' && std::mem::take(&mut session.nonatomic_call);
    let restore = apply_config(session, &row.config);
    let result = match restore {
        Ok(_) => stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            run(session, &row, args, nonatomic)
        }),
        Err(ref e) => Err(e.clone()),
    };
    if let Ok(saved) = restore {
        for (name, value) in saved.into_iter().rev() {
            // Put back what it was; a value that was valid stays valid.
            let _ = session
                .settings
                .set(&name, &value, types::guc::GucSource::Session, true);
        }
    }
    session.tx.stmt_snapshot = saved_snapshot;
    DEPTH.with(|d| d.set(depth));
    Ok((result?, row.retset, row.out_columns().len()))
}

/// A function's SET clauses (`proconfig`, `name=value` items) for the
/// time of its call: the values they replace, to be put back after it.
fn apply_config(session: &mut Session, config: &[String]) -> PgResult<Vec<(String, String)>> {
    let mut saved: Vec<(String, String)> = Vec::with_capacity(config.len());
    for item in config {
        let Some((name, value)) = item.split_once('=') else {
            continue;
        };
        let old = session.settings.show(name).unwrap_or_default();
        let superuser = session.is_superuser;
        if let Err(e) = session
            .settings
            .set(name, value, types::guc::GucSource::Session, superuser)
        {
            for (name, value) in saved.iter().rev() {
                let _ = session
                    .settings
                    .set(name, value, types::guc::GucSource::Session, true);
            }
            return Err(e);
        }
        saved.push((name.to_string(), old));
    }
    Ok(saved)
}

fn run(
    session: &mut Session,
    row: &catalog::system::ProcRow,
    args: Vec<Datum>,
    nonatomic: bool,
) -> PgResult<exec::CallResult> {
    let sig = exec::Signature {
        display: display(row),
        name: row.name.clone(),
        ret_type: row.ret_type,
        retset: row.retset,
        out_columns: row.out_columns(),
    };
    let in_names = row.in_arg_names();
    let mut vars: Vec<exec::Var> = args
        .into_iter()
        .zip(&row.arg_types)
        .enumerate()
        .map(|(i, (v, &t))| {
            let name = in_names
                .get(i)
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("${}", i + 1));
            exec::Var::scalar(&name, t, v)
        })
        .collect();
    let nargs = vars.len();
    let language_sql = row.language != catalog::system::PLPGSQL_LANGUAGE_OID;
    let block = match language_sql {
        true => None,
        false => Some(parse::parse_body(&row.body).map_err(|e| {
            exec::add_context(
                e,
                format!(
                    "compilation of PL/pgSQL function \"{}\" near line 1",
                    row.name
                ),
            )
        })?),
    };
    // OUT columns that are not INOUT arguments are variables too,
    // starting NULL.
    let mut out_vars = Vec::new();
    for (n, t) in &sig.out_columns {
        if !vars.iter().any(|v| &v.name == n) {
            out_vars.push(exec::Var::scalar(n, *t, Datum::Null));
        }
    }
    vars.truncate(nargs);
    let mut frame = exec::Frame::new(&sig, vars);
    frame.nonatomic = nonatomic;
    for v in out_vars {
        frame.declare(v);
    }
    let Some(block) = block else {
        return exec::run_sql_body(session, &mut frame, &row.body).map_err(|e| {
            exec::add_context(e, format!("SQL function \"{}\" statement 1", row.name))
        });
    };
    exec::run_block_top(session, &mut frame, &block)?;
    let returned = !exec::fell_off_end(&frame);
    exec::finish(&mut frame, returned)?;
    Ok(frame.into_result())
}

/// `DO [LANGUAGE plpgsql] $$ ... $$`: an anonymous block, run once.
pub fn do_block(session: &mut Session, body: &str) -> PgResult<()> {
    let block = parse::parse_body(body)?;
    let sig = exec::Signature {
        display: "inline_code_block".into(),
        name: "inline_code_block".into(),
        ret_type: types::oid::VOID,
        retset: false,
        out_columns: Vec::new(),
    };
    let mut frame = exec::Frame::new(&sig, Vec::new());
    frame.nonatomic = std::mem::take(&mut session.nonatomic_call);
    exec::run_block_top(session, &mut frame, &block)
}

/// The NEW / OLD record of a row-level trigger call: the relation's live
/// columns (all NULL for the one the event has not, OLD of an INSERT, as
/// PostgreSQL's NULL row).
fn trigger_record(rel: &crate::commands::trigger::TriggerRel, row: Option<&[Datum]>) -> exec::Row {
    let mut r = exec::Row {
        null: row.is_none(),
        ..exec::Row::default()
    };
    for (i, (name, t, dropped)) in rel.columns.iter().enumerate() {
        if *dropped {
            continue;
        }
        r.names.push(name.clone());
        r.types.push(*t);
        r.values.push(
            row.and_then(|row| row.get(i))
                .cloned()
                .unwrap_or(Datum::Null),
        );
    }
    r
}

/// The variables a trigger function sees: NEW, OLD and the TG_ ones.
fn trigger_frame<'f>(
    sig: &'f exec::Signature,
    firing: &crate::commands::trigger::Firing<'_>,
    before: bool,
    row_level: bool,
) -> exec::Frame<'f> {
    use types::oid::{INT4, NAME, OID, TEXT, TEXT_ARRAY};
    let mut frame = exec::Frame::new(sig, Vec::new());
    let record = |name: &str, row: Option<exec::Row>| exec::Var {
        record: Some(row),
        ..exec::Var::scalar(name, types::oid::RECORD, Datum::Null)
    };
    let (old, new) = match row_level {
        true => (
            Some(trigger_record(firing.rel, firing.old)),
            Some(trigger_record(firing.rel, firing.new)),
        ),
        false => (None, None),
    };
    frame.declare(record("new", new));
    frame.declare(record("old", old));
    if let Some((old_rows, new_rows)) = &firing.transition {
        let live: Vec<usize> = (0..firing.rel.columns.len())
            .filter(|&i| !firing.rel.columns[i].2)
            .collect();
        let columns: Vec<(String, u32)> = live
            .iter()
            .map(|&i| (firing.rel.columns[i].0.clone(), firing.rel.columns[i].1))
            .collect();
        let project = |rows: &[Vec<Datum>]| -> std::sync::Arc<Vec<Vec<Datum>>> {
            std::sync::Arc::new(
                rows.iter()
                    .map(|r| {
                        live.iter()
                            .map(|&i| r.get(i).cloned().unwrap_or(Datum::Null))
                            .collect()
                    })
                    .collect(),
            )
        };
        for (name, rows) in [
            (&firing.trigger.old_table, old_rows),
            (&firing.trigger.new_table, new_rows),
        ] {
            if let Some(name) = name {
                frame
                    .tables
                    .push((name.to_string(), columns.clone(), project(rows)));
            }
        }
    }
    let text = |s: &str| Datum::Text(s.to_string());
    frame.declare(exec::Var::scalar(
        "tg_name",
        NAME,
        text(&firing.trigger.name),
    ));
    frame.declare(exec::Var::scalar(
        "tg_when",
        TEXT,
        text(if before { "BEFORE" } else { "AFTER" }),
    ));
    frame.declare(exec::Var::scalar(
        "tg_level",
        TEXT,
        text(if row_level { "ROW" } else { "STATEMENT" }),
    ));
    frame.declare(exec::Var::scalar("tg_op", TEXT, text(firing.event.name())));
    frame.declare(exec::Var::scalar(
        "tg_relid",
        OID,
        Datum::Oid(firing.rel.oid),
    ));
    frame.declare(exec::Var::scalar(
        "tg_relname",
        NAME,
        text(&firing.rel.name),
    ));
    frame.declare(exec::Var::scalar(
        "tg_table_name",
        NAME,
        text(&firing.rel.name),
    ));
    frame.declare(exec::Var::scalar(
        "tg_table_schema",
        NAME,
        text(&firing.rel.schema),
    ));
    frame.declare(exec::Var::scalar(
        "tg_nargs",
        INT4,
        Datum::Int4(firing.trigger.args.len() as i32),
    ));
    let argv = types::datum::ArrayValue {
        elem_type: TEXT,
        lower: 0,
        elems: firing.trigger.args.iter().map(|a| text(a)).collect(),
        inner: Vec::new(),
    };
    frame.declare(exec::Var::scalar(
        "tg_argv",
        TEXT_ARRAY,
        Datum::Array(Box::new(argv)),
    ));
    frame
}

/// A trigger's WHEN condition over the row(s) (true without one).
pub fn trigger_when(
    session: &mut Session,
    firing: &crate::commands::trigger::Firing<'_>,
) -> PgResult<bool> {
    let Some(when) = &firing.trigger.when else {
        return Ok(true);
    };
    let sig = exec::Signature {
        display: firing.trigger.name.clone(),
        name: firing.trigger.name.clone(),
        ret_type: types::oid::BOOL,
        retset: false,
        out_columns: Vec::new(),
    };
    let mut frame = trigger_frame(&sig, firing, true, true);
    exec::eval_condition(session, &mut frame, when)
}

/// Calls a trigger's function: for a row-level BEFORE trigger, the row it
/// returned (full width, as the relation stores it), or None for NULL.
pub fn call_trigger(
    session: &mut Session,
    firing: &crate::commands::trigger::Firing<'_>,
    before: bool,
    row_level: bool,
) -> PgResult<Option<Vec<Datum>>> {
    let oid = firing.trigger.func;
    let row =
        crate::relcache::with_reader(session, |r| r.function_by_oid(oid))?.ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedFunction,
                format!("cache lookup failed for function {oid}"),
            )
        })?;
    let block = parse::parse_body(&row.body)?;
    let sig = exec::Signature {
        display: format!("{}()", row.name),
        name: row.name.clone(),
        ret_type: TRIGGER,
        retset: false,
        out_columns: Vec::new(),
    };
    let depth = DEPTH.with(Cell::get);
    if depth >= MAX_DEPTH {
        return Err(PgError::new(
            SqlState::StatementTooComplex,
            "stack depth limit exceeded",
        ));
    }
    DEPTH.with(|d| d.set(depth + 1));
    let saved_snapshot = session.tx.stmt_snapshot.clone();
    let mut frame = trigger_frame(&sig, firing, before, row_level);
    TRIGGER_DEPTH.with(|d| d.set(d.get() + 1));
    let result = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
        exec::run_block_top(session, &mut frame, &block).and_then(|()| {
            let returned = !exec::fell_off_end(&frame);
            exec::finish(&mut frame, returned)
        })
    });
    session.tx.stmt_snapshot = saved_snapshot;
    DEPTH.with(|d| d.set(depth));
    TRIGGER_DEPTH.with(|d| d.set(d.get() - 1));
    result?;
    let Some(returned) = frame.result_row.take() else {
        return Ok(None);
    };
    let live = firing.rel.columns.iter().filter(|c| !c.2).count();
    if returned.values.len() != live {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            "returned row structure does not match the structure of the triggering table",
        )
        .with_detail("Number of returned columns does not match expected column count."));
    }
    let mut values = returned.values.into_iter();
    Ok(Some(
        firing
            .rel
            .columns
            .iter()
            .map(|c| match c.2 {
                true => Datum::Null,
                false => values.next().unwrap_or(Datum::Null),
            })
            .collect(),
    ))
}
