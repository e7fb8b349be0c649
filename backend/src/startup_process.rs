//! `backend --role=startup`: the process the postmaster runs before it admits
//! sessions, at start and after every crash-restart (PostgreSQL's startup
//! process).
//!
//! Today it verifies what every session will rely on — the segment's layout,
//! the data directory's version and layout, the shared catalogs and pg_hba.conf — so
//! that a damaged cluster refuses to start with a clear message instead of
//! failing each connection. It then loads the transaction-id and OID
//! counters from the control file into shared memory. The WAL issue adds crash recovery (redo from the
//! last checkpoint) here, which is why this is a process of its own.



/// Runs the checks; the error text is printed as FATAL and the process exits 1.
pub fn run() -> Result<(), String> {
    let (data_dir, shmem, _settings) = crate::attach()?;

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
            return Err(format!("required directory \"{}\" does not exist", path.display()));
        }
    }
    for shared in catalog::system::SHARED_CATALOGS {
        let path = data_dir.join("global").join(shared.oid.to_string());
        if !path.is_file() {
            return Err(format!("could not open file \"{}\": No such file or directory", path.display()));
        }
    }
    let hba_path = data_dir.join("pg_hba.conf");
    let hba = std::fs::read_to_string(&hba_path).map_err(|e| format!("could not open file \"{}\": {e}", hba_path.display()))?;
    protocol::hba::parse(&hba, &hba_path.display().to_string()).map_err(|e| format!("could not load pg_hba.conf: {}", e.message))?;
    // Transaction and OID counters from the control file into the fresh segment.
    storage::transam::Transam::new(shmem, &data_dir, 0).startup().map_err(|e| e.message)?;
    tracing::debug!("startup checks passed for \"{}\"", data_dir.display());
    Ok(())
}
