//! The shared lock table: entries, partitions, buckets, the free list, and the
//! grant rules that run under a partition lock (PostgreSQL's `LockAcquire`
//! conflict test, `ProcSleep` queue placement and `ProcLockWakeup`).
//!
//! Every function here that takes a `words`/`hash` pair expects the caller to
//! hold that tag's partition lock in exclusive mode (shared for the read-only
//! `entries_of`), as its doc says.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use super::{
    BUCKETS_PER_PARTITION, LmgrProc, LmgrShared, LockMode, LockSlot, NUM_LOCK_PARTITIONS,
    wait_status,
};
use crate::lwlock::LWLock;
use crate::shmem::{RegionId, SharedMemory};

/// Distance between the wait sequence numbers of successive waiters; a
/// waiter placed *before* another (see [`LockTable::decide`]) takes that
/// one's number minus one.
pub(super) const SEQ_STEP: u64 = 1 << 16;

/// A copy of one entry, read under its partition lock.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntryView {
    pub idx: u32,
    pub proc: usize,
    pub granted: u32,
    pub wait_mode: Option<LockMode>,
    pub wait_seq: u64,
    pub wait_start: i64,
}

/// What a request gets, decided under the partition lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Grant,
    /// Must wait, but the caller asked not to.
    WouldWait,
    /// Queue with this wait sequence number.
    Wait(u64),
    /// Must wait for `proc` (which waits for `mode` here and holds a mode we
    /// want) while `proc` waits for a mode we hold: a deadlock found without
    /// the detector (PostgreSQL's early deadlock in `ProcSleep`).
    EarlyDeadlock {
        proc: usize,
        mode: LockMode,
    },
}

/// The lock-manager regions of one mapping.
#[derive(Clone, Copy)]
pub(super) struct LockTable<'a> {
    pub shared: &'a LmgrShared,
    pub slots: &'a [LockSlot],
    pub procs: &'a [LmgrProc],
}

pub(super) fn partition_of(hash: u64) -> usize {
    (hash % NUM_LOCK_PARTITIONS as u64) as usize
}

fn bucket_of(hash: u64) -> usize {
    partition_of(hash) * BUCKETS_PER_PARTITION
        + ((hash / NUM_LOCK_PARTITIONS as u64) % BUCKETS_PER_PARTITION as u64) as usize
}

impl<'a> LockTable<'a> {
    /// The lock-manager regions of `shmem`.
    pub fn of(shmem: &'a SharedMemory) -> LockTable<'a> {
        LockTable {
            shared: &shmem.region(RegionId::LmgrShared)[0],
            slots: shmem.region(RegionId::LockSlots),
            procs: shmem.region(RegionId::LmgrProcs),
        }
    }

    pub fn partition_lock(&self, p: usize) -> &'a LWLock {
        &self.shared.partition_locks[p].lock
    }

    fn slot(&self, idx: u32) -> &'a LockSlot {
        &self.slots[idx as usize]
    }

    pub fn view(&self, idx: u32) -> EntryView {
        let s = self.slot(idx);
        EntryView {
            idx,
            proc: s.proc.load(Relaxed) as usize,
            granted: s.granted.load(Relaxed),
            wait_mode: LockMode::from_number(s.wait_mode.load(Relaxed)),
            wait_seq: s.wait_seq.load(Relaxed),
            wait_start: s.wait_start.load(Relaxed),
        }
    }

    pub fn tag_words(&self, idx: u32) -> [u64; 3] {
        self.slot(idx).tag.each_ref().map(|w| w.load(Relaxed))
    }

    /// Entries of the chain of bucket `bucket` (partition lock held).
    fn chain(&self, bucket: usize) -> impl Iterator<Item = u32> + use<'a> {
        let slots = self.slots;
        let mut next = self.shared.buckets[bucket].load(Relaxed);
        std::iter::from_fn(move || {
            let idx = next.checked_sub(1)?;
            next = slots.get(idx as usize)?.next.load(Relaxed);
            Some(idx)
        })
    }

    /// Every entry of the partition (partition lock held, shared is enough).
    pub fn partition_entries(&self, p: usize) -> impl Iterator<Item = u32> + use<'a> {
        let this: LockTable<'a> = *self;
        (p * BUCKETS_PER_PARTITION..(p + 1) * BUCKETS_PER_PARTITION)
            .flat_map(move |b| this.chain(b))
    }

    /// The entries of every backend on the tag (partition lock held).
    pub fn entries_of(&self, words: [u64; 3], hash: u64) -> Vec<EntryView> {
        self.chain(bucket_of(hash))
            .filter(|&i| self.tag_words(i) == words)
            .map(|i| self.view(i))
            .collect()
    }

    /// This backend's entry on the tag, if any (partition lock held).
    pub fn find(&self, words: [u64; 3], hash: u64, proc: usize) -> Option<u32> {
        self.chain(bucket_of(hash)).find(|&i| {
            self.tag_words(i) == words && self.slot(i).proc.load(Relaxed) as usize == proc
        })
    }

    /// A new entry for `proc` on the tag, holding and awaiting nothing, linked
    /// at the head of its bucket; `None` when the table is full (partition
    /// lock held exclusive; takes the free-list lock inside it).
    pub fn alloc(&self, words: [u64; 3], hash: u64, proc: usize) -> Option<u32> {
        let idx = {
            let _free = self.shared.free_list_lock.lock.acquire_exclusive();
            match self.shared.free_head.load(Relaxed).checked_sub(1) {
                Some(idx) => {
                    self.shared
                        .free_head
                        .store(self.slot(idx).next.load(Relaxed), Relaxed);
                    idx
                }
                None => {
                    let hw = self.shared.high_water.load(Relaxed);
                    if hw as usize >= self.slots.len() {
                        return None;
                    }
                    self.shared.high_water.store(hw + 1, Relaxed);
                    hw
                }
            }
        };
        let s = self.slot(idx);
        for (w, v) in s.tag.iter().zip(words) {
            w.store(v, Relaxed);
        }
        s.proc.store(proc as u32, Relaxed);
        s.granted.store(0, Relaxed);
        s.wait_mode.store(0, Relaxed);
        s.wait_seq.store(0, Relaxed);
        s.wait_start.store(0, Relaxed);
        let head = &self.shared.buckets[bucket_of(hash)];
        s.next.store(head.load(Relaxed), Relaxed);
        head.store(idx + 1, Relaxed);
        Some(idx)
    }

    /// Unlinks entry `idx` of the tag from its bucket and returns it to the
    /// free list (partition lock held exclusive).
    pub fn free(&self, hash: u64, idx: u32) {
        let s = self.slot(idx);
        let after = s.next.load(Relaxed);
        let head = &self.shared.buckets[bucket_of(hash)];
        if head.load(Relaxed) == idx + 1 {
            head.store(after, Relaxed);
        } else if let Some(prev) = self
            .chain(bucket_of(hash))
            .find(|&i| self.slot(i).next.load(Relaxed) == idx + 1)
        {
            self.slot(prev).next.store(after, Relaxed);
        } else {
            debug_assert!(false, "lock entry {idx} is not in its bucket");
            return;
        }
        for w in &s.tag {
            w.store(0, Relaxed);
        }
        s.proc.store(0, Relaxed);
        s.granted.store(0, Relaxed);
        s.wait_mode.store(0, Relaxed);
        s.wait_seq.store(0, Relaxed);
        s.wait_start.store(0, Relaxed);
        let _free = self.shared.free_list_lock.lock.acquire_exclusive();
        s.next.store(self.shared.free_head.load(Relaxed), Relaxed);
        self.shared.free_head.store(idx + 1, Relaxed);
    }

    /// Frees entry `idx` if it neither holds nor awaits anything.
    pub fn free_if_unused(&self, hash: u64, idx: u32) {
        let s = self.slot(idx);
        if s.granted.load(Relaxed) == 0 && s.wait_mode.load(Relaxed) == 0 {
            self.free(hash, idx);
        }
    }

    pub fn set_granted(&self, idx: u32, granted: u32) {
        self.slot(idx).granted.store(granted, Relaxed);
    }

    /// Whether `mode` can be granted to the owner of entry `me` now, and if
    /// not where it queues (partition lock held exclusive).
    ///
    /// Granted at once when compatible with every mode granted to *other*
    /// backends and with every mode other backends are waiting for (so a
    /// stream of weak requests cannot starve a queued strong one). Otherwise,
    /// if this backend already holds modes on the lock that a queued waiter
    /// W is waiting for (W would wait for us forever if we queued behind it),
    /// we go just before the first such W, or are granted at once if nothing
    /// granted to others and nothing queued before W conflicts; and if we in
    /// turn need a mode W holds, that is a deadlock without any waiting.
    pub fn decide(
        &self,
        words: [u64; 3],
        hash: u64,
        me: u32,
        mode: LockMode,
        may_wait: bool,
    ) -> Decision {
        let mine = self.view(me);
        let others: Vec<EntryView> = self
            .entries_of(words, hash)
            .into_iter()
            .filter(|e| e.idx != me)
            .collect();
        let others_granted = others.iter().fold(0, |m, e| m | e.granted);
        let mut waiters: Vec<EntryView> = others
            .iter()
            .filter(|e| e.wait_mode.is_some())
            .copied()
            .collect();
        waiters.sort_by_key(|e| (e.wait_seq, e.proc));
        let wait_mask = waiters
            .iter()
            .fold(0, |m, e| m | e.wait_mode.map_or(0, LockMode::bit));
        let conflicts = mode.conflict_mask();
        if conflicts & (others_granted | wait_mask) == 0 {
            return Decision::Grant;
        }
        if !may_wait {
            return Decision::WouldWait;
        }
        if mine.granted != 0 {
            let mut ahead = 0;
            for w in &waiters {
                let Some(w_mode) = w.wait_mode else { continue };
                if w_mode.conflict_mask() & mine.granted != 0 {
                    if conflicts & w.granted != 0 {
                        return Decision::EarlyDeadlock {
                            proc: w.proc,
                            mode: w_mode,
                        };
                    }
                    if conflicts & (ahead | others_granted) == 0 {
                        return Decision::Grant;
                    }
                    return Decision::Wait(w.wait_seq - 1);
                }
                ahead |= w_mode.bit();
            }
        }
        Decision::Wait(self.shared.wait_seq.fetch_add(SEQ_STEP, Relaxed) + SEQ_STEP)
    }

    /// Puts entry `idx` (owned by `proc`) in the wait queue for `mode`
    /// (partition lock held exclusive).
    pub fn enqueue(&self, idx: u32, proc: usize, mode: LockMode, seq: u64, now: i64) {
        let s = self.slot(idx);
        s.wait_mode.store(mode.number(), Relaxed);
        s.wait_seq.store(seq, Relaxed);
        s.wait_start.store(now, Relaxed);
        let p = &self.procs[proc];
        p.wait_entry.store(idx + 1, Relaxed);
        p.wait_status.store(wait_status::WAITING, Release);
    }

    /// Takes entry `idx` out of the wait queue without granting (partition
    /// lock held exclusive); frees it if it holds nothing, then grants what
    /// its leaving unblocks.
    pub fn dequeue(&self, words: [u64; 3], hash: u64, idx: u32, proc: usize) {
        let s = self.slot(idx);
        s.wait_mode.store(0, Relaxed);
        s.wait_seq.store(0, Relaxed);
        s.wait_start.store(0, Relaxed);
        let p = &self.procs[proc];
        p.wait_entry.store(0, Relaxed);
        p.wait_status.store(wait_status::IDLE, Relaxed);
        self.free_if_unused(hash, idx);
        self.wake_waiters(words, hash);
    }

    /// Grants, in queue order, every waiter on the tag whose mode conflicts
    /// neither with the modes granted to others nor with the modes of the
    /// waiters that stay queued before it, and wakes their owners (partition
    /// lock held exclusive). PostgreSQL's `ProcLockWakeup`: the grant is
    /// made here, on the waiter's behalf, so a woken waiter has nothing to
    /// re-check.
    pub fn wake_waiters(&self, words: [u64; 3], hash: u64) {
        let mut entries = self.entries_of(words, hash);
        let mut order: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].wait_mode.is_some())
            .collect();
        order.sort_by_key(|&i| (entries[i].wait_seq, entries[i].proc));
        let mut ahead = 0;
        for i in order {
            let Some(mode) = entries[i].wait_mode else {
                continue;
            };
            let me = entries[i].idx;
            let others_granted = entries
                .iter()
                .filter(|e| e.idx != me)
                .fold(0, |m, e| m | e.granted);
            if mode.conflict_mask() & (ahead | others_granted) != 0 {
                ahead |= mode.bit();
                continue;
            }
            entries[i].granted |= mode.bit();
            entries[i].wait_mode = None;
            let s = self.slot(me);
            s.granted.store(entries[i].granted, Relaxed);
            s.wait_mode.store(0, Relaxed);
            s.wait_seq.store(0, Relaxed);
            s.wait_start.store(0, Relaxed);
            let p = &self.procs[entries[i].proc];
            p.wait_entry.store(0, Relaxed);
            p.wait_status.store(wait_status::GRANTED, Release);
            super::futex_wake(&p.wait_status);
        }
    }

    /// The wait status word of `proc` (its futex).
    pub fn wait_status(&self, proc: usize) -> u32 {
        self.procs[proc].wait_status.load(Acquire)
    }
}
