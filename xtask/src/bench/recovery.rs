//! `recovery`: how long a server takes to accept connections again after a crash,
//! with a given amount of WAL to replay.
//!
//! For each server, `prepare` makes the crash once, in a cluster of its own:
//!
//! ```text
//!   fresh cluster, max_wal_size >= 4GB and checkpoint_timeout 1h (no checkpoint while loading)
//!   bench_recovery_seed: 1,000 rows by INSERT ... VALUES, doubled 5 times (32,000 rows)
//!   CREATE TABLE bench_recovery; CHECKPOINT                  <- replay starts here
//!   INSERT INTO bench_recovery SELECT * FROM bench_recovery_seed, one transaction each,
//!     until pg_current_wal_insert_lsn() is BENCH_RECOVERY_MB past the checkpoint
//!   kill -9 of the postmaster and every process under it     <- the crashed image
//!   its shared memory released and its lock file removed (`release_crashed`)
//! ```
//!
//! Every round then copies the crashed image, writes the copy out (`sync`), spawns the
//! server on the copy and times it until the first `psql -c 'select 1'` succeeds, as
//! `startup` does: the figure covers reading the WAL, redo, and the end-of-recovery
//! checkpoint both servers run before they admit sessions. The copy is removed after
//! the round, the image after the last one.
//!
//! Why the seed table instead of doubling `bench_recovery` itself: a doubling can
//! overshoot the target by as much as the table already holds, a fixed step of 32,000
//! rows (about 5 MB of WAL) lands within one step of it, so that the two servers replay
//! nearly the same amount. Why a copy: the load is done once per server, and every
//! round starts from the same crash with nothing dirty in the kernel's page cache (after
//! a real kill -9 part of what the server wrote would still be dirty there and be written
//! during recovery, by an amount that depends on when the kernel last wrote back).
//!
//! Checked after each recovery: the table holds every committed row, and the WAL
//! insert position is past where it was at the crash.
//!
//! Other I/O on the machine shows in the figure: PostgreSQL fsyncs every file of the
//! directory before it replays (`recovery_init_sync_method`), and both servers fsync
//! at the end-of-recovery checkpoint.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use wal::segment::Lsn;

use super::server::{self, Kind, Transient};
use super::tables::{parse_lsn, psql_script, query_value, small_table_sql, wal_insert_lsn};
use super::workloads::{Better, Sample, Target, Workload};
use super::{Env, Plan};

const SEED_TABLE: &str = "bench_recovery_seed";
const TABLE: &str = "bench_recovery";
/// Rows loaded into the seed table by INSERT ... VALUES, then doubled.
const SEED_BASE_ROWS: u64 = 1000;
const SEED_DOUBLINGS: u32 = 5;

/// What `prepare` left for the rounds: the crashed data directory and what it holds.
#[derive(Clone, Debug)]
struct Crashed {
    /// Rows committed into [`TABLE`] before the kill.
    rows: u64,
    /// The insert position right after the CHECKPOINT, and at the kill.
    lsn_checkpoint: u64,
    lsn_end: u64,
    /// Seconds the load took.
    load_secs: f64,
    /// The size of the crashed data directory.
    dir_bytes: u64,
}

#[derive(Default)]
pub struct Recovery {
    crashed: Mutex<HashMap<Kind, Crashed>>,
}

/// The settings of the recovery clusters, beyond [`server::SETTINGS`]: no checkpoint
/// may start while the WAL is written (PostgreSQL starts one when about half of
/// `max_wal_size` was written since the last, ours at half).
fn settings(plan: &Plan) -> Vec<(&'static str, String)> {
    vec![
        (
            "max_wal_size",
            format!("{}MB", (4 * plan.recovery_mb).max(4096)),
        ),
        ("checkpoint_timeout", "1h".to_owned()),
    ]
}

/// PostgreSQL only: its dynamic shared memory segments (the statistics' area, created
/// at start-up) as files in the data directory's `pg_dynshmem` instead of
/// `/dev/shm`, so that the ones the killed server leaves go with its directory.
const PG_SETTINGS: &[(&str, &str)] = &[("dynamic_shared_memory_type", "mmap")];

/// Releases what the killed server of `dir` left outside its directory, as its next
/// start on that directory would, and removes its lock file: a start on a copy would
/// not find the former (PostgreSQL looks for its old System V segment under a key made
/// from the directory's inode), and the latter names a dead pid that another process
/// may have taken by the time a round starts (pids wrap at 32,768 on a small machine;
/// both servers then refuse to start, ours for any process, PostgreSQL for one of its
/// user). Neither server needs the lock file to see the crash: that is in pg_control.
///
/// - PostgreSQL: its System V segment (a 56-byte header; the rest of its memory went
///   with its processes), only if `postmaster.pid` names it, `postmaster` created it
///   and nobody is attached. Its dynamic shared memory is in the directory
///   ([`PG_SETTINGS`]).
/// - Ours: the POSIX segment `/dev/shm/oxipg.PID.N` that `postmaster.pid` names.
fn release_crashed(kind: Kind, dir: &Path, postmaster: i32) -> Result<(), String> {
    let pidfile = dir.join("postmaster.pid");
    let text =
        std::fs::read_to_string(&pidfile).map_err(|e| format!("{}: {e}", pidfile.display()))?;
    // Line 7: PostgreSQL's "   KEY   SHMID", ours' segment name.
    let line7 = text.lines().nth(6).unwrap_or("").trim();
    match kind {
        Kind::Postgres => {
            if let Some(shmid) = line7.split_whitespace().nth(1).and_then(|id| id.parse::<i64>().ok())
                && let Ok(table) = std::fs::read_to_string("/proc/sysvipc/shm")
                // key shmid perms size cpid lpid nattch ...
                && table.lines().skip(1).map(|l| l.split_whitespace().collect::<Vec<_>>()).any(|f| {
                    f.len() > 6 && f[1].parse::<i64>().ok() == Some(shmid) && f[4].parse::<i32>().ok() == Some(postmaster) && f[6] == "0"
                })
            {
                let st = Command::new("ipcrm")
                    .args(["-m", &shmid.to_string()])
                    .stdin(Stdio::null())
                    .status()
                    .map_err(|e| format!("ipcrm: {e}"))?;
                if !st.success() {
                    return Err(format!("ipcrm -m {shmid} failed: {st}"));
                }
            }
        }
        Kind::Ours => {
            if line7.starts_with(&format!("oxipg.{postmaster}.")) && !line7.contains('/') {
                let seg = Path::new("/dev/shm").join(line7);
                match std::fs::remove_file(&seg) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", seg.display())),
                }
            }
        }
    }
    std::fs::remove_file(&pidfile).map_err(|e| format!("{}: {e}", pidfile.display()))
}

/// The crashed image of `kind`.
fn image_dir(env: &Env, kind: Kind) -> PathBuf {
    env.work.join(format!("recovery-{}", kind.key()))
}

/// The copy a round recovers.
fn run_dir(env: &Env, kind: Kind) -> PathBuf {
    env.work.join(format!("recovery-{}-run", kind.key()))
}

/// The server's command line on `dir` (the log is shared by every start).
fn command(env: &Env, kind: Kind, dir: &Path, port: u16) -> Result<Command, String> {
    let log = env.work.join(format!("recovery-{}.log", kind.key()));
    match kind {
        Kind::Ours => {
            let mut c = server::ours_command(env, dir, port, &log)?;
            for (k, v) in settings(&env.plan) {
                c.arg("-c").arg(format!("{k}={v}"));
            }
            Ok(c)
        }
        // The settings are in the directory's postgresql.conf.
        Kind::Postgres => server::pg_command(dir, port, &log),
    }
}

/// Removes a directory when dropped (declared before the server that uses it, so
/// that the server is stopped first).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes in the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// Runs a command-line tool to its successful end.
fn tool(c: &mut Command) -> Result<(), String> {
    let st = c
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("{c:?}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{c:?} failed: {st}"))
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl Recovery {
    /// Starts a fresh cluster, writes the WAL, kills it; returns what the image holds.
    fn crash(env: &Env, kind: Kind) -> Result<Crashed, String> {
        let dir = image_dir(env, kind);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        if kind == Kind::Postgres {
            server::initdb_pg(&dir)?;
            let mut conf = settings(&env.plan);
            conf.extend(PG_SETTINGS.iter().map(|&(k, v)| (k, v.to_owned())));
            server::append_pg_settings(&dir, &conf)?;
        }
        // Our postmaster initialises the missing directory on its first start.
        let port = server::free_port()?;
        let mut t = Transient::spawn(kind, command(env, kind, &dir, port)?, &dir)?;
        server::wait_ready(env, port, Duration::from_secs(60), Some(t.child()))?;

        let mut setup = small_table_sql(SEED_TABLE, SEED_BASE_ROWS);
        for _ in 0..SEED_DOUBLINGS {
            setup.push_str(&format!(
                "INSERT INTO {SEED_TABLE} SELECT * FROM {SEED_TABLE};\n"
            ));
        }
        // The count sets the seed's hint bits before the checkpoint, on both servers.
        setup.push_str(&format!(
            "SELECT count(*) FROM {SEED_TABLE};\nCREATE TABLE {TABLE} (id int, abalance int, filler text);\nCHECKPOINT;\nSELECT pg_current_wal_insert_lsn()::text;\n"
        ));
        let out = psql_script(env, port, &setup)?;
        let lines: Vec<&str> = out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let seed_rows = SEED_BASE_ROWS << SEED_DOUBLINGS;
        let [count, lsn] = lines.as_slice() else {
            return Err(format!(
                "expected a count and an LSN from the set-up, got {out:?}"
            ));
        };
        if *count != seed_rows.to_string() {
            return Err(format!(
                "{SEED_TABLE} holds {count} rows, expected {seed_rows}"
            ));
        }
        let lsn_checkpoint = parse_lsn(lsn)?;

        let target = env.plan.recovery_mb * 1024 * 1024;
        let start = Instant::now();
        let step = format!(
            "INSERT INTO {TABLE} SELECT * FROM {SEED_TABLE};\nSELECT pg_current_wal_insert_lsn()::text;\n"
        );
        let (mut rows, mut lsn_end) = (0u64, lsn_checkpoint);
        let mut reported = Instant::now();
        while lsn_end - lsn_checkpoint < target {
            let lsn = parse_lsn(&psql_script(env, port, &step)?)?;
            // Less than a byte per row means the rows were not logged (or not inserted).
            if lsn < lsn_end + seed_rows {
                return Err(format!(
                    "{seed_rows} rows inserted wrote {} bytes of WAL",
                    lsn.saturating_sub(lsn_end)
                ));
            }
            lsn_end = lsn;
            rows += seed_rows;
            if reported.elapsed() < Duration::from_secs(2) && lsn_end - lsn_checkpoint < target {
                continue;
            }
            reported = Instant::now();
            let secs = start.elapsed().as_secs_f64();
            env.progress.status(&format!(
                "recovery: loading {kind}: {:.0} of {} MB of WAL, {rows} rows, {secs:.0} s ({:.1} MB/s)",
                mb(lsn_end - lsn_checkpoint),
                env.plan.recovery_mb,
                mb(lsn_end - lsn_checkpoint) / secs
            ));
        }
        let load_secs = start.elapsed().as_secs_f64();
        env.progress.status(&format!("recovery: kill -9 of {kind}"));
        let killed = t.kill_9_all()?;
        release_crashed(kind, &dir, killed.last().copied().unwrap_or(0))?;
        Ok(Crashed {
            rows,
            lsn_checkpoint,
            lsn_end,
            load_secs,
            dir_bytes: dir_bytes(&dir),
        })
    }

    /// One recovery from a copy of the image; returns the milliseconds to the first
    /// `select 1` and checks what the server recovered.
    fn recover(env: &Env, kind: Kind, crashed: &Crashed) -> Result<f64, String> {
        let (image, run) = (image_dir(env, kind), run_dir(env, kind));
        if run.exists() {
            std::fs::remove_dir_all(&run).map_err(|e| format!("{}: {e}", run.display()))?;
        }
        let _remove = RemoveOnDrop(run.clone());
        env.progress.status(&format!(
            "recovery: copying the crashed {kind} cluster ({:.0} MB)",
            mb(crashed.dir_bytes)
        ));
        // cp -a keeps PostgreSQL's owner and modes; sync -f writes out the file system.
        tool(
            Command::new("cp")
                .args(["-a", "--reflink=auto"])
                .arg(&image)
                .arg(&run),
        )?;
        tool(Command::new("sync").arg("-f").arg(&run))?;
        env.check_interrupted()?;

        let port = server::free_port()?;
        let cmd = command(env, kind, &run, port)?;
        let label = format!(
            "recovery: {kind} replaying {:.0} MB of WAL",
            mb(crashed.lsn_end - crashed.lsn_checkpoint)
        );
        env.progress.status(&label);
        let timeout = Duration::from_secs(300 + env.plan.recovery_mb);
        let start = Instant::now();
        let mut t = Transient::spawn(kind, cmd, &run)?;
        server::wait_ready_reporting(env, port, timeout, Some(t.child()), Some(&label))?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;

        let count = query_value(env, port, &format!("SELECT count(*) FROM {TABLE}"))?;
        if count != crashed.rows.to_string() {
            return Err(format!(
                "after recovery {TABLE} holds {count} rows, expected the {} committed before the kill",
                crashed.rows
            ));
        }
        let lsn = wal_insert_lsn(env, port)?;
        if lsn < crashed.lsn_end {
            return Err(format!(
                "after recovery the WAL insert position is {}, before the {} of the crash",
                Lsn(lsn),
                Lsn(crashed.lsn_end)
            ));
        }
        t.stop();
        Ok(ms)
    }
}

impl Workload for Recovery {
    fn name(&self) -> &'static str {
        "recovery"
    }
    fn description(&self) -> String {
        "spawn the server on a cluster killed with kill -9 after N MB (BENCH_RECOVERY_MB) of WAL since its last checkpoint \
         (INSERT ... SELECT of 100-byte rows) until the first psql -c 'select 1' succeeds: redo and the end-of-recovery \
         checkpoint; WAL MB and rows in the details"
            .into()
    }
    fn unit(&self) -> &'static str {
        "ms"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn needs_cluster(&self) -> bool {
        false
    }
    fn rounds(&self, plan: &Plan) -> usize {
        plan.recovery_rounds
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        let crashed = Self::crash(env, t.kind)?;
        self.crashed
            .lock()
            .map_err(|e| e.to_string())?
            .insert(t.kind, crashed);
        Ok(())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let crashed = self
            .crashed
            .lock()
            .map_err(|e| e.to_string())?
            .get(&t.kind)
            .cloned()
            .ok_or("no crashed cluster: prepare failed")?;
        let ms = Self::recover(env, t.kind, &crashed)?;
        Ok(Sample {
            value: ms,
            detail: json!({
                "ms": ms,
                "wal_mb": mb(crashed.lsn_end - crashed.lsn_checkpoint),
                "wal_bytes": crashed.lsn_end - crashed.lsn_checkpoint,
                "rows": crashed.rows,
                "lsn_checkpoint": Lsn(crashed.lsn_checkpoint).to_string(),
                "lsn_end": Lsn(crashed.lsn_end).to_string(),
                "load_secs": crashed.load_secs,
                "data_dir_mb": mb(crashed.dir_bytes),
            }),
        })
    }
    fn cleanup(&self, env: &Env, t: Target<'_>) {
        if let Ok(mut m) = self.crashed.lock() {
            m.remove(&t.kind);
        }
        for dir in [image_dir(env, t.kind), run_dir(env, t.kind)] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
