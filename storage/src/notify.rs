//! The asynchronous notification queue in shared memory (the shared half of
//! PostgreSQL's `commands/async.c`: `AsyncQueueControl` and the pg_notify
//! SLRU).
//!
//! A committing transaction that ran NOTIFY appends its notifications, each
//! with the sender's pid and database, at the queue's head. Every listening
//! backend has a position in the queue: it reads the entries between its
//! position and the head (when it is idle or at the end of a transaction),
//! keeps those of its database whose channel it listens on, and moves its
//! position to the head. The tail is the smallest position of a registered
//! listener (the head when nobody listens): the space before it is free.
//!
//! ```text
//!  words (a ring of QUEUE_WORDS u64, positions grow forever, index = pos % QUEUE_WORDS)
//!
//!     tail (min of listener positions)            head (next append)
//!       v                                           v
//!  ... [entry][entry][entry][entry][entry][entry]  [free ..................]
//!              ^ listener A's pos   ^ listener B's pos
//!
//!  entry: word 0  total words (low 32 bits) | sender pid (high 32 bits)
//!         word 1  database oid (low 32 bits) | channel length in bytes (high)
//!         word 2  payload length in bytes
//!         then the channel bytes and the payload bytes, zero-padded to a word
//! ```
//!
//! Access rules:
//! 1. `NotifyControl::lock` guards the head, the listener slots and the queue
//!    words. Appending takes it exclusive, and the caller may hold it across
//!    its commit (see [`NotifyQueue::begin_append`]) so that notifications
//!    are queued in commit order and the room checked before the commit is
//!    still there after it. Reading takes it shared.
//! 2. A listener slot (indexed like the ProcArray) is written only by its own
//!    backend: registered at the commit of its first LISTEN, unregistered when
//!    it stops listening or exits; its position moves only forward.
//! 3. A reader never reads past the head it saw under the lock, and a writer
//!    never writes before the tail it computed under the exclusive lock, so a
//!    reader sees only complete entries.
//!
//! How we differ from PostgreSQL: the queue is a bounded ring in shared memory
//! (8 MiB) instead of an 8 GB SLRU on disk, so "too many notifications in the
//! NOTIFY queue" comes sooner when a listener stops reading. Entries are
//! written after the commit record (with the queue lock held from before the
//! commit), so they carry no xid and readers need not check commit status.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use crate::lwlock::{LWLock, LWLockGuard};
use crate::shmem::{RegionId, SharedMemory, ShmemSafe};

/// Words of the queue ring: 8 MiB.
pub const QUEUE_WORDS: usize = 1 << 20;
/// PostgreSQL's `NOTIFY_PAYLOAD_MAX_LENGTH` (BLCKSZ - NAMEDATALEN - 128): a
/// payload must be shorter.
pub const NOTIFY_PAYLOAD_MAX_LENGTH: usize = 8000;
const HEADER_WORDS: usize = 3;
/// A listener of another database this far behind the head is signalled
/// too, to move on (an eighth of the ring).
pub const LAGGING_WORDS: u64 = (QUEUE_WORDS / 8) as u64;

/// Queue control, one per segment. All-zero is an empty queue.
///
/// Locking: `lock` guards `head` (see the module doc's access rules).
#[repr(C, align(64))]
pub struct NotifyControl {
    lock: LWLock,
    /// Position of the next entry (words since the segment was made).
    head: AtomicU64,
}

// SAFETY: repr(C), an LWLock (one atomic, zero = unlocked) and an atomic.
unsafe impl ShmemSafe for NotifyControl {}

/// One backend's place in the queue, indexed like the ProcArray.
///
/// Locking: written only by the backend owning the ProcArray slot, with
/// `NotifyControl::lock` held (exclusive to register or unregister, shared
/// to advance `pos`); read by others under the lock.
#[repr(C)]
pub struct NotifyListener {
    /// The listening backend's pid, 0 when the slot does not listen.
    pid: AtomicI32,
    database_oid: AtomicU32,
    /// The first entry this backend has not read yet.
    pos: AtomicU64,
}

// SAFETY: repr(C), atomics only; all-zero is a slot that does not listen.
unsafe impl ShmemSafe for NotifyListener {}

/// A notification read from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub pid: i32,
    pub database_oid: u32,
    pub channel: String,
    pub payload: String,
}

/// The queue of a segment.
#[derive(Clone, Copy)]
pub struct NotifyQueue<'a> {
    control: &'a NotifyControl,
    listeners: &'a [NotifyListener],
    words: &'a [AtomicU64],
}

impl std::fmt::Debug for NotifyQueue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyQueue")
            .field("head", &self.control.head.load(Ordering::Relaxed))
            .finish()
    }
}

/// Words an entry of `channel` and `payload` takes.
pub fn entry_words(channel: &str, payload: &str) -> usize {
    HEADER_WORDS + (channel.len() + payload.len()).div_ceil(8)
}

impl<'a> NotifyQueue<'a> {
    pub fn new(shmem: &'a SharedMemory) -> NotifyQueue<'a> {
        NotifyQueue {
            control: &shmem.region::<NotifyControl>(RegionId::NotifyControl)[0],
            listeners: shmem.region::<NotifyListener>(RegionId::NotifyListeners),
            words: shmem.region::<AtomicU64>(RegionId::NotifyQueue),
        }
    }

    /// The oldest position a listener still needs; caller holds the lock.
    fn tail(&self) -> u64 {
        let head = self.control.head.load(Ordering::Acquire);
        self.listeners
            .iter()
            .filter(|l| l.pid.load(Ordering::Acquire) != 0)
            .map(|l| l.pos.load(Ordering::Acquire))
            .min()
            .unwrap_or(head)
            .min(head)
    }

    /// Makes slot `slot` a listener from the head on (the commit of its first
    /// LISTEN); nothing if it already is one.
    pub fn register(&self, slot: usize, pid: i32, database_oid: u32) {
        let Some(l) = self.listeners.get(slot) else {
            return;
        };
        let _g = self.control.lock.acquire_exclusive();
        if l.pid.load(Ordering::Acquire) == pid {
            return;
        }
        l.pos
            .store(self.control.head.load(Ordering::Acquire), Ordering::Release);
        l.database_oid.store(database_oid, Ordering::Release);
        l.pid.store(pid, Ordering::Release);
    }

    /// Slot `slot` listens no more (UNLISTEN of its last channel, session
    /// end, or a new backend taking the slot): its unread entries are free.
    pub fn unregister(&self, slot: usize) {
        let Some(l) = self.listeners.get(slot) else {
            return;
        };
        if l.pid.load(Ordering::Acquire) == 0 {
            return;
        }
        let _g = self.control.lock.acquire_exclusive();
        l.pid.store(0, Ordering::Release);
        l.database_oid.store(0, Ordering::Release);
        l.pos.store(0, Ordering::Release);
    }

    /// Whether slot `slot` is a registered listener.
    pub fn is_registered(&self, slot: usize) -> bool {
        self.listeners
            .get(slot)
            .is_some_and(|l| l.pid.load(Ordering::Acquire) != 0)
    }

    /// The fraction of the queue taken by entries some listener has not read
    /// (`pg_notification_queue_usage`).
    pub fn usage(&self) -> f64 {
        let _g = self.control.lock.acquire_shared();
        let used = self.control.head.load(Ordering::Acquire) - self.tail();
        used as f64 / QUEUE_WORDS as f64
    }

    /// Takes the queue lock exclusive for an append; the caller may hold the
    /// returned guard across its commit (access rule 1).
    pub fn begin_append(&self) -> NotifyAppend<'a> {
        NotifyAppend {
            queue: *self,
            _guard: self.control.lock.acquire_exclusive(),
        }
    }

    /// The entries after slot `slot`'s position, of every database (the
    /// caller keeps its own database's); the position moves to the head.
    /// Nothing if the slot does not listen.
    pub fn read(&self, slot: usize) -> Vec<Notification> {
        let Some(l) = self.listeners.get(slot) else {
            return Vec::new();
        };
        if l.pid.load(Ordering::Acquire) == 0 {
            return Vec::new();
        }
        // Cheap test without the lock: nothing new.
        let pos = l.pos.load(Ordering::Acquire);
        if pos == self.control.head.load(Ordering::Acquire) {
            return Vec::new();
        }
        let _g = self.control.lock.acquire_shared();
        let head = self.control.head.load(Ordering::Acquire);
        let mut out = Vec::new();
        let mut p = pos;
        while p < head {
            let w0 = self.word(p);
            let w1 = self.word(p + 1);
            let w2 = self.word(p + 2);
            let total = w0 & 0xffff_ffff;
            if total < HEADER_WORDS as u64 {
                // A broken invariant: skip to the head rather than loop.
                tracing::warn!("corrupted NOTIFY queue entry at position {p}");
                break;
            }
            let channel_len = (w1 >> 32) as usize;
            let payload_len = w2 as usize;
            let mut bytes = Vec::with_capacity((total as usize - HEADER_WORDS) * 8);
            for i in HEADER_WORDS as u64..total {
                bytes.extend_from_slice(&self.word(p + i).to_le_bytes());
            }
            let channel_end = channel_len.min(bytes.len());
            let payload_end = (channel_len + payload_len).min(bytes.len());
            out.push(Notification {
                pid: (w0 >> 32) as u32 as i32,
                database_oid: (w1 & 0xffff_ffff) as u32,
                channel: String::from_utf8_lossy(&bytes[..channel_end]).into_owned(),
                payload: String::from_utf8_lossy(&bytes[channel_end..payload_end]).into_owned(),
            });
            p += total;
        }
        l.pos.store(head, Ordering::Release);
        out
    }

    fn word(&self, pos: u64) -> u64 {
        self.words[(pos % QUEUE_WORDS as u64) as usize].load(Ordering::Acquire)
    }
}

/// The queue locked for an append (see [`NotifyQueue::begin_append`]).
pub struct NotifyAppend<'a> {
    queue: NotifyQueue<'a>,
    _guard: LWLockGuard<'a>,
}

impl std::fmt::Debug for NotifyAppend<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyAppend").finish()
    }
}

impl NotifyAppend<'_> {
    /// Whether entries of `words` words in all fit before the tail.
    pub fn fits(&self, words: usize) -> bool {
        let q = &self.queue;
        let used = q.control.head.load(Ordering::Acquire) - q.tail();
        used + words as u64 <= QUEUE_WORDS as u64
    }

    /// Appends the notifications (the caller checked [`Self::fits`]) and
    /// returns the pids of the other listeners of `database_oid`, to be
    /// signalled, and of listeners of other databases that lag more than
    /// [`LAGGING_WORDS`] behind the head (so that they read past entries
    /// they will skip, and the tail moves, as PostgreSQL's `SignalBackends`
    /// wakes lagging backends). Notifications that do not fit are dropped
    /// with a warning.
    pub fn append(
        &self,
        pid: i32,
        database_oid: u32,
        notifications: &[(String, String)],
        my_slot: usize,
    ) -> Vec<i32> {
        let q = &self.queue;
        let mut head = q.control.head.load(Ordering::Acquire);
        let mut tail = q.tail();
        for (channel, payload) in notifications {
            let total = entry_words(channel, payload);
            if head - tail + total as u64 > QUEUE_WORDS as u64 {
                tail = q.tail();
                if head - tail + total as u64 > QUEUE_WORDS as u64 {
                    tracing::warn!("NOTIFY queue is full: notification on \"{channel}\" dropped");
                    continue;
                }
            }
            let mut bytes = Vec::with_capacity((total - HEADER_WORDS) * 8);
            bytes.extend_from_slice(channel.as_bytes());
            bytes.extend_from_slice(payload.as_bytes());
            bytes.resize((total - HEADER_WORDS) * 8, 0);
            let header = [
                total as u64 | (u64::from(pid as u32) << 32),
                u64::from(database_oid) | ((channel.len() as u64) << 32),
                payload.len() as u64,
            ];
            let set = |pos: u64, v: u64| {
                q.words[(pos % QUEUE_WORDS as u64) as usize].store(v, Ordering::Release)
            };
            for (i, w) in header.iter().enumerate() {
                set(head + i as u64, *w);
            }
            for (i, chunk) in bytes.chunks_exact(8).enumerate() {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                set(head + (HEADER_WORDS + i) as u64, u64::from_le_bytes(b));
            }
            head += total as u64;
        }
        q.control.head.store(head, Ordering::Release);
        q.listeners
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                *i != my_slot
                    && l.pid.load(Ordering::Acquire) != 0
                    && (l.database_oid.load(Ordering::Acquire) == database_oid
                        || head - l.pos.load(Ordering::Acquire) > LAGGING_WORDS)
            })
            .map(|(_, l)| l.pid.load(Ordering::Acquire))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shmem::ShmemLayout;

    #[test]
    fn append_read_and_tail() {
        let shmem = SharedMemory::create(ShmemLayout::new(4, 16), std::process::id() as i32, 0)
            .expect("segment");
        let q = NotifyQueue::new(&shmem);
        assert_eq!(q.usage(), 0.0);
        // Nobody listens: appended entries are free at once.
        q.begin_append()
            .append(10, 5, &[("a".into(), "x".into())], 0);
        assert_eq!(q.usage(), 0.0);
        q.register(1, 11, 5);
        q.register(2, 12, 6);
        let pids = q.begin_append().append(
            10,
            5,
            &[
                ("chan".into(), "payload longer than a word".into()),
                ("b".into(), String::new()),
            ],
            0,
        );
        assert_eq!(pids, vec![11]);
        assert!(q.usage() > 0.0);
        let got = q.read(1);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].channel, "chan");
        assert_eq!(got[0].payload, "payload longer than a word");
        assert_eq!(got[0].pid, 10);
        assert_eq!(got[1].channel, "b");
        assert_eq!(got[1].payload, "");
        assert!(q.read(1).is_empty());
        // Slot 2 has not read: the space stays used until it leaves.
        assert!(q.usage() > 0.0);
        q.unregister(2);
        assert_eq!(q.usage(), 0.0);
    }

    #[test]
    fn lagging_listener_of_another_database_is_signalled() {
        let shmem = SharedMemory::create(ShmemLayout::new(4, 16), std::process::id() as i32, 0)
            .expect("segment");
        let q = NotifyQueue::new(&shmem);
        q.register(1, 11, 5);
        q.register(2, 12, 6);
        let payload = "p".repeat(7999);
        let mut signalled = Vec::new();
        while q.control.head.load(Ordering::Acquire) <= LAGGING_WORDS {
            signalled = q
                .begin_append()
                .append(10, 5, &[("c".into(), payload.clone())], 0);
            assert!(!q.read(1).is_empty());
        }
        assert_eq!(signalled, vec![11, 12]);
        // Slot 2 reads past the other database's entries: the space is free.
        assert_eq!(
            q.read(2).len() as u64 * entry_words("c", &payload) as u64,
            q.control.head.load(Ordering::Acquire)
        );
        assert_eq!(q.usage(), 0.0);
    }

    #[test]
    fn full_queue_and_wrap() {
        let shmem = SharedMemory::create(ShmemLayout::new(4, 16), std::process::id() as i32, 0)
            .expect("segment");
        let q = NotifyQueue::new(&shmem);
        q.register(1, 11, 5);
        let payload = "p".repeat(7999);
        let words = entry_words("c", &payload);
        let n = QUEUE_WORDS / words;
        for _ in 0..n {
            let a = q.begin_append();
            assert!(a.fits(words));
            a.append(10, 5, &[("c".into(), payload.clone())], 0);
        }
        assert!(!q.begin_append().fits(words));
        assert_eq!(q.read(1).len(), n);
        // Past the ring's end: entries wrap.
        for i in 0..3 {
            let a = q.begin_append();
            assert!(a.fits(words));
            a.append(10, 5, &[("c".into(), format!("{i}{payload}"))], 0);
        }
        let got = q.read(1);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].payload, format!("2{payload}"));
    }
}
