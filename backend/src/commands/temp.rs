//! Temporary relations (PostgreSQL's `namespace.c` temp-schema parts):
//! CREATE TEMP TABLE / SEQUENCE / VIEW, ON COMMIT DROP and DELETE ROWS, and
//! DISCARD.
//!
//! Each session's temporary relations live in its own schema
//! `pg_temp_<slot>`, named after its ProcArray slot and made the first time
//! the session needs it. That schema is searched before every other one for
//! relations, `pg_temp` names it, and other sessions cannot use what is in
//! it (0A000). When the session ends its temporary relations are dropped;
//! those of a session that crashed are dropped by the next session of the
//! same slot when it first makes a temporary relation.
//!
//! PostgreSQL keeps temporary tables in backend-local buffers without WAL;
//! ours go through the shared buffers and the WAL like any table (only the
//! cost differs: nothing of them survives a crash that anyone could see).

use catalog::system::PG_CATALOG_NAMESPACE;
use types::{PgError, PgResult, SqlState};

use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// This session's temporary schema name.
pub fn temp_schema_name(session: &Session) -> String {
    format!("pg_temp_{}", session.storage.locks.borrow().slot())
}

/// The schema CREATE TEMP puts a relation in: the session's temporary
/// schema, made now if need be; an earlier session's leftovers in it are
/// dropped first.
pub fn temp_creation_namespace(session: &mut Session) -> PgResult<u32> {
    let name = temp_schema_name(session);
    if let Some(oid) = relcache::namespace_oid(session, &name)? {
        if !session.temp_claimed {
            session.temp_claimed = true;
            drop_all_in(session, oid, &name)?;
        }
        return Ok(oid);
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let db = session.database_oid;
    let owner = catalog::role::BOOTSTRAP_SUPERUSER_OID;
    crate::xact::with_write(session, |env, w| {
        catalog::heap_catalog::CatalogWriter { env, db_oid: db }
            .create_namespace(w, oid, &name, owner)
    })?;
    super::catalog_changed(session);
    crate::xact::command_counter_increment(session)?;
    session.temp_claimed = true;
    Ok(oid)
}

/// The schema a CREATE [TEMP] of `schema.name` goes to.
pub fn creation_namespace(
    session: &mut Session,
    schema: Option<&str>,
    temp: bool,
) -> PgResult<u32> {
    match (schema, temp) {
        (Some("pg_temp"), _) | (None, true) => temp_creation_namespace(session),
        (Some(s), true) if Some(s.to_owned()) != Some(temp_schema_name(session)) => {
            Err(PgError::new(
                SqlState::InvalidTableDefinition,
                "cannot create temporary relation in non-temporary schema",
            ))
        }
        (Some(_), true) => temp_creation_namespace(session),
        (s, false) => relcache::creation_namespace(session, s),
    }
}

/// Drops every relation in schema `oid` (named `name`): views first, then
/// tables (their indexes and sequences go with them), then sequences left.
fn drop_all_in(session: &mut Session, oid: u32, name: &str) -> PgResult<()> {
    let q = types::guc::quote_identifier;
    for (kind, command) in [('v', "VIEW"), ('r', "TABLE"), ('S', "SEQUENCE")] {
        // Read again for each kind: dropping one kind can take another's.
        let rels = with_reader(session, |r| r.relations_in(oid))?;
        for (_, rel, k) in &rels {
            if *k != kind {
                continue;
            }
            let sql = format!("DROP {command} IF EXISTS {}.{} CASCADE", q(name), q(rel));
            let stmts = crate::syntax::parse(&sql)?;
            for s in &stmts {
                crate::tcop::run_statement(session, s, &sql, None, &[])?;
            }
            // The next DROP sees what this one did.
            crate::xact::command_counter_increment(session)?;
        }
    }
    Ok(())
}

/// Drops this session's temporary relations (DISCARD TEMP, and the end of
/// the session).
pub fn drop_temp_relations(session: &mut Session) -> PgResult<()> {
    let name = temp_schema_name(session);
    let Some(oid) = relcache::namespace_oid(session, &name)? else {
        return Ok(());
    };
    drop_all_in(session, oid, &name)?;
    session.on_commit_delete.clear();
    Ok(())
}

/// At the end of the session: its temporary relations go, in a
/// transaction of their own.
pub fn at_session_end(session: &mut Session) {
    if !session.temp_claimed {
        return;
    }
    let sql = "DISCARD TEMP";
    if let Ok(stmts) = crate::syntax::parse(sql)
        && let Some(stmt) = stmts.first()
        && let Err(e) = crate::tcop::exec_statement(session, stmt, sql, None, &[])
    {
        tracing::warn!("dropping temporary relations at session end: {}", e.message);
    }
}

/// ON COMMIT actions, before the commit record: tables created ON COMMIT
/// DROP go, those ON COMMIT DELETE ROWS lose their rows.
pub fn pre_commit(session: &mut Session) -> PgResult<()> {
    let drops = std::mem::take(&mut session.tx.on_commit_drop);
    let deletes = session.on_commit_delete.clone();
    if drops.is_empty() && deletes.is_empty() {
        return Ok(());
    }
    let q = types::guc::quote_identifier;
    for oid in deletes.iter().chain(&drops) {
        let Some(rel) = relcache::relation_by_oid(session, *oid)? else {
            continue;
        };
        let verb = if drops.contains(oid) {
            format!("DROP TABLE {}.{}", q(&rel.namespace), q(&rel.name))
        } else {
            format!("DELETE FROM {}.{}", q(&rel.namespace), q(&rel.name))
        };
        let stmts = crate::syntax::parse(&verb)?;
        for s in &stmts {
            crate::tcop::run_statement(session, s, &verb, None, &[])?;
        }
        crate::xact::command_counter_increment(session)?;
    }
    Ok(())
}

/// 0A000 for a temporary relation of another session.
pub fn check_access(
    session: &mut Session,
    rel: &catalog::heap_catalog::RelationInfo,
) -> PgResult<()> {
    if rel.persistence != 't' || rel.namespace_oid == PG_CATALOG_NAMESPACE {
        return Ok(());
    }
    if rel.namespace == temp_schema_name(session) {
        return Ok(());
    }
    Err(PgError::new(
        SqlState::FeatureNotSupported,
        "cannot access temporary tables of other sessions",
    ))
}

/// DISCARD { ALL | PLANS | SEQUENCES | TEMP }.
pub fn discard(session: &mut Session, what: &sqlparser::ast::DiscardObject) -> PgResult<Outcome> {
    use sqlparser::ast::DiscardObject;
    match what {
        DiscardObject::ALL => {
            super::prevent_in_transaction_block(session, "DISCARD ALL")?;
            session.settings.reset_all();
            session.prepared.clear();
            session.portals.clear();
            session.cursors.clear();
            session.plan_cache = Default::default();
            session.seq_values.clear();
            session.last_sequence = None;
            drop_temp_relations(session)?;
            super::async_notify::unlisten_all(session);
        }
        DiscardObject::PLANS => session.plan_cache = Default::default(),
        DiscardObject::SEQUENCES => {
            session.seq_values.clear();
            session.last_sequence = None;
        }
        DiscardObject::TEMP => drop_temp_relations(session)?,
    }
    Ok(Outcome::Command(
        match what {
            DiscardObject::ALL => "DISCARD ALL",
            DiscardObject::PLANS => "DISCARD PLANS",
            DiscardObject::SEQUENCES => "DISCARD SEQUENCES",
            DiscardObject::TEMP => "DISCARD TEMP",
        }
        .into(),
    ))
}
