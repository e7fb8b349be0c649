//! Serializable Snapshot Isolation (PostgreSQL's `storage/lmgr/predicate.c`,
//! after Cahill, Röhm and Fekete, "Serializable Isolation for Snapshot
//! Databases"): SIREAD locks, rw-conflicts between concurrent serializable
//! transactions, and the dangerous-structure check that turns snapshot
//! isolation into SERIALIZABLE. The algorithm, the lock rules and how we
//! differ from PostgreSQL are in this directory's `README.md`.
//!
//! ```text
//!  PredicateShared: lock (guards everything below), last_seq
//!  PredXacts   [SerializableXactSlot; proc_slots * 10]   one per serializable
//!              flags, backend slot, xid, start/prepare/commit sequence numbers
//!  PredLocks   [PredicateLockSlot; proc_slots * 64]      (relation, holder, kind)
//!              kind SIREAD: the holder read the relation
//!              kind WRITE:  the holder wrote a row of it
//!  RwConflicts [RwConflictSlot; proc_slots * 50]          reader -> writer edges
//! ```
//!
//! Granularity is the relation: every read we do is a sequential scan, for
//! which PostgreSQL too takes a relation-level SIREAD lock.
//!
//! Entry points: [`PredicateLocks::new`] (one per backend), then per
//! serializable transaction [`PredicateLocks::begin`] (with its snapshot),
//! [`PredicateLocks::on_read`], [`PredicateLocks::on_write`],
//! [`PredicateLocks::pre_commit`] and [`PredicateLocks::on_end`].

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use types::{PgError, PgResult, SqlState};

use crate::lwlock::LWLock;
use crate::shmem::{RegionId, SharedMemory, ShmemLayout, ShmemSafe};

#[cfg(test)]
mod tests;

/// Serializable transactions per backend slot (PostgreSQL reserves
/// `(max_connections + max_prepared_xacts) * 10`).
pub const XACTS_PER_SLOT: usize = 10;
/// Predicate-lock entries per backend slot (`max_pred_locks_per_transaction`).
pub const LOCKS_PER_SLOT: usize = 64;
/// rw-conflict edges per serializable transaction (PostgreSQL's
/// `RWConflictPool` has 5 per SERIALIZABLEXACT).
pub const CONFLICTS_PER_XACT: usize = 5;

/// Entries of each region for a layout.
pub fn xact_slots(l: &ShmemLayout) -> usize {
    l.proc_slots.max(1) as usize * XACTS_PER_SLOT
}
pub fn lock_slots(l: &ShmemLayout) -> usize {
    l.proc_slots.max(1) as usize * LOCKS_PER_SLOT
}
pub fn conflict_slots(l: &ShmemLayout) -> usize {
    xact_slots(l) * CONFLICTS_PER_XACT
}

/// One per segment (PostgreSQL's `PredXactList` header and
/// `SerializableXactHashLock`). `lock` guards every field of every region of
/// this module; `last_seq` is PostgreSQL's `LastSxactCommitSeqNo`, the
/// counter that numbers snapshots (read), prepares and commits (incremented).
#[repr(C)]
pub struct PredicateShared {
    lock: LWLock,
    last_seq: AtomicU64,
}

// SAFETY: repr(C), an LWLock (one atomic) and an atomic; zero is the initial state.
unsafe impl ShmemSafe for PredicateShared {}

/// Bits of [`SerializableXactSlot::flags`].
mod flag {
    /// The slot describes a transaction (0 = free).
    pub const IN_USE: u32 = 1;
    /// Passed `pre_commit`: will commit unless its commit fails.
    pub const PREPARED: u32 = 1 << 1;
    pub const COMMITTED: u32 = 1 << 2;
    /// Must abort: it was found to be the pivot of a dangerous structure.
    pub const DOOMED: u32 = 1 << 3;
    /// Declared READ ONLY, or committed without writing.
    pub const READ_ONLY: u32 = 1 << 4;
    /// Wrote some relation.
    pub const DID_WRITE: u32 = 1 << 5;
    /// Committed with an rw-conflict out to a transaction that had committed
    /// before it (PostgreSQL's SXACT_FLAG_CONFLICT_OUT); the earliest such
    /// prepare is in `earliest_out_conflict_commit`.
    pub const CONFLICT_OUT: u32 = 1 << 6;
}

/// One serializable transaction (PostgreSQL's SERIALIZABLEXACT). Every field
/// is read and written only under [`PredicateShared::lock`] exclusive (the
/// atomics make the slot shareable, not lock-free). A committed transaction
/// keeps its slot until no active transaction is concurrent with it.
#[repr(C)]
pub struct SerializableXactSlot {
    flags: AtomicU32,
    /// The backend (ProcArray slot) that runs or ran it.
    backend: AtomicU32,
    /// Its top-level xid once it has one (0 before: a virtual transaction).
    xid: AtomicU64,
    /// `last_seq` when its snapshot was taken (PostgreSQL's
    /// `lastCommitBeforeSnapshot`): a transaction whose commit number is
    /// above it is concurrent with this one.
    start_seq: AtomicU64,
    /// Number given at `pre_commit` (0 before).
    prepare_seq: AtomicU64,
    /// Number given at commit (0 before).
    commit_seq: AtomicU64,
    /// With CONFLICT_OUT: the smallest prepare number of a transaction that
    /// committed before this one and that this one has an rw-conflict out to.
    earliest_out_conflict_commit: AtomicU64,
}

// SAFETY: repr(C), atomics only; all-zero is a free slot.
unsafe impl ShmemSafe for SerializableXactSlot {}

/// Values of [`PredicateLockSlot::kind`].
mod kind {
    pub const SIREAD: u32 = 1;
    pub const WRITE: u32 = 2;
}

/// One predicate lock (PostgreSQL's PREDICATELOCK on a relation target) or
/// one write record (which PostgreSQL finds instead in the tuple headers a
/// scan reads). Under [`PredicateShared::lock`].
#[repr(C)]
pub struct PredicateLockSlot {
    /// `database << 32 | relation oid`.
    key: AtomicU64,
    /// Index + 1 of the holding [`SerializableXactSlot`], 0 = free entry.
    holder: AtomicU32,
    kind: AtomicU32,
}

// SAFETY: repr(C), atomics only; all-zero is a free entry.
unsafe impl ShmemSafe for PredicateLockSlot {}

/// One rw-conflict edge `reader -> writer`: the reader did not see a write
/// of the writer (PostgreSQL's RWConflictData). Index + 1 of each
/// transaction's slot, 0 = free entry. Under [`PredicateShared::lock`].
#[repr(C)]
pub struct RwConflictSlot {
    reader: AtomicU32,
    writer: AtomicU32,
}

// SAFETY: repr(C), atomics only; all-zero is a free entry.
unsafe impl ShmemSafe for RwConflictSlot {}

/// A relation as predicate locks name it: its database and OID (not its
/// relfilenode, which TRUNCATE changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelationKey {
    pub db: u32,
    pub rel: u32,
}

impl RelationKey {
    fn packed(self) -> u64 {
        (u64::from(self.db) << 32) | u64::from(self.rel)
    }
}

/// PostgreSQL's error for a serialization failure found by SSI.
fn serialization_failure(reason: &str) -> PgError {
    PgError::new(
        SqlState::SerializationFailure,
        "could not serialize access due to read/write dependencies among transactions",
    )
    .with_detail(format!("Reason code: {reason}."))
    .with_hint("The transaction might succeed if retried.")
}

fn out_of_shared_memory(setting: &str) -> PgError {
    PgError::new(SqlState::OutOfMemory, "out of shared memory")
        .with_hint(format!("You might need to increase {setting}."))
}

/// The current transaction of a backend, as this backend knows it.
#[derive(Debug)]
struct Current {
    idx: usize,
    /// Relations already locked / recorded as written in shared memory: a
    /// second read or write of them needs no shared work (see README rule 4).
    read: HashSet<RelationKey>,
    written: HashSet<RelationKey>,
    /// The xid recorded in the slot (0 = none yet).
    xid: u64,
}

/// A backend's access to the SSI state: at most one serializable transaction
/// at a time.
pub struct PredicateLocks<'a> {
    shared: &'a PredicateShared,
    xacts: &'a [SerializableXactSlot],
    locks: &'a [PredicateLockSlot],
    conflicts: &'a [RwConflictSlot],
    backend: usize,
    current: Option<Current>,
}

impl std::fmt::Debug for PredicateLocks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredicateLocks")
            .field("backend", &self.backend)
            .field("current", &self.current)
            .finish()
    }
}

const R: Ordering = Ordering::Relaxed;

/// What the dangerous-structure checks read of a transaction (a copy taken
/// under the lock).
#[derive(Debug, Clone, Copy)]
struct Xact {
    flags: u32,
    xid: u64,
    start_seq: u64,
    prepare_seq: u64,
    commit_seq: u64,
    earliest_out_conflict_commit: u64,
}

impl Xact {
    fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    fn committed(&self) -> bool {
        self.has(flag::COMMITTED)
    }
    fn prepared(&self) -> bool {
        self.has(flag::PREPARED)
    }
    fn doomed(&self) -> bool {
        self.has(flag::DOOMED)
    }
    fn read_only(&self) -> bool {
        self.has(flag::READ_ONLY)
    }
}

impl<'a> PredicateLocks<'a> {
    /// The handle of the backend in ProcArray slot `backend`.
    pub fn new(shmem: &'a SharedMemory, backend: usize) -> PredicateLocks<'a> {
        PredicateLocks {
            shared: &shmem.region::<PredicateShared>(RegionId::PredicateShared)[0],
            xacts: shmem.region(RegionId::PredXacts),
            locks: shmem.region(RegionId::PredLocks),
            conflicts: shmem.region(RegionId::RwConflicts),
            backend,
            current: None,
        }
    }

    /// Whether a serializable transaction is registered.
    pub fn is_active(&self) -> bool {
        self.current.is_some()
    }

    /// Registers a serializable transaction and takes its snapshot with
    /// `take_snapshot` while holding the lock, so that its start number
    /// and its snapshot agree (PostgreSQL's
    /// `GetSerializableTransactionSnapshotInt`). `read_only`: declared READ
    /// ONLY. 53200 if the transaction table is full.
    pub fn begin<S>(&mut self, read_only: bool, take_snapshot: impl FnOnce() -> S) -> PgResult<S> {
        assert!(
            self.current.is_none(),
            "a serializable transaction is already registered"
        );
        let _g = self.shared.lock.acquire_exclusive();
        let Some(idx) = self.xacts.iter().position(|x| x.flags.load(R) == 0) else {
            return Err(out_of_shared_memory("max_connections"));
        };
        let x = &self.xacts[idx];
        x.flags.store(
            flag::IN_USE | if read_only { flag::READ_ONLY } else { 0 },
            R,
        );
        x.backend.store(self.backend as u32, R);
        x.xid.store(0, R);
        x.start_seq.store(self.shared.last_seq.load(R), R);
        x.prepare_seq.store(0, R);
        x.commit_seq.store(0, R);
        x.earliest_out_conflict_commit.store(0, R);
        let snapshot = take_snapshot();
        self.current = Some(Current {
            idx,
            read: HashSet::new(),
            written: HashSet::new(),
            xid: 0,
        });
        Ok(snapshot)
    }

    /// Records the transaction's xid once it has one (for messages).
    pub fn set_xid(&mut self, xid: u64) {
        if let Some(c) = &mut self.current
            && c.xid != xid
        {
            c.xid = xid;
            let _g = self.shared.lock.acquire_exclusive();
            self.xacts[c.idx].xid.store(xid, R);
        }
    }

    fn load(&self, idx: usize) -> Xact {
        let x = &self.xacts[idx];
        Xact {
            flags: x.flags.load(R),
            xid: x.xid.load(R),
            start_seq: x.start_seq.load(R),
            prepare_seq: x.prepare_seq.load(R),
            commit_seq: x.commit_seq.load(R),
            earliest_out_conflict_commit: x.earliest_out_conflict_commit.load(R),
        }
    }

    fn set_flag(&self, idx: usize, f: u32) {
        self.xacts[idx].flags.fetch_or(f, R);
    }

    /// Was `other` running, or did it commit, after `me` took its snapshot?
    /// (Errs towards "concurrent" in the moment between a CLOG commit and
    /// the commit number: a false positive only costs a retry.)
    fn concurrent(me: &Xact, other: &Xact) -> bool {
        !other.committed() || other.commit_seq > me.start_seq
    }

    fn edges_out(&self, reader: usize) -> impl Iterator<Item = usize> + '_ {
        let r = reader as u32 + 1;
        self.conflicts
            .iter()
            .filter(move |c| c.reader.load(R) == r)
            .map(|c| c.writer.load(R) as usize - 1)
    }

    fn edges_in(&self, writer: usize) -> impl Iterator<Item = usize> + '_ {
        let w = writer as u32 + 1;
        self.conflicts
            .iter()
            .filter(move |c| c.writer.load(R) == w)
            .map(|c| c.reader.load(R) as usize - 1)
    }

    fn edge_exists(&self, reader: usize, writer: usize) -> bool {
        self.edges_out(reader).any(|w| w == writer)
    }

    fn add_edge(&self, reader: usize, writer: usize) -> PgResult<()> {
        let Some(c) = self.conflicts.iter().find(|c| c.reader.load(R) == 0) else {
            // PostgreSQL's message for an exhausted RWConflictPool.
            return Err(PgError::new(
                SqlState::OutOfMemory,
                "not enough elements in RWConflictPool to record a read/write conflict",
            )
            .with_hint(
                "You might need to run fewer transactions at a time or increase max_connections.",
            ));
        };
        c.writer.store(writer as u32 + 1, R);
        c.reader.store(reader as u32 + 1, R);
        Ok(())
    }

    fn add_lock(&self, key: RelationKey, holder: usize, k: u32) -> PgResult<()> {
        let Some(l) = self.locks.iter().find(|l| l.holder.load(R) == 0) else {
            return Err(out_of_shared_memory("max_pred_locks_per_transaction"));
        };
        l.key.store(key.packed(), R);
        l.kind.store(k, R);
        l.holder.store(holder as u32 + 1, R);
        Ok(())
    }

    fn holders(&self, key: RelationKey, k: u32) -> Vec<usize> {
        let key = key.packed();
        self.locks
            .iter()
            .filter(|l| l.holder.load(R) != 0 && l.key.load(R) == key && l.kind.load(R) == k)
            .map(|l| l.holder.load(R) as usize - 1)
            .collect()
    }

    /// A scan of `rel` by the current transaction (no-op unless one is
    /// registered): takes the relation's SIREAD lock and records an
    /// rw-conflict out to every concurrent writer of it that our snapshot
    /// does not see (PostgreSQL's `PredicateLockRelation` plus
    /// `CheckForSerializableConflictOut` for the tuples a seqscan reads).
    pub fn on_read(&mut self, rel: RelationKey) -> PgResult<()> {
        let Some(cur) = &self.current else {
            return Ok(());
        };
        let me_idx = cur.idx;
        let _g = self.shared.lock.acquire_exclusive();
        let me = self.load(me_idx);
        if me.doomed() {
            return Err(serialization_failure(
                "Canceled on identification as a pivot, during conflict out checking",
            ));
        }
        if cur.read.contains(&rel) {
            return Ok(());
        }
        self.add_lock(rel, me_idx, kind::SIREAD)?;
        for w_idx in self.holders(rel, kind::WRITE) {
            if w_idx == me_idx {
                continue;
            }
            let w = self.load(w_idx);
            if !Self::concurrent(&me, &w) {
                continue;
            }
            // A read-only transaction is serialized before a committed
            // writer unless that writer has a conflict out to a
            // transaction that committed before our snapshot.
            if me.read_only()
                && w.committed()
                && (!w.has(flag::CONFLICT_OUT) || me.start_seq < w.earliest_out_conflict_commit)
            {
                continue;
            }
            if self.edge_exists(me_idx, w_idx) {
                continue;
            }
            self.flag_conflict(me_idx, w_idx)?;
        }
        if let Some(cur) = &mut self.current {
            cur.read.insert(rel);
        }
        Ok(())
    }

    /// A row of `rel` inserted, updated or deleted by the current
    /// transaction (no-op unless one is registered): records the write and
    /// an rw-conflict in from every concurrent holder of a SIREAD lock on it
    /// (PostgreSQL's `CheckForSerializableConflictIn`).
    pub fn on_write(&mut self, rel: RelationKey) -> PgResult<()> {
        let Some(cur) = &self.current else {
            return Ok(());
        };
        let me_idx = cur.idx;
        let _g = self.shared.lock.acquire_exclusive();
        let me = self.load(me_idx);
        if me.doomed() {
            return Err(serialization_failure(
                "Canceled on identification as a pivot, during conflict in checking",
            ));
        }
        if cur.written.contains(&rel) {
            return Ok(());
        }
        self.add_lock(rel, me_idx, kind::WRITE)?;
        self.set_flag(me_idx, flag::DID_WRITE);
        for r_idx in self.holders(rel, kind::SIREAD) {
            if r_idx == me_idx {
                continue;
            }
            let r = self.load(r_idx);
            if r.doomed() || !Self::concurrent(&me, &r) || self.edge_exists(r_idx, me_idx) {
                continue;
            }
            self.flag_conflict(r_idx, me_idx)?;
        }
        if let Some(cur) = &mut self.current {
            cur.written.insert(rel);
        }
        Ok(())
    }

    /// Records `reader -> writer` after checking whether it completes a
    /// dangerous structure in which the commit order already makes an
    /// anomaly possible (PostgreSQL's
    /// `OnConflict_CheckForSerializationFailure`). One of the two is us.
    fn flag_conflict(&self, reader_idx: usize, writer_idx: usize) -> PgResult<()> {
        let me_idx = self.current.as_ref().map(|c| c.idx);
        let reader = self.load(reader_idx);
        let writer = self.load(writer_idx);
        // R -> W -> T2 with W committed after T2: W is a committed pivot.
        let mut failure = writer.committed() && writer.has(flag::CONFLICT_OUT);
        // R -> W -> T2 with T2 (prepared or committed) first of the three.
        if !failure {
            failure = self.edges_out(writer_idx).map(|t| self.load(t)).any(|t2| {
                t2.prepared()
                    && (!reader.committed() || t2.prepare_seq <= reader.commit_seq)
                    && (!writer.committed() || t2.prepare_seq <= writer.commit_seq)
                    && (!reader.read_only() || t2.prepare_seq <= reader.start_seq)
            });
        }
        // T0 -> R -> W with W prepared: R becomes a pivot whose out side
        // commits first, unless T0 committed before W or is a read-only
        // transaction that overlaps W.
        if !failure && writer.prepared() && !reader.read_only() {
            failure = self.edges_in(reader_idx).map(|t| self.load(t)).any(|t0| {
                !t0.doomed()
                    && (!t0.committed() || t0.commit_seq >= writer.prepare_seq)
                    && (!t0.read_only() || t0.start_seq >= writer.prepare_seq)
            });
        }
        if failure {
            if me_idx == Some(writer_idx) {
                return Err(serialization_failure(
                    "Canceled on identification as a pivot, during write",
                ));
            }
            if writer.prepared() {
                // Too late to abort the writer: we are the reader.
                return Err(serialization_failure(&format!(
                    "Canceled on conflict out to pivot {}, during read",
                    writer.xid
                )));
            }
            self.set_flag(writer_idx, flag::DOOMED);
        }
        self.add_edge(reader_idx, writer_idx)
    }

    /// The check before commit (PostgreSQL's
    /// `PreCommit_CheckForSerializationFailure`): 40001 if we were doomed;
    /// otherwise, as the out side of `T_in -> pivot -> us` with a pivot
    /// that has not committed, we commit first, so the pivot is doomed.
    /// Then gives our prepare number. No-op without a serializable
    /// transaction.
    pub fn pre_commit(&mut self) -> PgResult<()> {
        let Some(cur) = &self.current else {
            return Ok(());
        };
        let me_idx = cur.idx;
        let _g = self.shared.lock.acquire_exclusive();
        if self.load(me_idx).doomed() {
            return Err(serialization_failure(
                "Canceled on identification as a pivot, during commit attempt",
            ));
        }
        let near: Vec<usize> = self.edges_in(me_idx).collect();
        for n_idx in near {
            let pivot = self.load(n_idx);
            if pivot.committed() || pivot.doomed() {
                continue;
            }
            let dangerous = self.edges_in(n_idx).any(|f_idx| {
                let far = self.load(f_idx);
                f_idx == me_idx || (!far.committed() && !far.read_only() && !far.doomed())
            });
            if dangerous {
                if pivot.prepared() {
                    return Err(serialization_failure(
                        "Canceled on commit attempt with conflict in from prepared pivot",
                    ));
                }
                self.set_flag(n_idx, flag::DOOMED);
            }
        }
        let seq = self.shared.last_seq.load(R) + 1;
        self.shared.last_seq.store(seq, R);
        self.xacts[me_idx].prepare_seq.store(seq, R);
        self.set_flag(me_idx, flag::PREPARED);
        Ok(())
    }

    /// The end of the current transaction, after its commit is visible (or
    /// after its abort). A committed transaction keeps its slot, SIREAD
    /// locks, write records and edges until no active transaction is
    /// concurrent with it; an aborted one is forgotten at once. Then frees
    /// every committed transaction nobody overlaps any more (PostgreSQL's
    /// `ReleasePredicateLocks` and `ClearOldPredicateLocks`).
    pub fn on_end(&mut self, committed: bool) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let me_idx = cur.idx;
        let _g = self.shared.lock.acquire_exclusive();
        if committed {
            let seq = self.shared.last_seq.load(R) + 1;
            self.shared.last_seq.store(seq, R);
            let x = &self.xacts[me_idx];
            x.commit_seq.store(seq, R);
            if x.prepare_seq.load(R) == 0 {
                x.prepare_seq.store(seq, R);
            }
            let mut f = x.flags.load(R) | flag::COMMITTED | flag::PREPARED;
            if f & flag::DID_WRITE == 0 {
                f |= flag::READ_ONLY;
            }
            // Summarize the conflicts out to transactions that committed
            // before us: only those can make us a committed pivot later.
            if f & flag::READ_ONLY == 0 {
                let earliest = self
                    .edges_out(me_idx)
                    .map(|t| self.load(t))
                    .filter(|t| t.committed())
                    .map(|t| t.prepare_seq)
                    .min();
                if let Some(e) = earliest {
                    f |= flag::CONFLICT_OUT;
                    x.earliest_out_conflict_commit.store(e, R);
                }
            }
            x.flags.store(f, R);
        } else {
            self.free(me_idx);
        }
        self.clear_old();
    }

    /// Frees every committed transaction that no active one is concurrent with.
    fn clear_old(&self) {
        let oldest_active = (0..self.xacts.len())
            .map(|i| self.load(i))
            .filter(|x| x.has(flag::IN_USE) && !x.committed())
            .map(|x| x.start_seq)
            .min()
            .unwrap_or(u64::MAX);
        for i in 0..self.xacts.len() {
            let x = self.load(i);
            if x.committed() && x.commit_seq <= oldest_active {
                self.free(i);
            }
        }
    }

    /// Releases a transaction's slot, locks, write records and edges.
    fn free(&self, idx: usize) {
        let h = idx as u32 + 1;
        for l in self.locks {
            if l.holder.load(R) == h {
                l.holder.store(0, R);
            }
        }
        for c in self.conflicts {
            if c.reader.load(R) == h || c.writer.load(R) == h {
                c.reader.store(0, R);
                c.writer.store(0, R);
            }
        }
        self.xacts[idx].flags.store(0, R);
    }

    /// What the shared state holds, for tests and debugging: (serializable
    /// transactions in use, predicate-lock entries, rw-conflict edges).
    pub fn usage(&self) -> (usize, usize, usize) {
        let _g = self.shared.lock.acquire_shared();
        (
            self.xacts.iter().filter(|x| x.flags.load(R) != 0).count(),
            self.locks.iter().filter(|l| l.holder.load(R) != 0).count(),
            self.conflicts
                .iter()
                .filter(|c| c.reader.load(R) != 0)
                .count(),
        )
    }
}
