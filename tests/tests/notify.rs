//! LISTEN / NOTIFY between sessions: a NotificationResponse reaches a listener that sits
//! idle (no query of its own), only once the sender commits, never after a rollback;
//! duplicates inside one transaction are folded; a session hears itself; UNLISTEN stops
//! delivery; many notifications arrive in order; a listener that disconnects without
//! reading holds no queue space afterwards. Runs against PostgreSQL 15 as well
//! (`OXIPG_TEST_AGAINST_PG15=1`).

use std::time::Duration;

use futures::StreamExt;
use tests::{Cluster, within};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls, Notification};

/// Connects and forwards every notification the server sends to the returned receiver,
/// whether or not the client is running a query.
async fn listener(cluster: &Cluster) -> (Client, mpsc::UnboundedReceiver<Notification>) {
    let (client, mut connection) = tokio_postgres::connect(&cluster.conninfo(), NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect failed: {e:?}\n{}", cluster.log_tail(30)));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(n);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    (client, rx)
}

/// The next notification, within 10 s.
async fn next(rx: &mut mpsc::UnboundedReceiver<Notification>, what: &str) -> (String, String) {
    let n = within(10, what, rx.recv())
        .await
        .unwrap_or_else(|| panic!("connection closed waiting for {what}"));
    (n.channel().to_owned(), n.payload().to_owned())
}

/// Nothing arrives for a while.
async fn quiet(rx: &mut mpsc::UnboundedReceiver<Notification>, what: &str) {
    if let Ok(Some(n)) = tokio::time::timeout(Duration::from_millis(700), rx.recv()).await {
        panic!(
            "{what}: unexpected notification {:?}",
            (n.channel(), n.payload())
        );
    }
}

fn pair(c: &str, p: &str) -> (String, String) {
    (c.to_owned(), p.to_owned())
}

async fn pid(client: &Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("query")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_listener_receives_at_commit_only() {
    let cluster = Cluster::start();
    let (listen, mut rx) = listener(&cluster).await;
    let send = cluster.connect().await;
    let sender_pid = pid(&send).await;
    listen.batch_execute("LISTEN a").await.expect("query");

    // Delivered to the idle listener, with the sender's pid.
    send.batch_execute("NOTIFY a, 'one'").await.expect("query");
    let n = within(10, "the first notification", rx.recv())
        .await
        .expect("a notification");
    assert_eq!(
        (n.channel(), n.payload(), n.process_id()),
        ("a", "one", sender_pid)
    );

    // Only at commit.
    send.batch_execute("BEGIN; NOTIFY a, 'two'")
        .await
        .expect("query");
    quiet(&mut rx, "before commit").await;
    send.batch_execute("COMMIT").await.expect("query");
    assert_eq!(next(&mut rx, "after commit").await, pair("a", "two"));

    // Never after ROLLBACK or ROLLBACK TO SAVEPOINT; pg_notify is the same.
    send.batch_execute("BEGIN; NOTIFY a, 'rolled back'; ROLLBACK")
        .await
        .expect("query");
    send.batch_execute(
        "BEGIN; SELECT pg_notify('a', 'kept'); SAVEPOINT s; NOTIFY a, 'gone'; \
         ROLLBACK TO s; COMMIT",
    )
    .await
    .expect("query");
    assert_eq!(
        next(&mut rx, "after the savepoint").await,
        pair("a", "kept")
    );

    // Duplicates in one transaction are folded, in first-notified order.
    send.batch_execute(
        "BEGIN; NOTIFY a, 'x'; NOTIFY a, 'y'; NOTIFY a, 'x'; NOTIFY a; NOTIFY a, ''; COMMIT",
    )
    .await
    .expect("query");
    assert_eq!(next(&mut rx, "x").await, pair("a", "x"));
    assert_eq!(next(&mut rx, "y").await, pair("a", "y"));
    assert_eq!(next(&mut rx, "empty").await, pair("a", ""));
    quiet(&mut rx, "after folding").await;

    // Inside the listener's own transaction block nothing is delivered until it ends.
    listen.batch_execute("BEGIN").await.expect("query");
    send.batch_execute("NOTIFY a, 'held'").await.expect("query");
    quiet(&mut rx, "listener in a transaction block").await;
    listen.batch_execute("COMMIT").await.expect("query");
    assert_eq!(next(&mut rx, "held").await, pair("a", "held"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_notify_unlisten_and_channels() {
    let cluster = Cluster::start();
    let (listen, mut rx) = listener(&cluster).await;
    let me = pid(&listen).await;

    // LISTEN takes effect at commit, and the session hears its own NOTIFY.
    listen
        .batch_execute("BEGIN; LISTEN a; NOTIFY a, 'mine'; COMMIT")
        .await
        .expect("query");
    let n = within(10, "self notification", rx.recv())
        .await
        .expect("a notification");
    assert_eq!(
        (n.channel(), n.payload(), n.process_id()),
        ("a", "mine", me)
    );

    // A LISTEN rolled back listens on nothing.
    listen
        .batch_execute("BEGIN; LISTEN b; ROLLBACK; NOTIFY b, 'not heard'")
        .await
        .expect("query");
    quiet(&mut rx, "rolled-back LISTEN").await;

    let send = cluster.connect().await;
    listen
        .batch_execute("LISTEN b; UNLISTEN a")
        .await
        .expect("query");
    send.batch_execute("NOTIFY a, 'lost'; NOTIFY b, 'seen'")
        .await
        .expect("query");
    assert_eq!(next(&mut rx, "b after UNLISTEN a").await, pair("b", "seen"));
    quiet(&mut rx, "UNLISTEN a").await;

    listen.batch_execute("UNLISTEN *").await.expect("query");
    send.batch_execute("NOTIFY b, 'lost too'")
        .await
        .expect("query");
    quiet(&mut rx, "UNLISTEN *").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_notifications_arrive_in_order() {
    let cluster = Cluster::start();
    let (listen, mut rx) = listener(&cluster).await;
    listen.batch_execute("LISTEN many").await.expect("query");
    let send = cluster.connect().await;
    send.batch_execute("SELECT pg_notify('many', 'tx ' || i) FROM generate_series(1, 1000) AS i")
        .await
        .expect("query");
    for i in 1..=200 {
        send.batch_execute(&format!("NOTIFY many, 'single {i}'"))
            .await
            .expect("query");
    }
    for i in 1..=1000 {
        assert_eq!(next(&mut rx, "tx").await, pair("many", &format!("tx {i}")));
    }
    for i in 1..=200 {
        assert_eq!(
            next(&mut rx, "single").await,
            pair("many", &format!("single {i}"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_that_disconnects_frees_the_queue() {
    let cluster = Cluster::start();
    let (reader, mut rx) = listener(&cluster).await;
    reader.batch_execute("LISTEN q").await.expect("query");
    // This listener stops reading (an open transaction block), then goes away.
    let (lazy, lazy_rx) = listener(&cluster).await;
    lazy.batch_execute("LISTEN q").await.expect("query");
    lazy.batch_execute("BEGIN").await.expect("query");
    let send = cluster.connect().await;
    send.batch_execute(
        "SELECT pg_notify('q', i || repeat('x', 7000)) FROM generate_series(1, 100) AS i",
    )
    .await
    .expect("query");
    for i in 1..=100 {
        let (_, payload) = next(&mut rx, "big payloads").await;
        assert!(payload.starts_with(&format!("{i}x")), "{i}");
    }
    assert!(
        usage(&send).await > 0.0,
        "the lazy listener holds the queue"
    );
    drop(lazy);
    drop(lazy_rx);
    let mut freed = false;
    for _ in 0..100 {
        if usage(&send).await == 0.0 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "queue space still held after the listener left");
    // The remaining listener still works.
    send.batch_execute("NOTIFY q, 'after'")
        .await
        .expect("query");
    assert_eq!(next(&mut rx, "after").await, pair("q", "after"));
}

async fn usage(c: &Client) -> f64 {
    c.query_one("SELECT pg_notification_queue_usage()", &[])
        .await
        .expect("query")
        .get(0)
}
