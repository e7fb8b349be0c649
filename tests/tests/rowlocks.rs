//! Row-level locks (`SELECT ... FOR UPDATE | FOR SHARE [OF t] [NOWAIT |
//! SKIP LOCKED]`) between sessions: who waits for whom, NOWAIT's error,
//! queue consumers with SKIP LOCKED, the READ COMMITTED re-check and the
//! REPEATABLE READ serialization failure, and the statements PostgreSQL
//! refuses. Every expectation is PostgreSQL 15's (these tests also pass with
//! `OXIPG_TEST_AGAINST_PG15=1`), except where a test is `#[ignore]`d with the
//! reason: without multixacts a row has one locker at a time.

use std::time::Duration;

use tests::{Cluster, sqlstate, within};
use tokio_postgres::{Client, SimpleQueryMessage};

/// The first column of every row, as text.
async fn column(c: &Client, sql: &str) -> Vec<Option<String>> {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
            _ => None,
        })
        .collect()
}

fn texts(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some((*s).to_owned())).collect()
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

/// The SQLSTATE and message of the error `sql` must fail with.
async fn error_of(c: &Client, sql: &str) -> (String, String) {
    let e = c.batch_execute(sql).await.expect_err(sql);
    (
        sqlstate(&e).unwrap_or("?").to_owned(),
        e.as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_default(),
    )
}

/// How long a statement that must wait is given before we check it still waits.
const SETTLE: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_update_blocks_lockers_and_writers_until_commit() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE acct (id int, bal int); INSERT INTO acct VALUES (1, 100), (2, 100)",
    )
    .await;

    exec(&a, "BEGIN").await;
    assert_eq!(
        column(&a, "SELECT bal FROM acct WHERE id = 1 FOR UPDATE").await,
        texts(&["100"])
    );
    // Other rows are free; a plain read is never blocked.
    assert_eq!(
        column(&b, "SELECT bal FROM acct WHERE id = 2 FOR UPDATE").await,
        texts(&["100"])
    );
    assert_eq!(
        column(&b, "SELECT bal FROM acct WHERE id = 1").await,
        texts(&["100"])
    );
    let locker = tokio::spawn(async move {
        let r = column(&b, "SELECT bal FROM acct WHERE id = 1 FOR UPDATE").await;
        (b, r)
    });
    tokio::time::sleep(SETTLE).await;
    assert!(
        !locker.is_finished(),
        "a second FOR UPDATE must wait for the first"
    );
    // The lock holder may change the row itself without waiting.
    exec(&a, "UPDATE acct SET bal = 150 WHERE id = 1").await;
    exec(&a, "COMMIT").await;
    let (b, r) = within(10, "FOR UPDATE after the holder committed", locker)
        .await
        .expect("locker");
    assert_eq!(r, texts(&["150"]));

    // An UPDATE (and a DELETE) waits for a row lock too.
    exec(&a, "BEGIN; SELECT * FROM acct WHERE id = 2 FOR UPDATE").await;
    let writer = tokio::spawn(async move {
        let n = b
            .execute("UPDATE acct SET bal = bal + 1 WHERE id = 2", &[])
            .await
            .expect("update after wait");
        (b, n)
    });
    tokio::time::sleep(SETTLE).await;
    assert!(!writer.is_finished(), "UPDATE must wait for the row lock");
    exec(&a, "COMMIT").await;
    let (_b, n) = within(10, "UPDATE after the holder committed", writer)
        .await
        .expect("writer");
    assert_eq!(n, 1);
    assert_eq!(
        column(&a, "SELECT bal FROM acct ORDER BY id").await,
        texts(&["150", "101"])
    );

    // A lock ends with its transaction also when it rolls back.
    exec(&a, "BEGIN; SELECT * FROM acct FOR SHARE; ROLLBACK").await;
    exec(&a, "UPDATE acct SET bal = 0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nowait_fails_with_55p03() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    )
    .await;
    exec(&a, "BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE").await;
    let expected = (
        "55P03".to_owned(),
        "could not obtain lock on row in relation \"t\"".to_owned(),
    );
    assert_eq!(
        error_of(&b, "SELECT * FROM t FOR UPDATE NOWAIT").await,
        expected
    );
    assert_eq!(
        error_of(&b, "SELECT * FROM t x WHERE id = 1 FOR SHARE OF x NOWAIT").await,
        expected
    );
    // Rows nobody holds lock at once.
    assert_eq!(
        column(&b, "SELECT v FROM t WHERE id = 2 FOR UPDATE NOWAIT").await,
        texts(&["b"])
    );
    exec(&a, "COMMIT").await;
    assert_eq!(
        column(&b, "SELECT v FROM t ORDER BY id FOR UPDATE NOWAIT").await,
        texts(&["a", "b"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_locked_queue_consumers_take_different_rows() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    let c = cluster.connect().await;
    exec(&a, "CREATE TABLE jobs (id int, done bool); INSERT INTO jobs VALUES (3, false), (1, false), (4, false), (2, false)").await;
    let take = "SELECT id FROM jobs WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
    exec(&a, "BEGIN").await;
    exec(&b, "BEGIN").await;
    assert_eq!(column(&a, take).await, texts(&["1"]));
    assert_eq!(column(&b, take).await, texts(&["2"]));
    // LIMIT 1 locked one row each: the rest are free for a third consumer.
    assert_eq!(
        column(&c, "SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED").await,
        texts(&["3", "4"])
    );
    exec(&a, "UPDATE jobs SET done = true WHERE id = 1; COMMIT").await;
    exec(&b, "ROLLBACK").await;
    // b gave its job back; a's is done.
    assert_eq!(column(&c, take).await, texts(&["2"]));
    assert_eq!(
        column(
            &c,
            "SELECT id FROM jobs ORDER BY id OFFSET 1 LIMIT 2 FOR UPDATE SKIP LOCKED"
        )
        .await,
        texts(&["2", "3"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_locks_the_newest_version() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE acct (id int, bal int); INSERT INTO acct VALUES (1, 100), (2, 100)",
    )
    .await;

    exec(&a, "BEGIN; UPDATE acct SET bal = bal + 1 WHERE id = 1").await;
    let locker = tokio::spawn(async move {
        let r = column(&b, "SELECT id, bal FROM acct WHERE id = 1 FOR UPDATE").await;
        let bal = column(&b, "SELECT bal FROM acct WHERE id = 1").await;
        (b, r, bal)
    });
    tokio::time::sleep(SETTLE).await;
    assert!(
        !locker.is_finished(),
        "FOR UPDATE must wait for the updater"
    );
    exec(&a, "COMMIT").await;
    let (b, r, bal) = within(10, "FOR UPDATE after the updater committed", locker)
        .await
        .expect("locker");
    assert_eq!(r, texts(&["1"]));
    assert_eq!(bal, texts(&["101"]));

    // The WHERE clause is checked again on the new version: a row that no
    // longer matches is left out, one that still does is returned as it is now.
    exec(
        &a,
        "BEGIN; UPDATE acct SET bal = 0 WHERE id = 2; UPDATE acct SET bal = 102 WHERE id = 1",
    )
    .await;
    let locker = tokio::spawn(async move {
        let r = column(
            &b,
            "SELECT bal FROM acct WHERE bal > 50 ORDER BY id FOR UPDATE",
        )
        .await;
        (b, r)
    });
    tokio::time::sleep(SETTLE).await;
    exec(&a, "COMMIT").await;
    let (_b, r) = within(10, "re-check", locker).await.expect("locker");
    assert_eq!(r, texts(&["102"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_fails_on_a_concurrent_update() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE acct (id int, bal int); INSERT INTO acct VALUES (1, 100), (2, 100)",
    )
    .await;

    exec(
        &b,
        "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM acct",
    )
    .await;
    exec(&a, "UPDATE acct SET bal = 1 WHERE id = 1").await;
    // The untouched row locks fine; the updated one cannot be locked.
    assert_eq!(
        column(&b, "SELECT bal FROM acct WHERE id = 2 FOR UPDATE").await,
        texts(&["100"])
    );
    let (code, msg) = error_of(&b, "SELECT * FROM acct WHERE id = 1 FOR SHARE").await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "40001",
            "could not serialize access due to concurrent update"
        )
    );
    exec(&b, "ROLLBACK").await;

    // Waiting for an updater that then commits fails the same way.
    exec(
        &b,
        "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM acct",
    )
    .await;
    exec(&a, "BEGIN; DELETE FROM acct WHERE id = 2").await;
    let locker = tokio::spawn(async move {
        let r = error_of(&b, "SELECT * FROM acct WHERE id = 2 FOR UPDATE").await;
        (b, r)
    });
    tokio::time::sleep(SETTLE).await;
    assert!(
        !locker.is_finished(),
        "FOR UPDATE must wait for the deleter"
    );
    exec(&a, "COMMIT").await;
    let (b, (code, msg)) = within(10, "FOR UPDATE after the deleter committed", locker)
        .await
        .expect("locker");
    // (PostgreSQL's row locking says "update" for a delete as well.)
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "40001",
            "could not serialize access due to concurrent update"
        )
    );
    exec(&b, "ROLLBACK").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_clauses_postgresql_refuses() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE t (id int, v int); INSERT INTO t VALUES (1, 1)",
    )
    .await;
    let not_supported = |m: &str| ("0A000".to_owned(), m.to_owned());
    assert_eq!(
        error_of(&a, "SELECT count(*) FROM t FOR UPDATE").await,
        not_supported("FOR UPDATE is not allowed with aggregate functions")
    );
    assert_eq!(
        error_of(&a, "SELECT id FROM t GROUP BY id FOR UPDATE").await,
        not_supported("FOR UPDATE is not allowed with GROUP BY clause")
    );
    assert_eq!(
        error_of(&a, "SELECT DISTINCT id FROM t FOR SHARE").await,
        not_supported("FOR SHARE is not allowed with DISTINCT clause")
    );
    assert_eq!(
        error_of(&a, "SELECT 1 FROM t HAVING true FOR UPDATE").await,
        not_supported("FOR UPDATE is not allowed with HAVING clause")
    );
    assert_eq!(
        error_of(&a, "VALUES (1) FOR UPDATE").await,
        not_supported("FOR UPDATE cannot be applied to VALUES")
    );
    assert_eq!(
        error_of(&a, "SELECT * FROM t x FOR UPDATE OF t").await,
        (
            "42P01".to_owned(),
            "relation \"t\" in FOR UPDATE clause not found in FROM clause".to_owned()
        )
    );
    // No row, nothing locked, no error. (`SELECT 1 FOR UPDATE` locks nothing
    // either, but sqlparser does not parse a locking clause without FROM.)
    assert_eq!(
        column(&a, "SELECT id FROM t WHERE false FOR UPDATE").await,
        texts(&[])
    );
    exec(&a, "BEGIN READ ONLY").await;
    assert_eq!(
        error_of(&a, "SELECT * FROM t WHERE false FOR SHARE").await,
        (
            "25006".to_owned(),
            "cannot execute SELECT FOR SHARE in a read-only transaction".to_owned()
        )
    );
    exec(&a, "ROLLBACK").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "no multixacts: a second FOR SHARE waits for the first instead of sharing the row"]
async fn for_share_twice_holds_together() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(&a, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)").await;
    exec(&a, "BEGIN; SELECT * FROM t FOR SHARE").await;
    exec(&b, "BEGIN").await;
    assert_eq!(
        within(
            3,
            "a second FOR SHARE",
            column(&b, "SELECT id FROM t FOR SHARE")
        )
        .await,
        texts(&["1"])
    );
    // Both hold it: an UPDATE by either waits for the other.
    exec(&a, "COMMIT").await;
    exec(&b, "COMMIT").await;
}
