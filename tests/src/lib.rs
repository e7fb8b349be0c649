//! Process-level test harness: starts a real cluster (our `postmaster`, or the reference
//! PostgreSQL 15) in a temporary data directory on a free loopback port, connects real
//! clients to it (tokio-postgres, psql, raw sockets) and kills every process it started
//! when the [`Cluster`] is dropped.
//!
//! What it owns: the temporary directory (`data/`, `sock/`, `server.log`), the postmaster
//! child process and its process group, and any child process of the postmaster it has
//! seen. What it must never do: link the server crates (the tests see the server only
//! through its binaries and the wire, as a client would), or leave a process running.
//!
//! Entry points:
//! - [`Cluster::start`] / [`Cluster::builder`] start our server, found next to the test
//!   executable (`target/debug/postmaster`) or in `$OXIPG_BIN_DIR`. With
//!   `OXIPG_TEST_AGAINST_PG15=1` in the environment they start PostgreSQL 15 instead, so
//!   that every expectation of the suite can be checked against the reference.
//! - [`Cluster::reference`] / [`ClusterBuilder::reference`] always start PostgreSQL 15
//!   (run as the `postgres` system user when the tests run as root, like
//!   `/work/shared/pg15/start`, but spawned directly so that its stderr, pid and signals
//!   are ours).
//! - [`RawConn`] and [`send_cancel_request`] speak the wire protocol byte by byte, for the
//!   tests that send what a well-behaved driver never would.
//! - [`PgNumeric`] decodes binary `numeric` values to their text form, which
//!   tokio-postgres does not do by itself.
//!
//! Running: `cargo build -p postmaster -p backend && cargo test -p tests` against our
//! server; `OXIPG_TEST_AGAINST_PG15=1 cargo test -p tests` checks the same expectations
//! against PostgreSQL 15 (every expectation in `tests/tests/*.rs` must pass there: it is
//! PostgreSQL's behaviour, never ours). One file per area: `startup_auth`, `queries`,
//! `cancel`, `lifecycle`, `connections`, `bad_input`, `crash` (kill -9 under load, lost and torn
//! data-file writes; `cargo xtask crash`); every test starts its own cluster.
//!
//! Shutdown on drop: SIGQUIT to the postmaster's process group (it was started with
//! `process_group(0)`), up to 5 s for it to exit, then SIGKILL to the group and to every
//! descendant recorded on the way (PostgreSQL's children call `setsid()`, so the group
//! alone does not reach them).

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream as StdTcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Client, NoTls};

pub use nix::sys::signal::Signal as Sig;

/// Where PostgreSQL 15, the reference implementation, is installed.
pub const PG15_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Set to `1` to run the whole suite against PostgreSQL 15 instead of our server.
pub const AGAINST_PG15_ENV: &str = "OXIPG_TEST_AGAINST_PG15";

/// Overrides the directory holding our `postmaster` and `backend` binaries.
pub const BIN_DIR_ENV: &str = "OXIPG_BIN_DIR";

/// How long a cluster may take to start before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server a [`Cluster`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Our `postmaster` binary.
    Ours,
    /// PostgreSQL 15 from [`PG15_BIN`].
    Reference,
}

/// True when `OXIPG_TEST_AGAINST_PG15=1`: [`Cluster::start`] then starts PostgreSQL 15.
pub fn against_pg15() -> bool {
    std::env::var(AGAINST_PG15_ENV).is_ok_and(|v| v == "1" || v == "true")
}

/// True when PostgreSQL 15 is installed, so that reference comparisons can run.
pub fn pg15_available() -> bool {
    Path::new(PG15_BIN).join("postgres").is_file()
}

/// The directory holding our binaries: `$OXIPG_BIN_DIR`, else the profile directory of the
/// running test executable (`target/debug/deps/x-hash` -> `target/debug`).
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var(BIN_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe
        .parent()
        .expect("test executable has a directory")
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// Quotes a conninfo value: `'...'` with `\\` and `\'` escapes.
pub fn conninfo_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A loopback port that was free a moment ago (bind port 0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Panics with `what` if `fut` does not finish within `secs` seconds: a broken server must
/// fail a test, never hang the suite.
pub async fn within<F: std::future::Future>(secs: u64, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {secs} s: {what}"),
    }
}

/// The SQLSTATE of a tokio-postgres error, if the server sent one.
pub fn sqlstate(err: &tokio_postgres::Error) -> Option<&str> {
    err.code().map(|c| c.code())
}

/// Whether a process exists (a zombie counts).
pub fn process_alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

/// Parent pid of a process, from `/proc/PID/stat`.
pub fn parent_pid(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain anything: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The state letter of a process (`R`, `S`, `D`, `T`, `Z`, ...) from `/proc/PID/stat`;
/// `None` if it does not exist.
pub fn process_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// Whether a process has ended: gone, or a zombie not reaped yet (a zombie holds no memory,
/// files or shared-memory attachment any more).
pub fn process_exited(pid: i32) -> bool {
    !process_alive(pid) || matches!(process_state(pid), None | Some('Z'))
}

/// Whether a process is stopped (SIGSTOP took effect), or has ended.
pub fn process_stopped(pid: i32) -> bool {
    matches!(process_state(pid), None | Some('T' | 't' | 'Z' | 'X'))
}

/// Every process whose parent is `pid`.
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| parent_pid(p) == Some(pid))
        .collect()
}

/// Every descendant of `pid` (children, their children, ...).
pub fn descendants_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for c in children_of(p) {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

/// Polls `cond` every 50 ms until it holds or `timeout` passes; returns whether it held.
pub async fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How to start a [`Cluster`]: extra `-c` settings, a `pg_hba.conf`, a superuser password.
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    flavor: Flavor,
    settings: Vec<(String, String)>,
    hba: Option<String>,
    password: Option<String>,
}

impl ClusterBuilder {
    /// Start PostgreSQL 15 rather than our server, whatever the environment says.
    pub fn reference(mut self) -> Self {
        self.flavor = Flavor::Reference;
        self
    }

    /// Pass `-c name=value` to the postmaster.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The content of `pg_hba.conf`, written before the cluster serves its first client.
    pub fn hba(mut self, content: &str) -> Self {
        self.hba = Some(content.to_owned());
        self
    }

    /// The superuser's password (`--pwfile` for us, `initdb --pwfile` for PostgreSQL).
    /// Without [`hba`](Self::hba), loopback then requires scram-sha-256.
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Starts the cluster and waits until it accepts connections; panics (with the tail of
    /// the server log) if it does not within 30 s.
    pub fn start(self) -> Cluster {
        let mut last_error = String::new();
        // A port picked by `free_port` can be taken by a neighbour test before we bind it.
        for _ in 0..3 {
            match Cluster::try_start(self.clone()) {
                Ok(cluster) => return cluster,
                Err((error, log)) => {
                    let port_taken = log.contains("Address already in use")
                        || log.contains("could not bind")
                        || log.contains("could not create any TCP/IP sockets");
                    last_error = format!("{error}\n--- server log ---\n{log}");
                    if !port_taken {
                        break;
                    }
                }
            }
        }
        panic!("cluster did not start: {last_error}");
    }
}

/// A running cluster in a temporary directory; everything it started dies with it.
#[derive(Debug)]
pub struct Cluster {
    flavor: Flavor,
    root: tempfile::TempDir,
    data_dir: PathBuf,
    sock_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    settings: Vec<(String, String)>,
    password: Option<String>,
    child: Option<Child>,
    /// Process groups we created (one per postmaster started).
    groups: Vec<i32>,
    /// Processes seen under the postmaster, killed on drop if they outlive it.
    strays: Vec<i32>,
}

impl Cluster {
    /// Starts a cluster with default settings (our server, or PostgreSQL 15 when
    /// `OXIPG_TEST_AGAINST_PG15=1`).
    pub fn start() -> Cluster {
        Cluster::builder().start()
    }

    /// Starts PostgreSQL 15 with default settings.
    pub fn reference() -> Cluster {
        Cluster::builder().reference().start()
    }

    /// A builder for our server (or PostgreSQL 15 when `OXIPG_TEST_AGAINST_PG15=1`).
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder {
            flavor: if against_pg15() {
                Flavor::Reference
            } else {
                Flavor::Ours
            },
            settings: Vec::new(),
            hba: None,
            password: None,
        }
    }

    fn try_start(b: ClusterBuilder) -> Result<Cluster, (String, String)> {
        let root = tempfile::Builder::new()
            .prefix("oxipg")
            .tempdir()
            .map_err(|e| (format!("tempdir: {e}"), String::new()))?;
        let data_dir = root.path().join("data");
        let sock_dir = root.path().join("sock");
        let log_path = root.path().join("server.log");
        fs::create_dir(&sock_dir).map_err(|e| (format!("mkdir sock: {e}"), String::new()))?;
        File::create(&log_path).map_err(|e| (format!("create log: {e}"), String::new()))?;
        let mut cluster = Cluster {
            flavor: b.flavor,
            root,
            data_dir,
            sock_dir,
            log_path,
            port: free_port(),
            settings: b.settings.clone(),
            password: b.password.clone(),
            child: None,
            groups: Vec::new(),
            strays: Vec::new(),
        };
        let fail = |c: &Cluster, e: String| (e, c.log());
        match b.flavor {
            Flavor::Ours => {
                let pwfile = match &b.password {
                    Some(pw) => {
                        let path = cluster.root.path().join("pwfile");
                        fs::write(&path, format!("{pw}\n"))
                            .map_err(|e| fail(&cluster, e.to_string()))?;
                        Some(path)
                    }
                    None => None,
                };
                // Our postmaster initialises an empty directory on its first start, so a
                // custom pg_hba.conf is written between a first start and a second one.
                cluster
                    .spawn(pwfile.as_deref())
                    .map_err(|e| fail(&cluster, e))?;
                cluster
                    .wait_ready(START_TIMEOUT)
                    .map_err(|e| fail(&cluster, e))?;
                if let Some(hba) = &b.hba {
                    cluster.signal(Signal::SIGINT);
                    if cluster.wait_exit_blocking(START_TIMEOUT).is_none() {
                        return Err(fail(
                            &cluster,
                            "fast shutdown after initialisation did not finish".into(),
                        ));
                    }
                    fs::write(cluster.data_dir.join("pg_hba.conf"), hba)
                        .map_err(|e| fail(&cluster, e.to_string()))?;
                    cluster.spawn(None).map_err(|e| fail(&cluster, e))?;
                    cluster
                        .wait_ready(START_TIMEOUT)
                        .map_err(|e| fail(&cluster, e))?;
                }
            }
            Flavor::Reference => {
                if !pg15_available() {
                    return Err((
                        format!("PostgreSQL 15 is not installed in {PG15_BIN}"),
                        String::new(),
                    ));
                }
                reference_initdb(&cluster, b.password.as_deref()).map_err(|e| fail(&cluster, e))?;
                let hba = match (&b.hba, &b.password) {
                    (Some(h), _) => Some(h.clone()),
                    (None, Some(_)) => Some(
                        "local all all scram-sha-256\n\
                         host all all 127.0.0.1/32 scram-sha-256\n\
                         host all all ::1/128 scram-sha-256\n"
                            .to_owned(),
                    ),
                    (None, None) => None,
                };
                if let Some(hba) = hba {
                    fs::write(cluster.data_dir.join("pg_hba.conf"), hba)
                        .map_err(|e| fail(&cluster, e.to_string()))?;
                }
                cluster.spawn(None).map_err(|e| fail(&cluster, e))?;
                cluster
                    .wait_ready(START_TIMEOUT)
                    .map_err(|e| fail(&cluster, e))?;
            }
        }
        Ok(cluster)
    }

    /// The postmaster command line for this cluster's directory on `port`.
    fn postmaster_command(&self, port: u16, sock_dir: &Path, pwfile: Option<&Path>) -> Command {
        let mut cmd = match self.flavor {
            Flavor::Ours => {
                let bin = bin_dir().join("postmaster");
                assert!(
                    bin.is_file(),
                    "{} does not exist: build it (cargo build -p postmaster -p backend) or set {BIN_DIR_ENV}",
                    bin.display()
                );
                Command::new(bin)
            }
            Flavor::Reference => {
                let mut cmd = Command::new(Path::new(PG15_BIN).join("postgres"));
                if let Some((uid, gid)) = postgres_user() {
                    cmd.uid(uid).gid(gid);
                }
                cmd.args(["-c", "listen_addresses=127.0.0.1"]);
                cmd
            }
        };
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(port.to_string());
        cmd.arg("-c")
            .arg(format!("unix_socket_directories={}", sock_dir.display()));
        for (name, value) in &self.settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        if let Some(pwfile) = pwfile {
            cmd.arg("--pwfile").arg(pwfile);
        }
        cmd.stdin(Stdio::null());
        cmd.process_group(0);
        cmd
    }

    fn spawn(&mut self, pwfile: Option<&Path>) -> Result<(), String> {
        let log = OpenOptions::new()
            .append(true)
            .open(&self.log_path)
            .map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = self.postmaster_command(self.port, &self.sock_dir.clone(), pwfile);
        cmd.stdout(log).stderr(log2);
        let child = cmd.spawn().map_err(|e| format!("spawn postmaster: {e}"))?;
        self.groups.push(child.id() as i32);
        self.child = Some(child);
        Ok(())
    }

    /// Waits until `postmaster.pid` names the current child and says `ready`, and a TCP
    /// connect succeeds.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            let child = self.child.as_mut().ok_or("no postmaster")?;
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("postmaster exited during start-up with {status}"));
            }
            let pid = child.id().to_string();
            let lines = self.pid_file_lines().unwrap_or_default();
            let ready = lines.first().map(|l| l.trim()) == Some(pid.as_str())
                && lines.get(7).map(|l| l.trim()) == Some("ready");
            if ready && StdTcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready after {timeout:?} (postmaster.pid: {lines:?})"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the postmaster again on the same directory and port (after it exited or was
    /// killed) and waits until it is ready; panics with the log tail if it is not.
    pub fn start_again(&mut self) {
        if let Some(child) = self.child.as_mut() {
            assert!(
                child.try_wait().ok().flatten().is_some(),
                "start_again: the previous postmaster is still running"
            );
        }
        if let Err(e) = self
            .spawn(None)
            .and_then(|()| self.wait_ready(START_TIMEOUT))
        {
            panic!(
                "restart failed: {e}\n--- server log ---\n{}",
                self.log_tail(40)
            );
        }
    }

    /// Which server this is.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Whether this cluster is PostgreSQL 15.
    pub fn is_reference(&self) -> bool {
        self.flavor == Flavor::Reference
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The Unix-socket directory.
    pub fn socket_dir(&self) -> &Path {
        &self.sock_dir
    }

    /// The pid of the (current) postmaster.
    pub fn pid(&self) -> i32 {
        self.child
            .as_ref()
            .map(|c| c.id() as i32)
            .expect("postmaster not started")
    }

    /// Lines of `postmaster.pid`, or `None` if it does not exist.
    pub fn pid_file_lines(&self) -> Option<Vec<String>> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        Some(text.lines().map(str::to_owned).collect())
    }

    /// A libpq/tokio-postgres connection string as the superuser (with the password if the
    /// cluster has one).
    pub fn conninfo(&self) -> String {
        let mut s = format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=10",
            self.port
        );
        if let Some(pw) = &self.password {
            s.push_str(&format!(" password={}", conninfo_quote(pw)));
        }
        s
    }

    /// Connects as the superuser and spawns the connection task; panics on failure.
    pub async fn connect(&self) -> Client {
        match self.try_connect_with("").await {
            Ok((client, _)) => client,
            Err(e) => panic!(
                "connect failed: {e:?}\n--- server log ---\n{}",
                self.log_tail(30)
            ),
        }
    }

    /// Connects with `extra` appended to [`conninfo`](Self::conninfo) (later keys win:
    /// `"password=wrong"`, `"user=nobody"`). Returns the client and the connection task,
    /// whose result carries an error the server sent outside any query (e.g. 57P01).
    pub async fn try_connect_with(
        &self,
        extra: &str,
    ) -> Result<
        (
            Client,
            tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
        ),
        tokio_postgres::Error,
    > {
        let conninfo = format!("{} {extra}", self.conninfo());
        let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await?;
        Ok((client, tokio::spawn(connection)))
    }

    /// Connects and returns the ParameterStatus values the server reported at start-up
    /// for `names`, before spawning the connection task.
    pub async fn connect_reporting(
        &self,
        names: &[&str],
    ) -> (Client, BTreeMap<String, Option<String>>) {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(), NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect failed: {e:?}\n{}", self.log_tail(30)));
        let params = names
            .iter()
            .map(|n| ((*n).to_owned(), connection.parameter(n).map(str::to_owned)))
            .collect();
        tokio::spawn(connection);
        (client, params)
    }

    /// Runs PostgreSQL 15's psql against this cluster: `psql -X -h 127.0.0.1 -p PORT -U
    /// postgres ARGS...` (with `PGPASSWORD` if the cluster has a password).
    pub fn psql(&self, args: &[&str]) -> Output {
        self.psql_with_password(self.password.as_deref(), args)
    }

    /// [`psql`](Self::psql) with an explicit `PGPASSWORD` (or none).
    pub fn psql_with_password(&self, password: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new(Path::new(PG15_BIN).join("psql"));
        cmd.args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]);
        cmd.args(args);
        cmd.env("PGCONNECT_TIMEOUT", "10")
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE");
        if let Some(pw) = password {
            cmd.env("PGPASSWORD", pw);
        }
        cmd.stdin(Stdio::null());
        cmd.output().expect("run psql")
    }

    /// The whole server log (stderr and stdout of every postmaster started).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// The last `n` lines of the server log.
    pub fn log_tail(&self, n: usize) -> String {
        let mut f = match File::open(&self.log_path) {
            Ok(f) => f,
            Err(_) => return String::new(),
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
        let mut s = String::new();
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        s.push_str(&String::from_utf8_lossy(&buf));
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Sends `sig` to the postmaster.
    pub fn signal(&mut self, sig: Signal) {
        self.remember_children();
        let _ = kill(Pid::from_raw(self.pid()), sig);
    }

    /// Sends `sig` to a process of this cluster (a backend), after checking that it is a
    /// child of the postmaster.
    pub fn signal_child(&mut self, pid: i32, sig: Signal) {
        assert_eq!(
            parent_pid(pid),
            Some(self.pid()),
            "process {pid} is not a child of postmaster {}",
            self.pid()
        );
        self.remember_children();
        kill(Pid::from_raw(pid), sig).expect("kill child");
    }

    /// kill -9 of the postmaster and every process under it at one moment, as a power cut
    /// ends them (the kernel's page cache survives, so what was written and not fsynced is
    /// still read back: this is a crash of the processes, not of the disk). They are all
    /// stopped first (as [`stop_all`](Self::stop_all) stops them, without waiting for each
    /// stop to take effect), then all killed. Returns the pids killed once every one of them
    /// has exited (the postmaster reaped); panics if one survives 10 s.
    /// [`start_again`](Self::start_again) then starts on the same directory.
    pub async fn kill_9_all(&mut self) -> Vec<i32> {
        let (postmaster, descendants) = self.send_stop_to_all().await;
        for &pid in &descendants {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = kill(Pid::from_raw(postmaster), Signal::SIGKILL);
        let _ = killpg(Pid::from_raw(postmaster), Signal::SIGKILL);
        if self.wait_exit(Duration::from_secs(10)).await.is_none() {
            panic!("postmaster {postmaster} survived SIGKILL for 10 s");
        }
        if !wait_until(Duration::from_secs(10), || {
            descendants.iter().all(|&p| process_exited(p))
        })
        .await
        {
            let left: Vec<i32> = descendants
                .iter()
                .copied()
                .filter(|&p| !process_exited(p))
                .collect();
            panic!("processes {left:?} of postmaster {postmaster} survived SIGKILL for 10 s");
        }
        let mut killed = descendants;
        killed.push(postmaster);
        killed
    }

    /// Stops (SIGSTOP) the postmaster and every process under it and waits until each one
    /// is stopped (or has exited), so that nothing of the cluster runs and its files hold
    /// still (a write the kernel was in the middle of has finished: a stop takes effect on
    /// the way back to user space). Returns the pids stopped, for
    /// [`continue_all`](Self::continue_all); panics if one has not stopped within 10 s.
    pub async fn stop_all(&mut self) -> Vec<i32> {
        let (postmaster, mut stopped) = self.send_stop_to_all().await;
        stopped.push(postmaster);
        if !wait_until(Duration::from_secs(10), || {
            stopped.iter().all(|&p| process_stopped(p))
        })
        .await
        {
            let left: Vec<(i32, Option<char>)> = stopped
                .iter()
                .filter(|&&p| !process_stopped(p))
                .map(|&p| (p, process_state(p)))
                .collect();
            panic!(
                "processes (pid, state) {left:?} of postmaster {postmaster} did not stop within 10 s"
            );
        }
        stopped
    }

    /// Lets the processes [`stop_all`](Self::stop_all) stopped run again (SIGCONT), the
    /// postmaster last.
    pub fn continue_all(&self, stopped: &[i32]) {
        for &pid in stopped {
            let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
        }
    }

    /// SIGSTOP to the postmaster, and once it has stopped (so that it forks nothing and
    /// notices nothing while they are listed), to every process under it. Returns the
    /// postmaster's pid and its descendants'.
    async fn send_stop_to_all(&mut self) -> (i32, Vec<i32>) {
        let postmaster = self.pid();
        let _ = kill(Pid::from_raw(postmaster), Signal::SIGSTOP);
        // The stop takes effect when the postmaster next returns to user space.
        wait_until(Duration::from_secs(5), || process_stopped(postmaster)).await;
        self.remember_children();
        let descendants = descendants_of(postmaster);
        for &pid in &descendants {
            let _ = kill(Pid::from_raw(pid), Signal::SIGSTOP);
        }
        (postmaster, descendants)
    }

    /// The postmaster's child processes (backends and auxiliary processes).
    pub fn children(&self) -> Vec<i32> {
        children_of(self.pid())
    }

    /// Records the postmaster's descendants so that drop kills them even if they are
    /// orphaned first (kill -9 of the postmaster).
    pub fn remember_children(&mut self) {
        if let Some(child) = &self.child {
            for p in descendants_of(child.id() as i32) {
                if !self.strays.contains(&p) {
                    self.strays.push(p);
                }
            }
        }
    }

    /// Whether the postmaster is still running (reaps it if it exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Waits (polling, without blocking the runtime) up to `timeout` for the postmaster to
    /// exit; its exit status, or `None` if it is still running.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn wait_exit_blocking(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs a second postmaster on this cluster's data directory (another port and socket
    /// directory) and waits up to `timeout` for it to exit. Returns its exit status (`None`
    /// if it was still running and had to be killed) and its stderr.
    pub async fn run_second_postmaster(&self, timeout: Duration) -> (Option<ExitStatus>, String) {
        let sock2 = self.root.path().join("sock2");
        let _ = fs::create_dir(&sock2);
        if let Some((uid, gid)) = postgres_user().filter(|_| self.is_reference()) {
            let _ = nix::unistd::chown(&sock2, Some(uid.into()), Some(gid.into()));
        }
        let log2 = self.root.path().join("second.log");
        let f = File::create(&log2).expect("create second.log");
        let mut cmd = self.postmaster_command(free_port(), &sock2, None);
        cmd.stdout(Stdio::null()).stderr(f);
        let mut child = cmd.spawn().expect("spawn second postmaster");
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        (status, fs::read_to_string(&log2).unwrap_or_default())
    }

    /// Connects, retrying until `timeout`; the first successful client, or the last error.
    pub async fn connect_retrying(
        &self,
        timeout: Duration,
    ) -> Result<Client, tokio_postgres::Error> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.try_connect_with("").await {
                Ok((client, _)) => return Ok(client),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- {:?} cluster on port {} ({}), last lines of its log ---\n{}",
                self.flavor,
                self.port,
                self.data_dir.display(),
                self.log_tail(40)
            );
        }
        self.remember_children();
        if let Some(child) = self.child.as_mut()
            && matches!(child.try_wait(), Ok(None))
        {
            let pid = child.id() as i32;
            let _ = killpg(Pid::from_raw(pid), Signal::SIGQUIT);
            let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for &group in &self.groups {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
        for &pid in &self.strays {
            if process_alive(pid) && is_server_process(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

/// Whether `pid` runs one of the server binaries (ours or PostgreSQL's), so that drop never
/// kills an unrelated process that reused a pid.
fn is_server_process(pid: i32) -> bool {
    let Ok(exe) = fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let exe = exe.to_string_lossy().into_owned();
    exe.starts_with(PG15_BIN) || exe.starts_with(&*bin_dir().to_string_lossy())
}

/// The uid and gid of the `postgres` system user when we run as root (PostgreSQL refuses
/// to run as root); `None` when we are not root.
fn postgres_user() -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .expect("running as root needs a `postgres` system user for PostgreSQL 15 (see /work/shared/pg15/start)");
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

fn run_initdb(dir: &Path, pwfile: Option<&Path>) -> Result<(), String> {
    let mut cmd = Command::new(Path::new(PG15_BIN).join("initdb"));
    if let Some((uid, gid)) = postgres_user() {
        cmd.uid(uid).gid(gid);
    }
    cmd.arg("-D").arg(dir);
    cmd.args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "-N",
    ]);
    if let Some(pwfile) = pwfile {
        cmd.arg(format!("--pwfile={}", pwfile.display()));
    }
    let out = cmd.output().map_err(|e| format!("run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Creates the reference cluster's data directory: a copy of a shared, once-initialised
/// template (initdb takes seconds on two cores), or a fresh initdb when a password is set.
fn reference_initdb(cluster: &Cluster, password: Option<&str>) -> Result<(), String> {
    let owner = postgres_user();
    let chown = |p: &Path| -> Result<(), String> {
        match owner {
            Some((uid, gid)) => nix::unistd::chown(p, Some(uid.into()), Some(gid.into()))
                .map_err(|e| format!("chown {}: {e}", p.display())),
            None => Ok(()),
        }
    };
    for p in [cluster.root.path(), &cluster.sock_dir, &cluster.log_path] {
        chown(p)?;
    }
    if let Some(pw) = password {
        let pwfile = cluster.root.path().join("pwfile");
        fs::write(&pwfile, format!("{pw}\n")).map_err(|e| e.to_string())?;
        chown(&pwfile)?;
        return run_initdb(&cluster.data_dir, Some(&pwfile));
    }
    let template =
        std::env::temp_dir().join(format!("oxipg-pg15-template-{}", nix::unistd::getuid()));
    if !template.join("PG_VERSION").is_file() {
        let tmp = tempfile::Builder::new()
            .prefix("oxipg-pg15-template-build")
            .tempdir()
            .map_err(|e| e.to_string())?;
        chown(tmp.path())?;
        let dir = tmp.path().join("data");
        run_initdb(&dir, None)?;
        // Several test processes may race here: the first rename wins, the others drop theirs.
        let _ = fs::rename(&dir, &template);
    }
    let status = Command::new("cp")
        .arg("-a")
        .arg(&template)
        .arg(&cluster.data_dir)
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    if !status.success() {
        return Err("cp -a of the template failed".into());
    }
    Ok(())
}

/// Binary `numeric` decoded to PostgreSQL's text form (`12.340`, `-0.001`, `NaN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgNumeric(pub String);

impl<'a> FromSql<'a> for PgNumeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
            let b = raw.get(2 * i..2 * i + 2).ok_or("numeric value too short")?;
            Ok(u16::from_be_bytes([b[0], b[1]]))
        };
        let ndigits = word(0)? as usize;
        let weight = word(1)? as i16 as i64;
        let sign = word(2)?;
        let dscale = word(3)? as usize;
        match sign {
            0xC000 => return Ok(PgNumeric("NaN".into())),
            0xD000 => return Ok(PgNumeric("Infinity".into())),
            0xF000 => return Ok(PgNumeric("-Infinity".into())),
            0x0000 | 0x4000 => {}
            other => return Err(format!("bad numeric sign {other:#x}").into()),
        }
        let digits: Vec<u16> = (0..ndigits)
            .map(|i| word(4 + i))
            .collect::<Result<_, _>>()?;
        let digit = |idx: i64| -> u16 {
            if idx >= 0 {
                digits.get(idx as usize).copied().unwrap_or(0)
            } else {
                0
            }
        };
        let mut s = String::new();
        if sign == 0x4000 {
            s.push('-');
        }
        if weight < 0 {
            s.push('0');
        } else {
            for idx in 0..=weight {
                if idx == 0 {
                    s.push_str(&digit(idx).to_string());
                } else {
                    s.push_str(&format!("{:04}", digit(idx)));
                }
            }
        }
        if dscale > 0 {
            let mut frac = String::new();
            for k in 0..dscale.div_ceil(4) as i64 {
                frac.push_str(&format!("{:04}", digit(weight + 1 + k)));
            }
            frac.truncate(dscale);
            s.push('.');
            s.push_str(&frac);
        }
        Ok(PgNumeric(s))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// One backend message read by [`RawConn`]: its type byte and body.
#[derive(Debug, Clone)]
pub struct BackendMessage {
    /// The message type (`b'E'`, `b'Z'`, ...).
    pub tag: u8,
    /// The body after the length word.
    pub body: Vec<u8>,
}

impl BackendMessage {
    /// The fields of an ErrorResponse or NoticeResponse, by field type (`'C'`, `'M'`, ...).
    pub fn fields(&self) -> BTreeMap<char, String> {
        let mut out = BTreeMap::new();
        let mut rest = &self.body[..];
        while let Some((&kind, tail)) = rest.split_first() {
            if kind == 0 {
                break;
            }
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            out.insert(
                kind as char,
                String::from_utf8_lossy(&tail[..end]).into_owned(),
            );
            rest = tail.get(end + 1..).unwrap_or(&[]);
        }
        out
    }

    /// The SQLSTATE of an ErrorResponse or NoticeResponse.
    pub fn code(&self) -> Option<String> {
        self.fields().get(&'C').cloned()
    }

    /// The tag of a CommandComplete (`SELECT 1`, `ROLLBACK`).
    pub fn text(&self) -> String {
        let end = self
            .body
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.body.len());
        String::from_utf8_lossy(&self.body[..end]).into_owned()
    }
}

/// Encodes a frontend message: type byte, length word, body.
pub fn frontend_message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Encodes a protocol 3.0 StartupMessage with the given parameters.
pub fn startup_packet(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = 196_608i32.to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut out = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// A hand-driven wire-protocol connection, for what drivers never send.
#[derive(Debug)]
pub struct RawConn {
    /// The socket.
    pub stream: TcpStream,
    /// From BackendKeyData (0 before start-up completes).
    pub backend_pid: i32,
    /// From BackendKeyData.
    pub secret_key: i32,
}

impl RawConn {
    /// Opens a TCP connection without sending anything.
    pub async fn open(port: u16) -> RawConn {
        let stream = within(10, "tcp connect", TcpStream::connect(("127.0.0.1", port)))
            .await
            .expect("tcp connect");
        RawConn {
            stream,
            backend_pid: 0,
            secret_key: 0,
        }
    }

    /// Connects and completes start-up as `postgres` (trust only), up to ReadyForQuery.
    pub async fn startup(port: u16) -> RawConn {
        let mut conn = RawConn::open(port).await;
        conn.send(&startup_packet(&[
            ("user", "postgres"),
            ("database", "postgres"),
        ]))
        .await;
        let msgs = conn.read_until_ready().await;
        assert!(
            msgs.iter()
                .any(|m| m.tag == b'R' && m.body.get(..4) == Some(&[0, 0, 0, 0])),
            "no AuthenticationOk in start-up: {msgs:?}"
        );
        let key = msgs
            .iter()
            .find(|m| m.tag == b'K')
            .expect("no BackendKeyData");
        conn.backend_pid = i32::from_be_bytes(key.body[0..4].try_into().expect("4 bytes"));
        conn.secret_key = i32::from_be_bytes(key.body[4..8].try_into().expect("4 bytes"));
        conn
    }

    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write to server");
    }

    /// Sends a simple Query.
    pub async fn query(&mut self, sql: &str) {
        let mut body = sql.as_bytes().to_vec();
        body.push(0);
        self.send(&frontend_message(b'Q', &body)).await;
    }

    /// Reads one message; `Ok(None)` at a clean end of stream.
    pub async fn read_message(&mut self) -> std::io::Result<Option<BackendMessage>> {
        let mut tag = [0u8; 1];
        if self.stream.read(&mut tag).await? == 0 {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).await?;
        let len = i32::from_be_bytes(len);
        if !(4..=1 << 30).contains(&len) {
            return Err(std::io::Error::other(format!("bad message length {len}")));
        }
        let mut body = vec![0u8; len as usize - 4];
        self.stream.read_exact(&mut body).await?;
        Ok(Some(BackendMessage { tag: tag[0], body }))
    }

    /// Reads messages up to and including ReadyForQuery (panics on EOF or after 30 s).
    pub async fn read_until_ready(&mut self) -> Vec<BackendMessage> {
        within(30, "ReadyForQuery", async {
            let mut out = Vec::new();
            loop {
                let m = self.read_message().await.expect("read from server");
                let m = m.unwrap_or_else(|| panic!("server closed the connection after {out:?}"));
                let done = m.tag == b'Z';
                out.push(m);
                if done {
                    return out;
                }
            }
        })
        .await
    }

    /// Reads messages until the server closes the connection (EOF or reset), within
    /// `secs` seconds; the messages received.
    pub async fn read_until_closed(&mut self, secs: u64) -> Vec<BackendMessage> {
        within(secs, "server closing the connection", async {
            let mut out = Vec::new();
            while let Ok(Some(m)) = self.read_message().await {
                out.push(m);
            }
            out
        })
        .await
    }
}

/// Sends a CancelRequest for (pid, key) on a new connection and returns what the server
/// answered before closing it (PostgreSQL answers nothing).
pub async fn send_cancel_request(port: u16, pid: i32, key: i32) -> Vec<u8> {
    let mut stream = within(10, "tcp connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .expect("tcp connect for cancel");
    let mut packet = 16i32.to_be_bytes().to_vec();
    packet.extend_from_slice(&80_877_102i32.to_be_bytes());
    packet.extend_from_slice(&pid.to_be_bytes());
    packet.extend_from_slice(&key.to_be_bytes());
    stream
        .write_all(&packet)
        .await
        .expect("send cancel request");
    let mut reply = Vec::new();
    within(
        10,
        "server closing the cancel connection",
        stream.read_to_end(&mut reply),
    )
    .await
    .ok();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(words: &[u16]) -> String {
        let raw: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        PgNumeric::from_sql(&Type::NUMERIC, &raw).expect("decode").0
    }

    #[test]
    fn numeric_decoding() {
        // 12.345: digits [12, 3450], weight 0, scale 3
        assert_eq!(numeric(&[2, 0, 0, 3, 12, 3450]), "12.345");
        // -0.001: digits [10], weight -1, scale 3
        assert_eq!(numeric(&[1, (-1i16) as u16, 0x4000, 3, 10]), "-0.001");
        // 0.00001: digits [1000], weight -2, scale 5
        assert_eq!(numeric(&[1, (-2i16) as u16, 0, 5, 1000]), "0.00001");
        // 100000: digits [10], weight 1, scale 0
        assert_eq!(numeric(&[1, 1, 0, 0, 10]), "100000");
        assert_eq!(numeric(&[0, 0, 0, 2]), "0.00");
        assert_eq!(numeric(&[0, 0, 0xC000, 0]), "NaN");
    }

    #[test]
    fn error_fields_parse() {
        let m = BackendMessage {
            tag: b'E',
            body: b"SERROR\0C42601\0Mx\0P3\0\0".to_vec(),
        };
        assert_eq!(m.code().as_deref(), Some("42601"));
        assert_eq!(m.fields().get(&'P').map(String::as_str), Some("3"));
    }
}
