//! Sorting the entries of an index build within a memory budget
//! (PostgreSQL's `tuplesort.c` for `nbtsort.c`): entries are sorted in
//! memory until they exceed `maintenance_work_mem`; each full batch is
//! written, sorted, to a temporary file (a *run*) under
//! `base/pgsql_tmp/`, and the runs are merged at the end, one entry of each
//! in memory at a time.
//!
//! Each entry is kept as its leaf tuple (`itup::form_leaf`, formed once as
//! it is added: the key values and the heap tid) with whether its row is
//! live, and compared in place; in memory it also carries its first key
//! column reduced to a number that orders as the column does ([`Abbrev`],
//! PostgreSQL's abbreviated keys), so that most comparisons read no tuple.
//! A run is a sequence of records `[u32 length][u8 live][leaf tuple]`.
//! Temporary files are named `pgsql_tmp<pid>.<n>`, removed when the spool
//! is dropped (also on error), and left over by a crash only until the
//! next start (the postmaster clears the directory).

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use types::{Datum, PgError, PgResult, SqlState};

use super::IndexDesc;
use super::itup::{IndexTuple, cmp_leaf, form_leaf};
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

/// An entry's first key column reduced to a number that orders as the
/// column does: (NULL rank, bits). For integer-like types the bits are the
/// whole value, so equal bits mean equal columns ([`abbreviate`] says
/// exact); for text, bytea and uuid (byte order) the first eight bytes;
/// other types give 0 (always the full comparison).
type Abbrev = (u8, u64);

/// The abbreviation of `values`' first column, and whether it is exact.
fn abbreviate(desc: &IndexDesc, values: &[Datum]) -> (Abbrev, bool) {
    let Some(first) = values.first() else {
        return ((1, 0), false);
    };
    let opt = desc.options.first().copied().unwrap_or_default();
    let signed = |v: i64| (v as u64) ^ (1 << 63);
    let prefix = |b: &[u8]| {
        let mut word = [0u8; 8];
        let n = b.len().min(8);
        word[..n].copy_from_slice(&b[..n]);
        u64::from_be_bytes(word)
    };
    let (bits, exact) = match first {
        Datum::Null => return ((if opt.nulls_first { 0 } else { 2 }, 0), true),
        Datum::Bool(v) => (u64::from(*v), true),
        Datum::Int2(v) => (signed(i64::from(*v)), true),
        Datum::Int4(v) | Datum::Date(v) => (signed(i64::from(*v)), true),
        Datum::Int8(v) | Datum::Time(v) | Datum::Timestamp(v) | Datum::Timestamptz(v) => {
            (signed(*v), true)
        }
        Datum::Oid(v) => (u64::from(*v), true),
        Datum::Text(t) => (prefix(t.as_bytes()), false),
        Datum::Bytea(b) => (prefix(b), false),
        Datum::Uuid(u) => (prefix(u), false),
        _ => (0, false),
    };
    ((1, if opt.desc { !bits } else { bits }), exact)
}

/// An entry in memory.
struct Item {
    abbrev: Abbrev,
    live: bool,
    tuple: Vec<u8>,
}

/// Orders two items as the index does: key columns, then heap tid. With an
/// exact abbreviation of the only key column, equal abbreviations leave
/// only the tids to compare.
fn cmp_items(desc: &IndexDesc, exact_single: bool, a: &Item, b: &Item) -> PgResult<Ordering> {
    match a.abbrev.cmp(&b.abbrev) {
        Ordering::Equal if exact_single => Ok(IndexTuple::parse(&a.tuple)?
            .heap_tid()
            .cmp(&IndexTuple::parse(&b.tuple)?.heap_tid())),
        Ordering::Equal => cmp_leaf(desc, &a.tuple, &b.tuple),
        o => Ok(o),
    }
}

fn sort_in_memory(desc: &IndexDesc, exact_single: bool, items: &mut [Item]) -> PgResult<()> {
    let mut failed = None;
    items.sort_unstable_by(|a, b| {
        cmp_items(desc, exact_single, a, b).unwrap_or_else(|e| {
            failed.get_or_insert(e);
            Ordering::Equal
        })
    });
    failed.map_or(Ok(()), Err)
}

/// Memory an item takes, for the budget.
fn footprint(it: &Item) -> usize {
    48 + it.tuple.len()
}

/// Collects entries and hands them back sorted.
pub struct Spool<'d> {
    desc: &'d IndexDesc,
    budget: usize,
    used: usize,
    /// Every abbreviation so far was exact and there is one key column.
    exact_single: bool,
    batch: Vec<Item>,
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
            exact_single: desc.nkeyatts == 1,
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
        let (values, tid, live) = e;
        let (abbrev, exact) = abbreviate(self.desc, &values);
        self.exact_single &= exact;
        let item = Item {
            abbrev,
            live,
            tuple: form_leaf(self.desc, &values, tid)?,
        };
        self.used += footprint(&item);
        self.batch.push(item);
        if self.used > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the batch in memory and writes it as a run.
    fn spill(&mut self) -> PgResult<()> {
        sort_in_memory(self.desc, self.exact_single, &mut self.batch)?;
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
        for it in self.batch.drain(..) {
            w.write_all(&(it.tuple.len() as u32).to_le_bytes())
                .map_err(|e| io_error("write", &path, e))?;
            w.write_all(&[u8::from(it.live)])
                .map_err(|e| io_error("write", &path, e))?;
            w.write_all(&it.tuple)
                .map_err(|e| io_error("write", &path, e))?;
        }
        w.flush().map_err(|e| io_error("write", &path, e))?;
        self.used = 0;
        Ok(())
    }

    /// Every entry added, in index order.
    pub fn finish(mut self) -> PgResult<Sorted<'d>> {
        if self.runs.is_empty() {
            let mut batch = std::mem::take(&mut self.batch);
            sort_in_memory(self.desc, self.exact_single, &mut batch)?;
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
            });
        }
        let heads = readers
            .iter_mut()
            .map(RunReader::next)
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
}

impl RunReader {
    /// The next record: a leaf tuple and whether its row is live.
    fn next(&mut self) -> PgResult<Option<(Vec<u8>, bool)>> {
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
        let mut tuple = vec![0u8; u32::from_le_bytes(len) as usize];
        self.r
            .read_exact(&mut tuple)
            .map_err(|e| io_error("read", &self.path, e))?;
        Ok(Some((tuple, live[0] != 0)))
    }
}

/// The sorted entries of a [`Spool`].
pub struct Sorted<'d> {
    desc: &'d IndexDesc,
    memory: std::vec::IntoIter<Item>,
    readers: Vec<RunReader>,
    /// Each run's next record (None once the run is exhausted).
    heads: Vec<Option<(Vec<u8>, bool)>>,
    _files: TempFiles,
}

impl Sorted<'_> {
    /// The next entry in index order as its leaf tuple, with whether its row
    /// is live: the smallest of the runs' heads (a linear pick: runs are
    /// few, each holds `maintenance_work_mem` of entries).
    pub fn next_tuple(&mut self) -> PgResult<Option<(Vec<u8>, bool)>> {
        if self.readers.is_empty() {
            return Ok(self.memory.next().map(|it| (it.tuple, it.live)));
        }
        let mut best: Option<usize> = None;
        for i in 0..self.heads.len() {
            let Some((t, _)) = &self.heads[i] else {
                continue;
            };
            let better = match best.and_then(|b| self.heads[b].as_ref()) {
                None => true,
                Some((cur, _)) => cmp_leaf(self.desc, t, cur)? == Ordering::Less,
            };
            if better {
                best = Some(i);
            }
        }
        let Some(i) = best else { return Ok(None) };
        let head = self.heads[i].take();
        self.heads[i] = self.readers[i].next()?;
        Ok(head)
    }

    /// [`Self::next_tuple`] decoded: the index columns, heap tid and liveness.
    pub fn next_entry(&mut self) -> PgResult<Option<Entry>> {
        let Some((tuple, live)) = self.next_tuple()? else {
            return Ok(None);
        };
        let t = IndexTuple::parse(&tuple)?;
        let tid = t
            .heap_tid()
            .ok_or_else(|| PgError::internal("a sorted index entry without a heap tid"))?;
        Ok(Some((t.values(self.desc)?, tid, live)))
    }
}
