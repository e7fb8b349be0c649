//! CREATE SCHEMA and DROP SCHEMA [CASCADE] (PostgreSQL's `schemacmds.c`).

use sqlparser::ast::{ObjectName, ObjectNamePart};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::PG_CATALOG_NAMESPACE;
use storage::lmgr::{LockMode, LockTag};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

pub(crate) fn schema_lock(session: &Session, name: &str) -> LockTag {
    LockTag::Object {
        db: session.database_oid,
        class_oid: catalog::system::PG_NAMESPACE,
        obj_oid: name_hash(0, name),
        sub_id: 0,
    }
}

pub(crate) fn create_schema(
    session: &mut Session,
    schema: &sqlparser::ast::SchemaName,
    if_not_exists: bool,
) -> PgResult<Outcome> {
    use sqlparser::ast::SchemaName;
    crate::xact::check_writable(session, "CREATE SCHEMA")?;
    let ident = |i: &sqlparser::ast::Ident| {
        if i.quote_style.is_some() {
            i.value.clone()
        } else {
            i.value.to_lowercase()
        }
    };
    let (name, authorization) = match schema {
        SchemaName::Simple(n) => (split_name(n)?.1, None),
        SchemaName::UnnamedAuthorization(role) => (ident(role), Some(ident(role))),
        SchemaName::NamedAuthorization(n, role) => (split_name(n)?.1, Some(ident(role))),
    };
    // The database's CREATE privilege; AUTHORIZATION needs membership in
    // the new owner (PostgreSQL's CreateSchemaCommand).
    crate::acl::require_database_create(session)?;
    let owner = match &authorization {
        None => session.user_oid,
        Some(role) => {
            let graph = crate::acl::RoleGraph::load(session)?;
            let role = match role.as_str() {
                "current_user" | "current_role" => session.user.clone(),
                "session_user" => session.auth.session.name.clone(),
                _ => role.clone(),
            };
            let row = graph.require(&role)?;
            if !session.is_superuser && !graph.is_member_of(session.user_oid, row.oid) {
                return Err(PgError::new(
                    SqlState::InsufficientPrivilege,
                    format!("must be member of role \"{}\"", row.name),
                ));
            }
            row.oid
        }
    };
    if name.starts_with("pg_") {
        return Err(PgError::new(
            SqlState::ReservedName,
            format!("unacceptable schema name \"{name}\""),
        )
        .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    let tag = schema_lock(session, &name);
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    if relcache::namespace_oid(session, &name)?.is_some() {
        if if_not_exists {
            session.notice(
                "42P06",
                format!("schema \"{name}\" already exists, skipping"),
            );
            return Ok(Outcome::Command("CREATE SCHEMA".into()));
        }
        return Err(PgError::new(
            SqlState::DuplicateSchema,
            format!("schema \"{name}\" already exists"),
        ));
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let db = session.database_oid;
    let acl = crate::acl::default_privileges::new_object_acl(
        session,
        owner,
        0,
        catalog::acl::ObjectKind::Schema,
    )?;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        match &acl {
            None => writer.create_namespace(w, oid, &name, owner),
            Some(_) => writer
                .insert_row(
                    &catalog::system::PG_NAMESPACE_DEF,
                    &[
                        types::Datum::Oid(oid),
                        types::Datum::Text(name.clone()),
                        types::Datum::Oid(owner),
                        catalog::system::acl_datum(&acl),
                    ],
                    w,
                )
                .map(|_| ()),
        }
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE SCHEMA".into()))
}

pub(crate) fn drop_schemas(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP SCHEMA")?;
    let db = session.database_oid;
    for n in names {
        let (_, name) = split_name(n)?;
        let tag = schema_lock(session, &name);
        crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
        relcache::accept_invalidations(session);
        let Some(nsp) = relcache::namespace_oid(session, &name)? else {
            if if_exists {
                session.notice(
                    "00000",
                    format!("schema \"{name}\" does not exist, skipping"),
                );
                continue;
            }
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        if nsp == PG_CATALOG_NAMESPACE || nsp == catalog::system::PG_TOAST_NAMESPACE {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!("cannot drop schema {name} because it is required by the database system"),
            ));
        }
        // The schema's relations of their own: not indexes, nor the
        // sequences of serial and identity columns (their tables take them).
        let members: Vec<(u32, String, char)> = with_reader(session, |r| {
            let mut out = Vec::new();
            for (oid, rel, kind) in r.relations_in(nsp)? {
                if matches!(kind, 'i' | 'I' | 't') {
                    continue;
                }
                if kind == 'S'
                    && r.dependencies(catalog::system::PG_CLASS, oid)?
                        .iter()
                        .any(|(_, d)| {
                            d.refclassid == catalog::system::PG_CLASS
                                && matches!(
                                    d.deptype,
                                    catalog::system::DEPENDENCY_AUTO
                                        | catalog::system::DEPENDENCY_INTERNAL
                                )
                        })
                {
                    continue;
                }
                out.push((oid, rel, kind));
            }
            Ok(out)
        })?;
        // PostgreSQL names an object without its schema when the schema is
        // on the search_path.
        let visible = relcache::search_path(session)?.contains(&nsp);
        let word_of = |rel: &str| {
            let kind = members
                .iter()
                .find(|(_, n, _)| n == rel)
                .map_or('r', |m| m.2);
            crate::acl::relation_word(kind)
        };
        let describe = |rel: &str| {
            let word = word_of(rel);
            if visible {
                format!("{word} {rel}")
            } else {
                format!("{word} {name}.{rel}")
            }
        };
        // Operators, operator families and classes are not relations: they
        // are checked and dropped beside them.
        let mut others = super::operatorcmds::in_namespace(session, nsp)?;
        others.extend(super::opclasscmds::in_namespace(session, nsp)?);
        if !others.is_empty() && members.is_empty() && !cascade {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!("cannot drop schema {name} because other objects depend on it"),
            )
            .with_detail(
                others
                    .iter()
                    .map(|o| format!("{o} depends on schema {name}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        if cascade && !others.is_empty() {
            super::operatorcmds::drop_in_namespace(session, nsp)?;
            crate::xact::command_counter_increment(session)?;
            super::opclasscmds::drop_in_namespace(session, nsp)?;
            crate::xact::command_counter_increment(session)?;
        }
        if !members.is_empty() && !cascade {
            let detail: Vec<String> = members
                .iter()
                .map(|(_, rel, _)| format!("{} depends on schema {name}", describe(rel)))
                .collect();
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!("cannot drop schema {name} because other objects depend on it"),
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        match members.len() {
            0 => {}
            1 => session.notices.push((
                "NOTICE",
                "00000",
                format!("drop cascades to {}", describe(&members[0].1)),
                None,
            )),
            k => {
                let list: Vec<String> = members
                    .iter()
                    .map(|(_, rel, _)| format!("drop cascades to {}", describe(rel)))
                    .collect();
                session.notices.push((
                    "NOTICE",
                    "00000",
                    format!("drop cascades to {k} other objects"),
                    Some(list.join("\n")),
                ));
            }
        }
        // Views first (they read the tables), then tables, then sequences,
        // then composite types (no column is left to cascade to); what an
        // earlier drop took with it is gone (IF EXISTS).
        for kinds in [&['v', 'm'][..], &['r', 'p', 'f'], &['S'], &['c']] {
            for (_, rel, kind) in members.iter().filter(|m| kinds.contains(&m.2)) {
                let qualified = ObjectName(vec![
                    ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote(
                        '"',
                        name.clone(),
                    )),
                    ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote('"', rel.clone())),
                ]);
                let one = std::slice::from_ref(&qualified);
                let before = session.notices.len();
                match kind {
                    'v' | 'm' => super::view::drop_views_of_kind(session, one, true, true, '*')?,
                    'S' => super::sequence::drop_sequences(session, one, true, true)?,
                    'c' => super::typecmds::drop_types(session, one, true, true)?,
                    _ => drop_tables(session, one, true, true)?,
                };
                session.notices.truncate(before);
                crate::xact::command_counter_increment(session)?;
                relcache::accept_invalidations(session);
            }
        }
        let Some(tid) = with_reader(session, |r| r.namespace_row(nsp))? else {
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        let mut rows = with_reader(session, |r| {
            r.description_rows(catalog::system::PG_NAMESPACE, nsp, None)
        })?;
        rows.push((catalog::system::PG_NAMESPACE, tid));
        // The schema's default privileges go with it.
        for (acl_tid, row) in crate::acl::default_privileges::rows(session)? {
            if row.namespace == nsp {
                rows.push((catalog::empty::PG_DEFAULT_ACL, acl_tid));
            }
        }
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
        })?;
        catalog_changed(session);
    }
    Ok(Outcome::Command("DROP SCHEMA".into()))
}
