//! Transactions: 64-bit transaction ids, their commit status (CLOG in
//! `pg_xact`), snapshots from the ProcArray, and tuple visibility
//! (PostgreSQL's `access/transam` plus `procarray.c` and `heapam_visibility.c`).
//!
//! SKELETON: the types and signatures below are the contract the heap access
//! method and the backend code against; the transam work fills in the bodies
//! (see the README section "Transactions" once written).

pub mod clog;
pub mod combocid;
pub mod visibility;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use types::{PgError, PgResult};

use crate::lwlock::PaddedLWLock;
use crate::shmem::{ShmemSafe, SharedMemory};

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

/// Shared transaction-id state (PostgreSQL's `TransamVariables` plus
/// `ProcArrayLock` and `XidGenLock`). One per segment, in [`crate::shmem::RegionId::Transam`].
#[repr(C, align(64))]
pub struct TransamShared {
    pub(crate) xid_gen_lock: PaddedLWLock,
    pub(crate) proc_array_lock: PaddedLWLock,
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
        Transam { shmem, data_dir: data_dir.into(), slot }
    }

    /// Startup process: loads next xid / next OID from the control file into
    /// shared memory (creating it on a fresh cluster). Runs before any backend.
    pub fn startup(&self) -> PgResult<()> {
        Err(PgError::internal("transam startup not built yet"))
    }

    /// Gives this backend's transaction its xid (PostgreSQL's
    /// `GetNewTransactionId`): published in the ProcArray before XidGenLock is
    /// released, reserved on disk before use.
    pub fn assign_xid(&self) -> PgResult<TransactionId> {
        Err(PgError::internal("transam assign_xid not built yet"))
    }

    /// A new snapshot (`GetSnapshotData`); sets this backend's xmin if unset.
    pub fn snapshot(&self, curcid: CommandId) -> Snapshot {
        Snapshot { xmin: FIRST_NORMAL_XID, xmax: FIRST_NORMAL_XID, xip: Vec::new(), curcid }
    }

    /// Whether a running backend has `xid` as its transaction
    /// (`TransactionIdIsInProgress`).
    pub fn is_in_progress(&self, _xid: TransactionId) -> bool {
        false
    }

    /// CLOG status (`TransactionIdDidCommit` / `DidAbort`). An xid that is
    /// below next_xid, not committed and not running (a crash) reads Aborted
    /// only in combination with [`Self::is_in_progress`]; this is the raw status.
    pub fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
        Ok(if xid < FIRST_NORMAL_XID { XidStatus::Committed } else { XidStatus::InProgress })
    }

    /// Records the commit durably (CLOG page written and fsynced when `fsync`),
    /// then removes the xid from the ProcArray. `catalog_changed` bumps the
    /// catalog generation before the xid disappears.
    pub fn commit(&self, _xid: TransactionId, _fsync: bool, _catalog_changed: bool) -> PgResult<()> {
        Err(PgError::internal("transam commit not built yet"))
    }

    /// Records the abort and removes the xid from the ProcArray.
    pub fn abort(&self, _xid: TransactionId) -> PgResult<()> {
        Err(PgError::internal("transam abort not built yet"))
    }

    /// Ends a transaction that had no xid: clears this backend's xmin.
    pub fn end_without_xid(&self) {}

    /// The oldest xmin of any running transaction or snapshot (what VACUUM
    /// may not remove rows newer than; `GetOldestNonRemovableTransactionId`).
    pub fn oldest_xmin(&self) -> TransactionId {
        FIRST_NORMAL_XID
    }

    /// A new OID (`GetNewObjectId`), >= [`FIRST_NORMAL_OBJECT_ID`], reserved on disk.
    pub fn new_oid(&self) -> PgResult<u32> {
        Err(PgError::internal("transam new_oid not built yet"))
    }

    /// The catalog generation (see [`TransamShared::catalog_generation`]).
    pub fn catalog_generation(&self) -> u64 {
        0
    }
}
