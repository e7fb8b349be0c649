//! `backend --role=bgwriter`: the background writer (PostgreSQL's
//! `bgwriter.c`).
//!
//! Every `bgwriter_delay` it looks ahead of the clock hand by twice the
//! number of buffers allocated since its last round (`bgwriter_lru_multiplier`
//! times recent demand, at least 32) and writes out the dirty buffers there
//! that nobody pins and whose usage count is 0 — the victims the next
//! allocations will take — at most `bgwriter_lru_maxpages` per round. So a
//! backend that needs a buffer rarely has to write one first. It holds no
//! transaction and no heavyweight lock; SIGTERM ends it.
//!

use std::sync::Arc;
use std::time::Duration;

use storage::buffer::BufferManager;
use storage::smgr::Smgr;
use storage::smgr_store::SmgrBlockStore;

use crate::interrupt::Interrupts;

/// Runs until SIGTERM; an error is printed as FATAL and the process exits 1.
pub fn run() -> Result<(), String> {
    let interrupts =
        Interrupts::install().map_err(|e| format!("could not install signal handlers: {e}"))?;
    let (data_dir, shmem, settings) = crate::attach()?;
    let delay = settings
        .get_duration("bgwriter_delay")
        .unwrap_or(Duration::from_millis(200));
    let max_pages = settings
        .get_int("bgwriter_lru_maxpages")
        .unwrap_or(100)
        .max(0) as usize;
    let multiplier: f64 = settings
        .show("bgwriter_lru_multiplier")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let store = Arc::new(SmgrBlockStore::new(Smgr::new(&data_dir)));
    // What it writes is never fsynced here: the next checkpoint fsyncs every
    // relation file. Before a page is written, the WAL up to its LSN is
    // flushed (the WAL-before-data rule).
    let xlog = crate::walctl::open(shmem, &data_dir, 2, &settings);
    let bufmgr = BufferManager::new(shmem, store)
        .map_err(|e| e.to_string())?
        .with_wal(xlog);
    tracing::debug!("background writer started");
    let mut last_alloc = bufmgr.allocations();
    loop {
        let mut slept = Duration::ZERO;
        while slept < delay {
            if interrupts.check(None).is_err() {
                return Ok(());
            }
            let step = (delay - slept).min(Duration::from_millis(100));
            std::thread::sleep(step);
            slept += step;
        }
        if max_pages == 0 {
            continue;
        }
        let alloc = bufmgr.allocations();
        let demand = alloc.saturating_sub(last_alloc) as f64 * multiplier;
        last_alloc = alloc;
        let lookahead = (demand as usize).max(32);
        match bufmgr.bgwriter_pass(lookahead, max_pages) {
            Ok(n) if n > 0 => tracing::debug!("background writer wrote {n} buffers"),
            Ok(_) => {}
            Err(e) => tracing::warn!("background writer could not write a buffer: {e}"),
        }
    }
}
