//! Row-level security DDL (PostgreSQL's `commands/policy.c` and the ROW
//! LEVEL SECURITY subcommands of `tablecmds.c`): CREATE, ALTER and DROP
//! POLICY, and ALTER TABLE ... {ENABLE | DISABLE | FORCE | NO FORCE} ROW
//! LEVEL SECURITY.
//!
//! A policy is a `pg_policy` row ([`PolicyRow`]) whose expressions are
//! kept as SQL text (PostgreSQL keeps node trees), checked here when the
//! policy is made and analyzed again wherever a statement reads or writes
//! the table (`planner::analyze::rowsecurity`). The policies go with
//! their table (`CatalogReader::relation_rows`); a role named by one
//! cannot be dropped (`acl::role_dependents`).

use sqlparser::ast::{
    AlterPolicy, AlterPolicyOperation, CreatePolicy, CreatePolicyCommand, CreatePolicyType,
    DropPolicy, Owner,
};

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::{PG_POLICY, PG_POLICY_DEF, PolicyRow};
use storage::lmgr::LockMode;
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// The table a policy statement names: it must exist, be a table or a
/// partitioned table, not a system catalog, and be the user's.
fn policy_table(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
) -> PgResult<std::sync::Arc<RelationInfo>> {
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    if !matches!(rel.kind, 'r' | 'p') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a table"),
        ));
    }
    if rel.namespace_oid == catalog::system::PG_CATALOG_NAMESPACE {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied: \"{relname}\" is a system catalog"),
        ));
    }
    crate::acl::require_relation_owner(session, rel.oid)?;
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    Ok(rel)
}

/// The roles of a TO list as OIDs, `[0]` for PUBLIC (PostgreSQL's
/// `policy_role_list_to_array`, with its WARNING when PUBLIC comes with
/// other roles).
fn role_list(session: &mut Session, to: Option<&[Owner]>) -> PgResult<Vec<u32>> {
    let Some(to) = to else {
        return Ok(vec![0]);
    };
    let graph = crate::acl::RoleGraph::load(session)?;
    let mut out = Vec::new();
    let mut public = false;
    for owner in to {
        if let Owner::Ident(i) = owner
            && i.quote_style.is_none()
            && i.value.eq_ignore_ascii_case("public")
        {
            public = true;
            continue;
        }
        let role = crate::acl::owner_role(session, &graph, owner)?;
        if !out.contains(&role.oid) {
            out.push(role.oid);
        }
    }
    if public {
        if !out.is_empty() {
            session.warn("01000", "ignoring specified roles other than PUBLIC");
            if let Some(last) = session.notices.last_mut() {
                last.3 = Some("All roles are members of the PUBLIC role.".into());
            }
        }
        return Ok(vec![0]);
    }
    Ok(out)
}

fn command_char(c: Option<CreatePolicyCommand>) -> char {
    match c {
        None | Some(CreatePolicyCommand::All) => '*',
        Some(CreatePolicyCommand::Select) => 'r',
        Some(CreatePolicyCommand::Insert) => 'a',
        Some(CreatePolicyCommand::Update) => 'w',
        Some(CreatePolicyCommand::Delete) => 'd',
    }
}

/// PostgreSQL's checks of which expressions a command's policy may have.
fn check_clauses(cmd: char, using: bool, with_check: bool) -> PgResult<()> {
    if matches!(cmd, 'r' | 'd') && with_check {
        return Err(PgError::new(
            SqlState::SyntaxError,
            "WITH CHECK cannot be applied to SELECT or DELETE",
        ));
    }
    if cmd == 'a' && using {
        return Err(PgError::new(
            SqlState::SyntaxError,
            "only WITH CHECK expression allowed for INSERT",
        ));
    }
    Ok(())
}

/// The SQL text of a policy expression, after checking it over the table.
fn expression_text(
    session: &mut Session,
    rel: &RelationInfo,
    e: &sqlparser::ast::Expr,
) -> PgResult<String> {
    let text = e.to_string();
    let desc = std::sync::Arc::new(crate::table_access::relation_desc(rel));
    let catalog = crate::table_access::SessionCatalog::new(session);
    planner::analyze_policy_expression(desc, &text, &catalog)?;
    Ok(text)
}

fn policy_of(
    session: &mut Session,
    rel: &RelationInfo,
    name: &str,
) -> PgResult<(storage::page::ItemPointer, PolicyRow)> {
    with_reader(session, |r| r.policies(rel.oid))?
        .into_iter()
        .find(|(_, p)| p.name == name)
        .ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedObject,
                format!(
                    "policy \"{name}\" for table \"{}\" does not exist",
                    rel.name
                ),
            )
        })
}

/// CREATE POLICY name ON table [AS {PERMISSIVE | RESTRICTIVE}] [FOR cmd]
/// [TO roles] [USING (..)] [WITH CHECK (..)].
pub(crate) fn create_policy(session: &mut Session, cp: &CreatePolicy) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE POLICY")?;
    let cmd = command_char(cp.command);
    let roles = role_list(session, cp.to.as_deref())?;
    check_clauses(cmd, cp.using.is_some(), cp.with_check.is_some())?;
    let rel = policy_table(session, &cp.table_name)?;
    let name = ident(&cp.name);
    let qual = cp
        .using
        .as_ref()
        .map(|e| expression_text(session, &rel, e))
        .transpose()?;
    let with_check = cp
        .with_check
        .as_ref()
        .map(|e| expression_text(session, &rel, e))
        .transpose()?;
    if rel.policies.iter().any(|p| p.name == name) {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!(
                "policy \"{name}\" for table \"{}\" already exists",
                rel.name
            ),
        ));
    }
    crate::xact::ensure_xid(session)?;
    let row = PolicyRow {
        oid: session.storage.transam.new_oid()?,
        name,
        relid: rel.oid,
        cmd,
        permissive: !matches!(cp.policy_type, Some(CreatePolicyType::Restrictive)),
        roles,
        qual,
        with_check,
    };
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }
            .insert_row(&PG_POLICY_DEF, &row.to_datums(), w)
            .map(|_| ())
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE POLICY".into()))
}

/// ALTER POLICY name ON table {RENAME TO new | [TO roles] [USING (..)]
/// [WITH CHECK (..)]}.
pub(crate) fn alter_policy(session: &mut Session, ap: &AlterPolicy) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER POLICY")?;
    let rel = policy_table(session, &ap.table_name)?;
    let name = ident(&ap.name);
    let (tid, mut row) = policy_of(session, &rel, &name)?;
    match &ap.operation {
        AlterPolicyOperation::Rename { new_name } => {
            let new_name = ident(new_name);
            if rel.policies.iter().any(|p| p.name == new_name) {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "policy \"{new_name}\" for table \"{}\" already exists",
                        rel.name
                    ),
                ));
            }
            row.name = new_name;
        }
        AlterPolicyOperation::Apply {
            to,
            using,
            with_check,
        } => {
            if to.is_some() {
                row.roles = role_list(session, to.as_deref())?;
            }
            check_clauses(row.cmd, using.is_some(), with_check.is_some())?;
            if let Some(e) = using {
                row.qual = Some(expression_text(session, &rel, e)?);
            }
            if let Some(e) = with_check {
                row.with_check = Some(expression_text(session, &rel, e)?);
            }
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(&PG_POLICY_DEF, tid, &row.to_datums(), w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("ALTER POLICY".into()))
}

/// DROP POLICY [IF EXISTS] name ON table [CASCADE | RESTRICT].
pub(crate) fn drop_policy(session: &mut Session, dp: &DropPolicy) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP POLICY")?;
    let name = ident(&dp.name);
    let (schema, relname) = split_name(&dp.table_name)?;
    if dp.if_exists && relcache::lookup_relation(session, schema.as_deref(), &relname)?.is_none() {
        session.notice(
            "00000",
            format!("relation \"{relname}\" does not exist, skipping"),
        );
        return Ok(Outcome::Command("DROP POLICY".into()));
    }
    // DROP names the relation in its ownership error.
    if let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)?
        && crate::acl::require_relation_owner(session, rel.oid).is_err()
    {
        return Err(crate::acl::must_be_owner("relation", &rel.name));
    }
    let rel = policy_table(session, &dp.table_name)?;
    let tid = match policy_of(session, &rel, &name) {
        Ok((tid, row)) => Some((tid, row.oid)),
        Err(_) if dp.if_exists => {
            session.notice(
                "00000",
                format!(
                    "policy \"{name}\" for relation \"{}\" does not exist, skipping",
                    rel.name
                ),
            );
            None
        }
        Err(e) => return Err(e),
    };
    if let Some((tid, oid)) = tid {
        let mut rows = with_reader(session, |r| r.description_rows(PG_POLICY, oid, None))?;
        rows.push((PG_POLICY, tid));
        let db = session.database_oid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
        })?;
        catalog_changed(session);
    }
    Ok(Outcome::Command("DROP POLICY".into()))
}

/// ALTER TABLE ... ENABLE / DISABLE ROW LEVEL SECURITY (`force` None) or
/// FORCE / NO FORCE ROW LEVEL SECURITY (`enable` None).
pub(crate) fn set_row_security(
    session: &mut Session,
    table: &RelationInfo,
    enable: Option<bool>,
    force: Option<bool>,
) -> PgResult<()> {
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(table.oid))? else {
        return Ok(());
    };
    if let Some(e) = enable {
        class.row_security = e;
    }
    if let Some(f) = force {
        class.force_row_security = f;
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    Ok(())
}
