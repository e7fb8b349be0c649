//! TLS: the answer to SSLRequest ('S' with `ssl = on` and usable certificate files, 'N'
//! otherwise), psql sessions with `sslmode=require` and `sslmode=disable` on the same
//! server, `hostssl` / `hostnossl` lines of pg_hba.conf, and a postmaster asked for SSL
//! without a private key.
//!
//! Certificates are self-signed, made with `/usr/bin/openssl` at test time and written to
//! the data directory under their default names (`server.crt`, `server.key`), so the
//! relative-path resolution of `ssl_cert_file` / `ssl_key_file` is exercised too. As the
//! reference refuses to start with `ssl = on` and no files, the cluster starts without
//! SSL, is stopped, gets its files and an `ssl = on` line in postgresql.conf, and starts
//! again.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tests::{Cluster, PG15_BIN, RawConn, Sig, within};

const OPENSSL: &str = "/usr/bin/openssl";

/// Which certificate files to place in the data directory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Files {
    CertAndKey,
    CertOnly,
}

/// Writes a self-signed certificate (and its key) into the data directory, owned like
/// the directory (PostgreSQL runs as `postgres` when the tests run as root) and mode 0600
/// (PostgreSQL refuses a key that group or others can read).
fn write_cert_files(data_dir: &Path, files: Files) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let crt = scratch.path().join("server.crt");
    let key = scratch.path().join("server.key");
    let out = Command::new(OPENSSL)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let owner = fs::metadata(data_dir).expect("stat data dir");
    let mut names = vec!["server.crt"];
    if files == Files::CertAndKey {
        names.push("server.key");
    }
    for name in names {
        let dest = data_dir.join(name);
        fs::copy(scratch.path().join(name), &dest).expect("copy certificate file");
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o600)).expect("chmod 0600");
        std::os::unix::fs::chown(&dest, Some(owner.uid()), Some(owner.gid())).expect("chown");
    }
}

/// Appends `lines` to postgresql.conf (which both servers create when initialising).
fn append_conf(data_dir: &Path, lines: &str) {
    let path = data_dir.join("postgresql.conf");
    let mut text = fs::read_to_string(&path).expect("read postgresql.conf");
    text.push('\n');
    text.push_str(lines);
    text.push('\n');
    fs::write(&path, text).expect("write postgresql.conf");
}

/// Fast shutdown, then waits for the postmaster to exit.
async fn stop(cluster: &mut Cluster) {
    cluster.signal(Sig::SIGINT);
    let status = cluster.wait_exit(Duration::from_secs(30)).await;
    assert!(
        status.is_some(),
        "fast shutdown did not finish\n{}",
        cluster.log_tail(20)
    );
}

/// A cluster restarted with `ssl = on`, certificate files and, optionally, a pg_hba.conf.
async fn tls_cluster(hba: Option<&str>) -> Cluster {
    let mut cluster = Cluster::start();
    stop(&mut cluster).await;
    write_cert_files(cluster.data_dir(), Files::CertAndKey);
    append_conf(cluster.data_dir(), "ssl = on");
    if let Some(hba) = hba {
        fs::write(cluster.data_dir().join("pg_hba.conf"), hba).expect("write pg_hba.conf");
    }
    cluster.start_again();
    cluster
}

/// PostgreSQL 15's psql over TCP with the given sslmode; `args` follow the connection
/// string (`-c`, `-At`, ...).
fn psql(cluster: &Cluster, sslmode: &str, args: &[&str]) -> Output {
    let conninfo = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode={sslmode} connect_timeout=10",
        cluster.port()
    );
    let mut cmd = Command::new(Path::new(PG15_BIN).join("psql"));
    cmd.arg("-X").arg("-d").arg(conninfo).args(args);
    // No client certificate, no root certificate to verify against, nothing inherited.
    let home = tempfile::tempdir().expect("tempdir for HOME");
    cmd.env("HOME", home.path());
    for var in [
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGSSLCERT",
        "PGSSLKEY",
        "PGSERVICE",
        "PGPASSWORD",
        "PGREQUIRESSL",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd.output().expect("run psql")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that psql succeeded and printed `1` for `SELECT 1`.
fn assert_select_1(cluster: &Cluster, sslmode: &str) {
    let out = psql(cluster, sslmode, &["-At", "-c", "SELECT 1"]);
    assert!(
        out.status.success(),
        "psql sslmode={sslmode} failed: {}\n--- server log ---\n{}",
        stderr(&out),
        cluster.log_tail(20)
    );
    assert_eq!(stdout(&out).trim(), "1", "psql sslmode={sslmode}");
}

/// The single byte the server answers to an SSLRequest.
async fn ssl_request_answer(port: u16) -> u8 {
    let mut conn = RawConn::open(port).await;
    let mut packet = 8i32.to_be_bytes().to_vec();
    packet.extend_from_slice(&80_877_103i32.to_be_bytes());
    conn.send(&packet).await;
    let mut answer = [0u8; 1];
    within(
        10,
        "answer to SSLRequest",
        tokio::io::AsyncReadExt::read_exact(&mut conn.stream, &mut answer),
    )
    .await
    .expect("read the answer to SSLRequest");
    answer[0]
}

/// ssl = on with a valid certificate and key: sslmode=require gets an encrypted session
/// that runs queries, and psql's \conninfo reports the SSL connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_on_require_succeeds_and_is_encrypted() {
    let cluster = tls_cluster(None).await;
    assert_eq!(ssl_request_answer(cluster.port()).await, b'S');

    assert_select_1(&cluster, "require");

    let out = psql(
        &cluster,
        "require",
        &["-c", "\\conninfo", "-c", "SELECT 40 + 2 AS answer"],
    );
    assert!(
        out.status.success(),
        "psql failed: {}\n{}",
        stderr(&out),
        cluster.log_tail(20)
    );
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("SSL connection (protocol: TLSv1.")),
        "\\conninfo does not report an SSL connection:\n{text}"
    );
    assert!(text.contains("42"), "query output over TLS:\n{text}");
}

/// The same server still serves clients that do not ask for SSL (sslmode=disable), and
/// those that merely prefer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_on_disable_still_works() {
    let cluster = tls_cluster(None).await;
    assert_select_1(&cluster, "disable");
    let out = psql(&cluster, "disable", &["-c", "\\conninfo"]);
    assert!(out.status.success(), "psql failed: {}", stderr(&out));
    assert!(!stdout(&out).contains("SSL connection"), "{}", stdout(&out));

    let out = psql(&cluster, "prefer", &["-c", "\\conninfo"]);
    assert!(out.status.success(), "psql failed: {}", stderr(&out));
    assert!(
        stdout(&out).contains("SSL connection"),
        "sslmode=prefer must get SSL: {}",
        stdout(&out)
    );

    // A driver without TLS (tokio-postgres with NoTls) is served as before.
    let client = cluster.connect().await;
    let rows = client
        .simple_query("SELECT 1")
        .await
        .expect("SELECT 1 without TLS");
    assert!(!rows.is_empty());
}

/// ssl = off (the default): the server answers 'N', sslmode=require fails on the client
/// side, and sslmode=disable works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_off_require_fails() {
    let cluster = Cluster::start();
    assert_eq!(ssl_request_answer(cluster.port()).await, b'N');

    let out = psql(&cluster, "require", &["-c", "SELECT 1"]);
    assert!(
        !out.status.success(),
        "sslmode=require must fail: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("server does not support SSL, but SSL was required"),
        "psql stderr: {}",
        stderr(&out)
    );
    assert_select_1(&cluster, "disable");
}

/// ssl = off with certificate files present: still no SSL (the files alone do nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_off_with_files_still_refuses_ssl() {
    let mut cluster = Cluster::start();
    stop(&mut cluster).await;
    write_cert_files(cluster.data_dir(), Files::CertAndKey);
    append_conf(cluster.data_dir(), "ssl = off");
    cluster.start_again();
    assert_eq!(ssl_request_answer(cluster.port()).await, b'N');
    let out = psql(&cluster, "require", &["-c", "SELECT 1"]);
    assert!(
        stderr(&out).contains("server does not support SSL, but SSL was required"),
        "{}",
        stderr(&out)
    );
}

/// ssl = on without the private key file: the postmaster refuses to start, with a FATAL
/// naming the key file (PostgreSQL checks the files before it listens).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_on_missing_key_refuses_to_start() {
    let mut cluster = Cluster::start();
    stop(&mut cluster).await;
    write_cert_files(cluster.data_dir(), Files::CertOnly);
    append_conf(cluster.data_dir(), "ssl = on");
    let (status, err) = cluster.run_second_postmaster(Duration::from_secs(15)).await;
    let status = status
        .unwrap_or_else(|| panic!("the postmaster started without a private key file:\n{err}"));
    assert!(
        !status.success(),
        "the postmaster must fail: {status}\n{err}"
    );
    let fatal = err
        .lines()
        .find(|l| l.contains("FATAL:"))
        .unwrap_or_else(|| panic!("no FATAL line in the postmaster's stderr:\n{err}"));
    assert!(
        fatal.contains(
            "could not access private key file \"server.key\": No such file or directory"
        ),
        "FATAL line: {fatal}"
    );
}

/// pg_hba.conf `hostssl` matches only TLS connections, `hostnossl` only plain ones; the
/// rejection names the encryption state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostssl_and_hostnossl_lines() {
    let cluster = tls_cluster(Some(
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
    ))
    .await;
    assert_select_1(&cluster, "require");
    let out = psql(&cluster, "disable", &["-c", "SELECT 1"]);
    assert!(
        !out.status.success(),
        "a plain connection must match no hostssl line"
    );
    assert!(
        stderr(&out).contains(
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"postgres\", no encryption"
        ),
        "psql stderr: {}",
        stderr(&out)
    );
    drop(cluster);

    let cluster = tls_cluster(Some(
        "local all all trust\nhostnossl all all 127.0.0.1/32 trust\n",
    ))
    .await;
    assert_select_1(&cluster, "disable");
    let out = psql(&cluster, "require", &["-c", "SELECT 1"]);
    assert!(
        !out.status.success(),
        "a TLS connection must match no hostnossl line"
    );
    assert!(
        stderr(&out).contains(
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"postgres\", SSL encryption"
        ),
        "psql stderr: {}",
        stderr(&out)
    );
}
