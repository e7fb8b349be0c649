//! Relation files: the storage manager (PostgreSQL's `smgr.c` + `md.c`).
//!
//! A relation is identified on disk by a [`RelFileLocator`] (tablespace, database,
//! relfilenode) and has up to four forks ([`ForkNumber`]). Each fork is a sequence of
//! [`BLCKSZ`]-byte blocks stored in 1 GiB segment files of [`RELSEG_SIZE`] blocks,
//! named exactly as PostgreSQL names them, relative to the data directory:
//!
//! ```text
//!   spc 1664 (pg_global), db 0    global/<relfilenode>[_fsm|_vm|_init][.<segno>]
//!   spc 1663 (pg_default)         base/<db>/<relfilenode>[_fsm|_vm|_init][.<segno>]
//!   any other tablespace          pg_tblspc/<spc>/PG_15_202209061/<db>/<relfilenode>...
//!
//!   block b of a fork lives in segment b / 131072, at byte (b % 131072) * 8192
//!
//!   base/5/16384      blocks 0 .. 131071        (exactly 1 GiB once the next exists)
//!   base/5/16384.1    blocks 131072 .. 262143
//!   base/5/16384.2    blocks 262144 .. (partial: the fork's size is found here)
//! ```
//!
//! Invariants (as in `md.c`):
//! 1. Every segment before the last one that exists is exactly `RELSEG_SIZE` blocks;
//!    [`Smgr::nblocks`] walks segments until the first shorter one. Extending into a
//!    later segment pads the earlier ones with zero blocks first.
//! 2. Truncation never unlinks a segment other backends may hold open: inactive
//!    segments are truncated to zero length and only [`Smgr::unlink`] removes them.
//! 3. Reading a block that is not there is an error (`XX001 ... read only N of 8192
//!    bytes`), never silently zeroes: upper levels must not read past the end.
//!
//! [`Smgr`] is per process (one per backend, like PostgreSQL's `SMgrRelation` hash):
//! it caches open segment descriptors per relation, up to [`DEFAULT_MAX_OPEN_FILES`],
//! closing the least recently used relation's descriptors beyond that. It holds no
//! shared state; callers (the buffer manager) serialise access to a block.
//!
//! Durability: [`Smgr::write`], [`Smgr::extend`] and [`Smgr::truncate`] do not fsync.
//! The WAL makes changes durable, and each checkpoint fsyncs every relation file
//! (`storage::xlog::checkpoint`; PostgreSQL's checkpointer fsyncs the segments that
//! processes registered instead). Unless told `skip_fsync`, the calls still register
//! the segment through the [`SyncRequestSink`] hook (PostgreSQL's
//! `RegisterSyncRequest`); no sink is installed yet, so dirty segments are remembered
//! in this process and [`Smgr::sync_pending`] could fsync them; [`Smgr::immedsync`]
//! fsyncs a whole fork at once (initdb's catalog files).
//!
//! Errors carry PostgreSQL's wording and SQLSTATE: a failing system call maps its
//! `errno` as `errcode_for_file_access()` does (ENOENT 58P01, EACCES 42501, ENOSPC
//! 53100, EIO 58030, ...), a short read is `XX001`, a short write `53100` with
//! `HINT: Check free disk space.`, and a failed fsync is reported at PANIC severity
//! (PostgreSQL's `data_sync_retry = off`: after a failed fsync the kernel may have
//! dropped the dirty pages, so only crash recovery from WAL is safe).

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use types::{PgError, PgResult, Severity, SqlState};

/// The size of a block (PostgreSQL's `BLCKSZ`).
pub const BLCKSZ: usize = 8192;

/// Blocks per segment file: 1 GiB / 8 KiB (PostgreSQL's `RELSEG_SIZE`).
pub const RELSEG_SIZE: u32 = 131_072;

/// A block number within one fork of a relation.
pub type BlockNumber = u32;

/// The invalid block number; also one past the largest block a fork may have.
pub const INVALID_BLOCK_NUMBER: BlockNumber = u32::MAX;

/// The tablespace of per-database relations (`pg_default`).
pub const DEFAULT_TABLESPACE_OID: u32 = 1663;

/// The tablespace of shared relations (`pg_global`), whose database is 0.
pub const GLOBAL_TABLESPACE_OID: u32 = 1664;

/// PostgreSQL 15's per-version directory inside a user tablespace.
pub const TABLESPACE_VERSION_DIRECTORY: &str = "PG_15_202209061";

/// How many segment files one process keeps open before it closes the least
/// recently used relation's (PostgreSQL's `max_files_per_process`).
pub const DEFAULT_MAX_OPEN_FILES: usize = 1000;

/// The physical identity of a relation (PostgreSQL's `RelFileLocator`, called
/// `RelFileNode` before version 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RelFileLocator {
    /// Tablespace OID: [`DEFAULT_TABLESPACE_OID`], [`GLOBAL_TABLESPACE_OID`] or a user one.
    pub spc_oid: u32,
    /// Database OID; 0 for shared relations.
    pub db_oid: u32,
    /// The relfilenode: the file name, which changes on TRUNCATE / VACUUM FULL.
    pub rel_number: u32,
}

impl RelFileLocator {
    /// A relation of database `db_oid` in the default tablespace.
    pub fn new(db_oid: u32, rel_number: u32) -> RelFileLocator {
        RelFileLocator {
            spc_oid: DEFAULT_TABLESPACE_OID,
            db_oid,
            rel_number,
        }
    }

    /// A shared relation (under `global/`).
    pub fn shared(rel_number: u32) -> RelFileLocator {
        RelFileLocator {
            spc_oid: GLOBAL_TABLESPACE_OID,
            db_oid: 0,
            rel_number,
        }
    }
}

/// The forks of a relation, numbered as PostgreSQL numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum ForkNumber {
    /// The data itself.
    Main = 0,
    /// The free-space map.
    Fsm = 1,
    /// The visibility map.
    VisibilityMap = 2,
    /// The initial contents of an unlogged relation, copied over its main fork
    /// at the end of crash recovery.
    Init = 3,
}

impl ForkNumber {
    pub const ALL: [ForkNumber; 4] = [
        ForkNumber::Main,
        ForkNumber::Fsm,
        ForkNumber::VisibilityMap,
        ForkNumber::Init,
    ];

    /// The fork of a stored fork number.
    pub fn from_u32(n: u32) -> Option<ForkNumber> {
        ForkNumber::ALL.get(n as usize).copied()
    }

    /// The fork's name (`forkNames[]`): `main`, `fsm`, `vm`, `init`.
    pub fn name(self) -> &'static str {
        match self {
            ForkNumber::Main => "main",
            ForkNumber::Fsm => "fsm",
            ForkNumber::VisibilityMap => "vm",
            ForkNumber::Init => "init",
        }
    }

    /// The file-name suffix: `""` for the main fork, else `_<name>`.
    pub fn suffix(self) -> &'static str {
        match self {
            ForkNumber::Main => "",
            ForkNumber::Fsm => "_fsm",
            ForkNumber::VisibilityMap => "_vm",
            ForkNumber::Init => "_init",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The path of a fork's first segment relative to the data directory
/// (PostgreSQL's `relpathperm`), as error messages print it.
pub fn relpath(rel: RelFileLocator, fork: ForkNumber) -> String {
    let suffix = fork.suffix();
    if rel.spc_oid == GLOBAL_TABLESPACE_OID {
        format!("global/{}{suffix}", rel.rel_number)
    } else if rel.spc_oid == DEFAULT_TABLESPACE_OID {
        format!("base/{}/{}{suffix}", rel.db_oid, rel.rel_number)
    } else {
        format!(
            "pg_tblspc/{}/{TABLESPACE_VERSION_DIRECTORY}/{}/{}{suffix}",
            rel.spc_oid, rel.db_oid, rel.rel_number
        )
    }
}

/// The directory of database `db` in the default tablespace
/// (`<data dir>/base/<db oid>`, PostgreSQL's `GetDatabasePath`).
pub fn database_dir(data_dir: &Path, db: u32) -> PathBuf {
    data_dir.join("base").join(db.to_string())
}

/// The path of segment `segno` (`.1`, `.2`, ... after the first).
pub fn segpath(rel: RelFileLocator, fork: ForkNumber, segno: u32) -> String {
    if segno == 0 {
        relpath(rel, fork)
    } else {
        format!("{}.{segno}", relpath(rel, fork))
    }
}

/// One segment file of one fork (PostgreSQL's `FileTag`): the unit of fsync requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileTag {
    pub rel: RelFileLocator,
    pub fork: ForkNumber,
    pub segno: u32,
}

/// A request for the checkpointer (PostgreSQL's `SyncRequestType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRequest {
    /// The segment was written: fsync it before the next checkpoint completes.
    Sync(FileTag),
    /// The relation's fork is being dropped: forget its pending fsyncs.
    ForgetRelation {
        rel: RelFileLocator,
        fork: ForkNumber,
    },
    /// Unlink this (already truncated) first segment after the next checkpoint, so
    /// that its relfilenode cannot be reused before the drop is durable.
    UnlinkAfterCheckpoint(FileTag),
}

/// Where [`Smgr`] could send fsync requests: a checkpointer's queue (none is
/// installed: our checkpoint fsyncs every relation file). `register` returns false
/// when the queue is full; the storage manager then fsyncs the segment itself, as
/// PostgreSQL's `register_dirty_segment` does.
pub trait SyncRequestSink: Send {
    fn register(&mut self, request: SyncRequest) -> bool;
}

/// What to do when a block's segment does not exist (PostgreSQL's `EXTENSION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behavior {
    /// Report an error.
    Fail,
    /// Return `None`.
    ReturnNull,
    /// Create it, padding earlier segments to full size.
    Create,
}

#[derive(Default)]
struct SmgrRelation {
    /// Open segments of each fork; segments 0..len are open, none after.
    segs: [Vec<File>; 4],
    last_used: u64,
}

impl SmgrRelation {
    fn open_files(&self) -> usize {
        self.segs.iter().map(Vec::len).sum()
    }
}

/// A process's storage manager: the descriptor cache and the fsync hook.
pub struct Smgr {
    data_dir: PathBuf,
    rels: HashMap<RelFileLocator, SmgrRelation>,
    open_files: usize,
    max_open_files: usize,
    clock: u64,
    sink: Option<Box<dyn SyncRequestSink>>,
    /// Dirty segments not yet fsynced, while no sink is installed.
    pending: BTreeSet<FileTag>,
}

/// `%m`: the `strerror` text of an I/O error, without Rust's `(os error N)` suffix.
fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

/// `errcode_for_file_access()`: the SQLSTATE of a failed file operation.
fn file_access_sqlstate(e: &io::Error) -> SqlState {
    use nix::errno::Errno;
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EPERM | Errno::EACCES | Errno::EROFS) => SqlState::InsufficientPrivilege,
        Some(Errno::ENOENT) => SqlState::UndefinedFile,
        Some(Errno::EEXIST) => SqlState::DuplicateFile,
        Some(Errno::ENOTDIR | Errno::EISDIR | Errno::ENOTEMPTY) => SqlState::WrongObjectType,
        Some(Errno::ENOSPC) => SqlState::DiskFull,
        Some(Errno::ENOMEM) => SqlState::OutOfMemory,
        Some(Errno::ENFILE | Errno::EMFILE) => SqlState::InsufficientResources,
        Some(Errno::EIO) => SqlState::IoError,
        _ => SqlState::InternalError,
    }
}

/// An error of a failed file operation: `<what>: %m` with the errno's SQLSTATE.
fn file_error(e: &io::Error, what: String) -> PgError {
    PgError::new(file_access_sqlstate(e), format!("{what}: {}", strerror(e)))
}

fn is_not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// `pread` until the buffer is full or end of file; returns the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// `pwrite` until everything is written; returns the bytes written (short only
/// when the kernel accepts nothing more without an error).
fn write_full_at(file: &File, buf: &[u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.write_at(&buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

fn seg_offset(blkno: BlockNumber) -> u64 {
    u64::from(blkno % RELSEG_SIZE) * BLCKSZ as u64
}

impl Smgr {
    /// A storage manager for the data directory `data_dir` (paths in messages are
    /// relative to it, as PostgreSQL's are to its working directory).
    pub fn new(data_dir: impl Into<PathBuf>) -> Smgr {
        Smgr {
            data_dir: data_dir.into(),
            rels: HashMap::new(),
            open_files: 0,
            max_open_files: DEFAULT_MAX_OPEN_FILES,
            clock: 0,
            sink: None,
            pending: BTreeSet::new(),
        }
    }

    /// Caps the number of cached descriptors (at least one relation's worth stays open).
    pub fn set_max_open_files(&mut self, max: usize) {
        self.max_open_files = max.max(1);
    }

    /// Installs the checkpointer's request queue; returns the previous one.
    pub fn set_sync_sink(
        &mut self,
        sink: Option<Box<dyn SyncRequestSink>>,
    ) -> Option<Box<dyn SyncRequestSink>> {
        std::mem::replace(&mut self.sink, sink)
    }

    /// The data directory this manager works in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How many segment descriptors are cached (for tests and `pg_stat`-style views).
    pub fn open_file_count(&self) -> usize {
        self.open_files
    }

    fn full_path(&self, rel_path: &str) -> PathBuf {
        self.data_dir.join(rel_path)
    }

    /// The cache entry of `rel`, marked as just used.
    fn entry(&mut self, rel: RelFileLocator) -> &mut SmgrRelation {
        self.clock += 1;
        let clock = self.clock;
        let e = self.rels.entry(rel).or_default();
        e.last_used = clock;
        e
    }

    fn open_seg_count(&self, rel: RelFileLocator, fork: ForkNumber) -> usize {
        self.rels
            .get(&rel)
            .map_or(0, |r| r.segs[fork.index()].len())
    }

    /// The cached descriptor of an open segment.
    fn seg_file(&self, rel: RelFileLocator, fork: ForkNumber, segno: u32) -> PgResult<&File> {
        self.rels
            .get(&rel)
            .and_then(|r| r.segs[fork.index()].get(segno as usize))
            .ok_or_else(|| {
                PgError::internal(format!(
                    "segment {segno} of \"{}\" is not open",
                    relpath(rel, fork)
                ))
            })
    }

    /// Closes the least recently used other relation's descriptors while over the cap.
    fn make_room(&mut self, keep: RelFileLocator) {
        while self.open_files >= self.max_open_files {
            let victim = self
                .rels
                .iter()
                .filter(|(r, e)| **r != keep && e.open_files() > 0)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(r, _)| *r);
            match victim {
                Some(v) => self.close(v),
                None => break,
            }
        }
    }

    /// Opens segment `segno` (the next one not yet open) and caches it.
    fn open_seg(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        segno: u32,
        create: bool,
    ) -> io::Result<()> {
        debug_assert_eq!(self.open_seg_count(rel, fork), segno as usize);
        self.make_room(rel);
        let path = self.full_path(&segpath(rel, fork, segno));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .open(path)?;
        self.entry(rel).segs[fork.index()].push(file);
        self.open_files += 1;
        Ok(())
    }

    /// Opens the first segment if needed (`mdopenfork`). `Ok(false)` only for
    /// `ReturnNull` when the fork does not exist.
    fn open_fork(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        behavior: Behavior,
    ) -> PgResult<bool> {
        if self.open_seg_count(rel, fork) > 0 {
            self.entry(rel);
            return Ok(true);
        }
        match self.open_seg(rel, fork, 0, false) {
            Ok(()) => Ok(true),
            Err(e) if behavior == Behavior::ReturnNull && is_not_found(&e) => Ok(false),
            Err(e) => Err(file_error(
                &e,
                format!("could not open file \"{}\"", relpath(rel, fork)),
            )),
        }
    }

    /// The number of whole blocks in an open segment (a partial block at the end is ignored).
    fn seg_nblocks(
        &self,
        rel: RelFileLocator,
        fork: ForkNumber,
        segno: u32,
    ) -> PgResult<BlockNumber> {
        let file = self.seg_file(rel, fork, segno)?;
        // lseek(SEEK_END), as PostgreSQL's mdnblocks: cheaper than a stat
        // (reads and writes are positional, so the file offset is unused).
        let len = std::io::Seek::seek(&mut &*file, std::io::SeekFrom::End(0)).map_err(|e| {
            file_error(
                &e,
                format!(
                    "could not seek to end of file \"{}\"",
                    segpath(rel, fork, segno)
                ),
            )
        })?;
        let blocks = len / BLCKSZ as u64;
        if blocks > u64::from(RELSEG_SIZE) {
            return Err(PgError::new(
                SqlState::DataCorrupted,
                format!(
                    "segment too big: file \"{}\" has {blocks} blocks",
                    segpath(rel, fork, segno)
                ),
            ));
        }
        Ok(blocks as BlockNumber)
    }

    /// Opens the segment holding `blkno` and those before it (`_mdfd_getseg`).
    fn get_seg(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        blkno: BlockNumber,
        skip_fsync: bool,
        behavior: Behavior,
    ) -> PgResult<Option<u32>> {
        let target = blkno / RELSEG_SIZE;
        if !self.open_fork(rel, fork, behavior)? {
            return Ok(None);
        }
        while self.open_seg_count(rel, fork) <= target as usize {
            let next = self.open_seg_count(rel, fork) as u32;
            let prev_blocks = self.seg_nblocks(rel, fork, next - 1)?;
            if behavior == Behavior::Create {
                if prev_blocks < RELSEG_SIZE {
                    // keep every segment before the last one full
                    self.extend(
                        rel,
                        fork,
                        next * RELSEG_SIZE - 1,
                        &[0u8; BLCKSZ],
                        skip_fsync,
                    )?;
                }
            } else if prev_blocks < RELSEG_SIZE {
                if behavior == Behavior::ReturnNull {
                    return Ok(None);
                }
                return Err(PgError::new(
                    SqlState::DataCorrupted,
                    format!(
                        "could not open file \"{}\" (target block {blkno}): previous segment is only {prev_blocks} blocks",
                        segpath(rel, fork, next)
                    ),
                ));
            }
            if let Err(e) = self.open_seg(rel, fork, next, behavior == Behavior::Create) {
                if behavior == Behavior::ReturnNull && is_not_found(&e) {
                    return Ok(None);
                }
                return Err(file_error(
                    &e,
                    format!(
                        "could not open file \"{}\" (target block {blkno})",
                        segpath(rel, fork, next)
                    ),
                ));
            }
        }
        Ok(Some(target))
    }

    /// Remembers that a segment must reach disk before the next checkpoint
    /// (`register_dirty_segment`).
    fn register_dirty_segment(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        segno: u32,
    ) -> PgResult<()> {
        let tag = FileTag { rel, fork, segno };
        match self
            .sink
            .as_mut()
            .map(|sink| sink.register(SyncRequest::Sync(tag)))
        {
            None => {
                self.pending.insert(tag);
                Ok(())
            }
            Some(true) => Ok(()),
            Some(false) => {
                tracing::debug!("could not forward fsync request because request queue is full");
                self.fsync_seg(rel, fork, segno)
            }
        }
    }

    fn fsync_seg(&self, rel: RelFileLocator, fork: ForkNumber, segno: u32) -> PgResult<()> {
        self.seg_file(rel, fork, segno)?
            .sync_all()
            .map_err(|e| fsync_error(&e, &segpath(rel, fork, segno)))
    }

    /// Creates the fork's first segment (`mdcreate`), and the database directory if
    /// missing. Outside redo an existing file is an error; during redo it is reused.
    pub fn create(&mut self, rel: RelFileLocator, fork: ForkNumber, is_redo: bool) -> PgResult<()> {
        if is_redo && self.open_seg_count(rel, fork) > 0 {
            return Ok(());
        }
        // a stale descriptor must not hide the file we are about to create
        self.close_fork(rel, fork);
        let path = relpath(rel, fork);
        let full = self.full_path(&path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                file_error(
                    &e,
                    format!("could not create directory \"{}\"", relative_dir(&path)),
                )
            })?;
        }
        self.make_room(rel);
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&full)
        {
            Ok(f) => f,
            Err(create_err) => {
                let reopened = if is_redo {
                    OpenOptions::new().read(true).write(true).open(&full).ok()
                } else {
                    None
                };
                match reopened {
                    Some(f) => f,
                    None => {
                        return Err(file_error(
                            &create_err,
                            format!("could not create file \"{path}\""),
                        ));
                    }
                }
            }
        };
        self.entry(rel).segs[fork.index()].push(file);
        self.open_files += 1;
        self.register_dirty_segment(rel, fork, 0)
    }

    /// Whether the fork exists (`mdexists`). Closes cached descriptors first, since
    /// another backend may have unlinked the file meanwhile.
    pub fn exists(&mut self, rel: RelFileLocator, fork: ForkNumber) -> PgResult<bool> {
        self.close_fork(rel, fork);
        self.open_fork(rel, fork, Behavior::ReturnNull)
    }

    /// The number of blocks in the fork (`mdnblocks`).
    pub fn nblocks(&mut self, rel: RelFileLocator, fork: ForkNumber) -> PgResult<BlockNumber> {
        self.open_fork(rel, fork, Behavior::Fail)?;
        // every segment before the last open one is full (invariant 1)
        let mut segno = (self.open_seg_count(rel, fork) - 1) as u32;
        loop {
            let n = self.seg_nblocks(rel, fork, segno)?;
            if n < RELSEG_SIZE {
                return Ok(segno * RELSEG_SIZE + n);
            }
            segno += 1;
            if u64::from(segno) * u64::from(RELSEG_SIZE) >= u64::from(INVALID_BLOCK_NUMBER) {
                return Ok(INVALID_BLOCK_NUMBER);
            }
            if self.open_seg(rel, fork, segno, false).is_err() {
                return Ok(segno * RELSEG_SIZE);
            }
        }
    }

    /// Adds block `blkno` (normally the current `nblocks`) with the given contents
    /// (`mdextend`). Extending past the end leaves a hole that reads as zeroes.
    pub fn extend(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        blkno: BlockNumber,
        page: &[u8; BLCKSZ],
        skip_fsync: bool,
    ) -> PgResult<()> {
        if blkno == INVALID_BLOCK_NUMBER {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                format!(
                    "cannot extend file \"{}\" beyond {INVALID_BLOCK_NUMBER} blocks",
                    relpath(rel, fork)
                ),
            ));
        }
        let Some(segno) = self.get_seg(rel, fork, blkno, skip_fsync, Behavior::Create)? else {
            return Err(PgError::internal("segment missing after creation"));
        };
        let path = || segpath(rel, fork, segno);
        let n = write_full_at(self.seg_file(rel, fork, segno)?, page, seg_offset(blkno)).map_err(
            |e| {
                file_error(&e, format!("could not extend file \"{}\"", path()))
                    .with_hint("Check free disk space.")
            },
        )?;
        if n != BLCKSZ {
            return Err(PgError::new(
                SqlState::DiskFull,
                format!("could not extend file \"{}\": wrote only {n} of {BLCKSZ} bytes at block {blkno}", path()),
            )
            .with_hint("Check free disk space."));
        }
        if !skip_fsync {
            self.register_dirty_segment(rel, fork, segno)?;
        }
        Ok(())
    }

    /// Reads block `blkno` into `page` (`mdread`). A block beyond the end of the
    /// fork is an error, never zeroes.
    pub fn read(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        blkno: BlockNumber,
        page: &mut [u8; BLCKSZ],
    ) -> PgResult<()> {
        let Some(segno) = self.get_seg(rel, fork, blkno, false, Behavior::Fail)? else {
            return Err(PgError::internal("segment missing"));
        };
        let n = read_full_at(self.seg_file(rel, fork, segno)?, page, seg_offset(blkno)).map_err(
            |e| {
                file_error(
                    &e,
                    format!(
                        "could not read block {blkno} in file \"{}\"",
                        segpath(rel, fork, segno)
                    ),
                )
            },
        )?;
        if n != BLCKSZ {
            return Err(PgError::new(
                SqlState::DataCorrupted,
                format!(
                    "could not read block {blkno} in file \"{}\": read only {n} of {BLCKSZ} bytes",
                    segpath(rel, fork, segno)
                ),
            ));
        }
        Ok(())
    }

    /// Overwrites existing block `blkno` (`mdwrite`). The caller (the buffer
    /// manager) has made sure the WAL describing the page is flushed.
    pub fn write(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        blkno: BlockNumber,
        page: &[u8; BLCKSZ],
        skip_fsync: bool,
    ) -> PgResult<()> {
        let Some(segno) = self.get_seg(rel, fork, blkno, skip_fsync, Behavior::Fail)? else {
            return Err(PgError::internal("segment missing"));
        };
        let path = || segpath(rel, fork, segno);
        let n = write_full_at(self.seg_file(rel, fork, segno)?, page, seg_offset(blkno)).map_err(
            |e| {
                file_error(
                    &e,
                    format!("could not write block {blkno} in file \"{}\"", path()),
                )
            },
        )?;
        if n != BLCKSZ {
            return Err(PgError::new(
                SqlState::DiskFull,
                format!("could not write block {blkno} in file \"{}\": wrote only {n} of {BLCKSZ} bytes", path()),
            )
            .with_hint("Check free disk space."));
        }
        if !skip_fsync {
            self.register_dirty_segment(rel, fork, segno)?;
        }
        Ok(())
    }

    /// Asks the kernel to start writing `nblocks` blocks from `blkno` back to disk
    /// (`mdwriteback`), so that a later fsync has less to do. A hint only: failures
    /// are ignored, and segments that do not exist are skipped. Linux's
    /// `sync_file_range` is not reachable without `unsafe`, so this uses PostgreSQL's
    /// fallback, `posix_fadvise(POSIX_FADV_DONTNEED)`, which starts writeback of the
    /// range (and drops it from the page cache: it is in shared buffers anyway).
    pub fn writeback(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        blkno: BlockNumber,
        nblocks: BlockNumber,
    ) {
        let mut blkno = blkno;
        let mut left = nblocks;
        while left > 0 {
            let Ok(Some(segno)) = self.get_seg(rel, fork, blkno, true, Behavior::ReturnNull) else {
                return;
            };
            let in_seg = left.min(RELSEG_SIZE - blkno % RELSEG_SIZE);
            if let Ok(file) = self.seg_file(rel, fork, segno) {
                let _ = nix::fcntl::posix_fadvise(
                    file,
                    seg_offset(blkno) as i64,
                    i64::from(in_seg) * BLCKSZ as i64,
                    nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
                );
            }
            left -= in_seg;
            blkno += in_seg;
        }
    }

    /// Shrinks the fork to `nblocks` blocks (`mdtruncate`). Segments wholly past the
    /// new end become empty files (invariant 2). Other processes may still have
    /// later segments open and would keep counting them: the caller must send an
    /// smgr invalidation so that every backend [`Smgr::close`]s the relation, as
    /// PostgreSQL's `smgrtruncate` does with `CacheInvalidateSmgr`.
    pub fn truncate(
        &mut self,
        rel: RelFileLocator,
        fork: ForkNumber,
        nblocks: BlockNumber,
    ) -> PgResult<()> {
        let cur = self.nblocks(rel, fork)?;
        if nblocks > cur {
            return Err(PgError::internal(format!(
                "could not truncate file \"{}\" to {nblocks} blocks: it's only {cur} blocks now",
                relpath(rel, fork)
            )));
        }
        if nblocks == cur {
            return Ok(());
        }
        // nblocks() opened every segment up to the last one
        let mut open = self.open_seg_count(rel, fork) as u32;
        while open > 0 {
            let segno = open - 1;
            let prior = segno * RELSEG_SIZE;
            let file = self.seg_file(rel, fork, segno)?;
            if prior > nblocks {
                file.set_len(0).map_err(|e| {
                    file_error(
                        &e,
                        format!("could not truncate file \"{}\"", segpath(rel, fork, segno)),
                    )
                })?;
                self.register_dirty_segment(rel, fork, segno)?;
                if let Some(r) = self.rels.get_mut(&rel) {
                    r.segs[fork.index()].pop();
                    self.open_files -= 1;
                }
            } else if prior + RELSEG_SIZE > nblocks {
                let keep = nblocks - prior;
                file.set_len(u64::from(keep) * BLCKSZ as u64).map_err(|e| {
                    file_error(
                        &e,
                        format!(
                            "could not truncate file \"{}\" to {nblocks} blocks",
                            segpath(rel, fork, segno)
                        ),
                    )
                })?;
                self.register_dirty_segment(rel, fork, segno)?;
            } else {
                // this and every earlier segment stay full
                break;
            }
            open -= 1;
        }
        Ok(())
    }

    /// Removes a fork's files, or all forks' with `fork = None` (`mdunlink`).
    /// Missing files are not an error. Outside redo, when a checkpointer queue is
    /// installed, the main fork's first segment is truncated and left as a
    /// tombstone for the checkpointer to remove after the next checkpoint, as
    /// PostgreSQL does to keep the relfilenode from being reused too early.
    pub fn unlink(
        &mut self,
        rel: RelFileLocator,
        fork: Option<ForkNumber>,
        is_redo: bool,
    ) -> PgResult<()> {
        let forks: Vec<ForkNumber> = match fork {
            Some(f) => vec![f],
            None => ForkNumber::ALL.to_vec(),
        };
        for f in forks {
            self.close_fork(rel, f);
            self.pending.retain(|t| !(t.rel == rel && t.fork == f));
            if let Some(sink) = self.sink.as_mut() {
                sink.register(SyncRequest::ForgetRelation { rel, fork: f });
            }
            let first = relpath(rel, f);
            let first_full = self.full_path(&first);
            let tombstone = !is_redo && f == ForkNumber::Main && self.sink.is_some();
            let res = if tombstone {
                let res = OpenOptions::new()
                    .write(true)
                    .open(&first_full)
                    .and_then(|file| file.set_len(0));
                if res.is_ok() {
                    let tag = FileTag {
                        rel,
                        fork: f,
                        segno: 0,
                    };
                    let queued = self
                        .sink
                        .as_mut()
                        .is_some_and(|s| s.register(SyncRequest::UnlinkAfterCheckpoint(tag)));
                    if queued {
                        Ok(())
                    } else {
                        std::fs::remove_file(&first_full).map_err(|e| (e, "remove"))
                    }
                } else {
                    res.map_err(|e| (e, "truncate"))
                }
            } else {
                std::fs::remove_file(&first_full).map_err(|e| (e, "remove"))
            };
            match res {
                Ok(()) => {}
                Err((e, _)) if is_not_found(&e) => {}
                Err((e, verb)) => {
                    return Err(file_error(&e, format!("could not {verb} file \"{first}\"")));
                }
            }
            // the other segments go now, up to the first one that is missing
            let mut segno = 1;
            loop {
                let path = segpath(rel, f, segno);
                match std::fs::remove_file(self.full_path(&path)) {
                    Ok(()) => segno += 1,
                    Err(e) if is_not_found(&e) => break,
                    Err(e) => {
                        tracing::warn!(
                            "{}",
                            file_error(&e, format!("could not remove file \"{path}\"")).message
                        );
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Fsyncs every segment of the fork now (`mdimmedsync`). A failure is PANIC.
    pub fn immedsync(&mut self, rel: RelFileLocator, fork: ForkNumber) -> PgResult<()> {
        // opens every active segment
        self.nblocks(rel, fork)?;
        for segno in 0..self.open_seg_count(rel, fork) as u32 {
            self.fsync_seg(rel, fork, segno)?;
        }
        self.pending.retain(|t| !(t.rel == rel && t.fork == fork));
        Ok(())
    }

    /// The segments written since the last [`Smgr::sync_pending`], while no
    /// checkpointer queue is installed.
    pub fn pending_syncs(&self) -> impl Iterator<Item = &FileTag> {
        self.pending.iter()
    }

    /// Fsyncs every segment this process dirtied (what a checkpoint does for them
    /// while there is no checkpointer). Files dropped meanwhile are skipped.
    pub fn sync_pending(&mut self) -> PgResult<()> {
        let pending = std::mem::take(&mut self.pending);
        for (i, tag) in pending.iter().enumerate() {
            let path = segpath(tag.rel, tag.fork, tag.segno);
            let res = match self.seg_file(tag.rel, tag.fork, tag.segno) {
                Ok(file) => file.sync_all(),
                Err(_) => match OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(self.full_path(&path))
                {
                    Ok(file) => file.sync_all(),
                    Err(e) if is_not_found(&e) => Ok(()),
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = res {
                // keep what was not synced for the next attempt
                self.pending.extend(pending.iter().skip(i).copied());
                return Err(fsync_error(&e, &path));
            }
        }
        Ok(())
    }

    fn close_fork(&mut self, rel: RelFileLocator, fork: ForkNumber) {
        if let Some(r) = self.rels.get_mut(&rel) {
            self.open_files -= r.segs[fork.index()].len();
            r.segs[fork.index()].clear();
        }
    }

    /// Closes the relation's cached descriptors (`smgrclose`).
    pub fn close(&mut self, rel: RelFileLocator) {
        if let Some(r) = self.rels.remove(&rel) {
            self.open_files -= r.open_files();
        }
    }

    /// Closes every cached descriptor (`smgrcloseall`), e.g. on a shared
    /// invalidation that may have dropped relations.
    pub fn close_all(&mut self) {
        self.rels.clear();
        self.open_files = 0;
    }
}

fn fsync_error(e: &io::Error, path: &str) -> PgError {
    PgError {
        severity: Severity::Panic,
        ..file_error(e, format!("could not fsync file \"{path}\""))
    }
}

fn relative_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(d, _)| d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn page(fill: u8) -> [u8; BLCKSZ] {
        [fill; BLCKSZ]
    }

    fn rel() -> RelFileLocator {
        RelFileLocator::new(5, 16384)
    }

    #[test]
    fn paths_are_postgres_paths() {
        assert_eq!(relpath(rel(), ForkNumber::Main), "base/5/16384");
        assert_eq!(relpath(rel(), ForkNumber::Fsm), "base/5/16384_fsm");
        assert_eq!(relpath(rel(), ForkNumber::VisibilityMap), "base/5/16384_vm");
        assert_eq!(segpath(rel(), ForkNumber::Main, 2), "base/5/16384.2");
        assert_eq!(
            segpath(rel(), ForkNumber::VisibilityMap, 1),
            "base/5/16384_vm.1"
        );
        assert_eq!(
            relpath(RelFileLocator::shared(1262), ForkNumber::Main),
            "global/1262"
        );
        let spc = RelFileLocator {
            spc_oid: 16500,
            db_oid: 5,
            rel_number: 16384,
        };
        assert_eq!(
            relpath(spc, ForkNumber::Fsm),
            "pg_tblspc/16500/PG_15_202209061/5/16384_fsm"
        );
    }

    #[test]
    fn create_extend_read_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        assert!(!smgr.exists(rel(), ForkNumber::Main).unwrap());
        smgr.create(rel(), ForkNumber::Main, false).unwrap();
        assert!(dir.path().join("base/5/16384").exists());
        assert!(smgr.exists(rel(), ForkNumber::Main).unwrap());
        assert!(!smgr.exists(rel(), ForkNumber::Fsm).unwrap());
        assert_eq!(smgr.nblocks(rel(), ForkNumber::Main).unwrap(), 0);
        for b in 0..3 {
            smgr.extend(rel(), ForkNumber::Main, b, &page(b as u8 + 1), false)
                .unwrap();
        }
        assert_eq!(smgr.nblocks(rel(), ForkNumber::Main).unwrap(), 3);
        smgr.write(rel(), ForkNumber::Main, 1, &page(0xAA), false)
            .unwrap();
        let mut buf = [0u8; BLCKSZ];
        smgr.read(rel(), ForkNumber::Main, 1, &mut buf).unwrap();
        assert_eq!(buf, page(0xAA));
        smgr.read(rel(), ForkNumber::Main, 2, &mut buf).unwrap();
        assert_eq!(buf, page(3));

        // a second manager (another backend) sees the same bytes
        let mut other = Smgr::new(dir.path());
        other.read(rel(), ForkNumber::Main, 0, &mut buf).unwrap();
        assert_eq!(buf, page(1));

        // creating again is an error outside redo, allowed in redo
        smgr.create(rel(), ForkNumber::Fsm, false).unwrap();
        let e = smgr.create(rel(), ForkNumber::Fsm, false).unwrap_err();
        assert_eq!(e.code, SqlState::DuplicateFile);
        assert_eq!(
            e.message,
            "could not create file \"base/5/16384_fsm\": File exists"
        );
        smgr.create(rel(), ForkNumber::Fsm, true).unwrap();
    }

    #[test]
    fn read_beyond_eof_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        smgr.create(rel(), ForkNumber::Main, false).unwrap();
        for b in 0..3 {
            smgr.extend(rel(), ForkNumber::Main, b, &page(1), true)
                .unwrap();
        }
        let mut buf = [0u8; BLCKSZ];
        let e = smgr.read(rel(), ForkNumber::Main, 3, &mut buf).unwrap_err();
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "could not read block 3 in file \"base/5/16384\": read only 0 of 8192 bytes"
        );
        let e = smgr
            .write(rel(), ForkNumber::Main, RELSEG_SIZE + 5, &page(1), true)
            .unwrap_err();
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "could not open file \"base/5/16384.1\" (target block 131077): previous segment is only 3 blocks"
        );

        // a partial block at the end counts as missing
        let f = OpenOptions::new()
            .write(true)
            .open(dir.path().join("base/5/16384"))
            .unwrap();
        f.set_len(3 * BLCKSZ as u64 + 100).unwrap();
        assert_eq!(smgr.nblocks(rel(), ForkNumber::Main).unwrap(), 3);
        let e = smgr.read(rel(), ForkNumber::Main, 3, &mut buf).unwrap_err();
        assert_eq!(
            e.message,
            "could not read block 3 in file \"base/5/16384\": read only 100 of 8192 bytes"
        );

        let missing = RelFileLocator::new(5, 99999);
        let e = smgr.nblocks(missing, ForkNumber::Main).unwrap_err();
        assert_eq!(e.code, SqlState::UndefinedFile);
        assert_eq!(
            e.message,
            "could not open file \"base/5/99999\": No such file or directory"
        );
    }

    #[test]
    fn segments_of_one_gigabyte() {
        // segment files are sparse: padding the first one costs no disk space
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        smgr.create(rel(), ForkNumber::Main, false).unwrap();
        smgr.extend(rel(), ForkNumber::Main, 0, &page(1), false)
            .unwrap();
        smgr.extend(rel(), ForkNumber::Main, RELSEG_SIZE + 1, &page(7), false)
            .unwrap();
        let seg0 = std::fs::metadata(dir.path().join("base/5/16384"))
            .unwrap()
            .len();
        assert_eq!(seg0, u64::from(RELSEG_SIZE) * BLCKSZ as u64);
        let seg1 = std::fs::metadata(dir.path().join("base/5/16384.1"))
            .unwrap()
            .len();
        assert_eq!(seg1, 2 * BLCKSZ as u64);
        assert_eq!(
            smgr.nblocks(rel(), ForkNumber::Main).unwrap(),
            RELSEG_SIZE + 2
        );
        let mut other = Smgr::new(dir.path());
        assert_eq!(
            other.nblocks(rel(), ForkNumber::Main).unwrap(),
            RELSEG_SIZE + 2
        );
        let mut buf = [0u8; BLCKSZ];
        other
            .read(rel(), ForkNumber::Main, RELSEG_SIZE + 1, &mut buf)
            .unwrap();
        assert_eq!(buf, page(7));
        other
            .read(rel(), ForkNumber::Main, RELSEG_SIZE, &mut buf)
            .unwrap();
        assert_eq!(buf, page(0), "the hole reads as zeroes");
        other
            .read(rel(), ForkNumber::Main, RELSEG_SIZE - 1, &mut buf)
            .unwrap();
        assert_eq!(buf, page(0));
        let pending: Vec<_> = smgr.pending_syncs().map(|t| t.segno).collect();
        assert_eq!(pending, vec![0, 1]);
        smgr.sync_pending().unwrap();
        assert_eq!(smgr.pending_syncs().count(), 0);
        smgr.immedsync(rel(), ForkNumber::Main).unwrap();

        // truncating into the first segment empties the second without removing it
        smgr.truncate(rel(), ForkNumber::Main, 10).unwrap();
        assert_eq!(smgr.nblocks(rel(), ForkNumber::Main).unwrap(), 10);
        assert_eq!(
            std::fs::metadata(dir.path().join("base/5/16384.1"))
                .unwrap()
                .len(),
            0
        );
        // other backends learn of the truncation through an smgr invalidation
        other.close(rel());
        assert_eq!(other.nblocks(rel(), ForkNumber::Main).unwrap(), 10);
        let e = smgr.truncate(rel(), ForkNumber::Main, 11).unwrap_err();
        assert_eq!(
            e.message,
            "could not truncate file \"base/5/16384\" to 11 blocks: it's only 10 blocks now"
        );

        // unlink removes every segment, including the emptied one
        smgr.create(rel(), ForkNumber::VisibilityMap, false)
            .unwrap();
        smgr.unlink(rel(), None, false).unwrap();
        assert!(!dir.path().join("base/5/16384").exists());
        assert!(!dir.path().join("base/5/16384.1").exists());
        assert!(!dir.path().join("base/5/16384_vm").exists());
        assert!(!smgr.exists(rel(), ForkNumber::Main).unwrap());
        smgr.unlink(rel(), None, false).unwrap();
    }

    #[test]
    fn truncate_to_segment_boundary_and_extend_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        smgr.create(rel(), ForkNumber::Main, false).unwrap();
        smgr.extend(rel(), ForkNumber::Main, 2 * RELSEG_SIZE, &page(2), true)
            .unwrap();
        assert_eq!(
            smgr.nblocks(rel(), ForkNumber::Main).unwrap(),
            2 * RELSEG_SIZE + 1
        );
        smgr.truncate(rel(), ForkNumber::Main, RELSEG_SIZE).unwrap();
        assert_eq!(smgr.nblocks(rel(), ForkNumber::Main).unwrap(), RELSEG_SIZE);
        smgr.extend(rel(), ForkNumber::Main, RELSEG_SIZE, &page(3), true)
            .unwrap();
        assert_eq!(
            Smgr::new(dir.path())
                .nblocks(rel(), ForkNumber::Main)
                .unwrap(),
            RELSEG_SIZE + 1
        );
        smgr.truncate(rel(), ForkNumber::Main, 0).unwrap();
        assert_eq!(
            Smgr::new(dir.path())
                .nblocks(rel(), ForkNumber::Main)
                .unwrap(),
            0
        );
    }

    #[test]
    fn descriptor_cache_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        smgr.set_max_open_files(3);
        for r in 0..10 {
            let rel = RelFileLocator::new(5, 20000 + r);
            smgr.create(rel, ForkNumber::Main, false).unwrap();
            smgr.extend(rel, ForkNumber::Main, 0, &page(r as u8), true)
                .unwrap();
            assert!(smgr.open_file_count() <= 3);
        }
        let mut buf = [0u8; BLCKSZ];
        for r in 0..10 {
            smgr.read(
                RelFileLocator::new(5, 20000 + r),
                ForkNumber::Main,
                0,
                &mut buf,
            )
            .unwrap();
            assert_eq!(buf, page(r as u8));
        }
        assert!(smgr.open_file_count() <= 3);
        smgr.close_all();
        assert_eq!(smgr.open_file_count(), 0);
    }

    #[derive(Clone, Default)]
    struct Queue(std::sync::Arc<std::sync::Mutex<Vec<SyncRequest>>>);

    impl SyncRequestSink for Queue {
        fn register(&mut self, request: SyncRequest) -> bool {
            self.0.lock().unwrap().push(request);
            true
        }
    }

    #[test]
    fn smgr_can_move_between_threads() {
        // the buffer manager's BlockStore is Send + Sync: it wraps an Smgr in a Mutex
        fn send<T: Send>() {}
        send::<Smgr>();
    }

    #[test]
    fn sync_requests_go_to_the_sink() {
        let dir = tempfile::tempdir().unwrap();
        let mut smgr = Smgr::new(dir.path());
        let q = Queue::default();
        smgr.set_sync_sink(Some(Box::new(q.clone())));
        let shared = RelFileLocator::shared(1262);
        smgr.create(shared, ForkNumber::Main, false).unwrap();
        assert!(dir.path().join("global/1262").exists());
        smgr.extend(shared, ForkNumber::Main, 0, &page(1), false)
            .unwrap();
        smgr.extend(shared, ForkNumber::Main, 1, &page(1), true)
            .unwrap();
        assert_eq!(smgr.pending_syncs().count(), 0);
        let tag = FileTag {
            rel: shared,
            fork: ForkNumber::Main,
            segno: 0,
        };
        assert_eq!(
            q.0.lock().unwrap().as_slice(),
            &[SyncRequest::Sync(tag), SyncRequest::Sync(tag)]
        );
        q.0.lock().unwrap().clear();
        // the main fork stays as an empty tombstone until the checkpointer removes it
        smgr.unlink(shared, Some(ForkNumber::Main), false).unwrap();
        assert_eq!(
            std::fs::metadata(dir.path().join("global/1262"))
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            q.0.lock().unwrap().as_slice(),
            &[
                SyncRequest::ForgetRelation {
                    rel: shared,
                    fork: ForkNumber::Main
                },
                SyncRequest::UnlinkAfterCheckpoint(tag)
            ]
        );
        smgr.writeback(shared, ForkNumber::Main, 0, 10);
    }
}
