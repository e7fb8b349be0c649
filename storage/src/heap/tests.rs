//! Heap access method tests: golden scripts (`testscripts/*.txt`) for the MVCC
//! state machine of `heapam` and `pruneheap` over the real buffer manager,
//! relation files and transactions, and unit tests for the edge cases
//! (row size, empty relation, tids past the end, many pages, concurrent
//! extension by threads standing in for backends).
//!
//! Golden script format, as `buffer/tests.rs` and `transam/tests.rs`:
//! `> command` lines; the lines after each command are its output,
//! regenerated on every run and compared with the file. Lines starting with
//! `#` and blank lines are kept. `UPDATE_GOLDEN=1 cargo test -p storage heap`
//! rewrites the files. One table `(id int4, val text)`; backends `T1`..`T6`
//! are ProcArray slots 0..5, each with its own `Transam` and `ComboCids`;
//! `vacuum` runs in slot 7, which never has an xid.
//!
//! ```text
//! begin T [rr]            assign an xid (rr: REPEATABLE READ) and take a snapshot
//! snapshot T              a new snapshot at T's current command id
//! cci T                   command counter increment
//! insert T (1, 'a')       heapam::insert; prints the tid
//! fill T N LEN            N inserts of (1000 + i, 'x' * LEN); prints the first and last tid
//! scan T                  HeapScan with T's snapshot: every visible row and its tid
//! fetch T (b,o)           heapam::fetch with T's snapshot
//! update T (b,o) (2, 'b') heapam::update
//! delete T (b,o)          heapam::delete
//! latest T (b,o)          heapam::latest_version_tid
//! commit T | abort T      end the transaction (a read-only one just drops its snapshot)
//! dump                    every page: header, line pointers, tuple headers, rows
//! vacuum                  vacuum_relation at Transam::oldest_xmin, then count_empty_tail
//! ```
//!
//! A wait for another transaction (`wait_for_xid`) is not performed: it
//! prints `T2 waits for xid N` and fails the call with `55P03`, so a script
//! shows that heapam asked to wait and then retries after the other ends.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use types::{Datum, PgError, PgResult, SqlState, oid};

use super::heapam::{self, ExtensionLock, HeapEnv, HeapScan, ModifyResult, NoExtensionLock, WriteXact};
use super::pruneheap;
use super::tuple::*;
use crate::buffer::BufferManager;
use crate::page::{FIRST_OFFSET_NUMBER, ItemPointer, Page};
use crate::shmem::{ProcHandle, SharedMemory, ShmemLayout};
use crate::smgr::{ForkNumber, RelFileLocator, Smgr};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::combocid::ComboCids;
use crate::transam::visibility::Me;
use crate::transam::{CommandId, Snapshot, Transam, TransactionId};

const SLOTS: u32 = 8;
const SYSTEM_SLOT: usize = 7;

fn rel() -> RelFileLocator {
    RelFileLocator::new(5, 16384)
}

fn desc() -> TupleDesc {
    TupleDesc::from_types(&[("id", oid::INT4), ("val", oid::TEXT)]).expect("desc")
}

fn row(id: i32, val: &str) -> Vec<u8> {
    form_tuple(&desc(), &[Datum::Int4(id), Datum::Text(val.to_owned())]).expect("form")
}

/// A bootstrapped, started cluster in `dir` with one empty table.
fn cluster(dir: &Path, buffers: u32) -> (SharedMemory, Arc<SmgrBlockStore>) {
    Transam::bootstrap(dir).expect("bootstrap");
    let shm = SharedMemory::create(ShmemLayout::new(SLOTS, buffers), std::process::id() as i32, 0).expect("segment");
    Transam::new(&shm, dir, SYSTEM_SLOT).startup().expect("startup");
    let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
    store.smgr().create(rel(), ForkNumber::Main, false).expect("create relation");
    (shm, store)
}

/// One backend of a script: its ProcArray slot, transaction and command state.
struct Backend<'a> {
    name: String,
    _proc: ProcHandle<'a>,
    tx: Transam<'a>,
    combos: ComboCids,
    xid: Option<TransactionId>,
    cid: CommandId,
    snapshot: Option<Snapshot>,
    repeatable_read: bool,
}

fn mask_names(mask: u16) -> String {
    const NAMES: [(u16, &str); 11] = [
        (HEAP_HASNULL, "HASNULL"),
        (HEAP_COMBOCID, "COMBOCID"),
        (HEAP_XMAX_EXCL_LOCK, "XMAX_EXCL_LOCK"),
        (HEAP_XMAX_KEYSHR_LOCK, "XMAX_KEYSHR_LOCK"),
        (HEAP_XMAX_LOCK_ONLY, "XMAX_LOCK_ONLY"),
        (HEAP_XMIN_COMMITTED, "XMIN_COMMITTED"),
        (HEAP_XMIN_INVALID, "XMIN_INVALID"),
        (HEAP_XMAX_COMMITTED, "XMAX_COMMITTED"),
        (HEAP_XMAX_INVALID, "XMAX_INVALID"),
        (HEAP_XMAX_IS_MULTI, "XMAX_IS_MULTI"),
        (HEAP_UPDATED, "UPDATED"),
    ];
    let names: Vec<&str> = NAMES.iter().filter(|(b, _)| mask & b != 0).map(|(_, n)| *n).collect();
    if names.is_empty() { "-".to_owned() } else { names.join("|") }
}

fn mask2_names(mask2: u16) -> String {
    const NAMES: [(u16, &str); 3] =
        [(HEAP_KEYS_UPDATED, "KEYS_UPDATED"), (HEAP_HOT_UPDATED, "HOT_UPDATED"), (HEAP_ONLY_TUPLE, "ONLY_TUPLE")];
    let names: Vec<&str> = NAMES.iter().filter(|(b, _)| mask2 & b != 0).map(|(_, n)| *n).collect();
    if names.is_empty() { "-".to_owned() } else { names.join("|") }
}

fn fmt_snapshot(s: &Snapshot) -> String {
    let xip: Vec<String> = s.xip.iter().map(u64::to_string).collect();
    format!("snapshot xmin={} xmax={} xip=[{}] curcid={}", s.xmin, s.xmax, xip.join(","), s.curcid)
}

/// `(1,'a')`; long text is shortened to its first characters and length.
fn fmt_row(tuple: &[u8]) -> PgResult<String> {
    let values = deform_tuple(&desc(), tuple)?;
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Datum::Null => "NULL".to_owned(),
            Datum::Int4(i) => i.to_string(),
            Datum::Text(s) if s.len() > 12 => format!("'{}...'({})", &s[..4], s.len()),
            Datum::Text(s) => format!("'{s}'"),
            other => format!("{other:?}"),
        })
        .collect();
    Ok(format!("({})", parts.join(",")))
}

fn script_error(msg: impl Into<String>) -> PgError {
    PgError::internal(msg.into())
}

/// `(b,o)`
fn parse_tid(s: &str) -> PgResult<ItemPointer> {
    let inner = s.trim().strip_prefix('(').and_then(|s| s.strip_suffix(')')).ok_or_else(|| script_error(format!("bad tid {s}")))?;
    let (b, o) = inner.split_once(',').ok_or_else(|| script_error(format!("bad tid {s}")))?;
    let b = b.trim().parse().map_err(|_| script_error(format!("bad tid {s}")))?;
    let o = o.trim().parse().map_err(|_| script_error(format!("bad tid {s}")))?;
    Ok(ItemPointer::new(b, o))
}

/// `(1, 'a')` or `(1, NULL)`
fn parse_row(s: &str) -> PgResult<Vec<u8>> {
    let bad = || script_error(format!("bad row {s}"));
    let inner = s.trim().strip_prefix('(').and_then(|s| s.strip_suffix(')')).ok_or_else(bad)?;
    let (id, val) = inner.split_once(',').ok_or_else(bad)?;
    let id: i32 = id.trim().parse().map_err(|_| bad())?;
    let val = val.trim();
    let val = if val.eq_ignore_ascii_case("null") {
        Datum::Null
    } else {
        Datum::Text(val.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).ok_or_else(bad)?.to_owned())
    };
    form_tuple(&desc(), &[Datum::Int4(id), val])
}

fn fmt_result(r: &ModifyResult) -> String {
    match r {
        ModifyResult::Updated(tid) => format!("Updated {tid}"),
        other => format!("{other:?}"),
    }
}

fn fmt_error(e: &PgError) -> String {
    format!("error {}: {}", e.code.code(), e.message)
}

fn dump(env: &HeapEnv<'_, '_>, o: &mut String) -> PgResult<()> {
    let n = heapam::nblocks(env, rel())?;
    writeln!(o, "{n} blocks").ok();
    for block in 0..n {
        let buf = env.bufmgr.read_buffer(crate::buffer::BufferTag::new(rel(), ForkNumber::Main, block), crate::buffer::ReadMode::Normal, None)?;
        let page = buf.lock_shared();
        let p = Page::new(&page);
        if p.is_new() {
            writeln!(o, "block {block}: new").ok();
            continue;
        }
        writeln!(
            o,
            "block {block}: lower={} upper={} free={} prune_xid={} has_free_lines={}",
            p.lower(),
            p.upper(),
            p.heap_free_space(),
            p.prune_xid(),
            p.has_free_lines()
        )
        .ok();
        for off in FIRST_OFFSET_NUMBER..=p.max_offset_number() {
            let Some(id) = p.item_id(off) else { continue };
            let tid = ItemPointer::new(block, off);
            if id.is_normal() {
                let bytes = p.get_item(off)?;
                let h = TupleHeader::parse(bytes)?;
                writeln!(
                    o,
                    "  {tid} normal: xmin={} xmax={} cid={} ctid={} {} {} {}",
                    h.xmin(),
                    h.xmax(),
                    h.cid(),
                    h.ctid(),
                    mask_names(h.infomask()),
                    mask2_names(h.infomask2()),
                    fmt_row(bytes)?
                )
                .ok();
            } else if id.is_redirect() {
                writeln!(o, "  {tid} redirect -> {}", id.redirect_target()).ok();
            } else if id.is_dead() {
                writeln!(o, "  {tid} dead").ok();
            } else {
                writeln!(o, "  {tid} unused").ok();
            }
        }
    }
    Ok(())
}

fn run_script(text: &str, dir: &Path) -> String {
    let mut out = String::new();
    let (shm, store) = cluster(dir, 32);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("buffer manager");
    let system = Transam::new(&shm, dir, SYSTEM_SLOT);
    let _system_proc = shm.proc_array().claim(SYSTEM_SLOT, 1).expect("system slot");
    let mut backends: BTreeMap<String, Backend<'_>> = BTreeMap::new();

    for line in text.lines() {
        let Some(cmd) = line.strip_prefix("> ") else {
            if line.starts_with('#') || line.trim().is_empty() {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        };
        writeln!(out, "> {cmd}").ok();
        let (verb, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let mut o = String::new();
        let result: PgResult<()> = (|| {
            match verb {
                "dump" => {
                    let env = HeapEnv { bufmgr: &bufmgr, store: &store, tx: &system, extension_lock: &NoExtensionLock };
                    return dump(&env, &mut o);
                }
                "vacuum" => {
                    let env = HeapEnv { bufmgr: &bufmgr, store: &store, tx: &system, extension_lock: &NoExtensionLock };
                    let oldest = system.oldest_xmin();
                    let (stats, blocks) = pruneheap::vacuum_relation(&env, rel(), oldest, &mut || Ok(()))?;
                    writeln!(
                        o,
                        "oldest_xmin {oldest}: {blocks} blocks, removed {}, live {}, recently dead {}, empty pages {}",
                        stats.removed, stats.live, stats.recently_dead, stats.empty_pages
                    )
                    .ok();
                    writeln!(o, "empty tail {}", pruneheap::count_empty_tail(&env, rel())?).ok();
                    return Ok(());
                }
                _ => {}
            }
            let slot = name
                .strip_prefix('T')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=SYSTEM_SLOT).contains(n))
                .ok_or_else(|| script_error(format!("unknown backend {name:?}")))?
                - 1;
            if !backends.contains_key(name) {
                let proc = shm.proc_array().claim(slot, 1000 + slot as i32).ok_or_else(|| script_error("slot taken"))?;
                proc.activate(slot as i32, 5, 0);
                backends.insert(
                    name.to_owned(),
                    Backend {
                        name: name.to_owned(),
                        _proc: proc,
                        tx: Transam::new(&shm, dir, slot),
                        combos: ComboCids::new(),
                        xid: None,
                        cid: 0,
                        snapshot: None,
                        repeatable_read: false,
                    },
                );
            }
            let Some(b) = backends.get_mut(name) else { return Err(script_error("no backend")) };
            let Backend { name, tx, combos, xid, cid, snapshot, repeatable_read, .. } = b;
            let env = HeapEnv { bufmgr: &bufmgr, store: &store, tx, extension_lock: &NoExtensionLock };
            let need_xid = |x: &Option<TransactionId>| x.ok_or_else(|| script_error("no transaction (begin first)"));
            let need_snapshot =
                |s: &Option<Snapshot>| s.clone().ok_or_else(|| script_error("no snapshot (snapshot first)"));
            let mut waits: Vec<String> = Vec::new();
            // Runs a write with a WriteXact whose waits are recorded and refused.
            macro_rules! with_write {
                (|$w:ident| $body:expr) => {{
                    let who = name.clone();
                    let mut wait = |x: TransactionId| -> PgResult<()> {
                        waits.push(format!("{who} waits for xid {x}"));
                        Err(PgError::new(SqlState::LockNotAvailable, format!("would wait for transaction {x}")))
                    };
                    let mut $w = WriteXact {
                        xid: need_xid(xid)?,
                        cid: *cid,
                        combocids: combos,
                        transaction_snapshot: *repeatable_read,
                        wait_for_xid: &mut wait,
                    };
                    let r = $body;
                    for l in &waits {
                        writeln!(o, "{l}").ok();
                    }
                    r
                }};
            }
            match verb {
                "begin" => {
                    if xid.is_some() {
                        return Err(script_error("already in a transaction"));
                    }
                    *repeatable_read = args.trim() == "rr";
                    let x = tx.assign_xid()?;
                    *xid = Some(x);
                    *cid = 0;
                    let s = tx.snapshot(*cid);
                    writeln!(o, "xid {x}, {}", fmt_snapshot(&s)).ok();
                    *snapshot = Some(s);
                }
                "snapshot" => {
                    let s = tx.snapshot(*cid);
                    writeln!(o, "{}", fmt_snapshot(&s)).ok();
                    *snapshot = Some(s);
                }
                "cci" => {
                    *cid += 1;
                    writeln!(o, "cid {cid}").ok();
                }
                "insert" => {
                    let t = parse_row(args)?;
                    let tid = with_write!(|w| heapam::insert(&env, rel(), t, &mut w))?;
                    writeln!(o, "{tid}").ok();
                }
                "fill" => {
                    let (n, len) = args.split_once(' ').ok_or_else(|| script_error("fill T N LEN"))?;
                    let n: i32 = n.parse().map_err(|_| script_error("bad N"))?;
                    let len: usize = len.trim().parse().map_err(|_| script_error("bad LEN"))?;
                    let tids = with_write!(|w| (1..=n)
                        .map(|i| heapam::insert(&env, rel(), row(1000 + i, &"x".repeat(len)), &mut w))
                        .collect::<PgResult<Vec<_>>>())?;
                    if let (Some(first), Some(last)) = (tids.first(), tids.last()) {
                        writeln!(o, "{n} rows {first}..{last}").ok();
                    }
                }
                "scan" => {
                    let snap = need_snapshot(snapshot)?;
                    let me = Me { xid: *xid, combocids: combos };
                    let mut scan = HeapScan::begin(&env, rel())?;
                    let mut n = 0;
                    while let Some((tid, bytes)) = scan.next(&env, &snap, me)? {
                        writeln!(o, "{tid} {}", fmt_row(&bytes)?).ok();
                        n += 1;
                    }
                    writeln!(o, "{n} rows").ok();
                }
                "fetch" => {
                    let snap = need_snapshot(snapshot)?;
                    let me = Me { xid: *xid, combocids: combos };
                    match heapam::fetch(&env, rel(), parse_tid(args)?, &snap, me)? {
                        Some(bytes) => writeln!(o, "{}", fmt_row(&bytes)?).ok(),
                        None => writeln!(o, "not visible").ok(),
                    };
                }
                "update" => {
                    let (tid, new) = args.split_once(' ').ok_or_else(|| script_error("update T TID ROW"))?;
                    let (tid, new) = (parse_tid(tid)?, parse_row(new)?);
                    let (r, new_tid) = with_write!(|w| heapam::update(&env, rel(), tid, new, &mut w))?;
                    match new_tid {
                        Some(t) => writeln!(o, "{}, new version {t}", fmt_result(&r)).ok(),
                        None => writeln!(o, "{}", fmt_result(&r)).ok(),
                    };
                }
                "delete" => {
                    let tid = parse_tid(args)?;
                    let r = with_write!(|w| heapam::delete(&env, rel(), tid, &mut w))?;
                    writeln!(o, "{}", fmt_result(&r)).ok();
                }
                "latest" => {
                    let tid = parse_tid(args)?;
                    let r = with_write!(|w| heapam::latest_version_tid(&env, rel(), tid, &mut w))?;
                    match r {
                        Some(t) => writeln!(o, "{t}").ok(),
                        None => writeln!(o, "none").ok(),
                    };
                }
                "commit" | "abort" => {
                    match xid.take() {
                        Some(x) if verb == "commit" => tx.commit(x, false, false)?,
                        Some(x) => tx.abort(x)?,
                        None => tx.end_without_xid(),
                    }
                    combos.clear();
                    *cid = 0;
                    *snapshot = None;
                }
                other => return Err(script_error(format!("unknown command {other:?}"))),
            }
            Ok(())
        })();
        out.push_str(&o);
        if let Err(e) = result {
            writeln!(out, "{}", fmt_error(&e)).ok();
        }
    }
    out
}

#[test]
fn golden_scripts() {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/heap/testscripts");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut entries: Vec<_> =
        std::fs::read_dir(&scripts).expect("testscripts dir").flatten().map(|e| e.path()).collect();
    entries.sort();
    assert!(!entries.is_empty());
    let mut failed = Vec::new();
    for path in entries {
        let expected = std::fs::read_to_string(&path).expect("read script");
        let dir = tempfile::tempdir().expect("tempdir");
        let actual = run_script(&expected, dir.path());
        if actual != expected {
            if update {
                std::fs::write(&path, &actual).expect("rewrite script");
            } else {
                eprintln!("--- {} expected\n{expected}\n--- actual\n{actual}", path.display());
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "golden scripts differ: {failed:?} (UPDATE_GOLDEN=1 to rewrite)");
}
