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
    let name = match schema {
        SchemaName::Simple(n) => split_name(n)?.1,
        SchemaName::UnnamedAuthorization(_) | SchemaName::NamedAuthorization(..) => {
            return Err(PgError::feature_not_supported(
                "CREATE SCHEMA ... AUTHORIZATION",
            ));
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
    let (db, owner) = (session.database_oid, session.user_oid);
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.create_namespace(w, oid, &name, owner)
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
        let members = with_reader(session, |r| r.relations_in(nsp))?;
        // PostgreSQL names an object without its schema when the schema is
        // on the search_path.
        let visible = relcache::search_path(session)?.contains(&nsp);
        // A relation of kind 'c' is a composite type's.
        let kinds: std::collections::HashMap<String, char> =
            members.iter().map(|(_, r, k)| (r.clone(), *k)).collect();
        let describe = |rel: &str| {
            let what = if kinds.get(rel) == Some(&'c') {
                "type"
            } else {
                "table"
            };
            if visible {
                format!("{what} {rel}")
            } else {
                format!("{what} {name}.{rel}")
            }
        };
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
        // Tables first: a composite type then has no columns left to
        // cascade to.
        let mut ordered: Vec<&(u32, String, char)> = members.iter().collect();
        ordered.sort_by_key(|(_, _, k)| *k == 'c');
        for (_, rel, kind) in ordered {
            let qualified = ObjectName(vec![
                ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote('"', name.clone())),
                ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote('"', rel.clone())),
            ]);
            if *kind == 'c' {
                // The tables' drops are seen.
                crate::xact::command_counter_increment(session)?;
                crate::relcache::accept_invalidations(session);
                super::typecmds::drop_types(session, std::slice::from_ref(&qualified), true, true)?;
                continue;
            }
            drop_tables(session, std::slice::from_ref(&qualified), false, true)?;
        }
        let Some(tid) = with_reader(session, |r| r.namespace_row(nsp))? else {
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }
                .delete_rows(&[(catalog::system::PG_NAMESPACE, tid)], w)
        })?;
        catalog_changed(session);
    }
    Ok(Outcome::Command("DROP SCHEMA".into()))
}
