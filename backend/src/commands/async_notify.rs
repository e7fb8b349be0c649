//! LISTEN, UNLISTEN and NOTIFY: the backend-local half of PostgreSQL's
//! `commands/async.c` (the shared queue is `storage::notify`).
//!
//! 1. NOTIFY (or `pg_notify`) adds (channel, payload) to the transaction's
//!    pending list ([`notify`]); a pair already pending is folded into the
//!    first. LISTEN and UNLISTEN add an action to the transaction's list.
//!    ROLLBACK TO SAVEPOINT truncates both lists to where the savepoint was;
//!    an abort drops them.
//! 2. At commit, before the commit record ([`pre_commit`]): a LISTEN makes the
//!    backend a registered queue reader (from the head on, so that it sees
//!    its own notifications of this transaction), and for pending
//!    notifications the queue lock is taken and the room checked (54000 "too
//!    many notifications in the NOTIFY queue" aborts the transaction).
//! 3. After the commit ([`at_commit`]): the notifications are appended, the
//!    lock released, the other listeners of the database signalled with
//!    SIGUSR1, and the LISTEN / UNLISTEN actions applied to the session's
//!    channel list (a session left listening on nothing unregisters).
//! 4. Delivery ([`take_notifications`]): at the end of each command before
//!    ReadyForQuery, and in the connection's idle loop when SIGUSR1 arrives
//!    (`connection::serve`), a session outside a transaction block reads the
//!    queue and sends a NotificationResponse for each entry of its database
//!    whose channel it listens on.

use std::collections::HashSet;

use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::NotificationResponse;
use sqlparser::ast::Statement;
use storage::notify::{NOTIFY_PAYLOAD_MAX_LENGTH, NotifyAppend, NotifyQueue, entry_words};
use types::{PgError, PgResult, SqlState};

use crate::session::{Session, XactState};
use crate::utility::Outcome;

/// PostgreSQL's NAMEDATALEN: a channel name is shorter.
const NAMEDATALEN: usize = 64;

/// A LISTEN or UNLISTEN waiting for its transaction's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAction {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// The transaction's pending notifications and LISTEN / UNLISTEN actions.
#[derive(Debug, Default)]
pub struct PendingNotify {
    /// (channel, payload) in the order first notified.
    pub notifies: Vec<(String, String)>,
    /// The pairs of `notifies`, to fold duplicates.
    seen: HashSet<(String, String)>,
    pub actions: Vec<ListenAction>,
}

impl PendingNotify {
    /// The lengths a savepoint records.
    pub fn mark(&self) -> (usize, usize) {
        (self.notifies.len(), self.actions.len())
    }

    /// ROLLBACK TO a savepoint made at `mark`.
    pub fn rollback_to(&mut self, mark: (usize, usize)) {
        if self.notifies.len() > mark.0 {
            self.notifies.truncate(mark.0);
            self.seen = self.notifies.iter().cloned().collect();
        }
        self.actions.truncate(mark.1);
    }
}

/// LISTEN, UNLISTEN and NOTIFY statements; None for any other.
pub fn statement(session: &mut Session, stmt: &Statement) -> Option<PgResult<Outcome>> {
    Some(match stmt {
        Statement::LISTEN { channel } => channel_name(session, channel).map(|c| {
            session.tx.notify.actions.push(ListenAction::Listen(c));
            Outcome::Command("LISTEN".into())
        }),
        Statement::UNLISTEN { channel } => {
            let action = if channel.quote_style.is_none() && channel.value == "*" {
                Ok(ListenAction::UnlistenAll)
            } else {
                channel_name(session, channel).map(ListenAction::Unlisten)
            };
            action.map(|a| {
                session.tx.notify.actions.push(a);
                Outcome::Command("UNLISTEN".into())
            })
        }
        Statement::NOTIFY { channel, payload } => channel_name(session, channel)
            .and_then(|c| notify(session, &c, payload.as_deref().unwrap_or("")))
            .map(|()| Outcome::Command("NOTIFY".into())),
        _ => return None,
    })
}

/// UNLISTEN * at the transaction's commit (DISCARD ALL).
pub fn unlisten_all(session: &mut Session) {
    session.tx.notify.actions.push(ListenAction::UnlistenAll);
}

/// An identifier as the lexer gives it: folded, and truncated to
/// NAMEDATALEN - 1 bytes with PostgreSQL's NOTICE.
fn channel_name(session: &mut Session, id: &sqlparser::ast::Ident) -> PgResult<String> {
    let mut name = super::ident(id);
    if name.len() >= NAMEDATALEN {
        let mut end = NAMEDATALEN - 1;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let short = name[..end].to_owned();
        session.notice(
            "42622",
            format!("identifier \"{name}\" will be truncated to \"{short}\""),
        );
        name = short;
    }
    Ok(name)
}

/// NOTIFY channel, payload (and `pg_notify`): checks the arguments and adds
/// the notification to the transaction's pending list.
pub fn notify(session: &mut Session, channel: &str, payload: &str) -> PgResult<()> {
    if channel.is_empty() {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "channel name cannot be empty",
        ));
    }
    if channel.len() >= NAMEDATALEN {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "channel name too long",
        ));
    }
    if payload.len() >= NOTIFY_PAYLOAD_MAX_LENGTH {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "payload string too long",
        ));
    }
    let pending = &mut session.tx.notify;
    let key = (channel.to_owned(), payload.to_owned());
    if pending.seen.insert(key.clone()) {
        pending.notifies.push(key);
    }
    Ok(())
}

/// The session's ProcArray slot, which indexes its queue position.
fn my_slot(session: &Session) -> usize {
    session.storage.locks.borrow().slot()
}

/// Before the commit record: registers a new listener, and locks the queue
/// for the transaction's notifications after checking their room.
pub fn pre_commit(session: &mut Session) -> PgResult<Option<NotifyAppend<'static>>> {
    let queue = NotifyQueue::new(session.shmem);
    let slot = my_slot(session);
    if session
        .tx
        .notify
        .actions
        .iter()
        .any(|a| matches!(a, ListenAction::Listen(_)))
    {
        queue.register(slot, session.pid, session.database_oid);
    }
    if session.tx.notify.notifies.is_empty() {
        return Ok(None);
    }
    let words = session
        .tx
        .notify
        .notifies
        .iter()
        .map(|(c, p)| entry_words(c, p))
        .sum();
    let append = queue.begin_append();
    if !append.fits(words) {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            "too many notifications in the NOTIFY queue",
        ));
    }
    Ok(Some(append))
}

/// After the commit: queues the notifications (releasing the queue lock),
/// signals the listeners and applies LISTEN / UNLISTEN.
pub fn at_commit(
    session: &mut Session,
    append: Option<NotifyAppend<'static>>,
    pending: PendingNotify,
) {
    let slot = my_slot(session);
    if let Some(append) = append {
        let pids = append.append(session.pid, session.database_oid, &pending.notifies, slot);
        drop(append);
        for pid in pids {
            // A listener that has just exited is no error.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGUSR1,
            );
        }
    }
    let channels = &mut session.listen_channels;
    for action in pending.actions {
        match action {
            ListenAction::Listen(c) => {
                if !channels.contains(&c) {
                    channels.push(c);
                }
            }
            ListenAction::Unlisten(c) => channels.retain(|x| *x != c),
            ListenAction::UnlistenAll => channels.clear(),
        }
    }
    if channels.is_empty() {
        NotifyQueue::new(session.shmem).unregister(slot);
    }
}

/// After an abort: a listener registered by this transaction's LISTEN that
/// listens on nothing after all stops reading.
pub fn at_abort(session: &Session) {
    if session.listen_channels.is_empty() {
        NotifyQueue::new(session.shmem).unregister(my_slot(session));
    }
}

/// At session start and end: the slot reads the queue no more.
pub fn at_session_end(session: &Session) {
    NotifyQueue::new(session.shmem).unregister(my_slot(session));
}

/// The notifications to send now: none inside a transaction block; else
/// those of the queue after this session's position that are for its
/// database and a channel it listens on.
pub fn take_notifications(session: &mut Session) -> Vec<PgWireBackendMessage> {
    if session.xact != XactState::Idle || session.listen_channels.is_empty() {
        return Vec::new();
    }
    let queue = NotifyQueue::new(session.shmem);
    queue
        .read(my_slot(session))
        .into_iter()
        .filter(|n| {
            n.database_oid == session.database_oid && session.listen_channels.contains(&n.channel)
        })
        .map(|n| {
            PgWireBackendMessage::NotificationResponse(NotificationResponse::new(
                n.pid, n.channel, n.payload,
            ))
        })
        .collect()
}

/// `pg_notification_queue_usage()`.
pub fn queue_usage(session: &Session) -> f64 {
    NotifyQueue::new(session.shmem).usage()
}
