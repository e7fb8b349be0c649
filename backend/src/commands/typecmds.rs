//! User-defined types (PostgreSQL's `commands/typecmds.c` and
//! `catalog/pg_enum.c`): CREATE TYPE ... AS ENUM, ALTER TYPE (ADD VALUE,
//! RENAME VALUE, RENAME TO), DROP TYPE; the lookup of type names the
//! planner makes through its `CatalogView`, and the loading of
//! [`types::typcache`].
//!
//! An enum is a `pg_type` row (`typtype 'e'`, category `E`, 4 bytes by
//! value) with its array type `_name`, and one `pg_enum` row per label. A
//! stored value is the label's OID; the labels' order is `enumsortorder`,
//! a float4: CREATE TYPE numbers them 1, 2, ...; ADD VALUE puts a new one
//! after the last (+1), before the first (-1), or halfway between two
//! neighbours, renumbering the type's labels 1..n when the halfway point
//! is not representable.
//!
//! The type cache is reloaded from the catalog whenever the relation cache
//! is dropped (see `relcache::accept_invalidations`), which is how every
//! session sees a committed ALTER TYPE and its own uncommitted DDL.
//!
//! A composite type (CREATE TYPE name AS (field type, ...)) is, as in
//! PostgreSQL, a `pg_class` row of relkind `'c'` without a file whose
//! `pg_attribute` rows are the fields, and a `pg_type` row (`typtype 'c'`,
//! `typrelid` the relation) with its array type; the type cache holds its
//! fields for the value I/O in `types::datum::record`. Every table, view
//! (and partitioned, materialized or foreign table) has such a row type
//! too, made with the relation (`CatalogWriter::create_relation`), renamed
//! and moved with it and dropped with it (`relation_rows`); DROP TYPE of
//! one is 2BP01. ALTER TYPE ... ADD / DROP / RENAME / ALTER ATTRIBUTE
//! ([`alter_type_attribute`]) edits a composite type's `pg_attribute` rows.
//!
//! Not yet: the 55P04 check on using a label added in the same
//! transaction, dependencies other than table columns (domains,
//! functions, views), ALTER TYPE OWNER / SET SCHEMA of domains and
//! composite types (enums, ranges and multiranges have them), DROP / ALTER TYPE of
//! an attribute of a composite type in use, several ALTER TYPE actions
//! in one statement.
//!
//! Range types (CREATE TYPE ... AS RANGE) are made in `rangecmds`; their
//! `pg_range` rows load into the type cache here, and DROP TYPE takes a
//! range's multirange type (and both array types) along.

use std::cell::RefCell;
use std::sync::Arc;

use sqlparser::ast::{
    AlterType, AlterTypeAddValuePosition, AlterTypeOperation, DataType, ObjectName,
    UserDefinedTypeRepresentation,
};

use catalog::heap_catalog::{CatalogWriter, UserTypeRow};
use catalog::system::{EnumRow, PG_TYPE};
use types::typcache::{self, EnumLabel, UserType, UserTypeKind};
use types::{PgError, PgResult, SqlState};

use super::{catalog_changed, split_name};
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// Fills [`types::typcache`] from the catalog (under a fresh catalog
/// snapshot).
pub fn load_user_types(session: &Session) -> PgResult<()> {
    let (rows, labels, checks) = with_reader(session, |r| {
        Ok((r.user_types()?, r.enum_labels()?, r.domain_constraints()?))
    })?;
    // The fields of every composite type, in one scan of pg_attribute.
    let relids: std::collections::HashSet<u32> = rows
        .iter()
        .filter(|(_, t)| t.typtype == 'c')
        .map(|(_, t)| t.relid)
        .collect();
    let attrs = if relids.is_empty() {
        Default::default()
    } else {
        with_reader(session, |r| r.attributes_of(&relids))?
    };
    let ranges = if rows.iter().any(|(_, t)| t.typtype == 'r') {
        super::rangecmds::range_rows(session)?
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for (_, t) in rows {
        if t.typtype == 'r' {
            let Some((_, r)) = ranges.iter().find(|(_, r)| r.range == t.oid) else {
                continue;
            };
            out.push(UserType {
                oid: t.oid,
                name: t.name,
                namespace: t.namespace,
                array_oid: t.array,
                kind: UserTypeKind::Range(typcache::RangeInfo {
                    subtype: r.subtype,
                    multirange: r.multirange,
                    collation: r.collation,
                    canonical: r.canonical,
                    subdiff: r.subdiff,
                }),
            });
            continue;
        }
        if t.typtype == 'm' {
            let Some((_, r)) = ranges.iter().find(|(_, r)| r.multirange == t.oid) else {
                continue;
            };
            out.push(UserType {
                oid: t.oid,
                name: t.name,
                namespace: t.namespace,
                array_oid: t.array,
                kind: UserTypeKind::Multirange { range: r.range },
            });
            continue;
        }
        if t.typtype == 'd' {
            let checks = checks
                .iter()
                .filter(|(_, c)| c.type_oid == t.oid)
                .map(|(_, c)| typcache::DomainCheck {
                    oid: c.oid,
                    name: c.name.clone(),
                    expr: c.expr.clone().unwrap_or_else(|| "true".into()),
                    validated: c.validated,
                })
                .collect();
            out.push(UserType {
                oid: t.oid,
                name: t.name,
                namespace: t.namespace,
                array_oid: t.array,
                kind: UserTypeKind::Domain(typcache::DomainInfo {
                    base: t.base,
                    typmod: t.typmod,
                    not_null: t.not_null,
                    default: t.default,
                    checks,
                }),
            });
            continue;
        }
        if t.typtype == 'c' {
            let fields: Vec<types::datum::RecordField> = attrs
                .get(&t.relid)
                .map(|v| v.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|a| types::datum::RecordField {
                    name: a.name.clone(),
                    type_oid: a.type_oid,
                    typmod: a.typmod,
                })
                .collect();
            out.push(UserType {
                oid: t.oid,
                name: t.name,
                namespace: t.namespace,
                array_oid: t.array,
                kind: UserTypeKind::Composite {
                    relid: t.relid,
                    fields: fields.into(),
                },
            });
            continue;
        }
        if t.typtype != 'e' {
            continue;
        }
        let labels = labels
            .iter()
            .filter(|(_, l)| l.type_oid == t.oid)
            .map(|(_, l)| EnumLabel {
                oid: l.oid,
                sort_order: l.sort_order,
                label: l.label.clone(),
            })
            .collect();
        out.push(UserType {
            oid: t.oid,
            name: t.name,
            namespace: t.namespace,
            array_oid: t.array,
            kind: UserTypeKind::Enum(labels),
        });
    }
    typcache::replace_all(out);
    Ok(())
}

/// The user type `[schema.]name` (or the array type `_name` of one), as
/// the planner's `CatalogView::lookup_type` answers.
pub fn lookup_type(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Option<u32>> {
    relcache::accept_invalidations(session);
    let namespaces = match schema {
        Some(s) => vec![relcache::namespace_oid(session, s)?.ok_or_else(|| {
            PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{s}\" does not exist"),
            )
        })?],
        None => relcache::search_path(session)?,
    };
    for nsp in namespaces {
        if let Some(t) = typcache::by_name(nsp, name) {
            return Ok(Some(t.oid));
        }
        if let Some(t) = typcache::by_array_name(nsp, name) {
            return Ok(Some(t.array_oid));
        }
    }
    Ok(None)
}

/// Type names only, for DDL run outside the planner (CREATE TABLE's
/// columns, ALTER TABLE, function signatures).
struct TypeNames<'s> {
    session: RefCell<&'s mut Session>,
}

impl planner::CatalogView for TypeNames<'_> {
    fn lookup_type(&self, schema: Option<&str>, name: &str) -> PgResult<Option<u32>> {
        lookup_type(&mut self.session.borrow_mut(), schema, name)
    }

    fn lookup_relation(
        &self,
        _schema: Option<&str>,
        _name: &str,
    ) -> PgResult<Option<Arc<planner::RelationDesc>>> {
        Ok(None)
    }
}

/// `resolve_type` with the session's user-defined types.
pub fn resolve_type(session: &mut Session, dt: &DataType) -> PgResult<(u32, i32)> {
    let names = TypeNames {
        session: RefCell::new(session),
    };
    planner::analyze::typename::resolve_type_in(dt, &names)
}

pub(crate) fn undefined_type(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("type \"{name}\" does not exist"),
    )
}

/// A user type as DDL finds it: the cache's entry, its `pg_type` row and
/// where the row is.
pub(crate) type FoundType = (Arc<UserType>, UserTypeRow, storage::page::ItemPointer);

/// What a type name in DDL denotes.
pub(crate) enum Named {
    User(FoundType),
    /// A built-in type (found first, as pg_catalog is searched first).
    Builtin(u32),
    /// The array type of a user type.
    Array(u32),
    Missing,
}

/// The type a DDL statement names, and the name as folded.
pub(crate) fn find_type(session: &mut Session, name: &ObjectName) -> PgResult<(Named, String)> {
    let (schema, n) = split_name(name)?;
    if schema.as_deref().is_none_or(|s| s == "pg_catalog")
        && let Ok((oid, _)) =
            planner::analyze::typename::resolve_type(&DataType::Custom(name.clone(), Vec::new()))
    {
        return Ok((Named::Builtin(oid), n));
    }
    let Some(oid) = lookup_type(session, schema.as_deref(), &n)? else {
        return Ok((Named::Missing, n));
    };
    let Some(t) = typcache::get(oid) else {
        return Ok((Named::Array(oid), n));
    };
    let row = with_reader(session, |r| r.user_types())?
        .into_iter()
        .find(|(_, r)| r.oid == oid);
    Ok((
        row.map_or(Named::Missing, |(tid, row)| Named::User((t, row, tid))),
        n,
    ))
}

fn check_label(label: &str) -> PgResult<()> {
    if label.len() > 63 {
        return Err(PgError::new(
            SqlState::InvalidName,
            format!("invalid enum label \"{label}\""),
        )
        .with_detail("Labels must be 63 bytes or less."));
    }
    Ok(())
}

/// CREATE TYPE name AS ENUM ('a', ...).
pub(crate) fn create_type(
    session: &mut Session,
    name: &ObjectName,
    representation: &Option<UserDefinedTypeRepresentation>,
) -> PgResult<Outcome> {
    let labels: Vec<String> = match representation {
        Some(UserDefinedTypeRepresentation::Enum { labels }) => {
            labels.iter().map(|l| l.value.clone()).collect()
        }
        Some(UserDefinedTypeRepresentation::Composite { attributes }) => {
            return create_composite_type(session, name, attributes);
        }
        Some(UserDefinedTypeRepresentation::Range { options }) => {
            return super::rangecmds::create_range_type(session, name, options);
        }
        _ => {
            return Err(PgError::feature_not_supported(
                "CREATE TYPE other than AS ENUM, AS RANGE or AS (...)",
            ));
        }
    };
    crate::xact::check_writable(session, "CREATE TYPE")?;
    let (schema, n) = split_name(name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    relcache::accept_invalidations(session);
    // A relation's row type has its name too (PostgreSQL makes one in
    // pg_type for every table and view; we do not yet).
    let relation = with_reader(session, |r| r.relation(namespace, &n))?;
    let taken = relation.is_some_and(|r| r.kind != 'i' && r.kind != 'S')
        || typcache::by_name(namespace, &n).is_some()
        || (namespace == catalog::system::PG_CATALOG_NAMESPACE
            && planner::analyze::typename::resolve_type(&DataType::Custom(
                name.clone(),
                Vec::new(),
            ))
            .is_ok());
    if taken {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{n}\" already exists"),
        ));
    }
    for l in &labels {
        check_label(l)?;
    }
    let type_oid = session.storage.transam.new_oid()?;
    // pg_enum's unique index on (enumtypid, enumlabel) refuses a repeat.
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].contains(l) {
            return Err(PgError::new(
                SqlState::UniqueViolation,
                "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"",
            )
            .with_detail(format!(
                "Key (enumtypid, enumlabel)=({type_oid}, {l}) already exists."
            )));
        }
    }
    let array_oid = session.storage.transam.new_oid()?;
    let mut rows = Vec::with_capacity(labels.len());
    for (i, l) in labels.iter().enumerate() {
        rows.push(EnumRow {
            oid: session.storage.transam.new_oid()?,
            type_oid,
            sort_order: (i + 1) as f32,
            label: l.clone(),
        });
    }
    let type_rows =
        catalog::system::enum_type_rows(type_oid, array_oid, &n, namespace, session.user_oid);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.create_enum_type(w, &type_rows)?;
        for r in &rows {
            cw.add_enum_label(w, r)?;
        }
        Ok(())
    })?;
    changed(session)?;
    crate::acl::default_privileges::apply_to_type(session, type_oid)?;
    Ok(Outcome::Command("CREATE TYPE".into()))
}

/// Whether `name` is taken as a type name in `namespace` (a relation's
/// row type included: PostgreSQL gives every table and view one).
pub(crate) fn type_name_taken(
    session: &mut Session,
    namespace: u32,
    name: &ObjectName,
    n: &str,
) -> PgResult<bool> {
    relcache::accept_invalidations(session);
    let relation = with_reader(session, |r| r.relation(namespace, n))?;
    Ok(relation.is_some_and(|r| r.kind != 'i' && r.kind != 'S')
        || typcache::by_name(namespace, n).is_some()
        || (namespace == catalog::system::PG_CATALOG_NAMESPACE
            && planner::analyze::typename::resolve_type(&DataType::Custom(
                name.clone(),
                Vec::new(),
            ))
            .is_ok()))
}

/// CREATE TYPE name AS (field type, ...): a `pg_class` row of relkind
/// `'c'` with the fields as its columns, and the `pg_type` rows of the
/// type and its array type.
fn create_composite_type(
    session: &mut Session,
    name: &ObjectName,
    attributes: &[sqlparser::ast::UserDefinedTypeCompositeAttributeDef],
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE TYPE")?;
    let (schema, n) = split_name(name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    if type_name_taken(session, namespace, name, &n)? {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{n}\" already exists"),
        ));
    }
    let mut columns: Vec<catalog::heap_catalog::NewColumn> = Vec::with_capacity(attributes.len());
    for a in attributes {
        let field = match a.name.quote_style {
            Some(_) => a.name.value.clone(),
            None => a.name.value.to_lowercase(),
        };
        if columns.iter().any(|c| c.name == field) {
            return Err(PgError::new(
                SqlState::DuplicateColumn,
                format!("column \"{field}\" specified more than once"),
            ));
        }
        let (type_oid, typmod) = resolve_type(session, &a.data_type)?;
        crate::acl::require_type_usage(session, type_oid)?;
        if type_oid == types::oid::RECORD || type_oid == types::oid::UNKNOWN {
            return Err(PgError::new(
                SqlState::InvalidTableDefinition,
                format!(
                    "column \"{field}\" has pseudo-type {}",
                    types::oid::type_name(type_oid)
                ),
            ));
        }
        columns.push(catalog::heap_catalog::NewColumn {
            name: field,
            type_oid,
            typmod,
            not_null: false,
            default: None,
            identity: '\0',
            generated: '\0',
            is_local: true,
            inhcount: 0,
            collation: None,
            compression: '\0',
        });
    }
    let relid = session.storage.transam.new_oid()?;
    let type_oid = session.storage.transam.new_oid()?;
    let array_oid = session.storage.transam.new_oid()?;
    let type_rows = catalog::system::composite_type_rows(
        type_oid,
        array_oid,
        relid,
        &n,
        namespace,
        session.user_oid,
    );
    let (db, owner) = (session.database_oid, session.user_oid);
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.create_composite_type(
            w, relid, type_oid, namespace, &n, owner, &columns, &type_rows,
        )
    })?;
    changed(session)?;
    crate::acl::default_privileges::apply_to_type(session, type_oid)?;
    Ok(Outcome::Command("CREATE TYPE".into()))
}

/// Renames the row type of relation `relid` (and its array type) with
/// the relation (ALTER TABLE ... RENAME TO), or moves it to schema
/// `namespace` (SET SCHEMA); nothing for a relation without one.
pub(crate) fn update_row_type(
    session: &mut Session,
    relid: u32,
    name: &str,
    namespace: Option<u32>,
) -> PgResult<()> {
    let all = with_reader(session, |r| r.user_types())?;
    let Some((tid, t)) = all
        .iter()
        .find(|(_, t)| t.typtype == 'c' && t.relid == relid)
    else {
        return Ok(());
    };
    let array_tid = all
        .iter()
        .find(|(_, a)| a.oid == t.array)
        .map(|(tid, _)| *tid);
    let [row, array_row] = catalog::system::composite_type_rows(
        t.oid,
        t.array,
        relid,
        name,
        namespace.unwrap_or(t.namespace),
        t.owner,
    );
    let (tid, db) = (*tid, session.database_oid);
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.update_type(tid, &row, w)?;
        if let Some(a) = array_tid {
            cw.update_type(a, &array_row, w)?;
        }
        Ok(())
    })
}

/// Makes the command's catalog changes visible to the rest of the
/// transaction, and the type cache follow them.
pub(crate) fn changed(session: &mut Session) -> PgResult<()> {
    catalog_changed(session);
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    Ok(())
}

/// DROP TYPE [IF EXISTS] name, ... [CASCADE]: a column of the type (or of
/// its array type) is 2BP01 unless CASCADE, which drops the column.
pub(crate) fn drop_types(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    drop_types_of(session, names, if_exists, cascade, false)
}

/// DROP TYPE, or with `domains` DROP DOMAIN (which refuses other types):
/// a domain also takes its constraints and the domains over it along.
pub(crate) fn drop_types_of(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
    domains: bool,
) -> PgResult<Outcome> {
    let what = if domains { "DROP DOMAIN" } else { "DROP TYPE" };
    crate::xact::check_writable(session, what)?;
    let mut targets = Vec::new();
    for name in names {
        let (found, n) = find_type(session, name)?;
        match found {
            Named::User(t) if domains && t.0.domain().is_none() => {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("\"{n}\" is not a domain"),
                ));
            }
            Named::Builtin(_) | Named::Array(_) if domains => {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("\"{n}\" is not a domain"),
                ));
            }
            Named::User(t) => {
                // A multirange goes with its range only.
                if let UserTypeKind::Multirange { range } = &t.0.kind {
                    let range = types::oid::type_name(*range);
                    return Err(PgError::new(
                        SqlState::DependentObjectsStillExist,
                        format!(
                            "cannot drop type {} because type {range} requires it",
                            t.0.name
                        ),
                    )
                    .with_hint(format!("You can drop type {range} instead.")));
                }
                targets.push(t)
            }
            Named::Builtin(oid) => {
                return Err(PgError::new(
                    SqlState::DependentObjectsStillExist,
                    format!(
                        "cannot drop type {} because it is required by the database system",
                        types::oid::type_name(oid)
                    ),
                ));
            }
            Named::Array(oid) => {
                let elem = types::oid::element_of(oid).unwrap_or(oid);
                return Err(PgError::new(
                    SqlState::DependentObjectsStillExist,
                    format!(
                        "cannot drop type {} because type {} requires it",
                        types::oid::type_name(oid),
                        types::oid::type_name(elem)
                    ),
                )
                .with_hint(format!(
                    "You can drop type {} instead.",
                    types::oid::type_name(elem)
                )));
            }
            Named::Missing if if_exists => {
                session.notice("00000", format!("type \"{n}\" does not exist, skipping"));
            }
            Named::Missing => return Err(undefined_type(&n)),
        }
    }
    // Domains over a dropped type go with it (and so do their columns).
    let mut extra: Vec<FoundType> = Vec::new();
    // A relation's row type goes with the relation only.
    for (t, _, _) in &targets {
        if let UserTypeKind::Composite { relid, .. } = &t.kind {
            let relid = *relid;
            if let Some((_, class)) = with_reader(session, |r| r.class_by_oid(relid))?
                && class.kind != 'c'
            {
                let what = match class.kind {
                    'v' => "view",
                    'm' => "materialized view",
                    'f' => "foreign table",
                    _ => "table",
                };
                return Err(PgError::new(
                    SqlState::DependentObjectsStillExist,
                    format!(
                        "cannot drop type {} because {what} {} requires it",
                        t.name, class.name
                    ),
                )
                .with_hint(format!("You can drop {what} {} instead.", class.name)));
            }
        }
    }
    let dropping_relations: Vec<u32> = targets
        .iter()
        .filter_map(|(t, _, _)| match &t.kind {
            UserTypeKind::Composite { relid, .. } => Some(*relid),
            UserTypeKind::Enum(_)
            | UserTypeKind::Domain(_)
            | UserTypeKind::Range(_)
            | UserTypeKind::Multirange { .. } => None,
        })
        .collect();
    for (t, _, _) in &targets {
        let all = with_reader(session, |r| r.user_types())?;
        let mut over: Vec<u32> = vec![t.oid];
        let mut k = 0;
        while k < over.len() {
            let base = over[k];
            for (_, d) in all
                .iter()
                .filter(|(_, d)| d.typtype == 'd' && d.base == base)
            {
                if !over.contains(&d.oid) {
                    over.push(d.oid);
                }
            }
            // The range types over it.
            for r in typcache::range_types() {
                if r.range().is_some_and(|i| i.subtype == base) && !over.contains(&r.oid) {
                    over.push(r.oid);
                }
            }
            k += 1;
        }
        let mut type_oids = Vec::new();
        for &o in &over {
            type_oids.push(o);
            type_oids.extend(types::oid::array_of(o));
            // A range's multirange goes with it.
            if let Some(m) = typcache::get(o).and_then(|u| u.range().map(|r| r.multirange)) {
                type_oids.push(m);
                type_oids.extend(types::oid::array_of(m));
            }
        }
        let columns = with_reader(session, |r| r.columns_of_types(&type_oids, false))?;
        // What goes with the type: a table's column, or a whole view.
        let mut lines: Vec<String> = Vec::new();
        let mut drops: Vec<String> = Vec::new();
        let mut views: Vec<u32> = Vec::new();
        let mut domain_lines = Vec::new();
        for &o in &over[1..] {
            let Some((tid, row)) = all.iter().find(|(_, r)| r.oid == o) else {
                continue;
            };
            domain_lines.push(format!("type {}", row.name));
            if let Some(u) = typcache::get(o)
                && !targets.iter().chain(&extra).any(|(x, _, _)| x.oid == o)
            {
                extra.push((u, row.clone(), *tid));
            }
        }
        let mut attribute_drops: Vec<(u32, i16)> = Vec::new();
        for (relid, column, attnum) in &columns {
            // A field of another composite type this statement drops.
            if dropping_relations.contains(relid) {
                continue;
            }
            let Some(rel) = relcache::relation_by_oid(session, *relid)? else {
                continue;
            };
            let qualified = format!(
                "{}.{}",
                types::guc::quote_identifier(&rel.namespace),
                types::guc::quote_identifier(&rel.name)
            );
            match rel.kind {
                // An index's column goes with the table's.
                'i' => {}
                'v' if views.contains(relid) => {}
                'v' => {
                    views.push(*relid);
                    lines.push(format!("view {}", rel.name));
                    // Views first: a view may read a column dropped below.
                    drops.insert(0, format!("DROP VIEW IF EXISTS {qualified} CASCADE"));
                }
                // A field of another composite type: dropped from it.
                'c' => {
                    lines.push(format!("column {column} of composite type {}", rel.name));
                    attribute_drops.push((*relid, *attnum));
                }
                _ => {
                    lines.push(format!("column {column} of table {}", rel.name));
                    drops.push(format!(
                        "ALTER TABLE {qualified} DROP COLUMN IF EXISTS {}",
                        types::guc::quote_identifier(column)
                    ));
                }
            }
        }
        lines.extend(domain_lines);
        if lines.is_empty() {
            continue;
        }
        if !cascade {
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!(
                    "cannot drop type {} because other objects depend on it",
                    t.name
                ),
            )
            .with_detail(
                lines
                    .iter()
                    .map(|l| format!("{l} depends on type {}", t.name))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        match lines.as_slice() {
            [one] => session.notice("00000", format!("drop cascades to {one}")),
            many => session.notices.push((
                "NOTICE",
                "00000",
                format!("drop cascades to {} other objects", many.len()),
                Some(
                    many.iter()
                        .map(|l| format!("drop cascades to {l}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            )),
        }
        for sql in drops {
            run_sql(session, &sql)?;
        }
        for (relid, attnum) in attribute_drops {
            super::alter_table::update_attribute(session, relid, attnum, |a| a.dropped = true)?;
        }
    }
    targets.extend(extra);
    // A range's multirange type (and its array) goes with the range.
    let all = with_reader(session, |r| r.user_types())?;
    let mut multiranges = Vec::new();
    for (t, _, _) in &targets {
        if let Some(info) = t.range()
            && let Some(m) = typcache::get(info.multirange)
            && let Some((tid, row)) = all.iter().find(|(_, r)| r.oid == info.multirange)
        {
            multiranges.push((m, row.clone(), *tid));
        }
    }
    targets.extend(multiranges);
    let range_rows = super::rangecmds::range_rows(session)?;
    // Dropped columns keep their type's layout: give them a built-in type
    // stored alike (PostgreSQL clears atttypid and keeps attlen and
    // attalign; our tuple layout comes from the type).
    crate::xact::command_counter_increment(session)?;
    for (t, _, _) in &targets {
        // A domain's columns are stored as its base type.
        let (base, base_array) = match t.domain() {
            Some(_) => {
                let b = types::typcache::base_type(t.oid);
                (b, types::oid::array_of(b).unwrap_or(types::oid::INT4_ARRAY))
            }
            None => (types::oid::INT4, types::oid::INT4_ARRAY),
        };
        for (elem, stand_in) in [(t.oid, base), (t.array_oid, base_array)] {
            let dropped = with_reader(session, |r| r.columns_of_types(&[elem], true))?;
            for (relid, _, attnum) in dropped {
                super::alter_table::update_attribute(session, relid, attnum, |a| {
                    a.type_oid = stand_in;
                })?;
            }
        }
    }
    let mut rows = Vec::new();
    let labels = with_reader(session, |r| r.enum_labels())?;
    let checks = with_reader(session, |r| r.domain_constraints())?;
    let all = with_reader(session, |r| r.user_types())?;
    for (t, _, tid) in &targets {
        rows.push((PG_TYPE, *tid));
        let oid = t.oid;
        rows.extend(with_reader(session, |r| {
            r.description_rows(PG_TYPE, oid, None)
        })?);
        if let Some((array_tid, _)) = all.iter().find(|(_, r)| r.oid == t.array_oid) {
            rows.push((PG_TYPE, *array_tid));
        }
        if let Some((range_tid, _)) = range_rows.iter().find(|(_, r)| r.range == t.oid) {
            rows.push((catalog::empty::PG_RANGE, *range_tid));
        }
        for (label_tid, l) in &labels {
            if l.type_oid == t.oid {
                rows.push((catalog::system::PG_ENUM, *label_tid));
            }
        }
        for (con_tid, c) in &checks {
            if c.type_oid == t.oid {
                rows.push((catalog::system::PG_CONSTRAINT, *con_tid));
                let oid = c.oid;
                rows.extend(with_reader(session, |r| {
                    r.description_rows(catalog::system::PG_CONSTRAINT, oid, None)
                })?);
            }
        }
        // A composite type's relation: its pg_class and pg_attribute rows.
        if let UserTypeKind::Composite { relid, .. } = &t.kind {
            let relid = *relid;
            rows.extend(with_reader(session, |r| r.relation_rows(relid))?);
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    changed(session)?;
    Ok(Outcome::Command(what.into()))
}

/// Runs one SQL statement of the command's own making.
pub(crate) fn run_sql(session: &mut Session, sql: &str) -> PgResult<Outcome> {
    let stmts = crate::syntax::parse(sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal(
            "DROP TYPE's statement did not parse as one",
        ));
    };
    crate::tcop::run_statement(session, stmt, sql, None, &[])
}

/// ALTER TYPE name ADD VALUE | RENAME VALUE | RENAME TO.
pub(crate) fn alter_type(session: &mut Session, at: &AlterType) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TYPE")?;
    let (found, n) = find_type(session, &at.name)?;
    let (t, row, tid) = match found {
        Named::User(found) => found,
        Named::Builtin(oid) | Named::Array(oid) => {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("{} is not an enum", types::oid::type_name(oid)),
            ));
        }
        Named::Missing => return Err(undefined_type(&n)),
    };
    if t.domain().is_some() {
        return match &at.operation {
            AlterTypeOperation::Rename(r) => {
                let new = super::ident(&r.new_name);
                super::domaincmds::rename_domain(session, &(t, row, tid), new)?;
                changed(session)?;
                Ok(Outcome::Command("ALTER TYPE".into()))
            }
            _ => Err(PgError::new(
                SqlState::WrongObjectType,
                format!("{} is not an enum", t.name),
            )),
        };
    }
    if matches!(
        t.kind,
        UserTypeKind::Range(_) | UserTypeKind::Multirange { .. }
    ) && !matches!(at.operation, AlterTypeOperation::Rename(_))
    {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("{} is not an enum", t.name),
        ));
    }
    let db = session.database_oid;
    let labels: Vec<(storage::page::ItemPointer, EnumRow)> =
        with_reader(session, |r| r.enum_labels())?
            .into_iter()
            .filter(|(_, l)| l.type_oid == t.oid)
            .collect();
    match &at.operation {
        AlterTypeOperation::AddValue(add) => {
            let value = add.value.value.clone();
            check_label(&value)?;
            if labels.iter().any(|(_, l)| l.label == value) {
                if add.if_not_exists {
                    session.notice(
                        "42710",
                        format!("enum label \"{value}\" already exists, skipping"),
                    );
                    return Ok(Outcome::Command("ALTER TYPE".into()));
                }
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("enum label \"{value}\" already exists"),
                ));
            }
            let mut sorted: Vec<_> = labels.clone();
            sorted.sort_by(|a, b| a.1.sort_order.total_cmp(&b.1.sort_order));
            let mut renumber = Vec::new();
            let sort_order = match &add.position {
                None => sorted.last().map_or(1.0, |(_, l)| l.sort_order + 1.0),
                Some(p) => {
                    let (neighbour, after) = match p {
                        AlterTypeAddValuePosition::Before(n) => (n.value.clone(), false),
                        AlterTypeAddValuePosition::After(n) => (n.value.clone(), true),
                    };
                    let Some(i) = sorted.iter().position(|(_, l)| l.label == neighbour) else {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!("\"{neighbour}\" is not an existing enum label"),
                        ));
                    };
                    let other = if after {
                        i.checked_add(1)
                    } else {
                        i.checked_sub(1)
                    };
                    let here = sorted[i].1.sort_order;
                    match other.and_then(|o| sorted.get(o)) {
                        None if after => here + 1.0,
                        None => here - 1.0,
                        Some((_, o)) => {
                            let mid = (here + o.sort_order) / 2.0;
                            if mid == here || mid == o.sort_order {
                                // No float4 between them: number the labels
                                // 1..n first, as PostgreSQL does.
                                for (k, (tid, l)) in sorted.iter().enumerate() {
                                    let mut l = l.clone();
                                    l.sort_order = (k + 1) as f32;
                                    renumber.push((*tid, l));
                                }
                                let o = other.unwrap_or(i);
                                ((i + 1) as f32 + (o + 1) as f32) / 2.0
                            } else {
                                mid
                            }
                        }
                    }
                }
            };
            let row = EnumRow {
                oid: session.storage.transam.new_oid()?,
                type_oid: t.oid,
                sort_order,
                label: value,
            };
            crate::xact::with_write(session, |env, w| {
                let cw = CatalogWriter { env, db_oid: db };
                for (tid, l) in &renumber {
                    cw.update_enum_label(*tid, l, w)?;
                }
                cw.add_enum_label(w, &row)
            })?;
            typcache::note_label_added(row.oid);
        }
        AlterTypeOperation::RenameValue(rv) => {
            let (from, to) = (rv.from.value.clone(), rv.to.value.clone());
            check_label(&to)?;
            let Some((tid, old)) = labels.iter().find(|(_, l)| l.label == from) else {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("\"{from}\" is not an existing enum label"),
                ));
            };
            if labels.iter().any(|(_, l)| l.label == to) {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("enum label \"{to}\" already exists"),
                ));
            }
            let mut new = old.clone();
            new.label = to;
            let tid = *tid;
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_enum_label(tid, &new, w)
            })?;
        }
        AlterTypeOperation::Rename(r) => {
            let new = super::ident(&r.new_name);
            if typcache::by_name(row.namespace, &new).is_some() {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("type \"{new}\" already exists"),
                ));
            }
            if !matches!(t.kind, UserTypeKind::Enum(_)) {
                rename_type_rows(session, t.oid, t.array_oid, &new)?;
                changed(session)?;
                return Ok(Outcome::Command("ALTER TYPE".into()));
            }
            let all = with_reader(session, |r| r.user_types())?;
            let array_tid = all
                .iter()
                .find(|(_, r)| r.oid == t.array_oid)
                .map(|(tid, _)| *tid);
            let [type_row, array_row] =
                catalog::system::enum_type_rows(t.oid, t.array_oid, &new, row.namespace, row.owner);
            crate::xact::with_write(session, |env, w| {
                let cw = CatalogWriter { env, db_oid: db };
                cw.update_type(tid, &type_row, w)?;
                if let Some(a) = array_tid {
                    cw.update_type(a, &array_row, w)?;
                }
                Ok(())
            })?;
        }
    }
    changed(session)?;
    Ok(Outcome::Command("ALTER TYPE".into()))
}

/// ALTER TYPE name OWNER TO role | SET SCHEMA schema, of an enum, a range
/// or a multirange type: the `pg_type` rows of the type and of its array
/// type change (a range's multirange type stays, as in PostgreSQL 15).
fn alter_type_owner_or_schema(
    session: &mut Session,
    found: Named,
    n: &str,
    role: Option<&sqlparser::ast::Ident>,
    schema: Option<&sqlparser::ast::Ident>,
) -> PgResult<Outcome> {
    let (t, row, _) = match found {
        Named::User(found) => found,
        Named::Missing => return Err(undefined_type(n)),
        Named::Builtin(_) | Named::Array(_) => {
            return Err(PgError::feature_not_supported(
                "ALTER TYPE ... OWNER TO / SET SCHEMA of a built-in type",
            ));
        }
    };
    if !matches!(
        t.kind,
        UserTypeKind::Enum(_) | UserTypeKind::Range(_) | UserTypeKind::Multirange { .. }
    ) {
        return Err(PgError::feature_not_supported(
            "ALTER TYPE ... OWNER TO / SET SCHEMA of a domain or composite type",
        ));
    }
    let graph = crate::acl::RoleGraph::load(session)?;
    if row.owner != session.user_oid && !graph.is_superuser(session.user_oid) {
        return Err(crate::acl::must_be_owner("type", &t.name));
    }
    // PostgreSQL 15 moves and gives away a range's multirange type
    // separately (ALTER TYPE of the multirange itself).
    let oids = [t.oid, t.array_oid];
    let rename_in_target = [t.name.clone()];
    let new_owner = match role {
        None => None,
        Some(r) => {
            let name = match r.quote_style {
                Some(_) => r.value.clone(),
                None => r.value.to_lowercase(),
            };
            Some(match name.as_str() {
                "current_user" | "current_role" | "session_user" => session.user_oid,
                _ => match with_reader(session, |r| r.role(&name))? {
                    Some((_, r)) => r.oid,
                    None => return Err(crate::acl::role_not_found(&name)),
                },
            })
        }
    };
    let new_namespace = match schema {
        None => None,
        Some(s) => {
            let name = match s.quote_style {
                Some(_) => s.value.clone(),
                None => s.value.to_lowercase(),
            };
            let Some(nsp) = relcache::namespace_oid(session, &name)? else {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{name}\" does not exist"),
                ));
            };
            if nsp != row.namespace {
                for taken in &rename_in_target {
                    if typcache::by_name(nsp, taken).is_some() {
                        return Err(PgError::new(
                            SqlState::DuplicateObject,
                            format!("type \"{taken}\" already exists in schema \"{name}\""),
                        ));
                    }
                }
            }
            Some(nsp)
        }
    };
    let mut rows = Vec::new();
    with_reader(session, |r| {
        r.scan(&catalog::system::PG_TYPE_DEF, |tid, datums| {
            if let Some(types::Datum::Oid(o)) = datums.first()
                && *o != 0
                && oids.contains(o)
            {
                let mut datums = datums.clone();
                if let Some(nsp) = new_namespace {
                    datums[2] = types::Datum::Oid(nsp);
                }
                if let Some(owner) = new_owner {
                    datums[3] = types::Datum::Oid(owner);
                }
                rows.push((tid, datums));
            }
            Ok(true)
        })
    })?;
    write_type_rows(session, &rows)?;
    changed(session)?;
    Ok(Outcome::Command("ALTER TYPE".into()))
}

/// Writes the changed `pg_type` rows back where they were.
fn write_type_rows(
    session: &mut Session,
    rows: &[(storage::page::ItemPointer, Vec<types::Datum>)],
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        for (tid, row) in rows {
            cw.update_type(*tid, row, w)?;
        }
        Ok(())
    })
}

/// Whether a value of type `t` holds one of type `target`: `t` is it, or
/// an array, domain, range or multirange over it, or a composite type with
/// a field that holds one (PostgreSQL's `CheckAttributeType` recursion).
fn type_contains(t: u32, target: u32) -> bool {
    let mut seen = Vec::new();
    let mut todo = vec![t];
    while let Some(t) = todo.pop() {
        if t == target {
            return true;
        }
        if seen.contains(&t) || seen.len() > 256 {
            continue;
        }
        seen.push(t);
        todo.extend(types::oid::element_of(t));
        todo.extend(types::oid::range_subtype(t));
        todo.extend(types::oid::multirange_range(t));
        let base = typcache::base_type(t);
        if base != t {
            todo.push(base);
        }
        if let Some(fields) = typcache::composite_fields(t) {
            todo.extend(fields.iter().map(|f| f.type_oid));
        }
    }
    false
}

/// Renames the `pg_type` rows of type `oid` to `new` and of its array
/// type `array_oid` to `_new`, keeping every other column as it is.
fn rename_type_rows(session: &mut Session, oid: u32, array_oid: u32, new: &str) -> PgResult<()> {
    let mut rows = Vec::new();
    with_reader(session, |r| {
        r.scan(&catalog::system::PG_TYPE_DEF, |tid, row| {
            if let Some(types::Datum::Oid(o)) = row.first()
                && (*o == oid || (array_oid != 0 && *o == array_oid))
            {
                let mut row = row.clone();
                row[1] = types::Datum::Text(if *o == oid {
                    new.to_string()
                } else {
                    format!("_{new}")
                });
                rows.push((tid, row));
            }
            Ok(true)
        })
    })?;
    write_type_rows(session, &rows)
}

/// ALTER TYPE name ADD | DROP | RENAME | ALTER ATTRIBUTE (one action) of a
/// composite type made by CREATE TYPE ... AS: its relation's `pg_attribute`
/// rows change as ALTER TABLE changes a table's. A value stored before an
/// ADD reads the new field as NULL; DROP and ALTER ... TYPE are refused
/// (0A000) while a column holds values of the type, whose stored form
/// would no longer match.
pub(crate) fn alter_type_attribute(session: &mut Session, text: &str) -> PgResult<Outcome> {
    use crate::syntax::AttributeAction;
    crate::xact::check_writable(session, "ALTER TYPE")?;
    let (name, action, _cascade) = crate::syntax::parse_alter_attribute(text)?;
    let (found, n) = find_type(session, &name)?;
    match &action {
        AttributeAction::OwnerTo { role } => {
            return alter_type_owner_or_schema(session, found, &n, Some(role), None);
        }
        AttributeAction::SetSchema { schema } => {
            return alter_type_owner_or_schema(session, found, &n, None, Some(schema));
        }
        _ => {}
    }
    let no_relation = || {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{n}\" does not exist"),
        )
    };
    let t = match found {
        Named::User((t, _, _)) => t,
        _ => return Err(no_relation()),
    };
    let UserTypeKind::Composite { relid, .. } = &t.kind else {
        return Err(no_relation());
    };
    let relid = *relid;
    let Some((class_tid, mut class)) = with_reader(session, |r| r.class_by_oid(relid))? else {
        return Err(no_relation());
    };
    if class.kind != 'c' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{n}\" is not a composite type"),
        ));
    }
    let attrs = with_reader(session, |r| r.attributes(relid))?;
    let live = |name: &str| {
        attrs
            .iter()
            .find(|(_, a)| !a.dropped && a.name == name)
            .map(|(_, a)| a.attnum)
    };
    let ident = |id: &sqlparser::ast::Ident| match id.quote_style {
        Some(_) => id.value.clone(),
        None => id.value.to_lowercase(),
    };
    let exists = |c: &str| {
        PgError::new(
            SqlState::DuplicateColumn,
            format!("column \"{c}\" of relation \"{n}\" already exists"),
        )
    };
    // A column of some relation holding values of the type.
    let in_use = |session: &mut Session| -> PgResult<Option<String>> {
        let users = with_reader(session, |r| {
            r.columns_of_types(&[t.oid, t.array_oid], false)
        })?;
        for (user, column, _) in users {
            if let Some(rel) = relcache::relation_by_oid(session, user)?
                && rel.kind != 'i'
            {
                return Ok(Some(format!("{}.{column}", rel.name)));
            }
        }
        Ok(None)
    };
    let in_use_error = |user: String| {
        PgError::new(
            SqlState::FeatureNotSupported,
            format!("cannot alter type \"{n}\" because column \"{user}\" uses it"),
        )
    };
    match action {
        AttributeAction::OwnerTo { .. } | AttributeAction::SetSchema { .. } => {
            return Err(PgError::internal(
                "ALTER TYPE OWNER TO / SET SCHEMA reached the attribute actions",
            ));
        }
        AttributeAction::Add { name, data_type } => {
            let field = ident(&name);
            if live(&field).is_some() {
                return Err(exists(&field));
            }
            let (type_oid, typmod) = resolve_type(session, &data_type)?;
            crate::acl::require_type_usage(session, type_oid)?;
            if matches!(
                type_oid,
                types::oid::RECORD | types::oid::RECORD_ARRAY | types::oid::UNKNOWN
            ) {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!(
                        "column \"{field}\" has pseudo-type {}",
                        types::oid::type_name(type_oid)
                    ),
                ));
            }
            if type_contains(type_oid, t.oid) {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!(
                        "composite type {} cannot be made a member of itself",
                        t.name
                    ),
                ));
            }
            let attnum = attrs.iter().map(|(_, a)| a.attnum).max().unwrap_or(0) + 1;
            let column = catalog::heap_catalog::NewColumn {
                name: field,
                type_oid,
                typmod,
                not_null: false,
                default: None,
                identity: '\0',
                generated: '\0',
                is_local: true,
                inhcount: 0,
                collation: None,
                compression: '\0',
            };
            class.natts = attnum;
            let db = session.database_oid;
            crate::xact::with_write(session, |env, w| {
                let writer = CatalogWriter { env, db_oid: db };
                writer.add_column(w, relid, attnum, &column, 0)?;
                writer.update_class(class_tid, &class, w)
            })?;
        }
        AttributeAction::Drop { name, if_exists } => {
            let field = ident(&name);
            let Some(attnum) = live(&field) else {
                if if_exists {
                    session.notice(
                        "00000",
                        format!("column \"{field}\" of relation \"{n}\" does not exist, skipping"),
                    );
                    return Ok(Outcome::Command("ALTER TYPE".into()));
                }
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{field}\" of relation \"{n}\" does not exist"),
                ));
            };
            if let Some(user) = in_use(session)? {
                return Err(in_use_error(user));
            }
            super::alter_table::update_attribute(session, relid, attnum, |a| {
                a.dropped = true;
                a.name = format!("........pg.dropped.{attnum}........");
            })?;
        }
        AttributeAction::Rename { name, to } => {
            let (field, to) = (ident(&name), ident(&to));
            let Some(attnum) = live(&field) else {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{field}\" does not exist"),
                ));
            };
            if live(&to).is_some() {
                return Err(exists(&to));
            }
            super::alter_table::update_attribute(session, relid, attnum, |a| a.name = to)?;
        }
        AttributeAction::SetType { name, data_type } => {
            let field = ident(&name);
            let Some(attnum) = live(&field) else {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{field}\" of relation \"{n}\" does not exist"),
                ));
            };
            if let Some(user) = in_use(session)? {
                return Err(in_use_error(user));
            }
            let (type_oid, typmod) = resolve_type(session, &data_type)?;
            crate::acl::require_type_usage(session, type_oid)?;
            super::alter_table::update_attribute(session, relid, attnum, |a| {
                a.type_oid = type_oid;
                a.typmod = typmod;
            })?;
        }
    }
    changed(session)?;
    Ok(Outcome::Command("ALTER TYPE".into()))
}
