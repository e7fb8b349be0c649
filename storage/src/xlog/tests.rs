//! WAL insertion, flush and recovery inside one process: threads stand in
//! for backends (each with its own `Xlog` handle and insertion slot), a new
//! segment over the same data directory stands in for a restart after
//! `kill -9` (nothing is written back from the old buffer pool).

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use wal::WalRecord;
use wal::reader::WalReader;
use wal::record::PageOp;
use wal::segment::{Lsn, PG_WAL_DIR, WAL_SEGMENT_SIZE};

use super::checkpoint::{bootstrap, create_checkpoint};
use super::redo::{RecoveryOutcome, RedoEnv, startup};
use super::{WalSettings, Xlog};
use crate::buffer::{BLCKSZ, BufferManager, BufferTag, ReadMode, page_lsn};
use crate::page::{AddItemFlags, Page, PageMut};
use crate::shmem::{SharedMemory, ShmemLayout};
use crate::smgr::{ForkNumber, RelFileLocator, Smgr};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::control::{ControlFile, DB_IN_PRODUCTION};
use crate::transam::{Transam, XidStatus};

const SLOTS: u32 = 8;

fn settings() -> WalSettings {
    // fsync off: the tests check ordering and content, not the disk.
    WalSettings {
        fsync: false,
        ..WalSettings::default()
    }
}

fn rel() -> RelFileLocator {
    RelFileLocator::new(5, 16384)
}

/// A new cluster's files: control file, pg_xact, pg_wal with the bootstrap
/// checkpoint, and one empty relation.
fn init(dir: &Path) {
    Transam::bootstrap(dir).expect("transam bootstrap");
    let c = ControlFile::read(dir).expect("control file");
    bootstrap(dir, c.next_xid, c.next_oid).expect("wal bootstrap");
    Smgr::new(dir)
        .create(rel(), ForkNumber::Main, false)
        .expect("create relation");
}

/// One "server start": a fresh segment over `dir`, counters loaded, recovery
/// run. `wal_buffers` small makes inserters wrap the ring.
struct Server {
    shm: SharedMemory,
    store: Arc<SmgrBlockStore>,
}

impl Server {
    fn start(dir: &Path, wal_buffers: u32) -> (Server, RecoveryOutcome) {
        let mut layout = ShmemLayout::new(SLOTS, 64);
        layout.wal_buffers = wal_buffers;
        let shm = SharedMemory::create(layout, std::process::id() as i32, 0).expect("segment");
        let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
        let server = Server { shm, store };
        let outcome = {
            let transam = Transam::new(&server.shm, dir, 0);
            transam.startup().expect("startup");
            let xlog = Arc::new(Xlog::new(&server.shm, dir, 0, settings()));
            let bufmgr = BufferManager::new(&server.shm, server.store.clone())
                .expect("bufmgr")
                .with_wal(xlog.clone());
            let env = RedoEnv::new(&bufmgr, &server.store, &transam, dir);
            startup(&env, &xlog, |_, _| {}).expect("recovery").0
        };
        (server, outcome)
    }

    fn xlog(&self, dir: &Path, slot: usize) -> Arc<Xlog<'_>> {
        Arc::new(Xlog::new(&self.shm, dir, slot, settings()))
    }
}

/// Every record from the first segment on.
fn read_all(dir: &Path) -> Vec<(Lsn, u64, WalRecord)> {
    let mut reader = WalReader::new(dir.join(PG_WAL_DIR), Lsn::FIRST);
    let mut out = Vec::new();
    while let Some((lsn, header, record)) = reader.next_record() {
        out.push((lsn, header.xid, record));
    }
    out
}

#[test]
fn concurrent_inserters_wrapping_the_ring_leave_every_record_once_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    // 16 pages = 128 KiB of ring: the inserts below wrap it many times.
    let (server, _) = Server::start(dir.path(), 16);
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 3000;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let server = &server;
            let dir = dir.path();
            s.spawn(move || {
                let xlog = server.xlog(dir, t as usize + 1);
                let mut last = Lsn(0);
                for i in 0..PER_THREAD {
                    let xid = (t + 1) * 1_000_000 + i;
                    // Some records big enough to need several ring words.
                    let record = if i % 7 == 0 {
                        WalRecord::Commit {
                            time: i as i64,
                            drop_rels: vec![super::rel_id(rel()); 40],
                            drop_dbs: vec![],
                        }
                    } else {
                        WalRecord::Noop
                    };
                    let end = xlog.insert(&record, xid).expect("insert");
                    assert!(end > last, "LSNs of one inserter only grow");
                    last = end;
                    if i % 50 == 0 {
                        xlog.flush(end).expect("flush");
                        assert!(xlog.flush_position() >= end);
                    }
                }
                xlog.flush(last).expect("final flush");
            });
        }
    });
    let records = read_all(dir.path());
    // The bootstrap checkpoint, then everything the threads inserted.
    assert!(matches!(records[0].2, WalRecord::Checkpoint(_)));
    let mut next = [0u64; THREADS as usize];
    for (lsn, xid, record) in &records[1..] {
        let t = (xid / 1_000_000 - 1) as usize;
        let i = xid % 1_000_000;
        assert_eq!(
            i, next[t],
            "thread {t}'s records in its own order (at {lsn})"
        );
        next[t] += 1;
        let want_commit = i % 7 == 0;
        assert_eq!(
            matches!(record, WalRecord::Commit { .. }),
            want_commit,
            "record body at {lsn}"
        );
    }
    assert_eq!(next, [PER_THREAD; THREADS as usize], "every record once");
}

#[test]
fn records_spanning_a_segment_boundary_are_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    let (server, _) = Server::start(dir.path(), 128);
    let xlog = server.xlog(dir.path(), 1);
    let page = Box::new([0x5au8; BLCKSZ]);
    let zero = Box::new([0u8; BLCKSZ]);
    let tag = BufferTag::new(rel(), ForkNumber::Main, 0);
    // Images of a page that is all 0x5a: ~8 KiB each, past 16 MiB in all.
    let n = WAL_SEGMENT_SIZE as usize / BLCKSZ + 100;
    for _ in 0..n {
        xlog.log_page(&tag, &zero, &page, PageOp::NewPage, 7, None)
            .expect("log page");
    }
    xlog.flush_all().expect("flush");
    let records = read_all(dir.path());
    assert_eq!(records.len(), n + 1, "checkpoint + every image");
    assert!(
        records
            .iter()
            .any(|(lsn, _, _)| lsn.segno() == Lsn::FIRST.segno() + 1),
        "the log went on into the next segment"
    );
    for (lsn, _, record) in &records[1..] {
        let WalRecord::Page { blocks, .. } = record else {
            panic!("page record expected at {lsn}")
        };
        let mut back = [0u8; BLCKSZ];
        wal::delta::apply(&mut back, &blocks[0].delta).expect("apply");
        assert!(
            blocks[0].image && back[..] == page[..],
            "image at {lsn} intact"
        );
    }
}

/// Adds `text` as an item to block `block` of the test relation and logs it.
fn add_row(bufmgr: &BufferManager<'_>, block: u32, text: &str, xid: u64) {
    let tag = BufferTag::new(rel(), ForkNumber::Main, block);
    let buf = bufmgr
        .read_buffer(tag, ReadMode::Normal, None)
        .expect("read");
    let mut page = buf.lock_exclusive();
    let before = page.before_image();
    if Page::new(&page).is_new() {
        PageMut::new(&mut page).init(0);
    }
    PageMut::new(&mut page)
        .add_item(text.as_bytes(), None, AddItemFlags::HEAP)
        .expect("add")
        .expect("room");
    page.log_change(&before, PageOp::HeapInsert, xid)
        .expect("log");
}

fn rows(bufmgr: &BufferManager<'_>, block: u32) -> Vec<String> {
    let tag = BufferTag::new(rel(), ForkNumber::Main, block);
    let buf = bufmgr
        .read_buffer(tag, ReadMode::Normal, None)
        .expect("read");
    let page = buf.lock_shared();
    let p = Page::new(&page);
    (1..=p.max_offset_number())
        .filter(|&o| p.item_id(o).is_some_and(|i| i.is_normal()))
        .map(|o| String::from_utf8_lossy(p.get_item(o).expect("item")).into_owned())
        .collect()
}

fn extend(dir: &Path, blocks: u32) {
    let mut smgr = Smgr::new(dir);
    for b in smgr.nblocks(rel(), ForkNumber::Main).expect("nblocks")..blocks {
        smgr.extend(rel(), ForkNumber::Main, b, &[0u8; BLCKSZ], false)
            .expect("extend");
    }
}

#[test]
fn a_crash_loses_no_logged_change_and_redo_repairs_a_torn_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    extend(dir.path(), 2);
    {
        let (server, outcome) = Server::start(dir.path(), 128);
        assert!(
            outcome.was_clean && outcome.records == 0,
            "a new cluster starts clean: {outcome:?}"
        );
        let xlog = server.xlog(dir.path(), 1);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone())
            .expect("bufmgr")
            .with_wal(xlog.clone());
        let transam = Transam::new(&server.shm, dir.path(), 1);
        for i in 0..20 {
            add_row(&bufmgr, i % 2, &format!("row {i}"), 100);
        }
        let end = xlog
            .insert(
                &WalRecord::Commit {
                    time: 0,
                    drop_rels: vec![],
                    drop_dbs: vec![],
                },
                transam.next_xid(),
            )
            .expect("commit");
        xlog.flush(end).expect("flush");
        // Block 1 reaches the disk, then is torn by a crash during its next
        // write: its second half is garbage.
        bufmgr.flush_all().expect("flush buffers");
        let mut torn = [0u8; BLCKSZ];
        torn[..BLCKSZ / 2].fill(0x11);
        Smgr::new(dir.path())
            .write(rel(), ForkNumber::Main, 1, &torn, false)
            .expect("tear");
        // kill -9: the segment and its dirty buffers are gone.
    }
    let (server, outcome) = Server::start(dir.path(), 128);
    assert!(!outcome.was_clean, "the crash is noticed");
    assert!(outcome.records >= 21, "every change replayed: {outcome:?}");
    let bufmgr = BufferManager::new(&server.shm, server.store.clone()).expect("bufmgr");
    let want = |parity: u32| {
        (0..20)
            .filter(|i| i % 2 == parity)
            .map(|i| format!("row {i}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&bufmgr, 0), want(0));
    assert_eq!(
        rows(&bufmgr, 1),
        want(1),
        "the torn page rebuilt from its image"
    );
    let c = ControlFile::read(dir.path()).expect("control file");
    assert_eq!(c.state, DB_IN_PRODUCTION);
    assert!(
        Lsn(c.checkpoint) >= outcome.end,
        "the end-of-recovery checkpoint was written after the replayed WAL"
    );
}

#[test]
fn redo_is_idempotent_and_commits_reach_the_clog() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    extend(dir.path(), 1);
    let xid;
    {
        let (server, _) = Server::start(dir.path(), 128);
        let xlog = server.xlog(dir.path(), 1);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone())
            .expect("bufmgr")
            .with_wal(xlog.clone());
        let transam = Transam::new(&server.shm, dir.path(), 1);
        let _proc = server.shm.proc_array().claim(1, 1).expect("slot");
        xid = transam.assign_xid().expect("xid");
        add_row(&bufmgr, 0, "committed row", xid);
        let end = xlog
            .insert(
                &WalRecord::Commit {
                    time: 0,
                    drop_rels: vec![],
                    drop_dbs: vec![],
                },
                xid,
            )
            .expect("commit");
        xlog.flush(end).expect("flush");
        // The page is written after the commit (with its LSN), the CLOG not.
        bufmgr.flush_all().expect("flush buffers");
    }
    let lsn_after_first;
    {
        // Recovery replays the change onto a page that already has it: the
        // page LSN says so and it is skipped.
        let (server, outcome) = Server::start(dir.path(), 128);
        assert!(outcome.records >= 2);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone()).expect("bufmgr");
        assert_eq!(
            rows(&bufmgr, 0),
            vec!["committed row".to_owned()],
            "applied once"
        );
        let transam = Transam::new(&server.shm, dir.path(), 0);
        assert_eq!(
            transam.status(xid).expect("status"),
            XidStatus::Committed,
            "redo of the commit set the CLOG"
        );
        let buf = bufmgr
            .read_buffer(
                BufferTag::new(rel(), ForkNumber::Main, 0),
                ReadMode::Normal,
                None,
            )
            .expect("read");
        lsn_after_first = page_lsn(&buf.lock_shared());
        drop(buf);
        // A clean shutdown.
        let xlog = server.xlog(dir.path(), 0);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone())
            .expect("bufmgr")
            .with_wal(xlog.clone());
        create_checkpoint(&xlog, &bufmgr, &transam, dir.path(), true, &mut |_, _| {})
            .expect("shutdown checkpoint");
    }
    // A restart after a clean shutdown replays nothing.
    let (server, outcome) = Server::start(dir.path(), 128);
    assert!(outcome.was_clean && outcome.records == 0, "{outcome:?}");
    let bufmgr = BufferManager::new(&server.shm, server.store.clone()).expect("bufmgr");
    let buf = bufmgr
        .read_buffer(
            BufferTag::new(rel(), ForkNumber::Main, 0),
            ReadMode::Normal,
            None,
        )
        .expect("read");
    assert_eq!(page_lsn(&buf.lock_shared()), lsn_after_first);
}

#[test]
fn the_first_change_after_a_checkpoint_logs_an_image_and_later_ones_deltas() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    extend(dir.path(), 1);
    let (server, _) = Server::start(dir.path(), 128);
    let xlog = server.xlog(dir.path(), 1);
    let bufmgr = BufferManager::new(&server.shm, server.store.clone())
        .expect("bufmgr")
        .with_wal(xlog.clone());
    let transam = Transam::new(&server.shm, dir.path(), 1);
    let fpi = || {
        xlog.ctl()
            .stats
            .fpi
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    add_row(&bufmgr, 0, "a", 1);
    let after_first = fpi();
    add_row(&bufmgr, 0, "b", 1);
    assert_eq!(
        fpi(),
        after_first,
        "a second change since the redo point is a delta"
    );
    create_checkpoint(&xlog, &bufmgr, &transam, dir.path(), false, &mut |_, _| {})
        .expect("checkpoint");
    add_row(&bufmgr, 0, "c", 1);
    assert_eq!(
        fpi(),
        after_first + 1,
        "the first change after the checkpoint is an image"
    );
    let c = ControlFile::read(dir.path()).expect("control");
    assert_eq!(Lsn(c.checkpoint), xlog.last_checkpoint());
    assert!(Lsn(c.redo) <= Lsn(c.checkpoint));
}

#[test]
fn a_pruned_page_is_logged_by_what_was_done_and_redo_rebuilds_the_same_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    extend(dir.path(), 1);
    let primary: Vec<u8>;
    let pruned_record_bytes;
    {
        let (server, _) = Server::start(dir.path(), 128);
        let xlog = server.xlog(dir.path(), 1);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone())
            .expect("bufmgr")
            .with_wal(xlog.clone());
        for i in 0..40 {
            add_row(&bufmgr, 0, &format!("row {i:02} {}", "x".repeat(i * 3)), 5);
        }
        let tag = BufferTag::new(rel(), ForkNumber::Main, 0);
        let buf = bufmgr
            .read_buffer(tag, ReadMode::Normal, None)
            .expect("read");
        let mut page = buf.lock_exclusive();
        let before = page.before_image();
        let unused: Vec<u16> = (1..=40).filter(|o| o % 3 == 0).collect();
        crate::heap::pruneheap::apply_prune(&mut page, &[], &[], &unused, 77).expect("prune");
        let start = xlog.insert_position();
        page.log_prune(&before, PageOp::Prune, Vec::new(), Vec::new(), unused, 77)
            .expect("log prune");
        pruned_record_bytes = xlog.insert_position().0 - start.0;
        primary = page[16..].to_vec();
        drop(page);
        drop(buf);
        xlog.flush_all().expect("flush");
        // kill -9: nothing of the pruned page reaches the disk.
    }
    assert!(
        pruned_record_bytes < 200,
        "a prune record is small: {pruned_record_bytes} bytes"
    );
    let (server, outcome) = Server::start(dir.path(), 128);
    assert!(outcome.records >= 41, "{outcome:?}");
    let bufmgr = BufferManager::new(&server.shm, server.store.clone()).expect("bufmgr");
    let buf = bufmgr
        .read_buffer(
            BufferTag::new(rel(), ForkNumber::Main, 0),
            ReadMode::Normal,
            None,
        )
        .expect("read");
    assert!(page_lsn(&buf.lock_shared()) > 0);
    assert_eq!(
        &buf.lock_shared()[16..],
        &primary[..],
        "redo gave the page the primary's layout"
    );
    drop(buf);
    let left = rows(&bufmgr, 0);
    assert!(
        !left.iter().any(|r| r.starts_with("row 02 ")),
        "pruned rows are gone: {left:?}"
    );
}

#[test]
fn redo_of_hot_pruning_and_vacuum_rebuilds_the_primary_page_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    extend(dir.path(), 1);
    let primary: Vec<u8>;
    {
        let (server, _) = Server::start(dir.path(), 128);
        let xlog = server.xlog(dir.path(), 1);
        let bufmgr = BufferManager::new(&server.shm, server.store.clone())
            .expect("bufmgr")
            .with_wal(xlog.clone());
        for i in 0..40 {
            add_row(&bufmgr, 0, &format!("row {i:02} {}", "y".repeat(i * 5)), 5);
        }
        let tag = BufferTag::new(rel(), ForkNumber::Main, 0);
        let buf = bufmgr
            .read_buffer(tag, ReadMode::Normal, None)
            .expect("read");
        // Pruning: two chain roots redirected, two roots made DEAD, heap-only
        // members and trailing pointers freed (the array shrinks).
        {
            let mut page = buf.lock_exclusive();
            let before = page.before_image();
            let redirected = vec![(1, 3), (5, 8)];
            let (dead, unused) = (vec![10, 12], vec![2, 4, 6, 7, 39, 40]);
            crate::heap::pruneheap::apply_prune(&mut page, &redirected, &dead, &unused, 77)
                .expect("prune");
            let p = Page::new(&page);
            assert_eq!(
                p.max_offset_number(),
                38,
                "trailing unused pointers dropped"
            );
            assert!(
                p.item_id(1)
                    .is_some_and(|i| i.is_redirect() && i.redirect_target() == 3)
            );
            assert!(p.item_id(10).is_some_and(|i| i.is_dead()));
            page.log_prune(&before, PageOp::Prune, redirected, dead, unused, 77)
                .expect("log prune");
        }
        // VACUUM's second pass after index cleanup: the DEAD pointers go.
        {
            let mut page = buf.lock_exclusive();
            let before = page.before_image();
            crate::heap::pruneheap::apply_prune(&mut page, &[], &[], &[10, 12], 77)
                .expect("vacuum");
            page.log_prune(
                &before,
                PageOp::Vacuum,
                Vec::new(),
                Vec::new(),
                vec![10, 12],
                77,
            )
            .expect("log vacuum");
        }
        drop(buf);
        // A later change logged as a delta must land on the same layout.
        add_row(&bufmgr, 0, "after pruning", 6);
        let buf = bufmgr
            .read_buffer(tag, ReadMode::Normal, None)
            .expect("read");
        // Everything but the LSN and the checksum (set when it is written).
        primary = buf.lock_shared()[10..].to_vec();
        drop(buf);
        xlog.flush_all().expect("flush");
        // kill -9: nothing of the pruned page reaches the disk.
    }
    let described: Vec<String> = read_all(dir.path())
        .into_iter()
        .filter(|(_, _, r)| matches!(r, WalRecord::HeapPrune { .. }))
        .map(|(_, _, r)| r.describe())
        .collect();
    assert_eq!(described.len(), 2, "{described:?}");
    assert!(
        described[0].starts_with("PRUNE redirected 2, dead 2, unused 6; prune xid 77"),
        "{described:?}"
    );
    assert!(
        described[1].starts_with("VACUUM redirected 0, dead 0, unused 2; prune xid 77"),
        "{described:?}"
    );
    let (server, _) = Server::start(dir.path(), 128);
    let bufmgr = BufferManager::new(&server.shm, server.store.clone()).expect("bufmgr");
    let buf = bufmgr
        .read_buffer(
            BufferTag::new(rel(), ForkNumber::Main, 0),
            ReadMode::Normal,
            None,
        )
        .expect("read");
    assert_eq!(
        &buf.lock_shared()[10..],
        &primary[..],
        "redo gave the page the primary's bytes"
    );
    drop(buf);
    let left = rows(&bufmgr, 0);
    assert!(left.iter().any(|r| r == "after pruning"), "{left:?}");
    assert!(
        !left
            .iter()
            .any(|r| r.starts_with("row 00 ") || r.starts_with("row 09 ")),
        "pruned rows are gone: {left:?}"
    );
}

#[test]
fn creating_a_segment_never_replaces_one_that_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    super::create_zeroed_segment(dir.path(), 3, false).expect("create");
    let path = dir.path().join(wal::segment::segment_file_name(3));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .write_all_at(b"live WAL", 100)
        .expect("write");
    super::create_zeroed_segment(dir.path(), 3, false).expect("create again");
    let mut back = [0u8; 8];
    std::fs::File::open(&path)
        .expect("open")
        .read_exact_at(&mut back, 100)
        .expect("read");
    assert_eq!(&back, b"live WAL");
    assert_eq!(
        std::fs::metadata(&path).expect("metadata").len(),
        WAL_SEGMENT_SIZE
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.path() != path)
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
}
