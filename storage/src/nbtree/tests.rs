//! B-tree tests over the real buffer manager and relation files: random
//! inserts and bulk deletes against a model (`BTreeSet` of (key, tid)),
//! compared by full and range scans and followed by `check`; splits at
//! every level with wide keys; unique checks; the sorted bulk build;
//! concurrent inserters on threads standing in for backends; deletion of
//! emptied leaves under open scans, and their reuse.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use types::{Datum, PgResult, oid};

use super::insert::{DeadCheck, InsertOutcome, UniqueProbe, build_empty, insert, insert_entry};
use super::itup::IndexTuple;
use super::maint::{build, bulk_delete, check, sort_entries};
use super::scan::{Bound, IndexScan};
use super::{ColumnOrder, IndexDesc};
use crate::buffer::BufferManager;
use crate::heap::heapam::{HeapEnv, NoExtensionLock};
use crate::heap::tuple::Attribute;
use crate::page::ItemPointer;
use crate::shmem::{SharedMemory, ShmemLayout};
use crate::smgr::{ForkNumber, RelFileLocator, Smgr};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::Transam;

/// Binds `$env`, a heap environment over the cluster `$shm`/`$store` in
/// `$dir`, acting as backend slot `$slot`; its buffer manager and
/// transaction manager live to the end of the enclosing block.
macro_rules! heap_env {
    ($env:ident, $shm:expr, $store:expr, $dir:expr, $slot:expr, $ext:expr) => {
        let bufmgr = BufferManager::new($shm, $store.clone()).expect("bufmgr");
        let tx = Transam::new($shm, $dir, $slot);
        let $env = HeapEnv {
            bufmgr: &bufmgr,
            store: &$store,
            tx: &tx,
            extension_lock: $ext,
        };
    };
}

fn rel() -> RelFileLocator {
    RelFileLocator::new(5, 16400)
}

fn cluster(dir: &Path, buffers: u32) -> (SharedMemory, Arc<SmgrBlockStore>) {
    Transam::bootstrap(dir).expect("bootstrap");
    let shm = SharedMemory::create(ShmemLayout::new(8, buffers), std::process::id() as i32, 0)
        .expect("segment");
    Transam::new(&shm, dir, 7).startup().expect("startup");
    let store = Arc::new(SmgrBlockStore::new(Smgr::new(dir)));
    store
        .smgr()
        .create(rel(), ForkNumber::Main, false)
        .expect("create relation");
    (shm, store)
}

fn int_desc(unique: bool) -> IndexDesc {
    IndexDesc::new(
        "t_idx",
        vec![Attribute::new("k", oid::INT4, -1).expect("att")],
        1,
        vec![ColumnOrder::default()],
        unique,
    )
}

/// (text, int4 DESC) with wide text keys so that trees get several levels fast.
fn wide_desc() -> IndexDesc {
    IndexDesc::new(
        "w_idx",
        vec![
            Attribute::new("s", oid::TEXT, -1).expect("att"),
            Attribute::new("n", oid::INT4, -1).expect("att"),
        ],
        2,
        vec![
            ColumnOrder::default(),
            ColumnOrder {
                desc: true,
                nulls_first: true,
            },
        ],
        false,
    )
}

fn tid(i: u32) -> ItemPointer {
    ItemPointer::new(i / 200, (i % 200 + 1) as u16)
}

/// A tiny deterministic generator (xorshift), so failures repeat.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn scan_all(
    env: &HeapEnv<'_, '_>,
    desc: &IndexDesc,
    lower: Option<Bound>,
    upper: Option<Bound>,
) -> PgResult<Vec<(Vec<Datum>, ItemPointer)>> {
    // Every scan is also run backward: the same entries in reverse.
    let mut back = scan_dir(
        env,
        desc,
        IndexScan::begin_backward(rel(), lower.clone(), upper.clone()),
    )?;
    back.reverse();
    let fwd = scan_dir(env, desc, IndexScan::begin(rel(), lower, upper))?;
    assert_eq!(
        back, fwd,
        "a backward scan returns the forward scan's entries in reverse"
    );
    Ok(fwd)
}

fn scan_dir(
    env: &HeapEnv<'_, '_>,
    desc: &IndexDesc,
    scan: IndexScan,
) -> PgResult<Vec<(Vec<Datum>, ItemPointer)>> {
    let mut s = scan;
    let mut out = Vec::new();
    while let Some((tid, bytes)) = s.next(env, desc)? {
        out.push((IndexTuple::parse(&bytes)?.values(desc)?, tid));
    }
    Ok(out)
}

fn int_of(d: &Datum) -> i32 {
    match d {
        Datum::Int4(v) => *v,
        other => panic!("not an int4: {other:?}"),
    }
}

#[test]
fn random_inserts_deletes_and_scans_match_a_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(false);
    build_empty(&env, rel()).expect("empty index");
    let mut model: BTreeSet<(i32, ItemPointer)> = BTreeSet::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut next_tid = 0u32;
    for round in 0..6 {
        for _ in 0..3000 {
            // Many duplicates: keys from a small range.
            let k = rng.below(500) as i32 - 250;
            let t = tid(next_tid);
            next_tid += 1;
            assert_eq!(
                insert(&env, rel(), &desc, &[Datum::Int4(k)], t, None).expect("insert"),
                InsertOutcome::Inserted
            );
            model.insert((k, t));
        }
        // Remove about a third of the entries by heap tid.
        let dead: BTreeSet<ItemPointer> = model
            .iter()
            .filter(|_| rng.below(3) == 0)
            .map(|(_, t)| *t)
            .collect();
        let stats = bulk_delete(&env, rel(), &desc, &|t| dead.contains(&t), &mut || Ok(()))
            .expect("bulk delete");
        assert_eq!(stats.removed as usize, dead.len(), "round {round}");
        model.retain(|(_, t)| !dead.contains(t));

        let all = scan_all(&env, &desc, None, None).expect("scan");
        let got: Vec<(i32, ItemPointer)> = all.iter().map(|(v, t)| (int_of(&v[0]), *t)).collect();
        let want: Vec<(i32, ItemPointer)> = model.iter().copied().collect();
        assert_eq!(got, want, "full scan, round {round}");
        let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
        assert_eq!(report.entries as usize, model.len());
        assert!(report.levels >= 2, "the tree should have split: {report:?}");

        for _ in 0..20 {
            let a = rng.below(600) as i32 - 300;
            let b = a + rng.below(100) as i32;
            let (ai, bi) = (rng.below(2) == 0, rng.below(2) == 0);
            let got: Vec<(i32, ItemPointer)> = scan_all(
                &env,
                &desc,
                Some(Bound {
                    values: vec![Datum::Int4(a)],
                    inclusive: ai,
                }),
                Some(Bound {
                    values: vec![Datum::Int4(b)],
                    inclusive: bi,
                }),
            )
            .expect("range scan")
            .iter()
            .map(|(v, t)| (int_of(&v[0]), *t))
            .collect();
            let want: Vec<(i32, ItemPointer)> = model
                .iter()
                .filter(|(k, _)| (*k > a || (ai && *k == a)) && (*k < b || (bi && *k == b)))
                .copied()
                .collect();
            assert_eq!(got, want, "range [{a} {ai}, {b} {bi}] round {round}");
        }
    }
}

#[test]
fn wide_keys_split_internal_pages_and_order_desc_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = wide_desc();
    build_empty(&env, rel()).expect("empty index");
    let mut rng = Rng(42);
    let mut model = Vec::new();
    for i in 0..4000u32 {
        let s = format!("{:05}{}", rng.below(3000), "x".repeat(300));
        let n = if i % 10 == 0 {
            Datum::Null
        } else {
            Datum::Int4(rng.below(50) as i32)
        };
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Text(s.clone()), n.clone()],
            tid(i),
            None,
        )
        .expect("insert");
        model.push((s, n, tid(i)));
    }
    // Expected order: text ascending, then int DESC NULLS FIRST, then tid.
    model.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| match (&a.1, &b.1) {
                (Datum::Null, Datum::Null) => std::cmp::Ordering::Equal,
                (Datum::Null, _) => std::cmp::Ordering::Less,
                (_, Datum::Null) => std::cmp::Ordering::Greater,
                (x, y) => int_of(y).cmp(&int_of(x)),
            })
            .then(a.2.cmp(&b.2))
    });
    let got = scan_all(&env, &desc, None, None).expect("scan");
    assert_eq!(got.len(), model.len());
    for (g, m) in got.iter().zip(&model) {
        assert_eq!(
            (&g.0[0], &g.0[1], g.1),
            (&Datum::Text(m.0.clone()), &m.1, m.2)
        );
    }
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert!(report.levels >= 3, "expected internal splits: {report:?}");
    // Equality on the first column only.
    let key = model[1234].0.clone();
    let eq = scan_all(
        &env,
        &desc,
        Some(Bound {
            values: vec![Datum::Text(key.clone())],
            inclusive: true,
        }),
        Some(Bound {
            values: vec![Datum::Text(key.clone())],
            inclusive: true,
        }),
    )
    .expect("eq scan");
    assert_eq!(eq.len(), model.iter().filter(|m| m.0 == key).count());
}

#[test]
fn unique_index_reports_live_duplicates_and_waits_for_running_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 32);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(true);
    build_empty(&env, rel()).expect("empty index");
    for i in 0..2000 {
        let mut live = |_| Ok(UniqueProbe::Live);
        assert_eq!(
            insert(
                &env,
                rel(),
                &desc,
                &[Datum::Int4(i)],
                tid(i as u32),
                Some(&mut live)
            )
            .expect("insert"),
            InsertOutcome::Inserted
        );
    }
    let mut live = |_| Ok(UniqueProbe::Live);
    assert_eq!(
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(777)],
            tid(5000),
            Some(&mut live)
        )
        .expect("dup"),
        InsertOutcome::Duplicate(tid(777))
    );
    let mut running = |_| Ok(UniqueProbe::InProgress(99));
    assert_eq!(
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(778)],
            tid(5001),
            Some(&mut running)
        )
        .expect("wait"),
        InsertOutcome::Wait(99)
    );
    let mut dead = |_| Ok(UniqueProbe::NotLive);
    assert_eq!(
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(779)],
            tid(5002),
            Some(&mut dead)
        )
        .expect("dead dup"),
        InsertOutcome::Inserted
    );
    // NULLs never conflict.
    for i in 0..3 {
        let mut live = |_| Ok(UniqueProbe::Live);
        assert_eq!(
            insert(
                &env,
                rel(),
                &desc,
                &[Datum::Null],
                tid(6000 + i),
                Some(&mut live)
            )
            .expect("null"),
            InsertOutcome::Inserted
        );
    }
    // A duplicate whose equal keys span a page boundary is still found.
    for i in 0..900 {
        let mut none = |_| Ok(UniqueProbe::NotLive);
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(-5)],
            tid(7000 + i),
            Some(&mut none),
        )
        .expect("dead dups");
    }
    let mut last_live = |t: ItemPointer| {
        Ok(if t == tid(7899) {
            UniqueProbe::Live
        } else {
            UniqueProbe::NotLive
        })
    };
    assert_eq!(
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(-5)],
            tid(9000),
            Some(&mut last_live)
        )
        .expect("dup across pages"),
        InsertOutcome::Duplicate(tid(7899))
    );
    check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
}

#[test]
fn bulk_build_matches_inserts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(false);
    let mut rng = Rng(7);
    let mut entries: Vec<(Vec<Datum>, ItemPointer, ())> = (0..100_000u32)
        .map(|i| (vec![Datum::Int4(rng.below(1_000_000) as i32)], tid(i), ()))
        .collect();
    sort_entries(&desc, &mut entries).expect("sort");
    build(
        &env,
        rel(),
        &desc,
        entries.iter().map(|e| (e.0.clone(), e.1)),
        &mut || Ok(()),
    )
    .expect("build");
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(report.entries, 100_000);
    assert_eq!(report.levels, 2);
    let got = scan_all(&env, &desc, None, None).expect("scan");
    assert!(
        got.iter()
            .zip(&entries)
            .all(|(g, e)| g.0 == e.0 && g.1 == e.1)
    );
    // Leaves are 90% full: 100,000 int4 entries of 20 bytes take 270 to 280 pages.
    let nblocks = store
        .smgr()
        .nblocks(rel(), ForkNumber::Main)
        .expect("nblocks");
    assert!((270..=285).contains(&nblocks), "{nblocks} blocks");
    // The built tree takes inserts and splits like any other.
    for i in 0..20_000u32 {
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(rng.below(1_000_000) as i32)],
            tid(200_000 + i),
            None,
        )
        .expect("insert");
    }
    assert_eq!(
        check(&env, rel(), &desc, &mut |_, _| Ok(()))
            .expect("check")
            .entries,
        120_000
    );
    // An empty build is a valid empty index.
    let empty = RelFileLocator::new(5, 16401);
    store
        .smgr()
        .create(empty, ForkNumber::Main, false)
        .expect("create");
    build(&env, empty, &desc, Vec::new(), &mut || Ok(())).expect("empty build");
}

#[test]
fn concurrent_inserters_keep_the_tree_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 128);
    {
        heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
        build_empty(&env, rel()).expect("empty index");
    }
    let desc = wide_desc();
    let ext = ThreadExtensionLock::default();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let (shm, store, desc, ext, dir) = (&shm, store.clone(), &desc, &ext, dir.path());
            s.spawn(move || {
                heap_env!(env, shm, store, dir, t as usize, ext);
                let mut rng = Rng(1000 + u64::from(t));
                for i in 0..1500u32 {
                    let s = format!("{:04}{}", rng.below(2000), "y".repeat(200));
                    insert(
                        &env,
                        rel(),
                        desc,
                        &[Datum::Text(s), Datum::Int4(t as i32)],
                        tid(t * 10_000 + i),
                        None,
                    )
                    .expect("insert");
                }
            });
        }
    });
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(report.entries, 6000);
    assert_eq!(scan_all(&env, &desc, None, None).expect("scan").len(), 6000);
}

/// The relation extension lock between threads.
#[derive(Default)]
struct ThreadExtensionLock(std::sync::Mutex<bool>, std::sync::Condvar);

impl crate::heap::heapam::ExtensionLock for ThreadExtensionLock {
    fn lock(&self, _rel: RelFileLocator) -> PgResult<()> {
        let mut held = self.0.lock().expect("mutex");
        while *held {
            held = self.1.wait(held).expect("condvar");
        }
        *held = true;
        Ok(())
    }
    fn unlock(&self, _rel: RelFileLocator) {
        *self.0.lock().expect("mutex") = false;
        self.1.notify_one();
    }
}

#[test]
fn a_build_beyond_its_memory_merges_sorted_runs_from_temporary_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desc = wide_desc();
    let tmp = super::sort::temp_dir(dir.path());
    let mut spool = super::sort::Spool::new(&desc, 64 * 1024, tmp.clone());
    let mut rng = Rng(99);
    let mut model = Vec::new();
    for i in 0..20_000u32 {
        let s = format!("k{:05}", rng.below(5000));
        let n = if i % 13 == 0 {
            Datum::Null
        } else {
            Datum::Int4(rng.below(100) as i32)
        };
        spool
            .add((vec![Datum::Text(s.clone()), n.clone()], tid(i), i % 2 == 0))
            .expect("add");
        model.push((s, n, tid(i), i % 2 == 0));
    }
    assert!(
        spool.runs() >= 5,
        "a 64 kB budget spills: {} runs",
        spool.runs()
    );
    let mut sorted = spool.finish().expect("finish");
    model.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| match (&a.1, &b.1) {
                (Datum::Null, Datum::Null) => std::cmp::Ordering::Equal,
                (Datum::Null, _) => std::cmp::Ordering::Less,
                (_, Datum::Null) => std::cmp::Ordering::Greater,
                (x, y) => int_of(y).cmp(&int_of(x)),
            })
            .then(a.2.cmp(&b.2))
    });
    for m in &model {
        let (values, t, live) = sorted.next_entry().expect("next").expect("an entry");
        assert_eq!(
            (&values[0], &values[1], t, live),
            (&Datum::Text(m.0.clone()), &m.1, m.2, m.3)
        );
    }
    assert!(sorted.next_entry().expect("end").is_none());
    drop(sorted);
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "temporary files are removed");
}

#[test]
fn new_versions_clear_dead_old_versions_from_a_full_leaf_instead_of_splitting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(false);
    build_empty(&env, rel()).expect("empty index");
    // Ten rows, each updated over and over (every update a new version with
    // the same key): all versions but the newest of each row are dead.
    let mut newest: Vec<ItemPointer> = Vec::new();
    let mut model: BTreeSet<(i32, ItemPointer)> = BTreeSet::new();
    let mut next_tid = 0u32;
    let mut checked = 0usize;
    for version in 0..2000u32 {
        for k in 0..10i32 {
            let t = tid(next_tid);
            next_tid += 1;
            let live: BTreeSet<ItemPointer> = newest.iter().copied().collect();
            let mut dead = |x: ItemPointer| -> PgResult<bool> {
                checked += 1;
                Ok(!live.contains(&x) && x != t)
            };
            let outcome = insert_entry(
                &env,
                rel(),
                &desc,
                &[Datum::Int4(k)],
                t,
                None,
                (version > 0).then_some(&mut dead as DeadCheck<'_>),
            )
            .expect("insert");
            assert_eq!(outcome, InsertOutcome::Inserted);
            model.insert((k, t));
            if version > 0 {
                newest[k as usize] = t;
            } else {
                newest.push(t);
            }
        }
    }
    // 20,000 entries would take about 50 leaves; the dead ones were cleared
    // as leaves filled, so the index stays a few pages.
    let pages = crate::heap::heapam::nblocks(&env, rel()).expect("size");
    assert!(pages <= 4, "index grew to {pages} blocks");
    assert!(checked > 0, "full leaves asked about old versions");
    let all = scan_all(&env, &desc, None, None).expect("scan");
    let got: BTreeSet<(i32, ItemPointer)> = all.iter().map(|(v, t)| (int_of(&v[0]), *t)).collect();
    assert!(got.is_subset(&model), "only inserted entries remain");
    for (k, t) in newest.iter().enumerate() {
        assert!(
            got.contains(&(k as i32, *t)),
            "the live version of row {k} is kept"
        );
    }
    check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("sound tree");
}

/// Inserts key `key_base + i` for heap tid `tid(tid_base + i)`, for each i.
fn insert_ints(
    env: &HeapEnv<'_, '_>,
    desc: &IndexDesc,
    range: std::ops::Range<u32>,
    key_base: i32,
    tid_base: u32,
) {
    for i in range {
        let key = [Datum::Int4(key_base + i as i32)];
        insert(env, rel(), desc, &key, tid(tid_base + i), None).expect("insert");
    }
}

/// Blocks of the index file that are deleted pages.
fn deleted_pages(env: &HeapEnv<'_, '_>) -> usize {
    let n = env
        .store
        .smgr()
        .nblocks(rel(), ForkNumber::Main)
        .expect("nblocks");
    (1..n)
        .filter(|&b| {
            let buf = super::insert::read(env, rel(), b).expect("read");
            let page = buf.lock_shared();
            super::page::opaque(&page).expect("opaque").is_deleted()
        })
        .count()
}

fn keys_of(entries: &[(Vec<Datum>, ItemPointer)]) -> Vec<i32> {
    entries.iter().map(|(v, _)| int_of(&v[0])).collect()
}

/// VACUUM empties a range of leaves: they are unlinked (scans forward and
/// backward, and `check`, see a sound tree without them), a scan standing on
/// one of them goes on correctly in either direction, and splits take them
/// again only once every transaction running at their deletion has ended.
#[test]
fn emptied_leaves_are_unlinked_then_recycled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 256);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(false);
    build_empty(&env, rel()).expect("empty index");
    insert_ints(&env, &desc, 0..20_000, 0, 0);
    let before = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(before.levels, 2, "{before:?}");

    // Open scans, each a page or more in: forward from the start, backward
    // from the end.
    let mut fwd = IndexScan::begin(rel(), None, None);
    let mut bwd = IndexScan::begin_backward(rel(), None, None);
    let mut fwd_keys = Vec::new();
    let mut bwd_keys = Vec::new();
    for _ in 0..300 {
        let (t, b) = fwd.next(&env, &desc).expect("next").expect("entry");
        fwd_keys.push((
            int_of(
                &IndexTuple::parse(&b)
                    .expect("tuple")
                    .values(&desc)
                    .expect("values")[0],
            ),
            t,
        ));
        let (t, b) = bwd.next(&env, &desc).expect("next").expect("entry");
        bwd_keys.push((
            int_of(
                &IndexTuple::parse(&b)
                    .expect("tuple")
                    .values(&desc)
                    .expect("values")[0],
            ),
            t,
        ));
    }
    // Everything in [250, 19_750) goes: the pages both scans stand on empty too.
    let dead = |t: ItemPointer| {
        let i = t.block * 200 + u32::from(t.offset) - 1;
        (250..19_750).contains(&i)
    };
    let stats = bulk_delete(&env, rel(), &desc, &dead, &mut || Ok(())).expect("bulk delete");
    assert_eq!(stats.removed, 19_500);
    assert!(stats.pages_deleted >= 40, "{stats:?} of {before:?}");
    assert_eq!(deleted_pages(&env), stats.pages_deleted as usize);
    let after = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(after.pages + stats.pages_deleted, before.pages);
    assert_eq!(after.entries, 500);
    let all = scan_all(&env, &desc, None, None).expect("scan");
    let want: Vec<i32> = (0..250).chain(19_750..20_000).collect();
    assert_eq!(keys_of(&all), want);

    // The open scans finish: what they had copied, then the live entries past it.
    while let Some((t, b)) = fwd.next(&env, &desc).expect("next") {
        fwd_keys.push((
            int_of(
                &IndexTuple::parse(&b)
                    .expect("tuple")
                    .values(&desc)
                    .expect("values")[0],
            ),
            t,
        ));
    }
    while let Some((t, b)) = bwd.next(&env, &desc).expect("next") {
        bwd_keys.push((
            int_of(
                &IndexTuple::parse(&b)
                    .expect("tuple")
                    .values(&desc)
                    .expect("values")[0],
            ),
            t,
        ));
    }
    let fwd_keys: Vec<i32> = fwd_keys.iter().map(|k| k.0).collect();
    assert!(fwd_keys.windows(2).all(|w| w[0] < w[1]), "forward order");
    assert!(fwd_keys.ends_with(&(19_750..20_000).collect::<Vec<_>>()));
    assert!(fwd_keys.starts_with(&(0..300).collect::<Vec<_>>()));
    let bwd_keys: Vec<i32> = bwd_keys.iter().map(|k| k.0).collect();
    assert!(bwd_keys.windows(2).all(|w| w[0] > w[1]), "backward order");
    assert!(bwd_keys.ends_with(&(0..250).rev().collect::<Vec<_>>()));
    assert!(bwd_keys.starts_with(&(19_700..20_000).rev().collect::<Vec<_>>()));

    // Not yet reusable: the next transaction id has not been used and ended.
    let blocks = || {
        env.store
            .smgr()
            .nblocks(rel(), ForkNumber::Main)
            .expect("nblocks")
    };
    let n0 = blocks();
    insert_ints(&env, &desc, 0..2_000, 1_000, 40_000);
    assert_eq!(deleted_pages(&env), stats.pages_deleted as usize);
    assert!(blocks() > n0, "the inserts split pages");
    // Once a later transaction has ended, splits take the deleted pages.
    let xid = env.tx.assign_xid().expect("xid");
    env.tx.commit(xid, false, false).expect("commit");
    let n1 = blocks();
    insert_ints(&env, &desc, 2_000..20_000, 1_000, 40_000);
    assert_eq!(deleted_pages(&env), 0, "every deleted page was reused");
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(report.entries, 20_500);
    assert_eq!(u64::from(blocks()), report.pages + 1, "no page lost");
    assert!(
        blocks() - n1 < report.pages as u32 - after.pages as u32,
        "pages were reused"
    );
    let all = scan_all(&env, &desc, None, None).expect("scan");
    let want: Vec<i32> = (0..250)
        .chain(1_000..21_000)
        .chain(19_750..20_000)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut got = keys_of(&all);
    got.dedup();
    assert_eq!(got, want);
}

/// VACUUM deletes emptied leaves while inserters add entries and readers scan
/// in both directions: every scan sees the entries that are never removed, in
/// order and once; splits reuse the deleted pages; the final tree holds
/// exactly the model. Each thread registers an xmin while it works, as every
/// backend reading or writing an index has (what keeps a page it may still
/// reach from being reused).
#[test]
fn vacuum_deletes_pages_while_others_insert_and_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 256);
    let desc = int_desc(false);
    const N: u32 = 30_000;
    {
        heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
        build_empty(&env, rel()).expect("empty index");
        for i in 0..N {
            insert(&env, rel(), &desc, &[Datum::Int4(i as i32)], tid(i), None).expect("insert");
        }
    }
    // Round r removes the original entries with keys in [3000r + 100, 3000r + 2900).
    let removed = |i: u32| (100..2_900).contains(&(i % 3_000));
    let permanent: Vec<i32> = (0..N).filter(|&i| !removed(i)).map(|i| i as i32).collect();
    let ext = ThreadExtensionLock::default();
    let vacuum_done = std::sync::atomic::AtomicBool::new(false);
    let deleted = std::sync::atomic::AtomicU64::new(0);
    let inserted = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..2u32 {
            let (shm, store, desc, ext, dir) = (&shm, store.clone(), &desc, &ext, dir.path());
            let (vacuum_done, inserted) = (&vacuum_done, &inserted);
            s.spawn(move || {
                heap_env!(env, shm, store, dir, 1 + t as usize, ext);
                let mut rng = Rng(77 + u64::from(t));
                // 3,000 inserts at least, and on until 500 after VACUUM has
                // finished, so that some splits come after its deletions
                // however the threads are scheduled.
                let (mut i, mut after) = (0u32, 0u32);
                while i < 3_000 || (after < 500 && i < 9_000) {
                    if vacuum_done.load(std::sync::atomic::Ordering::Relaxed) {
                        after += 1;
                    }
                    env.tx.snapshot(0);
                    // Keys in the ranges VACUUM keeps, so that the others empty.
                    let off = rng.below(200) as i32;
                    let k = rng.below(u64::from(N / 3_000)) as i32 * 3_000
                        + if off < 100 { off } else { 2_800 + off };
                    insert(
                        &env,
                        rel(),
                        desc,
                        &[Datum::Int4(k)],
                        tid(100_000 + t * 10_000 + i),
                        None,
                    )
                    .expect("insert");
                    env.tx.end_without_xid();
                    i += 1;
                }
                inserted.fetch_add(u64::from(i), std::sync::atomic::Ordering::Relaxed);
            });
        }
        {
            let (shm, store, desc, dir, permanent) =
                (&shm, store.clone(), &desc, dir.path(), &permanent);
            let vacuum_done = &vacuum_done;
            s.spawn(move || {
                heap_env!(env, shm, store, dir, 3, &NoExtensionLock);
                let mut rounds = 0;
                while !vacuum_done.load(std::sync::atomic::Ordering::Relaxed) || rounds < 3 {
                    rounds += 1;
                    for backward in [false, true] {
                        env.tx.snapshot(0);
                        let scan = if backward {
                            IndexScan::begin_backward(rel(), None, None)
                        } else {
                            IndexScan::begin(rel(), None, None)
                        };
                        let mut all = scan_dir(&env, desc, scan).expect("scan");
                        env.tx.end_without_xid();
                        if backward {
                            all.reverse();
                        }
                        let keys: Vec<(i32, ItemPointer)> =
                            all.iter().map(|(v, t)| (int_of(&v[0]), *t)).collect();
                        assert!(
                            keys.windows(2).all(|w| w[0] < w[1]),
                            "a scan (backward: {backward}) repeated or misordered entries"
                        );
                        let originals: BTreeSet<i32> = keys
                            .iter()
                            .filter(|(_, t)| t.block < 100_000 / 200)
                            .map(|(k, _)| *k)
                            .collect();
                        assert!(
                            permanent.iter().all(|k| originals.contains(k)),
                            "a scan (backward: {backward}) lost entries that were never removed"
                        );
                    }
                }
            });
        }
        let (shm, store, desc, ext, dir) = (&shm, store.clone(), &desc, &ext, dir.path());
        let (vacuum_done, deleted) = (&vacuum_done, &deleted);
        s.spawn(move || {
            heap_env!(env, shm, store, dir, 4, ext);
            for r in 0..(N / 3_000) {
                let dead = |t: ItemPointer| {
                    let i = t.block * 200 + u32::from(t.offset) - 1;
                    i < N && i / 3_000 == r && removed(i)
                };
                let stats =
                    bulk_delete(&env, rel(), desc, &dead, &mut || Ok(())).expect("bulk delete");
                deleted.fetch_add(stats.pages_deleted, std::sync::atomic::Ordering::Relaxed);
                // A transaction ends: pages deleted before it may be reused.
                let xid = env.tx.assign_xid().expect("xid");
                env.tx.commit(xid, false, false).expect("commit");
            }
            vacuum_done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
    });
    let deleted = deleted.into_inner();
    assert!(deleted > 0, "no page was deleted");
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    assert!(
        (deleted_pages(&env) as u64) < deleted,
        "no deleted page was reused"
    );
    let inserted = inserted.into_inner() as usize;
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!(report.entries as usize, permanent.len() + inserted);
    let all = scan_all(&env, &desc, None, None).expect("scan");
    assert_eq!(all.len(), permanent.len() + inserted);
}

/// Entries a scan marks dead (their rows visible to no snapshot) are skipped by
/// later scans, are no conflict for a unique check, and make room in a full leaf
/// instead of a split (simple deletion).
#[test]
fn entries_marked_dead_are_skipped_and_dropped_from_a_full_leaf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (shm, store) = cluster(dir.path(), 64);
    heap_env!(env, &shm, store, dir.path(), 0, &NoExtensionLock);
    let desc = int_desc(true);
    build_empty(&env, rel()).expect("empty index");
    insert_ints(&env, &desc, 0..300, 0, 0);
    let mut scan = IndexScan::begin(rel(), None, None);
    while let Some((t, _)) = scan.next(&env, &desc).expect("next") {
        if t.block * 200 + u32::from(t.offset) - 1 < 150 {
            scan.kill_last(&env).expect("kill");
        }
    }
    let all = scan_all(&env, &desc, None, None).expect("scan");
    assert_eq!(keys_of(&all), (150..300).collect::<Vec<_>>());
    // A killed entry with the key is no duplicate: the probe is not even asked.
    let outcome = insert(
        &env,
        rel(),
        &desc,
        &[Datum::Int4(7)],
        tid(5_000),
        Some(&mut |t| panic!("probed {t:?}, an entry marked dead")),
    )
    .expect("insert");
    assert_eq!(outcome, InsertOutcome::Inserted);
    // 300 + 250 entries do not fit one leaf; without the 150 dead ones they do.
    for i in 0..249u32 {
        insert(
            &env,
            rel(),
            &desc,
            &[Datum::Int4(1_000 + i as i32)],
            tid(6_000 + i),
            None,
        )
        .expect("insert");
    }
    let report = check(&env, rel(), &desc, &mut |_, _| Ok(())).expect("check");
    assert_eq!((report.levels, report.pages), (1, 1), "{report:?}");
    assert_eq!(report.entries, 400);
    let all = scan_all(&env, &desc, None, None).expect("scan");
    assert_eq!(all.len(), 400);
}
