//! This process's handle on the WAL: the settings it follows and the
//! `Xlog` every role builds its buffer manager with (rule 7 and 9 of
//! `storage/README.md` need it in every process that changes or writes pages).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use storage::shmem::SharedMemory;
use storage::xlog::{SyncMethod, WalSettings, Xlog};
use types::guc::Settings;

/// The WAL settings as `settings` has them.
pub fn wal_settings(settings: &Settings) -> WalSettings {
    let d = WalSettings::default();
    let (commit_delay, commit_siblings, track_io_timing) = session_settings(settings);
    WalSettings {
        fsync: settings.get_bool("fsync").unwrap_or(d.fsync),
        sync_method: settings
            .show("wal_sync_method")
            .ok()
            .and_then(|m| SyncMethod::parse(&m))
            .unwrap_or(d.sync_method),
        full_page_writes: settings
            .get_bool("full_page_writes")
            .unwrap_or(d.full_page_writes),
        commit_delay,
        commit_siblings,
        track_io_timing,
    }
}

/// Hands the session's current `commit_delay`, `commit_siblings` and
/// `track_wal_io_timing` (settable with SET) to its WAL handle; called at
/// commit, before the flush.
pub fn refresh_session_settings(xlog: &Xlog<'_>, settings: &Settings) {
    let (delay, siblings, track_io_timing) = session_settings(settings);
    xlog.set_session_settings(delay, siblings, track_io_timing);
}

/// `commit_delay`, `commit_siblings`, `track_wal_io_timing`.
fn session_settings(settings: &Settings) -> (Duration, u32, bool) {
    (
        Duration::from_micros(settings.get_int("commit_delay").unwrap_or(0).max(0) as u64),
        settings.get_int("commit_siblings").unwrap_or(5).max(0) as u32,
        settings.get_bool("track_wal_io_timing").unwrap_or(false),
    )
}

/// This process's WAL handle; `slot` picks its insertion slot.
pub fn open(
    shmem: &'static SharedMemory,
    data_dir: &Path,
    slot: usize,
    settings: &Settings,
) -> Arc<Xlog<'static>> {
    Arc::new(Xlog::new(shmem, data_dir, slot, wal_settings(settings)))
}
