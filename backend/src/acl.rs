//! Roles and privileges (PostgreSQL's `utils/adt/acl.c`).
//!
//! # Role membership
//!
//! `pg_auth_members` holds one row per `GRANT role TO member`. Membership is
//! transitive, and a role is a member of itself. Three questions are asked
//! of it, as in PostgreSQL:
//!
//! ```text
//!   is_member_of(m, r)   m reaches r through any memberships     (SET ROLE)
//!   has_privs_of(m, r)   m reaches r, not passing through a      (privileges)
//!                        NOINHERIT role on the way
//!   is_admin_of(m, r)    some role m is a member of was granted  (GRANT role)
//!                        r WITH ADMIN OPTION
//! ```
//!
//! A superuser passes all three. [`RoleGraph`] reads `pg_authid` and
//! `pg_auth_members` once per question set: both are small, and catalog
//! snapshots keep the answer consistent within a statement.

use std::collections::HashSet;

use catalog::system::{AuthMemberRow, AuthidRow};
use types::{PgError, PgResult, SqlState};

use crate::relcache::with_reader;
use crate::session::Session;

/// `pg_authid` and `pg_auth_members` as the membership questions need them.
pub struct RoleGraph {
    pub roles: Vec<AuthidRow>,
    pub members: Vec<AuthMemberRow>,
}

/// PUBLIC in ACLs and grantee lists: OID 0.
pub const PUBLIC_OID: u32 = 0;

impl RoleGraph {
    pub fn load(session: &Session) -> PgResult<RoleGraph> {
        with_reader(session, |r| {
            Ok(RoleGraph {
                roles: r.roles()?.into_iter().map(|(_, row)| row).collect(),
                members: r.auth_members()?.into_iter().map(|(_, row)| row).collect(),
            })
        })
    }

    pub fn by_name(&self, name: &str) -> Option<&AuthidRow> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn by_oid(&self, oid: u32) -> Option<&AuthidRow> {
        self.roles.iter().find(|r| r.oid == oid)
    }

    /// The role `name`, or PostgreSQL's 42704 `role "x" does not exist`.
    pub fn require(&self, name: &str) -> PgResult<&AuthidRow> {
        self.by_name(name).ok_or_else(|| role_not_found(name))
    }

    /// The name of role `oid` (PostgreSQL prints a dropped one as its number).
    pub fn name_of(&self, oid: u32) -> String {
        self.by_oid(oid)
            .map_or_else(|| oid.to_string(), |r| r.name.clone())
    }

    pub fn is_superuser(&self, oid: u32) -> bool {
        self.by_oid(oid).is_some_and(|r| r.superuser)
    }

    /// Every role `member` is a member of, itself included; with
    /// `inherit_only`, memberships of a NOINHERIT role are not followed.
    pub fn roles_of(&self, member: u32, inherit_only: bool) -> Vec<u32> {
        let mut out = vec![member];
        let mut seen: HashSet<u32> = HashSet::from([member]);
        let mut i = 0;
        while i < out.len() {
            let r = out[i];
            i += 1;
            if inherit_only && self.by_oid(r).is_some_and(|row| !row.inherit) {
                continue;
            }
            for m in self.members.iter().filter(|m| m.member == r) {
                if seen.insert(m.role) {
                    out.push(m.role);
                }
            }
        }
        out
    }

    /// Membership ignoring superuserness (the loop check of GRANT role).
    pub fn is_member_nosuper(&self, member: u32, role: u32) -> bool {
        self.roles_of(member, false).contains(&role)
    }

    pub fn is_member_of(&self, member: u32, role: u32) -> bool {
        self.is_superuser(member) || self.is_member_nosuper(member, role)
    }

    pub fn has_privs_of(&self, member: u32, role: u32) -> bool {
        member == role || self.is_superuser(member) || self.roles_of(member, true).contains(&role)
    }

    pub fn is_admin_of(&self, member: u32, role: u32) -> bool {
        if self.is_superuser(member) {
            return true;
        }
        let mine = self.roles_of(member, false);
        self.members
            .iter()
            .any(|m| m.role == role && m.admin_option && mine.contains(&m.member))
    }
}

pub fn role_not_found(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("role \"{name}\" does not exist"),
    )
}
