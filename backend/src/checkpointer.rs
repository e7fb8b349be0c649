//! `backend --role=checkpointer`: the checkpointer (PostgreSQL's
//! `checkpointer.c`).
//!
//! It runs a checkpoint (`storage::xlog::checkpoint`) when one is requested
//! (the CHECKPOINT command, CREATE DATABASE), when `checkpoint_timeout` has
//! passed since the last one and WAL was written since, or when more than
//! half of `max_wal_size` of WAL was written since the last redo point. A
//! timed or size-triggered checkpoint spreads its buffer writes over
//! `checkpoint_completion_target` of `checkpoint_timeout`; a requested
//! immediate one, or shutdown, writes at full speed.
//!
//! Signals: SIGUSR2 (the postmaster, once every other process is gone at
//! shutdown) runs the shutdown checkpoint and exits 0; SIGTERM (the
//! postmaster died) exits without one; SIGINT is ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR2};
use storage::buffer::BufferManager;
use storage::smgr::Smgr;
use storage::smgr_store::SmgrBlockStore;
use storage::transam::Transam;
use storage::xlog::checkpoint::create_checkpoint;
use storage::xlog::{CHECKPOINT_CAUSE_XLOG, CHECKPOINT_IMMEDIATE, Xlog};

/// How often the checkpointer looks at the WAL size and its signals when
/// nothing wakes it.
const POLL: Duration = Duration::from_millis(500);

/// Runs until SIGUSR2 (shutdown checkpoint) or SIGTERM; an error is printed
/// as FATAL and the process exits 1.
pub fn run() -> Result<(), String> {
    let shutdown = Arc::new(AtomicBool::new(false));
    let die = Arc::new(AtomicBool::new(false));
    let ignored = Arc::new(AtomicBool::new(false));
    let install = || -> std::io::Result<()> {
        signal_hook::flag::register(SIGUSR2, shutdown.clone())?;
        signal_hook::flag::register(SIGTERM, die.clone())?;
        signal_hook::flag::register(SIGINT, ignored.clone())?;
        Ok(())
    };
    install().map_err(|e| format!("could not install signal handlers: {e}"))?;
    let (data_dir, shmem, settings) = crate::attach()?;
    let timeout = settings
        .get_duration("checkpoint_timeout")
        .unwrap_or(Duration::from_secs(300));
    let max_wal_bytes =
        settings.get_int("max_wal_size").unwrap_or(1024).max(2) as u64 * 1024 * 1024;
    let target = settings
        .get_real("checkpoint_completion_target")
        .unwrap_or(0.9)
        .clamp(0.0, 1.0);
    let log_checkpoints = settings.get_bool("log_checkpoints").unwrap_or(false);

    let store = Arc::new(SmgrBlockStore::new(Smgr::new(&data_dir)));
    let xlog = crate::walctl::open(shmem, &data_dir, 0, &settings);
    let bufmgr = BufferManager::new(shmem, store)
        .map_err(|e| e.to_string())?
        .with_wal(xlog.clone());
    let transam = Transam::new(shmem, &data_dir, 0);
    tracing::debug!("checkpointer started");

    let mut seen = 0u32;
    let mut last_start = Instant::now();
    let mut last_end = xlog.insert_position();
    loop {
        if shutdown.load(Ordering::Acquire) {
            tracing::info!("shutting down");
            let started = Instant::now();
            let outcome =
                create_checkpoint(&xlog, &bufmgr, &transam, &data_dir, true, &mut |_, _| {})
                    .map_err(|e| e.message)?;
            log_outcome(true, "shutdown", &outcome, started);
            return Ok(());
        }
        if die.load(Ordering::Acquire) {
            return Ok(());
        }
        let wait = timeout
            .saturating_sub(last_start.elapsed())
            .clamp(Duration::from_millis(1), POLL);
        let flags = xlog.checkpointer_wait(&mut seen, wait);
        let cause = if flags != 0 {
            xlog.ctl()
                .stats
                .checkpoints_req
                .fetch_add(1, Ordering::Relaxed);
            if flags & CHECKPOINT_CAUSE_XLOG != 0 {
                "wal"
            } else {
                "requested"
            }
        } else if last_start.elapsed() >= timeout {
            if xlog.insert_position() == last_end {
                // Nothing was written since the last checkpoint.
                last_start = Instant::now();
                continue;
            }
            xlog.ctl()
                .stats
                .checkpoints_timed
                .fetch_add(1, Ordering::Relaxed);
            "time"
        } else if xlog.bytes_since(xlog.redo_ptr()) > max_wal_bytes / 2 {
            xlog.ctl()
                .stats
                .checkpoints_req
                .fetch_add(1, Ordering::Relaxed);
            "wal"
        } else {
            continue;
        };
        let immediate = flags & CHECKPOINT_IMMEDIATE != 0;
        last_start = Instant::now();
        let started = Instant::now();
        let pacer = Pacer {
            xlog: &xlog,
            shutdown: &shutdown,
            die: &die,
            immediate,
            started,
            budget: timeout.mul_f64(target),
        };
        match create_checkpoint(&xlog, &bufmgr, &transam, &data_dir, false, &mut |w, t| {
            pacer.pace(w, t)
        }) {
            Ok(outcome) => {
                last_end = xlog.insert_position();
                log_outcome(log_checkpoints, cause, &outcome, started);
            }
            Err(e) => tracing::error!("checkpoint failed: {}", e.message),
        }
    }
}

/// Spreads a checkpoint's buffer writes: after each write it sleeps while
/// the checkpoint is ahead of schedule (`written / total` of the buffers may
/// be done after that share of `budget`). An immediate request, shutdown or
/// SIGTERM ends the pacing.
struct Pacer<'p> {
    xlog: &'p Xlog<'p>,
    shutdown: &'p AtomicBool,
    die: &'p AtomicBool,
    immediate: bool,
    started: Instant,
    budget: Duration,
}

impl Pacer<'_> {
    fn pace(&self, written: usize, total: usize) {
        if self.immediate || total == 0 {
            return;
        }
        let due = self
            .budget
            .mul_f64((written as f64 / total as f64).min(1.0));
        while self.started.elapsed() < due {
            if self.xlog.immediate_requested()
                || self.shutdown.load(Ordering::Acquire)
                || self.die.load(Ordering::Acquire)
            {
                return;
            }
            // Time passes between the test above and here: never below zero.
            let left = due.saturating_sub(self.started.elapsed());
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }
}

fn log_outcome(
    log: bool,
    cause: &str,
    o: &storage::xlog::checkpoint::CheckpointOutcome,
    started: Instant,
) {
    if log {
        tracing::info!(
            "checkpoint complete ({cause}): wrote {} buffers; {} WAL file(s) removed, {} recycled; {} files synced; total={:.3} s; lsn={}, redo lsn={}",
            o.buffers_written,
            o.segments_removed,
            o.segments_recycled,
            o.files_synced,
            started.elapsed().as_secs_f64(),
            o.lsn,
            o.redo
        );
    }
}
