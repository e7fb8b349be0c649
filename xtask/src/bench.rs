//! `cargo xtask bench [--quick] [--only NAME[,NAME]] [--out DIR]`: our server against
//! PostgreSQL 15, side by side, in the same run, as ratios.
//!
//! On a shared machine absolute figures drift with whatever else runs; ratios taken
//! in one run, with the servers alternated round by round (PostgreSQL then ours, ours
//! then PostgreSQL, ...), hold much better. Each workload gets one unmeasured warm-up
//! per server and then several rounds; the figure is the median, the spread the
//! half-range (max - min) / 2 relative to it.
//!
//! The ratio is ours/PostgreSQL where higher is better (throughput) and
//! PostgreSQL/ours where lower is better (time, memory): above 1.0 we lead.
//!
//! - `server`: starting and stopping both servers (guards stop them on error and Ctrl-C)
//! - `workloads`: the [`workloads::Workload`] trait and every workload
//! - `tables`: the workloads over tables (scan, INSERT, UPDATE, bloat, WAL bytes)
//! - `recovery`: crash recovery after a given amount of WAL
//! - `analytic`: analytic queries over pgbench's tables, INSERT ... SELECT
//! - `report`: the terminal table, the JSON with every raw figure, the SVG chart

mod analytic;
mod recovery;
pub(crate) mod report;
pub(crate) mod server;
mod tables;
mod workloads;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;

use server::{Kind, Server};
use workloads::{Better, Target, Workload};

/// Command-line options of `cargo xtask bench`.
#[derive(Debug)]
pub struct Options {
    pub quick: bool,
    /// Workload names; empty means all.
    pub only: Vec<String>,
    pub out: Option<PathBuf>,
    pub list: bool,
    /// Use the release binaries already in target/release.
    pub no_build: bool,
}

/// How long and how often: `--quick` or the full run. Four sizes can be set from the
/// environment: `BENCH_SEQSCAN_ROWS` (rows of the scanned table), `BENCH_BLOAT_SECS`
/// (seconds of updates before the table's size is taken), `BENCH_RECOVERY_MB`
/// (megabytes of WAL that `recovery` replays) and `BENCH_PGBENCH_SCALE` (pgbench's
/// scale for the tpcb-like and select-only workloads).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Seconds of each pgbench warm-up run.
    pub warmup_secs: u32,
    /// Seconds of each measured pgbench run.
    pub secs: u32,
    /// Measured rounds of the pgbench workloads.
    pub rounds: usize,
    pub startup_rounds: usize,
    pub mem_rounds: usize,
    /// Rows of the table the scan workloads read.
    pub seqscan_rows: u64,
    /// Runs of a query per scan sample (the sample is their median).
    pub query_reps: usize,
    /// Seconds of updates before `update_bloat` takes the table's size, and its rounds.
    pub bloat_secs: u32,
    pub bloat_rounds: usize,
    /// One-row transactions per `wal_bytes_*` sample, and their rounds.
    pub wal_transactions: u64,
    pub wal_rounds: usize,
    /// Megabytes of WAL written before the crash that `recovery` times, and its rounds.
    pub recovery_mb: u64,
    pub recovery_rounds: usize,
    /// `pgbench -s`: pgbench's tables hold 100,000 accounts per unit.
    pub pgbench_scale: u64,
}

impl Plan {
    fn new(quick: bool) -> Result<Plan, String> {
        let mut plan = if quick {
            // About four minutes on 2 CPUs, most of it the pgbench workloads
            // (16 of them, each 2 x (1 + 3 x 2) seconds).
            Plan {
                warmup_secs: 1,
                secs: 2,
                rounds: 3,
                startup_rounds: 3,
                mem_rounds: 2,
                seqscan_rows: 200_000,
                query_reps: 3,
                bloat_secs: 10,
                bloat_rounds: 1,
                wal_transactions: 500,
                wal_rounds: 2,
                recovery_mb: 64,
                recovery_rounds: 2,
                pgbench_scale: 1,
            }
        } else {
            Plan {
                warmup_secs: 4,
                secs: 8,
                rounds: 5,
                startup_rounds: 7,
                mem_rounds: 3,
                seqscan_rows: 1_000_000,
                query_reps: 5,
                bloat_secs: 60,
                bloat_rounds: 1,
                wal_transactions: 2000,
                wal_rounds: 3,
                recovery_mb: 1024,
                recovery_rounds: 3,
                pgbench_scale: 10,
            }
        };
        if let Some(n) = env_number("BENCH_SEQSCAN_ROWS")? {
            plan.seqscan_rows = n;
        }
        if let Some(n) = env_number("BENCH_BLOAT_SECS")? {
            plan.bloat_secs =
                u32::try_from(n).map_err(|_| format!("BENCH_BLOAT_SECS={n} is too large"))?;
        }
        if let Some(n) = env_number("BENCH_RECOVERY_MB")? {
            plan.recovery_mb = n;
        }
        if let Some(n) = env_number("BENCH_PGBENCH_SCALE")? {
            plan.pgbench_scale = n;
        }
        Ok(plan)
    }
}

/// A positive integer from the environment, if the variable is set.
fn env_number(var: &str) -> Result<Option<u64>, String> {
    match std::env::var(var) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{var} must be a positive integer, not {v:?}")),
        },
    }
}

/// Where cargo put the release binaries: `$CARGO_TARGET_DIR/release` when that is
/// set (relative to the workspace root, as cargo reads it), else `target/release`.
pub(crate) fn release_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(d) => super::workspace_root().join(d).join("release"),
        None => super::workspace_root().join("target/release"),
    }
}

/// Whether `--only NAME` selects workload `w`: its exact name, or a family of
/// workloads named `NAME_...` (`--only seqscan_cached` selects both scans).
fn selects(name: &str, w: &str) -> bool {
    w == name
        || w.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// What every workload call gets: paths, the plan, the interrupt flag, the progress line.
pub struct Env {
    /// The scratch directory (data directories, logs, scripts); removed at the end.
    pub work: PathBuf,
    /// target/release, holding our postmaster and backend.
    pub ours_bin: PathBuf,
    /// shared/pg15/start.
    pub pg_start: PathBuf,
    pub plan: Plan,
    interrupted: Arc<AtomicBool>,
    progress: Progress,
}

impl Env {
    /// An environment for another task that starts the two servers the way bench does
    /// (`cargo xtask plans`): `name` begins its progress lines; the plan is `--quick`'s.
    pub(crate) fn for_task(
        name: &'static str,
        work: PathBuf,
        ours_bin: PathBuf,
        pg_start: PathBuf,
        interrupted: Arc<AtomicBool>,
    ) -> Result<Env, String> {
        Ok(Env {
            work,
            ours_bin,
            pg_start,
            plan: Plan::new(true)?,
            interrupted,
            progress: Progress {
                name,
                tty: std::io::stderr().is_terminal(),
                start: Instant::now(),
            },
        })
    }

    /// Rewrites the progress line (a new line when stderr is not a terminal).
    pub(crate) fn status(&self, msg: &str) {
        self.progress.status(msg);
    }

    /// Ends the progress line, before a table is printed.
    pub(crate) fn status_done(&self) {
        self.progress.done();
    }

    pub fn check_interrupted(&self) -> Result<(), String> {
        if self.interrupted.load(Ordering::Relaxed) {
            Err("interrupted".into())
        } else {
            Ok(())
        }
    }
}

/// One status line on stderr, rewritten in place on a terminal.
struct Progress {
    /// The task's name, at the start of each line.
    name: &'static str,
    tty: bool,
    start: Instant,
}

impl Progress {
    fn status(&self, msg: &str) {
        let secs = self.start.elapsed().as_secs();
        let line = format!("{} [{:>2}:{:02}] {msg}", self.name, secs / 60, secs % 60);
        if self.tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn done(&self) {
        if self.tty {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The samples of one workload on one server.
#[derive(Debug, Default)]
pub struct Series {
    pub values: Vec<f64>,
    pub details: Vec<Value>,
}

impl Series {
    pub fn median(&self) -> Option<f64> {
        let mut v = self.values.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }

    pub fn min(&self) -> Option<f64> {
        self.values.iter().copied().reduce(f64::min)
    }

    pub fn max(&self) -> Option<f64> {
        self.values.iter().copied().reduce(f64::max)
    }

    /// Half the range, relative to the median, in percent.
    pub fn spread_pct(&self) -> Option<f64> {
        let (m, lo, hi) = (self.median()?, self.min()?, self.max()?);
        (m != 0.0).then(|| (hi - lo) / 2.0 / m * 100.0)
    }
}

/// Everything measured for one workload.
pub struct Outcome {
    pub name: &'static str,
    pub description: String,
    pub unit: &'static str,
    pub better: Better,
    pub postgres: Series,
    pub ours: Series,
    pub error: Option<String>,
}

impl Outcome {
    /// Above 1.0 we lead: ours/PostgreSQL for throughput, PostgreSQL/ours for time and memory.
    pub fn ratio(&self) -> Option<f64> {
        let (pg, ours) = (self.postgres.median()?, self.ours.median()?);
        let r = match self.better {
            Better::Higher => ours / pg,
            Better::Lower => pg / ours,
        };
        r.is_finite().then_some(r)
    }
}

pub(crate) fn pg_start_script() -> PathBuf {
    let beside = super::workspace_root().join("../shared/pg15/start");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("/work/shared/pg15/start")
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    let all = workloads::all();
    if opts.list {
        for w in &all {
            println!(
                "{:<20} {:<4} {:<6} is better  {}",
                w.name(),
                w.unit(),
                w.better().word(),
                w.description()
            );
        }
        return Ok(());
    }
    let names: Vec<String> = opts
        .only
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    for n in &names {
        if !all.iter().any(|w| selects(n, w.name())) {
            let known: Vec<&str> = all.iter().map(|w| w.name()).collect();
            return Err(format!(
                "no workload named {n:?}; the workloads are: {}",
                known.join(", ")
            ));
        }
    }
    let selected: Vec<Box<dyn Workload>> = all
        .into_iter()
        .filter(|w| names.is_empty() || names.iter().any(|n| selects(n, w.name())))
        .collect();

    let plan = Plan::new(opts.quick)?;
    let pg_start = pg_start_script();
    if !pg_start.is_file() {
        return Err(format!(
            "{} is missing: it starts the PostgreSQL 15 reference",
            pg_start.display()
        ));
    }
    let out_dir = match &opts.out {
        Some(d) => d.clone(),
        None => super::workspace_root()
            .join("target/bench")
            .join(report::timestamp()),
    };

    if opts.no_build {
        eprintln!("bench: using the release binaries already built (--no-build)");
    } else {
        super::build_release("bench")?;
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted)).map_err(|e| e.to_string())?;
    }
    // PostgreSQL runs as the postgres user: the scratch directory must be traversable.
    let work = tempfile::Builder::new()
        .prefix("oxipg-bench-")
        .tempdir_in("/tmp")
        .map_err(|e| format!("scratch directory: {e}"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
    }
    let env = Env {
        work: work.path().to_path_buf(),
        ours_bin: release_dir(),
        pg_start,
        plan,
        interrupted,
        progress: Progress {
            name: "bench",
            tty: std::io::stderr().is_terminal(),
            start: Instant::now(),
        },
    };
    let load_before = report::loadavg();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if load_before
        .split_whitespace()
        .next()
        .and_then(|l| l.parse::<f64>().ok())
        .is_some_and(|l| l > cpus as f64)
    {
        eprintln!(
            "bench: warning: load average {load_before} on {cpus} CPUs: other work is running; the spread will be wide"
        );
    }
    let started = Instant::now();
    let result = run_all(&env, &selected);
    env.progress.done();
    let outcomes = match result {
        Ok(o) => o,
        Err((o, e)) => {
            eprintln!("bench: stopped early: {e}");
            o
        }
    };
    let elapsed = started.elapsed();
    let meta = report::Meta {
        quick: opts.quick,
        plan,
        load_before,
        load_after: report::loadavg(),
        elapsed,
        pg_version: pg_version(),
    };
    print!("{}", report::table(&outcomes));
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    report::save_logs(&env.work, &out_dir);
    report::write_json(&out_dir.join("bench.json"), &meta, &outcomes)?;
    report::write_svg(&out_dir.join("ratios.svg"), &meta, &outcomes)?;
    println!(
        "bench: {} workloads in {:.0?}; figures in {}",
        outcomes.len(),
        elapsed,
        out_dir.display()
    );
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.error.is_some())
        .map(|o| o.name)
        .collect();
    if env.interrupted.load(Ordering::Relaxed) {
        Err("interrupted".into())
    } else if outcomes.len() < selected.len() {
        Err(format!(
            "stopped after {} of {} workloads",
            outcomes.len(),
            selected.len()
        ))
    } else if !failed.is_empty() {
        Err(format!("workloads failed: {}", failed.join(", ")))
    } else {
        Ok(())
    }
}

type Partial = (Vec<Outcome>, String);

/// Starts the clusters (if a workload needs them), runs every workload, stops the
/// clusters (their guards do, on every path out).
fn run_all(env: &Env, selected: &[Box<dyn Workload>]) -> Result<Vec<Outcome>, Partial> {
    let mut outcomes = Vec::new();
    let (pg, ours) = if selected.iter().any(|w| w.needs_cluster()) {
        env.progress.status("starting PostgreSQL 15");
        let pg = Server::start_pg(env).map_err(|e| (Vec::new(), format!("PostgreSQL 15: {e}")))?;
        env.progress.status("starting ours");
        let ours = Server::start_ours(env).map_err(|e| (Vec::new(), format!("ours: {e}")))?;
        (Some(pg), Some(ours))
    } else {
        (None, None)
    };
    for (i, w) in selected.iter().enumerate() {
        let label = format!("[{}/{}] {}", i + 1, selected.len(), w.name());
        let (pg_t, ours_t) = if w.needs_cluster() {
            (
                Target {
                    kind: Kind::Postgres,
                    server: pg.as_ref(),
                },
                Target {
                    kind: Kind::Ours,
                    server: ours.as_ref(),
                },
            )
        } else {
            (
                Target {
                    kind: Kind::Postgres,
                    server: None,
                },
                Target {
                    kind: Kind::Ours,
                    server: None,
                },
            )
        };
        let mut o = Outcome {
            name: w.name(),
            description: w.description(),
            unit: w.unit(),
            better: w.better(),
            postgres: Series::default(),
            ours: Series::default(),
            error: None,
        };
        let r = run_one(env, w.as_ref(), &label, pg_t, ours_t, &mut o);
        let stop = env.check_interrupted().is_err();
        if let Err(e) = r {
            eprintln!("\nbench: {}: {e}", w.name());
            o.error = Some(e);
        }
        outcomes.push(o);
        if stop {
            return Err((outcomes, "interrupted".into()));
        }
    }
    env.progress.status("stopping the servers");
    drop(ours);
    drop(pg);
    Ok(outcomes)
}

fn run_one(
    env: &Env,
    w: &dyn Workload,
    label: &str,
    pg: Target<'_>,
    ours: Target<'_>,
    o: &mut Outcome,
) -> Result<(), String> {
    let result = run_rounds(env, w, label, pg, ours, o);
    for t in [pg, ours] {
        w.cleanup(env, t);
    }
    result
}

fn run_rounds(
    env: &Env,
    w: &dyn Workload,
    label: &str,
    pg: Target<'_>,
    ours: Target<'_>,
    o: &mut Outcome,
) -> Result<(), String> {
    for t in [pg, ours] {
        env.check_interrupted()?;
        env.progress
            .status(&format!("{label}: preparing {}", t.kind));
        w.prepare(env, t)
            .map_err(|e| format!("{} (prepare): {e}", t.kind))?;
    }
    for t in [pg, ours] {
        env.check_interrupted()?;
        env.progress
            .status(&format!("{label}: warming up {}", t.kind));
        w.warm_up(env, t)
            .map_err(|e| format!("{} (warm-up): {e}", t.kind))?;
    }
    let rounds = w.rounds(&env.plan);
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [pg, ours]
        } else {
            [ours, pg]
        };
        for t in order {
            env.check_interrupted()?;
            let so_far = |s: &Series| s.median().map_or("-".to_owned(), report::fmt_value);
            env.progress.status(&format!(
                "{label}: round {}/{rounds}, {}   (median so far: PostgreSQL {}, ours {} {})",
                round + 1,
                t.kind,
                so_far(&o.postgres),
                so_far(&o.ours),
                w.unit()
            ));
            let s = w.measure(env, t).map_err(|e| format!("{}: {e}", t.kind))?;
            let series = match t.kind {
                Kind::Postgres => &mut o.postgres,
                Kind::Ours => &mut o.ours,
            };
            series.values.push(s.value);
            series.details.push(s.detail);
        }
    }
    Ok(())
}

pub(crate) fn pg_version() -> String {
    std::process::Command::new(format!("{}/postgres", server::PG_BIN))
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
