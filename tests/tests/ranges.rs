//! User-defined range types (CREATE TYPE ... AS RANGE) over the wire and
//! across a restart: the driver looks the type up in pg_type and pg_range
//! as it does for any type it does not know, sends and reads values in
//! the binary form (`range_send` / `range_recv`), and a stored value reads
//! back the same after the server restarts, when the type is known only
//! from the catalog. The expectations are PostgreSQL 15's (these tests
//! also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::error::Error;
use std::time::Duration;

use tests::{Cluster, Sig};
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};

/// A range value's bytes as they cross the wire, for any range type.
#[derive(Debug, PartialEq)]
struct RawRange(Vec<u8>);

impl<'a> FromSql<'a> for RawRange {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<RawRange, Box<dyn Error + Sync + Send>> {
        Ok(RawRange(raw.to_vec()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Range(_))
    }
}

impl ToSql for RawRange {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Range(_))
    }

    to_sql_checked!();
}

/// `[lower, upper)` of float8s in the binary form: the flags byte
/// (lower bound inclusive), then each bound as a length and its value.
fn float8_range(lower: f64, upper: f64) -> RawRange {
    let mut b = vec![0x02];
    for v in [lower, upper] {
        b.extend_from_slice(&8i32.to_be_bytes());
        b.extend_from_slice(&v.to_be_bytes());
    }
    RawRange(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_ranges_in_binary_and_after_a_restart() {
    let mut cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute(
        "CREATE TYPE float8range AS RANGE (subtype = float8, subtype_diff = float8mi);
         CREATE TABLE spans (id int PRIMARY KEY, r float8range, m float8multirange);
         INSERT INTO spans VALUES (1, '[1.5,2.5)', '{[1,2),[3,4)}'), (2, 'empty', '{}');",
    )
    .await
    .expect("create the type and the table");

    // The driver learns the type from pg_type and pg_range.
    let stmt = c.prepare("SELECT $1::float8range").await.expect("prepare");
    let t = &stmt.params()[0];
    assert_eq!(t.name(), "float8range");
    assert_eq!(t.kind(), &Kind::Range(Type::FLOAT8));

    // A binary parameter, read back as text and in binary.
    let row = c
        .query_one(
            "SELECT $1::float8range::text, $1::float8range",
            &[&float8_range(1.0, 3.0)],
        )
        .await
        .expect("binary range parameter");
    assert_eq!(row.get::<_, String>(0), "[1,3)");
    assert_eq!(row.get::<_, RawRange>(1), float8_range(1.0, 3.0));
    let row = c
        .query_one("SELECT r FROM spans WHERE id = 1", &[])
        .await
        .expect("binary range result");
    assert_eq!(row.get::<_, RawRange>(0), float8_range(1.5, 2.5));
    let row = c
        .query_one("SELECT r FROM spans WHERE id = 2", &[])
        .await
        .expect("binary empty range");
    assert_eq!(row.get::<_, RawRange>(0), RawRange(vec![0x01]));
    drop(c);

    // After a restart the values read back (the type is in the catalog).
    cluster.signal(Sig::SIGINT);
    assert!(
        cluster.wait_exit(Duration::from_secs(30)).await.is_some(),
        "fast shutdown did not finish"
    );
    cluster.start_again();
    let c = cluster.connect().await;
    let rows = c
        .simple_query("SELECT r::text, m::text, r @> 2.0::float8 FROM spans ORDER BY id")
        .await
        .expect("read after restart");
    let values: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                (0..3)
                    .map(|i| r.get(i).unwrap_or("NULL").to_owned())
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(
        values,
        vec![
            vec!["[1.5,2.5)".to_owned(), "{[1,2),[3,4)}".into(), "t".into()],
            vec!["empty".to_owned(), "{}".into(), "f".into()],
        ]
    );
    let row = c
        .query_one("SELECT float8range(1, 3)", &[])
        .await
        .expect("constructor after restart");
    assert_eq!(row.get::<_, RawRange>(0), float8_range(1.0, 3.0));
}
