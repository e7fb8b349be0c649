//! Hostile and broken clients: garbage and truncated startup packets, unsupported
//! protocol versions, bad messages in a session, clients vanishing mid-query. After each,
//! the postmaster is alive and serves a new connection.

use std::time::Duration;

use tests::{Cluster, RawConn, frontend_message, process_alive, startup_packet, wait_until};

/// The postmaster still runs and a new session answers `SELECT 1`.
async fn assert_healthy(cluster: &mut Cluster) {
    assert!(
        cluster.is_running(),
        "the postmaster died\n{}",
        cluster.log_tail(20)
    );
    let client = cluster.connect().await;
    let row = client
        .query_one("SELECT 1::int4", &[])
        .await
        .expect("select on a new session");
    assert_eq!(row.get::<_, i32>(0), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_startup_packet() {
    let mut cluster = Cluster::start();
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        &[0xff; 64][..],
        &[0, 0, 0, 8, 0, 0, 0, 0][..], // protocol 0.0
    ] {
        let mut conn = RawConn::open(cluster.port()).await;
        conn.send(garbage).await;
        let msgs = conn.read_until_closed(10).await;
        // An error, if any, is a FATAL in protocol 3 format, never a session.
        for m in &msgs {
            assert_eq!(m.tag, b'E', "{garbage:?} got {msgs:?}");
        }
    }
    assert_healthy(&mut cluster).await;
}

fn startup_with_version(version: i32) -> Vec<u8> {
    let mut packet = startup_packet(&[("user", "postgres"), ("database", "postgres")]);
    packet[4..8].copy_from_slice(&version.to_be_bytes());
    packet
}

/// A startup length word below the minimum: the connection is closed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_length_below_minimum() {
    let mut cluster = Cluster::start();
    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&[0, 0, 0, 2]).await;
    let msgs = conn.read_until_closed(10).await;
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_2_is_refused_in_its_own_format() {
    let mut cluster = Cluster::start();

    // Protocol 2.0 gets its refusal in the protocol-2 error format: 'E' and a C string.
    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&startup_with_version(0x0002_0000)).await;
    let mut reply = Vec::new();
    tests::within(
        10,
        "v2 refusal",
        tokio::io::AsyncReadExt::read_to_end(&mut conn.stream, &mut reply),
    )
    .await
    .expect("read");
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "EFATAL:  unsupported frontend protocol 2.0: server supports 3.0 to 3.0\n\0"
    );
    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_4_is_refused() {
    let mut cluster = Cluster::start();
    // Protocol 4.0: a protocol-3 FATAL 0A000.
    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&startup_with_version(0x0004_0000)).await;
    let msgs = conn.read_until_closed(10).await;
    let err = msgs.first().expect("an ErrorResponse");
    assert_eq!(err.tag, b'E');
    assert_eq!(err.code().as_deref(), Some("0A000"));
    assert_eq!(
        err.fields().get(&'M').map(String::as_str),
        Some("unsupported frontend protocol 4.0: server supports 3.0 to 3.0")
    );
    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_3_1_is_negotiated_down_to_3_0() {
    let mut cluster = Cluster::start();
    // Protocol 3.1: NegotiateProtocolVersion (3.0, no unrecognised options), then the
    // session goes on in 3.0.
    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&startup_with_version(0x0003_0001)).await;
    let msgs = conn.read_until_ready().await;
    assert_eq!(msgs[0].tag, b'v', "{msgs:?}");
    assert_eq!(msgs[0].body, [0, 3, 0, 0, 0, 0, 0, 0]);
    assert!(msgs.iter().any(|m| m.tag == b'K'));
    conn.query("SELECT 1").await;
    let msgs = conn.read_until_ready().await;
    assert!(msgs.iter().any(|m| m.tag == b'C' && m.text() == "SELECT 1"));

    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_without_user_is_refused() {
    let mut cluster = Cluster::start();
    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&startup_packet(&[("database", "postgres")]))
        .await;
    let msgs = conn.read_until_closed(10).await;
    let err = msgs.first().expect("an ErrorResponse");
    assert_eq!(err.code().as_deref(), Some("28000"));
    assert_eq!(
        err.fields().get(&'M').map(String::as_str),
        Some("no PostgreSQL user name specified in startup packet")
    );
    assert_healthy(&mut cluster).await;
}

/// SSLRequest is answered `N` (no TLS configured) and the client goes on with a plain
/// startup on the same socket, as libpq with sslmode=prefer does. (GSSENCRequest is not
/// tested: PostgreSQL's answer depends on whether it was built with GSSAPI.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_request_is_declined() {
    let mut cluster = Cluster::start();
    for code in [80_877_103i32] {
        let mut conn = RawConn::open(cluster.port()).await;
        let mut packet = 8i32.to_be_bytes().to_vec();
        packet.extend_from_slice(&code.to_be_bytes());
        conn.send(&packet).await;
        let mut answer = [0u8; 1];
        tests::within(
            10,
            "SSL/GSS answer",
            tokio::io::AsyncReadExt::read_exact(&mut conn.stream, &mut answer),
        )
        .await
        .expect("read answer");
        assert_eq!(answer[0], b'N', "request code {code}");
        conn.send(&startup_packet(&[
            ("user", "postgres"),
            ("database", "postgres"),
        ]))
        .await;
        let msgs = conn.read_until_ready().await;
        assert!(msgs.iter().any(|m| m.tag == b'K'));
        conn.query("SELECT 1").await;
        let msgs = conn.read_until_ready().await;
        assert!(msgs.iter().any(|m| m.tag == b'C' && m.text() == "SELECT 1"));
    }
    // psql with sslmode=require cannot connect.
    let out = cluster.psql(&["-d", "sslmode=require dbname=postgres", "-c", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("server does not support SSL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_messages() {
    let mut cluster = Cluster::start();

    // A startup packet announcing 100 bytes, of which 20 arrive before EOF.
    let mut conn = RawConn::open(cluster.port()).await;
    let mut packet = 100i32.to_be_bytes().to_vec();
    packet.extend_from_slice(&196_608i32.to_be_bytes());
    packet.extend_from_slice(b"user\0postgres\0");
    conn.send(&packet[..20]).await;
    tokio::io::AsyncWriteExt::shutdown(&mut conn.stream)
        .await
        .expect("shutdown");
    let msgs = conn.read_until_closed(10).await;
    assert!(
        msgs.is_empty(),
        "nothing is sent for an incomplete startup packet: {msgs:?}"
    );

    // A Query announcing 1000 bytes, of which a few arrive before EOF.
    let mut conn = RawConn::startup(cluster.port()).await;
    let pid = conn.backend_pid;
    let mut msg = frontend_message(b'Q', &[b'x'; 996]);
    msg.truncate(12);
    conn.send(&msg).await;
    tokio::io::AsyncWriteExt::shutdown(&mut conn.stream)
        .await
        .expect("shutdown");
    let msgs = conn.read_until_closed(10).await;
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(
        wait_until(Duration::from_secs(10), || !process_alive(pid)).await,
        "the backend must exit at EOF"
    );
    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_message_type_is_fatal() {
    let mut cluster = Cluster::start();

    // An unknown message type: FATAL 08P01, connection closed.
    let mut conn = RawConn::startup(cluster.port()).await;
    conn.send(&frontend_message(b'x', b"")).await;
    let msgs = conn.read_until_closed(10).await;
    let err = msgs
        .iter()
        .find(|m| m.tag == b'E')
        .expect("an ErrorResponse");
    assert_eq!(err.code().as_deref(), Some("08P01"));
    assert_eq!(err.fields().get(&'S').map(String::as_str), Some("FATAL"));
    assert_eq!(
        err.fields().get(&'M').map(String::as_str),
        Some("invalid frontend message type 120")
    );

    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_length_below_4_closes_the_connection() {
    let mut cluster = Cluster::start();
    // A length word below 4: the connection is dropped.
    let mut conn = RawConn::startup(cluster.port()).await;
    let pid = conn.backend_pid;
    conn.send(&[b'Q', 0, 0, 0, 2]).await;
    let msgs = conn.read_until_closed(10).await;
    for m in &msgs {
        assert_eq!(m.code().as_deref(), Some("08P01"), "{msgs:?}");
    }
    assert!(wait_until(Duration::from_secs(10), || !process_alive(pid)).await);

    assert_healthy(&mut cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_to_a_missing_statement_is_an_error() {
    let mut cluster = Cluster::start();
    // Bind to a statement that does not exist: an ordinary ERROR, the session goes on.
    let mut conn = RawConn::startup(cluster.port()).await;
    let mut bind = b"\0nosuchstmt\0".to_vec();
    bind.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    conn.send(&frontend_message(b'B', &bind)).await;
    conn.send(&frontend_message(b'S', b"")).await;
    let msgs = conn.read_until_ready().await;
    let err = msgs
        .iter()
        .find(|m| m.tag == b'E')
        .expect("an ErrorResponse");
    assert_eq!(err.code().as_deref(), Some("26000"));
    assert_eq!(
        err.fields().get(&'M').map(String::as_str),
        Some("prepared statement \"nosuchstmt\" does not exist")
    );
    conn.query("SELECT 1").await;
    let msgs = conn.read_until_ready().await;
    assert!(msgs.iter().any(|m| m.tag == b'C' && m.text() == "SELECT 1"));

    assert_healthy(&mut cluster).await;
}

/// A client sends `SELECT pg_sleep(5)` and drops the socket: the backend finishes and
/// exits, nothing else is disturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnects_mid_query() {
    let mut cluster = Cluster::start();
    let other = cluster.connect().await;
    let mut conn = RawConn::startup(cluster.port()).await;
    let pid = conn.backend_pid;
    conn.query("SELECT pg_sleep(5)").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(conn);

    other
        .simple_query("SELECT 1")
        .await
        .expect("the other session is undisturbed");
    assert_healthy(&mut cluster).await;
    assert!(
        wait_until(Duration::from_secs(15), || !process_alive(pid)).await,
        "the backend of a vanished client must exit"
    );
    assert_healthy(&mut cluster).await;
}

/// Terminate ('X') ends the session and its process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_message_ends_the_backend() {
    let mut cluster = Cluster::start();
    let mut conn = RawConn::startup(cluster.port()).await;
    let pid = conn.backend_pid;
    conn.send(&frontend_message(b'X', b"")).await;
    let msgs = conn.read_until_closed(10).await;
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(wait_until(Duration::from_secs(10), || !process_alive(pid)).await);
    assert_healthy(&mut cluster).await;
}

/// Many clients that connect and vanish without a word do not exhaust anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_silent_connections() {
    let mut cluster = Cluster::builder().setting("max_connections", "10").start();
    for _ in 0..40 {
        let conn = RawConn::open(cluster.port()).await;
        drop(conn);
    }
    // Each of these half-open startups holds a process until it notices EOF.
    let client = cluster
        .connect_retrying(Duration::from_secs(10))
        .await
        .expect("connect after silent clients");
    client.simple_query("SELECT 1").await.expect("select");
    assert_healthy(&mut cluster).await;
}
