//! Start-up and authentication: trust, password, md5 and scram-sha-256 from pg_hba.conf,
//! with tokio-postgres and psql; wrong passwords; the ParameterStatus a client receives.

use tests::{Cluster, RawConn, sqlstate, startup_packet, within};

const PASSWORD: &str = "s3cret pass";

fn hba(method: &str) -> String {
    format!("host all all 127.0.0.1/32 {method}\nhost all all ::1/128 {method}\n")
}

/// The first Authentication request the server sends to `postgres`: its code and the rest
/// of the body (the SASL mechanism list for code 10).
async fn first_auth_request(port: u16) -> (i32, Vec<u8>) {
    let mut conn = RawConn::open(port).await;
    conn.send(&startup_packet(&[
        ("user", "postgres"),
        ("database", "postgres"),
    ]))
    .await;
    let m = within(10, "authentication request", conn.read_message())
        .await
        .expect("read")
        .expect("server closed before authenticating");
    assert_eq!(m.tag, b'R', "expected an Authentication message, got {m:?}");
    let code = i32::from_be_bytes(m.body[0..4].try_into().expect("4 bytes"));
    (code, m.body[4..].to_vec())
}

/// Connects with the right password, the wrong one, and none, through tokio-postgres
/// and psql.
async fn check_password_method(method: &str) {
    let cluster = Cluster::builder()
        .password(PASSWORD)
        .hba(&hba(method))
        .start();

    let client = cluster.connect().await;
    let row = client
        .query_one("SELECT current_user::text", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "postgres");

    let err = cluster
        .try_connect_with("password=wrong")
        .await
        .expect_err("a wrong password must be refused");
    assert_eq!(sqlstate(&err), Some("28P01"), "{err:?}");
    let db = err.as_db_error().expect("server error");
    assert_eq!(
        db.message(),
        "password authentication failed for user \"postgres\""
    );
    assert_eq!(db.severity(), "FATAL");

    let out = cluster.psql(&["-At", "-c", "SELECT 40 + 2"]);
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");

    let out = cluster.psql_with_password(Some("wrong"), &["-At", "-c", "SELECT 1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "psql with a wrong password must fail to connect"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("password authentication failed for user \"postgres\""),
        "psql stderr: {stderr}"
    );

    // Without any password libpq gives up itself ("fe_sendauth: no password supplied").
    let out = cluster.psql_with_password(None, &["-w", "-At", "-c", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));

    // The server is fine after the failures.
    let client = cluster.connect().await;
    client
        .simple_query("SELECT 1")
        .await
        .expect("select after failed logins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_accepts_tokio_postgres_and_psql() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let row = client
        .query_one("SELECT current_user::text, current_database()::text", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "postgres");
    assert_eq!(row.get::<_, String>(1), "postgres");

    let out = cluster.psql(&["-At", "-c", "SELECT 1"]);
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");

    // Trust asks for nothing: AuthenticationOk is the first message.
    let (code, _) = first_auth_request(cluster.port()).await;
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_in_hba_ignores_the_password() {
    let cluster = Cluster::builder()
        .password(PASSWORD)
        .hba(&hba("trust"))
        .start();
    let (code, _) = first_auth_request(cluster.port()).await;
    assert_eq!(code, 0, "trust must not ask for a password");
    let (client, _) = cluster
        .try_connect_with("password=whatever")
        .await
        .expect("trust connect");
    client.simple_query("SELECT 1").await.expect("select");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_method() {
    check_password_method("password").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_method() {
    check_password_method("md5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_256_method() {
    check_password_method("scram-sha-256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_requests_per_method() {
    // One cluster, pg_hba.conf choosing the method by database name.
    let cluster = Cluster::builder()
        .password(PASSWORD)
        .hba(
            "host postgres all 127.0.0.1/32 password\n\
             host all all 127.0.0.1/32 scram-sha-256\n",
        )
        .start();
    // `password` asks for a cleartext password (AuthenticationCleartextPassword = 3).
    let (code, _) = first_auth_request(cluster.port()).await;
    assert_eq!(code, 3);

    let mut conn = RawConn::open(cluster.port()).await;
    conn.send(&startup_packet(&[
        ("user", "postgres"),
        ("database", "template1"),
    ]))
    .await;
    let m = within(10, "auth request", conn.read_message())
        .await
        .expect("read")
        .expect("message");
    assert_eq!(m.tag, b'R');
    // scram-sha-256: AuthenticationSASL (10) offering SCRAM-SHA-256 (no -PLUS without TLS).
    assert_eq!(&m.body[0..4], &10i32.to_be_bytes());
    assert_eq!(&m.body[4..], b"SCRAM-SHA-256\0\0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_with_a_scram_secret_uses_scram() {
    // The password set at initialisation is stored as a SCRAM secret
    // (password_encryption = scram-sha-256), and for such a role an `md5` line
    // authenticates with SCRAM: AuthenticationSASL, not AuthenticationMD5Password.
    let cluster = Cluster::builder()
        .password(PASSWORD)
        .hba(&hba("md5"))
        .start();
    let (code, rest) = first_auth_request(cluster.port()).await;
    assert_eq!(code, 10);
    assert_eq!(rest, b"SCRAM-SHA-256\0\0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_set_defaults_to_scram_on_loopback() {
    let cluster = Cluster::builder().password(PASSWORD).start();
    let (code, _) = first_auth_request(cluster.port()).await;
    assert_eq!(
        code, 10,
        "a cluster initialised with a password asks for SCRAM"
    );
    let client = cluster.connect().await;
    client.simple_query("SELECT 1").await.expect("select");
    let err = cluster
        .try_connect_with("password=nope")
        .await
        .expect_err("refused");
    assert_eq!(sqlstate(&err), Some("28P01"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_version_starts_with_15() {
    let cluster = Cluster::start();
    let (client, params) = cluster
        .connect_reporting(&[
            "server_version",
            "server_encoding",
            "client_encoding",
            "DateStyle",
            "integer_datetimes",
            "standard_conforming_strings",
            "is_superuser",
            "session_authorization",
        ])
        .await;
    let get = |k: &str| {
        params[k]
            .clone()
            .unwrap_or_else(|| panic!("no ParameterStatus {k}"))
    };
    assert!(
        get("server_version").starts_with("15."),
        "server_version {:?}",
        get("server_version")
    );
    assert_eq!(get("server_encoding"), "UTF8");
    assert_eq!(get("client_encoding"), "UTF8");
    assert_eq!(get("DateStyle"), "ISO, MDY");
    assert_eq!(get("integer_datetimes"), "on");
    assert_eq!(get("standard_conforming_strings"), "on");
    assert_eq!(get("is_superuser"), "on");
    assert_eq!(get("session_authorization"), "postgres");

    let row = client
        .query_one("SHOW server_version", &[])
        .await
        .expect("show");
    assert!(row.get::<_, String>(0).starts_with("15."));
    let row = client
        .query_one("SHOW server_version_num", &[])
        .await
        .expect("show num");
    let num: i32 = row
        .get::<_, String>(0)
        .parse()
        .expect("server_version_num is a number");
    assert!((150000..160000).contains(&num), "server_version_num {num}");

    let out = cluster.psql(&["-At", "-c", "show server_version"]);
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("15."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_role_and_database_are_refused() {
    let cluster = Cluster::start();
    let err = cluster
        .try_connect_with("user=nobody")
        .await
        .expect_err("unknown role");
    assert_eq!(sqlstate(&err), Some("28000"), "{err:?}");
    assert_eq!(
        err.as_db_error().expect("db error").message(),
        "role \"nobody\" does not exist"
    );

    let err = cluster
        .try_connect_with("dbname=nosuchdb")
        .await
        .expect_err("unknown database");
    assert_eq!(sqlstate(&err), Some("3D000"), "{err:?}");
    assert_eq!(
        err.as_db_error().expect("db error").message(),
        "database \"nosuchdb\" does not exist"
    );
    cluster
        .connect()
        .await
        .simple_query("SELECT 1")
        .await
        .expect("still serving");
}

/// The ParameterStatus messages of a start-up, by name.
async fn startup_parameters(port: u16) -> std::collections::BTreeMap<String, String> {
    let mut raw = RawConn::startup(port).await;
    raw.query("SELECT 1").await;
    let _ = raw.read_until_ready().await;
    let mut conn = RawConn::open(port).await;
    conn.send(&startup_packet(&[
        ("user", "postgres"),
        ("database", "postgres"),
    ]))
    .await;
    conn.read_until_ready()
        .await
        .iter()
        .filter(|m| m.tag == b'S')
        .map(|m| {
            let mut parts = m.body.split(|&b| b == 0);
            let name = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            let value = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            (name, value)
        })
        .collect()
}

/// The same ParameterStatus set as PostgreSQL 15, with the same values except the exact
/// version and the time zone (taken from the environment).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_status_matches_the_reference() {
    if !tests::pg15_available() {
        eprintln!(
            "skipped: PostgreSQL 15 is not installed in {}",
            tests::PG15_BIN
        );
        return;
    }
    let ours = Cluster::start();
    let reference = Cluster::reference();
    let mut a = startup_parameters(ours.port()).await;
    let mut b = startup_parameters(reference.port()).await;
    for params in [&mut a, &mut b] {
        let version = params.remove("server_version").unwrap_or_default();
        assert!(version.starts_with("15."), "server_version {version:?}");
        assert!(
            params.remove("TimeZone").is_some(),
            "no TimeZone ParameterStatus"
        );
    }
    assert_eq!(
        a, b,
        "ParameterStatus differs (left ours, right PostgreSQL 15)"
    );
}
