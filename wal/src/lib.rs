//! The write-ahead log: records, insertion and group commit, flush,
//! checkpoints, redo and crash recovery (the WAL issue).
//!
//! Nothing is logged yet: the cluster has no persistent data until the storage
//! issue lands, and this crate stays empty until then rather than pretend. It
//! will own the record framing (resource manager id, xid, length, CRC-32C,
//! bincode bodies), LSNs as byte positions in 16 MiB segments under `pg_wal/`,
//! and the redo dispatch. It must never depend on `storage` (storage depends on
//! it to enforce WAL-before-data).

#![forbid(unsafe_code)]
