//! An in-memory [`BlockStore`] for tests (and for anyone who needs a pool
//! without files): blocks in a map, with counters and injectable failures.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::bufmgr::BlockStore;
use super::tag::{BLCKSZ, BufferTag};
use crate::StorageError;

/// Blocks kept in process memory. A block never written reads as zeroes.
#[derive(Default)]
pub struct MemBlockStore {
    blocks: Mutex<BTreeMap<BufferTag, Box<[u8; BLCKSZ]>>>,
    reads: AtomicU64,
    writes: AtomicU64,
    fail_reads: AtomicBool,
    fail_writes: AtomicBool,
    read_delay_ms: AtomicU64,
    log: Mutex<Vec<String>>,
}

impl std::fmt::Debug for MemBlockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemBlockStore")
            .field("reads", &self.reads())
            .field("writes", &self.writes())
            .finish()
    }
}

impl MemBlockStore {
    pub fn new() -> MemBlockStore {
        MemBlockStore::default()
    }

    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Makes every following read (or write) fail with an I/O error.
    pub fn set_fail_reads(&self, on: bool) {
        self.fail_reads.store(on, Ordering::Relaxed);
    }

    pub fn set_fail_writes(&self, on: bool) {
        self.fail_writes.store(on, Ordering::Relaxed);
    }

    /// Makes each read sleep this long (to widen race windows in tests).
    pub fn set_read_delay(&self, delay: Duration) {
        self.read_delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// A copy of a stored block.
    pub fn block(&self, tag: &BufferTag) -> Option<Box<[u8; BLCKSZ]>> {
        self.blocks.lock().ok()?.get(tag).cloned()
    }

    /// Stores a block directly (test setup).
    pub fn put(&self, tag: BufferTag, data: &[u8; BLCKSZ]) {
        if let Ok(mut blocks) = self.blocks.lock() {
            blocks.insert(tag, Box::new(*data));
        }
    }

    /// The reads and writes done since the last call, as `read <tag>` /
    /// `write <tag>` lines.
    pub fn take_log(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }

    fn note(&self, line: String) {
        if let Ok(mut l) = self.log.lock() {
            l.push(line);
        }
    }
}

impl BlockStore for MemBlockStore {
    fn read_block(&self, tag: &BufferTag, buf: &mut [u8; BLCKSZ]) -> Result<(), StorageError> {
        let delay = self.read_delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.note(format!("read {tag}"));
        if self.fail_reads.load(Ordering::Relaxed) {
            return Err(std::io::Error::other(format!(
                "could not read block {} of relation {tag}: injected failure",
                tag.block
            ))
            .into());
        }
        let blocks = self
            .blocks
            .lock()
            .map_err(|_| std::io::Error::other("store poisoned"))?;
        match blocks.get(tag) {
            Some(b) => buf.copy_from_slice(&b[..]),
            None => buf.fill(0),
        }
        Ok(())
    }

    fn write_block(&self, tag: &BufferTag, buf: &[u8; BLCKSZ]) -> Result<(), StorageError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.note(format!("write {tag}"));
        if self.fail_writes.load(Ordering::Relaxed) {
            return Err(std::io::Error::other(format!(
                "could not write block {} of relation {tag}: injected failure",
                tag.block
            ))
            .into());
        }
        let mut blocks = self
            .blocks
            .lock()
            .map_err(|_| std::io::Error::other("store poisoned"))?;
        blocks.insert(*tag, Box::new(*buf));
        Ok(())
    }
}
