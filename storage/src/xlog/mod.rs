//! WAL insertion, write-out and flush (PostgreSQL's `xlog.c`, the parts that
//! live in shared memory). The format is the `wal` crate's; the rules are in
//! `wal/README.md` ("Insertion", "Flush and group commit").
//!
//! ```text
//!  insert(record)                        flush(lsn)   (commit, buffer write-out)
//!   slot lock X (one of 8)                 flush_pos >= lsn? done
//!   redo_ptr moved and page needs an        wait for the insertions below lsn
//!     image? -> rebuild with the image        (no lock held)
//!   start = insert_pos.fetch_add(len)      WALWriteLock: take it, or wait for its
//!   inserting_at = start                     holder and look again (group commit:
//!   room in the ring? else write out         every waiter wakes at the release)
//!   copy into the ring                      flush_pos >= lsn? done
//!   inserting_at = FREE, slot lock released write + fsync all finished WAL,
//!                                           flush_pos = that
//! ```

pub mod checkpoint;
pub mod redo;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use types::error::Severity;
use types::{PgError, PgResult, SqlState};
use wal::record::{self, BlockChange, PageOp, RelFileId, WalRecord};
use wal::segment::{Lsn, PG_WAL_DIR, WAL_SEGMENT_SIZE, segment_file_name};

use crate::StorageError;
use crate::buffer::{BLCKSZ, BufferTag, WalFlush, page_lsn};
use crate::lwlock::{PaddedLWLock, futex_wake_all};
use crate::shmem::{RegionId, SharedMemory, ShmemSafe};
use crate::smgr::RelFileLocator;
use crate::transam::control::{file_error, fsync_dir};

/// Insertion slots (PostgreSQL's `NUM_XLOGINSERT_LOCKS`).
pub const NUM_INSERT_SLOTS: usize = 8;
/// `InsertSlot::inserting_at`: no insertion in progress.
const SLOT_FREE: u64 = 0;
/// `InsertSlot::inserting_at`: reserving; the position is not known yet.
const SLOT_RESERVING: u64 = 1;

/// WAL control in shared memory (PostgreSQL's `XLogCtlData`).
#[repr(C)]
pub struct XlogCtl {
    /// The next byte to reserve; advanced by `fetch_add` while holding an
    /// insertion slot's lock.
    insert_pos: AtomicU64,
    /// The redo point of the latest checkpoint (PostgreSQL's `RedoRecPtr`):
    /// a page whose LSN is at or below it is logged whole on its next change.
    /// Changed only while holding every insertion slot's lock.
    redo_ptr: AtomicU64,
    /// WAL handed to the kernel up to here. Advanced under `write_lock`.
    write_pos: AtomicU64,
    /// WAL durable up to here. Advanced under `write_lock`.
    flush_pos: AtomicU64,
    /// The latest commit record not waited for (`synchronous_commit = off`):
    /// the WAL writer flushes up to it; hint bits for commits above the flush
    /// position are not set.
    async_commit_lsn: AtomicU64,
    /// PostgreSQL's WALWriteLock: one process writes and fsyncs at a time.
    write_lock: PaddedLWLock,
    /// Where the latest checkpoint record is (0 before the first).
    last_checkpoint: AtomicU64,
    /// Set once recovery is over: inserting is allowed.
    ready: AtomicU32,
    /// Checkpoint requests: bumped by requesters, the checkpointer's futex.
    ckpt_request: AtomicU32,
    /// Flags of the pending request (`CHECKPOINT_*`).
    ckpt_flags: AtomicU32,
    /// Checkpoints started and completed (PostgreSQL's `ckpt_started` /
    /// `ckpt_done`): a requester waits for `done` to pass `started` as it saw it.
    ckpt_started: AtomicU64,
    ckpt_done: AtomicU64,
    ckpt_failed: AtomicU64,
    /// Bumped when the WAL writer should look (an asynchronous commit).
    walwriter_wake: AtomicU32,
    /// Commits between their record and their CLOG update, counted by the
    /// parity of `commit_epoch` they started in (PostgreSQL's
    /// `delayChkptFlags`): a checkpoint waits for those of the epoch before
    /// its redo point, see [`Xlog::begin_commit`].
    commits_in_flight: [AtomicU32; 2],
    commit_epoch: AtomicU32,
    /// `pg_stat_wal` counters.
    pub stats: WalStats,
}

/// The counters of `pg_stat_wal`.
#[repr(C)]
#[derive(Default)]
pub struct WalStats {
    pub records: AtomicU64,
    pub fpi: AtomicU64,
    pub bytes: AtomicU64,
    pub buffers_full: AtomicU64,
    pub write: AtomicU64,
    pub sync: AtomicU64,
    /// Microseconds.
    pub write_time: AtomicU64,
    pub sync_time: AtomicU64,
    /// Microseconds since 2000-01-01, 0 = never reset.
    pub stats_reset: AtomicI64,
    pub checkpoints_timed: AtomicU64,
    pub checkpoints_req: AtomicU64,
    pub buffers_checkpoint: AtomicU64,
}

/// One insertion slot (PostgreSQL's `WALInsertLock`).
#[repr(C)]
pub struct InsertSlot {
    lock: PaddedLWLock,
    /// [`SLOT_FREE`], [`SLOT_RESERVING`], or where the insertion in progress
    /// starts: everything before it that this slot inserted is in the ring.
    inserting_at: AtomicU64,
}

// SAFETY: repr(C), atomics and an LWLock only (zero = unlocked/free/empty).
unsafe impl ShmemSafe for XlogCtl {}
// SAFETY: as above.
unsafe impl ShmemSafe for InsertSlot {}

/// Checkpoint request flags (PostgreSQL's `CHECKPOINT_*`).
pub const CHECKPOINT_IMMEDIATE: u32 = 1;
pub const CHECKPOINT_FORCE: u32 = 2;
pub const CHECKPOINT_WAIT: u32 = 4;
/// Requested because `max_wal_size` was passed.
pub const CHECKPOINT_CAUSE_XLOG: u32 = 8;

/// How WAL is forced to disk (`wal_sync_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMethod {
    Fdatasync,
    Fsync,
    OpenDatasync,
    OpenSync,
}

impl SyncMethod {
    pub fn parse(s: &str) -> Option<SyncMethod> {
        Some(match s {
            "fdatasync" => SyncMethod::Fdatasync,
            "fsync" => SyncMethod::Fsync,
            "open_datasync" => SyncMethod::OpenDatasync,
            "open_sync" => SyncMethod::OpenSync,
            _ => return None,
        })
    }
}

/// The settings WAL writing follows (read at process start; `commit_delay`
/// may change per session).
#[derive(Debug, Clone, Copy)]
pub struct WalSettings {
    pub fsync: bool,
    pub sync_method: SyncMethod,
    pub full_page_writes: bool,
    pub commit_delay: Duration,
    pub commit_siblings: u32,
    /// `track_wal_io_timing`: time the writes and syncs for `pg_stat_wal`.
    pub track_io_timing: bool,
}

impl Default for WalSettings {
    fn default() -> WalSettings {
        WalSettings {
            fsync: true,
            sync_method: SyncMethod::Fdatasync,
            full_page_writes: true,
            commit_delay: Duration::ZERO,
            commit_siblings: 5,
            track_io_timing: false,
        }
    }
}

/// This process's handle on the WAL.
pub struct Xlog<'a> {
    ctl: &'a XlogCtl,
    slots: &'a [InsertSlot],
    ring: &'a [AtomicU64],
    dir: PathBuf,
    my_slot: usize,
    settings: Mutex<WalSettings>,
    /// Open segment files for writing (at most two: a write may span a boundary).
    files: Mutex<Vec<(u64, File)>>,
    /// Counts running transactions for `commit_siblings`.
    active_xacts: Box<dyn Fn() -> usize + Send + Sync + 'a>,
}

impl std::fmt::Debug for Xlog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xlog")
            .field("insert", &self.insert_position())
            .finish_non_exhaustive()
    }
}

fn wal_error(message: String) -> PgError {
    PgError {
        severity: Severity::Panic,
        ..PgError::new(SqlState::IoError, message)
    }
}

impl<'a> Xlog<'a> {
    /// This process's WAL handle; `data_dir` holds `pg_wal/`, `slot` picks its
    /// insertion slot.
    pub fn new(
        shmem: &'a SharedMemory,
        data_dir: &Path,
        slot: usize,
        settings: WalSettings,
    ) -> Xlog<'a> {
        let procs = shmem.proc_array();
        Xlog {
            ctl: &shmem.region::<XlogCtl>(RegionId::XlogCtl)[0],
            slots: shmem.region::<InsertSlot>(RegionId::XlogInsertSlots),
            ring: shmem.region::<AtomicU64>(RegionId::XlogBuffers),
            dir: data_dir.join(PG_WAL_DIR),
            my_slot: slot % NUM_INSERT_SLOTS,
            settings: Mutex::new(settings),
            files: Mutex::new(Vec::new()),
            active_xacts: Box::new(move || procs.in_use()),
        }
    }

    pub fn ctl(&self) -> &'a XlogCtl {
        self.ctl
    }

    pub fn settings(&self) -> WalSettings {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The settings a session may change with SET (`commit_delay`,
    /// `commit_siblings`, `track_wal_io_timing`), as they are now.
    pub fn set_session_settings(&self, delay: Duration, siblings: u32, track_io_timing: bool) {
        let mut s = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        s.commit_delay = delay;
        s.commit_siblings = siblings;
        s.track_io_timing = track_io_timing;
    }

    fn ring_bytes(&self) -> u64 {
        self.ring.len() as u64 * 8
    }

    /// Where the next record will be inserted (`pg_current_wal_insert_lsn`).
    pub fn insert_position(&self) -> Lsn {
        Lsn(self.ctl.insert_pos.load(Ordering::SeqCst))
    }

    /// WAL written to the kernel up to here (`pg_current_wal_lsn`).
    pub fn write_position(&self) -> Lsn {
        Lsn(self.ctl.write_pos.load(Ordering::Acquire))
    }

    /// WAL durable up to here (`pg_current_wal_flush_lsn`).
    pub fn flush_position(&self) -> Lsn {
        Lsn(self.ctl.flush_pos.load(Ordering::Acquire))
    }

    pub fn redo_ptr(&self) -> Lsn {
        Lsn(self.ctl.redo_ptr.load(Ordering::SeqCst))
    }

    pub fn last_checkpoint(&self) -> Lsn {
        Lsn(self.ctl.last_checkpoint.load(Ordering::Acquire))
    }

    pub(crate) fn set_last_checkpoint(&self, lsn: Lsn) {
        self.ctl.last_checkpoint.store(lsn.0, Ordering::Release);
    }

    /// Whether inserting is allowed (recovery is over).
    pub fn is_ready(&self) -> bool {
        self.ctl.ready.load(Ordering::Acquire) == 1
    }

    /// The end of recovery: WAL continues at `end`; the latest checkpoint's
    /// redo point is `redo`. Called by the startup process only.
    pub fn start_inserting(&self, end: Lsn, redo: Lsn, checkpoint: Lsn) {
        self.ctl.insert_pos.store(end.0, Ordering::SeqCst);
        self.ctl.write_pos.store(end.0, Ordering::SeqCst);
        self.ctl.flush_pos.store(end.0, Ordering::SeqCst);
        self.ctl.redo_ptr.store(redo.0, Ordering::SeqCst);
        self.ctl
            .last_checkpoint
            .store(checkpoint.0, Ordering::SeqCst);
        self.ctl.ready.store(1, Ordering::Release);
    }

    /// Inserts `record` of transaction `xid` (0 = none); returns the LSN just
    /// past it, which is what a page it changed is stamped with and what a
    /// commit flushes to.
    pub fn insert(&self, record: &WalRecord, xid: u64) -> PgResult<Lsn> {
        self.insert_placed(record, xid).map(|(_, end)| end)
    }

    /// As [`Self::insert`], returning where the record starts too.
    pub fn insert_placed(&self, record: &WalRecord, xid: u64) -> PgResult<(Lsn, Lsn)> {
        let frame = record::encode_unplaced(record, xid);
        match self.insert_frame(frame, None)? {
            Some(placed) => Ok(placed),
            None => Err(PgError::internal(
                "WAL insertion without a page asked to be redone",
            )),
        }
    }

    /// The insertion proper. `image_check` = (redo point the record was built
    /// for, LSN of the page it changes without an image): if a checkpoint has
    /// moved the redo point past that page LSN meanwhile, nothing is inserted
    /// and `None` tells the caller to rebuild the record with an image.
    fn insert_frame(
        &self,
        mut frame: Vec<u8>,
        image_check: Option<(u64, u64)>,
    ) -> PgResult<Option<(Lsn, Lsn)>> {
        if !self.is_ready() {
            return Err(PgError::internal("cannot write WAL during recovery"));
        }
        let len = frame.len() as u64;
        if len > self.ring_bytes() / 2 || frame.len() > record::MAX_RECORD_SIZE {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                format!("WAL record of {len} bytes is too large"),
            ));
        }
        let slot = &self.slots[self.my_slot];
        let _guard = slot.lock.lock.acquire_exclusive();
        slot.inserting_at.store(SLOT_RESERVING, Ordering::SeqCst);
        if let Some((assumed_redo, page_lsn)) = image_check {
            let redo = self.ctl.redo_ptr.load(Ordering::SeqCst);
            if redo != assumed_redo && page_lsn <= redo {
                slot.inserting_at.store(SLOT_FREE, Ordering::Release);
                return Ok(None);
            }
        }
        let start = self.ctl.insert_pos.fetch_add(len, Ordering::SeqCst);
        slot.inserting_at.store(start, Ordering::SeqCst);
        record::place(&mut frame, Lsn(start));
        let end = start + len;
        // Room in the ring: everything that was there must be written out.
        // A full ring is written out by a good part at once (up to this
        // record's start, which the insertions before it fill), so that
        // the inserts after this one find room without a write each.
        let ring = self.ring_bytes();
        while self.ctl.write_pos.load(Ordering::Acquire) + ring < end {
            self.ctl.stats.buffers_full.fetch_add(1, Ordering::Relaxed);
            let written = self.ctl.write_pos.load(Ordering::Acquire);
            let target = (end - ring).max(written + ring / 4).min(start);
            if let Err(e) = self.write_out(target) {
                slot.inserting_at.store(SLOT_FREE, Ordering::Release);
                return Err(e);
            }
        }
        let nwords = self.ring.len() as u64;
        let first = start / 8;
        for (i, chunk) in frame.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.ring[((first + i as u64) % nwords) as usize].store(w, Ordering::Relaxed);
        }
        slot.inserting_at.store(SLOT_FREE, Ordering::Release);
        self.ctl.stats.records.fetch_add(1, Ordering::Relaxed);
        self.ctl.stats.bytes.fetch_add(len, Ordering::Relaxed);
        Ok(Some((Lsn(start), Lsn(end))))
    }

    /// Waits until every insertion that reserved space below `upto` has copied
    /// its record; returns `upto` capped at the insert position. Never called
    /// holding the write lock (an inserter short of ring space takes it).
    /// An inserter holds its slot's lock while it copies, so after a short
    /// spin the wait sleeps on that lock (PostgreSQL's `LWLockWaitForVar`
    /// on the insertion lock).
    fn wait_for_insertions(&self, upto: u64) -> u64 {
        let upto = upto.min(self.ctl.insert_pos.load(Ordering::SeqCst));
        for slot in self.slots {
            let mut spins = 0u32;
            loop {
                let v = slot.inserting_at.load(Ordering::Acquire);
                if v == SLOT_FREE || (v != SLOT_RESERVING && v >= upto) {
                    break;
                }
                spins += 1;
                if spins < 100 {
                    std::hint::spin_loop();
                } else {
                    slot.lock.lock.wait_while_held();
                }
            }
        }
        upto
    }

    /// How far WAL is completely in the ring now, without waiting.
    fn finished_now(&self) -> u64 {
        let mut finished = self.ctl.insert_pos.load(Ordering::SeqCst);
        for slot in self.slots {
            match slot.inserting_at.load(Ordering::Acquire) {
                SLOT_FREE => {}
                SLOT_RESERVING => return self.ctl.write_pos.load(Ordering::Acquire),
                v => finished = finished.min(v),
            }
        }
        finished
    }

    /// Writes (without fsync) WAL up to at least `target` to make ring room.
    fn write_out(&self, target: u64) -> PgResult<()> {
        let finished = self.wait_for_insertions(target);
        let _w = self.ctl.write_lock.lock.acquire_exclusive();
        if self.ctl.write_pos.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        self.write_locked(finished, false)
    }

    /// Makes WAL durable up to `target` (PostgreSQL's `XLogFlush`): waits for
    /// the insertions before it, then writes and fsyncs everything inserted
    /// so far, so that committers queued on the write lock find their records
    /// flushed by whoever held it (group commit).
    pub fn flush(&self, target: Lsn) -> PgResult<()> {
        let target = target.0;
        if target <= self.ctl.flush_pos.load(Ordering::Acquire) {
            return Ok(());
        }
        loop {
            // Wait only for the insertions before our record (a later
            // inserter that the scheduler has just put aside must not delay
            // us); what others finished meanwhile is written too.
            let finished = self.wait_for_insertions(target);
            // Someone else flushing: wait for them, then look again (rule 4).
            let Some(_w) = self.ctl.write_lock.lock.acquire_or_wait() else {
                if self.ctl.flush_pos.load(Ordering::Acquire) >= target {
                    return Ok(());
                }
                continue;
            };
            if self.ctl.flush_pos.load(Ordering::Acquire) >= target {
                return Ok(());
            }
            let settings = self.settings();
            let mut upto = finished.max(self.finished_now());
            if !settings.commit_delay.is_zero()
                && (self.active_xacts)() > settings.commit_siblings as usize
            {
                // commit_delay: give concurrent committers the time to insert
                // their records, to flush them with ours.
                std::thread::sleep(settings.commit_delay);
                upto = upto.max(self.finished_now());
            }
            self.write_locked(upto, true)?;
            let flushed = self.ctl.flush_pos.load(Ordering::Acquire);
            if flushed >= target {
                return Ok(());
            }
            if target > self.ctl.insert_pos.load(Ordering::SeqCst) {
                // A page LSN beyond the end of WAL (the WAL after it was lost,
                // or the page is damaged): there is nothing to wait for.
                return Err(PgError::new(
                    SqlState::InternalError,
                    format!(
                        "xlog flush request {} is not satisfied --- flushed only to {}",
                        Lsn(target),
                        Lsn(flushed)
                    ),
                ));
            }
        }
    }

    /// Flushes everything inserted so far.
    pub fn flush_all(&self) -> PgResult<()> {
        self.flush(self.insert_position())
    }

    /// What the WAL writer does every `wal_writer_delay`: write and fsync
    /// whatever is complete. Returns whether there was anything.
    pub fn background_flush(&self) -> PgResult<bool> {
        let finished = self.finished_now();
        if finished <= self.ctl.flush_pos.load(Ordering::Acquire) {
            return Ok(false);
        }
        let _w = self.ctl.write_lock.lock.acquire_exclusive();
        let finished = finished.max(self.finished_now());
        if finished <= self.ctl.flush_pos.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.write_locked(finished, true)?;
        Ok(true)
    }

    /// Marks the start of a commit, before its record is inserted; the
    /// returned guard is dropped once the CLOG shows the commit. A checkpoint
    /// whose redo point follows the record waits for that, since it flushes
    /// the CLOG as of the redo point and redo will not replay the record.
    pub fn begin_commit(&self) -> CommitInFlight<'_> {
        loop {
            let epoch = self.ctl.commit_epoch.load(Ordering::SeqCst);
            let counter = &self.ctl.commits_in_flight[(epoch & 1) as usize];
            counter.fetch_add(1, Ordering::SeqCst);
            if self.ctl.commit_epoch.load(Ordering::SeqCst) == epoch {
                return CommitInFlight { counter };
            }
            counter.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The checkpoint's side of [`Self::begin_commit`], called after the redo
    /// point is set: a commit that registered before this flip may have its
    /// record before the redo point; wait until all of them are through.
    pub(crate) fn wait_for_commits_in_flight(&self) {
        let old = self.ctl.commit_epoch.fetch_add(1, Ordering::SeqCst);
        let counter = &self.ctl.commits_in_flight[(old & 1) as usize];
        while counter.load(Ordering::SeqCst) != 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Records an asynchronous commit at `lsn` (`synchronous_commit = off`).
    /// The WAL writer is woken early only once a whole WAL page (8 KiB) is
    /// waiting, as PostgreSQL's `XLogSetAsyncXactLSN` does; otherwise it
    /// flushes at its next `wal_writer_delay` tick, which bounds the loss.
    pub fn note_async_commit(&self, lsn: Lsn) {
        self.ctl.async_commit_lsn.fetch_max(lsn.0, Ordering::AcqRel);
        if lsn
            .0
            .saturating_sub(self.ctl.flush_pos.load(Ordering::Acquire))
            >= BLCKSZ as u64
        {
            self.ctl.walwriter_wake.fetch_add(1, Ordering::AcqRel);
            futex_wake_all(&self.ctl.walwriter_wake);
        }
    }

    /// Whether a hint bit saying "committed" may be set now: no asynchronous
    /// commit is waiting for its WAL (otherwise the page could reach disk
    /// before the commit record does).
    pub fn commit_hints_allowed(&self) -> bool {
        self.ctl.async_commit_lsn.load(Ordering::Acquire)
            <= self.ctl.flush_pos.load(Ordering::Acquire)
    }

    /// The WAL writer's sleep: until a page of asynchronous commits is
    /// waiting (see [`Self::note_async_commit`]) or `timeout`.
    pub fn walwriter_sleep(&self, timeout: Duration) {
        let seen = self.ctl.walwriter_wake.load(Ordering::Acquire);
        let waiting = self
            .ctl
            .async_commit_lsn
            .load(Ordering::Acquire)
            .saturating_sub(self.ctl.flush_pos.load(Ordering::Acquire));
        if waiting >= BLCKSZ as u64 {
            return;
        }
        crate::lwlock::futex_wait_timeout(&self.ctl.walwriter_wake, seen, timeout);
    }

    /// Writes the ring from the write position up to `upto` into the segment
    /// files and, with `sync`, fsyncs them. Caller holds the write lock and
    /// has waited for the insertions below `upto`.
    fn write_locked(&self, upto: u64, sync: bool) -> PgResult<()> {
        let from = self.ctl.write_pos.load(Ordering::Acquire);
        let settings = self.settings();
        let mut touched: Vec<u64> = Vec::new();
        if upto > from {
            let started = std::time::Instant::now();
            let nwords = self.ring.len() as u64;
            let mut bytes = Vec::with_capacity((upto - from) as usize);
            for w in from / 8..upto / 8 {
                bytes.extend_from_slice(
                    &self.ring[(w % nwords) as usize]
                        .load(Ordering::Relaxed)
                        .to_le_bytes(),
                );
            }
            let mut pos = from;
            let mut off = 0usize;
            while pos < upto {
                let l = Lsn(pos);
                let n =
                    ((upto - pos) as usize).min((WAL_SEGMENT_SIZE - l.segment_offset()) as usize);
                self.with_segment(l.segno(), settings, |f| {
                    f.write_all_at(&bytes[off..off + n], l.segment_offset())
                        .map_err(|e| {
                            wal_error(format!(
                                "could not write to log file \"{}\": {e}",
                                segment_file_name(l.segno())
                            ))
                        })
                })?;
                if !touched.contains(&l.segno()) {
                    touched.push(l.segno());
                }
                pos += n as u64;
                off += n;
            }
            self.ctl.write_pos.store(upto, Ordering::Release);
            self.ctl.stats.write.fetch_add(1, Ordering::Relaxed);
            if settings.track_io_timing {
                self.ctl
                    .stats
                    .write_time
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
        }
        if !sync {
            return Ok(());
        }
        let write_pos = self.ctl.write_pos.load(Ordering::Acquire);
        if write_pos <= self.ctl.flush_pos.load(Ordering::Acquire) {
            return Ok(());
        }
        // Segments written by earlier non-syncing writes are synced too: the
        // one being filled, and the previous one if it was finished since.
        let flushed = Lsn(self.ctl.flush_pos.load(Ordering::Acquire));
        for segno in flushed.segno()..=Lsn(write_pos - 1).segno() {
            if !touched.contains(&segno) {
                touched.push(segno);
            }
        }
        if settings.fsync
            && matches!(
                settings.sync_method,
                SyncMethod::Fdatasync | SyncMethod::Fsync
            )
        {
            let started = std::time::Instant::now();
            for segno in &touched {
                self.with_segment(*segno, settings, |f| {
                    let r = if settings.sync_method == SyncMethod::Fsync {
                        f.sync_all()
                    } else {
                        f.sync_data()
                    };
                    r.map_err(|e| {
                        wal_error(format!(
                            "could not fsync file \"{}\": {e}",
                            segment_file_name(*segno)
                        ))
                    })
                })?;
            }
            self.ctl.stats.sync.fetch_add(1, Ordering::Relaxed);
            if settings.track_io_timing {
                self.ctl
                    .stats
                    .sync_time
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
        }
        self.ctl.flush_pos.store(write_pos, Ordering::Release);
        Ok(())
    }

    /// Runs `f` on segment `segno`'s file, opening (and if needed creating)
    /// it. Two files stay open.
    fn with_segment(
        &self,
        segno: u64,
        settings: WalSettings,
        f: impl FnOnce(&File) -> PgResult<()>,
    ) -> PgResult<()> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, file)) = files.iter().find(|(s, _)| *s == segno) {
            return f(file);
        }
        let file = open_segment(&self.dir, segno, settings)?;
        if files.len() >= 2 {
            files.remove(0);
        }
        files.push((segno, file));
        f(&files[files.len() - 1].1)
    }

    /// Sets the redo point of a checkpoint that starts now: the insert
    /// position, taken with every insertion slot held so that no record built
    /// for the old redo point slips in after it without its page image.
    pub fn begin_checkpoint_redo(&self) -> Lsn {
        let guards: Vec<_> = self
            .slots
            .iter()
            .map(|s| s.lock.lock.acquire_exclusive())
            .collect();
        let redo = self.ctl.insert_pos.load(Ordering::SeqCst);
        self.ctl.redo_ptr.store(redo, Ordering::SeqCst);
        drop(guards);
        Lsn(redo)
    }

    /// Logs the change of one page under its exclusive lock: `before` is the
    /// page as it was, `after` as it is now. The first change after a
    /// checkpoint's redo point logs the whole page (full-page writes).
    /// Returns the LSN to stamp on the page, or `None` if nothing changed.
    pub fn log_page(
        &self,
        tag: &BufferTag,
        before: &[u8; BLCKSZ],
        after: &[u8; BLCKSZ],
        op: PageOp,
        xid: u64,
        copy: Option<wal::delta::Copy>,
    ) -> PgResult<Option<Lsn>> {
        let fpw = self.settings().full_page_writes;
        loop {
            let redo = self.ctl.redo_ptr.load(Ordering::SeqCst);
            let old_lsn = page_lsn(before);
            let mut image = fpw && old_lsn <= redo;
            let mut delta = Vec::with_capacity(256);
            if !image {
                match copy {
                    Some(c) => wal::delta::compute_with_copy(before, after, c, &mut delta),
                    None => wal::delta::compute(before, after, &mut delta),
                }
                if delta.is_empty() {
                    return Ok(None);
                }
                if delta.len() > BLCKSZ / 2 {
                    image = true;
                    delta.clear();
                }
            }
            if image {
                wal::delta::image(after, &mut delta);
            }
            let rec = WalRecord::Page {
                op,
                blocks: vec![BlockChange {
                    rel: rel_id(tag.rel),
                    fork: tag.fork as u8,
                    block: tag.block,
                    image,
                    delta,
                }],
            };
            let frame = record::encode_unplaced(&rec, xid);
            let check = (!image).then_some((redo, old_lsn));
            if let Some((_, end)) = self.insert_frame(frame, check)? {
                if image {
                    self.ctl.stats.fpi.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(Some(end));
            }
        }
    }

    /// Logs the changes of several pages as one record, so that redo applies
    /// all or none of them (a B-tree split). Each entry is (page, before,
    /// after); each page is logged by its delta or, for its first change
    /// since the redo point, by its image. Returns the LSN to stamp on every
    /// page.
    pub fn log_pages(
        &self,
        pages: &[(BufferTag, &[u8; BLCKSZ], &[u8; BLCKSZ])],
        op: PageOp,
    ) -> PgResult<Option<Lsn>> {
        let fpw = self.settings().full_page_writes;
        loop {
            let redo = self.ctl.redo_ptr.load(Ordering::SeqCst);
            let mut blocks = Vec::with_capacity(pages.len());
            // The oldest page LSN logged without an image: if a checkpoint
            // moves the redo point past it meanwhile, build the record again.
            let mut oldest_delta: Option<u64> = None;
            let mut images = 0u64;
            for &(tag, before, after) in pages {
                let old_lsn = page_lsn(before);
                let mut image = fpw && old_lsn <= redo;
                let mut delta = Vec::new();
                if !image {
                    wal::delta::compute(before, after, &mut delta);
                    if delta.is_empty() {
                        continue;
                    }
                    if delta.len() > BLCKSZ / 2 {
                        image = true;
                        delta.clear();
                    } else {
                        oldest_delta = Some(oldest_delta.map_or(old_lsn, |o| o.min(old_lsn)));
                    }
                }
                if image {
                    wal::delta::image(after, &mut delta);
                    images += 1;
                }
                blocks.push(BlockChange {
                    rel: rel_id(tag.rel),
                    fork: tag.fork as u8,
                    block: tag.block,
                    image,
                    delta,
                });
            }
            if blocks.is_empty() {
                return Ok(None);
            }
            let frame = record::encode_unplaced(&WalRecord::Page { op, blocks }, 0);
            if let Some((_, end)) = self.insert_frame(frame, oldest_delta.map(|o| (redo, o)))? {
                self.ctl.stats.fpi.fetch_add(images, Ordering::Relaxed);
                return Ok(Some(end));
            }
        }
    }

    /// Logs a page change by a record that describes the operation (redo
    /// repeats it), or, if the page has not been logged since the redo point,
    /// by the page's image instead (rule 9 of wal/README.md).
    pub fn log_page_logical(
        &self,
        tag: &BufferTag,
        before: &[u8; BLCKSZ],
        after: &[u8; BLCKSZ],
        op: PageOp,
        record: &WalRecord,
    ) -> PgResult<Option<Lsn>> {
        let old_lsn = page_lsn(before);
        loop {
            let redo = self.ctl.redo_ptr.load(Ordering::SeqCst);
            if self.settings().full_page_writes && old_lsn <= redo {
                return self.log_page(tag, before, after, op, 0, None);
            }
            let frame = record::encode_unplaced(record, 0);
            if let Some((_, end)) = self.insert_frame(frame, Some((redo, old_lsn)))? {
                return Ok(Some(end));
            }
        }
    }

    /// A hint-bit change (not logged itself): if the page has not been
    /// logged since the redo point, a torn write of it could not be repaired,
    /// so its image is logged first (`XLogSaveBufferForHint`). Returns the
    /// LSN to stamp, if an image was logged.
    pub fn log_hint(&self, tag: &BufferTag, page: &[u8; BLCKSZ]) -> PgResult<Option<Lsn>> {
        if !self.settings().full_page_writes
            || page_lsn(page) > self.ctl.redo_ptr.load(Ordering::SeqCst)
        {
            return Ok(None);
        }
        // An image is taken regardless of what changed: pass an all-zero page
        // LSN as "before" so that log_page decides on an image.
        let zero = [0u8; BLCKSZ];
        self.log_page(tag, &zero, page, PageOp::FpiForHint, 0, None)
    }

    /// Bytes of WAL since `since` (for `max_wal_size`).
    pub fn bytes_since(&self, since: Lsn) -> u64 {
        self.insert_position().0.saturating_sub(since.0)
    }

    /// Asks the checkpointer for a checkpoint with `flags`; with
    /// `CHECKPOINT_WAIT`, waits until one that started after this call is done
    /// (PostgreSQL's `RequestCheckpoint`). `alive` tells whether a
    /// checkpointer runs (otherwise the caller must do it itself).
    pub fn request_checkpoint(
        &self,
        flags: u32,
        mut interrupted: impl FnMut() -> PgResult<()>,
    ) -> PgResult<()> {
        let started_before = self.ctl.ckpt_started.load(Ordering::Acquire);
        let failed_before = self.ctl.ckpt_failed.load(Ordering::Acquire);
        self.ctl
            .ckpt_flags
            .fetch_or(flags & !CHECKPOINT_WAIT, Ordering::AcqRel);
        self.ctl.ckpt_request.fetch_add(1, Ordering::AcqRel);
        futex_wake_all(&self.ctl.ckpt_request);
        if flags & CHECKPOINT_WAIT == 0 {
            return Ok(());
        }
        // Wait for a checkpoint to start after our request, then to finish.
        loop {
            interrupted()?;
            let started = self.ctl.ckpt_started.load(Ordering::Acquire);
            if started > started_before {
                let done = self.ctl.ckpt_done.load(Ordering::Acquire);
                if done >= started {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.ctl.ckpt_failed.load(Ordering::Acquire) != failed_before {
            return Err(
                PgError::new(SqlState::InternalError, "checkpoint request failed")
                    .with_hint("Consult recent messages in the server log for details."),
            );
        }
        Ok(())
    }

    /// The checkpointer's wait for a request or `timeout`; returns the flags
    /// of the pending request (0 = none).
    pub fn checkpointer_wait(&self, seen: &mut u32, timeout: Duration) -> u32 {
        let now = self.ctl.ckpt_request.load(Ordering::Acquire);
        if now == *seen {
            crate::lwlock::futex_wait_timeout(&self.ctl.ckpt_request, now, timeout);
        }
        *seen = self.ctl.ckpt_request.load(Ordering::Acquire);
        self.ctl.ckpt_flags.swap(0, Ordering::AcqRel)
    }

    /// Whether a checkpoint request is pending (the checkpointer's
    /// throttling stops sleeping for an immediate one).
    pub fn immediate_requested(&self) -> bool {
        self.ctl.ckpt_flags.load(Ordering::Acquire) & CHECKPOINT_IMMEDIATE != 0
    }

    pub(crate) fn checkpoint_started(&self) {
        self.ctl.ckpt_started.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn checkpoint_finished(&self, ok: bool) {
        if !ok {
            self.ctl.ckpt_failed.fetch_add(1, Ordering::AcqRel);
        }
        self.ctl.ckpt_done.fetch_add(1, Ordering::AcqRel);
    }

    /// The WAL writer's look-ahead: once the insert position is past half of
    /// its segment, the next segment is created (zero-filled, synced) now, so
    /// that the committer who first writes into it does not, holding the
    /// write lock, while everyone waits (checkpoints also recycle old
    /// segments into future ones).
    pub fn prepare_next_segment(&self) -> PgResult<()> {
        let insert = self.insert_position();
        if insert.segment_offset() < WAL_SEGMENT_SIZE / 2 {
            return Ok(());
        }
        create_zeroed_segment(&self.dir, insert.segno() + 1, self.settings().fsync)
    }

    /// Closes the cached segment files (after segments were removed).
    pub fn close_files(&self) {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Waits until every asynchronous commit recorded so far is flushed, asking
/// the WAL writer to hurry. A dirty CLOG page is written only after this:
/// a page saying "committed" must not reach disk before the commit record
/// (PostgreSQL keeps a group LSN per CLOG page for the same purpose).
pub fn wait_for_async_commits(shmem: &SharedMemory) {
    let ctl = &shmem.region::<XlogCtl>(RegionId::XlogCtl)[0];
    let target = ctl.async_commit_lsn.load(Ordering::Acquire);
    if ctl.ready.load(Ordering::Acquire) != 1 {
        return;
    }
    while ctl.flush_pos.load(Ordering::Acquire) < target {
        ctl.walwriter_wake.fetch_add(1, Ordering::AcqRel);
        futex_wake_all(&ctl.walwriter_wake);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A commit between its record and its CLOG update (see [`Xlog::begin_commit`]).
#[derive(Debug)]
pub struct CommitInFlight<'x> {
    counter: &'x AtomicU32,
}

impl Drop for CommitInFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The buffer manager's WAL-before-data interlock.
impl WalFlush for Xlog<'_> {
    fn flush_up_to(&self, lsn: u64) -> Result<(), StorageError> {
        if !self.is_ready() {
            // Recovery: the pages being written were changed by replaying WAL
            // that is already on disk.
            return Ok(());
        }
        self.flush(Lsn(lsn)).map_err(StorageError::from)
    }

    fn needs_flush(&self, lsn: u64) -> bool {
        self.is_ready() && lsn > self.ctl.flush_pos.load(Ordering::Acquire)
    }

    fn log_page(
        &self,
        tag: &BufferTag,
        before: &[u8; BLCKSZ],
        after: &[u8; BLCKSZ],
        op: PageOp,
        xid: u64,
        copy: Option<wal::delta::Copy>,
    ) -> Result<Option<u64>, StorageError> {
        Ok(Xlog::log_page(self, tag, before, after, op, xid, copy)?.map(|l| l.0))
    }

    fn log_pages(
        &self,
        pages: &[(BufferTag, &[u8; BLCKSZ], &[u8; BLCKSZ])],
        op: PageOp,
    ) -> Result<Option<u64>, StorageError> {
        Ok(Xlog::log_pages(self, pages, op)?.map(|l| l.0))
    }

    fn log_logical(
        &self,
        tag: &BufferTag,
        before: &[u8; BLCKSZ],
        after: &[u8; BLCKSZ],
        op: PageOp,
        record: WalRecord,
    ) -> Result<Option<u64>, StorageError> {
        Ok(Xlog::log_page_logical(self, tag, before, after, op, &record)?.map(|l| l.0))
    }

    fn log_hint(&self, tag: &BufferTag, page: &[u8; BLCKSZ]) -> Result<Option<u64>, StorageError> {
        if !self.is_ready() {
            return Ok(None);
        }
        Ok(Xlog::log_hint(self, tag, page)?.map(|l| l.0))
    }

    fn commit_hints_allowed(&self) -> bool {
        Xlog::commit_hints_allowed(self)
    }
}

/// The WAL name of a relation file.
pub fn rel_id(rel: RelFileLocator) -> RelFileId {
    RelFileId {
        spc_oid: rel.spc_oid,
        db_oid: rel.db_oid,
        rel_number: rel.rel_number,
    }
}

pub fn rel_locator(rel: RelFileId) -> RelFileLocator {
    RelFileLocator {
        spc_oid: rel.spc_oid,
        db_oid: rel.db_oid,
        rel_number: rel.rel_number,
    }
}

/// Opens segment `segno` for writing, creating it zero-filled (through a
/// temporary file, so that a crash never leaves a short segment) if needed.
fn open_segment(dir: &Path, segno: u64, settings: WalSettings) -> PgResult<File> {
    let path = dir.join(segment_file_name(segno));
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    if settings.fsync {
        match settings.sync_method {
            SyncMethod::OpenDatasync => {
                opts.custom_flags(nix::fcntl::OFlag::O_DSYNC.bits());
            }
            SyncMethod::OpenSync => {
                opts.custom_flags(nix::fcntl::OFlag::O_SYNC.bits());
            }
            _ => {}
        }
    }
    match opts.open(&path) {
        Ok(f) => return Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(wal_error(format!(
                "could not open file \"{}\": {e}",
                path.display()
            )));
        }
    }
    create_zeroed_segment(dir, segno, settings.fsync)?;
    opts.open(&path)
        .map_err(|e| wal_error(format!("could not open file \"{}\": {e}", path.display())))
}

/// Creates segment `segno` full of zeros (PostgreSQL's `XLogFileInit`), unless
/// it exists: the file is written under a temporary name and then linked
/// into place, which never replaces a segment another process created (and
/// may already have written WAL into) meanwhile.
pub fn create_zeroed_segment(dir: &Path, segno: u64, fsync: bool) -> PgResult<()> {
    let name = segment_file_name(segno);
    if dir.join(&name).exists() {
        return Ok(());
    }
    let tmp = dir.join(format!("xlogtemp.{}", std::process::id()));
    let fail = |e: std::io::Error, what: &str| {
        wal_error(format!("could not {what} file \"{}\": {e}", tmp.display()))
    };
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| fail(e, "create"))?;
    let zeros = vec![0u8; 1 << 20];
    for i in 0..WAL_SEGMENT_SIZE / zeros.len() as u64 {
        f.write_all_at(&zeros, i * zeros.len() as u64)
            .map_err(|e| fail(e, "write to"))?;
    }
    if fsync {
        f.sync_all().map_err(|e| fail(e, "fsync"))?;
    }
    drop(f);
    let linked = std::fs::hard_link(&tmp, dir.join(&name));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => {
            return Err(wal_error(format!(
                "could not link file \"{}\" to \"{name}\": {e}",
                tmp.display()
            )));
        }
    }
    if fsync {
        fsync_dir(dir).map_err(|e| {
            file_error(
                &e,
                format!("could not fsync directory \"{}\"", dir.display()),
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
