//! System catalogs as heap relations: their definitions and initdb's rows
//! ([`system`]), laying out a fresh data directory ([`bootstrap`]), and
//! reading and writing catalog rows under MVCC ([`heap_catalog`]).
//!
//! Per database: `pg_type`, `pg_attribute`, `pg_class`, `pg_attrdef`,
//! `pg_namespace`, `pg_index`, `pg_sequence`, `pg_depend`, `pg_constraint`,
//! `pg_rewrite`, `pg_proc` (user functions, and `information_schema`'s
//! `_pg_expandarray`), `pg_opclass` (the B-tree classes), `pg_statistic` (ANALYZE's
//! findings; its `stavalues` columns are `anyarray`, stored as arrays that
//! name their element type), `pg_am` and
//! `pg_collation` (initdb's rows), and the catalogs of objects we cannot
//! create yet, kept empty so that clients' queries run (`pg_inherits`,
//! `pg_trigger`, `pg_policy`), `pg_statistic_ext` and `pg_statistic_ext_data`
//! (extended statistics, written by the backend's `commands::statistics`
//! and ANALYZE), `pg_description` (COMMENT
//! ON, written by the backend's `commands::comment`), and
//! `pg_publication*` (publications, written by the backend's
//! `commands::publication`), and the catalogs of [`empty`] (objects we
//! cannot make, kept empty for clients' queries; `pg_language` and
//! `pg_extension` with initdb's rows), in `base/<db>/<oid>`; shared: `pg_database`,
//! `pg_authid`, `pg_auth_members`, `pg_tablespace`, `pg_subscription` and
//! `pg_shdescription` in `global/<oid>`. Each has
//! PostgreSQL 15's OID and column names (columns of types that cannot be
//! stored yet — `regproc`, `xid` — are left out; some array columns are
//! stored in their text form, ACLs among them: see [`acl`]). Because catalog rows are heap
//! tuples, DDL is transactional: a CREATE TABLE's rows are invisible to
//! others until it commits and gone
//! if it aborts. Caching and invalidation are the backend's (`relcache`).
//!
//! It must never reach into the planner or executor.

#![forbid(unsafe_code)]

pub mod acl;
pub mod bootstrap;
pub mod database;
pub mod empty;
pub mod heap_catalog;
pub mod reloptions;
pub mod role;
pub mod statistics;
pub mod system;
