//! Reading the WAL: records in order from an LSN until the first one that is
//! missing, torn or invalid (PostgreSQL's `XLogReader`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::record::{self, HEADER_SIZE, RecordHeader, WalRecord};
use crate::segment::{Lsn, WAL_SEGMENT_SIZE, segment_file_name};

/// How much of a segment file is read at a time.
const WINDOW: usize = 1 << 20;

/// Walks the records under a `pg_wal` directory.
pub struct WalReader {
    dir: PathBuf,
    /// Where the next record starts.
    pos: Lsn,
    /// The segment being read, and a window of its bytes starting at
    /// `window_off` (the file is read a window at a time, not whole).
    seg: Option<(u64, File)>,
    window_off: usize,
    window: Vec<u8>,
    /// The record being read (kept to reuse its allocation).
    frame: Vec<u8>,
    /// Why the last `next` returned `None`, for the log.
    end_reason: Option<String>,
}

impl WalReader {
    /// A reader of `dir` (the `pg_wal` directory) starting at `start`.
    pub fn new(dir: impl AsRef<Path>, start: Lsn) -> WalReader {
        WalReader {
            dir: dir.as_ref().to_path_buf(),
            pos: start,
            seg: None,
            window_off: 0,
            window: Vec::new(),
            frame: Vec::new(),
            end_reason: None,
        }
    }

    /// Where the next record would start: after [`Self::next`] returned `None`,
    /// the end of valid WAL.
    pub fn position(&self) -> Lsn {
        self.pos
    }

    /// Why reading stopped ("invalid record length at 0/1000150", ...).
    pub fn end_reason(&self) -> Option<&str> {
        self.end_reason.as_deref()
    }

    /// `want` bytes of segment `segno` at `off`; `None` if the file is
    /// missing or shorter.
    fn segment_bytes(&mut self, segno: u64, off: usize, want: usize) -> Option<&[u8]> {
        if self.seg.as_ref().map(|(s, _)| *s) != Some(segno) {
            let file = File::open(self.dir.join(segment_file_name(segno))).ok()?;
            self.seg = Some((segno, file));
            self.window.clear();
            self.window_off = 0;
        }
        let covered = off >= self.window_off && off + want <= self.window_off + self.window.len();
        if !covered {
            let (_, file) = self.seg.as_ref()?;
            let len = want.max(WINDOW).min(WAL_SEGMENT_SIZE as usize - off);
            self.window.resize(len, 0);
            let mut got = 0;
            while got < len {
                match file.read_at(&mut self.window[got..], (off + got) as u64) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            self.window.truncate(got);
            self.window_off = off;
        }
        self.window
            .get(off - self.window_off..off - self.window_off + want)
    }

    /// `len` bytes of the stream at `at`, across segment files, into `out`
    /// (cleared first; the caller reuses it from record to record).
    fn fetch(&mut self, at: Lsn, len: usize, out: &mut Vec<u8>) -> Option<()> {
        out.clear();
        let mut p = at;
        while out.len() < len {
            let off = p.segment_offset() as usize;
            let want = (len - out.len()).min(WAL_SEGMENT_SIZE as usize - off);
            let chunk = self.segment_bytes(p.segno(), off, want)?;
            out.extend_from_slice(chunk);
            p = Lsn(p.0 + want as u64);
        }
        Some(())
    }

    /// The next valid record, or `None` at the end of valid WAL.
    pub fn next_record(&mut self) -> Option<(Lsn, RecordHeader, WalRecord)> {
        let at = self.pos;
        let mut frame = std::mem::take(&mut self.frame);
        let result = self.read_record(at, &mut frame);
        self.frame = frame;
        result
    }

    fn read_record(
        &mut self,
        at: Lsn,
        frame: &mut Vec<u8>,
    ) -> Option<(Lsn, RecordHeader, WalRecord)> {
        if self.fetch(at, HEADER_SIZE, frame).is_none() {
            self.end_reason = Some(format!("no WAL segment file for {at}"));
            return None;
        }
        let Some(len) = record::frame_len(frame) else {
            self.end_reason = Some(format!("invalid record length at {at}"));
            return None;
        };
        if self.fetch(at, len, frame).is_none() {
            self.end_reason = Some(format!("record at {at} runs past the end of WAL"));
            return None;
        }
        let Some((header, body)) = record::decode(frame, at) else {
            self.end_reason = Some(format!("incorrect record checksum at {at}"));
            return None;
        };
        self.pos = Lsn(at.0 + header.stream_len());
        Some((at, header, body))
    }
}

impl Iterator for WalReader {
    type Item = (Lsn, RecordHeader, WalRecord);
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    use super::*;
    use crate::record::encode;

    /// Writes `records` from `start` into segment files under `dir`.
    fn write_stream(dir: &Path, start: Lsn, records: &[WalRecord]) -> Vec<Lsn> {
        let mut lsns = Vec::new();
        let mut pos = start;
        for r in records {
            let frame = encode(r, 1, pos);
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

    fn commit(n: u32) -> WalRecord {
        WalRecord::Commit {
            time: i64::from(n),
            drop_rels: vec![],
            drop_dbs: vec![],
        }
    }

    #[test]
    fn reads_across_segments_and_stops_at_the_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let start = Lsn(2 * WAL_SEGMENT_SIZE - 16);
        let recs: Vec<WalRecord> = (0..5).map(commit).collect();
        let lsns = write_stream(dir.path(), start, &recs);
        let mut r = WalReader::new(dir.path(), start);
        let got: Vec<_> = r.by_ref().map(|(l, _, b)| (l, b)).collect();
        assert_eq!(got, lsns.into_iter().zip(recs).collect::<Vec<_>>());
        assert_eq!(
            r.end_reason(),
            Some(format!("invalid record length at {}", r.position()).as_str())
        );
    }

    #[test]
    fn a_torn_or_damaged_record_ends_the_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recs: Vec<WalRecord> = (0..4).map(commit).collect();
        let lsns = write_stream(dir.path(), Lsn::FIRST, &recs);
        let path = dir.path().join(segment_file_name(1));
        let mut bytes = std::fs::read(&path).expect("read segment");
        bytes[lsns[2].segment_offset() as usize + 20] ^= 0x40;
        std::fs::write(&path, &bytes).expect("write segment");
        let r = WalReader::new(dir.path(), Lsn::FIRST);
        assert_eq!(r.count(), 2);
        // A stale record from another position is not taken for the next one.
        let other = encode(&commit(9), 1, Lsn(lsns[3].0 + 4096));
        bytes[lsns[2].segment_offset() as usize..][..other.len()].copy_from_slice(&other);
        std::fs::write(&path, &bytes).expect("write segment");
        assert_eq!(WalReader::new(dir.path(), Lsn::FIRST).count(), 2);
    }
}
