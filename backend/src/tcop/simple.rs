//! The simple query protocol: one Query message, any number of statements.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery};
use pgwire::messages::simplequery::Query;
use types::{PgError, Severity};

use super::plancache;
use super::{
    Tcop, command_complete, data_row, drain_notices, error_message, exec_statement, output_options,
    parameter_status_changes, row_description, transaction_status,
};
use crate::syntax;
use crate::utility::Outcome;

impl Tcop {
    /// Runs a query string; returns the messages to send and, if a FATAL error
    /// ended the session, that error (sent by pgwire, which then closes).
    pub fn run_simple(&self, sql: &str) -> (Vec<PgWireBackendMessage>, Option<PgError>) {
        let mut session = self.session();
        let mut out = Vec::new();
        // A statement planned before for this text with other numbers.
        let normalized = plancache::normalize(sql);
        if let Some(n) = &normalized
            && let Some(prepared) = plancache::lookup(&session, n)
            && let Some(stmt) = &prepared.stmt
        {
            let fatal = run_one(
                &mut session,
                stmt,
                &prepared.sql,
                Some(&prepared),
                &n.values,
                &mut out,
            )
            .err();
            return (out, fatal);
        }
        let stmts = match syntax::parse(sql) {
            Ok(s) => s,
            Err(e) => {
                if session.xact == crate::session::XactState::InBlock {
                    session.xact = crate::session::XactState::Failed;
                }
                out.push(error_message(&e));
                return (out, None);
            }
        };
        if stmts.is_empty() {
            out.push(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ));
            return (out, None);
        }
        if stmts.len() > 1 && stmts.iter().any(crate::commands::copy::is_copy_from_stdin) {
            out.push(error_message(&types::PgError::feature_not_supported(
                "COPY FROM STDIN with other statements in one query string",
            )));
            return (out, None);
        }
        session.implicit_block = stmts.len() > 1;
        let mut fatal = None;
        let mut all_ran = true;
        for stmt in &stmts {
            match run_one(&mut session, stmt, sql, None, &[], &mut out) {
                Ok(true) => {}
                Ok(false) => {
                    all_ran = false;
                    break;
                }
                Err(e) => {
                    fatal = Some(e);
                    all_ran = false;
                    break;
                }
            }
        }
        if let Err(e) = session.end_implicit_block() {
            crate::tcop::panic_if_critical(&e);
            out.push(error_message(&e));
            all_ran = false;
        }
        if all_ran
            && let Some(n) = &normalized
            && !plancache::known(&session, n)
        {
            plancache::remember(&mut session, n);
        }
        (out, fatal)
    }
}

/// Runs one statement of a Query message and adds its messages to `out`:
/// Ok(true) if it succeeded, Ok(false) if it failed (the error is in `out`;
/// an implicit block is aborted), Err for a FATAL error that ends the session.
fn run_one(
    session: &mut crate::session::Session,
    stmt: &sqlparser::ast::Statement,
    sql: &str,
    prepared: Option<&crate::session::Prepared>,
    params: &[types::Datum],
    out: &mut Vec<PgWireBackendMessage>,
) -> Result<bool, PgError> {
    let result = exec_statement(session, stmt, sql, prepared, params);
    out.extend(drain_notices(session));
    match result {
        Ok(Outcome::Command(tag)) => out.push(command_complete(&tag)),
        Ok(Outcome::CopyOut {
            columns,
            data,
            tag,
            binary,
        }) => {
            out.extend(super::copy_out_messages(columns, data, binary));
            out.push(command_complete(&tag));
        }
        Ok(Outcome::CopyIn { columns, binary }) => {
            out.push(super::copy_in_response(columns, binary))
        }
        Ok(Outcome::Rows { columns, rows, tag }) => {
            out.push(row_description(&columns, &[]));
            let opts = output_options(session);
            for row in &rows {
                match data_row(row, &[], &[], &opts) {
                    Ok(m) => out.push(m),
                    Err(e) => {
                        if session.implicit_block {
                            session.fail_statement();
                        }
                        out.push(error_message(&e));
                        return Ok(false);
                    }
                }
            }
            out.push(command_complete(&tag));
        }
        Err(e) if e.severity >= Severity::Fatal => return Err(e),
        Err(e) => {
            out.push(error_message(&e));
            return Ok(false);
        }
    }
    Ok(true)
}

#[async_trait]
impl SimpleQueryHandler for Tcop {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.set_state(PgWireConnectionState::QueryInProgress);
        let (messages, fatal) = self.run_simple(&query.query);
        for m in messages {
            client.feed(m).await?;
        }
        if let Some(e) = fatal {
            return Err(protocol::error::to_pgwire(&e));
        }
        if self.session().copy_in.is_some() {
            // The client sends the data now; CopyDone or CopyFail ends it
            // (see `copy_handler.rs`).
            client.set_state(PgWireConnectionState::CopyInProgress(false));
            client.flush().await?;
            return Ok(());
        }
        let (status, params) = {
            let mut s = self.session();
            let mut params = parameter_status_changes(&mut s);
            params.extend(crate::commands::async_notify::take_notifications(&mut s));
            (transaction_status(&s), params)
        };
        for m in params {
            client.feed(m).await?;
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // on_query above handles the whole message; pgwire calls do_query only
        // from its default on_query, which we replace.
        Err(protocol::error::to_pgwire(&PgError::internal(
            "simple query dispatched to pgwire's default path",
        )))
    }
}
