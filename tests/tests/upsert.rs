//! INSERT ... ON CONFLICT between concurrent sessions: sessions that
//! propose the same new keys at once never get 23505 and never lose an
//! update (PostgreSQL's guarantee); a proposer of a key another transaction
//! is inserting waits for it. The expectations are PostgreSQL 15's (these
//! tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use tests::{Cluster, sqlstate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_count_every_increment() {
    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    setup
        .batch_execute("CREATE TABLE counters (k int PRIMARY KEY, n int NOT NULL)")
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for s in 0..4 {
        let c = cluster.connect().await;
        tasks.push(tokio::spawn(async move {
            for i in 0..60 {
                let k = (i + s) % 6;
                let sql = format!(
                    "INSERT INTO counters VALUES ({k}, 1) \
                     ON CONFLICT (k) DO UPDATE SET n = counters.n + 1"
                );
                c.batch_execute(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
            }
        }));
    }
    for t in tasks {
        t.await.expect("session task");
    }
    let row = setup
        .query_one("SELECT count(*), sum(n)::int8 FROM counters", &[])
        .await
        .expect("sum");
    let (keys, total): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(keys, 6);
    assert_eq!(total, 240, "every increment counted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposer_waits_for_the_transaction_inserting_the_key() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    a.batch_execute("CREATE TABLE u (k int PRIMARY KEY, v text)")
        .await
        .expect("create");
    a.batch_execute("BEGIN; INSERT INTO u VALUES (1, 'a')")
        .await
        .expect("insert");
    let task = tokio::spawn(async move {
        b.batch_execute(
            "INSERT INTO u VALUES (1, 'b') ON CONFLICT (k) DO UPDATE SET v = u.v || '+b'",
        )
        .await
        .map_err(|e| sqlstate(&e).unwrap_or("?").to_owned())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !task.is_finished(),
        "the upsert must wait for the inserting transaction"
    );
    a.batch_execute("COMMIT").await.expect("commit");
    assert_eq!(task.await.expect("task"), Ok(()));
    let v: String = a
        .query_one("SELECT v FROM u WHERE k = 1", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(v, "a+b");
}
