//! Long values over the wire and through a crash: rows whose text, bytea and
//! jsonb values are far longer than a page are written in text format (a
//! simple query), in binary format (bound parameters) and by COPY, with each
//! compression method; the postmaster and every process under it get SIGKILL
//! after the commits, and after recovery every value reads back identical, in
//! text and in binary format. The same test passes against PostgreSQL 15
//! (`OXIPG_TEST_AGAINST_PG15=1`).
//!
//! The values are long but compressible (the rows are stored compressed in
//! line: there is no out-of-line storage yet), up to 1 MB.

use std::time::Duration;

use futures::SinkExt;
use tests::Cluster;
use tokio_postgres::{Client, SimpleQueryMessage};

/// A text of about `len` bytes built from numbered lines, so that it
/// compresses but is not one byte repeated.
fn long_text(len: usize, salt: u32) -> String {
    let mut s = String::with_capacity(len + 64);
    let mut i = 0u32;
    while s.len() < len {
        s.push_str(&format!(
            "line {:02} of value {salt}: the quick brown fox jumps over the lazy dog\n",
            i % 50
        ));
        i += 1;
    }
    s.truncate(len);
    s
}

/// Bytes of every value, repeating with a period of 300.
fn long_bytes(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i % 300) as u8).wrapping_mul(7) ^ salt)
        .collect()
}

/// The rows as (id, text, bytea) through the binary format.
async fn read_binary(client: &Client) -> Vec<(i32, String, Vec<u8>)> {
    client
        .query("SELECT id, t, b FROM big ORDER BY id", &[])
        .await
        .expect("select binary")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The text column of each row through the text format.
async fn read_text(client: &Client) -> Vec<String> {
    client
        .simple_query("SELECT t FROM big ORDER BY id")
        .await
        .expect("select text")
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).expect("not null").to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_values_survive_kill_9_in_text_and_binary_format() {
    let mut cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute("CREATE TABLE big (id int PRIMARY KEY, t text, b bytea, j jsonb)")
        .await
        .expect("create table");
    let mut want: Vec<(i32, String, Vec<u8>)> = Vec::new();

    // Text format: the values are literals of a simple query.
    let t1 = long_text(250_000, 1);
    let b1 = long_bytes(150_000, 1);
    let hex: String = b1.iter().map(|b| format!("{b:02x}")).collect();
    client
        .batch_execute(&format!(
            "INSERT INTO big (id, t, b) VALUES (1, '{t1}', '\\x{hex}')"
        ))
        .await
        .expect("insert in text format");
    want.push((1, t1, b1));

    // Binary format: bound parameters, each compression method.
    for (id, method, len) in [(2, "pglz", 300_000), (3, "lz4", 1_000_000)] {
        client
            .batch_execute(&format!("SET default_toast_compression = {method}"))
            .await
            .expect("set method");
        let t = long_text(len, id as u32);
        let b = long_bytes(len / 3, id as u8);
        client
            .execute(
                "INSERT INTO big (id, t, b) VALUES ($1, $2, $3)",
                &[&id, &t, &b],
            )
            .await
            .expect("insert in binary format");
        want.push((id, t, b));
    }
    client
        .batch_execute("RESET default_toast_compression")
        .await
        .expect("reset");

    // COPY, and a jsonb value built on the server.
    let t4 = long_text(200_000, 4);
    let sink = client
        .copy_in::<_, std::io::Cursor<Vec<u8>>>("COPY big (id, t, b) FROM STDIN")
        .await
        .expect("copy in");
    futures::pin_mut!(sink);
    sink.send(std::io::Cursor::new(
        format!("4\t{}\t\\\\x0102\n", t4.replace('\n', "\\n")).into_bytes(),
    ))
    .await
    .expect("copy data");
    assert_eq!(sink.finish().await.expect("copy done"), 1);
    want.push((4, t4, vec![1, 2]));
    client
        .batch_execute(
            "UPDATE big SET j = (SELECT jsonb_agg(jsonb_build_object('n', i % 100, 's', 'item')) \
             FROM generate_series(1, 5000) i) WHERE id = 4",
        )
        .await
        .expect("update jsonb");
    let digest = client
        .query_one("SELECT md5(j::text) FROM big WHERE id = 4", &[])
        .await
        .expect("jsonb md5")
        .get::<_, String>(0);

    assert_eq!(read_binary(&client).await, want);
    drop(client);
    cluster.kill_9_all().await;
    cluster.start_again();
    let client = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no connection after recovery: {e:?}\n{}",
                cluster.log_tail(30)
            )
        });
    let got = read_binary(&client).await;
    assert_eq!(got.len(), want.len(), "every row is back");
    for (g, w) in got.iter().zip(&want) {
        assert!(g == w, "row {} reads back identical after recovery", w.0);
    }
    let texts = read_text(&client).await;
    assert!(
        texts.iter().zip(&want).all(|(t, w)| *t == w.1),
        "the text format reads the same values"
    );
    let again = client
        .query_one("SELECT md5(j::text) FROM big WHERE id = 4", &[])
        .await
        .expect("jsonb md5 after recovery")
        .get::<_, String>(0);
    assert_eq!(again, digest);
}
