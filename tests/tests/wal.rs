//! Recovery from damaged WAL: the end of the log cut in the middle of a
//! record, or a byte of a record flipped, while the server was down after a
//! crash. Recovery must stop cleanly at the damage, keep everything committed
//! before it, and the server must go on from there. The same tests run
//! against PostgreSQL 15 (`OXIPG_TEST_AGAINST_PG15=1`): both use 16 MiB
//! segments named by timeline 1.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::Cluster;
use tokio_postgres::Client;

const SEGMENT_SIZE: u64 = 16 << 20;

fn parse_lsn(text: &str) -> u64 {
    let (hi, lo) = text
        .split_once('/')
        .unwrap_or_else(|| panic!("not an LSN: {text:?}"));
    let hi = u64::from_str_radix(hi, 16).unwrap_or_else(|e| panic!("LSN {text:?}: {e}"));
    let lo = u64::from_str_radix(lo, 16).unwrap_or_else(|e| panic!("LSN {text:?}: {e}"));
    (hi << 32) | lo
}

/// The segment file holding byte `lsn` (timeline 1).
fn segment_path(data_dir: &Path, lsn: u64) -> PathBuf {
    let segno = lsn / SEGMENT_SIZE;
    let per_xlogid = (1u64 << 32) / SEGMENT_SIZE;
    data_dir.join("pg_wal").join(format!(
        "{:08X}{:08X}{:08X}",
        1,
        segno / per_xlogid,
        segno % per_xlogid
    ))
}

async fn insert_lsn(client: &Client) -> u64 {
    let row = client
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .await
        .expect("insert lsn");
    parse_lsn(row.get::<_, &str>(0))
}

async fn rows(client: &Client) -> Vec<i32> {
    client
        .query("SELECT n FROM t ORDER BY n", &[])
        .await
        .expect("select")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Commits rows 1..=20, then row 100; kills the cluster with SIGKILL;
/// `damage` gets the data directory and the WAL range [start, end) that
/// holds row 100's insert and commit; then the cluster restarts and must
/// hold exactly rows 1..=20, and take new commits that survive a restart.
async fn recover_from_damage(what: &str, damage: impl FnOnce(&Path, u64, u64)) {
    let mut cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute("CREATE TABLE t (n int)")
        .await
        .expect("create table");
    for n in 1..=20 {
        client
            .execute("INSERT INTO t VALUES ($1)", &[&n])
            .await
            .expect("insert");
    }
    let start = insert_lsn(&client).await;
    client
        .execute("INSERT INTO t VALUES (100)", &[])
        .await
        .expect("insert 100");
    let end = insert_lsn(&client).await;
    assert!(
        end > start,
        "row 100 was logged between {start:X} and {end:X}"
    );
    drop(client);
    cluster.kill_9_all().await;

    damage(cluster.data_dir(), start, end);

    cluster.start_again();
    let client = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{what}: no connection after recovery: {e:?}\n{}",
                cluster.log_tail(30)
            )
        });
    let want: Vec<i32> = (1..=20).collect();
    assert_eq!(
        rows(&client).await,
        want,
        "{what}: rows 1..=20 and not row 100\n{}",
        cluster.log_tail(30)
    );

    // The log goes on from where recovery stopped, and what is committed
    // now survives another crash.
    client
        .execute("INSERT INTO t VALUES (200)", &[])
        .await
        .expect("insert after recovery");
    drop(client);
    cluster.kill_9_all().await;
    cluster.start_again();
    let client = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .expect("connect after the second crash");
    let mut want = want;
    want.push(200);
    assert_eq!(
        rows(&client).await,
        want,
        "{what}: after the second crash\n{}",
        cluster.log_tail(30)
    );
}

/// The WAL after the middle of row 100's records is gone, as when a crash
/// interrupts the write of the last records (zeros follow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_cut_in_the_middle_of_a_record_ends_recovery_there() {
    recover_from_damage("cut WAL", |data_dir, start, end| {
        let cut = start + (end - start) / 2;
        let path = segment_path(data_dir, cut);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let from = cut % SEGMENT_SIZE;
        let zeros = vec![0u8; (SEGMENT_SIZE - from) as usize];
        file.write_all_at(&zeros, from).expect("zero the tail");
        file.sync_all().expect("fsync");
        // Later segments (none are expected so soon) go too.
        for entry in std::fs::read_dir(data_dir.join("pg_wal"))
            .expect("pg_wal")
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 24
                && name.chars().all(|c| c.is_ascii_hexdigit())
                && entry.path() > path
            {
                std::fs::remove_file(entry.path()).expect("remove later segment");
            }
        }
    })
    .await;
}

/// One byte inside row 100's records is flipped: its checksum no longer
/// matches and recovery ends before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_record_ends_recovery_before_it() {
    recover_from_damage("flipped byte", |data_dir, start, end| {
        // Past the first record header of the range, inside a record body.
        let at = (start + 30).min(end - 1);
        let path = segment_path(data_dir, at);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut byte = [0u8; 1];
        file.read_exact_at(&mut byte, at % SEGMENT_SIZE)
            .expect("read byte");
        byte[0] ^= 0x40;
        file.write_all_at(&byte, at % SEGMENT_SIZE)
            .expect("flip byte");
        file.sync_all().expect("fsync");
    })
    .await;
}

/// `max_wal_size` bounds the WAL: writing more than it since the last
/// checkpoint makes the checkpointer start one (`pg_stat_bgwriter` counts it
/// as requested), after which the segments before its redo point are
/// recycled or removed, so `pg_wal/` stays a few segments large.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_wal_size_triggers_checkpoints_and_old_segments_go() {
    let cluster = Cluster::builder()
        .setting("max_wal_size", "32MB")
        .setting("checkpoint_timeout", "1h")
        .start();
    let client = cluster.connect().await;
    client
        .batch_execute(&format!(
            "CREATE TABLE seed (a int, b int, c text); INSERT INTO seed VALUES (1, 2, '{}');
             CREATE TABLE t (a int, b int, c text);",
            "x".repeat(90)
        ))
        .await
        .expect("tables");
    for _ in 0..12 {
        client
            .batch_execute("INSERT INTO seed SELECT * FROM seed")
            .await
            .expect("double the seed");
    }
    let requested = |row: tokio_postgres::Row| row.get::<_, i64>(0);
    let before = requested(
        client
            .query_one("SELECT checkpoints_req FROM pg_stat_bgwriter", &[])
            .await
            .expect("stats"),
    );
    let start = insert_lsn(&client).await;
    // 60 MB of WAL: nearly twice max_wal_size.
    while insert_lsn(&client).await - start < 60 << 20 {
        client
            .batch_execute("INSERT INTO t SELECT * FROM seed")
            .await
            .expect("insert");
    }
    let mut after = before;
    for _ in 0..300 {
        after = requested(
            client
                .query_one("SELECT checkpoints_req FROM pg_stat_bgwriter", &[])
                .await
                .expect("stats"),
        );
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        after > before,
        "no checkpoint was requested by WAL volume (checkpoints_req {before} -> {after})\n{}",
        cluster.log_tail(20)
    );
    // Let a last checkpoint finish, then count the segments left.
    client
        .batch_execute("CHECKPOINT")
        .await
        .expect("checkpoint");
    let segments = std::fs::read_dir(cluster.data_dir().join("pg_wal"))
        .expect("pg_wal")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.len() == 24 && name.chars().all(|c| c.is_ascii_hexdigit())
        })
        .count();
    assert!(
        segments <= 10,
        "{segments} WAL segments left after writing 60 MB with max_wal_size 32MB"
    );
    let first = segment_path(cluster.data_dir(), start);
    assert!(
        !first.exists(),
        "{} (before the last redo point) was neither recycled nor removed",
        first.display()
    );
}

/// `synchronous_commit = off`: a commit returns before its record is
/// flushed, and the WAL writer flushes it soon after (within three
/// `wal_writer_delay`s in PostgreSQL): commits older than that survive a
/// crash, and no transaction is ever half there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asynchronous_commits_are_flushed_by_the_wal_writer() {
    let mut cluster = Cluster::builder()
        .setting("wal_writer_delay", "100ms")
        .start();
    let client = cluster.connect().await;
    client
        .batch_execute("CREATE TABLE t (n int); SET synchronous_commit = off")
        .await
        .expect("setup");
    for n in 1..=50 {
        client
            .batch_execute(&format!(
                "BEGIN; INSERT INTO t VALUES ({n}); INSERT INTO t VALUES (-{n}); COMMIT"
            ))
            .await
            .expect("commit");
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    drop(client);
    cluster.kill_9_all().await;
    cluster.start_again();
    let client = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .expect("connect after the crash");
    let row = client
        .query_one("SELECT count(*), sum(n) FROM t", &[])
        .await
        .expect("count");
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, Option<i64>>(1)),
        (100, Some(0)),
        "{}",
        cluster.log_tail(20)
    );
}

/// COPY FROM puts its rows into the heap a page at a time, one WAL record
/// per page: a COPY that returned (autocommit, so committed) survives kill -9
/// of every process, its rows and its index entries, and one that was rolled
/// back is gone; with a checkpoint in the middle, so that recovery starts
/// from a redo point between the COPYs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_copy_survives_kill_9() {
    use futures::SinkExt;

    async fn copy(client: &Client, from: i32, to: i32) {
        let data: String = (from..=to).map(|n| format!("{n}\trow {n}\n")).collect();
        let sink = client
            .copy_in::<_, std::io::Cursor<Vec<u8>>>("COPY c FROM STDIN")
            .await
            .expect("copy in");
        futures::pin_mut!(sink);
        sink.send(std::io::Cursor::new(data.into_bytes()))
            .await
            .expect("copy data");
        let n = sink.finish().await.expect("copy done");
        assert_eq!(n, (to - from + 1) as u64);
    }

    let mut cluster = Cluster::start();
    let client = cluster.connect().await;
    client
        .batch_execute("CREATE TABLE c (n int PRIMARY KEY, s text)")
        .await
        .expect("create table");
    copy(&client, 1, 5000).await;
    client
        .batch_execute("CHECKPOINT")
        .await
        .expect("checkpoint");
    copy(&client, 5001, 12000).await;
    client.batch_execute("BEGIN").await.expect("begin");
    copy(&client, 20001, 23000).await;
    client.batch_execute("ROLLBACK").await.expect("rollback");
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
    let row = client
        .query_one(
            "SELECT count(*), min(n), max(n), count(DISTINCT s) FROM c",
            &[],
        )
        .await
        .expect("count");
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, i64>(3)
        ),
        (12000, 1, 12000, 12000),
        "{}",
        cluster.log_tail(30)
    );
    // The index came back with the heap: a lookup by key finds the row.
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .expect("set");
    let row = client
        .query_one("SELECT s FROM c WHERE n = 11999", &[])
        .await
        .expect("lookup");
    assert_eq!(row.get::<_, &str>(0), "row 11999");
}
