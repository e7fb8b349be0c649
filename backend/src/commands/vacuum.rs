//! VACUUM and ANALYZE statements (target lists, option lists) and VACUUM
//! [FULL] of a table (PostgreSQL's `vacuum.c` and `vacuumlazy.c` over the
//! heap's pruning, `storage::heap::pruneheap`), also run by autovacuum.

use catalog::heap_catalog::CatalogWriter;
use storage::lmgr::{LockMode, LockTag};
use storage::smgr::RelFileLocator;
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// What a VACUUM or ANALYZE statement asks for (PostgreSQL's
/// `VacuumParams` as far as they matter here).
#[derive(Debug, Default)]
struct VacuumOptions {
    /// ANALYZE rather than VACUUM.
    analyze_only: bool,
    full: bool,
    analyze: bool,
    /// `TRUNCATE`: None leaves it to each table's `vacuum_truncate`.
    truncate: Option<bool>,
}

/// One `name [(column, ...)]` of the statement's list.
struct VacuumTarget {
    schema: Option<String>,
    name: String,
    columns: Vec<String>,
}

/// `VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE] [target, ...]`,
/// `VACUUM (option [value], ...) [target, ...]` and the same forms of
/// ANALYZE, kept as text by `crate::syntax` (sqlparser reads one table and
/// none of the option lists). FREEZE, VERBOSE and the other options are
/// accepted and change nothing here: with 64-bit transaction ids nothing
/// needs freezing, and VERBOSE's report is not written.
pub(crate) fn vacuum_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let (options, targets) = parse_vacuum(text)?;
    if !options.analyze && targets.iter().any(|t| !t.columns.is_empty()) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "ANALYZE option must be specified when a column list is provided",
        ));
    }
    if !options.analyze_only {
        prevent_in_transaction_block(session, "VACUUM")?;
    }
    // Every named relation must exist before any work starts.
    let mut resolved: Vec<(u32, RelFileLocator, Vec<String>)> = Vec::new();
    for t in &targets {
        match relcache::lookup_relation(session, t.schema.as_deref(), &t.name)? {
            Some(rel) => resolved.push((
                rel.oid,
                rel.locator(session.database_oid),
                t.columns.clone(),
            )),
            None => {
                return Err(PgError::new(
                    SqlState::UndefinedTable,
                    format!("relation \"{}\" does not exist", t.name),
                ));
            }
        }
    }
    if options.analyze_only {
        if targets.is_empty() {
            resolved = with_reader(session, |r| r.tables())?
                .into_iter()
                .filter(|(oid, _, _)| *oid >= storage::transam::FIRST_NORMAL_OBJECT_ID)
                .map(|(oid, _, file)| (oid, file, Vec::new()))
                .collect();
        }
        for (oid, _, columns) in resolved {
            super::analyze::analyze_relation(session, oid, &columns, false)?;
        }
        return Ok(Outcome::Command("ANALYZE".into()));
    }
    let explicit = !targets.is_empty();
    if !explicit {
        resolved = with_reader(session, |r| r.tables())?
            .into_iter()
            .map(|(oid, _, file)| (oid, file, Vec::new()))
            .collect();
    }
    // VACUUM holds no snapshot of its own: only other sessions' matter.
    crate::xact::abort(session);
    let mut sizes = Vec::new();
    for (oid, rel, _) in &resolved {
        let oid = *oid;
        if options.full && oid >= storage::transam::FIRST_NORMAL_OBJECT_ID {
            vacuum_full(session, oid)?;
        } else if options.full && explicit {
            return Err(PgError::feature_not_supported(
                "VACUUM FULL of a system catalog",
            ));
        } else {
            // A database-wide VACUUM FULL rewrites user tables; system
            // catalogs (whose files cannot change yet) get a plain VACUUM.
            let counts = vacuum_table(session, oid, *rel, None, options.truncate)?;
            if oid >= storage::transam::FIRST_NORMAL_OBJECT_ID {
                sizes.push((oid, counts));
            }
        }
    }
    update_sizes(session, &sizes)?;
    if options.full && options.analyze {
        // ANALYZE reads the pg_class rows VACUUM FULL gave new files
        super::catalog_changed(session);
        crate::xact::command_counter_increment(session)?;
    }
    if options.analyze {
        // ANALYZE of what was vacuumed, in one transaction as ANALYZE runs
        for (oid, _, columns) in resolved {
            if oid >= storage::transam::FIRST_NORMAL_OBJECT_ID || explicit {
                super::analyze::analyze_relation(session, oid, &columns, false)?;
            }
        }
    }
    Ok(Outcome::Command("VACUUM".into()))
}

/// Reads a VACUUM or ANALYZE statement (PostgreSQL's `VacuumStmt` rules of
/// gram.y and the option checks of `ExecVacuum`).
fn parse_vacuum(text: &str) -> PgResult<(VacuumOptions, Vec<VacuumTarget>)> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens: Vec<Token> = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
        .collect();
    let syntax = |t: Option<&Token>| match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    };
    let word = |t: Option<&Token>| match t {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
        _ => None,
    };
    let ident = |t: Option<&Token>| match t {
        Some(Token::Word(w)) if w.quote_style.is_some() => Some(w.value.clone()),
        Some(Token::Word(w)) => Some(w.value.to_lowercase()),
        _ => None,
    };
    let mut i = 0;
    let mut options = VacuumOptions {
        analyze_only: matches!(word(tokens.first()).as_deref(), Some("analyze" | "analyse")),
        ..VacuumOptions::default()
    };
    options.analyze = options.analyze_only;
    let what = if options.analyze_only {
        "ANALYZE"
    } else {
        "VACUUM"
    };
    i += 1;
    let mut parallel = false;
    if tokens.get(i) == Some(&Token::LParen) {
        i += 1;
        loop {
            let name = word(tokens.get(i))
                .or_else(|| ident(tokens.get(i)))
                .ok_or_else(|| syntax(tokens.get(i)))?;
            i += 1;
            // An optional value: a boolean word, a number or a string.
            let value = match tokens.get(i) {
                Some(Token::Comma | Token::RParen) | None => None,
                Some(Token::Word(w)) => {
                    i += 1;
                    Some(w.value.to_lowercase())
                }
                Some(Token::Number(n, _)) => {
                    i += 1;
                    Some(n.clone())
                }
                Some(Token::Minus) => match tokens.get(i + 1) {
                    Some(Token::Number(n, _)) => {
                        i += 2;
                        Some(format!("-{n}"))
                    }
                    t => return Err(syntax(t)),
                },
                Some(Token::SingleQuotedString(s)) => {
                    i += 1;
                    Some(s.to_lowercase())
                }
                t => return Err(syntax(t)),
            };
            let boolean = |v: &Option<String>| -> PgResult<bool> {
                match v.as_deref() {
                    None | Some("true" | "on" | "1" | "yes") => Ok(true),
                    Some("false" | "off" | "0" | "no") => Ok(false),
                    Some(other) => Err(PgError::new(
                        SqlState::SyntaxError,
                        format!("{name} requires a Boolean value"),
                    )
                    .with_detail(format!("\"{other}\" is not a Boolean value"))),
                }
            };
            match name.as_str() {
                "verbose" | "skip_locked" => {
                    boolean(&value)?;
                }
                "analyze" | "analyse" if !options.analyze_only => {
                    options.analyze = boolean(&value)?
                }
                "full" if !options.analyze_only => options.full = boolean(&value)?,
                "truncate" if !options.analyze_only => options.truncate = Some(boolean(&value)?),
                "freeze" | "disable_page_skipping" | "process_toast" if !options.analyze_only => {
                    boolean(&value)?;
                }
                "index_cleanup" if !options.analyze_only => {
                    if value.as_deref() != Some("auto") {
                        boolean(&value)?;
                    }
                }
                "parallel" if !options.analyze_only => {
                    // No parallel workers here; the degree is checked as
                    // PostgreSQL checks it (MAX_PARALLEL_WORKER_LIMIT).
                    let Some(v) = &value else {
                        return Err(PgError::syntax(
                            "parallel option requires a value between 0 and 1024",
                            None,
                        ));
                    };
                    let workers: i64 = v.parse().map_err(|_| {
                        PgError::syntax(format!("{name} requires an integer value"), None)
                    })?;
                    if !(0..=1024).contains(&workers) {
                        return Err(PgError::syntax(
                            "parallel workers for vacuum must be between 0 and 1024",
                            None,
                        ));
                    }
                    parallel = workers > 0;
                }
                _ => {
                    return Err(PgError::syntax(
                        format!("unrecognized {what} option \"{name}\""),
                        None,
                    ));
                }
            }
            match tokens.get(i) {
                Some(Token::Comma) => i += 1,
                Some(Token::RParen) => {
                    i += 1;
                    break;
                }
                t => return Err(syntax(t)),
            }
        }
    } else {
        // The old option words, in gram.y's order.
        let order: &[&str] = if options.analyze_only {
            &["verbose"]
        } else {
            &["full", "freeze", "verbose", "analyze"]
        };
        for w in order {
            let here = word(tokens.get(i));
            let hit = here.as_deref() == Some(w)
                || (*w == "analyze" && here.as_deref() == Some("analyse"));
            if hit {
                i += 1;
                match *w {
                    "full" => options.full = true,
                    "analyze" => options.analyze = true,
                    _ => {}
                }
            }
        }
    }
    if options.full && parallel {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "VACUUM FULL cannot be performed in parallel",
        ));
    }
    let mut targets = Vec::new();
    while i < tokens.len() {
        let first = ident(tokens.get(i)).ok_or_else(|| syntax(tokens.get(i)))?;
        i += 1;
        let (schema, name) = if tokens.get(i) == Some(&Token::Period) {
            i += 1;
            let n = ident(tokens.get(i)).ok_or_else(|| syntax(tokens.get(i)))?;
            i += 1;
            (Some(first), n)
        } else {
            (None, first)
        };
        let mut columns = Vec::new();
        if tokens.get(i) == Some(&Token::LParen) {
            i += 1;
            loop {
                columns.push(ident(tokens.get(i)).ok_or_else(|| syntax(tokens.get(i)))?);
                i += 1;
                match tokens.get(i) {
                    Some(Token::Comma) => i += 1,
                    Some(Token::RParen) => {
                        i += 1;
                        break;
                    }
                    t => return Err(syntax(t)),
                }
            }
        }
        targets.push(VacuumTarget {
            schema,
            name,
            columns,
        });
        match tokens.get(i) {
            Some(Token::Comma) => i += 1,
            None => {}
            t => return Err(syntax(t)),
        }
    }
    Ok((options, targets))
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
        rows.extend(index_sizes(session, *oid, s.tuples)?);
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

/// The `pg_class` rows of table `oid`'s indexes with their size as VACUUM
/// and ANALYZE record it (`vac_update_relstats` per index): `relpages` from
/// the index's file, `reltuples` the table's row count (an entry per row;
/// PostgreSQL's ANALYZE gives a partial index the table's count too).
pub(crate) fn index_sizes(
    session: &mut Session,
    oid: u32,
    tuples: f32,
) -> PgResult<Vec<(storage::page::ItemPointer, catalog::system::ClassRow)>> {
    let db = session.database_oid;
    let Some(info) = relcache::relation_by_oid(session, oid)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for ix in info.indexes.iter().filter(|ix| ix.row.ready) {
        let pages = {
            let mut smgr = session.storage.store.smgr();
            match smgr.nblocks(ix.locator(db), storage::smgr::ForkNumber::Main) {
                Ok(n) => n as i32,
                Err(_) => continue,
            }
        };
        if let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(ix.row.index_oid))?
        {
            class.pages = pages;
            class.tuples = tuples;
            out.push((tid, class));
        }
    }
    Ok(out)
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

/// Vacuums one table (prune every page, cut an empty tail unless `truncate`
/// or else the table's `vacuum_truncate` says not to, update the
/// statistics) outside any transaction; `cost` is autovacuum's throttle
/// (None: manual VACUUM, which runs at full speed as with PostgreSQL's
/// default vacuum_cost_delay = 0).
pub fn vacuum_table(
    session: &mut Session,
    oid: u32,
    rel: RelFileLocator,
    cost: Option<CostDelay>,
    truncate: Option<bool>,
) -> PgResult<Sizes> {
    let db = session.database_oid;
    // Readers and writers may go on; another VACUUM or DDL may not.
    let tag = LockTag::Relation { db, rel: oid };
    crate::xact::lock(session, tag, LockMode::ShareUpdateExclusive, false)?;
    let result = (|| {
        // The indexes whose entries for dead rows go first (no index can be
        // created or dropped while we hold our lock).
        relcache::accept_invalidations(session);
        let info = relcache::relation_by_oid(session, oid)?;
        // An index CREATE INDEX CONCURRENTLY has not filled yet (or left
        // unfinished) has no entries to remove.
        let indexes: Vec<(RelFileLocator, storage::nbtree::IndexDesc)> = info
            .iter()
            .flat_map(|info| info.indexes.iter())
            .filter(|ix| ix.row.ready)
            .map(|ix| (ix.locator(db), ix.am.clone()))
            .collect();
        let truncate = truncate.unwrap_or_else(|| {
            info.as_ref().is_none_or(|info| {
                catalog::reloptions::bool_option(&info.options, "vacuum_truncate") != Some(false)
            })
        });
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
        if truncate {
            truncate_empty_tail(session, oid, rel)?;
        }
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
