//! Transactions: 64-bit transaction ids, their commit status (CLOG in
//! `pg_xact`), snapshots from the ProcArray, and tuple visibility
//! (PostgreSQL's `access/transam` plus `procarray.c` and `heapam_visibility.c`).
//!
//! The rules (lock order, why snapshots are correct, why a commit is never
//! seen before it is durable) are in `README.md` beside this file. Entry
//! points: [`Transam::bootstrap`] (initdb), [`Transam::startup`] (startup
//! process), then per backend [`Transam::assign_xid`], [`Transam::snapshot`],
//! [`Transam::commit`] / [`Transam::abort`], and the tuple tests in
//! [`visibility`].
//!
//! ```text
//!  transaction life            shared state touched
//!  ----------------            --------------------
//!  snapshot()                  ProcArrayLock S: read slots, set own xmin
//!  assign_xid()                XidGenLock X: [ControlFileLock X: reserve]
//!                                 extend CLOG page, slot.xid = xid, next_xid++
//!  commit(xid)                 CLOG slot lock X: set bits, write page; fsync
//!                              ProcArrayLock X: clear slot, latest_completed
//!  abort(xid)                  CLOG slot lock X: set bits (no write)
//!                              ProcArrayLock X: clear slot, latest_completed
//! ```

pub mod clog;
pub mod combocid;
pub mod control;
pub mod visibility;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use types::{PgError, PgResult};

use crate::lwlock::PaddedLWLock;
use crate::shmem::{ProcArray, RegionId, SharedMemory, ShmemSafe};
use clog::Clog;
use control::ControlFile;

/// A transaction id. 64 bits: never wraps, never frozen for wraparound.
pub type TransactionId = u64;
/// A command id within a transaction (PostgreSQL's `CommandId`).
pub type CommandId = u32;

pub const INVALID_XID: TransactionId = 0;
/// Rows written by initdb (bootstrap) carry this xid: always committed.
pub const BOOTSTRAP_XID: TransactionId = 1;
/// Always committed and visible to every snapshot.
pub const FROZEN_XID: TransactionId = 2;
/// The first xid handed to a transaction.
pub const FIRST_NORMAL_XID: TransactionId = 3;
/// The first OID handed out after initdb (PostgreSQL's `FirstNormalObjectId`).
pub const FIRST_NORMAL_OBJECT_ID: u32 = 16384;
/// Xids reserved in the control file at a time.
pub const XID_RESERVE_CHUNK: u64 = 8192;
/// OIDs reserved in the control file at a time (PostgreSQL's `VAR_OID_PREFETCH`).
pub const OID_RESERVE_CHUNK: u64 = 8192;

/// Shared transaction-id state (PostgreSQL's `TransamVariables` plus
/// `ProcArrayLock`, `XidGenLock`, `OidGenLock`, `ControlFileLock` and the CLOG
/// control lock). One per segment, in [`crate::shmem::RegionId::Transam`].
///
/// Locking:
/// - `next_xid`, `xid_reserved_until`: written under `xid_gen_lock` exclusive
///   (loaded without it by readers that only want an estimate).
/// - `latest_completed_xid`: written under `proc_array_lock` exclusive, read
///   under it (any mode) by snapshots.
/// - `next_oid`, `oid_reserved_until`: under `oid_gen_lock` exclusive.
/// - `control_file_lock`: held exclusive around every write of
///   `global/pg_control` (taken under XidGenLock or OidGenLock).
/// - `clog_control_lock`, `clog_lru_clock`: the CLOG cache's slot assignment
///   (see [`clog`]).
/// - `catalog_generation`: an atomic counter, no lock.
/// - ProcArray slots' `xid`: set by their owner under XidGenLock, cleared by
///   their owner under ProcArrayLock exclusive; `xmin`: set by the owner under
///   ProcArrayLock shared, cleared under it exclusive (or by the owner alone
///   when it has no xid).
#[repr(C, align(64))]
pub struct TransamShared {
    pub(crate) xid_gen_lock: PaddedLWLock,
    pub(crate) proc_array_lock: PaddedLWLock,
    pub(crate) oid_gen_lock: PaddedLWLock,
    pub(crate) control_file_lock: PaddedLWLock,
    pub(crate) clog_control_lock: PaddedLWLock,
    /// The next xid to assign (0 until the startup process has loaded it).
    pub(crate) next_xid: AtomicU64,
    /// The newest xid that has committed or aborted.
    pub(crate) latest_completed_xid: AtomicU64,
    /// Xids below this are reserved on disk (the control file says so).
    pub(crate) xid_reserved_until: AtomicU64,
    /// The next OID, and the on-disk reservation (u64 for atomics; values fit u32).
    pub(crate) next_oid: AtomicU64,
    pub(crate) oid_reserved_until: AtomicU64,
    /// Bumped by every committing transaction that changed the catalog: a
    /// backend whose cached generation differs drops its catalog caches.
    pub(crate) catalog_generation: AtomicU64,
    /// Stamps for the CLOG cache's least-recently-used replacement.
    pub(crate) clog_lru_clock: AtomicU64,
}

// SAFETY: repr(C), made of LWLocks and atomics only; all-zero is the valid
// "not yet loaded" state.
unsafe impl ShmemSafe for TransamShared {}

/// What the CLOG says about a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XidStatus {
    InProgress,
    Committed,
    Aborted,
}

/// An MVCC snapshot (PostgreSQL's `SnapshotData` for `SNAPSHOT_MVCC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every xid < xmin has finished.
    pub xmin: TransactionId,
    /// Every xid >= xmax had not finished (was not yet assigned or running).
    pub xmax: TransactionId,
    /// Xids in [xmin, xmax) running when the snapshot was taken, sorted.
    pub xip: Vec<TransactionId>,
    /// The taking transaction's own commands before `curcid` are visible.
    pub curcid: CommandId,
}

impl Snapshot {
    /// Whether `xid` counts as still running for this snapshot
    /// (PostgreSQL's `XidInMVCCSnapshot`).
    pub fn xid_in_snapshot(&self, xid: TransactionId) -> bool {
        if xid < self.xmin {
            return false;
        }
        if xid >= self.xmax {
            return true;
        }
        self.xip.binary_search(&xid).is_ok()
    }
}

/// One process's handle on the transaction machinery.
pub struct Transam<'a> {
    pub(crate) shmem: &'a SharedMemory,
    pub(crate) data_dir: PathBuf,
    /// This process's ProcArray slot.
    pub(crate) slot: usize,
}

impl std::fmt::Debug for Transam<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transam").field("slot", &self.slot).finish()
    }
}

impl<'a> Transam<'a> {
    pub fn new(shmem: &'a SharedMemory, data_dir: impl Into<PathBuf>, slot: usize) -> Transam<'a> {
        Transam {
            shmem,
            data_dir: data_dir.into(),
            slot,
        }
    }

    fn shared(&self) -> &'a TransamShared {
        &self.shmem.region::<TransamShared>(RegionId::Transam)[0]
    }

    fn clog(&self) -> Clog<'a> {
        Clog::new(self.shmem, &self.data_dir)
    }

    fn procs(&self) -> ProcArray<'a> {
        self.shmem.proc_array()
    }

    /// This process's ProcArray slot.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The xid this backend's slot holds (None when its transaction has none).
    pub fn my_xid(&self) -> Option<TransactionId> {
        Some(self.procs().xid(self.slot)).filter(|&x| x != INVALID_XID)
    }

    /// initdb's step: creates `global/pg_control` (next xid
    /// [`FIRST_NORMAL_XID`], next OID [`FIRST_NORMAL_OBJECT_ID`]) and
    /// `pg_xact/` in a new cluster. [`Self::startup`] never creates them: a
    /// missing control file at startup is an error.
    pub fn bootstrap(data_dir: &Path) -> PgResult<()> {
        ControlFile::create(data_dir)?;
        let xact = data_dir.join(clog::PG_XACT_DIR);
        std::fs::create_dir_all(&xact).map_err(|e| {
            control::file_error(
                &e,
                format!("could not create directory \"{}\"", clog::PG_XACT_DIR),
            )
        })?;
        control::fsync_dir(data_dir)
            .map_err(|e| control::file_error(&e, "could not fsync data directory".into()))
    }

    /// Startup process: loads next xid / next OID from the control file into
    /// shared memory. Runs before any backend, on a fresh segment. The xids
    /// between the last one handed out and the reservation are never used.
    pub fn startup(&self) -> PgResult<()> {
        let sh = self.shared();
        let _xid_gen = sh.xid_gen_lock.lock.acquire_exclusive();
        if sh.next_xid.load(Ordering::SeqCst) != 0 {
            return Err(PgError::internal(
                "transaction state is already loaded in this shared memory segment",
            ));
        }
        let c = ControlFile::read(&self.data_dir)?;
        let xact = self.data_dir.join(clog::PG_XACT_DIR);
        if !xact.is_dir() {
            std::fs::create_dir_all(&xact).map_err(|e| {
                control::file_error(
                    &e,
                    format!("could not create directory \"{}\"", clog::PG_XACT_DIR),
                )
            })?;
            control::fsync_dir(&self.data_dir)
                .map_err(|e| control::file_error(&e, "could not fsync data directory".into()))?;
        }
        let next_xid = c.next_xid.max(FIRST_NORMAL_XID);
        // The segment file of the first xid we hand out, so that commits never
        // create files (see clog::Clog::ensure_segment).
        self.clog().ensure_segment(clog::page_of(next_xid))?;
        let mut next_oid = c.next_oid;
        if next_oid < u64::from(FIRST_NORMAL_OBJECT_ID) || next_oid > u64::from(u32::MAX) {
            next_oid = u64::from(FIRST_NORMAL_OBJECT_ID);
        }
        sh.xid_reserved_until.store(next_xid, Ordering::SeqCst);
        sh.latest_completed_xid
            .store(next_xid - 1, Ordering::SeqCst);
        sh.oid_reserved_until.store(next_oid, Ordering::SeqCst);
        sh.next_oid.store(next_oid, Ordering::SeqCst);
        sh.next_xid.store(next_xid, Ordering::SeqCst);
        Ok(())
    }

    /// Gives this backend's transaction its xid (PostgreSQL's
    /// `GetNewTransactionId`): published in the ProcArray before XidGenLock is
    /// released, reserved on disk before use.
    pub fn assign_xid(&self) -> PgResult<TransactionId> {
        let sh = self.shared();
        let procs = self.procs();
        if let Some(x) = self.my_xid() {
            return Err(PgError::internal(format!(
                "backend in slot {} already has transaction id {x}",
                self.slot
            )));
        }
        let _xid_gen = sh.xid_gen_lock.lock.acquire_exclusive();
        let xid = sh.next_xid.load(Ordering::SeqCst);
        if xid == 0 {
            return Err(PgError::internal(
                "transaction ids are not loaded yet (the startup process has not run)",
            ));
        }
        if xid >= sh.xid_reserved_until.load(Ordering::SeqCst) {
            let until = xid + XID_RESERVE_CHUNK;
            let _control = sh.control_file_lock.lock.acquire_exclusive();
            ControlFile::update(&self.data_dir, |c| c.next_xid = until)?;
            sh.xid_reserved_until.store(until, Ordering::SeqCst);
        }
        self.clog().extend(xid)?;
        procs.set_xid(self.slot, xid);
        sh.next_xid.store(xid + 1, Ordering::SeqCst);
        Ok(xid)
    }

    /// A new snapshot (`GetSnapshotData`); sets this backend's xmin if unset.
    ///
    /// Why `xmax = latest_completed_xid + 1` is enough: every xid below it was
    /// handed out before the transaction that became `latest_completed_xid`
    /// got its own xid (xids are handed out in order under XidGenLock, and an
    /// xid is stored in its slot before XidGenLock is released). That
    /// transaction then completed under ProcArrayLock exclusive, and we read
    /// under ProcArrayLock shared after it, so each of those earlier xids is
    /// either still in its slot (we list it in `xip`) or has left it, which it
    /// does only after its CLOG status is set: it is finished for us.
    pub fn snapshot(&self, curcid: CommandId) -> Snapshot {
        let sh = self.shared();
        let procs = self.procs();
        let _pa = sh.proc_array_lock.lock.acquire_shared();
        let xmax = sh.latest_completed_xid.load(Ordering::SeqCst) + 1;
        let mut xip: Vec<TransactionId> = procs
            .xact_fields()
            .filter(|&(i, xid, _)| i != self.slot && xid != INVALID_XID && xid < xmax)
            .map(|(_, xid, _)| xid)
            .collect();
        xip.sort_unstable();
        let xmin = xip.first().copied().unwrap_or(xmax);
        if procs.xmin(self.slot) == INVALID_XID {
            procs.set_xmin(self.slot, xmin);
        }
        Snapshot {
            xmin,
            xmax,
            xip,
            curcid,
        }
    }

    /// Whether a running backend has `xid` as its transaction
    /// (`TransactionIdIsInProgress`). Our own xid counts as in progress.
    pub fn is_in_progress(&self, xid: TransactionId) -> bool {
        if xid < FIRST_NORMAL_XID {
            return false;
        }
        let procs = self.procs();
        if procs.xid(self.slot) == xid {
            return true;
        }
        let _pa = self.shared().proc_array_lock.lock.acquire_shared();
        procs.xact_fields().any(|(_, x, _)| x == xid)
    }

    /// CLOG status (`TransactionIdDidCommit` / `DidAbort`). An xid that is
    /// below next_xid, not committed and not running (a crash) reads Aborted
    /// only in combination with [`Self::is_in_progress`]; this is the raw status.
    pub fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
        match xid {
            INVALID_XID => Ok(XidStatus::Aborted),
            BOOTSTRAP_XID | FROZEN_XID => Ok(XidStatus::Committed),
            _ => self.clog().status(xid),
        }
    }

    fn check_mine(&self, xid: TransactionId, what: &str) -> PgResult<()> {
        let mine = self.procs().xid(self.slot);
        if xid < FIRST_NORMAL_XID || mine != xid {
            return Err(PgError::internal(format!(
                "cannot {what} transaction {xid}: the transaction of slot {} is {mine}",
                self.slot
            )));
        }
        Ok(())
    }

    /// Clears our slot's xid and xmin and advances `latest_completed_xid`
    /// (`ProcArrayEndTransaction`).
    fn leave_proc_array(&self, xid: TransactionId) {
        let sh = self.shared();
        let procs = self.procs();
        let _pa = sh.proc_array_lock.lock.acquire_exclusive();
        procs.set_xid(self.slot, INVALID_XID);
        procs.set_xmin(self.slot, INVALID_XID);
        sh.latest_completed_xid.fetch_max(xid, Ordering::SeqCst);
    }

    /// Records the commit durably (CLOG page written and fsynced when `fsync`),
    /// then removes the xid from the ProcArray. `catalog_changed` bumps the
    /// catalog generation before the xid disappears. A failure to record the
    /// commit is PANIC (the xid stays in the ProcArray until the restart).
    pub fn commit(&self, xid: TransactionId, fsync: bool, catalog_changed: bool) -> PgResult<()> {
        self.check_mine(xid, "commit")?;
        self.clog().set_status(xid, XidStatus::Committed, fsync)?;
        if catalog_changed {
            self.shared()
                .catalog_generation
                .fetch_add(1, Ordering::SeqCst);
        }
        self.leave_proc_array(xid);
        Ok(())
    }

    /// Records the abort and removes the xid from the ProcArray. The xid
    /// leaves the ProcArray even when the CLOG cannot be updated (then the
    /// error is returned): in progress in CLOG and not running reads aborted.
    pub fn abort(&self, xid: TransactionId) -> PgResult<()> {
        self.check_mine(xid, "abort")?;
        let r = self.clog().set_status(xid, XidStatus::Aborted, false);
        self.leave_proc_array(xid);
        r
    }

    /// Ends a transaction that had no xid: clears this backend's xmin.
    pub fn end_without_xid(&self) {
        self.procs().set_xmin(self.slot, INVALID_XID);
    }

    /// The oldest xmin of any running transaction or snapshot (what VACUUM
    /// may not remove rows newer than; `GetOldestNonRemovableTransactionId`).
    pub fn oldest_xmin(&self) -> TransactionId {
        let sh = self.shared();
        let _pa = sh.proc_array_lock.lock.acquire_shared();
        let mut oldest = sh.latest_completed_xid.load(Ordering::SeqCst) + 1;
        for (_, xid, xmin) in self.procs().xact_fields() {
            for x in [xid, xmin] {
                if x != INVALID_XID && x < oldest {
                    oldest = x;
                }
            }
        }
        oldest
    }

    /// A new OID (`GetNewObjectId`), >= [`FIRST_NORMAL_OBJECT_ID`], reserved
    /// on disk. After 2^32 - 1 the counter wraps to [`FIRST_NORMAL_OBJECT_ID`];
    /// uniqueness within a catalog is the caller's check, as in PostgreSQL.
    pub fn new_oid(&self) -> PgResult<u32> {
        let sh = self.shared();
        let _oid_gen = sh.oid_gen_lock.lock.acquire_exclusive();
        let mut oid = sh.next_oid.load(Ordering::SeqCst);
        if oid == 0 {
            return Err(PgError::internal(
                "OIDs are not loaded yet (the startup process has not run)",
            ));
        }
        let first = u64::from(FIRST_NORMAL_OBJECT_ID);
        let wrapped = oid > u64::from(u32::MAX) || oid < first;
        if wrapped {
            oid = first;
        }
        if wrapped || oid >= sh.oid_reserved_until.load(Ordering::SeqCst) {
            let until = (oid + OID_RESERVE_CHUNK).min(u64::from(u32::MAX) + 1);
            let _control = sh.control_file_lock.lock.acquire_exclusive();
            ControlFile::update(&self.data_dir, |c| c.next_oid = until)?;
            sh.oid_reserved_until.store(until, Ordering::SeqCst);
        }
        sh.next_oid.store(oid + 1, Ordering::SeqCst);
        u32::try_from(oid)
            .map_err(|_| PgError::internal(format!("OID counter out of range: {oid}")))
    }

    /// The catalog generation (see [`TransamShared::catalog_generation`]).
    pub fn catalog_generation(&self) -> u64 {
        self.shared().catalog_generation.load(Ordering::SeqCst)
    }

    /// The next xid that will be handed out (0 before startup).
    pub fn next_xid(&self) -> TransactionId {
        self.shared().next_xid.load(Ordering::SeqCst)
    }

    /// Writes every dirty CLOG page and fsyncs (checkpoint, shutdown).
    pub fn flush_clog(&self) -> PgResult<()> {
        self.clog().flush()
    }

    /// The next OID that will be handed out (0 before startup).
    pub fn next_oid(&self) -> u64 {
        self.shared().next_oid.load(Ordering::SeqCst)
    }

    /// Read-modify-write of the control file under ControlFileLock (the
    /// checkpointer and the startup process record checkpoints this way).
    pub fn update_control(&self, change: impl FnOnce(&mut ControlFile)) -> PgResult<ControlFile> {
        let _control = self.shared().control_file_lock.lock.acquire_exclusive();
        ControlFile::update(&self.data_dir, change)
    }

    /// Redo of a commit or abort record: sets the CLOG status of `xid`, which
    /// no backend runs (the startup process only). Setting a status twice
    /// (redo after an earlier, interrupted recovery) is harmless.
    pub fn redo_status(&self, xid: TransactionId, status: XidStatus) -> PgResult<()> {
        if xid < FIRST_NORMAL_XID {
            return Ok(());
        }
        // Not `extend`: it zeroes a page on its first xid, and commits are
        // replayed in commit order, not xid order.
        self.clog().ensure_segment(clog::page_of(xid))?;
        match self.clog().status(xid)? {
            XidStatus::InProgress => self.clog().set_status(xid, status, false),
            _ => Ok(()),
        }
    }
}

/// What the visibility rules need to know about transactions: implemented by
/// [`Transam`]; tests and tools may supply their own.
pub trait XactOracle {
    /// Whether `xid` is running (this backend's own xid included).
    fn is_in_progress(&self, xid: TransactionId) -> bool;
    /// The raw CLOG status of `xid`.
    fn status(&self, xid: TransactionId) -> PgResult<XidStatus>;
}

impl XactOracle for Transam<'_> {
    fn is_in_progress(&self, xid: TransactionId) -> bool {
        Transam::is_in_progress(self, xid)
    }

    fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
        Transam::status(self, xid)
    }
}

impl<T: XactOracle + ?Sized> XactOracle for &T {
    fn is_in_progress(&self, xid: TransactionId) -> bool {
        (**self).is_in_progress(xid)
    }

    fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
        (**self).status(xid)
    }
}

#[cfg(test)]
mod tests;
