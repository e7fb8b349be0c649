//! Temporary tables between sessions: another session neither finds them
//! by name nor may use them through their schema (0A000), and they are gone
//! once their session ends. The expectations are PostgreSQL 15's (these
//! tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::time::Duration;

use tests::{Cluster, sqlstate, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_tables_are_private_and_end_with_their_session() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    a.batch_execute("CREATE TEMP TABLE mine (a int); INSERT INTO mine VALUES (1)")
        .await
        .expect("create");
    let schema: String = a
        .query_one(
            "SELECT n.nspname::text FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid \
             WHERE c.relname = 'mine'",
            &[],
        )
        .await
        .expect("schema")
        .get(0);
    assert!(schema.starts_with("pg_temp_"), "{schema}");
    let e = b
        .batch_execute("SELECT * FROM mine")
        .await
        .expect_err("not visible");
    assert_eq!(sqlstate(&e), Some("42P01"));
    let e = b
        .batch_execute(&format!("SELECT * FROM {schema}.mine"))
        .await
        .expect_err("not usable");
    assert_eq!(sqlstate(&e), Some("0A000"));
    // Another session's temporary table of the same name is its own.
    b.batch_execute("CREATE TEMP TABLE mine (a int)")
        .await
        .expect("b's own");
    let n: i64 = b
        .query_one("SELECT count(*) FROM mine", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
    drop(a);
    let gone = wait_until(Duration::from_secs(10), || {
        let out = cluster.psql(&[
            "-Atc",
            &format!(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON c.relnamespace = n.oid \
                 WHERE n.nspname = '{schema}'"
            ),
        ]);
        String::from_utf8_lossy(&out.stdout).trim() == "0"
    })
    .await;
    assert!(gone, "the ended session's temporary table is dropped");
}
