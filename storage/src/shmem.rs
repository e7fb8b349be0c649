//! The shared-memory segment: creation by the postmaster, attachment by children,
//! and the safe views over the structures inside it.
//!
//! Every process maps the segment at a different address, so nothing inside is a
//! pointer: structures are found by offsets recorded in the header. Every structure
//! is `#[repr(C)]` and made only of atomics (or plain data written once before any
//! child exists), so a shared reference to it is sound from any process.
//!
//! ```text
//! offset 0
//! +--------------------------------+  ShmemHeader: magic, layout version, sizes,
//! | header                         |  the offset of every region below
//! +--------------------------------+  (each region starts on a 64-byte line)
//! | ProcArray  [ProcSlot; slots]   |  one per backend slot
//! +--------------------------------+
//! | buffer descriptors             |  [BufferDesc; buffers], 64 bytes each:
//! |                                |  tag, state word, content lock, I/O lock
//! +--------------------------------+
//! | mapping partition locks        |  [PaddedLWLock; NUM_BUFFER_PARTITIONS]
//! +--------------------------------+
//! | buffer mapping table           |  [MappingEntry; 128 * slots_per_partition]
//! |                                |  one open-addressing sub-table per partition
//! +--------------------------------+
//! | strategy control               |  the clock-sweep hand
//! +--------------------------------+  <- aligned to 4096
//! | buffer pages                   |  [[u8; BLCKSZ]; buffers]
//! +--------------------------------+
//! | subsystem regions              |  [T; count] for each [`RegionId`], typed by
//! |                                |  the owning module (transam, clog, lmgr,
//! |                                |  pgstat, predicate, xlog, notify)
//! +--------------------------------+  total_size
//! ```
//!
//! A subsystem that needs shared state declares a [`RegionId`] here with its
//! element type and count, and marks the type [`ShmemSafe`]; it then reaches its
//! slice with [`SharedMemory::region`], without `unsafe` of its own.
//!
//! All `unsafe` that touches the segment is in this module. Buffer pages are the
//! one region that is not made of atomics: their bytes are read and written only
//! through [`PageReadGuard`] / [`PageWriteGuard`], which hold the buffer's content
//! lock in shared / exclusive mode for as long as they live, so a page is never
//! written while anybody else reads or writes it.

use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, Ordering};

use shared_memory::{Shmem, ShmemConf};

use crate::StorageError;
use crate::buffer::tag::{BLCKSZ, BufferTag};
use crate::lwlock::{LWLock, LWLockGuard, LWLockMode, PaddedLWLock};

/// "OXIPGSHM" in ASCII: identifies a segment made by this project.
pub const SHMEM_MAGIC: u64 = 0x4f58_4950_4753_484d;
/// Bumped whenever the layout of anything in the segment changes; a child built
/// from another layout refuses to attach.
pub const SHMEM_LAYOUT_VERSION: u32 = 7;

/// Types that may live in the segment and be reached through a shared
/// reference from any process.
///
/// # Safety
/// The implementing type must be `#[repr(C)]`, contain no pointers or
/// process-local handles, accept all-zero bytes as a valid (initial) value, and
/// be mutated only through atomics (or LWLock-protected atomics): the segment is
/// zero-filled at creation and shared by processes that never run its `Drop`.
pub unsafe trait ShmemSafe: Sized + Sync {}

// SAFETY: atomics are repr(transparent) over integers: zero is valid, no pointers.
unsafe impl ShmemSafe for AtomicU32 {}
// SAFETY: as above.
unsafe impl ShmemSafe for AtomicU64 {}
// SAFETY: an LWLock is one AtomicU32, zero = unlocked.
unsafe impl ShmemSafe for PaddedLWLock {}

/// The subsystem regions after the buffer pages, in segment order. Each has an
/// element type (named in [`RegionId::spec`]) and a count derived from the
/// [`ShmemLayout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum RegionId {
    /// Transaction-id and OID counters, ProcArrayLock ([`crate::transam::TransamShared`], 1).
    Transam,
    /// CLOG page slots ([`crate::transam::clog::ClogSlot`], `clog_buffers`).
    ClogSlots,
    /// CLOG page contents, 1024 words per slot (`AtomicU64`).
    ClogWords,
    /// Lock-manager control: partition locks, bucket heads, free list
    /// ([`crate::lmgr::LmgrShared`], 1).
    LmgrShared,
    /// The heavyweight lock table, one entry per (lock, backend) pair
    /// ([`crate::lmgr::LockSlot`], `lock_slots` = max_locks_per_transaction * proc_slots).
    LockSlots,
    /// Per-backend lock-manager state: wait futex, awaited entry, pid
    /// ([`crate::lmgr::LmgrProc`], `proc_slots`).
    LmgrProcs,
    /// Per-table activity counters ([`crate::pgstat::TableStatsSlot`], `STATS_SLOTS`).
    PgStat,
    /// SSI control: its LWLock and sequence counter ([`crate::predicate::PredicateShared`], 1).
    PredicateShared,
    /// Serializable transactions ([`crate::predicate::SerializableXactSlot`], `proc_slots * 10`).
    PredXacts,
    /// SIREAD locks and write records ([`crate::predicate::PredicateLockSlot`], `proc_slots * 64`).
    PredLocks,
    /// rw-conflict edges ([`crate::predicate::RwConflictSlot`], 5 per serializable transaction).
    RwConflicts,
    /// WAL insertion and flush positions, checkpoint requests, `pg_stat_wal`
    /// ([`crate::xlog::XlogCtl`], 1).
    XlogCtl,
    /// WAL insertion slots ([`crate::xlog::InsertSlot`], `NUM_INSERT_SLOTS`).
    XlogInsertSlots,
    /// The WAL buffers: a ring of `wal_buffers` 8 KiB pages (`AtomicU64`).
    XlogBuffers,
    /// The NOTIFY queue's head and lock ([`crate::notify::NotifyControl`], 1).
    NotifyControl,
    /// Each backend's position in the NOTIFY queue
    /// ([`crate::notify::NotifyListener`], `proc_slots`).
    NotifyListeners,
    /// The NOTIFY queue ring (`AtomicU64`, [`crate::notify::QUEUE_WORDS`]).
    NotifyQueue,
}

impl RegionId {
    pub const ALL: [RegionId; 17] = [
        RegionId::Transam,
        RegionId::ClogSlots,
        RegionId::ClogWords,
        RegionId::LmgrShared,
        RegionId::LockSlots,
        RegionId::LmgrProcs,
        RegionId::PgStat,
        RegionId::PredicateShared,
        RegionId::PredXacts,
        RegionId::PredLocks,
        RegionId::RwConflicts,
        RegionId::XlogCtl,
        RegionId::XlogInsertSlots,
        RegionId::XlogBuffers,
        RegionId::NotifyControl,
        RegionId::NotifyListeners,
        RegionId::NotifyQueue,
    ];

    /// (element size, element alignment, element count) for a layout.
    fn spec(self, l: &ShmemLayout) -> (usize, usize, usize) {
        fn of<T>(n: usize) -> (usize, usize, usize) {
            (size_of::<T>(), align_of::<T>(), n)
        }
        match self {
            RegionId::Transam => of::<crate::transam::TransamShared>(1),
            RegionId::ClogSlots => of::<crate::transam::clog::ClogSlot>(l.clog_buffers as usize),
            RegionId::ClogWords => {
                of::<AtomicU64>(l.clog_buffers as usize * crate::transam::clog::WORDS_PER_PAGE)
            }
            RegionId::LmgrShared => of::<crate::lmgr::LmgrShared>(1),
            RegionId::LockSlots => of::<crate::lmgr::LockSlot>(l.lock_slots as usize),
            RegionId::LmgrProcs => of::<crate::lmgr::LmgrProc>(l.proc_slots as usize),
            RegionId::PgStat => of::<crate::pgstat::TableStatsSlot>(crate::pgstat::STATS_SLOTS),
            RegionId::PredicateShared => of::<crate::predicate::PredicateShared>(1),
            RegionId::PredXacts => {
                of::<crate::predicate::SerializableXactSlot>(crate::predicate::xact_slots(l))
            }
            RegionId::PredLocks => {
                of::<crate::predicate::PredicateLockSlot>(crate::predicate::lock_slots(l))
            }
            RegionId::RwConflicts => {
                of::<crate::predicate::RwConflictSlot>(crate::predicate::conflict_slots(l))
            }
            RegionId::XlogCtl => of::<crate::xlog::XlogCtl>(1),
            RegionId::XlogInsertSlots => {
                of::<crate::xlog::InsertSlot>(crate::xlog::NUM_INSERT_SLOTS)
            }
            RegionId::XlogBuffers => of::<AtomicU64>(l.wal_buffers as usize * BLCKSZ / 8),
            RegionId::NotifyControl => of::<crate::notify::NotifyControl>(1),
            RegionId::NotifyListeners => of::<crate::notify::NotifyListener>(l.proc_slots as usize),
            RegionId::NotifyQueue => of::<AtomicU64>(crate::notify::QUEUE_WORDS),
        }
    }
}

const NUM_REGIONS: usize = RegionId::ALL.len();

/// The segment header, written by the postmaster before any child starts.
/// Fields other than atomics are never written after creation.
#[repr(C)]
pub struct ShmemHeader {
    magic: u64,
    layout_version: u32,
    /// Number of ProcArray slots (max_connections plus auxiliary processes).
    proc_slots: u32,
    total_size: u64,
    proc_array_offset: u64,
    /// Number of shared buffers (`shared_buffers`, in 8 KiB pages).
    buffers: u32,
    /// Slots in each buffer-mapping partition's sub-table (a power of two).
    mapping_slots_per_partition: u32,
    buffer_descs_offset: u64,
    partition_locks_offset: u64,
    mapping_offset: u64,
    strategy_offset: u64,
    pages_offset: u64,
    clog_buffers: u32,
    lock_slots: u32,
    wal_buffers: u32,
    /// Where each [`RegionId`] starts, in `RegionId::ALL` order.
    region_offsets: [u64; NUM_REGIONS],
    /// The postmaster's pid (written once).
    postmaster_pid: AtomicI32,
    /// Why the postmaster is sending SIGQUIT ([`QuitReason`]); written by the
    /// postmaster just before it signals, read by the children it signals.
    quit_reason: AtomicU32,
    /// Postmaster start time, microseconds since 2000-01-01 UTC (written once).
    postmaster_start_time: AtomicI64,
}

/// Why the postmaster sends SIGQUIT to its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum QuitReason {
    None = 0,
    /// Another child died abnormally: crash-restart.
    Crash = 1,
    /// An immediate shutdown was requested.
    ImmediateShutdown = 2,
}

/// Lifecycle of a ProcArray slot, in [`ProcSlot::state`].
pub mod slot_state {
    /// No process uses the slot.
    pub const FREE: u32 = 0;
    /// A backend has claimed the slot and is starting up (authentication).
    pub const STARTING: u32 = 1;
    /// A backend serving a session: its pid and cancel key are valid.
    pub const ACTIVE: u32 = 2;
}

/// One backend's entry in the ProcArray (PostgreSQL's PGPROC plus PGXACT).
///
/// Locking: `state` is the claim word, changed with compare-and-swap by the
/// backend that takes the slot and reset to FREE by that backend at exit (or by
/// the postmaster when it reaps the child). The other fields are written only by
/// the owning backend while it holds the slot, and read by anyone (a cancel
/// request, `pg_cancel_backend`) after an Acquire load of `state` sees ACTIVE.
#[repr(C)]
pub struct ProcSlot {
    state: AtomicU32,
    pid: AtomicI32,
    cancel_key: AtomicI32,
    database_oid: AtomicU32,
    /// Session start, microseconds since 2000-01-01 UTC.
    backend_start: AtomicI64,
    /// Top-level transaction id, 0 when none (the storage issue fills it in).
    xid: AtomicU64,
    /// Oldest xid this backend's snapshots can see, 0 when none.
    xmin: AtomicU64,
    /// How many transactions this slot's backends have ended: a waiter that
    /// saw a value sees it change when that transaction is over (PostgreSQL
    /// waits on the virtual transaction id's lock instead).
    xact_ends: AtomicU64,
}

/// What identifies a live session in the ProcArray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub slot: usize,
    pub pid: i32,
    pub cancel_key: i32,
    pub database_oid: u32,
    pub backend_start: i64,
}

impl ProcSlot {
    fn info(&self, slot: usize) -> Option<ProcInfo> {
        if self.state.load(Ordering::Acquire) != slot_state::ACTIVE {
            return None;
        }
        Some(ProcInfo {
            slot,
            pid: self.pid.load(Ordering::Relaxed),
            cancel_key: self.cancel_key.load(Ordering::Relaxed),
            database_oid: self.database_oid.load(Ordering::Relaxed),
            backend_start: self.backend_start.load(Ordering::Relaxed),
        })
    }
}

/// The sizes a segment is made for, derived from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShmemLayout {
    /// ProcArray slots: `max_connections` plus the auxiliary processes.
    pub proc_slots: u32,
    /// Shared buffers: the `shared_buffers` setting, which is in 8 KiB pages.
    pub buffers: u32,
    /// CLOG pages cached in shared memory.
    pub clog_buffers: u32,
    /// Entries of the heavyweight lock table.
    pub lock_slots: u32,
    /// WAL buffers, in 8 KiB pages (`wal_buffers`).
    pub wal_buffers: u32,
}

/// Where each region starts; computed the same way by every process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Offsets {
    proc_array: usize,
    buffer_descs: usize,
    partition_locks: usize,
    mapping: usize,
    mapping_slots_per_partition: usize,
    strategy: usize,
    pages: usize,
    regions: [usize; NUM_REGIONS],
    total: usize,
}

impl ShmemLayout {
    /// The layout for `proc_slots` backends and `buffers` shared buffers, with
    /// PostgreSQL's defaults for the rest: CLOG buffers = buffers / 512 within
    /// 4..=128, `max_locks_per_transaction` (64) lock entries per slot, and WAL
    /// buffers = buffers / 32 within 1..=16 MiB (PostgreSQL's lower bound is
    /// 64 KiB; ours holds a record of up to half the ring in one piece).
    pub fn new(proc_slots: u32, buffers: u32) -> ShmemLayout {
        ShmemLayout::with_locks(proc_slots, buffers, 64)
    }

    /// As [`Self::new`] with the `max_locks_per_transaction` setting.
    pub fn with_locks(
        proc_slots: u32,
        buffers: u32,
        max_locks_per_transaction: u32,
    ) -> ShmemLayout {
        ShmemLayout {
            proc_slots,
            buffers,
            clog_buffers: (buffers / 512).clamp(4, 128),
            lock_slots: max_locks_per_transaction.max(10) * proc_slots.max(1),
            wal_buffers: (buffers / 32).clamp(128, 2048),
        }
    }

    /// Slots per mapping partition: room for twice the partition's fair share of
    /// buffers (the table briefly holds two entries for a buffer being
    /// replaced), at least 16 and a power of two so that probing can mask.
    pub fn mapping_slots_per_partition(&self) -> usize {
        let fair = (self.buffers as usize).div_ceil(NUM_BUFFER_PARTITIONS);
        (2 * fair + 8).max(16).next_power_of_two()
    }

    fn offsets(&self) -> Offsets {
        let proc_array = size_of::<ShmemHeader>().next_multiple_of(64);
        let buffer_descs =
            (proc_array + self.proc_slots as usize * size_of::<ProcSlot>()).next_multiple_of(64);
        let partition_locks =
            (buffer_descs + self.buffers as usize * size_of::<BufferDesc>()).next_multiple_of(64);
        let mapping = (partition_locks + NUM_BUFFER_PARTITIONS * size_of::<PaddedLWLock>())
            .next_multiple_of(64);
        let per_partition = self.mapping_slots_per_partition();
        let strategy = (mapping
            + NUM_BUFFER_PARTITIONS * per_partition * size_of::<MappingEntry>())
        .next_multiple_of(64);
        let pages = (strategy + size_of::<StrategyControl>()).next_multiple_of(4096);
        let mut end = pages + self.buffers as usize * BLCKSZ;
        let mut regions = [0; NUM_REGIONS];
        for (i, r) in RegionId::ALL.iter().enumerate() {
            let (size, align, count) = r.spec(self);
            regions[i] = end.next_multiple_of(align.max(64));
            end = regions[i] + size * count;
        }
        let total = end;
        Offsets {
            proc_array,
            buffer_descs,
            partition_locks,
            mapping,
            mapping_slots_per_partition: per_partition,
            strategy,
            pages,
            regions,
            total,
        }
    }

    /// Total bytes of the segment.
    pub fn total_size(&self) -> usize {
        self.offsets().total
    }
}

/// Number of buffer-mapping partitions, each with its own LWLock (PostgreSQL's
/// `NUM_BUFFER_PARTITIONS`).
pub const NUM_BUFFER_PARTITIONS: usize = 128;

/// Bits of [`BufferDesc`]'s state word, packed as PostgreSQL's `BufferDesc.state`:
///
/// ```text
///  31 ........................ 22 | 21 .. 18 | 17 ............. 0
/// +-------------------------------+----------+-------------------+
/// | flags (10 bits, incl. LOCKED) |  usage   | refcount (pins by |
/// |                               |  count   | distinct backends)|
/// +-------------------------------+----------+-------------------+
/// ```
pub mod buf_state {
    /// One shared pin (one backend, however many private pins it holds).
    pub const REFCOUNT_ONE: u32 = 1;
    pub const REFCOUNT_MASK: u32 = (1 << 18) - 1;
    pub const USAGECOUNT_SHIFT: u32 = 18;
    pub const USAGECOUNT_ONE: u32 = 1 << USAGECOUNT_SHIFT;
    pub const USAGECOUNT_MASK: u32 = 0xf << USAGECOUNT_SHIFT;
    /// The clock sweep gives a buffer at most this many lives.
    pub const MAX_USAGE_COUNT: u32 = 5;
    /// The buffer-header spinlock: held for a few instructions to change the tag
    /// or flags consistently.
    pub const LOCKED: u32 = 1 << 22;
    /// The page differs from the block on disk.
    pub const DIRTY: u32 = 1 << 23;
    /// The page holds the block's contents.
    pub const VALID: u32 = 1 << 24;
    /// The tag (and so the mapping-table entry) is meaningful.
    pub const TAG_VALID: u32 = 1 << 25;
    /// A read or write of the page is under way; others wait on the I/O lock.
    pub const IO_IN_PROGRESS: u32 = 1 << 26;
    /// The last I/O on the buffer failed.
    pub const IO_ERROR: u32 = 1 << 27;
    /// Dirtied while a write-out was under way: stays DIRTY after that write.
    pub const JUST_DIRTIED: u32 = 1 << 28;
    /// A backend waits for the pin count to drop to one (cleanup lock).
    pub const PIN_COUNT_WAITER: u32 = 1 << 29;
    /// Must be written by the checkpoint in progress.
    pub const CHECKPOINT_NEEDED: u32 = 1 << 30;
    /// Belongs to a permanent (WAL-logged) relation.
    pub const PERMANENT: u32 = 1 << 31;

    pub fn refcount(state: u32) -> u32 {
        state & REFCOUNT_MASK
    }

    pub fn usage_count(state: u32) -> u32 {
        (state & USAGECOUNT_MASK) >> USAGECOUNT_SHIFT
    }
}

/// One shared buffer's descriptor (PostgreSQL's `BufferDesc`). The buffer id is
/// its index in the descriptor array and in the page array.
///
/// Which lock guards what:
/// - `state`: atomic. Pins and usage counts change with compare-and-swap while
///   the `LOCKED` bit is clear; flags change only while holding `LOCKED` (the
///   header spinlock), which also freezes the pin count for its holder.
/// - `tag`: written only with the header spinlock held *and* the exclusive lock
///   of the mapping partitions of the old and new tags. Read with the header
///   spinlock held, or without it by a backend that has the buffer pinned and
///   saw `TAG_VALID` (a pinned buffer is never given another tag).
/// - `content_lock`: guards the page bytes. Shared to read, exclusive to write;
///   taken only by a backend holding a pin. Also held exclusive while a block is
///   read into the page and shared while the page is written out.
/// - `io_in_progress_lock`: held exclusive by the one backend doing I/O on the
///   buffer (with `IO_IN_PROGRESS` set); others wait for the I/O by taking it in
///   shared mode (PostgreSQL up to 13 did this; 14 switched to a condition
///   variable).
#[repr(C, align(64))]
pub struct BufferDesc {
    tag: [AtomicU32; 5],
    pub(crate) state: AtomicU32,
    pub(crate) content_lock: LWLock,
    pub(crate) io_in_progress_lock: LWLock,
}

const _: () = assert!(size_of::<BufferDesc>() == 64);

impl BufferDesc {
    /// Takes the header spinlock and returns the state word as locked. Spins:
    /// holders keep it for a few instructions only.
    pub fn lock_header(&self) -> u32 {
        loop {
            let old = self.state.fetch_or(buf_state::LOCKED, Ordering::Acquire);
            if old & buf_state::LOCKED == 0 {
                return old | buf_state::LOCKED;
            }
            // Wait with plain loads (no read-modify-write bouncing the
            // cache line between the waiters) until it looks free.
            self.wait_header_unlocked();
        }
    }

    /// Releases the header spinlock, storing `state` (with `LOCKED` cleared).
    pub fn unlock_header(&self, state: u32) {
        self.state
            .store(state & !buf_state::LOCKED, Ordering::Release);
    }

    /// Waits until the header spinlock is free and returns the state then.
    pub fn wait_header_unlocked(&self) -> u32 {
        let mut spins = 0u32;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if s & buf_state::LOCKED == 0 {
                return s;
            }
            spins += 1;
            if spins.is_multiple_of(1000) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// The state word now (diagnostics, and the start of compare-and-swap loops).
    pub fn load_state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// The tag; see the struct doc for when this is stable.
    pub fn tag(&self) -> Option<BufferTag> {
        BufferTag::from_words(std::array::from_fn(|i| self.tag[i].load(Ordering::Relaxed)))
    }

    /// Sets the tag. Caller holds the header spinlock and the partition locks.
    pub fn set_tag(&self, tag: BufferTag) {
        for (word, value) in self.tag.iter().zip(tag.to_words()) {
            word.store(value, Ordering::Relaxed);
        }
    }

    pub fn content_lock(&self) -> &LWLock {
        &self.content_lock
    }

    pub fn io_in_progress_lock(&self) -> &LWLock {
        &self.io_in_progress_lock
    }
}

/// One slot of the buffer mapping table: a tag and the buffer holding it.
/// `buffer_plus_one == 0` marks an empty slot, so the zero-filled segment is an
/// empty table. Read under the partition lock (shared), written under it
/// (exclusive); atomics only so that a shared reference is sound.
#[repr(C)]
pub struct MappingEntry {
    pub(crate) tag: [AtomicU32; 5],
    pub(crate) buffer_plus_one: AtomicU32,
}

/// The clock-sweep state (PostgreSQL's `BufferStrategyControl`).
///
/// `next_victim` is a free-running counter: the hand points at buffer
/// `next_victim % buffers` and `next_victim / buffers` is the number of
/// completed passes (what a background writer paces itself by). `allocations`
/// counts buffers handed out by the sweep. All atomic, no lock.
#[repr(C, align(64))]
pub struct StrategyControl {
    pub(crate) next_victim: AtomicU64,
    pub(crate) allocations: AtomicU64,
}

/// A mapping of the cluster's segment in this process.
pub struct SharedMemory {
    shmem: Shmem,
}

// SAFETY: the mapping is plain memory shared between processes; every access to it
// goes through atomics (see the module doc), so sharing the handle between threads
// adds nothing that sharing between processes does not already handle.
unsafe impl Send for SharedMemory {}
// SAFETY: as above: only atomics are read or written through `&SharedMemory`.
unsafe impl Sync for SharedMemory {}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("os_id", &self.os_id())
            .field("len", &self.shmem.len())
            .finish()
    }
}

impl SharedMemory {
    /// Creates a new segment (postmaster only) and initialises the header and ProcArray.
    /// The segment is removed when the returned value is dropped.
    pub fn create(
        layout: ShmemLayout,
        postmaster_pid: i32,
        start_time: i64,
    ) -> Result<SharedMemory, StorageError> {
        let offsets = layout.offsets();
        let size = offsets.total;
        let os_id = format!("oxipg.{}.{:08x}", postmaster_pid, rand::random::<u32>());
        let shmem = ShmemConf::new()
            .size(size)
            .os_id(&os_id)
            .create()
            .map_err(|e| {
                StorageError::Shmem(format!(
                    "could not create shared memory segment \"{os_id}\": {e}"
                ))
            })?;
        assert!(
            shmem.len() >= size,
            "shared_memory returned a short mapping"
        );
        let this = SharedMemory { shmem };
        // The segment is fresh (ftruncate fills it with zeroes) and no other process
        // knows its name yet: writing the header through the pointer races with nobody.
        let header = this.header_ptr();
        // SAFETY: `header` points at the start of a mapping of at least `size` bytes,
        // page-aligned and so aligned for ShmemHeader; no reference to it exists yet.
        unsafe {
            header.write(ShmemHeader {
                magic: SHMEM_MAGIC,
                layout_version: SHMEM_LAYOUT_VERSION,
                proc_slots: layout.proc_slots,
                total_size: size as u64,
                proc_array_offset: offsets.proc_array as u64,
                buffers: layout.buffers,
                mapping_slots_per_partition: offsets.mapping_slots_per_partition as u32,
                buffer_descs_offset: offsets.buffer_descs as u64,
                partition_locks_offset: offsets.partition_locks as u64,
                mapping_offset: offsets.mapping as u64,
                strategy_offset: offsets.strategy as u64,
                pages_offset: offsets.pages as u64,
                clog_buffers: layout.clog_buffers,
                lock_slots: layout.lock_slots,
                wal_buffers: layout.wal_buffers,
                region_offsets: offsets.regions.map(|o| o as u64),
                postmaster_pid: AtomicI32::new(postmaster_pid),
                quit_reason: AtomicU32::new(QuitReason::None as u32),
                postmaster_start_time: AtomicI64::new(start_time),
            });
        }
        // ProcSlots are all-zero = FREE, LWLocks all-zero = unlocked, buffer
        // descriptors all-zero = unpinned, no tag, not valid, mapping entries
        // all-zero = empty: the zero-filled segment needs no further setup.
        Ok(this)
    }

    /// Attaches to the segment a postmaster created and checks its header.
    pub fn attach(os_id: &str) -> Result<SharedMemory, StorageError> {
        let shmem = ShmemConf::new().os_id(os_id).open().map_err(|e| {
            StorageError::Shmem(format!(
                "could not attach to shared memory segment \"{os_id}\": {e}"
            ))
        })?;
        if shmem.len() < size_of::<ShmemHeader>() {
            return Err(StorageError::Shmem(format!(
                "shared memory segment \"{os_id}\" is too small"
            )));
        }
        let this = SharedMemory { shmem };
        let h = this.header();
        if h.magic != SHMEM_MAGIC || h.layout_version != SHMEM_LAYOUT_VERSION {
            return Err(StorageError::Shmem(format!(
                "shared memory segment \"{os_id}\" has layout {:#x}/{} but this binary expects {:#x}/{}",
                h.magic, h.layout_version, SHMEM_MAGIC, SHMEM_LAYOUT_VERSION
            )));
        }
        let o = this.layout().offsets();
        let recorded = [
            h.total_size,
            h.proc_array_offset,
            h.buffer_descs_offset,
            h.partition_locks_offset,
            h.mapping_offset,
            h.strategy_offset,
            h.pages_offset,
            u64::from(h.mapping_slots_per_partition),
        ];
        let expected = [
            o.total,
            o.proc_array,
            o.buffer_descs,
            o.partition_locks,
            o.mapping,
            o.strategy,
            o.pages,
            o.mapping_slots_per_partition,
        ]
        .map(|v| v as u64);
        if recorded != expected
            || h.region_offsets != o.regions.map(|r| r as u64)
            || this.shmem.len() < o.total
        {
            return Err(StorageError::Shmem(format!(
                "shared memory segment \"{os_id}\" has an inconsistent size"
            )));
        }
        Ok(this)
    }

    /// The operating-system name of the segment (what children get in `PG_SHMEM`).
    pub fn os_id(&self) -> &str {
        self.shmem.get_os_id()
    }

    fn header_ptr(&self) -> *mut ShmemHeader {
        const _: () = assert!(align_of::<ShmemHeader>() <= 4096);
        self.shmem.as_ptr().cast::<ShmemHeader>()
    }

    fn header(&self) -> &ShmemHeader {
        // SAFETY: the header was fully written by `create` before the segment name
        // was published, the mapping lives as long as `self`, and only atomics in it
        // change afterwards.
        unsafe { &*self.header_ptr() }
    }

    /// The postmaster's pid.
    pub fn postmaster_pid(&self) -> i32 {
        self.header().postmaster_pid.load(Ordering::Relaxed)
    }

    /// When the postmaster started, microseconds since 2000-01-01 UTC.
    pub fn postmaster_start_time(&self) -> i64 {
        self.header().postmaster_start_time.load(Ordering::Relaxed)
    }

    /// Records why children are about to get SIGQUIT.
    pub fn set_quit_reason(&self, reason: QuitReason) {
        self.header()
            .quit_reason
            .store(reason as u32, Ordering::Release);
    }

    /// Why SIGQUIT was sent (None if it did not come from the postmaster).
    pub fn quit_reason(&self) -> QuitReason {
        match self.header().quit_reason.load(Ordering::Acquire) {
            1 => QuitReason::Crash,
            2 => QuitReason::ImmediateShutdown,
            _ => QuitReason::None,
        }
    }

    /// The ProcArray.
    pub fn proc_array(&self) -> ProcArray<'_> {
        let h = self.header();
        let n = h.proc_slots as usize;
        let offset = h.proc_array_offset as usize;
        // SAFETY: `attach`/`create` checked that offset + n slots lie inside the
        // mapping; the offset is a multiple of 64 in a page-aligned mapping, so the
        // slots are aligned; ProcSlot is made of atomics only and all-zero is valid.
        let slots = unsafe {
            std::slice::from_raw_parts(self.shmem.as_ptr().add(offset).cast::<ProcSlot>(), n)
        };
        ProcArray { slots }
    }

    /// The layout this segment was made for.
    pub fn layout(&self) -> ShmemLayout {
        let h = self.header();
        ShmemLayout {
            proc_slots: h.proc_slots,
            buffers: h.buffers,
            clog_buffers: h.clog_buffers,
            lock_slots: h.lock_slots,
            wal_buffers: h.wal_buffers,
        }
    }

    /// The slice of subsystem region `id`. Panics if `T` is not the region's
    /// element type's size and alignment (a programming error caught by the
    /// first test that touches the region).
    pub fn region<T: ShmemSafe>(&self, id: RegionId) -> &[T] {
        let layout = self.layout();
        let (size, align, count) = id.spec(&layout);
        assert!(
            size == size_of::<T>() && align == align_of::<T>(),
            "region {id:?} accessed as the wrong type"
        );
        let offset = self.header().region_offsets[id as usize];
        // SAFETY: the offset was computed by `ShmemLayout::offsets` for this
        // layout and checked by `create`/`attach`, so `count` elements of `T`
        // lie inside the mapping, aligned (offset is a multiple of the
        // alignment in a page-aligned mapping); T: ShmemSafe is valid when
        // zero-filled and mutated only through atomics.
        unsafe { self.region_raw::<T>(offset, count) }
    }

    /// A typed slice of `len` elements at `offset` in the segment.
    ///
    /// # Safety
    /// `offset` must be one of the header's region offsets (checked against the
    /// layout by `create`/`attach`, so the region lies inside the mapping and is
    /// aligned for `T`), `len` its element count, and `T` a type made only of
    /// atomics for which all-zero bytes are a valid value.
    unsafe fn region_raw<T>(&self, offset: u64, len: usize) -> &[T] {
        let offset = offset as usize;
        debug_assert!(offset + len * size_of::<T>() <= self.shmem.len());
        debug_assert_eq!(offset % align_of::<T>(), 0);
        // SAFETY: per the function contract the region is in bounds, aligned,
        // initialised (zero-filled or written by `create`) and only ever accessed
        // through atomics, so shared references to it are sound for as long as
        // the mapping (`self`) lives.
        unsafe { std::slice::from_raw_parts(self.shmem.as_ptr().add(offset).cast::<T>(), len) }
    }

    /// The shared buffer pool: descriptors, mapping table, clock hand and pages.
    pub fn buffer_pool(&self) -> BufferPool<'_> {
        let h = self.header();
        let n = h.buffers as usize;
        let per_partition = h.mapping_slots_per_partition as usize;
        const _: () = assert!(align_of::<BufferDesc>() <= 64 && align_of::<PaddedLWLock>() <= 64);
        const _: () =
            assert!(align_of::<MappingEntry>() <= 64 && align_of::<StrategyControl>() <= 64);
        // SAFETY: the offsets come from the header, which `create` wrote from
        // `ShmemLayout::offsets` and `attach` checked against it; each region is
        // 64-byte aligned in a page-aligned mapping and made of atomics for
        // which zero is valid (this and the three regions below).
        let descs = unsafe { self.region_raw::<BufferDesc>(h.buffer_descs_offset, n) };
        // SAFETY: as above.
        let partition_locks = unsafe {
            self.region_raw::<PaddedLWLock>(h.partition_locks_offset, NUM_BUFFER_PARTITIONS)
        };
        // SAFETY: as above.
        let mapping = unsafe {
            self.region_raw::<MappingEntry>(h.mapping_offset, NUM_BUFFER_PARTITIONS * per_partition)
        };
        // SAFETY: as above.
        let strategy = unsafe { &self.region_raw::<StrategyControl>(h.strategy_offset, 1)[0] };
        // SAFETY: pages_offset + n * BLCKSZ <= total size (checked as above), so
        // the pointer is in bounds of the mapping and not null.
        let pages =
            unsafe { NonNull::new_unchecked(self.shmem.as_ptr().add(h.pages_offset as usize)) };
        BufferPool {
            descs,
            partition_locks,
            mapping,
            per_partition,
            strategy,
            pages,
            _segment: PhantomData,
        }
    }

    /// Turns this mapping into a non-owner so that dropping it does not remove
    /// the segment (children, and a postmaster handing over to a successor).
    pub fn disown(&mut self) {
        self.shmem.set_owner(false);
    }
}

/// The buffer pool regions of a mapped segment. Copyable handle; everything it
/// reaches is in the segment and lives as long as the [`SharedMemory`].
#[derive(Clone, Copy)]
pub struct BufferPool<'a> {
    descs: &'a [BufferDesc],
    partition_locks: &'a [PaddedLWLock],
    mapping: &'a [MappingEntry],
    per_partition: usize,
    strategy: &'a StrategyControl,
    pages: NonNull<u8>,
    _segment: PhantomData<&'a SharedMemory>,
}

// SAFETY: the pool is a view of shared memory that other processes use
// concurrently anyway; the page bytes (the only non-atomic part) are reached only
// through page guards that hold the content lock, which excludes concurrent
// writers whether they are threads or processes.
unsafe impl Send for BufferPool<'_> {}
// SAFETY: as above.
unsafe impl Sync for BufferPool<'_> {}

impl std::fmt::Debug for BufferPool<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferPool")
            .field("buffers", &self.descs.len())
            .finish()
    }
}

impl<'a> BufferPool<'a> {
    /// Number of shared buffers.
    pub fn len(&self) -> usize {
        self.descs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.descs.is_empty()
    }

    /// Descriptor of buffer `id` (panics if out of range: ids come from this pool).
    pub fn desc(&self, id: usize) -> &'a BufferDesc {
        &self.descs[id]
    }

    pub fn descs(&self) -> &'a [BufferDesc] {
        self.descs
    }

    /// The LWLock of mapping partition `p` (< [`NUM_BUFFER_PARTITIONS`]).
    pub fn partition_lock(&self, p: usize) -> &'a LWLock {
        &self.partition_locks[p].lock
    }

    /// The open-addressing sub-table of mapping partition `p`.
    pub fn partition_slots(&self, p: usize) -> &'a [MappingEntry] {
        &self.mapping[p * self.per_partition..(p + 1) * self.per_partition]
    }

    pub fn strategy(&self) -> &'a StrategyControl {
        self.strategy
    }

    fn page_ptr(&self, id: usize) -> NonNull<[u8; BLCKSZ]> {
        assert!(id < self.descs.len(), "buffer id {id} out of range");
        // SAFETY: id < buffers, and the pages region holds `buffers` pages.
        unsafe { self.pages.add(id * BLCKSZ).cast() }
    }

    /// Takes buffer `id`'s content lock in shared mode: the page can be read.
    pub fn lock_page_shared(&self, id: usize) -> PageReadGuard<'a> {
        let lock = self.descs[id].content_lock.acquire_shared();
        PageReadGuard {
            _lock: lock,
            page: self.page_ptr(id),
        }
    }

    /// Takes buffer `id`'s content lock in exclusive mode: the page can be written.
    pub fn lock_page_exclusive(&self, id: usize) -> PageWriteGuard<'a> {
        let lock = self.descs[id].content_lock.acquire_exclusive();
        PageWriteGuard {
            _lock: lock,
            page: self.page_ptr(id),
        }
    }

    /// [`Self::lock_page_shared`] without waiting.
    pub fn try_lock_page_shared(&self, id: usize) -> Option<PageReadGuard<'a>> {
        let lock = self.descs[id]
            .content_lock
            .try_acquire(LWLockMode::Shared)?;
        Some(PageReadGuard {
            _lock: lock,
            page: self.page_ptr(id),
        })
    }

    /// [`Self::lock_page_exclusive`] without waiting.
    pub fn try_lock_page_exclusive(&self, id: usize) -> Option<PageWriteGuard<'a>> {
        let lock = self.descs[id]
            .content_lock
            .try_acquire(LWLockMode::Exclusive)?;
        Some(PageWriteGuard {
            _lock: lock,
            page: self.page_ptr(id),
        })
    }
}

/// A buffer page readable while its content lock is held in shared mode.
pub struct PageReadGuard<'a> {
    _lock: LWLockGuard<'a>,
    page: NonNull<[u8; BLCKSZ]>,
}

impl std::ops::Deref for PageReadGuard<'_> {
    type Target = [u8; BLCKSZ];
    fn deref(&self) -> &[u8; BLCKSZ] {
        // SAFETY: the page is in the mapping (BufferPool::page_ptr) and we hold its
        // content lock in shared mode, so nobody writes it while this borrow lives.
        unsafe { self.page.as_ref() }
    }
}

/// A buffer page writable while its content lock is held in exclusive mode.
pub struct PageWriteGuard<'a> {
    _lock: LWLockGuard<'a>,
    page: NonNull<[u8; BLCKSZ]>,
}

impl std::ops::Deref for PageWriteGuard<'_> {
    type Target = [u8; BLCKSZ];
    fn deref(&self) -> &[u8; BLCKSZ] {
        // SAFETY: in the mapping, and we hold the content lock exclusively.
        unsafe { self.page.as_ref() }
    }
}

impl std::ops::DerefMut for PageWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut [u8; BLCKSZ] {
        // SAFETY: in the mapping, and we hold the content lock exclusively: no
        // other reference to the page exists in any process while we do, and
        // `&mut self` keeps this borrow unique within ours.
        unsafe { self.page.as_mut() }
    }
}

/// Removes a segment left behind by a postmaster that died without cleaning up.
/// Not an error if it is already gone.
pub fn remove_stale_segment(os_id: &str) -> Result<bool, StorageError> {
    match nix::sys::mman::shm_unlink(os_id) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::ENOENT) => Ok(false),
        Err(e) => Err(StorageError::Shmem(format!(
            "could not remove stale shared memory segment \"{os_id}\": {e}"
        ))),
    }
}

/// The array of backend slots in shared memory.
#[derive(Clone, Copy)]
pub struct ProcArray<'a> {
    slots: &'a [ProcSlot],
}

impl<'a> ProcArray<'a> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Claims slot `slot` for this process (the slot number the postmaster handed
    /// over). Fails if the slot is out of range or not free.
    pub fn claim(&self, slot: usize, pid: i32) -> Option<ProcHandle<'a>> {
        let s = self.slots.get(slot)?;
        s.state
            .compare_exchange(
                slot_state::FREE,
                slot_state::STARTING,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .ok()?;
        s.pid.store(pid, Ordering::Relaxed);
        Some(ProcHandle {
            slot: s,
            index: slot,
        })
    }

    /// Claims the first free slot in `range` (used by processes the postmaster did
    /// not give a slot to).
    pub fn claim_any(&self, range: std::ops::Range<usize>, pid: i32) -> Option<ProcHandle<'a>> {
        range.into_iter().find_map(|i| self.claim(i, pid))
    }

    /// Releases a slot whose process is gone (postmaster, after reaping it).
    pub fn release(&self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            s.pid.store(0, Ordering::Relaxed);
            // A backend that exits with a transaction open has aborted it
            // (its CLOG bits say so, or say "in progress", which reads as
            // aborted once the xid is in no slot): forget it here too.
            s.xid.store(0, Ordering::Release);
            s.xmin.store(0, Ordering::Release);
            s.state.store(slot_state::FREE, Ordering::Release);
        }
    }

    /// Every active session.
    pub fn active(&self) -> impl Iterator<Item = ProcInfo> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.info(i))
    }

    /// The active session with this pid, if any.
    pub fn find_pid(&self, pid: i32) -> Option<ProcInfo> {
        self.active().find(|p| p.pid == pid)
    }

    /// Number of slots not free.
    pub fn in_use(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state.load(Ordering::Acquire) != slot_state::FREE)
            .count()
    }
}

/// This process's claim on a ProcArray slot; frees the slot when dropped.
pub struct ProcHandle<'a> {
    slot: &'a ProcSlot,
    index: usize,
}

impl ProcHandle<'_> {
    pub fn index(&self) -> usize {
        self.index
    }

    /// Publishes the session: from now on cancel requests can find it.
    pub fn activate(&self, cancel_key: i32, database_oid: u32, backend_start: i64) {
        self.slot.cancel_key.store(cancel_key, Ordering::Relaxed);
        self.slot
            .database_oid
            .store(database_oid, Ordering::Relaxed);
        self.slot
            .backend_start
            .store(backend_start, Ordering::Relaxed);
        self.slot.state.store(slot_state::ACTIVE, Ordering::Release);
    }
}

impl Drop for ProcHandle<'_> {
    fn drop(&mut self) {
        self.slot.cancel_key.store(0, Ordering::Relaxed);
        self.slot.pid.store(0, Ordering::Relaxed);
        self.slot.xid.store(0, Ordering::Relaxed);
        self.slot.xmin.store(0, Ordering::Relaxed);
        self.slot.state.store(slot_state::FREE, Ordering::Release);
    }
}

/// Transaction fields of the ProcArray slots, for `transam` (PostgreSQL's
/// `PGPROC.xid` / `PGPROC.xmin`). Locking is transam's: `xid` is set by the
/// owning backend under XidGenLock and cleared under ProcArrayLock exclusive;
/// readers that need a consistent set hold ProcArrayLock (see
/// `transam/README.md`). SeqCst so that no reordering needs arguing about.
impl<'a> ProcArray<'a> {
    /// Slot `slot`'s top-level transaction id (0 = none). Panics if out of range.
    pub fn xid(&self, slot: usize) -> u64 {
        self.slots[slot].xid.load(Ordering::SeqCst)
    }

    pub fn set_xid(&self, slot: usize, xid: u64) {
        self.slots[slot].xid.store(xid, Ordering::SeqCst);
    }

    /// Slot `slot`'s snapshot xmin (0 = none). Panics if out of range.
    pub fn xmin(&self, slot: usize) -> u64 {
        self.slots[slot].xmin.load(Ordering::SeqCst)
    }

    pub fn set_xmin(&self, slot: usize, xmin: u64) {
        self.slots[slot].xmin.store(xmin, Ordering::SeqCst);
    }

    /// How many transactions slot `slot` has ended (see `ProcSlot::xact_ends`).
    pub fn xact_ends(&self, slot: usize) -> u64 {
        self.slots[slot].xact_ends.load(Ordering::SeqCst)
    }

    /// Counts a transaction end of slot `slot` (its locks are released).
    pub fn count_xact_end(&self, slot: usize) {
        self.slots[slot].xact_ends.fetch_add(1, Ordering::SeqCst);
    }

    /// The pid in slot `slot` (0 when free). Panics if out of range.
    pub fn pid(&self, slot: usize) -> i32 {
        self.slots[slot].pid.load(Ordering::Relaxed)
    }

    /// (slot, xid, xmin) of every slot, whatever its state.
    pub fn xact_fields(&self) -> impl Iterator<Item = (usize, u64, u64)> + 'a {
        self.slots.iter().enumerate().map(|(i, s)| {
            (
                i,
                s.xid.load(Ordering::SeqCst),
                s.xmin.load(Ordering::SeqCst),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_attach_claim_and_find() {
        let pid = std::process::id() as i32;
        let shm = SharedMemory::create(ShmemLayout::new(4, 0), pid, 42).expect("create");
        let other = SharedMemory::attach(shm.os_id()).expect("attach");
        assert_eq!(other.postmaster_pid(), pid);
        assert_eq!(other.postmaster_start_time(), 42);
        assert_eq!(other.quit_reason(), QuitReason::None);
        shm.set_quit_reason(QuitReason::Crash);
        assert_eq!(other.quit_reason(), QuitReason::Crash);
        let pa = shm.proc_array();
        assert_eq!(pa.len(), 4);
        let h = pa.claim(2, 777).expect("slot 2 is free");
        assert!(
            pa.claim(2, 778).is_none(),
            "a claimed slot cannot be claimed twice"
        );
        assert_eq!(
            other.proc_array().find_pid(777),
            None,
            "not visible before activate"
        );
        h.activate(1234, 5, 0);
        let found = other
            .proc_array()
            .find_pid(777)
            .expect("visible in the other mapping");
        assert_eq!(
            (found.slot, found.cancel_key, found.database_oid),
            (2, 1234, 5)
        );
        drop(h);
        assert_eq!(other.proc_array().find_pid(777), None);
        assert_eq!(pa.in_use(), 0);
        assert!(pa.claim(9, 1).is_none(), "out of range");
    }

    #[test]
    fn buffer_pool_layout_is_aligned_and_shared_between_mappings() {
        let layout = ShmemLayout::new(3, 100);
        let o = layout.offsets();
        assert!(o.pages.is_multiple_of(4096), "pages are page-aligned");
        assert!(
            [o.buffer_descs, o.partition_locks, o.mapping]
                .iter()
                .all(|v| v.is_multiple_of(64))
        );
        assert!(
            o.regions[0] >= o.pages + 100 * BLCKSZ
                && o.regions.iter().all(|r| r.is_multiple_of(64))
        );
        assert!(o.regions.windows(2).all(|w| w[0] < w[1]) && o.total > o.regions[NUM_REGIONS - 1]);
        assert!(
            o.mapping_slots_per_partition.is_power_of_two() && o.mapping_slots_per_partition >= 16
        );
        let shm = SharedMemory::create(layout, 1, 0).expect("create");
        let other = SharedMemory::attach(shm.os_id()).expect("attach");
        assert_eq!(other.layout(), layout);
        let (a, b) = (shm.buffer_pool(), other.buffer_pool());
        assert_eq!((a.len(), b.len()), (100, 100));
        {
            let mut page = a.lock_page_exclusive(99);
            page[BLCKSZ - 1] = 7;
            assert!(
                b.try_lock_page_shared(99).is_none(),
                "the content lock is seen by the other mapping"
            );
        }
        assert_eq!(b.lock_page_shared(99)[BLCKSZ - 1], 7);
        a.desc(5).set_tag(crate::buffer::BufferTag::new(
            Default::default(),
            crate::buffer::ForkNumber::Main,
            9,
        ));
        assert_eq!(b.desc(5).tag().map(|t| t.block), Some(9));
    }

    #[test]
    fn attach_refuses_foreign_and_missing_segments() {
        assert!(SharedMemory::attach("oxipg.does-not-exist").is_err());
        let mut foreign = ShmemConf::new().size(4096).create().expect("plain segment");
        let id = foreign.get_os_id().to_owned();
        assert!(
            SharedMemory::attach(&id).is_err(),
            "zeroed header has the wrong magic"
        );
        foreign.set_owner(true);
    }

    #[test]
    fn stale_segment_removal() {
        let mut shm = SharedMemory::create(ShmemLayout::new(1, 0), 1, 0).expect("create");
        shm.disown();
        let id = shm.os_id().to_owned();
        drop(shm);
        assert!(remove_stale_segment(&id).expect("unlink"));
        assert!(!remove_stale_segment(&id).expect("already gone"));
    }
}
