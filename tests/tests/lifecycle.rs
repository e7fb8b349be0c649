//! The postmaster's life: crash-restart after a backend is killed, the three shutdown
//! modes, the data-directory lock, and a start after the postmaster itself was killed.

use std::time::{Duration, Instant};

use tests::{Cluster, RawConn, Sig, process_alive, sqlstate, wait_until, within};

/// kill -9 of a backend: the postmaster (same pid) ends every other session with 57P02,
/// re-initialises and accepts connections again within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_backend_restarts_the_cluster() {
    let mut cluster = Cluster::start();
    let postmaster = cluster.pid();
    let victim = RawConn::startup(cluster.port()).await;
    let mut bystander = RawConn::startup(cluster.port()).await;

    cluster.signal_child(victim.backend_pid, Sig::SIGKILL);
    let killed_at = Instant::now();

    // The other session is disconnected (what it was told is checked at the end).
    let msgs = bystander.read_until_closed(10).await;
    assert!(
        wait_until(Duration::from_secs(10), || !process_alive(
            bystander.backend_pid
        ))
        .await,
        "the bystander's backend must exit"
    );

    let client = cluster
        .connect_retrying(Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no connection within 10 s of the crash: {e:?}\n{}",
                cluster.log_tail(30)
            )
        });
    assert!(killed_at.elapsed() < Duration::from_secs(12));
    let row = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("select after restart");
    assert_ne!(row.get::<_, i32>(0), victim.backend_pid);
    assert!(
        cluster.is_running(),
        "the postmaster must survive a backend crash"
    );
    assert_eq!(cluster.pid(), postmaster);
    let lines = cluster.pid_file_lines().expect("postmaster.pid");
    assert_eq!(lines[0].trim(), postmaster.to_string());
    assert_eq!(lines[7].trim(), "ready");

    // The bystander was told why, as a WARNING-level notice, before being disconnected.
    let notice = msgs
        .iter()
        .find(|m| m.tag == b'N' || m.tag == b'E')
        .unwrap_or_else(|| {
            panic!("the bystander got no message before being disconnected: {msgs:?}")
        });
    assert_eq!(notice.tag, b'N', "{:?}", notice.fields());
    assert_eq!(
        notice.code().as_deref(),
        Some("57P02"),
        "{:?}",
        notice.fields()
    );
    assert_eq!(
        notice.fields().get(&'S').map(String::as_str),
        Some("WARNING")
    );
    assert_eq!(
        notice.fields().get(&'M').map(String::as_str),
        Some("terminating connection because of crash of another server process")
    );
}

/// SIGTERM: no new sessions (57P03), the open one goes on; once it ends the postmaster
/// exits and removes postmaster.pid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_smart_shutdown_waits_for_sessions() {
    let mut cluster = Cluster::start();
    let client = cluster.connect().await;
    let backend: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    cluster.signal(Sig::SIGTERM);

    // New connections are refused while the session lives ...
    let refused = within(10, "refusal during smart shutdown", async {
        loop {
            match cluster.try_connect_with("").await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => return e,
            }
        }
    })
    .await;
    // ... and the postmaster waits for the session, which still works.
    assert_eq!(
        cluster.wait_exit(Duration::from_millis(1000)).await,
        None,
        "smart shutdown must wait"
    );
    client
        .simple_query("SELECT 1")
        .await
        .expect("the open session keeps working");
    assert!(process_alive(backend));

    drop(client);
    let status = cluster
        .wait_exit(Duration::from_secs(15))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no exit after the last session ended\n{}",
                cluster.log_tail(20)
            )
        });
    assert!(status.success(), "smart shutdown exit status {status}");
    assert!(
        cluster.pid_file_lines().is_none(),
        "postmaster.pid must be removed"
    );
    assert!(!process_alive(backend));

    // The refused client was told why (a FATAL, not a closed or refused socket).
    assert_eq!(sqlstate(&refused), Some("57P03"), "{refused:?}");
    assert_eq!(
        refused.as_db_error().expect("db").message(),
        "the database system is shutting down"
    );
}

/// SIGINT: sessions are ended with FATAL 57P01, the postmaster exits cleanly and removes
/// postmaster.pid; no child survives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_fast_shutdown_ends_sessions() {
    let mut cluster = Cluster::start();
    let (client, connection) = cluster.try_connect_with("").await.expect("connect");
    let mut raw = RawConn::startup(cluster.port()).await;
    let children_before = cluster.children();
    assert!(children_before.contains(&raw.backend_pid));

    cluster.signal(Sig::SIGINT);
    let msgs = raw.read_until_closed(10).await;
    let fatal = msgs
        .iter()
        .find(|m| m.tag == b'E')
        .expect("an ErrorResponse before closing");
    assert_eq!(fatal.code().as_deref(), Some("57P01"));
    assert_eq!(fatal.fields().get(&'S').map(String::as_str), Some("FATAL"));
    assert_eq!(
        fatal.fields().get(&'M').map(String::as_str),
        Some("terminating connection due to administrator command")
    );
    let ended = within(10, "tokio-postgres connection end", connection)
        .await
        .expect("join");
    assert_eq!(
        ended.as_ref().err().and_then(sqlstate),
        Some("57P01"),
        "{ended:?}"
    );
    assert!(client.is_closed());

    let status = cluster
        .wait_exit(Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("fast shutdown did not finish\n{}", cluster.log_tail(20)));
    assert!(status.success(), "fast shutdown exit status {status}");
    assert!(
        cluster.pid_file_lines().is_none(),
        "postmaster.pid must be removed"
    );
    for pid in children_before {
        assert!(!process_alive(pid), "child {pid} outlived the postmaster");
    }
    // A cleanly shut down cluster starts again.
    cluster.start_again();
    cluster
        .connect()
        .await
        .simple_query("SELECT 1")
        .await
        .expect("after restart");
}

/// SIGQUIT: immediate shutdown; the postmaster and all its children are gone at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigquit_immediate_shutdown() {
    let mut cluster = Cluster::start();
    let (client, _connection) = cluster.try_connect_with("").await.expect("connect");
    let mut raw = RawConn::startup(cluster.port()).await;
    let children_before = cluster.children();

    cluster.signal(Sig::SIGQUIT);
    let started = Instant::now();
    let status = cluster
        .wait_exit(Duration::from_secs(10))
        .await
        .unwrap_or_else(|| {
            panic!(
                "immediate shutdown did not finish\n{}",
                cluster.log_tail(20)
            )
        });
    assert!(started.elapsed() < Duration::from_secs(5));
    // PostgreSQL exits with status 0 after an immediate shutdown too.
    assert!(status.success(), "immediate shutdown exit status {status}");
    let msgs = raw.read_until_closed(10).await;
    assert!(client.simple_query("SELECT 1").await.is_err());
    assert!(
        wait_until(Duration::from_secs(5), || children_before
            .iter()
            .all(|&p| !process_alive(p)))
        .await,
        "children outlived an immediate shutdown"
    );
    assert!(
        cluster.pid_file_lines().is_none(),
        "postmaster.pid must be removed"
    );
    // An immediate shutdown needs recovery at the next start, which must work.
    cluster.start_again();
    cluster
        .connect()
        .await
        .simple_query("SELECT 1")
        .await
        .expect("after recovery");
    // Each session is told, as a WARNING (a notice), before its backend quits.
    let notice = msgs
        .iter()
        .find(|m| m.tag == b'N' || m.tag == b'E')
        .unwrap_or_else(|| panic!("no message before the connection closed: {msgs:?}"));
    assert_eq!(notice.tag, b'N', "{:?}", notice.fields());
    assert_eq!(notice.code().as_deref(), Some("57P01"));
    assert_eq!(
        notice.fields().get(&'S').map(String::as_str),
        Some("WARNING")
    );
    assert_eq!(
        notice.fields().get(&'M').map(String::as_str),
        Some("terminating connection due to immediate shutdown command")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_postmaster_on_the_same_directory_is_refused() {
    let mut cluster = Cluster::start();
    let (status, stderr) = cluster.run_second_postmaster(Duration::from_secs(10)).await;
    let status = status.expect("the second postmaster must exit by itself");
    assert!(
        !status.success(),
        "the second postmaster must fail: {status}\n{stderr}"
    );
    assert!(
        stderr.contains("lock file \"postmaster.pid\" already exists"),
        "stderr of the second postmaster: {stderr}"
    );
    // The first one is untouched.
    assert!(cluster.is_running());
    let lines = cluster.pid_file_lines().expect("postmaster.pid");
    assert_eq!(lines[0].trim(), cluster.pid().to_string());
    cluster
        .connect()
        .await
        .simple_query("SELECT 1")
        .await
        .expect("first still serves");
}

/// kill -9 of the postmaster leaves postmaster.pid and the shared memory behind; its
/// children notice and exit, and a new postmaster cleans up and starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_after_kill_9_of_the_postmaster() {
    let mut cluster = Cluster::start();
    let client = cluster.connect().await;
    client.simple_query("SELECT 1").await.expect("select");
    let old_pid = cluster.pid();
    let old_children = cluster.children();
    assert!(!old_children.is_empty());

    cluster.signal(Sig::SIGKILL);
    cluster
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("postmaster killed");
    let lines = cluster
        .pid_file_lines()
        .expect("a killed postmaster leaves postmaster.pid");
    assert_eq!(lines[0].trim(), old_pid.to_string());
    assert!(
        wait_until(Duration::from_secs(10), || old_children
            .iter()
            .all(|&p| !process_alive(p)))
        .await,
        "children must exit when the postmaster dies: {:?} still alive",
        old_children
            .iter()
            .filter(|&&p| process_alive(p))
            .collect::<Vec<_>>()
    );
    assert!(client.simple_query("SELECT 1").await.is_err());

    cluster.start_again();
    assert_ne!(cluster.pid(), old_pid);
    let client = cluster.connect().await;
    client
        .simple_query("SELECT 1")
        .await
        .expect("after restart");
    let lines = cluster.pid_file_lines().expect("postmaster.pid");
    assert_eq!(lines[0].trim(), cluster.pid().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pid_file_describes_the_postmaster() {
    let cluster = Cluster::start();
    let lines = cluster.pid_file_lines().expect("postmaster.pid");
    assert!(lines.len() >= 8, "{lines:?}");
    assert_eq!(lines[0].trim(), cluster.pid().to_string());
    assert_eq!(
        std::fs::canonicalize(lines[1].trim()).expect("data dir"),
        std::fs::canonicalize(cluster.data_dir()).expect("data dir")
    );
    let started: i64 = lines[2].trim().parse().expect("start time in seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (now - 120..=now + 1).contains(&started),
        "start time {started} vs now {now}"
    );
    assert_eq!(lines[3].trim(), cluster.port().to_string());
    assert_eq!(lines[4].trim(), cluster.socket_dir().display().to_string());
    assert_eq!(lines[7].trim(), "ready");
    // The Unix socket is there and psql can use it.
    let socket = cluster
        .socket_dir()
        .join(format!(".s.PGSQL.{}", cluster.port()));
    assert!(socket.exists(), "{} missing", socket.display());
    let out = std::process::Command::new(std::path::Path::new(tests::PG15_BIN).join("psql"))
        .args([
            "-X", "-At", "-U", "postgres", "-d", "postgres", "-c", "SELECT 1",
        ])
        .arg("-h")
        .arg(cluster.socket_dir())
        .arg("-p")
        .arg(cluster.port().to_string())
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "psql over the Unix socket: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The harness itself: dropping a cluster with busy sessions leaves no process behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_cluster_leaves_no_process() {
    let cluster = Cluster::start();
    let client = cluster.connect().await;
    let busy = cluster.connect().await;
    let sleeper = tokio::spawn(async move { busy.simple_query("SELECT pg_sleep(30)").await });
    client.simple_query("SELECT 1").await.expect("select");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let postmaster = cluster.pid();
    let children = cluster.children();
    assert!(children.len() >= 2, "{children:?}");
    let data_dir = cluster.data_dir().to_path_buf();
    drop(cluster);
    assert!(!process_alive(postmaster));
    assert!(
        wait_until(Duration::from_secs(5), || children
            .iter()
            .all(|&p| !process_alive(p)))
        .await,
        "processes left behind: {:?}",
        children
            .iter()
            .filter(|&&p| process_alive(p))
            .collect::<Vec<_>>()
    );
    assert!(
        !data_dir.exists(),
        "the temporary directory must be removed"
    );
    let _ = within(10, "the sleeper's end", sleeper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_pg_hba_conf_stops_startup() {
    // PostgreSQL refuses to start with a pg_hba.conf it cannot load, before it
    // admits any session; ours checks it in the startup process.
    let mut cluster = Cluster::start();
    cluster.signal(Sig::SIGINT);
    cluster
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("fast shutdown");
    let hba = cluster.data_dir().join("pg_hba.conf");
    let mut text = std::fs::read_to_string(&hba).expect("read pg_hba.conf");
    text.push_str("host all all 1.2.3.4/99 trust\n");
    std::fs::write(&hba, text).expect("write pg_hba.conf");
    let (status, log) = cluster.run_second_postmaster(Duration::from_secs(15)).await;
    let status = status.unwrap_or_else(|| panic!("the postmaster kept running\n{log}"));
    assert!(!status.success(), "start-up must fail: {log}");
    assert!(log.contains("could not load pg_hba.conf"), "{log}");
    assert!(
        cluster.pid_file_lines().is_none(),
        "no lock file is left behind"
    );
}
