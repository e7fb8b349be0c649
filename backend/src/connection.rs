//! The connection loop (PostgreSQL's `BackendInitialize` + `PostgresMain` read
//! loop): start-up packets, SSL negotiation and cancel requests are read here,
//! before pgwire sees the stream; then pgwire's decoder and dispatch serve the
//! session, while this loop keeps what pgwire's own loop lacks: PostgreSQL's
//! answers to bad protocol input, termination of an idle session, the
//! start-up timeout, and the messages a server sends between queries.
//!
//! The idle loop: between messages the loop waits on the client socket,
//! SIGTERM, the start-up deadline and SIGUSR1 at once. SIGUSR1 is what a
//! backend that committed a NOTIFY sends the listeners of its database; a
//! session that is idle (it has sent ReadyForQuery after a Query or Sync and
//! received nothing since) and not inside a transaction block then reads the
//! NOTIFY queue and writes a NotificationResponse per notification to the
//! socket at once, as PostgreSQL's `ProcessNotifyInterrupt` does while it
//! waits for a command. A signal that comes while a command runs stays
//! pending in the stream and is taken when the session is idle again; the
//! end of each command reads the queue before ReadyForQuery anyway.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, DefaultClient, NoopHandler, PgWireConnectionState};
use pgwire::error::PgWireError;
use pgwire::messages::response::ErrorResponse;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{PgWireMessageServerCodec, process_error, process_message};
use protocol::guard::{FramingError, MessageGuard};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Framed, FramedParts};
use types::{PgError, SqlState};

use crate::tcop::Tcop;

/// Any stream a client can be on (TCP, Unix socket, TLS over TCP).
pub trait ClientStream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> ClientStream for T {}

const SSL_REQUEST_CODE: u32 = 80_877_103;
const GSSENC_REQUEST_CODE: u32 = 80_877_104;
const CANCEL_REQUEST_CODE: u32 = 80_877_102;
/// PostgreSQL's limit on a startup packet.
const MAX_STARTUP_PACKET_LENGTH: u32 = 10_000;

/// What the start-up phase ended with.
enum Startup {
    /// A startup packet to hand to pgwire (length word included).
    Packet(Box<dyn ClientStream>, BytesMut, bool),
    /// A cancel request (pid, key): handled, then the connection closes.
    Cancel(i32, i32),
    /// The connection is over (EOF, bad packet, refused protocol).
    Closed,
}

async fn read_packet(stream: &mut Box<dyn ClientStream>) -> std::io::Result<Option<BytesMut>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_be_bytes(len);
    if !(8..=MAX_STARTUP_PACKET_LENGTH).contains(&n) {
        tracing::info!("invalid length of startup packet");
        return Ok(None);
    }
    let mut buf = BytesMut::zeroed(n as usize);
    buf[..4].copy_from_slice(&len);
    stream.read_exact(&mut buf[4..]).await?;
    Ok(Some(buf))
}

/// Reads start-up packets until a real startup packet (or a cancel request).
async fn negotiate(
    mut stream: Box<dyn ClientStream>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<Startup> {
    let mut secure = false;
    loop {
        let Some(packet) = read_packet(&mut stream).await? else {
            return Ok(Startup::Closed);
        };
        let code = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        match code {
            SSL_REQUEST_CODE if !secure => match &tls {
                Some(acceptor) => {
                    stream.write_all(b"S").await?;
                    let tls_stream = acceptor.accept(stream).await?;
                    stream = Box::new(tls_stream);
                    secure = true;
                }
                None => stream.write_all(b"N").await?,
            },
            GSSENC_REQUEST_CODE => stream.write_all(b"N").await?,
            CANCEL_REQUEST_CODE if packet.len() == 16 => {
                let pid = i32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
                let key = i32::from_be_bytes([packet[12], packet[13], packet[14], packet[15]]);
                return Ok(Startup::Cancel(pid, key));
            }
            SSL_REQUEST_CODE | CANCEL_REQUEST_CODE => {
                tracing::info!("invalid startup packet layout");
                return Ok(Startup::Closed);
            }
            version => {
                let (major, minor) = (version >> 16, version & 0xffff);
                if major != 3 {
                    let msg = format!(
                        "unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"
                    );
                    if major < 3 {
                        // A protocol-2 client reads an error as 'E' and a C string.
                        let mut out = b"EFATAL:  ".to_vec();
                        out.extend_from_slice(msg.as_bytes());
                        out.extend_from_slice(b"\n\0");
                        stream.write_all(&out).await?;
                    } else {
                        let e = PgError::fatal(SqlState::FeatureNotSupported, msg);
                        stream
                            .write_all(&protocol::error::encode_error_response(&e))
                            .await?;
                    }
                    let _ = stream.flush().await;
                    return Ok(Startup::Closed);
                }
                return Ok(Startup::Packet(stream, packet, secure));
            }
        }
        stream.flush().await?;
    }
}

/// Serves one client connection to its end.
#[allow(clippy::too_many_arguments)]
pub async fn serve<F>(
    stream: Box<dyn ClientStream>,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tcop: Arc<Tcop>,
    startup_handler: Arc<crate::startup::Startup>,
    on_cancel: impl FnOnce(i32, i32),
    reject: Option<PgError>,
    terminate: F,
    startup_timeout: Duration,
    mut notify_wakeup: tokio::signal::unix::Signal,
) where
    F: Future<Output = ()>,
{
    let deadline = tokio::time::sleep(startup_timeout);
    tokio::pin!(deadline);
    let startup = tokio::select! {
        r = negotiate(stream, tls) => r,
        _ = &mut deadline => return,
    };
    let (stream, packet, secure) = match startup {
        Ok(Startup::Packet(s, p, secure)) => (s, p, secure),
        Ok(Startup::Cancel(pid, key)) => return on_cancel(pid, key),
        Ok(Startup::Closed) => return,
        Err(e) => {
            tracing::debug!("connection ended during start-up: {e}");
            return;
        }
    };
    if let Some(e) = reject {
        let mut s = stream;
        let _ = s
            .write_all(&protocol::error::encode_error_response(&e))
            .await;
        let _ = s.flush().await;
        return;
    }

    let codec = PgWireMessageServerCodec::new(DefaultClient::new(peer, secure));
    let mut parts = FramedParts::new(MessageGuard::new(stream), codec);
    parts.read_buf = packet;
    let mut socket = Framed::from_parts(parts);
    socket.set_state(PgWireConnectionState::AwaitingStartup);

    // Cancel requests never get here (see `negotiate`): pgwire's no-op
    // handler; COPY data goes to the session (`tcop/copy_handler.rs`).
    let noop = Arc::new(NoopHandler);
    tokio::pin!(terminate);
    // ReadyForQuery has been sent and no message has come since.
    let mut idle = false;

    loop {
        let starting = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let msg = tokio::select! {
            biased;
            m = socket.next() => m,
            _ = &mut terminate => {
                let e = crate::interrupt::terminate_error();
                let _ = socket.send(PgWireBackendMessage::ErrorResponse(ErrorResponse::from(protocol::error::error_info(&e)))).await;
                return;
            }
            _ = &mut deadline, if starting => {
                tracing::info!("incomplete startup packet or authentication timeout");
                return;
            }
            _ = notify_wakeup.recv(), if idle && !starting => {
                let messages = crate::commands::async_notify::take_notifications(&mut tcop.session());
                for m in messages {
                    if socket.feed(m).await.is_err() {
                        return;
                    }
                }
                if socket.flush().await.is_err() {
                    return;
                }
                continue;
            }
        };
        let msg = match msg {
            None => return,
            Some(Ok(PgWireFrontendMessage::Terminate(_))) => return,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                report_protocol_error(&mut socket, e).await;
                return;
            }
        };
        let is_extended = match socket.state() {
            PgWireConnectionState::CopyInProgress(e) => e,
            _ => msg.is_extended_query(),
        };
        // The messages after which ReadyForQuery is sent (an error in the
        // extended protocol waits for Sync).
        let ends_cycle = starting || !is_extended || matches!(msg, PgWireFrontendMessage::Sync(_));
        if let Err(e) = process_message(
            msg,
            &mut socket,
            startup_handler.clone(),
            tcop.clone(),
            tcop.clone(),
            tcop.clone(),
            noop.clone(),
        )
        .await
        {
            let fatal = e.is_fatal();
            if process_error(&mut socket, e, is_extended).await.is_err() || fatal {
                return;
            }
        }
        idle = ends_cycle && matches!(socket.state(), PgWireConnectionState::ReadyForQuery);
    }
}

/// PostgreSQL's reaction to a message it cannot decode: FATAL 08P01 for an
/// unknown type; a bad length or a broken socket ends the session silently
/// (logged, as PostgreSQL's COMMERROR).
async fn report_protocol_error<S>(
    socket: &mut Framed<S, PgWireMessageServerCodec<String>>,
    e: PgWireError,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let fatal = match &e {
        PgWireError::InvalidMessageType(t) => Some(PgError::fatal(
            SqlState::ProtocolViolation,
            format!("invalid frontend message type {t}"),
        )),
        PgWireError::IoError(io) => {
            match io.get_ref().and_then(|x| x.downcast_ref::<FramingError>()) {
                Some(f) => tracing::info!("{f}"),
                None => tracing::debug!("could not receive data from client: {io}"),
            }
            None
        }
        other => Some(PgError::fatal(
            SqlState::ProtocolViolation,
            format!("invalid frontend message: {other}"),
        )),
    };
    if let Some(f) = fatal {
        tracing::info!("{}", f.message);
        let _ = socket
            .send(PgWireBackendMessage::ErrorResponse(ErrorResponse::from(
                protocol::error::error_info(&f),
            )))
            .await;
    }
}
