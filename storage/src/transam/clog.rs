//! The commit log: two status bits per transaction in 8 KiB pages, files under
//! `pg_xact/`, with a cache of pages in shared memory (PostgreSQL's `clog.c`
//! over `slru.c`).
//!
//! SKELETON: the slot type is fixed so that the segment layout can size it.

use std::sync::atomic::AtomicU64;

use crate::lwlock::LWLock;
use crate::shmem::ShmemSafe;

/// A CLOG page as 64-bit words (8192 bytes).
pub const WORDS_PER_PAGE: usize = 1024;

/// One cached CLOG page's descriptor. Its contents are `WORDS_PER_PAGE` words
/// of [`crate::shmem::RegionId::ClogWords`] at index `slot * WORDS_PER_PAGE`.
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
