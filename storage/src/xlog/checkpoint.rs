//! Checkpoints (PostgreSQL's `CreateCheckPoint` and `CheckPointGuts`).
//!
//! 1. The redo point is set to the insert position with every insertion slot
//!    held: a page first changed after it logs an image.
//! 2. Commits whose record may precede the redo point finish their CLOG
//!    update; WAL is flushed (asynchronous commits' records must precede the
//!    CLOG pages that show them), then the CLOG pages are written and fsynced.
//! 3. Every buffer dirty now is written, paced by the caller
//!    (`checkpoint_completion_target`), and every relation file is fsynced.
//! 4. The checkpoint record is inserted and flushed; the control file names it.
//! 5. Segments wholly before the redo point are recycled as future segments
//!    (a few) or removed.
//!
//! Anything changed before the redo point is then on disk, so recovery may
//! start there.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use types::{PgError, PgResult, SqlState};
use wal::WalRecord;
use wal::record::CheckpointRecord;
use wal::segment::{Lsn, PG_WAL_DIR, WAL_SEGMENT_SIZE, parse_segment_file_name, segment_file_name};

use super::Xlog;
use crate::buffer::BufferManager;
use crate::transam::Transam;
use crate::transam::control::{DB_IN_PRODUCTION, DB_SHUTDOWNED, fsync_dir};

/// Segments kept for reuse beyond the current one (PostgreSQL keeps up to
/// `min_wal_size`; 80 MB by default is five segments).
const RECYCLED_SEGMENTS: u64 = 5;

/// What a checkpoint did, for the log (`log_checkpoints`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointOutcome {
    pub lsn: Lsn,
    pub redo: Lsn,
    pub buffers_written: usize,
    pub segments_removed: usize,
    pub segments_recycled: usize,
    pub files_synced: usize,
}

/// Runs a checkpoint. `pace(written, total)` is called after each buffer
/// write (the checkpointer sleeps there to spread the writes); `shutdown`
/// makes it a shutdown checkpoint (the last thing the server does, or the end
/// of recovery).
pub fn create_checkpoint(
    xlog: &Xlog<'_>,
    bufmgr: &BufferManager<'_>,
    transam: &Transam<'_>,
    data_dir: &Path,
    shutdown: bool,
    pace: &mut dyn FnMut(usize, usize),
) -> PgResult<CheckpointOutcome> {
    xlog.checkpoint_started();
    let r = checkpoint_inner(xlog, bufmgr, transam, data_dir, shutdown, pace);
    xlog.checkpoint_finished(r.is_ok());
    r
}

fn checkpoint_inner(
    xlog: &Xlog<'_>,
    bufmgr: &BufferManager<'_>,
    transam: &Transam<'_>,
    data_dir: &Path,
    shutdown: bool,
    pace: &mut dyn FnMut(usize, usize),
) -> PgResult<CheckpointOutcome> {
    let redo = xlog.begin_checkpoint_redo();
    xlog.wait_for_commits_in_flight();
    xlog.flush_all()?;
    transam.flush_clog()?;
    let total = bufmgr.count_dirty();
    let buffers_written = bufmgr
        .flush_all_paced(&mut |n| pace(n, total))
        .map_err(PgError::from)?;
    xlog.ctl()
        .stats
        .buffers_checkpoint
        .fetch_add(buffers_written as u64, std::sync::atomic::Ordering::Relaxed);
    let files_synced = sync_relation_files(data_dir)?;
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let record = CheckpointRecord {
        redo: redo.0,
        next_xid: transam.next_xid(),
        next_oid: transam.next_oid(),
        oldest_xid: transam.oldest_xmin(),
        time,
        shutdown,
    };
    let (lsn, end) = xlog.insert_placed(&WalRecord::Checkpoint(record), 0)?;
    xlog.flush(end)?;
    transam.update_control(|c| {
        c.checkpoint = lsn.0;
        c.redo = redo.0;
        c.state = if shutdown {
            DB_SHUTDOWNED
        } else {
            DB_IN_PRODUCTION
        };
    })?;
    xlog.set_last_checkpoint(lsn);
    let (segments_removed, segments_recycled) = remove_old_segments(xlog, redo)?;
    Ok(CheckpointOutcome {
        lsn,
        redo,
        buffers_written,
        segments_removed,
        segments_recycled,
        files_synced,
    })
}

/// Fsyncs every relation file under `base/` and `global/` (the writes of
/// every process since the last checkpoint; PostgreSQL keeps a queue of the
/// segments written instead, see `wal/README.md`).
fn sync_relation_files(data_dir: &Path) -> PgResult<usize> {
    let io = |e: std::io::Error, what: &Path| {
        PgError::new(
            SqlState::IoError,
            format!("could not fsync file \"{}\": {e}", what.display()),
        )
    };
    let mut n = 0;
    let mut dirs = vec![data_dir.join("global")];
    if let Ok(entries) = std::fs::read_dir(data_dir.join("base")) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path());
            }
        }
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !name.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                continue;
            }
            match std::fs::File::open(&path) {
                Ok(f) => f.sync_all().map_err(|e| io(e, &path))?,
                // Dropped meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e, &path)),
            }
            n += 1;
        }
        fsync_dir(&dir).map_err(|e| io(e, &dir))?;
    }
    Ok(n)
}

/// Removes or recycles the segments wholly before `redo`'s.
fn remove_old_segments(xlog: &Xlog<'_>, redo: Lsn) -> PgResult<(usize, usize)> {
    let dir = xlog.dir().to_path_buf();
    let io =
        |e: std::io::Error, what: String| PgError::new(SqlState::IoError, format!("{what}: {e}"));
    let mut old = Vec::new();
    let mut newest = 0;
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| io(e, format!("could not open directory \"{PG_WAL_DIR}\"")))?
    {
        let entry =
            entry.map_err(|e| io(e, format!("could not read directory \"{PG_WAL_DIR}\"")))?;
        if let Some(segno) = entry.file_name().to_str().and_then(parse_segment_file_name) {
            newest = newest.max(segno);
            if segno < redo.segno() {
                old.push(segno);
            }
        }
    }
    old.sort_unstable();
    let current = xlog.insert_position().segno();
    let (mut removed, mut recycled) = (0, 0);
    for (next_future, segno) in (newest.max(current) + 1..).zip(old) {
        let path = dir.join(segment_file_name(segno));
        // Recycled under a future name by link + unlink, which never
        // replaces a segment created meanwhile (the WAL writer's look-ahead,
        // or an inserter that got there first) and possibly written to.
        let recycle = next_future <= current + RECYCLED_SEGMENTS
            && match std::fs::hard_link(&path, dir.join(segment_file_name(next_future))) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                Err(e) => return Err(io(e, format!("could not link file \"{}\"", path.display()))),
            };
        std::fs::remove_file(&path)
            .map_err(|e| io(e, format!("could not remove file \"{}\"", path.display())))?;
        if recycle {
            recycled += 1;
        } else {
            removed += 1;
        }
    }
    if removed + recycled > 0 {
        fsync_dir(&dir)
            .map_err(|e| io(e, format!("could not fsync directory \"{PG_WAL_DIR}\"")))?;
    }
    Ok((removed, recycled))
}

/// initdb's step: `pg_wal/` with its first segment holding a shutdown
/// checkpoint at [`Lsn::FIRST`], and the control file naming it. Called after
/// `Transam::bootstrap` made the control file.
pub fn bootstrap(data_dir: &Path, next_xid: u64, next_oid: u64) -> PgResult<()> {
    let dir = data_dir.join(PG_WAL_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| {
        PgError::new(
            SqlState::IoError,
            format!("could not create directory \"{PG_WAL_DIR}\": {e}"),
        )
    })?;
    let segno = Lsn::FIRST.segno();
    super::create_zeroed_segment(&dir, segno, true)?;
    let record = CheckpointRecord {
        redo: Lsn::FIRST.0,
        next_xid,
        next_oid,
        oldest_xid: next_xid,
        time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        shutdown: true,
    };
    let frame = wal::record::encode(&WalRecord::Checkpoint(record), 0, Lsn::FIRST);
    debug_assert!((frame.len() as u64) < WAL_SEGMENT_SIZE);
    let path = dir.join(segment_file_name(segno));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| {
            PgError::new(
                SqlState::IoError,
                format!("could not open file \"{}\": {e}", path.display()),
            )
        })?;
    use std::os::unix::fs::FileExt;
    f.write_all_at(&frame, Lsn::FIRST.segment_offset())
        .and_then(|()| f.sync_all())
        .map_err(|e| {
            PgError::new(
                SqlState::IoError,
                format!("could not write file \"{}\": {e}", path.display()),
            )
        })?;
    crate::transam::control::ControlFile::update(data_dir, |c| {
        c.checkpoint = Lsn::FIRST.0;
        c.redo = Lsn::FIRST.0;
        c.state = DB_SHUTDOWNED;
    })?;
    Ok(())
}
