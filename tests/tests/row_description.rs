//! RowDescription's column origins: the table OID and attribute number of a
//! column that comes straight from a table or view column (0 otherwise), as
//! PostgreSQL's `markTargetListOrigins` sets them, seen through
//! tokio-postgres's `Statement::columns()` (Parse / Describe) and through a
//! portal of SQL DECLARE described by the extended protocol. Every
//! expectation is PostgreSQL 15's (these tests also pass with
//! `OXIPG_TEST_AGAINST_PG15=1`).

use tests::Cluster;
use tokio_postgres::Client;

async fn oid_of(c: &Client, rel: &str) -> u32 {
    let row = c
        .query_one(&format!("SELECT '{rel}'::regclass::oid"), &[])
        .await
        .expect("regclass");
    row.get::<_, u32>(0)
}

async fn origins(c: &Client, sql: &str) -> Vec<(String, Option<u32>, Option<i16>)> {
    let stmt = c
        .prepare(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.columns()
        .iter()
        .map(|col| (col.name().to_owned(), col.table_oid(), col.column_id()))
        .collect()
}

fn cols(v: &[(&str, u32, i16)]) -> Vec<(String, Option<u32>, Option<i16>)> {
    v.iter()
        .map(|&(n, t, a)| {
            // tokio-postgres reports 0 as None.
            let t = (t != 0).then_some(t);
            let a = (a != 0).then_some(a);
            (n.to_owned(), t, a)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_description_names_the_table_and_column_a_result_comes_from() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute(
        "CREATE TABLE rd_t (id int PRIMARY KEY, name text, dropped int, price numeric(8,2));
         ALTER TABLE rd_t DROP COLUMN dropped;
         CREATE TABLE rd_u (id int, note text);
         CREATE VIEW rd_v AS SELECT id, name FROM rd_t;",
    )
    .await
    .expect("setup");
    let t = oid_of(&c, "rd_t").await;
    let u = oid_of(&c, "rd_u").await;
    let v = oid_of(&c, "rd_v").await;
    assert_eq!(
        origins(
            &c,
            "SELECT id, name, price, id + 1 AS expr, 'x' AS lit FROM rd_t"
        )
        .await,
        cols(&[
            ("id", t, 1),
            ("name", t, 2),
            ("price", t, 4),
            ("expr", 0, 0),
            ("lit", 0, 0)
        ])
    );
    assert_eq!(
        origins(&c, "SELECT * FROM rd_t").await,
        cols(&[("id", t, 1), ("name", t, 2), ("price", t, 4)])
    );
    assert_eq!(
        origins(
            &c,
            "SELECT x.name AS n, u.note FROM rd_t x JOIN rd_u u ON u.id = x.id"
        )
        .await,
        cols(&[("n", t, 2), ("note", u, 2)])
    );
    assert_eq!(
        origins(&c, "SELECT name FROM rd_v").await,
        cols(&[("name", v, 2)])
    );
    assert_eq!(
        origins(&c, "SELECT count(*), max(name) FROM rd_t").await,
        cols(&[("count", 0, 0), ("max", 0, 0)])
    );
    assert_eq!(
        origins(
            &c,
            "INSERT INTO rd_t VALUES (1, 'a', 2) RETURNING name, id * 2 AS d"
        )
        .await,
        cols(&[("name", t, 2), ("d", 0, 0)])
    );
}
