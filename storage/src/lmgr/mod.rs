//! The heavyweight lock manager (PostgreSQL's `lmgr/lock.c`, `lmgr.c`,
//! `deadlock.c`): table, tuple, transaction-id and other object locks held
//! until transaction end, in a lock table in shared memory.
//!
//! SKELETON: the shared types are fixed in name so that the segment layout can
//! size them; their fields and the API are the lock-manager work's to define.

use std::sync::atomic::AtomicU64;

use crate::shmem::ShmemSafe;

/// Lock-manager control, one per segment.
#[repr(C, align(64))]
pub struct LmgrShared {
    pub(crate) placeholder: AtomicU64,
}
// SAFETY: repr(C), atomics only, zero is valid.
unsafe impl ShmemSafe for LmgrShared {}

/// One entry of the lock table.
#[repr(C, align(64))]
pub struct LockSlot {
    pub(crate) placeholder: AtomicU64,
}
// SAFETY: repr(C), atomics only, zero is valid.
unsafe impl ShmemSafe for LockSlot {}

/// One backend's lock-manager state (what it waits for, its wake-up futex).
#[repr(C, align(64))]
pub struct LmgrProc {
    pub(crate) placeholder: AtomicU64,
}
// SAFETY: repr(C), atomics only, zero is valid.
unsafe impl ShmemSafe for LmgrProc {}
