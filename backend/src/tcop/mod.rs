//! The traffic cop: turns protocol messages into statement executions and
//! results into protocol messages, for the simple and the extended query
//! protocol. pgwire does the framing; everything a PostgreSQL client can observe
//! (tags, errors, transaction status, ParameterStatus) is decided here.

pub mod copy_handler;
pub mod extended;
pub mod plancache;
pub mod simple;

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{BufMut, BytesMut};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{DataRow, FieldDescription, RowDescription};
use pgwire::messages::response::{CommandComplete, ErrorResponse, TransactionStatus};
use pgwire::messages::startup::ParameterStatus;
use sqlparser::ast::Statement;
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult};

use crate::session::{Prepared, Session, XactState};
use crate::utility::{self, Outcome};

/// The session shared by the protocol handlers of one connection.
#[derive(Clone)]
pub struct Tcop {
    session: Arc<Mutex<Session>>,
}

impl Tcop {
    pub fn new(session: Session) -> Tcop {
        Tcop {
            session: Arc::new(Mutex::new(session)),
        }
    }

    /// The session. A handler never holds it across an await, and one
    /// connection is served by one thread, so the lock is never contended; a
    /// poisoned lock means a handler panicked, which ends the process anyway.
    pub fn session(&self) -> MutexGuard<'_, Session> {
        match self.session.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// ReadyForQuery's status byte for a session.
pub fn transaction_status(session: &Session) -> TransactionStatus {
    match session.xact {
        XactState::Idle => TransactionStatus::Idle,
        XactState::InBlock => TransactionStatus::Transaction,
        XactState::Failed => TransactionStatus::Error,
    }
}

pub fn error_message(e: &PgError) -> PgWireBackendMessage {
    PgWireBackendMessage::ErrorResponse(ErrorResponse::from(protocol::error::error_info(e)))
}

pub fn output_options(session: &Session) -> OutputOptions {
    executor::ExecContext::output_options(session)
}

/// Runs one statement: transaction-state checks, then utility or planner+executor.
/// `prepared` is the statement made by Parse (its plan is reused by Execute
/// while the catalog has not changed).
pub fn exec_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    prepared: Option<&Prepared>,
    params: &[Datum],
) -> PgResult<Outcome> {
    if session.xact == XactState::Failed && !utility::allowed_in_failed_block(stmt) {
        return Err(utility::in_failed_transaction());
    }
    session.start_statement();
    let result = run_statement(session, stmt, sql, prepared, params);
    match result {
        // COPY FROM STDIN: the statement ends with the client's data.
        Ok(outcome @ Outcome::CopyIn { .. }) => Ok(outcome),
        Ok(outcome) => match session.finish_statement() {
            Ok(()) => Ok(outcome),
            Err(e) => {
                panic_if_critical(&e);
                session.fail_statement();
                Err(e)
            }
        },
        Err(e) => {
            panic_if_critical(&e);
            session.fail_statement();
            Err(e)
        }
    }
}

/// A PANIC (a failure in PostgreSQL's critical sections: a page changed in
/// shared memory whose WAL record could not be written, a commit record
/// that could not be flushed): shared memory can no longer be trusted, so
/// the process aborts, and the postmaster reinitialises and recovers from
/// the WAL, as after any backend crash.
pub(crate) fn panic_if_critical(e: &PgError) {
    if e.severity == types::error::Severity::Panic {
        eprintln!("PANIC:  {}", e.message);
        std::process::abort();
    }
}

pub(crate) fn run_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    prepared: Option<&Prepared>,
    params: &[Datum],
) -> PgResult<Outcome> {
    executor::ExecContext::check_for_interrupts(session)?;
    if let Some(r) = utility::transaction_control(session, stmt) {
        return r;
    }
    if let Some(r) = utility::settings_statement(session, stmt) {
        return r;
    }
    if let Some(r) = crate::commands::ddl_statement(session, stmt, sql) {
        return r;
    }
    if let Some(r) = crate::commands::portalcmds::statement(session, stmt, sql) {
        return r;
    }
    if let Some(r) = crate::commands::async_notify::statement(session, stmt) {
        return r;
    }
    match stmt {
        Statement::Copy { .. } => match crate::commands::copy::copy(session, stmt)? {
            crate::commands::copy::Copy::Done(outcome) => Ok(outcome),
            crate::commands::copy::Copy::In(state) => {
                let columns = state.columns();
                let binary = state.binary();
                session.copy_in = Some(state);
                Ok(Outcome::CopyIn { columns, binary })
            }
        },
        Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)
            if let Some(outcome) =
                crate::rewrite::run_with_rules(session, stmt, prepared, params)? =>
        {
            Ok(outcome)
        }
        Statement::Query(_)
        | Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_)
        | Statement::Merge(_)
        | Statement::Call(_) => {
            session.tx.first_snapshot_taken = true;
            let param_types = prepared.map(|p| p.param_types.as_slice());
            let cached =
                prepared.and_then(|p| p.plan.as_ref().map(|plan| (plan, p.catalog_version)));
            let owned;
            let plan = match cached {
                Some((plan, version)) if version == catalog_version(session) => plan,
                _ => {
                    owned = plan_query(session, stmt, sql, param_types)?;
                    &owned
                }
            };
            let owned_after_locks;
            let plan = match lock_relations(session, plan)? {
                true => plan,
                false => {
                    // The catalog moved while we waited for a lock: plan again
                    // and lock what the new plan names.
                    owned_after_locks = plan_query(session, stmt, sql, param_types)?;
                    lock_relations(session, &owned_after_locks)?;
                    &owned_after_locks
                }
            };
            check_plan_writable(session, plan)?;
            // A procedure called here may COMMIT and ROLLBACK.
            session.nonatomic_call = plan.call.is_some() && session.may_control_transactions();
            let result = executor::execute_statement(plan, params, session);
            session.nonatomic_call = false;
            session.scans.clear();
            let result = result?;
            // An interrupt raised by the statement itself (pg_terminate_backend of
            // this very session) takes effect before its result is sent, as
            // PostgreSQL's next CHECK_FOR_INTERRUPTS would make it.
            executor::ExecContext::check_for_interrupts(session)?;
            let tag = plan.command_tag(result.processed);
            if plan.columns.is_empty() && plan.command != planner::CommandKind::Select {
                return Ok(Outcome::Command(tag));
            }
            // A procedure without output arguments sends no row.
            if plan.call.as_ref().is_some_and(Vec::is_empty) {
                return Ok(Outcome::Command(tag));
            }
            Ok(Outcome::Rows {
                columns: plan.columns.clone(),
                rows: result.rows,
                tag,
            })
        }
        Statement::Explain { .. } => {
            let param_types = prepared.map(|p| p.param_types.as_slice());
            crate::commands::explain::explain(session, stmt, sql, param_types, params)
        }
        other => Err(utility::unsupported(other)),
    }
}

/// 25006 for a plan that writes (DML, or a row lock) in a read-only
/// transaction.
pub(crate) fn check_plan_writable(session: &Session, plan: &planner::PlannedStmt) -> PgResult<()> {
    // A data-modifying WITH makes the statement a write, named by its
    // main command as PostgreSQL does.
    if plan.command == planner::CommandKind::Select && !plan.modifying_ctes.is_empty() {
        crate::xact::check_writable(session, "SELECT")?;
    }
    if plan.command != planner::CommandKind::Select {
        let verb = match plan.command {
            planner::CommandKind::Insert => "INSERT",
            planner::CommandKind::Update => "UPDATE",
            planner::CommandKind::Merge => "MERGE",
            _ => "DELETE",
        };
        crate::xact::check_writable(session, verb)?;
    }
    if let Some(mark) = &plan.plan.row_lock {
        crate::xact::check_writable(session, &format!("SELECT {}", mark.mode.clause()))?;
    }
    Ok(())
}

/// Where the catalog stands for this session: the shared generation and
/// this session's own uncommitted changes. A plan made at another version
/// may name relations that changed.
pub fn catalog_version(session: &Session) -> (u64, u64) {
    (
        session.storage.transam.catalog_generation(),
        session.local_catalog_version,
    )
}

/// Plans a query or DML statement against the catalog (`param_types` for
/// the extended protocol, None for a simple query).
pub fn plan_query(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    param_types: Option<&[u32]>,
) -> PgResult<planner::PlannedStmt> {
    let catalog = crate::table_access::SessionCatalog::new(session);
    match param_types {
        Some(types) => planner::plan_statement_in(stmt, sql, types, &catalog),
        None => planner::plan_simple_query_in(stmt, sql, &catalog),
    }
}

/// Locks every relation a plan names, in the plan's mode, until transaction
/// end. False if the catalog changed meanwhile (the plan must be remade).
pub(crate) fn lock_relations(session: &mut Session, plan: &planner::PlannedStmt) -> PgResult<bool> {
    if plan.relations.is_empty() {
        crate::acl::check_plan_privileges(session, plan)?;
        return Ok(true);
    }
    let before = catalog_version(session);
    for r in &plan.relations {
        let mode = match r.mode {
            planner::LockMode::AccessShare => storage::lmgr::LockMode::AccessShare,
            planner::LockMode::RowShare => storage::lmgr::LockMode::RowShare,
            planner::LockMode::RowExclusive => storage::lmgr::LockMode::RowExclusive,
        };
        crate::xact::lock_relation(session, r.rel.oid, mode)?;
    }
    crate::relcache::accept_invalidations(session);
    crate::acl::check_plan_privileges(session, plan)?;
    for r in plan.relations.iter().filter(|r| r.rel.relkind == 'f') {
        crate::commands::foreigncmds::check_foreign_scan(session, r.rel.oid)?;
    }
    Ok(catalog_version(session) == before)
}

/// The messages of a COPY TO STDOUT before its CommandComplete: the
/// CopyOutResponse (text or binary format), one CopyData per line (per
/// tuple in binary), CopyDone.
/// The CopyInResponse that asks the client for a COPY FROM STDIN's data:
/// text or binary, `columns` columns.
pub fn copy_in_response(columns: usize, binary: bool) -> PgWireBackendMessage {
    let f = i16::from(binary);
    PgWireBackendMessage::CopyInResponse(pgwire::messages::copy::CopyInResponse::new(
        f as i8,
        columns as i16,
        vec![f; columns],
    ))
}

pub fn copy_out_messages(
    columns: usize,
    data: Vec<Vec<u8>>,
    binary: bool,
) -> Vec<PgWireBackendMessage> {
    let mut out = Vec::with_capacity(data.len() + 2);
    let f = i16::from(binary);
    out.push(PgWireBackendMessage::CopyOutResponse(
        pgwire::messages::copy::CopyOutResponse::new(f as i8, columns as i16, vec![f; columns]),
    ));
    for line in data {
        out.push(PgWireBackendMessage::CopyData(
            pgwire::messages::copy::CopyData::new(line.into()),
        ));
    }
    out.push(PgWireBackendMessage::CopyDone(
        pgwire::messages::copy::CopyDone::new(),
    ));
    out
}

/// RowDescription for result columns in the given formats (PostgreSQL's rule:
/// no codes = all text, one code = all columns, else one per column).
pub fn row_description(columns: &[planner::Column], formats: &[i16]) -> PgWireBackendMessage {
    let fields = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // A domain column is described as its base type, as
            // PostgreSQL's printtup does.
            let (t, typmod) = types::typcache::base_type_and_typmod(c.type_oid, c.typmod);
            FieldDescription::new(
                c.name.clone(),
                c.table_oid as i32,
                c.column_id,
                t,
                types::oid::typlen(t),
                // An anonymous record's typmod only names its fields
                // inside this process (`typcache::register_record`).
                if t == types::oid::RECORD { -1 } else { typmod },
                format_for(formats, i),
            )
        })
        .collect();
    PgWireBackendMessage::RowDescription(RowDescription::new(fields))
}

pub fn format_for(formats: &[i16], i: usize) -> i16 {
    match formats {
        [] => 0,
        [one] => *one,
        many => many.get(i).copied().unwrap_or(0),
    }
}

/// One DataRow in the requested formats.
pub fn data_row(
    row: &[Datum],
    column_types: &[u32],
    formats: &[i16],
    opts: &OutputOptions,
) -> PgResult<PgWireBackendMessage> {
    // Encoding cannot fail today; the Result leaves room for types whose
    // output can (e.g. a value too large for the protocol).
    let mut buf = BytesMut::new();
    for (i, d) in row.iter().enumerate() {
        if d.is_null() {
            buf.put_i32(-1);
            continue;
        }
        let bytes = if format_for(formats, i) == 1 {
            match (column_types.get(i), d) {
                // jsonpath_send: version 1, then the text (the value is its text)
                (Some(&types::oid::JSONPATH), Datum::Text(s)) => {
                    let mut v = vec![1u8];
                    v.extend_from_slice(s.as_bytes());
                    v
                }
                _ => d.to_binary(),
            }
        } else {
            d.to_text(opts).into_bytes()
        };
        buf.put_i32(bytes.len() as i32);
        buf.put_slice(&bytes);
    }
    Ok(PgWireBackendMessage::DataRow(DataRow::new(
        buf,
        row.len() as i16,
    )))
}

pub fn command_complete(tag: &str) -> PgWireBackendMessage {
    PgWireBackendMessage::CommandComplete(CommandComplete::new(tag.to_owned()))
}

/// Queued NOTICE/WARNING messages, then cleared; those below
/// client_min_messages are not sent.
pub fn drain_notices(session: &mut Session) -> Vec<PgWireBackendMessage> {
    // Every message comes here: most have nothing to send.
    if session.notices.is_empty() {
        return Vec::new();
    }
    let min = session
        .settings
        .show("client_min_messages")
        .unwrap_or_default();
    let rank = |severity: &str| match severity {
        "NOTICE" | "INFO" => 1,
        "WARNING" => 2,
        _ => 0,
    };
    let floor = match min.as_str() {
        "warning" => 2,
        "error" => 3,
        _ => 0,
    };
    session
        .notices
        .drain(..)
        .filter(|(sev, ..)| *sev == "INFO" || rank(sev) >= floor)
        .map(|(sev, code, msg, detail)| {
            PgWireBackendMessage::NoticeResponse(protocol::error::notice_with_detail(
                sev,
                code,
                &msg,
                detail.as_deref(),
            ))
        })
        .collect()
}

/// ParameterStatus for each reported setting that changed.
pub fn parameter_status_changes(session: &mut Session) -> Vec<PgWireBackendMessage> {
    session
        .settings
        .changed_reported()
        .into_iter()
        .map(|(name, value)| {
            PgWireBackendMessage::ParameterStatus(ParameterStatus::new(name.to_owned(), value))
        })
        .collect()
}
