//! Redo: replaying records into pages and files (each resource manager's
//! `rm_redo`), and crash recovery (PostgreSQL's `StartupXLOG`, the parts after
//! the control file is read).
//!
//! Rules (numbered in `wal/README.md`, "Redo"):
//! - A page change is applied only if the page's LSN is below the record's
//!   end; an image is applied always. So replaying a record twice is harmless.
//! - A page beyond the end of its file is added as zeros first (relation
//!   extension is not logged; the first change of a new page is an image).
//! - A file a record names that does not exist is created (it was dropped
//!   later, and a later record unlinks it again).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;

use types::{PgError, PgResult, SqlState};
use wal::WalRecord;
use wal::reader::WalReader;
use wal::record::BlockChange;
use wal::segment::{Lsn, PG_WAL_DIR, WAL_SEGMENT_SIZE, segment_file_name};

use super::{Xlog, rel_locator};
use crate::buffer::{BLCKSZ, BufferManager, BufferTag, ReadMode, page_lsn, set_page_lsn};
use crate::smgr::{BlockNumber, ForkNumber, RelFileLocator, database_dir};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::control::{DB_IN_CRASH_RECOVERY, DB_SHUTDOWNED};
use crate::transam::{Transam, XidStatus};

/// What redo works with: the startup process's handles, and the sizes of
/// the relation forks redo has seen (so that a record costs no file-system
/// call when its block is known to exist).
pub struct RedoEnv<'e, 'a> {
    pub bufmgr: &'e BufferManager<'a>,
    pub store: &'e SmgrBlockStore,
    pub transam: &'e Transam<'a>,
    pub data_dir: &'e Path,
    sizes: RefCell<HashMap<(RelFileLocator, ForkNumber), BlockNumber>>,
    /// The last entry of `sizes` used: runs of records for one relation skip
    /// the hash lookup.
    last_size: Cell<Option<(RelFileLocator, ForkNumber, BlockNumber)>>,
}

impl<'e, 'a> RedoEnv<'e, 'a> {
    pub fn new(
        bufmgr: &'e BufferManager<'a>,
        store: &'e SmgrBlockStore,
        transam: &'e Transam<'a>,
        data_dir: &'e Path,
    ) -> Self {
        RedoEnv {
            bufmgr,
            store,
            transam,
            data_dir,
            sizes: RefCell::new(HashMap::new()),
            last_size: Cell::new(None),
        }
    }

    fn known_size(&self, rel: RelFileLocator, fork: ForkNumber) -> Option<BlockNumber> {
        match self.last_size.get() {
            Some((r, f, n)) if r == rel && f == fork => Some(n),
            _ => self.sizes.borrow().get(&(rel, fork)).copied(),
        }
    }

    fn note_size(&self, rel: RelFileLocator, fork: ForkNumber, nblocks: BlockNumber) {
        if self.last_size.get() != Some((rel, fork, nblocks)) {
            self.sizes.borrow_mut().insert((rel, fork), nblocks);
            self.last_size.set(Some((rel, fork, nblocks)));
        }
    }

    /// Forgets the sizes of `rel`'s forks (truncated, dropped), or of
    /// everything (`None`: a database dropped).
    fn forget_sizes(&self, rel: Option<RelFileLocator>) {
        self.last_size.set(None);
        let mut sizes = self.sizes.borrow_mut();
        match rel {
            Some(rel) => sizes.retain(|(r, _), _| *r != rel),
            None => sizes.clear(),
        }
    }
}

fn corrupt(lsn: Lsn, what: impl std::fmt::Display) -> PgError {
    PgError::new(
        SqlState::DataCorrupted,
        format!("WAL record at {lsn}: {what}"),
    )
}

/// Replays one record that starts at `lsn` and ends at `end`.
pub fn redo_record(
    env: &RedoEnv<'_, '_>,
    record: &WalRecord,
    xid: u64,
    lsn: Lsn,
    end: Lsn,
) -> PgResult<()> {
    match record {
        WalRecord::Page { blocks, .. } => {
            for b in blocks {
                redo_block(env, b, lsn, end)?;
            }
            Ok(())
        }
        WalRecord::Commit {
            drop_rels,
            drop_dbs,
            ..
        } => {
            env.transam.redo_status(xid, XidStatus::Committed)?;
            for rel in drop_rels {
                drop_relation(env, rel_locator(*rel))?;
            }
            for db in drop_dbs {
                drop_database(env, *db)?;
            }
            if !drop_dbs.is_empty() {
                env.forget_sizes(None);
            }
            Ok(())
        }
        WalRecord::Abort { drop_rels, .. } => {
            env.transam.redo_status(xid, XidStatus::Aborted)?;
            for rel in drop_rels {
                drop_relation(env, rel_locator(*rel))?;
            }
            Ok(())
        }
        WalRecord::SmgrCreate { rel, fork } => {
            let fork =
                ForkNumber::from_u32(u32::from(*fork)).ok_or_else(|| corrupt(lsn, "bad fork"))?;
            env.store.smgr().create(rel_locator(*rel), fork, true)
        }
        WalRecord::SmgrTruncate { rel, fork, nblocks } => {
            let rel = rel_locator(*rel);
            env.forget_sizes(Some(rel));
            let fork =
                ForkNumber::from_u32(u32::from(*fork)).ok_or_else(|| corrupt(lsn, "bad fork"))?;
            env.bufmgr
                .drop_relation_buffers(rel, Some(fork), *nblocks)?;
            let mut smgr = env.store.smgr();
            if smgr.exists(rel, fork)? && smgr.nblocks(rel, fork)? > *nblocks {
                smgr.truncate(rel, fork, *nblocks)?;
            }
            Ok(())
        }
        WalRecord::DbCreate { db, template } => {
            let to = database_dir(env.data_dir, *db);
            if !to.exists() {
                let from = database_dir(env.data_dir, *template);
                copy_dir(&from, &to).map_err(|e| {
                    PgError::new(
                        SqlState::IoError,
                        format!("could not copy directory \"{}\": {e}", from.display()),
                    )
                })?;
            }
            Ok(())
        }
        WalRecord::HeapPrune {
            rel,
            block,
            redirected,
            dead,
            unused,
            prune_xid,
            ..
        } => {
            let buf = redo_buffer(env, rel_locator(*rel), ForkNumber::Main, *block, false)?;
            let mut page = buf.lock_exclusive();
            if page_lsn(&page) >= end.0 {
                return Ok(());
            }
            crate::heap::pruneheap::apply_prune(&mut page, redirected, dead, unused, *prune_xid)
                .map_err(|e| corrupt(lsn, format!("prune of block {block}: {}", e.message)))?;
            set_page_lsn(&mut page, end.0);
            page.mark_dirty();
            Ok(())
        }
        WalRecord::Checkpoint(_) | WalRecord::Noop => Ok(()),
    }
}

fn redo_block(env: &RedoEnv<'_, '_>, b: &BlockChange, lsn: Lsn, end: Lsn) -> PgResult<()> {
    let rel = rel_locator(b.rel);
    let fork = ForkNumber::from_u32(u32::from(b.fork)).ok_or_else(|| corrupt(lsn, "bad fork"))?;
    let buf = redo_buffer(env, rel, fork, b.block, b.image)?;
    let tag = BufferTag::new(rel, fork, b.block);
    let mut page = buf.lock_exclusive();
    if !b.image && page_lsn(&page) >= end.0 {
        return Ok(());
    }
    if b.image {
        page.fill(0);
    }
    wal::delta::apply(&mut page[..], &b.delta)
        .map_err(|_| corrupt(lsn, format!("bad delta for block {tag}")))?;
    set_page_lsn(&mut page, end.0);
    page.mark_dirty();
    Ok(())
}

/// The buffer of a block a record changes (rule 20: a missing file is
/// created and a block beyond the end added as zeros); read as zeros when
/// `zero` (an image follows) or when it was just added.
fn redo_buffer<'b>(
    env: &'b RedoEnv<'_, '_>,
    rel: RelFileLocator,
    fork: ForkNumber,
    block: BlockNumber,
    zero: bool,
) -> PgResult<crate::buffer::PinnedBuffer<'b>> {
    let known = env.known_size(rel, fork);
    let nblocks = match known {
        Some(n) if block < n => n,
        _ => {
            let mut smgr = env.store.smgr();
            if !smgr.exists(rel, fork)? {
                smgr.create(rel, fork, true)?;
            }
            let mut n = smgr.nblocks(rel, fork)?;
            while n < block {
                smgr.extend(rel, fork, n, &[0u8; BLCKSZ], true)?;
                n += 1;
            }
            n
        }
    };
    let mode = if zero || block >= nblocks {
        ReadMode::Zero
    } else {
        ReadMode::Normal
    };
    if block >= nblocks {
        env.store
            .smgr()
            .extend(rel, fork, block, &[0u8; BLCKSZ], true)?;
    }
    env.note_size(rel, fork, nblocks.max(block + 1));
    env.bufmgr
        .read_buffer(BufferTag::new(rel, fork, block), mode, None)
        .map_err(PgError::from)
}

fn drop_relation(env: &RedoEnv<'_, '_>, rel: RelFileLocator) -> PgResult<()> {
    env.forget_sizes(Some(rel));
    env.bufmgr.drop_relation_buffers(rel, None, 0)?;
    let mut smgr = env.store.smgr();
    smgr.unlink(rel, None, true)?;
    smgr.close(rel);
    Ok(())
}

fn drop_database(env: &RedoEnv<'_, '_>, db: u32) -> PgResult<()> {
    env.bufmgr.drop_database_buffers(db)?;
    env.store.smgr().close_all();
    let dir = database_dir(env.data_dir, db);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(PgError::new(
            SqlState::IoError,
            format!("could not remove directory \"{}\": {e}", dir.display()),
        )),
    }
}

/// Copies a database directory (CREATE DATABASE's file copy, and its
/// redo): `to` must not exist; the copies, `to` and its parent are fsynced.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let dest = to.join(entry.file_name());
            std::fs::copy(entry.path(), &dest)?;
            std::fs::File::open(&dest)?.sync_all()?;
        }
    }
    std::fs::File::open(to)?.sync_all()?;
    if let Some(parent) = to.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// What recovery did, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryOutcome {
    pub checkpoint: Lsn,
    pub redo: Lsn,
    /// Records replayed after the redo point (the checkpoint record itself
    /// not counted).
    pub records: u64,
    /// Where WAL continues.
    pub end: Lsn,
    pub was_clean: bool,
    pub end_reason: Option<String>,
}

/// Crash recovery (the startup process, on a fresh segment, after
/// `Transam::startup`): reads the checkpoint the control file names, replays
/// from its redo point to the end of valid WAL, cuts the WAL there, and opens
/// it for insertion. The caller then writes the end-of-recovery checkpoint if
/// anything was replayed.
pub fn recover(
    env: &RedoEnv<'_, '_>,
    xlog: &Xlog<'_>,
    mut progress: impl FnMut(u64, Lsn),
) -> PgResult<RecoveryOutcome> {
    let control = crate::transam::control::ControlFile::read(env.data_dir)?;
    let checkpoint = Lsn(control.checkpoint);
    let wal_dir = env.data_dir.join(PG_WAL_DIR);
    let mut reader = WalReader::new(&wal_dir, checkpoint);
    let Some((_, _, WalRecord::Checkpoint(ckpt))) = reader.next_record() else {
        return Err(PgError {
            severity: types::error::Severity::Panic,
            ..PgError::new(
                SqlState::DataCorrupted,
                format!("could not locate a valid checkpoint record at {checkpoint}"),
            )
        });
    };
    let was_clean = control.state == DB_SHUTDOWNED && ckpt.shutdown;
    if !was_clean {
        env.transam
            .update_control(|c| c.state = DB_IN_CRASH_RECOVERY)?;
    }
    let redo = Lsn(ckpt.redo);
    let mut reader = WalReader::new(&wal_dir, redo);
    let mut records = 0u64;
    while let Some((lsn, header, record)) = reader.next_record() {
        let end = reader.position();
        if lsn != checkpoint {
            records += 1;
        }
        redo_record(env, &record, header.xid, lsn, end)?;
        if records.is_multiple_of(100_000) && records > 0 {
            progress(records, lsn);
        }
    }
    let end = reader.position();
    if end < Lsn(checkpoint.0 + 1) {
        return Err(PgError::new(
            SqlState::DataCorrupted,
            format!("WAL ends at {end}, before the checkpoint at {checkpoint}"),
        ));
    }
    // After a clean shutdown nothing was ever written past its checkpoint
    // record (an earlier crash's leftovers were cut then), so the cut, which
    // rewrites the rest of the segment, is needed only after a crash.
    if !was_clean || records > 0 {
        cut_wal(&wal_dir, end)?;
    }
    // The checkpoint's next xid and OID are not needed: the control file's
    // reservations, which Transam::startup loaded, are always ahead of
    // anything in the WAL (they are made durable before use).
    xlog.start_inserting(end, redo, checkpoint);
    Ok(RecoveryOutcome {
        checkpoint,
        redo,
        records,
        end,
        was_clean,
        end_reason: reader.end_reason().map(str::to_owned),
    })
}

/// The whole of the startup process's WAL part: [`recover`], then, if the
/// server had not shut down cleanly or anything was replayed, the
/// end-of-recovery checkpoint (so that the next crash need not replay this
/// WAL again), then the control file says the cluster is in production.
pub fn startup(
    env: &RedoEnv<'_, '_>,
    xlog: &Xlog<'_>,
    progress: impl FnMut(u64, Lsn),
) -> PgResult<(
    RecoveryOutcome,
    Option<super::checkpoint::CheckpointOutcome>,
)> {
    let outcome = recover(env, xlog, progress)?;
    let checkpoint = if !outcome.was_clean || outcome.records > 0 {
        Some(super::checkpoint::create_checkpoint(
            xlog,
            env.bufmgr,
            env.transam,
            env.data_dir,
            true,
            &mut |_, _| {},
        )?)
    } else {
        None
    };
    env.transam
        .update_control(|c| c.state = crate::transam::control::DB_IN_PRODUCTION)?;
    Ok((outcome, checkpoint))
}

/// Makes `end` the end of WAL: zeroes the rest of its segment (stale bytes
/// there from before the crash must never follow new records) and removes
/// every later segment.
fn cut_wal(dir: &Path, end: Lsn) -> PgResult<()> {
    use std::os::unix::fs::FileExt;
    let io =
        |e: std::io::Error, what: String| PgError::new(SqlState::IoError, format!("{what}: {e}"));
    let name = segment_file_name(end.segno());
    let path = dir.join(&name);
    if !path.exists() {
        super::create_zeroed_segment(dir, end.segno(), true)?;
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| io(e, format!("could not open file \"{name}\"")))?;
    let mut off = end.segment_offset();
    let zeros = vec![0u8; 1 << 20];
    while off < WAL_SEGMENT_SIZE {
        let n = (WAL_SEGMENT_SIZE - off).min(zeros.len() as u64) as usize;
        f.write_all_at(&zeros[..n], off)
            .map_err(|e| io(e, format!("could not write to file \"{name}\"")))?;
        off += n as u64;
    }
    f.sync_all()
        .map_err(|e| io(e, format!("could not fsync file \"{name}\"")))?;
    for entry in
        std::fs::read_dir(dir).map_err(|e| io(e, "could not read directory \"pg_wal\"".into()))?
    {
        let entry = entry.map_err(|e| io(e, "could not read directory \"pg_wal\"".into()))?;
        if let Some(segno) = entry
            .file_name()
            .to_str()
            .and_then(wal::segment::parse_segment_file_name)
            && segno > end.segno()
        {
            std::fs::remove_file(entry.path()).map_err(|e| {
                io(
                    e,
                    format!("could not remove file \"{}\"", entry.path().display()),
                )
            })?;
        }
    }
    crate::transam::control::fsync_dir(dir)
        .map_err(|e| io(e, "could not fsync directory \"pg_wal\"".into()))
}
