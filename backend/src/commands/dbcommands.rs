//! CREATE DATABASE (a copy of template1's files, PostgreSQL's FILE_COPY
//! strategy) and DROP DATABASE (PostgreSQL's `dbcommands.c`).

use sqlparser::ast::ObjectName;

use catalog::heap_catalog::CatalogWriter;
use storage::lmgr::{LockMode, LockTag};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// The other sessions connected to database `db` (as PostgreSQL's
/// `CountOtherDBBackends` counts them), waiting up to 5 seconds for them to
/// go, as PostgreSQL does.
pub(crate) fn other_sessions_in(session: &Session, db: u32) -> PgResult<usize> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = session
            .shmem
            .proc_array()
            .active()
            .filter(|p| p.database_oid == db && p.pid != session.pid)
            .count();
        if n == 0 || std::time::Instant::now() >= deadline {
            return Ok(n);
        }
        session.interrupts.check(session.deadline)?;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

pub(crate) fn in_use_error(what: &str, name: &str, n: usize) -> PgError {
    PgError::new(
        SqlState::ObjectInUse,
        format!("{what} \"{name}\" is being accessed by other users"),
    )
    .with_detail(if n == 1 {
        "There is 1 other session using the database.".to_owned()
    } else {
        format!("There are {n} other sessions using the database.")
    })
}

/// CREATE DATABASE name: a copy of template1's files (PostgreSQL's
/// FILE_COPY strategy) under a new OID, and its `pg_database` row.
pub(crate) fn create_database(session: &mut Session, name: &ObjectName) -> PgResult<Outcome> {
    prevent_in_transaction_block(session, "CREATE DATABASE")?;
    crate::xact::check_writable(session, "CREATE DATABASE")?;
    let (_, name) = split_name(name)?;
    let tag = LockTag::Object {
        db: 0,
        class_oid: catalog::system::PG_DATABASE,
        obj_oid: name_hash(0, &name),
        sub_id: 0,
    };
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    let databases = with_reader(session, |r| r.databases())?;
    if databases.iter().any(|(_, d)| d.name == name) {
        return Err(PgError::new(
            SqlState::DuplicateDatabase,
            format!("database \"{name}\" already exists"),
        ));
    }
    let template = databases
        .iter()
        .find(|(_, d)| d.name == "template1")
        .map(|(_, d)| d.clone())
        .ok_or_else(|| {
            PgError::new(
                SqlState::UndefinedObject,
                "template database \"template1\" does not exist",
            )
        })?;
    let n = other_sessions_in(session, template.oid)?;
    if n > 0 {
        return Err(in_use_error("source database", &template.name, n));
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    session
        .storage
        .bufmgr
        .flush_database(template.oid)
        .map_err(PgError::from)?;
    let data_dir = session.storage.store.smgr().data_dir().to_path_buf();
    let (from, to) = (
        storage::smgr::database_dir(&data_dir, template.oid),
        storage::smgr::database_dir(&data_dir, oid),
    );
    // The copy is logged, and a checkpoint follows it before the commit (the
    // record's redo copies the template as it is then, so redo must never
    // reach it once the template may have changed: PostgreSQL's FILE_COPY
    // strategy).
    let xid = session.tx.xid.unwrap_or(0);
    session.storage.xlog.insert(
        &wal::WalRecord::DbCreate {
            db: oid,
            template: template.oid,
        },
        xid,
    )?;
    if let Err(e) = storage::xlog::redo::copy_dir(&from, &to) {
        let _ = std::fs::remove_dir_all(&to);
        return Err(PgError::new(
            SqlState::IoError,
            format!(
                "could not copy directory \"{}\" to \"{}\": {e}",
                from.display(),
                to.display()
            ),
        ));
    }
    session.tx.created_dirs.push(to);
    crate::xact::request_checkpoint(
        session,
        storage::xlog::CHECKPOINT_IMMEDIATE | storage::xlog::CHECKPOINT_FORCE,
    )?;
    let row = catalog::system::DatabaseRow {
        oid,
        name,
        owner: session.user_oid,
        is_template: false,
        allow_connections: true,
        conn_limit: -1,
        acl: Vec::new(),
    };
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: 0 }.create_database(w, &row)
    })?;
    Ok(Outcome::Command("CREATE DATABASE".into()))
}

/// DROP DATABASE [IF EXISTS] name: its row now, its files after the commit.
pub(crate) fn drop_database(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
) -> PgResult<Outcome> {
    prevent_in_transaction_block(session, "DROP DATABASE")?;
    crate::xact::check_writable(session, "DROP DATABASE")?;
    let [name] = names else {
        return Err(PgError::syntax("syntax error at or near \",\"", None));
    };
    let (_, name) = split_name(name)?;
    let tag = LockTag::Object {
        db: 0,
        class_oid: catalog::system::PG_DATABASE,
        obj_oid: name_hash(0, &name),
        sub_id: 0,
    };
    crate::xact::lock(session, tag, LockMode::AccessExclusive, false)?;
    let Some((tid, db)) = with_reader(session, |r| r.database(&name))? else {
        if if_exists {
            session.notice(
                "00000",
                format!("database \"{name}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("DROP DATABASE".into()));
        }
        return Err(PgError::new(
            SqlState::InvalidCatalogName,
            format!("database \"{name}\" does not exist"),
        ));
    };
    if db.oid == session.database_oid {
        return Err(PgError::new(
            SqlState::ObjectInUse,
            "cannot drop the currently open database",
        ));
    }
    if db.is_template {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot drop a template database",
        ));
    }
    let n = other_sessions_in(session, db.oid)?;
    if n > 0 {
        return Err(in_use_error("database", &name, n));
    }
    let mut rows = with_reader(session, |r| {
        r.description_rows(catalog::system::PG_DATABASE, db.oid, None)
    })?;
    rows.push((catalog::system::PG_DATABASE, tid));
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: 0 }.delete_rows(&rows, w)
    })?;
    session.tx.drop_db_at_commit.push(db.oid);
    Ok(Outcome::Command("DROP DATABASE".into()))
}
