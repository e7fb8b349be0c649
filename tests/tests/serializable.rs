//! SERIALIZABLE (serializable snapshot isolation) over the wire, beyond the
//! Hermitage permutations of `isolation.rs`: PostgreSQL's texts for the
//! serialization failures (message, DETAIL with the reason code, HINT), the
//! read-only optimisation, a doomed transaction failing at its next read,
//! and a long run of serializable transactions on a small server (the
//! shared tables are cleaned up as transactions end). Every expectation is
//! PostgreSQL 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use tests::{Cluster, sqlstate};
use tokio_postgres::Client;

const MESSAGE: &str =
    "could not serialize access due to read/write dependencies among transactions";
const HINT: &str = "The transaction might succeed if retried.";

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

/// The SQLSTATE, message, detail and hint `sql` fails with.
async fn failure(c: &Client, sql: &str) -> (String, String, Option<String>, Option<String>) {
    let e = c.batch_execute(sql).await.expect_err(sql);
    let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
    (
        db.code().code().to_owned(),
        db.message().to_owned(),
        db.detail().map(str::to_owned),
        db.hint().map(str::to_owned),
    )
}

fn ssi_failure(reason: &str) -> (String, String, Option<String>, Option<String>) {
    (
        "40001".into(),
        MESSAGE.into(),
        Some(format!("Reason code: {reason}.")),
        Some(HINT.into()),
    )
}

const BEGIN: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_skew_fails_at_commit_and_the_doomed_fails_at_its_next_read() {
    let cluster = Cluster::start();
    let (a, b) = (cluster.connect().await, cluster.connect().await);
    exec(&a, "CREATE TABLE doctors (name text, on_call bool); INSERT INTO doctors VALUES ('alice', true), ('bob', true)").await;
    for sql in [BEGIN, "SELECT count(*) FROM doctors WHERE on_call"] {
        exec(&a, sql).await;
        exec(&b, sql).await;
    }
    exec(
        &a,
        "UPDATE doctors SET on_call = false WHERE name = 'alice'",
    )
    .await;
    exec(&b, "UPDATE doctors SET on_call = false WHERE name = 'bob'").await;
    exec(&a, "COMMIT").await;
    // b is the pivot of a -> b -> a with a committed first: doomed.
    assert_eq!(
        failure(&b, "SELECT * FROM doctors").await,
        ssi_failure("Canceled on identification as a pivot, during conflict out checking")
    );
    exec(&b, "ROLLBACK").await;

    // The same, with the doomed transaction going straight to COMMIT.
    exec(&a, "UPDATE doctors SET on_call = true").await;
    for sql in [BEGIN, "SELECT count(*) FROM doctors WHERE on_call"] {
        exec(&a, sql).await;
        exec(&b, sql).await;
    }
    exec(
        &a,
        "UPDATE doctors SET on_call = false WHERE name = 'alice'",
    )
    .await;
    exec(&b, "UPDATE doctors SET on_call = false WHERE name = 'bob'").await;
    exec(&a, "COMMIT").await;
    assert_eq!(
        failure(&b, "COMMIT").await,
        ssi_failure("Canceled on identification as a pivot, during commit attempt")
    );
    // The failed COMMIT ended the transaction.
    exec(&b, "SELECT 1").await;
}

/// Hermitage's g2_two_edges: the pivot's own write is refused, with
/// PostgreSQL's reason code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_anomaly_refuses_the_write_that_closes_it() {
    let cluster = Cluster::start();
    let (t1, t2, t3) = (
        cluster.connect().await,
        cluster.connect().await,
        cluster.connect().await,
    );
    exec(
        &t1,
        "CREATE TABLE t (id int, value int); INSERT INTO t VALUES (1, 10), (2, 20)",
    )
    .await;
    exec(&t1, BEGIN).await;
    exec(&t1, "SELECT * FROM t").await;
    exec(
        &t2,
        &format!("{BEGIN}; UPDATE t SET value = value + 5 WHERE id = 2; COMMIT"),
    )
    .await;
    exec(&t3, &format!("{BEGIN} READ ONLY; SELECT * FROM t; COMMIT")).await;
    assert_eq!(
        failure(&t1, "UPDATE t SET value = 0 WHERE id = 1").await,
        ssi_failure("Canceled on identification as a pivot, during write")
    );
    exec(&t1, "ROLLBACK").await;
}

/// A read-only transaction (declared, or one that commits without writing)
/// whose snapshot predates the commit of the dangerous structure's out side
/// is serialized before it: t3 -> t1 -> t2 is no failure, unlike the same
/// reads with t3's snapshot taken after t2's commit (the test above);
/// PostgreSQL's read-only optimisation. The tables are distinct so that
/// only the intended conflicts exist at relation granularity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_transaction_with_an_early_snapshot_does_not_fail_the_writer() {
    let cluster = Cluster::start();
    let (t1, t2, t3) = (
        cluster.connect().await,
        cluster.connect().await,
        cluster.connect().await,
    );
    exec(&t1, "CREATE TABLE a (v int); CREATE TABLE b (v int); CREATE TABLE c (v int); INSERT INTO a VALUES (1); INSERT INTO b VALUES (1)").await;
    exec(&t1, BEGIN).await;
    exec(&t1, "SELECT * FROM a").await;
    exec(&t3, &format!("{BEGIN} READ ONLY")).await;
    exec(&t3, "SELECT * FROM c").await;
    // t1 -> t2 (t1 read a, which t2 changes), and t2 commits first.
    exec(&t2, &format!("{BEGIN}; UPDATE a SET v = 2; COMMIT")).await;
    exec(&t3, "SELECT * FROM b").await;
    exec(&t3, "COMMIT").await;
    // t3 -> t1 (t3 read b, which t1 changes): t3 -> t1 -> t2, but t3 saw
    // nothing of t2, so it can be placed first.
    exec(&t1, "UPDATE b SET v = 2").await;
    exec(&t1, "COMMIT").await;
}

/// Many serializable transactions, each reading and writing, on a server
/// with few connection slots: committed transactions, their SIREAD locks
/// and their conflicts are freed as soon as no transaction overlaps them,
/// so the shared tables never fill up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_state_is_freed_as_transactions_end() {
    let cluster = Cluster::builder().setting("max_connections", "5").start();
    let (a, b) = (cluster.connect().await, cluster.connect().await);
    exec(
        &a,
        "CREATE TABLE t (id int, value int); CREATE TABLE u (id int)",
    )
    .await;
    for i in 0..150 {
        exec(&a, BEGIN).await;
        exec(&b, BEGIN).await;
        exec(&a, "SELECT count(*) FROM t").await;
        exec(&b, "SELECT count(*) FROM u").await;
        exec(&a, &format!("INSERT INTO t VALUES ({i}, {i})")).await;
        exec(&b, &format!("INSERT INTO u VALUES ({i})")).await;
        exec(&a, "COMMIT").await;
        exec(&b, "COMMIT").await;
        exec(&a, &format!("SET default_transaction_isolation = serializable; INSERT INTO u VALUES ({i}); SELECT * FROM t; RESET default_transaction_isolation")).await;
    }
    let rows = a.simple_query("SELECT * FROM u").await.expect("select");
    assert_eq!(
        rows.iter()
            .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
            .count(),
        300
    );
}
