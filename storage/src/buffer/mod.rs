//! The buffer manager: one pool of 8 KiB pages in shared memory through which
//! every process reads and writes relation blocks (PostgreSQL's
//! `src/backend/storage/buffer`). The access rules and lock ordering are in
//! `storage/README.md`, section "Buffer manager".
//!
//! ```text
//!  backend A          backend B              shared memory
//! +-----------+     +-----------+    +------------------------------------+
//! | private   |     | private   |    | mapping table (128 partitions)     |
//! | pin counts|     | pin counts|    |   tag -> buffer id                 |
//! | ring      |     |           |    | descriptors [state|tag|locks] x N  |
//! +-----+-----+     +-----+-----+    | clock hand                         |
//!       |  read_buffer(tag)  |       | pages [8 KiB] x N                  |
//!       +---------+----------+       +------------------------------------+
//!                 v
//!   1. look tag up under its partition lock (shared); found: pin, done
//!   2. else choose a victim: ring or clock sweep (strategy.rs)
//!   3. dirty victim: write it out through BlockStore (WAL first)
//!   4. lock old and new partitions, insert new tag, retag the buffer,
//!      delete the old tag
//!   5. read the block in with IO_IN_PROGRESS set; others wait for it
//! ```
//!
//! Entry points: [`BufferManager::read_buffer`] gives a [`PinnedBuffer`];
//! [`PinnedBuffer::lock_shared`] / [`PinnedBuffer::lock_exclusive`] give the
//! page; [`BufferWriteGuard::mark_dirty`]; [`PinnedBuffer::lock_for_cleanup`];
//! [`BufferManager::flush_all`], [`BufferManager::flush_relation`],
//! [`BufferManager::drop_relation_buffers`]; [`BufferAccessStrategy`] for bulk
//! access. Blocks move through a [`BlockStore`] (smgr in the server,
//! [`MemBlockStore`] in tests).

mod bufmgr;
pub mod mapping;
mod store;
pub mod strategy;
pub mod tag;

#[cfg(test)]
mod tests;

pub use bufmgr::{
    BlockStore, BufferManager, BufferReadGuard, BufferSnapshot, BufferWriteGuard, NoWal,
    OwnedWriteGuard, PinnedBuffer, ReadMode, WalFlush, page_lsn, set_page_lsn,
};
pub use store::MemBlockStore;
pub use strategy::{BufferAccessStrategy, StrategyKind};
pub use tag::{BLCKSZ, BlockNumber, BufferTag, ForkNumber, RelFileLocator};

/// Failures of the buffer manager itself (I/O errors come from the
/// [`BlockStore`] unchanged).
#[derive(Debug, thiserror::Error)]
pub enum BufferError {
    /// Every buffer is pinned: the pool is too small for the concurrency.
    #[error("no unpinned buffers available")]
    NoUnpinnedBuffers,
    /// A mapping partition overflowed (tags hashed extremely unevenly).
    #[error("out of shared memory")]
    MappingFull,
    /// Dropping a relation's buffers found one still pinned.
    #[error("buffer {buffer} holding block {tag} is still pinned")]
    Pinned { buffer: usize, tag: BufferTag },
    /// A cleanup lock was asked for while this backend holds extra pins.
    #[error("cannot take a cleanup lock on buffer {buffer} while holding {pins} pins on it")]
    CleanupWithExtraPins { buffer: usize, pins: u32 },
    /// Two backends waited for a cleanup lock on the same buffer.
    #[error("multiple backends attempting to wait for pincount 1")]
    MultipleCleanupWaiters,
    /// The segment has no buffer pool (shared_buffers = 0).
    #[error("shared memory has no buffer pool")]
    NoBuffers,
}

impl BufferError {
    /// The SQLSTATE a client sees.
    pub fn sqlstate(&self) -> types::SqlState {
        match self {
            BufferError::NoUnpinnedBuffers => types::SqlState::InternalError,
            BufferError::MappingFull => types::SqlState::OutOfMemory,
            BufferError::Pinned { .. } => types::SqlState::InternalError,
            BufferError::CleanupWithExtraPins { .. } => types::SqlState::InternalError,
            BufferError::MultipleCleanupWaiters => types::SqlState::InternalError,
            BufferError::NoBuffers => types::SqlState::InternalError,
        }
    }
}
