//! Foreign keys between concurrent sessions: a new referencing row locks its
//! parent row (FOR KEY SHARE), so a concurrent DELETE of the parent waits
//! for it and then fails; an insert that needs a parent being deleted by
//! another transaction waits for that transaction and fails if it commits,
//! succeeds if it rolls back. Deferred checks run at COMMIT. The
//! expectations are PostgreSQL 15's (these tests also pass with
//! `OXIPG_TEST_AGAINST_PG15=1`).

use std::time::Duration;

use tests::{Cluster, sqlstate};
use tokio_postgres::Client;

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

async fn setup(cluster: &Cluster) -> (Client, Client) {
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(
        &a,
        "CREATE TABLE parent (id int PRIMARY KEY); \
         CREATE TABLE child (id serial PRIMARY KEY, pid int REFERENCES parent); \
         CREATE TABLE dchild (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED); \
         INSERT INTO parent VALUES (1), (2), (3)",
    )
    .await;
    (a, b)
}

/// Runs `sql` on `c` in a task that must still be waiting after a moment;
/// returns the task's outcome (the SQLSTATE of its error, if any).
async fn start_blocked(
    c: Client,
    sql: &'static str,
) -> tokio::task::JoinHandle<(Client, Option<String>)> {
    let task = tokio::spawn(async move {
        let r = c.batch_execute(sql).await;
        let state = r.err().map(|e| sqlstate(&e).unwrap_or("?").to_owned());
        (c, state)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !task.is_finished(),
        "{sql} must wait for the other transaction"
    );
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_parent_waits_for_a_new_child_and_fails() {
    let cluster = Cluster::start();
    let (a, b) = setup(&cluster).await;
    exec(&a, "BEGIN; INSERT INTO child (pid) VALUES (1)").await;
    let delete = start_blocked(b, "DELETE FROM parent WHERE id = 1").await;
    exec(&a, "COMMIT").await;
    let (_b, state) = delete.await.expect("delete task");
    assert_eq!(state.as_deref(), Some("23503"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_of_a_parent_being_deleted_waits_for_the_outcome() {
    let cluster = Cluster::start();
    let (a, b) = setup(&cluster).await;
    // The deleting transaction commits: the insert fails.
    exec(&b, "BEGIN; DELETE FROM parent WHERE id = 2").await;
    let insert = start_blocked(a, "INSERT INTO child (pid) VALUES (2)").await;
    exec(&b, "COMMIT").await;
    let (a, state) = insert.await.expect("insert task");
    assert_eq!(state.as_deref(), Some("23503"));
    // It rolls back: the insert succeeds.
    exec(&b, "BEGIN; DELETE FROM parent WHERE id = 3").await;
    let insert = start_blocked(a, "INSERT INTO child (pid) VALUES (3)").await;
    exec(&b, "ROLLBACK").await;
    let (a, state) = insert.await.expect("insert task");
    assert_eq!(state, None);
    let n: i64 = a
        .query_one("SELECT count(*) FROM child WHERE pid = 3", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_checks_run_at_commit() {
    let cluster = Cluster::start();
    let (a, _b) = setup(&cluster).await;
    // The parent arrives later in the transaction: fine.
    exec(
        &a,
        "BEGIN; INSERT INTO dchild VALUES (10); INSERT INTO parent VALUES (10); COMMIT",
    )
    .await;
    // It never arrives: COMMIT fails and nothing of the transaction stays.
    exec(
        &a,
        "BEGIN; INSERT INTO dchild VALUES (11); INSERT INTO parent VALUES (12)",
    )
    .await;
    let e = a
        .batch_execute("COMMIT")
        .await
        .expect_err("COMMIT must fail");
    assert_eq!(sqlstate(&e), Some("23503"));
    let n: i64 = a
        .query_one("SELECT count(*) FROM parent WHERE id = 12", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0, "the failed COMMIT rolled back");
}
