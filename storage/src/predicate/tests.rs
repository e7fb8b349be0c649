//! SSI unit tests: backends are handles with distinct ProcArray slots on a
//! real segment (in one thread where the interleaving is the point, in
//! threads where concurrency is).

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Barrier};

use super::*;

fn segment(slots: u32) -> SharedMemory {
    SharedMemory::create(ShmemLayout::new(slots, 16), std::process::id() as i32, 0).unwrap()
}

const T: RelationKey = RelationKey { db: 5, rel: 16384 };
const U: RelationKey = RelationKey { db: 5, rel: 16385 };

fn begin(p: &mut PredicateLocks<'_>) {
    p.begin(false, || ()).unwrap();
}

fn commit(p: &mut PredicateLocks<'_>) -> PgResult<()> {
    if let Err(e) = p.pre_commit() {
        p.on_end(false);
        return Err(e);
    }
    p.on_end(true);
    Ok(())
}

fn reason(e: &PgError) -> &str {
    assert_eq!(e.code, SqlState::SerializationFailure, "{e:?}");
    e.detail.as_deref().unwrap()
}

#[test]
fn write_skew_aborts_the_second_committer() {
    let shm = segment(4);
    let (mut t1, mut t2) = (PredicateLocks::new(&shm, 0), PredicateLocks::new(&shm, 1));
    begin(&mut t1);
    begin(&mut t2);
    t1.on_read(T).unwrap();
    t2.on_read(T).unwrap();
    t1.on_write(T).unwrap();
    t2.on_write(T).unwrap();
    commit(&mut t1).unwrap();
    let e = commit(&mut t2).unwrap_err();
    assert_eq!(
        reason(&e),
        "Reason code: Canceled on identification as a pivot, during commit attempt."
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("The transaction might succeed if retried.")
    );
    assert_eq!(
        t1.usage(),
        (0, 0, 0),
        "nobody is concurrent with T1 any more"
    );
}

#[test]
fn a_doomed_transaction_fails_at_its_next_read() {
    let shm = segment(4);
    let (mut t1, mut t2) = (PredicateLocks::new(&shm, 0), PredicateLocks::new(&shm, 1));
    begin(&mut t1);
    begin(&mut t2);
    t1.on_read(T).unwrap();
    t2.on_read(T).unwrap();
    t1.on_write(T).unwrap();
    t2.on_write(T).unwrap();
    commit(&mut t1).unwrap();
    let e = t2.on_read(U).unwrap_err();
    assert_eq!(
        reason(&e),
        "Reason code: Canceled on identification as a pivot, during conflict out checking."
    );
    t2.on_end(false);
    assert_eq!(t2.usage(), (0, 0, 0));
}

/// Fekete, O'Neil and O'Neil's read-only anomaly (Hermitage g2_two_edges):
/// T3 saw T2's commit but not T1's write, which T1 makes after T3 committed.
#[test]
fn read_only_anomaly_refuses_the_pivots_write() {
    let shm = segment(4);
    let (mut t1, mut t2, mut t3) = (
        PredicateLocks::new(&shm, 0),
        PredicateLocks::new(&shm, 1),
        PredicateLocks::new(&shm, 2),
    );
    begin(&mut t1);
    t1.on_read(T).unwrap();
    begin(&mut t2);
    t2.on_write(U).unwrap();
    commit(&mut t2).unwrap();
    t3.begin(true, || ()).unwrap();
    t3.on_read(U).unwrap();
    t3.on_read(T).unwrap();
    commit(&mut t3).unwrap();
    // T1 -> T2 exists from T1's read of U...
    t1.on_read(U).unwrap();
    // ...and T3 -> T1 closes the cycle with T2 committed first.
    let e = t1.on_write(T).unwrap_err();
    assert_eq!(
        reason(&e),
        "Reason code: Canceled on identification as a pivot, during write."
    );
    t1.on_end(false);
    assert_eq!(t1.usage(), (0, 0, 0));
}

/// The same reads with T3 taking its snapshot before T2 commits: a
/// read-only transaction that overlaps T2 is serialized before it, so
/// nothing is refused.
#[test]
fn read_only_transaction_before_the_out_side_commits_is_safe() {
    let shm = segment(4);
    let (mut t1, mut t2, mut t3) = (
        PredicateLocks::new(&shm, 0),
        PredicateLocks::new(&shm, 1),
        PredicateLocks::new(&shm, 2),
    );
    begin(&mut t1);
    t1.on_read(U).unwrap();
    begin(&mut t2);
    t3.begin(true, || ()).unwrap();
    t2.on_write(U).unwrap();
    commit(&mut t2).unwrap();
    t3.on_read(T).unwrap();
    commit(&mut t3).unwrap();
    t1.on_write(T).unwrap();
    commit(&mut t1).unwrap();
}

#[test]
fn siread_locks_outlive_their_commit_only_while_needed() {
    let shm = segment(4);
    let (mut t1, mut t2, mut t3) = (
        PredicateLocks::new(&shm, 0),
        PredicateLocks::new(&shm, 1),
        PredicateLocks::new(&shm, 2),
    );
    begin(&mut t1);
    begin(&mut t2);
    t2.on_read(T).unwrap();
    commit(&mut t2).unwrap();
    assert_eq!(t1.usage(), (2, 1, 0), "T2 is kept: T1 overlaps it");
    t1.on_write(T).unwrap();
    assert_eq!(
        t1.usage(),
        (2, 2, 1),
        "T2 -> T1 found through T2's SIREAD lock"
    );
    // A transaction that starts after T2 committed does not conflict with it.
    begin(&mut t3);
    t3.on_write(T).unwrap();
    assert_eq!(t3.usage().2, 1);
    commit(&mut t1).unwrap();
    commit(&mut t3).unwrap();
    assert_eq!(t1.usage(), (0, 0, 0));
}

#[test]
fn reads_of_committed_writes_in_the_snapshot_are_no_conflict() {
    let shm = segment(4);
    let (mut t1, mut t2, mut t3) = (
        PredicateLocks::new(&shm, 0),
        PredicateLocks::new(&shm, 1),
        PredicateLocks::new(&shm, 2),
    );
    begin(&mut t3); // keeps T1 alive after its commit
    begin(&mut t1);
    t1.on_write(T).unwrap();
    commit(&mut t1).unwrap();
    begin(&mut t2);
    t2.on_read(T).unwrap();
    assert_eq!(t2.usage().2, 0);
    t2.on_write(T).unwrap();
    commit(&mut t2).unwrap();
    t3.on_end(false);
    assert_eq!(t3.usage(), (0, 0, 0));
}

#[test]
fn full_tables_give_53200_with_postgresql_hints() {
    let shm = segment(1);
    let mut t1 = PredicateLocks::new(&shm, 0);
    begin(&mut t1);
    let n = LOCKS_PER_SLOT as u32;
    for rel in 0..n {
        t1.on_read(RelationKey { db: 1, rel }).unwrap();
    }
    let e = t1.on_read(RelationKey { db: 1, rel: n }).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (SqlState::OutOfMemory, "out of shared memory")
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("You might need to increase max_pred_locks_per_transaction.")
    );
    t1.on_end(false);
    // Ten transactions per slot, the eleventh finds no room.
    let mut held: Vec<_> = (0..XACTS_PER_SLOT)
        .map(|_| PredicateLocks::new(&shm, 0))
        .collect();
    for p in &mut held {
        begin(p);
    }
    let e = PredicateLocks::new(&shm, 0)
        .begin(false, || ())
        .unwrap_err();
    assert_eq!(
        (e.code, e.hint.as_deref()),
        (
            SqlState::OutOfMemory,
            Some("You might need to increase max_connections.")
        )
    );
    for p in &mut held {
        p.on_end(false);
    }
}

/// Two backends in threads run write skew in lock step, many times: exactly
/// one of each pair commits, and nothing is left behind.
#[test]
fn threads_write_skew_one_of_each_pair_commits() {
    let shm = Arc::new(segment(2));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|slot| {
            let (shm, barrier) = (Arc::clone(&shm), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut p = PredicateLocks::new(&shm, slot);
                let mut commits = 0;
                for round in 0..200u32 {
                    let (mine, other) = (
                        RelationKey {
                            db: 1,
                            rel: round * 2 + slot as u32,
                        },
                        RelationKey {
                            db: 1,
                            rel: round * 2 + 1 - slot as u32,
                        },
                    );
                    begin(&mut p);
                    p.on_read(mine).unwrap();
                    p.on_read(other).unwrap();
                    barrier.wait();
                    let wrote = p.on_write(mine);
                    barrier.wait();
                    let ok = wrote.is_ok() && commit(&mut p).is_ok();
                    if wrote.is_err() {
                        p.on_end(false);
                    }
                    commits += u32::from(ok);
                    barrier.wait();
                }
                commits
            })
        })
        .collect();
    let total: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 200, "one commit per round");
    assert_eq!(PredicateLocks::new(&shm, 0).usage(), (0, 0, 0));
}

const BACKENDS: [&str; 4] = ["a", "b", "c", "d"];
const RELATIONS: [&str; 3] = ["t", "u", "v"];

fn rel_of(name: &str) -> RelationKey {
    let i = RELATIONS
        .iter()
        .position(|r| *r == name)
        .unwrap_or_else(|| panic!("unknown relation {name}"));
    RelationKey {
        db: 5,
        rel: 16384 + i as u32,
    }
}

/// The shared state as a script prints it: transactions by backend, then
/// locks and edges, in slot order.
fn dump(p: &PredicateLocks<'_>, out: &mut String) {
    use std::fmt::Write;
    let _g = p.shared.lock.acquire_shared();
    let name = |idx: usize| {
        let x = p.load(idx);
        let b = BACKENDS[p.xacts[idx].backend.load(R) as usize];
        if x.committed() {
            format!("{b}({})", x.commit_seq)
        } else {
            b.to_owned()
        }
    };
    writeln!(out, "last_seq {}", p.shared.last_seq.load(R)).ok();
    for idx in (0..p.xacts.len()).filter(|&i| p.load(i).has(flag::IN_USE)) {
        let x = p.load(idx);
        let flags: Vec<&str> = [
            (flag::PREPARED, "prepared"),
            (flag::COMMITTED, "committed"),
            (flag::DOOMED, "doomed"),
            (flag::READ_ONLY, "read-only"),
            (flag::DID_WRITE, "wrote"),
            (flag::CONFLICT_OUT, "conflict-out"),
        ]
        .into_iter()
        .filter(|(f, _)| x.has(*f))
        .map(|(_, n)| n)
        .collect();
        writeln!(
            out,
            "xact {}: start {} prepare {} [{}]",
            name(idx),
            x.start_seq,
            x.prepare_seq,
            flags.join(" ")
        )
        .ok();
    }
    for l in p.locks.iter().filter(|l| l.holder.load(R) != 0) {
        let rel = RELATIONS[(l.key.load(R) & 0xffff_ffff) as usize - 16384];
        let k = if l.kind.load(R) == kind::SIREAD {
            "SIREAD"
        } else {
            "WRITE"
        };
        writeln!(out, "{k} {rel}: {}", name(l.holder.load(R) as usize - 1)).ok();
    }
    for c in p.conflicts.iter().filter(|c| c.reader.load(R) != 0) {
        writeln!(
            out,
            "rw {} -> {}",
            name(c.reader.load(R) as usize - 1),
            name(c.writer.load(R) as usize - 1)
        )
        .ok();
    }
}

/// Runs a script: `> x: begin [read only]`, `> x: read REL`, `> x: write
/// REL`, `> x: commit`, `> x: abort`, `> state`; each command's answer
/// follows it. Returns the script with the answers as they are now.
fn run_script(text: &str) -> String {
    use std::fmt::Write;
    let shm = segment(4);
    let mut backends: Vec<PredicateLocks<'_>> = (0..BACKENDS.len())
        .map(|i| PredicateLocks::new(&shm, i))
        .collect();
    let mut out = String::new();
    for line in text.lines() {
        let Some(cmd) = line.strip_prefix("> ") else {
            if line.starts_with('#') || line.is_empty() {
                writeln!(out, "{line}").ok();
            }
            continue;
        };
        writeln!(out, "{line}").ok();
        if cmd == "state" {
            dump(&backends[0], &mut out);
            continue;
        }
        let (who, rest) = cmd
            .split_once(": ")
            .unwrap_or_else(|| panic!("bad command {cmd:?}"));
        let b = BACKENDS
            .iter()
            .position(|n| *n == who)
            .unwrap_or_else(|| panic!("unknown backend {who}"));
        let p = &mut backends[b];
        let words: Vec<&str> = rest.split_whitespace().collect();
        let r = match words.as_slice() {
            ["begin"] => p.begin(false, || ()),
            ["begin", "read", "only"] => p.begin(true, || ()),
            ["read", rel] => p.on_read(rel_of(rel)),
            ["write", rel] => p.on_write(rel_of(rel)),
            ["commit"] => commit(p),
            ["abort"] => {
                p.on_end(false);
                Ok(())
            }
            _ => panic!("bad command {cmd:?}"),
        };
        match r {
            Ok(()) => writeln!(out, "{who}: ok").ok(),
            Err(e) => {
                // A failed statement aborts the transaction, as the backend does.
                if p.is_active() {
                    p.on_end(false);
                }
                writeln!(
                    out,
                    "{who}: {} {}",
                    e.code.code(),
                    e.detail.unwrap_or_default()
                )
                .ok()
            }
        };
    }
    out
}

#[test]
fn golden_scripts() {
    crate::golden::check_scripts("predicate", run_script);
}
