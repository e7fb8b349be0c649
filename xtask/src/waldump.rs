//! `cargo xtask waldump DIR [--start LSN] [--limit N]`: the WAL records under DIR, one line
//! each in the manner of PostgreSQL's `pg_waldump`, then a line saying where and why reading
//! stopped.
//!
//! ```text
//! rmgr: XLOG         len:     64  lsn: 0/01000000  xid:          0  desc: CHECKPOINT_SHUTDOWN redo 0/1000000; ...
//! rmgr: Heap         len:     51  lsn: 0/01000040  xid:        742  desc: INSERT, blkref rel 1663/5/16384 fork main blk 3 ...
//! end of WAL at 0/01000078 after 2 records: invalid record length at 0/1000078
//! ```
//!
//! DIR is a data directory (its `pg_wal/` is read) or a `pg_wal` directory. Reading starts
//! at `--start`, else at the beginning of the lowest-numbered segment file present. A
//! checkpoint removes the segments wholly before its redo point, so that file may begin
//! inside a record continued from the removed one: when no valid record starts at the
//! start position, the first 8-byte-aligned position after it in the same segment where a
//! valid record starts is taken instead, and a line says how many bytes were skipped, as
//! `pg_waldump` does with its page headers. A record's CRC covers its own LSN, so neither
//! the tail of a record nor a stale record of a recycled segment passes for one.
//!
//! The end of valid WAL is the normal end of the listing (exit status 0); a directory that
//! cannot be read, a start that is not an LSN or lies in no segment file present is an
//! error (exit status 1). Nothing read from the directory can make it panic.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use wal::reader::WalReader;
use wal::record::{self, HEADER_SIZE};
use wal::segment::{Lsn, PG_WAL_DIR, WAL_SEGMENT_SIZE, parse_segment_file_name, segment_file_name};

/// Command-line options of `cargo xtask waldump`.
#[derive(Debug)]
pub struct Options {
    /// A data directory or a `pg_wal` directory.
    pub dir: PathBuf,
    /// Where to start, as `X/X`.
    pub start: Option<String>,
    /// Stop after this many records.
    pub limit: Option<u64>,
}

/// Why a listing did not finish.
#[derive(Debug)]
enum Error {
    /// Bad arguments or an unreadable directory: the message for the user.
    Input(String),
    /// Writing the listing failed (a closed pipe ends it quietly).
    Output(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Output(e)
    }
}

/// Prints the listing on stdout.
pub fn run(opts: &Options) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match dump(opts, &mut out).and_then(|()| out.flush().map_err(Error::Output)) {
        Ok(()) => Ok(()),
        // `cargo xtask waldump data | head`.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(Error::Output(e)) => Err(format!("could not write to stdout: {e}")),
        Err(Error::Input(msg)) => Err(msg),
    }
}

/// `X/XXXXXXXX`, as `pg_waldump` prints an LSN.
fn padded(lsn: Lsn) -> String {
    format!("{:X}/{:08X}", lsn.0 >> 32, lsn.0 & 0xffff_ffff)
}

/// The `pg_wal` directory DIR stands for.
fn wal_dir(dir: &Path) -> Result<PathBuf, Error> {
    let nested = dir.join(PG_WAL_DIR);
    if nested.is_dir() {
        return Ok(nested);
    }
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(dir.to_path_buf()),
        Ok(_) => Err(Error::Input(format!(
            "\"{}\" is not a directory",
            dir.display()
        ))),
        Err(e) => Err(Error::Input(format!(
            "could not open directory \"{}\": {e}",
            dir.display()
        ))),
    }
}

/// The segment numbers of the segment files in `dir`, ascending.
fn segments(dir: &Path) -> Result<Vec<u64>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::Input(format!(
            "could not open directory \"{}\": {e}",
            dir.display()
        ))
    })?;
    let mut segnos = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            Error::Input(format!(
                "could not read directory \"{}\": {e}",
                dir.display()
            ))
        })?;
        if let Some(segno) = entry.file_name().to_str().and_then(parse_segment_file_name) {
            segnos.push(segno);
        }
    }
    segnos.sort_unstable();
    Ok(segnos)
}

/// The first position at or after `start`, in `start`'s segment, where a valid record
/// begins; `None` if there is none.
fn first_record(dir: &Path, start: Lsn) -> Option<Lsn> {
    if WalReader::new(dir, start).next_record().is_some() {
        return Some(start);
    }
    let bytes = std::fs::read(dir.join(segment_file_name(start.segno()))).ok()?;
    let segment_start = start.0 - start.segment_offset();
    let mut offset = start.segment_offset().next_multiple_of(8) as usize;
    while offset + HEADER_SIZE <= bytes.len() {
        let at = Lsn(segment_start + offset as u64);
        if let Some(len) = record::frame_len(&bytes[offset..]) {
            let found = match bytes.get(offset..offset + len) {
                Some(frame) => record::decode(frame, at).is_some(),
                // The record continues in the next segment file.
                None => WalReader::new(dir, at).next_record().is_some(),
            };
            if found {
                return Some(at);
            }
        }
        offset += 8;
    }
    None
}

/// Writes the listing of `opts` to `out`.
fn dump(opts: &Options, out: &mut dyn Write) -> Result<(), Error> {
    let dir = wal_dir(&opts.dir)?;
    let segnos = segments(&dir)?;
    let start = match &opts.start {
        Some(text) => match Lsn::parse(text.trim()) {
            Some(lsn) if lsn.is_valid() => lsn,
            _ => {
                return Err(Error::Input(format!(
                    "invalid start LSN \"{text}\" (expected X/X, e.g. 0/1000028)"
                )));
            }
        },
        None => match segnos.first() {
            Some(&segno) => Lsn(segno * WAL_SEGMENT_SIZE),
            None => {
                return Err(Error::Input(format!(
                    "no WAL segment files in \"{}\"",
                    dir.display()
                )));
            }
        },
    };
    if !segnos.contains(&start.segno()) {
        return Err(Error::Input(format!(
            "could not find WAL segment file {} for start LSN {start} in \"{}\"",
            segment_file_name(start.segno()),
            dir.display()
        )));
    }

    let first = first_record(&dir, start).unwrap_or(start);
    if first != start {
        writeln!(
            out,
            "first record is after {}, at {}, skipping over {} bytes",
            padded(start),
            padded(first),
            first.0 - start.0
        )?;
    }
    let mut reader = WalReader::new(&dir, first);
    let mut count: u64 = 0;
    while opts.limit.is_none_or(|limit| count < limit) {
        let Some((lsn, header, body)) = reader.next_record() else {
            break;
        };
        writeln!(
            out,
            "rmgr: {:<11}  len: {:>6}  lsn: {}  xid: {:>10}  desc: {}",
            body.rmgr().name(),
            header.total_len,
            padded(lsn),
            header.xid,
            body.describe()
        )?;
        count += 1;
    }
    match reader.end_reason() {
        Some(reason) => writeln!(
            out,
            "end of WAL at {} after {count} records: {reason}",
            padded(reader.position())
        )?,
        None => writeln!(
            out,
            "stopped after {count} records (--limit); the next record starts at {}",
            padded(reader.position())
        )?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom};

    use wal::WalRecord;
    use wal::record::{BlockChange, CheckpointRecord, PageOp, RelFileId, encode};

    use super::*;

    /// Writes `records` (with their xids) from `start` into segment files under `dir`, as
    /// the server lays them out; their LSNs.
    fn write_stream(dir: &Path, start: Lsn, records: &[(u64, WalRecord)]) -> Vec<Lsn> {
        let mut lsns = Vec::new();
        let mut pos = start;
        for (xid, r) in records {
            let frame = encode(r, *xid, pos);
            let mut off = 0;
            while off < frame.len() {
                let p = Lsn(pos.0 + off as u64);
                let path = dir.join(segment_file_name(p.segno()));
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(false)
                    .open(path)
                    .expect("open segment");
                f.set_len(WAL_SEGMENT_SIZE).expect("size segment");
                f.seek(SeekFrom::Start(p.segment_offset())).expect("seek");
                let n = (frame.len() - off).min((WAL_SEGMENT_SIZE - p.segment_offset()) as usize);
                f.write_all(&frame[off..off + n]).expect("write");
                off += n;
            }
            lsns.push(pos);
            pos = Lsn(pos.0 + frame.len() as u64);
        }
        lsns
    }

    fn records() -> Vec<(u64, WalRecord)> {
        let checkpoint = CheckpointRecord {
            redo: Lsn::FIRST.0,
            next_xid: 3,
            next_oid: 16384,
            oldest_xid: 3,
            time: 0,
            shutdown: true,
        };
        let insert = WalRecord::Page {
            op: PageOp::HeapInsert,
            blocks: vec![BlockChange {
                rel: RelFileId {
                    spc_oid: 1663,
                    db_oid: 5,
                    rel_number: 16384,
                },
                fork: 0,
                block: 0,
                image: false,
                delta: vec![24, 2 << 1, 7, 7],
            }],
        };
        vec![
            (0, WalRecord::Checkpoint(checkpoint)),
            (742, insert),
            (
                742,
                WalRecord::Commit {
                    time: 0,
                    drop_rels: vec![],
                    drop_dbs: vec![],
                },
            ),
        ]
    }

    fn listing(dir: &Path, start: Option<&str>, limit: Option<u64>) -> Result<Vec<String>, String> {
        let opts = Options {
            dir: dir.to_path_buf(),
            start: start.map(str::to_owned),
            limit,
        };
        let mut out = Vec::new();
        match dump(&opts, &mut out) {
            Ok(()) => Ok(String::from_utf8(out)
                .expect("utf-8")
                .lines()
                .map(str::to_owned)
                .collect()),
            Err(Error::Input(msg)) => Err(msg),
            Err(Error::Output(e)) => panic!("writing to a Vec failed: {e}"),
        }
    }

    /// A data directory with `pg_wal/` holding [`records`] from the start of segment 1.
    fn data_dir() -> (tempfile::TempDir, Vec<Lsn>) {
        let data = tempfile::tempdir().expect("tempdir");
        let wal = data.path().join(PG_WAL_DIR);
        std::fs::create_dir(&wal).expect("mkdir pg_wal");
        let lsns = write_stream(&wal, Lsn::FIRST, &records());
        (data, lsns)
    }

    #[test]
    fn lists_every_record_then_the_end() {
        let (data, lsns) = data_dir();
        let end = Lsn(lsns[2].0 + encode(&records()[2].1, 742, lsns[2]).len() as u64);
        let expected = [
            format!(
                "rmgr: XLOG         len: {:>6}  lsn: 0/01000000  xid:          0  desc: CHECKPOINT_SHUTDOWN redo \
                 0/1000000; next xid 3; next oid 16384; oldest xid 3",
                record::frame_len(&encode(&records()[0].1, 0, lsns[0])).expect("len")
            ),
            format!(
                "rmgr: Heap         len: {:>6}  lsn: {}  xid:        742  desc: INSERT, blkref rel 1663/5/16384 fork \
                 main blk 0 (1 fragments, 2 bytes)",
                record::frame_len(&encode(&records()[1].1, 742, lsns[1])).expect("len"),
                padded(lsns[1])
            ),
            format!(
                "rmgr: Transaction  len: {:>6}  lsn: {}  xid:        742  desc: COMMIT",
                record::frame_len(&encode(&records()[2].1, 742, lsns[2])).expect("len"),
                padded(lsns[2])
            ),
            format!(
                "end of WAL at {} after 3 records: invalid record length at {end}",
                padded(end)
            ),
        ];
        // The data directory and its pg_wal give the same listing.
        assert_eq!(listing(data.path(), None, None).expect("listing"), expected);
        assert_eq!(
            listing(&data.path().join(PG_WAL_DIR), None, None).expect("listing"),
            expected
        );
        // --start at the second record; --limit.
        let from_second = listing(data.path(), Some(&lsns[1].to_string()), None).expect("listing");
        assert_eq!(from_second[..2], expected[1..3]);
        assert_eq!(
            from_second[2],
            format!(
                "end of WAL at {} after 2 records: invalid record length at {end}",
                padded(end)
            )
        );
        let limited = listing(data.path(), None, Some(2)).expect("listing");
        assert_eq!(limited[..2], expected[..2]);
        assert_eq!(
            limited[2],
            format!(
                "stopped after 2 records (--limit); the next record starts at {}",
                padded(lsns[2])
            )
        );
    }

    #[test]
    fn a_first_segment_that_begins_inside_a_record_is_skipped_into() {
        // The first record starts 16 bytes before segment 2 and continues into it; segment 1
        // was removed (as a checkpoint does), so segment 2 begins with that record's tail.
        let data = tempfile::tempdir().expect("tempdir");
        let start = Lsn(2 * WAL_SEGMENT_SIZE - 16);
        let lsns = write_stream(data.path(), start, &records());
        std::fs::remove_file(data.path().join(segment_file_name(1))).expect("remove segment 1");
        let lines = listing(data.path(), None, None).expect("listing");
        let segment_start = Lsn(2 * WAL_SEGMENT_SIZE);
        assert_eq!(
            lines[0],
            format!(
                "first record is after {}, at {}, skipping over {} bytes",
                padded(segment_start),
                padded(lsns[1]),
                lsns[1].0 - segment_start.0
            )
        );
        assert!(lines[1].starts_with("rmgr: Heap         len:"), "{lines:?}");
        assert!(lines[2].contains("desc: COMMIT"), "{lines:?}");
        assert!(lines[3].starts_with("end of WAL at "), "{lines:?}");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let (data, _) = data_dir();
        let missing = data.path().join("nowhere");
        let err = listing(&missing, None, None).expect_err("missing directory");
        assert!(
            err.starts_with(&format!(
                "could not open directory \"{}\": ",
                missing.display()
            )),
            "{err}"
        );
        for bad in ["x", "1000028", "0/", "0/0", "123456789/0", "0/G"] {
            let err = listing(data.path(), Some(bad), None).expect_err(bad);
            assert_eq!(
                err,
                format!("invalid start LSN \"{bad}\" (expected X/X, e.g. 0/1000028)")
            );
        }
        let err = listing(data.path(), Some("0/5000000"), None).expect_err("no segment 5");
        assert!(
            err.starts_with(
                "could not find WAL segment file 000000010000000000000005 for start LSN 0/5000000"
            ),
            "{err}"
        );
        let empty = tempfile::tempdir().expect("tempdir");
        let err = listing(empty.path(), None, None).expect_err("empty");
        assert_eq!(
            err,
            format!("no WAL segment files in \"{}\"", empty.path().display())
        );
        // Garbage in the segment ends the listing, it does not break it.
        let wal = data.path().join(PG_WAL_DIR);
        let path = wal.join(segment_file_name(1));
        let original = std::fs::read(&path).expect("read");
        let mut bytes = original.clone();
        bytes[..64].fill(0xff);
        std::fs::write(&path, &bytes).expect("write");
        let lines = listing(data.path(), None, Some(100)).expect("listing");
        assert!(
            lines[0].starts_with("first record is after 0/01000000, at "),
            "{lines:?}"
        );
        // A truncated segment file too.
        std::fs::write(&path, &original[..30]).expect("truncate");
        let lines = listing(data.path(), None, None).expect("listing");
        assert_eq!(
            lines,
            [
                "end of WAL at 0/01000000 after 0 records: record at 0/1000000 runs past the end of WAL"
            ]
        );
    }
}
