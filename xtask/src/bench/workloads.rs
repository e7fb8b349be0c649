//! The workloads: what is measured, against one server at a time.
//!
//! A workload is a [`Workload`]: it names itself and its unit, says whether higher
//! or lower is better, may load data into each server once ([`Workload::prepare`]),
//! warms up, and then measures one sample per call. The runner in `bench.rs`
//! alternates the servers between rounds (PostgreSQL then ours, ours then
//! PostgreSQL, ...) and reduces the samples to a median and a spread.
//!
//! To add a workload: write a type implementing [`Workload`] (or a new [`Pgbench`]
//! value, whose [`Pgbench::init_scale`] loads pgbench's tables in `prepare`, or a
//! [`tables::TablePgbench`] for a custom script over a table of our own) and list it
//! in [`all`]. The workloads over tables are in `tables.rs`, crash recovery in
//! `recovery.rs`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::analytic;
use super::recovery::Recovery;
use super::server::{self, Kind, Server, Transient};
use super::tables::{self, ScanQuery, SeqScan, UpdateBloat, WalBytes, WalStatement};
use super::{Env, Plan};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl Better {
    pub fn word(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// One measurement: the figure compared, plus whatever raw detail backs it.
#[derive(Debug)]
pub struct Sample {
    pub value: f64,
    pub detail: Value,
}

/// Which server a call is about; `server` is the long-running cluster of that kind
/// (absent for workloads that start their own, see [`Workload::needs_cluster`]).
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub kind: Kind,
    pub server: Option<&'a Server>,
}

impl<'a> Target<'a> {
    pub fn server(&self) -> Result<&'a Server, String> {
        self.server
            .ok_or_else(|| format!("no running {} cluster", self.kind))
    }
}

pub trait Workload {
    fn name(&self) -> &'static str;
    fn description(&self) -> String;
    fn unit(&self) -> &'static str;
    fn better(&self) -> Better;
    /// Whether the runner must start the two long-running clusters for it.
    fn needs_cluster(&self) -> bool {
        true
    }
    /// How many measured rounds (each round measures both servers once).
    fn rounds(&self, plan: &Plan) -> usize {
        plan.rounds
    }
    /// Once per server, before anything else: load the data the workload reads.
    fn prepare(&self, _env: &Env, _t: Target<'_>) -> Result<(), String> {
        Ok(())
    }
    /// Once per server, after `prepare`, unmeasured.
    fn warm_up(&self, _env: &Env, _t: Target<'_>) -> Result<(), String> {
        Ok(())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String>;
    /// Once per server after the rounds, whether they succeeded or not: remove what
    /// `prepare` left that is too large to wait for the scratch directory's removal.
    fn cleanup(&self, _env: &Env, _t: Target<'_>) {}
}

/// Every workload, in the order they run.
pub fn all() -> Vec<Box<dyn Workload>> {
    let fixed: Vec<Box<dyn Workload>> = vec![
        Box::new(Pgbench {
            name: "connect",
            what: "a new connection per transaction (pgbench -C), SELECT 1",
            script: Script::Custom("SELECT 1;\n"),
            mode: "simple",
            connect_per_tx: true,
            clients: 4,
            threads: 2,
            init_scale: None,
        }),
        Box::new(Pgbench {
            name: "select1_simple",
            what: "SELECT 1 over the simple query protocol",
            script: Script::Custom("SELECT 1;\n"),
            mode: "simple",
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        }),
        Box::new(Pgbench {
            name: "select1_prepared",
            what: "SELECT 1 as a prepared statement (extended protocol)",
            script: Script::Custom("SELECT 1;\n"),
            mode: "prepared",
            connect_per_tx: false,
            clients: 8,
            threads: 2,
            init_scale: None,
        }),
        Box::new(Startup),
        Box::new(MemIdleBackend { sessions: 10 }),
        Box::new(SeqScan {
            name: "seqscan_cached_count",
            query: ScanQuery::Count,
        }),
        Box::new(SeqScan {
            name: "seqscan_cached_sum",
            query: ScanQuery::SumPositive,
        }),
        Box::new(tables::IndexBuild {
            name: "create_index_int",
            column: "id",
            figure: tables::IndexFigure::BuildTime,
        }),
        Box::new(tables::IndexBuild {
            name: "index_size_int",
            column: "id",
            figure: tables::IndexFigure::Size,
        }),
        Box::new(tables::IndexBuild {
            name: "create_index_text",
            column: "filler",
            figure: tables::IndexFigure::BuildTime,
        }),
        Box::new(tables::IndexBuild {
            name: "index_size_text",
            column: "filler",
            figure: tables::IndexFigure::Size,
        }),
        Box::new(tables::insert_8clients()),
        Box::new(tables::update_8clients()),
        Box::new(UpdateBloat),
        Box::new(WalBytes {
            name: "wal_bytes_insert",
            statement: WalStatement::Insert,
        }),
        Box::new(WalBytes {
            name: "wal_bytes_update",
            statement: WalStatement::Update,
        }),
        Box::new(Recovery::default()),
        Box::new(tables::pgbench_builtin(
            "select_only_simple",
            "select-only",
            "simple",
        )),
        Box::new(tables::pgbench_builtin(
            "select_only_prepared",
            "select-only",
            "prepared",
        )),
        Box::new(tables::pgbench_builtin(
            "tpcb_like_simple",
            "tpcb-like",
            "simple",
        )),
        Box::new(tables::pgbench_builtin(
            "tpcb_like_prepared",
            "tpcb-like",
            "prepared",
        )),
    ];
    fixed
        .into_iter()
        .chain(
            tables::join_workloads()
                .into_iter()
                .map(|w| Box::new(w) as Box<dyn Workload>),
        )
        .chain([Box::new(tables::CopyIn) as Box<dyn Workload>])
        .chain(
            analytic::analytic_workloads()
                .into_iter()
                .map(|w| Box::new(w) as Box<dyn Workload>),
        )
        .chain([Box::new(analytic::InsertSelect) as Box<dyn Workload>])
        .collect()
}

/// What a pgbench workload runs.
pub enum Script {
    /// A script file with this text (`-f`).
    Custom(&'static str),
    /// A built-in script (`-b tpcb-like`, `-b select-only`).
    Builtin(&'static str),
}

/// How long a pgbench run lasts: `-T` seconds or `-t` transactions per client.
#[derive(Clone, Copy, Debug)]
pub enum Length {
    Seconds(u32),
    Transactions(u64),
}

/// A pgbench run of `Plan::secs` seconds; the figure is its tps.
pub struct Pgbench {
    pub name: &'static str,
    pub what: &'static str,
    pub script: Script,
    /// `-M`: simple, extended or prepared.
    pub mode: &'static str,
    /// `-C`.
    pub connect_per_tx: bool,
    pub clients: u32,
    pub threads: u32,
    /// `pgbench -i -s N` in `prepare` (for the built-in scripts).
    pub init_scale: Option<u32>,
}

impl Pgbench {
    fn command(&self, env: &Env, port: u16, length: Length) -> Result<Command, String> {
        let mut c = Command::new(format!("{}/pgbench", server::PG_BIN));
        c.args(["-n", "-M", self.mode]);
        if self.connect_per_tx {
            c.arg("-C");
        }
        c.args([
            "-c",
            &self.clients.to_string(),
            "-j",
            &self.threads.to_string(),
        ]);
        match length {
            Length::Seconds(secs) => c.args(["-T", &secs.to_string()]),
            Length::Transactions(n) => c.args(["-t", &n.to_string()]),
        };
        match self.script {
            Script::Custom(text) => {
                let path = env.work.join(format!("{}.sql", self.name));
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                c.arg("-f").arg(path);
            }
            Script::Builtin(name) => {
                c.args(["-b", name]);
            }
        }
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "postgres",
        ]);
        c.stdin(Stdio::null());
        Ok(c)
    }

    pub(super) fn run(&self, env: &Env, port: u16, secs: u32) -> Result<Sample, String> {
        self.run_for(env, port, Length::Seconds(secs))
    }

    /// Runs pgbench for `length`; the sample is its tps, the detail pgbench's figures.
    pub(super) fn run_for(&self, env: &Env, port: u16, length: Length) -> Result<Sample, String> {
        let out = self
            .command(env, port, length)?
            .output()
            .map_err(|e| format!("pgbench: {e}"))?;
        env.check_interrupted()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            return Err(format!(
                "pgbench failed ({}): {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        // "number of transactions actually processed: 2000/2000" with -t: the part before '/'.
        let field = |prefix: &str| -> Option<f64> {
            stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.split('/').next())
                .and_then(|n| n.parse().ok())
        };
        let tps = field("tps = ").ok_or_else(|| format!("no tps in pgbench's output: {stdout}"))?;
        let failed = field("number of failed transactions:").unwrap_or(0.0);
        if failed > 0.0 {
            return Err(format!("pgbench: {failed} failed transactions"));
        }
        Ok(Sample {
            value: tps,
            detail: json!({
                "tps": tps,
                "transactions": field("number of transactions actually processed:"),
                "latency_ms": field("latency average = "),
                "connection_time_ms": field("average connection time = "),
                "seconds": match length { Length::Seconds(s) => Some(s), Length::Transactions(_) => None },
                "transactions_per_client": match length { Length::Seconds(_) => None, Length::Transactions(n) => Some(n) },
            }),
        })
    }
}

impl Workload for Pgbench {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> String {
        format!(
            "{}: pgbench -M {}{} -c {} -j {}",
            self.what,
            self.mode,
            if self.connect_per_tx { " -C" } else { "" },
            self.clients,
            self.threads
        )
    }
    fn unit(&self) -> &'static str {
        "tps"
    }
    fn better(&self) -> Better {
        Better::Higher
    }
    fn prepare(&self, _env: &Env, t: Target<'_>) -> Result<(), String> {
        let Some(scale) = self.init_scale else {
            return Ok(());
        };
        let port = t.server()?.port;
        let out = Command::new(format!("{}/pgbench", server::PG_BIN))
            .args([
                "-i",
                "-q",
                "-s",
                &scale.to_string(),
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "postgres",
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pgbench -i: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pgbench -i failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        self.run(env, t.server()?.port, env.plan.warmup_secs)
            .map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        self.run(env, t.server()?.port, env.plan.secs)
    }
}

/// Time from spawning the server binary to the first `psql -c 'select 1'` that
/// succeeds, on an initialised data directory that was shut down cleanly.
pub struct Startup;

impl Startup {
    fn dir(env: &Env, kind: Kind) -> std::path::PathBuf {
        env.work.join(format!("startup-{}", kind.key()))
    }

    fn command(env: &Env, kind: Kind, port: u16) -> Result<Command, String> {
        let dir = Self::dir(env, kind);
        let log = env.work.join(format!("startup-{}.log", kind.key()));
        match kind {
            Kind::Ours => server::ours_command(env, &dir, port, &log),
            Kind::Postgres => server::pg_command(&dir, port, &log),
        }
    }

    fn once(env: &Env, kind: Kind) -> Result<f64, String> {
        let port = server::free_port()?;
        let cmd = Self::command(env, kind, port)?;
        let start = Instant::now();
        let mut t = Transient::spawn(kind, cmd, &Self::dir(env, kind))?;
        server::wait_ready(env, port, Duration::from_secs(60), Some(t.child()))?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        t.stop();
        Ok(ms)
    }
}

impl Workload for Startup {
    fn name(&self) -> &'static str {
        "startup"
    }
    fn description(&self) -> String {
        "spawn the server on an initialised cluster until the first psql -c 'select 1' succeeds"
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
        plan.startup_rounds
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        match t.kind {
            // Our postmaster initialises an empty directory on its first start.
            Kind::Ours => Self::once(env, Kind::Ours).map(|_| ()),
            Kind::Postgres => server::initdb_pg(&Self::dir(env, Kind::Postgres)),
        }
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        Self::once(env, t.kind).map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let ms = Self::once(env, t.kind)?;
        Ok(Sample {
            value: ms,
            detail: json!({ "ms": ms }),
        })
    }
}

/// Proportional set size of an idle client backend: `sessions` psql sessions are
/// opened and kept idle, their backends found, and their PSS averaged.
pub struct MemIdleBackend {
    pub sessions: usize,
}

/// A psql session kept open on a pipe.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Session {
    fn open(port: u16) -> Result<Session, String> {
        let mut child = server::psql(port)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("psql: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("psql: no stdout")?);
        Ok(Session {
            child,
            stdin,
            stdout,
        })
    }

    fn query_line(&mut self, sql: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().ok_or("psql: stdin closed")?;
        writeln!(stdin, "{sql}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("psql session: {e}"))?;
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the psql session ended (connection failed?)".into()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(e) => Err(format!("psql session: {e}")),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Children of `parent` whose command line contains `needle`.
fn children_with(parent: i32, needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<i32>().ok());
        if ppid != Some(parent) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == needle.as_bytes())
        {
            out.push(pid);
        }
    }
    out.sort_unstable();
    out
}

/// Rss, Pss and private memory of a process, in kB, from /proc/PID/smaps_rollup.
fn smaps_rollup(pid: i32) -> Result<(u64, u64, u64), String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .map_err(|e| format!("/proc/{pid}/smaps_rollup: {e}"))?;
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        field("Rss:"),
        field("Pss:"),
        field("Private_Clean:") + field("Private_Dirty:"),
    ))
}

impl Workload for MemIdleBackend {
    fn name(&self) -> &'static str {
        "mem_idle_backend"
    }
    fn description(&self) -> String {
        format!(
            "PSS of an idle client backend, averaged over {} idle psql sessions",
            self.sessions
        )
    }
    fn unit(&self) -> &'static str {
        "kB"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn rounds(&self, plan: &Plan) -> usize {
        plan.mem_rounds
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let server = t.server()?;
        let mut sessions = Vec::new();
        let mut reported = Vec::new();
        for _ in 0..self.sessions {
            let mut s = Session::open(server.port)?;
            let pid = s.query_line("select pg_backend_pid();")?;
            reported.push(
                pid.parse::<i32>()
                    .map_err(|_| format!("pg_backend_pid() gave {pid:?}"))?,
            );
            sessions.push(s);
        }
        // Let the sessions settle into idle.
        std::thread::sleep(Duration::from_millis(500));
        env.check_interrupted()?;
        let pids = match t.kind {
            Kind::Postgres => reported.clone(),
            Kind::Ours => {
                let pids = children_with(server.pid, "--role=client");
                if pids.len() != self.sessions {
                    return Err(format!(
                        "expected {} client backends under our postmaster, found {}: {pids:?}",
                        self.sessions,
                        pids.len()
                    ));
                }
                pids
            }
        };
        let mut backends = Vec::new();
        let mut total = 0u64;
        for &pid in &pids {
            let (rss, pss, private) = smaps_rollup(pid)?;
            total += pss;
            backends
                .push(json!({ "pid": pid, "pss_kb": pss, "rss_kb": rss, "private_kb": private }));
        }
        drop(sessions);
        let avg = total as f64 / pids.len() as f64;
        Ok(Sample {
            value: avg,
            detail: json!({ "pss_kb_avg": avg, "backends": backends }),
        })
    }
}
