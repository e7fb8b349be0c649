//! The client's side of COPY FROM STDIN: CopyData messages feed the
//! session's `copy_in` (rows are inserted as their lines complete);
//! CopyDone ends the statement (its CommandComplete `COPY n`, then
//! pgwire's ReadyForQuery), CopyFail or the first bad row fails it. An
//! error met while data still arrives is kept and reported at the end,
//! so that no ReadyForQuery goes out while the client is still sending.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::ClientInfo;
use pgwire::api::copy::CopyHandler;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use types::{PgError, SqlState};

use super::{Tcop, command_complete, drain_notices, parameter_status_changes, transaction_status};

#[async_trait]
impl CopyHandler for Tcop {
    async fn on_copy_data<C>(&self, _client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut session = self.session();
        if let Some(mut copy) = session.copy_in.take() {
            if copy.failed.is_none()
                && let Err(e) = executor::ExecContext::check_for_interrupts(&mut *session)
            {
                copy.failed = Some(e);
            }
            copy.feed(&mut session, &copy_data.data);
            session.copy_in = Some(copy);
        }
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (messages, status) = {
            let mut session = self.session();
            let Some(mut copy) = session.copy_in.take() else {
                return Err(protocol::error::to_pgwire(&PgError::new(
                    SqlState::ProtocolViolation,
                    "unexpected message type 0x63 during COPY from stdin",
                )));
            };
            let result = copy
                .finish(&mut session)
                .and_then(|n| session.finish_statement().map(|()| n));
            let mut messages = drain_notices(&mut session);
            match result {
                Ok(n) => messages.push(command_complete(&format!("COPY {n}"))),
                Err(e) => {
                    super::panic_if_critical(&e);
                    session.fail_statement();
                    return Err(protocol::error::to_pgwire(&e));
                }
            }
            messages.extend(parameter_status_changes(&mut session));
            messages.extend(crate::commands::async_notify::take_notifications(
                &mut session,
            ));
            (messages, transaction_status(&session))
        };
        for m in messages {
            client.feed(m).await?;
        }
        client.set_transaction_status(status);
        Ok(())
    }

    async fn on_copy_fail<C>(&self, _client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut session = self.session();
        session.copy_in = None;
        session.fail_statement();
        protocol::error::to_pgwire(&PgError::new(
            SqlState::QueryCanceled,
            format!("COPY from stdin failed: {}", fail.message),
        ))
    }
}
