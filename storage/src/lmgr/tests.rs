//! Lock manager tests: unit tests on a real segment with threads standing in
//! for backends (each claims its own ProcArray slot with a fake pid), and
//! golden scripts (`testscripts/*.txt`) for the wait-queue state machine.
//!
//! Golden script format (as `buffer/tests.rs`): `> command` lines; the lines
//! after each command are its output, regenerated on every run and compared
//! with the file; `#` lines and blank lines are kept. `UPDATE_GOLDEN=1 cargo
//! test -p storage lmgr` rewrites the files. Backends `a`, `b`, `c`, `d` are
//! ProcArray slots 0..=3 with pids 1001..=1004, each on its own thread;
//! `x: ` runs a command as backend x (default `a`).
//!
//! ```text
//! x: lock TAG MODE [nowait] [timeout=MS]   acquire (deadlock_timeout 0: a waiter
//!                                          runs the deadlock check at once)
//! x: unlock TAG MODE                       release one acquisition
//! x: unlock_all                            release_all (transaction end)
//! x: cancel                                the next interrupt check fails (57014)
//! locks                                    pg_locks, sorted
//! ```
//!
//! TAG is `rel:R`, `extend:R`, `page:R:B`, `tuple:R:B:O`, `xid:X`,
//! `obj:CLASS:OID:SUB`, `adv:KEY` or `adv2:K1:K2` (database 5).
//!
//! After each command the driver waits until every busy backend has either
//! answered or sleeps in the lock queue having run its deadlock check, then
//! prints the issuing backend's answer (`waiting` if it sleeps) and the
//! answers of others that a release woke, in backend order. SQLSTATEs print
//! as the codes PostgreSQL uses (see `lock_not_available_code`).

use std::fmt::Write as _;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use types::{PgError, PgResult, SqlState};

use super::manager::{deadlock_detected_code, lock_not_available_code};
use super::*;
use crate::shmem::{SharedMemory, ShmemLayout};

const DB: u32 = 5;

fn segment(procs: u32) -> SharedMemory {
    SharedMemory::create(ShmemLayout::new(procs, 16), std::process::id() as i32, 0)
        .expect("create segment")
}

fn rel(r: u32) -> LockTag {
    LockTag::Relation { db: DB, rel: r }
}

fn xid(x: u64) -> LockTag {
    LockTag::TransactionId(x)
}

fn pid_of(slot: usize) -> i32 {
    1001 + slot as i32
}

fn block(deadlock_ms: u64) -> LockWait {
    LockWait::Block {
        lock_timeout: None,
        deadlock_timeout: Duration::from_millis(deadlock_ms),
    }
}

fn ok() -> impl FnMut() -> PgResult<()> {
    || Ok(())
}

/// Claims and activates ProcArray slot `slot` and opens its lock manager.
fn backend(shm: &SharedMemory, slot: usize) -> (crate::shmem::ProcHandle<'_>, LockManager<'_>) {
    let h = shm
        .proc_array()
        .claim(slot, pid_of(slot))
        .expect("free slot");
    h.activate(slot as i32, DB, 0);
    let m = LockManager::new(shm, slot, pid_of(slot)).expect("lock manager");
    (h, m)
}

/// Polls until `f` holds (at most 10 s).
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn is_waiting(shm: &SharedMemory, slot: usize) -> bool {
    LockManager::status(shm)
        .iter()
        .any(|s| s.proc_slot == slot && !s.granted)
}

#[test]
fn conflict_table_matches_the_postgresql_documentation() {
    // The manual's "Conflicting Lock Modes" table: rows requested, columns
    // held, in mode order; X = conflict.
    let table = [
        "       X", // ACCESS SHARE
        "      XX", // ROW SHARE
        "    XXXX", // ROW EXCLUSIVE
        "   XXXXX", // SHARE UPDATE EXCLUSIVE
        "  XX XXX", // SHARE
        "  XXXXXX", // SHARE ROW EXCLUSIVE
        " XXXXXXX", // EXCLUSIVE
        "XXXXXXXX", // ACCESS EXCLUSIVE
    ];
    for (r, row) in table.iter().enumerate() {
        for (c, cell) in row.chars().enumerate() {
            let (req, held) = (LockMode::ALL[r], LockMode::ALL[c]);
            assert_eq!(req.conflicts_with(held), cell == 'X', "{req} vs {held}");
            assert_eq!(
                req.conflicts_with(held),
                held.conflicts_with(req),
                "symmetric"
            );
        }
    }
    assert_eq!(LockMode::AccessShare.number(), 1);
    assert_eq!(LockMode::AccessExclusive.number(), 8);
    assert_eq!(LockMode::from_number(5), Some(LockMode::Share));
    assert_eq!(LockMode::from_number(0), None);
    assert_eq!(LockMode::from_number(9), None);
    assert_eq!(
        LockMode::ShareUpdateExclusive.name(),
        "ShareUpdateExclusiveLock"
    );
    assert_eq!(
        LockMode::from_name("RowExclusiveLock"),
        Some(LockMode::RowExclusive)
    );
    assert_eq!(
        LockMode::from_name("RowExclusive"),
        Some(LockMode::RowExclusive)
    );
}

#[test]
fn tags_encode_describe_and_name_their_type() {
    let tags = [
        (rel(16384), "relation", "relation 16384 of database 5"),
        (
            LockTag::RelationExtend { db: DB, rel: 16384 },
            "extend",
            "extension of relation 16384 of database 5",
        ),
        (
            LockTag::Page {
                db: DB,
                rel: 16384,
                block: 2,
            },
            "page",
            "page 2 of relation 16384 of database 5",
        ),
        (
            LockTag::Tuple {
                db: DB,
                rel: 16384,
                block: 0,
                offset: 3,
            },
            "tuple",
            "tuple (0,3) of relation 16384 of database 5",
        ),
        (xid(1234), "transactionid", "transaction 1234"),
        (
            LockTag::Object {
                db: DB,
                class_oid: 1259,
                obj_oid: 123,
                sub_id: 0,
            },
            "object",
            "object 123 of class 1259 of database 5",
        ),
        (
            LockTag::Advisory {
                db: DB,
                key: 7,
                int4_pair: false,
            },
            "advisory",
            "advisory lock [5,0,7,1]",
        ),
        (
            LockTag::Advisory {
                db: DB,
                key: (1 << 32) | 2,
                int4_pair: true,
            },
            "advisory",
            "advisory lock [5,1,2,2]",
        ),
    ];
    for (tag, locktype, text) in tags {
        assert_eq!(tag.locktype(), locktype);
        assert_eq!(tag.to_string(), text);
        assert_eq!(
            LockTag::decode(tag.encode()),
            Some(tag),
            "round trip of {tag:?}"
        );
    }
    assert_eq!(LockTag::decode([0; 3]), None);
    let (a, b) = (
        LockTag::Advisory {
            db: DB,
            key: 7,
            int4_pair: false,
        },
        LockTag::Advisory {
            db: DB,
            key: 7,
            int4_pair: true,
        },
    );
    assert_ne!(
        a.encode(),
        b.encode(),
        "the bigint and int4-pair forms are different locks"
    );
}

#[test]
fn grant_conflict_nowait_counts_and_release() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    let t = rel(16384);
    assert!(
        a.acquire(t, LockMode::AccessShare, LockWait::NoWait, &mut ok())
            .expect("a")
    );
    assert!(
        a.acquire(t, LockMode::AccessShare, LockWait::NoWait, &mut ok())
            .expect("again")
    );
    assert!(
        b.acquire(t, LockMode::RowExclusive, LockWait::NoWait, &mut ok())
            .expect("compatible")
    );
    assert!(
        !b.acquire(t, LockMode::AccessExclusive, LockWait::NoWait, &mut ok())
            .expect("busy")
    );
    assert!(!b.holds(t, LockMode::AccessExclusive));
    // A backend never conflicts with itself.
    assert!(
        a.acquire(t, LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .is_ok_and(|g| !g),
        "b's RowExclusive conflicts"
    );
    assert!(
        b.acquire(t, LockMode::ShareRowExclusive, LockWait::NoWait, &mut ok())
            .expect("only its own RowExclusive conflicts")
    );
    let mut rows: Vec<_> = LockManager::status(&shm)
        .into_iter()
        .map(|s| (s.pid, s.mode, s.granted))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (1001, LockMode::AccessShare, true),
            (1002, LockMode::RowExclusive, true),
            (1002, LockMode::ShareRowExclusive, true)
        ]
    );
    assert!(a.release(t, LockMode::AccessShare));
    assert!(
        a.holds(t, LockMode::AccessShare),
        "held twice, released once"
    );
    assert!(a.release(t, LockMode::AccessShare));
    assert!(!a.holds(t, LockMode::AccessShare));
    assert!(!a.release(t, LockMode::AccessShare), "not held any more");
    assert!(!a.release(xid(1), LockMode::Exclusive), "never held");
    assert!(
        b.acquire(t, LockMode::AccessExclusive, LockWait::NoWait, &mut ok())
            .expect("now free")
    );
    assert_eq!(
        b.held(),
        [
            (t, LockMode::RowExclusive, 1),
            (t, LockMode::ShareRowExclusive, 1),
            (t, LockMode::AccessExclusive, 1)
        ]
    );
    b.release_all();
    assert!(LockManager::status(&shm).is_empty());
}

/// A session lock outlives commits (other modes on its tag and other tags do
/// not); an abort releases it; every transaction end is counted in the slot;
/// `conflicting_holders` names the other backends in the way, fast-path
/// holders included.
#[test]
fn session_locks_survive_commit_and_holders_are_found() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    let (t, other) = (rel(16384), rel(16385));
    for (tag, mode) in [
        (t, LockMode::ShareUpdateExclusive),
        (t, LockMode::ShareUpdateExclusive),
        (t, LockMode::AccessShare),
        (other, LockMode::Exclusive),
    ] {
        assert!(
            a.acquire(tag, mode, LockWait::NoWait, &mut ok())
                .expect("free")
        );
    }
    assert!(!a.keep_for_session(t, LockMode::Exclusive), "not held");
    assert!(a.keep_for_session(t, LockMode::ShareUpdateExclusive));
    assert!(
        b.acquire(t, LockMode::RowExclusive, LockWait::NoWait, &mut ok())
            .expect("weak")
    );
    assert_eq!(a.conflicting_holders(t, LockMode::Share), [1]);
    assert_eq!(b.conflicting_holders(t, LockMode::Share), [0]);
    assert!(b.conflicting_holders(t, LockMode::RowExclusive).is_empty());
    let ends = shm.proc_array().xact_ends(0);
    a.release_at_commit();
    assert_eq!(shm.proc_array().xact_ends(0), ends + 1);
    assert_eq!(a.held(), [(t, LockMode::ShareUpdateExclusive, 1)]);
    assert!(
        !b.acquire(
            t,
            LockMode::ShareUpdateExclusive,
            LockWait::NoWait,
            &mut ok()
        )
        .expect("busy"),
        "the session lock is still held"
    );
    assert!(
        b.acquire(other, LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("freed")
    );
    a.release_at_commit();
    assert_eq!(a.held(), [(t, LockMode::ShareUpdateExclusive, 1)]);
    a.release_all();
    assert!(a.held().is_empty());
    assert_eq!(shm.proc_array().xact_ends(0), ends + 3);
    assert!(
        b.acquire(
            t,
            LockMode::ShareUpdateExclusive,
            LockWait::NoWait,
            &mut ok()
        )
        .expect("an abort releases session locks")
    );
    // Ended, a session lock is released with its transaction.
    b.release_all();
    assert!(
        a.acquire(
            t,
            LockMode::ShareUpdateExclusive,
            LockWait::NoWait,
            &mut ok()
        )
        .expect("free")
    );
    assert!(a.keep_for_session(t, LockMode::ShareUpdateExclusive));
    a.end_session_lock(t, LockMode::ShareUpdateExclusive);
    a.release_at_commit();
    assert!(a.held().is_empty());
    assert!(LockManager::status(&shm).is_empty());
}

#[test]
fn status_rows_carry_pg_locks_columns() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 2);
    let tuple = LockTag::Tuple {
        db: DB,
        rel: 16384,
        block: 1,
        offset: 4,
    };
    let obj = LockTag::Object {
        db: DB,
        class_oid: 1259,
        obj_oid: 99,
        sub_id: 2,
    };
    let adv = LockTag::Advisory {
        db: DB,
        key: (3 << 32) | 4,
        int4_pair: true,
    };
    for t in [tuple, obj, adv, xid(77)] {
        assert!(
            a.acquire(t, LockMode::Exclusive, LockWait::NoWait, &mut ok())
                .expect("free")
        );
    }
    let rows = LockManager::status(&shm);
    let find = |t: LockTag| rows.iter().find(|r| r.tag == t).expect("row").clone();
    let r = find(tuple);
    assert_eq!(
        (r.locktype, r.database, r.relation, r.page, r.tuple),
        ("tuple", Some(5), Some(16384), Some(1), Some(4))
    );
    assert_eq!(
        (r.pid, r.proc_slot, r.mode.name(), r.granted, r.waitstart),
        (1003, 2, "ExclusiveLock", true, None)
    );
    let r = find(obj);
    assert_eq!(
        (r.classid, r.objid, r.objsubid, r.relation),
        (Some(1259), Some(99), Some(2), None)
    );
    let r = find(adv);
    assert_eq!(
        (r.locktype, r.classid, r.objid, r.objsubid),
        ("advisory", Some(3), Some(4), Some(2))
    );
    let r = find(xid(77));
    assert_eq!(
        (r.locktype, r.database, r.transactionid),
        ("transactionid", None, Some(77))
    );
}

#[test]
fn a_waiter_is_woken_and_granted_by_the_release() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let t = rel(16384);
    assert!(
        a.acquire(t, LockMode::AccessExclusive, block(1000), &mut ok())
            .expect("free")
    );
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let (_hb, mut b) = backend(&shm, 1);
            let got = b
                .acquire(t, LockMode::AccessShare, block(1000), &mut ok())
                .expect("granted after the wait");
            assert!(got && b.holds(t, LockMode::AccessShare));
            b.release_all();
        });
        wait_until("b to queue", || is_waiting(&shm, 1));
        let w = LockManager::status(&shm)
            .into_iter()
            .find(|r| !r.granted)
            .expect("waiter row");
        assert_eq!((w.pid, w.mode), (1002, LockMode::AccessShare));
        assert!(w.waitstart.is_some_and(|t| t > 0));
        assert!(a.release(t, LockMode::AccessExclusive));
        waiter.join().expect("waiter thread");
    });
    assert!(LockManager::status(&shm).is_empty());
}

#[test]
fn fifo_a_queued_access_exclusive_blocks_later_access_share() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let t = rel(16384);
    assert!(
        a.acquire(t, LockMode::AccessShare, block(1000), &mut ok())
            .expect("free")
    );
    let order = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        s.spawn(|| {
            let (_hb, mut b) = backend(&shm, 1);
            assert!(
                b.acquire(t, LockMode::AccessExclusive, block(1000), &mut ok())
                    .expect("b")
            );
            order.lock().expect("order").push("b granted");
            std::thread::sleep(Duration::from_millis(50));
            order.lock().expect("order").push("b releases");
            b.release_all();
        });
        wait_until("b to queue", || is_waiting(&shm, 1));
        s.spawn(|| {
            let (_hc, mut c) = backend(&shm, 2);
            assert!(
                !c.acquire(t, LockMode::AccessShare, LockWait::NoWait, &mut ok())
                    .expect("nowait"),
                "queued behind b"
            );
            assert!(
                c.acquire(t, LockMode::AccessShare, block(1000), &mut ok())
                    .expect("c")
            );
            order.lock().expect("order").push("c granted");
        });
        wait_until("c to queue", || is_waiting(&shm, 2));
        // a's own re-acquisitions and upgrades that b waits for go ahead of b.
        assert!(
            a.acquire(t, LockMode::RowExclusive, block(1000), &mut ok())
                .expect("goes before b")
        );
        a.release_all();
    });
    assert_eq!(
        *order.lock().expect("order"),
        ["b granted", "b releases", "c granted"]
    );
}

#[test]
fn lock_timeout_gives_up_with_55p03_and_leaves_no_trace() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    let t = xid(500);
    assert!(
        a.acquire(t, LockMode::Exclusive, block(1000), &mut ok())
            .expect("free")
    );
    let wait = LockWait::Block {
        lock_timeout: Some(Duration::from_millis(120)),
        deadlock_timeout: Duration::from_millis(30),
    };
    let start = Instant::now();
    let e = b
        .acquire(t, LockMode::Share, wait, &mut ok())
        .expect_err("times out");
    assert!(start.elapsed() >= Duration::from_millis(120));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            lock_not_available_code(),
            "canceling statement due to lock timeout"
        )
    );
    let rows = LockManager::status(&shm);
    assert_eq!(rows.len(), 1, "only a's lock: {rows:?}");
    assert!(rows[0].granted && rows[0].pid == 1001);
    assert!(b.held().is_empty());
}

#[test]
fn an_interrupt_stops_the_wait_and_leaves_no_trace() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    let t = rel(1);
    assert!(
        a.acquire(t, LockMode::AccessExclusive, block(1000), &mut ok())
            .expect("free")
    );
    let mut calls = 0;
    let start = Instant::now();
    let mut cancel_on_third = || {
        calls += 1;
        if calls == 3 {
            Err(PgError::query_canceled())
        } else {
            Ok(())
        }
    };
    let e = b
        .acquire(
            t,
            LockMode::AccessShare,
            block(10_000),
            &mut cancel_on_third,
        )
        .expect_err("cancelled");
    assert_eq!(e.code, SqlState::QueryCanceled);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "checked at least every 50 ms"
    );
    let rows = LockManager::status(&shm);
    assert_eq!(rows.len(), 1, "no waiter left: {rows:?}");
    // The table entry b used was freed: b can queue again and be granted.
    std::thread::scope(|s| {
        s.spawn(|| {
            wait_until("b to queue again", || is_waiting(&shm, 1));
            a.release_all();
        });
        assert!(
            b.acquire(t, LockMode::AccessShare, block(1000), &mut ok())
                .expect("granted")
        );
    });
}

/// Two backends each hold their transaction lock and wait for the other's:
/// the one whose deadlock check runs (b, with the short timeout) gets 40P01.
#[test]
fn deadlock_of_two_backends() {
    let shm = segment(4);
    let barrier = Barrier::new(2);
    let results = std::thread::scope(|s| {
        let run = |slot: usize, mine: u64, theirs: u64, deadlock_ms: u64| {
            let (shm, barrier) = (&shm, &barrier);
            s.spawn(move || {
                let (_h, mut m) = backend(shm, slot);
                assert!(
                    m.acquire(
                        xid(mine),
                        LockMode::Exclusive,
                        block(deadlock_ms),
                        &mut ok()
                    )
                    .expect("own xid")
                );
                barrier.wait();
                if slot == 1 {
                    wait_until("a to queue", || is_waiting(shm, 0));
                }
                let r = m.acquire(xid(theirs), LockMode::Share, block(deadlock_ms), &mut ok());
                m.release_all();
                r
            })
        };
        let a = run(0, 10, 11, 5_000);
        let b = run(1, 11, 10, 100);
        [a.join().expect("a"), b.join().expect("b")]
    });
    assert!(
        results[0].as_ref().is_ok_and(|g| *g),
        "a is granted once b aborts: {:?}",
        results[0]
    );
    let e = results[1].as_ref().expect_err("b is the victim");
    assert_eq!(
        (e.code, e.message.as_str()),
        (deadlock_detected_code(), "deadlock detected")
    );
    assert_eq!(
        e.detail.as_deref(),
        Some(
            "Process 1002 waits for ShareLock on transaction 10; blocked by process 1001.\n\
             Process 1001 waits for ShareLock on transaction 11; blocked by process 1002."
        )
    );
    assert_eq!(e.hint.as_deref(), Some("See server log for query details."));
    assert!(LockManager::status(&shm).is_empty());
}

/// Both run their checks at about the same time: exactly one is the victim.
#[test]
fn deadlock_with_equal_timeouts_has_exactly_one_victim() {
    for _ in 0..3 {
        let shm = segment(4);
        let barrier = Barrier::new(2);
        let results: Vec<PgResult<bool>> = std::thread::scope(|s| {
            let handles: Vec<_> = [(0, 20, 21), (1, 21, 20)]
                .into_iter()
                .map(|(slot, mine, theirs)| {
                    let (shm, barrier) = (&shm, &barrier);
                    s.spawn(move || {
                        let (_h, mut m) = backend(shm, slot);
                        assert!(
                            m.acquire(xid(mine), LockMode::Exclusive, block(50), &mut ok())
                                .expect("own")
                        );
                        barrier.wait();
                        let r = m.acquire(xid(theirs), LockMode::Share, block(50), &mut ok());
                        m.release_all();
                        r
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let victims = results
            .iter()
            .filter(|r| {
                r.as_ref()
                    .is_err_and(|e| e.code == deadlock_detected_code())
            })
            .count();
        assert_eq!(victims, 1, "{results:?}");
        assert_eq!(
            results
                .iter()
                .filter(|r| r.as_ref().is_ok_and(|g| *g))
                .count(),
            1
        );
    }
}

/// a waits for b, b for c, c for a (on relations); c closes the cycle and is
/// the only one whose check finds it.
#[test]
fn deadlock_of_three_backends() {
    let shm = segment(4);
    let barrier = Barrier::new(3);
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = [
            (0, 100, 101, 10_000),
            (1, 101, 102, 10_000),
            (2, 102, 100, 10_000),
        ]
        .into_iter()
        .map(|(slot, mine, theirs, deadlock_ms)| {
            let (shm, barrier) = (&shm, &barrier);
            s.spawn(move || {
                let (_h, mut m) = backend(shm, slot);
                assert!(
                    m.acquire(
                        rel(mine),
                        LockMode::AccessExclusive,
                        block(deadlock_ms),
                        &mut ok()
                    )
                    .expect("own")
                );
                barrier.wait();
                if slot == 2 {
                    wait_until("a and b to queue", || {
                        is_waiting(shm, 0) && is_waiting(shm, 1)
                    });
                }
                let wait = if slot == 2 {
                    block(20)
                } else {
                    block(deadlock_ms)
                };
                let r = m.acquire(rel(theirs), LockMode::AccessShare, wait, &mut ok());
                if slot == 2 {
                    m.release_all();
                } else {
                    // Hold until everyone has finished waiting.
                    std::thread::sleep(Duration::from_millis(50));
                    m.release_all();
                }
                r
            })
        })
        .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    assert!(results[0].as_ref().is_ok_and(|g| *g), "{:?}", results[0]);
    assert!(results[1].as_ref().is_ok_and(|g| *g), "{:?}", results[1]);
    let e = results[2].as_ref().expect_err("c is the victim");
    assert_eq!(e.code, deadlock_detected_code());
    assert_eq!(
        e.detail.as_deref(),
        Some(
            "Process 1003 waits for AccessShareLock on relation 100 of database 5; blocked by process 1001.\n\
             Process 1001 waits for AccessShareLock on relation 101 of database 5; blocked by process 1002.\n\
             Process 1002 waits for AccessShareLock on relation 102 of database 5; blocked by process 1003."
        )
    );
    assert!(LockManager::status(&shm).is_empty());
}

/// Two holders of AccessShare both upgrading to AccessExclusive: the second
/// sees at once that the first waits for it (PostgreSQL's early deadlock).
#[test]
fn upgrade_deadlock_is_detected_without_waiting() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    let t = rel(16384);
    assert!(
        a.acquire(t, LockMode::AccessShare, block(10_000), &mut ok())
            .expect("a")
    );
    assert!(
        b.acquire(t, LockMode::AccessShare, block(10_000), &mut ok())
            .expect("b")
    );
    std::thread::scope(|s| {
        let upgrade = s.spawn(|| a.acquire(t, LockMode::AccessExclusive, block(10_000), &mut ok()));
        wait_until("a to queue", || is_waiting(&shm, 0));
        let e = b
            .acquire(t, LockMode::AccessExclusive, block(10_000), &mut ok())
            .expect_err("deadlock");
        assert_eq!(e.code, deadlock_detected_code());
        assert_eq!(
            e.detail.as_deref(),
            Some(
                "Process 1002 waits for AccessExclusiveLock on relation 16384 of database 5; blocked by process 1001.\n\
                 Process 1001 waits for AccessExclusiveLock on relation 16384 of database 5; blocked by process 1002."
            )
        );
        b.release_all();
        assert!(upgrade.join().expect("a").expect("granted after b aborts"));
    });
}

#[test]
fn release_all_and_drop_free_everything_and_wake_waiters() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    for r in 0..20 {
        assert!(
            a.acquire(rel(r), LockMode::RowExclusive, LockWait::NoWait, &mut ok())
                .expect("free")
        );
        assert!(
            a.acquire(rel(r), LockMode::RowExclusive, LockWait::NoWait, &mut ok())
                .expect("again")
        );
    }
    assert!(
        a.acquire(xid(9), LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("free")
    );
    assert_eq!(LockManager::status(&shm).len(), 21);
    std::thread::scope(|s| {
        let w = s.spawn(|| {
            let (_hb, mut b) = backend(&shm, 1);
            let got = b.acquire(xid(9), LockMode::Share, block(1000), &mut ok());
            drop(b);
            got
        });
        wait_until("b to queue", || is_waiting(&shm, 1));
        a.release_all();
        assert!(a.held().is_empty());
        assert!(w.join().expect("b").expect("granted"));
    });
    assert!(
        LockManager::status(&shm).is_empty(),
        "b's drop released its lock"
    );
    {
        let (_hc, mut c) = backend(&shm, 2);
        assert!(
            c.acquire(
                rel(1),
                LockMode::AccessExclusive,
                LockWait::NoWait,
                &mut ok()
            )
            .expect("free")
        );
    }
    assert!(LockManager::status(&shm).is_empty(), "drop releases");
}

/// A backend that vanished without releasing (its manager was never
/// dropped) is cleaned up when its slot gets a new lock manager.
#[test]
fn a_new_manager_purges_what_the_slot_left_behind() {
    let shm = segment(4);
    let (ha, mut a) = backend(&shm, 0);
    assert!(
        a.acquire(
            rel(1),
            LockMode::AccessExclusive,
            LockWait::NoWait,
            &mut ok()
        )
        .expect("free")
    );
    assert!(
        a.acquire(xid(5), LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("free")
    );
    std::mem::forget(a);
    drop(ha);
    std::thread::scope(|s| {
        let w = s.spawn(|| {
            let (_hb, mut b) = backend(&shm, 1);
            b.acquire(rel(1), LockMode::AccessShare, block(1000), &mut ok())
        });
        wait_until("b to queue", || is_waiting(&shm, 1));
        let (_ha2, a2) = backend(&shm, 0);
        assert!(a2.held().is_empty());
        assert!(w.join().expect("b").expect("granted"));
    });
    assert!(LockManager::status(&shm).is_empty());
    assert_eq!(LockManager::purge_slot(&shm, 0), 0);
}

#[test]
fn a_full_lock_table_is_53200_with_the_hint() {
    // 10 entries per backend, 2 backends: 20 entries. (ShareUpdateExclusive:
    // weak relation locks would take the fast path and need no entry.)
    let shm = SharedMemory::create(
        ShmemLayout::with_locks(2, 16, 10),
        std::process::id() as i32,
        0,
    )
    .expect("segment");
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    for r in 0..20 {
        assert!(
            a.acquire(
                rel(r),
                LockMode::ShareUpdateExclusive,
                LockWait::NoWait,
                &mut ok()
            )
            .expect("room")
        );
    }
    let e = b
        .acquire(
            rel(100),
            LockMode::ShareUpdateExclusive,
            block(1000),
            &mut ok(),
        )
        .expect_err("full");
    assert_eq!(
        (e.code, e.message.as_str()),
        (SqlState::OutOfMemory, "out of shared memory")
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("You might need to increase max_locks_per_transaction.")
    );
    // Locks with an entry already need no new one.
    assert!(
        a.acquire(rel(3), LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("same entry")
    );
    assert!(a.release(rel(5), LockMode::ShareUpdateExclusive));
    assert!(
        b.acquire(
            rel(100),
            LockMode::ShareUpdateExclusive,
            block(1000),
            &mut ok()
        )
        .expect("a freed entry is reused")
    );
    a.release_all();
    b.release_all();
    assert!(LockManager::status(&shm).is_empty());
    for r in 0..20 {
        assert!(
            b.acquire(
                rel(r + 1000),
                LockMode::ShareUpdateExclusive,
                LockWait::NoWait,
                &mut ok()
            )
            .expect("room again")
        );
    }
}

#[test]
fn many_backends_hammering_a_few_locks_keep_the_table_consistent() {
    let shm = segment(8);
    std::thread::scope(|s| {
        for slot in 0..6 {
            let shm = &shm;
            s.spawn(move || {
                let (_h, mut m) = backend(shm, slot);
                for i in 0..150u32 {
                    let t = rel(i % 3);
                    let mode = if (i + slot as u32).is_multiple_of(4) {
                        LockMode::AccessExclusive
                    } else {
                        LockMode::RowExclusive
                    };
                    // Always one lock at a time: no deadlock is possible.
                    assert!(m.acquire(t, mode, block(1000), &mut ok()).expect("granted"));
                    m.release_all();
                }
            });
        }
    });
    assert!(LockManager::status(&shm).is_empty());
}

// ---------------------------------------------------------------------------
// Golden scripts

const BACKENDS: [&str; 4] = ["a", "b", "c", "d"];

fn parse_tag(s: &str) -> LockTag {
    let parts: Vec<&str> = s.split(':').collect();
    let n = |i: usize| -> u64 {
        parts
            .get(i)
            .and_then(|p| p.parse().ok())
            .expect("number in tag")
    };
    match parts[0] {
        "rel" => rel(n(1) as u32),
        "extend" => LockTag::RelationExtend {
            db: DB,
            rel: n(1) as u32,
        },
        "page" => LockTag::Page {
            db: DB,
            rel: n(1) as u32,
            block: n(2) as u32,
        },
        "tuple" => LockTag::Tuple {
            db: DB,
            rel: n(1) as u32,
            block: n(2) as u32,
            offset: n(3) as u16,
        },
        "xid" => xid(n(1)),
        "obj" => LockTag::Object {
            db: DB,
            class_oid: n(1) as u32,
            obj_oid: n(2) as u32,
            sub_id: n(3) as u32,
        },
        "adv" => LockTag::Advisory {
            db: DB,
            key: n(1),
            int4_pair: false,
        },
        "adv2" => LockTag::Advisory {
            db: DB,
            key: (n(1) << 32) | n(2),
            int4_pair: true,
        },
        other => panic!("unknown tag kind {other}"),
    }
}

fn show_error(e: &PgError) -> String {
    let code = if e.code == deadlock_detected_code() && e.message == "deadlock detected" {
        "40P01"
    } else if e.code == lock_not_available_code() && e.message.contains("lock timeout") {
        "55P03"
    } else {
        e.code.code()
    };
    let mut s = format!("error: {code} {}", e.message);
    if let Some(d) = &e.detail {
        for line in d.lines() {
            write!(s, "\n  DETAIL: {line}").ok();
        }
    }
    if let Some(h) = &e.hint {
        write!(s, "\n  HINT: {h}").ok();
    }
    s
}

/// One backend thread of a script: runs commands, answers with text.
fn script_backend(
    shm: &SharedMemory,
    slot: usize,
    commands: mpsc::Receiver<String>,
    answers: mpsc::Sender<String>,
    cancel: &AtomicBool,
    checks: &AtomicU64,
) {
    let (_h, mut m) = backend(shm, slot);
    let mut check = || {
        checks.fetch_add(1, Ordering::SeqCst);
        if cancel.swap(false, Ordering::SeqCst) {
            Err(PgError::query_canceled())
        } else {
            Ok(())
        }
    };
    for cmd in commands {
        let w: Vec<&str> = cmd.split_whitespace().collect();
        let answer = match w[0] {
            "lock" => {
                let mode = LockMode::from_name(w[2]).expect("mode name");
                let nowait = w.contains(&"nowait");
                let timeout = w
                    .iter()
                    .find_map(|x| x.strip_prefix("timeout="))
                    .map(|ms| Duration::from_millis(ms.parse().expect("timeout in ms")));
                let wait = if nowait {
                    LockWait::NoWait
                } else {
                    LockWait::Block {
                        lock_timeout: timeout,
                        deadlock_timeout: Duration::ZERO,
                    }
                };
                match m.acquire(parse_tag(w[1]), mode, wait, &mut check) {
                    Ok(true) => "granted".to_owned(),
                    Ok(false) => "not available".to_owned(),
                    Err(e) => show_error(&e),
                }
            }
            "unlock" => {
                let mode = LockMode::from_name(w[2]).expect("mode name");
                if m.release(parse_tag(w[1]), mode) {
                    "released".to_owned()
                } else {
                    "not held".to_owned()
                }
            }
            "unlock_all" => {
                m.release_all();
                "released all".to_owned()
            }
            other => format!("unknown command {other}"),
        };
        if answers.send(answer).is_err() {
            break;
        }
    }
}

fn show_locks(shm: &SharedMemory) -> String {
    let mut rows = LockManager::status(shm);
    rows.sort_by_key(|r| (r.tag, !r.granted, r.proc_slot, r.mode));
    let mut out = String::new();
    for r in rows {
        let state = if r.granted { "granted" } else { "waiting" };
        writeln!(
            out,
            "{} [{}]: {} {} {state}",
            r.tag, r.locktype, BACKENDS[r.proc_slot], r.mode
        )
        .ok();
    }
    if out.is_empty() {
        out.push_str("(no locks)\n");
    }
    out
}

fn run_script(text: &str) -> String {
    let shm = segment(BACKENDS.len() as u32);
    let procs: &[LmgrProc] = shm.region(crate::shmem::RegionId::LmgrProcs);
    let cancels: Vec<AtomicBool> = BACKENDS.iter().map(|_| AtomicBool::new(false)).collect();
    let checks: Vec<AtomicU64> = BACKENDS.iter().map(|_| AtomicU64::new(0)).collect();
    let mut out = String::new();
    std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut receivers = Vec::new();
        for (slot, (cancel, checks)) in cancels.iter().zip(&checks).enumerate() {
            let (ctx, crx) = mpsc::channel::<String>();
            let (atx, arx) = mpsc::channel::<String>();
            let shm = &shm;
            s.spawn(move || script_backend(shm, slot, crx, atx, cancel, checks));
            senders.push(ctx);
            receivers.push(arx);
        }
        // Per busy backend: the check counter a settled wait must exceed.
        let mut busy: Vec<Option<u64>> = vec![None; BACKENDS.len()];
        for line in text.lines() {
            let Some(cmd) = line.strip_prefix("> ") else {
                if line.starts_with('#') || line.trim().is_empty() {
                    out.push_str(line);
                    out.push('\n');
                }
                continue;
            };
            writeln!(out, "> {cmd}").ok();
            let (who, rest) = match cmd.split_once(": ") {
                Some((b, r)) if BACKENDS.contains(&b) => {
                    (BACKENDS.iter().position(|x| *x == b).unwrap_or(0), r)
                }
                _ => (0, cmd),
            };
            match rest.split_whitespace().next().unwrap_or("") {
                "locks" => {
                    out.push_str(&show_locks(&shm));
                    continue;
                }
                "cancel" => {
                    busy[who] = Some(checks[who].load(Ordering::SeqCst) + 2);
                    cancels[who].store(true, Ordering::SeqCst);
                }
                _ => {
                    assert!(
                        busy[who].is_none(),
                        "{} is waiting and cannot run {rest}",
                        BACKENDS[who]
                    );
                    // A wait with a lock_timeout is awaited to its end.
                    let settle = if rest.contains("timeout=") {
                        u64::MAX
                    } else {
                        checks[who].load(Ordering::SeqCst) + 2
                    };
                    busy[who] = Some(settle);
                    senders[who].send(rest.to_owned()).expect("backend alive");
                }
            }
            // Wait until every busy backend answered or sleeps in the queue
            // after its deadlock check.
            let mut answers: Vec<Option<String>> = vec![None; BACKENDS.len()];
            let end = Instant::now() + Duration::from_secs(10);
            loop {
                for (b, rx) in receivers.iter().enumerate() {
                    if busy[b].is_some()
                        && let Ok(a) = rx.try_recv()
                    {
                        answers[b] = Some(a);
                        busy[b] = None;
                    }
                }
                let settled = busy.iter().enumerate().all(|(b, w)| {
                    w.is_none_or(|min| {
                        procs[b].wait_status.load(Ordering::SeqCst) == wait_status::WAITING
                            && checks[b].load(Ordering::SeqCst) >= min
                    })
                });
                if settled {
                    break;
                }
                assert!(Instant::now() < end, "script stuck after {cmd}");
                std::thread::sleep(Duration::from_millis(1));
            }
            if let Some(a) = answers[who].take() {
                writeln!(out, "{}: {a}", BACKENDS[who]).ok();
            } else if busy[who].is_some() {
                writeln!(out, "{}: waiting", BACKENDS[who]).ok();
            }
            for (b, a) in answers.iter().enumerate() {
                if let Some(a) = a {
                    writeln!(out, "{}: {a}", BACKENDS[b]).ok();
                }
            }
        }
        assert!(
            busy.iter().all(Option::is_none),
            "script ends with backends still waiting"
        );
        drop(senders);
    });
    out
}

#[test]
fn golden_scripts() {
    crate::golden::check_scripts("lmgr", run_script);
}

#[test]
fn lock_manager_errors_use_the_lock_sqlstates_when_the_table_has_them() {
    // types/errcodes.txt does not list 55P03 and 40P01 yet; the codes fall
    // back to the same class until it does.
    assert!(["55P03", "55000"].contains(&lock_not_available_code().code()));
    assert!(["40P01", "40001"].contains(&deadlock_detected_code().code()));
    let e = super::manager::out_of_shared_memory();
    assert_eq!(e.code.code(), "53200");
}

const CHILD_ENV: &str = "OXIPG_TEST_LMGR_SHMEM";

/// Entry point for the child process of the test below; does nothing when run
/// as an ordinary test. As backend slot 1 it takes xid 2, then waits for
/// xid 1 (held by the parent), and exits 0 once granted.
#[test]
fn lmgr_child_process_entry() {
    let Ok(id) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut shm = SharedMemory::attach(&id).expect("child attaches");
    shm.disown();
    let pid = std::process::id() as i32;
    let h = shm.proc_array().claim(1, pid).expect("slot 1");
    h.activate(1, DB, 0);
    let mut m = LockManager::new(&shm, 1, pid).expect("lock manager");
    assert!(
        m.acquire(xid(2), LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("own xid")
    );
    let wait = LockWait::Block {
        lock_timeout: Some(Duration::from_secs(20)),
        deadlock_timeout: Duration::from_secs(30),
    };
    assert!(
        m.acquire(xid(1), LockMode::Share, wait, &mut ok())
            .expect("granted when the parent aborts")
    );
    m.release_all();
}

/// A waiter in another process is woken through the shared futex, and the
/// deadlock detector sees edges of both processes.
#[test]
fn waits_and_deadlocks_across_processes() {
    let shm = segment(4);
    let (_ha, mut a) = backend(&shm, 0);
    assert!(
        a.acquire(xid(1), LockMode::Exclusive, LockWait::NoWait, &mut ok())
            .expect("own xid")
    );
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(&exe)
        .args([
            "lmgr::tests::lmgr_child_process_entry",
            "--exact",
            "--test-threads=1",
            "--quiet",
        ])
        .env(CHILD_ENV, shm.os_id())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn child");
    let child_pid = child.id() as i32;
    wait_until("the child to queue", || {
        LockManager::status(&shm)
            .iter()
            .any(|r| r.pid == child_pid && !r.granted)
    });
    let e = a
        .acquire(xid(2), LockMode::Share, block(10), &mut ok())
        .expect_err("deadlock");
    assert_eq!(e.code, deadlock_detected_code());
    assert_eq!(
        e.detail.as_deref().map(str::to_owned),
        Some(format!(
            "Process 1001 waits for ShareLock on transaction 2; blocked by process {child_pid}.\n\
             Process {child_pid} waits for ShareLock on transaction 1; blocked by process 1001."
        ))
    );
    a.release_all();
    assert!(child.wait().expect("wait child").success(), "child failed");
    assert!(LockManager::status(&shm).is_empty());
}

#[test]
fn weak_relation_locks_take_the_fast_path_until_a_strong_one_comes() {
    let shm = SharedMemory::create(
        ShmemLayout::with_locks(2, 16, 10),
        std::process::id() as i32,
        0,
    )
    .expect("segment");
    let (_ha, mut a) = backend(&shm, 0);
    let (_hb, mut b) = backend(&shm, 1);
    // Weak locks of both backends on one table: no shared-table entry.
    assert!(
        a.acquire(rel(1), LockMode::AccessShare, LockWait::NoWait, &mut ok())
            .expect("weak")
    );
    assert!(
        a.acquire(rel(1), LockMode::RowExclusive, LockWait::NoWait, &mut ok())
            .expect("weak")
    );
    assert!(
        b.acquire(rel(1), LockMode::RowShare, LockWait::NoWait, &mut ok())
            .expect("weak")
    );
    let st = LockManager::status(&shm);
    assert_eq!(st.len(), 3);
    assert!(st.iter().all(|l| l.fastpath && l.granted));
    // A strong lock moves them into the shared table, where they conflict.
    assert!(
        !b.acquire(
            rel(1),
            LockMode::AccessExclusive,
            LockWait::NoWait,
            &mut ok()
        )
        .expect("busy")
    );
    let st = LockManager::status(&shm);
    assert!(
        st.iter()
            .any(|l| !l.fastpath && l.proc_slot == 0 && l.mode == LockMode::AccessShare),
        "{st:?}"
    );
    // a's release finds its lock moved and releases it in the table.
    assert!(a.release(rel(1), LockMode::AccessShare));
    assert!(a.release(rel(1), LockMode::RowExclusive));
    b.release_all();
    assert!(LockManager::status(&shm).is_empty());
    // While a strong lock is held, weak ones go to the table and wait.
    assert!(
        b.acquire(rel(2), LockMode::Share, LockWait::NoWait, &mut ok())
            .expect("strong")
    );
    assert!(
        a.acquire(rel(2), LockMode::AccessShare, LockWait::NoWait, &mut ok())
            .expect("AccessShare does not conflict with Share")
    );
    assert!(
        !a.acquire(rel(2), LockMode::RowExclusive, LockWait::NoWait, &mut ok())
            .expect("RowExclusive conflicts with Share")
    );
    assert!(
        LockManager::status(&shm).iter().all(|l| !l.fastpath),
        "no fast path while a strong lock is counted"
    );
    b.release_all();
    a.release_all();
    // The strong count went back to zero: the fast path is open again.
    assert!(
        a.acquire(rel(2), LockMode::RowExclusive, LockWait::NoWait, &mut ok())
            .expect("weak")
    );
    assert!(LockManager::status(&shm).iter().all(|l| l.fastpath));
    a.release_all();
    assert!(LockManager::status(&shm).is_empty());
    // More relations than fast-path slots: the rest go to the table.
    for r in 0..20 {
        assert!(
            a.acquire(
                rel(100 + r),
                LockMode::AccessShare,
                LockWait::NoWait,
                &mut ok()
            )
            .expect("weak")
        );
    }
    let st = LockManager::status(&shm);
    assert_eq!(
        st.iter().filter(|l| l.fastpath).count(),
        super::fastpath::FP_SLOTS
    );
    assert_eq!(st.len(), 20);
    a.release_all();
    assert!(LockManager::status(&shm).is_empty());
}
