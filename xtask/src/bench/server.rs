//! The two servers a benchmark compares: ours (`target/release/postmaster`) and
//! PostgreSQL 15 (started through `shared/pg15/start`, or directly for the
//! start-up workload), plus the client tools (psql, pgbench) that talk to them.
//!
//! Every started server is owned by a guard whose `Drop` stops it, so an error,
//! a panic or Ctrl-C (which ends the workload in progress) never leaves one behind.
//! Servers run in their own process group: Ctrl-C at the terminal reaches the
//! xtask and the client tools, never the servers, which we then stop cleanly.
//! [`Transient::kill_9_all`] crashes one on purpose (the `recovery` workload).

use std::fmt;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Env;

/// The settings both servers run with (PostgreSQL 15's defaults, spelled out so that
/// a change of our defaults cannot skew the comparison).
pub const SETTINGS: &[(&str, &str)] = &[
    ("shared_buffers", "128MB"),
    ("fsync", "on"),
    ("synchronous_commit", "on"),
    ("max_connections", "100"),
];

/// Where the PostgreSQL 15 binaries are.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Postgres,
    Ours,
}

impl Kind {
    /// The JSON key and directory-name part.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Ours => "ours",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Postgres => "PostgreSQL",
            Kind::Ours => "ours",
        })
    }
}

/// A free TCP port on the loopback interface (bound, read, released).
pub fn free_port() -> Result<u16, String> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("could not find a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A `Command` for a PostgreSQL 15 program, run as the `postgres` system user when
/// we are root (PostgreSQL refuses to run as root).
pub fn as_postgres(program: &str) -> Command {
    let path = format!("{PG_BIN}/{program}");
    if nix::unistd::geteuid().is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(path)
    }
}

fn ensure_postgres_user() -> Result<(), String> {
    if !nix::unistd::geteuid().is_root()
        || nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .is_some()
    {
        return Ok(());
    }
    let st = Command::new("useradd")
        .args([
            "--system",
            "--home-dir",
            "/var/lib/postgresql",
            "--shell",
            "/bin/bash",
            "postgres",
        ])
        .status()
        .map_err(|e| format!("useradd: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("useradd postgres failed: {st}"))
    }
}

/// Creates `dir` for PostgreSQL (owned by `postgres` when we are root, mode 0700).
fn make_pg_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .ok_or("no postgres system user")?;
        nix::unistd::chown(dir, Some(user.uid), Some(user.gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Initialises a PostgreSQL 15 data directory as `shared/pg15/start` does (superuser
/// postgres, trust, UTF8, C.UTF-8) and appends [`SETTINGS`] to its postgresql.conf.
pub fn initdb_pg(dir: &Path) -> Result<(), String> {
    ensure_postgres_user()?;
    make_pg_dir(dir)?;
    let out = as_postgres("initdb")
        .arg("-D")
        .arg(dir)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    make_pg_dir(&dir.join("sock"))?;
    let mut conf = String::from("\n# cargo xtask bench\n");
    for (k, v) in SETTINGS {
        conf.push_str(&format!("{k} = '{v}'\n"));
    }
    append(&dir.join("postgresql.conf"), &conf)
}

/// Appends `settings` to the postgresql.conf of a PostgreSQL data directory.
pub fn append_pg_settings(dir: &Path, settings: &[(&str, String)]) -> Result<(), String> {
    let mut conf = String::from("\n# cargo xtask bench, this workload\n");
    for (k, v) in settings {
        conf.push_str(&format!("{k} = '{v}'\n"));
    }
    append(&dir.join("postgresql.conf"), &conf)
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The `postmaster` command line for ours, without spawning it.
pub fn ours_command(env: &Env, dir: &Path, port: u16, log: &Path) -> Result<Command, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut c = Command::new(env.ours_bin.join("postmaster"));
    c.arg("-D").arg(dir).arg("-p").arg(port.to_string());
    c.args([
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
    ]);
    for (k, v) in SETTINGS {
        c.arg("-c").arg(format!("{k}={v}"));
    }
    c.stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0);
    Ok(c)
}

/// The `postgres` command line for PostgreSQL 15 started directly (no pg_ctl).
pub fn pg_command(dir: &Path, port: u16, log: &Path) -> Result<Command, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut c = as_postgres("postgres");
    c.arg("-D").arg(dir).arg("-p").arg(port.to_string());
    c.args(["-c", "listen_addresses=127.0.0.1", "-c"])
        .arg(format!(
            "unix_socket_directories={}",
            dir.join("sock").display()
        ));
    c.stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0);
    Ok(c)
}

/// The first line of `postmaster.pid`: the postmaster's pid (PostgreSQL's or ours).
pub fn pid_from_pidfile(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

pub fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

/// The state letter and parent pid of a process, from `/proc/PID/stat`.
fn proc_stat(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether a process has ended (gone, or a zombie nobody reaped yet).
fn exited(pid: i32) -> bool {
    matches!(proc_stat(pid), None | Some(('Z' | 'X', _)))
}

/// Every process whose parent is `pid`, and theirs, and so on.
fn descendants_of(pid: i32) -> Vec<i32> {
    let all: Vec<(i32, i32)> = match std::fs::read_dir("/proc") {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(|p| Some((p, proc_stat(p)?.1)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(parent) = todo.pop() {
        for &(p, _) in all.iter().filter(|&&(_, pp)| pp == parent) {
            out.push(p);
            todo.push(p);
        }
    }
    out
}

/// Polls `cond` every 5 ms until it holds or `timeout` passes; returns whether it held.
fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Signals `pid` and waits up to `timeout` for it to be gone; `child` (if any) is reaped.
fn signal_and_wait(pid: i32, sig: Signal, child: Option<&mut Child>, timeout: Duration) -> bool {
    let _ = kill(Pid::from_raw(pid), sig);
    let deadline = Instant::now() + timeout;
    let mut child = child;
    loop {
        let gone = match child.as_deref_mut() {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => !alive(pid),
        };
        if gone {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Stops a postmaster (ours or PostgreSQL's) the way an operator would: SIGINT (fast
/// shutdown), then SIGQUIT, then SIGKILL for the whole process group.
pub fn stop_postmaster(pid: i32, mut child: Option<&mut Child>) {
    if signal_and_wait(
        pid,
        Signal::SIGINT,
        child.as_deref_mut(),
        Duration::from_secs(30),
    ) {
        return;
    }
    if signal_and_wait(
        pid,
        Signal::SIGQUIT,
        child.as_deref_mut(),
        Duration::from_secs(5),
    ) {
        return;
    }
    let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    if let Some(c) = child {
        let _ = c.wait();
    }
}

/// A running server that the workloads connect to; stopped on drop.
pub struct Server {
    pub kind: Kind,
    pub port: u16,
    pub dir: PathBuf,
    /// The postmaster's pid.
    pub pid: i32,
    child: Option<Child>,
    /// `shared/pg15/start`, for PostgreSQL's stop.
    start_script: PathBuf,
    stopped: bool,
}

impl Server {
    /// Starts ours on a fresh data directory (the postmaster initialises it).
    pub fn start_ours(env: &Env) -> Result<Server, String> {
        let port = free_port()?;
        let dir = env.work.join("ours");
        let log = env.work.join("ours.log");
        let child = ours_command(env, &dir, port, &log)?
            .spawn()
            .map_err(|e| format!("could not start our postmaster: {e}"))?;
        let mut s = Server {
            kind: Kind::Ours,
            port,
            pid: child.id() as i32,
            dir,
            child: Some(child),
            start_script: env.pg_start.clone(),
            stopped: false,
        };
        if let Err(e) = wait_ready(env, port, Duration::from_secs(60), s.child.as_mut()) {
            return Err(format!("{e}\n{}", tail(&log, 20)));
        }
        Ok(s)
    }

    /// Starts PostgreSQL 15 through `shared/pg15/start` on a data directory we
    /// initialised with [`SETTINGS`].
    pub fn start_pg(env: &Env) -> Result<Server, String> {
        let port = free_port()?;
        let dir = env.work.join("postgres");
        initdb_pg(&dir)?;
        let out = Command::new(&env.pg_start)
            .arg(port.to_string())
            .arg(&dir)
            .stdin(Stdio::null())
            .process_group(0)
            .output()
            .map_err(|e| format!("could not run {}: {e}", env.pg_start.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed: {}",
                env.pg_start.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let pid = pid_from_pidfile(&dir).ok_or("PostgreSQL started but wrote no postmaster.pid")?;
        let s = Server {
            kind: Kind::Postgres,
            port,
            dir,
            pid,
            child: None,
            start_script: env.pg_start.clone(),
            stopped: false,
        };
        wait_ready(env, port, Duration::from_secs(60), None)?;
        Ok(s)
    }

    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        match self.kind {
            Kind::Ours => stop_postmaster(self.pid, self.child.as_mut()),
            Kind::Postgres => {
                let ok = Command::new(&self.start_script)
                    .arg("--stop")
                    .arg(self.port.to_string())
                    .arg(&self.dir)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .process_group(0)
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok || alive(self.pid) {
                    stop_postmaster(self.pid, None);
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A server started for one measurement (the start-up workload), stopped on drop.
pub struct Transient {
    pub kind: Kind,
    pub dir: PathBuf,
    child: Child,
    stopped: bool,
}

impl Transient {
    pub fn spawn(kind: Kind, mut cmd: Command, dir: &Path) -> Result<Transient, String> {
        let child = cmd
            .spawn()
            .map_err(|e| format!("could not start {kind}: {e}"))?;
        Ok(Transient {
            kind,
            dir: dir.to_path_buf(),
            child,
            stopped: false,
        })
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// kill -9 of the postmaster and every process under it at one moment, as a crash
    /// ends them (the data directory is left as they left it). The postmaster is
    /// stopped first (SIGSTOP) so that it forks nothing while its descendants are
    /// listed, then they are stopped too, then all are killed (PostgreSQL's children
    /// call `setsid()`, so its process group alone would not reach them). Returns the
    /// pids killed, the postmaster last, once every one has exited; fails if one
    /// survives 10 s.
    pub fn kill_9_all(&mut self) -> Result<Vec<i32>, String> {
        let root = self.child.id() as i32;
        let postmaster = match self.kind {
            Kind::Ours => root,
            // runuser forks postgres: the pid file names it, and it must be runuser's child
            // (a stale pid file could name anything).
            Kind::Postgres => pid_from_pidfile(&self.dir)
                .filter(|&p| proc_stat(p).is_some_and(|(_, ppid)| ppid == root))
                .ok_or_else(|| {
                    format!(
                        "no postmaster under runuser (pid {root}) in {}/postmaster.pid",
                        self.dir.display()
                    )
                })?,
        };
        // From here on nothing is left to stop cleanly, whatever happens.
        self.stopped = true;
        let _ = kill(Pid::from_raw(postmaster), Signal::SIGSTOP);
        // The stop takes effect when the postmaster next returns to user space.
        wait_for(Duration::from_secs(5), || {
            matches!(
                proc_stat(postmaster),
                None | Some(('T' | 't' | 'Z' | 'X', _))
            )
        });
        let mut pids = descendants_of(postmaster);
        for &p in &pids {
            let _ = kill(Pid::from_raw(p), Signal::SIGSTOP);
        }
        for &p in &pids {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        let _ = kill(Pid::from_raw(postmaster), Signal::SIGKILL);
        pids.push(postmaster);
        if root != postmaster {
            // runuser stops itself when its child stops; it has nothing to clean up.
            let _ = kill(Pid::from_raw(root), Signal::SIGKILL);
        }
        let _ = self.child.wait();
        if !wait_for(Duration::from_secs(10), || pids.iter().all(|&p| exited(p))) {
            let left: Vec<i32> = pids.iter().copied().filter(|&p| !exited(p)).collect();
            return Err(format!(
                "processes {left:?} of {} postmaster {postmaster} survived SIGKILL for 10 s",
                self.kind
            ));
        }
        Ok(pids)
    }

    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        match self.kind {
            Kind::Ours => stop_postmaster(self.child.id() as i32, Some(&mut self.child)),
            // runuser does not forward signals: signal postgres itself, then reap runuser.
            Kind::Postgres => match pid_from_pidfile(&self.dir).filter(|&p| alive(p)) {
                Some(pid) => {
                    stop_postmaster(pid, None);
                    if !signal_and_wait(
                        self.child.id() as i32,
                        Signal::SIGTERM,
                        Some(&mut self.child),
                        Duration::from_secs(5),
                    ) {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                    }
                }
                None => {
                    let _ = kill(Pid::from_raw(-(self.child.id() as i32)), Signal::SIGINT);
                    if !signal_and_wait(
                        self.child.id() as i32,
                        Signal::SIGINT,
                        Some(&mut self.child),
                        Duration::from_secs(10),
                    ) {
                        let _ = kill(Pid::from_raw(-(self.child.id() as i32)), Signal::SIGKILL);
                        let _ = self.child.wait();
                    }
                }
            },
        }
    }
}

impl Drop for Transient {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `psql` with the connection options for a server on `port` (no psqlrc, unaligned,
/// tuples only, quiet).
pub fn psql(port: u16) -> Command {
    let mut c = Command::new(format!("{PG_BIN}/psql"));
    c.args([
        "-X",
        "-A",
        "-t",
        "-q",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-U",
        "postgres",
        "-d",
        "postgres",
    ]);
    c.env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .env_remove("PGOPTIONS");
    c
}

/// Polls with `psql -c 'select 1'` until the server answers; fails if `child` exits first.
pub fn wait_ready(
    env: &Env,
    port: u16,
    timeout: Duration,
    child: Option<&mut Child>,
) -> Result<(), String> {
    wait_ready_reporting(env, port, timeout, child, None)
}

/// [`wait_ready`], and every 5 s the progress line says `label: waiting N s` (for a
/// start that replays WAL). Between attempts it sleeps 2 ms, or 1% of the time waited
/// so far up to 50 ms: a long wait is measured within about 1% without a psql
/// started every few milliseconds competing with the server for the CPUs.
pub fn wait_ready_reporting(
    env: &Env,
    port: u16,
    timeout: Duration,
    mut child: Option<&mut Child>,
    label: Option<&str>,
) -> Result<(), String> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut reported = 0;
    loop {
        if psql(port)
            .args(["-c", "select 1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Ok(());
        }
        if let Some(Ok(Some(st))) = child.as_deref_mut().map(Child::try_wait) {
            return Err(format!("the server exited during start-up: {st}"));
        }
        env.check_interrupted()?;
        if Instant::now() > deadline {
            return Err(format!(
                "no server answered on port {port} within {timeout:?}"
            ));
        }
        let waited = start.elapsed();
        if let Some(label) = label
            && waited.as_secs() / 5 > reported
        {
            reported = waited.as_secs() / 5;
            env.progress
                .status(&format!("{label}: waiting, {} s", waited.as_secs()));
        }
        std::thread::sleep(
            (waited / 100).clamp(Duration::from_millis(2), Duration::from_millis(50)),
        );
    }
}

/// The last `n` lines of a log file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
