//! CREATE TABLE, DROP TABLE and TRUNCATE (PostgreSQL's `tablecmds.c` and
//! `heap.c`, for plain heap tables).
//!
//! Every change is catalog rows written in the session's transaction plus a
//! relation file: a new file is unlinked if the transaction aborts, a file a
//! committed DROP or TRUNCATE left behind is unlinked after the commit. So a
//! rolled-back CREATE TABLE leaves no trace, files included.

use sqlparser::ast::{ColumnOption, CreateTable, ObjectName, ObjectNamePart, ObjectType, Statement};

use catalog::heap_catalog::{CatalogWriter, NewColumn, RelationInfo};
use catalog::system::PG_CATALOG_NAMESPACE;
use storage::heap::tuple::{MAX_HEAP_ATTRIBUTE_NUMBER, type_storage};
use storage::lmgr::{LockMode, LockTag};
use storage::smgr::{ForkNumber, RelFileLocator};
use types::{PgError, PgResult, SqlState};

use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// Handles the DDL statements of this module; None for any other statement.
pub fn ddl_statement(session: &mut Session, stmt: &Statement) -> Option<PgResult<Outcome>> {
    Some(match stmt {
        Statement::CreateTable(ct) => create_table(session, ct),
        Statement::Drop { object_type: ObjectType::Table, if_exists, names, cascade, .. } => {
            drop_tables(session, names, *if_exists, *cascade)
        }
        Statement::Truncate(t) => {
            let names: Vec<ObjectName> = t.table_names.iter().map(|t| t.name.clone()).collect();
            truncate(session, &names)
        }
        Statement::Vacuum(v) => vacuum(session, v),
        Statement::Lock(l) => lock_table(session, l),
        Statement::CreateRole(cr) => create_role(session, cr),
        // sqlparser reads CREATE USER in Snowflake's form, not PostgreSQL's.
        Statement::CreateUser(_) => Err(PgError::feature_not_supported("CREATE USER (use CREATE ROLE ... LOGIN)")),
        Statement::AlterRole { name, operation } => alter_role(session, name, operation),
        Statement::Drop { object_type: ObjectType::Role | ObjectType::User, if_exists, names, .. } => drop_roles(session, names, *if_exists),
        Statement::CreateSchema { schema_name, if_not_exists, with, options, .. } => {
            if with.is_some() || options.is_some() {
                return Some(Err(PgError::feature_not_supported("CREATE SCHEMA with options")));
            }
            create_schema(session, schema_name, *if_not_exists)
        }
        Statement::Drop { object_type: ObjectType::Schema, if_exists, names, cascade, .. } => {
            drop_schemas(session, names, *if_exists, *cascade)
        }
        Statement::CreateDatabase { db_name, if_not_exists, location, managed_location, clone, .. } => {
            if location.is_some() || managed_location.is_some() || clone.is_some() {
                return Some(Err(PgError::feature_not_supported("CREATE DATABASE with LOCATION or CLONE")));
            }
            if *if_not_exists {
                return Some(Err(PgError::syntax("syntax error at or near \"NOT\"", None)));
            }
            create_database(session, db_name)
        }
        Statement::Drop { object_type: ObjectType::Database, if_exists, names, .. } => drop_database(session, names, *if_exists),
        _ => return None,
    })
}

/// The name parts of an object name, case-folded as PostgreSQL folds
/// unquoted identifiers: (schema, name).
pub fn split_name(name: &ObjectName) -> PgResult<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Ok(if id.quote_style.is_some() { id.value.clone() } else { id.value.to_lowercase() }),
            other => Err(PgError::feature_not_supported(format!("object name part {other}"))),
        })
        .collect::<PgResult<_>>()?;
    match parts.as_slice() {
        [n] => Ok((None, n.clone())),
        [s, n] => Ok((Some(s.clone()), n.clone())),
        // PostgreSQL accepts `db.schema.name` when db is the current
        // database; we do not know it here and refuse every three-part name.
        [_, _, _] => Err(PgError::new(SqlState::FeatureNotSupported, format!("cross-database references are not implemented: \"{name}\""))),
        _ => Err(PgError::new(SqlState::SyntaxError, format!("improper qualified name (too many dotted names): {name}"))),
    }
}

fn ident(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() { id.value.clone() } else { id.value.to_lowercase() }
}

fn system_catalog_denied(what: &str) -> PgError {
    PgError::new(SqlState::InsufficientPrivilege, format!("permission denied to create \"{what}\""))
        .with_detail("System catalog modifications are currently disallowed.")
}

fn create_table(session: &mut Session, ct: &CreateTable) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE TABLE")?;
    if ct.temporary {
        return Err(PgError::feature_not_supported("temporary tables"));
    }
    if ct.unlogged {
        return Err(PgError::feature_not_supported("unlogged tables"));
    }
    if ct.query.is_some() {
        return Err(PgError::feature_not_supported("CREATE TABLE AS"));
    }
    if ct.like.is_some() || ct.inherits.is_some() || ct.partition_of.is_some() || ct.partition_by.is_some() {
        return Err(PgError::feature_not_supported("CREATE TABLE with LIKE, INHERITS or partitioning"));
    }
    if let Some(c) = ct.constraints.first() {
        return Err(PgError::feature_not_supported(format!("table constraints ({c})")));
    }
    let (schema, name) = split_name(&ct.name)?;
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported("identifiers longer than 63 bytes"));
    }
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    if ct.columns.len() > MAX_HEAP_ATTRIBUTE_NUMBER {
        return Err(PgError::new(SqlState::TooManyColumns, format!("tables can have at most {MAX_HEAP_ATTRIBUTE_NUMBER} columns")));
    }
    let mut columns: Vec<NewColumn> = Vec::new();
    for col in &ct.columns {
        let col_name = ident(&col.name);
        if columns.iter().any(|c| c.name == col_name) {
            return Err(PgError::new(SqlState::DuplicateColumn, format!("column \"{col_name}\" specified more than once")));
        }
        let (type_oid, typmod) = planner::analyze::typename::resolve_type(&col.data_type)?;
        if type_storage(type_oid).is_none() {
            return Err(PgError::feature_not_supported(format!("columns of type {}", types::oid::type_name(type_oid))));
        }
        let mut not_null = false;
        let mut default = None;
        for opt in &col.options {
            match &opt.option {
                ColumnOption::Null => not_null = false,
                ColumnOption::NotNull => not_null = true,
                ColumnOption::Default(e) => {
                    if default.is_some() {
                        return Err(PgError::new(
                            SqlState::SyntaxError,
                            format!("multiple default values specified for column \"{col_name}\" of table \"{name}\""),
                        ));
                    }
                    default = Some(e.to_string());
                }
                other => return Err(PgError::feature_not_supported(format!("column constraint {other}"))),
            }
        }
        columns.push(NewColumn { name: col_name, type_oid, typmod, not_null, default });
    }

    // Two sessions creating the same name: the second waits for the first to
    // finish and then sees its row (PostgreSQL gets this from the unique
    // index on pg_class; we have no catalog indexes yet).
    let name_tag = LockTag::Object { db: session.database_oid, class_oid: catalog::system::PG_CLASS, obj_oid: name_hash(namespace, &name), sub_id: 0 };
    crate::xact::lock(session, name_tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    let namespace_text = namespace_name(session, namespace)?;
    if let Some(existing) = relcache::lookup_relation(session, Some(&namespace_text), &name)? {
        if ct.if_not_exists {
            session.notices.push(("NOTICE", "42P07", format!("relation \"{}\" already exists, skipping", existing.name), None));
            return Ok(Outcome::Command("CREATE TABLE".into()));
        }
        return Err(PgError::new(SqlState::DuplicateTable, format!("relation \"{name}\" already exists")));
    }

    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let rel = RelFileLocator::new(session.database_oid, oid);
    session.storage.store.smgr().create(rel, ForkNumber::Main, false)?;
    session.tx.created.push(rel);
    let owner = session.user_oid;
    let db = session.database_oid;
    let catalogs: Vec<RelFileLocator> = catalog::system::CATALOGS.iter().map(|c| RelFileLocator::new(db, c.oid)).collect();
    let mut rels = catalogs;
    rels.push(rel);
    crate::xact::with_write(session, &rels, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        let mut next_oid = || env.tx.new_oid();
        writer.create_relation(w, oid, oid, namespace, &name, owner, 'r', &columns, &mut next_oid)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE TABLE".into()))
}

/// A stable 32-bit hash of (schema, name), the object id of the lock that
/// serialises creators of one name.
fn name_hash(namespace: u32, name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ namespace;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

fn namespace_name(session: &mut Session, oid: u32) -> PgResult<String> {
    with_reader(session, |r| r.namespace_name(oid))?.ok_or_else(|| PgError::internal(format!("cache lookup failed for namespace {oid}")))
}

/// Records that this transaction changed the catalog: its own later
/// statements must not use what was cached before.
fn catalog_changed(session: &mut Session) {
    session.tx.catalog_changed = true;
    session.local_catalog_version += 1;
    session.relcache.invalidate();
}

/// A relation to be dropped or truncated: it must exist, be a table and not
/// be a system catalog.
fn target_table(session: &mut Session, name: &ObjectName, if_exists: bool) -> PgResult<Option<std::sync::Arc<RelationInfo>>> {
    let (schema, relname) = split_name(name)?;
    if let Some(s) = &schema
        && relcache::namespace_oid(session, s)?.is_none()
    {
        if if_exists {
            session.notices.push(("NOTICE", "00000", format!("schema \"{s}\" does not exist, skipping"), None));
            return Ok(None);
        }
        return Err(PgError::new(SqlState::InvalidSchemaName, format!("schema \"{s}\" does not exist")));
    }
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        if if_exists {
            session.notices.push(("NOTICE", "00000", format!("table \"{relname}\" does not exist, skipping"), None));
            return Ok(None);
        }
        return Err(PgError::new(SqlState::UndefinedTable, format!("table \"{relname}\" does not exist")));
    };
    if rel.kind != 'r' {
        return Err(PgError::new(SqlState::WrongObjectType, format!("\"{relname}\" is not a table")));
    }
    if rel.namespace_oid == PG_CATALOG_NAMESPACE {
        return Err(PgError::new(SqlState::InsufficientPrivilege, format!("permission denied: \"{relname}\" is a system catalog")));
    }
    // Wait for every user of the table to finish, then look again: it may
    // have been dropped or changed meanwhile.
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    match relcache::lookup_relation(session, schema.as_deref(), &relname)? {
        Some(again) if again.oid == rel.oid => Ok(Some(again)),
        _ if if_exists => Ok(None),
        _ => Err(PgError::new(SqlState::UndefinedTable, format!("table \"{relname}\" does not exist"))),
    }
}

fn drop_tables(session: &mut Session, names: &[ObjectName], if_exists: bool, _cascade: bool) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP TABLE")?;
    let mut targets = Vec::new();
    for n in names {
        if let Some(rel) = target_table(session, n, if_exists)? {
            targets.push(rel);
        }
    }
    let db = session.database_oid;
    let rels: Vec<RelFileLocator> = catalog::system::CATALOGS.iter().map(|c| RelFileLocator::new(db, c.oid)).collect();
    for rel in targets {
        let rows = with_reader(session, |r| r.relation_rows(rel.oid))?;
        if rows.is_empty() {
            return Err(PgError::new(SqlState::UndefinedTable, format!("table \"{}\" does not exist", rel.name)));
        }
        crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: db }.delete_rows(&rows, w))?;
        session.tx.drop_at_commit.push(rel.locator(db));
        catalog_changed(session);
    }
    Ok(Outcome::Command("DROP TABLE".into()))
}

fn truncate(session: &mut Session, names: &[ObjectName]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "TRUNCATE TABLE")?;
    let mut targets = Vec::new();
    for n in names {
        if let Some(rel) = target_table(session, n, false)? {
            targets.push(rel);
        }
    }
    let db = session.database_oid;
    let mut rels: Vec<RelFileLocator> = catalog::system::CATALOGS.iter().map(|c| RelFileLocator::new(db, c.oid)).collect();
    for rel in targets {
        crate::xact::ensure_xid(session)?;
        let new_node = session.storage.transam.new_oid()?;
        let new_loc = RelFileLocator::new(db, new_node);
        session.storage.store.smgr().create(new_loc, ForkNumber::Main, false)?;
        session.tx.created.push(new_loc);
        rels.push(new_loc);
        let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(rel.oid))? else {
            return Err(PgError::internal(format!("cache lookup failed for relation {}", rel.oid)));
        };
        class.relfilenode = new_node;
        crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: db }.update_class(tid, &class, w))?;
        session.tx.drop_at_commit.push(rel.locator(db));
        catalog_changed(session);
    }
    Ok(Outcome::Command("TRUNCATE TABLE".into()))
}

/// VACUUM [table]: prunes every page of the table (or of every table of the
/// database), removing tuples no snapshot can see.
fn vacuum(session: &mut Session, v: &sqlparser::ast::VacuumStatement) -> PgResult<Outcome> {
    if v.sort_only || v.delete_only || v.reindex || v.recluster || v.threshold.is_some() || v.boost {
        return Err(PgError::syntax(format!("syntax error at or near \"{v}\""), None));
    }
    // sqlparser reads PostgreSQL's option words as a table name.
    if let Some(n) = &v.table_name
        && let [ObjectNamePart::Identifier(id)] = n.0.as_slice()
        && id.quote_style.is_none()
        && ["verbose", "analyze", "analyse", "freeze"].contains(&id.value.to_lowercase().as_str())
    {
        return Err(PgError::feature_not_supported(format!("VACUUM {}", id.value.to_uppercase())));
    }
    if session.xact != crate::session::XactState::Idle || !session.implicit_xact {
        return Err(PgError::new(SqlState::ActiveSqlTransaction, "VACUUM cannot run inside a transaction block"));
    }
    let db = session.database_oid;
    let targets: Vec<(u32, RelFileLocator)> = match &v.table_name {
        Some(n) => {
            let (schema, relname) = split_name(n)?;
            let rel = relcache::lookup_relation(session, schema.as_deref(), &relname)?
                .ok_or_else(|| PgError::new(SqlState::UndefinedTable, format!("relation \"{relname}\" does not exist")))?;
            vec![(rel.oid, rel.locator(db))]
        }
        None => with_reader(session, |r| r.tables())?.into_iter().map(|(oid, _, file)| (oid, file)).collect(),
    };
    // VACUUM holds no snapshot of its own: only other sessions' matter.
    crate::xact::abort(session);
    let explicit = v.table_name.is_some();
    for (oid, rel) in targets {
        if v.full && oid >= storage::transam::FIRST_NORMAL_OBJECT_ID {
            vacuum_full(session, oid)?;
        } else if v.full && explicit {
            return Err(PgError::feature_not_supported("VACUUM FULL of a system catalog"));
        } else {
            // A database-wide VACUUM FULL rewrites user tables; system
            // catalogs (whose files cannot change yet) get a plain VACUUM.
            vacuum_table(session, oid, rel, None)?;
        }
    }
    Ok(Outcome::Command("VACUUM".into()))
}

/// Autovacuum's cost-based delay: sleep `delay` whenever the pages processed
/// cost `limit` (each page is charged `vacuum_cost_page_miss`; PostgreSQL
/// also tells hits from misses and charges dirtied pages extra).
#[derive(Debug, Clone, Copy)]
pub struct CostDelay {
    pub delay: std::time::Duration,
    pub limit: u32,
    pub page_cost: u32,
}

/// Vacuums one table (prune every page, cut an empty tail, update the
/// statistics) outside any transaction; `cost` is autovacuum's throttle
/// (None: manual VACUUM, which runs at full speed as with PostgreSQL's
/// default vacuum_cost_delay = 0).
pub fn vacuum_table(session: &mut Session, oid: u32, rel: RelFileLocator, cost: Option<CostDelay>) -> PgResult<()> {
    let db = session.database_oid;
    // Readers and writers may go on; another VACUUM or DDL may not.
    let tag = LockTag::Relation { db, rel: oid };
    crate::xact::lock(session, tag, LockMode::ShareUpdateExclusive, false)?;
    let result = (|| {
        let oldest_xmin = session.storage.transam.oldest_xmin();
        let env = session.storage.heap_env();
        let interrupts = &session.interrupts;
        let deadline = session.deadline;
        let mut balance = 0u32;
        let mut check = || {
            if let Some(c) = cost {
                balance += c.page_cost;
                if balance >= c.limit {
                    std::thread::sleep(c.delay);
                    balance = 0;
                }
            }
            interrupts.check(deadline)
        };
        let (stats, _) = storage::heap::pruneheap::vacuum_relation(&env, rel, oldest_xmin, &mut check)?;
        session.storage.bufmgr.flush_relation(rel).map_err(PgError::from)?;
        truncate_empty_tail(session, oid, rel)?;
        storage::pgstat::TableStats::new(session.shmem).vacuumed(db, oid, stats.live, stats.recently_dead, crate::session::now_pg(), cost.is_some());
        Ok(())
    })();
    session.storage.locks.borrow_mut().release(tag, LockMode::ShareUpdateExclusive);
    result
}

/// Gives the empty pages at the end of a relation back to the file system,
/// if nobody is using the table right now (PostgreSQL's `lazy_truncate_heap`
/// takes the AccessExclusiveLock only conditionally, too).
fn truncate_empty_tail(session: &mut Session, oid: u32, rel: RelFileLocator) -> PgResult<()> {
    let env = session.storage.heap_env();
    if storage::heap::pruneheap::count_empty_tail(&env, rel)? == 0 {
        return Ok(());
    }
    let tag = LockTag::Relation { db: session.database_oid, rel: oid };
    if !crate::xact::lock(session, tag, LockMode::AccessExclusive, true)? {
        return Ok(());
    }
    let result = (|| {
        let env = session.storage.heap_env();
        // Nobody can add tuples now: count again and cut.
        let empty = storage::heap::pruneheap::count_empty_tail(&env, rel)?;
        let n = storage::heap::heapam::nblocks(&env, rel)?;
        if empty > 0 {
            let keep = n - empty;
            session.storage.bufmgr.drop_relation_buffers(rel, Some(ForkNumber::Main), keep).map_err(PgError::from)?;
            session.storage.store.smgr().truncate(rel, ForkNumber::Main, keep)?;
        }
        Ok(())
    })();
    session.storage.locks.borrow_mut().release(tag, LockMode::AccessExclusive);
    result
}

fn schema_lock(session: &Session, name: &str) -> LockTag {
    LockTag::Object { db: session.database_oid, class_oid: catalog::system::PG_NAMESPACE, obj_oid: name_hash(0, name), sub_id: 0 }
}

fn create_schema(session: &mut Session, schema: &sqlparser::ast::SchemaName, if_not_exists: bool) -> PgResult<Outcome> {
    use sqlparser::ast::SchemaName;
    crate::xact::check_writable(session, "CREATE SCHEMA")?;
    let name = match schema {
        SchemaName::Simple(n) => split_name(n)?.1,
        SchemaName::UnnamedAuthorization(_) | SchemaName::NamedAuthorization(..) => {
            return Err(PgError::feature_not_supported("CREATE SCHEMA ... AUTHORIZATION"));
        }
    };
    if name.starts_with("pg_") {
        return Err(PgError::new(SqlState::ReservedName, format!("unacceptable schema name \"{name}\""))
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    let tag = schema_lock(session, &name);
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    if relcache::namespace_oid(session, &name)?.is_some() {
        if if_not_exists {
            session.notices.push(("NOTICE", "42P06", format!("schema \"{name}\" already exists, skipping"), None));
            return Ok(Outcome::Command("CREATE SCHEMA".into()));
        }
        return Err(PgError::new(SqlState::DuplicateSchema, format!("schema \"{name}\" already exists")));
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let (db, owner) = (session.database_oid, session.user_oid);
    let rels = [RelFileLocator::new(db, catalog::system::PG_NAMESPACE)];
    crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: db }.create_namespace(w, oid, &name, owner))?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE SCHEMA".into()))
}

fn drop_schemas(session: &mut Session, names: &[ObjectName], if_exists: bool, cascade: bool) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP SCHEMA")?;
    let db = session.database_oid;
    for n in names {
        let (_, name) = split_name(n)?;
        let tag = schema_lock(session, &name);
        crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
        relcache::accept_invalidations(session);
        let Some(nsp) = relcache::namespace_oid(session, &name)? else {
            if if_exists {
                session.notices.push(("NOTICE", "00000", format!("schema \"{name}\" does not exist, skipping"), None));
                continue;
            }
            return Err(PgError::new(SqlState::InvalidSchemaName, format!("schema \"{name}\" does not exist")));
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
        let describe = |rel: &str| if visible { format!("table {rel}") } else { format!("table {name}.{rel}") };
        if !members.is_empty() && !cascade {
            let detail: Vec<String> = members.iter().map(|(_, rel, _)| format!("{} depends on schema {name}", describe(rel))).collect();
            return Err(PgError::new(SqlState::DependentObjectsStillExist, format!("cannot drop schema {name} because other objects depend on it"))
                .with_detail(detail.join("\n"))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        match members.len() {
            0 => {}
            1 => session.notices.push(("NOTICE", "00000", format!("drop cascades to {}", describe(&members[0].1)), None)),
            k => {
                let list: Vec<String> = members.iter().map(|(_, rel, _)| format!("drop cascades to {}", describe(rel))).collect();
                session.notices.push(("NOTICE", "00000", format!("drop cascades to {k} other objects"), Some(list.join("\n"))));
            }
        }
        for (_, rel, _) in &members {
            let qualified = ObjectName(vec![
                ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote('"', name.clone())),
                ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote('"', rel.clone())),
            ]);
            drop_tables(session, std::slice::from_ref(&qualified), false, true)?;
        }
        let Some(tid) = with_reader(session, |r| r.namespace_row(nsp))? else {
            return Err(PgError::new(SqlState::InvalidSchemaName, format!("schema \"{name}\" does not exist")));
        };
        let rels = [RelFileLocator::new(db, catalog::system::PG_NAMESPACE)];
        crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: db }.delete_rows(&[(catalog::system::PG_NAMESPACE, tid)], w))?;
        catalog_changed(session);
    }
    Ok(Outcome::Command("DROP SCHEMA".into()))
}

/// The other sessions connected to database `db` (as PostgreSQL's
/// `CountOtherDBBackends` counts them), waiting up to 5 seconds for them to
/// go, as PostgreSQL does.
fn other_sessions_in(session: &Session, db: u32) -> PgResult<usize> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = session.shmem.proc_array().active().filter(|p| p.database_oid == db && p.pid != session.pid).count();
        if n == 0 || std::time::Instant::now() >= deadline {
            return Ok(n);
        }
        session.interrupts.check(session.deadline)?;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn in_use_error(what: &str, name: &str, n: usize) -> PgError {
    PgError::new(SqlState::ObjectInUse, format!("{what} \"{name}\" is being accessed by other users")).with_detail(if n == 1 {
        "There is 1 other session using the database.".to_owned()
    } else {
        format!("There are {n} other sessions using the database.")
    })
}

/// Copies a directory's files (one level: a database directory has no
/// subdirectories) and fsyncs them and the new directory.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let dest = to.join(entry.file_name());
            std::fs::copy(entry.path(), &dest)?;
            std::fs::File::open(&dest)?.sync_all()?;
        }
    }
    std::fs::File::open(to)?.sync_all()?;
    if let Some(parent) = to.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// CREATE DATABASE name: a copy of template1's files (PostgreSQL's
/// FILE_COPY strategy) under a new OID, and its `pg_database` row.
fn create_database(session: &mut Session, name: &ObjectName) -> PgResult<Outcome> {
    if session.xact != crate::session::XactState::Idle || !session.implicit_xact {
        return Err(PgError::new(SqlState::ActiveSqlTransaction, "CREATE DATABASE cannot run inside a transaction block"));
    }
    crate::xact::check_writable(session, "CREATE DATABASE")?;
    let (_, name) = split_name(name)?;
    let tag = LockTag::Object { db: 0, class_oid: catalog::system::PG_DATABASE, obj_oid: name_hash(0, &name), sub_id: 0 };
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    let databases = with_reader(session, |r| r.databases())?;
    if databases.iter().any(|(_, d)| d.name == name) {
        return Err(PgError::new(SqlState::DuplicateDatabase, format!("database \"{name}\" already exists")));
    }
    let template = databases
        .iter()
        .find(|(_, d)| d.name == "template1")
        .map(|(_, d)| d.clone())
        .ok_or_else(|| PgError::new(SqlState::UndefinedObject, "template database \"template1\" does not exist"))?;
    let n = other_sessions_in(session, template.oid)?;
    if n > 0 {
        return Err(in_use_error("source database", &template.name, n));
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    session.storage.bufmgr.flush_database(template.oid).map_err(PgError::from)?;
    let data_dir = session.storage.store.smgr().data_dir().to_path_buf();
    let (from, to) = (data_dir.join("base").join(template.oid.to_string()), data_dir.join("base").join(oid.to_string()));
    if let Err(e) = copy_dir(&from, &to) {
        let _ = std::fs::remove_dir_all(&to);
        return Err(PgError::new(SqlState::IoError, format!("could not copy directory \"{}\" to \"{}\": {e}", from.display(), to.display())));
    }
    session.tx.created_dirs.push(to);
    let row = catalog::system::DatabaseRow { oid, name, owner: session.user_oid, is_template: false, allow_connections: true, conn_limit: -1 };
    let rels = [RelFileLocator::shared(catalog::system::PG_DATABASE)];
    crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: 0 }.create_database(w, &row))?;
    Ok(Outcome::Command("CREATE DATABASE".into()))
}

/// DROP DATABASE [IF EXISTS] name: its row now, its files after the commit.
fn drop_database(session: &mut Session, names: &[ObjectName], if_exists: bool) -> PgResult<Outcome> {
    if session.xact != crate::session::XactState::Idle || !session.implicit_xact {
        return Err(PgError::new(SqlState::ActiveSqlTransaction, "DROP DATABASE cannot run inside a transaction block"));
    }
    crate::xact::check_writable(session, "DROP DATABASE")?;
    let [name] = names else {
        return Err(PgError::syntax("syntax error at or near \",\"", None));
    };
    let (_, name) = split_name(name)?;
    let tag = LockTag::Object { db: 0, class_oid: catalog::system::PG_DATABASE, obj_oid: name_hash(0, &name), sub_id: 0 };
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    let Some((tid, db)) = with_reader(session, |r| r.database(&name))? else {
        if if_exists {
            session.notices.push(("NOTICE", "00000", format!("database \"{name}\" does not exist, skipping"), None));
            return Ok(Outcome::Command("DROP DATABASE".into()));
        }
        return Err(PgError::new(SqlState::InvalidCatalogName, format!("database \"{name}\" does not exist")));
    };
    if db.oid == session.database_oid {
        return Err(PgError::new(SqlState::ObjectInUse, "cannot drop the currently open database"));
    }
    if db.is_template {
        return Err(PgError::new(SqlState::WrongObjectType, "cannot drop a template database"));
    }
    let n = other_sessions_in(session, db.oid)?;
    if n > 0 {
        return Err(in_use_error("database", &name, n));
    }
    let rels = [RelFileLocator::shared(catalog::system::PG_DATABASE)];
    crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: 0 }.delete_rows(&[(catalog::system::PG_DATABASE, tid)], w))?;
    session.tx.drop_db_at_commit.push(db.oid);
    Ok(Outcome::Command("DROP DATABASE".into()))
}

/// LOCK [TABLE] name [, ...] [IN mode MODE] [NOWAIT]: heavyweight locks held
/// until the transaction ends.
fn lock_table(session: &mut Session, l: &sqlparser::ast::Lock) -> PgResult<Outcome> {
    use sqlparser::ast::LockTableMode as M;
    if session.xact == crate::session::XactState::Idle && session.implicit_xact {
        return Err(PgError::new(SqlState::NoActiveSqlTransaction, "LOCK TABLE can only be used in transaction blocks"));
    }
    let mode = match l.lock_mode.as_ref().unwrap_or(&M::AccessExclusive) {
        M::AccessShare => LockMode::AccessShare,
        M::RowShare => LockMode::RowShare,
        M::RowExclusive => LockMode::RowExclusive,
        M::ShareUpdateExclusive => LockMode::ShareUpdateExclusive,
        M::Share => LockMode::Share,
        M::ShareRowExclusive => LockMode::ShareRowExclusive,
        M::Exclusive => LockMode::Exclusive,
        M::AccessExclusive => LockMode::AccessExclusive,
    };
    // PostgreSQL allows every mode in a read-only transaction (only hot
    // standby restricts them).
    for target in &l.tables {
        let (schema, relname) = split_name(&target.name)?;
        let rel = relcache::lookup_relation(session, schema.as_deref(), &relname)?
            .ok_or_else(|| PgError::new(SqlState::UndefinedTable, format!("relation \"{relname}\" does not exist")))?;
        let tag = LockTag::Relation { db: session.database_oid, rel: rel.oid };
        if !crate::xact::lock(session, tag, mode, l.nowait)? {
            return Err(PgError::new(SqlState::LockNotAvailable, format!("could not obtain lock on relation \"{relname}\"")));
        }
        relcache::accept_invalidations(session);
    }
    Ok(Outcome::Command("LOCK TABLE".into()))
}

/// The stored form of a password (PostgreSQL's `encrypt_password`): a
/// verifier given as such is kept, anything else is hashed as
/// password_encryption says.
fn password_verifier(session: &Session, role: &str, password: &str) -> String {
    if protocol::password::ScramVerifier::parse(password).is_some()
        || (password.len() == 35 && password.starts_with("md5") && password[3..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return password.to_owned();
    }
    match session.settings.show("password_encryption").unwrap_or_default().as_str() {
        "md5" => protocol::password::md5_verifier(password, role),
        _ => protocol::password::ScramVerifier::new(password).to_string(),
    }
}

fn constant_text(e: &sqlparser::ast::Expr) -> PgResult<String> {
    use sqlparser::ast::{Expr, Value};
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) | Value::DollarQuotedString(sqlparser::ast::DollarQuotedString { value: s, .. }) => Ok(s.clone()),
            Value::Number(n, _) => Ok(n.clone()),
            other => Err(PgError::syntax(format!("syntax error at or near \"{other}\""), None)),
        },
        Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Minus, expr } => Ok(format!("-{}", constant_text(expr)?)),
        other => Err(PgError::syntax(format!("syntax error at or near \"{other}\""), None)),
    }
}

/// Applies role options (CREATE ROLE's and ALTER ROLE's) to a row.
fn apply_role_options(session: &Session, row: &mut catalog::system::AuthidRow, opts: &[sqlparser::ast::RoleOption]) -> PgResult<()> {
    use sqlparser::ast::{Password, RoleOption as O};
    for o in opts {
        match o {
            O::SuperUser(b) => row.superuser = *b,
            O::Inherit(b) => row.inherit = *b,
            O::CreateRole(b) => row.create_role = *b,
            O::CreateDB(b) => row.create_db = *b,
            O::Login(b) => row.can_login = *b,
            O::Replication(b) => row.replication = *b,
            O::BypassRLS(b) => row.bypass_rls = *b,
            O::ConnectionLimit(e) => {
                row.conn_limit = constant_text(e)?
                    .parse()
                    .map_err(|_| PgError::new(SqlState::InvalidParameterValue, "invalid connection limit"))?;
            }
            O::Password(Password::NullPassword) => row.password = None,
            O::Password(Password::Password(e)) => {
                let text = constant_text(e)?;
                // An empty password clears it (the caller adds PostgreSQL's NOTICE).
                row.password = (!text.is_empty()).then(|| password_verifier(session, &row.name, &text));
            }
            O::ValidUntil(_) => return Err(PgError::feature_not_supported("VALID UNTIL")),
        }
    }
    Ok(())
}

fn require_createrole(session: &mut Session, what: &str) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let me = session.user.clone();
    let can = with_reader(session, |r| r.role(&me))?.is_some_and(|(_, r)| r.create_role);
    if can { Ok(()) } else { Err(PgError::new(SqlState::InsufficientPrivilege, format!("permission denied to {what} role"))) }
}

fn role_lock(name: &str) -> LockTag {
    LockTag::Object { db: 0, class_oid: catalog::system::PG_AUTHID, obj_oid: name_hash(0, name), sub_id: 0 }
}

fn authid_rels() -> [RelFileLocator; 1] {
    [RelFileLocator::shared(catalog::system::PG_AUTHID)]
}

/// CREATE ROLE / CREATE USER / CREATE GROUP.
fn create_role(session: &mut Session, cr: &sqlparser::ast::CreateRole) -> PgResult<Outcome> {
    use sqlparser::ast::{Password, RoleOption as O};
    crate::xact::check_writable(session, "CREATE ROLE")?;
    require_createrole(session, "create")?;
    if !cr.in_role.is_empty() || !cr.in_group.is_empty() || !cr.role.is_empty() || !cr.user.is_empty() || !cr.admin.is_empty() {
        return Err(PgError::feature_not_supported("role membership (IN ROLE, ROLE, ADMIN)"));
    }
    let mut opts = Vec::new();
    let flags = [
        (cr.superuser, O::SuperUser as fn(bool) -> O),
        (cr.inherit, O::Inherit),
        (cr.create_role, O::CreateRole),
        (cr.create_db, O::CreateDB),
        (cr.replication, O::Replication),
        (cr.bypassrls, O::BypassRLS),
    ];
    for (v, f) in flags {
        if let Some(b) = v {
            opts.push(f(b));
        }
    }
    // CREATE ROLE does not log in unless told (CREATE USER would).
    opts.push(O::Login(cr.login.unwrap_or(false)));
    if let Some(p) = &cr.password {
        opts.push(O::Password(p.clone()));
    }
    if let Some(l) = &cr.connection_limit {
        opts.push(O::ConnectionLimit(l.clone()));
    }
    if cr.valid_until.is_some() {
        return Err(PgError::feature_not_supported("VALID UNTIL"));
    }
    let empty_password = matches!(&cr.password, Some(Password::Password(e)) if constant_text(e).is_ok_and(|t| t.is_empty()));
    for n in &cr.names {
        let (_, name) = split_name(n)?;
        if name.starts_with("pg_") {
            return Err(PgError::new(SqlState::ReservedName, format!("role name \"{name}\" is reserved"))
                .with_detail("Role names starting with \"pg_\" are reserved."));
        }
        crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
        if with_reader(session, |r| r.role(&name))?.is_some() {
            if cr.if_not_exists {
                session.notices.push(("NOTICE", "42710", format!("role \"{name}\" already exists, skipping"), None));
                continue;
            }
            return Err(PgError::new(SqlState::DuplicateObject, format!("role \"{name}\" already exists")));
        }
        crate::xact::ensure_xid(session)?;
        let oid = session.storage.transam.new_oid()?;
        let mut row = catalog::system::AuthidRow::new(oid, name);
        apply_role_options(session, &mut row, &opts)?;
        if empty_password {
            session.notices.push(("NOTICE", "00000", "empty string is not a valid password, clearing password".into(), None));
        }
        crate::xact::with_write(session, &authid_rels(), |env, w| CatalogWriter { env, db_oid: 0 }.create_role(w, &row))?;
    }
    Ok(Outcome::Command("CREATE ROLE".into()))
}

/// ALTER ROLE name [WITH] option ...
fn alter_role(session: &mut Session, name: &sqlparser::ast::Ident, op: &sqlparser::ast::AlterRoleOperation) -> PgResult<Outcome> {
    use sqlparser::ast::{AlterRoleOperation, Password, RoleOption as O};
    crate::xact::check_writable(session, "ALTER ROLE")?;
    let AlterRoleOperation::WithOptions { options } = op else {
        return Err(PgError::feature_not_supported(format!("ALTER ROLE {op}")));
    };
    let name = if name.quote_style.is_some() { name.value.clone() } else { name.value.to_lowercase() };
    // Anyone may change their own password; anything else needs CREATEROLE.
    let own_password_only = name == session.user && options.iter().all(|o| matches!(o, O::Password(_)));
    if !own_password_only {
        require_createrole(session, "alter")?;
    }
    crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
    let Some((tid, mut row)) = with_reader(session, |r| r.role(&name))? else {
        return Err(PgError::new(SqlState::UndefinedObject, format!("role \"{name}\" does not exist")));
    };
    apply_role_options(session, &mut row, options)?;
    if options.iter().any(|o| matches!(o, O::Password(Password::Password(e)) if constant_text(e).is_ok_and(|t| t.is_empty()))) {
        session.notices.push(("NOTICE", "00000", "empty string is not a valid password, clearing password".into(), None));
    }
    crate::xact::with_write(session, &authid_rels(), |env, w| CatalogWriter { env, db_oid: 0 }.update_role(tid, &row, w))?;
    Ok(Outcome::Command("ALTER ROLE".into()))
}

/// DROP ROLE [IF EXISTS] name [, ...]
fn drop_roles(session: &mut Session, names: &[ObjectName], if_exists: bool) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP ROLE")?;
    require_createrole(session, "drop")?;
    for n in names {
        let (_, name) = split_name(n)?;
        crate::xact::lock(session, role_lock(&name), LockMode::AccessExclusive, false)?;
        let Some((tid, row)) = with_reader(session, |r| r.role(&name))? else {
            if if_exists {
                session.notices.push(("NOTICE", "00000", format!("role \"{name}\" does not exist, skipping"), None));
                continue;
            }
            return Err(PgError::new(SqlState::UndefinedObject, format!("role \"{name}\" does not exist")));
        };
        if name == session.user {
            return Err(PgError::new(SqlState::ObjectInUse, "current user cannot be dropped"));
        }
        if row.oid == catalog::role::BOOTSTRAP_SUPERUSER_OID {
            return Err(PgError::new(SqlState::ObjectInUse, format!("cannot drop role {name} because it is required by the database system")));
        }
        crate::xact::with_write(session, &authid_rels(), |env, w| {
            CatalogWriter { env, db_oid: 0 }.delete_rows(&[(catalog::system::PG_AUTHID, tid)], w)
        })?;
    }
    Ok(Outcome::Command("DROP ROLE".into()))
}

/// VACUUM FULL of one user table: its live rows (and those some snapshot may
/// still see) copied into a new file under AccessExclusiveLock, which then
/// replaces the old one as TRUNCATE's new file does.
fn vacuum_full(session: &mut Session, oid: u32) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::lock_relation(session, oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    let Some(rel) = relcache::relation_by_oid(session, oid)? else { return Ok(()) };
    crate::xact::ensure_xid(session)?;
    let new_node = session.storage.transam.new_oid()?;
    let (from, to) = (rel.locator(db), RelFileLocator::new(db, new_node));
    session.storage.store.smgr().create(to, ForkNumber::Main, false)?;
    session.tx.created.push(to);
    session.tx.dirty.insert(to);
    let oldest_xmin = session.storage.transam.oldest_xmin();
    let (copied, _removed) = {
        let env = session.storage.heap_env();
        let interrupts = &session.interrupts;
        let deadline = session.deadline;
        storage::heap::pruneheap::rewrite_relation(&env, from, to, oldest_xmin, &mut || interrupts.check(deadline))?
    };
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!("cache lookup failed for relation {oid}")));
    };
    class.relfilenode = new_node;
    let rels: Vec<RelFileLocator> = catalog::system::CATALOGS.iter().map(|c| RelFileLocator::new(db, c.oid)).collect();
    crate::xact::with_write(session, &rels, |env, w| CatalogWriter { env, db_oid: db }.update_class(tid, &class, w))?;
    session.tx.drop_at_commit.push(from);
    catalog_changed(session);
    storage::pgstat::TableStats::new(session.shmem).vacuumed(db, oid, copied, 0, crate::session::now_pg(), false);
    Ok(())
}
