//! EXPLAIN ANALYZE: the rows each node really produced (a join, a filter),
//! DML run for real, and FORMAT JSON that parses as JSON with PostgreSQL's
//! structure. Plan shapes themselves are pinned in `tests/slt/explain.slt`
//! against PostgreSQL 15.

use tests::Cluster;
use tokio_postgres::SimpleQueryMessage;

/// The QUERY PLAN lines of a statement.
async fn plan(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// The line of the plan that starts (after indentation and `->`) with `node`.
fn line<'a>(lines: &'a [String], node: &str) -> &'a str {
    lines
        .iter()
        .find(|l| {
            l.trim_start()
                .trim_start_matches("->")
                .trim_start()
                .starts_with(node)
        })
        .unwrap_or_else(|| panic!("no {node} in {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_counts_rows_per_node() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute(
            "CREATE TABLE big (id int, grp int);
             INSERT INTO big SELECT g, g % 4 FROM generate_series(1, 400) g;
             CREATE TABLE dim (grp int, name text);
             INSERT INTO dim VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three');",
        )
        .await
        .expect("setup");

    // A filter: 100 of 400 rows pass, 300 are removed.
    let lines = plan(
        &client,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM big WHERE grp = 1",
    )
    .await;
    assert_eq!(
        lines,
        vec![
            "Seq Scan on big (actual rows=100 loops=1)",
            "  Filter: (grp = 1)",
            "  Rows Removed by Filter: 300",
        ],
    );

    // A join: every big row meets one dim row, of the two dim rows the
    // filter keeps, so half of them come out.
    let lines = plan(
        &client,
        "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM big JOIN dim ON big.grp = dim.grp \
         WHERE dim.name LIKE 't%'",
    )
    .await;
    assert!(
        line(&lines, "Hash Join").contains("actual rows=200 loops=1"),
        "{lines:#?}"
    );
    assert!(
        line(&lines, "Seq Scan on big").contains("actual rows=400 loops=1"),
        "{lines:#?}"
    );
    assert!(
        line(&lines, "Seq Scan on dim").contains("actual rows=2 loops=1"),
        "{lines:#?}"
    );
    assert!(line(&lines, "Hash Join").contains("(cost="), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "Rows Removed by Filter: 2"),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Planning Time: ")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Execution Time: ")),
        "{lines:#?}"
    );

    // With TIMING (the default), each node has its times.
    let lines = plan(&client, "EXPLAIN ANALYZE SELECT count(*) FROM big").await;
    assert!(
        line(&lines, "Aggregate").contains("(actual time="),
        "{lines:#?}"
    );
    assert!(
        line(&lines, "Aggregate").contains("rows=1 loops=1)"),
        "{lines:#?}"
    );
    assert!(
        line(&lines, "Seq Scan on big").contains("rows=400 loops=1)"),
        "{lines:#?}"
    );

    // Without ANALYZE nothing runs: a failing statement plans fine.
    plan(&client, "EXPLAIN SELECT 1 / 0").await;
    let err = client
        .simple_query("EXPLAIN ANALYZE SELECT id / 0 FROM big")
        .await
        .expect_err("division by zero");
    assert_eq!(err.code().map(|c| c.code()), Some("22012"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_runs_dml_for_real() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text)")
        .await
        .expect("setup");

    let lines = plan(
        &client,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) \
         INSERT INTO t SELECT g, 'x' FROM generate_series(1, 10) g",
    )
    .await;
    assert_eq!(lines[0], "Insert on t (actual rows=0 loops=1)");
    assert_eq!(
        lines[1],
        "  ->  Function Scan on generate_series (actual rows=10 loops=1)"
    );
    let n: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 10);

    let lines = plan(
        &client,
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM t WHERE b = 'x' AND a > 4",
    )
    .await;
    assert_eq!(lines[0], "Delete on t (actual rows=0 loops=1)");
    assert!(lines[1].contains("(actual rows=6 loops=1)"), "{lines:#?}");
    let n: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 4);

    // Inside a transaction that rolls back, the change goes with it.
    client.batch_execute("BEGIN").await.expect("begin");
    plan(&client, "EXPLAIN ANALYZE UPDATE t SET b = 'y'").await;
    client.batch_execute("ROLLBACK").await.expect("rollback");
    let n: i64 = client
        .query_one("SELECT count(*) FROM t WHERE b = 'x'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_json_is_json() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute(
            "CREATE TABLE s (k int, v text);
             INSERT INTO s SELECT g, 'v' || g FROM generate_series(1, 20) g;",
        )
        .await
        .expect("setup");
    let lines = plan(
        &client,
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT v, count(*) FROM s WHERE k > 5 GROUP BY v ORDER BY v",
    )
    .await;
    assert_eq!(lines.len(), 1, "one row: {lines:#?}");
    let doc: serde_json::Value = serde_json::from_str(&lines[0]).expect("valid JSON");
    let top = &doc[0];
    assert!(top["Planning Time"].is_number());
    assert!(top["Execution Time"].is_number());
    let sort = &top["Plan"];
    assert_eq!(sort["Node Type"], "Sort");
    assert_eq!(sort["Sort Key"], serde_json::json!(["v"]));
    assert_eq!(sort["Actual Rows"], 15);
    let agg = &sort["Plans"][0];
    assert_eq!(agg["Node Type"], "Aggregate");
    assert_eq!(agg["Strategy"], "Hashed");
    assert_eq!(agg["Parent Relationship"], "Outer");
    let scan = &agg["Plans"][0];
    assert_eq!(scan["Node Type"], "Seq Scan");
    assert_eq!(scan["Relation Name"], "s");
    assert_eq!(scan["Filter"], "(k > 5)");
    assert_eq!(scan["Actual Rows"], 15);
    assert_eq!(scan["Rows Removed by Filter"], 5);
    assert!(scan["Total Cost"].is_number());
}
