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
    WalSettings {
        fsync: settings.get_bool("fsync").unwrap_or(d.fsync),
        sync_method: settings.show("wal_sync_method").ok().and_then(|m| SyncMethod::parse(&m)).unwrap_or(d.sync_method),
        full_page_writes: settings.get_bool("full_page_writes").unwrap_or(d.full_page_writes),
        commit_delay: Duration::from_micros(settings.get_int("commit_delay").unwrap_or(0).max(0) as u64),
        commit_siblings: settings.get_int("commit_siblings").unwrap_or(5).max(0) as u32,
    }
}

/// This process's WAL handle; `slot` picks its insertion slot.
pub fn open(shmem: &'static SharedMemory, data_dir: &Path, slot: usize, settings: &Settings) -> Arc<Xlog<'static>> {
    Arc::new(Xlog::new(shmem, data_dir, slot, wal_settings(settings)))
}
