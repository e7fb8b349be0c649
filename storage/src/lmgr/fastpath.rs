//! Fast-path relation locks (PostgreSQL's `FastPathGrantRelationLock` and
//! `FastPathTransferRelationLocks`).
//!
//! Almost every statement takes a weak lock (AccessShare, RowShare,
//! RowExclusive) on the relations it uses, and weak locks never conflict
//! with each other. Recording them in the shared table would make every
//! backend using a table meet on that table's partition lock. Instead a
//! backend records them in its own slots ([`FastPathProc`]) under its own
//! LWLock, which nobody else takes except to move the locks out.
//!
//! Rules:
//! 1. A relation's *strong* locks (Share and stronger: the modes that
//!    conflict with a weak one) are counted in `strong[h]`, `h` a hash of
//!    (database, relation), from before the strong locker looks for
//!    conflicts until it releases the lock or gives up.
//! 2. A weak lock takes the fast path only if, under the backend's own fast
//!    path lock, `strong[h]` is 0 and a slot is free (or already names the
//!    relation); otherwise it goes to the shared table.
//! 3. A strong locker, after incrementing `strong[h]`, takes every backend's
//!    fast-path lock in turn and moves that backend's weak locks on the
//!    relation into the shared table (granted there, in that backend's
//!    name); then it proceeds as usual and sees them as conflicts. A weak
//!    locker that looks after the increment (rule 2) goes to the shared
//!    table itself; one that looked before had recorded its lock, which the
//!    transfer then finds, because both take the same fast-path lock.
//! 4. Releasing a fast-path lock clears its bit under the owner's fast-path
//!    lock; if the bit is gone, the lock was moved, and the owner releases it
//!    in the shared table.
//! 5. Lock order: a backend's fast-path lock before a partition lock, never
//!    the reverse.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicU32, AtomicU64};

use super::{LockMode, LockTag};
use crate::lwlock::LWLock;

/// Relations a backend can hold fast-path locks on at once (PostgreSQL: 16).
pub const FP_SLOTS: usize = 16;
/// Buckets of the strong-lock counters.
pub const FP_STRONG_PARTITIONS: usize = 1024;

/// One backend's fast-path locks: up to [`FP_SLOTS`] relations of one
/// database, three mode bits each (AccessShare, RowShare, RowExclusive).
#[repr(C)]
pub struct FastPathProc {
    lock: LWLock,
    db: AtomicU32,
    rels: [AtomicU32; FP_SLOTS],
    /// Bits `3 * slot + (mode - 1)`.
    modes: AtomicU64,
}

/// The relation a weak-mode relation lock is on, if the lock may take the
/// fast path.
pub fn weak(tag: &LockTag, mode: LockMode) -> Option<(u32, u32)> {
    match (tag, mode) {
        (
            LockTag::Relation { db, rel },
            LockMode::AccessShare | LockMode::RowShare | LockMode::RowExclusive,
        ) => Some((*db, *rel)),
        _ => None,
    }
}

/// The strong-lock counter of a relation lock in a mode that conflicts
/// with the weak ones (rule 1), if it is one.
pub fn strong(tag: &LockTag, mode: LockMode) -> Option<usize> {
    match tag {
        LockTag::Relation { db, rel } if mode >= LockMode::Share => Some(strong_index(*db, *rel)),
        _ => None,
    }
}

/// The strong-lock counter of relation (db, rel).
pub fn strong_index_of(db: u32, rel: u32) -> usize {
    strong_index(db, rel)
}

fn strong_index(db: u32, rel: u32) -> usize {
    ((u64::from(db).wrapping_mul(0x9E37_79B9) ^ u64::from(rel).wrapping_mul(0x85EB_CA6B))
        % FP_STRONG_PARTITIONS as u64) as usize
}

fn bit(slot: usize, mode: LockMode) -> u64 {
    1 << (3 * slot + (mode as usize - 1))
}

fn slot_bits(modes: u64, slot: usize) -> u64 {
    (modes >> (3 * slot)) & 7
}

impl FastPathProc {
    /// Rule 2: records `mode` on (db, rel) if no strong lock is counted;
    /// whether it did.
    pub fn try_grant(&self, strong: &AtomicU32, db: u32, rel: u32, mode: LockMode) -> bool {
        let _g = self.lock.acquire_exclusive();
        if strong.load(SeqCst) != 0 {
            return false;
        }
        let modes = self.modes.load(Relaxed);
        if modes != 0 && self.db.load(Relaxed) != db {
            return false;
        }
        let used =
            (0..FP_SLOTS).find(|&j| slot_bits(modes, j) != 0 && self.rels[j].load(Relaxed) == rel);
        let Some(j) = used.or_else(|| (0..FP_SLOTS).find(|&j| slot_bits(modes, j) == 0)) else {
            return false;
        };
        self.db.store(db, Relaxed);
        self.rels[j].store(rel, Relaxed);
        self.modes.store(modes | bit(j, mode), SeqCst);
        true
    }

    /// Rule 4: clears `mode` on (db, rel); false if it is not here (moved to
    /// the shared table).
    pub fn try_release(&self, db: u32, rel: u32, mode: LockMode) -> bool {
        let _g = self.lock.acquire_exclusive();
        let modes = self.modes.load(Relaxed);
        if modes == 0 || self.db.load(Relaxed) != db {
            return false;
        }
        match (0..FP_SLOTS)
            .find(|&j| modes & bit(j, mode) != 0 && self.rels[j].load(Relaxed) == rel)
        {
            Some(j) => {
                self.modes.store(modes & !bit(j, mode), SeqCst);
                true
            }
            None => false,
        }
    }

    /// Rule 3 for one backend: removes its weak locks on (db, rel) and hands
    /// them to `grant` (which records them in the shared table), all under
    /// this backend's fast-path lock.
    pub fn take(
        &self,
        db: u32,
        rel: u32,
        grant: &mut dyn FnMut(&[LockMode]) -> types::PgResult<()>,
    ) -> types::PgResult<()> {
        let _g = self.lock.acquire_exclusive();
        let mut modes = self.modes.load(Relaxed);
        if modes == 0 || self.db.load(Relaxed) != db {
            return Ok(());
        }
        for j in 0..FP_SLOTS {
            if slot_bits(modes, j) == 0 || self.rels[j].load(Relaxed) != rel {
                continue;
            }
            let held: Vec<LockMode> = [
                LockMode::AccessShare,
                LockMode::RowShare,
                LockMode::RowExclusive,
            ]
            .into_iter()
            .filter(|m| modes & bit(j, *m) != 0)
            .collect();
            grant(&held)?;
            modes &= !(7 << (3 * j));
        }
        self.modes.store(modes, SeqCst);
        Ok(())
    }

    /// Forgets every fast-path lock (a backend that is gone, `purge_slot`).
    pub fn clear(&self) {
        let _g = self.lock.acquire_exclusive();
        self.modes.store(0, SeqCst);
    }

    /// The locks held here, for `pg_locks`: (db, rel, mode).
    pub fn list(&self) -> Vec<(u32, u32, LockMode)> {
        let _g = self.lock.acquire_shared();
        let modes = self.modes.load(Relaxed);
        let db = self.db.load(Relaxed);
        let mut out = Vec::new();
        for j in 0..FP_SLOTS {
            for m in [
                LockMode::AccessShare,
                LockMode::RowShare,
                LockMode::RowExclusive,
            ] {
                if modes & bit(j, m) != 0 {
                    out.push((db, self.rels[j].load(Relaxed), m));
                }
            }
        }
        out
    }
}
