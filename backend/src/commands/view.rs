//! Views (PostgreSQL's `view.c`): CREATE [OR REPLACE] VIEW and DROP VIEW.
//!
//! A view is a relation of kind `'v'` without a file: its `pg_attribute`
//! rows are its columns, its query is kept as SQL text in its `_RETURN` rule
//! (`pg_rewrite.ev_action`; PostgreSQL keeps a node tree), and `pg_depend`
//! records the relations it reads (`'n'`), so that DROP TABLE and DROP VIEW
//! of one of them is refused without CASCADE and takes the view with
//! CASCADE. A query that names the view analyzes its text as a subquery in
//! its place (`planner::analyze::from`). Being text, the query's names are
//! resolved when it is used, with the search_path of that moment.
//!
//! `WITH [LOCAL | CASCADED] CHECK OPTION` (which the pre-parser turns into
//! the option list `WITH (check_option = ...)`) is kept in
//! `pg_class.reloptions` as PostgreSQL keeps it, and allowed only on an
//! automatically updatable view; ALTER VIEW ... SET / RESET
//! (check_option) changes it. INSERT and UPDATE through the view enforce
//! it (`planner::analyze::view_dml`). `security_barrier` and
//! `security_invoker` are kept there too (see `view_options`).
//!
//! `pg_get_viewdef` prints the query back in PostgreSQL's layout
//! (`planner::view_definition`, from `describe`).

use sqlparser::ast::{CreateView, ObjectName, Statement};

use catalog::heap_catalog::{CatalogWriter, NewColumn, RelationInfo};
use catalog::system::{DependRow, PG_CATALOG_NAMESPACE, PG_CLASS};
use storage::lmgr::{LockMode, LockTag};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// The `pg_depend` type of a view's reading of a relation.
const DEPENDENCY_NORMAL: char = 'n';

/// CREATE [OR REPLACE] VIEW name [(columns)] AS query.
pub(crate) fn create_view(session: &mut Session, cv: &CreateView, sql: &str) -> PgResult<Outcome> {
    // Row-level security applies where the view is read, not to its
    // definition (PostgreSQL applies policies when a query is rewritten).
    let saved = std::mem::replace(&mut session.no_row_security, true);
    let r = create_view_checked(session, cv, sql);
    session.no_row_security = saved;
    r
}

fn create_view_checked(session: &mut Session, cv: &CreateView, sql: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE VIEW")?;
    if cv.materialized {
        return Err(PgError::feature_not_supported("materialized views"));
    }
    let options = view_options(&cv.options)?;
    let (schema, name) = split_name(&cv.name)?;
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported(
            "identifiers longer than 63 bytes",
        ));
    }
    let namespace = super::temp::creation_namespace(session, schema.as_deref(), cv.temporary)?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    let query = Statement::Query(cv.query.clone());
    let planned = crate::tcop::plan_query(session, &query, sql, None)?;
    if !planned.modifying_ctes.is_empty() {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "views must not contain data-modifying statements in WITH",
        ));
    }
    let names: Vec<String> = cv.columns.iter().map(|c| ident(&c.name)).collect();
    let columns = super::tablecmds::columns_of_query(
        &planned.columns,
        &names,
        "CREATE VIEW specifies more column names than columns",
    )?;
    let text = stored_text(session, &cv.query, sql, &columns, &planned.columns)?;
    let reads = direct_relations(session, &cv.query)?;

    let name_tag = LockTag::Object {
        db: session.database_oid,
        class_oid: PG_CLASS,
        obj_oid: name_hash(namespace, &name),
        sub_id: 0,
    };
    crate::xact::lock(session, name_tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    let namespace_text = namespace_name(session, namespace)?;
    if let Some(existing) = relcache::lookup_relation(session, Some(&namespace_text), &name)? {
        if !cv.or_replace {
            return Err(PgError::new(
                SqlState::DuplicateTable,
                format!("relation \"{name}\" already exists"),
            ));
        }
        if existing.kind != 'v' || existing.view_query.is_none() {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("\"{name}\" is not a view"),
            ));
        }
        replace_view(session, &existing, &columns, &text, &reads)?;
        set_view_options(session, existing.oid, &options, &cv.name)?;
        return Ok(Outcome::Command("CREATE VIEW".into()));
    }

    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let owner = session.user_oid;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.create_relation(
            w,
            oid,
            0,
            namespace,
            &name,
            owner,
            'v',
            &columns,
            &mut || env.tx.new_oid(),
        )?;
        writer.add_view_rule(w, env.tx.new_oid()?, oid, &text)?;
        add_dependencies(&writer, w, oid, &reads)
    })?;
    catalog_changed(session);
    crate::acl::default_privileges::apply_to_relation(session, oid)?;
    set_view_options(session, oid, &options, &cv.name)?;
    Ok(Outcome::Command("CREATE VIEW".into()))
}

/// The query text a view keeps: as `planner::stored_view_query` prints it
/// (`*` expanded, relations qualified), when that text analyzes to the
/// same columns; else as written.
pub(crate) fn stored_text(
    session: &mut Session,
    query: &sqlparser::ast::Query,
    sql: &str,
    columns: &[NewColumn],
    planned: &[planner::Column],
) -> PgResult<String> {
    let written = query.to_string();
    // The written form would lose a SEARCH / CYCLE clause (sqlparser does
    // not keep it): only the printed form, which has it rewritten, will do.
    let lossy = crate::syntax::has_search_cycle(sql);
    let written_or_refuse = |written: String| -> PgResult<String> {
        if lossy {
            return Err(PgError::feature_not_supported(
                "this view's SEARCH or CYCLE clause",
            ));
        }
        Ok(written)
    };
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let printed = {
        let catalog = crate::table_access::SessionCatalog::new(session);
        planner::stored_view_query(query, sql, &catalog, &names)
    };
    let Ok(printed) = printed else {
        return written_or_refuse(written);
    };
    let Ok(stmts) = crate::syntax::parse(&printed) else {
        return written_or_refuse(written);
    };
    let [stmt @ Statement::Query(_)] = stmts.as_slice() else {
        return written_or_refuse(written);
    };
    let Ok(again) = crate::tcop::plan_query(session, stmt, &printed, None) else {
        return written_or_refuse(written);
    };
    let same = again.columns.len() == planned.len()
        && again
            .columns
            .iter()
            .zip(planned)
            .zip(&names)
            .all(|((a, p), n)| a.type_oid == p.type_oid && a.typmod == p.typmod && &a.name == n);
    Ok(if same {
        printed.trim_start().to_owned()
    } else {
        written_or_refuse(written)?
    })
}

/// The `reloptions` of CREATE VIEW, as PostgreSQL keeps them (the value as
/// written, in the order given): `check_option` (from `WITH (...)` or
/// `WITH [CASCADED | LOCAL] CHECK OPTION`, see `syntax`),
/// `security_barrier` and `security_invoker` (booleans; a bare name is
/// `true`). They are kept, not acted on: a view's query is always planned
/// as a subquery and its tables' privileges are checked for the user
/// running the query.
fn view_options(options: &sqlparser::ast::CreateTableOptions) -> PgResult<Vec<String>> {
    use sqlparser::ast::CreateTableOptions;
    let list = match options {
        CreateTableOptions::None => return Ok(Vec::new()),
        CreateTableOptions::With(list) => list,
        _ => return Err(PgError::feature_not_supported("these view options")),
    };
    let items = super::reloptions::items(list)?;
    let out = catalog::reloptions::transform(&[], &items, None, &[], false)?;
    catalog::reloptions::validate(&out, catalog::reloptions::OptionKind::View)?;
    Ok(out)
}

/// Whether `ALTER VIEW` is one this module does: SET or RESET of options.
pub(crate) fn is_option_change(av: &sqlparser::ast::AlterView) -> bool {
    matches!(
        av.operation,
        sqlparser::ast::AlterViewOperation::SetOptions { .. }
            | sqlparser::ast::AlterViewOperation::ResetOptions { .. }
    ) && !av.materialized
}

/// ALTER VIEW [IF EXISTS] name SET (check_option = ...) | RESET (check_option).
pub(crate) fn alter_view_options(
    session: &mut Session,
    av: &sqlparser::ast::AlterView,
) -> PgResult<Outcome> {
    use sqlparser::ast::AlterViewOperation;
    crate::xact::check_writable(session, "ALTER VIEW")?;
    let (schema, name) = split_name(&av.name)?;
    relcache::accept_invalidations(session);
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &name)? else {
        if av.if_exists {
            session.notice(
                "00000",
                format!("relation \"{name}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("ALTER VIEW".into()));
        }
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    if rel.kind != 'v' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{name}\" is not a view"),
        ));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    let Some((_, class)) = with_reader(session, |r| r.class_by_oid(rel.oid))? else {
        return Ok(Outcome::Command("ALTER VIEW".into()));
    };
    let (items, reset) = match &av.operation {
        AlterViewOperation::SetOptions { options: set } => (super::reloptions::items(set)?, false),
        AlterViewOperation::ResetOptions { options: reset } => {
            let names: Vec<ObjectName> = reset
                .iter()
                .map(|i| ObjectName::from(vec![i.clone()]))
                .collect();
            (super::reloptions::reset_items(&names)?, true)
        }
        _ => return Err(PgError::internal("ALTER VIEW form not handled here")),
    };
    let options = catalog::reloptions::transform(&class.options, &items, None, &[], reset)?;
    catalog::reloptions::validate(&options, catalog::reloptions::OptionKind::View)?;
    set_view_options(session, rel.oid, &options, &av.name)?;
    Ok(Outcome::Command("ALTER VIEW".into()))
}

/// Stores view `oid`'s options; a check option needs an automatically
/// updatable view (0A000 with the reason as HINT).
fn set_view_options(
    session: &mut Session,
    oid: u32,
    options: &[String],
    name: &ObjectName,
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    if options.iter().any(|o| o.starts_with("check_option=")) {
        let sql = format!("DELETE FROM {name} WHERE false");
        let stmts = crate::syntax::parse(&sql)?;
        if let Some(stmt) = stmts.first()
            && let Err(e) = crate::tcop::plan_query(session, stmt, &sql, None)
        {
            if e.code == SqlState::ObjectNotInPrerequisiteState {
                let mut err = PgError::new(
                    SqlState::FeatureNotSupported,
                    "WITH CHECK OPTION is supported only on automatically updatable views",
                );
                if let Some(d) = e.detail {
                    err = err.with_hint(d);
                }
                return Err(err);
            }
            return Err(e);
        }
    }
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Ok(());
    };
    if class.options == options {
        return Ok(());
    }
    class.options = options.to_vec();
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

pub(crate) fn add_dependencies(
    writer: &CatalogWriter<'_, '_, '_>,
    w: &mut storage::heap::heapam::WriteXact<'_>,
    view: u32,
    reads: &[u32],
) -> PgResult<()> {
    let mut seen = Vec::new();
    for &r in reads {
        if r == view || seen.contains(&r) || crate::sysviews::is_view(r) {
            continue;
        }
        seen.push(r);
        writer.add_dependency(
            w,
            &DependRow {
                classid: PG_CLASS,
                objid: view,
                objsubid: 0,
                refclassid: PG_CLASS,
                refobjid: r,
                refobjsubid: 0,
                deptype: DEPENDENCY_NORMAL,
            },
        )?;
    }
    Ok(())
}

/// The relations the query names itself (not those of the views it
/// reads): what PostgreSQL records the view as depending on.
pub(crate) fn direct_relations(
    session: &mut Session,
    query: &sqlparser::ast::Query,
) -> PgResult<Vec<u32>> {
    let mut names = Vec::new();
    let _ = sqlparser::ast::visit_relations(query, |name| {
        names.push(name.clone());
        std::ops::ControlFlow::<()>::Continue(())
    });
    let mut out = Vec::new();
    for n in names {
        let Ok((schema, relname)) = split_name(&n) else {
            continue;
        };
        // A WITH query's name resolves to no relation, or shadows one.
        if schema.is_none() && with_names(query).contains(&relname) {
            continue;
        }
        if let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)?
            && !out.contains(&rel.oid)
        {
            out.push(rel.oid);
        }
    }
    Ok(out)
}

/// The names of the WITH queries of `query` (its top level).
fn with_names(query: &sqlparser::ast::Query) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            out.push(ident(&cte.alias.name));
        }
    }
    out
}

/// CREATE OR REPLACE VIEW of an existing view: its columns may only be
/// added to (same names and types for the ones it had, as PostgreSQL
/// requires); the query and what it reads are replaced.
fn replace_view(
    session: &mut Session,
    old: &RelationInfo,
    columns: &[NewColumn],
    text: &str,
    reads: &[u32],
) -> PgResult<()> {
    crate::xact::lock_relation(session, old.oid, LockMode::AccessExclusive)?;
    let old_cols: Vec<_> = old.columns.iter().filter(|c| !c.dropped).collect();
    if columns.len() < old_cols.len() {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            "cannot drop columns from view",
        ));
    }
    for (o, n) in old_cols.iter().zip(columns) {
        if o.name != n.name {
            return Err(PgError::new(
                SqlState::InvalidTableDefinition,
                format!(
                    "cannot change name of view column \"{}\" to \"{}\"",
                    o.name, n.name
                ),
            )
            .with_hint(
                "Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.",
            ));
        }
        if o.type_oid != n.type_oid || o.typmod != n.typmod {
            return Err(PgError::new(
                SqlState::InvalidTableDefinition,
                format!(
                    "cannot change data type of view column \"{}\" from {} to {}",
                    o.name,
                    types::oid::format_type(o.type_oid, o.typmod),
                    types::oid::format_type(n.type_oid, n.typmod)
                ),
            ));
        }
    }
    let db = session.database_oid;
    let rule = with_reader(session, |r| r.view_rule(old.oid))?;
    let deps = with_reader(session, |r| r.dependencies(PG_CLASS, old.oid))?;
    let Some((class_tid, mut class)) = with_reader(session, |r| r.class_by_oid(old.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {}",
            old.oid
        )));
    };
    let first_new = old.columns.iter().map(|c| c.attnum).max().unwrap_or(0) + 1;
    class.natts = first_new - 1 + (columns.len() - old_cols.len()) as i16;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        let mut old_rows: Vec<(u32, storage::page::ItemPointer)> = deps
            .iter()
            .map(|(t, _)| (catalog::system::PG_DEPEND, *t))
            .collect();
        if let Some((t, _)) = rule {
            old_rows.push((catalog::system::PG_REWRITE, t));
        }
        writer.delete_rows(&old_rows, w)?;
        for (i, col) in columns.iter().enumerate().skip(old_cols.len()) {
            let attnum = first_new + (i - old_cols.len()) as i16;
            writer.add_column(w, old.oid, attnum, col, 0)?;
        }
        writer.update_class(class_tid, &class, w)?;
        writer.add_view_rule(w, env.tx.new_oid()?, old.oid, text)?;
        add_dependencies(&writer, w, old.oid, reads)
    })?;
    catalog_changed(session);
    Ok(())
}

/// The views that read relation `oid` (directly), oldest first.
fn dependent_views(session: &mut Session, oid: u32) -> PgResult<Vec<u32>> {
    let mut views: Vec<u32> = with_reader(session, |r| r.dependents(PG_CLASS, oid))?
        .into_iter()
        .filter(|(_, d)| d.deptype == DEPENDENCY_NORMAL && d.classid == PG_CLASS)
        .map(|(_, d)| d.objid)
        .collect();
    views.sort_unstable();
    views.dedup();
    Ok(views)
}

/// Everything that depends on relation `rel` through views, as PostgreSQL
/// lists it ("view v depends on table t"), depth first; views only.
fn view_closure(
    session: &mut Session,
    rel: &RelationInfo,
    out: &mut Vec<(std::sync::Arc<RelationInfo>, String)>,
) -> PgResult<()> {
    for v in dependent_views(session, rel.oid)? {
        if out.iter().any(|(x, _)| x.oid == v) {
            continue;
        }
        let Some(view) = relcache::relation_by_oid(session, v)? else {
            continue;
        };
        out.push((
            view.clone(),
            format!(
                "{} {} depends on {} {}",
                kind_word(view.kind),
                view.name,
                kind_word(rel.kind),
                rel.name
            ),
        ));
        view_closure(session, &view, out)?;
    }
    Ok(())
}

/// Before DROP of relation `rel`: the views reading it (and views of
/// those) are an error without CASCADE, dropped with it.
pub(crate) fn drop_dependent_views(
    session: &mut Session,
    rel: &RelationInfo,
    dropping: &[u32],
    cascade: bool,
) -> PgResult<()> {
    let mut views = Vec::new();
    view_closure(session, rel, &mut views)?;
    views.retain(|(v, _)| !dropping.contains(&v.oid));
    if views.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = views.iter().map(|(_, l)| l.clone()).collect();
    if !cascade {
        let what = kind_word(rel.kind);
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!(
                "cannot drop {what} {} because other objects depend on it",
                rel.name
            ),
        )
        .with_detail(lines.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    if views.len() == 1 {
        session.notice(
            "00000",
            format!(
                "drop cascades to {} {}",
                kind_word(views[0].0.kind),
                views[0].0.name
            ),
        );
    } else {
        let detail: Vec<String> = views
            .iter()
            .map(|(v, _)| format!("drop cascades to {} {}", kind_word(v.kind), v.name))
            .collect();
        session.notices.push((
            "NOTICE",
            "00000",
            format!("drop cascades to {} other objects", views.len()),
            Some(detail.join("\n")),
        ));
    }
    for (v, _) in views {
        drop_view_rows(session, &v)?;
    }
    Ok(())
}

/// How PostgreSQL's dependency messages name a relation of kind `kind`.
fn kind_word(kind: char) -> &'static str {
    match kind {
        'v' => "view",
        'm' => "materialized view",
        _ => "table",
    }
}

/// Removes a view's catalog rows; a materialized view's file and indexes
/// go too (at commit).
fn drop_view_rows(session: &mut Session, view: &RelationInfo) -> PgResult<()> {
    let db = session.database_oid;
    let rows = with_reader(session, |r| r.relation_rows(view.oid))?;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    if view.kind == 'm' {
        session.tx.drop_at_commit.push(view.locator(db));
        for ix in &view.indexes {
            super::indexcmds::drop_index_rows(session, ix.oid, ix.locator(db))?;
        }
    }
    catalog_changed(session);
    Ok(())
}

/// DROP VIEW [IF EXISTS] name [, ...] [CASCADE].
pub(crate) fn drop_views(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    drop_views_of_kind(session, names, if_exists, cascade, 'v')
}

/// DROP VIEW (`kind` `'v'`) or DROP MATERIALIZED VIEW (`'m'`); `'*'`
/// takes a relation of either kind.
pub(crate) fn drop_views_of_kind(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
    kind: char,
) -> PgResult<Outcome> {
    let (what, tag) = if kind == 'm' {
        ("materialized view", "DROP MATERIALIZED VIEW")
    } else {
        ("view", "DROP VIEW")
    };
    crate::xact::check_writable(session, tag)?;
    let mut targets = Vec::new();
    for n in names {
        let (schema, relname) = split_name(n)?;
        let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
            missing_relation(session, what, &relname, if_exists)?;
            continue;
        };
        let right_kind = match kind {
            'm' => rel.kind == 'm',
            // Either (DROP OWNED and DROP SCHEMA ... CASCADE drop both).
            '*' => rel.kind == 'm' || (rel.kind == 'v' && rel.view_query.is_some()),
            _ => rel.kind == 'v' && rel.view_query.is_some(),
        };
        if !right_kind {
            let mut e = PgError::new(
                SqlState::WrongObjectType,
                format!("\"{relname}\" is not a {what}"),
            );
            e = match rel.kind {
                'r' | 'p' => e.with_hint("Use DROP TABLE to remove a table."),
                'v' => e.with_hint("Use DROP VIEW to remove a view."),
                'm' => e.with_hint("Use DROP MATERIALIZED VIEW to remove a materialized view."),
                'i' => e.with_hint("Use DROP INDEX to remove an index."),
                'S' => e.with_hint("Use DROP SEQUENCE to remove a sequence."),
                _ => e,
            };
            return Err(e);
        }
        crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
        crate::acl::require_relation_owner(session, rel.oid)?;
        targets.push(rel);
    }
    let dropping: Vec<u32> = targets.iter().map(|t| t.oid).collect();
    for view in &targets {
        drop_dependent_views(session, view, &dropping, cascade)?;
    }
    for view in &targets {
        drop_view_rows(session, view)?;
    }
    Ok(Outcome::Command(tag.into()))
}
