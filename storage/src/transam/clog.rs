//! The commit log: two status bits per transaction in 8 KiB pages, files under
//! `pg_xact/`, with a cache of pages in shared memory (PostgreSQL's `clog.c`
//! over `slru.c`).
//!
//! ```text
//! xid -> page = xid / 32768            segment file = page / 32, "pg_xact/%015X"
//!        word = (xid % 32768) / 32     offset in file = (page % 32) * 8192
//!        bits = 2 * (xid % 32)         00 in progress, 01 committed, 10 aborted
//! ```
//!
//! Cache: `clog_buffers` [`ClogSlot`]s, each caching one page in 1024 atomic
//! words of [`RegionId::ClogWords`]. Which page a slot holds changes only with
//! the CLOG control lock (in `TransamShared`) *and* the slot's own lock held
//! exclusively, so holding either one pins the slot's identity. A lookup takes
//! the control lock shared, finds the slot, takes the slot lock, and releases
//! the control lock; a miss takes the control lock exclusive, picks the empty
//! or least recently used slot, writes it out if dirty, and reads the wanted
//! page in (zeros where the file or the page does not exist yet). Lock order:
//! control lock, then a slot lock; never the other way.
//!
//! Status bits are set only under the slot lock held exclusively; a page is
//! written under the slot lock (either mode), so every image written holds
//! every bit set before it, and a later write never loses an earlier bit.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use types::{PgError, PgResult, Severity};

use super::control::{file_error, fsync_dir};
use super::{TransactionId, TransamShared, XidStatus};
use crate::lwlock::{LWLock, LWLockMode};
use crate::shmem::{RegionId, SharedMemory, ShmemSafe};

/// A CLOG page as 64-bit words (8192 bytes).
pub const WORDS_PER_PAGE: usize = 1024;
/// Bytes of a CLOG page.
pub const CLOG_PAGE_SIZE: usize = WORDS_PER_PAGE * 8;
/// Transactions whose status one 64-bit word holds.
pub const XIDS_PER_WORD: u64 = 32;
/// Transactions per page (4 per byte).
pub const XIDS_PER_PAGE: u64 = XIDS_PER_WORD * WORDS_PER_PAGE as u64;
/// Pages per `pg_xact` segment file (PostgreSQL's `SLRU_PAGES_PER_SEGMENT`).
pub const PAGES_PER_SEGMENT: u64 = 32;
/// The directory of the segment files, relative to the data directory.
pub const PG_XACT_DIR: &str = "pg_xact";

const STATUS_COMMITTED: u64 = 0b01;
const STATUS_ABORTED: u64 = 0b10;

/// One cached CLOG page's descriptor. Its contents are `WORDS_PER_PAGE` words
/// of [`crate::shmem::RegionId::ClogWords`] at index `slot * WORDS_PER_PAGE`.
///
/// Locking: `page` changes only with the CLOG control lock and `lock` both held
/// exclusively (so either one, in any mode, keeps it stable); the words are
/// read under `lock` shared and changed under `lock` exclusive; `dirty` is set
/// under `lock` exclusive and cleared by a writer under `lock` (any mode)
/// before it copies the words; `lru` is a hint, stored without a lock.
#[repr(C, align(64))]
pub struct ClogSlot {
    pub(crate) lock: LWLock,
    /// Page number + 1 (0 = empty slot).
    pub(crate) page: AtomicU64,
    /// Last-use stamp for replacement.
    pub(crate) lru: AtomicU64,
    /// Nonzero when the page has changes not yet written to pg_xact.
    pub(crate) dirty: AtomicU64,
}

// SAFETY: repr(C), an LWLock and atomics; all-zero is an empty slot.
unsafe impl ShmemSafe for ClogSlot {}

/// The page holding `xid`'s status.
pub fn page_of(xid: TransactionId) -> u64 {
    xid / XIDS_PER_PAGE
}

/// The segment file name of `page`: 15 uppercase hex digits, as PostgreSQL 17
/// names the segments of SLRUs with 64-bit page numbers.
pub fn segment_file_name(page: u64) -> String {
    format!("{:015X}", page / PAGES_PER_SEGMENT)
}

fn word_and_shift(xid: TransactionId) -> (usize, u32) {
    let i = xid % XIDS_PER_PAGE;
    (
        (i / XIDS_PER_WORD) as usize,
        ((i % XIDS_PER_WORD) * 2) as u32,
    )
}

/// A process's view of the CLOG cache in the segment.
pub(crate) struct Clog<'a> {
    shared: &'a TransamShared,
    slots: &'a [ClogSlot],
    words: &'a [AtomicU64],
    dir: PathBuf,
    shmem: &'a SharedMemory,
}

impl<'a> Clog<'a> {
    pub(crate) fn new(shmem: &'a SharedMemory, data_dir: &Path) -> Clog<'a> {
        Clog {
            shared: &shmem.region::<TransamShared>(RegionId::Transam)[0],
            slots: shmem.region::<ClogSlot>(RegionId::ClogSlots),
            words: shmem.region::<AtomicU64>(RegionId::ClogWords),
            dir: data_dir.join(PG_XACT_DIR),
            shmem,
        }
    }

    fn control(&self) -> &'a LWLock {
        &self.shared.clog_control_lock.lock
    }

    fn page_words(&self, slot: usize) -> &'a [AtomicU64] {
        &self.words[slot * WORDS_PER_PAGE..(slot + 1) * WORDS_PER_PAGE]
    }

    fn find(&self, page: u64) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.page.load(Ordering::Acquire) == page + 1)
    }

    fn touch(&self, slot: usize) {
        let stamp = self.shared.clog_lru_clock.fetch_add(1, Ordering::Relaxed) + 1;
        self.slots[slot].lru.store(stamp, Ordering::Relaxed);
    }

    /// Runs `f` on `page`'s slot with the slot lock held in `mode` (or
    /// exclusive when the page had to be brought in), loading the page into
    /// the cache first if needed. With `zero`, a page not cached is created
    /// as zeros instead of being read (PostgreSQL's `ZeroCLOGPage`).
    fn with_page<R>(
        &self,
        page: u64,
        mode: LWLockMode,
        zero: bool,
        f: impl FnOnce(&'a ClogSlot, &'a [AtomicU64]) -> PgResult<R>,
    ) -> PgResult<R> {
        if self.slots.is_empty() {
            return Err(PgError::internal("no CLOG buffers in shared memory"));
        }
        {
            let ctl = self.control().acquire_shared();
            if let Some(i) = self.find(page) {
                let _slot_lock = self.slots[i].lock.acquire(mode);
                drop(ctl);
                self.touch(i);
                return f(&self.slots[i], self.page_words(i));
            }
        }
        let ctl = self.control().acquire_exclusive();
        if let Some(i) = self.find(page) {
            // Brought in by someone else while we waited.
            let _slot_lock = self.slots[i].lock.acquire(mode);
            drop(ctl);
            self.touch(i);
            return f(&self.slots[i], self.page_words(i));
        }
        let victim = self.choose_victim();
        let slot = &self.slots[victim];
        let _slot_lock = slot.lock.acquire_exclusive();
        let words = self.page_words(victim);
        let old = slot.page.load(Ordering::Acquire);
        if old != 0 && slot.dirty.load(Ordering::Acquire) != 0 {
            crate::xlog::wait_for_async_commits(self.shmem);
            slot.dirty.store(0, Ordering::Release);
            if let Err(e) = self.write_page(old - 1, words) {
                slot.dirty.store(1, Ordering::Release);
                return Err(e);
            }
        }
        slot.page.store(0, Ordering::Release);
        if zero {
            words.iter().for_each(|w| w.store(0, Ordering::Relaxed));
        } else {
            self.read_page(page, words)?;
        }
        slot.dirty.store(u64::from(zero), Ordering::Release);
        slot.page.store(page + 1, Ordering::Release);
        drop(ctl);
        self.touch(victim);
        f(slot, words)
    }

    /// An empty slot, else the least recently used one. Caller holds the
    /// control lock exclusively.
    fn choose_victim(&self) -> usize {
        if let Some(i) = self
            .slots
            .iter()
            .position(|s| s.page.load(Ordering::Acquire) == 0)
        {
            return i;
        }
        let mut best = 0;
        let mut best_stamp = u64::MAX;
        for (i, s) in self.slots.iter().enumerate() {
            let stamp = s.lru.load(Ordering::Relaxed);
            if stamp < best_stamp {
                best = i;
                best_stamp = stamp;
            }
        }
        best
    }

    fn segment_path(&self, page: u64) -> PathBuf {
        self.dir.join(segment_file_name(page))
    }

    fn rel_name(page: u64) -> String {
        format!("{PG_XACT_DIR}/{}", segment_file_name(page))
    }

    /// Reads `page` from its segment file into `words`; zeros where the file
    /// or the page is not there (never written: every xid in it in progress).
    fn read_page(&self, page: u64, words: &[AtomicU64]) -> PgResult<()> {
        let mut buf = vec![0u8; CLOG_PAGE_SIZE];
        match File::open(self.segment_path(page)) {
            Ok(f) => {
                let offset = (page % PAGES_PER_SEGMENT) * CLOG_PAGE_SIZE as u64;
                let mut done = 0;
                while done < buf.len() {
                    match f.read_at(&mut buf[done..], offset + done as u64) {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(file_error(
                                &e,
                                format!(
                                    "could not read from file \"{}\" at offset {offset}",
                                    Self::rel_name(page)
                                ),
                            )
                            .with_detail(format!(
                                "Could not access status of transaction page {page}."
                            )));
                        }
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(file_error(
                    &e,
                    format!("could not open file \"{}\"", Self::rel_name(page)),
                ));
            }
        }
        for (i, w) in words.iter().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[i * 8..i * 8 + 8]);
            w.store(u64::from_le_bytes(b), Ordering::Relaxed);
        }
        Ok(())
    }

    /// Opens (creating if needed, with an fsync of `pg_xact/` so that the
    /// new name survives a crash) the segment file of `page`.
    fn open_segment(&self, page: u64) -> PgResult<File> {
        let path = self.segment_path(page);
        match OpenOptions::new().write(true).open(&path) {
            Ok(f) => Ok(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let f = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)
                    .map_err(|e| {
                        file_error(
                            &e,
                            format!("could not create file \"{}\"", Self::rel_name(page)),
                        )
                    })?;
                fsync_dir(&self.dir).map_err(|e| {
                    file_error(&e, format!("could not fsync directory \"{PG_XACT_DIR}\""))
                })?;
                Ok(f)
            }
            Err(e) => Err(file_error(
                &e,
                format!("could not open file \"{}\"", Self::rel_name(page)),
            )),
        }
    }

    /// Writes the cached words of `page` to its file (no fsync). The caller
    /// holds the slot lock, so the words do not change under us.
    fn write_page(&self, page: u64, words: &[AtomicU64]) -> PgResult<File> {
        let mut buf = Vec::with_capacity(CLOG_PAGE_SIZE);
        for w in words {
            buf.extend_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        let f = self.open_segment(page)?;
        let offset = (page % PAGES_PER_SEGMENT) * CLOG_PAGE_SIZE as u64;
        f.write_all_at(&buf, offset).map_err(|e| {
            file_error(
                &e,
                format!(
                    "could not write to file \"{}\" at offset {offset}",
                    Self::rel_name(page)
                ),
            )
        })?;
        Ok(f)
    }

    /// Makes sure the segment file that will hold `page` exists durably
    /// (called under XidGenLock for the first page of a segment and at
    /// startup, so that a commit never has to create a file).
    pub(crate) fn ensure_segment(&self, page: u64) -> PgResult<()> {
        self.open_segment(page).map(drop)
    }

    /// PostgreSQL's `ExtendCLOG`: called under XidGenLock before `xid` is
    /// handed out. On the first xid of a page the page is created as zeros in
    /// the cache (and on the first of a segment, the file is created).
    pub(crate) fn extend(&self, xid: TransactionId) -> PgResult<()> {
        if !xid.is_multiple_of(XIDS_PER_PAGE) {
            return Ok(());
        }
        let page = page_of(xid);
        if page.is_multiple_of(PAGES_PER_SEGMENT) {
            self.ensure_segment(page)?;
        }
        self.with_page(page, LWLockMode::Exclusive, true, |_, _| Ok(()))
    }

    /// The raw status bits of `xid`.
    pub(crate) fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
        let (w, shift) = word_and_shift(xid);
        let bits = self.with_page(page_of(xid), LWLockMode::Shared, false, |_, words| {
            Ok((words[w].load(Ordering::Acquire) >> shift) & 0b11)
        })?;
        Ok(match bits {
            STATUS_COMMITTED => XidStatus::Committed,
            STATUS_ABORTED => XidStatus::Aborted,
            0 => XidStatus::InProgress,
            _ => {
                return Err(PgError::new(
                    types::SqlState::DataCorrupted,
                    format!(
                        "invalid status bits {bits:#b} for transaction {xid} in \"{}\"",
                        Self::rel_name(page_of(xid))
                    ),
                ));
            }
        })
    }

    /// Sets `xid`'s status to Committed or Aborted. With `durable`, the page
    /// is written to its file and fsynced before this returns (the fsync runs
    /// after the slot lock is released: the write, done under the lock, is
    /// what orders us with other writers, and any later write of the page
    /// carries our bits too). A failure to make a commit durable is PANIC, as
    /// a commit record that cannot be flushed is in PostgreSQL.
    pub(crate) fn set_status(
        &self,
        xid: TransactionId,
        status: XidStatus,
        durable: bool,
    ) -> PgResult<()> {
        let bits = match status {
            XidStatus::Committed => STATUS_COMMITTED,
            XidStatus::Aborted => STATUS_ABORTED,
            XidStatus::InProgress => {
                return Err(PgError::internal(
                    "cannot set a transaction back to in progress",
                ));
            }
        };
        let (w, shift) = word_and_shift(xid);
        let page = page_of(xid);
        let file = self.with_page(page, LWLockMode::Exclusive, false, |slot, words| {
            // Bits change only under this exclusive lock: check, then set.
            let prev = (words[w].load(Ordering::Acquire) >> shift) & 0b11;
            if prev != 0 && prev != bits {
                return Err(PgError::internal(format!(
                    "transaction {xid} is already marked {}",
                    if prev == STATUS_COMMITTED {
                        "committed"
                    } else {
                        "aborted"
                    }
                )));
            }
            words[w].fetch_or(bits << shift, Ordering::AcqRel);
            if durable {
                slot.dirty.store(0, Ordering::Release);
                match self.write_page(page, words) {
                    Ok(f) => Ok(Some(f)),
                    Err(e) => {
                        slot.dirty.store(1, Ordering::Release);
                        Err(e)
                    }
                }
            } else {
                slot.dirty.store(1, Ordering::Release);
                Ok(None)
            }
        });
        let file = match file {
            Ok(f) => f,
            Err(e) if durable => {
                return Err(PgError {
                    severity: Severity::Panic,
                    ..e
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(f) = file {
            f.sync_data().map_err(|e| PgError {
                severity: Severity::Panic,
                ..file_error(
                    &e,
                    format!("could not fsync file \"{}\"", Self::rel_name(page)),
                )
            })?;
        }
        Ok(())
    }

    /// Writes every dirty cached page and fsyncs the files written
    /// (checkpoint and shutdown).
    pub(crate) fn flush(&self) -> PgResult<()> {
        let mut written: Vec<File> = Vec::new();
        let ctl = self.control().acquire_shared();
        for (i, slot) in self.slots.iter().enumerate() {
            let _slot_lock = slot.lock.acquire_shared();
            let page = slot.page.load(Ordering::Acquire);
            if page == 0 || slot.dirty.swap(0, Ordering::AcqRel) == 0 {
                continue;
            }
            match self.write_page(page - 1, self.page_words(i)) {
                Ok(f) => written.push(f),
                Err(e) => {
                    slot.dirty.store(1, Ordering::Release);
                    return Err(e);
                }
            }
        }
        drop(ctl);
        for f in written {
            f.sync_data().map_err(|e| PgError {
                severity: Severity::Panic,
                ..file_error(&e, format!("could not fsync a file in \"{PG_XACT_DIR}\""))
            })?;
        }
        Ok(())
    }

    /// Pages in the cache, in slot order (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn cached_pages(&self) -> Vec<Option<u64>> {
        self.slots
            .iter()
            .map(|s| s.page.load(Ordering::Acquire).checked_sub(1))
            .collect()
    }
}
