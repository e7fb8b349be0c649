//! `backend --role=walwriter`: the WAL writer (PostgreSQL's `walwriter.c`).
//! Every `wal_writer_delay`, or at once when an asynchronous commit
//! (`synchronous_commit = off`) wakes it, it writes and fsyncs the WAL that
//! is complete, so that such commits are durable within a bounded time and
//! committing backends rarely find their records unwritten. It also creates
//! the next WAL segment ahead of need. SIGTERM ends it after a last flush.

use std::time::Duration;

use crate::interrupt::Interrupts;

/// Runs until SIGTERM; an error is printed as FATAL and the process exits 1.
pub fn run() -> Result<(), String> {
    let interrupts =
        Interrupts::install().map_err(|e| format!("could not install signal handlers: {e}"))?;
    let (data_dir, shmem, settings) = crate::attach()?;
    let delay = settings
        .get_duration("wal_writer_delay")
        .unwrap_or(Duration::from_millis(200));
    let xlog = crate::walctl::open(shmem, &data_dir, 1, &settings);
    tracing::debug!("WAL writer started");
    loop {
        if let Err(e) = xlog.background_flush() {
            // PANIC-worthy in PostgreSQL; here the postmaster sees the exit
            // code and restarts the cluster.
            return Err(e.message);
        }
        if let Err(e) = xlog.prepare_next_segment() {
            tracing::warn!(
                "could not create the next WAL segment in advance: {}",
                e.message
            );
        }
        if interrupts.check(None).is_err() {
            return Ok(());
        }
        xlog.walwriter_sleep(delay.min(Duration::from_millis(500)));
    }
}
