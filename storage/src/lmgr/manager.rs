//! One backend's view of the lock manager: its private table of held locks
//! (PostgreSQL's LOCALLOCK) in front of the shared table, the wait loop, and
//! `pg_locks`.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use types::{PgError, PgResult, SqlState};

use super::table::{Decision, LockTable, partition_of};
use super::{LockMode, LockTag, NUM_LOCK_PARTITIONS, fastpath, futex_wait_timeout, wait_status};
use crate::shmem::SharedMemory;

/// Longest single sleep of a waiter: interrupts (cancel, statement_timeout,
/// termination) are checked at least this often.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// Microseconds from the Unix epoch to 2000-01-01 UTC (PostgreSQL's epoch).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// How [`LockManager::acquire`] behaves when the lock is not free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Return `Ok(false)` instead of waiting (the caller words the 55P03
    /// error, e.g. `could not obtain lock on relation "t"`).
    NoWait,
    /// Wait; run the deadlock check once after `deadlock_timeout`, and give
    /// up with `55P03 canceling statement due to lock timeout` after
    /// `lock_timeout` (`None`: wait for ever; the `lock_timeout = 0` setting).
    Block {
        lock_timeout: Option<Duration>,
        deadlock_timeout: Duration,
    },
}

/// One row of `pg_locks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockStatus {
    pub tag: LockTag,
    pub locktype: &'static str,
    pub database: Option<u32>,
    pub relation: Option<u32>,
    pub page: Option<u32>,
    pub tuple: Option<u16>,
    pub transactionid: Option<u64>,
    pub classid: Option<u32>,
    pub objid: Option<u32>,
    pub objsubid: Option<i16>,
    /// ProcArray slot of the holder or waiter.
    pub proc_slot: usize,
    pub pid: i32,
    pub mode: LockMode,
    pub granted: bool,
    /// Held in the backend's fast-path slots, not in the shared table.
    pub fastpath: bool,
    /// For a waiter: when it began to wait, microseconds since 2000-01-01 UTC.
    pub waitstart: Option<i64>,
}

impl LockStatus {
    fn new(
        tag: LockTag,
        proc_slot: usize,
        pid: i32,
        mode: LockMode,
        granted: bool,
        waitstart: Option<i64>,
    ) -> Self {
        let mut s = LockStatus {
            tag,
            locktype: tag.locktype(),
            database: tag.database(),
            relation: None,
            page: None,
            tuple: None,
            transactionid: None,
            classid: None,
            objid: None,
            objsubid: None,
            proc_slot,
            pid,
            mode,
            granted,
            fastpath: false,
            waitstart,
        };
        match tag {
            LockTag::Relation { rel, .. } | LockTag::RelationExtend { rel, .. } => {
                s.relation = Some(rel)
            }
            LockTag::Page { rel, block, .. } => (s.relation, s.page) = (Some(rel), Some(block)),
            LockTag::Tuple {
                rel, block, offset, ..
            } => {
                (s.relation, s.page, s.tuple) = (Some(rel), Some(block), Some(offset));
            }
            LockTag::TransactionId(xid) => s.transactionid = Some(xid),
            LockTag::Object {
                class_oid,
                obj_oid,
                sub_id,
                ..
            } => {
                (s.classid, s.objid, s.objsubid) =
                    (Some(class_oid), Some(obj_oid), Some(sub_id as i16));
            }
            LockTag::Advisory { key, int4_pair, .. } => {
                (s.classid, s.objid, s.objsubid) = (
                    Some((key >> 32) as u32),
                    Some(key as u32),
                    Some(1 + i16::from(int4_pair)),
                );
            }
        }
        s
    }
}

/// A lock this backend holds, with how many times it holds each mode.
#[derive(Debug)]
struct LocalLock {
    /// Its entry in the shared table (stable while any mode is held there);
    /// `NO_ENTRY` while every mode held is a fast-path lock.
    entry: u32,
    /// Modes taken through the fast path (bit `mode.bit()`); one of them may
    /// since have been moved to the shared table by a strong locker.
    fast: u32,
    /// Acquisitions per mode number (index 0 unused). A mode with a non-zero
    /// count has its bit set in the entry's `granted`.
    counts: [u32; 9],
}

/// `LocalLock::entry` before the lock has an entry in the shared table.
const NO_ENTRY: u32 = u32::MAX;

/// A wait in progress (so that `release_all` or `Drop` can abandon it).
#[derive(Debug, Clone, Copy)]
struct Waiting {
    tag: LockTag,
    entry: u32,
    mode: LockMode,
}

/// One backend's handle on the lock manager.
pub struct LockManager<'a> {
    shmem: &'a SharedMemory,
    table: LockTable<'a>,
    my_slot: usize,
    my_pid: i32,
    local: HashMap<LockTag, LocalLock>,
    waiting: Option<Waiting>,
    /// Locks that outlive the transaction that took them (PostgreSQL's
    /// session locks): kept by [`Self::release_at_commit`], released by
    /// [`Self::release_all`] (an abort) and [`Self::end_session_lock`].
    session: Vec<(LockTag, LockMode)>,
}

impl std::fmt::Debug for LockManager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockManager")
            .field("slot", &self.my_slot)
            .field("pid", &self.my_pid)
            .field("held", &self.local.len())
            .finish()
    }
}

/// `53200 out of shared memory`: no free entry in the lock table.
pub(super) fn out_of_shared_memory() -> PgError {
    PgError::new(SqlState::OutOfMemory, "out of shared memory")
        .with_hint("You might need to increase max_locks_per_transaction.")
}

/// The SQLSTATE of `55P03 lock_not_available`. TODO(errcodes): types/errcodes.txt
/// lacks 55P03; until it is added this is `55000` (same class), and becomes
/// 55P03 by itself once the table has it.
pub fn lock_not_available_code() -> SqlState {
    SqlState::from_code("55P03").unwrap_or(SqlState::ObjectNotInPrerequisiteState)
}

/// The SQLSTATE of `40P01 deadlock_detected`. TODO(errcodes): types/errcodes.txt
/// lacks 40P01; until it is added this is `40001` (same class: roll back and
/// retry), and becomes 40P01 by itself once the table has it.
pub fn deadlock_detected_code() -> SqlState {
    SqlState::from_code("40P01").unwrap_or(SqlState::SerializationFailure)
}

pub(super) fn deadlock_error(detail: String) -> PgError {
    PgError::new(deadlock_detected_code(), "deadlock detected")
        .with_detail(detail)
        .with_hint("See server log for query details.")
}

fn lock_timeout_error() -> PgError {
    PgError::new(
        lock_not_available_code(),
        "canceling statement due to lock timeout",
    )
}

/// Now, in microseconds since 2000-01-01 UTC.
fn now_pg_micros() -> i64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    unix - PG_EPOCH_UNIX_MICROS
}

impl<'a> LockManager<'a> {
    /// The lock manager of the backend in ProcArray slot `my_slot`, process
    /// `my_pid` (as reported in deadlock messages).
    pub fn new(shmem: &'a SharedMemory, my_slot: usize, my_pid: i32) -> PgResult<LockManager<'a>> {
        let table = LockTable::of(shmem);
        let Some(proc) = table.procs.get(my_slot) else {
            return Err(PgError::internal(format!(
                "lock manager: no ProcArray slot {my_slot}"
            )));
        };
        // A previous owner of the slot that exited without releasing (a
        // FATAL exit that skipped destructors) must not block anyone.
        Self::purge_slot(shmem, my_slot);
        proc.pid.store(my_pid, Relaxed);
        Ok(LockManager {
            shmem,
            table,
            my_slot,
            my_pid,
            local: HashMap::new(),
            waiting: None,
            session: Vec::new(),
        })
    }

    /// Removes every entry of ProcArray slot `slot` from the table (held modes
    /// and a pending wait) and wakes the waiters that this unblocks; returns
    /// how many entries there were. For a backend that is gone: run by
    /// [`Self::new`] for its own slot, and usable by whoever reaps a backend
    /// that exited without `release_all`. Must not be used on a live
    /// backend's slot.
    pub fn purge_slot(shmem: &SharedMemory, slot: usize) -> usize {
        let t = LockTable::of(shmem);
        let mut purged = 0;
        for p in 0..NUM_LOCK_PARTITIONS {
            let _guard = t.partition_lock(p).acquire_exclusive();
            let mine: Vec<u32> = t
                .partition_entries(p)
                .filter(|&i| t.view(i).proc == slot)
                .collect();
            for idx in mine {
                let words = t.tag_words(idx);
                let Some(tag) = LockTag::decode(words) else {
                    continue;
                };
                // A wait on this entry ends with it (under its partition
                // lock, so the deadlock detector never sees a stale edge).
                if let Some(proc) = t.procs.get(slot)
                    && proc.wait_entry.load(Relaxed) == idx + 1
                {
                    proc.wait_entry.store(0, Relaxed);
                }
                t.free(tag.hash(), idx);
                t.wake_waiters(words, tag.hash());
                purged += 1;
            }
        }
        if let Some(proc) = t.procs.get(slot) {
            proc.wait_entry.store(0, Relaxed);
            proc.wait_status.store(wait_status::IDLE, Relaxed);
            proc.fp.clear();
        }
        purged
    }

    pub fn slot(&self) -> usize {
        self.my_slot
    }

    pub fn pid(&self) -> i32 {
        self.my_pid
    }

    /// Whether this backend holds `mode` on `tag`.
    pub fn holds(&self, tag: LockTag, mode: LockMode) -> bool {
        self.local
            .get(&tag)
            .is_some_and(|l| l.counts[mode as usize] > 0)
    }

    /// Every lock and mode this backend holds, with its count.
    pub fn held(&self) -> Vec<(LockTag, LockMode, u32)> {
        let mut v: Vec<_> = self
            .local
            .iter()
            .flat_map(|(t, l)| {
                LockMode::ALL
                    .into_iter()
                    .filter(|m| l.counts[*m as usize] > 0)
                    .map(|m| (*t, m, l.counts[m as usize]))
            })
            .collect();
        v.sort();
        v
    }

    /// Acquires `mode` on `tag` (PostgreSQL's `LockAcquire`). A mode already
    /// held is counted again without touching shared memory. Returns
    /// `Ok(false)` only for [`LockWait::NoWait`] when the lock is busy.
    ///
    /// While waiting, `check_interrupts` runs at least every 50 ms; its error
    /// ends the wait and is returned (if the lock was granted in the same
    /// instant, it is kept, to be released by [`Self::release_all`] at
    /// transaction abort). Other errors: `53200` (lock table full), `40P01`
    /// (deadlock, this backend is the victim), `55P03` (lock_timeout).
    pub fn acquire(
        &mut self,
        tag: LockTag,
        mode: LockMode,
        wait: LockWait,
        check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    ) -> PgResult<bool> {
        if let Some(l) = self.local.get_mut(&tag)
            && l.counts[mode as usize] > 0
        {
            l.counts[mode as usize] += 1;
            return Ok(true);
        }
        if let Some(w) = self.waiting {
            return Err(PgError::internal(format!(
                "lock manager: already waiting for {} on {}",
                w.mode, w.tag
            )));
        }
        let t = self.table;
        // A weak relation lock: the backend's own slots if no strong lock
        // is about (fastpath.rs rule 2).
        if let Some((db, rel)) = fastpath::weak(&tag, mode) {
            let strong = &t.shared.fp_strong[fastpath::strong_index_of(db, rel)];
            if t.procs[self.my_slot].fp.try_grant(strong, db, rel, mode) {
                let l = self.local.entry(tag).or_insert(LocalLock {
                    entry: NO_ENTRY,
                    fast: 0,
                    counts: [0; 9],
                });
                l.fast |= mode.bit();
                l.counts[mode as usize] += 1;
                return Ok(true);
            }
        }
        // A strong one: counted, then every backend's fast-path locks on the
        // relation move to the shared table (rules 1 and 3).
        let strong = fastpath::strong(&tag, mode);
        if let Some(h) = strong {
            t.shared.fp_strong[h].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Err(e) = self.transfer_fast_path_locks(tag) {
                t.shared.fp_strong[h].fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                return Err(e);
            }
        }
        let result = self.acquire_shared_table(tag, mode, wait, check_interrupts);
        // Not held after all (busy, an error, an abandoned wait): uncount.
        if let Some(h) = strong
            && !self.holds(tag, mode)
        {
            t.shared.fp_strong[h].fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        result
    }

    /// Rule 3 of fastpath.rs: every backend's fast-path locks on the
    /// relation of `tag` become granted entries of the shared table.
    fn transfer_fast_path_locks(&self, tag: LockTag) -> PgResult<()> {
        let LockTag::Relation { db, rel } = tag else {
            return Ok(());
        };
        let t = self.table;
        let (words, hash) = (tag.encode(), tag.hash());
        for (p, proc) in t.procs.iter().enumerate() {
            proc.fp.take(db, rel, &mut |modes| {
                let _guard = t.partition_lock(partition_of(hash)).acquire_exclusive();
                let entry = match t.find(words, hash, p) {
                    Some(e) => e,
                    None => t.alloc(words, hash, p).ok_or_else(out_of_shared_memory)?,
                };
                let granted = modes.iter().fold(t.view(entry).granted, |g, m| g | m.bit());
                t.set_granted(entry, granted);
                Ok(())
            })?;
        }
        Ok(())
    }

    /// [`Self::acquire`] through the shared table.
    fn acquire_shared_table(
        &mut self,
        tag: LockTag,
        mode: LockMode,
        wait: LockWait,
        check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    ) -> PgResult<bool> {
        let words = tag.encode();
        let hash = tag.hash();
        let t = self.table;
        let partition = t.partition_lock(partition_of(hash));
        let guard = partition.acquire_exclusive();
        let known = self
            .local
            .get(&tag)
            .map(|l| l.entry)
            .filter(|&e| e != NO_ENTRY);
        let (entry, created) = match known.or_else(|| t.find(words, hash, self.my_slot)) {
            Some(e) => (e, false),
            None => (
                t.alloc(words, hash, self.my_slot)
                    .ok_or_else(out_of_shared_memory)?,
                true,
            ),
        };
        debug_assert!(!created || known.is_none());
        match t.decide(
            words,
            hash,
            entry,
            mode,
            matches!(wait, LockWait::Block { .. }),
        ) {
            Decision::Grant => {
                t.set_granted(entry, t.view(entry).granted | mode.bit());
                drop(guard);
                self.record(tag, entry, mode);
                Ok(true)
            }
            Decision::WouldWait => {
                if created {
                    t.free(hash, entry);
                }
                Ok(false)
            }
            Decision::EarlyDeadlock {
                proc,
                mode: their_mode,
            } => {
                if created {
                    t.free(hash, entry);
                }
                drop(guard);
                let them = t.procs[proc].pid.load(Relaxed);
                Err(deadlock_error(format!(
                    "Process {} waits for {mode} on {tag}; blocked by process {them}.\n\
                     Process {them} waits for {their_mode} on {tag}; blocked by process {}.",
                    self.my_pid, self.my_pid
                )))
            }
            Decision::Wait(seq) => {
                t.enqueue(entry, self.my_slot, mode, seq, now_pg_micros());
                drop(guard);
                self.waiting = Some(Waiting { tag, entry, mode });
                let LockWait::Block {
                    lock_timeout,
                    deadlock_timeout,
                } = wait
                else {
                    return Err(PgError::internal("lock manager: queued a NoWait request"));
                };
                self.wait(lock_timeout, deadlock_timeout, check_interrupts)
            }
        }
    }

    fn record(&mut self, tag: LockTag, entry: u32, mode: LockMode) {
        let l = self.local.entry(tag).or_insert(LocalLock {
            entry,
            fast: 0,
            counts: [0; 9],
        });
        if l.entry == NO_ENTRY {
            l.entry = entry;
        }
        debug_assert_eq!(l.entry, entry);
        l.counts[mode as usize] += 1;
    }

    /// The wait after [`LockTable::enqueue`]: sleep on our futex in slices
    /// until a releaser grants the lock, checking interrupts, the deadlock
    /// timeout and the lock timeout in between.
    fn wait(
        &mut self,
        lock_timeout: Option<Duration>,
        deadlock_timeout: Duration,
        check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    ) -> PgResult<bool> {
        let start = Instant::now();
        // A timeout too large to represent is no timeout.
        let give_up_at = lock_timeout.and_then(|t| start.checked_add(t));
        let check_at = start.checked_add(deadlock_timeout);
        let mut checked = check_at.is_none();
        let status = &self.table.procs[self.my_slot].wait_status;
        loop {
            if status.load(std::sync::atomic::Ordering::Acquire) == wait_status::GRANTED {
                self.finish_granted();
                return Ok(true);
            }
            if let Err(e) = check_interrupts() {
                self.abandon_wait();
                return Err(e);
            }
            let now = Instant::now();
            if give_up_at.is_some_and(|t| now >= t) {
                return if self.abandon_wait() {
                    Ok(true)
                } else {
                    Err(lock_timeout_error())
                };
            }
            if !checked && check_at.is_some_and(|t| now >= t) {
                checked = true;
                if let Some(detail) = self.check_deadlock() {
                    return Err(deadlock_error(detail));
                }
                continue;
            }
            let mut sleep = WAIT_SLICE;
            if let Some(t) = check_at.filter(|_| !checked) {
                sleep = sleep.min(t - now);
            }
            if let Some(t) = give_up_at {
                sleep = sleep.min(t - now);
            }
            futex_wait_timeout(status, wait_status::WAITING, sleep);
        }
    }

    /// The awaited lock was granted on our behalf: record it.
    fn finish_granted(&mut self) {
        if let Some(w) = self.waiting.take() {
            self.table.procs[self.my_slot]
                .wait_status
                .store(wait_status::IDLE, Relaxed);
            self.record(w.tag, w.entry, w.mode);
        }
    }

    /// Leaves the wait queue (PostgreSQL's `LockErrorCleanup`). Returns true
    /// if the lock was granted before we got the partition lock: then we hold
    /// it (recorded locally) and nothing is undone.
    fn abandon_wait(&mut self) -> bool {
        let Some(w) = self.waiting else { return false };
        let (words, hash) = (w.tag.encode(), w.tag.hash());
        let t = self.table;
        let _guard = t.partition_lock(partition_of(hash)).acquire_exclusive();
        if t.wait_status(self.my_slot) == wait_status::GRANTED {
            self.finish_granted();
            return true;
        }
        t.dequeue(words, hash, w.entry, self.my_slot);
        self.waiting = None;
        false
    }

    /// Runs the deadlock detector for our wait. On a deadlock we leave the
    /// queue (under the detector's locks) and return the DETAIL text.
    fn check_deadlock(&mut self) -> Option<String> {
        let w = self.waiting?;
        let t = self.table;
        let guards: Vec<_> = (0..NUM_LOCK_PARTITIONS)
            .map(|p| t.partition_lock(p).acquire_exclusive())
            .collect();
        if t.wait_status(self.my_slot) == wait_status::GRANTED {
            return None;
        }
        let cycle = super::deadlock::find_cycle(&t, self.my_slot)?;
        t.dequeue(w.tag.encode(), w.tag.hash(), w.entry, self.my_slot);
        self.waiting = None;
        drop(guards);
        Some(super::deadlock::describe(&cycle))
    }

    /// Releases one acquisition of `mode` on `tag` (PostgreSQL's
    /// `LockRelease`). The shared table changes only when the count drops to
    /// zero; waiters it unblocks are granted and woken. Returns false if the
    /// lock was not held (PostgreSQL warns "you don't own a lock of type ...").
    pub fn release(&mut self, tag: LockTag, mode: LockMode) -> bool {
        let Some(l) = self.local.get_mut(&tag) else {
            return false;
        };
        let count = &mut l.counts[mode as usize];
        if *count == 0 {
            return false;
        }
        *count -= 1;
        if *count > 0 {
            return true;
        }
        let fast = l.fast & mode.bit() != 0;
        l.fast &= !mode.bit();
        let mut entry = l.entry;
        let none_left = l.counts.iter().all(|&c| c == 0);
        if none_left {
            self.local.remove(&tag);
        }
        let (words, hash) = (tag.encode(), tag.hash());
        let t = self.table;
        if let Some(h) = fastpath::strong(&tag, mode) {
            t.shared.fp_strong[h].fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        if fast {
            if let Some((db, rel)) = fastpath::weak(&tag, mode)
                && t.procs[self.my_slot].fp.try_release(db, rel, mode)
            {
                return true;
            }
            // Moved to the shared table by a strong locker (rule 4).
            let _guard = t.partition_lock(partition_of(hash)).acquire_exclusive();
            let Some(e) = t.find(words, hash, self.my_slot) else {
                return true;
            };
            entry = e;
            t.set_granted(entry, t.view(entry).granted & !mode.bit());
            t.free_if_unused(hash, entry);
            t.wake_waiters(words, hash);
            return true;
        }
        let _guard = t.partition_lock(partition_of(hash)).acquire_exclusive();
        t.set_granted(entry, t.view(entry).granted & !mode.bit());
        t.free_if_unused(hash, entry);
        t.wake_waiters(words, hash);
        true
    }

    /// Makes the held lock `mode` on `tag` a session lock: the commits of
    /// this and later transactions keep it until [`Self::end_session_lock`]
    /// (CREATE INDEX CONCURRENTLY's lock on its table across its
    /// transactions). Returns false if the lock is not held.
    pub fn keep_for_session(&mut self, tag: LockTag, mode: LockMode) -> bool {
        if !self.holds(tag, mode) {
            return false;
        }
        if !self.session.contains(&(tag, mode)) {
            self.session.push((tag, mode));
        }
        true
    }

    /// Turns session lock `mode` on `tag` back into a transaction's lock,
    /// released when the current transaction ends.
    pub fn end_session_lock(&mut self, tag: LockTag, mode: LockMode) {
        self.session.retain(|&s| s != (tag, mode));
    }

    /// Transaction commit: releases every lock but the session locks
    /// (PostgreSQL's `ProcReleaseLocks` at commit). A session lock's tag
    /// keeps its session mode, once; other modes on it go.
    pub fn release_at_commit(&mut self) {
        if self.session.is_empty() {
            self.release_all();
            return;
        }
        let session = std::mem::take(&mut self.session);
        for &(tag, mode) in &session {
            for m in LockMode::ALL {
                let count = self.local.get(&tag).map_or(0, |l| l.counts[m as usize]);
                let keep = u32::from(session.contains(&(tag, m)));
                for _ in keep..count {
                    self.release(tag, m);
                }
            }
            debug_assert!(self.holds(tag, mode));
        }
        let kept: Vec<(LockTag, LocalLock)> = session
            .iter()
            .filter_map(|(tag, _)| self.local.remove_entry(tag))
            .collect();
        self.release_all();
        self.local.extend(kept);
        self.session = session;
    }

    /// The ProcArray slots of other backends holding a mode on `tag` that
    /// conflicts with `mode` (PostgreSQL's `GetLockConflicts`), fast-path
    /// holders included.
    pub fn conflicting_holders(&self, tag: LockTag, mode: LockMode) -> Vec<usize> {
        let mut slots: Vec<usize> = Self::status(self.shmem)
            .into_iter()
            .filter(|s| {
                s.granted
                    && s.tag == tag
                    && s.proc_slot != self.my_slot
                    && s.mode.conflicts_with(mode)
            })
            .map(|s| s.proc_slot)
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    /// Releases every lock this backend holds, session locks too, and
    /// abandons any wait (transaction abort, and commit without session
    /// locks; PostgreSQL's `LockReleaseAll`). Takes each partition lock
    /// once, in increasing order. Also run on drop. Counts the transaction
    /// end in the ProcArray, for those waiting for it to end.
    pub fn release_all(&mut self) {
        self.session.clear();
        let procs = self.shmem.proc_array();
        if self.my_slot < procs.len() {
            procs.count_xact_end(self.my_slot);
        }
        if self.waiting.is_some() {
            self.abandon_wait();
        }
        if self.local.is_empty() {
            return;
        }
        let t = self.table;
        let mut by_partition: Vec<(usize, LockTag, u32)> = Vec::new();
        for (tag, l) in self.local.drain() {
            for mode in LockMode::ALL {
                if l.counts[mode as usize] == 0 {
                    continue;
                }
                if let Some(h) = fastpath::strong(&tag, mode) {
                    t.shared.fp_strong[h].fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
            // Fast-path modes still in our slots go from there; the rest
            // (and any moved by a strong locker) from the shared table.
            let mut in_table = l.entry != NO_ENTRY;
            for mode in LockMode::ALL {
                if l.fast & mode.bit() == 0 {
                    continue;
                }
                let cleared = fastpath::weak(&tag, mode)
                    .is_some_and(|(db, rel)| t.procs[self.my_slot].fp.try_release(db, rel, mode));
                in_table |= !cleared;
            }
            if in_table {
                by_partition.push((partition_of(tag.hash()), tag, l.entry));
            }
        }
        by_partition.sort_by_key(|e| e.0);
        for chunk in by_partition.chunk_by(|a, b| a.0 == b.0) {
            let _guard = t.partition_lock(chunk[0].0).acquire_exclusive();
            for &(_, tag, entry) in chunk {
                let (words, hash) = (tag.encode(), tag.hash());
                let entry = if entry == NO_ENTRY {
                    t.find(words, hash, self.my_slot)
                } else {
                    Some(entry)
                };
                let Some(entry) = entry else { continue };
                t.set_granted(entry, 0);
                t.free_if_unused(hash, entry);
                t.wake_waiters(words, hash);
            }
        }
    }

    /// Every granted and awaited mode in the table, for `pg_locks` (PostgreSQL's
    /// `GetLockStatusData`): partition locks are taken shared, in order, and
    /// all held together so the picture is consistent.
    pub fn status(shmem: &SharedMemory) -> Vec<LockStatus> {
        let t = LockTable::of(shmem);
        let pids: HashMap<usize, i32> = shmem
            .proc_array()
            .active()
            .map(|p| (p.slot, p.pid))
            .collect();
        // Fast-path locks first, each backend's under its own lock, before
        // any partition lock (fastpath.rs rule 5).
        let mut rows = Vec::new();
        for (slot, proc) in t.procs.iter().enumerate() {
            for (db, rel, m) in proc.fp.list() {
                let pid = pids
                    .get(&slot)
                    .copied()
                    .unwrap_or_else(|| proc.pid.load(Relaxed));
                let mut row =
                    LockStatus::new(LockTag::Relation { db, rel }, slot, pid, m, true, None);
                row.fastpath = true;
                rows.push(row);
            }
        }
        let _guards: Vec<_> = (0..NUM_LOCK_PARTITIONS)
            .map(|p| t.partition_lock(p).acquire_shared())
            .collect();
        for p in 0..NUM_LOCK_PARTITIONS {
            for idx in t.partition_entries(p) {
                let Some(tag) = LockTag::decode(t.tag_words(idx)) else {
                    continue;
                };
                let e = t.view(idx);
                let pid = pids
                    .get(&e.proc)
                    .copied()
                    .unwrap_or_else(|| t.procs.get(e.proc).map_or(0, |pr| pr.pid.load(Relaxed)));
                for m in LockMode::in_mask(e.granted) {
                    rows.push(LockStatus::new(tag, e.proc, pid, m, true, None));
                }
                if let Some(m) = e.wait_mode {
                    rows.push(LockStatus::new(
                        tag,
                        e.proc,
                        pid,
                        m,
                        false,
                        Some(e.wait_start),
                    ));
                }
            }
        }
        rows
    }

    /// The segment this manager works on.
    pub fn shmem(&self) -> &'a SharedMemory {
        self.shmem
    }
}

impl Drop for LockManager<'_> {
    fn drop(&mut self) {
        self.release_all();
    }
}
