//! Transam tests: unit tests on a real segment and data directory, threads
//! standing in for backends, and the visibility golden scripts
//! (`testscripts/*.txt`).
//!
//! Golden script format, as `buffer/tests.rs`: `> command` lines; the lines
//! after each command are its output, regenerated on every run and compared
//! with the file. Lines starting with `#` and blank lines are kept.
//! `UPDATE_GOLDEN=1 cargo test -p storage` rewrites the files. Backends `a`,
//! `b`, `c` (slots 0, 1, 2) prefix their commands (`a: begin`); commands with
//! no prefix run in slot 3, which never has an xid. Tuples are named; each
//! lives at its own address `(0,n)` and survives `restart`.
//!
//! ```text
//! B: begin                 assign an xid; prints it
//! B: snapshot              take a snapshot at the current command id
//! B: cci                   command counter increment
//! B: insert T              a new tuple T (xmin, cmin = ours, xmax invalid)
//! B: delete T              xmax = ours (combo cid if we inserted T too)
//! B: update T NEW          delete T with t_ctid -> NEW, insert NEW
//! B: lock T                lock-only xmax (FOR UPDATE)
//! B: commit | abort
//! B: see T...              satisfies_mvcc with B's snapshot (hints are applied)
//! B: update? T...          satisfies_update_at with B's command id
//! vacuum T...              satisfies_vacuum against oldest_xmin
//! show T...                the tuple headers
//! procs                    every slot's xid and xmin, latest_completed_xid
//! restart                  crash: a new segment, startup; running xids are gone
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::combocid::ComboCids;
use super::visibility::{self, Me, TmResult};
use super::*;
use crate::heap::tuple::*;
use crate::page::ItemPointer;
use crate::shmem::ShmemLayout;

fn segment(layout: ShmemLayout) -> SharedMemory {
    SharedMemory::create(layout, std::process::id() as i32, 0).expect("create segment")
}

/// A bootstrapped data directory and a started segment.
fn cluster(layout: ShmemLayout) -> (tempfile::TempDir, SharedMemory) {
    let dir = tempfile::tempdir().expect("tempdir");
    Transam::bootstrap(dir.path()).expect("bootstrap");
    let shm = restart(dir.path(), layout);
    (dir, shm)
}

fn restart(dir: &Path, layout: ShmemLayout) -> SharedMemory {
    let shm = segment(layout);
    Transam::new(&shm, dir, 0).startup().expect("startup");
    shm
}

fn small() -> ShmemLayout {
    ShmemLayout::new(8, 16)
}

fn shared(shm: &SharedMemory) -> &TransamShared {
    &shm.region::<TransamShared>(RegionId::Transam)[0]
}

fn tuple() -> Vec<u8> {
    form_tuple(&TupleDesc::new(Vec::new()), &[]).expect("empty tuple")
}

fn tuple_with(xmin: TransactionId, xmax: TransactionId, infomask: u16) -> Vec<u8> {
    let mut t = tuple();
    let mut h = TupleHeaderMut::parse(&mut t).expect("header");
    h.set_xmin(xmin);
    h.set_xmax(xmax);
    h.set_infomask(infomask);
    t
}

#[test]
fn startup_needs_a_control_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("base")).expect("base");
    let shm = segment(small());
    let err = Transam::new(&shm, dir.path(), 0)
        .startup()
        .expect_err("no control file");
    assert_eq!(err.severity, types::Severity::Panic);
    assert!(err.message.contains("global/pg_control"), "{}", err.message);
    assert!(
        Transam::new(&shm, dir.path(), 0).assign_xid().is_err(),
        "no xids before startup"
    );
    Transam::bootstrap(dir.path()).expect("bootstrap");
    assert!(Transam::bootstrap(dir.path()).is_err(), "bootstrap twice");
    let tx = Transam::new(&shm, dir.path(), 0);
    tx.startup().expect("startup");
    assert!(tx.startup().is_err(), "startup twice on one segment");
    assert!(dir.path().join("pg_xact").is_dir());
    assert!(
        dir.path().join("pg_xact/000000000000000").is_file(),
        "the first segment exists"
    );
    assert_eq!(tx.next_xid(), FIRST_NORMAL_XID);
}

#[test]
fn xids_are_reserved_on_disk_and_resume_after_restart() {
    let (dir, shm) = cluster(small());
    let tx = Transam::new(&shm, dir.path(), 0);
    let x = tx.assign_xid().expect("xid");
    assert_eq!(x, FIRST_NORMAL_XID);
    assert!(tx.assign_xid().is_err(), "one xid per transaction");
    assert_eq!(tx.my_xid(), Some(x));
    assert_eq!(shm.proc_array().xid(0), x);
    tx.commit(x, true, false).expect("commit");
    assert_eq!(tx.my_xid(), None);
    let y = tx.assign_xid().expect("xid");
    assert_eq!(y, x + 1);
    assert_eq!(
        control::ControlFile::read(dir.path())
            .expect("control")
            .next_xid,
        x + XID_RESERVE_CHUNK
    );
    drop(tx);
    drop(shm);
    let shm = restart(dir.path(), small());
    let tx = Transam::new(&shm, dir.path(), 1);
    let z = tx.assign_xid().expect("xid after restart");
    assert_eq!(
        z,
        x + XID_RESERVE_CHUNK,
        "resumes at the reservation, skipping unused xids"
    );
    assert_eq!(tx.status(x).expect("status"), XidStatus::Committed);
    assert_eq!(
        tx.status(y).expect("status"),
        XidStatus::InProgress,
        "raw CLOG of a crashed xid"
    );
    assert!(!tx.is_in_progress(y));
}

#[test]
fn special_xids_and_status() {
    let (dir, shm) = cluster(small());
    let tx = Transam::new(&shm, dir.path(), 0);
    assert_eq!(tx.status(INVALID_XID).expect("s"), XidStatus::Aborted);
    assert_eq!(tx.status(BOOTSTRAP_XID).expect("s"), XidStatus::Committed);
    assert_eq!(tx.status(FROZEN_XID).expect("s"), XidStatus::Committed);
    let x = tx.assign_xid().expect("xid");
    assert!(tx.is_in_progress(x));
    assert!(tx.commit(x + 1, false, false).is_err(), "not our xid");
    tx.abort(x).expect("abort");
    assert_eq!(tx.status(x).expect("s"), XidStatus::Aborted);
    assert!(!tx.is_in_progress(x));
    let gen0 = tx.catalog_generation();
    let y = tx.assign_xid().expect("xid");
    tx.commit(y, false, true).expect("commit");
    assert_eq!(tx.catalog_generation(), gen0 + 1);
}

#[test]
fn snapshots_list_running_xids_below_xmax() {
    let (dir, shm) = cluster(small());
    let [a, b, c] = [0, 1, 2].map(|s| Transam::new(&shm, dir.path(), s));
    let xa = a.assign_xid().expect("a");
    let xb = b.assign_xid().expect("b");
    let s = c.snapshot(0);
    assert_eq!(
        (s.xmin, s.xmax, s.xip.clone()),
        (xa, xa, vec![]),
        "nothing completed yet"
    );
    assert!(s.xid_in_snapshot(xa) && s.xid_in_snapshot(xb));
    assert_eq!(shm.proc_array().xmin(2), xa);
    b.commit(xb, false, false).expect("commit b");
    let s2 = c.snapshot(0);
    assert_eq!((s2.xmin, s2.xmax, s2.xip.clone()), (xa, xb + 1, vec![xa]));
    assert!(s2.xid_in_snapshot(xa) && !s2.xid_in_snapshot(xb));
    assert_eq!(shm.proc_array().xmin(2), xa, "xmin is kept while set");
    let own = a.snapshot(0);
    assert!(own.xip.is_empty(), "our own xid is not in our snapshot");
    assert_eq!(c.oldest_xmin(), xa);
    a.abort(xa).expect("abort");
    assert_eq!(c.oldest_xmin(), xa, "c's snapshot still holds xa back");
    c.end_without_xid();
    assert_eq!(c.oldest_xmin(), xb + 1);
}

#[test]
fn oids_are_reserved_and_wrap() {
    let (dir, shm) = cluster(small());
    let tx = Transam::new(&shm, dir.path(), 0);
    assert_eq!(tx.new_oid().expect("oid"), FIRST_NORMAL_OBJECT_ID);
    assert_eq!(tx.new_oid().expect("oid"), FIRST_NORMAL_OBJECT_ID + 1);
    let c = control::ControlFile::read(dir.path()).expect("control");
    assert_eq!(
        c.next_oid,
        u64::from(FIRST_NORMAL_OBJECT_ID) + OID_RESERVE_CHUNK
    );
    assert_eq!(
        c.next_xid, FIRST_NORMAL_XID,
        "the xid reservation is carried over"
    );
    drop(tx);
    drop(shm);
    let shm = restart(dir.path(), small());
    let tx = Transam::new(&shm, dir.path(), 0);
    assert_eq!(
        tx.new_oid().expect("oid"),
        FIRST_NORMAL_OBJECT_ID + OID_RESERVE_CHUNK as u32
    );
    shared(&shm)
        .next_oid
        .store(u64::from(u32::MAX), Ordering::SeqCst);
    shared(&shm)
        .oid_reserved_until
        .store(u64::from(u32::MAX) + 1, Ordering::SeqCst);
    assert_eq!(tx.new_oid().expect("oid"), u32::MAX);
    assert_eq!(
        tx.new_oid().expect("oid"),
        FIRST_NORMAL_OBJECT_ID,
        "wraps past the reserved range"
    );
    assert_eq!(tx.new_oid().expect("oid"), FIRST_NORMAL_OBJECT_ID + 1);
}

#[test]
fn commit_survives_a_crash_and_a_running_xid_reads_aborted() {
    let (dir, shm) = cluster(small());
    let [a, b] = [0, 1].map(|s| Transam::new(&shm, dir.path(), s));
    let xa = a.assign_xid().expect("a");
    let xb = b.assign_xid().expect("b");
    a.commit(xa, true, false).expect("durable commit");
    drop((a, b));
    drop(shm); // the crash: shared memory (and the CLOG cache) is gone
    let shm = restart(dir.path(), small());
    let v = Transam::new(&shm, dir.path(), 3);
    assert_eq!(v.status(xa).expect("s"), XidStatus::Committed);
    assert_eq!(v.status(xb).expect("s"), XidStatus::InProgress);
    assert!(!v.is_in_progress(xb));
    let combos = ComboCids::new();
    let me = Me {
        xid: None,
        combocids: &combos,
    };
    let snap = v.snapshot(0);
    assert!(
        snap.xmin > xb,
        "xids of before the crash are all below the new xmin"
    );
    let t = tuple_with(xb, 0, HEAP_XMAX_INVALID);
    let h = TupleHeader::parse(&t).expect("h");
    assert_eq!(
        visibility::satisfies_mvcc(&h, &snap, me, &v).expect("mvcc"),
        (false, HEAP_XMIN_INVALID)
    );
    let t = tuple_with(xa, xb, 0);
    let h = TupleHeader::parse(&t).expect("h");
    assert_eq!(
        visibility::satisfies_mvcc(&h, &snap, me, &v).expect("mvcc"),
        (true, HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID),
        "a delete by a crashed transaction never happened"
    );
    assert_eq!(
        visibility::satisfies_update(&h, 0, me, &v).expect("update"),
        (TmResult::Ok, HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID)
    );
}

#[test]
fn clog_evicts_dirty_pages_and_reads_them_back() {
    let mut layout = small();
    layout.clog_buffers = 4;
    let (dir, shm) = cluster(layout);
    let clog = Clog::new(&shm, dir.path());
    let xid = |page: u64, i: u64| page * clog::XIDS_PER_PAGE + i;
    for page in 0..10u64 {
        for i in [5, 6, 32767] {
            let s = if (page + i) % 2 == 0 {
                XidStatus::Committed
            } else {
                XidStatus::Aborted
            };
            clog.set_status(xid(page, i), s, false).expect("set");
        }
    }
    assert_eq!(clog.cached_pages().len(), 4);
    assert!(clog.cached_pages().iter().all(Option::is_some));
    for page in 0..10u64 {
        for i in [5, 6, 32767] {
            let s = if (page + i) % 2 == 0 {
                XidStatus::Committed
            } else {
                XidStatus::Aborted
            };
            assert_eq!(
                clog.status(xid(page, i)).expect("status"),
                s,
                "page {page} xid {i}"
            );
        }
        assert_eq!(
            clog.status(xid(page, 7)).expect("status"),
            XidStatus::InProgress
        );
    }
    assert!(
        clog.set_status(xid(0, 6), XidStatus::Aborted, false)
            .is_err(),
        "committed stays committed"
    );
    // Pages 32.. live in the second segment file; far pages read as zeros.
    clog.set_status(xid(40, 1), XidStatus::Committed, true)
        .expect("durable");
    assert!(dir.path().join("pg_xact/000000000000001").is_file());
    assert_eq!(
        clog.status(xid(1000, 1)).expect("status"),
        XidStatus::InProgress
    );
    clog.flush().expect("flush");
    drop(clog);
    drop(shm);
    let shm = restart(dir.path(), layout);
    let clog = Clog::new(&shm, dir.path());
    for page in 0..10u64 {
        for i in [5, 6, 32767] {
            let s = if (page + i) % 2 == 0 {
                XidStatus::Committed
            } else {
                XidStatus::Aborted
            };
            assert_eq!(
                clog.status(xid(page, i)).expect("status"),
                s,
                "after restart: page {page} xid {i}"
            );
        }
    }
    assert_eq!(
        clog.status(xid(40, 1)).expect("status"),
        XidStatus::Committed
    );
}

#[test]
fn concurrent_clog_updates_with_evictions() {
    let mut layout = small();
    layout.clog_buffers = 4;
    let (dir, shm) = cluster(layout);
    const PAGES: u64 = 12;
    let expect = |x: TransactionId| {
        if x.is_multiple_of(3) {
            XidStatus::Aborted
        } else {
            XidStatus::Committed
        }
    };
    std::thread::scope(|s| {
        for w in 0..4u64 {
            let (shm, dir) = (&shm, dir.path());
            s.spawn(move || {
                let clog = Clog::new(shm, dir);
                for round in 0..50u64 {
                    // Each thread sweeps every page, so the 4 slots keep changing hands.
                    for page in 0..PAGES {
                        let x = page * clog::XIDS_PER_PAGE + round * 4 + w + 100;
                        clog.set_status(x, expect(x), round % 10 == 0).expect("set");
                        assert_eq!(clog.status(x).expect("status"), expect(x));
                        let neighbour = page * clog::XIDS_PER_PAGE + 99;
                        assert_eq!(
                            clog.status(neighbour).expect("status"),
                            XidStatus::InProgress
                        );
                    }
                }
            });
        }
    });
    let clog = Clog::new(&shm, dir.path());
    clog.flush().expect("flush");
    drop(clog);
    drop(shm);
    let shm = restart(dir.path(), layout);
    let clog = Clog::new(&shm, dir.path());
    for page in 0..PAGES {
        for i in 0..200 {
            let x = page * clog::XIDS_PER_PAGE + 100 + i;
            assert_eq!(clog.status(x).expect("status"), expect(x), "xid {x}");
        }
    }
}

/// The visibility functions take any `XactOracle`, not only `Transam`.
#[test]
fn visibility_with_a_fake_oracle() {
    struct Fake;
    impl XactOracle for Fake {
        fn is_in_progress(&self, xid: TransactionId) -> bool {
            xid == 10
        }
        fn status(&self, xid: TransactionId) -> PgResult<XidStatus> {
            Ok(if xid == 11 {
                XidStatus::Committed
            } else {
                XidStatus::InProgress
            })
        }
    }
    let t = tuple_with(11, 10, 0);
    let h = TupleHeader::parse(&t).expect("h");
    assert_eq!(
        visibility::satisfies_vacuum(&h, 5, &Fake).expect("vacuum"),
        (
            visibility::HtsvResult::DeleteInProgress,
            HEAP_XMIN_COMMITTED
        )
    );
    let t = tuple_with(11, 12, HEAP_XMAX_IS_MULTI);
    let h = TupleHeader::parse(&t).expect("h");
    let err = visibility::satisfies_vacuum(&h, 5, &Fake).expect_err("multixact");
    assert_eq!(err.code, types::SqlState::DataCorrupted);
}

#[test]
fn assign_xid_extends_the_clog_across_a_page_boundary() {
    let mut layout = small();
    layout.clog_buffers = 4;
    let (dir, shm) = cluster(layout);
    let tx = Transam::new(&shm, dir.path(), 0);
    let sh = shared(&shm);
    let start = 5 * clog::XIDS_PER_PAGE - 2;
    sh.next_xid.store(start, Ordering::SeqCst);
    for expected in start..start + 4 {
        let x = tx.assign_xid().expect("xid");
        assert_eq!(x, expected);
        tx.commit(x, true, false).expect("commit");
        assert_eq!(tx.status(x).expect("status"), XidStatus::Committed);
    }
    assert_eq!(
        control::ControlFile::read(dir.path())
            .expect("control")
            .next_xid,
        start + XID_RESERVE_CHUNK
    );
}

#[test]
fn concurrent_transactions_see_consistent_snapshots() {
    let (dir, shm) = cluster(ShmemLayout::new(8, 16));
    const WORKERS: usize = 4;
    const ROUNDS: usize = 300;
    let results: Vec<Vec<TransactionId>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (shm, dir) = (&shm, dir.path());
                s.spawn(move || {
                    let handle = shm.proc_array().claim(w, 1000 + w as i32).expect("slot");
                    handle.activate(w as i32, 5, 0);
                    let tx = Transam::new(shm, dir, w);
                    let mut mine = Vec::new();
                    for r in 0..ROUNDS {
                        let x = tx.assign_xid().expect("xid");
                        mine.push(x);
                        if r % 3 == 0 {
                            tx.abort(x).expect("abort");
                        } else {
                            tx.commit(x, r % 50 == 0, false).expect("commit");
                        }
                    }
                    mine
                })
            })
            .collect();
        let checker = s.spawn(|| {
            let tx = Transam::new(&shm, dir.path(), WORKERS);
            let mut seen_finished = std::collections::HashSet::new();
            for _ in 0..200 {
                let snap = tx.snapshot(0);
                assert!(snap.xmin <= snap.xmax);
                for x in FIRST_NORMAL_XID..snap.xmax {
                    let running = snap.xip.binary_search(&x).is_ok();
                    if !running {
                        let st = tx.status(x).expect("status");
                        assert_ne!(
                            st,
                            XidStatus::InProgress,
                            "xid {x} below xmax {} and not in xip",
                            snap.xmax
                        );
                        seen_finished.insert(x);
                    } else {
                        assert!(
                            !seen_finished.contains(&x),
                            "xid {x} finished in an earlier snapshot"
                        );
                    }
                }
                tx.end_without_xid();
                assert!(tx.oldest_xmin() <= tx.snapshot(0).xmin);
                tx.end_without_xid();
            }
        });
        checker.join().expect("checker");
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    let mut all: Vec<_> = results.into_iter().flatten().collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "xids are unique");
    assert_eq!(
        all,
        (FIRST_NORMAL_XID..FIRST_NORMAL_XID + n as u64).collect::<Vec<_>>()
    );
    let tx = Transam::new(&shm, dir.path(), WORKERS);
    assert_eq!(tx.oldest_xmin(), FIRST_NORMAL_XID + n as u64);
}

#[test]
fn concurrent_durable_commits_on_one_page_all_survive() {
    let (dir, shm) = cluster(ShmemLayout::new(8, 16));
    let committed: Vec<TransactionId> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|w| {
                let (shm, dir) = (&shm, dir.path());
                s.spawn(move || {
                    let _h = shm.proc_array().claim(w, 2000 + w as i32).expect("slot");
                    let tx = Transam::new(shm, dir, w);
                    (0..25)
                        .map(|_| {
                            let x = tx.assign_xid().expect("xid");
                            tx.commit(x, true, false).expect("commit");
                            x
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    drop(shm);
    let shm = restart(dir.path(), small());
    let tx = Transam::new(&shm, dir.path(), 0);
    for x in committed {
        assert_eq!(
            tx.status(x).expect("status"),
            XidStatus::Committed,
            "xid {x}"
        );
    }
}

// ---------------------------------------------------------------------------
// Golden scripts

const BACKENDS: [&str; 3] = ["a", "b", "c"];
/// The slot of commands without a backend prefix (vacuum, show).
const SYSTEM_SLOT: usize = 3;

#[derive(Default)]
struct Backend {
    xid: Option<TransactionId>,
    cid: CommandId,
    combos: ComboCids,
    snapshot: Option<Snapshot>,
}

struct Tuple {
    tid: ItemPointer,
    bytes: Vec<u8>,
}

fn mask_names(mask: u16) -> String {
    const NAMES: [(u16, &str); 11] = [
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
        (HEAP_HASNULL, "HASNULL"),
    ];
    crate::heap::tuple::flag_names(mask, &NAMES)
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

fn run_script(text: &str, dir: &Path) -> String {
    let mut out = String::new();
    let layout = small();
    Transam::bootstrap(dir).expect("bootstrap");
    let mut shm = restart(dir, layout);
    let mut backends: Vec<Backend> = (0..BACKENDS.len()).map(|_| Backend::default()).collect();
    let mut tuples: HashMap<String, Tuple> = HashMap::new();
    let mut next_offset = 1u16;

    for line in text.lines() {
        let Some(cmd) = line.strip_prefix("> ") else {
            if line.starts_with('#') || line.trim().is_empty() {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        };
        writeln!(out, "> {cmd}").ok();
        let (slot, rest) = match cmd.split_once(": ") {
            Some((b, r)) if BACKENDS.contains(&b) => {
                (BACKENDS.iter().position(|x| *x == b).unwrap_or(0), r)
            }
            _ => (SYSTEM_SLOT, cmd),
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let verb = words.first().copied().unwrap_or("");
        if verb == "restart" {
            drop(shm);
            shm = restart(dir, layout);
            backends.iter_mut().for_each(|b| *b = Backend::default());
            continue;
        }
        let tx = Transam::new(&shm, dir, slot);
        let result: PgResult<String> = (|| {
            let mut o = String::new();
            match verb {
                "begin" => {
                    let b = &mut backends[slot];
                    let x = tx.assign_xid()?;
                    b.xid = Some(x);
                    b.cid = 0;
                    writeln!(o, "xid {x}").ok();
                }
                "snapshot" => {
                    let b = &mut backends[slot];
                    let s = tx.snapshot(b.cid);
                    writeln!(o, "{}", fmt_snapshot(&s)).ok();
                    b.snapshot = Some(s);
                }
                "cci" => {
                    backends[slot].cid += 1;
                    writeln!(o, "cid {}", backends[slot].cid).ok();
                }
                "insert" => {
                    let b = &backends[slot];
                    let xid = b
                        .xid
                        .ok_or_else(|| PgError::internal("insert without begin"))?;
                    let tid = ItemPointer::new(0, next_offset);
                    next_offset += 1;
                    let mut bytes = tuple();
                    let mut h = TupleHeaderMut::parse(&mut bytes)?;
                    h.set_xmin(xid);
                    h.set_cid(b.cid);
                    h.set_ctid(tid);
                    h.set_infomask(HEAP_XMAX_INVALID);
                    tuples.insert(words[1].to_owned(), Tuple { tid, bytes });
                }
                "delete" | "update" | "lock" => {
                    let b = &mut backends[slot];
                    let xid = b
                        .xid
                        .ok_or_else(|| PgError::internal("write without begin"))?;
                    let new_tid = if verb == "update" {
                        let tid = ItemPointer::new(0, next_offset);
                        next_offset += 1;
                        let mut bytes = tuple();
                        let mut h = TupleHeaderMut::parse(&mut bytes)?;
                        h.set_xmin(xid);
                        h.set_cid(b.cid);
                        h.set_ctid(tid);
                        h.set_infomask(HEAP_XMAX_INVALID | HEAP_UPDATED);
                        tuples.insert(words[2].to_owned(), Tuple { tid, bytes });
                        Some(tid)
                    } else {
                        None
                    };
                    let t = tuples
                        .get_mut(words[1])
                        .ok_or_else(|| PgError::internal("no such tuple"))?;
                    let mut h = TupleHeaderMut::parse(&mut t.bytes)?;
                    let mask = h.as_ref().infomask();
                    h.clear_infomask(
                        HEAP_XMAX_INVALID
                            | HEAP_XMAX_COMMITTED
                            | HEAP_LOCK_MASK
                            | HEAP_XMAX_LOCK_ONLY,
                    );
                    h.set_xmax(xid);
                    if verb == "lock" {
                        h.add_infomask(HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_EXCL_LOCK);
                    } else {
                        if mask & HEAP_XMIN_COMMITTED == 0 && h.as_ref().xmin() == xid {
                            let cmin = if mask & HEAP_COMBOCID != 0 {
                                b.combos.resolve(h.as_ref().cid()).map_or(0, |p| p.0)
                            } else {
                                h.as_ref().cid()
                            };
                            let combo = b.combos.get_or_create(cmin, b.cid);
                            h.set_cid(combo);
                            h.add_infomask(HEAP_COMBOCID);
                            writeln!(o, "combo cid {combo} = (cmin {cmin}, cmax {})", b.cid).ok();
                        } else {
                            h.clear_infomask(HEAP_COMBOCID);
                            h.set_cid(b.cid);
                        }
                        if let Some(tid) = new_tid {
                            h.set_ctid(tid);
                        }
                    }
                }
                "commit" | "abort" => {
                    let b = &mut backends[slot];
                    match b.xid.take() {
                        Some(x) if verb == "commit" => tx.commit(x, true, false)?,
                        Some(x) => tx.abort(x)?,
                        None => tx.end_without_xid(),
                    }
                    *b = Backend::default();
                }
                "see" | "update?" => {
                    let b = &backends[slot];
                    let me = Me {
                        xid: b.xid,
                        combocids: &b.combos,
                    };
                    for name in &words[1..] {
                        let t = tuples
                            .get_mut(*name)
                            .ok_or_else(|| PgError::internal("no such tuple"))?;
                        let h = TupleHeader::parse(&t.bytes)?;
                        let (what, hints) = if verb == "see" {
                            let snap = b
                                .snapshot
                                .as_ref()
                                .ok_or_else(|| PgError::internal("no snapshot"))?;
                            let (v, hints) = visibility::satisfies_mvcc(&h, snap, me, &tx)?;
                            ((if v { "visible" } else { "invisible" }).to_owned(), hints)
                        } else {
                            let (r, hints) =
                                visibility::satisfies_update_at(&h, t.tid, b.cid, me, &tx)?;
                            (format!("{r:?}"), hints)
                        };
                        apply_hints(&mut t.bytes, hints)?;
                        write!(o, "{name}: {what}").ok();
                        if hints != 0 {
                            write!(o, " (hints {})", mask_names(hints)).ok();
                        }
                        o.push('\n');
                    }
                }
                "vacuum" => {
                    let oldest = tx.oldest_xmin();
                    writeln!(o, "oldest_xmin {oldest}").ok();
                    for name in &words[1..] {
                        let t = tuples
                            .get_mut(*name)
                            .ok_or_else(|| PgError::internal("no such tuple"))?;
                        let h = TupleHeader::parse(&t.bytes)?;
                        let (r, hints) = visibility::satisfies_vacuum(&h, oldest, &tx)?;
                        apply_hints(&mut t.bytes, hints)?;
                        write!(o, "{name}: {r:?}").ok();
                        if hints != 0 {
                            write!(o, " (hints {})", mask_names(hints)).ok();
                        }
                        o.push('\n');
                    }
                }
                "show" => {
                    for name in &words[1..] {
                        let t = tuples
                            .get(*name)
                            .ok_or_else(|| PgError::internal("no such tuple"))?;
                        let h = TupleHeader::parse(&t.bytes)?;
                        writeln!(
                            o,
                            "{name} {}: xmin={} xmax={} cid={} ctid={} {}",
                            t.tid,
                            h.xmin(),
                            h.xmax(),
                            h.cid(),
                            h.ctid(),
                            mask_names(h.infomask())
                        )
                        .ok();
                    }
                }
                "procs" => {
                    for (i, xid, xmin) in shm.proc_array().xact_fields() {
                        if xid != 0 || xmin != 0 {
                            writeln!(o, "slot {i}: xid={xid} xmin={xmin}").ok();
                        }
                    }
                    let sh = shared(&shm);
                    writeln!(
                        o,
                        "next_xid={} latest_completed_xid={}",
                        sh.next_xid.load(Ordering::SeqCst),
                        sh.latest_completed_xid.load(Ordering::SeqCst)
                    )
                    .ok();
                }
                other => return Err(PgError::internal(format!("unknown command {other:?}"))),
            }
            Ok(o)
        })();
        match result {
            Ok(o) => out.push_str(&o),
            Err(e) => writeln!(out, "error: {}", e.message).unwrap_or(()),
        }
    }
    out
}

fn apply_hints(bytes: &mut [u8], hints: u16) -> PgResult<()> {
    if hints != 0 {
        TupleHeaderMut::parse(bytes)?.add_infomask(hints);
    }
    Ok(())
}

#[test]
fn golden_scripts() {
    crate::golden::check_scripts("transam", |text| {
        let dir = tempfile::tempdir().expect("tempdir");
        run_script(text, dir.path())
    });
}
