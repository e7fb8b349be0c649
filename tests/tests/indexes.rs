//! B-tree indexes between sessions: two inserters of one key (the second waits for
//! the first and then fails or proceeds, as PostgreSQL does), a deleter whose key a
//! second session inserts again, and inserts racing a reader that scans the index.
//! Every expectation is PostgreSQL 15's (`OXIPG_TEST_AGAINST_PG15=1` runs them there).

use std::time::Duration;

use tests::{Cluster, sqlstate, within};
use tokio_postgres::{Client, SimpleQueryMessage};

async fn values(c: &Client, sql: &str) -> Vec<String> {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", sqlstate(&e)));
}

/// Starts `sql` on `c` in the background; the task gives the connection back with the
/// SQLSTATE of the failure, if any.
fn start(c: Client, sql: &'static str) -> tokio::task::JoinHandle<(Client, Option<String>)> {
    tokio::spawn(async move {
        let r = c.batch_execute(sql).await;
        let state = r.err().map(|e| sqlstate(&e).unwrap_or("?").to_owned());
        (c, state)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_inserter_of_a_key_waits_then_fails_or_proceeds() {
    let cluster = Cluster::start();
    let a = cluster.connect().await;
    let b = cluster.connect().await;
    exec(&a, "CREATE TABLE u (id int PRIMARY KEY, v text)").await;

    // The first inserter commits: the second, which waited, gets 23505.
    exec(&a, "BEGIN; INSERT INTO u VALUES (1, 'a')").await;
    let waiter = start(b, "INSERT INTO u VALUES (1, 'b')");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second inserter of key 1 must wait for the first transaction"
    );
    exec(&a, "COMMIT").await;
    let (b, state) = within(10, "second inserter after a commit", waiter)
        .await
        .expect("waiter");
    assert_eq!(state.as_deref(), Some("23505"));

    // The first inserter rolls back: the second, which waited, succeeds.
    exec(&a, "BEGIN; INSERT INTO u VALUES (2, 'a')").await;
    let waiter = start(b, "INSERT INTO u VALUES (2, 'b')");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second inserter of key 2 must wait"
    );
    exec(&a, "ROLLBACK").await;
    let (b, state) = within(10, "second inserter after a rollback", waiter)
        .await
        .expect("waiter");
    assert_eq!(state, None);
    assert_eq!(values(&a, "SELECT v FROM u WHERE id = 2").await, ["b"]);

    // A deleter that commits frees the key for a waiting inserter.
    exec(&a, "BEGIN; DELETE FROM u WHERE id = 2").await;
    let waiter = start(b, "INSERT INTO u VALUES (2, 'c')");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "an inserter of a key being deleted must wait"
    );
    exec(&a, "COMMIT").await;
    let (b, state) = within(10, "inserter after a delete", waiter)
        .await
        .expect("waiter");
    assert_eq!(state, None);
    assert_eq!(values(&a, "SELECT v FROM u WHERE id = 2").await, ["c"]);

    // An update that moves a key away and back within one transaction, and a key
    // taken by our own earlier insert.
    exec(
        &b,
        "BEGIN; UPDATE u SET id = 10 WHERE id = 1; UPDATE u SET id = 1 WHERE id = 10; COMMIT",
    )
    .await;
    assert_eq!(values(&a, "SELECT v FROM u WHERE id = 1").await, ["a"]);
    let e = b
        .batch_execute("BEGIN; INSERT INTO u VALUES (3, 'x'); INSERT INTO u VALUES (3, 'y')")
        .await
        .expect_err("own duplicate");
    assert_eq!(sqlstate(&e), Some("23505"));
    exec(&b, "ROLLBACK").await;
    assert_eq!(values(&a, "SELECT count(*) FROM u").await, ["2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_racing_index_scans_and_each_other() {
    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(
        &setup,
        "CREATE TABLE r (id int PRIMARY KEY, grp int, pad text); CREATE INDEX r_grp ON r (grp)",
    )
    .await;
    // Four writers insert disjoint ids (forcing page splits in both indexes) while a
    // reader keeps counting through the index: counts never go down and never
    // exceed what was inserted.
    let mut writers = Vec::new();
    for w in 0..4i32 {
        let c = cluster.connect().await;
        writers.push(tokio::spawn(async move {
            for batch in 0..25i32 {
                let rows: Vec<String> = (0..20)
                    .map(|i| {
                        let id = w * 100_000 + batch * 20 + i;
                        format!("({id}, {}, '{}')", id % 7, "p".repeat(100))
                    })
                    .collect();
                let sql = format!("INSERT INTO r VALUES {}", rows.join(", "));
                c.batch_execute(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }));
    }
    let reader = cluster.connect().await;
    let mut last = 0u64;
    let mut last_desc = 0u64;
    while !writers.iter().all(|w| w.is_finished()) {
        let n: u64 = values(&reader, "SELECT count(*) FROM r WHERE grp = 3").await[0]
            .parse()
            .expect("count");
        assert!(
            n >= last,
            "a count through the index went down: {last} -> {n}"
        );
        last = n;
        // A backward scan walks left through pages that are splitting under it: it
        // sees every row committed before it began, each once, in descending order.
        let ids: Vec<i64> = values(
            &reader,
            "SELECT id FROM r WHERE id < 1000000 ORDER BY id DESC LIMIT 5000",
        )
        .await
        .iter()
        .map(|v| v.parse().expect("id"))
        .collect();
        assert!(
            ids.windows(2).all(|w| w[0] > w[1]),
            "a backward index scan repeated or misordered rows"
        );
        assert!(
            ids.len() as u64 >= last_desc,
            "a backward scan lost rows: {last_desc} -> {}",
            ids.len()
        );
        last_desc = ids.len() as u64;
    }
    for w in writers {
        within(30, "writer", w).await.expect("writer");
    }
    assert_eq!(values(&reader, "SELECT count(*) FROM r").await, ["2000"]);
    let by_index: u64 = values(&reader, "SELECT count(*) FROM r WHERE grp = 3").await[0]
        .parse()
        .expect("count");
    let expected = (0..4)
        .flat_map(|w| (0..500).map(move |i| w * 100_000 + i))
        .filter(|id| id % 7 == 3)
        .count() as u64;
    assert_eq!(by_index, expected);
    for w in 0..4 {
        let id = w * 100_000 + 250;
        assert_eq!(
            values(&reader, &format!("SELECT grp FROM r WHERE id = {id}")).await,
            [(id % 7).to_string()]
        );
    }
    if !tests::against_pg15() {
        exec(
            &reader,
            "SELECT bt_index_check('r_pkey', true); SELECT bt_index_check('r_grp', true)",
        )
        .await;
    }
}

/// Rows updated over and over without HOT (an indexed column changes) give every
/// index a new entry per update; the primary key's entries of dead versions share the
/// row's key, and a full leaf is cleared of them instead of splitting (PostgreSQL's
/// bottom-up deletion), so the index stays a couple of pages without VACUUM. While a
/// snapshot still sees the old versions, nothing of theirs may go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_of_row_versions_does_not_grow_an_index() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    exec(
        &c,
        "CREATE TABLE churn (id int PRIMARY KEY, v int, pad text); \
         CREATE INDEX churn_v ON churn (v); \
         INSERT INTO churn VALUES (1, 0, 'x'), (2, 0, 'x'), (3, 0, 'x'), (4, 0, 'x'), \
         (5, 0, 'x'), (6, 0, 'x'), (7, 0, 'x'), (8, 0, 'x'), (9, 0, 'x'), (10, 0, 'x')",
    )
    .await;
    // An old snapshot pins the first versions for a while.
    let old = cluster.connect().await;
    exec(&old, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    assert_eq!(values(&old, "SELECT sum(v) FROM churn").await, ["0"]);
    for _ in 0..50 {
        exec(&c, "UPDATE churn SET v = v + 1").await;
    }
    assert_eq!(
        values(&old, "SELECT v FROM churn WHERE id = 7").await,
        ["0"],
        "the old snapshot still finds its version through the index"
    );
    exec(&old, "COMMIT").await;
    for _ in 0..250 {
        exec(&c, "UPDATE churn SET v = v + 1").await;
    }
    assert_eq!(
        values(&c, "SELECT v FROM churn WHERE id = 7").await,
        ["300"]
    );
    assert_eq!(
        values(&c, "SELECT count(*) FROM churn WHERE id >= 1").await,
        ["10"]
    );
    let size: u64 = values(&c, "SELECT pg_relation_size('churn_pkey')").await[0]
        .parse()
        .expect("size");
    // 3,000 entries of 16 bytes would fill seven leaves; PostgreSQL keeps 2 pages.
    assert!(size <= 4 * 8192, "the primary key grew to {size} bytes");
    if !tests::against_pg15() {
        exec(
            &c,
            "SELECT bt_index_check('churn_pkey', true); SELECT bt_index_check('churn_v', true)",
        )
        .await;
    }
}

/// kill -9 of the whole cluster while sessions insert wide keys into a unique index
/// (every few inserts split a page, often several levels at once, the root too);
/// after each recovery the tree is sound, every acknowledged row is found through the
/// index, and a key whose insert was not acknowledged is there at most once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_splits_leaves_a_sound_tree() {
    let mut cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(
        &setup,
        "CREATE TABLE w (k text PRIMARY KEY, n int); CREATE INDEX w_n ON w (n)",
    )
    .await;
    drop(setup);
    let mut acked: Vec<String> = Vec::new();
    for cycle in 0..4u32 {
        let mut writers = Vec::new();
        for s in 0..3u32 {
            let c = cluster.connect().await;
            writers.push(tokio::spawn(async move {
                let mut done = Vec::new();
                for i in 0..100_000u32 {
                    // Keys of about 700 bytes, spread over the key space: splits at
                    // every level, at the left and in the middle of pages.
                    let k = format!(
                        "{:08}-{cycle}-{s}-{}",
                        (i as u64 * 2_654_435_761 % 100_000_000),
                        "x".repeat(700)
                    );
                    let sql = format!("INSERT INTO w VALUES ('{k}', {i})");
                    if c.batch_execute(&sql).await.is_err() {
                        break;
                    }
                    done.push(k);
                }
                done
            }));
        }
        tokio::time::sleep(Duration::from_millis(600 + 300 * u64::from(cycle))).await;
        cluster.kill_9_all().await;
        for w in writers {
            acked.extend(within(30, "writer", w).await.expect("writer"));
        }
        cluster.start_again();
        let c = cluster.connect().await;
        if !tests::against_pg15() {
            exec(
                &c,
                "SELECT bt_index_check('w_pkey', true); SELECT bt_index_check('w_n', true)",
            )
            .await;
        }
        let count: usize = values(&c, "SELECT count(*) FROM w").await[0]
            .parse()
            .expect("count");
        assert!(
            count >= acked.len(),
            "cycle {cycle}: {count} rows, {} acknowledged",
            acked.len()
        );
        eprintln!(
            "kill -9 during splits: cycle {cycle}: {count} rows after recovery, {} acknowledged",
            acked.len()
        );
        for k in acked.iter().step_by(97) {
            let found = values(&c, &format!("SELECT count(*) FROM w WHERE k = '{k}'")).await;
            assert_eq!(
                found,
                ["1"],
                "cycle {cycle}: acknowledged key {} not found once through the index",
                &k[..20]
            );
        }
    }
}

/// The OID of relation `name` and its `pg_index` flags `indisready, indisvalid`.
async fn index_flags(c: &Client, name: &str) -> Vec<String> {
    let oid = values(
        c,
        &format!("SELECT oid FROM pg_class WHERE relname = '{name}'"),
    )
    .await;
    let [oid] = oid.as_slice() else {
        return Vec::new();
    };
    let flags = c
        .simple_query(&format!(
            "SELECT indisready, indisvalid FROM pg_index WHERE indexrelid = {oid}"
        ))
        .await
        .expect("pg_index");
    flags
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(format!(
                "{} {}",
                r.get(0).unwrap_or("?"),
                r.get(1).unwrap_or("?")
            )),
            _ => None,
        })
        .collect()
}

/// CREATE INDEX CONCURRENTLY lets writers go on: it waits for a transaction that
/// wrote before it began and for a snapshot older than its validation, while inserts,
/// updates and deletes run all along; the finished index has an entry for every row
/// (`bt_index_check` with heapallindexed) and answers as a scan of the table does. A
/// unique index over a duplicate fails with 23505 and stays behind invalid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_index_concurrently_lets_writers_go_on_and_misses_no_row() {
    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(
        &setup,
        "CREATE TABLE c (id int PRIMARY KEY, k int, pad text)",
    )
    .await;
    exec(
        &setup,
        "INSERT INTO c VALUES (1, 1, 'p'), (2, 2, 'p'), (3, 3, 'p'), (4, 4, 'p')",
    )
    .await;
    for step in [4, 8, 16, 32, 64, 128, 256, 512] {
        exec(
            &setup,
            &format!("INSERT INTO c SELECT id + {step}, (id + {step}) % 97, pad FROM c"),
        )
        .await;
    }
    // A transaction that wrote before the build began is waited for.
    let early = cluster.connect().await;
    exec(&early, "BEGIN; UPDATE c SET pad = 'early' WHERE id = 1").await;
    let builder = start(
        cluster.connect().await,
        "CREATE INDEX CONCURRENTLY c_k ON c (k)",
    );
    // Writers go on all along: each inserts, updates (moving rows between keys) and
    // deletes, committing every statement.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3i32 {
        let c = cluster.connect().await;
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut n = 0i32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 20 {
                let base = 10_000 + w * 100_000 + n * 10;
                let rows: Vec<String> = (base..base + 10)
                    .map(|id| format!("({id}, {}, 'w')", id % 97))
                    .collect();
                let sql = format!(
                    "INSERT INTO c VALUES {}; \
                     UPDATE c SET k = k + 1 WHERE id % 1024 = {}; \
                     DELETE FROM c WHERE id = {}",
                    rows.join(", "),
                    (n * 7 + w) % 1024,
                    base - 5
                );
                c.batch_execute(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !builder.is_finished(),
        "CREATE INDEX CONCURRENTLY must wait for a transaction that wrote before it"
    );
    // A snapshot taken now is older than the validation's: waited for too.
    let old = cluster.connect().await;
    exec(&old, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    values(&old, "SELECT count(*) FROM c").await;
    exec(&early, "COMMIT").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !builder.is_finished(),
        "CREATE INDEX CONCURRENTLY must wait for a snapshot older than its validation"
    );
    // Its SHARE UPDATE EXCLUSIVE lock outlived the commits of its first phases.
    let e = old
        .batch_execute("SAVEPOINT s; LOCK TABLE c IN SHARE UPDATE EXCLUSIVE MODE NOWAIT")
        .await
        .expect_err("CREATE INDEX CONCURRENTLY holds the table");
    assert_eq!(sqlstate(&e), Some("55P03"));
    exec(&old, "ROLLBACK TO s").await;
    exec(&old, "COMMIT").await;
    let (_, state) = within(60, "CREATE INDEX CONCURRENTLY", builder)
        .await
        .expect("builder");
    assert_eq!(state, None, "CREATE INDEX CONCURRENTLY failed");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        let n = within(30, "writer", w).await.expect("writer");
        assert!(n >= 20, "a writer was held up: {n} rounds");
    }
    assert_eq!(index_flags(&setup, "c_k").await, ["t t"]);
    if !tests::against_pg15() {
        exec(&setup, "SELECT bt_index_check('c_k', true)").await;
    }
    // Through the index (k = v) and through the table (k + 0 = v), the same rows.
    for v in [0, 1, 5, 50, 96, 97] {
        let by_index = values(
            &setup,
            &format!("SELECT id FROM c WHERE k = {v} ORDER BY id"),
        )
        .await;
        let by_table = values(
            &setup,
            &format!("SELECT id FROM c WHERE k + 0 = {v} ORDER BY id"),
        )
        .await;
        assert_eq!(by_index, by_table, "rows with k = {v}");
    }

    // A duplicate key: 23505, and the index is left behind, neither ready nor valid.
    exec(
        &setup,
        "INSERT INTO c VALUES (-1, 1, 'dup'), (-2, 1, 'dup')",
    )
    .await;
    let e = setup
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY c_k_unique ON c (k)")
        .await
        .expect_err("duplicate keys");
    assert_eq!(sqlstate(&e), Some("23505"));
    assert_eq!(index_flags(&setup, "c_k_unique").await, ["f f"]);
    exec(&setup, "INSERT INTO c VALUES (-3, 1, 'more')").await;
    exec(&setup, "VACUUM c").await;
    exec(&setup, "DROP INDEX c_k_unique").await;
    let e = setup
        .batch_execute("BEGIN; CREATE INDEX CONCURRENTLY c_pad ON c (pad)")
        .await
        .expect_err("in a transaction block");
    assert_eq!(sqlstate(&e), Some("25001"));
}

/// VACUUM after a large DELETE unlinks the index pages it empties: scans in both
/// directions cross the emptied range, inserts into that range go on (splits reuse
/// deleted pages), `bt_index_check` finds the tree sound, and after `kill -9` the
/// recovered tree (redo of the unlinking records) is sound and answers the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_unlinks_emptied_index_pages_and_survives_a_crash() {
    let mut cluster = Cluster::start();
    let c = cluster.connect().await;
    exec(
        &c,
        "CREATE TABLE pd (id int PRIMARY KEY, pad text); INSERT INTO pd VALUES (1, 'x')",
    )
    .await;
    for step in [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
    ] {
        exec(
            &c,
            &format!("INSERT INTO pd SELECT id + {step}, pad FROM pd"),
        )
        .await;
    }
    exec(&c, "DELETE FROM pd WHERE id > 1000 AND id <= 15000").await;
    exec(&c, "VACUUM pd").await;
    check_pd(&c).await;
    // New rows in part of the emptied range, in a few transactions.
    for (from, to) in [(2000, 2999), (5000, 5999), (9000, 9999)] {
        exec(
            &c,
            &format!(
                "INSERT INTO pd SELECT id + {}, 'y' FROM pd WHERE id <= 1000",
                from - 1
            ),
        )
        .await;
        assert_eq!(
            values(
                &c,
                &format!("SELECT count(*) FROM pd WHERE id BETWEEN {from} AND {to}")
            )
            .await,
            ["1000"]
        );
    }
    check_pd(&c).await;
    drop(c);
    cluster.kill_9_all().await;
    cluster.start_again();
    let c = cluster.connect().await;
    check_pd(&c).await;
    assert_eq!(values(&c, "SELECT count(*) FROM pd").await, ["5384"]);
    assert_eq!(
        values(&c, "SELECT count(*) FROM pd WHERE id BETWEEN 2000 AND 9999").await,
        ["3000"]
    );
}

/// The tree of `pd` is sound, and scans cross the range VACUUM emptied (rows
/// between 10,000 and 15,000 never come back).
async fn check_pd(c: &Client) {
    if !tests::against_pg15() {
        exec(c, "SELECT bt_index_check('pd_pkey', true)").await;
    }
    assert_eq!(
        values(c, "SELECT count(*) FROM pd WHERE id BETWEEN 500 AND 1500").await,
        ["501"]
    );
    assert_eq!(
        values(
            c,
            "SELECT id FROM pd WHERE id > 998 AND id < 2000 ORDER BY id LIMIT 4"
        )
        .await,
        ["999", "1000"]
    );
    assert_eq!(
        values(c, "SELECT id FROM pd WHERE id > 10000 ORDER BY id LIMIT 3").await,
        ["15001", "15002", "15003"]
    );
    assert_eq!(
        values(
            c,
            "SELECT id FROM pd WHERE id < 15003 AND id > 10000 ORDER BY id DESC LIMIT 4"
        )
        .await,
        ["15002", "15001"]
    );
}

/// An index scan that meets entries of deleted rows (no snapshot sees them) marks
/// them dead; inserts into their full leaf then drop them instead of splitting
/// (simple deletion), before any VACUUM: the index stays one leaf.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_of_deleted_rows_make_room_once_a_scan_has_met_them() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    exec(
        &c,
        "CREATE TABLE d (id int PRIMARY KEY, v int); CREATE INDEX d_v ON d (v)",
    )
    .await;
    exec(&c, "INSERT INTO d VALUES (1, 1)").await;
    for step in [1, 2, 4, 8, 16, 32, 64, 128] {
        exec(
            &c,
            &format!("INSERT INTO d SELECT id + {step}, v + {step} FROM d"),
        )
        .await;
    }
    exec(&c, "DELETE FROM d WHERE id > 256").await;
    exec(
        &c,
        "INSERT INTO d SELECT id + 256, v + 256 FROM d WHERE id <= 44",
    )
    .await;
    assert_eq!(
        values(&c, "SELECT pg_relation_size('d_v')").await,
        ["16384"]
    );
    exec(&c, "DELETE FROM d WHERE id <= 200").await;
    exec(&c, "SET enable_seqscan = off; SET enable_bitmapscan = off").await;
    assert_eq!(
        values(&c, "SELECT v FROM d WHERE v < 250 ORDER BY v LIMIT 3").await,
        ["201", "202", "203"]
    );
    // 300 more entries: with the 200 dead ones, 600 would not fit one leaf.
    exec(&c, "INSERT INTO d SELECT id + 1000, v + 1000 FROM d").await;
    exec(
        &c,
        "INSERT INTO d SELECT id + 2000, v + 2000 FROM d WHERE id <= 2100",
    )
    .await;
    assert_eq!(values(&c, "SELECT count(*) FROM d").await, ["400"]);
    assert_eq!(
        values(&c, "SELECT pg_relation_size('d_v')").await,
        ["16384"]
    );
    assert_eq!(
        values(&c, "SELECT count(*) FROM d WHERE v BETWEEN 1 AND 250").await,
        ["50"]
    );
    if !tests::against_pg15() {
        exec(
            &c,
            "SELECT bt_index_check('d_v', true); SELECT bt_index_check('d_pkey', true)",
        )
        .await;
    }
}

/// DROP INDEX CONCURRENTLY waits for a transaction that holds the table (it may be
/// reading through the index) while writers go on, then drops the index; it refuses
/// a transaction block, CASCADE and several names as PostgreSQL does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_index_concurrently_waits_for_readers_not_writers() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    exec(
        &c,
        "CREATE TABLE dc (id int PRIMARY KEY, v int); CREATE INDEX dc_v ON dc (v); CREATE INDEX dc_v2 ON dc (v)",
    )
    .await;
    exec(&c, "INSERT INTO dc VALUES (1, 10), (2, 20), (3, 30)").await;
    let reader = cluster.connect().await;
    exec(&reader, "BEGIN").await;
    assert_eq!(
        values(&reader, "SELECT id FROM dc WHERE v = 20").await,
        ["2"]
    );
    let dropper = start(cluster.connect().await, "DROP INDEX CONCURRENTLY dc_v");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !dropper.is_finished(),
        "DROP INDEX CONCURRENTLY must wait for a transaction holding the table"
    );
    // Writers are not held up meanwhile.
    let writer = cluster.connect().await;
    within(10, "an insert during DROP INDEX CONCURRENTLY", async {
        exec(&writer, "INSERT INTO dc VALUES (4, 40)").await;
    })
    .await;
    exec(&reader, "COMMIT").await;
    let (_, state) = within(30, "DROP INDEX CONCURRENTLY", dropper)
        .await
        .expect("dropper");
    assert_eq!(state, None);
    assert_eq!(
        values(
            &c,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'dc' ORDER BY 1"
        )
        .await,
        ["dc_pkey", "dc_v2"]
    );
    assert_eq!(values(&c, "SELECT id FROM dc WHERE v = 40").await, ["4"]);
    for (sql, code) in [
        ("DROP INDEX CONCURRENTLY dc_v2 CASCADE", "0A000"),
        ("DROP INDEX CONCURRENTLY dc_v2, dc_pkey", "0A000"),
        ("BEGIN; DROP INDEX CONCURRENTLY dc_v2", "25001"),
    ] {
        let e = c.batch_execute(sql).await.expect_err(sql);
        assert_eq!(sqlstate(&e), Some(code), "{sql}");
        let _ = c.batch_execute("ROLLBACK").await;
    }
    exec(&c, "DROP INDEX CONCURRENTLY IF EXISTS dc_v").await;
    exec(&c, "DROP INDEX CONCURRENTLY dc_v2").await;
    assert_eq!(
        values(
            &c,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'dc'"
        )
        .await,
        ["dc_pkey"]
    );
}

/// REINDEX TABLE CONCURRENTLY rebuilds every index of a table while writers go on:
/// the indexes keep their names, answer as the table does, and (on our server)
/// `bt_index_check` finds every row's entry; no copy is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_concurrently_rebuilds_while_writers_go_on() {
    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    exec(
        &setup,
        "CREATE TABLE rx (id int PRIMARY KEY, k int); CREATE INDEX rx_k ON rx (k)",
    )
    .await;
    exec(
        &setup,
        "INSERT INTO rx VALUES (1, 1), (2, 2), (3, 3), (4, 4)",
    )
    .await;
    for step in [4, 8, 16, 32, 64, 128, 256, 512, 1024] {
        exec(
            &setup,
            &format!("INSERT INTO rx SELECT id + {step}, (id + {step}) % 89 FROM rx"),
        )
        .await;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2i32 {
        let c = cluster.connect().await;
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut n = 0i32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 10 {
                let id = 100_000 + w * 100_000 + n;
                let sql = format!(
                    "INSERT INTO rx VALUES ({id}, {}); UPDATE rx SET k = k + 1 WHERE id = {}; DELETE FROM rx WHERE id = {}",
                    id % 89,
                    1 + (n * 13 + w) % 2048,
                    id - 3
                );
                c.batch_execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                n += 1;
            }
        }));
    }
    // A transaction that wrote before the rebuild began holds it up a while.
    let early = cluster.connect().await;
    exec(&early, "BEGIN; UPDATE rx SET k = k WHERE id = 1").await;
    let reindexer = start(cluster.connect().await, "REINDEX TABLE CONCURRENTLY rx");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !reindexer.is_finished(),
        "REINDEX CONCURRENTLY must wait for an older writer"
    );
    exec(&early, "COMMIT").await;
    let (_, state) = within(60, "REINDEX TABLE CONCURRENTLY", reindexer)
        .await
        .expect("reindex");
    assert_eq!(state, None, "REINDEX TABLE CONCURRENTLY failed");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        within(30, "writer", w).await.expect("writer");
    }
    assert_eq!(
        values(
            &setup,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'rx' ORDER BY 1"
        )
        .await,
        ["rx_k", "rx_pkey"]
    );
    if !tests::against_pg15() {
        exec(
            &setup,
            "SELECT bt_index_check('rx_k', true); SELECT bt_index_check('rx_pkey', true)",
        )
        .await;
    }
    for v in [0, 7, 88] {
        let by_index = values(
            &setup,
            &format!("SELECT id FROM rx WHERE k = {v} ORDER BY id"),
        )
        .await;
        let by_table = values(
            &setup,
            &format!("SELECT id FROM rx WHERE k + 0 = {v} ORDER BY id"),
        )
        .await;
        assert_eq!(by_index, by_table, "rows with k = {v}");
    }
    let e = setup
        .batch_execute("REINDEX SYSTEM CONCURRENTLY postgres")
        .await
        .expect_err("catalogs");
    assert_eq!(sqlstate(&e), Some("0A000"));
    exec(&setup, "REINDEX INDEX CONCURRENTLY rx_pkey").await;
    assert_eq!(
        values(&setup, "SELECT count(*) FROM rx WHERE id = 5").await,
        ["1"]
    );
}
