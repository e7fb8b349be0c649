//! Reading blocks into shared buffers, pins, content locks, write-out
//! (PostgreSQL's `bufmgr.c`). The rules are in `storage/README.md`,
//! "Buffer manager"; the numbers in comments below refer to them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use super::BufferError;
use super::mapping::{BufTable, MappingFull, partition_of};
use super::strategy::{BufferAccessStrategy, get_victim};
use super::tag::{BLCKSZ, BlockNumber, BufferTag, ForkNumber, RelFileLocator};
use crate::StorageError;
use crate::lwlock::{LWLockGuard, LWLockMode, futex_wait, futex_wake_all};
use crate::shmem::{BufferPool, PageReadGuard, PageWriteGuard, SharedMemory, buf_state};
use wal::WalRecord;
use wal::record::PageOp;

/// Where blocks come from and go to. `smgr` implements it for relation files;
/// tests use [`super::MemBlockStore`].
pub trait BlockStore: Send + Sync {
    /// Reads block `tag` into `buf`. A block past the end of the relation is an
    /// error (callers extend relations with [`ReadMode::Zero`]).
    fn read_block(&self, tag: &BufferTag, buf: &mut [u8; BLCKSZ]) -> Result<(), StorageError>;
    /// Writes `buf` as block `tag` (not necessarily durable until an fsync).
    fn write_block(&self, tag: &BufferTag, buf: &[u8; BLCKSZ]) -> Result<(), StorageError>;
}

/// The buffer manager's view of the WAL (`crate::xlog::Xlog` implements it;
/// tests without WAL use [`NoWal`]): logging page changes (rule 7) and the
/// WAL-before-data interlock (rule 9): before a dirty page is written, the
/// buffer manager calls [`WalFlush::flush_up_to`] with the page's LSN.
pub trait WalFlush: Send + Sync {
    /// Makes WAL durable at least up to `lsn`.
    fn flush_up_to(&self, lsn: u64) -> Result<(), StorageError>;
    /// Whether WAL up to `lsn` still has to be flushed (BULKREAD rings avoid
    /// buffers for which it does).
    fn needs_flush(&self, lsn: u64) -> bool;
    /// Logs a page change (`before` -> `after`; `copy`: a range of `after`
    /// that repeats one of `before`, logged as a copy); returns the LSN to
    /// stamp on the page, `None` when nothing is logged.
    fn log_page(
        &self,
        _tag: &BufferTag,
        _before: &[u8; BLCKSZ],
        _after: &[u8; BLCKSZ],
        _op: PageOp,
        _xid: u64,
        _copy: Option<wal::delta::Copy>,
    ) -> Result<Option<u64>, StorageError> {
        Ok(None)
    }
    /// Logs the changes of several pages as one record (all or none redone);
    /// returns the LSN to stamp on each of them.
    fn log_pages(
        &self,
        _pages: &[(BufferTag, &[u8; BLCKSZ], &[u8; BLCKSZ])],
        _op: PageOp,
    ) -> Result<Option<u64>, StorageError> {
        Ok(None)
    }
    /// Logs a page change by `record`, a description of the operation that
    /// redo repeats (`after` is the page now), unless the page needs its
    /// image (the first change since the redo point), which is logged
    /// instead. Returns the LSN to stamp.
    fn log_logical(
        &self,
        tag: &BufferTag,
        before: &[u8; BLCKSZ],
        after: &[u8; BLCKSZ],
        op: PageOp,
        _record: WalRecord,
    ) -> Result<Option<u64>, StorageError> {
        self.log_page(tag, before, after, op, 0, None)
    }
    /// Before an unlogged hint-bit change: logs the page's image if it is the
    /// first change since the redo point; returns the LSN to stamp.
    fn log_hint(
        &self,
        _tag: &BufferTag,
        _page: &[u8; BLCKSZ],
    ) -> Result<Option<u64>, StorageError> {
        Ok(None)
    }
    /// Whether "committed" hint bits may be set now (no asynchronous commit's
    /// record is still unflushed).
    fn commit_hints_allowed(&self) -> bool {
        true
    }
}

/// No WAL yet: nothing to flush.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWal;

impl WalFlush for NoWal {
    fn flush_up_to(&self, _lsn: u64) -> Result<(), StorageError> {
        Ok(())
    }
    fn needs_flush(&self, _lsn: u64) -> bool {
        false
    }
}

/// The page LSN: the first 8 bytes of a page, as PostgreSQL's `pd_lsn`
/// (high 32 bits then low 32 bits, each little-endian on our platforms).
/// `page.rs` owns the page layout; this must agree with it.
pub fn page_lsn(page: &[u8; BLCKSZ]) -> u64 {
    let hi = u32::from_le_bytes([page[0], page[1], page[2], page[3]]);
    let lo = u32::from_le_bytes([page[4], page[5], page[6], page[7]]);
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Stamps `lsn` on a page (the inverse of [`page_lsn`]).
pub fn set_page_lsn(page: &mut [u8; BLCKSZ], lsn: u64) {
    page[0..4].copy_from_slice(&((lsn >> 32) as u32).to_le_bytes());
    page[4..8].copy_from_slice(&(lsn as u32).to_le_bytes());
}

/// Hashes buffer ids with one multiplication (Fibonacci hashing, which leaves
/// the high bits the hash table uses well mixed). The private pin table is
/// consulted on every pin and unpin, where SipHash showed in profiles.
#[derive(Debug, Default, Clone, Copy)]
struct BufferIdHasher(u64);

impl std::hash::Hasher for BufferIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// How [`BufferManager::read_buffer`] fills a buffer that is not resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Read the block from the store.
    Normal,
    /// Do not read: zero the page (a block being added by relation extension,
    /// which the caller alone knows of, under the relation extension lock).
    /// A block already resident is returned as it is.
    Zero,
}

/// One buffer's state as [`BufferManager::snapshot`] saw it (pg_buffercache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSnapshot {
    pub id: usize,
    pub tag: Option<BufferTag>,
    pub refcount: u32,
    pub usage_count: u32,
    pub flags: u32,
    /// This backend's own pins.
    pub private_pins: u32,
}

impl BufferSnapshot {
    /// The flags as text, e.g. `VALID|TAG_VALID|DIRTY`.
    pub fn flag_names(&self) -> String {
        const NAMES: [(u32, &str); 9] = [
            (buf_state::TAG_VALID, "TAG_VALID"),
            (buf_state::VALID, "VALID"),
            (buf_state::DIRTY, "DIRTY"),
            (buf_state::JUST_DIRTIED, "JUST_DIRTIED"),
            (buf_state::IO_IN_PROGRESS, "IO_IN_PROGRESS"),
            (buf_state::IO_ERROR, "IO_ERROR"),
            (buf_state::PIN_COUNT_WAITER, "PIN_COUNT_WAITER"),
            (buf_state::CHECKPOINT_NEEDED, "CHECKPOINT_NEEDED"),
            (buf_state::PERMANENT, "PERMANENT"),
        ];
        let v: Vec<&str> = NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, n)| *n)
            .collect();
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join("|")
        }
    }
}

/// One backend's access to the shared buffer pool. Each process (in tests, each
/// thread standing in for one) makes its own: it carries the backend-private pin
/// counts, so it is neither `Send` nor `Sync`.
pub struct BufferManager<'a> {
    pool: BufferPool<'a>,
    table: BufTable<'a>,
    store: Arc<dyn BlockStore>,
    wal: Arc<dyn WalFlush + 'a>,
    /// Buffer id -> this backend's pins on it. A buffer is in the map exactly
    /// when this backend holds one shared pin on it (rule 2).
    private_pins: RefCell<HashMap<usize, u32, BuildHasherDefault<BufferIdHasher>>>,
}

impl std::fmt::Debug for BufferManager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferManager")
            .field("buffers", &self.pool.len())
            .finish()
    }
}

/// Held while doing I/O on a buffer: the buffer's I/O lock, exclusive.
struct IoInProgress<'a> {
    _lock: LWLockGuard<'a>,
}

impl<'a> BufferManager<'a> {
    /// This backend's buffer manager over `shmem`'s pool, reading and writing
    /// blocks through `store`.
    pub fn new(
        shmem: &'a SharedMemory,
        store: Arc<dyn BlockStore>,
    ) -> Result<BufferManager<'a>, StorageError> {
        let pool = shmem.buffer_pool();
        if pool.is_empty() {
            return Err(BufferError::NoBuffers.into());
        }
        Ok(BufferManager {
            pool,
            table: BufTable::new(pool),
            store,
            wal: Arc::new(NoWal),
            private_pins: RefCell::new(HashMap::default()),
        })
    }

    /// Installs the WAL-before-data interlock.
    pub fn with_wal(mut self, wal: Arc<dyn WalFlush + 'a>) -> BufferManager<'a> {
        self.wal = wal;
        self
    }

    pub fn pool(&self) -> BufferPool<'a> {
        self.pool
    }

    /// Returns block `tag` pinned in a shared buffer, reading it in if needed
    /// (PostgreSQL's `ReadBufferExtended`). Pass a strategy for bulk access.
    pub fn read_buffer(
        &self,
        tag: BufferTag,
        mode: ReadMode,
        strategy: Option<&mut BufferAccessStrategy>,
    ) -> Result<PinnedBuffer<'_>, StorageError> {
        let (id, valid) = self.buffer_alloc(&tag, strategy)?;
        let pinned = PinnedBuffer { mgr: self, id, tag };
        if valid {
            return Ok(pinned);
        }
        // Rule 6: only the backend that sets IO_IN_PROGRESS fills the page; a
        // concurrent reader of the same block waits in start_io and then finds
        // it VALID (or, after a failed read, tries the read itself).
        if let Some(io) = self.start_io(id, true) {
            let mut page = self.pool.lock_page_exclusive(id);
            let result = match mode {
                ReadMode::Zero => {
                    page.fill(0);
                    Ok(())
                }
                ReadMode::Normal => self.store.read_block(&tag, &mut page),
            };
            if result.is_err() {
                page.fill(0);
            }
            drop(page);
            match result {
                Ok(()) => self.terminate_io(id, io, false, buf_state::VALID),
                Err(e) => {
                    self.terminate_io(id, io, false, buf_state::IO_ERROR);
                    tracing::debug!("could not read block {tag}: {e}");
                    return Err(e);
                }
            }
        }
        Ok(pinned)
    }

    /// Finds or allocates the buffer for `tag` and pins it; returns whether the
    /// page is already valid (PostgreSQL's `BufferAlloc`).
    fn buffer_alloc(
        &self,
        tag: &BufferTag,
        mut strategy: Option<&mut BufferAccessStrategy>,
    ) -> Result<(usize, bool), StorageError> {
        let hash = tag.hash();
        let bulk = strategy.is_some();
        {
            let guard = self.table.lock_partition(hash, LWLockMode::Shared);
            if let Some(id) = self.table.lookup(tag, hash, &guard) {
                // Rule 3: pin under the partition lock, so the buffer cannot be
                // given another tag between the lookup and the pin.
                let valid = self.pin(id, bulk);
                return Ok((id, valid));
            }
        }
        loop {
            let (victim, locked) = get_victim(&self.pool, strategy.as_deref_mut())?;
            self.pin_locked(victim, locked);
            let desc = self.pool.desc(victim);
            let state = desc.load_state();
            if state & buf_state::DIRTY != 0 {
                // Rule 8: write the old contents out first. Never wait for a
                // content lock here: someone may hold it for long.
                let Some(page) = self.pool.try_lock_page_shared(victim) else {
                    self.unpin(victim);
                    continue;
                };
                if let Some(st) = strategy.as_deref_mut()
                    && self.wal.needs_flush(page_lsn(&page))
                    && st.reject(victim)
                {
                    drop(page);
                    self.unpin(victim);
                    continue;
                }
                let flushed = self.flush_buffer(victim, &page);
                drop(page);
                if let Err(e) = flushed {
                    self.unpin(victim);
                    return Err(e);
                }
            }
            // Pinned and TAG_VALID: the tag is stable (rule 4).
            let old = if desc.load_state() & buf_state::TAG_VALID != 0 {
                desc.tag()
            } else {
                None
            };
            let old_hash = old.map(|t| t.hash());
            let locks = PartitionPair::lock(&self.table, hash, old_hash);
            match self.table.insert(tag, hash, victim, locks.guard_for(hash)) {
                Err(MappingFull) => {
                    drop(locks);
                    self.unpin(victim);
                    return Err(BufferError::MappingFull.into());
                }
                Ok(Some(existing)) => {
                    // Someone read the block in while we looked for a victim.
                    self.unpin(victim);
                    let valid = self.pin(existing, bulk);
                    return Ok((existing, valid));
                }
                Ok(None) => {}
            }
            let s = desc.lock_header();
            if buf_state::refcount(s) == 1 && s & buf_state::DIRTY == 0 {
                // Only our pin, clean: take it over (rule 5).
                let keep = s & (buf_state::REFCOUNT_MASK | buf_state::LOCKED);
                desc.set_tag(*tag);
                desc.unlock_header(keep | buf_state::TAG_VALID | buf_state::USAGECOUNT_ONE);
                if let (Some(old), Some(old_hash)) = (old, old_hash) {
                    self.table.delete(&old, old_hash, locks.guard_for(old_hash));
                }
                return Ok((victim, false));
            }
            // Pinned or dirtied by someone meanwhile: undo and try another.
            desc.unlock_header(s);
            self.table.delete(tag, hash, locks.guard_for(hash));
            drop(locks);
            self.unpin(victim);
        }
    }

    fn private_count(&self, id: usize) -> u32 {
        self.private_pins.borrow().get(&id).copied().unwrap_or(0)
    }

    /// Adds a pin; touches the shared state only for this backend's first pin
    /// (rule 2), raising the usage count then (only to 1 for bulk access).
    /// Returns whether the buffer is VALID.
    fn pin(&self, id: usize, bulk: bool) -> bool {
        let desc = self.pool.desc(id);
        let mut pins = self.private_pins.borrow_mut();
        let count = pins.entry(id).or_insert(0);
        let mut state;
        if *count == 0 {
            loop {
                let old = desc.wait_header_unlocked();
                state = old + buf_state::REFCOUNT_ONE;
                let usage = buf_state::usage_count(old);
                if !bulk && usage < buf_state::MAX_USAGE_COUNT || bulk && usage == 0 {
                    state += buf_state::USAGECOUNT_ONE;
                }
                if desc
                    .state
                    .compare_exchange_weak(
                        old,
                        state,
                        std::sync::atomic::Ordering::Acquire,
                        std::sync::atomic::Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    break;
                }
            }
        } else {
            state = desc.load_state();
        }
        *count += 1;
        state & buf_state::VALID != 0
    }

    /// Pins a buffer whose header spinlock we hold (`locked` is the state as
    /// locked) and releases the spinlock.
    fn pin_locked(&self, id: usize, locked: u32) {
        let desc = self.pool.desc(id);
        let mut pins = self.private_pins.borrow_mut();
        let count = pins.entry(id).or_insert(0);
        if *count == 0 {
            desc.unlock_header(locked + buf_state::REFCOUNT_ONE);
        } else {
            desc.unlock_header(locked);
        }
        *count += 1;
    }

    /// Drops one pin; the shared pin goes with this backend's last one. Wakes a
    /// cleanup-lock waiter when only its own pin is left.
    fn unpin(&self, id: usize) {
        let desc = self.pool.desc(id);
        {
            let mut pins = self.private_pins.borrow_mut();
            let Some(count) = pins.get_mut(&id) else {
                debug_assert!(
                    false,
                    "unpin of buffer {id} that this backend has not pinned"
                );
                return;
            };
            *count -= 1;
            if *count > 0 {
                return;
            }
            pins.remove(&id);
        }
        let mut new;
        loop {
            let old = desc.wait_header_unlocked();
            new = old - buf_state::REFCOUNT_ONE;
            if desc
                .state
                .compare_exchange_weak(
                    old,
                    new,
                    std::sync::atomic::Ordering::Release,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
            {
                break;
            }
        }
        if new & buf_state::PIN_COUNT_WAITER != 0 && buf_state::refcount(new) == 1 {
            let s = desc.lock_header();
            if s & buf_state::PIN_COUNT_WAITER != 0 && buf_state::refcount(s) == 1 {
                desc.unlock_header(s & !buf_state::PIN_COUNT_WAITER);
                futex_wake_all(&desc.state);
            } else {
                desc.unlock_header(s);
            }
        }
    }

    /// Begins I/O on a pinned buffer (PostgreSQL's `StartBufferIO`): for input,
    /// unless it is VALID by now; for output, unless it is clean by now. Waits
    /// while another backend's I/O on it is in progress. `None`: nothing to do.
    fn start_io(&self, id: usize, for_input: bool) -> Option<IoInProgress<'a>> {
        let desc = self.pool.desc(id);
        loop {
            let io_lock = desc.io_in_progress_lock().acquire_exclusive();
            let s = desc.lock_header();
            if s & buf_state::IO_IN_PROGRESS != 0 {
                // Only possible if an I/O holder died: wait it out like anyone.
                desc.unlock_header(s);
                drop(io_lock);
                self.wait_io(id);
                continue;
            }
            let done = if for_input {
                s & buf_state::VALID != 0
            } else {
                s & buf_state::DIRTY == 0
            };
            if done {
                desc.unlock_header(s);
                return None;
            }
            desc.unlock_header(s | buf_state::IO_IN_PROGRESS);
            return Some(IoInProgress { _lock: io_lock });
        }
    }

    /// Waits until no I/O is in progress on the buffer.
    fn wait_io(&self, id: usize) {
        let desc = self.pool.desc(id);
        while desc.load_state() & buf_state::IO_IN_PROGRESS != 0 {
            drop(desc.io_in_progress_lock().acquire_shared());
        }
    }

    /// Ends I/O (PostgreSQL's `TerminateBufferIO`): clears IO_IN_PROGRESS and a
    /// previous IO_ERROR, clears DIRTY after a successful write unless the page
    /// was dirtied again meanwhile, sets `set_flags`, wakes the waiters.
    fn terminate_io(&self, id: usize, io: IoInProgress<'_>, clear_dirty: bool, set_flags: u32) {
        let desc = self.pool.desc(id);
        let mut s = desc.lock_header();
        s &= !(buf_state::IO_IN_PROGRESS | buf_state::IO_ERROR);
        if clear_dirty && s & buf_state::JUST_DIRTIED == 0 {
            s &= !(buf_state::DIRTY | buf_state::CHECKPOINT_NEEDED);
        }
        desc.unlock_header(s | set_flags);
        drop(io);
    }

    /// Writes a dirty buffer out (PostgreSQL's `FlushBuffer`). Caller holds a
    /// pin and the content lock (shared is enough), whose page is `page`.
    fn flush_buffer(&self, id: usize, page: &PageReadGuard<'_>) -> Result<(), StorageError> {
        let Some(io) = self.start_io(id, false) else {
            return Ok(());
        };
        let desc = self.pool.desc(id);
        let s = desc.lock_header();
        desc.unlock_header(s & !buf_state::JUST_DIRTIED);
        let Some(tag) = desc.tag() else {
            self.terminate_io(id, io, false, buf_state::IO_ERROR);
            return Err(StorageError::Shmem(format!(
                "buffer {id} has a corrupt tag"
            )));
        };
        // Rule 9: WAL before data.
        let result = self
            .wal
            .flush_up_to(page_lsn(page))
            .and_then(|()| self.store.write_block(&tag, page));
        match result {
            Ok(()) => {
                self.terminate_io(id, io, true, 0);
                Ok(())
            }
            Err(e) => {
                self.terminate_io(id, io, false, buf_state::IO_ERROR);
                tracing::warn!("could not write block {tag}: {e}");
                Err(e)
            }
        }
    }

    /// Writes out every dirty buffer whose tag satisfies `pred`; returns how many.
    /// Buffers handed out by the clock sweep since the segment was made (the
    /// background writer's measure of demand).
    pub fn allocations(&self) -> u64 {
        self.pool
            .strategy()
            .allocations
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One round of the background writer (PostgreSQL's `BgBufferSync`, much
    /// simplified): looks at the `lookahead` buffers the clock hand reaches
    /// next and writes out the dirty ones nobody pins and whose usage count is
    /// 0 (the ones the sweep will take), at most `max_pages`, so that a
    /// backend needing a buffer finds a clean victim. A buffer whose content
    /// lock is busy is skipped. Returns how many it wrote.
    pub fn bgwriter_pass(&self, lookahead: usize, max_pages: usize) -> Result<usize, StorageError> {
        let n = self.pool.len();
        if n == 0 {
            return Ok(0);
        }
        let (hand, _) = super::strategy::sweep_position(&self.pool);
        let mut written = 0;
        for i in 0..lookahead.min(n) {
            if written >= max_pages {
                break;
            }
            let id = (hand + i) % n;
            let desc = self.pool.desc(id);
            let want = buf_state::VALID | buf_state::DIRTY;
            let s = desc.load_state();
            if s & want != want || buf_state::refcount(s) != 0 || buf_state::usage_count(s) != 0 {
                continue;
            }
            let s = desc.lock_header();
            if s & want != want || buf_state::refcount(s) != 0 || buf_state::usage_count(s) != 0 {
                desc.unlock_header(s);
                continue;
            }
            // Pinning without raising the usage count (the header is locked
            // and the pin is ours alone), as PostgreSQL's PinBuffer_Locked.
            self.pin_locked(id, s);
            let result = match self.pool.try_lock_page_shared(id) {
                Some(page) => self.flush_buffer(id, &page).map(|()| true),
                None => Ok(false),
            };
            self.unpin(id);
            if result? {
                written += 1;
            }
        }
        Ok(written)
    }

    fn flush_matching(&self, pred: impl Fn(&BufferTag) -> bool) -> Result<usize, StorageError> {
        self.flush_matching_paced(pred, &mut |_| {})
    }

    fn flush_matching_paced(
        &self,
        pred: impl Fn(&BufferTag) -> bool,
        pace: &mut dyn FnMut(usize),
    ) -> Result<usize, StorageError> {
        let mut written = 0;
        for id in 0..self.pool.len() {
            let desc = self.pool.desc(id);
            let want = buf_state::VALID | buf_state::DIRTY;
            if desc.load_state() & want != want {
                continue;
            }
            let s = desc.lock_header();
            if s & want != want || !desc.tag().is_some_and(|t| pred(&t)) {
                desc.unlock_header(s);
                continue;
            }
            self.pin_locked(id, s);
            let page = self.pool.lock_page_shared(id);
            let result = self.flush_buffer(id, &page);
            drop(page);
            self.unpin(id);
            result?;
            written += 1;
            pace(written);
        }
        Ok(written)
    }

    /// Writes out every dirty buffer (a checkpoint, a shutdown). The caller must
    /// hold no content lock (rule 7: a flush takes them in shared mode).
    pub fn flush_all(&self) -> Result<usize, StorageError> {
        self.flush_matching(|_| true)
    }

    /// The number of dirty buffers now.
    pub fn count_dirty(&self) -> usize {
        let want = buf_state::VALID | buf_state::DIRTY;
        self.pool
            .descs()
            .iter()
            .filter(|d| d.load_state() & want == want)
            .count()
    }

    /// [`Self::flush_all`], calling `pace` with the count written so far after
    /// each write (a checkpoint spreads its writes by sleeping there).
    pub fn flush_all_paced(&self, pace: &mut dyn FnMut(usize)) -> Result<usize, StorageError> {
        self.flush_matching_paced(|_| true, pace)
    }

    /// Writes out the dirty buffers of one relation (all forks).
    pub fn flush_relation(&self, rel: RelFileLocator) -> Result<usize, StorageError> {
        self.flush_matching(|t| t.rel == rel)
    }

    /// Forgets the buffers of `rel` (one fork, or all when `fork` is None) from
    /// block `first_block` on, dirty or not, without writing them: the relation
    /// is being dropped or truncated (PostgreSQL's `DropRelationBuffers`). The
    /// caller holds an AccessExclusiveLock, so nobody may still pin them: a pin
    /// found is an error. Returns how many buffers were dropped.
    pub fn drop_relation_buffers(
        &self,
        rel: RelFileLocator,
        fork: Option<ForkNumber>,
        first_block: BlockNumber,
    ) -> Result<usize, StorageError> {
        self.drop_matching(|t: &BufferTag| {
            t.rel == rel && fork.is_none_or(|f| t.fork == f) && t.block >= first_block
        })
    }

    /// Forgets every buffer of database `db_oid` without writing it (DROP
    /// DATABASE, under the same no-pin rule as [`Self::drop_relation_buffers`]).
    pub fn drop_database_buffers(&self, db_oid: u32) -> Result<usize, StorageError> {
        self.drop_matching(|t: &BufferTag| {
            t.rel.db_oid == db_oid && t.rel.spc_oid != crate::smgr::GLOBAL_TABLESPACE_OID
        })
    }

    /// Writes every dirty buffer of database `db_oid` (CREATE DATABASE copies
    /// its template's files afterwards).
    pub fn flush_database(&self, db_oid: u32) -> Result<usize, StorageError> {
        self.flush_matching(|t| {
            t.rel.db_oid == db_oid && t.rel.spc_oid != crate::smgr::GLOBAL_TABLESPACE_OID
        })
    }

    fn drop_matching(&self, matches: impl Fn(&BufferTag) -> bool) -> Result<usize, StorageError> {
        let mut dropped = 0;
        for id in 0..self.pool.len() {
            let desc = self.pool.desc(id);
            let s = desc.lock_header();
            let tag = if s & buf_state::TAG_VALID != 0 {
                desc.tag()
            } else {
                None
            };
            desc.unlock_header(s);
            if let Some(tag) = tag.filter(&matches)
                && self.invalidate_buffer(id, tag)?
            {
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    /// Clears buffer `id` if it still holds `tag` (PostgreSQL's
    /// `InvalidateBuffer`); returns whether it did.
    fn invalidate_buffer(&self, id: usize, tag: BufferTag) -> Result<bool, StorageError> {
        let desc = self.pool.desc(id);
        let hash = tag.hash();
        loop {
            let guard = self.table.lock_partition(hash, LWLockMode::Exclusive);
            let s = desc.lock_header();
            if s & buf_state::TAG_VALID == 0 || desc.tag() != Some(tag) {
                desc.unlock_header(s);
                return Ok(false);
            }
            if buf_state::refcount(s) != 0 {
                desc.unlock_header(s);
                drop(guard);
                if s & buf_state::IO_IN_PROGRESS != 0 {
                    self.wait_io(id);
                    continue;
                }
                return Err(BufferError::Pinned { buffer: id, tag }.into());
            }
            // Refcount is zero: clear tag validity, flags and usage count at once.
            desc.unlock_header(0);
            self.table.delete(&tag, hash, &guard);
            return Ok(true);
        }
    }

    /// Every buffer's state now (racy: for tests, diagnostics, pg_buffercache).
    pub fn snapshot(&self) -> Vec<BufferSnapshot> {
        (0..self.pool.len())
            .map(|id| {
                let desc = self.pool.desc(id);
                let s = desc.lock_header();
                let tag = if s & buf_state::TAG_VALID != 0 {
                    desc.tag()
                } else {
                    None
                };
                desc.unlock_header(s);
                BufferSnapshot {
                    id,
                    tag,
                    refcount: buf_state::refcount(s),
                    usage_count: buf_state::usage_count(s),
                    flags: s & !(buf_state::REFCOUNT_MASK
                        | buf_state::USAGECOUNT_MASK
                        | buf_state::LOCKED),
                    private_pins: self.private_count(id),
                }
            })
            .collect()
    }

    /// How many buffers this backend has pinned (a leak check at transaction end).
    pub fn pinned_buffers(&self) -> usize {
        self.private_pins.borrow().len()
    }
}

/// The mapping partition locks of a buffer's new and old tags, taken in
/// partition order (rule 10) and once if they are the same.
struct PartitionPair<'a> {
    first: (usize, LWLockGuard<'a>),
    second: Option<(usize, LWLockGuard<'a>)>,
}

impl<'a> PartitionPair<'a> {
    fn lock(table: &BufTable<'a>, new_hash: u32, old_hash: Option<u32>) -> PartitionPair<'a> {
        let new_p = partition_of(new_hash);
        match old_hash {
            Some(oh) if partition_of(oh) != new_p => {
                let (lo, hi) = if partition_of(oh) < new_p {
                    (oh, new_hash)
                } else {
                    (new_hash, oh)
                };
                let first = (
                    partition_of(lo),
                    table.lock_partition(lo, LWLockMode::Exclusive),
                );
                let second = (
                    partition_of(hi),
                    table.lock_partition(hi, LWLockMode::Exclusive),
                );
                PartitionPair {
                    first,
                    second: Some(second),
                }
            }
            _ => PartitionPair {
                first: (new_p, table.lock_partition(new_hash, LWLockMode::Exclusive)),
                second: None,
            },
        }
    }

    fn guard_for(&self, hash: u32) -> &LWLockGuard<'a> {
        let p = partition_of(hash);
        match &self.second {
            Some((sp, g)) if *sp == p => g,
            _ => &self.first.1,
        }
    }
}

/// A pinned shared buffer (rule 1: a pin keeps the buffer holding this block).
/// Dropping it unpins; cloning adds a pin (backend-private, rule 2).
pub struct PinnedBuffer<'m> {
    mgr: &'m BufferManager<'m>,
    id: usize,
    tag: BufferTag,
}

impl std::fmt::Debug for PinnedBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedBuffer")
            .field("id", &self.id)
            .field("tag", &self.tag)
            .finish()
    }
}

impl Clone for PinnedBuffer<'_> {
    fn clone(&self) -> Self {
        self.mgr.pin(self.id, false);
        PinnedBuffer {
            mgr: self.mgr,
            id: self.id,
            tag: self.tag,
        }
    }
}

impl Drop for PinnedBuffer<'_> {
    fn drop(&mut self) {
        self.mgr.unpin(self.id);
    }
}

impl<'m> PinnedBuffer<'m> {
    /// The buffer id (index in the pool).
    pub fn id(&self) -> usize {
        self.id
    }

    pub fn tag(&self) -> BufferTag {
        self.tag
    }

    /// Content lock in shared mode: read the page.
    pub fn lock_shared(&self) -> BufferReadGuard<'_> {
        BufferReadGuard {
            page: self.mgr.pool.lock_page_shared(self.id),
            _pin: self,
        }
    }

    /// Content lock in exclusive mode: change the page (then mark it dirty).
    pub fn lock_exclusive(&self) -> BufferWriteGuard<'_> {
        BufferWriteGuard {
            page: self.mgr.pool.lock_page_exclusive(self.id),
            pin: self,
        }
    }

    /// [`Self::lock_shared`] without waiting.
    pub fn try_lock_shared(&self) -> Option<BufferReadGuard<'_>> {
        Some(BufferReadGuard {
            page: self.mgr.pool.try_lock_page_shared(self.id)?,
            _pin: self,
        })
    }

    /// [`Self::lock_exclusive`] without waiting.
    pub fn try_lock_exclusive(&self) -> Option<BufferWriteGuard<'_>> {
        Some(BufferWriteGuard {
            page: self.mgr.pool.try_lock_page_exclusive(self.id)?,
            pin: self,
        })
    }

    fn check_sole_private_pin(&self) -> Result<(), StorageError> {
        match self.mgr.private_count(self.id) {
            1 => Ok(()),
            pins => Err(BufferError::CleanupWithExtraPins {
                buffer: self.id,
                pins,
            }
            .into()),
        }
    }

    /// The cleanup lock (rule 11): exclusive content lock while ours is the
    /// only pin. Waits for other backends to unpin, as PostgreSQL's
    /// `LockBufferForCleanup`: releases the content lock, sets
    /// PIN_COUNT_WAITER, and sleeps until an unpin leaves one pin.
    pub fn lock_for_cleanup(&self) -> Result<BufferWriteGuard<'_>, StorageError> {
        self.check_sole_private_pin()?;
        let desc = self.mgr.pool.desc(self.id);
        let mut waiting = false;
        loop {
            let guard = self.lock_exclusive();
            let s = desc.lock_header();
            if buf_state::refcount(s) == 1 {
                let s = if waiting {
                    s & !buf_state::PIN_COUNT_WAITER
                } else {
                    s
                };
                desc.unlock_header(s);
                return Ok(guard);
            }
            if s & buf_state::PIN_COUNT_WAITER != 0 && !waiting {
                desc.unlock_header(s);
                return Err(BufferError::MultipleCleanupWaiters.into());
            }
            let sleeping_on = (s | buf_state::PIN_COUNT_WAITER) & !buf_state::LOCKED;
            desc.unlock_header(sleeping_on);
            drop(guard);
            waiting = true;
            futex_wait(&desc.state, sleeping_on);
        }
    }

    /// The cleanup lock if it is free now (PostgreSQL's
    /// `ConditionalLockBufferForCleanup`).
    pub fn try_lock_for_cleanup(&self) -> Option<BufferWriteGuard<'_>> {
        self.check_sole_private_pin().ok()?;
        let guard = self.try_lock_exclusive()?;
        let s = self.mgr.pool.desc(self.id).load_state();
        (buf_state::refcount(s) == 1).then_some(guard)
    }
}

/// A pinned page under its shared content lock.
pub struct BufferReadGuard<'p> {
    page: PageReadGuard<'p>,
    _pin: &'p PinnedBuffer<'p>,
}

impl std::ops::Deref for BufferReadGuard<'_> {
    type Target = [u8; BLCKSZ];
    fn deref(&self) -> &[u8; BLCKSZ] {
        &self.page
    }
}

/// A pinned page under its exclusive content lock.
pub struct BufferWriteGuard<'p> {
    page: PageWriteGuard<'p>,
    pin: &'p PinnedBuffer<'p>,
}

impl BufferWriteGuard<'_> {
    /// Marks the page dirty (rule 7: only under the exclusive content lock).
    /// A change to the page is logged with [`Self::log_change`], which does
    /// this too; alone, this is for pages the WAL does not cover.
    pub fn mark_dirty(&mut self) {
        let desc = self.pin.mgr.pool.desc(self.pin.id);
        let s = desc.lock_header();
        desc.unlock_header(s | buf_state::DIRTY | buf_state::JUST_DIRTIED);
    }

    /// A copy of the page as it is now: what [`Self::log_change`] compares
    /// the changed page with.
    pub fn before_image(&self) -> Box<[u8; BLCKSZ]> {
        Box::new(**self)
    }

    /// Marks the page dirty and logs its change since `before` (rule 7):
    /// dirty first, so that a checkpoint whose redo point follows the record
    /// finds the buffer dirty; then the record, whose end LSN is stamped on
    /// the page before the content lock is released. The page is already
    /// changed, so failing to log it is PANIC: shared memory can no longer be
    /// trusted to match the WAL (PostgreSQL's critical section).
    pub fn log_change(
        &mut self,
        before: &[u8; BLCKSZ],
        op: PageOp,
        xid: u64,
    ) -> types::PgResult<()> {
        self.log_change_copying(before, op, xid, None)
    }

    /// [`Self::log_change`] where part of the page now repeats bytes that
    /// were elsewhere on it before (a new row version made from the old one
    /// on the same page): logged as a copy instead of the bytes.
    pub fn log_change_copying(
        &mut self,
        before: &[u8; BLCKSZ],
        op: PageOp,
        xid: u64,
        copy: Option<wal::delta::Copy>,
    ) -> types::PgResult<()> {
        self.mark_dirty();
        let tag = self.pin.tag;
        let logged = self
            .pin
            .mgr
            .wal
            .log_page(&tag, before, &self.page, op, xid, copy);
        self.stamp(logged)
    }

    /// [`Self::log_change`] for pruning (`op` `Prune` or `Vacuum`, main fork):
    /// logged as what was done (`wal::WalRecord::HeapPrune`: the roots
    /// redirected, the pointers made dead and those made unused, and the new
    /// prune xid), not as bytes.
    pub fn log_prune(
        &mut self,
        before: &[u8; BLCKSZ],
        op: PageOp,
        redirected: Vec<(u16, u16)>,
        dead: Vec<u16>,
        unused: Vec<u16>,
        prune_xid: u64,
    ) -> types::PgResult<()> {
        self.mark_dirty();
        let tag = self.pin.tag;
        debug_assert_eq!(tag.fork, ForkNumber::Main);
        let record = WalRecord::HeapPrune {
            op,
            rel: crate::xlog::rel_id(tag.rel),
            block: tag.block,
            redirected,
            dead,
            unused,
            prune_xid,
        };
        let logged = self
            .pin
            .mgr
            .wal
            .log_logical(&tag, before, &self.page, op, record);
        self.stamp(logged)
    }

    /// Stamps the LSN a logging call returned; a failure is PANIC (see
    /// [`Self::log_change`]).
    fn stamp(&mut self, logged: Result<Option<u64>, StorageError>) -> types::PgResult<()> {
        match logged {
            Ok(Some(lsn)) => {
                set_page_lsn(&mut self.page, lsn);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                let e = types::PgError::from(e);
                Err(types::PgError {
                    severity: types::error::Severity::Panic,
                    ..e
                })
            }
        }
    }

    /// Marks the page dirty for a hint-bit change, which is not logged, but
    /// the first change of a page since the redo point logs its image, so a
    /// torn write of it can be repaired (checksums are always on).
    pub fn mark_dirty_hint(&mut self) -> types::PgResult<()> {
        let tag = self.pin.tag;
        if let Some(lsn) = self
            .pin
            .mgr
            .wal
            .log_hint(&tag, &self.page)
            .map_err(types::PgError::from)?
        {
            set_page_lsn(&mut self.page, lsn);
        }
        self.mark_dirty();
        Ok(())
    }

    /// Whether hint bits saying "committed" may be set now.
    pub fn commit_hints_allowed(&self) -> bool {
        self.pin.mgr.wal.commit_hints_allowed()
    }
}

/// A page under its exclusive content lock that owns its pin, for code
/// that holds several pages at once and passes them around (a B-tree split
/// holds the pages it changes until their one WAL record is written).
/// Dropping it releases the lock, then the pin.
pub struct OwnedWriteGuard<'m> {
    // Field order is drop order: unlock before unpin.
    page: PageWriteGuard<'m>,
    pin: PinnedBuffer<'m>,
}

impl<'m> OwnedWriteGuard<'m> {
    /// Locks `pin`'s page exclusively, waiting as [`PinnedBuffer::lock_exclusive`].
    pub fn lock(pin: PinnedBuffer<'m>) -> OwnedWriteGuard<'m> {
        OwnedWriteGuard {
            page: pin.mgr.pool.lock_page_exclusive(pin.id),
            pin,
        }
    }

    /// [`Self::lock`] without waiting: None if someone holds the lock.
    pub fn try_lock(pin: PinnedBuffer<'m>) -> Option<OwnedWriteGuard<'m>> {
        Some(OwnedWriteGuard {
            page: pin.mgr.pool.try_lock_page_exclusive(pin.id)?,
            pin,
        })
    }

    pub fn tag(&self) -> BufferTag {
        self.pin.tag
    }

    /// See [`BufferWriteGuard::before_image`].
    pub fn before_image(&self) -> Box<[u8; BLCKSZ]> {
        Box::new(*self.page)
    }

    fn mark_dirty(&self) {
        let desc = self.pin.mgr.pool.desc(self.pin.id);
        let s = desc.lock_header();
        desc.unlock_header(s | buf_state::DIRTY | buf_state::JUST_DIRTIED);
    }

    /// Logs the changes of `pages` since their `befores` (same order) as one
    /// WAL record and stamps its LSN on each (rule 7; as
    /// [`BufferWriteGuard::log_change`], failing is PANIC). Pages that did
    /// not change are left out of the record.
    pub fn log_changes(
        pages: &mut [&mut OwnedWriteGuard<'m>],
        befores: &[&[u8; BLCKSZ]],
        op: PageOp,
    ) -> types::PgResult<()> {
        let Some(first) = pages.first() else {
            return Ok(());
        };
        let wal = &first.pin.mgr.wal;
        for p in pages.iter() {
            p.mark_dirty();
        }
        let logged = {
            let list: Vec<(BufferTag, &[u8; BLCKSZ], &[u8; BLCKSZ])> = pages
                .iter()
                .zip(befores)
                .map(|(p, b)| (p.pin.tag, *b, &*p.page))
                .collect();
            wal.log_pages(&list, op)
        };
        match logged {
            Ok(Some(lsn)) => {
                for p in pages.iter_mut() {
                    set_page_lsn(&mut p.page, lsn);
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                let e = types::PgError::from(e);
                Err(types::PgError {
                    severity: types::error::Severity::Panic,
                    ..e
                })
            }
        }
    }
}

impl std::ops::Deref for OwnedWriteGuard<'_> {
    type Target = [u8; BLCKSZ];
    fn deref(&self) -> &[u8; BLCKSZ] {
        &self.page
    }
}

impl std::ops::DerefMut for OwnedWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut [u8; BLCKSZ] {
        &mut self.page
    }
}

impl std::ops::Deref for BufferWriteGuard<'_> {
    type Target = [u8; BLCKSZ];
    fn deref(&self) -> &[u8; BLCKSZ] {
        &self.page
    }
}

impl std::ops::DerefMut for BufferWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut [u8; BLCKSZ] {
        &mut self.page
    }
}
