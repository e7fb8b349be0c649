//! The postmaster's event loop: accept, fork+exec a backend per connection,
//! reap children, crash-restart, shutdown.
//!
//! ```text
//!            accept ──> spawn backend (socket on fd 3, slot in PG_PROC_SLOT)
//!   Running ─┤
//!            └ SIGCHLD: normal exit  -> free the slot
//!                       abnormal exit -> CrashRestart: SIGQUIT everyone, wait,
//!                                        new shared memory, back to Running
//!   SIGTERM -> Smart (no new sessions, wait for the open ones) -> exit
//!   SIGINT  -> Fast  (SIGTERM to every child, wait)             -> exit
//!   SIGQUIT -> Immediate (SIGQUIT to every child, wait briefly)  -> exit
//! ```
//! The postmaster keeps its own bookkeeping of children and slots and touches
//! shared memory only to create it and to free the slot of a reaped child.

use std::collections::HashMap;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use storage::shmem::{SharedMemory, ShmemLayout};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use types::{PgError, SqlState};

use crate::pidfile::PidFile;

/// Slots the ProcArray keeps beyond max_connections for auxiliary processes:
/// the first is the autovacuum process's; the last is never claimed (a
/// backend that got no slot borrows it for its unused transaction state).
pub const AUX_SLOTS: u32 = 8;

/// A connection handed from an accept task to the loop.
pub enum Accepted {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// The shared-memory sizes from the settings, in 8 kB pages.
#[derive(Debug, Clone, Copy)]
pub struct BufferSizes {
    pub shared_buffers: u32,
    pub wal_buffers: u32,
}

/// Everything the loop needs, prepared by `main`.
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub backend_exe: PathBuf,
    pub max_connections: u32,
    pub buffers: BufferSizes,
    /// Whether to run the autovacuum process.
    pub autovacuum: bool,
    pub overrides_env: String,
    pub pid_file: PidFile,
    pub start_time_pg: i64,
    pub unix_socket_paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The startup process runs (PostgreSQL's recovery happens there); clients
    /// are told the system is starting up.
    Starting,
    Running,
    /// Waiting for every child to exit after a crash, then re-initialise.
    CrashRestart {
        since: Instant,
        killed: bool,
    },
    Smart,
    Fast {
        since: Instant,
        killed: bool,
    },
    Immediate {
        since: Instant,
        killed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ChildKind {
    Client,
    /// `backend --role=startup`: checks the data directory (and, with the WAL
    /// issue, runs recovery) before sessions are admitted.
    Startup,
    /// `backend --role=autovacuum`, in the first auxiliary slot.
    Autovacuum,
    /// `backend --role=bgwriter` (needs no ProcArray slot).
    BgWriter,
    /// `backend --role=checkpointer`: checkpoints, and the shutdown
    /// checkpoint once every other child has exited (SIGUSR2).
    Checkpointer,
    /// `backend --role=walwriter`: flushes WAL in the background.
    WalWriter,
}

struct ChildInfo {
    slot: Option<usize>,
    kind: ChildKind,
}

/// The postmaster.
pub struct Postmaster {
    cfg: ServerConfig,
    shmem: SharedMemory,
    children: HashMap<i32, ChildInfo>,
    free_slots: Vec<usize>,
    state: State,
    exit_code: i32,
    /// When to start an auxiliary process again (it is not running).
    aux_due: HashMap<ChildKind, Instant>,
    /// Shutdown: the checkpointer was told to write the shutdown checkpoint.
    checkpointer_told: bool,
}

fn describe_exit(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with exit code {code}"),
        WaitStatus::Signaled(_, sig, _) => format!(
            "was terminated by signal {}: {}",
            *sig as i32,
            signal_description(*sig)
        ),
        other => format!("ended with status {other:?}"),
    }
}

/// The words strsignal(3) prints for the signals that end processes.
fn signal_description(sig: Signal) -> &'static str {
    match sig {
        Signal::SIGKILL => "Killed",
        Signal::SIGSEGV => "Segmentation fault",
        Signal::SIGABRT => "Aborted",
        Signal::SIGBUS => "Bus error",
        Signal::SIGILL => "Illegal instruction",
        Signal::SIGFPE => "Floating point exception",
        Signal::SIGTERM => "Terminated",
        Signal::SIGQUIT => "Quit",
        Signal::SIGINT => "Interrupt",
        Signal::SIGPIPE => "Broken pipe",
        other => other.as_str(),
    }
}

impl Postmaster {
    pub fn new(cfg: ServerConfig) -> Result<Postmaster, storage::StorageError> {
        let shmem = Self::create_shmem(&cfg)?;
        let free_slots = (0..cfg.max_connections as usize).rev().collect();
        Ok(Postmaster {
            cfg,
            shmem,
            children: HashMap::new(),
            free_slots,
            state: State::Starting,
            exit_code: 0,
            aux_due: HashMap::new(),
            checkpointer_told: false,
        })
    }

    fn create_shmem(cfg: &ServerConfig) -> Result<SharedMemory, storage::StorageError> {
        let mut layout =
            ShmemLayout::new(cfg.max_connections + AUX_SLOTS, cfg.buffers.shared_buffers);
        layout.wal_buffers = cfg.buffers.wal_buffers;
        SharedMemory::create(layout, std::process::id() as i32, cfg.start_time_pg)
    }

    pub fn shmem_id(&self) -> &str {
        self.shmem.os_id()
    }

    fn write_status(&mut self, status: &'static str) {
        self.cfg.pid_file.status = status;
        self.cfg.pid_file.shmem_id = self.shmem.os_id().to_owned();
        if let Err(e) = self.cfg.pid_file.update() {
            tracing::warn!("could not write lock file \"postmaster.pid\": {e}");
        }
    }

    /// Runs until shutdown. Returns the process exit code.
    pub async fn run(mut self, listeners: Vec<TcpListener>, unix: Vec<UnixListener>) -> i32 {
        let (tx, mut rx) = mpsc::channel::<Accepted>(64);
        let mut accept_tasks = Vec::new();
        for l in listeners {
            let tx = tx.clone();
            accept_tasks.push(tokio::spawn(async move {
                loop {
                    match l.accept().await {
                        Ok((s, _)) => {
                            if tx.send(Accepted::Tcp(s)).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("could not accept new connection: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }));
        }
        for l in unix {
            let tx = tx.clone();
            accept_tasks.push(tokio::spawn(async move {
                loop {
                    match l.accept().await {
                        Ok((s, _)) => {
                            if tx.send(Accepted::Unix(s)).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("could not accept new connection: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }));
        }
        drop(tx);

        let (mut sigchld, mut sigterm, mut sigint, mut sigquit, mut sighup) = match (
            signal(SignalKind::child()),
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::quit()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e)) => (a, b, c, d, e),
            _ => {
                tracing::error!("could not install signal handlers");
                return 1;
            }
        };

        if !self.launch_startup() {
            crate::pidfile::release(&self.cfg.data_dir);
            return 1;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                Some(conn) = rx.recv() => self.on_connection(conn),
                _ = sigchld.recv() => self.reap(),
                _ = sigterm.recv() => self.shutdown_smart(),
                _ = sigint.recv() => self.shutdown_fast(),
                _ = sigquit.recv() => self.shutdown_immediate(),
                _ = sighup.recv() => tracing::info!("received SIGHUP, reloading configuration files is not supported yet; settings are unchanged"),
                _ = tick.tick() => { self.reap(); }
            }
            if matches!(self.state, State::Fast { .. } | State::Immediate { .. }) {
                for t in accept_tasks.drain(..) {
                    t.abort();
                }
                rx.close();
            }
            if let Some(code) = self.advance_state() {
                return code;
            }
        }
    }

    /// Starts the startup process; false if it could not be started.
    fn launch_startup(&mut self) -> bool {
        let mut cmd = self.backend_command("startup");
        match storage::ipc::spawn_child(&mut cmd, None) {
            Ok(child) => {
                self.children.insert(
                    child.id() as i32,
                    ChildInfo {
                        slot: None,
                        kind: ChildKind::Startup,
                    },
                );
                self.state = State::Starting;
                self.write_status("starting");
                true
            }
            Err(e) => {
                tracing::error!("could not fork startup process: {e}");
                false
            }
        }
    }

    /// A `backend --role=ROLE` command with the segment, data directory and
    /// configuration overrides in its environment.
    fn backend_command(&self, role: &str) -> Command {
        let mut cmd = Command::new(&self.cfg.backend_exe);
        cmd.arg(format!("--role={role}"))
            .env("PG_SHMEM", self.shmem.os_id())
            .env("PG_DATA", &self.cfg.data_dir)
            .env(crate::config::OVERRIDES_ENV, &self.cfg.overrides_env)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Starts a long-running auxiliary process (autovacuum in the first
    /// auxiliary slot, the background writer without a slot); on failure it
    /// is tried again in 10 s.
    fn launch_aux(&mut self, kind: ChildKind) {
        let (role, slot, what) = match kind {
            ChildKind::Autovacuum => (
                "autovacuum",
                Some(self.cfg.max_connections as usize),
                "autovacuum launcher",
            ),
            ChildKind::BgWriter => ("bgwriter", None, "background writer"),
            ChildKind::Checkpointer => ("checkpointer", None, "checkpointer"),
            ChildKind::WalWriter => ("walwriter", None, "WAL writer"),
            ChildKind::Client | ChildKind::Startup => return,
        };
        self.aux_due.remove(&kind);
        if self.state != State::Running || (kind == ChildKind::Autovacuum && !self.cfg.autovacuum) {
            return;
        }
        let mut cmd = self.backend_command(role);
        if let Some(s) = slot {
            cmd.env("PG_PROC_SLOT", s.to_string());
        }
        match storage::ipc::spawn_child(&mut cmd, None) {
            Ok(child) => {
                self.children
                    .insert(child.id() as i32, ChildInfo { slot, kind });
            }
            Err(e) => {
                tracing::error!("could not fork {what} process: {e}");
                self.aux_due
                    .insert(kind, Instant::now() + Duration::from_secs(10));
            }
        }
    }

    fn startup_finished(&mut self, pid: i32, status: &WaitStatus) {
        if self.state != State::Starting {
            return;
        }
        if matches!(status, WaitStatus::Exited(_, 0)) {
            self.state = State::Running;
            self.write_status("ready");
            tracing::info!("database system is ready to accept connections");
            self.launch_aux(ChildKind::Checkpointer);
            self.launch_aux(ChildKind::WalWriter);
            self.launch_aux(ChildKind::BgWriter);
            self.launch_aux(ChildKind::Autovacuum);
        } else {
            tracing::info!("startup process (PID {pid}) {}", describe_exit(status));
            tracing::info!("aborting startup due to startup process failure");
            self.exit_code = 1;
            self.signal_all(Signal::SIGTERM);
            self.state = State::Fast {
                since: Instant::now(),
                killed: false,
            };
        }
    }

    fn on_connection(&mut self, conn: Accepted) {
        // While we cannot serve sessions, a backend still reads the startup
        // packet and answers 57P03, as PostgreSQL's does (a cancel request is
        // still honoured).
        let refusal = match self.state {
            State::Running => None,
            State::Starting => Some("startup"),
            State::CrashRestart { .. } => Some("recovery"),
            _ => Some("shutdown"),
        };
        // A connection without a slot still gets a backend: it may be a cancel
        // request, and otherwise it answers 53300 after reading the startup packet.
        // Past twice max_connections children we refuse at the door.
        let slot = if refusal.is_none() {
            self.free_slots.pop()
        } else {
            None
        };
        if slot.is_none()
            && self.children.len() >= 2 * self.cfg.max_connections as usize + AUX_SLOTS as usize
        {
            reject(
                conn,
                &PgError::fatal(
                    SqlState::TooManyConnections,
                    "sorry, too many clients already",
                ),
            );
            return;
        }
        let mut cmd = self.backend_command("client");
        match slot {
            Some(s) => cmd.env("PG_PROC_SLOT", s.to_string()),
            None => cmd.env_remove("PG_PROC_SLOT"),
        };
        if let Some(r) = refusal {
            cmd.env("PG_REJECT", r);
        }
        let result = match &conn {
            Accepted::Tcp(s) => storage::ipc::spawn_child(&mut cmd, Some(s.as_fd())),
            Accepted::Unix(s) => storage::ipc::spawn_child(&mut cmd, Some(s.as_fd())),
        };
        match result {
            Ok(child) => {
                self.children.insert(
                    child.id() as i32,
                    ChildInfo {
                        slot,
                        kind: ChildKind::Client,
                    },
                );
                // The child has its own copy of the socket; ours closes on drop.
            }
            Err(e) => {
                if let Some(s) = slot {
                    self.free_slots.push(s);
                }
                tracing::error!("could not fork new process for connection: {e}");
                reject(
                    conn,
                    &PgError::fatal(
                        SqlState::InsufficientResources,
                        format!("could not fork new process for connection: {e}"),
                    ),
                );
            }
        }
    }

    fn reap(&mut self) {
        loop {
            let status = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(s) => s,
            };
            let Some(pid) = status.pid() else { return };
            let pid = pid.as_raw();
            let Some(child) = self.children.remove(&pid) else {
                continue;
            };
            if child.kind == ChildKind::Startup {
                self.startup_finished(pid, &status);
                continue;
            }
            if let Some(slot) = child.slot {
                self.shmem.proc_array().release(slot);
                if child.kind == ChildKind::Client {
                    self.free_slots.push(slot);
                }
            }
            if child.kind != ChildKind::Client && self.state == State::Running {
                self.aux_due
                    .insert(child.kind, Instant::now() + Duration::from_secs(1));
            }
            let normal = matches!(status, WaitStatus::Exited(_, 0) | WaitStatus::Exited(_, 1));
            if !normal && self.state == State::Running {
                tracing::info!("server process (PID {pid}) {}", describe_exit(&status));
                tracing::info!("terminating any other active server processes");
                self.shmem
                    .set_quit_reason(storage::shmem::QuitReason::Crash);
                self.signal_all(Signal::SIGQUIT);
                self.state = State::CrashRestart {
                    since: Instant::now(),
                    killed: false,
                };
            } else if !normal {
                tracing::debug!("server process (PID {pid}) {}", describe_exit(&status));
            }
        }
    }

    fn signal_all(&self, sig: Signal) {
        for pid in self.children.keys() {
            let _ = kill(Pid::from_raw(*pid), sig);
        }
    }

    /// Shutdown's SIGTERM: every child but the checkpointer, which writes the
    /// shutdown checkpoint once the others are gone.
    fn signal_all_but_checkpointer(&self, sig: Signal) {
        for (pid, c) in &self.children {
            if c.kind != ChildKind::Checkpointer {
                let _ = kill(Pid::from_raw(*pid), sig);
            }
        }
    }

    fn shutdown_smart(&mut self) {
        if matches!(
            self.state,
            State::Starting | State::Running | State::CrashRestart { .. }
        ) {
            tracing::info!("received smart shutdown request");
            self.state = State::Smart;
            self.write_status("stopping");
        }
    }

    fn shutdown_fast(&mut self) {
        if matches!(
            self.state,
            State::Starting | State::Running | State::CrashRestart { .. } | State::Smart
        ) {
            tracing::info!("received fast shutdown request");
            tracing::info!("aborting any active transactions");
            self.signal_all_but_checkpointer(Signal::SIGTERM);
            self.state = State::Fast {
                since: Instant::now(),
                killed: false,
            };
            self.write_status("stopping");
        }
    }

    fn shutdown_immediate(&mut self) {
        if !matches!(self.state, State::Immediate { .. }) {
            tracing::info!("received immediate shutdown request");
            self.shmem
                .set_quit_reason(storage::shmem::QuitReason::ImmediateShutdown);
            self.signal_all(Signal::SIGQUIT);
            self.state = State::Immediate {
                since: Instant::now(),
                killed: false,
            };
            self.write_status("stopping");
        }
    }

    /// Moves the state machine on; Some(exit code) when the postmaster should exit.
    fn advance_state(&mut self) -> Option<i32> {
        let now = Instant::now();
        if matches!(self.state, State::Fast { killed: false, .. })
            && !self.children.is_empty()
            && self
                .children
                .values()
                .all(|c| c.kind == ChildKind::Checkpointer)
        {
            // Everything else is gone: the shutdown checkpoint, which takes
            // as long as it takes (no SIGKILL for it).
            if !self.checkpointer_told {
                self.checkpointer_told = true;
                for pid in self.children.keys() {
                    let _ = kill(Pid::from_raw(*pid), Signal::SIGUSR2);
                }
            }
            return None;
        }
        match &mut self.state {
            State::Starting => None,
            State::Running => {
                let due: Vec<ChildKind> = self
                    .aux_due
                    .iter()
                    .filter(|(_, t)| now >= **t)
                    .map(|(k, _)| *k)
                    .collect();
                for kind in due {
                    self.launch_aux(kind);
                }
                None
            }
            State::CrashRestart { since, killed } => {
                if self.children.is_empty() {
                    tracing::info!("all server processes terminated; reinitializing");
                    self.reinitialize();
                    return None;
                }
                if !*killed && now.duration_since(*since) > Duration::from_secs(5) {
                    *killed = true;
                    self.signal_all(Signal::SIGKILL);
                }
                None
            }
            State::Smart => {
                if self
                    .children
                    .values()
                    .any(|c| c.kind == ChildKind::Client && c.slot.is_some())
                {
                    return None;
                }
                if self.children.is_empty() {
                    return Some(self.finish_shutdown());
                }
                // The last session is gone: stop the auxiliary processes.
                self.signal_all_but_checkpointer(Signal::SIGTERM);
                self.state = State::Fast {
                    since: now,
                    killed: false,
                };
                None
            }
            State::Fast { since, killed } | State::Immediate { since, killed } => {
                if self.children.is_empty() {
                    return Some(self.finish_shutdown());
                }
                if !*killed && now.duration_since(*since) > Duration::from_secs(5) {
                    *killed = true;
                    tracing::info!("issuing SIGKILL to recalcitrant children");
                    self.signal_all(Signal::SIGKILL);
                }
                None
            }
        }
    }

    fn reinitialize(&mut self) {
        match Self::create_shmem(&self.cfg) {
            Ok(new) => {
                // Dropping the old mapping unlinks the old segment.
                self.shmem = new;
                self.free_slots = (0..self.cfg.max_connections as usize).rev().collect();
                if !self.launch_startup() {
                    self.exit_code = 1;
                    self.state = State::Fast {
                        since: Instant::now(),
                        killed: false,
                    };
                }
            }
            Err(e) => {
                tracing::error!("could not re-create shared memory after a crash: {e}; retrying");
            }
        }
    }

    fn finish_shutdown(&mut self) -> i32 {
        tracing::info!("database system is shut down");
        for p in &self.cfg.unix_socket_paths {
            let _ = std::fs::remove_file(p);
            let _ = std::fs::remove_file(format!("{}.lock", p.display()));
        }
        crate::pidfile::release(&self.cfg.data_dir);
        self.exit_code
    }
}

/// Writes a FATAL to a connection we will not serve, without waiting on it.
fn reject(conn: Accepted, e: &PgError) {
    let bytes = protocol::error::encode_error_response(e);
    let _ = match &conn {
        Accepted::Tcp(s) => s.try_write(&bytes),
        Accepted::Unix(s) => s.try_write(&bytes),
    };
}
