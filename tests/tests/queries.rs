//! Simple and extended query protocol, typed results in binary, prepared statements,
//! errors with SQLSTATE and position, SET/SHOW/RESET, and transaction blocks.

use tests::{Cluster, PgNumeric, RawConn, sqlstate};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::types::{PgLsn, Type};

fn rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

fn completions(messages: &[SimpleQueryMessage]) -> Vec<u64> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_expressions() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;

    let msgs = client
        .simple_query("SELECT 1+2, 'a'||'b'")
        .await
        .expect("select");
    assert_eq!(rows(&msgs), vec![vec![Some("3".into()), Some("ab".into())]]);
    assert_eq!(completions(&msgs), vec![1]);
    let SimpleQueryMessage::Row(row) = &msgs[1] else {
        panic!("expected a row, got {:?}", msgs[1])
    };
    let names: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["?column?", "?column?"]);

    // Several statements in one Query message: one result each.
    let msgs = client
        .simple_query("SELECT 1 AS a; SELECT 'x' AS b, NULL AS c")
        .await
        .expect("two");
    assert_eq!(
        rows(&msgs),
        vec![vec![Some("1".into())], vec![Some("x".into()), None]]
    );
    assert_eq!(completions(&msgs), vec![1, 1]);

    // Text output formats of common types.
    let msgs = client
        .simple_query("SELECT true, false, 1.50::numeric, 2.5::float8, -7::int2, 10000000000")
        .await
        .expect("formats");
    assert_eq!(
        rows(&msgs),
        vec![vec![
            Some("t".into()),
            Some("f".into()),
            Some("1.50".into()),
            Some("2.5".into()),
            Some("-7".into()),
            Some("10000000000".into())
        ]]
    );

    let msgs = client.simple_query("").await.expect("empty query");
    assert!(rows(&msgs).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_functions() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let row = client
        .query_one(
            "SELECT version(), current_user, current_database(), now(), pg_backend_pid(), pg_sleep(0.01)",
            &[],
        )
        .await
        .expect("functions");
    let version: String = row.get(0);
    assert!(
        version.starts_with("PostgreSQL 15."),
        "version() = {version}"
    );
    assert_eq!(row.columns()[1].type_(), &Type::NAME);
    assert_eq!(row.get::<_, String>(1), "postgres");
    assert_eq!(row.get::<_, String>(2), "postgres");
    assert_eq!(row.columns()[3].type_(), &Type::TIMESTAMPTZ);
    assert_eq!(row.columns()[4].type_(), &Type::INT4);
    assert_eq!(row.columns()[5].type_(), &Type::VOID);
    let names: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "version",
            "current_user",
            "current_database",
            "now",
            "pg_backend_pid",
            "pg_sleep"
        ]
    );

    // now() is the transaction start time: equal twice in one transaction.
    let msgs = client
        .simple_query("BEGIN; SELECT now() = now(); COMMIT")
        .await
        .expect("now");
    assert_eq!(rows(&msgs), vec![vec![Some("t".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_pid_is_the_backend_key_data_pid() {
    let cluster = Cluster::start();
    let mut raw = RawConn::startup(cluster.port()).await;
    raw.query("SELECT pg_backend_pid()").await;
    let msgs = raw.read_until_ready().await;
    let data = msgs.iter().find(|m| m.tag == b'D').expect("a DataRow");
    // DataRow: int16 column count, int32 length, the text value.
    let value = String::from_utf8_lossy(&data.body[6..]).into_owned();
    assert_eq!(value.parse::<i32>().expect("pid"), raw.backend_pid);
    // ... and it is a process of its own, a child of the postmaster.
    assert_ne!(raw.backend_pid, cluster.pid());
    assert_eq!(tests::parent_pid(raw.backend_pid), Some(cluster.pid()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_query_with_parameters_of_several_types() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let stmt = client
        .prepare(
            "SELECT $1::int2 AS a, $2::int4 AS b, $3::int8 AS c, $4::float8 AS d, \
             $5::bool AS e, $6::text AS f, $7::text::numeric AS g",
        )
        .await
        .expect("prepare");
    assert_eq!(
        stmt.params(),
        &[
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::FLOAT8,
            Type::BOOL,
            Type::TEXT,
            Type::TEXT
        ]
    );
    let types: Vec<&Type> = stmt.columns().iter().map(|c| c.type_()).collect();
    assert_eq!(
        types,
        [
            &Type::INT2,
            &Type::INT4,
            &Type::INT8,
            &Type::FLOAT8,
            &Type::BOOL,
            &Type::TEXT,
            &Type::NUMERIC
        ]
    );
    let row = client
        .query_one(
            &stmt,
            &[
                &-32768i16,
                &2_147_483_647i32,
                &-9_000_000_000i64,
                &0.125f64,
                &true,
                &"héllo",
                &"-12.3400",
            ],
        )
        .await
        .expect("execute");
    assert_eq!(row.get::<_, i16>("a"), -32768);
    assert_eq!(row.get::<_, i32>("b"), 2_147_483_647);
    assert_eq!(row.get::<_, i64>("c"), -9_000_000_000);
    assert_eq!(row.get::<_, f64>("d"), 0.125);
    assert!(row.get::<_, bool>("e"));
    assert_eq!(row.get::<_, String>("f"), "héllo");
    assert_eq!(row.get::<_, PgNumeric>("g"), PgNumeric("-12.3400".into()));

    // NULL parameters come back as NULL.
    let row = client
        .query_one("SELECT $1::int4 IS NULL, $1::int4", &[&None::<i32>])
        .await
        .expect("null");
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, Option<i32>>(1), None);

    // Numeric values in binary.
    let row = client
        .query_one(
            "SELECT 0::numeric, 100000::numeric, 0.00001::numeric, 123456789.987654321::numeric, 'NaN'::numeric",
            &[],
        )
        .await
        .expect("numerics");
    let got: Vec<String> = (0..5).map(|i| row.get::<_, PgNumeric>(i).0).collect();
    assert_eq!(
        got,
        ["0", "100000", "0.00001", "123456789.987654321", "NaN"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_types_are_inferred() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let stmt = client.prepare("SELECT $1 + 1").await.expect("prepare");
    assert_eq!(stmt.params(), &[Type::INT4]);
    assert_eq!(stmt.columns()[0].type_(), &Type::INT4);
    let row = client.query_one(&stmt, &[&41i32]).await.expect("execute");
    assert_eq!(row.get::<_, i32>(0), 42);

    let stmt = client
        .prepare("SELECT $1 || 'x'")
        .await
        .expect("prepare concat");
    assert_eq!(stmt.params(), &[Type::TEXT]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statement_reused() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let stmt = client
        .prepare("SELECT $1::int4 * 2, $2::text || '!'")
        .await
        .expect("prepare");
    for i in 0..20i32 {
        let s = format!("v{i}");
        let row = client.query_one(&stmt, &[&i, &s]).await.expect("execute");
        assert_eq!(row.get::<_, i32>(0), i * 2);
        assert_eq!(row.get::<_, String>(1), format!("v{i}!"));
    }
    // Two statements prepared side by side stay distinct.
    let other = client
        .prepare("SELECT $1::int8 - 1")
        .await
        .expect("prepare other");
    let a = client.query_one(&stmt, &[&5i32, &"a"]).await.expect("a");
    let b = client.query_one(&other, &[&5i64]).await.expect("b");
    assert_eq!(a.get::<_, i32>(0), 10);
    assert_eq!(b.get::<_, i64>(0), 4);
    // A statement survives an error in between.
    let err = client
        .query("SELECT 1/0", &[])
        .await
        .expect_err("division by zero");
    assert_eq!(sqlstate(&err), Some("22012"));
    let a = client
        .query_one(&stmt, &[&7i32, &"z"])
        .await
        .expect("after error");
    assert_eq!(a.get::<_, i32>(0), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_error_has_42601_and_position() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    for (sql, message, position) in [
        ("SELEC 1", "syntax error at or near \"SELEC\"", 1),
        ("SELECT 1 2", "syntax error at or near \"2\"", 10),
        ("SELECT (1", "syntax error at end of input", 10),
    ] {
        for extended in [false, true] {
            let err = if extended {
                client.prepare(sql).await.err()
            } else {
                client.simple_query(sql).await.err()
            }
            .unwrap_or_else(|| panic!("{sql:?} must fail"));
            let db = err
                .as_db_error()
                .unwrap_or_else(|| panic!("{sql:?}: {err:?}"));
            assert_eq!(db.code().code(), "42601", "{sql:?}");
            assert_eq!(db.severity(), "ERROR");
            assert_eq!(db.message(), message, "{sql:?}");
            assert_eq!(
                db.position(),
                Some(&ErrorPosition::Original(position)),
                "{sql:?}"
            );
        }
    }
    // The session is fine afterwards.
    client
        .simple_query("SELECT 1")
        .await
        .expect("after syntax errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_show_reset_round_trip() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let show = |name: &'static str| {
        let client = &client;
        async move {
            let msgs = client
                .simple_query(&format!("SHOW {name}"))
                .await
                .expect("show");
            rows(&msgs)[0][0].clone().expect("non-null")
        }
    };
    assert_eq!(show("statement_timeout").await, "0");
    client
        .simple_query("SET statement_timeout = '5s'")
        .await
        .expect("set");
    assert_eq!(show("statement_timeout").await, "5s");
    client
        .simple_query("SET statement_timeout TO 2500")
        .await
        .expect("set ms");
    assert_eq!(show("statement_timeout").await, "2500ms");
    client
        .simple_query("RESET statement_timeout")
        .await
        .expect("reset");
    assert_eq!(show("statement_timeout").await, "0");

    client
        .simple_query("SET application_name = 'oxi tests'")
        .await
        .expect("set app");
    assert_eq!(show("application_name").await, "oxi tests");
    client
        .simple_query("SET work_mem = '64MB'")
        .await
        .expect("set work_mem");
    assert_eq!(show("work_mem").await, "64MB");
    client
        .simple_query("SET TIME ZONE 'UTC'")
        .await
        .expect("set tz");
    assert_eq!(show("TimeZone").await, "UTC");
    client
        .simple_query("SET search_path = public, pg_catalog")
        .await
        .expect("set path");
    assert_eq!(show("search_path").await, "public, pg_catalog");

    // SHOW through the extended protocol: one text column named after the setting.
    let row = client
        .query_one("SHOW work_mem", &[])
        .await
        .expect("extended show");
    assert_eq!(row.columns()[0].name(), "work_mem");
    assert_eq!(row.columns()[0].type_(), &Type::TEXT);
    assert_eq!(row.get::<_, String>(0), "64MB");

    client.simple_query("RESET ALL").await.expect("reset all");
    assert_eq!(show("work_mem").await, "4MB");
    assert_eq!(show("application_name").await, "");

    let err = client
        .simple_query("SHOW no_such_setting")
        .await
        .expect_err("unknown");
    assert_eq!(sqlstate(&err), Some("42704"));
    assert_eq!(
        err.as_db_error().expect("db").message(),
        "unrecognized configuration parameter \"no_such_setting\""
    );
    let err = client
        .simple_query("SET statement_timeout = 'soon'")
        .await
        .expect_err("bad value");
    assert_eq!(sqlstate(&err), Some("22023"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_transactional() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let msgs = client
        .simple_query(
            "BEGIN; SET work_mem = '8MB'; ROLLBACK; SHOW work_mem; \
             BEGIN; SET LOCAL work_mem = '16MB'; SHOW work_mem; COMMIT; SHOW work_mem; \
             BEGIN; SET work_mem = '32MB'; COMMIT; SHOW work_mem",
        )
        .await
        .expect("transactional settings");
    assert_eq!(
        rows(&msgs),
        vec![
            vec![Some("4MB".into())],
            vec![Some("16MB".into())],
            vec![Some("4MB".into())],
            vec![Some("32MB".into())],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_blocks_and_failed_transactions() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client.simple_query("BEGIN").await.expect("begin");
    client
        .simple_query("SELECT 1")
        .await
        .expect("select in txn");
    client.simple_query("COMMIT").await.expect("commit");

    client.simple_query("BEGIN").await.expect("begin 2");
    let err = client
        .simple_query("SELEC 1")
        .await
        .expect_err("syntax error in txn");
    assert_eq!(sqlstate(&err), Some("42601"));
    let err = client
        .simple_query("SELECT 1")
        .await
        .expect_err("aborted txn");
    assert_eq!(sqlstate(&err), Some("25P02"));
    assert_eq!(
        err.as_db_error().expect("db").message(),
        "current transaction is aborted, commands ignored until end of transaction block"
    );
    // Extended protocol is refused too.
    let err = client
        .query("SELECT $1::int4", &[&1i32])
        .await
        .expect_err("aborted txn, extended");
    assert_eq!(sqlstate(&err), Some("25P02"));
    client.simple_query("ROLLBACK").await.expect("rollback");
    let row = client
        .query_one("SELECT 1::int4", &[])
        .await
        .expect("after rollback");
    assert_eq!(row.get::<_, i32>(0), 1);
}

/// Command tags, ReadyForQuery status and warnings, seen on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_status_on_the_wire() {
    let cluster = Cluster::start();
    let mut raw = RawConn::startup(cluster.port()).await;
    // (statement, expected CommandComplete tag or error SQLSTATE, expected notice
    // SQLSTATE, ReadyForQuery status)
    let script: &[(&str, &str, Option<&str>, u8)] = &[
        ("SELECT 1", "SELECT 1", None, b'I'),
        ("BEGIN", "BEGIN", None, b'T'),
        ("BEGIN", "BEGIN", Some("25001"), b'T'),
        ("SELECT 1", "SELECT 1", None, b'T'),
        ("SELECT 1/0", "E:22012", None, b'E'),
        ("SELECT 1", "E:25P02", None, b'E'),
        ("COMMIT", "ROLLBACK", None, b'I'),
        ("COMMIT", "COMMIT", Some("25P01"), b'I'),
        ("ROLLBACK", "ROLLBACK", Some("25P01"), b'I'),
        ("START TRANSACTION", "START TRANSACTION", None, b'T'),
        ("SET work_mem = '1MB'", "SET", None, b'T'),
        ("END", "COMMIT", None, b'I'),
        ("SHOW work_mem", "SHOW", None, b'I'),
        ("RESET work_mem", "RESET", None, b'I'),
        ("CHECKPOINT", "CHECKPOINT", None, b'I'),
    ];
    for &(sql, expected, notice, status) in script {
        raw.query(sql).await;
        let msgs = raw.read_until_ready().await;
        let outcome = msgs
            .iter()
            .find_map(|m| match m.tag {
                b'C' => Some(m.text()),
                b'E' => Some(format!("E:{}", m.code().unwrap_or_default())),
                _ => None,
            })
            .unwrap_or_default();
        assert_eq!(outcome, expected, "{sql}: {msgs:?}");
        let notice_code = msgs.iter().find(|m| m.tag == b'N').and_then(|m| m.code());
        assert_eq!(notice_code.as_deref(), notice, "{sql}: notice");
        let z = msgs.last().expect("ReadyForQuery");
        assert_eq!(z.body, [status], "{sql}: transaction status");
    }
}

/// CHECKPOINT is refused to a role that is not a superuser (PostgreSQL 15 also
/// admits members of pg_checkpoint), with PostgreSQL's SQLSTATE and message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_needs_a_superuser() {
    let cluster = Cluster::start();
    let admin = cluster.connect().await;
    admin
        .batch_execute("CREATE ROLE plain_checkpointer LOGIN")
        .await
        .expect("create role");
    let (plain, _connection) = cluster
        .try_connect_with("user=plain_checkpointer")
        .await
        .expect("log in");
    let err = plain
        .batch_execute("CHECKPOINT")
        .await
        .expect_err("not a superuser");
    let db = err.as_db_error().expect("an ErrorResponse");
    assert_eq!(
        (db.code().code(), db.message()),
        (
            "42501",
            "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT"
        )
    );
    admin
        .batch_execute("CHECKPOINT")
        .await
        .expect("a superuser may");
}

/// pg_lsn in binary: a parameter and a result (an int8 on the wire, as `pg_lsn_send`),
/// and the WAL positions as a driver reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_lsn_in_binary() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let lsn = PgLsn::from(0x16_B374_D848);
    let row = client
        .query_one(
            "SELECT $1::pg_lsn, $1::pg_lsn + 16, $1::pg_lsn::text",
            &[&lsn],
        )
        .await
        .expect("binary pg_lsn");
    assert_eq!(row.get::<_, PgLsn>(0), lsn);
    assert_eq!(row.get::<_, PgLsn>(1), PgLsn::from(0x16_B374_D858));
    assert_eq!(row.get::<_, String>(2), "16/B374D848");
    let statement = client
        .prepare("SELECT pg_current_wal_lsn(), pg_current_wal_insert_lsn()")
        .await
        .expect("prepare");
    assert_eq!(statement.columns()[0].type_(), &Type::PG_LSN);
    let row = client.query_one(&statement, &[]).await.expect("positions");
    let (write, insert): (PgLsn, PgLsn) = (row.get(0), row.get(1));
    assert!(write <= insert, "{write} <= {insert}");
    assert!(u64::from(write) > 0);
}

/// Same errors as PostgreSQL 15, field by field (skipped when PostgreSQL 15 is absent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_match_the_reference() {
    if !tests::pg15_available() {
        eprintln!(
            "skipped: PostgreSQL 15 is not installed in {}",
            tests::PG15_BIN
        );
        return;
    }
    let ours = Cluster::start();
    let reference = Cluster::reference();
    let statements = [
        "SELEC 1",
        "SELECT 1/0",
        "SELECT 'abc'::int4",
        "SELECT 32768::int2",
        "SHOW nope",
        "SELECT pg_sleep('x')",
        "SELECT nosuchfunction(1)",
        "SELECT 1 +",
    ];
    let mut diffs = Vec::new();
    let oc = ours.connect().await;
    let rc = reference.connect().await;
    for sql in statements {
        let describe = |r: Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>| match r {
            Ok(m) => format!("ok {:?}", rows(&m)),
            Err(e) => match e.as_db_error() {
                Some(db) => format!("{} {} {:?}", db.code().code(), db.message(), db.position()),
                None => format!("{e:?}"),
            },
        };
        let a = describe(oc.simple_query(sql).await);
        let b = describe(rc.simple_query(sql).await);
        if a != b {
            diffs.push(format!("{sql}\n  ours:       {a}\n  PostgreSQL: {b}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "differences from PostgreSQL 15:\n{}",
        diffs.join("\n")
    );
}

/// SHOW of common settings gives PostgreSQL 15's defaults (skipped when it is absent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_defaults_match_the_reference() {
    if !tests::pg15_available() {
        eprintln!(
            "skipped: PostgreSQL 15 is not installed in {}",
            tests::PG15_BIN
        );
        return;
    }
    let ours = Cluster::start();
    let reference = Cluster::reference();
    let settings = [
        "DateStyle",
        "IntervalStyle",
        "client_encoding",
        "server_encoding",
        "standard_conforming_strings",
        "integer_datetimes",
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "work_mem",
        "shared_buffers",
        "max_connections",
        "search_path",
        "default_transaction_isolation",
        "transaction_isolation",
        "default_transaction_read_only",
        "transaction_read_only",
        "extra_float_digits",
        "bytea_output",
        "max_identifier_length",
        "block_size",
        "application_name",
        "client_min_messages",
        "synchronous_commit",
        "fsync",
    ];
    let oc = ours.connect().await;
    let rc = reference.connect().await;
    let mut diffs = Vec::new();
    for name in settings {
        let (a, b) = (show(&oc, name).await, show(&rc, name).await);
        if a != b {
            diffs.push(format!("{name}: ours {a}, PostgreSQL {b}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "SHOW differs from PostgreSQL 15:\n{}",
        diffs.join("\n")
    );
}

async fn show(client: &tokio_postgres::Client, name: &str) -> String {
    match client.simple_query(&format!("SHOW {name}")).await {
        Ok(m) => format!("{:?}", rows(&m)),
        Err(e) => format!(
            "{:?}",
            e.as_db_error()
                .map(|d| (d.code().code().to_owned(), d.message().to_owned()))
        ),
    }
}

/// The statements of one simple Query message share an implicit transaction: an
/// error rolls back the ones before it; a BEGIN inside takes them into its block; a
/// COMMIT ends the block and what follows starts anew; VACUUM among several
/// statements is 25001; SET LOCAL holds to the end of the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_message_with_several_statements_is_one_implicit_transaction() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute("CREATE TABLE mt (a int)")
        .await
        .expect("create");
    let e = c
        .batch_execute("INSERT INTO mt VALUES (1); SELECT 1/0")
        .await
        .expect_err("division by zero");
    assert_eq!(sqlstate(&e), Some("22012"));
    assert_eq!(
        count_mt(&c).await,
        "0",
        "the INSERT before the error is rolled back"
    );
    c.batch_execute("INSERT INTO mt VALUES (2); INSERT INTO mt VALUES (3)")
        .await
        .expect("two inserts");
    assert_eq!(count_mt(&c).await, "2");
    for sql in [
        "INSERT INTO mt VALUES (4); VACUUM mt",
        "VACUUM mt; SELECT 1",
    ] {
        let e = c.batch_execute(sql).await.expect_err("VACUUM in a block");
        assert_eq!(sqlstate(&e), Some("25001"), "{sql}");
    }
    assert_eq!(count_mt(&c).await, "2");
    c.batch_execute("INSERT INTO mt VALUES (5); BEGIN; INSERT INTO mt VALUES (6)")
        .await
        .expect("into a block");
    let e = c
        .batch_execute("INSERT INTO mt VALUES (7); COMMIT; INSERT INTO mt VALUES (8); SELECT 1/0")
        .await
        .expect_err("division by zero");
    assert_eq!(sqlstate(&e), Some("22012"));
    assert_eq!(
        count_mt(&c).await,
        "5",
        "5, 6 and 7 committed, 8 rolled back"
    );
    let shown = c
        .simple_query("SET LOCAL work_mem = '8MB'; SHOW work_mem")
        .await
        .expect("set local");
    assert_eq!(rows(&shown), [[Some("8MB".to_owned())]]);
    let shown = c.simple_query("SHOW work_mem").await.expect("show");
    assert_eq!(
        rows(&shown),
        [[Some("4MB".to_owned())]],
        "SET LOCAL ended with the message's transaction"
    );
}

async fn count_mt(c: &tokio_postgres::Client) -> String {
    let m = c
        .simple_query("SELECT count(*) FROM mt")
        .await
        .expect("count");
    rows(&m)[0][0].clone().expect("a count")
}

/// Simple queries that differ only in numbers reuse one plan (our plan cache):
/// the answers, column types and errors are those of each query planned afresh,
/// as PostgreSQL gives them: across int4 / int8 / numeric literals, signs, VALUES
/// rows, a table dropped and made again with other column types, and a
/// search_path that names another schema's table of the same name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_differing_in_numbers_answer_as_if_planned_afresh() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    let q = |sql: String| {
        let c = &c;
        async move {
            let m = c
                .simple_query(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows(&m)
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|v| v.unwrap_or_else(|| "NULL".into()))
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect::<Vec<String>>()
        }
    };
    c.batch_execute("CREATE TABLE pc (id int PRIMARY KEY, n bigint, x numeric)")
        .await
        .expect("create");
    for (id, n, x) in [
        (1, "10", "1.5"),
        (2, "-20", "2.25"),
        (3, "3000000000", "-7"),
    ] {
        q(format!("INSERT INTO pc VALUES ({id}, {n}, {x})")).await;
    }
    assert_eq!(q("SELECT count(*) FROM pc".into()).await, ["3"]);
    for (sql, want) in [
        ("SELECT n FROM pc WHERE id = 1", vec!["10"]),
        ("SELECT n FROM pc WHERE id = 3", vec!["3000000000"]),
        ("SELECT id FROM pc WHERE n = 3000000000", vec!["3"]),
        ("SELECT id FROM pc WHERE n = -20", vec!["2"]),
        ("SELECT id FROM pc WHERE x = 2.25", vec!["2"]),
        ("SELECT id FROM pc WHERE x = -7", vec!["3"]),
        ("SELECT id + 1, n * 2 FROM pc WHERE id = 2", vec!["3|-40"]),
        ("SELECT id + 2147483647 FROM pc WHERE id = 1", vec![]),
        ("SELECT id FROM pc WHERE id > 1 ORDER BY 1", vec!["2", "3"]),
        ("SELECT id FROM pc WHERE id > 2 ORDER BY 1", vec!["3"]),
        ("SELECT 1", vec!["1"]),
    ] {
        if sql.contains("2147483647") {
            let e = c.simple_query(sql).await.expect_err("integer out of range");
            assert_eq!(sqlstate(&e), Some("22003"), "{sql}");
            continue;
        }
        assert_eq!(q(sql.into()).await, want, "{sql}");
    }
    // The same shapes again and again with other numbers.
    for id in [1, 2, 3, 4] {
        let want: Vec<String> = match id {
            1 => vec!["1|10|1.5".into()],
            2 => vec!["2|-20|2.25".into()],
            3 => vec!["3|3000000000|-7".into()],
            _ => vec![],
        };
        assert_eq!(
            q(format!("SELECT id, n, x FROM pc WHERE id = {id}")).await,
            want
        );
    }
    // Types follow each literal (int4, int8, numeric): division shows them.
    for (lit, want) in [
        ("5", "3"),
        ("5000000000", "2500000000"),
        ("5.0", "3.0000000000000000"),
        ("-5", "-2"),
        ("2147483647", "1073741824"),
    ] {
        assert_eq!(
            q(format!(
                "SELECT (id::int8 + {lit}) / 2 FROM pc WHERE id = 1"
            ))
            .await,
            [want],
            "{lit}"
        );
    }
    // UPDATE with a sign, as pgbench writes it, then a table made anew.
    q("UPDATE pc SET n = n + -5 WHERE id = 1".into()).await;
    q("UPDATE pc SET n = n + -6 WHERE id = 1".into()).await;
    assert_eq!(q("SELECT n FROM pc WHERE id = 1".into()).await, ["-1"]);
    c.batch_execute("DROP TABLE pc; CREATE TABLE pc (id int PRIMARY KEY, n text, x int)")
        .await
        .expect("made anew");
    q("INSERT INTO pc VALUES (1, 11, 12)".into()).await;
    assert_eq!(
        q("SELECT id, n, x FROM pc WHERE id = 1".into()).await,
        ["1|11|12"]
    );
    assert_eq!(
        q("SELECT n || 'x' FROM pc WHERE id = 1".into()).await,
        ["11x"]
    );
    // Another schema's table of the same name, through search_path.
    c.batch_execute("CREATE SCHEMA other; CREATE TABLE other.pc (id int, n int); INSERT INTO other.pc VALUES (1, 99)")
        .await
        .expect("other schema");
    c.batch_execute("SET search_path = other, public")
        .await
        .expect("set");
    assert_eq!(q("SELECT n FROM pc WHERE id = 1".into()).await, ["99"]);
    c.batch_execute("RESET search_path").await.expect("reset");
    assert_eq!(q("SELECT n FROM pc WHERE id = 1".into()).await, ["11"]);
    // Strings stay in the text; a date string reads as DateStyle says, a
    // timestamp with time zone as TimeZone says.
    c.batch_execute("CREATE TABLE pd (id int, d date, t timestamptz); SET TimeZone = 'UTC'")
        .await
        .expect("dates");
    c.batch_execute("INSERT INTO pd VALUES (1, '2020-01-02', '2020-01-02 10:00:00+00'), (2, '2020-02-01', '2020-01-02 08:00:00+00')")
        .await
        .expect("rows");
    for _ in 0..2 {
        assert_eq!(
            q("SELECT id FROM pd WHERE d = '01/02/2020'".into()).await,
            ["1"]
        );
        assert_eq!(
            q("SELECT id FROM pd WHERE t = '2020-01-02 10:00:00'".into()).await,
            ["1"]
        );
    }
    c.batch_execute("SET DateStyle = 'ISO, DMY'; SET TimeZone = 'Etc/GMT-2'")
        .await
        .expect("set");
    assert_eq!(
        q("SELECT id FROM pd WHERE d = '01/02/2020'".into()).await,
        ["2"]
    );
    assert_eq!(
        q("SELECT id FROM pd WHERE t = '2020-01-02 10:00:00'".into()).await,
        ["2"]
    );
    for (id, s) in [(3, "x"), (4, "it''s")] {
        q(format!("INSERT INTO pc VALUES ({id}, '{s}', {id})")).await;
    }
    assert_eq!(
        q("SELECT n FROM pc WHERE id > 2 ORDER BY id".into()).await,
        ["x", "it's"]
    );
}
