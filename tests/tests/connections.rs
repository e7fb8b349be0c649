//! Many sessions at once: max_connections is enforced with 53300, sessions are separate
//! processes with separate state, and slots are released when sessions end.

use std::time::Duration;

use futures::future::join_all;
use tests::{Cluster, sqlstate, within};

/// 150 clients connect at once to max_connections = 100: exactly 100 get in and run
/// `SELECT 1`, the 50 others get `53300 sorry, too many clients already`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_is_enforced_with_53300() {
    let cluster = Cluster::builder().setting("max_connections", "100").start();
    let attempts = (0..150).map(|_| cluster.try_connect_with(""));
    let results = within(60, "150 concurrent connection attempts", join_all(attempts)).await;
    let mut clients = Vec::new();
    let mut refused = Vec::new();
    for r in results {
        match r {
            Ok((client, _)) => clients.push(client),
            Err(e) => refused.push(e),
        }
    }
    for e in &refused {
        assert_eq!(sqlstate(e), Some("53300"), "unexpected failure: {e:?}");
        let db = e.as_db_error().expect("db error");
        assert_eq!(db.message(), "sorry, too many clients already");
        assert_eq!(db.severity(), "FATAL");
    }
    assert_eq!(clients.len(), 100, "{} refused", refused.len());
    assert_eq!(refused.len(), 50);

    // Every admitted session works, concurrently.
    let queries = clients.iter().map(|c| c.query_one("SELECT 1::int4", &[]));
    for r in within(60, "100 concurrent SELECT 1", join_all(queries)).await {
        assert_eq!(
            r.expect("SELECT 1 in an admitted session").get::<_, i32>(0),
            1
        );
    }
    // Full: one more is refused.
    let err = cluster
        .try_connect_with("")
        .await
        .expect_err("the 101st must be refused");
    assert_eq!(sqlstate(&err), Some("53300"));

    // Closing sessions frees their slots.
    clients.truncate(90);
    let extra = cluster
        .connect_retrying(Duration::from_secs(10))
        .await
        .expect("a slot must be free after sessions close");
    extra.simple_query("SELECT 1").await.expect("select");
    drop(clients);
    let all = within(30, "100 new sessions", async {
        let mut v = Vec::new();
        for _ in 0..99 {
            v.push(
                cluster
                    .connect_retrying(Duration::from_secs(10))
                    .await
                    .expect("reconnect"),
            );
        }
        v
    })
    .await;
    assert_eq!(all.len(), 99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_setting_is_visible() {
    let cluster = Cluster::builder().setting("max_connections", "7").start();
    let client = cluster.connect().await;
    let row = client
        .query_one("SHOW max_connections", &[])
        .await
        .expect("show");
    assert_eq!(row.get::<_, String>(0), "7");
    // It cannot change at run time.
    let err = client
        .simple_query("SET max_connections = 8")
        .await
        .expect_err("postmaster setting");
    assert_eq!(sqlstate(&err), Some("55P02"));
    assert_eq!(
        err.as_db_error().expect("db").message(),
        "parameter \"max_connections\" cannot be changed without restarting the server"
    );
    let mut held = vec![client];
    loop {
        match cluster.try_connect_with("").await {
            Ok((c, _)) => held.push(c),
            Err(e) => {
                assert_eq!(sqlstate(&e), Some("53300"), "{e:?}");
                break;
            }
        }
        assert!(
            held.len() <= 7,
            "more than max_connections sessions admitted"
        );
    }
    assert_eq!(held.len(), 7);
}

/// Sessions are separate processes with separate settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_are_independent() {
    let cluster = Cluster::start();
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(cluster.connect().await);
    }
    let work = clients.iter().enumerate().map(|(i, c)| async move {
        c.simple_query(&format!("SET application_name = 'client{i}'"))
            .await
            .expect("set");
        c.simple_query("SELECT pg_sleep(0.2)").await.expect("sleep");
        let pid = c
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .expect("pid");
        let app = c
            .query_one("SHOW application_name", &[])
            .await
            .expect("show");
        (pid.get::<_, i32>(0), app.get::<_, String>(0))
    });
    let results = within(30, "10 sessions", join_all(work)).await;
    let mut pids: Vec<i32> = results.iter().map(|r| r.0).collect();
    for (i, (_, app)) in results.iter().enumerate() {
        assert_eq!(app, &format!("client{i}"));
    }
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 10, "every session has its own backend process");
    let children = cluster.children();
    for pid in &pids {
        assert!(
            children.contains(pid),
            "backend {pid} is not a child of the postmaster"
        );
    }
}
