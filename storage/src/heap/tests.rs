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
//! fetchhot T (b,o)        heapam::fetch_hot from the root (b,o): the visible member's tid and row
//! probe T (b,o)           heapam::unique_probe from the root (b,o)
//! update T (b,o) (2, 'b') [nohot]
//!                         heapam::update (nohot: hot_allowed false, an indexed column changed)
//! delete T (b,o)          heapam::delete
//! latest T (b,o)          heapam::latest_version_tid
//! lock T (b,o) MODE [WAIT] heapam::lock_tuple; MODE keyshare | share | nokeyupdate | update,
//!                         WAIT block (default) | nowait | skiplocked
//! commit T | abort T      end the transaction (a read-only one just drops its snapshot)
//! dump                    every page: header, line pointers, tuple headers, rows
//! vacuum [failindex]      vacuum_relation at Transam::oldest_xmin, then count_empty_tail; the
//!                         dead tids its index cleanup callback received are printed
//!                         (failindex: the callback fails, as a broken index would)
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

use super::heapam::{
    self, ExtensionLock, HeapEnv, HeapScan, LockTupleResult, ModifyResult, NoExtensionLock,
    RowLockMode, RowLockWait, UniqueProbe, WriteXact,
};
use super::pruneheap;
use super::tuple::*;
use crate::buffer::BufferManager;
use crate::page::{FIRST_OFFSET_NUMBER, ItemPointer, Page};
use crate::shmem::{ProcHandle, SharedMemory, ShmemLayout};
use crate::smgr::{ForkNumber, RelFileLocator, Smgr};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::combocid::ComboCids;
use crate::transam::visibility::Me;
use crate::transam::{CommandId, Snapshot, TransactionId, Transam};

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
    let shm = SharedMemory::create(
        ShmemLayout::new(SLOTS, buffers),
        std::process::id() as i32,
        0,
    )
    .expect("segment");
    Transam::new(&shm, dir, SYSTEM_SLOT)
        .startup()
        .expect("startup");
    let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
    store
        .smgr()
        .create(rel(), ForkNumber::Main, false)
        .expect("create relation");
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
    crate::heap::tuple::flag_names(mask, &NAMES)
}

fn mask2_names(mask2: u16) -> String {
    const NAMES: [(u16, &str); 3] = [
        (HEAP_KEYS_UPDATED, "KEYS_UPDATED"),
        (HEAP_HOT_UPDATED, "HOT_UPDATED"),
        (HEAP_ONLY_TUPLE, "ONLY_TUPLE"),
    ];
    crate::heap::tuple::flag_names(mask2, &NAMES)
}

fn fmt_snapshot(s: &Snapshot) -> String {
    let xip: Vec<String> = s.xip.iter().map(u64::to_string).collect();
    format!(
        "snapshot xmin={} xmax={} xip=[{}] curcid={}",
        s.xmin,
        s.xmax,
        xip.join(","),
        s.curcid
    )
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
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| script_error(format!("bad tid {s}")))?;
    let (b, o) = inner
        .split_once(',')
        .ok_or_else(|| script_error(format!("bad tid {s}")))?;
    let b = b
        .trim()
        .parse()
        .map_err(|_| script_error(format!("bad tid {s}")))?;
    let o = o
        .trim()
        .parse()
        .map_err(|_| script_error(format!("bad tid {s}")))?;
    Ok(ItemPointer::new(b, o))
}

/// `(1, 'a')` or `(1, NULL)`
fn parse_row(s: &str) -> PgResult<Vec<u8>> {
    let bad = || script_error(format!("bad row {s}"));
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(bad)?;
    let (id, val) = inner.split_once(',').ok_or_else(bad)?;
    let id: i32 = id.trim().parse().map_err(|_| bad())?;
    let val = val.trim();
    let val = if val.eq_ignore_ascii_case("null") {
        Datum::Null
    } else {
        Datum::Text(
            val.strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .ok_or_else(bad)?
                .to_owned(),
        )
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
        let buf = env.bufmgr.read_buffer(
            crate::buffer::BufferTag::new(rel(), ForkNumber::Main, block),
            crate::buffer::ReadMode::Normal,
            None,
        )?;
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
                    let env = HeapEnv {
                        bufmgr: &bufmgr,
                        store: &store,
                        tx: &system,
                        extension_lock: &NoExtensionLock,
                    };
                    return dump(&env, &mut o);
                }
                "vacuum" => {
                    let env = HeapEnv {
                        bufmgr: &bufmgr,
                        store: &store,
                        tx: &system,
                        extension_lock: &NoExtensionLock,
                    };
                    let oldest = system.oldest_xmin();
                    let fail = match name {
                        "" => false,
                        "failindex" => true,
                        other => return Err(script_error(format!("bad vacuum option {other:?}"))),
                    };
                    let mut cleaned: Vec<String> = Vec::new();
                    let mut index_cleanup = |tids: &[ItemPointer]| -> PgResult<()> {
                        let list: Vec<String> = tids.iter().map(ToString::to_string).collect();
                        cleaned.push(format!("index cleanup: {}", list.join(" ")));
                        if fail {
                            Err(script_error("index cleanup failed"))
                        } else {
                            Ok(())
                        }
                    };
                    let result = pruneheap::vacuum_relation(
                        &env,
                        rel(),
                        oldest,
                        &mut || Ok(()),
                        &mut index_cleanup,
                    );
                    for line in &cleaned {
                        writeln!(o, "{line}").ok();
                    }
                    let (stats, blocks) = result?;
                    writeln!(
                        o,
                        "oldest_xmin {oldest}: {blocks} blocks, removed {}, live {}, recently dead {}, empty pages {}, dead items {}",
                        stats.removed, stats.live, stats.recently_dead, stats.empty_pages, stats.dead_items
                    )
                    .ok();
                    writeln!(
                        o,
                        "empty tail {}",
                        pruneheap::count_empty_tail(&env, rel())?
                    )
                    .ok();
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
                let proc = shm
                    .proc_array()
                    .claim(slot, 1000 + slot as i32)
                    .ok_or_else(|| script_error("slot taken"))?;
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
            let Some(b) = backends.get_mut(name) else {
                return Err(script_error("no backend"));
            };
            let Backend {
                name,
                tx,
                combos,
                xid,
                cid,
                snapshot,
                repeatable_read,
                ..
            } = b;
            let env = HeapEnv {
                bufmgr: &bufmgr,
                store: &store,
                tx,
                extension_lock: &NoExtensionLock,
            };
            let need_xid = |x: &Option<TransactionId>| {
                x.ok_or_else(|| script_error("no transaction (begin first)"))
            };
            let need_snapshot = |s: &Option<Snapshot>| {
                s.clone()
                    .ok_or_else(|| script_error("no snapshot (snapshot first)"))
            };
            let mut waits: Vec<String> = Vec::new();
            // Runs a write with a WriteXact whose waits are recorded and refused.
            macro_rules! with_write {
                (|$w:ident| $body:expr) => {{
                    let who = name.clone();
                    let mut wait = |x: TransactionId| -> PgResult<()> {
                        waits.push(format!("{who} waits for xid {x}"));
                        Err(PgError::new(
                            SqlState::LockNotAvailable,
                            format!("would wait for transaction {x}"),
                        ))
                    };
                    let mut $w = WriteXact {
                        xid: need_xid(xid)?,
                        cid: *cid,
                        combocids: combos,
                        transaction_snapshot: *repeatable_read,
                        wait_for_xid: &mut wait,
                        undo: None,
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
                    let tid = with_write!(|w| heapam::insert(&env, rel(), t, 0, &mut w))?;
                    writeln!(o, "{tid}").ok();
                }
                "fill" => {
                    let (n, len) = args
                        .split_once(' ')
                        .ok_or_else(|| script_error("fill T N LEN"))?;
                    let n: i32 = n.parse().map_err(|_| script_error("bad N"))?;
                    let len: usize = len.trim().parse().map_err(|_| script_error("bad LEN"))?;
                    let tids = with_write!(|w| (1..=n)
                        .map(|i| heapam::insert(
                            &env,
                            rel(),
                            row(1000 + i, &"x".repeat(len)),
                            0,
                            &mut w
                        ))
                        .collect::<PgResult<Vec<_>>>())?;
                    if let (Some(first), Some(last)) = (tids.first(), tids.last()) {
                        writeln!(o, "{n} rows {first}..{last}").ok();
                    }
                }
                "scan" => {
                    let snap = need_snapshot(snapshot)?;
                    let me = Me {
                        xid: *xid,
                        combocids: combos,
                    };
                    let mut scan = HeapScan::begin(&env, rel())?;
                    let mut n = 0;
                    while let Some((tid, bytes)) = scan.next(&env, &snap, me)? {
                        writeln!(o, "{tid} {}", fmt_row(bytes)?).ok();
                        n += 1;
                    }
                    writeln!(o, "{n} rows").ok();
                }
                "fetch" => {
                    let snap = need_snapshot(snapshot)?;
                    let me = Me {
                        xid: *xid,
                        combocids: combos,
                    };
                    match heapam::fetch(&env, rel(), parse_tid(args)?, &snap, me)? {
                        Some(bytes) => writeln!(o, "{}", fmt_row(&bytes)?).ok(),
                        None => writeln!(o, "not visible").ok(),
                    };
                }
                "fetchhot" => {
                    let snap = need_snapshot(snapshot)?;
                    let me = Me {
                        xid: *xid,
                        combocids: combos,
                    };
                    match heapam::fetch_hot(&env, rel(), parse_tid(args)?, &snap, me)? {
                        Some((tid, bytes)) => writeln!(o, "{tid} {}", fmt_row(&bytes)?).ok(),
                        None => writeln!(o, "not visible").ok(),
                    };
                }
                "probe" => {
                    let me = Me {
                        xid: *xid,
                        combocids: combos,
                    };
                    match heapam::unique_probe(&env, rel(), parse_tid(args)?, me)? {
                        UniqueProbe::InProgress(x) => writeln!(o, "InProgress xid {x}").ok(),
                        other => writeln!(o, "{other:?}").ok(),
                    };
                }
                "update" => {
                    let (tid, new) = args
                        .split_once(' ')
                        .ok_or_else(|| script_error("update T TID ROW [nohot]"))?;
                    let (new, hot_allowed) = match new.trim_end().strip_suffix("nohot") {
                        Some(row) => (row, false),
                        None => (new, true),
                    };
                    let (tid, new) = (parse_tid(tid)?, parse_row(new)?);
                    let (r, new_tid) = with_write!(|w| heapam::update(
                        &env,
                        rel(),
                        tid,
                        new,
                        hot_allowed,
                        0,
                        &mut w
                    ))?;
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
                "lock" => {
                    let mut parts = args.split_whitespace();
                    let tid = parse_tid(parts.next().unwrap_or(""))?;
                    let mode = match parts.next() {
                        Some("keyshare") => RowLockMode::KeyShare,
                        Some("share") => RowLockMode::Share,
                        Some("nokeyupdate") => RowLockMode::NoKeyUpdate,
                        Some("update") => RowLockMode::Update,
                        other => return Err(script_error(format!("bad lock mode {other:?}"))),
                    };
                    let policy = match parts.next() {
                        None | Some("block") => RowLockWait::Block,
                        Some("nowait") => RowLockWait::NoWait,
                        Some("skiplocked") => RowLockWait::SkipLocked,
                        other => return Err(script_error(format!("bad wait policy {other:?}"))),
                    };
                    let r = with_write!(|w| heapam::lock_tuple(
                        &env,
                        rel(),
                        tid,
                        mode,
                        policy,
                        &mut w
                    ))?;
                    match r {
                        LockTupleResult::Updated(t) => writeln!(o, "Updated {t}").ok(),
                        LockTupleResult::WouldBlock(x) => writeln!(o, "WouldBlock on xid {x}").ok(),
                        other => writeln!(o, "{other:?}").ok(),
                    };
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
    crate::golden::check_scripts("heap", |text| {
        let dir = tempfile::tempdir().expect("tempdir");
        run_script(text, dir.path())
    });
}

/// One test backend: a claimed slot, its transaction handle and combo cids.
struct TestBackend<'a> {
    _proc: ProcHandle<'a>,
    tx: Transam<'a>,
    combos: ComboCids,
}

fn backend<'a>(shm: &'a SharedMemory, dir: &Path, slot: usize) -> TestBackend<'a> {
    let proc = shm
        .proc_array()
        .claim(slot, 1000 + slot as i32)
        .expect("slot");
    proc.activate(slot as i32, 5, 0);
    TestBackend {
        _proc: proc,
        tx: Transam::new(shm, dir, slot),
        combos: ComboCids::new(),
    }
}

fn no_wait(x: TransactionId) -> PgResult<()> {
    Err(PgError::internal(format!("unexpected wait for {x}")))
}

/// Inserts `rows` in one transaction and commits.
fn insert_committed(
    env: &HeapEnv<'_, '_>,
    combos: &mut ComboCids,
    rows: impl IntoIterator<Item = Vec<u8>>,
) -> Vec<ItemPointer> {
    let xid = env.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    let tids = rows
        .into_iter()
        .map(|t| heapam::insert(env, rel(), t, 0, &mut w).expect("insert"))
        .collect();
    env.tx.commit(xid, false, false).expect("commit");
    combos.clear();
    tids
}

/// Every visible row's tid and id, with a fresh snapshot.
fn scan_all(env: &HeapEnv<'_, '_>) -> Vec<(ItemPointer, i32)> {
    let snap = env.tx.snapshot(0);
    let combos = ComboCids::new();
    let me = Me {
        xid: env.tx.my_xid(),
        combocids: &combos,
    };
    let mut scan = HeapScan::begin(env, rel()).expect("scan");
    let mut out = Vec::new();
    while let Some((tid, bytes)) = scan.next(env, &snap, me).expect("next") {
        match deform_tuple(&desc(), bytes).expect("deform")[0] {
            Datum::Int4(id) => out.push((tid, id)),
            ref other => panic!("unexpected id {other:?}"),
        }
    }
    env.tx.end_without_xid();
    out
}

#[test]
fn a_row_too_big_is_54000_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut b = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let err = form_tuple(
        &desc(),
        &[Datum::Int4(1), Datum::Text(incompressible(9000))],
    )
    .expect_err("too big");
    assert_eq!(err.code.code(), "54000");
    assert!(
        err.message
            .starts_with("row is too big: size 9040, maximum size 8160"),
        "{}",
        err.message
    );
    // The largest row that fits fills a page of its own.
    let fits = row(1, &incompressible(MAX_HEAP_TUPLE_SIZE - 40));
    assert_eq!(fits.len(), MAX_HEAP_TUPLE_SIZE);
    // A tuple built otherwise (one byte more) is refused by insert and update
    // before the relation grows or the old version is touched.
    let mut over = fits.clone();
    over.push(0);
    let xid = b.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut b.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    let err = heapam::insert(&env, rel(), over.clone(), 0, &mut w).expect_err("too big");
    assert_eq!(
        (err.code.code(), err.message.as_str()),
        ("54000", "row is too big: size 8168, maximum size 8160")
    );
    assert_eq!(
        heapam::nblocks(&env, rel()).expect("nblocks"),
        0,
        "no empty page left behind"
    );
    let small = heapam::insert(&env, rel(), row(1, "a"), 0, &mut w).expect("insert");
    w.cid = 1;
    let err = heapam::update(&env, rel(), small, over, true, 0, &mut w).expect_err("too big");
    assert_eq!(err.code.code(), "54000");
    let big = heapam::insert(&env, rel(), fits, 0, &mut w).expect("the largest row fits");
    assert_eq!(big, ItemPointer::new(1, 1), "on a new page");
    w.cid = 2;
    assert_eq!(
        heapam::delete(&env, rel(), small, &mut w).expect("delete"),
        ModifyResult::Done,
        "untouched by the failed update"
    );
}

#[test]
fn scanning_an_empty_relation_and_fetching_past_the_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut b = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    assert!(scan_all(&env).is_empty());
    let snap = b.tx.snapshot(0);
    let me = Me {
        xid: None,
        combocids: &b.combos,
    };
    assert_eq!(
        heapam::fetch(&env, rel(), ItemPointer::new(0, 1), &snap, me).expect("fetch"),
        None
    );
    assert_eq!(
        heapam::fetch_any(&env, rel(), ItemPointer::new(0, 1)).expect("fetch_any"),
        None
    );
    assert_eq!(pruneheap::count_empty_tail(&env, rel()).expect("tail"), 0);
    let (stats, blocks) =
        pruneheap::vacuum_relation(&env, rel(), b.tx.oldest_xmin(), &mut || Ok(()), &mut |_| {
            Ok(())
        })
        .expect("vacuum");
    assert_eq!((stats, blocks), (pruneheap::PruneStats::default(), 0));
    b.tx.end_without_xid();
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let tid = insert_committed(&env, &mut b.combos, [row(1, "a")])[0];
    let snap = b.tx.snapshot(0);
    let me = Me {
        xid: None,
        combocids: &b.combos,
    };
    for past in [
        ItemPointer::new(1, 1),
        ItemPointer::new(u32::MAX - 1, 1),
        ItemPointer::new(0, 2),
        ItemPointer::new(0, 0),
        ItemPointer::new(0, u16::MAX),
    ] {
        assert_eq!(
            heapam::fetch(&env, rel(), past, &snap, me).expect("fetch"),
            None,
            "{past}"
        );
        assert_eq!(
            heapam::fetch_any(&env, rel(), past).expect("fetch_any"),
            None,
            "{past}"
        );
    }
    assert!(
        heapam::fetch(&env, rel(), tid, &snap, me)
            .expect("fetch")
            .is_some()
    );
    // A write to a tid that is not there is an error, not a panic or a write elsewhere.
    let xid = b.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut b.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    assert!(heapam::delete(&env, rel(), ItemPointer::new(0, 2), &mut w).is_err());
    assert!(heapam::delete(&env, rel(), ItemPointer::new(7, 1), &mut w).is_err());
    assert_eq!(
        heapam::latest_version_tid(&env, rel(), ItemPointer::new(7, 1), &mut w).expect("latest"),
        None
    );
    assert_eq!(
        heapam::latest_version_tid(&env, rel(), ItemPointer::new(0, 9), &mut w).expect("latest"),
        None
    );
}

#[test]
fn many_inserts_span_pages_and_a_scan_finds_each_row_once() {
    const ROWS: i32 = 2000;
    let dir = tempfile::tempdir().expect("tempdir");
    // A pool smaller than the relation: pages are written out and read back.
    let (shm, store) = cluster(dir.path(), 8);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut b = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let tids = insert_committed(
        &env,
        &mut b.combos,
        (0..ROWS).map(|i| row(i, &"v".repeat((i % 200) as usize))),
    );
    let blocks = heapam::nblocks(&env, rel()).expect("nblocks");
    assert!(blocks > 8, "{blocks} blocks");
    let distinct: HashSet<ItemPointer> = tids.iter().copied().collect();
    assert_eq!(distinct.len(), tids.len(), "every insert got its own tid");
    let seen = scan_all(&env);
    assert_eq!(seen.len(), ROWS as usize);
    let ids: HashSet<i32> = seen.iter().map(|&(_, id)| id).collect();
    assert_eq!(
        ids,
        (0..ROWS).collect::<HashSet<_>>(),
        "each row exactly once"
    );
    for (tid, id) in &seen {
        assert_eq!(tids[*id as usize], *tid, "row {id} where insert put it");
    }
    // Tids come out in physical order.
    assert!(seen.windows(2).all(|p| p[0].0 < p[1].0));
}

/// `multi_insert` fills pages in order with one lock and one WAL record per
/// page: every row gets its own tid (a later, smaller row may go back to
/// room left on an earlier page, as a single insert's would), and a scan
/// finds each row once where it was put, next to a row a single insert
/// placed before.
#[test]
fn multi_insert_fills_pages_in_order_and_a_scan_finds_each_row_once() {
    const ROWS: i32 = 1500;
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 8);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut b = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let first = insert_committed(&env, &mut b.combos, [row(-1, "single")]);
    let xid = env.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut b.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    let mut rows: Vec<Vec<u8>> = (0..ROWS)
        .map(|i| row(i, &"m".repeat((i % 150) as usize)))
        .collect();
    let tids = heapam::multi_insert(&env, rel(), &mut rows, 0, &mut w).expect("multi_insert");
    env.tx.commit(xid, false, false).expect("commit");
    assert_eq!(tids.len(), ROWS as usize);
    let distinct: HashSet<ItemPointer> = tids.iter().copied().collect();
    assert_eq!(distinct.len(), tids.len(), "every row got its own tid");
    assert!(first[0] < tids[0], "after the row already there");
    assert!(heapam::nblocks(&env, rel()).expect("nblocks") > 8);
    let seen = scan_all(&env);
    assert_eq!(seen.len(), ROWS as usize + 1);
    for (tid, id) in &seen {
        if *id >= 0 {
            assert_eq!(
                tids[*id as usize], *tid,
                "row {id} where multi_insert put it"
            );
        }
    }
}

/// Rows a running transaction inserts are left for its commit to count, so
/// a concurrent UPDATE's old and new versions are not both counted live; the
/// page holding them is not empty, though.
#[test]
fn vacuum_does_not_count_rows_being_inserted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut a = backend(&shm, dir.path(), 0);
    let b = backend(&shm, dir.path(), 1);
    let env_a = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    insert_committed(&env_a, &mut a.combos, (0..2).map(|i| row(i, "old")));
    let env_a = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    let xid = a.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut a.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    for i in 2..5 {
        heapam::insert(&env_a, rel(), row(i, "new"), 0, &mut w).expect("insert");
    }
    let env_b = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let (stats, _) = pruneheap::vacuum_relation(
        &env_b,
        rel(),
        b.tx.oldest_xmin(),
        &mut || Ok(()),
        &mut |_| Ok(()),
    )
    .expect("vacuum");
    assert_eq!((stats.live, stats.empty_pages), (2, 0));
}

#[test]
fn vacuum_during_a_delete_keeps_the_page_prunable_for_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut a = backend(&shm, dir.path(), 0);
    let b = backend(&shm, dir.path(), 1);
    let env_a = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    // Seven rows of 1120 bytes leave the page with almost no free space.
    let tids = insert_committed(
        &env_a,
        &mut a.combos,
        (0..7).map(|i| row(i, &"x".repeat(1120))),
    );
    assert!(tids.iter().all(|t| t.block == 0));
    let env_a = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    let xid = a.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut a.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    assert_eq!(
        heapam::delete(&env_a, rel(), tids[0], &mut w).expect("delete"),
        ModifyResult::Done
    );
    let prune_xid = |env: &HeapEnv<'_, '_>| {
        let buf = env
            .bufmgr
            .read_buffer(
                crate::buffer::BufferTag::new(rel(), ForkNumber::Main, 0),
                crate::buffer::ReadMode::Normal,
                None,
            )
            .expect("read");
        let page = buf.lock_shared();
        Page::new(&page).prune_xid()
    };
    assert_eq!(prune_xid(&env_a), xid);
    // VACUUM while the delete is in progress: nothing to remove yet, and the
    // page must still say that it may become prunable.
    let env_b = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let (stats, _) = pruneheap::vacuum_relation(
        &env_b,
        rel(),
        b.tx.oldest_xmin(),
        &mut || Ok(()),
        &mut |_| Ok(()),
    )
    .expect("vacuum");
    assert_eq!((stats.removed, stats.live), (0, 7));
    assert_eq!(prune_xid(&env_b), xid, "the running deleter is remembered");
    a.tx.commit(xid, false, false).expect("commit");
    // A later scan prunes the page on its way (the row is dead to everyone).
    let seen = scan_all(&env_b);
    assert_eq!(seen.len(), 6);
    let buf = bufmgr
        .read_buffer(
            crate::buffer::BufferTag::new(rel(), ForkNumber::Main, 0),
            crate::buffer::ReadMode::Normal,
            None,
        )
        .expect("read");
    let page = buf.lock_shared();
    let p = Page::new(&page);
    // A root's pointer stays DEAD until VACUUM has removed index entries.
    assert!(
        p.item_id(tids[0].offset).expect("lp").is_dead(),
        "pruned by the scan"
    );
    assert_eq!(p.prune_xid(), 0);
}

/// The relation extension lock of the test: a flag under a std Mutex, shared
/// by the threads standing in for backends.
#[derive(Default)]
struct MutexExtensionLock {
    held: Mutex<bool>,
    released: Condvar,
}

impl ExtensionLock for MutexExtensionLock {
    fn lock(&self, _rel: RelFileLocator) -> PgResult<()> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while *held {
            held = self.released.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        *held = true;
        Ok(())
    }
    fn unlock(&self, _rel: RelFileLocator) {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.released.notify_one();
    }
}

#[test]
fn concurrent_extension_loses_and_duplicates_nothing() {
    const THREADS: usize = 4;
    const ROWS: i32 = 400;
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 12);
    drop(store);
    let lock = MutexExtensionLock::default();
    let barrier = std::sync::Barrier::new(THREADS);
    let all: Vec<Vec<ItemPointer>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (shm, dir, lock, barrier) = (&shm, dir.path(), &lock, &barrier);
                s.spawn(move || {
                    // Each thread is a backend: its own slot, files and buffer manager.
                    let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
                    let bufmgr = BufferManager::new(shm, store.clone()).expect("bufmgr");
                    let mut b = backend(shm, dir, t);
                    let env = HeapEnv {
                        bufmgr: &bufmgr,
                        store: &store,
                        tx: &b.tx,
                        extension_lock: lock,
                    };
                    barrier.wait();
                    let xid = b.tx.assign_xid().expect("xid");
                    let mut wait = no_wait;
                    let mut w = WriteXact {
                        xid,
                        cid: 0,
                        combocids: &mut b.combos,
                        transaction_snapshot: false,
                        wait_for_xid: &mut wait,
                        undo: None,
                    };
                    let id = |i: i32| t as i32 * 100_000 + i;
                    // Rows of varying width, some large, so that pages fill at
                    // different moments in different threads.
                    let tids: Vec<ItemPointer> = (0..ROWS)
                        .map(|i| {
                            heapam::insert(
                                &env,
                                rel(),
                                row(
                                    id(i),
                                    &"y".repeat(((i * 37 + t as i32 * 11) % 700) as usize),
                                ),
                                0,
                                &mut w,
                            )
                            .expect("insert")
                        })
                        .collect();
                    b.tx.commit(xid, false, false).expect("commit");
                    tids
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let flat: Vec<ItemPointer> = all.iter().flatten().copied().collect();
    let distinct: HashSet<ItemPointer> = flat.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        THREADS * ROWS as usize,
        "no tid handed out twice"
    );
    let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir.path())));
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let b = backend(&shm, dir.path(), THREADS);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    let seen = scan_all(&env);
    assert_eq!(seen.len(), THREADS * ROWS as usize, "every row found once");
    let mut expected: Vec<(ItemPointer, i32)> = all
        .iter()
        .enumerate()
        .flat_map(|(t, tids)| {
            tids.iter()
                .enumerate()
                .map(move |(i, tid)| (*tid, t as i32 * 100_000 + i as i32))
        })
        .collect();
    expected.sort();
    assert_eq!(seen, expected, "each row at the tid its insert returned");
    // No page was left empty by an extension that lost a race.
    let blocks = heapam::nblocks(&env, rel()).expect("nblocks");
    let used: HashSet<u32> = flat.iter().map(|t| t.block).collect();
    assert_eq!(
        used.len() as u32,
        blocks,
        "{blocks} blocks, {} used",
        used.len()
    );
}

#[test]
fn inserts_reuse_space_vacuum_freed_through_the_free_space_map() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut b = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &b.tx,
        extension_lock: &NoExtensionLock,
    };
    // Three pages and a bit of rows of ~1 kB.
    let tids = insert_committed(
        &env,
        &mut b.combos,
        (0..25).map(|i| row(i, &"x".repeat(1000))),
    );
    let blocks = heapam::nblocks(&env, rel()).expect("nblocks");
    assert!(blocks >= 3, "{blocks} blocks");
    // Delete every row of block 0, commit, vacuum: the map learns block 0 is empty.
    let xid = env.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut b.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    for tid in tids.iter().filter(|t| t.block == 0) {
        assert_eq!(
            heapam::delete(&env, rel(), *tid, &mut w).expect("delete"),
            ModifyResult::Done
        );
    }
    env.tx.commit(xid, false, false).expect("commit");
    b.combos.clear();
    pruneheap::vacuum_relation(
        &env,
        rel(),
        env.tx.oldest_xmin(),
        &mut || Ok(()),
        &mut |_| Ok(()),
    )
    .expect("vacuum");
    // Fill the last page, then the next inserts go to block 0, not to a new page.
    let more = insert_committed(
        &env,
        &mut b.combos,
        (100..110).map(|i| row(i, &"y".repeat(1000))),
    );
    assert!(
        more.iter().any(|t| t.block == 0),
        "no insert reused block 0: {more:?}"
    );
    assert_eq!(
        heapam::nblocks(&env, rel()).expect("nblocks"),
        blocks,
        "the relation did not grow"
    );
    assert_eq!(
        scan_all(&env).len(),
        25 - tids.iter().filter(|t| t.block == 0).count() + 10
    );
}

#[test]
fn the_prune_record_lists_rebuild_the_page_prune_page_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut a = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    let mut tips = insert_committed(&env, &mut a.combos, (0..6).map(|i| row(i, "v0")));
    // Two committed rounds: rows 0-2 HOT-updated, rows 3-4 updated with an
    // indexed column changed, row 5 deleted in the second round; then an
    // aborted HOT update of row 0.
    for round in 1..=3 {
        let xid = a.tx.assign_xid().expect("xid");
        let mut wait = no_wait;
        let mut w = WriteXact {
            xid,
            cid: 0,
            combocids: &mut a.combos,
            transaction_snapshot: false,
            wait_for_xid: &mut wait,
            undo: None,
        };
        let rows = if round == 3 { 0..1 } else { 0..5 };
        for i in rows {
            let (r, new) = heapam::update(
                &env,
                rel(),
                tips[i],
                row(i as i32, &format!("v{round}")),
                i < 3,
                0,
                &mut w,
            )
            .expect("update");
            assert_eq!(r, ModifyResult::Done);
            if round < 3 {
                tips[i] = new.expect("new version");
            }
        }
        if round == 2 {
            assert_eq!(
                heapam::delete(&env, rel(), tips[5], &mut w).expect("delete"),
                ModifyResult::Done
            );
        }
        if round == 3 {
            a.tx.abort(xid).expect("abort");
        } else {
            a.tx.commit(xid, false, false).expect("commit");
        }
        a.combos.clear();
    }
    let buf = bufmgr
        .read_buffer(
            crate::buffer::BufferTag::new(rel(), ForkNumber::Main, 0),
            crate::buffer::ReadMode::Normal,
            None,
        )
        .expect("read");
    let mut page = buf.lock_for_cleanup().expect("cleanup lock");
    let mut replay = Box::new(*page);
    let (stats, change) =
        pruneheap::prune_page(&env, &mut page, a.tx.oldest_xmin(), true).expect("prune");
    let pruneheap::PruneChange::Pruned {
        redirected,
        dead,
        unused,
        prune_xid,
    } = change
    else {
        panic!("nothing pruned: {change:?}")
    };
    assert_eq!(
        redirected.len(),
        3,
        "HOT roots 0-2 redirected: {redirected:?}"
    );
    assert_eq!(
        dead.len(),
        5,
        "roots of rows 3-4 (twice) and the deleted row 5: {dead:?}"
    );
    assert_eq!(
        unused.len(),
        4,
        "the middle HOT versions of rows 0-2 and the aborted one: {unused:?}"
    );
    assert_eq!((stats.removed, stats.live), (12, 5));
    pruneheap::apply_prune(&mut replay, &redirected, &dead, &unused, prune_xid).expect("replay");
    // Hint bits are not in the record: compare with every infomask cleared.
    let clear_masks = |bytes: &mut [u8; crate::smgr::BLCKSZ]| {
        let mut p = crate::page::PageMut::new(bytes);
        for off in FIRST_OFFSET_NUMBER..=p.as_page().max_offset_number() {
            if p.as_page().item_id(off).is_some_and(|id| id.is_normal()) {
                TupleHeaderMut::parse(p.get_item_mut(off).expect("item"))
                    .expect("header")
                    .set_infomask(0);
            }
        }
    };
    let mut pruned = Box::new(*page);
    clear_masks(&mut pruned);
    clear_masks(&mut replay);
    assert!(
        pruned[..] == replay[..],
        "apply_prune of the logged lists gives prune_page's layout"
    );
}

#[test]
fn vacuum_hands_dead_tids_to_index_cleanup_in_batches_before_freeing_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 16);
    let bufmgr = BufferManager::new(&shm, store.clone()).expect("bufmgr");
    let mut a = backend(&shm, dir.path(), 0);
    let env = HeapEnv {
        bufmgr: &bufmgr,
        store: &store,
        tx: &a.tx,
        extension_lock: &NoExtensionLock,
    };
    // Rows of 1000 bytes: 7 a page, 5 pages; every other row deleted.
    let tids = insert_committed(
        &env,
        &mut a.combos,
        (0..32).map(|i| row(i, &"x".repeat(1000))),
    );
    let xid = a.tx.assign_xid().expect("xid");
    let mut wait = no_wait;
    let mut w = WriteXact {
        xid,
        cid: 0,
        combocids: &mut a.combos,
        transaction_snapshot: false,
        wait_for_xid: &mut wait,
        undo: None,
    };
    let deleted: Vec<ItemPointer> = tids.iter().copied().step_by(2).collect();
    for &tid in &deleted {
        assert_eq!(
            heapam::delete(&env, rel(), tid, &mut w).expect("delete"),
            ModifyResult::Done
        );
    }
    a.tx.commit(xid, false, false).expect("commit");
    let line_pointer = |tid: ItemPointer| {
        let buf = bufmgr
            .read_buffer(
                crate::buffer::BufferTag::new(rel(), ForkNumber::Main, tid.block),
                crate::buffer::ReadMode::Normal,
                None,
            )
            .expect("read");
        let page = buf.lock_shared();
        Page::new(&page).item_id(tid.offset)
    };
    let mut calls: Vec<Vec<ItemPointer>> = Vec::new();
    let mut cleanup = |batch: &[ItemPointer]| -> PgResult<()> {
        // The heap pass comes after the index cleanup: still DEAD now.
        assert!(
            batch
                .iter()
                .all(|&t| line_pointer(t).is_some_and(|id| id.is_dead())),
            "{batch:?}"
        );
        calls.push(batch.to_vec());
        Ok(())
    };
    let (stats, blocks) = pruneheap::vacuum_relation_batched(
        &env,
        rel(),
        a.tx.oldest_xmin(),
        &mut || Ok(()),
        &mut cleanup,
        5,
    )
    .expect("vacuum");
    assert_eq!(blocks, 5);
    assert!(
        calls.iter().all(|c| !c.is_empty() && c.len() <= 5),
        "{calls:?}"
    );
    assert!(calls.len() >= 4, "{calls:?}");
    let all: Vec<ItemPointer> = calls.concat();
    assert_eq!(all, deleted, "every dead tid once, in order");
    assert_eq!((stats.removed, stats.live, stats.dead_items), (16, 16, 16));
    assert!(
        deleted
            .iter()
            .all(|&t| line_pointer(t).is_none_or(|id| !id.is_used())),
        "freed after index cleanup"
    );
}

/// `n` pseudo-random letters: a text that does not compress, so that a row
/// of it is as long as the text.
fn incompressible(n: usize) -> String {
    super::noise_letters(n, 0x2545_F491_4F6C_DD1D)
}
