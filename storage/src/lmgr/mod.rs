//! The heavyweight lock manager (PostgreSQL's `lmgr/lock.c`, `proc.c`'s lock
//! sleep, `deadlock.c`): table, tuple, transaction-id and other object locks
//! held until transaction end, in a lock table in shared memory. The rules,
//! lock ordering, wake-up protocol and deadlock algorithm are in this
//! directory's `README.md`.
//!
//! ```text
//!  LmgrShared                      LockSlots [LockSlot; lock_slots]
//! +---------------------------+   +------------------------------------+
//! | partition_locks[16]       |   | tag | proc | granted | wait_mode   |
//! | free_list_lock            |   |     |      | (bits)  | wait_seq    |
//! | free_head, high_water ----+-->| next (bucket chain or free list)   |
//! | wait_seq counter          |   +------------------------------------+
//! | buckets[16 * 64] ---------+-->  one chain per bucket; a bucket
//! +---------------------------+     belongs to one partition
//!  LmgrProcs [LmgrProc; proc_slots]: wait_status (futex), wait_entry, pid
//! ```
//!
//! One entry per (lock, backend), like PostgreSQL's PROCLOCK with the LOCK's
//! tag folded in: a lock exists while some backend holds or awaits a mode on
//! it, and its state is the set of entries with its tag in one bucket chain.
//!
//! Entry points: [`LockManager::new`] (one per backend), `acquire`,
//! `release`, `release_all`, `holds`, and [`LockManager::status`] for
//! `pg_locks`.

use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64};

use crate::lwlock::PaddedLWLock;
use crate::shmem::ShmemSafe;

mod deadlock;
pub mod fastpath;
mod manager;
mod mode;
mod table;
mod tag;
#[cfg(test)]
mod tests;

pub use manager::{
    LockManager, LockStatus, LockWait, deadlock_detected_code, lock_not_available_code,
};
pub use mode::LockMode;
pub use tag::LockTag;

/// Lock partitions, each guarded by one LWLock (PostgreSQL's
/// `NUM_LOCK_PARTITIONS`). A tag's partition is its hash modulo 16.
pub const NUM_LOCK_PARTITIONS: usize = 16;
/// Hash buckets per partition; a bucket is a chain of entries.
pub const BUCKETS_PER_PARTITION: usize = 64;

/// Values of [`LmgrProc::wait_status`].
pub(crate) mod wait_status {
    /// Not waiting for a heavyweight lock.
    pub const IDLE: u32 = 0;
    /// Queued; sleeping on the word.
    pub const WAITING: u32 = 1;
    /// A releaser granted the awaited lock on the sleeper's behalf.
    pub const GRANTED: u32 = 2;
}

/// Lock-manager control, one per segment. All-zero is an empty table.
///
/// Locking:
/// - `partition_locks[p]` guards `buckets[p * 64 .. (p + 1) * 64]` and every
///   field of every entry linked into those chains, and the `wait_entry` of
///   every backend waiting on a lock of partition `p`.
/// - `free_list_lock` guards `free_head`, `high_water` and the `next` field of
///   free entries. It is taken only inside a partition lock, never the other
///   way round, and nothing is taken inside it.
/// - `wait_seq` is a counter changed with `fetch_add` alone.
#[repr(C, align(64))]
pub struct LmgrShared {
    partition_locks: [PaddedLWLock; NUM_LOCK_PARTITIONS],
    free_list_lock: PaddedLWLock,
    /// Head of the free list: entry index + 1, 0 when empty.
    free_head: AtomicU32,
    /// Entries at and above this index have never been used (so a zero-filled
    /// segment needs no free list built).
    high_water: AtomicU32,
    /// Last wait sequence number handed out (waiters queue in its order).
    wait_seq: AtomicU64,
    /// Bucket chain heads: entry index + 1, 0 when empty.
    buckets: [AtomicU32; NUM_LOCK_PARTITIONS * BUCKETS_PER_PARTITION],
    /// Strong relation locks held or sought, by relation hash (rule 1 of
    /// [`fastpath`]).
    fp_strong: [AtomicU32; fastpath::FP_STRONG_PARTITIONS],
}
// SAFETY: repr(C); LWLocks and atomics only, all zero = every lock free, the
// table empty and no entry ever used.
unsafe impl ShmemSafe for LmgrShared {}

/// One entry of the lock table: one backend's holdings on and request for
/// one lock.
///
/// Locking: while the entry is linked into a bucket chain, every field is
/// read and written only under that bucket's partition lock (exclusive to
/// write). While it is free, all fields but `next` are zero and `next` is
/// guarded by `LmgrShared::free_list_lock`.
#[repr(C, align(64))]
pub struct LockSlot {
    /// [`LockTag::encode`]d; all zero when free.
    tag: [AtomicU64; 3],
    /// Position in the lock's wait queue (smaller waits longer); 0 if not waiting.
    wait_seq: AtomicU64,
    /// When the wait began, microseconds since 2000-01-01 UTC; 0 if not waiting.
    wait_start: AtomicI64,
    /// The ProcArray slot of the backend.
    proc: AtomicU32,
    /// Modes granted to the backend: bit `mode.number()`.
    granted: AtomicU32,
    /// The mode the backend waits for (its number), 0 if none.
    wait_mode: AtomicU32,
    /// Next entry in the bucket chain or free list: index + 1, 0 at the end.
    next: AtomicU32,
}
// SAFETY: repr(C), atomics only, zero is a free entry.
unsafe impl ShmemSafe for LockSlot {}

/// One backend's lock-manager state, indexed by ProcArray slot.
///
/// Locking: `wait_status` is the futex word the backend sleeps on. It is set
/// to WAITING by the owner and to GRANTED by a releaser, both under the
/// partition lock of the awaited lock, and back to IDLE by the owner (under
/// that lock when it abandons the wait, without it once it has seen
/// GRANTED). `wait_entry` (entry index + 1 of the awaited lock, 0 when not
/// waiting) is guarded by the partition lock of that entry. `pid` is written
/// by the owner when it creates its [`LockManager`] and only read after.
#[repr(C, align(64))]
pub struct LmgrProc {
    wait_status: AtomicU32,
    wait_entry: AtomicU32,
    pid: AtomicI32,
    /// The backend's fast-path relation locks ([`fastpath`]).
    fp: fastpath::FastPathProc,
}
// SAFETY: repr(C), atomics only, zero = not waiting.
unsafe impl ShmemSafe for LmgrProc {}

/// Wakes every process sleeping on `word` (a shared futex: the segment is
/// mapped by many processes, so no `FUTEX_PRIVATE_FLAG`).
fn futex_wake(word: &AtomicU32) {
    let _ =
        rustix::thread::futex::wake(word, rustix::thread::futex::Flags::empty(), i32::MAX as u32);
}

/// Sleeps while `word` holds `expected`, at most `timeout`; returns early on
/// a wake, a signal or a changed value (callers re-check in a loop).
fn futex_wait_timeout(word: &AtomicU32, expected: u32, timeout: std::time::Duration) {
    let ts = rustix::thread::futex::Timespec {
        tv_sec: timeout.as_secs() as _,
        tv_nsec: timeout.subsec_nanos() as _,
    };
    let _ = rustix::thread::futex::wait(
        word,
        rustix::thread::futex::Flags::empty(),
        expected,
        Some(&ts),
    );
}
