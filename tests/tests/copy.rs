//! COPY over the wire with the real clients: psql's COPY FROM STDIN (text and
//! CSV, `\.`, NULLs, escapes, defaults for columns left out), COPY TO STDOUT,
//! a bad row (PostgreSQL's error and CONTEXT, nothing of that COPY kept, the
//! session usable), COPY in a transaction block rolled back, a client killed
//! in the middle of its data, `pgbench -i` and pgbench runs over the
//! simple and extended protocols whose balances add up. Every expectation is
//! PostgreSQL 15's (these tests also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::{Cluster, PG15_BIN, within};
use tokio_postgres::{Client, SimpleQueryMessage};

/// Runs `script` through psql (as a file, the way `psql -f` reads COPY
/// data inline); returns stdout and stderr together.
fn psql(cluster: &Cluster, script: &str) -> String {
    let dir = tempfile_dir();
    let path = dir.join("script.sql");
    std::fs::write(&path, script).expect("write the script");
    let out = Command::new(Path::new(PG15_BIN).join("psql"))
        .args(["-X", "-q", "-v", "VERBOSITY=default", "-d"])
        .arg(cluster.conninfo())
        .arg("-f")
        .arg(&path)
        .output()
        .expect("psql runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "oxipg-copy-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn rows(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    c.simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

async fn count(c: &Client, table: &str) -> String {
    rows(c, &format!("SELECT count(*) FROM {table}")).await[0][0]
        .clone()
        .unwrap_or_default()
}

/// Text-format escapes spell bytes, not characters: an octal or hex escape
/// may be one byte of a longer UTF-8 character, and bytes that are no
/// UTF-8 (or NUL) are refused with the bad bytes in the message and the
/// line in the CONTEXT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_escapes_spell_bytes_and_bad_bytes_are_refused() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute("CREATE TABLE esc (a text, b text, c text)")
        .await
        .expect("create");
    let out = psql(
        &cluster,
        "COPY esc FROM STDIN;\n\
         x\\303\\251y\t\\xc3\\xa9\\x41\t\\\\N\n\
         a\\tb\tq\\\tr\t\\N\n\
         \\101\\7x\t\\q\\,\t\n\
         \\.\n",
    );
    assert_eq!(out, "");
    let text = |v: &str| Some(v.to_owned());
    assert_eq!(
        rows(
            &c,
            "SELECT a, octet_length(a), b, c FROM esc ORDER BY a COLLATE \"C\""
        )
        .await,
        [
            [text("A\u{7}x"), text("3"), text("q,"), text("")],
            [text("a\tb"), text("3"), text("q\tr"), None],
            [text("x\u{e9}y"), text("4"), text("\u{e9}A"), text("\\N")],
        ]
    );
    for (line, message, context) in [
        ("a\\351b", "0xe9 0x62", "COPY esc, line 1: \"a\\351b\""),
        ("\\303", "0xc3", "COPY esc, line 1: \"\\303\""),
        ("x\\x41\\0", "0x00", "COPY esc, line 1: \"x\\x41\\0\""),
    ] {
        let out = psql(
            &cluster,
            &format!("COPY esc (a) FROM STDIN;\n{line}\n\\.\n"),
        );
        assert!(
            out.contains(&format!(
                "ERROR:  invalid byte sequence for encoding \"UTF8\": {message}"
            )) && out.contains(&format!("CONTEXT:  {context}")),
            "{line}: {out}"
        );
    }
    assert_eq!(count(&c, "esc").await, "3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_copies_rows_in_and_out_and_a_bad_row_keeps_nothing() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute(
        "CREATE TABLE cp (a int PRIMARY KEY, b text, c numeric(6,2) DEFAULT 1.5, d varchar(3))",
    )
    .await
    .expect("create");
    let out = psql(
        &cluster,
        "COPY cp FROM STDIN;\n\
         1\tone\t2.50\tx\n\
         2\t\\N\t\\N\tyy\n\
         3\ttab\\there\t7\tz\n\
         \\.\n\
         COPY cp (a, b) FROM STDIN WITH (FORMAT csv, HEADER true);\n\
         a,b\n\
         4,\"quoted, comma\"\n\
         5,\n\
         6,\"\"\n\
         \\.\n\
         COPY cp TO STDOUT;\n\
         COPY (SELECT a, b FROM cp WHERE a > 4 ORDER BY a) TO STDOUT WITH (FORMAT csv);\n",
    );
    assert_eq!(
        out,
        "1\tone\t2.50\tx\n\
         2\t\\N\t\\N\tyy\n\
         3\ttab\\there\t7.00\tz\n\
         4\tquoted, comma\t1.50\t\\N\n\
         5\t\\N\t1.50\t\\N\n\
         6\t\t1.50\t\\N\n\
         5,\n\
         6,\"\"\n"
    );
    // A value of the wrong type: the error names the line and column, and
    // none of the rows before it stays.
    let out = psql(
        &cluster,
        "COPY cp FROM STDIN;\n7\tok\t1\tq\n8\tbad\tx\tq\n\\.\nSELECT count(*) FROM cp;\n",
    );
    assert!(
        out.contains("ERROR:  invalid input syntax for type numeric: \"x\"")
            && out.contains("CONTEXT:  COPY cp, line 2, column c: \"x\""),
        "{out}"
    );
    assert_eq!(count(&c, "cp").await, "6");
    // A duplicate key, a value too long, a short and a long line.
    let out = psql(
        &cluster,
        "COPY cp FROM STDIN;\n9\ta\t1\tq\n1\tdup\t1\tq\n\\.\n\
         COPY cp (a, d) FROM STDIN;\n10\ttoolong\n\\.\n\
         COPY cp FROM STDIN;\n11\ta\n\\.\n\
         COPY cp FROM STDIN;\n12\ta\t1\tq\textra\n\\.\n",
    );
    for expected in [
        "ERROR:  duplicate key value violates unique constraint \"cp_pkey\"",
        "CONTEXT:  COPY cp, line 2",
        "ERROR:  value too long for type character varying(3)",
        "CONTEXT:  COPY cp, line 1, column d: \"toolong\"",
        "ERROR:  missing data for column \"c\"",
        "CONTEXT:  COPY cp, line 1: \"11\ta\"",
        "ERROR:  extra data after last expected column",
    ] {
        assert!(out.contains(expected), "{expected} not in:\n{out}");
    }
    assert_eq!(count(&c, "cp").await, "6");
    // In a transaction block: the copied rows are there until ROLLBACK.
    let out = psql(
        &cluster,
        "BEGIN;\nCOPY cp (a) FROM STDIN;\n20\n21\n\\.\n\
         SELECT count(*) FROM cp;\nROLLBACK;\n",
    );
    assert!(out.contains(" 8\n"), "{out}");
    assert_eq!(count(&c, "cp").await, "6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_in_the_middle_of_copy_data_leaves_nothing() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute("CREATE TABLE half (a int)")
        .await
        .expect("create");
    let mut child = Command::new(Path::new(PG15_BIN).join("psql"))
        .args(["-X", "-q", "-d"])
        .arg(cluster.conninfo())
        .args(["-c", "COPY half FROM STDIN"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("psql starts");
    let mut stdin = child.stdin.take().expect("stdin");
    for i in 0..1000 {
        writeln!(stdin, "{i}").expect("write copy data");
    }
    stdin.flush().expect("flush");
    // The COPY is under way once its lock on the table is held: then kill
    // psql before it sends CopyDone.
    within(30, "the COPY to start", async {
        loop {
            let e = c
                .batch_execute("BEGIN; LOCK TABLE half IN ACCESS EXCLUSIVE MODE NOWAIT; COMMIT")
                .await;
            let _ = c.batch_execute("ROLLBACK").await;
            if e.as_ref().err().and_then(tests::sqlstate) == Some("55P03") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.kill().expect("kill psql");
    let _ = child.wait();
    drop(stdin);
    // The COPY's backend is gone once its lock on the table is.
    within(30, "the half COPY to go", async {
        loop {
            let free = c
                .batch_execute("BEGIN; LOCK TABLE half IN ACCESS EXCLUSIVE MODE NOWAIT; COMMIT")
                .await;
            if free.is_ok() {
                break;
            }
            let _ = c.batch_execute("ROLLBACK").await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(count(&c, "half").await, "0");
    c.batch_execute("INSERT INTO half VALUES (1)")
        .await
        .expect("the table is usable");
    assert_eq!(count(&c, "half").await, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_initializes_its_tables_and_runs() {
    let cluster = Cluster::start();
    let out = Command::new(Path::new(PG15_BIN).join("pgbench"))
        .args(["-i", "-s", "1", "-q", "-d"])
        .arg(cluster.conninfo())
        .output()
        .expect("pgbench runs");
    assert!(
        out.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = cluster.connect().await;
    assert_eq!(
        rows(
            &c,
            "SELECT count(*), sum(abalance), min(aid), max(aid), count(DISTINCT bid) FROM pgbench_accounts"
        )
        .await,
        vec![vec![
            Some("100000".into()),
            Some("0".into()),
            Some("1".into()),
            Some("100000".into()),
            Some("1".into())
        ]]
    );
    assert_eq!(count(&c, "pgbench_branches").await, "1");
    assert_eq!(count(&c, "pgbench_tellers").await, "10");
    let dup = c
        .batch_execute("INSERT INTO pgbench_accounts VALUES (1, 1, 0, '')")
        .await
        .expect_err("the primary key pgbench made");
    assert_eq!(tests::sqlstate(&dup), Some("23505"));

    // pgbench's TPC-B-like script over those tables: two clients for two
    // seconds, over the simple and the extended protocol (`-M prepared`),
    // with no failed transaction; the balances it moved add up (`-n`: the
    // history is not truncated before the second run).
    for mode in ["simple", "prepared"] {
        let out = Command::new(Path::new(PG15_BIN).join("pgbench"))
            .args(["-n", "-T", "2", "-c", "2", "-M", mode, "-d"])
            .arg(cluster.conninfo())
            .output()
            .expect("pgbench runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("number of failed transactions: 0 "),
            "pgbench -M {mode}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sums = rows(
        &c,
        "SELECT (SELECT sum(abalance) FROM pgbench_accounts), \
                (SELECT sum(bbalance) FROM pgbench_branches), \
                (SELECT sum(tbalance) FROM pgbench_tellers), \
                (SELECT sum(delta) FROM pgbench_history), \
                (SELECT count(*) > 0 FROM pgbench_history)",
    )
    .await;
    let [row] = sums.as_slice() else {
        panic!("one row: {sums:?}");
    };
    assert_eq!(row[4].as_deref(), Some("t"), "{row:?}");
    assert!(
        row[..4].iter().all(|s| s == &row[0]),
        "sum(abalance), sum(bbalance), sum(tbalance), sum(delta): {row:?}"
    );
}

/// The binary format's header: signature, flags, header extension length.
fn binary_header() -> Vec<u8> {
    let mut b = b"PGCOPY\n\xff\r\n\0".to_vec();
    b.extend_from_slice(&0i32.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes());
    b
}

/// One tuple of the binary format: the field count, then each field's
/// length (-1 for NULL) and bytes.
fn binary_tuple(fields: &[Option<&[u8]>]) -> Vec<u8> {
    let mut b = (fields.len() as i16).to_be_bytes().to_vec();
    for f in fields {
        match f {
            None => b.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                b.extend_from_slice(v);
            }
        }
    }
    b
}

async fn copy_in_bytes(c: &Client, sql: &str, data: Vec<u8>) -> Result<u64, tokio_postgres::Error> {
    use futures::SinkExt;
    let sink = c.copy_in::<_, std::io::Cursor<Vec<u8>>>(sql).await?;
    futures::pin_mut!(sink);
    sink.send(std::io::Cursor::new(data)).await?;
    sink.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_round_trips_and_reports_bad_data_as_postgres_does() {
    use futures::TryStreamExt;
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute("CREATE TABLE bcp (a int, b text, c numeric, d bool)")
        .await
        .expect("create");
    // COPY FROM STDIN in binary: two rows, one with NULLs, then the trailer.
    let mut data = binary_header();
    data.extend(binary_tuple(&[
        Some(&7i32.to_be_bytes()),
        Some(b"seven"),
        // numeric 1.5: ndigits 2, weight 0, sign +, dscale 1, digits 1, 5000
        Some(&[0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 0x13, 0x88]),
        Some(&[1]),
    ]));
    data.extend(binary_tuple(&[Some(&8i32.to_be_bytes()), None, None, None]));
    data.extend_from_slice(&(-1i16).to_be_bytes());
    let n = copy_in_bytes(&c, "COPY bcp FROM STDIN (FORMAT binary)", data)
        .await
        .expect("binary copy in");
    assert_eq!(n, 2);
    assert_eq!(
        rows(&c, "SELECT a, b, c, d FROM bcp ORDER BY a").await,
        vec![
            vec![
                Some("7".into()),
                Some("seven".into()),
                Some("1.5".into()),
                Some("t".into())
            ],
            vec![Some("8".into()), None, None, None],
        ]
    );
    // COPY TO STDOUT in binary gives the same bytes back.
    let stream = c
        .copy_out("COPY (SELECT a, b FROM bcp ORDER BY a) TO STDOUT (FORMAT binary)")
        .await
        .expect("binary copy out");
    let chunks: Vec<_> = stream.try_collect().await.expect("copy data");
    let out: Vec<u8> = chunks.iter().flat_map(|b| b.to_vec()).collect();
    let mut expected = binary_header();
    expected.extend(binary_tuple(&[Some(&7i32.to_be_bytes()), Some(b"seven")]));
    expected.extend(binary_tuple(&[Some(&8i32.to_be_bytes()), None]));
    expected.extend_from_slice(&(-1i16).to_be_bytes());
    assert_eq!(out, expected);
    // Bad input: PostgreSQL's errors, nothing kept.
    let err = |e: tokio_postgres::Error| {
        let db = e.as_db_error().expect("a server error");
        (db.code().code().to_owned(), db.message().to_owned())
    };
    let bad = copy_in_bytes(
        &c,
        "COPY bcp FROM STDIN (FORMAT binary)",
        b"NOTPGCOPY0123456789".to_vec(),
    )
    .await
    .expect_err("bad signature");
    assert_eq!(
        err(bad),
        ("22P04".into(), "COPY file signature not recognized".into())
    );
    let mut data = binary_header();
    data.extend(binary_tuple(&[Some(&9i32.to_be_bytes())]));
    let bad = copy_in_bytes(&c, "COPY bcp FROM STDIN (FORMAT binary)", data)
        .await
        .expect_err("short tuple");
    assert_eq!(
        err(bad),
        ("22P04".into(), "row field count is 1, expected 4".into())
    );
    let mut data = binary_header();
    data.extend_from_slice(&4i16.to_be_bytes());
    data.extend_from_slice(&4i32.to_be_bytes());
    let bad = copy_in_bytes(&c, "COPY bcp FROM STDIN (FORMAT binary)", data)
        .await
        .expect_err("truncated");
    assert_eq!(
        err(bad),
        ("22P04".into(), "unexpected EOF in COPY data".into())
    );
    let bad = c
        .batch_execute("COPY bcp TO STDOUT (FORMAT binary, HEADER)")
        .await
        .expect_err("header");
    assert_eq!(
        err(bad),
        (
            "0A000".into(),
            "cannot specify HEADER in BINARY mode".into()
        )
    );
    assert_eq!(count(&c, "bcp").await, "2");
}
