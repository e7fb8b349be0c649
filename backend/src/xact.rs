//! The storage side of a session's transactions (PostgreSQL's `xact.c`):
//! xid assignment on first write, command ids, snapshots per isolation level,
//! and commit / abort.
//!
//! Commit:
//! 1. insert the commit record (naming the files and databases to remove)
//!    and wait until the WAL is flushed past it — with others committing at
//!    the same time, one fsync serves them all (group commit, see
//!    `storage::xlog`). With `synchronous_commit = off` it does not wait; the
//!    WAL writer flushes within `wal_writer_delay`;
//! 2. mark the xid committed in the CLOG (`Transam::commit`, not fsynced:
//!    redo of the commit record sets it again after a crash), which also
//!    takes it out of the ProcArray;
//! 3. unlink the files of relations it dropped or truncated away;
//! 4. release its locks (but session locks, which only an abort or their
//!    owner's command releases).
//!
//! Nobody can see the commit before step 2 (the xid is in the ProcArray until
//! then), and a crash before the record is flushed leaves an xid that is
//! neither running nor committed: aborted. A failure after the record is
//! inserted is PANIC (the commit may be on disk). Abort inserts an abort
//! record (not flushed), marks the CLOG, unlinks the files the transaction
//! created, and releases its locks.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use storage::buffer::BufferManager;
use storage::heap::heapam::{ExtensionLock, HeapEnv, WriteXact};
use storage::lmgr::{LockManager, LockMode, LockTag, LockWait};
use storage::smgr::{ForkNumber, RelFileLocator, Smgr};
use storage::smgr_store::SmgrBlockStore;
use storage::transam::combocid::ComboCids;
use storage::transam::visibility::Me;
use storage::transam::{CommandId, Snapshot, TransactionId, Transam};
use storage::xlog::{Xlog, rel_id};
use types::{PgError, PgResult, SqlState};
use wal::WalRecord;

use crate::session::Session;

/// This process's handles on shared storage.
pub struct StorageEnv {
    pub bufmgr: BufferManager<'static>,
    pub xlog: Arc<Xlog<'static>>,
    pub store: Arc<SmgrBlockStore>,
    pub transam: Transam<'static>,
    /// The heavyweight locks this backend holds (released at transaction end).
    pub locks: RefCell<LockManager<'static>>,
    /// SERIALIZABLE: this backend's SIREAD locks and rw-conflicts.
    pub predicate: RefCell<storage::predicate::PredicateLocks<'static>>,
}

impl StorageEnv {
    pub fn new(
        shmem: &'static storage::shmem::SharedMemory,
        data_dir: &std::path::Path,
        slot: usize,
        pid: i32,
        settings: &types::guc::Settings,
    ) -> PgResult<StorageEnv> {
        let store = Arc::new(SmgrBlockStore::new(Smgr::new(data_dir)));
        let xlog = crate::walctl::open(shmem, data_dir, slot, settings);
        let bufmgr = BufferManager::new(shmem, store.clone())
            .map_err(PgError::from)?
            .with_wal(xlog.clone());
        let locks = RefCell::new(LockManager::new(shmem, slot, pid)?);
        let predicate = RefCell::new(storage::predicate::PredicateLocks::new(shmem, slot));
        Ok(StorageEnv {
            bufmgr,
            xlog,
            store,
            transam: Transam::new(shmem, data_dir, slot),
            locks,
            predicate,
        })
    }

    pub fn heap_env(&self) -> HeapEnv<'_, 'static> {
        HeapEnv {
            bufmgr: &self.bufmgr,
            store: &self.store,
            tx: &self.transam,
            extension_lock: self,
        }
    }
}

/// The relation extension lock through the lock manager: held only while a
/// page is added, never waited for long, so no interrupt check is needed.
impl ExtensionLock for StorageEnv {
    fn lock(&self, rel: RelFileLocator) -> PgResult<()> {
        let tag = LockTag::RelationExtend {
            db: rel.db_oid,
            rel: rel.rel_number,
        };
        let wait = LockWait::Block {
            lock_timeout: None,
            deadlock_timeout: Duration::from_secs(1),
        };
        self.locks
            .borrow_mut()
            .acquire(tag, LockMode::Exclusive, wait, &mut || Ok(()))
            .map(|_| ())
    }
    fn unlock(&self, rel: RelFileLocator) {
        self.locks.borrow_mut().release(
            LockTag::RelationExtend {
                db: rel.db_oid,
                rel: rel.rel_number,
            },
            LockMode::Exclusive,
        );
    }
}

/// How this session waits for a lock: `lock_timeout` and `deadlock_timeout`.
pub fn lock_wait(session: &Session, nowait: bool) -> LockWait {
    lock_wait_of(&session.settings, nowait)
}

fn lock_wait_of(settings: &types::guc::Settings, nowait: bool) -> LockWait {
    if nowait {
        return LockWait::NoWait;
    }
    let lock_timeout = settings
        .get_duration("lock_timeout")
        .filter(|d| !d.is_zero());
    let deadlock_timeout = settings
        .get_duration("deadlock_timeout")
        .unwrap_or(Duration::from_secs(1));
    LockWait::Block {
        lock_timeout,
        deadlock_timeout,
    }
}

/// Takes a heavyweight lock until transaction end, waiting as the session's
/// settings say (cancel and statement_timeout interrupt the wait). With
/// `nowait`, Ok(false) means it is held by someone else.
pub fn lock(session: &mut Session, tag: LockTag, mode: LockMode, nowait: bool) -> PgResult<bool> {
    let wait = lock_wait(session, nowait);
    let interrupts = &session.interrupts;
    let deadline = session.deadline;
    session
        .storage
        .locks
        .borrow_mut()
        .acquire(tag, mode, wait, &mut || interrupts.check(deadline))
}

/// Locks relation `oid` of this database in `mode` until transaction end.
pub fn lock_relation(session: &mut Session, oid: u32, mode: LockMode) -> PgResult<()> {
    let tag = LockTag::Relation {
        db: session.database_oid,
        rel: oid,
    };
    lock(session, tag, mode, false).map(|_| ())
}

/// Waits until each transaction that holds a mode conflicting with `mode`
/// on `tag` right now has ended (PostgreSQL's `WaitForLockers`); those that
/// take such a mode later are not waited for.
pub fn wait_for_lockers(session: &Session, tag: LockTag, mode: LockMode) -> PgResult<()> {
    let slots = session
        .storage
        .locks
        .borrow()
        .conflicting_holders(tag, mode);
    wait_for_xact_ends(session, slots)
}

/// Waits until each other backend of this database whose snapshots may
/// see rows older than `limit` (its xmin is at or before it) has ended
/// that transaction (PostgreSQL's `WaitForOlderSnapshots`).
pub fn wait_for_older_snapshots(session: &Session, limit: TransactionId) -> PgResult<()> {
    let procs = session.shmem.proc_array();
    let me = session.storage.locks.borrow().slot();
    let here: Vec<usize> = procs
        .active()
        .filter(|p| p.database_oid == session.database_oid && p.slot != me)
        .map(|p| p.slot)
        .collect();
    let slots = procs
        .xact_fields()
        .filter(|&(slot, _, xmin)| {
            xmin != storage::transam::INVALID_XID && xmin <= limit && here.contains(&slot)
        })
        .map(|(slot, ..)| slot)
        .collect();
    wait_for_xact_ends(session, slots)
}

/// Waits until the backends in ProcArray `slots` have each ended the
/// transaction they are in now (or exited). PostgreSQL waits on each
/// virtual transaction id's lock; this polls the slots' transaction-end
/// counters, backing off to 50 ms, and lets cancel and statement_timeout
/// end the wait.
fn wait_for_xact_ends(session: &Session, slots: Vec<usize>) -> PgResult<()> {
    let procs = session.shmem.proc_array();
    // Read after the caller found the slots: an end before this reading is
    // missed only by waiting for the next one too, never the other way.
    let mut waiting: Vec<(usize, u64, i32)> = slots
        .into_iter()
        .map(|s| (s, procs.xact_ends(s), procs.pid(s)))
        .collect();
    let mut pause = Duration::from_millis(1);
    loop {
        waiting.retain(|&(s, ends, pid)| {
            pid != 0 && procs.pid(s) == pid && procs.xact_ends(s) == ends
        });
        if waiting.is_empty() {
            return Ok(());
        }
        session.interrupts.check(session.deadline)?;
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The isolation level a transaction runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

/// The storage state of the current transaction.
#[derive(Debug)]
pub struct TxState {
    pub xid: Option<TransactionId>,
    /// The current command id; advanced after each statement that wrote.
    pub cid: CommandId,
    pub cid_used: bool,
    pub combocids: ComboCids,
    pub isolation: Option<Isolation>,
    /// REPEATABLE READ / SERIALIZABLE: the snapshot of the whole transaction.
    pub xact_snapshot: Option<Snapshot>,
    /// READ COMMITTED: the current statement's snapshot.
    pub stmt_snapshot: Option<Snapshot>,
    /// Files created by this transaction (unlinked if it aborts).
    pub created: Vec<RelFileLocator>,
    /// Files to unlink once this transaction has committed.
    pub drop_at_commit: Vec<RelFileLocator>,
    /// Database directories created by this transaction (removed if it aborts).
    pub created_dirs: Vec<std::path::PathBuf>,
    /// Databases whose buffers and directory go once this transaction has committed.
    pub drop_db_at_commit: Vec<u32>,
    pub catalog_changed: bool,
    /// A query has run in this transaction (PostgreSQL's FirstSnapshotSet):
    /// the isolation level can no longer change.
    pub first_snapshot_taken: bool,
    /// Rows this transaction inserted, updated and deleted, per relation OID
    /// (added to the shared statistics when it ends).
    pub counts: std::collections::HashMap<u32, storage::pgstat::XactTableCounts>,
    /// Open savepoints, innermost last.
    pub savepoints: Vec<Savepoint>,
    /// Changes made since the outermost savepoint, for ROLLBACK TO.
    pub undo: Vec<storage::heap::heapam::UndoRecord>,
    /// Foreign-key events of the running statement, and those deferred to
    /// COMMIT (`commands::foreign_keys`).
    pub fk_pending: Vec<crate::commands::foreign_keys::FkEvent>,
    pub fk_deferred: Vec<crate::commands::foreign_keys::FkEvent>,
    /// SET CONSTRAINTS ALL ..., and per constraint OID: deferred or not.
    pub constraints_all_deferred: Option<bool>,
    pub constraint_modes: std::collections::HashMap<u32, bool>,
    /// Temporary tables made ON COMMIT DROP in this transaction.
    pub on_commit_drop: Vec<u32>,
    /// NOTIFYs and LISTEN / UNLISTEN actions waiting for the commit.
    pub notify: crate::commands::async_notify::PendingNotify,
}

/// A savepoint: where the transaction's logs stood when it was made.
#[derive(Debug, Clone)]
pub struct Savepoint {
    pub name: String,
    undo_len: usize,
    created_len: usize,
    drop_len: usize,
    fk_deferred_len: usize,
    notify_mark: (usize, usize),
}

impl Default for TxState {
    fn default() -> TxState {
        TxState {
            xid: None,
            cid: 0,
            cid_used: false,
            combocids: ComboCids::new(),
            isolation: None,
            xact_snapshot: None,
            stmt_snapshot: None,
            created: Vec::new(),
            drop_at_commit: Vec::new(),
            created_dirs: Vec::new(),
            drop_db_at_commit: Vec::new(),
            catalog_changed: false,
            first_snapshot_taken: false,
            counts: std::collections::HashMap::new(),
            savepoints: Vec::new(),
            undo: Vec::new(),
            fk_pending: Vec::new(),
            fk_deferred: Vec::new(),
            constraints_all_deferred: None,
            constraint_modes: std::collections::HashMap::new(),
            on_commit_drop: Vec::new(),
            notify: Default::default(),
        }
    }
}

impl TxState {
    /// Whether constraint `c`'s checks wait for COMMIT now (its INITIALLY
    /// setting unless SET CONSTRAINTS changed it).
    pub fn constraint_deferred(&self, c: &catalog::system::ConstraintRow) -> bool {
        self.deferred_by_mode(c.oid).unwrap_or(c.deferred)
    }

    /// What SET CONSTRAINTS made of constraint `oid`, if anything.
    pub fn deferred_by_mode(&self, oid: u32) -> Option<bool> {
        self.constraint_modes
            .get(&oid)
            .copied()
            .or(self.constraints_all_deferred)
    }

    pub fn me(&self) -> Me<'_> {
        Me {
            xid: self.xid,
            combocids: &self.combocids,
        }
    }
}

/// The snapshot the current statement reads with: the transaction's at
/// REPEATABLE READ and above, a fresh one per statement at READ COMMITTED.
pub fn statement_snapshot(session: &mut Session) -> Snapshot {
    session.tx.first_snapshot_taken = true;
    let iso = *session
        .tx
        .isolation
        .get_or_insert_with(|| isolation_of(&session.settings));
    let cid = session.tx.cid;
    let slot = match iso {
        Isolation::ReadCommitted => &mut session.tx.stmt_snapshot,
        Isolation::RepeatableRead | Isolation::Serializable => &mut session.tx.xact_snapshot,
    };
    let mut snap = slot
        .get_or_insert_with(|| session.storage.transam.snapshot(cid))
        .clone();
    snap.curcid = cid;
    snap
}

fn isolation_of(settings: &types::guc::Settings) -> Isolation {
    match settings
        .show("transaction_isolation")
        .unwrap_or_default()
        .as_str()
    {
        "serializable" => Isolation::Serializable,
        "repeatable read" => Isolation::RepeatableRead,
        _ => Isolation::ReadCommitted,
    }
}

/// A fresh snapshot for catalog lookups (PostgreSQL's catalog snapshot): sees
/// every committed DDL, and this transaction's own changes up to now.
pub fn catalog_snapshot(session: &Session) -> Snapshot {
    session.storage.transam.snapshot(session.tx.cid)
}

/// 25006 unless the transaction may write.
pub fn check_writable(session: &Session, command: &str) -> PgResult<()> {
    if session
        .settings
        .show("transaction_read_only")
        .unwrap_or_default()
        == "on"
    {
        return Err(PgError::new(
            SqlState::ReadOnlySqlTransaction,
            format!("cannot execute {command} in a read-only transaction"),
        ));
    }
    Ok(())
}

/// Gives the transaction its xid if it has none yet.
pub fn ensure_xid(session: &mut Session) -> PgResult<TransactionId> {
    if let Some(x) = session.tx.xid {
        return Ok(x);
    }
    let x = session.storage.transam.assign_xid()?;
    session.tx.xid = Some(x);
    // Others wait for this transaction by waiting for this lock.
    let tag = LockTag::TransactionId(x);
    session.storage.locks.borrow_mut().acquire(
        tag,
        LockMode::Exclusive,
        LockWait::NoWait,
        &mut || Ok(()),
    )?;
    if session.tx.isolation.is_none() {
        session.tx.isolation = Some(isolation_of(&session.settings));
    }
    Ok(x)
}

/// Runs `f` with the heap and a [`WriteXact`] for the current command.
pub fn with_write<R>(
    session: &mut Session,
    f: impl FnOnce(&HeapEnv<'_, 'static>, &mut WriteXact<'_>) -> PgResult<R>,
) -> PgResult<R> {
    let xid = ensure_xid(session)?;
    session.tx.cid_used = true;
    let transaction_snapshot =
        !matches!(session.tx.isolation, Some(Isolation::ReadCommitted) | None);
    let env = session.storage.heap_env();
    let storage = &session.storage;
    let interrupts = &session.interrupts;
    let deadline = session.deadline;
    // The settings are read only when a wait comes (most writes never wait).
    let settings = &session.settings;
    let mut wait = |other: TransactionId| {
        let lock_wait = lock_wait_of(settings, false);
        wait_for_xid(storage, lock_wait, interrupts, deadline, other)
    };
    let undo = if session.tx.savepoints.is_empty() {
        None
    } else {
        Some(&mut session.tx.undo)
    };
    let mut w = WriteXact {
        xid,
        cid: session.tx.cid,
        combocids: &mut session.tx.combocids,
        transaction_snapshot,
        wait_for_xid: &mut wait,
        undo,
    };
    f(&env, &mut w)
}

/// Waits until transaction `xid` has ended (`XactLockTableWait`): takes and
/// drops a share lock on its transaction lock, which its owner holds
/// exclusively from xid assignment to its end. The xid is published in the
/// ProcArray a moment before that lock is taken, so a waiter that got the
/// lock while the xid still runs tries again.
fn wait_for_xid(
    storage: &StorageEnv,
    wait: LockWait,
    interrupts: &crate::interrupt::Interrupts,
    deadline: Option<Instant>,
    xid: TransactionId,
) -> PgResult<()> {
    let tag = LockTag::TransactionId(xid);
    loop {
        storage
            .locks
            .borrow_mut()
            .acquire(tag, LockMode::Share, wait, &mut || {
                interrupts.check(deadline)
            })?;
        storage.locks.borrow_mut().release(tag, LockMode::Share);
        if !storage.transam.is_in_progress(xid) {
            return Ok(());
        }
        interrupts.check(deadline)?;
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Ends the current command: if it wrote, later commands see its changes.
pub fn command_counter_increment(session: &mut Session) -> PgResult<()> {
    if session.tx.cid_used {
        if session.tx.cid == CommandId::MAX - 1 {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                "cannot have more than 2^32-2 commands in a transaction",
            ));
        }
        session.tx.cid += 1;
        session.tx.cid_used = false;
    }
    session.tx.stmt_snapshot = None;
    Ok(())
}

/// Whether a commit waits for its record to be flushed (`synchronous_commit`:
/// every value but `off` does, there being no standbys).
fn synchronous_commit(session: &Session) -> bool {
    session
        .settings
        .show("synchronous_commit")
        .map_or(true, |v| v != "off")
}

/// Seconds since the Unix epoch, for commit and abort records.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A failure once the commit record is in the WAL: the transaction may be
/// committed on disk, so it can neither be reported aborted nor retried.
fn critical(e: PgError) -> PgError {
    PgError {
        severity: types::error::Severity::Panic,
        ..e
    }
}

/// Commits the storage transaction (see the module doc for the steps).
pub fn commit(session: &mut Session) -> PgResult<()> {
    // Deferred foreign-key checks, then ON COMMIT actions; a failure aborts.
    let pre = crate::commands::foreign_keys::fire_deferred(session)
        .and_then(|()| crate::commands::temp::pre_commit(session))
        .and_then(|()| crate::commands::foreign_keys::fire_pending(session));
    if let Err(e) = pre {
        abort(session);
        return Err(e);
    }
    // SERIALIZABLE: the dangerous-structure check; a 40001 here aborts.
    let checked = session.storage.predicate.borrow_mut().pre_commit();
    if let Err(e) = checked {
        abort(session);
        return Err(e);
    }
    // LISTEN registers the reader; NOTIFY locks the queue until its
    // entries are in, after the commit record (`commands::async_notify`).
    let notify = match crate::commands::async_notify::pre_commit(session) {
        Ok(n) => n,
        Err(e) => {
            abort(session);
            return Err(e);
        }
    };
    crate::commands::portalcmds::at_transaction_end(session, true);
    types::typcache::end_transaction();
    let mut tx = std::mem::take(&mut session.tx);
    let pending_notify = std::mem::take(&mut tx.notify);
    let Some(xid) = tx.xid else {
        session.storage.transam.end_without_xid();
        session.storage.predicate.borrow_mut().on_end(true);
        session.storage.locks.borrow_mut().release_at_commit();
        crate::commands::async_notify::at_commit(session, notify, pending_notify);
        return Ok(());
    };
    let record = WalRecord::Commit {
        time: now_secs(),
        drop_rels: tx.drop_at_commit.iter().map(|r| rel_id(*r)).collect(),
        drop_dbs: tx.drop_db_at_commit.clone(),
    };
    let xlog = session.storage.xlog.clone();
    let in_flight = xlog.begin_commit();
    let lsn = match xlog.insert(&record, xid) {
        Ok(lsn) => lsn,
        Err(e) => {
            // Nothing is in the WAL: not committed, undo as an abort would.
            drop(in_flight);
            finish_abort(session, xid, tx);
            return Err(e);
        }
    };
    if synchronous_commit(session) {
        crate::walctl::refresh_session_settings(&xlog, &session.settings);
        xlog.flush(lsn).map_err(critical)?;
    } else {
        xlog.note_async_commit(lsn);
    }
    session
        .storage
        .transam
        .commit(xid, false, tx.catalog_changed)
        .map_err(critical)?;
    drop(in_flight);
    // After the commit is visible, as PostgreSQL's ReleasePredicateLocks.
    session.storage.predicate.borrow_mut().on_end(true);
    for rel in &tx.drop_at_commit {
        forget_relation(session, *rel);
    }
    for db in &tx.drop_db_at_commit {
        forget_database(session, *db);
    }
    report_counts(session, &tx, true);
    if tx.catalog_changed {
        session.relcache.invalidate();
    }
    session.storage.locks.borrow_mut().release_at_commit();
    crate::commands::async_notify::at_commit(session, notify, pending_notify);
    Ok(())
}

/// Aborts the storage transaction, if one is open.
pub fn abort(session: &mut Session) {
    crate::commands::portalcmds::at_transaction_end(session, false);
    crate::commands::async_notify::at_abort(session);
    types::typcache::end_transaction();
    let tx = std::mem::take(&mut session.tx);
    match tx.xid {
        Some(xid) => finish_abort(session, xid, tx),
        None => {
            session.storage.transam.end_without_xid();
            session.storage.predicate.borrow_mut().on_end(false);
            session.storage.locks.borrow_mut().release_all();
        }
    }
}

fn finish_abort(session: &mut Session, xid: TransactionId, tx: TxState) {
    // The abort record lets redo unlink the files this transaction created;
    // it need not be flushed (without it, an xid that is not running and not
    // committed reads aborted anyway).
    let record = WalRecord::Abort {
        time: now_secs(),
        drop_rels: tx.created.iter().map(|r| rel_id(*r)).collect(),
    };
    if let Err(e) = session.storage.xlog.insert(&record, xid) {
        tracing::warn!(
            "could not log the abort of transaction {xid}: {}",
            e.message
        );
    }
    if let Err(e) = session.storage.transam.abort(xid) {
        tracing::warn!(
            "could not record the abort of transaction {xid}: {}",
            e.message
        );
    }
    session.storage.predicate.borrow_mut().on_end(false);
    for rel in &tx.created {
        forget_relation(session, *rel);
    }
    for dir in &tx.created_dirs {
        if let Err(e) = std::fs::remove_dir_all(dir) {
            tracing::warn!("could not remove directory \"{}\": {e}", dir.display());
        }
    }
    report_counts(session, &tx, false);
    if tx.catalog_changed {
        session.relcache.invalidate();
        session.local_catalog_version += 1;
    }
    session.storage.locks.borrow_mut().release_all();
}

fn report_counts(session: &Session, tx: &TxState, committed: bool) {
    let stats = storage::pgstat::TableStats::new(session.shmem);
    for (relid, c) in &tx.counts {
        stats.apply(session.database_oid, *relid, *c, committed);
    }
}

/// Drops a dropped database's buffers and removes its directory.
fn forget_database(session: &mut Session, db: u32) {
    if let Err(e) = session.storage.bufmgr.drop_database_buffers(db) {
        tracing::warn!("could not drop the buffers of database {db}: {e}");
    }
    let dir = storage::smgr::database_dir(session.storage.store.smgr().data_dir(), db);
    session.storage.store.smgr().close_all();
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!("could not remove directory \"{}\": {e}", dir.display());
    }
}

/// Drops a relation's buffers and unlinks its files.
fn forget_relation(session: &mut Session, rel: RelFileLocator) {
    if let Err(e) = session.storage.bufmgr.drop_relation_buffers(rel, None, 0) {
        tracing::warn!("could not drop buffers of {rel:?}: {e}");
    }
    if let Err(e) = session.storage.store.smgr().unlink(rel, None, false) {
        tracing::warn!("could not remove relation files: {}", e.message);
    }
}

/// SAVEPOINT name (inside a transaction block).
pub fn savepoint(session: &mut Session, name: &str) {
    let tx = &mut session.tx;
    tx.savepoints.push(Savepoint {
        name: name.to_owned(),
        undo_len: tx.undo.len(),
        created_len: tx.created.len(),
        drop_len: tx.drop_at_commit.len(),
        fk_deferred_len: tx.fk_deferred.len(),
        notify_mark: tx.notify.mark(),
    });
}

fn find_savepoint(session: &Session, name: &str) -> PgResult<usize> {
    session
        .tx
        .savepoints
        .iter()
        .rposition(|s| s.name == name)
        .ok_or_else(|| {
            PgError::new(
                SqlState::InvalidSavepointSpecification,
                format!("savepoint \"{name}\" does not exist"),
            )
        })
}

/// RELEASE SAVEPOINT name: forgets it and every later one; their changes
/// become the enclosing level's.
pub fn release_savepoint(session: &mut Session, name: &str) -> PgResult<()> {
    let i = find_savepoint(session, name)?;
    session.tx.savepoints.truncate(i);
    if session.tx.savepoints.is_empty() {
        session.tx.undo.clear();
    }
    Ok(())
}

/// ROLLBACK TO SAVEPOINT name: takes back every change made since, newest
/// first, removes the files of relations created since, forgets drops
/// decided since; the savepoint stays. Locks taken since are kept until the
/// transaction ends (PostgreSQL releases a subtransaction's locks).
pub fn rollback_to_savepoint(session: &mut Session, name: &str) -> PgResult<()> {
    rollback_to(session, name)?;
    session.scans.clear();
    Ok(())
}

/// The rollback of a PL/pgSQL block's subtransaction: as ROLLBACK TO,
/// but the scans of the statements around the function stay open.
pub fn rollback_subtransaction(session: &mut Session, name: &str) -> PgResult<()> {
    rollback_to(session, name)
}

fn rollback_to(session: &mut Session, name: &str) -> PgResult<()> {
    let i = find_savepoint(session, name)?;
    let sp = session.tx.savepoints[i].clone();
    session.tx.savepoints.truncate(i + 1);
    let undo: Vec<_> = session.tx.undo.drain(sp.undo_len..).collect();
    if let Some(xid) = session.tx.xid {
        let env = session.storage.heap_env();
        for rec in undo.iter().rev() {
            storage::heap::heapam::undo(&env, rec, xid, &session.tx.combocids)?;
        }
    }
    let created: Vec<_> = session.tx.created.drain(sp.created_len..).collect();
    for rel in created {
        forget_relation(session, rel);
    }
    session.tx.drop_at_commit.truncate(sp.drop_len);
    session.tx.fk_pending.clear();
    session.tx.fk_deferred.truncate(sp.fk_deferred_len);
    session.tx.notify.rollback_to(sp.notify_mark);
    // Catalog rows may have come back or gone: nothing cached is trusted.
    session.relcache.invalidate();
    session.local_catalog_version += 1;
    session.tx.cid_used = true;
    command_counter_increment(session)
}

// SERIALIZABLE: the hooks into `storage::predicate` (serializable snapshot
// isolation at relation granularity; see storage/src/predicate/README.md).

/// Registers the transaction with SSI if it runs at SERIALIZABLE and has no
/// snapshot yet: its transaction snapshot is taken under SSI's lock
/// (PostgreSQL's `GetSerializableTransactionSnapshot`). Must come before
/// [`statement_snapshot`] in every path that reads.
pub fn serializable_begin(session: &mut Session) -> PgResult<()> {
    if session.tx.xact_snapshot.is_some() || session.storage.predicate.borrow().is_active() {
        return Ok(());
    }
    if *session
        .tx
        .isolation
        .get_or_insert_with(|| isolation_of(&session.settings))
        != Isolation::Serializable
    {
        return Ok(());
    }
    let read_only = session
        .settings
        .show("transaction_read_only")
        .unwrap_or_default()
        == "on";
    let cid = session.tx.cid;
    let storage = &session.storage;
    let snapshot = storage
        .predicate
        .borrow_mut()
        .begin(read_only, || storage.transam.snapshot(cid))?;
    session.tx.xact_snapshot = Some(snapshot);
    session.tx.first_snapshot_taken = true;
    Ok(())
}

/// A scan of relation `relid` (a no-op below SERIALIZABLE): its SIREAD lock
/// and the rw-conflicts out to concurrent writers of it.
pub fn serializable_read(session: &mut Session, relid: u32) -> PgResult<()> {
    let key = storage::predicate::RelationKey {
        db: session.database_oid,
        rel: relid,
    };
    session.storage.predicate.borrow_mut().on_read(key)
}

/// A row of `relid` written (a no-op below SERIALIZABLE): the rw-conflicts
/// in from concurrent readers of it.
pub fn serializable_write(session: &mut Session, relid: u32) -> PgResult<()> {
    serializable_begin(session)?;
    let mut predicate = session.storage.predicate.borrow_mut();
    if let Some(xid) = session.tx.xid {
        predicate.set_xid(xid);
    }
    predicate.on_write(storage::predicate::RelationKey {
        db: session.database_oid,
        rel: relid,
    })
}

/// Creates the main fork of a relation this transaction makes (CREATE TABLE,
/// TRUNCATE's and VACUUM FULL's new file), logged first so that redo creates
/// it too; an abort unlinks it.
pub fn create_relation_file(session: &mut Session, rel: RelFileLocator) -> PgResult<()> {
    let xid = session.tx.xid.unwrap_or(0);
    session.storage.xlog.insert(
        &WalRecord::SmgrCreate {
            rel: rel_id(rel),
            fork: ForkNumber::Main as u8,
        },
        xid,
    )?;
    session
        .storage
        .store
        .smgr()
        .create(rel, ForkNumber::Main, false)?;
    session.tx.created.push(rel);
    Ok(())
}

/// Cuts a relation's main fork to `keep` blocks (VACUUM's tail truncation).
/// The record is flushed first: once blocks are gone from the file, redo
/// must not bring them back from older records.
pub fn truncate_relation_file(session: &Session, rel: RelFileLocator, keep: u32) -> PgResult<()> {
    let xid = session.tx.xid.unwrap_or(0);
    // The visibility map goes first, whole: a bit left for a cut block
    // would mark the page a later extension puts there all-visible, and a
    // missing bit only costs index-only scans a heap visit.
    if session
        .storage
        .store
        .smgr()
        .exists(rel, ForkNumber::VisibilityMap)?
    {
        truncate_fork(session, rel, ForkNumber::VisibilityMap, 0, xid)?;
    }
    truncate_fork(session, rel, ForkNumber::Main, keep, xid)
}

fn truncate_fork(
    session: &Session,
    rel: RelFileLocator,
    fork: ForkNumber,
    keep: u32,
    xid: u64,
) -> PgResult<()> {
    let lsn = session.storage.xlog.insert(
        &WalRecord::SmgrTruncate {
            rel: rel_id(rel),
            fork: fork as u8,
            nblocks: keep,
        },
        xid,
    )?;
    session.storage.xlog.flush(lsn)?;
    session
        .storage
        .bufmgr
        .drop_relation_buffers(rel, Some(fork), keep)
        .map_err(PgError::from)?;
    session.storage.store.smgr().truncate(rel, fork, keep)
}

/// Asks the checkpointer for a checkpoint and waits for it (the CHECKPOINT
/// command, CREATE DATABASE); a cancel or terminate ends the wait.
pub fn request_checkpoint(session: &Session, flags: u32) -> PgResult<()> {
    let interrupts = &session.interrupts;
    let deadline = session.deadline;
    session
        .storage
        .xlog
        .request_checkpoint(flags | storage::xlog::CHECKPOINT_WAIT, || {
            interrupts.check(deadline)
        })
}
