//! Sorting the entries of an index build within a memory budget
//! (PostgreSQL's `tuplesort.c` for `nbtsort.c`): entries are sorted in
//! memory until they exceed `maintenance_work_mem`; each full batch is
//! written, sorted, to a temporary file (a *run*) under
//! `base/pgsql_tmp/`, and the runs are merged at the end, one entry of each
//! in memory at a time.
//!
//! A run is a sequence of records `[u32 length][u8 live][leaf tuple]`; the
//! leaf tuple (`itup::form_leaf`) carries the key values and the heap tid.
//! Temporary files are named `pgsql_tmp<pid>.<n>`, removed when the spool
//! is dropped (also on error), and left over by a crash only until the
//! next start (the postmaster clears the directory).

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use types::{Datum, PgError, PgResult, SqlState};

use super::IndexDesc;
use super::itup::{IndexTuple, cmp_keys, form_leaf};
use crate::page::ItemPointer;

/// One entry: the index columns, the heap tid, and whether the row is live
/// (unique checks skip the others).
pub type Entry = (Vec<Datum>, ItemPointer, bool);

/// The directory of temporary files under a data directory.
pub fn temp_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("base").join("pgsql_tmp")
}

/// Removes every temporary file (at start-up: a crash leaves them behind).
pub fn remove_temp_files(data_dir: &std::path::Path) -> std::io::Result<()> {
    let dir = temp_dir(data_dir);
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("pgsql_tmp") {
                    std::fs::remove_file(e.path())?;
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn io_error(what: &str, path: &std::path::Path, e: std::io::Error) -> PgError {
    PgError::new(
        SqlState::IoError,
        format!(
            "could not {what} temporary file \"{}\": {e}",
            path.display()
        ),
    )
}

/// Orders entries as the index does: key columns, then heap tid.
fn cmp_entries(desc: &IndexDesc, a: &Entry, b: &Entry) -> PgResult<Ordering> {
    Ok(
        match cmp_keys(desc, &a.0[..desc.nkeyatts], &b.0[..desc.nkeyatts])? {
            Ordering::Equal => a.1.cmp(&b.1),
            o => o,
        },
    )
}

fn sort_in_memory(desc: &IndexDesc, entries: &mut [Entry]) -> PgResult<()> {
    let mut failed = None;
    entries.sort_unstable_by(|a, b| {
        cmp_entries(desc, a, b).unwrap_or_else(|e| {
            failed.get_or_insert(e);
            Ordering::Equal
        })
    });
    failed.map_or(Ok(()), Err)
}

/// Rough memory an entry takes, for the budget.
fn footprint(e: &Entry) -> usize {
    let data: usize =
        e.0.iter()
            .map(|d| match d {
                Datum::Text(s) => s.len(),
                Datum::Bytea(b) => b.len(),
                _ => 0,
            })
            .sum();
    64 + 32 * e.0.len() + data
}

/// Collects entries and hands them back sorted.
pub struct Spool<'d> {
    desc: &'d IndexDesc,
    budget: usize,
    used: usize,
    batch: Vec<Entry>,
    dir: PathBuf,
    runs: Vec<PathBuf>,
}

impl<'d> Spool<'d> {
    /// A spool that keeps at most about `budget` bytes in memory, spilling
    /// to `dir` (created if needed).
    pub fn new(desc: &'d IndexDesc, budget: usize, dir: PathBuf) -> Spool<'d> {
        Spool {
            desc,
            budget: budget.max(64 * 1024),
            used: 0,
            batch: Vec::new(),
            dir,
            runs: Vec::new(),
        }
    }

    /// How many runs went to disk so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    pub fn add(&mut self, e: Entry) -> PgResult<()> {
        self.used += footprint(&e);
        self.batch.push(e);
        if self.used > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the batch in memory and writes it as a run.
    fn spill(&mut self) -> PgResult<()> {
        sort_in_memory(self.desc, &mut self.batch)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| io_error("create directory for", &self.dir, e))?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self
            .dir
            .join(format!("pgsql_tmp{}.{n}", std::process::id()));
        let file = File::create(&path).map_err(|e| io_error("create", &path, e))?;
        self.runs.push(path.clone());
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        for (values, tid, live) in self.batch.drain(..) {
            let t = form_leaf(self.desc, &values, tid)?;
            w.write_all(&(t.len() as u32).to_le_bytes())
                .map_err(|e| io_error("write", &path, e))?;
            w.write_all(&[u8::from(live)])
                .map_err(|e| io_error("write", &path, e))?;
            w.write_all(&t).map_err(|e| io_error("write", &path, e))?;
        }
        w.flush().map_err(|e| io_error("write", &path, e))?;
        self.used = 0;
        Ok(())
    }

    /// Every entry added, in index order.
    pub fn finish(mut self) -> PgResult<Sorted<'d>> {
        if self.runs.is_empty() {
            let mut batch = std::mem::take(&mut self.batch);
            sort_in_memory(self.desc, &mut batch)?;
            return Ok(Sorted {
                desc: self.desc,
                memory: batch.into_iter(),
                readers: Vec::new(),
                heads: Vec::new(),
                _files: self.runs_guard(),
            });
        }
        if !self.batch.is_empty() {
            self.spill()?;
        }
        let mut readers = Vec::new();
        for path in &self.runs {
            let f = File::open(path).map_err(|e| io_error("open", path, e))?;
            readers.push(RunReader {
                path: path.clone(),
                r: BufReader::with_capacity(256 * 1024, f),
                buf: Vec::new(),
            });
        }
        let heads = readers
            .iter_mut()
            .map(|r| r.next(self.desc))
            .collect::<PgResult<Vec<_>>>()?;
        Ok(Sorted {
            desc: self.desc,
            memory: Vec::new().into_iter(),
            readers,
            heads,
            _files: self.runs_guard(),
        })
    }

    fn runs_guard(&mut self) -> TempFiles {
        TempFiles(std::mem::take(&mut self.runs))
    }
}

impl Drop for Spool<'_> {
    fn drop(&mut self) {
        for p in &self.runs {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Removes the run files when the merge is over (or abandoned).
struct TempFiles(Vec<PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

struct RunReader {
    path: PathBuf,
    r: BufReader<File>,
    buf: Vec<u8>,
}

impl RunReader {
    fn next(&mut self, desc: &IndexDesc) -> PgResult<Option<Entry>> {
        let mut len = [0u8; 4];
        match self.r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io_error("read", &self.path, e)),
        }
        let mut live = [0u8; 1];
        self.r
            .read_exact(&mut live)
            .map_err(|e| io_error("read", &self.path, e))?;
        // One buffer serves every record: the entry is decoded out of it.
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.r
            .read_exact(&mut self.buf)
            .map_err(|e| io_error("read", &self.path, e))?;
        let it = IndexTuple::parse(&self.buf)?;
        let tid = it
            .heap_tid()
            .ok_or_else(|| PgError::internal("a sorted index entry without a heap tid"))?;
        Ok(Some((it.values(desc)?, tid, live[0] != 0)))
    }
}

/// The sorted entries of a [`Spool`].
pub struct Sorted<'d> {
    desc: &'d IndexDesc,
    memory: std::vec::IntoIter<Entry>,
    readers: Vec<RunReader>,
    /// Each run's next entry (None once the run is exhausted).
    heads: Vec<Option<Entry>>,
    _files: TempFiles,
}

impl Sorted<'_> {
    /// The next entry in index order: the smallest of the runs' heads (a
    /// linear pick: runs are few, each holds `maintenance_work_mem` of
    /// entries).
    pub fn next_entry(&mut self) -> PgResult<Option<Entry>> {
        if self.readers.is_empty() {
            return Ok(self.memory.next());
        }
        let mut best: Option<usize> = None;
        for i in 0..self.heads.len() {
            let Some(e) = &self.heads[i] else { continue };
            let better = match best.and_then(|b| self.heads[b].as_ref()) {
                None => true,
                Some(cur) => cmp_entries(self.desc, e, cur)? == Ordering::Less,
            };
            if better {
                best = Some(i);
            }
        }
        let Some(i) = best else { return Ok(None) };
        let entry = self.heads[i].take();
        self.heads[i] = self.readers[i].next(self.desc)?;
        Ok(entry)
    }
}
