//! Crash recovery under load. Four sessions commit numbered rows while the cluster is
//! killed in one of two ways:
//!
//! - kill -9 of the postmaster and every process under it at one moment (a power cut of
//!   the processes: the kernel's page cache survives), then a start on the same data
//!   directory, which must recover;
//! - kill -9 of one client backend: the postmaster ends every other session, recovers
//!   and accepts connections again by itself (crash-restart).
//!
//! A session remembers a row only once its COMMIT (or its autocommit INSERT) has been
//! acknowledged. After recovery the check reads every table and requires:
//!
//! 1. every acknowledged `(client, n)` is in `acked`, exactly once;
//! 2. nothing is there that was not committed: a row that was never acknowledged must be
//!    the one operation in flight when its session died, and only if its COMMIT had been
//!    sent (n is never beyond the last one attempted);
//! 3. no transaction is half there: `pairs` holds both `(k, 1)` and `(k, -1)` of a pair
//!    transaction whose `acked` row is there and nothing of one whose row is not
//!    (`sum(v)` is 0), and each session's row in `counters` counts exactly its counter
//!    transactions present in `acked` (one version of that row, not two).
//!
//! The kill and check repeat for `OXIPG_CRASH_CYCLES` cycles (default 20); rows accumulate
//! across cycles. A clean restart and one more check end the run. Every choice (each
//! session's operations, the delay before the kill, which kill, which backend) comes from
//! `OXIPG_CRASH_SEED` (default 1, printed with every failure); how far the sessions got
//! when the kill landed does not, so a seed repeats the choices, not the interleaving.
//! `cargo xtask crash [--cycles N] [--seed S]` runs this file and prints its progress.
//!
//! A second test, `acknowledged_commits_survive_lost_and_torn_data_file_writes`, does to the
//! data files what a power cut can and kill -9 cannot: sessions commit, `CHECKPOINT` runs,
//! the data files are copied aside, the sessions commit on (the server writing pages out of
//! its 16 buffers) until kill -9 of every process; then `base/`, `global/` (but
//! `global/pg_control`) and `pg_xact/` are put back to the copy, as if every data-file write
//! since the checkpoint had been lost while the WAL survived, and one block per table gets
//! only the first part of the write the server made of it (a torn page). Recovery must bring
//! back every acknowledged commit, by the same check; then kill -9 and one more check show
//! that what recovery gave back is on disk. It runs once (about 3 s), with the same seed.
//!
//! The expectations are PostgreSQL 15's (both tests pass with `OXIPG_TEST_AGAINST_PG15=1`).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tests::{Cluster, Sig, process_exited, sqlstate, wait_until, within};
use tokio_postgres::{Client, SimpleQueryMessage};

/// The seed of every random choice: `OXIPG_CRASH_SEED` (decimal), else [`DEFAULT_SEED`].
const SEED_ENV: &str = "OXIPG_CRASH_SEED";
/// How many kill-and-check cycles: `OXIPG_CRASH_CYCLES`, else [`DEFAULT_CYCLES`].
const CYCLES_ENV: &str = "OXIPG_CRASH_CYCLES";
const DEFAULT_SEED: u64 = 1;
const DEFAULT_CYCLES: u32 = 20;

/// Sessions writing at the same time (clients 1..=CLIENTS).
const CLIENTS: i32 = 4;
/// The kill lands this many milliseconds after the sessions start (uniform in the range).
const KILL_DELAY_MS: std::ops::Range<u64> = 300..1500;
/// `pairs.k` is `client * PAIR_KEY_BASE + n`.
const PAIR_KEY_BASE: i32 = 1_000_000;
/// One operation that takes longer than this fails the test: a hung server must fail it,
/// never hang the suite.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// At most this many problems are listed in a failure message.
const PROBLEMS_SHOWN: usize = 30;

/// SplitMix64: the same sequence for a seed on every machine and with every version of
/// every crate (unlike `rand`'s `StdRng`), so that a printed seed stays meaningful.
struct Rng(u64);

impl Rng {
    /// A generator for one purpose (`stream`) of a run with `seed`.
    fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the modulo bias is irrelevant for these small `n`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a session does with its next number `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `INSERT INTO acked VALUES ($1, $2)` in autocommit, with parameters (extended
    /// protocol): the statement is its own commit.
    Single,
    /// `BEGIN`, `INSERT INTO pairs VALUES (k, 1)`, `INSERT INTO acked VALUES (client, n)`,
    /// `INSERT INTO pairs VALUES (k, -1)`, `COMMIT`, one round trip each (simple protocol).
    Pair,
    /// `BEGIN`, `UPDATE counters SET c = c + 1 WHERE client = ...`, `INSERT INTO acked
    /// VALUES (client, n)`, `COMMIT`, one round trip each.
    Counter,
}

impl Op {
    /// Half single-row inserts, a quarter of each kind of transaction.
    fn choose(rng: &mut Rng) -> Op {
        match rng.below(4) {
            0 | 1 => Op::Single,
            2 => Op::Pair,
            _ => Op::Counter,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Single => "single-row INSERT",
            Op::Pair => "pair transaction",
            Op::Counter => "counter transaction",
        })
    }
}

/// How a cycle kills the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kill {
    /// kill -9 of the postmaster and all its processes, then a start on the same directory.
    PowerCut,
    /// kill -9 of one session's backend; the postmaster crash-restarts.
    Backend { client: i32 },
}

impl fmt::Display for Kill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kill::PowerCut => f.write_str("kill -9 of the postmaster and all its processes"),
            Kill::Backend { client } => write!(f, "kill -9 of client {client}'s backend"),
        }
    }
}

/// Why the test believes a row is committed.
#[derive(Clone, Copy, Debug)]
enum Committed {
    /// Its COMMIT was acknowledged in this cycle.
    Acknowledged { cycle: u32 },
    /// It was in flight at a kill and was found after that cycle's recovery.
    FoundAfterRecovery { cycle: u32 },
}

impl fmt::Display for Committed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Committed::Acknowledged { cycle } => write!(f, "acknowledged in cycle {cycle}"),
            Committed::FoundAfterRecovery { cycle } => {
                write!(
                    f,
                    "in flight at the kill of cycle {cycle} and found after that recovery"
                )
            }
        }
    }
}

/// The operation a session was running when it died.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    n: i32,
    /// Whether its COMMIT (for `Op::Single`, the INSERT) had been sent: only then may it
    /// have committed.
    commit_sent: bool,
}

/// What the test knows about one session's rows, across cycles.
#[derive(Debug, Default)]
struct History {
    /// The operation of every `n` attempted so far (`ops[n - 1]`).
    ops: Vec<Op>,
    /// The rows known to be committed.
    committed: BTreeMap<i32, Committed>,
    /// The operation in flight when the session died in the current cycle.
    in_flight: Option<InFlight>,
}

impl History {
    fn op(&self, n: i32) -> Option<Op> {
        usize::try_from(n)
            .ok()?
            .checked_sub(1)
            .and_then(|i| self.ops.get(i))
            .copied()
    }

    fn last_attempted(&self) -> i32 {
        self.ops.len() as i32
    }
}

/// What one session did in one cycle.
#[derive(Debug)]
struct Run {
    client: i32,
    attempted: Vec<(i32, Op)>,
    acknowledged: Vec<i32>,
    in_flight: Option<InFlight>,
    /// The error that ended the session, and when; `None` if it ran out of time instead.
    ended_by: Option<(Instant, String)>,
}

/// Runs one session's operations from `first_n` on until one fails (the kill) or `until`.
async fn run_session(c: Client, client: i32, first_n: i32, mut rng: Rng, until: Instant) -> Run {
    let mut run = Run {
        client,
        attempted: Vec::new(),
        acknowledged: Vec::new(),
        in_flight: None,
        ended_by: None,
    };
    let mut n = first_n;
    while Instant::now() < until {
        assert!(n < PAIR_KEY_BASE, "client {client} ran out of numbers");
        let op = Op::choose(&mut rng);
        run.attempted.push((n, op));
        let mut commit_sent = false;
        let outcome = match tokio::time::timeout(
            OPERATION_TIMEOUT,
            execute(&c, client, n, op, &mut commit_sent),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "no answer within {} s",
                OPERATION_TIMEOUT.as_secs()
            )),
        };
        match outcome {
            Ok(()) => run.acknowledged.push(n),
            Err(e) => {
                run.in_flight = Some(InFlight { n, commit_sent });
                run.ended_by = Some((
                    Instant::now(),
                    format!("{op} (client {client}, n {n}): {e}"),
                ));
                break;
            }
        }
        n += 1;
    }
    run
}

/// One operation; `commit_sent` is set just before the statement that commits is sent.
async fn execute(
    c: &Client,
    client: i32,
    n: i32,
    op: Op,
    commit_sent: &mut bool,
) -> Result<(), String> {
    let statements = match op {
        Op::Single => {
            *commit_sent = true;
            return c
                .execute("INSERT INTO acked VALUES ($1, $2)", &[&client, &n])
                .await
                .map(drop)
                .map_err(|e| describe_error(&e));
        }
        Op::Pair => {
            let k = client * PAIR_KEY_BASE + n;
            vec![
                format!("INSERT INTO pairs VALUES ({k}, 1)"),
                format!("INSERT INTO acked VALUES ({client}, {n})"),
                format!("INSERT INTO pairs VALUES ({k}, -1)"),
            ]
        }
        Op::Counter => vec![
            format!("UPDATE counters SET c = c + 1 WHERE client = {client}"),
            format!("INSERT INTO acked VALUES ({client}, {n})"),
        ],
    };
    c.batch_execute("BEGIN")
        .await
        .map_err(|e| format!("BEGIN: {}", describe_error(&e)))?;
    for sql in &statements {
        c.batch_execute(sql)
            .await
            .map_err(|e| format!("{sql}: {}", describe_error(&e)))?;
    }
    *commit_sent = true;
    c.batch_execute("COMMIT")
        .await
        .map_err(|e| format!("COMMIT: {}", describe_error(&e)))
}

fn describe_error(e: &tokio_postgres::Error) -> String {
    match sqlstate(e) {
        Some(code) => format!("{e} (SQLSTATE {code})"),
        None => e.to_string(),
    }
}

/// Every row of the three tables, as the check reads them after recovery.
#[derive(Debug)]
struct Snapshot {
    acked: Vec<(i32, i32)>,
    pairs: Vec<(i32, i32)>,
    counters: Vec<(i32, i32)>,
    /// `SELECT sum(v) FROM pairs` (NULL when `pairs` is empty).
    pair_sum: Option<i64>,
}

/// The rows of `sql` (simple protocol, text values).
async fn query(c: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    let messages = c
        .simple_query(sql)
        .await
        .map_err(|e| format!("{sql}: {}", describe_error(&e)))?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect())
}

/// The two int columns of every row of `sql`.
async fn int_pairs(c: &Client, sql: &str) -> Result<Vec<(i32, i32)>, String> {
    let parse = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<i32>().ok());
    query(c, sql)
        .await?
        .iter()
        .map(
            |row| match (row.first().and_then(parse), row.get(1).and_then(parse)) {
                (Some(a), Some(b)) => Ok((a, b)),
                _ => Err(format!("{sql}: unexpected row {row:?}")),
            },
        )
        .collect()
}

async fn read_snapshot(c: &Client) -> Result<Snapshot, String> {
    let acked = int_pairs(c, "SELECT client, n FROM acked").await?;
    let pairs = int_pairs(c, "SELECT k, v FROM pairs").await?;
    let counters = int_pairs(c, "SELECT client, c FROM counters").await?;
    let sum_sql = "SELECT sum(v) FROM pairs";
    let sum = query(c, sum_sql).await?;
    let pair_sum = match sum.first().and_then(|r| r.first()) {
        Some(Some(s)) => Some(
            s.parse::<i64>()
                .map_err(|_| format!("{sum_sql}: not a number: {s:?}"))?,
        ),
        Some(None) => None,
        None => return Err(format!("{sum_sql}: no row")),
    };
    Ok(Snapshot {
        acked,
        pairs,
        counters,
        pair_sum,
    })
}

/// Compares what the cluster holds with what the sessions were told; the problems found
/// (empty if none) and, per client, the numbers present in `acked`.
fn check(
    histories: &BTreeMap<i32, History>,
    snap: &Snapshot,
) -> (Vec<String>, BTreeMap<i32, BTreeSet<i32>>) {
    let mut problems = Vec::new();

    // 1. `acked`: each row once, from a known session.
    let mut copies: BTreeMap<(i32, i32), usize> = BTreeMap::new();
    for &row in &snap.acked {
        *copies.entry(row).or_default() += 1;
    }
    let mut present: BTreeMap<i32, BTreeSet<i32>> =
        histories.keys().map(|&c| (c, BTreeSet::new())).collect();
    for (&(client, n), &count) in &copies {
        let Some(set) = present.get_mut(&client) else {
            problems.push(format!(
                "acked row (client {client}, n {n}) belongs to no session"
            ));
            continue;
        };
        if count > 1 {
            problems.push(format!(
                "acked row (client {client}, n {n}) is there {count} times, not once"
            ));
        }
        set.insert(n);
    }

    let mut summary = Vec::new();
    for (&client, h) in histories {
        let here = &present[&client];
        // 2. Every committed row is there (one line per session first, then each row) ...
        let missing: Vec<i32> = h
            .committed
            .keys()
            .copied()
            .filter(|n| !here.contains(n))
            .collect();
        if !missing.is_empty() {
            summary.push(format!(
                "client {client}: {} of its {} committed rows are missing from acked: n {} (last attempted n {})",
                missing.len(),
                h.committed.len(),
                ranges(&missing),
                h.last_attempted()
            ));
        }
        for n in missing {
            let op = h.op(n).map_or_else(|| "?".to_owned(), |op| op.to_string());
            problems.push(format!(
                "committed row (client {client}, n {n}, {op}, {}) is missing",
                h.committed[&n]
            ));
        }
        // ... and nothing else, but the operation in flight if it may have committed.
        for &n in here.difference(&h.committed.keys().copied().collect()) {
            let Some(op) = h.op(n) else {
                problems.push(format!(
                    "acked row (client {client}, n {n}) is there but n is beyond the last attempted, {}",
                    h.last_attempted()
                ));
                continue;
            };
            match h.in_flight {
                Some(f) if f.n == n && f.commit_sent => {}
                Some(f) if f.n == n => problems
                    .push(format!("acked row (client {client}, n {n}, {op}) is there but its COMMIT was never sent")),
                _ => problems.push(format!(
                    "acked row (client {client}, n {n}, {op}) is there but was never acknowledged \
                     (and was not in flight at this kill)"
                )),
            }
        }
    }

    // 3. `pairs`: both halves of a pair transaction whose acked row is there, nothing else.
    let mut halves: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for &(k, v) in &snap.pairs {
        halves.entry(k).or_default().push(v);
    }
    for (&k, vs) in &mut halves {
        let (client, n) = (k / PAIR_KEY_BASE, k % PAIR_KEY_BASE);
        let op = histories.get(&client).and_then(|h| h.op(n));
        if op != Some(Op::Pair) {
            problems.push(format!(
                "pairs rows with k = {k} {vs:?} belong to no pair transaction"
            ));
            continue;
        }
        vs.sort_unstable();
        if vs.as_slice() != [-1, 1] {
            problems.push(format!(
                "pair transaction (client {client}, n {n}) is half there: pairs holds v = {vs:?} for k = {k}, \
                 not [-1, 1]"
            ));
        }
        if !present[&client].contains(&n) {
            problems.push(format!(
                "pair transaction (client {client}, n {n}) is half there: its pairs rows (k = {k}) are there, \
                 its acked row is not"
            ));
        }
    }
    for (&client, h) in histories {
        for &n in &present[&client] {
            let k = client * PAIR_KEY_BASE + n;
            if h.op(n) == Some(Op::Pair) && !halves.contains_key(&k) {
                problems.push(format!(
                    "pair transaction (client {client}, n {n}) is half there: its acked row is there, \
                     its pairs rows (k = {k}) are not"
                ));
            }
        }
    }
    match snap.pair_sum {
        Some(0) => {}
        None if snap.pairs.is_empty() => {}
        other => problems.push(format!(
            "sum(v) over pairs is {other:?}, not 0 ({} rows)",
            snap.pairs.len()
        )),
    }

    // 4. `counters`: one row per session, counting its counter transactions that are there.
    for (&client, h) in histories {
        let expected = present[&client]
            .iter()
            .filter(|&&n| h.op(n) == Some(Op::Counter))
            .count();
        let rows: Vec<i32> = snap
            .counters
            .iter()
            .filter(|&&(c, _)| c == client)
            .map(|&(_, c)| c)
            .collect();
        match rows.as_slice() {
            [c] if usize::try_from(*c) == Ok(expected) => {}
            [c] => problems.push(format!(
                "counters row of client {client} is {c}, but {expected} of its counter transactions are in acked"
            )),
            _ => problems.push(format!(
                "counters holds {} rows for client {client} ({rows:?}), not one (expected c = {expected})",
                rows.len()
            )),
        }
    }
    for &(client, c) in &snap.counters {
        if !histories.contains_key(&client) {
            problems.push(format!(
                "counters row (client {client}, c {c}) belongs to no session"
            ));
        }
    }
    summary.append(&mut problems);
    (summary, present)
}

/// `1-3, 7, 9-10` for `[1, 2, 3, 7, 9, 10]` (sorted input).
fn ranges(ns: &[i32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ns.len() {
        let mut j = i;
        while j + 1 < ns.len() && ns[j + 1] == ns[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            ns[i].to_string()
        } else {
            format!("{}-{}", ns[i], ns[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Panics with the problems found after recovery and `rerun`, which says how to repeat the
/// run's choices.
fn fail(context: &str, rerun: &str, problems: &[String]) -> ! {
    let mut msg = format!(
        "crash recovery check failed: {context}\n{rerun}\n{} problem(s):",
        problems.len()
    );
    for p in problems.iter().take(PROBLEMS_SHOWN) {
        msg.push_str("\n  - ");
        msg.push_str(p);
    }
    if problems.len() > PROBLEMS_SHOWN {
        msg.push_str(&format!(
            "\n  ... and {} more",
            problems.len() - PROBLEMS_SHOWN
        ));
    }
    panic!("{msg}");
}

/// The line of a failure message that says how to repeat the run's choices.
fn rerun_hint(seed: u64, cycles: Option<u32>) -> String {
    match cycles {
        Some(cycles) => format!(
            "seed {seed}, {cycles} cycles; rerun the same choices with \
             `cargo xtask crash --seed {seed} --cycles {cycles}`"
        ),
        None => {
            format!("seed {seed}; rerun the same choices with `cargo xtask crash --seed {seed}`")
        }
    }
}

/// Reads the tables and checks them; panics with `context` on any problem. Returns the
/// numbers present per client and the number of rows read.
async fn verify(
    c: &Client,
    histories: &BTreeMap<i32, History>,
    context: &str,
    rerun: &str,
) -> (BTreeMap<i32, BTreeSet<i32>>, usize) {
    let snap = match read_snapshot(c).await {
        Ok(snap) => snap,
        Err(e) => fail(context, rerun, &[format!("reading the tables failed: {e}")]),
    };
    let (mut problems, present) = check(histories, &snap);
    if let Err(e) = check_indexes(c, &snap).await {
        problems.push(e);
    }
    if !problems.is_empty() {
        fail(context, rerun, &problems);
    }
    (
        present,
        snap.acked.len() + snap.pairs.len() + snap.counters.len(),
    )
}

/// The indexes agree with their tables: lookups through them (the planner uses an
/// index for an equality on its first column) find exactly the rows the table scans
/// found, and on our server `bt_index_check` finds the structure sound and every live
/// row's entry there (PostgreSQL has it only with the amcheck extension).
async fn check_indexes(c: &Client, snap: &Snapshot) -> Result<(), String> {
    let clients: BTreeSet<i32> = snap.counters.iter().map(|(client, _)| *client).collect();
    for client in clients {
        let mut by_scan: Vec<i32> = snap
            .acked
            .iter()
            .filter(|(c, _)| *c == client)
            .map(|(_, n)| *n)
            .collect();
        by_scan.sort_unstable();
        let mut by_index: Vec<i32> = int_pairs(
            c,
            &format!("SELECT client, n FROM acked WHERE client = {client}"),
        )
        .await?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
        by_index.sort_unstable();
        if by_scan != by_index {
            return Err(format!(
                "acked through its index for client {client}: {by_index:?}, by a table scan: {by_scan:?}"
            ));
        }
        let counter = int_pairs(
            c,
            &format!("SELECT client, c FROM counters WHERE client = {client}"),
        )
        .await?;
        let scanned: Vec<(i32, i32)> = snap
            .counters
            .iter()
            .filter(|(c, _)| *c == client)
            .copied()
            .collect();
        if counter != scanned {
            return Err(format!(
                "counters through its index for client {client}: {counter:?}, by a table scan: {scanned:?}"
            ));
        }
    }
    for (k, _) in snap.pairs.iter().take(20) {
        let through_index = int_pairs(c, &format!("SELECT k, v FROM pairs WHERE k = {k}")).await?;
        let scanned: Vec<(i32, i32)> = snap
            .pairs
            .iter()
            .filter(|(key, _)| key == k)
            .copied()
            .collect();
        if through_index.len() != scanned.len() {
            return Err(format!(
                "pairs through its index for k = {k}: {through_index:?}, by a table scan: {scanned:?}"
            ));
        }
    }
    if !tests::against_pg15() {
        for index in ["acked_pkey", "pairs_k", "counters_pkey"] {
            query(c, &format!("SELECT bt_index_check('{index}', true)")).await?;
        }
    }
    Ok(())
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// Creates the three tables, with each session's row of `counters` at 0.
async fn create_tables(cluster: &Cluster) {
    let setup = cluster.connect().await;
    let counters: Vec<String> = (1..=CLIENTS).map(|c| format!("({c}, 0)")).collect();
    let setup_sql = format!(
        "CREATE TABLE acked (client int, n int, PRIMARY KEY (client, n)); CREATE TABLE pairs (k int, v int); \
         CREATE INDEX pairs_k ON pairs (k); CREATE TABLE counters (client int PRIMARY KEY, c int); \
         INSERT INTO counters VALUES {}",
        counters.join(", ")
    );
    setup
        .batch_execute(&setup_sql)
        .await
        .unwrap_or_else(|e| panic!("{setup_sql}: {}", describe_error(&e)));
}

/// A connection for each session (clients 1..=CLIENTS), and the pid of its backend.
async fn open_sessions(
    cluster: &Cluster,
    context: &str,
) -> (Vec<(i32, Client)>, BTreeMap<i32, i32>) {
    let mut sessions = Vec::new();
    let mut backends = BTreeMap::new();
    for client in 1..=CLIENTS {
        let c = cluster.connect().await;
        let pid = query(&c, "SELECT pg_backend_pid()")
            .await
            .ok()
            .and_then(|rows| rows.first()?.first()?.as_deref()?.parse::<i32>().ok())
            .unwrap_or_else(|| panic!("{context}: no backend pid for client {client}"));
        backends.insert(client, pid);
        sessions.push((client, c));
    }
    (sessions, backends)
}

/// Starts the sessions' operations of `cycle`: each session goes on from its next number,
/// with its own generator (from the seed, the cycle and the client), until an operation
/// fails or `until`.
fn start_sessions(
    sessions: Vec<(i32, Client)>,
    histories: &BTreeMap<i32, History>,
    seed: u64,
    cycle: u32,
    until: Instant,
) -> Vec<tokio::task::JoinHandle<Run>> {
    sessions
        .into_iter()
        .map(|(client, c)| {
            let first_n = histories[&client].last_attempted() + 1;
            let rng = Rng::new(seed, (u64::from(cycle) << 8) | client as u64);
            tokio::spawn(run_session(c, client, first_n, rng, until))
        })
        .collect()
}

/// What the sessions of one cycle did, in numbers.
#[derive(Debug)]
struct Tally {
    acknowledged: usize,
    in_flight: usize,
}

/// Waits for the sessions of `cycle` to end and records what they did in `histories`.
/// `killed_at` is when the cluster was killed: every session must have failed after that
/// moment (the kill ended it). Without a kill (`None`) every session must have run out of
/// time instead. The problems, if a session ended otherwise.
async fn finish_sessions(
    handles: Vec<tokio::task::JoinHandle<Run>>,
    histories: &mut BTreeMap<i32, History>,
    cycle: u32,
    killed_at: Option<Instant>,
) -> Result<Tally, Vec<String>> {
    let mut runs = Vec::new();
    for h in handles {
        runs.push(
            within(60, "the sessions' end", h)
                .await
                .expect("session task"),
        );
    }
    let mut problems = Vec::new();
    let mut tally = Tally {
        acknowledged: 0,
        in_flight: 0,
    };
    for run in runs {
        let h = histories.get_mut(&run.client).expect("history");
        for &(n, op) in &run.attempted {
            assert_eq!(n, h.last_attempted() + 1, "numbers are consecutive");
            h.ops.push(op);
        }
        for &n in &run.acknowledged {
            h.committed.insert(n, Committed::Acknowledged { cycle });
        }
        tally.acknowledged += run.acknowledged.len();
        tally.in_flight += usize::from(run.in_flight.is_some());
        h.in_flight = run.in_flight;
        match (&run.ended_by, killed_at) {
            (Some((at, e)), Some(killed_at)) if *at < killed_at => problems.push(format!(
                "client {} failed {} ms before the kill: {e}",
                run.client,
                (killed_at - *at).as_millis()
            )),
            (Some(_), Some(_)) | (None, None) => {}
            (None, Some(_)) => problems.push(format!(
                "client {}'s session was still working 20 s after the kill",
                run.client
            )),
            (Some((_, e)), None) => problems.push(format!("client {} failed: {e}", run.client)),
        }
    }
    if problems.is_empty() {
        Ok(tally)
    } else {
        Err(problems)
    }
}

/// Once the check after a recovery has passed, what was in flight is decided: committed if
/// it is `present`, lost for good if not. Returns how many in-flight operations committed.
fn settle_in_flight(
    histories: &mut BTreeMap<i32, History>,
    present: &BTreeMap<i32, BTreeSet<i32>>,
    cycle: u32,
) -> usize {
    let mut committed = 0;
    for (client, h) in histories {
        for &n in &present[client] {
            if let Entry::Vacant(e) = h.committed.entry(n) {
                e.insert(Committed::FoundAfterRecovery { cycle });
                committed += 1;
            }
        }
        h.in_flight = None;
    }
    committed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_kill_9() {
    let seed: u64 = env_number(SEED_ENV, DEFAULT_SEED);
    let cycles: u32 = env_number(CYCLES_ENV, DEFAULT_CYCLES);
    assert!(cycles >= 1, "{CYCLES_ENV} must be at least 1");
    let rerun = rerun_hint(seed, Some(cycles));
    let test_started = Instant::now();
    // fsync on whatever the defaults become: the acknowledgement must mean durable.
    let mut cluster = Cluster::builder().setting("fsync", "on").start();
    eprintln!(
        "crash: {:?} server, seed {seed} ({SEED_ENV}), {cycles} cycles ({CYCLES_ENV}), {CLIENTS} sessions",
        cluster.flavor()
    );
    create_tables(&cluster).await;

    let mut histories: BTreeMap<i32, History> =
        (1..=CLIENTS).map(|c| (c, History::default())).collect();
    let mut choices = Rng::new(seed, 0);
    let mut previous_kill = None;
    for cycle in 1..=cycles {
        // The choices of this cycle, all from the seed. The first two cycles do one kill of
        // each kind, so that the default run covers both.
        let delay = Duration::from_millis(
            KILL_DELAY_MS.start + choices.below(KILL_DELAY_MS.end - KILL_DELAY_MS.start),
        );
        let victim = 1 + choices.below(CLIENTS as u64) as i32;
        let power_cut = match previous_kill {
            Some(Kill::PowerCut) if cycle == 2 => false,
            Some(Kill::Backend { .. }) if cycle == 2 => true,
            _ => choices.below(2) == 0,
        };
        let kill = if power_cut {
            Kill::PowerCut
        } else {
            Kill::Backend { client: victim }
        };
        previous_kill = Some(kill);
        let context = format!(
            "cycle {cycle} of {cycles}, {kill} {} ms after the sessions started",
            delay.as_millis()
        );

        let (sessions, backends) = open_sessions(&cluster, &context).await;
        let started = Instant::now();
        let handles = start_sessions(
            sessions,
            &histories,
            seed,
            cycle,
            started + delay + Duration::from_secs(20),
        );

        tokio::time::sleep(delay).await;
        let killed_at = Instant::now();
        match kill {
            Kill::PowerCut => {
                cluster.kill_9_all().await;
            }
            Kill::Backend { client } => cluster.signal_child(backends[&client], Sig::SIGKILL),
        }
        let tally = finish_sessions(handles, &mut histories, cycle, Some(killed_at))
            .await
            .unwrap_or_else(|problems| fail(&context, &rerun, &problems));

        // Recovery.
        match kill {
            Kill::PowerCut => cluster.start_again(),
            Kill::Backend { .. } => {
                // The postmaster ends every session before it recovers: once all are gone,
                // a new connection is one to the recovered cluster.
                let gone = wait_until(Duration::from_secs(15), || {
                    backends.values().all(|&pid| process_exited(pid))
                })
                .await;
                if !gone {
                    let left: Vec<_> = backends
                        .iter()
                        .filter(|&(_, &pid)| !process_exited(pid))
                        .collect();
                    let problem = format!(
                        "backends (client, pid) {left:?} outlived the crash-restart by 15 s"
                    );
                    fail(&context, &rerun, &[problem]);
                }
                assert!(
                    cluster.is_running(),
                    "{context}: the postmaster must survive a backend crash"
                );
            }
        }
        let checker = cluster
            .connect_retrying(Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| {
                fail(
                    &context,
                    &rerun,
                    &[format!(
                        "no connection within 30 s of recovery: {}",
                        describe_error(&e)
                    )],
                )
            });
        let back_after = killed_at.elapsed();
        let (present, rows) = verify(&checker, &histories, &context, &rerun).await;
        drop(checker);
        let in_flight_committed = settle_in_flight(&mut histories, &present, cycle);
        eprintln!(
            "crash: cycle {cycle}/{cycles}: {kill} after {} ms; {} operations acknowledged, {} in flight \
             ({in_flight_committed} of them committed); answering again after {:.2} s; {rows} rows checked",
            delay.as_millis(),
            tally.acknowledged,
            tally.in_flight,
            back_after.as_secs_f64()
        );
    }

    // A clean restart keeps exactly what recovery gave back.
    let context = format!("clean restart after cycle {cycles}");
    cluster.signal(Sig::SIGINT);
    if cluster.wait_exit(Duration::from_secs(30)).await.is_none() {
        fail(
            &context,
            &rerun,
            &["fast shutdown did not finish within 30 s".to_owned()],
        );
    }
    cluster.start_again();
    let checker = cluster.connect().await;
    let (_, rows) = verify(&checker, &histories, &context, &rerun).await;
    let committed: usize = histories.values().map(|h| h.committed.len()).sum();
    eprintln!(
        "crash: clean restart: {rows} rows checked, {committed} committed operations in all; {:.1} s in all",
        test_started.elapsed().as_secs_f64()
    );
}

/// The test tables and their indexes, in the order their files are compared and torn.
const TABLES: [&str; 6] = [
    "acked",
    "pairs",
    "counters",
    "acked_pkey",
    "pairs_k",
    "counters_pkey",
];
/// The directories under the data directory whose writes a power cut loses in
/// `acknowledged_commits_survive_lost_and_torn_data_file_writes`: the relation files and
/// the CLOG. `pg_wal/` survives (it was fsynced), and so does the control file.
const DATA_FILE_DIRS: [&str; 3] = ["base", "global", "pg_xact"];
/// Entries of `global/` that keep their state at the crash: `pg_control` (fsynced when it is
/// written, and naming the checkpoint recovery starts from) and our temporary file for
/// replacing it.
const CONTROL_FILE_PREFIX: &str = "pg_control";
/// Sessions commit this long before the checkpoint, so that the tables have pages in the
/// copy for the workload to change (and to tear).
const LOAD_BEFORE_CHECKPOINT: Duration = Duration::from_millis(500);
/// The power cut lands this many milliseconds after the workload starts (uniform in the
/// range).
const POWER_CUT_DELAY_MS: std::ops::Range<u64> = 1000..2000;
/// 16 buffers, the fewest either server accepts: the tables' pages are evicted, and so
/// written to their files, while the workload runs; these are the writes the power cut
/// loses. With the default 128MB nothing would be written before the kill.
const SMALL_SHARED_BUFFERS: &str = "128kB";
/// The block size of both servers' relation files.
const BLOCK_SIZE: usize = 8192;
/// A torn write keeps a prefix of the new version of a block, in whole sectors (a disk
/// writes a 512-byte sector whole or not at all; an 8 KiB block, not necessarily), and the
/// rest of the block's older version.
const SECTOR: usize = 512;
/// Where a torn block is cut when that gives a page that is neither version: after one
/// 4 KiB page of the kernel's.
const PREFERRED_TEAR: usize = 4096;
/// The generator of the choices of the lost-writes test (the sessions' own streams are
/// per cycle and client, as in the kill -9 test).
const LOST_WRITES_STREAM: u64 = 1 << 32;

/// `X/X`, as PostgreSQL prints an LSN.
fn lsn(v: u64) -> String {
    format!("{:X}/{:X}", v >> 32, v & 0xFFFF_FFFF)
}

/// The LSNs of the latest checkpoint record and of its redo point, from `global/pg_control`.
/// Both servers keep them at bytes 32..48 (PostgreSQL 15's `ControlFileData.checkPoint` and
/// `checkPointCopy.redo`, in the machine's byte order; ours `checkpoint` and `redo`,
/// little-endian).
fn latest_checkpoint(data_dir: &Path) -> (u64, u64) {
    let path = data_dir.join("global/pg_control");
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let word = |at: usize| {
        let b: [u8; 8] = bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .expect("pg_control is 8192 bytes");
        u64::from_le_bytes(b)
    };
    (word(32), word(40))
}

/// Each test table's file, relative to the data directory: `base/<database oid>/<relfilenode>`
/// on both servers (read from `pg_database` and `pg_class`; our server has no
/// `pg_relation_filepath`). Panics if a file is not there.
async fn table_files(cluster: &Cluster) -> Vec<(&'static str, PathBuf)> {
    let c = cluster.connect().await;
    let db = single_value(
        &c,
        "SELECT oid FROM pg_database WHERE datname = current_database()",
    )
    .await;
    let mut files = Vec::new();
    for table in TABLES {
        let node = single_value(
            &c,
            &format!("SELECT relfilenode FROM pg_class WHERE relname = '{table}'"),
        )
        .await;
        let path = Path::new("base").join(&db).join(node);
        assert!(
            cluster.data_dir().join(&path).is_file(),
            "the file of table {table} is not {} in the data directory",
            path.display()
        );
        files.push((table, path));
    }
    files
}

/// The one value `sql` returns; panics if it returns anything else.
async fn single_value(c: &Client, sql: &str) -> String {
    let rows = query(c, sql).await.unwrap_or_else(|e| panic!("{e}"));
    match rows.as_slice() {
        [row] if row.len() == 1 => row[0].clone().unwrap_or_else(|| panic!("{sql}: NULL")),
        _ => panic!("{sql}: {rows:?}, not one value"),
    }
}

/// `cp -a from to`: owners and modes kept (PostgreSQL's files belong to `postgres` when
/// the tests run as root, and it insists on their modes).
fn cp_a(from: &Path, to: &Path) -> Result<(), String> {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cp -a {} {} failed: {status}",
            from.display(),
            to.display()
        ));
    }
    Ok(())
}

/// Copies the [`DATA_FILE_DIRS`] of `data_dir` to `to`, but not the control file.
fn save_data_files(data_dir: &Path, to: &Path) -> Result<(), String> {
    for dir in DATA_FILE_DIRS {
        cp_a(&data_dir.join(dir), &to.join(dir))?;
    }
    let global = to.join("global");
    for entry in fs::read_dir(&global).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(CONTROL_FILE_PREFIX)
        {
            fs::remove_file(entry.path())
                .map_err(|e| format!("remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Puts the [`DATA_FILE_DIRS`] of `data_dir` back to their copy in `saved`: every entry is
/// removed (a file created since the copy too) and the copy's put in its place, but the
/// control file stays as it is.
fn restore_data_files(saved: &Path, data_dir: &Path) -> Result<(), String> {
    for dir in DATA_FILE_DIRS {
        let live = data_dir.join(dir);
        for entry in fs::read_dir(&live).map_err(|e| format!("{}: {e}", live.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if dir == "global"
                && entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(CONTROL_FILE_PREFIX)
            {
                continue;
            }
            let removed = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            removed.map_err(|e| format!("remove {}: {e}", path.display()))?;
        }
        cp_a(&saved.join(dir).join("."), &live)?;
    }
    Ok(())
}

/// Block `block` of a file's bytes (the whole blocks only).
fn block(file: &[u8], block: usize) -> &[u8] {
    &file[block * BLOCK_SIZE..(block + 1) * BLOCK_SIZE]
}

/// Where a write of the block `new` over `old` can be cut so that the page left is neither:
/// the sector boundaries with a difference on either side.
fn tear_points(new: &[u8], old: &[u8]) -> Vec<usize> {
    let differs =
        |s: &usize| new[s * SECTOR..(s + 1) * SECTOR] != old[s * SECTOR..(s + 1) * SECTOR];
    let sectors = 0..BLOCK_SIZE / SECTOR;
    match (sectors.clone().find(differs), sectors.rev().find(differs)) {
        (Some(first), Some(last)) => (first + 1..=last).map(|s| s * SECTOR).collect(),
        _ => Vec::new(),
    }
}

/// After the restore, for each table: compares its file at the crash (`at_crash`) with the
/// restored one, and tears one block of the restored file if it can. Of the blocks the
/// server wrote between the copy and the crash, one whose versions can be cut into a page
/// that is neither (see [`tear_points`]) gets the first bytes of its version at the crash
/// over the copy's, up to [`PREFERRED_TEAR`] if possible. Every block written since the
/// copy changed after the checkpoint's redo point, so both servers logged an image of it
/// with its first change since (PostgreSQL without checksums does not for hint bits alone,
/// but a page torn between two sets of hint bits is still a valid page). One line per
/// table.
fn tear_blocks(
    data_dir: &Path,
    files: &[(&'static str, PathBuf)],
    at_crash: &[Vec<u8>],
    choices: &mut Rng,
) -> Vec<String> {
    let mut report = Vec::new();
    for ((table, path), crashed) in files.iter().zip(at_crash) {
        let path = data_dir.join(path);
        let restored = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let common = crashed.len().min(restored.len()) / BLOCK_SIZE;
        let mut rewritten = 0;
        let mut tearable = Vec::new();
        for b in 0..common {
            let (new, old) = (block(crashed, b), block(&restored, b));
            if new != old {
                rewritten += 1;
                let points = tear_points(new, old);
                if !points.is_empty() {
                    tearable.push((b, points));
                }
            }
        }
        let torn = if tearable.is_empty() {
            "none torn (no block of the copy was rewritten in two sectors or more)".to_owned()
        } else {
            let (b, points) = &tearable[choices.below(tearable.len() as u64) as usize];
            let cut = if points.contains(&PREFERRED_TEAR) {
                PREFERRED_TEAR
            } else {
                points[choices.below(points.len() as u64) as usize]
            };
            let mut f = OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
            f.seek(SeekFrom::Start((b * BLOCK_SIZE) as u64))
                .and_then(|_| f.write_all(&block(crashed, *b)[..cut]))
                .unwrap_or_else(|e| panic!("tear block {b} of {}: {e}", path.display()));
            format!("block {b} torn after {cut} bytes")
        };
        report.push(format!(
            "{table}: {} blocks at the crash, {} in the copy, {rewritten} of them rewritten since; {torn}",
            crashed.len() / BLOCK_SIZE,
            restored.len() / BLOCK_SIZE
        ));
    }
    report
}

/// A power cut's effect on the data files, which kill -9 never has (the kernel's page cache
/// survives it). Sessions commit, `CHECKPOINT` runs, and the cluster's data files are
/// copied aside while every process of it is stopped. The workload then runs, the server
/// writing pages as its 16 buffers evict them, until kill -9 of every process. Then every
/// data-file write since the copy is lost: `base/`, `global/` (but `global/pg_control`) and
/// `pg_xact/` are put back to the copy, and in each table's file one block the server had
/// rewritten gets only the first part of that write, typically its first half (a torn
/// page). `pg_wal/` survives, as fsynced commits do. The restart must recover everything
/// acknowledged from the WAL, repairing the torn blocks from their full-page images.
///
/// Why the copy is a state recovery may start from: the checkpoint wrote every page changed
/// before its redo point, and the CLOG, and it completed before the copy; so whatever a page
/// lacks in the copy was changed after the redo point, in WAL from there on, beginning with
/// an image of the page (full_page_writes), and the commits the copy's CLOG lacks have their
/// commit records there. The control file must still name that checkpoint at the crash,
/// which the test checks (`checkpoint_timeout` and `max_wal_size` keep others away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_lost_and_torn_data_file_writes() {
    let seed: u64 = env_number(SEED_ENV, DEFAULT_SEED);
    let rerun = rerun_hint(seed, None);
    let test_started = Instant::now();
    let mut cluster = Cluster::builder()
        .setting("fsync", "on")
        .setting("full_page_writes", "on")
        .setting("shared_buffers", SMALL_SHARED_BUFFERS)
        .setting("checkpoint_timeout", "1h")
        .setting("max_wal_size", "1GB")
        .start();
    eprintln!(
        "crash: lost data-file writes: {:?} server, seed {seed} ({SEED_ENV}), {CLIENTS} sessions, shared_buffers \
         {SMALL_SHARED_BUFFERS}",
        cluster.flavor()
    );
    create_tables(&cluster).await;
    let files = table_files(&cluster).await;
    let mut histories: BTreeMap<i32, History> =
        (1..=CLIENTS).map(|c| (c, History::default())).collect();
    let mut choices = Rng::new(seed, LOST_WRITES_STREAM);

    // 1. Rows before the checkpoint (cycle 1), so that the copy has pages of every table.
    let context = "the sessions before the checkpoint";
    let (sessions, _) = open_sessions(&cluster, context).await;
    let handles = start_sessions(
        sessions,
        &histories,
        seed,
        1,
        Instant::now() + LOAD_BEFORE_CHECKPOINT,
    );
    let before = finish_sessions(handles, &mut histories, 1, None)
        .await
        .unwrap_or_else(|problems| fail(context, &rerun, &problems));

    // 2. The checkpoint, and the copy of the data files after it, taken while nothing runs.
    let c = cluster.connect().await;
    c.batch_execute("CHECKPOINT")
        .await
        .unwrap_or_else(|e| panic!("CHECKPOINT: {}", describe_error(&e)));
    drop(c);
    let saved = tempfile::Builder::new()
        .prefix("oxipg-crash-copy")
        .tempdir()
        .expect("tempdir");
    let stopped = cluster.stop_all().await;
    let checkpoint = latest_checkpoint(cluster.data_dir());
    let saving = save_data_files(cluster.data_dir(), saved.path());
    cluster.continue_all(&stopped);
    saving.unwrap_or_else(|e| panic!("copying the data files aside: {e}"));

    // 3. The workload (cycle 2), and kill -9 of every process.
    let (earliest, latest) = (POWER_CUT_DELAY_MS.start, POWER_CUT_DELAY_MS.end);
    let delay = Duration::from_millis(earliest + choices.below(latest - earliest));
    let context = format!(
        "power cut {} ms after the sessions started (cycle 2), losing every data-file write since the checkpoint \
         of cycle 1",
        delay.as_millis()
    );
    let (sessions, _) = open_sessions(&cluster, &context).await;
    let started = Instant::now();
    let handles = start_sessions(
        sessions,
        &histories,
        seed,
        2,
        started + delay + Duration::from_secs(20),
    );
    tokio::time::sleep(delay).await;
    let killed_at = Instant::now();
    cluster.kill_9_all().await;
    let during = finish_sessions(handles, &mut histories, 2, Some(killed_at))
        .await
        .unwrap_or_else(|problems| fail(&context, &rerun, &problems));

    // 4. What the power cut leaves: the copy, a torn block per table, the WAL and the control file.
    let at_kill = latest_checkpoint(cluster.data_dir());
    assert_eq!(
        at_kill,
        checkpoint,
        "the latest checkpoint (record, redo point) moved from ({}, {}) at the copy to ({}, {}) at the kill: the \
         copy is then no state recovery can start from, and the test has no point ({rerun})",
        lsn(checkpoint.0),
        lsn(checkpoint.1),
        lsn(at_kill.0),
        lsn(at_kill.1)
    );
    let at_crash: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, p)| {
            let path = cluster.data_dir().join(p);
            fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        })
        .collect();
    restore_data_files(saved.path(), cluster.data_dir())
        .unwrap_or_else(|e| panic!("restoring the copy: {e}"));
    let report = tear_blocks(cluster.data_dir(), &files, &at_crash, &mut choices);
    eprintln!(
        "crash: lost data-file writes: {} operations acknowledged before the checkpoint (redo point {}), {} after it \
         and {} in flight at the kill after {} ms; at {:.1} s the files are put back to the copy:\n  {}",
        before.acknowledged,
        lsn(checkpoint.1),
        during.acknowledged,
        during.in_flight,
        delay.as_millis(),
        test_started.elapsed().as_secs_f64(),
        report.join("\n  ")
    );

    // 5. Recovery must bring back every acknowledged commit from the WAL.
    cluster.start_again();
    let checker = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| {
            fail(
                &context,
                &rerun,
                &[format!(
                    "no connection within 30 s of recovery: {}",
                    describe_error(&e)
                )],
            )
        });
    let back_after = killed_at.elapsed();
    let (present, rows) = verify(&checker, &histories, &context, &rerun).await;
    drop(checker);
    let in_flight_committed = settle_in_flight(&mut histories, &present, 2);
    eprintln!(
        "crash: lost data-file writes: recovered ({in_flight_committed} of the operations in flight committed); \
         answering again after {:.2} s; {rows} rows checked",
        back_after.as_secs_f64()
    );

    // 6. What recovery gave back is on disk: kill -9 again at once, and start once more.
    let context = "kill -9 right after the recovery from lost data-file writes";
    cluster.kill_9_all().await;
    cluster.start_again();
    let checker = cluster
        .connect_retrying(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| {
            fail(
                context,
                &rerun,
                &[format!(
                    "no connection within 30 s of recovery: {}",
                    describe_error(&e)
                )],
            )
        });
    let (_, rows) = verify(&checker, &histories, context, &rerun).await;
    eprintln!(
        "crash: lost data-file writes: kill -9 after recovery: {rows} rows checked; {:.1} s in all",
        test_started.elapsed().as_secs_f64()
    );
}

/// The check itself, on made-up histories and tables: what each kind of damage reads like.
mod check_reports {
    use super::*;

    /// Client 1 attempted `ops` (n = 1, 2, ...), all acknowledged but the last, which was in
    /// flight with its COMMIT sent.
    fn one_session(ops: &[Op]) -> BTreeMap<i32, History> {
        let mut h = History {
            ops: ops.to_vec(),
            ..History::default()
        };
        for n in 1..ops.len() as i32 {
            h.committed.insert(n, Committed::Acknowledged { cycle: 1 });
        }
        h.in_flight = Some(InFlight {
            n: ops.len() as i32,
            commit_sent: true,
        });
        BTreeMap::from([(1, h)])
    }

    fn snapshot(acked: &[i32], pairs: &[(i32, i32)], counter: i32) -> Snapshot {
        let pair_sum = (!pairs.is_empty()).then(|| pairs.iter().map(|&(_, v)| i64::from(v)).sum());
        Snapshot {
            acked: acked.iter().map(|&n| (1, n)).collect(),
            pairs: pairs.iter().map(|&(n, v)| (PAIR_KEY_BASE + n, v)).collect(),
            counters: vec![(1, counter)],
            pair_sum,
        }
    }

    const OPS: [Op; 5] = [Op::Single, Op::Pair, Op::Counter, Op::Single, Op::Pair];

    #[test]
    fn an_intact_state_passes_with_or_without_the_operation_in_flight() {
        let h = one_session(&OPS);
        let (problems, present) = check(&h, &snapshot(&[1, 2, 3, 4], &[(2, 1), (2, -1)], 1));
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(present[&1], BTreeSet::from([1, 2, 3, 4]));
        let (problems, _) = check(
            &h,
            &snapshot(&[1, 2, 3, 4, 5], &[(2, 1), (2, -1), (5, -1), (5, 1)], 1),
        );
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn lost_and_duplicated_rows_are_named() {
        let h = one_session(&OPS);
        let (problems, _) = check(&h, &snapshot(&[1, 4, 4], &[], 0));
        assert_eq!(
            problems,
            [
                "client 1: 2 of its 4 committed rows are missing from acked: n 2-3 (last attempted n 5)",
                "acked row (client 1, n 4) is there 2 times, not once",
                "committed row (client 1, n 2, pair transaction, acknowledged in cycle 1) is missing",
                "committed row (client 1, n 3, counter transaction, acknowledged in cycle 1) is missing",
            ]
        );
    }

    #[test]
    fn rows_that_were_never_committed_are_named() {
        let mut h = one_session(&OPS);
        h.get_mut(&1).expect("client 1").in_flight = Some(InFlight {
            n: 5,
            commit_sent: false,
        });
        let (problems, _) = check(
            &h,
            &snapshot(&[1, 2, 3, 4, 5, 9], &[(2, 1), (2, -1), (5, 1), (5, -1)], 1),
        );
        assert_eq!(
            problems,
            [
                "acked row (client 1, n 5, pair transaction) is there but its COMMIT was never sent",
                "acked row (client 1, n 9) is there but n is beyond the last attempted, 5",
            ]
        );
    }

    #[test]
    fn half_transactions_are_named() {
        let h = one_session(&OPS);
        let (problems, _) = check(
            &h,
            &snapshot(&[1, 2, 3, 4, 5], &[(2, 1), (5, 1), (5, -1), (4, 1)], 2),
        );
        assert_eq!(
            problems,
            [
                "pair transaction (client 1, n 2) is half there: pairs holds v = [1] for k = 1000002, not [-1, 1]",
                "pairs rows with k = 1000004 [1] belong to no pair transaction",
                "sum(v) over pairs is Some(2), not 0 (4 rows)",
                "counters row of client 1 is 2, but 1 of its counter transactions are in acked",
            ]
        );
        let (problems, _) = check(&h, &snapshot(&[1, 3, 4], &[(2, 1), (2, -1)], 1));
        assert_eq!(
            problems[2],
            "pair transaction (client 1, n 2) is half there: its pairs rows (k = 1000002) are there, its acked row is not"
        );
        let mut two_versions = snapshot(&[1, 2, 3, 4], &[(2, 1), (2, -1)], 1);
        two_versions.counters.push((1, 0));
        let (problems, _) = check(&h, &two_versions);
        assert_eq!(
            problems,
            ["counters holds 2 rows for client 1 ([1, 0]), not one (expected c = 1)"]
        );
    }

    #[test]
    fn ranges_compress_runs() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(ranges(&[]), "");
    }
}
