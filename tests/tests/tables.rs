//! Tables shared by many sessions: transactional DDL, MVCC visibility between
//! sessions, row-level waits and READ COMMITTED re-checks, serialization
//! failures, deadlocks, and durability across kill -9. Every expectation is
//! PostgreSQL 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::time::Duration;

use nix::sys::signal::Signal;
use tests::{Cluster, sqlstate, within};
use tokio_postgres::{Client, SimpleQueryMessage};

async fn one_value(c: &Client, sql: &str) -> Option<String> {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    msgs.iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
            _ => None,
        })
        .flatten()
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

async fn fails_with(c: &Client, sql: &str) -> String {
    let e = c.batch_execute(sql).await.expect_err(sql);
    sqlstate(&e).unwrap_or("?").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_is_transactional_and_visible_only_after_commit() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;

    exec(
        &a,
        "BEGIN; CREATE TABLE t1 (id int, v text); INSERT INTO t1 VALUES (1, 'one')",
    )
    .await;
    assert_eq!(
        one_value(&a, "SELECT v FROM t1").await.as_deref(),
        Some("one")
    );
    // Not committed: the other session does not see the table at all.
    assert_eq!(fails_with(&b, "SELECT * FROM t1").await, "42P01");
    exec(&a, "ROLLBACK").await;
    assert_eq!(fails_with(&a, "SELECT * FROM t1").await, "42P01");

    exec(
        &a,
        "BEGIN; CREATE TABLE t1 (id int, v text); INSERT INTO t1 VALUES (1, 'one')",
    )
    .await;
    exec(&a, "COMMIT").await;
    assert_eq!(
        one_value(&b, "SELECT count(*) FROM t1").await.as_deref(),
        Some("1")
    );
    assert_eq!(fails_with(&b, "CREATE TABLE t1 (x int)").await, "42P07");

    // DROP waits for a transaction that read the table.
    exec(&b, "BEGIN; SELECT * FROM t1").await;
    let dropper = tokio::spawn(async move {
        exec(&a, "DROP TABLE t1").await;
        a
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !dropper.is_finished(),
        "DROP TABLE must wait for the reader's AccessShareLock"
    );
    assert_eq!(
        one_value(&b, "SELECT count(*) FROM t1").await.as_deref(),
        Some("1")
    );
    exec(&b, "COMMIT").await;
    let _a = within(10, "DROP TABLE after the reader committed", dropper)
        .await
        .expect("dropper");
    assert_eq!(fails_with(&b, "SELECT * FROM t1").await, "42P01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_visible_by_snapshot() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(&a, "CREATE TABLE t2 (id int, v int)").await;
    exec(&a, "INSERT INTO t2 VALUES (1, 10), (2, 20)").await;

    exec(&a, "BEGIN; INSERT INTO t2 VALUES (3, 30); UPDATE t2 SET v = 11 WHERE id = 1; DELETE FROM t2 WHERE id = 2").await;
    // b sees the committed state only (no dirty reads).
    assert_eq!(
        one_value(&b, "SELECT sum(v) FROM t2").await.as_deref(),
        Some("30")
    );
    assert_eq!(
        one_value(&a, "SELECT sum(v) FROM t2").await.as_deref(),
        Some("41")
    );

    exec(&b, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    assert_eq!(
        one_value(&b, "SELECT sum(v) FROM t2").await.as_deref(),
        Some("30")
    );
    exec(&a, "COMMIT").await;
    // Repeatable read keeps its snapshot; a new transaction sees the commit.
    assert_eq!(
        one_value(&b, "SELECT sum(v) FROM t2").await.as_deref(),
        Some("30")
    );
    exec(&b, "COMMIT").await;
    assert_eq!(
        one_value(&b, "SELECT sum(v) FROM t2").await.as_deref(),
        Some("41")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_wait_and_recheck() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(&a, "CREATE TABLE acct (id int, bal int)").await;
    exec(&a, "INSERT INTO acct VALUES (1, 100), (2, 100)").await;

    // READ COMMITTED: b waits for a, then re-applies its update to a's new version.
    exec(&a, "BEGIN; UPDATE acct SET bal = bal + 1 WHERE id = 1").await;
    let waiter = tokio::spawn(async move {
        let r = b
            .execute("UPDATE acct SET bal = bal + 10 WHERE id = 1", &[])
            .await
            .expect("update after wait");
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second updater must wait for the first"
    );
    exec(&a, "COMMIT").await;
    let (b, updated) = within(10, "update after the first commits", waiter)
        .await
        .expect("waiter");
    assert_eq!(updated, 1);
    assert_eq!(
        one_value(&a, "SELECT bal FROM acct WHERE id = 1")
            .await
            .as_deref(),
        Some("111")
    );

    // A re-check that no longer matches skips the row.
    exec(&a, "BEGIN; UPDATE acct SET bal = 0 WHERE id = 2").await;
    let waiter = tokio::spawn(async move {
        let r = b
            .execute("UPDATE acct SET bal = bal + 1 WHERE bal = 100", &[])
            .await
            .expect("update");
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    exec(&a, "COMMIT").await;
    let (b, updated) = within(10, "re-check", waiter).await.expect("waiter");
    assert_eq!(updated, 0);

    // REPEATABLE READ: the second updater fails with 40001 once the first commits.
    exec(
        &b,
        "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM acct",
    )
    .await;
    exec(&a, "UPDATE acct SET bal = bal + 1 WHERE id = 1").await;
    assert_eq!(
        fails_with(&b, "UPDATE acct SET bal = bal + 1 WHERE id = 1").await,
        "40001"
    );
    exec(&b, "ROLLBACK").await;

    // Deadlock: exactly one of the two gets 40P01, the other proceeds.
    exec(
        &a,
        "SET deadlock_timeout = '100ms'; BEGIN; UPDATE acct SET bal = 1 WHERE id = 1",
    )
    .await;
    exec(
        &b,
        "SET deadlock_timeout = '100ms'; BEGIN; UPDATE acct SET bal = 2 WHERE id = 2",
    )
    .await;
    let first = tokio::spawn(async move {
        let r = a
            .batch_execute("UPDATE acct SET bal = 1 WHERE id = 2")
            .await;
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r_b = b
        .batch_execute("UPDATE acct SET bal = 2 WHERE id = 1")
        .await;
    let outcome_b = r_b.as_ref().err().and_then(sqlstate).map(str::to_owned);
    if outcome_b.is_some() {
        exec(&b, "ROLLBACK").await;
    }
    let (a, r_a) = within(10, "deadlock resolution", first)
        .await
        .expect("first");
    let outcome_a = r_a.as_ref().err().and_then(sqlstate).map(str::to_owned);
    let mut outcomes = [outcome_a.clone(), outcome_b.clone()];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [None, Some("40P01".to_owned())],
        "a: {r_a:?}, b: {r_b:?}"
    );
    exec(
        &a,
        if outcome_a.is_some() {
            "ROLLBACK"
        } else {
            "COMMIT"
        },
    )
    .await;
    if outcome_b.is_none() {
        exec(&b, "COMMIT").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_transactions_refuse_writes() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    exec(&a, "CREATE TABLE t3 (id int)").await;
    exec(&a, "BEGIN READ ONLY").await;
    let e = a
        .batch_execute("INSERT INTO t3 VALUES (1)")
        .await
        .expect_err("read-only");
    assert_eq!(sqlstate(&e), Some("25006"));
    assert_eq!(
        e.as_db_error().map(|d| d.message()),
        Some("cannot execute INSERT in a read-only transaction")
    );
    exec(&a, "ROLLBACK").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_rows_survive_kill_9() {
    if tests::against_pg15() {
        return;
    }
    let mut cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(&a, "CREATE TABLE durable (id int, v text)").await;
    for i in 0..50 {
        exec(&a, &format!("INSERT INTO durable VALUES ({i}, 'row {i}')")).await;
    }
    exec(
        &a,
        "UPDATE durable SET v = 'updated' WHERE id < 10; DELETE FROM durable WHERE id >= 40",
    )
    .await;
    // An open transaction at the moment of the crash must leave no trace.
    exec(
        &b,
        "BEGIN; INSERT INTO durable VALUES (1000, 'uncommitted'); DELETE FROM durable WHERE id = 5",
    )
    .await;

    // kill -9 a backend: the postmaster restarts everything; committed data stays.
    let victim: i32 = one_value(&b, "SELECT pg_backend_pid()")
        .await
        .expect("pid")
        .parse()
        .expect("int");
    cluster.signal_child(victim, Signal::SIGKILL);
    drop((a, b));
    // A connection made before the postmaster noticed the crash is ended by
    // the crash-restart itself: keep trying until one survives a query.
    let mut c = None;
    for _ in 0..60 {
        if let Ok(client) = cluster.connect_retrying(Duration::from_secs(30)).await
            && client.simple_query("SELECT 1").await.is_ok()
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if client.simple_query("SELECT 1").await.is_ok() {
                c = Some(client);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let c = c.expect("reconnect after crash-restart");
    assert_eq!(
        one_value(&c, "SELECT count(*) FROM durable")
            .await
            .as_deref(),
        Some("40")
    );
    assert_eq!(
        one_value(&c, "SELECT count(*) FROM durable WHERE v = 'updated'")
            .await
            .as_deref(),
        Some("10")
    );

    // kill -9 the postmaster itself, start again on the same directory.
    exec(&c, "INSERT INTO durable VALUES (2000, 'last')").await;
    drop(c);
    cluster.signal(Signal::SIGKILL);
    cluster
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("postmaster gone");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.start_again();
    let d = cluster.connect().await;
    assert_eq!(
        one_value(&d, "SELECT count(*) FROM durable")
            .await
            .as_deref(),
        Some("41")
    );
    assert_eq!(
        one_value(&d, "SELECT v FROM durable WHERE id = 2000")
            .await
            .as_deref(),
        Some("last")
    );
    // New transactions after restart get fresh xids: their rows are visible.
    exec(&d, "INSERT INTO durable VALUES (3000, 'after')").await;
    assert_eq!(
        one_value(&d, "SELECT count(*) FROM durable")
            .await
            .as_deref(),
        Some("42")
    );
}

/// Sessions transferring money between accounts with random aborts; the
/// total never changes. The default run is short; `OXIPG_STRESS=full` runs
/// the storage issue's version (16 sessions, 1,000 accounts, one minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_transfers_keep_the_total() {
    let full = std::env::var("OXIPG_STRESS").is_ok_and(|v| v == "full");
    let (accounts, sessions, secs): (i32, usize, u64) =
        if full { (1000, 16, 60) } else { (200, 8, 4) };
    let cluster = Cluster::builder().setting("max_connections", "40").start();
    let setup = cluster.connect().await;
    exec(&setup, "CREATE TABLE bank (id int, bal int)").await;
    let values: Vec<String> = (0..accounts).map(|i| format!("({i}, 1000)")).collect();
    exec(
        &setup,
        &format!("INSERT INTO bank VALUES {}", values.join(",")),
    )
    .await;

    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let mut workers = Vec::new();
    for w in 0..sessions {
        let c = cluster.connect().await;
        workers.push(tokio::spawn(async move {
            exec(&c, "SET deadlock_timeout = '50ms'").await;
            let mut seed = w as u64 * 7919 + 1;
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            let (mut done, mut failed) = (0, 0);
            while std::time::Instant::now() < deadline {
                let from = (next() % accounts as u64) as i32;
                let to = (next() % accounts as u64) as i32;
                let amount = (next() % 50) as i32;
                let abort = next() % 10 == 0;
                let sql = format!(
                    "BEGIN; UPDATE bank SET bal = bal - {amount} WHERE id = {from}; UPDATE bank SET bal = bal + {amount} WHERE id = {to}; {}",
                    if abort { "ROLLBACK" } else { "COMMIT" }
                );
                match c.batch_execute(&sql).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        // Deadlocks between transfers are expected; anything else is not.
                        assert_eq!(sqlstate(&e), Some("40P01"), "{e}");
                        failed += 1;
                        exec(&c, "ROLLBACK").await;
                    }
                }
            }
            (done, failed)
        }));
    }
    let (mut total_done, mut total_failed) = (0, 0);
    for w in workers {
        let (done, failed) = within(secs + 60, "transfer worker", w)
            .await
            .expect("worker");
        total_done += done;
        total_failed += failed;
    }
    eprintln!(
        "transfers: {total_done} transactions ended as planned, {total_failed} deadlock victims, {sessions} sessions, {secs} s"
    );
    assert!(
        total_done > sessions,
        "transfers made progress ({total_done})"
    );
    assert_eq!(
        one_value(&setup, "SELECT sum(bal) FROM bank")
            .await
            .as_deref(),
        Some((accounts * 1000).to_string().as_str())
    );
    assert_eq!(
        one_value(&setup, "SELECT count(*) FROM bank")
            .await
            .as_deref(),
        Some(accounts.to_string().as_str())
    );
    // No backend died: the postmaster never restarted (the first session is alive).
    assert_eq!(one_value(&setup, "SELECT 1").await.as_deref(), Some("1"));
    exec(&setup, "VACUUM bank").await;
    assert_eq!(
        one_value(&setup, "SELECT sum(bal) FROM bank")
            .await
            .as_deref(),
        Some((accounts * 1000).to_string().as_str())
    );
    // VACUUM reclaimed the dead versions: only live rows (and versions
    // still visible to nobody) are left.
    let dead = one_value(
        &setup,
        "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bank'",
    )
    .await;
    if !cluster.is_reference() {
        assert_eq!(dead.as_deref(), Some("0"), "dead rows left after VACUUM");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autovacuum_keeps_an_updated_table_small() {
    let cluster = Cluster::builder()
        .setting("autovacuum_naptime", "1")
        .start();
    let c = cluster.connect().await;
    exec(&c, "CREATE TABLE churn (id int, v int, pad text)").await;
    let values: Vec<String> = (0..100)
        .map(|i| format!("({i}, 0, 'padding padding padding')"))
        .collect();
    exec(
        &c,
        &format!("INSERT INTO churn VALUES {}", values.join(",")),
    )
    .await;
    for _ in 0..60 {
        exec(&c, "UPDATE churn SET v = v + 1").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        one_value(&c, "SELECT sum(v) FROM churn").await.as_deref(),
        Some("6000")
    );
    // Statistics reach PostgreSQL's shared view asynchronously: poll.
    // n_live_tup is what the last VACUUM counted, an estimate: an UPDATE
    // that commits while VACUUM is between pages can move rows past it (as
    // in PostgreSQL), so allow for a few missed rows.
    let probe = "SELECT autovacuum_count > 0, n_tup_ins, n_tup_upd, n_live_tup BETWEEN 90 AND 100 FROM pg_stat_user_tables WHERE relname = 'churn'";
    let mut last = String::new();
    let ok = tests::wait_until(Duration::from_secs(20), || {
        let out = cluster.psql(&["-Atc", probe]);
        last = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        last == "t|100|6000|t"
    })
    .await;
    assert!(
        ok,
        "autovacuum never vacuumed the table, or the counts are off: {last}"
    );
    // 100 rows of ~60 bytes fit in one page; 6,000 dead versions would need ~50.
    let node = one_value(
        &c,
        "SELECT relfilenode FROM pg_class WHERE relname = 'churn'",
    )
    .await
    .expect("relfilenode");
    let size = std::fs::metadata(cluster.data_dir().join("base/5").join(node))
        .expect("relation file")
        .len();
    assert!(size <= 8 * 8192, "table grew to {size} bytes");
}

/// Auto-analyze: a table changed by more than autovacuum_analyze_threshold
/// + scale_factor × reltuples rows gets statistics without an ANALYZE, and
/// the planner then estimates from them.
#[tokio::test]
async fn autovacuum_analyzes_changed_tables() {
    let cluster = Cluster::builder()
        .setting("autovacuum_naptime", "1")
        .start();
    let c = cluster.connect().await;
    exec(&c, "CREATE TABLE grown (id int, kind int)").await;
    exec(
        &c,
        "INSERT INTO grown SELECT i, i % 4 FROM generate_series(1, 2000) i",
    )
    .await;
    let probe = "SELECT autoanalyze_count > 0, n_mod_since_analyze, \
                 (SELECT reltuples FROM pg_class WHERE relname = 'grown'), \
                 (SELECT n_distinct FROM pg_stats WHERE tablename = 'grown' AND attname = 'kind') \
                 FROM pg_stat_user_tables WHERE relname = 'grown'";
    let mut last = String::new();
    let ok = tests::wait_until(Duration::from_secs(20), || {
        let out = cluster.psql(&["-Atc", probe]);
        last = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        last == "t|0|2000|4"
    })
    .await;
    assert!(ok, "autovacuum never analyzed the table: {last}");
    // the estimate of kind = 1 is a quarter of the rows
    let plan = one_value(&c, "EXPLAIN SELECT * FROM grown WHERE kind = 1")
        .await
        .expect("plan");
    assert!(plan.contains("rows=500 "), "{plan}");
}
