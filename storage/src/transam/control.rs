//! The control file, `global/pg_control` (PostgreSQL's `ControlFileData` and
//! `xlog.c`'s `ReadControlFile` / `WriteControlFile`).
//!
//! It holds the on-disk reservations of transaction ids and OIDs (no xid at
//! or above `next_xid` and no OID at or above `next_oid` has ever been handed
//! out, so the startup process can resume from them after any crash), and
//! where the latest checkpoint record is, with its redo point and the state
//! the cluster was left in: where recovery starts.
//!
//! ```text
//!  0        8         12       16         24         32           40         48 ... 252   256 ... 8192
//! +--------+---------+--------+----------+----------+------------+----------+------+-----+--------+
//! | magic  | version | state  | next_xid | next_oid | checkpoint | redo     | 0    | crc | zero   |
//! | u64    | u32     | u32    | u64      | u64      | u64 (LSN)  | u64(LSN) |      | u32 |        |
//! +--------+---------+--------+----------+----------+------------+----------+------+-----+--------+
//! ```
//!
//! Little-endian; the CRC-32C covers bytes 0..252. The file is 8192 bytes, as
//! PostgreSQL's, so that a write of it never spans more than one sector
//! boundary pattern we care about; only the first 256 bytes carry data.
//!
//! Writes are atomic by rename: `global/pg_control.tmp` is written and
//! fsynced, renamed over `global/pg_control`, and `global/` is fsynced. A
//! reader therefore sees the old or the new file, never a mix (PostgreSQL
//! overwrites in place and relies on the 512-byte sector write being atomic).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use types::error::Severity;
use types::{PgError, PgResult, SqlState};

use super::{FIRST_NORMAL_OBJECT_ID, FIRST_NORMAL_XID, TransactionId};

/// Relative to the data directory.
pub const PG_CONTROL_PATH: &str = "global/pg_control";
/// "OXIPGCTL".
pub const PG_CONTROL_MAGIC: u64 = 0x4f58_4950_4743_544c;
/// The layout version of the file; a server refuses any other.
pub const PG_CONTROL_VERSION: u32 = 2;

/// `ControlFile::state`: the server is running (or crashed while it was).
pub const DB_IN_PRODUCTION: u32 = 0;
/// `ControlFile::state`: shut down cleanly; the latest checkpoint is a
/// shutdown checkpoint and nothing follows it.
pub const DB_SHUTDOWNED: u32 = 1;
/// `ControlFile::state`: crash recovery was running.
pub const DB_IN_CRASH_RECOVERY: u32 = 2;
/// Bytes of the file on disk.
pub const PG_CONTROL_FILE_SIZE: usize = 8192;
/// Bytes covered by the CRC (the CRC itself follows them).
const DATA_SIZE: usize = 252;

/// The contents of `global/pg_control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlFile {
    pub version: u32,
    /// [`DB_IN_PRODUCTION`], [`DB_SHUTDOWNED`] or [`DB_IN_CRASH_RECOVERY`].
    pub state: u32,
    /// No xid >= this has been handed out (the xid reservation).
    pub next_xid: TransactionId,
    /// No OID >= this has been handed out since the last wrap (the OID
    /// reservation; up to 2^32).
    pub next_oid: u64,
    /// The LSN of the latest checkpoint record.
    pub checkpoint: u64,
    /// That checkpoint's redo point: where recovery starts.
    pub redo: u64,
}

impl ControlFile {
    /// The control file of a freshly initialised cluster.
    pub fn initial() -> ControlFile {
        ControlFile {
            version: PG_CONTROL_VERSION,
            state: DB_SHUTDOWNED,
            next_xid: FIRST_NORMAL_XID,
            next_oid: u64::from(FIRST_NORMAL_OBJECT_ID),
            checkpoint: 0,
            redo: 0,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; PG_CONTROL_FILE_SIZE];
        b[0..8].copy_from_slice(&PG_CONTROL_MAGIC.to_le_bytes());
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.state.to_le_bytes());
        b[16..24].copy_from_slice(&self.next_xid.to_le_bytes());
        b[24..32].copy_from_slice(&self.next_oid.to_le_bytes());
        b[32..40].copy_from_slice(&self.checkpoint.to_le_bytes());
        b[40..48].copy_from_slice(&self.redo.to_le_bytes());
        let crc = crc32c::crc32c(&b[..DATA_SIZE]);
        b[DATA_SIZE..DATA_SIZE + 4].copy_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> PgResult<ControlFile> {
        if b.len() != PG_CONTROL_FILE_SIZE {
            return Err(panic(
                SqlState::DataCorrupted,
                format!(
                    "incorrect control file size: {} bytes, expected {PG_CONTROL_FILE_SIZE}",
                    b.len()
                ),
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(w)
        };
        // Checked before the version, as PostgreSQL does, so that a damaged
        // version field is reported as damage.
        if crc32c::crc32c(&b[..DATA_SIZE]) != u32_at(DATA_SIZE) || u64_at(0) != PG_CONTROL_MAGIC {
            return Err(panic(
                SqlState::DataCorrupted,
                "incorrect checksum in control file",
            ));
        }
        let version = u32_at(8);
        if version != PG_CONTROL_VERSION {
            return Err(PgError {
                detail: Some(format!(
                    "The database cluster was initialized with PG_CONTROL_VERSION {version}, \
                     but the server was compiled with PG_CONTROL_VERSION {PG_CONTROL_VERSION}."
                )),
                ..panic(
                    SqlState::DataCorrupted,
                    "database files are incompatible with server",
                )
            });
        }
        Ok(ControlFile {
            version,
            state: u32_at(12),
            next_xid: u64_at(16),
            next_oid: u64_at(24),
            checkpoint: u64_at(32),
            redo: u64_at(40),
        })
    }

    /// Reads and checks `global/pg_control`. A missing, short or damaged file
    /// is a PANIC-level error: the cluster cannot start without it.
    pub fn read(data_dir: &Path) -> PgResult<ControlFile> {
        let path = data_dir.join(PG_CONTROL_PATH);
        let bytes = fs::read(&path).map_err(|e| {
            let mut err = file_error(&e, format!("could not open file \"{PG_CONTROL_PATH}\""));
            err.severity = Severity::Panic;
            err
        })?;
        ControlFile::decode(&bytes)
    }

    /// Writes the file atomically and durably (temp file, fsync, rename,
    /// fsync of `global/`). A failure is PANIC: the caller may already rely
    /// on the new reservation being in shared memory only after this returns,
    /// but a half-known state of the control file is not worth surviving.
    pub fn write(&self, data_dir: &Path) -> PgResult<()> {
        let global = data_dir.join("global");
        let path = data_dir.join(PG_CONTROL_PATH);
        let tmp = global.join("pg_control.tmp");
        let fail = |e: io::Error, what: String| {
            let mut err = file_error(&e, what);
            err.severity = Severity::Panic;
            err
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| fail(e, "could not create file \"global/pg_control.tmp\"".into()))?;
        f.write_all(&self.encode()).map_err(|e| {
            fail(
                e,
                "could not write to file \"global/pg_control.tmp\"".into(),
            )
        })?;
        f.sync_all()
            .map_err(|e| fail(e, "could not fsync file \"global/pg_control.tmp\"".into()))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(|e| {
            fail(
                e,
                "could not rename file \"global/pg_control.tmp\" to \"global/pg_control\"".into(),
            )
        })?;
        fsync_dir(&global).map_err(|e| fail(e, "could not fsync file \"global\"".into()))
    }

    /// Creates the control file of a new cluster (initdb's bootstrap step),
    /// with `global/` if needed. Refuses to overwrite an existing one.
    pub fn create(data_dir: &Path) -> PgResult<ControlFile> {
        let global = data_dir.join("global");
        fs::create_dir_all(&global)
            .map_err(|e| file_error(&e, "could not create directory \"global\"".into()))?;
        if data_dir.join(PG_CONTROL_PATH).exists() {
            return Err(PgError::new(
                SqlState::DuplicateFile,
                format!("control file \"{PG_CONTROL_PATH}\" already exists"),
            ));
        }
        let c = ControlFile::initial();
        c.write(data_dir)?;
        Ok(c)
    }

    /// Read-modify-write of the file. The caller holds ControlFileLock, so
    /// fields it does not change (the other reservation, later the checkpoint
    /// data) are carried over unchanged.
    pub fn update(data_dir: &Path, change: impl FnOnce(&mut ControlFile)) -> PgResult<ControlFile> {
        let mut c = ControlFile::read(data_dir)?;
        change(&mut c);
        c.write(data_dir)?;
        Ok(c)
    }

    /// Where the file lives under `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(PG_CONTROL_PATH)
    }
}

fn panic(code: SqlState, message: impl Into<String>) -> PgError {
    PgError {
        severity: Severity::Panic,
        ..PgError::new(code, message)
    }
}

/// fsync of a directory, so that a file created or renamed in it survives a crash.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// `errcode_for_file_access()` and `%m`: a failed file operation as PostgreSQL reports it.
pub(crate) fn file_error(e: &io::Error, what: String) -> PgError {
    use nix::errno::Errno;
    let errno = e.raw_os_error().map(Errno::from_raw);
    let code = match errno {
        Some(Errno::EPERM | Errno::EACCES | Errno::EROFS) => SqlState::InsufficientPrivilege,
        Some(Errno::ENOENT) => SqlState::UndefinedFile,
        Some(Errno::EEXIST) => SqlState::DuplicateFile,
        Some(Errno::ENOSPC) => SqlState::DiskFull,
        Some(Errno::EIO) => SqlState::IoError,
        _ => SqlState::InternalError,
    };
    let text = match errno {
        Some(n) => n.desc().to_string(),
        None => e.to_string(),
    };
    PgError::new(code, format!("{what}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_read_update_and_damage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = ControlFile::read(dir.path()).expect_err("missing");
        assert_eq!(err.severity, Severity::Panic);
        assert_eq!(
            err.message,
            "could not open file \"global/pg_control\": No such file or directory"
        );
        let c = ControlFile::create(dir.path()).expect("create");
        assert_eq!(c, ControlFile::initial());
        assert!(ControlFile::create(dir.path()).is_err(), "never overwrites");
        assert_eq!(ControlFile::read(dir.path()).expect("read"), c);
        let c2 = ControlFile::update(dir.path(), |c| c.next_xid = 9000).expect("update");
        assert_eq!((c2.next_xid, c2.next_oid), (9000, 16384));
        assert_eq!(ControlFile::read(dir.path()).expect("read"), c2);
        assert!(!dir.path().join("global/pg_control.tmp").exists());

        let path = ControlFile::path(dir.path());
        let mut bytes = fs::read(&path).expect("bytes");
        bytes[17] ^= 1;
        fs::write(&path, &bytes).expect("damage");
        let err = ControlFile::read(dir.path()).expect_err("damaged");
        assert_eq!(
            (err.severity, err.message.as_str()),
            (Severity::Panic, "incorrect checksum in control file")
        );
        fs::write(&path, &bytes[..100]).expect("truncate");
        assert!(
            ControlFile::read(dir.path())
                .expect_err("short")
                .message
                .starts_with("incorrect control file size")
        );

        let mut other = ControlFile::initial();
        other.version = 99;
        fs::write(&path, other.encode()).expect("other version");
        let err = ControlFile::read(dir.path()).expect_err("version");
        assert_eq!(err.message, "database files are incompatible with server");
        assert!(
            err.detail
                .is_some_and(|d| d.contains("PG_CONTROL_VERSION 99"))
        );
    }
}
