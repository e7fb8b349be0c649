//! `backend --role=startup`: the process the postmaster runs before it admits
//! sessions, at start and after every crash-restart (PostgreSQL's startup
//! process).
//!
//! It verifies what every session will rely on — the data directory's
//! version and layout, the shared catalogs and pg_hba.conf — so that a
//! damaged cluster refuses to start with a clear message instead of failing
//! each connection; loads the transaction-id and OID counters from the
//! control file into shared memory; and runs crash recovery: redo from the
//! redo point of the checkpoint the control file names to the end of valid
//! WAL (`storage::xlog::redo::recover`), then an end-of-recovery checkpoint.
//! Sessions are admitted only after it exits 0.

use std::sync::Arc;
use std::time::Instant;

use storage::buffer::BufferManager;
use storage::smgr::Smgr;
use storage::smgr_store::SmgrBlockStore;
use storage::transam::Transam;
use storage::transam::control::{ControlFile, DB_SHUTDOWNED};
use storage::xlog::redo::{RedoEnv, startup};

/// Runs the checks and recovery; the error text is printed as FATAL and the
/// process exits 1.
pub fn run() -> Result<(), String> {
    let (data_dir, shmem, settings) = crate::attach()?;

    let version_file = data_dir.join("PG_VERSION");
    let version = std::fs::read_to_string(&version_file)
        .map_err(|e| format!("could not open file \"{}\": {e}", version_file.display()))?;
    if version.trim() != catalog::bootstrap::PG_MAJOR_VERSION {
        return Err(format!(
            "database files are incompatible with server: the data directory was initialized by version {}, this server is version {}",
            version.trim(),
            catalog::bootstrap::PG_MAJOR_VERSION
        ));
    }
    for dir in ["global", "base", "pg_wal", "pg_xact"] {
        let path = data_dir.join(dir);
        if !path.is_dir() {
            return Err(format!(
                "required directory \"{}\" does not exist",
                path.display()
            ));
        }
    }
    for shared in catalog::system::SHARED_CATALOGS {
        let path = data_dir.join("global").join(shared.oid.to_string());
        if !path.is_file() {
            return Err(format!(
                "could not open file \"{}\": No such file or directory",
                path.display()
            ));
        }
    }
    let hba_path = data_dir.join("pg_hba.conf");
    let hba = std::fs::read_to_string(&hba_path)
        .map_err(|e| format!("could not open file \"{}\": {e}", hba_path.display()))?;
    protocol::hba::parse(&hba, &hba_path.display().to_string())
        .map_err(|e| format!("could not load pg_hba.conf: {}", e.message))?;

    // Temporary files (sort runs) of processes that are gone: no backend
    // runs yet, so none is in use (PostgreSQL's RemovePgTempFiles).
    storage::nbtree::sort::remove_temp_files(&data_dir)
        .map_err(|e| format!("could not remove temporary files: {e}"))?;

    // Transaction and OID counters from the control file into the fresh segment.
    let transam = Transam::new(shmem, &data_dir, 0);
    transam.startup().map_err(|e| e.message)?;
    let control = ControlFile::read(&data_dir).map_err(|e| e.message)?;
    if control.state != DB_SHUTDOWNED {
        tracing::info!(
            "database system was interrupted; last known up at checkpoint {}",
            wal::Lsn(control.checkpoint)
        );
    }

    let store = Arc::new(SmgrBlockStore::new(Smgr::new(&data_dir)));
    let xlog = crate::walctl::open(shmem, &data_dir, 0, &settings);
    let bufmgr = BufferManager::new(shmem, store.clone())
        .map_err(|e| e.to_string())?
        .with_wal(xlog.clone());
    let env = RedoEnv::new(&bufmgr, &store, &transam, &data_dir);
    let started = Instant::now();
    let (outcome, checkpoint) = startup(&env, &xlog, |n, lsn| {
        tracing::info!("redo in progress: {n} records replayed, at {lsn}")
    })
    .map_err(|e| e.message)?;
    if !outcome.was_clean {
        tracing::info!(
            "database system was not properly shut down; automatic recovery in progress"
        );
    }
    if let Some(ck) = checkpoint {
        tracing::info!(
            "redo starts at {}; redo done at {} ({} records, {:.3} s){}",
            outcome.redo,
            outcome.end,
            outcome.records,
            started.elapsed().as_secs_f64(),
            outcome
                .end_reason
                .as_deref()
                .map(|r| format!("; WAL ends: {r}"))
                .unwrap_or_default()
        );
        tracing::info!(
            "end-of-recovery checkpoint complete: wrote {} buffers; lsn={}, redo lsn={}",
            ck.buffers_written,
            ck.lsn,
            ck.redo
        );
    }
    tracing::debug!("startup finished for \"{}\"", data_dir.display());
    Ok(())
}
