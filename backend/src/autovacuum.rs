//! `backend --role=autovacuum`: the autovacuum process (PostgreSQL's
//! launcher and one worker in one process).
//!
//! Every `autovacuum_naptime` it visits each database that accepts
//! connections and vacuums every table whose dead rows exceed PostgreSQL's
//! threshold:
//!
//! ```text
//!   n_dead_tup         > autovacuum_vacuum_threshold        + autovacuum_vacuum_scale_factor        * n_live_tup
//!   n_ins_since_vacuum > autovacuum_vacuum_insert_threshold + autovacuum_vacuum_insert_scale_factor * n_live_tup
//! ```
//!
//! (PostgreSQL scales by `reltuples`; we use the live-row count of the
//! statistics.) A table's own storage parameters (`autovacuum_enabled`, the
//! thresholds, scale factors and cost settings of the same names) take the
//! place of the server's settings. It works through the same `commands::vacuum::vacuum_table`
//! as VACUUM, throttled by the cost-based delay
//! (`autovacuum_vacuum_cost_delay`, `..._cost_limit`). Then it analyzes the
//! tables changed enough since their last ANALYZE (see [`analyze_database`]).
//! SIGTERM (shutdown) ends it between tables or pages; the postmaster starts
//! it once the startup process has finished and again if it exits.
//!
//! Differences from PostgreSQL: one process does every database in turn
//! (PostgreSQL's launcher starts up to `autovacuum_max_workers` workers).

use std::time::{Duration, Instant};

use catalog::reloptions;

use crate::interrupt::Interrupts;
use crate::session::Session;

/// Runs until SIGTERM; an error is printed as FATAL and the process exits 1.
pub fn run() -> Result<(), String> {
    let interrupts =
        Interrupts::install().map_err(|e| format!("could not install signal handlers: {e}"))?;
    let (data_dir, shmem, settings) = crate::attach()?;
    let pid = std::process::id() as i32;
    let slot_no: usize = std::env::var("PG_PROC_SLOT")
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("PG_PROC_SLOT is not set")?;
    let slot = shmem
        .proc_array()
        .claim(slot_no, pid)
        .ok_or_else(|| format!("could not claim ProcArray slot {slot_no}"))?;
    slot.activate(0, 0, crate::session::now_pg());
    let storage_env = crate::xact::StorageEnv::new(shmem, &data_dir, slot_no, pid, &settings)
        .map_err(|e| e.message)?;
    let mut session = Session::new(settings, shmem, interrupts.clone(), storage_env, pid);
    session.user = "autovacuum".into();
    session.is_superuser = true;
    tracing::debug!("autovacuum launcher started");

    let naptime = session
        .settings
        .get_duration("autovacuum_naptime")
        .unwrap_or(Duration::from_secs(60));
    loop {
        let wake = Instant::now() + naptime;
        while Instant::now() < wake {
            if interrupts.check(None).is_err() {
                tracing::debug!("autovacuum launcher shutting down");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let databases = match crate::relcache::with_reader(&session, |r| r.databases()) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("autovacuum could not read pg_database: {}", e.message);
                Vec::new()
            }
        };
        crate::xact::abort(&mut session);
        for (_, db) in databases.into_iter().filter(|(_, d)| d.allow_connections) {
            session.database_oid = db.oid;
            session.database = db.name.clone();
            session.relcache.invalidate();
            if let Err(e) = vacuum_database(&mut session) {
                if interrupts.check(None).is_err() {
                    return Ok(());
                }
                tracing::warn!(
                    "automatic vacuum of database \"{}\" failed: {}",
                    db.name,
                    e.message
                );
                crate::xact::abort(&mut session);
            }
        }
    }
}

fn setting_f64(session: &Session, name: &str, default: f64) -> f64 {
    session
        .settings
        .show(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Vacuums the tables of the session's database that need it.
fn vacuum_database(session: &mut Session) -> types::PgResult<()> {
    let db = session.database_oid;
    let tables = crate::relcache::with_reader(session, |r| {
        let mut out = Vec::new();
        for (oid, name, loc) in r.tables()? {
            let options = r
                .class_by_oid(oid)?
                .map(|(_, c)| c.options)
                .unwrap_or_default();
            out.push((oid, name, loc, options));
        }
        Ok(out)
    })?;
    // The catalog lookup took a snapshot: drop it, or it would hold back
    // the horizon of the very VACUUM we are about to run.
    crate::xact::abort(session);

    let threshold = setting_f64(session, "autovacuum_vacuum_threshold", 50.0);
    let scale = setting_f64(session, "autovacuum_vacuum_scale_factor", 0.2);
    let ins_threshold = setting_f64(session, "autovacuum_vacuum_insert_threshold", 1000.0);
    let ins_scale = setting_f64(session, "autovacuum_vacuum_insert_scale_factor", 0.2);
    let cost = crate::commands::vacuum::CostDelay {
        delay: session
            .settings
            .get_duration("autovacuum_vacuum_cost_delay")
            .unwrap_or(Duration::from_millis(2)),
        limit: match session
            .settings
            .get_int("autovacuum_vacuum_cost_limit")
            .unwrap_or(-1)
        {
            n if n > 0 => n as u32,
            _ => session
                .settings
                .get_int("vacuum_cost_limit")
                .unwrap_or(200)
                .max(1) as u32,
        },
        page_cost: session
            .settings
            .get_int("vacuum_cost_page_miss")
            .unwrap_or(2)
            .max(1) as u32,
    };
    let stats = storage::pgstat::TableStats::new(session.shmem);
    for (oid, name, loc, options) in tables {
        session.interrupts.check(None)?;
        if reloptions::bool_option(&options, "autovacuum_enabled") == Some(false) {
            continue;
        }
        let Some(s) = stats.get(db, oid) else {
            continue;
        };
        let live = s
            .n_live_tup
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as f64;
        let dead = s
            .n_dead_tup
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as f64;
        let inserted = s
            .n_ins_since_vacuum
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as f64;
        let own =
            |name: &str, server: f64| reloptions::real_option(&options, name).unwrap_or(server);
        let threshold = own("autovacuum_vacuum_threshold", threshold);
        let scale = own("autovacuum_vacuum_scale_factor", scale);
        // -1 turns insert-driven vacuums off.
        let ins_threshold = own("autovacuum_vacuum_insert_threshold", ins_threshold);
        let ins_scale = own("autovacuum_vacuum_insert_scale_factor", ins_scale);
        if dead <= threshold + scale * live
            && (ins_threshold < 0.0 || inserted <= ins_threshold + ins_scale * live)
        {
            continue;
        }
        let mut cost = cost;
        if let Some(ms) = reloptions::real_option(&options, "autovacuum_vacuum_cost_delay") {
            cost.delay = Duration::from_secs_f64(ms / 1000.0);
        }
        if let Some(limit) = reloptions::int_option(&options, "autovacuum_vacuum_cost_limit") {
            cost.limit = limit.max(1) as u32;
        }
        tracing::debug!(
            "automatic vacuum of table \"{}.{name}\": {dead} dead, {live} live",
            session.database
        );
        crate::commands::vacuum::vacuum_table(session, oid, loc, Some(cost), None)?;
        crate::xact::abort(session);
    }
    analyze_database(session, &stats)
}

/// Analyzes the user tables of the session's database changed enough since
/// their last ANALYZE (PostgreSQL's auto-analyze):
/// `n_mod_since_analyze > autovacuum_analyze_threshold +
/// autovacuum_analyze_scale_factor * reltuples` (the live-row count for a
/// table never counted).
fn analyze_database(
    session: &mut Session,
    stats: &storage::pgstat::TableStats<'_>,
) -> types::PgResult<()> {
    let db = session.database_oid;
    let threshold = setting_f64(session, "autovacuum_analyze_threshold", 50.0);
    let scale = setting_f64(session, "autovacuum_analyze_scale_factor", 0.1);
    let tables = crate::relcache::with_reader(session, |r| {
        let mut out = Vec::new();
        for (oid, name, _) in r.tables()? {
            if oid < storage::transam::FIRST_NORMAL_OBJECT_ID {
                continue;
            }
            let Some((_, class)) = r.class_by_oid(oid)? else {
                continue;
            };
            if reloptions::bool_option(&class.options, "autovacuum_enabled") == Some(false) {
                continue;
            }
            let own = |name: &str, server: f64| {
                reloptions::real_option(&class.options, name).unwrap_or(server)
            };
            let limit = (
                own("autovacuum_analyze_threshold", threshold),
                own("autovacuum_analyze_scale_factor", scale),
            );
            out.push((oid, name, f64::from(class.tuples), limit));
        }
        Ok(out)
    })?;
    crate::xact::abort(session);
    for (oid, name, tuples, (threshold, scale)) in tables {
        session.interrupts.check(None)?;
        let Some(s) = stats.get(db, oid) else {
            continue;
        };
        let changed = s
            .n_mod_since_analyze
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as f64;
        let rows = if tuples >= 0.0 {
            tuples
        } else {
            s.n_live_tup
                .load(std::sync::atomic::Ordering::Relaxed)
                .max(0) as f64
        };
        if changed <= threshold + scale * rows {
            continue;
        }
        tracing::debug!("automatic analyze of table \"{name}\": {changed} rows changed");
        let done = crate::commands::analyze::analyze_relation(session, oid, &[], true)
            .and_then(|()| crate::xact::commit(session));
        if let Err(e) = done {
            crate::xact::abort(session);
            // a table dropped meanwhile is no failure of the others
            tracing::debug!(
                "automatic analyze of table \"{name}\" failed: {}",
                e.message
            );
        }
    }
    Ok(())
}
