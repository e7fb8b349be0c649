//! Shared memory, process plumbing and (with the storage issue) the buffer
//! manager, relation files, pages, MVCC and locks.
//!
//! What it owns today:
//! - [`shmem`]: the one segment the postmaster creates and every child attaches,
//!   its header (magic, layout version, sizes) and the ProcArray of backend slots.
//! - [`ipc`]: handing a client socket across fork+exec on a fixed descriptor.
//!
//! This is the only crate (with `wal`, later) where `unsafe` is allowed, and all
//! of it sits in those two modules behind safe types, each block with a
//! `// SAFETY:` comment. It must never depend on the planner or executor.

pub mod buffer;
pub mod elog;
#[cfg(test)]
mod golden;
pub mod heap;
pub mod ipc;
pub mod lmgr;
pub mod lwlock;
pub mod nbtree;
pub mod notify;
pub mod page;
pub mod pgstat;
pub mod predicate;
pub mod shmem;
pub mod smgr;
pub mod smgr_store;
pub mod transam;
pub mod xlog;

/// Btree order of two values of one type (`types::compare`).
pub(crate) fn compare_datums(
    a: &types::Datum,
    b: &types::Datum,
) -> types::PgResult<std::cmp::Ordering> {
    types::compare::compare(a, b)
}

/// Failures of this crate; callers map them to a SQLSTATE where they reach a client.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{0}")]
    Shmem(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Buffer(#[from] buffer::BufferError),
    /// An error that already carries its SQLSTATE (from smgr, pages, tuples).
    #[error("{}", .0.message)]
    Pg(types::PgError),
}

impl From<types::PgError> for StorageError {
    fn from(e: types::PgError) -> StorageError {
        StorageError::Pg(e)
    }
}

impl From<StorageError> for types::PgError {
    /// What a client sees: the carried error unchanged, anything else under its SQLSTATE.
    fn from(e: StorageError) -> types::PgError {
        match e {
            StorageError::Pg(e) => e,
            other => types::PgError::new(other.sqlstate(), other.to_string()),
        }
    }
}

impl StorageError {
    /// The SQLSTATE a client sees for this failure.
    pub fn sqlstate(&self) -> types::SqlState {
        match self {
            StorageError::Shmem(_) => types::SqlState::InternalError,
            StorageError::Io(_) => types::SqlState::IoError,
            StorageError::Buffer(e) => e.sqlstate(),
            StorageError::Pg(e) => e.code,
        }
    }
}
