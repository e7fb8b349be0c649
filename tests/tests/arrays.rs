//! Arrays over the wire as drivers send and read them: binary array
//! parameters (`= ANY($1)`, a `text[]` with NULLs), binary array results,
//! and array columns stored and read back. The expectations are PostgreSQL
//! 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::error::Error;

use tests::{Cluster, sqlstate};
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// An int4[] value's bytes as they cross the wire (`array_send` /
/// `array_recv`), which the driver's `Vec<T>` cannot carry for more than
/// one dimension.
#[derive(Debug, PartialEq)]
struct RawIntArray(Vec<u8>);

impl<'a> FromSql<'a> for RawIntArray {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<RawIntArray, Box<dyn Error + Sync + Send>> {
        Ok(RawIntArray(raw.to_vec()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INT4_ARRAY
    }
}

impl ToSql for RawIntArray {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INT4_ARRAY
    }

    to_sql_checked!();
}

/// The binary form of an int4[]: dimensions as (length, lower bound),
/// then the elements (None for NULL).
fn int_array(dims: &[(i32, i32)], elems: &[Option<i32>]) -> RawIntArray {
    let mut b = Vec::new();
    b.extend_from_slice(&(dims.len() as i32).to_be_bytes());
    b.extend_from_slice(&i32::from(elems.iter().any(Option::is_none)).to_be_bytes());
    b.extend_from_slice(&23i32.to_be_bytes());
    for (len, lower) in dims {
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&lower.to_be_bytes());
    }
    for e in elems {
        match e {
            Some(v) => {
                b.extend_from_slice(&4i32.to_be_bytes());
                b.extend_from_slice(&v.to_be_bytes());
            }
            None => b.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    RawIntArray(b)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multidimensional_arrays_in_binary() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    let row = c
        .query_one("SELECT '[0:1][1:2]={{1,2},{3,NULL}}'::int[]", &[])
        .await
        .unwrap_or_else(|e| panic!("2-D result: {e} ({:?})", sqlstate(&e)));
    let got: RawIntArray = row.get(0);
    assert_eq!(
        got,
        int_array(&[(2, 0), (2, 1)], &[Some(1), Some(2), Some(3), None])
    );

    c.batch_execute("CREATE TABLE grid (id int, g int[])")
        .await
        .unwrap_or_else(|e| panic!("setup: {e} ({:?})", sqlstate(&e)));
    let cube = int_array(
        &[(2, 1), (1, 5), (2, -1)],
        &[Some(1), Some(2), Some(3), Some(4)],
    );
    c.execute("INSERT INTO grid VALUES (1, $1)", &[&cube])
        .await
        .unwrap_or_else(|e| panic!("2-D parameter: {e} ({:?})", sqlstate(&e)));
    let row = c
        .query_one("SELECT g::text, array_dims(g), g FROM grid", &[])
        .await
        .expect("stored 3-D array");
    assert_eq!(
        row.get::<_, String>(0),
        "[1:2][5:5][-1:0]={{{1,2}},{{3,4}}}"
    );
    assert_eq!(row.get::<_, String>(1), "[1:2][5:5][-1:0]");
    assert_eq!(row.get::<_, RawIntArray>(2), cube);
}
