//! LOCK TABLE (PostgreSQL's `lockcmds.c`).

use storage::lmgr::{LockMode, LockTag};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache;
use crate::session::Session;
use crate::utility::Outcome;

/// LOCK [TABLE] name [, ...] [IN mode MODE] [NOWAIT]: heavyweight locks held
/// until the transaction ends.
pub(crate) fn lock_table(session: &mut Session, l: &sqlparser::ast::Lock) -> PgResult<Outcome> {
    use sqlparser::ast::LockTableMode as M;
    if session.xact == crate::session::XactState::Idle && session.implicit_xact {
        return Err(PgError::new(
            SqlState::NoActiveSqlTransaction,
            "LOCK TABLE can only be used in transaction blocks",
        ));
    }
    let mode = match l.lock_mode.as_ref().unwrap_or(&M::AccessExclusive) {
        M::AccessShare => LockMode::AccessShare,
        M::RowShare => LockMode::RowShare,
        M::RowExclusive => LockMode::RowExclusive,
        M::ShareUpdateExclusive => LockMode::ShareUpdateExclusive,
        M::Share => LockMode::Share,
        M::ShareRowExclusive => LockMode::ShareRowExclusive,
        M::Exclusive => LockMode::Exclusive,
        M::AccessExclusive => LockMode::AccessExclusive,
    };
    // PostgreSQL allows every mode in a read-only transaction (only hot
    // standby restricts them).
    for target in &l.tables {
        let (schema, relname) = split_name(&target.name)?;
        let rel =
            relcache::lookup_relation(session, schema.as_deref(), &relname)?.ok_or_else(|| {
                PgError::new(
                    SqlState::UndefinedTable,
                    format!("relation \"{relname}\" does not exist"),
                )
            })?;
        let tag = LockTag::Relation {
            db: session.database_oid,
            rel: rel.oid,
        };
        if !crate::xact::lock(session, tag, mode, l.nowait)? {
            return Err(PgError::new(
                SqlState::LockNotAvailable,
                format!("could not obtain lock on relation \"{relname}\""),
            ));
        }
        relcache::accept_invalidations(session);
        // PostgreSQL's LockTableAclCheck: any privilege that could write
        // the table, or SELECT for ACCESS SHARE.
        use catalog::acl::*;
        let mut any = ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE;
        if mode == LockMode::AccessShare {
            any |= ACL_SELECT;
        }
        if mode == LockMode::RowExclusive {
            any |= ACL_INSERT;
        }
        crate::acl::require_any_relation_privilege(session, rel.oid, any)?;
    }
    Ok(Outcome::Command("LOCK TABLE".into()))
}
