//! Sequences shared by many sessions and across crashes: every value
//! `nextval` hands out is handed out once, whether the transaction that took
//! it commits or rolls back, and a value taken by a transaction that
//! committed is never handed out again after kill -9 (of the whole cluster,
//! with and without a checkpoint in between). Serial columns keep their rows and go on numbering after
//! recovery. The expectations are PostgreSQL 15's (these tests also pass with
//! `OXIPG_TEST_AGAINST_PG15=1`).

use std::collections::BTreeSet;

use tests::{Cluster, sqlstate};
use tokio_postgres::{Client, SimpleQueryMessage};

async fn one_value(c: &Client, sql: &str) -> String {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
    msgs.iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{sql}: no value"))
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

async fn nextval(c: &Client, seq: &str) -> i64 {
    one_value(c, &format!("SELECT nextval('{seq}')"))
        .await
        .parse()
        .expect("nextval gives a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_never_get_the_same_value() {
    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(&setup, "CREATE SEQUENCE shared_seq").await;
    let mut tasks = Vec::new();
    for session in 0..4 {
        let c = cluster.connect().await;
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..150 {
                // Every third value is taken in a transaction that rolls
                // back: the value is used up all the same.
                if i % 3 == session % 3 {
                    exec(&c, "BEGIN").await;
                    got.push(nextval(&c, "shared_seq").await);
                    exec(&c, "ROLLBACK").await;
                } else {
                    got.push(nextval(&c, "shared_seq").await);
                }
            }
            got
        }));
    }
    let mut all = BTreeSet::new();
    let mut count = 0;
    for t in tasks {
        for v in t.await.expect("session task") {
            count += 1;
            assert!(all.insert(v), "value {v} handed out twice");
        }
    }
    assert_eq!(count, 600);
    // Nothing skipped either: 1..=600 exactly, and the next one is 601.
    assert_eq!(all.first(), Some(&1));
    assert_eq!(all.last(), Some(&600));
    assert_eq!(nextval(&setup, "shared_seq").await, 601);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_seen_before_kill_9_are_not_handed_out_again() {
    let mut cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(
        &setup,
        "CREATE SEQUENCE crash_seq; \
         CREATE TABLE items (id bigserial PRIMARY KEY, note text)",
    )
    .await;
    drop(setup);
    let mut seen = 0;
    let mut rows = 0;
    for round in 0..3 {
        let c = cluster.connect().await;
        let after = nextval(&c, "crash_seq").await;
        assert!(
            after > seen,
            "round {round}: nextval gave {after}, but {seen} was handed out before the crash"
        );
        // The committed rows are all there.
        assert_eq!(
            one_value(&c, "SELECT count(*) FROM items").await,
            rows.to_string()
        );
        for _ in 0..40 {
            let v = nextval(&c, "crash_seq").await;
            assert!(v > seen, "{v} after {seen}");
            seen = v;
        }
        // A value taken by a transaction that never commits counts too; new
        // rows get new keys (a repeated one would be 23505).
        exec(&c, "BEGIN").await;
        for _ in 0..25 {
            exec(&c, "INSERT INTO items (note) VALUES ('x')").await;
            rows += 1;
        }
        seen = nextval(&c, "crash_seq").await;
        exec(&c, "COMMIT").await;
        if round == 1 {
            // Values after a checkpoint must be covered by WAL after it.
            exec(&c, "CHECKPOINT").await;
            for _ in 0..5 {
                seen = nextval(&c, "crash_seq").await;
            }
        }
        // A value taken by a transaction the crash ends may come again:
        // nothing committed used it (PostgreSQL gives the same guarantee).
        exec(&c, "BEGIN").await;
        nextval(&c, "crash_seq").await;
        drop(c);
        cluster.kill_9_all().await;
        cluster.start_again();
    }
    let c = cluster.connect().await;
    assert!(nextval(&c, "crash_seq").await > seen);
    assert_eq!(
        one_value(&c, "SELECT count(*) FROM items").await,
        rows.to_string()
    );
    assert_eq!(
        one_value(&c, "SELECT count(DISTINCT id) FROM items").await,
        rows.to_string()
    );
}
