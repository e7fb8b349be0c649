//! Cancelling and terminating statements: CancelRequest (through tokio-postgres and by
//! hand), statement_timeout, pg_cancel_backend and pg_terminate_backend.

use std::time::{Duration, Instant};

use tests::{Cluster, RawConn, send_cancel_request, sqlstate, within};
use tokio_postgres::NoTls;

/// Runs `SELECT pg_sleep(30)` and cancels it through the client's cancel token, resending
/// the cancel request until the query ends (a cancel that arrives before the query starts
/// is ignored, as in PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_token_cancels_pg_sleep() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let token = client.cancel_token();
    let started = Instant::now();
    let sleeper = client.simple_query("SELECT pg_sleep(30)");
    let canceller = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            token.cancel_query(NoTls).await.expect("send cancel");
        }
    };
    let result = within(15, "the cancelled pg_sleep", async {
        tokio::select! {
            r = sleeper => r,
            () = canceller => unreachable!(),
        }
    })
    .await;
    let err = result.expect_err("pg_sleep(30) must be cancelled");
    assert_eq!(sqlstate(&err), Some("57014"), "{err:?}");
    let db = err.as_db_error().expect("db error");
    assert_eq!(db.message(), "canceling statement due to user request");
    assert_eq!(db.severity(), "ERROR");
    assert!(started.elapsed() < Duration::from_secs(10));

    // The session goes on.
    let row = client
        .query_one("SELECT 2::int4", &[])
        .await
        .expect("after cancel");
    assert_eq!(row.get::<_, i32>(0), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_idle_does_nothing() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .cancel_token()
        .cancel_query(NoTls)
        .await
        .expect("cancel idle");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Neither the next statement nor the session is affected.
    let row = client
        .query_one("SELECT 3::int4", &[])
        .await
        .expect("after idle cancel");
    assert_eq!(row.get::<_, i32>(0), 3);
    client
        .simple_query("SELECT pg_sleep(0.2)")
        .await
        .expect("sleep after idle cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_cancels() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .simple_query("SET statement_timeout = '100ms'")
        .await
        .expect("set");
    for extended in [false, true] {
        let started = Instant::now();
        let err = within(10, "statement_timeout", async {
            if extended {
                client.query("SELECT pg_sleep(5)", &[]).await.map(|_| ())
            } else {
                client.simple_query("SELECT pg_sleep(5)").await.map(|_| ())
            }
        })
        .await
        .expect_err("statement_timeout must cancel pg_sleep(5)");
        assert_eq!(sqlstate(&err), Some("57014"), "{err:?}");
        assert_eq!(
            err.as_db_error().expect("db").message(),
            "canceling statement due to statement timeout"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
    }
    // Statements shorter than the timeout run.
    client
        .simple_query("SELECT pg_sleep(0.01)")
        .await
        .expect("short sleep");
    client
        .simple_query("SET statement_timeout = 0")
        .await
        .expect("reset");
    client
        .simple_query("SELECT pg_sleep(0.2)")
        .await
        .expect("no timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_cancel_backend_from_another_session() {
    let cluster = Cluster::start();
    let victim = std::sync::Arc::new(cluster.connect().await);
    let other = cluster.connect().await;
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    let sleeper = {
        let victim = victim.clone();
        tokio::spawn(async move { victim.simple_query("SELECT pg_sleep(30)").await })
    };
    let started = Instant::now();
    let result = within(15, "pg_cancel_backend", async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let row = other
                .query_one("SELECT pg_cancel_backend($1)", &[&pid])
                .await
                .expect("cancel");
            assert!(
                row.get::<_, bool>(0),
                "pg_cancel_backend of a live backend returns true"
            );
            if sleeper.is_finished() {
                return sleeper.await.expect("join");
            }
        }
    })
    .await;
    let err = result.expect_err("cancelled");
    assert_eq!(sqlstate(&err), Some("57014"));
    assert_eq!(
        err.as_db_error().expect("db").message(),
        "canceling statement due to user request"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    victim
        .simple_query("SELECT 1")
        .await
        .expect("victim still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_terminate_backend_ends_the_other_session() {
    let cluster = Cluster::start();
    let other = cluster.connect().await;

    // Through tokio-postgres: the FATAL arrives while the victim is idle, so it ends the
    // connection task with 57P01 and the next query finds the connection closed.
    let (victim, connection) = cluster.try_connect_with("").await.expect("connect victim");
    // (simple_query: a prepared statement's Close could still be in flight when the
    // backend exits, and the unread bytes turn the close into a reset.)
    let msgs = victim
        .simple_query("SELECT pg_backend_pid()")
        .await
        .expect("pid");
    let pid: i32 = match &msgs[1] {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).expect("pid").parse().expect("int"),
        other => panic!("expected a row, got {other:?}"),
    };
    let row = other
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("terminate");
    assert!(row.get::<_, bool>(0));
    let ended = within(10, "the terminated connection", connection)
        .await
        .expect("join");
    let err = ended.expect_err("the connection must end with an error");
    assert_eq!(sqlstate(&err), Some("57P01"), "{err:?}");
    assert_eq!(
        err.as_db_error().expect("db").message(),
        "terminating connection due to administrator command"
    );
    assert!(victim.simple_query("SELECT 1").await.is_err());
    assert!(victim.is_closed());

    // On the wire: FATAL 57P01, then the server closes the socket; the process is gone.
    let mut raw = RawConn::startup(cluster.port()).await;
    let row = other
        .query_one("SELECT pg_terminate_backend($1)", &[&raw.backend_pid])
        .await
        .expect("terminate raw");
    assert!(row.get::<_, bool>(0));
    raw.query("SELECT 1").await;
    let msgs = raw.read_until_closed(10).await;
    let fatal = msgs
        .iter()
        .find(|m| m.tag == b'E')
        .expect("an ErrorResponse before closing");
    assert_eq!(fatal.code().as_deref(), Some("57P01"));
    assert_eq!(fatal.fields().get(&'S').map(String::as_str), Some("FATAL"));
    let pid = raw.backend_pid;
    assert!(tests::wait_until(Duration::from_secs(10), || !tests::process_alive(pid)).await);

    // pg_terminate_backend of a pid that is not a backend: false, with a warning.
    let row = other
        .query_one("SELECT pg_terminate_backend(1)", &[])
        .await
        .expect("pid 1");
    assert!(!row.get::<_, bool>(0));
    other
        .simple_query("SELECT 1")
        .await
        .expect("terminator still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_by_hand() {
    let cluster = Cluster::start();
    let mut raw = RawConn::startup(cluster.port()).await;
    assert!(raw.backend_pid > 0);

    // A wrong key is ignored: pg_sleep(0.5) completes.
    raw.query("SELECT pg_sleep(0.5)").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reply = send_cancel_request(
        cluster.port(),
        raw.backend_pid,
        raw.secret_key.wrapping_add(1),
    )
    .await;
    assert!(
        reply.is_empty(),
        "the server answers nothing to a cancel request: {reply:?}"
    );
    let msgs = raw.read_until_ready().await;
    assert!(
        msgs.iter().all(|m| m.tag != b'E'),
        "a wrong cancel key must not cancel: {msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.tag == b'C'));

    // The right key cancels.
    raw.query("SELECT pg_sleep(30)").await;
    let started = Instant::now();
    let port = cluster.port();
    let (pid, key) = (raw.backend_pid, raw.secret_key);
    let canceller = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let reply = send_cancel_request(port, pid, key).await;
            assert!(reply.is_empty(), "cancel reply {reply:?}");
        }
    });
    let msgs = raw.read_until_ready().await;
    canceller.abort();
    let err = msgs
        .iter()
        .find(|m| m.tag == b'E')
        .expect("an ErrorResponse");
    assert_eq!(err.code().as_deref(), Some("57014"));
    assert_eq!(
        err.fields().get(&'M').map(String::as_str),
        Some("canceling statement due to user request")
    );
    assert_eq!(msgs.last().expect("Z").body, b"I");
    assert!(started.elapsed() < Duration::from_secs(10));

    raw.query("SELECT 1").await;
    let msgs = raw.read_until_ready().await;
    assert!(msgs.iter().any(|m| m.tag == b'C' && m.text() == "SELECT 1"));
}
