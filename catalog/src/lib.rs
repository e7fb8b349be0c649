//! System catalogs: bootstrap data and, with the storage issue, the catalog
//! heaps (pg_class, pg_attribute, pg_type, pg_proc, ...), caches and invalidation.
//!
//! Until catalog tables live in relation files, this crate owns the two facts a
//! connection needs at start-up — which databases exist and which roles may log
//! in — and [`bootstrap`], which lays out a fresh data directory the way initdb
//! does. The role file `global/pg_authid` is a stand-in for the shared catalog
//! of the same name and is replaced by it when the catalog issue lands.
//!
//! It must never reach into the planner or executor.

#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod database;
pub mod heap_catalog;
pub mod role;
pub mod system;
