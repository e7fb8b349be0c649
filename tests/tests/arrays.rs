//! Arrays over the wire as drivers send and read them: binary array
//! parameters (`= ANY($1)`, a `text[]` with NULLs), binary array results,
//! and array columns stored and read back. The expectations are PostgreSQL
//! 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use tests::{Cluster, sqlstate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn array_parameters_and_results_in_binary() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute(
        "CREATE TABLE items (id int PRIMARY KEY, tags text[], scores int8[]); \
         INSERT INTO items VALUES (1, '{a,b}', '{10,20}'), (2, '{c}', '{}'), (3, NULL, '{30,NULL}')",
    )
    .await
    .unwrap_or_else(|e| panic!("setup: {e} ({:?})", sqlstate(&e)));

    let ids: Vec<i32> = c
        .query(
            "SELECT id FROM items WHERE id = ANY($1) ORDER BY id",
            &[&vec![1i32, 3, 7]],
        )
        .await
        .expect("= ANY($1)")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1, 3]);

    let back: Vec<Option<String>> = c
        .query_one("SELECT $1::text[]", &[&vec![Some("x y".to_string()), None]])
        .await
        .expect("text[] round trip")
        .get(0);
    assert_eq!(back, vec![Some("x y".to_string()), None]);

    let rows = c
        .query("SELECT tags, scores FROM items ORDER BY id", &[])
        .await
        .expect("array columns");
    let tags: Vec<Option<Vec<String>>> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        tags,
        vec![
            Some(vec!["a".into(), "b".into()]),
            Some(vec!["c".into()]),
            None
        ]
    );
    let scores: Vec<Vec<Option<i64>>> = rows.iter().map(|r| r.get(1)).collect();
    assert_eq!(
        scores,
        vec![vec![Some(10), Some(20)], vec![], vec![Some(30), None]]
    );

    c.execute(
        "UPDATE items SET scores = $1 WHERE id = 2",
        &[&vec![5i64, 6]],
    )
    .await
    .expect("array parameter stored");
    let stored: Vec<i64> = c
        .query_one("SELECT scores FROM items WHERE id = 2", &[])
        .await
        .expect("scores")
        .get(0);
    assert_eq!(stored, vec![5, 6]);
}
