//! CREATE INDEX, DROP INDEX, REINDEX and the indexes behind PRIMARY KEY and
//! UNIQUE constraints (PostgreSQL's `indexcmds.c` and `index.c`), for
//! B-tree indexes on plain columns.
//!
//! Building an index: the table is locked in SHARE mode (writers wait,
//! readers go on), the new index's catalog rows and file are made in the
//! session's transaction (so a rolled-back CREATE INDEX leaves nothing),
//! the heap is scanned once (`storage::heap::indexbuild`), the entries are
//! sorted and written bottom-up (`storage::nbtree::maint::build`). Unique
//! indexes refuse live duplicates (23505) and primary keys NULLs (23502).
//! CREATE INDEX CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE and builds in
//! three transactions while writers go on ([`create_index_concurrently`]);
//! DROP INDEX CONCURRENTLY takes the index out of use in steps
//! ([`drop_index_concurrently`]); REINDEX CONCURRENTLY combines the two
//! ([`reindex_one_concurrently`]).

use sqlparser::ast::{
    CreateIndex, IndexColumn, NullsDistinctOption, ObjectName, OrderBySort, TableConstraint,
};

use catalog::heap_catalog::{CatalogWriter, IndexInfo, NewColumn, RelationInfo, index_am_desc};
use catalog::system::{
    INDOPTION_DESC, INDOPTION_NULLS_FIRST, IndexRow, PG_CATALOG_NAMESPACE, btree_opclass,
    btree_opclass_accepts, btree_opclass_by_name, type_collation,
};
use storage::heap::indexbuild::Versions;
use storage::lmgr::{LockMode, LockTag};
use storage::nbtree;
use storage::page::ItemPointer;
use storage::smgr::RelFileLocator;
use storage::transam::Snapshot;
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// One key or INCLUDE column of an index to build: a table column, or (key
/// columns only) an expression over the table's columns, as SQL text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexColumnSpec {
    pub name: String,
    pub expr: Option<String>,
    pub desc: bool,
    pub nulls_first: bool,
    /// A named operator class (`text_pattern_ops`, perhaps qualified by its
    /// schema); None: the type's default.
    pub opclass: Option<(Option<String>, String)>,
}

impl IndexColumnSpec {
    /// A table column in ascending order with its type's operator class.
    pub fn plain(name: String) -> IndexColumnSpec {
        IndexColumnSpec {
            name,
            expr: None,
            desc: false,
            nulls_first: false,
            opclass: None,
        }
    }
}

/// An index to build on a table.
#[derive(Debug, Clone, Default)]
pub(crate) struct IndexSpec {
    /// None: chosen from the table and column names.
    pub name: Option<String>,
    pub columns: Vec<IndexColumnSpec>,
    pub include: Vec<String>,
    pub unique: bool,
    pub primary: bool,
    /// A UNIQUE or PRIMARY KEY constraint (names end in `_key`/`_pkey`).
    pub constraint: bool,
    /// `NULLS NOT DISTINCT`: two NULL keys conflict in a unique index.
    pub nulls_not_distinct: bool,
    pub if_not_exists: bool,
    /// A partial index's WHERE, as SQL text.
    pub predicate: Option<String>,
    /// CREATE INDEX CONCURRENTLY: made neither ready nor valid, and not
    /// built ([`create_index_concurrently`] goes on from there).
    pub concurrently: bool,
    /// Storage parameters (`reloptions`), checked.
    pub options: Vec<String>,
}

fn column_spec(c: &IndexColumn) -> PgResult<IndexColumnSpec> {
    let opclass = match &c.operator_class {
        None => None,
        Some(name) => Some(split_name(name)?),
    };
    let mut e = &c.column.expr;
    // An expression other than a function call must be in parentheses.
    match e {
        sqlparser::ast::Expr::BinaryOp { op, .. } => {
            return Err(PgError::syntax(
                format!("syntax error at or near \"{op}\""),
                None,
            ));
        }
        sqlparser::ast::Expr::Cast {
            kind: sqlparser::ast::CastKind::DoubleColon,
            ..
        } => {
            return Err(PgError::syntax("syntax error at or near \"::\"", None));
        }
        _ => {}
    }
    while let sqlparser::ast::Expr::Nested(inner) = e {
        e = inner;
    }
    let (name, expr) = match e {
        sqlparser::ast::Expr::Identifier(id) => (ident(id), None),
        // An expression column is named after its function, else "expr"
        // (PostgreSQL's FigureColname for index columns).
        sqlparser::ast::Expr::Function(f) => (
            f.name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map_or_else(|| "expr".into(), ident),
            Some(e.to_string()),
        ),
        other => ("expr".into(), Some(other.to_string())),
    };
    let desc = match &c.column.options.sort {
        None | Some(OrderBySort::Asc) => false,
        Some(OrderBySort::Desc) => true,
        Some(_) => {
            return Err(PgError::feature_not_supported(
                "ORDER BY USING in index definitions",
            ));
        }
    };
    Ok(IndexColumnSpec {
        name,
        expr,
        desc,
        nulls_first: c.column.options.nulls_first.unwrap_or(desc),
        opclass,
    })
}

/// The operator class of a key column of `type_oid`: the one named, which
/// must accept the type, else the type's default.
fn resolve_opclass(
    session: &mut Session,
    name: Option<&(Option<String>, String)>,
    type_oid: u32,
) -> PgResult<u32> {
    let type_name = types::oid::type_name(type_oid);
    // Every built-in class lives in pg_catalog; a class qualified by another
    // schema that exists is simply not there.
    let name = match name {
        None => None,
        Some((None, class)) => Some(class.clone()),
        Some((Some(schema), class)) if schema == "pg_catalog" => Some(class.clone()),
        Some((Some(schema), class)) => {
            if relcache::namespace_oid(session, schema)?.is_none() {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{schema}\" does not exist"),
                ));
            }
            Some(format!("{schema}.{class}"))
        }
    };
    match name {
        None => btree_opclass(type_oid).ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedObject,
                format!("data type {type_name} has no default operator class for access method \"btree\""),
            )
            .with_hint("You must specify an operator class for the index or define a default operator class for the data type.")
        }),
        Some(name) => {
            let Some(class) = btree_opclass_by_name(&name) else {
                if super::opclasscmds::user_class_exists(
                    session,
                    &name,
                    catalog::system::BTREE_AM_OID,
                )? {
                    return Err(PgError::feature_not_supported(format!(
                        "an index with the user-defined operator class \"{name}\""
                    )));
                }
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!("operator class \"{name}\" does not exist for access method \"btree\""),
                ));
            };
            if !btree_opclass_accepts(class, type_oid) {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!("operator class \"{name}\" does not accept data type {type_name}"),
                ));
            }
            Ok(class.oid)
        }
    }
}

/// The index a PRIMARY KEY or UNIQUE table constraint asks for, if it is one.
pub(crate) fn constraint_spec(c: &TableConstraint) -> PgResult<Option<IndexSpec>> {
    Ok(Some(match c {
        TableConstraint::PrimaryKey(pk) => IndexSpec {
            name: pk.name.as_ref().map(ident),
            columns: pk
                .columns
                .iter()
                .map(column_spec)
                .collect::<PgResult<_>>()?,
            include: pk.include.iter().map(ident).collect(),
            unique: true,
            primary: true,
            constraint: true,
            ..Default::default()
        },
        TableConstraint::Unique(u) => IndexSpec {
            name: u.name.as_ref().map(ident),
            columns: u.columns.iter().map(column_spec).collect::<PgResult<_>>()?,
            include: u.include.iter().map(ident).collect(),
            unique: true,
            constraint: true,
            nulls_not_distinct: matches!(u.nulls_distinct, NullsDistinctOption::NotDistinct),
            ..Default::default()
        },
        _ => return Ok(None),
    }))
}

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table (columns) [INCLUDE (...)].
pub(crate) fn create_index(session: &mut Session, ci: &CreateIndex) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE INDEX")?;
    if ci.concurrently {
        prevent_in_transaction_block(session, "CREATE INDEX CONCURRENTLY")?;
    }
    if let Some(u) = &ci.using
        && u.to_string().to_lowercase() != "btree"
    {
        return Err(PgError::feature_not_supported(format!(
            "index access method \"{}\"",
            u.to_string().to_lowercase()
        )));
    }
    if !ci.index_options.is_empty() {
        return Err(PgError::feature_not_supported("these index options"));
    }
    let options = super::reloptions::new_index_options(&ci.with)?;
    let name = match &ci.name {
        Some(n) => {
            let (schema, name) = split_name(n)?;
            if schema.is_some() {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "index name cannot be schema-qualified",
                ));
            }
            Some(name)
        }
        None => None,
    };
    let spec = IndexSpec {
        name,
        columns: ci
            .columns
            .iter()
            .map(column_spec)
            .collect::<PgResult<_>>()?,
        include: ci.include.iter().map(ident).collect(),
        unique: ci.unique,
        nulls_not_distinct: ci.nulls_distinct == Some(false),
        if_not_exists: ci.if_not_exists,
        predicate: ci.predicate.as_ref().map(|p| p.to_string()),
        concurrently: ci.concurrently,
        options,
        ..Default::default()
    };
    let table = table_for_index(session, &ci.table_name)?;
    if spec.concurrently {
        create_index_concurrently(session, table, &spec)?;
    } else {
        define_index(session, table, &spec)?;
    }
    Ok(Outcome::Command("CREATE INDEX".into()))
}

/// The table an index is to be built on, locked against writers.
fn table_for_index(session: &mut Session, name: &ObjectName) -> PgResult<u32> {
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    if !matches!(rel.kind, 'r' | 'p' | 'm') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("cannot create index on relation \"{relname}\""),
        )
        .with_detail(format!(
            "This operation is not supported for {}.",
            match rel.kind {
                'i' => "indexes",
                'f' => "foreign tables",
                _ => "views",
            }
        )));
    }
    if rel.namespace_oid == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{relname}")));
    }
    Ok(rel.oid)
}

/// PostgreSQL's `ChooseRelationName`: `table_col1_col2_suffix`, cut to fit
/// 63 bytes, with a number added until no relation has the name.
fn choose_name(
    session: &mut Session,
    table: &RelationInfo,
    columns: &[String],
    suffix: &str,
) -> PgResult<String> {
    let base = if suffix == "pkey" {
        table.name.clone()
    } else {
        format!("{}_{}", table.name, columns.join("_"))
    };
    unused_name(session, &table.namespace, &base, suffix)
}

/// Creates and builds an index of table `table_oid` (`DefineIndex`).
/// Returns the new index's OID, or None if IF NOT EXISTS found the name taken.
pub(crate) fn define_index(
    session: &mut Session,
    table_oid: u32,
    spec: &IndexSpec,
) -> PgResult<Option<u32>> {
    crate::acl::require_relation_owner(session, table_oid)?;
    // A unique index cannot cover foreign partitions (PostgreSQL's
    // DefineIndex); a plain one skips them.
    if spec.unique
        && let Some(table) = relcache::relation_by_oid(session, table_oid)?
        && table.kind == 'p'
    {
        for &c in &table.children {
            if relcache::relation_by_oid(session, c)?.is_some_and(|r| r.kind == 'f') {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!(
                        "cannot create unique index on partitioned table \"{}\"",
                        table.name
                    ),
                )
                .with_detail(format!(
                    "Table \"{}\" contains partitions that are foreign tables.",
                    table.name
                )));
            }
        }
    }
    let made = define_index_one(session, table_oid, spec)?;
    // A partitioned table's index is made on each partition too (under a
    // name of the partition's).
    let Some(table) = relcache::relation_by_oid(session, table_oid)? else {
        return Ok(made);
    };
    if made.is_some() && table.kind == 'p' {
        let child_spec = IndexSpec {
            name: None,
            if_not_exists: false,
            concurrently: false,
            ..spec.clone()
        };
        for &c in &table.children {
            if relcache::relation_by_oid(session, c)?.is_some_and(|r| r.kind == 'f') {
                continue;
            }
            define_index(session, c, &child_spec)?;
        }
    }
    Ok(made)
}

/// The spec that makes index `ix` of `table` again on another table of
/// the same columns (a new partition of `table`); None for an index with
/// expressions.
pub(crate) fn spec_of(table: &RelationInfo, ix: &IndexInfo) -> Option<IndexSpec> {
    let name_of = |attnum: i16| {
        table
            .columns
            .iter()
            .find(|c| c.attnum == attnum)
            .map(|c| c.name.clone())
    };
    // The expressions, in key order, for the keys of attnum 0.
    let mut exprs = match &ix.row.exprs {
        Some(text) => crate::index_exprs::split_select_list(text).ok()?,
        None => Vec::new(),
    }
    .into_iter();
    let nkey = ix.row.nkeyatts as usize;
    let mut columns = Vec::with_capacity(nkey);
    for (i, &attnum) in ix.row.keys.iter().take(nkey).enumerate() {
        let option = ix.row.options.get(i).copied().unwrap_or(0);
        let (name, expr) = if attnum == 0 {
            // Named as CREATE INDEX names an expression column.
            let text = exprs.next()?;
            let stmts = crate::syntax::parse(&format!("CREATE INDEX x ON y (({text}))")).ok()?;
            let [Statement::CreateIndex(ci)] = stmts.as_slice() else {
                return None;
            };
            let spec = column_spec(ci.columns.first()?).ok()?;
            (spec.name, spec.expr)
        } else {
            (name_of(attnum)?, None)
        };
        columns.push(IndexColumnSpec {
            name,
            expr,
            desc: option & INDOPTION_DESC != 0,
            nulls_first: option & INDOPTION_NULLS_FIRST != 0,
            opclass: None,
        });
    }
    let include = ix
        .row
        .keys
        .iter()
        .skip(nkey)
        .map(|&a| name_of(a))
        .collect::<Option<Vec<_>>>()?;
    Some(IndexSpec {
        name: None,
        columns,
        include,
        unique: ix.row.unique,
        primary: ix.row.primary,
        constraint: table.constraints.iter().any(|c| c.index == ix.oid),
        nulls_not_distinct: ix.row.nulls_not_distinct,
        if_not_exists: false,
        predicate: ix.row.pred.clone(),
        concurrently: false,
        options: ix.options.clone(),
    })
}

/// Gives a new partition `child` the indexes its parent has.
pub(crate) fn clone_indexes(session: &mut Session, parent: u32, child: u32) -> PgResult<()> {
    let Some(parent) = relcache::relation_by_oid(session, parent)? else {
        return Ok(());
    };
    for ix in &parent.indexes {
        if let Some(spec) = spec_of(&parent, ix) {
            define_index(session, child, &spec)?;
        }
    }
    Ok(())
}

fn define_index_one(
    session: &mut Session,
    table_oid: u32,
    spec: &IndexSpec,
) -> PgResult<Option<u32>> {
    // Catalog changes of this statement so far (CREATE TABLE's, an earlier
    // constraint's) must be visible to the lookups below.
    crate::xact::command_counter_increment(session)?;
    // CONCURRENTLY keeps out only other DDL and VACUUM, not writers.
    let mode = if spec.concurrently {
        LockMode::ShareUpdateExclusive
    } else {
        LockMode::Share
    };
    crate::xact::lock_relation(session, table_oid, mode)?;
    relcache::accept_invalidations(session);
    let Some(table) = relcache::relation_by_oid(session, table_oid)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation with OID {table_oid} does not exist"),
        ));
    };
    if table.kind == 'p'
        && spec.unique
        && let Some(key) = &table.partition_key
    {
        let what = if spec.primary {
            "PRIMARY KEY"
        } else {
            "UNIQUE"
        };
        let unsupported = || {
            PgError::new(
                SqlState::FeatureNotSupported,
                "unsupported UNIQUE constraint with partition key definition",
            )
        };
        if !key.exprs.is_empty() || spec.columns.iter().any(|c| c.expr.is_some()) {
            return Err(unsupported().with_detail(format!(
                "{what} constraints cannot be used when partition keys include expressions."
            )));
        }
        for &attnum in &key.attrs {
            let Some(col) = table.columns.iter().find(|c| c.attnum == attnum) else {
                continue;
            };
            if !spec.columns.iter().any(|c| c.name == col.name) {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "unique constraint on partitioned table must include all partitioning columns",
                )
                .with_detail(format!(
                    "{what} constraint on table \"{}\" lacks column \"{}\" which is part of the partition key.",
                    table.name, col.name
                )));
            }
        }
    }
    let table_desc = std::sync::Arc::new(crate::table_access::relation_desc(&table));
    let mut keys = Vec::new();
    let mut new_columns = Vec::new();
    let mut expr_texts: Vec<String> = Vec::new();
    let include = spec
        .include
        .iter()
        .map(|n| IndexColumnSpec::plain(n.clone()));
    let mut opclasses = Vec::new();
    for (i, c) in spec.columns.iter().cloned().chain(include).enumerate() {
        let key = i < spec.columns.len();
        let (attnum, type_oid, typmod) = match &c.expr {
            Some(text) => {
                let e = planner::analyze_index_expression(table_desc.clone(), text)?;
                expr_texts.push(text.clone());
                (0, e.type_oid(), e.typmod())
            }
            None => {
                let Some(col) = table
                    .columns
                    .iter()
                    .find(|t| !t.dropped && t.name == c.name)
                else {
                    let msg = if spec.constraint {
                        format!("column \"{}\" named in key does not exist", c.name)
                    } else {
                        format!("column \"{}\" does not exist", c.name)
                    };
                    return Err(PgError::new(SqlState::UndefinedColumn, msg));
                };
                (col.attnum, col.type_oid, col.typmod)
            }
        };
        if key {
            opclasses.push(resolve_opclass(session, c.opclass.as_ref(), type_oid)?);
        }
        keys.push(attnum);
        new_columns.push(NewColumn {
            name: c.name.clone(),
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
    let predicate = match &spec.predicate {
        Some(text) => {
            let p = planner::analyze_index_expression(table_desc.clone(), text)?;
            if p.type_oid() != types::oid::BOOL {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "argument of WHERE must be type boolean, not type {}",
                        types::oid::type_name(p.type_oid())
                    ),
                ));
            }
            Some(text.clone())
        }
        None => None,
    };
    if keys.len() > nbtree::itup::INDEX_MAX_KEYS {
        return Err(PgError::new(
            SqlState::TooManyColumns,
            format!(
                "cannot use more than {} columns in an index",
                nbtree::itup::INDEX_MAX_KEYS
            ),
        ));
    }
    if spec.primary && table.indexes.iter().any(|ix| ix.row.primary) {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                table.name
            ),
        ));
    }
    // Index column names repeat the table's; a repeat gets a number (a, a1).
    let mut seen: Vec<String> = Vec::new();
    for c in new_columns.iter_mut() {
        let mut name = c.name.clone();
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{}{n}", c.name);
        }
        seen.push(name.clone());
        c.name = name;
    }
    // Generated names use the index's column names, INCLUDE columns too.
    let key_names: Vec<String> = new_columns.iter().map(|c| c.name.clone()).collect();
    let name = match &spec.name {
        Some(n) => {
            if n.len() >= 64 {
                return Err(PgError::feature_not_supported(
                    "identifiers longer than 63 bytes",
                ));
            }
            if relcache::lookup_relation(session, Some(&table.namespace), n)?.is_some() {
                if spec.if_not_exists {
                    session.notice(
                        "42P07",
                        format!("relation \"{n}\" already exists, skipping"),
                    );
                    return Ok(None);
                }
                return Err(PgError::new(
                    SqlState::DuplicateTable,
                    format!("relation \"{n}\" already exists"),
                ));
            }
            n.clone()
        }
        None => choose_name(
            session,
            &table,
            &key_names,
            if spec.primary {
                "pkey"
            } else if spec.constraint {
                "key"
            } else {
                "idx"
            },
        )?,
    };

    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let db = session.database_oid;
    let loc = RelFileLocator::new(db, oid);
    crate::xact::create_relation_file(session, loc)?;
    let nkey = spec.columns.len();
    let row = IndexRow {
        index_oid: oid,
        table_oid,
        keys: keys.clone(),
        nkeyatts: nkey as i16,
        unique: spec.unique,
        nulls_not_distinct: spec.nulls_not_distinct,
        primary: spec.primary,
        valid: !spec.concurrently,
        ready: !spec.concurrently,
        replident: false,
        options: spec
            .columns
            .iter()
            .map(|c| {
                i16::from(c.desc) * INDOPTION_DESC
                    + i16::from(c.nulls_first) * INDOPTION_NULLS_FIRST
            })
            .collect(),
        collations: new_columns
            .iter()
            .take(nkey)
            .map(|c| type_collation(c.type_oid))
            .collect(),
        opclasses,
        exprs: (!expr_texts.is_empty()).then(|| expr_texts.join(", ")),
        pred: predicate,
    };
    let owner = session.user_oid;
    let namespace = table.namespace_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.create_index(
            w,
            oid,
            namespace,
            &name,
            owner,
            &new_columns,
            &row,
        )
    })?;
    if !table.has_index {
        let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(table_oid))? else {
            return Err(PgError::internal(format!(
                "cache lookup failed for relation {table_oid}"
            )));
        };
        class.has_index = true;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
        })?;
    }
    if spec.primary {
        set_not_null(session, &table, &keys[..nkey])?;
    }
    if spec.constraint {
        if table.constraints.iter().any(|c| c.name == name) {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!(
                    "constraint \"{name}\" for relation \"{}\" already exists",
                    table.name
                ),
            ));
        }
        let row = catalog::system::ConstraintRow {
            oid: session.storage.transam.new_oid()?,
            name: name.clone(),
            namespace,
            kind: if spec.primary {
                catalog::system::CONSTRAINT_PRIMARY
            } else {
                catalog::system::CONSTRAINT_UNIQUE
            },
            deferrable: false,
            deferred: false,
            validated: true,
            relid: table_oid,
            index: oid,
            frelid: 0,
            fupdtype: '\0',
            fdeltype: '\0',
            fmatchtype: '\0',
            keys: keys[..nkey].to_vec(),
            fkeys: Vec::new(),
            expr: None,
            no_inherit: false,
            inhcount: 0,
            is_local: true,
            type_oid: 0,
        };
        super::constraints::add_constraint_rows(session, std::slice::from_ref(&row))?;
    }
    let columns_info: Vec<catalog::heap_catalog::ColumnInfo> = new_columns
        .iter()
        .zip(&keys)
        .map(|(c, &attnum)| catalog::heap_catalog::ColumnInfo {
            name: c.name.clone(),
            type_oid: c.type_oid,
            typmod: c.typmod,
            attnum,
            not_null: false,
            default: None,
            identity: '\0',
            generated: '\0',
            dropped: false,
            is_local: true,
            inhcount: 0,
            collation: None,
            storage: '\0',
            compression: '\0',
        })
        .collect();
    let am = index_am_desc(&name, &columns_info, &row, &spec.options)?;
    let info = IndexInfo {
        oid,
        name,
        relfilenode: oid,
        row,
        columns: columns_info,
        am,
        options: spec.options.clone(),
    };
    if !spec.options.is_empty() {
        let options = spec.options.clone();
        super::update_class(session, oid, |c| c.options = options)?;
    }
    if !spec.concurrently {
        build_index(session, &table, &info, loc, spec.primary, None)?;
    }
    catalog_changed(session);
    Ok(Some(oid))
}

/// CREATE INDEX CONCURRENTLY (PostgreSQL's `DefineIndex` with
/// `concurrent`): the index is made and filled in three transactions
/// while writers go on; the table's SHARE UPDATE EXCLUSIVE lock is held
/// across them as a session lock.
///
/// 1. The catalog rows, neither ready (writers do not maintain the index)
///    nor valid (nobody reads it); committed. From here on, every writer
///    that sees the index counts its columns for HOT.
/// 2. After every transaction that could write without knowing of the
///    index has ended: built from the rows a fresh snapshot sees, then
///    marked ready; committed.
/// 3. After every transaction that could write without maintaining the
///    index has ended: validated (the rows a new snapshot sees that have
///    no entry get one); committed. After every transaction whose
///    snapshot may see rows older than that snapshot's has ended: valid.
///
/// A failure after step 1 leaves the index invalid, as PostgreSQL does
/// (DROP INDEX or REINDEX it).
fn create_index_concurrently(
    session: &mut Session,
    table_oid: u32,
    spec: &IndexSpec,
) -> PgResult<()> {
    let tag = LockTag::Relation {
        db: session.database_oid,
        rel: table_oid,
    };
    let Some(oid) = define_index(session, table_oid, spec)? else {
        return Ok(());
    };
    let kept = session
        .storage
        .locks
        .borrow_mut()
        .keep_for_session(tag, LockMode::ShareUpdateExclusive);
    debug_assert!(kept, "define_index took the lock");
    crate::xact::commit(session)?;
    fill_concurrently(session, tag, table_oid, oid)?;
    set_index_flags(session, oid, |row| row.valid = true)?;
    // Released when the statement's transaction ends.
    session
        .storage
        .locks
        .borrow_mut()
        .end_session_lock(tag, LockMode::ShareUpdateExclusive);
    Ok(())
}

/// Steps 2 and 3 of [`create_index_concurrently`] for index `oid` of table
/// `table_oid` (locked as `tag`), made and committed neither ready nor
/// valid: built, ready, validated, and every older snapshot gone; each step
/// committed. The index may then be made valid.
fn fill_concurrently(
    session: &mut Session,
    tag: LockTag,
    table_oid: u32,
    oid: u32,
) -> PgResult<()> {
    crate::xact::wait_for_lockers(session, tag, LockMode::Share)?;
    let (table, ix) = index_of(session, table_oid, oid)?;
    let snapshot = crate::xact::statement_snapshot(session);
    let loc = ix.locator(session.database_oid);
    build_index(session, &table, &ix, loc, false, Some(&snapshot))?;
    set_index_flags(session, oid, |row| row.ready = true)?;
    crate::xact::commit(session)?;

    crate::xact::wait_for_lockers(session, tag, LockMode::Share)?;
    let (table, ix) = index_of(session, table_oid, oid)?;
    let snapshot = crate::xact::statement_snapshot(session);
    validate_index(session, &table, &ix, &snapshot)?;
    crate::xact::commit(session)?;
    crate::xact::wait_for_older_snapshots(session, snapshot.xmin)
}

/// Table `table_oid` and its index `oid`, as the catalog has them now.
fn index_of(
    session: &mut Session,
    table_oid: u32,
    oid: u32,
) -> PgResult<(std::sync::Arc<RelationInfo>, IndexInfo)> {
    relcache::accept_invalidations(session);
    let table = relcache::relation_by_oid(session, table_oid)?.ok_or_else(|| {
        PgError::internal(format!("cache lookup failed for relation {table_oid}"))
    })?;
    let ix = table
        .indexes
        .iter()
        .find(|ix| ix.oid == oid)
        .cloned()
        .ok_or_else(|| PgError::internal(format!("cache lookup failed for index {oid}")))?;
    Ok((table, ix))
}

/// Changes index `oid`'s `pg_index` row (its ready and valid flags).
fn set_index_flags(
    session: &mut Session,
    oid: u32,
    change: impl FnOnce(&mut IndexRow),
) -> PgResult<()> {
    let Some((tid, mut row)) = with_reader(session, |r| r.index_row(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for index {oid}"
        )));
    };
    change(&mut row);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_index_row(tid, &row, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// CREATE INDEX CONCURRENTLY's validation (PostgreSQL's `validate_index`):
/// each row `snapshot` sees whose HOT chain has no entry in the index gets
/// one, checked for uniqueness as an insertion is. Rows written since the
/// index became ready have their entries from their writers.
fn validate_index(
    session: &mut Session,
    table: &RelationInfo,
    ix: &IndexInfo,
    snapshot: &Snapshot,
) -> PgResult<()> {
    let db = session.database_oid;
    let desc = crate::table_access::heap_tuple_desc(table)?;
    let mut missing: Vec<(ItemPointer, Vec<Datum>)> = Vec::new();
    {
        let env = session.storage.heap_env();
        let interrupts = &session.interrupts;
        let deadline = session.deadline;
        let present =
            nbtree::maint::heap_tids(&env, ix.locator(db), &mut || interrupts.check(deadline))?;
        storage::heap::indexbuild::build_scan(
            &env,
            table.locator(db),
            Versions::Visible(snapshot, session.tx.me()),
            &mut || interrupts.check(deadline),
            &mut |root, bytes, _| {
                if present.binary_search(&root).is_err() {
                    missing.push((root, storage::heap::tuple::deform_tuple(&desc, bytes)?));
                }
                Ok(())
            },
        )?;
    }
    for (root, row) in missing {
        crate::table_access::insert_entries_of_index(session, table, ix.oid, &row, root)?;
    }
    Ok(())
}

/// Marks a primary key's columns NOT NULL.
fn set_not_null(session: &mut Session, table: &RelationInfo, attnums: &[i16]) -> PgResult<()> {
    let db = session.database_oid;
    let rows = with_reader(session, |r| r.attributes(table.oid))?;
    for (tid, mut a) in rows {
        if attnums.contains(&a.attnum) && !a.not_null {
            a.not_null = true;
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_attribute(tid, &a, w)
            })?;
        }
    }
    Ok(())
}

/// Fills the empty index file `loc` from the table's rows (`index_build`):
/// one entry per HOT chain, sorted, written bottom-up. Unique indexes
/// refuse two live rows with equal keys; `no_nulls` (a primary key) refuses
/// a live row with a NULL key. With writers locked out, each chain's
/// newest version not dead to everyone is indexed; with `snapshot` (CREATE
/// INDEX CONCURRENTLY), the version that snapshot sees.
pub(crate) fn build_index(
    session: &mut Session,
    table: &RelationInfo,
    ix: &IndexInfo,
    loc: RelFileLocator,
    no_nulls: bool,
    snapshot: Option<&Snapshot>,
) -> PgResult<()> {
    let db = session.database_oid;
    let heap = table.locator(db);
    let desc = crate::table_access::heap_tuple_desc(table)?;
    // Where each plain index column is in the table row (None: an expression).
    let positions: Vec<Option<usize>> = ix
        .row
        .keys
        .iter()
        .map(|&attnum| table.columns.iter().position(|c| c.attnum == attnum))
        .collect();
    let distinct = positions
        .iter()
        .enumerate()
        .all(|(i, p)| !positions[..i].contains(p));
    let oldest_xmin = session.storage.transam.oldest_xmin();
    let exprs = crate::index_exprs::of(session, table, ix)?;
    let versions = match snapshot {
        Some(s) => Versions::Visible(s, session.tx.me()),
        None => Versions::NotDead(oldest_xmin),
    };
    // Only the columns up to the last indexed one need decoding (all of
    // them for expressions and predicates).
    let decode = if exprs.is_some() {
        desc.natts()
    } else {
        positions.iter().flatten().max().map_or(0, |m| m + 1)
    };
    // The entries, with whether each row is live (unique checks skip the
    // others), sorted within maintenance_work_mem (spilling sorted runs to
    // temporary files beyond it).
    let budget = session
        .settings
        .get_bytes("maintenance_work_mem")
        .unwrap_or(64 << 20)
        .max(1 << 20) as usize;
    let dir = nbtree::sort::temp_dir(session.storage.store.smgr().data_dir());
    let mut spool = nbtree::sort::Spool::new(&ix.am, budget, dir);
    {
        let env = session.storage.heap_env();
        let interrupts = &session.interrupts;
        let deadline = session.deadline;
        storage::heap::indexbuild::build_scan(
            &env,
            heap,
            versions,
            &mut || interrupts.check(deadline),
            &mut |tid, bytes, is_live| {
                let mut row = storage::heap::tuple::deform_tuple_prefix(&desc, bytes, decode)?;
                let values: Vec<Datum> = match &exprs {
                    // Each column's value moves out of the row (a column
                    // indexed twice is copied).
                    None if distinct => positions
                        .iter()
                        .map(|&p| {
                            p.and_then(|p| {
                                row.get_mut(p).map(|d| std::mem::replace(d, Datum::Null))
                            })
                            .unwrap_or(Datum::Null)
                        })
                        .collect(),
                    None => positions
                        .iter()
                        .map(|&p| p.and_then(|p| row.get(p).cloned()).unwrap_or(Datum::Null))
                        .collect(),
                    Some(ex) => match crate::index_exprs::entry(
                        &mut crate::index_exprs::Immutable,
                        table,
                        ix,
                        Some(ex),
                        &row,
                    )? {
                        Some(v) => v,
                        None => return Ok(()),
                    },
                };
                if no_nulls && is_live {
                    let nkey = ix.am.nkeyatts;
                    if let Some(i) = values[..nkey].iter().position(Datum::is_null) {
                        return Err(PgError::new(
                            SqlState::NotNullViolation,
                            format!(
                                "column \"{}\" of relation \"{}\" contains null values",
                                ix.columns[i].name, table.name
                            ),
                        ));
                    }
                }
                spool.add((values, tid, is_live))
            },
        )?;
    }
    let mut sorted = spool.finish()?;
    let opts = crate::tcop::output_options(session);
    let nkey = ix.am.nkeyatts;
    // The previous live entry, for the unique check of adjacent entries.
    let mut prev: Option<Vec<u8>> = None;
    let mut next = || -> PgResult<Option<Vec<u8>>> {
        let Some((tuple, live)) = sorted.next_tuple()? else {
            return Ok(None);
        };
        if ix.row.unique && live {
            let t = nbtree::itup::IndexTuple::parse(&tuple)?;
            let comparable = ix.row.nulls_not_distinct || !(0..nkey).any(|i| t.is_null(i));
            if comparable
                && let Some(p) = &prev
                && nbtree::itup::cmp_leaf_keys(&ix.am, p, &tuple)? == std::cmp::Ordering::Equal
            {
                let key = t.keys(&ix.am)?;
                let names: Vec<&str> = ix
                    .columns
                    .iter()
                    .take(nkey)
                    .map(|c| c.name.as_str())
                    .collect();
                let vals: Vec<String> = key
                    .iter()
                    .map(|v| {
                        if v.is_null() {
                            "null".into()
                        } else {
                            v.to_text(&opts)
                        }
                    })
                    .collect();
                return Err(PgError::new(
                    SqlState::UniqueViolation,
                    format!("could not create unique index \"{}\"", ix.name),
                )
                .with_detail(format!(
                    "Key ({})=({}) is duplicated.",
                    names.join(", "),
                    vals.join(", ")
                )));
            }
            if comparable {
                prev = Some(tuple.clone());
            } else {
                prev = None;
            }
        }
        Ok(Some(tuple))
    };
    let env = session.storage.heap_env();
    let interrupts = &session.interrupts;
    let deadline = session.deadline;
    nbtree::maint::build_from_tuples(&env, loc, &ix.am, &mut next, &mut || {
        interrupts.check(deadline)
    })
}

/// DROP INDEX [IF EXISTS] name [, ...].
pub(crate) fn drop_indexes(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP INDEX")?;
    for n in names {
        let Some((rel, row)) = index_to_drop(session, n, if_exists)? else {
            continue;
        };
        crate::xact::lock_relation(session, row.table_oid, LockMode::AccessExclusive)?;
        crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
        relcache::accept_invalidations(session);
        crate::acl::require_relation_owner(session, rel.oid)?;
        drop_index_rows(session, rel.oid, rel.locator(session.database_oid))?;
    }
    Ok(Outcome::Command("DROP INDEX".into()))
}

/// The index DROP INDEX names and its `pg_index` row; None (with a NOTICE)
/// for a missing one under IF EXISTS. Not an index, or a primary key's, is
/// an error.
fn index_to_drop(
    session: &mut Session,
    name: &ObjectName,
    if_exists: bool,
) -> PgResult<Option<(std::sync::Arc<RelationInfo>, IndexRow)>> {
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        if if_exists {
            session.notice(
                "00000",
                format!("index \"{relname}\" does not exist, skipping"),
            );
            return Ok(None);
        }
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!("index \"{relname}\" does not exist"),
        ));
    };
    if rel.kind != 'i' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not an index"),
        )
        .with_hint("Use DROP TABLE to remove a table."));
    }
    let Some((_, row)) = with_reader(session, |r| r.index_row(rel.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for index {}",
            rel.oid
        )));
    };
    let constraint = with_reader(session, |r| r.constraint_of_index(rel.oid))?;
    if let Some(c) = constraint {
        let table = relcache::relation_by_oid(session, row.table_oid)?
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let cname = c.name;
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!("cannot drop index {relname} because constraint {cname} on table {table} requires it"),
        )
        .with_hint(format!("You can drop constraint {cname} on table {table} instead.")));
    }
    Ok(Some((rel, row)))
}

/// DROP INDEX CONCURRENTLY (PostgreSQL's `index_drop` with `concurrent`):
/// holding the table's SHARE UPDATE EXCLUSIVE lock across its
/// transactions, the index is made invalid (no new plan reads it), then,
/// once every transaction holding a lock on the table has ended, not ready
/// (no writer maintains it), then, after the same wait, dropped under its
/// own ACCESS EXCLUSIVE lock: readers and writers of the table go on.
pub(crate) fn drop_index_concurrently(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    prevent_in_transaction_block(session, "DROP INDEX CONCURRENTLY")?;
    crate::xact::check_writable(session, "DROP INDEX")?;
    if names.len() > 1 {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "DROP INDEX CONCURRENTLY does not support dropping multiple objects",
        ));
    }
    if cascade {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "DROP INDEX CONCURRENTLY does not support CASCADE",
        ));
    }
    let Some(name) = names.first() else {
        return Ok(Outcome::Command("DROP INDEX".into()));
    };
    let Some((rel, row)) = index_to_drop(session, name, if_exists)? else {
        return Ok(Outcome::Command("DROP INDEX".into()));
    };
    let db = session.database_oid;
    let table = LockTag::Relation {
        db,
        rel: row.table_oid,
    };
    crate::xact::lock(session, table, LockMode::ShareUpdateExclusive, false)?;
    relcache::accept_invalidations(session);
    session
        .storage
        .locks
        .borrow_mut()
        .keep_for_session(table, LockMode::ShareUpdateExclusive);
    if row.valid {
        set_index_flags(session, rel.oid, |r| r.valid = false)?;
        crate::xact::commit(session)?;
        crate::xact::wait_for_lockers(session, table, LockMode::AccessExclusive)?;
    }
    set_index_flags(session, rel.oid, |r| r.ready = false)?;
    crate::xact::commit(session)?;
    crate::xact::wait_for_lockers(session, table, LockMode::AccessExclusive)?;
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    drop_index_rows(session, rel.oid, rel.locator(db))?;
    session
        .storage
        .locks
        .borrow_mut()
        .end_session_lock(table, LockMode::ShareUpdateExclusive);
    Ok(Outcome::Command("DROP INDEX".into()))
}

/// Deletes an index's catalog rows and drops its file at commit.
pub(crate) fn drop_index_rows(
    session: &mut Session,
    oid: u32,
    file: RelFileLocator,
) -> PgResult<()> {
    let db = session.database_oid;
    let rows = with_reader(session, |r| r.relation_rows(oid))?;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    session.tx.drop_at_commit.push(file);
    catalog_changed(session);
    Ok(())
}

/// Gives every index of `table` a new, empty file (TRUNCATE) or one built
/// from the table's rows as they are now (VACUUM FULL, REINDEX); the old
/// files are dropped at commit.
pub(crate) fn rebuild_indexes(
    session: &mut Session,
    table: &RelationInfo,
    empty: bool,
) -> PgResult<()> {
    rebuild(session, table, &table.indexes, empty)
}

/// [`rebuild_indexes`] for some of the table's indexes.
fn rebuild(
    session: &mut Session,
    table: &RelationInfo,
    indexes: &[IndexInfo],
    empty: bool,
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let db = session.database_oid;
    for ix in indexes {
        crate::xact::ensure_xid(session)?;
        let new_node = session.storage.transam.new_oid()?;
        let loc = RelFileLocator::new(db, new_node);
        crate::xact::create_relation_file(session, loc)?;
        if empty {
            nbtree::insert::build_empty(&session.storage.heap_env(), loc)?;
        } else {
            build_index(session, table, ix, loc, false, None)?;
        }
        let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(ix.oid))? else {
            return Err(PgError::internal(format!(
                "cache lookup failed for index {}",
                ix.oid
            )));
        };
        class.relfilenode = new_node;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
        })?;
        session.tx.drop_at_commit.push(ix.locator(db));
    }
    catalog_changed(session);
    Ok(())
}

/// REINDEX INDEX name | REINDEX TABLE name: each index built afresh from the
/// table into a new file (the old one is dropped at commit), under a SHARE
/// lock on the table (readers go on) and an ACCESS EXCLUSIVE lock on the
/// index, as PostgreSQL's non-concurrent REINDEX.
pub(crate) fn reindex(session: &mut Session, r: &crate::syntax::Reindex) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "REINDEX")?;
    if r.options {
        return Err(PgError::feature_not_supported("REINDEX options"));
    }
    if r.concurrently {
        return reindex_concurrently(session, r);
    }
    if r.kind != "INDEX" && r.kind != "TABLE" {
        return reindex_many(session, r);
    }
    let (rel, relname) = reindex_relation(session, r)?;
    let (table_oid, only) = if r.kind == "INDEX" {
        (table_of_index(session, &rel, &relname)?, Some(rel.oid))
    } else {
        (rel.oid, None)
    };
    crate::xact::lock_relation(session, table_oid, LockMode::Share)?;
    if let Some(ix) = only {
        crate::xact::lock_relation(session, ix, LockMode::AccessExclusive)?;
    }
    relcache::accept_invalidations(session);
    let Some(table) = relcache::relation_by_oid(session, table_oid)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    if reindex_indexes(session, &table, only)? == 0 && only.is_none() {
        session.notice(
            "00000",
            format!("table \"{}\" has no indexes to reindex", table.name),
        );
    }
    Ok(Outcome::Command("REINDEX".into()))
}

/// Builds again the indexes of `table` (the one `only` names, or all), each
/// under its ACCESS EXCLUSIVE lock; the caller holds the table's SHARE
/// lock. Returns how many there were.
fn reindex_indexes(
    session: &mut Session,
    table: &RelationInfo,
    only: Option<u32>,
) -> PgResult<usize> {
    let indexes: Vec<IndexInfo> = table
        .indexes
        .iter()
        .filter(|ix| only.is_none_or(|o| o == ix.oid))
        .cloned()
        .collect();
    if indexes.is_empty() {
        return Ok(0);
    }
    for ix in &indexes {
        crate::xact::lock_relation(session, ix.oid, LockMode::AccessExclusive)?;
    }
    rebuild(session, table, &indexes, false)?;
    Ok(indexes.len())
}

/// `REINDEX SCHEMA name`, `REINDEX DATABASE name` and `REINDEX SYSTEM name`:
/// every index of the schema's tables, of the current database's user
/// tables and catalogs, or of its catalogs alone. Not in a transaction
/// block, as PostgreSQL; ours runs as one transaction (PostgreSQL commits
/// after each table).
fn reindex_many(session: &mut Session, r: &crate::syntax::Reindex) -> PgResult<Outcome> {
    prevent_in_transaction_block(session, &format!("REINDEX {}", r.kind))?;
    let [name] = r.name.as_slice() else {
        return Err(PgError::syntax(
            match r.name.is_empty() {
                true => "syntax error at end of input".to_owned(),
                false => "improper qualified name".to_owned(),
            },
            None,
        ));
    };
    let tables: Vec<u32> = if r.kind == "SCHEMA" {
        let Some(ns) = relcache::namespace_oid(session, name)? else {
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        with_reader(session, |rd| rd.relations_in(ns))?
            .into_iter()
            .filter(|(_, _, kind)| *kind == 'r')
            .map(|(oid, _, _)| oid)
            .collect()
    } else {
        if *name != session.database {
            return Err(PgError::feature_not_supported(
                "can only reindex the currently open database",
            ));
        }
        let system = r.kind == "SYSTEM";
        with_reader(session, |rd| rd.tables())?
            .into_iter()
            .map(|(oid, _, _)| oid)
            .filter(|&oid| !system || oid < storage::transam::FIRST_NORMAL_OBJECT_ID)
            .collect()
    };
    for oid in tables {
        crate::xact::lock_relation(session, oid, LockMode::Share)?;
        relcache::accept_invalidations(session);
        // A table dropped since the list was read is skipped.
        if let Some(table) = relcache::relation_by_oid(session, oid)? {
            reindex_indexes(session, &table, None)?;
        }
    }
    Ok(Outcome::Command("REINDEX".into()))
}

/// The relation REINDEX INDEX or TABLE names, with its name as written:
/// a table for TABLE (42809 otherwise).
fn reindex_relation(
    session: &mut Session,
    r: &crate::syntax::Reindex,
) -> PgResult<(std::sync::Arc<RelationInfo>, String)> {
    let (schema, relname) = match r.name.as_slice() {
        [n] => (None, n.clone()),
        [s, n] => (Some(s.clone()), n.clone()),
        _ => {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "improper qualified name",
            ));
        }
    };
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    if r.kind == "TABLE" && !matches!(rel.kind, 'r' | 'm') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a table or materialized view"),
        ));
    }
    Ok((rel, relname))
}

/// The table of index `rel` (named `relname`): 42809 if it is no index.
fn table_of_index(session: &mut Session, rel: &RelationInfo, relname: &str) -> PgResult<u32> {
    if rel.kind != 'i' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not an index"),
        ));
    }
    let Some((_, row)) = with_reader(session, |rd| rd.index_row(rel.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for index {}",
            rel.oid
        )));
    };
    Ok(row.table_oid)
}

/// The catalog's refusal of REINDEX ... CONCURRENTLY.
fn system_catalogs_concurrently() -> PgError {
    PgError::new(
        SqlState::FeatureNotSupported,
        "cannot reindex system catalogs concurrently",
    )
}

/// REINDEX {INDEX | TABLE | SCHEMA | DATABASE} CONCURRENTLY (PostgreSQL's
/// `ReindexRelationConcurrently`): each index is rebuilt as a copy made
/// and filled as CREATE INDEX CONCURRENTLY does, which then gives its file
/// to the index and is dropped as DROP INDEX CONCURRENTLY drops ([`reindex_one_concurrently`]).
/// A table's invalid indexes are skipped with a WARNING; system catalogs
/// are refused.
fn reindex_concurrently(session: &mut Session, r: &crate::syntax::Reindex) -> PgResult<Outcome> {
    prevent_in_transaction_block(session, "REINDEX CONCURRENTLY")?;
    let is_catalog = |oid: u32, namespace: u32| {
        oid < storage::transam::FIRST_NORMAL_OBJECT_ID || namespace == PG_CATALOG_NAMESPACE
    };
    // (table, indexes) to rebuild, in order.
    let mut work: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut tables: Vec<u32> = Vec::new();
    match r.kind.as_str() {
        "SYSTEM" => return Err(system_catalogs_concurrently()),
        "INDEX" | "TABLE" => {
            let (rel, relname) = reindex_relation(session, r)?;
            if is_catalog(rel.oid, rel.namespace_oid) {
                return Err(system_catalogs_concurrently());
            }
            if r.kind == "INDEX" {
                work.push((table_of_index(session, &rel, &relname)?, vec![rel.oid]));
            } else {
                tables.push(rel.oid);
            }
        }
        _ => {
            let [name] = r.name.as_slice() else {
                return Err(PgError::syntax("improper qualified name", None));
            };
            if r.kind == "SCHEMA" {
                let Some(ns) = relcache::namespace_oid(session, name)? else {
                    return Err(PgError::new(
                        SqlState::InvalidSchemaName,
                        format!("schema \"{name}\" does not exist"),
                    ));
                };
                if ns == PG_CATALOG_NAMESPACE {
                    return Err(system_catalogs_concurrently());
                }
                tables = with_reader(session, |rd| rd.relations_in(ns))?
                    .into_iter()
                    .filter(|(_, _, kind)| *kind == 'r')
                    .map(|(oid, _, _)| oid)
                    .collect();
            } else {
                if *name != session.database {
                    return Err(PgError::feature_not_supported(
                        "can only reindex the currently open database",
                    ));
                }
                session.warn(
                    "0A000",
                    "cannot reindex system catalogs concurrently, skipping all",
                );
                tables = with_reader(session, |rd| rd.tables())?
                    .into_iter()
                    .map(|(oid, _, _)| oid)
                    .filter(|&oid| oid >= storage::transam::FIRST_NORMAL_OBJECT_ID)
                    .collect();
            }
        }
    }
    let one_table = r.kind == "TABLE";
    for oid in tables {
        let Some(table) = relcache::relation_by_oid(session, oid)? else {
            continue;
        };
        let mut ixs = Vec::new();
        for ix in &table.indexes {
            if ix.row.valid {
                ixs.push(ix.oid);
            } else {
                session.warn(
                    "0A000",
                    format!(
                        "cannot reindex invalid index \"{}.{}\" concurrently, skipping",
                        table.namespace, ix.name
                    ),
                );
            }
        }
        if ixs.is_empty() && one_table {
            session.notice(
                "00000",
                format!(
                    "table \"{}\" has no indexes that can be reindexed concurrently",
                    table.name
                ),
            );
        }
        work.push((oid, ixs));
    }
    // Catalog reads only so far: no snapshot is kept while others are waited for.
    crate::xact::commit(session)?;
    for (table_oid, ixs) in work {
        for oid in ixs {
            reindex_one_concurrently(session, table_oid, oid)?;
        }
    }
    Ok(Outcome::Command("REINDEX".into()))
}

/// Rebuilds index `old_oid` of table `table_oid` while readers and writers
/// go on, under the table's SHARE UPDATE EXCLUSIVE lock held as a session
/// lock: a copy of its catalog rows (`<name>_ccnew`) is made, filled and
/// validated as CREATE INDEX CONCURRENTLY does; the two then exchange their
/// files, so the index keeps its name, OID and constraint and reads the new
/// file, and the copy, left with the old file and never valid, is taken out
/// of use and dropped as DROP INDEX CONCURRENTLY does. (PostgreSQL swaps the
/// names instead, so the index gets the copy's OID.) A failure leaves the
/// copy behind invalid, as PostgreSQL does.
fn reindex_one_concurrently(session: &mut Session, table_oid: u32, old_oid: u32) -> PgResult<()> {
    let db = session.database_oid;
    let tag = LockTag::Relation { db, rel: table_oid };
    crate::xact::lock(session, tag, LockMode::ShareUpdateExclusive, false)?;
    relcache::accept_invalidations(session);
    session
        .storage
        .locks
        .borrow_mut()
        .keep_for_session(tag, LockMode::ShareUpdateExclusive);
    let (table, old) = index_of(session, table_oid, old_oid)?;
    let copy_name = unused_name(session, &table.namespace, &old.name, "ccnew")?;
    let copy = clone_index(session, &table, &old, &copy_name)?;
    crate::xact::commit(session)?;
    fill_concurrently(session, tag, table_oid, copy)?;

    // The exchange: one transaction; both files are kept up to date by
    // every writer meanwhile (both indexes are ready).
    let (_, old) = index_of(session, table_oid, old_oid)?;
    let (_, new) = index_of(session, table_oid, copy)?;
    set_relfilenode(session, old_oid, new.relfilenode)?;
    set_relfilenode(session, copy, old.relfilenode)?;
    crate::xact::commit(session)?;

    // The copy, with the old file: no writer maintains it, then it goes.
    crate::xact::wait_for_lockers(session, tag, LockMode::AccessExclusive)?;
    set_index_flags(session, copy, |r| r.ready = false)?;
    crate::xact::commit(session)?;
    crate::xact::wait_for_lockers(session, tag, LockMode::AccessExclusive)?;
    crate::xact::lock_relation(session, copy, LockMode::AccessExclusive)?;
    drop_index_rows(session, copy, old.locator(db))?;
    session
        .storage
        .locks
        .borrow_mut()
        .end_session_lock(tag, LockMode::ShareUpdateExclusive);
    crate::xact::commit(session)
}

/// New catalog rows for an index like `old` of `table`, named `name`, with
/// an empty file, neither ready nor valid. Returns its OID.
fn clone_index(
    session: &mut Session,
    table: &RelationInfo,
    old: &IndexInfo,
    name: &str,
) -> PgResult<u32> {
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let db = session.database_oid;
    crate::xact::create_relation_file(session, RelFileLocator::new(db, oid))?;
    let row = IndexRow {
        index_oid: oid,
        valid: false,
        ready: false,
        primary: false,
        ..old.row.clone()
    };
    let columns: Vec<NewColumn> = old
        .columns
        .iter()
        .map(|c| NewColumn {
            name: c.name.clone(),
            type_oid: c.type_oid,
            typmod: c.typmod,
            not_null: false,
            default: None,
            identity: '\0',
            generated: '\0',
            is_local: true,
            inhcount: 0,
            collation: None,
            compression: '\0',
        })
        .collect();
    let owner = session.user_oid;
    let namespace = table.namespace_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }
            .create_index(w, oid, namespace, name, owner, &columns, &row)
    })?;
    catalog_changed(session);
    Ok(oid)
}

/// `<base>_<suffix>`, with a number after it if a relation of schema
/// `namespace` has that name, cut to fit 63 bytes (`ChooseRelationName`).
fn unused_name(
    session: &mut Session,
    namespace: &str,
    base: &str,
    suffix: &str,
) -> PgResult<String> {
    for n in 0..100_000u32 {
        let tail = match n {
            0 => format!("_{suffix}"),
            _ => format!("_{suffix}{n}"),
        };
        let mut head = base.to_owned();
        while head.len() + tail.len() > 63 {
            head.pop();
        }
        let candidate = format!("{head}{tail}");
        if relcache::lookup_relation(session, Some(namespace), &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(PgError::new(
        SqlState::DuplicateTable,
        format!("could not choose an unused name based on \"{base}\""),
    ))
}

/// Points relation `oid`'s `pg_class` row at file `relfilenode`.
fn set_relfilenode(session: &mut Session, oid: u32, relfilenode: u32) -> PgResult<()> {
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    class.relfilenode = relfilenode;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    Ok(())
}
