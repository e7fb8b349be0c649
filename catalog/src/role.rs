//! Roles as authentication needs them, read from the shared catalog
//! `pg_authid` (see [`crate::system::PG_AUTHID_DEF`]).

use crate::system::AuthidRow;

/// The OID of the bootstrap superuser (PostgreSQL's `BOOTSTRAP_SUPERUSERID`).
pub const BOOTSTRAP_SUPERUSER_OID: u32 = 10;

/// A role: who may log in, and with which password verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub oid: u32,
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    /// A SCRAM-SHA-256 or md5 verifier.
    pub password: Option<String>,
}

impl From<AuthidRow> for Role {
    fn from(a: AuthidRow) -> Role {
        Role {
            oid: a.oid,
            name: a.name,
            superuser: a.superuser,
            can_login: a.can_login,
            password: a.password,
        }
    }
}
