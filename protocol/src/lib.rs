//! The wire: what PostgreSQL's frontend/backend protocol needs beyond pgwire's
//! framing — client authentication rules ([`hba`]), password verifiers and the
//! SCRAM / md5 checks ([`password`]), the mapping of our error reports to
//! ErrorResponse fields ([`error`]), and TLS ([`tls`]).
//!
//! Entry points: [`hba::parse`] + [`hba::lookup`] choose the auth method for a
//! connection; [`password::ScramVerifier`] makes and checks verifiers;
//! [`error::error_info`] turns a [`types::PgError`] into wire fields.
//!
//! It depends on `types` only: the session loop that drives a connection lives
//! in the `backend` crate, which implements pgwire's handler traits.

#![forbid(unsafe_code)]

pub mod error;
pub mod guard;
pub mod hba;
pub mod password;
pub mod tls;

pub use pgwire;
