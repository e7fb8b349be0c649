//! Materialized views (PostgreSQL's `createas.c` and `matview.c`): CREATE
//! MATERIALIZED VIEW, REFRESH MATERIALIZED VIEW, ALTER and DROP.
//!
//! A materialized view is a relation of kind `'m'` with both a heap file
//! (its rows, stored and WAL-logged as a table's are) and a view's
//! `_RETURN` rule (its query as SQL text, printed as `commands::view`
//! stores a view's, with `pg_depend` rows on what it reads). The planner
//! scans it like a table; INSERT, UPDATE, DELETE and row locks are refused
//! (42809, `planner::analyze`).
//!
//! `relispopulated` is false after `WITH NO DATA`; a scan of such a view is
//! `55000 materialized view "x" has not been populated`
//! (`table_access::check_scannable`), as PostgreSQL's
//! `ExecOpenScanRelation` answers.
//!
//! REFRESH gives the view a new, empty file (as TRUNCATE does, so that
//! ROLLBACK keeps the old rows), fills it from the query, then builds its
//! indexes anew from the rows (new files too). How we differ from
//! PostgreSQL: `CONCURRENTLY` checks what PostgreSQL checks (a populated
//! view, a usable unique index, no duplicate rows without NULLs) and then
//! refreshes the same way, holding an ACCESS EXCLUSIVE lock rather than
//! computing a diff under an EXCLUSIVE lock; the query runs as the current
//! user, not as the view's owner.

use sqlparser::ast::{
    AlterView, AlterViewOperation, CreateView, RefreshMaterializedView, Statement,
};

use catalog::heap_catalog::{CatalogWriter, NewColumn};
use catalog::system::PG_CATALOG_NAMESPACE;
use storage::heap::heapam;
use storage::heap::tuple::{form_tuple, type_storage};
use storage::lmgr::LockMode;
use storage::smgr::RelFileLocator;
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::syntax::{MATVIEW_NO_DATA_MARKER, MATVIEW_TABLESPACE_MARKER, MATVIEW_USING_MARKER};
use crate::utility::Outcome;

/// What the option list of CREATE MATERIALIZED VIEW said.
struct MatviewOptions {
    /// `WITH NO DATA`
    no_data: bool,
    /// Storage parameters, as `reloptions` keeps them (`key=value`).
    reloptions: Vec<String>,
}

fn matview_options(options: &sqlparser::ast::CreateTableOptions) -> PgResult<MatviewOptions> {
    use sqlparser::ast::{CreateTableOptions, Expr, SqlOption};
    let mut out = MatviewOptions {
        no_data: false,
        reloptions: Vec::new(),
    };
    let list = match options {
        CreateTableOptions::None => return Ok(out),
        CreateTableOptions::With(list) => list,
        _ => {
            return Err(PgError::feature_not_supported(
                "these materialized view options",
            ));
        }
    };
    let mut storage_parameters = Vec::new();
    for o in list {
        let (key, value) = match o {
            SqlOption::KeyValue { key, value } => {
                let v = match value {
                    Expr::Value(v) => match &v.value {
                        sqlparser::ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    Expr::Identifier(id) => id.value.clone(),
                    other => other.to_string(),
                };
                let key = match key.0.as_slice() {
                    [p] => match p.as_ident() {
                        Some(id) if id.quote_style.is_some() => id.value.clone(),
                        Some(id) => id.value.to_lowercase(),
                        None => key.to_string(),
                    },
                    _ => key.to_string().to_lowercase(),
                };
                (key, Some(v))
            }
            SqlOption::Ident(key) => (key.to_string().to_lowercase(), None),
            _ => {
                return Err(PgError::feature_not_supported(
                    "these materialized view options",
                ));
            }
        };
        match key.as_str() {
            MATVIEW_NO_DATA_MARKER => out.no_data = true,
            MATVIEW_USING_MARKER => {
                let am = value.unwrap_or_default();
                if am != "heap" {
                    let exists = am == "btree"
                        || am == "hash"
                        || am == "gist"
                        || am == "gin"
                        || am == "spgist"
                        || am == "brin";
                    return Err(if exists {
                        PgError::new(
                            SqlState::WrongObjectType,
                            format!("access method \"{am}\" is not of type TABLE"),
                        )
                    } else {
                        PgError::new(
                            SqlState::UndefinedObject,
                            format!("access method \"{am}\" does not exist"),
                        )
                    });
                }
            }
            MATVIEW_TABLESPACE_MARKER => {
                let ts = value.unwrap_or_default();
                // Only the default tablespace exists here (no CREATE TABLESPACE).
                if ts != "pg_default" {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("tablespace \"{ts}\" does not exist"),
                    ));
                }
            }
            _ => storage_parameters.push(o.clone()),
        }
    }
    out.reloptions = super::reloptions::new_heap_options(&storage_parameters, 'm')?;
    Ok(out)
}

/// CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(columns)] [USING heap]
/// [WITH (...)] [TABLESPACE ts] AS query [WITH [NO] DATA].
pub(crate) fn create_matview(
    session: &mut Session,
    cv: &CreateView,
    sql: &str,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE MATERIALIZED VIEW")?;
    if cv.temporary {
        return Err(PgError::syntax(
            "syntax error at or near \"MATERIALIZED\"",
            None,
        ));
    }
    let options = matview_options(&cv.options)?;
    let (schema, name) = split_name(&cv.name)?;
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported(
            "identifiers longer than 63 bytes",
        ));
    }
    let namespace = super::temp::creation_namespace(session, schema.as_deref(), false)?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    // IF NOT EXISTS looks before the query is analyzed, as PostgreSQL's
    // CreateTableAsRelExists does.
    let namespace_text = namespace_name(session, namespace)?;
    if cv.if_not_exists
        && relcache::lookup_relation(session, Some(&namespace_text), &name)?.is_some()
    {
        session.notice(
            "42P07",
            format!("relation \"{name}\" already exists, skipping"),
        );
        return Ok(Outcome::Command("CREATE MATERIALIZED VIEW".into()));
    }
    let query = Statement::Query(cv.query.clone());
    let planned = crate::tcop::plan_query(session, &query, sql, None)?;
    if !planned.modifying_ctes.is_empty() {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "materialized views must not use data-modifying statements in WITH",
        ));
    }
    let reads = super::view::direct_relations(session, &cv.query)?;
    for &r in &reads {
        if let Some(rel) = relcache::relation_by_oid(session, r)?
            && rel.persistence == 't'
        {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "materialized views must not use temporary tables or views",
            ));
        }
    }
    let names: Vec<String> = cv.columns.iter().map(|c| ident(&c.name)).collect();
    let columns = super::tablecmds::columns_of_query(
        &planned.columns,
        &names,
        "too many column names were specified",
    )?;
    for c in &columns {
        super::tablecmds::check_system_column_name(&c.name)?;
    }
    if let Some(c) = columns.iter().find(|c| type_storage(c.type_oid).is_none()) {
        return Err(PgError::feature_not_supported(format!(
            "columns of type {}",
            types::oid::type_name(c.type_oid)
        )));
    }
    let text = super::view::stored_text(session, &cv.query, sql, &columns, &planned.columns)?;

    let Some(oid) = create_relation(session, namespace, &name, &columns, &text, &reads, cv)? else {
        return Ok(Outcome::Command("CREATE MATERIALIZED VIEW".into()));
    };
    if !options.reloptions.is_empty() || options.no_data {
        super::update_class(session, oid, |class| {
            class.options = options.reloptions.clone();
            class.populated = !options.no_data;
        })?;
    }
    if options.no_data {
        return Ok(Outcome::Command("CREATE MATERIALIZED VIEW".into()));
    }
    crate::xact::command_counter_increment(session)?;
    let rows = query_rows(session, &text)?;
    let n = fill(session, oid, rows)?;
    Ok(Outcome::Command(format!("SELECT {n}")))
}

/// Makes the materialized view's catalog rows (relation, columns, row
/// type, `_RETURN` rule, dependencies) and its file. None (with
/// PostgreSQL's NOTICE) when IF NOT EXISTS finds the name taken meanwhile.
fn create_relation(
    session: &mut Session,
    namespace: u32,
    name: &str,
    columns: &[NewColumn],
    text: &str,
    reads: &[u32],
    cv: &CreateView,
) -> PgResult<Option<u32>> {
    let Some(oid) =
        super::tablecmds::claim_relation_name(session, namespace, name, cv.if_not_exists)?
    else {
        return Ok(None);
    };
    let owner = session.user_oid;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        let mut next_oid = || env.tx.new_oid();
        writer.create_relation_with_persistence(
            w,
            oid,
            oid,
            namespace,
            name,
            owner,
            ('m', 'p'),
            columns,
            &mut next_oid,
        )?;
        writer.add_view_rule(w, env.tx.new_oid()?, oid, text)?;
        super::view::add_dependencies(&writer, w, oid, reads)
    })?;
    catalog_changed(session);
    crate::acl::default_privileges::apply_to_relation(session, oid)?;
    Ok(Some(oid))
}

/// The rows of the view's query, run now.
fn query_rows(session: &mut Session, text: &str) -> PgResult<Vec<Vec<Datum>>> {
    let stmts = crate::syntax::parse(text)?;
    let [stmt @ Statement::Query(_)] = stmts.as_slice() else {
        return Err(PgError::internal(
            "a materialized view's query did not parse as one query",
        ));
    };
    match crate::tcop::run_statement(session, stmt, text, None, &[])? {
        Outcome::Rows { rows, .. } => Ok(rows),
        _ => Ok(Vec::new()),
    }
}

/// Puts `rows` into the heap of materialized view `oid`, then builds its
/// indexes from them (as PostgreSQL's refresh does: a duplicate is then
/// "could not create unique index"); how many rows.
fn fill(session: &mut Session, oid: u32, rows: Vec<Vec<Datum>>) -> PgResult<u64> {
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    let Some(info) = relcache::relation_by_oid(session, oid)? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    let desc = crate::table_access::heap_tuple_desc(&info)?;
    let loc = info.locator(session.database_oid);
    let save_free = info.heap_save_free_space();
    let mut n = 0u64;
    for row in rows {
        let tuple = form_tuple(&desc, &row)?;
        crate::xact::with_write(session, |env, w| {
            heapam::insert(env, loc, tuple, save_free, w)
        })?;
        n += 1;
    }
    if !info.indexes.is_empty() {
        crate::xact::command_counter_increment(session)?;
        super::indexcmds::rebuild_indexes(session, &info, false)?;
    }
    Ok(n)
}

/// REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA].
pub(crate) fn refresh_matview(
    session: &mut Session,
    rm: &RefreshMaterializedView,
) -> PgResult<Outcome> {
    const TAG: &str = "REFRESH MATERIALIZED VIEW";
    crate::xact::check_writable(session, TAG)?;
    let (schema, relname) = split_name(&rm.name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    let Some(rel) = relcache::relation_by_oid(session, rel.oid)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    crate::acl::require_relation_owner(session, rel.oid)?;
    if rel.kind != 'm' {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!("\"{relname}\" is not a materialized view"),
        ));
    }
    let no_data = rm.with_data == Some(false);
    if rm.concurrently && !rel.populated {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "CONCURRENTLY cannot be used when the materialized view is not populated",
        ));
    }
    if rm.concurrently && no_data {
        return Err(PgError::new(
            SqlState::SyntaxError,
            "CONCURRENTLY and WITH NO DATA options cannot be used together",
        ));
    }
    if rm.concurrently && !rel.indexes.iter().any(usable_unique_index) {
        let q = types::guc::quote_identifier;
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!(
                "cannot refresh materialized view \"{}.{}\" concurrently",
                q(&rel.namespace),
                q(&rel.name)
            ),
        )
        .with_hint(
            "Create a unique index with no WHERE clause on one or more columns of the materialized view.",
        ));
    }
    let Some((_, text)) = with_reader(session, |r| r.view_rule(rel.oid))? else {
        return Err(PgError::internal(format!(
            "materialized view \"{relname}\" has no query"
        )));
    };
    // The new rows are computed before the old ones go: the query may read
    // other materialized views, never this one.
    let rows = if no_data {
        Vec::new()
    } else {
        query_rows(session, &text)?
    };
    if rm.concurrently {
        check_duplicates(session, &rel.name, &rows)?;
    }
    // A new, empty file (the old one is dropped at commit), as TRUNCATE.
    let db = session.database_oid;
    crate::xact::ensure_xid(session)?;
    let new_node = session.storage.transam.new_oid()?;
    crate::xact::create_relation_file(session, RelFileLocator::new(db, new_node))?;
    super::update_class(session, rel.oid, |class| {
        class.relfilenode = new_node;
        class.populated = !no_data;
    })?;
    session.tx.drop_at_commit.push(rel.locator(db));
    if no_data {
        super::indexcmds::rebuild_indexes(session, &rel, true)?;
    } else {
        fill(session, rel.oid, rows)?;
    }
    catalog_changed(session);
    Ok(Outcome::Command(TAG.into()))
}

/// PostgreSQL's `is_usable_unique_index`: unique, valid, without a
/// predicate, on plain columns only.
fn usable_unique_index(ix: &catalog::heap_catalog::IndexInfo) -> bool {
    ix.row.unique
        && ix.row.valid
        && ix.row.pred.is_none()
        && ix.row.exprs.is_none()
        && !ix.row.keys.is_empty()
        && ix.row.keys.iter().all(|&k| k > 0)
}

/// CONCURRENTLY refuses new data with two equal rows that have no NULL
/// (21000), showing the row.
fn check_duplicates(session: &mut Session, name: &str, rows: &[Vec<Datum>]) -> PgResult<()> {
    let opts = crate::tcop::output_options(session);
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        if row.iter().any(|d| matches!(d, Datum::Null)) {
            continue;
        }
        let text: Vec<String> = row.iter().map(|d| d.to_text(&opts)).collect();
        if !seen.insert(text.clone()) {
            let fields: Vec<String> = text.iter().map(|t| record_field(t)).collect();
            return Err(PgError::new(
                SqlState::CardinalityViolation,
                format!(
                    "new data for materialized view \"{name}\" contains duplicate rows without any null columns"
                ),
            )
            .with_detail(format!("Row: ({})", fields.join(","))));
        }
    }
    Ok(())
}

/// One field as `record_out` prints it: quoted when empty or holding a
/// character that would make it ambiguous.
fn record_field(t: &str) -> String {
    let quote = t.is_empty()
        || t.chars()
            .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_ascii_whitespace());
    if !quote {
        return t.to_owned();
    }
    let mut out = String::from("\"");
    for c in t.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// ALTER MATERIALIZED VIEW [IF EXISTS] name RENAME TO | RENAME [COLUMN] |
/// OWNER TO | SET SCHEMA.
pub(crate) fn alter_matview(session: &mut Session, av: &AlterView) -> PgResult<Outcome> {
    const TAG: &str = "ALTER MATERIALIZED VIEW";
    crate::xact::check_writable(session, TAG)?;
    let (schema, relname) = split_name(&av.name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        super::missing_relation(session, "relation", &relname, av.if_exists)?;
        return Ok(Outcome::Command(TAG.into()));
    };
    if rel.kind != 'm' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a materialized view"),
        ));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    crate::acl::require_relation_owner(session, rel.oid)?;
    match &av.operation {
        AlterViewOperation::RenameTo { new_name } => {
            super::alter_table::rename_relation(session, &rel, new_name)?;
        }
        AlterViewOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => super::alter_table::rename_column(
            session,
            &rel,
            &ident(old_column_name),
            &ident(new_column_name),
        )?,
        AlterViewOperation::OwnerTo(owner) => {
            crate::acl::alter_relation_owner(session, rel.oid, owner)?;
        }
        AlterViewOperation::SetSchema { schema_name } => {
            let q = types::guc::quote_identifier;
            let (_, target) = split_name(schema_name)?;
            let text = format!(
                "ALTER TABLE {}.{} SET SCHEMA {}",
                q(&rel.namespace),
                q(&rel.name),
                q(&target)
            );
            super::alter_table::set_schema(session, &text)?;
        }
        AlterViewOperation::SetOptions { options } => {
            let items = super::reloptions::items(options)?;
            super::reloptions::alter_options(session, rel.oid, &items, false)?;
        }
        AlterViewOperation::ResetOptions { options } => {
            let names: Vec<ObjectName> = options
                .iter()
                .map(|i| ObjectName::from(vec![i.clone()]))
                .collect();
            let items = super::reloptions::reset_items(&names)?;
            super::reloptions::alter_options(session, rel.oid, &items, true)?;
        }
        other => {
            return Err(PgError::feature_not_supported(format!(
                "ALTER MATERIALIZED VIEW {other}"
            )));
        }
    }
    Ok(Outcome::Command(TAG.into()))
}
