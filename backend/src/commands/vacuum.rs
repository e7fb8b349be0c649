//! VACUUM [FULL] [table] (PostgreSQL's `vacuum.c` and `vacuumlazy.c` over the
//! heap's pruning, `storage::heap::pruneheap`), also run by autovacuum.

use sqlparser::ast::ObjectNamePart;

use catalog::heap_catalog::CatalogWriter;
use storage::lmgr::{LockMode, LockTag};
use storage::smgr::RelFileLocator;
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// VACUUM [table]: prunes every page of the table (or of every table of the
/// database), removing tuples no snapshot can see.
pub(crate) fn vacuum(
    session: &mut Session,
    v: &sqlparser::ast::VacuumStatement,
) -> PgResult<Outcome> {
    // `crate::syntax` turns ANALYZE into BOOST (sqlparser has no such option).
    let analyze = v.boost;
    let all_tables = v.table_name.as_ref().is_some_and(|n| {
        matches!(n.0.as_slice(), [ObjectNamePart::Identifier(id)] if id.value == crate::syntax::VACUUM_ALL_TABLES)
    });
    let table_name = if all_tables {
        None
    } else {
        v.table_name.clone()
    };
    if v.sort_only || v.delete_only || v.reindex || v.recluster || v.threshold.is_some() {
        return Err(PgError::syntax(
            format!("syntax error at or near \"{v}\""),
            None,
        ));
    }
    // sqlparser reads PostgreSQL's option words as a table name.
    if let Some(n) = &v.table_name
        && let [ObjectNamePart::Identifier(id)] = n.0.as_slice()
        && id.quote_style.is_none()
        && ["verbose", "analyze", "analyse", "freeze"].contains(&id.value.to_lowercase().as_str())
    {
        return Err(PgError::feature_not_supported(format!(
            "VACUUM {}",
            id.value.to_uppercase()
        )));
    }
    prevent_in_transaction_block(session, "VACUUM")?;
    let db = session.database_oid;
    let targets: Vec<(u32, RelFileLocator)> = match &table_name {
        Some(n) => {
            let (schema, relname) = split_name(n)?;
            let rel = relcache::lookup_relation(session, schema.as_deref(), &relname)?.ok_or_else(
                || {
                    PgError::new(
                        SqlState::UndefinedTable,
                        format!("relation \"{relname}\" does not exist"),
                    )
                },
            )?;
            vec![(rel.oid, rel.locator(db))]
        }
        None => with_reader(session, |r| r.tables())?
            .into_iter()
            .map(|(oid, _, file)| (oid, file))
            .collect(),
    };
    // VACUUM holds no snapshot of its own: only other sessions' matter.
    crate::xact::abort(session);
    let explicit = table_name.is_some();
    let analyzed: Vec<u32> = targets.iter().map(|t| t.0).collect();
    let mut sizes = Vec::new();
    for (oid, rel) in targets {
        if v.full && oid >= storage::transam::FIRST_NORMAL_OBJECT_ID {
            vacuum_full(session, oid)?;
        } else if v.full && explicit {
            return Err(PgError::feature_not_supported(
                "VACUUM FULL of a system catalog",
            ));
        } else {
            // A database-wide VACUUM FULL rewrites user tables; system
            // catalogs (whose files cannot change yet) get a plain VACUUM.
            let counts = vacuum_table(session, oid, rel, None)?;
            if oid >= storage::transam::FIRST_NORMAL_OBJECT_ID {
                sizes.push((oid, counts));
            }
        }
    }
    update_sizes(session, &sizes)?;
    if analyze {
        // ANALYZE of what was vacuumed, in one transaction as ANALYZE runs
        for oid in analyzed {
            if oid >= storage::transam::FIRST_NORMAL_OBJECT_ID || explicit {
                super::analyze::analyze_relation(session, oid, &[], false)?;
            }
        }
    }
    Ok(Outcome::Command("VACUUM".into()))
}

/// What VACUUM found of a table's size: `relpages`, `reltuples` and
/// `relallvisible`.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub pages: i32,
    pub tuples: f32,
    pub all_visible: i32,
}

/// Records what VACUUM counted in the tables' `pg_class` rows
/// (PostgreSQL's `vac_update_relstats`), for the planner.
fn update_sizes(session: &mut Session, sizes: &[(u32, Sizes)]) -> PgResult<()> {
    if sizes.is_empty() {
        return Ok(());
    }
    let db = session.database_oid;
    let mut rows = Vec::new();
    for (oid, s) in sizes {
        if let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(*oid))? {
            class.pages = s.pages;
            class.tuples = s.tuples;
            class.all_visible = s.all_visible;
            rows.push((tid, class));
        }
    }
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        for (tid, class) in &rows {
            cw.update_class(*tid, class, w)?;
        }
        Ok(())
    })?;
    super::catalog_changed(session);
    // ANALYZE, which may follow, updates the same rows
    crate::xact::command_counter_increment(session)
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
pub fn vacuum_table(
    session: &mut Session,
    oid: u32,
    rel: RelFileLocator,
    cost: Option<CostDelay>,
) -> PgResult<Sizes> {
    let db = session.database_oid;
    // Readers and writers may go on; another VACUUM or DDL may not.
    let tag = LockTag::Relation { db, rel: oid };
    crate::xact::lock(session, tag, LockMode::ShareUpdateExclusive, false)?;
    let result = (|| {
        // The indexes whose entries for dead rows go first (no index can be
        // created or dropped while we hold our lock).
        relcache::accept_invalidations(session);
        let indexes: Vec<(RelFileLocator, storage::nbtree::IndexDesc)> =
            relcache::relation_by_oid(session, oid)?
                .map(|info| {
                    // An index CREATE INDEX CONCURRENTLY has not filled yet (or
                    // left unfinished) has no entries to remove.
                    info.indexes
                        .iter()
                        .filter(|ix| ix.row.ready)
                        .map(|ix| (ix.locator(db), ix.am.clone()))
                        .collect()
                })
                .unwrap_or_default();
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
        // Index entries of the dead rows go before their line pointers are
        // freed for reuse (PostgreSQL's lazy_vacuum_all_indexes).
        let mut index_cleanup = |dead: &[storage::page::ItemPointer]| -> PgResult<()> {
            let set: std::collections::HashSet<storage::page::ItemPointer> =
                dead.iter().copied().collect();
            for (loc, am) in &indexes {
                storage::nbtree::maint::bulk_delete(
                    &env,
                    *loc,
                    am,
                    &|t| set.contains(&t),
                    &mut || interrupts.check(deadline),
                )?;
            }
            Ok(())
        };
        let (stats, _) = storage::heap::pruneheap::vacuum_relation(
            &env,
            rel,
            oldest_xmin,
            &mut check,
            &mut index_cleanup,
        )?;
        session
            .storage
            .bufmgr
            .flush_relation(rel)
            .map_err(PgError::from)?;
        truncate_empty_tail(session, oid, rel)?;
        let env = session.storage.heap_env();
        let pages = storage::heap::heapam::nblocks(&env, rel)?;
        let mut all_visible = 0;
        for block in 0..pages {
            if storage::heap::visibilitymap::is_all_visible(&env, rel, block)? {
                all_visible += 1;
            }
        }
        let sizes = Sizes {
            pages: pages as i32,
            tuples: stats.live as f32,
            all_visible,
        };
        storage::pgstat::TableStats::new(session.shmem).vacuumed(
            db,
            oid,
            stats.live,
            stats.recently_dead,
            crate::session::now_pg(),
            cost.is_some(),
        );
        Ok(sizes)
    })();
    session
        .storage
        .locks
        .borrow_mut()
        .release(tag, LockMode::ShareUpdateExclusive);
    result
}

/// Gives the empty pages at the end of a relation back to the file system,
/// if nobody is using the table right now (PostgreSQL's `lazy_truncate_heap`
/// takes the AccessExclusiveLock only conditionally, too).
pub(crate) fn truncate_empty_tail(
    session: &mut Session,
    oid: u32,
    rel: RelFileLocator,
) -> PgResult<()> {
    let env = session.storage.heap_env();
    if storage::heap::pruneheap::count_empty_tail(&env, rel)? == 0 {
        return Ok(());
    }
    let tag = LockTag::Relation {
        db: session.database_oid,
        rel: oid,
    };
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
            crate::xact::truncate_relation_file(session, rel, keep)?;
        }
        Ok(())
    })();
    session
        .storage
        .locks
        .borrow_mut()
        .release(tag, LockMode::AccessExclusive);
    result
}

/// VACUUM FULL of one user table: its live rows (and those some snapshot may
/// still see) copied into a new file under AccessExclusiveLock, which then
/// replaces the old one as TRUNCATE's new file does.
pub(crate) fn vacuum_full(session: &mut Session, oid: u32) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::lock_relation(session, oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    let Some(rel) = relcache::relation_by_oid(session, oid)? else {
        return Ok(());
    };
    crate::xact::ensure_xid(session)?;
    let new_node = session.storage.transam.new_oid()?;
    let (from, to) = (rel.locator(db), RelFileLocator::new(db, new_node));
    crate::xact::create_relation_file(session, to)?;
    let oldest_xmin = session.storage.transam.oldest_xmin();
    let (copied, _removed) = {
        let env = session.storage.heap_env();
        let interrupts = &session.interrupts;
        let deadline = session.deadline;
        storage::heap::pruneheap::rewrite_relation(&env, from, to, oldest_xmin, &mut || {
            interrupts.check(deadline)
        })?
    };
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    class.relfilenode = new_node;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    session.tx.drop_at_commit.push(from);
    catalog_changed(session);
    // The rows moved: every index is built again over the new file.
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    if let Some(rel) = relcache::relation_by_oid(session, oid)? {
        super::indexcmds::rebuild_indexes(session, &rel, false)?;
    }
    storage::pgstat::TableStats::new(session.shmem).vacuumed(
        db,
        oid,
        copied,
        0,
        crate::session::now_pg(),
        false,
    );
    Ok(())
}
