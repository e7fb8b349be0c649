//! The traffic cop: turns protocol messages into statement executions and
//! results into protocol messages, for the simple and the extended query
//! protocol. pgwire does the framing; everything a PostgreSQL client can observe
//! (tags, errors, transaction status, ParameterStatus) is decided here.

pub mod extended;
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

use crate::session::{Session, XactState};
use crate::utility::{self, Outcome};

/// The session shared by the protocol handlers of one connection.
#[derive(Clone)]
pub struct Tcop {
    session: Arc<Mutex<Session>>,
}

impl Tcop {
    pub fn new(session: Session) -> Tcop {
        Tcop { session: Arc::new(Mutex::new(session)) }
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
/// `plan` is a plan made at Parse time, reused by Execute.
pub fn exec_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    plan: Option<&planner::PlannedStmt>,
    params: &[Datum],
) -> PgResult<Outcome> {
    if session.xact == XactState::Failed && !utility::allowed_in_failed_block(stmt) {
        return Err(utility::in_failed_transaction());
    }
    session.start_statement();
    let result = run_statement(session, stmt, sql, plan, params);
    match result {
        Ok(outcome) => match session.finish_statement() {
            Ok(()) => Ok(outcome),
            Err(e) => {
                session.fail_statement();
                Err(e)
            }
        },
        Err(e) => {
            session.fail_statement();
            Err(e)
        }
    }
}

fn run_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
    plan: Option<&planner::PlannedStmt>,
    params: &[Datum],
) -> PgResult<Outcome> {
    executor::ExecContext::check_for_interrupts(session)?;
    if let Some(r) = utility::transaction_control(session, stmt) {
        return r;
    }
    if let Some(r) = utility::settings_statement(session, stmt) {
        return r;
    }
    if let Some(r) = crate::ddl::ddl_statement(session, stmt) {
        return r;
    }
    match stmt {
        Statement::Query(_) => {
            session.tx.first_snapshot_taken = true;
            let owned;
            let plan = match plan {
                Some(p) => p,
                None => {
                    owned = planner::plan_simple_query(stmt, sql)?;
                    &owned
                }
            };
            let rows = executor::execute(plan, params, session)?;
            // An interrupt raised by the statement itself (pg_terminate_backend of
            // this very session) takes effect before its result is sent, as
            // PostgreSQL's next CHECK_FOR_INTERRUPTS would make it.
            executor::ExecContext::check_for_interrupts(session)?;
            let tag = format!("SELECT {}", rows.len());
            Ok(Outcome::Rows { columns: plan.columns.clone(), rows, tag })
        }
        other => Err(utility::unsupported(other)),
    }
}

/// RowDescription for result columns in the given formats (PostgreSQL's rule:
/// no codes = all text, one code = all columns, else one per column).
pub fn row_description(columns: &[planner::Column], formats: &[i16]) -> PgWireBackendMessage {
    let fields = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            FieldDescription::new(
                c.name.clone(),
                0,
                0,
                c.type_oid,
                types::oid::typlen(c.type_oid),
                c.typmod,
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
pub fn data_row(row: &[Datum], formats: &[i16], opts: &OutputOptions) -> PgResult<PgWireBackendMessage> {
    // Encoding cannot fail today; the Result leaves room for types whose
    // output can (e.g. a value too large for the protocol).
    let mut buf = BytesMut::new();
    for (i, d) in row.iter().enumerate() {
        if d.is_null() {
            buf.put_i32(-1);
            continue;
        }
        let bytes = if format_for(formats, i) == 1 { d.to_binary() } else { d.to_text(opts).into_bytes() };
        buf.put_i32(bytes.len() as i32);
        buf.put_slice(&bytes);
    }
    Ok(PgWireBackendMessage::DataRow(DataRow::new(buf, row.len() as i16)))
}

pub fn command_complete(tag: &str) -> PgWireBackendMessage {
    PgWireBackendMessage::CommandComplete(CommandComplete::new(tag.to_owned()))
}

/// Queued NOTICE/WARNING messages, then cleared.
pub fn drain_notices(session: &mut Session) -> Vec<PgWireBackendMessage> {
    session
        .notices
        .drain(..)
        .map(|(sev, code, msg)| PgWireBackendMessage::NoticeResponse(protocol::error::notice(sev, code, &msg)))
        .collect()
}

/// ParameterStatus for each reported setting that changed.
pub fn parameter_status_changes(session: &mut Session) -> Vec<PgWireBackendMessage> {
    session
        .settings
        .changed_reported()
        .into_iter()
        .map(|(name, value)| PgWireBackendMessage::ParameterStatus(ParameterStatus::new(name.to_owned(), value)))
        .collect()
}
