//! The buffer mapping table: which buffer holds a given [`BufferTag`]
//! (PostgreSQL's `buf_table.c`).
//!
//! A fixed-size hash table in shared memory, split into
//! [`NUM_BUFFER_PARTITIONS`] partitions. A tag's hash chooses its partition
//! (low 7 bits) and its home slot inside the partition's sub-table (high bits).
//! Each partition is an open-addressing table with linear probing, guarded as a
//! whole by its partition LWLock: shared to look up, exclusive to insert or
//! delete. Probing never leaves the partition, so one lock covers every slot a
//! lookup can touch.
//!
//! ```text
//! hash(tag) = [ ...... home slot bits ...... | partition (7 bits) ]
//!
//! partition 5:  slot 0   1   2   3   4   5   6   7  ...
//!              [ . ][ A ][ B ][ C ][ . ][ . ][ D ][ . ]
//!                     ^home(A)=1, home(B)=1, home(C)=2: each entry sits at or
//!                      after its home, with no empty slot in between
//! ```
//!
//! Deletion shifts later entries of the probe run backwards (no tombstones),
//! so the table never degrades. Each sub-table has room for twice a partition's
//! fair share of buffers (see `ShmemLayout::mapping_slots_per_partition`); a
//! partition can overflow only if tags hash extremely unevenly, and then insert
//! reports [`MappingFull`] instead of looping.

use std::sync::atomic::Ordering;

use super::tag::BufferTag;
use crate::lwlock::{LWLockGuard, LWLockMode};
use crate::shmem::{BufferPool, MappingEntry, NUM_BUFFER_PARTITIONS};

/// The partition's sub-table is full (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingFull;

/// The partition a tag with this hash belongs to.
pub fn partition_of(hash: u32) -> usize {
    hash as usize % NUM_BUFFER_PARTITIONS
}

fn home_slot(hash: u32, slots: usize) -> usize {
    (hash as usize / NUM_BUFFER_PARTITIONS) & (slots - 1)
}

fn entry_tag(e: &MappingEntry) -> Option<BufferTag> {
    BufferTag::from_words(std::array::from_fn(|i| e.tag[i].load(Ordering::Relaxed)))
}

fn entry_buffer(e: &MappingEntry) -> Option<usize> {
    match e.buffer_plus_one.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n as usize - 1),
    }
}

fn set_entry(e: &MappingEntry, tag: Option<BufferTag>, buffer: Option<usize>) {
    if let Some(tag) = tag {
        for (w, v) in e.tag.iter().zip(tag.to_words()) {
            w.store(v, Ordering::Relaxed);
        }
    }
    e.buffer_plus_one
        .store(buffer.map_or(0, |b| b as u32 + 1), Ordering::Relaxed);
}

/// The mapping table of one pool.
#[derive(Clone, Copy)]
pub struct BufTable<'a> {
    pool: BufferPool<'a>,
}

impl<'a> BufTable<'a> {
    pub fn new(pool: BufferPool<'a>) -> BufTable<'a> {
        BufTable { pool }
    }

    /// Locks tag-hash `hash`'s partition in `mode`.
    pub fn lock_partition(&self, hash: u32, mode: LWLockMode) -> LWLockGuard<'a> {
        self.pool.partition_lock(partition_of(hash)).acquire(mode)
    }

    fn check_guard(&self, hash: u32, guard: &LWLockGuard<'_>, exclusive: bool) {
        debug_assert!(
            guard.holds(self.pool.partition_lock(partition_of(hash))),
            "wrong partition lock"
        );
        debug_assert!(
            !exclusive || guard.mode() == LWLockMode::Exclusive,
            "partition lock must be exclusive"
        );
    }

    /// The buffer holding `tag`, if any. Caller holds the partition lock (any mode).
    pub fn lookup(&self, tag: &BufferTag, hash: u32, guard: &LWLockGuard<'_>) -> Option<usize> {
        self.check_guard(hash, guard, false);
        let slots = self.pool.partition_slots(partition_of(hash));
        let mut i = home_slot(hash, slots.len());
        for _ in 0..slots.len() {
            let e = &slots[i];
            let buffer = entry_buffer(e)?;
            if entry_tag(e).as_ref() == Some(tag) {
                return Some(buffer);
            }
            i = (i + 1) & (slots.len() - 1);
        }
        None
    }

    /// Maps `tag` to `buffer` unless `tag` is already mapped, in which case it
    /// returns `Ok(Some(existing))` and changes nothing (PostgreSQL's
    /// `BufTableInsert`). Caller holds the partition lock exclusive.
    pub fn insert(
        &self,
        tag: &BufferTag,
        hash: u32,
        buffer: usize,
        guard: &LWLockGuard<'_>,
    ) -> Result<Option<usize>, MappingFull> {
        self.check_guard(hash, guard, true);
        let slots = self.pool.partition_slots(partition_of(hash));
        let mut i = home_slot(hash, slots.len());
        for _ in 0..slots.len() {
            let e = &slots[i];
            match entry_buffer(e) {
                None => {
                    set_entry(e, Some(*tag), Some(buffer));
                    return Ok(None);
                }
                Some(existing) if entry_tag(e).as_ref() == Some(tag) => return Ok(Some(existing)),
                Some(_) => i = (i + 1) & (slots.len() - 1),
            }
        }
        Err(MappingFull)
    }

    /// Removes `tag`'s entry; returns whether there was one. Caller holds the
    /// partition lock exclusive.
    pub fn delete(&self, tag: &BufferTag, hash: u32, guard: &LWLockGuard<'_>) -> bool {
        self.check_guard(hash, guard, true);
        let slots = self.pool.partition_slots(partition_of(hash));
        let mask = slots.len() - 1;
        let mut hole = home_slot(hash, slots.len());
        let mut found = false;
        for _ in 0..slots.len() {
            let e = &slots[hole];
            if entry_buffer(e).is_none() {
                return false;
            }
            if entry_tag(e).as_ref() == Some(tag) {
                found = true;
                break;
            }
            hole = (hole + 1) & mask;
        }
        if !found {
            return false;
        }
        // Backward-shift: pull later entries of the run into the hole when the
        // hole lies on their way from their home slot.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let e = &slots[j];
            let Some(buffer) = entry_buffer(e) else { break };
            let Some(etag) = entry_tag(e) else { break };
            let home = home_slot(etag.hash(), slots.len());
            // Distance from home to j and from home to the hole, cyclically.
            let dist_j = j.wrapping_sub(home) & mask;
            let dist_hole = hole.wrapping_sub(home) & mask;
            if dist_hole < dist_j {
                set_entry(&slots[hole], Some(etag), Some(buffer));
                hole = j;
            }
        }
        set_entry(&slots[hole], None, None);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::tag::{ForkNumber, RelFileLocator};
    use crate::shmem::{SharedMemory, ShmemLayout};

    fn tag(rel: u32, block: u32) -> BufferTag {
        BufferTag::new(
            RelFileLocator {
                spc_oid: 1663,
                db_oid: 5,
                rel_number: rel,
            },
            ForkNumber::Main,
            block,
        )
    }

    #[test]
    fn insert_lookup_delete_with_collisions() {
        let shm = SharedMemory::create(ShmemLayout::new(1, 16), 1, 0).expect("create");
        let table = BufTable::new(shm.buffer_pool());
        // Fill one partition well past a few collisions: find tags hashing to partition 0.
        let tags: Vec<BufferTag> = (0..10_000)
            .map(|b| tag(1, b))
            .filter(|t| partition_of(t.hash()) == 0)
            .take(12)
            .collect();
        let h0 = tags[0].hash();
        let g = table.lock_partition(h0, LWLockMode::Exclusive);
        for (i, t) in tags.iter().enumerate() {
            assert_eq!(table.insert(t, t.hash(), i, &g), Ok(None));
        }
        assert_eq!(
            table.insert(&tags[3], tags[3].hash(), 99, &g),
            Ok(Some(3)),
            "no duplicate"
        );
        for (i, t) in tags.iter().enumerate() {
            assert_eq!(table.lookup(t, t.hash(), &g), Some(i));
        }
        // Delete every other one; the rest must stay reachable.
        for t in tags.iter().step_by(2) {
            assert!(table.delete(t, t.hash(), &g));
            assert!(!table.delete(t, t.hash(), &g));
        }
        for (i, t) in tags.iter().enumerate() {
            let expect = if i % 2 == 0 { None } else { Some(i) };
            assert_eq!(table.lookup(t, t.hash(), &g), expect, "tag {i}");
        }
        // Fill to the brim, then overflow.
        let slots = shm.buffer_pool().partition_slots(0).len();
        let more: Vec<BufferTag> = (0..200_000)
            .map(|b| tag(2, b))
            .filter(|t| partition_of(t.hash()) == 0)
            .take(slots)
            .collect();
        let mut inserted = tags.len() / 2;
        let mut full = false;
        for t in &more {
            match table.insert(t, t.hash(), 1, &g) {
                Ok(_) => inserted += 1,
                Err(MappingFull) => {
                    full = true;
                    break;
                }
            }
        }
        assert!(full && inserted == slots);
    }
}
