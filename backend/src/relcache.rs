//! The backend's cache of catalog lookups (PostgreSQL's relcache and
//! syscache, much reduced), and name resolution with search_path.
//!
//! Invalidation: every transaction that changes the catalog bumps the shared
//! catalog generation when it commits (before it leaves the ProcArray). A
//! backend compares the generation it cached under at the start of each
//! statement and after taking a relation lock, and drops everything when it
//! moved; its own DDL drops its cache at once (PostgreSQL's local
//! invalidation at CommandCounterIncrement), and so does an abort. Coarser
//! than PostgreSQL's per-object shared invalidation queue, with the same
//! visibility: a committed DDL is seen by every other session's next lookup.

use std::sync::Arc;
use types::fasthash::FastMap;

use catalog::heap_catalog::{CatalogReader, RelationInfo};
use catalog::system::PG_CATALOG_NAMESPACE;
use types::{PgError, PgResult, SqlState};

use crate::session::Session;

/// Cached lookups, valid for one catalog generation. Misses are cached too
/// (`None`): an unqualified name is looked up in pg_catalog before the
/// user's schemas, and `$user` rarely names a schema, so every statement
/// would otherwise scan the catalog for them.
#[derive(Debug, Default)]
pub struct RelCache {
    generation: Option<u64>,
    namespaces: FastMap<String, Option<u32>>,
    relations: FastMap<(u32, String), Option<Arc<RelationInfo>>>,
    by_oid: FastMap<u32, Arc<RelationInfo>>,
    /// User functions by name, in search_path order.
    pub functions: FastMap<String, Vec<Arc<planner::FunctionDesc>>>,
    /// User aggregates by name, in search_path order.
    pub aggregates: FastMap<String, Vec<Arc<planner::AggregateDesc>>>,
    /// The names of the user operators (`pg_operator`), so that the
    /// operators nobody declared cost no catalog scan.
    pub operator_names: Option<std::collections::HashSet<String>>,
    /// Analyzed CHECK constraints, by table OID.
    pub checks: FastMap<u32, Arc<Vec<(String, planner::Expr)>>>,
    /// Analyzed generation expressions of stored generated columns, by
    /// table OID.
    pub generated: FastMap<u32, Arc<Vec<(usize, planner::Expr)>>>,
    /// `pg_sequence` rows, by sequence OID.
    pub sequences: FastMap<u32, catalog::system::SequenceRow>,
    /// Analyzed expressions and predicates of indexes, by index OID.
    pub index_exprs: FastMap<u32, Arc<crate::index_exprs::IndexExprs>>,
    /// The last search_path setting resolved, and its schemas.
    search_path: Option<(String, Vec<u32>)>,
    /// `types::typcache` holds this generation's user types.
    types_loaded: bool,
}

impl RelCache {
    /// Forgets everything.
    pub fn invalidate(&mut self) {
        self.generation = None;
        self.namespaces.clear();
        self.relations.clear();
        self.by_oid.clear();
        self.index_exprs.clear();
        self.sequences.clear();
        self.checks.clear();
        self.generated.clear();
        self.functions.clear();
        self.aggregates.clear();
        self.operator_names = None;
        self.search_path = None;
        self.types_loaded = false;
    }
}

/// Drops the cache if another session's DDL committed since it was filled.
pub fn accept_invalidations(session: &mut Session) {
    let now = session.storage.transam.catalog_generation();
    if session.relcache.generation != Some(now) {
        session.relcache.invalidate();
        session.relcache.generation = Some(now);
    }
    if !session.relcache.types_loaded {
        session.relcache.types_loaded = true;
        // A failure leaves the previous types cached; the next lookup of a
        // type name reports what it cannot find.
        if let Err(e) = crate::commands::typecmds::load_user_types(session) {
            tracing::warn!("could not load user-defined types: {}", e.message);
        }
    }
}

/// Runs `f` with a catalog reader on a fresh catalog snapshot.
pub fn with_reader<R>(
    session: &Session,
    f: impl FnOnce(&CatalogReader<'_, '_, '_>) -> PgResult<R>,
) -> PgResult<R> {
    let snapshot = crate::xact::catalog_snapshot(session);
    let env = session.storage.heap_env();
    let reader = CatalogReader {
        env: &env,
        snapshot: &snapshot,
        me: session.tx.me(),
        db_oid: session.database_oid,
    };
    f(&reader)
}

/// The OID of schema `name`.
pub fn namespace_oid(session: &mut Session, name: &str) -> PgResult<Option<u32>> {
    accept_invalidations(session);
    if let Some(&oid) = session.relcache.namespaces.get(name) {
        return Ok(oid);
    }
    let found = with_reader(session, |r| r.namespace_oid(name))?;
    session.relcache.namespaces.insert(name.to_owned(), found);
    Ok(found)
}

/// The schemas of search_path that exist, in order (`$user` is the session
/// user's name); pg_catalog first unless listed.
pub fn search_path(session: &mut Session) -> PgResult<Vec<u32>> {
    let text = session.settings.show("search_path").unwrap_or_default();
    // Resolved once per setting, user (for $user) and catalog state: every
    // statement asks.
    let key = format!("{text}\0{}", session.user);
    if let Some((k, oids)) = &session.relcache.search_path
        && *k == key
    {
        return Ok(oids.clone());
    }
    // The setting only takes well-formed lists, so this cannot fail.
    let names: Vec<String> = executor::functions::session::split_search_path(&text)
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            if s == "$user" {
                session.user.clone()
            } else {
                s
            }
        })
        .collect();
    let mut out = Vec::new();
    // The session's temporary schema comes first, unless placed.
    let temp = crate::commands::temp::temp_schema_name(session);
    if !names.iter().any(|n| n == "pg_temp")
        && let Some(oid) = namespace_oid(session, &temp)?
    {
        out.push(oid);
    }
    if !names.iter().any(|n| n == "pg_catalog") {
        out.push(PG_CATALOG_NAMESPACE);
    }
    for n in names {
        let n = if n == "pg_temp" { temp.clone() } else { n };
        if let Some(oid) = namespace_oid(session, &n)?
            && !out.contains(&oid)
        {
            out.push(oid);
        }
    }
    session.relcache.search_path = Some((key, out.clone()));
    Ok(out)
}

/// A schema named outright in a query or DDL must be usable by the current
/// user (PostgreSQL's `LookupExplicitNamespace`); one's own temporary schema
/// always is. CREATE checks the schema's CREATE privilege instead.
pub fn check_explicit_schema(session: &mut Session, schema: Option<&str>) -> PgResult<()> {
    let Some(s) = schema else {
        return Ok(());
    };
    if session.is_superuser || s.starts_with("pg_temp") {
        return Ok(());
    }
    match namespace_oid(session, s)? {
        Some(oid) => crate::acl::require_schema_usage(session, oid),
        None => Ok(()),
    }
}

/// Resolves a possibly schema-qualified relation name (`RangeVarGetRelid`).
pub fn lookup_relation(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Option<Arc<RelationInfo>>> {
    accept_invalidations(session);
    let temp_alias;
    let schema = match schema {
        Some("pg_temp") => {
            temp_alias = crate::commands::temp::temp_schema_name(session);
            Some(temp_alias.as_str())
        }
        s => s,
    };
    let namespaces = match schema {
        // A query naming a missing schema reports the relation as missing
        // (42P01), as PostgreSQL does; DDL checks the schema itself.
        Some(s) => match namespace_oid(session, s)? {
            Some(oid) => vec![oid],
            None => return Ok(None),
        },
        None => search_path(session)?,
    };
    for nsp in namespaces {
        let key = (nsp, name.to_owned());
        let found = match session.relcache.relations.get(&key) {
            Some(cached) => cached.clone(),
            None => {
                let found = with_reader(session, |r| r.relation(nsp, name))?.map(Arc::new);
                if let Some(rel) = &found {
                    session.relcache.by_oid.insert(rel.oid, rel.clone());
                }
                session.relcache.relations.insert(key, found.clone());
                found
            }
        };
        if found.is_some() {
            return Ok(found);
        }
        if nsp == PG_CATALOG_NAMESPACE
            && let Some(view) = crate::sysviews::lookup(name)
        {
            return Ok(Some(view));
        }
        if nsp == catalog::system::INFORMATION_SCHEMA_NAMESPACE
            && let Some(view) = crate::infoschema::lookup(name)
        {
            return Ok(Some(view));
        }
    }
    Ok(None)
}

/// Relation `oid`, if it exists for this transaction.
pub fn relation_by_oid(session: &mut Session, oid: u32) -> PgResult<Option<Arc<RelationInfo>>> {
    accept_invalidations(session);
    if let Some(view) = crate::sysviews::by_oid(oid) {
        return Ok(Some(view));
    }
    if let Some(view) = crate::infoschema::by_oid(oid) {
        return Ok(Some(view));
    }
    if let Some(rel) = session.relcache.by_oid.get(&oid) {
        return Ok(Some(rel.clone()));
    }
    let found = with_reader(session, |r| r.relation_by_oid(oid))?.map(Arc::new);
    if let Some(rel) = &found {
        session.relcache.by_oid.insert(oid, rel.clone());
    }
    Ok(found)
}

/// The schema a new object goes to: the named one, or the first existing
/// schema of search_path other than pg_catalog (`RangeVarGetCreationNamespace`).
pub fn creation_namespace(session: &mut Session, schema: Option<&str>) -> PgResult<u32> {
    let oid = creation_namespace_unchecked(session, schema)?;
    crate::acl::require_schema_create(session, oid)?;
    Ok(oid)
}

fn creation_namespace_unchecked(session: &mut Session, schema: Option<&str>) -> PgResult<u32> {
    if let Some(s) = schema {
        return namespace_oid(session, s)?.ok_or_else(|| {
            PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{s}\" does not exist"),
            )
        });
    }
    let temp = crate::commands::temp::temp_schema_name(session);
    let temp = namespace_oid(session, &temp)?;
    search_path(session)?
        .into_iter()
        .find(|&oid| oid != PG_CATALOG_NAMESPACE && Some(oid) != temp)
        .ok_or_else(|| {
            PgError::new(
                SqlState::InvalidSchemaName,
                "no schema has been selected to create in",
            )
        })
}

/// The relation a `regclass` value written as text names (`regclassin`):
/// 42P01 if there is none.
pub fn regclass_lookup(session: &mut Session, text: &str) -> PgResult<Arc<RelationInfo>> {
    let parts = planner::catalog::parse_qualified_name(text)?;
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        [_, _, _] => {
            return Err(PgError::feature_not_supported(format!(
                "cross-database references are not implemented: {text}"
            )));
        }
        _ => {
            return Err(PgError::new(
                SqlState::SyntaxError,
                format!("improper relation name (too many dotted names): {text}"),
            ));
        }
    };
    lookup_relation(session, schema, name)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", parts.join(".")),
        )
    })
}

/// How a `regclass` value prints (`regclassout`): the relation's name,
/// qualified when the search_path would not find it unqualified; the OID
/// as a number when there is no such relation.
pub fn regclass_name(session: &mut Session, oid: u32) -> PgResult<String> {
    let Some(rel) = relation_by_oid(session, oid)? else {
        return Ok(oid.to_string());
    };
    let visible = lookup_relation(session, None, &rel.name)?.is_some_and(|r| r.oid == oid);
    Ok(if visible {
        types::guc::quote_identifier(&rel.name)
    } else {
        format!(
            "{}.{}",
            types::guc::quote_identifier(&rel.namespace),
            types::guc::quote_identifier(&rel.name)
        )
    })
}
