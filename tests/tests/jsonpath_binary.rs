//! `jsonpath` in the binary format, as drivers exchange it: `jsonpath_send`
//! and `jsonpath_recv` are a version byte (1) and the text. The expectations
//! are PostgreSQL 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::error::Error;

use tests::{Cluster, sqlstate};
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// A value's bytes as the server sent them.
#[derive(Debug)]
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw, Box<dyn Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "jsonpath"
    }
}

/// A jsonpath parameter in the binary format.
#[derive(Debug)]
struct Path(&'static str);

impl ToSql for Path {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&[1]);
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "jsonpath"
    }

    to_sql_checked!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonpath_in_binary() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    let row = c
        .query_one("SELECT $1::jsonpath", &[&Path("$.a[*] ? (@ > 1)")])
        .await
        .unwrap_or_else(|e| panic!("jsonpath round trip: {e} ({:?})", sqlstate(&e)));
    let Raw(bytes) = row.get(0);
    assert_eq!(bytes, b"\x01$.\"a\"[*]?(@ > 1)".to_vec());

    let row = c
        .query_one(
            "SELECT jsonb_path_query_array('{\"a\": [1, 2, 3]}', $1)::text",
            &[&Path("strict $.a[*] ? (@ >= 2)")],
        )
        .await
        .unwrap_or_else(|e| panic!("jsonpath parameter: {e} ({:?})", sqlstate(&e)));
    let found: String = row.get(0);
    assert_eq!(found, "[2, 3]");
}
