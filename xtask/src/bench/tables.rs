//! The workloads over tables: a cached sequential scan, concurrent INSERT and UPDATE
//! through pgbench, the size an updated table grows to, and the WAL a one-row INSERT
//! or UPDATE writes.
//!
//! Each loads its data in `prepare` with the same SQL on both servers (plain
//! `CREATE TABLE` and multi-row `INSERT ... VALUES`, which both understand: no COPY,
//! no generate_series, no index), so that the servers scan, insert and update the same
//! rows. Figures are checked where a wrong answer would be cheaper than a right one:
//! the scans compare their results with the values computed here.
//!
//! ```text
//!   workload              table (rows)             measured
//!   seqscan_cached_count  bench_seq (Plan)         SELECT count(*), ms per query
//!   seqscan_cached_sum    bench_seq (shared)       SELECT sum(abalance) WHERE abalance > 0
//!   insert_8clients       bench_ins (emptied)      pgbench INSERT, tps
//!   update_8clients       bench_upd (1,000)        pgbench UPDATE by id (both scan), tps
//!   update_bloat          bench_bloat (1,000)      size after Plan::bloat_secs of updates, kB
//!   wal_bytes_insert      bench_wal_ins (emptied)  WAL bytes per one-row INSERT, from a CHECKPOINT
//!   wal_bytes_update      bench_wal_upd (1,000)    WAL bytes per one-row UPDATE, from a CHECKPOINT
//! ```
//!
//! The WAL workloads also check their work: the rows inserted, the sum updated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::server::{self, Kind};
use super::workloads::{Better, Length, Pgbench, Sample, Script, Target, Workload};
use super::{Env, Plan};

/// Longest any one psql script may run before it is killed (a hung server must not
/// hang the run); loading a large table on a slow server is the longest step.
const PSQL_TIMEOUT: Duration = Duration::from_secs(900);

/// Runs `script` through psql (`ON_ERROR_STOP`) on `port`; returns its standard output.
/// The error holds the last lines psql printed on standard error.
pub fn psql_script(env: &Env, port: u16, script: &str) -> Result<String, String> {
    let mut child = server::psql(port)
        .args(["-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("psql: {e}"))?;
    let pid = child.id() as i32;
    let done = Arc::new(AtomicBool::new(false));
    // The watchdog kills psql past the timeout or on Ctrl-C; `done` keeps it from
    // signalling a pid that was reaped and reused.
    let watchdog = {
        let done = Arc::clone(&done);
        let interrupted = Arc::clone(&env.interrupted);
        std::thread::spawn(move || {
            let deadline = Instant::now() + PSQL_TIMEOUT;
            while !done.load(Ordering::Acquire) {
                if Instant::now() > deadline || interrupted.load(Ordering::Relaxed) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    return true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            false
        })
    };
    let writer = child.stdin.take().map(|mut stdin| {
        let text = script.to_owned();
        std::thread::spawn(move || {
            // psql may stop reading (ON_ERROR_STOP): its exit status tells why.
            let _ = stdin.write_all(text.as_bytes());
        })
    });
    let out = child.wait_with_output();
    done.store(true, Ordering::Release);
    let killed = watchdog.join().unwrap_or(false);
    if let Some(w) = writer {
        let _ = w.join();
    }
    let out = out.map_err(|e| format!("psql: {e}"))?;
    env.check_interrupted()?;
    if killed {
        return Err(format!(
            "psql killed after {PSQL_TIMEOUT:?} without finishing"
        ));
    }
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(format!(
            "psql failed ({}): {}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The single value a one-row, one-column query returns.
pub(super) fn query_value(env: &Env, port: u16, sql: &str) -> Result<String, String> {
    let out = psql_script(env, port, &format!("{sql};\n"))?;
    Ok(out.trim().to_owned())
}

/// `abalance` of row `id`: spread over -5000..=5000, the same on both servers, about
/// half of it positive.
fn abalance(id: u64) -> i64 {
    (id.wrapping_mul(7919) % 10_001) as i64 - 5000
}

/// `filler` of row `id`: 84 characters, so that a row is about 100 bytes on disk.
pub(super) fn filler(id: u64) -> String {
    format!("{id:010}-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrst")
}

/// Rows per multi-row INSERT and per transaction when loading.
const ROWS_PER_INSERT: u64 = 1000;
const ROWS_PER_TRANSACTION: u64 = 50_000;

/// Creates `table (id int, abalance int, filler text)` afresh and loads rows 1..=rows
/// in transactions of [`ROWS_PER_TRANSACTION`] rows, reporting progress.
fn load_table(env: &Env, t: Target<'_>, table: &str, rows: u64) -> Result<(), String> {
    let port = t.server()?.port;
    psql_script(
        env,
        port,
        &format!(
            "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (id int, abalance int, filler text);\n"
        ),
    )?;
    let start = Instant::now();
    let mut next = 1u64;
    while next <= rows {
        let last = (next + ROWS_PER_TRANSACTION - 1).min(rows);
        let mut script = String::with_capacity(((last - next + 1) * 110) as usize);
        script.push_str("BEGIN;\n");
        let mut id = next;
        while id <= last {
            let end = (id + ROWS_PER_INSERT - 1).min(last);
            script.push_str(&format!("INSERT INTO {table} VALUES "));
            for i in id..=end {
                let sep = if i == end { ";\n" } else { "," };
                script.push_str(&format!("({i},{},'{}'){sep}", abalance(i), filler(i)));
            }
            id = end + 1;
        }
        script.push_str("COMMIT;\n");
        psql_script(env, port, &script)
            .map_err(|e| format!("loading {table}, rows {next}..{last}: {e}"))?;
        next = last + 1;
        let secs = start.elapsed().as_secs_f64();
        env.progress.status(&format!(
            "loading {table} into {}: {} of {rows} rows, {secs:.0} s ({:.0} rows/s)",
            t.kind,
            last,
            last as f64 / secs
        ));
    }
    Ok(())
}

/// Parses psql's `\timing` lines ("Time: 12.345 ms" or "Time: 1234.567 ms (00:01.235)").
pub(super) fn timings_ms(out: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|r| r.split_whitespace().next())
        .filter_map(|n| n.parse().ok())
        .collect()
}

pub(super) fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The query a [`SeqScan`] times.
#[derive(Clone, Copy)]
pub enum ScanQuery {
    Count,
    SumPositive,
}

/// A full scan of `bench_seq` (`Plan::seqscan_rows` rows of about 100 bytes), warmed
/// up so that the table is in memory: in shared buffers where it fits, in the
/// operating system's page cache otherwise (PostgreSQL scans a table larger than a
/// quarter of shared_buffers through a small ring of buffers). The figure is the
/// median of `Plan::query_reps` runs in one psql session, timed by psql's `\timing`.
///
/// Both scan workloads read the same table: `prepare` loads it only when it does not
/// already hold the expected rows.
pub struct SeqScan {
    pub name: &'static str,
    pub query: ScanQuery,
}

const SEQ_TABLE: &str = "bench_seq";

impl SeqScan {
    fn sql(&self) -> String {
        match self.query {
            ScanQuery::Count => format!("SELECT count(*) FROM {SEQ_TABLE}"),
            ScanQuery::SumPositive => {
                format!("SELECT sum(abalance) FROM {SEQ_TABLE} WHERE abalance > 0")
            }
        }
    }

    fn expected(&self, rows: u64) -> String {
        match self.query {
            ScanQuery::Count => rows.to_string(),
            ScanQuery::SumPositive => (1..=rows)
                .map(abalance)
                .filter(|&a| a > 0)
                .sum::<i64>()
                .to_string(),
        }
    }

    /// Runs the query `reps` times; returns the time of each run in ms.
    fn run(&self, env: &Env, port: u16, reps: usize) -> Result<Vec<f64>, String> {
        let mut script = String::from("\\timing on\n");
        for _ in 0..reps {
            script.push_str(&self.sql());
            script.push_str(";\n");
        }
        let out = psql_script(env, port, &script)?;
        let expected = self.expected(env.plan.seqscan_rows);
        if let Some(wrong) = out
            .lines()
            .filter(|l| {
                !l.starts_with("Time: ") && !l.starts_with("Timing is") && !l.trim().is_empty()
            })
            .find(|l| l.trim() != expected)
        {
            return Err(format!(
                "{} returned {wrong:?}, expected {expected}",
                self.sql()
            ));
        }
        let times = timings_ms(&out);
        if times.len() != reps {
            return Err(format!(
                "expected {reps} \\timing lines from psql, got {}: {out}",
                times.len()
            ));
        }
        Ok(times)
    }
}

impl Workload for SeqScan {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> String {
        format!(
            "{}: N rows (BENCH_SEQSCAN_ROWS) of about 100 bytes, cached; ms per query",
            self.sql()
        )
    }
    fn unit(&self) -> &'static str {
        "ms"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        let rows = env.plan.seqscan_rows;
        let port = t.server()?.port;
        if query_value(env, port, &format!("SELECT count(*) FROM {SEQ_TABLE}"))
            .is_ok_and(|n| n == rows.to_string())
        {
            return Ok(());
        }
        load_table(env, t, SEQ_TABLE, rows)?;
        // PostgreSQL sets hint bits on the first scan; do it here for both servers.
        psql_script(env, port, &format!("VACUUM {SEQ_TABLE};\n")).map(|_| ())
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        self.run(env, t.server()?.port, 2).map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let times = self.run(env, t.server()?.port, env.plan.query_reps)?;
        let ms = median(&times);
        Ok(Sample {
            value: ms,
            detail: json!({ "ms": ms, "runs_ms": times, "rows": env.plan.seqscan_rows }),
        })
    }
}

/// A pgbench workload over a table: `setup` (SQL) runs in `prepare`, `before_each`
/// (SQL) before the warm-up and before every measured run, outside the timing.
pub struct TablePgbench {
    pub bench: Pgbench,
    pub setup: String,
    pub before_each: Option<String>,
    pub note: &'static str,
}

impl Workload for TablePgbench {
    fn name(&self) -> &'static str {
        self.bench.name
    }
    fn description(&self) -> String {
        format!("{}{}", self.bench.description(), self.note)
    }
    fn unit(&self) -> &'static str {
        "tps"
    }
    fn better(&self) -> Better {
        Better::Higher
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        psql_script(env, t.server()?.port, &self.setup).map(|_| ())
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        if let Some(sql) = &self.before_each {
            psql_script(env, t.server()?.port, sql)?;
        }
        self.bench.warm_up(env, t)
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        if let Some(sql) = &self.before_each {
            psql_script(env, t.server()?.port, sql)?;
        }
        self.bench.measure(env, t)
    }
}

/// `CREATE TABLE name (id int, abalance int, filler text)` with rows 1..=rows, as one
/// script (for the small tables).
pub(super) fn small_table_sql(table: &str, rows: u64) -> String {
    let mut s = format!(
        "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (id int, abalance int, filler text);\nINSERT INTO {table} VALUES "
    );
    for i in 1..=rows {
        let sep = if i == rows { ";\n" } else { "," };
        s.push_str(&format!("({i},0,'{}'){sep}", filler(i)));
    }
    s
}

pub fn insert_8clients() -> TablePgbench {
    TablePgbench {
        bench: Pgbench {
            name: "insert_8clients",
            what: "INSERT INTO bench_ins VALUES (random id, random v, 'x'), one row per transaction",
            script: Script::Custom("\\set id random(1, 1000000000)\n\\set v random(-5000, 5000)\nINSERT INTO bench_ins VALUES (:id, :v, 'x');\n"),
            mode: "simple",
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        },
        setup: "DROP TABLE IF EXISTS bench_ins;\nCREATE TABLE bench_ins (id int, v int, filler text);\n".into(),
        before_each: Some("TRUNCATE bench_ins;\n".into()),
        note: "; the table is truncated before each run",
    }
}

pub fn update_8clients() -> TablePgbench {
    TablePgbench {
        bench: Pgbench {
            name: "update_8clients",
            what: "UPDATE bench_upd SET abalance = abalance + 1 WHERE id = random(1, 1000), 1,000 rows",
            script: Script::Custom(
                "\\set id random(1, 1000)\nUPDATE bench_upd SET abalance = abalance + 1 WHERE id = :id;\n",
            ),
            mode: "simple",
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        },
        setup: small_table_sql("bench_upd", 1000),
        before_each: Some("VACUUM bench_upd;\n".into()),
        note: "; no index on either server, so both scan the table for the row: fair, not what an indexed PostgreSQL would do; VACUUM before each run",
    }
}

/// The size of a table after `Plan::bloat_secs` of pgbench updates by 8 clients on
/// its 1,000 rows, with whatever reclaims space on each server running as it does
/// by default (PostgreSQL: HOT pruning and autovacuum; ours: no autovacuum yet).
/// The table is created afresh for every sample. PostgreSQL's figure is
/// `pg_relation_size`; ours (which has no such function yet) is the size of the
/// relation's main-fork segment files, `base/<database oid>/<relfilenode>[.N]`.
pub struct UpdateBloat;

const BLOAT_TABLE: &str = "bench_bloat";
const BLOAT_ROWS: u64 = 1000;

impl UpdateBloat {
    fn bench() -> Pgbench {
        Pgbench {
            name: "update_bloat",
            what: "",
            script: Script::Custom(
                "\\set id random(1, 1000)\n\\set delta random(-5000, 5000)\nUPDATE bench_bloat SET abalance = abalance + :delta WHERE id = :id;\n",
            ),
            mode: "simple",
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        }
    }

    /// The table's main fork in bytes.
    fn size_bytes(env: &Env, t: Target<'_>) -> Result<(u64, String), String> {
        let server = t.server()?;
        match t.kind {
            Kind::Postgres => {
                let v = query_value(
                    env,
                    server.port,
                    &format!("SELECT pg_relation_size('{BLOAT_TABLE}')"),
                )?;
                let n = v
                    .parse()
                    .map_err(|_| format!("pg_relation_size gave {v:?}"))?;
                Ok((n, "pg_relation_size".into()))
            }
            Kind::Ours => {
                let rfn = query_value(
                    env,
                    server.port,
                    &format!("SELECT relfilenode FROM pg_class WHERE relname = '{BLOAT_TABLE}'"),
                )?;
                if rfn.is_empty() || !rfn.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("relfilenode of {BLOAT_TABLE}: {rfn:?}"));
                }
                let db_dir = Self::database_dir(env, server.port, &server.dir, &rfn)?;
                let mut total = 0u64;
                for segno in 0.. {
                    let name = if segno == 0 {
                        rfn.clone()
                    } else {
                        format!("{rfn}.{segno}")
                    };
                    match std::fs::metadata(db_dir.join(&name)) {
                        Ok(m) => total += m.len(),
                        Err(_) if segno > 0 => break,
                        Err(e) => return Err(format!("{}: {e}", db_dir.join(&name).display())),
                    }
                }
                Ok((total, db_dir.join(&rfn).display().to_string()))
            }
        }
    }

    /// `base/<oid>` of the current database: from pg_database where the server has
    /// it, else the one directory under `base` holding a file named `rfn`.
    fn database_dir(env: &Env, port: u16, data: &Path, rfn: &str) -> Result<PathBuf, String> {
        let base = data.join("base");
        if let Ok(oid) = query_value(
            env,
            port,
            "SELECT oid FROM pg_database WHERE datname = current_database()",
        ) && !oid.is_empty()
            && oid.bytes().all(|b| b.is_ascii_digit())
            && base.join(&oid).join(rfn).is_file()
        {
            return Ok(base.join(oid));
        }
        let rd = std::fs::read_dir(&base).map_err(|e| format!("{}: {e}", base.display()))?;
        let found: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|d| d.join(rfn).is_file())
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!(
                "relfilenode {rfn}: {} candidates under {}",
                found.len(),
                base.display()
            )),
        }
    }
}

impl Workload for UpdateBloat {
    fn name(&self) -> &'static str {
        "update_bloat"
    }
    fn description(&self) -> String {
        "size of a 1,000-row table after N s (BENCH_BLOAT_SECS) of pgbench -c 8 UPDATEs by id, autovacuum on in PostgreSQL, \
         none in ours yet; ours measured as its relation file; tps in the details"
            .into()
    }
    fn unit(&self) -> &'static str {
        "kB"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn rounds(&self, plan: &Plan) -> usize {
        plan.bloat_rounds
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let port = t.server()?.port;
        psql_script(env, port, &small_table_sql(BLOAT_TABLE, BLOAT_ROWS))?;
        let (before, _) = Self::size_bytes(env, t)?;
        let run = Self::bench().run(env, port, env.plan.bloat_secs)?;
        let (after, source) = Self::size_bytes(env, t)?;
        let rows = query_value(env, port, &format!("SELECT count(*) FROM {BLOAT_TABLE}"))?;
        if rows != BLOAT_ROWS.to_string() {
            return Err(format!(
                "{BLOAT_TABLE} holds {rows} rows after the updates, expected {BLOAT_ROWS}"
            ));
        }
        let kb = after as f64 / 1024.0;
        Ok(Sample {
            value: kb,
            detail: json!({
                "size_kb": kb,
                "size_before_kb": before as f64 / 1024.0,
                "measured_by": source,
                "seconds": env.plan.bloat_secs,
                "pgbench": run.detail,
            }),
        })
    }
}

/// Where the server will insert its next WAL record: `pg_current_wal_insert_lsn()`,
/// whose `X/X` text is parsed here.
pub(super) fn wal_insert_lsn(env: &Env, port: u16) -> Result<u64, String> {
    let text = query_value(env, port, "SELECT pg_current_wal_insert_lsn()::text")?;
    parse_lsn(&text)
}

/// `X/X` (two hexadecimal halves of a 64-bit WAL position, as `pg_lsn` prints it).
pub(super) fn parse_lsn(text: &str) -> Result<u64, String> {
    wal::segment::Lsn::parse(text.trim())
        .map(|l| l.0)
        .ok_or_else(|| format!("pg_current_wal_insert_lsn() gave {text:?}, not an LSN (X/X)"))
}

/// Which one-row statement a [`WalBytes`] runs.
#[derive(Clone, Copy)]
pub enum WalStatement {
    /// `INSERT INTO bench_wal_ins VALUES (random id, random v, 'x')`, into a table
    /// emptied before each run (as in `insert_8clients`).
    Insert,
    /// `UPDATE bench_wal_upd SET abalance = abalance + 1 WHERE id = random(1, 1000)`
    /// on a 1,000-row table made afresh before each run (as in `update_8clients`).
    Update,
}

/// WAL bytes written per single-row transaction: `Plan::wal_transactions`
/// autocommit statements through one pgbench session (`-c 1 -t N`), between two
/// readings of `pg_current_wal_insert_lsn()`. Each run starts right after a
/// `CHECKPOINT`, so that on both servers the first change of each existing page in
/// the run writes a full-page image (PostgreSQL's `full_page_writes`, our page images
/// after a checkpoint) and the figure includes them. Anything else writing WAL at the
/// same time (PostgreSQL's autovacuum, our background processes) is counted too:
/// the servers are otherwise idle.
///
/// The result is checked: the INSERT run must leave N rows, the UPDATE run must
/// raise the table's `sum(abalance)` by N (a server that skipped the work would
/// write less WAL).
pub struct WalBytes {
    pub name: &'static str,
    pub statement: WalStatement,
}

const WAL_INS_TABLE: &str = "bench_wal_ins";
const WAL_UPD_TABLE: &str = "bench_wal_upd";
const WAL_UPD_ROWS: u64 = 1000;

impl WalBytes {
    fn bench(&self) -> Pgbench {
        let script = match self.statement {
            WalStatement::Insert => {
                "\\set id random(1, 1000000000)\n\\set v random(-5000, 5000)\nINSERT INTO bench_wal_ins VALUES (:id, :v, 'x');\n"
            }
            WalStatement::Update => {
                "\\set id random(1, 1000)\nUPDATE bench_wal_upd SET abalance = abalance + 1 WHERE id = :id;\n"
            }
        };
        Pgbench {
            name: self.name,
            what: "",
            script: Script::Custom(script),
            mode: "simple",
            connect_per_tx: false,
            clients: 1,
            threads: 1,
            init_scale: None,
        }
    }

    /// The table in its starting state, its hint bits set (a scan sets them on both
    /// servers), then a checkpoint.
    fn reset_sql(&self) -> String {
        match self.statement {
            WalStatement::Insert => format!("TRUNCATE {WAL_INS_TABLE};\nCHECKPOINT;\n"),
            WalStatement::Update => format!(
                "{}SELECT count(*) FROM {WAL_UPD_TABLE};\nCHECKPOINT;\n",
                small_table_sql(WAL_UPD_TABLE, WAL_UPD_ROWS)
            ),
        }
    }

    /// The check after a run of `n` transactions: the query and the answer it must give.
    fn check(&self, n: u64) -> (String, String) {
        match self.statement {
            WalStatement::Insert => (
                format!("SELECT count(*) FROM {WAL_INS_TABLE}"),
                n.to_string(),
            ),
            // small_table_sql starts every abalance at 0.
            WalStatement::Update => (
                format!("SELECT sum(abalance) FROM {WAL_UPD_TABLE}"),
                n.to_string(),
            ),
        }
    }
}

impl Workload for WalBytes {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> String {
        let what = match self.statement {
            WalStatement::Insert => "one-row INSERT (as insert_8clients) into an emptied table",
            WalStatement::Update => {
                "one-row UPDATE by id (as update_8clients) on a fresh 1,000-row table"
            }
        };
        format!(
            "WAL bytes per {what}: pg_current_wal_insert_lsn() before and after N autocommit transactions (pgbench -c 1 -t N), \
             from a CHECKPOINT: both servers' figures include their full-page images after it"
        )
    }
    fn unit(&self) -> &'static str {
        "B"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn rounds(&self, plan: &Plan) -> usize {
        plan.wal_rounds
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        let sql = match self.statement {
            WalStatement::Insert => format!(
                "DROP TABLE IF EXISTS {WAL_INS_TABLE};\nCREATE TABLE {WAL_INS_TABLE} (id int, v int, filler text);\n"
            ),
            WalStatement::Update => return Ok(()),
        };
        psql_script(env, t.server()?.port, &sql).map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let port = t.server()?.port;
        let n = env.plan.wal_transactions;
        psql_script(env, port, &self.reset_sql())?;
        let before = wal_insert_lsn(env, port)?;
        let run = self.bench().run_for(env, port, Length::Transactions(n))?;
        let after = wal_insert_lsn(env, port)?;
        let bytes = after.checked_sub(before).ok_or_else(|| {
            format!("the WAL insert position went back, from {before:#x} to {after:#x}")
        })?;
        let (query, expected) = self.check(n);
        let got = query_value(env, port, &query)?;
        if got != expected {
            return Err(format!(
                "{query} gave {got:?} after {n} transactions, expected {expected}"
            ));
        }
        let per_tx = bytes as f64 / n as f64;
        Ok(Sample {
            value: per_tx,
            detail: json!({
                "bytes_per_transaction": per_tx,
                "transactions": n,
                "wal_bytes": bytes,
                "lsn_before": wal::segment::Lsn(before).to_string(),
                "lsn_after": wal::segment::Lsn(after).to_string(),
                "pgbench": run.detail,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_lsn;

    #[test]
    fn lsn_text() {
        assert_eq!(parse_lsn("0/16B3748"), Ok(0x16B_3748));
        assert_eq!(parse_lsn("1/0\n"), Ok(1 << 32));
        assert_eq!(parse_lsn("FFFFFFFF/FFFFFFFF"), Ok(u64::MAX));
        assert!(parse_lsn("16B3748").is_err());
        assert!(parse_lsn("ERROR").is_err());
    }
}

/// pgbench's four tables at scale `scale`, made with plain SQL as `pgbench -i`
/// makes them (same columns, rows and primary keys; multi-row INSERTs rather than
/// `pgbench -i`'s COPY, which `copy_in` measures on its own), then VACUUM and
/// ANALYZE on both servers. Skipped if the tables are already there at this scale.
pub(super) fn ensure_pgbench_tables(env: &Env, t: Target<'_>, scale: u64) -> Result<(), String> {
    let port = t.server()?.port;
    if query_value(env, port, "SELECT count(*) FROM pgbench_branches")
        .ok()
        .as_deref()
        == Some(scale.to_string().as_str())
    {
        return Ok(());
    }
    psql_script(
        env,
        port,
        "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers;\n\
         CREATE TABLE pgbench_history(tid int,bid int,aid int,delta int,mtime timestamp,filler char(22));\n\
         CREATE TABLE pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84));\n\
         CREATE TABLE pgbench_accounts(aid int not null,bid int,abalance int,filler char(84));\n\
         CREATE TABLE pgbench_branches(bid int not null,bbalance int,filler char(88));\n",
    )?;
    let mut small = String::from("BEGIN;\n");
    for b in 1..=scale {
        small.push_str(&format!(
            "INSERT INTO pgbench_branches(bid,bbalance) VALUES ({b},0);\n"
        ));
    }
    for tid in 1..=scale * 10 {
        small.push_str(&format!(
            "INSERT INTO pgbench_tellers(tid,bid,tbalance) VALUES ({tid},{},0);\n",
            (tid - 1) / 10 + 1
        ));
    }
    small.push_str("COMMIT;\n");
    psql_script(env, port, &small)?;
    let rows = scale * 100_000;
    let start = Instant::now();
    let mut next = 1u64;
    while next <= rows {
        let last = (next + ROWS_PER_TRANSACTION - 1).min(rows);
        let mut script = String::from("BEGIN;\n");
        let mut id = next;
        while id <= last {
            let end = (id + ROWS_PER_INSERT - 1).min(last);
            script.push_str("INSERT INTO pgbench_accounts(aid,bid,abalance,filler) VALUES ");
            for i in id..=end {
                let sep = if i == end { ";\n" } else { "," };
                script.push_str(&format!("({i},{},0,''){sep}", (i - 1) / 100_000 + 1));
            }
            id = end + 1;
        }
        script.push_str("COMMIT;\n");
        psql_script(env, port, &script)
            .map_err(|e| format!("loading pgbench_accounts, rows {next}..{last}: {e}"))?;
        next = last + 1;
        let secs = start.elapsed().as_secs_f64();
        env.progress.status(&format!(
            "loading pgbench_accounts into {}: {last} of {rows} rows, {secs:.0} s",
            t.kind
        ));
    }
    psql_script(
        env,
        port,
        "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid);\n\
         ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid);\n\
         ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid);\n\
         VACUUM pgbench_branches;\nVACUUM pgbench_tellers;\nVACUUM pgbench_accounts;\nVACUUM pgbench_history;\n\
         ANALYZE;\n",
    )?;
    Ok(())
}

/// A built-in pgbench script (`-b tpcb-like`, `-b select-only`) over pgbench's
/// tables at scale [`Plan::pgbench_scale`].
pub struct PgbenchBuiltin {
    pub bench: Pgbench,
}

impl Workload for PgbenchBuiltin {
    fn name(&self) -> &'static str {
        self.bench.name
    }
    fn description(&self) -> String {
        format!(
            "{}; pgbench's tables with primary keys, loaded with SQL",
            self.bench.description()
        )
    }
    fn unit(&self) -> &'static str {
        "tps"
    }
    fn better(&self) -> Better {
        Better::Higher
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        ensure_pgbench_tables(env, t, env.plan.pgbench_scale)
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        self.bench.warm_up(env, t)
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        self.bench.measure(env, t)
    }
}

/// A custom pgbench script (`-f`) with joins over pgbench's tables, `-M MODE -c 8
/// -j 2`; like [`pgbench_builtin`] it loads the tables in `prepare`.
pub fn pgbench_join(
    name: &'static str,
    what: &'static str,
    script: &'static str,
    mode: &'static str,
) -> PgbenchBuiltin {
    PgbenchBuiltin {
        bench: Pgbench {
            name,
            what,
            script: Script::Custom(script),
            mode,
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        },
    }
}

/// The join workloads: a lookup (one account by key joined to its branch:
/// the index nested loop) and a range of 100 accounts joined to the tellers
/// of their branch (a hash of the tellers), each in both protocols.
pub fn join_workloads() -> Vec<PgbenchBuiltin> {
    const LOOKUP: &str = "\\set aid random(1, 100000)\n\
        SELECT a.abalance, b.bbalance FROM pgbench_accounts a JOIN pgbench_branches b ON b.bid = a.bid WHERE a.aid = :aid;\n";
    const RANGE: &str = "\\set aid random(1, 99900)\n\
        SELECT count(*), sum(t.tbalance) FROM pgbench_accounts a JOIN pgbench_tellers t ON t.bid = a.bid WHERE a.aid BETWEEN :aid AND :aid + 99;\n";
    vec![
        pgbench_join(
            "join_lookup_simple",
            "an account by key joined to its branch",
            LOOKUP,
            "simple",
        ),
        pgbench_join(
            "join_lookup_prepared",
            "an account by key joined to its branch",
            LOOKUP,
            "prepared",
        ),
        pgbench_join(
            "join_range_simple",
            "100 accounts joined to their branch's tellers",
            RANGE,
            "simple",
        ),
        pgbench_join(
            "join_range_prepared",
            "100 accounts joined to their branch's tellers",
            RANGE,
            "prepared",
        ),
    ]
}

/// `pgbench -i -s SCALE` into a database of its own: the rows per second of
/// its client-side generate step (the COPY of pgbench_accounts, with the
/// INSERTs of the branches and tellers).
pub struct CopyIn;

impl CopyIn {
    fn run(env: &Env, port: u16) -> Result<Sample, String> {
        let scale = env.plan.pgbench_scale;
        let out = Command::new(format!("{}/pgbench", server::PG_BIN))
            .args([
                "-i",
                "-q",
                "-s",
                &scale.to_string(),
                "-h",
                "127.0.0.1",
                "-p",
            ])
            .arg(port.to_string())
            .args(["-U", "postgres", COPY_DB])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pgbench -i: {e}"))?;
        env.check_interrupted()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("pgbench -i failed: {}", stderr.trim()));
        }
        // "done in 0.45 s (drop tables 0.00 s, ..., client-side generate 0.27 s, ...)."
        let secs = stderr
            .split("client-side generate ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or_else(|| format!("no generate time in pgbench's output: {stderr}"))?;
        let rows = 100_000.0 * scale as f64;
        Ok(Sample {
            value: rows / secs.max(0.001),
            detail: json!({ "rows": rows, "generate_seconds": secs, "scale": scale }),
        })
    }
}

/// The database [`CopyIn`] loads into (pgbench -i drops and makes its tables).
const COPY_DB: &str = "bench_copy";

impl Workload for CopyIn {
    fn name(&self) -> &'static str {
        "copy_in"
    }
    fn description(&self) -> String {
        "pgbench -i: COPY of pgbench_accounts from the client (rows per second of its generate step)"
            .into()
    }
    fn unit(&self) -> &'static str {
        "rows/s"
    }
    fn better(&self) -> Better {
        Better::Higher
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        let port = t.server()?.port;
        psql_script(
            env,
            port,
            &format!(
                "DROP DATABASE IF EXISTS {COPY_DB};
CREATE DATABASE {COPY_DB};
"
            ),
        )
        .map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        Self::run(env, t.server()?.port)
    }
    fn cleanup(&self, env: &Env, t: Target<'_>) {
        if let Ok(s) = t.server() {
            let _ = psql_script(
                env,
                s.port,
                &format!(
                    "DROP DATABASE IF EXISTS {COPY_DB};
"
                ),
            );
        }
    }
}

/// `pgbench -b SCRIPT -M MODE -c 8 -j 2` over pgbench's tables.
pub fn pgbench_builtin(
    name: &'static str,
    script: &'static str,
    mode: &'static str,
) -> PgbenchBuiltin {
    PgbenchBuiltin {
        bench: Pgbench {
            name,
            what: if script == "tpcb-like" {
                "pgbench's TPC-B-like transaction"
            } else {
                "pgbench's select-only transaction"
            },
            script: Script::Builtin(script),
            mode,
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        },
    }
}

/// What an [`IndexBuild`] workload reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexFigure {
    /// Milliseconds of `CREATE INDEX` (psql's `\timing`).
    BuildTime,
    /// The index's size in bytes (`pg_relation_size`) after the build.
    Size,
}

/// `CREATE INDEX` over the scan workloads' table (`bench_seq`, BENCH_SEQSCAN_ROWS rows)
/// on one column: `id` (int4, ascending in the heap) or `filler` (84-byte text): its
/// build time, or the size of the index it builds.
pub struct IndexBuild {
    pub name: &'static str,
    pub column: &'static str,
    pub figure: IndexFigure,
}

impl IndexBuild {
    fn index(&self) -> String {
        format!("{SEQ_TABLE}_{}_bench", self.column)
    }

    /// Drops and builds the index; returns the build's milliseconds.
    fn build(&self, env: &Env, port: u16) -> Result<f64, String> {
        let index = self.index();
        let out = psql_script(
            env,
            port,
            &format!(
                "DROP INDEX IF EXISTS {index};\n\\timing on\nCREATE INDEX {index} ON {SEQ_TABLE} ({});\n",
                self.column
            ),
        )?;
        timings_ms(&out)
            .last()
            .copied()
            .ok_or_else(|| format!("no \\timing line for CREATE INDEX: {out}"))
    }
}

impl Workload for IndexBuild {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> String {
        let what = match self.figure {
            IndexFigure::BuildTime => "time of",
            IndexFigure::Size => "size of the index built by",
        };
        format!(
            "{what} CREATE INDEX ON {SEQ_TABLE} ({}), N rows (BENCH_SEQSCAN_ROWS)",
            self.column
        )
    }
    fn unit(&self) -> &'static str {
        match self.figure {
            IndexFigure::BuildTime => "ms",
            IndexFigure::Size => "bytes",
        }
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        SeqScan {
            name: "seqscan_cached_count",
            query: ScanQuery::Count,
        }
        .prepare(env, t)
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        // Reads the table into the cache as the first build would.
        psql_script(
            env,
            t.server()?.port,
            &format!("SELECT count(*) FROM {SEQ_TABLE};\n"),
        )
        .map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let port = t.server()?.port;
        let ms = self.build(env, port)?;
        let bytes: u64 = query_value(
            env,
            port,
            &format!("SELECT pg_relation_size('{}')", self.index()),
        )?
        .parse()
        .map_err(|e| format!("pg_relation_size: {e}"))?;
        let value = match self.figure {
            IndexFigure::BuildTime => ms,
            IndexFigure::Size => bytes as f64,
        };
        Ok(Sample {
            value,
            detail: json!({ "build_ms": ms, "index_bytes": bytes, "rows": env.plan.seqscan_rows }),
        })
    }
    fn cleanup(&self, env: &Env, t: Target<'_>) {
        if let Ok(s) = t.server() {
            let _ = psql_script(
                env,
                s.port,
                &format!("DROP INDEX IF EXISTS {};\n", self.index()),
            );
        }
    }
}
