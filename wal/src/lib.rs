//! The write-ahead log's on-disk format: LSNs and segment files, the record
//! framing (resource manager, xid, length, CRC-32C), the record bodies (bincode
//! inside that frame), page deltas, and the reader that recovery and
//! `cargo xtask waldump` walk the log with.
//!
//! What this crate owns is everything about WAL that needs no shared memory:
//! it must never depend on `storage`. The shared-memory half — WAL buffers,
//! insertion slots, group-commit flush, the redo dispatch that touches pages,
//! checkpoints — lives in `storage::xlog`, which depends on this crate (the
//! departure from ARCHITECTURE.md's split is explained in `wal/README.md`).
//!
//! Entry points: [`record::encode`] frames a [`record::WalRecord`] for
//! insertion at an LSN; [`reader::WalReader`] yields the valid records from an
//! LSN and stops at the first torn or invalid one; [`delta`] computes and
//! applies page deltas; [`segment`] names and sizes the files under `pg_wal/`.

#![forbid(unsafe_code)]

pub mod delta;
pub mod reader;
pub mod record;
pub mod segment;

pub use record::{RmgrId, WalRecord};
pub use segment::{Lsn, WAL_SEGMENT_SIZE};
