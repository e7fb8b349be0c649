//! The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync.
//! Statements and portals live in the session (names as PostgreSQL: "" is the
//! unnamed one). After an error pgwire discards messages until Sync.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::Portal as PgwirePortal;
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::stmt::NoopQueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Close, CloseComplete, Describe, Execute, Parse, ParseComplete,
    PortalSuspended, Sync as PgSync, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery};
use sqlparser::ast::Statement;
use types::{Datum, PgError, PgResult, SqlState};

use super::{
    Tcop, command_complete, data_row, drain_notices, exec_statement, format_for, output_options,
    parameter_status_changes, row_description, transaction_status,
};
use crate::session::{Portal, Prepared, Session, XactState};
use crate::syntax;
use crate::utility::{self, Outcome};

fn pg(e: PgError) -> PgWireError {
    protocol::error::to_pgwire(&e)
}

/// Marks the transaction failed after an error in an extended-protocol step.
fn fail(session: &mut Session, e: PgError) -> PgWireError {
    if session.xact == XactState::InBlock {
        session.xact = XactState::Failed;
    }
    pg(e)
}

fn show_column(stmt: &Statement) -> Option<planner::Column> {
    if let Statement::Explain { .. } = stmt {
        return Some(crate::commands::explain::result_column());
    }
    if let Statement::ShowVariable { variable } = stmt {
        let name = variable
            .iter()
            .map(|i| i.value.to_lowercase())
            .collect::<Vec<_>>()
            .join(".");
        let name = types::guc::lookup(&name)
            .map(|d| d.name.to_owned())
            .unwrap_or(name);
        return Some(planner::Column {
            name,
            type_oid: types::oid::TEXT,
            typmod: -1,
            table_oid: 0,
            column_id: 0,
        });
    }
    None
}

impl Tcop {
    fn parse_message(&self, msg: &Parse) -> PgResult<()> {
        let mut session = self.session();
        let name = msg.name.clone().unwrap_or_default();
        let result = (|| {
            if !name.is_empty() && session.prepared.contains_key(&name) {
                return Err(PgError::new(
                    SqlState::DuplicatePreparedStatement,
                    format!("prepared statement \"{name}\" already exists"),
                ));
            }
            let mut stmts = syntax::parse(&msg.query)?;
            if stmts.len() > 1 {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "cannot insert multiple commands into a prepared statement",
                ));
            }
            let stmt = stmts.pop();
            if session.xact == XactState::Failed
                && !stmt.as_ref().is_some_and(utility::allowed_in_failed_block)
            {
                return Err(utility::in_failed_transaction());
            }
            let catalog_version = super::catalog_version(&session);
            let plan = match &stmt {
                // SELECT ... INTO creates a table when it runs.
                Some(Statement::Query(q)) if crate::commands::select_into(q).is_some() => None,
                Some(
                    s @ (Statement::Query(_)
                    | Statement::Insert(_)
                    | Statement::Update(_)
                    | Statement::Delete(_)
                    | Statement::Merge(_)
                    | Statement::Call(_)),
                ) if !matches!(s, Statement::Call(_)) || crate::syntax::is_procedure_call(s) => {
                    let planned =
                        super::plan_query(&mut session, s, &msg.query, Some(&msg.type_oids));
                    if session.xact == XactState::Idle {
                        // Catalog lookups outside a transaction leave no snapshot behind.
                        session.storage.transam.end_without_xid();
                    }
                    Some(planned?)
                }
                _ => None,
            };
            let param_types = match &plan {
                Some(p) => p.param_types.clone(),
                None => msg.type_oids.clone(),
            };
            Ok(Prepared {
                sql: msg.query.clone(),
                stmt,
                plan,
                param_types,
                catalog_version,
                from_sql: false,
                prepare_time: crate::session::now_pg(),
            })
        })();
        match result {
            Ok(p) => {
                session.prepared.insert(name, std::sync::Arc::new(p));
                Ok(())
            }
            Err(e) => {
                if session.xact == XactState::InBlock {
                    session.xact = XactState::Failed;
                }
                Err(e)
            }
        }
    }

    fn bind_message(&self, msg: &Bind) -> PgResult<()> {
        let mut session = self.session();
        let stmt_name = msg.statement_name.clone().unwrap_or_default();
        let portal_name = msg.portal_name.clone().unwrap_or_default();
        let Some(prepared) = session.prepared.get(&stmt_name).cloned() else {
            return Err(PgError::new(
                SqlState::InvalidSqlStatementName,
                format!("prepared statement \"{stmt_name}\" does not exist"),
            ));
        };
        if msg.parameters.len() != prepared.param_types.len() {
            return Err(PgError::new(
                SqlState::ProtocolViolation,
                format!(
                    "bind message supplies {} parameters, but prepared statement \"{stmt_name}\" requires {}",
                    msg.parameters.len(),
                    prepared.param_types.len()
                ),
            ));
        }
        let fmts = &msg.parameter_format_codes;
        if fmts.len() > 1 && fmts.len() != msg.parameters.len() {
            return Err(PgError::new(
                SqlState::ProtocolViolation,
                format!(
                    "bind message has {} parameter formats but {} parameters",
                    fmts.len(),
                    msg.parameters.len()
                ),
            ));
        }
        let opts = super::output_options(&session);
        let mut params = Vec::with_capacity(msg.parameters.len());
        for (i, (value, oid)) in msg.parameters.iter().zip(&prepared.param_types).enumerate() {
            let d = match value {
                None => Datum::Null,
                Some(bytes) => {
                    let oid = if *oid == 0 { types::oid::TEXT } else { *oid };
                    if format_for(fmts, i) == 1 {
                        Datum::from_binary(oid, bytes)
                    } else {
                        let text = types::error::utf8_text(bytes)?;
                        Datum::from_text(oid, text, &opts)
                    }?
                }
            };
            params.push(d);
        }
        if session.xact == XactState::Failed
            && !prepared
                .stmt
                .as_ref()
                .is_some_and(utility::allowed_in_failed_block)
        {
            return Err(utility::in_failed_transaction());
        }
        session.portals.insert(
            portal_name,
            Portal {
                statement: prepared,
                params,
                result_formats: msg.result_column_format_codes.clone(),
                pending: None,
                sent: 0,
                tag: None,
            },
        );
        Ok(())
    }

    /// Execute: runs the portal on first use, then sends up to `max_rows` rows.
    fn execute_message(&self, msg: &Execute) -> (Vec<PgWireBackendMessage>, PgResult<()>) {
        let mut session = self.session();
        let name = msg.name.clone().unwrap_or_default();
        let mut out = Vec::new();
        let Some(mut portal) = session.portals.remove(&name) else {
            return (
                out,
                Err(PgError::new(
                    SqlState::InvalidCursorName,
                    format!("portal \"{name}\" does not exist"),
                )),
            );
        };
        // The statement is shared with the portal: no copy of its parse tree.
        let statement = portal.statement.clone();
        let Some(stmt) = statement.stmt.as_ref() else {
            out.push(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ));
            session.portals.insert(name, portal);
            return (out, Ok(()));
        };
        if portal.pending.is_none() {
            let result = exec_statement(
                &mut session,
                stmt,
                &statement.sql,
                Some(&statement),
                &portal.params,
            );
            out.extend(drain_notices(&mut session));
            match result {
                Ok(Outcome::Command(tag)) => {
                    out.push(command_complete(&tag));
                    portal.pending = Some(VecDeque::new());
                    portal.tag = None;
                    session.portals.insert(name, portal);
                    return (out, Ok(()));
                }
                Ok(Outcome::Rows { rows, tag, .. }) => {
                    portal.pending = Some(rows.into());
                    portal.tag = Some(tag);
                }
                Ok(Outcome::CopyOut {
                    columns,
                    data,
                    tag,
                    binary,
                }) => {
                    out.extend(super::copy_out_messages(columns, data, binary));
                    out.push(command_complete(&tag));
                    portal.pending = Some(VecDeque::new());
                    portal.tag = None;
                    session.portals.insert(name, portal);
                    return (out, Ok(()));
                }
                Ok(Outcome::CopyIn { columns, binary }) => {
                    // The client sends the data now (`on_execute` moves the
                    // connection to CopyInProgress); CopyDone ends the
                    // statement as in the simple protocol, then Sync.
                    out.push(super::copy_in_response(columns, binary));
                    portal.pending = Some(VecDeque::new());
                    portal.tag = None;
                    session.portals.insert(name, portal);
                    return (out, Ok(()));
                }
                Err(e) => return (out, Err(e)),
            }
        }
        let opts = output_options(&session);
        let limit = if msg.max_rows > 0 {
            msg.max_rows as usize
        } else {
            usize::MAX
        };
        let mut n = 0;
        let column_types: Vec<u32> = portal
            .statement
            .plan
            .as_ref()
            .map(|p| p.columns.iter().map(|c| c.type_oid).collect())
            .unwrap_or_default();
        let pending = portal.pending.get_or_insert_with(VecDeque::new);
        while n < limit {
            let Some(row) = pending.pop_front() else {
                break;
            };
            match data_row(&row, &column_types, &portal.result_formats, &opts) {
                Ok(m) => out.push(m),
                Err(e) => return (out, Err(e)),
            }
            n += 1;
        }
        portal.sent += n;
        if !pending.is_empty() {
            out.push(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()));
        } else if let Some(tag) = &portal.tag {
            // A SELECT reports the rows this portal sent; DML with RETURNING
            // reports the rows it changed.
            match tag.strip_prefix("SELECT ") {
                Some(_) => out.push(command_complete(&format!("SELECT {}", portal.sent))),
                None => out.push(command_complete(tag)),
            }
        }
        session.portals.insert(name, portal);
        (out, Ok(()))
    }

    fn describe_message(&self, msg: &Describe) -> PgResult<Vec<PgWireBackendMessage>> {
        let session = self.session();
        let name = msg.name.clone().unwrap_or_default();
        let mut out = Vec::new();
        let (prepared, formats, with_params) = match msg.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match session.prepared.get(&name) {
                Some(p) => (&**p, Vec::new(), true),
                None => {
                    return Err(PgError::new(
                        SqlState::InvalidSqlStatementName,
                        format!("prepared statement \"{name}\" does not exist"),
                    ));
                }
            },
            TARGET_TYPE_BYTE_PORTAL => match session.portals.get(&name) {
                Some(p) => (&*p.statement, p.result_formats.clone(), false),
                // A portal opened by SQL DECLARE (psycopg's named cursors
                // describe it before they FETCH): its rows are text.
                None if session.cursors.contains_key(&name) => {
                    let cursor = &session.cursors[&name];
                    out.push(match cursor.columns.is_empty() {
                        true => PgWireBackendMessage::NoData(NoData::new()),
                        false => row_description(&cursor.columns, &[]),
                    });
                    return Ok(out);
                }
                None => {
                    return Err(PgError::new(
                        SqlState::InvalidCursorName,
                        format!("portal \"{name}\" does not exist"),
                    ));
                }
            },
            other => {
                return Err(PgError::new(
                    SqlState::ProtocolViolation,
                    format!("invalid DESCRIBE message subtype {other}"),
                ));
            }
        };
        if with_params {
            out.push(PgWireBackendMessage::ParameterDescription(
                ParameterDescription::new(prepared.param_types.clone()),
            ));
        }
        let columns = match (&prepared.plan, &prepared.stmt) {
            (Some(plan), _) => Some(plan.columns.clone()),
            (None, Some(s)) => show_column(s)
                .map(|c| vec![c])
                .or_else(|| crate::commands::portalcmds::result_columns(&session, s)),
            _ => None,
        };
        match columns {
            Some(cols) if !cols.is_empty() => out.push(row_description(&cols, &formats)),
            _ => out.push(PgWireBackendMessage::NoData(NoData::new())),
        }
        Ok(out)
    }
}

#[async_trait]
impl ExtendedQueryHandler for Tcop {
    type Statement = String;
    type QueryParser = NoopQueryParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::new(NoopQueryParser)
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.parse_message(&message).map_err(pg)?;
        client
            .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Err(e) = self.bind_message(&message) {
            let mut s = self.session();
            return Err(fail(&mut s, e));
        }
        client
            .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (messages, result) = self.execute_message(&message);
        for m in messages {
            client.feed(m).await?;
        }
        if self.session().copy_in.is_some() {
            // The CopyInResponse must reach the client now: the Sync that
            // would flush it is ignored during the copy.
            client.flush().await?;
            client.set_state(PgWireConnectionState::CopyInProgress(true));
        }
        let status = transaction_status(&self.session());
        client.set_transaction_status(status);
        result.map_err(pg)
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let messages = self
            .describe_message(&message)
            .map_err(|e| fail(&mut self.session(), e))?;
        for m in messages {
            client.feed(m).await?;
        }
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        {
            let mut s = self.session();
            let name = message.name.clone().unwrap_or_default();
            match message.target_type {
                TARGET_TYPE_BYTE_STATEMENT => {
                    s.prepared.remove(&name);
                }
                TARGET_TYPE_BYTE_PORTAL => {
                    s.portals.remove(&name);
                }
                other => {
                    return Err(pg(PgError::new(
                        SqlState::ProtocolViolation,
                        format!("invalid CLOSE message subtype {other}"),
                    )));
                }
            }
        }
        client
            .feed(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (status, params) = {
            let mut s = self.session();
            // The unnamed portal lives until the end of the transaction; outside a
            // block every Sync ends one.
            if s.xact == XactState::Idle {
                s.portals.remove("");
            }
            let mut params = parameter_status_changes(&mut s);
            params.extend(crate::commands::async_notify::take_notifications(&mut s));
            (transaction_status(&s), params)
        };
        for m in params {
            client.feed(m).await?;
        }
        client.set_transaction_status(status);
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        _client: &mut C,
        _portal: &PgwirePortal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        Err(pg(PgError::internal(
            "extended query dispatched to pgwire's default path",
        )))
    }
}
