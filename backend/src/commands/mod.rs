//! The utility commands that change the catalog or the storage (PostgreSQL's
//! `src/backend/commands`), one file per family as PostgreSQL has them:
//! [`tablecmds`] (CREATE / DROP / TRUNCATE TABLE), [`schemacmds`],
//! [`dbcommands`], [`user`] (roles), [`lockcmds`] (LOCK TABLE) and
//! [`vacuum`]. [`ddl_statement`] dispatches a statement to them; the helpers
//! here are shared by several.

use sqlparser::ast::{ObjectName, ObjectNamePart, ObjectType, Statement};

use types::{PgError, PgResult, SqlState};

use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

pub mod aggregate;
mod alter_table;
pub mod analyze;
pub mod async_notify;
mod comment;
pub use comment::description;
pub mod constraints;
pub mod copy;
mod dbcommands;
pub(crate) mod domaincmds;
pub mod explain;
mod extended_stats;
pub mod foreign_keys;
pub mod foreigncmds;
pub mod function;
pub(crate) mod grant;
mod indexcmds;
pub mod inherit;
mod lockcmds;
mod matview;
pub(crate) mod opclasscmds;
pub(crate) mod operatorcmds;
pub mod partition;
mod policy;
pub mod portalcmds;
pub mod publication;
pub(crate) mod rangecmds;
mod reloptions;
pub mod rule;
mod schemacmds;
pub mod sequence;
pub(crate) mod statistics;
mod tablecmds;
pub mod temp;
pub mod trigger;
pub mod typecmds;
pub(crate) mod user;
pub mod vacuum;
mod view;

use dbcommands::*;
use indexcmds::*;
use lockcmds::*;
use schemacmds::*;
use tablecmds::*;
use user::*;

/// Handles the DDL statements of this module; None for any other statement.
pub fn ddl_statement(
    session: &mut Session,
    stmt: &Statement,
    sql: &str,
) -> Option<PgResult<Outcome>> {
    Some(match stmt {
        s if crate::syntax::is_checkpoint(s) => checkpoint(session),
        Statement::Call(_) if crate::syntax::reindex_target(stmt).is_some() => {
            let r = crate::syntax::reindex_target(stmt)?;
            reindex(session, &r)
        }
        Statement::CreateTable(ct) => create_table(session, ct, sql),
        Statement::Query(q) if select_into(q).is_some() => select_into_table(session, q),
        Statement::Drop {
            object_type: ObjectType::Table,
            if_exists,
            names,
            cascade,
            ..
        } => drop_tables(session, names, *if_exists, *cascade),
        Statement::Drop {
            object_type: ObjectType::ForeignTable,
            if_exists,
            names,
            cascade,
            ..
        } => tablecmds::drop_foreign_tables(session, names, *if_exists, *cascade),
        Statement::CreateIndex(ci) => create_index(session, ci),
        Statement::CreateView(cv) if cv.materialized => matview::create_matview(session, cv, sql),
        Statement::CreateView(cv) => view::create_view(session, cv, sql),
        Statement::AlterView(av) if av.materialized => matview::alter_matview(session, av),
        Statement::RefreshMaterializedView(rm) => matview::refresh_matview(session, rm),
        Statement::Drop {
            object_type: ObjectType::MaterializedView,
            if_exists,
            names,
            cascade,
            ..
        } => view::drop_views_of_kind(session, names, *if_exists, *cascade, 'm'),
        Statement::AlterView(av) if view::is_option_change(av) => {
            view::alter_view_options(session, av)
        }
        Statement::CreateFunction(cf) => function::create_function(session, cf),
        Statement::CreateType {
            name,
            representation,
        } => typecmds::create_type(session, name, representation),
        Statement::AlterType(at) => typecmds::alter_type(session, at),
        Statement::Drop {
            object_type: ObjectType::Type,
            if_exists,
            names,
            cascade,
            ..
        } => typecmds::drop_types(session, names, *if_exists, *cascade),
        Statement::DropFunction(df) => function::drop_function(session, df),
        Statement::DropProcedure {
            if_exists,
            proc_desc,
            drop_behavior,
        } => function::drop_routines(
            session,
            proc_desc,
            *if_exists,
            matches!(drop_behavior, Some(sqlparser::ast::DropBehavior::Cascade)),
            function::RoutineKind::Procedure,
        ),
        Statement::AlterFunction(af) => function::alter_function(session, af),
        Statement::CreateTrigger(ct) => trigger::create_trigger(session, ct),
        Statement::CreateOperator(co) => operatorcmds::create_operator(session, co),
        Statement::DropOperator(d) => operatorcmds::drop_operator(session, d),
        Statement::AlterOperator(a) => operatorcmds::alter_operator(session, a),
        Statement::CreateOperatorFamily(c) => opclasscmds::create_family(session, c),
        Statement::CreateOperatorClass(c) => opclasscmds::create_class(session, c),
        Statement::AlterOperatorFamily(a) => opclasscmds::alter_family(session, a),
        Statement::AlterOperatorClass(a) => opclasscmds::alter_class(session, a),
        Statement::DropOperatorFamily(d) => opclasscmds::drop_family(session, d),
        Statement::DropOperatorClass(d) => opclasscmds::drop_class(session, d),
        Statement::CreatePolicy(cp) => policy::create_policy(session, cp),
        Statement::AlterPolicy(ap) => policy::alter_policy(session, ap),
        Statement::DropPolicy(dp) => policy::drop_policy(session, dp),
        Statement::DropTrigger(dt) => trigger::drop_trigger(session, dt),
        Statement::AlterTrigger(at) => trigger::alter_trigger(session, at),
        Statement::Discard { object_type } => temp::discard(session, object_type),
        Statement::Drop {
            object_type: ObjectType::View,
            if_exists,
            names,
            cascade,
            ..
        } => view::drop_views(session, names, *if_exists, *cascade),
        Statement::CreateSequence { .. } => sequence::create_sequence_stmt(session, stmt),
        Statement::Call(_) if crate::syntax::text_statement(stmt).is_some() => {
            match crate::syntax::text_statement(stmt)? {
                crate::syntax::TextStatement::AlterSequence(text) => {
                    sequence::alter_sequence(session, &text)
                }
                crate::syntax::TextStatement::SetConstraints(text) => {
                    foreign_keys::set_constraints(session, &text)
                }
                crate::syntax::TextStatement::Fetch(text) => portalcmds::fetch(session, &text),
                crate::syntax::TextStatement::AlterTableSetSchema(text) => {
                    alter_table::set_schema(session, &text)
                }
                crate::syntax::TextStatement::AlterTableDropExpression(text) => {
                    alter_table::drop_expression_statement(session, &text)
                }
                crate::syntax::TextStatement::AlterTableSetStatistics(text) => {
                    alter_table::set_statistics_statement(session, &text)
                }
                crate::syntax::TextStatement::AlterIndexOptions(text) => {
                    alter_table::alter_index_options(session, &text)
                }
                crate::syntax::TextStatement::AlterColumnOptions(text) => {
                    alter_table::alter_column_options(session, &text)
                }
                crate::syntax::TextStatement::Do(text) => function::do_statement(session, &text),
                crate::syntax::TextStatement::Domain(text) => {
                    domaincmds::domain_statement(session, &text)
                }
                crate::syntax::TextStatement::Owned(text) => user::owned(session, &text),
                crate::syntax::TextStatement::AlterTypeAttribute(text) => {
                    typecmds::alter_type_attribute(session, &text)
                }
                crate::syntax::TextStatement::Publication(text) => {
                    publication::publication_statement(session, &text)
                }
                crate::syntax::TextStatement::Foreign(text) => {
                    foreigncmds::foreign_statement(session, &text)
                }
                crate::syntax::TextStatement::Aggregate(text) => {
                    aggregate::aggregate_statement(session, &text)
                }
                crate::syntax::TextStatement::Comment(text) => {
                    comment::comment_statement(session, &text)
                }
                crate::syntax::TextStatement::Vacuum(text) => {
                    vacuum::vacuum_statement(session, &text)
                }
                crate::syntax::TextStatement::Rule(text) => rule::rule_statement(session, &text),
                crate::syntax::TextStatement::AlterDefaultPrivileges(text) => {
                    crate::acl::default_privileges::alter_default_privileges(session, &text)
                }
                crate::syntax::TextStatement::GrantOnType(text) => {
                    grant::grant_on_type(session, &text)
                }
                crate::syntax::TextStatement::Statistics(text) => {
                    statistics::statistics_statement(session, &text)
                }
            }
        }
        Statement::Drop {
            object_type: ObjectType::Sequence,
            if_exists,
            names,
            cascade,
            ..
        } => sequence::drop_sequences(session, names, *if_exists, *cascade),
        Statement::Drop {
            object_type: ObjectType::Index,
            if_exists,
            names,
            cascade,
            ..
        } => match names.split_last() {
            Some((last, names)) if matches!(last.0.as_slice(), [p] if p.as_ident().is_some_and(|i| i.value == crate::syntax::DROP_CONCURRENTLY_MARKER)) => {
                drop_index_concurrently(session, names, *if_exists, *cascade)
            }
            _ => drop_indexes(session, names, *if_exists),
        },
        Statement::AlterTable(at) => alter_table::alter_table(session, at),
        Statement::AlterIndex {
            name,
            operation: sqlparser::ast::AlterIndexOperation::RenameIndex { index_name },
        } => match index_name.0.as_slice() {
            [part] => match part.as_ident() {
                Some(id) => alter_table::rename_index(session, name, id),
                None => Err(PgError::syntax("syntax error at or near \".\"", None)),
            },
            _ => Err(PgError::syntax("syntax error at or near \".\"", None)),
        },
        Statement::Truncate(t) => {
            let names: Vec<ObjectName> = t.table_names.iter().map(|t| t.name.clone()).collect();
            let only: Vec<bool> = t.table_names.iter().map(|t| t.only).collect();
            let restart = matches!(
                t.identity,
                Some(sqlparser::ast::TruncateIdentityOption::Restart)
            );
            truncate(session, &names, &only, restart)
        }
        Statement::Lock(l) => lock_table(session, l),
        Statement::CreateRole(cr) => create_role(session, cr),
        // `syntax::parse` turns PostgreSQL's CREATE USER into CREATE ROLE;
        // what still parses as sqlparser's (Snowflake's) CREATE USER is not ours.
        Statement::CreateUser(_) => Err(PgError::feature_not_supported("CREATE USER in this form")),
        Statement::AlterRole { name, operation } => alter_role(session, name, operation),
        Statement::GrantRole(g) => user::grant_role(session, g),
        Statement::Grant(g) => grant::grant(session, g),
        Statement::Revoke(r) => grant::revoke(session, r),
        Statement::RevokeRole(r) => user::revoke_role(session, r),
        Statement::Drop {
            object_type: ObjectType::Role | ObjectType::User,
            if_exists,
            names,
            ..
        } => drop_roles(session, names, *if_exists),
        Statement::CreateSchema {
            schema_name,
            if_not_exists,
            with,
            options,
            ..
        } => {
            if with.is_some() || options.is_some() {
                return Some(Err(PgError::feature_not_supported(
                    "CREATE SCHEMA with options",
                )));
            }
            create_schema(session, schema_name, *if_not_exists)
        }
        Statement::Drop {
            object_type: ObjectType::Schema,
            if_exists,
            names,
            cascade,
            ..
        } => drop_schemas(session, names, *if_exists, *cascade),
        Statement::CreateDatabase {
            db_name,
            if_not_exists,
            location,
            managed_location,
            clone,
            ..
        } => {
            if location.is_some() || managed_location.is_some() || clone.is_some() {
                return Some(Err(PgError::feature_not_supported(
                    "CREATE DATABASE with LOCATION or CLONE",
                )));
            }
            if *if_not_exists {
                return Some(Err(PgError::syntax(
                    "syntax error at or near \"NOT\"",
                    None,
                )));
            }
            create_database(session, db_name)
        }
        Statement::Drop {
            object_type: ObjectType::Database,
            if_exists,
            names,
            ..
        } => drop_database(session, names, *if_exists),
        _ => return None,
    })
}

/// DROP OWNED's drops, one object at a time (IF EXISTS: a CASCADE before
/// may have taken it).
pub(crate) fn drop_views_for_owned(
    session: &mut Session,
    name: &ObjectName,
    cascade: bool,
) -> PgResult<()> {
    quietly(session, |s| {
        view::drop_views_of_kind(s, std::slice::from_ref(name), true, cascade, '*')
    })
}

pub(crate) fn drop_tables_for_owned(
    session: &mut Session,
    name: &ObjectName,
    cascade: bool,
) -> PgResult<()> {
    quietly(session, |s| {
        tablecmds::drop_tables(s, std::slice::from_ref(name), true, cascade)
    })
}

pub(crate) fn drop_sequences_for_owned(
    session: &mut Session,
    name: &ObjectName,
    cascade: bool,
) -> PgResult<()> {
    quietly(session, |s| {
        sequence::drop_sequences(s, std::slice::from_ref(name), true, cascade)
    })
}

pub(crate) fn drop_schema_for_owned(
    session: &mut Session,
    name: &ObjectName,
    cascade: bool,
) -> PgResult<()> {
    quietly(session, |s| {
        schemacmds::drop_schemas(s, std::slice::from_ref(name), true, cascade)
    })
}

/// Runs a DROP ... IF EXISTS without its "does not exist, skipping" notices.
fn quietly(
    session: &mut Session,
    f: impl FnOnce(&mut Session) -> PgResult<Outcome>,
) -> PgResult<()> {
    let before = session.notices.len();
    let r = f(session);
    let mut i = before;
    while i < session.notices.len() {
        if session.notices[i].2.ends_with("does not exist, skipping") {
            session.notices.remove(i);
        } else {
            i += 1;
        }
    }
    r?;
    // The next drop must see this one.
    crate::xact::command_counter_increment(session)?;
    crate::relcache::accept_invalidations(session);
    Ok(())
}

/// A relation that a DROP or ALTER names is missing. With IF EXISTS that is
/// PostgreSQL's notice and `Ok` (the caller skips the name), else 42P01;
/// `what` is the word the messages use ("table", "view", "relation").
pub(crate) fn missing_relation(
    session: &mut Session,
    what: &str,
    relname: &str,
    if_exists: bool,
) -> PgResult<()> {
    if if_exists {
        session.notice(
            "00000",
            format!("{what} \"{relname}\" does not exist, skipping"),
        );
        return Ok(());
    }
    Err(PgError::new(
        SqlState::UndefinedTable,
        format!("{what} \"{relname}\" does not exist"),
    ))
}

/// The name parts of an object name, case-folded as PostgreSQL folds
/// unquoted identifiers: (schema, name).
pub fn split_name(name: &ObjectName) -> PgResult<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Ok(if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            }),
            other => Err(PgError::feature_not_supported(format!(
                "object name part {other}"
            ))),
        })
        .collect::<PgResult<_>>()?;
    match parts.as_slice() {
        [n] => Ok((None, n.clone())),
        [s, n] => Ok((Some(s.clone()), n.clone())),
        // PostgreSQL accepts `db.schema.name` when db is the current
        // database; we do not know it here and refuse every three-part name.
        [_, _, _] => Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!("cross-database references are not implemented: \"{name}\""),
        )),
        _ => Err(PgError::new(
            SqlState::SyntaxError,
            format!("improper qualified name (too many dotted names): {name}"),
        )),
    }
}

pub(crate) fn ident(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

pub(crate) fn system_catalog_denied(what: &str) -> PgError {
    PgError::new(
        SqlState::InsufficientPrivilege,
        format!("permission denied to create \"{what}\""),
    )
    .with_detail("System catalog modifications are currently disallowed.")
}

/// A stable 32-bit hash of (schema, name), the object id of the lock that
/// serialises creators of one name.
pub(crate) fn name_hash(namespace: u32, name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ namespace;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

pub(crate) fn namespace_name(session: &mut Session, oid: u32) -> PgResult<String> {
    with_reader(session, |r| r.namespace_name(oid))?
        .ok_or_else(|| PgError::internal(format!("cache lookup failed for namespace {oid}")))
}

/// Records that this transaction changed the catalog: its own later
/// statements must not use what was cached before.
/// 25001 when a transaction block is open, or the statement is one of
/// several in a Query message (an implicit block; PostgreSQL's
/// `PreventInTransactionBlock`): `what` must run in its own transactions.
pub(crate) fn prevent_in_transaction_block(session: &Session, what: &str) -> PgResult<()> {
    if session.xact != crate::session::XactState::Idle
        || !session.implicit_xact
        || session.implicit_block
    {
        return Err(PgError::new(
            SqlState::ActiveSqlTransaction,
            format!("{what} cannot run inside a transaction block"),
        ));
    }
    Ok(())
}

/// The collation a `COLLATE name` clause names for a value of type
/// `type_oid` (PostgreSQL's `LookupCollation` and the check of
/// `GetColumnDefCollation`): 42704 for an unknown name, 42804 for a type
/// without collations.
pub(crate) fn collation_for_type(
    session: &mut Session,
    name: &ObjectName,
    type_oid: u32,
) -> PgResult<u32> {
    let (schema, collname) = split_name(name)?;
    if let Some(s) = &schema
        && crate::relcache::namespace_oid(session, s)?.is_none()
    {
        return Err(PgError::new(
            SqlState::InvalidSchemaName,
            format!("schema \"{s}\" does not exist"),
        ));
    }
    let oid =
        catalog::system::collation_by_name(schema.as_deref(), &collname).ok_or_else(|| {
            let full = match &schema {
                Some(s) => format!("{s}.{collname}"),
                None => collname.clone(),
            };
            PgError::new(
                SqlState::UndefinedObject,
                format!("collation \"{full}\" for encoding \"UTF8\" does not exist"),
            )
        })?;
    let base = types::typcache::base_type(type_oid);
    if catalog::system::type_collation(base) == 0 {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "collations are not supported by type {}",
                types::oid::format_type(type_oid, -1)
            ),
        ));
    }
    Ok(oid)
}

/// The INTO clause of a `SELECT ... INTO name ...`, if the query has one.
pub(crate) fn select_into(q: &sqlparser::ast::Query) -> Option<&sqlparser::ast::SelectInto> {
    match q.body.as_ref() {
        sqlparser::ast::SetExpr::Select(s) => s.into.as_ref(),
        _ => None,
    }
}

/// `SELECT ... INTO [TEMPORARY | UNLOGGED] [TABLE] name ...` is
/// `CREATE TABLE name AS SELECT ...` (PostgreSQL's grammar turns it into that).
fn select_into_table(session: &mut Session, q: &sqlparser::ast::Query) -> PgResult<Outcome> {
    let Some(into) = select_into(q) else {
        return Err(PgError::internal("SELECT INTO without INTO"));
    };
    let [sqlparser::ast::Expr::Identifier(_) | sqlparser::ast::Expr::CompoundIdentifier(_)] =
        into.targets.as_slice()
    else {
        return Err(PgError::syntax("SELECT INTO names one table", None));
    };
    let mut query = q.clone();
    if let sqlparser::ast::SetExpr::Select(s) = query.body.as_mut() {
        s.into = None;
    }
    let kind = match (into.temporary, into.unlogged) {
        (true, _) => "TEMPORARY ",
        (_, true) => "UNLOGGED ",
        _ => "",
    };
    let sql = format!("CREATE {kind}TABLE {} AS {query}", into.targets[0]);
    let mut stmts = crate::syntax::parse(&sql)?;
    let (Some(Statement::CreateTable(ct)), true) = (stmts.pop(), stmts.is_empty()) else {
        return Err(PgError::internal(
            "SELECT INTO: the statement did not re-parse",
        ));
    };
    create_table(session, &ct, &sql)
}

/// Changes relation `oid`'s `pg_class` row.
pub(crate) fn update_class(
    session: &mut Session,
    oid: u32,
    change: impl FnOnce(&mut catalog::system::ClassRow),
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    change(&mut class);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        catalog::heap_catalog::CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

pub(crate) fn catalog_changed(session: &mut Session) {
    session.tx.catalog_changed = true;
    session.local_catalog_version += 1;
    session.relcache.invalidate();
}

/// CHECKPOINT: an immediate checkpoint by the checkpointer, waited for.
/// Superusers only (PostgreSQL 15 also admits members of pg_checkpoint,
/// a role we do not have yet).
fn checkpoint(session: &mut Session) -> PgResult<Outcome> {
    if !session.is_superuser {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT",
        ));
    }
    let flags = storage::xlog::CHECKPOINT_IMMEDIATE | storage::xlog::CHECKPOINT_FORCE;
    crate::xact::request_checkpoint(session, flags)?;
    Ok(Outcome::Command("CHECKPOINT".into()))
}
