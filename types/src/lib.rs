//! SQL types and values, and the error type that every crate returns.
//!
//! `types` is the bottom of the dependency graph: it owns the SQLSTATE table
//! (`errcodes.txt`, turned into [`SqlState`] by `build.rs`), the error report
//! [`PgError`] that carries a SQLSTATE from wherever it is raised to the wire,
//! type OIDs and [`Datum`] values with PostgreSQL's text and binary I/O, and the
//! table of run-time settings ([`guc`]) that both the postmaster and the backends
//! read (PostgreSQL keeps it in `utils/misc/guc.c`; it lives here because it is
//! the one crate both binaries share below `storage`). [`typcache`] holds what
//! the layers below the catalog need to know of user-defined types (enums),
//! filled by the backend.
//!
//! It must never do I/O of its own or depend on another crate of the workspace.

#![forbid(unsafe_code)]

pub mod error;

pub use error::{PgError, PgResult, Severity, SqlState};
pub mod compare;
pub mod datum;
pub mod fasthash;
pub mod guc;
pub mod oid;
pub mod typcache;

pub use datum::Datum;
