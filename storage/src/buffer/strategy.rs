//! Choosing a victim buffer: the clock sweep and ring-buffer access strategies
//! (PostgreSQL's `freelist.c`).
//!
//! ## Clock sweep
//!
//! One hand, shared by all processes, walks the buffers in a circle. Each
//! buffer has a usage count (0..=5), raised by one on every first pin by a
//! backend. The hand passes over a pinned buffer; an unpinned one with a
//! non-zero count loses one life and is passed over; the first unpinned buffer
//! with count zero is the victim.
//!
//! ```text
//!                 hand
//!                  v
//!   [b0 u=2] [b1 pinned] [b2 u=0] [b3 u=1]  ...
//!     ^ decremented        ^ victim: returned with its header spinlock held
//! ```
//!
//! A full circle that meets only pinned buffers means none can be evicted:
//! the caller gets "no unpinned buffers available" rather than spinning forever.
//! The hand is a free-running 64-bit counter, so "completed passes" is just
//! `hand / buffers` (for a background writer to pace itself).
//!
//! ## Rings
//!
//! A bulk operation (a sequential scan of a large table, COPY, VACUUM) would
//! push the whole working set out of the pool while touching each page once.
//! With a [`BufferAccessStrategy`] it recycles a small private ring of buffers
//! instead:
//!
//! ```text
//! ring (BULKREAD, 32 slots)   current
//!                                v
//!   [ b7 ][ b12 ][ b3 ][ -- ][ b9 ][ ... ]
//!
//! next allocation: advance `current`; if its buffer is unpinned and its usage
//! count is <= 1 (nobody else has used it meanwhile), reuse it; otherwise take
//! a buffer from the clock sweep and put it in that ring slot.
//! ```
//!
//! Pages a ring reads come in with usage count 1 and a ring hit never raises a
//! count above 1, so ring buffers are always cheap to evict, and the working
//! set's buffers (with higher counts) survive the scan. A BULKREAD ring gives up
//! a dirty buffer whose WAL is not flushed yet rather than force a WAL flush
//! for a read-only scan ([`BufferAccessStrategy::reject`]).

use std::sync::atomic::Ordering;

use super::BufferError;
use crate::shmem::{BufferPool, buf_state};

/// Which kind of bulk access a ring serves, with PostgreSQL's ring sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    /// Large sequential scans: 256 KiB (32 buffers).
    BulkRead,
    /// COPY FROM and CREATE TABLE AS: 16 MiB (2048 buffers).
    BulkWrite,
    /// VACUUM: 256 KiB (32 buffers).
    Vacuum,
}

impl StrategyKind {
    /// The ring size in bytes.
    pub fn ring_bytes(self) -> usize {
        match self {
            StrategyKind::BulkRead => 256 * 1024,
            StrategyKind::BulkWrite => 16 * 1024 * 1024,
            StrategyKind::Vacuum => 256 * 1024,
        }
    }
}

/// A backend-private ring of buffers for one bulk operation
/// (PostgreSQL's `BufferAccessStrategy`). Not shared: each backend owns its own.
#[derive(Debug)]
pub struct BufferAccessStrategy {
    kind: StrategyKind,
    ring: Vec<Option<usize>>,
    current: usize,
    /// Whether the buffer last handed out came from the ring (only those may be
    /// rejected back to the ring).
    current_was_in_ring: bool,
}

impl BufferAccessStrategy {
    /// A ring of the kind's size, but never more than 1/8 of the pool (as
    /// PostgreSQL caps it) and at least one buffer.
    pub fn new(kind: StrategyKind, pool_buffers: usize) -> BufferAccessStrategy {
        let wanted = kind.ring_bytes() / super::BLCKSZ;
        Self::with_ring_size(kind, wanted.min(pool_buffers / 8).max(1))
    }

    /// A ring of exactly `buffers` slots (tests, and callers that know better).
    pub fn with_ring_size(kind: StrategyKind, buffers: usize) -> BufferAccessStrategy {
        let n = buffers.max(1);
        BufferAccessStrategy {
            kind,
            ring: vec![None; n],
            current: n - 1,
            current_was_in_ring: false,
        }
    }

    pub fn kind(&self) -> StrategyKind {
        self.kind
    }

    pub fn ring_size(&self) -> usize {
        self.ring.len()
    }

    /// The buffers now in the ring, in ring order (tests and diagnostics).
    pub fn buffers(&self) -> impl Iterator<Item = usize> + '_ {
        self.ring.iter().flatten().copied()
    }

    /// Advances to the next ring slot and offers its buffer, if it can be
    /// reused: returns it with its header spinlock held (state as locked).
    fn take_from_ring(&mut self, pool: &BufferPool<'_>) -> Option<(usize, u32)> {
        self.current = (self.current + 1) % self.ring.len();
        self.current_was_in_ring = false;
        let id = self.ring[self.current]?;
        let desc = pool.desc(id);
        let s = desc.lock_header();
        if buf_state::refcount(s) == 0 && buf_state::usage_count(s) <= 1 {
            self.current_was_in_ring = true;
            return Some((id, s));
        }
        desc.unlock_header(s);
        None
    }

    /// Puts a buffer from the clock sweep into the current ring slot.
    fn adopt(&mut self, id: usize) {
        self.ring[self.current] = Some(id);
    }

    /// Called for a dirty victim whose write-out would need a WAL flush: a
    /// BULKREAD ring drops the buffer from its ring (returns true: choose another
    /// victim) rather than flush WAL for a scan. Other kinds write it out.
    pub fn reject(&mut self, id: usize) -> bool {
        if self.kind != StrategyKind::BulkRead
            || !self.current_was_in_ring
            || self.ring[self.current] != Some(id)
        {
            return false;
        }
        self.ring[self.current] = None;
        true
    }
}

/// Chooses a victim: from the ring if the strategy has a reusable buffer, else by
/// the clock sweep. Returns the buffer with its header spinlock held, unpinned.
pub(crate) fn get_victim(
    pool: &BufferPool<'_>,
    mut strategy: Option<&mut BufferAccessStrategy>,
) -> Result<(usize, u32), BufferError> {
    if let Some(st) = strategy.as_deref_mut()
        && let Some(found) = st.take_from_ring(pool)
    {
        return Ok(found);
    }
    let n = pool.len();
    let control = pool.strategy();
    let mut tries = n;
    loop {
        let hand = control.next_victim.fetch_add(1, Ordering::Relaxed);
        let id = (hand % n as u64) as usize;
        let desc = pool.desc(id);
        let s = desc.lock_header();
        if buf_state::refcount(s) == 0 {
            if buf_state::usage_count(s) > 0 {
                desc.unlock_header(s - buf_state::USAGECOUNT_ONE);
                tries = n;
            } else {
                control.allocations.fetch_add(1, Ordering::Relaxed);
                if let Some(st) = strategy {
                    st.adopt(id);
                }
                return Ok((id, s));
            }
        } else {
            desc.unlock_header(s);
            tries -= 1;
            if tries == 0 {
                return Err(BufferError::NoUnpinnedBuffers);
            }
        }
    }
}

/// Where the clock hand is and how many full passes it has made
/// (a background writer's pacing input).
pub fn sweep_position(pool: &BufferPool<'_>) -> (usize, u64) {
    let hand = pool.strategy().next_victim.load(Ordering::Relaxed);
    let n = pool.len().max(1) as u64;
    ((hand % n) as usize, hand / n)
}
