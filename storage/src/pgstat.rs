//! Per-table activity counters in shared memory (PostgreSQL's cumulative
//! statistics system, `pgstat_relation.c`, for what `pg_stat_user_tables`
//! and autovacuum read).
//!
//! A fixed open-addressing table of [`TableStatsSlot`]s keyed by (database,
//! relation OID). A backend adds its transaction's counts when the
//! transaction ends (committed inserts are live rows, committed updates and
//! deletes leave dead rows, an aborted insert leaves a dead row); VACUUM
//! replaces the live/dead estimates with what it found. Every field is an
//! atomic updated without a lock: the figures are statistics, a reader may
//! see one transaction's counts half applied.
//!
//! Unlike PostgreSQL, the counters are not written to disk at shutdown: they
//! start from zero with every start of the cluster (PostgreSQL keeps them
//! across a clean shutdown and resets them after a crash). A full table drops
//! counts for further relations (with a log line) instead of failing DML.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::shmem::{RegionId, SharedMemory, ShmemSafe};

/// Entries in the shared statistics table.
pub const STATS_SLOTS: usize = 4096;

/// One relation's counters. `key` is `db << 32 | relid`, 0 for an empty slot,
/// set once with compare-and-swap; the rest are plain atomic counters.
#[repr(C, align(64))]
pub struct TableStatsSlot {
    key: AtomicU64,
    pub seq_scan: AtomicU64,
    pub seq_tup_read: AtomicU64,
    pub n_tup_ins: AtomicU64,
    pub n_tup_upd: AtomicU64,
    pub n_tup_del: AtomicU64,
    pub n_tup_hot_upd: AtomicU64,
    pub n_live_tup: AtomicI64,
    pub n_dead_tup: AtomicI64,
    pub n_ins_since_vacuum: AtomicI64,
    /// Microseconds since 2000-01-01, 0 = never.
    pub last_vacuum: AtomicI64,
    pub last_autovacuum: AtomicI64,
    pub vacuum_count: AtomicU64,
    pub autovacuum_count: AtomicU64,
    /// Rows inserted, updated or deleted since the last ANALYZE.
    pub n_mod_since_analyze: AtomicI64,
    pub last_analyze: AtomicI64,
    pub last_autoanalyze: AtomicI64,
    pub analyze_count: AtomicU64,
    pub autoanalyze_count: AtomicU64,
}

// SAFETY: repr(C), atomics only; all-zero is an empty slot.
unsafe impl ShmemSafe for TableStatsSlot {}

/// What one transaction did to one table, applied at its end.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct XactTableCounts {
    pub inserted: u64,
    pub updated: u64,
    pub hot_updated: u64,
    pub deleted: u64,
}

/// The statistics table of a segment.
#[derive(Clone, Copy)]
pub struct TableStats<'a> {
    slots: &'a [TableStatsSlot],
}

impl std::fmt::Debug for TableStats<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableStats")
            .field("slots", &self.slots.len())
            .finish()
    }
}

fn key(db: u32, relid: u32) -> u64 {
    (u64::from(db) << 32) | u64::from(relid)
}

impl<'a> TableStats<'a> {
    pub fn new(shmem: &'a SharedMemory) -> TableStats<'a> {
        TableStats {
            slots: shmem.region::<TableStatsSlot>(RegionId::PgStat),
        }
    }

    fn home(&self, k: u64) -> usize {
        let h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 32) as usize % self.slots.len()
    }

    /// The slot of a relation, if it has one.
    pub fn get(&self, db: u32, relid: u32) -> Option<&'a TableStatsSlot> {
        let k = key(db, relid);
        let start = self.home(k);
        for i in 0..self.slots.len() {
            let s = &self.slots[(start + i) % self.slots.len()];
            match s.key.load(Ordering::Acquire) {
                0 => return None,
                x if x == k => return Some(s),
                _ => {}
            }
        }
        None
    }

    /// The slot of a relation, created if needed; None if the table is full.
    pub fn get_or_create(&self, db: u32, relid: u32) -> Option<&'a TableStatsSlot> {
        let k = key(db, relid);
        let start = self.home(k);
        for i in 0..self.slots.len() {
            let s = &self.slots[(start + i) % self.slots.len()];
            match s
                .key
                .compare_exchange(0, k, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(s),
                Err(x) if x == k => return Some(s),
                Err(_) => {}
            }
        }
        tracing::warn!(
            "table statistics are full ({} relations): not counting relation {relid} of database {db}",
            self.slots.len()
        );
        None
    }

    /// Applies a transaction's counts to a relation.
    pub fn apply(&self, db: u32, relid: u32, c: XactTableCounts, committed: bool) {
        let Some(s) = self.get_or_create(db, relid) else {
            return;
        };
        s.n_tup_ins.fetch_add(c.inserted, Ordering::Relaxed);
        s.n_tup_upd.fetch_add(c.updated, Ordering::Relaxed);
        s.n_tup_hot_upd.fetch_add(c.hot_updated, Ordering::Relaxed);
        s.n_tup_del.fetch_add(c.deleted, Ordering::Relaxed);
        let (ins, upd, del) = (c.inserted as i64, c.updated as i64, c.deleted as i64);
        if committed {
            s.n_live_tup.fetch_add(ins - del, Ordering::Relaxed);
            s.n_dead_tup.fetch_add(upd + del, Ordering::Relaxed);
            s.n_ins_since_vacuum.fetch_add(ins, Ordering::Relaxed);
            s.n_mod_since_analyze
                .fetch_add(ins + upd + del, Ordering::Relaxed);
        } else {
            // The rows an aborted transaction wrote are dead, whatever they were.
            s.n_dead_tup.fetch_add(ins + upd, Ordering::Relaxed);
        }
    }

    /// Records a VACUUM's findings.
    pub fn vacuumed(&self, db: u32, relid: u32, live: u64, dead: u64, now: i64, auto: bool) {
        let Some(s) = self.get_or_create(db, relid) else {
            return;
        };
        s.n_live_tup.store(live as i64, Ordering::Relaxed);
        s.n_dead_tup.store(dead as i64, Ordering::Relaxed);
        s.n_ins_since_vacuum.store(0, Ordering::Relaxed);
        if auto {
            s.last_autovacuum.store(now, Ordering::Relaxed);
            s.autovacuum_count.fetch_add(1, Ordering::Relaxed);
        } else {
            s.last_vacuum.store(now, Ordering::Relaxed);
            s.vacuum_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records an ANALYZE: the changes since it start from zero.
    pub fn analyzed(&self, db: u32, relid: u32, now: i64, auto: bool) {
        let Some(s) = self.get_or_create(db, relid) else {
            return;
        };
        s.n_mod_since_analyze.store(0, Ordering::Relaxed);
        if auto {
            s.last_autoanalyze.store(now, Ordering::Relaxed);
            s.autoanalyze_count.fetch_add(1, Ordering::Relaxed);
        } else {
            s.last_analyze.store(now, Ordering::Relaxed);
            s.analyze_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a sequential scan and the tuples it returned.
    pub fn scanned(&self, db: u32, relid: u32, tuples: u64) {
        if let Some(s) = self.get_or_create(db, relid) {
            s.seq_scan.fetch_add(1, Ordering::Relaxed);
            s.seq_tup_read.fetch_add(tuples, Ordering::Relaxed);
        }
    }

    /// Forgets a dropped relation's counters.
    pub fn drop_relation(&self, db: u32, relid: u32) {
        // Zero the counters but keep the key: removing a key from an
        // open-addressing table without a lock could break other probes.
        if let Some(s) = self.get(db, relid) {
            for c in [
                &s.seq_scan,
                &s.seq_tup_read,
                &s.n_tup_ins,
                &s.n_tup_upd,
                &s.n_tup_del,
                &s.n_tup_hot_upd,
                &s.vacuum_count,
                &s.autovacuum_count,
                &s.analyze_count,
                &s.autoanalyze_count,
            ] {
                c.store(0, Ordering::Relaxed);
            }
            for c in [
                &s.n_live_tup,
                &s.n_dead_tup,
                &s.n_ins_since_vacuum,
                &s.last_vacuum,
                &s.last_autovacuum,
                &s.n_mod_since_analyze,
                &s.last_analyze,
                &s.last_autoanalyze,
            ] {
                c.store(0, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::shmem::ShmemLayout;

    #[test]
    fn counts_follow_commits_aborts_and_vacuum() {
        let shm =
            SharedMemory::create(ShmemLayout::new(2, 16), std::process::id() as i32, 0).unwrap();
        let st = TableStats::new(&shm);
        assert!(st.get(5, 16384).is_none());
        st.apply(
            5,
            16384,
            XactTableCounts {
                inserted: 10,
                ..Default::default()
            },
            true,
        );
        st.apply(
            5,
            16384,
            XactTableCounts {
                updated: 3,
                deleted: 2,
                ..Default::default()
            },
            true,
        );
        st.apply(
            5,
            16384,
            XactTableCounts {
                inserted: 4,
                ..Default::default()
            },
            false,
        );
        let s = st.get(5, 16384).unwrap();
        assert_eq!(s.n_tup_ins.load(Ordering::Relaxed), 14);
        assert_eq!(s.n_live_tup.load(Ordering::Relaxed), 8);
        assert_eq!(s.n_dead_tup.load(Ordering::Relaxed), 9);
        st.vacuumed(5, 16384, 8, 0, 42, true);
        assert_eq!(
            (
                s.n_dead_tup.load(Ordering::Relaxed),
                s.autovacuum_count.load(Ordering::Relaxed)
            ),
            (0, 1)
        );
        // Another database's relation of the same OID is another entry.
        assert!(st.get(4, 16384).is_none());
    }
}
